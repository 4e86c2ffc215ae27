/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fe_req.h — request preambles shared by the handlers: the secure-channel
 * check (RFC 9594 §4.1.2: a group request needs a DTLS session bound to a
 * valid token, else 4.01), keystore availability (5.03 + Max-Age),
 * Content-Format (4.15), Accept (4.06), payload size (4.13) and the bounded
 * CBOR decode (4.00).
 */
#ifndef KDC_FE_REQ_H
#define KDC_FE_REQ_H

#include "fe.h"

#include "cbor_in.h"

struct fe_req {
	coap_resource_t *r;
	coap_session_t *s;
	const coap_pdu_t *req;
	const coap_string_t *q;
	coap_pdu_t *resp;
	struct fe_sess *sess;
	struct fe_binding *binding;
	char group[KDC_GNAME_MAX + 1];
	char rest[IPC_NODE_MAX + 16]; /* path after the group: "num", ... */
	struct fe_group *g;
	const uint8_t *payload;
	size_t payload_len;
};

void fe_req_init(struct fe_req *x, coap_resource_t *r, coap_session_t *s,
                 const coap_pdu_t *req, const coap_string_t *q,
                 coap_pdu_t *resp);
/* Error shorthands (answer and return -1). */
int fe_req_fail(struct fe_req *x, int code, const char *detail);
int fe_req_problem(struct fe_req *x, int code, int error_id,
                   const char *detail);
/* DTLS session with a live binding (4.01), keystore up is NOT checked. */
int fe_req_secure(struct fe_req *x);
/* The group of the path (4.04 if unknown; 4.04 err 6 if deleted). */
int fe_req_group(struct fe_req *x);
/* Content-Format must be one of cfs (n of them; -1 in the list allows an
 * absent option) → else 4.15. */
int fe_req_content_format(struct fe_req *x, const int *cfs, size_t n,
                          int *found);
/* Accept, if present, must equal cf → else 4.06. */
int fe_req_accept(struct fe_req *x, int cf);
/* Payload (block-wise reassembled) within the configured bound (4.13). */
int fe_req_payload(struct fe_req *x);
/* Decode the payload as CBOR (4.00 on failure); *out owned by caller. */
int fe_req_cbor(struct fe_req *x, cbor_item_t **out);
/* Keystore up, else 5.03 with Max-Age. */
int fe_req_keystore(struct fe_req *x);
/* Send a typed request asynchronously (5.03 if it cannot be sent).
 * enc_rc is the encoder's result: the IPC encoders refuse values their
 * decoders would reject (e.g. a NUL in a text field), and such a request is
 * the client's fault: 4.00, never a frame that would cost the keystore
 * connection. */
void fe_req_forward(struct fe_req *x, uint16_t type, struct ipc_wbuf *w,
                    int enc_rc, bool observe);

/* GET nodes/NODENAME, cached when possible (fe_reads.c). */
void fe_read_node(struct fe_req *x, const char *node);

#endif
