/*
 * vercmp.c - [epoch:]version[-release] compared the way libalpm does it
 * (lib/libalpm/version.c): epochs as numbers, then version and release
 * segment by segment, rpmvercmp style.  tests/unit/vercmp checks it
 * against pacman's own vercmp(8) on thousands of pairs.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "vercmp.h"

/* Compare two version (or release) strings of lengths la and lb. */
static int
segcmp(const char *a, size_t la, const char *b, size_t lb)
{
	const char	*ea = a + la, *eb = b + lb, *sa, *sb;
	size_t		 na, nb;
	int		 num, rc;

	if (la == lb && memcmp(a, b, la) == 0)
		return 0;
	while (a < ea && b < eb) {
		sa = a;
		sb = b;
		while (a < ea && !isalnum((unsigned char)*a))
			a++;
		while (b < eb && !isalnum((unsigned char)*b))
			b++;
		if (a == ea || b == eb)
			break;
		/* Different separator lengths decide. */
		if (a - sa != b - sb)
			return a - sa < b - sb ? -1 : 1;
		sa = a;
		sb = b;
		num = isdigit((unsigned char)*a);
		if (num) {
			while (a < ea && isdigit((unsigned char)*a))
				a++;
			while (b < eb && isdigit((unsigned char)*b))
				b++;
		} else {
			while (a < ea && isalpha((unsigned char)*a))
				a++;
			while (b < eb && isalpha((unsigned char)*b))
				b++;
		}
		/* A number against letters: the number is newer. */
		if (b == sb)
			return num ? 1 : -1;
		if (num) {
			while (sa < a && *sa == '0')
				sa++;
			while (sb < b && *sb == '0')
				sb++;
			na = (size_t)(a - sa);
			nb = (size_t)(b - sb);
			if (na != nb)
				return na > nb ? 1 : -1;
		} else {
			na = (size_t)(a - sa);
			nb = (size_t)(b - sb);
		}
		rc = memcmp(sa, sb, na < nb ? na : nb);
		if (rc == 0 && na != nb)
			rc = na < nb ? -1 : 1;
		if (rc != 0)
			return rc < 0 ? -1 : 1;
	}
	if (a == ea && b == eb)
		return 0;
	/* What is left: letters lose to nothing, anything else wins. */
	if ((a == ea && !isalpha((unsigned char)*b)) ||
	    (a < ea && isalpha((unsigned char)*a)))
		return -1;
	return 1;
}

struct evr {
	const char	*e, *v, *r;
	size_t		 le, lv, lr;
	int		 has_r;
};

static void
parse(const char *s, struct evr *p)
{
	const char	*c = s, *dash;

	while (isdigit((unsigned char)*c))
		c++;
	dash = strrchr(c, '-');
	if (*c == ':') {
		p->e = s;
		p->le = (size_t)(c - s);
		if (p->le == 0) {
			p->e = "0";
			p->le = 1;
		}
		p->v = c + 1;
	} else {
		p->e = "0";
		p->le = 1;
		p->v = s;
	}
	if (dash != NULL) {
		p->lv = (size_t)(dash - p->v);
		p->r = dash + 1;
		p->lr = strlen(p->r);
		p->has_r = 1;
	} else {
		p->lv = strlen(p->v);
		p->r = "";
		p->lr = 0;
		p->has_r = 0;
	}
}

int
vercmp(const char *a, const char *b)
{
	struct evr	x, y;
	int		rc;

	if (a == NULL || b == NULL)
		return a == b ? 0 : a == NULL ? -1 : 1;
	if (strcmp(a, b) == 0)
		return 0;
	parse(a, &x);
	parse(b, &y);
	if ((rc = segcmp(x.e, x.le, y.e, y.le)) != 0)
		return rc;
	if ((rc = segcmp(x.v, x.lv, y.v, y.lv)) != 0)
		return rc;
	if (x.has_r && y.has_r)
		return segcmp(x.r, x.lr, y.r, y.lr);
	return 0;
}
