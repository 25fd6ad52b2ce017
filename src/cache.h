/*
 * cache.h - the SQLite cache of pacman's databases: read by cache.c,
 * rebuilt by rebuild.c (the two, sharing cache_db.h, are all that sees
 * sqlite3.h).
 *
 * One table holds every package row: sync rows in pacman.conf order then
 * name order (the order pacman -Ss prints), then the local db's rows.
 * Beside them, the search image of the sync rows (image.h).  A rebuild
 * replaces both in one write transaction, so a reader sees one generation
 * or the next, never a mix.
 */
#ifndef OMG_CACHE_H
#define OMG_CACHE_H

#include <stdint.h>

#include "conf.h"
#include "util.h"

#define CACHE_SCHEMA	7	/* PRAGMA user_version of the layout below,
				   with image.h's */

struct cache;

struct cache_info {
	uint64_t	 generation;	/* bumped by every rebuild */
	int64_t		 built_at;	/* seconds since the epoch */
	uint64_t	 build_ms;
	uint64_t	 packages;	/* rows, sync and local */
	char		*stamp;		/* stamp_dbs at build time; owned */
	struct strv	 problems;	/* databases the build could not read:
					   repo, libalpm's message, ... */
	struct strv	 files_problems; /* the same, of the .files ones */
	/* The advisories file as the rebuild last read it. */
	char		*adv_stamp;	/* stamp_path of it then; owned */
	const char	*adv_state;	/* "ok", "missing", "invalid" */
	char		*adv_error;	/* why, or NULL; owned */
	int64_t		 adv_loaded_at;	/* of the data kept; 0: never */
	uint64_t	 adv_entries;	/* AVGs kept */
};

/* A whole package row; every string is owned (free with cache_pkg_free). */
struct cache_pkg {
	char	*repo, *name, *version, *desc, *url, *arch, *packager;
	char	*licenses, *groups, *depends, *optdepends, *provides;
	char	*conflicts, *replaces, *validation, *required_by;
	char	*optional_for, *new_version, *optdeps_installed;
	int64_t	 builddate, installdate, isize, csize;
	int	 reason, ignored, local, scriptlet;
};

struct cache_counts {
	uint64_t	total, explicit, orphans, updates;
	uint64_t	vulnerable;	/* installed, affected by an AVG */
};

/* An installed package affected by advisories (audit.h's audit_hit). */
struct cache_audit {
	const char	*name, *installed, *severity, *type;
	const char	*fixed;		/* NULL: no fix for one of its AVGs */
	struct strv	 avgs, cves;
};

typedef int	(*cache_name_fn)(void *, const char *, const char *);

#define CACHE_CHECK	0x1	/* cache_open: run PRAGMA quick_check */
#define CACHE_MMAP	0x2	/* cache_open: read through mmap (one-shot
				   processes: a daemon would keep the pages) */

/*
 * Open (creating if needed) the cache at path.  A file that is not a
 * database, is corrupt (with CACHE_CHECK: fails quick_check), or has
 * another schema version is moved aside to path.corrupt or reset, so the
 * caller only has to rebuild.  NULL with a reason in err.
 */
struct cache	*cache_open(const char *, int, char *, size_t);
/*
 * Open the cache read-only and change nothing (omg doctor), checking it
 * as cache_open(CACHE_CHECK) would.  NULL with a reason in err; then
 * *fixable is 1 when cache_open would set the file aside or lay a new
 * schema (the next query rebuilds it), 0 when it cannot be read at all.
 */
struct cache	*cache_open_ro(const char *, int *, char *, size_t);
void		 cache_close(struct cache *);
/* Where cache_open moved a damaged file, or NULL. */
const char	*cache_damaged(const struct cache *);
/*
 * 1 when the file at the cache's path is not the one it opened: removed,
 * or another put in its place (the reader must reopen to see it).
 */
int		 cache_replaced(const struct cache *);
const char	*cache_path(const struct cache *);

/* 1 when the cache holds a complete build whose stamp equals stamp. */
int		 cache_fresh(struct cache *, const char *);

/*
 * How a rebuild goes: fn(arg, stage, done, total) with stage "read REPO"
 * (done of total packages; 0 first and total last, every 50 ms between)
 * for each database in order, then "write cache" (0 of 1, then 1 of 1).
 */
struct cache_progress {
	void	(*fn)(void *, const char *, uint64_t, uint64_t);
	void	 *arg;
};

#define CACHE_FRESH	0	/* nothing to do */
#define CACHE_REBUILT	1
#define CACHE_CHANGED	3	/* pacman changed the databases during
				   every try (CACHE_TRIES) */
#define CACHE_TRIES	3
#define CACHE_BUSY	2	/* pacman holds db.lck, or changed the
				   databases during the rebuild: later */
/*
 * Bring the cache up to date with the databases conf names and the
 * advisories file at adv (NULL: none), always with force; when only the
 * advisories changed, only they are read again (a new generation all the
 * same).  Writers are serialized with flock(2) on path.lock, so the
 * daemon and embedded clients never rebuild at once; one that waited
 * finds the cache fresh.  The rebuild is one transaction, committed only
 * if the databases still have the stamp they had when it began and
 * pacman does not hold its lock.  progress may be NULL.  Returns CACHE_*
 * or -1 with err.
 */
int		 cache_refresh(struct cache *, const struct conf *,
		    const char *, int, const struct cache_progress *, char *,
		    size_t);
/*
 * Write the search file of the cache's build (searchfile.h), which every
 * rebuild writes too, when its stamp is the one conf's databases have
 * now (else no search would take it): 0, or -1 with err (may be NULL).
 */
int		 cache_write_search(struct cache *, const struct conf *, char *,
		    size_t);
/* Fill info; returns -1 when the cache holds no build yet. */
int		 cache_info(struct cache *, struct cache_info *);
void		 cache_info_free(struct cache_info *);

/*
 * The search image of the sync packages (image.h), whole, into image;
 * with index, the trigram index the rebuild made of it (trigram.h), or
 * nothing when there is none.
 */
int		 cache_image(struct cache *, struct buf *, struct buf *);
/*
 * Package name in repo ("local" for the local db, NULL for the sync
 * repos that have it: the nth of them, from 0, in pacman.conf order).
 * 1 found, 0 not found, -1 error.
 */
int		 cache_pkg(struct cache *, const char *, const char *, int,
		    struct cache_pkg *);
void		 cache_pkg_free(struct cache_pkg *);
int		 cache_counts(struct cache *, struct cache_counts *);
/* An installed package, as pacman -Q's filters see it. */
struct cache_installed {
	const char	*name, *version;
	const char	*new_version;	/* pacman -Qu's, or NULL */
	int		 reason;	/* 0 explicit, 1 dependency */
	int		 required;	/* something requires it */
	int		 optional;	/* something has it as an optdepend */
	int		 foreign;	/* no sync repo has its name */
	int		 ignored;	/* -Qu's [ignored] */
};
/*
 * Every installed package in pacman -Q's order: fn(arg, p) (p's strings
 * last until fn returns).  0, or -1 when the cache cannot be read.
 */
int		 cache_each_installed(struct cache *, int (*)(void *,
		    const struct cache_installed *), void *);
/* Installed packages whose name matches a GLOB: fn(arg, name, version). */
int		 cache_each_local(struct cache *, const char *, cache_name_fn,
		    void *);
/*
 * The installed packages affected by advisories, worst first (then by
 * name), as the last rebuild worked them out: fn(arg, a) (a's strings
 * last until fn returns).  0, or -1 when the cache cannot be read.
 */
int		 cache_audit(struct cache *, int (*)(void *,
		    const struct cache_audit *), void *);

/* Distinct package names, sync and local, in byte order: fn(arg, name,
 * NULL). */
int		 cache_each_name(struct cache *, cache_name_fn, void *);

/*
 * Files lists (pacman -Qo, -F).  Paths are bytes as pacman's databases
 * hold them, relative to the root, a directory's ending in '/'.
 */
typedef int	(*cache_path_fn)(void *, int64_t, const char *, size_t);

struct cache_fpkg {
	char	*repo, *name, *version, *groups;
	char	*installed;		/* the local version, or NULL */
};

/*
 * The installed packages whose files list holds path[0..n), in pacman
 * -Qo's order: fn(arg, name, version) for all of them, or the first.
 */
int	 cache_owners(struct cache *, const char *, size_t, int,
	    cache_name_fn, void *);
/* The id of a file name (a path's last part), 0 for none, -1 on error. */
int64_t	 cache_files_name_id(struct cache *, const char *, size_t);
/* Every file name: fn(arg, id, name, n). */
int	 cache_files_names(struct cache *, int (*)(void *, int64_t,
	    const char *, size_t), void *);
/*
 * The .files packages' paths whose name is one of ids[0..n) (not at the
 * top level, as pacman -F), or that are path[0..n) exactly:
 * fn(arg, package id, path, len) in pacman -F's order.
 */
int	 cache_files_named(struct cache *, const int64_t *, size_t,
	    cache_path_fn, void *);
int	 cache_files_path(struct cache *, const char *, size_t,
	    cache_path_fn, void *);
/* Every path of package id (0: of every .files package), in order. */
int	 cache_files_each(struct cache *, int64_t, cache_path_fn, void *);
/* The .files package name in repo (NULL: the first repo that has it):
   its id, 0 for none, -1 on error. */
int64_t	 cache_files_find(struct cache *, const char *, const char *);
/* The ids of the .files packages in order, from offset: up to limit. */
int	 cache_files_pkgs(struct cache *, uint64_t, size_t, int64_t *,
	    size_t *);
/* 1 found, 0 not, -1 error. */
int	 cache_files_pkg(struct cache *, int64_t, struct cache_fpkg *);
void	 cache_fpkg_free(struct cache_fpkg *);

#endif
