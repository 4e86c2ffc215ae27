-- kdc schema, version 1.
-- Applied by kdc-keystore inside one transaction; PRAGMA user_version is set
-- by the migration runner, not here.  STRICT tables everywhere; secrets are
-- stored only sealed with the key-encryption key (columns *_sealed).

-- Facts about this database (creation time, instance id, ...).
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value ANY
) STRICT;

-- Authorization Servers whose tokens the KDC accepts (RFC 9200 §5.10.1.1).
CREATE TABLE as_trust (
    id           INTEGER PRIMARY KEY,
    name         TEXT    NOT NULL UNIQUE,  -- operator's label
    issuer       TEXT,                      -- expected iss; NULL: not checked
    audience     TEXT    NOT NULL,          -- the aud this AS uses for us
    kind         INTEGER NOT NULL CHECK (kind IN (1, 2, 3)), -- 1 sign, 2 mac, 3 encrypt
    alg          INTEGER NOT NULL,          -- COSE algorithm
    kid          BLOB,                      -- COSE kid; NULL: any
    key_public   BLOB,                      -- COSE_Key (kind 1)
    key_sealed   BLOB,                      -- sealed COSE_Key (kinds 2, 3)
    psk_kdk_sealed BLOB,                    -- RFC 9202 §3.3.1 key-derivation key
    created_at   INTEGER NOT NULL
) STRICT;

-- One row per proof-of-possession key: a newer token for the same key
-- replaces the row's content (RFC 9200 §5.10.1).  `handle` is the binding
-- the frontend keeps on every DTLS session of that key.
CREATE TABLE tokens (
    id           INTEGER PRIMARY KEY,
    handle       BLOB    NOT NULL UNIQUE CHECK (length(handle) = 16),
    as_id        INTEGER NOT NULL REFERENCES as_trust(id) ON DELETE CASCADE,
    cti          BLOB,
    pop_kind     INTEGER NOT NULL CHECK (pop_kind IN (1, 2)), -- 1 symmetric, 2 asymmetric
    pop_kid      BLOB,                      -- PSK identity (symmetric keys)
    pop_fpr      BLOB    NOT NULL UNIQUE,   -- SHA-256 of the PoP key identity
    pop_key_sealed BLOB,                    -- symmetric PoP key (sealed)
    pop_public   BLOB,                      -- public COSE_Key (asymmetric)
    scope        BLOB    NOT NULL,          -- scope claim content (bstr content)
    exp          INTEGER NOT NULL,          -- effective expiry (exp, or receipt + exi)
    received_at  INTEGER NOT NULL,
    via          INTEGER NOT NULL CHECK (via IN (1, 2)), -- 1 authz-info, 2 DTLS identity
    ns           BLOB,                      -- latest N_S (kdcchallenge), RFC 9594 §3.3
    revoked      INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE UNIQUE INDEX tokens_pop_kid ON tokens(pop_kid) WHERE pop_kid IS NOT NULL;
CREATE INDEX tokens_exp ON tokens(exp);
-- The expiry sweep asks for "exp <= now OR revoked": with this (tiny,
-- partial) index both halves are index lookups instead of a scan of every
-- token at each sweep.
CREATE INDEX tokens_revoked ON tokens(revoked) WHERE revoked <> 0;

-- Groups and their current keying material (one version; the previous one
-- is kept in group_prev for the grace period).
CREATE TABLE groups (
    id            INTEGER PRIMARY KEY,
    name          TEXT    NOT NULL UNIQUE,
    description   TEXT    NOT NULL DEFAULT '',
    active        INTEGER NOT NULL DEFAULT 1,
    created_at    INTEGER NOT NULL,
    -- security context parameters (fixed at creation)
    hkdf          INTEGER NOT NULL,
    cred_fmt      INTEGER NOT NULL,
    group_mode    INTEGER NOT NULL,
    gp_enc_alg    INTEGER NOT NULL,
    sign_alg      INTEGER NOT NULL,
    sign_crv      INTEGER NOT NULL,
    pairwise_mode INTEGER NOT NULL,
    alg           INTEGER NOT NULL,
    ecdh_alg      INTEGER NOT NULL,
    ecdh_crv      INTEGER NOT NULL,
    sid_max_len   INTEGER NOT NULL,
    gid_prefix    BLOB    NOT NULL UNIQUE,
    gid_epoch_len INTEGER NOT NULL,
    -- policies (updatable)
    key_lifetime  INTEGER NOT NULL,
    key_update_check_interval INTEGER NOT NULL,
    expiration_delta INTEGER NOT NULL,
    max_members   INTEGER NOT NULL,
    rekey_on_join INTEGER NOT NULL,
    rekey_on_leave INTEGER NOT NULL,
    rekey_after_restart INTEGER NOT NULL,
    min_rekey_interval_ms INTEGER NOT NULL,
    max_stale_sets INTEGER NOT NULL,
    prev_grace    INTEGER NOT NULL,
    -- current keying material
    num           INTEGER NOT NULL,         -- version, starts at 0 (GO §7)
    epoch         INTEGER NOT NULL,         -- Gid = gid_prefix || epoch
    gid           BLOB    NOT NULL,         -- current Gid (FETCH /ace-group)
    ms_sealed     BLOB    NOT NULL,         -- Master Secret (sealed)
    salt          BLOB,                     -- Master Salt (not secret)
    exp           INTEGER NOT NULL,         -- material expiry (NumericDate)
    rekeyed_at_ms INTEGER NOT NULL,         -- wall clock ms of the last rekey
    -- allocation state
    sid_next      INTEGER NOT NULL DEFAULT 0, -- next Sender ID candidate
    sid_wrap      INTEGER NOT NULL DEFAULT 0, -- exhausted: reset at next rekey
    node_next     INTEGER NOT NULL DEFAULT 1, -- next node name number
    -- deferred rekey (survives a restart)
    rekey_pending INTEGER NOT NULL DEFAULT 0, -- bitmask of reasons
    rekeys_done   INTEGER NOT NULL DEFAULT 0,
    -- current members, kept by the members_count_* triggers below so that
    -- the max_members check of a Join does not count 10^6 rows
    member_count  INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE INDEX groups_gid ON groups(gid);

CREATE TABLE group_prev (
    group_id   INTEGER NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
    num        INTEGER NOT NULL,
    gid        BLOB    NOT NULL,
    ms_sealed  BLOB    NOT NULL,
    salt       BLOB,
    exp        INTEGER NOT NULL,
    keep_until INTEGER NOT NULL,
    PRIMARY KEY (group_id, num)
) STRICT, WITHOUT ROWID;

-- Members (RFC 9594 §2 state): node name, roles, Sender ID, credential,
-- the token that authorises them, N_C (clientchallenge), control URI.
CREATE TABLE members (
    id           INTEGER PRIMARY KEY,
    group_id     INTEGER NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
    node         TEXT    NOT NULL,
    token_id     INTEGER NOT NULL REFERENCES tokens(id),
    perm         INTEGER NOT NULL,          -- role bitmap (Tperm)
    sid          BLOB,                      -- NULL for monitors
    cred         BLOB,                      -- credential as received (CCS)
    cred_pop     INTEGER NOT NULL DEFAULT 0, -- possession of cred proven
    cnonce       BLOB,                      -- clientchallenge (latest N_C)
    join_scope   BLOB,                      -- scope of the latest Join Request, exactly
                                            -- as received (PoP input of a credential
                                            -- update, RFC 9594 §4.9.1)
    control_uri  TEXT,
    birth_gid    BLOB    NOT NULL,          -- Gid at (re)join (GO §6.3)
    joined_at    INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    UNIQUE (group_id, node),
    UNIQUE (group_id, token_id)
) STRICT;
CREATE UNIQUE INDEX members_sid ON members(group_id, sid) WHERE sid IS NOT NULL;
CREATE INDEX members_token ON members(token_id);
CREATE INDEX members_birth_gid ON members(group_id, birth_gid);
CREATE TRIGGER members_count_insert AFTER INSERT ON members
BEGIN UPDATE groups SET member_count = member_count + 1 WHERE id = NEW.group_id; END;
CREATE TRIGGER members_count_delete AFTER DELETE ON members
BEGIN UPDATE groups SET member_count = member_count - 1 WHERE id = OLD.group_id; END;
CREATE TRIGGER members_count_move AFTER UPDATE OF group_id ON members
BEGIN
    UPDATE groups SET member_count = member_count - 1 WHERE id = OLD.group_id;
    UPDATE groups SET member_count = member_count + 1 WHERE id = NEW.group_id;
END;

-- Stale Sender ID sets, one per keying-material version (GO §7.1).
CREATE TABLE stale_sets (
    group_id INTEGER NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
    version  INTEGER NOT NULL,
    PRIMARY KEY (group_id, version)
) STRICT, WITHOUT ROWID;
CREATE TABLE stale_sids (
    group_id INTEGER NOT NULL,
    version  INTEGER NOT NULL,
    sid      BLOB    NOT NULL,
    PRIMARY KEY (group_id, version, sid),
    FOREIGN KEY (group_id, version) REFERENCES stale_sets(group_id, version)
        ON DELETE CASCADE
) STRICT, WITHOUT ROWID;

-- The KDC's own credentials, one current per kind; rotation retires the
-- old one.
CREATE TABLE kdc_keys (
    id          INTEGER PRIMARY KEY,
    kind        TEXT    NOT NULL CHECK (kind IN
                  ('sign-ed25519', 'sign-p256', 'dh-x25519', 'dh-p256')),
    cred        BLOB    NOT NULL,           -- CCS with the public key
    priv_sealed BLOB    NOT NULL,
    created_at  INTEGER NOT NULL,
    retired_at  INTEGER
) STRICT;
CREATE UNIQUE INDEX kdc_keys_current ON kdc_keys(kind) WHERE retired_at IS NULL;

-- Append-only audit log: who did what to which group.  Never secrets.
CREATE TABLE audit (
    id         INTEGER PRIMARY KEY,
    at         INTEGER NOT NULL,
    actor      TEXT    NOT NULL,            -- "admin uid=0", "frontend@1", "keystore"
    action     TEXT    NOT NULL,            -- "group-create", "join", "rekey", ...
    group_name TEXT,
    node       TEXT,
    detail     TEXT
) STRICT;
CREATE INDEX audit_group ON audit(group_name, id);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
