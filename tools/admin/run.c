/* SPDX-License-Identifier: Apache-2.0 */
/*
 * run.c — one kdc-admin command against the keystore: connect to the
 * admin socket (HELLO as an admin peer), send the request, print the
 * ADM_RESULT.  `db backup` receives the database as ADM_CHUNK frames into
 * a file created exclusively with mode 0600, fsyncs it and checks its size
 * and SHA-256 against the final result; `db backup` and `db check` fall
 * back to the database file when the keystore is not running.
 */
#include "admin_run.h"

#include "crypto.h"
#include "ipc_conn.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int
adm_print_local(struct adm_ctx *x, struct ipc_tab_builder *tb, int32_t status,
                const char *error)
{
	struct ipc_adm_result r;
	struct ipc_wbuf w;
	int rc;

	memset(&r, 0, sizeof(r));
	if (adm_local_result(tb, status, error, &w, &r) != 0) {
		ipc_tab_free(tb);
		ipc_wbuf_free(&w);
		return adm_out_fail(&x->out, ADM_EXIT_INTERNAL,
		                    "cannot build the result");
	}
	rc = adm_out_result(&x->out, &r);
	ipc_adm_result_free(&r);
	ipc_wbuf_free(&w);
	ipc_tab_free(tb);
	return rc;
}

/* ---- streamed backup ---- */

struct sink {
	int fd;
	int64_t bytes;
	int err; /* first write errno */
	crypto_hash_sha256_state h;
};

static void
on_chunk(void *arg, const uint8_t *p, size_t n)
{
	struct sink *s = arg;
	size_t off = 0;

	crypto_hash_sha256_update(&s->h, p, n);
	s->bytes += (int64_t)n;
	while (s->err == 0 && off < n) {
		ssize_t w = write(s->fd, p + off, n - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			s->err = errno;
		else
			off += (size_t)w;
	}
}

static void
sync_dir_of(const char *path)
{
	char *copy = strdup(path);
	int fd;

	if (copy == NULL)
		return;
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	free(copy);
}

static const struct ipc_table *
find_table(const struct ipc_adm_result *r, const char *name)
{
	for (uint32_t i = 0; i < r->ntables; i++)
		if (r->tables[i].name.n == strlen(name) &&
		    memcmp(r->tables[i].name.p, name, r->tables[i].name.n) == 0)
			return &r->tables[i];
	return NULL;
}

static const struct ipc_cell *
find_cell(const struct ipc_table *t, const char *col)
{
	if (t == NULL || t->nrows != 1)
		return NULL;
	for (uint32_t c = 0; c < t->ncols; c++)
		if (t->col_names[c].n == strlen(col) &&
		    memcmp(t->col_names[c].p, col, t->col_names[c].n) == 0)
			return &t->cells[c];
	return NULL;
}

/* The file matches what the keystore says it sent (when it says). */
static bool
backup_matches(const struct ipc_adm_result *r, int64_t bytes,
               const uint8_t hash[32])
{
	const struct ipc_table *t = find_table(r, "backup");
	const struct ipc_cell *b = find_cell(t, "bytes");
	const struct ipc_cell *h = find_cell(t, "sha256");

	if (b != NULL && (b->type != IPC_CELL_INT || b->i != bytes))
		return false;
	if (h != NULL && (h->type != IPC_CELL_BYTES || h->v.n != 32 ||
	                  memcmp(h->v.p, hash, 32) != 0))
		return false;
	return true;
}

static int
decode_reply(const struct ipc_hdr *h, const uint8_t *p,
             struct ipc_adm_result *r, char *err, size_t errlen)
{
	struct ipc_error e;

	if (h->type == IPC_MSG_ADM_RESULT &&
	    ipc_dec_adm_result(p, h->len, r) == 0)
		return 0;
	if (h->type == IPC_MSG_ERROR && ipc_dec_error(p, h->len, &e) == 0)
		snprintf(err, errlen, "the keystore answered: %.*s",
		         (int)e.msg_len, e.msg);
	else
		snprintf(err, errlen, "unexpected %s reply from the keystore",
		         ipc_msg_name(h->type));
	return -1;
}

static int
run_backup(struct adm_ctx *x, struct ipc_sync *s, const char *file,
           const struct ipc_wbuf *req)
{
	struct ipc_adm_result r;
	struct ipc_hdr h;
	struct sink k;
	uint8_t *reply = NULL, hash[32];
	char err[600];
	int st, rc;

	memset(&k, 0, sizeof(k));
	k.fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	            0600);
	if (k.fd < 0) {
		snprintf(err, sizeof(err), "%s: %s", file, strerror(errno));
		return adm_out_fail(&x->out,
		                    errno == EEXIST ? ADM_EXIT_EXISTS
		                                    : ADM_EXIT_INTERNAL,
		                    err);
	}
	fchmod(k.fd, 0600);
	crypto_hash_sha256_init(&k.h);
	memset(&h, 0, sizeof(h));
	st = ipc_sync_call(s, IPC_MSG_ADM_DB_BACKUP, req->p, req->len,
	                   x->timeout_ms, &h, &reply, on_chunk, &k);
	crypto_hash_sha256_final(&k.h, hash);
	memset(&r, 0, sizeof(r));
	if (st != IPC_OK) {
		snprintf(err, sizeof(err), "%s", ipc_strerror(st));
		rc = adm_out_fail(&x->out, adm_exit_of_ipc(st), err);
	} else if (decode_reply(&h, reply, &r, err, sizeof(err)) != 0) {
		rc = adm_out_fail(&x->out, ADM_EXIT_INTERNAL, err);
	} else if (r.status == IPC_ADM_OK && (k.err != 0 || fsync(k.fd) != 0)) {
		snprintf(err, sizeof(err), "%s: %s", file,
		         strerror(k.err != 0 ? k.err : errno));
		rc = adm_out_fail(&x->out, ADM_EXIT_INTERNAL, err);
	} else if (r.status == IPC_ADM_OK &&
	           !backup_matches(&r, k.bytes, hash)) {
		snprintf(err, sizeof(err),
		         "%s: the copy does not match the size and SHA-256 the "
		         "keystore reports",
		         file);
		rc = adm_out_fail(&x->out, ADM_EXIT_INTERNAL, err);
	} else {
		rc = adm_out_result(&x->out, &r);
	}
	if (close(k.fd) != 0 && rc == ADM_EXIT_OK) {
		snprintf(err, sizeof(err), "%s: %s", file, strerror(errno));
		rc = adm_out_fail(&x->out, ADM_EXIT_INTERNAL, err);
	}
	if (rc != ADM_EXIT_OK)
		unlink(file); /* never leave a partial copy behind */
	else
		sync_dir_of(file);
	ipc_adm_result_free(&r);
	if (reply != NULL)
		ipc_sync_free_reply(reply, h.len);
	return rc;
}

static int
run_call(struct adm_ctx *x, struct ipc_sync *s, const struct adm_args *a,
         const struct ipc_wbuf *req)
{
	struct ipc_adm_result r;
	struct ipc_hdr h;
	uint8_t *reply = NULL;
	char err[600];
	int st, rc;

	memset(&h, 0, sizeof(h));
	memset(&r, 0, sizeof(r));
	st = ipc_sync_call(s, a->cmd->msg, req->p, req->len, x->timeout_ms, &h,
	                   &reply, NULL, NULL);
	if (st != IPC_OK) {
		snprintf(err, sizeof(err), "%s", ipc_strerror(st));
		rc = adm_out_fail(&x->out, adm_exit_of_ipc(st), err);
	} else if (decode_reply(&h, reply, &r, err, sizeof(err)) != 0) {
		rc = adm_out_fail(&x->out, ADM_EXIT_INTERNAL, err);
	} else {
		if ((a->cmd->flags & ADM_F_CHECK) && r.status == IPC_ADM_OK &&
		    !adm_check_healthy(&r)) {
			static const char msg[] =
			        "the database check found problems";

			r.status = IPC_ADM_E_INTERNAL;
			r.error.p = (const uint8_t *)msg;
			r.error.n = sizeof(msg) - 1;
		}
		rc = adm_out_result(&x->out, &r);
	}
	ipc_adm_result_free(&r);
	if (reply != NULL)
		ipc_sync_free_reply(reply, h.len);
	return rc;
}

int
adm_run(struct adm_ctx *x, const struct adm_args *a, const struct ipc_wbuf *req)
{
	bool db = (a->cmd->flags & (ADM_F_BACKUP | ADM_F_CHECK)) != 0;
	struct ipc_sync *s;
	char err[600];
	int st = IPC_E_UNAVAILABLE, rc;

	if (db && adm_opt(a, "offline") != NULL)
		s = NULL;
	else
		s = ipc_sync_connect(x->socket, IPC_PEER_ADMIN, "kdc-admin",
		                     IPC_PROTO_VERSION,
		                     x->timeout_ms < 0 ? ADM_CONNECT_TIMEOUT_MS
		                                       : x->timeout_ms,
		                     &st);
	if (s == NULL) {
		if (db && st == IPC_E_UNAVAILABLE) {
			if (adm_opt(a, "offline") == NULL)
				fprintf(stderr,
				        "kdc-admin: the keystore is not "
				        "reachable on %s; working offline on "
				        "%s\n",
				        x->socket, x->database);
			if (a->cmd->flags & ADM_F_BACKUP)
				return adm_offline_backup(x, a->pos[0]);
			return adm_offline_check(x);
		}
		snprintf(err, sizeof(err), "%s: %s", x->socket,
		         ipc_strerror(st));
		return adm_out_fail(&x->out, adm_exit_of_ipc(st), err);
	}
	if (a->cmd->flags & ADM_F_BACKUP)
		rc = run_backup(x, s, a->pos[0], req);
	else
		rc = run_call(x, s, a, req);
	ipc_sync_close(s);
	return rc;
}
