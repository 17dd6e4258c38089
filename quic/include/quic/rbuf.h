/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Reassembly buffer for STREAM and CRYPTO data (RFC 9000 §2.2, §7.5, §19.6, §19.8), and the two
 * structures it and the stream send buffer are built from:
 *
 * - a range set: sorted, disjoint, non-adjacent [start, end) byte ranges with a fixed cap,
 *   stored in one pool chunk allocated on first use;
 * - a chunk map: the QUIC_CHUNK_SIZE data chunks of a sliding window of a byte stream, chunk k
 *   holding offsets [k * QUIC_CHUNK_SIZE, (k + 1) * QUIC_CHUNK_SIZE), found in O(1) through a
 *   ring of slots kept in pool chunks (one level up to 256 slots, two levels beyond).
 *
 * Memory is bounded by construction, whatever the peer sends (RFC 9000 §21.7; picoquic issue
 * #2137, quinn GHSA-4w2j-m93h-cj5j): data lives at its offset inside chunk-aligned buffers, so a
 * chunk is shared by every fragment that falls in it and the chunks held never exceed
 * window / QUIC_CHUNK_SIZE + 2 per buffer; the disjoint out-of-order ranges are capped (a
 * distinct error past the cap), and an optional budget shared by all buffers of a connection
 * caps the chunks held across them. 1-byte frames at scattered offsets therefore cost at most
 * one chunk per gap allowed, not one per frame.
 *
 * Not thread-safe; every chunk comes from the caller's per-worker chunk pool.
 */
#ifndef HB_QUIC_RBUF_H
#define HB_QUIC_RBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <quic/pool.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Largest stream offset plus one (RFC 9000 §19.8: offset + length <= 2^62 - 1). */
#define QUIC_MAX_OFFSET ((UINT64_C(1) << 62) - 1)

/* ---- range set ---- */

struct quic_range {
	uint64_t start;
	uint64_t end; /* exclusive, > start */
};

/* Ranges one pool chunk holds: the hard cap of a range set. */
#define QUIC_RANGESET_MAX ((uint16_t)(QUIC_CHUNK_SIZE / sizeof(struct quic_range)))

struct quic_rangeset {
	struct quic_range *r; /* NULL while empty */
	uint16_t n;
	uint16_t cap; /* <= QUIC_RANGESET_MAX */
};

/* An empty set that will hold at most cap ranges (clamped to 1..QUIC_RANGESET_MAX). */
void quic_rangeset_init(struct quic_rangeset *rs, uint16_t cap);
/* Empty the set and give its chunk back. */
void quic_rangeset_fini(struct quic_rangeset *rs, struct quic_pool *pool);

/* Index of the first range whose end is >= x (rs->n when none): O(log n). */
size_t quic_rangeset_lower(const struct quic_rangeset *rs, uint64_t x);

/* Ranges that [start, end) would merge with (overlap or adjacency): first index and count. */
size_t quic_rangeset_touching(const struct quic_rangeset *rs, uint64_t start, uint64_t end,
			      size_t *first);

/*
 * Add [start, end), merging with every range it overlaps or touches.
 * @param coarsen  when the set is full and the range would need a new slot, merge it with its
 *                 nearest neighbour instead (the set then covers bytes that were not added)
 * @return 0, QUIC_ERR_BUFFER (full and !coarsen; set unchanged), QUIC_ERR_NOMEM (no chunk for
 *         the first range) or QUIC_ERR_INVAL (start >= end)
 */
int quic_rangeset_add(struct quic_rangeset *rs, struct quic_pool *pool, uint64_t start,
		      uint64_t end, bool coarsen);

/*
 * Remove [start, end) from the set.
 * @return 0, or QUIC_ERR_BUFFER when it would split a range of a full set (set unchanged)
 */
int quic_rangeset_remove(struct quic_rangeset *rs, struct quic_pool *pool, uint64_t start,
			 uint64_t end);

/* Remove every byte below x (never fails: nothing is split). */
void quic_rangeset_remove_below(struct quic_rangeset *rs, struct quic_pool *pool, uint64_t x);

static inline bool
quic_rangeset_empty(const struct quic_rangeset *rs)
{
	return rs->n == 0;
}

/* ---- chunk map ---- */

/* Slot pointers per table chunk. */
#define QUIC_CHUNKMAP_FANOUT ((uint32_t)(QUIC_CHUNK_SIZE / sizeof(void *)))
/* Largest ring: two table levels. */
#define QUIC_CHUNKMAP_MAX_SLOTS (QUIC_CHUNKMAP_FANOUT * QUIC_CHUNKMAP_FANOUT)

struct quic_chunkmap {
	void **tab;	  /* ring: level-1 or level-2 table chunk; NULL while <= 1 chunk held */
	uint8_t *lone;	  /* the only chunk, held without a table (tab is then NULL) */
	uint64_t lone_k;  /* its number */
	uint32_t nslots;  /* ring size in chunks: a power of two */
	uint32_t nchunks; /* data chunks held */
	uint16_t ntables; /* table chunks held */
};

/*
 * Set up an empty map for a window of bytes.
 * @return 0, or QUIC_ERR_INVAL when the window needs more than QUIC_CHUNKMAP_MAX_SLOTS slots
 */
int quic_chunkmap_init(struct quic_chunkmap *m, uint64_t window);

/* Chunks a ring needs so that any window bytes starting anywhere fit: a power of two. */
uint32_t quic_chunkmap_slots_for(uint64_t window);

/* Chunk number k (offset / QUIC_CHUNK_SIZE), or NULL if not held. */
uint8_t *quic_chunkmap_get(const struct quic_chunkmap *m, uint64_t k);

/*
 * Chunk k, allocated if absent. The caller keeps every live k within nslots of each other.
 * @return the chunk, or NULL when the pool is exhausted
 */
uint8_t *quic_chunkmap_ensure(struct quic_chunkmap *m, struct quic_pool *pool, uint64_t k);

/* Free chunk k if held; the tables go once the map holds no chunk. */
void quic_chunkmap_put(struct quic_chunkmap *m, struct quic_pool *pool, uint64_t k);

/* Free chunks [lo, hi), given as chunk numbers. */
void quic_chunkmap_put_range(struct quic_chunkmap *m, struct quic_pool *pool, uint64_t lo,
			     uint64_t hi);

/*
 * Grow the ring to hold a larger window, keeping every chunk (the live chunks are those from
 * chunk number lo on). Never shrinks.
 * @return 0, QUIC_ERR_INVAL (window too large) or QUIC_ERR_NOMEM (map unchanged)
 */
int quic_chunkmap_grow(struct quic_chunkmap *m, struct quic_pool *pool, uint64_t window,
		       uint64_t lo);

/* Free every chunk and table. */
void quic_chunkmap_clear(struct quic_chunkmap *m, struct quic_pool *pool);

/* ---- reassembly buffer ---- */

/* Default and largest number of disjoint out-of-order ranges per buffer. */
#define QUIC_RBUF_GAPS_DEFAULT 64
#define QUIC_RBUF_GAPS_MAX     (QUIC_RANGESET_MAX - 1)
/* Largest window a buffer supports (the chunk map's two levels, less the 2 spare chunks). */
#define QUIC_RBUF_WINDOW_MAX ((uint64_t)(QUIC_CHUNKMAP_MAX_SLOTS - 2) * QUIC_CHUNK_SIZE)
/* RFC 9000 §7.5: at least 4096 bytes of out-of-order CRYPTO data; our default per level. */
#define QUIC_CRYPTO_BUF_MIN	4096u
#define QUIC_CRYPTO_BUF_DEFAULT 16384u

/* Chunks held by every buffer of one connection, against a cap (see quic_rbuf_init()). */
struct quic_chunk_budget {
	uint32_t used;
	uint32_t max;
};

struct quic_rbuf {
	struct quic_chunkmap map;
	struct quic_rangeset islands;	  /* received ranges beyond contig */
	uint64_t base;			  /* next offset the reader gets */
	uint64_t contig;		  /* end of the received bytes contiguous from base */
	uint64_t highest;		  /* largest offset + length written */
	uint64_t window;		  /* bytes accepted beyond base */
	struct quic_pool *pool;		  /* chunk pool */
	struct quic_chunk_budget *budget; /* NULL, or shared with other buffers */
	int16_t limit_err;		  /* returned for data beyond base + window */
	int16_t gaps_err;		  /* returned past the gap cap or the budget */
};

/*
 * Set up an empty stream buffer: data beyond base + window returns QUIC_ERR_FLOW_CONTROL (the
 * caller checks its advertised flow-control limit first, which never exceeds base + window),
 * more than max_gaps disjoint out-of-order ranges or a budget overrun returns
 * QUIC_ERR_REASSEMBLY.
 * @param chunks    per-worker pool of QUIC_CHUNK_SIZE chunks
 * @param window    <= QUIC_RBUF_WINDOW_MAX
 * @param max_gaps  1..QUIC_RBUF_GAPS_MAX
 * @param budget    NULL, or a per-connection cap on chunks held by all its buffers
 * @return 0 or QUIC_ERR_INVAL
 */
int quic_rbuf_init(struct quic_rbuf *rb, struct quic_pool *chunks, uint64_t window,
		   uint16_t max_gaps, struct quic_chunk_budget *budget);

/*
 * Set up an empty CRYPTO buffer for one encryption level (RFC 9000 §7.5): every limit (data
 * beyond base + cap, offsets past 2^62 - 1 (RFC 9000 §19.6), the gap cap) returns
 * QUIC_ERR_CRYPTO_BUFFER, which closes with CRYPTO_BUFFER_EXCEEDED.
 * @param cap  >= QUIC_CRYPTO_BUF_MIN (QUIC_CRYPTO_BUF_DEFAULT is a good value)
 * @return 0 or QUIC_ERR_INVAL
 */
int quic_rbuf_init_crypto(struct quic_rbuf *rb, struct quic_pool *chunks, uint64_t cap);

/* Free every chunk the buffer holds; it can be initialised again. */
void quic_rbuf_fini(struct quic_rbuf *rb);

/*
 * Store data received at offset (copied: data is borrowed for the call only). Bytes below base
 * or already received are dropped after a comparison with what is stored (RFC 9000 §2.2).
 * On error the data readable so far is unchanged.
 * @return 0, or:
 *   limit_err  (QUIC_ERR_FLOW_CONTROL / QUIC_ERR_CRYPTO_BUFFER) offset + len beyond base +
 *              window or beyond 2^62 - 1
 *   gaps_err   (QUIC_ERR_REASSEMBLY / QUIC_ERR_CRYPTO_BUFFER) more disjoint ranges than the
 *              cap, or the connection's chunk budget is spent
 *   QUIC_ERR_PROTOCOL  different bytes at an offset already received (RFC 9000 §2.2 MAY)
 *   QUIC_ERR_NOMEM     chunk pool exhausted
 *   Each is a connection error: close with quic_err_to_transport(err).
 */
int quic_rbuf_write(struct quic_rbuf *rb, uint64_t offset, const uint8_t *data, size_t len);

/*
 * Whether every byte of [offset, offset + len) was received before (read, contiguous or in an
 * island): a frame carrying only such bytes makes no progress (RFC 9000 §21.9, bad-input C34).
 * A zero-length range is always covered.
 */
bool quic_rbuf_covers(const struct quic_rbuf *rb, uint64_t offset, uint64_t len);

/* Bytes readable now, in order from rb->base. */
static inline uint64_t
quic_rbuf_readable(const struct quic_rbuf *rb)
{
	return rb->contig - rb->base;
}

/* Whether bytes are held beyond what is readable (data after a gap). */
static inline bool
quic_rbuf_has_gaps(const struct quic_rbuf *rb)
{
	return !quic_rangeset_empty(&rb->islands);
}

/*
 * Borrow the readable bytes that are contiguous in memory (at most to the end of a chunk).
 * @return their count (0 when nothing is readable), *data valid until the next call that
 *         changes the buffer
 */
size_t quic_rbuf_peek(const struct quic_rbuf *rb, const uint8_t **data);

/* Mark n readable bytes as read (n <= quic_rbuf_readable()) and free the chunks left behind. */
void quic_rbuf_consume(struct quic_rbuf *rb, uint64_t n);

/* Copy up to cap readable bytes into dst and consume them; @return bytes copied. */
size_t quic_rbuf_read(struct quic_rbuf *rb, uint8_t *dst, size_t cap);

/*
 * Accept window bytes beyond base from now on (only ever grows).
 * @return 0, QUIC_ERR_INVAL (above QUIC_RBUF_WINDOW_MAX) or QUIC_ERR_NOMEM (window unchanged)
 */
int quic_rbuf_set_window(struct quic_rbuf *rb, uint64_t window);

/* Chunks (data, tables and the range-set chunk) the buffer holds now. */
uint32_t quic_rbuf_chunks(const struct quic_rbuf *rb);

#ifdef __cplusplus
}
#endif

#endif /* HB_QUIC_RBUF_H */
