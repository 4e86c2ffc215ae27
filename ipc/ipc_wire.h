/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ipc_wire.h — frames and typed marshalling of the keystore protocol.
 *
 * Frame: 12-byte little-endian header { u32 len, u16 type, u16 flags,
 * u32 reqid } followed by len payload bytes (len <= IPC_MAX_PAYLOAD).
 * Payload: a fixed sequence of typed fields per message type, written with
 * ipc_put_*() and read back in the same order with ipc_get_*(); any short
 * read, invalid value (bool not 0/1, string with NUL or over its limit) or
 * leftover byte makes the reader fail, and the frame is rejected whole
 * (OpenSMTPD's m_get_*()/m_end() discipline).
 */
#ifndef KDC_IPC_WIRE_H
#define KDC_IPC_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IPC_HDR_LEN     12
#define IPC_MAX_PAYLOAD ((size_t)8 * 1024 * 1024)
#define IPC_MAX_STR     4096 /* default bound for strings */

enum ipc_flags {
	IPC_F_REPLY = 1u << 0, /* answers the request with the same reqid */
	IPC_F_PUSH = 1u << 1,  /* unsolicited, reqid 0 */
	IPC_F_MORE = 1u << 2,  /* a reply that another reply frame follows */
};
#define IPC_F_KNOWN (IPC_F_REPLY | IPC_F_PUSH | IPC_F_MORE)

struct ipc_hdr {
	uint32_t len;
	uint16_t type;
	uint16_t flags;
	uint32_t reqid;
};

void ipc_hdr_encode(uint8_t out[IPC_HDR_LEN], const struct ipc_hdr *h);
/* Decode and check the header: length bound, known flag bits, REPLY and PUSH
 * not both set, MORE only on a REPLY, a PUSH carries reqid 0.  Returns 0 or
 * -1. */
int ipc_hdr_decode(const uint8_t in[IPC_HDR_LEN], struct ipc_hdr *h);

/* Writer.  Errors are sticky (allocation failure, exceeding
 * IPC_MAX_PAYLOAD, or a value the reader would reject such as a string
 * holding a NUL); check ipc_wbuf_ok() once at the end.  If the payload may
 * carry secrets, set `secret` so that free wipes it (buffers outgrown while
 * writing are always wiped).  ipc_wbuf_free() leaves w initialised. */
struct ipc_wbuf {
	uint8_t *p;
	size_t len;
	size_t cap;
	bool failed;
	bool secret;
};
void ipc_wbuf_init(struct ipc_wbuf *w);
void ipc_wbuf_free(struct ipc_wbuf *w);
bool ipc_wbuf_ok(const struct ipc_wbuf *w);
void ipc_put_u8(struct ipc_wbuf *w, uint8_t v);
void ipc_put_u16(struct ipc_wbuf *w, uint16_t v);
void ipc_put_u32(struct ipc_wbuf *w, uint32_t v);
void ipc_put_u64(struct ipc_wbuf *w, uint64_t v);
void ipc_put_i32(struct ipc_wbuf *w, int32_t v);
void ipc_put_i64(struct ipc_wbuf *w, int64_t v);
void ipc_put_bool(struct ipc_wbuf *w, bool v);
/* u32 length then the bytes. */
void ipc_put_bytes(struct ipc_wbuf *w, const uint8_t *p, size_t n);
/* u32 length then the characters (no terminating NUL on the wire). */
void ipc_put_str(struct ipc_wbuf *w, const char *s, size_t n);
void ipc_put_strz(struct ipc_wbuf *w, const char *s);
/* Exactly n bytes, no length prefix (fixed-size fields such as bindings). */
void ipc_put_raw(struct ipc_wbuf *w, const uint8_t *p, size_t n);

/* Reader over a received payload (borrowed).  Failures are sticky: once a
 * get fails, every later get fails too, so a decoder may read all fields
 * and check ipc_get_end() once. */
struct ipc_rbuf {
	const uint8_t *p;
	size_t len;
	size_t off;
	bool failed;
};
void ipc_rbuf_init(struct ipc_rbuf *r, const uint8_t *p, size_t len);
bool ipc_get_u8(struct ipc_rbuf *r, uint8_t *v);
bool ipc_get_u16(struct ipc_rbuf *r, uint16_t *v);
bool ipc_get_u32(struct ipc_rbuf *r, uint32_t *v);
bool ipc_get_u64(struct ipc_rbuf *r, uint64_t *v);
bool ipc_get_i32(struct ipc_rbuf *r, int32_t *v);
bool ipc_get_i64(struct ipc_rbuf *r, int64_t *v);
bool ipc_get_bool(struct ipc_rbuf *r, bool *v);
/* Exactly n bytes copied into out (the counterpart of ipc_put_raw). */
bool ipc_get_raw(struct ipc_rbuf *r, uint8_t *out, size_t n);
/* Zero-copy view into the payload; fails if longer than max.  An empty
 * value still yields a non-NULL pointer. */
bool ipc_get_bytes(struct ipc_rbuf *r, const uint8_t **p, size_t *n,
                   size_t max);
/* Copy into out[0..out_size) NUL-terminated; fails if the string holds a
 * NUL or does not fit (out_size - 1 characters at most). */
bool ipc_get_str(struct ipc_rbuf *r, char *out, size_t out_size);
/* Zero-copy string view (not NUL-terminated); fails on NUL or > max. */
bool ipc_get_strv(struct ipc_rbuf *r, const char **p, size_t *n, size_t max);
/* Bounded element count for arrays: fails if v > max or if v elements of
 * at least min_elem_size bytes cannot fit in what remains. */
bool ipc_get_count(struct ipc_rbuf *r, uint32_t *v, uint32_t max,
                   size_t min_elem_size);
/* True iff nothing failed and every byte was consumed. */
bool ipc_get_end(struct ipc_rbuf *r);

#endif
