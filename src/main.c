/*
 * omg - a package-query daemon for Arch Linux, and its client.
 *
 * One executable, two roles: "omg --daemon" (or a link named omgd) runs
 * the daemon (daemon.c), anything else is the client (cli.c).  Start
 * reading there.
 */
#include <string.h>

#include "cli.h"
#include "daemon.h"
#include "worker.h"

int
main(int argc, char **argv)
{
	const char	*base;
	int		 i;

	base = argc > 0 ? strrchr(argv[0], '/') : NULL;
	base = base != NULL ? base + 1 : argc > 0 ? argv[0] : "omg";
	if (strcmp(base, "omgd") == 0)
		return daemon_main(argc, argv);
	if (argc > 1 && strcmp(argv[1], "--rebuild-cache") == 0)
		return daemon_rebuild_main(argc, argv);
	if (argc > 1 && strcmp(argv[1], "--search-worker") == 0)
		return worker_main(argc, argv);
	/* --daemon counts among the global options, before any command. */
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--daemon") == 0)
			return daemon_main(argc, argv);
		if (strcmp(argv[i], "--socket") == 0 ||
		    strcmp(argv[i], "--config") == 0 ||
		    strcmp(argv[i], "--cache") == 0 ||
		    strcmp(argv[i], "--omg-conf") == 0 ||
		    strcmp(argv[i], "--advisories") == 0)
			i++;
	}
	return cli_main(argc, argv);
}
