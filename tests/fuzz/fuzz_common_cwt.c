/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target for CWT processing (common/cwt.c): kdc_cwt_unwrap()
 * with a key callback that hands out the fixed keys of the seed vectors
 * (RFC 8392 Appendix A and COSE WG), then kdc_cwt_check() under several
 * policies.
 *
 * Properties checked beyond "no crash, no leak":
 *   - on failure nothing is kept (claims NULL);
 *   - on success the claims are a map, every present claim pointer is
 *     non-NULL, the cnf fields agree with cnf_method, the issuer is the
 *     callback's, and kdc_cwt_check() answers one of 0/400/401/403.
 */
#include "cwt.h"
#include "fuzz_keys.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct fuzz_keys keys;
static bool ready;

struct cb_ctx {
	bool alt; /* RFC 8392 keys instead of the COSE WG ones */
	int calls;
};

static int
key_cb(void *arg, enum kdc_cose_kind kind, int64_t alg, const uint8_t *kid,
       size_t kid_len, struct kdc_cose_key *key, int64_t *issuer)
{
	struct cb_ctx *c = arg;
	const struct kdc_cose_key *k;

	if (kid == NULL && kid_len != 0)
		abort();
	if (++c->calls > 2 * KDC_CWT_MAX_NESTING + 1)
		abort(); /* layers are bounded (and one cnf key) */
	k = fuzz_key_for(&keys, kind, alg, c->alt);
	if (k == NULL)
		return -1;
	*key = *k;
	*issuer = c->alt ? 2 : 1;
	return 0;
}

static void
check_result(const struct kdc_cwt *c, const struct cb_ctx *ctx)
{
	static const char *const auds[] = {"coap://light.example.com", "kdc",
	                                   NULL};
	struct kdc_cwt_policy p;
	const char *why = NULL;

	if (c->claims == NULL || !cbor_isa_map(c->claims))
		abort();
	if (c->issuer_id != (ctx->alt ? 2 : 1))
		abort();
	if ((c->iss_len > 0 && c->iss == NULL) ||
	    (c->aud_len > 0 && c->aud == NULL) ||
	    (c->cti_len > 0 && c->cti == NULL) ||
	    (c->scope_len > 0 && c->scope == NULL) ||
	    (c->cnonce_len > 0 && c->cnonce == NULL))
		abort();
	if (c->scope_is_text && c->scope_tag != 0)
		abort();
	if (c->cnf_method != KDC_CNF_KID && c->cnf_kid_len != 0)
		abort();
	if (c->cnf_method == KDC_CNF_KID &&
	    (c->cnf_kid_len == 0 || c->cnf_kid_len > KDC_COSE_MAX_KID))
		abort();
	memset(&p, 0, sizeof(p));
	for (int i = 0; i < 4; i++) {
		int rc;

		p.expected_iss = (i & 1) ? "coap://as.example.com" : NULL;
		p.expected_iss_len = p.expected_iss ? 21 : 0;
		p.audiences = (i & 2) ? auds : NULL;
		p.now = i == 0 ? 0 : i == 1 ? 1443944944 : INT64_MAX;
		p.skew = i == 3 ? INT64_MAX : 60;
		p.require_exp = p.require_cnf = p.require_scope = (i & 1);
		rc = kdc_cwt_check(c, &p, &why);
		if ((rc != 0 && rc != 400 && rc != 401 && rc != 403) ||
		    why == NULL)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!ready) {
		fuzz_keys_init(&keys);
		/* The A.2.2 key says alg 10 but is RFC 8392's HMAC key. */
		keys.hmac8392.has_alg = false;
		ready = true;
	}
	for (int alt = 0; alt < 2; alt++) {
		struct cb_ctx ctx = {.alt = alt != 0};
		struct kdc_cwt c;
		int rc = kdc_cwt_unwrap(data, size, key_cb, &ctx, &c);

		if (rc == KDC_CWT_OK) {
			check_result(&c, &ctx);
			kdc_cwt_free(&c);
			if (c.claims != NULL)
				abort();
		} else if (c.claims != NULL || rc > 0 ||
		           rc < KDC_CWT_E_UNPROTECTED) {
			abort();
		}
	}
	return 0;
}
