/*
 * info.h - the info op (pacman -Si, -Qi) and the list op (pacman -Q).
 */
#ifndef OMG_INFO_H
#define OMG_INFO_H

#include "proto.h"
#include "query.h"
#include "util.h"

/* The keys their answers are kept by (query.c).  Caller frees. */
char	*info_key(const struct proto_req *);
char	*info_list_key(const struct proto_req *);
/* The answer appended to out: where its result begins in out (query.c
   keeps it), or 0 for an error. */
size_t	 info_answer(struct query *, const struct proto_req *, struct buf *);
size_t	 info_list(struct query *, const struct proto_req *, struct buf *);

#endif
