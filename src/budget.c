/*
 * budget.c - a process's budget of memory and CPU time (budget.h).
 */
#include <sys/resource.h>

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "budget.h"

static timer_t	timer;
static int	have_timer;

int
budget_memory(double bytes)
{
	struct rlimit	 rl;
	FILE		*fp;
	unsigned long	 pages = 0;

	/* What is mapped now: /proc/self/statm's first field. */
	if ((fp = fopen("/proc/self/statm", "r")) != NULL) {
		if (fscanf(fp, "%lu", &pages) != 1)
			pages = 0;
		fclose(fp);
	}
	rl.rlim_cur = rl.rlim_max = (rlim_t)((double)pages *
	    (double)sysconf(_SC_PAGESIZE) + bytes);
	return setrlimit(RLIMIT_AS, &rl);
}

int
budget_arm(double seconds)
{
	struct sigevent		sev;
	struct itimerspec	its;

	if (!have_timer) {
		memset(&sev, 0, sizeof(sev));
		sev.sigev_notify = SIGEV_SIGNAL;
		sev.sigev_signo = SIGXCPU;
		if (timer_create(CLOCK_PROCESS_CPUTIME_ID, &sev, &timer) == -1)
			return -1;
		have_timer = 1;
	}
	memset(&its, 0, sizeof(its));
	its.it_value.tv_sec = (time_t)seconds;
	its.it_value.tv_nsec = (long)((seconds - (double)(time_t)seconds) *
	    1e9);
	return timer_settime(timer, 0, &its, NULL);
}

void
budget_disarm(void)
{
	struct itimerspec	off;

	if (!have_timer)
		return;
	memset(&off, 0, sizeof(off));
	(void)timer_settime(timer, 0, &off, NULL);
}
