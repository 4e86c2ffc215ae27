/* SPDX-License-Identifier: Apache-2.0 */
/*
 * scen.c — the scenarios of docs/BENCHMARKS.md.
 *
 *  S1 full admission: POST /authz-info (plain CoAP), a new DTLS-PSK session
 *     with the token's key, the Join with PoP; a new device each time,
 *     c admissions in flight.  Ceiling: a new DTLS-PSK session + one GET.
 *  S2 re-joins over open DTLS sessions: s sessions x w requests in flight
 *     (NSTART = w), every answer durably committed by the keystore's group
 *     commit.  Ceiling: GET over open sessions, same s x w.
 *  S3 GET /ace-group/G and /num over open sessions (served from the
 *     frontend's cache).  Ceiling: as S2.
 *  S4 rekey fan-out: n DTLS sessions observe /ace-group/G; the time from
 *     the rekey request (IPC ADM_REKEY) to the last notification.
 *  S5 join latency and keystore RSS with 10^3..10^6 stored members.
 * Timed runs stop at cfg->secs or at their count bound, whichever first.
 */
#include "bench.h"

#include "gm_material.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define DRAIN_NS   (5ull * 1000000000ull)
#define SETUP_NS   (300ull * 1000000000ull)
#define S1_MAX_OPS 200000u

static bool
is_2xx(int code)
{
	return code >= 200 && code < 300;
}

void
b_result_rss(struct b_env *e, struct b_result *r)
{
	r->rss_ks_kib = b_rss_peak_kib(e->ks_pid);
	for (int i = 0; i < B_MAX_FE; i++)
		r->rss_fe_kib[i] = b_rss_peak_kib(e->fe_pid[i]);
	r->rss_ceil_kib = b_rss_peak_kib(e->ceil_pid);
}

/* ------------------------------------------------------------------ */
/* Admissions (S1, and the set-up of every other scenario) */

struct adm {
	struct b_env *e;
	struct b_dev *devs;
	size_t ndev, next;
	const char *group;
	char path[160];
	bool ceiling;
	bool keep; /* keep the DTLS session of each admitted device */
	coap_session_t *plain;
	coap_session_t **sess; /* per device while it is being admitted */
	uint64_t *t0;
	uint64_t done, errors, target;
	unsigned active; /* admissions in progress */
	bool stopping;
	struct b_lat lat;      /* whole admissions */
	struct b_lat lat_join; /* the Join request alone */
	struct b_lat lat_tok;  /* the token POST alone */
	char probe[160];
};

static void adm_start(struct adm *a);

static void
adm_fail(struct adm *a, size_t i)
{
	a->errors++;
	a->active--;
	if (a->sess[i] != NULL) {
		b_session_release_later(a->sess[i]);
		a->sess[i] = NULL;
	}
	adm_start(a);
}

static void
on_join(struct b_req *q, const coap_pdu_t *resp, int code)
{
	struct adm *a = q->arg;
	size_t i = (size_t)q->u;
	uint64_t now = b_now_ns();

	(void)resp;
	if (!is_2xx(code)) {
		if (a->errors < 5)
			b_log("admission %s: answer %d",
			      a->devs != NULL ? a->devs[i].kid : "ceiling",
			      code);
		adm_fail(a, i);
		return;
	}
	a->done++;
	a->active--;
	b_lat_add(&a->lat, now - a->t0[i]);
	b_lat_add(&a->lat_join, now - q->t0);
	if (a->devs != NULL)
		a->devs[i].member = true;
	if (!a->keep) {
		b_session_release_later(a->sess[i]);
		a->sess[i] = NULL;
	}
	adm_start(a);
}

static void
on_token(struct b_req *q, const coap_pdu_t *resp, int code)
{
	struct adm *a = q->arg;
	size_t i = (size_t)q->u;
	struct b_dev *d = &a->devs[i];
	const uint8_t *data = NULL;
	size_t len = 0;
	struct b_req *j;

	if (code != 201 || !coap_get_data(resp, &len, &data) ||
	    b_dev_take_ns(d, data, len) != 0 ||
	    b_dev_sign_joins(d, a->group, 1) != 0) {
		if (a->errors < 5)
			b_log("token POST %s: answer %d", d->kid, code);
		adm_fail(a, i);
		return;
	}
	b_lat_add(&a->lat_tok, b_now_ns() - q->t0);
	a->sess[i] = b_session_dtls(a->e->dtls_port, d->kid,
	                            (const uint8_t *)d->key, strlen(d->key));
	/* Queued by libcoap until the handshake is done. */
	j = b_send(a->sess[i], COAP_REQUEST_CODE_POST, a->path,
	           KDC_CF_ACE_GROUPCOMM, d->join[0], d->join_len[0], -1,
	           on_join, a);
	if (j == NULL) {
		adm_fail(a, i);
		return;
	}
	j->u = i;
}

static void
adm_start(struct adm *a)
{
	size_t i;
	struct b_req *q;

	if (a->stopping || a->next >= a->ndev ||
	    a->done + a->errors + a->active >= a->target)
		return;
	i = a->next++;
	a->active++;
	a->t0[i] = b_now_ns();
	if (a->ceiling) {
		char id[32];

		snprintf(id, sizeof(id), "ceil%zu", i);
		a->sess[i] = b_session_dtls((uint16_t)(a->e->ceil_port + 1), id,
		                            (const uint8_t *)a->e->ceil_key,
		                            strlen(a->e->ceil_key));
		q = b_send(a->sess[i], COAP_REQUEST_CODE_GET, "time", -1, NULL,
		           0, -1, on_join, a);
	} else {
		q = b_send(a->plain, COAP_REQUEST_CODE_POST, "authz-info",
		           KDC_CF_ACE_CBOR, a->devs[i].body,
		           a->devs[i].body_len, -1, on_token, a);
	}
	if (q == NULL) {
		adm_fail(a, i);
		return;
	}
	q->u = i;
}

static bool
adm_finished(void *arg)
{
	struct adm *a = arg;

	return a->done + a->errors >= a->target ||
	       (a->next >= a->ndev && a->active == 0);
}

static bool
drained(void *arg)
{
	(void)arg;
	return b_inflight() == 0;
}

/* Admit up to `target` devices of devs[0..ndev), `conc` in flight, for at
 * most secs.  Returns the elapsed time of the admissions in seconds. */
static double
admit(struct adm *a, unsigned conc, double secs)
{
	struct b_probe pr;
	uint64_t start, end;

	snprintf(a->path, sizeof(a->path), "ace-group/%s",
	         a->group != NULL ? a->group : "");
	b_lat_init(&a->lat, a->target + 1);
	b_lat_init(&a->lat_join, a->target + 1);
	b_lat_init(&a->lat_tok, a->target + 1);
	a->sess = calloc(a->ndev + 1, sizeof(*a->sess));
	a->t0 = calloc(a->ndev + 1, sizeof(*a->t0));
	if (!a->ceiling) {
		a->plain = b_session_udp(a->e->port);
		/* Every admission's token POST on the one plain session. */
		coap_session_set_nstart(a->plain, (uint16_t)conc);
	}
	b_probe_start(a->e, &pr);
	start = b_now_ns();
	for (unsigned k = 0; k < conc; k++)
		adm_start(a);
	b_run(adm_finished, a, start + (uint64_t)(secs * 1e9));
	end = b_now_ns();
	b_probe_end(a->e, &pr, a->probe, sizeof(a->probe));
	a->stopping = true;
	/* Let what is in flight finish (not counted in the rate). */
	b_run(drained, NULL, b_now_ns() + DRAIN_NS);
	b_fail_all();
	if (a->plain != NULL)
		b_session_release_later(a->plain);
	a->plain = NULL;
	b_run(NULL, NULL, b_now_ns()); /* run the releases */
	return (double)(end - start) / 1e9;
}

static void
adm_free(struct adm *a)
{
	if (a->sess != NULL)
		for (size_t i = 0; i < a->ndev; i++)
			if (a->sess[i] != NULL)
				b_session_release_now(a->sess[i]);
	free(a->sess);
	free(a->t0);
	b_lat_free(&a->lat);
	b_lat_free(&a->lat_join);
	b_lat_free(&a->lat_tok);
	a->sess = NULL;
}

int
b_s1_admission(struct b_env *e, const struct b_cfg *c, bool ceiling,
               struct b_result *r)
{
	struct adm a;
	size_t ndev = c->s1_devices;
	double secs;

	memset(&a, 0, sizeof(a));
	a.e = e;
	a.ceiling = ceiling;
	a.group = "g1";
	a.ndev = ndev;
	a.target = ndev < S1_MAX_OPS ? ndev : S1_MAX_OPS;
	if (!ceiling) {
		static unsigned run;
		char prefix[32];

		/* Fresh devices for every run (kids are PSK identities). */
		snprintf(prefix, sizeof(prefix), "s1r%u-", run++);
		a.devs = b_devs_new(e, prefix, ndev, "g1", 86400);
		if (a.devs == NULL)
			return -1;
	}
	secs = admit(&a, c->s1_conc, c->secs);
	r->scenario = "S1";
	r->name = "admission";
	r->system = ceiling ? "ceiling" : "kdc";
	r->frontends = ceiling ? 0 : e->nfe;
	snprintf(r->params, sizeof(r->params), "c%u", c->s1_conc);
	memcpy(r->probe, a.probe, sizeof(r->probe));
	r->ops = a.done;
	r->errors = a.errors;
	r->secs = secs;
	r->ops_per_s = secs > 0 ? (double)a.done / secs : 0;
	r->p50_ms = b_lat_pct_ms(&a.lat, 50);
	r->p99_ms = b_lat_pct_ms(&a.lat, 99);
	if (!ceiling)
		snprintf(r->extra, sizeof(r->extra),
		         "token_p50_ms=%.3f join_p50_ms=%.3f join_p99_ms=%.3f",
		         b_lat_pct_ms(&a.lat_tok, 50),
		         b_lat_pct_ms(&a.lat_join, 50),
		         b_lat_pct_ms(&a.lat_join, 99));
	b_result_rss(e, r);
	adm_free(&a);
	b_devs_free(a.devs, ndev);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Pipelined requests over open sessions (S2, S3 and their ceiling) */

enum pipe_kind { PIPE_REJOIN, PIPE_READ, PIPE_CEIL };

struct pipe {
	struct b_env *e;
	char probe[160];
	enum pipe_kind kind;
	struct b_dev *devs;
	coap_session_t **sess;
	unsigned nsess;
	const char *group;
	char path_group[160], path_num[170];
	uint64_t done, errors, max_ops;
	uint64_t sent;
	bool stopping;
	unsigned long flip;
	struct b_lat lat;
};

static void pipe_send(struct pipe *p, unsigned i);

static void
on_pipe(struct b_req *q, const coap_pdu_t *resp, int code)
{
	struct pipe *p = q->arg;
	unsigned i = (unsigned)q->u;
	bool ok = p->kind == PIPE_REJOIN ? code == 204 || code == 201
	                                 : code == 205;

	(void)resp;
	if (ok) {
		p->done++;
		b_lat_add(&p->lat, b_now_ns() - q->t0);
	} else {
		if (p->errors < 5)
			b_log("pipelined request: answer %d", code);
		p->errors++;
	}
	pipe_send(p, i);
}

static void
pipe_send(struct pipe *p, unsigned i)
{
	struct b_req *q = NULL;

	if (p->stopping || p->sent >= p->max_ops)
		return;
	p->sent++;
	switch (p->kind) {
	case PIPE_REJOIN: {
		struct b_dev *d = &p->devs[i];
		unsigned k = d->next_join++ % d->njoin;

		q = b_send(p->sess[i], COAP_REQUEST_CODE_POST, p->path_group,
		           KDC_CF_ACE_GROUPCOMM, d->join[k], d->join_len[k], -1,
		           on_pipe, p);
		break;
	}
	case PIPE_READ:
		q = b_send(p->sess[i], COAP_REQUEST_CODE_GET,
		           (p->flip++ & 1) ? p->path_num : p->path_group, -1,
		           NULL, 0, -1, on_pipe, p);
		break;
	case PIPE_CEIL:
		q = b_send(p->sess[i], COAP_REQUEST_CODE_GET, "time", -1, NULL,
		           0, -1, on_pipe, p);
		break;
	}
	if (q == NULL) {
		p->errors++;
		return;
	}
	q->u = i;
}

static bool
pipe_finished(void *arg)
{
	struct pipe *p = arg;

	return p->done + p->errors >= p->max_ops || b_inflight() == 0;
}

static double
pipe_run(struct pipe *p, unsigned window, double secs)
{
	struct b_probe pr;
	uint64_t start, end;

	b_lat_init(&p->lat, 4000000);
	for (unsigned i = 0; i < p->nsess; i++)
		coap_session_set_nstart(p->sess[i], (uint16_t)window);
	b_probe_start(p->e, &pr);
	start = b_now_ns();
	for (unsigned k = 0; k < window; k++)
		for (unsigned i = 0; i < p->nsess; i++)
			pipe_send(p, i);
	b_run(pipe_finished, p, start + (uint64_t)(secs * 1e9));
	end = b_now_ns();
	b_probe_end(p->e, &pr, p->probe, sizeof(p->probe));
	p->stopping = true;
	b_run(drained, NULL, b_now_ns() + DRAIN_NS);
	b_fail_all();
	return (double)(end - start) / 1e9;
}

/* Open `n` member sessions of fresh devices in `group`. */
static int
open_members(struct b_env *e, const char *prefix, const char *group, unsigned n,
             struct b_dev **devs_out, coap_session_t ***sess_out)
{
	struct adm a;

	memset(&a, 0, sizeof(a));
	a.e = e;
	a.group = group;
	a.ndev = n;
	a.target = n;
	a.keep = true;
	a.devs = b_devs_new(e, prefix, n, group, 86400);
	if (a.devs == NULL)
		return -1;
	admit(&a, n < 16 ? n : 16, (double)SETUP_NS / 1e9);
	if (a.done != n) {
		b_log("set-up: %llu of %u devices admitted",
		      (unsigned long long)a.done, n);
		adm_free(&a);
		b_devs_free(a.devs, n);
		return -1;
	}
	*devs_out = a.devs;
	*sess_out = a.sess;
	a.sess = NULL;
	adm_free(&a);
	return 0;
}

static void
close_sessions(coap_session_t **s, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (s[i] != NULL)
			b_session_release_now(s[i]);
	free(s);
	b_run(NULL, NULL, b_now_ns() + 100000000ull);
}

static void
pipe_result(struct pipe *p, const struct b_cfg *c, double secs,
            const char *scen, const char *name, const char *system, int nfe,
            struct b_result *r)
{
	r->scenario = scen;
	r->name = name;
	r->system = system;
	r->frontends = nfe;
	snprintf(r->params, sizeof(r->params), "%ux%u", c->sessions, c->window);
	r->ops = p->done;
	r->errors = p->errors;
	r->secs = secs;
	r->ops_per_s = secs > 0 ? (double)p->done / secs : 0;
	r->p50_ms = b_lat_pct_ms(&p->lat, 50);
	r->p99_ms = b_lat_pct_ms(&p->lat, 99);
	memcpy(r->probe, p->probe, sizeof(r->probe));
	b_lat_free(&p->lat);
}

/* A pipeline of c->sessions open sessions, bounded by c->pipe_ops. */
static void
pipe_init(struct pipe *p, struct b_env *e, const struct b_cfg *c,
          enum pipe_kind kind)
{
	memset(p, 0, sizeof(*p));
	p->e = e;
	p->kind = kind;
	p->nsess = c->sessions;
	p->max_ops = c->pipe_ops;
}

int
b_s2_rejoin(struct b_env *e, const struct b_cfg *c, struct b_result *r)
{
	static unsigned run;
	struct pipe p;
	char prefix[32];
	double secs;

	pipe_init(&p, e, c, PIPE_REJOIN);
	snprintf(prefix, sizeof(prefix), "s2r%u-", run++);
	if (open_members(e, prefix, "g2", p.nsess, &p.devs, &p.sess) != 0)
		return -1;
	for (unsigned i = 0; i < p.nsess; i++)
		if (b_dev_sign_joins(&p.devs[i], "g2", B_POP_POOL) != 0)
			return -1;
	snprintf(p.path_group, sizeof(p.path_group), "ace-group/g2");
	secs = pipe_run(&p, c->window, c->secs);
	pipe_result(&p, c, secs, "S2", "rejoin", "kdc", e->nfe, r);
	b_result_rss(e, r);
	close_sessions(p.sess, p.nsess);
	b_devs_free(p.devs, p.nsess);
	return 0;
}

int
b_s3_reads(struct b_env *e, const struct b_cfg *c, struct b_result *r)
{
	static unsigned run;
	struct pipe p;
	char prefix[32];
	double secs;

	pipe_init(&p, e, c, PIPE_READ);
	snprintf(prefix, sizeof(prefix), "s3r%u-", run++);
	if (open_members(e, prefix, "g2", p.nsess, &p.devs, &p.sess) != 0)
		return -1;
	snprintf(p.path_group, sizeof(p.path_group), "ace-group/g2");
	snprintf(p.path_num, sizeof(p.path_num), "ace-group/g2/num");
	secs = pipe_run(&p, c->window, c->secs);
	pipe_result(&p, c, secs, "S3", "reads", "kdc", e->nfe, r);
	b_result_rss(e, r);
	close_sessions(p.sess, p.nsess);
	b_devs_free(p.devs, p.nsess);
	return 0;
}

static bool
sessions_up(void *arg)
{
	struct pipe *p = arg;

	for (unsigned i = 0; i < p->nsess; i++)
		if (coap_session_get_state(p->sess[i]) !=
		    COAP_SESSION_STATE_ESTABLISHED)
			return false;
	return true;
}

int
b_s23_ceiling(struct b_env *e, const struct b_cfg *c, struct b_result *r)
{
	struct pipe p;
	double secs;

	pipe_init(&p, e, c, PIPE_CEIL);
	p.sess = calloc(p.nsess, sizeof(*p.sess));
	if (p.sess == NULL)
		return -1;
	for (unsigned i = 0; i < p.nsess; i++) {
		char id[32];

		snprintf(id, sizeof(id), "open%u", i);
		p.sess[i] = b_session_dtls((uint16_t)(e->ceil_port + 1), id,
		                           (const uint8_t *)e->ceil_key,
		                           strlen(e->ceil_key));
		if (p.sess[i] == NULL)
			return -1;
	}
	/* Established before the timed part, as the KDC's sessions are. */
	b_run(sessions_up, &p, b_now_ns() + 30000000000ull);
	secs = pipe_run(&p, c->window, c->secs);
	pipe_result(&p, c, secs, "S2/S3", "get-open", "ceiling", 0, r);
	b_result_rss(e, r);
	close_sessions(p.sess, p.nsess);
	return 0;
}

/* ------------------------------------------------------------------ */
/* S4: rekey fan-out
 *
 * libcoap 4.3.1's GnuTLS client gives every DTLS session its own socket and
 * polls it with select() during the handshake (receive_timeout() in
 * src/coap_gnutls.c): a descriptor >= FD_SETSIZE (1024) aborts the process
 * (_FORTIFY_SOURCE) or overflows the fd_set.  So the observers are spread
 * over worker processes of at most S4_PER_WORKER sessions each; they
 * timestamp every notification with CLOCK_MONOTONIC (one clock for all
 * processes) and report to this process, which triggers the rekey.
 */

#define S4_PER_WORKER   800
#define S4_DEV_PER_WORK 100

enum { MSG_READY = 1, MSG_RESULT = 2 };

struct fan {
	struct b_env *e;
	struct b_dev *devs;
	unsigned ndev;
	coap_session_t **sess;
	unsigned n, opened, registered, reg_failed;
	bool *got;
	uint64_t *when;
	unsigned notified;
	bool armed; /* registrations done: what comes now are notifications */
	int stop_fd;
	bool stop;
};

static void
on_observe(struct b_req *q, const coap_pdu_t *resp, int code)
{
	struct fan *f = q->arg;
	unsigned i = (unsigned)q->u;
	coap_opt_iterator_t it;

	if (!f->armed) {
		/* The registration's answer. */
		if (code == 205 && resp != NULL &&
		    coap_check_option(resp, COAP_OPTION_OBSERVE, &it) != NULL) {
			f->registered++;
			q->persistent = true;
		} else {
			if (f->reg_failed < 3)
				b_log("observe registration: answer %d", code);
			f->reg_failed++;
		}
		return;
	}
	if (code == 205 && !f->got[i]) {
		f->got[i] = true;
		f->when[f->notified++] = b_now_ns();
	}
}

static void
fan_open(struct fan *f, unsigned i)
{
	struct b_dev *d = &f->devs[i % f->ndev];
	struct b_req *q;

	if (f->sess[i] == NULL)
		f->sess[i] =
		        b_session_dtls(f->e->dtls_port, d->kid,
		                       (const uint8_t *)d->key, strlen(d->key));
	q = b_send(f->sess[i], COAP_REQUEST_CODE_GET, "ace-group/g4", -1, NULL,
	           0, 0, on_observe, f);
	f->opened++;
	if (q == NULL) {
		f->reg_failed++;
		return;
	}
	q->u = i;
}

static bool
fan_registered(void *arg)
{
	struct fan *f = arg;

	/* Open sessions in waves: at most 32 registrations pending. */
	while (f->opened < f->n &&
	       f->opened - f->registered - f->reg_failed < 32)
		fan_open(f, f->opened);
	return f->registered + f->reg_failed >= f->n;
}

static bool
fan_done(void *arg)
{
	struct fan *f = arg;
	char c;

	if (!f->stop && read(f->stop_fd, &c, 1) == 1)
		f->stop = true;
	return f->stop || f->notified >= f->registered;
}

static int
write_all(int fd, const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n > 0) {
		ssize_t w = write(fd, b, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

static int
read_all(int fd, void *p, size_t n, uint64_t deadline)
{
	uint8_t *b = p;

	while (n > 0) {
		struct pollfd pfd = {fd, POLLIN, 0};
		uint64_t now = b_now_ns();
		ssize_t r;

		if (now >= deadline ||
		    poll(&pfd, 1, (int)((deadline - now) / 1000000u) + 1) <= 0)
			return -1;
		r = read(fd, b, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		b += r;
		n -= (size_t)r;
	}
	return 0;
}

/* One worker: admit its devices, open n observer sessions, report READY,
 * timestamp the notifications, report RESULT. */
static void
fan_worker(struct b_env *e, unsigned w, unsigned n, int out_fd, int stop_fd)
{
	static unsigned run;
	struct fan f;
	coap_session_t **first = NULL;
	char prefix[40];
	uint32_t hdr[2];

	b_load_child_reset();
	memset(&f, 0, sizeof(f));
	f.e = e;
	f.n = n;
	f.ndev = n < S4_DEV_PER_WORK ? n : S4_DEV_PER_WORK;
	f.stop_fd = stop_fd;
	snprintf(prefix, sizeof(prefix), "s4p%dr%uw%u-", (int)getppid(), run++,
	         w);
	f.sess = calloc(n, sizeof(*f.sess));
	f.got = calloc(n, sizeof(*f.got));
	f.when = calloc(n + 1, sizeof(*f.when));
	if (f.sess == NULL || f.got == NULL || f.when == NULL ||
	    open_members(e, prefix, "g4", f.ndev, &f.devs, &first) != 0) {
		b_log("S4 worker %u: set-up failed", w);
		hdr[0] = MSG_READY;
		hdr[1] = 0;
		write_all(out_fd, hdr, sizeof(hdr));
		_exit(1);
	}
	/* The members' own sessions observe first; the other sessions share
	 * their keys (one binding serves every session of its key). */
	memcpy(f.sess, first, f.ndev * sizeof(*first));
	b_run(fan_registered, &f, b_now_ns() + SETUP_NS);
	/* Let the acknowledgements settle. */
	b_run(NULL, NULL, b_now_ns() + 200000000ull);
	f.armed = true;
	hdr[0] = MSG_READY;
	hdr[1] = f.registered;
	if (write_all(out_fd, hdr, sizeof(hdr)) != 0)
		_exit(1);
	b_run(fan_done, &f, b_now_ns() + 120000000000ull);
	if (getenv("KDC_BENCH_DEBUG") != NULL)
		for (unsigned i = 0; i < n; i++)
			if (!f.got[i])
				b_log("worker %u: session %u (%s) state %d not "
				      "notified",
				      w, i, coap_session_str(f.sess[i]),
				      (int)coap_session_get_state(f.sess[i]));
	hdr[0] = MSG_RESULT;
	hdr[1] = f.notified;
	if (write_all(out_fd, hdr, sizeof(hdr)) != 0 ||
	    write_all(out_fd, f.when, f.notified * sizeof(*f.when)) != 0)
		_exit(1);
	/* Close the sessions (DTLS close_notify) before leaving. */
	b_fail_all();
	for (unsigned i = 0; i < n; i++)
		if (f.sess[i] != NULL)
			coap_session_release(f.sess[i]);
	b_run(NULL, NULL, b_now_ns() + 200000000ull);
	_exit(0);
}

int
b_s4_fanout(struct b_env *e, const struct b_cfg *c, unsigned n,
            struct b_result *r)
{
	const char *pw = getenv("KDC_BENCH_S4_PER_WORKER");
	unsigned per =
	        pw != NULL && atoi(pw) > 0 ? (unsigned)atoi(pw) : S4_PER_WORKER;
	unsigned nw = (n + per - 1) / per;
	pid_t *pid = calloc(nw, sizeof(*pid));
	int *from = calloc(nw, sizeof(*from)),
	    *stop = calloc(nw, sizeof(*stop));
	struct b_lat lat;
	unsigned registered = 0, notified = 0;
	bool stopped = false;
	struct b_probe pr;
	uint64_t t_setup = b_now_ns(), t0, t_last = 0, deadline;
	int rc = -1;

	(void)c;
	memset(&lat, 0, sizeof(lat));
	if (pid == NULL || from == NULL || stop == NULL)
		goto out;
	for (unsigned w = 0; w < nw; w++)
		from[w] = stop[w] = -1;
	fflush(stdout);
	fflush(stderr);
	for (unsigned w = 0; w < nw; w++) {
		unsigned share = n / nw + (w < n % nw ? 1 : 0);
		int p1[2], p2[2];

		if (pipe(p1) != 0 || pipe(p2) != 0)
			goto out;
		pid[w] = fork();
		if (pid[w] < 0)
			goto out;
		if (pid[w] == 0) {
			close(p1[0]);
			close(p2[1]);
			fcntl(p2[0], F_SETFL, O_NONBLOCK);
			fan_worker(e, w, share, p1[1], p2[0]);
		}
		close(p1[1]);
		close(p2[0]);
		from[w] = p1[0];
		stop[w] = p2[1];
	}
	/* Every worker registered its observers. */
	for (unsigned w = 0; w < nw; w++) {
		uint32_t hdr[2];

		if (read_all(from[w], hdr, sizeof(hdr),
		             b_now_ns() + SETUP_NS) != 0 ||
		    hdr[0] != MSG_READY) {
			b_log("S4 n=%u: worker %u did not get ready", n, w);
			goto out;
		}
		registered += hdr[1];
	}
	b_log("S4 n=%u: %u observers registered in %.1f s (%u processes)", n,
	      registered, (double)(b_now_ns() - t_setup) / 1e9, nw);
	b_lat_init(&lat, registered + 1);
	b_probe_start(e, &pr);
	t0 = b_now_ns();
	if (b_rekey(e, "g4") != 0) {
		b_log("S4: the rekey request failed");
		goto out;
	}
	deadline = t0 + 30000000000ull;
	for (unsigned w = 0; w < nw; w++) {
		uint32_t hdr[2];
		uint64_t *when;

		if (read_all(from[w], hdr, sizeof(hdr), deadline) != 0) {
			/* Late: stop everyone, then read what they have. */
			for (unsigned k = 0; k < nw && !stopped; k++)
				if (write_all(stop[k], "s", 1) != 0)
					b_log("S4: cannot stop worker %u", k);
			stopped = true;
			deadline = b_now_ns() + 10000000000ull;
			if (read_all(from[w], hdr, sizeof(hdr), deadline) != 0)
				continue;
		}
		if (hdr[0] != MSG_RESULT)
			continue;
		when = calloc(hdr[1] + 1, sizeof(*when));
		if (when == NULL ||
		    read_all(from[w], when, hdr[1] * sizeof(*when), deadline) !=
		            0) {
			free(when);
			continue;
		}
		for (uint32_t k = 0; k < hdr[1]; k++) {
			b_lat_add(&lat, when[k] - t0);
			if (when[k] > t_last)
				t_last = when[k];
		}
		notified += hdr[1];
		free(when);
	}
	r->scenario = "S4";
	r->name = "rekey-fanout";
	r->system = "kdc";
	r->frontends = e->nfe;
	snprintf(r->params, sizeof(r->params), "n%u", n);
	r->ops = notified;
	r->errors = n - notified;
	r->secs = notified > 0 ? (double)(t_last - t0) / 1e9 : 0;
	r->value_ms = notified > 0 ? (double)(t_last - t0) / 1e6 : -1;
	r->ops_per_s = r->secs > 0 ? notified / r->secs : 0;
	r->p50_ms = b_lat_pct_ms(&lat, 50);
	r->p99_ms = b_lat_pct_ms(&lat, 99);
	snprintf(r->extra, sizeof(r->extra), "workers=%u registered=%u", nw,
	         registered);
	b_probe_end(e, &pr, r->probe, sizeof(r->probe));
	b_result_rss(e, r);
	rc = 0;
out:
	b_lat_free(&lat);
	for (unsigned w = 0; pid != NULL && w < nw; w++) {
		if (stop != NULL && stop[w] >= 0) {
			if (rc != 0 && write_all(stop[w], "s", 1) != 0)
				b_log("S4: cannot stop worker %u", w);
			close(stop[w]);
		}
		if (from != NULL && from[w] >= 0)
			close(from[w]);
		if (pid[w] > 0) {
			if (rc != 0)
				kill(pid[w], SIGTERM);
			waitpid(pid[w], NULL, 0);
		}
	}
	free(pid);
	free(from);
	free(stop);
	/* Let the frontend forget the closed sessions. */
	usleep(300000);
	return rc;
}

/* ------------------------------------------------------------------ */
/* S5: scale */

int
b_s5_scale(struct b_env *e, const struct b_cfg *c, unsigned long members,
           struct b_result *r)
{
	static unsigned run;
	struct adm a;
	char prefix[32];
	double secs;
	long added;

	b_frontends_stop(e);
	b_keystore_stop(e);
	{
		uint64_t t = b_now_ns();

		added = b_bulk_load(e, "g5", members);
		if (added < 0)
			return -1;
		b_log("S5: %ld members loaded in %.1f s (database %.1f MiB)",
		      added, (double)(b_now_ns() - t) / 1e9,
		      (double)b_db_bytes(e) / 1048576.0);
	}
	if (b_keystore_start(e) != 0 || b_frontends_start(e, 1) != 0)
		return -1;
	memset(&a, 0, sizeof(a));
	a.e = e;
	a.group = "g5";
	a.ndev = c->s5_joins;
	a.target = c->s5_joins;
	snprintf(prefix, sizeof(prefix), "s5r%u-", run++);
	a.devs = b_devs_new(e, prefix, a.ndev, "g5", 86400);
	if (a.devs == NULL)
		return -1;
	secs = admit(&a, 4, c->secs * 3);
	r->scenario = "S5";
	r->name = "scale-join";
	r->system = "kdc";
	r->frontends = e->nfe;
	snprintf(r->params, sizeof(r->params), "m%lu", members);
	memcpy(r->probe, a.probe, sizeof(r->probe));
	r->members = (long long)members;
	r->ops = a.done;
	r->errors = a.errors;
	r->secs = secs;
	r->ops_per_s = secs > 0 ? (double)a.done / secs : 0;
	/* The Join request alone (the DTLS handshake is not the store). */
	r->p50_ms = b_lat_pct_ms(&a.lat_join, 50);
	r->p99_ms = b_lat_pct_ms(&a.lat_join, 99);
	snprintf(r->extra, sizeof(r->extra),
	         "token_p50_ms=%.3f token_p99_ms=%.3f rss_ks_now_kib=%ld "
	         "db_mib=%.1f",
	         b_lat_pct_ms(&a.lat_tok, 50), b_lat_pct_ms(&a.lat_tok, 99),
	         b_rss_now_kib(e->ks_pid), (double)b_db_bytes(e) / 1048576.0);
	b_result_rss(e, r);
	adm_free(&a);
	b_devs_free(a.devs, c->s5_joins);
	return 0;
}
