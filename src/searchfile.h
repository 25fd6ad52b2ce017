/*
 * searchfile.h - the search image (image.h) and its trigram index in a
 * file of their own beside the cache, so that an embedded search maps it
 * and answers without loading SQLite.
 *
 * The rebuild writes it after each commit; a client that finds it absent
 * or damaged writes it again from the cache.  It holds the stamp of the
 * pacman databases it was built from (stamp.h): a reader takes it only
 * when that stamp is the databases' own now, so it is never older than
 * the cache would be.  Written to a temporary file, synced and renamed
 * over: a reader sees one whole file or the one before.
 *
 * Layout, host order (it never leaves its machine), 4-byte aligned: the
 * magic "omg-searchfile1\0", five 4-byte counts (the stamp's length, the
 * rows, the rows not all ASCII, the image's and the index's lengths) and
 * 4 bytes of zeros; the stamp; each row's offset in the image and the
 * image's length (rows + 1); the rows not all ASCII, ascending; the
 * image; the index.  Each part starts 4-byte aligned.
 */
#ifndef OMG_SEARCHFILE_H
#define OMG_SEARCHFILE_H

#include <stddef.h>
#include <stdint.h>

struct searchfile {
	const char	*image;		/* the image's bytes */
	size_t		 imagelen;
	const uint32_t	*off;		/* row i: image[off[i]..off[i + 1]),
					   checked when it is read */
	size_t		 n;		/* rows */
	const uint32_t	*nonascii;	/* checked: ascending, < n */
	size_t		 nnonascii;
	const uint8_t	*index;		/* trigram_map's (0 bytes: none) */
	size_t		 indexlen;
	void		*map;
	size_t		 maplen;
};

/* The search file of the cache at path.  Caller frees. */
char			*searchfile_path(const char *);
/*
 * Write the file at path for the image and index, built from the pacman
 * databases of stamp.  0, or -1 with err.
 */
int			 searchfile_write(const char *, const char *,
			    const uint8_t *, size_t, const uint8_t *, size_t,
			    char *, size_t);
/*
 * The file at path mapped, when it is whole and was built from the
 * databases of stamp; else NULL.
 */
struct searchfile	*searchfile_open(const char *, const char *);
void			 searchfile_close(struct searchfile *);

#endif
