/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kdc-client — the reference device: token → DTLS → Join → keying
 * material → (observe, renew, update credential) → leave.
 *
 *   kdc-token ... --ace-cbor | kdc-client --group demo --roles requester \
 *       --psk-kid dev1 --psk-key-hex 3031... --observe 60
 */
#include "client.h"

#include "crypto.h"
#include "tools_util.h"

#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void
usage(FILE *f)
{
	fprintf(f,
	        "usage: kdc-client --group NAME --roles ROLES --psk-kid KID "
	        "--psk-key-hex HEX [options]\n"
	        "  Reads an access token (raw CWT or the application/ace+cbor "
	        "map of kdc-token --ace-cbor)\n"
	        "  from --token FILE or standard input, posts it to "
	        "/authz-info, opens DTLS with the PoP key,\n"
	        "  joins the group with a fresh credential and its proof of "
	        "possession, then optionally:\n"
	        "  --kdc ADDR           KDC IPv4 address (127.0.0.1)\n"
	        "  --port N             plain CoAP port (5683)\n"
	        "  --dtls-port N        CoAP over DTLS port (5684)\n"
	        "  --roles R[+R...]     requester, responder, monitor\n"
	        "  --cred-key FILE      private COSE_Key for the credential "
	        "(default: generated)\n"
	        "  --get-creds          ask for the other members' "
	        "credentials\n"
	        "  --observe SECONDS    observe the group and print each "
	        "rekeying\n"
	        "  --renew              ask for a new Sender ID\n"
	        "  --update-cred        upload a new credential\n"
	        "  --leave              leave the group at the end\n"
	        "  --show-secrets       print the Master Secret (development "
	        "only)\n"
	        "  --timeout SECONDS    per request (10)\n"
	        "  --token-in-handshake give the token in the DTLS PSK "
	        "identity "
	        "instead of\n"
	        "                       POSTing it (N_S is then the DTLS "
	        "exporter value)\n"
	        "  --control-port N     use local port N and register the "
	        "control URI\n"
	        "                       coaps://ADDR:N/ace-group/GROUP/node, "
	        "where the KDC\n"
	        "                       POSTs rekeyings and DELETEs on "
	        "eviction\n");
}

static int
parse_roles(const char *s, uint64_t *perm)
{
	char buf[128], *tok, *save = NULL;

	*perm = 0;
	if (isdigit((unsigned char)s[0])) {
		*perm = strtoull(s, NULL, 10);
		return *perm != 0 ? 0 : -1;
	}
	snprintf(buf, sizeof(buf), "%s", s);
	for (tok = strtok_r(buf, "+,", &save); tok != NULL;
	     tok = strtok_r(NULL, "+,", &save)) {
		if (strcmp(tok, "requester") == 0)
			*perm |= KDC_PERM_REQ;
		else if (strcmp(tok, "responder") == 0)
			*perm |= KDC_PERM_RESP;
		else if (strcmp(tok, "monitor") == 0)
			*perm |= KDC_PERM_MON;
		else if (strcmp(tok, "verifier") == 0)
			*perm |= KDC_PERM_VERIF;
		else
			return -1;
	}
	return *perm != 0 ? 0 : -1;
}

/* A numeric option: strict decimal within [0, max], else a usage error. */
static bool
num_arg(const char *name, const char *s, uint64_t max, uint64_t *out)
{
	if (tl_parse_u64(s, max, out) == 0)
		return true;
	fprintf(stderr, "kdc-client: --%s wants a number from 0 to %llu\n",
	        name, (unsigned long long)max);
	return false;
}

static uint8_t *
read_all(const char *path, size_t *len)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t cap = 0;

	*len = 0;
	if (f == NULL)
		return NULL;
	for (;;) {
		if (*len == cap) {
			uint8_t *b = realloc(buf, cap ? cap * 2 : 4096);

			if (b == NULL)
				break;
			buf = b;
			cap = cap ? cap * 2 : 4096;
		}
		size_t r = fread(buf + *len, 1, cap - *len, f);

		if (r == 0)
			break;
		*len += r;
		if (*len > 65536)
			break;
	}
	if (f != stdin)
		fclose(f);
	return buf;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
	        {"kdc", required_argument, NULL, 'a'},
	        {"port", required_argument, NULL, 'p'},
	        {"dtls-port", required_argument, NULL, 'P'},
	        {"group", required_argument, NULL, 'g'},
	        {"roles", required_argument, NULL, 'r'},
	        {"psk-kid", required_argument, NULL, 'i'},
	        {"psk-key-hex", required_argument, NULL, 'k'},
	        {"token", required_argument, NULL, 't'},
	        {"cred-key", required_argument, NULL, 'C'},
	        {"get-creds", no_argument, NULL, 'G'},
	        {"observe", required_argument, NULL, 'o'},
	        {"renew", no_argument, NULL, 'R'},
	        {"update-cred", no_argument, NULL, 'U'},
	        {"leave", no_argument, NULL, 'L'},
	        {"show-secrets", no_argument, NULL, 'S'},
	        {"timeout", required_argument, NULL, 'T'},
	        {"token-in-handshake", no_argument, NULL, 'H'},
	        {"control-port", required_argument, NULL, 'c'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	static struct cl c;
	const char *token_path = "-", *cred_key = NULL;
	bool get_creds = false, renew = false, update = false, leave = false;
	bool in_handshake = false;
	int observe = 0, opt, rc = 1;
	uint64_t v;
	uint8_t *token;
	size_t token_len;

	c.host = "127.0.0.1";
	c.port = 5683;
	c.dtls_port = 5684;
	c.timeout_s = 10;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'a':
			c.host = optarg;
			break;
		case 'p':
			if (!num_arg("port", optarg, 65535, &v))
				return 2;
			c.port = (uint16_t)v;
			break;
		case 'P':
			if (!num_arg("dtls-port", optarg, 65535, &v))
				return 2;
			c.dtls_port = (uint16_t)v;
			break;
		case 'g':
			snprintf(c.group, sizeof(c.group), "%s", optarg);
			break;
		case 'r':
			if (parse_roles(optarg, &c.perm) != 0) {
				fprintf(stderr, "kdc-client: bad --roles\n");
				return 2;
			}
			break;
		case 'i':
			snprintf(c.kid, sizeof(c.kid), "%s", optarg);
			break;
		case 'k':
			if (tl_hex_decode(optarg, strlen(optarg), c.psk,
			                  sizeof(c.psk), &c.psk_len) != 0) {
				fprintf(stderr,
				        "kdc-client: bad --psk-key-hex\n");
				return 2;
			}
			break;
		case 't':
			token_path = optarg;
			break;
		case 'C':
			cred_key = optarg;
			break;
		case 'G':
			get_creds = true;
			break;
		case 'o':
			if (!num_arg("observe", optarg, 86400, &v))
				return 2;
			observe = (int)v;
			break;
		case 'R':
			renew = true;
			break;
		case 'U':
			update = true;
			break;
		case 'L':
			leave = true;
			break;
		case 'S':
			c.show_secrets = true;
			break;
		case 'T':
			if (!num_arg("timeout", optarg, 3600, &v))
				return 2;
			c.timeout_s = (int)v;
			break;
		case 'H':
			in_handshake = true;
			break;
		case 'c':
			if (!num_arg("control-port", optarg, 65535, &v))
				return 2;
			c.local_port = (uint16_t)v;
			c.control = c.local_port != 0;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (c.group[0] == '\0' || c.perm == 0 || c.kid[0] == '\0' ||
	    c.psk_len == 0) {
		usage(stderr);
		return 2;
	}
	if (kdc_crypto_init() != 0)
		return 1;
	token = read_all(token_path, &token_len);
	if (token == NULL || token_len == 0) {
		fprintf(stderr, "kdc-client: no access token on %s\n",
		        token_path);
		return 2;
	}
	if (cl_coap_init(&c) != 0)
		goto out;
	if (in_handshake) {
		/* RFC 9202 §3.3.2: the token itself is the PSK identity; it
		 * may contain NUL bytes, so it travels base64url-encoded (a
		 * form the KDC accepts, docs/DESIGN.md §3). */
		if (cl_identity_from_token(&c, token, token_len) != 0)
			goto out;
	} else if (cl_post_token(&c, token, token_len) != 0) {
		goto out;
	}
	/* A monitor sends nothing and needs no credential (GO §2). */
	if (c.perm != KDC_PERM_MON &&
	    cl_make_credential(&c, cred_key, c.sign_alg) != 0)
		goto out;
	if (c.control && cl_control_init(&c) != 0)
		goto out;
	if (cl_coap_dtls(&c) != 0 || cl_coap_connect(&c, in_handshake) != 0 ||
	    cl_join(&c, get_creds) != 0)
		goto out;
	if (renew && cl_renew(&c) != 0)
		goto out;
	if (update && cl_update_cred(&c) != 0)
		goto out;
	if (observe > 0 && cl_observe(&c, observe) != 0)
		goto out;
	if (leave && cl_leave(&c) != 0)
		goto out;
	rc = 0;
out:
	free(token);
	kdc_cose_key_wipe(&c.cred_key);
	kdc_wipe(c.psk, sizeof(c.psk));
	if (c.ctx != NULL)
		coap_free_context(c.ctx);
	coap_cleanup();
	return rc;
}
