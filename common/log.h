/* SPDX-License-Identifier: Apache-2.0 */
/*
 * log.h — logging to stderr with sd-daemon(3) priority prefixes ("<3>") so
 * that journald keeps the levels; a plain "time prog[pid]: level:" prefix
 * when stderr is a terminal.  Never pass secrets (keys, master secrets,
 * PoP keys, tokens) to these functions.
 */
#ifndef KDC_LOG_H
#define KDC_LOG_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

enum kdc_log_level {
	KDC_LOG_ERR = 3,
	KDC_LOG_WARNING = 4,
	KDC_LOG_NOTICE = 5,
	KDC_LOG_INFO = 6,
	KDC_LOG_DEBUG = 7,
};

/* ident: process name used in the prefix; level: highest level printed. */
void kdc_log_init(const char *ident, int level);
void kdc_log_set_level(int level);
int kdc_log_get_level(void);
/* Parse "err", "warning", "notice", "info", "debug"; -1 if unknown. */
int kdc_log_level_parse(const char *name);

void kdc_log(int level, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
void kdc_vlog(int level, const char *fmt, va_list ap)
        __attribute__((format(printf, 2, 0)));
/* Log at KDC_LOG_ERR and exit(1). */
void kdc_fatal(const char *fmt, ...)
        __attribute__((format(printf, 1, 2), noreturn));

#define log_err(...)    kdc_log(KDC_LOG_ERR, __VA_ARGS__)
#define log_warn(...)   kdc_log(KDC_LOG_WARNING, __VA_ARGS__)
#define log_notice(...) kdc_log(KDC_LOG_NOTICE, __VA_ARGS__)
#define log_info(...)   kdc_log(KDC_LOG_INFO, __VA_ARGS__)
#define log_debug(...)  kdc_log(KDC_LOG_DEBUG, __VA_ARGS__)

/* Hex of public identifiers (kids, Sender IDs, Gids) for log lines; writes
 * at most out_size-1 characters and an ellipsis when cut. */
const char *kdc_hex(char *out, size_t out_size, const uint8_t *p, size_t n);

#endif
