/* SPDX-License-Identifier: Apache-2.0 */
/*
 * output.c — human output of kdc-admin (bgpctl's output.c): tables with
 * aligned columns, or name/value lines for the one row of a "show"
 * command.  Cells: NULL "-", integers in decimal, booleans yes/no, bytes
 * as lowercase hex, text with control characters escaped so that a value
 * stored by a device cannot drive the operator's terminal.
 */
#include "admin.h"

#include "tools_util.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* Escape control characters of text (C0, DEL, and the C1 range as UTF-8)
 * and invalid bytes as \xNN; backslashes double. */
static char *
escape_text(const uint8_t *p, size_t n)
{
	char *out = malloc(4 * n + 1), *o = out;

	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = p[i];

		if (c == '\\') {
			*o++ = '\\';
			*o++ = '\\';
		} else if (c == '\n') {
			*o++ = '\\';
			*o++ = 'n';
		} else if (c == '\t') {
			*o++ = '\\';
			*o++ = 't';
		} else if (c < 0x20 || c == 0x7f) {
			o += sprintf(o, "\\x%02x", c);
		} else if (c == 0xc2 && i + 1 < n && p[i + 1] >= 0x80 &&
		           p[i + 1] <= 0x9f) {
			/* U+0080..U+009F, the C1 controls (CSI among them). */
			o += sprintf(o, "\\x%02x", c);
			o += sprintf(o, "\\x%02x", p[++i]);
		} else {
			*o++ = (char)c;
		}
	}
	*o = '\0';
	return out;
}

char *
adm_cell_text(const struct ipc_cell *c)
{
	char *s;

	switch (c->type) {
	case IPC_CELL_NULL:
		return strdup("-");
	case IPC_CELL_INT:
		s = malloc(24);
		if (s != NULL)
			snprintf(s, 24, "%" PRId64, c->i);
		return s;
	case IPC_CELL_BOOL:
		return strdup(c->i != 0 ? "yes" : "no");
	case IPC_CELL_BYTES:
		s = malloc(2 * c->v.n + 1);
		if (s != NULL)
			tl_hex_encode(c->v.p, c->v.n, s);
		return s;
	case IPC_CELL_TEXT:
		return escape_text(c->v.p, c->v.n);
	default:
		return strdup("?");
	}
}

/* Display width: UTF-8 lead bytes (an approximation that is exact for
 * the ASCII the keystore mostly sends). */
static size_t
width(const char *s)
{
	size_t w = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

static void
pad(FILE *f, size_t n)
{
	while (n-- > 0)
		fputc(' ', f);
}

static char *
col_name(const struct ipc_table *t, uint32_t c)
{
	return escape_text(t->col_names[c].p, t->col_names[c].n);
}

static void
print_record(FILE *f, const struct ipc_table *t)
{
	size_t w = 0;

	for (uint32_t c = 0; c < t->ncols; c++) {
		char *name = col_name(t, c);

		if (name != NULL && width(name) > w)
			w = width(name);
		free(name);
	}
	for (uint32_t c = 0; c < t->ncols; c++) {
		char *name = col_name(t, c), *v = adm_cell_text(&t->cells[c]);

		if (name != NULL && v != NULL) {
			fprintf(f, "%s:", name);
			pad(f, w - width(name) + 1);
			fprintf(f, "%s\n", v);
		}
		free(name);
		free(v);
	}
}

static void
print_rows(FILE *f, const struct ipc_table *t)
{
	size_t ncells = (size_t)t->nrows * t->ncols;
	char **text = calloc(ncells + t->ncols, sizeof(*text));
	size_t *w = calloc(t->ncols, sizeof(*w));

	if (text == NULL || w == NULL)
		goto out;
	/* Header (upper case) then the cells. */
	for (uint32_t c = 0; c < t->ncols; c++) {
		char *h = col_name(t, c);

		for (char *p = h; p != NULL && *p != '\0'; p++)
			if (*p >= 'a' && *p <= 'z')
				*p = (char)(*p - 'a' + 'A');
		text[c] = h;
	}
	for (size_t i = 0; i < ncells; i++)
		text[t->ncols + i] = adm_cell_text(&t->cells[i]);
	for (size_t i = 0; i < ncells + t->ncols; i++) {
		if (text[i] == NULL)
			goto out;
		if (width(text[i]) > w[i % t->ncols])
			w[i % t->ncols] = width(text[i]);
	}
	for (uint32_t r = 0; r <= t->nrows; r++) {
		for (uint32_t c = 0; c < t->ncols; c++) {
			const char *s = text[(size_t)r * t->ncols + c];

			fputs(s, f);
			if (c + 1 < t->ncols)
				pad(f, w[c] - width(s) + 2);
		}
		fputc('\n', f);
	}
out:
	if (text != NULL)
		for (size_t i = 0; i < ncells + t->ncols; i++)
			free(text[i]);
	free(text);
	free(w);
}

void
adm_print_table(FILE *f, const struct ipc_table *t, bool record)
{
	if (t->ncols == 0)
		return;
	if (record && t->nrows == 1)
		print_record(f, t);
	else
		print_rows(f, t);
}

static void
human_begin(struct adm_out *o)
{
	o->ntables = 0;
}

static void
human_table(struct adm_out *o, const struct ipc_table *t)
{
	/* Several tables: a blank line between, each under its name. */
	if (o->ntables_total > 1) {
		char *name = escape_text(t->name.p, t->name.n);

		if (o->ntables > 0)
			fputc('\n', o->f);
		fprintf(o->f, "[%s]\n", name != NULL ? name : "");
		free(name);
	}
	adm_print_table(o->f, t, o->record);
	o->ntables++;
}

static void
human_end(struct adm_out *o, int code, const char *error, size_t error_len)
{
	char *e = NULL;

	fflush(o->f);
	if (error != NULL && error_len > 0)
		e = escape_text((const uint8_t *)error, error_len);
	if (code != ADM_EXIT_OK)
		fprintf(o->ferr, "kdc-admin: %s: %s\n", o->ctx,
		        e != NULL ? e : adm_exit_name(code));
	else if (e != NULL)
		fprintf(o->ferr, "kdc-admin: %s: %s\n", o->ctx, e);
	free(e);
}

const struct adm_output adm_output_human = {
        .begin = human_begin,
        .table = human_table,
        .end = human_end,
};

void
adm_out_init(struct adm_out *o, bool json, FILE *f, FILE *ferr, const char *ctx,
             bool record)
{
	memset(o, 0, sizeof(*o));
	o->vt = json ? &adm_output_json : &adm_output_human;
	o->f = f;
	o->ferr = ferr;
	o->ctx = ctx != NULL ? ctx : "kdc-admin";
	o->record = record;
}

int
adm_out_result(struct adm_out *o, const struct ipc_adm_result *r)
{
	int code = adm_exit_of_status(r->status);

	o->ntables_total = r->ntables;
	o->vt->begin(o);
	for (uint32_t i = 0; i < r->ntables; i++)
		o->vt->table(o, &r->tables[i]);
	o->vt->end(o, code, (const char *)r->error.p, r->error.n);
	return code;
}

int
adm_out_fail(struct adm_out *o, int code, const char *error)
{
	o->ntables_total = 0;
	o->vt->begin(o);
	o->vt->end(o, code, error, error != NULL ? strlen(error) : 0);
	return code;
}

int
adm_local_result(struct ipc_tab_builder *tb, int32_t status, const char *error,
                 struct ipc_wbuf *w, struct ipc_adm_result *r)
{
	ipc_wbuf_init(w);
	if (ipc_tab_finish(tb, status, error, w) != 0 || !ipc_wbuf_ok(w))
		return -1;
	return ipc_dec_adm_result(w->p, w->len, r);
}

static bool
view_is(const struct ipc_view *v, const char *s)
{
	return v->n == strlen(s) && memcmp(v->p, s, v->n) == 0;
}

bool
adm_check_healthy(const struct ipc_adm_result *r)
{
	bool seen = false;

	for (uint32_t i = 0; i < r->ntables; i++) {
		const struct ipc_table *t = &r->tables[i];

		if (view_is(&t->name, "foreign_key_check") && t->nrows > 0)
			return false;
		if (!view_is(&t->name, "integrity_check"))
			continue;
		seen = true;
		for (size_t c = 0; c < (size_t)t->nrows * t->ncols; c++) {
			const struct ipc_cell *x = &t->cells[c];

			if (x->type != IPC_CELL_TEXT || !view_is(&x->v, "ok"))
				return false;
		}
	}
	return seen;
}
