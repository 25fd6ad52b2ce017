/*
 * omg - a package-query daemon for Arch Linux, and its client.
 *
 * One executable, two roles: "omg --daemon" (or a link named omgd) runs
 * the daemon (daemon.c), anything else is the client (cli.c).  The
 * global options are parsed once, here, for both.  Start reading there.
 */
#include <string.h>

#include "cli.h"
#include "daemon.h"
#include "opts.h"
#include "worker.h"

int
main(int argc, char **argv)
{
	struct opts	 o;
	const char	*base;
	int		 i;

	/* The daemon's own children, with arguments of their own. */
	if (argc > 1 && strcmp(argv[1], "--rebuild-cache") == 0)
		return daemon_rebuild_main(argc, argv);
	if (argc > 1 && strcmp(argv[1], "--search-worker") == 0)
		return worker_main(argc, argv);
	if ((i = opts_parse(argc, argv, &o)) == -1)
		return 2;
	base = argc > 0 ? strrchr(argv[0], '/') : NULL;
	base = base != NULL ? base + 1 : argc > 0 ? argv[0] : "omg";
	if (o.daemon || strcmp(base, "omgd") == 0)
		return daemon_main(&o, argc - i, argv + i);
	return cli_main(&o, argc - i, argv + i);
}
