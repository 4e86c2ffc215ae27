/* SPDX-License-Identifier: Apache-2.0 */
/*
 * conf.h — the configuration file shared by kdc-keystore and kdc-frontend
 * (deploy/kdc.conf documents every key).
 *
 * Format: `[section]` headers, `key = value` lines, `#` comments, blank
 * lines.  Strict: an unknown section or key, a value of the wrong type or
 * out of range, or a repeated single-valued key is an error reported as
 * "FILE:LINE: message".  Secrets are never values in this file: only paths
 * to them (or systemd credentials).
 */
#ifndef KDC_CONF_H
#define KDC_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KDC_CONF_PATH_MAX   256
#define KDC_CONF_NAME_MAX   64
#define KDC_CONF_MAX_LISTEN 8

struct kdc_listen {
	char host[64]; /* numeric address: "127.0.0.1", "::", "0.0.0.0" */
	uint16_t port;
};

struct kdc_conf {
	/* [kdc] */
	char state_dir[KDC_CONF_PATH_MAX];
	char runtime_dir[KDC_CONF_PATH_MAX];
	int log_level; /* KDC_LOG_* */

	/* [keystore] */
	char database[KDC_CONF_PATH_MAX]; /* default <state_dir>/kdc.sqlite */
	char kek_file[KDC_CONF_PATH_MAX]; /* default <state_dir>/kek */
	bool create_kek;
	char frontend_user[KDC_CONF_NAME_MAX];  /* may connect to frontend.sock
	                                         */
	char frontend_group[KDC_CONF_NAME_MAX]; /* group of frontend.sock */
	char admin_group[KDC_CONF_NAME_MAX];    /* group of admin.sock */
	uint32_t clock_skew;                    /* s tolerated on exp/nbf */
	char default_audience[KDC_CONF_NAME_MAX * 2]; /* for `as add` */
	uint32_t max_tokens;
	uint32_t watchdog_ms; /* sd_notify WATCHDOG=1 period; 0 = from env */

	/* [frontend] */
	struct kdc_listen listen[KDC_CONF_MAX_LISTEN]; /* plain CoAP */
	size_t nlisten;
	struct kdc_listen listen_dtls[KDC_CONF_MAX_LISTEN];
	size_t nlisten_dtls;
	bool reuse_port;
	char lock_dir[KDC_CONF_PATH_MAX]; /* per-port locks; default runtime_dir
	                                   */
	char user[KDC_CONF_NAME_MAX];     /* drop to this user when root */
	char group[KDC_CONF_NAME_MAX];
	char rpk_key[KDC_CONF_PATH_MAX]; /* PEM private key for DTLS RPK */
	uint32_t max_sessions;
	uint32_t session_idle_timeout; /* seconds before an idle session goes */
	uint32_t ipc_timeout_ms;
	uint32_t unavailable_max_age; /* Max-Age of 5.03 while keystore away */
	uint32_t max_request_payload; /* bytes */
};

/* Built-in defaults (state under /var/lib/kdc, runtime under /run/kdc). */
void kdc_conf_defaults(struct kdc_conf *c);
/*
 * Parse path over the defaults already in c.  Returns 0, or -1 with
 * "path:line: message" in err (every error found is reported, one per
 * line, up to errlen).  Derived defaults (database, kek_file from
 * state_dir) are filled after parsing.
 */
int kdc_conf_load(const char *path, struct kdc_conf *c, char *err,
                  size_t errlen);
/* Parse from a string (tests); name is used in messages. */
int kdc_conf_parse(const char *name, const char *text, struct kdc_conf *c,
                   char *err, size_t errlen);

/* The socket paths under runtime_dir. */
void kdc_conf_frontend_socket(const struct kdc_conf *c, char *out, size_t n);
void kdc_conf_admin_socket(const struct kdc_conf *c, char *out, size_t n);

#endif
