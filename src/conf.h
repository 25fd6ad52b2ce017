/*
 * conf.h - pacman.conf, read the way pacman reads it: [options] RootDir,
 * DBPath, Architecture, IgnorePkg, IgnoreGroup; repository sections in
 * order; Include with glob patterns.  Everything else is skipped.
 */
#ifndef OMG_CONF_H
#define OMG_CONF_H

#include <stdio.h>

#include "util.h"

struct conf {
	char		*path;		/* the file given to conf_load */
	char		*rootdir;	/* "/" unless set */
	char		*dbpath;	/* as written; see conf_dbfile */
	struct strv	 arch;		/* "auto" resolved with uname(2) */
	struct strv	 ignorepkg;
	struct strv	 ignoregroup;
	struct strv	 repos;		/* section names in file order */
	int		*usage;		/* each one's CONF_USAGE_* bits */
};

/* A repository's Usage, with libalpm's values (alpm_db_usage_t). */
#define CONF_USAGE_SYNC		0x1
#define CONF_USAGE_SEARCH	0x2
#define CONF_USAGE_INSTALL	0x4
#define CONF_USAGE_UPGRADE	0x8
#define CONF_USAGE_ALL		0xf

/*
 * Parse path.  Returns a conf the caller frees with conf_free, or NULL with
 * a one-line reason in err (errlen bytes).
 */
struct conf	*conf_load(const char *path, char *err, size_t errlen);
void		 conf_free(struct conf *);
/* DBPath joined with rel ("sync/core.db", "db.lck"); caller frees. */
char		*conf_dbfile(const struct conf *, const char *);

/*
 * omg's own settings (omg.conf(5)): "name = value" lines, '#' comments.
 * Every one has a default and bounds; see the table in conf.c.
 */
struct settings {
	double	request_max;		/* bytes in a request frame */
	double	response_max;		/* bytes in a response frame */
	double	batch_max;		/* requests in a batch */
	double	cbor_depth;
	double	cbor_items;
	double	cbor_string;		/* bytes in one string */
	double	connections_max;
	double	connections_fresh_max;	/* before a first whole frame */
	double	first_frame_timeout;	/* seconds */
	double	frame_gap_timeout;	/* seconds inside a frame */
	double	idle_timeout;		/* seconds */
	double	output_pause;		/* bytes queued: stop reading */
	double	output_max;		/* bytes queued: close */
	double	write_stall_timeout;	/* seconds without write progress */
	double	rate;			/* requests per second */
	double	rate_burst;
	double	search_cpu_max;		/* seconds of CPU for one regex
					   search (or a batch holding one) */
	double	search_memory_max;	/* bytes the search worker may map */
	double	search_loop_rows;	/* rows a search may look at on the
					   loop; more: the search worker */
	double	answer_threads;		/* connections with a thread of
					   their own, at most */
	double	answer_spin_us;		/* a thread's poll of a pipelining
					   connection before it sleeps */
	double	list_loop_bytes;	/* a list answer the loop may build;
					   larger: a thread's */
};

void	settings_default(struct settings *);
/*
 * Read path over the defaults in s.  A missing file is fine unless
 * must_exist.  -1 with a one-line reason in err on a bad line.
 */
int	settings_load(const char *, int, struct settings *, char *, size_t);

#endif
