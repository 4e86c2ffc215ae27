/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tools_util.c — hex, base64url, files and COSE_Key files for the tools
 * (tools_util.h).
 */
#include "tools_util.h"

#include "cbor_in.h"
#include "crypto.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int
nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
	       c == '\v';
}

int
tl_hex_decode(const char *s, size_t n, uint8_t *out, size_t cap, size_t *len)
{
	size_t b = 0, e = n, o = 0;

	while (b < e && is_space(s[b]))
		b++;
	while (e > b && is_space(s[e - 1]))
		e--;
	if ((e - b) % 2 != 0 || (e - b) / 2 > cap)
		return -1;
	for (size_t i = b; i < e; i += 2) {
		int hi = nibble(s[i]), lo = nibble(s[i + 1]);

		if (hi < 0 || lo < 0) {
			kdc_wipe(out, o);
			return -1;
		}
		out[o++] = (uint8_t)(hi << 4 | lo);
	}
	*len = o;
	return 0;
}

void
tl_hex_encode(const uint8_t *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 0x0f];
	}
	out[2 * n] = '\0';
}

size_t
tl_b64url_len(size_t n)
{
	return n / 3 * 4 + (n % 3 == 0 ? 0 : n % 3 + 1);
}

void
tl_b64url_encode(const uint8_t *p, size_t n, char *out)
{
	static const char a[] =
	        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	        "0123456789-_";
	size_t o = 0, i = 0;

	for (; i + 3 <= n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 |
		             p[i + 2];

		out[o++] = a[v >> 18 & 63];
		out[o++] = a[v >> 12 & 63];
		out[o++] = a[v >> 6 & 63];
		out[o++] = a[v & 63];
	}
	if (n - i == 1) {
		uint32_t v = (uint32_t)p[i] << 16;

		out[o++] = a[v >> 18 & 63];
		out[o++] = a[v >> 12 & 63];
	} else if (n - i == 2) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;

		out[o++] = a[v >> 18 & 63];
		out[o++] = a[v >> 12 & 63];
		out[o++] = a[v >> 6 & 63];
	}
	out[o] = '\0';
}

void
tl_free_secret(void *p, size_t n)
{
	if (p == NULL)
		return;
	kdc_wipe(p, n);
	free(p);
}

int
tl_read_file(const char *path, size_t max, uint8_t **buf, size_t *len,
             char *err, size_t errlen)
{
	uint8_t *b;
	size_t n = 0;
	int fd;

	*buf = NULL;
	*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	/* One byte more than allowed tells an oversized file apart. */
	b = malloc(max + 1);
	if (b == NULL) {
		close(fd);
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	for (;;) {
		ssize_t r = read(fd, b + n, max + 1 - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			close(fd);
			tl_free_secret(b, n);
			return -1;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > max) {
			snprintf(err, errlen, "%s: larger than %zu bytes", path,
			         max);
			close(fd);
			tl_free_secret(b, n);
			return -1;
		}
	}
	close(fd);
	*buf = b;
	*len = n;
	return 0;
}

int
tl_write_file_excl(const char *path, mode_t mode, const uint8_t *p, size_t n,
                   char *err, size_t errlen)
{
	size_t off = 0;
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	          mode);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	/* The umask must not widen nor narrow what the caller asked for. */
	if (fchmod(fd, mode) != 0)
		goto fail;
	while (off < n) {
		ssize_t w = write(fd, p + off, n - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			goto fail;
		off += (size_t)w;
	}
	if (fsync(fd) != 0)
		goto fail;
	if (close(fd) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		unlink(path);
		return -1;
	}
	return 0;
fail:
	snprintf(err, errlen, "%s: %s", path, strerror(errno));
	close(fd);
	unlink(path);
	return -1;
}

/* libcbor keeps its own copies of the key bytes: wipe them before the tree
 * is released. */
static void
wipe_map_bstrs(cbor_item_t *map)
{
	struct cbor_pair *pairs;

	if (map == NULL || !cbor_isa_map(map))
		return;
	pairs = cbor_map_handle(map);
	for (size_t i = 0; i < cbor_map_size(map); i++) {
		cbor_item_t *v = pairs[i].value;

		if (cbor_isa_bytestring(v) && cbor_bytestring_is_definite(v) &&
		    cbor_bytestring_handle(v) != NULL)
			kdc_wipe(cbor_bytestring_handle(v),
			         cbor_bytestring_length(v));
	}
}

static bool
looks_hex(const uint8_t *p, size_t n)
{
	size_t digits = 0;

	for (size_t i = 0; i < n; i++) {
		if (nibble((char)p[i]) >= 0)
			digits++;
		else if (!is_space((char)p[i]))
			return false;
	}
	return digits > 0;
}

int
tl_cose_key_from_bytes(const uint8_t *p, size_t n, struct kdc_cose_key *k,
                       char *err, size_t errlen)
{
	uint8_t *bin = NULL;
	size_t blen = 0;
	cbor_item_t *item = NULL;
	int rc = -1;

	memset(k, 0, sizeof(*k));
	/* A binary COSE_Key starts with a map head (0xa0..0xbf), which is
	 * never a hex digit or white space: the two forms cannot be
	 * confused. */
	if (looks_hex(p, n)) {
		bin = malloc(n / 2 + 1);
		if (bin == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		if (tl_hex_decode((const char *)p, n, bin, n / 2 + 1, &blen) !=
		    0) {
			snprintf(err, errlen, "not a COSE_Key: bad hex");
			goto out;
		}
		p = bin;
		n = blen;
	}
	if (kdc_cbor_decode(p, n, NULL, &item) != KDC_CBOR_OK ||
	    !cbor_isa_map(item)) {
		snprintf(err, errlen, "not a COSE_Key: not a CBOR map");
		goto out;
	}
	if (kdc_cose_key_decode(item, k) != 0) {
		snprintf(err, errlen,
		         "not a usable COSE_Key (OKP Ed25519/X25519, EC2 "
		         "P-256 or Symmetric)");
		goto out;
	}
	rc = 0;
out:
	if (item != NULL) {
		wipe_map_bstrs(item);
		cbor_decref(&item);
	}
	tl_free_secret(bin, n);
	if (rc != 0)
		kdc_cose_key_wipe(k);
	return rc;
}

int
tl_cose_key_from_file(const char *path, struct kdc_cose_key *k, char *err,
                      size_t errlen)
{
	char why[160];
	uint8_t *buf;
	size_t len;
	int rc;

	memset(k, 0, sizeof(*k));
	if (tl_read_file(path, TL_FILE_MAX, &buf, &len, err, errlen) != 0)
		return -1;
	rc = tl_cose_key_from_bytes(buf, len, k, why, sizeof(why));
	if (rc != 0)
		snprintf(err, errlen, "%s: %s", path, why);
	tl_free_secret(buf, len);
	return rc;
}

int
tl_raw_key_from_file(const char *path, uint8_t *out, size_t cap, size_t *len,
                     char *err, size_t errlen)
{
	struct kdc_cose_key k;
	char why[160];
	uint8_t *buf;
	size_t n;
	int rc = -1;

	if (tl_read_file(path, TL_FILE_MAX, &buf, &n, err, errlen) != 0)
		return -1;
	if (n == 0) {
		snprintf(err, errlen, "%s: empty", path);
	} else if ((buf[0] & 0xe0) == 0xa0 &&
	           tl_cose_key_from_bytes(buf, n, &k, why, sizeof(why)) == 0) {
		/* A Symmetric COSE_Key: its k. */
		if (k.kty != KDC_KTY_SYMMETRIC || k.k_len == 0 ||
		    k.k_len > cap) {
			snprintf(err, errlen,
			         "%s: not a Symmetric COSE_Key with k", path);
		} else {
			memcpy(out, k.k, k.k_len);
			*len = k.k_len;
			rc = 0;
		}
		kdc_cose_key_wipe(&k);
	} else if (looks_hex(buf, n)) {
		rc = tl_hex_decode((const char *)buf, n, out, cap, len);
		if (rc != 0)
			snprintf(err, errlen,
			         "%s: bad hex or longer than %zu "
			         "bytes",
			         path, cap);
	} else if (n <= cap) {
		memcpy(out, buf, n);
		*len = n;
		rc = 0;
	} else {
		snprintf(err, errlen, "%s: longer than %zu bytes", path, cap);
	}
	tl_free_secret(buf, n);
	return rc;
}

int
tl_parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (s == NULL || *s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		unsigned d;

		if (*s < '0' || *s > '9')
			return -1;
		d = (unsigned)(*s - '0');
		if (v > (UINT64_MAX - d) / 10u)
			return -1;
		v = v * 10u + d;
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}

int
tl_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out)
{
	uint64_t v;
	int64_t r;

	if (s == NULL)
		return -1;
	if (*s == '-') {
		if (tl_parse_u64(s + 1, (uint64_t)INT64_MAX + 1u, &v) != 0)
			return -1;
		r = v == (uint64_t)INT64_MAX + 1u ? INT64_MIN : -(int64_t)v;
	} else {
		if (tl_parse_u64(s, (uint64_t)INT64_MAX, &v) != 0)
			return -1;
		r = (int64_t)v;
	}
	if (r < min || r > max)
		return -1;
	*out = r;
	return 0;
}
