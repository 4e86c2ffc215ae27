/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kdc-keystore — the privileged half of the KDC: owns the database and the
 * key-encryption key, runs the Group Manager and all timers, and serves the
 * frontends and kdc-admin over Unix sockets (docs/DESIGN.md §1, §5).
 *
 *   kdc-keystore [-c CONFIG] [--check] [-f] [-d] [--version] [--help]
 *
 * It never forks: under systemd (Type=notify) the service manager is the
 * privsep parent, so it always runs in the foreground.
 */
#include "ks.h"

#include "crypto.h"
#include "log.h"
#include "sdnotify.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifndef KDC_CONF_DEFAULT
#define KDC_CONF_DEFAULT "/etc/kdc/kdc.conf"
#endif

static void
usage(FILE *f)
{
	fprintf(f,
	        "usage: kdc-keystore [-c CONFIG] [--check] [-f] [-d] "
	        "[--version] [--help]\n"
	        "  -c, --config FILE  configuration (default %s)\n"
	        "      --check        check the configuration and exit\n"
	        "  -f, --foreground   stay in the foreground (always the "
	        "case)\n"
	        "  -d, --debug        log at debug level, whatever the "
	        "configuration says\n"
	        "  -V, --version      print the version and exit\n"
	        "  -h, --help         print this help and exit\n",
	        KDC_CONF_DEFAULT);
}

/* 0 if the configuration is usable; errors on stderr. */
static int
load_conf(struct ks *ks, bool quiet_ok)
{
	char err[4096];

	kdc_conf_defaults(&ks->conf);
	if (kdc_conf_load(ks->conf_path, &ks->conf, err, sizeof(err)) != 0 ||
	    ks_conf_check(&ks->conf, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	if (!quiet_ok)
		printf("%s: configuration OK\n", ks->conf_path);
	return 0;
}

static int
count_group(void *arg, const struct ks_group *g)
{
	(void)g;
	(*(size_t *)arg)++;
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
	        {"config", required_argument, NULL, 'c'},
	        {"check", no_argument, NULL, 'k'},
	        {"foreground", no_argument, NULL, 'f'},
	        {"debug", no_argument, NULL, 'd'},
	        {"version", no_argument, NULL, 'V'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	static struct ks ks;
	bool check = false, debug = false;
	size_t ngroups = 0;
	int c, rc = 1;

	snprintf(ks.conf_path, sizeof(ks.conf_path), "%s", KDC_CONF_DEFAULT);
	while ((c = getopt_long(argc, argv, "c:fdVh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			if (strlen(optarg) >= sizeof(ks.conf_path)) {
				fprintf(stderr, "kdc-keystore: configuration "
				                "path too long\n");
				return 2;
			}
			snprintf(ks.conf_path, sizeof(ks.conf_path), "%s",
			         optarg);
			break;
		case 'k':
			check = true;
			break;
		case 'f':
			break;
		case 'd':
			debug = true;
			break;
		case 'V':
			printf("kdc-keystore %s (database schema %d, protocol "
			       "%d)\n",
			       KDC_VERSION, ks_store_schema_version(),
			       IPC_PROTO_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (load_conf(&ks, !check) != 0)
		return 1;
	if (check)
		return 0;

	kdc_log_init("kdc-keystore", debug ? KDC_LOG_DEBUG : ks.conf.log_level);
	if (debug)
		ks.conf.log_level = KDC_LOG_DEBUG;
	if (kdc_crypto_init() != 0) {
		log_err("cannot initialise the crypto libraries");
		return 1;
	}
	/* Everything the keystore creates is its own (state, KEK, database,
	 * backups); the sockets and the runtime folder get explicit modes. */
	umask(077);
	/* libuv writes with write(2) (ipc_conn.h). */
	signal(SIGPIPE, SIG_IGN);
	ks.loop = uv_default_loop();

	if (ks_startup(&ks) != 0)
		goto out;
	if (ks_servers_start(&ks) != 0)
		goto out;
	ks_signals_start(&ks);
	ks_timers_rearm(&ks);
	ks_store_group_list(ks.store, count_group, &ngroups);
	kdc_sd_notifyf("READY=1\nSTATUS=serving %zu group%s", ngroups,
	               ngroups == 1 ? "" : "s");
	log_notice("kdc-keystore %s ready (%zu group%s, instance %016llx)",
	           KDC_VERSION, ngroups, ngroups == 1 ? "" : "s",
	           (unsigned long long)ks.instance);
	uv_run(ks.loop, UV_RUN_DEFAULT);
	rc = 0;
out:
	if (!ks.stopping) {
		/* A start-up failure: release what was opened. */
		ks.stopping = true;
		ks_servers_stop(&ks);
		if (ks.commit_check.loop != NULL)
			uv_close((uv_handle_t *)&ks.commit_check, NULL);
		if (ks.timer.loop != NULL)
			uv_close((uv_handle_t *)&ks.timer, NULL);
		uv_run(ks.loop, UV_RUN_DEFAULT);
	}
	ks_shutdown(&ks);
	if (uv_loop_close(ks.loop) != 0)
		log_debug("the loop still had handles at exit");
	log_notice("%s", rc == 0 ? "stopped" : "start-up failed");
	return rc;
}
