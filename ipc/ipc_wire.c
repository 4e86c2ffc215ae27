/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ipc_wire.c — frame headers and the typed field writer/reader of the
 * keystore protocol (docs/DESIGN.md §4).  Everything is little-endian;
 * the reader never trusts a length before checking it against what is
 * left, and once it fails it stays failed (OpenSMTPD m_get_*()/m_end()).
 */
#include "ipc_wire.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define WBUF_MIN_CAP 256

static void
le16(uint8_t *o, uint16_t v)
{
	o[0] = (uint8_t)v;
	o[1] = (uint8_t)(v >> 8);
}

static void
le32(uint8_t *o, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		o[i] = (uint8_t)(v >> (8 * i));
}

static void
le64(uint8_t *o, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		o[i] = (uint8_t)(v >> (8 * i));
}

static uint16_t
rd16(const uint8_t *i)
{
	return (uint16_t)(i[0] | (uint16_t)i[1] << 8);
}

static uint32_t
rd32(const uint8_t *i)
{
	uint32_t v = 0;

	for (int k = 3; k >= 0; k--)
		v = v << 8 | i[k];
	return v;
}

static uint64_t
rd64(const uint8_t *i)
{
	uint64_t v = 0;

	for (int k = 7; k >= 0; k--)
		v = v << 8 | i[k];
	return v;
}

/* ---- header ---- */

void
ipc_hdr_encode(uint8_t out[IPC_HDR_LEN], const struct ipc_hdr *h)
{
	le32(out, h->len);
	le16(out + 4, h->type);
	le16(out + 6, h->flags);
	le32(out + 8, h->reqid);
}

int
ipc_hdr_decode(const uint8_t in[IPC_HDR_LEN], struct ipc_hdr *h)
{
	struct ipc_hdr t;

	t.len = rd32(in);
	t.type = rd16(in + 4);
	t.flags = rd16(in + 6);
	t.reqid = rd32(in + 8);
	if (t.len > IPC_MAX_PAYLOAD)
		return -1;
	if ((t.flags & ~IPC_F_KNOWN) != 0)
		return -1;
	if ((t.flags & IPC_F_REPLY) && (t.flags & IPC_F_PUSH))
		return -1;
	/* A stream continues only a reply; pushes answer nobody. */
	if ((t.flags & IPC_F_MORE) && !(t.flags & IPC_F_REPLY))
		return -1;
	if ((t.flags & IPC_F_PUSH) && t.reqid != 0)
		return -1;
	*h = t;
	return 0;
}

/* ---- writer ---- */

void
ipc_wbuf_init(struct ipc_wbuf *w)
{
	memset(w, 0, sizeof(*w));
}

void
ipc_wbuf_free(struct ipc_wbuf *w)
{
	if (w->p != NULL) {
		if (w->secret)
			sodium_memzero(w->p, w->cap);
		free(w->p);
	}
	ipc_wbuf_init(w);
}

bool
ipc_wbuf_ok(const struct ipc_wbuf *w)
{
	return !w->failed;
}

/* Room for n more bytes.  The old buffer is copied and wiped rather than
 * realloc'd: `secret` may be set after the first bytes were written, and
 * realloc would leave a copy behind. */
static bool
wbuf_reserve(struct ipc_wbuf *w, size_t n)
{
	size_t cap;
	uint8_t *p;

	if (w->failed)
		return false;
	if (n > IPC_MAX_PAYLOAD || w->len > IPC_MAX_PAYLOAD - n) {
		w->failed = true;
		return false;
	}
	if (w->cap - w->len >= n)
		return true;
	cap = w->cap < WBUF_MIN_CAP ? WBUF_MIN_CAP : w->cap;
	while (cap - w->len < n)
		cap *= 2;
	if (cap > IPC_MAX_PAYLOAD)
		cap = IPC_MAX_PAYLOAD;
	p = malloc(cap);
	if (p == NULL) {
		w->failed = true;
		return false;
	}
	if (w->p != NULL) {
		memcpy(p, w->p, w->len);
		sodium_memzero(w->p, w->cap);
		free(w->p);
	}
	w->p = p;
	w->cap = cap;
	return true;
}

void
ipc_put_raw(struct ipc_wbuf *w, const uint8_t *p, size_t n)
{
	if (!wbuf_reserve(w, n))
		return;
	if (n > 0)
		memcpy(w->p + w->len, p, n);
	w->len += n;
}

void
ipc_put_u8(struct ipc_wbuf *w, uint8_t v)
{
	ipc_put_raw(w, &v, 1);
}

void
ipc_put_u16(struct ipc_wbuf *w, uint16_t v)
{
	uint8_t b[2];

	le16(b, v);
	ipc_put_raw(w, b, sizeof(b));
}

void
ipc_put_u32(struct ipc_wbuf *w, uint32_t v)
{
	uint8_t b[4];

	le32(b, v);
	ipc_put_raw(w, b, sizeof(b));
}

void
ipc_put_u64(struct ipc_wbuf *w, uint64_t v)
{
	uint8_t b[8];

	le64(b, v);
	ipc_put_raw(w, b, sizeof(b));
}

void
ipc_put_i32(struct ipc_wbuf *w, int32_t v)
{
	ipc_put_u32(w, (uint32_t)v);
}

void
ipc_put_i64(struct ipc_wbuf *w, int64_t v)
{
	ipc_put_u64(w, (uint64_t)v);
}

void
ipc_put_bool(struct ipc_wbuf *w, bool v)
{
	ipc_put_u8(w, v ? 1 : 0);
}

void
ipc_put_bytes(struct ipc_wbuf *w, const uint8_t *p, size_t n)
{
	if (n > IPC_MAX_PAYLOAD || (n > 0 && p == NULL)) {
		w->failed = true;
		return;
	}
	if (!wbuf_reserve(w, 4 + n))
		return;
	ipc_put_u32(w, (uint32_t)n);
	ipc_put_raw(w, p, n);
}

void
ipc_put_str(struct ipc_wbuf *w, const char *s, size_t n)
{
	/* The reader rejects a NUL inside a string: refuse it here, so that a
	 * peer's bad input fails the sender's encoder instead of getting the
	 * sender's connection dropped by the receiver. */
	if (n > 0 && (s == NULL || memchr(s, '\0', n) != NULL)) {
		w->failed = true;
		return;
	}
	ipc_put_bytes(w, (const uint8_t *)s, n);
}

void
ipc_put_strz(struct ipc_wbuf *w, const char *s)
{
	ipc_put_str(w, s, s == NULL ? 0 : strlen(s));
}

/* ---- reader ---- */

void
ipc_rbuf_init(struct ipc_rbuf *r, const uint8_t *p, size_t len)
{
	r->p = p;
	r->len = p == NULL ? 0 : len;
	r->off = 0;
	r->failed = false;
}

static size_t
rbuf_left(const struct ipc_rbuf *r)
{
	return r->len - r->off;
}

/* A pointer to the next n bytes and advance, or NULL (and fail). */
static const uint8_t *
rbuf_take(struct ipc_rbuf *r, size_t n)
{
	static const uint8_t empty[1];
	const uint8_t *p;

	if (r->failed || n > rbuf_left(r)) {
		r->failed = true;
		return NULL;
	}
	/* Never hand out NULL for an empty field: callers memcpy from it. */
	p = r->p != NULL ? r->p + r->off : empty;
	r->off += n;
	return p;
}

bool
ipc_get_raw(struct ipc_rbuf *r, uint8_t *out, size_t n)
{
	const uint8_t *p = rbuf_take(r, n);

	if (p == NULL)
		return false;
	if (n > 0)
		memcpy(out, p, n);
	return true;
}

bool
ipc_get_u8(struct ipc_rbuf *r, uint8_t *v)
{
	const uint8_t *p = rbuf_take(r, 1);

	if (p == NULL)
		return false;
	*v = p[0];
	return true;
}

bool
ipc_get_u16(struct ipc_rbuf *r, uint16_t *v)
{
	const uint8_t *p = rbuf_take(r, 2);

	if (p == NULL)
		return false;
	*v = rd16(p);
	return true;
}

bool
ipc_get_u32(struct ipc_rbuf *r, uint32_t *v)
{
	const uint8_t *p = rbuf_take(r, 4);

	if (p == NULL)
		return false;
	*v = rd32(p);
	return true;
}

bool
ipc_get_u64(struct ipc_rbuf *r, uint64_t *v)
{
	const uint8_t *p = rbuf_take(r, 8);

	if (p == NULL)
		return false;
	*v = rd64(p);
	return true;
}

bool
ipc_get_i32(struct ipc_rbuf *r, int32_t *v)
{
	uint32_t u;

	if (!ipc_get_u32(r, &u))
		return false;
	*v = (int32_t)u;
	return true;
}

bool
ipc_get_i64(struct ipc_rbuf *r, int64_t *v)
{
	uint64_t u;

	if (!ipc_get_u64(r, &u))
		return false;
	*v = (int64_t)u;
	return true;
}

bool
ipc_get_bool(struct ipc_rbuf *r, bool *v)
{
	uint8_t b;

	if (!ipc_get_u8(r, &b))
		return false;
	if (b > 1) {
		r->failed = true;
		return false;
	}
	*v = b == 1;
	return true;
}

bool
ipc_get_bytes(struct ipc_rbuf *r, const uint8_t **p, size_t *n, size_t max)
{
	uint32_t len;
	const uint8_t *q;

	if (!ipc_get_u32(r, &len))
		return false;
	if (len > max) {
		r->failed = true;
		return false;
	}
	q = rbuf_take(r, len);
	if (q == NULL)
		return false;
	*p = q;
	*n = len;
	return true;
}

bool
ipc_get_strv(struct ipc_rbuf *r, const char **p, size_t *n, size_t max)
{
	const uint8_t *q;
	size_t len;

	if (!ipc_get_bytes(r, &q, &len, max))
		return false;
	if (len > 0 && memchr(q, '\0', len) != NULL) {
		r->failed = true;
		return false;
	}
	*p = (const char *)q;
	*n = len;
	return true;
}

bool
ipc_get_str(struct ipc_rbuf *r, char *out, size_t out_size)
{
	const char *p;
	size_t n;

	if (out_size == 0) {
		r->failed = true;
		return false;
	}
	if (!ipc_get_strv(r, &p, &n, out_size - 1))
		return false;
	memcpy(out, p, n);
	out[n] = '\0';
	return true;
}

bool
ipc_get_count(struct ipc_rbuf *r, uint32_t *v, uint32_t max,
              size_t min_elem_size)
{
	uint32_t c;

	if (!ipc_get_u32(r, &c))
		return false;
	if (c > max ||
	    (min_elem_size > 0 && c > rbuf_left(r) / min_elem_size)) {
		r->failed = true;
		return false;
	}
	*v = c;
	return true;
}

bool
ipc_get_end(struct ipc_rbuf *r)
{
	if (!r->failed && r->off != r->len)
		r->failed = true;
	return !r->failed;
}
