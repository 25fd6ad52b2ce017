/*
 * server.h - client connections on the listening socket: accept, peer
 * credentials, framing, per-connection buffers and limits, in-order
 * answers.
 */
#ifndef OMG_SERVER_H
#define OMG_SERVER_H

#include "query.h"

struct ev_loop;
struct server;

struct server_limits {
	size_t	conns;		/* connections at once; more are closed */
	size_t	fresh;		/* without a whole first frame; the oldest
				   goes when one more comes */
	size_t	frame;		/* request payload bytes */
	double	first_frame;	/* seconds to send a whole first frame */
	double	gap;		/* seconds of silence inside a frame */
	double	idle;		/* seconds of silence between frames */
	size_t	out_pause;	/* queued output: stop reading, answering */
	size_t	out_max;	/* queued output: close */
	double	write_stall;	/* seconds queued output may sit unsent */
	double	rate;		/* requests per second, token bucket */
	double	burst;
	double	spin;		/* seconds a thread polls a pipelining
				   connection before it sleeps in read */
	size_t	list_loop;	/* bytes of a list answer the loop builds;
				   larger: the connection goes to a thread
				   first */
};

/* Serve listen_fd (non-blocking) on loop, answering through q. */
struct server	*server_new(struct ev_loop *, int, struct query *,
		    const struct server_limits *);
/* fn(arg) is told of each refresh request; answer with server_refreshed. */
void		 server_on_refresh(struct server *, void (*)(void *), void *);
/* To every refresh waiting: a progress message; the answer (query.h). */
void		 server_progress(struct server *, const char *, uint64_t,
		    uint64_t);
void		 server_refreshed(struct server *, int, const char *,
		    uint64_t);
/* To every subscriber: the cache's generation and state now. */
void		 server_event(struct server *);
/*
 * Up to n answer threads (server.c): a connection that has asked twice
 * gets one of its own.  The loop passed to server_new holds the query
 * lock from now on but while it waits for events.
 */
void		 server_threads(struct server *, size_t);
/* Close every connection and stop accepting; the fd stays the caller's. */
void		 server_free(struct server *);

/*
 * Requests whose cost the client decides (query.h QUERY_WORKER) go to
 * work(arg, serial, request, len); the answer frame comes back through
 * server_answer(serial).  cancel(arg, serial) when the client goes first.
 */
void	server_on_work(struct server *, void (*)(void *, uint64_t,
	    const uint8_t *, size_t), void (*)(void *, uint64_t), void *);
void	server_answer(struct server *, uint64_t, const uint8_t *, size_t);

#endif
