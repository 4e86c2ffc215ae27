/* SPDX-License-Identifier: Apache-2.0 */
/* Tests of kdc-admin's output (tools/admin/output.c, output_json.c): the
 * human rendering of every cell type, aligned tables and name/value
 * records, terminal-safe text, and the JSON shape of results (status,
 * error, note, key collisions). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "admin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct capture {
	char *buf;
	size_t len;
	FILE *f;
};

static void
cap_open(struct capture *c)
{
	c->buf = NULL;
	c->len = 0;
	c->f = open_memstream(&c->buf, &c->len);
	assert_non_null(c->f);
}

static char *
cap_close(struct capture *c)
{
	assert_int_equal(fclose(c->f), 0);
	return c->buf;
}

/* A decoded result built the way the keystore builds it. */
struct built {
	struct ipc_tab_builder tb;
	struct ipc_wbuf w;
	struct ipc_adm_result r;
};

static void
built_finish(struct built *b, int32_t status, const char *error)
{
	memset(&b->r, 0, sizeof(b->r));
	assert_int_equal(adm_local_result(&b->tb, status, error, &b->w, &b->r),
	                 0);
}

static void
built_free(struct built *b)
{
	ipc_adm_result_free(&b->r);
	ipc_wbuf_free(&b->w);
	ipc_tab_free(&b->tb);
}

/* One table with a column of every cell type, two rows. */
static void
every_type(struct built *b)
{
	static const char *const cols[] = {"name", "n", "ok", "gid", "none"};
	static const uint8_t gid[] = {0x00, 0xab, 0xCD, 0x0f};

	ipc_tab_init(&b->tb);
	ipc_tab_begin(&b->tb, "groups", cols, 5);
	ipc_tab_textz(&b->tb, "g1");
	ipc_tab_int(&b->tb, -42);
	ipc_tab_bool(&b->tb, true);
	ipc_tab_bytes(&b->tb, gid, sizeof(gid));
	ipc_tab_null(&b->tb);
	ipc_tab_textz(&b->tb, "group-two");
	ipc_tab_int(&b->tb, 7);
	ipc_tab_bool(&b->tb, false);
	ipc_tab_bytes(&b->tb, gid, 0);
	ipc_tab_null(&b->tb);
}

static void
test_cell_text(void **state)
{
	static const uint8_t bytes[] = {0xde, 0xad, 0x01};
	struct ipc_cell c;
	char *s;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.type = IPC_CELL_NULL;
	s = adm_cell_text(&c);
	assert_string_equal(s, "-");
	free(s);
	c.type = IPC_CELL_INT;
	c.i = INT64_MIN;
	s = adm_cell_text(&c);
	assert_string_equal(s, "-9223372036854775808");
	free(s);
	c.type = IPC_CELL_BOOL;
	c.i = 1;
	s = adm_cell_text(&c);
	assert_string_equal(s, "yes");
	free(s);
	c.i = 0;
	s = adm_cell_text(&c);
	assert_string_equal(s, "no");
	free(s);
	c.type = IPC_CELL_BYTES;
	c.v.p = bytes;
	c.v.n = sizeof(bytes);
	s = adm_cell_text(&c);
	assert_string_equal(s, "dead01");
	free(s);
	c.type = IPC_CELL_TEXT;
	c.v.p = (const uint8_t *)"a\tb\nc\x1b[0m\\ \xc2\x9b \xc3\xa9";
	c.v.n = strlen((const char *)c.v.p);
	s = adm_cell_text(&c);
	/* Tab, newline, ESC, backslash and the C1 CSI are escaped; é
	 * passes. */
	assert_string_equal(s, "a\\tb\\nc\\x1b[0m\\\\ \\xc2\\x9b \xc3\xa9");
	free(s);
}

static void
test_human_table(void **state)
{
	struct built b;
	struct capture c;
	char *out;

	(void)state;
	every_type(&b);
	built_finish(&b, IPC_ADM_OK, NULL);
	cap_open(&c);
	adm_print_table(c.f, &b.r.tables[0], false);
	out = cap_close(&c);
	assert_string_equal(out, "NAME       N    OK   GID       NONE\n"
	                         "g1         -42  yes  00abcd0f  -\n"
	                         "group-two  7    no             -\n");
	free(out);
	built_free(&b);
}

static void
test_human_record(void **state)
{
	static const char *const cols[] = {"name", "key_lifetime", "active"};
	struct built b;
	struct capture c;
	char *out;

	(void)state;
	ipc_tab_init(&b.tb);
	ipc_tab_begin(&b.tb, "group", cols, 3);
	ipc_tab_textz(&b.tb, "g1");
	ipc_tab_int(&b.tb, 86400);
	ipc_tab_bool(&b.tb, true);
	built_finish(&b, IPC_ADM_OK, NULL);
	cap_open(&c);
	adm_print_table(c.f, &b.r.tables[0], true);
	out = cap_close(&c);
	assert_string_equal(out, "name:         g1\n"
	                         "key_lifetime: 86400\n"
	                         "active:       yes\n");
	free(out);
	/* A record command with several rows prints a table. */
	built_free(&b);
}

static void
test_human_result_several_tables(void **state)
{
	static const char *const cols[] = {"a"};
	struct built b;
	struct capture c, e;
	struct adm_out o;
	char *out, *err;

	(void)state;
	ipc_tab_init(&b.tb);
	ipc_tab_begin(&b.tb, "one", cols, 1);
	ipc_tab_int(&b.tb, 1);
	ipc_tab_begin(&b.tb, "two", cols, 1);
	built_finish(&b, IPC_ADM_OK, "listing cut at 10000 rows");
	cap_open(&c);
	cap_open(&e);
	adm_out_init(&o, false, c.f, e.f, "status", false);
	assert_int_equal(adm_out_result(&o, &b.r), ADM_EXIT_OK);
	out = cap_close(&c);
	err = cap_close(&e);
	assert_string_equal(out, "[one]\nA\n1\n\n[two]\nA\n");
	assert_string_equal(err,
	                    "kdc-admin: status: listing cut at 10000 rows\n");
	free(out);
	free(err);
	built_free(&b);
}

static void
test_human_failure(void **state)
{
	struct built b;
	struct capture c, e;
	struct adm_out o;
	char *out, *err;

	(void)state;
	ipc_tab_init(&b.tb);
	built_finish(&b, IPC_ADM_E_NOT_FOUND, "no group named 'x'");
	cap_open(&c);
	cap_open(&e);
	adm_out_init(&o, false, c.f, e.f, "group show", true);
	assert_int_equal(adm_out_result(&o, &b.r), ADM_EXIT_NOT_FOUND);
	out = cap_close(&c);
	err = cap_close(&e);
	assert_string_equal(out, "");
	assert_string_equal(err, "kdc-admin: group show: no group named 'x'\n");
	free(out);
	free(err);
	built_free(&b);
}

static char *
json_of(struct built *b, int *code)
{
	struct capture c, e;
	struct adm_out o;
	char *err;

	cap_open(&c);
	cap_open(&e);
	adm_out_init(&o, true, c.f, e.f, "x", false);
	*code = adm_out_result(&o, &b->r);
	err = cap_close(&e);
	assert_string_equal(err, ""); /* JSON mode: nothing on stderr */
	free(err);
	return cap_close(&c);
}

static void
test_json_every_type(void **state)
{
	struct built b;
	char *out;
	int code;

	(void)state;
	every_type(&b);
	built_finish(&b, IPC_ADM_OK, NULL);
	out = json_of(&b, &code);
	assert_int_equal(code, ADM_EXIT_OK);
	assert_string_equal(
	        out, "{\"groups\":[{\"name\":\"g1\",\"n\":-42,\"ok\":true,"
	             "\"gid\":\"00abcd0f\",\"none\":null},{\"name\":"
	             "\"group-two\",\"n\":7,\"ok\":false,\"gid\":\"\","
	             "\"none\":null}],\"status\":\"OK\"}\n");
	free(out);
	built_free(&b);
}

static void
test_json_collisions(void **state)
{
	static const char *const scols[] = {"version"};
	static const char *const dcols[] = {"1", "1", "1_2"};
	struct built b;
	char *out;
	int code;

	(void)state;
	ipc_tab_init(&b.tb);
	ipc_tab_begin(&b.tb, "status", scols, 1);
	ipc_tab_textz(&b.tb, "0.1.0");
	ipc_tab_begin(&b.tb, "result", dcols, 3);
	ipc_tab_int(&b.tb, 1);
	ipc_tab_int(&b.tb, 2);
	ipc_tab_int(&b.tb, 3);
	ipc_tab_begin(&b.tb, "result", dcols, 0);
	ipc_tab_begin(&b.tb, "", dcols, 0);
	built_finish(&b, IPC_ADM_OK, "cut");
	out = json_of(&b, &code);
	assert_int_equal(code, ADM_EXIT_OK);
	assert_string_equal(out, "{\"status_table\":[{\"version\":\"0.1.0\"}],"
	                         "\"result\":[{\"1\":1,\"1_2\":2,\"1_2_2\":3}],"
	                         "\"result_2\":[],\"table\":[],"
	                         "\"status\":\"OK\",\"note\":\"cut\"}\n");
	free(out);
	built_free(&b);
}

static void
test_json_failures(void **state)
{
	static const struct {
		int32_t status;
		int code;
	} map[] = {
	        {IPC_ADM_E_USAGE, ADM_EXIT_USAGE},
	        {IPC_ADM_E_NOT_FOUND, ADM_EXIT_NOT_FOUND},
	        {IPC_ADM_E_EXISTS, ADM_EXIT_EXISTS},
	        {IPC_ADM_E_REFUSED, ADM_EXIT_REFUSED},
	        {IPC_ADM_E_INTERNAL, ADM_EXIT_INTERNAL},
	        {99, ADM_EXIT_INTERNAL},
	};
	struct capture c, e;
	struct adm_out o;
	char *out, *err;

	(void)state;
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		struct built b;
		int code;

		ipc_tab_init(&b.tb);
		built_finish(&b, map[i].status, "why \"not\"");
		out = json_of(&b, &code);
		assert_int_equal(code, map[i].code);
		assert_string_equal(out, "{\"status\":\"FAILED\",\"error\":"
		                         "\"why \\\"not\\\"\"}\n");
		free(out);
		built_free(&b);
	}
	/* A failure without a message names the exit code. */
	cap_open(&c);
	cap_open(&e);
	adm_out_init(&o, true, c.f, e.f, "status", false);
	assert_int_equal(adm_out_fail(&o, ADM_EXIT_UNREACHABLE, NULL),
	                 ADM_EXIT_UNREACHABLE);
	out = cap_close(&c);
	err = cap_close(&e);
	assert_string_equal(out, "{\"status\":\"FAILED\",\"error\":"
	                         "\"keystore unreachable\"}\n");
	assert_string_equal(err, "");
	free(out);
	free(err);
}

static void
test_check_healthy(void **state)
{
	static const char *const icols[] = {"result"};
	static const char *const fcols[] = {"table", "rowid", "parent", "fkid"};
	struct built b;

	(void)state;
	ipc_tab_init(&b.tb);
	ipc_tab_begin(&b.tb, "integrity_check", icols, 1);
	ipc_tab_textz(&b.tb, "ok");
	ipc_tab_begin(&b.tb, "foreign_key_check", fcols, 4);
	built_finish(&b, IPC_ADM_OK, NULL);
	assert_true(adm_check_healthy(&b.r));
	built_free(&b);

	ipc_tab_init(&b.tb);
	ipc_tab_begin(&b.tb, "integrity_check", icols, 1);
	ipc_tab_textz(&b.tb, "*** in database main ***");
	built_finish(&b, IPC_ADM_OK, NULL);
	assert_false(adm_check_healthy(&b.r));
	built_free(&b);

	ipc_tab_init(&b.tb);
	ipc_tab_begin(&b.tb, "integrity_check", icols, 1);
	ipc_tab_textz(&b.tb, "ok");
	ipc_tab_begin(&b.tb, "foreign_key_check", fcols, 4);
	ipc_tab_textz(&b.tb, "members");
	ipc_tab_int(&b.tb, 3);
	ipc_tab_textz(&b.tb, "groups");
	ipc_tab_int(&b.tb, 0);
	built_finish(&b, IPC_ADM_OK, NULL);
	assert_false(adm_check_healthy(&b.r));
	built_free(&b);

	/* No integrity table at all is not a clean bill of health. */
	ipc_tab_init(&b.tb);
	built_finish(&b, IPC_ADM_OK, NULL);
	assert_false(adm_check_healthy(&b.r));
	built_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_cell_text),
	        cmocka_unit_test(test_human_table),
	        cmocka_unit_test(test_human_record),
	        cmocka_unit_test(test_human_result_several_tables),
	        cmocka_unit_test(test_human_failure),
	        cmocka_unit_test(test_json_every_type),
	        cmocka_unit_test(test_json_collisions),
	        cmocka_unit_test(test_json_failures),
	        cmocka_unit_test(test_check_healthy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
