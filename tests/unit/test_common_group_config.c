/* SPDX-License-Identifier: Apache-2.0 */
/* Tests of a group's configuration: defaults, validation rules and the
 * algorithm/curve name tables (common/group_config.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "group_config.h"

#include <string.h>

/* A valid configuration to start each rule from. */
static void
base(struct kdc_group_config *c)
{
	kdc_group_config_defaults(c);
	strcpy(c->name, "g1");
}

static void
assert_valid(const struct kdc_group_config *c)
{
	const char *why = "unset";

	if (kdc_group_config_validate(c, &why) != 0)
		fail_msg("rejected: %s", why);
	assert_null(why);
}

/* Rejected, with a message that contains `needle`. */
static void
assert_invalid(const struct kdc_group_config *c, const char *needle)
{
	const char *why = NULL;

	assert_int_equal(kdc_group_config_validate(c, &why), -1);
	assert_non_null(why);
	if (strstr(why, needle) == NULL)
		fail_msg("message '%s' lacks '%s'", why, needle);
}

static void
test_defaults(void **state)
{
	struct kdc_group_config c;

	(void)state;
	memset(&c, 0xa5, sizeof(c));
	kdc_group_config_defaults(&c);
	assert_string_equal(c.name, "");
	assert_string_equal(c.description, "");
	assert_true(c.active);
	assert_int_equal(c.hkdf, 5);
	assert_int_equal(c.cred_fmt, 14);
	assert_true(c.group_mode);
	assert_int_equal(c.gp_enc_alg, 10);
	assert_int_equal(c.sign_alg, -8);
	assert_int_equal(c.sign_crv, 6);
	assert_true(c.pairwise_mode);
	assert_int_equal(c.alg, 10);
	assert_int_equal(c.ecdh_alg, -27);
	assert_int_equal(c.ecdh_crv, 4);
	assert_int_equal(c.key_lifetime, 86400);
	assert_int_equal(c.key_update_check_interval, 3600);
	assert_int_equal(c.expiration_delta, 0);
	assert_int_equal(c.max_members, 0);
	assert_true(c.rekey_on_join);
	assert_true(c.rekey_on_leave);
	assert_false(c.rekey_after_restart);
	assert_int_equal(c.min_rekey_interval_ms, 1000);
	assert_int_equal(c.max_stale_sets, 3);
	assert_int_equal(c.prev_grace, 300);
	assert_int_equal(c.sid_max_len, 7);
	assert_int_equal(c.gid_prefix_len, 4);
	assert_int_equal(c.gid_epoch_len, 4);
}

static void
test_defaults_valid_once_named(void **state)
{
	struct kdc_group_config c;

	(void)state;
	kdc_group_config_defaults(&c);
	assert_invalid(&c, "name");
	strcpy(c.name, "g1");
	assert_valid(&c);
	/* why may be NULL. */
	assert_int_equal(kdc_group_config_validate(&c, NULL), 0);
	c.hkdf = 4;
	assert_int_equal(kdc_group_config_validate(&c, NULL), -1);
}

static void
test_name(void **state)
{
	struct kdc_group_config c;

	(void)state;
	base(&c);
	strcpy(c.name, "Group-1._~");
	assert_valid(&c);
	strcpy(c.name, "a/b");
	assert_invalid(&c, "name");
	strcpy(c.name, "a b");
	assert_invalid(&c, "name");
	strcpy(c.name, "a%20");
	assert_invalid(&c, "name");
	memset(c.name, 'x', KDC_GNAME_MAX);
	c.name[KDC_GNAME_MAX] = '\0';
	assert_valid(&c);
	/* Not NUL-terminated within the array. */
	memset(c.name, 'x', sizeof(c.name));
	assert_invalid(&c, "name");
}

static void
test_description(void **state)
{
	struct kdc_group_config c;

	(void)state;
	base(&c);
	memset(c.description, 'd', KDC_DESCRIPTION_MAX);
	c.description[KDC_DESCRIPTION_MAX] = '\0';
	assert_valid(&c);
	memset(c.description, 'd', sizeof(c.description));
	assert_invalid(&c, "description");
}

static void
test_hkdf_and_cred_fmt(void **state)
{
	struct kdc_group_config c;

	(void)state;
	base(&c);
	c.hkdf = 6;
	assert_invalid(&c, "hkdf");
	base(&c);
	c.cred_fmt = 13; /* kcwt */
	assert_invalid(&c, "cred_fmt must be 14");
	c.cred_fmt = 33; /* x5chain */
	assert_invalid(&c, "cred_fmt must be 14");
	c.cred_fmt = 14;
	assert_valid(&c);
}

static void
test_modes(void **state)
{
	struct kdc_group_config c;

	(void)state;
	base(&c);
	c.group_mode = false;
	c.pairwise_mode = false;
	assert_invalid(&c, "group_mode and pairwise_mode");
	c.group_mode = true;
	assert_valid(&c); /* signature-only */
	c.group_mode = false;
	c.pairwise_mode = true;
	assert_valid(&c); /* pairwise-only */
	/* A pairwise-only group does not use its signature fields. */
	c.sign_alg = 0;
	c.sign_crv = 0;
	c.gp_enc_alg = 0;
	assert_valid(&c);
	/* A signature-only group does not use its ECDH fields. */
	base(&c);
	c.pairwise_mode = false;
	c.alg = 0;
	c.ecdh_alg = 0;
	c.ecdh_crv = 0;
	assert_valid(&c);
}

static void
test_sign_pairs(void **state)
{
	static const struct {
		int64_t alg;
		int crv;
		bool ok;
	} t[] = {
	        {-8, 6, true},   {-19, 6, true},  {-7, 1, true},
	        {-9, 1, true},   {-8, 1, false},  {-19, 1, false},
	        {-7, 6, false},  {-9, 6, false},  {-8, 7, false},
	        {-35, 2, false}, {-36, 3, false}, {-27, 4, false},
	        {0, 6, false},
	};
	struct kdc_group_config c;

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		base(&c);
		c.pairwise_mode = false;
		c.sign_alg = t[i].alg;
		c.sign_crv = t[i].crv;
		if (t[i].ok)
			assert_valid(&c);
		else
			assert_invalid(&c, "sign_");
	}
	base(&c);
	c.pairwise_mode = false;
	c.sign_alg = -7;
	c.sign_crv = 6;
	assert_invalid(&c, "sign_alg -7 (ES256) needs sign_crv 1 (P-256)");
	c.sign_alg = -8;
	c.sign_crv = 1;
	assert_invalid(&c, "sign_alg -8 (EdDSA) needs sign_crv 6 (Ed25519)");
}

static void
test_ecdh(void **state)
{
	struct kdc_group_config c;

	(void)state;
	base(&c);
	c.group_mode = false;
	c.ecdh_crv = 1;
	assert_valid(&c);
	c.ecdh_crv = 4;
	assert_valid(&c);
	c.ecdh_crv = 6;
	assert_invalid(&c, "ecdh_crv");
	c.ecdh_crv = 5; /* X448 */
	assert_invalid(&c, "ecdh_crv");
	c.ecdh_crv = 4;
	c.ecdh_alg = -28; /* ECDH-SS + HKDF-512 */
	assert_invalid(&c, "ecdh_alg");
	c.ecdh_alg = -25; /* ECDH-ES + HKDF-256 */
	assert_invalid(&c, "ecdh_alg");

	/* Both modes: one credential serves both, so the curves agree. */
	base(&c);
	c.ecdh_crv = 1;
	assert_invalid(&c, "ecdh_crv must be 4");
	base(&c);
	c.sign_alg = -7;
	c.sign_crv = 1;
	assert_invalid(&c, "ecdh_crv must be 1");
	c.ecdh_crv = 1;
	assert_valid(&c);
}

static void
test_aeads(void **state)
{
	static const struct {
		int64_t alg;
		uint8_t sid;
	} ok[] = {
	        {10, 7}, {11, 7}, {30, 7}, {1, 6}, {3, 6}, {24, 6},
	};
	static const int64_t bad[] = {0, 2, 4, 5, 12, 13, 25, 31, -27};
	struct kdc_group_config c;

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		base(&c);
		c.gp_enc_alg = ok[i].alg;
		c.sid_max_len = ok[i].sid;
		assert_valid(&c);
		base(&c);
		c.alg = ok[i].alg;
		c.sid_max_len = ok[i].sid;
		assert_valid(&c);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		base(&c);
		c.gp_enc_alg = bad[i];
		assert_invalid(&c, "gp_enc_alg");
		base(&c);
		c.alg = bad[i];
		assert_invalid(&c, "alg must be");
	}
}

static void
test_sid_len_limit(void **state)
{
	struct kdc_group_config c;

	(void)state;
	base(&c);
	assert_int_equal(kdc_group_sid_len_limit(&c), 7);
	c.gp_enc_alg = 1; /* A128GCM: 12-byte nonce */
	assert_int_equal(kdc_group_sid_len_limit(&c), 6);
	c.group_mode = false; /* only alg (AES-CCM) counts now */
	assert_int_equal(kdc_group_sid_len_limit(&c), 7);
	c.group_mode = true;
	c.gp_enc_alg = 10;
	c.alg = 24; /* ChaCha20/Poly1305: 12-byte nonce */
	assert_int_equal(kdc_group_sid_len_limit(&c), 6);
	c.pairwise_mode = false;
	assert_int_equal(kdc_group_sid_len_limit(&c), 7);
	c.gp_enc_alg = 12345;
	assert_int_equal(kdc_group_sid_len_limit(&c), 0);
	c.group_mode = false;
	assert_int_equal(kdc_group_sid_len_limit(&c), 0);
}

static void
test_sid_max_len(void **state)
{
	struct kdc_group_config c;

	(void)state;
	base(&c);
	c.sid_max_len = 0;
	assert_invalid(&c, "sid_max_len must be 1..7");
	c.sid_max_len = 1;
	assert_valid(&c);
	c.sid_max_len = 7;
	assert_valid(&c);
	c.sid_max_len = 8;
	assert_invalid(&c, "sid_max_len must be 1..7");
	c.alg = 1; /* the smaller nonce of the two wins */
	c.sid_max_len = 7;
	assert_invalid(&c, "sid_max_len must be 1..6");
	c.sid_max_len = 6;
	assert_valid(&c);
}

static void
test_gid_lengths(void **state)
{
	struct kdc_group_config c;

	(void)state;
	base(&c);
	c.gid_prefix_len = 0;
	assert_invalid(&c, "gid_prefix_len");
	c.gid_prefix_len = 9;
	assert_invalid(&c, "gid_prefix_len");
	c.gid_prefix_len = 1;
	c.gid_epoch_len = 1;
	assert_valid(&c);
	c.gid_prefix_len = 8;
	c.gid_epoch_len = 8;
	assert_valid(&c); /* 16 = KDC_GID_MAX */
	c.gid_epoch_len = 0;
	assert_invalid(&c, "gid_epoch_len");
	c.gid_epoch_len = 9;
	assert_invalid(&c, "gid_epoch_len");
	c.gid_epoch_len = 255;
	assert_invalid(&c, "gid_epoch_len");
}

static void
test_policies(void **state)
{
	struct kdc_group_config c;

	(void)state;
	base(&c);
	c.max_stale_sets = 1;
	assert_invalid(&c, "max_stale_sets");
	c.max_stale_sets = 0;
	assert_invalid(&c, "max_stale_sets");
	c.max_stale_sets = 2;
	assert_valid(&c);

	base(&c);
	c.key_lifetime = 9;
	assert_invalid(&c, "key_lifetime");
	c.key_lifetime = 0;
	assert_invalid(&c, "key_lifetime");
	c.key_lifetime = 10;
	assert_valid(&c);

	base(&c);
	c.min_rekey_interval_ms = 3600001;
	assert_invalid(&c, "min_rekey_interval_ms");
	c.min_rekey_interval_ms = 3600000;
	assert_valid(&c);
	c.min_rekey_interval_ms = 0;
	assert_valid(&c);
}

static void
test_alg_names(void **state)
{
	static const struct {
		const char *name;
		int64_t v;
	} t[] = {
	        {"EdDSA", -8},
	        {"Ed25519", -19},
	        {"ES256", -7},
	        {"ESP256", -9},
	        {"AES-CCM-16-64-128", 10},
	        {"AES-CCM-16-64-256", 11},
	        {"AES-CCM-16-128-128", 30},
	        {"A128GCM", 1},
	        {"A256GCM", 3},
	        {"ChaCha20/Poly1305", 24},
	        {"HMAC-256/256", 5},
	        {"HMAC-256/64", 4},
	        {"ECDH-SS+HKDF-256", -27},
	};
	int64_t v;

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_string_equal(kdc_alg_name(t[i].v), t[i].name);
		v = 999;
		assert_int_equal(kdc_alg_parse(t[i].name, &v), 0);
		assert_int_equal(v, t[i].v);
	}
	assert_null(kdc_alg_name(0));
	assert_null(kdc_alg_name(-28));
	assert_int_equal(kdc_alg_parse("eddsa", &v), 0);
	assert_int_equal(v, -8);
	assert_int_equal(kdc_alg_parse("aes-ccm-16-64-128", &v), 0);
	assert_int_equal(v, 10);
	assert_int_equal(kdc_alg_parse("CHACHA20/POLY1305", &v), 0);
	assert_int_equal(v, 24);
	assert_int_equal(kdc_alg_parse("ecdh-ss+hkdf-256", &v), 0);
	assert_int_equal(v, -27);
	assert_int_equal(kdc_alg_parse("-8", &v), 0);
	assert_int_equal(v, -8);
	assert_int_equal(kdc_alg_parse("10", &v), 0);
	assert_int_equal(v, 10);
	assert_int_equal(kdc_alg_parse("0", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(kdc_alg_parse("-65535", &v), 0);
	assert_int_equal(v, -65535);
	assert_int_equal(kdc_alg_parse("9223372036854775807", &v), 0);
	assert_true(v == INT64_MAX);
	assert_int_equal(kdc_alg_parse("-9223372036854775808", &v), 0);
	assert_true(v == INT64_MIN);
	v = 42;
	assert_int_equal(kdc_alg_parse("9223372036854775808", &v), -1);
	assert_int_equal(kdc_alg_parse("-9223372036854775809", &v), -1);
	assert_int_equal(kdc_alg_parse("", &v), -1);
	assert_int_equal(kdc_alg_parse("-", &v), -1);
	assert_int_equal(kdc_alg_parse("+5", &v), -1);
	assert_int_equal(kdc_alg_parse(" 10", &v), -1);
	assert_int_equal(kdc_alg_parse("10 ", &v), -1);
	assert_int_equal(kdc_alg_parse("1x", &v), -1);
	assert_int_equal(kdc_alg_parse("EdDSA2", &v), -1);
	assert_int_equal(kdc_alg_parse("Ed", &v), -1);
	assert_int_equal(kdc_alg_parse(NULL, &v), -1);
	assert_int_equal(v, 42); /* untouched on failure */
}

static void
test_crv_names(void **state)
{
	int crv;

	(void)state;
	assert_string_equal(kdc_crv_name(1), "P-256");
	assert_string_equal(kdc_crv_name(4), "X25519");
	assert_string_equal(kdc_crv_name(6), "Ed25519");
	assert_null(kdc_crv_name(2));
	assert_null(kdc_crv_name(0));
	assert_int_equal(kdc_crv_parse("P-256", &crv), 0);
	assert_int_equal(crv, 1);
	assert_int_equal(kdc_crv_parse("p-256", &crv), 0);
	assert_int_equal(crv, 1);
	assert_int_equal(kdc_crv_parse("x25519", &crv), 0);
	assert_int_equal(crv, 4);
	assert_int_equal(kdc_crv_parse("ED25519", &crv), 0);
	assert_int_equal(crv, 6);
	assert_int_equal(kdc_crv_parse("7", &crv), 0);
	assert_int_equal(crv, 7);
	assert_int_equal(kdc_crv_parse("-1", &crv), 0);
	assert_int_equal(crv, -1);
	crv = 42;
	assert_int_equal(kdc_crv_parse("2147483648", &crv), -1);
	assert_int_equal(kdc_crv_parse("-2147483649", &crv), -1);
	assert_int_equal(kdc_crv_parse("P256", &crv), -1);
	assert_int_equal(kdc_crv_parse("EdDSA", &crv), -1);
	assert_int_equal(kdc_crv_parse("", &crv), -1);
	assert_int_equal(crv, 42);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_defaults),
	        cmocka_unit_test(test_defaults_valid_once_named),
	        cmocka_unit_test(test_name),
	        cmocka_unit_test(test_description),
	        cmocka_unit_test(test_hkdf_and_cred_fmt),
	        cmocka_unit_test(test_modes),
	        cmocka_unit_test(test_sign_pairs),
	        cmocka_unit_test(test_ecdh),
	        cmocka_unit_test(test_aeads),
	        cmocka_unit_test(test_sid_len_limit),
	        cmocka_unit_test(test_sid_max_len),
	        cmocka_unit_test(test_gid_lengths),
	        cmocka_unit_test(test_policies),
	        cmocka_unit_test(test_alg_names),
	        cmocka_unit_test(test_crv_names),
	};
	return cmocka_run_group_tests_name("group_config", tests, NULL, NULL);
}
