/*
 * image.c - unit tests for the search image (src/image.c) and the trigram
 * index (src/trigram.c): round trips, every truncation and corruption of
 * an image refused, and candidates always a superset of the true matches.
 */
#include <stdlib.h>
#include <string.h>

#include "image.h"
#include "trigram.h"
#include "tap.h"

static int
same(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL &&
	    strcmp(a, b) == 0);
}

/* Every row whose lower-case text holds s, by brute force. */
static size_t
brute(const struct image_row *v, size_t n, const char *s, uint32_t *out)
{
	size_t	i, k = 0;

	for (i = 0; i < n; i++)
		if (strstr(v[i].lname, s) || strstr(v[i].ldesc, s) ||
		    strstr(v[i].lprov, s) || strstr(v[i].lgroups, s))
			out[k++] = (uint32_t)i;
	return k;
}

int
main(void)
{
	static const char *words[] = { "Lib", "fire", "fox", "gtk", "Python",
	    "zstd", "font", "x11", "-git", "ab" };
	struct buf		 b = { 0 }, c = { 0 };
	struct image_row	*v, *w;
	struct trigram		*ix;
	const char		**text;
	size_t			*len, n, i, j, k, nc, bad = 0, miss = 0,
				 under = 0;
	uint32_t		*cand, want[600];
	char			 name[64], desc[128], *big;

	image_begin(&b);
	image_add(&b, 0, "core", "Glibc", "2.30-1", "GNU C Library",
	    "libc.so=6-64\nLD>=2", "base\nBase-Devel", "2.29-1");
	image_add(&b, 2, "extra", "e", "1-1", "", "", "", NULL);
	v = image_rows((const char *)b.data, b.len, &n);
	ok(v != NULL && n == 2, "two rows back");
	ok(v != NULL && v[0].ord == 0 && same(v[0].repo, "core") &&
	    same(v[0].name, "Glibc") && same(v[0].version, "2.30-1") &&
	    same(v[0].desc, "GNU C Library") &&
	    same(v[0].groups, "base\nBase-Devel") &&
	    same(v[0].installed, "2.29-1"), "fields as written");
	ok(v != NULL && same(v[0].provnames, "libc.so\nLD") &&
	    same(v[0].lprov, "libc.so\nld"), "provides: names only");
	ok(v != NULL && same(v[0].lname, "glibc") &&
	    same(v[0].ldesc, "gnu c library") &&
	    same(v[0].lgroups, "base\nbase-devel"), "lower-case copies");
	ok(v != NULL && v[1].installed == NULL && same(v[1].desc, "") &&
	    v[1].ord == 2, "empty strings; not installed");
	ok(v != NULL && v[0].lname + v[0].lowerlen ==
	    v[0].lgroups + strlen(v[0].lgroups) + 1,
	    "lowerlen spans the four lower-case strings");
	free(v);

	/* Every truncation is refused, and no byte flip reads past the end. */
	for (i = 0; i < b.len; i++) {
		buf_reset(&c);
		buf_add(&c, b.data, i);
		if ((v = image_rows((const char *)c.data, c.len, &n)) != NULL &&
		    i > sizeof("omg-search-1")) {
			/* A cut between rows is a whole image of fewer. */
			if (n >= 2)
				bad++;
		}
		free(v);
	}
	ok(bad == 0, "truncated images: never the whole image");
	for (i = 0; i < b.len; i++) {
		buf_reset(&c);
		buf_add(&c, b.data, b.len);
		c.data[i] ^= 0xff;
		free(image_rows((const char *)c.data, c.len, &n));
	}
	ok(1, "every flipped byte: refused or read within bounds (ASan)");
	big = malloc(300);
	memset(big, 'a', 299);
	big[299] = '\0';
	image_begin(&b);
	image_add(&b, 1, "core", big, "1", big, "", "", NULL);
	v = image_rows((const char *)b.data, b.len, &n);
	ok(v != NULL && n == 1 && strlen(v[0].name) == 299,
	    "lengths over 127 (two-byte varints)");
	free(v);
	free(big);

	/* The index: candidates hold every true match. */
	image_begin(&b);
	srand(7);
	for (i = 0; i < 500; i++) {
		snprintf(name, sizeof(name), "%s%s%zu", words[rand() % 10],
		    words[rand() % 10], i);
		snprintf(desc, sizeof(desc), "%s %s %s", words[rand() % 10],
		    words[rand() % 10], words[rand() % 10]);
		image_add(&b, (int)(i % 3), "extra", name, "1-1", desc,
		    i % 7 ? "" : "libfoo.so=1", i % 5 ? "" : "X11-Apps", NULL);
	}
	w = image_rows((const char *)b.data, b.len, &n);
	text = calloc(n, sizeof(*text));
	len = calloc(n, sizeof(*len));
	for (i = 0; i < n; i++) {
		text[i] = w[i].lname;
		len[i] = w[i].lowerlen;
	}
	ix = trigram_build(text, len, n);
	for (i = 0; i < 10; i++)
		for (j = 0; j < 10; j++) {
			char		 q[32];
			const char	*qs[1] = { q };
			size_t		 l;

			snprintf(q, sizeof(q), "%s%s", words[i], words[j]);
			for (l = 0; q[l] != '\0'; l++)
				if (q[l] >= 'A' && q[l] <= 'Z')
					q[l] += 'a' - 'A';
			cand = trigram_find(ix, qs, 1, &nc);
			k = brute(w, n, q, want);
			for (l = 0; l < k; l++) {
				size_t	m;

				for (m = 0; m < nc && cand[m] != want[l]; m++)
					;
				miss += m == nc;
			}
			for (l = 1; l < nc; l++)
				miss += cand[l - 1] >= cand[l];
			under += trigram_bound(ix, qs, 1) < nc;
			free(cand);
		}
	ok(miss == 0, "100 queries: every match among the candidates, "
	    "candidates ascending");
	ok(under == 0, "100 queries: trigram_bound never under the "
	    "candidates");
	{
		const char	*qs[2] = { "lib", "x11-apps" };

		cand = trigram_find(ix, qs, 2, &nc);
		ok(trigram_bound(ix, qs, 2) >= nc &&
		    trigram_bound(ix, qs, 2) < n,
		    "two strings: bound %zu, at least the candidates, under "
		    "the rows", trigram_bound(ix, qs, 2));
		for (i = 0, k = 0; i < n; i++)
			k += (strstr(w[i].lname, "lib") ||
			    strstr(w[i].ldesc, "lib") ||
			    strstr(w[i].lprov, "lib")) &&
			    strstr(w[i].lgroups, "x11-apps") != NULL;
		ok(nc >= k && nc < n / 2,
		    "two strings: the candidates narrow (%zu of %zu, %zu match)",
		    nc, n, k);
		free(cand);
	}
	{
		const char	*qs[1] = { "fire" };
		struct trigram	*lx;
		uint32_t	*c2;
		size_t		 n2, at;

		buf_reset(&c);
		trigram_save(ix, &c);
		lx = trigram_load(c.data, c.len);
		cand = trigram_find(ix, qs, 1, &nc);
		c2 = lx ? trigram_find(lx, qs, 1, &n2) : NULL;
		ok(lx != NULL && c2 != NULL && n2 == nc && nc > 0 &&
		    memcmp(cand, c2, nc * sizeof(*cand)) == 0,
		    "saved and loaded: the same candidates (%zu)", nc);
		free(cand);
		free(c2);
		trigram_free(lx);
		ok(trigram_load(c.data, c.len - 1) == NULL,
		    "a truncated index is refused");
		at = 16 + 4 * 1000;
		c.data[at + 3] ^= 0x40;		/* an offset out of order */
		ok(trigram_load(c.data, c.len) == NULL,
		    "offsets out of order are refused");
		c.data[at + 3] ^= 0x40;
		c.data[0] ^= 1;
		ok(trigram_load(c.data, c.len) == NULL,
		    "a wrong magic is refused");
	}
	trigram_free(ix);
	free(text);
	free(len);
	free(w);
	buf_free(&b);
	buf_free(&c);
	return tap_done();
}
