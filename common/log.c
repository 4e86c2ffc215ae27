/* SPDX-License-Identifier: Apache-2.0 */
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *log_ident = "kdc";
static int log_level = KDC_LOG_INFO;
static int log_tty = -1; /* decided on first use */

static const char *const level_names[] = {
        [KDC_LOG_ERR] = "err",       [KDC_LOG_WARNING] = "warning",
        [KDC_LOG_NOTICE] = "notice", [KDC_LOG_INFO] = "info",
        [KDC_LOG_DEBUG] = "debug",
};

void
kdc_log_init(const char *ident, int level)
{
	if (ident != NULL)
		log_ident = ident;
	kdc_log_set_level(level);
	/* journald (or any non-terminal) gets "<N>" prefixes. */
	log_tty = isatty(STDERR_FILENO);
}

void
kdc_log_set_level(int level)
{
	if (level < KDC_LOG_ERR)
		level = KDC_LOG_ERR;
	if (level > KDC_LOG_DEBUG)
		level = KDC_LOG_DEBUG;
	log_level = level;
}

int
kdc_log_get_level(void)
{
	return log_level;
}

int
kdc_log_level_parse(const char *name)
{
	for (int l = KDC_LOG_ERR; l <= KDC_LOG_DEBUG; l++)
		if (strcmp(name, level_names[l]) == 0)
			return l;
	return -1;
}

void
kdc_vlog(int level, const char *fmt, va_list ap)
{
	char line[1024];
	int n;

	if (level > log_level)
		return;
	if (log_tty < 0)
		log_tty = isatty(STDERR_FILENO);
	/* Format the whole line first so that concurrent writers (several
	 * processes on one journal stream) never interleave inside a line. */
	n = vsnprintf(line, sizeof(line), fmt, ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line))
		memcpy(line + sizeof(line) - 4, "...", 4);
	/* Control characters would let a peer forge log lines. */
	for (char *c = line; *c != '\0'; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	if (log_tty) {
		char ts[32];
		struct timespec now;
		struct tm tm;

		clock_gettime(CLOCK_REALTIME, &now);
		localtime_r(&now.tv_sec, &tm);
		strftime(ts, sizeof(ts), "%H:%M:%S", &tm);
		fprintf(stderr, "%s.%03ld %s[%d]: %s: %s\n", ts,
		        now.tv_nsec / 1000000, log_ident, (int)getpid(),
		        level_names[level], line);
	} else {
		fprintf(stderr, "<%d>%s: %s\n", level, log_ident, line);
	}
}

void
kdc_log(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kdc_vlog(level, fmt, ap);
	va_end(ap);
}

void
kdc_fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kdc_vlog(KDC_LOG_ERR, fmt, ap);
	va_end(ap);
	exit(1);
}

const char *
kdc_hex(char *out, size_t out_size, const uint8_t *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	size_t o = 0;

	if (out_size == 0)
		return out;
	for (size_t i = 0; i < n; i++) {
		if (o + 2 >= out_size) {
			if (out_size >= 4) {
				o = out_size - 4;
				memcpy(out + o, "...", 3);
				o += 3;
			}
			break;
		}
		out[o++] = digits[p[i] >> 4];
		out[o++] = digits[p[i] & 0x0f];
	}
	out[o] = '\0';
	return out;
}
