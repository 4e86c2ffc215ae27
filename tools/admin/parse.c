/* SPDX-License-Identifier: Apache-2.0 */
/*
 * parse.c — the command line of a kdc-admin command, parsed against its
 * entry in the command table: the words of the command, then positional
 * arguments and --options in any order ("--" ends the options).
 */
#include "admin.h"

#include "tools_util.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

int
adm_parse_onoff(const char *s, bool *out)
{
	static const char *const on[] = {"on", "yes", "true", "1"};
	static const char *const off[] = {"off", "no", "false", "0"};

	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(s, on[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(s, off[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -1;
}

bool
adm_cmd_has_opt(const struct adm_cmd *c, const struct adm_opt *o)
{
	return !((c->flags & ADM_F_UPDATE) && (o->flags & ADM_OF_CREATE_ONLY));
}

/* Does argv[0..argc) start with the words of c?  Returns how many argv
 * elements the words take, or 0. */
static int
match_words(const struct adm_cmd *c, int argc, char *const argv[])
{
	const char *w = c->words;
	int n = 0;

	while (*w != '\0') {
		size_t len = strcspn(w, " ");

		if (n >= argc || strlen(argv[n]) != len ||
		    strncmp(argv[n], w, len) != 0)
			return 0;
		n++;
		w += len;
		while (*w == ' ')
			w++;
	}
	return n;
}

static const struct adm_opt *
find_opt(const struct adm_cmd *c, const char *name, size_t len)
{
	if (c->opts == NULL)
		return NULL;
	for (const struct adm_opt *o = c->opts; o->name != NULL; o++)
		if (strlen(o->name) == len && strncmp(o->name, name, len) == 0)
			return o;
	return NULL;
}

/* Check a typed value at parse time, so that every command reports bad
 * values the same way. */
static int
check_value(const struct adm_opt *o, const char *v, char *err, size_t errlen)
{
	uint64_t u;
	int64_t alg;
	bool b;
	int crv;

	switch (o->type) {
	case ADM_OT_FLAG:
	case ADM_OT_TEXT:
		return 0;
	case ADM_OT_UINT:
		if (tl_parse_u64(v, o->max, &u) == 0)
			return 0;
		snprintf(err, errlen,
		         "--%s: '%s' is not a whole number from 0 to %llu",
		         o->name, v, (unsigned long long)o->max);
		return -1;
	case ADM_OT_ONOFF:
		if (adm_parse_onoff(v, &b) == 0)
			return 0;
		snprintf(err, errlen, "--%s: '%s' is not on or off", o->name,
		         v);
		return -1;
	case ADM_OT_ALG:
		if (kdc_alg_parse(v, &alg) == 0)
			return 0;
		snprintf(err, errlen, "--%s: unknown algorithm '%s'", o->name,
		         v);
		return -1;
	case ADM_OT_CRV:
		if (kdc_crv_parse(v, &crv) == 0)
			return 0;
		snprintf(err, errlen, "--%s: unknown curve '%s'", o->name, v);
		return -1;
	}
	return -1;
}

static int
parse_option(const struct adm_cmd *c, int argc, char *const argv[], int *i,
             struct adm_args *a, char *err, size_t errlen)
{
	const char *arg = argv[*i] + 2;
	const char *eq = strchr(arg, '=');
	size_t len = eq != NULL ? (size_t)(eq - arg) : strlen(arg);
	const struct adm_opt *o = find_opt(c, arg, len);
	const char *value;

	if (o == NULL) {
		snprintf(err, errlen, "unknown option --%.*s", (int)len, arg);
		return -1;
	}
	if (!adm_cmd_has_opt(c, o)) {
		snprintf(err, errlen,
		         "--%s can only be set when the group is created",
		         o->name);
		return -1;
	}
	if (o->type == ADM_OT_FLAG) {
		if (eq != NULL) {
			snprintf(err, errlen, "--%s takes no value", o->name);
			return -1;
		}
		value = "";
	} else if (eq != NULL) {
		value = eq + 1;
	} else if (*i + 1 < argc) {
		value = argv[++*i];
	} else {
		snprintf(err, errlen, "--%s needs a value (%s)", o->name,
		         o->metavar);
		return -1;
	}
	for (size_t k = 0; k < a->nopts; k++) {
		if (a->opts[k].opt == o) {
			snprintf(err, errlen, "--%s given twice", o->name);
			return -1;
		}
	}
	if (a->nopts >= ADM_MAX_OPTS) {
		snprintf(err, errlen, "too many options");
		return -1;
	}
	if (check_value(o, value, err, errlen) != 0)
		return -1;
	a->opts[a->nopts].opt = o;
	a->opts[a->nopts].value = value;
	a->nopts++;
	return 0;
}

/* An incomplete command ("group") or an unknown one. */
static void
candidates(const char *first, char *err, size_t errlen)
{
	size_t len = strlen(first);

	for (size_t i = 0; i < adm_ncmds; i++) {
		const char *w = adm_cmds[i].words;

		if (strncmp(w, first, len) == 0 && w[len] == ' ') {
			snprintf(err, errlen, "incomplete command '%s'", first);
			return;
		}
	}
	snprintf(err, errlen,
	         "unknown command '%s' (kdc-admin --help lists "
	         "them)",
	         first);
}

/* Point at the command's --help after a message. */
static int
usage_hint(const struct adm_cmd *c, char *err, size_t errlen)
{
	size_t n = strlen(err);

	if (n < errlen)
		snprintf(err + n, errlen - n, " (see kdc-admin %s --help)",
		         c->words);
	return ADM_EXIT_USAGE;
}

int
adm_parse(int argc, char *const argv[], struct adm_args *a, char *err,
          size_t errlen)
{
	const struct adm_cmd *c = NULL;
	bool only_pos = false;
	int used = 0;

	memset(a, 0, sizeof(*a));
	if (argc < 1) {
		snprintf(err, errlen,
		         "no command (kdc-admin --help lists them)");
		return ADM_EXIT_USAGE;
	}
	for (size_t i = 0; i < adm_ncmds; i++) {
		int n = match_words(&adm_cmds[i], argc, argv);

		if (n > used) {
			used = n;
			c = &adm_cmds[i];
		}
	}
	if (c == NULL) {
		candidates(argv[0], err, errlen);
		return ADM_EXIT_USAGE;
	}
	a->cmd = c;
	for (int i = used; i < argc; i++) {
		const char *s = argv[i];

		if (!only_pos && strcmp(s, "--") == 0) {
			only_pos = true;
		} else if (!only_pos &&
		           (strcmp(s, "--help") == 0 || strcmp(s, "-h") == 0)) {
			a->help = true;
		} else if (!only_pos && strncmp(s, "--", 2) == 0) {
			if (parse_option(c, argc, argv, &i, a, err, errlen) !=
			    0)
				return usage_hint(c, err, errlen);
		} else if (!only_pos && s[0] == '-' && s[1] != '\0' &&
		           (s[1] < '0' || s[1] > '9')) {
			snprintf(err, errlen, "unknown option %s", s);
			return usage_hint(c, err, errlen);
		} else {
			if (a->npos >= ADM_MAX_POS) {
				snprintf(err, errlen, "too many arguments");
				return usage_hint(c, err, errlen);
			}
			a->pos[a->npos++] = s;
		}
	}
	if (a->help)
		return ADM_EXIT_OK;
	if (a->npos < c->min_pos || a->npos > c->max_pos) {
		snprintf(err, errlen, "usage: kdc-admin %s%s%s%s", c->words,
		         c->synopsis[0] != '\0' ? " " : "", c->synopsis,
		         c->opts != NULL ? " [options]" : "");
		return ADM_EXIT_USAGE;
	}
	return ADM_EXIT_OK;
}

const char *
adm_opt(const struct adm_args *a, const char *name)
{
	for (size_t i = 0; i < a->nopts; i++)
		if (strcmp(a->opts[i].opt->name, name) == 0)
			return a->opts[i].value;
	return NULL;
}

int
adm_opt_uint(const struct adm_args *a, const char *name, uint64_t *out,
             char *err, size_t errlen)
{
	const char *v = adm_opt(a, name);
	uint64_t max = UINT64_MAX;

	if (v == NULL)
		return 1;
	for (size_t i = 0; i < a->nopts; i++)
		if (strcmp(a->opts[i].opt->name, name) == 0)
			max = a->opts[i].opt->max;
	if (tl_parse_u64(v, max, out) != 0) {
		snprintf(err, errlen, "--%s: invalid number '%s'", name, v);
		return -1;
	}
	return 0;
}

int
adm_opt_onoff(const struct adm_args *a, const char *name, bool *out, char *err,
              size_t errlen)
{
	const char *v = adm_opt(a, name);

	if (v == NULL)
		return 1;
	if (adm_parse_onoff(v, out) != 0) {
		snprintf(err, errlen, "--%s: '%s' is not on or off", name, v);
		return -1;
	}
	return 0;
}
