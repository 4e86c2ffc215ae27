/* SPDX-License-Identifier: Apache-2.0 */
/*
 * group_opts.c — the group options of `group create` and `group update`,
 * mapped onto struct kdc_group_config and its kdc_group_field bits.
 * Defaults come from kdc_group_config_defaults() (Group OSCORE profile
 * §14, RFC 9594 §10); coherence from kdc_group_config_validate().
 */
#include "admin.h"

#include "tools_util.h"

#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#define CO ADM_OF_CREATE_ONLY

/* The option list of both commands, in the order of --help. */
const struct adm_opt adm_group_opts[] = {
        {"description", ADM_OT_TEXT, "TEXT", 0, 0,
         "Free text shown in listings (at most 255 bytes)."},
        {"inactive", ADM_OT_FLAG, NULL, 0, CO,
         "Create the group inactive (RFC 9594 §4.1: joins are refused "
         "until it is activated)."},
        {"sign-alg", ADM_OT_ALG, "EdDSA|ES256", 0, CO,
         "Signature Algorithm of group mode."},
        {"sign-crv", ADM_OT_CRV, "Ed25519|P-256", 0, CO,
         "Curve of the signature algorithm."},
        {"gp-enc-alg", ADM_OT_ALG, "ALG", 0, CO,
         "Group Encryption Algorithm of group mode."},
        {"alg", ADM_OT_ALG, "ALG", 0, CO, "AEAD Algorithm of pairwise mode."},
        {"ecdh-alg", ADM_OT_ALG, "ALG", 0, CO,
         "Pairwise Key Agreement Algorithm."},
        {"ecdh-crv", ADM_OT_CRV, "X25519|P-256", 0, CO,
         "Curve of the key agreement algorithm."},
        {"group-mode", ADM_OT_ONOFF, "on|off", 0, CO,
         "Whether the group uses the group mode of Group OSCORE."},
        {"pairwise-mode", ADM_OT_ONOFF, "on|off", 0, CO,
         "Whether the group uses the pairwise mode of Group OSCORE."},
        {"key-lifetime", ADM_OT_UINT, "SECONDS", UINT32_MAX, 0,
         "Lifetime of each version of the keying material (at least 10)."},
        {"key-update-check-interval", ADM_OT_UINT, "SECONDS", UINT32_MAX, 0,
         "Policy key_update_check_interval sent to members."},
        {"expiration-delta", ADM_OT_UINT, "SECONDS", UINT32_MAX, 0,
         "Policy expiration_delta: how long members may keep using expired "
         "material."},
        {"max-members", ADM_OT_UINT, "N", UINT32_MAX, 0,
         "Largest number of members; 0 is unlimited."},
        {"rekey-on-join", ADM_OT_ONOFF, "on|off", 0, 0,
         "Rekey when a member joins (backward security)."},
        {"rekey-on-leave", ADM_OT_ONOFF, "on|off", 0, 0,
         "Rekey when a member leaves or is evicted (forward security)."},
        {"rekey-after-restart", ADM_OT_ONOFF, "on|off", 0, 0,
         "Rekey when the keystore starts."},
        {"min-rekey-interval", ADM_OT_UINT, "MS", UINT32_MAX, 0,
         "Least time between two rekeyings triggered by joins and leaves "
         "(at most 3600000)."},
        {"max-stale-sets", ADM_OT_UINT, "N", UINT32_MAX, 0,
         "Sets of stale Sender IDs kept (at least 2)."},
        {"prev-grace", ADM_OT_UINT, "SECONDS", UINT32_MAX, 0,
         "How long the previous keying material stays available after a "
         "rekeying."},
        {"sid-max-len", ADM_OT_UINT, "N", UINT8_MAX, CO,
         "Longest Sender ID in bytes (at most the AEAD nonce length minus "
         "6)."},
        {"gid-prefix-len", ADM_OT_UINT, "N", UINT8_MAX, CO,
         "Bytes of the random Gid prefix (1 to 8)."},
        {"gid-epoch-len", ADM_OT_UINT, "N", UINT8_MAX, CO,
         "Bytes of the Gid epoch (1 to 8)."},
        {NULL, 0, NULL, 0, 0, NULL},
};

enum gkind { G_TEXT, G_INACTIVE, G_ALG, G_CRV, G_BOOL, G_U32, G_U8 };

struct gfield {
	const char *name;
	enum gkind kind;
	size_t off;
	uint32_t field; /* kdc_group_field; KDC_GF_CREATE_ONLY if none */
};

#define OFF(m) offsetof(struct kdc_group_config, m)

static const struct gfield gfields[] = {
        {"description", G_TEXT, OFF(description), KDC_GF_DESCRIPTION},
        {"inactive", G_INACTIVE, OFF(active), KDC_GF_ACTIVE},
        {"sign-alg", G_ALG, OFF(sign_alg), KDC_GF_CREATE_ONLY},
        {"sign-crv", G_CRV, OFF(sign_crv), KDC_GF_CREATE_ONLY},
        {"gp-enc-alg", G_ALG, OFF(gp_enc_alg), KDC_GF_CREATE_ONLY},
        {"alg", G_ALG, OFF(alg), KDC_GF_CREATE_ONLY},
        {"ecdh-alg", G_ALG, OFF(ecdh_alg), KDC_GF_CREATE_ONLY},
        {"ecdh-crv", G_CRV, OFF(ecdh_crv), KDC_GF_CREATE_ONLY},
        {"group-mode", G_BOOL, OFF(group_mode), KDC_GF_CREATE_ONLY},
        {"pairwise-mode", G_BOOL, OFF(pairwise_mode), KDC_GF_CREATE_ONLY},
        {"key-lifetime", G_U32, OFF(key_lifetime), KDC_GF_KEY_LIFETIME},
        {"key-update-check-interval", G_U32, OFF(key_update_check_interval),
         KDC_GF_KEY_UPDATE_CHECK},
        {"expiration-delta", G_U32, OFF(expiration_delta),
         KDC_GF_EXPIRATION_DELTA},
        {"max-members", G_U32, OFF(max_members), KDC_GF_MAX_MEMBERS},
        {"rekey-on-join", G_BOOL, OFF(rekey_on_join), KDC_GF_REKEY_ON_JOIN},
        {"rekey-on-leave", G_BOOL, OFF(rekey_on_leave), KDC_GF_REKEY_ON_LEAVE},
        {"rekey-after-restart", G_BOOL, OFF(rekey_after_restart),
         KDC_GF_REKEY_AFTER_RESTART},
        {"min-rekey-interval", G_U32, OFF(min_rekey_interval_ms),
         KDC_GF_MIN_REKEY_INTERVAL},
        {"max-stale-sets", G_U32, OFF(max_stale_sets), KDC_GF_MAX_STALE_SETS},
        {"prev-grace", G_U32, OFF(prev_grace), KDC_GF_PREV_GRACE},
        {"sid-max-len", G_U8, OFF(sid_max_len), KDC_GF_CREATE_ONLY},
        {"gid-prefix-len", G_U8, OFF(gid_prefix_len), KDC_GF_CREATE_ONLY},
        {"gid-epoch-len", G_U8, OFF(gid_epoch_len), KDC_GF_CREATE_ONLY},
};

#define NGFIELDS (sizeof(gfields) / sizeof(gfields[0]))

static const struct gfield *
gfield_of(const char *name)
{
	for (size_t i = 0; i < NGFIELDS; i++)
		if (strcmp(gfields[i].name, name) == 0)
			return &gfields[i];
	return NULL;
}

static int
apply_one(const struct gfield *g, const char *v, struct kdc_group_config *c,
          char *err, size_t errlen)
{
	uint8_t *base = (uint8_t *)c;
	int64_t alg;
	uint64_t u;
	bool b;
	int crv;

	switch (g->kind) {
	case G_TEXT:
		if (strlen(v) > KDC_DESCRIPTION_MAX) {
			snprintf(err, errlen, "--%s: at most %d bytes", g->name,
			         KDC_DESCRIPTION_MAX);
			return -1;
		}
		snprintf(c->description, sizeof(c->description), "%s", v);
		return 0;
	case G_INACTIVE:
		c->active = false;
		return 0;
	case G_ALG:
		if (kdc_alg_parse(v, &alg) != 0)
			goto bad;
		memcpy(base + g->off, &alg, sizeof(alg));
		return 0;
	case G_CRV:
		if (kdc_crv_parse(v, &crv) != 0)
			goto bad;
		memcpy(base + g->off, &crv, sizeof(crv));
		return 0;
	case G_BOOL:
		if (adm_parse_onoff(v, &b) != 0)
			goto bad;
		memcpy(base + g->off, &b, sizeof(b));
		return 0;
	case G_U32:
		if (tl_parse_u64(v, UINT32_MAX, &u) != 0)
			goto bad;
		{
			uint32_t x = (uint32_t)u;

			memcpy(base + g->off, &x, sizeof(x));
		}
		return 0;
	case G_U8:
		if (tl_parse_u64(v, UINT8_MAX, &u) != 0)
			goto bad;
		base[g->off] = (uint8_t)u;
		return 0;
	}
bad:
	snprintf(err, errlen, "--%s: invalid value '%s'", g->name, v);
	return -1;
}

int
adm_group_apply(const struct adm_args *a, struct kdc_group_config *c,
                uint32_t *mask, char *err, size_t errlen)
{
	*mask = 0;
	for (size_t i = 0; i < a->nopts; i++) {
		const struct gfield *g = gfield_of(a->opts[i].opt->name);

		if (g == NULL)
			continue; /* not a group option (e.g. --yes) */
		if (apply_one(g, a->opts[i].value, c, err, errlen) != 0)
			return ADM_EXIT_USAGE;
		*mask |= g->field;
	}
	return ADM_EXIT_OK;
}

/* The signature curve a signature algorithm implies (GO §14). */
static int
crv_of_sign_alg(int64_t alg)
{
	switch (alg) {
	case -8:  /* EdDSA */
	case -19: /* Ed25519 */
		return 6;
	case -7: /* ES256 */
	case -9: /* ESP256 */
		return 1;
	default:
		return 0;
	}
}

int
adm_group_create_config(const struct adm_args *a, struct kdc_group_config *c,
                        char *err, size_t errlen)
{
	const char *why = NULL;
	uint32_t mask;
	int rc;

	kdc_group_config_defaults(c);
	if (strlen(a->pos[0]) > KDC_GNAME_MAX) {
		snprintf(err, errlen, "group name longer than %d bytes",
		         KDC_GNAME_MAX);
		return ADM_EXIT_USAGE;
	}
	snprintf(c->name, sizeof(c->name), "%s", a->pos[0]);
	rc = adm_group_apply(a, c, &mask, err, errlen);
	if (rc != ADM_EXIT_OK)
		return rc;
	/* Convenience: the curves follow the algorithm unless given. */
	if (adm_opt(a, "sign-alg") != NULL && adm_opt(a, "sign-crv") == NULL &&
	    crv_of_sign_alg(c->sign_alg) != 0)
		c->sign_crv = crv_of_sign_alg(c->sign_alg);
	if (adm_opt(a, "ecdh-crv") == NULL && c->group_mode && c->sign_crv == 1)
		c->ecdh_crv = 1;
	if (kdc_group_config_validate(c, &why) != 0) {
		snprintf(err, errlen, "%s", why != NULL ? why : "invalid");
		return ADM_EXIT_USAGE;
	}
	return ADM_EXIT_OK;
}

const char *
adm_group_opt_default(const struct adm_opt *o, char *buf, size_t n)
{
	const struct gfield *g = gfield_of(o->name);
	struct kdc_group_config c;
	const uint8_t *base = (const uint8_t *)&c;
	const char *name;
	int64_t alg;
	uint32_t u32;
	bool b;
	int crv;

	if (g == NULL)
		return NULL;
	kdc_group_config_defaults(&c);
	switch (g->kind) {
	case G_TEXT:
	case G_INACTIVE:
		return NULL;
	case G_ALG:
		memcpy(&alg, base + g->off, sizeof(alg));
		name = kdc_alg_name(alg);
		if (name != NULL)
			snprintf(buf, n, "%s", name);
		else
			snprintf(buf, n, "%" PRId64, alg);
		return buf;
	case G_CRV:
		memcpy(&crv, base + g->off, sizeof(crv));
		name = kdc_crv_name(crv);
		if (name != NULL)
			snprintf(buf, n, "%s", name);
		else
			snprintf(buf, n, "%d", crv);
		return buf;
	case G_BOOL:
		memcpy(&b, base + g->off, sizeof(b));
		snprintf(buf, n, "%s", b ? "on" : "off");
		return buf;
	case G_U32:
		memcpy(&u32, base + g->off, sizeof(u32));
		snprintf(buf, n, "%" PRIu32, u32);
		return buf;
	case G_U8:
		snprintf(buf, n, "%u", (unsigned)base[g->off]);
		return buf;
	}
	return NULL;
}
