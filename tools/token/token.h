/* SPDX-License-Identifier: Apache-2.0 */
/*
 * token.h — kdc-token, a DEVELOPMENT Authorization Server in a command:
 * it mints the access tokens (CWT, RFC 8392) a real AS would issue for the
 * KDC, with the proof-of-possession key of the DTLS profile (RFC 9202) and
 * the AIF scope of the Group OSCORE profile (RFC 9594 §3.1).  Not for
 * production: it holds AS keys in plain files and checks nothing about
 * the requester.
 *
 * Everything here is pure (no I/O); tokens/main.c reads the files and
 * writes the output.
 */
#ifndef KDC_TOOLS_TOKEN_H
#define KDC_TOOLS_TOKEN_H

#include "cbor_out.h"
#include "cose.h"
#include "scope.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- scope ---- */

/* Roles: "requester+responder", "monitor", "verifier" (names joined by
 * '+', case-insensitive) or a decimal Tperm bitmap ("6").  0 or -1. */
int tok_parse_roles(const char *s, uint64_t *perm);
/* "GROUP:ROLES[,GROUP:ROLES...]" into an AIF scope.  0, or -1 with err. */
int tok_parse_scope(const char *spec, struct kdc_scope *out, char *err,
                    size_t errlen);

/* ---- minting ---- */

enum tok_protect {
	TOK_PROTECT_SIGN = 1,     /* COSE_Sign1 (EdDSA, ES256) */
	TOK_PROTECT_MAC,          /* COSE_Mac0 (HMAC 256/64, 256/256) */
	TOK_PROTECT_ENCRYPT,      /* COSE_Encrypt0 (AES-CCM-16-64-128, ...) */
	TOK_PROTECT_SIGN_ENCRYPT, /* Encrypt0 around Sign1 (RFC 8392 §7.1) */
};
int tok_parse_protect(const char *s, enum tok_protect *out);

enum tok_cnf {
	TOK_CNF_PSK = 1, /* Symmetric COSE_Key with kid and k (RFC 9202 §3.3) */
	TOK_CNF_PSK_KID, /* Symmetric COSE_Key with only a kid (§3.3.1) */
	TOK_CNF_RPK,     /* public COSE_Key, Ed25519 or P-256 (§3.2) */
};

/* The key of one COSE layer. */
struct tok_layer {
	struct kdc_cose_key key;
	int64_t alg; /* 0: the key's alg, else the usual one */
	uint8_t kid[KDC_COSE_MAX_KID];
	size_t kid_len; /* 0: the key's kid (possibly none) */
};

/* Holds secrets (PoP key, AS keys): wipe with kdc_wipe() after use. */
struct tok_params {
	const char *iss; /* NULL: no iss claim */
	const char *aud;
	struct kdc_scope scope;
	bool scope_tag; /* extended scope format, tag 1668547115 (§7) */
	int64_t now;    /* iat; exp = now + lifetime */
	uint32_t lifetime;
	uint8_t cti[16];
	size_t cti_len;
	enum tok_cnf cnf;
	uint8_t pop_kid[KDC_COSE_MAX_KID];
	size_t pop_kid_len;
	uint8_t psk[KDC_COSE_MAX_SYMKEY];
	size_t psk_len;
	struct kdc_cose_key rpk;
	enum tok_protect protect;
	struct tok_layer as;     /* the (inner, for sign+encrypt) layer */
	struct tok_layer as_enc; /* sign+encrypt: the Encrypt0 layer */
};

/* The claims set: {iss, aud, exp, iat, cti, cnf, scope}. */
int tok_claims(const struct tok_params *p, struct kdc_cw *out, char *err,
               size_t errlen);
/* The protected token (tagged COSE).  0, or -1 with err (a key that does
 * not fit its layer, a symmetric PoP key outside an Encrypt0, ...). */
int tok_mint(const struct tok_params *p, struct kdc_cw *out, char *err,
             size_t errlen);
/* The algorithm a layer will use (its key's or the usual one), or 0 when
 * the key cannot protect that kind of layer. */
int64_t tok_layer_alg(const struct tok_layer *l, enum kdc_cose_kind kind);

/* application/ace+cbor for POST /authz-info (RFC 9594 §3.3): {1: token,
 * 45: null} plus 47 (ecdh_info) and 48 (kdc_dh_creds) when asked. */
void tok_ace_cbor(struct kdc_cw *out, const uint8_t *tok, size_t len,
                  bool ecdh_info, bool dh_creds);

/* ---- PSK helpers (RFC 9202 §3.3) ---- */

/* The psk_identity {8: {1: {1: 4, 2: kid}}} (§3.3.2). */
void tok_psk_identity(struct kdc_cw *out, const uint8_t *kid, size_t len);
#define TOK_DERIVED_PSK_LEN 16
/* §3.3.1: HKDF-SHA-256(salt empty, IKM = kdk, info =
 * ["ACE-CoAP-DTLS-key-derivation", 16, token], L = 16). */
int tok_derive_psk(const uint8_t *kdk, size_t kdk_len, const uint8_t *tok,
                   size_t len, uint8_t out[TOK_DERIVED_PSK_LEN]);

/* ---- key generation ---- */

/* type: ed25519, p256, x25519, hmac256, aes128.  Random keys from
 * libsodium; alg set for all but x25519.  0, or -1 for an unknown type. */
int tok_keygen(const char *type, const uint8_t *kid, size_t kid_len,
               struct kdc_cose_key *k);

/* The private key as an SEC1 "EC PRIVATE KEY" PEM file (mode 0600), the
 * form libcoap's GnuTLS backend reads for DTLS raw public keys. */
int tok_write_pem(const char *path, const struct kdc_cose_key *k);

#endif
