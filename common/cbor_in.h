/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cbor_in.h — the one bounded entry point for decoding untrusted CBOR.
 *
 * Every byte that arrives from the network or from an IPC peer and is CBOR
 * goes through kdc_cbor_decode().  libcbor 0.8's cbor_load() is unsafe on
 * hostile input (../shared/notes/platform.md Q7): a 6-byte header declaring
 * 2^27 items makes it allocate ~1 GiB, it accepts trailing bytes and
 * duplicate map keys, and indefinite-length strings cannot be read through
 * cbor_bytestring_handle().  kdc_cbor_decode() therefore first walks the
 * input with libcbor's allocation-free streaming decoder and rejects it unless
 *   - the input is no larger than limits->max_size,
 *   - every declared length fits in the bytes that remain,
 *   - nesting is no deeper than limits->max_depth,
 *   - the total number of items is no more than limits->max_items,
 *   - exactly one item is present (no trailing bytes),
 *   - no map holds the same key twice (compared by value),
 * and only then builds the item tree with cbor_load().  Indefinite-length
 * byte and text strings are normalised into definite ones, so that the
 * accessors below can hand out plain pointers.
 *
 * Text strings must be valid UTF-8.  Every tag number is accepted (also
 * 6..20, e.g. COSE 16/17/18, which libcbor 0.8 alone refuses); of the
 * simple values only false, true, null and undefined are (the others are
 * KDC_CBOR_E_MALFORMED); floats of every width are.  Non-shortest integer
 * encodings are accepted.  max_depth is capped at 1024.
 *
 * Nothing else in the project may call cbor_load() or cbor_stream_decode().
 */
#ifndef KDC_CBOR_IN_H
#define KDC_CBOR_IN_H

#include <cbor.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum kdc_cbor_err {
	KDC_CBOR_OK = 0,
	KDC_CBOR_E_EMPTY = -1,     /* zero-length input */
	KDC_CBOR_E_TOO_BIG = -2,   /* input larger than max_size */
	KDC_CBOR_E_TRUNCATED = -3, /* a declared length runs past the end */
	KDC_CBOR_E_MALFORMED =
	        -4, /* reserved/invalid initial byte, bad UTF-8, ... */
	KDC_CBOR_E_TRAILING = -5, /* bytes after the first complete item */
	KDC_CBOR_E_DEPTH = -6,    /* nesting deeper than max_depth */
	KDC_CBOR_E_DUPKEY = -7,   /* a map key occurs twice */
	KDC_CBOR_E_TOO_MANY = -8, /* more items than max_items */
	KDC_CBOR_E_NOMEM = -9,    /* allocation failed */
};

struct kdc_cbor_limits {
	size_t max_size;    /* bytes; 0 = default (64 KiB) */
	unsigned max_depth; /* containers + tags; 0 = default (16) */
	size_t max_items;   /* data items in total; 0 = default (4096) */
};

/* Human-readable name of a kdc_cbor_err (never NULL). */
const char *kdc_cbor_strerror(int err);

/*
 * Decode exactly one CBOR data item from buf[0..len).  On success *out holds
 * a libcbor tree with reference count 1 (release it with cbor_decref()) and
 * KDC_CBOR_OK is returned; on failure *out is NULL and a negative
 * kdc_cbor_err is returned.  limits may be NULL for the defaults.
 */
int kdc_cbor_decode(const uint8_t *buf, size_t len,
                    const struct kdc_cbor_limits *limits, cbor_item_t **out);

/*
 * Accessors.  All take borrowed items and return borrowed items; none of
 * them changes reference counts.  They return false (or NULL) on a type
 * mismatch or when the value does not fit, so callers can answer 4.00.
 */

/* Map lookup by integer label (uint or negint key); NULL if absent or if
 * map is not a map. */
cbor_item_t *kdc_cbor_map_get(const cbor_item_t *map, int64_t label);
/* Map lookup by text-string key. */
cbor_item_t *kdc_cbor_map_get_str(const cbor_item_t *map, const char *key);

/* Integer (major type 0 or 1) into int64_t; false if out of range. */
bool kdc_cbor_get_int(const cbor_item_t *item, int64_t *out);
/* Unsigned integer (major type 0 only). */
bool kdc_cbor_get_uint(const cbor_item_t *item, uint64_t *out);
/* Definite byte string (decode normalised indefinite ones). */
bool kdc_cbor_get_bstr(const cbor_item_t *item, const uint8_t **p, size_t *n);
/* Definite text string (not NUL-terminated). */
bool kdc_cbor_get_tstr(const cbor_item_t *item, const char **p, size_t *n);
/* Boolean (simple values 20/21). */
bool kdc_cbor_get_bool(const cbor_item_t *item, bool *out);
/* True if item is the simple value null. */
bool kdc_cbor_is_null(const cbor_item_t *item);
/* Number of elements of an array (0 if not an array). */
size_t kdc_cbor_array_len(const cbor_item_t *item);
/* Borrowed element i of an array, NULL if out of range / not an array. */
cbor_item_t *kdc_cbor_array_at(const cbor_item_t *item, size_t i);
/* NumericDate: integer or floating point seconds, truncated toward zero. */
bool kdc_cbor_get_numericdate(const cbor_item_t *item, int64_t *out);
/* If item is a tag, its number and borrowed content; false otherwise. */
bool kdc_cbor_get_tag(const cbor_item_t *item, uint64_t *tag,
                      cbor_item_t **content);

#endif
