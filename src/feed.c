/*
 * feed.c - libalpm -> rows.  The only module that includes alpm.h, and it
 * calls libalpm through pointers filled by dlsym(3): linking libalpm would
 * cost every client exec about 7 ms of dynamic loading.
 *
 * pacman's semantics come from libalpm itself: required-by and optional-for
 * (pacman -Qi, -Qdt), the newer sync version (pacman -Qu) and whether a
 * package is ignored.  Nothing here keeps a libalpm pointer past
 * alpm_release: rows are copied out through the emit callback.
 */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <alpm.h>

#include "config.h"
#include "feed.h"

/* One pointer per libalpm function we call, typed from alpm.h. */
#define ALPM_FUNCS(X)							\
	X(alpm_initialize) X(alpm_release) X(alpm_strerror)		\
	X(alpm_get_localdb) X(alpm_get_syncdbs) X(alpm_register_syncdb)	\
	X(alpm_db_get_pkgcache) X(alpm_option_add_architecture)		\
	X(alpm_option_add_ignorepkg) X(alpm_option_add_ignoregroup)	\
	X(alpm_pkg_get_name) X(alpm_pkg_get_version) X(alpm_pkg_get_desc) \
	X(alpm_pkg_get_url) X(alpm_pkg_get_arch) X(alpm_pkg_get_packager) \
	X(alpm_pkg_get_builddate) X(alpm_pkg_get_installdate)		\
	X(alpm_pkg_get_isize) X(alpm_pkg_get_size) X(alpm_pkg_get_reason) \
	X(alpm_pkg_get_licenses) X(alpm_pkg_get_groups)			\
	X(alpm_pkg_get_depends) X(alpm_pkg_get_optdepends)		\
	X(alpm_pkg_get_provides) X(alpm_pkg_get_conflicts)		\
	X(alpm_pkg_get_replaces) X(alpm_pkg_get_validation)		\
	X(alpm_dep_compute_string) X(alpm_sync_get_new_version)	\
	X(alpm_pkg_should_ignore) X(alpm_list_free) X(alpm_list_count)	\
	X(alpm_pkg_vercmp) X(alpm_pkg_has_scriptlet) X(alpm_option_set_logcb) \
	X(alpm_db_unregister) X(alpm_db_set_usage) X(alpm_db_get_usage)	\
	X(alpm_pkg_get_db) X(alpm_pkg_get_files) X(alpm_option_set_dbext)

_Static_assert(CONF_USAGE_SEARCH == ALPM_DB_USAGE_SEARCH &&
    CONF_USAGE_UPGRADE == ALPM_DB_USAGE_UPGRADE &&
    CONF_USAGE_ALL == ALPM_DB_USAGE_ALL, "conf.h's usage bits are libalpm's");

ALPM_FUNCS(UTIL_DL_DECLARE)
static const char *const alpm_names[] = { ALPM_FUNCS(UTIL_DL_NAME) };
static void **const alpm_ptrs[] = { ALPM_FUNCS(UTIL_DL_PTR) };

static int
alpm_load(char *err, size_t errlen)
{
	static int	loaded;

	/* Never closed: libalpm's dependencies do not expect dlclose. */
	if (!loaded && util_dlopen(ALPM_SONAME, RTLD_NOW, alpm_names,
	    alpm_ptrs, NELEM(alpm_names), err, errlen) == 0)
		loaded = 1;
	return loaded ? 0 : -1;
}

static char *
join_strings(alpm_list_t *l)
{
	struct buf	 b = { 0 };
	char		*s;

	for (; l != NULL; l = l->next) {
		if (b.len > 0)
			buf_add(&b, "\n", 1);
		buf_addstr(&b, l->data);
	}
	s = xstrdup(buf_cstr(&b));
	buf_free(&b);
	return s;
}

static char *
join_deps(alpm_list_t *l)
{
	struct buf	 b = { 0 };
	char		*s;

	for (; l != NULL; l = l->next) {
		if ((s = p_alpm_dep_compute_string(l->data)) == NULL)
			continue;
		if (b.len > 0)
			buf_add(&b, "\n", 1);
		buf_addstr(&b, s);
		free(s);
	}
	s = xstrdup(buf_cstr(&b));
	buf_free(&b);
	return s;
}

/*
 * Reverse dependencies of the installed packages: what pacman -Qi says in
 * "Required By" and "Optional For".  libalpm's compute_requiredby scans
 * every installed package for each one (quadratic: 14 s for 8,000); this
 * is the same rule (lib/libalpm/package.c find_requiredby, deps.c
 * _alpm_depcmp) in one pass, through a table from each name a package
 * answers to (its own, its provides) to the packages.
 */
struct answer {
	const char		*name;
	uint32_t		 pkg;
	const alpm_depend_t	*prov;		/* NULL: the package's name */
	int32_t			 next;
};

struct rdeps {
	alpm_pkg_t	**pkg;
	size_t		  n;
	struct answer	 *a;
	size_t		  na, capa;
	int32_t		 *head;
	size_t		  mask;
	struct buf	 *req, *opt;	/* '\n'-joined names, per package */
	uint32_t	 *lastreq, *lastopt;
};


static uint64_t
name_hash(const char *s)
{
	return fnv1a(s, strlen(s), 14695981039346656037ULL);
}

static void
answer_add(struct rdeps *r, const char *name, uint32_t pkg,
    const alpm_depend_t *prov)
{
	size_t	h = name_hash(name) & r->mask;

	if (r->na == r->capa) {
		r->capa = r->capa ? r->capa * 2 : 1024;
		r->a = xreallocarray(r->a, r->capa, sizeof(*r->a));
	}
	r->a[r->na].name = name;
	r->a[r->na].pkg = pkg;
	r->a[r->na].prov = prov;
	r->a[r->na].next = r->head[h];
	r->head[h] = (int32_t)r->na++;
}

/* libalpm's dep_vercmp. */
static int
dep_vercmp(const char *v1, alpm_depmod_t mod, const char *v2)
{
	int	cmp;

	if (mod == ALPM_DEP_MOD_ANY)
		return 1;
	cmp = p_alpm_pkg_vercmp(v1, v2);
	switch (mod) {
	case ALPM_DEP_MOD_EQ:
		return cmp == 0;
	case ALPM_DEP_MOD_GE:
		return cmp >= 0;
	case ALPM_DEP_MOD_LE:
		return cmp <= 0;
	case ALPM_DEP_MOD_LT:
		return cmp < 0;
	case ALPM_DEP_MOD_GT:
		return cmp > 0;
	default:
		return 1;
	}
}

/* Does the answer satisfy dep, as _alpm_depcmp decides? */
static int
satisfies(const struct rdeps *r, const struct answer *a,
    const alpm_depend_t *dep)
{
	if (strcmp(a->name, dep->name) != 0)
		return 0;
	if (a->prov == NULL)
		return dep_vercmp(p_alpm_pkg_get_version(r->pkg[a->pkg]),
		    dep->mod, dep->version);
	if (dep->mod == ALPM_DEP_MOD_ANY)
		return 1;
	return a->prov->mod == ALPM_DEP_MOD_EQ &&
	    dep_vercmp(a->prov->version, dep->mod, dep->version);
}

/* Package q needs dep: it is in the list of each package that answers. */
static void
rdeps_need(struct rdeps *r, uint32_t q, const alpm_depend_t *dep,
    struct buf *list, uint32_t *last)
{
	int32_t		 i;
	uint32_t	 p;

	for (i = r->head[name_hash(dep->name) & r->mask]; i != -1;
	    i = r->a[i].next) {
		p = r->a[i].pkg;
		if (last[p] == q || !satisfies(r, &r->a[i], dep))
			continue;
		last[p] = q;
		if (list[p].len > 0)
			buf_add(&list[p], "\n", 1);
		buf_addstr(&list[p], p_alpm_pkg_get_name(r->pkg[q]));
	}
}

/* Is dep satisfied by an installed package (alpm_find_satisfier)? */
static int
rdeps_have(const struct rdeps *r, const alpm_depend_t *dep)
{
	int32_t	i;

	for (i = r->head[name_hash(dep->name) & r->mask]; i != -1;
	    i = r->a[i].next)
		if (satisfies(r, &r->a[i], dep))
			return 1;
	return 0;
}

/* pacman -Qi's " [installed]": '1' or '0' for each optional dependency. */
static char *
optdeps_installed(const struct rdeps *r, alpm_list_t *l)
{
	struct buf	 b = { 0 };
	char		*s;

	for (; l != NULL; l = l->next)
		buf_add(&b, rdeps_have(r, l->data) ? "1" : "0", 1);
	s = xstrdup(buf_cstr(&b));
	buf_free(&b);
	return s;
}

static void
rdeps_build(struct rdeps *r, alpm_list_t *pkgs)
{
	alpm_list_t	*l, *d;
	size_t		 i, nh;

	memset(r, 0, sizeof(*r));
	r->n = p_alpm_list_count(pkgs);
	r->pkg = xcalloc(r->n + 1, sizeof(*r->pkg));
	for (i = 0, l = pkgs; l != NULL; l = l->next, i++)
		r->pkg[i] = l->data;
	for (nh = 64; nh < r->n * 4; nh *= 2)
		;
	r->mask = nh - 1;
	r->head = xreallocarray(NULL, nh, sizeof(*r->head));
	memset(r->head, 0xff, nh * sizeof(*r->head));
	for (i = 0; i < r->n; i++) {
		answer_add(r, p_alpm_pkg_get_name(r->pkg[i]), (uint32_t)i,
		    NULL);
		for (d = p_alpm_pkg_get_provides(r->pkg[i]); d != NULL;
		    d = d->next)
			answer_add(r, ((alpm_depend_t *)d->data)->name,
			    (uint32_t)i, d->data);
	}
	r->req = xcalloc(r->n + 1, sizeof(*r->req));
	r->opt = xcalloc(r->n + 1, sizeof(*r->opt));
	r->lastreq = xreallocarray(NULL, r->n + 1, sizeof(*r->lastreq));
	r->lastopt = xreallocarray(NULL, r->n + 1, sizeof(*r->lastopt));
	memset(r->lastreq, 0xff, (r->n + 1) * sizeof(*r->lastreq));
	memset(r->lastopt, 0xff, (r->n + 1) * sizeof(*r->lastopt));
	/* In the package cache's order, as find_requiredby adds them. */
	for (i = 0; i < r->n; i++) {
		for (d = p_alpm_pkg_get_depends(r->pkg[i]); d != NULL;
		    d = d->next)
			rdeps_need(r, (uint32_t)i, d->data, r->req, r->lastreq);
		for (d = p_alpm_pkg_get_optdepends(r->pkg[i]); d != NULL;
		    d = d->next)
			rdeps_need(r, (uint32_t)i, d->data, r->opt, r->lastopt);
	}
}

static void
rdeps_free(struct rdeps *r)
{
	size_t	i;

	for (i = 0; i < r->n; i++) {
		buf_free(&r->req[i]);
		buf_free(&r->opt[i]);
	}
	free(r->req);
	free(r->opt);
	free(r->lastreq);
	free(r->lastopt);
	free(r->head);
	free(r->a);
	free(r->pkg);
}

/* How pacman -Si/-Qi words alpm_pkg_get_validation. */
static char *
validation(int v)
{
	struct buf	 b = { 0 };
	char		*s;

	if (v == 0)
		buf_addstr(&b, "Unknown");
	else if (v & ALPM_PKG_VALIDATION_NONE)
		buf_addstr(&b, "None");
	else {
		if (v & ALPM_PKG_VALIDATION_MD5SUM)
			buf_addstr(&b, "MD5 Sum");
		if (v & ALPM_PKG_VALIDATION_SHA256SUM)
			buf_addstr(&b, b.len ? "\nSHA-256 Sum" : "SHA-256 Sum");
		if (v & ALPM_PKG_VALIDATION_SIGNATURE)
			buf_addstr(&b, b.len ? "\nSignature" : "Signature");
	}
	s = xstrdup(buf_cstr(&b));
	buf_free(&b);
	return s;
}

static void
pkg_free_lists(struct feed_pkg *fp)
{
	free(fp->licenses);
	free(fp->groups);
	free(fp->depends);
	free(fp->optdepends);
	free(fp->provides);
	free(fp->conflicts);
	free(fp->replaces);
	free(fp->validation);
	free(fp->required_by);
	free(fp->optional_for);
	free(fp->optdeps_installed);
}

/* The names of a files list, as an array the emit callbacks can read. */
static const char **
file_names(alpm_pkg_t *pkg, size_t *n)
{
	alpm_filelist_t	 *fl = p_alpm_pkg_get_files(pkg);
	const char	**v;
	size_t		  i;

	*n = fl != NULL ? fl->count : 0;
	v = xcalloc(*n + 1, sizeof(*v));
	for (i = 0; i < *n; i++)
		v[i] = fl->files[i].name;
	return v;
}

static int
emit_pkg(alpm_handle_t *h, alpm_pkg_t *pkg, const char *repo, int ord,
    size_t nth, size_t count, struct rdeps *rd, feed_emit_fn emit, void *arg)
{
	struct feed_pkg	 fp;
	alpm_pkg_t	*newer;
	const char	*s;
	int		 rc, usage;

	memset(&fp, 0, sizeof(fp));
	fp.repo = repo;
	fp.repo_ord = ord;
	fp.db_nth = nth;
	fp.db_count = count;
	fp.name = p_alpm_pkg_get_name(pkg);
	fp.version = p_alpm_pkg_get_version(pkg);
	fp.desc = (s = p_alpm_pkg_get_desc(pkg)) ? s : "";
	fp.url = (s = p_alpm_pkg_get_url(pkg)) ? s : "";
	fp.arch = (s = p_alpm_pkg_get_arch(pkg)) ? s : "";
	fp.packager = (s = p_alpm_pkg_get_packager(pkg)) ? s : "";
	fp.builddate = p_alpm_pkg_get_builddate(pkg);
	fp.isize = p_alpm_pkg_get_isize(pkg);
	fp.reason = -1;
	fp.licenses = join_strings(p_alpm_pkg_get_licenses(pkg));
	fp.groups = join_strings(p_alpm_pkg_get_groups(pkg));
	fp.depends = join_deps(p_alpm_pkg_get_depends(pkg));
	fp.optdepends = join_deps(p_alpm_pkg_get_optdepends(pkg));
	fp.provides = join_deps(p_alpm_pkg_get_provides(pkg));
	fp.conflicts = join_deps(p_alpm_pkg_get_conflicts(pkg));
	fp.replaces = join_deps(p_alpm_pkg_get_replaces(pkg));
	fp.validation = validation(p_alpm_pkg_get_validation(pkg));
	if (ord == FEED_LOCAL_ORD) {
		fp.installdate = p_alpm_pkg_get_installdate(pkg);
		fp.reason = p_alpm_pkg_get_reason(pkg) == ALPM_PKG_REASON_DEPEND;
		fp.required_by = xstrdup(buf_cstr(&rd->req[nth]));
		fp.optional_for = xstrdup(buf_cstr(&rd->opt[nth]));
		fp.optdeps_installed = optdeps_installed(rd,
		    p_alpm_pkg_get_optdepends(pkg));
		fp.scriptlet = p_alpm_pkg_has_scriptlet(pkg) != 0;
		newer = p_alpm_sync_get_new_version(pkg,
		    p_alpm_get_syncdbs(h));
		fp.new_version = newer ? p_alpm_pkg_get_version(newer) : NULL;
		/* pacman -Qu's [ignored]: IgnorePkg/IgnoreGroup, or the
		   newer one's repo is not for upgrades (Usage). */
		usage = CONF_USAGE_ALL;
		if (newer != NULL)
			(void)p_alpm_db_get_usage(p_alpm_pkg_get_db(newer),
			    &usage);
		fp.ignored = p_alpm_pkg_should_ignore(h, pkg) != 0 ||
		    !(usage & ALPM_DB_USAGE_UPGRADE);
		fp.files = file_names(pkg, &fp.nfiles);
	} else
		fp.csize = p_alpm_pkg_get_size(pkg);
	rc = emit(arg, &fp);
	pkg_free_lists(&fp);
	free((void *)fp.files);
	return rc;
}

static int
emit_db(alpm_handle_t *h, alpm_db_t *db, const char *repo, int ord,
    feed_emit_fn emit, void *arg)
{
	alpm_list_t	*l, *pkgs = p_alpm_db_get_pkgcache(db);
	size_t		 i, n = p_alpm_list_count(pkgs);
	struct rdeps	 rd;
	int		 rc = 0;

	if (ord == FEED_LOCAL_ORD)
		rdeps_build(&rd, pkgs);
	for (i = 0, l = pkgs; l != NULL && rc == 0; l = l->next, i++)
		rc = emit_pkg(h, l->data, repo, ord, i, n,
		    ord == FEED_LOCAL_ORD ? &rd : NULL, emit, arg);
	if (ord == FEED_LOCAL_ORD)
		rdeps_free(&rd);
	return rc;
}

/* What libalpm says went wrong while a database loads. */
struct said {
	struct buf	msg;
};

static void
log_cb(void *ctx, alpm_loglevel_t level, const char *fmt, va_list ap)
{
	struct said	*s = ctx;
	char		 line[512];
	size_t		 n;

	if (level != ALPM_LOG_ERROR && level != ALPM_LOG_WARNING)
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	while (n > 0 && line[n - 1] == '\n')
		line[--n] = '\0';
	if (s->msg.len > 0)
		buf_addstr(&s->msg, "; ");
	buf_addstr(&s->msg, line);
}

/*
 * Load a sync database now, as pacman -Ss would: NULL when it cannot be
 * read, with the reason (pacman's words) added to problems.
 */
static alpm_db_t *
load_db(const struct conf *conf, alpm_db_t *db,
    const char *repo, struct said *said, struct strv *problems)
{
	struct stat	 st;
	char		*rel, *path;
	int		 missing;

	rel = xasprintf("sync/%s.db", repo);
	path = conf_dbfile(conf, rel);
	missing = stat(path, &st) == -1 && errno == ENOENT;
	free(rel);
	free(path);
	buf_reset(&said->msg);
	if (missing)
		buf_printf(&said->msg, "database file for '%s' does not exist "
		    "(use 'pacman -Sy' to download)", repo);
	else if (p_alpm_db_get_pkgcache(db) == NULL && said->msg.len == 0)
		/* NULL and silent: an empty database. */
		return db;
	if (said->msg.len == 0)
		return db;
	strv_add(problems, repo);
	strv_add(problems, buf_cstr(&said->msg));
	/* Not again for every installed package's -Qu lookup. */
	p_alpm_db_unregister(db);
	return NULL;
}

/*
 * A libalpm handle on conf's root and DBPath, its messages going to said,
 * in the user's LC_CTYPE as pacman (or libarchive cannot convert a path
 * that is not ASCII and the whole repository is lost): *ctype is the
 * locale to go back to, set even on failure.  NULL with err.
 */
static alpm_handle_t *
open_handle(const struct conf *conf, struct said *said, char **ctype,
    char *err, size_t errlen)
{
	alpm_handle_t	*h;
	alpm_errno_t	 e;

	*ctype = xstrdup(setlocale(LC_CTYPE, NULL));
	if (alpm_load(err, errlen) == -1)
		return NULL;
	setlocale(LC_CTYPE, "");
	if ((h = p_alpm_initialize(conf->rootdir, conf->dbpath, &e)) == NULL) {
		snprintf(err, errlen, "libalpm: cannot open %s: %s",
		    conf->dbpath, p_alpm_strerror(e));
		return NULL;
	}
	p_alpm_option_set_logcb(h, log_cb, said);
	return h;
}

int
feed_read(const struct conf *conf, feed_emit_fn emit, void *arg,
    struct strv *problems, char *err, size_t errlen)
{
	alpm_handle_t	*h;
	alpm_db_t	**dbs = NULL;
	struct said	 said = { { 0 } };
	char		*ctype;
	size_t		 i;
	int		 rc = -1;

	if ((h = open_handle(conf, &said, &ctype, err, errlen)) == NULL)
		goto out;
	for (i = 0; i < conf->arch.n; i++)
		p_alpm_option_add_architecture(h, conf->arch.v[i]);
	for (i = 0; i < conf->ignorepkg.n; i++)
		p_alpm_option_add_ignorepkg(h, conf->ignorepkg.v[i]);
	for (i = 0; i < conf->ignoregroup.n; i++)
		p_alpm_option_add_ignoregroup(h, conf->ignoregroup.v[i]);
	/* Register every repo first: -Qu looks across all of them.  A repo
	   named twice is registered once; pacman warns and goes on. */
	dbs = xcalloc(conf->repos.n + 1, sizeof(*dbs));
	for (i = 0; i < conf->repos.n; i++)
		if ((dbs[i] = p_alpm_register_syncdb(h, conf->repos.v[i],
		    0)) != NULL)
			p_alpm_db_set_usage(dbs[i], conf->usage[i]);
	/* Then load each: one that cannot be read is said, not served. */
	for (i = 0; i < conf->repos.n; i++)
		if (dbs[i] != NULL)
			dbs[i] = load_db(conf, dbs[i], conf->repos.v[i],
			    &said, problems);
	for (i = 0; i < conf->repos.n; i++)
		if (dbs[i] != NULL && emit_db(h, dbs[i], conf->repos.v[i],
		    (int)i, emit, arg) == -1) {
			snprintf(err, errlen, "cannot store packages");
			goto done;
		}
	buf_reset(&said.msg);
	if (emit_db(h, p_alpm_get_localdb(h), "local", FEED_LOCAL_ORD, emit,
	    arg) == -1) {
		snprintf(err, errlen, "cannot store packages");
		goto done;
	}
	if (said.msg.len > 0) {
		strv_add(problems, "local");
		strv_add(problems, buf_cstr(&said.msg));
	}
	rc = 0;
done:
	p_alpm_release(h);
out:
	setlocale(LC_CTYPE, ctype);
	free(ctype);
	free(dbs);
	buf_free(&said.msg);
	return rc;
}

/*
 * pacman -F's view: a handle whose sync databases are the .files ones
 * (alpm_option_set_dbext), each loaded, emitted and let go in turn, so
 * that only one repo's files lists are in memory at once.
 */
int
feed_read_files(const struct conf *conf, feed_files_fn emit, void *arg,
    struct strv *problems, char *err, size_t errlen)
{
	alpm_handle_t	*h;
	alpm_db_t	*db;
	alpm_list_t	*l;
	struct said	 said = { { 0 } };
	struct feed_files ff;
	struct stat	 st;
	char		*ctype, *rel, *path;
	size_t		 i, j, n;
	int		 rc = -1;

	if ((h = open_handle(conf, &said, &ctype, err, errlen)) == NULL)
		goto out;
	p_alpm_option_set_dbext(h, ".files");
	for (i = 0; i < conf->repos.n; i++) {
		/* A repo named twice: pacman reads it once. */
		for (j = 0; j < i; j++)
			if (strcmp(conf->repos.v[j], conf->repos.v[i]) == 0)
				break;
		if (j < i)
			continue;
		buf_reset(&said.msg);
		rel = xasprintf("sync/%s.files", conf->repos.v[i]);
		path = conf_dbfile(conf, rel);
		free(rel);
		if (stat(path, &st) == -1 && errno == ENOENT)
			buf_printf(&said.msg, "database file for '%s' does not "
			    "exist (use '-Fy' to download)", conf->repos.v[i]);
		free(path);
		db = NULL;
		if (said.msg.len == 0 && (db = p_alpm_register_syncdb(h,
		    conf->repos.v[i], 0)) != NULL)
			l = p_alpm_db_get_pkgcache(db);
		else
			l = NULL;
		if (said.msg.len > 0 || db == NULL) {
			if (said.msg.len == 0)
				buf_printf(&said.msg, "cannot register '%s'",
				    conf->repos.v[i]);
			strv_add(problems, conf->repos.v[i]);
			strv_add(problems, buf_cstr(&said.msg));
			if (db != NULL)
				p_alpm_db_unregister(db);
			continue;
		}
		n = p_alpm_list_count(l);
		for (j = 0; l != NULL; l = l->next, j++) {
			memset(&ff, 0, sizeof(ff));
			ff.repo = conf->repos.v[i];
			ff.repo_ord = (int)i;
			ff.db_nth = j;
			ff.db_count = n;
			ff.name = p_alpm_pkg_get_name(l->data);
			ff.version = p_alpm_pkg_get_version(l->data);
			ff.groups = join_strings(p_alpm_pkg_get_groups(l->data));
			ff.files = file_names(l->data, &ff.nfiles);
			rc = emit(arg, &ff);
			free(ff.groups);
			free((void *)ff.files);
			if (rc == -1) {
				snprintf(err, errlen, "cannot store files lists");
				goto done;
			}
		}
		rc = -1;
		/* Its lists are stored: free them before the next repo's. */
		p_alpm_db_unregister(db);
	}
	rc = 0;
done:
	p_alpm_release(h);
out:
	setlocale(LC_CTYPE, ctype);
	free(ctype);
	buf_free(&said.msg);
	return rc;
}

