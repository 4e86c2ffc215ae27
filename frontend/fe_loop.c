/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fe_loop.c — libcoap inside the libuv loop (platform notes Q3): one
 * uv_poll_t on libcoap's epoll fd, whose events are handed to libcoap with
 * coap_io_do_epoll(), and a coarse uv_timer as insurance for libcoap's own
 * deadlines (retransmissions, DTLS timers), which its timerfd in the same
 * epoll set normally wakes us for.
 *
 * Why not coap_io_process() on every event: in libcoap 4.3.1 every
 * coap_io_prepare_epoll() walks all sessions (idle and DTLS timeouts), and
 * coap_io_process() does that walk twice for at most one datagram per
 * socket (once before its epoll_wait, once at the end of
 * coap_io_do_epoll()); the old loop added a third walk for its timer.  With
 * 10,000 open DTLS sessions that made every datagram cost 30,000 session
 * visits: a profile of a rekey fan-out to 10,000 observers showed 49-65% of
 * the frontend in coap_io_prepare_io (kdc-bench scenario 4,
 * docs/BENCHMARKS.md).  epoll_wait() here and coap_io_do_epoll() — the API
 * libcoap documents for callers that run epoll themselves — read what is
 * ready and then walk once, which also sends pending notifications and
 * triggered asynchronous answers.
 */
#include "fe.h"

#include "log.h"

#include <errno.h>
#include <string.h>
#include <sys/epoll.h>

/* Insurance only: libcoap's timerfd wakes the poll for its deadlines. */
#define FE_COAP_TIMER_MS 1000

static bool in_coap;

static void
on_coap_timer(uv_timer_t *t)
{
	struct fe *fe = t->data;

	if (in_coap) {
		uv_timer_start(&fe->coap_timer, on_coap_timer, 0, 0);
		return;
	}
	/* The full pass now and then: it also expires libcoap's cache
	 * entries, which coap_io_do_epoll() leaves alone. */
	in_coap = true;
	coap_io_process(fe->coap, COAP_IO_NO_WAIT);
	in_coap = false;
	fe_dtls_wipe();
	uv_timer_start(&fe->coap_timer, on_coap_timer, FE_COAP_TIMER_MS, 0);
}

static void
on_coap_poll(uv_poll_t *p, int status, int events)
{
	(void)status;
	(void)events;
	fe_kick(p->data);
}

void
fe_kick(struct fe *fe)
{
	struct epoll_event ev[COAP_MAX_EPOLL_EVENTS];
	int n;

	if (in_coap) {
		/* Called from inside a libcoap callback (e.g. a request that
		 * failed synchronously): run again from the loop, never
		 * re-enter libcoap. */
		uv_timer_start(&fe->coap_timer, on_coap_timer, 0, 0);
		return;
	}
	in_coap = true;
	n = epoll_wait(coap_context_get_coap_fd(fe->coap), ev,
	               COAP_MAX_EPOLL_EVENTS, 0);
	if (n < 0) {
		if (errno != EINTR)
			log_warn("epoll_wait on libcoap's descriptor: %s",
			         strerror(errno));
		n = 0;
	}
	/* With no event it still runs the walk: notifications marked and
	 * asynchronous answers triggered outside libcoap go out. */
	coap_io_do_epoll(fe->coap, ev, (size_t)n);
	in_coap = false;
	fe_dtls_wipe();
}

int
fe_loop_attach(struct fe *fe)
{
	int fd = coap_context_get_coap_fd(fe->coap);

	if (fd < 0) {
		log_err("libcoap has no epoll descriptor; cannot run on libuv");
		return -1;
	}
	uv_timer_init(fe->loop, &fe->coap_timer);
	fe->coap_timer.data = fe;
	uv_poll_init(fe->loop, &fe->coap_poll, fd);
	fe->coap_poll.data = fe;
	uv_poll_start(&fe->coap_poll, UV_READABLE, on_coap_poll);
	uv_timer_start(&fe->coap_timer, on_coap_timer, FE_COAP_TIMER_MS, 0);
	fe_kick(fe);
	return 0;
}
