/*
 * bench.c - omg's daemon next to a raw baseline measured in the same run.
 *
 *   bench DAEMON-SOCKET DAEMON-PID
 *   bench --scale DAEMON-SOCKET DAEMON-PID	(one line for the scale rows)
 *   bench --exec N COMMAND [ARG...] [--vs COMMAND [ARG...]]
 *					(median wall time of N runs, ms)
 *   bench --tput-row SOCK CLIENTS DEPTH info|ping|echo	(req/s, 1 s)
 *   bench --loop SOCK ANSWER-FILE	(the loop-stall baseline, below)
 *
 * The baseline is an echo server (forked here) with the same framing,
 * 4-byte length and payload, answering with blocking reads and writes:
 * what one round trip over a Unix socket costs on this machine.  Every
 * figure for the daemon is printed with its ratio to that baseline.  The
 * throughput rows also show a bare epoll loop's (bench --loop) ratio.
 *
 * 1. Round trip per op, one client, one request in flight: p50 and p99,
 *    with client and daemon pinned to one CPU, and unpinned.
 * 2. Throughput: 1, 4 and 16 clients, 1 and 16 requests in flight each,
 *    info-only and a mixed load, requests per second: rounds of samples
 *    of each server in turn, ratios taken within a round (tput_table).
 */
#define _GNU_SOURCE
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define RTT_N		4000
#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))
#define UNCACHED	100	/* distinct requests: more than omg caches */
#define TPUT_SECS	1.0	/* a throughput sample, --tput-row */
#define ROW_SECS	0.5	/* a sample of the table's rows */
#define ROW_ROUNDS	7	/* samples of each server per row */
#define WARM		4	/* round trips before a sample's clock */

static uint64_t
now_ns(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int
xfer(int fd, void *p, size_t n, int out)
{
	uint8_t	*b = p;
	ssize_t	 r;

	while (n > 0) {
		r = out ? write(fd, b, n) : read(fd, b, n);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		b += r;
		n -= (size_t)r;
	}
	return 0;
}

static int
dial(const char *path)
{
	struct sockaddr_un	sun;
	int			fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		perror(path);
		exit(1);
	}
	return fd;
}

/* A listening socket on path (flags: SOCK_NONBLOCK or 0); exits when it
   cannot be made. */
static int
listen_on(const char *path, int flags)
{
	struct sockaddr_un	sun;
	int			ls;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	unlink(path);
	if ((ls = socket(AF_UNIX, SOCK_STREAM | flags, 0)) == -1 ||
	    bind(ls, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    listen(ls, 128) == -1) {
		perror(path);
		exit(1);
	}
	return ls;
}

/* A frame's length: its first 4 bytes, big-endian. */
static uint32_t
be32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	    (uint32_t)b[2] << 8 | b[3];
}

/* The baseline servers forked here: the echo server, the bare loop. */
#define SERVERS		2
static struct {
	pid_t	 pid;			/* 0 for none */
	char	 sock[108];
} servers[SERVERS];
static pid_t	servers_owner;		/* the bench that started them */

/* Server pid stopped and its socket gone (at exit: however the bench
   ends, an error answer, a server that hung up, or done; not by a
   client forked from it that exits). */
static void
server_stop(pid_t pid)
{
	int	i;

	if (getpid() != servers_owner)
		return;
	for (i = 0; i < SERVERS; i++) {
		if (servers[i].pid == 0 || (pid != 0 && servers[i].pid != pid))
			continue;
		kill(servers[i].pid, SIGTERM);
		waitpid(servers[i].pid, NULL, 0);
		unlink(servers[i].sock);
		servers[i].pid = 0;
	}
}

static void
servers_stop(void)
{
	server_stop(0);
}

/* A server forked on sock, stopped at exit if not before. */
static void
server_started(pid_t pid, const char *sock)
{
	int	i;

	for (i = 0; i < SERVERS && servers[i].pid != 0; i++)
		;
	if (i == SERVERS) {
		fprintf(stderr, "bench: more than %d servers\n", SERVERS);
		kill(pid, SIGTERM);
		exit(1);
	}
	if (servers_owner == 0) {
		servers_owner = getpid();
		atexit(servers_stop);
	}
	servers[i].pid = pid;
	snprintf(servers[i].sock, sizeof(servers[i].sock), "%s", sock);
}

/* The baseline: a forked echo server, a process per connection; one a
   bench, stopped when it exits. */
static pid_t
echo_server(const char *path)
{
	uint8_t			buf[65536 + 4];
	uint32_t		n;
	pid_t			pid;
	int			ls, c;

	ls = listen_on(path, 0);
	if ((pid = fork()) == -1) {
		perror("echo: fork");
		exit(1);
	}
	if (pid != 0) {
		close(ls);
		server_started(pid, path);
		return pid;
	}
	signal(SIGCHLD, SIG_IGN);
	for (;;) {
		if ((c = accept(ls, NULL, NULL)) == -1)
			continue;
		if (fork() == 0) {
			while (xfer(c, buf, 4, 0) == 0) {
				n = be32(buf);
				if (n > 65536 || xfer(c, buf + 4, n, 0) == -1 ||
				    xfer(c, buf, n + 4, 1) == -1)
					break;
			}
			_exit(0);
		}
		close(c);
	}
}

/* Requests: CBOR maps built by hand (the bench links nothing of omg). */
struct req {
	const char	*name;
	uint8_t		 b[320];
	size_t		 len;
};

static void
put_str(struct req *r, const char *s)
{
	size_t	n = strlen(s);

	if (n < 24)
		r->b[r->len++] = 0x60 | (uint8_t)n;
	else {
		r->b[r->len++] = 0x78;
		r->b[r->len++] = (uint8_t)n;
	}
	memcpy(r->b + r->len, s, n);
	r->len += n;
}

static struct req
mkreq_at(const char *name, const char *op, const char *key, const char *val,
    int limit, int offset)
{
	struct req	r;

	memset(&r, 0, sizeof(r));
	r.name = name;
	r.len = 4;
	r.b[r.len++] = 0xa0 | (uint8_t)(2 + (key != NULL) + (limit > 0) +
	    (offset >= 0));
	put_str(&r, "id");
	r.b[r.len++] = 0x01;
	put_str(&r, "op");
	put_str(&r, op);
	if (key != NULL) {
		put_str(&r, key);
		put_str(&r, val);
	}
	if (limit > 0) {
		put_str(&r, "limit");
		r.b[r.len++] = 0x18;
		r.b[r.len++] = (uint8_t)limit;
	}
	if (offset >= 0) {
		put_str(&r, "offset");
		r.b[r.len++] = 0x18;
		r.b[r.len++] = (uint8_t)offset;
	}
	r.b[0] = r.b[1] = 0;
	r.b[2] = (uint8_t)((r.len - 4) >> 8);
	r.b[3] = (uint8_t)(r.len - 4);
	return r;
}

static struct req
mkreq(const char *name, const char *op, const char *key, const char *val,
    int limit)
{
	return mkreq_at(name, op, key, val, limit, -1);
}

/*
 * UNCACHED searches for the same terms, limit 50, that miss omg's result
 * cache: offset k (0 to UNCACHED - 1) makes each a request of its own;
 * the search itself (every match found and ranked, then the page cut) is
 * the same.  (Leading spaces did this until the protocol split the query
 * into terms: they are the same query now, and its answer is kept.)
 */
static void
uncached(struct req *out, const char *name, const char *query)
{
	int	k;

	for (k = 0; k < UNCACHED; k++) {
		out[k] = mkreq_at(name, "search", "query", query, 50, k);
	}
}

/*
 * Whether the answer b[0..n) is omg's error map ({"id": N, "error": ...}):
 * a refusal (the rate limit, a deadline) is not the answer measured.  The
 * echo server's (the request itself) is not.
 */
static int
is_error(const uint8_t *b, uint32_t n)
{
	static const uint8_t	 error[] = { 0x65, 'e', 'r', 'r', 'o', 'r' };
	uint32_t		 at;

	if (n < 5 || memcmp(b, "\xa2\x62id", 4) != 0)
		return 0;
	switch (b[4]) {		/* the id's size */
	case 0x18: at = 6; break;
	case 0x19: at = 7; break;
	case 0x1a: at = 9; break;
	case 0x1b: at = 13; break;
	default: at = 5; break;
	}
	return n >= at + sizeof(error) && memcmp(b + at, error,
	    sizeof(error)) == 0;
}

/* An error answer b[0..n) said on stderr: 1 (the figures would be of
   it), else 0.  name: what was asked. */
static int
refused(const uint8_t *b, uint32_t n, const char *name)
{
	if (!is_error(b, n))
		return 0;
	fprintf(stderr, "bench: %s: answered with an error, not measured: "
	    "%.*s\n", name, (int)(n < 200 ? n : 200), (const char *)b);
	return 1;
}

/*
 * One answer read into buf (cap bytes at most): 0, or -1 when the server
 * hung up or sent more.  An error answer is said on stderr and is 1: the
 * caller stops (the figures would be of it).  name: what was asked.
 */
static int
answer(int fd, uint8_t *buf, size_t cap, const char *name)
{
	uint32_t	n;

	if (xfer(fd, buf, 4, 0) == -1)
		return -1;
	n = be32(buf);
	if (n > cap || xfer(fd, buf, n, 0) == -1)
		return -1;
	return refused(buf, n, name);
}

/* One request, one answer; the answer is read and thrown away (an error
   stops the bench). */
static int
roundtrip(int fd, const struct req *r, uint8_t *buf, size_t cap)
{
	int	rc;

	if (xfer(fd, (void *)r->b, r->len, 1) == -1 ||
	    (rc = answer(fd, buf, cap, r->name)) == -1)
		return -1;
	if (rc == 1)
		exit(1);
	return 0;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t	x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Round trips cycling through nr requests (1: the same one repeated). */
static void
rtt(const char *path, const struct req *r, int nr, double *p50, double *p99)
{
	static uint64_t	 t[RTT_N];
	static uint8_t	 buf[16 << 20];
	int		 fd, i;
	uint64_t	 t0;

	fd = dial(path);
	for (i = 0; i < 200; i++)		/* warm up */
		if (roundtrip(fd, &r[i % nr], buf, sizeof(buf)) == -1)
			goto fail;
	for (i = 0; i < RTT_N; i++) {
		t0 = now_ns();
		if (roundtrip(fd, &r[i % nr], buf, sizeof(buf)) == -1)
			goto fail;
		t[i] = now_ns() - t0;
	}
	close(fd);
	qsort(t, RTT_N, sizeof(t[0]), cmp_u64);
	*p50 = t[RTT_N / 2] / 1000.0;
	*p99 = t[RTT_N * 99 / 100] / 1000.0;
	return;
fail:
	fprintf(stderr, "bench: %s: the server hung up\n", r->name);
	exit(1);
}

static void
pin(pid_t pid, int cpu)
{
	cpu_set_t	set;

	CPU_ZERO(&set);
	if (cpu < 0) {
		int	i;

		for (i = 0; i < CPU_SETSIZE && i < 64; i++)
			CPU_SET(i, &set);
	} else
		CPU_SET(cpu, &set);
	sched_setaffinity(pid, sizeof(set), &set);
}

/* Request r framed after out[0..olen): the new length. */
static size_t
put_req(uint8_t *out, size_t olen, const struct req *r)
{
	memcpy(out + olen, r->b, r->len);
	return olen + r->len;
}

/*
 * One throughput client on fd: depth requests in flight, asked from mix
 * in turn, for secs; the answers counted.  The clock starts after WARM
 * round trips' worth of answers, so a server's setup of a connection (the
 * echo forks, omg starts a thread after two frames) is no part of it: the
 * rows are of connections being served.  It reads what has come in one
 * read and asks again for every whole answer in one write, so its own
 * system calls are per batch, not per request: with 16 in flight a client
 * reading an answer with two reads was the pace of the row (a CPU's worth
 * of its own time) whichever server it measured.
 */
static uint64_t
tput_client(int fd, const struct req *mix, size_t nmix, int depth,
    double secs)
{
	static uint8_t	 buf[16 << 20];
	uint8_t		*out;
	uint64_t	 t_end = 0, done = 0, asked = 0;
	size_t		 have = 0, off, olen = 0;
	uint32_t	 n;
	ssize_t		 r;

	if ((out = malloc((size_t)depth * sizeof(mix->b))) == NULL)
		_exit(1);
	for (; asked < (uint64_t)depth; asked++)
		olen = put_req(out, olen, &mix[asked % nmix]);
	while (t_end == 0 || now_ns() < t_end) {
		if (olen > 0 && xfer(fd, out, olen, 1) == -1)
			_exit(1);
		olen = 0;
		r = read(fd, buf + have, sizeof(buf) - have);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			_exit(1);
		have += (size_t)r;
		for (off = 0; have - off >= 4; off += 4 + n, done++) {
			n = be32(buf + off);
			if (n > sizeof(buf) - 4)
				_exit(1);
			if (have - off - 4 < n)
				break;
			if (refused(buf + off + 4, n, nmix > 1 ? "the mix" :
			    mix->name))
				_exit(1);
			olen = put_req(out, olen, &mix[asked++ % nmix]);
		}
		memmove(buf, buf + off, have - off);
		have -= off;
		if (t_end == 0 && done >= (uint64_t)WARM * (uint64_t)depth) {
			done = 0;
			t_end = now_ns() + (uint64_t)(secs * 1e9);
		}
	}
	free(out);
	return done;
}

/* Throughput: nclients processes, each keeping depth requests in flight. */
static double
tput(const char *path, const struct req *mix, size_t nmix, int nclients,
    int depth, double secs)
{
	int	 pfd[2], i;
	pid_t	 pids[64];
	double	 total = 0, v;

	if (pipe(pfd) == -1)
		exit(1);
	for (i = 0; i < nclients; i++) {
		if ((pids[i] = fork()) == 0) {
			v = tput_client(dial(path), mix, nmix, depth,
			    secs) / secs;
			if (write(pfd[1], &v, sizeof(v)) != sizeof(v))
				_exit(1);
			_exit(0);
		}
	}
	close(pfd[1]);		/* a client that stops writes nothing */
	for (i = 0; i < nclients; i++) {
		int	st;

		if (read(pfd[0], &v, sizeof(v)) == sizeof(v))
			total += v;
		if (waitpid(pids[i], &st, 0) == -1 || !WIFEXITED(st) ||
		    WEXITSTATUS(st) != 0)
			exit(1);	/* it said why */
	}
	close(pfd[0]);
	return total;
}

/* One run of argv, its output thrown away: the wall time in ns, or 0
   when it failed (exit 1 is "nothing found"; 10 a rebuild done). */
static uint64_t
exec_once(char **argv, int devnull)
{
	uint64_t	t0 = now_ns();
	pid_t		pid;
	int		st;

	if ((pid = fork()) == 0) {
		dup2(devnull, 1);
		dup2(devnull, 2);
		execvp(argv[0], argv);
		_exit(127);
	}
	if (pid == -1 || waitpid(pid, &st, 0) == -1 || !WIFEXITED(st) ||
	    (WEXITSTATUS(st) > 1 && WEXITSTATUS(st) != 10)) {
		fprintf(stderr, "bench: %s failed\n", argv[0]);
		return 0;
	}
	return now_ns() - t0;
}

/*
 * The median wall time of n runs of argv, in ms.  With "--vs CMD..." in
 * argv, of both commands run in turn (one, the other, n times), so both
 * medians are of the same minutes of this machine: "A-ms B-ms".
 */
static int
exec_median(int n, char **argv)
{
	uint64_t	*t[2];
	char		**cmd[2] = { argv, NULL };
	int		 i, k, ncmd = 1, devnull;

	for (i = 0; argv[i] != NULL; i++)
		if (strcmp(argv[i], "--vs") == 0 && argv[i + 1] != NULL) {
			argv[i] = NULL;
			cmd[1] = argv + i + 1;
			ncmd = 2;
			break;
		}
	if (n < 1 || (t[0] = calloc((size_t)n, sizeof(**t))) == NULL ||
	    (t[1] = calloc((size_t)n, sizeof(**t))) == NULL ||
	    (devnull = open("/dev/null", O_WRONLY)) == -1)
		return 2;
	for (i = 0; i < n; i++)
		for (k = 0; k < ncmd; k++)
			if ((t[k][i] = exec_once(cmd[k], devnull)) == 0)
				return 1;
	for (k = 0; k < ncmd; k++) {
		qsort(t[k], (size_t)n, sizeof(**t), cmp_u64);
		printf(k == 0 ? "%.3f" : " %.3f", t[k][n / 2] / 1e6);
	}
	printf("\n");
	return 0;
}

/*
 * The scale rows, pinned: echo p50, then p50 of an uncached common
 * search, a rare one, a regex, and suggest, in microseconds.
 */
static int
scale(const char *sock, pid_t dpid)
{
	static struct req	cyc[3][UNCACHED];
	struct req		echo_req, sug;
	char			echo_path[128];
	double			p50, p99;
	pid_t			echo;
	int			i;

	snprintf(echo_path, sizeof(echo_path), "%s.echo", sock);
	echo = echo_server(echo_path);
	usleep(100000);
	pin(0, 0);
	pin(echo, 0);
	pin(dpid, 0);
	echo_req = mkreq("echo", "ping", NULL, NULL, 0);
	rtt(echo_path, &echo_req, 1, &p50, &p99);
	printf("%.1f", p50);
	uncached(cyc[0], "search lib", "lib");
	uncached(cyc[1], "search zstd", "zstd");
	uncached(cyc[2], "search regex", "^x.*font");
	for (i = 0; i < 3; i++) {
		rtt(sock, cyc[i], UNCACHED, &p50, &p99);
		printf(" %.1f", p50);
	}
	sug = mkreq("suggest fi", "suggest", "query", "fi", 0);
	rtt(sock, &sug, 1, &p50, &p99);
	printf(" %.1f\n", p50);
	pin(0, -1);
	pin(dpid, -1);
	return 0;
}

static int
cmp_double(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The median of v[0..n-1] (n odd), sorting v. */
static double
median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return v[n / 2];
}

static int	loop_baseline(const char *, const char *);

/*
 * The throughput rows' second baseline: bench --loop (below) on path,
 * one epoll loop answering every frame with ans (the echo's answer to
 * it): what a server of one event loop and no threads does here.
 */
static pid_t
loop_server(const char *path, const struct req *ans)
{
	char	 file[160];
	FILE	*fp;
	pid_t	 pid;

	snprintf(file, sizeof(file), "%s.answer", path);
	if ((fp = fopen(file, "wb")) == NULL ||
	    fwrite(ans->b, 1, ans->len, fp) != ans->len || fclose(fp) != 0) {
		perror(file);
		exit(1);
	}
	if ((pid = fork()) == -1) {
		perror("fork");
		exit(1);
	}
	if (pid == 0)
		_exit(loop_baseline(path, file));
	server_started(pid, path);
	return pid;
}

/* "median (lowest-highest)" of the ROW_ROUNDS ratios in r, into b. */
static const char *
spread(double *r, char *b, size_t n)
{
	double	m = median(r, ROW_ROUNDS);

	snprintf(b, n, "%.2f (%.2f-%.2f)", m, r[0], r[ROW_ROUNDS - 1]);
	return b;
}

/*
 * The throughput table: omg on sock, the echo server beside it, and a
 * bare epoll loop answering as the echo does.  A row is ROW_ROUNDS rounds
 * of one sample of each, in turn, every other round in the reverse order
 * (echo, loop, info, mix; mix, info, loop, echo): this machine's pace
 * moves within seconds, and a ratio is taken within its round, so a drift
 * weighs on both sides of it.  Printed: the median of the echo's and of
 * omg's samples, the median of each round's ratio to the echo, and the
 * lowest and highest of those ratios (the noise of the row).
 */
static void
tput_table(const char *sock, const char *echo_path, const struct req *info,
    const struct req *mix)
{
	static const int clients[] = { 1, 4, 16 }, depths[] = { 1, 16 };
	struct req	 echo_req = mkreq("echo", "ping", NULL, NULL, 0);
	char		 loop_path[128], file[160];
	pid_t		 lp;
	int		 c, d, k, j;

	snprintf(loop_path, sizeof(loop_path), "%s.loop", echo_path);
	lp = loop_server(loop_path, &echo_req);
	usleep(100000);
	printf("\nthroughput: %d rounds of %.1f s each, in turn; x = the median"
	    " of the rounds' ratios (lowest-highest)\n", ROW_ROUNDS, ROW_SECS);
	printf("%-24s %10s %8s %10s %16s\n", "", "echo req/s", "epoll x",
	    "omg req/s", "x echo");
	for (c = 0; c < 3; c++)
		for (d = 0; d < 2; d++) {
			double	v[4][ROW_ROUNDS], r[3][ROW_ROUNDS];
			char	label[64], x[32];

			for (k = 0; k < ROW_ROUNDS; k++)
				for (j = 0; j < 4; j++) {
					int	w = k % 2 == 0 ? j : 3 - j;

					v[w][k] = tput(w == 0 ? echo_path :
					    w == 1 ? loop_path : sock,
					    w < 2 ? &echo_req : w == 2 ?
					    info : mix, w == 3 ? 4 : 1,
					    clients[c], depths[d], ROW_SECS);
				}
			for (k = 0; k < ROW_ROUNDS; k++)
				for (j = 0; j < 3; j++)
					r[j][k] = v[j + 1][k] / v[0][k];
			snprintf(label, sizeof(label), "%2d clients x %2d info",
			    clients[c], depths[d]);
			printf("%-24s %10.0f %8.2f %10.0f %16s\n", label,
			    median(v[0], ROW_ROUNDS), median(r[0], ROW_ROUNDS),
			    median(v[2], ROW_ROUNDS), spread(r[1], x,
			    sizeof(x)));
			snprintf(label, sizeof(label), "%2d clients x %2d mixed",
			    clients[c], depths[d]);
			printf("%-24s %10s %8s %10.0f %16s\n", label, "", "",
			    median(v[3], ROW_ROUNDS), spread(r[2], x,
			    sizeof(x)));
		}
	server_stop(lp);
	snprintf(file, sizeof(file), "%s.answer", loop_path);
	unlink(file);
}

/* The mix of the throughput rows: info, ping, suggest, a cached search. */
static void
mkmix(struct req *info, struct req mix[4])
{
	mix[0] = *info = mkreq("info glibc", "info", "package", "glibc", 0);
	mix[1] = mkreq("ping", "ping", NULL, NULL, 0);
	mix[2] = mkreq("suggest fi", "suggest", "query", "fi", 0);
	mix[3] = mkreq("search lib, repeated", "search", "query", "lib", 50);
}

/* bench --tput SOCK: the throughput table alone. */
static int
tput_only(const char *sock)
{
	struct req	 info, mix[4];
	char		 echo_path[128];

	snprintf(echo_path, sizeof(echo_path), "%s.echo", sock);
	echo_server(echo_path);
	usleep(100000);
	mkmix(&info, mix);
	tput_table(sock, echo_path, &info, mix);
	return 0;
}

/*
 * The loop-stall baseline (stall.py): one thread, an epoll loop that does
 * nothing but read frames and send, for each, the frame in ANSWER-FILE
 * (one of omg's answers, bytes as sent: stall.py's is a pong; the
 * throughput rows' the echo's).  Its longest iteration, from
 * epoll_wait's return to its next call, is measured as omg measures its
 * loop (loop_stall_max_us); a frame of length 0 asks for it (answered
 * with a frame of its decimal digits).  Run beside omg in the same
 * phases, it shows what the machine alone adds to a loop that sends.
 */
#define LOOP_FDS	64

struct lconn {
	int		fd;
	uint8_t		in[65536 + 4];
	size_t		len;
};

static void
lconn_drop(int ep, struct lconn **cs, int i)
{
	epoll_ctl(ep, EPOLL_CTL_DEL, cs[i]->fd, NULL);
	close(cs[i]->fd);
	free(cs[i]);
	cs[i] = NULL;
}

/* Every whole frame in c's input answered; -1 to drop the client. */
static int
lconn_answer(struct lconn *c, const uint8_t *ans, size_t alen,
    uint64_t stall_max)
{
	uint8_t		num[4 + 24];
	uint32_t	n;
	size_t		off = 0;
	int		k;

	while (c->len - off >= 4) {
		n = be32(c->in + off);
		if (n > 65536)
			return -1;
		if (c->len - off - 4 < n)
			break;
		off += 4 + n;
		if (n == 0) {
			k = snprintf((char *)num + 4, sizeof(num) - 4, "%llu",
			    (unsigned long long)stall_max);
			num[0] = num[1] = num[2] = 0;
			num[3] = (uint8_t)k;
			if (send(c->fd, num, 4 + (size_t)k, MSG_NOSIGNAL) !=
			    4 + k)
				return -1;
		} else if (send(c->fd, ans, alen, MSG_NOSIGNAL) !=
		    (ssize_t)alen)
			return -1;	/* a full socket: not this baseline's */
	}
	memmove(c->in, c->in + off, c->len - off);
	c->len -= off;
	return 0;
}

static int
loop_baseline(const char *path, const char *answer_file)
{
	struct epoll_event	 ev, evs[LOOP_FDS];
	struct lconn		*cs[LOOP_FDS] = { 0 };
	struct stat		 st;
	uint8_t			*ans;
	uint64_t		 woke, busy, max = 0;
	ssize_t			 r;
	int			 ls, ep, fd, n, i, k;
	FILE			*fp;

	if ((fp = fopen(answer_file, "rb")) == NULL ||
	    fstat(fileno(fp), &st) == -1 || st.st_size < 4 ||
	    (ans = malloc((size_t)st.st_size)) == NULL ||
	    fread(ans, 1, (size_t)st.st_size, fp) != (size_t)st.st_size) {
		perror(answer_file);
		return 1;
	}
	fclose(fp);
	ls = listen_on(path, SOCK_NONBLOCK);
	if ((ep = epoll_create1(0)) == -1) {
		perror("epoll_create1");
		return 1;
	}
	ev.events = EPOLLIN;
	ev.data.u32 = LOOP_FDS;
	epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
	for (;;) {
		n = epoll_wait(ep, evs, LOOP_FDS, -1);
		woke = now_ns();
		for (i = 0; i < n; i++) {
			k = (int)evs[i].data.u32;
			if (k == LOOP_FDS) {
				while ((fd = accept4(ls, NULL, NULL,
				    SOCK_NONBLOCK)) != -1) {
					for (k = 0; k < LOOP_FDS && cs[k]; k++)
						;
					if (k == LOOP_FDS ||
					    (cs[k] = calloc(1, sizeof(**cs))) ==
					    NULL) {
						close(fd);
						continue;
					}
					cs[k]->fd = fd;
					ev.events = EPOLLIN;
					ev.data.u32 = (uint32_t)k;
					epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
				}
				continue;
			}
			if (cs[k] == NULL)
				continue;
			r = read(cs[k]->fd, cs[k]->in + cs[k]->len,
			    sizeof(cs[k]->in) - cs[k]->len);
			if (r == -1 && errno == EAGAIN)
				continue;
			if (r <= 0) {
				lconn_drop(ep, cs, k);
				continue;
			}
			cs[k]->len += (size_t)r;
			if (lconn_answer(cs[k], ans, (size_t)st.st_size,
			    max) == -1)
				lconn_drop(ep, cs, k);
		}
		busy = (now_ns() - woke) / 1000;
		if (busy > max)
			max = busy;
	}
}

int
main(int argc, char **argv)
{
	struct req	 ops[10], echo_req, info, mix[4];
	static struct req cyc[6][UNCACHED];
	int		 ncyc[10];
	char		 echo_path[128];
	double		 e50, e99, p50, p99;
	pid_t		 echo = -1, dpid;
	int		 nops = 0, i, pinned;

	if (argc > 3 && strcmp(argv[1], "--exec") == 0)
		return exec_median(atoi(argv[2]), argv + 3);
	if (argc == 4 && strcmp(argv[1], "--scale") == 0)
		return scale(argv[2], (pid_t)atol(argv[3]));
	if (argc == 3 && strcmp(argv[1], "--tput") == 0)
		return tput_only(argv[2]);
	if (argc == 4 && strcmp(argv[1], "--loop") == 0)
		return loop_baseline(argv[2], argv[3]);
	if (argc == 6 && strcmp(argv[1], "--tput-row") == 0) {
		/* One row alone, of info or of pings, or of the echo server
		   (started here on SOCK): for a profiler, or for medians. */
		mkmix(&info, mix);
		echo_req = mkreq("ping", "ping", NULL, NULL, 0);
		if (strcmp(argv[5], "echo") == 0) {
			echo_server(argv[2]);
			usleep(100000);
		}
		printf("%.0f\n", tput(argv[2], strcmp(argv[5], "info") != 0 ?
		    &echo_req : &info, 1, atoi(argv[3]), atoi(argv[4]),
		    TPUT_SECS));
		return 0;
	}
	if (argc != 3) {
		fprintf(stderr, "usage: bench DAEMON-SOCKET DAEMON-PID\n");
		return 2;
	}
	dpid = (pid_t)atol(argv[2]);
	snprintf(echo_path, sizeof(echo_path), "%s.echo", argv[1]);
	echo = echo_server(echo_path);
	usleep(100000);

	echo_req = mkreq("echo", "ping", NULL, NULL, 0);
	mkmix(&info, mix);
	ops[nops++] = mkreq("ping", "ping", NULL, NULL, 0);
	ops[nops++] = info;
	ops[nops++] = mkreq("status", "status", NULL, NULL, 0);
	ops[nops++] = mkreq("suggest fi", "suggest", "query", "fi", 0);
	ops[nops++] = mkreq("search lib, repeated", "search", "query", "lib",
	    50);
	for (i = 0; i < nops; i++)
		ncyc[i] = 1;
	/* Searches that miss omg's result cache. */
	{
		static const char *q[][2] = {
			{ "search lib, uncached", "lib" },
			{ "search rare (zstd), uncached", "zstd" },
			{ "search 2 terms, uncached", "python library" },
			{ "search regex, uncached", "^x.*font" },
		};
		size_t	j;

		for (j = 0; j < NELEM(q); j++) {
			uncached(cyc[j], q[j][0], q[j][1]);
			ops[nops] = cyc[j][0];
			ncyc[nops++] = -(int)j - 1;
		}
	}

	printf("%-26s %10s %10s %8s\n", "round trip (1 client)", "p50 us",
	    "p99 us", "x echo");
	for (pinned = 1; pinned >= 0; pinned--) {
		int	cpu = pinned ? 0 : -1;
		char	label[64];

		pin(0, cpu);
		pin(echo, cpu);
		pin(dpid, cpu);
		printf("-- %s\n", pinned ? "client and server pinned to CPU 0" :
		    "unpinned");
		rtt(echo_path, &echo_req, 1, &e50, &e99);
		printf("%-26s %10.1f %10.1f %8s\n", "raw echo (baseline)", e50,
		    e99, "1.00");
		for (i = 0; i < nops; i++) {
			if (ncyc[i] > 0)
				rtt(argv[1], &ops[i], 1, &p50, &p99);
			else
				rtt(argv[1], cyc[-ncyc[i] - 1], UNCACHED, &p50,
				    &p99);
			snprintf(label, sizeof(label), "%s", ops[i].name);
			printf("%-26s %10.1f %10.1f %8.2f\n", label, p50, p99,
			    p50 / e50);
		}
	}
	pin(0, -1);
	pin(echo, -1);
	pin(dpid, -1);

	tput_table(argv[1], echo_path, &info, mix);
	return 0;
}
