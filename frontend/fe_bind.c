/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fe_bind.c — several frontends on one UDP port (horizontal scaling).
 *
 * libcoap 4.3.1 cannot set SO_REUSEPORT nor adopt a socket (platform notes
 * Q4), and it always sets SO_REUSEADDR, with which a second server on the
 * same UDP port binds silently and steals all the traffic.  So:
 *   - this executable interposes bind(): with reuse_port on, UDP sockets get
 *     SO_REUSEPORT before binding and the kernel spreads clients over the
 *     frontends by 4-tuple (a DTLS client keeps its frontend);
 *   - every frontend takes a lock per port in the runtime folder: shared
 *     when reuse_port is on, exclusive when it is off, so a frontend without
 *     the mode never starts next to others on that port, nor they next to it;
 *   - UDP sockets get a large receive buffer (see RCVBUF_BYTES).
 * Patching libcoap would be cleaner; Debian's package is what we build on.
 */
#include "fe.h"

#include "log.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <unistd.h>

static bool reuse_port;

/*
 * All DTLS sessions of a port share its one socket.  A rekey of a group
 * sends a confirmable notification to every observer in one burst (libcoap
 * sends them all before it reads again), and their ACKs arrive together:
 * with the default buffer (rmem_default, 208 KiB, a few hundred datagrams)
 * most of 10,000 ACKs were dropped, and libcoap retransmitted those
 * notifications seconds later (kdc-bench scenario 4, docs/BENCHMARKS.md).
 * The buffer only takes memory while datagrams wait in it.  Set before the
 * privilege drop, so SO_RCVBUFFORCE may pass net.core.rmem_max; without
 * CAP_NET_ADMIN the kernel caps SO_RCVBUF at rmem_max.
 */
#define RCVBUF_BYTES (8 * 1024 * 1024)

static void
grow_rcvbuf(int fd)
{
	int want = RCVBUF_BYTES;

	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &want, sizeof(want)) !=
	    0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &want,
		                 sizeof(want));
}

void
fe_bind_configure(bool on)
{
	reuse_port = on;
}

/* Exported by the executable, so libcoap's calls resolve here first. */
int bind(int fd, const struct sockaddr *addr, socklen_t len);
int
bind(int fd, const struct sockaddr *addr, socklen_t len)
{
	static int (*real_bind)(int, const struct sockaddr *, socklen_t);

	if (real_bind == NULL) {
		real_bind = (int (*)(int, const struct sockaddr *,
		                     socklen_t))dlsym(RTLD_NEXT, "bind");
		if (real_bind == NULL) {
			errno = ENOSYS;
			return -1;
		}
	}
	if (addr != NULL &&
	    (addr->sa_family == AF_INET || addr->sa_family == AF_INET6)) {
		int type = 0, on = 1;
		socklen_t tl = sizeof(type);

		if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) == 0 &&
		    type == SOCK_DGRAM) {
			grow_rcvbuf(fd);
			if (reuse_port &&
			    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on,
			               sizeof(on)) != 0)
				return -1;
		}
	}
	return real_bind(fd, addr, len);
}

int
fe_port_lock(const char *lock_dir, uint16_t port, int *fd)
{
	char path[KDC_CONF_PATH_MAX + 32];

	snprintf(path, sizeof(path), "%s/frontend-%u.lock", lock_dir,
	         (unsigned)port);
	*fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (*fd < 0) {
		log_err("cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	if (flock(*fd, (reuse_port ? LOCK_SH : LOCK_EX) | LOCK_NB) != 0) {
		log_err("UDP port %u is served by another frontend%s; start "
		        "every frontend of a port with reuse_port = yes",
		        (unsigned)port,
		        reuse_port ? " that does not share it" : "");
		close(*fd);
		*fd = -1;
		return -1;
	}
	return 0;
}
