/*
 * info.h - the info op (pacman -Si, -Qi) and the list op (pacman -Q).
 */
#ifndef OMG_INFO_H
#define OMG_INFO_H

#include "proto.h"
#include "query.h"
#include "util.h"

struct query_snap;

/* The key its answers are kept by (query.c).  Caller frees. */
char	*info_key(const struct proto_req *);
/* The answer appended to out: where its result begins in out (query.c
   keeps it), or 0 for an error. */
size_t	 info_answer(struct query *, const struct proto_req *, struct buf *);
/* The list op's answer, from the installed packages of sn (snap_installed:
   read); it reads nothing else, so a holder of sn may ask it unlocked. */
void	 info_list(const struct query_snap *, const struct proto_req *,
	    struct buf *);
/* The bytes of the packages' entries in that answer (the most of it). */
size_t	 info_list_bytes(const struct query_snap *,
	    const struct proto_req *);

#endif
