/* SPDX-License-Identifier: Apache-2.0 */
/* Tests of the sd_notify protocol (common/sdnotify.c): datagrams arrive on
 * a socket the test binds, at a path and in the abstract namespace. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "sdnotify.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

struct sock {
	int fd;
	char path[108]; /* empty for abstract */
};

/* Bind a datagram socket at path, or at "\0name" when abstract. */
static void
sock_bind(struct sock *s, const char *name, int abstract)
{
	struct sockaddr_un sun;
	socklen_t len;
	size_t n = strlen(name);

	memset(s, 0, sizeof(*s));
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (abstract) {
		memcpy(sun.sun_path + 1, name, n);
		len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
		                  n);
	} else {
		assert_true(n < sizeof(sun.sun_path));
		memcpy(sun.sun_path, name, n);
		snprintf(s->path, sizeof(s->path), "%s", name);
		unlink(name);
		len = (socklen_t)sizeof(sun);
	}
	s->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(s->fd >= 0);
	assert_int_equal(bind(s->fd, (struct sockaddr *)&sun, len), 0);
}

static void
sock_close(struct sock *s)
{
	close(s->fd);
	if (s->path[0] != '\0')
		unlink(s->path);
}

/* Receive one datagram (bounded wait) into buf as a C string. */
static void
sock_recv(struct sock *s, char *buf, size_t n)
{
	struct pollfd p = {.fd = s->fd, .events = POLLIN};
	ssize_t r;

	assert_int_equal(poll(&p, 1, 2000), 1);
	r = recv(s->fd, buf, n - 1, 0);
	assert_true(r >= 0);
	buf[r] = '\0';
}

static int
sock_pending(struct sock *s)
{
	struct pollfd p = {.fd = s->fd, .events = POLLIN};

	return poll(&p, 1, 0);
}

static void
temp_path(char *out, size_t n)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(out, n, "%s/kdc-sdn-%ld.sock",
	         tmp != NULL && tmp[0] != '\0' && strlen(tmp) < 60 ? tmp
	                                                           : "/tmp",
	         (long)getpid());
}

static void
test_unset_is_noop(void **state)
{
	(void)state;
	unsetenv("NOTIFY_SOCKET");
	assert_int_equal(kdc_sd_notify("READY=1"), 1);
	setenv("NOTIFY_SOCKET", "", 1);
	assert_int_equal(kdc_sd_notify("READY=1"), 1);
	unsetenv("NOTIFY_SOCKET");
}

static void
test_path_socket(void **state)
{
	struct sock s;
	char path[108], buf[256];

	(void)state;
	temp_path(path, sizeof(path));
	sock_bind(&s, path, 0);
	setenv("NOTIFY_SOCKET", path, 1);

	assert_int_equal(kdc_sd_notify("READY=1\nSTATUS=serving"), 0);
	sock_recv(&s, buf, sizeof(buf));
	assert_string_equal(buf, "READY=1\nSTATUS=serving");

	assert_int_equal(kdc_sd_notifyf("STATUS=%d groups", 3), 0);
	sock_recv(&s, buf, sizeof(buf));
	assert_string_equal(buf, "STATUS=3 groups");

	kdc_sd_watchdog();
	sock_recv(&s, buf, sizeof(buf));
	assert_string_equal(buf, "WATCHDOG=1");

	assert_int_equal(kdc_sd_notify("STOPPING=1"), 0);
	sock_recv(&s, buf, sizeof(buf));
	assert_string_equal(buf, "STOPPING=1");
	assert_int_equal(sock_pending(&s), 0);

	unsetenv("NOTIFY_SOCKET");
	sock_close(&s);
}

static void
test_abstract_socket(void **state)
{
	struct sock s;
	char name[64], env[80], buf[256];

	(void)state;
	snprintf(name, sizeof(name), "kdc-sdnotify-test-%ld", (long)getpid());
	sock_bind(&s, name, 1);
	snprintf(env, sizeof(env), "@%s", name);
	setenv("NOTIFY_SOCKET", env, 1);
	assert_int_equal(kdc_sd_notify("RELOADING=1"), 0);
	sock_recv(&s, buf, sizeof(buf));
	assert_string_equal(buf, "RELOADING=1");
	unsetenv("NOTIFY_SOCKET");
	sock_close(&s);
}

static void
test_bad_addresses(void **state)
{
	char longpath[200];

	(void)state;
	/* Relative paths are not part of the protocol. */
	setenv("NOTIFY_SOCKET", "relative/notify", 1);
	assert_int_equal(kdc_sd_notify("READY=1"), -1);
	/* Longer than sun_path. */
	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	setenv("NOTIFY_SOCKET", longpath, 1);
	assert_int_equal(kdc_sd_notify("READY=1"), -1);
	longpath[0] = '@';
	setenv("NOTIFY_SOCKET", longpath, 1);
	assert_int_equal(kdc_sd_notify("READY=1"), -1);
	/* Nobody listening. */
	setenv("NOTIFY_SOCKET", "/nonexistent/kdc/notify", 1);
	assert_int_equal(kdc_sd_notify("READY=1"), -1);
	unsetenv("NOTIFY_SOCKET");
}

static void
test_watchdog_period(void **state)
{
	char pid[32];

	(void)state;
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	assert_int_equal(kdc_sd_watchdog_period_ms(0), 0);
	assert_int_equal(kdc_sd_watchdog_period_ms(7000), 7000);

	/* Half of systemd's period, in ms. */
	setenv("WATCHDOG_USEC", "10000000", 1);
	assert_int_equal(kdc_sd_watchdog_period_ms(7000), 5000);
	snprintf(pid, sizeof(pid), "%ld", (long)getpid());
	setenv("WATCHDOG_PID", pid, 1);
	assert_int_equal(kdc_sd_watchdog_period_ms(0), 5000);
	/* Meant for another process: fall back to the configuration. */
	snprintf(pid, sizeof(pid), "%ld", (long)getpid() + 1);
	setenv("WATCHDOG_PID", pid, 1);
	assert_int_equal(kdc_sd_watchdog_period_ms(7000), 7000);
	unsetenv("WATCHDOG_PID");
	/* Tiny periods never become 0; garbage is ignored. */
	setenv("WATCHDOG_USEC", "1", 1);
	assert_int_equal(kdc_sd_watchdog_period_ms(0), 1);
	setenv("WATCHDOG_USEC", "12x", 1);
	assert_int_equal(kdc_sd_watchdog_period_ms(300), 300);
	setenv("WATCHDOG_USEC", "-5", 1);
	assert_int_equal(kdc_sd_watchdog_period_ms(0), 0);
	unsetenv("WATCHDOG_USEC");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_unset_is_noop),
	        cmocka_unit_test(test_path_socket),
	        cmocka_unit_test(test_abstract_socket),
	        cmocka_unit_test(test_bad_addresses),
	        cmocka_unit_test(test_watchdog_period),
	};
	return cmocka_run_group_tests_name("sdnotify", tests, NULL, NULL);
}
