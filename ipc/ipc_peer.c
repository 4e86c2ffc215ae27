/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ipc_peer.c — who is on the other end of a Unix socket (SO_PEERCRED) and
 * whether a socket's allow-list admits it (docs/DESIGN.md §4).
 */
#include "ipc_conn.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

int
ipc_peer_cred(int fd, struct ipc_peer_cred *out)
{
	struct ucred uc;
	socklen_t len = sizeof(uc);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) != 0 ||
	    len != sizeof(uc))
		return IPC_E_SYS;
	out->pid = uc.pid;
	out->uid = uc.uid;
	out->gid = uc.gid;
	return IPC_OK;
}

static bool
gid_listed(gid_t g, const gid_t *gids, size_t ngids)
{
	for (size_t i = 0; i < ngids; i++)
		if (gids[i] == g)
			return true;
	return false;
}

bool
ipc_peer_allowed(uid_t uid, gid_t gid, const gid_t *groups, size_t ngroups,
                 uid_t self, const struct ipc_server_cfg *cfg)
{
	if (uid == 0 || uid == self)
		return true;
	for (size_t i = 0; i < cfg->nuids; i++)
		if (cfg->uids[i] == uid)
			return true;
	if (gid_listed(gid, cfg->gids, cfg->ngids))
		return true;
	for (size_t i = 0; i < ngroups; i++)
		if (gid_listed(groups[i], cfg->gids, cfg->ngids))
			return true;
	return false;
}

/* Supplementary groups of uid from the user database; *n = 0 when the uid
 * has no entry.  Returns a malloc'd array or NULL. */
static gid_t *
peer_groups(uid_t uid, gid_t gid, size_t *n)
{
	struct passwd pw, *res = NULL;
	long sz = sysconf(_SC_GETPW_R_SIZE_MAX);
	size_t bufsz = sz > 0 ? (size_t)sz : 4096;
	char *buf = NULL;
	gid_t *groups = NULL;
	int ng = 32, rc;

	*n = 0;
	for (;;) {
		char *nb = realloc(buf, bufsz);

		if (nb == NULL)
			goto out;
		buf = nb;
		rc = getpwuid_r(uid, &pw, buf, bufsz, &res);
		if (rc != ERANGE || bufsz >= (1u << 20))
			break;
		bufsz *= 2;
	}
	if (rc != 0 || res == NULL)
		goto out;
	for (int tries = 0; tries < 8; tries++) {
		gid_t *ng2 = realloc(groups, (size_t)ng * sizeof(*groups));
		int want = ng;

		if (ng2 == NULL)
			break;
		groups = ng2;
		if (getgrouplist(pw.pw_name, gid, groups, &want) >= 0) {
			*n = (size_t)want;
			goto out;
		}
		/* want now holds the number needed. */
		ng = want > ng ? want : ng * 2;
	}
	free(groups);
	groups = NULL;
out:
	free(buf);
	return groups;
}

bool
ipc_peer_check(const struct ipc_peer_cred *peer,
               const struct ipc_server_cfg *cfg)
{
	gid_t *groups;
	size_t ngroups;
	bool ok;

	if (ipc_peer_allowed(peer->uid, peer->gid, NULL, 0, geteuid(), cfg))
		return true;
	if (cfg->ngids == 0)
		return false;
	groups = peer_groups(peer->uid, peer->gid, &ngroups);
	ok = ipc_peer_allowed(peer->uid, peer->gid, groups, ngroups, geteuid(),
	                      cfg);
	free(groups);
	return ok;
}
