/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fe_session.c — sessions, their token bindings and the membership cache.
 *
 * A binding (docs/DESIGN.md §3) is shared by every session authenticated
 * with the same PoP key.  Its memberships are filled only from keystore
 * answers and pushes, on the one ordered IPC stream, so the cache is never
 * ahead of or behind the keystore except for answers still in flight.
 */
#include "fe.h"

#include "crypto.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fe_binding *
fe_binding_get(struct fe *fe, const struct ipc_binding *id, bool create)
{
	struct fe_binding *b;

	for (b = fe->bindings; b != NULL; b = b->next)
		if (memcmp(b->id.b, id->b, sizeof(id->b)) == 0)
			return b;
	if (!create)
		return NULL;
	b = calloc(1, sizeof(*b));
	if (b == NULL)
		return NULL;
	b->id = *id;
	b->next = fe->bindings;
	fe->bindings = b;
	return b;
}

static void
binding_clear_members(struct fe_binding *b)
{
	while (b->members != NULL) {
		struct fe_membership *m = b->members;

		b->members = m->next;
		kdc_wipe(m, sizeof(*m));
		free(m);
	}
}

static void
binding_unref(struct fe *fe, struct fe_binding *b)
{
	if (b == NULL || --b->refs > 0)
		return;
	for (struct fe_binding **pp = &fe->bindings; *pp != NULL;
	     pp = &(*pp)->next) {
		if (*pp == b) {
			*pp = b->next;
			break;
		}
	}
	binding_clear_members(b);
	free(b);
}

void
fe_sess_bind(struct fe_sess *s, struct fe_binding *b)
{
	if (s->binding == b)
		return;
	if (b != NULL)
		b->refs++;
	binding_unref(fe_g, s->binding);
	s->binding = b;
}

struct fe_sess *
fe_sess_get(coap_session_t *session, bool create)
{
	struct fe_sess *s = coap_session_get_app_data(session);

	if (s != NULL || !create)
		return s;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	s->session = session;
	coap_session_set_app_data(session, s);
	s->next = fe_g->sessions;
	if (fe_g->sessions != NULL)
		fe_g->sessions->prev = s;
	fe_g->sessions = s;
	fe_g->nsessions++;
	return s;
}

void
fe_sess_event(coap_session_t *session, coap_event_t ev)
{
	struct fe_sess *s;

	if (ev != COAP_EVENT_SERVER_SESSION_DEL &&
	    ev != COAP_EVENT_SESSION_CLOSED && ev != COAP_EVENT_DTLS_CLOSED)
		return;
	fe_obs_forget_session(fe_g, session);
	s = coap_session_get_app_data(session);
	if (s == NULL)
		return;
	coap_session_set_app_data(session, NULL);
	if (s->prev != NULL)
		s->prev->next = s->next;
	else
		fe_g->sessions = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
	fe_g->nsessions--;
	binding_unref(fe_g, s->binding);
	kdc_wipe(s, sizeof(*s));
	free(s);
}

struct fe_membership *
fe_binding_member(struct fe_binding *b, const struct fe_group *g)
{
	if (b == NULL)
		return NULL;
	for (struct fe_membership *m = b->members; m != NULL; m = m->next)
		if (m->group == g)
			return m;
	return NULL;
}

void
fe_binding_set_member(struct fe *fe, struct fe_binding *b, struct fe_group *g,
                      const char *node, uint64_t perm, bool has_sid,
                      const uint8_t *sid, size_t sid_len)
{
	struct fe_membership *m = fe_binding_member(b, g);

	(void)fe;
	if (m == NULL) {
		m = calloc(1, sizeof(*m));
		if (m == NULL)
			return; /* cache miss later: served by the keystore */
		m->group = g;
		m->next = b->members;
		b->members = m;
	}
	snprintf(m->node, sizeof(m->node), "%s", node);
	m->perm = perm;
	m->has_sid = has_sid && sid_len <= sizeof(m->sid);
	m->sid_len = m->has_sid ? sid_len : 0;
	if (m->has_sid)
		memcpy(m->sid, sid, sid_len);
}

void
fe_binding_drop_member(struct fe_binding *b, const struct fe_group *g)
{
	for (struct fe_membership **pp = &b->members; *pp != NULL;
	     pp = &(*pp)->next) {
		if ((*pp)->group == g) {
			struct fe_membership *m = *pp;

			*pp = m->next;
			free(m);
			return;
		}
	}
}

void
fe_caches_drop(struct fe *fe)
{
	for (struct fe_binding *b = fe->bindings; b != NULL; b = b->next)
		binding_clear_members(b);
	for (struct fe_group *g = fe->groups; g != NULL; g = g->next) {
		if (g->material != NULL) {
			kdc_secure_free(g->material);
			g->material = NULL;
		}
	}
}

void
fe_sess_exporter(struct fe_sess *s, struct ipc_view *out)
{
	out->p = NULL;
	out->n = 0;
	if (s == NULL || !s->token_in_handshake)
		return;
	if (!s->have_exporter) {
		if (fe_exporter(s->session, s->exporter) != 0)
			return;
		s->have_exporter = true;
	}
	out->p = s->exporter;
	out->n = sizeof(s->exporter);
}
