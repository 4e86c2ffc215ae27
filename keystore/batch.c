/* SPDX-License-Identifier: Apache-2.0 */
/*
 * batch.c — group commit (docs/DESIGN.md §5).  Requests that arrive in one
 * loop iteration run in one transaction; what they answer and push waits in
 * the outbox, in queue order, until a uv_check hook commits the
 * transaction.  Only then are the frames written, so nothing is
 * acknowledged before it is durable.  A failed commit turns every queued
 * answer into an internal error and drops the pushes, which described
 * state that no longer exists.
 */
#include "ks.h"

#include "clock.h"
#include "crypto.h"
#include "gm.h"
#include "log.h"
#include "rekey.h"

#include <stdlib.h>
#include <string.h>

/* ---- the outbox ---- */

static void
out_free(struct ks_out *o)
{
	if (o->payload != NULL && o->secret)
		kdc_wipe(o->payload, o->len);
	free(o->payload);
	free(o);
}

static void
out_append(struct ks *ks, struct ks_out *o)
{
	struct ks_batch *b = &ks->batch;

	if (b->tail == NULL)
		b->tail = &b->head;
	o->next = NULL;
	*b->tail = o;
	b->tail = &o->next;
	b->count++;
}

/* Queue a frame; the payload is taken over (NULL/0 for an empty one). */
static void
out_queue(struct ks *ks, uint64_t conn_id, uint16_t type, uint16_t flags,
          uint32_t reqid, uint8_t *payload, size_t len, bool secret)
{
	struct ks_out *o = calloc(1, sizeof(*o));

	if (o == NULL) {
		log_err("keystore: out of memory queueing %s",
		        ipc_msg_name(type));
		if (payload != NULL && secret)
			kdc_wipe(payload, len);
		free(payload);
		return;
	}
	o->conn_id = conn_id;
	o->type = type;
	o->flags = flags;
	o->reqid = reqid;
	o->payload = payload;
	o->len = len;
	o->secret = secret;
	out_append(ks, o);
}

/* Take the buffer of w (which is left empty and initialised). */
static uint8_t *
wbuf_take(struct ipc_wbuf *w, size_t *len, bool *secret)
{
	uint8_t *p = w->p;

	*len = w->len;
	*secret = w->secret;
	ipc_wbuf_init(w);
	return p;
}

/* A copy of w's payload for one more recipient. */
static uint8_t *
wbuf_copy(const struct ipc_wbuf *w)
{
	uint8_t *p;

	if (w->len == 0)
		return NULL;
	p = malloc(w->len);
	if (p != NULL)
		memcpy(p, w->p, w->len);
	return p;
}

void
ks_outbox_mark(struct ks *ks, struct ks_outbox_mark *m)
{
	if (ks->batch.tail == NULL)
		ks->batch.tail = &ks->batch.head;
	m->tail = ks->batch.tail;
	m->count = ks->batch.count;
}

/* Forget the subscription a dropped snapshot push made. */
static void
undo_snapshot(struct ks *ks, const struct ks_out *o)
{
	struct ks_peer *p;

	if (o->snapshot_group <= 0)
		return;
	p = ks_peer_by_conn_id(ks, o->conn_id);
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->nsubs; i++) {
		if (p->subs[i] == o->snapshot_group) {
			p->subs[i] = p->subs[--p->nsubs];
			return;
		}
	}
}

void
ks_outbox_truncate(struct ks *ks, const struct ks_outbox_mark *m)
{
	struct ks_batch *b = &ks->batch;
	struct ks_out *o = *m->tail;

	*m->tail = NULL;
	b->tail = m->tail;
	b->count = m->count;
	while (o != NULL) {
		struct ks_out *next = o->next;

		undo_snapshot(ks, o);
		out_free(o);
		o = next;
	}
}

/* ---- replies and pushes ---- */

static void
queue_wbuf(struct ks *ks, uint64_t conn_id, uint16_t type, uint16_t flags,
           uint32_t reqid, struct ipc_wbuf *w)
{
	uint8_t *p;
	size_t len;
	bool secret;

	p = wbuf_take(w, &len, &secret);
	out_queue(ks, conn_id, type, flags, reqid, p, len, secret);
}

void
ks_reply_internal_error(struct ks_req *r, uint16_t type, const char *why)
{
	struct ipc_wbuf w;
	int rc = -1;

	if (type == 0)
		return;
	ipc_wbuf_init(&w);
	switch (type) {
	case IPC_MSG_COAP_RESULT: {
		struct ipc_coap_result res;

		memset(&res, 0, sizeof(res));
		res.code = KS_CODE(5, 0);
		res.content_format = -1;
		res.max_age = -1;
		rc = ipc_enc_coap_result(&w, &res);
		break;
	}
	case IPC_MSG_ADM_RESULT: {
		struct ipc_tab_builder tb;

		ipc_tab_init(&tb);
		rc = ipc_tab_finish(&tb, IPC_ADM_E_INTERNAL,
		                    why != NULL ? why : "internal error", &w);
		ipc_tab_free(&tb);
		break;
	}
	case IPC_MSG_PSK_RESULT: {
		struct ipc_psk_result res;

		memset(&res, 0, sizeof(res));
		res.status = IPC_PSK_UNKNOWN;
		rc = ipc_enc_psk_result(&w, &res);
		break;
	}
	default: {
		const char *msg = why != NULL ? why : "internal error";
		struct ipc_error e = {IPC_E_SYS, msg, strlen(msg)};

		type = IPC_MSG_ERROR;
		rc = ipc_enc_error(&w, &e);
		break;
	}
	}
	if (rc == 0)
		queue_wbuf(r->ks, r->peer->conn_id, type, IPC_F_REPLY, r->reqid,
		           &w);
	else
		log_err("keystore: cannot encode the internal error answer "
		        "to %s",
		        r->peer->actor);
	ipc_wbuf_free(&w);
}

void
ks_reply(struct ks_req *r, uint16_t type, struct ipc_wbuf *w)
{
	if (!ipc_wbuf_ok(w)) {
		log_err("%s: %s: reply %s could not be encoded", r->peer->actor,
		        ipc_msg_name(r->type), ipc_msg_name(type));
		ipc_wbuf_free(w);
		ks_reply_internal_error(r, type, "reply could not be encoded");
		return;
	}
	queue_wbuf(r->ks, r->peer->conn_id, type, IPC_F_REPLY, r->reqid, w);
}

void
ks_reply_more(struct ks_req *r, uint16_t type, struct ipc_wbuf *w)
{
	if (!ipc_wbuf_ok(w)) {
		log_err("%s: %s: partial reply could not be encoded",
		        r->peer->actor, ipc_msg_name(r->type));
		ipc_wbuf_free(w);
		return;
	}
	queue_wbuf(r->ks, r->peer->conn_id, type, IPC_F_REPLY | IPC_F_MORE,
	           r->reqid, w);
}

void
ks_reply_to(struct ks *ks, uint64_t conn_id, uint32_t reqid, uint16_t type,
            struct ipc_wbuf *w)
{
	if (!ipc_wbuf_ok(w)) {
		log_err("keystore: reply %s to connection %llu could not be "
		        "encoded",
		        ipc_msg_name(type), (unsigned long long)conn_id);
		ipc_wbuf_free(w);
		return;
	}
	queue_wbuf(ks, conn_id, type, IPC_F_REPLY, reqid, w);
}

void
ks_reply_coap(struct ks_req *r, const struct ipc_coap_result *res)
{
	struct ipc_wbuf w;

	ipc_wbuf_init(&w);
	if (ipc_enc_coap_result(&w, res) != 0) {
		log_err("%s: %s: CoAP answer %u.%02u could not be encoded",
		        r->peer->actor, ipc_msg_name(r->type),
		        (unsigned)(res->code >> 5),
		        (unsigned)(res->code & 0x1f));
		ipc_wbuf_free(&w);
		ks_reply_internal_error(r, IPC_MSG_COAP_RESULT, NULL);
		return;
	}
	ks_reply(r, IPC_MSG_COAP_RESULT, &w);
	ipc_wbuf_free(&w);
}

void
ks_reply_coap_error(struct ks_req *r, uint8_t code, int error_id,
                    const char *detail)
{
	struct ipc_coap_result res;
	struct kdc_cw cw;

	/* RFC 9594 §4.1.2: the KDC logs the detail of every error answer,
	 * with who asked. */
	if (error_id >= 0) {
		const char *title = kdc_gm_error_title(error_id);

		log_info("%s: %s answered %u.%02u (error %d%s%s)%s%s",
		         r->peer->actor, ipc_msg_name(r->type),
		         (unsigned)(code >> 5), (unsigned)(code & 0x1f),
		         error_id, title != NULL ? ": " : "",
		         title != NULL ? title : "", detail != NULL ? ": " : "",
		         detail != NULL ? detail : "");
	} else {
		log_info("%s: %s answered %u.%02u%s%s", r->peer->actor,
		         ipc_msg_name(r->type), (unsigned)(code >> 5),
		         (unsigned)(code & 0x1f), detail != NULL ? ": " : "",
		         detail != NULL ? detail : "");
	}
	memset(&res, 0, sizeof(res));
	res.code = code;
	res.content_format = -1;
	res.max_age = -1;
	kdc_cw_init(&cw);
	if (error_id >= 0) {
		/* Problem details (RFC 9290) with the ACE Groupcomm error. */
		kdc_gm_encode_problem(&cw, error_id, detail);
		if (!kdc_cw_ok(&cw)) {
			kdc_cw_free(&cw);
			ks_reply_internal_error(r, IPC_MSG_COAP_RESULT, NULL);
			return;
		}
		res.content_format = KDC_CF_PROBLEM;
		res.payload.p = cw.buf;
		res.payload.n = cw.len;
	}
	ks_reply_coap(r, &res);
	kdc_cw_free(&cw);
}

void
ks_reply_adm(struct ks_req *r, struct ipc_tab_builder *tb, int status,
             const char *error)
{
	struct ipc_tab_builder empty;
	struct ipc_wbuf w;

	if (tb == NULL) {
		ipc_tab_init(&empty);
		tb = &empty;
	}
	if (status != IPC_ADM_OK)
		log_info("%s: %s: %s", r->peer->actor, ipc_msg_name(r->type),
		         error != NULL ? error : "failed");
	ipc_wbuf_init(&w);
	if (ipc_tab_finish(tb, status, error, &w) != 0) {
		log_err("%s: %s: the result could not be encoded (too large?)",
		        r->peer->actor, ipc_msg_name(r->type));
		ipc_wbuf_free(&w);
		ipc_tab_free(tb);
		ks_reply_internal_error(r, IPC_MSG_ADM_RESULT,
		                        "the result could not be encoded "
		                        "(too large?)");
		return;
	}
	ipc_tab_free(tb);
	ks_reply(r, IPC_MSG_ADM_RESULT, &w);
	ipc_wbuf_free(&w);
}

void
ks_push_peer(struct ks *ks, struct ks_peer *p, uint16_t type,
             const struct ipc_wbuf *w)
{
	uint8_t *copy;

	if (!ipc_wbuf_ok(w)) {
		log_err("keystore: push %s could not be encoded",
		        ipc_msg_name(type));
		return;
	}
	copy = wbuf_copy(w);
	if (w->len > 0 && copy == NULL) {
		log_err("keystore: out of memory pushing %s to %s",
		        ipc_msg_name(type), p->actor);
		return;
	}
	out_queue(ks, p->conn_id, type, IPC_F_PUSH, 0, copy, w->len, w->secret);
}

void
ks_push_frontends(struct ks *ks, uint16_t type, const struct ipc_wbuf *w)
{
	for (struct ks_peer *p = ks->peers; p != NULL; p = p->next)
		if (p->kind == IPC_PEER_FRONTEND)
			ks_push_peer(ks, p, type, w);
}

void
ks_push_subscribers(struct ks *ks, int64_t group_id, uint16_t type,
                    const struct ipc_wbuf *w)
{
	for (struct ks_peer *p = ks->peers; p != NULL; p = p->next)
		if (p->kind == IPC_PEER_FRONTEND &&
		    ks_peer_subscribed(p, group_id))
			ks_push_peer(ks, p, type, w);
}

/* ---- after a failed commit ---- */

/* Replace o's payload by the internal error of its type. */
static void
out_make_error(struct ks *ks, struct ks_out *o)
{
	struct ks_peer *p = ks_peer_by_conn_id(ks, o->conn_id);
	struct ks_outbox_mark m;
	struct ks_out *e;
	struct ks_req r;

	if (p == NULL)
		return; /* nobody to answer; flushing skips it */
	memset(&r, 0, sizeof(r));
	r.ks = ks;
	r.peer = p;
	r.reqid = o->reqid;
	/* Build it at the end of the queue, then move it into o. */
	ks_outbox_mark(ks, &m);
	ks_reply_internal_error(&r, o->type, "database commit failed");
	e = *m.tail;
	if (e == NULL)
		return;
	*m.tail = NULL;
	ks->batch.tail = m.tail;
	ks->batch.count = m.count;
	if (o->payload != NULL && o->secret)
		kdc_wipe(o->payload, o->len);
	free(o->payload);
	o->type = e->type;
	o->flags = e->flags;
	o->payload = e->payload;
	o->len = e->len;
	o->secret = e->secret;
	e->payload = NULL;
	out_free(e);
}

void
ks_outbox_fail(struct ks *ks)
{
	struct ks_batch *b = &ks->batch;
	struct ks_out *o = b->head, *keep = NULL, **kt = &keep;
	size_t n = 0;

	/* Detach the queue, rebuild it with the surviving entries. */
	b->head = NULL;
	b->tail = &b->head;
	b->count = 0;
	while (o != NULL) {
		struct ks_out *next = o->next;

		if ((o->flags & IPC_F_PUSH) || (o->flags & IPC_F_MORE) ||
		    !(o->flags & IPC_F_REPLY)) {
			undo_snapshot(ks, o);
			out_free(o);
		} else {
			o->next = NULL;
			*kt = o;
			kt = &o->next;
			n++;
		}
		o = next;
	}
	for (o = keep; o != NULL; o = o->next)
		out_make_error(ks, o);
	/* The error answers built above went through the (empty) queue and
	 * were moved; put the survivors back. */
	b->head = keep;
	b->tail = keep != NULL ? kt : &b->head;
	b->count = n;
}

/* Rebuild one group's schedule from its committed row. */
static int
rt_rebuild_cb(void *arg, const struct ks_group *g)
{
	struct ks *ks = arg;
	struct ks_group_rt *rt;

	if (ks_rekey_track(ks, g) != 0)
		return 0;
	rt = ks_group_rt(ks, g->id, false);
	if (rt != NULL && g->rekey_pending != 0) {
		/* As ks_rekey_request() schedules it. */
		uint64_t due = (uint64_t)g->rekeyed_at_ms +
		               g->cfg.min_rekey_interval_ms;

		rt->due_ms = due;
	}
	return 0;
}

void
ks_caches_invalidate(struct ks *ks)
{
	ks_kdc_keys_forget();
	while (ks->groups_rt != NULL)
		ks_group_rt_forget(ks, ks->groups_rt->group_id);
	if (ks_store_group_list(ks->store, rt_rebuild_cb, ks) != KS_OK)
		log_err("keystore: cannot rebuild the rekey schedule after a "
		        "failed commit");
	ks->batch.rearm_timers = true;
}

/* ---- the batch ---- */

int
ks_batch_ensure(struct ks *ks)
{
	struct ks_batch *b = &ks->batch;

	if (b->tail == NULL)
		b->tail = &b->head;
	if (b->open)
		return 0;
	if (ks_store_begin(ks->store) != KS_OK) {
		log_err("keystore: cannot begin a transaction");
		return -1;
	}
	b->open = true;
	b->failed = false;
	b->requests = 0;
	b->started_at = kdc_now();
	return 0;
}

/* Write the outbox in queue order to the connections still open. */
static void
outbox_flush(struct ks *ks)
{
	struct ks_batch *b = &ks->batch;
	struct ks_out *o = b->head;

	b->head = NULL;
	b->tail = &b->head;
	b->count = 0;
	while (o != NULL) {
		struct ks_out *next = o->next;
		struct ks_peer *p = ks_peer_by_conn_id(ks, o->conn_id);

		if (p != NULL && p->conn != NULL) {
			int rc = ipc_conn_send(p->conn, o->type, o->flags,
			                       o->reqid, o->payload, o->len);

			if (rc != IPC_OK && rc != IPC_E_UNAVAILABLE)
				log_err("%s: cannot send %s: %s", p->actor,
				        ipc_msg_name(o->type),
				        ipc_strerror(rc));
		}
		out_free(o);
		o = next;
	}
}

void
ks_batch_commit(struct ks *ks)
{
	struct ks_batch *b = &ks->batch;
	bool did_work = b->open && b->requests > 0;

	if (b->tail == NULL)
		b->tail = &b->head;
	if (b->open) {
		bool ok = !b->failed;

		b->open = false;
		if (ok && ks_store_commit(ks->store) != KS_OK)
			ok = false;
		if (!ok) {
			log_err("keystore: %s of a batch of %zu requests; its "
			        "answers become internal errors",
			        b->failed ? "a savepoint failed: rollback"
			                  : "commit failed",
			        b->requests);
			if (ks_store_in_txn(ks->store))
				ks_store_rollback(ks->store);
			ks->stats.commits_failed++;
			ks_outbox_fail(ks);
			ks_caches_invalidate(ks);
		}
		b->failed = false;
		b->last_failed = !ok;
		ks->stats.batches++;
	}
	if (b->head != NULL)
		outbox_flush(ks);
	b->requests = 0;
	if (b->rearm_timers || did_work) {
		b->rearm_timers = false;
		ks_timers_rearm(ks);
	}
}

static void
on_check(uv_check_t *h)
{
	struct ks *ks = h->data;

	if (ks->batch.open || ks->batch.head != NULL)
		ks_batch_commit(ks);
}

void
ks_batch_init(struct ks *ks)
{
	ks->batch.tail = &ks->batch.head;
	uv_check_init(ks->loop, &ks->commit_check);
	ks->commit_check.data = ks;
	uv_check_start(&ks->commit_check, on_check);
}
