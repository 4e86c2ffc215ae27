/* SPDX-License-Identifier: Apache-2.0 */
/*
 * handlers.h — one handler per request type (see ks.h for the contract).
 * The dispatch tables in dispatch.c map message types to these.
 */
#ifndef KDC_KS_HANDLERS_H
#define KDC_KS_HANDLERS_H

#include "ks.h"

/* ACE transport (tokens.c). */
int ks_h_authz_info(struct ks_req *r);
int ks_h_psk_identity(struct ks_req *r);
int ks_h_rpk_identity(struct ks_req *r);

/* RFC 9594 interface (gm_*.c). */
int ks_h_group_names(struct ks_req *r);    /* gm_read.c */
int ks_h_join(struct ks_req *r);           /* gm_join.c */
int ks_h_group_read(struct ks_req *r);     /* gm_read.c */
int ks_h_creds(struct ks_req *r);          /* gm_read.c */
int ks_h_kdc_cred_fetch(struct ks_req *r); /* gm_read.c */
int ks_h_stale_sids(struct ks_req *r);     /* gm_read.c */
int ks_h_node(struct ks_req *r);           /* gm_node.c */
int ks_h_node_cred(struct ks_req *r);      /* gm_node.c */
int ks_h_group_list(struct ks_req *r);     /* gm_read.c */
int ks_h_fe_stats(struct ks_req *r);       /* server.c */

/* Administration (adm_*.c). */
int ks_h_adm_status(struct ks_req *r);
int ks_h_adm_group_create(struct ks_req *r);
int ks_h_adm_group_list(struct ks_req *r);
int ks_h_adm_group_show(struct ks_req *r);
int ks_h_adm_group_update(struct ks_req *r);
int ks_h_adm_group_delete(struct ks_req *r);
int ks_h_adm_member_list(struct ks_req *r);
int ks_h_adm_member_show(struct ks_req *r);
int ks_h_adm_member_evict(struct ks_req *r);
int ks_h_adm_rekey(struct ks_req *r);
int ks_h_adm_as_add(struct ks_req *r);
int ks_h_adm_as_list(struct ks_req *r);
int ks_h_adm_as_remove(struct ks_req *r);
int ks_h_adm_kdc_cred_show(struct ks_req *r);
int ks_h_adm_kdc_cred_rotate(struct ks_req *r);
int ks_h_adm_token_list(struct ks_req *r);
int ks_h_adm_token_revoke(struct ks_req *r);
int ks_h_adm_audit(struct ks_req *r);
int ks_h_adm_sql(struct ks_req *r);
int ks_h_adm_db_backup(struct ks_req *r);
int ks_h_adm_db_check(struct ks_req *r);
int ks_h_adm_reload(struct ks_req *r);

#endif
