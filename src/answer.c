/*
 * answer.c - what every client command shares: one request asked and its
 * answer checked, fields read from it, pacman's colours, JSON output, and
 * the one-line usage error.
 */
#include <err.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "answer.h"
#include "cli.h"

/*
 * pacman's palette (src/pacman/conf.c), so that colour output matches
 * pacman --color always byte for byte.  Empty strings when colour is off.
 */
const struct palette	answer_colour = {
	"\033[0;1m", "\033[1;35m", "\033[1;32m", "\033[1;34m", "\033[1;36m",
	"\033[0m", "\033[1;31merror: \033[0m", "\033[1;33mwarning: \033[0m"
};
const struct palette	answer_plain = { "", "", "", "", "", "", "error: ",
	"warning: " };
const struct palette	*answer_pal = &answer_plain;

/* One line on stderr, then exit status 2. */
int
answer_usage(const char *fmt, ...)
{
	va_list	ap;

	fprintf(stderr, "omg: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see omg --help)\n");
	return EXIT_USAGE;
}

/* JSON */

void
answer_json_str(struct buf *b, const char *s, size_t n)
{
	size_t	i, k;

	buf_add(b, "\"", 1);
	for (i = 0; i < n; i += k) {
		unsigned char	c = (unsigned char)s[i];

		k = 1;
		if (c == '"' || c == '\\')
			buf_printf(b, "\\%c", c);
		else if (c == '\n')
			buf_addstr(b, "\\n");
		else if (c == '\t')
			buf_addstr(b, "\\t");
		else if (c < 0x20)
			buf_printf(b, "\\u%04x", c);
		else if ((k = proto_utf8_len((const unsigned char *)s + i,
		    n - i)) == 0) {
			/* Not UTF-8 (a path's bytes): a lone surrogate. */
			buf_printf(b, "\\udc%02x", c);
			k = 1;
		} else
			buf_add(b, &s[i], k);
	}
	buf_add(b, "\"", 1);
}

/* Write node i as JSON; returns the index after its subtree. */
uint32_t
answer_json_value(struct buf *b, const struct pv_doc *doc, uint32_t i)
{
	const struct pv	*v = &doc->v[i];
	uint32_t	 k = i + 1;
	size_t		 j;

	switch (v->type) {
	case PV_UINT:
		buf_printf(b, "%llu", (unsigned long long)v->x.u);
		break;
	case PV_NEGINT:
		if (v->x.u > (uint64_t)INT64_MAX)
			buf_printf(b, "-%llu", (unsigned long long)v->x.u + 1);
		else
			buf_printf(b, "%lld", (long long)(-1 - (int64_t)v->x.u));
		break;
	case PV_STR:
		answer_json_str(b, v->x.s, v->n);
		break;
	case PV_BYTES:
		answer_json_str(b, v->x.s, v->n);
		break;
	case PV_ARRAY:
		buf_add(b, "[", 1);
		for (j = 0; j < v->n; j++) {
			if (j > 0)
				buf_add(b, ",", 1);
			k = answer_json_value(b, doc, k);
		}
		buf_add(b, "]", 1);
		break;
	case PV_MAP:
		buf_add(b, "{", 1);
		for (j = 0; j < v->n; j++) {
			if (j > 0)
				buf_add(b, ",", 1);
			if (doc->v[k].type == PV_STR)
				k = answer_json_value(b, doc, k);
			else {
				struct buf	key = { 0 };

				k = answer_json_value(&key, doc, k);
				answer_json_str(b, (char *)key.data, key.len);
				buf_free(&key);
			}
			buf_add(b, ":", 1);
			k = answer_json_value(b, doc, k);
		}
		buf_add(b, "}", 1);
		break;
	case PV_BOOL:
		buf_addstr(b, v->x.b ? "true" : "false");
		break;
	case PV_FLOAT:
		buf_printf(b, "%.17g", v->x.d);
		break;
	case PV_NULL:
	case PV_UNDEF:
		buf_addstr(b, "null");
		break;
	}
	return k;
}

void
answer_json(const struct pv_doc *doc, uint32_t i)
{
	struct buf	b = { 0 };

	answer_json_value(&b, doc, i);
	buf_add(&b, "\n", 1);
	fwrite(b.data, 1, b.len, stdout);
	buf_free(&b);
}

/* Answers */

int
answer_exit(int code)
{
	if (code == PROTO_E_NOTFOUND)
		return EXIT_NOTFOUND;
	/* The pattern is the trouble: invalid, or over its budget. */
	if (code == PROTO_E_PARAMS || code == PROTO_E_EXPENSIVE)
		return EXIT_USAGE;
	return EXIT_NOANSWER;
}

/* The error an answer holds, said in one line: its exit status. */
int
answer_error(const struct pv_doc *doc)
{
	const struct pv	*e, *m, *code;

	if ((e = pv_get(doc, 0, "error")) != NULL &&
	    (m = pv_get(doc, (uint32_t)(e - doc->v), "message")) &&
	    (code = pv_get(doc, (uint32_t)(e - doc->v), "code")) &&
	    m->type == PV_STR && code->type == PV_NEGINT) {
		warnx("%.*s", (int)m->n, m->x.s);
		return answer_exit(-1 - (int)code->x.u);
	}
	warnx("protocol error: the answer has neither result nor error");
	return EXIT_NOANSWER;
}

/*
 * Send the request and check the response: 0 with a->result set, or an
 * exit status after printing one line.
 */
int
answer_ask(struct client_opts *o, struct buf *req, struct answer *a)
{
	const char	*msg;
	size_t		 n;
	int		 rc, code;

	if ((rc = answer_ask_for(o, req, a, &code, &msg, &n)) == -1) {
		warnx("%.*s", (int)n, msg);
		return answer_exit(code);
	}
	return rc;
}

int
answer_ask_for(struct client_opts *o, struct buf *req, struct answer *a,
    int *code, const char **msg, size_t *msglen)
{
	const struct pv	*res, *e, *m, *c;
	char		 err[512];

	memset(a, 0, sizeof(*a));
	if (client_request(o, req->data, req->len, &a->raw, err,
	    sizeof(err)) == -1) {
		if (!o->quiet)
			warnx("%s", err);
		return EXIT_NOANSWER;
	}
	if (proto_parse(a->raw.data, a->raw.len, &proto_resp_limits, &a->doc,
	    err, sizeof(err)) == -1) {
		if (!o->quiet)
			warnx("protocol error: %s", err);
		return EXIT_NOANSWER;
	}
	if ((res = pv_get(&a->doc, 0, "result")) != NULL) {
		a->result = (uint32_t)(res - a->doc.v);
		return 0;
	}
	if ((e = pv_get(&a->doc, 0, "error")) != NULL &&
	    (m = pv_get(&a->doc, (uint32_t)(e - a->doc.v), "message")) &&
	    (c = pv_get(&a->doc, (uint32_t)(e - a->doc.v), "code")) &&
	    m->type == PV_STR && c->type == PV_NEGINT) {
		*code = -1 - (int)c->x.u;
		*msg = m->x.s;
		*msglen = m->n;
		return -1;
	}
	return answer_error(&a->doc);
}

void
answer_free(struct answer *a)
{
	pv_doc_free(&a->doc);
	buf_free(&a->raw);
}

/* Field helpers over a result map. */

const char *
answer_str_of(const struct pv *v, char *tmp, size_t len)
{
	if (v == NULL || v->type != PV_STR)
		return NULL;
	snprintf(tmp, len, "%.*s", (int)v->n, v->x.s);
	return tmp;
}

char *
answer_field(const struct pv_doc *doc, uint32_t map, const char *key)
{
	const struct pv	*v = pv_get(doc, map, key);

	if (v == NULL || v->type != PV_STR)
		return NULL;
	return xstrndup(v->x.s, v->n);
}

int64_t
answer_num(const struct pv_doc *doc, uint32_t map, const char *key)
{
	const struct pv	*v = pv_get(doc, map, key);

	if (v == NULL)
		return 0;
	if (v->type == PV_UINT)
		return (int64_t)v->x.u;
	if (v->type == PV_NEGINT)
		return -1 - (int64_t)v->x.u;
	return 0;
}

/* Join an array of strings with sep into b; "None" when empty. */
void
answer_join(struct buf *b, const struct pv_doc *doc, const struct pv *arr,
    const char *sep, const char *none)
{
	uint32_t	k;
	size_t		i;

	if (arr == NULL || arr->type != PV_ARRAY || arr->n == 0) {
		if (none != NULL)
			buf_addstr(b, none);
		return;
	}
	k = (uint32_t)(arr - doc->v) + 1;
	for (i = 0; i < arr->n; i++) {
		if (i > 0)
			buf_addstr(b, sep);
		if (doc->v[k].type == PV_STR)
			buf_add(b, doc->v[k].x.s, doc->v[k].n);
		k = doc->v[k].next;
	}
}

/* --limit N with 1 <= N <= max; else a usage error. */
int
answer_limit(const char *s, long max, uint64_t *out)
{
	char	*end;
	long	 v;

	v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || v < 1 || v > max)
		return answer_usage("--limit takes a number from 1 to %ld, "
		    "not '%s'", max, s);
	*out = (uint64_t)v;
	return 0;
}

