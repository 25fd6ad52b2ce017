/*
 * cache_db.h - private to cache.c and rebuild.c, the two halves of the
 * cache over SQLite (read, and rebuild): the handle, the package columns,
 * libsqlite3's functions (loaded by cache.c) and the helpers both use.
 * Nothing else includes it.
 */
#ifndef OMG_CACHE_DB_H
#define OMG_CACHE_DB_H

#include <sys/types.h>

#include <sqlite3.h>

#include "cache.h"
#include "util.h"

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

SQLITE_FUNCS(UTIL_DL_EXTERN)

struct cache {
	sqlite3		*db;
	char		*path;
	dev_t		 dev;		/* the file opened, to notice when */
	ino_t		 ino;		/* another is put at path */
	char		*damaged;	/* where a damaged file was moved */
	sqlite3_stmt	*get;
};

/* pkg.ord and fpkg.ord of the installed packages (feed.h's FEED_LOCAL_ORD,
   which rebuild.c checks at compile time); the sync repos count from 0. */
#define DB_LOCAL_ORD	(-1)

/* The rows of table image: the search image, its index, the files' names. */
#define IMAGE_BLOB	1
#define INDEX_BLOB	2
#define NAMES_BLOB	3

int		 db_seterr(char *, size_t, sqlite3 *, const char *);
/* Column i as text, "" for NULL; as bytes (never NULL), *n its length. */
const char	*db_col(sqlite3_stmt *, int);
const char	*db_blob(sqlite3_stmt *, int, size_t *);
/* Column i, a BLOB of NUL-ended strings (rebuild.c's strv_blob), into out. */
void		 db_strv(sqlite3_stmt *, int, struct strv *);
void		 db_bind_text(sqlite3_stmt *, int, const char *);
void		 db_bind_bytes(sqlite3_stmt *, int, const char *, size_t);
size_t		 db_path_split(const char *, size_t);
/* The meta value of key, allocated, or NULL. */
char		*db_meta_get(struct cache *, const char *);
/* 1 when the meta value of key is value (a stamp taken before). */
int		 db_meta_is(struct cache *, const char *, const char *);

#endif
