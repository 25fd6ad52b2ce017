/*
 * cli.h - the client role: omg COMMAND ...
 */
#ifndef OMG_CLI_H
#define OMG_CLI_H

#define EXIT_ANSWERED	0
#define EXIT_NOTFOUND	1
#define EXIT_USAGE	2
#define EXIT_NOANSWER	3	/* no daemon and no usable cache, or protocol */

int	cli_main(int, char **);

#endif
