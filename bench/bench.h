/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench.h — kdc-bench, the load generator of docs/BENCHMARKS.md.
 *
 * One process drives the real kdc-keystore and kdc-frontend(s) (started
 * from the build tree with a private configuration under a temporary
 * folder, 127.0.0.1 only) and, side by side, libcoap's own
 * coap-server-gnutls as the ceiling.  The load is generated with libcoap
 * 4.3.1 (GnuTLS, DTLS-PSK client sessions) in one single-threaded context:
 *   env.c    processes, configuration, administration, peak RSS
 *   dev.c    devices: tokens (the development AS's Encrypt0), Join payloads
 *            with proof of possession
 *   load.c   the libcoap engine: sessions, requests, latencies
 *   scen.c   the scenarios (docs/BENCHMARKS.md, "Scenarios")
 *   loader.c the bulk loader of scenario 5 (keystore functions in-process)
 *   main.c   command line, scenario order, summary lines
 * Every loop is bounded in count and in time.
 */
#ifndef KDC_BENCH_H
#define KDC_BENCH_H

#include "cose.h"

#include <coap3/coap.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define B_MAX_FE 2

/* ---- time and statistics (main.c) ---- */

uint64_t b_now_ns(void);
/* Latency samples (ns), bounded. */
struct b_lat {
	uint64_t *v;
	size_t n, cap;
};
void b_lat_init(struct b_lat *l, size_t cap);
void b_lat_add(struct b_lat *l, uint64_t ns);
void b_lat_free(struct b_lat *l);
/* Percentile p (0..100) in ms; sorts in place; -1 without samples. */
double b_lat_pct_ms(struct b_lat *l, double p);
void b_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- the system under test (env.c) ---- */

struct b_env {
	char bin[512];  /* build directory */
	char dir[600];  /* private temporary folder */
	char conf[700]; /* kdc.conf */
	char state[700];
	char run[700];
	char log_level[16];
	uint16_t port, dtls_port;
	pid_t ks_pid;
	pid_t fe_pid[B_MAX_FE];
	int nfe;
	/* The development AS (AES-CCM-16-64-128 Encrypt0 tokens). */
	struct kdc_cose_key as_key;
	char audience[32];
	/* libcoap's example server (the ceiling). */
	pid_t ceil_pid;
	uint16_t ceil_port; /* plain; DTLS is ceil_port + 1 */
	char ceil_key[32];
};

/* Temporary folder, ports, configuration (log_level given), AS key. */
int b_env_init(struct b_env *e, const char *bin, const char *log_level);
int b_keystore_start(struct b_env *e);
/* Start frontends 0..n-1 (reuse_port = yes). */
int b_frontends_start(struct b_env *e, int n);
void b_frontends_stop(struct b_env *e);
void b_keystore_stop(struct b_env *e);
/* Register the development AS (after the keystore is up). */
int b_as_add(struct b_env *e);
/* kdc-admin group create NAME OPTIONS... */
int b_group_create(struct b_env *e, const char *name, const char *options);
/* Trigger a rekey of a group over the admin socket (IPC ADM_REKEY); returns
 * 0 when the keystore answered OK. */
int b_rekey(struct b_env *e, const char *group);
int b_ceiling_start(struct b_env *e);
void b_ceiling_stop(struct b_env *e);
void b_env_cleanup(struct b_env *e, bool keep);
/* Peak (VmHWM) and current (VmRSS) resident set of a process, KiB; -1 if
 * unknown. */
long b_rss_peak_kib(pid_t pid);
long b_rss_now_kib(pid_t pid);
/* Around a timed run: the keystore's request and batch (commit) counters
 * and the CPU time of the whole machine and of the processes of the
 * benchmark, so that load from other programs is visible. */
struct b_probe {
	long long requests, batches;
	unsigned long long total, idle, ours; /* jiffies */
};
void b_probe_start(struct b_env *e, struct b_probe *p);
/* "cpu_busy_pct=.. foreign_cpu_pct=.. ks_requests=.. ..." into out. */
void b_probe_end(struct b_env *e, const struct b_probe *p, char *out, size_t n);
/* Size of the database file (+ WAL), bytes. */
long long b_db_bytes(struct b_env *e);

/* ---- devices (dev.c) ---- */

#define B_POP_POOL 4

struct b_dev {
	char kid[24];
	char key[17];  /* 16 ASCII characters: the symmetric PoP key */
	uint8_t *body; /* application/ace+cbor {access_token, sign_info} */
	size_t body_len;
	struct kdc_cose_key cred_key; /* Ed25519 */
	uint8_t cred[160];            /* its CCS */
	size_t cred_len;
	uint8_t ns[32]; /* N_S (kdcchallenge) */
	size_t ns_len;
	/* Pre-signed Join payloads (after N_S is known), used in turn. */
	uint8_t *join[B_POP_POOL];
	size_t join_len[B_POP_POOL];
	unsigned njoin, next_join;
	bool member;
};

/* An access token of the development AS: Encrypt0 CWT with a symmetric
 * PoP key (kid, 16-character key) and scope Requester+Responder of group. */
int b_mint(struct b_env *e, const char *kid, const char *key, const char *group,
           int64_t lifetime, uint8_t **tok, size_t *len);
/* n devices with tokens for `group` (Requester+Responder) and Ed25519
 * credentials; kid = prefix + index. */
struct b_dev *b_devs_new(struct b_env *e, const char *prefix, size_t n,
                         const char *group, int64_t lifetime);
void b_devs_free(struct b_dev *d, size_t n);
/* Take N_S from the Token Transfer Response payload. */
int b_dev_take_ns(struct b_dev *d, const uint8_t *p, size_t n);
/* Build (and sign) `count` Join payloads for `group`. */
int b_dev_sign_joins(struct b_dev *d, const char *group, unsigned count);

/* ---- the libcoap engine (load.c) ---- */

struct b_req;
/* code: CoAP code as c*100+dd (205), or < 0: failure (NACK, timeout). */
typedef void (*b_req_cb)(struct b_req *q, const coap_pdu_t *resp, int code);

struct b_req {
	uint32_t slot, gen;
	uint64_t t0;
	b_req_cb cb;
	void *arg;
	uint64_t u;
	coap_session_t *session;
	bool persistent; /* Observe: stays for the notifications */
	bool busy;
};

int b_load_init(void);
void b_load_fini(void);
/* In a forked worker process: a fresh context of its own. */
void b_load_child_reset(void);
coap_context_t *b_ctx(void);
/* Client sessions to 127.0.0.1. */
coap_session_t *b_session_udp(uint16_t port);
coap_session_t *b_session_dtls(uint16_t port, const char *identity,
                               const uint8_t *key, size_t key_len);
/* Release a session after the current coap_io_process() returns. */
void b_session_release_later(coap_session_t *s);
void b_session_release_now(coap_session_t *s);
/* Send a CON request; observe < 0: no Observe option. */
struct b_req *b_send(coap_session_t *s, coap_pdu_code_t method,
                     const char *path, int cf, const uint8_t *p, size_t n,
                     int observe, b_req_cb cb, void *arg);
/* Forget a persistent request (the slot is reused). */
void b_req_done(struct b_req *q);
/* Run libcoap until done(arg) or the deadline (b_now_ns() clock). */
void b_run(bool (*done)(void *arg), void *arg, uint64_t deadline_ns);
/* Requests in flight. */
size_t b_inflight(void);
/* Forget every request still in flight (end of a scenario). */
void b_fail_all(void);
/* DTLS handshakes that failed (event counter). */
uint64_t b_dtls_errors(void);

/* ---- scenarios (scen.c) ---- */

struct b_result {
	const char *scenario; /* "S1" ... */
	const char *name;     /* "admission" ... */
	const char *system;   /* "kdc" or "ceiling" */
	int frontends;
	char params[96]; /* "c=16", "s=16 w=8", "n=1000", ... */
	uint64_t ops, errors;
	double secs;
	double ops_per_s;
	double p50_ms, p99_ms;
	long rss_ks_kib;
	long rss_fe_kib[B_MAX_FE];
	long rss_ceil_kib;
	double value_ms; /* scenario 4: time to the last notification */
	long long members;
	double ratio; /* to the ceiling, 0 if none */
	char extra[200];
	char probe[160]; /* b_probe_end() */
};

/* Most group sizes of --s4 and --s5. */
#define B_MAX_SIZES 8

struct b_cfg {
	bool smoke;
	double secs;      /* per timed run */
	unsigned s1_conc; /* concurrent admissions */
	unsigned s1_devices;
	unsigned sessions, window;
	unsigned long pipe_ops; /* count bound of S2, S3 and their ceiling */
	unsigned s4_sizes[B_MAX_SIZES];
	unsigned s4_nsizes;
	unsigned long s5_sizes[B_MAX_SIZES];
	unsigned s5_nsizes;
	unsigned s5_joins;
};

/* Each fills *r (main.c prints it as one summary line). */
int b_s1_admission(struct b_env *e, const struct b_cfg *c, bool ceiling,
                   struct b_result *r);
int b_s2_rejoin(struct b_env *e, const struct b_cfg *c, struct b_result *r);
int b_s23_ceiling(struct b_env *e, const struct b_cfg *c, struct b_result *r);
int b_s3_reads(struct b_env *e, const struct b_cfg *c, struct b_result *r);
int b_s4_fanout(struct b_env *e, const struct b_cfg *c, unsigned n,
                struct b_result *r);
/* Scenario 5 at one size; the database grows between calls. */
int b_s5_scale(struct b_env *e, const struct b_cfg *c, unsigned long members,
               struct b_result *r);
void b_result_rss(struct b_env *e, struct b_result *r);

/* ---- bulk loader (loader.c) ---- */

/* Add members to `group` (created by the caller) in the stopped keystore's
 * database until it holds `target` members: tokens minted by the
 * development AS and kept by the keystore's own verification and storage
 * functions, members inserted as the Join does.  Returns the number added
 * or -1. */
long b_bulk_load(struct b_env *e, const char *group, unsigned long target);

#endif
