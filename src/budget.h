/*
 * budget.h - the budget of a process that runs what a client decides the
 * cost of (a search with a regular expression): memory as RLIMIT_AS, CPU
 * time as a timer that raises SIGXCPU.  The search worker lives under it;
 * embedded mode answers under it.  The caller installs SIGXCPU's handler.
 */
#ifndef OMG_BUDGET_H
#define OMG_BUDGET_H

/* Address space: what is mapped now plus bytes.  -1 on failure. */
int	budget_memory(double);
/* SIGXCPU after seconds more of this process's CPU time.  -1 on failure. */
int	budget_arm(double);
void	budget_disarm(void);

#endif
