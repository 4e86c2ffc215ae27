/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fe_loop.c — libcoap inside the libuv loop (platform notes Q3): one
 * uv_poll_t on libcoap's epoll fd, coap_io_process(COAP_IO_NO_WAIT) after
 * every event, and a uv_timer re-armed from coap_io_prepare_epoll() as
 * insurance for libcoap's own deadlines (retransmissions, DTLS timers).
 */
#include "fe.h"

#include "log.h"

static bool in_coap;

static void
on_coap_timer(uv_timer_t *t)
{
	fe_kick(t->data);
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
	coap_tick_t now;
	unsigned ms;

	if (in_coap) {
		/* Called from inside a libcoap callback (e.g. a request that
		 * failed synchronously): run again from the loop, never
		 * re-enter coap_io_process. */
		uv_timer_start(&fe->coap_timer, on_coap_timer, 0, 0);
		return;
	}
	in_coap = true;
	coap_io_process(fe->coap, COAP_IO_NO_WAIT);
	in_coap = false;
	fe_dtls_wipe();
	coap_ticks(&now);
	ms = coap_io_prepare_epoll(fe->coap, now);
	if (ms > 0)
		uv_timer_start(&fe->coap_timer, on_coap_timer, ms, 0);
	else
		uv_timer_stop(&fe->coap_timer);
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
	fe_kick(fe);
	return 0;
}
