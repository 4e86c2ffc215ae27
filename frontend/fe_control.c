/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fe_control.c — requests from the KDC to a member's control URI (RFC 9594
 * §4.3.1 control_uri): POST of a rekeying message (§6.1) and DELETE as an
 * eviction notice (§5).  They must be protected by the member's pairwise
 * association, which here is its DTLS session; so the URI must name the
 * endpoint of that session, and the request travels over it.  A member
 * whose session is not on this frontend (or gone) is skipped: the other
 * frontends got the same push, and members without a session poll
 * (RFC 9594 §6.1).
 */
#include "fe.h"

#include "cbor_out.h"
#include "clock.h"
#include "log.h"

#include <arpa/inet.h>
#include <string.h>

static coap_session_t *
session_for(struct fe *fe, const struct ipc_binding *b)
{
	for (struct fe_sess *s = fe->sessions; s != NULL; s = s->next)
		if (s->binding != NULL &&
		    memcmp(s->binding->id.b, b->b, sizeof(b->b)) == 0 &&
		    coap_session_get_proto(s->session) == COAP_PROTO_DTLS)
			return s->session;
	return NULL;
}

/* Same IP address and port as the session's peer? */
static bool
uri_names_peer(const coap_uri_t *u, coap_session_t *s)
{
	const coap_address_t *a = coap_session_get_addr_remote(s);
	char host[64];
	char peer[64];
	uint16_t port;

	if (u->host.length == 0 || u->host.length >= sizeof(host))
		return false;
	memcpy(host, u->host.s, u->host.length);
	host[u->host.length] = '\0';
	if (a->addr.sa.sa_family == AF_INET) {
		inet_ntop(AF_INET, &a->addr.sin.sin_addr, peer, sizeof(peer));
		port = ntohs(a->addr.sin.sin_port);
	} else if (a->addr.sa.sa_family == AF_INET6) {
		inet_ntop(AF_INET6, &a->addr.sin6.sin6_addr, peer,
		          sizeof(peer));
		port = ntohs(a->addr.sin6.sin6_port);
	} else {
		return false;
	}
	return strcmp(host, peer) == 0 && u->port == port;
}

void
fe_control_send(struct fe *fe, const struct ipc_control *c)
{
	coap_session_t *s = session_for(fe, &c->binding);
	coap_uri_t u;
	coap_pdu_t *pdu;
	uint8_t tok[8];
	size_t toklen = sizeof(tok);
	struct kdc_cw body;
	const uint8_t *path;
	size_t plen, start = 0;

	if (s == NULL)
		return;
	if (coap_split_uri(c->uri.p, c->uri.n, &u) < 0 ||
	    u.scheme != COAP_URI_SCHEME_COAPS || !uri_names_peer(&u, s)) {
		log_warn("control_uri of %s does not name its DTLS endpoint; "
		         "request not sent",
		         coap_session_str(s));
		return;
	}
	pdu = coap_pdu_init(COAP_MESSAGE_CON, c->method, coap_new_message_id(s),
	                    coap_session_max_pdu_size(s));
	if (pdu == NULL)
		return;
	coap_session_new_token(s, &toklen, tok);
	coap_add_token(pdu, toklen, tok);
	path = u.path.s;
	plen = u.path.length;
	for (size_t i = 0; i <= plen; i++) {
		if (i == plen || path[i] == '/') {
			if (i > start)
				coap_add_option(pdu, COAP_OPTION_URI_PATH,
				                i - start, path + start);
			start = i + 1;
		}
	}
	kdc_cw_init(&body);
	if (c->payload.n > 0) {
		uint8_t buf[4];

		coap_add_option(
		        pdu, COAP_OPTION_CONTENT_FORMAT,
		        coap_encode_var_safe(buf, sizeof(buf),
		                             (unsigned)c->content_format),
		        buf);
		if (c->exp != 0) {
			/* exi is the residual lifetime at sending time
			 * (RFC 9594 §4.3.1). */
			int64_t exi = c->exp - kdc_now();

			kdc_cbor_map_append_uint(&body, c->payload.p,
			                         c->payload.n, KDC_GC_EXI,
			                         exi > 0 ? (uint64_t)exi : 0);
		} else {
			kdc_cw_raw(&body, c->payload.p, c->payload.n);
		}
		if (!kdc_cw_ok(&body) ||
		    !coap_add_data(pdu, body.len, body.buf)) {
			kdc_cw_free(&body);
			coap_delete_pdu(pdu);
			return;
		}
	}
	kdc_cw_free(&body);
	if (coap_send(s, pdu) == COAP_INVALID_MID)
		log_warn("could not send to the control_uri of %s",
		         coap_session_str(s));
	else
		log_info("%s sent to the control_uri of %s",
		         c->method == COAP_REQUEST_CODE_DELETE
		                 ? "DELETE"
		                 : "rekeying POST",
		         coap_session_str(s));
}
