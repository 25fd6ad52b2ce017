/*
 * util.h - checked allocation, growable byte buffers, small helpers.
 *
 * The x* allocators never return NULL: they exit the process when memory
 * is exhausted.  Sizes that come from a peer must be bounded before they
 * reach these functions.
 */
#ifndef OMG_UTIL_H
#define OMG_UTIL_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xrealloc(void *, size_t);
void	*xreallocarray(void *, size_t, size_t);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);
char	*xasprintf(const char *, ...)
	    __attribute__((format(printf, 1, 2)));

/* A growable byte buffer; buf_free releases data, the struct is the caller's. */
struct buf {
	uint8_t	*data;
	size_t	 len;
	size_t	 cap;
};

void	 buf_reserve(struct buf *, size_t);
void	 buf_add(struct buf *, const void *, size_t);
void	 buf_addstr(struct buf *, const char *);
void	 buf_printf(struct buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	 buf_consume(struct buf *, size_t);
void	 buf_reset(struct buf *);
void	 buf_free(struct buf *);
/* NUL-terminate without counting the NUL; returns data as a string. */
char	*buf_cstr(struct buf *);

uint32_t	be32_get(const uint8_t *);
void		be32_put(uint8_t *, uint32_t);
/*
 * Open path to read, without blocking, and only a regular file (a FIFO or
 * a device there would hold the reader forever), *st filled: the fd, -1
 * with errno, or UTIL_NOT_REGULAR.
 */
#define UTIL_NOT_REGULAR	(-2)
struct stat;
int		util_open_regular(const char *, struct stat *);

/*
 * Start path with argv (and this environment), with fd from as fd to
 * (from -1: none) and no other fd above 2 (nor above to), SIGPIPE at its
 * default with sigpipe_default.  posix_spawn:
 * a process as large as the daemon is not copied to start it.  Its pid,
 * or -1 with errno.
 */
pid_t		util_spawn(const char *, char *const[], int, int, int);

/* Monotonic time in microseconds. */
uint64_t	now_usec(void);

/* A duration for people: "42 s", "5 min", "3 h", "2 days" (>= 0). */
void		fmt_age(char *, size_t, long long);

/* ASCII letters to lower case, in place: the C locale's folding, which
   REG_ICASE applies under LC_ALL=C and the search's literal path. */
void		str_lower(char *);
/* FNV-1a of p[0..n), from h (0xcbf29ce484222325 to start). */
uint64_t	fnv1a(const void *, size_t, uint64_t);
/* Lower-case copies (ASCII), of s and of s[0..n). */
char		*str_lower_dup(const char *);
char		*str_lower_ndup(const char *, size_t);

/* A NULL-terminated, growable vector of owned strings. */
struct strv {
	char	**v;
	size_t	  n;
};

void	strv_add(struct strv *, const char *);
void	strv_free(struct strv *);

/*
 * dlopen(3) soname (RTLD_LOCAL) and resolve names[i] into *ptrs[i], for
 * the libraries omg loads only when it needs them.  0, or -1 with a
 * reason in err (the library closed again).
 */
int	util_dlopen(const char *, int, const char *const *, void **const *,
	    size_t, char *, size_t);
/* For an X-macro list of functions: a typed pointer p_f for each, and
   the names and pointers util_dlopen fills. */
#define UTIL_DL_DECLARE(f)	static __typeof__(f) *p_##f;
#define UTIL_DL_EXTERN(f)	extern __typeof__(f) *p_##f;
#define UTIL_DL_DEFINE(f)	__typeof__(f) *p_##f;
#define UTIL_DL_NAME(f)		#f,
#define UTIL_DL_PTR(f)		(void **)&p_##f,

#endif
