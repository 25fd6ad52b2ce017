/*
 * info.h - the info op (pacman -Si, -Qi) and the list op (pacman -Q).
 */
#ifndef OMG_INFO_H
#define OMG_INFO_H

#include "proto.h"
#include "query.h"
#include "util.h"

/* The keys of their answers kept (snap_result_*).  Caller frees. */
char	*info_key(const struct proto_req *);
char	*info_list_key(const struct proto_req *);
void	info_answer(struct query *, const struct proto_req *, struct buf *);
void	info_list(struct query *, const struct proto_req *, struct buf *);

#endif
