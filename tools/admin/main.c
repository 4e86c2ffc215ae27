/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kdc-admin — the operator's command line on the keystore's admin socket.
 *
 *   kdc-admin [-c CONFIG] [-s SOCKET] [-t SECONDS] [-j] COMMAND [ARGS]
 *
 * Global options are read here; the command and its arguments are parsed
 * against the command table (cmdtab.c), its request built (request.c) and
 * run (run.c).  See kdc-admin(8).
 */
#include "admin_run.h"

#include "conf.h"
#include "crypto.h"
#include "log.h"
#include "tools_util.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { OPT_MDOC = 256 };

static const struct option long_opts[] = {
        {"config", required_argument, NULL, 'c'},
        {"socket", required_argument, NULL, 's'},
        {"timeout", required_argument, NULL, 't'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {"mdoc-commands", no_argument, NULL, OPT_MDOC},
        {NULL, 0, NULL, 0},
};

struct globals {
	const char *config;
	const char *socket;
	long timeout_s; /* -1: not given */
	bool json;
};

/* A failure before the command runs, in the chosen output form. */
static int
fail(const struct globals *g, const char *ctx, int code, const char *msg)
{
	struct adm_out o;

	adm_out_init(&o, g->json, stdout, stderr, ctx, false);
	if (g->json)
		return adm_out_fail(&o, code, msg);
	if (strcmp(ctx, "kdc-admin") == 0)
		fprintf(stderr, "kdc-admin: %s\n", msg);
	else
		fprintf(stderr, "kdc-admin: %s: %s\n", ctx, msg);
	return code;
}

/* The configuration: the file given with -c must load; the default file
 * is used when it exists, else the built-in defaults (so that -s alone
 * works on a machine without the file). */
static int
load_conf(const struct globals *g, struct kdc_conf *c, char *err, size_t errlen)
{
	const char *path =
	        g->config != NULL ? g->config : KDC_ADMIN_CONF_DEFAULT;

	kdc_conf_defaults(c);
	if (g->config == NULL && access(path, F_OK) != 0)
		return 0;
	if (g->config == NULL && access(path, R_OK) != 0 && errno == EACCES)
		return 0; /* not ours to read: the defaults, or -s */
	return kdc_conf_load(path, c, err, errlen);
}

/* The global options.  Their errors are reported after the whole loop,
 * so that a -j anywhere among them gives the error its JSON form
 * (kdc-admin.8 OUTPUT); *bad_opt tells an unknown or incomplete option
 * (then the usage follows a human message). */
static int
parse_globals(int argc, char *argv[], struct globals *g, char *err,
              size_t errlen, bool *bad_opt)
{
	int ch, rc = ADM_EXIT_OK;

	memset(g, 0, sizeof(*g));
	g->timeout_s = -1;
	err[0] = '\0';
	*bad_opt = false;
	opterr = 0;
	/* "+": stop at the command, whose options are the table's; ":":
	 * tell a missing value from an unknown option. */
	while ((ch = getopt_long(argc, argv, "+:c:s:t:jhV", long_opts, NULL)) !=
	       -1) {
		uint64_t t;

		switch (ch) {
		case 'c':
			g->config = optarg;
			break;
		case 's':
			g->socket = optarg;
			break;
		case 't':
			if (tl_parse_u64(optarg, 86400, &t) != 0) {
				if (rc == ADM_EXIT_OK)
					snprintf(
					        err, errlen,
					        "-t: seconds from 0 (no limit) "
					        "to 86400");
				rc = ADM_EXIT_USAGE;
				break;
			}
			g->timeout_s = (long)t;
			break;
		case 'j':
			g->json = true;
			break;
		case 'h':
			adm_usage(stdout);
			exit(ADM_EXIT_OK);
		case 'V':
			printf("kdc-admin %s (IPC protocol %d)\n", KDC_VERSION,
			       IPC_PROTO_VERSION);
			exit(ADM_EXIT_OK);
		case OPT_MDOC:
			adm_mdoc_commands(stdout);
			exit(ADM_EXIT_OK);
		case ':':
			if (rc == ADM_EXIT_OK)
				snprintf(err, errlen,
				         "option '%s' needs a value",
				         argv[optind - 1]);
			rc = ADM_EXIT_USAGE;
			*bad_opt = true;
			break;
		default:
			if (rc == ADM_EXIT_OK && optopt != 0)
				snprintf(err, errlen, "unknown option '-%c'",
				         optopt);
			else if (rc == ADM_EXIT_OK)
				snprintf(err, errlen, "unknown option '%s'",
				         argv[optind - 1]);
			rc = ADM_EXIT_USAGE;
			*bad_opt = true;
			break;
		}
	}
	return rc;
}

/* kdc-admin help [COMMAND...] */
static int
help(int argc, char *argv[])
{
	struct adm_args a;
	char err[512];

	if (argc == 0) {
		adm_usage(stdout);
		return ADM_EXIT_OK;
	}
	if (adm_parse(argc, argv, &a, err, sizeof(err)) == ADM_EXIT_OK ||
	    a.cmd != NULL) {
		adm_cmd_help(stdout, a.cmd);
		return ADM_EXIT_OK;
	}
	fprintf(stderr, "kdc-admin: %s\n", err);
	adm_list_prefix(stderr, argv[0]);
	return ADM_EXIT_USAGE;
}

int
main(int argc, char *argv[])
{
	struct globals g;
	struct adm_args a;
	struct adm_ctx x;
	struct adm_env env;
	struct ipc_wbuf req;
	struct kdc_conf *conf;
	char err[1024], sock[KDC_CONF_PATH_MAX + 16];
	bool bad_opt;
	int rc;

	kdc_log_init("kdc-admin", KDC_LOG_WARNING);
	rc = parse_globals(argc, argv, &g, err, sizeof(err), &bad_opt);
	if (rc != ADM_EXIT_OK) {
		rc = fail(&g, "kdc-admin", rc, err);
		if (!g.json && bad_opt)
			adm_usage(stderr);
		return rc;
	}
	argc -= optind;
	argv += optind;
	if (argc == 0) {
		if (g.json)
			return fail(&g, "kdc-admin", ADM_EXIT_USAGE,
			            "no command given (kdc-admin --help lists "
			            "them)");
		adm_usage(stderr);
		return ADM_EXIT_USAGE;
	}
	if (strcmp(argv[0], "help") == 0)
		return help(argc - 1, argv + 1);
	if (kdc_crypto_init() != 0)
		return fail(&g, "kdc-admin", ADM_EXIT_INTERNAL,
		            "cannot initialise libsodium");
	rc = adm_parse(argc, argv, &a, err, sizeof(err));
	if (rc != ADM_EXIT_OK) {
		rc = fail(&g, a.cmd != NULL ? a.cmd->words : "kdc-admin", rc,
		          err);
		if (!g.json && a.cmd == NULL)
			adm_list_prefix(stderr, argv[0]);
		return rc;
	}
	if (a.help) {
		adm_cmd_help(stdout, a.cmd);
		return ADM_EXIT_OK;
	}
	conf = calloc(1, sizeof(*conf));
	if (conf == NULL)
		return fail(&g, a.cmd->words, ADM_EXIT_INTERNAL,
		            "out of memory");
	if (load_conf(&g, conf, err, sizeof(err)) != 0) {
		rc = fail(&g, a.cmd->words, ADM_EXIT_USAGE, err);
		free(conf);
		return rc;
	}
	env.default_audience = conf->default_audience;
	ipc_wbuf_init(&req);
	err[0] = '\0';
	rc = a.cmd->build(&a, &env, &req, err, sizeof(err));
	if (rc != ADM_EXIT_OK) {
		ipc_wbuf_free(&req);
		rc = fail(&g, a.cmd->words, rc, err);
		free(conf);
		return rc;
	}
	kdc_conf_admin_socket(conf, sock, sizeof(sock));
	memset(&x, 0, sizeof(x));
	x.socket = g.socket != NULL ? g.socket : sock;
	x.database = conf->database;
	if (g.timeout_s >= 0)
		x.timeout_ms = g.timeout_s == 0 ? -1 : (int)g.timeout_s * 1000;
	else
		x.timeout_ms = (a.cmd->flags & ADM_F_LONG)
		                       ? -1
		                       : ADM_TIMEOUT_DEFAULT * 1000;
	adm_out_init(&x.out, g.json, stdout, stderr, a.cmd->words,
	             (a.cmd->flags & ADM_F_RECORD) != 0);
	rc = adm_run(&x, &a, &req);
	ipc_wbuf_free(&req);
	free(conf);
	return rc;
}
