/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fe_obs.h — the frontend's own record of Observe registrations.
 *
 * libcoap keeps the observers and calls the GET handler for every
 * notification with the stored request; it does not tell the handler
 * whether the call is a registration or a notification.  The record says:
 * for /ace-group/G a notification carries the Point-to-Point rekeying
 * message (GO §11.1) when the observer has not yet been sent the current
 * version (served_num < num); a registration gets the Key Distribution
 * response (RFC 9594 §4.3.2).
 */
#ifndef KDC_FE_OBS_H
#define KDC_FE_OBS_H

#include "fe.h"

enum fe_obs_kind { FE_OBS_GROUP = 1, FE_OBS_ACTIVE = 2, FE_OBS_NODE = 3 };

struct fe_obs {
	coap_session_t *session;
	uint8_t token[8];
	size_t token_len;
	struct fe_group *group;
	enum fe_obs_kind kind;
	char node[IPC_NODE_MAX + 1];
	uint64_t served_num;
	struct fe_obs *next;
};

struct fe_obs *fe_obs_find(struct fe *fe, coap_session_t *s,
                           const coap_pdu_t *req);
struct fe_obs *fe_obs_add(struct fe *fe, coap_session_t *s,
                          const coap_pdu_t *req, struct fe_group *g,
                          enum fe_obs_kind kind, const char *node);
void fe_obs_remove(struct fe *fe, struct fe_obs *o);
void fe_obs_forget_session(struct fe *fe, coap_session_t *s);
void fe_obs_forget_group(struct fe *fe, struct fe_group *g);
/* True if the request carries Observe with value v (0 register, 1 off). */
bool fe_req_observe(const coap_pdu_t *req, uint32_t v);

/* Notify the observers of a resource now, or once no Observe registration
 * is waiting for the keystore (see fe_async.c). */
void fe_notify(struct fe *fe, coap_resource_t *r);
/* Run the notifications deferred while registrations were pending. */
void fe_notify_flush(struct fe *fe);

#endif
