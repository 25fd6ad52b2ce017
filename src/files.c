/*
 * files.c - pacman -Qo and -F on the cache (src/pacman/query.c
 * query_fileowner, src/pacman/files.c files_search and files_list).
 *
 * What pacman decides from the file system (lstat, realpath, PATH) the
 * client decides, where the path is; here the path meets the lists.
 */
#include <ctype.h>
#include <limits.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "files.h"
#include "search.h"
#include "snap.h"

#define FILES_PAGE	100	/* packages in one answer, by default */
#define FILES_PATHS	65536	/* paths in one answer, past one package */

/* owns */

struct owners {
	struct buf	pkgs;
	size_t		n;
};

static int
owner(void *arg, const char *name, const char *version)
{
	struct owners	*o = arg;

	proto_enc_map(&o->pkgs, 2);
	proto_enc_str(&o->pkgs, "name");
	proto_enc_str(&o->pkgs, name);
	proto_enc_str(&o->pkgs, "version");
	proto_enc_str(&o->pkgs, version);
	o->n++;
	return 0;
}

/* libalpm's root: resolved, ending in '/'. */
static char *
real_root(const char *root)
{
	char	buf[PATH_MAX];
	size_t	n;

	if (realpath(root, buf) == NULL)
		return xstrdup(root);
	n = strlen(buf);
	return n > 0 && buf[n - 1] == '/' ? xstrdup(buf) :
	    xasprintf("%s/", buf);
}

void
files_owns(struct query *q, const struct proto_req *req, struct buf *out)
{
	struct owners	 o;
	struct buf	 all = { 0 };
	const char	*p;
	char		*root = real_root(q->conf->rootdir);
	size_t		 i, n, rootlen = strlen(root);
	int		 rc = 0;

	for (i = 0; i < req->npaths && rc == 0; i++) {
		memset(&o, 0, sizeof(o));
		p = req->paths[i].s;
		n = req->paths[i].n;
		/* Outside the root, nothing can own it. */
		if (n >= rootlen && memcmp(p, root, rootlen) == 0)
			rc = cache_owners(q->cache, p + rootlen, n - rootlen,
			    p[n - 1] == '/', owner, &o);
		proto_enc_array(&all, o.n);
		buf_add(&all, o.pkgs.data, o.pkgs.len);
		buf_free(&o.pkgs);
	}
	if (rc == -1)
		snap_unreadable(q, req->id, out);
	else {
		proto_enc_result(out, req->id);
		proto_enc_map(out, 1);
		proto_enc_str(out, "owners");
		proto_enc_array(out, req->npaths);
		buf_add(out, all.data, all.len);
	}
	buf_free(&all);
	free(root);
}

/* files */

/* The matches, a package at a time, as the page asks. */
struct page {
	struct query	*q;
	uint64_t	 skip;		/* packages yet to pass over */
	size_t		 limit;		/* packages to give */
	int64_t		 cur;		/* the package being gathered */
	struct strv	 paths;		/* its paths */
	struct buf	 pkgs;		/* CBOR of the packages given */
	size_t		 n, npaths;
	uint64_t	 seen;		/* packages met */
	int		 more;		/* a package past the page */
	int		 bad;
};

static void
page_flush(struct page *pg)
{
	struct cache_fpkg	 p;
	size_t			 i;

	if (pg->cur == 0)
		return;
	if (pg->skip > 0)
		pg->skip--;
	else if (cache_files_pkg(pg->q->cache, pg->cur, &p) != 1)
		pg->bad = 1;
	else {
		proto_enc_map(&pg->pkgs, 6);
		proto_enc_str(&pg->pkgs, "repo");
		proto_enc_str(&pg->pkgs, p.repo);
		proto_enc_str(&pg->pkgs, "name");
		proto_enc_str(&pg->pkgs, p.name);
		proto_enc_str(&pg->pkgs, "version");
		proto_enc_str(&pg->pkgs, p.version);
		proto_enc_str(&pg->pkgs, "groups");
		proto_enc_lines(&pg->pkgs, p.groups);
		proto_enc_str(&pg->pkgs, "installed");
		if (p.installed != NULL)
			proto_enc_str(&pg->pkgs, p.installed);
		else
			proto_enc_null(&pg->pkgs);
		proto_enc_str(&pg->pkgs, "paths");
		proto_enc_array(&pg->pkgs, pg->paths.n);
		for (i = 0; i < pg->paths.n; i++)
			proto_enc_path(&pg->pkgs, pg->paths.v[i],
			    strlen(pg->paths.v[i]));
		pg->n++;
		pg->npaths += pg->paths.n;
		cache_fpkg_free(&p);
	}
	strv_free(&pg->paths);
	pg->cur = 0;
}

static int
page_path(void *arg, int64_t pkg, const char *path, size_t len)
{
	struct page	*pg = arg;

	(void)len;
	if (pkg != pg->cur) {
		page_flush(pg);
		if (pg->bad)
			return -1;
		if (pg->skip == 0 && (pg->n == pg->limit ||
		    (pg->n > 0 && pg->npaths >= FILES_PATHS))) {
			pg->more = 1;
			return -1;
		}
		pg->cur = pkg;
		pg->seen++;
	}
	strv_add(&pg->paths, path);
	return 0;
}

/* The answer: a page of packages, where the next one starts, and the
   repos whose .files database the cache could not read. */
static void
page_answer(struct query *q, struct page *pg, uint64_t id, uint64_t offset,
    struct buf *out)
{
	struct cache_info	ci;

	proto_enc_result(out, id);
	proto_enc_map(out, 3);
	proto_enc_str(out, "packages");
	proto_enc_array(out, pg->n);
	buf_add(out, pg->pkgs.data, pg->pkgs.len);
	proto_enc_str(out, "next");
	if (pg->more)
		proto_enc_uint(out, offset + pg->n);
	else
		proto_enc_null(out);
	proto_enc_str(out, "missing");
	if (cache_info(q->cache, &ci) == 0) {
		proto_enc_problems(out, &ci.files_problems);
		cache_info_free(&ci);
	} else
		proto_enc_array(out, 0);
}

struct names {
	regex_t		 re;
	char		*need;		/* a run every match holds, lower case */
	int		 clocale;
	struct buf	 b;
	int64_t		*ids;
	size_t		 n, cap;
};

/*
 * Whether s[0..n) may match: it holds need, without regard to ASCII case.
 * Only said of ASCII text (or in the C locale): past ASCII, case folds
 * across it ("\u017f" is an 's'), and regexec decides.
 */
static int
may_match(const struct names *nm, const char *s, size_t n)
{
	static unsigned char	 lower[256];
	const unsigned char	*u = (const unsigned char *)s;
	const char		*need = nm->need;
	size_t			 i, j, m;

	if (need == NULL)
		return 1;
	if (lower['A'] == 0)
		for (i = 0; i < 256; i++)
			lower[i] = (unsigned char)(i < 0x80 ? tolower((int)i) :
			    (int)i);
	if (!nm->clocale)
		for (i = 0; i < n; i++)
			if (u[i] >= 0x80)
				return 1;
	m = strlen(need);
	for (i = 0; i + m <= n; i++) {
		if (lower[u[i]] != (unsigned char)need[0])
			continue;
		for (j = 1; j < m; j++)
			if (lower[u[i + j]] != (unsigned char)need[j])
				break;
		if (j == m)
			return 1;
	}
	return 0;
}

/* -Fx: a file name the regex matches (a directory has none). */
static int
name_match(void *arg, int64_t id, const char *s, size_t n)
{
	struct names	*nm = arg;

	if (n == 0 || s[n - 1] == '/' || memchr(s, '\0', n) != NULL ||
	    !may_match(nm, s, n))
		return 0;
	buf_reset(&nm->b);
	buf_add(&nm->b, s, n);
	if (regexec(&nm->re, buf_cstr(&nm->b), 0, NULL, 0) != 0)
		return 0;
	if (nm->n == nm->cap) {
		nm->cap = nm->cap ? nm->cap * 2 : 64;
		nm->ids = xreallocarray(nm->ids, nm->cap, sizeof(*nm->ids));
	}
	nm->ids[nm->n++] = id;
	return 0;
}

struct paths_re {
	struct names	*nm;
	struct page	*pg;
};

/* -Fx with a '/': a whole path the regex matches. */
static int
path_match(void *arg, int64_t pkg, const char *path, size_t len)
{
	struct paths_re	*pr = arg;

	if (!may_match(pr->nm, path, len) ||
	    regexec(&pr->nm->re, path, 0, NULL, 0) != 0)
		return 0;
	return page_path(pr->pg, pkg, path, len);
}

/* pacman -Fl's "repo/name": 0, or -1 with the error in out. */
static int
files_list(struct query *q, const struct proto_req *req, struct page *pg,
    struct buf *out)
{
	const char	*t = req->files.target.s, *slash;
	char		*repo = NULL, msg[PATH_MAX + 64];
	int64_t		 id;
	int		 rc;

	if ((slash = strchr(t, '/')) != NULL) {
		if (slash[1] == '\0') {
			snprintf(msg, sizeof(msg), "invalid package: '%s'", t);
			proto_enc_error(out, req->id, PROTO_E_PARAMS, msg);
			return -1;
		}
		repo = xstrndup(t, (size_t)(slash - t));
		t = slash + 1;
	}
	id = cache_files_find(q->cache, repo, t);
	free(repo);
	if (id == -1) {
		snap_unreadable(q, req->id, out);
		return -1;
	}
	if (id == 0) {
		snprintf(msg, sizeof(msg), "package '%s' was not found",
		    req->files.target.s);
		proto_enc_error(out, req->id, PROTO_E_NOTFOUND, msg);
		return -1;
	}
	rc = cache_files_each(q->cache, id, page_path, pg);
	if (rc == -1 && !pg->more && !pg->bad) {
		snap_unreadable(q, req->id, out);
		return -1;
	}
	return 0;
}

void
files_find(struct query *q, const struct proto_req *req, struct buf *out)
{
	const struct proto_files	*f = &req->files;
	struct page			 pg;
	struct names			 nm;
	struct paths_re			 pr;
	locale_t			 old;
	const char			*t = f->target.s;
	char				 msg[PATH_MAX + 64];
	int64_t				 id, ids[FILES_PAGE];
	size_t				 n = f->target.n, i, got, want;
	int				 rc = 0, exact, clocale;

	memset(&pg, 0, sizeof(pg));
	pg.q = q;
	pg.skip = req->offset;
	pg.limit = req->limit ? req->limit : FILES_PAGE;
	if (f->list && t == NULL) {
		/* pacman -Fl: every package, a page at a time. */
		pg.skip = 0;
		want = pg.limit > FILES_PAGE ? FILES_PAGE : pg.limit;
		if (cache_files_pkgs(q->cache, req->offset, want, ids,
		    &got) == -1)
			rc = -1;
		for (i = 0; i < got && rc == 0 && !pg.more; i++)
			rc = cache_files_each(q->cache, ids[i], page_path, &pg);
		if (rc == 0 && got == want)
			pg.more = 1;
		rc = rc == -1 && !pg.more && !pg.bad ? -1 : 0;
		page_flush(&pg);
	} else if (f->list) {
		if (files_list(q, req, &pg, out) == -1)
			goto done;
		page_flush(&pg);
	} else {
		exact = memchr(t, '/', n) != NULL;
		/* pacman strips the leading slashes of a path (not the
		   last one: "/" stays). */
		while (exact && n > 1 && *t == '/') {
			t++;
			n--;
		}
		old = (locale_t)0;
		if (f->regex) {
			old = uselocale(search_locale(q, req->locale, &clocale));
			memset(&nm, 0, sizeof(nm));
			if (regcomp(&nm.re, t, REG_EXTENDED | REG_NOSUB |
			    REG_ICASE | REG_NEWLINE) != 0) {
				uselocale(old);
				snprintf(msg, sizeof(msg), "invalid regular "
				    "expression '%s'", t);
				proto_enc_error(out, req->id, PROTO_E_PARAMS,
				    msg);
				goto done;
			}
			nm.need = search_required_run(t);
			nm.clocale = clocale;
			if (exact) {
				pr.nm = &nm;
				pr.pg = &pg;
				rc = cache_files_each(q->cache, 0, path_match,
				    &pr);
			} else if ((rc = cache_files_names(q->cache, name_match,
			    &nm)) == 0)
				rc = cache_files_named(q->cache, nm.ids, nm.n,
				    page_path, &pg);
			regfree(&nm.re);
			free(nm.need);
			buf_free(&nm.b);
			free(nm.ids);
			uselocale(old);
		} else if (exact)
			rc = cache_files_path(q->cache, t, n, page_path, &pg);
		else if ((id = cache_files_name_id(q->cache, t, n)) == -1)
			rc = -1;
		else if (id > 0)
			rc = cache_files_named(q->cache, &id, 1, page_path, &pg);
		/* -1 from page_path is a full page, not an error. */
		if (rc == -1 && (pg.more || pg.bad))
			rc = 0;
		page_flush(&pg);
	}
	if (rc == -1 || pg.bad)
		snap_unreadable(q, req->id, out);
	else
		page_answer(q, &pg, req->id, req->offset, out);
done:
	strv_free(&pg.paths);
	buf_free(&pg.pkgs);
}
