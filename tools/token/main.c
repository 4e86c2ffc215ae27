/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kdc-token — a DEVELOPMENT Authorization Server in a command (not for
 * production): mints access tokens for the KDC, generates COSE_Key files
 * and prints PSK identities.  See kdc-token(1).
 */
#include "token.h"

#include "cbor_in.h"
#include "crypto.h"
#include "group_config.h"
#include "tools_util.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define WARNING                                                                \
	"kdc-token: DEVELOPMENT Authorization Server, not for production "     \
	"use\n"

enum { EXIT_USAGE = 1, EXIT_FAIL = 2 };

static void
usage(FILE *f)
{
	fprintf(f,
	        "kdc-token — a DEVELOPMENT Authorization Server: mints access "
	        "tokens for the KDC\n"
	        "from keys in plain files.  Not for production use.\n"
	        "\n"
	        "usage: kdc-token --aud AUD --scope GROUP:ROLES[,...] "
	        "[--lifetime SECONDS] [--iss ISS]\n"
	        "                 (--psk-kid TEXT [--psk-key-hex HEX] | "
	        "--rpk-pub-file FILE)\n"
	        "                 --protect sign|mac|encrypt|sign+encrypt "
	        "--as-key-file FILE\n"
	        "                 [--as-kid TEXT] [--as-alg ALG] "
	        "[--as-enc-key-file FILE] [--as-enc-kid TEXT]\n"
	        "                 [--scope-tag] [--hex | --ace-cbor "
	        "[--want-ecdh-info] [--want-dh-creds]]\n"
	        "                 [--print-psk --kdk-hex HEX]\n"
	        "       kdc-token keygen --type ed25519|p256|x25519|hmac256|"
	        "aes128 [--kid TEXT] --out FILE\n"
	        "                 [--pub-out FILE]\n"
	        "       kdc-token psk-identity (--kid TEXT | --kid-hex HEX)\n"
	        "\n"
	        "Token (CWT, RFC 8392): aud, exp = now + lifetime (default "
	        "3600), iat = now,\n"
	        "random cti, cnf and an AIF scope; roles are requester, "
	        "responder, monitor,\n"
	        "verifier joined by '+', or a number.  The PoP key is a "
	        "symmetric key with its\n"
	        "kid (--psk-kid with --psk-key-hex; the token must then be "
	        "encrypted, RFC 9202\n"
	        "§3.3), a kid alone (the KDC derives the key, RFC 9202 §3.3.1; "
	        "--print-psk prints\n"
	        "it on stderr given the AS's key-derivation key --kdk-hex), or "
	        "a raw public key\n"
	        "(--rpk-pub-file, a COSE_Key, Ed25519 or P-256).  The AS key "
	        "file is a COSE_Key\n"
	        "(binary CBOR or hex): Ed25519/P-256 for sign, Symmetric for "
	        "mac (HMAC 256/64,\n"
	        "256/256) and encrypt (AES-CCM-16-64-128); sign+encrypt signs "
	        "with --as-key-file\n"
	        "and encrypts with --as-enc-key-file.  --scope-tag uses the "
	        "extended scope format\n"
	        "(tag 1668547115, RFC 9594 §7).  Output: the raw token on "
	        "stdout, --hex its hex,\n"
	        "--ace-cbor the application/ace+cbor map {1: token, 45: null} "
	        "for POST /authz-info.\n"
	        "\n"
	        "Exit status: 0 success, 1 usage error, 2 failure (a key that "
	        "does not fit, I/O).\n");
}

/* ---- output ---- */

static int
emit(const uint8_t *p, size_t n, bool hex)
{
	if (hex) {
		char *s = malloc(2 * n + 1);

		if (s == NULL)
			return -1;
		tl_hex_encode(p, n, s);
		printf("%s\n", s);
		free(s);
	} else {
		if (isatty(STDOUT_FILENO)) {
			fprintf(stderr, "kdc-token: not writing binary to a "
			                "terminal; use --hex or a pipe\n");
			return -1;
		}
		if (fwrite(p, 1, n, stdout) != n)
			return -1;
	}
	return fflush(stdout) == 0 ? 0 : -1;
}

static int
kid_arg(const char *text, const char *hex, uint8_t *kid, size_t *len)
{
	if (text != NULL && hex != NULL)
		return -1;
	if (text != NULL) {
		*len = strlen(text);
		if (*len == 0 || *len > KDC_COSE_MAX_KID)
			return -1;
		memcpy(kid, text, *len);
		return 0;
	}
	if (hex != NULL)
		return tl_hex_decode(hex, strlen(hex), kid, KDC_COSE_MAX_KID,
		                     len) == 0 &&
		                       *len > 0
		               ? 0
		               : -1;
	*len = 0;
	return 0;
}

/* ---- psk-identity ---- */

static int
cmd_psk_identity(int argc, char *argv[])
{
	static const struct option opts[] = {
	        {"kid", required_argument, NULL, 'k'},
	        {"kid-hex", required_argument, NULL, 'x'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	const char *text = NULL, *hex = NULL;
	uint8_t kid[KDC_COSE_MAX_KID];
	size_t kid_len = 0;
	struct kdc_cw w;
	char *h, *b;
	int ch;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'k':
			text = optarg;
			break;
		case 'x':
			hex = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind != argc || (text == NULL && hex == NULL) ||
	    kid_arg(text, hex, kid, &kid_len) != 0) {
		fprintf(stderr, "kdc-token psk-identity: give --kid TEXT or "
		                "--kid-hex HEX (1 to 64 bytes)\n");
		return EXIT_USAGE;
	}
	kdc_cw_init(&w);
	tok_psk_identity(&w, kid, kid_len);
	h = malloc(2 * w.len + 1);
	b = malloc(tl_b64url_len(w.len) + 1);
	if (!kdc_cw_ok(&w) || h == NULL || b == NULL) {
		free(h);
		free(b);
		kdc_cw_free(&w);
		return EXIT_FAIL;
	}
	tl_hex_encode(w.buf, w.len, h);
	tl_b64url_encode(w.buf, w.len, b);
	printf("hex: %s\nbase64url: %s\n", h, b);
	free(h);
	free(b);
	kdc_cw_free(&w);
	return 0;
}

/* ---- keygen ---- */

static int
write_key(const char *path, const struct kdc_cose_key *k, bool priv,
          mode_t mode)
{
	struct kdc_cw w;
	char err[512];
	int rc;

	kdc_cw_init(&w);
	kdc_cose_key_encode(&w, k, priv);
	rc = kdc_cw_ok(&w) ? tl_write_file_excl(path, mode, w.buf, w.len, err,
	                                        sizeof(err))
	                   : -1;
	if (rc != 0)
		fprintf(stderr, "kdc-token keygen: %s\n",
		        kdc_cw_ok(&w) ? err : "out of memory");
	kdc_cw_free(&w);
	return rc;
}

static int
cmd_keygen(int argc, char *argv[])
{
	static const struct option opts[] = {
	        {"type", required_argument, NULL, 't'},
	        {"kid", required_argument, NULL, 'k'},
	        {"kid-hex", required_argument, NULL, 'x'},
	        {"out", required_argument, NULL, 'o'},
	        {"pub-out", required_argument, NULL, 'p'},
	        {"pem-out", required_argument, NULL, 'P'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	const char *type = NULL, *out = NULL, *pub = NULL, *text = NULL,
	           *hex = NULL, *pem = NULL;
	struct kdc_cose_key k;
	uint8_t kid[KDC_COSE_MAX_KID];
	size_t kid_len = 0;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 't':
			type = optarg;
			break;
		case 'k':
			text = optarg;
			break;
		case 'x':
			hex = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case 'p':
			pub = optarg;
			break;
		case 'P':
			pem = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind != argc || type == NULL || out == NULL ||
	    kid_arg(text, hex, kid, &kid_len) != 0) {
		fprintf(stderr, "kdc-token keygen: --type and --out are "
		                "required; --kid of 1 to 64 bytes\n");
		return EXIT_USAGE;
	}
	fputs(WARNING, stderr);
	if (tok_keygen(type, kid, kid_len, &k) != 0) {
		fprintf(stderr, "kdc-token keygen: --type ed25519, p256, "
		                "x25519, hmac256 or aes128\n");
		return EXIT_USAGE;
	}
	if (pub != NULL && k.kty == KDC_KTY_SYMMETRIC) {
		kdc_cose_key_wipe(&k);
		fprintf(stderr, "kdc-token keygen: a symmetric key has no "
		                "public part (--pub-out)\n");
		return EXIT_USAGE;
	}
	if (pem != NULL && k.kty != KDC_KTY_EC2) {
		kdc_cose_key_wipe(&k);
		fprintf(stderr, "kdc-token keygen: --pem-out is for p256 keys "
		                "(DTLS raw public keys, RFC 9202 §3.2)\n");
		return EXIT_USAGE;
	}
	rc = write_key(out, &k, true, 0600);
	if (rc == 0 && pub != NULL)
		rc = write_key(pub, &k, false, 0644);
	if (rc == 0 && pem != NULL)
		rc = tok_write_pem(pem, &k);
	kdc_cose_key_wipe(&k);
	return rc == 0 ? 0 : EXIT_FAIL;
}

/* ---- mint ---- */

enum {
	O_AUD = 256,
	O_SCOPE,
	O_LIFETIME,
	O_ISS,
	O_PSK_KID,
	O_PSK_KID_HEX,
	O_PSK_KEY_HEX,
	O_RPK_PUB_FILE,
	O_PROTECT,
	O_AS_KEY_FILE,
	O_AS_KID,
	O_AS_ALG,
	O_AS_ENC_KEY_FILE,
	O_AS_ENC_KID,
	O_SCOPE_TAG,
	O_HEX,
	O_ACE_CBOR,
	O_WANT_ECDH,
	O_WANT_DH,
	O_PRINT_PSK,
	O_KDK_HEX,
};

static const struct option mint_opts[] = {
        {"aud", required_argument, NULL, O_AUD},
        {"scope", required_argument, NULL, O_SCOPE},
        {"lifetime", required_argument, NULL, O_LIFETIME},
        {"iss", required_argument, NULL, O_ISS},
        {"psk-kid", required_argument, NULL, O_PSK_KID},
        {"psk-kid-hex", required_argument, NULL, O_PSK_KID_HEX},
        {"psk-key-hex", required_argument, NULL, O_PSK_KEY_HEX},
        {"rpk-pub-file", required_argument, NULL, O_RPK_PUB_FILE},
        {"protect", required_argument, NULL, O_PROTECT},
        {"as-key-file", required_argument, NULL, O_AS_KEY_FILE},
        {"as-kid", required_argument, NULL, O_AS_KID},
        {"as-alg", required_argument, NULL, O_AS_ALG},
        {"as-enc-key-file", required_argument, NULL, O_AS_ENC_KEY_FILE},
        {"as-enc-kid", required_argument, NULL, O_AS_ENC_KID},
        {"scope-tag", no_argument, NULL, O_SCOPE_TAG},
        {"hex", no_argument, NULL, O_HEX},
        {"ace-cbor", no_argument, NULL, O_ACE_CBOR},
        {"want-ecdh-info", no_argument, NULL, O_WANT_ECDH},
        {"want-dh-creds", no_argument, NULL, O_WANT_DH},
        {"print-psk", no_argument, NULL, O_PRINT_PSK},
        {"kdk-hex", required_argument, NULL, O_KDK_HEX},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
};

struct mint_args {
	const char *scope, *lifetime, *psk_kid, *psk_kid_hex, *psk_key_hex,
	        *rpk, *protect, *as_key, *as_kid, *as_alg, *as_enc_key,
	        *as_enc_kid, *kdk_hex;
	bool scope_tag, hex, ace, ecdh, dh, print_psk;
};

static int
layer_from(struct tok_layer *l, const char *file, const char *kid,
           const char *alg, const char *what)
{
	char err[512];

	if (file == NULL) {
		fprintf(stderr, "kdc-token: %s is required\n", what);
		return EXIT_USAGE;
	}
	if (tl_cose_key_from_file(file, &l->key, err, sizeof(err)) != 0) {
		fprintf(stderr, "kdc-token: %s\n", err);
		return EXIT_FAIL;
	}
	if (kid != NULL) {
		l->kid_len = strlen(kid);
		if (l->kid_len == 0 || l->kid_len > sizeof(l->kid)) {
			fprintf(stderr, "kdc-token: a kid of 1 to 64 bytes\n");
			return EXIT_USAGE;
		}
		memcpy(l->kid, kid, l->kid_len);
	}
	if (alg != NULL && kdc_alg_parse(alg, &l->alg) != 0) {
		fprintf(stderr, "kdc-token: unknown algorithm '%s'\n", alg);
		return EXIT_USAGE;
	}
	return 0;
}

static int
pop_from(struct tok_params *p, const struct mint_args *m)
{
	char err[512];
	bool kid = m->psk_kid != NULL || m->psk_kid_hex != NULL;

	if (kid == (m->rpk != NULL)) {
		fprintf(stderr, "kdc-token: give the PoP key: --psk-kid TEXT "
		                "[--psk-key-hex HEX] or --rpk-pub-file FILE\n");
		return EXIT_USAGE;
	}
	if (m->rpk != NULL) {
		p->cnf = TOK_CNF_RPK;
		if (tl_cose_key_from_file(m->rpk, &p->rpk, err, sizeof(err)) !=
		    0) {
			fprintf(stderr, "kdc-token: %s\n", err);
			return EXIT_FAIL;
		}
		return 0;
	}
	if (kid_arg(m->psk_kid, m->psk_kid_hex, p->pop_kid, &p->pop_kid_len) !=
	    0) {
		fprintf(stderr, "kdc-token: --psk-kid: 1 to 64 bytes\n");
		return EXIT_USAGE;
	}
	p->cnf = TOK_CNF_PSK_KID;
	if (m->psk_key_hex != NULL) {
		p->cnf = TOK_CNF_PSK;
		if (tl_hex_decode(m->psk_key_hex, strlen(m->psk_key_hex),
		                  p->psk, sizeof(p->psk), &p->psk_len) != 0 ||
		    p->psk_len == 0) {
			fprintf(stderr, "kdc-token: --psk-key-hex: 1 to 64 "
			                "bytes of hex\n");
			return EXIT_USAGE;
		}
	}
	return 0;
}

static int
params_from(struct tok_params *p, const struct mint_args *m)
{
	uint64_t life = 3600;
	char err[512];
	int rc;

	if (m->scope == NULL) {
		fprintf(stderr, "kdc-token: --scope is required\n");
		return EXIT_USAGE;
	}
	if (tok_parse_scope(m->scope, &p->scope, err, sizeof(err)) != 0) {
		fprintf(stderr, "kdc-token: --scope: %s\n", err);
		return EXIT_USAGE;
	}
	if (m->lifetime != NULL &&
	    (tl_parse_u64(m->lifetime, UINT32_MAX, &life) != 0 || life == 0)) {
		fprintf(stderr, "kdc-token: --lifetime: seconds\n");
		return EXIT_USAGE;
	}
	p->lifetime = (uint32_t)life;
	p->now = (int64_t)time(NULL);
	p->cti_len = 8;
	kdc_random(p->cti, p->cti_len);
	rc = pop_from(p, m);
	if (rc != 0)
		return rc;
	if (m->protect == NULL || tok_parse_protect(m->protect, &p->protect)) {
		fprintf(stderr, "kdc-token: --protect sign|mac|encrypt|"
		                "sign+encrypt is required\n");
		return EXIT_USAGE;
	}
	rc = layer_from(&p->as, m->as_key, m->as_kid, m->as_alg,
	                "--as-key-file");
	if (rc == 0 && p->protect == TOK_PROTECT_SIGN_ENCRYPT)
		rc = layer_from(&p->as_enc, m->as_enc_key, m->as_enc_kid, NULL,
		                "--as-enc-key-file (sign+encrypt)");
	return rc;
}

static int
print_psk(const struct mint_args *m, const uint8_t *tok, size_t len)
{
	uint8_t kdk[64], key[TOK_DERIVED_PSK_LEN];
	char hex[2 * TOK_DERIVED_PSK_LEN + 1];
	size_t n;

	if (m->kdk_hex == NULL ||
	    tl_hex_decode(m->kdk_hex, strlen(m->kdk_hex), kdk, sizeof(kdk),
	                  &n) != 0 ||
	    n == 0) {
		fprintf(stderr, "kdc-token: --print-psk needs --kdk-hex HEX\n");
		return EXIT_USAGE;
	}
	if (tok_derive_psk(kdk, n, tok, len, key) != 0) {
		kdc_wipe(kdk, sizeof(kdk));
		return EXIT_FAIL;
	}
	tl_hex_encode(key, sizeof(key), hex);
	fprintf(stderr, "psk-key-hex: %s\n", hex);
	kdc_wipe(kdk, sizeof(kdk));
	kdc_wipe(key, sizeof(key));
	kdc_wipe(hex, sizeof(hex));
	return 0;
}

static int
mint(struct tok_params *p, const struct mint_args *m)
{
	struct kdc_cw tok, ace;
	char err[512];
	int rc;

	if (m->print_psk && p->cnf != TOK_CNF_PSK_KID) {
		fprintf(stderr, "kdc-token: --print-psk is for a kid-only PoP "
		                "key (--psk-kid without --psk-key-hex)\n");
		return EXIT_USAGE;
	}
	kdc_cw_init(&tok);
	kdc_cw_init(&ace);
	if (tok_mint(p, &tok, err, sizeof(err)) != 0) {
		fprintf(stderr, "kdc-token: %s\n", err);
		rc = EXIT_FAIL;
		goto out;
	}
	rc = m->print_psk ? print_psk(m, tok.buf, tok.len) : 0;
	if (rc != 0)
		goto out;
	if (m->ace) {
		tok_ace_cbor(&ace, tok.buf, tok.len, m->ecdh, m->dh);
		rc = kdc_cw_ok(&ace) ? emit(ace.buf, ace.len, m->hex) : -1;
	} else {
		rc = emit(tok.buf, tok.len, m->hex);
	}
	if (rc != 0)
		rc = EXIT_FAIL;
out:
	kdc_cw_free(&tok);
	kdc_cw_free(&ace);
	return rc;
}

static int
cmd_mint(int argc, char *argv[])
{
	struct mint_args m;
	struct tok_params *p;
	const char *aud = NULL, *iss = NULL;
	int ch, rc;

	memset(&m, 0, sizeof(m));
	while ((ch = getopt_long(argc, argv, "hV", mint_opts, NULL)) != -1) {
		switch (ch) {
		case O_AUD:
			aud = optarg;
			break;
		case O_SCOPE:
			m.scope = optarg;
			break;
		case O_LIFETIME:
			m.lifetime = optarg;
			break;
		case O_ISS:
			iss = optarg;
			break;
		case O_PSK_KID:
			m.psk_kid = optarg;
			break;
		case O_PSK_KID_HEX:
			m.psk_kid_hex = optarg;
			break;
		case O_PSK_KEY_HEX:
			m.psk_key_hex = optarg;
			break;
		case O_RPK_PUB_FILE:
			m.rpk = optarg;
			break;
		case O_PROTECT:
			m.protect = optarg;
			break;
		case O_AS_KEY_FILE:
			m.as_key = optarg;
			break;
		case O_AS_KID:
			m.as_kid = optarg;
			break;
		case O_AS_ALG:
			m.as_alg = optarg;
			break;
		case O_AS_ENC_KEY_FILE:
			m.as_enc_key = optarg;
			break;
		case O_AS_ENC_KID:
			m.as_enc_kid = optarg;
			break;
		case O_SCOPE_TAG:
			m.scope_tag = true;
			break;
		case O_HEX:
			m.hex = true;
			break;
		case O_ACE_CBOR:
			m.ace = true;
			break;
		case O_WANT_ECDH:
			m.ecdh = true;
			break;
		case O_WANT_DH:
			m.dh = true;
			break;
		case O_PRINT_PSK:
			m.print_psk = true;
			break;
		case O_KDK_HEX:
			m.kdk_hex = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("kdc-token %s\n", KDC_VERSION);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "kdc-token: unexpected argument '%s'\n",
		        argv[optind]);
		return EXIT_USAGE;
	}
	if (aud == NULL || aud[0] == '\0') {
		fprintf(stderr, "kdc-token: --aud is required\n");
		return EXIT_USAGE;
	}
	if ((m.ecdh || m.dh) && !m.ace) {
		fprintf(stderr, "kdc-token: --want-ecdh-info and "
		                "--want-dh-creds go with --ace-cbor\n");
		return EXIT_USAGE;
	}
	fputs(WARNING, stderr);
	/* Guarded memory: PoP and AS keys. */
	p = kdc_secure_alloc(sizeof(*p));
	if (p == NULL)
		return EXIT_FAIL;
	memset(p, 0, sizeof(*p));
	p->aud = aud;
	p->iss = iss;
	p->scope_tag = m.scope_tag;
	rc = params_from(p, &m);
	if (rc == 0)
		rc = mint(p, &m);
	kdc_secure_free(p);
	return rc;
}

int
main(int argc, char *argv[])
{
	if (kdc_crypto_init() != 0) {
		fprintf(stderr, "kdc-token: cannot initialise libsodium\n");
		return EXIT_FAIL;
	}
	if (argc > 1 && strcmp(argv[1], "keygen") == 0)
		return cmd_keygen(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "psk-identity") == 0)
		return cmd_psk_identity(argc - 1, argv + 1);
	return cmd_mint(argc, argv);
}
