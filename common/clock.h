/* SPDX-License-Identifier: Apache-2.0 */
/*
 * clock.h — time sources.  Token and keying-material lifetimes are
 * NumericDates (seconds since the epoch, UTC), so they use the real-time
 * clock; timers and latency measurements use the monotonic clock.
 */
#ifndef KDC_CLOCK_H
#define KDC_CLOCK_H

#include <stdint.h>

/* Seconds since the epoch (NumericDate). */
int64_t kdc_now(void);
/* Monotonic milliseconds. */
uint64_t kdc_mono_ms(void);
/* Monotonic microseconds. */
uint64_t kdc_mono_us(void);

#endif
