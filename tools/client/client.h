/* SPDX-License-Identifier: Apache-2.0 */
/*
 * client.h — kdc-client, the reference device.  It is the worked example of
 * the device side of RFC 9594 with the Group OSCORE profile over the ACE
 * DTLS profile (RFC 9202), kept small on purpose:
 *
 *   token.c     POST the access token to /authz-info, keep N_S and sign_info
 *   coap.c      one CoAP exchange at a time over libcoap (plain or DTLS-PSK)
 *   join.c      Join with a credential and its proof of possession
 *   group.c     print the keying material, verify the KDC's PoP, observe
 *   node.c      key renewal, credential update, leave
 *   main.c      options and the order of the steps
 */
#ifndef KDC_CLIENT_H
#define KDC_CLIENT_H

#include "cbor_in.h"
#include "cbor_out.h"
#include "cose.h"
#include "gm_material.h"
#include "scope.h"

#include <coap3/coap.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cl_response {
	int code; /* 201 for 2.01 ... */
	int content_format;
	uint8_t *payload; /* malloc'd, may hold keying material */
	size_t len;
	char location[256]; /* Location-Path joined with '/' */
	bool done;
	bool observe; /* carried an Observe option */
};

struct cl {
	coap_context_t *ctx;
	coap_session_t *plain;
	coap_session_t *dtls;
	const char *host;
	uint16_t port, dtls_port;
	uint16_t local_port; /* fixed local DTLS port (control URI) */
	bool control;        /* host a control resource (RFC 9594 §4.3.1) */
	/* proof-of-possession key of the token (PSK mode) */
	char kid[64];
	/* token-in-handshake variant (RFC 9202 §3.3.2): the identity is the
	 * base64url of the token, N_S the DTLS exporter value (GO §6.1.1) */
	char identity[2048];
	uint8_t psk[64];
	size_t psk_len;
	/* the group and the roles asked for */
	char group[KDC_GNAME_MAX + 1];
	uint64_t perm;
	/* N_S from /authz-info (kdcchallenge) */
	uint8_t ns[64];
	size_t ns_len;
	/* the group credential (CCS) and its private key */
	struct kdc_cose_key cred_key;
	uint8_t cred[512];
	size_t cred_len;
	int64_t sign_alg;
	/* what the Join gave back */
	char node[128];
	uint8_t scope[256]; /* the Join's scope, exactly as sent */
	size_t scope_len;
	uint8_t nc[16];
	uint64_t num;
	bool show_secrets;
	bool json;
	int timeout_s;
	/* the exchange in progress */
	struct cl_response *resp;
	uint8_t token[8];
	size_t token_len;
	/* Block2 (RFC 7959 §2.4) of the exchange in progress, followed here
	 * rather than by libcoap: libcoap 4.3.1's client drops a Block2 body
	 * that arrives in a separate response to a CON request, which is how
	 * the KDC answers after a keystore round trip (fixed upstream in
	 * 4.3.5).  The request is kept to ask for the next block. */
	struct {
		coap_session_t *session;
		coap_pdu_code_t method;
		const char *path;
		int content_format;
		uint8_t *body; /* blocks received so far (may hold secrets) */
		size_t len;
		uint32_t next_num; /* the block to ask for next; 0 = none */
		unsigned szx;
		bool ask; /* next_num is still to be asked for */
	} blk;
	void (*on_notify)(struct cl *c, const struct cl_response *r);
};

/* coap.c */
int cl_coap_init(struct cl *c);
int cl_coap_dtls(struct cl *c);
/* Complete the handshake now; with token_in_handshake, N_S is then the
 * exporter value of the session. */
int cl_coap_connect(struct cl *c, bool exporter_ns);
/* Register the control resource (control.c). */
int cl_control_init(struct cl *c);
/* One request; waits up to timeout_s for the (final) response. */
int cl_request(struct cl *c, coap_session_t *s, coap_pdu_code_t method,
               const char *path, int content_format, const uint8_t *payload,
               size_t len, bool observe, struct cl_response *out);
/* Keep processing for secs seconds (notifications). */
void cl_wait(struct cl *c, int secs);
void cl_response_free(struct cl_response *r);
const char *cl_code_text(int code, char *buf, size_t n);

/* token.c */
int cl_post_token(struct cl *c, const uint8_t *input, size_t len);
int cl_identity_from_token(struct cl *c, const uint8_t *input, size_t len);

/* join.c */
int cl_make_credential(struct cl *c, const char *keyfile, int64_t sign_alg);
int cl_join(struct cl *c, bool get_creds);
int cl_pop_sign(struct cl *c, const uint8_t *nc, size_t nc_len, uint8_t *sig,
                size_t *sig_len);

/* group.c */
int cl_print_join(struct cl *c, const struct cl_response *r);
int cl_observe(struct cl *c, int secs);

/* node.c */
int cl_renew(struct cl *c);
int cl_update_cred(struct cl *c);
int cl_leave(struct cl *c);

/* Hex helpers for printing (public values only unless --show-secrets). */
void cl_print_hex(const char *label, const uint8_t *p, size_t n);

#endif
