/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gm_peers.h — selection and encoding of members' credentials for Join
 * Responses (get_creds) and the creds resource (RFC 9594 §4.3.1, §4.4).
 */
#ifndef KDC_KS_GM_PEERS_H
#define KDC_KS_GM_PEERS_H

#include "ks.h"

#include <stdbool.h>

/* Is member m selected by gc for a requester with joiner_perm? */
bool gm_peer_selected(const struct ipc_get_creds *gc, uint64_t joiner_perm,
                      const struct ks_member *m);

/* Select members of g (except exclude_id) that have a credential and match
 * gc; *count receives how many.  When w is not NULL the three map entries
 * creds (13), peer_roles (14), peer_identifiers (15) are appended to w
 * (even for 0 peers: the caller decides whether to call with w). */
int gm_peers_encode(struct ks *ks, const struct ks_group *g,
                    const struct ipc_get_creds *gc, uint64_t joiner_perm,
                    int64_t exclude_id, struct kdc_cw *w, size_t *count);

#endif
