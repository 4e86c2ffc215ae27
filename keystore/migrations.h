/* SPDX-License-Identifier: Apache-2.0 */
/*
 * migrations.h — the schema migrations embedded at build time from
 * schema/NNN_*.sql (keystore/embed_schema.cmake).  Migration i (1-based)
 * brings a database from user_version i-1 to i.
 */
#ifndef KDC_KS_MIGRATIONS_H
#define KDC_KS_MIGRATIONS_H

struct ks_migration {
	unsigned version; /* user_version after applying it */
	const char *file;
	const char *sql;
};

extern const struct ks_migration ks_migrations[];
extern const unsigned ks_migrations_count;

#endif
