/* SPDX-License-Identifier: Apache-2.0 */
/*
 * output_json.c — JSON output of kdc-admin (bgpctl's output_json.c):
 *
 *   { "<table>": [ { "<column>": value, ... }, ... ], ...,
 *     "status": "OK" }                      or
 *     "status": "FAILED", "error": "..." }
 *
 * Values: integers as numbers, text as strings, bytes as lowercase hex
 * strings, booleans, null.  Field names are the keystore's column names.
 * Keys never repeat: a table named like a key of the result ("status",
 * "error", "note") is "<name>_table" (the status command's "status" table
 * is "status_table"); a table or column name met again gets a suffix
 * "_2", "_3", ... (e.g. the columns of `sql 'SELECT 1, 1'`).  A note the
 * keystore adds to a successful result (e.g. a truncated listing) is
 * "note".
 */
#include "admin.h"

#include "tools_util.h"

#include <stdlib.h>
#include <string.h>

static bool
taken(char (*names)[80], unsigned n, const char *s)
{
	for (unsigned i = 0; i < n; i++)
		if (strcmp(names[i], s) == 0)
			return true;
	return false;
}

/* A key not yet used in this object: name, else name_2, name_3, ...
 * Names are cut at 64 bytes (at a character boundary). */
static void
unique_key(char (*names)[80], unsigned n, const struct ipc_view *v, bool table,
           char out[80])
{
	size_t len = v->n > 64 ? 64 : v->n;

	while (len > 0 && len < v->n && (v->p[len] & 0xc0) == 0x80)
		len--;
	if (len == 0) {
		snprintf(out, 80, "%s", "table");
	} else {
		memcpy(out, v->p, len);
		out[len] = '\0';
		/* A NUL inside is not possible (the decoder refuses it) but
		 * would only shorten the key. */
	}
	if (table && (strcmp(out, "status") == 0 || strcmp(out, "error") == 0 ||
	              strcmp(out, "note") == 0))
		memcpy(out + strlen(out), "_table", sizeof("_table"));
	if (!taken(names, n, out))
		return;
	for (unsigned k = 2;; k++) {
		char cand[80];

		snprintf(cand, sizeof(cand), "%.64s_%u", out, k);
		if (!taken(names, n, cand)) {
			memcpy(out, cand, sizeof(cand));
			return;
		}
	}
}

static void
json_begin(struct adm_out *o)
{
	json_init(&o->j, o->f);
	json_object_begin(&o->j, NULL);
	o->nnames = 0;
	/* Keys of the result itself. */
	snprintf(o->names[o->nnames++], 80, "status");
	snprintf(o->names[o->nnames++], 80, "error");
	snprintf(o->names[o->nnames++], 80, "note");
}

static void
cell(struct json_w *j, const char *key, const struct ipc_cell *c)
{
	char *hex;

	switch (c->type) {
	case IPC_CELL_INT:
		json_int(j, key, c->i);
		break;
	case IPC_CELL_BOOL:
		json_bool(j, key, c->i != 0);
		break;
	case IPC_CELL_TEXT:
		json_string(j, key, (const char *)c->v.p, c->v.n);
		break;
	case IPC_CELL_BYTES:
		hex = malloc(2 * c->v.n + 1);
		if (hex == NULL) {
			json_null(j, key);
			break;
		}
		tl_hex_encode(c->v.p, c->v.n, hex);
		json_stringz(j, key, hex);
		free(hex);
		break;
	default:
		json_null(j, key);
		break;
	}
}

static void
json_table(struct adm_out *o, const struct ipc_table *t)
{
	char(*cols)[80] = calloc(t->ncols > 0 ? t->ncols : 1, 80);
	char key[80];

	unique_key(o->names, o->nnames, &t->name, true, key);
	if (o->nnames < ADM_OUT_MAX_NAMES)
		memcpy(o->names[o->nnames++], key, sizeof(key));
	json_array_begin(&o->j, key);
	if (cols == NULL) {
		json_array_end(&o->j);
		return;
	}
	for (uint32_t c = 0; c < t->ncols; c++)
		unique_key(cols, c, &t->col_names[c], false, cols[c]);
	for (uint32_t r = 0; r < t->nrows; r++) {
		json_object_begin(&o->j, NULL);
		for (uint32_t c = 0; c < t->ncols; c++)
			cell(&o->j, cols[c],
			     &t->cells[(size_t)r * t->ncols + c]);
		json_object_end(&o->j);
	}
	json_array_end(&o->j);
	free(cols);
}

static void
json_end(struct adm_out *o, int code, const char *error, size_t error_len)
{
	if (code == ADM_EXIT_OK) {
		json_stringz(&o->j, "status", "OK");
		if (error != NULL && error_len > 0)
			json_string(&o->j, "note", error, error_len);
	} else {
		json_stringz(&o->j, "status", "FAILED");
		if (error != NULL && error_len > 0)
			json_string(&o->j, "error", error, error_len);
		else
			json_stringz(&o->j, "error", adm_exit_name(code));
	}
	json_object_end(&o->j);
	json_finish(&o->j);
}

const struct adm_output adm_output_json = {
        .begin = json_begin,
        .table = json_table,
        .end = json_end,
};
