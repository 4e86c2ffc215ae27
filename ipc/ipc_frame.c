/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ipc_frame.c — outgoing frame buffers and the receive buffer that
 * reassembles frames from a byte stream.  Both may hold keying material,
 * so every byte is wiped before its memory is released.
 */
#include "ipc_priv.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A drained receive buffer larger than this is released. */
#define RX_KEEP_MAX ((size_t)256 * 1024)

struct ipc_frame_out *
ipc_frame_new(uint16_t type, uint16_t flags, uint32_t reqid,
              const uint8_t *payload, size_t len)
{
	struct ipc_frame_out *f;
	struct ipc_hdr h;

	if (len > IPC_MAX_PAYLOAD || (flags & ~IPC_F_KNOWN) != 0)
		return NULL;
	f = malloc(sizeof(*f) + IPC_HDR_LEN + len);
	if (f == NULL)
		return NULL;
	memset(f, 0, sizeof(*f));
	h.len = (uint32_t)len;
	h.type = type;
	h.flags = flags;
	h.reqid = reqid;
	ipc_hdr_encode(f->data, &h);
	if (len > 0)
		memcpy(f->data + IPC_HDR_LEN, payload, len);
	f->len = IPC_HDR_LEN + len;
	return f;
}

void
ipc_frame_free(struct ipc_frame_out *f)
{
	if (f == NULL)
		return;
	sodium_memzero(f->data, f->len);
	free(f);
}

void
ipc_rx_init(struct ipc_rx *rx)
{
	memset(rx, 0, sizeof(*rx));
}

void
ipc_rx_free(struct ipc_rx *rx)
{
	if (rx->p != NULL) {
		sodium_memzero(rx->p, rx->cap);
		free(rx->p);
	}
	ipc_rx_init(rx);
}

bool
ipc_rx_reserve(struct ipc_rx *rx, size_t min)
{
	size_t want = min, cap;
	uint8_t *p;

	/* A frame whose header is buffered tells how much is coming. */
	if (rx->len - rx->off >= IPC_HDR_LEN) {
		const uint8_t *q = rx->p + rx->off;
		size_t flen = (size_t)q[0] | (size_t)q[1] << 8 |
		              (size_t)q[2] << 16 | (size_t)q[3] << 24;

		if (flen <= IPC_MAX_PAYLOAD &&
		    IPC_HDR_LEN + flen > rx->len - rx->off &&
		    IPC_HDR_LEN + flen - (rx->len - rx->off) > want)
			want = IPC_HDR_LEN + flen - (rx->len - rx->off);
	}
	if (rx->cap - rx->len >= want)
		return true;
	ipc_rx_compact(rx);
	if (rx->cap - rx->len >= want)
		return true;
	cap = rx->len + want;
	if (cap < 2 * rx->cap)
		cap = 2 * rx->cap;
	p = malloc(cap);
	if (p == NULL)
		return false;
	if (rx->p != NULL) {
		memcpy(p, rx->p, rx->len);
		sodium_memzero(rx->p, rx->cap);
		free(rx->p);
	}
	rx->p = p;
	rx->cap = cap;
	return true;
}

int
ipc_rx_next(struct ipc_rx *rx, struct ipc_hdr *h, const uint8_t **payload)
{
	size_t avail = rx->len - rx->off;

	if (avail < IPC_HDR_LEN)
		return 0;
	if (ipc_hdr_decode(rx->p + rx->off, h) != 0)
		return -1;
	if (avail - IPC_HDR_LEN < h->len)
		return 0;
	*payload = rx->p + rx->off + IPC_HDR_LEN;
	rx->off += IPC_HDR_LEN + h->len;
	return 1;
}

void
ipc_rx_compact(struct ipc_rx *rx)
{
	size_t left;

	/* Drained after a large frame: give the memory back. */
	if (rx->off == rx->len && rx->cap > RX_KEEP_MAX) {
		ipc_rx_free(rx);
		return;
	}
	if (rx->off == 0)
		return;
	left = rx->len - rx->off;
	memmove(rx->p, rx->p + rx->off, left);
	sodium_memzero(rx->p + left, rx->len - left);
	rx->len = left;
	rx->off = 0;
}

const char *
ipc_flags_str(uint16_t flags, char *buf, size_t size)
{
	snprintf(buf, size, "%s%s%s%s%s", flags == 0 ? "-" : "",
	         (flags & IPC_F_REPLY) ? "R" : "",
	         (flags & IPC_F_PUSH) ? "P" : "",
	         (flags & IPC_F_MORE) ? "M" : "",
	         (flags & ~IPC_F_KNOWN) ? "?" : "");
	return buf;
}
