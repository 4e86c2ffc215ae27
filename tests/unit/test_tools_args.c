/* SPDX-License-Identifier: Apache-2.0 */
/* Tests of kdc-admin's command line (tools/admin/parse.c, group_opts.c,
 * request.c, as_add.c): command lookup, option parsing and rejection
 * (exit status 1), group options into kdc_group_config with the exact
 * defaults and the update field mask, and the requests each command
 * builds, decoded back with the keystore's decoders. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "admin.h"
#include "cbor_in.h"
#include "crypto.h"
#include "token.h"
#include "tools_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAXARGS 64

struct cmdline {
	char buf[2048];
	char *argv[MAXARGS];
	int argc;
};

/* Split on spaces ("\x01" stands for a space inside a word). */
static void
split(struct cmdline *c, const char *line)
{
	char *save = NULL;

	snprintf(c->buf, sizeof(c->buf), "%s", line);
	c->argc = 0;
	for (char *t = strtok_r(c->buf, " ", &save); t != NULL;
	     t = strtok_r(NULL, " ", &save)) {
		for (char *p = t; *p != '\0'; p++)
			if (*p == '\x01')
				*p = ' ';
		c->argv[c->argc++] = t;
	}
	c->argv[c->argc] = NULL;
}

static int
parse(struct cmdline *c, const char *line, struct adm_args *a, char *err,
      size_t errlen)
{
	split(c, line);
	err[0] = '\0';
	return adm_parse(c->argc, c->argv, a, err, errlen);
}

/* Parse and build; returns the exit code, the payload in w. */
static int
build(struct cmdline *c, const char *line, const struct adm_env *env,
      struct ipc_wbuf *w, char *err, size_t errlen)
{
	struct adm_args a;
	int rc;

	ipc_wbuf_init(w);
	rc = parse(c, line, &a, err, errlen);
	if (rc != ADM_EXIT_OK)
		return rc;
	assert_false(a.help);
	return a.cmd->build(&a, env, w, err, errlen);
}

static void
assert_contains(const char *hay, const char *needle)
{
	if (strstr(hay, needle) == NULL)
		fail_msg("'%s' lacks '%s'", hay, needle);
}

/* ---- command lookup ---- */

static void
test_lookup(void **state)
{
	struct cmdline c;
	struct adm_args a;
	char err[512];

	(void)state;
	assert_int_equal(parse(&c, "status", &a, err, sizeof(err)), 0);
	assert_string_equal(a.cmd->words, "status");
	assert_int_equal(a.cmd->msg, IPC_MSG_ADM_STATUS);
	assert_int_equal(
	        parse(&c, "kdc-cred rotate sign-p256", &a, err, sizeof(err)),
	        0);
	assert_int_equal(a.cmd->msg, IPC_MSG_ADM_KDC_CRED_ROTATE);
	assert_int_equal(a.npos, 1);
	assert_string_equal(a.pos[0], "sign-p256");
	assert_int_equal(parse(&c, "group", &a, err, sizeof(err)),
	                 ADM_EXIT_USAGE);
	assert_null(a.cmd);
	assert_contains(err, "incomplete command 'group'");
	assert_int_equal(parse(&c, "frobnicate", &a, err, sizeof(err)),
	                 ADM_EXIT_USAGE);
	assert_contains(err, "unknown command 'frobnicate'");
	assert_int_equal(parse(&c, "group frob g1", &a, err, sizeof(err)),
	                 ADM_EXIT_USAGE);
	/* --help anywhere after the command words. */
	assert_int_equal(parse(&c, "group create --help", &a, err, sizeof(err)),
	                 0);
	assert_true(a.help);
	assert_string_equal(a.cmd->words, "group create");
	/* Every command of the table is reachable by its words. */
	for (size_t i = 0; i < adm_ncmds; i++) {
		assert_int_equal(parse(&c, adm_cmds[i].words, &a, err,
		                       sizeof(err)) == 0 ||
		                         adm_cmds[i].min_pos > 0,
		                 1);
		assert_non_null(adm_cmds[i].build);
		assert_true(ipc_msg_allowed(adm_cmds[i].msg, IPC_PEER_ADMIN));
	}
}

static void
test_positionals(void **state)
{
	struct cmdline c;
	struct adm_args a;
	char err[512];

	(void)state;
	assert_int_equal(parse(&c, "group show", &a, err, sizeof(err)),
	                 ADM_EXIT_USAGE);
	assert_contains(err, "usage: kdc-admin group show NAME");
	assert_int_equal(parse(&c, "group show a b", &a, err, sizeof(err)),
	                 ADM_EXIT_USAGE);
	assert_int_equal(parse(&c, "status now", &a, err, sizeof(err)),
	                 ADM_EXIT_USAGE);
	assert_int_equal(parse(&c, "member show g1", &a, err, sizeof(err)),
	                 ADM_EXIT_USAGE);
	/* "--" ends the options; "-5" is an argument. */
	assert_int_equal(parse(&c, "group show -- --odd", &a, err, sizeof(err)),
	                 0);
	assert_string_equal(a.pos[0], "--odd");
	assert_int_equal(parse(&c, "token revoke -5", &a, err, sizeof(err)), 0);
	assert_string_equal(a.pos[0], "-5");
}

/* ---- options ---- */

static void
test_option_rejections(void **state)
{
	static const struct {
		const char *line;
		const char *msg;
	} bad[] = {
	        {"group create g1 --bogus 1", "unknown option --bogus"},
	        {"group create g1 --bogus=1", "unknown option --bogus"},
	        {"group create g1 -x", "unknown option -x"},
	        {"group create g1 --description",
	         "--description needs a value"},
	        {"group create g1 --max-members 1 --max-members 2",
	         "--max-members given twice"},
	        {"group create g1 --key-lifetime abc", "--key-lifetime: 'abc'"},
	        {"group create g1 --key-lifetime -1", "--key-lifetime"},
	        {"group create g1 --key-lifetime 4294967296", "--key-lifetime"},
	        {"group create g1 --sid-max-len 256", "--sid-max-len"},
	        {"group create g1 --rekey-on-join maybe", "not on or off"},
	        {"group create g1 --sign-alg RSA", "unknown algorithm 'RSA'"},
	        {"group create g1 --ecdh-crv P-521", "unknown curve"},
	        {"group create g1 --inactive=yes", "--inactive takes no value"},
	        {"group update g1 --sign-alg ES256",
	         "--sign-alg can only be set when the group is created"},
	        {"group update g1 --inactive", "--inactive can only be set"},
	        {"group delete g1 --force", "unknown option --force"},
	        {"status --yes", "unknown option --yes"},
	        {"audit --limit 100001", "--limit"},
	};
	struct cmdline c;
	struct adm_args a;
	char err[512];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = parse(&c, bad[i].line, &a, err, sizeof(err));

		if (rc != ADM_EXIT_USAGE)
			fail_msg("'%s' gave %d", bad[i].line, rc);
		assert_contains(err, bad[i].msg);
	}
}

static void
test_group_create_defaults(void **state)
{
	struct kdc_group_config want, got;
	struct ipc_adm_group m;
	struct ipc_wbuf w;
	struct cmdline c;
	struct adm_args a;
	char err[512];

	(void)state;
	kdc_group_config_defaults(&want);
	strcpy(want.name, "g1");
	assert_int_equal(parse(&c, "group create g1", &a, err, sizeof(err)), 0);
	memset(&got, 0x5a, sizeof(got));
	assert_int_equal(adm_group_create_config(&a, &got, err, sizeof(err)),
	                 0);
	assert_memory_equal(&got, &want, sizeof(want));
	/* The exact values of the profile's defaults. */
	assert_string_equal(got.description, "");
	assert_true(got.active);
	assert_int_equal(got.hkdf, 5);
	assert_int_equal(got.cred_fmt, 14);
	assert_true(got.group_mode);
	assert_int_equal(got.gp_enc_alg, 10);
	assert_int_equal(got.sign_alg, -8);
	assert_int_equal(got.sign_crv, 6);
	assert_true(got.pairwise_mode);
	assert_int_equal(got.alg, 10);
	assert_int_equal(got.ecdh_alg, -27);
	assert_int_equal(got.ecdh_crv, 4);
	assert_int_equal(got.key_lifetime, 86400);
	assert_int_equal(got.key_update_check_interval, 3600);
	assert_int_equal(got.expiration_delta, 0);
	assert_int_equal(got.max_members, 0);
	assert_true(got.rekey_on_join);
	assert_true(got.rekey_on_leave);
	assert_false(got.rekey_after_restart);
	assert_int_equal(got.min_rekey_interval_ms, 1000);
	assert_int_equal(got.max_stale_sets, 3);
	assert_int_equal(got.prev_grace, 300);
	assert_int_equal(got.sid_max_len, 7);
	assert_int_equal(got.gid_prefix_len, 4);
	assert_int_equal(got.gid_epoch_len, 4);
	/* What goes on the wire decodes to the same configuration. */
	assert_int_equal(
	        build(&c, "group create g1", NULL, &w, err, sizeof(err)), 0);
	assert_int_equal(ipc_dec_adm_group(w.p, w.len, &m), 0);
	assert_memory_equal(&m.config, &want, sizeof(want));
	ipc_wbuf_free(&w);
}

static void
test_group_create_options(void **state)
{
	struct kdc_group_config g;
	struct cmdline c;
	struct adm_args a;
	char err[512];

	(void)state;
	assert_int_equal(
	        parse(&c,
	              "group create lights --description hall\x01lights "
	              "--inactive --sign-alg ES256 --gp-enc-alg "
	              "AES-CCM-16-64-256 --alg=30 --ecdh-alg -27 --group-mode "
	              "on --pairwise-mode=yes --key-lifetime 600 "
	              "--key-update-check-interval 60 --expiration-delta 30 "
	              "--max-members 100 --rekey-on-join off --rekey-on-leave "
	              "no --rekey-after-restart true --min-rekey-interval 250 "
	              "--max-stale-sets 5 --prev-grace 10 --sid-max-len 3 "
	              "--gid-prefix-len 2 --gid-epoch-len=6",
	              &a, err, sizeof(err)),
	        0);
	assert_int_equal(adm_group_create_config(&a, &g, err, sizeof(err)), 0);
	assert_string_equal(g.name, "lights");
	assert_string_equal(g.description, "hall lights");
	assert_false(g.active);
	assert_int_equal(g.sign_alg, -7);
	assert_int_equal(g.sign_crv, 1); /* follows ES256 */
	assert_int_equal(g.ecdh_crv, 1); /* P-256 with a P-256 signature */
	assert_int_equal(g.gp_enc_alg, 11);
	assert_int_equal(g.alg, 30);
	assert_int_equal(g.ecdh_alg, -27);
	assert_true(g.group_mode);
	assert_true(g.pairwise_mode);
	assert_int_equal(g.key_lifetime, 600);
	assert_int_equal(g.key_update_check_interval, 60);
	assert_int_equal(g.expiration_delta, 30);
	assert_int_equal(g.max_members, 100);
	assert_false(g.rekey_on_join);
	assert_false(g.rekey_on_leave);
	assert_true(g.rekey_after_restart);
	assert_int_equal(g.min_rekey_interval_ms, 250);
	assert_int_equal(g.max_stale_sets, 5);
	assert_int_equal(g.prev_grace, 10);
	assert_int_equal(g.sid_max_len, 3);
	assert_int_equal(g.gid_prefix_len, 2);
	assert_int_equal(g.gid_epoch_len, 6);

	/* Pairwise only on X25519 with EdDSA given by number. */
	assert_int_equal(parse(&c,
	                       "group create p --group-mode off --sign-alg -8 "
	                       "--ecdh-crv X25519",
	                       &a, err, sizeof(err)),
	                 0);
	assert_int_equal(adm_group_create_config(&a, &g, err, sizeof(err)), 0);
	assert_false(g.group_mode);
	assert_int_equal(g.sign_crv, 6);
	assert_int_equal(g.ecdh_crv, 4);
}

static void
test_group_create_invalid(void **state)
{
	static const struct {
		const char *line;
		const char *why;
	} bad[] = {
	        {"group create g1 --sign-alg ES256 --sign-crv Ed25519",
	         "needs sign_crv"},
	        {"group create g1 --key-lifetime 5", "key_lifetime"},
	        {"group create g1 --sid-max-len 8", "sid_max_len"},
	        {"group create g1 --group-mode off --pairwise-mode off",
	         "at least one of group_mode and pairwise_mode"},
	        {"group create g1 --max-stale-sets 1", "max_stale_sets"},
	        {"group create g1 --gid-prefix-len 9", "gid_prefix_len"},
	        {"group create g/1", "name must be"},
	        {"group create g1 --ecdh-crv P-256", "ecdh_crv must be 4"},
	};
	struct kdc_group_config g;
	struct ipc_wbuf w;
	struct cmdline c;
	struct adm_args a;
	char err[512];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse(&c, bad[i].line, &a, err, sizeof(err)),
		                 0);
		if (adm_group_create_config(&a, &g, err, sizeof(err)) !=
		    ADM_EXIT_USAGE)
			fail_msg("'%s' accepted", bad[i].line);
		assert_contains(err, bad[i].why);
		/* ... and no request is built. */
		assert_int_equal(
		        build(&c, bad[i].line, NULL, &w, err, sizeof(err)),
		        ADM_EXIT_USAGE);
		assert_int_equal(w.len, 0);
		ipc_wbuf_free(&w);
	}
}

static void
test_group_update_mask(void **state)
{
	struct ipc_adm_group m;
	struct ipc_wbuf w;
	struct cmdline c;
	char err[512];

	(void)state;
	assert_int_equal(build(&c,
	                       "group update g1 --key-lifetime 600 "
	                       "--description new --rekey-on-leave off "
	                       "--min-rekey-interval 0 --max-members 9 "
	                       "--prev-grace 1 --max-stale-sets 2 "
	                       "--expiration-delta 3 "
	                       "--key-update-check-interval 4 --rekey-on-join "
	                       "on --rekey-after-restart on",
	                       NULL, &w, err, sizeof(err)),
	                 0);
	assert_int_equal(ipc_dec_adm_group(w.p, w.len, &m), 0);
	assert_int_equal(m.field_mask, KDC_GF_UPDATABLE & ~KDC_GF_ACTIVE);
	assert_string_equal(m.config.name, "g1");
	assert_string_equal(m.config.description, "new");
	assert_int_equal(m.config.key_lifetime, 600);
	assert_false(m.config.rekey_on_leave);
	assert_int_equal(m.config.min_rekey_interval_ms, 0);
	assert_int_equal(m.config.max_members, 9);
	ipc_wbuf_free(&w);

	assert_int_equal(build(&c, "group update g1 --key-lifetime 60", NULL,
	                       &w, err, sizeof(err)),
	                 0);
	assert_int_equal(ipc_dec_adm_group(w.p, w.len, &m), 0);
	assert_int_equal(m.field_mask, KDC_GF_KEY_LIFETIME);
	ipc_wbuf_free(&w);

	assert_int_equal(
	        build(&c, "group update g1", NULL, &w, err, sizeof(err)),
	        ADM_EXIT_USAGE);
	assert_contains(err, "nothing to update");
	ipc_wbuf_free(&w);
	assert_int_equal(build(&c, "group update g1 --key-lifetime 9", NULL, &w,
	                       err, sizeof(err)),
	                 ADM_EXIT_USAGE);
	assert_contains(err, "key_lifetime");
	ipc_wbuf_free(&w);

	assert_int_equal(
	        build(&c, "group activate g2", NULL, &w, err, sizeof(err)), 0);
	assert_int_equal(ipc_dec_adm_group(w.p, w.len, &m), 0);
	assert_int_equal(m.field_mask, KDC_GF_ACTIVE);
	assert_true(m.config.active);
	assert_string_equal(m.config.name, "g2");
	ipc_wbuf_free(&w);
	assert_int_equal(
	        build(&c, "group deactivate g2", NULL, &w, err, sizeof(err)),
	        0);
	assert_int_equal(ipc_dec_adm_group(w.p, w.len, &m), 0);
	assert_int_equal(m.field_mask, KDC_GF_ACTIVE);
	assert_false(m.config.active);
	ipc_wbuf_free(&w);
}

/* ---- target requests ---- */

static void
target_of(const char *line, struct ipc_adm_target *t)
{
	struct ipc_wbuf w;
	struct cmdline c;
	char err[512];

	if (build(&c, line, NULL, &w, err, sizeof(err)) != 0)
		fail_msg("'%s': %s", line, err);
	assert_int_equal(ipc_dec_adm_target(w.p, w.len, t), 0);
	ipc_wbuf_free(&w);
}

static void
test_targets(void **state)
{
	struct ipc_adm_target t;
	struct ipc_wbuf w;
	struct cmdline c;
	char err[512], line[300];

	(void)state;
	target_of("status", &t);
	assert_string_equal(t.group, "");
	assert_string_equal(t.node, "");
	assert_int_equal(t.id, 0);
	target_of("group show g1", &t);
	assert_string_equal(t.group, "g1");
	target_of("member evict g1 node-7", &t);
	assert_string_equal(t.group, "g1");
	assert_string_equal(t.node, "node-7");
	target_of("rekey g9", &t);
	assert_string_equal(t.group, "g9");
	target_of("as remove dev-as", &t);
	assert_string_equal(t.arg, "dev-as");
	target_of("kdc-cred rotate dh-x25519", &t);
	assert_string_equal(t.arg, "dh-x25519");
	target_of("token revoke 9223372036854775807", &t);
	assert_int_equal(t.id, INT64_MAX);
	target_of("group delete g1 --yes", &t);
	assert_string_equal(t.group, "g1");

	assert_int_equal(
	        build(&c, "group delete g1", NULL, &w, err, sizeof(err)),
	        ADM_EXIT_USAGE);
	assert_contains(err, "--yes");
	ipc_wbuf_free(&w);
	assert_int_equal(
	        build(&c, "token revoke 0", NULL, &w, err, sizeof(err)),
	        ADM_EXIT_USAGE);
	ipc_wbuf_free(&w);
	assert_int_equal(
	        build(&c, "token revoke 12x", NULL, &w, err, sizeof(err)),
	        ADM_EXIT_USAGE);
	ipc_wbuf_free(&w);
	/* A name longer than its field is a usage error, not a frame the
	 * keystore would refuse. */
	memset(line, 0, sizeof(line));
	strcpy(line, "member show g1 ");
	memset(line + strlen(line), 'n', IPC_NODE_MAX + 1);
	assert_int_equal(build(&c, line, NULL, &w, err, sizeof(err)),
	                 ADM_EXIT_USAGE);
	ipc_wbuf_free(&w);
}

static void
test_audit_and_sql(void **state)
{
	struct ipc_adm_audit m;
	struct ipc_adm_sql q;
	struct ipc_wbuf w;
	struct cmdline c;
	char err[512];

	(void)state;
	assert_int_equal(build(&c, "audit", NULL, &w, err, sizeof(err)), 0);
	assert_int_equal(ipc_dec_adm_audit(w.p, w.len, &m), 0);
	assert_int_equal(m.limit, ADM_AUDIT_LIMIT_DEFAULT);
	assert_int_equal(m.since_id, 0);
	assert_string_equal(m.group, "");
	ipc_wbuf_free(&w);
	assert_int_equal(build(&c,
	                       "audit --group g1 --action rekey --since 42 "
	                       "--limit 7",
	                       NULL, &w, err, sizeof(err)),
	                 0);
	assert_int_equal(ipc_dec_adm_audit(w.p, w.len, &m), 0);
	assert_int_equal(m.limit, 7);
	assert_int_equal(m.since_id, 42);
	assert_string_equal(m.group, "g1");
	assert_string_equal(m.action, "rekey");
	ipc_wbuf_free(&w);

	assert_int_equal(build(&c, "sql SELECT count(*) FROM groups", NULL, &w,
	                       err, sizeof(err)),
	                 0);
	assert_int_equal(ipc_dec_adm_sql(w.p, w.len, &q), 0);
	assert_int_equal(q.query.n, strlen("SELECT count(*) FROM groups"));
	assert_memory_equal(q.query.p, "SELECT count(*) FROM groups",
	                    q.query.n);
	ipc_wbuf_free(&w);
}

/* ---- as add ---- */

static char tmpdir[] = "/tmp/kdc-test-tools-XXXXXX";

static void
write_key(const char *name, const struct kdc_cose_key *k, bool priv, bool hex,
          char *path, size_t n)
{
	struct kdc_cw w;
	char err[256];

	snprintf(path, n, "%s/%s", tmpdir, name);
	unlink(path);
	kdc_cw_init(&w);
	kdc_cose_key_encode(&w, k, priv);
	assert_true(kdc_cw_ok(&w));
	if (hex) {
		char *h = malloc(2 * w.len + 2);

		tl_hex_encode(w.buf, w.len, h);
		strcat(h, "\n");
		assert_int_equal(
		        tl_write_file_excl(path, 0600, (const uint8_t *)h,
		                           strlen(h), err, sizeof(err)),
		        0);
		free(h);
	} else {
		assert_int_equal(tl_write_file_excl(path, 0600, w.buf, w.len,
		                                    err, sizeof(err)),
		                 0);
	}
	kdc_cw_free(&w);
}

static void
decode_key(const struct ipc_view *v, struct kdc_cose_key *k)
{
	cbor_item_t *item = NULL;

	assert_int_equal(kdc_cbor_decode(v->p, v->n, NULL, &item), 0);
	assert_int_equal(kdc_cose_key_decode(item, k), 0);
	cbor_decref(&item);
}

static void
test_as_add(void **state)
{
	struct adm_env env = {.default_audience = "kdc-default"};
	struct adm_env noenv = {.default_audience = ""};
	struct kdc_cose_key sig, sym, got;
	struct ipc_adm_as_add m;
	struct ipc_wbuf w;
	struct cmdline c;
	char err[512], line[1024], sigf[128], symf[128], kdkf[128];

	(void)state;
	assert_non_null(mkdtemp(tmpdir));
	assert_int_equal(tok_keygen("ed25519", (const uint8_t *)"as1", 3, &sig),
	                 0);
	write_key("sig.cose", &sig, true, false, sigf, sizeof(sigf));
	/* sign: the private key file, but only the public key is sent. */
	snprintf(line, sizeof(line),
	         "as add as1 --kind sign --alg EdDSA --key-file %s --issuer "
	         "iss1",
	         sigf);
	assert_int_equal(build(&c, line, &env, &w, err, sizeof(err)), 0);
	assert_true(w.secret);
	assert_int_equal(ipc_dec_adm_as_add(w.p, w.len, &m), 0);
	assert_string_equal(m.name, "as1");
	assert_int_equal(m.kind, IPC_AS_SIGN);
	assert_int_equal(m.alg, -8);
	assert_int_equal(m.kid.n, 0);
	assert_int_equal(m.audience.n, strlen("kdc-default"));
	assert_memory_equal(m.audience.p, "kdc-default", m.audience.n);
	assert_memory_equal(m.issuer.p, "iss1", 4);
	assert_int_equal(m.psk_derivation_key.n, 0);
	decode_key(&m.key, &got);
	assert_false(got.has_priv);
	assert_true(kdc_cose_key_same_public(&got, &sig));
	ipc_wbuf_free(&w);

	/* encrypt: a hex-text key file, kid and audience given, a
	 * key-derivation key. */
	assert_int_equal(tok_keygen("aes128", NULL, 0, &sym), 0);
	write_key("sym.hex", &sym, true, true, symf, sizeof(symf));
	snprintf(kdkf, sizeof(kdkf), "%s/kdk", tmpdir);
	unlink(kdkf);
	{
		static const char kdk[] = "000102030405060708090a0b0c0d0e0f"
		                          "1011\n";

		assert_int_equal(
		        tl_write_file_excl(kdkf, 0600, (const uint8_t *)kdk,
		                           sizeof(kdk) - 1, err, sizeof(err)),
		        0);
	}
	snprintf(line, sizeof(line),
	         "as add as2 --kind encrypt --alg 10 --key-file %s --kid-hex "
	         "a1b2 --audience aud2 --psk-kdk-file %s",
	         symf, kdkf);
	assert_int_equal(build(&c, line, &noenv, &w, err, sizeof(err)), 0);
	assert_int_equal(ipc_dec_adm_as_add(w.p, w.len, &m), 0);
	assert_int_equal(m.kind, IPC_AS_ENCRYPT);
	assert_int_equal(m.alg, 10);
	assert_int_equal(m.kid.n, 2);
	assert_memory_equal(m.kid.p, "\xa1\xb2", 2);
	assert_memory_equal(m.audience.p, "aud2", 4);
	assert_int_equal(m.psk_derivation_key.n, 18);
	assert_memory_equal(m.psk_derivation_key.p,
	                    "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b"
	                    "\x0c\x0d\x0e\x0f\x10\x11",
	                    18);
	decode_key(&m.key, &got);
	assert_int_equal(got.kty, KDC_KTY_SYMMETRIC);
	assert_int_equal(got.k_len, 16);
	assert_memory_equal(got.k, sym.k, 16);
	ipc_wbuf_free(&w);

	/* mac: a bare key in hex, the kid as text. */
	assert_int_equal(build(&c,
	                       "as add as3 --kind mac --alg HMAC-256/64 "
	                       "--key-hex 00112233445566778899aabbccddeeff "
	                       "--kid as3",
	                       &env, &w, err, sizeof(err)),
	                 0);
	assert_int_equal(ipc_dec_adm_as_add(w.p, w.len, &m), 0);
	assert_int_equal(m.kind, IPC_AS_MAC);
	assert_int_equal(m.alg, 4);
	assert_memory_equal(m.kid.p, "as3", 3);
	decode_key(&m.key, &got);
	assert_int_equal(got.k_len, 16);
	assert_int_equal(got.k[15], 0xff);
	ipc_wbuf_free(&w);

	/* Refusals. */
	static const char *const bad[][2] = {
	        {"as add x --alg 10 --key-hex 00112233445566778899aabbccddeeff",
	         "--kind"},
	        {"as add x --kind encrypt --key-hex 00", "--alg"},
	        {"as add x --kind encrypt --alg 10",
	         "--key-file and --key-hex"},
	        {"as add x --kind encrypt --alg 10 --key-hex 0011",
	         "symmetric key of its length"},
	        {"as add x --kind mac --alg 10 --key-hex 0011", "alg 4"},
	        {"as add x --kind sign --alg EdDSA --key-hex 0011",
	         "--key-hex"},
	        {"as add x --kind encrypt --alg 10 --key-hex zz", "not hex"},
	        {"as add x --kind mac --alg 5 --key-hex 0011 --kid a "
	         "--kid-hex 61",
	         "not both"},
	        {"as add x --kind fancy --alg 5 --key-hex 0011", "--kind"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(
		        build(&c, bad[i][0], &env, &w, err, sizeof(err)),
		        ADM_EXIT_USAGE);
		assert_contains(err, bad[i][1]);
		assert_int_equal(w.len, 0);
		ipc_wbuf_free(&w);
	}
	/* The signing algorithm must fit the key. */
	snprintf(line, sizeof(line),
	         "as add x --kind sign --alg ES256 --key-file %s", sigf);
	assert_int_equal(build(&c, line, &env, &w, err, sizeof(err)),
	                 ADM_EXIT_USAGE);
	ipc_wbuf_free(&w);
	/* No audience anywhere. */
	snprintf(line, sizeof(line),
	         "as add x --kind sign --alg EdDSA --key-file %s", sigf);
	assert_int_equal(build(&c, line, &noenv, &w, err, sizeof(err)),
	                 ADM_EXIT_USAGE);
	assert_contains(err, "default_audience");
	ipc_wbuf_free(&w);

	unlink(sigf);
	unlink(symf);
	unlink(kdkf);
	rmdir(tmpdir);
	kdc_cose_key_wipe(&sig);
	kdc_cose_key_wipe(&sym);
	kdc_cose_key_wipe(&got);
}

static void
test_exit_codes(void **state)
{
	(void)state;
	assert_int_equal(adm_exit_of_status(IPC_ADM_OK), 0);
	assert_int_equal(adm_exit_of_status(IPC_ADM_E_USAGE), 1);
	assert_int_equal(adm_exit_of_status(IPC_ADM_E_NOT_FOUND), 2);
	assert_int_equal(adm_exit_of_status(IPC_ADM_E_EXISTS), 3);
	assert_int_equal(adm_exit_of_status(IPC_ADM_E_REFUSED), 4);
	assert_int_equal(adm_exit_of_status(IPC_ADM_E_INTERNAL), 6);
	assert_int_equal(adm_exit_of_status(-1), 6);
	assert_int_equal(adm_exit_of_ipc(-1 /* IPC_E_UNAVAILABLE */), 5);
	assert_int_equal(adm_exit_of_ipc(-2 /* IPC_E_TIMEOUT */), 5);
	assert_int_equal(adm_exit_of_ipc(-3 /* IPC_E_PROTO */), 5);
	assert_int_equal(adm_exit_of_ipc(-4 /* IPC_E_NOMEM */), 6);
}

static int
setup(void **state)
{
	(void)state;
	return kdc_crypto_init();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_lookup),
	        cmocka_unit_test(test_positionals),
	        cmocka_unit_test(test_option_rejections),
	        cmocka_unit_test(test_group_create_defaults),
	        cmocka_unit_test(test_group_create_options),
	        cmocka_unit_test(test_group_create_invalid),
	        cmocka_unit_test(test_group_update_mask),
	        cmocka_unit_test(test_targets),
	        cmocka_unit_test(test_audit_and_sql),
	        cmocka_unit_test(test_as_add),
	        cmocka_unit_test(test_exit_codes),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
