/*
 * answer.h - the client commands' common ground: ask one request, read
 * the answer's fields, print it in pacman's colours or as JSON.
 */
#ifndef OMG_ANSWER_H
#define OMG_ANSWER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "client.h"
#include "proto.h"
#include "util.h"

/*
 * pacman's palette (src/pacman/conf.c), so that colour output matches
 * pacman --color always byte for byte.  Empty strings when colour is off.
 */
struct palette {
	const char	*title, *repo, *version, *groups, *meta, *off;
	const char	*err, *warn;	/* pacman's "error: ", "warning: " */
};

extern const struct palette	 answer_colour, answer_plain;
extern const struct palette	*answer_pal;	/* the one in use */
#define PAL	answer_pal

/* One line on stderr ("omg: ... (see omg --help)"): returns EXIT_USAGE. */
int	 answer_usage(const char *, ...)
	    __attribute__((format(printf, 1, 2)));

/* JSON: a string of bytes (any byte that is not UTF-8 as a lone
 * surrogate \udcXX, as Python's surrogateescape), a decoded node. */
void	 answer_json_str(struct buf *, const char *, size_t);
uint32_t answer_json_value(struct buf *, const struct pv_doc *, uint32_t);
void	 answer_json(const struct pv_doc *, uint32_t);

struct answer {
	struct buf	 raw;
	struct pv_doc	 doc;
	uint32_t	 result;	/* node of "result" */
};

/* The exit status for a protocol error code. */
int	 answer_exit(int);
/* The error an answer holds, said in one line: its exit status. */
int	 answer_error(const struct pv_doc *);
/*
 * Send the request and check the response: 0 with a->result set, or an
 * exit status after printing one line.
 */
int	 answer_ask(struct client_opts *, struct buf *, struct answer *);
/*
 * As answer_ask, but an error answer is the caller's to say: -1 with its
 * code and message (in the answer: until answer_free).  With o->quiet,
 * no word when there is no answer at all.
 */
int	 answer_ask_for(struct client_opts *, struct buf *, struct answer *,
	    int *, const char **, size_t *);
void	 answer_free(struct answer *);

/* Field helpers over a result map. */
const char	*answer_str_of(const struct pv *, char *, size_t);
char		*answer_field(const struct pv_doc *, uint32_t, const char *);
int64_t		 answer_num(const struct pv_doc *, uint32_t, const char *);
/* Join an array of strings with sep into b; none when empty. */
void		 answer_join(struct buf *, const struct pv_doc *,
		    const struct pv *, const char *, const char *);
/* --limit N with 1 <= N <= max; else a usage error. */
int		 answer_limit(const char *, long, uint64_t *);

#endif
