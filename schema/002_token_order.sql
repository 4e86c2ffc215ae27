-- RFC 9200 §5.10.3: tokens with an "exi" claim carry a cti made of the
-- RS identifier followed by a sequence number the AS counts for this RS.
-- The KDC keeps the sequence number of each stored exi token, and per AS
-- the highest sequence number of an exi token that expired (or was
-- revoked): lower ones are treated as expired, so a replayed exi token
-- whose row is gone does not get a fresh lifetime.
ALTER TABLE tokens ADD COLUMN exi_seq INTEGER CHECK (exi_seq IS NULL OR exi_seq >= 0);
-- The token's iat, when it has one: a token issued before the one stored
-- for the same PoP key is a replay of one that was superseded (it could
-- restore rights a newer token took away), and is refused.
ALTER TABLE tokens ADD COLUMN iat INTEGER;

CREATE TABLE exi_expired (
    as_id INTEGER PRIMARY KEY REFERENCES as_trust(id) ON DELETE CASCADE,
    seq   INTEGER NOT NULL CHECK (seq >= 0)
) STRICT;
