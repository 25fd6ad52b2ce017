/*
 * proto.c - unit tests for src/proto.c: frames, request round trips, and
 * malformed input, each with the error code the protocol promises.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "proto.h"
#include "tap.h"

static struct proto_req	req;

/* Decode bytes as a request; returns the error code (0 = valid). */
static int
decode(const void *p, size_t n)
{
	proto_req_free(&req);
	proto_req_decode(p, n, &proto_req_limits, &req);
	return req.err;
}

static int
decode_buf(struct buf *b)
{
	int	rc = decode(b->data, b->len);

	buf_reset(b);
	return rc;
}

static void
hdr(struct buf *b, size_t pairs, uint64_t id, const char *op)
{
	proto_enc_map(b, pairs);
	proto_enc_str(b, "id");
	proto_enc_uint(b, id);
	proto_enc_str(b, "op");
	proto_enc_str(b, op);
}

/* {"id": 9, "op": "batch", "requests": [n pings, ids 0 to n - 1]} */
static void
batch_of_pings(struct buf *b, size_t n)
{
	size_t	i;

	hdr(b, 3, 9, "batch");
	proto_enc_str(b, "requests");
	proto_enc_array(b, n);
	for (i = 0; i < n; i++)
		hdr(b, 2, i, "ping");
}

static void
test_frames(void)
{
	static const uint8_t	zero[] = { 0, 0, 0, 0 };
	static const uint8_t	big[] = { 0xff, 0xff, 0xff, 0xff };
	static const uint8_t	over[] = { 0, 1, 0, 1 };	/* 65537 */
	static const uint8_t	max[] = { 0, 1, 0, 0, 0xa0 };	/* 65536 */
	static const uint8_t	one[] = { 0, 0, 0, 1, 0xa0, 0 };
	size_t			len = 0;

	ok(proto_frame_peek(zero, 4, PROTO_REQ_MAX, &len) == -1,
	    "frame length 0 is refused");
	ok(proto_frame_peek(big, 4, PROTO_REQ_MAX, &len) == -1,
	    "frame length 0xFFFFFFFF is refused before any payload");
	ok(proto_frame_peek(over, 4, PROTO_REQ_MAX, &len) == -1,
	    "frame length 65537 is refused");
	ok(proto_frame_peek(max, 5, PROTO_REQ_MAX, &len) == 0,
	    "frame length 65536 waits for its payload");
	ok(proto_frame_peek(one, 3, PROTO_REQ_MAX, &len) == 0,
	    "a partial header waits");
	ok(proto_frame_peek(one, 6, PROTO_REQ_MAX, &len) == 1 && len == 1,
	    "a whole frame is found, extra bytes left alone");
}

static void
test_requests(void)
{
	struct buf	b = { 0 };

	hdr(&b, 2, 7, "ping");
	ok(decode_buf(&b) == 0 && req.op == OP_PING && req.id == 7,
	    "ping round trip");
	hdr(&b, 2, UINT64_MAX, "status");
	ok(decode_buf(&b) == 0 && req.op == OP_STATUS && req.id == UINT64_MAX,
	    "status round trip with the largest id");
	hdr(&b, 5, 3, "search");
	proto_enc_str(&b, "query");
	proto_enc_str(&b, "linux ^lib");
	proto_enc_str(&b, "limit");
	proto_enc_uint(&b, 1000);
	proto_enc_str(&b, "sort");
	proto_enc_str(&b, "repo");
	ok(decode_buf(&b) == 0 && req.op == OP_SEARCH && req.nterms == 2 &&
	    strcmp(req.terms[0], "linux") == 0 &&
	    strcmp(req.terms[1], "^lib") == 0 && req.limit == 1000 &&
	    req.sort == SORT_REPO, "search round trip: a string splits at blanks");
	hdr(&b, 4, 3, "search");
	proto_enc_str(&b, "query");
	proto_enc_array(&b, 3);
	proto_enc_str(&b, "utility l");
	proto_enc_str(&b, "  ");
	proto_enc_str(&b, "");
	proto_enc_str(&b, "offset");
	proto_enc_uint(&b, 2000);
	ok(decode_buf(&b) == 0 && req.op == OP_SEARCH && req.nterms == 3 &&
	    strcmp(req.terms[0], "utility l") == 0 &&
	    strcmp(req.terms[1], "  ") == 0 && req.terms[2][0] == '\0' &&
	    req.offset == 2000, "search: an array keeps each term whole");
	hdr(&b, 3, 4, "info");
	proto_enc_str(&b, "package");
	proto_enc_str(&b, "core/linux");
	ok(decode_buf(&b) == 0 && req.op == OP_INFO &&
	    strcmp(req.package, "core/linux") == 0, "info round trip");
	hdr(&b, 4, 5, "suggest");
	proto_enc_str(&b, "limit");
	proto_enc_uint(&b, 100);
	proto_enc_str(&b, "query");
	proto_enc_str(&b, "fi");
	ok(decode_buf(&b) == 0 && req.op == OP_SUGGEST && req.limit == 100 &&
	    strcmp(req.query, "fi") == 0, "suggest round trip, keys in any order");
	hdr(&b, 3, 6, "batch");
	proto_enc_str(&b, "requests");
	proto_enc_array(&b, 3);
	hdr(&b, 2, 1, "ping");
	hdr(&b, 2, 2, "nope");
	hdr(&b, 3, 3, "batch");
	proto_enc_str(&b, "requests");
	proto_enc_array(&b, 0);
	ok(decode_buf(&b) == 0 && req.op == OP_BATCH && req.nsub == 3 &&
	    req.sub[0].op == OP_PING && req.sub[0].err == 0 &&
	    req.sub[1].err == PROTO_E_OP && req.sub[1].id == 2 &&
	    req.sub[2].err == PROTO_E_PARAMS,
	    "batch: each request on its own; unknown op and nesting fail alone");

	/* Params */
	hdr(&b, 2, 1, "search");
	ok(decode_buf(&b) == PROTO_E_PARAMS && req.id == 1,
	    "search without query: -32602, id kept");
	hdr(&b, 4, 1, "search");
	proto_enc_str(&b, "query");
	proto_enc_str(&b, "x");
	proto_enc_str(&b, "limit");
	proto_enc_uint(&b, 0);
	ok(decode_buf(&b) == PROTO_E_PARAMS, "limit 0: -32602");
	hdr(&b, 4, 1, "search");
	proto_enc_str(&b, "query");
	proto_enc_str(&b, "x");
	proto_enc_str(&b, "limit");
	proto_enc_uint(&b, 1001);
	ok(decode_buf(&b) == PROTO_E_PARAMS, "limit 1001: -32602");
	hdr(&b, 4, 1, "suggest");
	proto_enc_str(&b, "query");
	proto_enc_str(&b, "x");
	proto_enc_str(&b, "limit");
	proto_enc_int(&b, -1);
	ok(decode_buf(&b) == PROTO_E_PARAMS, "negative limit: -32602");
	hdr(&b, 4, 1, "search");
	proto_enc_str(&b, "query");
	proto_enc_str(&b, "x");
	proto_enc_str(&b, "sort");
	proto_enc_str(&b, "size");
	ok(decode_buf(&b) == PROTO_E_PARAMS, "unknown sort: -32602");
	hdr(&b, 3, 1, "info");
	proto_enc_str(&b, "package");
	proto_enc_uint(&b, 5);
	ok(decode_buf(&b) == PROTO_E_PARAMS, "info package as a number: -32602");
	hdr(&b, 3, 1, "info");
	proto_enc_str(&b, "package");
	proto_enc_strn(&b, "a\0b", 3);
	ok(decode_buf(&b) == PROTO_E_PARAMS, "NUL inside a string: -32602");
	batch_of_pings(&b, 65);
	ok(decode_buf(&b) == PROTO_E_PARAMS && req.id == 9,
	    "batch of 65: -32602");
	batch_of_pings(&b, 64);
	ok(decode_buf(&b) == 0 && req.nsub == 64 && req.sub[0].id == 0 &&
	    req.sub[31].id == 31 && req.sub[63].id == 63 &&
	    req.sub[63].op == OP_PING && req.sub[63].err == 0,
	    "batch of 64 is fine, each request whole (past the stack's "
	    "nodes)");
	batch_of_pings(&b, 40);
	ok(decode(b.data, b.len - 1) == PROTO_E_PARSE && req.id == 0,
	    "batch of 40 cut short by a byte: a parse error");
	buf_reset(&b);
	hdr(&b, 2, 1, "frobnicate");
	ok(decode_buf(&b) == PROTO_E_OP && req.id == 1, "unknown op: -32601");

	/* Shape */
	proto_enc_array(&b, 1);
	proto_enc_uint(&b, 1);
	ok(decode_buf(&b) == PROTO_E_PARAMS && req.id == 0,
	    "not a map: -32602 with id 0");
	proto_enc_map(&b, 1);
	proto_enc_str(&b, "op");
	proto_enc_str(&b, "ping");
	ok(decode_buf(&b) == PROTO_E_PARAMS && req.id == 0, "no id: id 0");
	proto_enc_map(&b, 2);
	proto_enc_str(&b, "id");
	proto_enc_str(&b, "1");
	proto_enc_str(&b, "op");
	proto_enc_str(&b, "ping");
	ok(decode_buf(&b) == PROTO_E_PARAMS && req.id == 0,
	    "id as text: -32602 with id 0");
	hdr(&b, 3, 2, "ping");
	proto_enc_str(&b, "id");
	proto_enc_uint(&b, 3);
	ok(decode_buf(&b) == PROTO_E_PARAMS, "duplicate key: -32602");
	proto_enc_map(&b, 3);
	proto_enc_uint(&b, 1);
	proto_enc_uint(&b, 1);
	proto_enc_str(&b, "id");
	proto_enc_uint(&b, 1);
	proto_enc_str(&b, "op");
	proto_enc_str(&b, "ping");
	ok(decode_buf(&b) == PROTO_E_PARAMS, "integer key: -32602");
	hdr(&b, 3, 2, "ping");
	proto_enc_str(&b, "extra");
	proto_enc_map(&b, 1);
	proto_enc_str(&b, "x");
	proto_enc_array(&b, 2);
	proto_enc_null(&b);
	proto_enc_bool(&b, 1);
	ok(decode_buf(&b) == 0 && req.id == 2,
	    "unknown params are ignored, nested values skipped correctly");
	buf_free(&b);
}

static void
test_malformed(void)
{
	static const uint8_t	trunc_map[] = { 0xa2 };
	static const uint8_t	trunc_str[] = { 0x65, 'a', 'b' };
	static const uint8_t	trailing[] = { 0xa0, 0x00 };
	static const uint8_t	arr32[] = { 0x9a, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t	arr64[] = { 0x9b, 0xff, 0xff, 0xff, 0xff,
				    0xff, 0xff, 0xff, 0xff };
	static const uint8_t	map64[] = { 0xbb, 0xff, 0xff, 0xff, 0xff,
				    0xff, 0xff, 0xff, 0xff };
	static const uint8_t	str63[] = { 0x7b, 0x80, 0, 0, 0, 0, 0, 0, 0,
				    'a' };
	static const uint8_t	bad_utf8[] = { 0xa1, 0x62, 0xc3, 0x28, 0x00 };
	static const uint8_t	overlong[] = { 0x62, 0xc0, 0xaf };
	static const uint8_t	surrogate[] = { 0x63, 0xed, 0xa0, 0x80 };
	static const uint8_t	reserved[] = { 0x1c };
	static const uint8_t	indef_str[] = { 0x7f, 0x61, 'a', 0xff };
	uint8_t			*p;
	size_t			 i, n;
	clock_t			 t0;

	ok(decode(trunc_map, sizeof(trunc_map)) == PROTO_E_PARSE,
	    "truncated map: -32700");
	ok(decode(trunc_str, sizeof(trunc_str)) == PROTO_E_PARSE,
	    "truncated string: -32700");
	ok(decode(trailing, sizeof(trailing)) == PROTO_E_PARSE,
	    "trailing bytes: -32700");
	ok(decode(NULL, 0) == PROTO_E_PARSE, "empty payload: -32700");
	t0 = clock();
	ok(decode(arr32, sizeof(arr32)) == PROTO_E_PARSE,
	    "array claiming 2^32 items: -32700");
	ok(decode(arr64, sizeof(arr64)) == PROTO_E_PARSE,
	    "array claiming 2^64 items: -32700");
	ok(decode(map64, sizeof(map64)) == PROTO_E_PARSE,
	    "map claiming 2^64 pairs: -32700");
	ok(decode(str63, sizeof(str63)) == PROTO_E_PARSE,
	    "text string claiming 2^63 bytes: -32700");
	ok((double)(clock() - t0) / CLOCKS_PER_SEC < 0.5,
	    "huge declared sizes are refused without work");
	ok(decode(bad_utf8, sizeof(bad_utf8)) == PROTO_E_PARSE,
	    "invalid UTF-8 key: -32700");
	ok(decode(overlong, sizeof(overlong)) == PROTO_E_PARSE,
	    "overlong UTF-8: -32700");
	ok(decode(surrogate, sizeof(surrogate)) == PROTO_E_PARSE,
	    "UTF-8 surrogate: -32700");
	ok(decode(reserved, sizeof(reserved)) == PROTO_E_PARSE,
	    "reserved additional info: -32700");
	ok(decode(indef_str, sizeof(indef_str)) == PROTO_E_PARSE,
	    "indefinite-length string: -32700");

	n = 100000;
	p = malloc(n);
	memset(p, 0x81, n);
	ok(decode(p, n) == PROTO_E_PARSE && strstr(req.errmsg, "deep"),
	    "0x81 x 100000: too deep, no stack overflow");
	memset(p, 0x9f, 10000);
	ok(decode(p, 10000) == PROTO_E_PARSE, "0x9F x 10000: -32700");
	memset(p, 0xc0, 10000);
	ok(decode(p, 10000) == PROTO_E_PARSE && strstr(req.errmsg, "tag"),
	    "0xC0 x 10000: tags refused");
	/* 16 levels are fine, 17 are not. */
	for (i = 0; i < 16; i++)
		p[i] = 0x81;
	p[16] = 0x00;
	ok(decode(p, 17) == PROTO_E_PARAMS, "depth 16 decodes (then: not a map)");
	p[16] = 0x81;
	p[17] = 0x00;
	ok(decode(p, 18) == PROTO_E_PARSE, "depth 17 is refused");
	/* 4096 items are fine, 4097 are not. */
	p[0] = 0x99;
	p[1] = 0x0f;
	p[2] = 0xff;	/* array of 4095 */
	memset(p + 3, 0, 4095);
	ok(decode(p, 3 + 4095) == PROTO_E_PARAMS, "4096 items decode");
	p[1] = 0x10;
	p[2] = 0x00;	/* array of 4096 */
	memset(p + 3, 0, 4096);
	ok(decode(p, 3 + 4096) == PROTO_E_PARSE && strstr(req.errmsg, "items"),
	    "4097 items are refused");
	/* Strings up to 4 KiB. */
	p[0] = 0x79;
	p[1] = 0x10;
	p[2] = 0x01;
	memset(p + 3, 'a', 4097);
	ok(decode(p, 3 + 4097) == PROTO_E_PARSE, "a 4097-byte string is refused");
	free(p);
}

static void
test_responses(void)
{
	struct buf	 b = { 0 };
	struct pv_doc	 doc;
	const struct pv	*e, *v;
	char		 err[64];
	size_t		 off;

	off = proto_frame_begin(&b);
	proto_enc_error(&b, 42, PROTO_E_NOTFOUND, "no such package");
	proto_frame_end(&b, off);
	ok(be32_get(b.data) == b.len - 4, "frame length is big-endian");
	ok(proto_parse(b.data + 4, b.len - 4, &proto_resp_limits, &doc, err,
	    sizeof(err)) == 0, "error response parses");
	e = pv_get(&doc, 0, "error");
	v = e ? pv_get(&doc, (uint32_t)(e - doc.v), "code") : NULL;
	ok(v != NULL && v->type == PV_NEGINT && -1 - (int64_t)v->x.u == -1001,
	    "error code -1001 round trips");
	v = pv_get(&doc, 0, "id");
	ok(v != NULL && v->type == PV_UINT && v->x.u == 42, "error id");
	pv_doc_free(&doc);

	buf_reset(&b);
	proto_enc_result(&b, 1);
	proto_enc_map(&b, 2);
	proto_enc_str(&b, "packages");
	proto_enc_array(&b, 0);
	proto_enc_str(&b, "total");
	proto_enc_uint(&b, 0);
	ok(proto_parse(b.data, b.len, &proto_resp_limits, &doc, err,
	    sizeof(err)) == 0, "result response parses");
	e = pv_get(&doc, 0, "result");
	v = e ? pv_get(&doc, (uint32_t)(e - doc.v), "total") : NULL;
	ok(v != NULL && v->type == PV_UINT && v->x.u == 0,
	    "result fields are found after an empty array");
	pv_doc_free(&doc);
	/* Known bytes: {"id": 1, "result": "pong"} */
	buf_reset(&b);
	proto_enc_result(&b, 1);
	proto_enc_str(&b, "pong");
	ok(b.len == 17 && memcmp(b.data, "\xa2\x62id\x01\x66result\x64pong",
	    17) == 0, "ping response bytes match the man page example");
	buf_free(&b);
}

int
main(void)
{
	test_frames();
	test_requests();
	test_malformed();
	test_responses();
	proto_req_free(&req);
	return tap_done();
}
