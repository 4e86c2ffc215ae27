/* SPDX-License-Identifier: Apache-2.0 */
/*
 * env.c — the processes under test: kdc-keystore and kdc-frontend(s) from
 * the build tree with a private configuration (127.0.0.1, a temporary
 * folder), administered with the real kdc-admin, and libcoap's example
 * server coap-server-gnutls as the ceiling.  Peak RSS comes from
 * /proc/PID/status (VmHWM).
 */
#include "bench.h"

#include "cbor_out.h"
#include "conf.h"
#include "crypto.h"
#include "ipc_conn.h"
#include "ipc_msg.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static void
msleep(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

static bool
udp_free(uint16_t port)
{
	struct sockaddr_in a;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	bool ok;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons(port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ok = fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	if (fd >= 0)
		close(fd);
	return ok;
}

/* Two consecutive free UDP ports (plain, DTLS), away from the ephemeral
 * range the client sessions use. */
static uint16_t
pick_ports(void)
{
	for (int i = 0; i < 200; i++) {
		uint32_t r;
		uint16_t p;

		kdc_random((uint8_t *)&r, sizeof(r));
		p = (uint16_t)(20000 + (r % 6000) * 2);
		if (udp_free(p) && udp_free((uint16_t)(p + 1)))
			return p;
	}
	return 0;
}

static int
write_file(const char *path, const void *p, size_t n, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	ssize_t w;

	if (fd < 0)
		return -1;
	w = write(fd, p, n);
	close(fd);
	return w == (ssize_t)n ? 0 : -1;
}

/* Run argv with output to a capture buffer; exit status or -1. */
static int
run(char *const argv[], char *out, size_t outlen, int timeout_ms)
{
	int pipefd[2];
	posix_spawn_file_actions_t fa;
	pid_t pid;
	size_t used = 0;
	int status = -1, waited = 0;

	if (out != NULL && outlen > 0)
		out[0] = '\0';
	if (pipe(pipefd) != 0)
		return -1;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 2);
	posix_spawn_file_actions_addclose(&fa, pipefd[0]);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if (posix_spawn(&pid, argv[0], &fa, NULL, argv, environ) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		close(pipefd[0]);
		close(pipefd[1]);
		return -1;
	}
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);
	for (;;) {
		struct pollfd p = {pipefd[0], POLLIN, 0};
		char buf[1024];
		ssize_t n;

		if (poll(&p, 1, 50) > 0) {
			n = read(pipefd[0], buf, sizeof(buf));
			if (n <= 0)
				break;
			if (out != NULL && used + 1 < outlen) {
				size_t take = (size_t)n;

				if (take > outlen - used - 1)
					take = outlen - used - 1;
				memcpy(out + used, buf, take);
				used += take;
				out[used] = '\0';
			}
			continue;
		}
		waited += 50;
		if (waited > timeout_ms) {
			kill(pid, SIGKILL);
			break;
		}
	}
	close(pipefd[0]);
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static pid_t
spawn_daemon(char *const argv[], const char *logpath)
{
	posix_spawn_file_actions_t fa;
	pid_t pid;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, logpath,
	                                 O_WRONLY | O_CREAT | O_APPEND, 0644);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if (posix_spawn(&pid, argv[0], &fa, NULL, argv, environ) != 0)
		pid = -1;
	posix_spawn_file_actions_destroy(&fa);
	return pid;
}

static bool
file_contains(const char *path, const char *needle)
{
	FILE *f = fopen(path, "r");
	char line[2048];
	bool found = false;

	if (f == NULL)
		return false;
	while (!found && fgets(line, sizeof(line), f) != NULL)
		found = strstr(line, needle) != NULL;
	fclose(f);
	return found;
}

static void
dump_log(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[1024];
	int n = 0;

	fprintf(stderr, "--- %s\n", path);
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL && n++ < 60)
		fputs(line, stderr);
	fclose(f);
}

static int admin(struct b_env *e, char *out, size_t outlen, const char *fmt,
                 ...) __attribute__((format(printf, 4, 5)));

static int
admin(struct b_env *e, char *out, size_t outlen, const char *fmt, ...)
{
	char line[2048], bin[1200], *argv[48], *save = NULL, *tok;
	va_list ap;
	int n = 0;

	snprintf(bin, sizeof(bin), "%s/tools/kdc-admin", e->bin);
	argv[n++] = bin;
	argv[n++] = "-c";
	argv[n++] = e->conf;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	for (tok = strtok_r(line, " ", &save); tok != NULL && n < 46;
	     tok = strtok_r(NULL, " ", &save))
		argv[n++] = tok;
	argv[n] = NULL;
	return run(argv, out, outlen, 60000);
}

int
b_env_init(struct b_env *e, const char *bin, const char *log_level)
{
	const char *fe_user = "nobody", *fe_group = "nogroup";
	struct passwd *pw = getpwuid(getuid());
	char tmpl[600], conf[4096];

	memset(e, 0, sizeof(*e));
	snprintf(e->bin, sizeof(e->bin), "%s", bin);
	snprintf(e->log_level, sizeof(e->log_level), "%s", log_level);
	snprintf(tmpl, sizeof(tmpl), "%.500s/bench-XXXXXX", e->bin);
	if (mkdtemp(tmpl) == NULL) {
		perror("mkdtemp");
		return -1;
	}
	snprintf(e->dir, sizeof(e->dir), "%.590s", tmpl);
	/* The frontend runs as nobody when started as root. */
	chmod(e->dir, 0755);
	snprintf(e->state, sizeof(e->state), "%s/state", e->dir);
	snprintf(e->run, sizeof(e->run), "%s/run", e->dir);
	mkdir(e->run, 0755);
	snprintf(e->conf, sizeof(e->conf), "%s/kdc.conf", e->dir);
	snprintf(e->audience, sizeof(e->audience), "kdc-bench");
	e->port = pick_ports();
	e->dtls_port = (uint16_t)(e->port + 1);
	do {
		e->ceil_port = pick_ports();
	} while (e->ceil_port == e->port);
	if (e->port == 0 || e->ceil_port == 0)
		return -1;
	if (getuid() != 0 && pw != NULL) {
		struct group *gr = getgrgid(pw->pw_gid);

		fe_user = pw->pw_name;
		fe_group = gr != NULL ? gr->gr_name : pw->pw_name;
	}
	/* max_tokens above the 10^6 members of scenario 5 plus its joiners;
	 * max_sessions above the 10,000 observers of scenario 4. */
	snprintf(conf, sizeof(conf),
	         "[kdc]\nstate_dir = %s\nruntime_dir = %s\nlog_level = %s\n"
	         "[keystore]\nfrontend_user = %s\nfrontend_group = %s\n"
	         "admin_group = %s\nclock_skew = 2\n"
	         "default_audience = %s\nmax_tokens = 4000000\n"
	         "[frontend]\nlisten = 127.0.0.1:%u\nlisten_dtls = "
	         "127.0.0.1:%u\nreuse_port = yes\nuser = %s\ngroup = %s\n"
	         "max_sessions = 40000\nipc_timeout_ms = 2000\n",
	         e->state, e->run, e->log_level, fe_user, fe_group, fe_group,
	         e->audience, (unsigned)e->port, (unsigned)e->dtls_port,
	         fe_user, fe_group);
	if (write_file(e->conf, conf, strlen(conf), 0644) != 0)
		return -1;
	/* The development AS key: AES-CCM-16-64-128 Encrypt0. */
	e->as_key.kty = KDC_KTY_SYMMETRIC;
	e->as_key.k_len = 16;
	kdc_random(e->as_key.k, 16);
	e->as_key.alg = KDC_ALG_AES_CCM_16_64_128;
	e->as_key.has_alg = true;
	for (size_t i = 0; i < 16; i++) {
		uint8_t b;

		kdc_random(&b, 1);
		e->ceil_key[i] = "abcdefghijklmnopqrstuvwxyz012345"[b % 32];
	}
	return 0;
}

int
b_keystore_start(struct b_env *e)
{
	char bin[1200], log[1200], out[4096];
	char *argv[] = {bin, "-c", e->conf, NULL};

	snprintf(bin, sizeof(bin), "%s/keystore/kdc-keystore", e->bin);
	snprintf(log, sizeof(log), "%s/keystore.log", e->dir);
	e->ks_pid = spawn_daemon(argv, log);
	if (e->ks_pid < 0)
		return -1;
	/* A large database takes a moment to open. */
	for (int i = 0; i < 1200; i++) {
		msleep(50);
		if (admin(e, out, sizeof(out), "status") == 0)
			return 0;
		if (waitpid(e->ks_pid, NULL, WNOHANG) == e->ks_pid) {
			e->ks_pid = 0;
			break;
		}
	}
	dump_log(log);
	return -1;
}

void
b_keystore_stop(struct b_env *e)
{
	if (e->ks_pid <= 0)
		return;
	kill(e->ks_pid, SIGTERM);
	waitpid(e->ks_pid, NULL, 0);
	e->ks_pid = 0;
}

int
b_frontends_start(struct b_env *e, int n)
{
	for (int idx = 0; idx < n && idx < B_MAX_FE; idx++) {
		char bin[1200], log[1200], nm[32];
		char *argv[] = {bin, "-c", e->conf, "-n", nm, NULL};
		bool up = false;

		snprintf(nm, sizeof(nm), "fe%d", idx + 1);
		snprintf(bin, sizeof(bin), "%s/frontend/kdc-frontend", e->bin);
		snprintf(log, sizeof(log), "%s/frontend-%d.log", e->dir, idx);
		unlink(log);
		e->fe_pid[idx] = spawn_daemon(argv, log);
		if (e->fe_pid[idx] < 0)
			return -1;
		for (int i = 0; i < 200 && !up; i++) {
			msleep(25);
			up = file_contains(log, "connected to the keystore");
			if (!up && waitpid(e->fe_pid[idx], NULL, WNOHANG) ==
			                   e->fe_pid[idx]) {
				e->fe_pid[idx] = 0;
				break;
			}
		}
		if (!up) {
			dump_log(log);
			return -1;
		}
		e->nfe = idx + 1;
	}
	/* The group list arrives right after the connection. */
	msleep(100);
	return 0;
}

void
b_frontends_stop(struct b_env *e)
{
	for (int i = 0; i < B_MAX_FE; i++) {
		if (e->fe_pid[i] <= 0)
			continue;
		kill(e->fe_pid[i], SIGTERM);
		waitpid(e->fe_pid[i], NULL, 0);
		e->fe_pid[i] = 0;
	}
	e->nfe = 0;
}

int
b_as_add(struct b_env *e)
{
	char keyfile[800], out[4096];
	struct kdc_cw w;
	int rc;

	kdc_cw_init(&w);
	kdc_cose_key_encode(&w, &e->as_key, true);
	snprintf(keyfile, sizeof(keyfile), "%s/as.cose", e->dir);
	rc = kdc_cw_ok(&w) ? write_file(keyfile, w.buf, w.len, 0600) : -1;
	kdc_cw_free(&w);
	if (rc != 0)
		return -1;
	rc = admin(e, out, sizeof(out),
	           "as add dev-as --kind encrypt --alg 10 --key-file %s "
	           "--audience %s",
	           keyfile, e->audience);
	if (rc != 0)
		fprintf(stderr, "kdc-bench: as add failed: %s\n", out);
	return rc;
}

int
b_group_create(struct b_env *e, const char *name, const char *options)
{
	char out[4096];
	int rc = admin(e, out, sizeof(out), "group create %s %s", name,
	               options != NULL ? options : "");

	if (rc != 0)
		fprintf(stderr, "kdc-bench: group create %s failed (%d): %s\n",
		        name, rc, out);
	return rc;
}

int
b_rekey(struct b_env *e, const char *group)
{
	struct kdc_conf c;
	char err[1024], sock[KDC_CONF_PATH_MAX + 32];
	struct ipc_adm_target t;
	struct ipc_adm_result res;
	struct ipc_sync *s;
	struct ipc_wbuf w;
	struct ipc_hdr h;
	uint8_t *reply = NULL;
	int st, rc = -1;

	kdc_conf_defaults(&c);
	if (kdc_conf_load(e->conf, &c, err, sizeof(err)) != 0)
		return -1;
	kdc_conf_admin_socket(&c, sock, sizeof(sock));
	s = ipc_sync_connect(sock, IPC_PEER_ADMIN, "kdc-bench",
	                     IPC_PROTO_VERSION, 5000, &st);
	if (s == NULL)
		return -1;
	memset(&t, 0, sizeof(t));
	snprintf(t.group, sizeof(t.group), "%s", group);
	ipc_wbuf_init(&w);
	if (ipc_enc_adm_target(&w, &t) == 0 &&
	    ipc_sync_call(s, IPC_MSG_ADM_REKEY, w.p, w.len, 10000, &h, &reply,
	                  NULL, NULL) == IPC_OK) {
		if (h.type == IPC_MSG_ADM_RESULT &&
		    ipc_dec_adm_result(reply, h.len, &res) == 0) {
			rc = res.status == IPC_ADM_OK ? 0 : -1;
			ipc_adm_result_free(&res);
		}
		ipc_sync_free_reply(reply, h.len);
	}
	ipc_wbuf_free(&w);
	ipc_sync_close(s);
	return rc;
}

int
b_ceiling_start(struct b_env *e)
{
	char port[16], log[1200];
	char *argv[] = {"/usr/bin/coap-server-gnutls",
	                "-A",
	                "127.0.0.1",
	                "-p",
	                port,
	                "-k",
	                e->ceil_key,
	                NULL};

	if (e->ceil_pid > 0)
		return 0;
	snprintf(port, sizeof(port), "%u", (unsigned)e->ceil_port);
	snprintf(log, sizeof(log), "%s/coap-server.log", e->dir);
	e->ceil_pid = spawn_daemon(argv, log);
	if (e->ceil_pid <= 0)
		return -1;
	/* Bound when its DTLS port is taken. */
	for (int i = 0; i < 100; i++) {
		msleep(20);
		if (!udp_free((uint16_t)(e->ceil_port + 1)))
			return 0;
	}
	return -1;
}

void
b_ceiling_stop(struct b_env *e)
{
	if (e->ceil_pid <= 0)
		return;
	kill(e->ceil_pid, SIGTERM);
	waitpid(e->ceil_pid, NULL, 0);
	e->ceil_pid = 0;
}

void
b_env_cleanup(struct b_env *e, bool keep)
{
	char cmd[1200];

	b_ceiling_stop(e);
	b_frontends_stop(e);
	b_keystore_stop(e);
	if (keep || e->dir[0] == '\0') {
		if (e->dir[0] != '\0')
			fprintf(stderr, "kdc-bench: kept %s\n", e->dir);
		return;
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", e->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "kdc-bench: could not remove %s\n", e->dir);
}

static long
status_kib(pid_t pid, const char *field)
{
	char path[64], line[256];
	size_t fl = strlen(field);
	long v = -1;
	FILE *f;

	if (pid <= 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, field, fl) == 0 && line[fl] == ':') {
			v = strtol(line + fl + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return v;
}

long
b_rss_peak_kib(pid_t pid)
{
	return status_kib(pid, "VmHWM");
}

long
b_rss_now_kib(pid_t pid)
{
	return status_kib(pid, "VmRSS");
}

long long
b_db_bytes(struct b_env *e)
{
	char p[800];
	struct stat st;
	long long n = 0;

	snprintf(p, sizeof(p), "%s/kdc.sqlite", e->state);
	if (stat(p, &st) == 0)
		n += st.st_size;
	snprintf(p, sizeof(p), "%s/kdc.sqlite-wal", e->state);
	if (stat(p, &st) == 0)
		n += st.st_size;
	return n;
}

/* ---- probes: keystore counters and CPU accounting ---- */

static long long
json_int(const char *s, const char *key)
{
	char k[64];
	const char *p;

	snprintf(k, sizeof(k), "\"%s\":", key);
	p = strstr(s, k);
	return p != NULL ? strtoll(p + strlen(k), NULL, 10) : -1;
}

static void
ks_counters(struct b_env *e, long long *requests, long long *batches)
{
	char out[8192];

	*requests = *batches = -1;
	if (e->ks_pid <= 0 || admin(e, out, sizeof(out), "-j status") != 0)
		return;
	*requests = json_int(out, "keystore_requests");
	*batches = json_int(out, "batches");
}

static unsigned long long
proc_cpu(pid_t pid, bool children)
{
	char path[64], buf[1024], *p;
	unsigned long long v[4] = {0, 0, 0, 0};
	FILE *f;

	if (pid <= 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (f == NULL)
		return 0;
	p = fgets(buf, sizeof(buf), f);
	fclose(f);
	/* Fields after the command name (which may contain spaces). */
	if (p == NULL || (p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 2,
	           "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu "
	           "%llu %llu",
	           &v[0], &v[1], &v[2], &v[3]) != 4)
		return 0;
	return v[0] + v[1] + (children ? v[2] + v[3] : 0);
}

static void
cpu_sample(struct b_env *e, unsigned long long *total, unsigned long long *idle,
           unsigned long long *ours)
{
	char line[512];
	unsigned long long v[10] = {0};
	FILE *f = fopen("/proc/stat", "r");

	*total = *idle = 0;
	if (f != NULL && fgets(line, sizeof(line), f) != NULL &&
	    sscanf(line, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0],
	           &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) == 8) {
		for (int i = 0; i < 8; i++)
			*total += v[i];
		*idle = v[3] + v[4];
	}
	if (f != NULL)
		fclose(f);
	*ours = proc_cpu(getpid(), true) + proc_cpu(e->ks_pid, false) +
	        proc_cpu(e->ceil_pid, false);
	for (int i = 0; i < B_MAX_FE; i++)
		*ours += proc_cpu(e->fe_pid[i], false);
}

void
b_probe_start(struct b_env *e, struct b_probe *p)
{
	memset(p, 0, sizeof(*p));
	ks_counters(e, &p->requests, &p->batches);
	cpu_sample(e, &p->total, &p->idle, &p->ours);
}

void
b_probe_end(struct b_env *e, const struct b_probe *p, char *out, size_t n)
{
	long long req, bat;
	unsigned long long total, idle, ours, dt;
	size_t used;

	cpu_sample(e, &total, &idle, &ours);
	ks_counters(e, &req, &bat);
	dt = total - p->total;
	out[0] = '\0';
	if (dt > 0) {
		double busy =
		        100.0 * (double)(dt - (idle - p->idle)) / (double)dt;
		double mine = 100.0 * (double)(ours - p->ours) / (double)dt;
		double foreign = busy - mine;

		snprintf(out, n, "cpu_busy_pct=%.0f foreign_cpu_pct=%.0f", busy,
		         foreign > 0 ? foreign : 0);
	}
	used = strlen(out);
	if (req >= 0 && p->requests >= 0 && bat > p->batches)
		snprintf(
		        out + used, n - used,
		        "%sks_requests=%lld ks_batches=%lld req_per_batch=%.1f",
		        used ? " " : "", req - p->requests, bat - p->batches,
		        (double)(req - p->requests) /
		                (double)(bat - p->batches));
}
