/*
 * suggest.h - the suggest op: names for shell completion.
 */
#ifndef OMG_SUGGEST_H
#define OMG_SUGGEST_H

#include "proto.h"
#include "query.h"
#include "util.h"

/* The key its answer is kept by (query.c).  Caller frees. */
char		*suggest_key(const struct proto_req *);
/* The answer appended to out: where its result begins in out (query.c
   keeps it), or 0 for an error. */
size_t		suggest_answer(struct query *, const struct proto_req *,
		    struct buf *);
/*
 * Up to limit names near query (prefix, then edit distance: of whole
 * names with whole, else of prefixes) added to out.  0, or -1 when the
 * names cannot be read.
 */
int		suggest_names(struct query *, const char *, size_t, int,
		    struct strv *);
/*
 * Case-insensitive optimal string alignment distance between a and the
 * best-fitting prefix of b (lengths |a|-1 .. |a|+1).  For tests.
 */
unsigned	suggest_fuzzy(const char *, const char *);

#endif
