/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-worker fixed-size object pools. The transport's fast path allocates only from these: one
 * pool per object kind and per worker, so get and put are O(1), take no lock, and never touch
 * the shared allocator once the pool is warm.
 *
 * A pool is initialised with an object size and a cap on the objects in use at once. Objects
 * come from slabs that the pool allocates as it grows (all of them up front when asked to
 * preallocate) and keeps until quic_pool_fini(); freed objects go on a free list.
 *
 * With HB_POOL_DEBUG defined (meson -Dpool_debug=true), every get is a malloc() and every put a
 * free(), still honouring the cap, so AddressSanitizer sees each object's lifetime: a use after
 * put or a leaked object is reported where it happens. Without it, objects on the free list are
 * still poisoned under ASan.
 *
 * Not thread-safe: one pool belongs to one worker.
 */
#ifndef HB_QUIC_POOL_H
#define HB_QUIC_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Size of the data chunks that stream and CRYPTO buffers are built from. */
#define QUIC_CHUNK_SIZE 2048u

struct quic_pool_slab;

/* Object sizes of the pools that quic_parray block tables may come from (quic_pool.tables). */
#define QUIC_POOL_TABLE_SIZES 2

struct quic_pool {
	size_t obj_size;	      /* rounded up to the alignment of max_align_t */
	uint32_t cap;		      /* most objects in use at once */
	uint32_t in_use;	      /* objects handed out now */
	uint32_t high_water;	      /* largest in_use seen */
	uint32_t backed;	      /* objects backed by slabs (0 in debug builds) */
	uint64_t gets;		      /* successful gets */
	uint64_t fails;		      /* gets refused: cap reached or out of memory */
	void *free_list;	      /* objects put back, linked through their first word */
	struct quic_pool_slab *slabs; /* every slab allocated, freed by quic_pool_fini() */
	/* Optional, set after quic_pool_init(): where the block tables of the quic_parray
	 * arrays drawing on this pool come from, the first of these (smaller objects first)
	 * whose objects fit the table; the heap when none fits or it refuses. */
	struct quic_pool *tables[QUIC_POOL_TABLE_SIZES];
};

/*
 * Initialise a pool.
 * @param p         pool to set up (embedded in the worker's state)
 * @param obj_size  bytes per object, >= 1
 * @param cap       most objects in use at once, >= 1
 * @param prealloc  objects to back now (<= cap), so that gets up to this count never call the
 *                  system allocator; ignored in debug builds
 * @return 0, QUIC_ERR_INVAL (bad size or cap) or QUIC_ERR_NOMEM (preallocation failed; the
 *         pool is then empty and needs no fini)
 */
int quic_pool_init(struct quic_pool *p, size_t obj_size, uint32_t cap, uint32_t prealloc);

/*
 * Release every slab. Objects still in use become invalid (in debug builds they are left
 * allocated, so LeakSanitizer reports them).
 */
void quic_pool_fini(struct quic_pool *p);

/*
 * Take one object. Its contents are undefined.
 * @return the object, or NULL when cap objects are in use or memory ran out (p->fails counts it)
 */
void *quic_pool_get(struct quic_pool *p);

/* Return an object taken from this pool; NULL is ignored. */
void quic_pool_put(struct quic_pool *p, void *obj);

/* Chunk pool: a pool of QUIC_CHUNK_SIZE-byte data buffers. */
static inline int
quic_chunk_pool_init(struct quic_pool *p, uint32_t cap, uint32_t prealloc)
{
	return quic_pool_init(p, QUIC_CHUNK_SIZE, cap, prealloc);
}

/*
 * A bounded array of up to cap fixed-size elements whose storage is taken from a pool in
 * blocks (one pool object each) when an element of the block is first needed, and given back
 * when the owner says a block, or everything, is unused. The block table is allocated with the
 * first block and freed with the last one, so an array that holds nothing costs only this
 * struct. This is how per-connection bookkeeping (sent-packet records) grows with the traffic
 * and shrinks back when the connection goes idle, with cap as the hard limit.
 */
struct quic_parray {
	/* n_blocks entries, NULL when nothing is held; entry n_blocks says where the table
	 * came from: the struct quic_pool (one of pool->tables), or NULL for the heap */
	void **blocks;
	struct quic_pool *pool; /* NULL: blocks of QUIC_CHUNK_SIZE bytes from malloc() */
	uint32_t cap;		/* elements */
	uint32_t elem_size;	/* bytes per element */
	uint32_t per_block;	/* elements per block */
	uint32_t n_blocks;	/* blocks to cover cap elements */
	uint32_t held;		/* blocks held now */
	uint32_t block_bytes;	/* bytes of one block */
};

/*
 * @param pool       where blocks come from (object size >= elem_size), or NULL for malloc()
 * @return 0 or QUIC_ERR_INVAL (elem_size 0 or larger than a block, cap 0)
 */
int quic_parray_init(struct quic_parray *a, struct quic_pool *pool, size_t elem_size, uint32_t cap);

/* Element i, whose block is held (quic_parray_get() returned it once, not released since). */
static inline void *
quic_parray_at(const struct quic_parray *a, uint32_t i)
{
	return (unsigned char *)a->blocks[i / a->per_block] +
	       (size_t)(i % a->per_block) * a->elem_size;
}

/* Element i (< cap), taking its block if needed. @return NULL when the pool refuses */
void *quic_parray_get(struct quic_parray *a, uint32_t i);

/* Whether element i's block is held, or could be taken now (the pool is below its cap). */
bool quic_parray_available(const struct quic_parray *a, uint32_t i);

/* Give back block b (elements b * per_block ...); nothing happens if it is not held. */
void quic_parray_put_block(struct quic_parray *a, uint32_t b);

/* Give back every block and the table. */
void quic_parray_clear(struct quic_parray *a);

/* Bytes held now: blocks and table. */
size_t quic_parray_bytes(const struct quic_parray *a);

#ifdef __cplusplus
}
#endif

#endif /* HB_QUIC_POOL_H */
