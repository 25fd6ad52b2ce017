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

/* $XDG_<var>, else $HOME/<fallback>, joined with rel */
static char *
xdg(const char *var, const char *fallback, const char *rel)
{
	const char	*dir;
	struct passwd	*pw;

	if ((dir = nonempty(getenv(var))) != NULL)
		return xasprintf("%s/%s", dir, rel);
	if ((dir = nonempty(getenv("HOME"))) == NULL &&
	    (pw = getpwuid(getuid())) != NULL)
		dir = pw->pw_dir;
	return xasprintf("%s/%s/%s", dir ? dir : "/tmp", fallback, rel);
}

char *
paths_cache(void)
{
	return xdg("XDG_CACHE_HOME", ".cache", "omg/cache.db");
}

char *
paths_settings(void)
{
	return xdg("XDG_CONFIG_HOME", ".config", "omg/omg.conf");
}

char *
paths_advisories(void)
{
	return xdg("XDG_CACHE_HOME", ".cache", "omg/advisories.json");
}
