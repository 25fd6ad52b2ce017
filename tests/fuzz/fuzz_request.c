/*
 * fuzz_request.c - libFuzzer target: the input is a byte stream as a
 * client would send it.  Frames are cut with proto_frame_peek, each
 * payload goes through proto_req_decode (request limits) and proto_parse
 * (response limits, as the client reads), and every response the daemon
 * could build for it is encoded and parsed back.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "proto.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proto_req	 req;
	struct pv_doc		 doc;
	struct buf		 b = { 0 };
	char			 err[128];
	size_t			 off = 0, len, i;

	while (proto_frame_peek(data + off, size - off, PROTO_REQ_MAX,
	    &len) == 1) {
		proto_req_decode(data + off + 4, len, &proto_req_limits, &req);
		if (proto_parse(data + off + 4, len, &proto_resp_limits, &doc,
		    err, sizeof(err)) == 0)
			pv_doc_free(&doc);
		/* An error answer carrying what we decoded must parse back. */
		proto_enc_error(&b, req.id, req.err ? req.err : PROTO_E_OP,
		    req.errmsg);
		for (i = 0; i < req.nsub; i++)
			proto_enc_error(&b, req.sub[i].id, req.sub[i].err,
			    req.sub[i].errmsg);
		if (proto_parse(b.data, b.len, &proto_resp_limits, &doc, err,
		    sizeof(err)) != 0 && req.nsub == 0)
			abort();
		pv_doc_free(&doc);
		buf_reset(&b);
		proto_req_free(&req);
		off += 4 + len;
	}
	buf_free(&b);
	return 0;
}
