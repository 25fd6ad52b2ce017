/*
 * proto.c - frames and CBOR for protocol v1; the only user of libcbor.
 *
 * Decoding uses cbor_stream_decode one item header at a time and enforces
 * our own limits before anything is allocated: a declared length or count
 * is checked against the bytes that are left, so a 5-byte frame cannot ask
 * for gigabytes.  Encoding writes with cbor_encode_* straight into a buf.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cbor.h>

#include "proto.h"

#define DEPTH_MAX	64	/* hard cap on any limits' depth */
#define REQ_NODES	32	/* a request's nodes kept on the stack */

const struct proto_limits proto_req_limits = {
	PROTO_REQ_DEPTH, PROTO_REQ_ITEMS, PROTO_REQ_STRLEN, PROTO_REQ_MAX,
	PROTO_BATCH_MAX, PROTO_RESP_MAX
};
const struct proto_limits proto_resp_limits = {
	16, 1u << 22, 1u << 20, PROTO_RESP_MAX, PROTO_BATCH_MAX, PROTO_RESP_MAX
};

struct open {
	uint32_t	 idx;		/* the container's node */
	uint32_t	 last;		/* its last child so far, 0 for none */
	size_t		 left;		/* items still to come */
};

struct dec {
	struct pv_doc			*doc;
	struct pv			*first;	/* the caller's nodes, or NULL */
	const struct proto_limits	*lim;
	struct open			 stack[DEPTH_MAX];
	size_t				 depth;
	size_t				 avail;	/* bytes after this header */
	int				 done;	/* the root item is complete */
	char				*err;
	size_t				 errlen;
	int				 failed;
};

static void
dec_fail(struct dec *d, const char *msg)
{
	if (!d->failed)
		snprintf(d->err, d->errlen, "%s", msg);
	d->failed = 1;
}

/* Close every container whose items have all arrived. */
static void
dec_pop(struct dec *d)
{
	while (d->depth > 0 && d->stack[d->depth - 1].left == 0)
		d->depth--;
	if (d->depth == 0)
		d->done = 1;
}

static struct pv *
dec_node(struct dec *d, enum pv_type t)
{
	struct pv_doc	*doc = d->doc;
	struct open	*top;
	struct pv	*v;
	uint32_t	 idx;

	if (d->failed)
		return NULL;
	if (d->done) {
		dec_fail(d, "trailing bytes after the item");
		return NULL;
	}
	if (doc->n >= d->lim->items) {
		dec_fail(d, "too many items");
		return NULL;
	}
	if (doc->n == doc->cap) {
		doc->cap = doc->cap == 0 ? 64 : doc->cap * 2;
		if (doc->v != NULL && doc->v == d->first) {
			/* Outgrown the caller's nodes: a copy of them. */
			doc->v = xreallocarray(NULL, doc->cap,
			    sizeof(*doc->v));
			memcpy(doc->v, d->first, doc->n * sizeof(*doc->v));
		} else
			doc->v = xreallocarray(doc->v, doc->cap,
			    sizeof(*doc->v));
	}
	idx = (uint32_t)doc->n++;
	v = &doc->v[idx];
	memset(v, 0, sizeof(*v));
	v->type = t;
	if (d->depth > 0) {
		top = &d->stack[d->depth - 1];
		if (top->last != 0)
			doc->v[top->last].next = idx;
		top->last = idx;
		top->left--;
	}
	return v;
}

static void
dec_scalar(struct dec *d, enum pv_type t, uint64_t u)
{
	struct pv	*v;

	if ((v = dec_node(d, t)) == NULL)
		return;
	v->x.u = u;
	dec_pop(d);
}

size_t
proto_utf8_len(const unsigned char *s, size_t n)
{
	size_t		k, need;
	uint32_t	c;

	if (n == 0)
		return 0;
	c = s[0];
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		need = 1, c &= 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		need = 2, c &= 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		need = 3, c &= 0x07;
	else
		return 0;
	if (n <= need)
		return 0;
	for (k = 1; k <= need; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[k] & 0x3f);
	}
	if ((need == 2 && (c < 0x800 || (c >= 0xd800 && c <= 0xdfff))) ||
	    (need == 3 && (c < 0x10000 || c > 0x10ffff)))
		return 0;
	return need + 1;
}

static int
utf8_valid(const unsigned char *s, size_t n)
{
	size_t	i, k;

	for (i = 0; i < n; i += k)
		if ((k = proto_utf8_len(s + i, n - i)) == 0)
			return 0;
	return 1;
}

static void
dec_string(struct dec *d, enum pv_type t, cbor_data data, uint64_t len)
{
	struct pv	*v;

	if (len > d->lim->strlen) {
		dec_fail(d, "string too long");
		return;
	}
	if (t == PV_STR && !utf8_valid(data, len)) {
		dec_fail(d, "text string is not valid UTF-8");
		return;
	}
	if ((v = dec_node(d, t)) == NULL)
		return;
	v->x.s = (const char *)data;
	v->n = len;
	dec_pop(d);
}

static void
dec_container(struct dec *d, enum pv_type t, size_t n)
{
	struct pv	*v;
	size_t		 items;

	/* Every item takes at least one byte: refuse counts we cannot have. */
	if (t == PV_MAP && n > SIZE_MAX / 2) {
		dec_fail(d, "declared size larger than the frame");
		return;
	}
	items = t == PV_MAP ? n * 2 : n;
	if (items > d->avail) {
		dec_fail(d, "declared size larger than the frame");
		return;
	}
	if (items > 0 && d->depth >= d->lim->depth) {
		dec_fail(d, "nesting too deep");
		return;
	}
	if ((v = dec_node(d, t)) == NULL)
		return;
	v->n = n;
	if (items == 0) {
		dec_pop(d);
		return;
	}
	d->stack[d->depth].idx = (uint32_t)(v - d->doc->v);
	d->stack[d->depth].last = 0;
	d->stack[d->depth].left = items;
	d->depth++;
}

static void cb_u8(void *c, uint8_t v) { dec_scalar(c, PV_UINT, v); }
static void cb_u16(void *c, uint16_t v) { dec_scalar(c, PV_UINT, v); }
static void cb_u32(void *c, uint32_t v) { dec_scalar(c, PV_UINT, v); }
static void cb_u64(void *c, uint64_t v) { dec_scalar(c, PV_UINT, v); }
static void cb_n8(void *c, uint8_t v) { dec_scalar(c, PV_NEGINT, v); }
static void cb_n16(void *c, uint16_t v) { dec_scalar(c, PV_NEGINT, v); }
static void cb_n32(void *c, uint32_t v) { dec_scalar(c, PV_NEGINT, v); }
static void cb_n64(void *c, uint64_t v) { dec_scalar(c, PV_NEGINT, v); }

static void
cb_str(void *c, cbor_data p, size_t n)
{
	dec_string(c, PV_STR, p, n);
}

static void
cb_bytes(void *c, cbor_data p, size_t n)
{
	dec_string(c, PV_BYTES, p, n);
}

static void
cb_array(void *c, size_t n)
{
	dec_container(c, PV_ARRAY, n);
}

static void
cb_map(void *c, size_t n)
{
	dec_container(c, PV_MAP, n);
}

static void
cb_indef(void *c)
{
	dec_fail(c, "indefinite-length items are not accepted");
}

static void
cb_tag(void *c, uint64_t t)
{
	(void)t;
	dec_fail(c, "tags are not accepted");
}

static void
dec_float(struct dec *d, double f)
{
	struct pv	*v;

	if ((v = dec_node(d, PV_FLOAT)) == NULL)
		return;
	v->x.d = f;
	dec_pop(d);
}

static void cb_f4(void *c, float f) { dec_float(c, f); }
static void cb_f8(void *c, double f) { dec_float(c, f); }
static void cb_null(void *c) { dec_scalar(c, PV_NULL, 0); }
static void cb_undef(void *c) { dec_scalar(c, PV_UNDEF, 0); }
static void cb_bool(void *c, bool b) { dec_scalar(c, PV_BOOL, b); }

static const struct cbor_callbacks callbacks = {
	.uint8 = cb_u8, .uint16 = cb_u16, .uint32 = cb_u32, .uint64 = cb_u64,
	.negint8 = cb_n8, .negint16 = cb_n16, .negint32 = cb_n32,
	.negint64 = cb_n64,
	.byte_string = cb_bytes, .byte_string_start = cb_indef,
	.string = cb_str, .string_start = cb_indef,
	.array_start = cb_array, .indef_array_start = cb_indef,
	.map_start = cb_map, .indef_map_start = cb_indef,
	.tag = cb_tag,
	.float2 = cb_f4, .float4 = cb_f4, .float8 = cb_f8,
	.undefined = cb_undef, .null = cb_null, .boolean = cb_bool,
	.indef_break = cb_indef,
};

/* Bytes taken by the head of the item starting with byte b. */
static size_t
head_len(uint8_t b)
{
	switch (b & 0x1f) {
	case 24:
		return 2;
	case 25:
		return 3;
	case 26:
		return 5;
	case 27:
		return 9;
	default:
		return 1;
	}
}

/*
 * proto_parse into the caller's first[0..nfirst) nodes while they are
 * enough (doc->v == first then: not freed with pv_doc_free), into an
 * allocated array beyond.  A request is a few nodes: no allocation.
 */
static int
parse(const uint8_t *buf, size_t len, const struct proto_limits *lim,
    struct pv_doc *doc, struct pv *first, size_t nfirst, char *err,
    size_t errlen)
{
	struct cbor_decoder_result	 r;
	struct dec			 d;
	size_t				 off = 0, head;

	doc->v = first;
	doc->n = 0;
	doc->cap = first != NULL ? nfirst : 0;
	/* Not the stack: each level is set as it opens (1.5 KiB). */
	d.doc = doc;
	d.first = first;
	d.lim = lim;
	d.depth = 0;
	d.avail = 0;
	d.done = 0;
	d.err = err;
	d.errlen = errlen;
	d.failed = 0;
	if (lim->depth > DEPTH_MAX) {
		dec_fail(&d, "depth limit too large");
		return -1;
	}
	while (!d.failed && !d.done) {
		if (off == len) {
			dec_fail(&d, len == 0 ? "empty item" : "truncated item");
			break;
		}
		/* What follows this head, for the callbacks' size checks. */
		head = head_len(buf[off]);
		d.avail = len - off > head ? len - off - head : 0;
		r = cbor_stream_decode(buf + off, len - off, &callbacks, &d);
		if (d.failed)
			break;
		if (r.status == CBOR_DECODER_NEDATA) {
			dec_fail(&d, "truncated item");
			break;
		}
		if (r.status != CBOR_DECODER_FINISHED || r.read == 0) {
			dec_fail(&d, "malformed CBOR");
			break;
		}
		off += r.read;
	}
	if (!d.failed && off != len)
		dec_fail(&d, "trailing bytes after the item");
	if (d.failed) {
		if (doc->v != first)
			free(doc->v);
		memset(doc, 0, sizeof(*doc));
		return -1;
	}
	return 0;
}

int
proto_parse(const uint8_t *buf, size_t len, const struct proto_limits *lim,
    struct pv_doc *doc, char *err, size_t errlen)
{
	return parse(buf, len, lim, doc, NULL, 0, err, errlen);
}

void
pv_doc_free(struct pv_doc *doc)
{
	free(doc->v);
	memset(doc, 0, sizeof(*doc));
}

uint32_t
pv_child(const struct pv_doc *doc, uint32_t i)
{
	(void)doc;
	return i + 1;
}

int
pv_streq(const struct pv *v, const char *s)
{
	size_t	n = strlen(s);

	return v->type == PV_STR && v->n == n && memcmp(v->x.s, s, n) == 0;
}

const struct pv *
pv_get(const struct pv_doc *doc, uint32_t map, const char *key)
{
	uint32_t	k;
	size_t		i;

	if (doc->v[map].type != PV_MAP || doc->v[map].n == 0)
		return NULL;
	k = pv_child(doc, map);
	for (i = 0; i < doc->v[map].n; i++) {
		uint32_t	val = doc->v[k].next;

		if (pv_streq(&doc->v[k], key))
			return &doc->v[val];
		k = doc->v[val].next;
	}
	return NULL;
}

/* Requests */

static const struct {
	const char	*name;
	enum proto_op	 op;
} ops[] = {
	{ "ping", OP_PING }, { "search", OP_SEARCH }, { "info", OP_INFO },
	{ "status", OP_STATUS }, { "suggest", OP_SUGGEST },
	{ "batch", OP_BATCH }, { "audit", OP_AUDIT },
	{ "refresh", OP_REFRESH }, { "subscribe", OP_SUBSCRIBE },
	{ "list", OP_LIST }, { "owns", OP_OWNS }, { "files", OP_FILES },
};

static int __attribute__((format(printf, 3, 4)))
req_fail(struct proto_req *req, int code, const char *fmt, ...)
{
	va_list	ap;

	req->err = code;
	va_start(ap, fmt);
	vsnprintf(req->errmsg, sizeof(req->errmsg), fmt, ap);
	va_end(ap);
	return -1;
}

/* A text param: absent is fine unless required; NUL bytes are refused. */
static int
req_str(struct proto_req *req, const struct pv *v, const char *key,
    int required, char **out)
{
	if (v == NULL) {
		if (required)
			return req_fail(req, PROTO_E_PARAMS,
			    "missing parameter \"%s\"", key);
		return 0;
	}
	if (v->type != PV_STR || memchr(v->x.s, '\0', v->n) != NULL)
		return req_fail(req, PROTO_E_PARAMS,
		    "parameter \"%s\" must be a text string", key);
	*out = xstrndup(v->x.s, v->n);
	return 0;
}

static int
req_limit(struct proto_req *req, const struct pv *v, uint64_t max)
{
	if (v == NULL)
		return 0;
	if (v->type != PV_UINT || v->x.u < 1 || v->x.u > max)
		return req_fail(req, PROTO_E_PARAMS,
		    "parameter \"limit\" must be an integer from 1 to %llu",
		    (unsigned long long)max);
	req->limit = v->x.u;
	return 0;
}

/*
 * Search terms: an array of text strings, each one term (as pacman takes
 * each argument), or, as protocol 1 clients send them, one text string
 * split at blanks.
 */
static int
req_terms(struct proto_req *req, const struct pv_doc *doc, const struct pv *v)
{
	char		*s, *p, *w;
	uint32_t	 k;
	size_t		 i;

	if (v != NULL && v->type == PV_ARRAY) {
		if (v->n > PROTO_TERMS_MAX)
			return req_fail(req, PROTO_E_PARAMS, "%zu search terms, "
			    "over the limit of %d", v->n, PROTO_TERMS_MAX);
		req->terms = xcalloc(v->n + 1, sizeof(*req->terms));
		k = v->n > 0 ? pv_child(doc, (uint32_t)(v - doc->v)) : 0;
		for (i = 0; i < v->n; i++, k = doc->v[k].next) {
			if (req_str(req, &doc->v[k], "query", 1,
			    &req->terms[i]) == -1)
				return -1;
			req->nterms++;
		}
		return 0;
	}
	if (req_str(req, v, "query", 1, &s) == -1)
		return -1;
	req->terms = xcalloc(strlen(s) / 2 + 2, sizeof(*req->terms));
	for (p = s; (w = strsep(&p, " \t\n")) != NULL; )
		if (*w != '\0')
			req->terms[req->nterms++] = xstrdup(w);
	free(s);
	return 0;
}

static int
req_offset(struct proto_req *req, const struct pv *v)
{
	if (v == NULL)
		return 0;
	if (v->type != PV_UINT)
		return req_fail(req, PROTO_E_PARAMS,
		    "parameter \"offset\" must be an unsigned integer");
	req->offset = v->x.u;
	return 0;
}

/* A locale name as setlocale(3) gives it: "C", "en_US.UTF-8", ... */
static int
req_locale(struct proto_req *req, const struct pv *v)
{
	const char	*s;
	size_t		 i;

	if (v == NULL)
		return 0;
	if (v->type != PV_STR || v->n == 0 || v->n > 64)
		return req_fail(req, PROTO_E_PARAMS,
		    "parameter \"locale\" must be a locale name");
	for (i = 0, s = v->x.s; i < v->n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' &&
		    s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
		    (s[i] != '\0' && strchr("._@-", s[i]) != NULL)))
			return req_fail(req, PROTO_E_PARAMS,
			    "parameter \"locale\" must be a locale name");
	req->locale = xstrndup(v->x.s, v->n);
	return 0;
}

/* An optional boolean parameter. */
static int
req_bool(struct proto_req *req, const struct pv *v, const char *key, int *out)
{
	if (v == NULL)
		return 0;
	if (v->type != PV_BOOL)
		return req_fail(req, PROTO_E_PARAMS,
		    "parameter \"%s\" must be true or false", key);
	*out = v->x.b;
	return 0;
}

static int
req_list(struct proto_req *req, const struct pv_doc *doc, uint32_t root)
{
	struct proto_list	*l = &req->list;
	const struct pv		*v;

	if (req_bool(req, pv_get(doc, root, "explicit"), "explicit",
	    &l->explicit) == -1 ||
	    req_bool(req, pv_get(doc, root, "deps"), "deps", &l->deps) == -1 ||
	    req_bool(req, pv_get(doc, root, "foreign"), "foreign",
	    &l->foreign) == -1 ||
	    req_bool(req, pv_get(doc, root, "native"), "native",
	    &l->native) == -1 ||
	    req_bool(req, pv_get(doc, root, "upgrades"), "upgrades",
	    &l->upgrades) == -1)
		return -1;
	if ((v = pv_get(doc, root, "unrequired")) != NULL) {
		if (v->type != PV_UINT || v->x.u > 2)
			return req_fail(req, PROTO_E_PARAMS,
			    "parameter \"unrequired\" must be 0, 1 or 2");
		l->unrequired = (int)v->x.u;
	}
	return 0;
}

/* A path: a byte or text string, without NUL. */
static int
req_path(struct proto_req *req, const struct pv *v, const char *key,
    struct proto_path *out)
{
	if ((v->type != PV_BYTES && v->type != PV_STR) ||
	    memchr(v->x.s, '\0', v->n) != NULL)
		return req_fail(req, PROTO_E_PARAMS,
		    "\"%s\" must hold byte or text strings without NUL", key);
	out->s = xstrndup(v->x.s, v->n);
	out->n = v->n;
	return 0;
}

static int
req_owns(struct proto_req *req, const struct pv_doc *doc, uint32_t root)
{
	const struct pv	*v = pv_get(doc, root, "paths");
	uint32_t	 k;
	size_t		 i;

	if (v == NULL || v->type != PV_ARRAY || v->n == 0)
		return req_fail(req, PROTO_E_PARAMS,
		    "parameter \"paths\" must be a non-empty array");
	if (v->n > PROTO_TERMS_MAX)
		return req_fail(req, PROTO_E_PARAMS, "%zu paths, over the "
		    "limit of %d", v->n, PROTO_TERMS_MAX);
	req->paths = xcalloc(v->n, sizeof(*req->paths));
	k = pv_child(doc, (uint32_t)(v - doc->v));
	for (i = 0; i < v->n; i++, k = doc->v[k].next) {
		if (req_path(req, &doc->v[k], "paths", &req->paths[i]) == -1)
			return -1;
		req->npaths++;
	}
	return 0;
}

static int
req_files(struct proto_req *req, const struct pv_doc *doc, uint32_t root)
{
	struct proto_files	*f = &req->files;
	const struct pv		*v;

	if (req_bool(req, pv_get(doc, root, "regex"), "regex",
	    &f->regex) == -1 ||
	    req_bool(req, pv_get(doc, root, "list"), "list", &f->list) == -1 ||
	    req_limit(req, pv_get(doc, root, "limit"), PROTO_PAGE_MAX) == -1 ||
	    req_offset(req, pv_get(doc, root, "offset")) == -1 ||
	    req_locale(req, pv_get(doc, root, "locale")) == -1)
		return -1;
	if ((v = pv_get(doc, root, "target")) != NULL)
		return req_path(req, v, "target", &f->target);
	if (!f->list)
		return req_fail(req, PROTO_E_PARAMS,
		    "missing parameter \"target\"");
	return 0;
}

static int	req_from(const struct pv_doc *, uint32_t, size_t,
		    struct proto_req *, int);

static int
req_batch(const struct pv_doc *doc, const struct pv *reqs, size_t max,
    struct proto_req *req)
{
	uint32_t	k;
	size_t		i;

	if (reqs == NULL || reqs->type != PV_ARRAY)
		return req_fail(req, PROTO_E_PARAMS,
		    "parameter \"requests\" must be an array");
	if (reqs->n > max)
		return req_fail(req, PROTO_E_PARAMS,
		    "batch of %zu requests, over the limit of %zu", reqs->n,
		    max);
	req->nsub = reqs->n;
	req->sub = xcalloc(reqs->n, sizeof(*req->sub));
	k = pv_child(doc, (uint32_t)(reqs - doc->v));
	for (i = 0; i < reqs->n; i++) {
		req_from(doc, k, max, &req->sub[i], 1);
		k = doc->v[k].next;
	}
	return 0;
}

static int
req_from(const struct pv_doc *doc, uint32_t root, size_t batch,
    struct proto_req *req, int nested)
{
	const struct pv	*m = &doc->v[root], *id, *op, *v;
	uint32_t	 k, j;
	size_t		 i, l, n;

	if (m->type != PV_MAP)
		return req_fail(req, PROTO_E_PARAMS, "request must be a map");
	/* Keys are text and unique. */
	k = m->n > 0 ? pv_child(doc, root) : 0;
	for (i = 0; i < m->n; i++) {
		if (doc->v[k].type != PV_STR)
			return req_fail(req, PROTO_E_PARAMS,
			    "request keys must be text strings");
		j = doc->v[doc->v[k].next].next;
		for (l = i + 1; l < m->n; l++) {
			n = doc->v[k].n;
			if (doc->v[j].type == PV_STR && doc->v[j].n == n &&
			    memcmp(doc->v[j].x.s, doc->v[k].x.s, n) == 0)
				return req_fail(req, PROTO_E_PARAMS,
				    "duplicate key \"%.*s\"",
				    (int)(n > 64 ? 64 : n), doc->v[k].x.s);
			j = doc->v[doc->v[j].next].next;
		}
		k = doc->v[doc->v[k].next].next;
	}
	id = pv_get(doc, root, "id");
	if (id == NULL || id->type != PV_UINT)
		return req_fail(req, PROTO_E_PARAMS,
		    "\"id\" must be an unsigned integer");
	req->id = id->x.u;
	op = pv_get(doc, root, "op");
	if (op == NULL || op->type != PV_STR)
		return req_fail(req, PROTO_E_PARAMS,
		    "\"op\" must be a text string");
	for (i = 0; i < NELEM(ops); i++)
		if (pv_streq(op, ops[i].name))
			break;
	if (i == NELEM(ops))
		return req_fail(req, PROTO_E_OP, "unknown op \"%.*s\"",
		    (int)(op->n > 32 ? 32 : op->n), op->x.s);
	req->op = ops[i].op;
	switch (req->op) {
	case OP_PING:
	case OP_STATUS:
	case OP_AUDIT:
		return 0;
	case OP_LIST:
		return req_list(req, doc, root);
	case OP_OWNS:
		return req_owns(req, doc, root);
	case OP_FILES:
		return req_files(req, doc, root);
	case OP_REFRESH:
	case OP_SUBSCRIBE:
		/* Their answers are more than one message. */
		if (nested)
			return req_fail(req, PROTO_E_PARAMS,
			    "\"%s\" cannot be part of a batch", ops[i].name);
		return 0;
	case OP_SEARCH:
		if (req_terms(req, doc, pv_get(doc, root, "query")) == -1 ||
		    req_limit(req, pv_get(doc, root, "limit"),
		    PROTO_PAGE_MAX) == -1 ||
		    req_offset(req, pv_get(doc, root, "offset")) == -1 ||
		    req_locale(req, pv_get(doc, root, "locale")) == -1)
			return -1;
		if ((v = pv_get(doc, root, "sort")) != NULL) {
			if (pv_streq(v, "repo"))
				req->sort = SORT_REPO;
			else if (!pv_streq(v, "relevance"))
				return req_fail(req, PROTO_E_PARAMS,
				    "\"sort\" must be \"relevance\" or \"repo\"");
		}
		return 0;
	case OP_SUGGEST:
		if (req_str(req, pv_get(doc, root, "query"), "query", 1,
		    &req->query) == -1)
			return -1;
		return req_limit(req, pv_get(doc, root, "limit"), 100);
	case OP_INFO:
		return req_str(req, pv_get(doc, root, "package"), "package", 1,
		    &req->package);
	case OP_BATCH:
		if (nested)
			return req_fail(req, PROTO_E_PARAMS,
			    "batch requests cannot be nested");
		return req_batch(doc, pv_get(doc, root, "requests"), batch, req);
	}
	return 0;
}

void
proto_req_decode(const uint8_t *buf, size_t len,
    const struct proto_limits *lim, struct proto_req *req)
{
	struct pv_doc	doc;
	struct pv	first[REQ_NODES];
	char		err[96];

	memset(req, 0, sizeof(*req));
	if (parse(buf, len, lim, &doc, first, NELEM(first), err,
	    sizeof(err)) == -1) {
		req_fail(req, PROTO_E_PARSE, "parse error: %s", err);
		return;
	}
	if (req_from(&doc, 0, lim->batch, req, 0) == -1) {
		/* Keep the id only when it was usable. */
		const struct pv	*id = pv_get(&doc, 0, "id");

		if (id == NULL || id->type != PV_UINT)
			req->id = 0;
	}
	if (doc.v != first)
		free(doc.v);
}

void
proto_req_free(struct proto_req *req)
{
	size_t	i;

	if (req == NULL)
		return;
	for (i = 0; i < req->nsub; i++)
		proto_req_free(&req->sub[i]);
	free(req->sub);
	for (i = 0; i < req->nterms; i++)
		free(req->terms[i]);
	free(req->terms);
	free(req->locale);
	free(req->query);
	free(req->package);
	for (i = 0; i < req->npaths; i++)
		free(req->paths[i].s);
	free(req->paths);
	free(req->files.target.s);
	memset(req, 0, sizeof(*req));
}

/* Encoding */

#define ENC_HEAD	9	/* the longest CBOR head */

void
proto_enc_uint(struct buf *b, uint64_t v)
{
	buf_reserve(b, ENC_HEAD);
	b->len += cbor_encode_uint(v, b->data + b->len, b->cap - b->len);
}

void
proto_enc_int(struct buf *b, int64_t v)
{
	buf_reserve(b, ENC_HEAD);
	if (v >= 0)
		b->len += cbor_encode_uint((uint64_t)v, b->data + b->len,
		    b->cap - b->len);
	else
		b->len += cbor_encode_negint((uint64_t)(-1 - v),
		    b->data + b->len, b->cap - b->len);
}

void
proto_enc_strn(struct buf *b, const char *s, size_t n)
{
	buf_reserve(b, ENC_HEAD + n);
	b->len += cbor_encode_string_start(n, b->data + b->len,
	    b->cap - b->len);
	memcpy(b->data + b->len, s, n);
	b->len += n;
}

void
proto_enc_problems(struct buf *b, const struct strv *sv)
{
	size_t	i;

	proto_enc_array(b, sv->n / 2);
	for (i = 0; i + 1 < sv->n; i += 2) {
		proto_enc_map(b, 2);
		proto_enc_kv_str(b, "repo", sv->v[i]);
		proto_enc_kv_str(b, "message", sv->v[i + 1]);
	}
}

void
proto_enc_path(struct buf *b, const char *s, size_t n)
{
	if (utf8_valid((const unsigned char *)s, n)) {
		proto_enc_strn(b, s, n);
		return;
	}
	buf_reserve(b, ENC_HEAD + n);
	b->len += cbor_encode_bytestring_start(n, b->data + b->len,
	    b->cap - b->len);
	memcpy(b->data + b->len, s, n);
	b->len += n;
}

void
proto_enc_lines(struct buf *b, const char *s)
{
	const char	*e;
	size_t		 n = 0;

	for (e = s; *e != '\0'; e++)
		n += *e == '\n';
	proto_enc_array(b, *s == '\0' ? 0 : n + 1);
	while (*s != '\0') {
		e = strchr(s, '\n');
		if (e == NULL)
			e = s + strlen(s);
		proto_enc_strn(b, s, (size_t)(e - s));
		s = *e ? e + 1 : e;
	}
}

void
proto_enc_kv_str(struct buf *b, const char *k, const char *v)
{
	proto_enc_str(b, k);
	if (v == NULL)
		proto_enc_null(b);
	else
		proto_enc_str(b, v);
}

void
proto_enc_kv_lines(struct buf *b, const char *k, const char *v)
{
	proto_enc_str(b, k);
	proto_enc_lines(b, v != NULL ? v : "");
}

void
proto_enc_kv_int(struct buf *b, const char *k, int64_t v)
{
	proto_enc_str(b, k);
	proto_enc_int(b, v);
}

void
proto_enc_str(struct buf *b, const char *s)
{
	proto_enc_strn(b, s, strlen(s));
}

void
proto_enc_array(struct buf *b, size_t n)
{
	buf_reserve(b, ENC_HEAD);
	b->len += cbor_encode_array_start(n, b->data + b->len,
	    b->cap - b->len);
}

void
proto_enc_map(struct buf *b, size_t n)
{
	buf_reserve(b, ENC_HEAD);
	b->len += cbor_encode_map_start(n, b->data + b->len, b->cap - b->len);
}

void
proto_enc_null(struct buf *b)
{
	buf_reserve(b, ENC_HEAD);
	b->len += cbor_encode_null(b->data + b->len, b->cap - b->len);
}

void
proto_enc_bool(struct buf *b, int v)
{
	buf_reserve(b, ENC_HEAD);
	b->len += cbor_encode_bool(v != 0, b->data + b->len, b->cap - b->len);
}

void
proto_enc_result(struct buf *b, uint64_t id)
{
	proto_enc_map(b, 2);
	proto_enc_str(b, "id");
	proto_enc_uint(b, id);
	proto_enc_str(b, "result");
}

void
proto_enc_error(struct buf *b, uint64_t id, int code, const char *msg)
{
	proto_enc_map(b, 2);
	proto_enc_str(b, "id");
	proto_enc_uint(b, id);
	proto_enc_str(b, "error");
	proto_enc_map(b, 2);
	proto_enc_str(b, "code");
	proto_enc_int(b, code);
	proto_enc_str(b, "message");
	proto_enc_str(b, msg);
}

void
proto_enc_progress(struct buf *b, uint64_t id, const char *stage,
    uint64_t done, uint64_t total)
{
	proto_enc_map(b, 2);
	proto_enc_str(b, "id");
	proto_enc_uint(b, id);
	proto_enc_str(b, "progress");
	proto_enc_map(b, 3);
	proto_enc_str(b, "stage");
	proto_enc_str(b, stage);
	proto_enc_str(b, "done");
	proto_enc_uint(b, done);
	proto_enc_str(b, "total");
	proto_enc_uint(b, total);
}

void
proto_enc_event(struct buf *b, uint64_t generation, const char *state)
{
	proto_enc_map(b, 3);
	proto_enc_str(b, "event");
	proto_enc_str(b, "cache");
	proto_enc_str(b, "generation");
	proto_enc_uint(b, generation);
	proto_enc_str(b, "state");
	proto_enc_str(b, state);
}

size_t
proto_frame_begin(struct buf *b)
{
	size_t	off = b->len;

	buf_reserve(b, 4);
	b->len += 4;
	return off;
}

void
proto_frame_end(struct buf *b, size_t off)
{
	be32_put(b->data + off, (uint32_t)(b->len - off - 4));
}

int
proto_frame_peek(const uint8_t *p, size_t avail, size_t max, size_t *len)
{
	uint32_t	n;

	if (avail < 4)
		return 0;
	n = be32_get(p);
	if (n == 0 || n > max)
		return -1;
	if (avail - 4 < n)
		return 0;
	*len = n;
	return 1;
}
