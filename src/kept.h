/*
 * kept.h - the answers kept for the generation being served, by key
 * (a search, an info, a suggest asked again gets the same bytes).  The
 * answer threads read them without the query lock: a read-write lock
 * guards the table alone.  Puts and clears come from whoever holds the
 * query (the daemon's loop, or the one thread it lends the query to).
 */
#ifndef OMG_KEPT_H
#define OMG_KEPT_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define KEPT_MAX	64	/* answers kept at once; the oldest goes */

struct kept;

struct kept	*kept_new(void);
void		 kept_free(struct kept *);
/*
 * The answer kept for key appended to out as the result of id: 1, or 0
 * (none kept; out untouched).  k may be NULL (nothing kept yet).
 */
int		 kept_send(struct kept *, const char *, uint64_t, struct buf *);
/* Whether an answer is kept for key (k may be NULL). */
int		 kept_has(struct kept *, const char *);
/* Keep p[0..n), the CBOR of a result, for key (copied). */
void		 kept_put(struct kept *, const char *, const uint8_t *, size_t);
/* Forget every answer: the generation changed. */
void		 kept_clear(struct kept *);

#endif
