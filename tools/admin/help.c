/* SPDX-License-Identifier: Apache-2.0 */
/*
 * help.c — everything kdc-admin says about itself, generated from the
 * command table: the global usage, each command's --help, and the COMMANDS
 * section of kdc-admin.8 (mdoc).
 */
#include "admin.h"

#include <stdio.h>
#include <string.h>

#define WRAP 78

/* Print text wrapped at WRAP columns with the given indent; '\n' in the
 * text separates sentences and is printed as a space. */
static void
wrap(FILE *f, const char *text, int indent)
{
	int col = 0;
	const char *p = text;

	while (*p != '\0') {
		size_t len;

		while (*p == ' ' || *p == '\n')
			p++;
		if (*p == '\0')
			break;
		len = strcspn(p, " \n");
		if (col > indent && col + 1 + (int)len > WRAP) {
			fputc('\n', f);
			col = 0;
		}
		if (col == 0) {
			fprintf(f, "%*s", indent, "");
			col = indent;
		} else {
			fputc(' ', f);
			col++;
		}
		fwrite(p, 1, len, f);
		col += (int)len;
		p += len;
	}
	if (col > 0)
		fputc('\n', f);
}

static void
synopsis(FILE *f, const struct adm_cmd *c)
{
	fprintf(f, "%s%s%s%s", c->words, c->synopsis[0] != '\0' ? " " : "",
	        c->synopsis, c->opts != NULL ? " [options]" : "");
}

static const char *const exit_lines[] = {
        "0  success",
        "1  usage error (bad command line, option or configuration)",
        "2  not found (group, member, AS or token)",
        "3  already exists (also the file of db backup)",
        "4  refused by the keystore (e.g. a write in sql)",
        "5  keystore unreachable (not running, no access, timeout)",
        "6  internal error",
};

void
adm_usage(FILE *f)
{
	fprintf(f,
	        "usage: kdc-admin [-c CONFIG] [-s SOCKET] [-t SECONDS] [-j] "
	        "COMMAND [ARGS]\n"
	        "       kdc-admin COMMAND --help\n"
	        "\n"
	        "The operator's command line of the kdc keystore, over its "
	        "admin socket.\n"
	        "\n"
	        "  -c, --config FILE     configuration (default %s)\n"
	        "  -s, --socket PATH     admin socket (default "
	        "<runtime_dir>/admin.sock)\n"
	        "  -t, --timeout SECONDS reply timeout (default 30; none for "
	        "db commands)\n"
	        "  -j, --json            JSON output\n"
	        "  -V, --version         print the version\n"
	        "  -h, --help            this help\n"
	        "\nCommands:\n",
	        KDC_ADMIN_CONF_DEFAULT);
	for (size_t i = 0; i < adm_ncmds; i++) {
		char buf[128];

		snprintf(buf, sizeof(buf), "%s%s%s%s", adm_cmds[i].words,
		         adm_cmds[i].synopsis[0] != '\0' ? " " : "",
		         adm_cmds[i].synopsis,
		         adm_cmds[i].opts != NULL ? " [options]" : "");
		fprintf(f, "  %-34s %s\n", buf, adm_cmds[i].summary);
	}
	fprintf(f, "\nExit status:\n");
	for (size_t i = 0; i < sizeof(exit_lines) / sizeof(exit_lines[0]); i++)
		fprintf(f, "  %s\n", exit_lines[i]);
}

void
adm_cmd_help(FILE *f, const struct adm_cmd *c)
{
	fprintf(f, "usage: kdc-admin ");
	synopsis(f, c);
	fprintf(f, "\n\n");
	wrap(f, c->help, 2);
	if (c->opts != NULL) {
		fprintf(f, "\nOptions:\n");
		for (const struct adm_opt *o = c->opts; o->name != NULL; o++) {
			char head[96], def[64];
			const char *d = NULL;

			if (!adm_cmd_has_opt(c, o))
				continue;
			snprintf(head, sizeof(head), "  --%s%s%s", o->name,
			         o->metavar != NULL ? " " : "",
			         o->metavar != NULL ? o->metavar : "");
			fprintf(f, "%s\n", head);
			wrap(f, o->help, 8);
			if (!(c->flags & ADM_F_UPDATE))
				d = adm_group_opt_default(o, def, sizeof(def));
			if (d != NULL && c->opts == adm_group_opts)
				fprintf(f, "        (default: %s)\n", d);
		}
	}
	{
		char line[256];
		size_t off;

		off = (size_t)snprintf(line, sizeof(line), "Exit status:");
		for (int i = ADM_EXIT_OK; i <= ADM_EXIT_INTERNAL; i++)
			off += (size_t)snprintf(line + off, sizeof(line) - off,
			                        "%s %d %s", i == 0 ? "" : ",",
			                        i, adm_exit_name(i));
		snprintf(line + off, sizeof(line) - off, ".");
		fputc('\n', f);
		wrap(f, line, 0);
	}
}

void
adm_list_prefix(FILE *f, const char *prefix)
{
	size_t len = strlen(prefix);

	for (size_t i = 0; i < adm_ncmds; i++) {
		const char *w = adm_cmds[i].words;

		if (strncmp(w, prefix, len) == 0 &&
		    (w[len] == ' ' || w[len] == '\0')) {
			fprintf(f, "  kdc-admin ");
			synopsis(f, &adm_cmds[i]);
			fputc('\n', f);
		}
	}
}

/* ---- mdoc ---- */

/* One text line of mdoc: escape backslashes, protect a leading control
 * character, and spell non-ASCII characters as \[uXXXX]. */
static void
mdoc_text(FILE *f, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;

	if (n > 0 && (p[0] == '.' || p[0] == '\''))
		fputs("\\&", f);
	for (size_t i = 0; i < n; i++) {
		unsigned cp;

		if (p[i] == '\\') {
			fputs("\\e", f);
			continue;
		}
		if (p[i] < 0x80) {
			fputc(p[i], f);
			continue;
		}
		if ((p[i] & 0xe0) == 0xc0 && i + 1 < n) {
			cp = (p[i] & 0x1fu) << 6 | (p[i + 1] & 0x3fu);
			i += 1;
		} else if ((p[i] & 0xf0) == 0xe0 && i + 2 < n) {
			cp = (p[i] & 0x0fu) << 12 | (p[i + 1] & 0x3fu) << 6 |
			     (p[i + 2] & 0x3fu);
			i += 2;
		} else {
			continue; /* not in our texts */
		}
		fprintf(f, "\\[u%04X]", cp);
	}
	fputc('\n', f);
}

/* Help text: one sentence per line, and lines of at most MDOC_WRAP
 * bytes (broken at spaces). */
#define MDOC_WRAP 72

static void
mdoc_sentence(FILE *f, const char *s, size_t n)
{
	while (n > MDOC_WRAP) {
		size_t cut = MDOC_WRAP;

		while (cut > 0 && s[cut] != ' ')
			cut--;
		if (cut == 0) /* one long word */
			break;
		mdoc_text(f, s, cut);
		s += cut + 1;
		n -= cut + 1;
	}
	if (n > 0)
		mdoc_text(f, s, n);
}

static void
mdoc_lines(FILE *f, const char *text)
{
	while (*text != '\0') {
		size_t len = strcspn(text, "\n");

		if (len > 0)
			mdoc_sentence(f, text, len);
		text += len;
		if (*text == '\n')
			text++;
	}
}

void
adm_mdoc_commands(FILE *f)
{
	fputs(".Bl -tag -width Ds\n", f);
	for (size_t i = 0; i < adm_ncmds; i++) {
		const struct adm_cmd *c = &adm_cmds[i];
		const char *s = c->synopsis;

		fprintf(f, ".It Cm %s", c->words);
		while (*s != '\0') {
			size_t len = strcspn(s, " ");

			fprintf(f, " Ar %.*s", (int)len, s);
			s += len;
			while (*s == ' ')
				s++;
		}
		if (c->flags & ADM_F_REST)
			fputs(" ...", f);
		if (c->opts != NULL)
			fputs(" Op Ar options", f);
		fputc('\n', f);
		mdoc_lines(f, c->help);
		if (c->opts == NULL)
			continue;
		fputs(".Bl -tag -width Ds\n", f);
		for (const struct adm_opt *o = c->opts; o->name != NULL; o++) {
			char def[64];
			const char *d = NULL;

			if (!adm_cmd_has_opt(c, o))
				continue;
			fprintf(f, ".It Fl -%s", o->name);
			if (o->metavar != NULL)
				fprintf(f, " Ar %s", o->metavar);
			fputc('\n', f);
			mdoc_lines(f, o->help);
			if (!(c->flags & ADM_F_UPDATE))
				d = adm_group_opt_default(o, def, sizeof(def));
			if (d != NULL && c->opts == adm_group_opts)
				fprintf(f, "Default: %s.\n", d);
		}
		fputs(".El\n", f);
	}
	fputs(".El\n", f);
}
