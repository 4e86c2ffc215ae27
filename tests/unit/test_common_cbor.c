/* SPDX-License-Identifier: Apache-2.0 */
/* Tests of the bounded CBOR decoder and its accessors (common/cbor_in.c). */
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

/* ---- helpers ------------------------------------------------------------ */

static size_t
unhex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = 0;
	int hi = -1;

	for (; *hex; hex++) {
		int v = 0;
		char c = *hex;

		if (c == ' ' || c == '\n')
			continue;
		if (c >= '0' && c <= '9')
			v = c - '0';
		else if (c >= 'a' && c <= 'f')
			v = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v = c - 'A' + 10;
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

/* Decode hex with the given limits (NULL: defaults); returns the code and
 * checks the out-parameter contract. */
static int
dec_lim(const char *hex, const struct kdc_cbor_limits *l, cbor_item_t **out)
{
	uint8_t buf[512];
	size_t n = unhex(hex, buf, sizeof(buf));
	cbor_item_t *it = (cbor_item_t *)&it; /* poison: must be overwritten */
	int rc = kdc_cbor_decode(buf, n, l, &it);

	if (rc == KDC_CBOR_OK)
		assert_non_null(it);
	else
		assert_null(it);
	if (out != NULL)
		*out = it;
	else if (it != NULL)
		cbor_decref(&it);
	return rc;
}

static int
dec(const char *hex, cbor_item_t **out)
{
	return dec_lim(hex, NULL, out);
}

/* Serialise with kdc_cw_item and compare with hex. */
static void
assert_encodes(const cbor_item_t *it, const char *hex)
{
	uint8_t want[512];
	size_t n = unhex(hex, want, sizeof(want));
	struct kdc_cw w;

	kdc_cw_init(&w);
	kdc_cw_item(&w, it);
	assert_true(kdc_cw_ok(&w));
	assert_int_equal(w.len, n);
	assert_memory_equal(w.buf, want, n);
	kdc_cw_free(&w);
}

/*
 * Allocation watch.  Under ASan, __sanitizer_install_malloc_and_free_hooks()
 * reports every malloc, including libcbor's; elsewhere (gcc Release) the
 * weak reference is NULL and the allocation assertions are skipped.
 */
int __sanitizer_install_malloc_and_free_hooks(
        void (*malloc_hook)(const volatile void *, size_t),
        void (*free_hook)(const volatile void *)) __attribute__((weak));

static volatile bool watch_on;
static volatile size_t watch_count, watch_max;

static void
watch_malloc(const volatile void *p, size_t size)
{
	(void)p;
	if (!watch_on)
		return;
	watch_count++;
	if (size > watch_max)
		watch_max = size;
}

static void
watch_free(const volatile void *p)
{
	(void)p;
}

static bool
watch_available(void)
{
	static int installed = -1;

	if (installed < 0)
		installed = __sanitizer_install_malloc_and_free_hooks != NULL &&
		            __sanitizer_install_malloc_and_free_hooks(
		                    watch_malloc, watch_free) != 0;
	return installed == 1;
}

static void
watch_start(void)
{
	watch_count = 0;
	watch_max = 0;
	watch_on = true;
}

static void
watch_stop(void)
{
	watch_on = false;
}

/* ---- round trips and accessors ------------------------------------------ */

static void
test_fetch_request_roundtrip(void **state)
{
	cbor_item_t *m, *a;
	int64_t v;

	(void)state;
	/* test-vectors §6.1: {0: [1, 2]} */
	assert_int_equal(dec("a100820102", &m), KDC_CBOR_OK);
	assert_true(cbor_isa_map(m));
	a = kdc_cbor_map_get(m, 0);
	assert_non_null(a);
	assert_int_equal(kdc_cbor_array_len(a), 2);
	assert_true(kdc_cbor_get_int(kdc_cbor_array_at(a, 0), &v));
	assert_int_equal(v, 1);
	assert_true(kdc_cbor_get_int(kdc_cbor_array_at(a, 1), &v));
	assert_int_equal(v, 2);
	assert_null(kdc_cbor_array_at(a, 2));
	assert_null(kdc_cbor_map_get(m, 1));
	assert_encodes(m, "a100820102");
	/* accessors never change reference counts */
	assert_int_equal(cbor_refcount(m), 1);
	assert_int_equal(cbor_refcount(a), 1);
	cbor_decref(&m);
}

struct int_case {
	const char *hex;
	bool int_ok;
	int64_t i;
	bool uint_ok;
	uint64_t u;
};

static void
test_get_int_ranges(void **state)
{
	static const struct int_case c[] = {
	        {"00", true, 0, true, 0},
	        {"17", true, 23, true, 23},
	        {"1818", true, 24, true, 24},
	        {"18ff", true, 255, true, 255},
	        {"190100", true, 256, true, 256},
	        {"1a00010000", true, 65536, true, 65536},
	        {"1b0000000100000000", true, INT64_C(4294967296), true,
	         UINT64_C(4294967296)},
	        {"1b7fffffffffffffff", true, INT64_MAX, true,
	         (uint64_t)INT64_MAX},
	        /* uint > INT64_MAX: get_int fails, get_uint works */
	        {"1b8000000000000000", false, 0, true, UINT64_C(1) << 63},
	        {"1bffffffffffffffff", false, 0, true, UINT64_MAX},
	        {"20", true, -1, false, 0},
	        {"37", true, -24, false, 0},
	        {"3818", true, -25, false, 0},
	        {"390100", true, -257, false, 0},
	        {"3b7fffffffffffffff", true, INT64_MIN, false, 0},
	        /* -1 - 2^63 does not fit */
	        {"3b8000000000000000", false, 0, false, 0},
	        {"3bffffffffffffffff", false, 0, false, 0},
	        /* non-minimal encodings are accepted (platform.md Q7) */
	        {"1801", true, 1, true, 1},
	        {"1b0000000000000001", true, 1, true, 1},
	        /* not integers */
	        {"40", false, 0, false, 0},
	        {"f4", false, 0, false, 0},
	        {"f93c00", false, 0, false, 0},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		cbor_item_t *it;
		int64_t iv = 12345;
		uint64_t uv = 12345;

		assert_int_equal(dec(c[i].hex, &it), KDC_CBOR_OK);
		assert_int_equal(kdc_cbor_get_int(it, &iv), c[i].int_ok);
		if (c[i].int_ok)
			assert_true(iv == c[i].i);
		else
			assert_true(iv == 12345); /* untouched */
		assert_int_equal(kdc_cbor_get_uint(it, &uv), c[i].uint_ok);
		if (c[i].uint_ok)
			assert_true(uv == c[i].u);
		cbor_decref(&it);
	}
	assert_false(kdc_cbor_get_int(NULL, &(int64_t){0}));
	assert_false(kdc_cbor_get_uint(NULL, &(uint64_t){0}));
}

static void
test_map_get_labels(void **state)
{
	cbor_item_t *m;
	int64_t v;

	(void)state;
	/* {0: 10, -1: 11, 24: 12, -25: 13, "a": 14, h'61': 15,
	 *  INT64_MAX: 16, INT64_MIN: 17, 2^64-1: 18} */
	assert_int_equal(dec("a9"
	                     "000a"
	                     "200b"
	                     "18180c"
	                     "38180d"
	                     "61610e"
	                     "41610f"
	                     "1b7fffffffffffffff10"
	                     "3b7fffffffffffffff11"
	                     "1bffffffffffffffff12",
	                     &m),
	                 KDC_CBOR_OK);
	assert_true(kdc_cbor_get_int(kdc_cbor_map_get(m, 0), &v));
	assert_int_equal(v, 10);
	assert_true(kdc_cbor_get_int(kdc_cbor_map_get(m, -1), &v));
	assert_int_equal(v, 11);
	assert_true(kdc_cbor_get_int(kdc_cbor_map_get(m, 24), &v));
	assert_int_equal(v, 12);
	assert_true(kdc_cbor_get_int(kdc_cbor_map_get(m, -25), &v));
	assert_int_equal(v, 13);
	assert_true(kdc_cbor_get_int(kdc_cbor_map_get(m, INT64_MAX), &v));
	assert_int_equal(v, 16);
	assert_true(kdc_cbor_get_int(kdc_cbor_map_get(m, INT64_MIN), &v));
	assert_int_equal(v, 17);
	assert_true(kdc_cbor_get_int(kdc_cbor_map_get_str(m, "a"), &v));
	assert_int_equal(v, 14);
	/* absent labels; a bstr key is not a text key */
	assert_null(kdc_cbor_map_get(m, 1));
	assert_null(kdc_cbor_map_get(m, -2));
	assert_null(kdc_cbor_map_get(m, 23));
	assert_null(kdc_cbor_map_get_str(m, "b"));
	assert_null(kdc_cbor_map_get_str(m, ""));
	assert_null(kdc_cbor_map_get_str(m, "aa"));
	assert_null(kdc_cbor_map_get_str(m, NULL));
	/* not a map */
	assert_null(kdc_cbor_map_get(kdc_cbor_map_get(m, 0), 0));
	assert_null(kdc_cbor_map_get_str(kdc_cbor_map_get(m, 0), "a"));
	assert_null(kdc_cbor_map_get(NULL, 0));
	cbor_decref(&m);

	/* empty text key */
	assert_int_equal(dec("a16005", &m), KDC_CBOR_OK);
	assert_true(kdc_cbor_get_int(kdc_cbor_map_get_str(m, ""), &v));
	assert_int_equal(v, 5);
	cbor_decref(&m);
}

static void
test_strings(void **state)
{
	cbor_item_t *it;
	const uint8_t *p;
	const char *s;
	size_t n;

	(void)state;
	assert_int_equal(dec("43010203", &it), KDC_CBOR_OK);
	assert_true(kdc_cbor_get_bstr(it, &p, &n));
	assert_int_equal(n, 3);
	assert_memory_equal(p, "\x01\x02\x03", 3);
	assert_false(kdc_cbor_get_tstr(it, &s, &n));
	cbor_decref(&it);

	assert_int_equal(dec("63e282ac", &it), KDC_CBOR_OK); /* "€" */
	assert_true(kdc_cbor_get_tstr(it, &s, &n));
	assert_int_equal(n, 3);
	assert_memory_equal(s, "\xe2\x82\xac", 3);
	assert_false(kdc_cbor_get_bstr(it, &p, &n));
	cbor_decref(&it);

	/* empty strings hand out a usable pointer */
	assert_int_equal(dec("40", &it), KDC_CBOR_OK);
	p = NULL;
	assert_true(kdc_cbor_get_bstr(it, &p, &n));
	assert_non_null(p);
	assert_int_equal(n, 0);
	cbor_decref(&it);
	assert_int_equal(dec("60", &it), KDC_CBOR_OK);
	s = NULL;
	assert_true(kdc_cbor_get_tstr(it, &s, &n));
	assert_non_null(s);
	assert_int_equal(n, 0);
	cbor_decref(&it);

	/* 4-byte code point, 64-byte bstr with a 1-byte length */
	assert_int_equal(dec("64f09f9880", &it), KDC_CBOR_OK);
	assert_true(kdc_cbor_get_tstr(it, &s, &n));
	assert_int_equal(n, 4);
	cbor_decref(&it);
	assert_false(kdc_cbor_get_bstr(NULL, &p, &n));
	assert_false(kdc_cbor_get_tstr(NULL, &s, &n));
}

static void
test_simple_values(void **state)
{
	cbor_item_t *it;
	bool b;

	(void)state;
	assert_int_equal(dec("f5", &it), KDC_CBOR_OK);
	b = false;
	assert_true(kdc_cbor_get_bool(it, &b));
	assert_true(b);
	assert_false(kdc_cbor_is_null(it));
	cbor_decref(&it);

	assert_int_equal(dec("f4", &it), KDC_CBOR_OK);
	b = true;
	assert_true(kdc_cbor_get_bool(it, &b));
	assert_false(b);
	cbor_decref(&it);

	assert_int_equal(dec("f6", &it), KDC_CBOR_OK);
	assert_true(kdc_cbor_is_null(it));
	assert_false(kdc_cbor_get_bool(it, &b));
	cbor_decref(&it);

	assert_int_equal(dec("f7", &it), KDC_CBOR_OK); /* undefined */
	assert_false(kdc_cbor_is_null(it));
	assert_false(kdc_cbor_get_bool(it, &b));
	assert_encodes(it, "f7");
	cbor_decref(&it);

	/* floats are neither bools nor null (libcbor would assert) */
	assert_int_equal(dec("f90000", &it), KDC_CBOR_OK);
	assert_false(kdc_cbor_is_null(it));
	assert_false(kdc_cbor_get_bool(it, &b));
	cbor_decref(&it);

	/* ints are not bools */
	assert_int_equal(dec("01", &it), KDC_CBOR_OK);
	assert_false(kdc_cbor_get_bool(it, &b));
	assert_false(kdc_cbor_is_null(it));
	cbor_decref(&it);
	assert_false(kdc_cbor_is_null(NULL));
	assert_false(kdc_cbor_get_bool(NULL, &b));
}

static void
test_arrays(void **state)
{
	cbor_item_t *it, *m;
	int64_t v;

	(void)state;
	assert_int_equal(dec("80", &it), KDC_CBOR_OK);
	assert_true(cbor_isa_array(it));
	assert_int_equal(kdc_cbor_array_len(it), 0);
	assert_null(kdc_cbor_array_at(it, 0));
	cbor_decref(&it);

	/* 25 elements: 1-byte length */
	assert_int_equal(dec("9819"
	                     "000102030405060708090a0b0c0d0e0f"
	                     "1011121314151617 1818",
	                     &it),
	                 KDC_CBOR_OK);
	assert_int_equal(kdc_cbor_array_len(it), 25);
	assert_true(kdc_cbor_get_int(kdc_cbor_array_at(it, 24), &v));
	assert_int_equal(v, 24);
	assert_null(kdc_cbor_array_at(it, 25));
	assert_null(kdc_cbor_array_at(it, SIZE_MAX));
	cbor_decref(&it);

	/* not an array */
	assert_int_equal(dec("a0", &m), KDC_CBOR_OK);
	assert_int_equal(kdc_cbor_array_len(m), 0);
	assert_null(kdc_cbor_array_at(m, 0));
	cbor_decref(&m);
	assert_int_equal(kdc_cbor_array_len(NULL), 0);
	assert_null(kdc_cbor_array_at(NULL, 0));
}

static void
test_numericdate(void **state)
{
	static const struct {
		const char *hex;
		bool ok;
		int64_t v;
	} c[] = {
	        {"1a5612aeb0", true, 1444064944},
	        /* RFC 8392 A.7: 1443944944.5 → truncated */
	        {"fb41d584367c200000", true, 1443944944},
	        {"f93e00", true, 1},     /* 1.5 */
	        {"f9be00", true, -1},    /* -1.5 → toward zero */
	        {"fa3f000000", true, 0}, /* 0.5 */
	        {"20", true, -1},
	        {"f97c00", false, 0},                    /* inf */
	        {"f9fc00", false, 0},                    /* -inf */
	        {"f97e00", false, 0},                    /* NaN */
	        {"fb43e0000000000000", false, 0},        /* 2^63 */
	        {"fbc3e0000000000000", true, INT64_MIN}, /* -2^63 */
	        {"fb43dfffffffffffff", true, INT64_C(9223372036854774784)},
	        {"1bffffffffffffffff", false, 0},
	        {"c11a5612aeb0", false, 0}, /* tag 1 is not a NumericDate */
	        {"f5", false, 0},
	        {"f6", false, 0},
	        {"6131", false, 0},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		cbor_item_t *it;
		int64_t v = 7;

		assert_int_equal(dec(c[i].hex, &it), KDC_CBOR_OK);
		assert_int_equal(kdc_cbor_get_numericdate(it, &v), c[i].ok);
		if (c[i].ok)
			assert_true(v == c[i].v);
		cbor_decref(&it);
	}
	assert_false(kdc_cbor_get_numericdate(NULL, &(int64_t){0}));
}

static void
test_tags(void **state)
{
	cbor_item_t *it, *c;
	uint64_t tag;
	const uint8_t *p;
	size_t n;
	int64_t v;

	(void)state;
	/* extended scope: TN(297) wrapping h'818262673106' */
	assert_int_equal(dec("da6374022b46818262673106", &it), KDC_CBOR_OK);
	assert_true(kdc_cbor_get_tag(it, &tag, &c));
	assert_true(tag == UINT64_C(1668547115));
	assert_true(kdc_cbor_get_bstr(c, &p, &n));
	assert_int_equal(n, 6);
	assert_int_equal(cbor_refcount(c), 1); /* borrowed */
	assert_encodes(it, "da6374022b46818262673106");
	cbor_decref(&it);

	/* one-byte heads of tags 6..20, which libcbor 0.8 itself refuses:
	 * COSE_Encrypt0 16, COSE_Mac0 17, COSE_Sign1 18 (RFC 9052 §2) */
	static const struct {
		const char *hex;
		uint64_t tag;
	} shorttags[] = {
	        {"c601", 6},    {"d001", 16},   {"d101", 17}, {"d201", 18},
	        {"d401", 20},   {"d501", 21},   {"c001", 0},  {"c501", 5},
	        {"d81801", 24}, {"d83d01", 61},
	};
	for (size_t i = 0; i < sizeof(shorttags) / sizeof(shorttags[0]); i++) {
		assert_int_equal(dec(shorttags[i].hex, &it), KDC_CBOR_OK);
		assert_true(kdc_cbor_get_tag(it, &tag, &c));
		assert_true(tag == shorttags[i].tag);
		assert_true(kdc_cbor_get_int(c, &v));
		assert_int_equal(v, 1);
		assert_encodes(it, shorttags[i].hex);
		cbor_decref(&it);
	}

	/* nested short tags inside a structure, strings after them */
	assert_int_equal(dec("82d1d243010203d0626869", &it), KDC_CBOR_OK);
	assert_true(kdc_cbor_get_tag(kdc_cbor_array_at(it, 0), &tag, &c));
	assert_true(tag == 17);
	assert_true(kdc_cbor_get_tag(c, &tag, &c));
	assert_true(tag == 18);
	assert_true(kdc_cbor_get_bstr(c, &p, &n));
	assert_int_equal(n, 3);
	assert_memory_equal(p, "\x01\x02\x03", 3);
	assert_encodes(it, "82d1d243010203d0626869");
	cbor_decref(&it);

	/* 8-byte tag number */
	assert_int_equal(dec("dbffffffffffffffff00", &it), KDC_CBOR_OK);
	assert_true(kdc_cbor_get_tag(it, &tag, NULL));
	assert_true(tag == UINT64_MAX);
	cbor_decref(&it);

	/* not a tag */
	assert_int_equal(dec("01", &it), KDC_CBOR_OK);
	assert_false(kdc_cbor_get_tag(it, &tag, &c));
	cbor_decref(&it);
	assert_false(kdc_cbor_get_tag(NULL, &tag, &c));
}

/* RFC 8392 A.7: tag 17 (COSE_Mac0) with a float exp in the payload. */
static const char rfc8392_a7[] =
        "d18443a10104a1044c53796d6d65747269633235364ba106fb41d584367c2000"
        "0048b8816f34c0542892";

static void
test_rfc8392_a7(void **state)
{
	cbor_item_t *it, *mac0, *claims;
	uint64_t tag;
	const uint8_t *p;
	size_t n;
	int64_t v;

	(void)state;
	assert_int_equal(dec(rfc8392_a7, &it), KDC_CBOR_OK);
	assert_true(kdc_cbor_get_tag(it, &tag, &mac0));
	assert_true(tag == 17);
	assert_int_equal(kdc_cbor_array_len(mac0), 4);
	assert_true(kdc_cbor_get_bstr(kdc_cbor_array_at(mac0, 0), &p, &n));
	assert_int_equal(n, 3);
	assert_memory_equal(p, "\xa1\x01\x04", 3);
	assert_true(kdc_cbor_get_bstr(
	        kdc_cbor_map_get(kdc_cbor_array_at(mac0, 1), 4), &p, &n));
	assert_int_equal(n, 12);
	assert_memory_equal(p, "Symmetric256", 12);
	/* the payload is CBOR too */
	assert_true(kdc_cbor_get_bstr(kdc_cbor_array_at(mac0, 2), &p, &n));
	assert_int_equal(kdc_cbor_decode(p, n, NULL, &claims), KDC_CBOR_OK);
	assert_true(kdc_cbor_get_numericdate(kdc_cbor_map_get(claims, 6), &v));
	assert_int_equal(v, 1443944944);
	assert_false(kdc_cbor_get_int(kdc_cbor_map_get(claims, 6), &v));
	cbor_decref(&claims);
	/* deterministic re-encoding reproduces the RFC bytes */
	assert_encodes(it, rfc8392_a7);
	cbor_decref(&it);
}

/* ---- normalisation of indefinite lengths -------------------------------- */

static void
test_indefinite_normalised(void **state)
{
	cbor_item_t *m, *b, *a;
	const uint8_t *p;
	const char *s;
	size_t n;

	(void)state;
	/* platform.md Q7: {_ 1: (_ h'aa', h'bbcc'), 2: [_ 1, 2]} */
	assert_int_equal(dec("bf015f41aa42bbccff029f0102ffff", &m),
	                 KDC_CBOR_OK);
	b = kdc_cbor_map_get(m, 1);
	assert_non_null(b);
	assert_true(cbor_bytestring_is_definite(b));
	assert_true(kdc_cbor_get_bstr(b, &p, &n));
	assert_int_equal(n, 3);
	assert_memory_equal(p, "\xaa\xbb\xcc", 3);
	assert_int_equal(cbor_refcount(b), 1); /* no leaked references */
	a = kdc_cbor_map_get(m, 2);
	assert_int_equal(kdc_cbor_array_len(a), 2);
	assert_encodes(m, "a20143aabbcc02820102");
	cbor_decref(&m);

	/* root indefinite text string */
	assert_int_equal(dec("7f616161626063e282acff", &m), KDC_CBOR_OK);
	assert_true(kdc_cbor_get_tstr(m, &s, &n));
	assert_int_equal(n, 5);
	assert_memory_equal(s, "ab\xe2\x82\xac", 5);
	cbor_decref(&m);

	/* empty indefinite strings */
	assert_int_equal(dec("5fff", &m), KDC_CBOR_OK);
	assert_true(kdc_cbor_get_bstr(m, &p, &n));
	assert_int_equal(n, 0);
	assert_non_null(p);
	cbor_decref(&m);
	assert_int_equal(dec("7fff", &m), KDC_CBOR_OK);
	assert_true(kdc_cbor_get_tstr(m, &s, &n));
	assert_int_equal(n, 0);
	cbor_decref(&m);

	/* inside a tag, an array and as a map key */
	assert_int_equal(dec("d8185f41aa41bbff", &m), KDC_CBOR_OK);
	assert_true(kdc_cbor_get_tag(m, NULL, &b));
	assert_true(kdc_cbor_get_bstr(b, &p, &n));
	assert_int_equal(n, 2);
	assert_int_equal(cbor_refcount(b), 1);
	assert_encodes(m, "d81842aabb");
	cbor_decref(&m);

	assert_int_equal(dec("83015f41aaff7f6178ff", &m), KDC_CBOR_OK);
	assert_true(kdc_cbor_get_bstr(kdc_cbor_array_at(m, 1), &p, &n));
	assert_int_equal(n, 1);
	assert_true(kdc_cbor_get_tstr(kdc_cbor_array_at(m, 2), &s, &n));
	assert_int_equal(n, 1);
	assert_encodes(m, "8301 41aa 6178");
	cbor_decref(&m);

	assert_int_equal(dec("a17f6161ff01", &m), KDC_CBOR_OK);
	assert_non_null(kdc_cbor_map_get_str(m, "a"));
	assert_encodes(m, "a1616101");
	cbor_decref(&m);

	/* nested: indefinite string in an indefinite array in a tag in a map
	 * value */
	assert_int_equal(dec("a101c19f5f4101ffff", &m), KDC_CBOR_OK);
	assert_encodes(m, "a101c1814101");
	cbor_decref(&m);
}

/* ---- malformed input (platform.md Q7 table and more) --------------------- */

struct bad {
	const char *hex;
	int rc;
};

static void
check_bad(const struct bad *c, size_t n, const struct kdc_cbor_limits *l)
{
	size_t i;

	for (i = 0; i < n; i++) {
		int rc = dec_lim(c[i].hex, l, NULL);

		if (rc != c[i].rc)
			fail_msg("%s: got %d (%s), want %d", c[i].hex, rc,
			         kdc_cbor_strerror(rc), c[i].rc);
	}
}

static void
test_malformed_table(void **state)
{
	static const struct bad c[] = {
	        {"", KDC_CBOR_E_EMPTY},
	        {"4201", KDC_CBOR_E_TRUNCATED},
	        {"1c", KDC_CBOR_E_MALFORMED},
	        {"ff", KDC_CBOR_E_MALFORMED},
	        {"a101", KDC_CBOR_E_TRUNCATED},
	        {"0102", KDC_CBOR_E_TRAILING},
	        {"a201010102", KDC_CBOR_E_DUPKEY},
	        {"a2616101616102", KDC_CBOR_E_DUPKEY},
	        {"62fffe", KDC_CBOR_E_MALFORMED},
	        {"5f6161ff", KDC_CBOR_E_MALFORMED},
	        {"f810", KDC_CBOR_E_MALFORMED},
	        /* the allocation bombs: declared counts past the end */
	        {"9a0800000001", KDC_CBOR_E_TRUNCATED},
	        {"ba0400000001", KDC_CBOR_E_TRUNCATED},
	        {"9a0010000001", KDC_CBOR_E_TRUNCATED},
	        {"9affffffff01", KDC_CBOR_E_TRUNCATED},
	        {"9bffffffffffffffff01", KDC_CBOR_E_TRUNCATED},
	        {"bbffffffffffffffff01", KDC_CBOR_E_TRUNCATED},
	        {"bb800000000000000101", KDC_CBOR_E_TRUNCATED},
	        {"5bffffffffffffffff01", KDC_CBOR_E_TRUNCATED},
	        {"7b800000000000000001", KDC_CBOR_E_TRUNCATED},
	        {"5a7fffffff01", KDC_CBOR_E_TRUNCATED},
	        /* a map of 2 pairs needs 4 items: 3 bytes are not enough */
	        {"a2010203", KDC_CBOR_E_TRUNCATED},
	        /* reserved additional information 28..30 in every type */
	        {"1d", KDC_CBOR_E_MALFORMED},
	        {"1e", KDC_CBOR_E_MALFORMED},
	        {"3c", KDC_CBOR_E_MALFORMED},
	        {"5c", KDC_CBOR_E_MALFORMED},
	        {"7d", KDC_CBOR_E_MALFORMED},
	        {"9e", KDC_CBOR_E_MALFORMED},
	        {"bc", KDC_CBOR_E_MALFORMED},
	        {"dc", KDC_CBOR_E_MALFORMED},
	        {"df", KDC_CBOR_E_MALFORMED},
	        {"fc", KDC_CBOR_E_MALFORMED},
	        {"fe", KDC_CBOR_E_MALFORMED},
	        /* indefinite integers / tags do not exist */
	        {"1f", KDC_CBOR_E_MALFORMED},
	        {"3f", KDC_CBOR_E_MALFORMED},
	        /* breaks in the wrong place */
	        {"81ff", KDC_CBOR_E_MALFORMED},
	        {"a1ff00", KDC_CBOR_E_MALFORMED},
	        {"a1ff",
	         KDC_CBOR_E_TRUNCATED}, /* 2 items cannot fit in 1 byte */
	        {"c1ff", KDC_CBOR_E_MALFORMED},
	        {"bf01ff", KDC_CBOR_E_MALFORMED}, /* key without value */
	        {"9f01ff02", KDC_CBOR_E_TRAILING},
	        {"9f", KDC_CBOR_E_TRUNCATED},
	        {"9f01", KDC_CBOR_E_TRUNCATED},
	        {"bf0102", KDC_CBOR_E_TRUNCATED},
	        {"5f41aa", KDC_CBOR_E_TRUNCATED},
	        /* chunks must be definite strings of the same type */
	        {"5f01ff", KDC_CBOR_E_MALFORMED},
	        {"7f4161ff", KDC_CBOR_E_MALFORMED},
	        {"5f5fffff", KDC_CBOR_E_MALFORMED},
	        {"7f7fffff", KDC_CBOR_E_MALFORMED},
	        {"5fc141aaff", KDC_CBOR_E_MALFORMED},
	        {"5fd141aaff", KDC_CBOR_E_MALFORMED},
	        /* tags need content */
	        {"c1", KDC_CBOR_E_TRUNCATED},
	        {"d1", KDC_CBOR_E_TRUNCATED},
	        {"d8", KDC_CBOR_E_TRUNCATED},
	        /* invalid UTF-8 */
	        {"62c080", KDC_CBOR_E_MALFORMED},     /* overlong */
	        {"63e08080", KDC_CBOR_E_MALFORMED},   /* overlong */
	        {"63eda080", KDC_CBOR_E_MALFORMED},   /* surrogate */
	        {"64f4908080", KDC_CBOR_E_MALFORMED}, /* > U+10FFFF */
	        {"61e2", KDC_CBOR_E_MALFORMED},       /* cut sequence */
	        {"6180", KDC_CBOR_E_MALFORMED},       /* lone continuation */
	        {"7f61616180ff", KDC_CBOR_E_MALFORMED},
	        /* a chunk must be valid UTF-8 on its own (RFC 8949 §3.2.3) */
	        {"7f61e26282acff", KDC_CBOR_E_MALFORMED},
	        /* unassigned simple values (not representable in libcbor
	         * 0.8, never used by the KDC) */
	        {"e0", KDC_CBOR_E_MALFORMED},
	        {"f3", KDC_CBOR_E_MALFORMED},
	        {"f818", KDC_CBOR_E_MALFORMED},
	        {"f820", KDC_CBOR_E_MALFORMED},
	        {"f8ff", KDC_CBOR_E_MALFORMED},
	        /* duplicate keys compared by value */
	        {"a201011801 02", KDC_CBOR_E_DUPKEY}, /* 1 vs 24-form 1 */
	        {"a22001380002", KDC_CBOR_E_DUPKEY},  /* -1 twice */
	        {"a27f6161ff01616102", KDC_CBOR_E_DUPKEY},
	        {"a241aa015f41aaff02", KDC_CBOR_E_DUPKEY},
	        {"a2f501f502", KDC_CBOR_E_DUPKEY},
	        {"a2f60af60b", KDC_CBOR_E_DUPKEY},
	        {"a2f93c0001fa3f80000002", KDC_CBOR_E_DUPKEY}, /* 1.0 */
	        {"a2f97e0001fb7ff800000000000002", KDC_CBOR_E_DUPKEY},
	        {"a2810101811801 02", KDC_CBOR_E_DUPKEY},
	        {"a2c10101d8010102", KDC_CBOR_E_DUPKEY},
	        {"a2a1010201a1010202", KDC_CBOR_E_DUPKEY},
	        {"81a201010102", KDC_CBOR_E_DUPKEY},   /* nested */
	        {"a101a201010102", KDC_CBOR_E_DUPKEY}, /* in a value */
	        {"a1a2010101020a", KDC_CBOR_E_DUPKEY}, /* in a key */
	        {"d818a201010102", KDC_CBOR_E_DUPKEY}, /* under a tag */
	        {"bf01010102ff", KDC_CBOR_E_DUPKEY},   /* indefinite map */
	        {"a3000a010b000c", KDC_CBOR_E_DUPKEY}, /* not adjacent */
	};
	static const char *good[] = {
	        "a201012002",        /* 1 and -1 differ */
	        "a2000a200b",        /* 0 and -1 differ */
	        "a26161014161 02",   /* "a" and h'61' differ */
	        "a2f401f502",        /* false, true */
	        "a20100f93c0002",    /* 1 and 1.0 differ */
	        "a2c10101c20102",    /* different tags */
	        "a2810101820101 02", /* [1] and [1,1] */
	        "a2404060 60",       /* h'' and "" */
	        "a4000a010b020c030d", "a0",
	};
	size_t i;

	(void)state;
	check_bad(c, sizeof(c) / sizeof(c[0]), NULL);
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (dec(good[i], NULL) != KDC_CBOR_OK)
			fail_msg("%s rejected", good[i]);

	/* NULL input with length 0 is empty; NULL out is refused */
	cbor_item_t *it;
	assert_int_equal(kdc_cbor_decode(NULL, 0, NULL, &it), KDC_CBOR_E_EMPTY);
	assert_null(it);
	assert_int_not_equal(
	        kdc_cbor_decode((const uint8_t *)"\x01", 1, NULL, NULL),
	        KDC_CBOR_OK);
}

static void
test_bombs_allocate_nothing(void **state)
{
	static const char *bombs[] = {
	        "9a0800000001",         "ba0400000001",
	        "9a0010000001",         "9affffffff01",
	        "9bffffffffffffffff01", "5bffffffffffffffff01",
	        "bbffffffffffffffff01",
	};
	size_t i;

	(void)state;
	if (!watch_available())
		skip();
	for (i = 0; i < sizeof(bombs) / sizeof(bombs[0]); i++) {
		uint8_t buf[16];
		size_t n = unhex(bombs[i], buf, sizeof(buf));
		cbor_item_t *it;
		int rc;

		watch_start();
		rc = kdc_cbor_decode(buf, n, NULL, &it);
		watch_stop();
		assert_int_equal(rc, KDC_CBOR_E_TRUNCATED);
		assert_int_equal(watch_count, 0);
	}
}

static void
test_valid_input_allocations_bounded(void **state)
{
	/* A 1000-element array of small ints: the biggest block libcbor asks
	 * for is the element array itself (8 bytes per element). */
	uint8_t buf[1003];
	cbor_item_t *it;
	size_t i;

	(void)state;
	buf[0] = 0x99;
	buf[1] = 0x03;
	buf[2] = 0xe8; /* 1000 */
	for (i = 3; i < sizeof(buf); i++)
		buf[i] = 0x01;
	if (!watch_available())
		skip();
	watch_start();
	assert_int_equal(kdc_cbor_decode(buf, sizeof(buf), NULL, &it),
	                 KDC_CBOR_OK);
	watch_stop();
	assert_true(watch_count > 0); /* the hook does see libcbor */
	assert_true(watch_max <= 1000 * sizeof(void *));
	assert_int_equal(kdc_cbor_array_len(it), 1000);
	cbor_decref(&it);
}

static uint8_t *
nested(size_t depth, uint8_t open, size_t *len)
{
	uint8_t *b = malloc(depth + 1);
	size_t i;

	assert_non_null(b);
	for (i = 0; i < depth; i++)
		b[i] = open;
	b[depth] = 0x01;
	*len = depth + 1;
	return b;
}

static void
test_depth_limits(void **state)
{
	static const size_t deep[] = {2000, 3000};
	struct kdc_cbor_limits l = {0, 0, 0};
	cbor_item_t *it;
	uint8_t *b;
	size_t n, i;

	(void)state;
	/* platform.md Q7: 2000 / 3000 nested arrays against the default 16 */
	for (i = 0; i < 2; i++) {
		b = nested(deep[i], 0x81, &n);
		assert_int_equal(kdc_cbor_decode(b, n, NULL, &it),
		                 KDC_CBOR_E_DEPTH);
		assert_null(it);
		/* asking for more is capped below libcbor's stack (2048) */
		l.max_depth = 5000;
		l.max_items = 10000;
		assert_int_equal(kdc_cbor_decode(b, n, &l, &it),
		                 KDC_CBOR_E_DEPTH);
		free(b);
	}
	/* exactly at the limit: containers and tags count */
	b = nested(16, 0x81, &n);
	assert_int_equal(kdc_cbor_decode(b, n, NULL, &it), KDC_CBOR_OK);
	cbor_decref(&it);
	free(b);
	b = nested(17, 0x81, &n);
	assert_int_equal(kdc_cbor_decode(b, n, NULL, &it), KDC_CBOR_E_DEPTH);
	free(b);
	b = nested(16, 0xd1, &n); /* tag 17 x 16 */
	assert_int_equal(kdc_cbor_decode(b, n, NULL, &it), KDC_CBOR_OK);
	assert_encodes(it, "d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d101");
	cbor_decref(&it);
	free(b);
	b = nested(17, 0xc1, &n);
	assert_int_equal(kdc_cbor_decode(b, n, NULL, &it), KDC_CBOR_E_DEPTH);
	free(b);
	b = nested(17, 0x9f, &n); /* depth fires before truncation */
	assert_int_equal(kdc_cbor_decode(b, n, NULL, &it), KDC_CBOR_E_DEPTH);
	free(b);

	/* the largest depth the decoder supports */
	l.max_depth = 1024;
	l.max_items = 2000;
	b = nested(1024, 0x81, &n);
	assert_int_equal(kdc_cbor_decode(b, n, &l, &it), KDC_CBOR_OK);
	cbor_decref(&it);
	free(b);
	b = nested(1025, 0x81, &n);
	assert_int_equal(kdc_cbor_decode(b, n, &l, &it), KDC_CBOR_E_DEPTH);
	free(b);

	/* custom small limits; an empty container still counts */
	l = (struct kdc_cbor_limits){0, 2, 0};
	assert_int_equal(dec_lim("8181 01", &l, NULL), KDC_CBOR_OK);
	assert_int_equal(dec_lim("818180", &l, NULL), KDC_CBOR_E_DEPTH);
	assert_int_equal(dec_lim("81a0", &l, NULL), KDC_CBOR_OK);
	assert_int_equal(dec_lim("a101a0", &l, NULL), KDC_CBOR_OK);
	assert_int_equal(dec_lim("a101a10181 01", &l, NULL), KDC_CBOR_E_DEPTH);
	/* indefinite strings do not add a level */
	assert_int_equal(dec_lim("81815f41aaff", &l, NULL), KDC_CBOR_OK);
}

static void
test_size_and_item_limits(void **state)
{
	struct kdc_cbor_limits l = {0, 0, 5};
	uint8_t big[65537];
	cbor_item_t *it;

	(void)state;
	/* 5 items: the array and four elements */
	assert_int_equal(dec_lim("8401020304", &l, NULL), KDC_CBOR_OK);
	/* the declared count alone exceeds the budget */
	assert_int_equal(dec_lim("850102030405", &l, NULL),
	                 KDC_CBOR_E_TOO_MANY);
	assert_int_equal(dec_lim("a3010203040506", &l, NULL),
	                 KDC_CBOR_E_TOO_MANY);
	/* indefinite containers and chunks count as they come */
	assert_int_equal(dec_lim("9f01020304ff", &l, NULL), KDC_CBOR_OK);
	assert_int_equal(dec_lim("9f0102030405ff", &l, NULL),
	                 KDC_CBOR_E_TOO_MANY);
	assert_int_equal(dec_lim("5f41014102410341 04ff", &l, NULL),
	                 KDC_CBOR_OK);
	assert_int_equal(dec_lim("5f4101410241034104 4105ff", &l, NULL),
	                 KDC_CBOR_E_TOO_MANY);
	assert_int_equal(dec_lim("82810102", &l, NULL), KDC_CBOR_OK);
	assert_int_equal(dec_lim("8281010203", &l, NULL), KDC_CBOR_E_TRAILING);
	/* [[1, 2, 3], 4]: the sixth item is one too many */
	assert_int_equal(dec_lim("828301020304", &l, NULL),
	                 KDC_CBOR_E_TOO_MANY);

	/* max_size: default 64 KiB */
	memset(big, 0, sizeof(big));
	big[0] = 0x5a; /* bstr of 65532 bytes: 65537 in total */
	big[1] = 0x00;
	big[2] = 0x00;
	big[3] = 0xff;
	big[4] = 0xfc;
	assert_int_equal(kdc_cbor_decode(big, sizeof(big), NULL, &it),
	                 KDC_CBOR_E_TOO_BIG);
	assert_null(it);
	big[4] = 0xfb; /* 65536 bytes in total: allowed */
	assert_int_equal(kdc_cbor_decode(big, 65536, NULL, &it), KDC_CBOR_OK);
	cbor_decref(&it);
	l = (struct kdc_cbor_limits){4, 0, 0};
	assert_int_equal(dec_lim("43010203", &l, NULL), KDC_CBOR_OK);
	assert_int_equal(dec_lim("4401020304", &l, NULL), KDC_CBOR_E_TOO_BIG);
}

static void
check_truncations(const char *hex)
{
	uint8_t buf[512];
	size_t n = unhex(hex, buf, sizeof(buf)), k;
	cbor_item_t *it;

	assert_int_equal(kdc_cbor_decode(buf, n, NULL, &it), KDC_CBOR_OK);
	cbor_decref(&it);
	/* CBOR is self-delimiting: no proper prefix is a complete item */
	for (k = 0; k < n; k++) {
		/* a fresh copy of exactly k bytes, so ASan sees overreads */
		uint8_t *p = malloc(k ? k : 1);
		int rc;

		assert_non_null(p);
		memcpy(p, buf, k);
		it = (cbor_item_t *)&it;
		rc = kdc_cbor_decode(p, k, NULL, &it);
		if (rc != (k == 0 ? KDC_CBOR_E_EMPTY : KDC_CBOR_E_TRUNCATED))
			fail_msg("%s cut at %zu: %d", hex, k, rc);
		assert_null(it);
		free(p);
	}
	/* one byte too many */
	buf[n] = 0x00;
	assert_int_equal(kdc_cbor_decode(buf, n + 1, NULL, &it),
	                 KDC_CBOR_E_TRAILING);
	assert_null(it);
}

static void
test_truncation_every_byte(void **state)
{
	(void)state;
	check_truncations(rfc8392_a7);
	check_truncations("bf015f41aa42bbccff029f0102ffff");
	check_truncations("a100820102");
	check_truncations("da6374022b46818262673106");
	check_truncations("82d1d243010203d0626869");
	check_truncations("a3 00 1bffffffffffffffff 20 fb41d584367c200000"
	                  " 6161 7f 6162 63e282ac ff");
	/* RFC 8392 A.1 claims set */
	check_truncations("a70175636f61703a2f2f61732e6578616d706c652e636f6d02"
	                  "656572696b77037818636f61703a2f2f6c696768742e6578"
	                  "616d706c652e636f6d041a5612aeb0051a5610d9f0061a56"
	                  "10d9f007420b71");
}

static void
test_strerror(void **state)
{
	static const int codes[] = {
	        KDC_CBOR_OK,          KDC_CBOR_E_EMPTY,     KDC_CBOR_E_TOO_BIG,
	        KDC_CBOR_E_TRUNCATED, KDC_CBOR_E_MALFORMED, KDC_CBOR_E_TRAILING,
	        KDC_CBOR_E_DEPTH,     KDC_CBOR_E_DUPKEY,    KDC_CBOR_E_TOO_MANY,
	        KDC_CBOR_E_NOMEM,
	};
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		assert_non_null(kdc_cbor_strerror(codes[i]));
		for (j = 0; j < i; j++)
			assert_string_not_equal(kdc_cbor_strerror(codes[i]),
			                        kdc_cbor_strerror(codes[j]));
	}
	assert_string_equal(kdc_cbor_strerror(-100), "unknown CBOR error");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_fetch_request_roundtrip),
	        cmocka_unit_test(test_get_int_ranges),
	        cmocka_unit_test(test_map_get_labels),
	        cmocka_unit_test(test_strings),
	        cmocka_unit_test(test_simple_values),
	        cmocka_unit_test(test_arrays),
	        cmocka_unit_test(test_numericdate),
	        cmocka_unit_test(test_tags),
	        cmocka_unit_test(test_rfc8392_a7),
	        cmocka_unit_test(test_indefinite_normalised),
	        cmocka_unit_test(test_malformed_table),
	        cmocka_unit_test(test_bombs_allocate_nothing),
	        cmocka_unit_test(test_valid_input_allocations_bounded),
	        cmocka_unit_test(test_depth_limits),
	        cmocka_unit_test(test_size_and_item_limits),
	        cmocka_unit_test(test_truncation_every_byte),
	        cmocka_unit_test(test_strerror),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
