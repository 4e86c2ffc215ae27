/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fe_obs.c — Observe registrations known to the frontend (see fe_obs.h).
 */
#include "fe_obs.h"

#include "log.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* libcoap calls the GET handler once per observer for every notification,
 * and each call looks its observation up: one list of all observations made
 * a rekey fan-out to N observers O(N^2) (a profile of 10,000 observers
 * spent 14% of the frontend's time in this lookup).  Observations are kept
 * in buckets by session instead, so a lookup walks only the few of the
 * sessions that share its bucket. */
#define OBS_BUCKETS 4096u

static struct fe_obs *obs_buckets[OBS_BUCKETS];

static struct fe_obs **
bucket_of(const coap_session_t *s)
{
	/* A session is a heap address: mix it (a 64-bit finaliser) so that
	 * the alignment bits do not leave buckets unused. */
	uint64_t h = (uint64_t)(uintptr_t)s;

	h ^= h >> 33;
	h *= UINT64_C(0xff51afd7ed558ccd);
	h ^= h >> 33;
	return &obs_buckets[h & (OBS_BUCKETS - 1)];
}

/* Resources to notify once pending registrations have settled. */
static coap_resource_t *deferred[64];
static size_t ndeferred;
static bool deferred_overflow;

bool
fe_req_observe(const coap_pdu_t *req, uint32_t v)
{
	coap_opt_iterator_t it;
	coap_opt_t *o = coap_check_option(req, COAP_OPTION_OBSERVE, &it);

	return o != NULL && coap_decode_var_bytes(coap_opt_value(o),
	                                          coap_opt_length(o)) == v;
}

struct fe_obs *
fe_obs_find(struct fe *fe, coap_session_t *s, const coap_pdu_t *req)
{
	coap_bin_const_t tok = coap_pdu_get_token(req);

	(void)fe;
	for (struct fe_obs *o = *bucket_of(s); o != NULL; o = o->next)
		if (o->session == s && o->token_len == tok.length &&
		    memcmp(o->token, tok.s, tok.length) == 0)
			return o;
	return NULL;
}

struct fe_obs *
fe_obs_add(struct fe *fe, coap_session_t *s, const coap_pdu_t *req,
           struct fe_group *g, enum fe_obs_kind kind, const char *node)
{
	coap_bin_const_t tok = coap_pdu_get_token(req);
	struct fe_obs *o = fe_obs_find(fe, s, req);

	if (o == NULL) {
		if (tok.length > sizeof(o->token))
			return NULL;
		o = calloc(1, sizeof(*o));
		if (o == NULL)
			return NULL;
		o->session = s;
		memcpy(o->token, tok.s, tok.length);
		o->token_len = tok.length;
		o->next = *bucket_of(s);
		*bucket_of(s) = o;
		fe->nobservers++;
	}
	o->group = g;
	o->kind = kind;
	snprintf(o->node, sizeof(o->node), "%s", node != NULL ? node : "");
	return o;
}

void
fe_obs_remove(struct fe *fe, struct fe_obs *o)
{
	for (struct fe_obs **pp = bucket_of(o->session); *pp != NULL;
	     pp = &(*pp)->next) {
		if (*pp == o) {
			*pp = o->next;
			free(o);
			fe->nobservers--;
			return;
		}
	}
}

void
fe_obs_forget_session(struct fe *fe, coap_session_t *s)
{
	struct fe_obs **pp = bucket_of(s);

	while (*pp != NULL) {
		if ((*pp)->session == s) {
			struct fe_obs *o = *pp;

			*pp = o->next;
			free(o);
			fe->nobservers--;
		} else {
			pp = &(*pp)->next;
		}
	}
}

void
fe_obs_forget_group(struct fe *fe, struct fe_group *g)
{
	/* Rare (a group deleted): every bucket. */
	for (size_t i = 0; i < OBS_BUCKETS; i++) {
		struct fe_obs **pp = &obs_buckets[i];

		while (*pp != NULL) {
			if ((*pp)->group == g) {
				struct fe_obs *o = *pp;

				*pp = o->next;
				free(o);
				fe->nobservers--;
			} else {
				pp = &(*pp)->next;
			}
		}
	}
}

void
fe_notify(struct fe *fe, coap_resource_t *r)
{
	if (r == NULL)
		return;
	if (fe->pending_obs > 0) {
		/* A registration is waiting for the keystore: its observer is
		 * already known to libcoap, but not its answer.  Notify once
		 * it has been answered (fe_async.c). */
		for (size_t i = 0; i < ndeferred; i++)
			if (deferred[i] == r)
				return;
		if (ndeferred < sizeof(deferred) / sizeof(deferred[0]))
			deferred[ndeferred++] = r;
		else
			deferred_overflow = true;
		return;
	}
	coap_resource_notify_observers(r, NULL);
	fe->stats.notifications++;
	fe_kick(fe);
}

void
fe_notify_flush(struct fe *fe)
{
	if (fe->pending_obs > 0)
		return;
	for (size_t i = 0; i < ndeferred; i++)
		coap_resource_notify_observers(deferred[i], NULL);
	if (deferred_overflow) {
		/* Too many distinct resources: notify every group's. */
		for (struct fe_group *g = fe->groups; g != NULL; g = g->next) {
			coap_resource_notify_observers(g->r_group, NULL);
			coap_resource_notify_observers(g->r_active, NULL);
		}
		deferred_overflow = false;
	}
	if (ndeferred > 0)
		fe_kick(fe);
	ndeferred = 0;
}

/* A resource is being deleted: never notify it later. */
void
fe_notify_forget(coap_resource_t *r)
{
	for (size_t i = 0; i < ndeferred; i++) {
		if (deferred[i] == r) {
			deferred[i] = deferred[--ndeferred];
			return;
		}
	}
}
