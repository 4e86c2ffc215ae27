/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kdc-keystore — the privileged half of the KDC: owns the database and the
 * key-encryption key, runs the Group Manager and all timers, and serves the
 * frontends and kdc-admin over Unix sockets (docs/DESIGN.md §1, §5).
 *
 *   kdc-keystore [-c CONFIG] [--check] [-f] [-d] [--version] [--help]
 *   kdc-keystore [-c CONFIG] --rekey-kek NEWFILE
 *
 * It never forks: under systemd (Type=notify) the service manager is the
 * privsep parent, so it always runs in the foreground.
 */
#include "ks.h"

#include "crypto.h"
#include "kek.h"
#include "log.h"
#include "sdnotify.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef KDC_CONF_DEFAULT
#define KDC_CONF_DEFAULT "/etc/kdc/kdc.conf"
#endif

static void
usage(FILE *f)
{
	fprintf(f,
	        "usage: kdc-keystore [-c CONFIG] [--check] [-f] [-d] "
	        "[--version] [--help]\n"
	        "       kdc-keystore [-c CONFIG] --rekey-kek NEWFILE\n"
	        "  -c, --config FILE  configuration (default %s)\n"
	        "      --check        check the configuration and exit\n"
	        "      --rekey-kek NEWFILE\n"
	        "                     re-seal the database under the key in "
	        "NEWFILE\n"
	        "                     (created if absent), with the keystore "
	        "stopped\n"
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

/*
 * --rekey-kek: every sealed value of the database moves from the current
 * key-encryption key to the one in newfile, in one transaction.  The
 * keystore must be stopped (the state folder lock says so); afterwards the
 * operator installs newfile as the key (docs/OPERATIONS.md).
 */
static int
rekey_kek(struct ks *ks, const char *newfile)
{
	uint8_t *old = NULL, *fresh = NULL;
	struct ks_store *store = NULL;
	char err[512];
	struct stat st;
	size_t n = 0;
	int rc = 1;

	kdc_log_init("kdc-keystore", ks->conf.log_level);
	if (kdc_crypto_init() != 0) {
		log_err("cannot initialise the crypto libraries");
		return 1;
	}
	umask(077);
	if (stat(ks->conf.state_dir, &st) != 0) {
		log_err("cannot stat %s: %s", ks->conf.state_dir,
		        strerror(errno));
		return 1;
	}
	/* Run as root, SQLite's -wal/-shm files and the new key would
	 * belong to root, and the keystore's user could not open them. */
	if (geteuid() != st.st_uid) {
		log_err("run --rekey-kek as the owner of %s (uid %lu), e.g. "
		        "runuser -u kdc-keystore -- kdc-keystore ...",
		        ks->conf.state_dir, (unsigned long)st.st_uid);
		return 1;
	}
	if (stat(ks->conf.database, &st) != 0) {
		log_err("no database at %s: nothing to re-seal",
		        ks->conf.database);
		return 1;
	}
	if (ks_state_lock(ks->conf.state_dir) != 0)
		return 1;
	old = kdc_secure_alloc(32);
	fresh = kdc_secure_alloc(32);
	if (old == NULL || fresh == NULL) {
		log_err("out of secure memory");
		goto out;
	}
	if (ks_kek_load(ks->conf.kek_file, false, old, err, sizeof(err)) != 0) {
		log_err("current key-encryption key: %s", err);
		goto out;
	}
	if (ks_kek_load_file(newfile, true, fresh, err, sizeof(err)) != 0) {
		log_err("new key-encryption key: %s", err);
		goto out;
	}
	if (kdc_ct_equal(old, fresh, 32)) {
		log_err("%s holds the current key-encryption key", newfile);
		goto out;
	}
	if (ks_store_open(ks->conf.database, old, &store) != KS_OK)
		goto out;
	if (ks_store_rekek(store, fresh, &n) != KS_OK)
		goto out;
	printf("%s: %zu sealed values now under the key in %s.\n"
	       "Install it as the key-encryption key before the keystore "
	       "starts again\n(mv %s %s, or the kdc-kek credential); the old "
	       "key no longer opens them.\n",
	       ks->conf.database, n, newfile, newfile, ks->conf.kek_file);
	rc = 0;
out:
	ks_store_close(store);
	kdc_secure_free(old);
	kdc_secure_free(fresh);
	return rc;
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
	        {"rekey-kek", required_argument, NULL, 'R'},
	        {"foreground", no_argument, NULL, 'f'},
	        {"debug", no_argument, NULL, 'd'},
	        {"version", no_argument, NULL, 'V'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	static struct ks ks;
	bool check = false, debug = false;
	const char *rekek = NULL;
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
		case 'R':
			rekek = optarg;
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
	if (load_conf(&ks, !check && rekek == NULL) != 0)
		return 1;
	if (check)
		return 0;
	if (rekek != NULL)
		return rekey_kek(&ks, rekek);

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
