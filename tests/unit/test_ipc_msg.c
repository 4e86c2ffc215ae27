/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_ipc_msg.c — the message catalogue: the allow-list and names, and
 * every encoder/decoder pair (round trip with all fields populated, every
 * truncation, a trailing byte, wrong-typed values, over-long names and
 * counts), plus the ADM_RESULT table builder.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "ipc_msg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers ---- */

static void
fill_binding(struct ipc_binding *b, uint8_t seed)
{
	for (size_t i = 0; i < sizeof(b->b); i++)
		b->b[i] = (uint8_t)(seed + 7 * i);
}

/* A name of the maximum length its array holds. */
static void
max_name(char *out, size_t size, char c)
{
	memset(out, c, size - 1);
	out[size - 1] = '\0';
}

static struct ipc_view
view_of(const void *p, size_t n)
{
	struct ipc_view v = {p, n};
	return v;
}

static struct ipc_view
text_of(const char *s)
{
	return view_of(s, strlen(s));
}

static void
assert_view(const struct ipc_view *v, const struct ipc_view *want)
{
	assert_int_equal(v->n, want->n);
	if (v->n > 0)
		assert_memory_equal(v->p, want->p, v->n);
}

static void
assert_binding(const struct ipc_binding *a, const struct ipc_binding *b)
{
	assert_memory_equal(a->b, b->b, sizeof(a->b));
}

/* Decode a copy of exactly n bytes (so ASan sees any over-read). */
static int
check_copy(uint16_t type, uint16_t flags, const uint8_t *p, size_t n,
           size_t cap)
{
	uint8_t *c = malloc(cap > 0 ? cap : 1);
	int rc;

	assert_non_null(c);
	memset(c, 0, cap > 0 ? cap : 1);
	if (n > 0)
		memcpy(c, p, n < cap ? n : cap);
	rc = ipc_msg_check(type, flags, c, cap);
	free(c);
	return rc;
}

/* The payload decodes; every truncation, and the payload plus one byte,
 * do not.  Large payloads are cut at a stride and at every one of the
 * last 64 positions. */
static void
check_strict(uint16_t type, uint16_t flags, const uint8_t *p, size_t n)
{
	size_t step = n <= 4096 ? 1 : n / 2000 + 1;

	if (check_copy(type, flags, p, n, n) != 0)
		fail_msg("%s: valid payload of %zu bytes refused",
		         ipc_msg_name(type), n);
	for (size_t cut = 0; cut < n; cut += (cut + 64 >= n ? 1 : step))
		if (check_copy(type, flags, p, cut, cut) == 0)
			fail_msg("%s: truncation to %zu of %zu bytes accepted",
			         ipc_msg_name(type), cut, n);
	if (check_copy(type, flags, p, n, n + 1) == 0)
		fail_msg("%s: trailing byte accepted", ipc_msg_name(type));
}

#define ENCODE(fn, m, w)                                                       \
	do {                                                                   \
		ipc_wbuf_init(&(w));                                           \
		assert_int_equal(fn(&(w), (m)), 0);                            \
		assert_true(ipc_wbuf_ok(&(w)));                                \
	} while (0)

#define ENCODE_FAILS(fn, m)                                                    \
	do {                                                                   \
		struct ipc_wbuf w_;                                            \
		ipc_wbuf_init(&w_);                                            \
		assert_int_equal(fn(&w_, (m)), -1);                            \
		assert_false(ipc_wbuf_ok(&w_));                                \
		ipc_wbuf_free(&w_);                                            \
	} while (0)

/* Writers for hand-made payloads. */
static void
put_name_raw(struct ipc_wbuf *w, char c, size_t n)
{
	char *s = malloc(n + 1);

	memset(s, c, n);
	ipc_put_str(w, s, n);
	free(s);
}

/* ---- catalogue ---- */

static const uint16_t fe_types[] = {
        IPC_MSG_HELLO,        IPC_MSG_AUTHZ_INFO,  IPC_MSG_PSK_IDENTITY,
        IPC_MSG_RPK_IDENTITY, IPC_MSG_GROUP_NAMES, IPC_MSG_JOIN,
        IPC_MSG_GROUP_READ,   IPC_MSG_CREDS,       IPC_MSG_KDC_CRED_FETCH,
        IPC_MSG_STALE_SIDS,   IPC_MSG_NODE,        IPC_MSG_NODE_CRED,
        IPC_MSG_GROUP_LIST,   IPC_MSG_FE_STATS,
};
static const uint16_t ks_types[] = {
        IPC_MSG_HELLO,
        IPC_MSG_ERROR,
        IPC_MSG_COAP_RESULT,
        IPC_MSG_PSK_RESULT,
        IPC_MSG_GROUP_LIST_RESULT,
        IPC_MSG_PUSH_GROUP_ADDED,
        IPC_MSG_PUSH_GROUP_DELETED,
        IPC_MSG_PUSH_GROUP_STATE,
        IPC_MSG_PUSH_MEMBER,
        IPC_MSG_PUSH_BINDING_GONE,
        IPC_MSG_PUSH_CONTROL,
        IPC_MSG_ADM_RESULT,
        IPC_MSG_ADM_CHUNK,
};

static bool
in_list(uint16_t t, const uint16_t *l, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (l[i] == t)
			return true;
	return false;
}

static void
allow_frontend(void **state)
{
	(void)state;
	for (uint32_t t = 0; t <= UINT16_MAX; t++) {
		bool want = in_list((uint16_t)t, fe_types,
		                    sizeof(fe_types) / sizeof(fe_types[0]));
		if (ipc_msg_allowed((uint16_t)t, IPC_PEER_FRONTEND) != want)
			fail_msg("frontend / type %u (%s): expected %d", t,
			         ipc_msg_name((uint16_t)t), want);
	}
	for (uint16_t t = IPC_MSG_ADM_STATUS; t <= IPC_MSG_ADM_CHUNK; t++)
		assert_false(ipc_msg_allowed(t, IPC_PEER_FRONTEND));
}

static void
allow_admin(void **state)
{
	(void)state;
	for (uint32_t t = 0; t <= UINT16_MAX; t++) {
		bool want = t == IPC_MSG_HELLO || (t >= IPC_MSG_ADM_STATUS &&
		                                   t <= IPC_MSG_ADM_RELOAD);
		if (ipc_msg_allowed((uint16_t)t, IPC_PEER_ADMIN) != want)
			fail_msg("admin / type %u (%s): expected %d", t,
			         ipc_msg_name((uint16_t)t), want);
	}
	assert_false(ipc_msg_allowed(IPC_MSG_JOIN, IPC_PEER_ADMIN));
	assert_false(ipc_msg_allowed(IPC_MSG_ADM_RESULT, IPC_PEER_ADMIN));
}

static void
allow_replies_and_pushes_keystore_only(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(ks_types) / sizeof(ks_types[0]); i++) {
		uint16_t t = ks_types[i];

		assert_true(ipc_msg_allowed(t, IPC_PEER_KEYSTORE));
		if (t == IPC_MSG_HELLO)
			continue;
		assert_false(ipc_msg_allowed(t, IPC_PEER_FRONTEND));
		assert_false(ipc_msg_allowed(t, IPC_PEER_ADMIN));
		assert_false(ipc_msg_expects_reply(t));
	}
	for (uint32_t t = 0; t <= UINT16_MAX; t++) {
		bool want = in_list((uint16_t)t, ks_types,
		                    sizeof(ks_types) / sizeof(ks_types[0]));
		assert_int_equal(
		        ipc_msg_allowed((uint16_t)t, IPC_PEER_KEYSTORE), want);
		/* unknown peer kinds may send nothing */
		assert_false(ipc_msg_allowed((uint16_t)t, 0));
		assert_false(ipc_msg_allowed((uint16_t)t, 4));
		assert_false(ipc_msg_allowed((uint16_t)t, 255));
	}
}

static void
expects_reply(void **state)
{
	(void)state;
	assert_true(ipc_msg_expects_reply(IPC_MSG_HELLO));
	assert_true(ipc_msg_expects_reply(IPC_MSG_JOIN));
	assert_true(ipc_msg_expects_reply(IPC_MSG_GROUP_LIST));
	assert_true(ipc_msg_expects_reply(IPC_MSG_PSK_IDENTITY));
	assert_false(ipc_msg_expects_reply(IPC_MSG_FE_STATS));
	for (uint16_t t = IPC_MSG_ADM_STATUS; t <= IPC_MSG_ADM_RELOAD; t++)
		assert_true(ipc_msg_expects_reply(t));
	assert_false(ipc_msg_expects_reply(IPC_MSG_COAP_RESULT));
	assert_false(ipc_msg_expects_reply(0));
	assert_false(ipc_msg_expects_reply(9999));
}

static void
names(void **state)
{
	const char *seen[64];
	size_t nseen = 0;

	(void)state;
	assert_string_equal(ipc_msg_name(IPC_MSG_JOIN), "JOIN");
	assert_string_equal(ipc_msg_name(IPC_MSG_ADM_GROUP_CREATE),
	                    "ADM_GROUP_CREATE");
	assert_string_equal(ipc_msg_name(IPC_MSG_PUSH_GROUP_STATE),
	                    "PUSH_GROUP_STATE");
	assert_string_equal(ipc_msg_name(0), "UNKNOWN");
	assert_string_equal(ipc_msg_name(30), "UNKNOWN");
	assert_string_equal(ipc_msg_name(65535), "UNKNOWN");
	assert_false(ipc_msg_known(0));
	assert_true(ipc_msg_known(IPC_MSG_ADM_CHUNK));
	for (uint32_t t = 0; t <= UINT16_MAX; t++) {
		const char *n = ipc_msg_name((uint16_t)t);

		assert_non_null(n);
		if (!ipc_msg_known((uint16_t)t)) {
			assert_string_equal(n, "UNKNOWN");
			continue;
		}
		for (size_t i = 0; i < nseen; i++)
			if (strcmp(seen[i], n) == 0)
				fail_msg("duplicate name %s", n);
		assert_true(nseen < 64);
		seen[nseen++] = n;
	}
	assert_int_equal(nseen, 2 + 13 + 3 + 6 + 22 + 2);
}

static void
binding_is_set(void **state)
{
	struct ipc_binding b;

	(void)state;
	memset(&b, 0, sizeof(b));
	assert_false(ipc_binding_is_set(&b));
	b.b[IPC_BINDING_LEN - 1] = 1;
	assert_true(ipc_binding_is_set(&b));
	memset(&b, 0, sizeof(b));
	b.b[0] = 0x80;
	assert_true(ipc_binding_is_set(&b));
}

/* ---- HELLO / ERROR ---- */

static void
hello_roundtrip(void **state)
{
	struct ipc_hello m, d;
	struct ipc_wbuf w;

	(void)state;
	memset(&m, 0, sizeof(m));
	m.version = 0xfedcba98u;
	m.peer_kind = IPC_PEER_KEYSTORE;
	max_name(m.name, sizeof(m.name), 'h');
	m.instance = 0x1122334455667788ull;
	ENCODE(ipc_enc_hello, &m, w);
	assert_int_equal(ipc_dec_hello(w.p, w.len, &d), 0);
	assert_int_equal(d.version, m.version);
	assert_int_equal(d.peer_kind, m.peer_kind);
	assert_string_equal(d.name, m.name);
	assert_true(d.instance == m.instance);
	check_strict(IPC_MSG_HELLO, IPC_F_REPLY, w.p, w.len);
	ipc_wbuf_free(&w);

	/* request form: empty name */
	memset(&m, 0, sizeof(m));
	m.version = 1;
	m.peer_kind = IPC_PEER_FRONTEND;
	ENCODE(ipc_enc_hello, &m, w);
	assert_int_equal(ipc_dec_hello(w.p, w.len, &d), 0);
	assert_string_equal(d.name, "");
	check_strict(IPC_MSG_HELLO, 0, w.p, w.len);
	ipc_wbuf_free(&w);
}

static void
hello_invalid(void **state)
{
	struct ipc_hello m, d;
	struct ipc_wbuf w;
	const uint8_t kinds[] = {0, 4, 255};

	(void)state;
	for (size_t i = 0; i < sizeof(kinds); i++) {
		ipc_wbuf_init(&w);
		ipc_put_u32(&w, 1);
		ipc_put_u8(&w, kinds[i]);
		ipc_put_strz(&w, "x");
		ipc_put_u64(&w, 0);
		assert_int_equal(ipc_dec_hello(w.p, w.len, &d), -1);
		ipc_wbuf_free(&w);
	}
	/* name over IPC_NAME_MAX */
	ipc_wbuf_init(&w);
	ipc_put_u32(&w, 1);
	ipc_put_u8(&w, 1);
	put_name_raw(&w, 'n', IPC_NAME_MAX + 1);
	ipc_put_u64(&w, 0);
	assert_int_equal(ipc_dec_hello(w.p, w.len, &d), -1);
	ipc_wbuf_free(&w);
	/* name with NUL */
	ipc_wbuf_init(&w);
	ipc_put_u32(&w, 1);
	ipc_put_u8(&w, 1);
	ipc_put_u32(&w, 3);
	ipc_put_raw(&w, (const uint8_t *)"a\0b", 3);
	ipc_put_u64(&w, 0);
	assert_int_equal(ipc_dec_hello(w.p, w.len, &d), -1);
	ipc_wbuf_free(&w);

	/* encoder side */
	memset(&m, 0, sizeof(m));
	m.version = 1;
	m.peer_kind = 0;
	ENCODE_FAILS(ipc_enc_hello, &m);
	m.peer_kind = IPC_PEER_ADMIN;
	memset(m.name, 'x', sizeof(m.name)); /* not terminated */
	ENCODE_FAILS(ipc_enc_hello, &m);
}

static void
error_roundtrip(void **state)
{
	char *big = malloc(IPC_MAX_STR + 2);
	struct ipc_error m, d;
	struct ipc_wbuf w;

	(void)state;
	memset(big, 'e', IPC_MAX_STR + 1);
	big[IPC_MAX_STR + 1] = '\0';
	m.code = -3; /* IPC_E_PROTO */
	m.msg = big;
	m.msg_len = IPC_MAX_STR;
	ENCODE(ipc_enc_error, &m, w);
	assert_int_equal(ipc_dec_error(w.p, w.len, &d), 0);
	assert_int_equal(d.code, -3);
	assert_int_equal(d.msg_len, IPC_MAX_STR);
	assert_memory_equal(d.msg, big, IPC_MAX_STR);
	check_strict(IPC_MSG_ERROR, IPC_F_REPLY, w.p, w.len);
	ipc_wbuf_free(&w);

	m.code = 1234;
	m.msg = NULL;
	m.msg_len = 0;
	ENCODE(ipc_enc_error, &m, w);
	assert_int_equal(ipc_dec_error(w.p, w.len, &d), 0);
	assert_int_equal(d.code, 1234);
	assert_int_equal(d.msg_len, 0);
	ipc_wbuf_free(&w);

	m.msg = big;
	m.msg_len = IPC_MAX_STR + 1;
	ENCODE_FAILS(ipc_enc_error, &m);
	/* decoder bound */
	ipc_wbuf_init(&w);
	ipc_put_i32(&w, 0);
	ipc_put_str(&w, big, IPC_MAX_STR + 1);
	assert_int_equal(ipc_dec_error(w.p, w.len, &d), -1);
	ipc_wbuf_free(&w);
	free(big);
}

/* ---- ACE transport ---- */

static void
authz_info_roundtrip(void **state)
{
	uint8_t tok[1000];
	struct ipc_authz_info m, d;
	struct ipc_wbuf w;

	(void)state;
	for (size_t i = 0; i < sizeof(tok); i++)
		tok[i] = (uint8_t)(i * 13);
	memset(&m, 0, sizeof(m));
	m.content_format = 65535;
	m.payload = view_of(tok, sizeof(tok));
	m.transport = IPC_TRANSPORT_DTLS;
	fill_binding(&m.binding, 3);
	ENCODE(ipc_enc_authz_info, &m, w);
	assert_int_equal(ipc_dec_authz_info(w.p, w.len, &d), 0);
	assert_int_equal(d.content_format, 65535);
	assert_view(&d.payload, &m.payload);
	assert_int_equal(d.transport, IPC_TRANSPORT_DTLS);
	assert_binding(&d.binding, &m.binding);
	check_strict(IPC_MSG_AUTHZ_INFO, 0, w.p, w.len);
	ipc_wbuf_free(&w);

	/* empty view, no Content-Format */
	memset(&m, 0, sizeof(m));
	m.content_format = -1;
	ENCODE(ipc_enc_authz_info, &m, w);
	assert_int_equal(ipc_dec_authz_info(w.p, w.len, &d), 0);
	assert_int_equal(d.content_format, -1);
	assert_int_equal(d.payload.n, 0);
	assert_int_equal(d.transport, IPC_TRANSPORT_PLAIN);
	check_strict(IPC_MSG_AUTHZ_INFO, 0, w.p, w.len);
	ipc_wbuf_free(&w);

	/* invalid values */
	m.content_format = -2;
	ENCODE_FAILS(ipc_enc_authz_info, &m);
	m.content_format = 65536;
	ENCODE_FAILS(ipc_enc_authz_info, &m);
	m.content_format = 60;
	m.transport = 2;
	ENCODE_FAILS(ipc_enc_authz_info, &m);
	ipc_wbuf_init(&w);
	ipc_put_i32(&w, -2);
	ipc_put_bytes(&w, NULL, 0);
	ipc_put_u8(&w, 0);
	ipc_put_raw(&w, m.binding.b, IPC_BINDING_LEN);
	assert_int_equal(ipc_dec_authz_info(w.p, w.len, &d), -1);
	w.p[0] = 60;
	w.p[1] = w.p[2] = w.p[3] = 0;
	assert_int_equal(ipc_dec_authz_info(w.p, w.len, &d), 0);
	w.p[8] = 2; /* transport */
	assert_int_equal(ipc_dec_authz_info(w.p, w.len, &d), -1);
	ipc_wbuf_free(&w);
}

static void
psk_rpk_identity_roundtrip(void **state)
{
	const uint8_t id[] = {0xa1, 0x08, 0xa1, 0x01, 0xa2,
	                      0x01, 0x04, 0x02, 0x41, 0x00};
	uint8_t spki[91];
	struct ipc_psk_identity p, pd;
	struct ipc_rpk_identity r, rd;
	struct ipc_wbuf w;

	(void)state;
	memset(spki, 0x30, sizeof(spki));
	p.identity = view_of(id, sizeof(id));
	ENCODE(ipc_enc_psk_identity, &p, w);
	assert_int_equal(ipc_dec_psk_identity(w.p, w.len, &pd), 0);
	assert_view(&pd.identity, &p.identity);
	check_strict(IPC_MSG_PSK_IDENTITY, 0, w.p, w.len);
	ipc_wbuf_free(&w);

	r.spki = view_of(spki, sizeof(spki));
	ENCODE(ipc_enc_rpk_identity, &r, w);
	assert_int_equal(ipc_dec_rpk_identity(w.p, w.len, &rd), 0);
	assert_view(&rd.spki, &r.spki);
	check_strict(IPC_MSG_RPK_IDENTITY, 0, w.p, w.len);
	ipc_wbuf_free(&w);
}

static void
psk_result_roundtrip(void **state)
{
	uint8_t key[32];
	struct ipc_psk_result m, d;
	struct ipc_wbuf w;

	(void)state;
	memset(key, 0x4b, sizeof(key));
	memset(&m, 0, sizeof(m));
	m.status = IPC_PSK_UNSUPPORTED;
	m.key = view_of(key, sizeof(key));
	fill_binding(&m.binding, 9);
	m.exp = INT64_MAX;
	m.token_in_handshake = true;
	ENCODE(ipc_enc_psk_result, &m, w);
	assert_true(w.secret);
	assert_int_equal(ipc_dec_psk_result(w.p, w.len, &d), 0);
	assert_int_equal(d.status, IPC_PSK_UNSUPPORTED);
	assert_view(&d.key, &m.key);
	assert_binding(&d.binding, &m.binding);
	assert_true(d.exp == INT64_MAX);
	assert_true(d.token_in_handshake);
	check_strict(IPC_MSG_PSK_RESULT, IPC_F_REPLY, w.p, w.len);
	/* status 4, token_in_handshake 2 */
	w.p[0] = 4;
	assert_int_equal(ipc_dec_psk_result(w.p, w.len, &d), -1);
	w.p[0] = 0;
	w.p[w.len - 1] = 2;
	assert_int_equal(ipc_dec_psk_result(w.p, w.len, &d), -1);
	ipc_wbuf_free(&w);
	m.status = 4;
	ENCODE_FAILS(ipc_enc_psk_result, &m);
}

/* ---- RFC 9594 requests ---- */

static void
group_names_roundtrip(void **state)
{
	enum { N = 1000 };
	struct ipc_view *gids = calloc(N, sizeof(*gids));
	uint8_t raw[N][4];
	struct ipc_group_names m, d;
	struct ipc_wbuf w;

	(void)state;
	for (size_t i = 0; i < N; i++) {
		memcpy(raw[i], &i, 4);
		gids[i] = view_of(raw[i], i % 5); /* includes empty views */
	}
	fill_binding(&m.binding, 1);
	m.ngids = N;
	m.gids = gids;
	ENCODE(ipc_enc_group_names, &m, w);
	assert_int_equal(ipc_dec_group_names(w.p, w.len, &d), 0);
	assert_binding(&d.binding, &m.binding);
	assert_int_equal(d.ngids, N);
	for (size_t i = 0; i < N; i++)
		assert_view(&d.gids[i], &gids[i]);
	free(d.gids);
	check_strict(IPC_MSG_GROUP_NAMES, 0, w.p, w.len);
	ipc_wbuf_free(&w);

	m.ngids = 0;
	m.gids = NULL;
	ENCODE(ipc_enc_group_names, &m, w);
	assert_int_equal(ipc_dec_group_names(w.p, w.len, &d), 0);
	assert_int_equal(d.ngids, 0);
	assert_null(d.gids);
	check_strict(IPC_MSG_GROUP_NAMES, 0, w.p, w.len);
	ipc_wbuf_free(&w);
	free(gids);
}

static void
group_names_counts(void **state)
{
	struct ipc_group_names d;
	struct ipc_binding b;
	struct ipc_wbuf w;

	(void)state;
	memset(&b, 0, sizeof(b));
	/* count larger than the remaining bytes */
	ipc_wbuf_init(&w);
	ipc_put_raw(&w, b.b, sizeof(b.b));
	ipc_put_u32(&w, 3);
	ipc_put_bytes(&w, NULL, 0);
	ipc_put_bytes(&w, NULL, 0);
	assert_int_equal(ipc_dec_group_names(w.p, w.len, &d), -1);
	ipc_wbuf_free(&w);

	/* exactly IPC_MAX_LIST (empty gids) is fine, one more is not, even
	 * when the bytes are there */
	for (uint32_t n = IPC_MAX_LIST; n <= IPC_MAX_LIST + 1; n++) {
		ipc_wbuf_init(&w);
		ipc_put_raw(&w, b.b, sizeof(b.b));
		ipc_put_u32(&w, n);
		for (uint32_t i = 0; i < n; i++)
			ipc_put_u32(&w, 0);
		assert_true(ipc_wbuf_ok(&w));
		assert_int_equal(ipc_dec_group_names(w.p, w.len, &d),
		                 n == IPC_MAX_LIST ? 0 : -1);
		if (n == IPC_MAX_LIST) {
			assert_int_equal(d.ngids, IPC_MAX_LIST);
			free(d.gids);
		}
		ipc_wbuf_free(&w);
	}
	/* the encoder refuses too many */
	memset(&d, 0, sizeof(d));
	d.ngids = IPC_MAX_LIST + 1;
	d.gids = calloc(IPC_MAX_LIST + 1, sizeof(*d.gids));
	ENCODE_FAILS(ipc_enc_group_names, &d);
	free(d.gids);
}

static const uint64_t roles5[] = {2, 4, 6, 8, UINT64_MAX};

static void
fill_join(struct ipc_join *m, struct ipc_view *ids)
{
	static const uint8_t ns[32] = {1, 2, 3};
	static const uint8_t scope[] = {0x82, 0x62, 'g', '1', 0x02};
	static const uint8_t cred[] = {0xa2, 0x02, 0x60, 0x08, 0xa0};
	static const uint8_t nonce[8] = {9, 9, 9};
	static const uint8_t pop[64] = {0x55};

	memset(m, 0, sizeof(*m));
	fill_binding(&m->binding, 0x42);
	max_name(m->group, sizeof(m->group), 'g');
	m->exporter_ns = view_of(ns, sizeof(ns));
	m->has_scope = true;
	m->scope = view_of(scope, sizeof(scope));
	m->get_creds.kind = IPC_GET_CREDS_FILTER;
	m->get_creds.inclusion = true;
	m->get_creds.nroles = 5;
	m->get_creds.roles = (uint64_t *)roles5;
	ids[0] = view_of("\x01", 1);
	ids[1] = view_of("", 0);
	ids[2] = view_of("\x01\x02\x03\x04\x05\x06\x07", 7);
	m->get_creds.nids = 3;
	m->get_creds.ids = ids;
	m->has_client_cred = true;
	m->client_cred = view_of(cred, sizeof(cred));
	m->has_cnonce = true;
	m->cnonce = view_of(nonce, sizeof(nonce));
	m->has_pop = true;
	m->pop = view_of(pop, sizeof(pop));
	m->has_control_uri = true;
	m->control_uri = text_of("coap://[2001:db8::1]/grp/ctl");
}

static void
assert_get_creds(const struct ipc_get_creds *d, const struct ipc_get_creds *m)
{
	assert_int_equal(d->kind, m->kind);
	assert_int_equal(d->inclusion, m->inclusion);
	assert_int_equal(d->nroles, m->nroles);
	for (uint32_t i = 0; i < m->nroles; i++)
		assert_true(d->roles[i] == m->roles[i]);
	assert_int_equal(d->nids, m->nids);
	for (uint32_t i = 0; i < m->nids; i++)
		assert_view(&d->ids[i], &m->ids[i]);
}

static void
join_roundtrip(void **state)
{
	struct ipc_view ids[3];
	struct ipc_join m, d;
	struct ipc_wbuf w;

	(void)state;
	fill_join(&m, ids);
	ENCODE(ipc_enc_join, &m, w);
	assert_int_equal(ipc_dec_join(w.p, w.len, &d), 0);
	assert_binding(&d.binding, &m.binding);
	assert_string_equal(d.group, m.group);
	assert_int_equal(strlen(d.group), KDC_GNAME_MAX);
	assert_view(&d.exporter_ns, &m.exporter_ns);
	assert_true(d.has_scope);
	assert_view(&d.scope, &m.scope);
	assert_get_creds(&d.get_creds, &m.get_creds);
	assert_true(d.has_client_cred);
	assert_view(&d.client_cred, &m.client_cred);
	assert_true(d.has_cnonce);
	assert_view(&d.cnonce, &m.cnonce);
	assert_true(d.has_pop);
	assert_view(&d.pop, &m.pop);
	assert_true(d.has_control_uri);
	assert_view(&d.control_uri, &m.control_uri);
	ipc_join_free(&d);
	assert_null(d.get_creds.roles);
	assert_null(d.get_creds.ids);
	check_strict(IPC_MSG_JOIN, 0, w.p, w.len);
	ipc_wbuf_free(&w);

	/* everything optional absent */
	memset(&m, 0, sizeof(m));
	strcpy(m.group, "g");
	ENCODE(ipc_enc_join, &m, w);
	assert_int_equal(ipc_dec_join(w.p, w.len, &d), 0);
	assert_false(d.has_scope || d.has_client_cred || d.has_cnonce ||
	             d.has_pop || d.has_control_uri);
	assert_null(d.scope.p);
	assert_int_equal(d.get_creds.kind, IPC_GET_CREDS_ABSENT);
	assert_int_equal(d.get_creds.nroles, 0);
	assert_null(d.get_creds.roles);
	ipc_join_free(&d);
	check_strict(IPC_MSG_JOIN, 0, w.p, w.len);
	ipc_wbuf_free(&w);
}

static void
join_invalid(void **state)
{
	struct ipc_view ids[3];
	struct ipc_join m, d;
	struct ipc_wbuf w;
	size_t has_scope_at;

	(void)state;
	fill_join(&m, ids);
	ENCODE(ipc_enc_join, &m, w);
	/* has_scope = 2 */
	has_scope_at = IPC_BINDING_LEN + 4 + KDC_GNAME_MAX + 4 + 32;
	assert_int_equal(w.p[has_scope_at], 1);
	w.p[has_scope_at] = 2;
	assert_int_equal(ipc_dec_join(w.p, w.len, &d), -1);
	ipc_wbuf_free(&w);

	/* group name over KDC_GNAME_MAX */
	ipc_wbuf_init(&w);
	ipc_put_raw(&w, m.binding.b, IPC_BINDING_LEN);
	put_name_raw(&w, 'g', KDC_GNAME_MAX + 1);
	ipc_put_bytes(&w, NULL, 0);
	ipc_put_bool(&w, false);
	ipc_put_u8(&w, 0);
	ipc_put_bool(&w, false);
	ipc_put_u32(&w, 0);
	ipc_put_u32(&w, 0);
	for (int i = 0; i < 4; i++)
		ipc_put_bool(&w, false);
	assert_int_equal(ipc_dec_join(w.p, w.len, &d), -1);
	ipc_wbuf_free(&w);

	/* roles count larger than the remaining bytes (arrays freed) */
	ipc_wbuf_init(&w);
	ipc_put_raw(&w, m.binding.b, IPC_BINDING_LEN);
	ipc_put_strz(&w, "g");
	ipc_put_bytes(&w, NULL, 0);
	ipc_put_bool(&w, false);
	ipc_put_u8(&w, IPC_GET_CREDS_FILTER);
	ipc_put_bool(&w, true);
	ipc_put_u32(&w, 1000);
	for (int i = 0; i < 10; i++)
		ipc_put_u64(&w, 1);
	assert_int_equal(ipc_dec_join(w.p, w.len, &d), -1);
	ipc_wbuf_free(&w);

	/* roles allocated, then the ids count fails: no leak (ASan) */
	ipc_wbuf_init(&w);
	ipc_put_raw(&w, m.binding.b, IPC_BINDING_LEN);
	ipc_put_strz(&w, "g");
	ipc_put_bytes(&w, NULL, 0);
	ipc_put_bool(&w, false);
	ipc_put_u8(&w, IPC_GET_CREDS_FILTER);
	ipc_put_bool(&w, true);
	ipc_put_u32(&w, 2);
	ipc_put_u64(&w, 1);
	ipc_put_u64(&w, 2);
	ipc_put_u32(&w, IPC_MAX_LIST + 1);
	assert_int_equal(ipc_dec_join(w.p, w.len, &d), -1);
	ipc_wbuf_free(&w);

	/* get_creds kind 4 */
	ipc_wbuf_init(&w);
	ipc_put_raw(&w, m.binding.b, IPC_BINDING_LEN);
	ipc_put_strz(&w, "g");
	ipc_put_bytes(&w, NULL, 0);
	ipc_put_bool(&w, false);
	ipc_put_u8(&w, 4);
	ipc_put_bool(&w, false);
	ipc_put_u32(&w, 0);
	ipc_put_u32(&w, 0);
	for (int i = 0; i < 4; i++)
		ipc_put_bool(&w, false);
	assert_int_equal(ipc_dec_join(w.p, w.len, &d), -1);
	w.p[w.len - 14] = IPC_GET_CREDS_ALL; /* the kind byte */
	assert_int_equal(ipc_dec_join(w.p, w.len, &d), 0);
	ipc_join_free(&d);
	ipc_wbuf_free(&w);

	/* control_uri with NUL: refused both ways */
	fill_join(&m, ids);
	m.control_uri = view_of("coap://a\0b", 10);
	ENCODE_FAILS(ipc_enc_join, &m);
	/* group not terminated in its array */
	fill_join(&m, ids);
	memset(m.group, 'g', sizeof(m.group));
	ENCODE_FAILS(ipc_enc_join, &m);
	/* roles count without an array */
	fill_join(&m, ids);
	m.get_creds.roles = NULL;
	ENCODE_FAILS(ipc_enc_join, &m);
}

static void
group_read_roundtrip(void **state)
{
	struct ipc_group_read m, d;
	struct ipc_wbuf w;

	(void)state;
	for (uint8_t res = IPC_RES_KEYS; res <= IPC_RES_KDC_CRED; res++) {
		memset(&m, 0, sizeof(m));
		fill_binding(&m.binding, res);
		max_name(m.group, sizeof(m.group), (char)('a' + res));
		m.resource = res;
		ENCODE(ipc_enc_group_read, &m, w);
		assert_int_equal(ipc_dec_group_read(w.p, w.len, &d), 0);
		assert_binding(&d.binding, &m.binding);
		assert_string_equal(d.group, m.group);
		assert_int_equal(d.resource, res);
		check_strict(IPC_MSG_GROUP_READ, 0, w.p, w.len);
		w.p[w.len - 1] = 0;
		assert_int_equal(ipc_dec_group_read(w.p, w.len, &d), -1);
		w.p[w.len - 1] = IPC_RES_KDC_CRED + 1;
		assert_int_equal(ipc_dec_group_read(w.p, w.len, &d), -1);
		ipc_wbuf_free(&w);
	}
	m.resource = 7;
	ENCODE_FAILS(ipc_enc_group_read, &m);
}

static void
creds_roundtrip(void **state)
{
	enum { N = 2000 };
	struct ipc_view *ids = calloc(N, sizeof(*ids));
	uint64_t *roles = calloc(N, sizeof(*roles));
	struct ipc_creds m, d;
	struct ipc_wbuf w;

	(void)state;
	for (size_t i = 0; i < N; i++) {
		roles[i] = (uint64_t)i << 20 | i;
		ids[i] = view_of(&roles[i], i % 9);
	}
	memset(&m, 0, sizeof(m));
	fill_binding(&m.binding, 77);
	max_name(m.group, sizeof(m.group), 'c');
	m.get_creds.kind = IPC_GET_CREDS_FILTER;
	m.get_creds.inclusion = false;
	m.get_creds.nroles = N;
	m.get_creds.roles = roles;
	m.get_creds.nids = N;
	m.get_creds.ids = ids;
	ENCODE(ipc_enc_creds, &m, w);
	assert_int_equal(ipc_dec_creds(w.p, w.len, &d), 0);
	assert_binding(&d.binding, &m.binding);
	assert_string_equal(d.group, m.group);
	assert_get_creds(&d.get_creds, &m.get_creds);
	ipc_creds_free(&d);
	check_strict(IPC_MSG_CREDS, 0, w.p, w.len);
	ipc_wbuf_free(&w);

	memset(&m.get_creds, 0, sizeof(m.get_creds));
	m.get_creds.kind = IPC_GET_CREDS_ALL;
	ENCODE(ipc_enc_creds, &m, w);
	assert_int_equal(ipc_dec_creds(w.p, w.len, &d), 0);
	assert_int_equal(d.get_creds.kind, IPC_GET_CREDS_ALL);
	ipc_creds_free(&d);
	check_strict(IPC_MSG_CREDS, 0, w.p, w.len);
	ipc_wbuf_free(&w);
	free(ids);
	free(roles);
}

static void
kdc_cred_fetch_stale_sids_roundtrip(void **state)
{
	const uint8_t nonce[] = {1, 2, 3, 4, 5, 6, 7, 8};
	struct ipc_kdc_cred_fetch k, kd;
	struct ipc_stale_sids s, sd;
	struct ipc_wbuf w;

	(void)state;
	memset(&k, 0, sizeof(k));
	fill_binding(&k.binding, 5);
	max_name(k.group, sizeof(k.group), 'k');
	k.cnonce = view_of(nonce, sizeof(nonce));
	ENCODE(ipc_enc_kdc_cred_fetch, &k, w);
	assert_int_equal(ipc_dec_kdc_cred_fetch(w.p, w.len, &kd), 0);
	assert_binding(&kd.binding, &k.binding);
	assert_string_equal(kd.group, k.group);
	assert_view(&kd.cnonce, &k.cnonce);
	check_strict(IPC_MSG_KDC_CRED_FETCH, 0, w.p, w.len);
	ipc_wbuf_free(&w);

	memset(&s, 0, sizeof(s));
	fill_binding(&s.binding, 6);
	strcpy(s.group, "staleg");
	s.version = UINT64_MAX - 3;
	ENCODE(ipc_enc_stale_sids, &s, w);
	assert_int_equal(ipc_dec_stale_sids(w.p, w.len, &sd), 0);
	assert_binding(&sd.binding, &s.binding);
	assert_string_equal(sd.group, "staleg");
	assert_true(sd.version == UINT64_MAX - 3);
	check_strict(IPC_MSG_STALE_SIDS, 0, w.p, w.len);
	ipc_wbuf_free(&w);
}

static void
node_roundtrip(void **state)
{
	struct ipc_node m, d;
	struct ipc_wbuf w;

	(void)state;
	for (uint8_t op = IPC_NODE_GET; op <= IPC_NODE_LEAVE; op++) {
		memset(&m, 0, sizeof(m));
		fill_binding(&m.binding, op);
		max_name(m.group, sizeof(m.group), 'g');
		max_name(m.node, sizeof(m.node), 'n');
		m.op = op;
		ENCODE(ipc_enc_node, &m, w);
		assert_int_equal(ipc_dec_node(w.p, w.len, &d), 0);
		assert_binding(&d.binding, &m.binding);
		assert_string_equal(d.group, m.group);
		assert_string_equal(d.node, m.node);
		assert_int_equal(strlen(d.node), IPC_NODE_MAX);
		assert_int_equal(d.op, op);
		check_strict(IPC_MSG_NODE, 0, w.p, w.len);
		w.p[w.len - 1] = IPC_NODE_LEAVE + 1;
		assert_int_equal(ipc_dec_node(w.p, w.len, &d), -1);
		ipc_wbuf_free(&w);
	}
	/* node name over IPC_NODE_MAX */
	ipc_wbuf_init(&w);
	ipc_put_raw(&w, m.binding.b, IPC_BINDING_LEN);
	ipc_put_strz(&w, "g");
	put_name_raw(&w, 'n', IPC_NODE_MAX + 1);
	ipc_put_u8(&w, IPC_NODE_GET);
	assert_int_equal(ipc_dec_node(w.p, w.len, &d), -1);
	ipc_wbuf_free(&w);
	m.op = 0;
	ENCODE_FAILS(ipc_enc_node, &m);
}

static void
node_cred_roundtrip(void **state)
{
	const uint8_t ns[32] = {0xee}, cred[200] = {0xa2}, nc[8] = {3},
	              pop[64] = {7};
	struct ipc_node_cred m, d;
	struct ipc_wbuf w;

	(void)state;
	memset(&m, 0, sizeof(m));
	fill_binding(&m.binding, 0x77);
	max_name(m.group, sizeof(m.group), 'G');
	max_name(m.node, sizeof(m.node), 'N');
	m.exporter_ns = view_of(ns, sizeof(ns));
	m.has_client_cred = true;
	m.client_cred = view_of(cred, sizeof(cred));
	m.has_cnonce = true;
	m.cnonce = view_of(nc, sizeof(nc));
	m.has_pop = true;
	m.pop = view_of(pop, sizeof(pop));
	ENCODE(ipc_enc_node_cred, &m, w);
	assert_int_equal(ipc_dec_node_cred(w.p, w.len, &d), 0);
	assert_binding(&d.binding, &m.binding);
	assert_string_equal(d.group, m.group);
	assert_string_equal(d.node, m.node);
	assert_view(&d.exporter_ns, &m.exporter_ns);
	assert_true(d.has_client_cred && d.has_cnonce && d.has_pop);
	assert_view(&d.client_cred, &m.client_cred);
	assert_view(&d.cnonce, &m.cnonce);
	assert_view(&d.pop, &m.pop);
	check_strict(IPC_MSG_NODE_CRED, 0, w.p, w.len);
	ipc_wbuf_free(&w);

	m.has_cnonce = false;
	m.exporter_ns = view_of(NULL, 0);
	ENCODE(ipc_enc_node_cred, &m, w);
	assert_int_equal(ipc_dec_node_cred(w.p, w.len, &d), 0);
	assert_false(d.has_cnonce);
	assert_int_equal(d.cnonce.n, 0);
	assert_int_equal(d.exporter_ns.n, 0);
	check_strict(IPC_MSG_NODE_CRED, 0, w.p, w.len);
	ipc_wbuf_free(&w);
}

static void
group_list_roundtrip(void **state)
{
	enum { N = 500 };
	char(*nm)[KDC_GNAME_MAX + 1] = calloc(N, sizeof(*nm));
	struct ipc_view *v = calloc(N, sizeof(*v));
	struct ipc_group_list_result m, d;
	struct ipc_wbuf w;

	(void)state;
	for (size_t i = 0; i < N; i++) {
		if (i == 0)
			max_name(nm[i], sizeof(nm[i]), 'L');
		else
			snprintf(nm[i], sizeof(nm[i]), "group-%zu", i);
		v[i] = text_of(nm[i]);
	}
	m.n = N;
	m.names = v;
	ENCODE(ipc_enc_group_list_result, &m, w);
	assert_int_equal(ipc_dec_group_list_result(w.p, w.len, &d), 0);
	assert_int_equal(d.n, N);
	for (size_t i = 0; i < N; i++)
		assert_view(&d.names[i], &v[i]);
	free(d.names);
	check_strict(IPC_MSG_GROUP_LIST_RESULT, IPC_F_REPLY, w.p, w.len);
	ipc_wbuf_free(&w);

	/* GROUP_LIST itself is empty */
	assert_int_equal(ipc_msg_check(IPC_MSG_GROUP_LIST, 0, NULL, 0), 0);
	assert_int_equal(
	        ipc_msg_check(IPC_MSG_GROUP_LIST, 0, (const uint8_t *)"x", 1),
	        -1);

	/* a name over KDC_GNAME_MAX, a name with NUL */
	ipc_wbuf_init(&w);
	ipc_put_u32(&w, 1);
	put_name_raw(&w, 'x', KDC_GNAME_MAX + 1);
	assert_int_equal(ipc_dec_group_list_result(w.p, w.len, &d), -1);
	ipc_wbuf_free(&w);
	ipc_wbuf_init(&w);
	ipc_put_u32(&w, 2);
	ipc_put_strz(&w, "ok");
	ipc_put_u32(&w, 2);
	ipc_put_raw(&w, (const uint8_t *)"\0x", 2);
	assert_int_equal(ipc_dec_group_list_result(w.p, w.len, &d), -1);
	ipc_wbuf_free(&w);
	v[3].n = KDC_GNAME_MAX + 1;
	v[3].p = (const uint8_t *)nm[0];
	ENCODE_FAILS(ipc_enc_group_list_result, &m);
	free(v);
	free(nm);
}

static void
fe_stats_roundtrip(void **state)
{
	struct ipc_fe_stats m = {UINT64_MAX, 12345678901ull, 70000, 4}, d;
	struct ipc_wbuf w;

	(void)state;
	ENCODE(ipc_enc_fe_stats, &m, w);
	assert_int_equal(w.len, 24);
	assert_int_equal(ipc_dec_fe_stats(w.p, w.len, &d), 0);
	assert_true(d.requests == UINT64_MAX);
	assert_true(d.errors == 12345678901ull);
	assert_int_equal(d.sessions, 70000);
	assert_int_equal(d.observers, 4);
	check_strict(IPC_MSG_FE_STATS, 0, w.p, w.len);
	ipc_wbuf_free(&w);
}

/* ---- replies ---- */

static void
coap_result_roundtrip(void **state)
{
	uint8_t body[3000];
	const uint8_t sid[] = {0x01, 0x02};
	struct ipc_coap_result m, d;
	struct ipc_wbuf w;

	(void)state;
	for (size_t i = 0; i < sizeof(body); i++)
		body[i] = (uint8_t)(i ^ 0x5c);
	memset(&m, 0, sizeof(m));
	m.code = (2 << 5) | 1;
	m.content_format = 261;
	m.max_age = UINT32_MAX;
	m.location_path = text_of("ace-group/g1/nodes/n3");
	m.payload = view_of(body, sizeof(body));
	fill_binding(&m.binding, 0xb0);
	m.member_op = IPC_MEMBER_SET;
	max_name(m.group, sizeof(m.group), 'g');
	max_name(m.node, sizeof(m.node), 'n');
	m.perm = 6;
	m.has_sid = true;
	m.sid = view_of(sid, sizeof(sid));
	ENCODE(ipc_enc_coap_result, &m, w);
	assert_true(w.secret);
	assert_int_equal(ipc_dec_coap_result(w.p, w.len, &d), 0);
	assert_int_equal(d.code, m.code);
	assert_int_equal(d.content_format, 261);
	assert_true(d.max_age == UINT32_MAX);
	assert_view(&d.location_path, &m.location_path);
	assert_view(&d.payload, &m.payload);
	assert_binding(&d.binding, &m.binding);
	assert_int_equal(d.member_op, IPC_MEMBER_SET);
	assert_string_equal(d.group, m.group);
	assert_string_equal(d.node, m.node);
	assert_true(d.perm == 6);
	assert_true(d.has_sid);
	assert_view(&d.sid, &m.sid);
	check_strict(IPC_MSG_COAP_RESULT, IPC_F_REPLY, w.p, w.len);
	/* content_format -2 */
	memset(w.p + 1, 0xfe, 1);
	memset(w.p + 2, 0xff, 3);
	assert_int_equal(ipc_dec_coap_result(w.p, w.len, &d), -1);
	ipc_wbuf_free(&w);

	/* minimal: error code, nothing else */
	memset(&m, 0, sizeof(m));
	m.code = (4 << 5) | 3;
	m.content_format = -1;
	m.max_age = -1;
	ENCODE(ipc_enc_coap_result, &m, w);
	assert_int_equal(ipc_dec_coap_result(w.p, w.len, &d), 0);
	assert_int_equal(d.content_format, -1);
	assert_true(d.max_age == -1);
	assert_int_equal(d.location_path.n, 0);
	assert_int_equal(d.payload.n, 0);
	assert_false(d.has_sid);
	check_strict(IPC_MSG_COAP_RESULT, IPC_F_REPLY, w.p, w.len);
	/* max_age -2 */
	memset(w.p + 5, 0xff, 8);
	w.p[5] = 0xfe;
	assert_int_equal(ipc_dec_coap_result(w.p, w.len, &d), -1);
	ipc_wbuf_free(&w);

	m.max_age = -2;
	ENCODE_FAILS(ipc_enc_coap_result, &m);
	m.max_age = (int64_t)UINT32_MAX + 1;
	ENCODE_FAILS(ipc_enc_coap_result, &m);
	m.max_age = 60;
	m.member_op = 3;
	ENCODE_FAILS(ipc_enc_coap_result, &m);
	m.member_op = 0;
	m.location_path = view_of("a\0", 2);
	ENCODE_FAILS(ipc_enc_coap_result, &m);
}

/* ---- pushes ---- */

static void
group_name_msg_roundtrip(void **state)
{
	struct ipc_group_name_msg m, d;
	struct ipc_wbuf w;

	(void)state;
	max_name(m.group, sizeof(m.group), 'p');
	ENCODE(ipc_enc_group_name_msg, &m, w);
	assert_int_equal(ipc_dec_group_name_msg(w.p, w.len, &d), 0);
	assert_string_equal(d.group, m.group);
	check_strict(IPC_MSG_PUSH_GROUP_ADDED, IPC_F_PUSH, w.p, w.len);
	check_strict(IPC_MSG_PUSH_GROUP_DELETED, IPC_F_PUSH, w.p, w.len);
	ipc_wbuf_free(&w);
}

static void
fill_material(struct kdc_group_material *m)
{
	memset(m, 0, sizeof(*m));
	max_name(m->name, sizeof(m->name), 'm');
	m->num = 0x0102030405060708ull;
	m->exp = 1700000000;
	m->active = true;
	for (size_t i = 0; i < sizeof(m->ms); i++)
		m->ms[i] = (uint8_t)(0xa0 + i);
	m->ms_len = sizeof(m->ms);
	memset(m->salt, 0x5a, 8);
	m->salt_len = 8;
	for (size_t i = 0; i < sizeof(m->gid); i++)
		m->gid[i] = (uint8_t)i;
	m->gid_len = sizeof(m->gid);
	m->hkdf = 5;
	m->cred_fmt = 14;
	m->group_mode = true;
	m->gp_enc_alg = 10;
	m->sign_alg = -8;
	m->sign_crv = 6;
	m->pairwise_mode = true;
	m->alg = 10;
	m->ecdh_alg = -27;
	m->ecdh_crv = 4;
	m->key_update_check_interval = 3600;
	m->expiration_delta = 7;
}

static void
assert_material(const struct kdc_group_material *d,
                const struct kdc_group_material *m)
{
	assert_string_equal(d->name, m->name);
	assert_true(d->num == m->num);
	assert_true(d->exp == m->exp);
	assert_int_equal(d->active, m->active);
	assert_int_equal(d->ms_len, m->ms_len);
	assert_memory_equal(d->ms, m->ms, m->ms_len);
	assert_int_equal(d->salt_len, m->salt_len);
	assert_memory_equal(d->salt, m->salt, m->salt_len);
	assert_int_equal(d->gid_len, m->gid_len);
	assert_memory_equal(d->gid, m->gid, m->gid_len);
	assert_true(d->hkdf == m->hkdf);
	assert_true(d->cred_fmt == m->cred_fmt);
	assert_int_equal(d->group_mode, m->group_mode);
	assert_true(d->gp_enc_alg == m->gp_enc_alg);
	assert_true(d->sign_alg == m->sign_alg);
	assert_int_equal(d->sign_crv, m->sign_crv);
	assert_int_equal(d->pairwise_mode, m->pairwise_mode);
	assert_true(d->alg == m->alg);
	assert_true(d->ecdh_alg == m->ecdh_alg);
	assert_int_equal(d->ecdh_crv, m->ecdh_crv);
	assert_int_equal(d->key_update_check_interval,
	                 m->key_update_check_interval);
	assert_int_equal(d->expiration_delta, m->expiration_delta);
}

static void
group_state_roundtrip(void **state)
{
	enum { NS = 10, NJ = 3 };
	struct kdc_group_material mat, dmat;
	struct ipc_view stale[NS], creds[NJ], sids[NJ];
	uint64_t perms[NJ] = {2, 4, 6};
	uint8_t sidb[NS] = {0};
	struct ipc_group_state m, d;
	struct ipc_wbuf w;

	(void)state;
	fill_material(&mat);
	for (size_t i = 0; i < NS; i++) {
		sidb[i] = (uint8_t)i;
		stale[i] = view_of(&sidb[i], 1);
	}
	creds[0] = view_of("cred-zero", 9);
	creds[1] = view_of("c1", 2);
	creds[2] = view_of("", 0);
	sids[0] = view_of("\x10", 1);
	sids[1] = view_of("\x11\x12", 2);
	sids[2] = view_of("", 0);
	memset(&m, 0, sizeof(m));
	m.reason = IPC_STATE_REKEY;
	m.material = &mat;
	m.nstale = NS;
	m.stale = stale;
	m.njoiners = NJ;
	m.joiner_creds = creds;
	m.joiner_perms = perms;
	m.joiner_sids = sids;
	ENCODE(ipc_enc_group_state, &m, w);
	assert_true(w.secret);

	memset(&d, 0xff, sizeof(d));
	d.material = &dmat;
	assert_int_equal(ipc_dec_group_state(w.p, w.len, &d), 0);
	assert_ptr_equal(d.material, &dmat);
	assert_int_equal(d.reason, IPC_STATE_REKEY);
	assert_material(&dmat, &mat);
	assert_int_equal(d.nstale, NS);
	for (size_t i = 0; i < NS; i++)
		assert_view(&d.stale[i], &stale[i]);
	assert_int_equal(d.njoiners, NJ);
	for (size_t i = 0; i < NJ; i++) {
		assert_view(&d.joiner_creds[i], &creds[i]);
		assert_true(d.joiner_perms[i] == perms[i]);
		assert_view(&d.joiner_sids[i], &sids[i]);
	}
	ipc_group_state_free(&d);
	assert_null(d.stale);
	assert_null(d.joiner_creds);
	check_strict(IPC_MSG_PUSH_GROUP_STATE, IPC_F_PUSH, w.p, w.len);

	/* a truncated payload leaves no Master Secret behind */
	d.material = &dmat;
	assert_int_equal(ipc_dec_group_state(w.p, w.len - 1, &d), -1);
	for (size_t i = 0; i < sizeof(dmat.ms); i++)
		assert_int_equal(dmat.ms[i], 0);
	/* no material to decode into */
	d.material = NULL;
	assert_int_equal(ipc_dec_group_state(w.p, w.len, &d), -1);
	ipc_wbuf_free(&w);

	/* snapshot: no stale set, no joiners; empty salt */
	mat.salt_len = 0;
	memset(&m, 0, sizeof(m));
	m.reason = IPC_STATE_SNAPSHOT;
	m.material = &mat;
	ENCODE(ipc_enc_group_state, &m, w);
	d.material = &dmat;
	assert_int_equal(ipc_dec_group_state(w.p, w.len, &d), 0);
	assert_material(&dmat, &mat);
	assert_int_equal(d.nstale, 0);
	assert_int_equal(d.njoiners, 0);
	ipc_group_state_free(&d);
	check_strict(IPC_MSG_PUSH_GROUP_STATE, IPC_F_PUSH, w.p, w.len);
	ipc_wbuf_free(&w);

	/* encoder refusals */
	m.material = NULL;
	ENCODE_FAILS(ipc_enc_group_state, &m);
	m.material = &mat;
	mat.ms_len = 33;
	ENCODE_FAILS(ipc_enc_group_state, &m);
	mat.ms_len = 32;
	m.reason = 5;
	ENCODE_FAILS(ipc_enc_group_state, &m);
	m.reason = IPC_STATE_REKEY;
	m.njoiners = 1;
	ENCODE_FAILS(ipc_enc_group_state, &m); /* arrays missing */
	memset(&mat, 0, sizeof(mat));
}

static void
group_state_invalid(void **state)
{
	struct kdc_group_material dmat;
	struct ipc_group_state d;
	struct ipc_wbuf w;
	uint8_t ms[33] = {0};

	(void)state;
	/* Master Secret of 33 bytes */
	ipc_wbuf_init(&w);
	ipc_put_u8(&w, IPC_STATE_SNAPSHOT);
	ipc_put_strz(&w, "g");
	ipc_put_u64(&w, 0);
	ipc_put_i64(&w, 0);
	ipc_put_bool(&w, true);
	ipc_put_bytes(&w, ms, 33);
	assert_true(ipc_wbuf_ok(&w));
	d.material = &dmat;
	assert_int_equal(ipc_dec_group_state(w.p, w.len, &d), -1);
	ipc_wbuf_free(&w);

	/* joiner count larger than what is left (16 bytes each at least) */
	{
		struct kdc_group_material mat;
		struct ipc_group_state m;
		struct ipc_wbuf v;

		fill_material(&mat);
		memset(&m, 0, sizeof(m));
		m.reason = IPC_STATE_REKEY;
		m.material = &mat;
		ENCODE(ipc_enc_group_state, &m, v);
		/* the last u32 is njoiners = 0; claim 1 and add 15 bytes */
		v.p[v.len - 4] = 1;
		for (int i = 0; i < 15; i++)
			ipc_put_u8(&v, 0);
		d.material = &dmat;
		assert_int_equal(ipc_dec_group_state(v.p, v.len, &d), -1);
		ipc_put_u8(&v, 0); /* now 16: one joiner of empty views */
		assert_int_equal(ipc_dec_group_state(v.p, v.len, &d), 0);
		assert_int_equal(d.njoiners, 1);
		ipc_group_state_free(&d);
		ipc_wbuf_free(&v);
	}
}

static void
member_msg_roundtrip(void **state)
{
	const uint8_t sid[] = {0xaa, 0xbb, 0xcc};
	struct ipc_member_msg m, d;
	struct ipc_wbuf w;

	(void)state;
	memset(&m, 0, sizeof(m));
	m.op = IPC_MEMBER_REMOVED;
	m.reason = IPC_REMOVED_ELDER;
	fill_binding(&m.binding, 0x31);
	max_name(m.group, sizeof(m.group), 'g');
	max_name(m.node, sizeof(m.node), 'n');
	m.perm = 0x1e;
	m.has_sid = true;
	m.sid = view_of(sid, sizeof(sid));
	ENCODE(ipc_enc_member_msg, &m, w);
	assert_int_equal(ipc_dec_member_msg(w.p, w.len, &d), 0);
	assert_int_equal(d.op, IPC_MEMBER_REMOVED);
	assert_int_equal(d.reason, IPC_REMOVED_ELDER);
	assert_binding(&d.binding, &m.binding);
	assert_string_equal(d.group, m.group);
	assert_string_equal(d.node, m.node);
	assert_true(d.perm == 0x1e);
	assert_true(d.has_sid);
	assert_view(&d.sid, &m.sid);
	check_strict(IPC_MSG_PUSH_MEMBER, IPC_F_PUSH, w.p, w.len);
	w.p[0] = 0;
	assert_int_equal(ipc_dec_member_msg(w.p, w.len, &d), -1);
	w.p[0] = IPC_MEMBER_SET;
	w.p[1] = IPC_REMOVED_ELDER + 1;
	assert_int_equal(ipc_dec_member_msg(w.p, w.len, &d), -1);
	w.p[1] = 0;
	assert_int_equal(ipc_dec_member_msg(w.p, w.len, &d), 0);
	ipc_wbuf_free(&w);
	m.op = IPC_MEMBER_NONE;
	ENCODE_FAILS(ipc_enc_member_msg, &m);
}

static void
binding_gone_roundtrip(void **state)
{
	struct ipc_binding_gone m, d;
	struct ipc_wbuf w;

	(void)state;
	fill_binding(&m.binding, 0xc4);
	m.reason = IPC_GONE_REVOKED;
	ENCODE(ipc_enc_binding_gone, &m, w);
	assert_int_equal(w.len, IPC_BINDING_LEN + 1);
	assert_int_equal(ipc_dec_binding_gone(w.p, w.len, &d), 0);
	assert_binding(&d.binding, &m.binding);
	assert_int_equal(d.reason, IPC_GONE_REVOKED);
	check_strict(IPC_MSG_PUSH_BINDING_GONE, IPC_F_PUSH, w.p, w.len);
	w.p[w.len - 1] = 3;
	assert_int_equal(ipc_dec_binding_gone(w.p, w.len, &d), -1);
	ipc_wbuf_free(&w);
	m.reason = 0;
	ENCODE_FAILS(ipc_enc_binding_gone, &m);
}

static void
control_roundtrip(void **state)
{
	uint8_t body[500];
	struct ipc_control m, d;
	struct ipc_wbuf w;

	(void)state;
	memset(body, 0xbe, sizeof(body));
	memset(&m, 0, sizeof(m));
	fill_binding(&m.binding, 0x99);
	m.uri = text_of("coaps://node.example/ctl");
	m.method = 2;
	m.content_format = 261;
	m.payload = view_of(body, sizeof(body));
	m.exp = -5;
	ENCODE(ipc_enc_control, &m, w);
	assert_true(w.secret);
	assert_int_equal(ipc_dec_control(w.p, w.len, &d), 0);
	assert_binding(&d.binding, &m.binding);
	assert_view(&d.uri, &m.uri);
	assert_int_equal(d.method, 2);
	assert_int_equal(d.content_format, 261);
	assert_view(&d.payload, &m.payload);
	assert_true(d.exp == -5);
	check_strict(IPC_MSG_PUSH_CONTROL, IPC_F_PUSH, w.p, w.len);
	ipc_wbuf_free(&w);
	m.method = 0;
	ENCODE_FAILS(ipc_enc_control, &m);
	m.method = 8;
	ENCODE_FAILS(ipc_enc_control, &m);
	m.method = 4;
	m.uri = view_of("x\0y", 3);
	ENCODE_FAILS(ipc_enc_control, &m);
}

/* ---- admin ---- */

static void
adm_target_roundtrip(void **state)
{
	static const uint16_t types[] = {
	        IPC_MSG_ADM_STATUS,        IPC_MSG_ADM_GROUP_LIST,
	        IPC_MSG_ADM_GROUP_SHOW,    IPC_MSG_ADM_GROUP_DELETE,
	        IPC_MSG_ADM_MEMBER_LIST,   IPC_MSG_ADM_MEMBER_SHOW,
	        IPC_MSG_ADM_MEMBER_EVICT,  IPC_MSG_ADM_REKEY,
	        IPC_MSG_ADM_AS_LIST,       IPC_MSG_ADM_AS_REMOVE,
	        IPC_MSG_ADM_KDC_CRED_SHOW, IPC_MSG_ADM_KDC_CRED_ROTATE,
	        IPC_MSG_ADM_TOKEN_LIST,    IPC_MSG_ADM_TOKEN_REVOKE,
	        IPC_MSG_ADM_DB_BACKUP,     IPC_MSG_ADM_DB_CHECK,
	        IPC_MSG_ADM_RELOAD,
	};
	struct ipc_adm_target m, d;
	struct ipc_wbuf w;

	(void)state;
	memset(&m, 0, sizeof(m));
	max_name(m.group, sizeof(m.group), 'g');
	max_name(m.node, sizeof(m.node), 'n');
	m.id = INT64_MIN;
	max_name(m.arg, sizeof(m.arg), 'a');
	ENCODE(ipc_enc_adm_target, &m, w);
	assert_int_equal(ipc_dec_adm_target(w.p, w.len, &d), 0);
	assert_string_equal(d.group, m.group);
	assert_string_equal(d.node, m.node);
	assert_true(d.id == INT64_MIN);
	assert_string_equal(d.arg, m.arg);
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		check_strict(types[i], 0, w.p, w.len);
	ipc_wbuf_free(&w);

	memset(&m, 0, sizeof(m));
	ENCODE(ipc_enc_adm_target, &m, w);
	assert_int_equal(w.len, 4 + 4 + 8 + 4);
	assert_int_equal(ipc_dec_adm_target(w.p, w.len, &d), 0);
	assert_string_equal(d.group, "");
	check_strict(IPC_MSG_ADM_STATUS, 0, w.p, w.len);
	ipc_wbuf_free(&w);

	/* arg over IPC_NAME_MAX */
	ipc_wbuf_init(&w);
	ipc_put_strz(&w, "");
	ipc_put_strz(&w, "");
	ipc_put_i64(&w, 0);
	put_name_raw(&w, 'a', IPC_NAME_MAX + 1);
	assert_int_equal(ipc_dec_adm_target(w.p, w.len, &d), -1);
	ipc_wbuf_free(&w);
}

static void
adm_group_roundtrip(void **state)
{
	struct ipc_adm_group m, d;
	struct kdc_group_config *c = &m.config;
	struct ipc_wbuf w;

	(void)state;
	memset(&m, 0, sizeof(m));
	m.field_mask = 0x80000fffu;
	max_name(c->name, sizeof(c->name), 'N');
	max_name(c->description, sizeof(c->description), 'D');
	c->active = true;
	c->hkdf = 5;
	c->cred_fmt = 14;
	c->group_mode = true;
	c->gp_enc_alg = 11;
	c->sign_alg = -7;
	c->sign_crv = 1;
	c->pairwise_mode = false;
	c->alg = 30;
	c->ecdh_alg = -27;
	c->ecdh_crv = 1;
	c->key_lifetime = 86400;
	c->key_update_check_interval = 3601;
	c->expiration_delta = 3;
	c->max_members = 1000000;
	c->rekey_on_join = true;
	c->rekey_on_leave = false;
	c->rekey_after_restart = true;
	c->min_rekey_interval_ms = 1001;
	c->max_stale_sets = 4;
	c->prev_grace = 301;
	c->sid_max_len = 7;
	c->gid_prefix_len = 4;
	c->gid_epoch_len = 3;
	ENCODE(ipc_enc_adm_group, &m, w);
	assert_int_equal(ipc_dec_adm_group(w.p, w.len, &d), 0);
	assert_int_equal(d.field_mask, m.field_mask);
	assert_string_equal(d.config.name, c->name);
	assert_string_equal(d.config.description, c->description);
	assert_int_equal(strlen(d.config.description), KDC_DESCRIPTION_MAX);
	assert_int_equal(d.config.active, c->active);
	assert_true(d.config.hkdf == c->hkdf);
	assert_true(d.config.cred_fmt == c->cred_fmt);
	assert_int_equal(d.config.group_mode, c->group_mode);
	assert_true(d.config.gp_enc_alg == c->gp_enc_alg);
	assert_true(d.config.sign_alg == c->sign_alg);
	assert_int_equal(d.config.sign_crv, c->sign_crv);
	assert_int_equal(d.config.pairwise_mode, c->pairwise_mode);
	assert_true(d.config.alg == c->alg);
	assert_true(d.config.ecdh_alg == c->ecdh_alg);
	assert_int_equal(d.config.ecdh_crv, c->ecdh_crv);
	assert_int_equal(d.config.key_lifetime, c->key_lifetime);
	assert_int_equal(d.config.key_update_check_interval,
	                 c->key_update_check_interval);
	assert_int_equal(d.config.expiration_delta, c->expiration_delta);
	assert_int_equal(d.config.max_members, c->max_members);
	assert_int_equal(d.config.rekey_on_join, c->rekey_on_join);
	assert_int_equal(d.config.rekey_on_leave, c->rekey_on_leave);
	assert_int_equal(d.config.rekey_after_restart, c->rekey_after_restart);
	assert_int_equal(d.config.min_rekey_interval_ms,
	                 c->min_rekey_interval_ms);
	assert_int_equal(d.config.max_stale_sets, c->max_stale_sets);
	assert_int_equal(d.config.prev_grace, c->prev_grace);
	assert_int_equal(d.config.sid_max_len, c->sid_max_len);
	assert_int_equal(d.config.gid_prefix_len, c->gid_prefix_len);
	assert_int_equal(d.config.gid_epoch_len, c->gid_epoch_len);
	check_strict(IPC_MSG_ADM_GROUP_CREATE, 0, w.p, w.len);
	check_strict(IPC_MSG_ADM_GROUP_UPDATE, 0, w.p, w.len);
	ipc_wbuf_free(&w);
	memset(c->description, 'd', sizeof(c->description));
	ENCODE_FAILS(ipc_enc_adm_group, &m);
}

static void
adm_as_add_roundtrip(void **state)
{
	const uint8_t key[] = {0xa4, 0x01, 0x04, 0x02, 0x41, 0x01, 0x20, 0x50,
	                       0,    1,    2,    3,    4,    5,    6,    7,
	                       8,    9,    10,   11,   12,   13,   14,   15};
	const uint8_t pdk[32] = {0x70};
	struct ipc_adm_as_add m, d;
	struct ipc_wbuf w;
	uint8_t *big;

	(void)state;
	memset(&m, 0, sizeof(m));
	max_name(m.name, sizeof(m.name), 'A');
	m.issuer = text_of("coaps://as.example");
	m.audience = text_of("kdc.example");
	m.kind = IPC_AS_ENCRYPT;
	m.alg = -65536;
	m.kid = view_of("\x01", 1);
	m.key = view_of(key, sizeof(key));
	m.psk_derivation_key = view_of(pdk, sizeof(pdk));
	ENCODE(ipc_enc_adm_as_add, &m, w);
	assert_true(w.secret);
	assert_int_equal(ipc_dec_adm_as_add(w.p, w.len, &d), 0);
	assert_string_equal(d.name, m.name);
	assert_view(&d.issuer, &m.issuer);
	assert_view(&d.audience, &m.audience);
	assert_int_equal(d.kind, IPC_AS_ENCRYPT);
	assert_true(d.alg == -65536);
	assert_view(&d.kid, &m.kid);
	assert_view(&d.key, &m.key);
	assert_view(&d.psk_derivation_key, &m.psk_derivation_key);
	check_strict(IPC_MSG_ADM_AS_ADD, 0, w.p, w.len);
	ipc_wbuf_free(&w);

	/* empty optional views */
	m.issuer = view_of(NULL, 0);
	m.kid = view_of(NULL, 0);
	m.psk_derivation_key = view_of(NULL, 0);
	m.kind = IPC_AS_SIGN;
	ENCODE(ipc_enc_adm_as_add, &m, w);
	assert_int_equal(ipc_dec_adm_as_add(w.p, w.len, &d), 0);
	assert_int_equal(d.issuer.n, 0);
	assert_int_equal(d.kid.n, 0);
	check_strict(IPC_MSG_ADM_AS_ADD, 0, w.p, w.len);
	ipc_wbuf_free(&w);

	m.kind = 0;
	ENCODE_FAILS(ipc_enc_adm_as_add, &m);
	m.kind = IPC_AS_MAC;
	big = calloc(1, IPC_MAX_STR + 1);
	m.key = view_of(big, IPC_MAX_STR + 1);
	ENCODE_FAILS(ipc_enc_adm_as_add, &m);
	free(big);
}

static void
adm_audit_sql_roundtrip(void **state)
{
	struct ipc_adm_audit a, ad;
	struct ipc_adm_sql s, sd;
	struct ipc_wbuf w;

	(void)state;
	memset(&a, 0, sizeof(a));
	a.limit = 500;
	a.since_id = 1234567890123ll;
	max_name(a.group, sizeof(a.group), 'g');
	max_name(a.action, sizeof(a.action), 'x');
	ENCODE(ipc_enc_adm_audit, &a, w);
	assert_int_equal(ipc_dec_adm_audit(w.p, w.len, &ad), 0);
	assert_int_equal(ad.limit, 500);
	assert_true(ad.since_id == 1234567890123ll);
	assert_string_equal(ad.group, a.group);
	assert_string_equal(ad.action, a.action);
	check_strict(IPC_MSG_ADM_AUDIT, 0, w.p, w.len);
	ipc_wbuf_free(&w);

	s.query = text_of("SELECT name, active FROM groups ORDER BY name");
	ENCODE(ipc_enc_adm_sql, &s, w);
	assert_int_equal(ipc_dec_adm_sql(w.p, w.len, &sd), 0);
	assert_view(&sd.query, &s.query);
	check_strict(IPC_MSG_ADM_SQL, 0, w.p, w.len);
	ipc_wbuf_free(&w);
	s.query = view_of("SELECT 1;\0DROP", 14);
	ENCODE_FAILS(ipc_enc_adm_sql, &s);
}

/* ---- ADM_RESULT ---- */

static void
adm_result_tables(void **state)
{
	const char *const cols[] = {"name", "active", "members", "gid", "note"};
	const char *const cols2[] = {"a", "b"};
	const uint8_t gid[] = {0xde, 0xad, 0xbe, 0xef};
	struct ipc_tab_builder b;
	struct ipc_adm_result r;
	struct ipc_wbuf w;
	const struct ipc_table *t;

	(void)state;
	ipc_tab_init(&b);
	ipc_tab_begin(&b, "groups", cols, 5);
	for (int i = 0; i < 3; i++) {
		char name[16];

		snprintf(name, sizeof(name), "g%d", i);
		ipc_tab_textz(&b, name);
		ipc_tab_bool(&b, i != 1);
		ipc_tab_int(&b, i == 2 ? INT64_MIN : i * 1000);
		ipc_tab_bytes(&b, gid, (size_t)i + 1);
		if (i == 0)
			ipc_tab_null(&b);
		else
			ipc_tab_text(&b, "note text", 4);
	}
	ipc_tab_begin(&b, "empty", cols2, 2);
	ipc_wbuf_init(&w);
	assert_int_equal(ipc_tab_finish(&b, IPC_ADM_OK, NULL, &w), 0);
	ipc_tab_free(&b);

	assert_int_equal(ipc_dec_adm_result(w.p, w.len, &r), 0);
	assert_int_equal(r.status, IPC_ADM_OK);
	assert_int_equal(r.error.n, 0);
	assert_int_equal(r.ntables, 2);
	t = &r.tables[0];
	assert_int_equal(t->name.n, 6);
	assert_memory_equal(t->name.p, "groups", 6);
	assert_int_equal(t->ncols, 5);
	for (int i = 0; i < 5; i++) {
		assert_int_equal(t->col_names[i].n, strlen(cols[i]));
		assert_memory_equal(t->col_names[i].p, cols[i],
		                    strlen(cols[i]));
	}
	assert_int_equal(t->nrows, 3);
	for (int i = 0; i < 3; i++) {
		const struct ipc_cell *c = &t->cells[i * 5];

		assert_int_equal(c[0].type, IPC_CELL_TEXT);
		assert_int_equal(c[0].v.n, 2);
		assert_int_equal(c[0].v.p[1], '0' + i);
		assert_int_equal(c[1].type, IPC_CELL_BOOL);
		assert_int_equal(c[1].i, i != 1);
		assert_int_equal(c[2].type, IPC_CELL_INT);
		assert_true(c[2].i == (i == 2 ? INT64_MIN : i * 1000));
		assert_int_equal(c[3].type, IPC_CELL_BYTES);
		assert_int_equal(c[3].v.n, i + 1);
		assert_memory_equal(c[3].v.p, gid, (size_t)i + 1);
		if (i == 0) {
			assert_int_equal(c[4].type, IPC_CELL_NULL);
		} else {
			assert_int_equal(c[4].type, IPC_CELL_TEXT);
			assert_int_equal(c[4].v.n, 4);
			assert_memory_equal(c[4].v.p, "note", 4);
		}
	}
	t = &r.tables[1];
	assert_int_equal(t->ncols, 2);
	assert_int_equal(t->nrows, 0);
	assert_null(t->cells);
	ipc_adm_result_free(&r);
	assert_null(r.tables);
	check_strict(IPC_MSG_ADM_RESULT, IPC_F_REPLY, w.p, w.len);
	ipc_wbuf_free(&w);

	/* error, no tables */
	ipc_tab_init(&b);
	ipc_wbuf_init(&w);
	assert_int_equal(ipc_tab_finish(&b, IPC_ADM_E_NOT_FOUND,
	                                "no such group: g9", &w),
	                 0);
	ipc_tab_free(&b);
	assert_int_equal(ipc_dec_adm_result(w.p, w.len, &r), 0);
	assert_int_equal(r.status, IPC_ADM_E_NOT_FOUND);
	assert_int_equal(r.error.n, 17);
	assert_memory_equal(r.error.p, "no such group: g9", 17);
	assert_int_equal(r.ntables, 0);
	ipc_adm_result_free(&r);
	check_strict(IPC_MSG_ADM_RESULT, IPC_F_REPLY, w.p, w.len);
	ipc_wbuf_free(&w);
}

static void
adm_result_many_rows(void **state)
{
	const char *const cols[] = {"id", "sid"};
	enum { N = 10000 };
	struct ipc_tab_builder b;
	struct ipc_adm_result r;
	struct ipc_wbuf w;

	(void)state;
	ipc_tab_init(&b);
	ipc_tab_begin(&b, "members", cols, 2);
	for (int i = 0; i < N; i++) {
		ipc_tab_int(&b, i);
		ipc_tab_bytes(&b, (const uint8_t *)&i, 4);
	}
	ipc_wbuf_init(&w);
	assert_int_equal(ipc_tab_finish(&b, 0, "", &w), 0);
	ipc_tab_free(&b);
	assert_int_equal(ipc_dec_adm_result(w.p, w.len, &r), 0);
	assert_int_equal(r.tables[0].nrows, N);
	for (int i = 0; i < N; i++) {
		assert_true(r.tables[0].cells[2 * i].i == i);
		assert_memory_equal(r.tables[0].cells[2 * i + 1].v.p, &i, 4);
	}
	ipc_adm_result_free(&r);
	check_strict(IPC_MSG_ADM_RESULT, IPC_F_REPLY, w.p, w.len);
	ipc_wbuf_free(&w);
}

static void
adm_result_builder_misuse(void **state)
{
	const char *const cols[] = {"a", "b"};
	const char *cols300[300];
	struct ipc_tab_builder b;
	struct ipc_wbuf w;

	(void)state;
	/* a cell before any table */
	ipc_tab_init(&b);
	ipc_tab_int(&b, 1);
	ipc_wbuf_init(&w);
	assert_int_equal(ipc_tab_finish(&b, 0, NULL, &w), -1);
	ipc_wbuf_free(&w);
	ipc_tab_free(&b);
	/* an incomplete row at finish, and at the next table */
	for (int k = 0; k < 2; k++) {
		ipc_tab_init(&b);
		ipc_tab_begin(&b, "t", cols, 2);
		ipc_tab_int(&b, 1);
		if (k == 1)
			ipc_tab_begin(&b, "u", cols, 2);
		ipc_wbuf_init(&w);
		assert_int_equal(ipc_tab_finish(&b, 0, NULL, &w), -1);
		ipc_wbuf_free(&w);
		ipc_tab_free(&b);
	}
	/* too many columns */
	for (int i = 0; i < 300; i++)
		cols300[i] = "c";
	ipc_tab_init(&b);
	ipc_tab_begin(&b, "wide", cols300, 257);
	ipc_wbuf_init(&w);
	assert_int_equal(ipc_tab_finish(&b, 0, NULL, &w), -1);
	ipc_wbuf_free(&w);
	ipc_tab_free(&b);
	ipc_tab_init(&b);
	ipc_tab_begin(&b, "wide", cols300, 256);
	ipc_wbuf_init(&w);
	assert_int_equal(ipc_tab_finish(&b, 0, NULL, &w), 0);
	ipc_wbuf_free(&w);
	ipc_tab_free(&b);
	/* text with NUL */
	ipc_tab_init(&b);
	ipc_tab_begin(&b, "t", cols, 2);
	ipc_tab_text(&b, "a\0b", 3);
	ipc_tab_int(&b, 0);
	ipc_wbuf_init(&w);
	assert_int_equal(ipc_tab_finish(&b, 0, NULL, &w), -1);
	ipc_wbuf_free(&w);
	ipc_tab_free(&b);
}

/* A hand-made ADM_RESULT with one table; cells written by the caller. */
static void
adm_table_head(struct ipc_wbuf *w, uint32_t ncols, uint32_t nrows)
{
	ipc_wbuf_init(w);
	ipc_put_i32(w, 0);
	ipc_put_strz(w, "");
	ipc_put_u32(w, 1);
	ipc_put_strz(w, "t");
	ipc_put_u32(w, ncols);
	for (uint32_t i = 0; i < ncols; i++)
		ipc_put_strz(w, "c");
	ipc_put_u32(w, nrows);
}

static void
adm_result_decoder_bounds(void **state)
{
	struct ipc_adm_result r;
	struct ipc_wbuf w;

	(void)state;
	/* 257 columns */
	adm_table_head(&w, 257, 0);
	assert_int_equal(ipc_dec_adm_result(w.p, w.len, &r), -1);
	ipc_wbuf_free(&w);
	adm_table_head(&w, 256, 0);
	assert_int_equal(ipc_dec_adm_result(w.p, w.len, &r), 0);
	ipc_adm_result_free(&r);
	ipc_wbuf_free(&w);
	/* cell type 5, bool cell 2 */
	adm_table_head(&w, 1, 1);
	ipc_put_u8(&w, 5);
	assert_int_equal(ipc_dec_adm_result(w.p, w.len, &r), -1);
	ipc_wbuf_free(&w);
	adm_table_head(&w, 1, 1);
	ipc_put_u8(&w, IPC_CELL_BOOL);
	ipc_put_u8(&w, 2);
	assert_int_equal(ipc_dec_adm_result(w.p, w.len, &r), -1);
	ipc_wbuf_free(&w);
	/* text cell with NUL */
	adm_table_head(&w, 1, 1);
	ipc_put_u8(&w, IPC_CELL_TEXT);
	ipc_put_u32(&w, 1);
	ipc_put_u8(&w, 0);
	assert_int_equal(ipc_dec_adm_result(w.p, w.len, &r), -1);
	ipc_wbuf_free(&w);
	/* rows without columns */
	adm_table_head(&w, 0, 1);
	assert_int_equal(ipc_dec_adm_result(w.p, w.len, &r), -1);
	ipc_wbuf_free(&w);
	/* more cells than bytes left */
	adm_table_head(&w, 2, 3);
	for (int i = 0; i < 5; i++)
		ipc_put_u8(&w, IPC_CELL_NULL);
	assert_int_equal(ipc_dec_adm_result(w.p, w.len, &r), -1);
	ipc_put_u8(&w, IPC_CELL_NULL);
	assert_int_equal(ipc_dec_adm_result(w.p, w.len, &r), 0);
	ipc_adm_result_free(&r);
	ipc_wbuf_free(&w);
	/* nrows * ncols over IPC_MAX_LIST * 16 even though each NULL cell is
	 * one byte and the bytes are there */
	{
		uint32_t ncols = 256,
		         nrows = (uint32_t)(IPC_MAX_LIST * 16u / ncols) + 1;

		adm_table_head(&w, ncols, nrows);
		for (size_t i = 0; i < (size_t)ncols * nrows; i++)
			ipc_put_u8(&w, IPC_CELL_NULL);
		assert_true(ipc_wbuf_ok(&w));
		assert_int_equal(ipc_dec_adm_result(w.p, w.len, &r), -1);
		ipc_wbuf_free(&w);
	}
	/* table count larger than what is left */
	ipc_wbuf_init(&w);
	ipc_put_i32(&w, 0);
	ipc_put_strz(&w, "");
	ipc_put_u32(&w, 2);
	ipc_put_strz(&w, "t");
	ipc_put_u32(&w, 0);
	ipc_put_u32(&w, 0);
	assert_int_equal(ipc_dec_adm_result(w.p, w.len, &r), -1);
	ipc_wbuf_free(&w);
}

static void
msg_check_unknown(void **state)
{
	(void)state;
	assert_int_equal(ipc_msg_check(0, 0, NULL, 0), -1);
	assert_int_equal(ipc_msg_check(9999, 0, NULL, 0), -1);
	assert_int_equal(ipc_msg_check(IPC_MSG_ADM_CHUNK, IPC_F_REPLY,
	                               (const uint8_t *)"abc", 3),
	                 0);
	assert_int_equal(ipc_msg_check(IPC_MSG_ADM_CHUNK, 0, NULL, 0), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(allow_frontend),
	        cmocka_unit_test(allow_admin),
	        cmocka_unit_test(allow_replies_and_pushes_keystore_only),
	        cmocka_unit_test(expects_reply),
	        cmocka_unit_test(names),
	        cmocka_unit_test(binding_is_set),
	        cmocka_unit_test(hello_roundtrip),
	        cmocka_unit_test(hello_invalid),
	        cmocka_unit_test(error_roundtrip),
	        cmocka_unit_test(authz_info_roundtrip),
	        cmocka_unit_test(psk_rpk_identity_roundtrip),
	        cmocka_unit_test(psk_result_roundtrip),
	        cmocka_unit_test(group_names_roundtrip),
	        cmocka_unit_test(group_names_counts),
	        cmocka_unit_test(join_roundtrip),
	        cmocka_unit_test(join_invalid),
	        cmocka_unit_test(group_read_roundtrip),
	        cmocka_unit_test(creds_roundtrip),
	        cmocka_unit_test(kdc_cred_fetch_stale_sids_roundtrip),
	        cmocka_unit_test(node_roundtrip),
	        cmocka_unit_test(node_cred_roundtrip),
	        cmocka_unit_test(group_list_roundtrip),
	        cmocka_unit_test(fe_stats_roundtrip),
	        cmocka_unit_test(coap_result_roundtrip),
	        cmocka_unit_test(group_name_msg_roundtrip),
	        cmocka_unit_test(group_state_roundtrip),
	        cmocka_unit_test(group_state_invalid),
	        cmocka_unit_test(member_msg_roundtrip),
	        cmocka_unit_test(binding_gone_roundtrip),
	        cmocka_unit_test(control_roundtrip),
	        cmocka_unit_test(adm_target_roundtrip),
	        cmocka_unit_test(adm_group_roundtrip),
	        cmocka_unit_test(adm_as_add_roundtrip),
	        cmocka_unit_test(adm_audit_sql_roundtrip),
	        cmocka_unit_test(adm_result_tables),
	        cmocka_unit_test(adm_result_many_rows),
	        cmocka_unit_test(adm_result_builder_misuse),
	        cmocka_unit_test(adm_result_decoder_bounds),
	        cmocka_unit_test(msg_check_unknown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
