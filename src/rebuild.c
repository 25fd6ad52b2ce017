/*
 * rebuild.c - the rebuild transaction: libalpm's rows (feed.c) into the
 * cache, the search image and its index, the files lists with each name
 * stored once, and the advisories, committed only if pacman left its
 * databases alone meanwhile.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "cache.h"
#include "cache_db.h"
#include "feed.h"
#include "image.h"
#include "intern.h"
#include "searchfile.h"
#include "stamp.h"
#include "trigram.h"

_Static_assert(DB_LOCAL_ORD == FEED_LOCAL_ORD, "one ord for installed rows");

#define PROGRESS_EVERY	50000	/* microseconds between progress reports */
#define ADV_MAX		(64u << 20)	/* bytes of advisories JSON */

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




/* A list of strings as one BLOB, each followed by a NUL (db_strv). */
static void
strv_blob(struct buf *b, const struct strv *sv)
{
	size_t	i;

	buf_reset(b);
	for (i = 0; i < sv->n; i++)
		buf_add(b, sv->v[i], strlen(sv->v[i]) + 1);
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
		db_bind_bytes(find, 1, s, n);
		if (p_sqlite3_step(find) == SQLITE_ROW)
			id = p_sqlite3_column_int64(find, 0);
		p_sqlite3_reset(find);
		if (id != 0)
			return id;
		p_sqlite3_bind_null(ins, 1);
	}
	db_bind_bytes(ins, 2, s, n);
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
	db_bind_text(st, 2, repo);
	db_bind_text(st, 3, name);
	db_bind_text(st, 4, version);
	db_bind_text(st, 5, groups);
	if (step_done(st) == -1)
		return -1;
	pkg = p_sqlite3_last_insert_rowid(w->db);
	for (i = 0; i < n; i++) {
		len = strlen(files[i]);
		k = db_path_split(files[i], len);
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
#define BIND_T(c)	db_bind_text(st, i++, p->c);
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
		image_add(b, p_sqlite3_column_int(st, 0), db_col(st, 1), db_col(st, 2),
		    db_col(st, 3), db_col(st, 4), db_col(st, 5), db_col(st, 6),
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
	db_bind_bytes(st, 2, (const char *)b->data, b->len);
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
	if (scan_image(c, &b) == -1 || put_blob(c, IMAGE_BLOB, &b) == -1 ||
	    (v = image_rows((const char *)b.data, b.len, &n)) == NULL)
		goto done;
	ix = image_index(v, n);
	trigram_save(ix, &t);
	trigram_free(ix);
	rc = put_blob(c, INDEX_BLOB, &t);
done:
	free(v);
	buf_free(&b);
	buf_free(&t);
	return rc;
}

int
cache_write_search(struct cache *c, const struct conf *conf, char *err,
    size_t errlen)
{
	struct buf	 image = { 0 }, index = { 0 };
	char		*stamp, *now = NULL, *path, why[256];
	int		 rc = -1;

	if (err == NULL) {
		err = why;
		errlen = sizeof(why);
	}
	/* The stamp, image and index of one generation: one read.  A file
	   no search would take (the cache is older than what a search
	   reads, or stamped another way) is neither read nor written. */
	if (p_sqlite3_exec(c->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		return db_seterr(err, errlen, c->db, "cannot read the cache");
	if ((stamp = db_meta_get(c, "search_stamp")) == NULL)
		db_seterr(err, errlen, c->db, "cannot read the search stamp");
	else if (strcmp(stamp, now = stamp_search(conf)) != 0)
		snprintf(err, errlen, "the cache is older than the databases "
		    "a search reads");
	else if (cache_image(c, &image, &index) == -1)
		db_seterr(err, errlen, c->db, "cannot read the search image");
	p_sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL);
	if (image.len > 0) {
		path = searchfile_path(c->path);
		rc = searchfile_write(path, stamp, image.data, image.len,
		    index.data, index.len, err, errlen);
		free(path);
	}
	free(now);
	free(stamp);
	buf_free(&image);
	buf_free(&index);
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
 * Every file name of the files lists in one blob (image row NAMES_BLOB):
 * a 4-byte id, a 4-byte length and the bytes, one after another, so that
 * a regex over names (pacman -Fx) reads one blob instead of stepping
 * through a million rows.
 */
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
		s = db_blob(st, 1, &n);
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

static int	advise(struct cache *, const char *, const char *, int,
		    char *, size_t);

static int
rebuild(struct cache *c, const struct conf *conf, const char *adv,
    const char *astamp, const char *stamp, int force,
    const struct cache_progress *progress, char *err, size_t errlen)
{
	struct cache_info	 ci;
	struct fwriter		 fw;
	struct writer		 w = { NULL, 0, progress, 0, &fw };
	struct strv		 problems = { 0 }, fproblems = { 0 };
	struct buf		 pb = { 0 }, fpb = { 0 };
	uint64_t		 t0 = now_usec();
	char			*now = NULL, *snow = NULL, *fstamp, *old_fpb;
	char			*sstamp;
	int			 rc = -1, files_again;

	(void)cache_info(c, &ci);
	cache_info_free(&ci);
	/* The .files databases change with pacman -Fy only: their three
	   or four million paths are read again only then. */
	fstamp = stamp_files(conf);
	sstamp = stamp_search(conf);
	old_fpb = db_meta_get(c, "files_problems");
	files_again = force || !db_meta_is(c, "files_stamp", fstamp);
	memset(&fw, 0, sizeof(fw));
	if (p_sqlite3_exec(c->db, "BEGIN IMMEDIATE; DELETE FROM pkg; "
	    "DELETE FROM meta WHERE key NOT GLOB 'adv_*';"
	    " DELETE FROM image WHERE id < 3;"
	    " DELETE FROM file WHERE pkg"
	    " IN (SELECT id FROM fpkg WHERE ord = -1);"
	    " DELETE FROM fpkg WHERE ord = -1", NULL, NULL, NULL) !=
	    SQLITE_OK) {
		db_seterr(err, errlen, c->db, "cannot start a rebuild");
		free(fstamp);
		free(sstamp);
		free(old_fpb);
		return -1;
	}
	if (fwriter_open(&fw, c->db) == -1) {
		db_seterr(err, errlen, c->db, "cannot prepare the rebuild");
		goto done;
	}
	if (files_again) {
		/* A new index, written in order and indexed once at the
		   end: far cheaper than keeping the index up to date. */
		if (p_sqlite3_exec(c->db, "DROP INDEX IF EXISTS file_base;"
		    "DELETE FROM file; DELETE FROM fpkg; DELETE FROM fdir;"
		    "DELETE FROM fbase", NULL, NULL, NULL) != SQLITE_OK) {
			db_seterr(err, errlen, c->db, "cannot start a rebuild");
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
			db_seterr(err, errlen, c->db, "cannot index the files");
			goto done;
		}
		if (write_names(c) == -1) {
			db_seterr(err, errlen, c->db, "cannot write the names");
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
		db_seterr(err, errlen, c->db, "cannot prepare the rebuild");
		goto done;
	}
	if (feed_read(conf, insert_pkg, &w, &problems, err, errlen) == -1)
		goto done;
	problems_text(&pb, &problems);
	if (write_image(c) == -1) {
		db_seterr(err, errlen, c->db, "cannot write the search image");
		goto done;
	}
	if (advise(c, adv, astamp, force, err, errlen) == -1)
		goto done;
	if (meta_set(c->db, "generation", NULL, (int64_t)ci.generation + 1) ||
	    meta_set(c->db, "built_at", NULL, (int64_t)time(NULL)) ||
	    meta_set(c->db, "build_ms", NULL,
	    (int64_t)((now_usec() - t0) / 1000)) ||
	    meta_set(c->db, "packages", NULL, (int64_t)w.rows) ||
	    meta_set(c->db, "problems", buf_cstr(&pb), 0) ||
	    meta_set(c->db, "files_stamp", fstamp, 0) ||
	    meta_set(c->db, "files_problems", buf_cstr(&fpb), 0) ||
	    meta_set(c->db, "stamp", stamp, 0) ||
	    meta_set(c->db, "search_stamp", sstamp, 0)) {
		db_seterr(err, errlen, c->db, "cannot record the build");
		goto done;
	}
	/* Commit only what pacman left alone while we read. */
	now = stamp_dbs(conf);
	snow = stamp_search(conf);
	if (strcmp(now, stamp) != 0 || strcmp(snow, sstamp) != 0 ||
	    stamp_lock(conf) == STAMP_LOCKED) {
		snprintf(err, errlen, "pacman changed the databases during the "
		    "rebuild");
		rc = CACHE_CHANGED;
		goto done;
	}
	tell(&w, "write cache", "", 0, 1);
	if (p_sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		db_seterr(err, errlen, c->db, "cannot commit the rebuild");
		goto done;
	}
	/* Move the new generation into the database file and empty the
	   WAL: readers then take it from the file (mmap'd, for embedded
	   clients), not frame by frame from the WAL.  Best effort. */
	(void)p_sqlite3_exec(c->db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL,
	    NULL, NULL);
	/* Embedded searches map the image from a file of its own: without
	   it they read the cache (and write it), so best effort. */
	(void)cache_write_search(c, conf, NULL, 0);
	tell(&w, "write cache", "", 1, 1);
	rc = CACHE_REBUILT;
done:
	free(now);
	free(snow);
	free(sstamp);
	free(fstamp);
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

/*
 * Only the advisories changed: a new generation with the packages as they
 * are and the advisories read again.
 */
static int
readvise(struct cache *c, const char *adv, const char *astamp, char *err,
    size_t errlen)
{
	struct cache_info	ci;
	uint64_t		gen = 0;

	if (cache_info(c, &ci) == 0) {
		gen = ci.generation;
		cache_info_free(&ci);
	}
	*err = '\0';
	if (p_sqlite3_exec(c->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) !=
	    SQLITE_OK)
		return db_seterr(err, errlen, c->db, "cannot start a rebuild");
	if (advise(c, adv, astamp, 1, err, errlen) == -1 ||
	    meta_set(c->db, "generation", NULL, (int64_t)gen + 1) ||
	    p_sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		if (*err == '\0')
			db_seterr(err, errlen, c->db, "cannot commit");
		p_sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	return CACHE_REBUILT;
}

#define WRITER_WAIT_MS	60000	/* for another process's rebuild */

int
cache_refresh(struct cache *c, const struct conf *conf, const char *adv,
    int force, const struct cache_progress *progress, char *err,
    size_t errlen)
{
	char	*lockpath, *stamp = NULL, *astamp = stamp_path(adv);
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
		rc = db_meta_is(c, "adv_stamp", astamp) ? CACHE_FRESH :
		    readvise(c, adv, astamp, err, errlen);
	else
		rc = rebuild(c, conf, adv, astamp, stamp, force, progress, err,
		    errlen);
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
		rc = rebuild(c, conf, adv, astamp, stamp, force, progress, err,
		    errlen);
	}
	if (rc == CACHE_CHANGED)
		snprintf(err, errlen, "pacman changed the databases during "
		    "each of %d rebuilds", CACHE_TRIES);
done:
	free(stamp);
	free(astamp);
	close(fd);	/* releases the flock */
	return rc;
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
		if (strcmp(db_col(st, 0), "text") != 0) {
			bad = 1;
			break;
		}
		strv_add(out, db_col(st, 1));
	}
	p_sqlite3_finalize(st);
	return bad || (rc != SQLITE_ROW && rc != SQLITE_DONE) ? -1 : 0;
}

/*
 * Parse the advisories JSON (security.archlinux.org/all.json: an array of
 * AVG objects) with SQLite's JSON functions into table avg.  A text that
 * is not that shape is refused whole: 1 with a reason in err (the caller
 * rolls back what was inserted); -1 when the cache fails.
 */
static int
parse_advisories(struct cache *c, const char *json, size_t len, char *err,
    size_t errlen)
{
	sqlite3_stmt	*st = NULL, *ins = NULL;
	struct strv	 pkgs = { 0 }, cves = { 0 };
	struct buf	 pb = { 0 }, cb = { 0 };
	const char	*t;
	int		 rc, n = 0, ret = 1;

	if (p_sqlite3_prepare_v2(c->db, "INSERT INTO avg VALUES"
	    " (?1, ?2, ?3, ?4, ?5, ?6, ?7)", -1, &ins, NULL) != SQLITE_OK)
		return db_seterr(err, errlen, c->db, "advisories");

	if (p_sqlite3_prepare_v2(c->db, "SELECT json_type(?1)", -1, &st,
	    NULL) != SQLITE_OK) {
		ret = db_seterr(err, errlen, c->db, "advisories");
		goto done;
	}
	p_sqlite3_bind_text(st, 1, json, (int)len, SQLITE_STATIC);
	rc = p_sqlite3_step(st);
	if (rc != SQLITE_ROW || p_sqlite3_column_type(st, 0) == SQLITE_NULL ||
	    strcmp(db_col(st, 0), "array") != 0) {
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
		db_seterr(err, errlen, c->db, "advisories");
		goto done;
	}
	p_sqlite3_bind_text(st, 1, json, (int)len, SQLITE_STATIC);
	while ((rc = p_sqlite3_step(st)) == SQLITE_ROW) {
		n = p_sqlite3_column_int(st, 0);
		t = db_col(st, 8);
		if (strcmp(db_col(st, 1), "object") != 0 ||
		    strcmp(db_col(st, 2), "text") != 0 ||
		    strcmp(db_col(st, 4), "text") != 0 ||
		    strcmp(db_col(st, 10), "array") != 0 ||
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
		strv_blob(&pb, &pkgs);
		strv_blob(&cb, &cves);
		db_bind_text(ins, 1, db_col(st, 3));
		db_bind_text(ins, 2, db_col(st, 5));
		db_bind_text(ins, 3, db_col(st, 6));
		db_bind_text(ins, 4, db_col(st, 7));
		db_bind_text(ins, 5, strcmp(t, "text") == 0 ? db_col(st, 9) :
		    NULL);
		db_bind_bytes(ins, 6, (const char *)pb.data, pb.len);
		db_bind_bytes(ins, 7, (const char *)cb.data, cb.len);
		if (step_done(ins) == -1) {
			ret = db_seterr(err, errlen, c->db, "advisories");
			goto done;
		}
	}
	if (rc != SQLITE_DONE) {
		/* The JSON functions' own complaint (malformed JSON). */
		snprintf(err, errlen, "%s", p_sqlite3_errmsg(c->db));
		goto done;
	}
	ret = 0;
done:
	p_sqlite3_finalize(st);
	p_sqlite3_finalize(ins);
	strv_free(&pkgs);
	strv_free(&cves);
	buf_free(&pb);
	buf_free(&cb);
	return ret;
}

/* Read a regular file of at most max bytes into b: 0, or -1 with why. */
static int
slurp(const char *path, size_t max, struct buf *b, char *why, size_t whylen)
{
	struct stat	 st;
	ssize_t		 n;
	int		 fd;

	if ((fd = util_open_regular(path, &st)) < 0) {
		snprintf(why, whylen, "%s", fd == UTIL_NOT_REGULAR ?
		    "not a regular file" : strerror(errno));
		return -1;
	}
	if (st.st_size > (off_t)max) {
		snprintf(why, whylen, "over %zu MiB", max >> 20);
		close(fd);
		return -1;
	}
	buf_reserve(b, (size_t)st.st_size + 1);
	while ((n = read(fd, b->data + b->len, b->cap - b->len)) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 || b->len + (size_t)n > max) {
			if (n == -1)
				snprintf(why, whylen, "%s", strerror(errno));
			else
				snprintf(why, whylen, "over %zu MiB", max >> 20);
			close(fd);
			return -1;
		}
		b->len += (size_t)n;
		if (b->len == b->cap)
			buf_reserve(b, b->cap);
	}
	close(fd);
	return 0;
}

/*
 * The advisories file read again: into table avg when it parses (the
 * last good rows stay otherwise), and meta adv_* saying how it went.
 */
static int
take_advisories(struct cache *c, const char *path, const char *astamp,
    char *err, size_t errlen)
{
	struct buf	 b = { 0 };
	char		 why[256] = "";
	const char	*state = "invalid";
	int		 rc = -1, ok = 0;

	if (path == NULL || access(path, F_OK) == -1)
		state = "missing";
	else if (slurp(path, ADV_MAX, &b, why, sizeof(why)) == 0) {
		if (p_sqlite3_exec(c->db, "SAVEPOINT adv; DELETE FROM avg",
		    NULL, NULL, NULL) != SQLITE_OK) {
			db_seterr(err, errlen, c->db, "advisories");
			goto done;
		}
		switch (parse_advisories(c, (const char *)b.data, b.len, why,
		    sizeof(why))) {
		case 0:
			ok = 1;
			state = "ok";
			break;
		case -1:
			snprintf(err, errlen, "%s", why);
			goto done;
		}
		/* A bad file leaves the last good rows as they were. */
		if (p_sqlite3_exec(c->db, ok ? "RELEASE adv" :
		    "ROLLBACK TO adv; RELEASE adv", NULL, NULL, NULL) !=
		    SQLITE_OK) {
			db_seterr(err, errlen, c->db, "advisories");
			goto done;
		}
	}
	/* The AVGs kept, counted here once, not at every cache_info. */
	if (p_sqlite3_exec(c->db, "INSERT OR REPLACE INTO meta SELECT"
	    " 'adv_entries', count(*) FROM avg", NULL, NULL, NULL) !=
	    SQLITE_OK ||
	    meta_set(c->db, "adv_stamp", astamp, 0) ||
	    meta_set(c->db, "adv_state", state, 0) ||
	    meta_set(c->db, "adv_error", why, 0) ||
	    (ok && meta_set(c->db, "adv_loaded_at", NULL,
	    (int64_t)time(NULL)))) {
		db_seterr(err, errlen, c->db, "cannot record the advisories");
		goto done;
	}
	rc = 0;
done:
	buf_free(&b);
	return rc;
}

static int
local_add(void *arg, const char *name, const char *version)
{
	strv_add(arg, name);
	strv_add(arg, version);
	return 0;
}

/*
 * Table audit: the installed packages the advisories say are affected,
 * by arch-audit's rules (audit.c), worked out here once a generation.
 */
static int
write_audit(struct cache *c)
{
	sqlite3_stmt	*st = NULL, *ins = NULL;
	struct audit_db	 db;
	struct audit_hit h;
	struct strv	 pkgs = { 0 }, cves = { 0 }, local = { 0 };
	struct buf	 ab = { 0 }, cb = { 0 };
	size_t		 i;
	int		 rc = -1;

	memset(&db, 0, sizeof(db));
	if (p_sqlite3_exec(c->db, "DELETE FROM audit", NULL, NULL, NULL) !=
	    SQLITE_OK || p_sqlite3_prepare_v2(c->db, "SELECT name, status,"
	    " severity, type, fixed, packages, issues FROM avg", -1, &st,
	    NULL) != SQLITE_OK || p_sqlite3_prepare_v2(c->db, "INSERT INTO"
	    " audit VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)", -1, &ins,
	    NULL) != SQLITE_OK)
		goto done;
	while ((rc = p_sqlite3_step(st)) == SQLITE_ROW) {
		strv_free(&pkgs);
		strv_free(&cves);
		db_strv(st, 5, &pkgs);
		db_strv(st, 6, &cves);
		audit_db_add(&db, db_col(st, 0), db_col(st, 1), db_col(st, 2),
		    db_col(st, 3), (const char *)p_sqlite3_column_text(st, 4),
		    &pkgs, &cves);
	}
	if (rc != SQLITE_DONE) {
		rc = -1;
		goto done;
	}
	rc = -1;
	audit_db_index(&db);
	if (cache_each_local(c, "*", local_add, &local) == -1)
		goto done;
	for (i = 0; i + 1 < local.n; i += 2) {
		if (!audit_check(&db, local.v[i], local.v[i + 1], &h))
			continue;
		strv_blob(&ab, &h.avgs);
		strv_blob(&cb, &h.cves);
		p_sqlite3_bind_int(ins, 1, h.rank);
		db_bind_text(ins, 2, h.name);
		db_bind_text(ins, 3, h.installed);
		db_bind_text(ins, 4, h.severity);
		db_bind_text(ins, 5, h.type);
		db_bind_text(ins, 6, h.fixed);
		db_bind_bytes(ins, 7, (const char *)ab.data, ab.len);
		db_bind_bytes(ins, 8, (const char *)cb.data, cb.len);
		rc = step_done(ins);	/* before h goes: bound in place */
		audit_hit_free(&h);
		if (rc == -1)
			goto done;
	}
	rc = 0;
done:
	p_sqlite3_finalize(st);
	p_sqlite3_finalize(ins);
	audit_db_free(&db);
	strv_free(&pkgs);
	strv_free(&cves);
	strv_free(&local);
	buf_free(&ab);
	buf_free(&cb);
	return rc;
}

/*
 * The advisories' part of a rebuild, in its transaction: the file read
 * again when its stamp changed (or with force), the audit worked out
 * again always (the installed packages may have changed).
 */
static int
advise(struct cache *c, const char *path, const char *astamp, int force,
    char *err, size_t errlen)
{
	if ((force || !db_meta_is(c, "adv_stamp", astamp)) &&
	    take_advisories(c, path, astamp, err, errlen) == -1)
		return -1;
	if (write_audit(c) == -1)
		return db_seterr(err, errlen, c->db, "cannot work out the audit");
	return 0;
}
