/*
 * proto.h - omg's wire protocol, version 1 (man/omg-protocol.7).
 *
 * A frame is a 4-byte big-endian length N followed by N bytes holding one
 * CBOR item.  This module is pure: bytes in, values out, and values in,
 * bytes out.  It owns every use of libcbor.
 *
 * Decoding builds a flat tree of struct pv nodes in preorder.  Strings
 * point into the caller's input buffer, which must outlive the tree.
 */
#ifndef OMG_PROTO_H
#define OMG_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define PROTO_VERSION		1
#define PROTO_REQ_MAX		65536		/* request frame payload */
#define PROTO_RESP_MAX		(8u << 20)	/* response frame payload */
#define PROTO_BATCH_MAX		64
#define PROTO_TERMS_MAX		256		/* search terms in one request */
#define PROTO_PAGE_MAX		1000		/* search results in one answer */
#define PROTO_REQ_DEPTH		16		/* containers open in a request */
#define PROTO_REQ_ITEMS		4096		/* items in a request */
#define PROTO_REQ_STRLEN	4096		/* bytes in a request's string */

#define PROTO_E_PARSE		(-32700)
#define PROTO_E_OP		(-32601)
#define PROTO_E_PARAMS		(-32602)
#define PROTO_E_INTERNAL	(-32603)
#define PROTO_E_NOTFOUND	(-1001)
#define PROTO_E_RATE		(-1002)
#define PROTO_E_BUSY		(-1003)	/* pacman holds db.lck: later */
#define PROTO_E_NODAEMON	(-1004)	/* only a daemon can do that */
#define PROTO_E_EXPENSIVE	(-1005)	/* over the search's CPU or memory
					   budget (omg.conf search_*_max) */

enum pv_type {
	PV_UINT, PV_NEGINT, PV_BYTES, PV_STR, PV_ARRAY, PV_MAP,
	PV_BOOL, PV_NULL, PV_UNDEF, PV_FLOAT
};

/* One decoded item; children follow their parent, linked by next. */
struct pv {
	enum pv_type	 type;
	uint32_t	 next;		/* next sibling's index, 0 for none */
	size_t		 n;		/* length, items, or map pairs */
	union {
		uint64_t	 u;	/* PV_UINT; PV_NEGINT holds -1 - value */
		double		 d;
		int		 b;
		const char	*s;	/* PV_STR, PV_BYTES: not NUL-terminated */
	} x;
};

struct pv_doc {
	struct pv	*v;		/* v[0] is the root */
	size_t		 n;
	size_t		 cap;
};

struct proto_limits {
	size_t	depth;		/* containers open at once */
	size_t	items;		/* nodes in the whole item */
	size_t	strlen;		/* bytes in one string */
	size_t	frame;		/* bytes in a frame's payload */
	size_t	batch;		/* requests in a batch */
	size_t	response;	/* bytes in a response payload */
};

/* Requests: depth 16, 4096 items, 4 KiB strings, 64 KiB frames, batch 64,
 * 8 MiB responses.  Responses (read by the client): larger. */
extern const struct proto_limits proto_req_limits;
extern const struct proto_limits proto_resp_limits;

/*
 * Decode exactly one CBOR item filling buf[0..len).  Returns 0, or -1 with
 * a reason in err.  Indefinite lengths, tags, invalid UTF-8, declared sizes
 * larger than the bytes left and trailing bytes are errors.
 */
int		 proto_parse(const uint8_t *, size_t, const struct proto_limits *,
		    struct pv_doc *, char *, size_t);
void		 pv_doc_free(struct pv_doc *);
/* The first child of node i (only when v[i].n > 0), and map lookup. */
uint32_t	 pv_child(const struct pv_doc *, uint32_t);
const struct pv	*pv_get(const struct pv_doc *, uint32_t, const char *);
int		 pv_streq(const struct pv *, const char *);
/* The length of the UTF-8 sequence at s[0..n), 0 if it is not one. */
size_t		 proto_utf8_len(const unsigned char *, size_t);

enum proto_op {
	OP_PING, OP_SEARCH, OP_INFO, OP_STATUS, OP_SUGGEST, OP_BATCH, OP_AUDIT,
	OP_REFRESH, OP_SUBSCRIBE, OP_LIST, OP_OWNS, OP_FILES
};

/* A path: bytes (not always UTF-8), NUL-terminated copy, no NUL inside. */
struct proto_path {
	char	*s;
	size_t	 n;
};

/* files: pacman -F (target), -Fx (regex), -Fl (list). */
struct proto_files {
	struct proto_path	 target;	/* s NULL: list every package */
	int			 regex, list;
};

/* list: pacman -Q's filters (src/pacman/query.c filter()). */
struct proto_list {
	int	explicit, deps;		/* -e, -d: by install reason */
	int	foreign, native;	/* -m, -n: in no / some sync repo */
	int	unrequired;		/* -t: 1 nothing needs it, optionally
					   or not; -tt: 2, nothing requires */
	int	upgrades;		/* -u: a newer version in a sync repo */
};

enum proto_sort { SORT_RELEVANCE, SORT_REPO };

/* A validated request.  err != 0 means answer with that error. */
struct proto_req {
	uint64_t		 id;
	enum proto_op		 op;
	int			 err;
	char			 errmsg[128];
	char			*query;		/* suggest */
	char			**terms;	/* search: each one regex */
	size_t			 nterms;
	char			*package;	/* info */
	uint64_t		 limit;		/* search, suggest: 0 = default */
	uint64_t		 offset;	/* search: matches to pass over */
	struct proto_list	 list;		/* list */
	struct proto_path	*paths;		/* owns */
	size_t			 npaths;
	struct proto_files	 files;		/* files; offset, limit: of
						   packages */
	char			*locale;	/* search: LC_CTYPE name, or NULL
						   for "C" */
	enum proto_sort		 sort;
	struct proto_req	*sub;		/* batch */
	size_t			 nsub;
};

/* Decode and validate one request payload; never fails to fill req. */
void	proto_req_decode(const uint8_t *, size_t, const struct proto_limits *,
	    struct proto_req *);
void	proto_req_free(struct proto_req *);

/* Encoding: CBOR items appended to a buf. */
void	proto_enc_uint(struct buf *, uint64_t);
void	proto_enc_int(struct buf *, int64_t);
void	proto_enc_str(struct buf *, const char *);
void	proto_enc_strn(struct buf *, const char *, size_t);
void	proto_enc_array(struct buf *, size_t);
void	proto_enc_map(struct buf *, size_t);
/* A '\n'-joined list as an array of text strings ("" is empty). */
void	proto_enc_lines(struct buf *, const char *);
/* Map entries: key and text (NULL: null), key and lines, key and int. */
void	proto_enc_kv_str(struct buf *, const char *, const char *);
void	proto_enc_kv_lines(struct buf *, const char *, const char *);
void	proto_enc_kv_int(struct buf *, const char *, int64_t);
/* Pairs repo, message: [* { "repo": tstr, "message": tstr }]. */
void	proto_enc_problems(struct buf *, const struct strv *);
/* A path: a text string when it is UTF-8, else a byte string. */
void	proto_enc_path(struct buf *, const char *, size_t);
void	proto_enc_null(struct buf *);
void	proto_enc_bool(struct buf *, int);
/* { "id": id, "result": <the next item the caller writes> } */
void	proto_enc_result(struct buf *, uint64_t);
void	proto_enc_error(struct buf *, uint64_t, int, const char *);
/* { "id": id, "progress": { "stage": s, "done": d, "total": t } } */
void	proto_enc_progress(struct buf *, uint64_t, const char *, uint64_t,
	    uint64_t);
/* { "event": "cache", "generation": g, "state": s } */
void	proto_enc_event(struct buf *, uint64_t, const char *);

/* Frames: reserve the length, write the payload, then patch the length. */
size_t	proto_frame_begin(struct buf *);
void	proto_frame_end(struct buf *, size_t);

/*
 * Look for a frame at the start of buf.  Returns 1 with *len set when a
 * whole frame of payload *len is there, 0 when more bytes are needed, -1
 * when the declared length is 0 or over max.
 */
int	proto_frame_peek(const uint8_t *, size_t, size_t, size_t *);

#endif
