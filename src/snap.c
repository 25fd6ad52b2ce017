/*
 * snap.c - the per-generation snapshot of what the queries read.
 */
#include <stdlib.h>
#include <string.h>

#include "kept.h"
#include "proto.h"
#include "searchfile.h"
#include "snap.h"

/* Rows read from the search file: a few pages each, filled in turn
   (one calloc'd row a package would fault in a page a row). */
#define ROW_CHUNK	128

struct row_chunk {
	struct row_chunk	*next;
	size_t			 n;
	struct image_row	 v[ROW_CHUNK];
};

void
snap_release(struct query_snap *sn)
{
	struct row_chunk	*rc;
	size_t			 i;

	if (sn == NULL ||
	    __atomic_sub_fetch(&sn->refs, 1, __ATOMIC_ACQ_REL) > 0)
		return;
	while ((rc = sn->read) != NULL) {
		sn->read = rc->next;
		free(rc);
	}
	for (i = 0; i < sn->nnames; i++) {
		free(sn->names[i].name);
		free(sn->names[i].lname);
	}
	free(sn->names);
	free(sn->inst);
	buf_free(&sn->inst_cbor);
	strv_free(&sn->runtimes);
	strv_free(&sn->local);
	cache_info_free(&sn->info);
	free(sn->nonascii);
	free(sn->v);
	buf_free(&sn->image);
	buf_free(&sn->index);
	trigram_free(sn->tri);
	free(sn);
}

struct query_snap *
snap_get(struct query *q)
{
	if (q->snap == NULL) {
		q->snap = xcalloc(1, sizeof(*q->snap));
		q->snap->refs = 1;
	}
	return q->snap;
}

/* The rows of the search file: read one by one as a search asks for
   them (snap_row), the index in place. */
static void
rows_mapped(struct query_snap *sn, const struct searchfile *sf)
{
	sn->sfile = sf;
	sn->n = sf->n;
	sn->nnonascii = sf->nnonascii;
	sn->nonascii = xreallocarray(NULL, sn->nnonascii + 1,
	    sizeof(*sn->nonascii));
	memcpy(sn->nonascii, sf->nonascii, sn->nnonascii *
	    sizeof(*sn->nonascii));
	if (sf->indexlen > 0)
		sn->tri = trigram_map(sf->index, sf->indexlen);
}

const struct image_row *
snap_row_read(struct query_snap *sn, size_t i)
{
	static const char		 nuls[4];
	static const struct image_row	 none = { nuls, nuls + 1, nuls + 2,
					    nuls + 3, 4, "", -1, 1, "", "",
					    "", "", "", NULL };
	const struct searchfile		*sf = sn->sfile;
	struct row_chunk		*rc;
	struct image_row		*r;
	const char			*p, *end;

	if (sf == NULL || sf->off[i] >= sf->off[i + 1] ||
	    sf->off[i + 1] > sf->imagelen) {
		sn->damaged = 1;
		return &none;
	}
	if ((rc = sn->read) == NULL || rc->n == ROW_CHUNK) {
		rc = xmalloc(sizeof(*rc));
		rc->n = 0;
		rc->next = sn->read;
		sn->read = rc;
	}
	r = &rc->v[rc->n];
	p = sf->image + sf->off[i];
	end = sf->image + sf->off[i + 1];
	if (image_next(&p, end, r) == -1 || p != end) {
		sn->damaged = 1;
		return &none;
	}
	rc->n++;
	return r;
}

struct query_snap *
snap_rows(struct query *q)
{
	struct query_snap	*sn = snap_get(q);
	int			 lasting;

	if (!sn->have_rows && q->sfile != NULL) {
		rows_mapped(sn, q->sfile);
		sn->have_rows = 1;
	}
	if (!sn->have_rows) {
		/* A daemon takes the index the rebuild made, too. */
		lasting = strcmp(q->mode, "daemon") == 0;
		if (cache_image(q->cache, &sn->image, lasting ? &sn->index :
		    NULL) == -1 ||
		    (sn->v = image_rows((const char *)sn->image.data,
		    sn->image.len, &sn->n)) == NULL)
			return NULL;
		if (sn->index.len > 0)
			sn->tri = trigram_load(sn->index.data, sn->index.len);
		sn->have_rows = 1;
	}
	return sn;
}

static int
name_add(void *arg, const char *name, const char *unused)
{
	struct query_snap	*sn = arg;

	(void)unused;
	if (sn->nnames == sn->capnames) {
		sn->capnames = sn->capnames ? sn->capnames * 2 : 1024;
		sn->names = xreallocarray(sn->names, sn->capnames,
		    sizeof(*sn->names));
	}
	sn->names[sn->nnames].name = xstrdup(name);
	sn->names[sn->nnames++].lname = str_lower_dup(name);
	return 0;
}

static int
name_cmp(const void *a, const void *b)
{
	const struct name	*x = a, *y = b;
	int			 c = strcmp(x->lname, y->lname);

	return c != 0 ? c : strcmp(x->name, y->name);
}

struct query_snap *
snap_names(struct query *q)
{
	struct query_snap	*sn = snap_get(q);

	if (!sn->have_names) {
		if (cache_each_name(q->cache, name_add, sn) == -1)
			return NULL;
		if (sn->nnames > 1)
			qsort(sn->names, sn->nnames, sizeof(*sn->names),
			    name_cmp);
		sn->have_names = 1;
	}
	return sn;
}

static int
installed_add(void *arg, const struct cache_installed *p)
{
	struct query_snap	*sn = arg;
	struct snap_installed	*s;

	sn->inst = xreallocarray(sn->inst, sn->ninst + 1, sizeof(*sn->inst));
	s = &sn->inst[sn->ninst++];
	s->update = p->new_version != NULL;
	s->reason = p->reason;
	s->required = p->required;
	s->optional = p->optional;
	s->foreign = p->foreign;
	s->ignored = p->ignored;
	/* Its entry in a list answer, encoded once: a list of thousands
	   is then copied, not encoded, when asked. */
	s->off = sn->inst_cbor.len;
	proto_enc_map(&sn->inst_cbor, 4);
	proto_enc_kv_str(&sn->inst_cbor, "name", p->name);
	proto_enc_kv_str(&sn->inst_cbor, "version", p->version);
	proto_enc_kv_str(&sn->inst_cbor, "update", p->new_version);
	proto_enc_str(&sn->inst_cbor, "ignored");
	proto_enc_bool(&sn->inst_cbor, p->ignored);
	s->len = sn->inst_cbor.len - s->off;
	return 0;
}

struct query_snap *
snap_installed(struct query *q)
{
	struct query_snap	*sn = snap_get(q);

	if (!sn->have_inst) {
		if (cache_each_installed(q->cache, installed_add, sn) == -1) {
			/* None of it: the next try reads them all again. */
			sn->ninst = 0;
			buf_reset(&sn->inst_cbor);
			return NULL;
		}
		sn->have_inst = 1;
	}
	return sn;
}

struct query_snap *
snap_hold(struct query *q)
{
	struct query_snap	*sn;

	if ((sn = snap_installed(q)) != NULL)
		__atomic_add_fetch(&sn->refs, 1, __ATOMIC_RELAXED);
	return sn;
}

/* The same search again in this generation: the same bytes. */
int
snap_result_send(const struct query *q, const char *key, uint64_t id,
    struct buf *out)
{
	/* Set once, by the query's holder; read by the answer threads. */
	return kept_send(__atomic_load_n(&q->kept, __ATOMIC_ACQUIRE), key, id,
	    out);
}

int
snap_result_has(const struct query *q, const char *key)
{
	return kept_has(__atomic_load_n(&q->kept, __ATOMIC_ACQUIRE), key);
}

void
snap_result_put(struct query *q, const char *key, const uint8_t *p, size_t n)
{
	if (q->kept == NULL)
		__atomic_store_n(&q->kept, kept_new(), __ATOMIC_RELEASE);
	kept_put(q->kept, key, p, n);
}

/*
 * The cache could not be read (damaged, truncated, replaced): the error,
 * and the daemon is told, to rebuild it.
 */
void
snap_unreadable(struct query *q, uint64_t id, struct buf *out)
{
	q->unreadable = 1;
	if (q->broken != NULL) {
		q->broken(q->hook_arg);
		proto_enc_error(out, id, PROTO_E_INTERNAL, "cannot read the "
		    "cache; it is being rebuilt");
	} else
		proto_enc_error(out, id, PROTO_E_INTERNAL,
		    "cannot read the cache");
}
