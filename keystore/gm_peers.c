/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gm_peers.c — which members' credentials a requester gets (RFC 9594
 * §4.3.1 get_creds, §4.4.1 filters; GO §5 "relevant" credentials, §9.3
 * unknown Sender IDs silently ignored).
 */
#include "gm_peers.h"

#include "crypto.h"

#include <stdlib.h>
#include <string.h>

struct sel {
	const struct ipc_get_creds *gc;
	uint64_t joiner_perm;
	int64_t exclude_id;
	/* collected, compact */
	uint8_t *creds; /* concatenated credentials */
	size_t creds_len, creds_cap;
	size_t *off, *len;
	uint64_t *perm;
	uint8_t (*sid)[KDC_SID_MAX];
	size_t *sid_len;
	size_t n, cap;
	bool failed;
};

static bool
role_match(const struct ipc_get_creds *gc, uint64_t perm)
{
	for (uint32_t i = 0; i < gc->nroles; i++)
		if (gc->roles[i] != 0 && (perm & gc->roles[i]) == gc->roles[i])
			return true;
	return false;
}

static bool
id_listed(const struct ipc_get_creds *gc, const struct ks_member *m)
{
	if (!m->has_sid)
		return false;
	for (uint32_t i = 0; i < gc->nids; i++)
		if (gc->ids[i].n == m->sid_len &&
		    memcmp(gc->ids[i].p, m->sid, m->sid_len) == 0)
			return true;
	return false;
}

bool
gm_peer_selected(const struct ipc_get_creds *gc, uint64_t joiner_perm,
                 const struct ks_member *m)
{
	switch (gc->kind) {
	case IPC_GET_CREDS_ALL:
		return true;
	case IPC_GET_CREDS_NULL: {
		/* GO §6.3: responders' credentials for a requester; the
		 * requesters' for a responder or a monitor. */
		bool sel = false;

		if (joiner_perm & KDC_PERM_REQ)
			sel |= (m->perm & KDC_PERM_RESP) != 0;
		if (joiner_perm & (KDC_PERM_RESP | KDC_PERM_MON))
			sel |= (m->perm & KDC_PERM_REQ) != 0;
		return sel;
	}
	case IPC_GET_CREDS_FILTER: {
		bool role_ok = gc->nroles > 0 && role_match(gc, m->perm);
		bool listed = id_listed(gc, m);

		if (gc->nids == 0)
			return role_ok;
		if (gc->nroles == 0)
			return gc->inclusion ? listed : !listed;
		return gc->inclusion ? (role_ok || listed)
		                     : (role_ok && !listed);
	}
	default:
		return false;
	}
}

static int
grow(struct sel *s)
{
	size_t cap = s->cap ? s->cap * 2 : 16;
	void *a = realloc(s->off, cap * sizeof(*s->off));

	if (a == NULL)
		return -1;
	s->off = a;
	if ((a = realloc(s->len, cap * sizeof(*s->len))) == NULL)
		return -1;
	s->len = a;
	if ((a = realloc(s->perm, cap * sizeof(*s->perm))) == NULL)
		return -1;
	s->perm = a;
	if ((a = realloc(s->sid, cap * sizeof(*s->sid))) == NULL)
		return -1;
	s->sid = a;
	if ((a = realloc(s->sid_len, cap * sizeof(*s->sid_len))) == NULL)
		return -1;
	s->sid_len = a;
	s->cap = cap;
	return 0;
}

static int
select_cb(void *arg, const struct ks_member *m)
{
	struct sel *s = arg;

	/* Only members with a credential: creds, peer_roles and
	 * peer_identifiers are parallel arrays. */
	if (m->id == s->exclude_id || m->cred_len == 0 ||
	    !gm_peer_selected(s->gc, s->joiner_perm, m))
		return 0;
	if (s->n == s->cap && grow(s) != 0) {
		s->failed = true;
		return 1;
	}
	if (s->creds_len + m->cred_len > s->creds_cap) {
		size_t cap = s->creds_cap ? s->creds_cap * 2 : 4096;
		uint8_t *c;

		while (cap < s->creds_len + m->cred_len)
			cap *= 2;
		c = realloc(s->creds, cap);
		if (c == NULL) {
			s->failed = true;
			return 1;
		}
		s->creds = c;
		s->creds_cap = cap;
	}
	memcpy(s->creds + s->creds_len, m->cred, m->cred_len);
	s->off[s->n] = s->creds_len;
	s->len[s->n] = m->cred_len;
	s->creds_len += m->cred_len;
	s->perm[s->n] = m->perm;
	memcpy(s->sid[s->n], m->sid, m->sid_len);
	s->sid_len[s->n] = m->has_sid ? m->sid_len : 0;
	s->n++;
	return 0;
}

int
gm_peers_encode(struct ks *ks, const struct ks_group *g,
                const struct ipc_get_creds *gc, uint64_t joiner_perm,
                int64_t exclude_id, struct kdc_cw *w, size_t *count)
{
	struct sel s = {
	        .gc = gc, .joiner_perm = joiner_perm, .exclude_id = exclude_id};
	struct kdc_gm_peer *peers = NULL;
	int rc = -1;

	if (ks_store_member_list(ks->store, g->id, select_cb, &s) != KS_OK ||
	    s.failed)
		goto out;
	*count = s.n;
	if (w != NULL) {
		peers = calloc(s.n ? s.n : 1, sizeof(*peers));
		if (peers == NULL)
			goto out;
		for (size_t i = 0; i < s.n; i++) {
			peers[i].cred = s.creds + s.off[i];
			peers[i].cred_len = s.len[i];
			peers[i].perm = s.perm[i];
			peers[i].sid = s.sid[i];
			peers[i].sid_len = s.sid_len[i];
		}
		kdc_gm_encode_peers(w, peers, s.n);
	}
	rc = 0;
out:
	free(peers);
	free(s.creds);
	free(s.off);
	free(s.len);
	free(s.perm);
	free(s.sid);
	free(s.sid_len);
	return rc;
}
