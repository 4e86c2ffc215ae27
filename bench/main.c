/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kdc-bench — benchmarks of the KDC against libcoap's own server
 * (docs/BENCHMARKS.md).
 *
 *   kdc-bench [--build DIR] [--smoke] [--secs S] [--only LIST]
 *             [--log-level LEVEL] [--conc C] [--sessions S] [--window W]
 *             [--s4 N,N,..] [--s5 N,N,..] [--s5-joins N] [--keep]
 *
 * Prints one "BENCH key=value ..." line per scenario run (throughput,
 * p50/p99 latency, errors, peak RSS of every process under test, ratio to
 * the ceiling measured in the same run), then a table and the targets.
 * Exit status 0 when every scenario ran (targets are reported, not
 * asserted), 1 on a usage error, 2 when a scenario could not run.
 */
#include "bench.h"

#include "crypto.h"

#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

/* ---- time, statistics, logging ---- */

uint64_t
b_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void
b_lat_init(struct b_lat *l, size_t cap)
{
	l->n = 0;
	l->cap = cap;
	l->v = malloc((cap ? cap : 1) * sizeof(*l->v));
	if (l->v == NULL)
		l->cap = 0;
}

void
b_lat_add(struct b_lat *l, uint64_t ns)
{
	if (l->n < l->cap)
		l->v[l->n++] = ns;
}

void
b_lat_free(struct b_lat *l)
{
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

double
b_lat_pct_ms(struct b_lat *l, double p)
{
	size_t i;

	if (l->n == 0)
		return -1;
	qsort(l->v, l->n, sizeof(*l->v), cmp_u64);
	/* Nearest rank. */
	i = (size_t)(p / 100.0 * (double)l->n + 0.999999);
	if (i > 0)
		i--;
	if (i >= l->n)
		i = l->n - 1;
	return (double)l->v[i] / 1e6;
}

static uint64_t t_start;

void
b_log(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "[%7.1f s] ", (double)(b_now_ns() - t_start) / 1e9);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* ---- results ---- */

#define MAX_RESULTS 64
static struct b_result results[MAX_RESULTS];
static size_t nresults;

static void
print_result(const struct b_result *r)
{
	printf("BENCH scenario=%s name=%s system=%s fe=%d params=%s ops=%llu "
	       "errors=%llu secs=%.3f ops_per_s=%.1f p50_ms=%.3f p99_ms=%.3f "
	       "rss_ks_kib=%ld rss_fe1_kib=%ld rss_fe2_kib=%ld "
	       "rss_ceiling_kib=%ld ratio=%.3f",
	       r->scenario, r->name, r->system, r->frontends, r->params,
	       (unsigned long long)r->ops, (unsigned long long)r->errors,
	       r->secs, r->ops_per_s, r->p50_ms, r->p99_ms, r->rss_ks_kib,
	       r->rss_fe_kib[0], r->rss_fe_kib[1], r->rss_ceil_kib, r->ratio);
	if (strcmp(r->scenario, "S4") == 0)
		printf(" last_ms=%.3f", r->value_ms);
	if (r->members > 0)
		printf(" members=%lld", r->members);
	if (r->extra[0] != '\0')
		printf(" %s", r->extra);
	if (r->probe[0] != '\0')
		printf(" %s", r->probe);
	printf("\n");
	fflush(stdout);
}

static struct b_result *
add_result(const struct b_result *r)
{
	if (nresults >= MAX_RESULTS)
		return NULL;
	results[nresults] = *r;
	print_result(&results[nresults]);
	return &results[nresults++];
}

static const struct b_result *
find(const char *scen, const char *system, int fe, const char *params)
{
	for (size_t i = 0; i < nresults; i++) {
		const struct b_result *r = &results[i];

		if (strcmp(r->scenario, scen) == 0 &&
		    strcmp(r->system, system) == 0 &&
		    (fe < 0 || r->frontends == fe) &&
		    (params == NULL || strcmp(r->params, params) == 0))
			return r;
	}
	return NULL;
}

static void
rss_cell(char *buf, size_t n, const struct b_result *r)
{
	if (strcmp(r->system, "ceiling") == 0)
		snprintf(buf, n, "server %.1f", r->rss_ceil_kib / 1024.0);
	else if (r->rss_fe_kib[1] > 0)
		snprintf(buf, n, "ks %.1f, fe %.1f + %.1f",
		         r->rss_ks_kib / 1024.0, r->rss_fe_kib[0] / 1024.0,
		         r->rss_fe_kib[1] / 1024.0);
	else
		snprintf(buf, n, "ks %.1f, fe %.1f", r->rss_ks_kib / 1024.0,
		         r->rss_fe_kib[0] / 1024.0);
}

static void
print_table(void)
{
	printf("\n| Scenario | System | FE | Parameters | ops | errors | "
	       "ops/s | p50 ms | p99 ms | ratio | peak RSS MiB |\n");
	printf("|---|---|---|---|---|---|---|---|---|---|---|\n");
	for (size_t i = 0; i < nresults; i++) {
		const struct b_result *r = &results[i];
		char rss[96], ratio[16];

		rss_cell(rss, sizeof(rss), r);
		if (r->ratio > 0)
			snprintf(ratio, sizeof(ratio), "%.2f", r->ratio);
		else
			snprintf(ratio, sizeof(ratio), "-");
		printf("| %s %s | %s | %d | %s | %llu | %llu | %.0f | %.2f | "
		       "%.2f | %s | %s |\n",
		       r->scenario, r->name, r->system, r->frontends, r->params,
		       (unsigned long long)r->ops,
		       (unsigned long long)r->errors, r->ops_per_s, r->p50_ms,
		       r->p99_ms, ratio, rss);
	}
}

static void target(const char *what, bool have, bool met, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

static void
target(const char *what, bool have, bool met, const char *fmt, ...)
{
	va_list ap;

	printf("TARGET %s: %s (", what,
	       !have ? "not measured"
	       : met ? "met"
	             : "MISSED");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf(")\n");
}

static void
print_targets(const struct b_cfg *c)
{
	const struct b_result *r, *r2, *small = NULL, *big = NULL;
	char p[32];

	printf("\n");
	r = find("S1", "kdc", 1, NULL);
	target("S1 admission >= 0.6x ceiling", r != NULL,
	       r != NULL && r->ratio >= 0.6, "%.2f", r ? r->ratio : 0);
	r = find("S2", "kdc", 1, NULL);
	target("S2 re-join >= 0.3x ceiling, durable", r != NULL,
	       r != NULL && r->ratio >= 0.3, "%.2f", r ? r->ratio : 0);
	r = find("S3", "kdc", 1, NULL);
	target("S3 reads >= 0.6x ceiling", r != NULL,
	       r != NULL && r->ratio >= 0.6, "%.2f", r ? r->ratio : 0);
	snprintf(p, sizeof(p), "n%u",
	         c->s4_nsizes ? c->s4_sizes[c->s4_nsizes - 1] : 0);
	r = find("S4", "kdc", -1, p);
	target("S4 all observers notified < 1 s", r != NULL,
	       r != NULL && r->errors == 0 && r->value_ms >= 0 &&
	               r->value_ms < 1000,
	       "%s: %.0f ms, %llu missed", p, r ? r->value_ms : 0,
	       r ? (unsigned long long)r->errors : 0ULL);
	for (size_t i = 0; i < nresults; i++) {
		if (strcmp(results[i].scenario, "S5") != 0)
			continue;
		if (small == NULL || results[i].members < small->members)
			small = &results[i];
		if (big == NULL || results[i].members > big->members)
			big = &results[i];
	}
	target("S5 p99 join at largest <= 2x smallest",
	       small != NULL && big != NULL && big != small,
	       small && big && big->p99_ms <= 2 * small->p99_ms,
	       "%.3f ms at %lld vs %.3f ms at %lld", big ? big->p99_ms : 0,
	       big ? big->members : 0, small ? small->p99_ms : 0,
	       small ? small->members : 0);
	if (small != NULL && big != NULL && big != small) {
		double per = (double)(big->rss_ks_kib - small->rss_ks_kib) *
		             1024.0 / (double)(big->members - small->members);

		target("S5 keystore RSS < 1 KiB per stored member", true,
		       per < 1024, "%.1f bytes/member (%.1f -> %.1f MiB)", per,
		       small->rss_ks_kib / 1024.0, big->rss_ks_kib / 1024.0);
	} else {
		target("S5 keystore RSS < 1 KiB per stored member", false,
		       false, "-");
	}
	snprintf(p, sizeof(p), "S2-%ux%u", c->sessions, c->window);
	r = find("S2", "kdc", 1, NULL);
	r2 = find("S6", "kdc", 2, p);
	target("S6 two frontends > one in S2", r != NULL && r2 != NULL,
	       r && r2 && r2->ops_per_s > r->ops_per_s, "%.0f vs %.0f ops/s",
	       r2 ? r2->ops_per_s : 0, r ? r->ops_per_s : 0);
}

/* ---- command line ---- */

static unsigned
parse_list(const char *s, unsigned long *out, unsigned max)
{
	unsigned n = 0;
	char *end;

	while (*s != '\0' && n < max) {
		unsigned long v = strtoul(s, &end, 10);

		if (end == s)
			return 0;
		out[n++] = v;
		s = *end == ',' ? end + 1 : end;
		if (*end != ',' && *end != '\0')
			return 0;
	}
	/* More sizes than fit: a usage error, not a silent cut. */
	return *s == '\0' ? n : 0;
}

static bool
want(const char *only, const char *scen)
{
	const char *p;
	size_t n = strlen(scen);

	if (only == NULL)
		return true;
	for (p = only; (p = strstr(p, scen)) != NULL; p += n)
		if ((p == only || p[-1] == ',') &&
		    (p[n] == ',' || p[n] == '\0'))
			return true;
	return false;
}

static void
usage(FILE *f)
{
	fprintf(f,
	        "usage: kdc-bench [--build DIR] [--smoke] [--secs S] "
	        "[--only S1,S2,S3,S4,S5,S6]\n"
	        "                 [--log-level LEVEL] [--conc C] "
	        "[--sessions S] [--window W]\n"
	        "                 [--s4 N,N,..] [--s5 N,N,..] [--s5-joins N] "
	        "[--keep]\n");
}

static void
default_build_dir(const char *argv0, char *out, size_t n)
{
	const char *env = getenv("KDC_BUILD_DIR");
	char path[PATH_MAX];
	char *slash;

	if (env != NULL) {
		snprintf(out, n, "%s", env);
		return;
	}
	/* <build>/bench/kdc-bench */
	if (realpath(argv0, path) != NULL && (slash = strrchr(path, '/')) &&
	    (*slash = '\0', slash = strrchr(path, '/')) != NULL) {
		size_t len = (size_t)(slash - path);

		if (len < n) {
			memcpy(out, path, len);
			out[len] = '\0';
			return;
		}
	}
	snprintf(out, n, ".");
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
	        {"build", required_argument, NULL, 'b'},
	        {"smoke", no_argument, NULL, 'S'},
	        {"secs", required_argument, NULL, 't'},
	        {"only", required_argument, NULL, 'o'},
	        {"log-level", required_argument, NULL, 'l'},
	        {"conc", required_argument, NULL, 'c'},
	        {"sessions", required_argument, NULL, 's'},
	        {"window", required_argument, NULL, 'w'},
	        {"s4", required_argument, NULL, '4'},
	        {"s5", required_argument, NULL, '5'},
	        {"s5-joins", required_argument, NULL, 'j'},
	        {"keep", no_argument, NULL, 'k'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	struct b_cfg cfg = {
	        .secs = 8,
	        .s1_conc = 16,
	        .s1_devices = 12000,
	        .sessions = 16,
	        .window = 8,
	        .pipe_ops = 4000000,
	        .s4_sizes = {100, 1000, 10000},
	        .s4_nsizes = 3,
	        .s5_sizes = {1000, 100000, 1000000},
	        .s5_nsizes = 3,
	        .s5_joins = 1000,
	};
	char bin[512], log_level[16] = "notice";
	const char *only = NULL;
	bool keep = false, failed = false;
	struct b_env e;
	struct b_result r, *r1c = NULL, *r23c = NULL;
	struct rlimit rl;
	int c;

	t_start = b_now_ns();
	default_build_dir(argv[0], bin, sizeof(bin));
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		unsigned long v[B_MAX_SIZES];
		unsigned n;

		switch (c) {
		case 'b':
			snprintf(bin, sizeof(bin), "%s", optarg);
			break;
		case 'S':
			cfg.smoke = true;
			cfg.secs = 20; /* runs end on their tiny counts */
			cfg.s1_conc = 4;
			cfg.s1_devices = 24;
			cfg.sessions = 2;
			cfg.window = 2;
			cfg.pipe_ops = 100;
			cfg.s4_sizes[0] = 8;
			cfg.s4_nsizes = 1;
			cfg.s5_sizes[0] = 50;
			cfg.s5_sizes[1] = 150;
			cfg.s5_nsizes = 2;
			cfg.s5_joins = 8;
			break;
		case 't':
			cfg.secs = strtod(optarg, NULL);
			break;
		case 'o':
			only = optarg;
			break;
		case 'l':
			snprintf(log_level, sizeof(log_level), "%s", optarg);
			break;
		case 'c':
			cfg.s1_conc = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 's':
			cfg.sessions = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'w':
			cfg.window = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case '4':
			n = parse_list(optarg, v, B_MAX_SIZES);
			if (n == 0) {
				fprintf(stderr,
				        "kdc-bench: --s4 wants 1 to %d sizes, "
				        "N,N,...\n",
				        B_MAX_SIZES);
				return 1;
			}
			for (unsigned i = 0; i < n; i++)
				cfg.s4_sizes[i] = (unsigned)v[i];
			cfg.s4_nsizes = n;
			break;
		case '5':
			n = parse_list(optarg, v, B_MAX_SIZES);
			if (n == 0) {
				fprintf(stderr,
				        "kdc-bench: --s5 wants 1 to %d sizes, "
				        "N,N,...\n",
				        B_MAX_SIZES);
				return 1;
			}
			for (unsigned i = 0; i < n; i++)
				cfg.s5_sizes[i] = v[i];
			cfg.s5_nsizes = n;
			break;
		case 'j':
			cfg.s5_joins = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'k':
			keep = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 1;
		}
	}
	if (cfg.secs <= 0 || cfg.s1_conc == 0 || cfg.sessions == 0 ||
	    cfg.window == 0 || cfg.s1_devices == 0 || cfg.s5_joins == 0) {
		usage(stderr);
		return 1;
	}
	{
		/* The configuration wants absolute paths. */
		char abs[PATH_MAX];

		if (realpath(bin, abs) == NULL || strlen(abs) >= sizeof(bin)) {
			fprintf(stderr, "kdc-bench: no build folder %s\n", bin);
			return 1;
		}
		memcpy(bin, abs, strlen(abs) + 1);
	}
	/* One UDP socket per client DTLS session (scenario 4: 10,000). */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	signal(SIGPIPE, SIG_IGN);
	if (kdc_crypto_init() != 0 || b_load_init() != 0) {
		fprintf(stderr, "kdc-bench: initialisation failed\n");
		return 2;
	}
	printf("# kdc-bench: build %s, %s per timed run, log_level %s%s\n", bin,
	       cfg.smoke ? "count-bounded" : "time-bounded", log_level,
	       cfg.smoke ? " (smoke)" : "");
	if (b_env_init(&e, bin, log_level) != 0 || b_keystore_start(&e) != 0 ||
	    b_as_add(&e) != 0) {
		fprintf(stderr, "kdc-bench: cannot start the keystore\n");
		b_env_cleanup(&e, keep);
		return 2;
	}
	/* Joins answer at once (no backward-security rekey per join: that
	 * folds joins into one rekey per min_rekey_interval, a policy, not a
	 * cost) and leaves do not rekey. */
	for (int i = 0; i < 4; i++) {
		static const char *const names[] = {"g1", "g2", "g4", "g5"};

		if (b_group_create(
		            &e, names[i],
		            "--rekey-on-join off --rekey-on-leave off") != 0) {
			b_env_cleanup(&e, keep);
			return 2;
		}
	}
	if (b_frontends_start(&e, 1) != 0 || b_ceiling_start(&e) != 0) {
		fprintf(stderr, "kdc-bench: cannot start the frontend or "
		                "coap-server-gnutls\n");
		b_env_cleanup(&e, keep);
		return 2;
	}

	if (want(only, "S1") || want(only, "S6")) {
		b_log("S1 ceiling: new DTLS session + GET, c=%u", cfg.s1_conc);
		memset(&r, 0, sizeof(r));
		if (b_s1_admission(&e, &cfg, true, &r) == 0)
			r1c = add_result(&r);
		else
			failed = true;
	}
	if (want(only, "S1")) {
		b_log("S1 kdc: token + handshake + join, c=%u", cfg.s1_conc);
		memset(&r, 0, sizeof(r));
		if (b_s1_admission(&e, &cfg, false, &r) == 0) {
			r.ratio = r1c != NULL && r1c->ops_per_s > 0
			                  ? r.ops_per_s / r1c->ops_per_s
			                  : 0;
			add_result(&r);
		} else {
			failed = true;
		}
	}
	if (want(only, "S2") || want(only, "S3") || want(only, "S6")) {
		b_log("S2/S3 ceiling: GET over %ux%u open sessions",
		      cfg.sessions, cfg.window);
		memset(&r, 0, sizeof(r));
		if (b_s23_ceiling(&e, &cfg, &r) == 0)
			r23c = add_result(&r);
		else
			failed = true;
	}
	/* Fresh frontends for the open-session scenarios: the thousands of
	 * sessions S1 left behind would otherwise stay until their idle
	 * timeout, and libcoap 4.3.1 walks every session on each wakeup
	 * (docs/BENCHMARKS.md, "Idle sessions"). */
	if ((want(only, "S2") || want(only, "S3")) && want(only, "S1")) {
		b_frontends_stop(&e);
		if (b_frontends_start(&e, 1) != 0)
			failed = true;
	}
	if (want(only, "S2")) {
		b_log("S2 kdc: re-joins over %ux%u open sessions", cfg.sessions,
		      cfg.window);
		memset(&r, 0, sizeof(r));
		if (b_s2_rejoin(&e, &cfg, &r) == 0) {
			r.ratio = r23c != NULL && r23c->ops_per_s > 0
			                  ? r.ops_per_s / r23c->ops_per_s
			                  : 0;
			add_result(&r);
		} else {
			failed = true;
		}
	}
	if (want(only, "S3")) {
		b_log("S3 kdc: GET group/num over %ux%u open sessions",
		      cfg.sessions, cfg.window);
		memset(&r, 0, sizeof(r));
		if (b_s3_reads(&e, &cfg, &r) == 0) {
			r.ratio = r23c != NULL && r23c->ops_per_s > 0
			                  ? r.ops_per_s / r23c->ops_per_s
			                  : 0;
			add_result(&r);
		} else {
			failed = true;
		}
	}
	if (want(only, "S4")) {
		for (unsigned i = 0; i < cfg.s4_nsizes; i++) {
			b_log("S4 kdc: rekey fan-out to %u observers",
			      cfg.s4_sizes[i]);
			memset(&r, 0, sizeof(r));
			if (b_s4_fanout(&e, &cfg, cfg.s4_sizes[i], &r) == 0)
				add_result(&r);
			else
				failed = true;
		}
	}
	if (want(only, "S6")) {
		/* Scenarios 1 and 2 again with two frontends on one port. */
		b_frontends_stop(&e);
		if (b_frontends_start(&e, 2) != 0) {
			failed = true;
		} else {
			b_log("S6 kdc: S1 with 2 frontends");
			memset(&r, 0, sizeof(r));
			if (b_s1_admission(&e, &cfg, false, &r) == 0) {
				r.scenario = "S6";
				r.ratio = r1c != NULL && r1c->ops_per_s > 0
				                  ? r.ops_per_s / r1c->ops_per_s
				                  : 0;
				snprintf(r.params, sizeof(r.params), "S1-c%u",
				         cfg.s1_conc);
				add_result(&r);
			} else {
				failed = true;
			}
			b_frontends_stop(&e);
			if (b_frontends_start(&e, 2) != 0)
				failed = true;
			b_log("S6 kdc: S2 with 2 frontends");
			memset(&r, 0, sizeof(r));
			if (b_s2_rejoin(&e, &cfg, &r) == 0) {
				r.scenario = "S6";
				r.ratio =
				        r23c != NULL && r23c->ops_per_s > 0
				                ? r.ops_per_s / r23c->ops_per_s
				                : 0;
				snprintf(r.params, sizeof(r.params), "S2-%ux%u",
				         cfg.sessions, cfg.window);
				add_result(&r);
			} else {
				failed = true;
			}
		}
	}
	b_ceiling_stop(&e);
	if (want(only, "S5")) {
		for (unsigned i = 0; i < cfg.s5_nsizes; i++) {
			b_log("S5 kdc: %lu stored members", cfg.s5_sizes[i]);
			memset(&r, 0, sizeof(r));
			if (b_s5_scale(&e, &cfg, cfg.s5_sizes[i], &r) == 0)
				add_result(&r);
			else
				failed = true;
		}
	}
	b_env_cleanup(&e, keep);
	b_load_fini();
	print_table();
	print_targets(&cfg);
	b_log("done%s", failed ? " (some scenarios failed)" : "");
	return failed ? 2 : 0;
}
