/* SPDX-License-Identifier: Apache-2.0 */
/*
 * group_config.h — the configuration of one Group OSCORE group, as the
 * operator sets it through kdc-admin and the keystore stores it.  Defaults
 * follow the Group OSCORE profile §14 (GO digest §11) and RFC 9594 §10.
 */
#ifndef KDC_GROUP_CONFIG_H
#define KDC_GROUP_CONFIG_H

#include "scope.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KDC_DESCRIPTION_MAX 255

struct kdc_group_config {
	char name[KDC_GNAME_MAX + 1];
	char description[KDC_DESCRIPTION_MAX + 1];
	bool active;

	/* Security context parameters (GO §14 defaults in brackets). */
	int64_t hkdf;       /* HKDF SHA-256 as HMAC 256/256 [5] */
	int64_t cred_fmt;   /* COSE header label of the credential format:
	                       CCS [14] (the only one supported) */
	bool group_mode;    /* [true] */
	int64_t gp_enc_alg; /* Group Encryption Algorithm [10] */
	int64_t sign_alg;   /* Signature Algorithm [-8 EdDSA] */
	int sign_crv;       /* [6 Ed25519]; 1 P-256 with -7 ES256 */
	bool pairwise_mode; /* [true] */
	int64_t alg;        /* pairwise AEAD Algorithm [10] */
	int64_t ecdh_alg;   /* Pairwise Key Agreement Algorithm [-27] */
	int ecdh_crv;       /* [4 X25519]; 1 P-256 */

	/* Policies and lifetimes. */
	uint32_t key_lifetime; /* s each material version lives [86400] */
	uint32_t key_update_check_interval; /* s, policy label 1 [3600] */
	uint32_t expiration_delta;          /* s, policy label 2 [0] */
	uint32_t max_members;               /* 0 = unlimited [0] */
	bool rekey_on_join;                 /* backward security [true] */
	bool rekey_on_leave;                /* forward security [true] */
	bool rekey_after_restart;       /* material may have leaked [false] */
	uint32_t min_rekey_interval_ms; /* flood bound [1000] */
	uint32_t max_stale_sets;        /* N > 1 [3] */
	uint32_t prev_grace;            /* s previous material is kept [300] */
	uint8_t sid_max_len;            /* bytes, <= AEAD nonce - 6 [7] */
	uint8_t gid_prefix_len;         /* bytes of the random Gid prefix [4] */
	uint8_t gid_epoch_len;          /* bytes of the Gid epoch [4] */
};

/* Bits of kdc_group_config fields, for partial updates. */
enum kdc_group_field {
	KDC_GF_DESCRIPTION = 1u << 0,
	KDC_GF_ACTIVE = 1u << 1,
	KDC_GF_KEY_LIFETIME = 1u << 2,
	KDC_GF_KEY_UPDATE_CHECK = 1u << 3,
	KDC_GF_EXPIRATION_DELTA = 1u << 4,
	KDC_GF_MAX_MEMBERS = 1u << 5,
	KDC_GF_REKEY_ON_JOIN = 1u << 6,
	KDC_GF_REKEY_ON_LEAVE = 1u << 7,
	KDC_GF_REKEY_AFTER_RESTART = 1u << 8,
	KDC_GF_MIN_REKEY_INTERVAL = 1u << 9,
	KDC_GF_MAX_STALE_SETS = 1u << 10,
	KDC_GF_PREV_GRACE = 1u << 11,
	/* Fields below fix the security context: only at creation. */
	KDC_GF_CREATE_ONLY = 1u << 31,
};
#define KDC_GF_UPDATABLE 0x0fffu

/* Fill with the defaults above (name and description empty). */
void kdc_group_config_defaults(struct kdc_group_config *c);

/* Check coherence; on failure return -1 and point *why at a static text
 * suitable for the operator (e.g. "sign_alg -7 needs sign_crv 1 (P-256)"). */
int kdc_group_config_validate(const struct kdc_group_config *c,
                              const char **why);

/* Largest Sender ID length for the group's AEAD algorithm(s): nonce length
 * minus 6, the smaller of the two when both modes are on (GO §6.3). */
unsigned kdc_group_sid_len_limit(const struct kdc_group_config *c);

/* Name-to-value tables used by kdc-admin and the keystore's listings:
 * "EdDSA" <-> -8, "ES256" <-> -7, "AES-CCM-16-64-128" <-> 10,
 * "ECDH-SS+HKDF-256" <-> -27, "Ed25519" <-> 6, "X25519" <-> 4,
 * "P-256" <-> 1, ...  Parsing also accepts decimal numbers. */
const char *kdc_alg_name(int64_t alg);
int kdc_alg_parse(const char *s, int64_t *alg);
const char *kdc_crv_name(int crv);
int kdc_crv_parse(const char *s, int *crv);

#endif
