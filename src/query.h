/*
 * query.h - one request in, one response out: the code the daemon and the
 * embedded client share, so both give the same bytes for the same cache.
 */
#ifndef OMG_QUERY_H
#define OMG_QUERY_H

#include <stddef.h>
#include <stdint.h>

#include "cache.h"
#include "conf.h"
#include "proto.h"
#include "util.h"

struct kept;
struct query_snap;
struct query_locale;
struct searchfile;

struct query {
	struct cache		*cache;
	const struct conf	*conf;
	const char		*mode;		/* "daemon" or "embedded" */
	const char		*cache_path;
	struct query_snap	*snap;		/* search data; query_reset */
	struct kept		*kept;		/* this generation's answers
						   (query_kept); set once */
	const struct searchfile	*sfile;		/* embedded: the search rows
						   mapped from the cache's
						   search file, or NULL */
	int			 unreadable;	/* an answer said the cache
						   (or sfile) cannot be read */
	const char		*state;		/* the daemon's cache state, or
						   NULL: compare stamps */
	uint64_t		 stall_max_us;	/* the daemon's longest stall */
	const struct proto_limits *limits;	/* NULL: proto_req_limits */
	const char		*advisories_path; /* NULL: none */
	struct query_locale	*locales;	/* the searches' locales */
	size_t			 nlocales;
	int			 offload;	/* searches with a regex are the
						   caller's (the daemon's worker) */
	size_t			 loop_rows;	/* with offload: so are those
						   that would look at more rows */
	int			 defer;		/* refresh and subscribe are
						   the caller's (the daemon) */
	/* The daemon's: the cache cannot be read; the advisories file
	   changed since the cache took it in.  Both get hook_arg. */
	void			(*broken)(void *);
	void			(*changed)(void *);
	void			*hook_arg;
	/* Embedded refresh: each progress frame as it comes; NULL: in out. */
	void			(*emit)(void *, const uint8_t *, size_t);
	void			*emit_arg;
};

#define QUERY_ANSWERED	0	/* out has the answer */
#define QUERY_REFRESH	1	/* with defer: out untouched, *id to answer */
#define QUERY_SUBSCRIBE	2	/* likewise */
#define QUERY_WORKER	3	/* with offload: out untouched, the request
				   is for the search worker */

/*
 * Answer the request payload req[0..len) by appending its frame to out
 * (an embedded refresh: its progress frames, then its answer).  *id is
 * the request's id.  Returns QUERY_*.
 */
int	query_frame(struct query *, const uint8_t *, size_t, struct buf *,
	    uint64_t *);
/*
 * query_frame in two: the request payload decoded (pure: it reads only
 * the query's limits, which do not change), then answered.  The caller
 * frees req (proto_req_free).
 */
void	query_decode(const struct query *, const uint8_t *, size_t,
	    struct proto_req *);
int	query_answer(struct query *, const struct proto_req *, struct buf *,
	    uint64_t *);
/*
 * What query_answer would answer without reading the query's state: an
 * error, a ping, or an answer kept in this generation (q->kept, under
 * its own lock), framed into out: 1.  0: none (out untouched), the
 * query's holder answers.  Safe beside the holder (the answer threads).
 */
int	query_kept(struct query *, const struct proto_req *, struct buf *);
/*
 * Lists, whose answers' size the data decides (up to 0.5 MB a list at
 * 100,000 packages): query_listing says whether the request is a list,
 * or a batch of lists and pings; query_listing_bytes, under the query
 * lock, about how large its answer is (0: the generation cannot be read).
 * query_hold, under the lock, holds the generation they are answered
 * from, or NULL when it cannot be read (query_answer then says so);
 * query_answer_held answers from it, framed into out, without the lock
 * (beside the generation swap), and lets it go.
 */
int	query_listing(const struct proto_req *);
size_t	query_listing_bytes(struct query *, const struct proto_req *);
struct query_snap *query_hold(struct query *);
void	query_answer_held(const struct query *, struct query_snap *,
	    const struct proto_req *, struct buf *);
/*
 * Whether the request payload p[0..len) is one whose cost the client
 * decides (a search with a regular expression, or a batch holding one):
 * the daemon's worker answers those, and embedded mode under a budget.
 */
int	query_costly(const uint8_t *, size_t);
/*
 * Whether the request payload p[0..len) asks only what the search rows
 * answer (a search, or a batch of searches and pings): embedded mode
 * then takes them from the search file when it is up to date.
 */
int	query_search_only(const uint8_t *, size_t);
/* Answer with an error of our own (code, msg) to the request payload. */
void	query_refuse(const struct query *, const uint8_t *, size_t, int,
	    const char *, struct buf *);
/* The frames the daemon sends for refresh and subscribe. */
void	query_progress(uint64_t, const char *, uint64_t, uint64_t,
	    struct buf *);
/* Refresh's answer: code 0 and how long it took, or code and msg. */
void	query_refreshed(struct query *, uint64_t, int, const char *,
	    uint64_t, struct buf *);
/* Subscribe's answer, then an event at every change. */
void	query_subscribed(struct query *, uint64_t, struct buf *);
void	query_event(struct query *, struct buf *);
/*
 * Read now what the queries of this generation read once (the search
 * rows and index, the names, the counts): the daemon does it beside its
 * loop, before it serves a new generation.  0, or -1 when the cache
 * cannot be read.
 */
int	query_prepare(struct query *);
/* The search rows and index alone: what the search worker reads. */
int	query_prepare_search(struct query *);
/* Forget what was read from the cache: call after every rebuild. */
void	query_reset(struct query *);
/* Free everything the query holds, before it goes away. */
void	query_done(struct query *);

#endif
