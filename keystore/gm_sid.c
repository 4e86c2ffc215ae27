/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gm_sid.c — Sender ID assignment (GO §6.3, §7.1; Group OSCORE §2.2).
 *
 * A Sender ID must not have been used in the group since the current Gid
 * was established, not even by the same endpoint, and is at most
 * sid_max_len bytes.  Candidates come from a per-group counter that only
 * moves forward; it restarts at 0 only at a rekey (new Gid) after the space
 * ran out.  A candidate is skipped if a current member holds it (possible
 * after a restart of the counter) or if it is in the stale set of the
 * current version (it was in use under this Gid and then given up).  Both
 * checks are index lookups, so assignment stays O(1) amortised in groups of
 * any size.
 */
#include "gm.h"

#include "log.h"

#include <string.h>

size_t
gm_sid_encode(uint64_t v, uint8_t out[8])
{
	size_t n = 1;

	while (n < 8 && (v >> (8 * n)) != 0)
		n++;
	for (size_t i = 0; i < n; i++)
		out[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
	return n;
}

int
gm_sid_alloc(struct ks *ks, struct ks_group *g, uint8_t *sid, size_t *sid_len)
{
	unsigned len = g->cfg.sid_max_len;
	uint64_t limit = len >= 8 ? UINT64_MAX : (UINT64_C(1) << (8 * len));

	while (g->sid_next < limit) {
		uint8_t cand[8];
		size_t n = gm_sid_encode(g->sid_next++, cand);
		int taken;

		taken = ks_store_member_sid_taken(ks->store, g->id, cand, n);
		if (taken < 0)
			return -1;
		if (taken)
			continue;
		taken = ks_store_stale_contains(ks->store, g->id, g->num, cand,
		                                n);
		if (taken < 0)
			return -1;
		if (taken)
			continue;
		memcpy(sid, cand, n);
		*sid_len = n;
		return 0;
	}
	if (!g->sid_wrap)
		log_notice("group %s: Sender ID space of %u byte(s) exhausted "
		           "under the current Gid; a rekey will open a new one",
		           g->cfg.name, len);
	g->sid_wrap = true;
	return 1;
}
