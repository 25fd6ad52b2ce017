/*
 * task.c - work beside the loop in a thread; its end comes back to the
 * loop through an ev_async, the one libev call that is safe from another
 * thread.
 */
#include <pthread.h>
#include <stdlib.h>

#include "task.h"
#include "util.h"

struct task {
	struct ev_loop	*loop;
	ev_async	 ended;
	pthread_t	 thread;
	int		 busy;		/* the loop's: work running */
	int		 finished;	/* the thread's, then the loop's:
					   work returned (its writes
					   published with it) */
	int		 unjoined;	/* its work done, the thread not
					   joined yet */
	task_fn		 work, done;
	void		*arg;		/* work's */
	void		*ctx;		/* done's */
};

static void *
run(void *arg)
{
	struct task	*t = arg;

	t->work(t->arg);
	__atomic_store_n(&t->finished, 1, __ATOMIC_RELEASE);
	ev_async_send(t->loop, &t->ended);
	return NULL;
}

static void
ended_cb(struct ev_loop *loop, ev_async *w, int revents)
{
	struct task	*t = w->data;

	(void)loop;
	(void)revents;
	/* finished, read with acquire, makes what work wrote the loop's
	   (the join did, when it came here). */
	if (!t->busy || !__atomic_load_n(&t->finished, __ATOMIC_ACQUIRE))
		return;
	/* The thread has sent its last word, but may not have ended: the
	   loop woken by it can run before it does, and joining here would
	   wait for it to be scheduled again (milliseconds on a busy
	   machine).  It is joined at the next start, long ended by then. */
	t->busy = 0;
	t->unjoined = 1;
	t->done(t->ctx);
}

/* The thread of the last work, when it has not been joined. */
static void
join(struct task *t)
{
	if (t->busy || t->unjoined)
		pthread_join(t->thread, NULL);
	t->busy = t->unjoined = 0;
}

struct task *
task_new(struct ev_loop *loop, task_fn work, task_fn done, void *ctx)
{
	struct task	*t = xcalloc(1, sizeof(*t));

	t->ctx = ctx;
	t->loop = loop;
	t->work = work;
	t->done = done;
	ev_async_init(&t->ended, ended_cb);
	t->ended.data = t;
	ev_async_start(loop, &t->ended);
	/* Not a reason to keep the loop running. */
	ev_unref(loop);
	return t;
}

int
task_start(struct task *t, void *arg)
{
	if (t->busy)
		return -1;
	join(t);
	t->arg = arg;
	t->finished = 0;
	if (pthread_create(&t->thread, NULL, run, t) != 0)
		return -1;
	t->busy = 1;
	return 0;
}

int
task_busy(const struct task *t)
{
	return t->busy;
}

void
task_free(struct task *t)
{
	if (t == NULL)
		return;
	join(t);
	ev_ref(t->loop);
	ev_async_stop(t->loop, &t->ended);
	free(t);
}

struct once {
	task_fn	 work;
	void	*arg;
};

static void *
run_once(void *arg)
{
	struct once	*o = arg;

	o->work(o->arg);
	return NULL;
}

void
task_run(task_fn work, void *arg)
{
	struct once	o = { work, arg };
	pthread_t	th;

	if (pthread_create(&th, NULL, run_once, &o) != 0) {
		work(arg);
		return;
	}
	pthread_join(th, NULL);
}
