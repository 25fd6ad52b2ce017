/*
 * query.c - one request in, one response out: decode, dispatch to the op
 * modules (search, suggest, info, status, files), bound, frame; and the
 * frames of refresh and subscribe.
 */
#include <stdlib.h>
#include <string.h>

#include "files.h"
#include "info.h"
#include "kept.h"
#include "proto.h"
#include "query.h"
#include "search.h"
#include "snap.h"
#include "status.h"
#include "suggest.h"

void
query_reset(struct query *q)
{
	snap_release(q->snap);
	q->snap = NULL;
	kept_clear(q->kept);
}

int
query_prepare(struct query *q)
{
	if (search_prepare(q) == -1 || snap_names(q) == NULL ||
	    snap_installed(q) == NULL || status_prepare(q) == -1)
		return -1;
	return 0;
}

int
query_prepare_search(struct query *q)
{
	return search_prepare(q);
}

void
query_done(struct query *q)
{
	query_reset(q);
	search_done(q);
	kept_free(q->kept);
	q->kept = NULL;
}

/* Refresh and subscribe: the daemon's (q->defer), else done here */

static uint64_t
generation(struct query *q)
{
	struct cache_info	ci;
	uint64_t		g;

	if (cache_info(q->cache, &ci) == -1)
		return 0;
	g = ci.generation;
	cache_info_free(&ci);
	return g;
}

void
query_progress(uint64_t id, const char *stage, uint64_t done, uint64_t total,
    struct buf *out)
{
	size_t	off = proto_frame_begin(out);

	proto_enc_progress(out, id, stage, done, total);
	proto_frame_end(out, off);
}

void
query_refreshed(struct query *q, uint64_t id, int code, const char *msg,
    uint64_t ms, struct buf *out)
{
	struct cache_info	ci;
	size_t			off = proto_frame_begin(out);

	if (code == 0 && cache_info(q->cache, &ci) == -1) {
		code = PROTO_E_INTERNAL;
		msg = "cannot read the cache";
	}
	if (code != 0)
		proto_enc_error(out, id, code, msg);
	else {
		proto_enc_result(out, id);
		proto_enc_map(out, 5);
		proto_enc_kv_int(out, "generation", (int64_t)ci.generation);
		proto_enc_kv_int(out, "packages", (int64_t)ci.packages);
		proto_enc_kv_int(out, "repos", q->conf != NULL ?
		    (int64_t)q->conf->repos.n : 0);
		proto_enc_kv_int(out, "duration_ms", (int64_t)ms);
		proto_enc_kv_str(out, "state", status_state_of(q, &ci));
		cache_info_free(&ci);
	}
	proto_frame_end(out, off);
}

void
query_subscribed(struct query *q, uint64_t id, struct buf *out)
{
	size_t	off = proto_frame_begin(out);

	proto_enc_result(out, id);
	proto_enc_map(out, 2);
	proto_enc_kv_int(out, "generation", (int64_t)generation(q));
	proto_enc_kv_str(out, "state", status_state(q));
	proto_frame_end(out, off);
}

void
query_event(struct query *q, struct buf *out)
{
	size_t	off = proto_frame_begin(out);

	proto_enc_event(out, generation(q), status_state(q));
	proto_frame_end(out, off);
}

struct here {
	struct query	*q;
	uint64_t	 id;
	struct buf	*out;
};

static void
here_progress(void *arg, const char *stage, uint64_t done, uint64_t total)
{
	struct here	*h = arg;
	struct buf	 b = { 0 };

	if (h->q->emit == NULL) {
		query_progress(h->id, stage, done, total, h->out);
		return;
	}
	query_progress(h->id, stage, done, total, &b);
	h->q->emit(h->q->emit_arg, b.data, b.len);
	buf_free(&b);
}

/* Embedded mode: rebuild in this process, telling how it goes. */
static void
refresh_here(struct query *q, uint64_t id, struct buf *out)
{
	struct here		 h = { q, id, out };
	struct cache_progress	 pr = { here_progress, &h };
	uint64_t		 t0 = now_usec();
	char			 err[256];
	int			 rc;

	if (q->conf == NULL) {
		query_refreshed(q, id, PROTO_E_INTERNAL, "no pacman.conf", 0,
		    out);
		return;
	}
	rc = cache_refresh(q->cache, q->conf, q->advisories_path, 1, &pr, err,
	    sizeof(err));
	query_reset(q);
	if (rc == CACHE_BUSY)
		query_refreshed(q, id, PROTO_E_BUSY, "pacman holds its "
		    "database lock; try again when it is done", 0, out);
	else if (rc == -1)
		query_refreshed(q, id, PROTO_E_INTERNAL, err, 0, out);
	else
		query_refreshed(q, id, 0, NULL, (now_usec() - t0) / 1000, out);
}

/* Dispatch */

/*
 * The ops whose answers are kept in a generation (q->kept): the same
 * request again gets the same bytes (completion asks a prefix at each
 * keystroke).  Each op builds the key and answers; only a result is
 * kept.  Not a list: it is copied from the generation's entries, as a
 * kept answer would be, and is answered beside the query (query_hold).
 */
static const struct keeper {
	enum proto_op	 op;
	char		*(*key)(const struct proto_req *);
	size_t		 (*op_answer)(struct query *, const struct proto_req *,
			    struct buf *);
} keepers[] = {
	{ OP_SEARCH, search_key, search_answer },
	{ OP_INFO, info_key, info_answer },
	{ OP_SUGGEST, suggest_key, suggest_answer },
};

static const struct keeper *
keeper(enum proto_op op)
{
	size_t	i;

	for (i = 0; i < NELEM(keepers); i++)
		if (keepers[i].op == op)
			return &keepers[i];
	return NULL;
}

/* The answer kept for req, else the op's, kept when it is a result. */
static void
answer_kept(struct query *q, const struct keeper *k,
    const struct proto_req *req, struct buf *out)
{
	char	*key = k->key(req);
	size_t	 at;

	if (!snap_result_send(q, key, req->id, out) &&
	    (at = k->op_answer(q, req, out)) > 0)
		snap_result_put(q, key, out->data + at, out->len - at);
	free(key);
}

static const struct proto_limits *
limits(const struct query *q)
{
	return q->limits != NULL ? q->limits : &proto_req_limits;
}

/* An error, or a ping's answer: 1 (neither reads the query), else 0. */
static int
dispatch_bare(const struct proto_req *req, struct buf *out)
{
	if (req->err != 0)
		proto_enc_error(out, req->id, req->err, req->errmsg);
	else if (req->op == OP_PING) {
		proto_enc_result(out, req->id);
		proto_enc_str(out, "pong");
	} else
		return 0;
	return 1;
}

/*
 * A batch's answers, up to the response limit: past it the frame is an
 * error (frame_end), so the rest is not worked out (a batch of lists
 * would be tens of MB).
 */
static void
dispatch_batch(const struct query *q, const struct proto_req *req,
    struct buf *out, void (*one)(void *, const struct proto_req *,
    struct buf *), void *arg)
{
	size_t	i, at = out->len, max = limits(q)->response;

	proto_enc_result(out, req->id);
	proto_enc_array(out, req->nsub);
	for (i = 0; i < req->nsub && out->len - at <= max; i++)
		one(arg, &req->sub[i], out);
}

static void	dispatch_one(void *, const struct proto_req *, struct buf *);

static void
dispatch(struct query *q, const struct proto_req *req, struct buf *out)
{
	const struct keeper	*k;
	struct query_snap	*sn;

	if (dispatch_bare(req, out))
		return;
	if ((k = keeper(req->op)) != NULL) {
		answer_kept(q, k, req, out);
		return;
	}
	switch (req->op) {
	case OP_PING:
	case OP_SEARCH:
	case OP_INFO:
	case OP_SUGGEST:
		break;		/* dispatch_bare's, answer_kept's */
	case OP_LIST:
		if ((sn = snap_installed(q)) == NULL)
			snap_unreadable(q, req->id, out);
		else
			info_list(sn, req, out);
		break;
	case OP_STATUS:
		status_answer(q, req, out);
		break;
	case OP_AUDIT:
		status_audit(q, req, out);
		break;
	case OP_OWNS:
		files_owns(q, req, out);
		break;
	case OP_FILES:
		files_find(q, req, out);
		break;
	case OP_REFRESH:
	case OP_SUBSCRIBE:
		/* Only query_frame's caller can follow these up. */
		proto_enc_error(out, req->id, PROTO_E_NODAEMON,
		    "no daemon to follow (systemctl --user enable --now "
		    "omgd.socket starts one)");
		break;
	case OP_BATCH:
		dispatch_batch(q, req, out, dispatch_one, q);
		break;
	}
}

static void
dispatch_one(void *q, const struct proto_req *req, struct buf *out)
{
	dispatch(q, req, out);
}

/*
 * Does the request's cost depend on what it asks: a search with a term
 * that is a regular expression (regcomp and regexec can take any time
 * and memory), alone or in a batch?  With q (the daemon's), also a search
 * that would look at more rows than its loop may.
 */
static int
costly(const struct query *q, const struct proto_req *req)
{
	size_t	i;

	if (req->op == OP_BATCH) {
		for (i = 0; i < req->nsub; i++)
			if (req->sub[i].err == 0 && costly(q, &req->sub[i]))
				return 1;
		return 0;
	}
	if (req->op == OP_FILES)
		return req->files.regex;
	return req->op == OP_SEARCH && (search_costly(req) ||
	    (q != NULL && search_heavy(q, req)));
}

int
query_costly(const uint8_t *p, size_t len)
{
	struct proto_req	req;
	int			c;

	proto_req_decode(p, len, &proto_req_limits, &req);
	c = req.err == 0 && costly(NULL, &req);
	proto_req_free(&req);
	return c;
}

int
query_search_only(const uint8_t *p, size_t len)
{
	struct proto_req	req;
	size_t			i;
	int			s;

	proto_req_decode(p, len, &proto_req_limits, &req);
	s = req.err == 0 && (req.op == OP_SEARCH || req.op == OP_BATCH);
	for (i = 0; s && req.op == OP_BATCH && i < req.nsub; i++)
		s = req.sub[i].err == 0 && (req.sub[i].op == OP_SEARCH ||
		    req.sub[i].op == OP_PING);
	proto_req_free(&req);
	return s;
}

void
query_decode(const struct query *q, const uint8_t *p, size_t len,
    struct proto_req *req)
{
	proto_req_decode(p, len, limits(q), req);
}

/* The answer's frame, begun at off, ended: over the response limit, an
   error in its place. */
static void
frame_end(const struct query *q, const struct proto_req *req,
    struct buf *out, size_t off)
{
	if (out->len - off - 4 > limits(q)->response) {
		out->len = off + 4;
		proto_enc_error(out, req->id, PROTO_E_INTERNAL,
		    "response over the size limit; ask for less");
	}
	proto_frame_end(out, off);
}

int
query_kept(struct query *q, const struct proto_req *req, struct buf *out)
{
	const struct keeper	*k = keeper(req->op);
	size_t			 off = proto_frame_begin(out);
	char			*key = NULL;
	int			 hit;

	/* An error or a ping reads nothing of q's; a costly search is the
	   worker's, kept or not. */
	if (!dispatch_bare(req, out)) {
		if (k != NULL && !(req->op == OP_SEARCH && search_costly(req)))
			key = k->key(req);
		hit = key != NULL && snap_result_send(q, key, req->id, out);
		free(key);
		if (!hit) {
			out->len = off;
			return 0;
		}
	}
	frame_end(q, req, out, off);
	return 1;
}

/* Lists: answered beside the query, from the generation held */

int
query_listing(const struct proto_req *req)
{
	size_t	i, lists = 0;

	if (req->err != 0)
		return 0;
	if (req->op != OP_BATCH)
		return req->op == OP_LIST;
	for (i = 0; i < req->nsub; i++) {
		if (req->sub[i].err != 0)
			continue;
		if (req->sub[i].op == OP_LIST)
			lists++;
		else if (req->sub[i].op != OP_PING)
			return 0;
	}
	return lists > 0;
}

size_t
query_listing_bytes(struct query *q, const struct proto_req *req)
{
	struct query_snap	*sn;
	size_t			 i, bytes = 0;

	if ((sn = snap_installed(q)) == NULL)
		return 0;
	if (req->op != OP_BATCH)
		return info_list_bytes(sn, req);
	for (i = 0; i < req->nsub; i++)
		if (req->sub[i].err == 0 && req->sub[i].op == OP_LIST)
			bytes += info_list_bytes(sn, &req->sub[i]);
	return bytes;
}

struct query_snap *
query_hold(struct query *q)
{
	return snap_hold(q);
}

static void
answer_held(void *sn, const struct proto_req *req, struct buf *out)
{
	if (!dispatch_bare(req, out))
		info_list(sn, req, out);
}

void
query_answer_held(const struct query *q, struct query_snap *sn,
    const struct proto_req *req, struct buf *out)
{
	size_t	off = proto_frame_begin(out);

	if (req->op == OP_BATCH)
		dispatch_batch(q, req, out, answer_held, sn);
	else
		answer_held(sn, req, out);
	frame_end(q, req, out, off);
	snap_release(sn);
}

int
query_answer(struct query *q, const struct proto_req *req, struct buf *out,
    uint64_t *id)
{
	size_t	off;

	*id = req->id;
	if (req->err == 0 && req->op == OP_SUBSCRIBE && q->defer)
		return QUERY_SUBSCRIBE;
	if (req->err == 0 && q->offload && costly(q, req))
		return QUERY_WORKER;
	if (req->err == 0 && req->op == OP_REFRESH) {
		if (q->defer)
			return QUERY_REFRESH;
		refresh_here(q, req->id, out);
		return QUERY_ANSWERED;
	}
	off = proto_frame_begin(out);
	dispatch(q, req, out);
	frame_end(q, req, out, off);
	return QUERY_ANSWERED;
}

int
query_frame(struct query *q, const uint8_t *p, size_t len, struct buf *out,
    uint64_t *id)
{
	struct proto_req	req;
	int			rc;

	query_decode(q, p, len, &req);
	rc = query_answer(q, &req, out, id);
	proto_req_free(&req);
	return rc;
}

void
query_refuse(const struct query *q, const uint8_t *p, size_t len, int code,
    const char *msg, struct buf *out)
{
	struct proto_req	req;
	size_t			off;

	proto_req_decode(p, len, limits(q), &req);
	off = proto_frame_begin(out);
	proto_enc_error(out, req.id, code, msg);
	proto_frame_end(out, off);
	proto_req_free(&req);
}

