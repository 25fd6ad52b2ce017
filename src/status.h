/*
 * status.h - the status and audit ops, and the cache's state they and
 * the events report.
 */
#ifndef OMG_STATUS_H
#define OMG_STATUS_H

#include "cache.h"
#include "proto.h"
#include "query.h"
#include "util.h"

void		 status_answer(struct query *, const struct proto_req *,
		    struct buf *);
void		 status_audit(struct query *, const struct proto_req *,
		    struct buf *);
/* Read what status and audit need of this generation, now. */
int		 status_prepare(struct query *);
/* "fresh", "partial", "stale", "rebuilding" or "locked". */
const char	*status_state(const struct query *);
const char	*status_state_of(const struct query *,
		    const struct cache_info *);

#endif
