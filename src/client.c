/*
 * client.c - talk to the daemon, or answer from the cache ourselves.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cache.h"
#include "client.h"
#include "conf.h"
#include "proto.h"
#include "query.h"

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

/* 1 answered, 0 no daemon, -1 the daemon failed us. */
static int
via_daemon(const struct client_opts *o, const uint8_t *req, size_t len,
    struct buf *resp, char *err, size_t errlen)
{
	uint8_t		hdr[4];
	uint64_t	deadline;
	uint32_t	n;
	int		fd, rc = -1;

	if ((fd = connect_socket(o->socket)) == -1)
		return 0;
	deadline = now_usec() + (uint64_t)o->timeout_ms * 1000;
	be32_put(hdr, (uint32_t)len);
	if (xfer(fd, hdr, 4, 1, deadline) == -1 ||
	    xfer(fd, (void *)(uintptr_t)req, len, 1, deadline) == -1 ||
	    xfer(fd, hdr, 4, 0, deadline) == -1) {
		snprintf(err, errlen, "the daemon on %s did not answer",
		    o->socket);
		goto done;
	}
	n = be32_get(hdr);
	if (n == 0 || n > PROTO_RESP_MAX) {
		snprintf(err, errlen, "protocol error: response length %u",
		    (unsigned)n);
		goto done;
	}
	buf_reset(resp);
	buf_reserve(resp, n);
	if (xfer(fd, resp->data, n, 0, deadline) == -1) {
		snprintf(err, errlen, "the daemon on %s hung up mid-answer",
		    o->socket);
		goto done;
	}
	resp->len = n;
	rc = 1;
done:
	close(fd);
	return rc;
}

static int
embedded(const struct client_opts *o, const uint8_t *req, size_t len,
    struct buf *resp, char *err, size_t errlen)
{
	struct cache_info	 ci;
	struct query		 q;
	struct conf		*conf;
	struct cache		*cache;
	struct buf		 frame = { 0 };
	char			 why[256];
	int			 rc = -1;

	if ((conf = conf_load(o->config, err, errlen)) == NULL)
		return -1;
	if ((cache = cache_open(o->cache, 0, err, errlen)) == NULL) {
		conf_free(conf);
		return -1;
	}
	if (cache_damaged(cache) != NULL)
		fprintf(stderr, "omg: the cache was damaged: moved to %s, "
		    "rebuilding\n", cache_damaged(cache));
	switch (cache_refresh(cache, conf, 0, why, sizeof(why))) {
	case CACHE_FRESH:
	case CACHE_REBUILT:
		break;
	default:
		/* An old build still answers; no build at all cannot. */
		if (cache_info(cache, &ci) == -1) {
			snprintf(err, errlen, "cannot build the cache: %s", why);
			goto done;
		}
		cache_info_free(&ci);
		fprintf(stderr, "omg: answering from the last cache: %s\n", why);
	}
	memset(&q, 0, sizeof(q));
	q.cache = cache;
	q.conf = conf;
	q.mode = "embedded";
	q.cache_path = o->cache;
	q.advisories_path = o->advisories;
	query_frame(&q, req, len, &frame);
	query_done(&q);
	buf_reset(resp);
	buf_add(resp, frame.data + 4, frame.len - 4);
	rc = 0;
done:
	buf_free(&frame);
	cache_close(cache);
	conf_free(conf);
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
		if (isatty(STDERR_FILENO))
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
