/* SPDX-License-Identifier: Apache-2.0 */
/*
 * adm_trust.c — what the KDC trusts and what it is trusted with: the
 * Authorization Servers whose tokens it accepts (RFC 9200 §5.10.1.1), the
 * KDC's own credentials (RFC 9594 §4.3.1 kdc_cred), and the access tokens
 * it holds.  AS keys are secrets (MAC / encryption keys) or public keys;
 * neither is ever put in a table, an audit row or a log line: an AS key is
 * shown by its kid and a fingerprint.
 */
#include "adm.h"

#include "cbor_in.h"
#include "crypto.h"
#include "gm.h"
#include "log.h"
#include "tokens.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *
as_kind_name(uint8_t kind)
{
	switch (kind) {
	case IPC_AS_SIGN:
		return "sign";
	case IPC_AS_MAC:
		return "mac";
	case IPC_AS_ENCRYPT:
		return "encrypt";
	default:
		return "?";
	}
}

/* Text without NUL, at most max bytes. */
static bool
text_ok(const struct ipc_view *v, size_t max)
{
	return v->n <= max && (v->n == 0 || memchr(v->p, '\0', v->n) == NULL);
}

/* The decoded tree held the key: wipe its byte strings before freeing. */
static void
wipe_tree(cbor_item_t *item)
{
	if (item == NULL || !cbor_isa_map(item))
		return;
	for (size_t i = 0; i < cbor_map_size(item); i++) {
		cbor_item_t *v = cbor_map_handle(item)[i].value;

		if (v != NULL && cbor_isa_bytestring(v) &&
		    cbor_bytestring_is_definite(v) &&
		    cbor_bytestring_handle(v) != NULL)
			kdc_wipe(cbor_bytestring_handle(v),
			         cbor_bytestring_length(v));
	}
}

/* Is key usable for tokens of this kind with alg?  NULL if so, else why. */
static const char *
check_key(uint8_t kind, int64_t alg, const struct kdc_cose_key *k)
{
	if (k->has_alg && k->alg != alg)
		return "the COSE_Key names another algorithm than --alg";
	switch (kind) {
	case IPC_AS_SIGN:
		if (k->kty == KDC_KTY_SYMMETRIC || !k->has_pub)
			return "kind sign needs a public key (OKP or EC2)";
		if (k->has_priv)
			return "give only the public key of the AS, not its "
			       "private key";
		if (alg == KDC_ALG_EDDSA || alg == KDC_ALG_ED25519)
			return k->kty == KDC_KTY_OKP &&
			                       k->crv == KDC_CRV_ED25519
			               ? NULL
			               : "EdDSA needs an OKP Ed25519 key";
		if (alg == KDC_ALG_ES256 || alg == KDC_ALG_ESP256)
			return k->kty == KDC_KTY_EC2 && k->crv == KDC_CRV_P256
			               ? NULL
			               : "ES256 needs an EC2 P-256 key";
		return "kind sign needs alg -8 (EdDSA), -19 (Ed25519), -7 "
		       "(ES256) or -9 (ESP256)";
	case IPC_AS_MAC:
		if (k->kty != KDC_KTY_SYMMETRIC)
			return "kind mac needs a symmetric key";
		if (alg != KDC_ALG_HMAC256_64 && alg != KDC_ALG_HMAC256_256)
			return "kind mac needs alg 4 (HMAC 256/64) or 5 (HMAC "
			       "256/256)";
		if (k->k_len < 16)
			return "an HMAC key needs at least 16 bytes";
		return NULL;
	case IPC_AS_ENCRYPT:
		if (k->kty != KDC_KTY_SYMMETRIC)
			return "kind encrypt needs a symmetric key";
		if (alg < -65536 || alg > 65535 ||
		    kdc_aead_key_len((int)alg) == 0)
			return "kind encrypt needs an AEAD algorithm (e.g. 10 "
			       "AES-CCM-16-64-128, 1 A128GCM, 24 "
			       "ChaCha20/Poly1305)";
		if (k->k_len != kdc_aead_key_len((int)alg))
			return "the key length does not match the algorithm";
		return NULL;
	default:
		return "unknown AS kind";
	}
}

static void
as_row(struct ipc_tab_builder *tb, const struct ks_as *a)
{
	char fpr[17];

	adm_key_fingerprint(&a->key, fpr);
	ipc_tab_int(tb, a->id);
	ipc_tab_textz(tb, a->name);
	ipc_tab_textz(tb, as_kind_name(a->kind));
	adm_tab_alg(tb, a->alg);
	if (a->kid_len > 0)
		ipc_tab_bytes(tb, a->kid, a->kid_len);
	else
		ipc_tab_null(tb);
	if (a->issuer[0] != '\0')
		ipc_tab_textz(tb, a->issuer);
	else
		ipc_tab_null(tb);
	ipc_tab_textz(tb, a->audience);
	ipc_tab_textz(tb, fpr);
	ipc_tab_bool(tb, a->has_psk_kdk);
	ipc_tab_int(tb, a->created_at);
}

static const char *const as_cols[] = {
        "id",        "name",        "kind",
        "alg",       "kid",         "issuer",
        "audience",  "fingerprint", "psk_derivation",
        "created_at"};
#define AS_NCOLS (sizeof(as_cols) / sizeof(as_cols[0]))

/* ---- AS add ---- */

static int
as_fill(struct ks_req *r, const struct ipc_adm_as_add *m, struct ks_as *a)
{
	cbor_item_t *item = NULL;
	const char *why;
	int rc;

	if (m->name[0] == '\0') {
		adm_error(r, IPC_ADM_E_USAGE, "no AS name given");
		return 1;
	}
	if (!text_ok(&m->issuer, KS_ISSUER_MAX) ||
	    !text_ok(&m->audience, KS_ISSUER_MAX)) {
		adm_error(r, IPC_ADM_E_USAGE,
		          "issuer and audience are text of at most %d bytes",
		          KS_ISSUER_MAX);
		return 1;
	}
	if (m->kid.n > KDC_COSE_MAX_KID ||
	    m->psk_derivation_key.n > sizeof(a->psk_kdk)) {
		adm_error(r, IPC_ADM_E_USAGE,
		          "kid or PSK derivation key too long");
		return 1;
	}
	rc = kdc_cbor_decode(m->key.p, m->key.n, NULL, &item);
	if (rc != KDC_CBOR_OK || kdc_cose_key_decode(item, &a->key) != 0) {
		wipe_tree(item);
		if (item != NULL)
			cbor_decref(&item);
		adm_error(r, IPC_ADM_E_USAGE,
		          "the key is not a COSE_Key this KDC can use");
		return 1;
	}
	wipe_tree(item);
	cbor_decref(&item);
	why = check_key(m->kind, m->alg, &a->key);
	if (why != NULL) {
		adm_error(r, IPC_ADM_E_USAGE, "%s", why);
		return 1;
	}
	snprintf(a->name, sizeof(a->name), "%s", m->name);
	if (m->issuer.n > 0)
		memcpy(a->issuer, m->issuer.p, m->issuer.n);
	if (m->audience.n > 0)
		memcpy(a->audience, m->audience.p, m->audience.n);
	else
		snprintf(a->audience, sizeof(a->audience), "%s",
		         r->ks->conf.default_audience);
	a->kind = m->kind;
	a->alg = m->alg;
	if (m->kid.n > 0)
		memcpy(a->kid, m->kid.p, m->kid.n);
	a->kid_len = m->kid.n;
	if (m->psk_derivation_key.n > 0) {
		memcpy(a->psk_kdk, m->psk_derivation_key.p,
		       m->psk_derivation_key.n);
		a->psk_kdk_len = m->psk_derivation_key.n;
		a->has_psk_kdk = true;
	}
	a->created_at = r->now;
	return 0;
}

int
ks_h_adm_as_add(struct ks_req *r)
{
	struct ipc_adm_as_add m;
	struct ipc_tab_builder tb;
	struct ks_as *a;
	char kid[2 * KDC_COSE_MAX_KID + 1], fpr[17];
	int rc;

	if (ipc_dec_adm_as_add(r->payload, r->len, &m) != 0)
		return KS_H_MALFORMED;
	a = kdc_secure_alloc(sizeof(*a));
	if (a == NULL)
		return KS_H_FAIL;
	memset(a, 0, sizeof(*a));
	rc = as_fill(r, &m, a);
	if (rc != 0) {
		kdc_secure_free(a);
		return rc > 0 ? KS_H_OK : KS_H_FAIL;
	}
	rc = ks_store_as_add(r->ks->store, a);
	if (rc == KS_EXISTS) {
		adm_error(r, IPC_ADM_E_EXISTS, "an AS named '%s' exists",
		          a->name);
		kdc_secure_free(a);
		return KS_H_OK;
	}
	if (rc != KS_OK) {
		kdc_secure_free(a);
		return KS_H_FAIL;
	}
	adm_key_fingerprint(&a->key, fpr);
	kdc_hex(kid, sizeof(kid), a->kid, a->kid_len);
	if (ks_audit(r, "as-add", NULL, NULL,
	             "as=%s kind=%s alg=%lld kid=%s fpr=%s aud=%s", a->name,
	             as_kind_name(a->kind), (long long)a->alg,
	             a->kid_len > 0 ? kid : "any", fpr, a->audience) != KS_OK) {
		kdc_secure_free(a);
		return KS_H_FAIL;
	}
	log_notice("AS %s (%s, alg %lld, key %s) trusted by %s", a->name,
	           as_kind_name(a->kind), (long long)a->alg, fpr,
	           r->peer->actor);
	ipc_tab_init(&tb);
	ipc_tab_begin(&tb, "as", as_cols, AS_NCOLS);
	as_row(&tb, a);
	kdc_secure_free(a);
	ks_reply_adm(r, &tb, IPC_ADM_OK, NULL);
	return KS_H_OK;
}

/* ---- AS list / remove ---- */

struct as_ids {
	int64_t v[256];
	size_t n;
	bool more;
	const char *name; /* find one by name */
	int64_t found;
};

static int
as_ids_cb(void *arg, const struct ks_as *a)
{
	struct as_ids *l = arg;

	if (l->name != NULL) {
		if (strcmp(l->name, a->name) == 0) {
			l->found = a->id;
			return 1;
		}
		return 0;
	}
	if (l->n == sizeof(l->v) / sizeof(l->v[0])) {
		l->more = true;
		return 1;
	}
	l->v[l->n++] = a->id;
	return 0;
}

int
ks_h_adm_as_list(struct ks_req *r)
{
	struct ipc_adm_target t;
	struct ipc_tab_builder tb;
	struct as_ids l;
	struct ks_as *a;

	if (ipc_dec_adm_target(r->payload, r->len, &t) != 0)
		return KS_H_MALFORMED;
	memset(&l, 0, sizeof(l));
	if (ks_store_as_list(r->ks->store, as_ids_cb, &l) != KS_OK)
		return KS_H_FAIL;
	a = kdc_secure_alloc(sizeof(*a));
	if (a == NULL)
		return KS_H_FAIL;
	ipc_tab_init(&tb);
	ipc_tab_begin(&tb, "as", as_cols, AS_NCOLS);
	for (size_t i = 0; i < l.n; i++) {
		/* Unsealed only to compute the fingerprint. */
		if (ks_store_as_get(r->ks->store, l.v[i], a) != KS_OK) {
			kdc_secure_free(a);
			ipc_tab_free(&tb);
			return KS_H_FAIL;
		}
		as_row(&tb, a);
		kdc_wipe(a, sizeof(*a));
	}
	kdc_secure_free(a);
	ks_reply_adm(r, &tb, IPC_ADM_OK,
	             l.more ? "truncated: first 256 ASes shown" : NULL);
	return KS_H_OK;
}

struct tok_ids {
	int64_t as_id;
	int64_t *v;
	size_t n, cap;
	bool failed;
};

static int
tok_ids_cb(void *arg, const struct ks_token *t)
{
	struct tok_ids *l = arg;

	if (t->as_id != l->as_id)
		return 0;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		int64_t *v = realloc(l->v, cap * sizeof(*v));

		if (v == NULL) {
			l->failed = true;
			return 1;
		}
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = t->id;
	return 0;
}

int
ks_h_adm_as_remove(struct ks_req *r)
{
	struct ipc_adm_target t;
	struct as_ids l;
	struct tok_ids toks;
	int rc;

	if (ipc_dec_adm_target(r->payload, r->len, &t) != 0)
		return KS_H_MALFORMED;
	if (t.arg[0] == '\0') {
		adm_error(r, IPC_ADM_E_USAGE, "no AS name given");
		return KS_H_OK;
	}
	memset(&l, 0, sizeof(l));
	l.name = t.arg;
	if (ks_store_as_list(r->ks->store, as_ids_cb, &l) != KS_OK)
		return KS_H_FAIL;
	if (l.found == 0) {
		adm_error(r, IPC_ADM_E_NOT_FOUND, "no AS named '%s'", t.arg);
		return KS_H_OK;
	}
	/* Its tokens are no longer trusted: they end now, with their
	 * memberships (and the forward-security rekeys). */
	memset(&toks, 0, sizeof(toks));
	toks.as_id = l.found;
	if (ks_store_token_list(r->ks->store, tok_ids_cb, &toks) != KS_OK ||
	    toks.failed) {
		free(toks.v);
		return KS_H_FAIL;
	}
	for (size_t i = 0; i < toks.n; i++) {
		rc = ks_token_revoke(r->ks, r->peer->actor, toks.v[i]);
		if (rc != KS_OK && rc != KS_NOTFOUND) {
			free(toks.v);
			return KS_H_FAIL;
		}
	}
	free(toks.v);
	if (ks_store_as_remove(r->ks->store, t.arg) != KS_OK)
		return KS_H_FAIL;
	if (ks_audit(r, "as-remove", NULL, NULL, "as=%s tokens_revoked=%zu",
	             t.arg, toks.n) != KS_OK)
		return KS_H_FAIL;
	log_notice("AS %s no longer trusted (by %s; %zu tokens revoked)", t.arg,
	           r->peer->actor, toks.n);
	ks_reply_adm(r, NULL, IPC_ADM_OK, NULL);
	return KS_H_OK;
}

/* ---- KDC credentials ---- */

struct kdc_ctx {
	struct ipc_tab_builder *tb;
	const char *kind; /* filter, may be "" */
	int64_t current_id;
};

static int
kdc_cb(void *arg, const struct ks_kdc_key *k)
{
	struct kdc_ctx *c = arg;

	if (c->kind[0] != '\0' && strcmp(c->kind, k->kind) != 0)
		return 0;
	if (c->tb == NULL) {
		if (k->retired_at == 0)
			c->current_id = k->id;
		return 0;
	}
	ipc_tab_int(c->tb, k->id);
	ipc_tab_textz(c->tb, k->kind);
	ipc_tab_bytes(c->tb, k->cred, k->cred_len); /* public CCS */
	ipc_tab_int(c->tb, k->created_at);
	if (k->retired_at != 0)
		ipc_tab_int(c->tb, k->retired_at);
	else
		ipc_tab_null(c->tb);
	ipc_tab_bool(c->tb, k->retired_at == 0);
	return 0;
}

static const char *const kdc_cols[] = {"id",         "kind",       "cred",
                                       "created_at", "retired_at", "current"};

int
ks_h_adm_kdc_cred_show(struct ks_req *r)
{
	struct ipc_adm_target t;
	struct ipc_tab_builder tb;
	struct kdc_ctx c;

	if (ipc_dec_adm_target(r->payload, r->len, &t) != 0)
		return KS_H_MALFORMED;
	ipc_tab_init(&tb);
	ipc_tab_begin(&tb, "kdc_creds", kdc_cols, 6);
	c.tb = &tb;
	c.kind = t.arg;
	c.current_id = 0;
	if (ks_store_kdc_key_list(r->ks->store, kdc_cb, &c) != KS_OK) {
		ipc_tab_free(&tb);
		return KS_H_FAIL;
	}
	ks_reply_adm(r, &tb, IPC_ADM_OK, NULL);
	return KS_H_OK;
}

int
ks_h_adm_kdc_cred_rotate(struct ks_req *r)
{
	struct ipc_adm_target t;
	struct ipc_tab_builder tb;
	struct kdc_ctx c;
	int rc;

	if (ipc_dec_adm_target(r->payload, r->len, &t) != 0)
		return KS_H_MALFORMED;
	rc = ks_kdc_key_rotate(r->ks, t.arg);
	if (rc == KS_NOTFOUND) {
		adm_error(r, IPC_ADM_E_USAGE,
		          "unknown credential kind '%s' (sign-ed25519, "
		          "sign-p256, dh-x25519 or dh-p256)",
		          t.arg);
		return KS_H_OK;
	}
	if (rc != KS_OK)
		return KS_H_FAIL;
	c.tb = NULL;
	c.kind = t.arg;
	c.current_id = 0;
	if (ks_store_kdc_key_list(r->ks->store, kdc_cb, &c) != KS_OK ||
	    ks_audit(r, "kdc-cred-rotate", NULL, NULL, "kind=%s id=%lld", t.arg,
	             (long long)c.current_id) != KS_OK)
		return KS_H_FAIL;
	log_notice("KDC credential %s rotated by %s", t.arg, r->peer->actor);
	ipc_tab_init(&tb);
	ipc_tab_begin(&tb, "kdc_creds", kdc_cols, 6);
	c.tb = &tb;
	if (ks_store_kdc_key_list(r->ks->store, kdc_cb, &c) != KS_OK) {
		ipc_tab_free(&tb);
		return KS_H_FAIL;
	}
	ks_reply_adm(r, &tb, IPC_ADM_OK, NULL);
	return KS_H_OK;
}

/* ---- tokens ---- */

struct tok_ctx {
	struct ipc_tab_builder *tb;
	size_t n;
};

static int
tok_cb(void *arg, const struct ks_token *t)
{
	struct tok_ctx *c = arg;

	if (c->n >= ADM_MAX_ROWS)
		return 1;
	c->n++;
	ipc_tab_int(c->tb, t->id);
	ipc_tab_int(c->tb, t->as_id);
	ipc_tab_textz(c->tb, t->pop_kind == KS_POP_SYMMETRIC ? "symmetric"
	                                                     : "asymmetric");
	if (t->pop_kid_len > 0)
		ipc_tab_bytes(c->tb, t->pop_kid, t->pop_kid_len);
	else
		ipc_tab_null(c->tb);
	ipc_tab_int(c->tb, t->exp);
	ipc_tab_bytes(c->tb, t->scope, t->scope_len);
	ipc_tab_textz(c->tb, t->via == KS_VIA_DTLS ? "dtls" : "authz-info");
	ipc_tab_bool(c->tb, t->revoked);
	ipc_tab_int(c->tb, t->received_at);
	return 0;
}

int
ks_h_adm_token_list(struct ks_req *r)
{
	static const char *const cols[] = {"id",  "as",      "pop",
	                                   "kid", "exp",     "scope",
	                                   "via", "revoked", "received_at"};
	struct ipc_adm_target t;
	struct ipc_tab_builder tb;
	struct tok_ctx c;
	int64_t total = 0;
	char note[96];

	if (ipc_dec_adm_target(r->payload, r->len, &t) != 0)
		return KS_H_MALFORMED;
	if (ks_store_token_count(r->ks->store, &total) != KS_OK)
		return KS_H_FAIL;
	ipc_tab_init(&tb);
	ipc_tab_begin(&tb, "tokens", cols, sizeof(cols) / sizeof(cols[0]));
	c.tb = &tb;
	c.n = 0;
	if (ks_store_token_list(r->ks->store, tok_cb, &c) != KS_OK) {
		ipc_tab_free(&tb);
		return KS_H_FAIL;
	}
	note[0] = '\0';
	if (total > (int64_t)c.n)
		snprintf(note, sizeof(note),
		         "truncated: %zu of %lld tokens shown", c.n,
		         (long long)total);
	ks_reply_adm(r, &tb, IPC_ADM_OK, note[0] != '\0' ? note : NULL);
	return KS_H_OK;
}

int
ks_h_adm_token_revoke(struct ks_req *r)
{
	struct ipc_adm_target t;
	int rc;

	if (ipc_dec_adm_target(r->payload, r->len, &t) != 0)
		return KS_H_MALFORMED;
	if (t.id <= 0) {
		adm_error(r, IPC_ADM_E_USAGE, "no token id given");
		return KS_H_OK;
	}
	/* Memberships end, frontends drop the binding, audited. */
	rc = ks_token_revoke(r->ks, r->peer->actor, t.id);
	if (rc == KS_NOTFOUND) {
		adm_error(r, IPC_ADM_E_NOT_FOUND, "no token %lld",
		          (long long)t.id);
		return KS_H_OK;
	}
	if (rc != KS_OK)
		return KS_H_FAIL;
	log_notice("token %lld revoked by %s", (long long)t.id, r->peer->actor);
	ks_reply_adm(r, NULL, IPC_ADM_OK, NULL);
	return KS_H_OK;
}
