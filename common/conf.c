/* SPDX-License-Identifier: Apache-2.0 */
/*
 * conf.c — table-driven parser of kdc.conf (see conf.h).  One table lists
 * every key with its section, type, bounds and destination, so that the
 * documentation (deploy/kdc.conf) and the parser cannot disagree silently:
 * a key missing here is an error at load time.
 */
#include "conf.h"

#include "log.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum conf_type {
	T_PATH,   /* absolute path */
	T_NAME,   /* user/group name or other short word */
	T_STRING, /* free text without spaces at the ends */
	T_BOOL,
	T_UINT,
	T_LEVEL,  /* log level name */
	T_LISTEN, /* host:port, repeatable */
};

struct conf_key {
	const char *section;
	const char *name;
	enum conf_type type;
	size_t offset; /* into struct kdc_conf */
	size_t size;   /* of the destination (strings) */
	uint32_t min, max;
	size_t count_offset; /* T_LISTEN: offset of the element counter */
};

#define F(field)                                                               \
	offsetof(struct kdc_conf, field), sizeof(((struct kdc_conf *)0)->field)

static const struct conf_key keys[] = {
        {"kdc", "state_dir", T_PATH, F(state_dir), 0, 0, 0},
        {"kdc", "runtime_dir", T_PATH, F(runtime_dir), 0, 0, 0},
        {"kdc", "log_level", T_LEVEL, F(log_level), 0, 0, 0},

        {"keystore", "database", T_PATH, F(database), 0, 0, 0},
        {"keystore", "kek_file", T_PATH, F(kek_file), 0, 0, 0},
        {"keystore", "create_kek", T_BOOL, F(create_kek), 0, 0, 0},
        {"keystore", "frontend_user", T_NAME, F(frontend_user), 0, 0, 0},
        {"keystore", "frontend_group", T_NAME, F(frontend_group), 0, 0, 0},
        {"keystore", "admin_group", T_NAME, F(admin_group), 0, 0, 0},
        {"keystore", "clock_skew", T_UINT, F(clock_skew), 0, 3600, 0},
        {"keystore", "default_audience", T_STRING, F(default_audience), 0, 0,
         0},
        {"keystore", "max_tokens", T_UINT, F(max_tokens), 1, 100000000, 0},
        {"keystore", "watchdog_ms", T_UINT, F(watchdog_ms), 0, 3600000, 0},

        {"frontend", "listen", T_LISTEN, F(listen), 0, 0,
         offsetof(struct kdc_conf, nlisten)},
        {"frontend", "listen_dtls", T_LISTEN, F(listen_dtls), 0, 0,
         offsetof(struct kdc_conf, nlisten_dtls)},
        {"frontend", "reuse_port", T_BOOL, F(reuse_port), 0, 0, 0},
        {"frontend", "lock_dir", T_PATH, F(lock_dir), 0, 0, 0},
        {"frontend", "user", T_NAME, F(user), 0, 0, 0},
        {"frontend", "group", T_NAME, F(group), 0, 0, 0},
        {"frontend", "rpk_key", T_PATH, F(rpk_key), 0, 0, 0},
        {"frontend", "max_sessions", T_UINT, F(max_sessions), 1, 1000000, 0},
        {"frontend", "session_idle_timeout", T_UINT, F(session_idle_timeout), 2,
         86400, 0},
        {"frontend", "ipc_timeout_ms", T_UINT, F(ipc_timeout_ms), 10, 60000, 0},
        {"frontend", "unavailable_max_age", T_UINT, F(unavailable_max_age), 0,
         3600, 0},
        {"frontend", "max_request_payload", T_UINT, F(max_request_payload), 64,
         1048576, 0},
};

#undef F

void
kdc_conf_defaults(struct kdc_conf *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->state_dir, sizeof(c->state_dir), "/var/lib/kdc");
	snprintf(c->runtime_dir, sizeof(c->runtime_dir), "/run/kdc");
	c->log_level = KDC_LOG_INFO;
	c->create_kek = true;
	snprintf(c->frontend_user, sizeof(c->frontend_user), "kdc-frontend");
	snprintf(c->frontend_group, sizeof(c->frontend_group), "kdc-frontend");
	snprintf(c->admin_group, sizeof(c->admin_group), "kdc-admin");
	c->clock_skew = 30;
	snprintf(c->default_audience, sizeof(c->default_audience), "kdc");
	c->max_tokens = 1000000;
	snprintf(c->user, sizeof(c->user), "kdc-frontend");
	snprintf(c->group, sizeof(c->group), "kdc-frontend");
	c->max_sessions = 20000;
	c->session_idle_timeout = 300; /* libcoap's own default */
	c->ipc_timeout_ms = 500;
	c->unavailable_max_age = 5;
	c->max_request_payload = 16384;
	snprintf(c->listen[0].host, sizeof(c->listen[0].host), "0.0.0.0");
	c->listen[0].port = 5683;
	c->nlisten = 1;
	snprintf(c->listen_dtls[0].host, sizeof(c->listen_dtls[0].host),
	         "0.0.0.0");
	c->listen_dtls[0].port = 5684;
	c->nlisten_dtls = 1;
}

/* Error accumulation: every problem of a file is reported, one per line. */
struct conf_err {
	char *buf;
	size_t len;
	size_t used;
	int count;
};

static void __attribute__((format(printf, 4, 5)))
conf_error(struct conf_err *e, const char *name, unsigned line, const char *fmt,
           ...)
{
	va_list ap;
	int n;

	e->count++;
	if (e->buf == NULL || e->used + 1 >= e->len)
		return;
	n = snprintf(e->buf + e->used, e->len - e->used,
	             "%s%s:%u: ", e->used ? "\n" : "", name, line);
	if (n < 0 || (size_t)n >= e->len - e->used) {
		e->used = e->len - 1;
		return;
	}
	e->used += (size_t)n;
	va_start(ap, fmt);
	n = vsnprintf(e->buf + e->used, e->len - e->used, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= e->len - e->used)
		e->used = e->len - 1;
	else
		e->used += (size_t)n;
}

static char *
trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

static int
parse_uint(const char *v, uint32_t min, uint32_t max, uint32_t *out)
{
	char *end;
	unsigned long long x;

	if (*v == '\0' || !isdigit((unsigned char)*v))
		return -1;
	errno = 0;
	x = strtoull(v, &end, 10);
	if (errno != 0 || *end != '\0' || x < min || x > max)
		return -1;
	*out = (uint32_t)x;
	return 0;
}

static int
parse_bool(const char *v, bool *out)
{
	if (strcmp(v, "yes") == 0 || strcmp(v, "true") == 0 ||
	    strcmp(v, "on") == 0) {
		*out = true;
		return 0;
	}
	if (strcmp(v, "no") == 0 || strcmp(v, "false") == 0 ||
	    strcmp(v, "off") == 0) {
		*out = false;
		return 0;
	}
	return -1;
}

/* "127.0.0.1:5683", "[::1]:5684", "0.0.0.0:5683". Numeric only: the
 * frontend binds before it could resolve anything safely. */
static int
parse_listen(const char *v, struct kdc_listen *l)
{
	const char *colon;
	char host[sizeof(l->host)];
	size_t hlen;
	uint32_t port;
	unsigned char tmp[16];

	if (v[0] == '[') {
		const char *close = strchr(v, ']');

		if (close == NULL || close[1] != ':')
			return -1;
		hlen = (size_t)(close - v - 1);
		if (hlen == 0 || hlen >= sizeof(host))
			return -1;
		memcpy(host, v + 1, hlen);
		host[hlen] = '\0';
		colon = close + 1;
		if (inet_pton(AF_INET6, host, tmp) != 1)
			return -1;
	} else {
		colon = strrchr(v, ':');
		if (colon == NULL)
			return -1;
		hlen = (size_t)(colon - v);
		if (hlen == 0 || hlen >= sizeof(host))
			return -1;
		memcpy(host, v, hlen);
		host[hlen] = '\0';
		if (inet_pton(AF_INET, host, tmp) != 1)
			return -1;
	}
	if (parse_uint(colon + 1, 1, 65535, &port) != 0)
		return -1;
	memcpy(l->host, host, hlen + 1);
	l->port = (uint16_t)port;
	return 0;
}

static bool
name_ok(const char *v)
{
	if (*v == '\0')
		return false;
	for (const char *p = v; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_' &&
		    *p != '.')
			return false;
	return true;
}

static void
set_value(const struct conf_key *k, char *value, struct kdc_conf *c, bool *seen,
          const char *name, unsigned line, struct conf_err *e)
{
	char *dst = (char *)c + k->offset;

	if (k->type != T_LISTEN && *seen) {
		conf_error(e, name, line, "'%s' is set twice in [%s]", k->name,
		           k->section);
		return;
	}
	*seen = true;
	switch (k->type) {
	case T_PATH:
		if (value[0] != '/') {
			conf_error(e, name, line,
			           "'%s' must be an absolute path", k->name);
			return;
		}
		/* fall through */
	case T_STRING:
		if (strlen(value) >= k->size || *value == '\0') {
			conf_error(e, name, line, "'%s' is empty or too long",
			           k->name);
			return;
		}
		memcpy(dst, value, strlen(value) + 1);
		return;
	case T_NAME:
		if (!name_ok(value) || strlen(value) >= k->size) {
			conf_error(e, name, line,
			           "'%s' must be a name of letters, digits, "
			           "'-', '_' or '.'",
			           k->name);
			return;
		}
		memcpy(dst, value, strlen(value) + 1);
		return;
	case T_BOOL:
		if (parse_bool(value, (bool *)dst) != 0)
			conf_error(e, name, line,
			           "'%s' must be yes or no, not '%s'", k->name,
			           value);
		return;
	case T_UINT:
		if (parse_uint(value, k->min, k->max, (uint32_t *)dst) != 0)
			conf_error(e, name, line,
			           "'%s' must be an integer in %u..%u", k->name,
			           k->min, k->max);
		return;
	case T_LEVEL: {
		int lvl = kdc_log_level_parse(value);

		if (lvl < 0)
			conf_error(e, name, line,
			           "'%s' must be one of err, warning, notice, "
			           "info, debug",
			           k->name);
		else
			*(int *)dst = lvl;
		return;
	}
	case T_LISTEN: {
		size_t *count = (size_t *)((char *)c + k->count_offset);
		struct kdc_listen *arr = (struct kdc_listen *)dst;

		if (*count >= KDC_CONF_MAX_LISTEN) {
			conf_error(e, name, line,
			           "too many '%s' lines (max %d)", k->name,
			           KDC_CONF_MAX_LISTEN);
			return;
		}
		if (parse_listen(value, &arr[*count]) != 0) {
			conf_error(
			        e, name, line,
			        "'%s' must be ADDRESS:PORT or [ADDRESS]:PORT "
			        "with a numeric address",
			        k->name);
			return;
		}
		(*count)++;
		return;
	}
	}
}

static bool
section_known(const char *s)
{
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcmp(keys[i].section, s) == 0)
			return true;
	return false;
}

static void
derive_defaults(struct kdc_conf *c)
{
	if (c->database[0] == '\0')
		snprintf(c->database, sizeof(c->database), "%.200s/kdc.sqlite",
		         c->state_dir);
	if (c->lock_dir[0] == '\0')
		snprintf(c->lock_dir, sizeof(c->lock_dir), "%s",
		         c->runtime_dir);
	if (c->kek_file[0] == '\0')
		snprintf(c->kek_file, sizeof(c->kek_file), "%.200s/kek",
		         c->state_dir);
}

int
kdc_conf_parse(const char *name, const char *text, struct kdc_conf *c,
               char *err, size_t errlen)
{
	struct conf_err e = {err, errlen, 0, 0};
	bool seen[sizeof(keys) / sizeof(keys[0])] = {false};
	bool listen_reset[sizeof(keys) / sizeof(keys[0])] = {false};
	char section[32] = "";
	unsigned lineno = 0;
	const char *p = text;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	while (*p != '\0') {
		char buf[1024];
		const char *nl = strchr(p, '\n');
		size_t len = nl != NULL ? (size_t)(nl - p) : strlen(p);
		char *line, *eq;

		lineno++;
		if (len >= sizeof(buf)) {
			conf_error(&e, name, lineno, "line too long");
			p = nl != NULL ? nl + 1 : p + len;
			continue;
		}
		memcpy(buf, p, len);
		buf[len] = '\0';
		p = nl != NULL ? nl + 1 : p + len;
		line = trim(buf);
		if (*line == '\0' || *line == '#')
			continue;
		if (*line == '[') {
			char *close = strchr(line, ']');

			if (close == NULL || close[1] != '\0' ||
			    (size_t)(close - line - 1) >= sizeof(section)) {
				conf_error(&e, name, lineno,
				           "malformed section header");
				section[0] = '\0';
				continue;
			}
			*close = '\0';
			snprintf(section, sizeof(section), "%s", line + 1);
			if (!section_known(section)) {
				conf_error(&e, name, lineno,
				           "unknown section [%s]", section);
				section[0] = '\0';
			}
			continue;
		}
		eq = strchr(line, '=');
		if (eq == NULL) {
			conf_error(&e, name, lineno,
			           "expected 'key = value' or '[section]'");
			continue;
		}
		*eq = '\0';
		{
			char *key = trim(line);
			char *value = trim(eq + 1);
			size_t i;

			if (section[0] == '\0') {
				conf_error(&e, name, lineno,
				           "'%s' outside of a known section",
				           key);
				continue;
			}
			for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
				if (strcmp(keys[i].section, section) == 0 &&
				    strcmp(keys[i].name, key) == 0)
					break;
			if (i == sizeof(keys) / sizeof(keys[0])) {
				conf_error(&e, name, lineno,
				           "unknown key '%s' in [%s]", key,
				           section);
				continue;
			}
			if (keys[i].type == T_LISTEN && !listen_reset[i]) {
				/* The file's listen lines replace the
				 * built-in ones. */
				*(size_t *)((char *)c + keys[i].count_offset) =
				        0;
				listen_reset[i] = true;
			}
			set_value(&keys[i], value, c, &seen[i], name, lineno,
			          &e);
		}
	}
	derive_defaults(c);
	return e.count == 0 ? 0 : -1;
}

int
kdc_conf_load(const char *path, struct kdc_conf *c, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char *text;
	long size;
	int rc;

	if (f == NULL) {
		snprintf(err, errlen, "%s: cannot open: %s", path,
		         strerror(errno));
		return -1;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 ||
	    size > 1024L * 1024 || fseek(f, 0, SEEK_SET) != 0) {
		snprintf(err, errlen, "%s: unreadable or larger than 1 MiB",
		         path);
		fclose(f);
		return -1;
	}
	text = malloc((size_t)size + 1);
	if (text == NULL) {
		fclose(f);
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	if (fread(text, 1, (size_t)size, f) != (size_t)size) {
		snprintf(err, errlen, "%s: read error", path);
		free(text);
		fclose(f);
		return -1;
	}
	fclose(f);
	text[size] = '\0';
	if (memchr(text, '\0', (size_t)size) != NULL) {
		snprintf(err, errlen, "%s: contains a NUL byte", path);
		free(text);
		return -1;
	}
	rc = kdc_conf_parse(path, text, c, err, errlen);
	free(text);
	return rc;
}

void
kdc_conf_frontend_socket(const struct kdc_conf *c, char *out, size_t n)
{
	snprintf(out, n, "%s/frontend.sock", c->runtime_dir);
}

void
kdc_conf_admin_socket(const struct kdc_conf *c, char *out, size_t n)
{
	snprintf(out, n, "%s/admin.sock", c->runtime_dir);
}
