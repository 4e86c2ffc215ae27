/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_ipc_frame.c — the keystore protocol's untrusted-input surface.
 *
 * The input is a frame: a 12-byte header and a payload.  The header is
 * decoded and the payload checked with its type's decoder; then every
 * decoder runs on the payload, and whatever a decoder accepts must
 * re-encode to exactly the same bytes (the encoding is canonical, so a
 * decoder that accepts anything else is too lax).  Finally the whole input
 * goes through the stream reassembler in uneven chunks.
 *
 * Seeds: build with -DKDC_FUZZ_GEN_SEEDS (without -fsanitize=fuzzer) and
 * run with the corpus folder as argument; the seeds are committed in
 * tests/fuzz/corpus/fuzz_ipc_frame/.
 */
#include "ipc_conn.h"
#include "ipc_msg.h"
#include "ipc_priv.h"
#include "ipc_wire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Re-encode m with enc and compare with the input. */
#define SAME(enc, m, in, in_len)                                               \
	do {                                                                   \
		struct ipc_wbuf w_;                                            \
		ipc_wbuf_init(&w_);                                            \
		if (enc(&w_, (m)) != 0 || w_.len != (in_len) ||                \
		    ((in_len) > 0 && memcmp(w_.p, (in), (in_len)) != 0))       \
			abort();                                               \
		ipc_wbuf_free(&w_);                                            \
	} while (0)

#define ROUNDTRIP(type, dec, enc, in, in_len)                                  \
	do {                                                                   \
		struct type m_;                                                \
		if (dec((in), (in_len), &m_) == 0)                             \
			SAME(enc, &m_, (in), (in_len));                        \
	} while (0)

static void
all_decoders(const uint8_t *p, size_t n)
{
	ROUNDTRIP(ipc_hello, ipc_dec_hello, ipc_enc_hello, p, n);
	ROUNDTRIP(ipc_error, ipc_dec_error, ipc_enc_error, p, n);
	ROUNDTRIP(ipc_authz_info, ipc_dec_authz_info, ipc_enc_authz_info, p, n);
	ROUNDTRIP(ipc_psk_identity, ipc_dec_psk_identity, ipc_enc_psk_identity,
	          p, n);
	ROUNDTRIP(ipc_rpk_identity, ipc_dec_rpk_identity, ipc_enc_rpk_identity,
	          p, n);
	ROUNDTRIP(ipc_psk_result, ipc_dec_psk_result, ipc_enc_psk_result, p, n);
	ROUNDTRIP(ipc_group_read, ipc_dec_group_read, ipc_enc_group_read, p, n);
	ROUNDTRIP(ipc_kdc_cred_fetch, ipc_dec_kdc_cred_fetch,
	          ipc_enc_kdc_cred_fetch, p, n);
	ROUNDTRIP(ipc_stale_sids, ipc_dec_stale_sids, ipc_enc_stale_sids, p, n);
	ROUNDTRIP(ipc_node, ipc_dec_node, ipc_enc_node, p, n);
	ROUNDTRIP(ipc_node_cred, ipc_dec_node_cred, ipc_enc_node_cred, p, n);
	ROUNDTRIP(ipc_fe_stats, ipc_dec_fe_stats, ipc_enc_fe_stats, p, n);
	ROUNDTRIP(ipc_coap_result, ipc_dec_coap_result, ipc_enc_coap_result, p,
	          n);
	ROUNDTRIP(ipc_group_name_msg, ipc_dec_group_name_msg,
	          ipc_enc_group_name_msg, p, n);
	ROUNDTRIP(ipc_member_msg, ipc_dec_member_msg, ipc_enc_member_msg, p, n);
	ROUNDTRIP(ipc_binding_gone, ipc_dec_binding_gone, ipc_enc_binding_gone,
	          p, n);
	ROUNDTRIP(ipc_control, ipc_dec_control, ipc_enc_control, p, n);
	ROUNDTRIP(ipc_adm_target, ipc_dec_adm_target, ipc_enc_adm_target, p, n);
	ROUNDTRIP(ipc_adm_group, ipc_dec_adm_group, ipc_enc_adm_group, p, n);
	ROUNDTRIP(ipc_adm_as_add, ipc_dec_adm_as_add, ipc_enc_adm_as_add, p, n);
	ROUNDTRIP(ipc_adm_audit, ipc_dec_adm_audit, ipc_enc_adm_audit, p, n);
	ROUNDTRIP(ipc_adm_sql, ipc_dec_adm_sql, ipc_enc_adm_sql, p, n);

	/* decoders that allocate */
	{
		struct ipc_group_names m;
		if (ipc_dec_group_names(p, n, &m) == 0) {
			SAME(ipc_enc_group_names, &m, p, n);
			free(m.gids);
		}
	}
	{
		struct ipc_join m;
		if (ipc_dec_join(p, n, &m) == 0) {
			SAME(ipc_enc_join, &m, p, n);
			ipc_join_free(&m);
		}
	}
	{
		struct ipc_creds m;
		if (ipc_dec_creds(p, n, &m) == 0) {
			SAME(ipc_enc_creds, &m, p, n);
			ipc_creds_free(&m);
		}
	}
	{
		struct ipc_group_list_result m;
		if (ipc_dec_group_list_result(p, n, &m) == 0) {
			SAME(ipc_enc_group_list_result, &m, p, n);
			free(m.names);
		}
	}
	{
		struct kdc_group_material mat;
		struct ipc_group_state m;
		m.material = &mat;
		if (ipc_dec_group_state(p, n, &m) == 0) {
			SAME(ipc_enc_group_state, &m, p, n);
			ipc_group_state_free(&m);
		}
	}
	{
		struct ipc_adm_result m;
		if (ipc_dec_adm_result(p, n, &m) == 0) {
			/* every cell must be readable */
			for (uint32_t t = 0; t < m.ntables; t++) {
				const struct ipc_table *tb = &m.tables[t];
				size_t cells = (size_t)tb->nrows * tb->ncols;

				for (uint32_t c = 0; c < tb->ncols; c++)
					if (tb->col_names[c].n > 0 &&
					    tb->col_names[c].p[0] == 0)
						abort();
				for (size_t c = 0; c < cells; c++)
					if (tb->cells[c].type > IPC_CELL_BOOL)
						abort();
			}
			ipc_adm_result_free(&m);
		}
	}
}

/* Feed the input to the reassembler in chunks sized by its own bytes. */
static void
stream(const uint8_t *data, size_t size)
{
	struct ipc_rx rx;
	struct ipc_hdr h;
	const uint8_t *payload;
	size_t off = 0;
	int rc;

	ipc_rx_init(&rx);
	while (off < size) {
		size_t chunk = 1 + data[off] % 61, room;

		/* A frame longer than the input can never complete: stop
		 * before reserving megabytes for it. */
		if (rx.len - rx.off >= IPC_HDR_LEN) {
			const uint8_t *q = rx.p + rx.off;
			size_t flen = (size_t)q[0] | (size_t)q[1] << 8 |
			              (size_t)q[2] << 16 | (size_t)q[3] << 24;

			if (flen > size)
				break;
		}
		if (!ipc_rx_reserve(&rx, 64))
			abort();
		room = rx.cap - rx.len;
		if (chunk > room)
			chunk = room;
		if (chunk > size - off)
			chunk = size - off;
		memcpy(rx.p + rx.len, data + off, chunk);
		rx.len += chunk;
		off += chunk;
		while ((rc = ipc_rx_next(&rx, &h, &payload)) == 1)
			(void)ipc_msg_check(h.type, h.flags, payload, h.len);
		if (rc < 0)
			break;
		ipc_rx_compact(&rx);
	}
	ipc_rx_free(&rx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ipc_hdr h;
	uint8_t again[IPC_HDR_LEN];

	if (size >= IPC_HDR_LEN && ipc_hdr_decode(data, &h) == 0) {
		size_t plen = size - IPC_HDR_LEN;

		ipc_hdr_encode(again, &h);
		if (memcmp(again, data, IPC_HDR_LEN) != 0)
			abort();
		if (h.len <= plen)
			plen = h.len;
		(void)ipc_msg_check(h.type, h.flags, data + IPC_HDR_LEN, plen);
		(void)ipc_msg_name(h.type);
		(void)ipc_msg_allowed(h.type, (uint8_t)(h.reqid & 0xff));
	}
	if (size >= IPC_HDR_LEN)
		all_decoders(data + IPC_HDR_LEN, size - IPC_HDR_LEN);
	else
		all_decoders(data, size);
	stream(data, size);
	return 0;
}

#ifdef KDC_FUZZ_GEN_SEEDS
/* ---- seed generator (run once; output committed) ---- */

static const char *seed_dir;
static int seed_no;

static void
seed(uint16_t type, uint16_t flags, uint32_t reqid, const struct ipc_wbuf *w)
{
	struct ipc_hdr h = {(uint32_t)w->len, type, flags, reqid};
	uint8_t hb[IPC_HDR_LEN];
	char path[512];
	FILE *f;

	if (!ipc_wbuf_ok(w) || ipc_msg_check(type, flags, w->p, w->len) != 0)
		abort();
	ipc_hdr_encode(hb, &h);
	snprintf(path, sizeof(path), "%s/seed-%02d-%s", seed_dir, seed_no++,
	         ipc_msg_name(type));
	f = fopen(path, "wb");
	if (f == NULL)
		abort();
	fwrite(hb, 1, sizeof(hb), f);
	if (w->len > 0)
		fwrite(w->p, 1, w->len, f);
	fclose(f);
}

int
main(int argc, char **argv)
{
	static const uint8_t bytes[] = {0xa1, 0x08, 0xa1, 0x01, 0xa2,
	                                0x01, 0x04, 0x02, 0x41, 0x07};
	static const uint64_t roles[] = {2, 4};
	struct ipc_view ids[2] = {{bytes, 1}, {bytes + 1, 2}};
	struct ipc_wbuf w;

	if (argc != 2)
		return 2;
	seed_dir = argv[1];

	{
		struct ipc_hello m = {IPC_PROTO_VERSION, IPC_PEER_FRONTEND,
		                      "frontend@1", 0};
		ipc_wbuf_init(&w);
		ipc_enc_hello(&w, &m);
		seed(IPC_MSG_HELLO, 0, 1, &w);
		ipc_wbuf_free(&w);
	}
	{
		struct ipc_error m = {IPC_E_PROTO, "version mismatch", 16};
		ipc_wbuf_init(&w);
		ipc_enc_error(&w, &m);
		seed(IPC_MSG_ERROR, IPC_F_REPLY, 1, &w);
		ipc_wbuf_free(&w);
	}
	{
		struct ipc_authz_info m;
		memset(&m, 0, sizeof(m));
		m.content_format = 19;
		m.payload.p = bytes;
		m.payload.n = sizeof(bytes);
		m.transport = IPC_TRANSPORT_DTLS;
		m.binding.b[0] = 1;
		ipc_wbuf_init(&w);
		ipc_enc_authz_info(&w, &m);
		seed(IPC_MSG_AUTHZ_INFO, 0, 2, &w);
		ipc_wbuf_free(&w);
	}
	{
		struct ipc_join m;
		memset(&m, 0, sizeof(m));
		m.binding.b[3] = 9;
		strcpy(m.group, "g1");
		m.has_scope = true;
		m.scope.p = bytes;
		m.scope.n = 5;
		m.get_creds.kind = IPC_GET_CREDS_FILTER;
		m.get_creds.inclusion = true;
		m.get_creds.nroles = 2;
		m.get_creds.roles = (uint64_t *)roles;
		m.get_creds.nids = 2;
		m.get_creds.ids = ids;
		m.has_client_cred = true;
		m.client_cred.p = bytes;
		m.client_cred.n = sizeof(bytes);
		m.has_control_uri = true;
		m.control_uri.p = (const uint8_t *)"coap://x/c";
		m.control_uri.n = 10;
		ipc_wbuf_init(&w);
		ipc_enc_join(&w, &m);
		seed(IPC_MSG_JOIN, 0, 3, &w);
		ipc_wbuf_free(&w);
	}
	{
		struct ipc_group_names m = {{{0}}, 2, ids};
		ipc_wbuf_init(&w);
		ipc_enc_group_names(&w, &m);
		seed(IPC_MSG_GROUP_NAMES, 0, 4, &w);
		ipc_wbuf_free(&w);
	}
	{
		struct ipc_node m;
		memset(&m, 0, sizeof(m));
		strcpy(m.group, "g1");
		strcpy(m.node, "n3");
		m.op = IPC_NODE_RENEW;
		ipc_wbuf_init(&w);
		ipc_enc_node(&w, &m);
		seed(IPC_MSG_NODE, 0, 5, &w);
		ipc_wbuf_free(&w);
	}
	{
		struct ipc_coap_result m;
		memset(&m, 0, sizeof(m));
		m.code = (2 << 5) | 1;
		m.content_format = 261;
		m.max_age = -1;
		m.location_path.p = (const uint8_t *)"ace-group/g1/nodes/n3";
		m.location_path.n = 21;
		m.payload.p = bytes;
		m.payload.n = sizeof(bytes);
		m.member_op = IPC_MEMBER_SET;
		strcpy(m.group, "g1");
		strcpy(m.node, "n3");
		m.perm = 6;
		m.has_sid = true;
		m.sid.p = bytes;
		m.sid.n = 1;
		ipc_wbuf_init(&w);
		ipc_enc_coap_result(&w, &m);
		seed(IPC_MSG_COAP_RESULT, IPC_F_REPLY, 5, &w);
		ipc_wbuf_free(&w);
	}
	{
		struct kdc_group_material mat;
		struct ipc_group_state m;
		uint64_t perms[1] = {4};
		memset(&mat, 0, sizeof(mat));
		strcpy(mat.name, "g1");
		mat.num = 3;
		mat.ms_len = 16;
		mat.salt_len = 8;
		mat.gid_len = 6;
		mat.hkdf = 5;
		mat.cred_fmt = 14;
		mat.sign_alg = -8;
		mat.sign_crv = 6;
		memset(&m, 0, sizeof(m));
		m.reason = IPC_STATE_REKEY;
		m.material = &mat;
		m.nstale = 2;
		m.stale = ids;
		m.njoiners = 1;
		m.joiner_creds = ids;
		m.joiner_perms = perms;
		m.joiner_sids = ids + 1;
		ipc_wbuf_init(&w);
		ipc_enc_group_state(&w, &m);
		seed(IPC_MSG_PUSH_GROUP_STATE, IPC_F_PUSH, 0, &w);
		ipc_wbuf_free(&w);
	}
	{
		struct ipc_adm_group m;
		memset(&m, 0, sizeof(m));
		m.field_mask = 3;
		strcpy(m.config.name, "g1");
		strcpy(m.config.description, "test group");
		m.config.active = true;
		m.config.sign_alg = -8;
		ipc_wbuf_init(&w);
		ipc_enc_adm_group(&w, &m);
		seed(IPC_MSG_ADM_GROUP_CREATE, 0, 6, &w);
		ipc_wbuf_free(&w);
	}
	{
		struct ipc_adm_target m;
		memset(&m, 0, sizeof(m));
		strcpy(m.group, "g1");
		strcpy(m.node, "n1");
		ipc_wbuf_init(&w);
		ipc_enc_adm_target(&w, &m);
		seed(IPC_MSG_ADM_MEMBER_EVICT, 0, 7, &w);
		ipc_wbuf_free(&w);
	}
	{
		const char *const cols[] = {"name", "active", "num", "gid"};
		struct ipc_tab_builder b;
		ipc_tab_init(&b);
		ipc_tab_begin(&b, "groups", cols, 4);
		ipc_tab_textz(&b, "g1");
		ipc_tab_bool(&b, true);
		ipc_tab_int(&b, 3);
		ipc_tab_bytes(&b, bytes, 4);
		ipc_tab_textz(&b, "g2");
		ipc_tab_null(&b);
		ipc_tab_int(&b, -1);
		ipc_tab_bytes(&b, NULL, 0);
		ipc_wbuf_init(&w);
		ipc_tab_finish(&b, IPC_ADM_OK, NULL, &w);
		ipc_tab_free(&b);
		seed(IPC_MSG_ADM_RESULT, IPC_F_REPLY, 7, &w);
		ipc_wbuf_free(&w);
	}
	{
		ipc_wbuf_init(&w);
		seed(IPC_MSG_GROUP_LIST, 0, 8, &w);
		ipc_wbuf_free(&w);
	}
	return 0;
}
#endif
