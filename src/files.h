/*
 * files.h - the owns and files ops: pacman -Qo and pacman -F/-Fx/-Fl,
 * answered from the files lists in the cache.
 */
#ifndef OMG_FILES_H
#define OMG_FILES_H

#include "proto.h"
#include "query.h"
#include "util.h"

/* owns: for each path (absolute, resolved by the client as pacman -Qo
 * does), the installed packages that own it. */
void	files_owns(struct query *, const struct proto_req *, struct buf *);
/* files: the .files packages holding a file name, a path or a regex's
 * match, or a package's whole list; a page of packages at a time. */
void	files_find(struct query *, const struct proto_req *, struct buf *);

#endif
