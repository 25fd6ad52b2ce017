/*
 * fuzz_server.c - libFuzzer target: the real server loop (server.c,
 * query.c, cache.c) on a real Unix socket.  Each input is written by a
 * client in small pieces (sizes taken from the input itself) while the
 * loop runs; the client then half-closes and reads whatever comes back.
 * The cache is the fixture's when OMG_FUZZ_CONF names a pacman.conf,
 * else an empty one.  Refresh and subscribe are deferred as in the
 * daemon; a refresh is answered from the loop, after progress and an
 * event, as the daemon answers when its rebuilder ends; a search for the
 * search worker is refused, as by a daemon without one.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ev.h>

#include "cache.h"
#include "conf.h"
#include "query.h"
#include "server.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct ev_loop	*loop;
static struct query	 q;
static struct server	*srv;
static char		 path[108];
static ev_timer		 rebuilt;

static void
rebuilt_cb(struct ev_loop *l, ev_timer *w, int revents)
{
	(void)l;
	(void)w;
	(void)revents;
	server_progress(srv, "read core", 0, 2);
	server_progress(srv, "read core", 2, 2);
	server_event(srv);
	server_refreshed(srv, 0, NULL, 1);
}

static void
refresh_cb(void *arg)
{
	(void)arg;
	ev_timer_start(loop, &rebuilt);
}

static void
setup(void)
{
	struct sockaddr_un	 sun;
	struct server_limits	 lim = { 64, 16, 65536, 5, 10, 300,
				    1 << 20, 8 << 20, 30, 1e9, 1e9, 10e-6,
				    65536 };
	struct conf		*conf = NULL;
	struct cache		*cache;
	char			 dir[] = "/tmp/omg-fuzz.XXXXXX", err[256];
	const char		*cpath;
	int			 fd;

	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(path, sizeof(path), "%s/s", dir);
	snprintf(err, sizeof(err), "%s/cache.db", dir);
	if ((cache = cache_open(err, 0, err, sizeof(err))) == NULL)
		abort();
	if ((cpath = getenv("OMG_FUZZ_CONF")) != NULL &&
	    ((conf = conf_load(cpath, err, sizeof(err))) == NULL ||
	    cache_refresh(cache, conf, NULL, 1, NULL, err, sizeof(err)) ==
	    -1)) {
		fprintf(stderr, "fuzz_server: %s\n", err);
		abort();
	}
	q.cache = cache;
	q.conf = conf;
	q.mode = "daemon";
	q.cache_path = "fuzz";
	q.defer = 1;
	/* As in the daemon: a search whose cost the pattern decides is the
	   search worker's (none here: refused), not this process's.  Run
	   here, a regcomp such as "^N+++++++++*++++++++" held the fuzzer
	   for over 5 minutes under ASan (found on 2026-12-01). */
	q.offload = 1;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    listen(fd, 16) == -1)
		abort();
	loop = ev_default_loop(0);
	srv = server_new(loop, fd, &q, &lim);
	ev_timer_init(&rebuilt, rebuilt_cb, 0., 0.);
	server_on_refresh(srv, refresh_cb, NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sockaddr_un	 sun;
	uint8_t			 sink[65536];
	size_t			 off = 0, piece;
	ssize_t			 n;
	int			 c, i;

	if (loop == NULL)
		setup();
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, path);
	if ((c = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    connect(c, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		abort();
	fcntl(c, F_SETFL, O_NONBLOCK);
	while (off < size) {
		piece = 1 + data[off] % 61;
		if (piece > size - off)
			piece = size - off;
		if (send(c, data + off, piece, MSG_NOSIGNAL) <= 0)
			break;
		off += piece;
		ev_run(loop, EVRUN_NOWAIT);
		while (read(c, sink, sizeof(sink)) > 0)
			;
	}
	shutdown(c, SHUT_WR);
	for (i = 0; i < 64; i++) {
		ev_run(loop, EVRUN_NOWAIT);
		n = read(c, sink, sizeof(sink));
		if (n == 0)
			break;
	}
	close(c);
	for (i = 0; i < 4; i++)
		ev_run(loop, EVRUN_NOWAIT);
	return 0;
}
