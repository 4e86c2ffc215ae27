/* SPDX-License-Identifier: Apache-2.0 */
/*
 * adm_util.c — helpers shared by the administration handlers (adm.h).
 */
#include "adm.h"

#include "crypto.h"
#include "gm.h"
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void adm_verror(struct ks_req *r, int status, const char *fmt,
                       va_list ap) __attribute__((format(printf, 3, 0)));

static void
adm_verror(struct ks_req *r, int status, const char *fmt, va_list ap)
{
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	ks_reply_adm(r, NULL, status, msg);
}

void
adm_error(struct ks_req *r, int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	adm_verror(r, status, fmt, ap);
	va_end(ap);
}

int
adm_group(struct ks_req *r, const char *name, struct ks_group *g)
{
	int rc;

	if (name[0] == '\0') {
		adm_error(r, IPC_ADM_E_USAGE, "no group name given");
		return 1;
	}
	rc = ks_store_group_by_name(r->ks->store, name, g);
	if (rc == KS_NOTFOUND) {
		adm_error(r, IPC_ADM_E_NOT_FOUND, "no group named '%s'", name);
		return 1;
	}
	return rc == KS_OK ? 0 : -1;
}

void
adm_tab_alg(struct ipc_tab_builder *tb, int64_t alg)
{
	const char *name = kdc_alg_name(alg);
	char num[24];

	if (name == NULL) {
		snprintf(num, sizeof(num), "%lld", (long long)alg);
		name = num;
	}
	ipc_tab_textz(tb, name);
}

void
adm_tab_crv(struct ipc_tab_builder *tb, int crv)
{
	const char *name = kdc_crv_name(crv);
	char num[24];

	if (name == NULL) {
		snprintf(num, sizeof(num), "%d", crv);
		name = num;
	}
	ipc_tab_textz(tb, name);
}

const char *
adm_roles(uint64_t perm, char *buf, size_t n)
{
	static const struct {
		uint64_t bit;
		const char *name;
	} roles[] = {
	        {KDC_PERM_REQ, "requester"},
	        {KDC_PERM_RESP, "responder"},
	        {KDC_PERM_MON, "monitor"},
	        {KDC_PERM_VERIF, "verifier"},
	};
	size_t used = 0;

	if (n == 0)
		return buf;
	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++) {
		if ((perm & roles[i].bit) == 0)
			continue;
		used += (size_t)snprintf(buf + used, used < n ? n - used : 0,
		                         "%s%s", used > 0 ? "," : "",
		                         roles[i].name);
	}
	return buf;
}

void
adm_key_fingerprint(const struct kdc_cose_key *k, char out[17])
{
	uint8_t h[32];

	if (k->kty == KDC_KTY_SYMMETRIC) {
		static const char label[] = "kdc/as-key-fingerprint/";
		uint8_t buf[sizeof(label) - 1 + KDC_COSE_MAX_SYMKEY];
		size_t n = sizeof(label) - 1;

		memcpy(buf, label, n);
		memcpy(buf + n, k->k, k->k_len);
		kdc_sha256(buf, n + k->k_len, h);
		kdc_wipe(buf, sizeof(buf));
	} else {
		struct kdc_cose_key pub = *k;
		struct kdc_cw w;

		/* The public part only, without kid or alg. */
		pub.has_priv = false;
		pub.has_alg = false;
		pub.kid_len = 0;
		kdc_wipe(pub.d, sizeof(pub.d));
		kdc_cw_init(&w);
		kdc_cose_key_encode(&w, &pub, false);
		kdc_sha256(w.buf != NULL ? w.buf : h, w.len, h);
		kdc_cw_free(&w);
		kdc_cose_key_wipe(&pub);
	}
	kdc_hex(out, 17, h, 8);
}

int
adm_push_state(struct ks *ks, const struct ks_group *g, uint8_t reason)
{
	struct kdc_group_material *m = kdc_secure_alloc(sizeof(*m));
	struct ipc_group_state st;
	struct ipc_wbuf w;
	int rc = -1;

	if (m == NULL)
		return -1;
	if (gm_material(ks, g, m) == 0) {
		memset(&st, 0, sizeof(st));
		st.reason = reason;
		st.material = m;
		ipc_wbuf_init(&w);
		if (ipc_enc_group_state(&w, &st) == 0) {
			ks_push_subscribers(ks, g->id, IPC_MSG_PUSH_GROUP_STATE,
			                    &w);
			rc = 0;
		}
		ipc_wbuf_free(&w);
	}
	kdc_secure_free(m);
	return rc;
}
