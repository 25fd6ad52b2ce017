/*
 * search.c - the search op: pacman -Ss's rules (lib/libalpm/db.c
 * _alpm_db_search) over the search image, in the client's locale, with
 * a trigram index and literal shortcuts.
 */

#include <ctype.h>
#include <locale.h>
#include <regex.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "search.h"
#include "snap.h"

#define SEARCH_LIMIT		50

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
	char	*lead;		/* lower-case text every match starts a line
				   with ("^text..."), or NULL */
	size_t	 leadlen;
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
	struct match	*m;		/* the matches that may be shown */
	size_t		 n, cap;
	size_t		 total;		/* every match */
	size_t		 keep;		/* offset + limit: what may be shown */
	int		 relevance;	/* sorted by rank after the scan */
	size_t		 kept[RANK_OTHER + 1];	/* m's matches of each rank */
};


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
search_required_run(const char *re)
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
	return str_lower_ndup(best, bestlen);
}

/*
 * The plain characters a regex anchored at its start ("^text...") must
 * match first, in lower case; NULL when it does not start so, holds an
 * alternation, or the text would be empty.  As for the required run, a
 * character that may be absent ends the text before it, and "x+" ends
 * it after x.
 */
static char *
anchored_run(const char *re)
{
	const char	*p;

	if (re[0] != '^' || strchr(re, '|') != NULL)
		return NULL;
	for (p = re + 1; isalnum((unsigned char)*p) || *p == '-' ||
	    *p == '_'; p++) {
		if (p[1] == '*' || p[1] == '?' || p[1] == '{')
			break;
		if (p[1] == '+') {
			p++;
			break;
		}
	}
	if (p == re + 1)
		return NULL;
	return str_lower_ndup(re + 1, (size_t)(p - re - 1));
}

/*
 * Can a regex term match the lower-case field f (which ends, with its
 * NUL, where next begins)?  Not without its required run, nor, when it
 * is anchored, unless a line of f starts with its lead (REG_NEWLINE: a
 * '^' matches after each '\n'): regexec only runs where both are.
 */
static int
holds(const struct term *t, const char *f, const char *next, int exact,
    int lead)
{
	size_t		 len = (size_t)(next - f) - 1;
	const char	*nl;

	if (!exact)
		return 1;
	if (lead && t->lead != NULL && strncmp(f, t->lead, t->leadlen) != 0) {
		for (nl = memchr(f, '\n', len); nl != NULL;
		    nl = memchr(nl + 1, '\n', len - (size_t)(nl + 1 - f)))
			if (strncmp(nl + 1, t->lead, t->leadlen) == 0)
				break;
		if (nl == NULL)
			return 0;
	}
	return t->need == NULL || find(f, len, t->need, t->needlen) != NULL;
}

/*
 * Whether the term hits the name the way pacman decides it (regex, or the
 * term as plain case-sensitive text), then how well: RANK_OTHER for a miss.
 */
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
	} else if (!holds(t, r->lname, r->ldesc, exact, 1) &&
	    (t->lead == NULL || strchr(r->name, '^') == NULL ||
	    !holds(t, r->lname, r->ldesc, exact, 0)))
		/* Neither the regex nor the plain text can match (the
		   text holds the '^' of a term with a lead). */
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
		    holds(t, r->ldesc, r->lprov, exact, 1) &&
		    regexec(&t->re, r->desc, 0, NULL, 0) == 0) ||
		    (holds(t, r->lprov, r->lgroups, exact, 1) &&
		    match_list(&t->re, r->provnames)) ||
		    (holds(t, r->lgroups, r->lname + r->lowerlen, exact, 1) &&
		    match_list(&t->re, r->groups)))
			continue;
		return;
	}
	/* Only the first offset + limit can be shown: in scan order, or, by
	   relevance, of each rank.  The rest are counted. */
	s->total++;
	if (s->relevance ? s->kept[rank] >= s->keep : s->n >= s->keep)
		return;
	s->kept[rank]++;
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

int
search_prepare(struct query *q)
{
	struct query_snap	*sn;
	size_t			 n;

	if ((sn = snap_rows(q)) == NULL)
		return -1;
	(void)nonascii_rows(sn, &n);
	return 0;
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

/* C or POSIX (or none named): where the ASCII shortcuts are exact. */
static int
c_locale(const char *name)
{
	return name == NULL || strcmp(name, "C") == 0 ||
	    strcmp(name, "POSIX") == 0;
}

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
search_locale(struct query *q, const char *name, int *clocale)
{
	struct query_locale	*ql;
	locale_t		 loc;
	size_t			 i;

	if (name == NULL)
		name = "C";
	*clocale = c_locale(name);
	if (q->locales == NULL)
		q->locales = xcalloc(LOCALES_MAX, sizeof(*q->locales));
	for (i = 0; i < q->nlocales; i++)
		if (strcmp(q->locales[i].name, name) == 0)
			return q->locales[i].loc;
	loc = newlocale(LC_CTYPE_MASK | LC_COLLATE_MASK, name, (locale_t)0);
	if (loc == (locale_t)0) {
		*clocale = 1;
		return search_locale(q, "C", clocale);
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

char *
search_key(const struct proto_req *req)
{
	struct buf	 kb = { 0 };
	char		*key;
	size_t		 j;

	buf_printf(&kb, "%d %zu %llu %s", (int)req->sort,
	    req->limit ? req->limit : SEARCH_LIMIT,
	    (unsigned long long)req->offset,
	    req->locale != NULL ? req->locale : "C");
	for (j = 0; j < req->nterms; j++)
		buf_printf(&kb, " %zu:%s", strlen(req->terms[j]),
		    req->terms[j]);
	key = xstrdup(buf_cstr(&kb));
	buf_free(&kb);
	return key;
}

int
search_heavy(const struct query *q, const struct proto_req *req)
{
	struct query_snap	*sn = q->snap;
	const char		**need;
	char			*key;
	size_t			 j, nneed = 0, rows;
	int			 heavy;

	/* Only over a generation read beforehand. */
	if (sn == NULL || !sn->have_rows || sn->tri == NULL ||
	    search_costly(req))
		return 0;
	/* Literal ASCII terms (else costly): the index's lists bound the
	   rows each narrows to; shorter terms narrow nothing. */
	need = xcalloc(req->nterms + 1, sizeof(*need));
	for (j = 0; j < req->nterms; j++)
		if (strlen(req->terms[j]) >= TRIGRAM_MIN)
			need[nneed++] = str_lower_dup(req->terms[j]);
	rows = nneed > 0 ? trigram_bound(sn->tri, need, nneed) : sn->n;
	for (j = 0; j < nneed; j++)
		free((char *)need[j]);
	free(need);
	if (!c_locale(req->locale))
		rows += sn->nnonascii;
	if (rows <= q->loop_rows)
		return 0;
	/* An answer kept is sent from the loop (the key is built again
	   there, for the few searches over the bound). */
	key = search_key(req);
	heavy = !snap_result_has(q, key);
	free(key);
	return heavy;
}

size_t
search_answer(struct query *q, const struct proto_req *req, struct buf *out)
{
	struct query_snap	*sn;
	struct search		 s;
	const char		**need;
	locale_t		 oldloc;
	char			*w, msg[300];
	uint32_t		*cand;
	size_t			 i, j, limit, shown, at, start = 0, nneed = 0;
	size_t			 ncand;
	int			 rc;

	limit = req->limit ? req->limit : SEARCH_LIMIT;
	memset(&s, 0, sizeof(s));
	s.conf = q->conf;
	s.relevance = req->sort == SORT_RELEVANCE;
	s.keep = req->offset < SIZE_MAX - limit ? (size_t)req->offset + limit :
	    SIZE_MAX;
	/* pacman compiles and matches in the user's locale: so do we, in
	   the one the client named (C when it named none). */
	oldloc = uselocale(search_locale(q, req->locale, &s.clocale));
	s.terms = xcalloc(req->nterms + 1, sizeof(*s.terms));
	for (j = 0; j < req->nterms; j++) {
		w = req->terms[j];
		s.terms[s.nterms].text = w;
		/* A literal is a valid regex; any other term must compile
		   (pacman refuses what regcomp refuses).  Past the C locale
		   a literal is ASCII, and is compiled too, for the rows
		   whose text is not. */
		if (is_literal(w) && (s.clocale || ascii(w))) {
			s.terms[s.nterms].lower = str_lower_dup(w);
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
			s.terms[s.nterms].need = search_required_run(w);
		if (s.terms[s.nterms].need != NULL)
			s.terms[s.nterms].needlen =
			    strlen(s.terms[s.nterms].need);
		if ((s.terms[s.nterms].lead = anchored_run(w)) != NULL)
			s.terms[s.nterms].leadlen =
			    strlen(s.terms[s.nterms].lead);
		s.nterms++;
	}
	if ((sn = snap_rows(q)) == NULL) {
		snap_unreadable(q, req->id, out);
		goto done;
	}
	/* Only the rows that hold what every term needs, when that is known;
	   in scan order either way. */
	need = xcalloc(s.nterms + 1, sizeof(*need));
	for (i = 0; i < s.nterms; i++)
		if (s.terms[i].need != NULL)
			need[nneed++] = s.terms[i].need;
	/* Without an index (an embedded search over the cache: one query is
	   cheaper scanned than an index read), every row. */
	if (nneed > 0 && sn->tri != NULL) {
		if ((cand = trigram_find(sn->tri, need, nneed, &ncand)) ==
		    NULL) {
			sn->damaged = 1;	/* a mapped index's lists */
			ncand = 0;
		}
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
			if (i + 16 < ncand && sn->v != NULL)
				__builtin_prefetch(&sn->v[cand[i + 16]]);
			if (i + 8 < ncand && sn->v != NULL)
				__builtin_prefetch(sn->v[cand[i + 8]].lname);
			search_row(&s, snap_row(sn, cand[i]), cand[i]);
		}
		free(cand);
	} else
		for (i = 0; i < sn->n; i++)
			search_row(&s, snap_row(sn, i), i);
	free(need);
	if (sn->damaged) {
		snap_unreadable(q, req->id, out);
		goto done;
	}
	if (s.relevance && s.n > 1)
		rank_sort(&s);
	/* The kept matches, sorted, begin as all of them would. */
	at = req->offset < s.total ? (size_t)req->offset : s.total;
	shown = s.total - at < limit ? s.total - at : limit;
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
		proto_enc_lines(out, r->groups);
		if (r->installed != NULL) {
			proto_enc_str(out, "installed");
			proto_enc_str(out, r->installed);
		}
	}
	proto_enc_str(out, "total");
	proto_enc_uint(out, s.total);
done:
	uselocale(oldloc);
	for (i = 0; i < s.nterms; i++) {
		if (s.terms[i].compiled)
			regfree(&s.terms[i].re);
		free(s.terms[i].lower);
		free(s.terms[i].need);
		free(s.terms[i].lead);
	}
	free(s.m);
	free(s.terms);
	return start;
}

int
search_costly(const struct proto_req *req)
{
	size_t	i;

	for (i = 0; i < req->nterms; i++)
		if (!is_literal(req->terms[i]) || !ascii(req->terms[i]))
			return 1;
	return 0;
}

void
search_done(struct query *q)
{
	size_t	i;

	for (i = 0; i < q->nlocales; i++) {
		freelocale(q->locales[i].loc);
		free(q->locales[i].name);
	}
	free(q->locales);
	q->locales = NULL;
	q->nlocales = 0;
}
