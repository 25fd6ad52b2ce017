/*
 * stamp.c - pacman's databases seen from outside, with stat(2) only: the
 * stamp that changes when they do, and the state of pacman's lock.  No
 * libalpm: the daemon, the query code, doctor and the client ask these
 * every time, and feed.c (which loads libalpm) only when it reads.
 */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "stamp.h"


static void
stamp_file(struct buf *b, const char *label, const char *path)
{
	struct stat	st;

	if (stat(path, &st) == -1)
		buf_printf(b, "%s:-;", label);
	else
		buf_printf(b, "%s:%llu:%lld:%lld.%09ld;", label,
		    (unsigned long long)st.st_ino, (long long)st.st_size,
		    (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
}

char *
stamp_path(const char *path)
{
	struct buf	 b = { 0 };
	char		*s;

	if (path == NULL)
		buf_addstr(&b, "none");
	else
		stamp_file(&b, "f", path);
	s = xstrdup(buf_cstr(&b));
	buf_free(&b);
	return s;
}

char *
stamp_files(const struct conf *conf)
{
	struct buf	 b = { 0 };
	char		*path, *s;
	size_t		 i;

	buf_printf(&b, "f1;root=%s;db=%s;", conf->rootdir, conf->dbpath);
	for (i = 0; i < conf->repos.n; i++) {
		s = xasprintf("sync/%s.files", conf->repos.v[i]);
		path = conf_dbfile(conf, s);
		stamp_file(&b, conf->repos.v[i], path);
		free(path);
		free(s);
	}
	s = xstrdup(buf_cstr(&b));
	buf_free(&b);
	return s;
}

/* What both stamps hold: the root, the architectures, each sync db as a
   file (and, with files, its .files database too). */
static void
stamp_sync(struct buf *b, const struct conf *conf, int files)
{
	size_t	 i;
	char	*path, *s;

	buf_printf(b, "root=%s;db=%s;", conf->rootdir, conf->dbpath);
	for (i = 0; i < conf->arch.n; i++)
		buf_printf(b, "arch=%s;", conf->arch.v[i]);
	for (i = 0; i < conf->repos.n; i++) {
		s = xasprintf("sync/%s.db", conf->repos.v[i]);
		path = conf_dbfile(conf, s);
		buf_printf(b, "u=%d;", conf->usage[i]);
		stamp_file(b, conf->repos.v[i], path);
		free(path);
		free(s);
		if (!files)
			continue;
		/* pacman -Fy changes what -F answers. */
		s = xasprintf("sync/%s.files", conf->repos.v[i]);
		path = conf_dbfile(conf, s);
		stamp_file(b, "files", path);
		free(path);
		free(s);
	}
}

/* The stamp in b, ended with local/'s count and sum: a new string. */
static char *
stamp_end(struct buf *b, size_t count, uint64_t sum)
{
	char	*s;

	buf_printf(b, "n=%zu;h=%016llx", count, (unsigned long long)sum);
	s = xstrdup(buf_cstr(b));
	buf_free(b);
	return s;
}

char *
stamp_dbs(const struct conf *conf)
{
	struct buf	 b = { 0 };
	struct dirent	*de;
	struct stat	 st;
	DIR		*dir;
	uint64_t	 sum = 0, h;
	size_t		 i, count = 0;
	char		*path, desc[NAME_MAX + sizeof("/desc")];

	buf_addstr(&b, "v5;");	/* stamp_search's form is part of it */
	stamp_sync(&b, conf, 1);
	for (i = 0; i < conf->ignorepkg.n; i++)
		buf_printf(&b, "ip=%s;", conf->ignorepkg.v[i]);
	for (i = 0; i < conf->ignoregroup.n; i++)
		buf_printf(&b, "ig=%s;", conf->ignoregroup.v[i]);
	/* The installed packages, not the directory's own inode or mtime:
	   libalpm makes local/ when it is missing (a new root), and an
	   absent local/ holds what an empty one does. */
	path = conf_dbfile(conf, "local");
	if ((dir = opendir(path)) != NULL) {
		while ((de = readdir(dir)) != NULL) {
			if (de->d_name[0] == '.' ||
			    strlen(de->d_name) + sizeof("/desc") > sizeof(desc))
				continue;
			/* A package is a directory with a desc (not
			   ALPM_DB_VERSION, which libalpm writes); one
			   whose desc is yet to come counts when it comes.
			   Looked up from local/: a path of two names. */
			snprintf(desc, sizeof(desc), "%s/desc", de->d_name);
			if (fstatat(dirfd(dir), desc, &st, 0) == -1)
				continue;
			h = fnv1a(de->d_name, strlen(de->d_name),
			    0xcbf29ce484222325ULL);
			h = fnv1a(&st.st_mtim, sizeof(st.st_mtim), h);
			h = fnv1a(&st.st_size, sizeof(st.st_size), h);
			h = fnv1a(&st.st_ino, sizeof(st.st_ino), h);
			sum += h;
			count++;
		}
		closedir(dir);
	}
	free(path);
	return stamp_end(&b, count, sum);
}

char *
stamp_search(const struct conf *conf)
{
	struct buf	 b = { 0 };
	struct stat	 st;
	char		*path, *s;

	buf_addstr(&b, "s2;");
	stamp_sync(&b, conf, 0);
	/* What libalpm takes from local/ for a search: the names of its
	   directories ("name-version-rel"; no desc is read for it), which
	   change only with local/ itself: its inode, times and size. */
	path = conf_dbfile(conf, "local");
	if (stat(path, &st) == -1)
		buf_addstr(&b, "local:-");
	else
		buf_printf(&b, "local:%llu:%lld:%llu:%lld.%09ld:%lld.%09ld",
		    (unsigned long long)st.st_ino, (long long)st.st_size,
		    (unsigned long long)st.st_nlink,
		    (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec,
		    (long long)st.st_ctim.tv_sec, st.st_ctim.tv_nsec);
	free(path);
	s = xstrdup(buf_cstr(&b));
	buf_free(&b);
	return s;
}

enum stamp_lock
stamp_lock(const struct conf *conf)
{
	struct timespec	 up;
	struct stat	 st;
	char		*path;
	time_t		 now, boot;
	int		 rc;

	path = conf_dbfile(conf, "db.lck");
	rc = stat(path, &st);
	free(path);
	if (rc == -1)
		return STAMP_UNLOCKED;
	now = time(NULL);
	boot = clock_gettime(CLOCK_BOOTTIME, &up) == 0 ? now - up.tv_sec : 0;
	/* A lock from before this boot, or from long ago, outlived pacman. */
	if (st.st_mtime < boot || now - st.st_mtime > STAMP_LOCK_MAXAGE)
		return STAMP_LOCK_STALE;
	return STAMP_LOCKED;
}
