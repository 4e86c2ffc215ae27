/* SPDX-License-Identifier: Apache-2.0 */
/* Tests of the deterministic CBOR writer (common/cbor_out.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cbor_in.h"
#include "cbor_out.h"

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

/* The writer holds exactly the bytes of hex; then it is reset. */
static void
assert_out(struct kdc_cw *w, const char *hex)
{
	uint8_t want[600];
	size_t n = unhex(hex, want, sizeof(want));

	assert_true(kdc_cw_ok(w));
	if (w->len != n || (n && memcmp(w->buf, want, n) != 0)) {
		char got[1300];
		size_t i;

		for (i = 0; i < w->len && i < 600; i++)
			snprintf(got + 2 * i, 3, "%02x", w->buf[i]);
		got[2 * i] = '\0';
		fail_msg("got %s, want %s", got, hex);
	}
	kdc_cw_reset(w);
}

static void
test_self_tests(void **state)
{
	struct kdc_cw w;
	size_t mark;

	(void)state;
	kdc_cw_init(&w);
	/* test-vectors §6.1: {0: [1, 2]} */
	kdc_cw_map(&w, 1);
	kdc_cw_uint(&w, 0);
	kdc_cw_array(&w, 2);
	kdc_cw_uint(&w, 1);
	kdc_cw_uint(&w, 2);
	assert_out(&w, "a100820102");
	/* §6.4: problem details {0: {0: 4}} */
	kdc_cw_map(&w, 1);
	kdc_cw_uint(&w, 0);
	kdc_cw_map(&w, 1);
	kdc_cw_uint(&w, 0);
	kdc_cw_uint(&w, 4);
	assert_out(&w, "a100a10004");
	/* §6.5: [["g1", 6]] and its bstr wrapping */
	kdc_cw_array(&w, 1);
	kdc_cw_array(&w, 2);
	kdc_cw_tstrz(&w, "g1");
	kdc_cw_uint(&w, 6);
	assert_out(&w, "818262673106");
	kdc_cw_bstr_head(&w, 6);
	mark = w.len;
	kdc_cw_array(&w, 1);
	kdc_cw_array(&w, 2);
	kdc_cw_tstr(&w, "g1", 2);
	kdc_cw_uint(&w, 6);
	assert_int_equal(w.len - mark, 6);
	assert_out(&w, "46818262673106");
	/* §6.6: tagged header of the extended scope */
	kdc_cw_tag(&w, UINT64_C(1668547115));
	assert_out(&w, "da6374022b");
	kdc_cw_free(&w);
}

static void
test_ints_shortest(void **state)
{
	static const struct {
		uint64_t v;
		const char *hex;
	} u[] = {
	        {0, "00"},
	        {23, "17"},
	        {24, "1818"},
	        {255, "18ff"},
	        {256, "190100"},
	        {65535, "19ffff"},
	        {65536, "1a00010000"},
	        {UINT32_MAX, "1affffffff"},
	        {UINT64_C(4294967296), "1b0000000100000000"},
	        {UINT64_MAX, "1bffffffffffffffff"},
	};
	static const struct {
		int64_t v;
		const char *hex;
	} s[] = {
	        {0, "00"},
	        {1, "01"},
	        {-1, "20"},
	        {-24, "37"},
	        {-25, "3818"},
	        {-256, "38ff"},
	        {-257, "390100"},
	        {-65537, "3a00010000"},
	        {INT64_MAX, "1b7fffffffffffffff"},
	        {INT64_MIN, "3b7fffffffffffffff"},
	};
	struct kdc_cw w;
	size_t i;

	(void)state;
	kdc_cw_init(&w);
	for (i = 0; i < sizeof(u) / sizeof(u[0]); i++) {
		kdc_cw_uint(&w, u[i].v);
		assert_out(&w, u[i].hex);
	}
	for (i = 0; i < sizeof(s) / sizeof(s[0]); i++) {
		kdc_cw_int(&w, s[i].v);
		assert_out(&w, s[i].hex);
	}
	/* heads of the other major types share the argument encoding */
	kdc_cw_array(&w, 24);
	kdc_cw_map(&w, 256);
	kdc_cw_tag(&w, 17);
	kdc_cw_tag(&w, 61);
	kdc_cw_bstr_head(&w, 65536);
	assert_out(&w, "9818 b90100 d1 d83d 5a00010000");
	kdc_cw_free(&w);
}

static void
test_strings_and_simple(void **state)
{
	struct kdc_cw w;
	uint8_t b24[24];
	char want[2 * 24 + 5];
	size_t i;

	(void)state;
	kdc_cw_init(&w);
	kdc_cw_bstr(&w, NULL, 0);
	kdc_cw_tstr(&w, NULL, 0);
	kdc_cw_tstrz(&w, "");
	kdc_cw_bstr(&w, (const uint8_t *)"\x01\x02", 2);
	kdc_cw_tstrz(&w, "ace-group");
	assert_out(&w, "40 60 60 420102 69 6163652d67726f7570");
	for (i = 0; i < sizeof(b24); i++)
		b24[i] = (uint8_t)i;
	kdc_cw_bstr(&w, b24, sizeof(b24));
	strcpy(want, "5818");
	for (i = 0; i < sizeof(b24); i++)
		snprintf(want + 4 + 2 * i, 3, "%02x", (unsigned)i);
	assert_out(&w, want);
	kdc_cw_bool(&w, false);
	kdc_cw_bool(&w, true);
	kdc_cw_null(&w);
	kdc_cw_raw(&w, (const uint8_t *)"\xa0", 1);
	kdc_cw_raw(&w, NULL, 0);
	assert_out(&w, "f4 f5 f6 a0");
	kdc_cw_free(&w);
}

static void
test_sticky_failure(void **state)
{
	struct kdc_cw w;
	size_t len = 99;

	(void)state;
	kdc_cw_init(&w);
	kdc_cw_uint(&w, 1);
	kdc_cw_bstr(&w, NULL, 3); /* NULL with a length: failure */
	assert_false(kdc_cw_ok(&w));
	kdc_cw_uint(&w, 2);
	kdc_cw_tstrz(&w, "x");
	kdc_cw_item(&w, NULL);
	assert_int_equal(w.len, 1); /* nothing appended after the failure */
	assert_false(kdc_cw_ok(&w));
	assert_null(kdc_cw_take(&w, &len));
	assert_int_equal(len, 99);
	/* reset forgets the failure and the content */
	kdc_cw_reset(&w);
	assert_true(kdc_cw_ok(&w));
	assert_int_equal(w.len, 0);
	kdc_cw_uint(&w, 2);
	assert_out(&w, "02");

	/* other ways to fail */
	kdc_cw_tstrz(&w, NULL);
	assert_false(kdc_cw_ok(&w));
	kdc_cw_reset(&w);
	kdc_cw_tstr(&w, NULL, 1);
	assert_false(kdc_cw_ok(&w));
	kdc_cw_reset(&w);
	kdc_cw_raw(&w, NULL, 1);
	assert_false(kdc_cw_ok(&w));
	kdc_cw_reset(&w);
	kdc_cw_item(&w, NULL);
	assert_false(kdc_cw_ok(&w));
	kdc_cw_free(&w);
	assert_true(kdc_cw_ok(&w)); /* free re-initialises */
	assert_null(w.buf);
}

static void
test_take_reset_free(void **state)
{
	struct kdc_cw w;
	uint8_t *p, *keep;
	size_t len, cap, i;

	(void)state;
	kdc_cw_init(&w);
	/* nothing written: still a block, of length 0 */
	p = kdc_cw_take(&w, &len);
	assert_non_null(p);
	assert_int_equal(len, 0);
	free(p);

	kdc_cw_tstrz(&w, "abc");
	p = kdc_cw_take(&w, &len);
	assert_non_null(p);
	assert_int_equal(len, 4);
	assert_memory_equal(p,
	                    "\x63"
	                    "abc",
	                    4);
	free(p);
	assert_null(w.buf);
	assert_int_equal(w.len, 0);
	assert_int_equal(w.cap, 0);

	/* reset keeps the allocation and wipes the content */
	kdc_cw_bstr(&w, (const uint8_t *)"secret", 6);
	keep = w.buf;
	cap = w.cap;
	kdc_cw_reset(&w);
	assert_ptr_equal(w.buf, keep);
	assert_int_equal(w.cap, cap);
	assert_int_equal(w.len, 0);
	for (i = 0; i < 7; i++)
		assert_int_equal(keep[i], 0);

	/* growth across many reallocations keeps the content */
	for (i = 0; i < 100000; i++)
		kdc_cw_uint(&w, i % 24);
	assert_true(kdc_cw_ok(&w));
	assert_int_equal(w.len, 100000);
	for (i = 0; i < 100000; i++)
		assert_int_equal(w.buf[i], i % 24);
	kdc_cw_free(&w);
	assert_null(w.buf);
	assert_int_equal(w.len, 0);
	/* usable again after free */
	kdc_cw_null(&w);
	assert_out(&w, "f6");
	kdc_cw_free(&w);
}

/* Decode hex with kdc_cbor_decode, re-serialise with kdc_cw_item. */
static void
assert_reencodes(const char *in, const char *out)
{
	uint8_t buf[256];
	size_t n = unhex(in, buf, sizeof(buf));
	cbor_item_t *it;
	struct kdc_cw w;

	assert_int_equal(kdc_cbor_decode(buf, n, NULL, &it), KDC_CBOR_OK);
	kdc_cw_init(&w);
	kdc_cw_item(&w, it);
	assert_out(&w, out);
	kdc_cw_free(&w);
	cbor_decref(&it);
}

static void
test_item_deterministic(void **state)
{
	(void)state;
	/* shortest integer heads regardless of the encoded width */
	assert_reencodes("1801", "01");
	assert_reencodes("190017", "17");
	assert_reencodes("1b0000000000000100", "190100");
	assert_reencodes("3b0000000000000000", "20");
	assert_reencodes("3a0001869f", "3a0001869f");
	assert_reencodes("5800", "40");
	assert_reencodes("780161", "6161");
	assert_reencodes("99000101", "8101");
	assert_reencodes("b9000101 02", "a10102");
	assert_reencodes("d9001101", "d101");
	assert_reencodes("da0000003d01", "d83d01");
	/* indefinite lengths become definite */
	assert_reencodes("9f0102ff", "820102");
	assert_reencodes("bf0102ff", "a10102");
	assert_reencodes("5f41aa42bbccff", "43aabbcc");
	assert_reencodes("7f6161ff", "6161");
	assert_reencodes("bf015f41aa42bbccff029f0102ffff",
	                 "a20143aabbcc02820102");
	/* floats: shortest width that keeps the value (RFC 8949 §4.2.1) */
	assert_reencodes("fb3ff8000000000000", "f93e00");     /* 1.5 */
	assert_reencodes("fa3f800000", "f93c00");             /* 1.0 */
	assert_reencodes("fb40effc0000000000", "f97bff");     /* 65504 */
	assert_reencodes("fa47800000", "fa47800000");         /* 65536 */
	assert_reencodes("fb40f86a0000000000", "fa47c35000"); /* 100000 */
	assert_reencodes("fb3ff199999999999a", "fb3ff199999999999a");
	assert_reencodes("fb41d584367c200000", "fb41d584367c200000");
	assert_reencodes("fa33800000", "f90001"); /* 2^-24, subnormal half */
	assert_reencodes("fa33000000", "fa33000000"); /* 2^-25 */
	assert_reencodes("fa38800000", "f90400");     /* 2^-14, min normal */
	assert_reencodes("fa387fc000", "f903ff");     /* max subnormal half */
	assert_reencodes("fa387fe000", "fa387fe000"); /* needs 11 bits */
	assert_reencodes("fa00000001", "fa00000001"); /* subnormal single */
	assert_reencodes("fb8000000000000000", "f98000"); /* -0.0 */
	assert_reencodes("fb7ff0000000000000", "f97c00");
	assert_reencodes("faff800000", "f9fc00");         /* -inf */
	assert_reencodes("fb7ff8000000000001", "f97e00"); /* NaN */
	assert_reencodes("f97e01", "f97e00");
	assert_reencodes("f9c400", "f9c400"); /* -4.0 */
	/* simple values */
	assert_reencodes("f4", "f4");
	assert_reencodes("f5", "f5");
	assert_reencodes("f6", "f6");
	assert_reencodes("f7", "f7");
	/* map key order is kept as received */
	assert_reencodes("a2020101 02", "a2020101 02");
}

static void
test_item_built_with_libcbor(void **state)
{
	struct kdc_cw w;
	cbor_item_t *m, *a;

	(void)state;
	/* wide libcbor widths still come out shortest */
	m = cbor_new_definite_map(3);
	assert_non_null(m);
	assert_true(cbor_map_add(
	        m, (struct cbor_pair){
	                   .key = cbor_move(cbor_build_uint64(1)),
	                   .value = cbor_move(cbor_build_uint32(500)),
	           }));
	assert_true(cbor_map_add(
	        m, (struct cbor_pair){
	                   .key = cbor_move(cbor_build_negint16(0)),
	                   .value = cbor_move(cbor_build_tag(
	                           17, cbor_move(cbor_build_bool(true)))),
	           }));
	a = cbor_new_indefinite_array();
	assert_true(cbor_array_push(a, cbor_move(cbor_build_float8(0.5))));
	assert_true(cbor_array_push(a, cbor_move(cbor_new_null())));
	assert_true(cbor_map_add(
	        m, (struct cbor_pair){
	                   .key = cbor_move(cbor_build_string("k")),
	                   .value = cbor_move(a),
	           }));
	kdc_cw_init(&w);
	kdc_cw_item(&w, m);
	assert_out(&w, "a3 01 1901f4 20 d1f5 616b 82 f93800 f6");
	/* appended after what is already in the writer */
	kdc_cw_uint(&w, 7);
	kdc_cw_item(&w, m);
	assert_out(&w, "07 a3 01 1901f4 20 d1f5 616b 82 f93800 f6");
	kdc_cw_free(&w);
	cbor_decref(&m);

	/* a tag without content is refused */
	m = cbor_new_tag(5);
	kdc_cw_init(&w);
	kdc_cw_item(&w, m);
	assert_false(kdc_cw_ok(&w));
	kdc_cw_free(&w);
	cbor_decref(&m);
}

static void
check_append(const char *map, int64_t label, uint64_t value, const char *want)
{
	uint8_t buf[600];
	size_t n = unhex(map, buf, sizeof(buf));
	struct kdc_cw w;

	kdc_cw_init(&w);
	assert_true(kdc_cbor_map_append_uint(&w, buf, n, label, value));
	assert_out(&w, want);
	kdc_cw_free(&w);
}

static void
check_append_fails(const uint8_t *map, size_t n)
{
	struct kdc_cw w;

	kdc_cw_init(&w);
	kdc_cw_uint(&w, 1);
	assert_false(kdc_cbor_map_append_uint(&w, map, n, 12, 1));
	/* nothing was appended */
	assert_int_equal(w.len, 1);
	kdc_cw_free(&w);
}

static void
test_map_append_uint(void **state)
{
	uint8_t big[3 + 2 * 65535];
	struct kdc_cw w;
	size_t i;
	cbor_item_t *it;
	uint64_t v;

	(void)state;
	/* exi (RFC 9594 §4.3.1, label 12) added at send time */
	check_append("a0", 12, 3600, "a10c190e10");
	check_append("a100a10004", 12, 0, "a200a100040c00");
	check_append("a10102", -1, 23, "a201022017");
	check_append("a10102", INT64_MIN, UINT64_MAX,
	             "a201023b7fffffffffffffff1bffffffffffffffff");
	/* head growth: 23 → 24 entries, 255 → 256 */
	{
		char in[4 + 23 * 4 + 1] = "b7", out[6 + 24 * 4 + 1] = "b818";

		for (i = 0; i < 23; i++) {
			strcat(in, "0000");
			strcat(out, "0000");
		}
		strcat(out, "0101");
		check_append(in, 1, 1, out);
	}
	{
		uint8_t m[2 + 255 * 2];

		m[0] = 0xb8;
		m[1] = 0xff;
		memset(m + 2, 0xf6, 255 * 2);
		kdc_cw_init(&w);
		assert_true(kdc_cbor_map_append_uint(&w, m, sizeof(m), 1, 1));
		assert_int_equal(w.len, 3 + 255 * 2 + 2);
		assert_memory_equal(w.buf, "\xb9\x01\x00", 3);
		assert_memory_equal(w.buf + 3, m + 2, 255 * 2);
		assert_memory_equal(w.buf + 3 + 255 * 2, "\x01\x01", 2);
		kdc_cw_free(&w);
	}
	/* a map of 65534 entries can take one more, 65535 cannot */
	big[0] = 0xb9;
	big[1] = 0xff;
	big[2] = 0xfe;
	memset(big + 3, 0xf6, sizeof(big) - 3);
	kdc_cw_init(&w);
	assert_true(kdc_cbor_map_append_uint(&w, big, 3 + 2 * 65534, 0, 0));
	assert_memory_equal(w.buf, "\xb9\xff\xff", 3);
	kdc_cw_free(&w);
	big[2] = 0xff;
	check_append_fails(big, sizeof(big));

	/* the result decodes; appended after existing content */
	kdc_cw_init(&w);
	kdc_cw_uint(&w, 9);
	assert_true(kdc_cbor_map_append_uint(
	        &w, (const uint8_t *)"\xa1\x00\xa1\x00\x04", 5, 12, 60));
	assert_int_equal(w.buf[0], 0x09);
	assert_int_equal(kdc_cbor_decode(w.buf + 1, w.len - 1, NULL, &it),
	                 KDC_CBOR_OK);
	assert_true(kdc_cbor_get_uint(kdc_cbor_map_get(it, 12), &v));
	assert_int_equal(v, 60);
	cbor_decref(&it);
	kdc_cw_free(&w);

	/* not a definite map head */
	check_append_fails((const uint8_t *)"\x80", 1);
	check_append_fails((const uint8_t *)"\xbf\xff", 2);
	check_append_fails((const uint8_t *)"\x01", 1);
	check_append_fails((const uint8_t *)"\xb8", 1); /* truncated head */
	check_append_fails((const uint8_t *)"\xb9\x00", 2);
	check_append_fails((const uint8_t *)"\xba\x00\x00\x00\x01\x00\x00", 7);
	check_append_fails((const uint8_t *)"\xbc", 1);
	check_append_fails((const uint8_t *)"", 0);
	check_append_fails(NULL, 3);

	/* a failed writer stays failed */
	kdc_cw_init(&w);
	kdc_cw_raw(&w, NULL, 1);
	assert_false(
	        kdc_cbor_map_append_uint(&w, (const uint8_t *)"\xa0", 1, 1, 1));
	kdc_cw_free(&w);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_self_tests),
	        cmocka_unit_test(test_ints_shortest),
	        cmocka_unit_test(test_strings_and_simple),
	        cmocka_unit_test(test_sticky_failure),
	        cmocka_unit_test(test_take_reset_free),
	        cmocka_unit_test(test_item_deterministic),
	        cmocka_unit_test(test_item_built_with_libcbor),
	        cmocka_unit_test(test_map_append_uint),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
