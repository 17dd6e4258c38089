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

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Size of the data chunks that stream and CRYPTO buffers are built from. */
#define QUIC_CHUNK_SIZE 2048u

struct quic_pool_slab;

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

#ifdef __cplusplus
}
#endif

#endif /* HB_QUIC_POOL_H */
