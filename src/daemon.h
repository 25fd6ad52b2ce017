/*
 * daemon.h - the daemon role: omg --daemon, or omgd.
 */
#ifndef OMG_DAEMON_H
#define OMG_DAEMON_H

int	daemon_main(int, char **);

#endif
