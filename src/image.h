/*
 * image.h - the search image: every sync package's search fields, with
 * the lower-case copies a literal search reads, in one byte string.  The
 * rebuild writes it into the cache beside the rows; a query process reads
 * it whole and points into it, instead of fetching and copying row by row.
 *
 * Layout: the magic "omg-search-1\0", then per package its order (4 bytes,
 * host order: the cache never leaves its machine), the lengths of its
 * eleven strings (varints, 7 bits a byte, low first), and the strings,
 * each NUL-ended: repo, name, version, description, groups and provide
 * names ('\n'-joined), the installed version ("" for none), then the
 * name, description, provide names and groups in lower case.  A reader
 * checks every length and NUL against the end.
 */
#ifndef OMG_IMAGE_H
#define OMG_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* What a search scans comes first: one cache line. */
struct image_row {
	const char	*lname, *ldesc, *lprov, *lgroups;
	size_t		 lowerlen;	/* lname to the end of lgroups' NUL */
	const char	*name;
	int32_t		 ord;
	uint8_t		 ascii;		/* its searched text is all ASCII */
	const char	*repo, *version, *desc, *groups, *provnames;
	const char	*installed;		/* NULL when not installed */
};

/* Start an image in b (reset first). */
void	image_begin(struct buf *);
/* Append one package: provides as pacman stores them ("a>=1\nb"). */
void	image_add(struct buf *, int, const char *, const char *, const char *,
	    const char *, const char *, const char *, const char *);
/*
 * The packages of the image p[0..len), pointing into p (which must stay):
 * a new array of *n rows, or NULL when p is not a whole image.
 */
struct image_row	*image_rows(const char *, size_t, size_t *);
/* Where the first row of the image p[0..len) begins, or 0: no image. */
size_t			 image_start(const char *, size_t);
/*
 * The row at *p (before end) into r, pointing into the bytes, and *p past
 * it: 0, or -1 when the bytes there are not a whole row.
 */
int			 image_next(const char **, const char *,
			    struct image_row *);

struct trigram;
/* A trigram index (trigram.h) over the rows' lower-case text. */
struct trigram		*image_index(const struct image_row *, size_t);

#endif
