/*
 * watch.c - inotify on DBPath.  Every pacman operation that writes a
 * database takes DBPath/db.lck first, so the lock's coming and going is
 * the main signal; the sync and local directories are watched as well for
 * writers that do not lock (a sync db renamed into place by hand).  The
 * cache's own directory is watched for the cache file being removed or
 * replaced behind the daemon's back.
 */
#include <sys/inotify.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "watch.h"

struct watch {
	int	 fd;
	int	 wd_root, wd_sync, wd_local, wd_cache;
	char	*cache_name;	/* the cache file's name in its directory */
};

static int
ends_with(const char *s, const char *suffix)
{
	size_t	ls = strlen(s), lx = strlen(suffix);

	return ls >= lx && strcmp(s + ls - lx, suffix) == 0;
}

struct watch *
watch_new(const struct conf *conf, const char *cache, char *err,
    size_t errlen)
{
	struct watch	*w;
	char		*p, *slash;

	w = xcalloc(1, sizeof(*w));
	if ((w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) == -1) {
		snprintf(err, errlen, "inotify: %s", strerror(errno));
		free(w);
		return NULL;
	}
	w->wd_root = inotify_add_watch(w->fd, conf->dbpath, IN_CREATE |
	    IN_DELETE | IN_MOVED_TO | IN_MOVED_FROM | IN_ONLYDIR);
	if (w->wd_root == -1) {
		snprintf(err, errlen, "cannot watch %s: %s", conf->dbpath,
		    strerror(errno));
		watch_free(w);
		return NULL;
	}
	/* These may not exist yet; db.lck still tells us about pacman. */
	p = conf_dbfile(conf, "sync");
	w->wd_sync = inotify_add_watch(w->fd, p, IN_CLOSE_WRITE | IN_CREATE |
	    IN_DELETE | IN_MOVED_TO | IN_MOVED_FROM | IN_ONLYDIR);
	free(p);
	p = conf_dbfile(conf, "local");
	w->wd_local = inotify_add_watch(w->fd, p, IN_CREATE | IN_DELETE |
	    IN_MOVED_TO | IN_MOVED_FROM | IN_ONLYDIR);
	free(p);
	p = xstrdup(cache);
	if ((slash = strrchr(p, '/')) != NULL) {
		w->cache_name = xstrdup(slash + 1);
		*(slash == p ? slash + 1 : slash) = '\0';
	} else {
		w->cache_name = xstrdup(p);
		strcpy(p, ".");
	}
	/* It may be a directory watched above: add to that mask. */
	w->wd_cache = inotify_add_watch(w->fd, p, IN_CREATE | IN_DELETE |
	    IN_MOVED_TO | IN_MOVED_FROM | IN_ONLYDIR | IN_MASK_ADD);
	free(p);
	return w;
}

int
watch_fd(const struct watch *w)
{
	return w->fd;
}

int
watch_read(struct watch *w)
{
	_Alignas(struct inotify_event) char	 buf[8192];
	const struct inotify_event	*ev;
	ssize_t				 n;
	char				*p;
	int				 flags = 0;

	for (;;) {
		n = read(w->fd, buf, sizeof(buf));
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		for (p = buf; p < buf + n;
		    p += sizeof(*ev) + ev->len) {
			ev = (const struct inotify_event *)p;
			if (ev->mask & IN_Q_OVERFLOW)
				flags |= WATCH_OVERFLOW;
			else if (ev->wd == w->wd_root) {
				if (ev->len > 0 && strcmp(ev->name, "db.lck") == 0)
					flags |= WATCH_LOCK;
			} else if (ev->wd == w->wd_sync) {
				/* pacman -Sy writes X.db.part, renames to X.db;
				   -Fy likewise X.files */
				if (ev->len > 0 && (ends_with(ev->name, ".db") ||
				    ends_with(ev->name, ".files")))
					flags |= WATCH_DB;
			} else if (ev->wd == w->wd_local)
				flags |= WATCH_DB;
			/* (DBPath may hold the cache: not else.) */
			if (ev->wd == w->wd_cache && ev->len > 0 &&
			    strcmp(ev->name, w->cache_name) == 0)
				flags |= WATCH_CACHE;
		}
	}
	return flags;
}

void
watch_free(struct watch *w)
{
	if (w == NULL)
		return;
	close(w->fd);
	free(w->cache_name);
	free(w);
}
