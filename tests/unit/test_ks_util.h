/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_ks_util.h — helpers shared by the keystore storage tests: temporary
 * directories, opening a store with a fixed KEK, reading raw file bytes,
 * and building the rows the store functions take.  Include after cmocka.h.
 */
#ifndef KDC_TEST_KS_UTIL_H
#define KDC_TEST_KS_UTIL_H

#include "crypto.h"
#include "group_config.h"
#include "store.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const uint8_t test_kek[32] = {
        0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a,
        0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25,
        0x26, 0x27, 0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f};
static const uint8_t other_kek[32] = {0xee};

struct ks_fixture {
	char dir[256];
	char db[300];
	struct ks_store *s;
};

static inline void
tdir_make(char *dir, size_t n)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(dir, n, "%s/kdc-ks-test-XXXXXX",
	         tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
	assert_non_null(mkdtemp(dir));
}

static inline int
tdir_rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static inline void
tdir_remove(const char *dir)
{
	nftw(dir, tdir_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static inline void
tpath(char *out, size_t n, const char *dir, const char *name)
{
	snprintf(out, n, "%s/%s", dir, name);
}

/* cmocka setup/teardown: a temporary directory with an open store. */
static inline int
ks_fixture_setup(void **state)
{
	struct ks_fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	tdir_make(f->dir, sizeof(f->dir));
	tpath(f->db, sizeof(f->db), f->dir, "kdc.sqlite");
	if (ks_store_open(f->db, test_kek, &f->s) != KS_OK) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static inline int
ks_fixture_teardown(void **state)
{
	struct ks_fixture *f = *state;

	ks_store_close(f->s);
	tdir_remove(f->dir);
	free(f);
	return 0;
}

/* Does the file at path contain needle[0..n)?  A missing file does not. */
static inline bool
file_contains(const char *path, const void *needle, size_t n)
{
	FILE *fp = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0, r;
	bool found;

	if (fp == NULL)
		return false;
	do {
		if (len == cap) {
			cap = cap ? cap * 2 : 65536;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
		r = fread(buf + len, 1, cap - len, fp);
		len += r;
	} while (r > 0);
	fclose(fp);
	found = memmem(buf, len, needle, n) != NULL;
	free(buf);
	return found;
}

/* In the database file or its write-ahead log. */
static inline bool
db_contains(const char *db, const void *needle, size_t n)
{
	char wal[320];

	snprintf(wal, sizeof(wal), "%s-wal", db);
	return file_contains(db, needle, n) || file_contains(wal, needle, n);
}

/* A group with the profile defaults and a fixed Gid prefix. */
static inline void
test_group(struct ks_group *g, const char *name, uint8_t prefix_byte)
{
	memset(g, 0, sizeof(*g));
	kdc_group_config_defaults(&g->cfg);
	snprintf(g->cfg.name, sizeof(g->cfg.name), "%s", name);
	snprintf(g->cfg.description, sizeof(g->cfg.description), "group %s",
	         name);
	g->gid_prefix_len = g->cfg.gid_prefix_len = 4;
	memset(g->gid_prefix, prefix_byte, 4);
	g->cfg.gid_epoch_len = 4;
	g->created_at = 1700000000;
	g->exp = 1700086400;
	g->rekeyed_at_ms = 1700000000000;
	g->salt_len = 8;
	memset(g->salt, 0x5a, 8);
	g->node_next = 1;
}

/* A token with a symmetric PoP key derived from seed. */
static inline void
test_token(struct ks_token *t, int64_t as_id, uint8_t seed)
{
	memset(t, 0, sizeof(*t));
	t->as_id = as_id;
	t->cti_len = 4;
	memset(t->cti, seed, 4);
	t->pop_kind = KS_POP_SYMMETRIC;
	t->pop_kid_len = 3;
	t->pop_kid[0] = 'k';
	t->pop_kid[1] = 'i';
	t->pop_kid[2] = seed;
	memset(t->pop_fpr, seed, sizeof(t->pop_fpr));
	t->pop_key.kty = 4; /* Symmetric */
	t->pop_key.k_len = 16;
	for (size_t i = 0; i < 16; i++)
		t->pop_key.k[i] = (uint8_t)(0xa0 + i + seed);
	memcpy(t->pop_key.kid, t->pop_kid, t->pop_kid_len);
	t->pop_key.kid_len = t->pop_kid_len;
	t->scope_len = 5;
	memcpy(t->scope, "scope", 5);
	t->exp = 2000000000;
	t->received_at = 1700000000;
	t->via = KS_VIA_AUTHZ_INFO;
	t->exi_seq = -1;
}

/* An AS row of kind MAC with a symmetric key (for tokens' as_id). */
static inline int64_t
test_as(struct ks_store *s, const char *name)
{
	struct ks_as a;

	memset(&a, 0, sizeof(a));
	snprintf(a.name, sizeof(a.name), "%s", name);
	snprintf(a.audience, sizeof(a.audience), "kdc");
	a.kind = 2;
	a.alg = 5;
	a.key.kty = 4;
	a.key.k_len = 32;
	memset(a.key.k, 0x77, 32);
	assert_int_equal(ks_store_as_add(s, &a), KS_OK);
	return a.id;
}

static inline void
test_member(struct ks_member *m, int64_t group_id, int64_t token_id, unsigned n)
{
	memset(m, 0, sizeof(*m));
	m->group_id = group_id;
	m->token_id = token_id;
	snprintf(m->node, sizeof(m->node), "n%u", n);
	m->perm = 6;
	m->has_sid = true;
	m->sid_len = 3;
	m->sid[0] = (uint8_t)(n >> 16);
	m->sid[1] = (uint8_t)(n >> 8);
	m->sid[2] = (uint8_t)n;
	m->cred_len = 10;
	memset(m->cred, 0xc0, 10);
	m->cred_pop = true;
	m->birth_gid_len = 8;
	memset(m->birth_gid, 0xb0, 8);
	m->joined_at = 1700000000 + n;
	m->updated_at = 1700000000 + n;
}

#endif
