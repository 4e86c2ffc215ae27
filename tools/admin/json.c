/* SPDX-License-Identifier: Apache-2.0 */
/*
 * json.c — the streaming JSON writer of kdc-admin --json (json.h).
 */
#include "json.h"

#include <inttypes.h>
#include <string.h>

void
json_init(struct json_w *j, FILE *f)
{
	memset(j, 0, sizeof(*j));
	j->f = f;
	j->first[0] = true;
}

/* Length of the valid UTF-8 sequence at s[0..n), or 0 (RFC 3629 §4: no
 * overlong forms, no surrogates, nothing above U+10FFFF). */
static size_t
utf8_seq(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t len;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

void
json_escape(FILE *f, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	while (i < n) {
		unsigned char c = s[i];
		size_t len;

		switch (c) {
		case '"':
			fputs("\\\"", f);
			i++;
			continue;
		case '\\':
			fputs("\\\\", f);
			i++;
			continue;
		case '\b':
			fputs("\\b", f);
			i++;
			continue;
		case '\f':
			fputs("\\f", f);
			i++;
			continue;
		case '\n':
			fputs("\\n", f);
			i++;
			continue;
		case '\r':
			fputs("\\r", f);
			i++;
			continue;
		case '\t':
			fputs("\\t", f);
			i++;
			continue;
		default:
			break;
		}
		if (c < 0x20 || c == 0x7f) {
			fprintf(f, "\\u%04x", c);
			i++;
			continue;
		}
		len = utf8_seq(s + i, n - i);
		if (len == 0) {
			fputs("\\ufffd", f);
			i++;
			continue;
		}
		fwrite(s + i, 1, len, f);
		i += len;
	}
}

/* Comma, key and colon before a value at the current level. */
static void
prefix(struct json_w *j, const char *key)
{
	/* An object member needs a key and an array element must have
	 * none; the top level takes one value. */
	bool in_object = j->depth > 0 && key != NULL;

	if (!j->first[j->depth])
		fputc(',', j->f);
	j->first[j->depth] = false;
	if (in_object) {
		fputc('"', j->f);
		json_escape(j->f, key, strlen(key));
		fputs("\":", j->f);
	}
}

static void
open_level(struct json_w *j, const char *key, char c)
{
	prefix(j, key);
	fputc(c, j->f);
	if (j->depth >= JSON_MAX_DEPTH) {
		j->failed = true;
		return;
	}
	j->depth++;
	j->first[j->depth] = true;
}

static void
close_level(struct json_w *j, char c)
{
	if (j->depth == 0) {
		j->failed = true;
		return;
	}
	j->depth--;
	fputc(c, j->f);
}

void
json_object_begin(struct json_w *j, const char *key)
{
	open_level(j, key, '{');
}

void
json_object_end(struct json_w *j)
{
	close_level(j, '}');
}

void
json_array_begin(struct json_w *j, const char *key)
{
	open_level(j, key, '[');
}

void
json_array_end(struct json_w *j)
{
	close_level(j, ']');
}

void
json_string(struct json_w *j, const char *key, const char *s, size_t n)
{
	prefix(j, key);
	fputc('"', j->f);
	json_escape(j->f, s != NULL ? s : "", s != NULL ? n : 0);
	fputc('"', j->f);
}

void
json_stringz(struct json_w *j, const char *key, const char *s)
{
	json_string(j, key, s, s != NULL ? strlen(s) : 0);
}

void
json_int(struct json_w *j, const char *key, int64_t v)
{
	prefix(j, key);
	fprintf(j->f, "%" PRId64, v);
}

void
json_bool(struct json_w *j, const char *key, bool v)
{
	prefix(j, key);
	fputs(v ? "true" : "false", j->f);
}

void
json_null(struct json_w *j, const char *key)
{
	prefix(j, key);
	fputs("null", j->f);
}

int
json_finish(struct json_w *j)
{
	fputc('\n', j->f);
	if (fflush(j->f) != 0 || ferror(j->f))
		return -1;
	return j->failed || j->depth != 0 ? -1 : 0;
}
