/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Reassembly of STREAM and CRYPTO data (RFC 9000 §2.2, §7.5): chunk-aligned storage found in O(1)
 * through a ring of slots, a capped set of out-of-order ranges, and a per-connection chunk
 * budget, so that memory follows the bytes actually received and never the number of frames.
 */
#include <string.h>

#include <quic/error.h>
#include <quic/rbuf.h>

#define CS ((uint64_t)QUIC_CHUNK_SIZE)
#define F  QUIC_CHUNKMAP_FANOUT

/* ---- range set ---- */

void
quic_rangeset_init(struct quic_rangeset *rs, uint16_t cap)
{
	rs->r = NULL;
	rs->n = 0;
	if (cap < 1)
		cap = 1;
	if (cap > QUIC_RANGESET_MAX)
		cap = QUIC_RANGESET_MAX;
	rs->cap = cap;
}

void
quic_rangeset_fini(struct quic_rangeset *rs, struct quic_pool *pool)
{
	quic_pool_put(pool, rs->r);
	rs->r = NULL;
	rs->n = 0;
}

size_t
quic_rangeset_lower(const struct quic_rangeset *rs, uint64_t x)
{
	size_t lo = 0, hi = rs->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (rs->r[mid].end < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

size_t
quic_rangeset_touching(const struct quic_rangeset *rs, uint64_t start, uint64_t end, size_t *first)
{
	size_t i = quic_rangeset_lower(rs, start), j = i;

	while (j < rs->n && rs->r[j].start <= end)
		j++;
	*first = i;
	return j - i;
}

/* Delete ranges [i, j). */
static void
rs_delete(struct quic_rangeset *rs, struct quic_pool *pool, size_t i, size_t j)
{
	if (j <= i)
		return;
	memmove(&rs->r[i], &rs->r[j], (rs->n - j) * sizeof(rs->r[0]));
	rs->n = (uint16_t)(rs->n - (j - i));
	if (rs->n == 0)
		quic_rangeset_fini(rs, pool);
}

/* Full set, new range at index i touching nothing: widen the nearer neighbour to cover it. */
static void
rs_coarsen(struct quic_rangeset *rs, size_t i, uint64_t start, uint64_t end)
{
	uint64_t before = i > 0 ? start - rs->r[i - 1].end : UINT64_MAX;
	uint64_t after = i < rs->n ? rs->r[i].start - end : UINT64_MAX;

	if (before <= after)
		rs->r[i - 1].end = end;
	else
		rs->r[i].start = start;
}

int
quic_rangeset_add(struct quic_rangeset *rs, struct quic_pool *pool, uint64_t start, uint64_t end,
		  bool coarsen)
{
	size_t i, m;

	if (start >= end)
		return QUIC_ERR_INVAL;
	m = quic_rangeset_touching(rs, start, end, &i);
	if (m > 0) {
		struct quic_range *r = &rs->r[i];

		if (start < r->start)
			r->start = start;
		r->end = end > rs->r[i + m - 1].end ? end : rs->r[i + m - 1].end;
		rs_delete(rs, pool, i + 1, i + m);
		return 0;
	}
	if (rs->n == rs->cap) {
		if (!coarsen)
			return QUIC_ERR_BUFFER;
		rs_coarsen(rs, i, start, end);
		return 0;
	}
	if (rs->r == NULL) {
		rs->r = quic_pool_get(pool);
		if (rs->r == NULL)
			return QUIC_ERR_NOMEM;
	}
	memmove(&rs->r[i + 1], &rs->r[i], (rs->n - i) * sizeof(rs->r[0]));
	rs->r[i].start = start;
	rs->r[i].end = end;
	rs->n++;
	return 0;
}

int
quic_rangeset_remove(struct quic_rangeset *rs, struct quic_pool *pool, uint64_t start, uint64_t end)
{
	size_t i, k;

	if (start >= end)
		return 0;
	i = quic_rangeset_lower(rs, start + 1);
	if (i == rs->n || rs->r[i].start >= end)
		return 0;
	if (rs->r[i].start < start && rs->r[i].end > end) {
		/* Split one range in two. */
		if (rs->n == rs->cap)
			return QUIC_ERR_BUFFER;
		memmove(&rs->r[i + 1], &rs->r[i], (rs->n - i) * sizeof(rs->r[0]));
		rs->n++;
		rs->r[i].end = start;
		rs->r[i + 1].start = end;
		return 0;
	}
	if (rs->r[i].start < start)
		rs->r[i++].end = start;
	k = i;
	while (k < rs->n && rs->r[k].end <= end)
		k++;
	if (k < rs->n && rs->r[k].start < end)
		rs->r[k].start = end;
	rs_delete(rs, pool, i, k);
	return 0;
}

void
quic_rangeset_remove_below(struct quic_rangeset *rs, struct quic_pool *pool, uint64_t x)
{
	size_t i;

	if (rs->n == 0 || x == 0)
		return;
	i = quic_rangeset_lower(rs, x + 1);
	rs_delete(rs, pool, 0, i);
	if (rs->n > 0 && rs->r[0].start < x)
		rs->r[0].start = x;
}

/* ---- chunk map ---- */

/*
 * Three modes: empty; one chunk held as `lone' without any table (most streams never hold
 * more); a ring of slots in one table chunk, or in a top table of leaf tables beyond F slots.
 */

uint32_t
quic_chunkmap_slots_for(uint64_t window)
{
	uint64_t need = window / CS + 2;
	uint32_t n = 4;

	while (n < need && n < QUIC_CHUNKMAP_MAX_SLOTS)
		n <<= 1;
	return n;
}

int
quic_chunkmap_init(struct quic_chunkmap *m, uint64_t window)
{
	*m = (struct quic_chunkmap){0};
	if (window / CS + 2 > QUIC_CHUNKMAP_MAX_SLOTS)
		return QUIC_ERR_INVAL;
	m->nslots = quic_chunkmap_slots_for(window);
	return 0;
}

static bool
two_level(uint32_t nslots)
{
	return nslots > F;
}

/* Slot of chunk k in the ring tab/nslots; a missing leaf is allocated only with a pool. */
static void **
slot_of(void **tab, uint32_t nslots, uint64_t k, struct quic_pool *pool, uint16_t *ntables)
{
	uint32_t pos = (uint32_t)(k & (nslots - 1));
	void **leaf;

	if (!two_level(nslots))
		return &tab[pos];
	leaf = tab[pos / F];
	if (leaf == NULL) {
		if (pool == NULL)
			return NULL;
		leaf = quic_pool_get(pool);
		if (leaf == NULL)
			return NULL;
		memset(leaf, 0, QUIC_CHUNK_SIZE);
		tab[pos / F] = leaf;
		(*ntables)++;
	}
	return &leaf[pos % F];
}

uint8_t *
quic_chunkmap_get(const struct quic_chunkmap *m, uint64_t k)
{
	void **slot;

	if (m->tab == NULL)
		return m->lone != NULL && m->lone_k == k ? m->lone : NULL;
	slot = slot_of(m->tab, m->nslots, k, NULL, NULL);
	return slot != NULL ? *slot : NULL;
}

/* A zeroed table chunk. */
static void **
new_table(struct quic_pool *pool)
{
	void **tab = quic_pool_get(pool);

	if (tab != NULL)
		memset(tab, 0, QUIC_CHUNK_SIZE);
	return tab;
}

/* Give back the tables of a ring (not the data chunks). */
static void
free_tables(void **tab, uint32_t nslots, struct quic_pool *pool)
{
	if (two_level(nslots)) {
		for (uint32_t i = 0; i < nslots / F; i++)
			quic_pool_put(pool, tab[i]);
	}
	quic_pool_put(pool, tab);
}

/* Leave lone mode: build the ring and put the lone chunk in it. */
static int
build_ring(struct quic_chunkmap *m, struct quic_pool *pool)
{
	uint16_t ntables = 1;
	void **tab = new_table(pool);
	void **slot;

	if (tab == NULL)
		return QUIC_ERR_NOMEM;
	slot = slot_of(tab, m->nslots, m->lone_k, pool, &ntables);
	if (slot == NULL) {
		quic_pool_put(pool, tab);
		return QUIC_ERR_NOMEM;
	}
	*slot = m->lone;
	m->tab = tab;
	m->ntables = ntables;
	m->lone = NULL;
	return 0;
}

uint8_t *
quic_chunkmap_ensure(struct quic_chunkmap *m, struct quic_pool *pool, uint64_t k)
{
	uint8_t *c = quic_chunkmap_get(m, k);
	void **slot;

	if (c != NULL)
		return c;
	if (m->lone != NULL && build_ring(m, pool) != 0)
		return NULL;
	c = quic_pool_get(pool);
	if (c == NULL)
		return NULL;
	if (m->tab == NULL) {
		m->lone = c;
		m->lone_k = k;
		m->nchunks = 1;
		return c;
	}
	slot = slot_of(m->tab, m->nslots, k, pool, &m->ntables);
	if (slot == NULL) {
		quic_pool_put(pool, c);
		return NULL;
	}
	*slot = c;
	m->nchunks++;
	return c;
}

void
quic_chunkmap_put(struct quic_chunkmap *m, struct quic_pool *pool, uint64_t k)
{
	void **slot;

	if (m->tab == NULL) {
		if (m->lone != NULL && m->lone_k == k) {
			quic_pool_put(pool, m->lone);
			m->lone = NULL;
			m->nchunks = 0;
		}
		return;
	}
	slot = slot_of(m->tab, m->nslots, k, NULL, NULL);
	if (slot == NULL || *slot == NULL)
		return;
	quic_pool_put(pool, *slot);
	*slot = NULL;
	if (--m->nchunks == 0) {
		free_tables(m->tab, m->nslots, pool);
		m->tab = NULL;
		m->ntables = 0;
	}
}

void
quic_chunkmap_put_range(struct quic_chunkmap *m, struct quic_pool *pool, uint64_t lo, uint64_t hi)
{
	/* Past nslots chunks the ring wraps: no live chunk is further than that from lo. */
	if (hi - lo > m->nslots)
		hi = lo + m->nslots;
	for (uint64_t k = lo; k < hi && m->nchunks > 0; k++)
		quic_chunkmap_put(m, pool, k);
}

/* Build a ring of nslots holding the chunks [lo, lo + old nslots); the old ring is untouched. */
static int
rehome(const struct quic_chunkmap *m, struct quic_pool *pool, uint32_t nslots, uint64_t lo,
       void ***out, uint16_t *ntables)
{
	void **tab = new_table(pool);

	if (tab == NULL)
		return QUIC_ERR_NOMEM;
	*ntables = 1;
	for (uint64_t k = lo; k < lo + m->nslots; k++) {
		uint8_t *c = quic_chunkmap_get(m, k);
		void **slot;

		if (c == NULL)
			continue;
		slot = slot_of(tab, nslots, k, pool, ntables);
		if (slot == NULL) {
			free_tables(tab, nslots, pool);
			return QUIC_ERR_NOMEM;
		}
		*slot = c;
	}
	*out = tab;
	return 0;
}

int
quic_chunkmap_grow(struct quic_chunkmap *m, struct quic_pool *pool, uint64_t window, uint64_t lo)
{
	uint32_t nslots;
	uint16_t ntables;
	void **tab;
	int err;

	if (window / CS + 2 > QUIC_CHUNKMAP_MAX_SLOTS)
		return QUIC_ERR_INVAL;
	nslots = quic_chunkmap_slots_for(window);
	if (nslots <= m->nslots)
		return 0;
	if (m->tab == NULL) {
		/* No ring built yet: only the size changes. */
		m->nslots = nslots;
		return 0;
	}
	err = rehome(m, pool, nslots, lo, &tab, &ntables);
	if (err != 0)
		return err;
	free_tables(m->tab, m->nslots, pool);
	m->tab = tab;
	m->ntables = ntables;
	m->nslots = nslots;
	return 0;
}

void
quic_chunkmap_clear(struct quic_chunkmap *m, struct quic_pool *pool)
{
	if (m->tab != NULL) {
		bool two = two_level(m->nslots);
		uint32_t nleaves = two ? m->nslots / F : 1;

		for (uint32_t i = 0; i < nleaves; i++) {
			void **leaf = two ? m->tab[i] : m->tab;
			uint32_t n = two ? F : m->nslots;

			for (uint32_t j = 0; leaf != NULL && j < n; j++)
				quic_pool_put(pool, leaf[j]);
		}
		free_tables(m->tab, m->nslots, pool);
	}
	quic_pool_put(pool, m->lone);
	m->tab = NULL;
	m->lone = NULL;
	m->nchunks = 0;
	m->ntables = 0;
}

/* ---- reassembly buffer ---- */

int
quic_rbuf_init(struct quic_rbuf *rb, struct quic_pool *chunks, uint64_t window, uint16_t max_gaps,
	       struct quic_chunk_budget *budget)
{
	*rb = (struct quic_rbuf){0};
	if (chunks == NULL || window > QUIC_RBUF_WINDOW_MAX || max_gaps < 1 ||
	    max_gaps > QUIC_RBUF_GAPS_MAX)
		return QUIC_ERR_INVAL;
	if (quic_chunkmap_init(&rb->map, window) != 0)
		return QUIC_ERR_INVAL;
	quic_rangeset_init(&rb->islands, max_gaps);
	rb->window = window;
	rb->pool = chunks;
	rb->budget = budget;
	rb->limit_err = QUIC_ERR_FLOW_CONTROL;
	rb->gaps_err = QUIC_ERR_REASSEMBLY;
	return 0;
}

int
quic_rbuf_init_crypto(struct quic_rbuf *rb, struct quic_pool *chunks, uint64_t cap)
{
	int err;

	if (cap < QUIC_CRYPTO_BUF_MIN)
		return QUIC_ERR_INVAL;
	err = quic_rbuf_init(rb, chunks, cap, QUIC_RBUF_GAPS_DEFAULT, NULL);
	if (err != 0)
		return err;
	rb->limit_err = QUIC_ERR_CRYPTO_BUFFER;
	rb->gaps_err = QUIC_ERR_CRYPTO_BUFFER;
	return 0;
}

/* Charge the budget with the change in data chunks since `before'. */
static void
budget_sync(struct quic_rbuf *rb, uint32_t before)
{
	if (rb->budget != NULL)
		rb->budget->used = rb->budget->used - before + rb->map.nchunks;
}

void
quic_rbuf_fini(struct quic_rbuf *rb)
{
	uint32_t before = rb->map.nchunks;

	if (rb->pool == NULL)
		return;
	quic_chunkmap_clear(&rb->map, rb->pool);
	quic_rangeset_fini(&rb->islands, rb->pool);
	budget_sync(rb, before);
}

uint32_t
quic_rbuf_chunks(const struct quic_rbuf *rb)
{
	return rb->map.nchunks + rb->map.ntables + (rb->islands.r != NULL ? 1 : 0);
}

/* Compare n stored bytes at off with src; all of them are held. */
static bool
same_bytes(const struct quic_rbuf *rb, uint64_t off, const uint8_t *src, uint64_t n)
{
	while (n > 0) {
		const uint8_t *c = quic_chunkmap_get(&rb->map, off / CS);
		uint64_t pos = off % CS, k = CS - pos < n ? CS - pos : n;

		if (c == NULL || memcmp(c + pos, src, (size_t)k) != 0)
			return false;
		off += k;
		src += k;
		n -= k;
	}
	return true;
}

/*
 * Bytes of [off, end) already received must match (RFC 9000 §2.2: "The data at a given offset
 * MUST NOT change"; receivers MAY treat a change as PROTOCOL_VIOLATION, bad-input C18).
 * off >= base.
 */
static int
check_overlap(const struct quic_rbuf *rb, uint64_t off, uint64_t end, const uint8_t *data)
{
	const struct quic_rangeset *is = &rb->islands;
	size_t i;

	if (off < rb->contig) {
		uint64_t e = end < rb->contig ? end : rb->contig;

		if (!same_bytes(rb, off, data, e - off))
			return QUIC_ERR_PROTOCOL;
	}
	for (i = quic_rangeset_lower(is, off + 1); i < is->n && is->r[i].start < end; i++) {
		uint64_t s = is->r[i].start > off ? is->r[i].start : off;
		uint64_t e = is->r[i].end < end ? is->r[i].end : end;

		if (!same_bytes(rb, s, data + (s - off), e - s))
			return QUIC_ERR_PROTOCOL;
	}
	return 0;
}

/* Chunks [a, b) of bytes need that are not held; `last' dedups a chunk shared by two calls. */
static uint32_t
missing_chunks(const struct quic_rbuf *rb, uint64_t a, uint64_t b, uint64_t *last)
{
	uint32_t n = 0;

	for (uint64_t k = a / CS; k <= (b - 1) / CS; k++) {
		if (k != *last && quic_chunkmap_get(&rb->map, k) == NULL)
			n++;
		*last = k;
	}
	return n;
}

/* Copy n bytes to offset off, allocating chunks. */
static int
copy_in(struct quic_rbuf *rb, uint64_t off, const uint8_t *src, uint64_t n)
{
	while (n > 0) {
		uint8_t *c = quic_chunkmap_ensure(&rb->map, rb->pool, off / CS);
		uint64_t pos = off % CS, k = CS - pos < n ? CS - pos : n;

		if (c == NULL)
			return QUIC_ERR_NOMEM;
		memcpy(c + pos, src, (size_t)k);
		off += k;
		src += k;
		n -= k;
	}
	return 0;
}

/*
 * Walk the parts of [off, end) not yet received (off >= contig): with need, only count the
 * chunks they lack; without, store them from data (which holds [off, end)).
 */
static int
walk_new(struct quic_rbuf *rb, uint64_t off, uint64_t end, const uint8_t *data, uint32_t *need)
{
	const struct quic_rangeset *is = &rb->islands;
	uint64_t pos = off, last = UINT64_MAX;
	size_t i = quic_rangeset_lower(is, off + 1);
	int err = 0;

	while (err == 0 && pos < end) {
		/* The next island starting before end bounds this gap. */
		uint64_t stop = i < is->n && is->r[i].start < end ? is->r[i].start : end;

		if (stop > pos && need != NULL)
			*need += missing_chunks(rb, pos, stop, &last);
		else if (stop > pos)
			err = copy_in(rb, pos, data + (pos - off), stop - pos);
		if (stop == end)
			break;
		pos = is->r[i++].end;
	}
	return err;
}

/* Gap cap and chunk budget for new data [off, end), off >= contig; nothing changes. */
static int
check_limits(struct quic_rbuf *rb, uint64_t off, uint64_t end)
{
	const struct quic_rangeset *is = &rb->islands;
	size_t first, m = quic_rangeset_touching(is, off, end, &first);
	size_t after = is->n - m + (off == rb->contig ? 0 : 1);
	uint32_t need = 0;

	if (after > is->cap)
		return rb->gaps_err;
	/*
	 * Data that extends the readable run is always taken: flow control bounds it, and it
	 * is what lets the reader free chunks. Refusing it when islands spent the budget would
	 * stall the stream for good, since acknowledged islands are never sent again.
	 */
	if (rb->budget == NULL || off == rb->contig)
		return 0;
	walk_new(rb, off, end, NULL, &need);
	if (need > 0 && (uint64_t)rb->budget->used + need > rb->budget->max)
		return rb->gaps_err;
	return 0;
}

/* Record [off, end) as received: extend the readable run or add an island. */
static int
mark_received(struct quic_rbuf *rb, uint64_t off, uint64_t end)
{
	struct quic_rangeset *is = &rb->islands;

	if (off > rb->contig)
		return quic_rangeset_add(is, rb->pool, off, end, false);
	rb->contig = end;
	while (is->n > 0 && is->r[0].start <= rb->contig) {
		if (is->r[0].end > rb->contig)
			rb->contig = is->r[0].end;
		quic_rangeset_remove_below(is, rb->pool, is->r[0].end);
	}
	return 0;
}

bool
quic_rbuf_covers(const struct quic_rbuf *rb, uint64_t offset, uint64_t len)
{
	uint64_t end = offset + len;
	size_t i;

	/* No bytes, nothing new: a peer may not make empty frames its way around the limit. */
	if (len == 0 || end <= rb->contig)
		return true;
	/* Islands never touch each other: one of them must hold the whole range. */
	i = quic_rangeset_lower(&rb->islands, end);
	return i < rb->islands.n && rb->islands.r[i].start <= offset;
}

int
quic_rbuf_write(struct quic_rbuf *rb, uint64_t offset, const uint8_t *data, size_t len)
{
	uint32_t before = rb->map.nchunks;
	uint64_t end;
	int err;

	if (offset > QUIC_MAX_OFFSET || len > QUIC_MAX_OFFSET - offset)
		return rb->limit_err;
	end = offset + len;
	if (end > rb->base + rb->window)
		return rb->limit_err;
	if (len == 0 || end <= rb->base)
		return 0;
	if (offset < rb->base) {
		data += rb->base - offset;
		offset = rb->base;
	}
	err = check_overlap(rb, offset, end, data);
	if (err != 0 || end <= rb->contig)
		return err;
	if (offset < rb->contig) {
		data += rb->contig - offset;
		offset = rb->contig;
	}
	err = check_limits(rb, offset, end);
	if (err != 0)
		return err;
	err = walk_new(rb, offset, end, data, NULL);
	if (err == 0)
		err = mark_received(rb, offset, end);
	if (err == 0 && end > rb->highest)
		rb->highest = end;
	budget_sync(rb, before);
	return err;
}

size_t
quic_rbuf_peek(const struct quic_rbuf *rb, const uint8_t **data)
{
	uint64_t pos = rb->base % CS, n = rb->contig - rb->base;
	const uint8_t *c;

	if (n == 0)
		return 0;
	c = quic_chunkmap_get(&rb->map, rb->base / CS);
	if (c == NULL)
		return 0;
	if (n > CS - pos)
		n = CS - pos;
	*data = c + pos;
	return (size_t)n;
}

void
quic_rbuf_consume(struct quic_rbuf *rb, uint64_t n)
{
	uint32_t before = rb->map.nchunks;
	uint64_t k;

	if (n > rb->contig - rb->base)
		n = rb->contig - rb->base;
	quic_chunkmap_put_range(&rb->map, rb->pool, rb->base / CS, (rb->base + n) / CS);
	rb->base += n;
	/* The chunk under base still matters only if it holds unread or out-of-order bytes. */
	k = rb->base / CS;
	if (rb->base == rb->contig &&
	    (rb->islands.n == 0 || rb->islands.r[0].start >= (k + 1) * CS))
		quic_chunkmap_put(&rb->map, rb->pool, k);
	budget_sync(rb, before);
}

size_t
quic_rbuf_read(struct quic_rbuf *rb, uint8_t *dst, size_t cap)
{
	size_t done = 0;

	while (done < cap) {
		const uint8_t *p;
		size_t n = quic_rbuf_peek(rb, &p);

		if (n == 0)
			break;
		if (n > cap - done)
			n = cap - done;
		memcpy(dst + done, p, n);
		quic_rbuf_consume(rb, n);
		done += n;
	}
	return done;
}

int
quic_rbuf_set_window(struct quic_rbuf *rb, uint64_t window)
{
	int err;

	if (window <= rb->window)
		return 0;
	if (window > QUIC_RBUF_WINDOW_MAX)
		return QUIC_ERR_INVAL;
	err = quic_chunkmap_grow(&rb->map, rb->pool, window, rb->base / CS);
	if (err == 0)
		rb->window = window;
	return err;
}
