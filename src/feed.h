/*
 * feed.h - pacman's databases, read through libalpm, turned into rows.
 *
 * libalpm is loaded with dlopen(3) the first time feed_read runs, so a
 * process that only answers from the cache never pays for it.  Lists are
 * '\n'-joined strings ("" for an empty list): package fields never hold a
 * newline, because pacman's database format is line-based.
 */
#ifndef OMG_FEED_H
#define OMG_FEED_H

#include <stdint.h>

#include "conf.h"

#define FEED_LOCAL_ORD	(-1)	/* repo_ord of rows from the local db */

struct feed_pkg {
	const char	*repo;		/* sync repo name, or "local" */
	int		 repo_ord;	/* index in pacman.conf, or FEED_LOCAL_ORD */
	size_t		 db_nth;	/* its place in its database, from 0 */
	size_t		 db_count;	/* packages in its database */
	const char	*name;
	const char	*version;
	const char	*desc;
	const char	*url;
	const char	*arch;
	const char	*packager;
	int64_t		 builddate;
	int64_t		 installdate;	/* local only, else 0 */
	int64_t		 isize;
	int64_t		 csize;		/* download size, sync only */
	int		 reason;	/* local: 0 explicit, 1 dependency; else -1 */
	char		*licenses;
	char		*groups;
	char		*depends;
	char		*optdepends;	/* "name: why" */
	char		*provides;
	char		*conflicts;
	char		*replaces;
	char		*validation;	/* "MD5 Sum\nSHA-256 Sum\n..." */
	char		*required_by;	/* local only */
	char		*optional_for;	/* local only */
	const char	*new_version;	/* local only: pacman -Qu's newer version */
	int		 ignored;	/* local only: IgnorePkg/IgnoreGroup */
	char		*optdeps_installed; /* local only: "10..", one '1' per
					   optdepends entry that an installed
					   package satisfies */
	int		 scriptlet;	/* local only: has an install script */
	const char *const *files;	/* local only: its files list, as
					   libalpm reads it (bytes; a
					   directory ends in '/') */
	size_t		 nfiles;
};

/* A package of a sync repo's .files database, with its files list. */
struct feed_files {
	const char		 *repo;
	int			  repo_ord;
	size_t			  db_nth, db_count;
	const char		 *name, *version;
	char			 *groups;
	const char *const	 *files;
	size_t			  nfiles;
};

/* Called once per package, sync repos first in pacman.conf order. */
typedef int	(*feed_emit_fn)(void *, const struct feed_pkg *);

/*
 * Read every database conf names and the local db, under the user's
 * LC_CTYPE as pacman does.  A database that cannot be read (missing,
 * truncated, a path the locale cannot convert) is left out, and said in
 * problems as a pair: the repo ("local" for the local db), libalpm's
 * message.  Returns 0, or -1 with a reason in err when libalpm cannot be
 * loaded or emit returned -1.
 */
int	 feed_read(const struct conf *, feed_emit_fn, void *, struct strv *,
	    char *, size_t);

typedef int	(*feed_files_fn)(void *, const struct feed_files *);

/*
 * Read every sync repo's .files database (DBPath/sync/REPO.files, written
 * by pacman -Fy and repo-add) as pacman -F does, one repo at a time.  A
 * repo whose .files database is missing or cannot be read is left out
 * and said in problems as a pair: the repo, libalpm's message (pacman's
 * words).  Returns 0, or -1 with a reason in err.
 */
int	 feed_read_files(const struct conf *, feed_files_fn, void *,
	    struct strv *, char *, size_t);
#endif
