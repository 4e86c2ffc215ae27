/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cose_int.h — helpers shared by the cose_*.c files only (not public API).
 */
#ifndef KDC_COSE_INT_H
#define KDC_COSE_INT_H

#include "cose.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A non-NULL pointer for an empty byte string: libcbor hands out NULL for
 * h'' and memcpy()/libsodium must never see a NULL source. */
extern const uint8_t kdc_cose_empty[1];

/* Append the to-be-signed/MACed/encrypted structure of RFC 9052 §4.4, §6.3
 * and §5.3: [context, protected, external_aad] plus payload when
 * with_payload.  The protected bytes are the ones received (or built), so
 * an empty header is the zero-length bstr 0x40. */
void kdc_cose_tbs(struct kdc_cw *w, const char *context, const uint8_t *prot,
                  size_t prot_len, const uint8_t *ext_aad, size_t ext_aad_len,
                  const uint8_t *payload, size_t payload_len,
                  bool with_payload);

/* The protected bytes a message's structures cover: as received, except
 * that a header without parameters (h'' or h'a0') counts as the zero-length
 * bstr (RFC 9052 §4.4, §5.3, §6.3: "if there are no protected attributes, a
 * zero-length byte string is used"; COSE WG mac-pass-01, sign-pass-01). */
void kdc_cose_body_prot(const struct kdc_cose_msg *m, const uint8_t **p,
                        size_t *n);

/* Whether a key that names alg key_alg may be used for alg msg_alg: equal,
 * or the polymorphic / fully specified pair of one operation (EdDSA -8 and
 * Ed25519 -19, ES256 -7 and ESP256 -9, RFC 9864). */
bool kdc_cose_alg_compatible(int64_t key_alg, int64_t msg_alg);

/* KDC_COSE_OK if key can make or check a signature of alg (private part
 * when need_private), else KDC_COSE_E_ALG. */
int kdc_cose_sig_key_ok(int64_t alg, const struct kdc_cose_key *key,
                        bool need_private);

/* Encode the protected header {1: alg, [4: kid]} of a message we create
 * into w (the map itself, not yet wrapped in a bstr). */
void kdc_cose_prot_encode(struct kdc_cw *w, const struct kdc_cose_create *p);

/* Append a finished message: [tag] [prot, unprot..., ] is the caller's;
 * this writes the optional COSE tag and the array head. */
void kdc_cose_msg_head(struct kdc_cw *w, bool tagged, uint64_t tag, size_t n);

#endif
