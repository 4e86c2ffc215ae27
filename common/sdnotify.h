/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sdnotify.h — the sd_notify(3) protocol without libsystemd: one datagram
 * of newline-separated assignments ("READY=1", "STATUS=...",
 * "WATCHDOG=1", "STOPPING=1", "RELOADING=1") to the AF_UNIX socket named
 * by $NOTIFY_SOCKET (a path, or "@name" for the abstract namespace).
 * Outside systemd ($NOTIFY_SOCKET unset) every call does nothing.
 */
#ifndef KDC_SDNOTIFY_H
#define KDC_SDNOTIFY_H

#include <stdint.h>

/* Send `state`.  Returns 0 when sent, 1 when $NOTIFY_SOCKET is unset, -1
 * on failure (bad address, send error; logged at debug level). */
int kdc_sd_notify(const char *state);
int kdc_sd_notifyf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * The period at which to send WATCHDOG=1, in ms: half of $WATCHDOG_USEC
 * when it is set (and $WATCHDOG_PID, if set, names this process), else
 * conf_ms (the configured period); 0 means no watchdog.
 */
uint64_t kdc_sd_watchdog_period_ms(uint32_t conf_ms);
/* Send WATCHDOG=1 (call it from the event loop, so that a stuck loop is
 * noticed). */
void kdc_sd_watchdog(void);

#endif
