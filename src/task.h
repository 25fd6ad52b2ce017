/*
 * task.h - one piece of work beside the daemon's loop, in a thread of its
 * own: work(arg) runs there, then done(ctx) runs on the loop.  For work
 * whose cost the daemon does not choose (reading a new cache generation,
 * pacman.conf on SIGHUP) over data the loop does not touch meanwhile:
 * arg is the thread's alone from task_start until done is called.
 */
#ifndef OMG_TASK_H
#define OMG_TASK_H

#include <ev.h>

struct task;

typedef void	(*task_fn)(void *);

/* work runs in the thread, done(ctx) on the loop after it. */
struct task	*task_new(struct ev_loop *, task_fn, task_fn, void *);
/* Start work(arg): 0, or -1 when one is running or no thread starts. */
int		 task_start(struct task *, void *);
int		 task_busy(const struct task *);
/* Wait for a running one (its done is not called), and free.  NULL: no-op. */
void		 task_free(struct task *);
/*
 * Run work(arg) in a thread and wait for it (here when no thread
 * starts): what it allocates lives in that thread's malloc arena, not
 * the caller's, so freeing it later beside the loop never holds the
 * loop's arena lock.
 */
void		 task_run(task_fn, void *);

#endif
