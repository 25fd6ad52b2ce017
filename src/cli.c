/*
 * cli.c - the client: arguments, the request, and the answer printed the
 * way pacman prints it (or as JSON with the protocol's field names).
 *
 * Every command builds one request payload, hands it to client_request
 * (daemon or embedded mode, same bytes back either way), decodes the
 * answer with proto_parse and prints it.
 */
#include <err.h>
#include <getopt.h>
#include <limits.h>
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "answer.h"
#include "cli.h"
#include "client.h"
#include "config.h"
#include "doctor.h"
#include "opts.h"
#include "paths.h"
#include "proto.h"

struct cmd {
	const char	*name;
	int		(*fn)(struct client_opts *, int, char **);
	const char	*usage;
};

static int	cmd_search(struct client_opts *, int, char **);
static int	cmd_info(struct client_opts *, int, char **);
static int	cmd_status(struct client_opts *, int, char **);
static int	cmd_suggest(struct client_opts *, int, char **);
static int	cmd_ping(struct client_opts *, int, char **);
static int	cmd_audit(struct client_opts *, int, char **);
static int	cmd_doctor(struct client_opts *, int, char **);
static int	cmd_refresh(struct client_opts *, int, char **);
static int	cmd_watch(struct client_opts *, int, char **);
static int	cmd_list(struct client_opts *, int, char **);
static int	cmd_updates(struct client_opts *, int, char **);

static const struct cmd cmds[] = {
	{ "search", cmd_search,
	    "search [-q|--quiet] [--json] [--limit N] [--sort relevance|repo] "
	    "TERM..." },
	{ "info", cmd_info, "info [--json] NAME..." },
	{ "status", cmd_status, "status [--json]" },
	{ "suggest", cmd_suggest, "suggest [--json] [--limit N] PREFIX" },
	{ "ping", cmd_ping, "ping [--json]" },
	{ "audit", cmd_audit, "audit [--json]" },
	{ "doctor", cmd_doctor, "doctor" },
	{ "refresh", cmd_refresh, "refresh [-q|--quiet] [--json]" },
	{ "watch", cmd_watch, "watch [--json]" },
	{ "list", cmd_list, "list [-e|--explicit] [-d|--deps] [-m|--foreign] "
	    "[-n|--native]\n             [-t|--unrequired [-t]] "
	    "[-u|--upgrades] [-q|--quiet] [--json]" },
	{ "updates", cmd_updates, "updates [-q|--quiet] [--json]" },
	{ "owns", cmd_owns, "owns [-q|--quiet] [--json] PATH..." },
	{ "files", cmd_files, "files [-x|--regex] [-l|--list] [-q|--quiet] "
	    "[--json] [TARGET...]" },
	{ "cnf", cmd_cnf, "cnf COMMAND   (the shells' command-not-found "
	    "handlers)" },
};

static void
usage(FILE *fp)
{
	size_t	i;

	fprintf(fp, "usage: omg [--socket PATH] [--config PATH] [--cache PATH] "
	    "[--no-daemon]\n"
	    "           [--advisories PATH] [--omg-conf PATH] "
	    "[--color auto|always|never] "
	    "COMMAND ...\n");
	for (i = 0; i < NELEM(cmds); i++)
		fprintf(fp, "       omg %s\n", cmds[i].usage);
	fprintf(fp, "       omg --daemon [--socket PATH] [--config PATH] "
	    "[--cache PATH] [--omg-conf PATH] [--advisories PATH]\n"
	    "                  [--verbose]\n"
	    "       omg --rebuild-cache --config PATH --cache PATH [--force]\n"
	    "                       [--check] [--progress-fd N]   (the daemon's "
	    "rebuilder)\n"
	    "       omg --version | --help\n");
}

/* search */

/* One package of a search answer, the way pacman -Ss prints it. */
static void
print_hit(const struct pv_doc *doc, uint32_t k, int quiet, struct buf *line)
{
	char		*name = answer_field(doc, k, "name");
	char		*ver = answer_field(doc, k, "version");
	char		*src = answer_field(doc, k, "source");
	char		*desc = answer_field(doc, k, "description");
	char		*inst = answer_field(doc, k, "installed");
	const struct pv	*grp = pv_get(doc, k, "groups");

	/* Pieces added, not formatted: a search prints thousands. */
	buf_reset(line);
	if (quiet) {
		buf_addstr(line, name ? name : "");
		buf_addstr(line, "\n");
	} else {
		buf_addstr(line, PAL->repo);
		buf_addstr(line, src ? src : "");
		buf_addstr(line, "/");
		buf_addstr(line, PAL->title);
		buf_addstr(line, name ? name : "");
		buf_addstr(line, " ");
		buf_addstr(line, PAL->version);
		buf_addstr(line, ver ? ver : "");
		buf_addstr(line, PAL->off);
		if (grp != NULL && grp->type == PV_ARRAY && grp->n) {
			buf_addstr(line, " ");
			buf_addstr(line, PAL->groups);
			buf_addstr(line, "(");
			answer_join(line, doc, grp, " ", NULL);
			buf_addstr(line, ")");
			buf_addstr(line, PAL->off);
		}
		if (inst != NULL) {
			buf_addstr(line, " ");
			buf_addstr(line, PAL->meta);
			buf_addstr(line, "[installed");
			if (ver != NULL && strcmp(inst, ver) != 0) {
				buf_addstr(line, ": ");
				buf_addstr(line, inst);
			}
			buf_addstr(line, "]");
			buf_addstr(line, PAL->off);
		}
		buf_addstr(line, "\n    ");
		buf_addstr(line, desc ? desc : "");
		buf_addstr(line, "\n");
	}
	fwrite(line->data, 1, line->len, stdout);
	free(name);
	free(ver);
	free(src);
	free(desc);
	free(inst);
}

static void
enc_search(struct buf *req, char **terms, size_t nterms, uint64_t offset,
    uint64_t limit, int sort_repo, const char *locale)
{
	size_t	i;

	buf_reset(req);
	proto_enc_map(req, 6 + sort_repo);
	proto_enc_str(req, "id");
	proto_enc_uint(req, 1);
	proto_enc_str(req, "op");
	proto_enc_str(req, "search");
	proto_enc_str(req, "query");
	proto_enc_array(req, nterms);
	for (i = 0; i < nterms; i++)
		proto_enc_str(req, terms[i]);
	proto_enc_str(req, "offset");
	proto_enc_uint(req, offset);
	proto_enc_str(req, "limit");
	proto_enc_uint(req, limit);
	proto_enc_str(req, "locale");
	proto_enc_str(req, locale);
	if (sort_repo) {
		proto_enc_str(req, "sort");
		proto_enc_str(req, "repo");
	}
}

/*
 * Every match, as pacman prints them: the answer comes in pages of at
 * most PROTO_PAGE_MAX, asked for one after another; --limit N stops at N
 * and says on stderr what it left out.
 */
static int
cmd_search(struct client_opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "quiet", no_argument, NULL, 'q' },
		{ "json", no_argument, NULL, 'j' },
		{ "limit", required_argument, NULL, 'l' },
		{ "sort", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 }
	};
	struct answer	 a;
	struct buf	 req = { 0 }, line = { 0 }, js = { 0 };
	const struct pv	*pkgs, *tot;
	uint64_t	 limit = 0, got = 0, total = 0, want;
	uint32_t	 k;
	size_t		 i, nterms;
	const char	*locale;
	int		 ch, quiet = 0, json = 0, rc, sort_repo = 0;

	while ((ch = getopt_long(argc, argv, "ql:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'q':
			quiet = 1;
			break;
		case 'j':
			json = 1;
			break;
		case 'l':
			if ((rc = answer_limit(optarg, LONG_MAX, &limit)) != 0)
				return rc;
			break;
		case 's':
			if (strcmp(optarg, "repo") == 0)
				sort_repo = 1;
			else if (strcmp(optarg, "relevance") != 0)
				return answer_usage("--sort takes relevance or "
				    "repo, not '%s'", optarg);
			break;
		default:
			return answer_usage("unknown search option '%s'",
			    argv[optind - 1]);
		}
	}
	argv += optind;
	nterms = (size_t)(argc - optind);
	if (nterms > PROTO_TERMS_MAX)
		return answer_usage("%zu search terms, over the limit of %d",
		    nterms, PROTO_TERMS_MAX);
	for (i = 0; i < nterms; i++)
		if (strlen(argv[i]) > proto_req_limits.strlen) {
			/* pacman would search and find nothing: exit 1. */
			warnx("search term of %zu bytes is over the limit of "
			    "%zu bytes; nothing searched", strlen(argv[i]),
			    proto_req_limits.strlen);
			return EXIT_NOTFOUND;
		}
	/* pacman matches in the user's locale (LC_ALL, LC_CTYPE, LANG): the
	   search is done in the one it names, C when it has none here. */
	if ((locale = setlocale(LC_CTYPE, "")) == NULL ||
	    strlen(locale) > 64 || strchr(locale, ';') != NULL)
		locale = "C";
	if (json)
		buf_addstr(&js, "{\"packages\":[");
	memset(&a, 0, sizeof(a));
	do {
		want = limit != 0 && limit - got < PROTO_PAGE_MAX ?
		    limit - got : PROTO_PAGE_MAX;
		enc_search(&req, argv, nterms, got, want, sort_repo, locale);
		answer_free(&a);
		if ((rc = answer_ask(o, &req, &a)) != 0)
			goto done;
		pkgs = pv_get(&a.doc, a.result, "packages");
		tot = pv_get(&a.doc, a.result, "total");
		if (pkgs == NULL || pkgs->type != PV_ARRAY || tot == NULL ||
		    tot->type != PV_UINT) {
			warnx("protocol error: no packages in the answer");
			rc = EXIT_NOANSWER;
			goto done;
		}
		total = tot->x.u;
		k = (uint32_t)(pkgs - a.doc.v) + 1;
		for (i = 0; i < pkgs->n; i++, k = a.doc.v[k].next) {
			if (json) {
				if (got + i > 0)
					buf_add(&js, ",", 1);
				answer_json_value(&js, &a.doc, k);
			} else
				print_hit(&a.doc, k, quiet, &line);
		}
		got += pkgs->n;
		/* A page short of what was asked: the end (or the cache
		   changed under us; the next search sees the new one). */
	} while (pkgs->n == want && got < total &&
	    (limit == 0 || got < limit));
	if (json) {
		buf_printf(&js, "],\"total\":%llu}\n",
		    (unsigned long long)total);
		fwrite(js.data, 1, js.len, stdout);
	}
	if (got < total)
		fprintf(stderr, "omg: showed %llu of %llu matches (--limit "
		    "%llu)\n", (unsigned long long)got,
		    (unsigned long long)total, (unsigned long long)limit);
	if (got == 0)
		rc = EXIT_NOTFOUND;
done:
	buf_free(&req);
	buf_free(&line);
	buf_free(&js);
	answer_free(&a);
	return rc;
}

/* list, updates: pacman -Q and -Qu */

/* Print a list answer as pacman -Q (or -Qu) prints it; 1 when empty. */
static int
print_list(const struct pv_doc *doc, uint32_t m, int quiet, int upgrades)
{
	const struct pv	*pkgs, *ig;
	struct buf	 line = { 0 };
	char		*name, *ver, *upd;
	uint32_t	 k;
	size_t		 i;

	pkgs = pv_get(doc, m, "packages");
	if (pkgs == NULL || pkgs->type != PV_ARRAY) {
		warnx("protocol error: no packages in the answer");
		return EXIT_NOANSWER;
	}
	k = (uint32_t)(pkgs - doc->v) + 1;
	for (i = 0; i < pkgs->n; i++, k = doc->v[k].next) {
		name = answer_field(doc, k, "name");
		ver = answer_field(doc, k, "version");
		upd = answer_field(doc, k, "update");
		ig = pv_get(doc, k, "ignored");
		buf_reset(&line);
		if (quiet)
			buf_printf(&line, "%s\n", name ? name : "");
		else {
			buf_printf(&line, "%s%s %s%s%s", PAL->title,
			    name ? name : "", PAL->version, ver ? ver : "",
			    PAL->off);
			if (upgrades && upd != NULL)
				buf_printf(&line, " -> %s%s%s", PAL->version,
				    upd, PAL->off);
			if (upgrades && ig != NULL && ig->type == PV_BOOL &&
			    ig->x.b)
				buf_addstr(&line, " [ignored]");
			buf_addstr(&line, "\n");
		}
		fwrite(line.data, 1, line.len, stdout);
		free(name);
		free(ver);
		free(upd);
	}
	buf_free(&line);
	return pkgs->n == 0 ? EXIT_NOTFOUND : EXIT_ANSWERED;
}

static int
list_request(struct client_opts *o, const struct proto_list *f, int quiet,
    int json)
{
	struct answer	 a;
	struct buf	 req = { 0 };
	const struct pv	*tot;
	int		 rc;

	proto_enc_map(&req, 2 + f->explicit + f->deps + f->foreign +
	    f->native + (f->unrequired > 0) + f->upgrades);
	proto_enc_str(&req, "id");
	proto_enc_uint(&req, 1);
	proto_enc_str(&req, "op");
	proto_enc_str(&req, "list");
#define FLAG(name, on) do {						\
	if (on) {							\
		proto_enc_str(&req, name);				\
		proto_enc_bool(&req, 1);				\
	}								\
} while (0)
	FLAG("explicit", f->explicit);
	FLAG("deps", f->deps);
	FLAG("foreign", f->foreign);
	FLAG("native", f->native);
	FLAG("upgrades", f->upgrades);
#undef FLAG
	if (f->unrequired > 0) {
		proto_enc_str(&req, "unrequired");
		proto_enc_uint(&req, (uint64_t)f->unrequired);
	}
	rc = answer_ask(o, &req, &a);
	buf_free(&req);
	if (rc != 0)
		goto done;
	if (json) {
		answer_json(&a.doc, a.result);
		/* pacman's status: 1 when nothing is listed. */
		tot = pv_get(&a.doc, a.result, "total");
		rc = tot != NULL && tot->type == PV_UINT && tot->x.u > 0 ?
		    EXIT_ANSWERED : EXIT_NOTFOUND;
	} else
		rc = print_list(&a.doc, a.result, quiet, f->upgrades);
done:
	answer_free(&a);
	return rc;
}

static int
cmd_list(struct client_opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "explicit", no_argument, NULL, 'e' },
		{ "deps", no_argument, NULL, 'd' },
		{ "foreign", no_argument, NULL, 'm' },
		{ "native", no_argument, NULL, 'n' },
		{ "unrequired", no_argument, NULL, 't' },
		{ "upgrades", no_argument, NULL, 'u' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	struct proto_list	f;
	int			ch, quiet = 0, json = 0;

	memset(&f, 0, sizeof(f));
	while ((ch = getopt_long(argc, argv, "edmntuq", longopts, NULL)) !=
	    -1) {
		switch (ch) {
		case 'e':
			f.explicit = 1;
			break;
		case 'd':
			f.deps = 1;
			break;
		case 'm':
			f.foreign = 1;
			break;
		case 'n':
			f.native = 1;
			break;
		case 't':
			if (f.unrequired < 2)
				f.unrequired++;
			break;
		case 'u':
			f.upgrades = 1;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'j':
			json = 1;
			break;
		default:
			return answer_usage("unknown list option '%s'",
			    argv[optind - 1]);
		}
	}
	if (optind != argc)
		return answer_usage("list takes no names (see omg info)");
	return list_request(o, &f, quiet, json);
}

/* omg updates: pacman -Qu, what a status bar polls for. */
static int
cmd_updates(struct client_opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "quiet", no_argument, NULL, 'q' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	struct proto_list	f;
	int			ch, quiet = 0, json = 0;

	memset(&f, 0, sizeof(f));
	f.upgrades = 1;
	while ((ch = getopt_long(argc, argv, "q", longopts, NULL)) != -1) {
		if (ch == 'q')
			quiet = 1;
		else if (ch == 'j')
			json = 1;
		else
			return answer_usage("unknown updates option '%s'",
			    argv[optind - 1]);
	}
	if (optind != argc)
		return answer_usage("updates takes no arguments");
	return list_request(o, &f, quiet, json);
}

/* info */

static void
kv(const char *key, const char *val)
{
	printf("%s%-15s :%s %s\n", PAL->title, key, PAL->off, val);
}

static void
kv_list(const struct pv_doc *doc, uint32_t map, const char *label,
    const char *key)
{
	struct buf	b = { 0 };

	answer_join(&b, doc, pv_get(doc, map, key), "  ", "None");
	kv(label, buf_cstr(&b));
	buf_free(&b);
}

/*
 * pacman's humanize_size: the first unit that brings |bytes| to 2048 or
 * less, or the unit *unit names when it is set.  Sets *unit to the unit
 * used: pacman prints a sync package's installed size in the unit of its
 * download size.
 */
static void
kv_size(const char *label, int64_t bytes, int *unit)
{
	static const char	*units[] = { "B", "KiB", "MiB", "GiB", "TiB",
				    "PiB", "EiB", "ZiB", "YiB" };
	double			 v = (double)bytes;
	int			 i;
	char			 s[64];

	for (i = 0; i < (int)NELEM(units) - 1; i++) {
		if (*unit >= 0 ? i == *unit : v <= 2048.0 && v >= -2048.0)
			break;
		v /= 1024.0;
	}
	if (v < 0.0 && v > -0.005)
		v = 0.0;
	snprintf(s, sizeof(s), "%.2f %s", v, units[i]);
	kv(label, s);
	*unit = i;
}

static void
kv_date(const char *label, int64_t when)
{
	time_t		 t = (time_t)when;
	struct tm	*tm;
	char		 s[128] = "";

	/* pacman prints nothing for a date of -1 */
	if (when != -1 && ((tm = localtime(&t)) == NULL ||
	    strftime(s, sizeof(s), "%c", tm) == 0))
		snprintf(s, sizeof(s), "%lld", (long long)when);
	kv(label, s);
}

/*
 * One package as pacman -Si prints it, with the lines -Qi adds when it is
 * installed; the installed package itself (repo "local") exactly as
 * pacman -Qi prints it.
 */
static void
print_pkg(const struct pv_doc *doc, uint32_t m)
{
	const struct pv	*od, *inst, *odi, *b;
	char		*repo, *s, tmp[1024];
	uint32_t	 k, kb;
	size_t		 i;
	int		 installed, unit, local, mark;

	repo = answer_field(doc, m, "repo");
	local = repo != NULL && strcmp(repo, "local") == 0;
	inst = pv_get(doc, m, "installed");
	installed = inst != NULL && inst->type == PV_STR;
	if (repo != NULL && !local)
		kv("Repository", repo);
#define KV_STR(label, key) do {						\
	s = answer_field(doc, m, key);						\
	kv(label, s != NULL && *s != '\0' ? s : "None");		\
	free(s);							\
} while (0)
	KV_STR("Name", "name");
	KV_STR("Version", "version");
	if (installed && !local)
		kv("Installed", answer_str_of(inst, tmp, sizeof(tmp)));
	KV_STR("Description", "description");
	KV_STR("Architecture", "arch");
	KV_STR("URL", "url");
	kv_list(doc, m, "Licenses", "licenses");
	kv_list(doc, m, "Groups", "groups");
	kv_list(doc, m, "Provides", "provides");
	kv_list(doc, m, "Depends On", "depends");
	od = pv_get(doc, m, "optdepends");
	odi = pv_get(doc, m, "optdepends_installed");
	if (odi != NULL && (odi->type != PV_ARRAY || odi->n == 0))
		odi = NULL;
	if (od == NULL || od->type != PV_ARRAY || od->n == 0)
		kv("Optional Deps", "None");
	else {
		k = (uint32_t)(od - doc->v) + 1;
		kb = odi != NULL ? (uint32_t)(odi - doc->v) + 1 : 0;
		for (i = 0; i < od->n; i++, k = doc->v[k].next) {
			/* pacman -Qi marks what an installed package
			   satisfies. */
			b = odi != NULL && i < odi->n ? &doc->v[kb] : NULL;
			mark = b != NULL && b->type == PV_BOOL && b->x.b;
			if (b != NULL)
				kb = doc->v[kb].next;
			if (i == 0)
				printf("%s%-15s :%s %.*s%s\n", PAL->title,
				    "Optional Deps", PAL->off,
				    (int)doc->v[k].n, doc->v[k].x.s,
				    mark ? " [installed]" : "");
			else
				printf("%18s%.*s%s\n", "", (int)doc->v[k].n,
				    doc->v[k].x.s, mark ? " [installed]" : "");
		}
	}
	if (installed) {
		kv_list(doc, m, "Required By", "required_by");
		kv_list(doc, m, "Optional For", "optional_for");
	}
	kv_list(doc, m, "Conflicts With", "conflicts");
	kv_list(doc, m, "Replaces", "replaces");
	unit = -1;
	if (repo != NULL && strcmp(repo, "local") != 0)
		kv_size("Download Size", answer_num(doc, m, "download_size"),
		    &unit);
	kv_size("Installed Size", answer_num(doc, m, "size"), &unit);
	KV_STR("Packager", "packager");
	kv_date("Build Date", answer_num(doc, m, "build_date"));
	if (installed) {
		kv_date("Install Date", answer_num(doc, m, "install_date"));
		s = answer_field(doc, m, "reason");
		kv("Install Reason", s != NULL && strcmp(s, "explicit") == 0 ?
		    "Explicitly installed" :
		    "Installed as a dependency for another package");
		free(s);
	}
	if (local) {
		b = pv_get(doc, m, "install_script");
		kv("Install Script", b != NULL && b->type == PV_BOOL && b->x.b ?
		    "Yes" : "No");
	}
	kv_list(doc, m, "Validated By", "validated_by");
#undef KV_STR
	printf("\n");
	free(repo);
}

/* An info answer: the package, then the same name in later repos. */
static void
print_info(const struct pv_doc *doc, uint32_t m)
{
	const struct pv	*o;
	uint32_t	 k;
	size_t		 i;

	print_pkg(doc, m);
	if ((o = pv_get(doc, m, "others")) == NULL || o->type != PV_ARRAY)
		return;
	k = (uint32_t)(o - doc->v) + 1;
	for (i = 0; i < o->n; i++, k = doc->v[k].next)
		if (doc->v[k].type == PV_MAP)
			print_pkg(doc, k);
}

static void
enc_info(struct buf *req, uint64_t id, const char *name)
{
	proto_enc_map(req, 3);
	proto_enc_str(req, "id");
	proto_enc_uint(req, id);
	proto_enc_str(req, "op");
	proto_enc_str(req, "info");
	proto_enc_str(req, "package");
	proto_enc_str(req, name);
}

static int
cmd_info(struct client_opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	struct answer	 a;
	struct buf	 req = { 0 };
	const struct pv	*r, *e, *msg, *code;
	uint32_t	 k;
	size_t		 i, n, at, chunk;
	int		 ch, json = 0, rc = 0, c, worst = 0;

	/* Dates and sizes as pacman -Si prints them in this locale.  Only
	   here: loading a locale is a tenth of a millisecond that the other
	   commands, which print neither, need not pay. */
	setlocale(LC_ALL, "");

	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (ch != 'j')
			return answer_usage("unknown info option '%s'",
			    argv[optind - 1]);
		json = 1;
	}
	n = (size_t)(argc - optind);
	if (n == 0)
		return answer_usage("info needs a package name");
	argv += optind;
	if (json && n > PROTO_BATCH_MAX)
		printf("[");
	/* Any number of names, as pacman -Si takes them: batches of at most
	   PROTO_BATCH_MAX, each name answered in order. */
	for (at = 0; at < n; at += chunk) {
		chunk = n - at < PROTO_BATCH_MAX ? n - at : PROTO_BATCH_MAX;
		buf_reset(&req);
		if (n == 1)
			enc_info(&req, 1, argv[0]);
		else {
			proto_enc_map(&req, 3);
			proto_enc_str(&req, "id");
			proto_enc_uint(&req, 1);
			proto_enc_str(&req, "op");
			proto_enc_str(&req, "batch");
			proto_enc_str(&req, "requests");
			proto_enc_array(&req, chunk);
			for (i = 0; i < chunk; i++)
				enc_info(&req, at + i + 1, argv[at + i]);
		}
		if ((rc = answer_ask(o, &req, &a)) != 0)
			goto done;
		if (json) {
			if (n > PROTO_BATCH_MAX) {
				/* One JSON array of every answer. */
				struct buf	js = { 0 };

				if (at > 0)
					printf(",");
				answer_json_value(&js, &a.doc, a.result);
				printf("%.*s", (int)js.len - 2, js.data + 1);
				buf_free(&js);
			} else
				answer_json(&a.doc, a.result);
		} else if (n == 1)
			print_info(&a.doc, a.result);
		r = &a.doc.v[a.result];
		k = a.result + 1;
		for (i = 0; n > 1 && r->type == PV_ARRAY && i < r->n;
		    i++, k = a.doc.v[k].next) {
			const struct pv	*res = pv_get(&a.doc, k, "result");

			if (res != NULL) {
				if (!json)
					print_info(&a.doc,
					    (uint32_t)(res - a.doc.v));
				continue;
			}
			if ((e = pv_get(&a.doc, k, "error")) == NULL)
				continue;
			if ((msg = pv_get(&a.doc, (uint32_t)(e - a.doc.v),
			    "message")) != NULL && msg->type == PV_STR && !json)
				warnx("%.*s", (int)msg->n, msg->x.s);
			/* pacman: 2 for a repository it does not know, else 1
			   for a package it cannot find. */
			if ((code = pv_get(&a.doc, (uint32_t)(e - a.doc.v),
			    "code")) != NULL && code->type == PV_NEGINT) {
				c = answer_exit(-1 - (int)code->x.u);
				worst = c > worst ? c : worst;
			}
		}
		answer_free(&a);
	}
	if (json && n > PROTO_BATCH_MAX)
		printf("]\n");
	rc = worst;
done:
	buf_free(&req);
	answer_free(&a);
	return rc;
}

/* status, suggest, ping */

/* { "id": 1, "op": op, ? "query": query, ? "limit": limit } */
static void
enc_request(struct buf *req, const char *op, const char *query,
    uint64_t limit)
{
	proto_enc_map(req, 2 + (query != NULL) + (limit != 0));
	proto_enc_str(req, "id");
	proto_enc_uint(req, 1);
	proto_enc_str(req, "op");
	proto_enc_str(req, op);
	if (query != NULL) {
		proto_enc_str(req, "query");
		proto_enc_str(req, query);
	}
	if (limit != 0) {
		proto_enc_str(req, "limit");
		proto_enc_uint(req, limit);
	}
}

static int
simple_request(struct client_opts *o, const char *op, const char *query,
    uint64_t limit, struct answer *a)
{
	struct buf	req = { 0 };
	int		rc;

	enc_request(&req, op, query, limit);
	rc = answer_ask(o, &req, a);
	buf_free(&req);
	return rc;
}

static int
json_only_opts(int argc, char **argv, const char *cmd, int *json)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	int	ch;

	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (ch != 'j')
			return answer_usage("unknown %s option '%s'", cmd,
			    argv[optind - 1]);
		*json = 1;
	}
	if (optind != argc)
		return answer_usage("%s takes no arguments", cmd);
	return 0;
}

/* A line for each database the cache could not read. */
static void
print_problems(const struct pv_doc *doc, uint32_t cache)
{
	const struct pv	*pr;
	char		*repo, *msg;
	uint32_t	 k;
	size_t		 i;

	if ((pr = pv_get(doc, cache, "problems")) == NULL ||
	    pr->type != PV_ARRAY)
		return;
	k = (uint32_t)(pr - doc->v) + 1;
	for (i = 0; i < pr->n; i++, k = doc->v[k].next) {
		repo = answer_field(doc, k, "repo");
		msg = answer_field(doc, k, "message");
		printf("Not served      : %s: %s\n", repo ? repo : "?",
		    msg ? msg : "?");
		free(repo);
		free(msg);
	}
}

static int
cmd_status(struct client_opts *o, int argc, char **argv)
{
	struct answer	 a;
	struct buf	 b = { 0 };
	const struct pv	*rt, *cache;
	uint32_t	 m, c, k;
	size_t		 i;
	int		 json = 0, rc;
	char		*s, *mode, tbuf[64];
	time_t		 built;

	if ((rc = json_only_opts(argc, argv, "status", &json)) != 0)
		return rc;
	if ((rc = simple_request(o, "status", NULL, 0, &a)) != 0)
		goto done;
	if (json) {
		answer_json(&a.doc, a.result);
		goto done;
	}
	m = a.result;
	printf("Packages        : %lld installed, %lld explicit, %lld orphans\n",
	    (long long)answer_num(&a.doc, m, "total_packages"),
	    (long long)answer_num(&a.doc, m, "explicit_packages"),
	    (long long)answer_num(&a.doc, m, "orphan_packages"));
	printf("Updates         : %lld\n",
	    (long long)answer_num(&a.doc, m, "updates_available"));
	printf("Vulnerable      : %lld\n",
	    (long long)answer_num(&a.doc, m, "security_vulnerabilities"));
	rt = pv_get(&a.doc, m, "runtime_versions");
	if (rt != NULL && rt->type == PV_ARRAY && rt->n > 0) {
		k = (uint32_t)(rt - a.doc.v) + 1;
		for (i = 0; i < rt->n; i++, k = a.doc.v[k].next) {
			if (i > 0)
				buf_addstr(&b, "  ");
			answer_join(&b, &a.doc, &a.doc.v[k], " ", NULL);
		}
	} else
		buf_addstr(&b, "None");
	printf("Runtimes        : %s\n", buf_cstr(&b));
	if ((cache = pv_get(&a.doc, m, "cache")) != NULL) {
		c = (uint32_t)(cache - a.doc.v);
		s = answer_field(&a.doc, c, "state");
		built = (time_t)answer_num(&a.doc, c, "built_at");
		fmt_age(tbuf, sizeof(tbuf), (long long)(time(NULL) - built));
		printf("Cache           : %s, generation %lld, %lld packages, "
		    "built %s ago in %lld ms\n", s ? s : "?",
		    (long long)answer_num(&a.doc, c, "generation"),
		    (long long)answer_num(&a.doc, c, "packages"), tbuf,
		    (long long)answer_num(&a.doc, c, "build_ms"));
		free(s);
		print_problems(&a.doc, c);
	}
	if ((cache = pv_get(&a.doc, m, "server")) != NULL) {
		c = (uint32_t)(cache - a.doc.v);
		mode = answer_field(&a.doc, c, "mode");
		s = answer_field(&a.doc, c, "version");
		printf("Answered by     : %s (omg %s, protocol %lld)\n",
		    mode ? mode : "?", s ? s : "?",
		    (long long)answer_num(&a.doc, c, "protocol"));
		free(mode);
		free(s);
	}
done:
	buf_free(&b);
	answer_free(&a);
	return rc;
}

static int
cmd_suggest(struct client_opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "limit", required_argument, NULL, 'l' },
		{ NULL, 0, NULL, 0 }
	};
	struct answer	 a;
	const struct pv	*r;
	uint64_t	 limit = 0;
	uint32_t	 k;
	size_t		 i;
	int		 ch, json = 0, rc;

	while ((ch = getopt_long(argc, argv, "l:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			json = 1;
			break;
		case 'l':
			if ((rc = answer_limit(optarg, 100, &limit)) != 0)
				return rc;
			break;
		default:
			return answer_usage("unknown suggest option '%s'",
			    argv[optind - 1]);
		}
	}
	if (argc - optind != 1)
		return answer_usage("suggest takes one PREFIX");
	if ((rc = simple_request(o, "suggest", argv[optind], limit, &a)) != 0)
		goto done;
	if (json) {
		answer_json(&a.doc, a.result);
		goto done;
	}
	r = &a.doc.v[a.result];
	k = a.result + 1;
	for (i = 0; r->type == PV_ARRAY && i < r->n; i++, k = a.doc.v[k].next)
		printf("%.*s\n", (int)a.doc.v[k].n, a.doc.v[k].x.s);
	if (r->type != PV_ARRAY || r->n == 0)
		rc = EXIT_NOTFOUND;
done:
	answer_free(&a);
	return rc;
}

static int
cmd_ping(struct client_opts *o, int argc, char **argv)
{
	struct answer	a;
	int		json = 0, rc;

	if ((rc = json_only_opts(argc, argv, "ping", &json)) != 0)
		return rc;
	if ((rc = simple_request(o, "ping", NULL, 0, &a)) == 0) {
		if (json)
			answer_json(&a.doc, a.result);
		else
			printf("%.*s\n", (int)a.doc.v[a.result].n,
			    a.doc.v[a.result].x.s);
	}
	answer_free(&a);
	return rc;
}

static int
cmd_doctor(struct client_opts *o, int argc, char **argv)
{
	if (argc != 1)
		return answer_usage("doctor takes no arguments ('%s')", argv[1]);
	return doctor_run(o);
}

/* audit: one line a package, as arch-audit words it; exit 1 if any. */
static int
cmd_audit(struct client_opts *o, int argc, char **argv)
{
	struct answer	 a;
	struct buf	 b = { 0 };
	const struct pv	*pkgs, *adv;
	uint32_t	 k, m;
	size_t		 i;
	int		 json = 0, rc;
	char		*s, *state = NULL, *err = NULL;

	if ((rc = json_only_opts(argc, argv, "audit", &json)) != 0)
		return rc;
	if ((rc = simple_request(o, "audit", NULL, 0, &a)) != 0)
		goto done;
	pkgs = pv_get(&a.doc, a.result, "packages");
	adv = pv_get(&a.doc, a.result, "advisories");
	if (adv != NULL) {
		m = (uint32_t)(adv - a.doc.v);
		state = answer_field(&a.doc, m, "state");
		err = answer_field(&a.doc, m, "error");
		s = answer_field(&a.doc, m, "path");
		if (state != NULL && strcmp(state, "reading") == 0)
			warnx("advisories %s changed: the daemon is reading them; "
			    "this answer is from the ones read before", s ? s : "");
		else if (state != NULL && strcmp(state, "ok") != 0) {
			warnx("advisories %s: %s%s%s (systemctl --user start "
			    "omg-advisories.service fetches them)",
			    s ? s : "", state, err ? ": " : "", err ? err : "");
			if (answer_num(&a.doc, m, "entries") == 0) {
				free(s);
				rc = EXIT_NOANSWER;
				goto done;
			}
		}
		free(s);
	}
	if (json) {
		answer_json(&a.doc, a.result);
	} else if (pkgs != NULL && pkgs->type == PV_ARRAY) {
		k = (uint32_t)(pkgs - a.doc.v) + 1;
		for (i = 0; i < pkgs->n; i++, k = a.doc.v[k].next) {
			char	*name = answer_field(&a.doc, k, "name");
			char	*inst = answer_field(&a.doc, k, "installed");
			char	*sev = answer_field(&a.doc, k, "severity");
			char	*fix = answer_field(&a.doc, k, "fixed");
			char	*type = answer_field(&a.doc, k, "type");

			buf_reset(&b);
			answer_join(&b, &a.doc, pv_get(&a.doc, k, "cves"), ", ",
			    "no CVE yet");
			buf_addstr(&b, " (");
			answer_join(&b, &a.doc, pv_get(&a.doc, k, "avgs"), ", ",
			    "");
			printf("%s %s is affected by %s): %s. %s risk! %s%s%s\n",
			    name, inst, buf_cstr(&b), type && *type ? type :
			    "unknown", sev && *sev ? sev : "Unknown",
			    fix ? "Update to " : "No fixed version yet.",
			    fix ? fix : "", fix ? "!" : "");
			free(name);
			free(inst);
			free(sev);
			free(fix);
			free(type);
		}
	}
	if (pkgs != NULL && pkgs->type == PV_ARRAY && pkgs->n > 0)
		rc = EXIT_NOTFOUND;
done:
	free(state);
	free(err);
	buf_free(&b);
	answer_free(&a);
	return rc;
}

/* refresh and watch: one request, many messages */

#define BAR_WIDTH	30

struct follow {
	int	 json, quiet, tty;
	int	 open;		/* a progress bar is on the line */
	int	 rc;		/* the exit status, once it is known */
};

static void
end_bar(struct follow *f)
{
	if (f->open)
		putchar('\n');
	f->open = 0;
}

static void
show_progress(struct follow *f, const struct pv_doc *doc, uint32_t p)
{
	char		 bar[BAR_WIDTH + 1], *stage;
	uint64_t	 done, total;
	unsigned	 pct;
	size_t		 fill;

	if (f->quiet)
		return;
	if (f->json) {
		answer_json(doc, 0);
		return;
	}
	stage = answer_field(doc, p, "stage");
	done = (uint64_t)answer_num(doc, p, "done");
	total = (uint64_t)answer_num(doc, p, "total");
	if (!f->tty)
		printf("%s %llu/%llu\n", stage ? stage : "?",
		    (unsigned long long)done, (unsigned long long)total);
	else {
		pct = total == 0 || done >= total ? 100 :
		    (unsigned)(done * 100 / total);
		fill = pct * BAR_WIDTH / 100;
		memset(bar, '#', fill);
		memset(bar + fill, '-', BAR_WIDTH - fill);
		bar[BAR_WIDTH] = '\0';
		printf("\r%-20.20s %7llu/%-7llu [%s] %3u%%", stage ? stage : "?",
		    (unsigned long long)done, (unsigned long long)total, bar,
		    pct);
		f->open = 1;
		if (pct == 100)
			end_bar(f);
	}
	fflush(stdout);
	free(stage);
}

static int
refresh_msg(void *arg, const uint8_t *p, size_t len)
{
	struct follow	*f = arg;
	struct pv_doc	 doc;
	const struct pv	*v;
	uint32_t	 r;
	char		 err[256];

	if (proto_parse(p, len, &proto_resp_limits, &doc, err,
	    sizeof(err)) == -1) {
		warnx("protocol error: %s", err);
		f->rc = EXIT_NOANSWER;
		return -1;
	}
	if ((v = pv_get(&doc, 0, "progress")) != NULL && v->type == PV_MAP) {
		show_progress(f, &doc, (uint32_t)(v - doc.v));
		pv_doc_free(&doc);
		return 0;
	}
	end_bar(f);
	if ((v = pv_get(&doc, 0, "result")) == NULL) {
		f->rc = answer_error(&doc);
		pv_doc_free(&doc);
		return -1;
	}
	r = (uint32_t)(v - doc.v);
	if (f->json)
		answer_json(&doc, r);
	else
		printf("cache generation %lld: %lld packages from %lld repos, "
		    "rebuilt in %lld ms\n",
		    (long long)answer_num(&doc, r, "generation"),
		    (long long)answer_num(&doc, r, "packages"),
		    (long long)answer_num(&doc, r, "repos"),
		    (long long)answer_num(&doc, r, "duration_ms"));
	f->rc = EXIT_ANSWERED;
	pv_doc_free(&doc);
	return 1;
}

/* Send op; each message goes to fn; one line when it all goes wrong. */
static int
follow(struct client_opts *o, const char *op, client_msg_fn fn,
    struct follow *f)
{
	struct buf	req = { 0 };
	char		err[512];

	enc_request(&req, op, NULL, 0);
	f->rc = -1;
	if (client_stream(o, req.data, req.len, fn, f, err,
	    sizeof(err)) == -1 && f->rc == -1) {
		end_bar(f);
		warnx("%s", err);
		f->rc = EXIT_NOANSWER;
	}
	buf_free(&req);
	return f->rc;
}

static int
cmd_refresh(struct client_opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "quiet", no_argument, NULL, 'q' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	struct follow	f;
	int		ch;

	memset(&f, 0, sizeof(f));
	while ((ch = getopt_long(argc, argv, "q", longopts, NULL)) != -1) {
		if (ch == 'q')
			f.quiet = 1;
		else if (ch == 'j')
			f.json = 1;
		else
			return answer_usage("unknown refresh option '%s'",
			    argv[optind - 1]);
	}
	if (optind != argc)
		return answer_usage("refresh takes no arguments");
	f.tty = isatty(STDOUT_FILENO);
	return follow(o, "refresh", refresh_msg, &f);
}

static int
watch_msg(void *arg, const uint8_t *p, size_t len)
{
	struct follow	*f = arg;
	struct pv_doc	 doc;
	const struct pv	*v;
	uint32_t	 r = 0;
	char		 err[256], *state;

	if (proto_parse(p, len, &proto_resp_limits, &doc, err,
	    sizeof(err)) == -1) {
		warnx("protocol error: %s", err);
		f->rc = EXIT_NOANSWER;
		return -1;
	}
	if ((v = pv_get(&doc, 0, "result")) != NULL)
		r = (uint32_t)(v - doc.v);
	else if (pv_get(&doc, 0, "event") == NULL) {
		f->rc = answer_error(&doc);
		pv_doc_free(&doc);
		return -1;
	}
	if (f->json)
		answer_json(&doc, r);
	else {
		state = answer_field(&doc, r, "state");
		printf("state=%s generation=%lld\n", state ? state : "?",
		    (long long)answer_num(&doc, r, "generation"));
		free(state);
	}
	pv_doc_free(&doc);
	if (fflush(stdout) == EOF) {
		f->rc = EXIT_NOANSWER;
		return -1;
	}
	return 0;
}

static int
cmd_watch(struct client_opts *o, int argc, char **argv)
{
	struct follow	f;
	int		rc;

	memset(&f, 0, sizeof(f));
	if ((rc = json_only_opts(argc, argv, "watch", &f.json)) != 0)
		return rc;
	o->timeout_ms = 0;	/* events come when they come */
	rc = follow(o, "subscribe", watch_msg, &f);
	return rc == EXIT_ANSWERED ? EXIT_NOANSWER : rc;
}

int
cli_main(const struct opts *g, int argc, char **argv)
{
	struct client_opts	 o;
	char			*sock = NULL, *cache = NULL, *adv = NULL;
	const char		*env, *when;
	size_t			 j;
	int			 i = 0, rc;

	if (g->help) {
		usage(stdout);
		return EXIT_ANSWERED;
	}
	if (g->version) {
		printf("omg %s (protocol %d)\n", OMG_VERSION, PROTO_VERSION);
		return EXIT_ANSWERED;
	}
	if (g->verbose)
		return answer_usage("--verbose is the daemon's (omg --daemon "
		    "--verbose)");
	opterr = 0;	/* our own one-line messages */
	memset(&o, 0, sizeof(o));
	o.config = g->config != NULL ? g->config : PATHS_PACMAN_CONF;
	o.socket = g->socket;
	o.cache = g->cache;
	o.advisories = g->advisories;
	o.settings = g->settings;
	o.no_daemon = g->no_daemon;
	o.timeout_ms = 10000;
	when = g->color != NULL ? g->color : "auto";
	if (i == argc)
		return answer_usage("no command given");
	/* NO_COLOR (no-color.org) turns auto off; always still means it. */
	if (strcmp(when, "always") == 0 || (strcmp(when, "auto") == 0 &&
	    isatty(STDOUT_FILENO) && (env = getenv("NO_COLOR")) == NULL))
		answer_pal = &answer_colour;
	if (o.socket == NULL) {
		env = getenv("OMG_SOCKET");
		o.socket = env != NULL && *env != '\0' ? env :
		    (sock = paths_socket());
	}
	if (o.cache == NULL)
		o.cache = cache = paths_cache();
	if (o.advisories == NULL)
		o.advisories = adv = paths_advisories();
	for (j = 0; j < NELEM(cmds); j++)
		if (strcmp(argv[i], cmds[j].name) == 0)
			break;
	if (j == NELEM(cmds)) {
		free(sock);
		free(cache);
		free(adv);
		return answer_usage("unknown command '%s'", argv[i]);
	}
	optind = 1;
	rc = cmds[j].fn(&o, argc - i, argv + i);
	free(sock);
	free(cache);
	free(adv);
	if (fflush(stdout) == EOF) {
		warn("stdout");
		rc = EXIT_NOANSWER;
	}
	return rc;
}
