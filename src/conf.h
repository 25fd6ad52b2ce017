/*
 * conf.h - pacman.conf, read the way pacman reads it: [options] RootDir,
 * DBPath, Architecture, IgnorePkg, IgnoreGroup; repository sections in
 * order; Include with glob patterns.  Everything else is skipped.
 */
#ifndef OMG_CONF_H
#define OMG_CONF_H

#include "util.h"

struct conf {
	char		*path;		/* the file given to conf_load */
	char		*rootdir;	/* "/" unless set */
	char		*dbpath;	/* as written; see conf_dbfile */
	struct strv	 arch;		/* "auto" resolved with uname(2) */
	struct strv	 ignorepkg;
	struct strv	 ignoregroup;
	struct strv	 repos;		/* section names in file order */
};

/*
 * Parse path.  Returns a conf the caller frees with conf_free, or NULL with
 * a one-line reason in err (errlen bytes).
 */
struct conf	*conf_load(const char *path, char *err, size_t errlen);
void		 conf_free(struct conf *);
/* DBPath joined with rel ("sync/core.db", "db.lck"); caller frees. */
char		*conf_dbfile(const struct conf *, const char *);

#endif
