/* SPDX-License-Identifier: Apache-2.0 */
/*
 * signals.c — the keystore's process life on the loop: SIGTERM/SIGINT stop
 * it cleanly (the open batch is committed and its answers still go out),
 * SIGHUP reloads the configuration (reload.c), and a timer tells systemd
 * that the loop is alive (WATCHDOG=1).
 */
#include "ks.h"

#include "clock.h"
#include "log.h"
#include "sdnotify.h"

#include <signal.h>

/* How long connections may take to receive what was queued for them. */
#define DRAIN_MAX_MS  2000u
#define DRAIN_POLL_MS 20u

static void
close_handle(uv_handle_t *h)
{
	if (h->loop != NULL && !uv_is_closing(h))
		uv_close(h, NULL);
}

/* Close everything that keeps the loop alive, so that uv_run() returns. */
static void
finish(struct ks *ks)
{
	uv_timer_stop(&ks->timer);
	ks_backups_abort(ks);
	ks_servers_stop(ks);
	uv_check_stop(&ks->commit_check);
	uv_signal_stop(&ks->sig_term);
	uv_signal_stop(&ks->sig_int);
	uv_signal_stop(&ks->sig_hup);
	uv_timer_stop(&ks->watchdog);
	close_handle((uv_handle_t *)&ks->timer);
	close_handle((uv_handle_t *)&ks->commit_check);
	close_handle((uv_handle_t *)&ks->sig_term);
	close_handle((uv_handle_t *)&ks->sig_int);
	close_handle((uv_handle_t *)&ks->sig_hup);
	close_handle((uv_handle_t *)&ks->watchdog);
	/* Closing the last watcher of a signal gives it back its default
	 * action: a second SIGTERM or SIGINT now (Ctrl-C reaches the whole
	 * process group, systemd or a script may follow up with SIGTERM)
	 * would kill the keystore in the middle of closing its database.
	 * The stop is already under way; only SIGKILL ends it sooner. */
	signal(SIGTERM, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
}

static void
on_drain(uv_timer_t *t)
{
	struct ks *ks = t->data;

	if (ks->peers != NULL &&
	    kdc_mono_ms() - ks->timer_last_run < DRAIN_MAX_MS)
		return;
	if (ks->peers != NULL)
		log_warn("stopping: connections still open after %u ms are "
		         "closed",
		         DRAIN_MAX_MS);
	finish(ks);
}

void
ks_stop(struct ks *ks)
{
	if (ks->stopping)
		return;
	log_notice("stopping");
	kdc_sd_notify("STOPPING=1");
	/* Answers of the open batch are committed and queued first. */
	ks_batch_commit(ks);
	ks->stopping = true;
	ks_timers_stop(ks);
	uv_timer_stop(&ks->watchdog);
	/* Graceful: what is queued on a connection is still written. */
	ks_peers_close(ks, "keystore stopping");
	if (ks->peers == NULL) {
		finish(ks);
		return;
	}
	/* The deadline timer is free now: it paces the drain. */
	ks->timer_last_run = kdc_mono_ms();
	uv_timer_start(&ks->timer, on_drain, DRAIN_POLL_MS, DRAIN_POLL_MS);
}

static void
on_signal(uv_signal_t *h, int signum)
{
	struct ks *ks = h->data;
	char err[2048];

	if (signum != SIGHUP) {
		log_notice("signal %d received", signum);
		ks_stop(ks);
		return;
	}
	if (ks->stopping)
		return;
	kdc_sd_notifyf("RELOADING=1\nMONOTONIC_USEC=%llu",
	               (unsigned long long)kdc_mono_us());
	if (ks_reload(ks, NULL, err, sizeof(err)) != 0)
		kdc_sd_notify("READY=1\nSTATUS=reload failed: configuration "
		              "has errors");
	else
		kdc_sd_notify("READY=1\nSTATUS=serving");
}

static void
on_watchdog(uv_timer_t *t)
{
	(void)t;
	kdc_sd_watchdog();
}

void
ks_signals_start(struct ks *ks)
{
	uint64_t period;

	uv_signal_init(ks->loop, &ks->sig_term);
	uv_signal_init(ks->loop, &ks->sig_int);
	uv_signal_init(ks->loop, &ks->sig_hup);
	ks->sig_term.data = ks->sig_int.data = ks->sig_hup.data = ks;
	uv_signal_start(&ks->sig_term, on_signal, SIGTERM);
	uv_signal_start(&ks->sig_int, on_signal, SIGINT);
	uv_signal_start(&ks->sig_hup, on_signal, SIGHUP);

	uv_timer_init(ks->loop, &ks->watchdog);
	ks->watchdog.data = ks;
	period = kdc_sd_watchdog_period_ms(ks->conf.watchdog_ms);
	if (period > 0) {
		log_info("watchdog: WATCHDOG=1 every %llu ms",
		         (unsigned long long)period);
		uv_timer_start(&ks->watchdog, on_watchdog, period, period);
	}
}
