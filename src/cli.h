/*
 * cli.h - the client role: omg COMMAND ...
 */
#ifndef OMG_CLI_H
#define OMG_CLI_H

#define EXIT_ANSWERED	0
#define EXIT_NOTFOUND	1
#define EXIT_USAGE	2
#define EXIT_NOANSWER	3	/* no daemon and no usable cache, or protocol */

struct client_opts;
struct opts;

/* The client: the global options parsed (opts.h), then COMMAND ARG... */
int	cli_main(const struct opts *, int, char **);

/* The commands of cmd_files.c: pacman -Qo, -F, and command-not-found. */
int	cmd_owns(struct client_opts *, int, char **);
int	cmd_files(struct client_opts *, int, char **);
int	cmd_cnf(struct client_opts *, int, char **);

#endif
