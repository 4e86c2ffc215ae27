/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The operator's tooling through the real processes: the real kdc-admin
 * binary against a keystore and a frontend started by the harness, devices
 * through coap-client-gnutls (harness) and kdc-client (demo), the
 * configuration checks of kdc-keystore and kdc-frontend, and README
 * command 1 (scripts/demo.sh) itself.
 *
 * kdc-admin's JSON is read with a small strict parser (below) and checked
 * field by field; the tables and columns it must carry are read from the
 * OUTPUT section of tools/admin/kdc-admin.8, so that the documentation and
 * the program cannot drift apart unnoticed.
 */
#include "harness.h"

#include "crypto.h"
#include "log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static struct h_env env;
/* Processes a test starts on its own; teardown stops whatever is left
 * when an assertion ended the test early. */
static pid_t load_pid;    /* the write load of the backup test */
static pid_t demo_pgid;   /* scripts/demo.sh and what it started */
static pid_t client_pgid; /* a kdc-client pipeline of the demo test */
static char scratch[700]; /* a test's own folder (no environment) */

/* snprintf()'s result n into a buffer of cap bytes: a truncated string
 * would make the test compare or run the wrong thing. */
#define FITS(n, cap)                                                           \
	do {                                                                   \
		int fits_n_ = (n);                                             \
		if (fits_n_ < 0 || (size_t)fits_n_ >= (cap))                   \
			fail_msg("%s:%d: string truncated", __FILE__,          \
			         __LINE__);                                    \
	} while (0)

/* ------------------------------------------------------------------ */
/* A strict JSON reader for kdc-admin's output: one value, integers only
 * (kdc-admin prints no other numbers), no duplicate keys, no NUL in
 * strings, bounded depth; anything else is a parse error. */

#define J_MAX_DEPTH 8

enum jt { J_NULL, J_BOOL, J_INT, J_STR, J_ARR, J_OBJ };

struct jv {
	enum jt t;
	bool b;
	int64_t i;
	char *s;
	size_t n;     /* members of an array or object */
	char **k;     /* object keys */
	struct jv *v; /* array or object values */
};

struct jp {
	const char *p, *end;
};

static void
jfree_in(struct jv *v)
{
	free(v->s);
	for (size_t i = 0; i < v->n; i++) {
		if (v->k != NULL)
			free(v->k[i]);
		jfree_in(&v->v[i]);
	}
	free(v->k);
	free(v->v);
	memset(v, 0, sizeof(*v));
}

/* Parsed values still alive: a failed assertion leaves the test without
 * freeing them, teardown does (so that LeakSanitizer reports only real
 * leaks). */
static struct jv *live[256];

static void
jtrack(struct jv *v)
{
	for (size_t i = 0; i < sizeof(live) / sizeof(live[0]); i++)
		if (live[i] == NULL) {
			live[i] = v;
			return;
		}
}

static void
jfree(struct jv *v)
{
	if (v == NULL)
		return;
	for (size_t i = 0; i < sizeof(live) / sizeof(live[0]); i++)
		if (live[i] == v)
			live[i] = NULL;
	jfree_in(v);
	free(v);
}

static void
jfree_all(void)
{
	for (size_t i = 0; i < sizeof(live) / sizeof(live[0]); i++)
		if (live[i] != NULL)
			jfree(live[i]);
}

static void
jws(struct jp *p)
{
	while (p->p < p->end && (*p->p == ' ' || *p->p == '\t' ||
	                         *p->p == '\n' || *p->p == '\r'))
		p->p++;
}

static int
jhex4(struct jp *p, unsigned *u)
{
	*u = 0;
	if (p->end - p->p < 4)
		return -1;
	for (int i = 0; i < 4; i++) {
		char c = *p->p++;

		*u <<= 4;
		if (c >= '0' && c <= '9')
			*u |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			*u |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			*u |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	return 0;
}

static void
put_utf8(char *o, size_t *n, unsigned cp)
{
	if (cp < 0x80) {
		o[(*n)++] = (char)cp;
	} else if (cp < 0x800) {
		o[(*n)++] = (char)(0xc0 | (cp >> 6));
		o[(*n)++] = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		o[(*n)++] = (char)(0xe0 | (cp >> 12));
		o[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[(*n)++] = (char)(0x80 | (cp & 0x3f));
	} else {
		o[(*n)++] = (char)(0xf0 | (cp >> 18));
		o[(*n)++] = (char)(0x80 | ((cp >> 12) & 0x3f));
		o[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[(*n)++] = (char)(0x80 | (cp & 0x3f));
	}
}

/* A string at p->p (the opening quote); *out is malloc'd. */
static int
jstring(struct jp *p, char **out)
{
	/* No escape makes the text longer than its source. */
	char *o = malloc((size_t)(p->end - p->p) + 1);
	size_t n = 0;
	unsigned u, lo;

	if (o == NULL)
		return -1;
	p->p++;
	while (p->p < p->end && *p->p != '"') {
		unsigned char c = (unsigned char)*p->p++;

		if (c < 0x20)
			goto bad;
		if (c != '\\') {
			o[n++] = (char)c;
			continue;
		}
		if (p->p >= p->end)
			goto bad;
		switch (*p->p++) {
		case '"':
			o[n++] = '"';
			break;
		case '\\':
			o[n++] = '\\';
			break;
		case '/':
			o[n++] = '/';
			break;
		case 'b':
			o[n++] = '\b';
			break;
		case 'f':
			o[n++] = '\f';
			break;
		case 'n':
			o[n++] = '\n';
			break;
		case 'r':
			o[n++] = '\r';
			break;
		case 't':
			o[n++] = '\t';
			break;
		case 'u':
			if (jhex4(p, &u) != 0 || u == 0)
				goto bad;
			if (u >= 0xd800 && u < 0xdc00) {
				if (p->end - p->p < 6 || p->p[0] != '\\' ||
				    p->p[1] != 'u')
					goto bad;
				p->p += 2;
				if (jhex4(p, &lo) != 0 || lo < 0xdc00 ||
				    lo > 0xdfff)
					goto bad;
				u = 0x10000 + ((u - 0xd800) << 10) +
				    (lo - 0xdc00);
			} else if (u >= 0xdc00 && u < 0xe000) {
				goto bad;
			}
			put_utf8(o, &n, u);
			break;
		default:
			goto bad;
		}
	}
	if (p->p >= p->end)
		goto bad;
	p->p++;
	o[n] = '\0';
	*out = o;
	return 0;
bad:
	free(o);
	return -1;
}

static int jvalue(struct jp *p, struct jv *v, int depth);

static struct jv *
jgrow(struct jv *v)
{
	struct jv *nv = realloc(v->v, (v->n + 1) * sizeof(*nv));

	if (nv == NULL)
		return NULL;
	v->v = nv;
	memset(&nv[v->n], 0, sizeof(*nv));
	return &nv[v->n];
}

static int
jobject(struct jp *p, struct jv *v, int depth)
{
	v->t = J_OBJ;
	p->p++;
	jws(p);
	if (p->p < p->end && *p->p == '}') {
		p->p++;
		return 0;
	}
	for (;;) {
		char *key = NULL, **nk;
		struct jv *slot;

		jws(p);
		if (p->p >= p->end || *p->p != '"' || jstring(p, &key) != 0)
			return -1;
		for (size_t i = 0; i < v->n; i++)
			if (strcmp(v->k[i], key) == 0) {
				free(key); /* keys never repeat (kdc-admin.8) */
				return -1;
			}
		nk = realloc(v->k, (v->n + 1) * sizeof(*nk));
		if (nk == NULL) {
			free(key);
			return -1;
		}
		v->k = nk;
		v->k[v->n] = key;
		slot = jgrow(v);
		if (slot == NULL) {
			free(key);
			return -1;
		}
		v->n++;
		jws(p);
		if (p->p >= p->end || *p->p++ != ':')
			return -1;
		jws(p);
		if (jvalue(p, slot, depth + 1) != 0)
			return -1;
		jws(p);
		if (p->p >= p->end)
			return -1;
		if (*p->p == '}') {
			p->p++;
			return 0;
		}
		if (*p->p++ != ',')
			return -1;
	}
}

static int
jarray(struct jp *p, struct jv *v, int depth)
{
	v->t = J_ARR;
	p->p++;
	jws(p);
	if (p->p < p->end && *p->p == ']') {
		p->p++;
		return 0;
	}
	for (;;) {
		struct jv *slot = jgrow(v);

		if (slot == NULL)
			return -1;
		v->n++;
		jws(p);
		if (jvalue(p, slot, depth + 1) != 0)
			return -1;
		jws(p);
		if (p->p >= p->end)
			return -1;
		if (*p->p == ']') {
			p->p++;
			return 0;
		}
		if (*p->p++ != ',')
			return -1;
	}
}

static int
jnumber(struct jp *p, struct jv *v)
{
	bool neg = false;
	uint64_t x = 0;

	v->t = J_INT;
	if (*p->p == '-') {
		neg = true;
		p->p++;
	}
	if (p->p >= p->end || *p->p < '0' || *p->p > '9')
		return -1;
	if (*p->p == '0' && p->end - p->p > 1 && p->p[1] >= '0' &&
	    p->p[1] <= '9')
		return -1; /* no leading zeros */
	while (p->p < p->end && *p->p >= '0' && *p->p <= '9') {
		uint64_t d = (uint64_t)(*p->p++ - '0');

		if (x > (UINT64_MAX - d) / 10)
			return -1;
		x = x * 10 + d;
	}
	if (p->p < p->end && (*p->p == '.' || *p->p == 'e' || *p->p == 'E'))
		return -1; /* kdc-admin prints integers only */
	if ((!neg && x > (uint64_t)INT64_MAX) ||
	    (neg && x > (uint64_t)INT64_MAX + 1))
		return -1;
	v->i = neg ? (int64_t)(0 - x) : (int64_t)x;
	return 0;
}

static int
jliteral(struct jp *p, const char *lit)
{
	size_t n = strlen(lit);

	if ((size_t)(p->end - p->p) < n || memcmp(p->p, lit, n) != 0)
		return -1;
	p->p += n;
	return 0;
}

static int
jvalue(struct jp *p, struct jv *v, int depth)
{
	if (depth > J_MAX_DEPTH || p->p >= p->end)
		return -1;
	switch (*p->p) {
	case '{':
		return jobject(p, v, depth);
	case '[':
		return jarray(p, v, depth);
	case '"':
		v->t = J_STR;
		return jstring(p, &v->s);
	case 't':
		v->t = J_BOOL;
		v->b = true;
		return jliteral(p, "true");
	case 'f':
		v->t = J_BOOL;
		v->b = false;
		return jliteral(p, "false");
	case 'n':
		v->t = J_NULL;
		return jliteral(p, "null");
	default:
		return jnumber(p, v);
	}
}

/* The one JSON value of text (and nothing else but blanks), or NULL. */
static struct jv *
jparse(const char *text)
{
	struct jp p = {text, text + strlen(text)};
	struct jv *v = calloc(1, sizeof(*v));

	if (v == NULL)
		return NULL;
	jws(&p);
	if (jvalue(&p, v, 0) != 0) {
		jfree(v);
		return NULL;
	}
	jws(&p);
	if (p.p != p.end) {
		jfree(v);
		return NULL;
	}
	jtrack(v);
	return v;
}

static const struct jv *
jget(const struct jv *o, const char *key)
{
	if (o == NULL || o->t != J_OBJ)
		return NULL;
	for (size_t i = 0; i < o->n; i++)
		if (strcmp(o->k[i], key) == 0)
			return &o->v[i];
	return NULL;
}

/* The parser itself must be able to fail: a few documents it must refuse
 * and one it must read exactly. */
static void
jparse_self_test(void)
{
	static const char *const bad[] = {
	        "",
	        "{",
	        "{\"a\":1,}",
	        "{\"a\":1,\"a\":2}",
	        "[1 2]",
	        "01",
	        "1.5",
	        "\"\\u0000\"",
	        "\"a\nb\"",
	        "{\"a\":1} x",
	        "[[[[[[[[[[1]]]]]]]]]]",
	        "\"\\ud800\"",
	        "tru",
	        "99999999999999999999",
	};
	struct jv *v;
	const struct jv *a;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = jparse(bad[i]);
		if (v != NULL)
			fail_msg("the JSON reader accepted '%s'", bad[i]);
	}
	v = jparse("{\"s\":\"\\u00e9\\ud83d\\ude00\\n\",\"a\":[-"
	           "9223372036854775808,"
	           "true,null],\"o\":{}}\n");
	assert_non_null(v);
	assert_int_equal(v->n, 3);
	assert_string_equal(jget(v, "s")->s, "\xc3\xa9\xf0\x9f\x98\x80\n");
	a = jget(v, "a");
	assert_int_equal(a->t, J_ARR);
	assert_int_equal(a->n, 3);
	assert_true(a->v[0].i == INT64_MIN);
	assert_true(a->v[1].t == J_BOOL && a->v[1].b);
	assert_int_equal(a->v[2].t, J_NULL);
	assert_int_equal(jget(v, "o")->t, J_OBJ);
	jfree(v);
}

/* ------------------------------------------------------------------ */
/* Running programs with stdout and stderr kept apart (kdc-admin prints
 * its JSON on stdout and notes such as "working offline" on stderr). */

struct run {
	int code; /* exit status; -1 killed or not run */
	char out[131072];
	char err[16384];
};

static void
append(char *buf, size_t cap, size_t *used, const char *p, size_t n)
{
	if (*used + 1 >= cap)
		return;
	if (n > cap - *used - 1)
		n = cap - *used - 1;
	memcpy(buf + *used, p, n);
	*used += n;
	buf[*used] = '\0';
}

/* argv[0] is a path; envp NULL for our environment; bounded by
 * timeout_ms, after which the program is killed. */
static int
run_split(char *const argv[], char *const envp[], struct run *r, int timeout_ms)
{
	int po[2], pe[2], status = -1;
	posix_spawn_file_actions_t fa;
	size_t uo = 0, ue = 0;
	bool open_o = true, open_e = true;
	pid_t pid;
	struct timespec t0, t;

	r->out[0] = r->err[0] = '\0';
	r->code = -1;
	if (pipe(po) != 0)
		return -1;
	if (pipe(pe) != 0) {
		close(po[0]);
		close(po[1]);
		return -1;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, po[1], 1);
	posix_spawn_file_actions_adddup2(&fa, pe[1], 2);
	posix_spawn_file_actions_addclose(&fa, po[0]);
	posix_spawn_file_actions_addclose(&fa, pe[0]);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if (posix_spawn(&pid, argv[0], &fa, NULL, argv,
	                envp != NULL ? envp : environ) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		close(po[0]);
		close(po[1]);
		close(pe[0]);
		close(pe[1]);
		return -1;
	}
	posix_spawn_file_actions_destroy(&fa);
	close(po[1]);
	close(pe[1]);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (open_o || open_e) {
		struct pollfd p[2] = {{open_o ? po[0] : -1, POLLIN, 0},
		                      {open_e ? pe[0] : -1, POLLIN, 0}};
		char buf[4096];
		long ms;

		if (poll(p, 2, 50) > 0) {
			for (int i = 0; i < 2; i++) {
				ssize_t n;

				if (p[i].revents == 0)
					continue;
				n = read(i == 0 ? po[0] : pe[0], buf,
				         sizeof(buf));
				if (n <= 0) {
					if (i == 0)
						open_o = false;
					else
						open_e = false;
				} else if (i == 0) {
					append(r->out, sizeof(r->out), &uo, buf,
					       (size_t)n);
				} else {
					append(r->err, sizeof(r->err), &ue, buf,
					       (size_t)n);
				}
			}
		}
		clock_gettime(CLOCK_MONOTONIC, &t);
		ms = (t.tv_sec - t0.tv_sec) * 1000 +
		     (t.tv_nsec - t0.tv_nsec) / 1000000;
		if (ms > timeout_ms) {
			kill(pid, SIGKILL);
			break;
		}
	}
	close(po[0]);
	close(pe[0]);
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	r->code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	return r->code;
}

static const char *
bin_dir(void)
{
	const char *b = getenv("KDC_BUILD_DIR");

	return b != NULL ? b : ".";
}

static const char *
src_dir(void)
{
	const char *s = getenv("KDC_SOURCE_DIR");

	if (s == NULL)
		fail_msg("KDC_SOURCE_DIR is not set (run through ctest)");
	return s;
}

/* kdc-admin -c CONF ARGS... with our environment. */
static int
admin_v(const char *conf, struct run *r, char *const args[])
{
	char bin[1200];
	char *argv[72];
	int n = 0;

	snprintf(bin, sizeof(bin), "%s/tools/kdc-admin", bin_dir());
	argv[n++] = bin;
	argv[n++] = "-c";
	argv[n++] = (char *)conf;
	for (int i = 0; args[i] != NULL && n < 70; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	return run_split(argv, NULL, r, 30000);
}

/* Split a command line on spaces into args (at most max - 1 words). */
static void
split_words(char *line, char **args, int max)
{
	char *save = NULL, *tok;
	int n = 0;

	for (tok = strtok_r(line, " ", &save); tok != NULL && n < max - 1;
	     tok = strtok_r(NULL, " ", &save))
		args[n++] = tok;
	args[n] = NULL;
}

/* The one JSON line kdc-admin printed: nothing else may be on stdout. */
static struct jv *
json_of(const struct run *r, const char *what)
{
	const char *nl = strchr(r->out, '\n');
	struct jv *j;

	if (nl == NULL || nl[1] != '\0')
		fail_msg("%s: stdout is not one line (exit %d):\n%s\n%s", what,
		         r->code, r->out, r->err);
	j = jparse(r->out);
	if (j == NULL || j->t != J_OBJ)
		fail_msg("%s: stdout is not a JSON object:\n%s", what, r->out);
	return j;
}

/* kdc-admin --json WORDS (split on spaces) against conf: the parsed
 * result; the exit code in *code. */
static struct jv *adm_json_conf(const char *conf, int *code, struct run *r,
                                const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

static struct jv *
adm_json_conf(const char *conf, int *code, struct run *r, const char *fmt, ...)
{
	char line[2048], *args[64];
	va_list ap;

	args[0] = "--json";
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	split_words(line, args + 1, 63);
	*code = admin_v(conf, r, args);
	return json_of(r, line);
}

static struct run R; /* the last kdc-admin run (large: not on the stack) */

#define ADM(code, ...) adm_json_conf(env.conf, (code), &R, __VA_ARGS__)

/* A successful kdc-admin --json call. */
static struct jv *adm_ok(const char *fmt, ...)
        __attribute__((format(printf, 1, 2)));

static struct jv *
adm_ok(const char *fmt, ...)
{
	char line[2048];
	struct jv *j;
	va_list ap;
	int code;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	j = ADM(&code, "%s", line);
	if (code != 0)
		fail_msg("kdc-admin %s: exit %d\n%s%s", line, code, R.out,
		         R.err);
	assert_non_null(jget(j, "status"));
	assert_string_equal(jget(j, "status")->s, "OK");
	assert_null(jget(j, "error"));
	return j;
}

/* A failed call: exit code and {"status": "FAILED", "error": ...} with
 * nothing else; returns the error text (valid until the next call). */
static const char *adm_fail(int want, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

static const char *
adm_fail(int want, const char *fmt, ...)
{
	static char msg[1024];
	char line[2048];
	struct jv *j;
	const struct jv *e;
	va_list ap;
	int code;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	j = ADM(&code, "%s", line);
	if (code != want)
		fail_msg("kdc-admin %s: exit %d, expected %d\n%s%s", line, code,
		         want, R.out, R.err);
	assert_int_equal(j->n, 2);
	assert_string_equal(j->k[0], "status");
	assert_string_equal(j->v[0].s, "FAILED");
	e = jget(j, "error");
	assert_non_null(e);
	assert_int_equal(e->t, J_STR);
	assert_true(strlen(e->s) > 0);
	snprintf(msg, sizeof(msg), "%s", e->s);
	jfree(j);
	return msg;
}

/* ------------------------------------------------------------------ */
/* The documented tables (kdc-admin.8, OUTPUT, "Tables"). */

#define MAN_MAX_COLS 40

struct mtab {
	char cmd[48];
	char name[40];
	char cols[MAN_MAX_COLS][40];
	int ncols;
	bool prose; /* not a list of column names (sql) */
};

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	if (f == NULL)
		fail_msg("cannot open %s", path);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n > 0 && n < 4 * 1024 * 1024);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static bool
is_ident(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		      *s == '_'))
			return false;
	return true;
}

static void
mtab_cols(struct mtab *t, const char *text)
{
	char buf[4096], *save = NULL, *tok;

	snprintf(buf, sizeof(buf), "%s", text);
	t->ncols = 0;
	for (tok = strtok_r(buf, ",", &save); tok != NULL;
	     tok = strtok_r(NULL, ",", &save)) {
		char *e;

		while (*tok == ' ')
			tok++;
		e = tok + strlen(tok);
		while (e > tok && e[-1] == ' ')
			*--e = '\0';
		if (!is_ident(tok) || t->ncols == MAN_MAX_COLS) {
			t->prose = true;
			return;
		}
		snprintf(t->cols[t->ncols++], sizeof(t->cols[0]), "%s", tok);
	}
}

/* Every (command, table) of the list; returns how many. */
static int
man_tables(struct mtab *out, int max)
{
	char path[1024], *page, *p, *line, *save = NULL;
	char cmds[8][48], text[4096] = "";
	int ncmds = 0, n = 0, cur = -1;
	bool in = false;

	snprintf(path, sizeof(path), "%s/tools/admin/kdc-admin.8", src_dir());
	page = slurp(path);
	p = strstr(page, "\n.Ss Tables\n");
	if (p == NULL)
		fail_msg("kdc-admin.8 has no Tables subsection");
	for (line = strtok_r(p, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		if (!in) {
			in = strncmp(line, ".Bl ", 4) == 0;
			continue;
		}
		if (line[0] != '.' && cur >= 0) {
			size_t u = strlen(text);

			snprintf(text + u, sizeof(text) - u, "%s%s",
			         u > 0 ? " " : "", line);
			continue;
		}
		/* A macro line ends the columns of the current table(s). */
		if (cur >= 0) {
			for (int i = cur; i < n; i++)
				mtab_cols(&out[i], text);
			cur = -1;
			text[0] = '\0';
		}
		if (strcmp(line, ".El") == 0)
			break;
		if (strncmp(line, ".It Cm ", 7) == 0) {
			/* ".It Cm group update , group activate" */
			char buf[256], *s2 = NULL, *c;

			snprintf(buf, sizeof(buf), "%s", line + 7);
			ncmds = 0;
			for (c = strtok_r(buf, ",", &s2);
			     c != NULL && ncmds < 8;
			     c = strtok_r(NULL, ",", &s2)) {
				char *e;

				while (*c == ' ')
					c++;
				e = c + strlen(c);
				while (e > c && e[-1] == ' ')
					*--e = '\0';
				snprintf(cmds[ncmds++], sizeof(cmds[0]), "%s",
				         c);
			}
		} else if (strncmp(line, ".Sy ", 4) == 0) {
			/* ".Sy name :" starts a table of every command of
			 * the item. */
			char name[40];

			if (sscanf(line + 4, "%39s :", name) != 1 ||
			    strstr(line, " :") == NULL)
				fail_msg("kdc-admin.8: bad table line '%s'",
				         line);
			cur = n;
			for (int i = 0; i < ncmds && n < max; i++) {
				memset(&out[n], 0, sizeof(out[n]));
				FITS(snprintf(out[n].cmd, sizeof(out[n].cmd),
				              "%s", cmds[i]),
				     sizeof(out[n].cmd));
				snprintf(out[n].name, sizeof(out[n].name), "%s",
				         name);
				n++;
			}
		}
	}
	free(page);
	return n;
}

/* The documented tables of cmd, in order, into t (at most max). */
static int
man_cmd(const char *cmd, struct mtab *t, int max)
{
	static struct mtab all[64];
	static int nall = -1;
	int n = 0;

	if (nall < 0)
		nall = man_tables(all, 64);
	for (int i = 0; i < nall && n < max; i++)
		if (strcmp(all[i].cmd, cmd) == 0)
			t[n++] = all[i];
	/* "Commands not listed return no table." */
	return n;
}

/* The JSON key of a table (kdc-admin.8: a table named like a key of the
 * result gets "_table"). */
static void
json_table_key(const char *name, char *out, size_t n)
{
	if (strcmp(name, "status") == 0 || strcmp(name, "error") == 0 ||
	    strcmp(name, "note") == 0)
		snprintf(out, n, "%s_table", name);
	else
		snprintf(out, n, "%s", name);
}

/* j holds exactly the documented tables of cmd, in order, then
 * "status": "OK"; every row has exactly the documented columns, in
 * order.  Returns the number of tables. */
static int
check_documented(const struct jv *j, const char *cmd)
{
	struct mtab t[4];
	int nt = man_cmd(cmd, t, 4);

	if (j->n != (size_t)nt + 1)
		fail_msg("%s: %zu keys, documented %d tables + status", cmd,
		         j->n, nt);
	for (int i = 0; i < nt; i++) {
		char key[64];
		const struct jv *a = &j->v[i];

		json_table_key(t[i].name, key, sizeof(key));
		if (strcmp(j->k[i], key) != 0)
			fail_msg("%s: table %d is '%s', documented '%s'", cmd,
			         i, j->k[i], key);
		assert_int_equal(a->t, J_ARR);
		for (size_t r = 0; r < a->n && !t[i].prose; r++) {
			const struct jv *row = &a->v[r];

			assert_int_equal(row->t, J_OBJ);
			if (row->n != (size_t)t[i].ncols)
				fail_msg("%s: %s row %zu has %zu columns, "
				         "documented %d",
				         cmd, key, r, row->n, t[i].ncols);
			for (int c = 0; c < t[i].ncols; c++)
				if (strcmp(row->k[c], t[i].cols[c]) != 0)
					fail_msg("%s: %s column %d is '%s', "
					         "documented '%s'",
					         cmd, key, c, row->k[c],
					         t[i].cols[c]);
		}
	}
	assert_string_equal(j->k[nt], "status");
	assert_string_equal(j->v[nt].s, "OK");
	return nt;
}

/* ------------------------------------------------------------------ */
/* Field-by-field checks of one row: every field of the row must be
 * looked at by exactly one check before ck_done(). */

struct ck {
	const struct jv *o;
	const char *what;
	bool seen[64];
};

static struct ck
ck_row(const struct jv *o, const char *what)
{
	struct ck c;

	memset(&c, 0, sizeof(c));
	if (o == NULL || o->t != J_OBJ || o->n > 64)
		fail_msg("%s: not a row object", what);
	c.o = o;
	c.what = what;
	return c;
}

static const struct jv *
ck_take(struct ck *c, const char *key, enum jt t)
{
	for (size_t i = 0; i < c->o->n; i++) {
		if (strcmp(c->o->k[i], key) != 0)
			continue;
		if (c->seen[i])
			fail_msg("%s.%s checked twice", c->what, key);
		c->seen[i] = true;
		if (c->o->v[i].t != t)
			fail_msg("%s.%s has JSON type %d, expected %d", c->what,
			         key, (int)c->o->v[i].t, (int)t);
		return &c->o->v[i];
	}
	fail_msg("%s has no field %s", c->what, key);
	return NULL;
}

static void
ck_str(struct ck *c, const char *key, const char *want)
{
	const struct jv *v = ck_take(c, key, J_STR);

	if (strcmp(v->s, want) != 0)
		fail_msg("%s.%s = \"%s\", expected \"%s\"", c->what, key, v->s,
		         want);
}

/* A string starting with prefix; returns it. */
static const char *
ck_prefix(struct ck *c, const char *key, const char *prefix)
{
	const struct jv *v = ck_take(c, key, J_STR);

	if (strncmp(v->s, prefix, strlen(prefix)) != 0)
		fail_msg("%s.%s = \"%s\", expected a prefix \"%s\"", c->what,
		         key, v->s, prefix);
	return v->s;
}

static void
ck_int(struct ck *c, const char *key, int64_t want)
{
	const struct jv *v = ck_take(c, key, J_INT);

	if (v->i != want)
		fail_msg("%s.%s = %lld, expected %lld", c->what, key,
		         (long long)v->i, (long long)want);
}

static int64_t
ck_range(struct ck *c, const char *key, int64_t lo, int64_t hi)
{
	const struct jv *v = ck_take(c, key, J_INT);

	if (v->i < lo || v->i > hi)
		fail_msg("%s.%s = %lld, expected %lld..%lld", c->what, key,
		         (long long)v->i, (long long)lo, (long long)hi);
	return v->i;
}

static void
ck_bool(struct ck *c, const char *key, bool want)
{
	const struct jv *v = ck_take(c, key, J_BOOL);

	if (v->b != want)
		fail_msg("%s.%s = %d, expected %d", c->what, key, v->b, want);
}

static void
ck_null(struct ck *c, const char *key)
{
	ck_take(c, key, J_NULL);
}

/* Lowercase hex of nbytes bytes (0: any non-empty length); returns it. */
static const char *
ck_hex(struct ck *c, const char *key, size_t nbytes)
{
	const struct jv *v = ck_take(c, key, J_STR);
	size_t n = strlen(v->s);

	if (n == 0 || n % 2 != 0 || (nbytes != 0 && n != 2 * nbytes))
		fail_msg("%s.%s = \"%s\": not %zu bytes of hex", c->what, key,
		         v->s, nbytes);
	for (size_t i = 0; i < n; i++)
		if (!((v->s[i] >= '0' && v->s[i] <= '9') ||
		      (v->s[i] >= 'a' && v->s[i] <= 'f')))
			fail_msg("%s.%s = \"%s\": not lowercase hex", c->what,
			         key, v->s);
	return v->s;
}

static void
ck_done(struct ck *c)
{
	for (size_t i = 0; i < c->o->n; i++)
		if (!c->seen[i])
			fail_msg("%s.%s was not checked", c->what, c->o->k[i]);
}

/* Row r of table key of j. */
static const struct jv *
row_of(const struct jv *j, const char *key, size_t r)
{
	const struct jv *a = jget(j, key);

	if (a == NULL || a->t != J_ARR || r >= a->n)
		fail_msg("no row %zu in table %s", r, key);
	return &a->v[r];
}

static size_t
rows_of(const struct jv *j, const char *key)
{
	const struct jv *a = jget(j, key);

	if (a == NULL || a->t != J_ARR)
		fail_msg("no table %s", key);
	return a->n;
}

static char *
hexs(const uint8_t *p, size_t n, char *out, size_t outlen)
{
	kdc_hex(out, outlen, p, n);
	return out;
}

static int64_t
now_s(void)
{
	return (int64_t)time(NULL);
}

/* ------------------------------------------------------------------ */
/* Set-up. */

static int
setup(void **state)
{
	(void)state;
	load_pid = 0;
	return h_env_start(&env, NULL);
}

static void
stop_group(pid_t *pg)
{
	if (*pg <= 0)
		return;
	kill(-*pg, SIGTERM);
	for (int i = 0; i < 100 && kill(-*pg, 0) == 0; i++)
		h_msleep(50);
	kill(-*pg, SIGKILL);
	while (waitpid(-*pg, NULL, WNOHANG) > 0)
		;
	*pg = 0;
}

static void
remove_scratch(void)
{
	char cmd[800];

	if (scratch[0] == '\0')
		return;
	if (getenv("KDC_E2E_KEEP") != NULL) {
		fprintf(stderr, "e2e: kept %s\n", scratch);
	} else {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", scratch);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", scratch);
	}
	scratch[0] = '\0';
}

static int
teardown(void **state)
{
	(void)state;
	if (load_pid > 0) {
		kill(load_pid, SIGKILL);
		waitpid(load_pid, NULL, 0);
		load_pid = 0;
	}
	stop_group(&client_pgid);
	stop_group(&demo_pgid);
	h_env_stop(&env);
	remove_scratch();
	jfree_all();
	return 0;
}

/* A folder of our own under the build tree (mode 0755: a frontend that
 * runs as nobody must reach what is inside). */
static void __attribute__((unused)) make_scratch(const char *tag)
{
	snprintf(scratch, sizeof(scratch), "%.500s/e2e-%s-XXXXXX", bin_dir(),
	         tag);
	if (mkdtemp(scratch) == NULL)
		fail_msg("mkdtemp %s: %s", scratch, strerror(errno));
	chmod(scratch, 0755);
}

static void
join_ok(struct h_dev *d, const char *kid, const char *group, uint64_t perm)
{
	char scope[160];
	struct h_coap c;

	snprintf(scope, sizeof(scope), "%s:%llu", group,
	         (unsigned long long)perm);
	assert_int_equal(h_dev_token(&env, d, kid, scope, 600), 0);
	assert_int_equal(h_dev_join(&env, d, group, perm, &c), 0);
	h_assert_code(&c, 201);
	h_coap_free(&c);
}

static void
dtls_get(struct h_dev *d, const char *path, struct h_coap *c)
{
	struct h_req r = h_dreq(d, "get", path, -1, NULL, 0);

	r.accept = -1;
	h_coap(&env, &r, c);
}

/* A group's num as kdc-admin group show reports it. */
static int64_t
group_num(const char *group)
{
	struct jv *j = adm_ok("group show %s", group);
	int64_t num;

	assert_int_equal(jget(row_of(j, "group", 0), "num")->t, J_INT);
	num = jget(row_of(j, "group", 0), "num")->i;
	jfree(j);
	return num;
}

/* Wait (bounded) until group's num is at least want; returns it. */
static int64_t
wait_num(const char *group, int64_t want)
{
	int64_t num = group_num(group);

	for (int i = 0; i < 100 && num < want; i++) {
		h_msleep(50);
		num = group_num(group);
	}
	return num;
}

/* ------------------------------------------------------------------ */
/* 1. A group made with kdc-admin, a device in it, its eviction. */

static void
test_admin_group_member_evict(void **state)
{
	struct h_dev d, keep;
	struct h_coap c;
	struct jv *j;
	struct ck k;
	char gid0[40], gid1[40], sid[24], sid_keep[24], path[200], want[96];
	const char *gid;
	int64_t t0 = now_s(), tokid = 0, num;

	(void)state;
	jparse_self_test();
	/* Joins do not rekey (so num only moves on the eviction). */
	j = adm_ok("group create ev --description eviction --rekey-on-join "
	           "off");
	check_documented(j, "group create");
	assert_int_equal(rows_of(j, "group"), 1);
	k = ck_row(row_of(j, "group", 0), "create.group");
	ck_str(&k, "name", "ev");
	snprintf(gid0, sizeof(gid0), "%s", ck_hex(&k, "gid", 8));
	/* Gid = 4-byte random prefix || 4-byte epoch 0 (DESIGN §7). */
	assert_string_equal(gid0 + 8, "00000000");
	ck_int(&k, "num", 0);
	ck_range(&k, "exp", t0 + 86400 - 1, now_s() + 86400 + 1);
	ck_bool(&k, "active", true);
	ck_done(&k);
	jfree(j);

	join_ok(&d, "evdev", "ev", 6);
	join_ok(&keep, "evkeep", "ev", 2);
	hexs(d.sid, d.sid_len, sid, sizeof(sid));
	hexs(keep.sid, keep.sid_len, sid_keep, sizeof(sid_keep));

	/* group show lists both members, field by field. */
	j = adm_ok("group show ev");
	check_documented(j, "group show");
	k = ck_row(row_of(j, "group", 0), "show.group");
	ck_str(&k, "name", "ev");
	ck_str(&k, "description", "eviction");
	ck_bool(&k, "active", true);
	ck_str(&k, "hkdf", "HMAC-256/256");
	ck_int(&k, "cred_fmt", 14);
	ck_bool(&k, "group_mode", true);
	ck_str(&k, "gp_enc_alg", "AES-CCM-16-64-128");
	ck_str(&k, "sign_alg", "EdDSA");
	ck_str(&k, "sign_crv", "Ed25519");
	ck_bool(&k, "pairwise_mode", true);
	ck_str(&k, "alg", "AES-CCM-16-64-128");
	ck_str(&k, "ecdh_alg", "ECDH-SS+HKDF-256");
	ck_str(&k, "ecdh_crv", "X25519");
	ck_int(&k, "key_lifetime", 86400);
	ck_int(&k, "key_update_check_interval", 3600);
	ck_int(&k, "expiration_delta", 0);
	ck_int(&k, "max_members", 0);
	ck_bool(&k, "rekey_on_join", false);
	ck_bool(&k, "rekey_on_leave", true);
	ck_bool(&k, "rekey_after_restart", false);
	ck_int(&k, "min_rekey_interval_ms", 1000);
	ck_int(&k, "max_stale_sets", 3);
	ck_int(&k, "prev_grace", 300);
	ck_int(&k, "sid_max_len", 7);
	ck_int(&k, "gid_prefix_len", 4);
	ck_int(&k, "gid_epoch_len", 4);
	ck_range(&k, "created_at", t0 - 1, now_s() + 1);
	ck_int(&k, "num", 0);
	ck_str(&k, "gid", gid0);
	ck_range(&k, "exp", t0 + 86400 - 1, now_s() + 86400 + 1);
	ck_int(&k, "rekeys_done", 0);
	ck_null(&k, "pending");
	ck_int(&k, "members", 2);
	ck_done(&k);
	assert_int_equal(rows_of(j, "members"), 2);
	for (size_t r = 0; r < 2; r++) {
		const struct h_dev *m =
		        strcmp(jget(row_of(j, "members", r), "node")->s,
		               d.node) == 0
		                ? &d
		                : &keep;

		k = ck_row(row_of(j, "members", r), "show.members");
		ck_str(&k, "node", m->node);
		ck_int(&k, "perm", m == &d ? 6 : 2);
		ck_str(&k, "roles",
		       m == &d ? "requester,responder" : "requester");
		ck_str(&k, "sid", m == &d ? sid : sid_keep);
		ck_null(&k, "control_uri");
		ck_range(&k, "joined_at", t0 - 1, now_s() + 1);
		ck_done(&k);
	}
	assert_string_not_equal(d.node, keep.node);
	jfree(j);

	/* The token behind the membership, as token list shows it. */
	j = adm_ok("token list");
	for (size_t r = 0; r < rows_of(j, "tokens"); r++)
		if (strcmp(jget(row_of(j, "tokens", r), "kid")->s,
		           "6576646576") == 0) /* "evdev" */
			tokid = jget(row_of(j, "tokens", r), "id")->i;
	assert_true(tokid > 0);
	jfree(j);
	j = adm_ok("member show ev %s", d.node);
	assert_int_equal(jget(row_of(j, "member", 0), "token")->i, tokid);
	jfree(j);

	/* The eviction. */
	j = adm_ok("member evict ev %s", d.node);
	check_documented(j, "member evict");
	k = ck_row(row_of(j, "evicted", 0), "evict");
	ck_str(&k, "group", "ev");
	ck_str(&k, "node", d.node);
	ck_str(&k, "sid", sid);
	/* Forward security: a rekey is due (it may wait for the group's
	 * min_rekey_interval). */
	ck_bool(&k, "rekey_pending", true);
	ck_done(&k);
	jfree(j);

	/* Rekeyed exactly once: num 0 -> 1, a new Gid epoch. */
	num = wait_num("ev", 1);
	assert_int_equal(num, 1);
	j = adm_ok("group show ev");
	k = ck_row(row_of(j, "group", 0), "after.group");
	gid = jget(k.o, "gid")->s;
	assert_memory_equal(gid, gid0, 8);
	assert_string_equal(gid + 8, "00000001");
	snprintf(gid1, sizeof(gid1), "%s", gid);
	assert_int_equal(jget(k.o, "rekeys_done")->i, 1);
	assert_int_equal(jget(k.o, "members")->i, 1);
	assert_int_equal(jget(k.o, "pending")->t, J_NULL);
	assert_int_equal(rows_of(j, "members"), 1);
	assert_string_equal(jget(row_of(j, "members", 0), "node")->s,
	                    keep.node);
	jfree(j);
	adm_fail(2, "member show ev %s", d.node);
	adm_fail(2, "member evict ev %s", d.node);
	/* The token stays (only the membership ended). */
	j = adm_ok("token list");
	assert_int_equal(rows_of(j, "tokens"), 2);
	jfree(j);

	/* The evicted device is no member any more: RFC 9594 §4.1.2, 4.03
	 * with error 0 on the group resources, while the remaining member
	 * reads the new version. */
	dtls_get(&d, "ace-group/ev", &c);
	h_assert_code(&c, 403);
	assert_int_equal(h_error_id(&c), 0);
	h_coap_free(&c);
	snprintf(path, sizeof(path), "ace-group/ev/nodes/%s", d.node);
	dtls_get(&d, path, &c);
	h_assert_code(&c, 403);
	assert_int_equal(h_error_id(&c), 0);
	h_coap_free(&c);
	dtls_get(&keep, "ace-group/ev/num", &c);
	h_assert_code(&c, 205);
	assert_int_equal(c.len, 1);
	assert_int_equal(c.payload[0], 0x01); /* CBOR unsigned 1 */
	h_coap_free(&c);

	/* Audited as the operator's eviction, then the leave rekey. */
	j = adm_ok("audit --group ev --action evict");
	assert_int_equal(rows_of(j, "audit"), 1);
	k = ck_row(row_of(j, "audit", 0), "audit.evict");
	ck_range(&k, "id", 1, INT64_MAX);
	ck_range(&k, "at", t0 - 1, now_s() + 1);
	ck_prefix(&k, "actor", "admin pid=");
	ck_str(&k, "action", "evict");
	ck_str(&k, "group", "ev");
	ck_str(&k, "node", d.node);
	snprintf(want, sizeof(want), "sid=%s", sid);
	ck_str(&k, "detail", want);
	ck_done(&k);
	jfree(j);
	j = adm_ok("audit --group ev --action rekey");
	assert_int_equal(rows_of(j, "audit"), 1);
	snprintf(want, sizeof(want), "num=1 gid=%s reason=leave joiners=0",
	         gid1);
	assert_string_equal(jget(row_of(j, "audit", 0), "detail")->s, want);
	jfree(j);
}

/* ------------------------------------------------------------------ */
/* 2. --json of every read command, against the documented tables, field
 * by field. */

/* kdc-admin --json ARGS (given as words, for values with spaces). */
static struct jv *
adm_ok_v(char *const args[])
{
	char *argv[64];
	struct jv *j;
	int n = 0, code;

	argv[n++] = "--json";
	for (int i = 0; args[i] != NULL && n < 63; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	code = admin_v(env.conf, &R, argv);
	j = json_of(&R, args[0]);
	if (code != 0)
		fail_msg("kdc-admin %s ...: exit %d\n%s%s", args[0], code,
		         R.out, R.err);
	assert_string_equal(jget(j, "status")->s, "OK");
	return j;
}

/* A string ending with suffix (after a prefix checked by the caller). */
static const char *
ck_suffix(struct ck *c, const char *key, const char *prefix, const char *suffix)
{
	const struct jv *v = ck_take(c, key, J_STR);
	size_t n = strlen(v->s), p = strlen(prefix), s = strlen(suffix);

	if (n < p + s || strncmp(v->s, prefix, p) != 0 ||
	    strcmp(v->s + n - s, suffix) != 0)
		fail_msg("%s.%s = \"%s\", expected \"%s...%s\"", c->what, key,
		         v->s, prefix, suffix);
	return v->s;
}

/* The schema version this keystore binary applies, from --version. */
static int64_t
keystore_schema(void)
{
	char bin[1200];
	char *argv[] = {bin, "--version", NULL};
	const char *p;
	struct run *r = calloc(1, sizeof(*r));
	int64_t v;

	assert_non_null(r);
	snprintf(bin, sizeof(bin), "%s/keystore/kdc-keystore", bin_dir());
	assert_int_equal(run_split(argv, NULL, r, 10000), 0);
	p = strstr(r->out, "database schema ");
	assert_non_null(p);
	v = strtoll(p + 16, NULL, 10);
	free(r);
	return v;
}

/* The fingerprint kdc-admin shows for a symmetric AS key (adm_util.c:
 * SHA-256 of a label and the key, first 8 bytes). */
static void
sym_fingerprint(const struct kdc_cose_key *k, char out[17])
{
	static const char label[] = "kdc/as-key-fingerprint/";
	uint8_t buf[sizeof(label) - 1 + 64], h[32];

	memcpy(buf, label, sizeof(label) - 1);
	memcpy(buf + sizeof(label) - 1, k->k, k->k_len);
	kdc_sha256(buf, sizeof(label) - 1 + k->k_len, h);
	kdc_hex(out, 17, h, 8);
}

static void
test_admin_json_fields(void **state)
{
	/* Quote, backslash, tab, newline and non-ASCII go through JSON. */
	static char desc[] = "pairwise \"only\" \\ tab\there\nline "
	                     "caf\xc3\xa9";
	char *create_pw[] = {"group", "create",         "pw",   "--description",
	                     desc,    "--group-mode",   "off",  "--max-members",
	                     "5",     "--key-lifetime", "3600", NULL};
	char *sql[] = {"sql", "SELECT name, num FROM groups ORDER BY name",
	               NULL};
	struct h_dev d;
	struct h_coap c;
	struct jv *j;
	struct ck k;
	cbor_item_t *m;
	const uint8_t *kdc_cred = NULL;
	size_t kdc_cred_len = 0;
	char gid_js[40], gid_pw[40], sid[24], cred[600], kdccred[600];
	char fpr[17], want[300];
	char scopehex[64], actor[64];
	int64_t t0 = now_s(), as_id, tok_id, tok_exp, uid_fe = -1;
	struct kdc_cw w;
	struct kdc_scope sc;

	(void)state;
	j = adm_ok("group create js --rekey-on-join off");
	snprintf(gid_js, sizeof(gid_js), "%s",
	         jget(row_of(j, "group", 0), "gid")->s);
	jfree(j);
	jfree(adm_ok_v(create_pw));
	assert_int_equal(h_dev_token(&env, &d, "jsdev", "js:6", 600), 0);
	assert_int_equal(h_dev_join(&env, &d, "js", 6, &c), 0);
	h_assert_code(&c, 201);
	/* The KDC's signature credential from the Join Response, for
	 * kdc-cred show. */
	m = h_cbor(&c);
	assert_non_null(m);
	assert_true(h_map_bstr(m, KDC_GC_KDC_CRED, &kdc_cred, &kdc_cred_len));
	hexs(kdc_cred, kdc_cred_len, kdccred, sizeof(kdccred));
	cbor_decref(&m);
	h_coap_free(&c);
	hexs(d.sid, d.sid_len, sid, sizeof(sid));
	hexs(d.cred, d.cred_len, cred, sizeof(cred));

	/* ---- as list ---- */
	j = adm_ok("as list");
	check_documented(j, "as list");
	assert_int_equal(rows_of(j, "as"), 1);
	k = ck_row(row_of(j, "as", 0), "as");
	as_id = ck_range(&k, "id", 1, INT64_MAX);
	ck_str(&k, "name", "dev-as");
	ck_str(&k, "kind", "encrypt");
	ck_str(&k, "alg", "AES-CCM-16-64-128");
	ck_null(&k, "kid");
	ck_null(&k, "issuer");
	ck_str(&k, "audience", env.audience);
	sym_fingerprint(&env.as_key, fpr);
	ck_str(&k, "fingerprint", fpr);
	ck_bool(&k, "psk_derivation", false);
	ck_range(&k, "created_at", t0 - 60, now_s() + 1);
	ck_done(&k);
	jfree(j);

	/* ---- token list ---- */
	j = adm_ok("token list");
	check_documented(j, "token list");
	assert_int_equal(rows_of(j, "tokens"), 1);
	k = ck_row(row_of(j, "tokens", 0), "tokens");
	tok_id = ck_range(&k, "id", 1, INT64_MAX);
	ck_int(&k, "as", as_id);
	ck_str(&k, "pop", "symmetric");
	ck_str(&k, "kid", "6a73646576"); /* "jsdev" */
	tok_exp = ck_range(&k, "exp", t0 + 600, now_s() + 600);
	memset(&sc, 0, sizeof(sc));
	snprintf(sc.e[0].gname, sizeof(sc.e[0].gname), "js");
	sc.e[0].gname_len = 2;
	sc.e[0].perm = 6;
	sc.n = 1;
	kdc_cw_init(&w);
	kdc_scope_encode(&w, &sc);
	assert_true(kdc_cw_ok(&w));
	ck_str(&k, "scope", hexs(w.buf, w.len, scopehex, sizeof(scopehex)));
	kdc_cw_free(&w);
	ck_str(&k, "via", "authz-info");
	ck_bool(&k, "revoked", false);
	ck_range(&k, "received_at", t0 - 1, now_s() + 1);
	ck_done(&k);
	jfree(j);

	/* ---- group list: one group per mode set ---- */
	j = adm_ok("group list");
	check_documented(j, "group list");
	assert_int_equal(rows_of(j, "groups"), 2);
	k = ck_row(row_of(j, "groups", 0), "groups.js");
	ck_str(&k, "name", "js");
	ck_bool(&k, "active", true);
	ck_int(&k, "members", 1);
	ck_int(&k, "num", 0);
	ck_str(&k, "gid", gid_js);
	ck_range(&k, "exp", t0 + 86400 - 1, now_s() + 86400 + 1);
	ck_bool(&k, "rekey_on_join", false);
	ck_bool(&k, "rekey_on_leave", true);
	ck_str(&k, "sign_alg", "EdDSA");
	ck_str(&k, "gp_enc_alg", "AES-CCM-16-64-128");
	ck_str(&k, "alg", "AES-CCM-16-64-128");
	ck_str(&k, "ecdh_alg", "ECDH-SS+HKDF-256");
	ck_range(&k, "created_at", t0 - 1, now_s() + 1);
	ck_done(&k);
	k = ck_row(row_of(j, "groups", 1), "groups.pw");
	ck_str(&k, "name", "pw");
	ck_bool(&k, "active", true);
	ck_int(&k, "members", 0);
	ck_int(&k, "num", 0);
	snprintf(gid_pw, sizeof(gid_pw), "%s", ck_hex(&k, "gid", 8));
	ck_range(&k, "exp", t0 + 3600 - 1, now_s() + 3600 + 1);
	ck_bool(&k, "rekey_on_join", true);
	ck_bool(&k, "rekey_on_leave", true);
	/* The algorithms of a mode that is off do not apply. */
	ck_null(&k, "sign_alg");
	ck_null(&k, "gp_enc_alg");
	ck_str(&k, "alg", "AES-CCM-16-64-128");
	ck_str(&k, "ecdh_alg", "ECDH-SS+HKDF-256");
	ck_range(&k, "created_at", t0 - 1, now_s() + 1);
	ck_done(&k);
	jfree(j);

	/* ---- group show of the pairwise-only group ---- */
	j = adm_ok("group show pw");
	check_documented(j, "group show");
	k = ck_row(row_of(j, "group", 0), "show.pw");
	ck_str(&k, "name", "pw");
	ck_str(&k, "description", desc);
	ck_bool(&k, "active", true);
	ck_str(&k, "hkdf", "HMAC-256/256");
	ck_int(&k, "cred_fmt", 14);
	ck_bool(&k, "group_mode", false);
	ck_str(&k, "gp_enc_alg", "AES-CCM-16-64-128");
	ck_str(&k, "sign_alg", "EdDSA");
	ck_str(&k, "sign_crv", "Ed25519");
	ck_bool(&k, "pairwise_mode", true);
	ck_str(&k, "alg", "AES-CCM-16-64-128");
	ck_str(&k, "ecdh_alg", "ECDH-SS+HKDF-256");
	ck_str(&k, "ecdh_crv", "X25519");
	ck_int(&k, "key_lifetime", 3600);
	ck_int(&k, "key_update_check_interval", 3600);
	ck_int(&k, "expiration_delta", 0);
	ck_int(&k, "max_members", 5);
	ck_bool(&k, "rekey_on_join", true);
	ck_bool(&k, "rekey_on_leave", true);
	ck_bool(&k, "rekey_after_restart", false);
	ck_int(&k, "min_rekey_interval_ms", 1000);
	ck_int(&k, "max_stale_sets", 3);
	ck_int(&k, "prev_grace", 300);
	ck_int(&k, "sid_max_len", 7);
	ck_int(&k, "gid_prefix_len", 4);
	ck_int(&k, "gid_epoch_len", 4);
	ck_range(&k, "created_at", t0 - 1, now_s() + 1);
	ck_int(&k, "num", 0);
	ck_str(&k, "gid", gid_pw);
	ck_range(&k, "exp", t0 + 3600 - 1, now_s() + 3600 + 1);
	ck_int(&k, "rekeys_done", 0);
	ck_null(&k, "pending");
	ck_int(&k, "members", 0);
	ck_done(&k);
	assert_int_equal(rows_of(j, "members"), 0);
	jfree(j);

	/* ---- member list / show ---- */
	j = adm_ok("member list js");
	check_documented(j, "member list");
	assert_int_equal(rows_of(j, "members"), 1);
	k = ck_row(row_of(j, "members", 0), "members");
	ck_str(&k, "node", d.node);
	ck_int(&k, "perm", 6);
	ck_str(&k, "roles", "requester,responder");
	ck_str(&k, "sid", sid);
	ck_null(&k, "control_uri");
	ck_range(&k, "joined_at", t0 - 1, now_s() + 1);
	ck_done(&k);
	jfree(j);
	j = adm_ok("member show js %s", d.node);
	check_documented(j, "member show");
	k = ck_row(row_of(j, "member", 0), "member");
	ck_str(&k, "node", d.node);
	ck_int(&k, "perm", 6);
	ck_str(&k, "roles", "requester,responder");
	ck_str(&k, "sid", sid);
	ck_str(&k, "cred", cred); /* the device's CCS, public */
	ck_bool(&k, "cred_pop", true);
	ck_null(&k, "control_uri");
	ck_str(&k, "birth_gid", gid_js);
	ck_int(&k, "token", tok_id);
	ck_range(&k, "joined_at", t0 - 1, now_s() + 1);
	ck_range(&k, "updated_at", t0 - 1, now_s() + 1);
	ck_bool(&k, "parked", false);
	ck_done(&k);
	jfree(j);

	/* ---- kdc-cred show: one credential of each kind ---- */
	j = adm_ok("kdc-cred show");
	check_documented(j, "kdc-cred show");
	assert_int_equal(rows_of(j, "kdc_creds"), 4);
	for (size_t r = 0; r < 4; r++) {
		static const char *const kinds[] = {"sign-ed25519", "sign-p256",
		                                    "dh-x25519", "dh-p256"};
		static const int kty[] = {KDC_KTY_OKP, KDC_KTY_EC2, KDC_KTY_OKP,
		                          KDC_KTY_EC2};
		static const int crv[] = {KDC_CRV_ED25519, KDC_CRV_P256,
		                          KDC_CRV_X25519, KDC_CRV_P256};
		struct kdc_cose_key pub;
		uint8_t bin[300];
		const char *hx;
		size_t n;

		k = ck_row(row_of(j, "kdc_creds", r), "kdc_creds");
		ck_int(&k, "id", (int64_t)r + 1);
		ck_str(&k, "kind", kinds[r]);
		hx = ck_hex(&k, "cred", 0);
		n = strlen(hx) / 2;
		assert_true(n <= sizeof(bin));
		for (size_t i = 0; i < n; i++) {
			unsigned b;

			assert_int_equal(sscanf(hx + 2 * i, "%2x", &b), 1);
			bin[i] = (uint8_t)b;
		}
		assert_int_equal(kdc_ccs_public_key(bin, n, &pub), 0);
		assert_int_equal(pub.kty, kty[r]);
		assert_int_equal(pub.crv, crv[r]);
		assert_false(pub.has_priv);
		if (r == 0) /* what the Join Response carried */
			assert_string_equal(hx, kdccred);
		ck_range(&k, "created_at", t0 - 60, now_s() + 1);
		ck_null(&k, "retired_at");
		ck_bool(&k, "current", true);
		ck_done(&k);
	}
	jfree(j);

	/* ---- status ---- */
	j = adm_ok("status");
	check_documented(j, "status");
	k = ck_row(row_of(j, "status_table", 0), "status");
	ck_str(&k, "version", KDC_VERSION);
	ck_hex(&k, "instance", 8);
	ck_int(&k, "pid", env.ks_pid);
	ck_range(&k, "uptime_s", 0, now_s() - t0 + 60);
	ck_int(&k, "schema_version", keystore_schema());
	ck_int(&k, "groups", 2);
	ck_int(&k, "members", 1);
	ck_int(&k, "tokens", 1);
	/* One frontend process (its two keystore connections are one row). */
	assert_int_equal(rows_of(j, "frontends"), 1);
	ck_int(&k, "frontends_connected", 1);
	/* The frontends report their counters every few seconds: the sum of
	 * their last reports. */
	{
		int64_t served = 0;

		for (size_t r = 0; r < rows_of(j, "frontends"); r++)
			served +=
			        jget(row_of(j, "frontends", r), "requests")->i;
		ck_int(&k, "requests_served", served);
	}
	/* At least the token's POST and the Join reached the keystore. */
	ck_range(&k, "keystore_requests", 2, INT64_MAX);
	ck_int(&k, "joins", 1);
	ck_int(&k, "rekeys_done", 0);
	ck_range(&k, "batches", 1, INT64_MAX);
	ck_int(&k, "commits_failed", 0);
	ck_range(&k, "db_bytes", 4096, INT64_MAX);
	ck_done(&k);
	assert_true(rows_of(j, "frontends") >= 1);
	for (size_t r = 0; r < rows_of(j, "frontends"); r++) {
		k = ck_row(row_of(j, "frontends", r), "frontends");
		/* The frontend's actor name, as in the audit log. */
		snprintf(actor, sizeof(actor),
		         "fe1 pid=%d uid=", (int)env.fe_pid[0]);
		uid_fe = strtoll(ck_prefix(&k, "name", actor) + strlen(actor),
		                 NULL, 10);
		ck_range(&k, "requests", 0, INT64_MAX);
		ck_range(&k, "errors", 0, INT64_MAX);
		ck_range(&k, "sessions", 0, INT64_MAX);
		ck_int(&k, "observers", 0);
		ck_range(&k, "subscriptions", 0, 2);
		ck_done(&k);
	}
	jfree(j);

	/* ---- audit: everything so far, oldest first ---- */
	j = adm_ok("audit");
	check_documented(j, "audit");
	assert_int_equal(rows_of(j, "audit"), 5);
	for (size_t r = 0; r < 5; r++) {
		static const char *const actions[] = {"as-add", "group-create",
		                                      "group-create",
		                                      "token-store", "join"};
		const struct jv *row = row_of(j, "audit", r);

		k = ck_row(row, "audit");
		ck_range(&k, "id", r == 0 ? 1 : jget(row - 1, "id")->i + 1,
		         INT64_MAX);
		ck_range(&k, "at", t0 - 60, now_s() + 1);
		ck_str(&k, "action", actions[r]);
		switch (r) {
		case 0:
			ck_prefix(&k, "actor", "admin pid=");
			ck_null(&k, "group");
			ck_null(&k, "node");
			snprintf(want, sizeof(want),
			         "as=dev-as kind=encrypt alg=10 kid=any fpr=%s "
			         "aud=%s",
			         fpr, env.audience);
			ck_str(&k, "detail", want);
			break;
		case 1:
		case 2:
			ck_prefix(&k, "actor", "admin pid=");
			ck_str(&k, "group", r == 1 ? "js" : "pw");
			ck_null(&k, "node");
			snprintf(want, sizeof(want),
			         "gid=%s sign_alg=-8 gp_enc_alg=10 alg=10 "
			         "ecdh_alg=-27 group_mode=%d pairwise_mode=1 "
			         "active=1",
			         r == 1 ? gid_js : gid_pw, r == 1 ? 1 : 0);
			ck_str(&k, "detail", want);
			break;
		case 3:
			snprintf(actor, sizeof(actor), "fe1 pid=%d uid=%lld",
			         (int)env.fe_pid[0], (long long)uid_fe);
			ck_str(&k, "actor", actor);
			ck_null(&k, "group");
			ck_null(&k, "node");
			snprintf(want, sizeof(want),
			         " as=%lld via=authz-info exp=%lld",
			         (long long)as_id, (long long)tok_exp);
			ck_suffix(&k, "detail", "kid=6a73646576 cti=", want);
			break;
		default:
			snprintf(actor, sizeof(actor), "fe1 pid=%d uid=%lld",
			         (int)env.fe_pid[0], (long long)uid_fe);
			ck_str(&k, "actor", actor);
			ck_str(&k, "group", "js");
			ck_str(&k, "node", d.node);
			snprintf(want, sizeof(want), "roles=6 sid=%s", sid);
			ck_str(&k, "detail", want);
			break;
		}
		ck_done(&k);
	}
	jfree(j);
	/* --limit keeps the newest, still oldest first. */
	j = adm_ok("audit --limit 2");
	assert_int_equal(rows_of(j, "audit"), 2);
	assert_string_equal(jget(row_of(j, "audit", 0), "action")->s,
	                    "token-store");
	assert_string_equal(jget(row_of(j, "audit", 1), "action")->s, "join");
	jfree(j);

	/* ---- db check ---- */
	j = adm_ok("db check");
	assert_int_equal(check_documented(j, "db check"), 2);
	assert_int_equal(rows_of(j, "integrity_check"), 1);
	k = ck_row(row_of(j, "integrity_check", 0), "integrity_check");
	ck_str(&k, "result", "ok");
	ck_done(&k);
	assert_int_equal(rows_of(j, "foreign_key_check"), 0);
	jfree(j);

	/* ---- sql: the columns of the query ---- */
	j = adm_ok_v(sql);
	check_documented(j, "sql");
	assert_int_equal(rows_of(j, "result"), 2);
	for (size_t r = 0; r < 2; r++) {
		k = ck_row(row_of(j, "result", r), "result");
		ck_str(&k, "name", r == 0 ? "js" : "pw");
		ck_int(&k, "num", 0);
		ck_done(&k);
	}
	jfree(j);
}

/* ------------------------------------------------------------------ */
/* 3. kdc-admin sql reads and never writes. */

/* The content of the database as the one allowed kind of statement sees
 * it: the schema, and what every table holds, in one text cell. */
static char *
db_snapshot(void)
{
	static char q[] =
	        "SELECT (SELECT group_concat(type || ':' || name, ',') FROM "
	        "(SELECT type, name FROM sqlite_master ORDER BY name)) || '|' "
	        "|| (SELECT group_concat(name || '=' || num || '/' || "
	        "member_count || '/' || hex(gid), ',') FROM groups) || '|' || "
	        "(SELECT group_concat(node || '/' || hex(sid), ',') FROM "
	        "members) || '|' || (SELECT count(*) FROM tokens) || '|' || "
	        "(SELECT group_concat(name, ',') FROM as_trust) || '|' || "
	        "(SELECT max(id) || '/' || count(*) FROM audit) || '|' || "
	        "(SELECT group_concat(key, ',') FROM meta) AS snapshot";
	char *args[] = {"sql", q, NULL};
	struct jv *j = adm_ok_v(args);
	char *s;

	assert_int_equal(rows_of(j, "result"), 1);
	assert_int_equal(jget(row_of(j, "result", 0), "snapshot")->t, J_STR);
	s = strdup(jget(row_of(j, "result", 0), "snapshot")->s);
	assert_non_null(s);
	jfree(j);
	return s;
}

/* sqlite3 (the CLI, a test dependency) on a database file, read-only;
 * its output without the final newline. */
static void
sqlite_ro(const char *db, const char *sql, char *out, size_t n)
{
	char *argv[] = {"/usr/bin/sqlite3", "-readonly", "-batch", "-noheader",
	                (char *)db,         (char *)sql, NULL};
	struct run *r = calloc(1, sizeof(*r));
	size_t len;

	assert_non_null(r);
	if (run_split(argv, NULL, r, 30000) != 0)
		fail_msg("sqlite3 %s '%s': exit %d\n%s", db, sql, r->code,
		         r->err);
	FITS(snprintf(out, n, "%s", r->out), n);
	len = strlen(out);
	while (len > 0 && out[len - 1] == '\n')
		out[--len] = '\0';
	free(r);
}

static void
test_admin_sql_refuses_writes(void **state)
{
	/* Every kind of write, and a write hidden behind a read. */
	static const char *const writes[] = {
	        "INSERT INTO audit (at, actor, action) VALUES (1, 'x', 'y')",
	        ("INSERT INTO audit (at, actor, action) VALUES (1, 'x', 'y') "
	         "RETURNING id"),
	        "REPLACE INTO meta (key, value) VALUES ('evil', 1)",
	        "UPDATE groups SET num = 99",
	        "DELETE FROM members",
	        "WITH x AS (SELECT 1) DELETE FROM tokens",
	        "DROP TABLE audit",
	        "DROP INDEX tokens_exp",
	        "CREATE TABLE evil (x)",
	        "CREATE TEMP TABLE evil (x)",
	        "CREATE INDEX evil ON groups (num)",
	        "ALTER TABLE groups ADD COLUMN evil",
	        "ATTACH DATABASE '@/evil.db' AS evil",
	        "PRAGMA user_version = 5",
	        "PRAGMA journal_mode = DELETE",
	        "PRAGMA writable_schema = ON",
	        "VACUUM",
	        "VACUUM INTO '@/copy.db'",
	        "REINDEX",
	        "ANALYZE",
	        "BEGIN IMMEDIATE",
	        "SAVEPOINT s",
	        "SELECT 1; DELETE FROM audit",
	        "SELECT 1; UPDATE groups SET num = 99",
	        "SELECT 1; PRAGMA user_version = 5",
	        "DELETE FROM audit; SELECT 1",
	};
	char dbfile[800], q[600], out[4096], file[800];
	char *args[] = {"sql", q, NULL};
	char *before, *after;
	struct h_dev d;
	struct jv *j;
	struct ck k;
	struct stat st;

	(void)state;
	assert_int_equal(h_group_create(&env, "sq", "--rekey-on-join off"), 0);
	join_ok(&d, "sqdev", "sq", 2);
	before = db_snapshot();
	/* The snapshot sees what it must (it can fail). */
	assert_non_null(strstr(before, "table:audit"));
	assert_non_null(strstr(before, "|sq=0/1/"));

	for (size_t i = 0; i < sizeof(writes) / sizeof(writes[0]); i++) {
		const struct jv *e;
		int code;

		const char *at = strchr(writes[i], '@');

		/* '@' stands for the test's folder. */
		if (at != NULL)
			FITS(snprintf(q, sizeof(q), "%.*s%s%s",
			              (int)(at - writes[i]), writes[i], env.dir,
			              at + 1),
			     sizeof(q));
		else
			FITS(snprintf(q, sizeof(q), "%s", writes[i]),
			     sizeof(q));
		code = admin_v(env.conf, &R,
		               (char *[]){"--json", "sql", q, NULL});
		j = json_of(&R, q);
		e = jget(j, "error");
		if (code != 4 || e == NULL || e->t != J_STR ||
		    strncmp(e->s, "refused", 7) != 0)
			fail_msg("sql '%s' was not refused (exit %d): %s", q,
			         code, R.out);
		assert_string_equal(jget(j, "status")->s, "FAILED");
		jfree(j);
	}
	/* Nothing changed, no file was created next to the database. */
	after = db_snapshot();
	assert_string_equal(before, after);
	free(before);
	free(after);
	snprintf(file, sizeof(file), "%s/evil.db", env.dir);
	assert_int_equal(stat(file, &st), -1);
	snprintf(file, sizeof(file), "%s/copy.db", env.dir);
	assert_int_equal(stat(file, &st), -1);
	snprintf(dbfile, sizeof(dbfile), "%s/kdc.sqlite", env.state);
	sqlite_ro(dbfile, "PRAGMA user_version", out, sizeof(out));
	assert_int_equal(strtoll(out, NULL, 10), keystore_schema());
	sqlite_ro(dbfile, "PRAGMA journal_mode", out, sizeof(out));
	assert_string_equal(out, "wal");

	/* A SELECT works; words after "sql" are one statement. */
	j = adm_ok("sql SELECT name, num, member_count FROM groups");
	assert_int_equal(rows_of(j, "result"), 1);
	k = ck_row(row_of(j, "result", 0), "result");
	ck_str(&k, "name", "sq");
	ck_int(&k, "num", 0);
	ck_int(&k, "member_count", 1);
	ck_done(&k);
	jfree(j);
	/* Repeated column names get _2 (kdc-admin.8 OUTPUT). */
	snprintf(q, sizeof(q), "SELECT 1, 1, 'a' AS x, x'00ff' AS b");
	j = adm_ok_v(args);
	k = ck_row(row_of(j, "result", 0), "result");
	ck_int(&k, "1", 1);
	ck_int(&k, "1_2", 1);
	ck_str(&k, "x", "a");
	ck_str(&k, "b", "00ff"); /* bytes as hex */
	ck_done(&k);
	jfree(j);
	/* A query that is not SQL is a usage error, not a refusal. */
	snprintf(q, sizeof(q), "SELEC 1");
	assert_int_equal(
	        admin_v(env.conf, &R, (char *[]){"--json", "sql", q, NULL}), 1);
}

/* ------------------------------------------------------------------ */
/* 4. The documented exit statuses. */

/* kdc-admin.8 EXIT STATUS lists codes 0..6 with these meanings. */
static void
check_exit_status_doc(void)
{
	static const char *const meaning[] = {
	        "success",        "usage error", "not found",
	        "already exists", "refused",     "keystore unreachable",
	        "internal error"};
	char path[1024], *page, *p;

	snprintf(path, sizeof(path), "%s/tools/admin/kdc-admin.8", src_dir());
	page = slurp(path);
	p = strstr(page, "\n.Sh EXIT STATUS\n");
	assert_non_null(p);
	for (int code = 0; code <= 6; code++) {
		char item[16];

		snprintf(item, sizeof(item), "\n.It %d\n", code);
		p = strstr(p, item);
		if (p == NULL)
			fail_msg("kdc-admin.8 does not document exit %d", code);
		p += strlen(item);
		if (strncmp(p, meaning[code], strlen(meaning[code])) != 0)
			fail_msg("kdc-admin.8: exit %d is not '%s'", code,
			         meaning[code]);
	}
	free(page);
}

/* A Unix socket that accepts connections and never answers. */
static int
mute_socket(const char *path)
{
	struct sockaddr_un a;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	memset(&a, 0, sizeof(a));
	a.sun_family = AF_UNIX;
	FITS(snprintf(a.sun_path, sizeof(a.sun_path), "%s", path),
	     sizeof(a.sun_path));
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 8), 0);
	return fd;
}

static void
test_admin_exit_codes(void **state)
{
	char path[800], bad_conf[800], file[800], corrupt[800], conf2[800];
	char text[2048];
	const char *msg;
	struct jv *j;
	int code, fd;
	FILE *f;

	(void)state;
	check_exit_status_doc();
	assert_int_equal(h_group_create(&env, "ex", NULL), 0);

	/* 0 */
	jfree(adm_ok("status"));
	jfree(adm_ok("group show ex"));

	/* 1: usage */
	adm_fail(1, "frob");
	adm_fail(1, "group");
	adm_fail(1, "group show");
	adm_fail(1, "group show ex extra");
	adm_fail(1, "group create x --key-lifetime abc");
	adm_fail(1, "group create x --no-such-option 1");
	adm_fail(1, "group update ex");
	adm_fail(1, "token revoke abc");
	adm_fail(1, "-t x status");
	adm_fail(1, "--bogus status");
	msg = adm_fail(1, "group delete ex");
	assert_non_null(strstr(msg, "--yes"));
	jfree(adm_ok("group show ex")); /* not deleted */
	code = admin_v(env.conf, &R, (char *[]){"--json", NULL});
	assert_int_equal(code, 1);
	jfree(json_of(&R, "no command"));
	snprintf(bad_conf, sizeof(bad_conf), "%s/no-such.conf", env.dir);
	code = admin_v(bad_conf, &R, (char *[]){"--json", "status", NULL});
	assert_int_equal(code, 1);
	j = json_of(&R, "missing config");
	snprintf(text, sizeof(text),
	         "%s: cannot open: No such file or "
	         "directory",
	         bad_conf);
	assert_string_equal(jget(j, "error")->s, text);
	jfree(j);

	/* 2: not found */
	adm_fail(2, "group show nosuch");
	adm_fail(2, "group update nosuch --max-members 3");
	adm_fail(2, "group delete nosuch --yes");
	adm_fail(2, "member list nosuch");
	adm_fail(2, "member show ex nosuch");
	adm_fail(2, "member evict ex nosuch");
	adm_fail(2, "rekey nosuch");
	adm_fail(2, "as remove nosuch");
	adm_fail(2, "token revoke 999999");

	/* 3: already exists */
	adm_fail(3, "group create ex");
	snprintf(file, sizeof(file), "%s/as.cose", env.dir);
	adm_fail(3, "as add dev-as --kind encrypt --alg 10 --key-file %s",
	         file);
	snprintf(file, sizeof(file), "%s/exists.sqlite", env.dir);
	f = fopen(file, "w");
	assert_non_null(f);
	fputs("precious\n", f);
	fclose(f);
	adm_fail(3, "db backup %s", file);
	f = fopen(file, "r");
	assert_non_null(f);
	assert_non_null(fgets(text, sizeof(text), f));
	fclose(f);
	assert_string_equal(text, "precious\n"); /* left alone */

	/* 4: refused */
	msg = adm_fail(4, "sql DELETE FROM groups");
	assert_int_equal(strncmp(msg, "refused", 7), 0);

	/* 5: unreachable — no socket, a socket nobody answers on (bounded by
	 * -t 1), the socket of a keystore that was killed. */
	snprintf(path, sizeof(path), "%s/none.sock", env.dir);
	msg = adm_fail(5, "-s %s status", path);
	assert_non_null(strstr(msg, path));
	snprintf(path, sizeof(path), "%s/mute.sock", env.dir);
	fd = mute_socket(path);
	msg = adm_fail(5, "-t 1 -s %s status", path);
	close(fd);
	assert_non_null(strstr(msg, path));
	h_keystore_stop(&env, SIGKILL);
	msg = adm_fail(5, "status");
	assert_non_null(strstr(msg, "admin.sock"));
	adm_fail(5, "group list");
	/* The db commands work on the file when the keystore is away. */
	j = ADM(&code, "db check");
	assert_int_equal(code, 0);
	assert_non_null(strstr(R.err, "working offline"));
	assert_string_equal(jget(row_of(j, "integrity_check", 0), "result")->s,
	                    "ok");
	jfree(j);

	/* 6: internal — db check of a damaged copy of the database. */
	snprintf(file, sizeof(file), "%s/copy.sqlite", env.dir);
	jfree(adm_ok("db backup %s", file));
	snprintf(corrupt, sizeof(corrupt), "%s/corrupt.sqlite", env.dir);
	{
		struct stat st;
		char *buf;
		FILE *in = fopen(file, "rb"), *out = fopen(corrupt, "wb");

		assert_non_null(in);
		assert_non_null(out);
		assert_int_equal(stat(file, &st), 0);
		assert_true(st.st_size >= 4 * 4096);
		buf = malloc((size_t)st.st_size);
		assert_non_null(buf);
		assert_int_equal(fread(buf, 1, (size_t)st.st_size, in),
		                 (size_t)st.st_size);
		/* Pages 2 and 3 (b-tree pages of the schema's first tables)
		 * overwritten; the header stays valid. */
		memset(buf + 4096, 0x5a, 2 * 4096);
		assert_int_equal(fwrite(buf, 1, (size_t)st.st_size, out),
		                 (size_t)st.st_size);
		free(buf);
		fclose(in);
		fclose(out);
	}
	snprintf(conf2, sizeof(conf2), "%s/corrupt.conf", env.dir);
	f = fopen(conf2, "w");
	assert_non_null(f);
	fprintf(f,
	        "[kdc]\nstate_dir = %s\nruntime_dir = %s\n[keystore]\n"
	        "database = %s\n",
	        env.dir, env.run, corrupt);
	fclose(f);
	code = admin_v(conf2, &R,
	               (char *[]){"--json", "db", "check", "--offline", NULL});
	j = json_of(&R, "db check of a damaged copy");
	assert_int_equal(code, 6);
	assert_string_equal(jget(j, "status")->s, "FAILED");
	jfree(j);
	/* The intact copy checks fine offline. */
	f = fopen(conf2, "w");
	assert_non_null(f);
	fprintf(f,
	        "[kdc]\nstate_dir = %s\nruntime_dir = %s\n[keystore]\n"
	        "database = %s\n",
	        env.dir, env.run, file);
	fclose(f);
	code = admin_v(conf2, &R,
	               (char *[]){"--json", "db", "check", "--offline", NULL});
	j = json_of(&R, "db check of the copy");
	assert_int_equal(code, 0);
	jfree(j);
}

/* ------------------------------------------------------------------ */
/* 5. --check of the configuration, with the line of every problem. */

static void
write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(f), 0);
}

/* prog --check -c conf: exit code, stdout, stderr in *r. */
static int
check_conf(const char *prog, const char *conf, struct run *r)
{
	char bin[1200];
	char *argv[] = {bin, "--check", "-c", (char *)conf, NULL};

	snprintf(bin, sizeof(bin), "%s/%s", bin_dir(), prog);
	return run_split(argv, NULL, r, 30000);
}

static void
test_admin_conf_check(void **state)
{
	static const char *const progs[] = {"keystore/kdc-keystore",
	                                    "frontend/kdc-frontend"};
	char good[800], bad1[800], bad2[800], none[800], shipped[1100];
	char want[4096], text[2048];
	struct run *r = calloc(1, sizeof(*r));
	struct jv *j;

	(void)state;
	assert_non_null(r);
	make_scratch("conf");
	snprintf(good, sizeof(good), "%s/good.conf", scratch);
	snprintf(bad1, sizeof(bad1), "%s/bad1.conf", scratch);
	snprintf(bad2, sizeof(bad2), "%s/bad2.conf", scratch);
	snprintf(none, sizeof(none), "%s/none.conf", scratch);
	snprintf(shipped, sizeof(shipped), "%s/deploy/kdc.conf", src_dir());
	snprintf(text, sizeof(text),
	         "# a working configuration\n"
	         "[kdc]\nstate_dir = %s/state\nruntime_dir = %s/run\n"
	         "log_level = notice\n"
	         "[keystore]\nclock_skew = 10\ncreate_kek = no\n"
	         "[frontend]\nlisten = 127.0.0.1:5683\n"
	         "listen_dtls = [::1]:5684\nreuse_port = no\n",
	         scratch, scratch);
	write_text(good, text);
	/* Lines 5, 6 and 8 are wrong, the others are fine. */
	write_text(bad1, "[kdc]\n"
	                 "state_dir = /var/lib/kdc\n"
	                 "# a comment\n"
	                 "[keystore]\n"
	                 "bogus_key = 1\n"
	                 "clock_skew = lots\n"
	                 "[frontend]\n"
	                 "max_sessions = 0\n"
	                 "listen = 127.0.0.1:5683\n");
	/* Every line but 1 and 5 is wrong. */
	write_text(bad2, "[kdc]\n"
	                 "runtime_dir = relative/run\n"
	                 "[nowhere]\n"
	                 "x = 1\n"
	                 "[frontend]\n"
	                 "reuse_port = maybe\n"
	                 "listen = localhost:5683\n"
	                 "this line has no equals sign\n");

	for (size_t i = 0; i < 2; i++) {
		/* A good file, and the documented example of deploy/. */
		if (check_conf(progs[i], good, r) != 0)
			fail_msg("%s --check %s: exit %d\n%s", progs[i], good,
			         r->code, r->err);
		snprintf(want, sizeof(want), "%s: configuration OK\n", good);
		assert_string_equal(r->out, want);
		assert_string_equal(r->err, "");
		if (check_conf(progs[i], shipped, r) != 0)
			fail_msg("%s --check %s: exit %d\n%s", progs[i],
			         shipped, r->code, r->err);

		assert_int_equal(check_conf(progs[i], bad1, r), 1);
		snprintf(want, sizeof(want),
		         "%s:5: unknown key 'bogus_key' in [keystore]\n"
		         "%s:6: 'clock_skew' must be an integer in 0..3600\n"
		         "%s:8: 'max_sessions' must be an integer in "
		         "1..1000000\n",
		         bad1, bad1, bad1);
		assert_string_equal(r->err, want);
		assert_string_equal(r->out, "");

		assert_int_equal(check_conf(progs[i], bad2, r), 1);
		FITS(snprintf(want, sizeof(want),
		              "%s:2: 'runtime_dir' must be an absolute path\n"
		              "%s:3: unknown section [nowhere]\n"
		              "%s:4: 'x' outside of a known section\n"
		              "%s:6: 'reuse_port' must be yes or no, not "
		              "'maybe'\n"
		              "%s:7: 'listen' must be ADDRESS:PORT or "
		              "[ADDRESS]:PORT with a numeric address\n"
		              "%s:8: expected 'key = value' or '[section]'\n",
		              bad2, bad2, bad2, bad2, bad2, bad2),
		     sizeof(want));
		assert_string_equal(r->err, want);

		assert_int_equal(check_conf(progs[i], none, r), 1);
		snprintf(want, sizeof(want),
		         "%s: cannot open: No such file or directory\n", none);
		assert_string_equal(r->err, want);
	}
	/* kdc-admin reads the same file and says the same. */
	assert_int_equal(admin_v(bad1, r, (char *[]){"--json", "status", NULL}),
	                 1);
	j = json_of(r, "kdc-admin -c bad1.conf");
	snprintf(want, sizeof(want),
	         "%s:5: unknown key 'bogus_key' in [keystore]\n"
	         "%s:6: 'clock_skew' must be an integer in 0..3600\n"
	         "%s:8: 'max_sessions' must be an integer in 1..1000000",
	         bad1, bad1, bad1);
	assert_string_equal(jget(j, "error")->s, want);
	jfree(j);
	free(r);
}

/* ------------------------------------------------------------------ */
/* 6. db backup while the keystore is being written to. */

/* The write load: a child process creates groups and joins a device to
 * each, writing a byte to progress_fd after every round, until stop_fd
 * becomes readable, LOAD_MAX rounds or LOAD_SECS seconds. */
#define LOAD_MAX  80
#define LOAD_SECS 25

static void __attribute__((noreturn)) load_child(int progress_fd, int stop_fd)
{
	struct timespec t0, t;

	/* Never outlive the test. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < LOAD_MAX; i++) {
		struct pollfd p = {stop_fd, POLLIN, 0};
		char name[32], scope[48], kid[32], out[4096];
		struct h_dev d;
		struct h_coap c;

		clock_gettime(CLOCK_MONOTONIC, &t);
		if (poll(&p, 1, 0) != 0 || t.tv_sec - t0.tv_sec > LOAD_SECS)
			break;
		snprintf(name, sizeof(name), "load%d", i);
		snprintf(scope, sizeof(scope), "load%d:2", i);
		snprintf(kid, sizeof(kid), "load-dev-%d", i);
		if (h_admin(&env, out, sizeof(out),
		            "group create %s --rekey-on-join off", name) != 0)
			_exit(2);
		if (h_dev_token(&env, &d, kid, scope, 600) != 0)
			_exit(3);
		if (h_dev_join(&env, &d, name, 2, &c) != 0 || c.code != 201)
			_exit(4);
		h_coap_free(&c);
		if (write(progress_fd, "+", 1) != 1)
			_exit(5);
	}
	_exit(0);
}

/* Read progress bytes until *have >= want (bounded: 30 s). */
static void
wait_progress(int fd, int *have, int want)
{
	for (int waited = 0; *have < want && waited < 30000; waited += 100) {
		struct pollfd p = {fd, POLLIN, 0};
		char buf[64];
		ssize_t n;

		if (poll(&p, 1, 100) <= 0)
			continue;
		n = read(fd, buf, sizeof(buf));
		if (n <= 0)
			break; /* the child is gone */
		*have += (int)n;
	}
	if (*have < want)
		fail_msg("the write load made %d rounds, %d expected", *have,
		         want);
}

struct snap {
	long long groups, members, bad_counts, creates, joins, tokens,
	        token_stores;
};

/* A backup is a healthy database whose rows agree with each other the
 * way only a consistent snapshot can: member counters with members,
 * groups with their creation audit rows, members with their join rows,
 * tokens with their receipt rows (each pair is written in one
 * transaction). */
static struct snap
check_backup(const char *file)
{
	static const char q[] =
	        "SELECT (SELECT count(*) FROM groups), (SELECT count(*) FROM "
	        "members), (SELECT count(*) FROM groups g WHERE g.member_count "
	        "<> (SELECT count(*) FROM members m WHERE m.group_id = g.id)), "
	        "(SELECT count(*) FROM audit WHERE action = 'group-create') - "
	        "(SELECT count(*) FROM audit WHERE action = 'group-delete'), "
	        "(SELECT count(*) FROM audit WHERE action = 'join'), (SELECT "
	        "count(*) FROM tokens), (SELECT count(*) FROM audit WHERE "
	        "action = 'token-store')";
	char out[4096];
	struct snap s;
	struct stat st;

	assert_int_equal(stat(file, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	sqlite_ro(file, "PRAGMA integrity_check", out, sizeof(out));
	assert_string_equal(out, "ok");
	sqlite_ro(file, "PRAGMA foreign_key_check", out, sizeof(out));
	assert_string_equal(out, "");
	sqlite_ro(file, q, out, sizeof(out));
	if (sscanf(out, "%lld|%lld|%lld|%lld|%lld|%lld|%lld", &s.groups,
	           &s.members, &s.bad_counts, &s.creates, &s.joins, &s.tokens,
	           &s.token_stores) != 7)
		fail_msg("%s: unexpected answer '%s'", file, out);
	if (s.bad_counts != 0 || s.groups != s.creates ||
	    s.members != s.joins || s.tokens != s.token_stores)
		fail_msg("%s is not a consistent snapshot: %s", file, out);
	/* A round is a group, then its member. */
	assert_true(s.members == s.groups || s.members == s.groups - 1);
	return s;
}

/* The file matches the size and SHA-256 kdc-admin reported. */
static void
check_backup_result(const struct jv *j, const char *file)
{
	uint8_t h[32], *buf;
	char hex[65];
	struct ck k;
	struct stat st;
	FILE *f = fopen(file, "rb");

	assert_non_null(f);
	assert_int_equal(stat(file, &st), 0);
	assert_true(st.st_size > 0 && st.st_size < 64 * 1024 * 1024);
	buf = malloc((size_t)st.st_size);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)st.st_size, f),
	                 (size_t)st.st_size);
	fclose(f);
	kdc_sha256(buf, (size_t)st.st_size, h);
	free(buf);
	check_documented(j, "db backup");
	k = ck_row(row_of(j, "backup", 0), "backup");
	ck_int(&k, "bytes", (int64_t)st.st_size);
	ck_str(&k, "sha256", hexs(h, 32, hex, sizeof(hex)));
	ck_int(&k, "schema_version", keystore_schema());
	ck_range(&k, "created_at", now_s() - 60, now_s() + 1);
	ck_done(&k);
}

static void
test_admin_backup_under_load(void **state)
{
	char file[3][800], off[800];
	struct snap b[3], fin, o;
	int prog[2], stop[2], have = 0, status = -1, code;
	struct jv *j;

	(void)state;
	make_scratch("backup");
	assert_int_equal(pipe(prog), 0);
	assert_int_equal(pipe(stop), 0);
	load_pid = fork();
	assert_true(load_pid >= 0);
	if (load_pid == 0) {
		close(prog[0]);
		close(stop[1]);
		load_child(prog[1], stop[0]);
	}
	close(prog[1]);
	close(stop[0]);

	/* Three backups while rounds go on before, between and after. */
	wait_progress(prog[0], &have, 3);
	for (int i = 0; i < 3; i++) {
		snprintf(file[i], sizeof(file[i]), "%s/b%d.sqlite", scratch, i);
		j = adm_ok("db backup %s", file[i]);
		check_backup_result(j, file[i]);
		jfree(j);
		wait_progress(prog[0], &have, have + 2);
	}
	assert_int_equal(write(stop[1], "!", 1), 1);
	for (int i = 0; i < 300; i++) {
		if (waitpid(load_pid, &status, WNOHANG) == load_pid) {
			load_pid = 0;
			break;
		}
		h_msleep(100);
	}
	assert_int_equal(load_pid, 0);
	/* The rounds finished after the last one waited for. */
	wait_progress(prog[0], &have, have);
	for (;;) {
		char buf[64];
		ssize_t n = read(prog[0], buf, sizeof(buf));

		if (n <= 0)
			break;
		have += (int)n;
	}
	close(prog[0]);
	close(stop[1]);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("the write load failed (status %d)", status);

	for (int i = 0; i < 3; i++)
		b[i] = check_backup(file[i]);
	/* Snapshots in order, none empty, none of the final state: writes
	 * happened before, between and after them. */
	assert_true(b[0].groups >= 3 && b[0].members >= 3);
	assert_true(b[0].groups < b[1].groups && b[1].groups < b[2].groups);

	/* The live database agrees, and checks fine online. */
	j = adm_ok("db check");
	assert_string_equal(jget(row_of(j, "integrity_check", 0), "result")->s,
	                    "ok");
	assert_int_equal(rows_of(j, "foreign_key_check"), 0);
	jfree(j);
	j = adm_ok("sql SELECT count(*) AS g FROM groups");
	fin.groups = jget(row_of(j, "result", 0), "g")->i;
	jfree(j);
	assert_true(b[2].groups < fin.groups);
	assert_int_equal(fin.groups, have);

	/* Offline: the keystore stopped, the file is copied read-only. */
	h_keystore_stop(&env, SIGTERM);
	snprintf(off, sizeof(off), "%s/offline.sqlite", scratch);
	j = ADM(&code, "db backup %s", off);
	assert_int_equal(code, 0);
	assert_non_null(strstr(R.err, "working offline"));
	check_backup_result(j, off);
	jfree(j);
	o = check_backup(off);
	assert_int_equal(o.groups, fin.groups);
	assert_int_equal(o.members, fin.groups);
	adm_fail(3, "db backup --offline %s", off);
	j = ADM(&code, "db check --offline");
	assert_int_equal(code, 0);
	assert_string_equal(jget(row_of(j, "integrity_check", 0), "result")->s,
	                    "ok");
	jfree(j);
}

/* Peak resident memory of a process (VmHWM), KiB; -1 if unknown. */
static long
peak_kib(pid_t pid)
{
	char path[64], line[256];
	long kib = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "VmHWM:", 6) == 0)
			kib = strtol(line + 6, NULL, 10);
	fclose(f);
	return kib;
}

/* 6b. A database several times the backup's window (8 MiB) is streamed
 * paced by the admin's connection: the copy is whole (kdc-admin checks
 * its size and SHA-256, the rows are all there), and the keystore's peak
 * memory does not grow with the database. */
static void
test_admin_backup_large_paced(void **state)
{
	char db[800], file[800], out[256];
	char *argv[] = {"/usr/bin/sqlite3", "-batch", db,
	                "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + "
	                "1 FROM c WHERE x < 48000) INSERT INTO audit (at, "
	                "actor, action, detail) SELECT 0, 'test', 'filler', "
	                "hex(randomblob(512)) FROM c",
	                NULL};
	struct run *r = calloc(1, sizeof(*r));
	long before, after;
	struct jv *j;

	(void)state;
	assert_non_null(r);
	make_scratch("bigbackup");
	FITS(snprintf(db, sizeof(db), "%s/kdc.sqlite", env.state), sizeof(db));
	FITS(snprintf(file, sizeof(file), "%s/big.sqlite", scratch),
	     sizeof(file));
	/* 48,000 audit rows of 1 KiB (about 50 MiB), written while the
	 * keystore is stopped.  Under ASan, freed memory is reused at once
	 * (no quarantine) so that the peak shows what is held, not what
	 * was ever allocated. */
	h_keystore_stop(&env, SIGTERM);
	if (run_split(argv, NULL, r, 60000) != 0)
		fail_msg("sqlite3: exit %d\n%s", r->code, r->err);
	free(r);
	setenv("ASAN_OPTIONS",
	       "detect_leaks=1:abort_on_error=1:quarantine_size_mb=0", 1);
	assert_int_equal(h_keystore_start(&env), 0);
	before = peak_kib(env.ks_pid);
	assert_true(before > 0);

	j = adm_ok("db backup %s", file);
	assert_true(jget(row_of(j, "backup", 0), "bytes")->i >
	            (int64_t)48 * 1024 * 1024);
	jfree(j);
	sqlite_ro(file, "SELECT count(*) FROM audit WHERE action = 'filler'",
	          out, sizeof(out));
	assert_string_equal(out, "48000");
	after = peak_kib(env.ks_pid);
	/* Held whole, the copy alone would add 50 MiB (twice: queued
	 * answers and the connection's buffer). */
	if (after - before > 24 * 1024)
		fail_msg("the keystore's peak grew by %ld KiB during the "
		         "backup",
		         after - before);
}

/* ------------------------------------------------------------------ */
/* 7. Tokens and Authorization Servers. */

static void
test_admin_token_revoke(void **state)
{
	struct h_dev d, keep;
	struct h_obs o;
	struct h_coap c, n[8];
	struct jv *j;
	int64_t id = 0;
	int cnt;

	(void)state;
	assert_int_equal(h_group_create(&env, "tk", "--rekey-on-join off"), 0);
	join_ok(&d, "tkdev", "tk", 6);
	join_ok(&keep, "tkkeep", "tk", 2);
	j = adm_ok("token list");
	assert_int_equal(rows_of(j, "tokens"), 2);
	for (size_t r = 0; r < 2; r++)
		if (strcmp(jget(row_of(j, "tokens", r), "kid")->s,
		           "746b646576") == 0) /* "tkdev" */
			id = jget(row_of(j, "tokens", r), "id")->i;
	assert_true(id > 0);
	jfree(j);

	/* The device watches its group over its DTLS session. */
	assert_int_equal(h_observe_start(&env, &d, "ace-group/tk", 20, &o), 0);
	assert_true(h_observe_wait(&o, 1, 10000) >= 1);

	j = adm_ok("token revoke %lld", (long long)id);
	check_documented(j, "token revoke");
	jfree(j);

	/* RFC 9200 §5.10.3: what the token authorised ends with 4.01. */
	h_observe_wait(&o, 2, 10000);
	cnt = h_observe_stop(&o, n, 8);
	assert_true(cnt >= 2);
	h_assert_code(&n[0], 205);
	h_assert_code(&n[cnt - 1], 401);
	for (int i = 0; i < cnt; i++)
		h_coap_free(&n[i]);
	/* Its key opens no new DTLS session (the PSK is unknown: alert 40,
	 * no CoAP answer at all), so it can neither read nor join. */
	dtls_get(&d, "ace-group/tk", &c);
	assert_int_equal(c.code, 0);
	assert_non_null(strstr(c.raw, "Alert '40'"));
	h_coap_free(&c);
	assert_int_equal(h_dev_join(&env, &d, "tk", 6, &c), -1);
	assert_int_equal(c.code, 0);
	h_coap_free(&c);
	/* Gone from the lists; the other device is untouched. */
	j = adm_ok("token list");
	assert_int_equal(rows_of(j, "tokens"), 1);
	assert_string_equal(jget(row_of(j, "tokens", 0), "kid")->s,
	                    "746b6b656570"); /* "tkkeep" */
	jfree(j);
	j = adm_ok("member list tk");
	assert_int_equal(rows_of(j, "members"), 1);
	assert_string_equal(jget(row_of(j, "members", 0), "node")->s,
	                    keep.node);
	jfree(j);
	dtls_get(&keep, "ace-group/tk/num", &c);
	h_assert_code(&c, 205);
	h_coap_free(&c);
	/* Audited; a second revocation finds nothing. */
	j = adm_ok("audit --action token-revoke");
	assert_int_equal(rows_of(j, "audit"), 1);
	assert_true(strncmp(jget(row_of(j, "audit", 0), "detail")->s,
	                    "token=", 6) == 0);
	assert_int_equal(
	        strtoll(jget(row_of(j, "audit", 0), "detail")->s + 6, NULL, 10),
	        id);
	jfree(j);
	adm_fail(2, "token revoke %lld", (long long)id);
	adm_fail(1, "token revoke 0");
}

/* POST /authz-info with a token of the key in e->as_key. */
static int
post_token(struct h_dev *d, const char *kid, const char *scope)
{
	struct h_token t = {.kid = kid,
	                    .key = "0123456789abcdef",
	                    .scope = scope,
	                    .lifetime = 600};
	struct h_req r = {0};
	struct h_coap c;
	uint8_t *tok, *body;
	size_t tl, bl;
	int code;

	(void)d;
	assert_int_equal(h_mint(&env, &t, &tok, &tl), 0);
	assert_int_equal(h_ace_cbor(tok, tl, false, false, false, &body, &bl),
	                 0);
	r.method = "post";
	r.path = "authz-info";
	r.cf = KDC_CF_ACE_CBOR;
	r.accept = -1;
	r.payload = body;
	r.len = bl;
	h_coap(&env, &r, &c);
	code = c.code;
	h_coap_free(&c);
	free(tok);
	free(body);
	return code;
}

static void
test_admin_as_add_remove(void **state)
{
	struct kdc_cose_key dev_key = env.as_key, as2;
	char hex[40], mac[80], fpr[17], args[600];
	struct h_dev d, keep;
	struct jv *j;
	struct ck k;
	int64_t t0 = now_s();
	uint8_t mk[32];

	(void)state;
	assert_int_equal(h_group_create(&env, "ak", "--rekey-on-join off"), 0);
	/* A second AS (raw key given inline) and a third with a kid and an
	 * issuer, never used. */
	memset(&as2, 0, sizeof(as2));
	as2.kty = KDC_KTY_SYMMETRIC;
	as2.k_len = 16;
	kdc_random(as2.k, 16);
	as2.alg = KDC_ALG_AES_CCM_16_64_128;
	as2.has_alg = true;
	hexs(as2.k, 16, hex, sizeof(hex));
	j = adm_ok("as add as2 --kind encrypt --alg AES-CCM-16-64-128 "
	           "--key-hex %s --audience %s",
	           hex, env.audience);
	check_documented(j, "as add");
	jfree(j);
	kdc_random(mk, sizeof(mk));
	snprintf(args, sizeof(args),
	         "as add as3 --kind mac --alg 5 --key-hex %s --kid as3-kid "
	         "--issuer https://as3.example",
	         hexs(mk, sizeof(mk), mac, sizeof(mac)));
	jfree(adm_ok("%s", args));

	j = adm_ok("as list");
	check_documented(j, "as list");
	assert_int_equal(rows_of(j, "as"), 3);
	assert_string_equal(jget(row_of(j, "as", 0), "name")->s, "dev-as");
	k = ck_row(row_of(j, "as", 1), "as2");
	ck_range(&k, "id", jget(row_of(j, "as", 0), "id")->i + 1, INT64_MAX);
	ck_str(&k, "name", "as2");
	ck_str(&k, "kind", "encrypt");
	ck_str(&k, "alg", "AES-CCM-16-64-128");
	ck_null(&k, "kid");
	ck_null(&k, "issuer");
	ck_str(&k, "audience", env.audience);
	sym_fingerprint(&as2, fpr);
	ck_str(&k, "fingerprint", fpr);
	ck_bool(&k, "psk_derivation", false);
	ck_range(&k, "created_at", t0 - 1, now_s() + 1);
	ck_done(&k);
	k = ck_row(row_of(j, "as", 2), "as3");
	ck_range(&k, "id", jget(row_of(j, "as", 1), "id")->i + 1, INT64_MAX);
	ck_str(&k, "name", "as3");
	ck_str(&k, "kind", "mac");
	ck_str(&k, "alg", "HMAC-256/256");
	ck_str(&k, "kid", "6173332d6b6964"); /* "as3-kid" */
	ck_str(&k, "issuer", "https://as3.example");
	ck_str(&k, "audience", "kdc-test"); /* default_audience */
	ck_hex(&k, "fingerprint", 8);
	ck_bool(&k, "psk_derivation", false);
	ck_range(&k, "created_at", t0 - 1, now_s() + 1);
	ck_done(&k);
	jfree(j);

	/* A device of as2 and one of the development AS join. */
	env.as_key = as2;
	join_ok(&d, "as2dev", "ak", 2);
	env.as_key = dev_key;
	join_ok(&keep, "devdev", "ak", 2);
	j = adm_ok("token list");
	assert_int_equal(rows_of(j, "tokens"), 2);
	jfree(j);

	/* Removing as2 ends its tokens and their memberships. */
	j = adm_ok("as remove as2");
	check_documented(j, "as remove");
	jfree(j);
	j = adm_ok("as list");
	assert_int_equal(rows_of(j, "as"), 2);
	assert_string_equal(jget(row_of(j, "as", 0), "name")->s, "dev-as");
	assert_string_equal(jget(row_of(j, "as", 1), "name")->s, "as3");
	jfree(j);
	j = adm_ok("token list");
	assert_int_equal(rows_of(j, "tokens"), 1);
	assert_string_equal(jget(row_of(j, "tokens", 0), "kid")->s,
	                    "646576646576"); /* "devdev" */
	jfree(j);
	j = adm_ok("member list ak");
	assert_int_equal(rows_of(j, "members"), 1);
	assert_string_equal(jget(row_of(j, "members", 0), "node")->s,
	                    keep.node);
	jfree(j);
	j = adm_ok("audit --action as-remove");
	assert_int_equal(rows_of(j, "audit"), 1);
	assert_string_equal(jget(row_of(j, "audit", 0), "detail")->s,
	                    "as=as2 tokens_revoked=1");
	jfree(j);

	/* Its tokens are refused at /authz-info: RFC 9200 §5.10.1.1, an
	 * issuer the KDC does not trust is 4.01; the development AS's are
	 * still taken. */
	env.as_key = as2;
	assert_int_equal(post_token(&d, "as2dev2", "ak:2"), 401);
	env.as_key = dev_key;
	assert_int_equal(post_token(&d, "devdev2", "ak:2"), 201);
	adm_fail(2, "as remove as2");
	kdc_cose_key_wipe(&as2);
}

/* ------------------------------------------------------------------ */
/* 8. README command 1 (scripts/demo.sh) and the two lines it prints. */

/* sh -c cmd in a process group of its own (so that a "Ctrl-C" reaches all
 * it starts), stdout and stderr into out_path. */
static pid_t
spawn_group(const char *cmd, const char *out_path)
{
	/* Emptied here, before the fork: a reader must never see the text
	 * of an earlier run. */
	int fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	pid_t pid;

	assert_true(fd >= 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		setpgid(0, 0);
		if (dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
			_exit(127);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	setpgid(pid, pid);
	close(fd);
	return pid;
}

/* Wait (bounded) until the file holds needle; its text in buf either way. */
static bool
wait_text(const char *path, const char *needle, int ms, char *buf, size_t n)
{
	for (int waited = 0;; waited += 100) {
		FILE *f = fopen(path, "r");
		size_t got = 0;

		if (f != NULL) {
			got = fread(buf, 1, n - 1, f);
			fclose(f);
		}
		buf[got] = '\0';
		if (strstr(buf, needle) != NULL)
			return true;
		if (waited >= ms)
			return false;
		h_msleep(100);
	}
}

/* The k-th printed line that runs kdc-client (indented by two spaces). */
static void
printed_line(const char *text, int k, char *out, size_t n)
{
	const char *p = text;

	while ((p = strstr(p, "\n  ")) != NULL) {
		const char *e = strchr(p + 3, '\n');
		size_t len = e != NULL ? (size_t)(e - p - 3) : strlen(p + 3);

		if (len < n && memmem(p + 3, len, "kdc-client", 10) != NULL &&
		    k-- == 0) {
			memcpy(out, p + 3, len);
			out[len] = '\0';
			return;
		}
		p += 3;
	}
	fail_msg("the demo did not print kdc-client line %d:\n%s", k, text);
}

/* "Ctrl-C": SIGINT to the demo's process group; its exit status. */
static int
demo_interrupt(void)
{
	pid_t pid = demo_pgid;
	int st = 0;

	kill(-pid, SIGINT);
	for (int i = 0; i < 300; i++) {
		if (waitpid(pid, &st, WNOHANG) == pid) {
			demo_pgid = 0;
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
		}
		h_msleep(50);
	}
	fail_msg("the demo did not stop within 15 s of Ctrl-C");
	return -1;
}

/* Start the demo on port with its state under the scratch folder; the text
 * it printed once ready in buf. */
static void
demo_start(uint16_t port, const char *out_path, char *buf, size_t n)
{
	char cmd[2400];

	FITS(snprintf(cmd, sizeof(cmd),
	              "KDC_BUILD_DIR='%s' KDC_DEMO_STATE='%s/state' "
	              "KDC_DEMO_PORT=%u exec sh '%s/scripts/demo.sh'",
	              bin_dir(), scratch, port, src_dir()),
	     sizeof(cmd));
	demo_pgid = spawn_group(cmd, out_path);
	/* The last printed line names dev2. */
	if (!wait_text(out_path, "--psk-kid dev2", 60000, buf, n))
		fail_msg("the demo did not print its lines:\n%s", buf);
	h_msleep(200); /* the rest of the line */
	assert_true(wait_text(out_path, "--psk-kid dev2", 0, buf, n));
}

static void
test_admin_demo_readme_command1(void **state)
{
	static char buf[16384], obs[16384];
	char line1[2048], line2[2048], cmd[2400], out[900], c1[900], c2[900];
	uint16_t port = h_pick_ports();

	(void)state;
	assert_true(port != 0);
	make_scratch("demo");
	FITS(snprintf(out, sizeof(out), "%s/demo.out", scratch), sizeof(out));
	FITS(snprintf(c1, sizeof(c1), "%s/dev1.out", scratch), sizeof(c1));
	FITS(snprintf(c2, sizeof(c2), "%s/dev2.out", scratch), sizeof(c2));

	demo_start(port, out, buf, sizeof(buf));
	printed_line(buf, 0, line1, sizeof(line1));
	printed_line(buf, 1, line2, sizeof(line2));

	/* The first line: dev1 joins and observes the group. */
	client_pgid = spawn_group(line1, c1);
	if (!wait_text(c1, "joined group demo", 20000, obs, sizeof(obs)))
		fail_msg("dev1 did not join:\n%s", obs);
	/* The second line: dev2 joins; dev1 sees the rekeying its join
	 * caused (the demo group rekeys on joins). */
	FITS(snprintf(cmd, sizeof(cmd), "(%s) >'%s' 2>&1", line2, c2),
	     sizeof(cmd));
	if (system(cmd) != 0 ||
	    !wait_text(c2, "joined group demo", 0, obs, sizeof(obs)))
		fail_msg("dev2 did not join:\n%s", obs);
	if (!wait_text(c1, "rekeyed group demo", 20000, obs, sizeof(obs)))
		fail_msg("dev1 saw no rekeying:\n%s", obs);
	stop_group(&client_pgid);

	/* Ctrl-C stops everything cleanly. */
	assert_int_equal(demo_interrupt(), 0);
	assert_true(wait_text(out, "demo stopped (state kept in", 0, buf,
	                      sizeof(buf)));

	/* Run again: the state (AS key, group, members) is reused, and the
	 * same line works. */
	demo_start(port, out, buf, sizeof(buf));
	printed_line(buf, 1, cmd, sizeof(cmd));
	assert_string_equal(cmd, line2);
	FITS(snprintf(cmd, sizeof(cmd), "(%s) >'%s' 2>&1", line2, c2),
	     sizeof(cmd));
	if (system(cmd) != 0 ||
	    !wait_text(c2, "joined group demo", 0, obs, sizeof(obs)))
		fail_msg("dev2 did not join again:\n%s", obs);
	assert_int_equal(demo_interrupt(), 0);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_admin_group_member_evict,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(test_admin_json_fields, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_admin_sql_refuses_writes,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(test_admin_exit_codes, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_admin_conf_check, NULL,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_admin_backup_under_load,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(test_admin_backup_large_paced,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(test_admin_token_revoke, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_admin_demo_readme_command1,
	                                        NULL, teardown),
	        cmocka_unit_test_setup_teardown(test_admin_as_add_remove, setup,
	                                        teardown),
	};

	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	return cmocka_run_group_tests_name("e2e_admin", tests, NULL, NULL);
}
