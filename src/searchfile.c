/*
 * searchfile.c - the search image in a file of its own (searchfile.h).
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image.h"
#include "searchfile.h"
#include "util.h"

#define MAGIC		"omg-searchfile1"	/* with its NUL: 16 bytes */
#define NCOUNTS		6			/* the last is zero */
#define HEADER		(sizeof(MAGIC) + NCOUNTS * sizeof(uint32_t))
#define COUNT_MAX	0x7fffffffu		/* a part's bytes or items */

static size_t
pad4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

char *
searchfile_path(const char *cache)
{
	return xasprintf("%s.search", cache);
}

/* All of p[0..len) to fd, then zeros up to a multiple of 4. */
static int
put(int fd, const void *p, size_t len)
{
	static const char	 zeros[4];
	const char		*s = p;
	ssize_t			 w;
	size_t			 padding = pad4(len) - len;

	while (len > 0 || padding > 0) {
		if (len == 0) {
			s = zeros;
			len = padding;
			padding = 0;
		}
		if ((w = write(fd, s, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		s += w;
		len -= (size_t)w;
	}
	return 0;
}

int
searchfile_write(const char *path, const char *stamp, const uint8_t *image,
    size_t imagelen, const uint8_t *index, size_t indexlen, char *err,
    size_t errlen)
{
	struct image_row	 r;
	uint32_t		 counts[NCOUNTS] = { 0 }, *off = NULL;
	uint32_t		*nonascii = NULL;
	const char		*p = (const char *)image, *end = p + imagelen;
	size_t			 n = 0, nna = 0, cap = 0, at;
	char			*tmp;
	int			 fd, rc = -1;

	if (imagelen > COUNT_MAX || indexlen > COUNT_MAX ||
	    strlen(stamp) > COUNT_MAX ||
	    (at = image_start(p, imagelen)) == 0) {
		snprintf(err, errlen, "%s: not a search image", path);
		return -1;
	}
	/* Where each row begins, and which rows are not all ASCII. */
	for (p += at; ; n++) {
		if (n == cap) {
			cap = cap ? cap * 2 : 4096;
			off = xreallocarray(off, cap + 1, sizeof(*off));
			nonascii = xreallocarray(nonascii, cap, sizeof(*off));
		}
		off[n] = (uint32_t)(p - (const char *)image);
		if (p == end)
			break;
		if (image_next(&p, end, &r) == -1) {
			snprintf(err, errlen, "%s: not a search image", path);
			goto done;
		}
		if (!r.ascii)
			nonascii[nna++] = (uint32_t)n;
	}
	counts[0] = (uint32_t)strlen(stamp);
	counts[1] = (uint32_t)n;
	counts[2] = (uint32_t)nna;
	counts[3] = (uint32_t)imagelen;
	counts[4] = (uint32_t)indexlen;
	tmp = xasprintf("%s.XXXXXX", path);
	if ((fd = mkstemp(tmp)) == -1) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		free(tmp);
		goto done;
	}
	if (put(fd, MAGIC, sizeof(MAGIC)) == -1 ||
	    put(fd, counts, sizeof(counts)) == -1 ||
	    put(fd, stamp, counts[0]) == -1 ||
	    put(fd, off, (n + 1) * sizeof(*off)) == -1 ||
	    put(fd, nonascii, nna * sizeof(*nonascii)) == -1 ||
	    put(fd, image, imagelen) == -1 ||
	    put(fd, index, indexlen) == -1 || fsync(fd) == -1) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
	} else if (close(fd) == -1 || rename(tmp, path) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		unlink(tmp);
	} else
		rc = 0;
	free(tmp);
done:
	free(off);
	free(nonascii);
	return rc;
}

/* Check what a reader cannot check as it goes: sizes, the stamp, the
   ends of the offsets, the rows not all ASCII. */
static int
whole(struct searchfile *sf, const char *stamp)
{
	const uint8_t	*p = sf->map;
	uint32_t	 c[NCOUNTS];
	size_t		 i, need;

	if (sf->maplen < HEADER || memcmp(p, MAGIC, sizeof(MAGIC)) != 0)
		return 0;
	memcpy(c, p + sizeof(MAGIC), sizeof(c));
	for (i = 0; i < 5; i++)
		if (c[i] > COUNT_MAX)
			return 0;
	need = HEADER + pad4(c[0]) + ((size_t)c[1] + 1) * sizeof(uint32_t) +
	    (size_t)c[2] * sizeof(uint32_t) + pad4(c[3]) + pad4(c[4]);
	if (need != sf->maplen || c[0] != strlen(stamp) ||
	    memcmp(p + HEADER, stamp, c[0]) != 0)
		return 0;
	p += HEADER + pad4(c[0]);
	sf->off = (const uint32_t *)(const void *)p;
	sf->n = c[1];
	p += (sf->n + 1) * sizeof(uint32_t);
	sf->nonascii = (const uint32_t *)(const void *)p;
	sf->nnonascii = c[2];
	p += sf->nnonascii * sizeof(uint32_t);
	sf->image = (const char *)p;
	sf->imagelen = c[3];
	sf->index = p + pad4(c[3]);
	sf->indexlen = c[4];
	if (sf->off[0] != image_start(sf->image, sf->imagelen) ||
	    sf->off[0] == 0 || sf->off[sf->n] != sf->imagelen)
		return 0;
	for (i = 0; i < sf->nnonascii; i++)
		if (sf->nonascii[i] >= sf->n ||
		    (i > 0 && sf->nonascii[i] <= sf->nonascii[i - 1]))
			return 0;
	return 1;
}

struct searchfile *
searchfile_open(const char *path, const char *stamp)
{
	struct searchfile	*sf;
	struct stat		 st;
	void			*map;
	int			 fd;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return NULL;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size < (off_t)HEADER || (uintmax_t)st.st_size > SIZE_MAX ||
	    (map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd,
	    0)) == MAP_FAILED) {
		close(fd);
		return NULL;
	}
	close(fd);
	sf = xcalloc(1, sizeof(*sf));
	sf->map = map;
	sf->maplen = (size_t)st.st_size;
	if (!whole(sf, stamp)) {
		searchfile_close(sf);
		return NULL;
	}
	return sf;
}

void
searchfile_close(struct searchfile *sf)
{
	if (sf == NULL)
		return;
	munmap(sf->map, sf->maplen);
	free(sf);
}
