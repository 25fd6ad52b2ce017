/*
 * worker.h - the search worker: a process beside the daemon's loop that
 * answers the requests whose cost the client decides (a search with a
 * regular expression), within a budget of CPU time and memory.
 *
 * The daemon side queues requests, one in the worker at a time, and hands
 * each answer frame to done(arg, serial, frame, len).  A request over its
 * CPU budget, or whose worker dies, is answered with PROTO_E_EXPENSIVE
 * and the worker is replaced; nothing in the daemon waits for it.
 */
#ifndef OMG_WORKER_H
#define OMG_WORKER_H

#include <stddef.h>
#include <stdint.h>

#include <ev.h>

#include "proto.h"
#include "query.h"

struct worker;

typedef void	(*worker_done_fn)(void *, uint64_t, const uint8_t *, size_t);

/*
 * self is omg's executable (run as omg --search-worker ...); q answers
 * the errors the daemon gives itself.  Never fails: the process starts
 * with the first request.
 */
struct worker	*worker_new(struct ev_loop *, const char *, const char *,
		    const char *, struct query *, double, double,
		    worker_done_fn, void *);
/* Answer request req[0..len) for serial, after those before it. */
void		 worker_submit(struct worker *, uint64_t, const uint8_t *,
		    size_t);
/* The client of serial is gone: drop its request, stop it if running. */
void		 worker_cancel(struct worker *, uint64_t);
/* A new cache generation (or pacman.conf): a worker that has run is
   replaced now, by one that reads it before any request comes; else the
   next request starts one. */
void		 worker_restart(struct worker *);
void		 worker_free(struct worker *);

/* omg --search-worker --config C --cache P --cpu S --memory B */
int		 worker_main(int, char **);

#endif
