/* SPDX-License-Identifier: Apache-2.0 */
/*
 * startup.c — what the keystore opens before it serves anyone, in order:
 * the state folder, the key-encryption key, the database (migrated; a
 * database newer than this binary is refused), the KDC's own keys, and the
 * rekey schedules (pending rekeys of the previous run are done now).
 */
#include "ks.h"

#include "clock.h"
#include "crypto.h"
#include "gm.h"
#include "kek.h"
#include "log.h"
#include "rekey.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

static int
state_dir(const char *dir)
{
	struct stat st;

	if (mkdir(dir, 0700) == 0) {
		log_info("created %s", dir);
		return 0;
	}
	if (errno != EEXIST) {
		log_err("cannot create %s: %s", dir, strerror(errno));
		return -1;
	}
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		log_err("%s exists and is not a folder", dir);
		return -1;
	}
	if (st.st_mode & 0077)
		log_warn("%s is accessible to group or others (mode %04o); "
		         "0700 is expected",
		         dir, (unsigned)(st.st_mode & 07777));
	return 0;
}

/* The locked state folder: open (and so locked) until the process exits. */
static int state_lock_fd = -1;

int
ks_state_lock(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0) {
		log_err("cannot open %s: %s", dir, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		if (errno == EWOULDBLOCK)
			log_err("%s is in use by another kdc-keystore (or "
			        "kdc-keystore --rekey-kek); stop it first",
			        dir);
		else
			log_err("cannot lock %s: %s", dir, strerror(errno));
		close(fd);
		return -1;
	}
	if (state_lock_fd >= 0)
		close(state_lock_fd);
	state_lock_fd = fd;
	return 0;
}

int
ks_startup(struct ks *ks)
{
	char err[512];
	uint64_t failed;

	if (state_dir(ks->conf.state_dir) != 0 ||
	    ks_state_lock(ks->conf.state_dir) != 0)
		return -1;
	ks->kek = kdc_secure_alloc(32);
	if (ks->kek == NULL) {
		log_err("out of secure memory");
		return -1;
	}
	if (ks_kek_load(ks->conf.kek_file, ks->conf.create_kek, ks->kek, err,
	                sizeof(err)) != 0) {
		log_err("key-encryption key: %s", err);
		return -1;
	}
	if (ks_store_open(ks->conf.database, ks->kek, &ks->store) != KS_OK) {
		log_err("cannot open the database %s (see the message above; "
		        "a database written by a newer kdc-keystore than this "
		        "one, which knows schema version %d, is refused)",
		        ks->conf.database, ks_store_schema_version());
		return -1;
	}
	log_info("database %s, schema version %d", ks->conf.database,
	         ks_store_db_version(ks->store));
	while (ks->instance == 0)
		kdc_random((uint8_t *)&ks->instance, sizeof(ks->instance));
	ks->stats.started_at = kdc_now();

	ks_batch_init(ks);
	ks_timers_init(ks);
	failed = ks->stats.commits_failed;
	if (ks_batch_ensure(ks) != 0)
		return -1;
	if (ks_kdc_keys_bootstrap(ks) != 0) {
		log_err("cannot create the KDC's credentials");
		ks_store_rollback(ks->store);
		ks->batch.open = false;
		return -1;
	}
	ks_batch_commit(ks);
	if (ks->stats.commits_failed != failed)
		return -1;
	if (ks_rekey_startup(ks) != 0 || ks->stats.commits_failed != failed) {
		log_err("cannot restore the rekey schedules");
		return -1;
	}
	return 0;
}

void
ks_shutdown(struct ks *ks)
{
	while (ks->groups_rt != NULL)
		ks_group_rt_forget(ks, ks->groups_rt->group_id);
	ks_kdc_keys_forget();
	if (ks->store != NULL) {
		if (ks->batch.open)
			ks_batch_commit(ks);
		ks_store_close(ks->store);
		ks->store = NULL;
	}
	if (ks->kek != NULL) {
		kdc_secure_free(ks->kek);
		ks->kek = NULL;
	}
}
