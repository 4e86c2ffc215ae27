/* SPDX-License-Identifier: Apache-2.0 */
/*
 * as_add.c — `as add`: the key of a trusted Authorization Server, checked
 * against the kind and algorithm of its tokens before it is sent.  A
 * signing AS is sent its public key only (d stripped); a MAC or encrypting
 * AS its symmetric key, in a payload the encoder marks secret.  Key bytes
 * are wiped after use and never printed.
 */
#include "admin.h"

#include "cbor_out.h"
#include "crypto.h"
#include "tools_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct as_ctx {
	struct kdc_cose_key key;
	struct kdc_cw enc; /* the COSE_Key sent */
	uint8_t kid[KDC_COSE_MAX_KID];
	size_t kid_len;
	uint8_t kdk[64];
	size_t kdk_len;
	uint8_t raw[TL_FILE_MAX / 2];
};

static int
parse_kind(const char *s, uint8_t *kind)
{
	if (strcmp(s, "sign") == 0)
		*kind = IPC_AS_SIGN;
	else if (strcmp(s, "mac") == 0)
		*kind = IPC_AS_MAC;
	else if (strcmp(s, "encrypt") == 0)
		*kind = IPC_AS_ENCRYPT;
	else
		return -1;
	return 0;
}

/* --key-hex: the hex of a COSE_Key, or (mac, encrypt) of a bare key. */
static int
key_from_hex(struct as_ctx *c, const char *hex, uint8_t kind, char *err,
             size_t errlen)
{
	char why[160];
	size_t n;

	if (tl_hex_decode(hex, strlen(hex), c->raw, sizeof(c->raw), &n) != 0 ||
	    n == 0) {
		snprintf(err, errlen, "--key-hex: not hex");
		return -1;
	}
	if (tl_cose_key_from_bytes(c->raw, n, &c->key, why, sizeof(why)) == 0)
		return 0;
	if (kind == IPC_AS_SIGN) {
		snprintf(err, errlen, "--key-hex: %s", why);
		return -1;
	}
	if (n > KDC_COSE_MAX_SYMKEY) {
		snprintf(err, errlen,
		         "--key-hex: a symmetric key of at most "
		         "%d bytes",
		         KDC_COSE_MAX_SYMKEY);
		return -1;
	}
	memset(&c->key, 0, sizeof(c->key));
	c->key.kty = KDC_KTY_SYMMETRIC;
	memcpy(c->key.k, c->raw, n);
	c->key.k_len = n;
	return 0;
}

/* Does the key fit the kind and algorithm of the tokens? */
static int
check_key(const struct kdc_cose_key *k, uint8_t kind, int64_t alg, char *err,
          size_t errlen)
{
	if (k->has_alg && k->alg != alg) {
		snprintf(err, errlen, "the key is for algorithm %lld, not %lld",
		         (long long)k->alg, (long long)alg);
		return -1;
	}
	switch (kind) {
	case IPC_AS_SIGN:
		if (k->kty == KDC_KTY_OKP && k->crv == KDC_CRV_ED25519 &&
		    (alg == KDC_ALG_EDDSA || alg == KDC_ALG_ED25519))
			return 0;
		if (k->kty == KDC_KTY_EC2 && k->crv == KDC_CRV_P256 &&
		    (alg == KDC_ALG_ES256 || alg == KDC_ALG_ESP256))
			return 0;
		snprintf(err, errlen,
		         "--kind sign needs an Ed25519 key with EdDSA or a "
		         "P-256 key with ES256");
		return -1;
	case IPC_AS_MAC:
		if (k->kty == KDC_KTY_SYMMETRIC && k->k_len > 0 &&
		    (alg == KDC_ALG_HMAC256_64 || alg == KDC_ALG_HMAC256_256))
			return 0;
		snprintf(err, errlen,
		         "--kind mac needs a symmetric key with alg 4 "
		         "(HMAC 256/64) or 5 (HMAC 256/256)");
		return -1;
	default:
		if (k->kty == KDC_KTY_SYMMETRIC &&
		    kdc_aead_key_len((int)alg) != 0 &&
		    k->k_len == kdc_aead_key_len((int)alg))
			return 0;
		snprintf(
		        err, errlen,
		        "--kind encrypt needs an AEAD algorithm (e.g. "
		        "AES-CCM-16-64-128) and a symmetric key of its length");
		return -1;
	}
}

static int
get_kid(struct as_ctx *c, const struct adm_args *a, char *err, size_t errlen)
{
	const char *text = adm_opt(a, "kid"), *hex = adm_opt(a, "kid-hex");

	if (text != NULL && hex != NULL) {
		snprintf(err, errlen, "give --kid or --kid-hex, not both");
		return -1;
	}
	if (text != NULL) {
		c->kid_len = strlen(text);
		if (c->kid_len == 0 || c->kid_len > sizeof(c->kid)) {
			snprintf(err, errlen, "--kid: 1 to %zu bytes",
			         sizeof(c->kid));
			return -1;
		}
		memcpy(c->kid, text, c->kid_len);
	} else if (hex != NULL) {
		if (tl_hex_decode(hex, strlen(hex), c->kid, sizeof(c->kid),
		                  &c->kid_len) != 0 ||
		    c->kid_len == 0) {
			snprintf(err, errlen,
			         "--kid-hex: 1 to %zu bytes of hex",
			         sizeof(c->kid));
			return -1;
		}
	}
	return 0;
}

static int
fill(struct as_ctx *c, const struct adm_args *a, const struct adm_env *env,
     struct ipc_adm_as_add *m, char *err, size_t errlen)
{
	const char *file = adm_opt(a, "key-file"), *hex = adm_opt(a, "key-hex");
	const char *kind = adm_opt(a, "kind"), *alg = adm_opt(a, "alg");
	const char *aud = adm_opt(a, "audience"), *iss = adm_opt(a, "issuer");
	const char *kdk = adm_opt(a, "psk-kdk-file");

	if (strlen(a->pos[0]) == 0 || strlen(a->pos[0]) > IPC_NAME_MAX) {
		snprintf(err, errlen, "an AS name must be 1 to %d bytes",
		         IPC_NAME_MAX);
		return -1;
	}
	memcpy(m->name, a->pos[0], strlen(a->pos[0]) + 1);
	if (kind == NULL || parse_kind(kind, &m->kind) != 0) {
		snprintf(err, errlen, "--kind sign|mac|encrypt is required");
		return -1;
	}
	if (alg == NULL || kdc_alg_parse(alg, &m->alg) != 0) {
		snprintf(err, errlen, "--alg ALG is required");
		return -1;
	}
	if ((file == NULL) == (hex == NULL)) {
		snprintf(err, errlen, "give one of --key-file and --key-hex");
		return -1;
	}
	if (file != NULL &&
	    tl_cose_key_from_file(file, &c->key, err, errlen) != 0)
		return -1;
	if (hex != NULL && key_from_hex(c, hex, m->kind, err, errlen) != 0)
		return -1;
	if (check_key(&c->key, m->kind, m->alg, err, errlen) != 0)
		return -1;
	kdc_cose_key_encode(&c->enc, &c->key, m->kind != IPC_AS_SIGN);
	if (!kdc_cw_ok(&c->enc)) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	m->key.p = c->enc.buf;
	m->key.n = c->enc.len;
	if (get_kid(c, a, err, errlen) != 0)
		return -1;
	m->kid.p = c->kid;
	m->kid.n = c->kid_len;
	if (aud == NULL)
		aud = env != NULL ? env->default_audience : NULL;
	if (aud == NULL || aud[0] == '\0') {
		snprintf(err, errlen,
		         "no --audience and no default_audience in "
		         "the configuration");
		return -1;
	}
	m->audience.p = (const uint8_t *)aud;
	m->audience.n = strlen(aud);
	if (iss != NULL) {
		m->issuer.p = (const uint8_t *)iss;
		m->issuer.n = strlen(iss);
	}
	if (kdk != NULL) {
		if (tl_raw_key_from_file(kdk, c->kdk, sizeof(c->kdk),
		                         &c->kdk_len, err, errlen) != 0)
			return -1;
		if (c->kdk_len < 16) {
			snprintf(err, errlen,
			         "--psk-kdk-file: a key of at "
			         "least 16 bytes");
			return -1;
		}
		m->psk_derivation_key.p = c->kdk;
		m->psk_derivation_key.n = c->kdk_len;
	}
	return 0;
}

int
adm_build_as_add(const struct adm_args *a, const struct adm_env *env,
                 struct ipc_wbuf *w, char *err, size_t errlen)
{
	struct ipc_adm_as_add m;
	struct as_ctx *c;
	int rc = ADM_EXIT_USAGE;

	/* Guarded memory: the context holds the AS key. */
	c = kdc_secure_alloc(sizeof(*c));
	if (c == NULL) {
		snprintf(err, errlen, "out of memory");
		return ADM_EXIT_INTERNAL;
	}
	memset(c, 0, sizeof(*c));
	kdc_cw_init(&c->enc);
	memset(&m, 0, sizeof(m));
	if (fill(c, a, env, &m, err, errlen) == 0) {
		if (ipc_enc_adm_as_add(w, &m) == 0 && ipc_wbuf_ok(w))
			rc = ADM_EXIT_OK;
		else
			snprintf(err, errlen, "request could not be encoded");
	}
	kdc_cw_free(&c->enc);
	kdc_wipe(&m, sizeof(m));
	kdc_secure_free(c);
	return rc;
}
