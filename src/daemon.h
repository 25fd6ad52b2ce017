/*
 * daemon.h - the daemon role: omg --daemon, or omgd.
 */
#ifndef OMG_DAEMON_H
#define OMG_DAEMON_H

int	daemon_main(int, char **);
/* omg --rebuild-cache: the daemon's rebuilder, in a process of its own. */
int	daemon_rebuild_main(int, char **);

#endif
