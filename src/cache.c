/*
 * cache.c - the cache's SQLite file: opening (a damaged one set aside),
 * the schema, and the read API the queries use.  The rebuild that writes
 * it is rebuild.c's; both see SQLite through cache_db.h.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <dlfcn.h>

#include "cache.h"
#include "cache_db.h"

#ifndef SQLITE_SONAME
#define SQLITE_SONAME	"libsqlite3.so.0"
#endif

SQLITE_FUNCS(UTIL_DL_DEFINE)

static const char *const sqlite_names[] = { SQLITE_FUNCS(UTIL_DL_NAME) };
static void **const sqlite_ptrs[] = { SQLITE_FUNCS(UTIL_DL_PTR) };

static int
sqlite_load(char *err, size_t errlen)
{
	static int	loaded;

	/* Lazy: a one-shot client binds only the functions it calls. */
	if (!loaded && util_dlopen(SQLITE_SONAME, RTLD_LAZY, sqlite_names,
	    sqlite_ptrs, NELEM(sqlite_names), err, errlen) == 0)
		loaded = 1;
	return loaded ? 0 : -1;
}

static const char schema[] =
	"CREATE TABLE meta(key TEXT PRIMARY KEY, value) WITHOUT ROWID;"
	"CREATE TABLE pkg(id INTEGER PRIMARY KEY, ord INTEGER NOT NULL"
	PKG_COLS(DDL_T, DDL_L, DDL_L, DDL_I) ");"
	"CREATE INDEX pkg_name ON pkg(name, ord);"
	/* The installed rows without reading every sync row (-Q, -Qu). */
	"CREATE INDEX pkg_ord ON pkg(ord, id);"
	"CREATE TABLE image(id INTEGER PRIMARY KEY, data BLOB NOT NULL);"
	/* Files lists: each package of a .files database (ord >= 0) and
	   each installed one (ord -1), and its paths, each split at its
	   last '/' (a directory's own '/' aside) into a directory and a
	   name stored once.  Paths are bytes: BLOBs, compared as such. */
	"CREATE TABLE fpkg(id INTEGER PRIMARY KEY, ord INTEGER NOT NULL,"
	" repo TEXT NOT NULL, name TEXT NOT NULL, version TEXT NOT NULL,"
	" groups TEXT NOT NULL);"
	"CREATE INDEX fpkg_name ON fpkg(name, ord);"
	"CREATE TABLE fdir(id INTEGER PRIMARY KEY, name BLOB NOT NULL UNIQUE);"
	"CREATE TABLE fbase(id INTEGER PRIMARY KEY, name BLOB NOT NULL UNIQUE);"
	"CREATE TABLE file(pkg INTEGER NOT NULL, seq INTEGER NOT NULL,"
	" dir INTEGER NOT NULL, base INTEGER NOT NULL, PRIMARY KEY(pkg, seq))"
	" WITHOUT ROWID;"
	"CREATE INDEX file_base ON file(base, dir);"
	/* The advisories (the last good file; lists as NUL-ended strings)
	   and what they say of the installed packages (rebuild.c). */
	"CREATE TABLE avg(name TEXT NOT NULL, status TEXT NOT NULL,"
	" severity TEXT NOT NULL, type TEXT NOT NULL, fixed TEXT,"
	" packages BLOB NOT NULL, issues BLOB NOT NULL);"
	"CREATE TABLE audit(rank INTEGER NOT NULL, name TEXT NOT NULL,"
	" installed TEXT NOT NULL, severity TEXT NOT NULL, type TEXT NOT NULL,"
	" fixed TEXT, avgs BLOB NOT NULL, cves BLOB NOT NULL);";



/* mkdir -p for the directory that will hold path; mode 0700. */
static void
make_parent(const char *path)
{
	char	*dir, *p;

	dir = xstrdup(path);
	if ((p = strrchr(dir, '/')) != NULL && p != dir) {
		*p = '\0';
		for (p = dir + 1; *p != '\0'; p++) {
			if (*p != '/')
				continue;
			*p = '\0';
			(void)mkdir(dir, 0700);
			*p = '/';
		}
		(void)mkdir(dir, 0700);
	}
	free(dir);
}

static int
user_version(sqlite3 *db, int *v)
{
	sqlite3_stmt	*st;
	int		 rc;

	if ((rc = p_sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st,
	    NULL)) != SQLITE_OK)
		return rc;
	if ((rc = p_sqlite3_step(st)) == SQLITE_ROW) {
		*v = p_sqlite3_column_int(st, 0);
		rc = SQLITE_OK;
	}
	p_sqlite3_finalize(st);
	return rc;
}

/* Lay the schema down afresh: drop what an older layout left. */
static int
reset_schema(sqlite3 *db)
{
	char	sql[64];
	int	rc;

	rc = p_sqlite3_exec(db, "BEGIN IMMEDIATE; DROP TABLE IF EXISTS meta;"
	    "DROP TABLE IF EXISTS pkg; DROP TABLE IF EXISTS image;"
	    "DROP TABLE IF EXISTS fpkg; DROP TABLE IF EXISTS fdir;"
	    "DROP TABLE IF EXISTS fbase; DROP TABLE IF EXISTS file;"
	    "DROP TABLE IF EXISTS avg; DROP TABLE IF EXISTS audit;", NULL, NULL,
	    NULL);
	if (rc == SQLITE_OK)
		rc = p_sqlite3_exec(db, schema, NULL, NULL, NULL);
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", CACHE_SCHEMA);
	if (rc == SQLITE_OK)
		rc = p_sqlite3_exec(db, sql, NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = p_sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	else
		p_sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

static int
quick_check(sqlite3 *db)
{
	sqlite3_stmt	*st;
	int		 rc;

	if ((rc = p_sqlite3_prepare_v2(db, "PRAGMA quick_check", -1, &st,
	    NULL)) != SQLITE_OK)
		return rc;
	rc = p_sqlite3_step(st);
	if (rc == SQLITE_ROW)
		rc = strcmp((const char *)p_sqlite3_column_text(st, 0), "ok") == 0 ?
		    SQLITE_OK : SQLITE_CORRUPT;
	p_sqlite3_finalize(st);
	return rc;
}

#define CACHE_RDONLY	0x100	/* open_db: read only; report, never repair */
#define OTHER_SCHEMA	(-1)	/* open_db with CACHE_RDONLY: *v is not ours */

static int
open_db(const char *path, int flags, sqlite3 **out, int *v)
{
	sqlite3	*db = NULL;
	int	 rc, one = 1, fd;

	*v = -1;
	/* It lists what the user installed: 0600, like the socket (SQLite
	   gives its -wal and -shm the database's mode). */
	if (!(flags & CACHE_RDONLY)) {
		if ((fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC |
		    O_NOFOLLOW, 0600)) != -1)
			close(fd);
		else if (errno == EEXIST)
			(void)chmod(path, 0600);
	}
	if (flags & CACHE_RDONLY)
		rc = p_sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY |
		    SQLITE_OPEN_NOMUTEX, NULL);
	else
		rc = p_sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE |
		    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc == SQLITE_OK && !(flags & CACHE_RDONLY)) {
		/* Every embedded client opens and closes the cache: keep the
		   WAL file between them instead of creating and unlinking it
		   each time. */
		(void)p_sqlite3_file_control(db, "main", SQLITE_FCNTL_PERSIST_WAL,
		    &one);
		p_sqlite3_busy_timeout(db, 5000);
		rc = p_sqlite3_exec(db, "PRAGMA journal_mode=WAL;"
		    "PRAGMA synchronous=NORMAL", NULL, NULL, NULL);
	}
	if (rc == SQLITE_OK && (flags & CACHE_MMAP)) {
		/* The search image in one go, not page by page. */
		rc = p_sqlite3_exec(db, "PRAGMA mmap_size=1073741824", NULL,
		    NULL, NULL);
	}
	if (rc == SQLITE_OK && (flags & CACHE_CHECK))
		rc = quick_check(db);
	if (rc == SQLITE_OK)
		rc = user_version(db, v);
	if (rc == SQLITE_OK && *v != CACHE_SCHEMA)
		rc = (flags & CACHE_RDONLY) ? OTHER_SCHEMA : reset_schema(db);
	*out = db;
	return rc;
}

struct cache *
cache_open(const char *path, int flags, char *err, size_t errlen)
{
	struct cache	*c;
	struct stat	 st;
	sqlite3		*db;
	char		*aside, *damaged = NULL;
	int		 rc, v;

	if (sqlite_load(err, errlen) == -1)
		return NULL;
	make_parent(path);
	rc = open_db(path, flags, &db, &v);
	if (rc == SQLITE_NOTADB || rc == SQLITE_CORRUPT) {
		/* Keep the bad file for a post-mortem; start a new one. */
		p_sqlite3_close(db);
		aside = xasprintf("%s.corrupt", path);
		if (rename(path, aside) == -1) {
			snprintf(err, errlen, "cache: %s is damaged and cannot "
			    "be moved aside: %s", path, strerror(errno));
			free(aside);
			return NULL;
		}
		damaged = aside;
		/* The -wal and -shm files belonged to the damaged one. */
		aside = xasprintf("%s-wal", path);
		(void)unlink(aside);
		free(aside);
		aside = xasprintf("%s-shm", path);
		(void)unlink(aside);
		free(aside);
		rc = open_db(path, flags, &db, &v);
	}
	if (rc != SQLITE_OK) {
		db_seterr(err, errlen, db, path);
		p_sqlite3_close(db);
		free(damaged);
		return NULL;
	}
	c = xcalloc(1, sizeof(*c));
	c->db = db;
	c->path = xstrdup(path);
	c->damaged = damaged;
	if (stat(path, &st) == 0) {
		c->dev = st.st_dev;
		c->ino = st.st_ino;
	}
	return c;
}

struct cache *
cache_open_ro(const char *path, int *fixable, char *err, size_t errlen)
{
	struct cache	*c;
	sqlite3		*db;
	int		 rc, v;

	*fixable = 0;
	if (sqlite_load(err, errlen) == -1)
		return NULL;
	rc = open_db(path, CACHE_RDONLY | CACHE_CHECK, &db, &v);
	if (rc == SQLITE_OK) {
		c = xcalloc(1, sizeof(*c));
		c->db = db;
		c->path = xstrdup(path);
		return c;
	}
	if (rc == OTHER_SCHEMA) {
		*fixable = 1;
		snprintf(err, errlen, "cache %s has schema version %d, this omg "
		    "uses %d: the next query lays the new one down and "
		    "rebuilds it", path, v, CACHE_SCHEMA);
	} else if (rc == SQLITE_NOTADB || rc == SQLITE_CORRUPT) {
		*fixable = 1;
		snprintf(err, errlen, "cache %s is damaged (%s): the next query "
		    "moves it to %s.corrupt and rebuilds it", path,
		    db ? p_sqlite3_errmsg(db) : "corrupt", path);
	} else
		db_seterr(err, errlen, db, path);
	p_sqlite3_close(db);
	return NULL;
}

void
cache_close(struct cache *c)
{
	if (c == NULL)
		return;
	p_sqlite3_finalize(c->get);
	p_sqlite3_close(c->db);
	free(c->path);
	free(c->damaged);
	free(c);
}


const char *
cache_damaged(const struct cache *c)
{
	return c->damaged;
}

int
cache_replaced(const struct cache *c)
{
	struct stat	st;

	if (stat(c->path, &st) == -1)
		return 1;
	return st.st_dev != c->dev || st.st_ino != c->ino;
}

const char *
cache_path(const struct cache *c)
{
	return c->path;
}

int
cache_fresh(struct cache *c, const char *stamp)
{
	return db_meta_is(c, "stamp", stamp);
}

/* "repo\tmessage\n..." -> repo, message, ... */
static void
split_problems(struct strv *sv, const char *s)
{
	const char	*tab, *nl;
	char		*t;

	while (s != NULL && (tab = strchr(s, '\t')) != NULL &&
	    (nl = strchr(tab, '\n')) != NULL) {
		t = xstrndup(s, (size_t)(tab - s));
		strv_add(sv, t);
		free(t);
		t = xstrndup(tab + 1, (size_t)(nl - tab - 1));
		strv_add(sv, t);
		free(t);
		s = nl + 1;
	}
}

int
cache_info(struct cache *c, struct cache_info *ci)
{
	sqlite3_stmt	*st;
	const char	*k;
	int		 rc = -1;

	memset(ci, 0, sizeof(*ci));
	ci->adv_state = "missing";
	if (p_sqlite3_prepare_v2(c->db, "SELECT key, value FROM meta", -1, &st,
	    NULL) != SQLITE_OK)
		return -1;
	while (p_sqlite3_step(st) == SQLITE_ROW) {
		k = (const char *)p_sqlite3_column_text(st, 0);
		if (strcmp(k, "generation") == 0)
			ci->generation = (uint64_t)p_sqlite3_column_int64(st, 1);
		else if (strcmp(k, "built_at") == 0)
			ci->built_at = p_sqlite3_column_int64(st, 1);
		else if (strcmp(k, "build_ms") == 0)
			ci->build_ms = (uint64_t)p_sqlite3_column_int64(st, 1);
		else if (strcmp(k, "packages") == 0)
			ci->packages = (uint64_t)p_sqlite3_column_int64(st, 1);
		else if (strcmp(k, "problems") == 0)
			split_problems(&ci->problems,
			    (const char *)p_sqlite3_column_text(st, 1));
		else if (strcmp(k, "files_problems") == 0)
			split_problems(&ci->files_problems,
			    (const char *)p_sqlite3_column_text(st, 1));
		else if (strcmp(k, "adv_stamp") == 0) {
			free(ci->adv_stamp);
			ci->adv_stamp = xstrdup(db_col(st, 1));
		} else if (strcmp(k, "adv_state") == 0)
			ci->adv_state = strcmp(db_col(st, 1), "ok") == 0 ? "ok" :
			    strcmp(db_col(st, 1), "invalid") == 0 ? "invalid" :
			    "missing";
		else if (strcmp(k, "adv_error") == 0) {
			free(ci->adv_error);
			ci->adv_error = *db_col(st, 1) != '\0' ?
			    xstrdup(db_col(st, 1)) : NULL;
		} else if (strcmp(k, "adv_loaded_at") == 0)
			ci->adv_loaded_at = p_sqlite3_column_int64(st, 1);
		else if (strcmp(k, "adv_entries") == 0)
			ci->adv_entries = (uint64_t)p_sqlite3_column_int64(st, 1);
		else if (strcmp(k, "stamp") == 0) {
			free(ci->stamp);
			ci->stamp = xstrdup((const char *)
			    p_sqlite3_column_text(st, 1));
			rc = 0;
		}
	}
	p_sqlite3_finalize(st);
	return rc;
}

void
cache_info_free(struct cache_info *ci)
{
	free(ci->stamp);
	ci->stamp = NULL;
	strv_free(&ci->problems);
	strv_free(&ci->files_problems);
	free(ci->adv_stamp);
	ci->adv_stamp = NULL;
	free(ci->adv_error);
	ci->adv_error = NULL;
}

/* What rebuild.c shares (cache_db.h) */

void
db_strv(sqlite3_stmt *st, int i, struct strv *out)
{
	const char	*p;
	char		*s;
	size_t		 n, k, m;

	p = db_blob(st, i, &n);
	for (k = 0; k < n; k += m + 1) {
		m = strnlen(p + k, n - k);
		s = xstrndup(p + k, m);
		strv_add(out, s);
		free(s);
	}
}

void
db_bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s == NULL)
		p_sqlite3_bind_null(st, i);
	else
		p_sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
}

/*
 * Where a files-list path splits: its directory is p[0..k), its name
 * p[k..n), a directory's own trailing '/' staying with its name.
 */
size_t
db_path_split(const char *p, size_t n)
{
	size_t	k = n;

	if (k > 0 && p[k - 1] == '/')
		k--;
	while (k > 0 && p[k - 1] != '/')
		k--;
	return k;
}

void
db_bind_bytes(sqlite3_stmt *st, int i, const char *s, size_t n)
{
	/* Never NULL: an empty directory name is a zero-length BLOB. */
	p_sqlite3_bind_blob64(st, i, n > 0 ? s : "", n, SQLITE_STATIC);
}

const char *
db_col(sqlite3_stmt *st, int i)
{
	const char	*s = (const char *)p_sqlite3_column_text(st, i);

	return s != NULL ? s : "";
}

const char *
db_blob(sqlite3_stmt *st, int i, size_t *n)
{
	const char	*s = p_sqlite3_column_blob(st, i);

	*n = (size_t)p_sqlite3_column_bytes(st, i);
	return s != NULL ? s : "";
}

int
db_seterr(char *err, size_t errlen, sqlite3 *db, const char *what)
{
	snprintf(err, errlen, "cache: %s: %s", what,
	    db ? p_sqlite3_errmsg(db) : "out of memory");
	return -1;
}

char *
db_meta_get(struct cache *c, const char *key)
{
	sqlite3_stmt	*st;
	char		*v = NULL;

	if (p_sqlite3_prepare_v2(c->db, "SELECT value FROM meta WHERE key = ?",
	    -1, &st, NULL) != SQLITE_OK)
		return NULL;
	p_sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (p_sqlite3_step(st) == SQLITE_ROW &&
	    p_sqlite3_column_type(st, 0) != SQLITE_NULL)
		v = xstrdup((const char *)p_sqlite3_column_text(st, 0));
	p_sqlite3_finalize(st);
	return v;
}

int
db_meta_is(struct cache *c, const char *key, const char *value)
{
	char	*s = db_meta_get(c, key);
	int	 same = s != NULL && strcmp(s, value) == 0;

	free(s);
	return same;
}

/* Queries */

static int
get_blob(struct cache *c, int id, struct buf *out)
{
	sqlite3_blob	*b;
	int		 n, rc;

	/* Read straight into out: no copy of a blob of many MiB. */
	if (p_sqlite3_blob_open(c->db, "main", "image", "data", id, 0, &b) !=
	    SQLITE_OK)
		return -1;
	n = p_sqlite3_blob_bytes(b);
	buf_reset(out);
	buf_reserve(out, (size_t)n + 1);
	rc = p_sqlite3_blob_read(b, out->data, n, 0);
	p_sqlite3_blob_close(b);
	if (rc != SQLITE_OK)
		return -1;
	out->len = (size_t)n;
	return 0;
}

int
cache_image(struct cache *c, struct buf *image, struct buf *index)
{
	if (get_blob(c, IMAGE_BLOB, image) == -1)
		return -1;
	if (index != NULL && get_blob(c, INDEX_BLOB, index) == -1)
		buf_reset(index);	/* searches build their own */
	return 0;
}

int
cache_pkg(struct cache *c, const char *repo, const char *name, int nth,
    struct cache_pkg *p)
{
	sqlite3_stmt	*st;
	int		 rc, i = 1;

	memset(p, 0, sizeof(*p));
	if (c->get == NULL && p_sqlite3_prepare_v3(c->db,
	    "SELECT " COLS_PKG " FROM pkg WHERE name = ?1 AND"
	    " (CASE WHEN ?2 IS NULL THEN ord >= 0"
	    " WHEN ?2 = 'local' THEN ord = -1 ELSE repo = ?2 AND ord >= 0 END)"
	    " ORDER BY ord LIMIT 1 OFFSET ?3", -1, SQLITE_PREPARE_PERSISTENT,
	    &c->get,
	    NULL) != SQLITE_OK)
		return -1;
	st = c->get;
	p_sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	db_bind_text(st, 2, repo);
	p_sqlite3_bind_int(st, 3, nth);
	if ((rc = p_sqlite3_step(st)) == SQLITE_ROW) {
		p->local = p_sqlite3_column_int(st, 0) == DB_LOCAL_ORD;
#define READ_T(c)	p->c = xstrdup(db_col(st, i++));
#define READ_N(c)	p->c = p_sqlite3_column_type(st, i) == SQLITE_NULL ?	\
			    NULL : xstrdup(db_col(st, i)), i++;
#define READ_I(c)	p->c = p_sqlite3_column_int64(st, i++);
		PKG_COLS(READ_T, READ_T, READ_N, READ_I)
#undef READ_T
#undef READ_N
#undef READ_I
	}
	p_sqlite3_reset(st);
	p_sqlite3_clear_bindings(st);
	if (rc == SQLITE_ROW)
		return 1;
	return rc == SQLITE_DONE ? 0 : -1;
}

void
cache_pkg_free(struct cache_pkg *p)
{
#define FREE_T(c)	free(p->c);
#define FREE_I(c)
	PKG_COLS(FREE_T, FREE_T, FREE_T, FREE_I)
#undef FREE_T
#undef FREE_I
	memset(p, 0, sizeof(*p));
}

int
cache_counts(struct cache *c, struct cache_counts *n)
{
	sqlite3_stmt	*st;
	int		 rc;

	memset(n, 0, sizeof(*n));
	/* pacman -Qdt: a dependency nothing requires, optionally or not. */
	if (p_sqlite3_prepare_v2(c->db, "SELECT count(*),"
	    " coalesce(sum(reason = 0), 0),"
	    " coalesce(sum(reason = 1 AND required_by = ''"
	    " AND optional_for = ''), 0),"
	    " coalesce(sum(new_version IS NOT NULL AND ignored = 0), 0),"
	    " (SELECT count(*) FROM audit)"
	    " FROM pkg WHERE ord = -1", -1, &st, NULL) != SQLITE_OK)
		return -1;
	if ((rc = p_sqlite3_step(st)) == SQLITE_ROW) {
		n->total = (uint64_t)p_sqlite3_column_int64(st, 0);
		n->explicit = (uint64_t)p_sqlite3_column_int64(st, 1);
		n->orphans = (uint64_t)p_sqlite3_column_int64(st, 2);
		n->updates = (uint64_t)p_sqlite3_column_int64(st, 3);
		n->vulnerable = (uint64_t)p_sqlite3_column_int64(st, 4);
	}
	p_sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

int
cache_each_local(struct cache *c, const char *glob, cache_name_fn fn,
    void *arg)
{
	sqlite3_stmt	*st;
	int		 rc;

	if (p_sqlite3_prepare_v2(c->db, "SELECT name, version FROM pkg"
	    " WHERE ord = -1 AND name GLOB ? ORDER BY name", -1, &st,
	    NULL) != SQLITE_OK)
		return -1;
	p_sqlite3_bind_text(st, 1, glob, -1, SQLITE_STATIC);
	while ((rc = p_sqlite3_step(st)) == SQLITE_ROW)
		if (fn(arg, db_col(st, 0), db_col(st, 1)) == -1)
			break;
	p_sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

int
cache_each_installed(struct cache *c, int (*fn)(void *,
    const struct cache_installed *), void *arg)
{
	struct cache_installed	 p;
	sqlite3_stmt		*st;
	int			 rc;

	if (p_sqlite3_prepare_v2(c->db, "SELECT l.name, l.version,"
	    " l.new_version, l.reason, l.required_by != '',"
	    " l.optional_for != '', NOT EXISTS (SELECT 1 FROM pkg s"
	    " WHERE s.name = l.name AND s.ord >= 0), l.ignored"
	    " FROM pkg l WHERE l.ord = -1 ORDER BY l.id", -1, &st, NULL) !=
	    SQLITE_OK)
		return -1;
	while ((rc = p_sqlite3_step(st)) == SQLITE_ROW) {
		p.name = db_col(st, 0);
		p.version = db_col(st, 1);
		p.new_version = p_sqlite3_column_type(st, 2) == SQLITE_NULL ?
		    NULL : db_col(st, 2);
		p.reason = p_sqlite3_column_int(st, 3);
		p.required = p_sqlite3_column_int(st, 4);
		p.optional = p_sqlite3_column_int(st, 5);
		p.foreign = p_sqlite3_column_int(st, 6);
		p.ignored = p_sqlite3_column_int(st, 7);
		if (fn(arg, &p) == -1)
			break;
	}
	p_sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

int
cache_each_name(struct cache *c, cache_name_fn fn, void *arg)
{
	sqlite3_stmt	*st;
	int		 rc;

	if (p_sqlite3_prepare_v2(c->db, "SELECT DISTINCT name FROM pkg"
	    " ORDER BY name", -1, &st, NULL) != SQLITE_OK)
		return -1;
	while ((rc = p_sqlite3_step(st)) == SQLITE_ROW)
		if (fn(arg, db_col(st, 0), NULL) == -1)
			break;
	p_sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

int
cache_audit(struct cache *c, int (*fn)(void *, const struct cache_audit *),
    void *arg)
{
	sqlite3_stmt		*st;
	struct cache_audit	 a;
	int			 rc;

	if (p_sqlite3_prepare_v2(c->db, "SELECT name, installed, severity,"
	    " type, fixed, avgs, cves FROM audit ORDER BY rank DESC, name",
	    -1, &st, NULL) != SQLITE_OK)
		return -1;
	memset(&a, 0, sizeof(a));
	while ((rc = p_sqlite3_step(st)) == SQLITE_ROW) {
		a.name = db_col(st, 0);
		a.installed = db_col(st, 1);
		a.severity = db_col(st, 2);
		a.type = db_col(st, 3);
		a.fixed = (const char *)p_sqlite3_column_text(st, 4);
		db_strv(st, 5, &a.avgs);
		db_strv(st, 6, &a.cves);
		rc = fn(arg, &a);
		strv_free(&a.avgs);
		strv_free(&a.cves);
		if (rc == -1)
			break;
	}
	p_sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Files lists: pacman -Qo and -F */


int
cache_owners(struct cache *c, const char *path, size_t n, int all,
    cache_name_fn fn, void *arg)
{
	sqlite3_stmt	*st;
	size_t		 k = db_path_split(path, n);
	int		 rc;

	if (p_sqlite3_prepare_v2(c->db, "SELECT p.name, p.version"
	    " FROM fbase b JOIN file f ON f.base = b.id"
	    " JOIN fdir d ON d.id = f.dir JOIN fpkg p ON p.id = f.pkg"
	    " WHERE b.name = ?1 AND d.name = ?2 AND p.ord = -1 ORDER BY p.id",
	    -1, &st, NULL) != SQLITE_OK)
		return -1;
	db_bind_bytes(st, 1, path + k, n - k);
	db_bind_bytes(st, 2, path, k);
	while ((rc = p_sqlite3_step(st)) == SQLITE_ROW)
		if (fn(arg, db_col(st, 0), db_col(st, 1)) == -1 || !all)
			break;
	p_sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

/* One path of a .files package, for sorting into pacman's order. */
struct hit {
	int64_t		 pkg, seq;
	char		*path;
	size_t		 len;
};

struct hits {
	struct hit	*v;
	size_t		 n, cap;
};

static void
hits_add(struct hits *h, int64_t pkg, int64_t seq, const char *d, size_t dn,
    const char *b, size_t bn)
{
	struct hit	*x;

	if (h->n == h->cap) {
		h->cap = h->cap ? h->cap * 2 : 64;
		h->v = xreallocarray(h->v, h->cap, sizeof(*h->v));
	}
	x = &h->v[h->n++];
	x->pkg = pkg;
	x->seq = seq;
	x->len = dn + bn;
	x->path = xmalloc(x->len + 1);
	memcpy(x->path, d, dn);
	memcpy(x->path + dn, b, bn);
	x->path[x->len] = '\0';
}

static int
hit_cmp(const void *a, const void *b)
{
	const struct hit	*x = a, *y = b;

	if (x->pkg != y->pkg)
		return x->pkg < y->pkg ? -1 : 1;
	return (x->seq > y->seq) - (x->seq < y->seq);
}

static int
hits_emit(struct hits *h, cache_path_fn fn, void *arg)
{
	size_t	i;
	int	rc = 0;

	if (fn != NULL && h->n > 1)
		qsort(h->v, h->n, sizeof(*h->v), hit_cmp);
	for (i = 0; fn != NULL && i < h->n && rc == 0; i++)
		rc = fn(arg, h->v[i].pkg, h->v[i].path, h->v[i].len) == -1;
	for (i = 0; i < h->n; i++)
		free(h->v[i].path);
	free(h->v);
	memset(h, 0, sizeof(*h));
	return rc ? -1 : 0;
}

#define FILE_ROW							\
	"SELECT f.pkg, f.seq, d.name, b.name FROM file f"		\
	" JOIN fdir d ON d.id = f.dir JOIN fbase b ON b.id = f.base"	\
	" JOIN fpkg p ON p.id = f.pkg"

/* Rows of st (FILE_ROW) into h; the top level's names are not pacman's
   "file names" (pacman -F looks past the last '/'). */
static int
hits_read(sqlite3_stmt *st, struct hits *h, int named)
{
	const char	*d, *b;
	size_t		 dn, bn;
	int		 rc;

	while ((rc = p_sqlite3_step(st)) == SQLITE_ROW) {
		d = db_blob(st, 2, &dn);
		b = db_blob(st, 3, &bn);
		if (named && dn == 0)
			continue;
		hits_add(h, p_sqlite3_column_int64(st, 0),
		    p_sqlite3_column_int64(st, 1), d, dn, b, bn);
	}
	p_sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
cache_files_named(struct cache *c, const int64_t *ids, size_t n,
    cache_path_fn fn, void *arg)
{
	sqlite3_stmt	*st;
	struct hits	 h = { 0 };
	size_t		 i;
	int		 rc = 0;

	if (p_sqlite3_prepare_v2(c->db, FILE_ROW " WHERE f.base = ?1"
	    " AND p.ord >= 0", -1, &st, NULL) != SQLITE_OK)
		return -1;
	for (i = 0; i < n && rc == 0; i++) {
		p_sqlite3_bind_int64(st, 1, ids[i]);
		rc = hits_read(st, &h, 1);
	}
	p_sqlite3_finalize(st);
	if (rc == -1) {
		hits_emit(&h, NULL, NULL);
		return -1;
	}
	return hits_emit(&h, fn, arg);
}

int64_t
cache_files_name_id(struct cache *c, const char *name, size_t n)
{
	sqlite3_stmt	*st;
	int64_t		 id = 0;
	int		 rc;

	if (p_sqlite3_prepare_v2(c->db, "SELECT id FROM fbase WHERE name = ?1",
	    -1, &st, NULL) != SQLITE_OK)
		return -1;
	db_bind_bytes(st, 1, name, n);
	if ((rc = p_sqlite3_step(st)) == SQLITE_ROW)
		id = p_sqlite3_column_int64(st, 0);
	p_sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? id : -1;
}

int
cache_files_names(struct cache *c, int (*fn)(void *, int64_t, const char *,
    size_t), void *arg)
{
	sqlite3_stmt	*st;
	struct buf	 b = { 0 };
	const uint8_t	*p, *end;
	const char	*s;
	size_t		 n;
	int		 rc;

	/* The names blob ... */
	if (get_blob(c, NAMES_BLOB, &b) == 0) {
		p = b.data;
		end = p + b.len;
		rc = 0;
		while (rc == 0 && end - p >= 8) {
			n = be32_get(p + 4);
			if ((size_t)(end - p - 8) < n)
				break;
			rc = fn(arg, be32_get(p), (const char *)p + 8, n);
			p += 8 + n;
		}
		buf_free(&b);
		return 0;
	}
	if (p_sqlite3_prepare_v2(c->db, "SELECT id, name FROM fbase", -1, &st,
	    NULL) != SQLITE_OK)
		return -1;
	/* ... or, from a cache without it, every row. */
	while ((rc = p_sqlite3_step(st)) == SQLITE_ROW) {
		s = db_blob(st, 1, &n);
		if (fn(arg, p_sqlite3_column_int64(st, 0), s, n) == -1)
			break;
	}
	p_sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

int
cache_files_path(struct cache *c, const char *path, size_t n,
    cache_path_fn fn, void *arg)
{
	sqlite3_stmt	*st;
	struct hits	 h = { 0 };
	size_t		 k = db_path_split(path, n);
	int		 rc;

	if (p_sqlite3_prepare_v2(c->db, FILE_ROW " WHERE b.name = ?1"
	    " AND d.name = ?2 AND p.ord >= 0", -1, &st, NULL) != SQLITE_OK)
		return -1;
	db_bind_bytes(st, 1, path + k, n - k);
	db_bind_bytes(st, 2, path, k);
	rc = hits_read(st, &h, 0);
	p_sqlite3_finalize(st);
	if (rc == -1) {
		hits_emit(&h, NULL, NULL);
		return -1;
	}
	return hits_emit(&h, fn, arg);
}

int
cache_files_each(struct cache *c, int64_t pkg, cache_path_fn fn, void *arg)
{
	sqlite3_stmt	*st;
	struct buf	 b = { 0 };
	const char	*d, *s;
	size_t		 dn, sn;
	int		 rc;

	/* pkg 0: every sync package's paths, in pacman -F's order (two
	   statements: an OR of the two would scan every path). */
	if (p_sqlite3_prepare_v2(c->db, pkg == 0 ? FILE_ROW " WHERE"
	    " p.ord >= 0 ORDER BY f.pkg, f.seq" : FILE_ROW " WHERE f.pkg = ?1"
	    " ORDER BY f.seq", -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (pkg != 0)
		p_sqlite3_bind_int64(st, 1, pkg);
	while ((rc = p_sqlite3_step(st)) == SQLITE_ROW) {
		d = db_blob(st, 2, &dn);
		s = db_blob(st, 3, &sn);
		buf_reset(&b);
		buf_add(&b, d, dn);
		buf_add(&b, s, sn);
		buf_add(&b, "", 1);
		if (fn(arg, p_sqlite3_column_int64(st, 0), (char *)b.data,
		    dn + sn) == -1)
			break;
	}
	p_sqlite3_finalize(st);
	buf_free(&b);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

int64_t
cache_files_find(struct cache *c, const char *repo, const char *name)
{
	sqlite3_stmt	*st;
	int64_t		 id = 0;
	int		 rc;

	if (p_sqlite3_prepare_v2(c->db, "SELECT id FROM fpkg WHERE name = ?1"
	    " AND ord >= 0 AND (?2 IS NULL OR repo = ?2) ORDER BY ord, id"
	    " LIMIT 1", -1, &st, NULL) != SQLITE_OK)
		return -1;
	p_sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	db_bind_text(st, 2, repo);
	if ((rc = p_sqlite3_step(st)) == SQLITE_ROW)
		id = p_sqlite3_column_int64(st, 0);
	p_sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? id : -1;
}

int
cache_files_pkgs(struct cache *c, uint64_t offset, size_t limit,
    int64_t *ids, size_t *n)
{
	sqlite3_stmt	*st;
	int		 rc;

	*n = 0;
	if (p_sqlite3_prepare_v2(c->db, "SELECT id FROM fpkg WHERE ord >= 0"
	    " ORDER BY id LIMIT ?1 OFFSET ?2", -1, &st, NULL) != SQLITE_OK)
		return -1;
	p_sqlite3_bind_int64(st, 1, (int64_t)limit);
	p_sqlite3_bind_int64(st, 2, (int64_t)offset);
	while ((rc = p_sqlite3_step(st)) == SQLITE_ROW)
		ids[(*n)++] = p_sqlite3_column_int64(st, 0);
	p_sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
cache_files_pkg(struct cache *c, int64_t id, struct cache_fpkg *p)
{
	sqlite3_stmt	*st;
	int		 rc;

	memset(p, 0, sizeof(*p));
	if (p_sqlite3_prepare_v2(c->db, "SELECT f.repo, f.name, f.version,"
	    " f.groups, l.version FROM fpkg f LEFT JOIN pkg l"
	    " ON l.name = f.name AND l.ord = -1 WHERE f.id = ?1", -1, &st,
	    NULL) != SQLITE_OK)
		return -1;
	p_sqlite3_bind_int64(st, 1, id);
	if ((rc = p_sqlite3_step(st)) == SQLITE_ROW) {
		p->repo = xstrdup(db_col(st, 0));
		p->name = xstrdup(db_col(st, 1));
		p->version = xstrdup(db_col(st, 2));
		p->groups = xstrdup(db_col(st, 3));
		if (p_sqlite3_column_type(st, 4) != SQLITE_NULL)
			p->installed = xstrdup(db_col(st, 4));
	}
	p_sqlite3_finalize(st);
	if (rc == SQLITE_ROW)
		return 1;
	return rc == SQLITE_DONE ? 0 : -1;
}

void
cache_fpkg_free(struct cache_fpkg *p)
{
	free(p->repo);
	free(p->name);
	free(p->version);
	free(p->groups);
	free(p->installed);
	memset(p, 0, sizeof(*p));
}
