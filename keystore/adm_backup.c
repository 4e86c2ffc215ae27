/* SPDX-License-Identifier: Apache-2.0 */
/*
 * adm_backup.c — kdc-admin db backup.  The last committed state is copied
 * with SQLite's online backup into a private file of the state folder
 * (unlinked at once: nothing stays behind, even if the keystore stops),
 * then streamed to the admin as ADM_CHUNK partial replies and a final
 * ADM_RESULT with its size and SHA-256, which kdc-admin checks.
 *
 * The stream is paced by the admin's connection: a chunk is read only
 * while less than BACKUP_WINDOW bytes wait to be written to it, so a
 * database of any size never sits in the keystore's memory (a million
 * members is 700 MiB).  A small database goes out from the handler itself;
 * a larger one continues from a timer, one window at a time.  The audit
 * line is written, in a batch like any change, when the last chunk is
 * queued, and the final reply leaves after it is committed.
 */
#include "adm.h"

#include "clock.h"
#include "crypto.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BACKUP_CHUNK  ((size_t)1024 * 1024)
#define BACKUP_WINDOW (8 * BACKUP_CHUNK)
/* How often a waiting stream looks at its connection again. */
#define BACKUP_POLL_MS 2

struct ks_backup {
	struct ks *ks;
	uint64_t conn_id;
	uint32_t reqid;
	int fd;
	int64_t size;  /* bytes read and queued so far */
	int64_t total; /* the file's size */
	int64_t started_at;
	crypto_hash_sha256_state h;
	uv_timer_t timer;
	bool timer_on;
	struct ks_backup *next;
};

static void
backup_free_cb(uv_handle_t *h)
{
	free(h->data);
}

/* Unlink from ks->backups, close the file, and free (through the timer's
 * close callback when it was started). */
static void
backup_end(struct ks_backup *b)
{
	struct ks_backup **pp = &b->ks->backups;

	while (*pp != NULL && *pp != b)
		pp = &(*pp)->next;
	if (*pp == b)
		*pp = b->next;
	if (b->fd >= 0)
		close(b->fd);
	b->fd = -1;
	sodium_memzero(&b->h, sizeof(b->h));
	if (b->timer_on) {
		uv_timer_stop(&b->timer);
		b->timer.data = b;
		uv_close((uv_handle_t *)&b->timer, backup_free_cb);
	} else {
		free(b);
	}
}

/* A request stand-in for the reply helpers, NULL when the admin is gone. */
static bool
backup_req(struct ks_backup *b, struct ks_req *r)
{
	struct ks_peer *p = ks_peer_by_conn_id(b->ks, b->conn_id);

	if (p == NULL || p->conn == NULL)
		return false;
	memset(r, 0, sizeof(*r));
	r->ks = b->ks;
	r->peer = p;
	r->type = IPC_MSG_ADM_DB_BACKUP;
	r->reqid = b->reqid;
	r->now = kdc_now();
	return true;
}

/* The audit line and the final ADM_RESULT (in the open batch). */
static int
backup_finish(struct ks_backup *b, struct ks_req *r)
{
	static const char *const cols[] = {"bytes", "sha256", "schema_version",
	                                   "created_at"};
	struct ipc_tab_builder tb;
	uint8_t hash[32];

	/* The audit line is a change: it needs the batch transaction (open
	 * already when this runs in the handler). */
	if (ks_batch_ensure(b->ks) != 0)
		return -1;
	crypto_hash_sha256_final(&b->h, hash);
	if (ks_audit(r, "db-backup", NULL, NULL, "bytes=%lld",
	             (long long)b->size) != KS_OK)
		return -1;
	log_notice("database backup (%lld bytes) sent to %s",
	           (long long)b->size, r->peer->actor);
	ipc_tab_init(&tb);
	ipc_tab_begin(&tb, "backup", cols, 4);
	ipc_tab_int(&tb, b->size);
	ipc_tab_bytes(&tb, hash, sizeof(hash));
	ipc_tab_int(&tb, ks_store_db_version(b->ks->store));
	ipc_tab_int(&tb, b->started_at);
	ks_reply_adm(r, &tb, IPC_ADM_OK, NULL);
	return 0;
}

/*
 * Queue chunks while the admin's connection has room; at the end of the
 * file, the audit line and the final reply.  Returns 1 when the stream is
 * over (answered, or failed with an answer queued), 0 to be called again,
 * -1 on a failure the caller answers.
 */
static int
backup_pump(struct ks_backup *b, struct ks_req *r)
{
	/* (A peer without a connection is a unit test's stand-in.) */
	size_t room = r->peer->conn != NULL
	                      ? ipc_conn_pending_bytes(r->peer->conn)
	                      : 0;
	uint8_t *buf;
	int rc = 0;

	room = room < BACKUP_WINDOW ? BACKUP_WINDOW - room : 0;
	if (room == 0)
		return 0;
	buf = malloc(BACKUP_CHUNK);
	if (buf == NULL)
		return -1;
	while (room > 0) {
		ssize_t n = read(b->fd, buf, BACKUP_CHUNK);
		struct ipc_wbuf w;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			log_err("backup: read: %s", strerror(errno));
			rc = -1;
			break;
		}
		if (n == 0) {
			rc = b->size == b->total && backup_finish(b, r) == 0
			             ? 1
			             : -1;
			break;
		}
		crypto_hash_sha256_update(&b->h, buf, (unsigned long long)n);
		b->size += n;
		ipc_wbuf_init(&w);
		/* Sealed secrets only, but the whole database all the same. */
		w.secret = true;
		ipc_put_raw(&w, buf, (size_t)n);
		if (!ipc_wbuf_ok(&w)) {
			ipc_wbuf_free(&w);
			rc = -1;
			break;
		}
		ks_reply_more(r, IPC_MSG_ADM_CHUNK, &w);
		ipc_wbuf_free(&w);
		room = (size_t)n < room ? room - (size_t)n : 0;
	}
	kdc_wipe(buf, BACKUP_CHUNK);
	free(buf);
	return rc;
}

static void
on_backup_timer(uv_timer_t *t)
{
	struct ks_backup *b = t->data;
	struct ks_req r;
	int rc;

	if (!backup_req(b, &r)) {
		log_warn("backup: the admin went away after %lld of %lld bytes",
		         (long long)b->size, (long long)b->total);
		backup_end(b);
		return;
	}
	rc = backup_pump(b, &r);
	if (rc < 0)
		adm_error(&r, IPC_ADM_E_INTERNAL,
		          "the backup failed (see the keystore's log)");
	if (rc != 0)
		backup_end(b);
}

void
ks_backups_abort(struct ks *ks)
{
	while (ks->backups != NULL) {
		log_warn("backup to connection %llu abandoned: the keystore is "
		         "stopping",
		         (unsigned long long)ks->backups->conn_id);
		backup_end(ks->backups);
	}
}

int
ks_h_adm_db_backup(struct ks_req *r)
{
	struct ipc_adm_target t;
	char path[KDC_CONF_PATH_MAX + 64];
	uint8_t rnd[8];
	char rhex[17];
	struct ks_backup *b;
	struct stat st;
	int fd, rc;

	if (ipc_dec_adm_target(r->payload, r->len, &t) != 0)
		return KS_H_MALFORMED;
	kdc_random(rnd, sizeof(rnd));
	snprintf(path, sizeof(path), "%s/.backup-%ld-%s.tmp",
	         r->ks->conf.state_dir, (long)getpid(),
	         kdc_hex(rhex, sizeof(rhex), rnd, sizeof(rnd)));
	/* The last committed state (the open batch is not in it). */
	if (ks_store_backup(r->ks->store, path) != KS_OK) {
		unlink(path);
		adm_error(r, IPC_ADM_E_INTERNAL,
		          "the backup failed (see the keystore's log)");
		return KS_H_OK;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	/* Nothing stays behind in state_dir, even if we stop now. */
	unlink(path);
	if (fd < 0 || fstat(fd, &st) != 0) {
		log_err("backup: open %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		adm_error(r, IPC_ADM_E_INTERNAL, "the backup failed");
		return KS_H_OK;
	}
	b = calloc(1, sizeof(*b));
	if (b == NULL) {
		close(fd);
		return KS_H_FAIL;
	}
	b->ks = r->ks;
	b->conn_id = r->peer->conn_id;
	b->reqid = r->reqid;
	b->fd = fd;
	b->total = (int64_t)st.st_size;
	b->started_at = r->now;
	crypto_hash_sha256_init(&b->h);
	b->next = r->ks->backups;
	r->ks->backups = b;
	rc = backup_pump(b, r);
	if (rc != 0) {
		backup_end(b);
		/* Drops the chunks already queued; answered as a failure. */
		return rc < 0 ? KS_H_FAIL : KS_H_OK;
	}
	/* The rest from the timer, once the connection has drained. */
	uv_timer_init(r->ks->loop, &b->timer);
	b->timer.data = b;
	b->timer_on = true;
	uv_timer_start(&b->timer, on_backup_timer, BACKUP_POLL_MS,
	               BACKUP_POLL_MS);
	return KS_H_OK;
}
