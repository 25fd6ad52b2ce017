/*
 * conf.c - a pacman.conf reader that follows pacman's own ini rules
 * (src/pacman/ini.c): lines are trimmed, a line starting with '#' is a
 * comment, "[name]" opens a section, "key = value" or a bare "key" is a
 * directive, and Include pulls in every file its glob matches, in the
 * section that was open.  What pacman refuses (src/pacman/conf.c: a bad
 * SigLevel, Usage, CleanMethod or ParallelDownloads value, a repository
 * directive without its value, a directive outside a section) is refused
 * here with pacman's message; what pacman only warns about is skipped.
 */
#include <ctype.h>
#include <errno.h>
#include <glob.h>
#include <stddef.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#include "conf.h"
#include "proto.h"

#define CONF_MAXDEPTH	10
#define CONF_LINEMAX	4096

struct parser {
	struct conf	*conf;
	char		*section;	/* NULL before the first section */
	char		*err;
	size_t		 errlen;
};

static int	parse_file(struct parser *, const char *, int);

static int __attribute__((format(printf, 4, 5)))
fail(struct parser *ps, const char *file, int lineno, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	n = snprintf(ps->err, ps->errlen, "config file %s, line %d: ", file,
	    lineno);
	if (n < 0 || (size_t)n >= ps->errlen)
		return -1;
	va_start(ap, fmt);
	vsnprintf(ps->err + n, ps->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

/* pacman's process_siglevel: each word, with an optional Package or
   Database prefix, one of five levels. */
static int
check_siglevel(struct parser *ps, const char *value, const char *file,
    int lineno)
{
	static const char	*levels[] = { "Never", "Optional", "Required",
				    "TrustedOnly", "TrustAll" };
	char			*copy, *p, *w, *l;
	size_t			 i;
	int			 rc = 0;

	copy = xstrdup(value);
	for (p = copy; rc == 0 && (w = strsep(&p, " ")) != NULL; ) {
		if (*w == '\0')
			continue;
		l = w;
		if (strncmp(l, "Package", 7) == 0)
			l += 7;
		else if (strncmp(l, "Database", 8) == 0)
			l += 8;
		for (i = 0; i < NELEM(levels); i++)
			if (strcmp(l, levels[i]) == 0)
				break;
		if (i == NELEM(levels))
			rc = fail(ps, file, lineno, "invalid value for '%s' : "
			    "'%s'", "SigLevel", w);
	}
	free(copy);
	return rc;
}

/* pacman's process_usage: the repository's usage bits, or -1. */
static int
parse_usage(struct parser *ps, const char *value, int *usage,
    const char *file, int lineno)
{
	static const struct { const char *name; int bit; } words[] = {
		{ "Sync", CONF_USAGE_SYNC }, { "Search", CONF_USAGE_SEARCH },
		{ "Install", CONF_USAGE_INSTALL },
		{ "Upgrade", CONF_USAGE_UPGRADE }, { "All", CONF_USAGE_ALL }
	};
	char	*copy, *p, *w;
	size_t	 i;
	int	 rc = 0;

	copy = xstrdup(value);
	for (p = copy; rc == 0 && (w = strsep(&p, " ")) != NULL; ) {
		if (*w == '\0')
			continue;
		for (i = 0; i < NELEM(words); i++)
			if (strcmp(w, words[i].name) == 0)
				break;
		if (i == NELEM(words))
			rc = fail(ps, file, lineno, "'%s' option '%s' not "
			    "recognized", "Usage", w);
		else
			*usage |= words[i].bit;
	}
	free(copy);
	return rc;
}

/* A repository section's directives: Server, SigLevel, Usage. */
static int
repo_directive(struct parser *ps, const char *key, const char *value,
    const char *file, int lineno)
{
	struct conf	*c = ps->conf;

	if (strcmp(key, "Server") != 0 && strcmp(key, "SigLevel") != 0 &&
	    strcmp(key, "Usage") != 0)
		return 0;	/* pacman warns, and goes on */
	if (value == NULL)
		return fail(ps, file, lineno, "directive '%s' needs a value",
		    key);
	if (strcmp(key, "SigLevel") == 0)
		return check_siglevel(ps, value, file, lineno);
	if (strcmp(key, "Usage") == 0)
		return parse_usage(ps, value, &c->usage[c->repos.n - 1], file,
		    lineno);
	return 0;
}

/* [options] values pacman checks; the rest it takes as they are. */
static int
check_option(struct parser *ps, const char *key, const char *value,
    const char *file, int lineno)
{
	char	*copy, *p, *w, *end;
	long	 n;
	int	 rc = 0;

	if (strcmp(key, "SigLevel") == 0 ||
	    strcmp(key, "LocalFileSigLevel") == 0 ||
	    strcmp(key, "RemoteFileSigLevel") == 0)
		return check_siglevel(ps, value, file, lineno);
	if (strcmp(key, "CleanMethod") == 0) {
		copy = xstrdup(value);
		for (p = copy; rc == 0 && (w = strsep(&p, " ")) != NULL; )
			if (*w != '\0' && strcmp(w, "KeepInstalled") != 0 &&
			    strcmp(w, "KeepCurrent") != 0)
				rc = fail(ps, file, lineno, "invalid value for "
				    "'%s' : '%s'", "CleanMethod", w);
		free(copy);
		return rc;
	}
	if (strcmp(key, "ParallelDownloads") == 0) {
		errno = 0;
		n = strtol(value, &end, 10);
		if (*value == '\0' || *end != '\0' || errno != 0 ||
		    n > INT_MAX || n < INT_MIN)
			return fail(ps, file, lineno, "invalid value for '%s' : "
			    "'%s'", key, value);
		if (n < 1)
			return fail(ps, file, lineno, "value for '%s' has to "
			    "be positive : '%s'", key, value);
	}
	return 0;
}

static char *
trim(char *s)
{
	char	*e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static void
add_words(struct strv *sv, const char *value)
{
	char	*copy, *p, *w;

	copy = xstrdup(value);
	for (p = copy; (w = strsep(&p, " \t")) != NULL; )
		if (*w != '\0')
			strv_add(sv, w);
	free(copy);
}

static int
do_include(struct parser *ps, const char *pattern, int depth, const char *file,
    int lineno)
{
	glob_t	 g;
	size_t	 i;
	char	*saved;
	int	 rc;

	if (depth >= CONF_MAXDEPTH) {
		snprintf(ps->err, ps->errlen, "config parsing exceeded max "
		    "recursion depth of %d (%s, line %d).", CONF_MAXDEPTH, file,
		    lineno);
		return -1;
	}
	rc = glob(pattern, GLOB_NOCHECK, NULL, &g);
	if (rc != 0) {
		snprintf(ps->err, ps->errlen, "%s:%d: cannot expand Include %s",
		    file, lineno, pattern);
		return -1;
	}
	/* An included file starts in our section and cannot change it. */
	saved = ps->section;
	rc = 0;
	for (i = 0; i < g.gl_pathc && rc == 0; i++) {
		ps->section = saved ? xstrdup(saved) : NULL;
		rc = parse_file(ps, g.gl_pathv[i], depth + 1);
		free(ps->section);
	}
	ps->section = saved;
	globfree(&g);
	return rc;
}

static int
directive(struct parser *ps, char *key, char *value, int depth,
    const char *file, int lineno)
{
	struct conf	*c = ps->conf;
	struct utsname	 un;

	if (strcmp(key, "Include") == 0) {
		if (value == NULL || *value == '\0')
			return fail(ps, file, lineno, "directive '%s' needs a "
			    "value", "Include");
		return do_include(ps, value, depth, file, lineno);
	}
	if (ps->section == NULL)
		return fail(ps, file, lineno, "All directives must belong to "
		    "a section.");
	if (strcmp(ps->section, "options") != 0)
		return repo_directive(ps, key, value, file, lineno);
	if (value == NULL)
		return 0;	/* UseSyslog, Color, ...: nothing of ours */
	if (check_option(ps, key, value, file, lineno) == -1)
		return -1;
	if (strcmp(key, "RootDir") == 0) {
		free(c->rootdir);
		c->rootdir = xstrdup(value);
	} else if (strcmp(key, "DBPath") == 0) {
		free(c->dbpath);
		c->dbpath = xstrdup(value);
	} else if (strcmp(key, "Architecture") == 0) {
		char	*copy, *p, *w;

		copy = xstrdup(value);
		for (p = copy; (w = strsep(&p, " \t")) != NULL; ) {
			if (*w == '\0')
				continue;
			if (strcmp(w, "auto") == 0 && uname(&un) == 0)
				strv_add(&c->arch, un.machine);
			else
				strv_add(&c->arch, w);
		}
		free(copy);
	} else if (strcmp(key, "IgnorePkg") == 0)
		add_words(&c->ignorepkg, value);
	else if (strcmp(key, "IgnoreGroup") == 0)
		add_words(&c->ignoregroup, value);
	return 0;
}

static int
parse_file(struct parser *ps, const char *file, int depth)
{
	struct stat	 st;
	FILE		*fp;
	char		 line[CONF_LINEMAX], *s, *value;
	size_t		 len;
	int		 lineno = 0, rc = 0, fd;

	/* Include = /dev/zero or a FIFO would hold the reader forever. */
	if ((fd = util_open_regular(file, &st)) == UTIL_NOT_REGULAR) {
		snprintf(ps->err, ps->errlen, "config file %s is not a regular "
		    "file", file);
		return -1;
	}
	if (fd == -1) {
		snprintf(ps->err, ps->errlen, "config file %s could not be "
		    "read: %s", file, strerror(errno));
		return -1;
	}
	if ((fp = fdopen(fd, "r")) == NULL) {
		snprintf(ps->err, ps->errlen, "config file %s could not be "
		    "read: %s", file, strerror(errno));
		close(fd);
		return -1;
	}
	while (rc == 0 && fgets(line, sizeof(line), fp) != NULL) {
		lineno++;
		s = trim(line);
		len = strlen(s);
		if (len == 0 || s[0] == '#')
			continue;
		if (s[0] == '[' && s[len - 1] == ']') {
			if (len <= 2) {
				snprintf(ps->err, ps->errlen,
				    "%s:%d: bad section name", file, lineno);
				rc = -1;
				break;
			}
			s[len - 1] = '\0';
			free(ps->section);
			ps->section = xstrdup(s + 1);
			/* Listed as often as it appears, as pacman-conf does;
			   its usage starts at none (All unless it says). */
			if (strcmp(ps->section, "options") != 0) {
				strv_add(&ps->conf->repos, ps->section);
				ps->conf->usage = xreallocarray(ps->conf->usage,
				    ps->conf->repos.n, sizeof(*ps->conf->usage));
				ps->conf->usage[ps->conf->repos.n - 1] = 0;
			}
			continue;
		}
		value = s;
		strsep(&value, "=");
		s = trim(s);
		if (value != NULL)
			value = trim(value);
		rc = directive(ps, s, value, depth, file, lineno);
	}
	if (rc == 0 && ferror(fp)) {
		snprintf(ps->err, ps->errlen, "cannot read %s", file);
		rc = -1;
	}
	fclose(fp);
	return rc;
}

struct conf *
conf_load(const char *path, char *err, size_t errlen)
{
	struct parser	 ps;
	struct conf	*c;
	size_t		 i;

	c = xcalloc(1, sizeof(*c));
	c->path = xstrdup(path);
	memset(&ps, 0, sizeof(ps));
	ps.conf = c;
	ps.err = err;
	ps.errlen = errlen;
	if (parse_file(&ps, path, 0) == -1) {
		free(ps.section);
		conf_free(c);
		return NULL;
	}
	free(ps.section);

	/*
	 * pacman's defaults (src/pacman/conf.c): DBPath lives under RootDir
	 * when only RootDir is set, joined literally as pacman-conf shows it.
	 */
	if (c->dbpath == NULL)
		c->dbpath = c->rootdir == NULL ? xstrdup("/var/lib/pacman/") :
		    xasprintf("%s/var/lib/pacman/", c->rootdir);
	if (c->rootdir == NULL)
		c->rootdir = xstrdup("/");
	for (i = 0; i < c->repos.n; i++)
		if (c->usage[i] == 0)
			c->usage[i] = CONF_USAGE_ALL;
	return c;
}

void
conf_free(struct conf *c)
{
	if (c == NULL)
		return;
	free(c->path);
	free(c->rootdir);
	free(c->dbpath);
	strv_free(&c->arch);
	strv_free(&c->ignorepkg);
	strv_free(&c->ignoregroup);
	strv_free(&c->repos);
	free(c->usage);
	free(c);
}

char *
conf_dbfile(const struct conf *c, const char *rel)
{
	size_t	n = strlen(c->dbpath);

	return xasprintf("%s%s%s", c->dbpath,
	    n > 0 && c->dbpath[n - 1] == '/' ? "" : "/", rel);
}

/* omg.conf */

#define S(f)	offsetof(struct settings, f)

static const struct {
	const char	*name;
	size_t		 off;
	double		 def, min, max;
	int		 integer;
} settings_table[] = {
	/* The protocol's own limits (proto.h) are the defaults. */
	{ "request_max", S(request_max), PROTO_REQ_MAX, 16, 16 << 20, 1 },
	{ "response_max", S(response_max), PROTO_RESP_MAX, 4096, 256 << 20,
	    1 },
	{ "batch_max", S(batch_max), PROTO_BATCH_MAX, 1, 4096, 1 },
	{ "cbor_depth", S(cbor_depth), PROTO_REQ_DEPTH, 2, 64, 1 },
	{ "cbor_items", S(cbor_items), PROTO_REQ_ITEMS, 16, 1 << 20, 1 },
	{ "cbor_string", S(cbor_string), PROTO_REQ_STRLEN, 64, 1 << 20, 1 },
	{ "connections_max", S(connections_max), 256, 1, 65536, 1 },
	{ "connections_fresh_max", S(connections_fresh_max), 64, 1, 65536, 1 },
	{ "first_frame_timeout", S(first_frame_timeout), 5, 0.1, 3600, 0 },
	{ "frame_gap_timeout", S(frame_gap_timeout), 10, 0.1, 3600, 0 },
	{ "idle_timeout", S(idle_timeout), 300, 0.1, 86400, 0 },
	{ "output_pause", S(output_pause), 1 << 20, 4096, 1 << 30, 1 },
	{ "output_max", S(output_max), 8 << 20, 4096, 1 << 30, 1 },
	{ "write_stall_timeout", S(write_stall_timeout), 30, 0.1, 3600, 0 },
	{ "rate", S(rate), 1000, 1, 1e9, 0 },
	{ "rate_burst", S(rate_burst), 2000, 1, 1e9, 0 },
	{ "search_cpu_max", S(search_cpu_max), 2, 0.05, 3600, 0 },
	{ "search_memory_max", S(search_memory_max), 1024.0 * 1024 * 1024,
	    64.0 * 1024 * 1024, 1024.0 * 1024 * 1024 * 1024, 1 },
	{ "search_loop_rows", S(search_loop_rows), 4096, 0, 1e9, 1 },
	{ "answer_threads", S(answer_threads), 64, 0, 1024, 1 },
	{ "answer_spin_us", S(answer_spin_us), 10, 0, 1000, 1 },
	{ "list_loop_bytes", S(list_loop_bytes), 64 << 10, 0, 256 << 20, 1 },
};

#undef S

void
settings_default(struct settings *s)
{
	size_t	i;

	for (i = 0; i < NELEM(settings_table); i++)
		*(double *)((char *)s + settings_table[i].off) =
		    settings_table[i].def;
}

int
settings_load(const char *path, int must_exist, struct settings *s,
    char *err, size_t errlen)
{
	FILE	*fp;
	char	 line[512], *k, *v, *end;
	double	 d;
	size_t	 i;
	int	 lineno = 0, rc = 0;

	if ((fp = fopen(path, "r")) == NULL) {
		if (errno == ENOENT && !must_exist)
			return 0;
		snprintf(err, errlen, "cannot read %s: %s", path,
		    strerror(errno));
		return -1;
	}
	while (rc == 0 && fgets(line, sizeof(line), fp) != NULL) {
		lineno++;
		k = trim(line);
		if (*k == '\0' || *k == '#')
			continue;
		v = k;
		strsep(&v, "=");
		k = trim(k);
		for (i = 0; i < NELEM(settings_table); i++)
			if (strcmp(k, settings_table[i].name) == 0)
				break;
		if (i == NELEM(settings_table)) {
			snprintf(err, errlen, "%s:%d: unknown setting '%s'",
			    path, lineno, k);
			rc = -1;
			break;
		}
		if (v == NULL) {
			snprintf(err, errlen, "%s:%d: %s needs '= value'", path,
			    lineno, k);
			rc = -1;
			break;
		}
		v = trim(v);
		errno = 0;
		d = strtod(v, &end);
		if (*v == '\0' || *end != '\0' || errno != 0 ||
		    d < settings_table[i].min || d > settings_table[i].max ||
		    (settings_table[i].integer && d != (double)(long long)d)) {
			snprintf(err, errlen, "%s:%d: %s must be %s from %g to "
			    "%g, not '%s'", path, lineno, k,
			    settings_table[i].integer ? "a whole number" :
			    "a number", settings_table[i].min,
			    settings_table[i].max, v);
			rc = -1;
			break;
		}
		*(double *)((char *)s + settings_table[i].off) = d;
	}
	fclose(fp);
	return rc;
}
