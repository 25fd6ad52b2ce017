/*
 * daemon.h - the daemon role: omg --daemon, or omgd.
 */
#ifndef OMG_DAEMON_H
#define OMG_DAEMON_H

struct opts;

/* The daemon, with the global options parsed (opts.h) and what followed
 * them (nothing, for the daemon). */
int	daemon_main(const struct opts *, int, char **);
/* omg --rebuild-cache: the daemon's rebuilder, in a process of its own. */
int	daemon_rebuild_main(int, char **);

#endif
