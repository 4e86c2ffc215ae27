/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kdc_keys.c — the KDC's own credentials (RFC 9594 §4.3.1 kdc_cred; GO §2:
 * in the group's format and compatible with its algorithms).  One current
 * key per kind: Ed25519 and P-256 for signatures, X25519 and P-256 for ECDH
 * (pairwise-only groups).  Generated with libsodium's RNG at first start,
 * sealed at rest by the store, cached unsealed in guarded memory.
 */
#include "gm.h"

#include "clock.h"
#include "crypto.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const kinds[] = {"sign-ed25519", "sign-p256", "dh-x25519",
                                    "dh-p256"};
#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))

/* Cache of the current keys, in kdc_secure_alloc() memory. */
static struct ks_kdc_key *cache[NKINDS];

static int
kind_index(const char *kind)
{
	for (size_t i = 0; i < NKINDS; i++)
		if (strcmp(kinds[i], kind) == 0)
			return (int)i;
	return -1;
}

static int
generate(const char *kind, struct ks_kdc_key *k)
{
	struct kdc_cose_key *p = &k->priv;
	struct kdc_cw w;
	uint8_t *cred;
	size_t len;

	memset(k, 0, sizeof(*k));
	snprintf(k->kind, sizeof(k->kind), "%s", kind);
	if (strcmp(kind, "sign-ed25519") == 0) {
		p->kty = KDC_KTY_OKP;
		p->crv = KDC_CRV_ED25519;
		if (kdc_ed25519_keypair(p->x, p->d) != 0)
			return -1;
	} else if (strcmp(kind, "dh-x25519") == 0) {
		p->kty = KDC_KTY_OKP;
		p->crv = KDC_CRV_X25519;
		if (kdc_x25519_keypair(p->x, p->d) != 0)
			return -1;
	} else {
		p->kty = KDC_KTY_EC2;
		p->crv = KDC_CRV_P256;
		if (kdc_p256_keypair(p->d, p->x, p->y) != 0)
			return -1;
	}
	p->has_pub = true;
	p->has_priv = true;
	/* The credential is a CCS (cred_fmt 14) naming the KDC. */
	kdc_cw_init(&w);
	kdc_ccs_encode(&w, "kdc", p);
	cred = kdc_cw_take(&w, &len);
	if (cred == NULL || len > sizeof(k->cred)) {
		free(cred);
		return -1;
	}
	memcpy(k->cred, cred, len);
	k->cred_len = len;
	free(cred);
	k->created_at = kdc_now();
	return 0;
}

static void
cache_drop(int i)
{
	if (cache[i] != NULL) {
		kdc_secure_free(cache[i]);
		cache[i] = NULL;
	}
}

static const struct ks_kdc_key *
current_ref(struct ks *ks, const char *kind)
{
	int i = kind_index(kind);

	if (i < 0)
		return NULL;
	if (cache[i] == NULL) {
		struct ks_kdc_key *k = kdc_secure_alloc(sizeof(*k));

		if (k == NULL)
			return NULL;
		if (ks_store_kdc_key_current(ks->store, kind, k) != KS_OK) {
			kdc_secure_free(k);
			return NULL;
		}
		cache[i] = k;
	}
	return cache[i];
}

static int
current(struct ks *ks, const char *kind, struct ks_kdc_key *out)
{
	const struct ks_kdc_key *k = current_ref(ks, kind);

	if (k == NULL)
		return KS_NOTFOUND;
	*out = *k;
	return KS_OK;
}

int
ks_kdc_key_rotate(struct ks *ks, const char *kind)
{
	struct ks_kdc_key *k;
	int i = kind_index(kind);
	int rc;

	if (i < 0)
		return KS_NOTFOUND;
	k = kdc_secure_alloc(sizeof(*k));
	if (k == NULL)
		return KS_ERR;
	rc = generate(kind, k) == 0 ? ks_store_kdc_key_put(ks->store, k)
	                            : KS_ERR;
	if (rc == KS_OK) {
		cache_drop(i);
		cache[i] = k;
		log_notice("new KDC credential of kind %s", kind);
	} else {
		kdc_secure_free(k);
	}
	return rc;
}

int
ks_kdc_keys_bootstrap(struct ks *ks)
{
	for (size_t i = 0; i < NKINDS; i++) {
		struct ks_kdc_key *k = kdc_secure_alloc(sizeof(*k));
		int rc;

		if (k == NULL)
			return -1;
		rc = ks_store_kdc_key_current(ks->store, kinds[i], k);
		kdc_secure_free(k);
		if (rc == KS_OK)
			continue;
		if (rc != KS_NOTFOUND ||
		    ks_kdc_key_rotate(ks, kinds[i]) != KS_OK)
			return -1;
	}
	return 0;
}

static const char *
sign_kind(int64_t alg, int crv)
{
	if ((alg == KDC_ALG_EDDSA || alg == KDC_ALG_ED25519) &&
	    crv == KDC_CRV_ED25519)
		return "sign-ed25519";
	if ((alg == KDC_ALG_ES256 || alg == KDC_ALG_ESP256) &&
	    crv == KDC_CRV_P256)
		return "sign-p256";
	return NULL;
}

static const char *
dh_kind(int crv)
{
	return crv == KDC_CRV_X25519 ? "dh-x25519"
	       : crv == KDC_CRV_P256 ? "dh-p256"
	                             : NULL;
}

const struct ks_kdc_key *
ks_kdc_key_sign(struct ks *ks, int64_t alg, int crv)
{
	const char *kind = sign_kind(alg, crv);

	return kind != NULL ? current_ref(ks, kind) : NULL;
}

const struct ks_kdc_key *
ks_kdc_key_dh(struct ks *ks, int crv)
{
	const char *kind = dh_kind(crv);

	return kind != NULL ? current_ref(ks, kind) : NULL;
}

int
ks_kdc_key_for_sign(struct ks *ks, int64_t alg, int crv, struct ks_kdc_key *out)
{
	if ((alg == KDC_ALG_EDDSA || alg == KDC_ALG_ED25519) &&
	    crv == KDC_CRV_ED25519)
		return current(ks, "sign-ed25519", out);
	if ((alg == KDC_ALG_ES256 || alg == KDC_ALG_ESP256) &&
	    crv == KDC_CRV_P256)
		return current(ks, "sign-p256", out);
	return KS_NOTFOUND;
}

int
ks_kdc_key_for_dh(struct ks *ks, int crv, struct ks_kdc_key *out)
{
	if (crv == KDC_CRV_X25519)
		return current(ks, "dh-x25519", out);
	if (crv == KDC_CRV_P256)
		return current(ks, "dh-p256", out);
	return KS_NOTFOUND;
}

void
ks_kdc_keys_forget(void)
{
	for (size_t i = 0; i < NKINDS; i++)
		cache_drop((int)i);
}
