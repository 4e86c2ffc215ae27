/* SPDX-License-Identifier: Apache-2.0 */
/* Tests of scope parsing and encoding (common/scope.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "scope.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t
unhex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = 0;
	int hi = -1;

	for (; *hex; hex++) {
		int v = 0;
		char c = *hex;

		if (c == ' ')
			continue;
		if (c >= '0' && c <= '9')
			v = c - '0';
		else if (c >= 'a' && c <= 'f')
			v = c - 'a' + 10;
		else
			fail_msg("bad hex digit %c", c);
		if (hi < 0) {
			hi = v;
		} else {
			assert_true(n < cap);
			out[n++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	assert_int_equal(hi, -1);
	return n;
}

static int
parse_hex(const char *hex, struct kdc_scope *s)
{
	uint8_t buf[1024];
	size_t n = unhex(hex, buf, sizeof(buf));

	return kdc_scope_parse(buf, n, s);
}

static int
parse_entry_hex(const char *hex, struct kdc_scope_entry *e)
{
	uint8_t buf[1024];
	size_t n = unhex(hex, buf, sizeof(buf));

	return kdc_scope_parse_entry(buf, n, e);
}

static void
test_aif_roundtrip(void **state)
{
	static const uint8_t want[] = {0x81, 0x82, 0x62, 0x67, 0x31, 0x06};
	struct kdc_scope s;
	struct kdc_cw w;

	(void)state;
	/* test-vectors §6.5: [["g1", 6]] (Requester + Responder) */
	assert_int_equal(kdc_scope_parse(want, sizeof(want), &s), KDC_SCOPE_OK);
	assert_int_equal(s.n, 1);
	assert_false(s.textual);
	assert_string_equal(s.e[0].gname, "g1");
	assert_int_equal(s.e[0].gname_len, 2);
	assert_true(s.e[0].perm == (KDC_PERM_REQ | KDC_PERM_RESP));

	kdc_cw_init(&w);
	kdc_scope_encode(&w, &s);
	assert_true(kdc_cw_ok(&w));
	assert_int_equal(w.len, sizeof(want));
	assert_memory_equal(w.buf, want, sizeof(want));
	/* bstr-wrapped, as on the wire: 46818262673106 */
	kdc_cw_reset(&w);
	kdc_cw_bstr(&w, want, sizeof(want));
	assert_int_equal(w.len, 7);
	assert_memory_equal(w.buf, "\x46\x81\x82\x62\x67\x31\x06", 7);
	/* one entry */
	kdc_cw_reset(&w);
	kdc_scope_encode_entry(&w, "g1", 6);
	assert_int_equal(w.len, 5);
	assert_memory_equal(w.buf, want + 1, 5);
	kdc_cw_free(&w);
}

static void
test_aif_several_entries(void **state)
{
	struct kdc_scope s;
	struct kdc_cw w;
	uint8_t in[64];
	size_t n;

	(void)state;
	/* [["g1", 2], ["grp.b~_-", 24], ["g3", 8]] */
	n = unhex("83 826267 3102 8268677270 2e627e5f2d 1818 8262673308", in,
	          sizeof(in));
	assert_int_equal(kdc_scope_parse(in, n, &s), KDC_SCOPE_OK);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.e[1].gname, "grp.b~_-");
	assert_true(s.e[1].perm == (KDC_PERM_MON | KDC_PERM_VERIF));
	assert_true(s.e[2].perm == KDC_PERM_MON);
	kdc_cw_init(&w);
	kdc_scope_encode(&w, &s);
	assert_int_equal(w.len, n);
	assert_memory_equal(w.buf, in, n);
	kdc_cw_free(&w);

	/* an empty scope is a valid (useless) array of entries */
	assert_int_equal(parse_hex("80", &s), KDC_SCOPE_OK);
	assert_int_equal(s.n, 0);
}

static void
test_role_values(void **state)
{
	static const struct {
		uint64_t perm;
		int rc;
	} c[] = {
	        {2, KDC_SCOPE_OK},
	        {4, KDC_SCOPE_OK},
	        {6, KDC_SCOPE_OK},
	        {8, KDC_SCOPE_OK},
	        {16, KDC_SCOPE_OK},
	        {18, KDC_SCOPE_OK},
	        {22, KDC_SCOPE_OK},
	        {24, KDC_SCOPE_OK},
	        {30, KDC_SCOPE_OK},
	        /* invalid join sets still parse: joinable() decides */
	        {10, KDC_SCOPE_OK},
	        {12, KDC_SCOPE_OK},
	        /* admin entries (bit 0) parse and keep the bit */
	        {1, KDC_SCOPE_OK},
	        {3, KDC_SCOPE_OK},
	        {31, KDC_SCOPE_OK},
	        /* no role, unknown bits, beyond 32 bits */
	        {0, KDC_SCOPE_E_ROLE},
	        {32, KDC_SCOPE_E_ROLE},
	        {34, KDC_SCOPE_E_ROLE},
	        {UINT64_C(1) << 32, KDC_SCOPE_E_ROLE},
	        {(UINT64_C(1) << 32) | 2, KDC_SCOPE_E_ROLE},
	        {UINT64_MAX, KDC_SCOPE_E_ROLE},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct kdc_scope s;
		struct kdc_scope_entry e;
		struct kdc_cw w;
		int rc;

		kdc_cw_init(&w);
		kdc_cw_array(&w, 1);
		kdc_scope_encode_entry(&w, "g1", c[i].perm);
		assert_true(kdc_cw_ok(&w));
		rc = kdc_scope_parse(w.buf, w.len, &s);
		if (rc != c[i].rc)
			fail_msg("perm %llu: %d", (unsigned long long)c[i].perm,
			         rc);
		if (rc == KDC_SCOPE_OK) {
			assert_int_equal(s.n, 1);
			assert_true(s.e[0].perm == c[i].perm);
		} else {
			assert_int_equal(s.n, 0);
		}
		/* the same entry as a Join scope */
		assert_int_equal(
		        kdc_scope_parse_entry(w.buf + 1, w.len - 1, &e),
		        c[i].rc);
		if (rc == KDC_SCOPE_OK)
			assert_true(e.perm == c[i].perm);
		kdc_cw_free(&w);
	}
}

static void
test_textual_forms(void **state)
{
	struct kdc_scope s;
	struct kdc_scope_entry e;

	(void)state;
	/* [["g1", ["requester", "responder"]], ["g2", "monitor"],
	 *  ["g3", "verifier"]] */
	assert_int_equal(parse_hex("83"
	                           "82 626731 82 69726571756573746572"
	                           "69726573706f6e646572"
	                           "82 626732 676d6f6e69746f72"
	                           "82 626733 687665726966696572",
	                           &s),
	                 KDC_SCOPE_OK);
	assert_true(s.textual);
	assert_int_equal(s.n, 3);
	assert_true(s.e[0].perm == (KDC_PERM_REQ | KDC_PERM_RESP));
	assert_true(s.e[1].perm == KDC_PERM_MON);
	assert_true(s.e[2].perm == KDC_PERM_VERIF);

	/* no role element: Group OSCORE has no default role */
	assert_int_equal(parse_hex("81 81 626731", &s), KDC_SCOPE_E_ROLE);
	assert_int_equal(s.n, 0);
	/* unknown role names, case matters */
	assert_int_equal(parse_hex("81 82 626731 6673656e646572", &s),
	                 KDC_SCOPE_E_ROLE); /* "sender" */
	assert_int_equal(parse_hex("81 82 626731 69526571756573746572", &s),
	                 KDC_SCOPE_E_ROLE); /* "Requester" */
	assert_int_equal(parse_hex("81 82 626731 60", &s), KDC_SCOPE_E_ROLE);
	assert_int_equal(parse_hex("81 82 626731 82 69726571756573746572"
	                           "6673656e646572",
	                           &s),
	                 KDC_SCOPE_E_ROLE);
	/* [2*role]: one role in an array, roles that are not text */
	assert_int_equal(parse_hex("81 82 626731 81 69726571756573746572", &s),
	                 KDC_SCOPE_E_FORMAT);
	assert_int_equal(parse_hex("81 82 626731 80", &s), KDC_SCOPE_E_FORMAT);
	assert_int_equal(parse_hex("81 82 626731 82 0102", &s),
	                 KDC_SCOPE_E_FORMAT);
	/* the same role twice is the same set */
	assert_int_equal(parse_hex("81 82 626731 82 676d6f6e69746f72"
	                           "676d6f6e69746f72",
	                           &s),
	                 KDC_SCOPE_OK);
	assert_true(s.e[0].perm == KDC_PERM_MON);

	/* mixing AIF and textual entries */
	assert_int_equal(
	        parse_hex("82 82 626731 02 82 626732 676d6f6e69746f72", &s),
	        KDC_SCOPE_E_FORMAT);
	assert_int_equal(
	        parse_hex("82 82 626732 676d6f6e69746f72 82 626731 02", &s),
	        KDC_SCOPE_E_FORMAT);

	/* RFC 9594 §4.3.1.1's ["group1", "sender"] is not Group OSCORE:
	 * "sender" is no known role */
	assert_int_equal(
	        parse_entry_hex("82 6667726f757031 6673656e646572", &e),
	        KDC_SCOPE_E_ROLE);
	assert_int_equal(e.perm, 0);
	assert_int_equal(parse_entry_hex("82 6667726f757031 "
	                                 "69726571756573746572",
	                                 &e),
	                 KDC_SCOPE_OK);
	assert_string_equal(e.gname, "group1");
	assert_true(e.perm == KDC_PERM_REQ);
	assert_int_equal(parse_entry_hex("81 6667726f757031", &e),
	                 KDC_SCOPE_E_ROLE);
}

static void
test_join_entry(void **state)
{
	struct kdc_scope_entry e;

	(void)state;
	/* ["g1", 6] */
	assert_int_equal(parse_entry_hex("8262673106", &e), KDC_SCOPE_OK);
	assert_string_equal(e.gname, "g1");
	assert_int_equal(e.gname_len, 2);
	assert_true(e.perm == 6);
	/* ONE entry, not an array of entries */
	assert_int_equal(parse_entry_hex("818262673106", &e),
	                 KDC_SCOPE_E_FORMAT);
	assert_int_equal(parse_entry_hex("a0", &e), KDC_SCOPE_E_FORMAT);
	assert_int_equal(parse_entry_hex("83626731 06 06", &e),
	                 KDC_SCOPE_E_FORMAT);
	assert_int_equal(parse_entry_hex("80", &e), KDC_SCOPE_E_FORMAT);
	assert_int_equal(parse_entry_hex("820106", &e), KDC_SCOPE_E_FORMAT);
	assert_int_equal(parse_entry_hex("82626731", &e), KDC_SCOPE_E_CBOR);
	assert_int_equal(parse_entry_hex("8262673106 00", &e),
	                 KDC_SCOPE_E_CBOR);
	assert_int_equal(parse_entry_hex("8260 06", &e), KDC_SCOPE_E_NAME);
	assert_int_equal(kdc_scope_parse_entry(NULL, 0, &e), KDC_SCOPE_E_CBOR);
	/* the extended (tagged) format is for the token claim only */
	assert_int_equal(parse_entry_hex("da6374022b 8262673106", &e),
	                 KDC_SCOPE_E_FORMAT);
}

static void
test_format_errors(void **state)
{
	static const struct {
		const char *hex;
		int rc;
	} c[] = {
	        {"a0", KDC_SCOPE_E_FORMAT},             /* not an array */
	        {"46818262673106", KDC_SCOPE_E_FORMAT}, /* still wrapped */
	        {"8101", KDC_SCOPE_E_FORMAT},           /* entry not array */
	        {"8180", KDC_SCOPE_E_FORMAT},           /* empty entry */
	        {"81 83 626731 06 06", KDC_SCOPE_E_FORMAT},
	        {"81 82 01 06", KDC_SCOPE_E_FORMAT},     /* gname int */
	        {"81 82 426731 06", KDC_SCOPE_E_FORMAT}, /* gname bstr */
	        {"81 82 626731 25", KDC_SCOPE_E_FORMAT}, /* perm negative */
	        {"81 82 626731 4106", KDC_SCOPE_E_FORMAT},
	        {"81 82 626731 f5", KDC_SCOPE_E_FORMAT},
	        {"81 82 626731 a0", KDC_SCOPE_E_FORMAT},
	        {"81 82 626731 c106", KDC_SCOPE_E_FORMAT}, /* tagged perm */
	        /* one entry per group */
	        {"82 8262673102 8262673104", KDC_SCOPE_E_FORMAT},
	        /* not CBOR / not one item */
	        {"", KDC_SCOPE_E_CBOR},
	        {"ff", KDC_SCOPE_E_CBOR},
	        {"818262673106 00", KDC_SCOPE_E_CBOR},
	        {"9a0800000001", KDC_SCOPE_E_CBOR},
	        {"81 82 626731 06 ", KDC_SCOPE_OK},
	        /* deeper than scope / entry / roles */
	        {"81 82 626731 82 81 60 60", KDC_SCOPE_E_CBOR},
	        /* group names */
	        {"81 82 60 06", KDC_SCOPE_E_NAME},
	        {"81 82 612e 06", KDC_SCOPE_E_NAME},       /* "." */
	        {"81 82 622e2e 06", KDC_SCOPE_E_NAME},     /* ".." */
	        {"81 82 632e2e2e 06", KDC_SCOPE_OK},       /* "..." */
	        {"81 82 63672f31 06", KDC_SCOPE_E_NAME},   /* "g/1" */
	        {"81 82 63672031 06", KDC_SCOPE_E_NAME},   /* "g 1" */
	        {"81 82 6467253230 06", KDC_SCOPE_E_NAME}, /* "g%20" */
	        {"81 82 62c3a9 06", KDC_SCOPE_E_NAME},     /* "é" */
	        {"81 82 6367 0031 06", KDC_SCOPE_E_NAME},  /* NUL inside */
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct kdc_scope s;
		int rc = parse_hex(c[i].hex, &s);

		if (rc != c[i].rc)
			fail_msg("%s: got %d (%s), want %d", c[i].hex, rc,
			         kdc_scope_strerror(rc), c[i].rc);
	}
}

static void
test_name_lengths(void **state)
{
	struct kdc_scope s;
	struct kdc_cw w;
	char name[KDC_GNAME_MAX + 2];

	(void)state;
	memset(name, 'a', sizeof(name));
	name[KDC_GNAME_MAX] = '\0';
	kdc_cw_init(&w);
	kdc_cw_array(&w, 1);
	kdc_scope_encode_entry(&w, name, 2);
	assert_int_equal(kdc_scope_parse(w.buf, w.len, &s), KDC_SCOPE_OK);
	assert_int_equal(s.e[0].gname_len, KDC_GNAME_MAX);
	assert_int_equal(strlen(s.e[0].gname), KDC_GNAME_MAX);
	kdc_cw_reset(&w);
	name[KDC_GNAME_MAX] = 'a';
	name[KDC_GNAME_MAX + 1] = '\0';
	kdc_cw_array(&w, 1);
	kdc_scope_encode_entry(&w, name, 2);
	assert_int_equal(kdc_scope_parse(w.buf, w.len, &s), KDC_SCOPE_E_NAME);
	kdc_cw_free(&w);
}

static void
test_too_many_entries(void **state)
{
	struct kdc_scope *s = malloc(sizeof(*s));
	struct kdc_cw w;
	char name[8];
	size_t i;

	(void)state;
	assert_non_null(s);
	kdc_cw_init(&w);
	kdc_cw_array(&w, KDC_SCOPE_MAX_ENTRIES);
	for (i = 0; i < KDC_SCOPE_MAX_ENTRIES; i++) {
		snprintf(name, sizeof(name), "g%zu", i);
		kdc_scope_encode_entry(&w, name, 4);
	}
	assert_int_equal(kdc_scope_parse(w.buf, w.len, s), KDC_SCOPE_OK);
	assert_int_equal(s->n, KDC_SCOPE_MAX_ENTRIES);
	assert_string_equal(s->e[63].gname, "g63");
	kdc_cw_reset(&w);
	kdc_cw_array(&w, KDC_SCOPE_MAX_ENTRIES + 1);
	for (i = 0; i < KDC_SCOPE_MAX_ENTRIES + 1; i++) {
		snprintf(name, sizeof(name), "g%zu", i);
		kdc_scope_encode_entry(&w, name, 4);
	}
	assert_int_equal(kdc_scope_parse(w.buf, w.len, s),
	                 KDC_SCOPE_E_TOO_MANY);
	assert_int_equal(s->n, 0);
	kdc_cw_free(&w);
	free(s);
}

static void
test_truncated_scopes(void **state)
{
	static const char *good[] = {
	        "818262673106",
	        "83 826267 3102 8268677270 2e627e5f2d 1818 8262673308",
	        "81 82 626731 82 69726571756573746572 69726573706f6e646572",
	};
	size_t i, k, n;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		uint8_t buf[128];
		struct kdc_scope s;

		n = unhex(good[i], buf, sizeof(buf));
		assert_int_equal(kdc_scope_parse(buf, n, &s), KDC_SCOPE_OK);
		for (k = 0; k < n; k++) {
			uint8_t *p = malloc(k ? k : 1);

			assert_non_null(p);
			memcpy(p, buf, k);
			assert_int_equal(kdc_scope_parse(p, k, &s),
			                 KDC_SCOPE_E_CBOR);
			assert_int_equal(s.n, 0);
			free(p);
		}
	}
}

static void
test_find_and_admin(void **state)
{
	struct kdc_scope s;
	const struct kdc_scope_entry *e;

	(void)state;
	/* [["g1", 7], ["g1", 6], ["g2", 8], ["g3", 1]]: an admin entry
	 * (bit 0) and a role entry for the same name may coexist */
	assert_int_equal(parse_hex("84 8262673107 8262673106 8262673208"
	                           " 8262673301",
	                           &s),
	                 KDC_SCOPE_OK);
	assert_int_equal(s.n, 4);
	assert_true(s.e[0].perm == 7); /* the admin bit is kept */
	e = kdc_scope_find(&s, "g1", 2);
	assert_non_null(e);
	assert_ptr_equal(e, &s.e[1]); /* the role entry, never the admin one */
	assert_true(e->perm == 6);
	e = kdc_scope_find(&s, "g2", 2);
	assert_non_null(e);
	assert_true(e->perm == 8);
	/* admin-only group: no membership entry */
	assert_null(kdc_scope_find(&s, "g3", 2));
	assert_null(kdc_scope_find(&s, "g", 1));
	assert_null(kdc_scope_find(&s, "g12", 3));
	assert_null(kdc_scope_find(&s, "g1", 1));
	assert_null(kdc_scope_find(&s, NULL, 0));
	assert_null(kdc_scope_find(NULL, "g1", 2));
	/* two admin entries for one name are as ambiguous as two role ones */
	assert_int_equal(parse_hex("82 8262673107 8262673103", &s),
	                 KDC_SCOPE_E_FORMAT);
}

static void
test_tags_and_cf(void **state)
{
	(void)state;
	/* RFC 9277 §4.3 / RFC 9594 §7: TN(297) = 0x6374022b */
	assert_true(kdc_scope_tag_for_cf(KDC_SCOPE_CF_AIF_OSCORE) ==
	            KDC_SCOPE_TAG_AIF_OSCORE);
	assert_true(kdc_scope_tag_for_cf(297) == UINT64_C(1668547115));
	assert_true(kdc_scope_tag_for_cf(297) == UINT64_C(0x6374022b));
	assert_true(kdc_scope_tag_for_cf(0) == UINT64_C(0x63740101));
	assert_true(kdc_scope_tag_for_cf(254) == UINT64_C(0x637401ff));
	assert_true(kdc_scope_tag_for_cf(255) == UINT64_C(0x63740201));
	assert_true(kdc_scope_tag_for_cf(298) == UINT64_C(0x6374022c));
	assert_true(kdc_scope_tag_for_cf(65024) == UINT64_C(0x6374ffff));
	assert_true(kdc_scope_tag_for_cf(65025) == 0); /* undefined */

	assert_int_equal(kdc_scope_check_tag(0), KDC_SCOPE_OK);
	assert_int_equal(kdc_scope_check_tag(UINT64_C(1668547115)),
	                 KDC_SCOPE_OK);
	assert_int_equal(kdc_scope_check_tag(UINT64_C(1668547114)),
	                 KDC_SCOPE_E_TAG);
	assert_int_equal(kdc_scope_check_tag(UINT64_C(1668547116)),
	                 KDC_SCOPE_E_TAG);
	assert_int_equal(kdc_scope_check_tag(12345), KDC_SCOPE_E_TAG);
	assert_int_equal(kdc_scope_check_tag(24), KDC_SCOPE_E_TAG);
}

static void
test_gname_valid(void **state)
{
	char longname[KDC_GNAME_MAX + 1];

	(void)state;
	assert_true(kdc_gname_valid("g1", 2));
	assert_true(kdc_gname_valid("A-Z_a.z~09", 10));
	assert_true(kdc_gname_valid("...", 3));
	assert_true(kdc_gname_valid(".a", 2));
	assert_true(kdc_gname_valid("~", 1));
	assert_false(kdc_gname_valid("", 0));
	assert_false(kdc_gname_valid(NULL, 0));
	assert_false(kdc_gname_valid(NULL, 2));
	assert_false(kdc_gname_valid(".", 1));
	assert_false(kdc_gname_valid("..", 2));
	assert_false(kdc_gname_valid("a/b", 3));
	assert_false(kdc_gname_valid("a b", 3));
	assert_false(kdc_gname_valid("a%41", 4));
	assert_false(kdc_gname_valid("a?b", 3));
	assert_false(kdc_gname_valid("a#b", 3));
	assert_false(kdc_gname_valid("a:b", 3));
	assert_false(kdc_gname_valid("a@b", 3));
	assert_false(kdc_gname_valid("a!b", 3)); /* sub-delims are out */
	assert_false(kdc_gname_valid("a+b", 3));
	assert_false(kdc_gname_valid("\xc3\xa9", 2));
	assert_false(kdc_gname_valid("a\0b", 3));
	/* only len bytes are looked at */
	assert_true(kdc_gname_valid("g1/x", 2));
	memset(longname, 'x', sizeof(longname));
	assert_true(kdc_gname_valid(longname, KDC_GNAME_MAX));
	assert_false(kdc_gname_valid(longname, KDC_GNAME_MAX + 1));
}

static void
test_roles_joinable(void **state)
{
	uint64_t p;

	(void)state;
	for (p = 0; p < 64; p++)
		assert_int_equal(kdc_roles_joinable(p),
		                 p == 2 || p == 4 || p == 6 || p == 8);
	assert_false(kdc_roles_joinable(10)); /* {Requester, Monitor} */
	assert_false(kdc_roles_joinable(12)); /* {Responder, Monitor} */
	assert_false(kdc_roles_joinable(16)); /* Verifier */
	assert_false(kdc_roles_joinable(3));  /* admin bit */
	assert_false(kdc_roles_joinable(UINT64_C(1) << 33 | 2));
	assert_false(kdc_roles_joinable(UINT64_MAX));
}

static void
test_encode_failures(void **state)
{
	struct kdc_cw w;
	struct kdc_scope s;

	(void)state;
	kdc_cw_init(&w);
	kdc_scope_encode(&w, NULL);
	assert_false(kdc_cw_ok(&w));
	kdc_cw_reset(&w);
	memset(&s, 0, sizeof(s));
	s.n = KDC_SCOPE_MAX_ENTRIES + 1;
	kdc_scope_encode(&w, &s);
	assert_false(kdc_cw_ok(&w));
	kdc_cw_reset(&w);
	kdc_scope_encode_entry(&w, NULL, 2);
	assert_false(kdc_cw_ok(&w));
	kdc_cw_reset(&w);
	s.n = 0;
	kdc_scope_encode(&w, &s);
	assert_true(kdc_cw_ok(&w));
	assert_int_equal(w.len, 1);
	assert_int_equal(w.buf[0], 0x80);
	kdc_cw_free(&w);
}

static void
test_strerror(void **state)
{
	static const int codes[] = {
	        KDC_SCOPE_OK,     KDC_SCOPE_E_CBOR,     KDC_SCOPE_E_FORMAT,
	        KDC_SCOPE_E_ROLE, KDC_SCOPE_E_TOO_MANY, KDC_SCOPE_E_NAME,
	        KDC_SCOPE_E_TAG,
	};
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		for (j = 0; j < i; j++)
			assert_string_not_equal(kdc_scope_strerror(codes[i]),
			                        kdc_scope_strerror(codes[j]));
	assert_string_equal(kdc_scope_strerror(-99), "unknown scope error");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_aif_roundtrip),
	        cmocka_unit_test(test_aif_several_entries),
	        cmocka_unit_test(test_role_values),
	        cmocka_unit_test(test_textual_forms),
	        cmocka_unit_test(test_join_entry),
	        cmocka_unit_test(test_format_errors),
	        cmocka_unit_test(test_name_lengths),
	        cmocka_unit_test(test_too_many_entries),
	        cmocka_unit_test(test_truncated_scopes),
	        cmocka_unit_test(test_find_and_admin),
	        cmocka_unit_test(test_tags_and_cf),
	        cmocka_unit_test(test_gname_valid),
	        cmocka_unit_test(test_roles_joinable),
	        cmocka_unit_test(test_encode_failures),
	        cmocka_unit_test(test_strerror),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
