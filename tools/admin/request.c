/* SPDX-License-Identifier: Apache-2.0 */
/*
 * request.c — building the IPC request of each command from its parsed
 * arguments (ipc_msg.h admin messages), and the exit codes of results.
 */
#include "admin.h"

#include "ipc_conn.h"
#include "tools_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
adm_exit_of_status(int32_t status)
{
	switch (status) {
	case IPC_ADM_OK:
		return ADM_EXIT_OK;
	case IPC_ADM_E_USAGE:
		return ADM_EXIT_USAGE;
	case IPC_ADM_E_NOT_FOUND:
		return ADM_EXIT_NOT_FOUND;
	case IPC_ADM_E_EXISTS:
		return ADM_EXIT_EXISTS;
	case IPC_ADM_E_REFUSED:
		return ADM_EXIT_REFUSED;
	default:
		return ADM_EXIT_INTERNAL;
	}
}

int
adm_exit_of_ipc(int st)
{
	switch (st) {
	case IPC_OK:
		return ADM_EXIT_OK;
	case IPC_E_UNAVAILABLE:
	case IPC_E_TIMEOUT:
	case IPC_E_PROTO:
		/* Not running, no access to the socket, no answer, or a
		 * keystore of another protocol version. */
		return ADM_EXIT_UNREACHABLE;
	default:
		return ADM_EXIT_INTERNAL;
	}
}

const char *
adm_exit_name(int code)
{
	switch (code) {
	case ADM_EXIT_OK:
		return "ok";
	case ADM_EXIT_USAGE:
		return "usage error";
	case ADM_EXIT_NOT_FOUND:
		return "not found";
	case ADM_EXIT_EXISTS:
		return "already exists";
	case ADM_EXIT_REFUSED:
		return "refused";
	case ADM_EXIT_UNREACHABLE:
		return "keystore unreachable";
	default:
		return "internal error";
	}
}

/* Copy a positional argument into a fixed-size name field. */
static int
put_name(char *dst, size_t size, const char *v, const char *what, char *err,
         size_t errlen)
{
	size_t n = strlen(v);

	if (n == 0 || n >= size) {
		snprintf(err, errlen, "%s must be 1 to %zu bytes", what,
		         size - 1);
		return -1;
	}
	memcpy(dst, v, n + 1);
	return 0;
}

static int
finish(int rc, struct ipc_wbuf *w, char *err, size_t errlen)
{
	if (rc != 0 || !ipc_wbuf_ok(w)) {
		snprintf(err, errlen,
		         "request could not be encoded (a name "
		         "holds a NUL or is too long)");
		return ADM_EXIT_USAGE;
	}
	return ADM_EXIT_OK;
}

static int
send_target(const struct ipc_adm_target *t, struct ipc_wbuf *w, char *err,
            size_t errlen)
{
	return finish(ipc_enc_adm_target(w, t), w, err, errlen);
}

int
adm_build_none(const struct adm_args *a, const struct adm_env *env,
               struct ipc_wbuf *w, char *err, size_t errlen)
{
	struct ipc_adm_target t;

	(void)a;
	(void)env;
	memset(&t, 0, sizeof(t));
	return send_target(&t, w, err, errlen);
}

int
adm_build_group(const struct adm_args *a, const struct adm_env *env,
                struct ipc_wbuf *w, char *err, size_t errlen)
{
	struct ipc_adm_target t;

	(void)env;
	memset(&t, 0, sizeof(t));
	if (put_name(t.group, sizeof(t.group), a->pos[0], "a group name", err,
	             errlen) != 0)
		return ADM_EXIT_USAGE;
	return send_target(&t, w, err, errlen);
}

int
adm_build_group_delete(const struct adm_args *a, const struct adm_env *env,
                       struct ipc_wbuf *w, char *err, size_t errlen)
{
	if (adm_opt(a, "yes") == NULL) {
		snprintf(err, errlen,
		         "deleting group '%s' ends every membership and "
		         "destroys its keying material; add --yes to confirm",
		         a->pos[0]);
		return ADM_EXIT_USAGE;
	}
	return adm_build_group(a, env, w, err, errlen);
}

int
adm_build_member(const struct adm_args *a, const struct adm_env *env,
                 struct ipc_wbuf *w, char *err, size_t errlen)
{
	struct ipc_adm_target t;

	(void)env;
	memset(&t, 0, sizeof(t));
	if (put_name(t.group, sizeof(t.group), a->pos[0], "a group name", err,
	             errlen) != 0 ||
	    put_name(t.node, sizeof(t.node), a->pos[1], "a node name", err,
	             errlen) != 0)
		return ADM_EXIT_USAGE;
	return send_target(&t, w, err, errlen);
}

int
adm_build_arg(const struct adm_args *a, const struct adm_env *env,
              struct ipc_wbuf *w, char *err, size_t errlen)
{
	struct ipc_adm_target t;

	(void)env;
	memset(&t, 0, sizeof(t));
	if (put_name(t.arg, sizeof(t.arg), a->pos[0], "the argument", err,
	             errlen) != 0)
		return ADM_EXIT_USAGE;
	return send_target(&t, w, err, errlen);
}

int
adm_build_token_revoke(const struct adm_args *a, const struct adm_env *env,
                       struct ipc_wbuf *w, char *err, size_t errlen)
{
	struct ipc_adm_target t;

	(void)env;
	memset(&t, 0, sizeof(t));
	if (tl_parse_i64(a->pos[0], 1, INT64_MAX, &t.id) != 0) {
		snprintf(err, errlen,
		         "'%s' is not a token id (a positive "
		         "number, see token list)",
		         a->pos[0]);
		return ADM_EXIT_USAGE;
	}
	return send_target(&t, w, err, errlen);
}

int
adm_build_audit(const struct adm_args *a, const struct adm_env *env,
                struct ipc_wbuf *w, char *err, size_t errlen)
{
	struct ipc_adm_audit m;
	const char *v;
	uint64_t u;

	(void)env;
	memset(&m, 0, sizeof(m));
	m.limit = ADM_AUDIT_LIMIT_DEFAULT;
	if (adm_opt_uint(a, "limit", &u, err, errlen) == 0)
		m.limit = (uint32_t)u;
	if (adm_opt_uint(a, "since", &u, err, errlen) == 0)
		m.since_id = (int64_t)u;
	if ((v = adm_opt(a, "group")) != NULL &&
	    put_name(m.group, sizeof(m.group), v, "--group", err, errlen) != 0)
		return ADM_EXIT_USAGE;
	if ((v = adm_opt(a, "action")) != NULL &&
	    put_name(m.action, sizeof(m.action), v, "--action", err, errlen) !=
	            0)
		return ADM_EXIT_USAGE;
	return finish(ipc_enc_adm_audit(w, &m), w, err, errlen);
}

int
adm_build_sql(const struct adm_args *a, const struct adm_env *env,
              struct ipc_wbuf *w, char *err, size_t errlen)
{
	struct ipc_adm_sql m;
	char *q;
	size_t n = 0, off = 0;
	int rc;

	(void)env;
	for (size_t i = 0; i < a->npos; i++)
		n += strlen(a->pos[i]) + 1;
	q = malloc(n + 1);
	if (q == NULL) {
		snprintf(err, errlen, "out of memory");
		return ADM_EXIT_INTERNAL;
	}
	for (size_t i = 0; i < a->npos; i++) {
		size_t l = strlen(a->pos[i]);

		if (i > 0)
			q[off++] = ' ';
		memcpy(q + off, a->pos[i], l);
		off += l;
	}
	q[off] = '\0';
	m.query.p = (const uint8_t *)q;
	m.query.n = off;
	rc = finish(ipc_enc_adm_sql(w, &m), w, err, errlen);
	free(q);
	return rc;
}

int
adm_build_group_create(const struct adm_args *a, const struct adm_env *env,
                       struct ipc_wbuf *w, char *err, size_t errlen)
{
	struct ipc_adm_group m;
	int rc;

	(void)env;
	memset(&m, 0, sizeof(m));
	rc = adm_group_create_config(a, &m.config, err, errlen);
	if (rc != ADM_EXIT_OK)
		return rc;
	return finish(ipc_enc_adm_group(w, &m), w, err, errlen);
}

/* An update of the fields in mask, the others at their defaults (the
 * keystore ignores them). */
static int
send_update(const char *name, const struct kdc_group_config *c, uint32_t mask,
            struct ipc_wbuf *w, char *err, size_t errlen)
{
	struct ipc_adm_group m;

	memset(&m, 0, sizeof(m));
	m.config = *c;
	m.field_mask = mask;
	if (put_name(m.config.name, sizeof(m.config.name), name, "a group name",
	             err, errlen) != 0)
		return ADM_EXIT_USAGE;
	return finish(ipc_enc_adm_group(w, &m), w, err, errlen);
}

int
adm_build_group_update(const struct adm_args *a, const struct adm_env *env,
                       struct ipc_wbuf *w, char *err, size_t errlen)
{
	struct kdc_group_config c;
	const char *why = NULL;
	uint32_t mask;
	int rc;

	(void)env;
	kdc_group_config_defaults(&c);
	snprintf(c.name, sizeof(c.name), "%s", "x");
	rc = adm_group_apply(a, &c, &mask, err, errlen);
	if (rc != ADM_EXIT_OK)
		return rc;
	mask &= KDC_GF_UPDATABLE;
	if (mask == 0) {
		snprintf(err, errlen,
		         "nothing to update: give at least one "
		         "policy option (see kdc-admin group "
		         "update --help)");
		return ADM_EXIT_USAGE;
	}
	/* The updatable fields have no rule that involves a fixed one, so
	 * checking them over the defaults checks exactly them. */
	if (kdc_group_config_validate(&c, &why) != 0) {
		snprintf(err, errlen, "%s", why != NULL ? why : "invalid");
		return ADM_EXIT_USAGE;
	}
	return send_update(a->pos[0], &c, mask, w, err, errlen);
}

static int
set_active(const struct adm_args *a, bool active, struct ipc_wbuf *w, char *err,
           size_t errlen)
{
	struct kdc_group_config c;

	kdc_group_config_defaults(&c);
	c.active = active;
	return send_update(a->pos[0], &c, KDC_GF_ACTIVE, w, err, errlen);
}

int
adm_build_group_activate(const struct adm_args *a, const struct adm_env *env,
                         struct ipc_wbuf *w, char *err, size_t errlen)
{
	(void)env;
	return set_active(a, true, w, err, errlen);
}

int
adm_build_group_deactivate(const struct adm_args *a, const struct adm_env *env,
                           struct ipc_wbuf *w, char *err, size_t errlen)
{
	(void)env;
	return set_active(a, false, w, err, errlen);
}
