/*
 * daemon.c - lifecycle: options, the single-instance lock, the listening
 * socket (our own, or the one systemd hands over), the cache and how it
 * follows pacman, signals, the libev loop.
 *
 * The cache is rebuilt off the request path, in a child that re-executes
 * omg as "omg --rebuild-cache" (a clean process: SQLite connections must
 * not cross fork(2)), so the loop keeps answering from the last generation
 * and libalpm is never loaded into the daemon.  inotify (watch.c) says when
 * to look; a debounce timer says when to act.
 *
 * The child tells how its work goes, one line per step on a pipe; those
 * become progress messages to the clients that asked for a refresh.  Every
 * change of the cache's state or generation becomes an event to the
 * subscribers.
 *
 * Start reading at daemon_main, then server.c for connections and query.c
 * for what each request does.
 */
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ev.h>

#include "cache.h"
#include "conf.h"
#include "daemon.h"
#include "opts.h"
#include "stamp.h"
#include "log.h"
#include "paths.h"
#include "proto.h"
#include "query.h"
#include "server.h"
#include "task.h"
#include "watch.h"
#include "worker.h"

#define DEBOUNCE	0.2	/* seconds of quiet before a check */
#define PROGRESS_FD	3	/* the rebuilder's end of the progress pipe */
#define PROGRESS_LINE	512	/* longest progress line */
#define SAFETY_CHECK	30.0	/* seconds between checks without events */

/* Exit statuses of omg --rebuild-cache */
#define RB_FRESH	0
#define RB_REBUILT	10
#define RB_BUSY		11
#define RB_CHANGED	12	/* pacman changed the databases each time */
#define RB_FAILED	1

#define REBUILD_MAX	600.0	/* seconds a rebuild may take: then killed */
#define RETRY_MIN	0.25	/* seconds before retrying a failed rebuild, */
#define RETRY_MAX	30.0	/* doubling up to this */

/*
 * The rebuild scheduler, in one state: what the child does now (nothing;
 * a check, which rebuilds only when the cache is not fresh; a forced
 * rebuild) and what is wanted once it ends (nothing, a check, a forced
 * rebuild).  schedule() is the one place it changes.
 */
enum sched {
	SCHED_IDLE,
	SCHED_IDLE_FORCE,		/* the next one is forced */
	SCHED_CHECK,
	SCHED_CHECK_THEN_CHECK,
	SCHED_CHECK_THEN_FORCE,
	SCHED_FORCE,
	SCHED_FORCE_THEN_CHECK,
	SCHED_FORCE_THEN_FORCE
};

enum sched_event {
	EV_WANT_CHECK,		/* the databases may have changed: now */
	EV_WANT_FORCE,		/* a rebuild must happen (refresh, SIGHUP,
				   an unreadable cache): now */
	EV_FORCE_NEXT,		/* the next one is forced, when it comes
				   (lost inotify events, an empty cache) */
	EV_DONE,		/* the child ended, and nothing is owed */
	EV_DONE_REBUILT,	/* the child rebuilt the cache */
	EV_DONE_AGAIN		/* the child could not finish: again later */
};

/*
 * A new generation read beside the loop (task.h) before it is served:
 * its own connection to the cache, and the per-generation data of the
 * queries.  The thread's alone while the task runs.
 */
struct load {
	const char	*path;
	struct cache	*cache;
	struct query	 q;
	int		 rc;
	char		 err[512];
	int		 st;		/* the rebuilder's wait status */
};

/* The generation let go of, freed beside the loop (100,000 rows). */
struct reap {
	struct query	 q;		/* its snapshot */
	struct cache	*cache;
};

/*
 * The rebuilder started beside the loop: posix_spawn holds its caller
 * until the child has exec'd (1-10 ms on a slow VM).  argv and the
 * progress pipe are the loop's, made before; pid is the thread's.
 */
#define EARLY_MAX	8	/* children's ends kept while one starts */
struct spawning {
	char		*argv[14];	/* every option, and NULL */
	char		 fdarg[16];
	int		 pipe[2];	/* progress, or -1 */
	pid_t		 pid;		/* -1: errno_ */
	int		 errno_;
	int		 force;
};

/* pacman.conf read again beside the loop, on SIGHUP (task.h). */
struct reconf {
	const char	*path;
	struct conf	*conf;		/* NULL: err says why */
	char		 err[256];
	int		 again;		/* the loop's: another SIGHUP came */
};

struct daemon {
	struct ev_loop	*loop;
	char		*self;		/* our executable, for the rebuilder */
	char		*conf_path;
	char		*settings_path;
	char		*adv_path;
	char		*cache_path;
	struct proto_limits	 plim;
	struct server_limits	 slim;
	char		*sock_path;
	char		*lock_path;
	int		 lock_fd;
	int		 own_socket;	/* we bound it, so we unlink it */
	struct conf	*conf;
	struct cache	*cache;
	struct query	 query;
	struct server	*server;
	struct worker	*worker;	/* searches whose cost the client sets */
	double		 search_cpu, search_mem;
	size_t		 answer_threads;	/* at most (server.c) */
	struct watch	*watch;
	ev_io		 watch_io;
	ev_timer	 debounce;
	ev_timer	 safety;
	ev_timer	 retry;		/* after a failed rebuild */
	ev_timer	 watchdog;	/* a rebuild that never ends */
	double		 retry_after;	/* its delay now; 0 after a success */
	ev_child	 child;		/* any child's end (pid 0) */
	pid_t		 child_pid;
	struct task	*spawner;	/* starts the rebuilder */
	struct spawning	 spawning;
	/* Children that ended while one was starting (its pid not known
	   yet): libev reaps every child, and would drop its status. */
	struct {
		pid_t	 pid;
		int	 st;		/* its wait status */
	}		 early[EARLY_MAX];
	size_t		 nearly;
	struct task	*load;		/* reads a new generation */
	struct load	 loading;
	struct task	*reap;		/* frees the last generation */
	int		 prepared;	/* the first generation: query_prepare's */
	struct reap	 reaping;
	struct task	*hup;		/* reads pacman.conf again */
	struct reconf	 reconf;
	uint64_t	 child_t0;
	enum sched	 sched;		/* the rebuild scheduler's state */
	int		 heal;		/* the next rebuild checks the cache
					   (a query could not read it) */
	int		 progress_fd;	/* the child's progress, or -1 */
	ev_io		 progress_io;
	struct buf	 progress;	/* a line not yet whole */
	int		 refresh;	/* clients wait for a refresh */
	ev_timer	 refresh_now;
	uint64_t	 told_gen;	/* the last event's generation */
	const char	*told_state;	/* and state */
	ev_signal	 sigint, sigterm, sighup;
	ev_prepare	 prepare;
	ev_check	 check;
	uint64_t	 woke;		/* when the loop last woke up */
};

static void	schedule(struct daemon *, enum sched_event);
static void	set_state(struct daemon *, const char *);

/* A rebuild (its child, or reading what it made) is under way. */
static int
rebuilding(const struct daemon *d)
{
	return d->child_pid != 0 || task_busy(d->spawner) ||
	    task_busy(d->load);
}

static void
usage(void)
{
	fprintf(stderr, "usage: omg --daemon [--socket PATH] [--config PATH] "
	    "[--cache PATH] [--omg-conf PATH] [--advisories PATH] "
	    "[--verbose]\n");
	exit(2);
}

/* omg.conf -> the limits proto.c and server.c enforce. */
static void
load_settings(struct daemon *d, int explicit)
{
	struct settings	s;
	char		err[512];

	settings_default(&s);
	if (settings_load(d->settings_path, explicit, &s, err,
	    sizeof(err)) == -1)
		fatalx("%s", err);
	d->plim.depth = (size_t)s.cbor_depth;
	d->plim.items = (size_t)s.cbor_items;
	d->plim.strlen = (size_t)s.cbor_string;
	d->plim.frame = (size_t)s.request_max;
	d->plim.batch = (size_t)s.batch_max;
	d->plim.response = (size_t)s.response_max;
	d->slim.conns = (size_t)s.connections_max;
	d->slim.fresh = (size_t)s.connections_fresh_max;
	d->slim.frame = (size_t)s.request_max;
	d->slim.first_frame = s.first_frame_timeout;
	d->slim.gap = s.frame_gap_timeout;
	d->slim.idle = s.idle_timeout;
	d->slim.out_pause = (size_t)s.output_pause;
	d->slim.out_max = (size_t)s.output_max;
	d->slim.write_stall = s.write_stall_timeout;
	d->slim.rate = s.rate;
	d->slim.burst = s.rate_burst;
	d->slim.spin = s.answer_spin_us / 1e6;
	d->slim.list_loop = (size_t)s.list_loop_bytes;
	d->search_cpu = s.search_cpu_max;
	d->search_mem = s.search_memory_max;
	d->query.loop_rows = (size_t)s.search_loop_rows;
	d->answer_threads = (size_t)s.answer_threads;
}

/* The rebuilder's side of the progress pipe: "done total stage\n". */
static void
tell_progress(void *arg, const char *stage, uint64_t done, uint64_t total)
{
	int	*fd = arg;

	/* Shorter than PIPE_BUF: one atomic write.  A gone daemon's
	   SIGPIPE ends us, and the rebuild rolls back. */
	if (dprintf(*fd, "%llu %llu %.*s\n", (unsigned long long)done,
	    (unsigned long long)total, PROGRESS_LINE - 48, stage) < 0)
		*fd = -1;
}

/* The rebuilder: omg --rebuild-cache --config C --cache P [--advisories A]
   [--force] [--check] [--progress-fd N] */
int
daemon_rebuild_main(int argc, char **argv)
{
	struct conf	*conf;
	struct cache	*cache;
	struct cache_info ci;
	char		 err[512];
	size_t		 j;
	int		 i, force = 0, rc, check = 0;
	const char	*cpath = NULL, *kpath = NULL, *apath = NULL;
	char		*adef = NULL;
	uint64_t	 t0 = now_usec();
	struct cache_progress	 pr = { tell_progress, NULL };
	int		 fd = -1;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--force") == 0)
			force = 1;
		else if (strcmp(argv[i], "--progress-fd") == 0 &&
		    i + 1 < argc)
			fd = atoi(argv[++i]);
		else if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
			cpath = argv[++i];
		else if (strcmp(argv[i], "--cache") == 0 && i + 1 < argc)
			kpath = argv[++i];
		else if (strcmp(argv[i], "--advisories") == 0 && i + 1 < argc)
			apath = argv[++i];
		else if (strcmp(argv[i], "--check") == 0)
			check = CACHE_CHECK;
		else if (strcmp(argv[i], "--rebuild-cache") != 0)
			usage();
	}
	if (cpath == NULL || kpath == NULL)
		usage();
	/* By hand, without --advisories: the file the daemon and the
	   client take by default (else the daemon's first check would
	   read it in again at once). */
	if (apath == NULL)
		apath = adef = paths_advisories();
	if ((conf = conf_load(cpath, err, sizeof(err))) == NULL) {
		free(adef);
		log_warnx("%s", err);
		return RB_FAILED;
	}
	if ((cache = cache_open(kpath, check, err, sizeof(err))) == NULL) {
		log_warnx("%s", err);
		conf_free(conf);
		free(adef);
		return RB_FAILED;
	}
	if (cache_damaged(cache) != NULL)
		log_warnx("the cache was damaged: moved to %s, rebuilding",
		    cache_damaged(cache));
	pr.arg = &fd;
	rc = cache_refresh(cache, conf, apath, force, fd >= 0 ? &pr : NULL, err,
	    sizeof(err));
	if (rc == -1 || rc == CACHE_BUSY || rc == CACHE_CHANGED)
		log_warnx("rebuild: %s", err);
	else if (rc == CACHE_REBUILT) {
		log_info("cache rebuilt in %llu ms",
		    (unsigned long long)((now_usec() - t0) / 1000));
		/* Each database left out: not served until it can be read. */
		if (cache_info(cache, &ci) == 0) {
			for (j = 0; j + 1 < ci.problems.n; j += 2)
				log_warnx("%s is not served: %s",
				    ci.problems.v[j], ci.problems.v[j + 1]);
			cache_info_free(&ci);
		}
	}
	cache_close(cache);
	conf_free(conf);
	free(adef);
	return rc == CACHE_FRESH ? RB_FRESH : rc == CACHE_REBUILT ?
	    RB_REBUILT : rc == CACHE_BUSY ? RB_BUSY : rc == CACHE_CHANGED ?
	    RB_CHANGED : RB_FAILED;
}

/* The rebuilder's argv and, with progress, the pipe its steps come on:
   0, or -1. */
static int
spawn_args(struct daemon *d, struct spawning *sp, int force, int progress)
{
	int	i = 0;

	sp->argv[i++] = d->self;
	sp->argv[i++] = "--rebuild-cache";
	sp->argv[i++] = "--config";
	sp->argv[i++] = d->conf_path;
	sp->argv[i++] = "--cache";
	sp->argv[i++] = d->cache_path;
	if (d->adv_path != NULL) {
		sp->argv[i++] = "--advisories";
		sp->argv[i++] = d->adv_path;
	}
	if (force)
		sp->argv[i++] = "--force";
	if (d->heal)
		sp->argv[i++] = "--check";
	sp->pipe[0] = sp->pipe[1] = -1;
	if (progress) {
		if (pipe2(sp->pipe, O_CLOEXEC) == -1) {
			log_warn("pipe2");
			return -1;
		}
		snprintf(sp->fdarg, sizeof(sp->fdarg), "%d", PROGRESS_FD);
		sp->argv[i++] = "--progress-fd";
		sp->argv[i++] = sp->fdarg;
	}
	sp->argv[i] = NULL;
	sp->force = force;
	return 0;
}

/* Start it (in the spawner's thread, or here before serving).  The
   pipe's end as fd 3; our other fds (sockets, SQLite's) stay here;
   SIGPIPE ends it. */
static void
spawn_work(void *arg)
{
	struct spawning	*sp = arg;

	sp->pid = util_spawn(sp->argv[0], sp->argv, sp->pipe[1], PROGRESS_FD,
	    1);
	sp->errno_ = errno;
}

/* The loop's part after it: its progress watched; its pid, or -1. */
static pid_t
spawned(struct daemon *d, struct spawning *sp)
{
	if (sp->pid == -1) {
		errno = sp->errno_;
		log_warn("cannot start the rebuilder");
		if (sp->pipe[0] != -1) {
			close(sp->pipe[0]);
			close(sp->pipe[1]);
		}
		return -1;
	}
	if (sp->pipe[0] != -1) {
		close(sp->pipe[1]);
		if (d->progress_fd != -1) {
			ev_io_stop(d->loop, &d->progress_io);
			close(d->progress_fd);
		}
		(void)fcntl(sp->pipe[0], F_SETFL, O_NONBLOCK);
		d->progress_fd = sp->pipe[0];
		buf_reset(&d->progress);
		ev_io_set(&d->progress_io, d->progress_fd, EV_READ);
		ev_io_start(d->loop, &d->progress_io);
	}
	return sp->pid;
}

/* Read the child's progress lines and pass them on to who waits. */
static void
progress_read(struct daemon *d)
{
	unsigned long long	 done, total;
	char			 chunk[4096], *line, *nl;
	ssize_t			 n;
	int			 at, end = 0;

	if (d->progress_fd == -1)
		return;
	for (;;) {
		n = read(d->progress_fd, chunk, sizeof(chunk));
		if (n > 0)
			buf_add(&d->progress, chunk, (size_t)n);
		else if (n == -1 && errno == EINTR)
			continue;
		else {
			end = n == 0 || errno != EAGAIN;
			break;
		}
	}
	line = buf_cstr(&d->progress);
	while ((nl = strchr(line, '\n')) != NULL) {
		*nl = '\0';
		if (sscanf(line, "%llu %llu %n", &done, &total, &at) == 2) {
			/* The child found work: it is rebuilding (a check
			   that finds the cache fresh says nothing). */
			if (d->query.state == NULL ||
			    strcmp(d->query.state, "rebuilding") != 0)
				set_state(d, "rebuilding");
			server_progress(d->server, line + at, done, total);
		}
		line = nl + 1;
	}
	buf_consume(&d->progress, (size_t)(line - (char *)d->progress.data));
	if (d->progress.len > PROGRESS_LINE)
		buf_reset(&d->progress);
	if (end) {
		ev_io_stop(d->loop, &d->progress_io);
		close(d->progress_fd);
		d->progress_fd = -1;
	}
}

static void
progress_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	(void)revents;
	progress_read(w->data);
}

/* Answer every refresh that waits. */
static void
refreshed(struct daemon *d, int code, const char *msg)
{
	if (!d->refresh)
		return;
	d->refresh = 0;
	server_refreshed(d->server, code, msg, code == 0 ?
	    (now_usec() - d->child_t0) / 1000 : 0);
}

/* The cache's state; subscribers hear of every change of it or of the
   generation. */
static void
set_state(struct daemon *d, const char *state)
{
	struct cache_info	ci;
	uint64_t		gen = 0;

	if (d->query.state == NULL || strcmp(d->query.state, state) != 0)
		log_debug("cache state: %s", state);
	d->query.state = state;
	if (d->server == NULL)
		return;
	if (cache_info(d->cache, &ci) == 0) {
		gen = ci.generation;
		cache_info_free(&ci);
	}
	if (d->told_state != NULL && strcmp(d->told_state, state) == 0 &&
	    d->told_gen == gen)
		return;
	d->told_state = state;
	d->told_gen = gen;
	server_event(d->server);
}

/* Let go of the cache: what was read from it, the worker's copy too. */
static void
forget_cache(struct daemon *d)
{
	query_reset(&d->query);
	worker_restart(d->worker);
	cache_close(d->cache);
	d->cache = NULL;
	d->query.cache = NULL;
}

/* Serve c from now on (saying so when a damaged file was set aside). */
static void
serve_cache(struct daemon *d, struct cache *c)
{
	if (cache_damaged(c) != NULL)
		log_warnx("the cache was damaged: moved to %s",
		    cache_damaged(c));
	d->cache = c;
	d->query.cache = c;
}

/*
 * Serve what is at the cache's path: when the file was removed or another
 * put in its place (by hand, or by a rebuilder that set a damaged one
 * aside), open that one; with no build in it, build.  1 when reopened.
 */
static int
follow_cache(struct daemon *d)
{
	struct cache_info	 ci;
	struct cache		*c;
	char			 err[512];

	if (!cache_replaced(d->cache))
		return 0;
	log_warnx("the cache %s was removed or replaced; opening what is "
	    "there now", d->cache_path);
	if ((c = cache_open(d->cache_path, CACHE_CHECK, err,
	    sizeof(err))) == NULL) {
		log_warnx("%s; serving the cache opened before", err);
		return 0;
	}
	forget_cache(d);
	serve_cache(d, c);
	if (cache_info(c, &ci) == 0)
		cache_info_free(&ci);
	else
		schedule(d, EV_FORCE_NEXT);	/* nothing in it: build */
	return 1;
}

/*
 * Let go of a cache that could not be read, and open what is at its path
 * again (a file that is not a database is set aside there), so that
 * nothing of ours holds it while the rebuilder checks and rebuilds it.
 */
static void
reopen_cache(struct daemon *d)
{
	struct cache	*c;
	char		 err[512];

	forget_cache(d);
	if ((c = cache_open(d->cache_path, 0, err, sizeof(err))) == NULL)
		fatalx("cannot open the cache again: %s", err);
	serve_cache(d, c);
}

/*
 * query.c: the cache could not be read.  From the loop (not inside the
 * query that failed): reopen it, rebuild it with a check.
 */
static void
broken_cb(void *arg)
{
	struct daemon	*d = arg;

	if (d->heal)
		return;		/* already on its way */
	log_warnx("the cache %s cannot be read; rebuilding it",
	    d->cache_path);
	d->heal = 1;
	if (rebuilding(d)) {
		schedule(d, EV_WANT_FORCE);	/* after this one */
		return;
	}
	ev_timer_start(d->loop, &d->refresh_now);
}

/*
 * query.c: the advisories file changed since the cache took it in: a
 * check reads it (only it, when the databases are as they were).  Not
 * while a failed rebuild waits for its retry.
 */
static void
changed_cb(void *arg)
{
	struct daemon	*d = arg;

	if (rebuilding(d) || ev_is_active(&d->retry))
		return;
	schedule(d, EV_WANT_CHECK);
}

/* A failed rebuild is tried again soon, then less and less often. */
static void
retry_later(struct daemon *d)
{
	d->retry_after = d->retry_after == 0 ? RETRY_MIN :
	    d->retry_after * 2 > RETRY_MAX ? RETRY_MAX : d->retry_after * 2;
	ev_timer_stop(d->loop, &d->retry);
	ev_timer_set(&d->retry, d->retry_after, 0.);
	ev_timer_start(d->loop, &d->retry);
}

/* A rebuilder stuck (a FIFO for a database, a hung filesystem) would
   stop every later rebuild: it is killed, and the rebuild retried. */
static void
watchdog_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct daemon	*d = w->data;

	(void)loop;
	(void)revents;
	if (d->child_pid == 0)
		return;
	log_warnx("the rebuild (pid %ld) ran for %.0f s: killing it",
	    (long)d->child_pid, REBUILD_MAX);
	kill(d->child_pid, SIGKILL);
}

static void
retry_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	schedule(w->data, EV_WANT_CHECK);
}

/* In the thread: open the new generation and read what queries read. */
static void
load_work(void *arg)
{
	struct load	*l = arg;

	memset(&l->q, 0, sizeof(l->q));
	l->rc = -1;
	if ((l->cache = cache_open(l->path, 0, l->err,
	    sizeof(l->err))) == NULL)
		return;
	l->q.cache = l->cache;
	l->q.mode = "daemon";
	l->q.cache_path = l->path;
	if (query_prepare(&l->q) == -1) {
		snprintf(l->err, sizeof(l->err), "cannot read the new cache "
		    "%s", l->path);
		return;
	}
	l->rc = 0;
}

static void	finish_child(struct daemon *, int);

/* A new generation not read beforehand: the queries read it as they
   come (the search worker too), from what is at the path now. */
static void
read_as_queries_come(struct daemon *d)
{
	query_reset(&d->query);
	worker_restart(d->worker);
	(void)follow_cache(d);	/* a damaged one was set aside */
}

/* In a thread, before serving: the first generation. */
static void
prepare_work(void *arg)
{
	struct daemon	*d = arg;

	d->prepared = query_prepare(&d->query);
}

/* In the thread: what the last generation held. */
static void
reap_work(void *arg)
{
	struct reap	*r = arg;

	query_reset(&r->q);
	cache_close(r->cache);
	r->cache = NULL;
#ifdef __GLIBC__
	/* Freed is not given back: a generation of 100,000 packages is
	   tens of MiB, and the next one was made in another thread's
	   arena. */
	(void)malloc_trim(0);
#endif
}

static void
reap_done(void *arg)
{
	(void)arg;
}

/*
 * On the loop: serve the generation read (the old one answered until
 * now), or, when it could not be read, let the queries read it as they
 * come, as a cache that changed.
 */
static void
load_done(void *arg)
{
	struct daemon	*d = arg;
	struct load	*l = &d->loading;

	if (l->rc == 0) {
		if (cache_damaged(l->cache) != NULL)
			log_warnx("the cache was damaged: moved to %s",
			    cache_damaged(l->cache));
		if (!task_busy(d->reap)) {
			/* Its snapshot and connection go beside the loop. */
			d->reaping.q.snap = d->query.snap;
			d->reaping.cache = d->cache;
			d->query.snap = NULL;
			d->cache = NULL;
			if (task_start(d->reap, &d->reaping) == -1) {
				d->query.snap = d->reaping.q.snap;
				d->cache = d->reaping.cache;
				d->reaping.q.snap = NULL;
				d->reaping.cache = NULL;
			}
		}
		forget_cache(d);	/* what is left of it, if anything */
		serve_cache(d, l->cache);
		d->query.snap = l->q.snap;
		l->q.snap = NULL;
	} else {
		log_warnx("%s; reading it as queries come", l->err);
		query_reset(&l->q);
		cache_close(l->cache);
		read_as_queries_come(d);
	}
	l->cache = NULL;
	finish_child(d, l->st);
}

/* The rebuilder ended with wait status st. */
static void
child_ended(struct daemon *d, int st)
{
	ev_timer_stop(d->loop, &d->watchdog);
	d->child_pid = 0;
	progress_read(d);	/* the last lines, up to the end */
	if (WIFEXITED(st) && WEXITSTATUS(st) == RB_REBUILT) {
		/* The new generation is read beside the loop; the old one
		   answers until it is. */
		d->loading.path = d->cache_path;
		d->loading.st = st;
		if (task_start(d->load, &d->loading) == 0)
			return;
		log_warnx("cannot start a thread; reading the new cache as "
		    "queries come");
		read_as_queries_come(d);
	}
	finish_child(d, st);
}

/* Every child's end (search workers' too): the rebuilder's, or kept
   while one starts, as it may be that one. */
static void
child_cb(struct ev_loop *loop, ev_child *w, int revents)
{
	struct daemon	*d = w->data;

	(void)loop;
	(void)revents;
	if (d->child_pid != 0 && w->rpid == d->child_pid) {
		child_ended(d, w->rstatus);
		return;
	}
	if (!task_busy(d->spawner))
		return;
	if (d->nearly == EARLY_MAX) {	/* the oldest goes */
		memmove(d->early, d->early + 1,
		    (EARLY_MAX - 1) * sizeof(*d->early));
		d->nearly--;
	}
	d->early[d->nearly].pid = w->rpid;
	d->early[d->nearly++].st = w->rstatus;
}

/* No rebuilder could be started. */
static void
start_failed(struct daemon *d, int force)
{
	d->sched = force ? SCHED_IDLE_FORCE : SCHED_IDLE;
	retry_later(d);
	set_state(d, "stale");
	refreshed(d, PROTO_E_INTERNAL, "cannot start a rebuild");
}

/* On the loop: the rebuilder started (or not); when it already ended,
   its end. */
static void
spawn_done(void *arg)
{
	struct daemon	*d = arg;
	size_t		 i, n = d->nearly;
	pid_t		 pid;

	d->nearly = 0;
	pid = spawned(d, &d->spawning);
	d->spawning.pid = 0;	/* the loop's now */
	if (pid == -1) {
		start_failed(d, d->spawning.force);
		return;
	}
	d->child_pid = pid;
	ev_timer_set(&d->watchdog, REBUILD_MAX, 0.);
	ev_timer_start(d->loop, &d->watchdog);
	for (i = 0; i < n; i++)
		if (d->early[i].pid == pid) {
			child_ended(d, d->early[i].st);
			return;
		}
}

/* The rebuilder ended with wait status st, and what it made is served. */
static void
finish_child(struct daemon *d, int st)
{
	enum sched_event	 ev;
	int			 code;

	code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	if (code == RB_REBUILT || code == RB_FRESH) {
		d->retry_after = 0;
		ev_timer_stop(d->loop, &d->retry);
	}
	switch (code) {
	case RB_REBUILT:
		log_info("serving the new cache (rebuild took %llu ms)",
		    (unsigned long long)((now_usec() - d->child_t0) / 1000));
		/* FALLTHROUGH */
	case RB_FRESH:
		set_state(d, stamp_lock(d->conf) == STAMP_LOCK_STALE ?
		    "stale" : "fresh");
		/* A refresh that came during a lesser check waits for its
		   own rebuild, next. */
		if (code == RB_FRESH && d->refresh &&
		    d->sched == SCHED_CHECK_THEN_FORCE) {
			schedule(d, EV_DONE);
			return;
		}
		refreshed(d, 0, NULL);
		ev = code == RB_REBUILT ? EV_DONE_REBUILT : EV_DONE;
		break;
	case RB_BUSY:
		/* pacman is at work: its lock going away will wake us. */
		set_state(d, "locked");
		refreshed(d, PROTO_E_BUSY, "pacman holds its database lock; "
		    "try again when it is done");
		ev = EV_DONE_AGAIN;
		break;
	case RB_CHANGED:
		/* Not the lock: say what happened, and rebuild again when
		   the databases are quiet for a moment. */
		log_warnx("pacman changed the databases during each of %d "
		    "rebuilds; rebuilding again", CACHE_TRIES);
		set_state(d, "stale");
		refreshed(d, PROTO_E_BUSY, "pacman kept changing the databases "
		    "during the rebuild; it is tried again when they settle");
		ev = EV_DONE_AGAIN;
		break;
	default:
		retry_later(d);
		log_warnx("the rebuild failed (%s %d); serving the last cache, "
		    "trying again in %.2g s", WIFSIGNALED(st) ? "signal" :
		    "status", WIFSIGNALED(st) ? WTERMSIG(st) : code,
		    d->retry_after);
		set_state(d, "stale");
		refreshed(d, PROTO_E_INTERNAL, "the rebuild failed; serving "
		    "the last cache");
		ev = EV_DONE;	/* the retry timer asks again */
	}
	schedule(d, ev);
}

/* Start a child: a check, or with force a rebuild (the scheduler's). */
static void
start_child(struct daemon *d, int force)
{
	struct cache_info	 ci;
	enum stamp_lock		 lk;

	(void)follow_cache(d);
	/* Queries answer from memory once a generation is read: whether
	   the file is still readable is asked here (truncated in place,
	   it is not, and our connection would hold the rebuilder off). */
	if (!d->heal && cache_info(d->cache, &ci) == -1) {
		log_warnx("the cache %s cannot be read; rebuilding it with a "
		    "check", d->cache_path);
		d->heal = 1;
	} else if (!d->heal)
		cache_info_free(&ci);
	if (d->heal)
		reopen_cache(d);
	force |= d->sched == SCHED_IDLE_FORCE;	/* an empty cache found */
	lk = stamp_lock(d->conf);
	if (lk == STAMP_LOCKED) {
		/* Its lock going away wakes us (inotify). */
		if (force)
			d->sched = SCHED_IDLE_FORCE;
		set_state(d, "locked");
		refreshed(d, PROTO_E_BUSY, "pacman holds its database lock; "
		    "try again when it is done");
		return;
	}
	/*
	 * Whether the cache is still fresh is the child's to find out: the
	 * stamp stats every installed package's desc (thousands), which the
	 * loop does not wait for.  A child that finds it fresh exits
	 * RB_FRESH at once, without loading libalpm; one that rebuilds says
	 * so with its first progress line.
	 */
	if (lk == STAMP_LOCK_STALE)
		log_warnx("db.lck is older than this boot or %d minutes; "
		    "not waiting for it", STAMP_LOCK_MAXAGE / 60);
	d->child_t0 = now_usec();
	if (spawn_args(d, &d->spawning, force, 1) == -1) {
		d->heal = 0;
		start_failed(d, force);
		return;
	}
	d->heal = 0;
	d->sched = force ? SCHED_FORCE : SCHED_CHECK;
	d->nearly = 0;
	/* Beside the loop; spawn_done goes on (here when no thread). */
	if (task_start(d->spawner, &d->spawning) == 0)
		return;
	spawn_work(&d->spawning);
	spawn_done(d);
}

/*
 * The scheduler's one transition function.  A want starts a child when
 * none runs, else is kept for when it ends; at its end what was kept
 * starts after the debounce (pacman may not be done), or at once when a
 * refresh waits for a forced rebuild.
 */
static void
schedule(struct daemon *d, enum sched_event ev)
{
	enum { NONE, CHECK, FORCE }	next;
	int				force = ev == EV_WANT_FORCE;

	switch (ev) {
	case EV_WANT_CHECK:
	case EV_WANT_FORCE:
		switch (d->sched) {
		case SCHED_IDLE:
		case SCHED_IDLE_FORCE:
			start_child(d, force);
			break;
		case SCHED_CHECK:
		case SCHED_CHECK_THEN_CHECK:
			d->sched = force ? SCHED_CHECK_THEN_FORCE :
			    SCHED_CHECK_THEN_CHECK;
			break;
		case SCHED_FORCE:
		case SCHED_FORCE_THEN_CHECK:
			d->sched = force ? SCHED_FORCE_THEN_FORCE :
			    SCHED_FORCE_THEN_CHECK;
			break;
		case SCHED_CHECK_THEN_FORCE:
		case SCHED_FORCE_THEN_FORCE:
			break;
		}
		return;
	case EV_FORCE_NEXT:
		if (d->sched == SCHED_IDLE)
			d->sched = SCHED_IDLE_FORCE;
		else if (d->sched == SCHED_CHECK ||
		    d->sched == SCHED_CHECK_THEN_CHECK)
			d->sched = SCHED_CHECK_THEN_FORCE;
		else if (d->sched == SCHED_FORCE ||
		    d->sched == SCHED_FORCE_THEN_CHECK)
			d->sched = SCHED_FORCE_THEN_FORCE;
		return;
	case EV_DONE:
	case EV_DONE_REBUILT:
	case EV_DONE_AGAIN:
		break;
	}
	next = d->sched == SCHED_CHECK_THEN_FORCE ||
	    d->sched == SCHED_FORCE_THEN_FORCE ? FORCE :
	    d->sched == SCHED_CHECK_THEN_CHECK ||
	    d->sched == SCHED_FORCE_THEN_CHECK ? CHECK : NONE;
	/* A rebuild just made answers a forced one wanted meanwhile; the
	   databases may still have changed since it read them. */
	if (ev == EV_DONE_REBUILT && next == FORCE)
		next = CHECK;
	if (ev == EV_DONE_AGAIN && next == NONE)
		next = CHECK;
	d->sched = next == FORCE ? SCHED_IDLE_FORCE : SCHED_IDLE;
	if (next == FORCE && d->refresh)
		start_child(d, 1);
	else if (next != NONE)
		ev_timer_again(d->loop, &d->debounce);
}

/* server.c <-> worker.c: a search whose cost the client sets. */
static void
work_cb(void *arg, uint64_t serial, const uint8_t *req, size_t len)
{
	struct daemon	*d = arg;

	worker_submit(d->worker, serial, req, len);
}

static void
cancel_cb(void *arg, uint64_t serial)
{
	struct daemon	*d = arg;

	worker_cancel(d->worker, serial);
}

static void
worked_cb(void *arg, uint64_t serial, const uint8_t *frame, size_t len)
{
	struct daemon	*d = arg;

	server_answer(d->server, serial, frame, len);
}

/* server.c: a client asks for a rebuild now. */
static void
refresh_cb(void *arg)
{
	struct daemon	*d = arg;

	d->refresh = 1;
	if (rebuilding(d)) {
		/* A forced rebuild is one; a check is followed by one. */
		if (d->sched != SCHED_FORCE &&
		    d->sched != SCHED_FORCE_THEN_CHECK &&
		    d->sched != SCHED_FORCE_THEN_FORCE)
			schedule(d, EV_WANT_FORCE);
		return;
	}
	/* From the loop, not from inside the connection's callback. */
	ev_timer_start(d->loop, &d->refresh_now);
}

static void
refresh_now_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	schedule(w->data, EV_WANT_FORCE);
}

static void
debounce_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)revents;
	ev_timer_stop(loop, w);
	schedule(w->data, EV_WANT_CHECK);
}

static void
safety_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	schedule(w->data, EV_WANT_CHECK);
}

static void
watch_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct daemon	*d = w->data;
	int		 flags;

	(void)revents;
	flags = watch_read(d->watch);
	if (flags & WATCH_OVERFLOW) {
		log_warnx("inotify queue overflow: rebuilding in full");
		schedule(d, EV_FORCE_NEXT);
	}
	if (flags & WATCH_LOCK && stamp_lock(d->conf) == STAMP_LOCKED)
		set_state(d, "locked");
	if (flags != 0)
		ev_timer_again(loop, &d->debounce);
}

static void
watch_start(struct daemon *d)
{
	char	err[256];

	if ((d->watch = watch_new(d->conf, d->cache_path, err,
	    sizeof(err))) == NULL) {
		log_warnx("%s; checking every %.0f s instead", err,
		    SAFETY_CHECK);
		return;
	}
	ev_io_init(&d->watch_io, watch_cb, watch_fd(d->watch), EV_READ);
	d->watch_io.data = d;
	ev_io_start(d->loop, &d->watch_io);
}

static void
watch_stop(struct daemon *d)
{
	if (d->watch == NULL)
		return;
	ev_io_stop(d->loop, &d->watch_io);
	watch_free(d->watch);
	d->watch = NULL;
}

/* The longest time the loop spent between waking and sleeping again. */
static void
check_cb(struct ev_loop *loop, ev_check *w, int revents)
{
	struct daemon	*d = w->data;

	(void)loop;
	(void)revents;
	d->woke = now_usec();
}

static void
prepare_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
	struct daemon	*d = w->data;
	uint64_t	 busy;

	(void)loop;
	(void)revents;
	if (d->woke == 0)
		return;
	busy = now_usec() - d->woke;
	if (busy > d->query.stall_max_us)
		d->query.stall_max_us = busy;
}

static void
stop_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	(void)revents;
	log_info("signal %d, exiting", w->signum);
	ev_break(loop, EVBREAK_ALL);
}

/* In the thread: pacman.conf and its Includes (however large). */
static void
hup_work(void *arg)
{
	struct reconf	*r = arg;

	r->conf = conf_load(r->path, r->err, sizeof(r->err));
}

static void
hup_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct daemon	*d = w->data;

	(void)loop;
	(void)revents;
	if (task_busy(d->hup)) {
		d->reconf.again = 1;	/* read it again when this ends */
		return;
	}
	d->reconf.path = d->conf_path;
	d->reconf.again = 0;
	if (task_start(d->hup, &d->reconf) == -1)
		log_warnx("SIGHUP: cannot start a thread; keeping the old "
		    "configuration");
}

/* On the loop: the configuration read, put in place of the old one. */
static void
hup_done(void *arg)
{
	struct daemon	*d = arg;
	struct conf	*c = d->reconf.conf;

	d->reconf.conf = NULL;
	if (d->reconf.again) {
		conf_free(c);
		hup_cb(d->loop, &d->sighup, 0);
		return;
	}
	if (c == NULL) {
		log_warnx("SIGHUP: keeping the old configuration: %s",
		    d->reconf.err);
		return;
	}
	watch_stop(d);
	conf_free(d->conf);
	d->conf = c;
	d->query.conf = c;
	worker_restart(d->worker);
	watch_start(d);
	log_info("SIGHUP: reloaded %s", d->conf_path);
	schedule(d, EV_WANT_FORCE);
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
	(void)fcntl(3, F_SETFD, FD_CLOEXEC);
	return 3;
}

/*
 * One daemon per socket: an flock'd file beside it holding our PID and
 * the socket's path.  A socket file without a lock holder is stale.
 */
static void
lock_instance(struct daemon *d)
{
	struct stat	 st, now;
	char		 held[64];
	ssize_t		 n;
	int		 fd, tries;

	d->lock_path = xasprintf("%s.lock", d->sock_path);
	for (tries = 0; ; tries++) {
		/* Never through a link: whatever it points to is not ours
		   to truncate. */
		fd = open(d->lock_path, O_RDWR | O_CREAT | O_CLOEXEC |
		    O_NOFOLLOW, 0600);
		if (fd == -1 && errno == ELOOP)
			fatalx("%s is a symbolic link: not following it; "
			    "remove it", d->lock_path);
		if (fd == -1)
			fatal("open %s", d->lock_path);
		if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode))
			fatalx("%s is not a regular file; remove it",
			    d->lock_path);
		if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
			if (errno != EWOULDBLOCK)
				fatal("flock %s", d->lock_path);
			n = read(fd, held, sizeof(held) - 1);
			held[n > 0 ? n : 0] = '\0';
			held[strcspn(held, "\n")] = '\0';
			fatalx("another omg daemon (pid %s) serves %s", held[0] ?
			    held : "?", d->sock_path);
		}
		/*
		 * The lock is ours only if the file is still the one at the
		 * path: a daemon that exits unlinks its lock file while it
		 * holds it, and one that opened that file just before got a
		 * lock on a file nobody else will ever open.  Then again.
		 */
		if (stat(d->lock_path, &now) == 0 && now.st_dev == st.st_dev &&
		    now.st_ino == st.st_ino)
			break;
		close(fd);
		if (tries == 100)
			fatalx("%s keeps changing under us", d->lock_path);
	}
	if (ftruncate(fd, 0) == -1 ||
	    dprintf(fd, "%ld\n%s\n", (long)getpid(), d->sock_path) < 0)
		fatal("write %s", d->lock_path);
	d->lock_fd = fd;
}

/* The socket's directory must be ours and closed to everyone else. */
static void
check_socket_dir(const char *path)
{
	struct stat	 st;
	char		*dir, *slash;

	dir = xstrdup(path);
	if ((slash = strrchr(dir, '/')) != NULL)
		*(slash == dir ? slash + 1 : slash) = '\0';
	else {
		free(dir);
		dir = xstrdup(".");	/* a bare name: here */
	}
	if (stat(dir, &st) == -1)
		fatal("socket directory %s", dir);
	if ((st.st_mode & 077) != 0 || st.st_uid != geteuid())
		fatalx("socket directory %s is open to other users (mode %04o);"
		    " use a private directory", dir,
		    (unsigned)(st.st_mode & 07777));
	free(dir);
}

static int
bind_socket(const char *path)
{
	struct sockaddr_un	 sun;
	struct stat		 st;
	mode_t			 old;
	char			 tmp[sizeof(sun.sun_path) + 32];
	int			 fd, aside;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path))
		fatalx("socket path too long: %s", path);

	/* We hold the instance lock: a socket here is a dead one's.  Any
	   other file is someone's, and stays. */
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			fatalx("%s exists and is not a socket: not removing "
			    "it", path);
		if (unlink(path) == 0)
			log_info("removed the stale socket %s", path);
	}

	/* Bound and listening under a name of its own, then renamed into
	   place: a client never finds a socket that does not listen yet
	   (it would be refused).  Straight in when that name is too long. */
	snprintf(tmp, sizeof(tmp), "%s.%ld", path, (long)getpid());
	aside = strlen(tmp) < sizeof(sun.sun_path);
	strcpy(sun.sun_path, aside ? tmp : path);
	if (aside)
		(void)unlink(tmp);	/* a dead one's, of our pid */
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1)
		fatal("socket");
	old = umask(0177);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		fatal("bind %s", sun.sun_path);
	umask(old);
	if (chmod(sun.sun_path, 0600) == -1)
		fatal("chmod %s", sun.sun_path);
	if (listen(fd, 128) == -1)
		fatal("listen");
	if (aside && rename(tmp, path) == -1)
		fatal("rename %s to %s", tmp, path);
	return fd;
}

/* A cache with no build at all is built before we serve anything. */
static void
first_build(struct daemon *d)
{
	struct cache_info	ci;
	struct spawning		sp;
	uint64_t		t0 = now_usec();
	pid_t			pid;
	int			st;

	if (cache_info(d->cache, &ci) == 0) {
		cache_info_free(&ci);
		return;
	}
	if (spawn_args(d, &sp, 1, 0) == -1)
		fatalx("cannot start the first build");
	spawn_work(&sp);
	if ((pid = spawned(d, &sp)) == -1)
		fatalx("cannot start the first build");
	while (waitpid(pid, &st, 0) == -1)
		if (errno != EINTR)
			fatal("waitpid");
	if (!WIFEXITED(st) || WEXITSTATUS(st) != RB_REBUILT)
		fatalx("the first build of %s failed", d->cache_path);
	log_info("built %s in %llu ms before serving", d->cache_path,
	    (unsigned long long)((now_usec() - t0) / 1000));
}

int
daemon_main(const struct opts *o, int argc, char **argv)
{
	struct daemon	 d;
	char		 err[256], *stamp;
	int		 fd, verbose = o->verbose;

	(void)argv;
	if (argc != 0 || o->no_daemon || o->color != NULL || o->help ||
	    o->version)
		usage();
	memset(&d, 0, sizeof(d));
	d.lock_fd = -1;
	d.progress_fd = -1;
	if (o->socket != NULL)
		d.sock_path = xstrdup(o->socket);
	if (o->config != NULL)
		d.conf_path = xstrdup(o->config);
	if (o->cache != NULL)
		d.cache_path = xstrdup(o->cache);
	if (o->settings != NULL)
		d.settings_path = xstrdup(o->settings);
	if (o->advisories != NULL)
		d.adv_path = xstrdup(o->advisories);
	log_init(verbose);
	if ((d.self = realpath("/proc/self/exe", NULL)) == NULL)
		fatal("cannot find my own executable");
	if (d.sock_path == NULL)
		d.sock_path = paths_socket();
	if (d.conf_path == NULL)
		d.conf_path = xstrdup(PATHS_PACMAN_CONF);
	if (d.cache_path == NULL)
		d.cache_path = paths_cache();
	if (d.adv_path == NULL)
		d.adv_path = paths_advisories();
	if (d.settings_path != NULL)
		load_settings(&d, 1);
	else {
		d.settings_path = paths_settings();
		load_settings(&d, 0);
	}
	signal(SIGPIPE, SIG_IGN);

	if ((d.conf = conf_load(d.conf_path, err, sizeof(err))) == NULL)
		fatalx("%s", err);
	if (getenv("LISTEN_FDS") == NULL)
		check_socket_dir(d.sock_path);
	lock_instance(&d);
	/* The loop and its signal watchers first: a SIGTERM or SIGHUP
	   during the first build is handled, not fatal. */
	/* poll(2), not epoll: a connection's fd goes to an answer thread
	   (server.c), and libev's epoll backend leaves a stopped watcher's
	   fd in the kernel's set until an event comes for it, then removes
	   it from the loop's thread; poll keeps no such state. */
	if ((d.loop = ev_default_loop(EVBACKEND_POLL)) == NULL &&
	    (d.loop = ev_default_loop(EVFLAG_AUTO)) == NULL)
		fatalx("cannot start the event loop");
	if (ev_backend(d.loop) != EVBACKEND_POLL && d.answer_threads > 0) {
		log_warnx("no poll(2) backend: no answer threads");
		d.answer_threads = 0;
	}
	ev_signal_init(&d.sigint, stop_cb, SIGINT);
	ev_signal_init(&d.sigterm, stop_cb, SIGTERM);
	ev_signal_init(&d.sighup, hup_cb, SIGHUP);
	d.sighup.data = &d;
	ev_signal_start(d.loop, &d.sigint);
	ev_signal_start(d.loop, &d.sigterm);
	ev_signal_start(d.loop, &d.sighup);
	if ((d.cache = cache_open(d.cache_path, CACHE_CHECK, err,
	    sizeof(err))) == NULL)
		fatalx("%s", err);
	if (cache_damaged(d.cache) != NULL)
		log_warnx("the cache was damaged: moved to %s, rebuilding",
		    cache_damaged(d.cache));
	first_build(&d);

	if ((fd = activation_fd()) == -1) {
		fd = bind_socket(d.sock_path);
		d.own_socket = 1;
	} else if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == -1)
		fatal("fcntl");

	d.query.cache = d.cache;
	d.query.conf = d.conf;
	d.query.mode = "daemon";
	d.query.cache_path = d.cache_path;
	d.query.limits = &d.plim;
	d.query.advisories_path = d.adv_path;
	d.query.defer = 1;
	d.query.broken = broken_cb;
	d.query.changed = changed_cb;
	d.query.hook_arg = &d;
	/* The state until the first check ends, from the stamps compared
	   now, before serving: the loop never stats every package. */
	stamp = stamp_dbs(d.conf);
	set_state(&d, cache_fresh(d.cache, stamp) ? "fresh" : "stale");
	free(stamp);
	/* What the first queries read, read before there are any (in a
	   thread, as every later generation: see task_run). */
	task_run(prepare_work, &d);
	if (d.prepared == -1)
		log_warnx("cannot read the cache %s yet", d.cache_path);
	d.load = task_new(d.loop, load_work, load_done, &d);
	d.hup = task_new(d.loop, hup_work, hup_done, &d);
	d.reap = task_new(d.loop, reap_work, reap_done, &d);
	d.spawner = task_new(d.loop, spawn_work, spawn_done, &d);
	d.server = server_new(d.loop, fd, &d.query, &d.slim);
	server_on_refresh(d.server, refresh_cb, &d);
	d.worker = worker_new(d.loop, d.self, d.conf_path, d.cache_path,
	    &d.query, d.search_cpu, d.search_mem, worked_cb, &d);
	server_on_work(d.server, work_cb, cancel_cb, &d);
	d.query.offload = 1;
	ev_init(&d.progress_io, progress_cb);
	d.progress_io.data = &d;
	ev_timer_init(&d.refresh_now, refresh_now_cb, 0., 0.);
	d.refresh_now.data = &d;
	ev_init(&d.debounce, debounce_cb);
	d.debounce.repeat = DEBOUNCE;
	d.debounce.data = &d;
	ev_init(&d.retry, retry_cb);
	d.retry.data = &d;
	ev_init(&d.watchdog, watchdog_cb);
	d.watchdog.data = &d;
	ev_timer_init(&d.safety, safety_cb, SAFETY_CHECK, SAFETY_CHECK);
	d.safety.data = &d;
	ev_timer_start(d.loop, &d.safety);
	ev_child_init(&d.child, child_cb, 0, 0);
	d.child.data = &d;
	ev_child_start(d.loop, &d.child);
	ev_prepare_init(&d.prepare, prepare_cb);
	d.prepare.data = &d;
	ev_prepare_start(d.loop, &d.prepare);
	ev_check_init(&d.check, check_cb);
	d.check.data = &d;
	ev_check_start(d.loop, &d.check);
	watch_start(&d);
	/* A valid but old cache: serve it, rebuild behind. */
	schedule(&d, EV_WANT_CHECK);
	/* Clients that keep their connection get a thread each, up to
	   answer_threads; from here the loop holds the query lock but
	   while it waits. */
	server_threads(d.server, d.answer_threads);
	log_info("serving %s", d.own_socket ? d.sock_path : "the activation "
	    "socket");

	ev_run(d.loop, 0);

	server_free(d.server);
	worker_free(d.worker);
	task_free(d.load);	/* a generation being read: let it go */
	task_free(d.hup);
	task_free(d.reap);
	task_free(d.spawner);	/* a rebuilder starting: its pid is ours */
	if (d.spawning.pid > 0 && d.child_pid == 0) {
		d.child_pid = d.spawning.pid;
		if (d.spawning.pipe[0] != -1) {
			close(d.spawning.pipe[0]);
			close(d.spawning.pipe[1]);
		}
	}
	query_done(&d.reaping.q);
	cache_close(d.reaping.cache);
	conf_free(d.reconf.conf);
	query_done(&d.loading.q);
	cache_close(d.loading.cache);
	query_done(&d.query);
	close(fd);
	if (d.child_pid != 0) {
		/* Its transaction rolls back; the cache stays whole. */
		kill(d.child_pid, SIGTERM);
		(void)waitpid(d.child_pid, NULL, 0);
	}
	if (d.progress_fd != -1)
		close(d.progress_fd);
	buf_free(&d.progress);
	if (d.own_socket && unlink(d.sock_path) == -1)
		log_warn("unlink %s", d.sock_path);
	/* Unlinked while still held, then let go: a daemon starting now
	   either fails on our lock or finds the file gone and makes its
	   own (lock_instance checks which file it locked). */
	if (unlink(d.lock_path) == -1)
		log_warn("unlink %s", d.lock_path);
	close(d.lock_fd);
	watch_stop(&d);
	ev_loop_destroy(d.loop);
	cache_close(d.cache);
	conf_free(d.conf);
	free(d.self);
	free(d.sock_path);
	free(d.lock_path);
	free(d.conf_path);
	free(d.settings_path);
	free(d.adv_path);
	free(d.cache_path);
	return 0;
}
