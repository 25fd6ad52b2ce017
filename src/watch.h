/*
 * watch.h - inotify on pacman's database directory: the lock file, the
 * sync databases and the local database.  The caller polls watch_fd (the
 * daemon with an ev_io) and calls watch_read when it is readable.
 */
#ifndef OMG_WATCH_H
#define OMG_WATCH_H

#include <stddef.h>

#include "conf.h"

#define WATCH_LOCK	0x1	/* db.lck appeared or went away */
#define WATCH_DB	0x2	/* a sync db or the local db changed */
#define WATCH_OVERFLOW	0x4	/* events were lost: check everything */
#define WATCH_CACHE	0x8	/* the cache file was removed or replaced */

struct watch;

/*
 * Watch DBPath, and the directory of the cache file cache (its own name
 * there).  NULL with a reason in err when inotify or DBPath cannot be
 * watched.
 */
struct watch	*watch_new(const struct conf *, const char *, char *, size_t);
int		 watch_fd(const struct watch *);
/* Drain pending events; returns WATCH_* flags (0: nothing of interest). */
int		 watch_read(struct watch *);
void		 watch_free(struct watch *);

#endif
