/*
 * suggest.c - the suggest op: names for shell completion, by prefix and
 * then by a bounded edit distance (a misspelt name still completes).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "snap.h"
#include "suggest.h"

#define SUGGEST_LIMIT		10
#define FUZZY_MAXLEN		64


struct cand {
	char		*name;
	unsigned	 score;
};

struct cands {
	struct cand	*v;
	size_t		 n, cap;
	const char	*query;		/* lower case */
	unsigned	 maxdist;
	int		 whole;		/* compare whole names, not prefixes */
	struct cands	*exclude;	/* names already suggested */
};

static void
cands_add(struct cands *c, const char *name, unsigned score)
{
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 32;
		c->v = xreallocarray(c->v, c->cap, sizeof(*c->v));
	}
	c->v[c->n].name = xstrdup(name);
	c->v[c->n++].score = score;
}

static void
cands_free(struct cands *c)
{
	size_t	i;

	for (i = 0; i < c->n; i++)
		free(c->v[i].name);
	free(c->v);
}

static int
cand_cmp(const void *a, const void *b)
{
	const struct cand	*x = a, *y = b;
	size_t			 lx, ly;

	if (x->score != y->score)
		return x->score < y->score ? -1 : 1;
	lx = strlen(x->name);
	ly = strlen(y->name);
	if (lx != ly)
		return lx < ly ? -1 : 1;
	return strcmp(x->name, y->name);
}


static unsigned
osa(const char *a, size_t la, const char *b, size_t lb)
{
	unsigned	d[FUZZY_MAXLEN + 2][FUZZY_MAXLEN + 2];
	unsigned	cost, best;
	size_t		i, j;

	if (la > FUZZY_MAXLEN)
		la = FUZZY_MAXLEN;
	if (lb > FUZZY_MAXLEN)
		lb = FUZZY_MAXLEN;
	for (i = 0; i <= la; i++)
		d[i][0] = (unsigned)i;
	for (j = 0; j <= lb; j++)
		d[0][j] = (unsigned)j;
	for (i = 1; i <= la; i++)
		for (j = 1; j <= lb; j++) {
			cost = tolower((unsigned char)a[i - 1]) !=
			    tolower((unsigned char)b[j - 1]);
			best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (d[i - 1][j - 1] + cost < best)
				best = d[i - 1][j - 1] + cost;
			if (i > 1 && j > 1 && tolower((unsigned char)a[i - 1])
			    == tolower((unsigned char)b[j - 2]) &&
			    tolower((unsigned char)a[i - 2]) ==
			    tolower((unsigned char)b[j - 1]) &&
			    d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	return d[la][lb];
}

unsigned
suggest_fuzzy(const char *a, const char *b)
{
	size_t		la = strlen(a), lb = strlen(b), k;
	unsigned	d, best = ~0u;

	if (la > FUZZY_MAXLEN)
		la = FUZZY_MAXLEN;
	if (lb > FUZZY_MAXLEN)
		lb = FUZZY_MAXLEN;
	for (k = la > 1 ? la - 1 : 1; k <= la + 1; k++) {
		if (k > lb)
			break;
		if ((d = osa(a, la, b, k)) < best)
			best = d;
	}
	if (best == ~0u)
		best = osa(a, la, b, lb);
	return best;
}

/*
 * A cheap test before the distance: each edit removes at most one of the
 * query's letters, so a name within maxdist holds all but maxdist of them
 * in the part the query is aligned with (its first |query| + 1 letters
 * when completing).  Counting each letter's presence can only say yes
 * too often, never too rarely.
 */
static int
may_be_near(const struct cands *c, const char *lname)
{
	size_t	la = strlen(c->query), window, i, hits = 0;

	if (la > FUZZY_MAXLEN)
		la = FUZZY_MAXLEN;
	window = strlen(lname);
	if (!c->whole && window > la + 1)
		window = la + 1;
	for (i = 0; i < la && hits + c->maxdist < la; i++)
		hits += memchr(lname, c->query[i], window) != NULL;
	return hits + c->maxdist >= la;
}

static unsigned
distance(struct cands *c, const char *name, const char *lname)
{
	if (!may_be_near(c, lname))
		return c->maxdist + 1;
	return c->whole ? osa(c->query, strlen(c->query), name, strlen(name)) :
	    suggest_fuzzy(c->query, name);
}

/*
 * While completing, names that share their first |query| + 1 letters are
 * the same distance from the query, and they lie together in the sorted
 * names: the end of names[i]'s group, found by galloping.
 */
static size_t
group_end(const struct query_snap *sn, size_t i, size_t n)
{
	const char	*p = sn->names[i].lname;
	size_t		 lo, hi, step, mid;

	if (strnlen(p, n) < n)
		return i + 1;
	for (step = 1, lo = i + 1; ; step *= 2) {
		hi = lo + step;
		if (hi > sn->nnames)
			hi = sn->nnames;
		if (hi == lo || strncmp(sn->names[hi - 1].lname, p, n) != 0)
			break;
		lo = hi;
	}
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (strncmp(sn->names[mid].lname, p, n) == 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void
fuzzy_hit(struct cands *c, const struct name *nm, unsigned d)
{
	size_t	i;

	if (d > c->maxdist)
		return;
	for (i = 0; c->exclude != NULL && i < c->exclude->n; i++)
		if (strcmp(c->exclude->v[i].name, nm->name) == 0)
			return;
	cands_add(c, nm->name, d);
}

/*
 * Names for query: prefix matches shortest first, then, when there are
 * fewer than limit, near misses by distance (of prefixes while completing,
 * of whole names for "did you mean").  Returns -1 on cache errors.
 */
static int
suggest(struct query *q, const char *query, size_t limit, int whole,
    struct cands *out)
{
	struct query_snap	*sn;
	struct cands		 fz;
	char			*lq;
	size_t			 i, j, k, len, lo, hi, mid;
	unsigned		 d;

	memset(out, 0, sizeof(*out));
	if ((sn = snap_names(q)) == NULL)
		return -1;
	lq = str_lower_dup(query);
	len = strlen(lq);
	/* The names are sorted by lower case: the prefix is one range. */
	lo = 0;
	hi = sn->nnames;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (strcmp(sn->names[mid].lname, lq) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (i = lo; i < sn->nnames &&
	    strncmp(sn->names[i].lname, lq, len) == 0; i++)
		cands_add(out, sn->names[i].name, 0);
	if (out->n > 1)
		qsort(out->v, out->n, sizeof(*out->v), cand_cmp);
	if (out->n < limit && len >= 3) {
		memset(&fz, 0, sizeof(fz));
		fz.query = lq;
		fz.maxdist = len < 6 ? 1 : 2;
		fz.whole = whole;
		fz.exclude = out;
		for (i = 0; i < sn->nnames; i = j) {
			j = whole ? i + 1 : group_end(sn, i, len + 1);
			d = distance(&fz, sn->names[i].name,
			    sn->names[i].lname);
			for (k = i; k < j; k++)
				fuzzy_hit(&fz, &sn->names[k], d);
		}
		if (fz.n > 1)
			qsort(fz.v, fz.n, sizeof(*fz.v), cand_cmp);
		for (i = 0; i < fz.n && out->n < limit; i++)
			cands_add(out, fz.v[i].name, fz.v[i].score);
		cands_free(&fz);
	}
	if (out->n > limit) {
		for (i = limit; i < out->n; i++)
			free(out->v[i].name);
		out->n = limit;
	}
	free(lq);
	return 0;
}

int
suggest_names(struct query *q, const char *query, size_t limit, int whole,
    struct strv *out)
{
	struct cands	c;
	size_t		i;

	if (suggest(q, query, limit, whole, &c) == -1) {
		cands_free(&c);
		return -1;
	}
	for (i = 0; i < c.n; i++)
		strv_add(out, c.v[i].name);
	cands_free(&c);
	return 0;
}

char *
suggest_key(const struct proto_req *req)
{
	return xasprintf("suggest %zu %s", req->limit ? req->limit :
	    SUGGEST_LIMIT, req->query);
}

size_t
suggest_answer(struct query *q, const struct proto_req *req, struct buf *out)
{
	struct cands	c;
	size_t		i, start;

	if (suggest(q, req->query, req->limit ? req->limit : SUGGEST_LIMIT, 0,
	    &c) == -1) {
		snap_unreadable(q, req->id, out);
		cands_free(&c);
		return 0;
	}
	proto_enc_result(out, req->id);
	start = out->len;
	proto_enc_array(out, c.n);
	for (i = 0; i < c.n; i++)
		proto_enc_str(out, c.v[i].name);
	cands_free(&c);
	return start;
}
