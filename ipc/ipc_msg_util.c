/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ipc_msg_util.c — the composite field types the message encoders and
 * decoders share: fixed-size names, views, optional views, bindings,
 * enumerations, Content-Formats and arrays of views.  Each writer refuses
 * exactly what the matching reader would reject.
 */
#include "ipc_priv.h"

#include <stdlib.h>
#include <string.h>

void
ipc_put_name(struct ipc_wbuf *w, const char *s, size_t size)
{
	size_t n = strnlen(s, size);

	if (n == size) { /* not terminated inside its array */
		w->failed = true;
		return;
	}
	ipc_put_str(w, s, n);
}

void
ipc_put_view(struct ipc_wbuf *w, const struct ipc_view *v)
{
	ipc_put_bytes(w, v->p, v->n);
}

void
ipc_put_textv(struct ipc_wbuf *w, const struct ipc_view *v)
{
	ipc_put_str(w, (const char *)v->p, v->n);
}

void
ipc_put_opt(struct ipc_wbuf *w, bool has, const struct ipc_view *v)
{
	ipc_put_bool(w, has);
	if (has)
		ipc_put_view(w, v);
}

void
ipc_put_binding(struct ipc_wbuf *w, const struct ipc_binding *b)
{
	ipc_put_raw(w, b->b, sizeof(b->b));
}

void
ipc_put_enum(struct ipc_wbuf *w, uint8_t v, uint8_t lo, uint8_t hi)
{
	if (v < lo || v > hi) {
		w->failed = true;
		return;
	}
	ipc_put_u8(w, v);
}

void
ipc_put_cf(struct ipc_wbuf *w, int32_t cf)
{
	/* CoAP Content-Format is a uint16 (RFC 7252 §12.3); -1 = none. */
	if (cf < -1 || cf > 65535) {
		w->failed = true;
		return;
	}
	ipc_put_i32(w, cf);
}

int
ipc_enc_result(const struct ipc_wbuf *w)
{
	return ipc_wbuf_ok(w) ? 0 : -1;
}

bool
ipc_get_view(struct ipc_rbuf *r, struct ipc_view *v, size_t max)
{
	return ipc_get_bytes(r, &v->p, &v->n, max);
}

bool
ipc_get_textv(struct ipc_rbuf *r, struct ipc_view *v, size_t max)
{
	const char *s;

	if (!ipc_get_strv(r, &s, &v->n, max))
		return false;
	v->p = (const uint8_t *)s;
	return true;
}

bool
ipc_get_opt(struct ipc_rbuf *r, bool *has, struct ipc_view *v)
{
	v->p = NULL;
	v->n = 0;
	if (!ipc_get_bool(r, has))
		return false;
	return !*has || ipc_get_view(r, v, IPC_MAX_PAYLOAD);
}

bool
ipc_get_binding(struct ipc_rbuf *r, struct ipc_binding *b)
{
	return ipc_get_raw(r, b->b, sizeof(b->b));
}

bool
ipc_get_enum(struct ipc_rbuf *r, uint8_t *v, uint8_t lo, uint8_t hi)
{
	if (!ipc_get_u8(r, v))
		return false;
	if (*v < lo || *v > hi) {
		r->failed = true;
		return false;
	}
	return true;
}

bool
ipc_get_cf(struct ipc_rbuf *r, int32_t *cf)
{
	if (!ipc_get_i32(r, cf))
		return false;
	if (*cf < -1 || *cf > 65535) {
		r->failed = true;
		return false;
	}
	return true;
}

void
ipc_put_views(struct ipc_wbuf *w, uint32_t n, const struct ipc_view *v,
              bool text)
{
	if (n > IPC_MAX_LIST || (n > 0 && v == NULL)) {
		w->failed = true;
		return;
	}
	ipc_put_u32(w, n);
	for (uint32_t i = 0; i < n && !w->failed; i++) {
		if (text)
			ipc_put_textv(w, &v[i]);
		else
			ipc_put_view(w, &v[i]);
	}
}

bool
ipc_get_views(struct ipc_rbuf *r, uint32_t *n, struct ipc_view **out, bool text,
              size_t max_each)
{
	struct ipc_view *v = NULL;
	uint32_t c;

	*n = 0;
	*out = NULL;
	/* Each element is at least its 4-byte length. */
	if (!ipc_get_count(r, &c, IPC_MAX_LIST, 4))
		return false;
	if (c > 0) {
		v = calloc(c, sizeof(*v));
		if (v == NULL) {
			r->failed = true;
			return false;
		}
	}
	for (uint32_t i = 0; i < c; i++) {
		bool ok = text ? ipc_get_textv(r, &v[i], max_each)
		               : ipc_get_view(r, &v[i], max_each);
		if (!ok) {
			free(v);
			return false;
		}
	}
	*n = c;
	*out = v;
	return true;
}

int
ipc_dec_result(struct ipc_rbuf *r)
{
	return ipc_get_end(r) ? 0 : -1;
}
