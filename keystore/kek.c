/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kek.c — loading (or creating) the key-encryption key (kek.h).  The key
 * bytes never reach a log line or an error message.
 */
#include "kek.h"

#include "crypto.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define KEK_LEN     32
#define KEK_HEX_LEN 64
/* Read at most this much: enough to tell "too long" from the valid forms. */
#define KEK_READ_MAX (KEK_HEX_LEN + 2)

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* 32 raw bytes, or 64 hex digits with an optional trailing newline. */
static int
parse_key(const uint8_t *buf, size_t n, uint8_t kek[KEK_LEN])
{
	if (n == KEK_LEN) {
		memcpy(kek, buf, KEK_LEN);
		return 0;
	}
	if (n == KEK_HEX_LEN + 1 && buf[KEK_HEX_LEN] == '\n')
		n = KEK_HEX_LEN;
	if (n != KEK_HEX_LEN)
		return -1;
	for (size_t i = 0; i < KEK_LEN; i++) {
		int hi = hexval(buf[2 * i]), lo = hexval(buf[2 * i + 1]);

		if (hi < 0 || lo < 0) {
			kdc_wipe(kek, KEK_LEN);
			return -1;
		}
		kek[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

/* 1 loaded, 0 absent (ENOENT), -1 error (err set). */
static int
load_file(const char *path, uint8_t kek[KEK_LEN], char *err, size_t errlen)
{
	uint8_t buf[KEK_READ_MAX + 1];
	struct stat st;
	size_t n = 0;
	int fd, rc = -1;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "cannot open %s: %s", path,
		         strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0) {
		snprintf(err, errlen, "cannot stat %s: %s", path,
		         strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s is not a regular file", path);
		goto out;
	}
	/* A key that others can read (or replace) protects nothing. */
	if ((st.st_mode & 077) != 0) {
		snprintf(err, errlen,
		         "%s has mode %04o: the key-encryption key must not be "
		         "accessible by group or others (chmod 0600)",
		         path, (unsigned)(st.st_mode & 07777));
		goto out;
	}
	while (n < sizeof(buf)) {
		ssize_t r = read(fd, buf + n, sizeof(buf) - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(err, errlen, "cannot read %s: %s", path,
			         strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (parse_key(buf, n, kek) != 0) {
		snprintf(err, errlen,
		         "%s must hold exactly 32 raw bytes or 64 hex digits "
		         "(with an optional newline)",
		         path);
		goto out;
	}
	rc = 1;
out:
	kdc_wipe(buf, sizeof(buf));
	close(fd);
	return rc;
}

static int
write_all(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int
sync_parent(const char *path)
{
	char *copy = strdup(path);
	int fd, rc = -1;

	if (copy == NULL)
		return -1;
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		rc = fsync(fd);
		close(fd);
	}
	free(copy);
	return rc;
}

/* 1 created, 0 someone else created it first (EEXIST), -1 error. */
static int
create_file(const char *path, uint8_t kek[KEK_LEN], char *err, size_t errlen)
{
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
	          0600);
	if (fd < 0) {
		if (errno == EEXIST)
			return 0;
		snprintf(err, errlen, "cannot create %s: %s", path,
		         strerror(errno));
		return -1;
	}
	kdc_random(kek, KEK_LEN);
	/* fchmod: the umask may have removed bits; exactly 0600. */
	if (fchmod(fd, 0600) != 0 || write_all(fd, kek, KEK_LEN) != 0 ||
	    fsync(fd) != 0) {
		snprintf(err, errlen, "cannot write %s: %s", path,
		         strerror(errno));
		close(fd);
		unlink(path);
		kdc_wipe(kek, KEK_LEN);
		return -1;
	}
	if (close(fd) != 0 || sync_parent(path) != 0) {
		snprintf(err, errlen, "cannot sync %s: %s", path,
		         strerror(errno));
		unlink(path);
		kdc_wipe(kek, KEK_LEN);
		return -1;
	}
	log_notice("created a new key-encryption key in %s", path);
	return 1;
}

int
ks_kek_load(const char *path, bool create, uint8_t kek[32], char *err,
            size_t errlen)
{
	const char *dir = getenv("CREDENTIALS_DIRECTORY");
	int rc;

	if (errlen > 0)
		err[0] = '\0';
	if (kdc_crypto_init() != 0) {
		snprintf(err, errlen, "crypto initialisation failed");
		return -1;
	}
	/* systemd credential first (LoadCredential=kdc-kek:...). */
	if (dir != NULL && dir[0] != '\0') {
		char cred[4096];

		if ((size_t)snprintf(cred, sizeof(cred), "%s/kdc-kek", dir) >=
		    sizeof(cred)) {
			snprintf(err, errlen,
			         "CREDENTIALS_DIRECTORY is too "
			         "long");
			return -1;
		}
		rc = load_file(cred, kek, err, errlen);
		if (rc != 0)
			return rc > 0 ? 0 : -1;
	}
	return ks_kek_load_file(path, create, kek, err, errlen);
}

int
ks_kek_load_file(const char *path, bool create, uint8_t kek[32], char *err,
                 size_t errlen)
{
	int rc;

	if (errlen > 0)
		err[0] = '\0';
	if (kdc_crypto_init() != 0) {
		snprintf(err, errlen, "crypto initialisation failed");
		return -1;
	}
	if (path == NULL || path[0] == '\0') {
		snprintf(err, errlen, "no key-encryption key file configured");
		return -1;
	}
	rc = load_file(path, kek, err, errlen);
	if (rc != 0)
		return rc > 0 ? 0 : -1;
	if (!create) {
		snprintf(err, errlen,
		         "%s does not exist (and creating a key is disabled)",
		         path);
		return -1;
	}
	rc = create_file(path, kek, err, errlen);
	if (rc == 0) /* created concurrently by another process */
		rc = load_file(path, kek, err, errlen);
	return rc > 0 ? 0 : -1;
}
