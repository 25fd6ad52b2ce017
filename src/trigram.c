/*
 * trigram.c - posting lists of row numbers per trigram bucket, built in
 * two passes over the rows (count, then fill) into one array, and
 * intersected smallest first.
 */
#include <stdlib.h>
#include <string.h>

#include "trigram.h"
#include "util.h"

#define BUCKET_BITS	18
#define NBUCKETS	(1u << BUCKET_BITS)

struct trigram {
	uint32_t	*start;		/* NBUCKETS + 1 offsets into rows */
	uint32_t	*rows;		/* every bucket's rows, ascending */
	size_t		 nrows;
};

static uint32_t
bucket(const unsigned char *p)
{
	uint32_t	h = (uint32_t)p[0] | (uint32_t)p[1] << 8 |
			    (uint32_t)p[2] << 16;

	return (h * 2654435761u) >> (32 - BUCKET_BITS);
}

/* Call fn(bucket) once for each distinct bucket of row r's text. */
static void
each_bucket(const unsigned char *t, size_t len, uint32_t r, uint32_t *last,
    void (*fn)(struct trigram *, uint32_t, uint32_t), struct trigram *ix)
{
	size_t		i;
	uint32_t	b;

	for (i = 0; i + 3 <= len; i++) {
		if (t[i] == '\0' || t[i + 1] == '\0' || t[i + 2] == '\0')
			continue;
		b = bucket(t + i);
		if (last[b] == r + 1)
			continue;
		last[b] = r + 1;
		fn(ix, b, r);
	}
}

static void
count(struct trigram *ix, uint32_t b, uint32_t r)
{
	(void)r;
	ix->start[b + 1]++;
}

static void
fill(struct trigram *ix, uint32_t b, uint32_t r)
{
	/* start[b] runs ahead as the bucket fills; restored below. */
	ix->rows[ix->start[b]++] = r;
}

struct trigram *
trigram_build(const char *const *text, const size_t *len, size_t n)
{
	struct trigram	*ix;
	uint32_t	*last;
	size_t		 i;

	ix = xcalloc(1, sizeof(*ix));
	ix->start = xcalloc(NBUCKETS + 1, sizeof(*ix->start));
	last = xcalloc(NBUCKETS, sizeof(*last));
	for (i = 0; i < n; i++)
		each_bucket((const unsigned char *)text[i], len[i],
		    (uint32_t)i, last, count, ix);
	for (i = 0; i < NBUCKETS; i++)
		ix->start[i + 1] += ix->start[i];
	ix->nrows = ix->start[NBUCKETS];
	ix->rows = xreallocarray(NULL, ix->nrows ? ix->nrows : 1,
	    sizeof(*ix->rows));
	memset(last, 0, NBUCKETS * sizeof(*last));
	for (i = 0; i < n; i++)
		each_bucket((const unsigned char *)text[i], len[i],
		    (uint32_t)i, last, fill, ix);
	/* Each start[b] now holds where bucket b ends: shift back. */
	memmove(ix->start + 1, ix->start, NBUCKETS * sizeof(*ix->start));
	ix->start[0] = 0;
	free(last);
	return ix;
}

void
trigram_free(struct trigram *ix)
{
	if (ix == NULL)
		return;
	free(ix->start);
	free(ix->rows);
	free(ix);
}

size_t
trigram_size(const struct trigram *ix)
{
	return (NBUCKETS + 1 + ix->nrows) * sizeof(uint32_t);
}

/* Keep the rows of a[0..*na) that are also in b[0..nb). */
static void
intersect(uint32_t *a, size_t *na, const uint32_t *b, size_t nb)
{
	size_t	i = 0, j = 0, k = 0;

	while (i < *na && j < nb) {
		if (a[i] < b[j])
			i++;
		else if (a[i] > b[j])
			j++;
		else {
			a[k++] = a[i++];
			j++;
		}
	}
	*na = k;
}

uint32_t *
trigram_find(const struct trigram *ix, const char *const *s, size_t k,
    size_t *n)
{
	const unsigned char	*p;
	uint32_t		*out, b, best = 0;
	size_t			 i, j, len, min = (size_t)-1;

	/* The smallest bucket first: the rest can only remove rows. */
	for (i = 0; i < k; i++) {
		p = (const unsigned char *)s[i];
		len = strlen(s[i]);
		for (j = 0; j + 3 <= len; j++) {
			b = bucket(p + j);
			if (ix->start[b + 1] - ix->start[b] < min) {
				min = ix->start[b + 1] - ix->start[b];
				best = b;
			}
		}
	}
	if (min == (size_t)-1) {
		*n = 0;
		return xcalloc(1, sizeof(*out));
	}
	*n = min;
	out = xreallocarray(NULL, min ? min : 1, sizeof(*out));
	memcpy(out, ix->rows + ix->start[best], min * sizeof(*out));
	for (i = 0; i < k && *n > 0; i++) {
		p = (const unsigned char *)s[i];
		len = strlen(s[i]);
		for (j = 0; j + 3 <= len && *n > 0; j++) {
			b = bucket(p + j);
			if (b != best)
				intersect(out, n, ix->rows + ix->start[b],
				    ix->start[b + 1] - ix->start[b]);
		}
	}
	return out;
}
