/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fe_dtls.c — the DTLS profile of ACE (RFC 9202) on libcoap's GnuTLS
 * backend.
 *
 * PSK mode (RFC 9202 §3.3): libcoap asks for the key of an identity during
 * the handshake, synchronously, so the keystore is asked on a second,
 * blocking IPC connection with a short timeout (docs/DESIGN.md §3); the
 * identity forms are interpreted by the keystore.  RPK mode (§3.2): the
 * client's SubjectPublicKeyInfo must be the `cnf` key of a stored token.
 * Either way the session is bound to the token's binding, and every group
 * request on it is authorised against that token.
 *
 * N_S for tokens carried in the handshake is the TLS exporter value with the
 * label of GO §6.1.1, an empty context and 32 bytes.
 */
#include "fe.h"

#include "crypto.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <gnutls/gnutls.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define EXPORTER_LABEL "EXPORTER-ACE-Pop-Input-coap-group-oscore-app"

/* libcoap duplicates the key it is given; this buffer is wiped as soon as
 * the loop runs again (fe_dtls_wipe). */
static uint8_t psk_buf[64];
static coap_bin_const_t psk_key;
static uint8_t *rpk_pem;
static size_t rpk_pem_len;

static struct ipc_sync *
sync_conn(struct fe *fe)
{
	int st;

	if (fe->sync != NULL)
		return fe->sync;
	fe->sync = ipc_sync_connect(fe->sock_path, IPC_PEER_FRONTEND, fe->name,
	                            IPC_PROTO_VERSION,
	                            (int)fe->conf.ipc_timeout_ms, &st);
	if (fe->sync == NULL)
		log_warn("keystore unreachable for a DTLS handshake: %s",
		         ipc_strerror(st));
	return fe->sync;
}

/* Ask the keystore; on success bind the session and return the result
 * payload (caller frees, wiping). */
static uint8_t *
identity_call(struct fe *fe, uint16_t type, struct ipc_wbuf *w, size_t *len,
              struct ipc_psk_result *res)
{
	struct ipc_sync *s = sync_conn(fe);
	struct ipc_hdr h;
	uint8_t *reply = NULL;
	int st;

	if (s == NULL)
		return NULL;
	st = ipc_sync_call(s, type, w->p, w->len, (int)fe->conf.ipc_timeout_ms,
	                   &h, &reply, NULL, NULL);
	if (st != IPC_OK) {
		log_warn("keystore lookup for a DTLS handshake failed: %s",
		         ipc_strerror(st));
		ipc_sync_close(fe->sync);
		fe->sync = NULL;
		return NULL;
	}
	if (h.type != IPC_MSG_PSK_RESULT ||
	    ipc_dec_psk_result(reply, h.len, res) != 0) {
		log_err("malformed identity answer from the keystore");
		ipc_sync_free_reply(reply, h.len);
		return NULL;
	}
	*len = h.len;
	return reply;
}

static void
bind_session(struct fe *fe, coap_session_t *session,
             const struct ipc_psk_result *res)
{
	struct fe_sess *s = fe_sess_get(session, true);
	struct fe_binding *b = fe_binding_get(fe, &res->binding, true);

	if (s == NULL || b == NULL)
		return;
	b->exp = res->exp;
	b->gone = false;
	fe_sess_bind(s, b);
	s->token_in_handshake = res->token_in_handshake;
	s->have_exporter = false;
}

static const coap_bin_const_t *
psk_callback(coap_bin_const_t *identity, coap_session_t *session, void *arg)
{
	struct fe *fe = arg;
	struct ipc_psk_identity q;
	struct ipc_psk_result res;
	struct ipc_wbuf w;
	uint8_t *reply;
	size_t len = 0;
	const coap_bin_const_t *out = NULL;

	kdc_wipe(psk_buf, sizeof(psk_buf));
	if (identity == NULL || identity->length == 0) {
		log_info("DTLS-PSK handshake without an identity refused");
		return NULL;
	}
	q.identity.p = identity->s;
	q.identity.n = identity->length;
	ipc_wbuf_init(&w);
	if (ipc_enc_psk_identity(&w, &q) != 0) {
		ipc_wbuf_free(&w);
		return NULL;
	}
	reply = identity_call(fe, IPC_MSG_PSK_IDENTITY, &w, &len, &res);
	ipc_wbuf_free(&w);
	if (reply == NULL)
		return NULL;
	if (res.status == IPC_PSK_OK && res.key.n > 0 &&
	    res.key.n <= sizeof(psk_buf)) {
		memcpy(psk_buf, res.key.p, res.key.n);
		psk_key.s = psk_buf;
		psk_key.length = res.key.n;
		bind_session(fe, session, &res);
		out = &psk_key;
	} else {
		/* RFC 9202 §3.3.2: no valid token → the handshake fails
		 * (libcoap/GnuTLS send the alert). */
		log_info("DTLS-PSK identity refused by the keystore (status "
		         "%u) for %s",
		         res.status, coap_session_str(session));
	}
	ipc_sync_free_reply(reply, len);
	return out;
}

static int
rpk_callback(const char *cn, const uint8_t *spki, size_t spki_len,
             coap_session_t *session, unsigned depth, int validated, void *arg)
{
	struct fe *fe = arg;
	struct ipc_rpk_identity q;
	struct ipc_psk_result res;
	struct ipc_wbuf w;
	uint8_t *reply;
	size_t len = 0;
	int ok = 0;

	(void)cn;
	(void)depth;
	(void)validated;
	q.spki.p = spki;
	q.spki.n = spki_len;
	ipc_wbuf_init(&w);
	if (ipc_enc_rpk_identity(&w, &q) != 0) {
		ipc_wbuf_free(&w);
		return 0;
	}
	reply = identity_call(fe, IPC_MSG_RPK_IDENTITY, &w, &len, &res);
	ipc_wbuf_free(&w);
	if (reply == NULL)
		return 0;
	if (res.status == IPC_PSK_OK) {
		bind_session(fe, session, &res);
		ok = 1;
	} else {
		log_info("DTLS-RPK key without a valid token refused for %s",
		         coap_session_str(session));
	}
	ipc_sync_free_reply(reply, len);
	return ok;
}

static int
read_file(const char *path, uint8_t **out, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	uint8_t *buf;

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) != 0 || st.st_size <= 0 || st.st_size > 65536) {
		close(fd);
		return -1;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (buf == NULL || read(fd, buf, (size_t)st.st_size) != st.st_size) {
		free(buf);
		close(fd);
		return -1;
	}
	close(fd);
	buf[st.st_size] = '\0';
	*out = buf;
	*len = (size_t)st.st_size + 1; /* libcoap wants the NUL counted */
	return 0;
}

int
fe_dtls_setup(struct fe *fe)
{
	coap_dtls_spsk_t sp;

	memset(&sp, 0, sizeof(sp));
	sp.version = COAP_DTLS_SPSK_SETUP_VERSION;
	sp.validate_id_call_back = psk_callback;
	sp.id_call_back_arg = fe;
	/* No identity hint, no default key: every key comes from a token. */
	if (!coap_context_set_psk2(fe->coap, &sp)) {
		log_err("libcoap refused the DTLS-PSK configuration");
		return -1;
	}
	if (fe->conf.rpk_key[0] != '\0') {
		coap_dtls_pki_t pki;

		/* Read before privileges are dropped; kept in memory. */
		if (read_file(fe->conf.rpk_key, &rpk_pem, &rpk_pem_len) != 0) {
			log_err("cannot read rpk_key %s: %s", fe->conf.rpk_key,
			        strerror(errno));
			return -1;
		}
		memset(&pki, 0, sizeof(pki));
		pki.version = COAP_DTLS_PKI_SETUP_VERSION;
		pki.verify_peer_cert = 1; /* the client must present its key */
		pki.is_rpk_not_cert = 1;
		pki.validate_cn_call_back = rpk_callback;
		pki.cn_call_back_arg = fe;
		pki.pki_key.key_type = COAP_PKI_KEY_PEM_BUF;
		pki.pki_key.key.pem_buf.public_cert = rpk_pem;
		pki.pki_key.key.pem_buf.public_cert_len = rpk_pem_len;
		pki.pki_key.key.pem_buf.private_key = rpk_pem;
		pki.pki_key.key.pem_buf.private_key_len = rpk_pem_len;
		if (!coap_context_set_pki(fe->coap, &pki)) {
			log_err("libcoap refused the DTLS-RPK configuration");
			return -1;
		}
		log_info("DTLS raw public keys enabled (RFC 9202 §3.2)");
	}
	return 0;
}

/* Wipe the PSK handed to libcoap (it has its own copy by now). */
void
fe_dtls_wipe(void)
{
	kdc_wipe(psk_buf, sizeof(psk_buf));
}

int
fe_exporter(coap_session_t *s, uint8_t out[32])
{
	coap_tls_library_t lib;
	gnutls_session_t gs = coap_session_get_tls(s, &lib);

	if (gs == NULL || lib != COAP_TLS_LIBRARY_GNUTLS)
		return -1;
	/* An empty (not absent) context: a non-NULL pointer of length 0
	 * (RFC 5705 §4, GO §6.1.1). */
	if (gnutls_prf_rfc5705(gs, strlen(EXPORTER_LABEL), EXPORTER_LABEL, 0,
	                       "", 32, (char *)out) != GNUTLS_E_SUCCESS)
		return -1;
	return 0;
}
