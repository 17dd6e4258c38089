/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-worker fixed-size object pools: slabs carved into objects, a free list through the
 * objects' first word, O(1) get and put. HB_POOL_DEBUG turns them into counted malloc/free.
 */
#include <stdalign.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <quic/error.h>
#include <quic/pool.h>

#if defined(__SANITIZE_ADDRESS__)
#define POOL_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define POOL_ASAN 1
#endif
#endif

#ifdef POOL_ASAN
#include <sanitizer/asan_interface.h>
#define POISON(p, n)   ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define POISON(p, n)   ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

/* A slab aims at this many bytes of objects, so that growing costs one malloc per ~64 KiB. */
#define SLAB_BYTES (64u * 1024u)

/* Slab header; the objects follow it, aligned like max_align_t. */
struct quic_pool_slab {
	struct quic_pool_slab *next;
	uint32_t count;
	alignas(max_align_t) unsigned char objs[];
};

#ifndef HB_POOL_DEBUG
/* Push an object on the free list; it stays poisoned while there. */
static void
free_push(struct quic_pool *p, void *obj)
{
	*(void **)obj = p->free_list;
	p->free_list = obj;
	POISON(obj, p->obj_size);
}

/* Back up to n more objects with one new slab and put them on the free list. */
static int
add_slab(struct quic_pool *p, uint32_t n)
{
	struct quic_pool_slab *s;
	uint32_t i;

	s = malloc(sizeof(*s) + (size_t)n * p->obj_size);
	if (s == NULL)
		return QUIC_ERR_NOMEM;
	s->count = n;
	s->next = p->slabs;
	p->slabs = s;
	p->backed += n;
	/* Highest address first, so objects come out of the slab in address order. */
	for (i = n; i > 0; i--)
		free_push(p, s->objs + (size_t)(i - 1) * p->obj_size);
	return 0;
}

/* Objects per new slab: about SLAB_BYTES worth, never beyond the cap. */
static uint32_t
slab_objs(const struct quic_pool *p)
{
	size_t n = SLAB_BYTES / p->obj_size;

	if (n == 0)
		n = 1;
	if (n > p->cap - p->backed)
		n = p->cap - p->backed;
	return (uint32_t)n;
}
#endif

int
quic_pool_init(struct quic_pool *p, size_t obj_size, uint32_t cap, uint32_t prealloc)
{
	const size_t align = alignof(max_align_t);

	*p = (struct quic_pool){0};
	if (obj_size == 0 || obj_size > SIZE_MAX / 2 || cap == 0 || prealloc > cap)
		return QUIC_ERR_INVAL;
	/* Room for the free-list link, and every object aligned for any type. */
	if (obj_size < sizeof(void *))
		obj_size = sizeof(void *);
	p->obj_size = (obj_size + align - 1) / align * align;
	p->cap = cap;
#ifndef HB_POOL_DEBUG
	while (p->backed < prealloc) {
		uint32_t n = slab_objs(p);

		if (n > prealloc - p->backed)
			n = prealloc - p->backed;
		if (add_slab(p, n) != 0) {
			quic_pool_fini(p);
			return QUIC_ERR_NOMEM;
		}
	}
#else
	(void)prealloc;
#endif
	return 0;
}

void
quic_pool_fini(struct quic_pool *p)
{
	struct quic_pool_slab *s = p->slabs;

	while (s != NULL) {
		struct quic_pool_slab *next = s->next;

		UNPOISON(s->objs, (size_t)s->count * p->obj_size);
		free(s);
		s = next;
	}
	p->slabs = NULL;
	p->free_list = NULL;
	p->backed = 0;
	p->in_use = 0;
}

void *
quic_pool_get(struct quic_pool *p)
{
	void *obj;

	if (p->in_use >= p->cap) {
		p->fails++;
		return NULL;
	}
#ifdef HB_POOL_DEBUG
	obj = malloc(p->obj_size);
	if (obj == NULL) {
		p->fails++;
		return NULL;
	}
#else
	if (p->free_list == NULL && add_slab(p, slab_objs(p)) != 0) {
		p->fails++;
		return NULL;
	}
	obj = p->free_list;
	UNPOISON(obj, p->obj_size);
	p->free_list = *(void **)obj;
	/*
	 * The next get reads the new head's link: fetch its line now. Without it that load
	 * missed the cache at every get (objects wait on the list for a handshake or more),
	 * over 1 % of a server handshake in this one instruction.
	 */
	__builtin_prefetch(p->free_list, 1, 3);
#endif
	p->in_use++;
	p->gets++;
	if (p->in_use > p->high_water)
		p->high_water = p->in_use;
	return obj;
}

void
quic_pool_put(struct quic_pool *p, void *obj)
{
	if (obj == NULL)
		return;
	p->in_use--;
#ifdef HB_POOL_DEBUG
	free(obj);
#else
	free_push(p, obj);
#endif
}

/* ---- Arrays in pool blocks ---- */

int
quic_parray_init(struct quic_parray *a, struct quic_pool *pool, size_t elem_size, uint32_t cap)
{
	size_t block = pool != NULL ? pool->obj_size : QUIC_CHUNK_SIZE;

	*a = (struct quic_parray){0};
	if (elem_size == 0 || elem_size > block || cap == 0)
		return QUIC_ERR_INVAL;
	a->pool = pool;
	a->cap = cap;
	a->elem_size = (uint32_t)elem_size;
	a->per_block = (uint32_t)(block / elem_size);
	a->n_blocks = (cap + a->per_block - 1) / a->per_block;
	a->block_bytes = (uint32_t)block;
	return 0;
}

/*
 * The block table, zeroed: an object of pool->tables when there is one and the table fits it.
 * Connections take and drop their tables at every handshake; from the heap, with many
 * connections doing so at once, that overflowed its per-thread caches and cost about 1 % of a
 * server handshake in free() alone (issue #6).
 */
static int
table_get(struct quic_parray *a)
{
	size_t bytes = ((size_t)a->n_blocks + 1) * sizeof(*a->blocks); /* + where it is from */

	for (unsigned i = 0; a->pool != NULL && i < QUIC_POOL_TABLE_SIZES; i++) {
		struct quic_pool *t = a->pool->tables[i];

		if (t == NULL || bytes > t->obj_size)
			continue;
		a->blocks = quic_pool_get(t);
		if (a->blocks == NULL)
			continue; /* at its cap: a larger one, else the heap */
		memset(a->blocks, 0, bytes);
		a->blocks[a->n_blocks] = t;
		return 0;
	}
	a->blocks = calloc((size_t)a->n_blocks + 1, sizeof(*a->blocks));
	return a->blocks != NULL ? 0 : QUIC_ERR_NOMEM;
}

/* The pool the table came from, or NULL (the heap). */
static struct quic_pool *
table_origin(const struct quic_parray *a)
{
	return a->blocks[a->n_blocks];
}

void *
quic_parray_get(struct quic_parray *a, uint32_t i)
{
	uint32_t b = i / a->per_block;

	if (i >= a->cap)
		return NULL;
	if (a->blocks == NULL && table_get(a) != 0)
		return NULL;
	if (a->blocks[b] == NULL) {
		a->blocks[b] = a->pool != NULL ? quic_pool_get(a->pool) : malloc(a->block_bytes);
		if (a->blocks[b] == NULL) {
			if (a->held == 0)
				quic_parray_clear(a);
			return NULL;
		}
		a->held++;
	}
	return quic_parray_at(a, i);
}

bool
quic_parray_available(const struct quic_parray *a, uint32_t i)
{
	if (i >= a->cap)
		return false;
	if (a->blocks != NULL && a->blocks[i / a->per_block] != NULL)
		return true;
	return a->pool == NULL || a->pool->in_use < a->pool->cap;
}

/* Give back block b, which is held. */
static void
block_put(struct quic_parray *a, uint32_t b)
{
	if (a->pool != NULL)
		quic_pool_put(a->pool, a->blocks[b]);
	else
		free(a->blocks[b]);
	a->blocks[b] = NULL;
	a->held--;
}

void
quic_parray_put_block(struct quic_parray *a, uint32_t b)
{
	if (a->blocks == NULL || b >= a->n_blocks || a->blocks[b] == NULL)
		return;
	block_put(a, b);
	if (a->held == 0)
		quic_parray_clear(a);
}

void
quic_parray_clear(struct quic_parray *a)
{
	if (a->blocks == NULL)
		return;
	for (uint32_t b = 0; b < a->n_blocks && a->held > 0; b++)
		if (a->blocks[b] != NULL)
			block_put(a, b);
	if (table_origin(a) != NULL)
		quic_pool_put(table_origin(a), a->blocks);
	else
		free(a->blocks);
	a->blocks = NULL;
	a->held = 0;
}

size_t
quic_parray_bytes(const struct quic_parray *a)
{
	if (a->blocks == NULL)
		return 0;
	return (size_t)a->held * a->block_bytes +
	       (table_origin(a) != NULL ? table_origin(a)->obj_size
					: ((size_t)a->n_blocks + 1) * sizeof(*a->blocks));
}
