/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests of the keystore's token handling (keystore/tokens_*.c): POST
 * /authz-info with every protection and every RFC 9200 §5.10.1.1 failure
 * class, the Token Transfer Response of RFC 9594 §3.3 / GO §5.3, token
 * replacement, the RFC 9202 §4 dynamic update, the PSK identity forms of
 * docs/DESIGN.md §3, RPK SubjectPublicKeyInfo lookups, and expiry.
 *
 * Each test runs against a fresh SQLite store in a temporary directory,
 * with a minimal struct ks, one fake frontend peer, and the batch outbox
 * inspected directly.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cbor_in.h"
#include "cbor_out.h"
#include "clock.h"
#include "conf.h"
#include "cose.h"
#include "crypto.h"
#include "cwt.h"
#include "gm.h"
#include "handlers.h"
#include "ks.h"
#include "log.h"
#include "rekey.h"
#include "store.h"
#include "tokens.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define AUD "kdc.example"
#define ISS "as.example"

static const uint8_t KEK[32] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11,
                                12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
                                23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
static const uint8_t AS_KDK[32] = {
        0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4a,
        0x4b, 0x4c, 0x4d, 0x4e, 0x4f, 0x50, 0x51, 0x52, 0x53, 0x54, 0x55,
        0x56, 0x57, 0x58, 0x59, 0x5a, 0x5b, 0x5c, 0x5d, 0x5e, 0x5f};

struct fx {
	char dir[64];
	char db[128];
	struct ks ks;
	struct ks_peer peer;
	int64_t now;
	uint32_t reqid;
	struct kdc_cose_key as_sign;  /* Ed25519 private key of the AS */
	struct kdc_cose_key as_mac;   /* HMAC 256/64 key */
	struct kdc_cose_key as_enc;   /* AES-CCM-16-64-128 key */
	struct kdc_cose_key as_other; /* an untrusted Ed25519 key */
	struct ks_out *last;          /* outbox entries taken by out_take() */
};
static struct fx F;

/* ------------------------------------------------------------------ */
/* helpers: keys, scopes, tokens */

static void
sym_key(struct kdc_cose_key *k, uint8_t fill, size_t len, const char *kid)
{
	memset(k, 0, sizeof(*k));
	k->kty = KDC_KTY_SYMMETRIC;
	memset(k->k, fill, len);
	k->k_len = len;
	if (kid != NULL) {
		memcpy(k->kid, kid, strlen(kid));
		k->kid_len = strlen(kid);
	}
}

static void
ed_key(struct kdc_cose_key *k, uint8_t seed_fill)
{
	uint8_t seed[32];

	memset(k, 0, sizeof(*k));
	memset(seed, seed_fill, sizeof(seed));
	k->kty = KDC_KTY_OKP;
	k->crv = KDC_CRV_ED25519;
	assert_int_equal(kdc_ed25519_sk_from_seed(seed, k->x, k->d), 0);
	k->has_pub = true;
	k->has_priv = true;
}

static void
p256_key(struct kdc_cose_key *k, uint8_t d_fill)
{
	memset(k, 0, sizeof(*k));
	memset(k->d, d_fill, 32);
	k->kty = KDC_KTY_EC2;
	k->crv = KDC_CRV_P256;
	assert_int_equal(kdc_p256_public(k->d, k->x, k->y), 0);
	k->has_pub = true;
	k->has_priv = true;
}

struct sc {
	const char *g;
	uint64_t perm;
};

/* AIF scope content [[g, perm], ...]. */
static size_t
scope_bytes(uint8_t *out, size_t cap, const struct sc *e, size_t n)
{
	struct kdc_cw w;
	size_t len;

	kdc_cw_init(&w);
	kdc_cw_array(&w, n);
	for (size_t i = 0; i < n; i++) {
		kdc_cw_array(&w, 2);
		kdc_cw_tstrz(&w, e[i].g);
		kdc_cw_uint(&w, e[i].perm);
	}
	assert_true(kdc_cw_ok(&w));
	assert_true(w.len <= cap);
	memcpy(out, w.buf, w.len);
	len = w.len;
	kdc_cw_free(&w);
	return len;
}

enum cnf_kind {
	CNF_NONE,
	CNF_KEY,          /* COSE_Key (symmetric with k, or public) */
	CNF_KID,          /* method 3 */
	CNF_KID_COSE_KEY, /* COSE_Key {1: 4, 2: kid} */
};

struct tokspec {
	const char *iss;
	const char *aud; /* NULL: AUD; "" : none */
	bool no_exp;
	int64_t exp; /* relative to F.now; 0 → +3600 */
	bool has_exi;
	uint64_t exi;
	bool has_iat;
	int64_t iat; /* relative to F.now */
	const char *cti;
	const uint8_t *cti_bin; /* instead of cti: binary, cti_len bytes */
	size_t cti_len;
	bool no_scope;
	bool scope_text;
	uint64_t scope_tag;
	const uint8_t *scope; /* NULL: [["g1", 6]] */
	size_t scope_len;
	enum cnf_kind cnf;
	const struct kdc_cose_key *pop;
	const char *kid;
};

static void
encode_claims(struct kdc_cw *w, const struct tokspec *s)
{
	static const uint8_t def_scope[] = {0x81, 0x82, 0x62, 0x67, 0x31, 0x06};
	const char *aud = s->aud ? s->aud : AUD;
	size_t n = 0;

	n += s->iss != NULL;
	n += aud[0] != '\0';
	n += !s->no_exp;
	n += s->cti != NULL || s->cti_bin != NULL;
	n += s->cnf != CNF_NONE;
	n += !s->no_scope;
	n += s->has_exi;
	n += s->has_iat;
	kdc_cw_map(w, n);
	if (s->iss != NULL) {
		kdc_cw_uint(w, KDC_CLAIM_ISS);
		kdc_cw_tstrz(w, s->iss);
	}
	if (aud[0] != '\0') {
		kdc_cw_uint(w, KDC_CLAIM_AUD);
		kdc_cw_tstrz(w, aud);
	}
	if (!s->no_exp) {
		kdc_cw_uint(w, KDC_CLAIM_EXP);
		kdc_cw_int(w, F.now + (s->exp ? s->exp : 3600));
	}
	if (s->cti != NULL) {
		kdc_cw_uint(w, KDC_CLAIM_CTI);
		kdc_cw_bstr(w, (const uint8_t *)s->cti, strlen(s->cti));
	} else if (s->cti_bin != NULL) {
		kdc_cw_uint(w, KDC_CLAIM_CTI);
		kdc_cw_bstr(w, s->cti_bin, s->cti_len);
	}
	if (s->cnf != CNF_NONE) {
		kdc_cw_uint(w, KDC_CLAIM_CNF);
		kdc_cw_map(w, 1);
		switch (s->cnf) {
		case CNF_KEY:
			kdc_cw_uint(w, KDC_CNF_COSE_KEY);
			kdc_cose_key_encode(w, s->pop,
			                    s->pop->kty == KDC_KTY_SYMMETRIC);
			break;
		case CNF_KID:
			kdc_cw_uint(w, KDC_CNF_KID);
			kdc_cw_bstr(w, (const uint8_t *)s->kid, strlen(s->kid));
			break;
		case CNF_KID_COSE_KEY:
			kdc_cw_uint(w, KDC_CNF_COSE_KEY);
			kdc_cw_map(w, 2);
			kdc_cw_uint(w, KDC_KEY_KTY);
			kdc_cw_uint(w, KDC_KTY_SYMMETRIC);
			kdc_cw_uint(w, KDC_KEY_KID);
			kdc_cw_bstr(w, (const uint8_t *)s->kid, strlen(s->kid));
			break;
		default:
			break;
		}
	}
	if (!s->no_scope) {
		const uint8_t *sc = s->scope ? s->scope : def_scope;
		size_t sl = s->scope ? s->scope_len : sizeof(def_scope);

		kdc_cw_uint(w, KDC_CLAIM_SCOPE);
		if (s->scope_tag != 0)
			kdc_cw_tag(w, s->scope_tag);
		if (s->scope_text)
			kdc_cw_tstr(w, (const char *)sc, sl);
		else
			kdc_cw_bstr(w, sc, sl);
	}
	if (s->has_exi) {
		kdc_cw_uint(w, KDC_CLAIM_EXI);
		kdc_cw_uint(w, s->exi);
	}
	if (s->has_iat) {
		kdc_cw_uint(w, KDC_CLAIM_IAT);
		kdc_cw_int(w, F.now + s->iat);
	}
}

enum prot {
	P_SIGN1,
	P_MAC0,
	P_ENC0,
	P_NESTED,
	P_NESTED_MAC, /* Encrypt0 of one AS around a Mac0 of another */
	P_SIGN1_UNTRUSTED,
	P_MAC0_NOKID
};

struct tok {
	uint8_t *p;
	size_t n;
};

static void
protect(struct kdc_cw *out, enum prot p, const uint8_t *pl, size_t pl_len)
{
	struct kdc_cose_create c;

	memset(&c, 0, sizeof(c));
	c.tagged = true;
	switch (p) {
	case P_SIGN1:
	case P_SIGN1_UNTRUSTED:
		c.alg = KDC_ALG_EDDSA;
		c.kid = (const uint8_t *)"as-s";
		c.kid_len = 4;
		assert_int_equal(kdc_cose_sign1_create(out, &c,
		                                       p == P_SIGN1
		                                               ? &F.as_sign
		                                               : &F.as_other,
		                                       pl, pl_len),
		                 0);
		break;
	case P_MAC0:
	case P_MAC0_NOKID:
		c.alg = KDC_ALG_HMAC256_64;
		c.kid = (const uint8_t *)(p == P_MAC0 ? "as-m" : "nobody");
		c.kid_len = p == P_MAC0 ? 4 : 6;
		assert_int_equal(
		        kdc_cose_mac0_create(out, &c, &F.as_mac, pl, pl_len),
		        0);
		break;
	case P_ENC0:
		c.alg = KDC_ALG_AES_CCM_16_64_128;
		c.kid = (const uint8_t *)"as-e";
		c.kid_len = 4;
		assert_int_equal(kdc_cose_encrypt0_create(out, &c, &F.as_enc,
		                                          pl, pl_len),
		                 0);
		break;
	case P_NESTED_MAC:
	case P_NESTED: {
		/* RFC 8392 A.6: Encrypt0 around a Sign1. */
		struct kdc_cw inner;

		kdc_cw_init(&inner);
		protect(&inner, p == P_NESTED ? P_SIGN1 : P_MAC0, pl, pl_len);
		protect(out, P_ENC0, inner.buf, inner.len);
		kdc_cw_free(&inner);
		break;
	}
	}
}

static struct tok
make_token(const struct tokspec *s, enum prot p, bool tag61)
{
	struct kdc_cw claims, out;
	struct tok t;

	kdc_cw_init(&claims);
	encode_claims(&claims, s);
	assert_true(kdc_cw_ok(&claims));
	kdc_cw_init(&out);
	if (tag61)
		kdc_cw_tag(&out, KDC_TAG_CWT);
	protect(&out, p, claims.buf, claims.len);
	assert_true(kdc_cw_ok(&out));
	t.p = kdc_cw_take(&out, &t.n);
	kdc_cw_free(&claims);
	return t;
}

/* ------------------------------------------------------------------ */
/* helpers: requests and the outbox */

static void
out_free_list(struct ks_out *o)
{
	while (o != NULL) {
		struct ks_out *next = o->next;

		free(o->payload);
		free(o);
		o = next;
	}
}

/* Detach everything queued so far (kept in F.last until the next take). */
static struct ks_out *
out_take(void)
{
	out_free_list(F.last);
	F.last = F.ks.batch.head;
	F.ks.batch.head = NULL;
	F.ks.batch.tail = &F.ks.batch.head;
	F.ks.batch.count = 0;
	return F.last;
}

static size_t
out_count(const struct ks_out *o)
{
	size_t n = 0;

	for (; o != NULL; o = o->next)
		n++;
	return n;
}

static int
run(uint16_t type, int (*h)(struct ks_req *), struct ipc_wbuf *w, int64_t now)
{
	struct ks_req r;
	int rc;

	memset(&r, 0, sizeof(r));
	r.ks = &F.ks;
	r.peer = &F.peer;
	r.type = type;
	r.reqid = ++F.reqid;
	r.payload = w->p;
	r.len = w->len;
	r.now = now;
	assert_int_equal(ks_store_savepoint(F.ks.store), KS_OK);
	rc = h(&r);
	if (rc == KS_H_OK)
		assert_int_equal(ks_store_release(F.ks.store), KS_OK);
	else
		assert_int_equal(ks_store_rollback_to(F.ks.store), KS_OK);
	ipc_wbuf_free(w);
	return rc;
}

/* The one reply of the last request. */
static const struct ks_out *
reply_of(const struct ks_out *o, uint16_t type)
{
	const struct ks_out *found = NULL;

	for (; o != NULL; o = o->next) {
		if (o->flags & IPC_F_REPLY) {
			assert_null(found);
			found = o;
		}
	}
	assert_non_null(found);
	assert_int_equal(found->type, type);
	assert_int_equal(found->reqid, F.reqid);
	assert_int_equal(found->conn_id, F.peer.conn_id);
	return found;
}

static uint8_t
authz_at(int32_t cf, const uint8_t *p, size_t n, uint8_t transport,
         const struct ipc_binding *b, int64_t now, struct ipc_coap_result *res)
{
	struct ipc_authz_info m;
	struct ipc_wbuf w;
	const struct ks_out *o;

	memset(&m, 0, sizeof(m));
	m.content_format = cf;
	m.payload.p = p;
	m.payload.n = n;
	m.transport = transport;
	if (b != NULL)
		m.binding = *b;
	ipc_wbuf_init(&w);
	assert_int_equal(ipc_enc_authz_info(&w, &m), 0);
	assert_int_equal(run(IPC_MSG_AUTHZ_INFO, ks_h_authz_info, &w, now),
	                 KS_H_OK);
	o = reply_of(out_take(), IPC_MSG_COAP_RESULT);
	assert_int_equal(ipc_dec_coap_result(o->payload, o->len, res), 0);
	return res->code;
}

static uint8_t
authz(int32_t cf, const struct tok *t, struct ipc_coap_result *res)
{
	return authz_at(cf, t->p, t->n, IPC_TRANSPORT_PLAIN, NULL, F.now, res);
}

/* Post t as application/cwt and free it; returns the code. */
static uint8_t
post(struct tok t, struct ipc_coap_result *res)
{
	uint8_t code = authz(KDC_CF_CWT, &t, res);

	free(t.p);
	return code;
}

static void
psk_at(const uint8_t *id, size_t n, int64_t now, struct ipc_psk_result *res)
{
	struct ipc_psk_identity m;
	struct ipc_wbuf w;
	const struct ks_out *o;

	m.identity.p = id;
	m.identity.n = n;
	ipc_wbuf_init(&w);
	assert_int_equal(ipc_enc_psk_identity(&w, &m), 0);
	assert_int_equal(run(IPC_MSG_PSK_IDENTITY, ks_h_psk_identity, &w, now),
	                 KS_H_OK);
	o = reply_of(out_take(), IPC_MSG_PSK_RESULT);
	assert_int_equal(ipc_dec_psk_result(o->payload, o->len, res), 0);
}

static void
rpk(const uint8_t *spki, size_t n, struct ipc_psk_result *res)
{
	struct ipc_rpk_identity m;
	struct ipc_wbuf w;
	const struct ks_out *o;

	m.spki.p = spki;
	m.spki.n = n;
	ipc_wbuf_init(&w);
	assert_int_equal(ipc_enc_rpk_identity(&w, &m), 0);
	assert_int_equal(
	        run(IPC_MSG_RPK_IDENTITY, ks_h_rpk_identity, &w, F.now),
	        KS_H_OK);
	o = reply_of(out_take(), IPC_MSG_PSK_RESULT);
	assert_int_equal(ipc_dec_psk_result(o->payload, o->len, res), 0);
}

/* Decode the 2.01 payload map. */
static cbor_item_t *
answer_map(const struct ipc_coap_result *res)
{
	cbor_item_t *m = NULL;

	assert_int_equal(res->code, KS_CODE(2, 1));
	assert_int_equal(res->content_format, KDC_CF_ACE_CBOR);
	assert_int_equal(
	        kdc_cbor_decode(res->payload.p, res->payload.n, NULL, &m),
	        KDC_CBOR_OK);
	assert_true(cbor_isa_map(m));
	return m;
}

static void
token_by_binding(const struct ipc_binding *b, struct ks_token *t)
{
	assert_int_equal(ks_store_token_by_handle(F.ks.store, b, true, t),
	                 KS_OK);
}

static struct ks_group
group_create(const char *name, bool group_mode, bool pairwise_mode)
{
	struct kdc_group_config cfg;
	struct ks_group g;
	char err[128];

	kdc_group_config_defaults(&cfg);
	snprintf(cfg.name, sizeof(cfg.name), "%s", name);
	cfg.group_mode = group_mode;
	cfg.pairwise_mode = pairwise_mode;
	cfg.rekey_on_leave = false;
	assert_int_equal(gm_group_create(&F.ks, &cfg, &g, err, sizeof(err)),
	                 KS_OK);
	return g;
}

/* ------------------------------------------------------------------ */
/* fixture */

static int
setup(void **state)
{
	struct ks_as a;

	(void)state;
	memset(&F, 0, sizeof(F));
	assert_int_equal(kdc_crypto_init(), 0);
	snprintf(F.dir, sizeof(F.dir), "/tmp/kdc-tok-XXXXXX");
	assert_non_null(mkdtemp(F.dir));
	snprintf(F.db, sizeof(F.db), "%s/kdc.sqlite", F.dir);
	assert_int_equal(ks_store_open(F.db, KEK, &F.ks.store), KS_OK);
	kdc_conf_defaults(&F.ks.conf);
	F.ks.conf.clock_skew = 30;
	F.ks.conf.max_tokens = 0;
	F.ks.batch.tail = &F.ks.batch.head;
	F.ks.batch.open = true;
	F.peer.ks = &F.ks;
	F.peer.conn_id = 7;
	F.peer.kind = IPC_PEER_FRONTEND;
	snprintf(F.peer.actor, sizeof(F.peer.actor), "frontend@test");
	F.ks.peers = &F.peer;
	F.now = kdc_now();

	ed_key(&F.as_sign, 0x11);
	ed_key(&F.as_other, 0x22);
	sym_key(&F.as_mac, 0x33, 32, NULL);
	sym_key(&F.as_enc, 0x44, 16, NULL);

	/* Three trusted ASes, one per COSE kind. */
	memset(&a, 0, sizeof(a));
	snprintf(a.name, sizeof(a.name), "as-sign");
	snprintf(a.issuer, sizeof(a.issuer), ISS);
	snprintf(a.audience, sizeof(a.audience), AUD);
	a.kind = IPC_AS_SIGN;
	a.alg = KDC_ALG_EDDSA;
	memcpy(a.kid, "as-s", 4);
	a.kid_len = 4;
	a.key = F.as_sign;
	memset(a.key.d, 0, sizeof(a.key.d));
	a.key.has_priv = false;
	a.has_psk_kdk = true;
	memcpy(a.psk_kdk, AS_KDK, sizeof(AS_KDK));
	a.psk_kdk_len = sizeof(AS_KDK);
	assert_int_equal(ks_store_as_add(F.ks.store, &a), KS_OK);

	memset(&a, 0, sizeof(a));
	snprintf(a.name, sizeof(a.name), "as-mac");
	snprintf(a.audience, sizeof(a.audience), AUD);
	a.kind = IPC_AS_MAC;
	a.alg = KDC_ALG_HMAC256_64;
	memcpy(a.kid, "as-m", 4);
	a.kid_len = 4;
	a.key = F.as_mac;
	assert_int_equal(ks_store_as_add(F.ks.store, &a), KS_OK);

	memset(&a, 0, sizeof(a));
	snprintf(a.name, sizeof(a.name), "as-enc");
	snprintf(a.issuer, sizeof(a.issuer), ISS);
	snprintf(a.audience, sizeof(a.audience), AUD);
	a.kind = IPC_AS_ENCRYPT;
	a.alg = KDC_ALG_AES_CCM_16_64_128;
	memcpy(a.kid, "as-e", 4);
	a.kid_len = 4;
	a.key = F.as_enc;
	assert_int_equal(ks_store_as_add(F.ks.store, &a), KS_OK);

	assert_int_equal(ks_store_begin(F.ks.store), KS_OK);
	return 0;
}

static int
teardown(void **state)
{
	char cmd[160];

	(void)state;
	out_take();
	out_free_list(F.last);
	F.last = NULL;
	while (F.ks.groups_rt != NULL)
		ks_group_rt_forget(&F.ks, F.ks.groups_rt->group_id);
	if (ks_store_in_txn(F.ks.store))
		ks_store_rollback(F.ks.store);
	ks_store_close(F.ks.store);
	ks_kdc_keys_forget();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", F.dir);
	assert_int_equal(system(cmd), 0);
	return 0;
}

/* ------------------------------------------------------------------ */
/* authz-info: success with every protection */

static void
check_stored(const struct ipc_coap_result *res, uint8_t pop_kind,
             const uint8_t *scope, size_t scope_len)
{
	struct ks_token t;

	assert_true(ipc_binding_is_set(&res->binding));
	token_by_binding(&res->binding, &t);
	assert_int_equal(t.pop_kind, pop_kind);
	assert_int_equal(t.via, KS_VIA_AUTHZ_INFO);
	assert_int_equal(t.exp, F.now + 3600);
	assert_int_equal(t.scope_len, scope_len);
	assert_memory_equal(t.scope, scope, scope_len);
	assert_false(t.revoked);
}

struct audit_seen {
	size_t n;
	char detail[256];
};

static int
audit_cb(void *arg, const struct ks_audit_row *r)
{
	struct audit_seen *a = arg;

	a->n++;
	snprintf(a->detail, sizeof(a->detail), "%s",
	         r->detail != NULL ? r->detail : "");
	return 0;
}

static const uint8_t SCOPE_G1_6[] = {0x81, 0x82, 0x62, 0x67, 0x31, 0x06};

static void
test_sign1_rpk(void **state)
{
	struct kdc_cose_key pop;
	struct tokspec s = {
	        .iss = ISS, .cnf = CNF_KEY, .pop = &pop, .cti = "c1"};
	struct ipc_coap_result res;
	struct ks_token t;
	cbor_item_t *m;
	const uint8_t *ns;
	size_t nsl;

	(void)state;
	ed_key(&pop, 0x51);
	assert_int_equal(post(make_token(&s, P_SIGN1, false), &res),
	                 KS_CODE(2, 1));
	check_stored(&res, KS_POP_ASYMMETRIC, SCOPE_G1_6, sizeof(SCOPE_G1_6));
	/* Requester+Responder needs a credential: kdcchallenge (46) of 16
	 * bytes, stored as N_S; nothing else was asked for. */
	m = answer_map(&res);
	assert_int_equal(cbor_map_size(m), 1);
	assert_true(kdc_cbor_get_bstr(kdc_cbor_map_get(m, 46), &ns, &nsl));
	assert_int_equal(nsl, 16);
	token_by_binding(&res.binding, &t);
	assert_int_equal(t.ns_len, 16);
	assert_memory_equal(t.ns, ns, 16);
	assert_true(kdc_cose_key_same_public(&t.pop_key, &pop));
	assert_int_equal(t.cti_len, 2);
	assert_memory_equal(t.cti, "c1", 2);
	cbor_decref(&m);
}

static void
test_mac0_rpk_p256_tag61(void **state)
{
	struct kdc_cose_key pop;
	struct tokspec s = {.cnf = CNF_KEY, .pop = &pop};
	struct ipc_coap_result res;

	(void)state;
	p256_key(&pop, 0x07);
	/* CWT tag 61 in front of the COSE tag; the MAC AS has no issuer,
	 * so no iss is needed. */
	assert_int_equal(post(make_token(&s, P_MAC0, true), &res),
	                 KS_CODE(2, 1));
	check_stored(&res, KS_POP_ASYMMETRIC, SCOPE_G1_6, sizeof(SCOPE_G1_6));
}

static void
test_encrypt0_symmetric(void **state)
{
	struct kdc_cose_key pop;
	struct tokspec s = {.iss = ISS, .cnf = CNF_KEY, .pop = &pop};
	struct ipc_coap_result res;
	struct ks_token t;

	(void)state;
	sym_key(&pop, 0x61, 16, "psk-kid-1");
	assert_int_equal(post(make_token(&s, P_ENC0, false), &res),
	                 KS_CODE(2, 1));
	check_stored(&res, KS_POP_SYMMETRIC, SCOPE_G1_6, sizeof(SCOPE_G1_6));
	token_by_binding(&res.binding, &t);
	assert_int_equal(t.pop_key.k_len, 16);
	assert_memory_equal(t.pop_key.k, pop.k, 16);
	assert_int_equal(t.pop_kid_len, 9);
	assert_memory_equal(t.pop_kid, "psk-kid-1", 9);
	/* Audited by kid, never with the key. */
	{
		struct audit_seen a = {0};

		assert_int_equal(ks_store_audit_query(F.ks.store, 0, NULL,
		                                      "token-store", 10,
		                                      audit_cb, &a),
		                 KS_OK);
		assert_int_equal(a.n, 1);
		assert_non_null(strstr(a.detail, "kid=70736b2d6b69642d31"));
		assert_null(strstr(a.detail, "61616161"));
	}
}

static void
test_nested_encrypt0_sign1(void **state)
{
	struct kdc_cose_key pop;
	struct tokspec s = {.iss = ISS, .cnf = CNF_KEY, .pop = &pop};
	struct ipc_coap_result res;

	(void)state;
	sym_key(&pop, 0x62, 16, "psk-kid-2");
	assert_int_equal(post(make_token(&s, P_NESTED, true), &res),
	                 KS_CODE(2, 1));
	check_stored(&res, KS_POP_SYMMETRIC, SCOPE_G1_6, sizeof(SCOPE_G1_6));
}

/* RFC 9202 §3.3.1: a token with only a kid; the key is derived. */
static void
expect_derived(const struct tok *tk, const struct ipc_coap_result *res,
               const char *kid)
{
	static const char label[] = "ACE-CoAP-DTLS-key-derivation";
	uint8_t info[4096], key[16];
	size_t n = 0;
	struct ks_token t;

	/* info = ["ACE-CoAP-DTLS-key-derivation", 16, bstr(token)], built by
	 * hand: array(3), tstr(28), uint 16, bstr. */
	info[n++] = 0x83;
	info[n++] = 0x78;
	info[n++] = 28;
	memcpy(info + n, label, 28);
	n += 28;
	info[n++] = 0x10;
	assert_true(tk->n >= 24 && tk->n < 256);
	info[n++] = 0x58;
	info[n++] = (uint8_t)tk->n;
	memcpy(info + n, tk->p, tk->n);
	n += tk->n;
	assert_int_equal(kdc_hkdf_sha256(NULL, 0, AS_KDK, sizeof(AS_KDK), info,
	                                 n, key, sizeof(key)),
	                 0);
	token_by_binding(&res->binding, &t);
	assert_int_equal(t.pop_kind, KS_POP_SYMMETRIC);
	assert_int_equal(t.pop_key.k_len, 16);
	assert_memory_equal(t.pop_key.k, key, 16);
	assert_int_equal(t.pop_kid_len, strlen(kid));
	assert_memory_equal(t.pop_kid, kid, strlen(kid));
}

static void
test_kid_only_derivation(void **state)
{
	struct tokspec s = {
	        .iss = ISS, .cnf = CNF_KID, .kid = "ref-1", .cti = "d1"};
	struct tokspec s2 = {
	        .iss = ISS, .cnf = CNF_KID_COSE_KEY, .kid = "ref-2"};
	struct ipc_coap_result res;
	struct tok tk;

	(void)state;
	tk = make_token(&s, P_SIGN1, false);
	assert_int_equal(authz(KDC_CF_CWT, &tk, &res), KS_CODE(2, 1));
	expect_derived(&tk, &res, "ref-1");
	free(tk.p);
	tk = make_token(&s2, P_SIGN1, false);
	assert_int_equal(authz(KDC_CF_OCTET_STREAM, &tk, &res), KS_CODE(2, 1));
	expect_derived(&tk, &res, "ref-2");
	free(tk.p);
	/* The MAC AS has no key-derivation key: the reference is unusable. */
	s.kid = "ref-3";
	assert_int_equal(post(make_token(&s, P_MAC0, false), &res),
	                 KS_CODE(4, 0));
}

/* The cti of an exi token (RFC 9200 §5.10.3): our audience (the RS
 * identifier), then the sequence number in n bytes. */
static size_t
exi_cti(uint8_t *out, uint64_t seq, size_t n)
{
	size_t l = strlen(AUD);

	memcpy(out, AUD, l);
	for (size_t i = 0; i < n; i++) {
		size_t shift = 8 * (n - 1 - i);

		out[l + i] = shift < 64 ? (uint8_t)(seq >> shift) : 0;
	}
	return l + n;
}

static void
test_exi(void **state)
{
	struct kdc_cose_key pop;
	uint8_t cti[64];
	struct tokspec s = {.no_exp = true,
	                    .has_exi = true,
	                    .exi = 100,
	                    .cti_bin = cti,
	                    .cnf = CNF_KEY,
	                    .pop = &pop};
	struct ipc_coap_result res;
	struct ks_token t;
	struct tok tk;

	(void)state;
	s.cti_len = exi_cti(cti, 1, 1);
	ed_key(&pop, 0x52);
	tk = make_token(&s, P_MAC0, false);
	assert_int_equal(authz(KDC_CF_CWT, &tk, &res), KS_CODE(2, 1));
	token_by_binding(&res.binding, &t);
	assert_int_equal(t.exp, F.now + 100);
	assert_int_equal(t.received_at, F.now);
	/* The same token again later: exi still counts from the first
	 * receipt (RFC 9200 §5.10.3). */
	assert_int_equal(authz_at(KDC_CF_CWT, tk.p, tk.n, IPC_TRANSPORT_PLAIN,
	                          NULL, F.now + 50, &res),
	                 KS_CODE(2, 1));
	token_by_binding(&res.binding, &t);
	assert_int_equal(t.exp, F.now + 100);
	assert_int_equal(t.received_at, F.now);
	assert_int_equal(authz_at(KDC_CF_CWT, tk.p, tk.n, IPC_TRANSPORT_PLAIN,
	                          NULL, F.now + 100, &res),
	                 KS_CODE(4, 1));
	free(tk.p);
}

/* RFC 9200 §5.10.3: once an exi token has ended its sequence number, and
 * every lower one, is expired -- the token does not come back with a fresh
 * lifetime when its row is gone; a token older than the one stored for the
 * same key is a replay; the stored token presented again is still good;
 * the cti must be the RS identifier and a sequence number. */
static void
test_exi_sequence(void **state)
{
	struct kdc_cose_key pop, pop2;
	uint8_t cti[64];
	struct tokspec s = {.no_exp = true,
	                    .has_exi = true,
	                    .exi = 100,
	                    .cti_bin = cti,
	                    .cnf = CNF_KEY,
	                    .pop = &pop};
	struct ipc_coap_result res;
	struct tok t5, t6, t4, t7, bad;
	struct ks_token tk;
	int64_t ended, as_id;

	(void)state;
	ed_key(&pop, 0x61);
	ed_key(&pop2, 0x62);
	s.cti_len = exi_cti(cti, 5, 2);
	t5 = make_token(&s, P_MAC0, false);
	s.cti_len = exi_cti(cti, 6, 1);
	t6 = make_token(&s, P_MAC0, false);
	assert_int_equal(authz(KDC_CF_CWT, &t5, &res), KS_CODE(2, 1));
	/* A newer token for the same key replaces it; the older one is then
	 * a replay. */
	assert_int_equal(authz(KDC_CF_CWT, &t6, &res), KS_CODE(2, 1));
	token_by_binding(&res.binding, &tk);
	as_id = tk.as_id;
	assert_int_equal(tk.exi_seq, 6);
	assert_int_equal(authz_at(KDC_CF_CWT, t5.p, t5.n, IPC_TRANSPORT_PLAIN,
	                          NULL, F.now + 1, &res),
	                 KS_CODE(4, 1));
	assert_int_equal(authz_at(KDC_CF_CWT, t6.p, t6.n, IPC_TRANSPORT_PLAIN,
	                          NULL, F.now + 1, &res),
	                 KS_CODE(2, 1));
	/* It expires and its row goes: sequence number 6 has ended. */
	assert_int_equal(ks_tokens_expire(&F.ks, F.now + 100), 0);
	assert_int_equal(ks_store_exi_expired(F.ks.store, as_id, &ended),
	                 KS_OK);
	assert_int_equal(ended, 6);
	assert_int_equal(authz_at(KDC_CF_CWT, t6.p, t6.n, IPC_TRANSPORT_PLAIN,
	                          NULL, F.now + 101, &res),
	                 KS_CODE(4, 1));
	/* A lower one, for another key, is expired too; a higher one is
	 * taken. */
	s.pop = &pop2;
	s.cti_len = exi_cti(cti, 4, 1);
	t4 = make_token(&s, P_MAC0, false);
	assert_int_equal(authz_at(KDC_CF_CWT, t4.p, t4.n, IPC_TRANSPORT_PLAIN,
	                          NULL, F.now + 101, &res),
	                 KS_CODE(4, 1));
	s.cti_len = exi_cti(cti, 7, 3);
	t7 = make_token(&s, P_MAC0, false);
	assert_int_equal(authz_at(KDC_CF_CWT, t7.p, t7.n, IPC_TRANSPORT_PLAIN,
	                          NULL, F.now + 101, &res),
	                 KS_CODE(2, 1));
	/* The cti: the RS identifier, then 1 to 8 bytes; anything else (or
	 * none) is 4.00. */
	for (int i = 0; i < 4; i++) {
		static const size_t seq_len[] = {0, 9};

		s.cti_bin = cti;
		s.cti = NULL;
		if (i < 2) {
			s.cti_len = exi_cti(cti, 8, seq_len[i]);
		} else if (i == 2) {
			s.cti_bin = NULL;
			s.cti = "another-rs\x08";
		} else {
			s.cti_bin = NULL;
		}
		bad = make_token(&s, P_MAC0, false);
		assert_int_equal(authz_at(KDC_CF_CWT, bad.p, bad.n,
		                          IPC_TRANSPORT_PLAIN, NULL,
		                          F.now + 101, &res),
		                 KS_CODE(4, 0));
		free(bad.p);
	}
	free(t4.p);
	free(t5.p);
	free(t6.p);
	free(t7.p);
}

/* A newer token replaces the one stored for its PoP key; an older one
 * (by iat) is a replay of what it superseded and must not restore the
 * wider scope the newer token took away. */
static void
test_older_token_refused(void **state)
{
	static const uint8_t wide[] = {0x81, 0x82, 0x62, 0x67, 0x31, 0x06};
	static const uint8_t narrow[] = {0x81, 0x82, 0x62, 0x67, 0x31, 0x02};
	struct kdc_cose_key pop;
	struct tokspec s = {.cnf = CNF_KEY, .pop = &pop, .has_iat = true};
	struct ipc_coap_result res;
	struct ks_token t;
	struct tok old, newer, plain;
	struct ipc_binding b;

	(void)state;
	ed_key(&pop, 0x71);
	s.iat = -100;
	s.scope = wide;
	s.scope_len = sizeof(wide);
	old = make_token(&s, P_MAC0, false);
	s.iat = -10;
	s.scope = narrow;
	s.scope_len = sizeof(narrow);
	newer = make_token(&s, P_MAC0, false);
	assert_int_equal(authz(KDC_CF_CWT, &old, &res), KS_CODE(2, 1));
	assert_int_equal(authz(KDC_CF_CWT, &newer, &res), KS_CODE(2, 1));
	b = res.binding;
	assert_int_equal(authz(KDC_CF_CWT, &old, &res), KS_CODE(4, 1));
	/* The row keeps the newer token's narrower scope. */
	token_by_binding(&b, &t);
	assert_int_equal(t.scope_len, sizeof(narrow));
	assert_memory_equal(t.scope, narrow, sizeof(narrow));
	/* The newer one again, or one without iat: taken. */
	assert_int_equal(authz(KDC_CF_CWT, &newer, &res), KS_CODE(2, 1));
	s.has_iat = false;
	plain = make_token(&s, P_MAC0, false);
	assert_int_equal(authz(KDC_CF_CWT, &plain, &res), KS_CODE(2, 1));
	free(old.p);
	free(newer.p);
	free(plain.p);
}

/* ------------------------------------------------------------------ */
/* authz-info: RFC 9200 §5.10.1.1 failure classes */

static void
test_failure_classes(void **state)
{
	struct kdc_cose_key pop;
	struct tokspec ok = {.iss = ISS, .cnf = CNF_KEY, .pop = &pop};
	struct tokspec s;
	struct ipc_coap_result res;
	struct tok tk;
	static const uint8_t bad_scope[] = {0x82, 0x01}; /* [1, ...] */
	static const uint8_t not_cbor[] = {0xff, 0x00, 0x01};
	static const uint8_t text_scope[] = "g1";

	(void)state;
	ed_key(&pop, 0x53);

	/* Bad MAC: one bit of the tag flipped → 4.01. */
	s = ok;
	tk = make_token(&s, P_MAC0, false);
	tk.p[tk.n - 1] ^= 0x01;
	assert_int_equal(authz(KDC_CF_CWT, &tk, &res), KS_CODE(4, 1));
	free(tk.p);
	/* Bad signature → 4.01. */
	tk = make_token(&s, P_SIGN1, false);
	tk.p[tk.n - 1] ^= 0x80;
	assert_int_equal(authz(KDC_CF_CWT, &tk, &res), KS_CODE(4, 1));
	free(tk.p);
	/* Unknown AS (no trusted key with that kid) → 4.01. */
	assert_int_equal(post(make_token(&s, P_MAC0_NOKID, false), &res),
	                 KS_CODE(4, 1));
	/* Signed by a key no AS holds → 4.01. */
	assert_int_equal(post(make_token(&s, P_SIGN1_UNTRUSTED, false), &res),
	                 KS_CODE(4, 1));
	/* Nested layers of two different ASes → 4.01. */
	assert_int_equal(post(make_token(&s, P_NESTED_MAC, false), &res),
	                 KS_CODE(4, 1));
	/* Wrong iss → 4.01. */
	s = ok;
	s.iss = "evil.example";
	assert_int_equal(post(make_token(&s, P_SIGN1, false), &res),
	                 KS_CODE(4, 1));
	/* Expired → 4.01 (beyond the clock skew). */
	s = ok;
	s.exp = -3600;
	assert_int_equal(post(make_token(&s, P_SIGN1, false), &res),
	                 KS_CODE(4, 1));
	/* Wrong aud → 4.03. */
	s = ok;
	s.aud = "other-rs";
	assert_int_equal(post(make_token(&s, P_SIGN1, false), &res),
	                 KS_CODE(4, 3));
	/* iss wrong AND aud wrong: iss comes first → 4.01. */
	s.iss = "evil.example";
	assert_int_equal(post(make_token(&s, P_SIGN1, false), &res),
	                 KS_CODE(4, 1));
	/* No scope → 4.00. */
	s = ok;
	s.no_scope = true;
	assert_int_equal(post(make_token(&s, P_SIGN1, false), &res),
	                 KS_CODE(4, 0));
	/* Scope not understood → 4.00. */
	s = ok;
	s.scope = bad_scope;
	s.scope_len = sizeof(bad_scope);
	assert_int_equal(post(make_token(&s, P_SIGN1, false), &res),
	                 KS_CODE(4, 0));
	s = ok;
	s.scope = text_scope;
	s.scope_len = 2;
	s.scope_text = true;
	assert_int_equal(post(make_token(&s, P_SIGN1, false), &res),
	                 KS_CODE(4, 0));
	s = ok;
	s.scope_tag = 12345; /* not the tag of CF 297 */
	assert_int_equal(post(make_token(&s, P_SIGN1, false), &res),
	                 KS_CODE(4, 0));
	/* No cnf → 4.00; neither exp nor exi → 4.00. */
	s = ok;
	s.cnf = CNF_NONE;
	assert_int_equal(post(make_token(&s, P_SIGN1, false), &res),
	                 KS_CODE(4, 0));
	s = ok;
	s.no_exp = true;
	assert_int_equal(post(make_token(&s, P_SIGN1, false), &res),
	                 KS_CODE(4, 0));
	/* A symmetric PoP key in a token that is not encrypted → 4.00
	 * (RFC 9202 §3.3). */
	{
		struct kdc_cose_key sym;

		sym_key(&sym, 0x70, 16, "clear");
		s = ok;
		s.pop = &sym;
		assert_int_equal(post(make_token(&s, P_SIGN1, false), &res),
		                 KS_CODE(4, 0));
		sym_key(&sym, 0x70, 16, NULL); /* no kid */
		assert_int_equal(post(make_token(&s, P_ENC0, false), &res),
		                 KS_CODE(4, 0));
	}
	/* Not CBOR → 4.00; empty payload → 4.00. */
	assert_int_equal(authz_at(KDC_CF_CWT, not_cbor, sizeof(not_cbor),
	                          IPC_TRANSPORT_PLAIN, NULL, F.now, &res),
	                 KS_CODE(4, 0));
	assert_int_equal(authz_at(-1, not_cbor, 0, IPC_TRANSPORT_PLAIN, NULL,
	                          F.now, &res),
	                 KS_CODE(4, 0));
	/* The tokens table is untouched by all of this. */
	{
		int64_t n = -1;

		assert_int_equal(ks_store_token_count(F.ks.store, &n), KS_OK);
		assert_int_equal(n, 0);
	}
}

/* application/ace+cbor request forms. */
static void
ace_cbor(const struct tok *tk, int extra, struct ipc_coap_result *res,
         uint8_t expect)
{
	struct kdc_cw w;

	kdc_cw_init(&w);
	switch (extra) {
	case 0: /* { access_token } */
		kdc_cw_map(&w, 1);
		kdc_cw_uint(&w, 1);
		kdc_cw_bstr(&w, tk->p, tk->n);
		break;
	case 1: /* { 2: 5 } — no access_token */
		kdc_cw_map(&w, 1);
		kdc_cw_uint(&w, 2);
		kdc_cw_uint(&w, 5);
		break;
	case 2: /* access_token as a text string */
		kdc_cw_map(&w, 1);
		kdc_cw_uint(&w, 1);
		kdc_cw_tstr(&w, (const char *)tk->p, 3);
		break;
	case 3: /* sign_info: 1 (must be null) */
		kdc_cw_map(&w, 2);
		kdc_cw_uint(&w, 1);
		kdc_cw_bstr(&w, tk->p, tk->n);
		kdc_cw_uint(&w, 45);
		kdc_cw_uint(&w, 1);
		break;
	case 4: /* an array, not a map */
		kdc_cw_array(&w, 1);
		kdc_cw_bstr(&w, tk->p, tk->n);
		break;
	case 5: /* unknown keys are ignored */
		kdc_cw_map(&w, 3);
		kdc_cw_uint(&w, 1);
		kdc_cw_bstr(&w, tk->p, tk->n);
		kdc_cw_uint(&w, 40);
		kdc_cw_bstr(&w, (const uint8_t *)"n1", 2);
		kdc_cw_tstrz(&w, "x");
		kdc_cw_null(&w);
		break;
	}
	assert_true(kdc_cw_ok(&w));
	assert_int_equal(authz_at(KDC_CF_ACE_CBOR, w.buf, w.len,
	                          IPC_TRANSPORT_PLAIN, NULL, F.now, res),
	                 expect);
	kdc_cw_free(&w);
}

static void
test_ace_cbor_forms(void **state)
{
	struct kdc_cose_key pop;
	struct tokspec s = {.iss = ISS, .cnf = CNF_KEY, .pop = &pop};
	struct ipc_coap_result res;
	struct tok tk;

	(void)state;
	ed_key(&pop, 0x54);
	tk = make_token(&s, P_SIGN1, false);
	ace_cbor(&tk, 1, &res, KS_CODE(4, 0));
	ace_cbor(&tk, 2, &res, KS_CODE(4, 0));
	ace_cbor(&tk, 3, &res, KS_CODE(4, 0));
	ace_cbor(&tk, 4, &res, KS_CODE(4, 0));
	ace_cbor(&tk, 0, &res, KS_CODE(2, 1));
	ace_cbor(&tk, 5, &res, KS_CODE(2, 1));
	/* Not CBOR at all in an ace+cbor request. */
	assert_int_equal(authz_at(KDC_CF_ACE_CBOR, tk.p, tk.n - 1,
	                          IPC_TRANSPORT_PLAIN, NULL, F.now, &res),
	                 KS_CODE(4, 0));
	free(tk.p);
}

/* ------------------------------------------------------------------ */
/* Token Transfer Response contents */

static bool
has_ns(const struct sc *e, size_t n, uint8_t fill)
{
	struct kdc_cose_key pop;
	uint8_t scope[256];
	struct tokspec s = {.iss = ISS, .cnf = CNF_KEY, .pop = &pop};
	struct ipc_coap_result res;
	struct ks_token t;
	cbor_item_t *m;
	bool present;

	ed_key(&pop, fill);
	s.scope = scope;
	s.scope_len = scope_bytes(scope, sizeof(scope), e, n);
	assert_int_equal(post(make_token(&s, P_SIGN1, false), &res),
	                 KS_CODE(2, 1));
	m = answer_map(&res);
	present = kdc_cbor_map_get(m, 46) != NULL;
	token_by_binding(&res.binding, &t);
	assert_int_equal(t.ns_len, present ? 16 : 0);
	cbor_decref(&m);
	return present;
}

static void
test_kdcchallenge_roles(void **state)
{
	(void)state;
	/* GO §5.3: omitted only when every entry is Monitor only, Verifier
	 * only or exactly Monitor+Verifier. */
	assert_false(has_ns((struct sc[]){{"g1", 8}}, 1, 1));
	assert_false(has_ns((struct sc[]){{"g1", 16}}, 1, 2));
	assert_false(has_ns((struct sc[]){{"g1", 24}}, 1, 3));
	assert_false(has_ns((struct sc[]){{"g1", 8}, {"g2", 16}}, 2, 4));
	assert_true(has_ns((struct sc[]){{"g1", 2}}, 1, 5));
	assert_true(has_ns((struct sc[]){{"g1", 4}}, 1, 6));
	assert_true(has_ns((struct sc[]){{"g1", 18}}, 1, 7));
	assert_true(has_ns((struct sc[]){{"g1", 8}, {"g2", 6}}, 2, 8));
}

static void
test_sign_info_answer(void **state)
{
	/* ["g1", -8, [1], [1, 6], 14] with the default group parameters
	 * (EdDSA / Ed25519, CCS), RFC 9594 §3.3.1. */
	static const uint8_t g1_entry[] = {0x85, 0x62, 0x67, 0x31, 0x27, 0x81,
	                                   0x01, 0x82, 0x01, 0x06, 0x0e};
	struct kdc_cose_key pop;
	uint8_t scope[256];
	struct tokspec s = {.iss = ISS, .cnf = CNF_KEY, .pop = &pop};
	struct ipc_coap_result res;
	struct kdc_cw req;
	struct tok tk;
	cbor_item_t *m, *si, *ei, *dh;
	struct kdc_cw e;
	struct ks_kdc_key kk;

	(void)state;
	group_create("g1", true, true);  /* group + pairwise */
	group_create("g2", true, false); /* signature only */
	group_create("g3", false, true); /* pairwise only */
	assert_int_equal(ks_kdc_keys_bootstrap(&F.ks), 0);
	ed_key(&pop, 0x55);
	s.scope = scope;
	s.scope_len = scope_bytes(
	        scope, sizeof(scope),
	        (struct sc[]){{"g1", 6}, {"nosuch", 6}, {"g2", 2}, {"g3", 4}},
	        4);
	tk = make_token(&s, P_SIGN1, false);
	kdc_cw_init(&req);
	kdc_cw_map(&req, 4);
	kdc_cw_uint(&req, 1);
	kdc_cw_bstr(&req, tk.p, tk.n);
	kdc_cw_uint(&req, 45);
	kdc_cw_null(&req);
	kdc_cw_uint(&req, 47);
	kdc_cw_null(&req);
	kdc_cw_uint(&req, 48);
	kdc_cw_null(&req);
	assert_int_equal(authz_at(KDC_CF_ACE_CBOR, req.buf, req.len,
	                          IPC_TRANSPORT_PLAIN, NULL, F.now, &res),
	                 KS_CODE(2, 1));
	m = answer_map(&res);
	assert_int_equal(cbor_map_size(m), 4);
	/* sign_info: g1 and g2 (not the pairwise-only g3, not the unknown
	 * group). */
	si = kdc_cbor_map_get(m, 45);
	assert_int_equal(kdc_cbor_array_len(si), 2);
	kdc_cw_init(&e);
	kdc_cw_item(&e, kdc_cbor_array_at(si, 0));
	assert_int_equal(e.len, sizeof(g1_entry));
	assert_memory_equal(e.buf, g1_entry, sizeof(g1_entry));
	kdc_cw_free(&e);
	{
		const char *gn;
		size_t gl;

		assert_true(kdc_cbor_get_tstr(
		        kdc_cbor_array_at(kdc_cbor_array_at(si, 1), 0), &gn,
		        &gl));
		assert_int_equal(gl, 2);
		assert_memory_equal(gn, "g2", 2);
	}
	/* ecdh_info: g1 and g3 (not the signature-only g2). */
	ei = kdc_cbor_map_get(m, 47);
	assert_int_equal(kdc_cbor_array_len(ei), 2);
	/* kdc_dh_creds: g3 only, [gname, 14, the KDC's X25519 CCS]. */
	dh = kdc_cbor_map_get(m, 48);
	assert_int_equal(kdc_cbor_array_len(dh), 1);
	{
		const cbor_item_t *d0 = kdc_cbor_array_at(dh, 0);
		const uint8_t *cred;
		size_t cl;
		int64_t fmt;

		assert_int_equal(kdc_cbor_array_len(d0), 3);
		assert_true(kdc_cbor_get_int(kdc_cbor_array_at(d0, 1), &fmt));
		assert_int_equal(fmt, 14);
		assert_true(kdc_cbor_get_bstr(kdc_cbor_array_at(d0, 2), &cred,
		                              &cl));
		assert_int_equal(ks_kdc_key_for_dh(&F.ks, KDC_CRV_X25519, &kk),
		                 KS_OK);
		assert_int_equal(cl, kk.cred_len);
		assert_memory_equal(cred, kk.cred, cl);
		kdc_wipe(&kk, sizeof(kk));
	}
	assert_non_null(kdc_cbor_map_get(m, 46));
	cbor_decref(&m);
	kdc_cw_free(&req);
	free(tk.p);

	/* Only pairwise-only groups authorised: sign_info is omitted. */
	ed_key(&pop, 0x56);
	s.scope_len =
	        scope_bytes(scope, sizeof(scope), (struct sc[]){{"g3", 8}}, 1);
	tk = make_token(&s, P_SIGN1, false);
	kdc_cw_init(&req);
	kdc_cw_map(&req, 2);
	kdc_cw_uint(&req, 1);
	kdc_cw_bstr(&req, tk.p, tk.n);
	kdc_cw_uint(&req, 45);
	kdc_cw_null(&req);
	assert_int_equal(authz_at(KDC_CF_ACE_CBOR, req.buf, req.len,
	                          IPC_TRANSPORT_PLAIN, NULL, F.now, &res),
	                 KS_CODE(2, 1));
	m = answer_map(&res);
	assert_int_equal(cbor_map_size(m), 0); /* monitor: no N_S either */
	cbor_decref(&m);
	kdc_cw_free(&req);
	free(tk.p);
}

/* ------------------------------------------------------------------ */
/* replacement, dynamic update, capacity */

static void
test_replacement_keeps_handle(void **state)
{
	struct kdc_cose_key pop;
	uint8_t scope[64];
	struct tokspec s = {
	        .iss = ISS, .cnf = CNF_KEY, .pop = &pop, .cti = "r1"};
	struct ipc_coap_result res;
	struct ipc_binding h1;
	struct ks_group g1, g2;
	struct ks_member m;
	struct ks_token t;
	int64_t n;

	(void)state;
	ed_key(&pop, 0x57);
	g1 = group_create("g1", true, true);
	g2 = group_create("g2", true, true);
	s.scope = scope;
	s.scope_len = scope_bytes(scope, sizeof(scope),
	                          (struct sc[]){{"g1", 6}, {"g2", 6}}, 2);
	assert_int_equal(post(make_token(&s, P_SIGN1, false), &res),
	                 KS_CODE(2, 1));
	h1 = res.binding;
	token_by_binding(&h1, &t);
	/* The token is a member of both groups. */
	for (int i = 0; i < 2; i++) {
		memset(&m, 0, sizeof(m));
		m.group_id = i == 0 ? g1.id : g2.id;
		m.token_id = t.id;
		snprintf(m.node, sizeof(m.node), "n%d", i + 1);
		m.perm = 6;
		m.joined_at = m.updated_at = F.now;
		assert_int_equal(ks_store_member_add(F.ks.store, &m), KS_OK);
	}
	/* A newer token for the same key, scope narrowed to g1: same row,
	 * same handle, g2's membership dropped (P14). */
	s.cti = "r2";
	s.scope_len =
	        scope_bytes(scope, sizeof(scope), (struct sc[]){{"g1", 6}}, 1);
	assert_int_equal(post(make_token(&s, P_SIGN1, false), &res),
	                 KS_CODE(2, 1));
	assert_memory_equal(res.binding.b, h1.b, IPC_BINDING_LEN);
	token_by_binding(&h1, &t);
	assert_int_equal(t.scope_len, s.scope_len);
	assert_memory_equal(t.cti, "r2", 2);
	assert_int_equal(ks_store_token_count(F.ks.store, &n), KS_OK);
	assert_int_equal(n, 1);
	assert_int_equal(ks_store_member_by_token(F.ks.store, g1.id, t.id, &m),
	                 KS_OK);
	assert_int_equal(ks_store_member_by_token(F.ks.store, g2.id, t.id, &m),
	                 KS_NOTFOUND);
	/* Roles narrowed in g1 (6 → 2): that membership goes too. */
	s.cti = "r3";
	s.scope_len =
	        scope_bytes(scope, sizeof(scope), (struct sc[]){{"g1", 2}}, 1);
	assert_int_equal(post(make_token(&s, P_SIGN1, false), &res),
	                 KS_CODE(2, 1));
	assert_int_equal(ks_store_member_by_token(F.ks.store, g1.id, t.id, &m),
	                 KS_NOTFOUND);
}

static void
test_dtls_dynamic_update(void **state)
{
	struct kdc_cose_key k1, k2;
	struct tokspec s = {.iss = ISS, .cnf = CNF_KEY};
	struct ipc_coap_result res;
	struct ipc_binding h1, none;
	struct tok tk;

	(void)state;
	sym_key(&k1, 0x81, 16, "sess-1");
	sym_key(&k2, 0x82, 16, "sess-2");
	s.pop = &k1;
	s.cti = "u1";
	assert_int_equal(post(make_token(&s, P_ENC0, false), &res),
	                 KS_CODE(2, 1));
	h1 = res.binding;
	/* Over the session of k1, a token for k2 → 4.01 (RFC 9202 §4). */
	s.pop = &k2;
	tk = make_token(&s, P_ENC0, false);
	assert_int_equal(authz_at(KDC_CF_CWT, tk.p, tk.n, IPC_TRANSPORT_DTLS,
	                          &h1, F.now, &res),
	                 KS_CODE(4, 1));
	/* The same token over plain CoAP is fine (a new key, a new row). */
	assert_int_equal(authz(KDC_CF_CWT, &tk, &res), KS_CODE(2, 1));
	assert_memory_not_equal(res.binding.b, h1.b, IPC_BINDING_LEN);
	free(tk.p);
	/* Over the session of k1, a new token for k1 → 2.01, same handle. */
	s.pop = &k1;
	s.cti = "u2";
	tk = make_token(&s, P_ENC0, false);
	assert_int_equal(authz_at(KDC_CF_CWT, tk.p, tk.n, IPC_TRANSPORT_DTLS,
	                          &h1, F.now, &res),
	                 KS_CODE(2, 1));
	assert_memory_equal(res.binding.b, h1.b, IPC_BINDING_LEN);
	/* A session whose binding names no token → 4.01. */
	memset(&none, 0x5a, sizeof(none));
	assert_int_equal(authz_at(KDC_CF_CWT, tk.p, tk.n, IPC_TRANSPORT_DTLS,
	                          &none, F.now, &res),
	                 KS_CODE(4, 1));
	free(tk.p);
}

static void
test_max_tokens(void **state)
{
	struct kdc_cose_key k1, k2;
	struct tokspec s = {.iss = ISS, .cnf = CNF_KEY};
	struct ipc_coap_result res;

	(void)state;
	F.ks.conf.max_tokens = 1;
	ed_key(&k1, 0x91);
	ed_key(&k2, 0x92);
	s.pop = &k1;
	assert_int_equal(post(make_token(&s, P_SIGN1, false), &res),
	                 KS_CODE(2, 1));
	s.pop = &k2;
	assert_int_equal(post(make_token(&s, P_SIGN1, false), &res),
	                 KS_CODE(5, 3));
	assert_int_equal(res.max_age, 60);
	/* Replacing the existing key's token still works. */
	s.pop = &k1;
	assert_int_equal(post(make_token(&s, P_SIGN1, false), &res),
	                 KS_CODE(2, 1));
}

/* ------------------------------------------------------------------ */
/* PSK identities */

static const char *
b64url(const uint8_t *p, size_t n, char *out)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrst"
	                        "uvwxyz0123456789-_";
	size_t o = 0, i;

	for (i = 0; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 |
		             p[i + 2];

		out[o++] = a[v >> 18];
		out[o++] = a[(v >> 12) & 63];
		out[o++] = a[(v >> 6) & 63];
		out[o++] = a[v & 63];
	}
	if (n - i == 1) {
		out[o++] = a[p[i] >> 2];
		out[o++] = a[(p[i] & 3) << 4];
	} else if (n - i == 2) {
		uint32_t v = (uint32_t)p[i] << 8 | p[i + 1];

		out[o++] = a[v >> 10];
		out[o++] = a[(v >> 4) & 63];
		out[o++] = a[(v << 2) & 63];
	}
	out[o] = '\0';
	return out;
}

static size_t
kid_cbor(uint8_t *out, const char *kid)
{
	size_t n = strlen(kid), o = 0;

	/* {8: {1: {1: 4, 2: kid}}} */
	out[o++] = 0xa1;
	out[o++] = 0x08;
	out[o++] = 0xa1;
	out[o++] = 0x01;
	out[o++] = 0xa2;
	out[o++] = 0x01;
	out[o++] = 0x04;
	out[o++] = 0x02;
	out[o++] = (uint8_t)(0x40 | n);
	memcpy(out + o, kid, n);
	return o + n;
}

static void
expect_psk_ok(const struct ipc_psk_result *r, const struct kdc_cose_key *k,
              const struct ipc_binding *b, bool in_handshake)
{
	assert_int_equal(r->status, IPC_PSK_OK);
	assert_int_equal(r->key.n, k->k_len);
	assert_memory_equal(r->key.p, k->k, k->k_len);
	if (b != NULL)
		assert_memory_equal(r->binding.b, b->b, IPC_BINDING_LEN);
	assert_int_equal(r->exp, F.now + 3600);
	assert_int_equal(r->token_in_handshake, in_handshake);
}

static void
test_psk_forms(void **state)
{
	/* RFC 9202 §3.3.2 example bytes for kid h'3d027833fc6267ce'. */
	static const uint8_t rfc_id[] = {0xa1, 0x08, 0xa1, 0x01, 0xa2, 0x01,
	                                 0x04, 0x02, 0x48, 0x3d, 0x02, 0x78,
	                                 0x33, 0xfc, 0x62, 0x67, 0xce};
	struct kdc_cose_key k1, k2, krfc;
	struct tokspec s = {.iss = ISS, .cnf = CNF_KEY};
	struct ipc_coap_result res;
	struct ipc_psk_result pr;
	struct ipc_binding h1;
	uint8_t id[64];
	char b64[8192];
	struct tok tk;
	size_t n;

	(void)state;
	sym_key(&k1, 0xa1, 16, "client-1");
	s.pop = &k1;
	assert_int_equal(post(make_token(&s, P_ENC0, false), &res),
	                 KS_CODE(2, 1));
	h1 = res.binding;

	/* Form 1: the cnf CBOR. */
	n = kid_cbor(id, "client-1");
	psk_at(id, n, F.now, &pr);
	expect_psk_ok(&pr, &k1, &h1, false);
	/* Form 1 with the RFC's own bytes. */
	memset(&krfc, 0, sizeof(krfc));
	krfc.kty = KDC_KTY_SYMMETRIC;
	memcpy(krfc.kid, "\x3d\x02\x78\x33\xfc\x62\x67\xce", 8);
	krfc.kid_len = 8;
	memset(krfc.k, 0xa9, 16);
	krfc.k_len = 16;
	s.pop = &krfc;
	assert_int_equal(post(make_token(&s, P_ENC0, false), &res),
	                 KS_CODE(2, 1));
	psk_at(rfc_id, sizeof(rfc_id), F.now, &pr);
	expect_psk_ok(&pr, &krfc, &res.binding, false);
	/* Form 3: base64url of form 1. */
	b64url(id, n, b64);
	psk_at((const uint8_t *)b64, strlen(b64), F.now, &pr);
	expect_psk_ok(&pr, &k1, &h1, false);
	/* Form 4: the printable kid. */
	psk_at((const uint8_t *)"client-1", 8, F.now, &pr);
	expect_psk_ok(&pr, &k1, &h1, false);

	/* Form 2: the token itself (key in an encrypted token). */
	sym_key(&k2, 0xa2, 16, "client-2");
	s.pop = &k2;
	s.cti = "hs-1";
	tk = make_token(&s, P_ENC0, true);
	psk_at(tk.p, tk.n, F.now, &pr);
	expect_psk_ok(&pr, &k2, NULL, true);
	{
		struct ks_token t;

		token_by_binding(&pr.binding, &t);
		assert_int_equal(t.via, KS_VIA_DTLS);
		assert_int_equal(t.ns_len, 0); /* N_S: the DTLS exporter */
	}
	/* ... and its kid now works as form 4, with the exporter N_S. */
	psk_at((const uint8_t *)"client-2", 8, F.now, &pr);
	expect_psk_ok(&pr, &k2, NULL, true);
	/* Form 3: base64url of the token. */
	b64url(tk.p, tk.n, b64);
	psk_at((const uint8_t *)b64, strlen(b64), F.now, &pr);
	expect_psk_ok(&pr, &k2, NULL, true);
	free(tk.p);

	/* Form 2 with a derived key (kid-only cnf). */
	{
		struct tokspec d = {.iss = ISS, .cnf = CNF_KID, .kid = "drv-1"};
		struct ks_token t;

		tk = make_token(&d, P_SIGN1, false);
		psk_at(tk.p, tk.n, F.now, &pr);
		assert_int_equal(pr.status, IPC_PSK_OK);
		assert_int_equal(pr.key.n, 16);
		token_by_binding(&pr.binding, &t);
		assert_memory_equal(pr.key.p, t.pop_key.k, 16);
		free(tk.p);
	}
}

static void
test_psk_failures(void **state)
{
	static const uint8_t binary[] = {0x00, 0xff, 0x10};
	static const uint8_t not_strict[] = {
	        /* {8: {1: {1: 4, 2: h'6b', 3: 1}}}: an extra member */
	        0xa1, 0x08, 0xa1, 0x01, 0xa3, 0x01,
	        0x04, 0x02, 0x41, 0x6b, 0x03, 0x01};
	struct kdc_cose_key k1, pub;
	struct tokspec s = {.iss = ISS, .cnf = CNF_KEY};
	struct ipc_coap_result res;
	struct ipc_psk_result pr;
	uint8_t id[64];
	struct tok tk;
	size_t n;

	(void)state;
	/* Unknown kid, in forms 1 and 4. */
	n = kid_cbor(id, "nobody");
	psk_at(id, n, F.now, &pr);
	assert_int_equal(pr.status, IPC_PSK_UNKNOWN);
	assert_int_equal(pr.key.n, 0);
	psk_at((const uint8_t *)"nobody", 6, F.now, &pr);
	assert_int_equal(pr.status, IPC_PSK_UNKNOWN);
	/* Binary junk, empty, a space, a non-strict cnf → unsupported. */
	psk_at(binary, sizeof(binary), F.now, &pr);
	assert_int_equal(pr.status, IPC_PSK_UNSUPPORTED);
	psk_at(binary, 0, F.now, &pr);
	assert_int_equal(pr.status, IPC_PSK_UNSUPPORTED);
	psk_at((const uint8_t *)"a b", 3, F.now, &pr);
	assert_int_equal(pr.status, IPC_PSK_UNSUPPORTED);
	psk_at(not_strict, sizeof(not_strict), F.now, &pr);
	assert_int_equal(pr.status, IPC_PSK_UNSUPPORTED);

	/* A token that fails verification → BAD_TOKEN. */
	sym_key(&k1, 0xb1, 16, "bad-1");
	s.pop = &k1;
	tk = make_token(&s, P_ENC0, false);
	tk.p[tk.n - 2] ^= 0x01;
	psk_at(tk.p, tk.n, F.now, &pr);
	assert_int_equal(pr.status, IPC_PSK_BAD_TOKEN);
	assert_int_equal(pr.key.n, 0);
	free(tk.p);
	/* A valid token with an asymmetric key is no PSK → BAD_TOKEN. */
	ed_key(&pub, 0xb2);
	s.pop = &pub;
	tk = make_token(&s, P_SIGN1, false);
	psk_at(tk.p, tk.n, F.now, &pr);
	assert_int_equal(pr.status, IPC_PSK_BAD_TOKEN);
	free(tk.p);

	/* Expired: the stored token is no longer served. */
	s.pop = &k1;
	s.exp = 100;
	assert_int_equal(post(make_token(&s, P_ENC0, false), &res),
	                 KS_CODE(2, 1));
	psk_at((const uint8_t *)"bad-1", 5, F.now + 99, &pr);
	assert_int_equal(pr.status, IPC_PSK_OK);
	psk_at((const uint8_t *)"bad-1", 5, F.now + 100, &pr);
	assert_int_equal(pr.status, IPC_PSK_UNKNOWN);
	assert_int_equal(pr.key.n, 0);
	/* Revoked: gone at once. */
	{
		struct ks_token t;

		token_by_binding(&res.binding, &t);
		assert_int_equal(ks_token_revoke(&F.ks, "admin", t.id), KS_OK);
		out_take();
		psk_at((const uint8_t *)"bad-1", 5, F.now, &pr);
		assert_int_equal(pr.status, IPC_PSK_UNKNOWN);
		assert_int_equal(ks_token_revoke(&F.ks, "admin", t.id),
		                 KS_NOTFOUND);
	}
}

/* ------------------------------------------------------------------ */
/* RPK */

static size_t
spki_ed25519(uint8_t *out, const struct kdc_cose_key *k)
{
	static const uint8_t hdr[] = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03,
	                              0x2b, 0x65, 0x70, 0x03, 0x21, 0x00};

	memcpy(out, hdr, sizeof(hdr));
	memcpy(out + sizeof(hdr), k->x, 32);
	return sizeof(hdr) + 32;
}

static size_t
spki_p256(uint8_t *out, const struct kdc_cose_key *k)
{
	static const uint8_t hdr[] = {0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a,
	                              0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06,
	                              0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03,
	                              0x01, 0x07, 0x03, 0x42, 0x00, 0x04};

	memcpy(out, hdr, sizeof(hdr));
	memcpy(out + sizeof(hdr), k->x, 32);
	memcpy(out + sizeof(hdr) + 32, k->y, 32);
	return sizeof(hdr) + 64;
}

static void
test_rpk(void **state)
{
	struct kdc_cose_key ed, ec, other;
	struct tokspec s = {.iss = ISS, .cnf = CNF_KEY};
	struct ipc_coap_result res;
	struct ipc_psk_result pr;
	struct ipc_binding hed, hec;
	uint8_t der[128], bad[160];
	size_t n;

	(void)state;
	ed_key(&ed, 0xc1);
	p256_key(&ec, 0xc2);
	ed_key(&other, 0xc3);
	s.pop = &ed;
	assert_int_equal(post(make_token(&s, P_SIGN1, false), &res),
	                 KS_CODE(2, 1));
	hed = res.binding;
	s.pop = &ec;
	assert_int_equal(post(make_token(&s, P_MAC0, false), &res),
	                 KS_CODE(2, 1));
	hec = res.binding;

	n = spki_ed25519(der, &ed);
	rpk(der, n, &pr);
	assert_int_equal(pr.status, IPC_PSK_OK);
	assert_int_equal(pr.key.n, 0);
	assert_memory_equal(pr.binding.b, hed.b, IPC_BINDING_LEN);
	assert_int_equal(pr.exp, F.now + 3600);
	assert_false(pr.token_in_handshake);
	/* Every truncation and a trailing byte are refused. */
	for (size_t i = 0; i < n; i++) {
		rpk(der, i, &pr);
		assert_int_equal(pr.status, IPC_PSK_UNSUPPORTED);
	}
	memcpy(bad, der, n);
	bad[n] = 0;
	rpk(bad, n + 1, &pr);
	assert_int_equal(pr.status, IPC_PSK_UNSUPPORTED);
	/* Ed25519 with parameters (RFC 8410 forbids them). */
	{
		static const uint8_t h[] = {0x30, 0x2c, 0x30, 0x07, 0x06,
		                            0x03, 0x2b, 0x65, 0x70, 0x05,
		                            0x00, 0x03, 0x21, 0x00};

		memcpy(bad, h, sizeof(h));
		memcpy(bad + sizeof(h), ed.x, 32);
		rpk(bad, sizeof(h) + 32, &pr);
		assert_int_equal(pr.status, IPC_PSK_UNSUPPORTED);
	}
	/* Non-minimal length encoding (0x81 0x2a). */
	bad[0] = 0x30;
	bad[1] = 0x81;
	bad[2] = 0x2a;
	memcpy(bad + 3, der + 2, n - 2);
	rpk(bad, n + 1, &pr);
	assert_int_equal(pr.status, IPC_PSK_UNSUPPORTED);
	/* X25519 OID (1.3.101.110) is not a TLS client key type here. */
	memcpy(bad, der, n);
	bad[8] = 0x6e;
	rpk(bad, n, &pr);
	assert_int_equal(pr.status, IPC_PSK_UNSUPPORTED);
	/* A well-formed key with no token → UNKNOWN. */
	n = spki_ed25519(der, &other);
	rpk(der, n, &pr);
	assert_int_equal(pr.status, IPC_PSK_UNKNOWN);

	n = spki_p256(der, &ec);
	rpk(der, n, &pr);
	assert_int_equal(pr.status, IPC_PSK_OK);
	assert_memory_equal(pr.binding.b, hec.b, IPC_BINDING_LEN);
	for (size_t i = 0; i < n; i++) {
		rpk(der, i, &pr);
		assert_int_equal(pr.status, IPC_PSK_UNSUPPORTED);
	}
	/* Compressed point / other curve OID. */
	memcpy(bad, der, n);
	bad[26] = 0x02;
	rpk(bad, n, &pr);
	assert_int_equal(pr.status, IPC_PSK_UNSUPPORTED);
	memcpy(bad, der, n);
	bad[22] = 0x08;
	rpk(bad, n, &pr);
	assert_int_equal(pr.status, IPC_PSK_UNSUPPORTED);
}

/* ------------------------------------------------------------------ */
/* fingerprints */

static void
test_fingerprint(void **state)
{
	struct kdc_cose_key k;
	uint8_t fpr[32], want[32], buf[128];
	size_t n = 0;

	(void)state;
	sym_key(&k, 0x01, 16, "abc");
	ks_pop_fingerprint(&k, fpr);
	kdc_sha256((const uint8_t *)"symabc", 6, want);
	assert_memory_equal(fpr, want, 32);
	/* The key bytes do not matter, only the kid. */
	sym_key(&k, 0x02, 32, "abc");
	ks_pop_fingerprint(&k, fpr);
	assert_memory_equal(fpr, want, 32);

	/* OKP: SHA-256 of {1: 1, -1: 6, -2: x} (RFC 9679 input). */
	ed_key(&k, 0x03);
	k.kid_len = 3;
	k.alg = KDC_ALG_EDDSA;
	k.has_alg = true;
	buf[n++] = 0xa3;
	buf[n++] = 0x01;
	buf[n++] = 0x01;
	buf[n++] = 0x20;
	buf[n++] = 0x06;
	buf[n++] = 0x21;
	buf[n++] = 0x58;
	buf[n++] = 0x20;
	memcpy(buf + n, k.x, 32);
	n += 32;
	kdc_sha256(buf, n, want);
	ks_pop_fingerprint(&k, fpr);
	assert_memory_equal(fpr, want, 32);

	/* EC2: {1: 2, -1: 1, -2: x, -3: y}. */
	p256_key(&k, 0x04);
	n = 0;
	buf[n++] = 0xa4;
	buf[n++] = 0x01;
	buf[n++] = 0x02;
	buf[n++] = 0x20;
	buf[n++] = 0x01;
	buf[n++] = 0x21;
	buf[n++] = 0x58;
	buf[n++] = 0x20;
	memcpy(buf + n, k.x, 32);
	n += 32;
	buf[n++] = 0x22;
	buf[n++] = 0x58;
	buf[n++] = 0x20;
	memcpy(buf + n, k.y, 32);
	n += 32;
	kdc_sha256(buf, n, want);
	ks_pop_fingerprint(&k, fpr);
	assert_memory_equal(fpr, want, 32);
}

/* ------------------------------------------------------------------ */
/* expiry */

static void
test_expiry(void **state)
{
	struct kdc_cose_key k1, k2;
	struct tokspec s = {.iss = ISS, .cnf = CNF_KEY};
	struct ipc_coap_result res;
	struct ipc_binding h1, h2;
	struct ipc_binding_gone gone;
	struct ks_group g1;
	struct ks_member m;
	struct ks_token t;
	struct ks_out *o;

	(void)state;
	g1 = group_create("g1", true, true);
	ed_key(&k1, 0xd1);
	ed_key(&k2, 0xd2);
	assert_int_equal(ks_tokens_next_exp(&F.ks), 0);
	s.pop = &k1;
	s.exp = 100;
	assert_int_equal(post(make_token(&s, P_SIGN1, false), &res),
	                 KS_CODE(2, 1));
	h1 = res.binding;
	s.pop = &k2;
	s.exp = 1000;
	assert_int_equal(post(make_token(&s, P_SIGN1, false), &res),
	                 KS_CODE(2, 1));
	h2 = res.binding;
	assert_int_equal(ks_tokens_next_exp(&F.ks), F.now + 100);
	token_by_binding(&h1, &t);
	memset(&m, 0, sizeof(m));
	m.group_id = g1.id;
	m.token_id = t.id;
	snprintf(m.node, sizeof(m.node), "n1");
	m.perm = 6;
	m.joined_at = m.updated_at = F.now;
	assert_int_equal(ks_store_member_add(F.ks.store, &m), KS_OK);
	out_take();

	/* Nothing is due yet. */
	assert_int_equal(ks_tokens_expire(&F.ks, F.now + 99), 0);
	assert_int_equal(out_count(out_take()), 0);
	/* The first token expires: its membership goes, BINDING_GONE is
	 * pushed to the frontend, the row (and N_S) is deleted. */
	assert_int_equal(ks_tokens_expire(&F.ks, F.now + 100), 0);
	o = out_take();
	{
		size_t ngone = 0;

		for (; o != NULL; o = o->next) {
			if (o->type != IPC_MSG_PUSH_BINDING_GONE)
				continue;
			assert_true(o->flags & IPC_F_PUSH);
			assert_int_equal(o->conn_id, F.peer.conn_id);
			assert_int_equal(
			        ipc_dec_binding_gone(o->payload, o->len, &gone),
			        0);
			assert_memory_equal(gone.binding.b, h1.b,
			                    IPC_BINDING_LEN);
			assert_int_equal(gone.reason, IPC_GONE_EXPIRED);
			ngone++;
		}
		assert_int_equal(ngone, 1);
	}
	assert_int_equal(ks_store_token_by_handle(F.ks.store, &h1, false, &t),
	                 KS_NOTFOUND);
	assert_int_equal(ks_store_member_by_id(F.ks.store, m.id, &m),
	                 KS_NOTFOUND);
	token_by_binding(&h2, &t);
	assert_int_equal(ks_tokens_next_exp(&F.ks), F.now + 1000);

	/* Revocation: BINDING_GONE with REVOKED, at once. */
	assert_int_equal(ks_token_revoke(&F.ks, "admin", t.id), KS_OK);
	o = out_take();
	assert_int_equal(out_count(o), 1);
	assert_int_equal(o->type, IPC_MSG_PUSH_BINDING_GONE);
	assert_int_equal(ipc_dec_binding_gone(o->payload, o->len, &gone), 0);
	assert_memory_equal(gone.binding.b, h2.b, IPC_BINDING_LEN);
	assert_int_equal(gone.reason, IPC_GONE_REVOKED);
	assert_int_equal(ks_store_token_by_handle(F.ks.store, &h2, false, &t),
	                 KS_NOTFOUND);
	assert_int_equal(ks_tokens_next_exp(&F.ks), 0);
}

static void
test_expiry_many(void **state)
{
	struct tokspec s = {.iss = ISS, .cnf = CNF_KEY, .exp = 10};
	struct ipc_coap_result res;
	struct kdc_cose_key k;
	int64_t n;

	(void)state;
	/* More than one chunk of expired tokens. */
	for (int i = 0; i < 150; i++) {
		p256_key(&k, (uint8_t)(i + 1));
		s.pop = &k;
		assert_int_equal(post(make_token(&s, P_MAC0, false), &res),
		                 KS_CODE(2, 1));
	}
	out_take();
	assert_int_equal(ks_tokens_expire(&F.ks, F.now + 10), 0);
	assert_int_equal(out_count(out_take()), 150);
	assert_int_equal(ks_store_token_count(F.ks.store, &n), KS_OK);
	assert_int_equal(n, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_sign1_rpk, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_mac0_rpk_p256_tag61, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_encrypt0_symmetric, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_nested_encrypt0_sign1,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(test_kid_only_derivation, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_exi, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_exi_sequence, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_older_token_refused, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_failure_classes, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_ace_cbor_forms, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_kdcchallenge_roles, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_sign_info_answer, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_replacement_keeps_handle,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(test_dtls_dynamic_update, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_max_tokens, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_psk_forms, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_psk_failures, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_rpk, setup, teardown),
	        cmocka_unit_test(test_fingerprint),
	        cmocka_unit_test_setup_teardown(test_expiry, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_expiry_many, setup,
	                                        teardown),
	};

	kdc_log_init("test_ks_tokens", getenv("KDC_TEST_LOG") != NULL
	                                       ? KDC_LOG_DEBUG
	                                       : KDC_LOG_WARNING);
	if (kdc_crypto_init() != 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
