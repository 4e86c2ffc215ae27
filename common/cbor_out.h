/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cbor_out.h — a streaming CBOR writer into a growable buffer.
 *
 * Output is deterministic (RFC 8949 §4.2.1 preferred serialisation: shortest
 * heads, definite lengths); callers emit map keys in the order they want.
 * The buffer may hold secrets (a Join Response carries the group's Master
 * Secret), so kdc_cw_free() wipes it.  Errors are sticky: after an
 * allocation failure every call is a no-op and kdc_cw_ok() returns false, so
 * a message can be built without checking each step.
 */
#ifndef KDC_CBOR_OUT_H
#define KDC_CBOR_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cbor_item_t;

struct kdc_cw {
	uint8_t *buf;
	size_t len;
	size_t cap;
	bool failed;
};

void kdc_cw_init(struct kdc_cw *w);
/* Wipe and release the buffer; the writer can be reused after init. */
void kdc_cw_free(struct kdc_cw *w);
/* Forget the content (wiped) but keep the allocation. */
void kdc_cw_reset(struct kdc_cw *w);
bool kdc_cw_ok(const struct kdc_cw *w);
/* Hand the buffer to the caller (who must free() it, after wiping if it
 * held secrets); the writer is left empty.  NULL if the writer failed. */
uint8_t *kdc_cw_take(struct kdc_cw *w, size_t *len);

void kdc_cw_uint(struct kdc_cw *w, uint64_t v);
void kdc_cw_int(struct kdc_cw *w, int64_t v);
void kdc_cw_bstr(struct kdc_cw *w, const uint8_t *p, size_t n);
/* Head of a byte string of n bytes whose content the caller appends with
 * kdc_cw_raw() (used to wrap an encoded item in a bstr). */
void kdc_cw_bstr_head(struct kdc_cw *w, size_t n);
void kdc_cw_tstr(struct kdc_cw *w, const char *p, size_t n);
void kdc_cw_tstrz(struct kdc_cw *w, const char *s);
void kdc_cw_array(struct kdc_cw *w, size_t n);
void kdc_cw_map(struct kdc_cw *w, size_t n);
void kdc_cw_tag(struct kdc_cw *w, uint64_t tag);
void kdc_cw_bool(struct kdc_cw *w, bool v);
void kdc_cw_null(struct kdc_cw *w);
/* Append bytes that already are an encoded CBOR item (or part of one). */
void kdc_cw_raw(struct kdc_cw *w, const uint8_t *p, size_t n);
/* Serialise a libcbor tree (e.g. an item taken from a decoded message). */
void kdc_cw_item(struct kdc_cw *w, const struct cbor_item_t *item);

/*
 * Append `label: value` (uint value) to an encoded definite-length map of
 * fewer than 2^16 entries held in buf[0..len), rewriting the map head.
 * Used to add the residual lifetime `exi` to a cached message at send time
 * (RFC 9594 §4.3.1: exi is computed per response).  Returns false if buf
 * does not start with a definite map head or the result would not fit.
 */
bool kdc_cbor_map_append_uint(struct kdc_cw *out, const uint8_t *map,
                              size_t len, int64_t label, uint64_t value);

#endif
