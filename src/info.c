/*
 * info.c - the info and list ops: pacman -Si/-Qi's fields, and pacman
 * -Q's filters over the installed packages.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "info.h"
#include "proto.h"
#include "snap.h"
#include "suggest.h"


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
	struct strv	 c = { 0 };
	struct buf	 msg = { 0 };
	size_t		 i, shown = 0;

	buf_printf(&msg, "package '%.200s' was not found", req->package);
	if (*name != '\0' && suggest_names(q, name, 10, 1, &c) == 0) {
		for (i = 0; i < c.n && shown < 3; i++) {
			if (strcmp(c.v[i], name) == 0)
				continue;
			if (local && cache_pkg(q->cache, "local", c.v[i], 0,
			    &p) != 1)
				continue;
			if (local)
				cache_pkg_free(&p);
			buf_printf(&msg, "%s%s", shown == 0 ?
			    "; did you mean " : ", ", c.v[i]);
			shown++;
		}
	}
	strv_free(&c);
	if (shown > 0)
		buf_addstr(&msg, "?");
	proto_enc_error(out, req->id, PROTO_E_NOTFOUND, buf_cstr(&msg));
	buf_free(&msg);
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

	proto_enc_kv_str(out, "name", p->name);
	proto_enc_kv_str(out, "version", p->version);
	proto_enc_kv_str(out, "description", p->desc);
	proto_enc_kv_str(out, "url", p->url);
	proto_enc_kv_str(out, "arch", p->arch);
	proto_enc_kv_int(out, "size", p->isize);
	proto_enc_kv_int(out, "download_size", p->csize);
	proto_enc_kv_str(out, "repo", p->repo);
	proto_enc_kv_str(out, "source", p->repo);
	proto_enc_kv_lines(out, "licenses", p->licenses);
	proto_enc_kv_lines(out, "groups", p->groups);
	proto_enc_kv_lines(out, "provides", p->provides);
	proto_enc_kv_lines(out, "depends", p->depends);
	proto_enc_kv_lines(out, "optdepends", p->optdepends);
	proto_enc_str(out, "optdepends_installed");
	s = p->local && p->optdeps_installed ? p->optdeps_installed : "";
	proto_enc_array(out, strlen(s));
	for (; *s != '\0'; s++)
		proto_enc_bool(out, *s == '1');
	proto_enc_kv_lines(out, "conflicts", p->conflicts);
	proto_enc_kv_lines(out, "replaces", p->replaces);
	proto_enc_kv_str(out, "packager", p->packager);
	proto_enc_kv_int(out, "build_date", p->builddate);
	proto_enc_kv_lines(out, "validated_by", p->validation);
	/* What the local db adds; null when not installed. */
	proto_enc_kv_str(out, "installed", l ? l->version : NULL);
	proto_enc_str(out, "install_date");
	if (l)
		proto_enc_int(out, l->installdate);
	else
		proto_enc_null(out);
	proto_enc_kv_str(out, "reason", !l ? NULL :
	    l->reason == 0 ? "explicit" : "dependency");
	proto_enc_str(out, "install_script");
	if (l)
		proto_enc_bool(out, l->scriptlet);
	else
		proto_enc_null(out);
	proto_enc_kv_lines(out, "required_by", l ? l->required_by : "");
	proto_enc_kv_lines(out, "optional_for", l ? l->optional_for : "");
	proto_enc_kv_str(out, "update", l ? l->new_version : NULL);
	proto_enc_str(out, "ignored");
	proto_enc_bool(out, l && l->ignored);
}

char *
info_key(const struct proto_req *req)
{
	return xasprintf("info %s", req->package);
}

#define INFO_REPOS_MAX	64	/* sync repos one answer lists */

/*
 * pacman -Si NAME: the package of every sync repo that has it, in
 * pacman.conf order (the first as the result, the rest in "others");
 * repo/NAME: that repo's; local/NAME, or a NAME only installed: pacman
 * -Qi's.
 */
size_t
info_answer(struct query *q, const struct proto_req *req, struct buf *out)
{
	struct cache_pkg	 sync[INFO_REPOS_MAX], local;
	char			*repo = NULL, *name, *slash, msg[300];
	size_t			 at = 0, i, ns = 0;
	int			 hl = 0, rc = 0, want_local;

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
		snap_unreadable(q, req->id, out);
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
done:
	free(repo);
	for (i = 0; i < ns; i++)
		cache_pkg_free(&sync[i]);
	cache_pkg_free(&local);
	return at;
}

/* List: pacman -Q with its filters */

/* pacman's filter() (src/pacman/query.c), on what the cache holds. */
static int
list_wants(const struct proto_list *f, const struct snap_installed *p)
{
	return !((f->explicit && p->reason != 0) ||
	    (f->deps && p->reason != 1) ||
	    (f->foreign && !p->foreign) || (f->native && p->foreign) ||
	    (f->unrequired && (p->required ||
	    (f->unrequired == 1 && p->optional))) ||
	    (f->upgrades && !p->update));
}

/* The packages f wants of sn's, and their entries' bytes. */
static size_t
list_count(const struct query_snap *sn, const struct proto_list *f,
    size_t *bytes)
{
	size_t	i, n = 0;

	*bytes = 0;
	for (i = 0; i < sn->ninst; i++)
		if (list_wants(f, &sn->inst[i])) {
			n++;
			*bytes += sn->inst[i].len;
		}
	return n;
}

size_t
info_list_bytes(const struct query_snap *sn, const struct proto_req *req)
{
	size_t	bytes;

	(void)list_count(sn, &req->list, &bytes);
	return bytes;
}

void
info_list(const struct query_snap *sn, const struct proto_req *req,
    struct buf *out)
{
	const struct proto_list		*f = &req->list;
	const struct snap_installed	*p;
	size_t				 i, n, bytes;

	/* Counted first: the answer (at 100,000 packages up to 0.5 MB) is
	   written once into room reserved once, each entry copied from
	   the generation's CBOR of it. */
	n = list_count(sn, f, &bytes);
	proto_enc_result(out, req->id);
	buf_reserve(out, bytes + 64);
	proto_enc_map(out, 2);
	proto_enc_str(out, "packages");
	proto_enc_array(out, n);
	for (i = 0; i < sn->ninst; i++) {
		p = &sn->inst[i];
		if (list_wants(f, p))
			buf_add(out, sn->inst_cbor.data + p->off, p->len);
	}
	proto_enc_str(out, "total");
	proto_enc_uint(out, n);
}
