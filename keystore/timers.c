/* SPDX-License-Identifier: Apache-2.0 */
/*
 * timers.c — the keystore's one deadline timer (docs/DESIGN.md §5): token
 * expiry (tokens.c), the rekey scheduler (rekey.c: deferred, folded and
 * material-expiry rekeys) and the end of the previous material's grace
 * period.  Deadlines are wall-clock instants kept in the database or
 * derived from it; the timer is re-armed after every commit that did
 * work, sleeps at most 60 s (so a jump of the wall clock is caught up
 * with), and runs at least 5 ms apart (1 s after a failed commit) so that
 * overdue work that keeps failing never spins the loop.
 */
#include "ks.h"

#include "clock.h"
#include "log.h"
#include "rekey.h"
#include "tokens.h"

#include <time.h>

#define TIMER_MAX_SLEEP_MS 60000u
#define TIMER_MIN_GAP_MS   5u
#define TIMER_FAIL_GAP_MS  1000u

static uint64_t
wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Deadlines in wall-clock ms (0: none). */
struct deadlines {
	uint64_t tokens;
	uint64_t rekey;
	uint64_t prev;
};

static void
deadlines(struct ks *ks, struct deadlines *d)
{
	int64_t exp = ks_tokens_next_exp(ks), keep = 0;

	d->tokens = exp > 0 ? (uint64_t)exp * 1000u : 0;
	d->rekey = ks_rekey_next_ms(ks);
	d->prev =
	        ks_store_group_prev_next(ks->store, &keep) == KS_OK && keep > 0
	                ? (uint64_t)keep * 1000u
	                : 0;
}

static uint64_t
earliest(const struct deadlines *d)
{
	uint64_t v[3] = {d->tokens, d->rekey, d->prev}, next = 0;

	for (int i = 0; i < 3; i++)
		if (v[i] != 0 && (next == 0 || v[i] < next))
			next = v[i];
	return next;
}

/* Run one step of timer work in its own savepoint, so that a failing step
 * leaves neither changes nor pushes behind. */
static void
step(struct ks *ks, const char *what, int (*fn)(struct ks *ks, void *arg),
     void *arg)
{
	struct ks_outbox_mark m;

	ks_outbox_mark(ks, &m);
	if (ks_store_savepoint(ks->store) != KS_OK) {
		log_err("timers: %s: cannot open a savepoint", what);
		return;
	}
	if (fn(ks, arg) == 0) {
		if (ks_store_release(ks->store) == KS_OK)
			return;
	}
	log_err("timers: %s failed; retrying later", what);
	ks->timer_failed = true;
	if (ks_store_rollback_to(ks->store) != KS_OK)
		ks->batch.failed = true;
	ks_outbox_truncate(ks, &m);
}

static int
do_tokens(struct ks *ks, void *arg)
{
	return ks_tokens_expire(ks, *(const int64_t *)arg) == 0 ? 0 : -1;
}

static int
do_rekey(struct ks *ks, void *arg)
{
	uint64_t next = 0;

	ks_rekey_tick(ks, *(const uint64_t *)arg, &next);
	return 0;
}

static int
do_prev(struct ks *ks, void *arg)
{
	int64_t n = 0;

	if (ks_store_group_prev_expire(ks->store, *(const int64_t *)arg, &n) !=
	    KS_OK)
		return -1;
	if (n > 0)
		log_info("timers: %lld previous material version%s expired",
		         (long long)n, n == 1 ? "" : "s");
	return 0;
}

static void
on_timer(uv_timer_t *t)
{
	struct ks *ks = t->data;
	struct deadlines d;
	uint64_t now_ms = wall_ms();
	int64_t now = (int64_t)(now_ms / 1000u);

	ks->timer_last_run = kdc_mono_ms();
	ks->timer_failed = false;
	if (ks->stopping)
		return;
	deadlines(ks, &d);
	if (!((d.tokens != 0 && d.tokens <= now_ms) ||
	      (d.rekey != 0 && d.rekey <= now_ms) ||
	      (d.prev != 0 && d.prev <= now_ms))) {
		ks_timers_rearm(ks);
		return;
	}
	if (ks_batch_ensure(ks) != 0) {
		ks->timer_failed = true;
		ks_timers_rearm(ks);
		return;
	}
	if (d.tokens != 0 && d.tokens <= now_ms)
		step(ks, "token expiry", do_tokens, &now);
	if (d.rekey != 0 && d.rekey <= now_ms)
		step(ks, "rekey scheduler", do_rekey, &now_ms);
	if (d.prev != 0 && d.prev <= now_ms)
		step(ks, "previous material expiry", do_prev, &now);
	/* Commit now: timers run before the loop polls, and the uv_check
	 * hook would only run after the poll returns. */
	ks->batch.rearm_timers = true;
	ks_batch_commit(ks);
}

void
ks_timers_rearm(struct ks *ks)
{
	struct deadlines d;
	uint64_t now_ms, next, delay, gap, mono, since;

	if (ks->stopping)
		return;
	now_ms = wall_ms();
	deadlines(ks, &d);
	next = earliest(&d);
	if (next == 0)
		delay = TIMER_MAX_SLEEP_MS;
	else
		delay = next > now_ms ? next - now_ms : 0;
	if (delay > TIMER_MAX_SLEEP_MS)
		delay = TIMER_MAX_SLEEP_MS;
	/* Never busy-loop on overdue work that does not go away. */
	gap = ks->batch.last_failed || ks->timer_failed ? TIMER_FAIL_GAP_MS
	                                                : TIMER_MIN_GAP_MS;
	mono = kdc_mono_ms();
	since = mono >= ks->timer_last_run ? mono - ks->timer_last_run : 0;
	if (ks->timer_last_run != 0 && since < gap && delay < gap - since)
		delay = gap - since;
	uv_timer_start(&ks->timer, on_timer, delay, 0);
}

void
ks_timers_init(struct ks *ks)
{
	uv_timer_init(ks->loop, &ks->timer);
	ks->timer.data = ks;
}

void
ks_timers_stop(struct ks *ks)
{
	uv_timer_stop(&ks->timer);
}
