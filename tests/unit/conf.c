/*
 * conf.c - print what src/conf.c reads from a pacman.conf, in the format
 * of "pacman-conf -v RootDir DBPath Architecture IgnorePkg IgnoreGroup"
 * followed by "pacman-conf --repo-list", so tests/20-conf.t can compare
 * the two byte for byte.
 */
#include <stdio.h>

#include "conf.h"

static void
list(const char *key, const struct strv *sv)
{
	size_t	i;

	for (i = 0; i < sv->n; i++)
		printf("%s = %s\n", key, sv->v[i]);
}

int
main(int argc, char **argv)
{
	struct conf	*c;
	char		 err[256];
	size_t		 i;

	if (argc != 2) {
		fprintf(stderr, "usage: conf PACMAN.CONF\n");
		return 2;
	}
	if ((c = conf_load(argv[1], err, sizeof(err))) == NULL) {
		fprintf(stderr, "conf: %s\n", err);
		return 1;
	}
	printf("RootDir = %s\nDBPath = %s\n", c->rootdir, c->dbpath);
	list("Architecture", &c->arch);
	list("IgnorePkg", &c->ignorepkg);
	list("IgnoreGroup", &c->ignoregroup);
	for (i = 0; i < c->repos.n; i++)
		printf("%s\n", c->repos.v[i]);
	conf_free(c);
	return 0;
}
