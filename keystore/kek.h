/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kek.h — the key-encryption key that seals every secret at rest.
 *
 * It is never in the database.  Sources, in order: the systemd credential
 * `$CREDENTIALS_DIRECTORY/kdc-kek` (LoadCredential= /
 * LoadCredentialEncrypted=), then the file named by the configuration.  The
 * file holds exactly 32 raw bytes or 64 hex characters (and an optional
 * newline); it must not be readable by group or others.  When no source exists
 * and creation is allowed, a fresh key from libsodium is written to the
 * configured path with mode 0600 (O_CREAT|O_EXCL, fsync'd).
 */
#ifndef KDC_KS_KEK_H
#define KDC_KS_KEK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Load into kek[32] (caller keeps it in kdc_secure_alloc() memory).
 * Returns 0, or -1 with a reason in err. */
int ks_kek_load(const char *path, bool create, uint8_t kek[32], char *err,
                size_t errlen);
/* The same from the file alone, whatever $CREDENTIALS_DIRECTORY holds
 * (kdc-keystore --rekey-kek: the new key is a file the operator names). */
int ks_kek_load_file(const char *path, bool create, uint8_t kek[32], char *err,
                     size_t errlen);

#endif
