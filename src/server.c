/*
 * server.c - connections.  Each one is a state of buffers and one ev_io
 * whose event mask is recomputed from those buffers after every callback
 * (sniproxy's habit): read while the output queue is short, write only
 * while output is queued.  Frames are answered in arrival order, every
 * complete frame in the input before going back to the loop.
 */
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ev.h>

#include "log.h"
#include "proto.h"
#include "server.h"

#define READ_CHUNK	65536
#define OUT_PAUSE	(1u << 20)	/* stop reading above this backlog */
#define ACCEPT_PAUSE	1.0		/* seconds to wait out EMFILE */

struct conn {
	TAILQ_ENTRY(conn)	 entry;
	struct server		*srv;
	ev_io			 io;
	int			 fd;
	int			 eof;		/* peer will send no more */
	struct buf		 in;
	struct buf		 out;
	size_t			 out_off;	/* bytes of out already sent */
};

struct server {
	struct ev_loop		*loop;
	struct query		*query;
	int			 fd;
	ev_io			 accept_io;
	ev_timer		 accept_pause;
	TAILQ_HEAD(, conn)	 conns;
};

static void	conn_cb(struct ev_loop *, ev_io *, int);

static void
conn_close(struct conn *c)
{
	ev_io_stop(c->srv->loop, &c->io);
	TAILQ_REMOVE(&c->srv->conns, c, entry);
	close(c->fd);
	buf_free(&c->in);
	buf_free(&c->out);
	free(c);
}

/* Answer every complete frame; -1 when the peer broke the framing. */
static int
conn_process(struct conn *c)
{
	size_t	off = 0, len;
	int	rc;

	while ((rc = proto_frame_peek(c->in.data + off, c->in.len - off,
	    PROTO_REQ_MAX, &len)) == 1) {
		query_frame(c->srv->query, c->in.data + off + 4, len, &c->out);
		off += 4 + len;
	}
	buf_consume(&c->in, off);
	if (rc == -1) {
		log_debug("fd %d: bad frame length, closing", c->fd);
		return -1;
	}
	return 0;
}

static int
conn_flush(struct conn *c)
{
	ssize_t	n;

	while (c->out_off < c->out.len) {
		n = send(c->fd, c->out.data + c->out_off,
		    c->out.len - c->out_off, MSG_NOSIGNAL);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			return -1;
		}
		c->out_off += (size_t)n;
	}
	buf_reset(&c->out);
	c->out_off = 0;
	return 0;
}

/* Recompute the watcher from the buffers; close when all is done. */
static void
conn_update(struct conn *c)
{
	int	events = 0;

	if (!c->eof && c->out.len - c->out_off < OUT_PAUSE)
		events |= EV_READ;
	if (c->out_off < c->out.len)
		events |= EV_WRITE;
	if (events == 0) {
		conn_close(c);
		return;
	}
	if (events != (c->io.events & (EV_READ | EV_WRITE))) {
		ev_io_stop(c->srv->loop, &c->io);
		ev_io_set(&c->io, c->fd, events);
		ev_io_start(c->srv->loop, &c->io);
	}
}

static void
conn_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct conn	*c = w->data;
	ssize_t		 n;

	(void)loop;
	if (revents & EV_READ) {
		buf_reserve(&c->in, READ_CHUNK);
		n = read(c->fd, c->in.data + c->in.len, c->in.cap - c->in.len);
		if (n == 0)
			c->eof = 1;
		else if (n == -1 && errno != EAGAIN && errno != EINTR) {
			conn_close(c);
			return;
		} else if (n > 0) {
			c->in.len += (size_t)n;
			if (conn_process(c) == -1) {
				conn_close(c);
				return;
			}
		}
	}
	if (conn_flush(c) == -1) {
		conn_close(c);
		return;
	}
	conn_update(c);
}

static int
peer_allowed(int fd)
{
	struct ucred	cr;
	socklen_t	len = sizeof(cr);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) == -1) {
		log_warn("SO_PEERCRED");
		return 0;
	}
	if (cr.uid == geteuid() || cr.uid == 0)
		return 1;
	log_warnx("refused a connection from uid %u (pid %d)",
	    (unsigned)cr.uid, (int)cr.pid);
	return 0;
}

static void
accept_resume(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct server	*srv = w->data;

	(void)revents;
	ev_io_start(loop, &srv->accept_io);
}

static void
accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct server	*srv = w->data;
	struct conn	*c;
	int		 fd;

	(void)revents;
	for (;;) {
		fd = accept4(srv->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EMFILE || errno == ENFILE) {
				/* Out of fds: pause instead of spinning. */
				log_warn("accept");
				ev_io_stop(loop, &srv->accept_io);
				ev_timer_set(&srv->accept_pause, ACCEPT_PAUSE,
				    0.);
				ev_timer_start(loop, &srv->accept_pause);
			} else if (errno != EAGAIN && errno != EWOULDBLOCK)
				log_warn("accept");
			return;
		}
		if (!peer_allowed(fd)) {
			close(fd);
			continue;
		}
		c = xcalloc(1, sizeof(*c));
		c->srv = srv;
		c->fd = fd;
		ev_io_init(&c->io, conn_cb, fd, EV_READ);
		c->io.data = c;
		ev_io_start(loop, &c->io);
		TAILQ_INSERT_TAIL(&srv->conns, c, entry);
	}
}

struct server *
server_new(struct ev_loop *loop, int fd, struct query *q)
{
	struct server	*srv;

	srv = xcalloc(1, sizeof(*srv));
	srv->loop = loop;
	srv->query = q;
	srv->fd = fd;
	TAILQ_INIT(&srv->conns);
	ev_io_init(&srv->accept_io, accept_cb, fd, EV_READ);
	srv->accept_io.data = srv;
	ev_timer_init(&srv->accept_pause, accept_resume, ACCEPT_PAUSE, 0.);
	srv->accept_pause.data = srv;
	ev_io_start(loop, &srv->accept_io);
	return srv;
}

void
server_free(struct server *srv)
{
	if (srv == NULL)
		return;
	ev_io_stop(srv->loop, &srv->accept_io);
	ev_timer_stop(srv->loop, &srv->accept_pause);
	while (!TAILQ_EMPTY(&srv->conns))
		conn_close(TAILQ_FIRST(&srv->conns));
	free(srv);
}
