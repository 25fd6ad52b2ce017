/*
 * trigram.h - which rows may contain a string: an index of the 3-byte
 * substrings of each row's text, so that a search looks at the few rows
 * that can match instead of all of them.
 *
 * Trigrams are hashed into buckets; a bucket's rows are a superset of the
 * rows holding any one of its trigrams, so candidates are a superset of
 * the rows that hold the string, and the caller checks each.  Rows
 * a list names past the caller's last row (a damaged index) are the
 * caller's to skip.
 */
#ifndef OMG_TRIGRAM_H
#define OMG_TRIGRAM_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define TRIGRAM_MIN	3	/* shorter strings cannot be looked up */

struct trigram;

/*
 * Index n rows: text[i] holds row i's len[i] bytes, fields separated by
 * NUL bytes (trigrams never span a NUL).
 */
struct trigram	*trigram_build(const char *const *, const size_t *, size_t);
void		 trigram_free(struct trigram *);

/*
 * The index as bytes, to keep (appended to b), and an index over such
 * bytes p[0..len), which must outlive it (and be 4-byte aligned): NULL
 * when they are not an index.
 */
void		 trigram_save(const struct trigram *, struct buf *);
struct trigram	*trigram_load(const uint8_t *, size_t);
/*
 * The same over bytes mapped from a file, checked only where a search
 * reads them: trigram_find and trigram_bound then say when those parts
 * are damaged.
 */
struct trigram	*trigram_map(const uint8_t *, size_t);

/*
 * At most how many rows trigram_find would give for the k strings s[]
 * (each at least TRIGRAM_MIN bytes), without reading a list: their
 * shortest list's length in bytes ((size_t)-1: a damaged index).
 */
size_t		 trigram_bound(const struct trigram *, const char *const *,
		    size_t);
/*
 * The rows that may contain every one of the k strings s[] (each at least
 * TRIGRAM_MIN bytes), ascending, in a new array of *n (caller frees), or
 * NULL when the lists they need are damaged (a mapped index).
 */
uint32_t	*trigram_find(const struct trigram *, const char *const *,
		    size_t, size_t *);

#endif
