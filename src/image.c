/*
 * image.c - write and read the search image (image.h).  Pure: bytes in,
 * rows out.
 */
#include <stdlib.h>
#include <string.h>

#include "image.h"
#include "trigram.h"

#define MAGIC		"omg-search-1"
#define NSTRINGS	11

void
image_begin(struct buf *b)
{
	buf_reset(b);
	buf_add(b, MAGIC, sizeof(MAGIC));
}

/* Lengths are varints: 7 bits a byte, low bits first. */
static void
put_len(struct buf *b, size_t n)
{
	uint8_t	c;

	do {
		c = n & 0x7f;
		n >>= 7;
		if (n != 0)
			c |= 0x80;
		buf_add(b, &c, 1);
	} while (n != 0);
}

/* "a>=1\nb=2" -> "a\nb": the names pacman's search matches. */
static char *
provnames(const char *p)
{
	struct buf	 b = { 0 };
	size_t		 n;
	char		*s;

	while (*p != '\0') {
		n = strcspn(p, "<>=\n");
		if (b.len > 0)
			buf_add(&b, "\n", 1);
		buf_add(&b, p, n);
		p += strcspn(p, "\n");
		if (*p == '\n')
			p++;
	}
	s = xstrdup(buf_cstr(&b));
	buf_free(&b);
	return s;
}

void
image_add(struct buf *b, int ord, const char *repo, const char *name,
    const char *version, const char *desc, const char *provides,
    const char *groups, const char *installed)
{
	char		*pn = provnames(provides), *l[4];
	const char	*s[NSTRINGS];
	int32_t		 o = ord;
	size_t		 i;

	l[0] = xstrdup(name);
	l[1] = xstrdup(desc);
	l[2] = xstrdup(pn);
	l[3] = xstrdup(groups);
	for (i = 0; i < 4; i++)
		str_lower(l[i]);
	s[0] = repo;
	s[1] = name;
	s[2] = version;
	s[3] = desc;
	s[4] = groups;
	s[5] = pn;
	s[6] = installed != NULL ? installed : "";
	for (i = 0; i < 4; i++)
		s[7 + i] = l[i];
	buf_add(b, &o, sizeof(o));
	for (i = 0; i < NSTRINGS; i++)
		put_len(b, strlen(s[i]));
	for (i = 0; i < NSTRINGS; i++)
		buf_add(b, s[i], strlen(s[i]) + 1);
	for (i = 0; i < 4; i++)
		free(l[i]);
	free(pn);
}

int
image_next(const char **pp, const char *end, struct image_row *r)
{
	const char	*s[NSTRINGS], *p = *pp;
	size_t		 i, n, shift, l[NSTRINGS];
	uint8_t		 c;

	if ((size_t)(end - p) < sizeof(int32_t))
		return -1;
	memcpy(&r->ord, p, sizeof(r->ord));
	p += sizeof(r->ord);
	for (i = 0; i < NSTRINGS; i++) {
		n = shift = 0;
		do {
			if (p == end || shift > 28)
				return -1;
			c = (uint8_t)*p++;
			n |= (size_t)(c & 0x7f) << shift;
			shift += 7;
		} while (c & 0x80);
		l[i] = n;
	}
	for (i = 0; i < NSTRINGS; i++) {
		if ((size_t)(end - p) <= l[i] || p[l[i]] != '\0')
			return -1;
		s[i] = p;
		p += l[i] + 1;
	}
	r->repo = s[0];
	r->name = s[1];
	r->version = s[2];
	r->desc = s[3];
	r->groups = s[4];
	r->provnames = s[5];
	r->installed = *s[6] != '\0' ? s[6] : NULL;
	r->lname = s[7];
	r->ldesc = s[8];
	r->lprov = s[9];
	r->lgroups = s[10];
	r->lowerlen = (size_t)(p - s[7]);
	/* Case folds past ASCII only matter where such bytes are. */
	r->ascii = 1;
	for (i = 0; i < r->lowerlen && r->ascii; i++)
		r->ascii = (uint8_t)r->lname[i] < 0x80;
	*pp = p;
	return 0;
}

size_t
image_start(const char *p, size_t len)
{
	if (len < sizeof(MAGIC) || memcmp(p, MAGIC, sizeof(MAGIC)) != 0)
		return 0;
	return sizeof(MAGIC);
}

struct image_row *
image_rows(const char *p, size_t len, size_t *n)
{
	struct image_row	*v = NULL;
	const char		*end = p + len;
	size_t			 cap = 0, at;

	*n = 0;
	if ((at = image_start(p, len)) == 0)
		return NULL;
	for (p += at; p < end; (*n)++) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 4096;
			v = xreallocarray(v, cap, sizeof(*v));
		}
		if (image_next(&p, end, &v[*n]) == -1) {
			free(v);
			*n = 0;
			return NULL;
		}
	}
	if (v == NULL)
		v = xcalloc(1, sizeof(*v));
	return v;
}

struct trigram *
image_index(const struct image_row *v, size_t n)
{
	struct trigram	*ix;
	const char	**text;
	size_t		 *len, i;

	text = xreallocarray(NULL, n + 1, sizeof(*text));
	len = xreallocarray(NULL, n + 1, sizeof(*len));
	for (i = 0; i < n; i++) {
		text[i] = v[i].lname;
		len[i] = v[i].lowerlen;
	}
	ix = trigram_build(text, len, n);
	free(text);
	free(len);
	return ix;
}
