/* SPDX-License-Identifier: Apache-2.0 */
/*
 * admin_run.h — the executable side of kdc-admin: running a parsed command
 * against the keystore (run.c) or, for the db commands, on the database
 * file directly (offline.c, the only user of SQLite in the tools).
 */
#ifndef KDC_TOOLS_ADMIN_RUN_H
#define KDC_TOOLS_ADMIN_RUN_H

#include "admin.h"

#include <stdbool.h>

/* Connecting and the handshake never wait longer than this, even when the
 * reply may take without limit (db commands). */
#define ADM_CONNECT_TIMEOUT_MS 30000

struct adm_ctx {
	const char *socket;   /* admin socket path */
	const char *database; /* database file (offline db commands) */
	int timeout_ms;       /* < 0: no limit */
	struct adm_out out;
};

/* Run the command: returns the exit code (the result is printed). */
int adm_run(struct adm_ctx *x, const struct adm_args *a,
            const struct ipc_wbuf *req);

/* Offline db commands on x->database, read-only. */
int adm_offline_backup(struct adm_ctx *x, const char *file);
int adm_offline_check(struct adm_ctx *x);

/* Print a locally built result (ipc_tab_builder) through x->out; frees
 * tb.  Returns the exit code. */
int adm_print_local(struct adm_ctx *x, struct ipc_tab_builder *tb,
                    int32_t status, const char *error);

#endif
