/*
 * client.c - talk to the daemon, or answer from the cache ourselves.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <err.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "budget.h"
#include "cache.h"
#include "client.h"
#include "conf.h"
#include "stamp.h"
#include "paths.h"
#include "proto.h"
#include "query.h"
#include "searchfile.h"

static int
connect_socket(const char *path)
{
	struct sockaddr_un	sun;
	int			fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path))
		return -1;
	strcpy(sun.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Move n bytes in or out within the deadline; -1 on error or timeout. */
static int
xfer(int fd, void *p, size_t n, int out, uint64_t deadline)
{
	struct pollfd	 pfd;
	uint8_t		*b = p;
	ssize_t		 r;
	uint64_t	 now;

	while (n > 0) {
		now = now_usec();
		if (now >= deadline)
			return -1;
		pfd.fd = fd;
		pfd.events = out ? POLLOUT : POLLIN;
		if (poll(&pfd, 1, (int)((deadline - now) / 1000) + 1) <= 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		r = out ? send(fd, b, n, MSG_NOSIGNAL) : recv(fd, b, n, 0);
		if (r == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r <= 0)
			return -1;
		b += r;
		n -= (size_t)r;
	}
	return 0;
}

/* Read one frame's payload into resp; -1 with err. */
static int
read_frame(const struct client_opts *o, int fd, struct buf *resp,
    uint64_t deadline, char *err, size_t errlen)
{
	uint8_t		hdr[4];
	uint32_t	n;

	if (xfer(fd, hdr, 4, 0, deadline) == -1) {
		snprintf(err, errlen, "the daemon on %s did not answer",
		    o->socket);
		return -1;
	}
	n = be32_get(hdr);
	if (n == 0 || n > PROTO_RESP_MAX) {
		snprintf(err, errlen, "protocol error: response length %u",
		    (unsigned)n);
		return -1;
	}
	buf_reset(resp);
	buf_reserve(resp, n);
	if (xfer(fd, resp->data, n, 0, deadline) == -1) {
		snprintf(err, errlen, "the daemon on %s hung up mid-answer",
		    o->socket);
		return -1;
	}
	resp->len = n;
	return 0;
}

static uint64_t
deadline_of(const struct client_opts *o)
{
	return o->timeout_ms > 0 ? now_usec() + (uint64_t)o->timeout_ms * 1000 :
	    UINT64_MAX;
}

/* Connect and send; the fd, -2 when no daemon listens, -1 with err. */
static int
send_request(const struct client_opts *o, const uint8_t *req, size_t len,
    char *err, size_t errlen)
{
	uint8_t		hdr[4];
	uint64_t	deadline;
	int		fd;

	if ((fd = connect_socket(o->socket)) == -1)
		return -2;
	deadline = deadline_of(o);
	be32_put(hdr, (uint32_t)len);
	if (xfer(fd, hdr, 4, 1, deadline) == -1 ||
	    xfer(fd, (void *)(uintptr_t)req, len, 1, deadline) == -1) {
		snprintf(err, errlen, "the daemon on %s did not answer",
		    o->socket);
		close(fd);
		return -1;
	}
	return fd;
}

/* 1 answered, 0 no daemon, -1 the daemon failed us. */
static int
via_daemon(const struct client_opts *o, const uint8_t *req, size_t len,
    struct buf *resp, char *err, size_t errlen)
{
	int	fd, rc;

	if ((fd = send_request(o, req, len, err, errlen)) == -2)
		return 0;
	if (fd == -1)
		return -1;
	rc = read_frame(o, fd, resp, deadline_of(o), err, errlen) == 0 ? 1 :
	    -1;
	close(fd);
	return rc;
}

struct opened {
	struct conf		*conf;
	struct cache		*cache;
	struct searchfile	*sfile;		/* or the search file */
};

static int
open_cache(const struct client_opts *o, struct opened *op, char *err,
    size_t errlen)
{
	op->sfile = NULL;
	if ((op->conf = conf_load(o->config, err, errlen)) == NULL)
		return -1;
	if ((op->cache = cache_open(o->cache, CACHE_MMAP, err, errlen)) ==
	    NULL) {
		conf_free(op->conf);
		return -1;
	}
	if (cache_damaged(op->cache) != NULL)
		fprintf(stderr, "omg: the cache was damaged: moved to %s, "
		    "rebuilding\n", cache_damaged(op->cache));
	return 0;
}

static void
close_cache(struct opened *op)
{
	cache_close(op->cache);
	conf_free(op->conf);
}

static void
over_budget(int sig)
{
	static const char	msg[] = "omg: the search is too expensive: over "
				    "its CPU budget (omg.conf search_cpu_max)\n";

	(void)sig;
	(void)!write(STDERR_FILENO, msg, sizeof(msg) - 1);
	_exit(2);	/* as for an invalid pattern */
}

/*
 * Embedded mode answers under the budget the daemon's search worker has
 * (omg.conf): search_cpu_max seconds of CPU from here, search_memory_max
 * more bytes of address space (regcomp then fails with REG_ESPACE,
 * answered as too expensive).
 */
static void
budget_start(const struct client_opts *o)
{
	struct settings	 s;
	char		*path, err[256];

	settings_default(&s);
	path = o->settings != NULL ? xstrdup(o->settings) : paths_settings();
	if (settings_load(path, o->settings != NULL, &s, err,
	    sizeof(err)) == -1)
		warnx("%s; the default budgets apply", err);
	free(path);
	signal(SIGXCPU, over_budget);
	(void)budget_memory(s.search_memory_max);
	(void)budget_arm(s.search_cpu_max);
}

/*
 * The cache brought up to date (rebuilt here if need be; an old build
 * still answers when that fails), or, with fresh_only, only taken when
 * it is up to date.  1 rebuilt, 0 not, or -1 with err.
 */
static int
up_to_date(const struct client_opts *o, struct opened *op, char *err,
    size_t errlen)
{
	struct cache_info	 ci;
	char			 why[256], *stamp;
	int			 fresh;

	if (o->fresh_only) {
		stamp = stamp_dbs(op->conf);
		fresh = cache_fresh(op->cache, stamp);
		free(stamp);
		if (fresh)
			return 0;
		snprintf(err, errlen, "the cache is not up to date (and this "
		    "question does not wait for a rebuild)");
		return -1;
	}
	switch (cache_refresh(op->cache, op->conf, o->advisories, 0, NULL,
	    why, sizeof(why))) {
	case CACHE_FRESH:
		return 0;
	case CACHE_REBUILT:
		return 1;
	default:
		/* An old build still answers; no build at all cannot. */
		if (cache_info(op->cache, &ci) == -1) {
			snprintf(err, errlen, "cannot build the cache: %s", why);
			return -1;
		}
		cache_info_free(&ci);
		fprintf(stderr, "omg: answering from the last cache: %s\n", why);
		return 0;
	}
}

/*
 * query_frame in embedded mode over an opened cache (or search file),
 * under the budget omg.conf sets for what the client decides.  Whether
 * the answer says they could not be read.
 */
static int
answer_here(const struct client_opts *o, struct opened *op,
    const uint8_t *req, size_t len, struct buf *frames,
    void (*emit)(void *, const uint8_t *, size_t), void *arg)
{
	struct query	q;
	uint64_t	id;
	int		costly;

	memset(&q, 0, sizeof(q));
	q.cache = op->cache;
	q.sfile = op->sfile;
	q.conf = op->conf;
	q.mode = "embedded";
	q.cache_path = o->cache;
	q.advisories_path = o->advisories;
	q.emit = emit;
	q.emit_arg = arg;
	if ((costly = query_costly(req, len)))
		budget_start(o);
	(void)query_frame(&q, req, len, frames, &id);
	if (costly)
		budget_disarm();
	query_done(&q);
	return q.unreadable;
}

/*
 * A search answered from the cache's search file, when that was built
 * from the pacman databases as they are now: no SQLite to load or open.
 * 0 answered; 1 the file is absent, older than the databases or damaged;
 * -1 not a search, or pacman is writing: the cache answers these.
 */
static int
from_search_file(const struct client_opts *o, const uint8_t *req,
    size_t len, struct buf *resp)
{
	struct opened	 op = { NULL, NULL, NULL };
	struct buf	 frame = { 0 };
	char		*path, *stamp, why[256];
	int		 rc = 1;

	if (!query_search_only(req, len) ||
	    (op.conf = conf_load(o->config, why, sizeof(why))) == NULL)
		return -1;
	if (stamp_lock(op.conf) == STAMP_LOCKED) {
		conf_free(op.conf);
		return -1;
	}
	stamp = stamp_search(op.conf);
	path = searchfile_path(o->cache);
	op.sfile = searchfile_open(path, stamp);
	free(path);
	free(stamp);
	if (op.sfile != NULL &&
	    answer_here(o, &op, req, len, &frame, NULL, NULL) == 0) {
		buf_reset(resp);
		buf_add(resp, frame.data + 4, frame.len - 4);
		rc = 0;
	}
	searchfile_close(op.sfile);
	conf_free(op.conf);
	buf_free(&frame);
	return rc;
}

static int
embedded(const struct client_opts *o, const uint8_t *req, size_t len,
    struct buf *resp, char *err, size_t errlen)
{
	struct opened		 op;
	struct buf		 frame = { 0 };
	int			 rc = -1, mapped, rebuilt;

	if ((mapped = from_search_file(o, req, len, resp)) == 0)
		return 0;
	if (open_cache(o, &op, err, errlen) == -1)
		return -1;
	if ((rebuilt = up_to_date(o, &op, err, errlen)) == -1)
		goto done;
	(void)answer_here(o, &op, req, len, &frame, NULL, NULL);
	buf_reset(resp);
	buf_add(resp, frame.data + 4, frame.len - 4);
	/* The next search maps the file (written again: it was absent,
	   old or damaged; a rebuild wrote it).  Best effort: the cache
	   answers without it. */
	if (mapped == 1 && !rebuilt)
		(void)cache_write_search(op.cache, op.conf, NULL, 0);
	rc = 0;
done:
	buf_free(&frame);
	close_cache(&op);
	return rc;
}

int
client_request(const struct client_opts *o, const uint8_t *req, size_t len,
    struct buf *resp, char *err, size_t errlen)
{
	char	why[512];
	int	rc;

	if (!o->no_daemon) {
		rc = via_daemon(o, req, len, resp, err, errlen);
		if (rc == 1)
			return 0;
		if (rc == -1)
			return -1;
		/* Say so to a person; scripts and completion stay quiet. */
		if (!o->quiet && isatty(STDERR_FILENO))
			fprintf(stderr, "omg: no daemon on %s; answering from "
			    "the cache (systemctl --user enable --now "
			    "omgd.socket starts one)\n", o->socket);
	}
	if (embedded(o, req, len, resp, why, sizeof(why)) == 0)
		return 0;
	if (o->no_daemon)
		snprintf(err, errlen, "%s", why);
	else
		snprintf(err, errlen, "no daemon on %s and no usable cache: %s",
		    o->socket, why);
	return -1;
}

/* Streams */

struct here {
	client_msg_fn	 fn;
	void		*arg;
	int		 rc;
};

/* An embedded refresh's progress frame, as it comes. */
static void
here_emit(void *arg, const uint8_t *frame, size_t len)
{
	struct here	*h = arg;

	if (h->rc == 0 && len > 4)
		h->rc = h->fn(h->arg, frame + 4, len - 4);
}

static int
stream_here(const struct client_opts *o, const uint8_t *req, size_t len,
    client_msg_fn fn, void *arg, char *err, size_t errlen)
{
	struct opened	 op;
	struct here	 h = { fn, arg, 0 };
	struct buf	 frames = { 0 };
	size_t		 off = 0, n;

	if (open_cache(o, &op, err, errlen) == -1)
		return -1;
	answer_here(o, &op, req, len, &frames, here_emit, &h);
	/* The frames the query did not emit: the answer. */
	while (h.rc == 0 && proto_frame_peek(frames.data + off,
	    frames.len - off, PROTO_RESP_MAX, &n) == 1) {
		h.rc = fn(arg, frames.data + off + 4, n);
		off += 4 + n;
	}
	buf_free(&frames);
	close_cache(&op);
	if (h.rc == 0) {
		snprintf(err, errlen, "the answer ended early");
		return -1;
	}
	return h.rc == 1 ? 0 : -1;
}

int
client_stream(const struct client_opts *o, const uint8_t *req, size_t len,
    client_msg_fn fn, void *arg, char *err, size_t errlen)
{
	struct buf	msg = { 0 };
	int		fd, rc = 0;

	if (o->no_daemon)
		return stream_here(o, req, len, fn, arg, err, errlen);
	if ((fd = send_request(o, req, len, err, errlen)) == -1)
		return -1;
	if (fd == -2) {
		if (isatty(STDERR_FILENO))
			fprintf(stderr, "omg: no daemon on %s; working on the "
			    "cache here\n", o->socket);
		return stream_here(o, req, len, fn, arg, err, errlen);
	}
	while (rc == 0) {
		if (read_frame(o, fd, &msg, deadline_of(o), err,
		    errlen) == -1) {
			rc = -1;
			break;
		}
		if ((rc = fn(arg, msg.data, msg.len)) == -1)
			snprintf(err, errlen, "stopped");
	}
	buf_free(&msg);
	close(fd);
	return rc == 1 ? 0 : -1;
}
