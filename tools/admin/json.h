/* SPDX-License-Identifier: Apache-2.0 */
/*
 * json.h — a tiny streaming JSON writer (bgpctl's json.c model): values
 * are written as they come, commas and nesting are tracked here.  Inside
 * an object every value takes a key; inside an array (or at the top) the
 * key is NULL.
 *
 * Strings are escaped per RFC 8259 §7: '"' and '\\', the control
 * characters U+0000..U+001F (short forms \b \f \n \r \t, else \u00XX) and
 * DEL (\u007f); valid UTF-8 passes through unchanged; each byte of an
 * invalid UTF-8 sequence becomes U+FFFD, so the output is always valid
 * UTF-8 JSON.
 */
#ifndef KDC_TOOLS_JSON_H
#define KDC_TOOLS_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 16

struct json_w {
	FILE *f;
	int depth;
	bool first[JSON_MAX_DEPTH + 1]; /* nothing written yet at that level */
	bool failed;                    /* nesting misuse */
};

void json_init(struct json_w *j, FILE *f);
void json_object_begin(struct json_w *j, const char *key);
void json_object_end(struct json_w *j);
void json_array_begin(struct json_w *j, const char *key);
void json_array_end(struct json_w *j);
void json_string(struct json_w *j, const char *key, const char *s, size_t n);
void json_stringz(struct json_w *j, const char *key, const char *s);
void json_int(struct json_w *j, const char *key, int64_t v);
void json_bool(struct json_w *j, const char *key, bool v);
void json_null(struct json_w *j, const char *key);
/* Newline after the top-level value; 0, or -1 if nesting was misused or
 * the stream reported an error. */
int json_finish(struct json_w *j);

/* The escaped form of s (without quotes) into f; exposed for tests. */
void json_escape(FILE *f, const char *s, size_t n);

#endif
