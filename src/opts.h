/*
 * opts.h - omg's global options, parsed once (opts.c) for both roles:
 * the daemon (omg --daemon, omgd) and the client (omg COMMAND ...).
 */
#ifndef OMG_OPTS_H
#define OMG_OPTS_H

struct opts {
	int		 daemon;	/* --daemon, or run as omgd */
	int		 help, version;
	int		 no_daemon;	/* client: answer from the cache */
	int		 verbose;	/* daemon: log debug lines */
	const char	*color;		/* client: auto, always or never */
	const char	*socket, *config, *cache, *settings, *advisories;
};

/*
 * The options before the first argument that is not one (the command):
 * its index, or -1 after one line on stderr saying what was wrong (exit
 * status 2).  Each takes --opt VALUE or --opt=VALUE.
 */
int	opts_parse(int, char **, struct opts *);

#endif
