/*
 * util.c - checked allocation and byte buffers.
 */
#include <sys/stat.h>

#include <dlfcn.h>
#include <signal.h>
#include <spawn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

static void
oom(size_t n)
{
	fprintf(stderr, "omg: out of memory (%zu bytes)\n", n);
	exit(3);
}

void *
xmalloc(size_t n)
{
	void	*p;

	if ((p = malloc(n == 0 ? 1 : n)) == NULL)
		oom(n);
	return p;
}

void *
xcalloc(size_t nmemb, size_t size)
{
	void	*p;

	if ((p = calloc(nmemb == 0 ? 1 : nmemb, size == 0 ? 1 : size)) == NULL)
		oom(nmemb * size);
	return p;
}

void *
xrealloc(void *p, size_t n)
{
	if ((p = realloc(p, n == 0 ? 1 : n)) == NULL)
		oom(n);
	return p;
}

void *
xreallocarray(void *p, size_t nmemb, size_t size)
{
	if (size != 0 && nmemb > SIZE_MAX / size)
		oom(SIZE_MAX);
	return xrealloc(p, nmemb * size);
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
	char	*p;

	p = xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
xasprintf(const char *fmt, ...)
{
	va_list	 ap;
	char	*s;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		oom(0);
	s = xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return s;
}

void
buf_reserve(struct buf *b, size_t n)
{
	size_t	 cap;

	if (b->cap - b->len >= n)
		return;
	if (n > SIZE_MAX / 2 - b->len)
		oom(SIZE_MAX);
	cap = b->cap == 0 ? 256 : b->cap;
	while (cap - b->len < n)
		cap *= 2;
	b->data = xrealloc(b->data, cap);
	b->cap = cap;
}

void
buf_add(struct buf *b, const void *p, size_t n)
{
	if (n == 0)
		return;
	buf_reserve(b, n);
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

void
buf_addstr(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list	 ap;
	size_t	 room;
	int	 n;

	/* Once into the room there is; again only when it was short. */
	buf_reserve(b, 64);
	room = b->cap - b->len;
	va_start(ap, fmt);
	n = vsnprintf((char *)b->data + b->len, room, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= room) {
		buf_reserve(b, (size_t)n + 1);
		va_start(ap, fmt);
		vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t)n;
}

void
buf_consume(struct buf *b, size_t n)
{
	if (n >= b->len) {
		b->len = 0;
		return;
	}
	memmove(b->data, b->data + n, b->len - n);
	b->len -= n;
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
}

void
buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

char *
buf_cstr(struct buf *b)
{
	buf_reserve(b, 1);
	b->data[b->len] = '\0';
	return (char *)b->data;
}

uint32_t
be32_get(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

int
util_open_regular(const char *path, struct stat *st)
{
	int	fd, e;

	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) == -1)
		return -1;
	if (fstat(fd, st) == -1) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	if (!S_ISREG(st->st_mode)) {
		close(fd);
		return UTIL_NOT_REGULAR;
	}
	return fd;
}

pid_t
util_spawn(const char *path, char *const argv[], int from, int to,
    int sigpipe_default)
{
	posix_spawn_file_actions_t	 fa;
	posix_spawnattr_t		 at;
	sigset_t			 def, none;
	pid_t				 pid;
	int				 rc, tmp = -1;

	if ((rc = posix_spawn_file_actions_init(&fa)) != 0) {
		errno = rc;
		return -1;
	}
	if ((rc = posix_spawnattr_init(&at)) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		errno = rc;
		return -1;
	}
	/* dup2 onto itself would keep close-on-exec: a copy first. */
	if (from != -1 && from == to &&
	    (from = tmp = fcntl(to, F_DUPFD_CLOEXEC, to + 1)) == -1)
		rc = errno;
	if (rc == 0 && from != -1)
		rc = posix_spawn_file_actions_adddup2(&fa, from, to);
	if (rc == 0)
		rc = posix_spawn_file_actions_addclosefrom_np(&fa,
		    from != -1 ? to + 1 : 3);
	sigemptyset(&def);
	if (sigpipe_default)
		sigaddset(&def, SIGPIPE);
	if (rc == 0)
		rc = posix_spawnattr_setsigdefault(&at, &def);
	/* No signal blocked, whichever thread of ours spawns it. */
	sigemptyset(&none);
	if (rc == 0)
		rc = posix_spawnattr_setsigmask(&at, &none);
	if (rc == 0)
		rc = posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGDEF |
		    POSIX_SPAWN_SETSIGMASK);
	if (rc == 0)
		rc = posix_spawn(&pid, path, &fa, &at, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	if (tmp != -1)
		close(tmp);
	if (rc != 0) {
		errno = rc;
		return -1;
	}
	return pid;
}

void
be32_put(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

void
fmt_age(char *s, size_t len, long long secs)
{
	if (secs < 0)
		secs = 0;
	if (secs < 120)
		snprintf(s, len, "%lld s", secs);
	else if (secs < 7200)
		snprintf(s, len, "%lld min", secs / 60);
	else if (secs < 172800)
		snprintf(s, len, "%lld h", secs / 3600);
	else
		snprintf(s, len, "%lld days", secs / 86400);
}

uint64_t
now_usec(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

void
strv_add(struct strv *sv, const char *s)
{
	sv->v = xreallocarray(sv->v, sv->n + 2, sizeof(*sv->v));
	sv->v[sv->n++] = xstrdup(s);
	sv->v[sv->n] = NULL;
}

void
strv_free(struct strv *sv)
{
	size_t	i;

	for (i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = 0;
}

int
util_dlopen(const char *soname, int mode, const char *const *names,
    void **const *ptrs, size_t n, char *err, size_t errlen)
{
	void	*lib;
	size_t	 i;

	if ((lib = dlopen(soname, mode | RTLD_LOCAL)) == NULL) {
		snprintf(err, errlen, "cannot load %s: %s", soname, dlerror());
		return -1;
	}
	for (i = 0; i < n; i++)
		if ((*ptrs[i] = dlsym(lib, names[i])) == NULL) {
			snprintf(err, errlen, "%s has no %s", soname, names[i]);
			dlclose(lib);
			return -1;
		}
	return 0;
}

void
str_lower(char *s)
{
	for (; *s != '\0'; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s += 'a' - 'A';
}

char *
str_lower_dup(const char *s)
{
	char	*l = xstrdup(s);

	str_lower(l);
	return l;
}

char *
str_lower_ndup(const char *s, size_t n)
{
	char	*l = xstrndup(s, n);

	str_lower(l);
	return l;
}

uint64_t
fnv1a(const void *p, size_t n, uint64_t h)
{
	const unsigned char	*s = p;

	while (n-- > 0)
		h = (h ^ *s++) * 0x100000001b3ULL;
	return h;
}
