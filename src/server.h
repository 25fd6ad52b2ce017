/*
 * server.h - client connections on the listening socket: accept, peer
 * credentials, framing, per-connection buffers, in-order answers.
 */
#ifndef OMG_SERVER_H
#define OMG_SERVER_H

#include "query.h"

struct ev_loop;
struct server;

/* Serve listen_fd (non-blocking) on loop, answering through q. */
struct server	*server_new(struct ev_loop *, int, struct query *);
/* Close every connection and stop accepting; the fd stays the caller's. */
void		 server_free(struct server *);

#endif
