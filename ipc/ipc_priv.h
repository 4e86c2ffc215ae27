/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ipc_priv.h — helpers shared by the files of libkdc_ipc; not part of the
 * library's interface (nothing outside ipc/ includes this).
 */
#ifndef KDC_IPC_PRIV_H
#define KDC_IPC_PRIV_H

#include "ipc_msg.h"
#include "ipc_wire.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

/* ---- field helpers of the typed encoders/decoders (ipc_msg_util.c) ---- */

/* A NUL-terminated name held in char[size]: fails the writer if it is not
 * terminated inside the array (so the reader could never accept it). */
void ipc_put_name(struct ipc_wbuf *w, const char *s, size_t size);
void ipc_put_view(struct ipc_wbuf *w, const struct ipc_view *v);
/* A view that holds text: fails the writer on NUL. */
void ipc_put_textv(struct ipc_wbuf *w, const struct ipc_view *v);
/* bool has, then the view only when has. */
void ipc_put_opt(struct ipc_wbuf *w, bool has, const struct ipc_view *v);
void ipc_put_binding(struct ipc_wbuf *w, const struct ipc_binding *b);
/* An enumeration stored as u8: fails the writer outside [lo, hi]. */
void ipc_put_enum(struct ipc_wbuf *w, uint8_t v, uint8_t lo, uint8_t hi);
/* A CoAP Content-Format or -1 for none. */
void ipc_put_cf(struct ipc_wbuf *w, int32_t cf);
/* 0 if the writer is fine, else -1. */
int ipc_enc_result(const struct ipc_wbuf *w);

bool ipc_get_view(struct ipc_rbuf *r, struct ipc_view *v, size_t max);
bool ipc_get_textv(struct ipc_rbuf *r, struct ipc_view *v, size_t max);
bool ipc_get_opt(struct ipc_rbuf *r, bool *has, struct ipc_view *v);
bool ipc_get_binding(struct ipc_rbuf *r, struct ipc_binding *b);
bool ipc_get_enum(struct ipc_rbuf *r, uint8_t *v, uint8_t lo, uint8_t hi);
bool ipc_get_cf(struct ipc_rbuf *r, int32_t *cf);
/* count, then that many length-prefixed views (malloc'd array, NULL when
 * empty; freed again on failure). */
bool ipc_get_views(struct ipc_rbuf *r, uint32_t *n, struct ipc_view **out,
                   bool text, size_t max_each);
void ipc_put_views(struct ipc_wbuf *w, uint32_t n, const struct ipc_view *v,
                   bool text);
/* 0 if the reader consumed everything without failing, else -1. */
int ipc_dec_result(struct ipc_rbuf *r);

/* ---- frames and receive buffers (ipc_frame.c) ---- */

/* One outgoing frame (header + payload) with its libuv write request,
 * allocated in one piece; the bytes are wiped before it is freed since
 * payloads may hold keying material. */
struct ipc_frame_out {
	uv_write_t req;
	void *owner;
	size_t len; /* IPC_HDR_LEN + payload length */
	uint8_t data[];
};
struct ipc_frame_out *ipc_frame_new(uint16_t type, uint16_t flags,
                                    uint32_t reqid, const uint8_t *payload,
                                    size_t len);
void ipc_frame_free(struct ipc_frame_out *f);

/* Receive buffer with frame reassembly.  Bytes [off, len) are unread.
 * Consumed bytes are wiped when the buffer is compacted or freed. */
struct ipc_rx {
	uint8_t *p;
	size_t off;
	size_t len;
	size_t cap;
};
void ipc_rx_init(struct ipc_rx *rx);
void ipc_rx_free(struct ipc_rx *rx);
/* Room to read into: at least `min` free bytes and enough for the frame
 * whose header is already buffered.  Returns false on allocation failure. */
bool ipc_rx_reserve(struct ipc_rx *rx, size_t min);
/* The next complete frame: 1 with *h and *payload set (valid until the
 * next ipc_rx_* call), 0 if more bytes are needed, -1 on a bad header. */
int ipc_rx_next(struct ipc_rx *rx, struct ipc_hdr *h, const uint8_t **payload);
/* Move unread bytes to the front and wipe what was consumed; a drained
 * buffer above 256 KiB is released. */
void ipc_rx_compact(struct ipc_rx *rx);

/* Short form of a frame's flags for log lines: "RM", "P", "-". */
const char *ipc_flags_str(uint16_t flags, char *buf, size_t size);

#endif
