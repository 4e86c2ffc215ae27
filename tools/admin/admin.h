/* SPDX-License-Identifier: Apache-2.0 */
/*
 * admin.h — kdc-admin, the operator's command line on the keystore's admin
 * socket (docs/DESIGN.md §1, §4).
 *
 * One command table (cmdtab.c, Knot's / smtpctl's model) is the source of
 * truth for parsing, the per-command --help and the COMMANDS section of
 * kdc-admin.8 (kdc-admin --mdoc-commands prints it; a unit test checks the
 * page holds it verbatim).  Each entry names the words of the command, its
 * positional arguments, its options, the IPC request it sends and the
 * function that builds that request from the parsed arguments.  Building is
 * pure (no I/O but reading key files), so it lives in libkdc_tools_core
 * and is unit-tested; main.c and run.c connect, call and print.
 *
 * Output goes through a vtable (bgpctl's output.c / output_json.c): the
 * keystore answers with tables of typed cells, printed as aligned text or
 * as JSON whose field names are the column names.
 */
#ifndef KDC_TOOLS_ADMIN_H
#define KDC_TOOLS_ADMIN_H

#include "group_config.h"
#include "ipc_msg.h"
#include "json.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifndef KDC_ADMIN_CONF_DEFAULT
#define KDC_ADMIN_CONF_DEFAULT "/etc/kdc/kdc.conf"
#endif
/* Reply timeout unless -t is given (s); db commands wait without limit. */
#define ADM_TIMEOUT_DEFAULT 30
/* Entries audit shows unless --limit is given. */
#define ADM_AUDIT_LIMIT_DEFAULT 50

/* Exit codes (kdc-admin.8 EXIT STATUS). */
enum adm_exit {
	ADM_EXIT_OK = 0,
	ADM_EXIT_USAGE = 1,       /* bad command line or configuration */
	ADM_EXIT_NOT_FOUND = 2,   /* no such group, member, AS, token */
	ADM_EXIT_EXISTS = 3,      /* already exists (also a backup file) */
	ADM_EXIT_REFUSED = 4,     /* the keystore refused (e.g. sql write) */
	ADM_EXIT_UNREACHABLE = 5, /* keystore not running / no access */
	ADM_EXIT_INTERNAL = 6,    /* anything else */
};
/* Exit code of an ADM_RESULT status (ipc_adm_status). */
int adm_exit_of_status(int32_t status);
/* Exit code of a failed ipc_sync_* call (ipc_status). */
int adm_exit_of_ipc(int st);
/* Short name of an exit code: "usage error", "not found", ... */
const char *adm_exit_name(int code);

/* ---- the command table ---- */

enum adm_opt_type {
	ADM_OT_FLAG,  /* no value */
	ADM_OT_TEXT,  /* any text */
	ADM_OT_UINT,  /* decimal 0..max */
	ADM_OT_ONOFF, /* on|off (also yes|no, true|false, 1|0) */
	ADM_OT_ALG,   /* COSE algorithm name or number (kdc_alg_parse) */
	ADM_OT_CRV,   /* COSE curve name or number (kdc_crv_parse) */
};

enum adm_opt_flags {
	ADM_OF_CREATE_ONLY = 1u << 0, /* group option fixed at creation */
};

struct adm_opt {
	const char *name; /* without the leading "--" */
	enum adm_opt_type type;
	const char *metavar; /* NULL for flags */
	uint64_t max;        /* ADM_OT_UINT */
	unsigned flags;
	const char *help;
};

struct adm_args;
struct adm_env;
/* Build the request payload into w.  Returns ADM_EXIT_OK, or an exit code
 * (usually ADM_EXIT_USAGE) with the reason in err. */
typedef int (*adm_build_fn)(const struct adm_args *a, const struct adm_env *env,
                            struct ipc_wbuf *w, char *err, size_t errlen);

enum adm_cmd_flags {
	ADM_F_RECORD = 1u << 0, /* one-row tables print as name/value lines */
	ADM_F_UPDATE = 1u << 1, /* group options: only updatable ones */
	ADM_F_BACKUP = 1u << 2, /* db backup: streamed, or offline */
	ADM_F_CHECK = 1u << 3,  /* db check: online, or offline */
	ADM_F_REST = 1u << 4,   /* positionals are joined by spaces (sql) */
	ADM_F_LONG = 1u << 5,   /* may take long: no default timeout */
};

#define ADM_MAX_OPTS 32

struct adm_cmd {
	const char *words;    /* "group create" */
	const char *synopsis; /* positional arguments: "NAME" */
	uint8_t min_pos, max_pos;
	const struct adm_opt *opts; /* terminated by a NULL name; may be NULL */
	uint16_t msg;               /* IPC request type */
	adm_build_fn build;
	unsigned flags;
	const char *summary; /* one line */
	const char *help;    /* a paragraph for --help and the man page */
};

extern const struct adm_cmd adm_cmds[];
extern const size_t adm_ncmds;

/* ---- parsed arguments ---- */

#define ADM_MAX_POS 64

struct adm_optval {
	const struct adm_opt *opt;
	const char *value; /* "" for flags */
};

struct adm_args {
	const struct adm_cmd *cmd;
	const char *pos[ADM_MAX_POS];
	size_t npos;
	struct adm_optval opts[ADM_MAX_OPTS];
	size_t nopts;
	bool help; /* --help / -h among the command's arguments */
};

/* What the command line takes from the configuration. */
struct adm_env {
	const char *default_audience; /* [keystore] default_audience */
};

/*
 * Find the command named by the leading words of argv[0..argc) and parse
 * the rest against its options.  Returns ADM_EXIT_OK with *a filled (the
 * pointers borrow argv), or ADM_EXIT_USAGE with a message in err.  When
 * the words name no command but are the prefix of some ("group"), *a->cmd
 * is NULL and err lists the candidates.
 */
int adm_parse(int argc, char *const argv[], struct adm_args *a, char *err,
              size_t errlen);
/* The value of an option, NULL when absent ("" for a given flag). */
const char *adm_opt(const struct adm_args *a, const char *name);
/* Is this option offered by the command (update commands hide the
 * create-only group options)? */
bool adm_cmd_has_opt(const struct adm_cmd *c, const struct adm_opt *o);
/* Typed option values; return 0, 1 when absent (*out untouched), or -1
 * with a message in err. */
int adm_opt_uint(const struct adm_args *a, const char *name, uint64_t *out,
                 char *err, size_t errlen);
int adm_opt_onoff(const struct adm_args *a, const char *name, bool *out,
                  char *err, size_t errlen);
int adm_parse_onoff(const char *s, bool *out);

/* Help texts from the table. */
void adm_usage(FILE *f);                             /* global help */
void adm_cmd_help(FILE *f, const struct adm_cmd *c); /* one command */
/* Commands whose words start with prefix (e.g. "group"), one per line. */
void adm_list_prefix(FILE *f, const char *prefix);
/* The COMMANDS section body of kdc-admin.8 in mdoc. */
void adm_mdoc_commands(FILE *f);

/* ---- request builders (request.c, group_opts.c, as_add.c) ---- */

int adm_build_none(const struct adm_args *a, const struct adm_env *env,
                   struct ipc_wbuf *w, char *err, size_t errlen);
int adm_build_group(const struct adm_args *a, const struct adm_env *env,
                    struct ipc_wbuf *w, char *err, size_t errlen);
int adm_build_member(const struct adm_args *a, const struct adm_env *env,
                     struct ipc_wbuf *w, char *err, size_t errlen);
int adm_build_group_delete(const struct adm_args *a, const struct adm_env *env,
                           struct ipc_wbuf *w, char *err, size_t errlen);
int adm_build_arg(const struct adm_args *a, const struct adm_env *env,
                  struct ipc_wbuf *w, char *err, size_t errlen);
int adm_build_token_revoke(const struct adm_args *a, const struct adm_env *env,
                           struct ipc_wbuf *w, char *err, size_t errlen);
int adm_build_audit(const struct adm_args *a, const struct adm_env *env,
                    struct ipc_wbuf *w, char *err, size_t errlen);
int adm_build_sql(const struct adm_args *a, const struct adm_env *env,
                  struct ipc_wbuf *w, char *err, size_t errlen);
int adm_build_group_create(const struct adm_args *a, const struct adm_env *env,
                           struct ipc_wbuf *w, char *err, size_t errlen);
int adm_build_group_update(const struct adm_args *a, const struct adm_env *env,
                           struct ipc_wbuf *w, char *err, size_t errlen);
int adm_build_group_activate(const struct adm_args *a,
                             const struct adm_env *env, struct ipc_wbuf *w,
                             char *err, size_t errlen);
int adm_build_group_deactivate(const struct adm_args *a,
                               const struct adm_env *env, struct ipc_wbuf *w,
                               char *err, size_t errlen);
int adm_build_as_add(const struct adm_args *a, const struct adm_env *env,
                     struct ipc_wbuf *w, char *err, size_t errlen);

/* The group options (group_opts.c), shared by create and update. */
extern const struct adm_opt adm_group_opts[];
/* Apply the group options of a to c and collect their kdc_group_field
 * bits in *mask (create-only options add KDC_GF_CREATE_ONLY).  Returns
 * ADM_EXIT_OK or ADM_EXIT_USAGE with err. */
int adm_group_apply(const struct adm_args *a, struct kdc_group_config *c,
                    uint32_t *mask, char *err, size_t errlen);
/* The default of a group option as text ("EdDSA", "on", "86400") for
 * --help and the man page; NULL when it has none. */
const char *adm_group_opt_default(const struct adm_opt *o, char *buf, size_t n);
/* The configuration group create sends (defaults, options, validated). */
int adm_group_create_config(const struct adm_args *a,
                            struct kdc_group_config *c, char *err,
                            size_t errlen);

/* ---- output (output.c, output_json.c) ---- */

struct adm_out;
struct adm_output {
	void (*begin)(struct adm_out *o);
	void (*table)(struct adm_out *o, const struct ipc_table *t);
	/* code: an adm_exit value; error may be NULL. */
	void (*end)(struct adm_out *o, int code, const char *error,
	            size_t error_len);
};

#define ADM_OUT_MAX_NAMES 64

struct adm_out {
	const struct adm_output *vt;
	FILE *f;         /* results */
	FILE *ferr;      /* human error messages */
	const char *ctx; /* "group create": prefix of error messages */
	bool record;     /* ADM_F_RECORD */
	unsigned ntables_total;
	unsigned ntables;
	/* JSON */
	struct json_w j;
	char names[ADM_OUT_MAX_NAMES][80];
	unsigned nnames;
};

extern const struct adm_output adm_output_human;
extern const struct adm_output adm_output_json;

void adm_out_init(struct adm_out *o, bool json, FILE *f, FILE *ferr,
                  const char *ctx, bool record);
/* Print a whole result: begin, every table, end with the exit code of its
 * status.  Returns that exit code. */
int adm_out_result(struct adm_out *o, const struct ipc_adm_result *r);
/* A failure that happened before or instead of a result. */
int adm_out_fail(struct adm_out *o, int code, const char *error);

/* Human rendering of one cell (output.c): NULL "-", INT decimal, BOOL
 * yes/no, BYTES lowercase hex, TEXT with control characters escaped.
 * Returns a malloc'd string (NULL on allocation failure). */
char *adm_cell_text(const struct ipc_cell *c);
/* Human table (exposed for tests); record: name/value lines for one row. */
void adm_print_table(FILE *f, const struct ipc_table *t, bool record);

/* db check: does the result report a healthy database (every row of the
 * "integrity_check" table "ok", no row in "foreign_key_check")? */
bool adm_check_healthy(const struct ipc_adm_result *r);

/* Build a local result (offline db commands) the way the keystore does,
 * and decode it into r for printing (r borrows w's buffer). */
int adm_local_result(struct ipc_tab_builder *tb, int32_t status,
                     const char *error, struct ipc_wbuf *w,
                     struct ipc_adm_result *r);

#endif
