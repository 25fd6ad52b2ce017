/*
 * opts.c - the global options of both roles, in one place.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "opts.h"

static int
bad(const char *fmt, const char *what)
{
	fprintf(stderr, "omg: ");
	fprintf(stderr, fmt, what);
	fprintf(stderr, " (see omg --help)\n");
	return -1;
}

int
opts_parse(int argc, char **argv, struct opts *o)
{
	static const struct {
		const char	*name;
		size_t		 off;
	} valued[] = {
		{ "--socket", offsetof(struct opts, socket) },
		{ "--config", offsetof(struct opts, config) },
		{ "--cache", offsetof(struct opts, cache) },
		{ "--omg-conf", offsetof(struct opts, settings) },
		{ "--advisories", offsetof(struct opts, advisories) },
		{ "--color", offsetof(struct opts, color) },
	};
	const char	*a, *eq, *v;
	size_t		 j, n;
	int		 i;

	memset(o, 0, sizeof(*o));
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		a = argv[i];
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
			o->help = 1;
		else if (strcmp(a, "--version") == 0 || strcmp(a, "-V") == 0)
			o->version = 1;
		else if (strcmp(a, "--daemon") == 0)
			o->daemon = 1;
		else if (strcmp(a, "--no-daemon") == 0)
			o->no_daemon = 1;
		else if (strcmp(a, "--verbose") == 0)
			o->verbose = 1;
		else {
			eq = strchr(a, '=');
			n = eq != NULL ? (size_t)(eq - a) : strlen(a);
			for (j = 0; j < sizeof(valued) / sizeof(valued[0]); j++)
				if (strlen(valued[j].name) == n &&
				    strncmp(a, valued[j].name, n) == 0)
					break;
			if (j == sizeof(valued) / sizeof(valued[0]))
				return bad("unknown option '%s'", a);
			if (eq != NULL)
				v = eq + 1;
			else if (i + 1 < argc)
				v = argv[++i];
			else
				return bad("%s needs a value", valued[j].name);
			*(const char **)(void *)((char *)o + valued[j].off) = v;
		}
	}
	if (o->color != NULL && strcmp(o->color, "auto") != 0 &&
	    strcmp(o->color, "always") != 0 && strcmp(o->color, "never") != 0)
		return bad("--color takes auto, always or never, not '%s'",
		    o->color);
	return i;
}
