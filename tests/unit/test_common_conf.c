/* SPDX-License-Identifier: Apache-2.0 */
/* Tests of the strict configuration parser (common/conf.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "conf.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
test_defaults(void **state)
{
	struct kdc_conf c;
	char err[256];

	(void)state;
	kdc_conf_defaults(&c);
	assert_int_equal(kdc_conf_parse("t", "", &c, err, sizeof(err)), 0);
	assert_string_equal(c.state_dir, "/var/lib/kdc");
	assert_string_equal(c.database, "/var/lib/kdc/kdc.sqlite");
	assert_string_equal(c.kek_file, "/var/lib/kdc/kek");
	assert_int_equal(c.nlisten, 1);
	assert_int_equal(c.listen[0].port, 5683);
	assert_int_equal(c.listen_dtls[0].port, 5684);
	assert_int_equal(c.log_level, KDC_LOG_INFO);
}

static void
test_full_file(void **state)
{
	struct kdc_conf c;
	char err[256];
	const char *text = "# comment\n"
	                   "[kdc]\n"
	                   "state_dir = /tmp/kdc-state\n"
	                   "log_level = debug\n"
	                   "\n"
	                   "[keystore]\n"
	                   "clock_skew = 5\n"
	                   "create_kek = no\n"
	                   "[frontend]\n"
	                   "listen = 127.0.0.1:15683\n"
	                   "listen = [::1]:15683\n"
	                   "listen_dtls = 127.0.0.1:15684\n"
	                   "reuse_port = yes\n";

	(void)state;
	kdc_conf_defaults(&c);
	assert_int_equal(kdc_conf_parse("t", text, &c, err, sizeof(err)), 0);
	assert_string_equal(c.database, "/tmp/kdc-state/kdc.sqlite");
	assert_int_equal(c.log_level, KDC_LOG_DEBUG);
	assert_int_equal(c.clock_skew, 5);
	assert_false(c.create_kek);
	assert_int_equal(c.nlisten, 2);
	assert_string_equal(c.listen[1].host, "::1");
	assert_int_equal(c.listen[1].port, 15683);
	assert_int_equal(c.nlisten_dtls, 1);
	assert_true(c.reuse_port);
}

static void
test_errors_have_line_numbers(void **state)
{
	struct kdc_conf c;
	char err[1024];
	const char *text = "[kdc]\n"
	                   "state_dir = relative/path\n" /* 2 */
	                   "bogus = 1\n"                 /* 3 */
	                   "[nosuch]\n"                  /* 4 */
	                   "[frontend]\n"
	                   "listen = localhost:5683\n" /* 6 */
	                   "max_sessions = 0\n"        /* 7 */
	                   "reuse_port = maybe\n"      /* 8 */
	                   "just a line\n"             /* 9 */
	                   "user = a b\n"              /* 10 */
	                   "ipc_timeout_ms = 100\n"
	                   "ipc_timeout_ms = 200\n"; /* 12 */

	(void)state;
	kdc_conf_defaults(&c);
	assert_int_equal(kdc_conf_parse("kdc.conf", text, &c, err, sizeof(err)),
	                 -1);
	assert_non_null(strstr(
	        err, "kdc.conf:2: 'state_dir' must be an absolute path"));
	assert_non_null(
	        strstr(err, "kdc.conf:3: unknown key 'bogus' in [kdc]"));
	assert_non_null(strstr(err, "kdc.conf:4: unknown section [nosuch]"));
	assert_non_null(strstr(err, "kdc.conf:6: 'listen' must be"));
	assert_non_null(
	        strstr(err, "kdc.conf:7: 'max_sessions' must be an integer"));
	assert_non_null(
	        strstr(err, "kdc.conf:8: 'reuse_port' must be yes or no"));
	assert_non_null(strstr(err, "kdc.conf:9: expected 'key = value'"));
	assert_non_null(strstr(err, "kdc.conf:10: 'user' must be a name"));
	assert_non_null(
	        strstr(err, "kdc.conf:12: 'ipc_timeout_ms' is set twice"));
}

static void
test_key_outside_section(void **state)
{
	struct kdc_conf c;
	char err[256];

	(void)state;
	kdc_conf_defaults(&c);
	assert_int_equal(
	        kdc_conf_parse("f", "log_level = info\n", &c, err, sizeof(err)),
	        -1);
	assert_non_null(
	        strstr(err, "f:1: 'log_level' outside of a known section"));
}

/* The shipped, documented file must stay loadable as is. */
static void
test_shipped_file(void **state)
{
	struct kdc_conf c;
	char err[1024], path[1024];
	const char *src = getenv("KDC_SOURCE_DIR");

	(void)state;
	if (src == NULL)
		skip();
	snprintf(path, sizeof(path), "%s/deploy/kdc.conf", src);
	kdc_conf_defaults(&c);
	if (kdc_conf_load(path, &c, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_string_equal(c.runtime_dir, "/run/kdc");
	assert_true(c.reuse_port);
	assert_int_equal(c.listen_dtls[0].port, 5684);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_defaults),
	        cmocka_unit_test(test_full_file),
	        cmocka_unit_test(test_errors_have_line_numbers),
	        cmocka_unit_test(test_key_outside_section),
	        cmocka_unit_test(test_shipped_file),
	};
	return cmocka_run_group_tests_name("conf", tests, NULL, NULL);
}
