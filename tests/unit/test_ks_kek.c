/* SPDX-License-Identifier: Apache-2.0 */
/* Tests of the key-encryption key loader (keystore/kek.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_ks_util.h"

#include "kek.h"

#include <ctype.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct kek_fixture {
	char dir[256];
	char path[300];
};

static int
setup(void **state)
{
	struct kek_fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	tdir_make(f->dir, sizeof(f->dir));
	tpath(f->path, sizeof(f->path), f->dir, "kek");
	unsetenv("CREDENTIALS_DIRECTORY");
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct kek_fixture *f = *state;

	unsetenv("CREDENTIALS_DIRECTORY");
	tdir_remove(f->dir);
	free(f);
	return 0;
}

static void
write_file(const char *path, const void *p, size_t n, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, p, n), (ssize_t)n);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static const uint8_t key_a[32] = {
        0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a,
        0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5,
        0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd, 0xfe, 0xff};
static const char key_a_hex[] =
        "000102030405060708090a0b0c0d0e0ff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff";

static void
test_create(void **state)
{
	struct kek_fixture *f = *state;
	uint8_t k1[32], k2[32], zero[32] = {0}, raw[64];
	char err[256];
	struct stat st;
	mode_t old;
	int fd;

	old = umask(0); /* the file is 0600 whatever the umask */
	assert_int_equal(ks_kek_load(f->path, true, k1, err, sizeof(err)), 0);
	umask(old);
	assert_memory_not_equal(k1, zero, 32);
	assert_int_equal(stat(f->path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_size, 32);
	fd = open(f->path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(read(fd, raw, sizeof(raw)), 32);
	close(fd);
	assert_memory_equal(raw, k1, 32);
	/* The second start loads the same key. */
	assert_int_equal(ks_kek_load(f->path, true, k2, err, sizeof(err)), 0);
	assert_memory_equal(k1, k2, 32);
}

static void
test_absent_without_create(void **state)
{
	struct kek_fixture *f = *state;
	uint8_t k[32];
	char err[256];
	struct stat st;

	assert_int_equal(ks_kek_load(f->path, false, k, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "does not exist"));
	assert_int_equal(stat(f->path, &st), -1);
}

static void
test_load_raw(void **state)
{
	struct kek_fixture *f = *state;
	uint8_t k[32];
	char err[256];

	write_file(f->path, key_a, 32, 0600);
	assert_int_equal(ks_kek_load(f->path, false, k, err, sizeof(err)), 0);
	assert_memory_equal(k, key_a, 32);
	/* Owner read-only is fine too. */
	assert_int_equal(chmod(f->path, 0400), 0);
	assert_int_equal(ks_kek_load(f->path, true, k, err, sizeof(err)), 0);
	assert_memory_equal(k, key_a, 32);
}

static void
test_load_hex(void **state)
{
	struct kek_fixture *f = *state;
	char text[80], err[256];
	uint8_t k[32];

	write_file(f->path, key_a_hex, 64, 0600);
	memset(k, 0, sizeof(k));
	assert_int_equal(ks_kek_load(f->path, false, k, err, sizeof(err)), 0);
	assert_memory_equal(k, key_a, 32);

	snprintf(text, sizeof(text), "%s\n", key_a_hex);
	write_file(f->path, text, 65, 0600);
	memset(k, 0, sizeof(k));
	assert_int_equal(ks_kek_load(f->path, false, k, err, sizeof(err)), 0);
	assert_memory_equal(k, key_a, 32);

	for (size_t i = 0; i < 64; i++)
		text[i] = (char)toupper((unsigned char)key_a_hex[i]);
	write_file(f->path, text, 64, 0600);
	memset(k, 0, sizeof(k));
	assert_int_equal(ks_kek_load(f->path, false, k, err, sizeof(err)), 0);
	assert_memory_equal(k, key_a, 32);
}

static void
test_refuse_readable_by_others(void **state)
{
	struct kek_fixture *f = *state;
	const mode_t modes[] = {0644, 0640, 0604, 0660, 0602, 0620};
	uint8_t k[32];
	char err[256], hex[65];

	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		write_file(f->path, key_a, 32, modes[i]);
		err[0] = '\0';
		assert_int_equal(
		        ks_kek_load(f->path, true, k, err, sizeof(err)), -1);
		assert_non_null(strstr(err, "mode"));
	}
	/* The message never holds the key. */
	for (size_t i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", key_a[i]);
	assert_null(strstr(err, hex));
	assert_null(memmem(err, strlen(err), key_a, 8));
	/* And the file was not replaced. */
	assert_true(file_contains(f->path, key_a, 32));
}

static void
test_refuse_wrong_length(void **state)
{
	struct kek_fixture *f = *state;
	char text[80], err[256];
	uint8_t k[32];
	uint8_t raw[40];

	memset(raw, 0x41, sizeof(raw));
	write_file(f->path, raw, 31, 0600);
	assert_int_equal(ks_kek_load(f->path, true, k, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "32 raw bytes"));
	write_file(f->path, raw, 33, 0600);
	assert_int_equal(ks_kek_load(f->path, true, k, err, sizeof(err)), -1);
	write_file(f->path, "", 0, 0600);
	assert_int_equal(ks_kek_load(f->path, true, k, err, sizeof(err)), -1);
	/* 63 and 65 hex digits, two newlines, a non-hex character. */
	write_file(f->path, key_a_hex, 63, 0600);
	assert_int_equal(ks_kek_load(f->path, true, k, err, sizeof(err)), -1);
	snprintf(text, sizeof(text), "%s0", key_a_hex);
	write_file(f->path, text, 65, 0600);
	assert_int_equal(ks_kek_load(f->path, true, k, err, sizeof(err)), -1);
	snprintf(text, sizeof(text), "%s\n\n", key_a_hex);
	write_file(f->path, text, 66, 0600);
	assert_int_equal(ks_kek_load(f->path, true, k, err, sizeof(err)), -1);
	snprintf(text, sizeof(text), "%s", key_a_hex);
	text[10] = 'g';
	write_file(f->path, text, 64, 0600);
	assert_int_equal(ks_kek_load(f->path, true, k, err, sizeof(err)), -1);
	/* 1 KiB of hex is not a key either. */
	{
		char big[1024];

		memset(big, 'a', sizeof(big));
		write_file(f->path, big, sizeof(big), 0600);
		assert_int_equal(
		        ks_kek_load(f->path, true, k, err, sizeof(err)), -1);
	}
}

static void
test_refuse_not_regular(void **state)
{
	struct kek_fixture *f = *state;
	uint8_t k[32];
	char err[256];

	assert_int_equal(mkdir(f->path, 0700), 0);
	assert_int_equal(ks_kek_load(f->path, true, k, err, sizeof(err)), -1);
	rmdir(f->path);
}

static void
test_credentials_directory_wins(void **state)
{
	struct kek_fixture *f = *state;
	char creds[300], credfile[320], err[256];
	uint8_t k[32], key_b[32];

	memset(key_b, 0xbb, sizeof(key_b));
	tpath(creds, sizeof(creds), f->dir, "creds");
	assert_int_equal(mkdir(creds, 0700), 0);
	tpath(credfile, sizeof(credfile), creds, "kdc-kek");
	write_file(credfile, key_a_hex, 64, 0400);
	write_file(f->path, key_b, 32, 0600);

	assert_int_equal(setenv("CREDENTIALS_DIRECTORY", creds, 1), 0);
	assert_int_equal(ks_kek_load(f->path, true, k, err, sizeof(err)), 0);
	assert_memory_equal(k, key_a, 32);

	/* A credential with bad permissions is an error, not a fallback. */
	assert_int_equal(chmod(credfile, 0444), 0);
	assert_int_equal(ks_kek_load(f->path, true, k, err, sizeof(err)), -1);

	/* No credential of that name: the configured file. */
	unlink(credfile);
	assert_int_equal(ks_kek_load(f->path, true, k, err, sizeof(err)), 0);
	assert_memory_equal(k, key_b, 32);

	/* An empty CREDENTIALS_DIRECTORY is ignored. */
	assert_int_equal(setenv("CREDENTIALS_DIRECTORY", "", 1), 0);
	assert_int_equal(ks_kek_load(f->path, false, k, err, sizeof(err)), 0);
	assert_memory_equal(k, key_b, 32);
}

static void
test_create_in_missing_dir_fails(void **state)
{
	struct kek_fixture *f = *state;
	char path[320], err[256];
	uint8_t k[32];

	tpath(path, sizeof(path), f->dir, "no/such/kek");
	assert_int_equal(ks_kek_load(path, true, k, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "cannot create"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_create, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_absent_without_create,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(test_load_raw, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_load_hex, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_refuse_readable_by_others,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(test_refuse_wrong_length, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_refuse_not_regular, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_credentials_directory_wins,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(
	                test_create_in_missing_dir_fails, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
