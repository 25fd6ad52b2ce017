/*
 * stamp.h - pacman's databases seen from outside (stat(2) only): when
 * they changed, and whether pacman holds its lock.
 */
#ifndef OMG_STAMP_H
#define OMG_STAMP_H

#include "conf.h"

/* A string that changes whenever the file at path does (NULL: none). */
char	*stamp_path(const char *);

/*
 * A string that changes whenever a .files database (or the repos' list)
 * does.  Caller frees.
 */
char	*stamp_files(const struct conf *);

/*
 * A string that changes whenever the pacman databases or the parts of conf
 * that matter do: each sync db's inode, size and mtime, and each local
 * package's desc file.  Caller frees.
 */
char	*stamp_dbs(const struct conf *);
/*
 * A string that changes whenever what a search answers from might: each
 * sync db as stamp_dbs sees it, and local/ itself (inode, size, links,
 * mtime, ctime): a search reads only the names of its directories, where
 * libalpm takes the installed names and versions from, and those change
 * only with it; no stat of each desc.  Caller frees.  A change of its form
 * changes stamp_dbs's version too: every cache is then rebuilt, and its
 * search file stamped anew.
 */
char	*stamp_search(const struct conf *);

#define STAMP_LOCK_MAXAGE	(30 * 60)	/* seconds: held longer is stale */

enum stamp_lock {
	STAMP_UNLOCKED,
	STAMP_LOCKED,		/* pacman is writing: wait */
	STAMP_LOCK_STALE	/* older than boot or STAMP_LOCK_MAXAGE:
				   ignore */
};

/* The state of DBPath/db.lck, as pacman's lock file. */
enum stamp_lock	 stamp_lock(const struct conf *);

#endif
