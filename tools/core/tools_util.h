/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tools_util.h — helpers shared by kdc-admin and kdc-token: hex and
 * base64url, whole-file reads and exclusive file creation, and COSE_Key
 * files (binary CBOR or its hex text).
 *
 * Buffers these functions fill may hold secrets (key files): callers wipe
 * them with kdc_wipe() before free(), or use tl_free_secret().
 */
#ifndef KDC_TOOLS_UTIL_H
#define KDC_TOOLS_UTIL_H

#include "cose.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Largest file the tools read (key files, tokens). */
#define TL_FILE_MAX ((size_t)64 * 1024)

/* Decode hex (either case, leading/trailing white space ignored, nothing
 * else) into out[0..cap).  Returns 0 with *len set, or -1 for an odd number
 * of digits, a non-hex character or more than cap bytes. */
int tl_hex_decode(const char *s, size_t n, uint8_t *out, size_t cap,
                  size_t *len);
/* Lowercase hex of p[0..n) into out, which holds 2n+1 bytes. */
void tl_hex_encode(const uint8_t *p, size_t n, char *out);
/* base64url without padding (RFC 4648 §5) into out, which holds
 * tl_b64url_len(n) + 1 bytes. */
size_t tl_b64url_len(size_t n);
void tl_b64url_encode(const uint8_t *p, size_t n, char *out);

/* Read a whole file (at most max bytes) into a malloc'd buffer.  Returns
 * 0, or -1 with errno-style text in err. */
int tl_read_file(const char *path, size_t max, uint8_t **buf, size_t *len,
                 char *err, size_t errlen);
/* Create path exclusively (O_EXCL, never following a symlink) with the
 * given mode, write p[0..n), fsync.  -1 with a message in err. */
int tl_write_file_excl(const char *path, mode_t mode, const uint8_t *p,
                       size_t n, char *err, size_t errlen);
/* Wipe and free. */
void tl_free_secret(void *p, size_t n);

/* Decode a COSE_Key given as binary CBOR or as its hex text.  Returns 0,
 * or -1 with a reason in err; *k is wiped on failure. */
int tl_cose_key_from_bytes(const uint8_t *p, size_t n, struct kdc_cose_key *k,
                           char *err, size_t errlen);
/* The same from a file. */
int tl_cose_key_from_file(const char *path, struct kdc_cose_key *k, char *err,
                          size_t errlen);
/* Key bytes from a file holding hex text or raw bytes (or a Symmetric
 * COSE_Key, whose k is taken).  For key-derivation keys. */
int tl_raw_key_from_file(const char *path, uint8_t *out, size_t cap,
                         size_t *len, char *err, size_t errlen);

/* Strict decimal parsing: digits only (a leading '-' for the signed
 * form), no white space, within [min, max]. */
int tl_parse_u64(const char *s, uint64_t max, uint64_t *out);
int tl_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out);

#endif
