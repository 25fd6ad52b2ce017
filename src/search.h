/*
 * search.h - the search op (pacman -Ss), and what the files op borrows
 * from it: the client's locale and a regex's required literal.
 */
#ifndef OMG_SEARCH_H
#define OMG_SEARCH_H

#include <locale.h>

#include "proto.h"
#include "query.h"
#include "util.h"

/* The answer appended to out: where its result begins in out (query.c
 * keeps it), or 0 for an error. */
size_t	 search_answer(struct query *, const struct proto_req *,
	    struct buf *);
/* The key its answer is kept by (query.c): every parameter, each term
 * with its length.  Caller frees. */
char	*search_key(const struct proto_req *);
/* Whether a search's cost is the client's to decide: a term that is a
 * regex, or not ASCII (the daemon's worker answers those). */
int	 search_costly(const struct proto_req *);
/*
 * Whether a search would look at more rows than the daemon's loop may
 * (the daemon's worker answers those): not for a generation not read
 * beforehand, nor for an answer kept.
 */
int	 search_heavy(const struct query *, const struct proto_req *);
/*
 * The locale named (LC_CTYPE, LC_COLLATE), loaded once and kept; C for
 * NULL or a name this machine lacks.  *clocale is 1 for C and POSIX.
 */
locale_t search_locale(struct query *, const char *, int *);
/*
 * The longest run of plain characters (lower case, at least three) that
 * a text the regex re matches must hold, or NULL.  Caller frees.
 */
char	*search_required_run(const char *);
/* Read the rows and what is worked out of them once, now. 0 or -1. */
int	 search_prepare(struct query *);
/* Free the locales the searches loaded. */
void	 search_done(struct query *);

#endif
