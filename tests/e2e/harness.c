/* SPDX-License-Identifier: Apache-2.0 */
/*
 * harness.c — see harness.h.
 */
#include "harness.h"

#include "crypto.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static unsigned req_counter;

void
h_msleep(int ms)
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

uint16_t
h_pick_ports(void)
{
	for (int i = 0; i < 200; i++) {
		uint32_t r;
		uint16_t p;

		kdc_random((uint8_t *)&r, sizeof(r));
		p = (uint16_t)(20000 + (r % 20000) * 2);
		if (udp_free(p) && udp_free((uint16_t)(p + 1)))
			return p;
	}
	return 0;
}

int
h_run(char *const argv[], char *out, size_t outlen, int timeout_ms)
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
	fcntl(pipefd[0], F_SETFL, O_NONBLOCK);
	for (;;) {
		struct pollfd p = {pipefd[0], POLLIN, 0};
		char buf[4096];
		ssize_t n;

		if (poll(&p, 1, 50) > 0) {
			n = read(pipefd[0], buf, sizeof(buf));
			if (n > 0) {
				if (out != NULL && outlen > sizeof(buf) * 2) {
					/* Keep the tail: the final response
					 * comes last. */
					if (used + (size_t)n + 1 > outlen) {
						size_t drop = used / 2;

						memmove(out, out + drop,
						        used - drop);
						used -= drop;
					}
					memcpy(out + used, buf, (size_t)n);
					used += (size_t)n;
					out[used] = '\0';
				} else if (out != NULL && used + 1 < outlen) {
					size_t take = (size_t)n;

					if (take > outlen - used - 1)
						take = outlen - used - 1;
					memcpy(out + used, buf, take);
					used += take;
					out[used] = '\0';
				}
				continue;
			}
			if (n == 0) {
				break; /* EOF: the child closed its output */
			}
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
	char cmd[1200];

	snprintf(cmd, sizeof(cmd), "echo '--- %s'; tail -n 40 '%s' 1>&2", path,
	         path);
	if (system(cmd) != 0)
		fprintf(stderr, "(no log %s)\n", path);
}

int
h_keystore_start(struct h_env *e)
{
	char bin[1200], log[1200];
	char *argv[] = {bin, "-c", e->conf, NULL};
	char out[4096];

	snprintf(bin, sizeof(bin), "%s/keystore/kdc-keystore", e->bin);
	snprintf(log, sizeof(log), "%s/keystore.log", e->dir);
	e->ks_pid = spawn_daemon(argv, log);
	if (e->ks_pid < 0)
		return -1;
	for (int i = 0; i < 200; i++) {
		h_msleep(50);
		if (h_admin(e, out, sizeof(out), "status") == 0)
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
h_keystore_stop(struct h_env *e, int sig)
{
	if (e->ks_pid <= 0)
		return;
	kill(e->ks_pid, sig);
	waitpid(e->ks_pid, NULL, 0);
	e->ks_pid = 0;
}

int
h_frontend_start(struct h_env *e, int idx, const char *name)
{
	char bin[1200], log[1200], nm[32];
	char *argv[] = {bin, "-c", e->conf, "-n", nm, NULL};

	snprintf(nm, sizeof(nm), "%s", name != NULL ? name : "fe");
	snprintf(bin, sizeof(bin), "%s/frontend/kdc-frontend", e->bin);
	snprintf(log, sizeof(log), "%s/frontend-%d.log", e->dir, idx);
	/* A fresh log so that readiness is read from this run. */
	unlink(log);
	e->fe_pid[idx] = spawn_daemon(argv, log);
	if (e->fe_pid[idx] < 0)
		return -1;
	for (int i = 0; i < 200; i++) {
		h_msleep(50);
		if (file_contains(log, "connected to the keystore"))
			return 0;
		if (waitpid(e->fe_pid[idx], NULL, WNOHANG) == e->fe_pid[idx]) {
			e->fe_pid[idx] = 0;
			break;
		}
	}
	dump_log(log);
	return -1;
}

void
h_frontend_stop(struct h_env *e, int idx, int sig)
{
	if (e->fe_pid[idx] <= 0)
		return;
	kill(e->fe_pid[idx], sig);
	waitpid(e->fe_pid[idx], NULL, 0);
	e->fe_pid[idx] = 0;
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

static int env_start(struct h_env *e, const struct h_opts *o);

int
h_env_start(struct h_env *e, const struct h_opts *o)
{
	/* cmocka runs no teardown after a failed setup: clean up here. */
	if (env_start(e, o) != 0) {
		h_env_stop(e);
		return -1;
	}
	return 0;
}

static int
env_start(struct h_env *e, const struct h_opts *o)
{
	static const struct h_opts dflt = {.frontends = 1, .reuse_port = true};
	const char *bin = getenv("KDC_BUILD_DIR");
	const char *fe_user = "nobody", *fe_group = "nogroup";
	struct passwd *pw = getpwuid(getuid());
	char tmpl[600], conf[8192], keyfile[800], out[8192];
	struct kdc_cw w;
	int nfe;

	if (o == NULL)
		o = &dflt;
	memset(e, 0, sizeof(*e));
	kdc_crypto_init();
	snprintf(e->bin, sizeof(e->bin), "%s", bin != NULL ? bin : ".");
	snprintf(tmpl, sizeof(tmpl), "%.500s/e2e-XXXXXX", e->bin);
	if (mkdtemp(tmpl) == NULL)
		return -1;
	snprintf(e->dir, sizeof(e->dir), "%.590s", tmpl);
	/* The frontend runs as nobody when tests run as root: it must reach
	 * the runtime folder. */
	chmod(e->dir, 0755);
	snprintf(e->state, sizeof(e->state), "%s/state", e->dir);
	snprintf(e->run, sizeof(e->run), "%s/run", e->dir);
	mkdir(e->run, 0755);
	snprintf(e->conf, sizeof(e->conf), "%s/kdc.conf", e->dir);
	snprintf(e->audience, sizeof(e->audience), "kdc-test");
	e->port = h_pick_ports();
	e->dtls_port = (uint16_t)(e->port + 1);
	if (getuid() != 0 && pw != NULL) {
		struct group *gr = getgrgid(pw->pw_gid);

		fe_user = pw->pw_name;
		fe_group = gr != NULL ? gr->gr_name : pw->pw_name;
	}
	snprintf(conf, sizeof(conf),
	         "[kdc]\nstate_dir = %s\nruntime_dir = %s\nlog_level = debug\n"
	         "[keystore]\nfrontend_user = %s\nfrontend_group = %s\n"
	         "admin_group = %s\nclock_skew = 2\n"
	         "default_audience = %s\n%s\n"
	         "[frontend]\nlisten = 127.0.0.1:%u\nlisten_dtls = "
	         "127.0.0.1:%u\nreuse_port = %s\nuser = %s\ngroup = %s\n%s\n",
	         e->state, e->run, fe_user, fe_group, fe_group, e->audience,
	         o->extra_keystore != NULL ? o->extra_keystore : "",
	         (unsigned)e->port, (unsigned)e->dtls_port,
	         o->reuse_port ? "yes" : "no", fe_user, fe_group,
	         o->extra_frontend != NULL ? o->extra_frontend : "");
	if (o->rpk) {
		/* The frontend's raw public key for RFC 9202 §3.2. */
		char pem[1200], cose[1200], cmd[4000];

		snprintf(pem, sizeof(pem), "%s/frontend-rpk.pem", e->dir);
		snprintf(cose, sizeof(cose), "%s/frontend-rpk.cose", e->dir);
		int n = snprintf(
		        cmd, sizeof(cmd),
		        "%s/tools/kdc-token keygen --type p256 --out %s "
		        "--pem-out %s 2>/dev/null && chmod 644 %s",
		        e->bin, cose, pem, pem);

		if (n < 0 || (size_t)n >= sizeof(cmd) || system(cmd) != 0)
			return -1;
		snprintf(conf + strlen(conf), sizeof(conf) - strlen(conf),
		         "rpk_key = %s\n", pem);
	}
	if (write_file(e->conf, conf, strlen(conf), 0644) != 0)
		return -1;
	if (h_keystore_start(e) != 0)
		return -1;
	if (!o->no_as) {
		/* The development AS: AES-CCM-16-64-128 Encrypt0 tokens. */
		e->as_key.kty = KDC_KTY_SYMMETRIC;
		e->as_key.k_len = 16;
		kdc_random(e->as_key.k, 16);
		e->as_key.alg = KDC_ALG_AES_CCM_16_64_128;
		e->as_key.has_alg = true;
		kdc_cw_init(&w);
		kdc_cose_key_encode(&w, &e->as_key, true);
		snprintf(keyfile, sizeof(keyfile), "%s/as.cose", e->dir);
		if (!kdc_cw_ok(&w) ||
		    write_file(keyfile, w.buf, w.len, 0600) != 0) {
			kdc_cw_free(&w);
			return -1;
		}
		kdc_cw_free(&w);
		if (h_admin(e, out, sizeof(out),
		            "as add dev-as --kind encrypt --alg 10 "
		            "--key-file %s --audience %s",
		            keyfile, e->audience) != 0) {
			fprintf(stderr, "as add failed: %s\n", out);
			return -1;
		}
	}
	nfe = o->frontends > 0 ? o->frontends : 1;
	for (int i = 0; i < nfe && i < H_MAX_FE; i++) {
		char name[16];

		snprintf(name, sizeof(name), "fe%d", i + 1);
		if (h_frontend_start(e, i, name) != 0)
			return -1;
		e->nfe = i + 1;
	}
	return 0;
}

void
h_env_stop(struct h_env *e)
{
	char cmd[1200];

	for (int i = 0; i < H_MAX_FE; i++)
		h_frontend_stop(e, i, SIGTERM);
	h_keystore_stop(e, SIGTERM);
	if (e->dir[0] == '\0')
		return; /* never started */
	if (getenv("KDC_E2E_KEEP") != NULL) {
		fprintf(stderr, "e2e: kept %s\n", e->dir);
		return;
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", e->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", e->dir);
	e->dir[0] = '\0';
}

int
h_admin_argv(struct h_env *e, char *out, size_t outlen, char *const args[])
{
	char bin[1200];
	char *argv[64];
	int n = 0;

	snprintf(bin, sizeof(bin), "%s/tools/kdc-admin", e->bin);
	argv[n++] = bin;
	argv[n++] = "-c";
	argv[n++] = e->conf;
	for (int i = 0; args[i] != NULL && n < 62; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	return h_run(argv, out, outlen, 30000);
}

int
h_admin(struct h_env *e, char *out, size_t outlen, const char *fmt, ...)
{
	char line[2048], *args[48], *save = NULL, *tok;
	va_list ap;
	int n = 0;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	for (tok = strtok_r(line, " ", &save); tok != NULL && n < 47;
	     tok = strtok_r(NULL, " ", &save))
		args[n++] = tok;
	args[n] = NULL;
	return h_admin_argv(e, out, outlen, args);
}

int
h_group_create(struct h_env *e, const char *name, const char *options)
{
	char out[4096];
	int rc = h_admin(e, out, sizeof(out), "group create %s %s", name,
	                 options != NULL ? options : "");

	if (rc != 0)
		fprintf(stderr, "group create %s failed (%d): %s\n", name, rc,
		        out);
	return rc;
}

/* "g1:6,g2:8" → AIF scope bytes. */
static int
scope_bytes(const char *spec, struct kdc_cw *w)
{
	char buf[512], *save = NULL, *tok;
	struct kdc_scope s;

	memset(&s, 0, sizeof(s));
	snprintf(buf, sizeof(buf), "%s", spec);
	for (tok = strtok_r(buf, ",", &save); tok != NULL;
	     tok = strtok_r(NULL, ",", &save)) {
		char *colon = strchr(tok, ':');

		if (colon == NULL || s.n >= KDC_SCOPE_MAX_ENTRIES)
			return -1;
		*colon = '\0';
		snprintf(s.e[s.n].gname, sizeof(s.e[s.n].gname), "%s", tok);
		s.e[s.n].gname_len = strlen(tok);
		s.e[s.n].perm = strtoull(colon + 1, NULL, 10);
		s.n++;
	}
	kdc_scope_encode(w, &s);
	return kdc_cw_ok(w) ? 0 : -1;
}

int
h_mint(struct h_env *e, const struct h_token *t, uint8_t **tok, size_t *len)
{
	struct kdc_cw claims, scope, out;
	struct kdc_cose_create cc;
	struct kdc_cose_key key = e->as_key;
	uint8_t cti[8];
	const char *aud = t->aud != NULL ? t->aud : e->audience;
	int64_t now = (int64_t)time(NULL);
	size_t n = 4 + (t->no_cnf ? 0 : 1) + (t->no_scope ? 0 : 1);
	int rc = -1;

	kdc_random(cti, sizeof(cti));
	kdc_cw_init(&claims);
	kdc_cw_init(&scope);
	kdc_cw_init(&out);
	if (!t->no_scope && scope_bytes(t->scope, &scope) != 0)
		goto done;
	kdc_cw_map(&claims, n);
	kdc_cw_uint(&claims, 3); /* aud */
	kdc_cw_tstrz(&claims, aud);
	if (t->exi > 0) {
		/* cti = RS identifier || sequence number (RFC 9200
		 * §5.10.3). */
		uint8_t ecti[64];
		size_t al = strlen(aud);

		if (al + 2 > sizeof(ecti))
			goto done;
		memcpy(ecti, aud, al);
		ecti[al] = (uint8_t)(t->exi_seq >> 8);
		ecti[al + 1] = (uint8_t)t->exi_seq;
		kdc_cw_uint(&claims, 40); /* exi */
		kdc_cw_uint(&claims, t->exi);
		kdc_cw_uint(&claims, 6); /* iat */
		kdc_cw_int(&claims, now + t->iat_offset);
		kdc_cw_uint(&claims, 7); /* cti */
		kdc_cw_bstr(&claims, ecti, al + 2);
	} else {
		kdc_cw_uint(&claims, 4); /* exp */
		kdc_cw_int(&claims, now + t->lifetime);
		kdc_cw_uint(&claims, 6); /* iat */
		kdc_cw_int(&claims, now + t->iat_offset);
		kdc_cw_uint(&claims, 7); /* cti */
		kdc_cw_bstr(&claims, cti, sizeof(cti));
	}
	if (!t->no_cnf && t->rpk != NULL) {
		kdc_cw_uint(&claims, 8); /* cnf: the client's raw public key */
		kdc_cw_map(&claims, 1);
		kdc_cw_uint(&claims, 1);
		kdc_cose_key_encode(&claims, t->rpk, false);
	} else if (!t->no_cnf) {
		kdc_cw_uint(&claims, 8); /* cnf: a symmetric COSE_Key */
		kdc_cw_map(&claims, 1);
		kdc_cw_uint(&claims, 1);
		kdc_cw_map(&claims, 3);
		kdc_cw_uint(&claims, 1);
		kdc_cw_uint(&claims, 4);
		kdc_cw_uint(&claims, 2);
		kdc_cw_bstr(&claims, (const uint8_t *)t->kid, strlen(t->kid));
		kdc_cw_int(&claims, -1);
		kdc_cw_bstr(&claims, (const uint8_t *)t->key, strlen(t->key));
	}
	if (!t->no_scope) {
		kdc_cw_uint(&claims, 9);
		if (t->scope_tag)
			kdc_cw_tag(&claims, KDC_SCOPE_TAG_AIF_OSCORE);
		kdc_cw_bstr(&claims, scope.buf, scope.len);
	}
	if (!kdc_cw_ok(&claims))
		goto done;
	if (t->mac0_wrong_key)
		kdc_random(key.k, key.k_len); /* not the registered key */
	memset(&cc, 0, sizeof(cc));
	cc.alg = KDC_ALG_AES_CCM_16_64_128;
	cc.tagged = true;
	if (kdc_cose_encrypt0_create(&out, &cc, &key, claims.buf, claims.len) !=
	            0 ||
	    !kdc_cw_ok(&out))
		goto done;
	*tok = kdc_cw_take(&out, len);
	rc = *tok != NULL ? 0 : -1;
done:
	kdc_cw_free(&claims);
	kdc_cw_free(&scope);
	kdc_cw_free(&out);
	kdc_cose_key_wipe(&key);
	return rc;
}

int
h_ace_cbor(const uint8_t *tok, size_t len, bool sign_info, bool ecdh_info,
           bool dh_creds, uint8_t **out, size_t *olen)
{
	struct kdc_cw w;

	kdc_cw_init(&w);
	kdc_cw_map(&w, 1 + (sign_info ? 1 : 0) + (ecdh_info ? 1 : 0) +
	                       (dh_creds ? 1 : 0));
	kdc_cw_uint(&w, KDC_OAUTH_ACCESS_TOKEN);
	kdc_cw_bstr(&w, tok, len);
	if (sign_info) {
		kdc_cw_uint(&w, KDC_OAUTH_SIGN_INFO);
		kdc_cw_null(&w);
	}
	if (ecdh_info) {
		kdc_cw_uint(&w, KDC_OAUTH_ECDH_INFO);
		kdc_cw_null(&w);
	}
	if (dh_creds) {
		kdc_cw_uint(&w, KDC_OAUTH_KDC_DH_CREDS);
		kdc_cw_null(&w);
	}
	*out = kdc_cw_take(&w, olen);
	return *out != NULL ? 0 : -1;
}

/* Content-Format names libcoap prints → numbers. */
static int
cf_value(const char *s)
{
	static const struct {
		const char *name;
		int cf;
	} names[] = {
	        {"text/plain; charset=utf-8", 0},
	        {"application/link-format", 40},
	        {"application/octet-stream", 42},
	        {"application/cbor", 60},
	        {"application/cwt", 61},
	        {"application/ace+cbor", 19},
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strncmp(s, names[i].name, strlen(names[i].name)) == 0)
			return names[i].cf;
	return atoi(s);
}

/* Parse the last response PDU line ("v:1 t:ACK c:2.05 ... [ opts ]"). */
static void
parse_output(struct h_coap *c)
{
	char *line = c->raw, *next;

	c->code = 0;
	for (; line != NULL && *line != '\0'; line = next) {
		char *cp, *opts, *end;
		int cls, det;

		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		if (strncmp(line, "v:1 t:", 6) != 0)
			goto restore;
		cp = strstr(line, " c:");
		if (cp == NULL || sscanf(cp + 3, "%d.%d", &cls, &det) != 2 ||
		    cls < 2)
			goto restore;
		c->code = cls * 100 + det;
		c->cf = -1;
		c->max_age = -1;
		c->observe = false;
		c->location[0] = '\0';
		opts = strchr(cp, '[');
		end = opts != NULL ? strstr(opts, " ]") : NULL;
		if (opts != NULL && end != NULL) {
			char tmp[2048];
			char *save = NULL, *o;
			size_t olen = (size_t)(end - opts - 1);

			if (olen >= sizeof(tmp))
				olen = sizeof(tmp) - 1;
			memcpy(tmp, opts + 1, olen);
			tmp[olen] = '\0';
			for (o = strtok_r(tmp, ",", &save); o != NULL;
			     o = strtok_r(NULL, ",", &save)) {
				while (*o == ' ')
					o++;
				if (strncmp(o, "Content-Format:", 15) == 0)
					c->cf = cf_value(o + 15);
				else if (strncmp(o, "Max-Age:", 8) == 0)
					c->max_age = atoll(o + 8);
				else if (strncmp(o, "Observe:", 8) == 0)
					c->observe = true;
				else if (strncmp(o, "Location-Path:", 14) ==
				         0) {
					size_t u = strlen(c->location);

					snprintf(c->location + u,
					         sizeof(c->location) - u,
					         "%s%s", u ? "/" : "", o + 14);
				}
			}
		}
	restore:
		if (next != NULL)
			next[-1] = '\n';
	}
}

static int hexval(int c);

/* coap-client writes only successful payloads to -o; error payloads are
 * taken from the hex dump line that follows the last response PDU. */
static void
payload_from_dump(struct h_coap *c)
{
	const char *last = NULL, *p = c->raw;

	while ((p = strstr(p, "v:1 t:")) != NULL) {
		const char *cp = strstr(p, " c:");
		const char *eol = strchr(p, '\n');

		if (cp != NULL && (eol == NULL || cp < eol) && cp[3] >= '2' &&
		    cp[3] <= '5' && cp[4] == '.')
			last = p;
		p += 6;
	}
	if (last == NULL || (p = strchr(last, '\n')) == NULL ||
	    strncmp(p + 1, "<<", 2) != 0)
		return;
	p += 3;
	c->payload = malloc(strlen(p) / 2 + 1);
	if (c->payload == NULL)
		return;
	c->len = 0;
	while (hexval(p[0]) >= 0 && hexval(p[1]) >= 0) {
		c->payload[c->len++] =
		        (uint8_t)(hexval(p[0]) * 16 + hexval(p[1]));
		p += 2;
	}
}

/* The last lines of one of the environment's logs, to stderr. */
static void
log_tail(const struct h_env *e, const char *name)
{
	char path[800], buf[4096];
	FILE *f;
	long size;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", e->dir, name);
	f = fopen(path, "r");
	if (f == NULL)
		return;
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	fseek(f,
	      size > (long)sizeof(buf) - 1 ? size - (long)sizeof(buf) + 1 : 0,
	      SEEK_SET);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	fprintf(stderr, "--- %s (end)\n%s\n", name, buf);
}

int
h_coap(struct h_env *e, const struct h_req *r, struct h_coap *c)
{
	char uri[512], cfs[16], acc[16], blk[16], reqf[1200], outf[1200];
	char *argv[40];
	int n = 0;
	FILE *f;

	memset(c, 0, sizeof(*c));
	c->cf = -1;
	c->max_age = -1;
	snprintf(uri, sizeof(uri), "%s://127.0.0.1:%u/%s",
	         r->dtls ? "coaps" : "coap",
	         (unsigned)(r->dtls ? e->dtls_port : e->port), r->path);
	snprintf(outf, sizeof(outf), "%s/resp-%d-%u.bin", e->dir, (int)getpid(),
	         ++req_counter);
	argv[n++] = "/usr/bin/coap-client-gnutls";
	argv[n++] = "-B";
	argv[n++] = "15";
	argv[n++] = "-v";
	argv[n++] = "7";
	argv[n++] = "-m";
	argv[n++] = (char *)(r->method != NULL ? r->method : "get");
	argv[n++] = "-o";
	argv[n++] = outf;
	if (r->cf >= 0 && r->payload != NULL) {
		snprintf(cfs, sizeof(cfs), "%d", r->cf);
		argv[n++] = "-t";
		argv[n++] = cfs;
	}
	if (r->accept > 0) {
		snprintf(acc, sizeof(acc), "%d", r->accept);
		argv[n++] = "-A";
		argv[n++] = acc;
	}
	if (r->non)
		argv[n++] = "-N";
	if (r->block > 0) {
		snprintf(blk, sizeof(blk), "%d", r->block);
		argv[n++] = "-b";
		argv[n++] = blk;
	}
	if (r->payload != NULL) {
		snprintf(reqf, sizeof(reqf), "%s/req-%d-%u.bin", e->dir,
		         (int)getpid(), req_counter);
		if (write_file(reqf, r->payload, r->len, 0600) != 0)
			return -1;
		argv[n++] = "-f";
		argv[n++] = reqf;
	}
	if (r->dtls && r->rpk_pem != NULL) {
		argv[n++] = "-M";
		argv[n++] = (char *)r->rpk_pem;
	} else if (r->dtls && r->kid != NULL) {
		argv[n++] = "-u";
		argv[n++] = (char *)r->kid;
		argv[n++] = "-k";
		argv[n++] = (char *)r->key;
	}
	argv[n++] = uri;
	argv[n] = NULL;
	h_run(argv, c->raw, sizeof(c->raw), 20000);
	{
		/* parse_output edits the text in place; keep a copy of the
		 * raw output for messages. */
		parse_output(c);
	}
	f = fopen(outf, "rb");
	if (f != NULL) {
		uint8_t buf[65536];
		size_t got = fread(buf, 1, sizeof(buf), f);

		fclose(f);
		if (got > 0) {
			c->payload = malloc(got);
			if (c->payload != NULL) {
				memcpy(c->payload, buf, got);
				c->len = got;
			}
		}
		unlink(outf);
	}
	if (c->len == 0)
		payload_from_dump(c);
	if (c->code == 0) {
		/* No answer at all: what the client, the frontend and the
		 * keystore said, for the test's failure message. */
		size_t rl = strlen(c->raw);

		fprintf(stderr, "e2e: no answer to %s %s; coap-client:\n%s\n",
		        r->method != NULL ? r->method : "get", uri,
		        c->raw + (rl > 3000 ? rl - 3000 : 0));
		log_tail(e, "keystore.log");
		log_tail(e, "frontend-0.log");
		log_tail(e, "frontend-1.log");
	}
	return c->code != 0 ? 0 : -1;
}

void
h_coap_free(struct h_coap *c)
{
	free(c->payload);
	c->payload = NULL;
	c->len = 0;
}

cbor_item_t *
h_cbor(const struct h_coap *c)
{
	cbor_item_t *it = NULL;

	if (c->len == 0 ||
	    kdc_cbor_decode(c->payload, c->len, NULL, &it) != KDC_CBOR_OK)
		return NULL;
	return it;
}

int64_t
h_map_int(const cbor_item_t *m, int64_t label, int64_t dflt)
{
	int64_t v;

	return kdc_cbor_get_int(kdc_cbor_map_get(m, label), &v) ? v : dflt;
}

bool
h_map_bstr(const cbor_item_t *m, int64_t label, const uint8_t **p, size_t *n)
{
	return kdc_cbor_get_bstr(kdc_cbor_map_get(m, label), p, n);
}

int
h_error_id(const struct h_coap *c)
{
	cbor_item_t *m, *e;
	int64_t id = -1;

	if (c->cf != KDC_CF_PROBLEM || (m = h_cbor(c)) == NULL)
		return -1;
	e = kdc_cbor_map_get(m, 0);
	if (e != NULL)
		kdc_cbor_get_int(kdc_cbor_map_get(e, 0), &id);
	cbor_decref(&m);
	return (int)id;
}

int
h_dev_token(struct h_env *e, struct h_dev *d, const char *kid,
            const char *scope, int64_t lifetime)
{
	struct h_token t = {0};
	struct h_coap c;
	struct h_req r = {0};
	uint8_t *tok = NULL, *body = NULL;
	size_t toklen, blen;
	cbor_item_t *m;
	const uint8_t *p;
	size_t n;
	int rc = -1;

	memset(d, 0, sizeof(*d));
	snprintf(d->kid, sizeof(d->kid), "%s", kid);
	/* An ASCII PoP key (coap-client takes -k as text). */
	for (size_t i = 0; i < 16; i++) {
		uint8_t b;

		kdc_random(&b, 1);
		d->key[i] = "abcdefghijklmnopqrstuvwxyz012345"[b % 32];
	}
	t.kid = d->kid;
	t.key = d->key;
	t.scope = scope;
	t.lifetime = lifetime;
	if (h_mint(e, &t, &tok, &toklen) != 0 ||
	    h_ace_cbor(tok, toklen, true, false, false, &body, &blen) != 0)
		goto out;
	r.method = "post";
	r.path = "authz-info";
	r.cf = KDC_CF_ACE_CBOR;
	r.payload = body;
	r.len = blen;
	if (h_coap(e, &r, &c) != 0 || c.code != 201) {
		fprintf(stderr, "authz-info: %d\n%s\n", c.code, c.raw);
		h_coap_free(&c);
		goto out;
	}
	m = h_cbor(&c);
	if (m != NULL && h_map_bstr(m, KDC_OAUTH_KDCCHALLENGE, &p, &n) &&
	    n <= sizeof(d->ns)) {
		memcpy(d->ns, p, n);
		d->ns_len = n;
	}
	if (m != NULL)
		cbor_decref(&m);
	h_coap_free(&c);
	/* The device's credential: Ed25519 in a CCS. */
	d->cred_key.kty = KDC_KTY_OKP;
	d->cred_key.crv = KDC_CRV_ED25519;
	kdc_ed25519_keypair(d->cred_key.x, d->cred_key.d);
	d->cred_key.has_pub = d->cred_key.has_priv = true;
	{
		struct kdc_cw w;

		kdc_cw_init(&w);
		kdc_ccs_encode(&w, "device", &d->cred_key);
		if (kdc_cw_ok(&w) && w.len <= sizeof(d->cred)) {
			memcpy(d->cred, w.buf, w.len);
			d->cred_len = w.len;
			rc = 0;
		}
		kdc_cw_free(&w);
	}
out:
	free(tok);
	free(body);
	return rc;
}

int
h_join_payload(struct h_dev *d, const char *group, uint64_t perm,
               bool get_creds, uint8_t **out, size_t *len)
{
	struct kdc_cw scope, in, w;
	uint8_t sig[64];
	size_t sig_len = 0;
	bool monitor = perm == KDC_PERM_MON;

	kdc_cw_init(&scope);
	kdc_cw_init(&in);
	kdc_cw_init(&w);
	kdc_scope_encode_entry(&scope, group, perm);
	kdc_random(d->nc, sizeof(d->nc));
	kdc_pop_input_client(&in, scope.buf, scope.len, d->ns, d->ns_len, d->nc,
	                     sizeof(d->nc));
	if (!monitor)
		kdc_sig_sign(KDC_ALG_EDDSA, &d->cred_key, in.buf, in.len, sig,
		             &sig_len);
	kdc_cw_map(&w, (monitor ? 2 : 4) + (get_creds ? 1 : 0));
	kdc_cw_uint(&w, KDC_GC_SCOPE);
	kdc_cw_bstr(&w, scope.buf, scope.len);
	if (get_creds) {
		kdc_cw_uint(&w, KDC_GC_GET_CREDS);
		kdc_cw_null(&w);
	}
	if (!monitor) {
		kdc_cw_uint(&w, KDC_GC_CLIENT_CRED);
		kdc_cw_bstr(&w, d->cred, d->cred_len);
	}
	kdc_cw_uint(&w, KDC_GC_CNONCE);
	kdc_cw_bstr(&w, d->nc, sizeof(d->nc));
	if (!monitor) {
		kdc_cw_uint(&w, KDC_GC_CLIENT_CRED_VERIFY);
		kdc_cw_bstr(&w, sig, sig_len);
	}
	*out = kdc_cw_take(&w, len);
	kdc_cw_free(&scope);
	kdc_cw_free(&in);
	return *out != NULL ? 0 : -1;
}

int
h_dev_join(struct h_env *e, struct h_dev *d, const char *group, uint64_t perm,
           struct h_coap *out)
{
	struct h_req r = {0};
	char path[200];
	uint8_t *body = NULL;
	size_t len;
	int rc;

	if (h_join_payload(d, group, perm, false, &body, &len) != 0)
		return -1;
	snprintf(path, sizeof(path), "ace-group/%s", group);
	r.method = "post";
	r.path = path;
	r.dtls = true;
	r.kid = d->kid;
	r.key = d->key;
	r.cf = KDC_CF_ACE_GROUPCOMM;
	r.accept = -1;
	r.payload = body;
	r.len = len;
	rc = h_coap(e, &r, out);
	free(body);
	if (rc == 0 && (out->code == 201 || out->code == 204)) {
		cbor_item_t *m = h_cbor(out), *key;
		const char *node = strrchr(out->location, '/');
		const uint8_t *p;
		size_t n;

		snprintf(d->node, sizeof(d->node), "%s",
		         node != NULL ? node + 1 : "");
		if (m != NULL) {
			d->num = (uint64_t)h_map_int(m, KDC_GC_NUM, 0);
			key = kdc_cbor_map_get(m, KDC_GC_KEY);
			if (key != NULL &&
			    h_map_bstr(key, KDC_OSC_GROUP_SENDERID, &p, &n) &&
			    n <= sizeof(d->sid)) {
				memcpy(d->sid, p, n);
				d->sid_len = n;
			}
			cbor_decref(&m);
		}
	}
	return rc;
}

/* ---- background observers ---- */

int
h_observe_start(struct h_env *e, struct h_dev *d, const char *path, int secs,
                struct h_obs *o)
{
	char uri[512], s[16];
	char *argv[] = {"/usr/bin/coap-client-gnutls",
	                "-v",
	                "7",
	                "-s",
	                s,
	                "-B",
	                s,
	                "-u",
	                d->kid,
	                "-k",
	                d->key,
	                uri,
	                NULL};

	snprintf(s, sizeof(s), "%d", secs);
	snprintf(uri, sizeof(uri), "coaps://127.0.0.1:%u/%s",
	         (unsigned)e->dtls_port, path);
	snprintf(o->log, sizeof(o->log), "%s/obs-%d-%u.log", e->dir,
	         (int)getpid(), ++req_counter);
	o->pid = spawn_daemon(argv, o->log);
	return o->pid > 0 ? 0 : -1;
}

static int
hexval(int c)
{
	return c >= '0' && c <= '9'   ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10
	                              : -1;
}

/* Every response PDU of the log with its hex payload line. */
static int
parse_all(const char *path, struct h_coap *out, int max)
{
	FILE *f = fopen(path, "r");
	char line[70000];
	int n = 0;

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		struct h_coap *c;
		char *cp;
		int cls, det;

		if (strncmp(line, "v:1 t:", 6) != 0)
			continue;
		cp = strstr(line, " c:");
		if (cp == NULL || sscanf(cp + 3, "%d.%d", &cls, &det) != 2 ||
		    cls < 2)
			continue;
		if (out == NULL) {
			n++;
			continue;
		}
		if (n >= max)
			break;
		c = &out[n++];
		memset(c, 0, sizeof(*c));
		snprintf(c->raw, sizeof(c->raw), "%.60000s", line);
		parse_output(c);
		if (strstr(line, ":: binary data length") != NULL &&
		    fgets(line, sizeof(line), f) != NULL &&
		    strncmp(line, "<<", 2) == 0) {
			size_t len = 0;
			char *h = line + 2;

			c->payload = malloc(strlen(h) / 2 + 1);
			while (c->payload != NULL && hexval(h[0]) >= 0 &&
			       hexval(h[1]) >= 0) {
				c->payload[len++] =
				        (uint8_t)(hexval(h[0]) * 16 +
				                  hexval(h[1]));
				h += 2;
			}
			c->len = len;
		}
	}
	fclose(f);
	return n;
}

int
h_observe_wait(struct h_obs *o, int n, int ms)
{
	int have = 0;

	for (int waited = 0; waited <= ms; waited += 50) {
		have = parse_all(o->log, NULL, 0);
		if (have >= n)
			break;
		h_msleep(50);
	}
	return have;
}

int
h_observe_stop(struct h_obs *o, struct h_coap *out, int max)
{
	if (o->pid > 0) {
		kill(o->pid, SIGTERM);
		waitpid(o->pid, NULL, 0);
		o->pid = 0;
	}
	return parse_all(o->log, out, max);
}

struct h_req
h_dreq(const struct h_dev *d, const char *method, const char *path, int cf,
       const uint8_t *p, size_t n)
{
	struct h_req r = {0};

	r.method = method;
	r.path = path;
	r.dtls = true;
	r.kid = d->kid;
	r.key = d->key;
	r.cf = cf;
	r.payload = p;
	r.len = n;
	return r;
}
