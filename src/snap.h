/*
 * snap.h - what the queries read from the cache once per generation
 * (search rows, sorted names, counts and runtimes; the answers already
 * encoded are q->kept's), shared by the op modules: search, suggest,
 * info, status.  query_reset drops it after every rebuild.
 */
#ifndef OMG_SNAP_H
#define OMG_SNAP_H

#include "cache.h"
#include "image.h"
#include "query.h"
#include "trigram.h"
#include "util.h"

struct name {
	char	*name;
	char	*lname;		/* lower case, the sort key */
};

/* An installed package as pacman -Q's filters see it (cache_installed). */
struct snap_installed {
	int	 reason, required, optional, foreign, ignored;
	int	 update;	/* a newer sync version */
	size_t	 off, len;	/* its list entry in inst_cbor */
};

/*
 * What the queries read from the cache, once per generation and only the
 * parts a request needs: search rows, the sorted names for suggest, the
 * counts and runtimes for status.
 */
struct query_snap {
	struct buf		 image;		/* the rows point into it */
	struct buf		 index;		/* the daemon's: tri's bytes */
	struct image_row	*v;		/* the sync packages, or NULL:
						   in sfile (snap_row) */
	size_t			 n;
	const struct searchfile	*sfile;		/* the search file, or NULL */
	struct row_chunk	*read;		/* the rows read from it */
	int			 damaged;	/* a row there was not whole */
	int			 have_rows;
	uint32_t		*nonascii;	/* rows not all ASCII; lazily */
	size_t			 nnonascii;
	struct trigram		*tri;		/* the rebuild's index of the
						   rows (daemon), or NULL */
	struct name		*names;
	size_t			 nnames, capnames;
	int			 have_names;
	struct cache_counts	 counts;
	struct cache_info	 info;
	struct strv		 runtimes;	/* name, version, name, ... */
	int			 have_status;
	struct strv		 local;		/* name, version, ... */
	int			 have_local;
	struct snap_installed	*inst;		/* pacman -Q's order */
	size_t			 ninst;
	struct buf		 inst_cbor;	/* each one's list entry */
	int			 have_inst;
	unsigned		 refs;		/* q->snap's, and holders'
						   (atomic) */
};

struct query_snap	*snap_get(struct query *);
/* Row i of the rows (i < n), read from the search file (once a time
   it is asked: a search asks once); when it cannot be, an empty row, and
   damaged is set. */
const struct image_row	*snap_row_read(struct query_snap *, size_t);

static inline const struct image_row *
snap_row(struct query_snap *sn, size_t i)
{
	return sn->v != NULL ? &sn->v[i] : snap_row_read(sn, i);
}

/* With the search rows (and the daemon's index), or NULL. */
struct query_snap	*snap_rows(struct query *);
/* With the names sorted for suggest, or NULL. */
struct query_snap	*snap_names(struct query *);
/* With the installed packages (list), or NULL. */
struct query_snap	*snap_installed(struct query *);
/*
 * Under the query lock: a reference to the snapshot with its installed
 * packages (read if need be), or NULL when they cannot be read.  What a
 * holder reads of it (inst, inst_cbor) does not change once read, so it
 * reads it without the lock, while the loop swaps generations.
 */
struct query_snap	*snap_hold(struct query *);
/* Drop a reference (q->snap's, or a holder's): the last frees it. */
void			 snap_release(struct query_snap *);
/* An answer already encoded in this generation (q->kept), by key, as
   the result of id appended to out: 1, or 0 (none). */
int			 snap_result_send(const struct query *, const char *,
			    uint64_t, struct buf *);
int			 snap_result_has(const struct query *, const char *);
/* Keep the CBOR of a result p[0..n) for key, for this generation. */
void			 snap_result_put(struct query *, const char *,
			    const uint8_t *, size_t);
/* Answer that the cache could not be read, and tell the daemon. */
void			 snap_unreadable(struct query *, uint64_t,
			    struct buf *);

#endif
