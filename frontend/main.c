/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kdc-frontend — the unprivileged CoAP/DTLS face of the KDC.
 *
 *   kdc-frontend [-c CONFIG] [-n NAME] [--check] [--version] [--help]
 *
 * Order of start-up (OpenBSD daemons): configuration, port locks, libcoap
 * context and endpoints (binding the ports), privilege drop, then the
 * keystore connection and the loop.  It never opens the database and keeps
 * no secret at rest.
 */
#include "fe.h"
#include "fe_obs.h"

#include "clock.h"
#include "crypto.h"
#include "log.h"
#include "sdnotify.h"

#include <arpa/inet.h>
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

struct fe *fe_g;
static char conf_path[KDC_CONF_PATH_MAX] = KDC_CONF_DEFAULT;

static void
usage(FILE *f)
{
	fprintf(f,
	        "usage: kdc-frontend [-c CONFIG] [-n NAME] [--check] "
	        "[--version] [--help]\n"
	        "  -c, --config FILE  configuration (default %s)\n"
	        "  -n, --name NAME    instance name in logs and to the "
	        "keystore (default frontend)\n"
	        "      --check        check the configuration and exit\n",
	        KDC_CONF_DEFAULT);
}

/* libcoap's log lines go through ours (levels kept). */
static void
coap_log_bridge(coap_log_t level, const char *message)
{
	char line[512];
	size_t n;
	int lvl = level <= LOG_ERR       ? KDC_LOG_ERR
	          : level == LOG_WARNING ? KDC_LOG_WARNING
	          : level == LOG_NOTICE  ? KDC_LOG_NOTICE
	          : level == LOG_INFO    ? KDC_LOG_INFO
	                                 : KDC_LOG_DEBUG;

	snprintf(line, sizeof(line), "%s", message);
	n = strlen(line);
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	kdc_log(lvl, "libcoap: %s", line);
}

static int
event_handler(coap_session_t *session, const coap_event_t ev)
{
	fe_sess_event(session, ev);
	return 0;
}

static coap_response_t
response_handler(coap_session_t *session, const coap_pdu_t *sent,
                 const coap_pdu_t *received, const coap_mid_t mid)
{
	coap_pdu_code_t code = coap_pdu_get_code(received);

	(void)sent;
	(void)mid;
	/* Answers to control-URI requests (fe_control.c). */
	log_info("control_uri answer %d.%02d from %s", code >> 5, code & 0x1f,
	         coap_session_str(session));
	return COAP_RESPONSE_OK;
}

static int
add_endpoint(struct fe *fe, const struct kdc_listen *l, coap_proto_t proto)
{
	coap_address_t addr;

	coap_address_init(&addr);
	if (inet_pton(AF_INET, l->host, &addr.addr.sin.sin_addr) == 1) {
		addr.addr.sin.sin_family = AF_INET;
		addr.addr.sin.sin_port = htons(l->port);
		addr.size = sizeof(addr.addr.sin);
	} else if (inet_pton(AF_INET6, l->host, &addr.addr.sin6.sin6_addr) ==
	           1) {
		addr.addr.sin6.sin6_family = AF_INET6;
		addr.addr.sin6.sin6_port = htons(l->port);
		addr.size = sizeof(addr.addr.sin6);
	} else {
		log_err("bad listen address %s", l->host);
		return -1;
	}
	if (coap_new_endpoint(fe->coap, &addr, proto) == NULL) {
		log_err("cannot listen on %s port %u (%s)", l->host,
		        (unsigned)l->port,
		        proto == COAP_PROTO_DTLS ? "DTLS" : "UDP");
		return -1;
	}
	log_info("listening on %s port %u (%s)", l->host, (unsigned)l->port,
	         proto == COAP_PROTO_DTLS ? "CoAP over DTLS" : "CoAP");
	return 0;
}

static void
on_signal(uv_signal_t *h, int signum)
{
	struct fe *fe = h->data;

	if (signum == SIGHUP) {
		char err[2048];
		struct kdc_conf c;

		kdc_conf_defaults(&c);
		if (kdc_conf_load(conf_path, &c, err, sizeof(err)) == 0) {
			/* Only what can change without rebinding. */
			kdc_log_set_level(c.log_level);
			fe->conf.unavailable_max_age = c.unavailable_max_age;
			fe->conf.max_request_payload = c.max_request_payload;
			fe->conf.session_idle_timeout = c.session_idle_timeout;
			coap_context_set_session_timeout(
			        fe->coap, c.session_idle_timeout);
			log_notice("configuration reloaded");
		} else {
			log_err("reload failed, keeping the configuration: %s",
			        err);
		}
		return;
	}
	log_notice("stopping");
	kdc_sd_notify("STOPPING=1");
	fe->stopping = true;
	uv_stop(fe->loop);
}

static void
on_sweep(uv_timer_t *t)
{
	struct fe *fe = t->data;

	fe_async_sweep(fe, kdc_mono_ms());
	fe_groups_sweep(fe);
	kdc_sd_watchdog();
}

static void
on_stats(uv_timer_t *t)
{
	struct fe *fe = t->data;
	struct ipc_fe_stats st;
	struct ipc_wbuf w;

	if (!fe->ks_up)
		return;
	st.requests = fe->stats.requests;
	st.errors = fe->stats.errors;
	st.sessions = fe->nsessions;
	st.observers = fe->nobservers;
	ipc_wbuf_init(&w);
	if (ipc_enc_fe_stats(&w, &st) == 0)
		ipc_client_notify(fe->ipc, IPC_MSG_FE_STATS, w.p, w.len);
	ipc_wbuf_free(&w);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
	        {"config", required_argument, NULL, 'c'},
	        {"name", required_argument, NULL, 'n'},
	        {"check", no_argument, NULL, 'k'},
	        {"version", no_argument, NULL, 'V'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	static struct fe fe;
	char err[4096], ident[96];
	struct ipc_client_cfg cc;
	bool check = false;
	int c;

	snprintf(fe.name, sizeof(fe.name), "frontend");
	while ((c = getopt_long(argc, argv, "c:n:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			snprintf(conf_path, sizeof(conf_path), "%s", optarg);
			break;
		case 'n':
			snprintf(fe.name, sizeof(fe.name), "%s", optarg);
			break;
		case 'k':
			check = true;
			break;
		case 'V':
			printf("kdc-frontend %s (libcoap %s)\n", KDC_VERSION,
			       coap_package_version());
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	kdc_conf_defaults(&fe.conf);
	if (kdc_conf_load(conf_path, &fe.conf, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	if (check) {
		printf("%s: configuration OK\n", conf_path);
		return 0;
	}
	snprintf(ident, sizeof(ident), "kdc-frontend[%s]", fe.name);
	kdc_log_init(ident, fe.conf.log_level);
	if (fe.conf.nlisten + fe.conf.nlisten_dtls == 0) {
		log_err("no listen or listen_dtls address configured");
		return 1;
	}
	if (kdc_crypto_init() != 0) {
		log_err("cannot initialise the crypto libraries");
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	fe_g = &fe;
	fe.lock_fd = -1;
	fe.loop = uv_default_loop();
	kdc_conf_frontend_socket(&fe.conf, fe.sock_path, sizeof(fe.sock_path));

	/* One lock per port this frontend serves (fe_bind.c). */
	fe_bind_configure(fe.conf.reuse_port);
	mkdir(fe.conf.lock_dir, 0755);
	for (size_t i = 0; i < fe.conf.nlisten_dtls + fe.conf.nlisten; i++) {
		const struct kdc_listen *l =
		        i < fe.conf.nlisten_dtls
		                ? &fe.conf.listen_dtls[i]
		                : &fe.conf.listen[i - fe.conf.nlisten_dtls];
		int fd;

		if (fe_port_lock(fe.conf.lock_dir, l->port, &fd) != 0)
			return 1;
		/* Kept open (and locked) for the life of the process. */
		(void)fd;
	}

	coap_startup();
	coap_set_log_handler(coap_log_bridge);
	coap_set_log_level(fe.conf.log_level >= KDC_LOG_DEBUG ? LOG_INFO
	                                                      : LOG_WARNING);
	fe.coap = coap_new_context(NULL);
	if (fe.coap == NULL) {
		log_err("cannot create the libcoap context");
		return 1;
	}
	coap_context_set_block_mode(fe.coap, COAP_BLOCK_USE_LIBCOAP |
	                                             COAP_BLOCK_SINGLE_BODY);
	coap_context_set_max_idle_sessions(fe.coap, fe.conf.max_sessions);
	/* libcoap walks every session on each wakeup (fe_loop.c): sessions a
	 * device left without closing cost every other device's requests
	 * until they time out (docs/BENCHMARKS.md, "Idle sessions"). */
	coap_context_set_session_timeout(fe.coap, fe.conf.session_idle_timeout);
	coap_register_event_handler(fe.coap, event_handler);
	coap_register_response_handler(fe.coap, response_handler);
	/* DTLS credentials before the DTLS endpoints (platform Q1). */
	if (fe_dtls_setup(&fe) != 0 || fe_resources_init(&fe) != 0)
		return 1;
	for (size_t i = 0; i < fe.conf.nlisten; i++)
		if (add_endpoint(&fe, &fe.conf.listen[i], COAP_PROTO_UDP) != 0)
			return 1;
	for (size_t i = 0; i < fe.conf.nlisten_dtls; i++)
		if (add_endpoint(&fe, &fe.conf.listen_dtls[i],
		                 COAP_PROTO_DTLS) != 0)
			return 1;
	if (fe_privdrop(fe.conf.user, fe.conf.group) != 0)
		return 1;

	if (fe_loop_attach(&fe) != 0)
		return 1;
	memset(&cc, 0, sizeof(cc));
	cc.path = fe.sock_path;
	cc.peer_kind = IPC_PEER_FRONTEND;
	cc.name = fe.name;
	cc.version = IPC_PROTO_VERSION;
	cc.on_up = fe_on_up;
	cc.on_down = fe_on_down;
	cc.on_push = fe_on_push;
	cc.arg = &fe;
	fe.ipc = ipc_client_start(fe.loop, &cc);
	if (fe.ipc == NULL) {
		log_err("cannot start the keystore connection");
		return 1;
	}
	uv_signal_init(fe.loop, &fe.sig_term);
	uv_signal_init(fe.loop, &fe.sig_int);
	uv_signal_init(fe.loop, &fe.sig_hup);
	fe.sig_term.data = fe.sig_int.data = fe.sig_hup.data = &fe;
	uv_signal_start(&fe.sig_term, on_signal, SIGTERM);
	uv_signal_start(&fe.sig_int, on_signal, SIGINT);
	uv_signal_start(&fe.sig_hup, on_signal, SIGHUP);
	uv_timer_init(fe.loop, &fe.sweep_timer);
	fe.sweep_timer.data = &fe;
	uv_timer_start(&fe.sweep_timer, on_sweep, 1000, 1000);
	uv_timer_init(fe.loop, &fe.stats_timer);
	fe.stats_timer.data = &fe;
	uv_timer_start(&fe.stats_timer, on_stats, 5000, 5000);

	kdc_sd_notify("READY=1\nSTATUS=serving CoAP");
	log_notice("kdc-frontend %s ready", KDC_VERSION);
	uv_run(fe.loop, UV_RUN_DEFAULT);

	ipc_client_stop(fe.ipc);
	if (fe.sync != NULL)
		ipc_sync_close(fe.sync);
	coap_free_context(fe.coap);
	coap_cleanup();
	log_notice("stopped");
	return 0;
}
