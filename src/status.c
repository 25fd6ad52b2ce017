/*
 * status.c - the status and audit ops: counts, runtimes, the cache's
 * state, and the installed packages the advisories say are affected (the
 * rebuild reads the advisories and works that out: rebuild.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "proto.h"
#include "snap.h"
#include "stamp.h"
#include "status.h"


/*
 * The advisories' state: as the rebuild read them, or "reading" when the
 * file changed since (the daemon is told, and a rebuilder reads it; the
 * answer is the last good data meanwhile).
 */
static const char *
adv_state(struct query *q, const struct cache_info *ci)
{
	char	*now;
	int	 changed;

	if (q->changed == NULL)
		return ci->adv_state;	/* embedded: read just before */
	now = stamp_path(q->advisories_path);
	changed = ci->adv_stamp == NULL || strcmp(now, ci->adv_stamp) != 0;
	free(now);
	if (!changed)
		return ci->adv_state;
	q->changed(q->hook_arg);
	return "reading";
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
enc_advisories(struct buf *out, struct query *q, const struct cache_info *ci)
{
	proto_enc_str(out, "advisories");
	proto_enc_map(out, 5);
	proto_enc_kv_str(out, "state", adv_state(q, ci));
	proto_enc_kv_int(out, "entries", (int64_t)ci->adv_entries);
	proto_enc_str(out, "loaded_at");
	if (ci->adv_loaded_at != 0)
		proto_enc_int(out, ci->adv_loaded_at);
	else
		proto_enc_null(out);
	proto_enc_kv_str(out, "path", q->advisories_path);
	proto_enc_kv_str(out, "error", ci->adv_error);
}

static struct query_snap	*snap_status(struct query *);

struct rows {
	struct buf	b;
	size_t		n;
};

static int
audit_add(void *arg, const struct cache_audit *a)
{
	struct rows	*r = arg;
	struct buf	*b = &r->b;

	r->n++;
	proto_enc_map(b, 7);
	proto_enc_kv_str(b, "name", a->name);
	proto_enc_kv_str(b, "installed", a->installed);
	proto_enc_kv_str(b, "severity", a->severity);
	proto_enc_kv_str(b, "fixed", a->fixed);
	proto_enc_str(b, "avgs");
	enc_strv(b, &a->avgs);
	proto_enc_str(b, "cves");
	enc_strv(b, &a->cves);
	proto_enc_kv_str(b, "type", a->type);
	return 0;
}

void
status_audit(struct query *q, const struct proto_req *req, struct buf *out)
{
	struct query_snap	*sn;
	struct rows		 rows = { { 0 }, 0 };

	/* The affected packages, as the rebuild worked them out. */
	if ((sn = snap_status(q)) == NULL ||
	    cache_audit(q->cache, audit_add, &rows) == -1) {
		buf_free(&rows.b);
		snap_unreadable(q, req->id, out);
		return;
	}
	proto_enc_result(out, req->id);
	proto_enc_map(out, 2);
	proto_enc_str(out, "packages");
	proto_enc_array(out, rows.n);
	buf_add(out, rows.b.data, rows.b.len);
	enc_advisories(out, q, &sn->info);
	buf_free(&rows.b);
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

int
status_prepare(struct query *q)
{
	return snap_status(q) == NULL ? -1 : 0;
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
	char			*stamp;
	size_t			 i;

	if ((sn = snap_status(q)) == NULL) {
		snap_unreadable(q, req->id, out);
		return;
	}
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
	proto_enc_kv_int(out, "security_vulnerabilities", (int64_t)n->vulnerable);
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
	enc_advisories(out, q, ci);
	proto_enc_str(out, "server");
	proto_enc_map(out, 4);
	proto_enc_kv_str(out, "mode", q->mode);
	proto_enc_kv_str(out, "version", OMG_VERSION);
	proto_enc_kv_int(out, "protocol", PROTO_VERSION);
	proto_enc_kv_int(out, "loop_stall_max_us", (int64_t)q->stall_max_us);
}
