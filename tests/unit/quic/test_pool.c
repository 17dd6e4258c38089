/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-worker object pools (shared/style.md "Fast path allocates only from per-worker pools"):
 * O(1) get/put, the in-use cap, counters, and the HB_POOL_DEBUG malloc/free mode.
 */
#include <stdalign.h>
#include <stddef.h>
#include <string.h>

#include <quic/error.h>
#include <quic/pool.h>

#include "hb_test.h"

TestSuite(pool);

HB_TEST(pool, get_put_cap_and_high_water)
{
	struct quic_pool p;
	void *objs[10];

	cr_assert(eq(int, quic_pool_init(&p, 64, 10, 0), 0));
	for (int i = 0; i < 10; i++) {
		objs[i] = quic_pool_get(&p);
		cr_assert(not(eq(ptr, objs[i], NULL)));
		cr_assert(eq(u64, (uintptr_t)objs[i] % alignof(max_align_t), 0));
		memset(objs[i], i, 64);
	}
	cr_assert(eq(u32, p.in_use, 10));
	cr_assert(eq(u32, p.high_water, 10));
	/* The cap refuses the eleventh and counts the refusal. */
	cr_assert(eq(ptr, quic_pool_get(&p), NULL));
	cr_assert(eq(u64, p.fails, 1));
	/* Objects do not overlap: every one still holds its own pattern. */
	for (int i = 0; i < 10; i++) {
		uint8_t want[64];

		memset(want, i, sizeof(want));
		cr_assert(eq(int, memcmp(objs[i], want, 64), 0));
	}
	for (int i = 0; i < 3; i++)
		quic_pool_put(&p, objs[i]);
	cr_assert(eq(u32, p.in_use, 7));
	for (int i = 0; i < 3; i++) {
		objs[i] = quic_pool_get(&p);
		cr_assert(not(eq(ptr, objs[i], NULL)));
	}
	cr_assert(eq(u32, p.high_water, 10));
	cr_assert(eq(u64, p.gets, 13));
	for (int i = 0; i < 10; i++)
		quic_pool_put(&p, objs[i]);
	cr_assert(eq(u32, p.in_use, 0));
	quic_pool_put(&p, NULL); /* ignored */
	cr_assert(eq(u32, p.in_use, 0));
	quic_pool_fini(&p);
}

HB_TEST(pool, reuses_objects_without_growing)
{
	struct quic_pool p;

	cr_assert(eq(int, quic_pool_init(&p, 100, 1000, 0), 0));
	for (int round = 0; round < 1000; round++) {
		void *a = quic_pool_get(&p);
		void *b = quic_pool_get(&p);

		cr_assert(not(eq(ptr, a, NULL)));
		cr_assert(not(eq(ptr, b, NULL)));
		cr_assert(not(eq(ptr, a, b)));
		quic_pool_put(&p, b);
		quic_pool_put(&p, a);
	}
	cr_assert(eq(u32, p.high_water, 2));
#ifndef HB_POOL_DEBUG
	/* One slab was enough: put objects come back before the pool grows. */
	cr_assert(le(u32, p.backed, 1000));
	cr_assert(gt(u32, p.backed, 0));
#endif
	quic_pool_fini(&p);
}

HB_TEST(pool, prealloc_backs_objects_up_front)
{
	struct quic_pool p;
	void *objs[100];

	cr_assert(eq(int, quic_pool_init(&p, QUIC_CHUNK_SIZE, 100, 100), 0));
	cr_assert(eq(u32, p.in_use, 0));
#ifdef HB_POOL_DEBUG
	cr_assert(eq(u32, p.backed, 0));
#else
	cr_assert(eq(u32, p.backed, 100));
#endif
	for (int i = 0; i < 100; i++) {
		objs[i] = quic_pool_get(&p);
		cr_assert(not(eq(ptr, objs[i], NULL)));
		memset(objs[i], 0xa5, QUIC_CHUNK_SIZE);
	}
	/* Nothing more was allocated: the cap was preallocated. */
#ifndef HB_POOL_DEBUG
	cr_assert(eq(u32, p.backed, 100));
#endif
	cr_assert(eq(ptr, quic_pool_get(&p), NULL));
	for (int i = 0; i < 100; i++)
		quic_pool_put(&p, objs[i]);
	quic_pool_fini(&p);
}

HB_TEST(pool, sizes_rounded_and_bad_arguments_refused)
{
	struct quic_pool p;
	void *o;

	cr_assert(eq(int, quic_pool_init(&p, 0, 1, 0), QUIC_ERR_INVAL));
	cr_assert(eq(int, quic_pool_init(&p, 8, 0, 0), QUIC_ERR_INVAL));
	cr_assert(eq(int, quic_pool_init(&p, 8, 4, 5), QUIC_ERR_INVAL));
	cr_assert(eq(int, quic_pool_init(&p, 1, 4, 0), 0));
	cr_assert(ge(sz, p.obj_size, sizeof(void *)));
	cr_assert(eq(sz, p.obj_size % alignof(max_align_t), 0));
	o = quic_pool_get(&p);
	cr_assert(not(eq(ptr, o, NULL)));
	quic_pool_put(&p, o);
	quic_pool_fini(&p);
}

HB_TEST(pool, chunk_pool)
{
	struct quic_pool p;
	uint8_t *c;

	cr_assert(eq(int, quic_chunk_pool_init(&p, 4, 1), 0));
	cr_assert(ge(sz, p.obj_size, QUIC_CHUNK_SIZE));
	c = quic_pool_get(&p);
	cr_assert(not(eq(ptr, c, NULL)));
	memset(c, 0x5a, QUIC_CHUNK_SIZE);
	quic_pool_put(&p, c);
	quic_pool_fini(&p);
}

/*
 * HB_POOL_DEBUG (meson -Dpool_debug=true): every get is its own malloc, so no slab is backed and
 * the cap still holds; run this suite in a pool_debug build to cover that mode.
 */
HB_TEST(pool, debug_mode_behaviour)
{
	struct quic_pool p;
	void *a, *b;

	cr_assert(eq(int, quic_pool_init(&p, 32, 2, 2), 0));
	a = quic_pool_get(&p);
	b = quic_pool_get(&p);
	cr_assert(not(eq(ptr, a, NULL)));
	cr_assert(not(eq(ptr, b, NULL)));
	cr_assert(eq(ptr, quic_pool_get(&p), NULL));
#ifdef HB_POOL_DEBUG
	cr_assert(eq(u32, p.backed, 0));
	cr_assert(eq(ptr, p.slabs, NULL));
#else
	cr_assert(eq(u32, p.backed, 2));
	cr_assert(not(eq(ptr, p.slabs, NULL)));
#endif
	quic_pool_put(&p, a);
	quic_pool_put(&p, b);
	cr_assert(eq(u32, p.in_use, 0));
	quic_pool_fini(&p);
}

/* Arrays in pool blocks: blocks taken on first touch, given back, bounded by cap and the pool. */
HB_TEST(pool, parray_grows_and_shrinks)
{
	struct quic_pool p;
	struct quic_parray a;
	uint32_t per;

	cr_assert(eq(int, quic_pool_init(&p, 256, 2, 0), 0));
	cr_assert(eq(int, quic_parray_init(&a, &p, 32, 20), 0));
	per = a.per_block;
	cr_assert(eq(u32, per, 8));
	cr_assert(eq(sz, quic_parray_bytes(&a), 0));
	cr_assert(not(quic_parray_get(&a, 0) == NULL));
	cr_assert(eq(u32, p.in_use, 1));
	*(uint32_t *)quic_parray_get(&a, 9) = 7; /* second block */
	cr_assert(eq(u32, *(uint32_t *)quic_parray_at(&a, 9), 7));
	cr_assert(eq(u32, p.in_use, 2));
	/* The pool's cap is reached: the third block is refused, and said so beforehand. */
	cr_assert(not(quic_parray_available(&a, 17)));
	cr_assert(quic_parray_get(&a, 17) == NULL);
	cr_assert(quic_parray_get(&a, 20) == NULL); /* beyond cap */
	cr_assert(quic_parray_available(&a, 1));
	quic_parray_put_block(&a, 0);
	cr_assert(eq(u32, p.in_use, 1));
	cr_assert(quic_parray_available(&a, 17));
	quic_parray_put_block(&a, 1); /* the last block: the table goes too */
	cr_assert(eq(u32, p.in_use, 0));
	cr_assert(eq(sz, quic_parray_bytes(&a), 0));
	cr_assert(a.blocks == NULL);
	cr_assert(not(quic_parray_get(&a, 19) == NULL));
	quic_parray_clear(&a);
	cr_assert(eq(u32, p.in_use, 0));
	cr_assert(eq(int, quic_parray_init(&a, &p, 512, 4), QUIC_ERR_INVAL)); /* > block */
	quic_pool_fini(&p);
}

/*
 * Block tables from the pool's table pools (issue #6): the smallest pool whose objects fit
 * the table serves it, a table too large for all, or refused by a pool at its cap, comes from
 * the heap, and each goes back where it came from when the last block does.
 */
HB_TEST(pool, parray_tables_from_table_pools)
{
	struct quic_pool p, small, large;
	struct quic_parray a, b, c, d;

	cr_assert(eq(int, quic_pool_init(&p, 64, 16, 0), 0));
	/* A table holds a block pointer per block and where it came from. */
	cr_assert(eq(int, quic_pool_init(&small, 24, 1, 0), 0)); /* two blocks (rounded: 32 B) */
	cr_assert(eq(int, quic_pool_init(&large, 64, 4, 0), 0)); /* seven */
	p.tables[0] = &small;
	p.tables[1] = &large;
	cr_assert(eq(int, quic_parray_init(&a, &p, 32, 4), 0));	 /* 2 blocks: small */
	cr_assert(eq(int, quic_parray_init(&b, &p, 32, 12), 0)); /* 6 blocks: large */
	cr_assert(eq(int, quic_parray_init(&c, &p, 32, 20), 0)); /* 10 blocks: heap */
	cr_assert(eq(int, quic_parray_init(&d, &p, 32, 2), 0));	 /* small is full: large */
	cr_assert(not(quic_parray_get(&a, 3) == NULL));
	cr_assert(eq(u32, small.in_use, 1));
	cr_assert(eq(sz, quic_parray_bytes(&a), 64 + small.obj_size));
	cr_assert(not(quic_parray_get(&b, 11) == NULL));
	cr_assert(eq(u32, large.in_use, 1));
	cr_assert(not(quic_parray_get(&c, 19) == NULL));
	cr_assert(eq(u32, large.in_use, 1));
	cr_assert(eq(sz, quic_parray_bytes(&c), 64 + 11 * sizeof(void *)));
	cr_assert(not(quic_parray_get(&d, 0) == NULL));
	cr_assert(eq(u32, small.in_use, 1));
	cr_assert(eq(u32, large.in_use, 2));
	/* Tables come zeroed from a pool that had them before: the other blocks are not held. */
	quic_parray_clear(&b);
	cr_assert(eq(u32, large.in_use, 1));
	cr_assert(not(quic_parray_get(&b, 0) == NULL));
	cr_assert(eq(u32, b.held, 1));
	quic_parray_clear(&b);
	cr_assert(not(quic_parray_get(&b, 5) == NULL));
	cr_assert(b.blocks[0] == NULL);
	quic_parray_put_block(&a, 1); /* the last block: the table goes back to small */
	cr_assert(eq(u32, small.in_use, 0));
	quic_parray_clear(&b);
	quic_parray_clear(&c);
	quic_parray_clear(&d);
	cr_assert(eq(u32, large.in_use, 0));
	cr_assert(eq(u32, p.in_use, 0));
	quic_pool_fini(&small);
	quic_pool_fini(&large);
	quic_pool_fini(&p);
}
