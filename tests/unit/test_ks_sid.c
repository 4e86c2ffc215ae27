/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Sender IDs are never handed out twice under one Gid (Group OSCORE §6.3,
 * GO checklist 14), across 10,000 joins and leaves with rekeys, in a group
 * whose Sender ID space is one byte so that it wraps many times.  Runs the
 * real allocator, store and rekey engine on a real database.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_ks_util.h"

#include "crypto.h"
#include "gm.h"
#include "rekey.h"

#include <stdlib.h>
#include <string.h>

#define OPS    10000
#define TOKENS 300

struct member_slot {
	bool in;
	int64_t id;
	uint8_t sid;
};

static void
test_sid_never_reused_under_one_gid(void **state)
{
	struct ks_fixture *f = *state;
	static struct member_slot slot[TOKENS];
	static int64_t token_id[TOKENS];
	struct ks ks;
	uv_loop_t loop;
	struct kdc_group_config cfg;
	struct ks_group g;
	char err[256];
	uint8_t used[256];
	int joins = 0, leaves = 0, rekeys = 0;
	int64_t as_id;
	uint32_t rnd = 12345;

	memset(&ks, 0, sizeof(ks));
	memset(slot, 0, sizeof(slot));
	uv_loop_init(&loop);
	ks.loop = &loop;
	ks.store = f->s;
	kdc_conf_defaults(&ks.conf);
	ks_batch_init(&ks);
	ks_timers_init(&ks);
	assert_int_equal(ks_batch_ensure(&ks), 0);
	kdc_group_config_defaults(&cfg);
	snprintf(cfg.name, sizeof(cfg.name), "g1");
	cfg.sid_max_len = 1;
	cfg.rekey_on_join = false;
	cfg.rekey_on_leave = false;
	assert_int_equal(gm_group_create(&ks, &cfg, &g, err, sizeof(err)),
	                 KS_OK);
	{
		struct ks_as as;

		memset(&as, 0, sizeof(as));
		snprintf(as.name, sizeof(as.name), "as");
		snprintf(as.audience, sizeof(as.audience), "kdc");
		as.kind = IPC_AS_ENCRYPT;
		as.alg = KDC_ALG_AES_CCM_16_64_128;
		as.key.kty = KDC_KTY_SYMMETRIC;
		as.key.k_len = 16;
		assert_int_equal(ks_store_as_add(f->s, &as), KS_OK);
		as_id = as.id;
	}
	for (int i = 0; i < TOKENS; i++) {
		struct ks_token t;
		bool replaced;

		memset(&t, 0, sizeof(t));
		t.as_id = as_id;
		t.pop_kind = KS_POP_ASYMMETRIC;
		t.pop_fpr[0] = (uint8_t)i;
		t.pop_fpr[1] = (uint8_t)(i >> 8);
		t.handle.b[0] = (uint8_t)i;
		t.handle.b[1] = (uint8_t)(i >> 8) | 0x80;
		t.scope_len = 1;
		t.scope[0] = 0x80;
		t.exp = 4000000000;
		t.received_at = 1;
		t.via = KS_VIA_AUTHZ_INFO;
		assert_int_equal(ks_store_token_put(f->s, &t, &replaced),
		                 KS_OK);
		token_id[i] = t.id;
	}
	memset(used, 0, sizeof(used));
	for (int op = 0; op < OPS; op++) {
		int i;

		rnd = rnd * 1103515245u + 12345u;
		i = (int)((rnd >> 8) % TOKENS);
		if (!slot[i].in) {
			struct ks_member m;
			uint8_t sid[8];
			size_t sid_len;
			int rc = gm_sid_alloc(&ks, &g, sid, &sid_len);

			if (rc == 1) {
				/* Exhausted: a rekey opens a new Gid, where
				 * only the current members' IDs are taken. */
				assert_int_equal(ks_rekey_run(&ks, "test", &g),
				                 0);
				rekeys++;
				memset(used, 0, sizeof(used));
				for (int k = 0; k < TOKENS; k++)
					if (slot[k].in)
						used[slot[k].sid] = 1;
				rc = gm_sid_alloc(&ks, &g, sid, &sid_len);
				if (rc == 1)
					continue; /* all 256 held */
			}
			assert_int_equal(rc, 0);
			assert_int_equal(sid_len, 1);
			if (used[sid[0]])
				fail_msg("Sender ID %02x reused under one Gid "
				         "(op %d)",
				         sid[0], op);
			used[sid[0]] = 1;
			memset(&m, 0, sizeof(m));
			m.group_id = g.id;
			m.token_id = token_id[i];
			gm_node_name(&g, m.node);
			m.perm = KDC_PERM_REQ;
			m.has_sid = true;
			m.sid[0] = sid[0];
			m.sid_len = 1;
			m.birth_gid_len = g.gid_len;
			memcpy(m.birth_gid, g.gid, g.gid_len);
			assert_int_equal(ks_store_member_add(f->s, &m), KS_OK);
			assert_int_equal(ks_store_group_set_counters(f->s, &g),
			                 KS_OK);
			slot[i].in = true;
			slot[i].id = m.id;
			slot[i].sid = sid[0];
			joins++;
		} else {
			struct ks_member m;

			assert_int_equal(
			        ks_store_member_by_id(f->s, slot[i].id, &m),
			        KS_OK);
			assert_int_equal(gm_member_remove(&ks, "test", &g, &m,
			                                  NULL,
			                                  IPC_REMOVED_LEFT),
			                 0);
			slot[i].in = false;
			leaves++;
		}
		if (op % 500 == 499) {
			ks_batch_commit(&ks);
			assert_int_equal(ks_batch_ensure(&ks), 0);
		}
	}
	ks_batch_commit(&ks);
	assert_true(joins + leaves >= OPS - 100);
	assert_true(rekeys > 10); /* the space wrapped many times */
	print_message("%d joins, %d leaves, %d rekeys\n", joins, leaves,
	              rekeys);
	while (ks.groups_rt != NULL)
		ks_group_rt_forget(&ks, ks.groups_rt->group_id);
	ks_kdc_keys_forget();
	uv_close((uv_handle_t *)&ks.timer, NULL);
	uv_close((uv_handle_t *)&ks.commit_check, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(
	                test_sid_never_reused_under_one_gid, ks_fixture_setup,
	                ks_fixture_teardown),
	};

	return cmocka_run_group_tests_name("ks_sid", tests, NULL, NULL);
}
