/*
 * audit.c - arch-audit's rules, over advisories parsed elsewhere.
 */
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "vercmp.h"

struct audit_ref {
	const char	*pkg;
	size_t		 avg;
};

static void
strv_copy(struct strv *dst, const struct strv *src)
{
	size_t	i;

	for (i = 0; src != NULL && i < src->n; i++)
		strv_add(dst, src->v[i]);
}

void
audit_db_add(struct audit_db *db, const char *name, const char *status,
    const char *severity, const char *type, const char *fixed,
    const struct strv *packages, const struct strv *issues)
{
	struct audit_avg	*a;

	if (db->n == db->cap) {
		db->cap = db->cap ? db->cap * 2 : 256;
		db->v = xreallocarray(db->v, db->cap, sizeof(*db->v));
	}
	a = &db->v[db->n++];
	memset(a, 0, sizeof(*a));
	a->name = xstrdup(name);
	a->status = xstrdup(status);
	a->severity = xstrdup(severity);
	a->type = xstrdup(type);
	a->fixed = fixed != NULL ? xstrdup(fixed) : NULL;
	strv_copy(&a->packages, packages);
	strv_copy(&a->issues, issues);
}

static int
ref_cmp(const void *a, const void *b)
{
	const struct audit_ref	*x = a, *y = b;
	int			 c = strcmp(x->pkg, y->pkg);

	if (c != 0)
		return c;
	return x->avg < y->avg ? -1 : x->avg > y->avg;
}

void
audit_db_index(struct audit_db *db)
{
	size_t	i, j, n = 0;

	for (i = 0; i < db->n; i++)
		n += db->v[i].packages.n;
	free(db->idx);
	db->idx = xcalloc(n, sizeof(*db->idx));
	db->nidx = 0;
	for (i = 0; i < db->n; i++)
		for (j = 0; j < db->v[i].packages.n; j++) {
			db->idx[db->nidx].pkg = db->v[i].packages.v[j];
			db->idx[db->nidx++].avg = i;
		}
	if (db->nidx > 1)
		qsort(db->idx, db->nidx, sizeof(*db->idx), ref_cmp);
}

void
audit_db_free(struct audit_db *db)
{
	size_t	i;

	for (i = 0; i < db->n; i++) {
		free(db->v[i].name);
		free(db->v[i].status);
		free(db->v[i].severity);
		free(db->v[i].type);
		free(db->v[i].fixed);
		strv_free(&db->v[i].packages);
		strv_free(&db->v[i].issues);
	}
	free(db->v);
	free(db->idx);
	memset(db, 0, sizeof(*db));
}

int
audit_rank(const char *severity)
{
	static const char	*order[] = { "Low", "Medium", "High",
				    "Critical" };
	size_t			 i;

	for (i = 0; i < NELEM(order); i++)
		if (strcmp(severity, order[i]) == 0)
			return (int)i + 1;
	return 0;
}

static int
has(const struct strv *sv, const char *s)
{
	size_t	i;

	for (i = 0; i < sv->n; i++)
		if (strcmp(sv->v[i], s) == 0)
			return 1;
	return 0;
}

int
audit_check(const struct audit_db *db, const char *name, const char *version,
    struct audit_hit *hit)
{
	const struct audit_avg	*a;
	size_t			 lo = 0, hi = db->nidx, mid, i, k;
	int			 affected = 0, nofix = 0;

	memset(hit, 0, sizeof(*hit));
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (strcmp(db->idx[mid].pkg, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (i = lo; i < db->nidx && strcmp(db->idx[i].pkg, name) == 0; i++) {
		a = &db->v[db->idx[i].avg];
		if (strcmp(a->status, "Not affected") == 0)
			continue;
		if (a->fixed != NULL && vercmp(version, a->fixed) >= 0)
			continue;
		if (!affected) {
			hit->name = xstrdup(name);
			hit->installed = xstrdup(version);
			hit->severity = a->severity;
			hit->rank = audit_rank(a->severity);
			hit->type = a->type;
		} else if (audit_rank(a->severity) > hit->rank) {
			hit->severity = a->severity;
			hit->rank = audit_rank(a->severity);
			hit->type = a->type;
		}
		affected = 1;
		if (a->fixed == NULL)
			nofix = 1;
		else if (hit->fixed == NULL || vercmp(a->fixed, hit->fixed) > 0) {
			free(hit->fixed);
			hit->fixed = xstrdup(a->fixed);
		}
		if (!has(&hit->avgs, a->name))
			strv_add(&hit->avgs, a->name);
		for (k = 0; k < a->issues.n; k++)
			if (!has(&hit->cves, a->issues.v[k]))
				strv_add(&hit->cves, a->issues.v[k]);
	}
	if (affected && nofix) {
		free(hit->fixed);
		hit->fixed = NULL;
	}
	return affected;
}

void
audit_hit_free(struct audit_hit *hit)
{
	free(hit->name);
	free(hit->installed);
	free(hit->fixed);
	strv_free(&hit->avgs);
	strv_free(&hit->cves);
	memset(hit, 0, sizeof(*hit));
}
