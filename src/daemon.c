/*
 * daemon.c - lifecycle: options, the cache at start, the listening socket
 * (our own, or the one systemd hands over), signals, the libev loop.
 *
 * Start reading here, then server.c for connections and query.c for what
 * each request does.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ev.h>

#include "cache.h"
#include "conf.h"
#include "daemon.h"
#include "feed.h"
#include "log.h"
#include "paths.h"
#include "query.h"
#include "server.h"

#define CHECK_INTERVAL	1.0	/* seconds between database checks */

struct daemon {
	struct ev_loop	*loop;
	char		*conf_path;
	char		*cache_path;
	char		*sock_path;
	int		 own_socket;	/* we bound it, so we unlink it */
	struct conf	*conf;
	struct cache	*cache;
	struct query	 query;
	struct server	*server;
	ev_signal	 sigint, sigterm, sighup;
	ev_timer	 check;
};

static void
usage(void)
{
	fprintf(stderr, "usage: omg --daemon [--socket PATH] [--config PATH] "
	    "[--cache PATH] [--verbose]\n");
	exit(2);
}

/* Rebuild when the pacman databases moved on and pacman is not at work. */
static void
refresh(struct daemon *d, int force)
{
	char		 err[256], *stamp, *lock;
	uint64_t	 t0;

	lock = conf_dbfile(d->conf, "db.lck");
	if (access(lock, F_OK) == 0) {
		log_debug("%s exists; keeping the last cache", lock);
		free(lock);
		return;
	}
	free(lock);
	stamp = feed_stamp(d->conf);
	if (force || !cache_fresh(d->cache, stamp)) {
		t0 = now_usec();
		if (cache_rebuild(d->cache, d->conf, stamp, err,
		    sizeof(err)) == -1)
			log_warnx("rebuild failed, serving the last cache: %s",
			    err);
		else {
			query_reset(&d->query);
			log_info("cache rebuilt in %llu ms",
			    (unsigned long long)((now_usec() - t0) / 1000));
		}
	}
	free(stamp);
}

static void
check_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	refresh(w->data, 0);
}

static void
stop_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	(void)revents;
	log_info("signal %d, exiting", w->signum);
	ev_break(loop, EVBREAK_ALL);
}

static void
hup_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct daemon	*d = w->data;
	struct conf	*c;
	char		 err[256];

	(void)loop;
	(void)revents;
	if ((c = conf_load(d->conf_path, err, sizeof(err))) == NULL) {
		log_warnx("SIGHUP: keeping the old configuration: %s", err);
		return;
	}
	conf_free(d->conf);
	d->conf = c;
	d->query.conf = c;
	log_info("SIGHUP: reloaded %s", d->conf_path);
	refresh(d, 1);
}

/* The socket systemd passed (LISTEN_PID/LISTEN_FDS), or -1. */
static int
activation_fd(void)
{
	const char	*pid, *fds;
	struct stat	 st;
	int		 type;
	socklen_t	 len = sizeof(type);

	pid = getenv("LISTEN_PID");
	fds = getenv("LISTEN_FDS");
	if (pid == NULL || fds == NULL || atol(pid) != (long)getpid())
		return -1;
	if (strcmp(fds, "1") != 0)
		fatalx("socket activation passed %s sockets; expected one",
		    fds);
	if (fstat(3, &st) == -1 || !S_ISSOCK(st.st_mode) ||
	    getsockopt(3, SOL_SOCKET, SO_TYPE, &type, &len) == -1 ||
	    type != SOCK_STREAM)
		fatalx("socket activation: fd 3 is not a stream socket");
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	return 3;
}

static int
bind_socket(const char *path)
{
	struct sockaddr_un	 sun;
	struct stat		 st;
	char			*dir, *slash;
	mode_t			 old;
	int			 fd, probe;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path))
		fatalx("socket path too long: %s", path);
	strcpy(sun.sun_path, path);

	dir = xstrdup(path);
	if ((slash = strrchr(dir, '/')) != NULL)
		*(slash == dir ? slash + 1 : slash) = '\0';
	if (stat(slash ? dir : ".", &st) == -1)
		fatal("socket directory %s", dir);
	if ((st.st_mode & 077) != 0 || st.st_uid != geteuid())
		fatalx("socket directory %s is open to other users (mode %04o);"
		    " use a private directory", dir,
		    (unsigned)(st.st_mode & 07777));
	free(dir);

	/* A socket that still answers belongs to a running daemon. */
	if ((probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		fatal("socket");
	if (connect(probe, (struct sockaddr *)&sun, sizeof(sun)) == 0)
		fatalx("another daemon already answers on %s", path);
	close(probe);
	if (unlink(path) == 0)
		log_info("removed the stale socket %s", path);

	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1)
		fatal("socket");
	old = umask(0177);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		fatal("bind %s", path);
	umask(old);
	if (chmod(path, 0600) == -1)
		fatal("chmod %s", path);
	if (listen(fd, 128) == -1)
		fatal("listen");
	return fd;
}

int
daemon_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "daemon",	no_argument,		NULL, 'd' },
		{ "socket",	required_argument,	NULL, 's' },
		{ "config",	required_argument,	NULL, 'c' },
		{ "cache",	required_argument,	NULL, 'C' },
		{ "verbose",	no_argument,		NULL, 'v' },
		{ NULL,		0,			NULL, 0 }
	};
	struct daemon	 d;
	char		 err[256];
	int		 ch, fd, verbose = 0;
	uint64_t	 t0;

	memset(&d, 0, sizeof(d));
	while ((ch = getopt_long(argc, argv, "v", longopts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			break;
		case 's':
			d.sock_path = xstrdup(optarg);
			break;
		case 'c':
			d.conf_path = xstrdup(optarg);
			break;
		case 'C':
			d.cache_path = xstrdup(optarg);
			break;
		case 'v':
			verbose = 1;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	log_init(verbose);
	if (d.sock_path == NULL)
		d.sock_path = paths_socket();
	if (d.conf_path == NULL)
		d.conf_path = xstrdup(PATHS_PACMAN_CONF);
	if (d.cache_path == NULL)
		d.cache_path = paths_cache();
	signal(SIGPIPE, SIG_IGN);

	if ((d.conf = conf_load(d.conf_path, err, sizeof(err))) == NULL)
		fatalx("%s", err);
	if ((d.cache = cache_open(d.cache_path, err, sizeof(err))) == NULL)
		fatalx("%s", err);
	t0 = now_usec();
	refresh(&d, 0);
	log_debug("cache ready in %llu ms",
	    (unsigned long long)((now_usec() - t0) / 1000));

	if ((fd = activation_fd()) == -1) {
		fd = bind_socket(d.sock_path);
		d.own_socket = 1;
	} else if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == -1)
		fatal("fcntl");

	d.query.cache = d.cache;
	d.query.conf = d.conf;
	d.query.mode = "daemon";
	d.query.cache_path = d.cache_path;
	d.loop = ev_default_loop(EVFLAG_AUTO);
	d.server = server_new(d.loop, fd, &d.query);
	ev_signal_init(&d.sigint, stop_cb, SIGINT);
	ev_signal_init(&d.sigterm, stop_cb, SIGTERM);
	ev_signal_init(&d.sighup, hup_cb, SIGHUP);
	d.sighup.data = &d;
	ev_signal_start(d.loop, &d.sigint);
	ev_signal_start(d.loop, &d.sigterm);
	ev_signal_start(d.loop, &d.sighup);
	ev_timer_init(&d.check, check_cb, CHECK_INTERVAL, CHECK_INTERVAL);
	d.check.data = &d;
	ev_timer_start(d.loop, &d.check);
	log_info("serving %s", d.own_socket ? d.sock_path : "the activation "
	    "socket");

	ev_run(d.loop, 0);

	server_free(d.server);
	query_reset(&d.query);
	close(fd);
	if (d.own_socket && unlink(d.sock_path) == -1)
		log_warn("unlink %s", d.sock_path);
	ev_loop_destroy(d.loop);
	cache_close(d.cache);
	conf_free(d.conf);
	free(d.sock_path);
	free(d.conf_path);
	free(d.cache_path);
	return 0;
}
