/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_ipc_wire.c — frame headers and the typed writer/reader.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "ipc_priv.h"
#include "ipc_wire.h"

#include <stdlib.h>
#include <string.h>

/* ---- header ---- */

static void
hdr_roundtrip_exact_bytes(void **state)
{
	struct ipc_hdr h = {0x01020304u & 0x7fffff, 0xa1b2, IPC_F_REPLY,
	                    0xdeadbeef};
	struct ipc_hdr d;
	uint8_t b[IPC_HDR_LEN];
	const uint8_t want[IPC_HDR_LEN] = {0x04, 0x03, 0x02, 0x00, 0xb2, 0xa1,
	                                   0x01, 0x00, 0xef, 0xbe, 0xad, 0xde};

	(void)state;
	ipc_hdr_encode(b, &h);
	assert_memory_equal(b, want, sizeof(want));
	assert_int_equal(ipc_hdr_decode(b, &d), 0);
	assert_int_equal(d.len, h.len);
	assert_int_equal(d.type, h.type);
	assert_int_equal(d.flags, h.flags);
	assert_int_equal(d.reqid, h.reqid);
}

static int
dec(uint32_t len, uint16_t type, uint16_t flags, uint32_t reqid)
{
	struct ipc_hdr h = {len, type, flags, reqid}, d;
	uint8_t b[IPC_HDR_LEN];

	ipc_hdr_encode(b, &h);
	return ipc_hdr_decode(b, &d);
}

static void
hdr_checks(void **state)
{
	(void)state;
	assert_int_equal(dec(0, 1, 0, 1), 0);
	assert_int_equal(dec(IPC_MAX_PAYLOAD, 1, 0, 1), 0);
	assert_int_equal(dec(IPC_MAX_PAYLOAD + 1, 1, 0, 1), -1);
	assert_int_equal(dec(UINT32_MAX, 1, 0, 1), -1);
	/* unknown flag bits */
	assert_int_equal(dec(0, 1, 1u << 3, 1), -1);
	assert_int_equal(dec(0, 1, 0x8000, 1), -1);
	/* REPLY and PUSH together */
	assert_int_equal(dec(0, 1, IPC_F_REPLY | IPC_F_PUSH, 0), -1);
	/* MORE only on replies */
	assert_int_equal(dec(0, 1, IPC_F_MORE, 1), -1);
	assert_int_equal(dec(0, 1, IPC_F_MORE | IPC_F_PUSH, 0), -1);
	assert_int_equal(dec(0, 1, IPC_F_MORE | IPC_F_REPLY, 7), 0);
	/* pushes have reqid 0 */
	assert_int_equal(dec(0, 50, IPC_F_PUSH, 0), 0);
	assert_int_equal(dec(0, 50, IPC_F_PUSH, 1), -1);
}

/* ---- writer ---- */

static void
put_exact_bytes(void **state)
{
	struct ipc_wbuf w;
	const uint8_t want[] = {
	        0x7f,                                           /* u8 */
	        0x34, 0x12,                                     /* u16 */
	        0x78, 0x56, 0x34, 0x12,                         /* u32 */
	        0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01, /* u64 */
	        0xff, 0xff, 0xff, 0xff,                         /* i32 -1 */
	        0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, /* i64 -2 */
	        0x01, 0x00,                                     /* bools */
	        0x02, 0x00, 0x00, 0x00, 0xaa, 0xbb,             /* bytes */
	        0x02, 0x00, 0x00, 0x00, 'h',  'i',              /* str */
	        0x00, 0x00, 0x00, 0x00,                         /* empty strz */
	        0xc1, 0xc2,                                     /* raw */
	};
	const uint8_t ab[] = {0xaa, 0xbb}, raw[] = {0xc1, 0xc2};

	(void)state;
	ipc_wbuf_init(&w);
	ipc_put_u8(&w, 0x7f);
	ipc_put_u16(&w, 0x1234);
	ipc_put_u32(&w, 0x12345678);
	ipc_put_u64(&w, 0x0102030405060708ull);
	ipc_put_i32(&w, -1);
	ipc_put_i64(&w, -2);
	ipc_put_bool(&w, true);
	ipc_put_bool(&w, false);
	ipc_put_bytes(&w, ab, 2);
	ipc_put_str(&w, "hi", 2);
	ipc_put_strz(&w, NULL);
	ipc_put_raw(&w, raw, 2);
	assert_true(ipc_wbuf_ok(&w));
	assert_int_equal(w.len, sizeof(want));
	assert_memory_equal(w.p, want, sizeof(want));
	ipc_wbuf_free(&w);
	assert_null(w.p);
	assert_int_equal(w.len, 0);
}

static void
put_grows_and_secret_free(void **state)
{
	struct ipc_wbuf w;
	uint8_t chunk[1000];

	(void)state;
	memset(chunk, 0x5a, sizeof(chunk));
	ipc_wbuf_init(&w);
	w.secret = true;
	for (int i = 0; i < 100; i++)
		ipc_put_raw(&w, chunk, sizeof(chunk));
	assert_true(ipc_wbuf_ok(&w));
	assert_int_equal(w.len, 100000);
	assert_true(w.cap >= w.len);
	for (size_t i = 0; i < w.len; i++)
		if (w.p[i] != 0x5a)
			fail_msg("byte %zu changed", i);
	ipc_wbuf_free(&w);
	assert_null(w.p);
	assert_false(w.secret);
}

static void
put_max_payload_sticky(void **state)
{
	struct ipc_wbuf w;
	uint8_t *big = calloc(1, IPC_MAX_PAYLOAD);

	(void)state;
	assert_non_null(big);
	ipc_wbuf_init(&w);
	ipc_put_raw(&w, big, IPC_MAX_PAYLOAD);
	assert_true(ipc_wbuf_ok(&w));
	assert_int_equal(w.len, IPC_MAX_PAYLOAD);
	ipc_put_u8(&w, 1);
	assert_false(ipc_wbuf_ok(&w));
	assert_int_equal(w.len, IPC_MAX_PAYLOAD);
	/* sticky */
	ipc_wbuf_free(&w);
	ipc_put_bytes(&w, big, IPC_MAX_PAYLOAD); /* 4 + max: too much */
	assert_false(ipc_wbuf_ok(&w));
	ipc_put_u8(&w, 1);
	assert_false(ipc_wbuf_ok(&w));
	assert_int_equal(w.len, 0);
	ipc_wbuf_free(&w);
	free(big);
}

static void
put_refuses_invalid(void **state)
{
	struct ipc_wbuf w;

	(void)state;
	ipc_wbuf_init(&w);
	ipc_put_str(&w, "a\0b", 3);
	assert_false(ipc_wbuf_ok(&w));
	ipc_wbuf_free(&w);

	ipc_wbuf_init(&w);
	ipc_put_bytes(&w, NULL, 3);
	assert_false(ipc_wbuf_ok(&w));
	ipc_wbuf_free(&w);

	ipc_wbuf_init(&w);
	ipc_put_bytes(&w, NULL, 0);
	ipc_put_str(&w, NULL, 0);
	assert_true(ipc_wbuf_ok(&w));
	assert_int_equal(w.len, 8);
	ipc_wbuf_free(&w);
}

/* ---- reader ---- */

static void
get_roundtrip(void **state)
{
	struct ipc_wbuf w;
	struct ipc_rbuf r;
	uint8_t u8, raw[3];
	uint16_t u16;
	uint32_t u32, cnt;
	uint64_t u64;
	int32_t i32;
	int64_t i64;
	bool b1, b2;
	const uint8_t *p;
	const char *sv;
	size_t n;
	char s[8];

	(void)state;
	ipc_wbuf_init(&w);
	ipc_put_u8(&w, 200);
	ipc_put_u16(&w, 65535);
	ipc_put_u32(&w, 4000000000u);
	ipc_put_u64(&w, UINT64_MAX - 1);
	ipc_put_i32(&w, INT32_MIN);
	ipc_put_i64(&w, INT64_MIN);
	ipc_put_bool(&w, true);
	ipc_put_bool(&w, false);
	ipc_put_bytes(&w, (const uint8_t *)"xyz", 3);
	ipc_put_strz(&w, "seven77");
	ipc_put_str(&w, "view", 4);
	ipc_put_raw(&w, (const uint8_t *)"RAW", 3);
	ipc_put_u32(&w, 2); /* count of 2 u32 */
	ipc_put_u32(&w, 1);
	ipc_put_u32(&w, 2);
	assert_true(ipc_wbuf_ok(&w));

	ipc_rbuf_init(&r, w.p, w.len);
	assert_true(ipc_get_u8(&r, &u8));
	assert_int_equal(u8, 200);
	assert_true(ipc_get_u16(&r, &u16));
	assert_int_equal(u16, 65535);
	assert_true(ipc_get_u32(&r, &u32));
	assert_int_equal(u32, 4000000000u);
	assert_true(ipc_get_u64(&r, &u64));
	assert_true(u64 == UINT64_MAX - 1);
	assert_true(ipc_get_i32(&r, &i32));
	assert_true(i32 == INT32_MIN);
	assert_true(ipc_get_i64(&r, &i64));
	assert_true(i64 == INT64_MIN);
	assert_true(ipc_get_bool(&r, &b1));
	assert_true(ipc_get_bool(&r, &b2));
	assert_true(b1);
	assert_false(b2);
	assert_true(ipc_get_bytes(&r, &p, &n, 3));
	assert_int_equal(n, 3);
	assert_memory_equal(p, "xyz", 3);
	assert_true(ipc_get_str(&r, s, sizeof(s)));
	assert_string_equal(s, "seven77");
	assert_true(ipc_get_strv(&r, &sv, &n, 4));
	assert_int_equal(n, 4);
	assert_memory_equal(sv, "view", 4);
	assert_true(ipc_get_raw(&r, raw, 3));
	assert_memory_equal(raw, "RAW", 3);
	assert_true(ipc_get_count(&r, &cnt, 2, 4));
	assert_int_equal(cnt, 2);
	assert_false(ipc_get_end(&r)); /* 8 bytes left */
	ipc_wbuf_free(&w);
}

static void
get_short_reads_fail_and_stick(void **state)
{
	const uint8_t b[3] = {1, 2, 3};
	struct ipc_rbuf r;
	uint32_t v;
	uint8_t u;

	(void)state;
	ipc_rbuf_init(&r, b, sizeof(b));
	assert_false(ipc_get_u32(&r, &v));
	assert_true(r.failed);
	/* a later read that would fit still fails */
	assert_false(ipc_get_u8(&r, &u));
	assert_false(ipc_get_end(&r));

	ipc_rbuf_init(&r, b, sizeof(b));
	assert_true(ipc_get_u8(&r, &u));
	assert_false(ipc_get_end(&r)); /* leftover */
	ipc_rbuf_init(&r, NULL, 5);
	assert_true(ipc_get_end(&r));
	assert_false(ipc_get_u8(&r, &u));
}

static void
get_bool_values(void **state)
{
	struct ipc_rbuf r;
	bool v;

	(void)state;
	for (int i = 0; i < 256; i++) {
		uint8_t b = (uint8_t)i;

		ipc_rbuf_init(&r, &b, 1);
		assert_int_equal(ipc_get_bool(&r, &v), i <= 1);
		if (i <= 1)
			assert_int_equal(v, i == 1);
	}
}

static void
get_bytes_bounds(void **state)
{
	const uint8_t b[] = {3, 0, 0, 0, 'a', 'b', 'c'};
	const uint8_t lie[] = {4, 0, 0, 0, 'a', 'b', 'c'};
	const uint8_t huge[] = {0xff, 0xff, 0xff, 0xff, 'a'};
	struct ipc_rbuf r;
	const uint8_t *p;
	size_t n;

	(void)state;
	ipc_rbuf_init(&r, b, sizeof(b));
	assert_false(ipc_get_bytes(&r, &p, &n, 2)); /* over max */
	ipc_rbuf_init(&r, b, sizeof(b));
	assert_true(ipc_get_bytes(&r, &p, &n, 3));
	assert_true(ipc_get_end(&r));
	ipc_rbuf_init(&r, lie, sizeof(lie));
	assert_false(ipc_get_bytes(&r, &p, &n, 100));
	ipc_rbuf_init(&r, huge, sizeof(huge));
	assert_false(ipc_get_bytes(&r, &p, &n, SIZE_MAX));
}

static void
get_empty_bytes_not_null(void **state)
{
	const uint8_t b[] = {0, 0, 0, 0};
	struct ipc_rbuf r;
	const uint8_t *p = NULL;
	size_t n = 9;

	(void)state;
	ipc_rbuf_init(&r, b, sizeof(b));
	assert_true(ipc_get_bytes(&r, &p, &n, 0));
	assert_non_null(p);
	assert_int_equal(n, 0);
	assert_true(ipc_get_end(&r));
}

static void
get_str_rules(void **state)
{
	const uint8_t nul[] = {3, 0, 0, 0, 'a', 0, 'c'};
	const uint8_t four[] = {4, 0, 0, 0, 'a', 'b', 'c', 'd'};
	struct ipc_rbuf r;
	const char *sv;
	size_t n;
	char out[5];

	(void)state;
	ipc_rbuf_init(&r, nul, sizeof(nul));
	assert_false(ipc_get_str(&r, out, sizeof(out)));
	ipc_rbuf_init(&r, nul, sizeof(nul));
	assert_false(ipc_get_strv(&r, &sv, &n, 100));
	/* fits exactly: out_size - 1 characters */
	ipc_rbuf_init(&r, four, sizeof(four));
	assert_true(ipc_get_str(&r, out, 5));
	assert_string_equal(out, "abcd");
	ipc_rbuf_init(&r, four, sizeof(four));
	assert_false(ipc_get_str(&r, out, 4));
	ipc_rbuf_init(&r, four, sizeof(four));
	assert_false(ipc_get_str(&r, out, 0));
	ipc_rbuf_init(&r, four, sizeof(four));
	assert_false(ipc_get_strv(&r, &sv, &n, 3));
}

static void
get_count_bounds(void **state)
{
	uint8_t b[4 + 16];
	struct ipc_rbuf r;
	uint32_t c;

	(void)state;
	memset(b, 0, sizeof(b));
	b[0] = 4; /* count 4, 16 bytes follow */
	ipc_rbuf_init(&r, b, sizeof(b));
	assert_true(ipc_get_count(&r, &c, 4, 4));
	assert_int_equal(c, 4);
	ipc_rbuf_init(&r, b, sizeof(b));
	assert_false(ipc_get_count(&r, &c, 3, 4)); /* over max */
	ipc_rbuf_init(&r, b, sizeof(b));
	assert_false(ipc_get_count(&r, &c, 100, 5)); /* 20 > 16 bytes */
	ipc_rbuf_init(&r, b, sizeof(b));
	assert_true(ipc_get_count(&r, &c, 100, 0)); /* size unknown */
	b[0] = 0xff;
	b[1] = 0xff;
	b[2] = 0xff;
	b[3] = 0xff;
	ipc_rbuf_init(&r, b, sizeof(b));
	assert_false(ipc_get_count(&r, &c, UINT32_MAX, 1));
}

/* ---- receive buffer (frame reassembly) ---- */

static size_t
put_frame(uint8_t *out, uint16_t type, uint32_t reqid, size_t len, uint8_t fill)
{
	struct ipc_hdr h = {(uint32_t)len, type, IPC_F_REPLY, reqid};

	ipc_hdr_encode(out, &h);
	memset(out + IPC_HDR_LEN, fill, len);
	return IPC_HDR_LEN + len;
}

/* Feed `stream` in chunks of `step`, collecting frames. */
static void
feed(const uint8_t *stream, size_t n, size_t step, const size_t *lens,
     size_t nframes)
{
	struct ipc_rx rx;
	struct ipc_hdr h;
	const uint8_t *p;
	size_t off = 0, got = 0;

	ipc_rx_init(&rx);
	while (off < n) {
		size_t k = step < n - off ? step : n - off;

		assert_true(ipc_rx_reserve(&rx, 16));
		if (k > rx.cap - rx.len)
			k = rx.cap - rx.len;
		memcpy(rx.p + rx.len, stream + off, k);
		rx.len += k;
		off += k;
		while (ipc_rx_next(&rx, &h, &p) == 1) {
			assert_true(got < nframes);
			assert_int_equal(h.len, lens[got]);
			assert_int_equal(h.type, 100 + got);
			assert_int_equal(h.reqid, 1000 + got);
			for (size_t i = 0; i < h.len; i++)
				if (p[i] != (uint8_t)(0x40 + got))
					fail_msg("frame %zu byte %zu", got, i);
			got++;
		}
		ipc_rx_compact(&rx);
	}
	assert_int_equal(got, nframes);
	assert_int_equal(rx.len, 0);
	ipc_rx_free(&rx);
}

static void
rx_reassembly(void **state)
{
	const size_t lens[] = {0, 5, 70000, 1, 300000};
	size_t n = 0, total = 0;
	uint8_t *stream;

	(void)state;
	for (size_t i = 0; i < 5; i++)
		total += IPC_HDR_LEN + lens[i];
	stream = malloc(total);
	for (size_t i = 0; i < 5; i++)
		n += put_frame(stream + n, (uint16_t)(100 + i),
		               (uint32_t)(1000 + i), lens[i],
		               (uint8_t)(0x40 + i));
	feed(stream, n, 1, lens, 5); /* byte by byte */
	feed(stream, n, 7, lens, 5);
	feed(stream, n, 65536, lens, 5);
	feed(stream, n, n, lens, 5);
	free(stream);
}

static void
rx_bad_header_and_release(void **state)
{
	struct ipc_rx rx;
	struct ipc_hdr h;
	const uint8_t *p;
	uint8_t *big = malloc(IPC_HDR_LEN + 400000);
	uint8_t bad[IPC_HDR_LEN] = {0, 0, 0, 0, 1, 0, 0x08, 0, 0, 0, 0, 0};

	(void)state;
	/* a drained buffer above 256 KiB is released */
	ipc_rx_init(&rx);
	put_frame(big, 100, 1000, 400000, 0x40);
	assert_true(ipc_rx_reserve(&rx, IPC_HDR_LEN));
	memcpy(rx.p, big, IPC_HDR_LEN);
	rx.len = IPC_HDR_LEN;
	assert_int_equal(ipc_rx_next(&rx, &h, &p), 0);
	assert_true(ipc_rx_reserve(&rx, 16)); /* room for the whole frame */
	assert_true(rx.cap - rx.len >= 400000);
	memcpy(rx.p + rx.len, big + IPC_HDR_LEN, 400000);
	rx.len += 400000;
	assert_int_equal(ipc_rx_next(&rx, &h, &p), 1);
	assert_int_equal(h.len, 400000);
	ipc_rx_compact(&rx);
	assert_null(rx.p);
	assert_int_equal(rx.cap, 0);

	/* unknown flag bit 0x08 */
	assert_true(ipc_rx_reserve(&rx, 16));
	memcpy(rx.p, bad, sizeof(bad));
	rx.len = sizeof(bad);
	assert_int_equal(ipc_rx_next(&rx, &h, &p), -1);
	ipc_rx_free(&rx);
	free(big);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(hdr_roundtrip_exact_bytes),
	        cmocka_unit_test(hdr_checks),
	        cmocka_unit_test(put_exact_bytes),
	        cmocka_unit_test(put_grows_and_secret_free),
	        cmocka_unit_test(put_max_payload_sticky),
	        cmocka_unit_test(put_refuses_invalid),
	        cmocka_unit_test(get_roundtrip),
	        cmocka_unit_test(get_short_reads_fail_and_stick),
	        cmocka_unit_test(get_bool_values),
	        cmocka_unit_test(get_bytes_bounds),
	        cmocka_unit_test(get_empty_bytes_not_null),
	        cmocka_unit_test(get_str_rules),
	        cmocka_unit_test(get_count_bounds),
	        cmocka_unit_test(rx_reassembly),
	        cmocka_unit_test(rx_bad_header_and_release),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
