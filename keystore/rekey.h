/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rekey.h — the rekeying engine (RFC 9594 §6, §10.2; GO §7, §11.1).
 *
 * A rekey is one transaction: trim stale sets, keep the current material as
 * "previous" for the grace period, evict elder members if the new Gid was
 * used before (Gid reuse), install fresh Master Secret/Salt, epoch+1,
 * num+1, new exp, an empty stale set for the new version; after the commit
 * the new state is pushed to every subscribed frontend (Observe
 * notifications) and control-URI POSTs are queued.
 *
 * Triggers fold into one rekey per group and per min_rekey_interval:
 * ks_rekey_request() records the reason (persisted in groups.rekey_pending,
 * so a restart loses none) and schedules the group at
 * max(now, last rekey + interval); joins that need backward security park
 * their replies until that rekey (ks_rekey_park_join), so that every joiner
 * receives never-used material.
 */
#ifndef KDC_KS_REKEY_H
#define KDC_KS_REKEY_H

#include "ks.h"

#include <stdbool.h>
#include <stdint.h>

enum ks_rekey_reason {
	KS_REKEY_JOIN = 1u << 0,      /* backward security */
	KS_REKEY_LEAVE = 1u << 1,     /* forward security (leave, eviction,
	                                 token expiry) */
	KS_REKEY_EXPIRY = 1u << 2,    /* material about to expire */
	KS_REKEY_OPERATOR = 1u << 3,  /* kdc-admin rekey */
	KS_REKEY_RESTART = 1u << 4,   /* material may have leaked */
	KS_REKEY_SID_SPACE = 1u << 5, /* Sender IDs exhausted */
};
const char *ks_rekey_reason_text(uint32_t reasons, char *buf, size_t n);

/* Per-group runtime state (not persisted): due time, parked joins, joiners
 * of the next rekey. */
struct ks_parked_join;
struct ks_group_rt {
	int64_t group_id;
	uint64_t due_ms; /* 0: nothing scheduled */
	uint64_t
	        renew_ms; /* when the material must be renewed (exp - margin) */
	struct ks_parked_join *parked;
	size_t nparked;
	struct ks_group_rt *next;
};
struct ks_group_rt *ks_group_rt(struct ks *ks, int64_t group_id, bool create);
void ks_group_rt_forget(struct ks *ks, int64_t group_id);

/* Start tracking a (new) group's renewal deadline. */
int ks_rekey_track(struct ks *ks, const struct ks_group *g);
/* Record reasons and schedule (persists g->rekey_pending). */
int ks_rekey_request(struct ks *ks, struct ks_group *g, uint32_t reasons);
/* Rekey now, inside the current batch (used by the scheduler and by the
 * operator command).  Answers the parked joins of the group. */
int ks_rekey_run(struct ks *ks, const char *actor, struct ks_group *g);

/*
 * Everything needed to answer a Join after the rekey: the requester, the
 * member row, 2.01 or 2.04, get_creds, the N_C for kdc_cred_verify and the
 * joiner's public key (pairwise-only MAC).
 */
struct ks_parked_join {
	uint64_t conn_id;
	uint32_t reqid;
	int64_t member_id;
	bool created;
	struct ipc_get_creds get_creds; /* arrays owned (malloc'd copies) */
	uint8_t nc[KS_NONCE_MAX];
	size_t nc_len;
	bool has_pub;
	struct kdc_cose_key pub;
	struct ks_parked_join *next;
};
/* Take over p (heap-allocated) and schedule the group's rekey. */
int ks_rekey_park_join(struct ks *ks, struct ks_group *g,
                       struct ks_parked_join *p);
/* Free a parked join (gm_join.c). */
void gm_parked_join_free(struct ks_parked_join *p);
/* Drop parked joins of a closed connection. */
void ks_rekey_forget_conn(struct ks *ks, uint64_t conn_id);

/* Answer a Join with the group's current material (gm_join.c); used both
 * right away and for parked joins after the rekey. */
int gm_join_answer(struct ks *ks, struct ks_group *g,
                   const struct ks_parked_join *p);

/* Scheduler: run due rekeys (in the current batch); *next_ms receives the
 * earliest future deadline (0 if none).  Also schedules expiry rekeys:
 * material is renewed `margin` before exp (margin = min(lifetime/10, 60 s),
 * at least 1 s). */
void ks_rekey_tick(struct ks *ks, uint64_t now_ms, uint64_t *next_ms);
/* Earliest scheduled rekey or expiry renewal (wall-clock ms), 0 if none;
 * no side effects (for re-arming the timer after a commit). */
uint64_t ks_rekey_next_ms(struct ks *ks);
/* At start: rebuild schedules from the database (pending bits, expiry),
 * and rekey groups whose policy says the material may have leaked. */
int ks_rekey_startup(struct ks *ks);

#endif
