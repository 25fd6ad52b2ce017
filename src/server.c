/*
 * server.c - connections.  Each one is a state of buffers and one ev_io
 * whose event mask is recomputed from those buffers after every callback
 * (sniproxy's habit): read and answer while the output queue is short,
 * write only while output is queued.  Frames are answered in arrival
 * order, every complete frame in the input before going back to the loop,
 * unless the output queue is full: then the rest waits, unread and
 * unanswered, until the peer reads.  So a connection holds at most one
 * read's worth of input and out_pause plus one answer of output.
 *
 * One timer, running only while there are connections, closes those past
 * a deadline: first frame, gap inside a frame, idle, write stall.
 *
 * Refresh and subscribe are answered later, from the daemon: a refresh's
 * id waits on its connection for progress and the answer; a subscriber
 * gets every event.  Those messages are queued like answers, under the
 * same output limits, and never close a connection from outside its own
 * callback: they only make sure it will be written.
 *
 * Answer threads (server_threads): a connection that has asked twice (a
 * client that keeps it), or asked for a list larger than lim.list_loop
 * (lent: its size is the data's), gets a thread of its own, which reads,
 * answers and writes it with blocking calls, the way a forked echo server
 * does, its deadlines kept as socket timeouts; so many clients are served
 * on as many CPUs (while a client is hot, its thread polls before it
 * sleeps: thread_read).  Only the answering itself is one at a time: the
 * query lock, which the daemon's loop holds whenever it is not waiting
 * for events (ev_set_loop_release_cb), so that nothing of the query (its
 * snapshot, cache connection, state) changes under an answer; a list is
 * copied outside it, from the generation the thread holds.  A request a
 * thread cannot answer (subscribe, refresh, a search for the worker)
 * sends its connection back to the loop, unanswered, through a locked
 * inbox and an ev_async; only a list lends it a thread again.  The
 * daemon's loop must poll with poll(2) (see conn_thread).
 */
#include <sys/ioctl.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ev.h>

#include "log.h"
#include "proto.h"
#include "server.h"

#define READ_CHUNK	65536
#define ACCEPT_PAUSE	1.0	/* seconds to wait out EMFILE */
#define SWEEP		0.25	/* seconds between deadline checks */
#define REFRESH_MAX	8	/* refreshes waiting on one connection */
#define SETTLED		2	/* frames answered before a connection gets
				   a thread */
#define THREAD_STACK	(1u << 20)
#define HOT_SPINS	3	/* a request within 3 x answer_spin_us of
				   its answer: the thread polls next time */

/* What the answers of every thread are serialized on (see above). */
static pthread_mutex_t	query_lock = PTHREAD_MUTEX_INITIALIZER;

struct conn {
	TAILQ_ENTRY(conn)	 entry;
	struct server		*srv;
	ev_io			 io;
	int			 fd;
	int			 eof;		/* peer will send no more */
	int			 fresh;		/* no whole frame yet */
	ev_tstamp		 born;
	ev_tstamp		 heard;		/* last bytes read */
	ev_tstamp		 wrote;		/* last write progress */
	double			 tokens;	/* rate limit */
	ev_tstamp		 filled;
	struct buf		 in;
	struct buf		 out;
	size_t			 out_off;	/* bytes of out already sent */
	int			 subscribed;
	uint64_t		 serial;	/* names it to the search worker */
	int			 waiting;	/* for the worker's answer: no
						   frame after it is taken */
	uint64_t		 refresh[REFRESH_MAX];	/* waiting ids */
	size_t			 nrefresh;
	uint64_t		 answered;	/* frames */
	int			 stays;		/* came back from a thread */
	int			 lend;		/* a list waits in the input
						   for a thread */
	int			 here;		/* no thread was free: the
						   loop answers it */
	uint64_t		 sent;		/* its thread's last answer
						   written (now_usec) */
};

struct server {
	struct ev_loop		*loop;
	struct query		*query;
	struct server_limits	 lim;
	int			 fd;
	ev_io			 accept_io;
	ev_timer		 accept_pause;
	ev_timer		 sweep;
	TAILQ_HEAD(, conn)	 conns;
	size_t			 nconns;
	size_t			 nfresh;
	void			(*refresh_fn)(void *);
	void			*refresh_arg;
	uint64_t		 next_serial;
	void			(*work_fn)(void *, uint64_t, const uint8_t *,
				    size_t);
	void			(*cancel_fn)(void *, uint64_t);
	void			*work_arg;
	size_t			 total;		/* connections, threads' too
						   (atomic) */
	/* Answer threads: their connections, and those sent back. */
	size_t			 threads_max;
	pthread_mutex_t		 threads_mu;
	pthread_cond_t		 threads_cv;
	TAILQ_HEAD(, conn)	 threaded;
	size_t			 nthreaded;	/* threads, and reserved */
	TAILQ_HEAD(, conn)	 handoff;	/* waiting for theirs */
	ev_idle			 handoff_idle;
	ev_check		 handoff_check;
	int			 stopping;	/* atomic */
	ev_async		 inbox_w;
	pthread_mutex_t		 inbox_mu;
	TAILQ_HEAD(, conn)	 inbox;
};

static size_t
pending(const struct conn *c)
{
	return c->out.len - c->out_off;
}

/* c on the loop's list (its watcher the caller's); the sweep runs while
   there is one. */
static void
conn_attach(struct conn *c)
{
	struct server	*srv = c->srv;

	TAILQ_INSERT_TAIL(&srv->conns, c, entry);
	if (srv->nconns++ == 0)
		ev_timer_again(srv->loop, &srv->sweep);
}

/* c off the loop: its watcher stopped, off the list. */
static void
conn_detach(struct conn *c)
{
	struct server	*srv = c->srv;

	ev_io_stop(srv->loop, &c->io);
	TAILQ_REMOVE(&srv->conns, c, entry);
	if (--srv->nconns == 0)
		ev_timer_stop(srv->loop, &srv->sweep);
}

/* The fd closed and the memory freed, wherever c was. */
static void
conn_free(struct conn *c)
{
	close(c->fd);
	buf_free(&c->in);
	buf_free(&c->out);
	free(c);
}

static void
conn_close(struct conn *c, const char *why)
{
	struct server	*srv = c->srv;

	if (why != NULL)
		log_debug("fd %d: closing: %s", c->fd, why);
	if (c->waiting && srv->cancel_fn != NULL)
		srv->cancel_fn(srv->work_arg, c->serial);
	conn_detach(c);
	__atomic_sub_fetch(&srv->total, 1, __ATOMIC_RELAXED);
	if (c->fresh)
		srv->nfresh--;
	conn_free(c);
}

/* One token per request; refilled at rate, up to burst. */
static int
conn_allowed(struct conn *c, ev_tstamp now)
{
	const struct server_limits	*l = &c->srv->lim;

	c->tokens += (now - c->filled) * l->rate;
	if (c->tokens > l->burst)
		c->tokens = l->burst;
	c->filled = now;
	if (c->tokens < 1.0)
		return 0;
	c->tokens -= 1.0;
	return 1;
}

/* Whether a list asked on the loop may go to a thread first (lent):
   with threads, unless the loop must follow the connection. */
static int
conn_lends(const struct conn *c)
{
	return c->srv->threads_max > 0 && !c->here && !c->subscribed &&
	    c->nrefresh == 0;
}

/* Answer the request payload p[0..len): 0, or 1 when it is lent (a list,
   left in the input for the connection's thread to answer). */
static int
conn_request(struct conn *c, const uint8_t *p, size_t len)
{
	struct server		*srv = c->srv;
	struct proto_req	 req;
	uint64_t		 id;
	int			 rc;

	query_decode(srv->query, p, len, &req);
	if (conn_lends(c) && query_listing(&req) &&
	    query_listing_bytes(srv->query, &req) > srv->lim.list_loop) {
		proto_req_free(&req);
		c->lend = 1;
		return 1;
	}
	rc = query_answer(srv->query, &req, &c->out, &id);
	proto_req_free(&req);
	switch (rc) {
	case QUERY_SUBSCRIBE:
		c->subscribed = 1;
		query_subscribed(srv->query, id, &c->out);
		break;
	case QUERY_WORKER:
		/* Off the loop; this connection's next frames wait for it,
		   so its answers keep their order. */
		if (srv->work_fn == NULL) {
			query_refuse(srv->query, p, len, PROTO_E_INTERNAL,
			    "no search worker", &c->out);
			break;
		}
		c->waiting = 1;
		srv->work_fn(srv->work_arg, c->serial, p, len);
		break;
	case QUERY_REFRESH:
		if (srv->refresh_fn == NULL) {
			query_refuse(srv->query, p, len, PROTO_E_NODAEMON,
			    "no rebuilder here", &c->out);
			break;
		}
		if (c->nrefresh == REFRESH_MAX) {
			query_refuse(srv->query, p, len, PROTO_E_PARAMS,
			    "too many refreshes waiting on this connection",
			    &c->out);
			break;
		}
		c->refresh[c->nrefresh++] = id;
		srv->refresh_fn(srv->refresh_arg);
		break;
	}
	return 0;
}

/*
 * Answer the complete frames in the input while the output queue has
 * room; -1 when the peer broke the framing.
 */
static int
conn_process(struct conn *c)
{
	struct server	*srv = c->srv;
	ev_tstamp	 now = ev_now(srv->loop);
	size_t		 off = 0, len;
	int		 rc = 0;

	while (!c->waiting && !c->lend && pending(c) < srv->lim.out_pause &&
	    (rc = proto_frame_peek(c->in.data + off, c->in.len - off,
	    srv->lim.frame, &len)) == 1) {
		if (c->fresh) {
			c->fresh = 0;
			srv->nfresh--;
		}
		if (!conn_allowed(c, now))
			query_refuse(srv->query, c->in.data + off + 4, len,
			    PROTO_E_RATE, "rate limited: slow down", &c->out);
		else if (conn_request(c, c->in.data + off + 4, len) == 1) {
			c->tokens += 1.0;	/* the thread's to take */
			break;
		}
		c->here = 0;
		c->answered++;
		off += 4 + len;
	}
	buf_consume(&c->in, off);
	return rc == -1 ? -1 : 0;
}

/*
 * Send what is queued: 0 when all is sent, or (not blocking) the socket
 * is full and the rest waits; -1 on an error, or (blocking: a thread's,
 * SO_SNDTIMEO) when the peer stopped reading for write_stall.
 */
static int
conn_flush(struct conn *c, int blocking)
{
	ssize_t	n;

	while (c->out_off < c->out.len) {
		n = send(c->fd, c->out.data + c->out_off, pending(c),
		    MSG_NOSIGNAL);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return blocking ? -1 : 0;
			return -1;
		}
		c->out_off += (size_t)n;
		if (!blocking)
			c->wrote = ev_now(c->srv->loop);
	}
	buf_reset(&c->out);
	c->out_off = 0;
	return 0;
}

/*
 * Recompute the watcher from the buffers; close when all is done.
 * Returns -1 when the connection is gone.
 */
static int
conn_update(struct conn *c)
{
	const struct server_limits	*l = &c->srv->lim;
	int				 events = 0;

	if (pending(c) > l->out_max) {
		conn_close(c, "output over the limit");
		return -1;
	}
	/* Read while there is room to answer what comes. */
	if (!c->eof && pending(c) < l->out_pause &&
	    c->in.len < l->frame + 4)
		events |= EV_READ;
	if (pending(c) > 0)
		events |= EV_WRITE;
	if (events == 0 && c->nrefresh == 0 && !c->waiting) {
		/* EOF and everything answered and sent, or no room left. */
		if (c->eof || c->in.len == 0) {
			conn_close(c, NULL);
			return -1;
		}
	}
	if (events != (c->io.events & (EV_READ | EV_WRITE))) {
		ev_io_stop(c->srv->loop, &c->io);
		ev_io_set(&c->io, c->fd, events);
		if (events != 0)
			ev_io_start(c->srv->loop, &c->io);
	}
	return 0;
}

static int	conn_thread(struct conn *);

/*
 * Answer what came, send what is answered, and again what waited.  A
 * list is lent: once what came before it is sent, its connection goes to
 * a thread, which answers it; when no thread is free, the loop does.
 */
static void
conn_work(struct conn *c)
{
	for (;;) {
		if (conn_process(c) == -1) {
			conn_close(c, "bad frame length");
			return;
		}
		if (conn_flush(c, 0) == -1) {
			conn_close(c, "write error");
			return;
		}
		/* Room again after writing: answer what waited. */
		if (c->in.len > 0 && conn_process(c) == -1) {
			conn_close(c, "bad frame length");
			return;
		}
		if (!c->lend || pending(c) > 0)
			break;
		c->lend = 0;
		if (conn_thread(c) == 0)
			return;
		c->here = 1;
	}
	/* A client that keeps its connection, nothing of it waiting on
	   the loop: a thread of its own from now on. */
	if (c->srv->threads_max > 0 && !c->stays && !c->fresh && !c->eof &&
	    !c->subscribed && !c->waiting && c->nrefresh == 0 &&
	    pending(c) == 0 && c->answered >= SETTLED && conn_thread(c) == 0)
		return;
	(void)conn_update(c);
}

static void
conn_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct conn	*c = w->data;
	ssize_t		 n;

	if (revents & EV_READ) {
		buf_reserve(&c->in, READ_CHUNK);
		n = read(c->fd, c->in.data + c->in.len, READ_CHUNK);
		if (n == 0)
			c->eof = 1;
		else if (n == -1 && errno != EAGAIN && errno != EINTR) {
			conn_close(c, "read error");
			return;
		} else if (n > 0) {
			c->in.len += (size_t)n;
			c->heard = ev_now(loop);
		}
	}
	conn_work(c);
}

static void
sweep_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct server			*srv = w->data;
	const struct server_limits	*l = &srv->lim;
	struct conn			*c, *next;
	ev_tstamp			 now = ev_now(loop);

	(void)revents;
	for (c = TAILQ_FIRST(&srv->conns); c != NULL; c = next) {
		next = TAILQ_NEXT(c, entry);
		if (pending(c) > l->out_max)
			/* Events and progress pile up on a peer that does
			   not read: its own callback may never run again. */
			conn_close(c, "output over the limit");
		else if (c->fresh && now - c->born > l->first_frame)
			conn_close(c, "no first frame in time");
		else if (c->in.len > 0 && pending(c) == 0 && !c->waiting &&
		    now - c->heard > l->gap)
			conn_close(c, "silent inside a frame");
		else if (pending(c) > 0 && now - c->wrote > l->write_stall)
			conn_close(c, "peer stopped reading");
		else if (c->in.len == 0 && pending(c) == 0 &&
		    !c->subscribed && c->nrefresh == 0 && !c->waiting &&
		    now - c->heard > l->idle)
			conn_close(c, "idle");
	}
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

/* Has the peer sent anything: read by us, or waiting to be? */
static int
sent_something(const struct conn *c)
{
	int	n;

	return c->in.len > 0 || (ioctl(c->fd, FIONREAD, &n) == 0 && n > 0);
}

static void
accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct server	*srv = w->data;
	struct conn	*c, *old;
	const char	*why;
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
		if (__atomic_load_n(&srv->total, __ATOMIC_RELAXED) >=
		    srv->lim.conns) {
			log_debug("over %zu connections: closing a new one",
			    srv->lim.conns);
			close(fd);
			continue;
		}
		if (srv->nfresh >= srv->lim.fresh) {
			/* Room for the new one: the oldest that has sent
			   nothing, else the oldest still sending its first
			   frame (omg.conf(5)). */
			why = "the oldest that sent nothing";
			TAILQ_FOREACH(old, &srv->conns, entry)
				if (old->fresh && !sent_something(old))
					break;
			if (old == NULL) {
				why = "the oldest without a whole frame";
				TAILQ_FOREACH(old, &srv->conns, entry)
					if (old->fresh)
						break;
			}
			if (old != NULL)
				conn_close(old, why);
		}
		c = xcalloc(1, sizeof(*c));
		c->srv = srv;
		c->fd = fd;
		c->fresh = 1;
		c->serial = ++srv->next_serial;
		c->born = c->heard = c->wrote = c->filled = ev_now(loop);
		c->tokens = srv->lim.burst;
		ev_io_init(&c->io, conn_cb, fd, EV_READ);
		c->io.data = c;
		ev_io_start(loop, &c->io);
		conn_attach(c);
		__atomic_add_fetch(&srv->total, 1, __ATOMIC_RELAXED);
		srv->nfresh++;
	}
}

/* Answer threads */

static void
set_timeout(int fd, int opt, double secs)
{
	struct timeval	tv;

	tv.tv_sec = (time_t)secs;
	tv.tv_usec = (suseconds_t)((secs - (double)tv.tv_sec) * 1e6);
	if (tv.tv_sec == 0 && tv.tv_usec == 0)
		tv.tv_usec = 1;
	(void)setsockopt(fd, SOL_SOCKET, opt, &tv, sizeof(tv));
}

static void
set_blocking(int fd, int on)
{
	int	fl = fcntl(fd, F_GETFL);

	if (fl != -1)
		(void)fcntl(fd, F_SETFL, on ? fl & ~O_NONBLOCK :
		    fl | O_NONBLOCK);
}

/* The query lock taken by a thread; how long it held it is the daemon's
   measure too (status: loop_stall_max_us): the loop waited that long if
   it woke meanwhile. */
static uint64_t
thread_lock(void)
{
	pthread_mutex_lock(&query_lock);
	return now_usec();
}

static void
thread_unlock(struct conn *c, uint64_t t0)
{
	uint64_t	took = now_usec() - t0;

	if (took > c->srv->query->stall_max_us)
		c->srv->query->stall_max_us = took;
	pthread_mutex_unlock(&query_lock);
}

/*
 * Answer req on c's thread: 0, or 1 when it is for the loop (out
 * untouched).  Outside the lock: the answers that read nothing of the
 * query's (an error, a ping, one kept), and a list, from the generation
 * held; only the others are answered one at a time.
 */
static int
thread_answer(struct conn *c, const struct proto_req *req)
{
	struct query		*q = c->srv->query;
	struct query_snap	*held = NULL;
	uint64_t		 t0, id;
	int			 rc;

	if (query_kept(q, req, &c->out))
		return 0;
	if (query_listing(req)) {
		t0 = thread_lock();
		held = query_hold(q);
		thread_unlock(c, t0);
	}
	if (held != NULL) {
		query_answer_held(q, held, req, &c->out);
		return 0;
	}
	t0 = thread_lock();
	rc = query_answer(q, req, &c->out, &id);
	thread_unlock(c, t0);
	return rc != QUERY_ANSWERED;	/* then out is untouched */
}

/*
 * The complete frames in the input answered in order, as conn_process
 * does, up to out_pause of output: 1 when one is for the loop (left in
 * the input), -1 when the peer broke the framing.
 */
static int
thread_process(struct conn *c)
{
	struct server		*srv = c->srv;
	struct proto_req	 req;
	size_t			 off = 0, len;
	int			 rc, r = 0;

	while (pending(c) < srv->lim.out_pause &&
	    (rc = proto_frame_peek(c->in.data + off, c->in.len - off,
	    srv->lim.frame, &len)) == 1) {
		if (!conn_allowed(c, ev_time()))
			query_refuse(srv->query, c->in.data + off + 4, len,
			    PROTO_E_RATE, "rate limited: slow down", &c->out);
		else {
			query_decode(srv->query, c->in.data + off + 4, len,
			    &req);
			if ((r = thread_answer(c, &req)) == 1)
				c->tokens += 1.0;	/* the loop's */
			proto_req_free(&req);
		}
		if (r == 1)
			break;
		c->answered++;
		off += 4 + len;
	}
	buf_consume(&c->in, off);
	return rc == -1 ? -1 : r;
}

/*
 * Read what c's peer sent, as a blocking read (its deadline SO_RCVTIMEO).
 * While the peer is hot, poll for up to lim.spin first: a client that
 * pipelines, or asks again within HOT_SPINS x lim.spin of its answer (a
 * program in a loop), sends the next within microseconds, and a sleep
 * and wakeup on both sides costs more than that.  The first poll that
 * finds nothing ends it, until the client is hot again: one that asks
 * now and then (a status bar, an editor) never has its thread poll.
 */
static ssize_t
thread_read(struct conn *c, int *hot)
{
	uint64_t	until, spin = (uint64_t)(c->srv->lim.spin * 1e6);
	ssize_t		n;

	buf_reserve(&c->in, READ_CHUNK);
	if (*hot && spin > 0) {
		until = now_usec() + spin;
		do {
			n = recv(c->fd, c->in.data + c->in.len, READ_CHUNK,
			    MSG_DONTWAIT);
			if (n != -1 || (errno != EAGAIN &&
			    errno != EWOULDBLOCK))
				return n;
		} while (now_usec() < until);
		*hot = 0;
	}
	n = read(c->fd, c->in.data + c->in.len, READ_CHUNK);
	if (n > 0 && c->sent != 0 && now_usec() - c->sent <= HOT_SPINS * spin)
		*hot = 1;
	return n;
}

/* The thread is done with c: closed, or sent back to the loop. */
static void
thread_end(struct conn *c, int back, const char *why)
{
	struct server	*srv = c->srv;

	if (!back) {
		if (why != NULL)
			log_debug("fd %d: closing: %s", c->fd, why);
		__atomic_sub_fetch(&srv->total, 1, __ATOMIC_RELAXED);
	} else
		set_blocking(c->fd, 0);
	pthread_mutex_lock(&srv->threads_mu);
	TAILQ_REMOVE(&srv->threaded, c, entry);
	if (back) {
		pthread_mutex_lock(&srv->inbox_mu);
		TAILQ_INSERT_TAIL(&srv->inbox, c, entry);
		pthread_mutex_unlock(&srv->inbox_mu);
		ev_async_send(srv->loop, &srv->inbox_w);
	} else {
		/* Under the lock: a number the loop might shut down. */
		conn_free(c);
	}
	srv->nthreaded--;
	pthread_cond_signal(&srv->threads_cv);
	pthread_mutex_unlock(&srv->threads_mu);	/* srv may go from here */
}

/* A connection's thread: read, answer, write, until it is done. */
static void *
thread_main(void *arg)
{
	struct conn		*c = arg;
	const struct server_limits	*l = &c->srv->lim;
	const char		*why = NULL;
	ssize_t			 n;
	size_t			 len;
	uint64_t		 before;
	int			 rc, hot = 0;

	for (;;) {
		before = c->answered;
		if ((rc = thread_process(c)) == -1) {
			why = "bad frame length";
			break;
		}
		if (c->answered - before > 1)
			hot = 1;	/* frames came faster than answers */
		if (pending(c) > l->out_max) {
			why = "output over the limit";
			break;
		}
		if (pending(c) > 0 && conn_flush(c, 1) == 0)
			c->sent = now_usec();
		else if (pending(c) > 0) {
			why = "peer stopped reading";
			break;
		}
		if (rc == 1) {
			thread_end(c, 1, NULL);
			return NULL;
		}
		if (proto_frame_peek(c->in.data, c->in.len, l->frame,
		    &len) == 1)
			continue;	/* what waited for room */
		if (c->eof)
			break;
		n = thread_read(c, &hot);
		if (n > 0) {
			c->in.len += (size_t)n;
			c->heard = ev_time();
		} else if (n == 0)
			c->eof = 1;
		else if (errno == EAGAIN || errno == EWOULDBLOCK) {
			/* SO_RCVTIMEO: the deadlines sweep_cb keeps */
			if (c->in.len > 0 && ev_time() - c->heard > l->gap) {
				why = "silent inside a frame";
				break;
			}
			if (c->in.len == 0 && ev_time() - c->heard > l->idle) {
				why = "idle";
				break;
			}
		} else if (errno != EINTR) {
			why = "read error";
			break;
		}
	}
	thread_end(c, 0, why);
	return NULL;
}

/* Start c's thread: 0, or -1 (it is the loop's again, in blocking mode
   no more). */
static int
thread_start(struct conn *c)
{
	struct server	*srv = c->srv;
	pthread_attr_t	 attr;
	pthread_t	 t;
	sigset_t	 all, old;
	int		 rc;

	set_blocking(c->fd, 1);
	set_timeout(c->fd, SO_RCVTIMEO, srv->lim.gap < srv->lim.idle ?
	    srv->lim.gap : srv->lim.idle);
	set_timeout(c->fd, SO_SNDTIMEO, srv->lim.write_stall);
	pthread_mutex_lock(&srv->threads_mu);
	TAILQ_INSERT_TAIL(&srv->threaded, c, entry);
	/* Signals are the loop's: none is delivered to the thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, THREAD_STACK);
	rc = pthread_create(&t, &attr, thread_main, c);
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0)
		TAILQ_REMOVE(&srv->threaded, c, entry);
	pthread_mutex_unlock(&srv->threads_mu);
	if (rc != 0) {
		set_blocking(c->fd, 0);
		return -1;
	}
	return 0;
}

/* A thread reserved for a connection that will not have it. */
static void
thread_unreserve(struct server *srv)
{
	pthread_mutex_lock(&srv->threads_mu);
	srv->nthreaded--;
	pthread_cond_signal(&srv->threads_cv);
	pthread_mutex_unlock(&srv->threads_mu);
}

/*
 * Queue c for a thread of its own; -1 when it stays on the loop.  The
 * thread starts at the loop's next check (handoff_cb): libev takes a
 * stopped watcher's fd out of the set it polls only when the loop comes
 * round, and it must be out before another thread may close that fd (so
 * the loop polls with poll(2), which keeps no set in the kernel: see
 * daemon.c).
 */
static int
conn_thread(struct conn *c)
{
	struct server	*srv = c->srv;
	int		 full;

	pthread_mutex_lock(&srv->threads_mu);
	if (!(full = srv->nthreaded >= srv->threads_max ||
	    __atomic_load_n(&srv->stopping, __ATOMIC_ACQUIRE)))
		srv->nthreaded++;
	pthread_mutex_unlock(&srv->threads_mu);
	if (full)
		return -1;
	conn_detach(c);
	TAILQ_INSERT_TAIL(&srv->handoff, c, entry);
	/* The idle watcher keeps the loop from sleeping until then. */
	ev_idle_start(srv->loop, &srv->handoff_idle);
	ev_check_start(srv->loop, &srv->handoff_check);
	return 0;
}

static void
handoff_idle(struct ev_loop *loop, ev_idle *w, int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
}

/* c the loop's again, for good (no thread for it, or its thread sent it
   back): its watcher, stopped when it left, set from its buffers. */
static void
conn_stay(struct conn *c)
{
	c->stays = 1;
	ev_io_set(&c->io, c->fd, 0);
	conn_attach(c);
	conn_work(c);
}

/* After the loop came round (those fds out of its set): the threads. */
static void
handoff_cb(struct ev_loop *loop, ev_check *w, int revents)
{
	struct server	*srv = w->data;
	struct conn	*c;

	(void)revents;
	ev_idle_stop(loop, &srv->handoff_idle);
	ev_check_stop(loop, &srv->handoff_check);
	while ((c = TAILQ_FIRST(&srv->handoff)) != NULL) {
		TAILQ_REMOVE(&srv->handoff, c, entry);
		if (thread_start(c) == 0)
			continue;
		thread_unreserve(srv);
		conn_stay(c);
	}
}

/* On the loop: connections a thread sent back, served here for good. */
static void
inbox_cb(struct ev_loop *loop, ev_async *w, int revents)
{
	struct server		*srv = w->data;
	struct conn		*c;
	TAILQ_HEAD(, conn)	 got = TAILQ_HEAD_INITIALIZER(got);

	(void)loop;
	(void)revents;
	pthread_mutex_lock(&srv->inbox_mu);
	TAILQ_CONCAT(&got, &srv->inbox, entry);
	pthread_mutex_unlock(&srv->inbox_mu);
	while ((c = TAILQ_FIRST(&got)) != NULL) {
		TAILQ_REMOVE(&got, c, entry);
		conn_stay(c);
	}
}

/* The daemon's loop holds the query lock but while it waits for events. */
static void
loop_release(struct ev_loop *loop)
{
	(void)loop;
	pthread_mutex_unlock(&query_lock);
}

static void
loop_acquire(struct ev_loop *loop)
{
	(void)loop;
	pthread_mutex_lock(&query_lock);
}

void
server_threads(struct server *srv, size_t n)
{
	if (n == 0 || srv->threads_max > 0)
		return;
	srv->threads_max = n;
	/* From here the loop holds the lock, but while it waits. */
	pthread_mutex_lock(&query_lock);
	ev_set_loop_release_cb(srv->loop, loop_release, loop_acquire);
}

/* Every thread's connection shut down, and the threads gone (the loop
   lets the query lock go for them to finish an answer). */
static void
threads_stop(struct server *srv)
{
	struct conn	*c;

	if (srv->threads_max == 0)
		return;
	__atomic_store_n(&srv->stopping, 1, __ATOMIC_RELEASE);
	ev_idle_stop(srv->loop, &srv->handoff_idle);
	ev_check_stop(srv->loop, &srv->handoff_check);
	while ((c = TAILQ_FIRST(&srv->handoff)) != NULL) {
		TAILQ_REMOVE(&srv->handoff, c, entry);
		__atomic_sub_fetch(&srv->total, 1, __ATOMIC_RELAXED);
		conn_free(c);
		thread_unreserve(srv);	/* no thread yet */
	}
	ev_set_loop_release_cb(srv->loop, NULL, NULL);
	pthread_mutex_unlock(&query_lock);
	pthread_mutex_lock(&srv->threads_mu);
	TAILQ_FOREACH(c, &srv->threaded, entry)
		(void)shutdown(c->fd, SHUT_RDWR);
	while (srv->nthreaded > 0)
		pthread_cond_wait(&srv->threads_cv, &srv->threads_mu);
	pthread_mutex_unlock(&srv->threads_mu);
}

struct server *
server_new(struct ev_loop *loop, int fd, struct query *q,
    const struct server_limits *lim)
{
	struct server	*srv;

	srv = xcalloc(1, sizeof(*srv));
	srv->loop = loop;
	srv->query = q;
	srv->lim = *lim;
	srv->fd = fd;
	TAILQ_INIT(&srv->conns);
	TAILQ_INIT(&srv->threaded);
	TAILQ_INIT(&srv->handoff);
	TAILQ_INIT(&srv->inbox);
	ev_idle_init(&srv->handoff_idle, handoff_idle);
	ev_check_init(&srv->handoff_check, handoff_cb);
	srv->handoff_check.data = srv;
	pthread_mutex_init(&srv->threads_mu, NULL);
	pthread_cond_init(&srv->threads_cv, NULL);
	pthread_mutex_init(&srv->inbox_mu, NULL);
	ev_async_init(&srv->inbox_w, inbox_cb);
	srv->inbox_w.data = srv;
	ev_async_start(loop, &srv->inbox_w);
	ev_unref(loop);		/* not a reason to keep the loop running */
	ev_io_init(&srv->accept_io, accept_cb, fd, EV_READ);
	srv->accept_io.data = srv;
	ev_timer_init(&srv->accept_pause, accept_resume, ACCEPT_PAUSE, 0.);
	srv->accept_pause.data = srv;
	ev_init(&srv->sweep, sweep_cb);
	srv->sweep.repeat = SWEEP;
	srv->sweep.data = srv;
	ev_io_start(loop, &srv->accept_io);
	return srv;
}

void
server_on_work(struct server *srv, void (*work)(void *, uint64_t,
    const uint8_t *, size_t), void (*cancel)(void *, uint64_t), void *arg)
{
	srv->work_fn = work;
	srv->cancel_fn = cancel;
	srv->work_arg = arg;
}

void
server_answer(struct server *srv, uint64_t serial, const uint8_t *frame,
    size_t len)
{
	struct conn	*c;

	TAILQ_FOREACH(c, &srv->conns, entry)
		if (c->serial == serial)
			break;
	if (c == NULL || !c->waiting)
		return;		/* gone meanwhile */
	buf_add(&c->out, frame, len);
	c->waiting = 0;
	/* What it sent after that request, now. */
	conn_work(c);
}

void
server_on_refresh(struct server *srv, void (*fn)(void *), void *arg)
{
	srv->refresh_fn = fn;
	srv->refresh_arg = arg;
}

/* Output queued from outside the connection's callback: write it soon. */
static void
conn_kick(struct conn *c)
{
	if (pending(c) == 0 || (c->io.events & EV_WRITE))
		return;
	ev_io_stop(c->srv->loop, &c->io);
	ev_io_set(&c->io, c->fd, c->io.events | EV_WRITE);
	ev_io_start(c->srv->loop, &c->io);
}

void
server_progress(struct server *srv, const char *stage, uint64_t done,
    uint64_t total)
{
	struct conn	*c;
	size_t		 i;

	TAILQ_FOREACH(c, &srv->conns, entry) {
		for (i = 0; i < c->nrefresh; i++)
			query_progress(c->refresh[i], stage, done, total,
			    &c->out);
		if (c->nrefresh > 0)
			conn_kick(c);
	}
}

void
server_refreshed(struct server *srv, int code, const char *msg, uint64_t ms)
{
	struct conn	*c;
	size_t		 i;

	TAILQ_FOREACH(c, &srv->conns, entry) {
		for (i = 0; i < c->nrefresh; i++)
			query_refreshed(srv->query, c->refresh[i], code, msg,
			    ms, &c->out);
		if (c->nrefresh > 0)
			conn_kick(c);
		c->nrefresh = 0;
	}
}

void
server_event(struct server *srv)
{
	struct conn	*c;
	struct buf	 ev = { 0 };

	TAILQ_FOREACH(c, &srv->conns, entry) {
		if (!c->subscribed)
			continue;
		if (ev.len == 0)
			query_event(srv->query, &ev);
		buf_add(&c->out, ev.data, ev.len);
		conn_kick(c);
	}
	buf_free(&ev);
}

void
server_free(struct server *srv)
{
	struct conn	*c;

	if (srv == NULL)
		return;
	threads_stop(srv);
	ev_io_stop(srv->loop, &srv->accept_io);
	ev_timer_stop(srv->loop, &srv->accept_pause);
	while (!TAILQ_EMPTY(&srv->conns))
		conn_close(TAILQ_FIRST(&srv->conns), NULL);
	ev_timer_stop(srv->loop, &srv->sweep);
	ev_ref(srv->loop);
	ev_async_stop(srv->loop, &srv->inbox_w);
	while ((c = TAILQ_FIRST(&srv->inbox)) != NULL) {
		TAILQ_REMOVE(&srv->inbox, c, entry);
		conn_free(c);
	}
	pthread_mutex_destroy(&srv->inbox_mu);
	pthread_cond_destroy(&srv->threads_cv);
	pthread_mutex_destroy(&srv->threads_mu);
	free(srv);
}
