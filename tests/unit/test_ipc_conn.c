/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_ipc_conn.c — connections: server and async client in one uv loop on
 * a socket under a mkdtemp() folder, raw sockets that break the protocol,
 * the sync client against a server running in a second thread, and the
 * peer-credential checks (pure decision, and a forked child that drops to
 * uid 65534 when the tests run as root).
 *
 * Log lines are captured (stderr is redirected to a file per test) so that
 * refusals can be asserted on; other stderr output is copied back.  Every
 * wait is bounded (a liveness guard, not a timing assertion).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "ipc_conn.h"
#include "ipc_msg.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define WAIT_MS 20000 /* liveness bound of every wait */
#define NPIPE   1000

/* ---- log capture ---- */

static char log_path[128];
static int saved_stderr = -1;

static long
log_size(void)
{
	struct stat st;

	return stat(log_path, &st) == 0 ? (long)st.st_size : 0;
}

/* Count lines holding all of the needles, from byte offset `since`. */
static int
log_count(long since, const char *a, const char *b)
{
	FILE *f = fopen(log_path, "r");
	char line[2048];
	int n = 0;

	if (f == NULL)
		return 0;
	fseek(f, since, SEEK_SET);
	while (fgets(line, sizeof(line), f) != NULL)
		if (strstr(line, a) != NULL && (b == NULL || strstr(line, b)))
			n++;
	fclose(f);
	return n;
}

/* ---- loop driving ---- */

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
on_tick(uv_timer_t *t)
{
	(void)t;
}

typedef bool (*cond_fn)(void *);

struct test;
static bool run_until(struct test *t, cond_fn cond, void *arg);

/* ---- server side ---- */

struct held {
	struct ipc_conn *c;
	uint32_t reqid;
	uint16_t type;
	uint8_t p[16];
	size_t n;
};

struct srv {
	uv_loop_t *loop;
	struct ipc_server *s;
	char path[128];
	int opens, closes, frames;
	uint8_t last_kind;
	char last_name[IPC_NAME_MAX + 1];
	pid_t last_pid;
	uid_t last_uid;
	gid_t last_gid;
	uint64_t last_id;
	struct ipc_conn *last;
	int push_on_open;
	struct held *held;
	size_t nheld, hold_batch;
	/* one late reply (sync test) */
	uv_timer_t late_timer;
	bool late_timer_init;
	struct held late;
	bool late_pending;
	uv_async_t stop; /* threaded server */
};

static void
srv_reply(struct ipc_conn *c, uint16_t type, uint16_t flags, uint32_t reqid,
          const void *p, size_t n)
{
	assert_int_equal(ipc_conn_send(c, type, flags, reqid, p, n), IPC_OK);
}

static void
srv_push_group(struct ipc_conn *c, const char *name)
{
	struct ipc_group_name_msg m;
	struct ipc_wbuf w;

	memset(&m, 0, sizeof(m));
	snprintf(m.group, sizeof(m.group), "%s", name);
	ipc_wbuf_init(&w);
	assert_int_equal(ipc_enc_group_name_msg(&w, &m), 0);
	assert_int_equal(ipc_conn_send(c, IPC_MSG_PUSH_GROUP_ADDED, IPC_F_PUSH,
	                               0, w.p, w.len),
	                 IPC_OK);
	ipc_wbuf_free(&w);
}

static void
srv_on_open(struct ipc_conn *c, void *arg)
{
	struct srv *s = arg;
	char name[16];

	s->opens++;
	s->last = c;
	s->last_kind = ipc_conn_peer_kind(c);
	snprintf(s->last_name, sizeof(s->last_name), "%s", ipc_conn_name(c));
	s->last_pid = ipc_conn_pid(c);
	s->last_uid = ipc_conn_uid(c);
	s->last_gid = ipc_conn_gid(c);
	s->last_id = ipc_conn_id(c);
	ipc_conn_set_data(c, s);
	for (int i = 0; i < s->push_on_open; i++) {
		snprintf(name, sizeof(name), "g%d", i);
		srv_push_group(c, name);
	}
}

static void
on_late(uv_timer_t *t)
{
	struct srv *s = t->data;

	if (!s->late_pending)
		return;
	s->late_pending = false;
	srv_reply(s->late.c, s->late.type, IPC_F_REPLY, s->late.reqid,
	          s->late.p, s->late.n);
}

/* Commands are the first payload byte; see the file comment of each test. */
static int
srv_on_frame(struct ipc_conn *c, const struct ipc_hdr *h, const uint8_t *p,
             void *arg)
{
	struct srv *s = arg;
	struct held *x;

	assert_ptr_equal(ipc_conn_get_data(c), s);
	s->frames++;
	if (h->len == 0)
		return -1;
	switch (p[0]) {
	case 'E': /* echo */
		srv_reply(c, h->type, IPC_F_REPLY, h->reqid, p, h->len);
		return 0;
	case 'H': /* hold until hold_batch, then answer in reverse */
		assert_true(s->nheld < s->hold_batch && h->len <= 16);
		x = &s->held[s->nheld++];
		x->c = c;
		x->reqid = h->reqid;
		x->type = h->type;
		memcpy(x->p, p, h->len);
		x->n = h->len;
		if (s->nheld == s->hold_batch) {
			while (s->nheld > 0) {
				x = &s->held[--s->nheld];
				srv_reply(x->c, x->type, IPC_F_REPLY, x->reqid,
				          x->p, x->n);
			}
		}
		return 0;
	case 'X': /* reject */
		return -1;
	case 'S': /* stream: three MORE frames, then the end */
		srv_reply(c, h->type, IPC_F_REPLY | IPC_F_MORE, h->reqid, "m0",
		          2);
		srv_reply(c, h->type, IPC_F_REPLY | IPC_F_MORE, h->reqid, "m1",
		          2);
		srv_reply(c, h->type, IPC_F_REPLY | IPC_F_MORE, h->reqid, "m2",
		          2);
		srv_reply(c, h->type, IPC_F_REPLY, h->reqid, "end", 3);
		return 0;
	case 'P': /* a push, then the echo */
		srv_push_group(c, "pushed");
		srv_reply(c, h->type, IPC_F_REPLY, h->reqid, p, h->len);
		return 0;
	case 'N': /* never answer */
		return 0;
	case 'L': /* answer after 300 ms */
		assert_false(s->late_pending);
		s->late.c = c;
		s->late.reqid = h->reqid;
		s->late.type = h->type;
		memcpy(s->late.p, p, h->len > 16 ? 16 : h->len);
		s->late.n = h->len > 16 ? 16 : h->len;
		s->late_pending = true;
		uv_timer_start(&s->late_timer, on_late, 300, 0);
		return 0;
	case 'C': /* answer, then close gracefully */
		srv_reply(c, h->type, IPC_F_REPLY, h->reqid, p, h->len);
		ipc_conn_close(c, "test asked to close");
		/* nothing more may be queued */
		assert_int_equal(ipc_conn_send(c, h->type, IPC_F_REPLY,
		                               h->reqid, p, h->len),
		                 IPC_E_UNAVAILABLE);
		return 0;
	default:
		return -1;
	}
}

static void
srv_on_close(struct ipc_conn *c, void *arg)
{
	struct srv *s = arg;

	s->closes++;
	if (s->late_pending && s->late.c == c)
		s->late_pending = false;
	for (size_t i = 0; i < s->nheld; i++)
		if (s->held[i].c == c)
			s->held[i].c = NULL;
	if (s->last == c)
		s->last = NULL;
}

static struct ipc_server_cfg
srv_cfg(struct srv *s, uint8_t kind)
{
	struct ipc_server_cfg cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.path = s->path;
	cfg.mode = 0660;
	cfg.group = (gid_t)-1;
	cfg.peer_kind = kind;
	cfg.version = IPC_PROTO_VERSION;
	cfg.software = "kdc-test 9.9";
	cfg.instance = 42;
	cfg.on_open = srv_on_open;
	cfg.on_frame = srv_on_frame;
	cfg.on_close = srv_on_close;
	cfg.arg = s;
	return cfg;
}

static void
srv_start(struct srv *s, uv_loop_t *loop, uint8_t kind)
{
	struct ipc_server_cfg cfg = srv_cfg(s, kind);

	s->loop = loop;
	if (!s->late_timer_init) {
		uv_timer_init(loop, &s->late_timer);
		s->late_timer.data = s;
		s->late_timer_init = true;
	}
	s->s = ipc_server_listen(loop, &cfg);
	assert_non_null(s->s);
}

static void
srv_stop(struct srv *s)
{
	if (s->s != NULL)
		ipc_server_close(s->s);
	s->s = NULL;
}

/* ---- client side ---- */

struct test;

struct req {
	struct test *t;
	uint32_t idx;
	int calls; /* final callbacks */
	int mores;
	int st;
	int order;
	uint16_t rtype;
	uint8_t reply[32];
	size_t reply_len;
	size_t full_len;
	uint8_t last;
	void (*then)(struct req *r);
};

struct cl {
	struct test *t;
	struct ipc_client *c;
	int ups, downs, pushes;
	char software[IPC_NAME_MAX + 1];
	uint64_t instance;
	char push_names[8][KDC_GNAME_MAX + 1];
	void (*on_down_then)(struct cl *);
};

struct test {
	char dir[64];
	uv_loop_t loop;
	uv_timer_t tick;
	struct srv srv;
	struct cl a, b;
	int completed;
	long log_mark;
};

static bool
run_until(struct test *t, cond_fn cond, void *arg)
{
	int64_t end = now_ms() + WAIT_MS;

	while (!cond(arg)) {
		if (now_ms() > end)
			return false;
		uv_run(&t->loop, UV_RUN_ONCE);
	}
	return true;
}

static void
cl_on_up(void *arg, const char *software, uint64_t instance)
{
	struct cl *c = arg;

	c->ups++;
	snprintf(c->software, sizeof(c->software), "%s", software);
	c->instance = instance;
}

static void
cl_on_down(void *arg)
{
	struct cl *c = arg;

	c->downs++;
	if (c->on_down_then != NULL)
		c->on_down_then(c);
}

static void
cl_on_push(void *arg, const struct ipc_hdr *h, const uint8_t *p)
{
	struct cl *c = arg;
	struct ipc_group_name_msg m;

	assert_true(h->flags & IPC_F_PUSH);
	assert_int_equal(h->reqid, 0);
	assert_int_equal(h->type, IPC_MSG_PUSH_GROUP_ADDED);
	assert_int_equal(ipc_dec_group_name_msg(p, h->len, &m), 0);
	if (c->pushes < 8)
		snprintf(c->push_names[c->pushes], sizeof(c->push_names[0]),
		         "%s", m.group);
	c->pushes++;
}

static void
cl_start(struct test *t, struct cl *c, uint8_t kind, uint32_t version,
         const char *name)
{
	struct ipc_client_cfg cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.path = t->srv.path;
	cfg.peer_kind = kind;
	cfg.name = name;
	cfg.version = version;
	cfg.backoff_min_ms = 20;
	cfg.backoff_max_ms = 200;
	cfg.on_up = cl_on_up;
	cfg.on_down = cl_on_down;
	cfg.on_push = cl_on_push;
	cfg.arg = c;
	c->t = t;
	c->c = ipc_client_start(&t->loop, &cfg);
	assert_non_null(c->c);
}

static void
req_cb(void *arg, int st, const struct ipc_hdr *h, const uint8_t *p)
{
	struct req *r = arg;

	if (st == IPC_OK && (h->flags & IPC_F_MORE)) {
		r->mores++;
		return;
	}
	r->calls++;
	r->st = st;
	if (st == IPC_OK) {
		assert_non_null(h);
		assert_true(h->flags & IPC_F_REPLY);
		r->rtype = h->type;
		r->reply_len =
		        h->len < sizeof(r->reply) ? h->len : sizeof(r->reply);
		memcpy(r->reply, p, r->reply_len);
		r->full_len = h->len;
		r->last = h->len > 0 ? p[h->len - 1] : 0;
	} else {
		assert_null(h);
	}
	r->order = ++r->t->completed;
	if (r->then != NULL)
		r->then(r);
}

static uint32_t
send_cmd(struct cl *c, struct req *r, const char *cmd)
{
	r->t = c->t;
	return ipc_client_request(c->c, IPC_MSG_GROUP_READ,
	                          (const uint8_t *)cmd, strlen(cmd), req_cb, r);
}

static bool
is_up(void *arg)
{
	struct cl *c = arg;

	return c->ups > 0 && ipc_client_is_up(c->c);
}

static bool
req_done(void *arg)
{
	return ((struct req *)arg)->calls > 0;
}

static bool
srv_has_closed(void *arg)
{
	return ((struct srv *)arg)->closes > 0;
}

struct closewait {
	struct srv *s;
	int n;
};

static bool
closes_reach(void *arg)
{
	struct closewait *w = arg;

	return w->s->closes >= w->n;
}

/* ---- fixtures ---- */

static int
setup(void **state)
{
	struct test *t = calloc(1, sizeof(*t));
	int fd;

	assert_non_null(t);
	snprintf(t->dir, sizeof(t->dir), "/tmp/kdc-ipc-XXXXXX");
	assert_non_null(mkdtemp(t->dir));
	snprintf(t->srv.path, sizeof(t->srv.path), "%s/ks.sock", t->dir);
	assert_int_equal(uv_loop_init(&t->loop), 0);
	uv_timer_init(&t->loop, &t->tick);
	uv_timer_start(&t->tick, on_tick, 5, 5);

	snprintf(log_path, sizeof(log_path), "%s/log", t->dir);
	fflush(stderr);
	saved_stderr = dup(STDERR_FILENO);
	fd = open(log_path, O_CREAT | O_TRUNC | O_WRONLY | O_APPEND, 0600);
	assert_true(fd >= 0);
	dup2(fd, STDERR_FILENO);
	close(fd);
	kdc_log_init("test", KDC_LOG_DEBUG); /* not a tty: "<N>" prefixes */
	*state = t;
	return 0;
}

static void
close_walk(uv_handle_t *h, void *arg)
{
	(void)arg;
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

static int
teardown(void **state)
{
	struct test *t = *state;
	FILE *f;
	char line[2048];

	if (t->a.c != NULL)
		ipc_client_stop(t->a.c);
	if (t->b.c != NULL)
		ipc_client_stop(t->b.c);
	srv_stop(&t->srv);
	uv_timer_stop(&t->tick);
	uv_close((uv_handle_t *)&t->tick, NULL);
	if (t->srv.late_timer_init)
		uv_close((uv_handle_t *)&t->srv.late_timer, NULL);
	uv_run(&t->loop, UV_RUN_DEFAULT);
	/* every handle of the library is closed by now */
	if (uv_loop_close(&t->loop) != 0) {
		uv_walk(&t->loop, close_walk, NULL);
		uv_run(&t->loop, UV_RUN_DEFAULT);
		uv_loop_close(&t->loop);
		fail_msg("handles left open on the loop");
	}
	free(t->srv.held);

	/* Restore stderr; copy back what was not a log line (cmocka's
	 * messages), or everything with KDC_TEST_VERBOSE. */
	fflush(stderr);
	dup2(saved_stderr, STDERR_FILENO);
	close(saved_stderr);
	f = fopen(log_path, "r");
	if (f != NULL) {
		while (fgets(line, sizeof(line), f) != NULL)
			if (line[0] != '<' || getenv("KDC_TEST_VERBOSE"))
				fputs(line, stderr);
		fclose(f);
	}
	unlink(log_path);
	unlink(t->srv.path);
	rmdir(t->dir);
	free(t);
	return 0;
}

/* ---- tests: async client and server in one loop ---- */

static void
handshake_ok(void **state)
{
	struct test *t = *state;

	srv_start(&t->srv, &t->loop, IPC_PEER_FRONTEND);
	cl_start(t, &t->a, IPC_PEER_FRONTEND, IPC_PROTO_VERSION, "frontend@1");
	assert_false(ipc_client_is_up(t->a.c));
	assert_true(run_until(t, is_up, &t->a));
	assert_int_equal(t->a.ups, 1);
	assert_string_equal(t->a.software, "kdc-test 9.9");
	assert_true(t->a.instance == 42);
	assert_int_equal(t->srv.opens, 1);
	assert_int_equal(t->srv.last_kind, IPC_PEER_FRONTEND);
	assert_string_equal(t->srv.last_name, "frontend@1");
	assert_int_equal(t->srv.last_pid, getpid());
	assert_int_equal(t->srv.last_uid, geteuid());
	assert_int_equal(t->srv.last_gid, getegid());
	assert_true(t->srv.last_id > 0);
	assert_int_equal(ipc_conn_pending_bytes(t->srv.last), 0);
	/* the socket file got the configured mode */
	{
		struct stat st;

		assert_int_equal(stat(t->srv.path, &st), 0);
		assert_true(S_ISSOCK(st.st_mode));
		assert_int_equal(st.st_mode & 0777, 0660);
	}
	/* stopping the client closes the server's connection */
	ipc_client_stop(t->a.c);
	t->a.c = NULL;
	assert_true(run_until(t, srv_has_closed, &t->srv));
	assert_int_equal(t->srv.closes, 1);
	assert_int_equal(t->a.downs, 0); /* stop does not report on_down */
}

struct logwait {
	long since;
	const char *a, *b;
	int n;
};

static bool
log_has(void *arg)
{
	struct logwait *w = arg;

	return log_count(w->since, w->a, w->b) >= w->n;
}

static void
version_mismatch_refused(void **state)
{
	struct test *t = *state;
	struct logwait srv_w = {log_size(), "protocol version mismatch",
	                        "peer 2, keystore 1", 2};
	struct logwait cl_w = {srv_w.since, "refused the handshake",
	                       "version mismatch", 2};

	srv_start(&t->srv, &t->loop, IPC_PEER_FRONTEND);
	cl_start(t, &t->a, IPC_PEER_FRONTEND, IPC_PROTO_VERSION + 1,
	         "frontend@new");
	/* refused twice (the client retries), seen on both sides */
	assert_true(run_until(t, log_has, &srv_w));
	assert_true(run_until(t, log_has, &cl_w));
	assert_int_equal(t->a.ups, 0);
	assert_false(ipc_client_is_up(t->a.c));
	assert_int_equal(t->srv.opens, 0);
	assert_int_equal(t->srv.frames, 0);
	assert_int_equal(t->srv.closes, 0); /* never opened: no on_close */
}

static void
wrong_peer_kind_refused(void **state)
{
	struct test *t = *state;
	struct logwait w = {log_size(), "handshake refused",
	                    "peer kind 2 not served", 1};
	struct req r = {0};

	srv_start(&t->srv, &t->loop, IPC_PEER_FRONTEND);
	cl_start(t, &t->a, IPC_PEER_ADMIN, IPC_PROTO_VERSION, "admin");
	assert_true(run_until(t, log_has, &w));
	assert_int_equal(t->a.ups, 0);
	assert_int_equal(t->srv.opens, 0);
	/* requests fail at once while not up */
	r.t = t;
	assert_int_equal(ipc_client_request(t->a.c, IPC_MSG_ADM_STATUS, NULL, 0,
	                                    req_cb, &r),
	                 0);
	assert_int_equal(r.calls, 1);
	assert_int_equal(r.st, IPC_E_UNAVAILABLE);
}

static bool
all_done(void *arg)
{
	struct test *t = arg;

	return t->completed >= NPIPE;
}

static void
pipelined_reverse_order(void **state)
{
	struct test *t = *state;
	struct req *r = calloc(NPIPE, sizeof(*r));
	char cmd[16];

	t->srv.held = calloc(NPIPE, sizeof(*t->srv.held));
	t->srv.hold_batch = NPIPE;
	srv_start(&t->srv, &t->loop, IPC_PEER_FRONTEND);
	cl_start(t, &t->a, IPC_PEER_FRONTEND, IPC_PROTO_VERSION, "fe");
	assert_true(run_until(t, is_up, &t->a));
	for (uint32_t i = 0; i < NPIPE; i++) {
		r[i].idx = i;
		snprintf(cmd, sizeof(cmd), "H%u", i);
		assert_true(send_cmd(&t->a, &r[i], cmd) != 0);
	}
	assert_int_equal(ipc_client_inflight(t->a.c), NPIPE);
	assert_true(run_until(t, all_done, t));
	assert_int_equal(ipc_client_inflight(t->a.c), 0);
	for (uint32_t i = 0; i < NPIPE; i++) {
		char want[16];

		snprintf(want, sizeof(want), "H%u", i);
		assert_int_equal(r[i].calls, 1);
		assert_int_equal(r[i].st, IPC_OK);
		assert_int_equal(r[i].rtype, IPC_MSG_GROUP_READ);
		assert_int_equal(r[i].reply_len, strlen(want));
		assert_memory_equal(r[i].reply, want, strlen(want));
		/* answered last first */
		assert_int_equal(r[i].order, NPIPE - (int)i);
	}
	free(r);
}

struct many {
	struct test *t;
	int n;
};

static bool
many_done(void *arg)
{
	struct many *m = arg;

	return m->t->completed >= m->n;
}

static void
many_in_flight(void **state)
{
	enum { N = 20000 };
	struct test *t = *state;
	struct req *r = calloc(N, sizeof(*r));
	struct many m = {t, N};
	char cmd[16];

	srv_start(&t->srv, &t->loop, IPC_PEER_FRONTEND);
	cl_start(t, &t->a, IPC_PEER_FRONTEND, IPC_PROTO_VERSION, "fe");
	assert_true(run_until(t, is_up, &t->a));
	for (uint32_t i = 0; i < N; i++) {
		snprintf(cmd, sizeof(cmd), "E%u", i);
		assert_true(send_cmd(&t->a, &r[i], cmd) != 0);
	}
	assert_int_equal(ipc_client_inflight(t->a.c), N);
	assert_true(run_until(t, many_done, &m));
	assert_int_equal(ipc_client_inflight(t->a.c), 0);
	for (uint32_t i = 0; i < N; i++) {
		snprintf(cmd, sizeof(cmd), "E%u", i);
		assert_int_equal(r[i].calls, 1);
		assert_int_equal(r[i].st, IPC_OK);
		assert_int_equal(r[i].reply_len, strlen(cmd));
		assert_memory_equal(r[i].reply, cmd, strlen(cmd));
	}
	free(r);
}

static void
max_size_frame(void **state)
{
	struct test *t = *state;
	uint8_t *big = malloc(IPC_MAX_PAYLOAD + 1);
	struct req r = {0}, r2 = {0};

	for (size_t i = 0; i <= IPC_MAX_PAYLOAD; i++)
		big[i] = (uint8_t)(i * 31 + 7);
	big[0] = 'E';
	srv_start(&t->srv, &t->loop, IPC_PEER_FRONTEND);
	cl_start(t, &t->a, IPC_PEER_FRONTEND, IPC_PROTO_VERSION, "fe");
	assert_true(run_until(t, is_up, &t->a));
	r.t = t;
	assert_true(ipc_client_request(t->a.c, IPC_MSG_JOIN, big,
	                               IPC_MAX_PAYLOAD, req_cb, &r) != 0);
	/* one byte more is refused before it is sent */
	r2.t = t;
	assert_int_equal(ipc_client_request(t->a.c, IPC_MSG_JOIN, big,
	                                    IPC_MAX_PAYLOAD + 1, req_cb, &r2),
	                 0);
	assert_int_equal(r2.st, IPC_E_PROTO);
	assert_true(run_until(t, req_done, &r));
	assert_int_equal(r.st, IPC_OK);
	assert_int_equal(r.full_len, IPC_MAX_PAYLOAD);
	assert_memory_equal(r.reply, big, sizeof(r.reply));
	assert_int_equal(r.last, big[IPC_MAX_PAYLOAD - 1]);
	free(big);
}

static bool
three_pushes(void *arg)
{
	return ((struct cl *)arg)->pushes >= 3;
}

static void
pushes_and_streams(void **state)
{
	struct test *t = *state;
	struct req r = {0}, s = {0};
	uint8_t dummy = 0;

	t->srv.push_on_open = 3;
	srv_start(&t->srv, &t->loop, IPC_PEER_FRONTEND);
	cl_start(t, &t->a, IPC_PEER_FRONTEND, IPC_PROTO_VERSION, "fe");
	assert_true(run_until(t, is_up, &t->a));
	assert_true(run_until(t, three_pushes, &t->a));
	assert_string_equal(t->a.push_names[0], "g0");
	assert_string_equal(t->a.push_names[1], "g1");
	assert_string_equal(t->a.push_names[2], "g2");
	/* a push before a reply is delivered before it */
	assert_true(send_cmd(&t->a, &r, "P") != 0);
	assert_true(run_until(t, req_done, &r));
	assert_int_equal(t->a.pushes, 4);
	assert_string_equal(t->a.push_names[3], "pushed");
	/* streamed reply: MORE frames keep the request pending */
	assert_true(send_cmd(&t->a, &s, "S") != 0);
	assert_true(run_until(t, req_done, &s));
	assert_int_equal(s.mores, 3);
	assert_int_equal(s.calls, 1);
	assert_int_equal(s.reply_len, 3);
	assert_memory_equal(s.reply, "end", 3);
	assert_int_equal(ipc_client_inflight(t->a.c), 0);
	/* headers the peer would refuse are refused at the sender */
	assert_int_equal(ipc_conn_send(t->srv.last, IPC_MSG_PUSH_MEMBER,
	                               IPC_F_PUSH, 5, NULL, 0),
	                 IPC_E_PROTO);
	assert_int_equal(ipc_conn_send(t->srv.last, IPC_MSG_COAP_RESULT,
	                               IPC_F_MORE, 5, NULL, 0),
	                 IPC_E_PROTO);
	assert_int_equal(ipc_conn_send(t->srv.last, IPC_MSG_COAP_RESULT, 0x80,
	                               5, NULL, 0),
	                 IPC_E_PROTO);
	assert_int_equal(ipc_conn_send(t->srv.last, IPC_MSG_COAP_RESULT,
	                               IPC_F_REPLY, 5, NULL, 1),
	                 IPC_E_PROTO);
	/* the client refuses to send what the server would refuse */
	r.calls = 0;
	assert_int_equal(ipc_client_request(t->a.c, IPC_MSG_ADM_STATUS, NULL, 0,
	                                    req_cb, &r),
	                 0);
	assert_int_equal(r.st, IPC_E_PROTO);
	r.calls = 0;
	assert_int_equal(ipc_client_request(t->a.c, IPC_MSG_FE_STATS, NULL, 0,
	                                    req_cb, &r),
	                 0);
	assert_int_equal(r.st, IPC_E_PROTO);
	assert_int_equal(ipc_client_notify(t->a.c, IPC_MSG_JOIN, &dummy, 1),
	                 IPC_E_PROTO);
}

static bool
fe_stats_seen(void *arg)
{
	return ((struct srv *)arg)->frames >= 1;
}

static int
stats_on_frame(struct ipc_conn *c, const struct ipc_hdr *h, const uint8_t *p,
               void *arg)
{
	struct srv *s = arg;
	struct ipc_fe_stats st;

	(void)c;
	assert_int_equal(h->type, IPC_MSG_FE_STATS);
	assert_int_equal(h->reqid, 0);
	assert_int_equal(ipc_dec_fe_stats(p, h->len, &st), 0);
	assert_true(st.requests == 17);
	s->frames++;
	return 0;
}

static void
notify_fe_stats(void **state)
{
	struct test *t = *state;
	struct ipc_server_cfg cfg = srv_cfg(&t->srv, IPC_PEER_FRONTEND);
	struct ipc_fe_stats st = {17, 1, 2, 3};
	struct ipc_wbuf w;

	cfg.on_frame = stats_on_frame;
	t->srv.loop = &t->loop;
	t->srv.s = ipc_server_listen(&t->loop, &cfg);
	assert_non_null(t->srv.s);
	cl_start(t, &t->a, IPC_PEER_FRONTEND, IPC_PROTO_VERSION, "fe");
	ipc_wbuf_init(&w);
	assert_int_equal(ipc_enc_fe_stats(&w, &st), 0);
	assert_int_equal(
	        ipc_client_notify(t->a.c, IPC_MSG_FE_STATS, w.p, w.len),
	        IPC_E_UNAVAILABLE);
	assert_true(run_until(t, is_up, &t->a));
	assert_int_equal(
	        ipc_client_notify(t->a.c, IPC_MSG_FE_STATS, w.p, w.len),
	        IPC_OK);
	assert_true(run_until(t, fe_stats_seen, &t->srv));
	assert_int_equal(ipc_client_inflight(t->a.c), 0);
	ipc_wbuf_free(&w);
}

static bool
down_and_done(void *arg)
{
	struct req *r = arg;

	return r->calls > 0 && r->t->a.downs > 0;
}

static void
rejected_frame_closes_only_that_connection(void **state)
{
	struct test *t = *state;
	struct req ra = {0}, rb = {0}, rc = {0};
	long mark = log_size();

	srv_start(&t->srv, &t->loop, IPC_PEER_FRONTEND);
	cl_start(t, &t->a, IPC_PEER_FRONTEND, IPC_PROTO_VERSION, "fe-a");
	cl_start(t, &t->b, IPC_PEER_FRONTEND, IPC_PROTO_VERSION, "fe-b");
	assert_true(run_until(t, is_up, &t->a));
	assert_true(run_until(t, is_up, &t->b));
	ra.t = t;
	assert_true(send_cmd(&t->a, &ra, "X") != 0);
	assert_true(run_until(t, down_and_done, &ra));
	assert_int_equal(ra.st, IPC_E_UNAVAILABLE);
	assert_int_equal(t->a.downs, 1);
	assert_true(log_count(mark, "frame rejected", "GROUP_READ") == 1);
	assert_true(run_until(t, srv_has_closed, &t->srv));
	/* the other connection is untouched */
	assert_int_equal(t->b.downs, 0);
	assert_true(send_cmd(&t->b, &rb, "Eb") != 0);
	assert_true(run_until(t, req_done, &rb));
	assert_int_equal(rb.st, IPC_OK);
	assert_memory_equal(rb.reply, "Eb", 2);
	/* and the rejected client comes back */
	assert_true(run_until(t, is_up, &t->a));
	assert_int_equal(t->a.ups, 2);
	assert_true(send_cmd(&t->a, &rc, "Ea") != 0);
	assert_true(run_until(t, req_done, &rc));
	assert_int_equal(rc.st, IPC_OK);
}

static void
graceful_close_flushes_reply(void **state)
{
	struct test *t = *state;
	struct req r = {0};

	srv_start(&t->srv, &t->loop, IPC_PEER_FRONTEND);
	cl_start(t, &t->a, IPC_PEER_FRONTEND, IPC_PROTO_VERSION, "fe");
	assert_true(run_until(t, is_up, &t->a));
	r.t = t;
	assert_true(send_cmd(&t->a, &r, "Cbye") != 0);
	assert_true(run_until(t, down_and_done, &r));
	/* the reply queued before the close arrived */
	assert_int_equal(r.st, IPC_OK);
	assert_memory_equal(r.reply, "Cbye", 4);
	assert_int_equal(t->a.downs, 1);
}

/* ---- raw sockets that break the protocol ---- */

struct raw {
	int fd;
	bool closed;
	uint8_t buf[4096];
	size_t len;
};

static void
raw_connect(struct raw *r, const char *path)
{
	struct sockaddr_un sun;

	memset(r, 0, sizeof(*r));
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	r->fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(r->fd >= 0);
	assert_int_equal(connect(r->fd, (struct sockaddr *)&sun, sizeof(sun)),
	                 0);
	fcntl(r->fd, F_SETFL, O_NONBLOCK);
}

static void
raw_write(struct raw *r, const void *p, size_t n)
{
	assert_int_equal(send(r->fd, p, n, MSG_NOSIGNAL), (ssize_t)n);
}

static void
raw_frame(struct raw *r, uint32_t len, uint16_t type, uint16_t flags,
          uint32_t reqid, const void *p, size_t n)
{
	struct ipc_hdr h = {len, type, flags, reqid};
	uint8_t b[IPC_HDR_LEN];

	ipc_hdr_encode(b, &h);
	raw_write(r, b, sizeof(b));
	if (n > 0)
		raw_write(r, p, n);
}

static void
raw_hello(struct raw *r, uint8_t kind, uint32_t version)
{
	struct ipc_hello h;
	struct ipc_wbuf w;

	memset(&h, 0, sizeof(h));
	h.version = version;
	h.peer_kind = kind;
	strcpy(h.name, "raw");
	ipc_wbuf_init(&w);
	assert_int_equal(ipc_enc_hello(&w, &h), 0);
	raw_frame(r, (uint32_t)w.len, IPC_MSG_HELLO, 0, 1, w.p, w.len);
	ipc_wbuf_free(&w);
}

static bool
raw_is_closed(void *arg)
{
	struct raw *r = arg;
	ssize_t k;

	while (!r->closed) {
		k = recv(r->fd, r->buf + r->len, sizeof(r->buf) - r->len,
		         MSG_DONTWAIT);
		if (k > 0) {
			r->len += (size_t)k;
			continue;
		}
		if (k == 0 || (errno != EAGAIN && errno != EINTR))
			r->closed = true;
		break;
	}
	return r->closed;
}

/* Type and flags of the first frame the server sent, if any. */
static uint16_t
raw_first_type(const struct raw *r, uint16_t *flags)
{
	struct ipc_hdr h;

	assert_true(r->len >= IPC_HDR_LEN);
	assert_int_equal(ipc_hdr_decode(r->buf, &h), 0);
	*flags = h.flags;
	return h.type;
}

static bool
opened(void *arg)
{
	return ((struct srv *)arg)->opens > 0;
}

static void
raw_protocol_violations(void **state)
{
	struct test *t = *state;
	struct req rb = {0};
	struct raw r;
	uint16_t fl;
	long mark;
	int closes;

	srv_start(&t->srv, &t->loop, IPC_PEER_FRONTEND);
	/* a well-behaved client that must survive everything below */
	cl_start(t, &t->b, IPC_PEER_FRONTEND, IPC_PROTO_VERSION, "fe-b");
	assert_true(run_until(t, is_up, &t->b));

	/* 1. first frame is not HELLO: ERROR reply, closed */
	mark = log_size();
	raw_connect(&r, t->srv.path);
	raw_frame(&r, 1, IPC_MSG_JOIN, 0, 9, "x", 1);
	assert_true(run_until(t, raw_is_closed, &r));
	assert_int_equal(raw_first_type(&r, &fl), IPC_MSG_ERROR);
	assert_int_equal(fl, IPC_F_REPLY);
	assert_int_equal(log_count(mark, "expected HELLO, got JOIN", NULL), 1);
	close(r.fd);

	/* 2. unknown flags after the handshake */
	mark = log_size();
	closes = t->srv.closes;
	raw_connect(&r, t->srv.path);
	raw_hello(&r, IPC_PEER_FRONTEND, IPC_PROTO_VERSION);
	raw_frame(&r, 0, IPC_MSG_GROUP_READ, 0x10, 2, NULL, 0);
	assert_true(run_until(t, raw_is_closed, &r));
	assert_int_equal(raw_first_type(&r, &fl), IPC_MSG_HELLO);
	assert_int_equal(log_count(mark, "bad frame header", "GROUP_READ"), 1);
	close(r.fd);
	{
		struct closewait w = {&t->srv, closes + 1};

		assert_true(run_until(t, closes_reach, &w));
	}
	assert_int_equal(t->srv.closes, closes + 1);

	/* 3. oversize length */
	mark = log_size();
	raw_connect(&r, t->srv.path);
	raw_hello(&r, IPC_PEER_FRONTEND, IPC_PROTO_VERSION);
	raw_frame(&r, IPC_MAX_PAYLOAD + 1, IPC_MSG_JOIN, 0, 2, NULL, 0);
	assert_true(run_until(t, raw_is_closed, &r));
	assert_int_equal(log_count(mark, "bad frame header", NULL), 1);
	close(r.fd);

	/* 4. a type the frontend may not send */
	mark = log_size();
	raw_connect(&r, t->srv.path);
	raw_hello(&r, IPC_PEER_FRONTEND, IPC_PROTO_VERSION);
	raw_frame(&r, 0, IPC_MSG_ADM_STATUS, 0, 3, NULL, 0);
	assert_true(run_until(t, raw_is_closed, &r));
	assert_int_equal(log_count(mark, "not allowed", "ADM_STATUS"), 1);
	close(r.fd);

	/* 5. a reply and a push from a client, a second HELLO */
	mark = log_size();
	raw_connect(&r, t->srv.path);
	raw_hello(&r, IPC_PEER_FRONTEND, IPC_PROTO_VERSION);
	raw_frame(&r, 0, IPC_MSG_COAP_RESULT, IPC_F_REPLY, 3, NULL, 0);
	assert_true(run_until(t, raw_is_closed, &r));
	assert_int_equal(log_count(mark, "reply or push flags", "COAP_RESULT"),
	                 1);
	close(r.fd);
	raw_connect(&r, t->srv.path);
	raw_hello(&r, IPC_PEER_FRONTEND, IPC_PROTO_VERSION);
	raw_hello(&r, IPC_PEER_FRONTEND, IPC_PROTO_VERSION);
	assert_true(run_until(t, raw_is_closed, &r));
	assert_int_equal(log_count(mark, "second HELLO", NULL), 1);
	close(r.fd);

	/* 6. malformed HELLO (bool-like peer kind 9) */
	mark = log_size();
	raw_connect(&r, t->srv.path);
	{
		uint8_t p[4 + 1 + 4 + 8] = {1, 0, 0, 0, 9};

		raw_frame(&r, sizeof(p), IPC_MSG_HELLO, 0, 1, p, sizeof(p));
	}
	assert_true(run_until(t, raw_is_closed, &r));
	assert_int_equal(raw_first_type(&r, &fl), IPC_MSG_ERROR);
	assert_int_equal(log_count(mark, "malformed HELLO", NULL), 1);
	close(r.fd);

	/* 7. closed in the middle of a frame */
	mark = log_size();
	closes = t->srv.closes;
	t->srv.opens = 0;
	raw_connect(&r, t->srv.path);
	raw_hello(&r, IPC_PEER_FRONTEND, IPC_PROTO_VERSION);
	assert_true(run_until(t, opened, &t->srv));
	raw_frame(&r, 100, IPC_MSG_JOIN, 0, 2, "only a part", 11);
	close(r.fd);
	{
		struct logwait w = {mark, "middle of a frame", NULL, 1};

		assert_true(run_until(t, log_has, &w));
	}
	{
		struct closewait w = {&t->srv, closes + 1};

		assert_true(run_until(t, closes_reach, &w));
	}

	/* through all of it the good client kept its connection */
	assert_int_equal(t->b.downs, 0);
	assert_true(send_cmd(&t->b, &rb, "Eok") != 0);
	assert_true(run_until(t, req_done, &rb));
	assert_int_equal(rb.st, IPC_OK);
}

/* ---- resource bounds ---- */

static void
srv_start_tuned(struct srv *s, uv_loop_t *loop, uint32_t handshake_ms,
                size_t max_pending)
{
	struct ipc_server_cfg cfg = srv_cfg(s, IPC_PEER_FRONTEND);

	cfg.handshake_timeout_ms = handshake_ms;
	cfg.max_pending = max_pending;
	s->loop = loop;
	if (!s->late_timer_init) {
		uv_timer_init(loop, &s->late_timer);
		s->late_timer.data = s;
		s->late_timer_init = true;
	}
	s->s = ipc_server_listen(loop, &cfg);
	assert_non_null(s->s);
}

/* A peer that connects and never sends its HELLO is dropped after the
 * handshake deadline; a peer that did its HELLO is not. */
static void
silent_peer_dropped(void **state)
{
	struct test *t = *state;
	struct raw r;
	long mark = log_size();

	srv_start_tuned(&t->srv, &t->loop, 200, 0);
	cl_start(t, &t->b, IPC_PEER_FRONTEND, IPC_PROTO_VERSION, "fe-b");
	assert_true(run_until(t, is_up, &t->b));
	raw_connect(&r, t->srv.path);
	assert_true(run_until(t, raw_is_closed, &r));
	assert_int_equal(r.len, 0); /* closed without a word */
	close(r.fd);
	assert_int_equal(log_count(mark, "no HELLO within 200 ms", NULL), 1);
	assert_int_equal(t->b.downs, 0);
	assert_int_equal(t->srv.opens, 1);
}

/* A peer that stops reading is dropped once its queue passes the bound,
 * instead of growing the server's memory without limit. */
static void
slow_reader_dropped(void **state)
{
	struct test *t = *state;
	static uint8_t big[8192];
	struct raw r;
	long mark = log_size();
	int rc = IPC_OK, i;
	int closes;

	srv_start_tuned(&t->srv, &t->loop, 0, 64 * 1024);
	raw_connect(&r, t->srv.path);
	raw_hello(&r, IPC_PEER_FRONTEND, IPC_PROTO_VERSION);
	assert_true(run_until(t, opened, &t->srv));
	assert_non_null(t->srv.last);
	closes = t->srv.closes;
	/* The socket buffers absorb some megabytes at most; 4096 frames of
	 * 8 KiB (32 MiB) bound the loop well above that. */
	for (i = 0; i < 4096 && rc == IPC_OK; i++) {
		rc = ipc_conn_send(t->srv.last, IPC_MSG_PUSH_GROUP_ADDED,
		                   IPC_F_PUSH, 0, big, sizeof(big));
		uv_run(&t->loop, UV_RUN_NOWAIT);
	}
	assert_int_equal(rc, IPC_E_UNAVAILABLE);
	assert_true(i < 4096);
	assert_int_equal(log_count(mark, "peer not reading", NULL), 1);
	{
		struct closewait w = {&t->srv, closes + 1};

		assert_true(run_until(t, closes_reach, &w));
	}
	close(r.fd);
}

/* ---- reconnect and re-entrancy ---- */

static struct req reentrant_inner;

static void
issue_while_down(struct req *r)
{
	/* A request issued from a failing callback fails synchronously. */
	reentrant_inner.t = r->t;
	assert_int_equal(send_cmd(&r->t->a, &reentrant_inner, "E"), 0);
	assert_int_equal(reentrant_inner.calls, 1);
	assert_int_equal(reentrant_inner.st, IPC_E_UNAVAILABLE);
}

static bool
up_twice(void *arg)
{
	struct cl *c = arg;

	return c->ups >= 2 && ipc_client_is_up(c->c);
}

static void
reconnect_after_server_restart(void **state)
{
	struct test *t = *state;
	struct req r0 = {0}, held[3] = {{0}}, r2 = {0};
	uint32_t id;

	/* no server yet: requests fail synchronously */
	cl_start(t, &t->a, IPC_PEER_FRONTEND, IPC_PROTO_VERSION, "fe");
	uv_run(&t->loop, UV_RUN_NOWAIT);
	r0.t = t;
	id = send_cmd(&t->a, &r0, "E");
	assert_int_equal(id, 0);
	assert_int_equal(r0.calls, 1);
	assert_int_equal(r0.st, IPC_E_UNAVAILABLE);

	/* the server appears: the client connects within its backoff */
	srv_start(&t->srv, &t->loop, IPC_PEER_FRONTEND);
	assert_true(run_until(t, is_up, &t->a));

	/* requests in flight when the server goes away fail, in order */
	for (int i = 0; i < 3; i++)
		assert_true(send_cmd(&t->a, &held[i], "N") != 0);
	held[0].then = issue_while_down;
	assert_int_equal(ipc_client_inflight(t->a.c), 3);
	srv_stop(&t->srv);
	assert_int_equal(t->srv.closes, 1); /* reported before close returns */
	assert_true(run_until(t, down_and_done, &held[2]));
	for (int i = 0; i < 3; i++) {
		assert_int_equal(held[i].calls, 1);
		assert_int_equal(held[i].st, IPC_E_UNAVAILABLE);
	}
	assert_true(held[0].order < held[1].order &&
	            held[1].order < held[2].order);
	assert_int_equal(reentrant_inner.calls, 1);
	assert_int_equal(ipc_client_inflight(t->a.c), 0);
	assert_int_equal(t->a.downs, 1);
	assert_false(ipc_client_is_up(t->a.c));

	/* and it comes back */
	srv_start(&t->srv, &t->loop, IPC_PEER_FRONTEND);
	assert_true(run_until(t, up_twice, &t->a));
	assert_true(send_cmd(&t->a, &r2, "Eagain") != 0);
	assert_true(run_until(t, req_done, &r2));
	assert_int_equal(r2.st, IPC_OK);
	assert_memory_equal(r2.reply, "Eagain", 6);
}

static void
stop_from_callback(struct req *r)
{
	ipc_client_stop(r->t->a.c);
	ipc_client_stop(r->t->a.c); /* twice is harmless */
}

static bool
five_done(void *arg)
{
	return ((struct test *)arg)->completed >= 5;
}

static void
stop_inside_failing_callback(void **state)
{
	struct test *t = *state;
	struct req r[5] = {{0}};

	srv_start(&t->srv, &t->loop, IPC_PEER_FRONTEND);
	cl_start(t, &t->a, IPC_PEER_FRONTEND, IPC_PROTO_VERSION, "fe");
	assert_true(run_until(t, is_up, &t->a));
	for (int i = 0; i < 5; i++)
		assert_true(send_cmd(&t->a, &r[i], "N") != 0);
	r[1].then = stop_from_callback;
	srv_stop(&t->srv);
	assert_true(run_until(t, five_done, t));
	for (int i = 0; i < 5; i++) {
		assert_int_equal(r[i].calls, 1);
		assert_int_equal(r[i].st, IPC_E_UNAVAILABLE);
	}
	/* stopped inside the failure: no on_down */
	assert_int_equal(t->a.downs, 0);
	t->a.c = NULL; /* released by the loop in teardown */
}

static void
stop_fails_pending_before_returning(void **state)
{
	struct test *t = *state;
	struct req r[4] = {{0}};

	srv_start(&t->srv, &t->loop, IPC_PEER_FRONTEND);
	cl_start(t, &t->a, IPC_PEER_FRONTEND, IPC_PROTO_VERSION, "fe");
	assert_true(run_until(t, is_up, &t->a));
	for (int i = 0; i < 4; i++)
		assert_true(send_cmd(&t->a, &r[i], "N") != 0);
	ipc_client_stop(t->a.c);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(r[i].calls, 1);
		assert_int_equal(r[i].st, IPC_E_UNAVAILABLE);
	}
	t->a.c = NULL;
	assert_true(run_until(t, srv_has_closed, &t->srv));
}

static void
listen_refuses_non_socket(void **state)
{
	struct test *t = *state;
	struct ipc_server_cfg cfg = srv_cfg(&t->srv, IPC_PEER_FRONTEND);
	int fd;

	/* a stale socket file is replaced ... */
	srv_start(&t->srv, &t->loop, IPC_PEER_FRONTEND);
	{
		struct ipc_server *s2 = ipc_server_listen(&t->loop, &cfg);

		assert_non_null(s2);
		ipc_server_close(s2);
	}
	srv_stop(&t->srv);
	/* ... a regular file is not */
	fd = open(t->srv.path, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_null(ipc_server_listen(&t->loop, &cfg));
	unlink(t->srv.path);
	/* a path longer than sun_path */
	{
		char longp[200];

		memset(longp, 'p', sizeof(longp) - 1);
		longp[sizeof(longp) - 1] = '\0';
		cfg.path = longp;
		assert_null(ipc_server_listen(&t->loop, &cfg));
	}
}

/* ---- sync client against a server in another thread ---- */

static void
srv_thread_stop(uv_async_t *a)
{
	struct srv *s = a->data;

	srv_stop(s);
	uv_close((uv_handle_t *)&s->late_timer, NULL);
	uv_close((uv_handle_t *)a, NULL);
}

static void *
srv_thread(void *arg)
{
	struct srv *s = arg;

	uv_run(s->loop, UV_RUN_DEFAULT);
	return NULL;
}

static void
on_more(void *arg, const uint8_t *p, size_t n)
{
	char *acc = arg;

	assert_int_equal(n, 2);
	strncat(acc, (const char *)p, 2);
}

static void
sync_call_and_timeout(void **state)
{
	struct test *t = *state;
	struct srv *s = &t->srv;
	uv_loop_t loop2;
	pthread_t th;
	struct ipc_sync *sc;
	struct ipc_hdr h;
	uint8_t *reply = NULL;
	char acc[16] = "";
	int st;

	assert_int_equal(uv_loop_init(&loop2), 0);
	srv_start(s, &loop2, IPC_PEER_FRONTEND);
	uv_async_init(&loop2, &s->stop, srv_thread_stop);
	s->stop.data = s;
	assert_int_equal(pthread_create(&th, NULL, srv_thread, s), 0);

	/* wrong version and missing socket */
	assert_null(ipc_sync_connect(s->path, IPC_PEER_FRONTEND, "psk", 77,
	                             2000, &st));
	assert_int_equal(st, IPC_E_PROTO);
	assert_null(ipc_sync_connect("/nonexistent/ks.sock", IPC_PEER_FRONTEND,
	                             "psk", IPC_PROTO_VERSION, 2000, &st));
	assert_int_equal(st, IPC_E_UNAVAILABLE);

	sc = ipc_sync_connect(s->path, IPC_PEER_FRONTEND, "frontend@1/psk",
	                      IPC_PROTO_VERSION, 2000, &st);
	assert_non_null(sc);
	assert_int_equal(st, IPC_OK);
	assert_string_equal(ipc_sync_software(sc), "kdc-test 9.9");
	assert_true(ipc_sync_instance(sc) == 42);

	/* plain call */
	assert_int_equal(ipc_sync_call(sc, IPC_MSG_PSK_IDENTITY,
	                               (const uint8_t *)"Ehello", 6, 2000, &h,
	                               &reply, NULL, NULL),
	                 IPC_OK);
	assert_int_equal(h.type, IPC_MSG_PSK_IDENTITY);
	assert_int_equal(h.flags, IPC_F_REPLY);
	assert_int_equal(h.len, 6);
	assert_memory_equal(reply, "Ehello", 6);
	ipc_sync_free_reply(reply, h.len);

	/* a push before the reply is skipped */
	assert_int_equal(ipc_sync_call(sc, IPC_MSG_PSK_IDENTITY,
	                               (const uint8_t *)"Pp", 2, 2000, &h,
	                               &reply, NULL, NULL),
	                 IPC_OK);
	assert_memory_equal(reply, "Pp", 2);
	ipc_sync_free_reply(reply, h.len);

	/* streamed */
	assert_int_equal(ipc_sync_call(sc, IPC_MSG_PSK_IDENTITY,
	                               (const uint8_t *)"S", 1, 2000, &h,
	                               &reply, on_more, acc),
	                 IPC_OK);
	assert_string_equal(acc, "m0m1m2");
	assert_int_equal(h.len, 3);
	assert_memory_equal(reply, "end", 3);
	ipc_sync_free_reply(reply, h.len);

	/* timeout; the late answer is skipped by the next call */
	assert_int_equal(ipc_sync_call(sc, IPC_MSG_PSK_IDENTITY,
	                               (const uint8_t *)"Llate", 5, 100, &h,
	                               &reply, NULL, NULL),
	                 IPC_E_TIMEOUT);
	assert_null(reply);
	assert_false(ipc_sync_is_broken(sc));
	usleep(400 * 1000); /* let the late reply arrive first */
	assert_int_equal(ipc_sync_call(sc, IPC_MSG_PSK_IDENTITY,
	                               (const uint8_t *)"Enext", 5, 2000, &h,
	                               &reply, NULL, NULL),
	                 IPC_OK);
	assert_int_equal(h.len, 5);
	assert_memory_equal(reply, "Enext", 5);
	ipc_sync_free_reply(reply, h.len);

	/* types that expect no reply are refused locally */
	assert_int_equal(ipc_sync_call(sc, IPC_MSG_FE_STATS, NULL, 0, 100, &h,
	                               &reply, NULL, NULL),
	                 IPC_E_PROTO);

	/* a rejected frame: the server closes, the call fails */
	assert_int_equal(ipc_sync_call(sc, IPC_MSG_PSK_IDENTITY,
	                               (const uint8_t *)"X", 1, 2000, &h,
	                               &reply, NULL, NULL),
	                 IPC_E_UNAVAILABLE);
	assert_true(ipc_sync_is_broken(sc));
	assert_int_equal(ipc_sync_call(sc, IPC_MSG_PSK_IDENTITY,
	                               (const uint8_t *)"E", 1, 2000, &h,
	                               &reply, NULL, NULL),
	                 IPC_E_UNAVAILABLE);
	ipc_sync_close(sc);

	uv_async_send(&s->stop);
	assert_int_equal(pthread_join(th, NULL), 0);
	s->late_timer_init = false; /* closed by the thread */
	assert_int_equal(uv_loop_close(&loop2), 0);
	assert_true(s->opens >= 1);
}

/* ---- peer credentials ---- */

static void
peer_allowed_logic(void **state)
{
	const uid_t uids[] = {1001, 1002};
	const gid_t gids[] = {2001};
	const gid_t sup_yes[] = {5, 2001}, sup_no[] = {5, 6};
	struct ipc_server_cfg cfg;

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	/* empty lists: root and self only */
	assert_true(ipc_peer_allowed(0, 0, NULL, 0, 500, &cfg));
	assert_true(ipc_peer_allowed(500, 500, NULL, 0, 500, &cfg));
	assert_false(ipc_peer_allowed(1001, 2001, NULL, 0, 500, &cfg));
	cfg.uids = uids;
	cfg.nuids = 2;
	cfg.gids = gids;
	cfg.ngids = 1;
	assert_true(ipc_peer_allowed(1002, 9, NULL, 0, 500, &cfg));
	assert_true(ipc_peer_allowed(3000, 2001, NULL, 0, 500, &cfg));
	assert_true(ipc_peer_allowed(3000, 9, sup_yes, 2, 500, &cfg));
	assert_false(ipc_peer_allowed(3000, 9, sup_no, 2, 500, &cfg));
	assert_false(ipc_peer_allowed(65534, 65534, NULL, 0, 500, &cfg));
	assert_true(ipc_peer_allowed(0, 65534, NULL, 0, 500, &cfg));
}

static void
peer_cred_socketpair(void **state)
{
	struct ipc_peer_cred pc;
	struct ipc_server_cfg cfg;
	int sv[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(ipc_peer_cred(sv[0], &pc), IPC_OK);
	assert_int_equal(pc.pid, getpid());
	assert_int_equal(pc.uid, geteuid());
	assert_int_equal(pc.gid, getegid());
	memset(&cfg, 0, sizeof(cfg));
	assert_true(ipc_peer_check(&pc, &cfg)); /* ourselves */
	close(sv[0]);
	close(sv[1]);
	assert_int_equal(ipc_peer_cred(-1, &pc), IPC_E_SYS);
}

/* Child: become uid 65534 / gid g, connect; exit 0 if the outcome is the
 * expected one (refused: closed without a handshake). */
static pid_t
fork_client(const char *path, gid_t g, bool expect_ok)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		struct ipc_sync *s;
		int st = 0;

		if (setgroups(0, NULL) != 0 || setgid(g) != 0 ||
		    setuid(65534) != 0)
			_exit(2);
		s = ipc_sync_connect(path, IPC_PEER_FRONTEND, "nobody",
		                     IPC_PROTO_VERSION, 5000, &st);
		if (expect_ok)
			_exit(s != NULL && st == IPC_OK ? 0 : 1);
		_exit(s == NULL && st == IPC_E_UNAVAILABLE ? 0 : 1);
	}
	return pid;
}

struct child {
	pid_t pid;
	int status;
	bool done;
};

static bool
child_done(void *arg)
{
	struct child *c = arg;

	if (!c->done && waitpid(c->pid, &c->status, WNOHANG) == c->pid)
		c->done = true;
	return c->done;
}

static void
peer_refused_on_socket(void **state)
{
	struct test *t = *state;
	const gid_t gids[] = {4242};
	struct ipc_server_cfg cfg;
	struct child c1 = {0}, c2 = {0};
	long mark = log_size();

	if (geteuid() != 0) {
		skip();
		return;
	}
	/* the child must reach the socket: traversable folder, mode 0666 */
	assert_int_equal(chmod(t->dir, 0711), 0);
	cfg = srv_cfg(&t->srv, IPC_PEER_FRONTEND);
	cfg.mode = 0666;
	cfg.gids = gids;
	cfg.ngids = 1;
	t->srv.loop = &t->loop;
	t->srv.s = ipc_server_listen(&t->loop, &cfg);
	assert_non_null(t->srv.s);

	c1.pid = fork_client(t->srv.path, 65534, false);
	assert_true(run_until(t, child_done, &c1));
	assert_true(WIFEXITED(c1.status));
	assert_int_equal(WEXITSTATUS(c1.status), 0);
	assert_int_equal(log_count(mark, "refused peer uid=65534 gid=65534",
	                           t->srv.path),
	                 1);
	assert_int_equal(t->srv.opens, 0);

	/* the same uid with an allowed gid gets in */
	c2.pid = fork_client(t->srv.path, 4242, true);
	assert_true(run_until(t, child_done, &c2));
	assert_true(WIFEXITED(c2.status));
	assert_int_equal(WEXITSTATUS(c2.status), 0);
	assert_int_equal(t->srv.opens, 1);
	assert_int_equal(t->srv.last_uid, 65534);
	assert_int_equal(t->srv.last_gid, 4242);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	        T(handshake_ok),
	        T(version_mismatch_refused),
	        T(wrong_peer_kind_refused),
	        T(pipelined_reverse_order),
	        T(many_in_flight),
	        T(max_size_frame),
	        T(pushes_and_streams),
	        T(notify_fe_stats),
	        T(rejected_frame_closes_only_that_connection),
	        T(graceful_close_flushes_reply),
	        T(raw_protocol_violations),
	        T(silent_peer_dropped),
	        T(slow_reader_dropped),
	        T(reconnect_after_server_restart),
	        T(stop_inside_failing_callback),
	        T(stop_fails_pending_before_returning),
	        T(listen_refuses_non_socket),
	        T(sync_call_and_timeout),
	        cmocka_unit_test(peer_allowed_logic),
	        cmocka_unit_test(peer_cred_socketpair),
	        T(peer_refused_on_socket),
#undef T
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
