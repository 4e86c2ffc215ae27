/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cose_test_util.h — small helpers of the crypto / COSE / CWT unit tests:
 * hex and base64url decoding, reading a COSE WG example file from
 * $KDC_VECTORS and pulling the few string fields the tests need out of it
 * (a field extractor, not a JSON parser: the example files are regular).
 */
#ifndef KDC_COSE_TEST_UTIL_H
#define KDC_COSE_TEST_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline int
tu_nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode n hex digits into a malloc'd buffer (never NULL on success, even
 * for an empty string); whitespace is skipped.  NULL on bad input. */
static inline uint8_t *
tu_hex_n(const char *hex, size_t n, size_t *out_len)
{
	uint8_t *out;
	size_t o = 0;
	int hi = -1;

	*out_len = 0;
	out = malloc(n / 2 + 1);
	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		int v;

		if (hex[i] == ' ' || hex[i] == '\n')
			continue;
		v = tu_nibble(hex[i]);
		if (v < 0) {
			free(out);
			return NULL;
		}
		if (hi < 0) {
			hi = v;
		} else {
			out[o++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	if (hi >= 0) {
		free(out);
		return NULL;
	}
	*out_len = o;
	return out;
}

static inline uint8_t *
tu_hex(const char *hex, size_t *out_len)
{
	return tu_hex_n(hex, strlen(hex), out_len);
}

/* Exactly `want` bytes of hex into a fixed buffer; false otherwise. */
static inline bool
tu_hex_fixed(const char *hex, uint8_t *out, size_t want)
{
	size_t n = 0;
	uint8_t *p = tu_hex(hex, &n);
	bool ok = p != NULL && n == want;

	if (ok)
		memcpy(out, p, n);
	free(p);
	return ok;
}

/* base64url without padding (JWK k/x/y/d) into a malloc'd buffer. */
static inline uint8_t *
tu_b64url_n(const char *s, size_t n, size_t *out_len)
{
	uint8_t *out;
	uint32_t acc = 0;
	int bits = 0;
	size_t o = 0;

	*out_len = 0;
	out = malloc(n * 3 / 4 + 3);
	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		int v;

		if (c >= 'A' && c <= 'Z')
			v = c - 'A';
		else if (c >= 'a' && c <= 'z')
			v = c - 'a' + 26;
		else if (c >= '0' && c <= '9')
			v = c - '0' + 52;
		else if (c == '-')
			v = 62;
		else if (c == '_')
			v = 63;
		else {
			free(out);
			return NULL;
		}
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	*out_len = o;
	return out;
}

/* Read $KDC_VECTORS/<rel> into a NUL-terminated malloc'd string. */
static inline char *
tu_read_vector(const char *rel)
{
	const char *dir = getenv("KDC_VECTORS");
	char path[1024];
	FILE *f;
	char *buf;
	long n;

	if (dir == NULL)
		dir = "tests/vectors";
	snprintf(path, sizeof(path), "%s/cose-wg-examples/%s", dir, rel);
	f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0) {
		fclose(f);
		return NULL;
	}
	buf = malloc((size_t)n + 1);
	if (buf != NULL && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	if (buf != NULL)
		buf[n] = '\0';
	fclose(f);
	return buf;
}

/* The string value of the first `"name":"..."` after `from` (or the whole
 * text when from is NULL) that follows `anchor` (may be NULL).  Returns a
 * pointer to the value and its length, NULL if absent. */
static inline const char *
tu_json_str(const char *text, const char *anchor, const char *name, size_t *len)
{
	char pat[64];
	const char *p = text, *e;

	if (anchor != NULL) {
		p = strstr(text, anchor);
		if (p == NULL)
			return NULL;
	}
	snprintf(pat, sizeof(pat), "\"%s\":", name);
	p = strstr(p, pat);
	if (p == NULL)
		return NULL;
	p += strlen(pat);
	while (*p == ' ')
		p++;
	if (*p != '"')
		return NULL;
	p++;
	e = strchr(p, '"');
	if (e == NULL)
		return NULL;
	*len = (size_t)(e - p);
	return p;
}

static inline bool
tu_json_true(const char *text, const char *name)
{
	char pat[64];

	snprintf(pat, sizeof(pat), "\"%s\":true", name);
	return strstr(text, pat) != NULL;
}

#endif
