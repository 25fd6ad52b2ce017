/*
 * cache.c - SQLite schema, statements and the rebuild transaction.
 */
#include <sys/file.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <dlfcn.h>
#include <sqlite3.h>

#include "cache.h"
#include "feed.h"
#include "stamp.h"
#include "image.h"
#include "intern.h"
#include "trigram.h"

/*
 * The package columns after ord, in order, each the field of the same
 * name in feed_pkg (written) and cache_pkg (read): T text, never NULL;
 * L a '\n'-joined list; N text or NULL; I an integer.  The schema, the
 * insert, the select and cache_pkg_free are all made from this list.
 */
#define PKG_COLS(T, L, N, I)						\
	T(repo) T(name) T(version) T(desc) T(url) T(arch) T(packager)	\
	I(builddate) I(installdate) I(isize) I(csize) I(reason)	\
	L(licenses) L(groups) L(depends) L(optdepends) L(provides)	\
	L(conflicts) L(replaces) L(validation) L(required_by)		\
	L(optional_for) N(new_version) I(ignored) L(optdeps_installed)	\
	I(scriptlet)

#define COL_NAME(c)	", " #c
#define COLS_PKG	"ord" PKG_COLS(COL_NAME, COL_NAME, COL_NAME, COL_NAME)
#define DDL_T(c)	", " #c " TEXT NOT NULL"
#define DDL_L(c)	", " #c " TEXT"
#define DDL_I(c)	", " #c " INTEGER"

#ifndef SQLITE_SONAME
#define SQLITE_SONAME	"libsqlite3.so.0"
#endif

/*
 * libsqlite3 is loaded with dlopen(3) when a cache is first opened: a
 * client whose daemon answers never maps it (nor its relocations).  One
 * pointer per function, typed from sqlite3.h.
 */
#define SQLITE_FUNCS(X)							\
	X(sqlite3_open_v2) X(sqlite3_close) X(sqlite3_exec)		\
	X(sqlite3_prepare_v2) X(sqlite3_prepare_v3) X(sqlite3_step)	\
	X(sqlite3_reset) X(sqlite3_finalize) X(sqlite3_bind_text)	\
	X(sqlite3_bind_int) X(sqlite3_bind_int64) X(sqlite3_bind_null)	\
	X(sqlite3_bind_blob64) X(sqlite3_column_text)			\
	X(sqlite3_column_int) X(sqlite3_column_int64)			\
	X(sqlite3_column_type) X(sqlite3_errmsg)				\
	X(sqlite3_clear_bindings) X(sqlite3_busy_timeout)		\
	X(sqlite3_blob_open) X(sqlite3_blob_bytes) X(sqlite3_blob_read)	\
	X(sqlite3_blob_close) X(sqlite3_file_control)			\
	X(sqlite3_column_blob) X(sqlite3_column_bytes)			\
	X(sqlite3_last_insert_rowid)

SQLITE_FUNCS(UTIL_DL_DECLARE)
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
	"CREATE INDEX file_base ON file(base, dir);";

struct cache {
	sqlite3		*db;
	char		*path;
	dev_t		 dev;		/* the file opened, to notice when */
	ino_t		 ino;		/* another is put at path */
	char		*damaged;	/* where a damaged file was moved */
	sqlite3_stmt	*get;
};

static int
seterr(char *err, size_t errlen, sqlite3 *db, const char *what)
{
	snprintf(err, errlen, "cache: %s: %s", what,
	    db ? p_sqlite3_errmsg(db) : "out of memory");
	return -1;
}

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
	    "DROP TABLE IF EXISTS fbase; DROP TABLE IF EXISTS file;", NULL, NULL,
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
		seterr(err, errlen, db, path);
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
		seterr(err, errlen, db, path);
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

static char *
meta_get(struct cache *c, const char *key)
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
	char	*s;
	int	 fresh;

	s = meta_get(c, "stamp");
	fresh = s != NULL && strcmp(s, stamp) == 0;
	free(s);
	return fresh;
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
}

/* Rebuild */

#define PROGRESS_EVERY	50000	/* microseconds between progress reports */

static const char	*blob(sqlite3_stmt *, int, size_t *);

/* The files lists' writer: packages, paths, and names stored once. */
struct fwriter {
	sqlite3		*db;
	sqlite3_stmt	*pkg, *file, *dir, *base, *find_dir, *find_base;
	struct intern	*dirs, *bases;	/* a whole new index: ids from 1;
					   NULL: add to the one there */
};

struct writer {
	sqlite3_stmt			*ins;
	uint64_t			 rows;
	const struct cache_progress	*progress;
	uint64_t			 told;	/* when progress was last told */
	struct fwriter			*fw;
};

static void
tell(struct writer *w, const char *stage, const char *repo, uint64_t done,
    uint64_t total)
{
	char	name[128];

	if (w->progress == NULL || w->progress->fn == NULL)
		return;
	snprintf(name, sizeof(name), "%s%s", stage, repo);
	w->progress->fn(w->progress->arg, name, done, total);
	w->told = now_usec();
}

static void
bind_text(sqlite3_stmt *st, int i, const char *s)
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
static size_t
path_split(const char *p, size_t n)
{
	size_t	k = n;

	if (k > 0 && p[k - 1] == '/')
		k--;
	while (k > 0 && p[k - 1] != '/')
		k--;
	return k;
}

static void
bind_bytes(sqlite3_stmt *st, int i, const char *s, size_t n)
{
	/* Never NULL: an empty directory name is a zero-length BLOB. */
	p_sqlite3_bind_blob64(st, i, n > 0 ? s : "", n, SQLITE_STATIC);
}

static int
step_done(sqlite3_stmt *st)
{
	int	rc = p_sqlite3_step(st);

	p_sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* The id of directory (or file) name s[0..n), stored if new; 0 on error. */
static int64_t
name_id(struct fwriter *w, int dir, const char *s, size_t n)
{
	struct intern	*map = dir ? w->dirs : w->bases;
	sqlite3_stmt	*find = dir ? w->find_dir : w->find_base;
	sqlite3_stmt	*ins = dir ? w->dir : w->base;
	int64_t		 id = 0;
	int		 fresh;

	if (map != NULL) {
		id = intern_id(map, s, n, &fresh);
		if (!fresh)
			return id;
		p_sqlite3_bind_int64(ins, 1, id);
	} else {
		bind_bytes(find, 1, s, n);
		if (p_sqlite3_step(find) == SQLITE_ROW)
			id = p_sqlite3_column_int64(find, 0);
		p_sqlite3_reset(find);
		if (id != 0)
			return id;
		p_sqlite3_bind_null(ins, 1);
	}
	bind_bytes(ins, 2, s, n);
	if (step_done(ins) == -1)
		return 0;
	return map != NULL ? id : p_sqlite3_last_insert_rowid(w->db);
}

static int
files_put(struct fwriter *w, int ord, const char *repo, const char *name,
    const char *version, const char *groups, const char *const *files,
    size_t n)
{
	sqlite3_stmt	*st = w->pkg;
	int64_t		 pkg, dir = 0, base;
	size_t		 i, k, len, lastk = 0;
	const char	*last = NULL;

	p_sqlite3_bind_int(st, 1, ord);
	bind_text(st, 2, repo);
	bind_text(st, 3, name);
	bind_text(st, 4, version);
	bind_text(st, 5, groups);
	if (step_done(st) == -1)
		return -1;
	pkg = p_sqlite3_last_insert_rowid(w->db);
	for (i = 0; i < n; i++) {
		len = strlen(files[i]);
		k = path_split(files[i], len);
		/* A package's paths come sorted: its directory is often
		   the one before. */
		if (last == NULL || k != lastk || memcmp(last, files[i], k) != 0)
			dir = name_id(w, 1, files[i], k);
		last = files[i];
		lastk = k;
		base = name_id(w, 0, files[i] + k, len - k);
		if (dir == 0 || base == 0)
			return -1;
		st = w->file;
		p_sqlite3_bind_int64(st, 1, pkg);
		p_sqlite3_bind_int64(st, 2, (int64_t)i);
		p_sqlite3_bind_int64(st, 3, dir);
		p_sqlite3_bind_int64(st, 4, base);
		if (step_done(st) == -1)
			return -1;
	}
	return 0;
}

static int
fwriter_open(struct fwriter *w, sqlite3 *db)
{
	memset(w, 0, sizeof(*w));
	w->db = db;
	if (p_sqlite3_prepare_v2(db, "INSERT INTO fpkg(ord, repo, name,"
	    " version, groups) VALUES (?1, ?2, ?3, ?4, ?5)", -1, &w->pkg,
	    NULL) != SQLITE_OK ||
	    p_sqlite3_prepare_v2(db, "INSERT INTO file VALUES (?1, ?2, ?3, ?4)",
	    -1, &w->file, NULL) != SQLITE_OK ||
	    p_sqlite3_prepare_v2(db, "INSERT INTO fdir VALUES (?1, ?2)", -1,
	    &w->dir, NULL) != SQLITE_OK ||
	    p_sqlite3_prepare_v2(db, "INSERT INTO fbase VALUES (?1, ?2)", -1,
	    &w->base, NULL) != SQLITE_OK ||
	    p_sqlite3_prepare_v2(db, "SELECT id FROM fdir WHERE name = ?1", -1,
	    &w->find_dir, NULL) != SQLITE_OK ||
	    p_sqlite3_prepare_v2(db, "SELECT id FROM fbase WHERE name = ?1", -1,
	    &w->find_base, NULL) != SQLITE_OK)
		return -1;
	return 0;
}

static void
fwriter_close(struct fwriter *w)
{
	p_sqlite3_finalize(w->pkg);
	p_sqlite3_finalize(w->file);
	p_sqlite3_finalize(w->dir);
	p_sqlite3_finalize(w->base);
	p_sqlite3_finalize(w->find_dir);
	p_sqlite3_finalize(w->find_base);
	intern_free(w->dirs);
	intern_free(w->bases);
	memset(w, 0, sizeof(*w));
}

static int
insert_files(void *arg, const struct feed_files *f)
{
	struct writer	*w = arg;

	if (f->db_nth == 0)
		tell(w, "files ", f->repo, 0, f->db_count);
	if (files_put(w->fw, f->repo_ord, f->repo, f->name, f->version,
	    f->groups, f->files, f->nfiles) == -1)
		return -1;
	if (f->db_nth + 1 == f->db_count || (w->progress != NULL &&
	    now_usec() - w->told >= PROGRESS_EVERY))
		tell(w, "files ", f->repo, f->db_nth + 1, f->db_count);
	return 0;
}

static int
insert_pkg(void *arg, const struct feed_pkg *p)
{
	struct writer	*w = arg;
	sqlite3_stmt	*st = w->ins;
	int		 rc, i = 1;

	if (p->db_nth == 0)
		tell(w, "read ", p->repo, 0, p->db_count);
	p_sqlite3_bind_int(st, i++, p->repo_ord);
#define BIND_T(c)	bind_text(st, i++, p->c);
#define BIND_I(c)	p_sqlite3_bind_int64(st, i++, (int64_t)p->c);
	PKG_COLS(BIND_T, BIND_T, BIND_T, BIND_I)
#undef BIND_T
#undef BIND_I
	rc = p_sqlite3_step(st);
	p_sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return -1;
	if (p->repo_ord == FEED_LOCAL_ORD && files_put(w->fw, FEED_LOCAL_ORD,
	    "local", p->name, p->version, p->groups, p->files,
	    p->nfiles) == -1)
		return -1;
	w->rows++;
	if (p->db_nth + 1 == p->db_count || (w->progress != NULL &&
	    now_usec() - w->told >= PROGRESS_EVERY))
		tell(w, "read ", p->repo, p->db_nth + 1, p->db_count);
	return 0;
}

static int
meta_set(sqlite3 *db, const char *key, const char *text, int64_t num)
{
	sqlite3_stmt	*st;
	int		 rc;

	if (p_sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO meta VALUES (?, ?)",
	    -1, &st, NULL) != SQLITE_OK)
		return -1;
	p_sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (text != NULL)
		p_sqlite3_bind_text(st, 2, text, -1, SQLITE_STATIC);
	else
		p_sqlite3_bind_int64(st, 2, num);
	rc = p_sqlite3_step(st);
	p_sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

static const char *
col(sqlite3_stmt *st, int i)
{
	const char	*s = (const char *)p_sqlite3_column_text(st, i);

	return s != NULL ? s : "";
}

/* Every sync row, in pacman's order, with its installed version. */
static int
scan_image(struct cache *c, struct buf *b)
{
	sqlite3_stmt	*st;
	int		 rc;

	if (p_sqlite3_prepare_v2(c->db,
	    "SELECT p.ord, p.repo, p.name, p.version, p.desc, p.provides,"
	    " p.groups, l.version FROM pkg p LEFT JOIN pkg l"
	    " ON l.name = p.name AND l.ord = -1"
	    " WHERE p.ord >= 0 ORDER BY p.id", -1, &st, NULL) != SQLITE_OK)
		return -1;
	while ((rc = p_sqlite3_step(st)) == SQLITE_ROW)
		image_add(b, p_sqlite3_column_int(st, 0), col(st, 1), col(st, 2),
		    col(st, 3), col(st, 4), col(st, 5), col(st, 6),
		    (const char *)p_sqlite3_column_text(st, 7));
	p_sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int
put_blob(struct cache *c, int id, const struct buf *b)
{
	sqlite3_stmt	*st;
	int		 rc;

	if (p_sqlite3_prepare_v2(c->db, "INSERT INTO image VALUES (?, ?)", -1,
	    &st, NULL) != SQLITE_OK)
		return -1;
	p_sqlite3_bind_int(st, 1, id);
	bind_bytes(st, 2, (const char *)b->data, b->len);
	rc = p_sqlite3_step(st);
	p_sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/*
 * The sync rows just written, as one search image (image.h, row 1), and
 * the daemon's trigram index over it (trigram.h, row 2): built here, in
 * the rebuilder, not in the daemon's loop.
 */
static int
write_image(struct cache *c)
{
	struct buf		 b = { 0 }, t = { 0 };
	struct image_row	*v = NULL;
	struct trigram		*ix;
	size_t			 n;
	int			 rc = -1;

	image_begin(&b);
	if (scan_image(c, &b) == -1 || put_blob(c, 1, &b) == -1 ||
	    (v = image_rows((const char *)b.data, b.len, &n)) == NULL)
		goto done;
	ix = image_index(v, n);
	trigram_save(ix, &t);
	trigram_free(ix);
	rc = put_blob(c, 2, &t);
done:
	free(v);
	buf_free(&b);
	buf_free(&t);
	return rc;
}

/* Pairs repo, message as meta text ("repo\tmessage\n...": split_problems
   reads it back); tabs and newlines are the separators, not in a message. */
static void
problems_text(struct buf *b, struct strv *sv)
{
	char	*p;
	size_t	 i;

	for (i = 0; i + 1 < sv->n; i += 2) {
		for (p = sv->v[i + 1]; *p != '\0'; p++)
			if (*p == '\t' || *p == '\n')
				*p = ' ';
		buf_printf(b, "%s\t%s\n", sv->v[i], sv->v[i + 1]);
	}
}

/*
 * Every file name of the files lists in one blob (image row 3): a 4-byte
 * id, a 4-byte length and the bytes, one after another, so that a regex
 * over names (pacman -Fx) reads one blob instead of stepping through a
 * million rows.
 */
#define NAMES_BLOB	3

static int
write_names(struct cache *c)
{
	sqlite3_stmt	*st;
	struct buf	 b = { 0 };
	const char	*s;
	uint8_t		 h[8];
	size_t		 n;
	int		 rc;

	if (p_sqlite3_exec(c->db, "DELETE FROM image WHERE id = 3", NULL, NULL,
	    NULL) != SQLITE_OK ||
	    p_sqlite3_prepare_v2(c->db, "SELECT id, name FROM fbase", -1, &st,
	    NULL) != SQLITE_OK)
		return -1;
	while ((rc = p_sqlite3_step(st)) == SQLITE_ROW) {
		s = blob(st, 1, &n);
		be32_put(h, (uint32_t)p_sqlite3_column_int64(st, 0));
		be32_put(h + 4, (uint32_t)n);
		buf_add(&b, h, sizeof(h));
		buf_add(&b, s, n);
	}
	p_sqlite3_finalize(st);
	if (rc == SQLITE_DONE)
		rc = put_blob(c, NAMES_BLOB, &b);
	else
		rc = -1;
	buf_free(&b);
	return rc;
}

static int
rebuild(struct cache *c, const struct conf *conf, const char *stamp,
    int force, const struct cache_progress *progress, char *err,
    size_t errlen)
{
	struct cache_info	 ci;
	struct fwriter		 fw;
	struct writer		 w = { NULL, 0, progress, 0, &fw };
	struct strv		 problems = { 0 }, fproblems = { 0 };
	struct buf		 pb = { 0 }, fpb = { 0 };
	uint64_t		 t0 = now_usec();
	char			*now = NULL, *fstamp, *old_fstamp, *old_fpb;
	int			 rc = -1, files_again;

	(void)cache_info(c, &ci);
	cache_info_free(&ci);
	/* The .files databases change with pacman -Fy only: their three
	   or four million paths are read again only then. */
	fstamp = stamp_files(conf);
	old_fstamp = meta_get(c, "files_stamp");
	old_fpb = meta_get(c, "files_problems");
	files_again = force || old_fstamp == NULL ||
	    strcmp(old_fstamp, fstamp) != 0;
	memset(&fw, 0, sizeof(fw));
	if (p_sqlite3_exec(c->db, "BEGIN IMMEDIATE; DELETE FROM pkg; "
	    "DELETE FROM meta; DELETE FROM image WHERE id < 3;"
	    " DELETE FROM file WHERE pkg"
	    " IN (SELECT id FROM fpkg WHERE ord = -1);"
	    " DELETE FROM fpkg WHERE ord = -1", NULL, NULL, NULL) !=
	    SQLITE_OK) {
		seterr(err, errlen, c->db, "cannot start a rebuild");
		free(fstamp);
		free(old_fstamp);
		free(old_fpb);
		return -1;
	}
	if (fwriter_open(&fw, c->db) == -1) {
		seterr(err, errlen, c->db, "cannot prepare the rebuild");
		goto done;
	}
	if (files_again) {
		/* A new index, written in order and indexed once at the
		   end: far cheaper than keeping the index up to date. */
		if (p_sqlite3_exec(c->db, "DROP INDEX IF EXISTS file_base;"
		    "DELETE FROM file; DELETE FROM fpkg; DELETE FROM fdir;"
		    "DELETE FROM fbase", NULL, NULL, NULL) != SQLITE_OK) {
			seterr(err, errlen, c->db, "cannot start a rebuild");
			goto done;
		}
		fw.dirs = intern_new();
		fw.bases = intern_new();
		if (feed_read_files(conf, insert_files, &w, &fproblems, err,
		    errlen) == -1)
			goto done;
		problems_text(&fpb, &fproblems);
		tell(&w, "index files", "", 0, 1);
		if (p_sqlite3_exec(c->db, "CREATE INDEX file_base ON"
		    " file(base, dir)", NULL, NULL, NULL) != SQLITE_OK) {
			seterr(err, errlen, c->db, "cannot index the files");
			goto done;
		}
		if (write_names(c) == -1) {
			seterr(err, errlen, c->db, "cannot write the names");
			goto done;
		}
		tell(&w, "index files", "", 1, 1);
	} else if (old_fpb != NULL)
		buf_addstr(&fpb, old_fpb);
#define PARAM(c)	", ?"
	if (p_sqlite3_prepare_v2(c->db, "INSERT INTO pkg(" COLS_PKG
	    ") VALUES (?" PKG_COLS(PARAM, PARAM, PARAM, PARAM) ")",
#undef PARAM
	    -1, &w.ins, NULL) != SQLITE_OK) {
		seterr(err, errlen, c->db, "cannot prepare the rebuild");
		goto done;
	}
	if (feed_read(conf, insert_pkg, &w, &problems, err, errlen) == -1)
		goto done;
	problems_text(&pb, &problems);
	if (write_image(c) == -1) {
		seterr(err, errlen, c->db, "cannot write the search image");
		goto done;
	}
	if (meta_set(c->db, "generation", NULL, (int64_t)ci.generation + 1) ||
	    meta_set(c->db, "built_at", NULL, (int64_t)time(NULL)) ||
	    meta_set(c->db, "build_ms", NULL,
	    (int64_t)((now_usec() - t0) / 1000)) ||
	    meta_set(c->db, "packages", NULL, (int64_t)w.rows) ||
	    meta_set(c->db, "problems", buf_cstr(&pb), 0) ||
	    meta_set(c->db, "files_stamp", fstamp, 0) ||
	    meta_set(c->db, "files_problems", buf_cstr(&fpb), 0) ||
	    meta_set(c->db, "stamp", stamp, 0)) {
		seterr(err, errlen, c->db, "cannot record the build");
		goto done;
	}
	/* Commit only what pacman left alone while we read. */
	now = stamp_dbs(conf);
	if (strcmp(now, stamp) != 0 || stamp_lock(conf) == STAMP_LOCKED) {
		snprintf(err, errlen, "pacman changed the databases during the "
		    "rebuild");
		rc = CACHE_CHANGED;
		goto done;
	}
	tell(&w, "write cache", "", 0, 1);
	if (p_sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		seterr(err, errlen, c->db, "cannot commit the rebuild");
		goto done;
	}
	/* Move the new generation into the database file and empty the
	   WAL: readers then take it from the file (mmap'd, for embedded
	   clients), not frame by frame from the WAL.  Best effort. */
	(void)p_sqlite3_exec(c->db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL,
	    NULL, NULL);
	tell(&w, "write cache", "", 1, 1);
	rc = CACHE_REBUILT;
done:
	free(now);
	free(fstamp);
	free(old_fstamp);
	free(old_fpb);
	strv_free(&problems);
	strv_free(&fproblems);
	buf_free(&pb);
	buf_free(&fpb);
	fwriter_close(&fw);
	p_sqlite3_finalize(w.ins);
	if (rc != CACHE_REBUILT)
		p_sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

#define WRITER_WAIT_MS	60000	/* for another process's rebuild */

int
cache_refresh(struct cache *c, const struct conf *conf, int force,
    const struct cache_progress *progress, char *err, size_t errlen)
{
	char	*lockpath, *stamp = NULL;
	int	 fd, rc = -1, waited = 0, tries = 0;

	lockpath = xasprintf("%s.lock", c->path);
	fd = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	free(lockpath);
	if (fd == -1) {
		snprintf(err, errlen, "cache: cannot open its lock: %s",
		    strerror(errno));
		return -1;
	}
	while (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		if ((errno != EWOULDBLOCK && errno != EINTR) ||
		    waited >= WRITER_WAIT_MS) {
			snprintf(err, errlen, "cache: another rebuild holds "
			    "%s.lock", c->path);
			goto done;
		}
		usleep(20000);
		waited += 20;
	}
	if (stamp_lock(conf) == STAMP_LOCKED) {
		snprintf(err, errlen, "pacman holds its database lock");
		rc = CACHE_BUSY;
		goto done;
	}
	stamp = stamp_dbs(conf);
	if (!force && cache_fresh(c, stamp))
		rc = CACHE_FRESH;
	else
		rc = rebuild(c, conf, stamp, force, progress, err, errlen);
	/* pacman changed a database under the rebuild: what the caller
	   wants is the rebuild, of the databases as they are now. */
	while (rc == CACHE_CHANGED && ++tries < CACHE_TRIES) {
		if (stamp_lock(conf) == STAMP_LOCKED) {
			snprintf(err, errlen, "pacman holds its database lock");
			rc = CACHE_BUSY;
			break;
		}
		free(stamp);
		stamp = stamp_dbs(conf);
		rc = rebuild(c, conf, stamp, force, progress, err, errlen);
	}
	if (rc == CACHE_CHANGED)
		snprintf(err, errlen, "pacman changed the databases during "
		    "each of %d rebuilds", CACHE_TRIES);
done:
	free(stamp);
	close(fd);	/* releases the flock */
	return rc;
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
	if (get_blob(c, 1, image) == -1)
		return -1;
	if (index != NULL && get_blob(c, 2, index) == -1)
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
	bind_text(st, 2, repo);
	p_sqlite3_bind_int(st, 3, nth);
	if ((rc = p_sqlite3_step(st)) == SQLITE_ROW) {
		p->local = p_sqlite3_column_int(st, 0) == FEED_LOCAL_ORD;
#define READ_T(c)	p->c = xstrdup(col(st, i++));
#define READ_N(c)	p->c = p_sqlite3_column_type(st, i) == SQLITE_NULL ?	\
			    NULL : xstrdup(col(st, i)), i++;
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
	    " coalesce(sum(new_version IS NOT NULL AND ignored = 0), 0)"
	    " FROM pkg WHERE ord = -1", -1, &st, NULL) != SQLITE_OK)
		return -1;
	if ((rc = p_sqlite3_step(st)) == SQLITE_ROW) {
		n->total = (uint64_t)p_sqlite3_column_int64(st, 0);
		n->explicit = (uint64_t)p_sqlite3_column_int64(st, 1);
		n->orphans = (uint64_t)p_sqlite3_column_int64(st, 2);
		n->updates = (uint64_t)p_sqlite3_column_int64(st, 3);
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
		if (fn(arg, col(st, 0), col(st, 1)) == -1)
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
		p.name = col(st, 0);
		p.version = col(st, 1);
		p.new_version = p_sqlite3_column_type(st, 2) == SQLITE_NULL ?
		    NULL : col(st, 2);
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
		if (fn(arg, col(st, 0), NULL) == -1)
			break;
	p_sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

/* The strings of a JSON array (text), or -1 if it holds anything else. */
static int
json_strings(sqlite3 *db, const char *json, struct strv *out)
{
	sqlite3_stmt	*st;
	int		 rc, bad = 0;

	if (json == NULL)
		return 0;
	if (p_sqlite3_prepare_v2(db, "SELECT type, value FROM json_each(?1)",
	    -1, &st, NULL) != SQLITE_OK)
		return -1;
	p_sqlite3_bind_text(st, 1, json, -1, SQLITE_STATIC);
	while ((rc = p_sqlite3_step(st)) == SQLITE_ROW) {
		if (strcmp(col(st, 0), "text") != 0) {
			bad = 1;
			break;
		}
		strv_add(out, col(st, 1));
	}
	p_sqlite3_finalize(st);
	return bad || (rc != SQLITE_ROW && rc != SQLITE_DONE) ? -1 : 0;
}

int
cache_parse_advisories(struct cache *c, const char *json, size_t len,
    cache_avg_fn fn, void *arg, char *err, size_t errlen)
{
	sqlite3_stmt	*st = NULL;
	struct strv	 pkgs = { 0 }, cves = { 0 };
	const char	*t;
	int		 rc, n = 0, ret = -1;

	if (p_sqlite3_prepare_v2(c->db, "SELECT json_type(?1)", -1, &st,
	    NULL) != SQLITE_OK)
		return seterr(err, errlen, c->db, "advisories");
	p_sqlite3_bind_text(st, 1, json, (int)len, SQLITE_STATIC);
	rc = p_sqlite3_step(st);
	if (rc != SQLITE_ROW || p_sqlite3_column_type(st, 0) == SQLITE_NULL ||
	    strcmp(col(st, 0), "array") != 0) {
		snprintf(err, errlen, "not a JSON array of advisories%s%s",
		    rc == SQLITE_ROW ? "" : ": ",
		    rc == SQLITE_ROW ? "" : p_sqlite3_errmsg(c->db));
		goto done;
	}
	p_sqlite3_finalize(st);
	if (p_sqlite3_prepare_v2(c->db, "SELECT key, json_type(value),"
	    " json_type(value, '$.name'), json_extract(value, '$.name'),"
	    " json_type(value, '$.status'), json_extract(value, '$.status'),"
	    " json_extract(value, '$.severity'), json_extract(value, '$.type'),"
	    " json_type(value, '$.fixed'), json_extract(value, '$.fixed'),"
	    " json_type(value, '$.packages'), json(json_extract(value,"
	    " '$.packages')), json(json_extract(value, '$.issues'))"
	    " FROM json_each(?1)", -1, &st, NULL) != SQLITE_OK) {
		seterr(err, errlen, c->db, "advisories");
		goto done;
	}
	p_sqlite3_bind_text(st, 1, json, (int)len, SQLITE_STATIC);
	while ((rc = p_sqlite3_step(st)) == SQLITE_ROW) {
		n = p_sqlite3_column_int(st, 0);
		t = col(st, 8);
		if (strcmp(col(st, 1), "object") != 0 ||
		    strcmp(col(st, 2), "text") != 0 ||
		    strcmp(col(st, 4), "text") != 0 ||
		    strcmp(col(st, 10), "array") != 0 ||
		    (*t != '\0' && strcmp(t, "text") != 0 &&
		    strcmp(t, "null") != 0)) {
			snprintf(err, errlen, "advisory %d: not an AVG object "
			    "(name, status, packages)", n);
			goto done;
		}
		strv_free(&pkgs);
		strv_free(&cves);
		if (json_strings(c->db, (const char *)p_sqlite3_column_text(st,
		    11), &pkgs) == -1 || json_strings(c->db,
		    (const char *)p_sqlite3_column_text(st, 12), &cves) == -1) {
			snprintf(err, errlen, "advisory %d: packages and issues "
			    "must be lists of strings", n);
			goto done;
		}
		if (fn(arg, col(st, 3), col(st, 5), col(st, 6), col(st, 7),
		    strcmp(t, "text") == 0 ? col(st, 9) : NULL, &pkgs,
		    &cves) == -1)
			goto done;
	}
	if (rc != SQLITE_DONE) {
		seterr(err, errlen, c->db, "advisories");
		goto done;
	}
	ret = 0;
done:
	p_sqlite3_finalize(st);
	strv_free(&pkgs);
	strv_free(&cves);
	return ret;
}

/* Files lists: pacman -Qo and -F */

static const char *
blob(sqlite3_stmt *st, int i, size_t *n)
{
	const char	*s = p_sqlite3_column_blob(st, i);

	*n = (size_t)p_sqlite3_column_bytes(st, i);
	return s != NULL ? s : "";
}

int
cache_owners(struct cache *c, const char *path, size_t n, int all,
    cache_name_fn fn, void *arg)
{
	sqlite3_stmt	*st;
	size_t		 k = path_split(path, n);
	int		 rc;

	if (p_sqlite3_prepare_v2(c->db, "SELECT p.name, p.version"
	    " FROM fbase b JOIN file f ON f.base = b.id"
	    " JOIN fdir d ON d.id = f.dir JOIN fpkg p ON p.id = f.pkg"
	    " WHERE b.name = ?1 AND d.name = ?2 AND p.ord = -1 ORDER BY p.id",
	    -1, &st, NULL) != SQLITE_OK)
		return -1;
	bind_bytes(st, 1, path + k, n - k);
	bind_bytes(st, 2, path, k);
	while ((rc = p_sqlite3_step(st)) == SQLITE_ROW)
		if (fn(arg, col(st, 0), col(st, 1)) == -1 || !all)
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
		d = blob(st, 2, &dn);
		b = blob(st, 3, &bn);
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
	bind_bytes(st, 1, name, n);
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
		s = blob(st, 1, &n);
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
	size_t		 k = path_split(path, n);
	int		 rc;

	if (p_sqlite3_prepare_v2(c->db, FILE_ROW " WHERE b.name = ?1"
	    " AND d.name = ?2 AND p.ord >= 0", -1, &st, NULL) != SQLITE_OK)
		return -1;
	bind_bytes(st, 1, path + k, n - k);
	bind_bytes(st, 2, path, k);
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
		d = blob(st, 2, &dn);
		s = blob(st, 3, &sn);
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
	bind_text(st, 2, repo);
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
		p->repo = xstrdup(col(st, 0));
		p->name = xstrdup(col(st, 1));
		p->version = xstrdup(col(st, 2));
		p->groups = xstrdup(col(st, 3));
		if (p_sqlite3_column_type(st, 4) != SQLITE_NULL)
			p->installed = xstrdup(col(st, 4));
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
