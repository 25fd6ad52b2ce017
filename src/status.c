/*
 * status.c - the status and audit ops: counts, runtimes, the cache's
 * state, and the advisories read (the last good ones kept) and matched
 * against the installed packages as arch-audit does.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "config.h"
#include "proto.h"
#include "snap.h"
#include "stamp.h"
#include "status.h"


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
	proto_enc_kv_str(out, "state", a->state);
	proto_enc_kv_int(out, "entries", (int64_t)a->db.n);
	proto_enc_str(out, "loaded_at");
	if (a->loaded_at != 0)
		proto_enc_int(out, a->loaded_at);
	else
		proto_enc_null(out);
	proto_enc_kv_str(out, "path", q->advisories_path);
	proto_enc_kv_str(out, "error", a->error);
}

void
status_audit(struct query *q, const struct proto_req *req, struct buf *out)
{
	struct query_adv	*a;
	struct audit_hit	*h;
	size_t			 i, n;

	if (audit_hits(q, &a, &h, &n) == -1) {
		snap_unreadable(q, req->id, out);
		return;
	}
	proto_enc_result(out, req->id);
	proto_enc_map(out, 2);
	proto_enc_str(out, "packages");
	proto_enc_array(out, n);
	for (i = 0; i < n; i++) {
		proto_enc_map(out, 7);
		proto_enc_kv_str(out, "name", h[i].name);
		proto_enc_kv_str(out, "installed", h[i].installed);
		proto_enc_kv_str(out, "severity", h[i].severity);
		proto_enc_kv_str(out, "fixed", h[i].fixed);
		proto_enc_str(out, "avgs");
		enc_strv(out, &h[i].avgs);
		proto_enc_str(out, "cves");
		enc_strv(out, &h[i].cves);
		proto_enc_kv_str(out, "type", h[i].type);
	}
	enc_advisories(out, q, a);
	hits_free(h, n);
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
const char *
status_state_of(const struct query *q, const struct cache_info *ci)
{
	const char	*s = q->state != NULL ? q->state : "fresh";

	if (strcmp(s, "fresh") == 0 && ci != NULL && ci->problems.n > 0)
		return "partial";
	return s;
}

const char *
status_state(const struct query *q)
{
	struct cache_info	 ci;
	const char		*s;

	if (cache_info(q->cache, &ci) == -1)
		return status_state_of(q, NULL);
	s = status_state_of(q, &ci);
	cache_info_free(&ci);
	return s;
}

void
status_answer(struct query *q, const struct proto_req *req, struct buf *out)
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
		snap_unreadable(q, req->id, out);
		return;
	}
	hits_free(hits, nhits);
	n = &sn->counts;
	ci = &sn->info;
	rt = &sn->runtimes;
	if (q->state != NULL)
		state = status_state_of(q, ci);
	else if (q->conf != NULL) {
		stamp = stamp_dbs(q->conf);
		state = ci->stamp == NULL || strcmp(stamp, ci->stamp) != 0 ?
		    "stale" : status_state_of(q, ci);
		free(stamp);
	}
	proto_enc_result(out, req->id);
	proto_enc_map(out, 9);
	proto_enc_kv_int(out, "total_packages", (int64_t)n->total);
	proto_enc_kv_int(out, "explicit_packages", (int64_t)n->explicit);
	proto_enc_kv_int(out, "orphan_packages", (int64_t)n->orphans);
	proto_enc_kv_int(out, "updates_available", (int64_t)n->updates);
	proto_enc_kv_int(out, "security_vulnerabilities", (int64_t)nhits);
	proto_enc_str(out, "runtime_versions");
	proto_enc_array(out, rt->n / 2);
	for (i = 0; i + 1 < rt->n; i += 2) {
		proto_enc_array(out, 2);
		proto_enc_str(out, rt->v[i]);
		proto_enc_str(out, rt->v[i + 1]);
	}
	proto_enc_str(out, "cache");
	proto_enc_map(out, 7);
	proto_enc_kv_str(out, "state", state);
	proto_enc_str(out, "problems");
	proto_enc_problems(out, &ci->problems);
	proto_enc_kv_int(out, "generation", (int64_t)ci->generation);
	proto_enc_kv_int(out, "packages", (int64_t)ci->packages);
	proto_enc_kv_int(out, "built_at", ci->built_at);
	proto_enc_kv_int(out, "build_ms", (int64_t)ci->build_ms);
	proto_enc_kv_str(out, "path", q->cache_path);
	enc_advisories(out, q, adv);
	proto_enc_str(out, "server");
	proto_enc_map(out, 4);
	proto_enc_kv_str(out, "mode", q->mode);
	proto_enc_kv_str(out, "version", OMG_VERSION);
	proto_enc_kv_int(out, "protocol", PROTO_VERSION);
	proto_enc_kv_int(out, "loop_stall_max_us", (int64_t)q->stall_max_us);
}

void
status_done(struct query *q)
{
	if (q->adv != NULL) {
		audit_db_free(&q->adv->db);
		free(q->adv->error);
		free(q->adv);
		q->adv = NULL;
	}
}
