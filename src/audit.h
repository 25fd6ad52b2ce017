/*
 * audit.h - Arch security advisories (AVGs) against installed packages,
 * with arch-audit's semantics.  Pure: no files, no SQLite; query.c feeds
 * it what cache.c parsed.
 */
#ifndef OMG_AUDIT_H
#define OMG_AUDIT_H

#include <stddef.h>

#include "util.h"

struct audit_avg {
	char		*name;		/* "AVG-123" */
	char		*status;	/* "Vulnerable", "Fixed", "Not affected" */
	char		*severity;	/* "Critical", "High", "Medium", "Low" */
	char		*type;
	char		*fixed;		/* NULL: no fixed version */
	struct strv	 packages;
	struct strv	 issues;	/* CVE ids */
};

struct audit_ref;

struct audit_db {
	struct audit_avg	*v;
	size_t			 n, cap;
	struct audit_ref	*idx;		/* (package, avg) by package */
	size_t			 nidx;
};

/* One affected installed package: its AVGs merged. */
struct audit_hit {
	char		*name;
	char		*installed;
	int		 rank;		/* of the worst severity; 0 unknown */
	const char	*severity;
	const char	*type;		/* of the worst AVG */
	char		*fixed;		/* the highest fix, NULL if any AVG
					   that applies has none */
	struct strv	 avgs;
	struct strv	 cves;
};

/* Takes copies; packages and issues are copied too. */
void	audit_db_add(struct audit_db *, const char *, const char *,
	    const char *, const char *, const char *, const struct strv *,
	    const struct strv *);
/* Call once after the last audit_db_add, before audit_check. */
void	audit_db_index(struct audit_db *);
void	audit_db_free(struct audit_db *);

/*
 * Is the package name, installed at version, affected?  An AVG applies
 * when it lists exactly that name, its status is not "Not affected", and
 * it has no fixed version or the installed one is older (vercmp).  Fills
 * hit (free with audit_hit_free) and returns 1, or returns 0.
 */
int	audit_check(const struct audit_db *, const char *, const char *,
	    struct audit_hit *);
void	audit_hit_free(struct audit_hit *);
/* Severity order for sorting: higher is worse. */
int	audit_rank(const char *);

#endif
