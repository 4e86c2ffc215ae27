/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cbor_out.c — deterministic CBOR writer (see cbor_out.h).
 *
 * Heads are written here in preferred serialisation (RFC 8949 §4.2.1:
 * shortest argument), whatever width a libcbor item happens to carry.  The
 * buffer may hold secrets, so it never goes through realloc(): growing
 * copies into a new block and wipes the old one.
 */
#include "cbor_out.h"

#include <cbor.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

/* kdc_cw_item() recursion bound; decoded trees are far shallower
 * (cbor_in.c caps them at 1024). */
#define CW_ITEM_MAX_DEPTH 1100

void
kdc_cw_init(struct kdc_cw *w)
{
	w->buf = NULL;
	w->len = 0;
	w->cap = 0;
	w->failed = false;
}

void
kdc_cw_free(struct kdc_cw *w)
{
	if (w->buf != NULL) {
		sodium_memzero(w->buf, w->cap);
		free(w->buf);
	}
	kdc_cw_init(w);
}

void
kdc_cw_reset(struct kdc_cw *w)
{
	if (w->buf != NULL)
		sodium_memzero(w->buf, w->len);
	w->len = 0;
	w->failed = false;
}

bool
kdc_cw_ok(const struct kdc_cw *w)
{
	return !w->failed;
}

uint8_t *
kdc_cw_take(struct kdc_cw *w, size_t *len)
{
	uint8_t *p;

	if (w->failed)
		return NULL;
	p = w->buf;
	if (p == NULL) {
		/* Nothing written: still hand out a block, NULL means error. */
		p = malloc(1);
		if (p == NULL)
			return NULL;
	}
	if (len != NULL)
		*len = w->len;
	kdc_cw_init(w);
	return p;
}

static bool
reserve(struct kdc_cw *w, size_t extra)
{
	size_t need, cap;
	uint8_t *nb;

	if (w->failed)
		return false;
	if (extra > SIZE_MAX - w->len)
		goto fail;
	need = w->len + extra;
	if (need <= w->cap)
		return true;
	cap = w->cap ? w->cap : 64;
	while (cap < need) {
		if (cap > SIZE_MAX / 2)
			goto fail;
		cap *= 2;
	}
	nb = malloc(cap);
	if (nb == NULL)
		goto fail;
	if (w->buf != NULL) {
		memcpy(nb, w->buf, w->len);
		sodium_memzero(w->buf, w->cap);
		free(w->buf);
	}
	w->buf = nb;
	w->cap = cap;
	return true;
fail:
	w->failed = true;
	return false;
}

void
kdc_cw_raw(struct kdc_cw *w, const uint8_t *p, size_t n)
{
	if (n == 0)
		return;
	if (p == NULL) {
		w->failed = true;
		return;
	}
	if (!reserve(w, n))
		return;
	memcpy(w->buf + w->len, p, n);
	w->len += n;
}

/* Head of major type mt with argument v in its shortest form. */
static void
head(struct kdc_cw *w, unsigned mt, uint64_t v)
{
	uint8_t h[9];
	size_t n, i;
	uint8_t ib = (uint8_t)(mt << 5);

	if (v < 24) {
		h[0] = ib | (uint8_t)v;
		n = 1;
	} else if (v <= UINT8_MAX) {
		h[0] = ib | 24;
		n = 2;
	} else if (v <= UINT16_MAX) {
		h[0] = ib | 25;
		n = 3;
	} else if (v <= UINT32_MAX) {
		h[0] = ib | 26;
		n = 5;
	} else {
		h[0] = ib | 27;
		n = 9;
	}
	for (i = n - 1; i >= 1; i--) {
		h[i] = (uint8_t)v;
		v >>= 8;
	}
	kdc_cw_raw(w, h, n);
}

void
kdc_cw_uint(struct kdc_cw *w, uint64_t v)
{
	head(w, 0, v);
}

void
kdc_cw_int(struct kdc_cw *w, int64_t v)
{
	if (v >= 0)
		head(w, 0, (uint64_t)v);
	else
		head(w, 1, (uint64_t)(-1 - v)); /* RFC 8949 §3.1 */
}

void
kdc_cw_bstr(struct kdc_cw *w, const uint8_t *p, size_t n)
{
	if (n > 0 && p == NULL) {
		w->failed = true;
		return;
	}
	head(w, 2, n);
	kdc_cw_raw(w, p, n);
}

void
kdc_cw_bstr_head(struct kdc_cw *w, size_t n)
{
	head(w, 2, n);
}

void
kdc_cw_tstr(struct kdc_cw *w, const char *p, size_t n)
{
	if (n > 0 && p == NULL) {
		w->failed = true;
		return;
	}
	head(w, 3, n);
	kdc_cw_raw(w, (const uint8_t *)p, n);
}

void
kdc_cw_tstrz(struct kdc_cw *w, const char *s)
{
	if (s == NULL) {
		w->failed = true;
		return;
	}
	kdc_cw_tstr(w, s, strlen(s));
}

void
kdc_cw_array(struct kdc_cw *w, size_t n)
{
	head(w, 4, n);
}

void
kdc_cw_map(struct kdc_cw *w, size_t n)
{
	head(w, 5, n);
}

void
kdc_cw_tag(struct kdc_cw *w, uint64_t tag)
{
	head(w, 6, tag);
}

static void
byte(struct kdc_cw *w, uint8_t b)
{
	kdc_cw_raw(w, &b, 1);
}

void
kdc_cw_bool(struct kdc_cw *w, bool v)
{
	byte(w, v ? 0xf5 : 0xf4);
}

void
kdc_cw_null(struct kdc_cw *w)
{
	byte(w, 0xf6);
}

/* Simple value (RFC 8949 §3.3). */
static void
simple(struct kdc_cw *w, uint8_t v)
{
	if (v < 24) {
		byte(w, (uint8_t)(0xe0 | v));
	} else {
		uint8_t b[2] = {0xf8, v};

		kdc_cw_raw(w, b, 2);
	}
}

/* IEEE 754 binary16 bits of f if f converts exactly, else false. */
static bool
half_exact(float f, uint16_t *out)
{
	uint32_t bits;
	uint32_t sign, m;
	int e;

	memcpy(&bits, &f, sizeof(bits));
	sign = (bits >> 16) & 0x8000;
	e = (int)((bits >> 23) & 0xff) - 127;
	m = bits & 0x7fffff;
	if ((bits & 0x7fffffff) == 0) { /* +-0 */
		*out = (uint16_t)sign;
		return true;
	}
	if (e == 128) { /* inf (NaN is handled by the caller) */
		if (m != 0)
			return false;
		*out = (uint16_t)(sign | 0x7c00);
		return true;
	}
	if (e >= -14 && e <= 15) { /* normal half */
		if (m & 0x1fff)
			return false;
		*out = (uint16_t)(sign | (uint32_t)(e + 15) << 10 | m >> 13);
		return true;
	}
	if (e >= -24 && e < -14) { /* subnormal half: k * 2^-24 */
		uint32_t full = 0x800000 | m;
		unsigned s = (unsigned)(-e - 1); /* 14..23 */

		if (full & ((UINT32_C(1) << s) - 1))
			return false;
		*out = (uint16_t)(sign | full >> s);
		return true;
	}
	return false;
}

/* Shortest float encoding that keeps the value (RFC 8949 §4.2.1);
 * NaN as the canonical f97e00 (§4.2.2). */
static void
float_shortest(struct kdc_cw *w, double d)
{
	uint8_t b[9];
	uint16_t h;
	size_t i;

	if (d != d) { /* NaN */
		static const uint8_t nan16[] = {0xf9, 0x7e, 0x00};

		kdc_cw_raw(w, nan16, sizeof(nan16));
		return;
	}
	if ((double)(float)d == d) {
		float f = (float)d;
		uint32_t bits;

		if (half_exact(f, &h)) {
			b[0] = 0xf9;
			b[1] = (uint8_t)(h >> 8);
			b[2] = (uint8_t)h;
			kdc_cw_raw(w, b, 3);
			return;
		}
		memcpy(&bits, &f, sizeof(bits));
		b[0] = 0xfa;
		for (i = 4; i >= 1; i--) {
			b[i] = (uint8_t)bits;
			bits >>= 8;
		}
		kdc_cw_raw(w, b, 5);
		return;
	} else {
		uint64_t bits;

		memcpy(&bits, &d, sizeof(bits));
		b[0] = 0xfb;
		for (i = 8; i >= 1; i--) {
			b[i] = (uint8_t)bits;
			bits >>= 8;
		}
		kdc_cw_raw(w, b, 9);
	}
}

static void
string_item(struct kdc_cw *w, const cbor_item_t *it, bool text)
{
	unsigned mt = text ? 3 : 2;
	bool definite = text ? cbor_string_is_definite(it)
	                     : cbor_bytestring_is_definite(it);
	cbor_item_t **ch;
	size_t nch, total = 0, i;

	if (definite) {
		size_t n = text ? cbor_string_length(it)
		                : cbor_bytestring_length(it);

		head(w, mt, n);
		kdc_cw_raw(w,
		           text ? cbor_string_handle(it)
		                : cbor_bytestring_handle(it),
		           n);
		return;
	}
	/* Indefinite: one definite string of the joined chunks. */
	nch = text ? cbor_string_chunk_count(it)
	           : cbor_bytestring_chunk_count(it);
	ch = text ? cbor_string_chunks_handle(it)
	          : cbor_bytestring_chunks_handle(it);
	for (i = 0; i < nch; i++)
		total += text ? cbor_string_length(ch[i])
		              : cbor_bytestring_length(ch[i]);
	head(w, mt, total);
	for (i = 0; i < nch; i++)
		kdc_cw_raw(w,
		           text ? cbor_string_handle(ch[i])
		                : cbor_bytestring_handle(ch[i]),
		           text ? cbor_string_length(ch[i])
		                : cbor_bytestring_length(ch[i]));
}

static void
item(struct kdc_cw *w, const cbor_item_t *it, unsigned depth)
{
	size_t i, n;

	if (w->failed)
		return;
	if (it == NULL || depth > CW_ITEM_MAX_DEPTH) {
		w->failed = true;
		return;
	}
	switch (cbor_typeof(it)) {
	case CBOR_TYPE_UINT:
		head(w, 0, cbor_get_int(it));
		break;
	case CBOR_TYPE_NEGINT:
		head(w, 1, cbor_get_int(it));
		break;
	case CBOR_TYPE_BYTESTRING:
		string_item(w, it, false);
		break;
	case CBOR_TYPE_STRING:
		string_item(w, it, true);
		break;
	case CBOR_TYPE_ARRAY: {
		cbor_item_t **h = cbor_array_handle(it);

		n = cbor_array_size(it);
		head(w, 4, n);
		for (i = 0; i < n && !w->failed; i++)
			item(w, h[i], depth + 1);
		break;
	}
	case CBOR_TYPE_MAP: {
		struct cbor_pair *pr = cbor_map_handle(it);

		n = cbor_map_size(it);
		head(w, 5, n);
		for (i = 0; i < n && !w->failed; i++) {
			item(w, pr[i].key, depth + 1);
			item(w, pr[i].value, depth + 1);
		}
		break;
	}
	case CBOR_TYPE_TAG:
		head(w, 6, cbor_tag_value(it));
		item(w, it->metadata.tag_metadata.tagged_item, depth + 1);
		break;
	case CBOR_TYPE_FLOAT_CTRL:
		if (cbor_float_get_width(it) == CBOR_FLOAT_0)
			simple(w, cbor_ctrl_value(it));
		else
			float_shortest(w, cbor_float_get_float(it));
		break;
	default:
		w->failed = true;
		break;
	}
}

void
kdc_cw_item(struct kdc_cw *w, const struct cbor_item_t *it)
{
	item(w, it, 0);
}

bool
kdc_cbor_map_append_uint(struct kdc_cw *out, const uint8_t *map, size_t len,
                         int64_t label, uint64_t value)
{
	uint64_t count;
	size_t hlen;
	uint8_t ai;

	if (out == NULL || out->failed || map == NULL || len == 0 ||
	    (map[0] >> 5) != 5)
		return false;
	ai = map[0] & 0x1f;
	if (ai < 24) {
		count = ai;
		hlen = 1;
	} else if (ai == 24 && len >= 2) {
		count = map[1];
		hlen = 2;
	} else if (ai == 25 && len >= 3) {
		count = (uint64_t)map[1] << 8 | map[2];
		hlen = 3;
	} else {
		/* indefinite (31), reserved, truncated, or >= 2^16 entries
		 * in preferred serialisation */
		return false;
	}
	if (count + 1 > UINT16_MAX)
		return false;
	kdc_cw_map(out, (size_t)(count + 1));
	kdc_cw_raw(out, map + hlen, len - hlen);
	kdc_cw_int(out, label);
	kdc_cw_uint(out, value);
	return kdc_cw_ok(out);
}
