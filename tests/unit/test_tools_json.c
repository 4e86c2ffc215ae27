/* SPDX-License-Identifier: Apache-2.0 */
/* Tests of kdc-admin's streaming JSON writer (tools/admin/json.c): string
 * escaping (quotes, backslash, control characters, UTF-8 passthrough,
 * invalid UTF-8), nesting and commas, and misuse detection. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The escaped form of n bytes. */
static char *
escaped(const char *s, size_t n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	json_escape(f, s, n);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static void
assert_escape(const char *in, size_t n, const char *want)
{
	char *got = escaped(in, n);

	assert_string_equal(got, want);
	free(got);
}

static void
test_escape_quotes_backslash(void **state)
{
	(void)state;
	assert_escape("a\"b", 3, "a\\\"b");
	assert_escape("c:\\dir", 6, "c:\\\\dir");
	assert_escape("/", 1, "/"); /* solidus needs no escape */
	assert_escape("", 0, "");
}

static void
test_escape_control(void **state)
{
	(void)state;
	assert_escape("\b\f\n\r\t", 5, "\\b\\f\\n\\r\\t");
	assert_escape("\x01\x1f", 2, "\\u0001\\u001f");
	assert_escape("\x7f", 1, "\\u007f");
	/* NUL inside the given length is escaped, not a terminator. */
	assert_escape("a\0b", 3, "a\\u0000b");
	/* An ANSI escape sequence cannot reach a terminal raw. */
	assert_escape("\x1b[31m", 5, "\\u001b[31m");
}

static void
test_escape_utf8_passthrough(void **state)
{
	(void)state;
	/* é (2 bytes), € (3 bytes), U+1F600 (4 bytes), U+10FFFF. */
	assert_escape("\xc3\xa9", 2, "\xc3\xa9");
	assert_escape("\xe2\x82\xac", 3, "\xe2\x82\xac");
	assert_escape("\xf0\x9f\x98\x80", 4, "\xf0\x9f\x98\x80");
	assert_escape("\xf4\x8f\xbf\xbf", 4, "\xf4\x8f\xbf\xbf");
	assert_escape("gr\xc3\xbc\xc3\x9f \"x\"", 10,
	              "gr\xc3\xbc\xc3\x9f \\\"x\\\"");
}

static void
test_escape_invalid_utf8(void **state)
{
	(void)state;
	/* Lone continuation byte, truncated sequence, overlong '/',
	 * surrogate, above U+10FFFF, 0xff: each bad byte is U+FFFD. */
	assert_escape("\x80", 1, "\\ufffd");
	assert_escape("a\xc3", 2, "a\\ufffd");
	assert_escape("\xc0\xaf", 2, "\\ufffd\\ufffd");
	assert_escape("\xed\xa0\x80", 3, "\\ufffd\\ufffd\\ufffd");
	assert_escape("\xf4\x90\x80\x80", 4, "\\ufffd\\ufffd\\ufffd\\ufffd");
	assert_escape("\xff", 1, "\\ufffd");
	assert_escape("\xe0\x80\x80", 3, "\\ufffd\\ufffd\\ufffd");
}

static char *
run_writer(void (*fn)(struct json_w *j), int *rc)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct json_w j;

	assert_non_null(f);
	json_init(&j, f);
	fn(&j);
	*rc = json_finish(&j);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static void
write_result(struct json_w *j)
{
	json_object_begin(j, NULL);
	json_array_begin(j, "groups");
	json_object_begin(j, NULL);
	json_stringz(j, "name", "g\"1");
	json_int(j, "num", -3);
	json_bool(j, "active", true);
	json_null(j, "pending");
	json_object_end(j);
	json_object_begin(j, NULL);
	json_int(j, "big", INT64_MAX);
	json_bool(j, "active", false);
	json_object_end(j);
	json_array_end(j);
	json_array_begin(j, "empty");
	json_array_end(j);
	json_stringz(j, "status", "OK");
	json_object_end(j);
}

static void
test_writer_structure(void **state)
{
	int rc;
	char *out = run_writer(write_result, &rc);

	(void)state;
	assert_int_equal(rc, 0);
	assert_string_equal(out, "{\"groups\":[{\"name\":\"g\\\"1\",\"num\":-3,"
	                         "\"active\":true,\"pending\":null},"
	                         "{\"big\":9223372036854775807,"
	                         "\"active\":false}],\"empty\":[],"
	                         "\"status\":\"OK\"}\n");
	free(out);
}

static void
write_escaped_key(struct json_w *j)
{
	json_object_begin(j, NULL);
	json_string(j, "x'00ff'\n", "\x01", 1);
	json_object_end(j);
}

static void
test_writer_key_escaped(void **state)
{
	int rc;
	char *out = run_writer(write_escaped_key, &rc);

	(void)state;
	assert_int_equal(rc, 0);
	assert_string_equal(out, "{\"x'00ff'\\n\":\"\\u0001\"}\n");
	free(out);
}

static void
write_unbalanced(struct json_w *j)
{
	json_object_begin(j, NULL);
	json_array_begin(j, "a");
	json_object_end(j);
}

static void
write_overclosed(struct json_w *j)
{
	json_object_begin(j, NULL);
	json_object_end(j);
	json_object_end(j);
}

static void
test_writer_misuse(void **state)
{
	int rc;
	char *out;

	(void)state;
	out = run_writer(write_unbalanced, &rc);
	assert_int_equal(rc, -1);
	free(out);
	out = run_writer(write_overclosed, &rc);
	assert_int_equal(rc, -1);
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_escape_quotes_backslash),
	        cmocka_unit_test(test_escape_control),
	        cmocka_unit_test(test_escape_utf8_passthrough),
	        cmocka_unit_test(test_escape_invalid_utf8),
	        cmocka_unit_test(test_writer_structure),
	        cmocka_unit_test(test_writer_key_escaped),
	        cmocka_unit_test(test_writer_misuse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
