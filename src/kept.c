/*
 * kept.c - answers kept per generation, read under a read lock.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kept.h"
#include "proto.h"

struct kept_one {
	uint64_t	 hash;
	char		*key;
	struct buf	 cbor;
};

struct kept {
	pthread_rwlock_t	 lock;
	struct kept_one		 v[KEPT_MAX];
	size_t			 n, next;	/* next: the oldest, when full */
};

/* FNV-1a: most keys differ here, before a strcmp. */
static uint64_t
key_hash(const char *s)
{
	uint64_t	h = 14695981039346656037ULL;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

struct kept *
kept_new(void)
{
	struct kept	*k = xcalloc(1, sizeof(*k));

	/* It fails only for want of memory (POSIX), as xmalloc does. */
	if (pthread_rwlock_init(&k->lock, NULL) != 0) {
		fprintf(stderr, "omg: out of memory (a lock)\n");
		exit(3);
	}
	return k;
}

static void
forget(struct kept *k)
{
	size_t	i;

	for (i = 0; i < k->n; i++) {
		free(k->v[i].key);
		buf_free(&k->v[i].cbor);
	}
	k->n = k->next = 0;
}

void
kept_free(struct kept *k)
{
	if (k == NULL)
		return;
	forget(k);
	pthread_rwlock_destroy(&k->lock);
	free(k);
}

/* The entry for key, or NULL; under the lock. */
static const struct kept_one *
find(const struct kept *k, const char *key)
{
	uint64_t	h = key_hash(key);
	size_t		i;

	for (i = 0; i < k->n; i++)
		if (k->v[i].hash == h && strcmp(k->v[i].key, key) == 0)
			return &k->v[i];
	return NULL;
}

int
kept_send(struct kept *k, const char *key, uint64_t id, struct buf *out)
{
	const struct kept_one	*e;

	if (k == NULL)
		return 0;
	pthread_rwlock_rdlock(&k->lock);
	if ((e = find(k, key)) != NULL) {
		proto_enc_result(out, id);
		buf_add(out, e->cbor.data, e->cbor.len);
	}
	pthread_rwlock_unlock(&k->lock);
	return e != NULL;
}

int
kept_has(struct kept *k, const char *key)
{
	int	has;

	if (k == NULL)
		return 0;
	pthread_rwlock_rdlock(&k->lock);
	has = find(k, key) != NULL;
	pthread_rwlock_unlock(&k->lock);
	return has;
}

void
kept_put(struct kept *k, const char *key, const uint8_t *p, size_t n)
{
	struct kept_one	*e;

	pthread_rwlock_wrlock(&k->lock);
	if (k->n < KEPT_MAX)
		e = &k->v[k->n++];
	else {
		e = &k->v[k->next];	/* the oldest goes */
		k->next = (k->next + 1) % KEPT_MAX;
		free(e->key);
		buf_reset(&e->cbor);
	}
	e->hash = key_hash(key);
	e->key = xstrdup(key);
	buf_add(&e->cbor, p, n);
	pthread_rwlock_unlock(&k->lock);
}

void
kept_clear(struct kept *k)
{
	if (k == NULL)
		return;
	pthread_rwlock_wrlock(&k->lock);
	forget(k);
	pthread_rwlock_unlock(&k->lock);
}
