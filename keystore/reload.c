/* SPDX-License-Identifier: Apache-2.0 */
/*
 * reload.c — configuration checks beyond the parser, and reloading
 * (SIGHUP, `kdc-admin reload`): settings the running keystore reads at
 * each use (log_level, clock_skew, default_audience, max_tokens) are
 * applied at once; the others (paths, users and groups of the sockets, the
 * watchdog) are only reported, because they need a restart.
 */
#include "handlers.h"

#include "log.h"

#include <stdio.h>
#include <string.h>

int
ks_conf_check(const struct kdc_conf *c, char *err, size_t errlen)
{
	size_t used = 0;

	err[0] = '\0';
	if (c->state_dir[0] != '/')
		used += (size_t)snprintf(err + used,
		                         used < errlen ? errlen - used : 0,
		                         "state_dir must be an absolute path "
		                         "(%s)\n",
		                         c->state_dir);
	if (c->runtime_dir[0] != '/')
		used += (size_t)snprintf(err + used,
		                         used < errlen ? errlen - used : 0,
		                         "runtime_dir must be an absolute path "
		                         "(%s)\n",
		                         c->runtime_dir);
	if (c->database[0] != '/')
		used += (size_t)snprintf(err + used,
		                         used < errlen ? errlen - used : 0,
		                         "database must be an absolute path "
		                         "(%s)\n",
		                         c->database);
	if (c->kek_file[0] != '/')
		used += (size_t)snprintf(err + used,
		                         used < errlen ? errlen - used : 0,
		                         "kek_file must be an absolute path "
		                         "(%s)\n",
		                         c->kek_file);
	if (used > 0 && used < errlen && err[used - 1] == '\n')
		err[used - 1] = '\0';
	return used == 0 ? 0 : -1;
}

static const char *
level_name(int level)
{
	switch (level) {
	case KDC_LOG_ERR:
		return "err";
	case KDC_LOG_WARNING:
		return "warning";
	case KDC_LOG_NOTICE:
		return "notice";
	case KDC_LOG_INFO:
		return "info";
	default:
		return "debug";
	}
}

static void
row(struct ipc_tab_builder *tb, const char *setting, const char *value,
    const char *status)
{
	if (tb == NULL)
		return;
	ipc_tab_textz(tb, setting);
	ipc_tab_textz(tb, value);
	ipc_tab_textz(tb, status);
}

/* A setting that only takes effect at the next start. */
static void
restart_only(struct ipc_tab_builder *tb, const char *setting, const char *old,
             const char *new)
{
	if (strcmp(old, new) == 0)
		return;
	log_warn("reload: %s changed to %s: needs a restart (still %s)",
	         setting, new, old);
	row(tb, setting, new, "needs restart");
}

int
ks_reload(struct ks *ks, struct ipc_tab_builder *tb, char *err, size_t errlen)
{
	static const char *const cols[] = {"setting", "value", "status"};
	struct kdc_conf c;
	char a[32], b[32];

	kdc_conf_defaults(&c);
	if (kdc_conf_load(ks->conf_path, &c, err, errlen) != 0 ||
	    ks_conf_check(&c, err, errlen) != 0) {
		log_err("reload: %s has errors, keeping the running "
		        "configuration:\n%s",
		        ks->conf_path, err);
		return -1;
	}
	if (tb != NULL)
		ipc_tab_begin(tb, "reload", cols, 3);

	/* Applied now. */
	row(tb, "log_level", level_name(c.log_level),
	    c.log_level != ks->conf.log_level ? "applied" : "unchanged");
	if (c.log_level != ks->conf.log_level) {
		log_notice("reload: log_level %s -> %s",
		           level_name(ks->conf.log_level),
		           level_name(c.log_level));
		kdc_log_set_level(c.log_level);
		ks->conf.log_level = c.log_level;
	}
	snprintf(a, sizeof(a), "%u", c.clock_skew);
	row(tb, "clock_skew", a,
	    c.clock_skew != ks->conf.clock_skew ? "applied" : "unchanged");
	if (c.clock_skew != ks->conf.clock_skew) {
		log_notice("reload: clock_skew %u -> %u s", ks->conf.clock_skew,
		           c.clock_skew);
		ks->conf.clock_skew = c.clock_skew;
	}
	row(tb, "default_audience", c.default_audience,
	    strcmp(c.default_audience, ks->conf.default_audience) != 0
	            ? "applied"
	            : "unchanged");
	if (strcmp(c.default_audience, ks->conf.default_audience) != 0) {
		log_notice("reload: default_audience %s -> %s",
		           ks->conf.default_audience, c.default_audience);
		memcpy(ks->conf.default_audience, c.default_audience,
		       sizeof(c.default_audience));
	}
	snprintf(a, sizeof(a), "%u", c.max_tokens);
	row(tb, "max_tokens", a,
	    c.max_tokens != ks->conf.max_tokens ? "applied" : "unchanged");
	if (c.max_tokens != ks->conf.max_tokens) {
		log_notice("reload: max_tokens %u -> %u", ks->conf.max_tokens,
		           c.max_tokens);
		ks->conf.max_tokens = c.max_tokens;
	}

	/* Read once at start. */
	restart_only(tb, "state_dir", ks->conf.state_dir, c.state_dir);
	restart_only(tb, "runtime_dir", ks->conf.runtime_dir, c.runtime_dir);
	restart_only(tb, "database", ks->conf.database, c.database);
	restart_only(tb, "kek_file", ks->conf.kek_file, c.kek_file);
	restart_only(tb, "create_kek", ks->conf.create_kek ? "yes" : "no",
	             c.create_kek ? "yes" : "no");
	restart_only(tb, "frontend_user", ks->conf.frontend_user,
	             c.frontend_user);
	restart_only(tb, "frontend_group", ks->conf.frontend_group,
	             c.frontend_group);
	restart_only(tb, "admin_group", ks->conf.admin_group, c.admin_group);
	snprintf(a, sizeof(a), "%u", ks->conf.watchdog_ms);
	snprintf(b, sizeof(b), "%u", c.watchdog_ms);
	restart_only(tb, "watchdog_ms", a, b);
	log_notice("configuration reloaded from %s", ks->conf_path);
	return 0;
}

int
ks_h_adm_reload(struct ks_req *r)
{
	struct ipc_adm_target t;
	struct ipc_tab_builder tb;
	char err[2048];

	if (ipc_dec_adm_target(r->payload, r->len, &t) != 0)
		return KS_H_MALFORMED;
	ipc_tab_init(&tb);
	if (ks_reload(r->ks, &tb, err, sizeof(err)) != 0) {
		ipc_tab_free(&tb);
		ks_reply_adm(r, NULL, IPC_ADM_E_USAGE, err);
		return KS_H_OK;
	}
	ks_audit(r, "reload", NULL, NULL, "%s", r->ks->conf_path);
	ks_reply_adm(r, &tb, IPC_ADM_OK, NULL);
	return KS_H_OK;
}
