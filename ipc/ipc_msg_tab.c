/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ipc_msg_tab.c — ADM_RESULT: a status, an error text and tables of typed
 * cells that kdc-admin prints as text or JSON.
 *
 * Wire: {i32 status, str error, u32 ntables, table*}; table: {str name,
 * u32 ncols, str col_name * ncols, u32 nrows, cell * (nrows * ncols)};
 * cell: {u8 type, then i64 (INT), bool (BOOL), str (TEXT), bytes (BYTES)
 * or nothing (NULL)}.
 */
#include "ipc_priv.h"

#include <stdlib.h>
#include <string.h>

#define TAB_MAX_COLS  256u
#define TAB_MAX_CELLS ((size_t)IPC_MAX_LIST * 16u)

void
ipc_tab_init(struct ipc_tab_builder *b)
{
	memset(b, 0, sizeof(*b));
	ipc_wbuf_init(&b->body);
}

void
ipc_tab_free(struct ipc_tab_builder *b)
{
	ipc_wbuf_free(&b->body);
	ipc_tab_init(b);
}

/* End the current table: the last row must be complete; patch its row
 * count in place. */
static void
tab_close(struct ipc_tab_builder *b)
{
	uint8_t *p;

	if (b->ntables == 0)
		return;
	if (b->col != 0)
		b->body.failed = true;
	if (b->body.failed)
		return;
	p = b->body.p + b->rows_at;
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(b->nrows >> (8 * i));
}

void
ipc_tab_begin(struct ipc_tab_builder *b, const char *name,
              const char *const *cols, uint32_t ncols)
{
	tab_close(b);
	if (ncols > TAB_MAX_COLS || b->ntables >= IPC_MAX_LIST ||
	    (ncols > 0 && cols == NULL)) {
		b->body.failed = true;
		return;
	}
	b->ntables++;
	b->ncols = ncols;
	b->nrows = 0;
	b->col = 0;
	if (name != NULL && strlen(name) > IPC_MAX_STR)
		b->body.failed = true;
	ipc_put_strz(&b->body, name);
	ipc_put_u32(&b->body, ncols);
	for (uint32_t i = 0; i < ncols; i++) {
		if (cols[i] == NULL || strlen(cols[i]) > IPC_MAX_STR)
			b->body.failed = true;
		ipc_put_strz(&b->body, cols[i]);
	}
	b->rows_at = b->body.len;
	ipc_put_u32(&b->body, 0); /* patched by tab_close() */
}

/* Start a cell of the given type; false if there is no room for it. */
static bool
tab_cell(struct ipc_tab_builder *b, uint8_t type)
{
	if (b->body.failed)
		return false;
	if (b->ntables == 0 || b->ncols == 0 ||
	    (size_t)b->nrows * b->ncols + b->col >= TAB_MAX_CELLS) {
		b->body.failed = true;
		return false;
	}
	ipc_put_u8(&b->body, type);
	if (++b->col == b->ncols) {
		b->col = 0;
		b->nrows++;
	}
	return true;
}

void
ipc_tab_null(struct ipc_tab_builder *b)
{
	tab_cell(b, IPC_CELL_NULL);
}

void
ipc_tab_int(struct ipc_tab_builder *b, int64_t v)
{
	if (tab_cell(b, IPC_CELL_INT))
		ipc_put_i64(&b->body, v);
}

void
ipc_tab_bool(struct ipc_tab_builder *b, bool v)
{
	if (tab_cell(b, IPC_CELL_BOOL))
		ipc_put_bool(&b->body, v);
}

void
ipc_tab_text(struct ipc_tab_builder *b, const char *s, size_t n)
{
	if (tab_cell(b, IPC_CELL_TEXT))
		ipc_put_str(&b->body, s, n);
}

void
ipc_tab_textz(struct ipc_tab_builder *b, const char *s)
{
	ipc_tab_text(b, s, s == NULL ? 0 : strlen(s));
}

void
ipc_tab_bytes(struct ipc_tab_builder *b, const uint8_t *p, size_t n)
{
	if (tab_cell(b, IPC_CELL_BYTES))
		ipc_put_bytes(&b->body, p, n);
}

int
ipc_tab_finish(struct ipc_tab_builder *b, int32_t status, const char *error,
               struct ipc_wbuf *w)
{
	tab_close(b);
	if (b->body.failed || (error != NULL && strlen(error) > IPC_MAX_STR))
		w->failed = true;
	if (b->body.secret)
		w->secret = true;
	ipc_put_i32(w, status);
	ipc_put_strz(w, error);
	ipc_put_u32(w, b->ntables);
	ipc_put_raw(w, b->body.p, b->body.len);
	return ipc_enc_result(w);
}

/* ---- decoder ---- */

static bool
get_cell(struct ipc_rbuf *r, struct ipc_cell *c)
{
	bool v;

	if (!ipc_get_enum(r, &c->type, IPC_CELL_NULL, IPC_CELL_BOOL))
		return false;
	switch (c->type) {
	case IPC_CELL_INT:
		return ipc_get_i64(r, &c->i);
	case IPC_CELL_BOOL:
		if (!ipc_get_bool(r, &v))
			return false;
		c->i = v;
		return true;
	case IPC_CELL_TEXT:
		return ipc_get_textv(r, &c->v, IPC_MAX_PAYLOAD);
	case IPC_CELL_BYTES:
		return ipc_get_view(r, &c->v, IPC_MAX_PAYLOAD);
	default:
		return true;
	}
}

static bool
get_table(struct ipc_rbuf *r, struct ipc_table *t)
{
	uint32_t ncols, nrows;
	size_t ncells;

	if (!ipc_get_textv(r, &t->name, IPC_MAX_STR) ||
	    !ipc_get_count(r, &ncols, TAB_MAX_COLS, 4))
		return false;
	if (ncols > 0) {
		t->col_names = calloc(ncols, sizeof(*t->col_names));
		if (t->col_names == NULL) {
			r->failed = true;
			return false;
		}
	}
	t->ncols = ncols;
	for (uint32_t i = 0; i < ncols; i++)
		if (!ipc_get_textv(r, &t->col_names[i], IPC_MAX_STR))
			return false;
	/* Every cell is at least its type byte. */
	if (!ipc_get_u32(r, &nrows))
		return false;
	if (ncols == 0 ? nrows != 0
	               : nrows > TAB_MAX_CELLS / ncols ||
	                         (size_t)nrows * ncols > r->len - r->off) {
		r->failed = true;
		return false;
	}
	ncells = (size_t)nrows * ncols;
	if (ncells > 0) {
		t->cells = calloc(ncells, sizeof(*t->cells));
		if (t->cells == NULL) {
			r->failed = true;
			return false;
		}
	}
	t->nrows = nrows;
	for (size_t i = 0; i < ncells; i++)
		if (!get_cell(r, &t->cells[i]))
			return false;
	return true;
}

int
ipc_dec_adm_result(const uint8_t *p, size_t n, struct ipc_adm_result *m)
{
	struct ipc_rbuf r;
	uint32_t ntables;

	memset(m, 0, sizeof(*m));
	ipc_rbuf_init(&r, p, n);
	ipc_get_i32(&r, &m->status);
	ipc_get_textv(&r, &m->error, IPC_MAX_STR);
	/* name length + ncols + nrows */
	if (!ipc_get_count(&r, &ntables, IPC_MAX_LIST, 12))
		return -1;
	if (ntables > 0) {
		m->tables = calloc(ntables, sizeof(*m->tables));
		if (m->tables == NULL)
			return -1;
	}
	m->ntables = ntables;
	for (uint32_t i = 0; i < ntables; i++)
		if (!get_table(&r, &m->tables[i]))
			break;
	if (ipc_dec_result(&r) != 0) {
		ipc_adm_result_free(m);
		return -1;
	}
	return 0;
}

void
ipc_adm_result_free(struct ipc_adm_result *m)
{
	for (uint32_t i = 0; i < m->ntables && m->tables != NULL; i++) {
		free(m->tables[i].col_names);
		free(m->tables[i].cells);
	}
	free(m->tables);
	memset(m, 0, sizeof(*m));
}
