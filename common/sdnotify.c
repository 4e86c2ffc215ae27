/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sdnotify.c — sd_notify(3) without libsystemd (see sdnotify.h).  The
 * protocol is one datagram per notification; a fresh socket is used for
 * each, like libsystemd does, so nothing stays open across a fork or a
 * privilege drop.
 */
#include "sdnotify.h"

#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* Fill *sun from $NOTIFY_SOCKET; returns the address length, 0 when unset,
 * -1 when unusable. */
static int
notify_addr(struct sockaddr_un *sun, socklen_t *len)
{
	const char *e = getenv("NOTIFY_SOCKET");
	size_t n;

	if (e == NULL || e[0] == '\0')
		return 0;
	n = strlen(e);
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (e[0] == '@') {
		/* Abstract namespace: a leading NUL, no terminator. */
		if (n > sizeof(sun->sun_path))
			return -1;
		memcpy(sun->sun_path + 1, e + 1, n - 1);
		*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
		return 1;
	}
	if (e[0] != '/' || n >= sizeof(sun->sun_path))
		return -1;
	memcpy(sun->sun_path, e, n);
	*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
	return 1;
}

int
kdc_sd_notify(const char *state)
{
	struct sockaddr_un sun;
	socklen_t len = 0;
	ssize_t sent;
	size_t n;
	int fd, rc;

	rc = notify_addr(&sun, &len);
	if (rc == 0)
		return 1;
	if (rc < 0) {
		log_debug("sd_notify: unusable NOTIFY_SOCKET");
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		log_debug("sd_notify: socket: %s", strerror(errno));
		return -1;
	}
	n = strlen(state);
	do {
		sent = sendto(fd, state, n, MSG_NOSIGNAL,
		              (const struct sockaddr *)&sun, len);
	} while (sent < 0 && errno == EINTR);
	if (sent < 0)
		log_debug("sd_notify: send: %s", strerror(errno));
	close(fd);
	return sent == (ssize_t)n ? 0 : -1;
}

static int sd_vnotify(const char *fmt, va_list ap)
        __attribute__((format(printf, 1, 0)));

static int
sd_vnotify(const char *fmt, va_list ap)
{
	char buf[1024];
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);

	if (n < 0)
		return -1;
	return kdc_sd_notify(buf);
}

int
kdc_sd_notifyf(const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = sd_vnotify(fmt, ap);
	va_end(ap);
	return rc;
}

/* A strictly positive decimal, or 0. */
static uint64_t
env_u64(const char *name)
{
	const char *e = getenv(name);
	uint64_t v = 0;

	if (e == NULL || e[0] == '\0')
		return 0;
	for (const char *p = e; *p != '\0'; p++) {
		if (*p < '0' || *p > '9' || v > (UINT64_MAX - 9) / 10)
			return 0;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	return v;
}

uint64_t
kdc_sd_watchdog_period_ms(uint32_t conf_ms)
{
	uint64_t usec = env_u64("WATCHDOG_USEC");
	uint64_t pid = env_u64("WATCHDOG_PID");

	/* The variables may have been inherited by a child process that is
	 * not the one systemd watches. */
	if (usec > 0 && (pid == 0 || pid == (uint64_t)getpid())) {
		uint64_t ms = usec / 2000; /* half the period, in ms */

		return ms > 0 ? ms : 1;
	}
	return conf_ms;
}

void
kdc_sd_watchdog(void)
{
	kdc_sd_notify("WATCHDOG=1");
}
