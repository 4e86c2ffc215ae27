/* SPDX-License-Identifier: Apache-2.0 */
/*
 * harness.h — end-to-end tests through the real processes: a kdc-keystore
 * and one or more kdc-frontend started from the build tree with a private
 * configuration under a temporary folder, administered with the real
 * kdc-admin, and spoken to with libcoap's coap-client-gnutls (a real CoAP
 * client; it exits 0 even on failure, so its output is parsed) on
 * 127.0.0.1 only.  Tokens are minted in-process with the project's COSE
 * code, as a development Authorization Server would.
 */
#ifndef KDC_E2E_HARNESS_H
#define KDC_E2E_HARNESS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cbor_in.h"
#include "cbor_out.h"
#include "cose.h"
#include "gm_material.h"
#include "scope.h"

#include <stdbool.h>
#include <sys/types.h>

#define H_MAX_FE 4

struct h_env {
	char dir[600];
	char conf[700];
	char state[700];
	char run[700];
	char bin[512]; /* build directory */
	uint16_t port, dtls_port;
	pid_t ks_pid;
	pid_t fe_pid[H_MAX_FE];
	int nfe;
	/* The development AS: an Encrypt0 key (AES-CCM-16-64-128) whose
	 * tokens carry symmetric PoP keys (RFC 9202 §3.3). */
	struct kdc_cose_key as_key;
	char audience[32];
};

/* Options for h_env_start. */
struct h_opts {
	int frontends;              /* default 1 */
	bool reuse_port;            /* default true */
	const char *extra_keystore; /* extra lines for [keystore] */
	const char *extra_frontend; /* extra lines for [frontend] */
	bool no_as;                 /* do not register the development AS */
	bool rpk;                   /* give the frontend a DTLS RPK key */
};

/* Sleep ms milliseconds (the tests' bounded polling loops). */
void h_msleep(int ms);
/* A free loopback UDP port p whose p + 1 is free too (CoAP, DTLS); 0 if
 * none was found. */
uint16_t h_pick_ports(void);
/* Start keystore + frontends and register the development AS. */
int h_env_start(struct h_env *e, const struct h_opts *o);
void h_env_stop(struct h_env *e);
int h_keystore_start(struct h_env *e);
/* Stop the keystore with sig (SIGTERM, or SIGKILL to crash it). */
void h_keystore_stop(struct h_env *e, int sig);
int h_frontend_start(struct h_env *e, int idx, const char *name);
void h_frontend_stop(struct h_env *e, int idx, int sig);

/* Run a command (argv NULL-terminated) capturing stdout+stderr; returns its
 * exit status (or -1); kills it after timeout_ms. */
int h_run(char *const argv[], char *out, size_t outlen, int timeout_ms);
/* kdc-admin -c CONF ARGS... (words split on spaces; use h_admin_argv for
 * arguments with spaces).  Returns the exit code. */
int h_admin(struct h_env *e, char *out, size_t outlen, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
int h_admin_argv(struct h_env *e, char *out, size_t outlen, char *const args[]);
/* Create a group with extra kdc-admin options (may be NULL). */
int h_group_create(struct h_env *e, const char *name, const char *options);

/* Mint a token protected with the AS key (Encrypt0), carrying a symmetric
 * PoP key with kid and k, for scope entries "g1:6,g2:8" (AIF).  exp =
 * now + lifetime (lifetime may be negative for expired tokens).  Extra
 * tweaks: aud override (NULL = ours). */
struct h_token {
	const char *kid;
	const char *key; /* ASCII, so that coap-client -k can use it */
	const char *scope;
	int64_t lifetime;
	const char *aud;
	bool no_scope, no_cnf, scope_tag, mac0_wrong_key;
	/* RPK mode (RFC 9202 §3.2): cnf is this public key instead */
	const struct kdc_cose_key *rpk;
	/* exi instead of exp (RFC 9200 §5.10.3), with the cti the AS must
	 * then use: the audience followed by exi_seq in two bytes. */
	uint64_t exi;
	uint16_t exi_seq;
	int64_t iat_offset; /* iat = now + iat_offset */
};
int h_mint(struct h_env *e, const struct h_token *t, uint8_t **tok,
           size_t *len);
/* The application/ace+cbor map {1: token, 45: null} (+47/48 if asked). */
int h_ace_cbor(const uint8_t *tok, size_t len, bool sign_info, bool ecdh_info,
               bool dh_creds, uint8_t **out, size_t *olen);

/* One CoAP exchange with coap-client-gnutls. */
struct h_dev;

struct h_coap {
	int code;        /* 205 for 2.05; 0 = no response */
	int cf;          /* -1 none */
	int64_t max_age; /* -1 none */
	bool observe;
	char location[256];
	uint8_t *payload;
	size_t len;
	char raw[65536]; /* the client's output, for diagnostics */
};
struct h_req {
	const char *method; /* get, post, put, delete, fetch */
	const char *path;   /* without leading '/' */
	bool dtls;
	const char *kid; /* PSK identity (DTLS) */
	const char *key; /* PSK (ASCII) */
	int cf;          /* -1: none */
	int accept;      /* -1: none */
	const uint8_t *payload;
	size_t len;
	int fe;              /* which frontend's port: always the shared
	                        port; kept for clarity */
	int block;           /* -b size, 0 none */
	const char *rpk_pem; /* DTLS RPK mode: the client's PEM key */
	bool non;            /* send a NON request (-N) */
};
int h_coap(struct h_env *e, const struct h_req *r, struct h_coap *out);
/* A request over the device's DTLS-PSK session. */
struct h_req h_dreq(const struct h_dev *d, const char *method, const char *path,
                    int cf, const uint8_t *p, size_t n);
void h_coap_free(struct h_coap *c);

/* A device: token posted, Ed25519 credential, ready to join. */
struct h_dev {
	char kid[32];
	char key[32];
	uint8_t ns[64];
	size_t ns_len;
	struct kdc_cose_key cred_key;
	uint8_t cred[256];
	size_t cred_len;
	uint8_t nc[16];
	char node[64];
	uint8_t sid[8];
	size_t sid_len;
	uint64_t num;
};
/* Mint + POST /authz-info; scope like "g1:6". */
int h_dev_token(struct h_env *e, struct h_dev *d, const char *kid,
                const char *scope, int64_t lifetime);
/* Build a Join Request for group with roles (perm). */
int h_join_payload(struct h_dev *d, const char *group, uint64_t perm,
                   bool get_creds, uint8_t **out, size_t *len);
/* Join; returns the CoAP result. */
int h_dev_join(struct h_env *e, struct h_dev *d, const char *group,
               uint64_t perm, struct h_coap *out);

/* A background Observe registration with coap-client -s. */
struct h_obs {
	pid_t pid;
	char log[1200];
};
int h_observe_start(struct h_env *e, struct h_dev *d, const char *path,
                    int secs, struct h_obs *o);
/* Wait up to ms for at least n responses (registration answer included)
 * to have arrived; returns how many there are. */
int h_observe_wait(struct h_obs *o, int n, int ms);
/* Stop the client and return the responses it received (registration
 * answer first), up to max; each out[i] must be freed. */
int h_observe_stop(struct h_obs *o, struct h_coap *out, int max);

/* CBOR helpers for assertions. */
cbor_item_t *h_cbor(const struct h_coap *c); /* decoded payload or NULL */
int64_t h_map_int(const cbor_item_t *m, int64_t label, int64_t dflt);
bool h_map_bstr(const cbor_item_t *m, int64_t label, const uint8_t **p,
                size_t *n);
/* Problem details error-id (RFC 9594 §4.1.2), -1 if none. */
int h_error_id(const struct h_coap *c);

/* Assertion helpers that print the client's output on failure. */
#define h_assert_code(c, expect)                                               \
	do {                                                                   \
		if ((c)->code != (expect))                                     \
			fail_msg("expected %d.%02d, got %d.%02d\n%s",          \
			         (expect) / 100, (expect) % 100,               \
			         (c)->code / 100, (c)->code % 100, (c)->raw);  \
	} while (0)

#endif
