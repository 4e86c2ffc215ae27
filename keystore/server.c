/* SPDX-License-Identifier: Apache-2.0 */
/*
 * server.c — the keystore's two IPC servers (docs/DESIGN.md §4):
 * frontend.sock for the frontends (peer kind FRONTEND, the configured
 * frontend user) and admin.sock for kdc-admin (peer kind ADMIN, members of
 * the admin group); root is always allowed.  One ks_peer per connection
 * carries its actor string for logs and audit, its group subscriptions
 * (the groups whose state this frontend caches, docs/DESIGN.md §2) and its
 * reported counters.
 */
#include "handlers.h"

#include "crypto.h"
#include "gm.h"
#include "log.h"
#include "rekey.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- peers ---- */

struct ks_peer *
ks_peer_by_conn_id(struct ks *ks, uint64_t conn_id)
{
	for (struct ks_peer *p = ks->peers; p != NULL; p = p->next)
		if (p->conn_id == conn_id)
			return p;
	return NULL;
}

bool
ks_peer_subscribed(const struct ks_peer *p, int64_t group_id)
{
	for (size_t i = 0; i < p->nsubs; i++)
		if (p->subs[i] == group_id)
			return true;
	return false;
}

static int
subs_add(struct ks_peer *p, int64_t group_id)
{
	if (p->nsubs == p->subs_cap) {
		size_t cap = p->subs_cap ? p->subs_cap * 2 : 8;
		int64_t *v = realloc(p->subs, cap * sizeof(*v));

		if (v == NULL)
			return -1;
		p->subs = v;
		p->subs_cap = cap;
	}
	p->subs[p->nsubs++] = group_id;
	return 0;
}

int
ks_peer_subscribe(struct ks_req *r, const struct ks_group *g)
{
	struct ks_peer *p = r->peer;
	struct kdc_group_material *m;
	struct ipc_group_state st;
	struct ks_outbox_mark mark;
	struct ipc_wbuf w;
	int rc = -1;

	/* Only frontends cache group state. */
	if (p->kind != IPC_PEER_FRONTEND || ks_peer_subscribed(p, g->id))
		return 0;
	m = kdc_secure_alloc(sizeof(*m));
	if (m == NULL)
		return -1;
	if (gm_material(r->ks, g, m) != 0)
		goto out;
	memset(&st, 0, sizeof(st));
	st.reason = IPC_STATE_SNAPSHOT;
	st.material = m;
	ipc_wbuf_init(&w);
	if (ipc_enc_group_state(&w, &st) == 0 && subs_add(p, g->id) == 0) {
		/* Queued now, so it leaves before the caller's reply. */
		ks_outbox_mark(r->ks, &mark);
		ks_push_peer(r->ks, p, IPC_MSG_PUSH_GROUP_STATE, &w);
		if (r->ks->batch.count > mark.count) {
			(*mark.tail)->snapshot_group = g->id;
			rc = 0;
		} else {
			p->nsubs--; /* not queued: not subscribed */
		}
	}
	ipc_wbuf_free(&w); /* wiped: it holds the Master Secret */
out:
	kdc_secure_free(m);
	if (rc != 0)
		log_err("%s: cannot subscribe to group %s", p->actor,
		        g->cfg.name);
	return rc;
}

void
ks_peer_unsubscribe_group(struct ks *ks, int64_t group_id)
{
	for (struct ks_peer *p = ks->peers; p != NULL; p = p->next) {
		for (size_t i = 0; i < p->nsubs; i++) {
			if (p->subs[i] == group_id) {
				p->subs[i] = p->subs[--p->nsubs];
				break;
			}
		}
	}
}

int
ks_h_fe_stats(struct ks_req *r)
{
	struct ipc_fe_stats st;

	if (ipc_dec_fe_stats(r->payload, r->len, &st) != 0)
		return KS_H_MALFORMED;
	r->peer->stats = st;
	return KS_H_OK;
}

/* The HELLO name with anything unprintable replaced, for log lines. */
static void
clean_name(char *out, size_t n, const char *name, const char *dflt)
{
	size_t i = 0;

	if (name == NULL || name[0] == '\0')
		name = dflt;
	for (; name[i] != '\0' && i + 1 < n; i++) {
		unsigned char ch = (unsigned char)name[i];

		out[i] = ch > 0x20 && ch < 0x7f ? (char)ch : '?';
	}
	out[i] = '\0';
}

static void
on_open(struct ipc_conn *c, void *arg)
{
	struct ks *ks = arg;
	struct ks_peer *p = calloc(1, sizeof(*p));
	char name[IPC_NAME_MAX + 1];

	if (p == NULL) {
		log_err("keystore: out of memory for a new connection");
		ipc_conn_close(c, "out of memory");
		return;
	}
	p->ks = ks;
	p->conn = c;
	p->conn_id = ipc_conn_id(c);
	p->kind = ipc_conn_peer_kind(c);
	if (p->kind == IPC_PEER_ADMIN) {
		snprintf(p->actor, sizeof(p->actor), "admin pid=%ld uid=%lu",
		         (long)ipc_conn_pid(c), (unsigned long)ipc_conn_uid(c));
	} else {
		clean_name(name, sizeof(name), ipc_conn_name(c), "frontend");
		snprintf(p->actor, sizeof(p->actor), "%s pid=%ld uid=%lu", name,
		         (long)ipc_conn_pid(c), (unsigned long)ipc_conn_uid(c));
	}
	p->next = ks->peers;
	ks->peers = p;
	ipc_conn_set_data(c, p);
	if (ks->stopping)
		ipc_conn_close(c, "keystore stopping");
}

static int
on_frame(struct ipc_conn *c, const struct ipc_hdr *h, const uint8_t *payload,
         void *arg)
{
	struct ks_peer *p = ipc_conn_get_data(c);

	(void)arg;
	if (p == NULL)
		return -1;
	return ks_dispatch(p, h, payload);
}

static void
on_close(struct ipc_conn *c, void *arg)
{
	struct ks *ks = arg;
	struct ks_peer *p = ipc_conn_get_data(c);

	if (p == NULL)
		return;
	for (struct ks_peer **pp = &ks->peers; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	}
	ipc_conn_set_data(c, NULL);
	/* Answers still in the outbox for it are skipped at flush time. */
	ks_rekey_forget_conn(ks, p->conn_id);
	log_info("%s disconnected", p->actor);
	free(p->subs);
	free(p);
}

/* ---- servers ---- */

static int
lookup_uid(const char *name, uid_t *uid)
{
	struct passwd pw, *res = NULL;
	char buf[4096];

	if (name[0] == '\0' ||
	    getpwnam_r(name, &pw, buf, sizeof(buf), &res) != 0 || res == NULL)
		return -1;
	*uid = pw.pw_uid;
	return 0;
}

static int
lookup_gid(const char *name, gid_t *gid)
{
	struct group gr, *res = NULL;
	char buf[16384];

	if (name[0] == '\0' ||
	    getgrnam_r(name, &gr, buf, sizeof(buf), &res) != 0 || res == NULL)
		return -1;
	*gid = gr.gr_gid;
	return 0;
}

/* The runtime folder must be reachable by the frontend user. */
static int
runtime_dir(const char *dir)
{
	struct stat st;

	if (mkdir(dir, 0755) == 0) {
		/* Our umask is 077: set the mode explicitly. */
		if (chmod(dir, 0755) != 0) {
			log_err("chmod %s: %s", dir, strerror(errno));
			return -1;
		}
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
	return 0;
}

static void
base_cfg(struct ks *ks, struct ipc_server_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->mode = 0660;
	cfg->group = (gid_t)-1;
	cfg->version = IPC_PROTO_VERSION;
	cfg->software = "kdc-keystore " KDC_VERSION;
	cfg->instance = ks->instance;
	cfg->on_open = on_open;
	cfg->on_frame = on_frame;
	cfg->on_close = on_close;
	cfg->arg = ks;
}

int
ks_servers_start(struct ks *ks)
{
	struct ipc_server_cfg cfg;
	char path[KDC_CONF_PATH_MAX + 32];
	uid_t fe_uid;
	gid_t fe_gid, adm_gid;
	bool have_fe_uid, have_fe_gid, have_adm_gid;

	if (runtime_dir(ks->conf.runtime_dir) != 0)
		return -1;
	have_fe_uid = lookup_uid(ks->conf.frontend_user, &fe_uid) == 0;
	have_fe_gid = lookup_gid(ks->conf.frontend_group, &fe_gid) == 0;
	have_adm_gid = lookup_gid(ks->conf.admin_group, &adm_gid) == 0;
	if (!have_fe_uid)
		log_warn("frontend_user %s does not exist: only root and uid "
		         "%lu may use frontend.sock",
		         ks->conf.frontend_user, (unsigned long)geteuid());
	if (!have_fe_gid)
		log_warn("frontend_group %s does not exist: frontend.sock "
		         "keeps our group",
		         ks->conf.frontend_group);
	if (!have_adm_gid)
		log_warn("admin_group %s does not exist: only root and uid %lu "
		         "may use admin.sock",
		         ks->conf.admin_group, (unsigned long)geteuid());

	base_cfg(ks, &cfg);
	kdc_conf_frontend_socket(&ks->conf, path, sizeof(path));
	cfg.path = path;
	cfg.peer_kind = IPC_PEER_FRONTEND;
	if (have_fe_gid)
		cfg.group = fe_gid;
	if (have_fe_uid) {
		cfg.uids = &fe_uid;
		cfg.nuids = 1;
	}
	ks->fe_srv = ipc_server_listen(ks->loop, &cfg);
	if (ks->fe_srv == NULL)
		return -1;

	base_cfg(ks, &cfg);
	kdc_conf_admin_socket(&ks->conf, path, sizeof(path));
	cfg.path = path;
	cfg.peer_kind = IPC_PEER_ADMIN;
	/* The default write-queue bound: a backup is paced by the queue
	 * (at most 8 MiB of it, adm_backup.c), whatever the database's
	 * size. */
	if (have_adm_gid) {
		cfg.group = adm_gid;
		cfg.gids = &adm_gid;
		cfg.ngids = 1;
	}
	ks->adm_srv = ipc_server_listen(ks->loop, &cfg);
	if (ks->adm_srv == NULL) {
		ipc_server_close(ks->fe_srv);
		ks->fe_srv = NULL;
		return -1;
	}
	return 0;
}

void
ks_peers_close(struct ks *ks, const char *why)
{
	for (struct ks_peer *p = ks->peers; p != NULL; p = p->next)
		if (p->conn != NULL)
			ipc_conn_close(p->conn, why);
}

void
ks_servers_stop(struct ks *ks)
{
	if (ks->fe_srv != NULL) {
		ipc_server_close(ks->fe_srv);
		ks->fe_srv = NULL;
	}
	if (ks->adm_srv != NULL) {
		ipc_server_close(ks->adm_srv);
		ks->adm_srv = NULL;
	}
}
