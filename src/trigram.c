/*
 * trigram.c - posting lists of row numbers per trigram bucket, built in
 * two passes over the rows (count, then fill) into one byte array, and
 * intersected smallest first.  A list holds the gaps between its rows
 * (ascending) as varints, 7 bits a byte: about a byte and a half a row
 * instead of four.
 */
#include <stdlib.h>
#include <string.h>

#include "trigram.h"
#include "util.h"

#define BUCKET_BITS	18
#define NBUCKETS	(1u << BUCKET_BITS)

#define MAGIC		"omg-trigram1"	/* then NBUCKETS, 4 bytes: 16 */
#define HEADER		16

struct trigram {
	uint32_t	*start;		/* NBUCKETS + 1 offsets into lists */
	uint8_t		*lists;		/* every bucket's gaps */
	size_t		 size;
	uint32_t	*last;		/* while building: a bucket's last row + 1 */
	int		 owned;		/* start and lists are ours to free */
};

static uint32_t
bucket(const unsigned char *p)
{
	uint32_t	h = (uint32_t)p[0] | (uint32_t)p[1] << 8 |
			    (uint32_t)p[2] << 16;

	return (h * 2654435761u) >> (32 - BUCKET_BITS);
}

static size_t
varint_len(uint32_t v)
{
	size_t	n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

/* Call fn(bucket, gap) once for each distinct bucket of row r's text. */
static void
each_bucket(struct trigram *ix, const unsigned char *t, size_t len,
    uint32_t r, void (*fn)(struct trigram *, uint32_t, uint32_t))
{
	size_t		i;
	uint32_t	b;

	for (i = 0; i + 3 <= len; i++) {
		if (t[i] == '\0' || t[i + 1] == '\0' || t[i + 2] == '\0')
			continue;
		b = bucket(t + i);
		if (ix->last[b] == r + 1)
			continue;
		fn(ix, b, r + 1 - ix->last[b]);
		ix->last[b] = r + 1;
	}
}

static void
count(struct trigram *ix, uint32_t b, uint32_t gap)
{
	ix->start[b + 1] += (uint32_t)varint_len(gap);
}

static void
fill(struct trigram *ix, uint32_t b, uint32_t gap)
{
	/* start[b] runs ahead as the bucket fills; restored below. */
	uint8_t	*p = ix->lists + ix->start[b];

	while (gap >= 0x80) {
		*p++ = (uint8_t)(gap | 0x80);
		gap >>= 7;
	}
	*p++ = (uint8_t)gap;
	ix->start[b] = (uint32_t)(p - ix->lists);
}

struct trigram *
trigram_build(const char *const *text, const size_t *len, size_t n)
{
	struct trigram	*ix;
	size_t		 i;

	ix = xcalloc(1, sizeof(*ix));
	ix->owned = 1;
	ix->start = xcalloc(NBUCKETS + 1, sizeof(*ix->start));
	ix->last = xcalloc(NBUCKETS, sizeof(*ix->last));
	for (i = 0; i < n; i++)
		each_bucket(ix, (const unsigned char *)text[i], len[i],
		    (uint32_t)i, count);
	for (i = 0; i < NBUCKETS; i++)
		ix->start[i + 1] += ix->start[i];
	ix->size = ix->start[NBUCKETS];
	ix->lists = xmalloc(ix->size ? ix->size : 1);
	memset(ix->last, 0, NBUCKETS * sizeof(*ix->last));
	for (i = 0; i < n; i++)
		each_bucket(ix, (const unsigned char *)text[i], len[i],
		    (uint32_t)i, fill);
	/* Each start[b] now holds where bucket b ends: shift back. */
	memmove(ix->start + 1, ix->start, NBUCKETS * sizeof(*ix->start));
	ix->start[0] = 0;
	free(ix->last);
	ix->last = NULL;
	return ix;
}

void
trigram_free(struct trigram *ix)
{
	if (ix == NULL)
		return;
	if (ix->owned) {
		free(ix->start);
		free(ix->lists);
	}
	free(ix->last);
	free(ix);
}

void
trigram_save(const struct trigram *ix, struct buf *b)
{
	uint32_t	nb = NBUCKETS;

	buf_add(b, MAGIC, HEADER - sizeof(nb));
	buf_add(b, &nb, sizeof(nb));
	buf_add(b, ix->start, (NBUCKETS + 1) * sizeof(*ix->start));
	buf_add(b, ix->lists, ix->size);
}

/* The index over p[0..len); with all, every bucket's bounds checked
   now (else where they are read: bucket_ok). */
static struct trigram *
load(const uint8_t *p, size_t len, int all)
{
	struct trigram	*ix;
	const uint32_t	*start;
	uint32_t	 nb;
	size_t		 i, head = HEADER + (NBUCKETS + 1) * sizeof(uint32_t);

	if (len < head || memcmp(p, MAGIC, HEADER - sizeof(nb)) != 0 ||
	    ((uintptr_t)p & 3) != 0)
		return NULL;
	memcpy(&nb, p + HEADER - sizeof(nb), sizeof(nb));
	start = (const uint32_t *)(const void *)(p + HEADER);
	if (nb != NBUCKETS || start[0] != 0 || start[NBUCKETS] != len - head)
		return NULL;
	for (i = 0; all && i < NBUCKETS; i++)
		if (start[i] > start[i + 1])
			return NULL;
	ix = xcalloc(1, sizeof(*ix));
	ix->start = (uint32_t *)(uintptr_t)start;
	ix->lists = (uint8_t *)(uintptr_t)(p + head);
	ix->size = len - head;
	return ix;
}

struct trigram *
trigram_load(const uint8_t *p, size_t len)
{
	return load(p, len, 1);
}

struct trigram *
trigram_map(const uint8_t *p, size_t len)
{
	return load(p, len, 0);
}

/* Whether bucket b's list lies within the lists, in order. */
static int
bucket_ok(const struct trigram *ix, uint32_t b)
{
	return ix->start[b] <= ix->start[b + 1] &&
	    ix->start[b + 1] <= ix->size;
}

/* Whether every bucket the k strings s[] read is whole. */
static int
buckets_ok(const struct trigram *ix, const char *const *s, size_t k)
{
	size_t	i, j, len;

	for (i = 0; i < k; i++) {
		len = strlen(s[i]);
		for (j = 0; j + 3 <= len; j++)
			if (!bucket_ok(ix, bucket((const unsigned char *)s[i] +
			    j)))
				return 0;
	}
	return 1;
}

/* A bucket's rows, one at a time: the next, or -1 at the end. */
struct cursor {
	const uint8_t	*p, *end;
	uint32_t	 row;	/* the last row + 1 */
};

static int64_t
next_row(struct cursor *c)
{
	uint32_t	gap = 0;
	int		shift = 0;

	if (c->p == c->end)
		return -1;
	while (c->p < c->end && (*c->p & 0x80)) {
		gap |= (uint32_t)(*c->p++ & 0x7f) << shift;
		shift += 7;
	}
	if (c->p < c->end)
		gap |= (uint32_t)*c->p++ << shift;
	c->row += gap;
	return (int64_t)c->row - 1;
}

static void
cursor_init(const struct trigram *ix, uint32_t b, struct cursor *c)
{
	c->p = ix->lists + ix->start[b];
	c->end = ix->lists + ix->start[b + 1];
	c->row = 0;
}

/* Keep the rows of a[0..*na) that bucket b also holds. */
static void
intersect(const struct trigram *ix, uint32_t b, uint32_t *a, size_t *na)
{
	struct cursor	c;
	int64_t		r;
	size_t		i = 0, k = 0;

	cursor_init(ix, b, &c);
	r = next_row(&c);
	while (i < *na && r != -1) {
		if (a[i] < r)
			i++;
		else if (a[i] > r)
			r = next_row(&c);
		else {
			a[k++] = a[i++];
			r = next_row(&c);
		}
	}
	*na = k;
}

/* The bucket of the shortest list of the strings' trigrams; *min its
   length in bytes, (size_t)-1 when there is no trigram. */
static uint32_t
shortest(const struct trigram *ix, const char *const *s, size_t k,
    size_t *min)
{
	const unsigned char	*p;
	uint32_t		 b, best = 0;
	size_t			 i, j, len;

	*min = (size_t)-1;
	for (i = 0; i < k; i++) {
		p = (const unsigned char *)s[i];
		len = strlen(s[i]);
		for (j = 0; j + 3 <= len; j++) {
			b = bucket(p + j);
			if (ix->start[b + 1] - ix->start[b] < *min) {
				*min = ix->start[b + 1] - ix->start[b];
				best = b;
			}
		}
	}
	return best;
}

size_t
trigram_bound(const struct trigram *ix, const char *const *s, size_t k)
{
	size_t	min;

	if (!buckets_ok(ix, s, k))
		return (size_t)-1;
	(void)shortest(ix, s, k, &min);
	return min;
}

uint32_t *
trigram_find(const struct trigram *ix, const char *const *s, size_t k,
    size_t *n)
{
	const unsigned char	*p;
	struct cursor		 c;
	uint32_t		*out, b, best;
	size_t			 i, j, len, min;
	int64_t			 r;

	*n = 0;
	if (!buckets_ok(ix, s, k))
		return NULL;
	/* The shortest list first: the rest can only remove rows. */
	best = shortest(ix, s, k, &min);
	if (min == (size_t)-1)
		return xcalloc(1, sizeof(*out));
	/* A list holds at most one row a byte. */
	out = xreallocarray(NULL, min ? min : 1, sizeof(*out));
	cursor_init(ix, best, &c);
	while ((r = next_row(&c)) != -1)
		out[(*n)++] = (uint32_t)r;
	for (i = 0; i < k && *n > 0; i++) {
		p = (const unsigned char *)s[i];
		len = strlen(s[i]);
		for (j = 0; j + 3 <= len && *n > 0; j++) {
			b = bucket(p + j);
			if (b != best)
				intersect(ix, b, out, n);
		}
	}
	return out;
}
