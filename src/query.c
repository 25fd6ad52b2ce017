/*
 * query.c - search, info, status, suggest and batch over the cache, with
 * pacman's semantics (lib/libalpm/db.c:_alpm_db_search for search).
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <locale.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "config.h"
#include "stamp.h"
#include "files.h"
#include "image.h"
#include "proto.h"
#include "query.h"
#include "trigram.h"

#define SEARCH_LIMIT		50
#define SUGGEST_LIMIT		10
#define FUZZY_MAXLEN		64

/* Search */

/* A search answer already encoded: the CBOR of its result, by key. */
struct hit_cache {
	char		*key;
	struct buf	 cbor;
};

#define RESULTS_MAX	64	/* answers kept per generation */

struct name {
	char	*name;
	char	*lname;		/* lower case, the sort key */
};

/*
 * What the queries read from the cache, once per generation and only the
 * parts a request needs: search rows, the sorted names for suggest, the
 * counts and runtimes for status.
 */
struct query_snap {
	struct buf		 image;		/* the rows point into it */
	struct buf		 index;		/* the daemon's: tri's bytes */
	struct image_row	*v;		/* the sync packages */
	size_t			 n;
	int			 have_rows;
	uint32_t		*nonascii;	/* rows not all ASCII; lazily */
	size_t			 nnonascii;
	struct trigram		*tri;		/* the rebuild's index of the
						   rows (daemon), or NULL */
	struct name		*names;
	size_t			 nnames, capnames;
	int			 have_names;
	struct cache_counts	 counts;
	struct cache_info	 info;
	struct strv		 runtimes;	/* name, version, name, ... */
	int			 have_status;
	struct strv		 local;		/* name, version, ... */
	int			 have_local;
	struct hit_cache	*results;	/* search and info answers */
	size_t			 nresults, next_result;
};

enum rank {
	RANK_EXACT, RANK_PREFIX, RANK_WORD, RANK_NAME, RANK_OTHER
};

struct term {
	regex_t	 re;		/* when compiled */
	int	 compiled;
	char	*text;
	char	*lower;		/* literal terms: lower case; else NULL */
	size_t	 lowerlen;
	char	*need;		/* lower-case text every match holds, or NULL */
	size_t	 needlen;
};

/*
 * Is the needle n[0..m) in h[0..len)?  For the short haystacks and
 * needles of a search, a first-byte scan beats strstr's setup.
 */
static const char *
find(const char *h, size_t len, const char *n, size_t m)
{
	const char	*end;
	size_t		 i;

	if (m == 0)
		return h;
	if (len < m)
		return NULL;
	for (end = h + len - m; h <= end; h++) {
		if (*h != *n)
			continue;
		for (i = 1; i < m && h[i] == n[i]; i++)
			;
		if (i == m)
			return h;
	}
	return NULL;
}

struct match {
	int		 rank;
	size_t		 seq;		/* scan order: repo order, then name */
	const struct image_row	*row;
};

struct search {
	const struct conf *conf;	/* NULL: every repo is searched */
	int		 clocale;	/* C/POSIX: the ASCII shortcuts are
					   exact on every row */
	struct term	*terms;
	size_t		 nterms;
	struct match	*m;
	size_t		 n, cap;
};

static char *
lower_dup(const char *s)
{
	char	*l = xstrdup(s);

	str_lower(l);
	return l;
}

static char *
lower_dup_n(const char *s, size_t n)
{
	char	*l = xstrndup(s, n);

	str_lower(l);
	return l;
}

static void
snap_free(struct query_snap *sn)
{
	size_t	i;

	if (sn == NULL)
		return;
	for (i = 0; i < sn->nnames; i++) {
		free(sn->names[i].name);
		free(sn->names[i].lname);
	}
	free(sn->names);
	strv_free(&sn->runtimes);
	strv_free(&sn->local);
	for (i = 0; i < sn->nresults; i++) {
		free(sn->results[i].key);
		buf_free(&sn->results[i].cbor);
	}
	free(sn->results);
	cache_info_free(&sn->info);
	free(sn->nonascii);
	free(sn->v);
	buf_free(&sn->image);
	buf_free(&sn->index);
	trigram_free(sn->tri);
	free(sn);
}

void
query_reset(struct query *q)
{
	snap_free(q->snap);
	q->snap = NULL;
}

static struct query_snap *
snap_get(struct query *q)
{
	if (q->snap == NULL)
		q->snap = xcalloc(1, sizeof(*q->snap));
	return q->snap;
}

static struct query_snap *
snap_rows(struct query *q)
{
	struct query_snap	*sn = snap_get(q);


	int			 lasting;

	if (!sn->have_rows) {
		/* A daemon takes the index the rebuild made, too. */
		lasting = strcmp(q->mode, "daemon") == 0;
		if (cache_image(q->cache, &sn->image, lasting ? &sn->index :
		    NULL) == -1 ||
		    (sn->v = image_rows((const char *)sn->image.data,
		    sn->image.len, &sn->n)) == NULL)
			return NULL;
		if (sn->index.len > 0)
			sn->tri = trigram_load(sn->index.data, sn->index.len);
		sn->have_rows = 1;
	}
	return sn;
}

static int
name_add(void *arg, const char *name, const char *unused)
{
	struct query_snap	*sn = arg;

	(void)unused;
	if (sn->nnames == sn->capnames) {
		sn->capnames = sn->capnames ? sn->capnames * 2 : 1024;
		sn->names = xreallocarray(sn->names, sn->capnames,
		    sizeof(*sn->names));
	}
	sn->names[sn->nnames].name = xstrdup(name);
	sn->names[sn->nnames++].lname = lower_dup(name);
	return 0;
}

static int
name_cmp(const void *a, const void *b)
{
	const struct name	*x = a, *y = b;
	int			 c = strcmp(x->lname, y->lname);

	return c != 0 ? c : strcmp(x->name, y->name);
}

static struct query_snap *
snap_names(struct query *q)
{
	struct query_snap	*sn = snap_get(q);

	if (!sn->have_names) {
		if (cache_each_name(q->cache, name_add, sn) == -1)
			return NULL;
		if (sn->nnames > 1)
			qsort(sn->names, sn->nnames, sizeof(*sn->names),
			    name_cmp);
		sn->have_names = 1;
	}
	return sn;
}

static int
ci_prefix(const char *s, const char *prefix)
{
	for (; *prefix != '\0'; s++, prefix++)
		if (tolower((unsigned char)*s) != tolower((unsigned char)*prefix))
			return 0;
	return 1;
}

/* Does re match any line of a '\n'-joined list? */
static int
match_list(const regex_t *re, const char *list)
{
	char		 item[1024];
	const char	*p, *e;
	size_t		 n;

	for (p = list; *p != '\0'; p = *e ? e + 1 : e) {
		e = strchr(p, '\n');
		if (e == NULL)
			e = p + strlen(p);
		n = (size_t)(e - p);
		if (n >= sizeof(item))
			n = sizeof(item) - 1;
		memcpy(item, p, n);
		item[n] = '\0';
		if (regexec(re, item, 0, NULL, 0) == 0)
			return 1;
	}
	return 0;
}

/*
 * A term with none of ERE's special characters matches, with REG_ICASE in
 * the C locale, exactly where its lower-case text is a substring of the
 * lower-cased field.  Such terms skip regexec.
 */
static int
is_literal(const char *t)
{
	return strpbrk(t, ".[]()*+?{}|^$\\\n") == NULL;
}

/*
 * The longest run of plain characters that every match of the regex must
 * hold (lower case), for the trigram index; NULL when it cannot tell or
 * the run is too short.  Conservative: an alternation gives up, groups,
 * brackets, escapes, '.', anchors and optional characters break runs.  A
 * field matching the regex, or holding the term as plain text, holds the
 * run.
 */
char *
query_required_run(const char *re)
{
	const char	*p, *best = NULL, *run = NULL;
	size_t		 bestlen = 0, len;
	int		 depth = 0;

	if (strchr(re, '|') != NULL)
		return NULL;
	for (p = re; ; p++) {
		int	plain = *p != '\0' && depth == 0 &&
			    (isalnum((unsigned char)*p) || *p == '-' || *p == '_');

		/* A character that may be absent ends the run before it. */
		if (plain && (p[1] == '*' || p[1] == '?' || p[1] == '{'))
			plain = 0;
		if (plain) {
			if (run == NULL)
				run = p;
			/* "x+": x is there, but what follows may repeat it. */
			if (p[1] != '+')
				continue;
			p++;
			len = (size_t)(p - run);
		} else
			len = run != NULL ? (size_t)(p - run) : 0;
		if (len > bestlen) {
			best = run;
			bestlen = len;
		}
		run = NULL;
		if (*p == '\0')
			break;
		if (*p == '\\' && p[1] != '\0')
			p++;
		else if (*p == '[') {
			/* "[]...]" and "[^]...]" hold a literal ']'. */
			p++;
			if (*p == '^')
				p++;
			if (*p == ']')
				p++;
			while (*p != '\0' && *p != ']')
				p++;
			if (*p == '\0')
				break;
		} else if (*p == '{') {
			/* A bound's digits are not text. */
			while (*p != '\0' && *p != '}')
				p++;
			if (*p == '\0')
				break;
		} else if (*p == '(')
			depth++;
		else if (*p == ')' && depth > 0)
			depth--;
	}
	if (bestlen < TRIGRAM_MIN)
		return NULL;
	return lower_dup_n(best, bestlen);
}

/*
 * Whether the term hits the name the way pacman decides it (regex, or the
 * term as plain case-sensitive text), then how well: RANK_OTHER for a miss.
 */
/*
 * Can a regex term match the lower-case field f (which ends, with its
 * NUL, where next begins)?  Not without its required run: regexec only
 * runs where the run is.
 */
static int
holds(const struct term *t, const char *f, const char *next, int exact)
{
	return !exact || t->need == NULL || find(f, (size_t)(next - f) - 1,
	    t->need, t->needlen) != NULL;
}

static int
rank_name(const struct term *t, const struct image_row *r, int exact)
{
	regmatch_t	 rm;
	const char	*hit;
	size_t		 at;

	if (t->lower != NULL && exact) {
		if ((hit = find(r->lname, (size_t)(r->ldesc - r->lname) - 1,
		    t->lower, t->lowerlen)) == NULL)
			return RANK_OTHER;
		at = (size_t)(hit - r->lname);
	} else if (!holds(t, r->lname, r->ldesc, exact))
		/* Neither the regex nor the plain text can match. */
		return RANK_OTHER;
	else if (regexec(&t->re, r->name, 1, &rm, 0) == 0)
		at = (size_t)rm.rm_so;
	else if ((hit = strstr(r->name, t->text)) != NULL)
		at = (size_t)(hit - r->name);
	else
		return RANK_OTHER;
	if ((size_t)(r->ldesc - r->lname) - 1 == strlen(t->text) &&
	    strcasecmp(r->name, t->text) == 0)
		return RANK_EXACT;
	if (ci_prefix(r->name, t->text))
		return RANK_PREFIX;
	if (at == 0 || !isalnum((unsigned char)r->name[at - 1]))
		return RANK_WORD;
	return RANK_NAME;
}

/* pacman's order of fields: name (as regex or plain text), description,
 * provides, groups; every term must hit one of them. */
static void
search_row(struct search *s, const struct image_row *r, size_t seq)
{
	const struct term	*t;
	struct match		*m;
	size_t			 i;
	int			 rank = RANK_OTHER, rk, exact;

	/* pacman searches only repos whose Usage has Search (a search with
	   no term lists every package of every repo). */
	if (s->nterms > 0 && s->conf != NULL && r->ord >= 0 &&
	    (size_t)r->ord < s->conf->repos.n &&
	    !(s->conf->usage[r->ord] & CONF_USAGE_SEARCH))
		return;

	/* Past the C locale, a row with bytes past ASCII may fold in ways
	   the ASCII copies do not show: regexec decides there. */
	exact = s->clocale || r->ascii;
	for (i = 0; i < s->nterms; i++) {
		t = &s->terms[i];
		if ((rk = rank_name(t, r, exact)) != RANK_OTHER) {
			if (rk < rank)
				rank = rk;
			continue;
		}
		if (t->lower != NULL && exact) {
			/* Description, provides and groups lie end to end,
			   NUL-separated: one scan (the needle has no NUL). */
			if (find(r->ldesc, r->lowerlen - (size_t)(r->ldesc -
			    r->lname), t->lower, t->lowerlen) != NULL)
				continue;
		} else if ((*r->desc != '\0' &&
		    holds(t, r->ldesc, r->lprov, exact) &&
		    regexec(&t->re, r->desc, 0, NULL, 0) == 0) ||
		    (holds(t, r->lprov, r->lgroups, exact) &&
		    match_list(&t->re, r->provnames)) ||
		    (holds(t, r->lgroups, r->lname + r->lowerlen, exact) &&
		    match_list(&t->re, r->groups)))
			continue;
		return;
	}
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 64;
		s->m = xreallocarray(s->m, s->cap, sizeof(*s->m));
	}
	m = &s->m[s->n++];
	m->rank = rank;
	m->seq = seq;
	m->row = r;
}

/* Matches come in scan order; relevance is by rank, then that order: a
   stable counting sort. */
static void
rank_sort(struct search *s)
{
	struct match	*sorted;
	size_t		 at[RANK_OTHER + 2] = { 0 }, i;

	for (i = 0; i < s->n; i++)
		at[s->m[i].rank + 1]++;
	for (i = 1; i < NELEM(at); i++)
		at[i] += at[i - 1];
	sorted = xreallocarray(NULL, s->n, sizeof(*sorted));
	for (i = 0; i < s->n; i++)
		sorted[at[s->m[i].rank]++] = s->m[i];
	free(s->m);
	s->m = sorted;
}

static size_t
count_lines(const char *s)
{
	size_t	n;

	if (*s == '\0')
		return 0;
	for (n = 1; *s != '\0'; s++)
		n += *s == '\n';
	return n;
}

/* Encode a '\n'-joined list as an array of text strings. */
static void
enc_list(struct buf *out, const char *s)
{
	const char	*e;

	proto_enc_array(out, count_lines(s));
	while (*s != '\0') {
		e = strchr(s, '\n');
		if (e == NULL)
			e = s + strlen(s);
		proto_enc_strn(out, s, (size_t)(e - s));
		s = *e ? e + 1 : e;
	}
}

/* The same search again in this generation: the same bytes. */
static const struct buf *
result_get(struct query_snap *sn, const char *key)
{
	size_t	i;

	for (i = 0; i < sn->nresults; i++)
		if (strcmp(sn->results[i].key, key) == 0)
			return &sn->results[i].cbor;
	return NULL;
}

static void
result_put(struct query_snap *sn, const char *key, const uint8_t *p,
    size_t n)
{
	struct hit_cache	*h;

	if (sn->results == NULL)
		sn->results = xcalloc(RESULTS_MAX, sizeof(*sn->results));
	if (sn->nresults < RESULTS_MAX)
		h = &sn->results[sn->nresults++];
	else {
		h = &sn->results[sn->next_result];	/* the oldest goes */
		sn->next_result = (sn->next_result + 1) % RESULTS_MAX;
		free(h->key);
		buf_reset(&h->cbor);
	}
	h->key = xstrdup(key);
	buf_add(&h->cbor, p, n);
}

/*
 * The cache could not be read (damaged, truncated, replaced): the error,
 * and the daemon is told, to rebuild it.
 */
void
query_unreadable(struct query *q, uint64_t id, struct buf *out)
{
	if (q->broken != NULL) {
		q->broken(q->broken_arg);
		proto_enc_error(out, id, PROTO_E_INTERNAL, "cannot read the "
		    "cache; it is being rebuilt");
	} else
		proto_enc_error(out, id, PROTO_E_INTERNAL,
		    "cannot read the cache");
}

static int
ascii(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s >= 0x80)
			return 0;
	return 1;
}

/* The rows whose text is not all ASCII, in order (once a generation). */
static const uint32_t *
nonascii_rows(struct query_snap *sn, size_t *n)
{
	size_t	i;

	if (sn->nonascii == NULL) {
		sn->nonascii = xcalloc(sn->n + 1, sizeof(*sn->nonascii));
		for (i = 0; i < sn->n; i++)
			if (!sn->v[i].ascii)
				sn->nonascii[sn->nnonascii++] = (uint32_t)i;
	}
	*n = sn->nnonascii;
	return sn->nonascii;
}

/* cand[0..*n) and the non-ASCII rows, merged in order: a new array. */
static uint32_t *
with_nonascii(struct query_snap *sn, uint32_t *cand, size_t *n)
{
	const uint32_t	*na;
	uint32_t	*m;
	size_t		 nna, i = 0, j = 0, k = 0;

	na = nonascii_rows(sn, &nna);
	m = xreallocarray(NULL, *n + nna + 1, sizeof(*m));
	while (i < *n || j < nna) {
		if (j == nna || (i < *n && cand[i] < na[j]))
			m[k++] = cand[i++];
		else if (i == *n || na[j] < cand[i])
			m[k++] = na[j++];
		else {
			m[k++] = cand[i++];
			j++;
		}
	}
	free(cand);
	*n = k;
	return m;
}

#define LOCALES_MAX	8	/* locales a query keeps loaded */

struct query_locale {
	char		*name;
	locale_t	 loc;
};

/*
 * The locale named (LC_CTYPE and LC_COLLATE; the rest C), loaded once
 * and kept; "C" for NULL or a name this machine has no locale for.
 * *clocale is 1 for C and POSIX.
 */
locale_t
query_locale(struct query *q, const char *name, int *clocale)
{
	struct query_locale	*ql;
	locale_t		 loc;
	size_t			 i;

	if (name == NULL)
		name = "C";
	*clocale = strcmp(name, "C") == 0 || strcmp(name, "POSIX") == 0;
	if (q->locales == NULL)
		q->locales = xcalloc(LOCALES_MAX, sizeof(*q->locales));
	for (i = 0; i < q->nlocales; i++)
		if (strcmp(q->locales[i].name, name) == 0)
			return q->locales[i].loc;
	loc = newlocale(LC_CTYPE_MASK | LC_COLLATE_MASK, name, (locale_t)0);
	if (loc == (locale_t)0) {
		*clocale = 1;
		return query_locale(q, "C", clocale);
	}
	if (q->nlocales == LOCALES_MAX) {
		/* The oldest goes. */
		freelocale(q->locales[0].loc);
		free(q->locales[0].name);
		memmove(&q->locales[0], &q->locales[1],
		    (LOCALES_MAX - 1) * sizeof(*q->locales));
		q->nlocales--;
	}
	ql = &q->locales[q->nlocales++];
	ql->name = xstrdup(name);
	ql->loc = loc;
	return loc;
}

static void
do_search(struct query *q, const struct proto_req *req, struct buf *out)
{
	struct query_snap	*sn;
	const struct buf	*hit;
	struct search		 s;
	const char		**need;
	struct buf		 kb = { 0 };
	locale_t		 oldloc;
	char			*w, msg[300], *key;
	uint32_t		*cand;
	size_t			 i, j, limit, shown, at, start, nneed = 0;
	size_t			 ncand;
	int			 rc;

	limit = req->limit ? req->limit : SEARCH_LIMIT;
	/* The key: every parameter, each term with its length. */
	buf_printf(&kb, "%d %zu %llu %s", (int)req->sort, limit,
	    (unsigned long long)req->offset,
	    req->locale != NULL ? req->locale : "C");
	for (j = 0; j < req->nterms; j++)
		buf_printf(&kb, " %zu:%s", strlen(req->terms[j]),
		    req->terms[j]);
	key = xstrdup(buf_cstr(&kb));
	buf_free(&kb);
	if ((hit = result_get(snap_get(q), key)) != NULL) {
		proto_enc_result(out, req->id);
		buf_add(out, hit->data, hit->len);
		free(key);
		return;
	}
	memset(&s, 0, sizeof(s));
	s.conf = q->conf;
	/* pacman compiles and matches in the user's locale: so do we, in
	   the one the client named (C when it named none). */
	oldloc = uselocale(query_locale(q, req->locale, &s.clocale));
	s.terms = xcalloc(req->nterms + 1, sizeof(*s.terms));
	for (j = 0; j < req->nterms; j++) {
		w = req->terms[j];
		s.terms[s.nterms].text = w;
		/* A literal is a valid regex; any other term must compile
		   (pacman refuses what regcomp refuses).  Past the C locale
		   a literal is ASCII, and is compiled too, for the rows
		   whose text is not. */
		if (is_literal(w) && (s.clocale || ascii(w))) {
			s.terms[s.nterms].lower = lower_dup(w);
			s.terms[s.nterms].lowerlen = strlen(w);
			if (strlen(w) >= TRIGRAM_MIN)
				s.terms[s.nterms].need =
				    xstrdup(s.terms[s.nterms].lower);
			if (s.clocale) {
				s.nterms++;
				continue;
			}
		}
		rc = regcomp(&s.terms[s.nterms].re, w,
		    REG_EXTENDED | REG_ICASE | REG_NEWLINE);
		if (rc == 0)
			s.terms[s.nterms].compiled = 1;
		if (rc != 0) {
			char	why[100];

			regerror(rc, &s.terms[s.nterms].re, why, sizeof(why));
			/* Out of memory: over the worker's budget, not a
			   mistake in the pattern. */
			snprintf(msg, sizeof(msg), rc == REG_ESPACE ?
			    "the search is too expensive: \"%.40s\" needs more "
			    "memory than its budget (%s)" :
			    "invalid regex \"%.40s\": %s", w, why);
			proto_enc_error(out, req->id, rc == REG_ESPACE ?
			    PROTO_E_EXPENSIVE : PROTO_E_PARAMS, msg);
			goto done;
		}
		if (s.terms[s.nterms].need == NULL)
			s.terms[s.nterms].need = query_required_run(w);
		if (s.terms[s.nterms].need != NULL)
			s.terms[s.nterms].needlen =
			    strlen(s.terms[s.nterms].need);
		s.nterms++;
	}
	if ((sn = snap_rows(q)) == NULL) {
		query_unreadable(q, req->id, out);
		goto done;
	}
	/* Only the rows that hold what every term needs, when that is known;
	   in scan order either way. */
	need = xcalloc(s.nterms + 1, sizeof(*need));
	for (i = 0; i < s.nterms; i++)
		if (s.terms[i].need != NULL)
			need[nneed++] = s.terms[i].need;
	/* Without the rebuild's index (embedded mode: one query is cheaper
	   scanned than an index read), every row. */
	if (nneed > 0 && sn->tri != NULL) {
		cand = trigram_find(sn->tri, need, nneed, &ncand);
		/* (A row past the last is a damaged index's.) */
		while (ncand > 0 && cand[ncand - 1] >= sn->n)
			ncand--;
		/* The index knows ASCII folding only: past the C locale,
		   the rows that are not ASCII are candidates too. */
		if (!s.clocale)
			cand = with_nonascii(sn, cand, &ncand);
		for (i = 0; i < ncand; i++) {
			/* Rows far apart miss the cache: ask for them (and
			   then their text) ahead of time. */
			if (i + 16 < ncand)
				__builtin_prefetch(&sn->v[cand[i + 16]]);
			if (i + 8 < ncand)
				__builtin_prefetch(sn->v[cand[i + 8]].lname);
			search_row(&s, &sn->v[cand[i]], cand[i]);
		}
		free(cand);
	} else
		for (i = 0; i < sn->n; i++)
			search_row(&s, &sn->v[i], i);
	free(need);
	if (req->sort == SORT_RELEVANCE && s.n > 1)
		rank_sort(&s);
	at = req->offset < s.n ? (size_t)req->offset : s.n;
	shown = s.n - at < limit ? s.n - at : limit;
	proto_enc_result(out, req->id);
	start = out->len;
	proto_enc_map(out, 2);
	proto_enc_str(out, "packages");
	proto_enc_array(out, shown);
	for (i = at; i < at + shown; i++) {
		const struct image_row	*r = s.m[i].row;

		proto_enc_map(out, 5 + (r->installed != NULL));
		proto_enc_str(out, "name");
		proto_enc_str(out, r->name);
		proto_enc_str(out, "version");
		proto_enc_str(out, r->version);
		proto_enc_str(out, "description");
		proto_enc_str(out, r->desc);
		proto_enc_str(out, "source");
		proto_enc_str(out, r->repo);
		proto_enc_str(out, "groups");
		enc_list(out, r->groups);
		if (r->installed != NULL) {
			proto_enc_str(out, "installed");
			proto_enc_str(out, r->installed);
		}
	}
	proto_enc_str(out, "total");
	proto_enc_uint(out, s.n);
	result_put(sn, key, out->data + start, out->len - start);
done:
	free(key);
	uselocale(oldloc);
	for (i = 0; i < s.nterms; i++) {
		if (s.terms[i].compiled)
			regfree(&s.terms[i].re);
		free(s.terms[i].lower);
		free(s.terms[i].need);
	}
	free(s.m);
	free(s.terms);
}

/* Suggest */

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
query_fuzzy(const char *a, const char *b)
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
	    query_fuzzy(c->query, name);
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
	lq = lower_dup(query);
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

static void
do_suggest(struct query *q, const struct proto_req *req, struct buf *out)
{
	struct cands	c;
	size_t		i;

	if (suggest(q, req->query, req->limit ? req->limit : SUGGEST_LIMIT, 0,
	    &c) == -1) {
		query_unreadable(q, req->id, out);
		cands_free(&c);
		return;
	}
	proto_enc_result(out, req->id);
	proto_enc_array(out, c.n);
	for (i = 0; i < c.n; i++)
		proto_enc_str(out, c.v[i].name);
	cands_free(&c);
}

/* Info */

/*
 * "package 'x' was not found", with the names it may have meant: none for
 * an empty name, never the name itself, and for local/x only installed
 * packages (a removed package is not a suggestion for what is installed).
 */
static void
not_found(struct query *q, const struct proto_req *req, const char *name,
    int local, struct buf *out)
{
	struct cache_pkg p;
	struct cands	 c;
	struct buf	 msg = { 0 };
	size_t		 i, shown = 0;

	buf_printf(&msg, "package '%.200s' was not found", req->package);
	if (*name != '\0' && suggest(q, name, 10, 1, &c) == 0) {
		for (i = 0; i < c.n && shown < 3; i++) {
			if (strcmp(c.v[i].name, name) == 0)
				continue;
			if (local && cache_pkg(q->cache, "local", c.v[i].name, 0,
			    &p) != 1)
				continue;
			if (local)
				cache_pkg_free(&p);
			buf_printf(&msg, "%s%s", shown == 0 ?
			    "; did you mean " : ", ", c.v[i].name);
			shown++;
		}
		cands_free(&c);
	}
	if (shown > 0)
		buf_addstr(&msg, "?");
	proto_enc_error(out, req->id, PROTO_E_NOTFOUND, buf_cstr(&msg));
	buf_free(&msg);
}

static void
enc_kv_str(struct buf *out, const char *k, const char *v)
{
	proto_enc_str(out, k);
	if (v == NULL)
		proto_enc_null(out);
	else
		proto_enc_str(out, v);
}

static void
enc_kv_list(struct buf *out, const char *k, const char *v)
{
	proto_enc_str(out, k);
	enc_list(out, v != NULL ? v : "");
}

static void
enc_kv_int(struct buf *out, const char *k, int64_t v)
{
	proto_enc_str(out, k);
	proto_enc_int(out, v);
}

/* Whether pacman.conf names the sync repository repo. */
static int
known_repo(const struct query *q, const char *repo)
{
	size_t	i;

	if (q->conf == NULL)
		return 1;
	for (i = 0; i < q->conf->repos.n; i++)
		if (strcmp(q->conf->repos.v[i], repo) == 0)
			return 1;
	return 0;
}

#define INFO_KEYS	28	/* enc_pkg's, without "others" */

/*
 * One package's map: p's fields, with what the installed row l (NULL: not
 * installed) adds.  When p is the installed row itself, its optional
 * dependencies say which are installed, as pacman -Qi marks them.
 */
static void
enc_pkg(struct buf *out, const struct cache_pkg *p, const struct cache_pkg *l)
{
	const char	*s;

	enc_kv_str(out, "name", p->name);
	enc_kv_str(out, "version", p->version);
	enc_kv_str(out, "description", p->desc);
	enc_kv_str(out, "url", p->url);
	enc_kv_str(out, "arch", p->arch);
	enc_kv_int(out, "size", p->isize);
	enc_kv_int(out, "download_size", p->csize);
	enc_kv_str(out, "repo", p->repo);
	enc_kv_str(out, "source", p->repo);
	enc_kv_list(out, "licenses", p->licenses);
	enc_kv_list(out, "groups", p->groups);
	enc_kv_list(out, "provides", p->provides);
	enc_kv_list(out, "depends", p->depends);
	enc_kv_list(out, "optdepends", p->optdepends);
	proto_enc_str(out, "optdepends_installed");
	s = p->local && p->optdeps_installed ? p->optdeps_installed : "";
	proto_enc_array(out, strlen(s));
	for (; *s != '\0'; s++)
		proto_enc_bool(out, *s == '1');
	enc_kv_list(out, "conflicts", p->conflicts);
	enc_kv_list(out, "replaces", p->replaces);
	enc_kv_str(out, "packager", p->packager);
	enc_kv_int(out, "build_date", p->builddate);
	enc_kv_list(out, "validated_by", p->validation);
	/* What the local db adds; null when not installed. */
	enc_kv_str(out, "installed", l ? l->version : NULL);
	proto_enc_str(out, "install_date");
	if (l)
		proto_enc_int(out, l->installdate);
	else
		proto_enc_null(out);
	enc_kv_str(out, "reason", !l ? NULL :
	    l->reason == 0 ? "explicit" : "dependency");
	proto_enc_str(out, "install_script");
	if (l)
		proto_enc_bool(out, l->scriptlet);
	else
		proto_enc_null(out);
	enc_kv_list(out, "required_by", l ? l->required_by : "");
	enc_kv_list(out, "optional_for", l ? l->optional_for : "");
	enc_kv_str(out, "update", l ? l->new_version : NULL);
	proto_enc_str(out, "ignored");
	proto_enc_bool(out, l && l->ignored);
}

#define INFO_REPOS_MAX	64	/* sync repos one answer lists */

/*
 * pacman -Si NAME: the package of every sync repo that has it, in
 * pacman.conf order (the first as the result, the rest in "others");
 * repo/NAME: that repo's; local/NAME, or a NAME only installed: pacman
 * -Qi's.
 */
static void
do_info(struct query *q, const struct proto_req *req, struct buf *out)
{
	struct cache_pkg	 sync[INFO_REPOS_MAX], local;
	const struct buf	*hit;
	char			*repo = NULL, *name, *slash, *key, msg[300];
	size_t			 at, i, ns = 0;
	int			 hl = 0, rc = 0, want_local;

	/* The same package again in this generation: the same bytes. */
	key = xasprintf("info %s", req->package);
	if ((hit = result_get(snap_get(q), key)) != NULL) {
		proto_enc_result(out, req->id);
		buf_add(out, hit->data, hit->len);
		free(key);
		return;
	}
	memset(&local, 0, sizeof(local));
	/* "repo/name" picks a repo; "local/name" the installed package. */
	name = req->package;
	if ((slash = strchr(req->package, '/')) != NULL) {
		repo = xstrndup(req->package, (size_t)(slash - req->package));
		name = slash + 1;
	}
	want_local = repo != NULL && strcmp(repo, "local") == 0;
	if (repo != NULL && !want_local && !known_repo(q, repo)) {
		snprintf(msg, sizeof(msg), "repository '%.100s' does not "
		    "exist; package '%.100s' was not found", repo,
		    req->package);
		proto_enc_error(out, req->id, PROTO_E_PARAMS, msg);
		goto done;
	}
	while (!want_local && ns < INFO_REPOS_MAX && (repo == NULL || ns == 0) &&
	    (rc = cache_pkg(q->cache, repo, name, repo ? 0 : (int)ns,
	    &sync[ns])) == 1)
		ns++;
	if (rc != -1)
		rc = hl = cache_pkg(q->cache, "local", name, 0, &local);
	if (rc == -1) {
		query_unreadable(q, req->id, out);
		goto done;
	}
	if (want_local ? !hl : ns == 0 && (repo != NULL || !hl)) {
		not_found(q, req, name, want_local, out);
		goto done;
	}
	proto_enc_result(out, req->id);
	at = out->len;
	proto_enc_map(out, INFO_KEYS + 1);
	if (ns == 0)
		enc_pkg(out, &local, &local);
	else
		enc_pkg(out, &sync[0], hl ? &local : NULL);
	proto_enc_str(out, "others");
	proto_enc_array(out, ns > 1 ? ns - 1 : 0);
	for (i = 1; i < ns; i++) {
		proto_enc_map(out, INFO_KEYS);
		enc_pkg(out, &sync[i], hl ? &local : NULL);
	}
	result_put(snap_get(q), key, out->data + at, out->len - at);
done:
	free(key);
	free(repo);
	for (i = 0; i < ns; i++)
		cache_pkg_free(&sync[i]);
	cache_pkg_free(&local);
}

/* List: pacman -Q with its filters */

struct listing {
	const struct proto_list	*f;
	struct buf		 pkgs;	/* the CBOR of each match */
	size_t			 n;
};

/* pacman's filter() (src/pacman/query.c), on what the cache holds. */
static int
list_one(void *arg, const struct cache_installed *p)
{
	struct listing		*l = arg;
	const struct proto_list	*f = l->f;

	if ((f->explicit && p->reason != 0) || (f->deps && p->reason != 1) ||
	    (f->foreign && !p->foreign) || (f->native && p->foreign) ||
	    (f->unrequired && (p->required ||
	    (f->unrequired == 1 && p->optional))) ||
	    (f->upgrades && p->new_version == NULL))
		return 0;
	proto_enc_map(&l->pkgs, 4);
	enc_kv_str(&l->pkgs, "name", p->name);
	enc_kv_str(&l->pkgs, "version", p->version);
	enc_kv_str(&l->pkgs, "update", p->new_version);
	proto_enc_str(&l->pkgs, "ignored");
	proto_enc_bool(&l->pkgs, p->ignored);
	l->n++;
	return 0;
}

static void
do_list(struct query *q, const struct proto_req *req, struct buf *out)
{
	struct listing	l = { &req->list, { 0 }, 0 };

	if (cache_each_installed(q->cache, list_one, &l) == -1)
		query_unreadable(q, req->id, out);
	else {
		proto_enc_result(out, req->id);
		proto_enc_map(out, 2);
		proto_enc_str(out, "packages");
		proto_enc_array(out, l.n);
		buf_add(out, l.pkgs.data, l.pkgs.len);
		proto_enc_str(out, "total");
		proto_enc_uint(out, l.n);
	}
	buf_free(&l.pkgs);
}

/* Audit */

#define ADV_MAX		(64u << 20)	/* bytes of advisories JSON */

struct query_adv {
	struct audit_db	 db;		/* the last good data */
	const char	*state;		/* "ok", "missing", "invalid" */
	char		*error;
	struct stat	 st;		/* of the file last read */
	int		 read;
	time_t		 loaded_at;
};

static int
adv_add(void *arg, const char *name, const char *status, const char *sev,
    const char *type, const char *fixed, const struct strv *pkgs,
    const struct strv *cves)
{
	audit_db_add(arg, name, status, sev, type, fixed, pkgs, cves);
	return 0;
}

static void
adv_fail(struct query_adv *a, const char *state, const char *why)
{
	a->state = state;
	free(a->error);
	a->error = why != NULL ? xstrdup(why) : NULL;
}

/* Read the advisories file again when it changed; keep the last good. */
static struct query_adv *
adv_refresh(struct query *q)
{
	struct query_adv	*a;
	struct audit_db		 db;
	struct stat		 st;
	struct buf		 b = { 0 };
	char			 err[256];
	FILE			*fp;
	size_t			 n;

	if (q->adv == NULL) {
		q->adv = xcalloc(1, sizeof(*q->adv));
		q->adv->state = "missing";
	}
	a = q->adv;
	if (q->advisories_path == NULL ||
	    stat(q->advisories_path, &st) == -1) {
		adv_fail(a, "missing", NULL);
		a->read = 0;
		return a;
	}
	if (a->read && st.st_ino == a->st.st_ino &&
	    st.st_size == a->st.st_size &&
	    st.st_mtim.tv_sec == a->st.st_mtim.tv_sec &&
	    st.st_mtim.tv_nsec == a->st.st_mtim.tv_nsec)
		return a;
	a->st = st;
	a->read = 1;
	if (st.st_size > (off_t)ADV_MAX) {
		adv_fail(a, "invalid", "over 64 MiB");
		return a;
	}
	if ((fp = fopen(q->advisories_path, "r")) == NULL) {
		adv_fail(a, "invalid", strerror(errno));
		return a;
	}
	buf_reserve(&b, (size_t)st.st_size + 1);
	while ((n = fread(b.data + b.len, 1, b.cap - b.len, fp)) > 0) {
		b.len += n;
		if (b.len == b.cap) {
			if (b.len >= ADV_MAX)
				break;
			buf_reserve(&b, b.cap);
		}
	}
	fclose(fp);
	memset(&db, 0, sizeof(db));
	if (cache_parse_advisories(q->cache, (const char *)b.data, b.len,
	    adv_add, &db, err, sizeof(err)) == -1) {
		audit_db_free(&db);
		adv_fail(a, "invalid", err);
	} else {
		audit_db_index(&db);
		audit_db_free(&a->db);
		a->db = db;
		a->loaded_at = time(NULL);
		adv_fail(a, "ok", NULL);
	}
	buf_free(&b);
	return a;
}

static int
local_hit(void *arg, const char *name, const char *version)
{
	strv_add(arg, name);
	strv_add(arg, version);
	return 0;
}

static int
hit_cmp(const void *x, const void *y)
{
	const struct audit_hit	*a = x, *b = y;

	if (a->rank != b->rank)
		return a->rank > b->rank ? -1 : 1;
	return strcmp(a->name, b->name);
}

/* The installed packages the advisories say are affected, worst first. */
static int
audit_hits(struct query *q, struct query_adv **ap, struct audit_hit **out,
    size_t *nout)
{
	struct query_snap	*sn = snap_get(q);
	struct query_adv	*a = adv_refresh(q);
	struct audit_hit	 h;
	size_t			 i;

	*ap = a;
	*out = NULL;
	*nout = 0;
	if (!sn->have_local) {
		if (cache_each_local(q->cache, "*", local_hit,
		    &sn->local) == -1)
			return -1;
		sn->have_local = 1;
	}
	for (i = 0; i + 1 < sn->local.n; i += 2) {
		if (!audit_check(&a->db, sn->local.v[i], sn->local.v[i + 1],
		    &h))
			continue;
		*out = xreallocarray(*out, *nout + 1, sizeof(**out));
		(*out)[(*nout)++] = h;
	}
	if (*nout > 1)
		qsort(*out, *nout, sizeof(**out), hit_cmp);
	return 0;
}

static void
hits_free(struct audit_hit *h, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		audit_hit_free(&h[i]);
	free(h);
}

static void
enc_strv(struct buf *out, const struct strv *sv)
{
	size_t	i;

	proto_enc_array(out, sv->n);
	for (i = 0; i < sv->n; i++)
		proto_enc_str(out, sv->v[i]);
}

static void
enc_advisories(struct buf *out, const struct query *q,
    const struct query_adv *a)
{
	proto_enc_str(out, "advisories");
	proto_enc_map(out, 5);
	enc_kv_str(out, "state", a->state);
	enc_kv_int(out, "entries", (int64_t)a->db.n);
	proto_enc_str(out, "loaded_at");
	if (a->loaded_at != 0)
		proto_enc_int(out, a->loaded_at);
	else
		proto_enc_null(out);
	enc_kv_str(out, "path", q->advisories_path);
	enc_kv_str(out, "error", a->error);
}

static void
do_audit(struct query *q, const struct proto_req *req, struct buf *out)
{
	struct query_adv	*a;
	struct audit_hit	*h;
	size_t			 i, n;

	if (audit_hits(q, &a, &h, &n) == -1) {
		query_unreadable(q, req->id, out);
		return;
	}
	proto_enc_result(out, req->id);
	proto_enc_map(out, 2);
	proto_enc_str(out, "packages");
	proto_enc_array(out, n);
	for (i = 0; i < n; i++) {
		proto_enc_map(out, 7);
		enc_kv_str(out, "name", h[i].name);
		enc_kv_str(out, "installed", h[i].installed);
		enc_kv_str(out, "severity", h[i].severity);
		enc_kv_str(out, "fixed", h[i].fixed);
		proto_enc_str(out, "avgs");
		enc_strv(out, &h[i].avgs);
		proto_enc_str(out, "cves");
		enc_strv(out, &h[i].cves);
		enc_kv_str(out, "type", h[i].type);
	}
	enc_advisories(out, q, a);
	hits_free(h, n);
}

void
query_done(struct query *q)
{
	size_t	i;

	query_reset(q);
	for (i = 0; i < q->nlocales; i++) {
		freelocale(q->locales[i].loc);
		free(q->locales[i].name);
	}
	free(q->locales);
	q->locales = NULL;
	q->nlocales = 0;
	if (q->adv != NULL) {
		audit_db_free(&q->adv->db);
		free(q->adv->error);
		free(q->adv);
		q->adv = NULL;
	}
}

/* Status */

static const char *runtimes[] = {
	"python", "python2", "nodejs", "nodejs-lts-*", "go", "rust", "ruby",
	"jre*-openjdk*", "jdk*-openjdk*", "php", "perl", "lua", "lua5[0-9]",
	"luajit", "erlang", "elixir", "julia", "ghc", "dotnet-runtime*", "zig",
	"ocaml", "tcl", "guile",
};

static int
runtime_hit(void *arg, const char *name, const char *version)
{
	struct strv	*sv = arg;

	strv_add(sv, name);
	strv_add(sv, version);
	return 0;
}

static struct query_snap *
snap_status(struct query *q)
{
	struct query_snap	*sn = snap_get(q);
	size_t			 i;

	if (!sn->have_status) {
		if (cache_counts(q->cache, &sn->counts) == -1 ||
		    cache_info(q->cache, &sn->info) == -1)
			return NULL;
		for (i = 0; i < NELEM(runtimes); i++)
			if (cache_each_local(q->cache, runtimes[i],
			    runtime_hit, &sn->runtimes) == -1)
				return NULL;
		sn->have_status = 1;
	}
	return sn;
}

/*
 * The daemon's state of the cache (else "fresh"); a fresh cache that
 * left a database out, because it could not be read, is "partial".
 */
static const char *
state_of(const struct query *q, const struct cache_info *ci)
{
	const char	*s = q->state != NULL ? q->state : "fresh";

	if (strcmp(s, "fresh") == 0 && ci != NULL && ci->problems.n > 0)
		return "partial";
	return s;
}

static const char *
state(const struct query *q)
{
	struct cache_info	 ci;
	const char		*s;

	if (cache_info(q->cache, &ci) == -1)
		return state_of(q, NULL);
	s = state_of(q, &ci);
	cache_info_free(&ci);
	return s;
}

static void
do_status(struct query *q, const struct proto_req *req, struct buf *out)
{
	struct query_snap	*sn;
	const struct cache_counts *n;
	const struct cache_info	*ci;
	const struct strv	*rt;
	const char		*state = "fresh";
	struct query_adv	*adv;
	struct audit_hit	*hits;
	size_t			 nhits;
	char			*stamp;
	size_t			 i;

	if ((sn = snap_status(q)) == NULL ||
	    audit_hits(q, &adv, &hits, &nhits) == -1) {
		query_unreadable(q, req->id, out);
		return;
	}
	hits_free(hits, nhits);
	n = &sn->counts;
	ci = &sn->info;
	rt = &sn->runtimes;
	if (q->state != NULL)
		state = state_of(q, ci);
	else if (q->conf != NULL) {
		stamp = stamp_dbs(q->conf);
		state = ci->stamp == NULL || strcmp(stamp, ci->stamp) != 0 ?
		    "stale" : state_of(q, ci);
		free(stamp);
	}
	proto_enc_result(out, req->id);
	proto_enc_map(out, 9);
	enc_kv_int(out, "total_packages", (int64_t)n->total);
	enc_kv_int(out, "explicit_packages", (int64_t)n->explicit);
	enc_kv_int(out, "orphan_packages", (int64_t)n->orphans);
	enc_kv_int(out, "updates_available", (int64_t)n->updates);
	enc_kv_int(out, "security_vulnerabilities", (int64_t)nhits);
	proto_enc_str(out, "runtime_versions");
	proto_enc_array(out, rt->n / 2);
	for (i = 0; i + 1 < rt->n; i += 2) {
		proto_enc_array(out, 2);
		proto_enc_str(out, rt->v[i]);
		proto_enc_str(out, rt->v[i + 1]);
	}
	proto_enc_str(out, "cache");
	proto_enc_map(out, 7);
	enc_kv_str(out, "state", state);
	proto_enc_str(out, "problems");
	proto_enc_array(out, ci->problems.n / 2);
	for (i = 0; i + 1 < ci->problems.n; i += 2) {
		proto_enc_map(out, 2);
		enc_kv_str(out, "repo", ci->problems.v[i]);
		enc_kv_str(out, "message", ci->problems.v[i + 1]);
	}
	enc_kv_int(out, "generation", (int64_t)ci->generation);
	enc_kv_int(out, "packages", (int64_t)ci->packages);
	enc_kv_int(out, "built_at", ci->built_at);
	enc_kv_int(out, "build_ms", (int64_t)ci->build_ms);
	enc_kv_str(out, "path", q->cache_path);
	enc_advisories(out, q, adv);
	proto_enc_str(out, "server");
	proto_enc_map(out, 4);
	enc_kv_str(out, "mode", q->mode);
	enc_kv_str(out, "version", OMG_VERSION);
	enc_kv_int(out, "protocol", PROTO_VERSION);
	enc_kv_int(out, "loop_stall_max_us", (int64_t)q->stall_max_us);
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
		enc_kv_int(out, "generation", (int64_t)ci.generation);
		enc_kv_int(out, "packages", (int64_t)ci.packages);
		enc_kv_int(out, "repos", q->conf != NULL ?
		    (int64_t)q->conf->repos.n : 0);
		enc_kv_int(out, "duration_ms", (int64_t)ms);
		enc_kv_str(out, "state", state_of(q, &ci));
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
	enc_kv_int(out, "generation", (int64_t)generation(q));
	enc_kv_str(out, "state", state(q));
	proto_frame_end(out, off);
}

void
query_event(struct query *q, struct buf *out)
{
	size_t	off = proto_frame_begin(out);

	proto_enc_event(out, generation(q), state(q));
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
	rc = cache_refresh(q->cache, q->conf, 1, &pr, err, sizeof(err));
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

static void
answer(struct query *q, const struct proto_req *req, struct buf *out)
{
	size_t	i;

	if (req->err != 0) {
		proto_enc_error(out, req->id, req->err, req->errmsg);
		return;
	}
	switch (req->op) {
	case OP_PING:
		proto_enc_result(out, req->id);
		proto_enc_str(out, "pong");
		break;
	case OP_SEARCH:
		do_search(q, req, out);
		break;
	case OP_INFO:
		do_info(q, req, out);
		break;
	case OP_STATUS:
		do_status(q, req, out);
		break;
	case OP_SUGGEST:
		do_suggest(q, req, out);
		break;
	case OP_AUDIT:
		do_audit(q, req, out);
		break;
	case OP_LIST:
		do_list(q, req, out);
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
		proto_enc_result(out, req->id);
		proto_enc_array(out, req->nsub);
		for (i = 0; i < req->nsub; i++)
			answer(q, &req->sub[i], out);
		break;
	}
}

/*
 * Does the request's cost depend on what it asks: a search with a term
 * that is a regular expression (regcomp and regexec can take any time
 * and memory), alone or in a batch?
 */
static int
costly(const struct proto_req *req)
{
	size_t	i;

	if (req->op == OP_BATCH) {
		for (i = 0; i < req->nsub; i++)
			if (req->sub[i].err == 0 && costly(&req->sub[i]))
				return 1;
		return 0;
	}
	if (req->op == OP_FILES)
		return req->files.regex;
	if (req->op != OP_SEARCH)
		return 0;
	for (i = 0; i < req->nterms; i++)
		if (!is_literal(req->terms[i]) || !ascii(req->terms[i]))
			return 1;
	return 0;
}

int
query_costly(const uint8_t *p, size_t len)
{
	struct proto_req	req;
	int			c;

	proto_req_decode(p, len, &proto_req_limits, &req);
	c = req.err == 0 && costly(&req);
	proto_req_free(&req);
	return c;
}

static const struct proto_limits *
limits(const struct query *q)
{
	return q->limits != NULL ? q->limits : &proto_req_limits;
}

int
query_frame(struct query *q, const uint8_t *p, size_t len, struct buf *out,
    uint64_t *id)
{
	struct proto_req	req;
	size_t			off;
	int			rc = QUERY_ANSWERED;

	proto_req_decode(p, len, limits(q), &req);
	*id = req.id;
	if (req.err == 0 && req.op == OP_SUBSCRIBE && q->defer) {
		proto_req_free(&req);
		return QUERY_SUBSCRIBE;
	}
	if (req.err == 0 && q->offload && costly(&req)) {
		proto_req_free(&req);
		return QUERY_WORKER;
	}
	if (req.err == 0 && req.op == OP_REFRESH) {
		if (q->defer)
			rc = QUERY_REFRESH;
		else
			refresh_here(q, req.id, out);
		proto_req_free(&req);
		return rc;
	}
	off = proto_frame_begin(out);
	answer(q, &req, out);
	if (out->len - off - 4 > limits(q)->response) {
		out->len = off + 4;
		proto_enc_error(out, req.id, PROTO_E_INTERNAL,
		    "response over the size limit; ask for less");
	}
	proto_frame_end(out, off);
	proto_req_free(&req);
	return rc;
}

void
query_refuse(struct query *q, const uint8_t *p, size_t len, int code,
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
