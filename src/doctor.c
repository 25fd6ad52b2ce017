/*
 * doctor.c - checks a person can act on: the socket, the daemon, pacman's
 * configuration and databases, pacman's lock, the cache, the advisories,
 * the systemd units.  Reads only: it starts nothing and builds nothing.
 */
#include <sys/stat.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cache.h"
#include "conf.h"
#include "doctor.h"
#include "stamp.h"
#include "paths.h"
#include "proto.h"
#include "searchfile.h"

static int	failed;

static void __attribute__((format(printf, 2, 3)))
say(const char *level, const char *fmt, ...)
{
	va_list	ap;

	if (strcmp(level, "fail") == 0)
		failed = 1;
	printf("%-4s  ", level);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* "5 min ago" */
static const char *
ago(time_t t, char *buf, size_t len)
{
	char	age[48];

	fmt_age(age, sizeof(age), (long long)(time(NULL) - t));
	snprintf(buf, len, "%s ago", age);
	return buf;
}

static void
check_socket(const struct client_opts *o)
{
	struct stat	 st;
	char		*dir, *slash;

	if (stat(o->socket, &st) == -1) {
		say("warn", "no socket at %s: no daemon runs "
		    "(systemctl --user enable --now omgd.socket)", o->socket);
		return;
	}
	if (!S_ISSOCK(st.st_mode))
		say("fail", "%s is not a socket: remove it", o->socket);
	else if ((st.st_mode & 0777) != 0600)
		say("fail", "socket %s has mode %04o, not 0600: other users "
		    "may connect (restart the daemon)", o->socket,
		    (unsigned)(st.st_mode & 0777));
	else
		say("ok", "socket %s, mode 0600", o->socket);
	dir = xstrdup(o->socket);
	if ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
		*slash = '\0';
		if (stat(dir, &st) == 0 && (st.st_mode & 077) != 0)
			say("fail", "socket directory %s has mode %04o: make "
			    "it 0700", dir, (unsigned)(st.st_mode & 07777));
	}
	free(dir);
}

static void
check_daemon(const struct client_opts *o)
{
	struct client_opts	 d = *o;
	struct buf		 req = { 0 }, resp = { 0 };
	struct pv_doc		 doc;
	const struct pv		*res, *srv, *v, *p;
	char			 err[256];

	d.no_daemon = 0;
	d.config = "/nonexistent";	/* the daemon, or nothing */
	d.timeout_ms = 2000;
	proto_enc_map(&req, 2);
	proto_enc_str(&req, "id");
	proto_enc_uint(&req, 1);
	proto_enc_str(&req, "op");
	proto_enc_str(&req, "status");
	if (client_request(&d, req.data, req.len, &resp, err,
	    sizeof(err)) == -1) {
		say("warn", "no daemon answers: each command reads the cache "
		    "itself (slower; systemctl --user enable --now "
		    "omgd.socket)");
		goto done;
	}
	if (proto_parse(resp.data, resp.len, &proto_resp_limits, &doc, err,
	    sizeof(err)) == -1) {
		say("fail", "the daemon's answer is not omg's protocol: %s",
		    err);
		goto done;
	}
	if ((res = pv_get(&doc, 0, "result")) != NULL &&
	    (srv = pv_get(&doc, (uint32_t)(res - doc.v), "server")) != NULL &&
	    (v = pv_get(&doc, (uint32_t)(srv - doc.v), "version")) != NULL &&
	    (p = pv_get(&doc, (uint32_t)(srv - doc.v), "protocol")) != NULL &&
	    v->type == PV_STR && p->type == PV_UINT) {
		if (p->x.u == PROTO_VERSION)
			say("ok", "daemon answers: omg %.*s, protocol %llu",
			    (int)v->n, v->x.s, (unsigned long long)p->x.u);
		else
			say("fail", "daemon speaks protocol %llu, this omg %d: "
			    "restart it (systemctl --user restart omgd)",
			    (unsigned long long)p->x.u, PROTO_VERSION);
	} else
		say("fail", "the daemon did not answer status");
	pv_doc_free(&doc);
done:
	buf_free(&req);
	buf_free(&resp);
}

static void
check_pacman(const struct conf *c)
{
	enum stamp_lock	 lk;
	struct stat	 st;
	char		*p, *rel, when[64];
	size_t		 i, missing = 0;

	for (i = 0; i < c->repos.n; i++) {
		rel = xasprintf("sync/%s.db", c->repos.v[i]);
		p = conf_dbfile(c, rel);
		if (access(p, R_OK) == -1) {
			say("warn", "cannot read %s: run pacman -Sy", p);
			missing++;
		}
		free(p);
		free(rel);
	}
	if (missing == 0 && c->repos.n > 0)
		say("ok", "%zu sync databases readable", c->repos.n);
	p = conf_dbfile(c, "local");
	if (access(p, R_OK | X_OK) == -1)
		say("fail", "cannot read the local database %s", p);
	else
		say("ok", "local database %s readable", p);
	free(p);
	lk = stamp_lock(c);
	p = conf_dbfile(c, "db.lck");
	if (lk == STAMP_UNLOCKED)
		say("ok", "pacman is not running (no %s)", p);
	else if (lk == STAMP_LOCKED)
		say("warn", "pacman holds %s: answers come from the last cache "
		    "until it is done", p);
	else {
		if (stat(p, &st) == -1)
			st.st_mtime = 0;
		say("fail", "%s is stale (%s): if no pacman runs, remove it",
		    p, ago(st.st_mtime, when, sizeof(when)));
	}
	free(p);
}

/* The search file embedded searches map (searchfile.h). */
static void
check_search_file(const struct client_opts *o, const struct conf *c)
{
	struct searchfile	*sf;
	struct stat		 st;
	char			*path, *stamp;

	path = searchfile_path(o->cache);
	stamp = stamp_search(c);
	if ((sf = searchfile_open(path, stamp)) != NULL)
		say("ok", "search file %s: current (embedded searches read "
		    "it, not the cache)", path);
	else if (lstat(path, &st) == -1)
		say("warn", "no search file %s: embedded searches read the "
		    "cache (the next one writes it)", path);
	else
		say("warn", "search file %s is older than the databases or "
		    "damaged: embedded searches read the cache (the next one "
		    "writes it again)", path);
	searchfile_close(sf);
	free(stamp);
	free(path);
}

static void
check_cache(const struct client_opts *o, const struct conf *c)
{
	struct cache_info	 ci;
	struct cache		*cache;
	struct stat		 st;
	char			 err[512], when[64], *stamp;
	size_t			 i;
	int			 fixable;

	if (stat(o->cache, &st) == -1) {
		say("warn", "no cache at %s yet: the first query builds it",
		    o->cache);
		return;
	}
	if ((cache = cache_open_ro(o->cache, &fixable, err,
	    sizeof(err))) == NULL) {
		say(fixable ? "warn" : "fail", "%s", err);
		return;
	}
	if (cache_info(cache, &ci) == -1)
		say("warn", "the cache %s holds no build yet", o->cache);
	else {
		stamp = stamp_dbs(c);
		say(strcmp(stamp, ci.stamp) == 0 ? "ok" : "warn",
		    "cache %s: generation %llu, %llu packages, built %s%s",
		    o->cache, (unsigned long long)ci.generation,
		    (unsigned long long)ci.packages,
		    ago(ci.built_at, when, sizeof(when)),
		    strcmp(stamp, ci.stamp) == 0 ? "" :
		    "; older than the databases (the next query rebuilds it)");
		for (i = 0; i + 1 < ci.problems.n; i += 2)
			say("fail", "%s is not served: %s (fix it, then "
			    "omg refresh)", ci.problems.v[i],
			    ci.problems.v[i + 1]);
		free(stamp);
		cache_info_free(&ci);
		check_search_file(o, c);
	}
	cache_close(cache);
}

static void
check_advisories(const struct client_opts *o)
{
	struct stat	st;
	char		when[64];

	if (stat(o->advisories, &st) == -1)
		say("warn", "no advisories at %s: omg audit has nothing to go "
		    "on (systemctl --user enable --now omg-advisories.timer)",
		    o->advisories);
	else if (time(NULL) - st.st_mtime > 3 * 86400)
		say("warn", "advisories %s are from %s: is "
		    "omg-advisories.timer running?", o->advisories,
		    ago(st.st_mtime, when, sizeof(when)));
	else
		say("ok", "advisories %s, fetched %s", o->advisories,
		    ago(st.st_mtime, when, sizeof(when)));
}

static void
check_units(void)
{
	static const char	*dirs[] = { "/etc/systemd/user",
				    "/usr/lib/systemd/user",
				    "/usr/local/lib/systemd/user" };
	const char		*cfg = getenv("XDG_CONFIG_HOME"), *home;
	char			*p = NULL;
	size_t			 i;
	int			 found = 0;

	for (i = 0; i < NELEM(dirs) && !found; i++) {
		p = xasprintf("%s/omgd.socket", dirs[i]);
		found = access(p, R_OK) == 0;
		free(p);
	}
	if (!found) {
		say("warn", "omgd.socket is not installed (make install)");
		return;
	}
	home = getenv("HOME");
	if (cfg != NULL && *cfg == '/')
		p = xasprintf("%s/systemd/user/sockets.target.wants/"
		    "omgd.socket", cfg);
	else
		p = xasprintf("%s/.config/systemd/user/sockets.target.wants/"
		    "omgd.socket", home ? home : "");
	if (access(p, F_OK) == 0)
		say("ok", "omgd.socket is enabled");
	else
		say("warn", "omgd.socket is installed, not enabled "
		    "(systemctl --user enable --now omgd.socket)");
	free(p);
}

int
doctor_run(const struct client_opts *o)
{
	struct conf	*c;
	char		 err[256];

	failed = 0;
	check_socket(o);
	check_daemon(o);
	if ((c = conf_load(o->config, err, sizeof(err))) == NULL)
		say("fail", "%s", err);
	else {
		say(c->repos.n > 0 ? "ok" : "warn", "%s: %zu repositories%s",
		    o->config, c->repos.n, c->repos.n > 0 ? "" :
		    " (search has nothing to search)");
		check_pacman(c);
		check_cache(o, c);
		conf_free(c);
	}
	check_advisories(o);
	check_units();
	return failed;
}
