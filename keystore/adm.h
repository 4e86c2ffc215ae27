/* SPDX-License-Identifier: Apache-2.0 */
/*
 * adm.h — helpers shared by the administration handlers (adm_*.c): every
 * answer is an ADM_RESULT of named tables whose column names are stable
 * (kdc-admin prints them as text or JSON fields).  Key material never goes
 * into a table or a log line: keys are shown by kid and a fingerprint.
 */
#ifndef KDC_KS_ADM_H
#define KDC_KS_ADM_H

#include "handlers.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Largest number of rows of a listing; longer ones are cut and say so in
 * the result's note. */
#define ADM_MAX_ROWS 10000

/* Answer with no table and status (an ipc_adm_status) and a message. */
void adm_error(struct ks_req *r, int status, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
/* Load the group named `name`: 0 found; 1 not found or no name given (the
 * answer is queued); -1 internal error. */
int adm_group(struct ks_req *r, const char *name, struct ks_group *g);
/* A COSE algorithm / curve as text: its name, or the number. */
void adm_tab_alg(struct ipc_tab_builder *tb, int64_t alg);
void adm_tab_crv(struct ipc_tab_builder *tb, int crv);
/* Group OSCORE roles of a permission bitmap: "requester,responder". */
const char *adm_roles(uint64_t perm, char *buf, size_t n);
/* Hex of the first 8 bytes of a SHA-256 fingerprint of a key: of its
 * public COSE_Key for asymmetric keys, of a domain-separated hash of the
 * key for symmetric ones (which reveals nothing usable about it). */
void adm_key_fingerprint(const struct kdc_cose_key *k, char out[17]);
/* Append the "members" table of a group {node, perm, roles, sid,
 * control_uri, joined_at}, at most ADM_MAX_ROWS rows; note gets a text
 * when it was cut (total: the group's member count).  0 or -1. */
int adm_members_table(struct ks *ks, const struct ks_group *g, int64_t total,
                      struct ipc_tab_builder *tb, char *note, size_t n);
/* Push the group's state (material and configuration) to the subscribed
 * frontends. */
int adm_push_state(struct ks *ks, const struct ks_group *g, uint8_t reason);

#endif
