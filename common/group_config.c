/* SPDX-License-Identifier: Apache-2.0 */
/*
 * group_config.c — defaults, coherence checks and the algorithm/curve name
 * tables of a Group OSCORE group's configuration (group_config.h).
 */
#include "group_config.h"

#include "cose.h"
#include "crypto.h"
#include "gm_material.h"

#include <limits.h>
#include <string.h>
#include <strings.h>

/* Operator limits that are policy, not protocol. */
#define MIN_KEY_LIFETIME       10u      /* s */
#define MAX_MIN_REKEY_INTERVAL 3600000u /* ms: one hour */
#define MAX_GID_PART           8u       /* bytes of prefix or epoch */
#define OSCORE_NONCE_OVERHEAD  6u       /* GO §6.3: Sender ID <= nonce - 6 */

void
kdc_group_config_defaults(struct kdc_group_config *c)
{
	memset(c, 0, sizeof(*c));
	c->active = true;
	/* Group OSCORE profile §14 (GO digest §11). */
	c->hkdf = KDC_ALG_HMAC256_256;
	c->cred_fmt = KDC_HDR_KCCS;
	c->group_mode = true;
	c->gp_enc_alg = KDC_ALG_AES_CCM_16_64_128;
	c->sign_alg = KDC_ALG_EDDSA;
	c->sign_crv = KDC_CRV_ED25519;
	c->pairwise_mode = true;
	c->alg = KDC_ALG_AES_CCM_16_64_128;
	c->ecdh_alg = KDC_ALG_ECDH_SS_HKDF_256;
	c->ecdh_crv = KDC_CRV_X25519;
	/* RFC 9594 §10 policies (GO §6.3 defaults) and local limits. */
	c->key_lifetime = 86400;
	c->key_update_check_interval = 3600;
	c->expiration_delta = 0;
	c->max_members = 0;
	c->rekey_on_join = true;
	c->rekey_on_leave = true;
	c->rekey_after_restart = false;
	c->min_rekey_interval_ms = 1000;
	c->max_stale_sets = 3;
	c->prev_grace = 300;
	c->sid_max_len = 7;
	c->gid_prefix_len = 4;
	c->gid_epoch_len = 4;
}

/* The AEADs this Group Manager can describe to members (crypto.h). */
static bool
aead_supported(int64_t alg)
{
	switch (alg) {
	case KDC_ALG_AES_CCM_16_64_128:
	case KDC_ALG_AES_CCM_16_64_256:
	case KDC_ALG_AES_CCM_16_128_128:
	case KDC_ALG_A128GCM:
	case KDC_ALG_A256GCM:
	case KDC_ALG_CHACHA20_POLY1305:
		return true;
	default:
		return false;
	}
}

static size_t
nonce_len(int64_t alg)
{
	if (!aead_supported(alg))
		return 0;
	return kdc_aead_nonce_len((int)alg);
}

unsigned
kdc_group_sid_len_limit(const struct kdc_group_config *c)
{
	size_t n = SIZE_MAX;

	if (c->group_mode) {
		size_t l = nonce_len(c->gp_enc_alg);
		if (l < n)
			n = l;
	}
	if (c->pairwise_mode) {
		size_t l = nonce_len(c->alg);
		if (l < n)
			n = l;
	}
	if (n == SIZE_MAX || n <= OSCORE_NONCE_OVERHEAD)
		return 0;
	n -= OSCORE_NONCE_OVERHEAD;
	return n > KDC_SID_MAX ? KDC_SID_MAX : (unsigned)n;
}

/* Signature algorithm and curve must agree: EdDSA/Ed25519 on curve
 * Ed25519, ES256/ESP256 on P-256 (GO §14, RFC 9864). */
static const char *
check_sign(const struct kdc_group_config *c)
{
	switch (c->sign_alg) {
	case KDC_ALG_EDDSA:
		return c->sign_crv == KDC_CRV_ED25519
		               ? NULL
		               : "sign_alg -8 (EdDSA) needs sign_crv 6 "
		                 "(Ed25519)";
	case KDC_ALG_ED25519:
		return c->sign_crv == KDC_CRV_ED25519
		               ? NULL
		               : "sign_alg -19 (Ed25519) needs "
		                 "sign_crv 6 (Ed25519)";
	case KDC_ALG_ES256:
		return c->sign_crv == KDC_CRV_P256
		               ? NULL
		               : "sign_alg -7 (ES256) needs sign_crv 1 "
		                 "(P-256)";
	case KDC_ALG_ESP256:
		return c->sign_crv == KDC_CRV_P256
		               ? NULL
		               : "sign_alg -9 (ESP256) needs sign_crv 1 "
		                 "(P-256)";
	default:
		return "sign_alg must be -8 (EdDSA), -19 (Ed25519), "
		       "-7 (ES256) or -9 (ESP256)";
	}
}

static const char *
check_modes(const struct kdc_group_config *c)
{
	const char *why;

	if (!c->group_mode && !c->pairwise_mode)
		return "at least one of group_mode and pairwise_mode must be "
		       "on";
	if (c->group_mode) {
		if (!aead_supported(c->gp_enc_alg) ||
		    kdc_aead_nonce_len((int)c->gp_enc_alg) == 0)
			return "gp_enc_alg must be one of 10, 11, 30 "
			       "(AES-CCM), 1, 3 (AES-GCM) or 24 "
			       "(ChaCha20/Poly1305)";
		why = check_sign(c);
		if (why != NULL)
			return why;
	}
	if (c->pairwise_mode) {
		if (!aead_supported(c->alg) ||
		    kdc_aead_nonce_len((int)c->alg) == 0)
			return "alg must be one of 10, 11, 30 (AES-CCM), 1, 3 "
			       "(AES-GCM) or 24 (ChaCha20/Poly1305)";
		if (c->ecdh_alg != KDC_ALG_ECDH_SS_HKDF_256)
			return "ecdh_alg must be -27 (ECDH-SS+HKDF-256)";
		if (c->ecdh_crv != KDC_CRV_X25519 &&
		    c->ecdh_crv != KDC_CRV_P256)
			return "ecdh_crv must be 4 (X25519) or 1 (P-256)";
		/* With both modes a member has one credential, used for
		 * signing and (converted) for ECDH (GO §14: X25519 with
		 * EdDSA, P-256 with ES256). */
		if (c->group_mode && c->sign_crv == KDC_CRV_ED25519 &&
		    c->ecdh_crv != KDC_CRV_X25519)
			return "with group mode on Ed25519, ecdh_crv must be "
			       "4 (X25519)";
		if (c->group_mode && c->sign_crv == KDC_CRV_P256 &&
		    c->ecdh_crv != KDC_CRV_P256)
			return "with group mode on P-256, ecdh_crv must be 1 "
			       "(P-256)";
	}
	return NULL;
}

static const char *
check_ids(const struct kdc_group_config *c)
{
	unsigned limit = kdc_group_sid_len_limit(c);

	if (c->sid_max_len < 1 || c->sid_max_len > limit) {
		if (limit == 7)
			return "sid_max_len must be 1..7 (AEAD nonce of 13 "
			       "bytes minus 6)";
		if (limit == 6)
			return "sid_max_len must be 1..6 (AEAD nonce of 12 "
			       "bytes minus 6)";
		return "sid_max_len must be at least 1 and at most the AEAD "
		       "nonce length minus 6";
	}
	if (c->gid_prefix_len < 1 || c->gid_prefix_len > MAX_GID_PART)
		return "gid_prefix_len must be 1..8";
	if (c->gid_epoch_len < 1 || c->gid_epoch_len > MAX_GID_PART)
		return "gid_epoch_len must be 1..8";
	if ((unsigned)c->gid_prefix_len + c->gid_epoch_len > KDC_GID_MAX)
		return "gid_prefix_len + gid_epoch_len must be at most 16";
	return NULL;
}

static const char *
check_policies(const struct kdc_group_config *c)
{
	if (c->key_lifetime < MIN_KEY_LIFETIME)
		return "key_lifetime must be at least 10 s";
	if (c->max_stale_sets < 2)
		return "max_stale_sets must be at least 2 (GO §7.1: N > 1)";
	if (c->min_rekey_interval_ms > MAX_MIN_REKEY_INTERVAL)
		return "min_rekey_interval_ms must be at most 3600000 (1 h)";
	return NULL;
}

int
kdc_group_config_validate(const struct kdc_group_config *c, const char **why)
{
	size_t nl = strnlen(c->name, sizeof(c->name));
	const char *w = NULL;

	if (nl == sizeof(c->name) || !kdc_gname_valid(c->name, nl))
		w = "name must be 1..128 characters from A-Z a-z 0-9 - . _ ~";
	else if (strnlen(c->description, sizeof(c->description)) ==
	         sizeof(c->description))
		w = "description must be at most 255 bytes";
	else if (c->hkdf != KDC_ALG_HMAC256_256)
		w = "hkdf must be 5 (HKDF SHA-256, as HMAC 256/256)";
	else if (c->cred_fmt != KDC_HDR_KCCS)
		w = "cred_fmt must be 14 (CCS), the only format supported";
	if (w == NULL)
		w = check_modes(c);
	if (w == NULL)
		w = check_ids(c);
	if (w == NULL)
		w = check_policies(c);
	if (why != NULL)
		*why = w;
	return w == NULL ? 0 : -1;
}

/* ------------------------------------------------------------------ */
/* Name tables */

struct name64 {
	const char *name;
	int64_t value;
};

static const struct name64 alg_names[] = {
        {"EdDSA", KDC_ALG_EDDSA},
        {"Ed25519", KDC_ALG_ED25519},
        {"ES256", KDC_ALG_ES256},
        {"ESP256", KDC_ALG_ESP256},
        {"AES-CCM-16-64-128", KDC_ALG_AES_CCM_16_64_128},
        {"AES-CCM-16-64-256", KDC_ALG_AES_CCM_16_64_256},
        {"AES-CCM-16-128-128", KDC_ALG_AES_CCM_16_128_128},
        {"A128GCM", KDC_ALG_A128GCM},
        {"A256GCM", KDC_ALG_A256GCM},
        {"ChaCha20/Poly1305", KDC_ALG_CHACHA20_POLY1305},
        {"HMAC-256/256", KDC_ALG_HMAC256_256},
        {"HMAC-256/64", KDC_ALG_HMAC256_64},
        {"ECDH-SS+HKDF-256", KDC_ALG_ECDH_SS_HKDF_256},
};

static const struct name64 crv_names[] = {
        {"P-256", KDC_CRV_P256},
        {"X25519", KDC_CRV_X25519},
        {"Ed25519", KDC_CRV_ED25519},
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Strict decimal: optional '-', digits only, no overflow. */
static int
parse_decimal(const char *s, int64_t *out)
{
	bool neg = false;
	uint64_t v = 0;
	uint64_t lim;

	if (*s == '-') {
		neg = true;
		s++;
	}
	if (*s == '\0')
		return -1;
	lim = neg ? (uint64_t)INT64_MAX + 1u : (uint64_t)INT64_MAX;
	for (; *s != '\0'; s++) {
		unsigned d;

		if (*s < '0' || *s > '9')
			return -1;
		d = (unsigned)(*s - '0');
		if (v > (lim - d) / 10u)
			return -1;
		v = v * 10u + d;
	}
	if (neg)
		*out = v == (uint64_t)INT64_MAX + 1u ? INT64_MIN : -(int64_t)v;
	else
		*out = (int64_t)v;
	return 0;
}

static int
table_parse(const struct name64 *t, size_t n, const char *s, int64_t *out)
{
	if (s == NULL)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (strcasecmp(s, t[i].name) == 0) {
			*out = t[i].value;
			return 0;
		}
	}
	return parse_decimal(s, out);
}

const char *
kdc_alg_name(int64_t alg)
{
	for (size_t i = 0; i < NELEM(alg_names); i++)
		if (alg_names[i].value == alg)
			return alg_names[i].name;
	return NULL;
}

int
kdc_alg_parse(const char *s, int64_t *alg)
{
	int64_t v;

	if (table_parse(alg_names, NELEM(alg_names), s, &v) != 0)
		return -1;
	*alg = v;
	return 0;
}

const char *
kdc_crv_name(int crv)
{
	for (size_t i = 0; i < NELEM(crv_names); i++)
		if (crv_names[i].value == crv)
			return crv_names[i].name;
	return NULL;
}

int
kdc_crv_parse(const char *s, int *crv)
{
	int64_t v;

	if (table_parse(crv_names, NELEM(crv_names), s, &v) != 0 ||
	    v < INT_MIN || v > INT_MAX)
		return -1;
	*crv = (int)v;
	return 0;
}
