/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gm_group.c — group creation and keying material.  The Gid is a random
 * per-group prefix followed by the epoch, big-endian on gid_epoch_len bytes
 * (Group OSCORE "Gid = Prefix || Epoch"); the version `num` starts at 0
 * (GO §7).
 */
#include "gm.h"
#include "rekey.h"

#include "clock.h"
#include "crypto.h"
#include "log.h"

#include <stdio.h>
#include <string.h>

#define GM_MS_LEN   16 /* Master Secret bytes */
#define GM_SALT_LEN 8  /* Master Salt bytes */

int
gm_material(struct ks *ks, const struct ks_group *g,
            struct kdc_group_material *m)
{
	return ks_store_group_material(ks->store, g, m) == KS_OK ? 0 : -1;
}

void
gm_gid_for_epoch(const struct ks_group *g, uint64_t epoch, uint8_t *gid,
                 size_t *gid_len)
{
	size_t el = g->cfg.gid_epoch_len;

	memcpy(gid, g->gid_prefix, g->gid_prefix_len);
	for (size_t i = 0; i < el; i++)
		gid[g->gid_prefix_len + i] =
		        (uint8_t)(epoch >> (8 * (el - 1 - i)));
	*gid_len = g->gid_prefix_len + el;
}

int
gm_group_create(struct ks *ks, const struct kdc_group_config *cfg,
                struct ks_group *out, char *err, size_t errlen)
{
	uint8_t *ms = kdc_secure_alloc(GM_MS_LEN);
	int64_t now = kdc_now();
	int rc = KS_ERR;

	if (ms == NULL) {
		snprintf(err, errlen, "out of secure memory");
		return KS_ERR;
	}
	memset(out, 0, sizeof(*out));
	out->cfg = *cfg;
	out->created_at = now;
	out->gid_prefix_len = cfg->gid_prefix_len;
	out->epoch = 0;
	out->num = 0;
	out->exp = now + cfg->key_lifetime;
	out->rekeyed_at_ms = (int64_t)now * 1000;
	out->salt_len = GM_SALT_LEN;
	out->node_next = 1;
	/* A random prefix per group keeps Gids unique across the groups of
	 * this Group Manager; retry on the (unlikely) collision. */
	for (int attempt = 0; attempt < 8; attempt++) {
		kdc_random(out->gid_prefix, out->gid_prefix_len);
		gm_gid_for_epoch(out, out->epoch, out->gid, &out->gid_len);
		kdc_random(out->salt, out->salt_len);
		kdc_random(ms, GM_MS_LEN);
		rc = ks_store_group_create(ks->store, out, ms, GM_MS_LEN);
		if (rc != KS_EXISTS)
			break;
		if (ks_store_group_by_name(ks->store, cfg->name,
		                           &(struct ks_group){0}) == KS_OK)
			break; /* the name, not the prefix, is taken */
	}
	kdc_secure_free(ms);
	if (rc == KS_EXISTS) {
		snprintf(err, errlen, "a group named '%s' already exists",
		         cfg->name);
		return KS_EXISTS;
	}
	if (rc != KS_OK) {
		snprintf(err, errlen, "database error creating the group");
		return KS_ERR;
	}
	/* The stale Sender ID set of version 0 (GO §7.1). */
	if (ks_store_stale_create_set(ks->store, out->id, 0) != KS_OK ||
	    ks_rekey_track(ks, out) != 0) {
		snprintf(err, errlen, "database error creating the group");
		return KS_ERR;
	}
	return KS_OK;
}

void
gm_node_name(struct ks_group *g, char out[IPC_NODE_MAX + 1])
{
	/* Node names are assigned by the KDC, unique among current members
	 * and invariant (RFC 9594 §1.1); a per-group counter never repeats. */
	snprintf(out, IPC_NODE_MAX + 1, "n%llu",
	         (unsigned long long)g->node_next++);
}
