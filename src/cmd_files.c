/*
 * cmd_files.c - omg owns (pacman -Qo) and omg files (pacman -F, -Fx,
 * -Fl): the client's half.  What pacman asks the file system (lstat,
 * realpath, $PATH) is asked here, where the user's paths are; the
 * daemon (or the cache, embedded) says who owns what.
 */
#include <sys/stat.h>

#include <err.h>
#include <getopt.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "answer.h"
#include "cli.h"
#include "client.h"
#include "proto.h"

/* owns */

/* pacman's mbasename and mdirname (src/common/util-common.c). */
static const char *
base_of(const char *p)
{
	const char	*s = strrchr(p, '/');

	return s != NULL ? s + 1 : p;
}

static char *
dir_of(const char *p)
{
	char	*d, *s;

	if (*p == '\0' || (s = strrchr(p, '/')) == NULL)
		return xstrdup(".");
	d = xstrdup(p);
	s = d + (s - p);
	if (s == d)
		s++;
	*s = '\0';
	return d;
}

/* pacman's lrealpath: the directory resolved, the last part kept. */
static char *
lrealpath(const char *p)
{
	const char	*b = base_of(p);
	char		*d, *r, *out;

	if (strcmp(b, ".") == 0 || strcmp(b, "..") == 0)
		return realpath(p, NULL);
	d = dir_of(p);
	r = realpath(d, NULL);
	free(d);
	if (r == NULL)
		return NULL;
	out = xasprintf("%s%s%s", r, r[strlen(r) - 1] == '/' ? "" : "/", b);
	free(r);
	return out;
}

/* pacman's search_path: name in $PATH, lstat'ed; NULL if nowhere. */
static char *
search_path(const char *name, struct stat *st)
{
	const char	*path = getenv("PATH"), *e;
	char		*full;
	size_t		 n;

	for (; path != NULL; path = *e ? e + 1 : NULL) {
		e = path + strcspn(path, ":");
		n = (size_t)(e - path);
		while (n > 0 && path[n - 1] == '/')
			n--;
		full = xasprintf("%.*s/%s", (int)n, path, name);
		if (lstat(full, st) == 0)
			return full;
		free(full);
	}
	return NULL;
}

struct target {
	char	*name;		/* as pacman names it in "No package owns" */
	char	*path;		/* resolved, '/' ended for a directory; NULL:
				   error said already */
};

/*
 * pacman -Qo's resolution (src/pacman/query.c query_fileowner): the path
 * the lists are asked about, or NULL after saying why not.
 */
static void
resolve(const char *arg, struct target *t)
{
	struct stat	 st;
	char		*f, *r;
	size_t		 n;
	int		 is_dir = 0, missing = 0;

	memset(t, 0, sizeof(*t));
	if (*arg == '\0') {
		fprintf(stderr, "%sempty string passed to file owner query\n",
		    PAL->err);
		return;
	}
	f = xstrdup(arg);
	/* A trailing '/' would make lstat follow a symlink. */
	for (n = strlen(f) - 1; n > 0 && f[n] == '/'; n--) {
		f[n] = '\0';
		is_dir = 1;
	}
	if (lstat(f, &st) == -1) {
		missing = 1;
		if (strchr(f, '/') == NULL &&
		    (r = search_path(f, &st)) != NULL) {
			free(f);
			f = r;
			missing = 0;
		}
	}
	if ((r = lrealpath(f)) == NULL)
		r = xstrdup(f);
	if ((missing && is_dir) || (!missing && S_ISDIR(st.st_mode))) {
		t->path = xasprintf("%s/", r);
		free(r);
	} else
		t->path = r;
	t->name = f;
}

static void
enc_owns(struct buf *req, const struct target *t, size_t n)
{
	size_t	i, k = 0;

	for (i = 0; i < n; i++)
		k += t[i].path != NULL;
	buf_reset(req);
	proto_enc_map(req, 3);
	proto_enc_str(req, "id");
	proto_enc_uint(req, 1);
	proto_enc_str(req, "op");
	proto_enc_str(req, "owns");
	proto_enc_str(req, "paths");
	proto_enc_array(req, k);
	for (i = 0; i < n; i++)
		if (t[i].path != NULL)
			proto_enc_path(req, t[i].path, strlen(t[i].path));
}

static void
json_target(struct buf *js, const struct target *t, const char *arg,
    const struct pv_doc *doc, const struct pv *owners)
{
	buf_addstr(js, "{\"target\":");
	answer_json_str(js, arg, strlen(arg));
	buf_addstr(js, ",\"path\":");
	if (t->path != NULL)
		answer_json_str(js, t->path, strlen(t->path));
	else
		buf_addstr(js, "null");
	buf_addstr(js, ",\"owners\":");
	if (owners != NULL)
		answer_json_value(js, doc, (uint32_t)(owners - doc->v));
	else
		buf_addstr(js, "[]");
	buf_addstr(js, "}");
}

/* Print the owners of t (a node of the answer's "owners"): 1 if none. */
static int
print_owners(const struct target *t, const struct pv_doc *doc,
    const struct pv *owners, int quiet)
{
	uint32_t	 k;
	size_t		 i;
	char		*name, *ver;

	if (owners == NULL || owners->type != PV_ARRAY || owners->n == 0) {
		fflush(stdout);
		fprintf(stderr, "%sNo package owns %s\n", PAL->err, t->name);
		return 1;
	}
	k = (uint32_t)(owners - doc->v) + 1;
	for (i = 0; i < owners->n; i++, k = doc->v[k].next) {
		name = answer_field(doc, k, "name");
		ver = answer_field(doc, k, "version");
		if (quiet)
			printf("%s\n", name ? name : "");
		else
			printf("%s is owned by %s%s %s%s%s\n", t->path,
			    PAL->title, name ? name : "", PAL->version,
			    ver ? ver : "", PAL->off);
		free(name);
		free(ver);
	}
	return 0;
}

int
cmd_owns(struct client_opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "quiet", no_argument, NULL, 'q' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	struct target	*t;
	struct answer	 a;
	struct buf	 req = { 0 }, js = { 0 };
	const struct pv	*owners = NULL, *v;
	uint32_t	 k = 0;
	size_t		 i, j, n, chunk;
	int		 ch, quiet = 0, json = 0, failed = 0, rc;

	while ((ch = getopt_long(argc, argv, "q", longopts, NULL)) != -1) {
		if (ch == 'q')
			quiet = 1;
		else if (ch == 'j')
			json = 1;
		else
			return answer_usage("unknown owns option '%s'",
			    argv[optind - 1]);
	}
	argv += optind;
	n = (size_t)(argc - optind);
	if (n == 0) {
		fprintf(stderr, "%sno targets specified (use -h for help)\n",
		    PAL->err);
		return 1;
	}
	t = xcalloc(n, sizeof(*t));
	if (json)
		buf_addstr(&js, "[");
	/* In requests of at most PROTO_TERMS_MAX paths, in order. */
	for (i = 0; i < n; i += chunk) {
		chunk = n - i < PROTO_TERMS_MAX ? n - i : PROTO_TERMS_MAX;
		for (j = i; j < i + chunk; j++)
			resolve(argv[j], &t[j]);
		enc_owns(&req, t + i, chunk);
		memset(&a, 0, sizeof(a));
		for (j = i; j < i + chunk && t[j].path == NULL; j++)
			;
		if (j < i + chunk) {
			if ((rc = answer_ask(o, &req, &a)) != 0)
				goto fail;
			owners = pv_get(&a.doc, a.result, "owners");
			if (owners == NULL || owners->type != PV_ARRAY) {
				warnx("protocol error: no owners in the answer");
				rc = EXIT_NOANSWER;
				goto fail;
			}
			k = (uint32_t)(owners - a.doc.v) + 1;
		}
		for (j = i; j < i + chunk; j++) {
			v = NULL;
			if (t[j].path != NULL) {
				v = &a.doc.v[k];
				k = a.doc.v[k].next;
			}
			if (json) {
				if (j > 0)
					buf_addstr(&js, ",");
				json_target(&js, &t[j], argv[j], &a.doc, v);
				failed += v == NULL || v->n == 0;
			} else if (t[j].path == NULL)
				failed++;
			else
				failed += print_owners(&t[j], &a.doc, v, quiet);
		}
		answer_free(&a);
	}
	if (json) {
		buf_addstr(&js, "]\n");
		fwrite(js.data, 1, js.len, stdout);
	}
	/* pacman's status: how many targets no package owns. */
	rc = failed;
	goto done;
fail:
	answer_free(&a);
done:
	for (i = 0; i < n; i++) {
		free(t[i].name);
		free(t[i].path);
	}
	free(t);
	buf_free(&req);
	buf_free(&js);
	return rc;
}

/* files */

struct fopts {
	int		 regex, list, quiet, json;
	const char	*locale;
	int		 warned;	/* the missing .files said */
	int		 badre;		/* an invalid regex was given */
	struct buf	 held;		/* -x: the output, until every regex
					   is known to compile (pacman then
					   prints none) */
	struct buf	 js;
	size_t		 njs;
};

static void
enc_files(struct buf *req, const struct fopts *f, const char *target,
    uint64_t offset)
{
	buf_reset(req);
	proto_enc_map(req, 6 + (target != NULL) + 1);
	proto_enc_str(req, "id");
	proto_enc_uint(req, 1);
	proto_enc_str(req, "op");
	proto_enc_str(req, "files");
	if (target != NULL) {
		proto_enc_str(req, "target");
		proto_enc_path(req, target, strlen(target));
	}
	proto_enc_str(req, "regex");
	proto_enc_bool(req, f->regex);
	proto_enc_str(req, "list");
	proto_enc_bool(req, f->list);
	proto_enc_str(req, "offset");
	proto_enc_uint(req, offset);
	proto_enc_str(req, "limit");
	proto_enc_uint(req, PROTO_PAGE_MAX);
	proto_enc_str(req, "locale");
	proto_enc_str(req, f->locale);
}

/* pacman -F's warning for each repo whose .files database is missing. */
static void
warn_missing(struct fopts *f, const struct pv_doc *doc, uint32_t r)
{
	const struct pv	*m = pv_get(doc, r, "missing");
	uint32_t	 k;
	size_t		 i;
	char		*msg;

	if (f->warned || m == NULL || m->type != PV_ARRAY)
		return;
	f->warned = 1;
	k = (uint32_t)(m - doc->v) + 1;
	for (i = 0; i < m->n; i++, k = doc->v[k].next) {
		if ((msg = answer_field(doc, k, "message")) != NULL)
			fprintf(stderr, "%s%s\n", PAL->warn, msg);
		free(msg);
	}
}

/* One package of an answer as pacman -F, -Fx or -Fl prints it. */
static void
print_fpkg(struct fopts *f, const struct pv_doc *doc, uint32_t k,
    int exact, struct buf *b)
{
	const struct pv	*paths = pv_get(doc, k, "paths");
	const struct pv	*grp = pv_get(doc, k, "groups"), *p;
	char		*repo = answer_field(doc, k, "repo");
	char		*name = answer_field(doc, k, "name");
	char		*ver = answer_field(doc, k, "version");
	char		*inst = answer_field(doc, k, "installed");
	uint32_t	 j;
	size_t		 i;

	buf_reset(b);
	if (paths == NULL || paths->type != PV_ARRAY)
		goto done;
	if (f->quiet && !f->list)
		buf_printf(b, "%s/%s\n", repo, name);
	else if (!f->list && !exact) {
		buf_printf(b, "%s%s/%s%s %s%s%s", PAL->repo, repo, PAL->title,
		    name, PAL->version, ver, PAL->off);
		if (grp != NULL && grp->type == PV_ARRAY && grp->n > 0) {
			buf_printf(b, " %s(", PAL->groups);
			answer_join(b, doc, grp, " ", NULL);
			buf_printf(b, ")%s", PAL->off);
		}
		if (inst != NULL && strcmp(inst, ver) != 0)
			buf_printf(b, " %s[installed: %s]%s", PAL->meta, inst,
			    PAL->off);
		else if (inst != NULL)
			buf_printf(b, " %s[installed]%s", PAL->meta, PAL->off);
		buf_addstr(b, "\n");
	}
	j = (uint32_t)(paths - doc->v) + 1;
	for (i = 0; i < paths->n && !(f->quiet && !f->list);
	    i++, j = doc->v[j].next) {
		p = &doc->v[j];
		if (p->type != PV_STR && p->type != PV_BYTES)
			continue;
		if (f->list) {
			if (!f->quiet)
				buf_printf(b, "%s%s%s ", PAL->title, name,
				    PAL->off);
			buf_add(b, p->x.s, p->n);
			buf_addstr(b, "\n");
		} else if (exact) {
			buf_add(b, p->x.s, p->n);
			buf_printf(b, " is owned by %s%s/%s%s %s%s%s\n",
			    PAL->repo, repo, PAL->title, name, PAL->version,
			    ver, PAL->off);
		} else {
			buf_addstr(b, "    ");
			buf_add(b, p->x.s, p->n);
			buf_addstr(b, "\n");
		}
	}
	if (b->len == 0)
		;
	else if (f->regex)
		buf_add(&f->held, b->data, b->len);
	else
		fwrite(b->data, 1, b->len, stdout);
done:
	free(repo);
	free(name);
	free(ver);
	free(inst);
}

/*
 * One target, page after page.  Returns 0 when something matched, 1
 * when nothing did or pacman would have said an error, or an exit
 * status above 1 for no answer at all (as 100 + status).
 */
static int
files_target(struct client_opts *o, struct fopts *f, const char *target)
{
	struct answer	 a;
	struct buf	 req = { 0 }, line = { 0 };
	const struct pv	*pkgs, *next;
	uint64_t	 offset = 0;
	uint32_t	 k;
	size_t		 i, shown = 0;
	int		 rc, code, exact;
	const char	*msg;
	size_t		 msglen;

	exact = target != NULL && strchr(target, '/') != NULL;
	if (f->json) {
		buf_addstr(&f->js, f->njs++ > 0 ? ",{\"target\":" :
		    "{\"target\":");
		if (target != NULL)
			answer_json_str(&f->js, target, strlen(target));
		else
			buf_addstr(&f->js, "null");
		buf_addstr(&f->js, ",\"packages\":[");
	}
	for (;;) {
		enc_files(&req, f, target, offset);
		rc = answer_ask_for(o, &req, &a, &code, &msg, &msglen);
		if (rc == -1) {
			/* pacman's words: an invalid regex, a package
			   -Fl cannot find. */
			fflush(stdout);
			fprintf(stderr, "%s%.*s\n", PAL->err, (int)msglen, msg);
			if (f->json) {
				buf_addstr(&f->js, "],\"error\":");
				answer_json_str(&f->js, msg, msglen);
				buf_addstr(&f->js, "}");
			}
			answer_free(&a);
			f->badre |= f->regex && code == PROTO_E_PARAMS;
			rc = code == PROTO_E_PARAMS || code == PROTO_E_NOTFOUND ?
			    1 : 100 + answer_exit(code);
			goto done;
		}
		if (rc != 0) {
			answer_free(&a);
			rc += 100;
			goto done;
		}
		warn_missing(f, &a.doc, a.result);
		pkgs = pv_get(&a.doc, a.result, "packages");
		if (pkgs == NULL || pkgs->type != PV_ARRAY) {
			warnx("protocol error: no packages in the answer");
			answer_free(&a);
			rc = 100 + EXIT_NOANSWER;
			goto done;
		}
		k = (uint32_t)(pkgs - a.doc.v) + 1;
		for (i = 0; i < pkgs->n; i++, k = a.doc.v[k].next) {
			if (f->json) {
				if (shown + i > 0)
					buf_addstr(&f->js, ",");
				answer_json_value(&f->js, &a.doc, k);
			} else
				print_fpkg(f, &a.doc, k, exact, &line);
		}
		shown += pkgs->n;
		next = pv_get(&a.doc, a.result, "next");
		if (next == NULL || next->type != PV_UINT ||
		    next->x.u <= offset) {
			answer_free(&a);
			break;
		}
		offset = next->x.u;
		answer_free(&a);
	}
	if (f->json)
		buf_addstr(&f->js, "]}");
	rc = shown > 0 ? 0 : 1;
done:
	buf_free(&req);
	buf_free(&line);
	return rc;
}

int
cmd_files(struct client_opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "regex", no_argument, NULL, 'x' },
		{ "list", no_argument, NULL, 'l' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	struct fopts	 f;
	int		 ch, i, rc, failed = 0;

	memset(&f, 0, sizeof(f));
	while ((ch = getopt_long(argc, argv, "xlq", longopts, NULL)) != -1) {
		switch (ch) {
		case 'x':
			f.regex = 1;
			break;
		case 'l':
			f.list = 1;
			break;
		case 'q':
			f.quiet = 1;
			break;
		case 'j':
			f.json = 1;
			break;
		default:
			return answer_usage("unknown files option '%s'",
			    argv[optind - 1]);
		}
	}
	/* pacman matches in the user's locale. */
	if ((f.locale = setlocale(LC_CTYPE, "")) == NULL ||
	    strlen(f.locale) > 64 || strchr(f.locale, ';') != NULL)
		f.locale = "C";
	if (optind == argc && !f.list) {
		fprintf(stderr, "%sno targets specified (use -h for help)\n",
		    PAL->err);
		return 1;
	}
	if (f.json)
		buf_addstr(&f.js, "[");
	rc = 0;
	if (optind == argc)
		rc = files_target(o, &f, NULL);
	for (i = optind; i < argc && rc < 100; i++) {
		rc = files_target(o, &f, argv[i]);
		failed += rc == 1;
	}
	if (rc >= 100) {
		buf_free(&f.js);
		buf_free(&f.held);
		return rc - 100;
	}
	/* pacman -Fx compiles every regex first, and one that does not
	   compile stops it all. */
	if (!f.badre && f.held.len > 0)
		fwrite(f.held.data, 1, f.held.len, stdout);
	buf_free(&f.held);
	if (f.json) {
		buf_addstr(&f.js, "]\n");
		fwrite(f.js.data, 1, f.js.len, stdout);
		buf_free(&f.js);
	}
	/* pacman -Fl: how many it could not list; -F: 1 if any found
	   nothing. */
	if (f.list)
		return failed;
	return failed > 0 || f.badre;
}

/* command-not-found */

/* pkgfile -b's binaries: a file right in one of these directories. */
static int
in_bin_dir(const char *p, size_t n)
{
	static const char *const dirs[] = {
		"bin/", "sbin/", "usr/bin/", "usr/sbin/", "usr/local/bin/",
		"usr/local/sbin/"
	};
	size_t	i, k;

	for (i = 0; i < NELEM(dirs); i++) {
		k = strlen(dirs[i]);
		if (n > k && memcmp(p, dirs[i], k) == 0 &&
		    memchr(p + k, '/', n - k) == NULL)
			return 1;
	}
	return 0;
}

/*
 * omg cnf NAME: the packages that have a command NAME, one line each as
 * pkgfile -bv prints them ("repo/name version\t/path"), for the shells'
 * command-not-found handlers.  Quick or nothing: a daemon that does not
 * answer within the timeout, or no daemon and a cache that is not up to
 * date, is exit status 3 and no word (the handler then says what the
 * shell would).
 */
int
cmd_cnf(struct client_opts *o, int argc, char **argv)
{
	struct fopts	 f;
	struct answer	 a;
	struct buf	 req = { 0 }, out = { 0 };
	const struct pv	*pkgs, *paths, *p;
	uint32_t	 k, j;
	size_t		 i, m, msglen;
	int		 rc, code;
	const char	*msg;
	char		*repo, *name, *ver;

	if (argc == 3 && strcmp(argv[1], "--") == 0)
		argv++, argc--;
	if (argc != 2)
		return answer_usage("cnf takes one command name");
	if (*argv[1] == '\0' || strchr(argv[1], '/') != NULL)
		return EXIT_NOTFOUND;
	o->timeout_ms = 500;
	o->fresh_only = 1;
	o->quiet = 1;
	memset(&f, 0, sizeof(f));
	f.locale = "C";
	enc_files(&req, &f, argv[1], 0);
	rc = answer_ask_for(o, &req, &a, &code, &msg, &msglen);
	buf_free(&req);
	if (rc != 0) {
		answer_free(&a);
		return EXIT_NOANSWER;
	}
	pkgs = pv_get(&a.doc, a.result, "packages");
	k = pkgs != NULL && pkgs->type == PV_ARRAY ?
	    (uint32_t)(pkgs - a.doc.v) + 1 : 0;
	for (i = 0; k != 0 && i < pkgs->n; i++, k = a.doc.v[k].next) {
		paths = pv_get(&a.doc, k, "paths");
		if (paths == NULL || paths->type != PV_ARRAY)
			continue;
		repo = answer_field(&a.doc, k, "repo");
		name = answer_field(&a.doc, k, "name");
		ver = answer_field(&a.doc, k, "version");
		j = (uint32_t)(paths - a.doc.v) + 1;
		for (m = 0; m < paths->n; m++, j = a.doc.v[j].next) {
			p = &a.doc.v[j];
			if ((p->type != PV_STR && p->type != PV_BYTES) ||
			    !in_bin_dir(p->x.s, p->n))
				continue;
			buf_printf(&out, "%s/%s %s\t/", repo ? repo : "",
			    name ? name : "", ver ? ver : "");
			buf_add(&out, p->x.s, p->n);
			buf_addstr(&out, "\n");
		}
		free(repo);
		free(name);
		free(ver);
	}
	answer_free(&a);
	if (out.len > 0)
		fwrite(out.data, 1, out.len, stdout);
	rc = out.len > 0 ? EXIT_ANSWERED : EXIT_NOTFOUND;
	buf_free(&out);
	return rc;
}
