/*
 * paths.h - where omg looks by default.  Each returns a string the caller
 * frees.
 */
#ifndef OMG_PATHS_H
#define OMG_PATHS_H

#define PATHS_PACMAN_CONF	"/etc/pacman.conf"

/* $XDG_RUNTIME_DIR/omg.sock, else /run/user/$UID/omg.sock */
char	*paths_socket(void);
/* $XDG_CACHE_HOME/omg/cache.db, else $HOME/.cache/omg/cache.db */
char	*paths_cache(void);
/* $XDG_CACHE_HOME/omg/advisories.json, else under $HOME/.cache */
char	*paths_advisories(void);
/* $XDG_CONFIG_HOME/omg/omg.conf, else $HOME/.config/omg/omg.conf */
char	*paths_settings(void);

#endif
