/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cose.h — COSE keys and single-recipient COSE messages (RFC 9052/9053):
 * COSE_Sign1 (EdDSA -8/-19, ES256 -7/-9), COSE_Mac0 (HMAC 256/64 = 4,
 * HMAC 256/256 = 5) and COSE_Encrypt0 (AES-CCM-16-64-128 = 10 and the other
 * AEADs of crypto.h, ChaCha20/Poly1305 = 24), tagged or untagged, with
 * protected/unprotected headers and external AAD.
 *
 * Parsing goes through kdc_cbor_decode(); a parsed message keeps its tree
 * and exposes pointers into it, so the exact protected-header bytes used in
 * Sig_structure / MAC_structure / Enc_structure are the ones received.
 */
#ifndef KDC_COSE_H
#define KDC_COSE_H

#include "cbor_in.h"
#include "cbor_out.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* COSE tags (RFC 9052 §2) and the CWT tag (RFC 8392 §6). */
enum {
	KDC_TAG_COSE_ENCRYPT0 = 16,
	KDC_TAG_COSE_MAC0 = 17,
	KDC_TAG_COSE_SIGN1 = 18,
	KDC_TAG_CWT = 61,
};

/* COSE header labels used here. */
enum {
	KDC_HDR_ALG = 1,
	KDC_HDR_CRIT = 2,
	KDC_HDR_CONTENT_TYPE = 3,
	KDC_HDR_KID = 4,
	KDC_HDR_IV = 5,
	KDC_HDR_PARTIAL_IV = 6,
	KDC_HDR_KCWT = 13,
	KDC_HDR_KCCS = 14,
};

/* COSE key types and curves (RFC 9053 §7). */
enum {
	KDC_KTY_OKP = 1,
	KDC_KTY_EC2 = 2,
	KDC_KTY_SYMMETRIC = 4,
	KDC_CRV_P256 = 1,
	KDC_CRV_X25519 = 4,
	KDC_CRV_ED25519 = 6,
};

/* COSE_Key labels. */
enum {
	KDC_KEY_KTY = 1,
	KDC_KEY_KID = 2,
	KDC_KEY_ALG = 3,
	KDC_KEY_CRV = -1, /* OKP, EC2 */
	KDC_KEY_X = -2,
	KDC_KEY_Y = -3,
	KDC_KEY_D = -4,
	KDC_KEY_K = -1, /* Symmetric */
};

#define KDC_COSE_MAX_KID    64
#define KDC_COSE_MAX_SYMKEY 64

/*
 * A COSE_Key reduced to what the KDC can use.  Private parts (d, k) are
 * secrets: wipe the struct with kdc_cose_key_wipe() when done.
 */
struct kdc_cose_key {
	int kty;     /* KDC_KTY_* */
	int crv;     /* KDC_CRV_* for OKP/EC2, 0 otherwise */
	int64_t alg; /* 0 if absent */
	bool has_alg;
	uint8_t kid[KDC_COSE_MAX_KID];
	size_t kid_len;
	uint8_t x[32]; /* OKP public key, EC2 x */
	uint8_t y[32]; /* EC2 y */
	bool has_pub;
	uint8_t d[64]; /* OKP: Ed25519 sk (seed||pk, 64) or X25519 sk (32);
	                  EC2: 32-byte scalar */
	bool has_priv;
	uint8_t k[KDC_COSE_MAX_SYMKEY]; /* symmetric key */
	size_t k_len;
};

void kdc_cose_key_wipe(struct kdc_cose_key *k);
/* Decode a COSE_Key map (borrowed item).  Supports OKP (Ed25519, X25519),
 * EC2 (P-256, uncompressed y) and Symmetric.  -1 on anything else. */
int kdc_cose_key_decode(const cbor_item_t *map, struct kdc_cose_key *out);
/* Encode with deterministic label order; private parts only if asked. */
void kdc_cose_key_encode(struct kdc_cw *w, const struct kdc_cose_key *k,
                         bool with_private);
/* True if both keys hold the same public key (kty, crv, x, y). */
bool kdc_cose_key_same_public(const struct kdc_cose_key *a,
                              const struct kdc_cose_key *b);

enum kdc_cose_kind {
	KDC_COSE_ANY = 0,
	KDC_COSE_SIGN1 = KDC_TAG_COSE_SIGN1,
	KDC_COSE_MAC0 = KDC_TAG_COSE_MAC0,
	KDC_COSE_ENCRYPT0 = KDC_TAG_COSE_ENCRYPT0,
};

enum kdc_cose_err {
	KDC_COSE_OK = 0,
	KDC_COSE_E_CBOR = -1,   /* not well-formed CBOR (see cbor_in.h) */
	KDC_COSE_E_FORMAT = -2, /* not a COSE structure of the expected kind */
	KDC_COSE_E_HEADER = -3, /* bad/duplicated header, unknown crit */
	KDC_COSE_E_ALG = -4, /* algorithm missing, unsupported or wrong key */
	KDC_COSE_E_VERIFY = -5, /* signature/tag/decryption check failed */
	KDC_COSE_E_NOMEM = -6,
};
const char *kdc_cose_strerror(int err);

/* A parsed COSE message.  Pointers refer into `root` (owned). */
struct kdc_cose_msg {
	enum kdc_cose_kind kind;
	bool tagged;
	cbor_item_t *root;     /* the whole decoded object (owned) */
	cbor_item_t *prot_map; /* decoded protected header (owned, may be
	                          an empty map) */
	const uint8_t *prot;   /* protected header bstr content, exactly */
	size_t prot_len;
	const cbor_item_t *unprot; /* unprotected header map (borrowed) */
	const uint8_t *payload;    /* payload or ciphertext; NULL if nil */
	size_t payload_len;
	const uint8_t *tag; /* signature (Sign1) or MAC tag (Mac0) */
	size_t tag_len;
	int64_t alg; /* from protected, else unprotected header */
	bool has_alg;
	const uint8_t *kid; /* protected wins over unprotected */
	size_t kid_len;
	const uint8_t *iv; /* Encrypt0 IV (header 5) */
	size_t iv_len;
	const uint8_t *partial_iv; /* header 6 */
	size_t partial_iv_len;
};

/*
 * Parse buf as a COSE message.  `expected` KDC_COSE_ANY needs a COSE tag;
 * with a specific kind an untagged array is accepted too.  A leading CWT tag
 * 61 is NOT handled here (see cwt.h).  limits may be NULL.
 */
int kdc_cose_parse(const uint8_t *buf, size_t len, enum kdc_cose_kind expected,
                   const struct kdc_cbor_limits *limits,
                   struct kdc_cose_msg *out);
/* Parse from an already decoded item (it is incref'd, not copied). */
int kdc_cose_parse_item(cbor_item_t *item, enum kdc_cose_kind expected,
                        struct kdc_cose_msg *out);
void kdc_cose_msg_free(struct kdc_cose_msg *m);

/* Verify a COSE_Sign1 with the signer's public key. */
int kdc_cose_sign1_verify(const struct kdc_cose_msg *m,
                          const struct kdc_cose_key *pub,
                          const uint8_t *ext_aad, size_t ext_aad_len);
/* Verify a COSE_Mac0 with a symmetric key (constant-time compare). */
int kdc_cose_mac0_verify(const struct kdc_cose_msg *m,
                         const struct kdc_cose_key *key, const uint8_t *ext_aad,
                         size_t ext_aad_len);
/* Decrypt a COSE_Encrypt0; *pt is malloc'd (caller wipes and frees). */
int kdc_cose_encrypt0_decrypt(const struct kdc_cose_msg *m,
                              const struct kdc_cose_key *key,
                              const uint8_t *ext_aad, size_t ext_aad_len,
                              uint8_t **pt, size_t *pt_len);

/* Creation.  The protected header holds alg (and kid if given with
 * kid_protected); otherwise kid goes in the unprotected header.  Encrypt0
 * puts a fresh random IV (or the given one) in the unprotected header. */
struct kdc_cose_create {
	int64_t alg;
	const uint8_t *kid;
	size_t kid_len;
	bool kid_protected;
	bool tagged;
	const uint8_t *ext_aad;
	size_t ext_aad_len;
	const uint8_t *iv; /* Encrypt0 only; NULL = random */
	size_t iv_len;
};
int kdc_cose_sign1_create(struct kdc_cw *out, const struct kdc_cose_create *p,
                          const struct kdc_cose_key *priv,
                          const uint8_t *payload, size_t payload_len);
int kdc_cose_mac0_create(struct kdc_cw *out, const struct kdc_cose_create *p,
                         const struct kdc_cose_key *key, const uint8_t *payload,
                         size_t payload_len);
int kdc_cose_encrypt0_create(struct kdc_cw *out,
                             const struct kdc_cose_create *p,
                             const struct kdc_cose_key *key, const uint8_t *pt,
                             size_t pt_len);

/* Raw signatures with a COSE key (used for PoP evidence, RFC 9594 §3.3,
 * which signs concatenated byte strings, not a COSE structure). */
int kdc_sig_sign(int64_t alg, const struct kdc_cose_key *priv,
                 const uint8_t *msg, size_t len, uint8_t *sig, size_t *sig_len);
int kdc_sig_verify(int64_t alg, const struct kdc_cose_key *pub,
                   const uint8_t *msg, size_t len, const uint8_t *sig,
                   size_t sig_len);

#endif
