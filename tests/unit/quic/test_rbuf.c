/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Reassembly of STREAM and CRYPTO data: RFC 9000 §2.2 (ordered delivery, duplicates, C18),
 * §7.5 and §19.6 (CRYPTO buffering, B13/B14), §19.8 (offsets up to 2^62 - 1, C8), §21.7 and
 * bad-input C35 (picoquic #2137: scattered 1-byte fragments must not cost a chunk each).
 */
#include <stdlib.h>
#include <string.h>

#include <quic/error.h>
#include <quic/pool.h>
#include <quic/rbuf.h>

#include "hb_test.h"

TestSuite(rbuf);

#define MB (1024u * 1024u)

/* Deterministic PRNG (xorshift64*), so every run sees the same orders. */
static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * UINT64_C(2685821657736338717);
}

static uint8_t *
pattern(size_t n, uint64_t seed)
{
	uint8_t *p = malloc(n);

	cr_assert(not(eq(ptr, p, NULL)));
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(rnd(&seed) >> 56);
	return p;
}

struct piece {
	uint64_t off;
	size_t len;
};

/* Cut [0, total) into pieces of 1..maxlen bytes. */
static size_t
cut(struct piece *pc, size_t cap, size_t total, size_t maxlen, uint64_t *seed)
{
	size_t n = 0;

	for (uint64_t off = 0; off < total; n++) {
		size_t len = 1 + (size_t)(rnd(seed) % maxlen);

		cr_assert(lt(sz, n, cap));
		if (len > total - off)
			len = total - off;
		pc[n].off = off;
		pc[n].len = len;
		off += len;
	}
	return n;
}

/* Read everything readable, check it against the source, return the bytes read. */
static size_t
drain(struct quic_rbuf *rb, const uint8_t *src, uint8_t *tmp, size_t tmpcap)
{
	size_t total = 0, n;

	while ((n = quic_rbuf_read(rb, tmp, tmpcap)) > 0) {
		cr_assert(eq(int, memcmp(tmp, src + rb->base - n, n), 0));
		total += n;
	}
	return total;
}

struct fixture {
	struct quic_pool chunks;
	struct quic_rbuf rb;
};

static void
setup(struct fixture *fx, uint64_t window, uint16_t gaps)
{
	cr_assert(eq(int, quic_chunk_pool_init(&fx->chunks, 4096, 0), 0));
	cr_assert(eq(int, quic_rbuf_init(&fx->rb, &fx->chunks, window, gaps, NULL), 0));
}

static void
teardown(struct fixture *fx)
{
	quic_rbuf_fini(&fx->rb);
	cr_assert(eq(u32, fx->chunks.in_use, 0), "chunks leaked: %u", fx->chunks.in_use);
	quic_pool_fini(&fx->chunks);
}

HB_TEST(rbuf, in_order_1mb_byte_exact)
{
	struct fixture fx;
	uint8_t *src = pattern(MB, 1), tmp[1500];
	size_t got = 0;

	setup(&fx, 256 * 1024, QUIC_RBUF_GAPS_DEFAULT);
	for (uint64_t off = 0; off < MB; off += 1000) {
		size_t len = MB - off < 1000 ? MB - off : 1000;

		cr_assert(eq(int, quic_rbuf_write(&fx.rb, off, src + off, len), 0));
		if ((off / 1000) % 7 == 0)
			got += drain(&fx.rb, src, tmp, sizeof(tmp));
	}
	got += drain(&fx.rb, src, tmp, sizeof(tmp));
	cr_assert(eq(sz, got, MB));
	/* Everything read: nothing held. */
	cr_assert(eq(u32, quic_rbuf_chunks(&fx.rb), 0));
	teardown(&fx);
	free(src);
}

HB_TEST(rbuf, reverse_order_1mb_byte_exact)
{
	struct fixture fx;
	uint8_t *src = pattern(MB, 2), *dst = malloc(MB);
	uint64_t off;

	setup(&fx, MB, QUIC_RBUF_GAPS_DEFAULT);
	for (off = MB; off > 0;) {
		size_t len = off >= 1200 ? 1200 : (size_t)off;

		off -= len;
		cr_assert(eq(int, quic_rbuf_write(&fx.rb, off, src + off, len), 0));
		/* One island growing down: one gap at most. */
		cr_assert(le(u16, fx.rb.islands.n, 1));
		cr_assert(eq(u64, quic_rbuf_readable(&fx.rb), off == 0 ? MB : 0));
	}
	/* The memory follows the bytes: 1 MiB in 2 KiB chunks plus the ring tables. */
	cr_assert(le(u32, fx.rb.map.nchunks, MB / QUIC_CHUNK_SIZE));
	cr_assert(eq(sz, quic_rbuf_read(&fx.rb, dst, MB), MB));
	cr_assert(eq(int, memcmp(dst, src, MB), 0));
	teardown(&fx);
	free(src);
	free(dst);
}

HB_TEST(rbuf, random_order_1mb_with_duplicates_byte_exact)
{
	static struct piece pc[4096];
	struct fixture fx;
	uint8_t *src = pattern(MB, 3), tmp[4096];
	uint64_t seed = 42;
	size_t n, got = 0;

	setup(&fx, MB, QUIC_RBUF_GAPS_MAX);
	n = cut(pc, 4096, MB, 12000, &seed);
	/* Shuffle within blocks of 64 pieces, so the gaps stay under the cap. */
	for (size_t b = 0; b < n; b += 64) {
		size_t m = n - b < 64 ? n - b : 64;

		for (size_t i = m - 1; i > 0; i--) {
			size_t j = (size_t)(rnd(&seed) % (i + 1));
			struct piece t = pc[b + i];

			pc[b + i] = pc[b + j];
			pc[b + j] = t;
		}
	}
	for (size_t i = 0; i < n; i++) {
		cr_assert(
			eq(int, quic_rbuf_write(&fx.rb, pc[i].off, src + pc[i].off, pc[i].len), 0));
		/* A duplicate of an earlier piece, overlapping a random span (same bytes). */
		if (i > 0 && rnd(&seed) % 3 == 0) {
			struct piece d = pc[rnd(&seed) % i];
			uint64_t o = d.off + d.len / 3, e = d.off + d.len + 100;

			if (e > MB)
				e = MB;
			cr_assert(eq(int, quic_rbuf_write(&fx.rb, o, src + o, e - o), 0));
		}
		if (rnd(&seed) % 5 == 0)
			got += drain(&fx.rb, src, tmp, sizeof(tmp));
	}
	got += drain(&fx.rb, src, tmp, sizeof(tmp));
	cr_assert(eq(sz, got, MB));
	cr_assert(not(quic_rbuf_has_gaps(&fx.rb)));
	cr_assert(eq(u32, quic_rbuf_chunks(&fx.rb), 0));
	teardown(&fx);
	free(src);
}

HB_TEST(rbuf, full_random_permutation_byte_exact)
{
	static struct piece pc[512];
	struct fixture fx;
	uint8_t *src = pattern(MB, 4), *dst = malloc(MB);
	uint64_t seed = 7;
	size_t n;

	setup(&fx, MB, QUIC_RBUF_GAPS_MAX);
	/* ~200 pieces: a full shuffle keeps well under 127 islands at its peak. */
	n = cut(pc, 512, MB, 10000, &seed);
	for (size_t i = n - 1; i > 0; i--) {
		size_t j = (size_t)(rnd(&seed) % (i + 1));
		struct piece t = pc[i];

		pc[i] = pc[j];
		pc[j] = t;
	}
	for (size_t i = 0; i < n; i++)
		cr_assert(
			eq(int, quic_rbuf_write(&fx.rb, pc[i].off, src + pc[i].off, pc[i].len), 0),
			"piece %zu", i);
	cr_assert(eq(u64, quic_rbuf_readable(&fx.rb), MB));
	cr_assert(eq(sz, quic_rbuf_read(&fx.rb, dst, MB), MB));
	cr_assert(eq(int, memcmp(dst, src, MB), 0));
	teardown(&fx);
	free(src);
	free(dst);
}

HB_TEST(rbuf, overlaps_merge)
{
	struct fixture fx;
	uint8_t *src = pattern(1000, 5), dst[1000];

	setup(&fx, 4096, 8);
	cr_assert(eq(int, quic_rbuf_write(&fx.rb, 500, src + 500, 100), 0));
	cr_assert(eq(int, quic_rbuf_write(&fx.rb, 550, src + 550, 200), 0)); /* overlaps right */
	cr_assert(eq(int, quic_rbuf_write(&fx.rb, 450, src + 450, 60), 0));  /* overlaps left */
	cr_assert(eq(int, quic_rbuf_write(&fx.rb, 800, src + 800, 10), 0));
	cr_assert(eq(u16, fx.rb.islands.n, 2));
	cr_assert(eq(int, quic_rbuf_write(&fx.rb, 400, src + 400, 500), 0)); /* covers both */
	cr_assert(eq(u16, fx.rb.islands.n, 1));
	cr_assert(eq(u64, quic_rbuf_readable(&fx.rb), 0));
	cr_assert(eq(int, quic_rbuf_write(&fx.rb, 0, src, 401), 0));
	cr_assert(eq(u64, quic_rbuf_readable(&fx.rb), 900));
	cr_assert(not(quic_rbuf_has_gaps(&fx.rb)));
	cr_assert(eq(sz, quic_rbuf_read(&fx.rb, dst, 300), 300));
	/* Data below base is dropped; data straddling base keeps its new part. */
	cr_assert(eq(int, quic_rbuf_write(&fx.rb, 0, src, 100), 0));
	cr_assert(eq(int, quic_rbuf_write(&fx.rb, 850, src + 850, 150), 0));
	cr_assert(eq(sz, quic_rbuf_read(&fx.rb, dst + 300, 1000), 700));
	cr_assert(eq(int, memcmp(dst, src, 1000), 0));
	/* A zero-length write changes nothing. */
	cr_assert(eq(int, quic_rbuf_write(&fx.rb, 1000, src, 0), 0));
	cr_assert(eq(u64, fx.rb.highest, 1000));
	teardown(&fx);
	free(src);
}

/* RFC 9000 §2.2: different data at an offset already received → PROTOCOL_VIOLATION (C18). */
HB_TEST(rbuf, different_bytes_conflict)
{
	struct fixture fx;
	uint8_t *src = pattern(1000, 6), bad[200];

	setup(&fx, 4096, 8);
	cr_assert(eq(int, quic_rbuf_write(&fx.rb, 0, src, 100), 0));
	cr_assert(eq(int, quic_rbuf_write(&fx.rb, 300, src + 300, 100), 0));
	/* In the readable run. */
	memcpy(bad, src + 50, 100);
	bad[10] ^= 1;
	cr_assert(eq(int, quic_rbuf_write(&fx.rb, 50, bad, 100), QUIC_ERR_PROTOCOL));
	/* In an island, reached by a frame that also fills a gap: nothing is stored. */
	memcpy(bad, src + 150, 200);
	bad[199] ^= 0x80;
	cr_assert(eq(int, quic_rbuf_write(&fx.rb, 150, bad, 200), QUIC_ERR_PROTOCOL));
	cr_assert(eq(u64, quic_rbuf_readable(&fx.rb), 100));
	cr_assert(eq(u16, fx.rb.islands.n, 1));
	cr_assert(eq(u64, fx.rb.islands.r[0].start, 300));
	/* The same bytes are fine. */
	cr_assert(eq(int, quic_rbuf_write(&fx.rb, 50, src + 50, 350), 0));
	cr_assert(eq(u64, quic_rbuf_readable(&fx.rb), 400));
	cr_assert(eq(u64, quic_err_to_transport(QUIC_ERR_PROTOCOL), QUIC_PROTOCOL_VIOLATION));
	teardown(&fx);
	free(src);
}

HB_TEST(rbuf, gap_cap_is_a_distinct_error)
{
	struct fixture fx;
	uint8_t b = 0x11;

	setup(&fx, 64 * 1024, 4);
	for (int i = 1; i <= 4; i++)
		cr_assert(eq(int, quic_rbuf_write(&fx.rb, (uint64_t)i * 10, &b, 1), 0));
	cr_assert(eq(int, quic_rbuf_write(&fx.rb, 50, &b, 1), QUIC_ERR_REASSEMBLY));
	/* Nothing was stored by the refused write. */
	cr_assert(eq(u16, fx.rb.islands.n, 4));
	cr_assert(eq(u64, fx.rb.highest, 41));
	/* Extending an island or the readable run adds no gap. */
	cr_assert(eq(int, quic_rbuf_write(&fx.rb, 41, &b, 1), 0));
	cr_assert(eq(int, quic_rbuf_write(&fx.rb, 0, &b, 1), 0));
	cr_assert(eq(u16, fx.rb.islands.n, 4));
	/* Filling a gap frees a slot. */
	{
		uint8_t nine[9];

		memset(nine, 0x11, sizeof(nine));
		cr_assert(eq(int, quic_rbuf_write(&fx.rb, 1, nine, 9), 0));
	}
	cr_assert(eq(u16, fx.rb.islands.n, 3));
	cr_assert(eq(int, quic_rbuf_write(&fx.rb, 50, &b, 1), 0));
	/* Its own code, closing with INTERNAL_ERROR rather than a protocol error. */
	cr_assert(eq(u64, quic_err_to_transport(QUIC_ERR_REASSEMBLY), QUIC_INTERNAL_ERROR));
	teardown(&fx);
}

/*
 * picoquic #2137 / C35: 1-byte STREAM frames at scattered offsets. Each costs at most one chunk
 * and only up to the gap cap; inside one chunk they cost no extra chunk at all.
 */
HB_TEST(rbuf, scattered_one_byte_frames_bounded_in_chunks)
{
	struct fixture fx;
	uint8_t b = 0x22;
	int err = 0, accepted = 0;

	setup(&fx, 16 * MB, QUIC_RBUF_GAPS_DEFAULT);
	for (uint64_t i = 1; i < 10000 && err == 0; i++) {
		err = quic_rbuf_write(&fx.rb, i * 1601, &b, 1);
		accepted += err == 0;
	}
	cr_assert(eq(int, err, QUIC_ERR_REASSEMBLY));
	cr_assert(eq(int, accepted, QUIC_RBUF_GAPS_DEFAULT));
	cr_assert(le(u32, fx.rb.map.nchunks, QUIC_RBUF_GAPS_DEFAULT));
	/* Ring tables for a 16 MiB window: at most the top table and one leaf per 256 chunks. */
	cr_assert(le(u32, quic_rbuf_chunks(&fx.rb), QUIC_RBUF_GAPS_DEFAULT + 3 + 1));
	quic_rbuf_fini(&fx.rb);

	/* Every other byte of one chunk: one data chunk, whatever the fragment count. */
	cr_assert(
		eq(int, quic_rbuf_init(&fx.rb, &fx.chunks, 16 * MB, QUIC_RBUF_GAPS_MAX, NULL), 0));
	err = 0;
	for (uint64_t off = 1; off < QUIC_CHUNK_SIZE && err == 0; off += 2)
		err = quic_rbuf_write(&fx.rb, off, &b, 1);
	cr_assert(eq(int, err, QUIC_ERR_REASSEMBLY));
	cr_assert(eq(u32, fx.rb.map.nchunks, 1));
	teardown(&fx);
}

/* A per-connection budget caps chunks across every buffer that shares it. */
HB_TEST(rbuf, connection_budget)
{
	struct quic_pool chunks;
	struct quic_rbuf a, b;
	struct quic_chunk_budget budget = {.used = 0, .max = 6};
	uint8_t x = 1;

	cr_assert(eq(int, quic_chunk_pool_init(&chunks, 64, 0), 0));
	cr_assert(eq(int, quic_rbuf_init(&a, &chunks, MB, 32, &budget), 0));
	cr_assert(eq(int, quic_rbuf_init(&b, &chunks, MB, 32, &budget), 0));
	for (uint64_t i = 1; i <= 3; i++) {
		cr_assert(eq(int, quic_rbuf_write(&a, i * 10000, &x, 1), 0));
		cr_assert(eq(int, quic_rbuf_write(&b, i * 10000, &x, 1), 0));
	}
	cr_assert(eq(u32, budget.used, 6));
	cr_assert(eq(int, quic_rbuf_write(&a, 50000, &x, 1), QUIC_ERR_REASSEMBLY));
	/* Bytes in a chunk already held cost nothing. */
	cr_assert(eq(int, quic_rbuf_write(&a, 10002, &x, 1), 0));
	quic_rbuf_fini(&b);
	cr_assert(eq(u32, budget.used, 3));
	cr_assert(eq(int, quic_rbuf_write(&a, 50000, &x, 1), 0));
	quic_rbuf_fini(&a);
	cr_assert(eq(u32, budget.used, 0));
	cr_assert(eq(u32, chunks.in_use, 0));
	quic_pool_fini(&chunks);
}

HB_TEST(rbuf, window_limit_and_growth)
{
	struct fixture fx;
	uint8_t *src = pattern(64 * 1024, 8), dst[64 * 1024];

	setup(&fx, 4096, 8);
	/* Beyond base + window: the caller's FLOW_CONTROL_ERROR (C7). */
	cr_assert(eq(int, quic_rbuf_write(&fx.rb, 4000, src, 97), QUIC_ERR_FLOW_CONTROL));
	cr_assert(eq(int, quic_rbuf_write(&fx.rb, 4000, src + 4000, 96), 0));
	cr_assert(eq(int, quic_rbuf_write(&fx.rb, 0, src, 1000), 0));
	cr_assert(eq(sz, quic_rbuf_read(&fx.rb, dst, 1000), 1000));
	/* The window slides with base. */
	cr_assert(eq(int, quic_rbuf_write(&fx.rb, 4096, src + 4096, 1000), 0));
	/* Growing keeps held chunks, also across a ring rebuild to two levels. */
	cr_assert(eq(int, quic_rbuf_set_window(&fx.rb, 1024 * 1024), 0));
	cr_assert(eq(u64, fx.rb.window, 1024 * 1024));
	cr_assert(eq(int, quic_rbuf_set_window(&fx.rb, 4096), 0)); /* never shrinks */
	cr_assert(eq(u64, fx.rb.window, 1024 * 1024));
	cr_assert(eq(int, quic_rbuf_write(&fx.rb, 30000, src + 30000, 35536), 0));
	cr_assert(eq(int, quic_rbuf_write(&fx.rb, 1000, src + 1000, 29000), 0));
	cr_assert(eq(sz, quic_rbuf_read(&fx.rb, dst + 1000, sizeof(dst)), 64 * 1024 - 1000));
	cr_assert(eq(int, memcmp(dst, src, sizeof(dst)), 0));
	cr_assert(eq(int, quic_rbuf_set_window(&fx.rb, QUIC_RBUF_WINDOW_MAX + 1), QUIC_ERR_INVAL));
	teardown(&fx);
	free(src);
}

/* RFC 9000 §19.8: offset + length <= 2^62 - 1 (C8); a buffer works up to that offset. */
HB_TEST(rbuf, offsets_up_to_2_62)
{
	struct fixture fx;
	uint8_t *src = pattern(5000, 9), dst[5000];
	const uint64_t top = QUIC_MAX_OFFSET - 5000;

	setup(&fx, 64 * 1024, 8);
	/* Pretend 2^62 - 5001 bytes were read already. */
	fx.rb.base = fx.rb.contig = fx.rb.highest = top;
	cr_assert(eq(int, quic_rbuf_write(&fx.rb, top + 2500, src + 2500, 2500), 0));
	cr_assert(eq(int, quic_rbuf_write(&fx.rb, QUIC_MAX_OFFSET - 1, src, 2),
		     QUIC_ERR_FLOW_CONTROL));
	cr_assert(eq(int, quic_rbuf_write(&fx.rb, QUIC_MAX_OFFSET + 1, src, 0),
		     QUIC_ERR_FLOW_CONTROL));
	cr_assert(eq(int, quic_rbuf_write(&fx.rb, top, src, 2500), 0));
	cr_assert(eq(sz, quic_rbuf_read(&fx.rb, dst, sizeof(dst)), 5000));
	cr_assert(eq(int, memcmp(dst, src, 5000), 0));
	cr_assert(eq(u64, fx.rb.base, QUIC_MAX_OFFSET));
	teardown(&fx);
	free(src);
}

/* RFC 9000 §7.5 (B13, B14): CRYPTO buffering is capped per level, at least 4096 bytes. */
HB_TEST(rbuf, crypto_cap)
{
	struct quic_pool chunks;
	struct quic_rbuf rb;
	uint8_t *src = pattern(20000, 10), dst[20000];

	cr_assert(eq(int, quic_chunk_pool_init(&chunks, 64, 0), 0));
	cr_assert(eq(int, quic_rbuf_init_crypto(&rb, &chunks, 4095), QUIC_ERR_INVAL));
	cr_assert(eq(int, quic_rbuf_init_crypto(&rb, &chunks, QUIC_CRYPTO_BUF_MIN), 0));
	/* Out of order up to the cap is buffered (the 4096 bytes RFC 9000 §7.5 requires). */
	cr_assert(eq(int, quic_rbuf_write(&rb, 1, src + 1, 4095), 0));
	cr_assert(eq(int, quic_rbuf_write(&rb, 4000, src + 4000, 97), QUIC_ERR_CRYPTO_BUFFER));
	cr_assert(eq(u64, quic_err_to_transport(QUIC_ERR_CRYPTO_BUFFER), 0x0d));
	/* B14: offset + length past 2^62 - 1. */
	cr_assert(eq(int, quic_rbuf_write(&rb, QUIC_MAX_OFFSET, src, 1), QUIC_ERR_CRYPTO_BUFFER));
	cr_assert(eq(int, quic_rbuf_write(&rb, 0, src, 1), 0));
	cr_assert(eq(sz, quic_rbuf_read(&rb, dst, 3000), 3000));
	/* The cap slides with what TLS consumed. */
	cr_assert(eq(int, quic_rbuf_write(&rb, 4096, src + 4096, 3000), 0));
	cr_assert(eq(sz, quic_rbuf_read(&rb, dst + 3000, sizeof(dst)), 4096));
	cr_assert(eq(int, memcmp(dst, src, 7096), 0));
	quic_rbuf_fini(&rb);

	/* Too many CRYPTO fragments are a CRYPTO_BUFFER_EXCEEDED too. */
	cr_assert(eq(int, quic_rbuf_init_crypto(&rb, &chunks, QUIC_CRYPTO_BUF_DEFAULT), 0));
	{
		int err = 0;

		for (uint64_t off = 2; off < QUIC_CRYPTO_BUF_DEFAULT && err == 0; off += 2)
			err = quic_rbuf_write(&rb, off, src + off, 1);
		cr_assert(eq(int, err, QUIC_ERR_CRYPTO_BUFFER));
	}
	quic_rbuf_fini(&rb);
	cr_assert(eq(u32, chunks.in_use, 0));
	quic_pool_fini(&chunks);
	free(src);
}

HB_TEST(rbuf, bad_init_arguments)
{
	struct quic_pool chunks;
	struct quic_rbuf rb;

	cr_assert(eq(int, quic_chunk_pool_init(&chunks, 4, 0), 0));
	cr_assert(eq(int, quic_rbuf_init(&rb, NULL, 4096, 8, NULL), QUIC_ERR_INVAL));
	cr_assert(eq(int, quic_rbuf_init(&rb, &chunks, 4096, 0, NULL), QUIC_ERR_INVAL));
	cr_assert(eq(int, quic_rbuf_init(&rb, &chunks, 4096, QUIC_RBUF_GAPS_MAX + 1, NULL),
		     QUIC_ERR_INVAL));
	cr_assert(eq(int, quic_rbuf_init(&rb, &chunks, QUIC_RBUF_WINDOW_MAX + 1, 8, NULL),
		     QUIC_ERR_INVAL));
	cr_assert(eq(int, quic_rbuf_init(&rb, &chunks, QUIC_RBUF_WINDOW_MAX, 8, NULL), 0));
	quic_rbuf_fini(&rb);
	quic_pool_fini(&chunks);
}

/* Chunk pool exhaustion is QUIC_ERR_NOMEM, and what was readable stays readable. */
HB_TEST(rbuf, pool_exhaustion)
{
	struct quic_pool chunks;
	struct quic_rbuf rb;
	uint8_t *src = pattern(8192, 11), dst[8192];

	cr_assert(eq(int, quic_chunk_pool_init(&chunks, 3, 0), 0));
	cr_assert(eq(int, quic_rbuf_init(&rb, &chunks, 64 * 1024, 8, NULL), 0));
	cr_assert(eq(int, quic_rbuf_write(&rb, 0, src, 2048), 0));
	/* A second chunk needs the ring table too: 3 chunks in all, the third data chunk fails. */
	cr_assert(eq(int, quic_rbuf_write(&rb, 2048, src + 2048, 4096), QUIC_ERR_NOMEM));
	cr_assert(eq(u64, quic_rbuf_readable(&rb), 2048));
	cr_assert(eq(sz, quic_rbuf_read(&rb, dst, sizeof(dst)), 2048));
	cr_assert(eq(int, memcmp(dst, src, 2048), 0));
	quic_rbuf_fini(&rb);
	cr_assert(eq(u32, chunks.in_use, 0));
	quic_pool_fini(&chunks);
	free(src);
}

/* ---- range set ---- */

HB_TEST(rbuf, rangeset_add_remove)
{
	struct quic_pool chunks;
	struct quic_rangeset rs;

	cr_assert(eq(int, quic_chunk_pool_init(&chunks, 4, 0), 0));
	quic_rangeset_init(&rs, 3);
	cr_assert(eq(int, quic_rangeset_add(&rs, &chunks, 10, 20, false), 0));
	cr_assert(eq(int, quic_rangeset_add(&rs, &chunks, 30, 40, false), 0));
	cr_assert(eq(int, quic_rangeset_add(&rs, &chunks, 20, 25, false), 0)); /* adjacent */
	cr_assert(eq(u16, rs.n, 2));
	cr_assert(eq(u64, rs.r[0].end, 25));
	cr_assert(eq(int, quic_rangeset_add(&rs, &chunks, 50, 60, false), 0));
	/* Full: refused unless coarsening, which widens the nearer neighbour. */
	cr_assert(eq(int, quic_rangeset_add(&rs, &chunks, 44, 46, false), QUIC_ERR_BUFFER));
	cr_assert(eq(int, quic_rangeset_add(&rs, &chunks, 44, 46, true), 0));
	cr_assert(eq(u16, rs.n, 3));
	cr_assert(eq(u64, rs.r[1].end, 46));
	cr_assert(eq(int, quic_rangeset_add(&rs, &chunks, 5, 5, false), QUIC_ERR_INVAL));
	/* Remove: a split of a full set is refused, trims and deletions are not. */
	cr_assert(eq(int, quic_rangeset_remove(&rs, &chunks, 12, 14), QUIC_ERR_BUFFER));
	cr_assert(eq(int, quic_rangeset_remove(&rs, &chunks, 15, 35), 0));
	cr_assert(eq(u16, rs.n, 3));
	cr_assert(eq(u64, rs.r[0].end, 15));
	cr_assert(eq(u64, rs.r[1].start, 35));
	cr_assert(eq(int, quic_rangeset_remove(&rs, &chunks, 0, 100), 0));
	cr_assert(eq(u16, rs.n, 0));
	cr_assert(eq(ptr, rs.r, NULL));
	cr_assert(eq(u32, chunks.in_use, 0));
	/* remove_below trims the straddling range. */
	cr_assert(eq(int, quic_rangeset_add(&rs, &chunks, 10, 20, false), 0));
	cr_assert(eq(int, quic_rangeset_add(&rs, &chunks, 30, 40, false), 0));
	cr_assert(eq(int, quic_rangeset_remove(&rs, &chunks, 12, 14), 0)); /* split, room */
	cr_assert(eq(u16, rs.n, 3));
	quic_rangeset_remove_below(&rs, &chunks, 33);
	cr_assert(eq(u16, rs.n, 1));
	cr_assert(eq(u64, rs.r[0].start, 33));
	quic_rangeset_fini(&rs, &chunks);
	cr_assert(eq(u32, chunks.in_use, 0));
	quic_pool_fini(&chunks);
}
