/*
 * intern.c - an open-addressing hash table of byte strings, the strings
 * kept in one growing arena (offset and length in each slot).
 */
#include <stdlib.h>
#include <string.h>

#include "intern.h"
#include "util.h"

struct slot {
	uint64_t	hash;
	size_t		off;
	uint32_t	len;
	uint32_t	id;		/* 0: empty */
};

struct intern {
	struct slot	*slot;
	size_t		 cap;		/* a power of two */
	size_t		 n;
	struct buf	 arena;
};

static uint64_t
hash(const char *s, size_t n)
{
	uint64_t	h = 0xcbf29ce484222325ULL;

	while (n-- > 0)
		h = (h ^ (unsigned char)*s++) * 0x100000001b3ULL;
	return h;
}

struct intern *
intern_new(void)
{
	struct intern	*t;

	t = xcalloc(1, sizeof(*t));
	t->cap = 1024;
	t->slot = xcalloc(t->cap, sizeof(*t->slot));
	return t;
}

static void
grow(struct intern *t)
{
	struct slot	*old = t->slot;
	size_t		 i, j, cap = t->cap;

	t->cap *= 2;
	t->slot = xcalloc(t->cap, sizeof(*t->slot));
	for (i = 0; i < cap; i++) {
		if (old[i].id == 0)
			continue;
		for (j = old[i].hash & (t->cap - 1); t->slot[j].id != 0;
		    j = (j + 1) & (t->cap - 1))
			;
		t->slot[j] = old[i];
	}
	free(old);
}

uint32_t
intern_id(struct intern *t, const char *s, size_t n, int *fresh)
{
	uint64_t	 h = hash(s, n);
	size_t		 j;
	struct slot	*sl;

	if ((t->n + 1) * 4 > t->cap * 3)
		grow(t);
	for (j = h & (t->cap - 1); t->slot[j].id != 0;
	    j = (j + 1) & (t->cap - 1)) {
		sl = &t->slot[j];
		if (sl->hash == h && sl->len == n &&
		    memcmp(t->arena.data + sl->off, s, n) == 0) {
			*fresh = 0;
			return sl->id;
		}
	}
	sl = &t->slot[j];
	sl->hash = h;
	sl->off = t->arena.len;
	sl->len = (uint32_t)n;
	sl->id = (uint32_t)++t->n;
	buf_add(&t->arena, s, n);
	*fresh = 1;
	return sl->id;
}

void
intern_free(struct intern *t)
{
	if (t == NULL)
		return;
	free(t->slot);
	buf_free(&t->arena);
	free(t);
}
