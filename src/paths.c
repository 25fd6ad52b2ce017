/*
 * paths.c - default locations, per user.
 */
#include <pwd.h>
#include <stdlib.h>
#include <unistd.h>

#include "paths.h"
#include "util.h"

static const char *
nonempty(const char *s)
{
	return s != NULL && *s == '/' ? s : NULL;
}

char *
paths_socket(void)
{
	const char	*dir;

	if ((dir = nonempty(getenv("XDG_RUNTIME_DIR"))) != NULL)
		return xasprintf("%s/omg.sock", dir);
	return xasprintf("/run/user/%u/omg.sock", (unsigned)getuid());
}

char *
paths_cache(void)
{
	const char	*dir;
	struct passwd	*pw;

	if ((dir = nonempty(getenv("XDG_CACHE_HOME"))) != NULL)
		return xasprintf("%s/omg/cache.db", dir);
	if ((dir = nonempty(getenv("HOME"))) == NULL &&
	    (pw = getpwuid(getuid())) != NULL)
		dir = pw->pw_dir;
	return xasprintf("%s/.cache/omg/cache.db", dir ? dir : "/tmp");
}
