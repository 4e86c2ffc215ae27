/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target for kdc_cbor_decode() and kdc_cw_item().
 *
 * Properties checked beyond "no crash, no leak":
 *   - the accessors accept every decoded tree;
 *   - re-encoding a decoded tree gives CBOR that decodes again and
 *     re-encodes to the same bytes (deterministic encoding is a fixed
 *     point), with no indefinite-length strings left after decoding.
 */
#include "cbor_in.h"
#include "cbor_out.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
walk(const cbor_item_t *it, unsigned depth)
{
	const uint8_t *p;
	const char *s;
	size_t n, i;
	int64_t v;
	uint64_t u;
	bool b;
	cbor_item_t *c;

	if (depth > 2000)
		abort();
	(void)kdc_cbor_get_int(it, &v);
	(void)kdc_cbor_get_uint(it, &u);
	(void)kdc_cbor_get_numericdate(it, &v);
	(void)kdc_cbor_get_bool(it, &b);
	(void)kdc_cbor_is_null(it);
	/* decoded strings are always definite */
	if (cbor_isa_bytestring(it) && !kdc_cbor_get_bstr(it, &p, &n))
		abort();
	if (cbor_isa_string(it) && !kdc_cbor_get_tstr(it, &s, &n))
		abort();
	if (kdc_cbor_get_tag(it, &u, &c))
		walk(c, depth + 1);
	n = kdc_cbor_array_len(it);
	for (i = 0; i < n; i++)
		walk(kdc_cbor_array_at(it, i), depth + 1);
	if (cbor_isa_map(it)) {
		struct cbor_pair *pr = cbor_map_handle(it);

		n = cbor_map_size(it);
		for (i = 0; i < n; i++) {
			walk(pr[i].key, depth + 1);
			walk(pr[i].value, depth + 1);
			/* lookups find the first (and only) equal key */
			if (kdc_cbor_get_int(pr[i].key, &v) &&
			    kdc_cbor_map_get(it, v) != pr[i].value)
				abort();
		}
		(void)kdc_cbor_map_get_str(it, "a");
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Re-encoding can grow an input (an indefinite array of 256 items
	 * gets a 3-byte head): allow twice the size for the second pass. */
	const struct kdc_cbor_limits first = {4096, 32, 4096};
	const struct kdc_cbor_limits second = {8192, 32, 4096};
	cbor_item_t *it, *again;
	struct kdc_cw w1, w2;
	int rc;

	rc = kdc_cbor_decode(data, size, &first, &it);
	if (rc != KDC_CBOR_OK) {
		if (it != NULL || rc >= 0 || kdc_cbor_strerror(rc) == NULL)
			abort();
		return 0;
	}
	walk(it, 0);

	kdc_cw_init(&w1);
	kdc_cw_init(&w2);
	kdc_cw_item(&w1, it);
	if (!kdc_cw_ok(&w1))
		abort();
	rc = kdc_cbor_decode(w1.buf, w1.len, &second, &again);
	if (rc != KDC_CBOR_OK)
		abort();
	kdc_cw_item(&w2, again);
	if (!kdc_cw_ok(&w2) || w1.len != w2.len ||
	    memcmp(w1.buf, w2.buf, w1.len) != 0)
		abort();
	/* the map-append helper on whatever map came out */
	if (w1.len > 0 && (w1.buf[0] >> 5) == 5) {
		struct kdc_cw w3;

		kdc_cw_init(&w3);
		if (kdc_cbor_map_append_uint(&w3, w1.buf, w1.len, 12, 1)) {
			cbor_item_t *m;

			/* 12 may already be a key: then DUPKEY is right */
			rc = kdc_cbor_decode(w3.buf, w3.len, &second, &m);
			if (rc == KDC_CBOR_OK)
				cbor_decref(&m);
			else if (rc != KDC_CBOR_E_DUPKEY &&
			         rc != KDC_CBOR_E_TOO_MANY)
				abort();
		}
		kdc_cw_free(&w3);
	}
	kdc_cw_free(&w1);
	kdc_cw_free(&w2);
	cbor_decref(&again);
	cbor_decref(&it);
	return 0;
}
