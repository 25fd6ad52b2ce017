/*
 * worker.c - the search worker (worker.h): the daemon's side (a queue, the
 * process, its socket, a wall-clock watchdog) and the worker's own loop.
 *
 * The worker is omg re-executed with --search-worker on one end of a
 * socketpair: it reads a request frame, answers it with query_frame over
 * its own cache connection, writes the answer frame, and waits for the
 * next.  Its CPU budget is a CPU-time timer armed for each request; its
 * memory budget an RLIMIT_AS set when it starts.  Being its own process,
 * whatever a regex costs (regcomp that grows by gigabytes, regexec that
 * backtracks for minutes) is its, and ends with it.
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "budget.h"
#include "cache.h"
#include "conf.h"
#include "log.h"
#include "task.h"
#include "worker.h"

#define WORKER_FD	3	/* the worker's end of the socketpair */
#define WORKER_QUEUE	64	/* requests waiting, from every client */
#define WORKER_OVER	13	/* its exit status past the CPU budget */
#define WALL_FACTOR	4.0	/* wall-clock watchdog: budget x this + 1 s */
#define CANCEL_KILL	0.05	/* seconds run before a cancel kills it */
#define NO_ONE		0	/* the serial of a job whose client left */

struct job {
	uint64_t	 serial;
	struct buf	 req;
};

struct worker {
	struct ev_loop	*loop;
	char		*self, *conf_path, *cache_path;
	struct query	*q;
	double		 cpu_max, mem_max;
	worker_done_fn	 done;
	void		*arg;
	pid_t		 pid;		/* 0: none running */
	int		 fd;
	ev_io		 io;
	ev_timer	 watchdog;
	struct buf	 in;		/* the answer as it comes */
	struct job	 queue[WORKER_QUEUE];
	size_t		 head, n;	/* queue[head] runs when busy */
	int		 busy;		/* queue[head] is in the worker */
	ev_tstamp	 started;	/* when it went in */
	int		 stale;		/* a new generation: replace it */
	/* Started beside the loop: posix_spawn holds its caller until the
	   exec (1-4 ms of a 50 MB daemon). */
	struct task	*spawner;
	int		 spawning;
	pid_t		 sp_pid;	/* the thread's: the new worker, or -1 */
	int		 sp_fd, sp_errno;
	const char	*sp_what;	/* what failed */
};

static void	next(struct worker *);
static void	renew(struct worker *);

/* Answer a job with an error of the daemon's own, and drop it. */
static void
refuse(struct worker *w, struct job *j, int code, const char *msg)
{
	struct buf	out = { 0 };

	if (j->serial == NO_ONE)
		return;

	query_refuse(w->q, j->req.data, j->req.len, code, msg, &out);
	w->done(w->arg, j->serial, out.data, out.len);
	buf_free(&out);
}

static void
pop(struct worker *w)
{
	buf_free(&w->queue[w->head].req);
	w->head = (w->head + 1) % WORKER_QUEUE;
	w->n--;
	w->busy = 0;
}

/* Stop the process (its child watcher reaps it). */
static void
stop(struct worker *w)
{
	if (w->pid == 0)
		return;
	kill(w->pid, SIGKILL);
	ev_io_stop(w->loop, &w->io);
	ev_timer_stop(w->loop, &w->watchdog);
	close(w->fd);
	w->fd = -1;
	w->pid = 0;
	buf_reset(&w->in);
}

static void
read_cb(struct ev_loop *loop, ev_io *io, int revents)
{
	struct worker	*w = io->data;
	struct job	*j = &w->queue[w->head];
	size_t		 len;
	ssize_t		 n;
	int		 rc;

	(void)loop;
	(void)revents;
	buf_reserve(&w->in, 65536);
	n = read(w->fd, w->in.data + w->in.len, w->in.cap - w->in.len);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		/* Gone mid-request: over its CPU time (it exits 13), or
		   killed by the system for its memory. */
		stop(w);
		if (w->busy) {
			log_warnx("the search worker ended on a request (over "
			    "its budget, or failed); replacing it");
			refuse(w, j, PROTO_E_EXPENSIVE, "the search is too "
			    "expensive: over its CPU or memory budget "
			    "(omg.conf search_cpu_max, search_memory_max)");
			pop(w);
			renew(w);
		} else
			next(w);
		return;
	}
	w->in.len += (size_t)n;
	rc = proto_frame_peek(w->in.data, w->in.len, w->q->limits != NULL ?
	    w->q->limits->response : PROTO_RESP_MAX, &len);
	if (rc == 0)
		return;
	if (rc == -1 || !w->busy) {
		log_warnx("the search worker broke the framing; replacing it");
		stop(w);
		if (w->busy) {
			refuse(w, j, PROTO_E_INTERNAL, "the search worker "
			    "failed");
			pop(w);
		}
		next(w);
		return;
	}
	ev_timer_stop(w->loop, &w->watchdog);
	if (j->serial != NO_ONE)
		w->done(w->arg, j->serial, w->in.data, len + 4);
	buf_consume(&w->in, len + 4);
	pop(w);
	if (w->stale) {
		stop(w);
		renew(w);
	} else
		next(w);
}

static void
watchdog_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct worker	*w = t->data;

	(void)loop;
	(void)revents;
	/* Its CPU timer did not end it (a wait, not work): we do. */
	log_warnx("the search worker took %.1f s of wall time; replacing it",
	    t->repeat);
	stop(w);
	if (w->busy) {
		refuse(w, &w->queue[w->head], PROTO_E_EXPENSIVE, "the search "
		    "is too expensive: over its time budget");
		pop(w);
	}
	renew(w);
}

/* In the spawner's thread (or on the loop when no thread starts): the
   process and its socket, or sp_pid -1, sp_what and sp_errno. */
static void
spawn_work(void *arg)
{
	struct worker	*w = arg;
	char		 cpu[32], mem[32];
	char		*argv[] = { w->self, "--search-worker", "--config",
			    w->conf_path, "--cache", w->cache_path, "--cpu",
			    cpu, "--memory", mem, NULL };
	int		 sv[2];

	snprintf(cpu, sizeof(cpu), "%g", w->cpu_max);
	snprintf(mem, sizeof(mem), "%.0f", w->mem_max);
	w->sp_pid = -1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1) {
		w->sp_errno = errno;
		w->sp_what = "socketpair";
		return;
	}
	/* Its end of the pair as WORKER_FD, and none of our other fds. */
	if ((w->sp_pid = util_spawn(w->self, argv, sv[1], WORKER_FD,
	    0)) == -1) {
		w->sp_errno = errno;
		w->sp_what = "cannot start the search worker";
		close(sv[0]);
		close(sv[1]);
		return;
	}
	close(sv[1]);
	(void)fcntl(sv[0], F_SETFL, O_NONBLOCK);
	w->sp_fd = sv[0];
}

/* On the loop: take the new worker, or refuse the request it was for. */
static void
spawn_done(void *arg)
{
	struct worker	*w = arg;

	w->spawning = 0;
	if (w->sp_pid == -1) {
		log_warnx("%s: %s", w->sp_what, strerror(w->sp_errno));
		if (w->n > 0 && !w->busy) {
			refuse(w, &w->queue[w->head], PROTO_E_INTERNAL,
			    "cannot start the search worker");
			pop(w);
		}
		next(w);
		return;
	}
	if (w->stale) {
		/* Started before a new generation (or pacman.conf). */
		kill(w->sp_pid, SIGKILL);
		close(w->sp_fd);
		renew(w);
		return;
	}
	w->pid = w->sp_pid;
	w->fd = w->sp_fd;
	ev_io_init(&w->io, read_cb, w->fd, EV_READ);
	w->io.data = w;
	ev_io_start(w->loop, &w->io);
	/* libev's default loop reaps every child on SIGCHLD. */
	next(w);
}

/* Start a worker beside the loop; spawn_done goes on.  On the loop when
   no thread starts. */
static void
spawn(struct worker *w)
{
	w->spawning = 1;
	w->stale = 0;
	if (task_start(w->spawner, w) == 0)
		return;
	spawn_work(w);
	spawn_done(w);
}

/* Send the next waiting request, starting a worker if there is none. */
static void
next(struct worker *w)
{
	struct job	*j;
	ssize_t		 n;
	size_t		 off = 0;
	uint8_t		 hdr[4];

	while (!w->busy && !w->spawning && w->n > 0) {
		j = &w->queue[w->head];
		if (w->pid == 0) {
			spawn(w);	/* next again when it has */
			return;
		}
		/* One request at a time, small: the socket takes it whole
		   (a worker that cannot, has died: read_cb says so). */
		be32_put(hdr, (uint32_t)j->req.len);
		if (write(w->fd, hdr, 4) != 4) {
			stop(w);
			continue;
		}
		while (off < j->req.len) {
			n = write(w->fd, j->req.data + off, j->req.len - off);
			if (n == -1 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			off += (size_t)n;
		}
		if (off < j->req.len) {
			stop(w);
			continue;
		}
		w->busy = 1;
		w->started = ev_now(w->loop);
		ev_timer_set(&w->watchdog, w->cpu_max * WALL_FACTOR + 1., 0.);
		w->watchdog.repeat = w->cpu_max * WALL_FACTOR + 1.;
		ev_timer_start(w->loop, &w->watchdog);
	}
}

/*
 * next(), for a worker that ended on work (or was stale): its successor
 * starts now even with no request waiting, and reads its generation
 * before any comes (at 100,000 packages that read costs 0.15 s, which
 * the next search would wait for).  A daemon asked no costly search
 * starts none.
 */
static void
renew(struct worker *w)
{
	next(w);
	if (w->pid == 0 && !w->spawning)
		spawn(w);
}

struct worker *
worker_new(struct ev_loop *loop, const char *self, const char *conf_path,
    const char *cache_path, struct query *q, double cpu_max, double mem_max,
    worker_done_fn done, void *arg)
{
	struct worker	*w;

	w = xcalloc(1, sizeof(*w));
	w->loop = loop;
	w->self = xstrdup(self);
	w->conf_path = xstrdup(conf_path);
	w->cache_path = xstrdup(cache_path);
	w->q = q;
	w->cpu_max = cpu_max;
	w->mem_max = mem_max;
	w->done = done;
	w->arg = arg;
	w->fd = -1;
	w->spawner = task_new(loop, spawn_work, spawn_done, w);
	ev_init(&w->watchdog, watchdog_cb);
	w->watchdog.data = w;
	return w;
}

void
worker_submit(struct worker *w, uint64_t serial, const uint8_t *req,
    size_t len)
{
	struct job	*j;

	if (w->n == WORKER_QUEUE) {
		struct job	over = { serial, { 0 } };

		buf_add(&over.req, req, len);
		refuse(w, &over, PROTO_E_EXPENSIVE, "too many costly searches "
		    "waiting; try again");
		buf_free(&over.req);
		return;
	}
	j = &w->queue[(w->head + w->n) % WORKER_QUEUE];
	j->serial = serial;
	memset(&j->req, 0, sizeof(j->req));
	buf_add(&j->req, req, len);
	w->n++;
	next(w);
}

void
worker_cancel(struct worker *w, uint64_t serial)
{
	size_t	i, k;

	for (i = 0; i < w->n; i++) {
		k = (w->head + i) % WORKER_QUEUE;
		if (w->queue[k].serial != serial)
			continue;
		if (i == 0 && w->busy) {
			/* Running: its answer is for no one now.  One that
			   has run a while is the costly kind: stop it. */
			w->queue[k].serial = NO_ONE;
			if (ev_now(w->loop) - w->started >= CANCEL_KILL) {
				log_debug("search worker: the client left; "
				    "stopping it");
				stop(w);
				pop(w);
				renew(w);
			}
			return;
		}
		/* Waiting: close the gap. */
		buf_free(&w->queue[k].req);
		for (; i + 1 < w->n; i++) {
			w->queue[(w->head + i) % WORKER_QUEUE] =
			    w->queue[(w->head + i + 1) % WORKER_QUEUE];
		}
		w->n--;
		return;
	}
}

void
worker_restart(struct worker *w)
{
	if (w->busy || w->spawning)
		w->stale = 1;	/* after the answer it is working on, or
				   when it has started */
	else if (w->pid != 0) {
		stop(w);
		renew(w);
	}
}

void
worker_free(struct worker *w)
{
	if (w == NULL)
		return;
	task_free(w->spawner);		/* waits for one starting */
	if (w->spawning && w->sp_pid != -1) {
		kill(w->sp_pid, SIGKILL);
		close(w->sp_fd);
	}
	stop(w);
	while (w->n > 0)
		pop(w);
	buf_free(&w->in);
	free(w->self);
	free(w->conf_path);
	free(w->cache_path);
	free(w);
}

/* The worker process */

static void
over_budget(int sig)
{
	(void)sig;
	_exit(WORKER_OVER);
}

/* All of p[0..n) read (dir 0) or written (dir 1); -1 at EOF or error. */
static int
move_full(int fd, void *p, size_t n, int dir)
{
	uint8_t	*b = p;
	ssize_t	 r;

	while (n > 0) {
		r = dir ? write(fd, b, n) : read(fd, b, n);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		b += r;
		n -= (size_t)r;
	}
	return 0;
}

int
worker_main(int argc, char **argv)
{
	struct query		 q;
	struct conf		*conf = NULL;
	struct cache		*cache = NULL;
	struct buf		 req = { 0 }, out = { 0 };
	const char		*cpath = NULL, *kpath = NULL;
	double			 cpu = 2, mem = 1 << 30;
	uint64_t		 id;
	uint32_t		 len;
	uint8_t			 hdr[4];
	char			 err[512];
	int			 i;

	for (i = 2; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--config") == 0)
			cpath = argv[i + 1];
		else if (strcmp(argv[i], "--cache") == 0)
			kpath = argv[i + 1];
		else if (strcmp(argv[i], "--cpu") == 0)
			cpu = strtod(argv[i + 1], NULL);
		else if (strcmp(argv[i], "--memory") == 0)
			mem = strtod(argv[i + 1], NULL);
	}
	if (cpath == NULL || kpath == NULL || !(cpu > 0) || !(mem > 0)) {
		fprintf(stderr, "usage: omg --search-worker --config PATH "
		    "--cache PATH --cpu SECONDS --memory BYTES (the daemon's)\n");
		return 2;
	}
	log_init(0);
	if ((conf = conf_load(cpath, err, sizeof(err))) == NULL ||
	    (cache = cache_open(kpath, 0, err, sizeof(err))) == NULL)
		fatalx("search worker: %s", err);
	/* The budgets: memory for its life, CPU for each request. */
	if (budget_memory(mem) == -1)
		fatal("setrlimit");
	signal(SIGXCPU, over_budget);
	memset(&q, 0, sizeof(q));
	q.cache = cache;
	q.conf = conf;
	q.mode = "daemon";		/* its answers are the daemon's */
	q.cache_path = kpath;
	/* The generation read before the first request, outside its
	   budget (a failure here is each request's to answer). */
	if (query_prepare_search(&q) == -1)
		log_warnx("search worker: cannot read the search rows of %s",
		    kpath);
	while (move_full(WORKER_FD, hdr, 4, 0) == 0) {
		len = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 |
		    (uint32_t)hdr[2] << 8 | hdr[3];
		if (len == 0 || len > PROTO_REQ_MAX * 16)
			fatalx("search worker: a request of %u bytes", len);
		buf_reset(&req);
		buf_reserve(&req, len);
		if (move_full(WORKER_FD, req.data, len, 0) == -1)
			break;
		req.len = len;
		buf_reset(&out);
		if (budget_arm(cpu) == -1)
			fatal("timer");
		(void)query_frame(&q, req.data, req.len, &out, &id);
		budget_disarm();
		if (move_full(WORKER_FD, out.data, out.len, 1) == -1)
			break;
	}
	buf_free(&req);
	buf_free(&out);
	query_done(&q);
	cache_close(cache);
	conf_free(conf);
	return 0;
}
