/*
 * vercmp.h - pacman's version comparison (alpm_pkg_vercmp), so that the
 * daemon can order versions without loading libalpm.
 */
#ifndef OMG_VERCMP_H
#define OMG_VERCMP_H

/* <0, 0, >0 as a is older than, the same as, newer than b. */
int	vercmp(const char *, const char *);

#endif
