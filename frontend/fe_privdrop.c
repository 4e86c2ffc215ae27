/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fe_privdrop.c — drop to the unprivileged user after the ports are bound
 * (OpenBSD daemons' order: bind, then setgroups/setresgid/setresuid).
 * A frontend started as another user keeps it.
 */
#include "fe.h"

#include "log.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <unistd.h>

int
fe_privdrop(const char *user, const char *group)
{
	struct passwd *pw;
	struct group *gr;
	gid_t gid;

	if (geteuid() != 0)
		return 0;
	pw = getpwnam(user);
	if (pw == NULL) {
		log_err("user %s does not exist; refusing to run as root",
		        user);
		return -1;
	}
	gid = pw->pw_gid;
	if (group != NULL && group[0] != '\0') {
		gr = getgrnam(group);
		if (gr == NULL) {
			log_err("group %s does not exist", group);
			return -1;
		}
		gid = gr->gr_gid;
	}
	if (setgroups(1, &gid) != 0 || setresgid(gid, gid, gid) != 0 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) != 0) {
		log_err("cannot drop privileges to %s: %s", user,
		        strerror(errno));
		return -1;
	}
	if (setuid(0) == 0) {
		log_err("privileges could be regained; aborting");
		return -1;
	}
	log_info("running as %s (uid %u, gid %u)", user, (unsigned)pw->pw_uid,
	         (unsigned)gid);
	return 0;
}
