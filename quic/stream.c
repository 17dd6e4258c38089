/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Streams of one connection (RFC 9000 §2-§4): the map (an AA tree keyed by stream ID, so its
 * depth stays O(log n) whatever IDs the peer picks), the state machines of §3, send buffers,
 * flow control in both directions with auto-tuned receive windows, and stream limits.
 */
#include <limits.h>
#include <stddef.h>
#include <string.h>

#include <quic/error.h>
#include <quic/stream.h>

#define CS ((uint64_t)QUIC_CHUNK_SIZE)
/* RFC 9000 §4.6 and §19.11: stream limits never exceed 2^60. */
#define MAX_STREAMS_LIMIT QUIC_FRAME_MAX_STREAMS_LIMIT
/* No window update written yet. */
#define NO_TIME UINT64_MAX

static uint64_t
min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static uint64_t
max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

/* ---- intrusive lists ---- */

/* The stream that holds link l as its member. */
#define STREAM_OF(l, member)                                                                       \
	((struct quic_stream *)(void *)((char *)l - offsetof(struct quic_stream, member)))

static void
list_init(struct quic_stream_link *h)
{
	h->prev = h;
	h->next = h;
}

static bool
list_empty(const struct quic_stream_link *h)
{
	return h->next == h;
}

static bool
linked(const struct quic_stream_link *l)
{
	return l->next != NULL;
}

static void
list_del(struct quic_stream_link *l)
{
	if (!linked(l))
		return;
	l->prev->next = l->next;
	l->next->prev = l->prev;
	l->next = NULL;
	l->prev = NULL;
}

static void
list_add_tail(struct quic_stream_link *h, struct quic_stream_link *l)
{
	l->prev = h->prev;
	l->next = h;
	h->prev->next = l;
	h->prev = l;
}

/* Put l on h (at the tail) or take it off, keeping its place if it stays. */
static void
list_set(struct quic_stream_link *h, struct quic_stream_link *l, bool want)
{
	if (want && !linked(l))
		list_add_tail(h, l);
	else if (!want)
		list_del(l);
}

/* ---- map: AA tree (Andersson 1993) ---- */

static unsigned
level_of(const struct quic_stream *t)
{
	return t != NULL ? t->level : 0;
}

static struct quic_stream *
skew(struct quic_stream *t)
{
	struct quic_stream *l;

	if (t == NULL || t->left == NULL || t->left->level != t->level)
		return t;
	l = t->left;
	t->left = l->right;
	l->right = t;
	return l;
}

static struct quic_stream *
split(struct quic_stream *t)
{
	struct quic_stream *r;

	if (t == NULL || t->right == NULL || t->right->right == NULL ||
	    t->right->right->level != t->level)
		return t;
	r = t->right;
	t->right = r->left;
	r->left = t;
	r->level++;
	return r;
}

static struct quic_stream *
tree_insert(struct quic_stream *t, struct quic_stream *x)
{
	if (t == NULL) {
		x->left = NULL;
		x->right = NULL;
		x->level = 1;
		return x;
	}
	if (x->id < t->id)
		t->left = tree_insert(t->left, x);
	else
		t->right = tree_insert(t->right, x);
	return split(skew(t));
}

/* Restore the AA levels on the way up from a removal. */
static struct quic_stream *
rebalance(struct quic_stream *t)
{
	unsigned l = level_of(t->left), r = level_of(t->right);
	unsigned want = (l < r ? l : r) + 1;

	if (want < t->level) {
		t->level = (uint8_t)want;
		if (t->right != NULL && want < t->right->level)
			t->right->level = (uint8_t)want;
	}
	t = skew(t);
	t->right = skew(t->right);
	if (t->right != NULL)
		t->right->right = skew(t->right->right);
	t = split(t);
	t->right = split(t->right);
	return t;
}

static struct quic_stream *
tree_remove(struct quic_stream *t, uint64_t id)
{
	struct quic_stream *x;

	if (t == NULL)
		return NULL;
	if (id > t->id) {
		t->right = tree_remove(t->right, id);
	} else if (id < t->id) {
		t->left = tree_remove(t->left, id);
	} else if (t->left == NULL && t->right == NULL) {
		return NULL;
	} else {
		/* Put the in-order neighbour (successor or predecessor) in t's place. */
		if (t->left == NULL) {
			for (x = t->right; x->left != NULL; x = x->left)
				;
			t->right = tree_remove(t->right, x->id);
		} else {
			for (x = t->left; x->right != NULL; x = x->right)
				;
			t->left = tree_remove(t->left, x->id);
		}
		x->left = t->left;
		x->right = t->right;
		x->level = t->level;
		t = x;
	}
	return rebalance(t);
}

static struct quic_stream *
tree_find(struct quic_stream *t, uint64_t id)
{
	while (t != NULL && t->id != id)
		t = id < t->id ? t->left : t->right;
	return t;
}

struct quic_stream *
quic_streams_get(struct quic_streams *ss, uint64_t id)
{
	struct quic_stream *s;

	if (ss->cache != NULL && ss->cache->id == id)
		return ss->cache;
	s = tree_find(ss->root, id);
	if (s != NULL)
		ss->cache = s;
	return s;
}

/* ---- stream types and limits ---- */

static bool
is_local(const struct quic_streams *ss, uint64_t id)
{
	return quic_stream_id_is_local(id, ss->is_server);
}

/* Type (id & 3) of the streams we open, or the peer opens. */
static unsigned
local_type(const struct quic_streams *ss, bool uni)
{
	return (uni ? 2u : 0u) | (ss->is_server ? 1u : 0u);
}

static unsigned
peer_type(const struct quic_streams *ss, bool uni)
{
	return local_type(ss, uni) ^ 1u;
}

static unsigned
kind_of(const struct quic_streams *ss, uint64_t id)
{
	if (quic_stream_id_is_uni(id))
		return QUIC_STREAM_KIND_UNI;
	return is_local(ss, id) ? QUIC_STREAM_KIND_BIDI_OURS : QUIC_STREAM_KIND_BIDI_THEIRS;
}

static bool
has_send(const struct quic_streams *ss, uint64_t id)
{
	return !quic_stream_id_is_uni(id) || is_local(ss, id);
}

static bool
has_recv(const struct quic_streams *ss, uint64_t id)
{
	return !quic_stream_id_is_uni(id) || !is_local(ss, id);
}

/* The sending part still sends (§3.1: Ready, Send, Data Sent). */
static bool
sending(const struct quic_stream *s)
{
	return s->send_state == QUIC_SEND_READY || s->send_state == QUIC_SEND_SEND ||
	       s->send_state == QUIC_SEND_DATA_SENT;
}

/* The receiving part still takes data (§3.2: Recv, Size Known). */
static bool
receiving(const struct quic_stream *s)
{
	return s->recv_state == QUIC_RECV_RECV || s->recv_state == QUIC_RECV_SIZE_KNOWN;
}

/*
 * Chunks the receive buffers may hold: the connection window's worth, plus a few per stream
 * for the partly filled chunks at the edges of runs and gaps, plus a little slack.
 */
static void
update_budget(struct quic_streams *ss)
{
	uint64_t max = ss->rx_window / CS + 4 * (uint64_t)ss->count + QUIC_STREAMS_BUDGET_SLACK;

	ss->budget.max = (uint32_t)min_u64(max, UINT32_MAX);
}

/* ---- lifecycle ---- */

int
quic_stream_pool_init(struct quic_pool *p, uint32_t cap, uint32_t prealloc)
{
	return quic_pool_init(p, sizeof(struct quic_stream), cap, prealloc);
}

/* Free every buffer a stream holds (both parts). */
static void
stream_drop_buffers(struct quic_streams *ss, struct quic_stream *s)
{
	quic_rbuf_fini(&s->rx);
	quic_chunkmap_clear(&s->tx_map, ss->chunk_pool);
	quic_rangeset_fini(&s->tx_sacked, ss->chunk_pool);
	quic_rangeset_fini(&s->tx_lost, ss->chunk_pool);
}

/* Create stream id with the parts its type gives it (RFC 9000 §2.1, §3). */
/*
 * Send-buffer auto-tuning. Bytes stay buffered until acknowledged, so the buffer bounds the
 * bytes in flight: a fixed one caps the goodput of one stream at buffer / RTT whatever the
 * peer allows. The buffer therefore grows to hold all the credit the peer gave beyond what it
 * acknowledged (RFC 9000 §4.1: the peer advertises what it is prepared to receive), up to
 * send_buffer_max; it never shrinks. A failed growth (no memory) keeps the old size.
 */
static void
grow_send_buffer(struct quic_streams *ss, struct quic_stream *s)
{
	uint64_t want = s->tx_max > s->tx_acked ? s->tx_max - s->tx_acked : 0;

	want = min_u64(want, ss->send_buffer_max);
	if (want <= s->tx_buf)
		return;
	if (quic_chunkmap_grow(&s->tx_map, ss->chunk_pool, want, s->tx_acked / CS) == 0)
		s->tx_buf = want;
}

/*
 * A new stream starts with the largest window auto-tuning gave a stream of this connection
 * (a peer that needed it once will likely need it again). The peer only knows the initial
 * limit, so the first MAX_STREAM_DATA (RFC 9000 §4.2) is owed as soon as the stream exists:
 * each stream of a bulk transfer otherwise went through the same doublings, blocked for about
 * an RTT at each. The connection window, raised along with the tuned one, still bounds all.
 */
static void
inherit_window(struct quic_streams *ss, struct quic_stream *s)
{
	uint64_t w = min_u64(ss->rx_stream_tuned, ss->stream_window_max);

	if (w <= s->rx_window || quic_rbuf_set_window(&s->rx, w) != 0)
		return;
	s->rx_window = w;
	s->ctrl |= QUIC_STREAM_CTRL_MAX_DATA; /* linked on ctrl_q once in the map */
}

static struct quic_stream *
stream_new(struct quic_streams *ss, uint64_t id)
{
	struct quic_stream *s = quic_pool_get(ss->stream_pool);
	unsigned kind = kind_of(ss, id);

	if (s == NULL)
		return NULL;
	memset(s, 0, sizeof(*s));
	s->id = id;
	if (has_recv(ss, id)) {
		s->recv_state = QUIC_RECV_RECV;
		s->rx_window = ss->rx_init[kind];
		s->rx_max = s->rx_window;
		s->rx_tune_ns = NO_TIME;
		/* Windows were checked against QUIC_RBUF_WINDOW_MAX at init. */
		quic_rbuf_init(&s->rx, ss->chunk_pool, s->rx_window, ss->max_gaps, &ss->budget);
		inherit_window(ss, s);
	}
	if (has_send(ss, id)) {
		s->send_state = QUIC_SEND_READY;
		s->tx_max = ss->tx_init[kind];
		s->tx_buf = ss->send_buffer;
		quic_chunkmap_init(&s->tx_map, ss->send_buffer);
		grow_send_buffer(ss, s);
		quic_rangeset_init(&s->tx_sacked, QUIC_RANGESET_MAX);
		quic_rangeset_init(&s->tx_lost, QUIC_RANGESET_MAX);
	}
	ss->root = tree_insert(ss->root, s);
	ss->count++;
	update_budget(ss);
	list_set(&ss->ctrl_q, &s->ctrl_link, s->ctrl != 0);
	return s;
}

/* Unlink a stream from every list. */
static void
stream_unlink(struct quic_stream *s)
{
	list_del(&s->send_link);
	list_del(&s->retx_link);
	list_del(&s->ctrl_link);
	list_del(&s->ready_link);
}

/*
 * Both parts terminal (§3.1 Data Recvd / Reset Recvd, §3.2 Data Read / Reset Read): drop the
 * buffers now and queue the stream for quic_streams_collect().
 */
static void
maybe_close(struct quic_streams *ss, struct quic_stream *s)
{
	bool send_done = s->send_state == QUIC_SEND_NONE || s->send_state == QUIC_SEND_DATA_RECVD ||
			 s->send_state == QUIC_SEND_RESET_RECVD;
	bool recv_done = s->recv_state == QUIC_RECV_NONE || s->recv_state == QUIC_RECV_DATA_READ ||
			 s->recv_state == QUIC_RECV_RESET_READ;

	if (!send_done || !recv_done || (s->flags & QUIC_STREAM_F_CLOSED))
		return;
	s->flags |= QUIC_STREAM_F_CLOSED;
	s->ctrl = 0;
	stream_unlink(s);
	stream_drop_buffers(ss, s);
	/* ctrl_link is free from now on: it carries the closed list. */
	list_add_tail(&ss->closed_q, &s->ctrl_link);
}

/* Owe MAX_STREAMS once half the initial allowance of a peer type was freed (§4.6). */
static void
owe_max_streams(struct quic_streams *ss, unsigned t)
{
	uint64_t want = min_u64(ss->closed[t] + ss->limit_init[t], MAX_STREAMS_LIMIT);
	uint64_t step = ss->limit_init[t] / 2 > 0 ? ss->limit_init[t] / 2 : 1;

	if (want >= ss->limit[t] + step)
		ss->ctrl |= (t & 2) ? QUIC_STREAMS_CTRL_MAX_STREAMS_UNI
				    : QUIC_STREAMS_CTRL_MAX_STREAMS_BIDI;
}

void
quic_streams_collect(struct quic_streams *ss)
{
	while (!list_empty(&ss->closed_q)) {
		struct quic_stream *s = STREAM_OF(ss->closed_q.next, ctrl_link);
		unsigned t = (unsigned)(s->id & 3);

		list_del(&s->ctrl_link);
		ss->root = tree_remove(ss->root, s->id);
		ss->count--;
		if (ss->cache == s)
			ss->cache = NULL;
		if (!is_local(ss, s->id)) {
			ss->closed[t]++;
			owe_max_streams(ss, t);
		}
		quic_pool_put(ss->stream_pool, s);
	}
	update_budget(ss);
}

/* Check the windows and limits we advertise against what the buffers support. */
static bool
local_params_ok(const struct quic_tparams *local)
{
	return local->initial_max_stream_data_bidi_local <= QUIC_RBUF_WINDOW_MAX &&
	       local->initial_max_stream_data_bidi_remote <= QUIC_RBUF_WINDOW_MAX &&
	       local->initial_max_stream_data_uni <= QUIC_RBUF_WINDOW_MAX &&
	       local->initial_max_data <= QUIC_MAX_OFFSET &&
	       local->initial_max_streams_bidi <= MAX_STREAMS_LIMIT &&
	       local->initial_max_streams_uni <= MAX_STREAMS_LIMIT;
}

/* Configured value, or its default; clamped to max. */
static uint64_t
cfg_or(uint64_t v, uint64_t def, uint64_t max)
{
	return min_u64(v != 0 ? v : def, max);
}

int
quic_streams_init(struct quic_streams *ss, const struct quic_streams_config *cfg,
		  const struct quic_tparams *local, struct quic_pool *streams,
		  struct quic_pool *chunks)
{
	unsigned pb, pu;

	memset(ss, 0, sizeof(*ss));
	if (streams == NULL || chunks == NULL || !local_params_ok(local) ||
	    cfg->max_gaps > QUIC_RBUF_GAPS_MAX || cfg->send_buffer > QUIC_RBUF_WINDOW_MAX ||
	    cfg->send_buffer_max > QUIC_RBUF_WINDOW_MAX)
		return QUIC_ERR_INVAL;
	ss->stream_pool = streams;
	ss->chunk_pool = chunks;
	ss->is_server = cfg->is_server;
	ss->max_gaps = cfg->max_gaps != 0 ? cfg->max_gaps : QUIC_RBUF_GAPS_DEFAULT;
	ss->send_buffer = (uint32_t)cfg_or(cfg->send_buffer, QUIC_STREAM_SEND_BUF_DEFAULT,
					   QUIC_RBUF_WINDOW_MAX);
	ss->send_buffer_max =
		(uint32_t)max_u64(cfg_or(cfg->send_buffer_max, QUIC_STREAM_SEND_BUF_MAX_DEFAULT,
					 QUIC_RBUF_WINDOW_MAX),
				  ss->send_buffer);
	ss->rx_init[QUIC_STREAM_KIND_BIDI_OURS] = local->initial_max_stream_data_bidi_local;
	ss->rx_init[QUIC_STREAM_KIND_BIDI_THEIRS] = local->initial_max_stream_data_bidi_remote;
	ss->rx_init[QUIC_STREAM_KIND_UNI] = local->initial_max_stream_data_uni;
	ss->stream_window_max = cfg_or(cfg->stream_window_max, QUIC_STREAM_WINDOW_MAX_DEFAULT,
				       QUIC_RBUF_WINDOW_MAX);
	ss->rx_max = local->initial_max_data;
	ss->rx_window = local->initial_max_data;
	ss->rx_window_max =
		max_u64(cfg_or(cfg->conn_window_max, QUIC_CONN_WINDOW_MAX_DEFAULT, QUIC_MAX_OFFSET),
			ss->rx_window);
	ss->rx_tune_ns = NO_TIME;
	pb = peer_type(ss, false);
	pu = peer_type(ss, true);
	ss->limit[pb] = ss->limit_init[pb] = local->initial_max_streams_bidi;
	ss->limit[pu] = ss->limit_init[pu] = local->initial_max_streams_uni;
	list_init(&ss->send_q);
	list_init(&ss->retx_q);
	list_init(&ss->ctrl_q);
	list_init(&ss->ready_q);
	list_init(&ss->closed_q);
	update_budget(ss);
	return 0;
}

/* Post-order free of a subtree. */
static void
free_tree(struct quic_streams *ss, struct quic_stream *t)
{
	if (t == NULL)
		return;
	free_tree(ss, t->left);
	free_tree(ss, t->right);
	stream_drop_buffers(ss, t);
	quic_pool_put(ss->stream_pool, t);
}

void
quic_streams_fini(struct quic_streams *ss)
{
	if (ss->stream_pool == NULL)
		return;
	free_tree(ss, ss->root);
	ss->root = NULL;
	ss->cache = NULL;
	ss->count = 0;
	list_init(&ss->send_q);
	list_init(&ss->retx_q);
	list_init(&ss->ctrl_q);
	list_init(&ss->ready_q);
	list_init(&ss->closed_q);
}

static size_t
tree_mem(const struct quic_stream *t)
{
	size_t chunks;

	if (t == NULL)
		return 0;
	chunks = quic_rbuf_chunks(&t->rx) + t->tx_map.nchunks + t->tx_map.ntables +
		 (t->tx_sacked.r != NULL) + (t->tx_lost.r != NULL);
	return sizeof(*t) + chunks * QUIC_CHUNK_SIZE + tree_mem(t->left) + tree_mem(t->right);
}

size_t
quic_streams_mem(const struct quic_streams *ss)
{
	return sizeof(*ss) + tree_mem(ss->root);
}

size_t
quic_streams_state_mem(const struct quic_streams *ss)
{
	return (size_t)ss->count * sizeof(struct quic_stream);
}

bool
quic_streams_send_pending(const struct quic_streams *ss)
{
	if (ss->ctrl != 0 || !list_empty(&ss->ctrl_q) || !list_empty(&ss->retx_q))
		return true;
	return !list_empty(&ss->send_q) && ss->tx_sent < ss->tx_max;
}

bool
quic_streams_recv_pending(const struct quic_streams *ss)
{
	return !list_empty(&ss->ready_q);
}

/* *v = max(*v, x) */
static void
raise_to(uint64_t *v, uint64_t x)
{
	if (x > *v)
		*v = x;
}

/* Apply an initial send limit to a stream opened before the peer's parameters arrived. */
static void
raise_tx_init(struct quic_streams *ss, struct quic_stream *t)
{
	if (t == NULL)
		return;
	raise_tx_init(ss, t->left);
	raise_tx_init(ss, t->right);
	if (t->send_state != QUIC_SEND_NONE) {
		t->tx_max = max_u64(t->tx_max, ss->tx_init[kind_of(ss, t->id)]);
		grow_send_buffer(ss, t);
	}
}

static void requeue(struct quic_streams *ss, struct quic_stream *s);

static void
requeue_tree(struct quic_streams *ss, struct quic_stream *t)
{
	if (t == NULL)
		return;
	requeue_tree(ss, t->left);
	requeue_tree(ss, t->right);
	requeue(ss, t);
}

void
quic_streams_set_peer_params(struct quic_streams *ss, const struct quic_tparams *peer)
{
	unsigned lb = local_type(ss, false), lu = local_type(ss, true);

	ss->tx_max = max_u64(ss->tx_max, peer->initial_max_data);
	ss->limit[lb] =
		max_u64(ss->limit[lb], min_u64(peer->initial_max_streams_bidi, MAX_STREAMS_LIMIT));
	ss->limit[lu] =
		max_u64(ss->limit[lu], min_u64(peer->initial_max_streams_uni, MAX_STREAMS_LIMIT));
	/* The peer's "local" limit is for streams it opens, its "remote" one for ours. */
	raise_to(&ss->tx_init[QUIC_STREAM_KIND_BIDI_OURS],
		 peer->initial_max_stream_data_bidi_remote);
	raise_to(&ss->tx_init[QUIC_STREAM_KIND_BIDI_THEIRS],
		 peer->initial_max_stream_data_bidi_local);
	raise_to(&ss->tx_init[QUIC_STREAM_KIND_UNI], peer->initial_max_stream_data_uni);
	raise_tx_init(ss, ss->root);
	requeue_tree(ss, ss->root);
}

/* ---- receive flow control (RFC 9000 §4.1, §4.2) ---- */

/*
 * Owe / settle stream control frames. A closed stream owes nothing, and its ctrl_link carries
 * the closed list: it is left alone.
 */
static void
ctrl_set(struct quic_streams *ss, struct quic_stream *s, uint8_t bits)
{
	if (s->flags & QUIC_STREAM_F_CLOSED)
		return;
	s->ctrl |= bits;
	list_set(&ss->ctrl_q, &s->ctrl_link, s->ctrl != 0);
}

static void
ctrl_clear(struct quic_streams *ss, struct quic_stream *s, uint8_t bits)
{
	if (s->flags & QUIC_STREAM_F_CLOSED)
		return;
	s->ctrl &= (uint8_t)~bits;
	list_set(&ss->ctrl_q, &s->ctrl_link, s->ctrl != 0);
}

/* Owe MAX_DATA once the application consumed half the connection window (§4.2). */
static void
check_conn_update(struct quic_streams *ss)
{
	if (ss->rx_max - ss->rx_released <= ss->rx_window / 2)
		ss->ctrl |= QUIC_STREAMS_CTRL_MAX_DATA;
}

/* Owe MAX_STREAM_DATA once half the stream window was read; only in Recv (§3.2). */
static void
check_stream_update(struct quic_streams *ss, struct quic_stream *s)
{
	if (s->recv_state == QUIC_RECV_RECV && !(s->flags & QUIC_STREAM_F_STOPPED) &&
	    s->rx_max - s->rx.base <= s->rx_window / 2)
		ctrl_set(ss, s, QUIC_STREAM_CTRL_MAX_DATA);
}

/* Credit up to stream offset off is free again: read, dropped, or never to come. */
static void
release(struct quic_streams *ss, struct quic_stream *s, uint64_t off)
{
	if (off <= s->rx_released)
		return;
	ss->rx_released += off - s->rx_released;
	s->rx_released = off;
	check_conn_update(ss);
}

/* Final size rules (§4.5, C17): it never changes and no data lies at or beyond it. */
static int
check_final(const struct quic_stream *s, uint64_t end, bool fin)
{
	if (s->flags & QUIC_STREAM_F_FINAL) {
		if (end > s->rx_final || (fin && end != s->rx_final))
			return QUIC_ERR_FINAL_SIZE;
	} else if (fin && end < s->rx_highest) {
		return QUIC_ERR_FINAL_SIZE;
	}
	return 0;
}

/* Data up to end: within the stream limit and the connection limit we sent (§4.1, C7). */
static int
take_credit(struct quic_streams *ss, struct quic_stream *s, uint64_t end)
{
	uint64_t more;

	if (end <= s->rx_highest)
		return 0;
	if (end > s->rx_max)
		return QUIC_ERR_FLOW_CONTROL;
	more = end - s->rx_highest;
	if (more > ss->rx_max - ss->rx_highest)
		return QUIC_ERR_FLOW_CONTROL;
	ss->rx_highest += more;
	s->rx_highest = end;
	return 0;
}

static void
set_final(struct quic_streams *ss, struct quic_stream *s, uint64_t size)
{
	s->flags |= QUIC_STREAM_F_FINAL;
	s->rx_final = size;
	if (s->recv_state == QUIC_RECV_RECV) {
		/* Size Known: no MAX_STREAM_DATA needed any more (§3.2). */
		s->recv_state = QUIC_RECV_SIZE_KNOWN;
		ctrl_clear(ss, s, QUIC_STREAM_CTRL_MAX_DATA);
	}
}

/* The application has read all data (Data Read) or learnt of the reset (Reset Read). */
static void
recv_done(struct quic_streams *ss, struct quic_stream *s, enum quic_recv_state st)
{
	s->recv_state = (uint8_t)st;
	ctrl_clear(ss, s, QUIC_STREAM_CTRL_STOP | QUIC_STREAM_CTRL_MAX_DATA);
	list_del(&s->ready_link);
	quic_rbuf_fini(&s->rx);
	maybe_close(ss, s);
}

/* After new data: Data Recvd once complete; a stopped stream drops what it could read. */
static void
after_rx(struct quic_streams *ss, struct quic_stream *s)
{
	bool stopped = (s->flags & QUIC_STREAM_F_STOPPED) != 0;

	if (stopped) {
		quic_rbuf_consume(&s->rx, quic_rbuf_readable(&s->rx));
		release(ss, s, s->rx.base);
	}
	if (s->recv_state == QUIC_RECV_SIZE_KNOWN && s->rx.contig == s->rx_final)
		s->recv_state = QUIC_RECV_DATA_RECVD;
	if (stopped && s->recv_state == QUIC_RECV_DATA_RECVD)
		recv_done(ss, s, QUIC_RECV_DATA_READ);
	else if (!stopped &&
		 (quic_rbuf_readable(&s->rx) > 0 || s->recv_state == QUIC_RECV_DATA_RECVD))
		list_set(&ss->ready_q, &s->ready_link, true);
}

/* ---- received frames ---- */

/* Create the peer's streams of type t up to index idx: all lower ones open too (§3.2). */
static int
open_peer(struct quic_streams *ss, unsigned t, uint64_t idx)
{
	while (ss->opened[t] <= idx) {
		uint64_t id = ss->opened[t] << 2 | t;

		if (stream_new(ss, id) == NULL)
			return QUIC_ERR_NOMEM;
		ss->opened[t]++;
	}
	return 0;
}

/*
 * Find, or open, the stream a received frame names. need_send: the frame is about our sending
 * part (STOP_SENDING, MAX_STREAM_DATA), otherwise about our receiving part. *out is NULL for a
 * stream that was closed and freed: the frame is then ignored.
 */
static int
lookup(struct quic_streams *ss, uint64_t id, bool need_send, struct quic_stream **out)
{
	bool local = is_local(ss, id);
	unsigned t = (unsigned)(id & 3);
	uint64_t idx = quic_stream_id_index(id);
	int err;

	*out = NULL;
	/* A send-only or receive-only stream named for the other direction (C10-C14). */
	if (quic_stream_id_is_uni(id) && local != need_send)
		return QUIC_ERR_STREAM_STATE;
	if (local) {
		/* One of ours that we never opened (C10, C12, C13). */
		if (idx >= ss->opened[t])
			return QUIC_ERR_STREAM_STATE;
	} else {
		/* Beyond the limit we advertised (§4.6, C9). */
		if (idx >= ss->limit[t])
			return QUIC_ERR_STREAM_LIMIT;
		if (idx >= ss->opened[t]) {
			err = open_peer(ss, t, idx);
			if (err != 0)
				return err;
		}
	}
	*out = quic_streams_get(ss, id);
	/* A frame for a stream already closed and freed changes nothing (§21.9, C34). */
	if (*out == NULL)
		ss->rx_noop = 1;
	return 0;
}

static int
recv_data(struct quic_streams *ss, struct quic_stream *s, const struct quic_frame_stream *fs,
	  bool fin)
{
	uint64_t end = fs->offset + fs->len, contig = s->rx.contig;
	bool new_fin = fin && !(s->flags & QUIC_STREAM_F_FINAL);
	int err;

	err = check_final(s, end, fin);
	if (err == 0)
		err = take_credit(ss, s, end);
	if (err != 0)
		return err;
	if (fin)
		set_final(ss, s, end);
	/* Reset Recvd, Data Recvd and later: counted above, nothing more to keep (§3.2). */
	if (!receiving(s)) {
		ss->rx_noop = !new_fin;
		return 0;
	}
	/* Bytes all received before and no new end: a duplicate (§21.9, C34). */
	ss->rx_noop = !new_fin && quic_rbuf_covers(&s->rx, fs->offset, fs->len);
	err = quic_rbuf_write(&s->rx, fs->offset, fs->data, fs->len);
	if (err != 0)
		return err;
	ss->rx_progress = (uint32_t)min_u64(s->rx.contig - contig, UINT32_MAX);
	after_rx(ss, s);
	return 0;
}

int
quic_streams_on_stream(struct quic_streams *ss, const struct quic_frame *f)
{
	const struct quic_frame_stream *fs = &f->stream;
	struct quic_stream *s;
	int err;

	if (!quic_frame_is_stream(f->type))
		return QUIC_ERR_INVAL;
	/* §19.8: offset + length beyond 2^62 - 1 (C8). */
	if (fs->offset > QUIC_MAX_OFFSET || fs->len > QUIC_MAX_OFFSET - fs->offset)
		return QUIC_ERR_FLOW_CONTROL;
	err = lookup(ss, fs->stream_id, false, &s);
	if (err != 0 || s == NULL)
		return err;
	return recv_data(ss, s, fs, (f->type & QUIC_STREAM_BIT_FIN) != 0);
}

int
quic_streams_on_reset_stream(struct quic_streams *ss, const struct quic_frame_reset_stream *f)
{
	struct quic_stream *s;
	int err;

	if (f->final_size > QUIC_MAX_OFFSET)
		return QUIC_ERR_FLOW_CONTROL;
	err = lookup(ss, f->stream_id, false, &s);
	if (err != 0 || s == NULL)
		return err;
	err = check_final(s, f->final_size, true);
	if (err == 0)
		err = take_credit(ss, s, f->final_size);
	if (err != 0)
		return err;
	set_final(ss, s, f->final_size);
	/* In Data Recvd the reset is suppressed: every byte is there to read (§3.2). A repeat
	 * after Reset Recvd, or a reset of a stream with all data, changes nothing (C34). */
	if (!receiving(s)) {
		ss->rx_noop = 1;
		return 0;
	}
	s->recv_state = QUIC_RECV_RESET_RECVD;
	s->rx_error = f->error_code;
	quic_rbuf_fini(&s->rx);
	/* Bytes never to be read give their credit back to the connection (§4.5). */
	release(ss, s, f->final_size);
	ctrl_clear(ss, s, QUIC_STREAM_CTRL_STOP | QUIC_STREAM_CTRL_MAX_DATA);
	if (s->flags & QUIC_STREAM_F_STOPPED)
		recv_done(ss, s, QUIC_RECV_RESET_READ);
	else
		list_set(&ss->ready_q, &s->ready_link, true);
	return 0;
}

/* Abandon sending (§3.1): drop the buffer, owe RESET_STREAM with final size tx_next. */
static void
do_reset(struct quic_streams *ss, struct quic_stream *s, uint64_t error)
{
	s->send_state = QUIC_SEND_RESET_SENT;
	s->tx_error = error;
	quic_chunkmap_clear(&s->tx_map, ss->chunk_pool);
	quic_rangeset_fini(&s->tx_sacked, ss->chunk_pool);
	quic_rangeset_fini(&s->tx_lost, ss->chunk_pool);
	list_del(&s->send_link);
	list_del(&s->retx_link);
	s->ctrl &= (uint8_t)~QUIC_STREAM_CTRL_BLOCKED;
	ctrl_set(ss, s, QUIC_STREAM_CTRL_RESET);
}

int
quic_streams_on_stop_sending(struct quic_streams *ss, const struct quic_frame_stop_sending *f)
{
	struct quic_stream *s;
	int err = lookup(ss, f->stream_id, true, &s);

	if (err != 0 || s == NULL)
		return err;
	ss->rx_noop = (s->flags & QUIC_STREAM_F_STOP_RECVD) != 0; /* a repeat (C34) */
	s->flags |= QUIC_STREAM_F_STOP_RECVD;
	s->tx_stop_error = f->error_code;
	/* §3.5: MUST reset in Ready or Send; we do not wait in Data Sent either. */
	if (sending(s))
		do_reset(ss, s, f->error_code);
	return 0;
}

int
quic_streams_on_max_data(struct quic_streams *ss, uint64_t max)
{
	/* §4.1 and C19: a limit that does not increase is ignored. */
	ss->rx_noop = max < ss->tx_max + QUIC_STREAMS_MIN_INCREMENT; /* §21.9, C34 */
	if (max > ss->tx_max)
		ss->tx_max = max;
	return 0;
}

int
quic_streams_on_max_stream_data(struct quic_streams *ss, const struct quic_frame_max_stream_data *f)
{
	struct quic_stream *s;
	int err = lookup(ss, f->stream_id, true, &s);

	if (err != 0 || s == NULL)
		return err;
	ss->rx_noop = f->max < s->tx_max + QUIC_STREAMS_MIN_INCREMENT; /* §21.9, C34 */
	if (f->max > s->tx_max) {
		s->tx_max = f->max;
		grow_send_buffer(ss, s);
		requeue(ss, s);
	}
	return 0;
}

int
quic_streams_on_max_streams(struct quic_streams *ss, bool uni, uint64_t max)
{
	unsigned t = local_type(ss, uni);

	/* §19.11, C15: a limit above 2^60 is a FRAME_ENCODING_ERROR. */
	if (max > MAX_STREAMS_LIMIT)
		return QUIC_ERR_FRAME_ENCODING;
	ss->rx_noop = max <= ss->limit[t]; /* §21.9, C34 */
	if (max > ss->limit[t])
		ss->limit[t] = max;
	return 0;
}

int
quic_streams_on_data_blocked(struct quic_streams *ss, uint64_t limit)
{
	/*
	 * Information only: MAX_DATA goes out once half the window is consumed, without waiting
	 * for this (§4.2 "MUST NOT wait"). One per limit is informative; a stale limit or a
	 * repeat is non-productive (§21.9, C34).
	 */
	uint32_t tag = (uint32_t)limit + 1u;

	tag = tag == 0 ? 1 : tag;
	ss->rx_noop = limit < ss->rx_max || ss->blocked_seen == tag;
	ss->blocked_seen = tag;
	return 0;
}

int
quic_streams_on_stream_data_blocked(struct quic_streams *ss,
				    const struct quic_frame_stream_data_blocked *f)
{
	struct quic_stream *s;

	/* C14: on a send-only stream it is a STREAM_STATE_ERROR; it may open a peer stream. */
	return lookup(ss, f->stream_id, false, &s);
}

int
quic_streams_on_streams_blocked(struct quic_streams *ss, bool uni, uint64_t limit)
{
	/* §19.14, C16: a limit above 2^60 is a STREAM_LIMIT_ERROR. */
	if (limit > MAX_STREAMS_LIMIT)
		return QUIC_ERR_STREAM_LIMIT;
	/* Blocked below what we advertised since: stale (§21.9, C34). */
	ss->rx_noop = limit < ss->limit[peer_type(ss, uni)];
	return 0;
}

/* The frame handlers by type; quic_streams_on_frame() adds the progress report. */
static int
on_frame(struct quic_streams *ss, const struct quic_frame *f)
{
	if (quic_frame_is_stream(f->type))
		return quic_streams_on_stream(ss, f);
	switch (f->type) {
	case QUIC_FRAME_RESET_STREAM:
		return quic_streams_on_reset_stream(ss, &f->reset_stream);
	case QUIC_FRAME_STOP_SENDING:
		return quic_streams_on_stop_sending(ss, &f->stop_sending);
	case QUIC_FRAME_MAX_DATA:
		return quic_streams_on_max_data(ss, f->max_data.max);
	case QUIC_FRAME_MAX_STREAM_DATA:
		return quic_streams_on_max_stream_data(ss, &f->max_stream_data);
	case QUIC_FRAME_MAX_STREAMS_BIDI:
	case QUIC_FRAME_MAX_STREAMS_UNI:
		return quic_streams_on_max_streams(ss, f->type == QUIC_FRAME_MAX_STREAMS_UNI,
						   f->max_streams.max);
	case QUIC_FRAME_DATA_BLOCKED:
		return quic_streams_on_data_blocked(ss, f->data_blocked.limit);
	case QUIC_FRAME_STREAM_DATA_BLOCKED:
		return quic_streams_on_stream_data_blocked(ss, &f->stream_data_blocked);
	case QUIC_FRAME_STREAMS_BLOCKED_BIDI:
	case QUIC_FRAME_STREAMS_BLOCKED_UNI:
		return quic_streams_on_streams_blocked(
			ss, f->type == QUIC_FRAME_STREAMS_BLOCKED_UNI, f->streams_blocked.limit);
	default:
		return QUIC_ERR_INVAL;
	}
}

int
quic_streams_on_frame(struct quic_streams *ss, const struct quic_frame *f)
{
	uint64_t opened = ss->opened[0] + ss->opened[1] + ss->opened[2] + ss->opened[3];
	int rc;

	ss->rx_noop = 0;
	ss->rx_progress = 0;
	rc = on_frame(ss, f);
	/* A frame that opened a stream did something, whatever else it carried. */
	if (opened != ss->opened[0] + ss->opened[1] + ss->opened[2] + ss->opened[3])
		ss->rx_noop = 0;
	return rc;
}

/* ---- application ---- */

int
quic_streams_open(struct quic_streams *ss, bool uni, struct quic_stream **out)
{
	unsigned t = local_type(ss, uni);
	struct quic_stream *s;

	if (ss->opened[t] >= ss->limit[t]) {
		/* §4.6: owe STREAMS_BLOCKED, once per limit value. */
		if (ss->blocked_at[t] != ss->limit[t] + 1)
			ss->ctrl |= uni ? QUIC_STREAMS_CTRL_BLOCKED_UNI
					: QUIC_STREAMS_CTRL_BLOCKED_BIDI;
		return QUIC_ERR_STREAM_LIMIT;
	}
	s = stream_new(ss, quic_stream_id_make(ss->opened[t], ss->is_server, uni));
	if (s == NULL)
		return QUIC_ERR_NOMEM;
	ss->opened[t]++;
	*out = s;
	return 0;
}

/* Whether the application may still write on s (sending, not ended). */
static bool
can_write(const struct quic_stream *s)
{
	return (s->send_state == QUIC_SEND_READY || s->send_state == QUIC_SEND_SEND) &&
	       !(s->flags & QUIC_STREAM_F_FIN);
}

uint64_t
quic_stream_send_room(const struct quic_streams *ss, const struct quic_stream *s)
{
	uint64_t held = s->tx_written - s->tx_acked;

	(void)ss; /* the limit is the stream's own, auto-tuned tx_buf */
	if (!can_write(s) || held >= s->tx_buf)
		return 0;
	return s->tx_buf - held;
}

uint64_t
quic_stream_send_unsent(const struct quic_stream *s)
{
	return s->tx_written > s->tx_next ? s->tx_written - s->tx_next : 0;
}

/* Copy n bytes at the end of the send buffer; @return bytes copied (short on NOMEM). */
static size_t
sbuf_append(struct quic_streams *ss, struct quic_stream *s, const uint8_t *data, size_t n)
{
	size_t done = 0;

	while (done < n) {
		uint64_t off = s->tx_written + done, pos = off % CS;
		uint8_t *c = quic_chunkmap_ensure(&s->tx_map, ss->chunk_pool, off / CS);
		size_t k = (size_t)min_u64(CS - pos, n - done);

		if (c == NULL)
			break;
		memcpy(c + pos, data + done, k);
		done += k;
	}
	return done;
}

int
quic_stream_write(struct quic_streams *ss, struct quic_stream *s, const uint8_t *data, size_t len,
		  bool fin)
{
	size_t n, done;

	if (!can_write(s))
		return QUIC_ERR_STREAM_STATE;
	n = (size_t)min_u64(min_u64(len, quic_stream_send_room(ss, s)), INT_MAX);
	done = sbuf_append(ss, s, data, n);
	if (done == 0 && n > 0)
		return QUIC_ERR_NOMEM;
	s->tx_written += done;
	if (fin && done == len)
		s->flags |= QUIC_STREAM_F_FIN;
	requeue(ss, s);
	return (int)done;
}

/* Contiguous room at the end of the send buffer (to the current chunk's end). */
static size_t
tail_room(const struct quic_streams *ss, const struct quic_stream *s)
{
	return (size_t)min_u64(CS - s->tx_written % CS, quic_stream_send_room(ss, s));
}

int
quic_stream_write_reserve(struct quic_streams *ss, struct quic_stream *s, uint8_t **buf,
			  size_t *len)
{
	uint8_t *c;

	*buf = NULL;
	*len = 0;
	if (!can_write(s))
		return QUIC_ERR_STREAM_STATE;
	if (tail_room(ss, s) == 0)
		return 0;
	c = quic_chunkmap_ensure(&s->tx_map, ss->chunk_pool, s->tx_written / CS);
	if (c == NULL)
		return QUIC_ERR_NOMEM;
	*buf = c + s->tx_written % CS;
	*len = tail_room(ss, s);
	return 0;
}

int
quic_stream_write_commit(struct quic_streams *ss, struct quic_stream *s, size_t n, bool fin)
{
	if (!can_write(s))
		return QUIC_ERR_STREAM_STATE;
	if (n > tail_room(ss, s) ||
	    (n > 0 && quic_chunkmap_get(&s->tx_map, s->tx_written / CS) == NULL))
		return QUIC_ERR_INVAL;
	s->tx_written += n;
	if (fin)
		s->flags |= QUIC_STREAM_F_FIN;
	requeue(ss, s);
	return (int)n;
}

int
quic_stream_read(struct quic_streams *ss, struct quic_stream *s, uint8_t *buf, size_t cap,
		 bool *fin)
{
	size_t n;

	*fin = false;
	switch (s->recv_state) {
	case QUIC_RECV_NONE:
	case QUIC_RECV_RESET_READ:
		return QUIC_ERR_STREAM_STATE;
	case QUIC_RECV_RESET_RECVD:
		recv_done(ss, s, QUIC_RECV_RESET_READ);
		return QUIC_ERR_STREAM_STATE;
	case QUIC_RECV_DATA_READ:
		*fin = true;
		return 0;
	default:
		break;
	}
	if (s->flags & QUIC_STREAM_F_STOPPED)
		return QUIC_ERR_STREAM_STATE;
	n = quic_rbuf_read(&s->rx, buf, (size_t)min_u64(cap, INT_MAX));
	release(ss, s, s->rx.base);
	if (s->recv_state == QUIC_RECV_DATA_RECVD && s->rx.base == s->rx_final) {
		*fin = true;
		recv_done(ss, s, QUIC_RECV_DATA_READ);
	} else {
		check_stream_update(ss, s);
	}
	return (int)n;
}

int
quic_stream_reset(struct quic_streams *ss, struct quic_stream *s, uint64_t error)
{
	switch (s->send_state) {
	case QUIC_SEND_READY:
	case QUIC_SEND_SEND:
	case QUIC_SEND_DATA_SENT:
		do_reset(ss, s, error);
		return 0;
	case QUIC_SEND_RESET_SENT:
	case QUIC_SEND_RESET_RECVD:
		return 0;
	default:
		return QUIC_ERR_STREAM_STATE;
	}
}

int
quic_stream_stop(struct quic_streams *ss, struct quic_stream *s, uint64_t error)
{
	if (s->recv_state == QUIC_RECV_NONE)
		return QUIC_ERR_STREAM_STATE;
	if ((s->flags & QUIC_STREAM_F_STOPPED) || s->recv_state == QUIC_RECV_DATA_READ ||
	    s->recv_state == QUIC_RECV_RESET_READ)
		return 0;
	s->flags |= QUIC_STREAM_F_STOPPED;
	s->stop_error = error;
	list_del(&s->ready_link);
	/* §3.5: STOP_SENDING only while the peer may still send (Recv, Size Known). */
	if (receiving(s))
		ctrl_set(ss, s, QUIC_STREAM_CTRL_STOP);
	ctrl_clear(ss, s, QUIC_STREAM_CTRL_MAX_DATA);
	/* What is buffered is dropped now, and whatever arrives later on arrival. */
	if (s->recv_state == QUIC_RECV_RESET_RECVD)
		recv_done(ss, s, QUIC_RECV_RESET_READ);
	else if (receiving(s) || s->recv_state == QUIC_RECV_DATA_RECVD)
		after_rx(ss, s);
	return 0;
}

struct quic_stream *
quic_streams_next_readable(struct quic_streams *ss)
{
	struct quic_stream *s;

	if (list_empty(&ss->ready_q))
		return NULL;
	s = STREAM_OF(ss->ready_q.next, ready_link);
	list_del(&s->ready_link);
	return s;
}

/* ---- sending ---- */

/* The FIN is owed on its own: all data sent, FIN not in flight nor acknowledged. */
static bool
bare_fin_owed(const struct quic_stream *s)
{
	return (s->flags & (QUIC_STREAM_F_FIN | QUIC_STREAM_F_FIN_SENT)) == QUIC_STREAM_F_FIN &&
	       s->tx_next == s->tx_written;
}

static bool
wants_retx(const struct quic_stream *s)
{
	return sending(s) && (!quic_rangeset_empty(&s->tx_lost) || bare_fin_owed(s));
}

static bool
wants_new(const struct quic_stream *s)
{
	return sending(s) && s->tx_next < s->tx_written && s->tx_next < s->tx_max;
}

/*
 * Put s on the queues its state calls for (keeping its place on those it stays on), and owe
 * STREAM_DATA_BLOCKED / DATA_BLOCKED when flow credit is what holds data back (§4.1), once
 * per limit value.
 */
static void
requeue(struct quic_streams *ss, struct quic_stream *s)
{
	list_set(&ss->retx_q, &s->retx_link, wants_retx(s));
	list_set(&ss->send_q, &s->send_link, wants_new(s));
	if (sending(s) && s->tx_next < s->tx_written && s->tx_next >= s->tx_max &&
	    !((s->flags & QUIC_STREAM_F_BLOCKED) && s->tx_blocked_at == s->tx_max))
		ctrl_set(ss, s, QUIC_STREAM_CTRL_BLOCKED);
	if (!list_empty(&ss->send_q) && ss->tx_sent >= ss->tx_max &&
	    ss->tx_blocked_at != ss->tx_max + 1)
		ss->ctrl |= QUIC_STREAMS_CTRL_DATA_BLOCKED;
}

struct quic_stream *
quic_streams_next_send(struct quic_streams *ss)
{
	if (!list_empty(&ss->retx_q))
		return STREAM_OF(ss->retx_q.next, retx_link);
	if (list_empty(&ss->send_q))
		return NULL;
	if (ss->tx_sent < ss->tx_max)
		return STREAM_OF(ss->send_q.next, send_link);
	if (ss->tx_blocked_at != ss->tx_max + 1)
		ss->ctrl |= QUIC_STREAMS_CTRL_DATA_BLOCKED;
	return NULL;
}

/* Bytes at off contiguous in the send buffer (to the chunk's end), and where they are. */
static size_t
sbuf_at(const struct quic_stream *s, uint64_t off, const uint8_t **data)
{
	const uint8_t *c = quic_chunkmap_get(&s->tx_map, off / CS);

	if (c == NULL)
		return 0;
	*data = c + off % CS;
	return (size_t)(CS - off % CS);
}

static bool
send_peek(const struct quic_streams *ss, const struct quic_stream *s, size_t max,
	  struct quic_stream_send *out, bool span)
{
	uint64_t credit, avail;
	size_t n;

	if (!sending(s))
		return false;
	*out = (struct quic_stream_send){.retransmit = true};
	if (!quic_rangeset_empty(&s->tx_lost)) {
		const struct quic_range *r = &s->tx_lost.r[0];

		out->offset = r->start;
		n = (size_t)min_u64(min_u64(r->end - r->start, sbuf_at(s, r->start, &out->data)),
				    max);
	} else if (bare_fin_owed(s)) {
		out->offset = s->tx_next;
		out->fin = true;
		return true;
	} else {
		credit = min_u64(s->tx_max > s->tx_next ? s->tx_max - s->tx_next : 0,
				 ss->tx_max > ss->tx_sent ? ss->tx_max - ss->tx_sent : 0);
		out->offset = s->tx_next;
		out->retransmit = false;
		avail = min_u64(min_u64(s->tx_written - s->tx_next, credit), max);
		n = (size_t)min_u64(avail, sbuf_at(s, s->tx_next, &out->data));
		out->len1 = n;
		/* max <= CS: the rest, if any, is all in the next chunk. */
		if (span && n > 0 && n < avail && sbuf_at(s, s->tx_next + n, &out->data2) > 0)
			n = (size_t)avail;
	}
	if (n == 0)
		return false;
	if (out->data2 == NULL)
		out->len1 = n;
	out->len = n;
	/* FIN rides on the piece that ends the stream, unless one is already out. */
	out->fin = (s->flags & (QUIC_STREAM_F_FIN | QUIC_STREAM_F_FIN_SENT)) == QUIC_STREAM_F_FIN &&
		   out->offset + n == s->tx_written;
	return true;
}

bool
quic_stream_send_peek(const struct quic_streams *ss, const struct quic_stream *s, size_t max,
		      struct quic_stream_send *out)
{
	return send_peek(ss, s, max, out, false);
}

bool
quic_stream_send_peek_span(const struct quic_streams *ss, const struct quic_stream *s, size_t max,
			   struct quic_stream_send *out)
{
	return send_peek(ss, s, max > CS ? CS : max, out, true);
}

void
quic_stream_send_commit(struct quic_streams *ss, struct quic_stream *s,
			const struct quic_stream_send *piece, size_t written, bool fin)
{
	uint64_t end;

	if (written > piece->len)
		written = piece->len;
	end = piece->offset + written;
	if (piece->retransmit) {
		/* A prefix of the first lost range: never a split. */
		quic_rangeset_remove(&s->tx_lost, ss->chunk_pool, piece->offset, end);
	} else if (end > s->tx_next) {
		ss->tx_sent += end - s->tx_next;
		s->tx_next = end;
	}
	if (s->send_state == QUIC_SEND_READY)
		s->send_state = QUIC_SEND_SEND;
	if (fin && piece->fin && written == piece->len) {
		s->flags |= QUIC_STREAM_F_FIN_SENT;
		if (s->send_state == QUIC_SEND_SEND)
			s->send_state = QUIC_SEND_DATA_SENT;
	}
	/* Round robin: to the back of the queues it stays on. */
	list_del(&s->retx_link);
	list_del(&s->send_link);
	requeue(ss, s);
}

/* Every byte below to is acknowledged: free the chunks left behind. */
static void
acked_to(struct quic_streams *ss, struct quic_stream *s, uint64_t to)
{
	quic_chunkmap_put_range(&s->tx_map, ss->chunk_pool, s->tx_acked / CS, to / CS);
	s->tx_acked = to;
	/* Nothing left unacknowledged: the partly used last chunk goes too. */
	if (s->tx_acked == s->tx_written)
		quic_chunkmap_clear(&s->tx_map, ss->chunk_pool);
}

/* Advance tx_acked over acknowledged ranges and free the chunks left behind. */
static void
advance_acked(struct quic_streams *ss, struct quic_stream *s)
{
	struct quic_rangeset *sk = &s->tx_sacked;
	uint64_t to;

	if (quic_rangeset_empty(sk) || sk->r[0].start > s->tx_acked)
		return;
	to = sk->r[0].end;
	quic_rangeset_remove_below(sk, ss->chunk_pool, to);
	quic_rangeset_remove_below(&s->tx_lost, ss->chunk_pool, to);
	acked_to(ss, s, to);
}

/* Record acknowledged bytes [start, end), start >= tx_acked. */
static int
record_acked(struct quic_streams *ss, struct quic_stream *s, uint64_t start, uint64_t end)
{
	int err;

	if (start == s->tx_acked && quic_rangeset_empty(&s->tx_sacked) &&
	    quic_rangeset_empty(&s->tx_lost)) {
		/* In order, nothing lost or acknowledged beyond: what a transfer without loss
		 * sees for every frame; the range sets (and their pool chunks) stay untouched. */
		acked_to(ss, s, end);
		return 0;
	}
	/* A split of a full lost set fails: the bytes are then sent once more, harmlessly. */
	quic_rangeset_remove(&s->tx_lost, ss->chunk_pool, start, end);
	err = quic_rangeset_add(&s->tx_sacked, ss->chunk_pool, start, end, false);
	if (err == QUIC_ERR_BUFFER) {
		/*
		 * Too many acknowledged islands to track: forget this acknowledgement and send
		 * the bytes again, so they are acknowledged again once the islands merged.
		 */
		err = quic_rangeset_add(&s->tx_lost, ss->chunk_pool, start, end, true);
	}
	if (err != 0)
		return err;
	advance_acked(ss, s);
	return 0;
}

int
quic_streams_on_stream_acked(struct quic_streams *ss, uint64_t id, uint64_t offset, size_t len,
			     bool fin)
{
	struct quic_stream *s = quic_streams_get(ss, id);
	uint64_t end = offset + len;
	int err;

	if (s == NULL || (s->send_state != QUIC_SEND_SEND && s->send_state != QUIC_SEND_DATA_SENT))
		return 0;
	if (fin)
		s->flags |= QUIC_STREAM_F_FIN_ACKED | QUIC_STREAM_F_FIN_SENT;
	if (len > 0 && end > s->tx_acked && end <= s->tx_next) {
		err = record_acked(ss, s, max_u64(offset, s->tx_acked), end);
		if (err != 0)
			return err;
	}
	if ((s->flags & QUIC_STREAM_F_FIN_ACKED) && s->tx_acked == s->tx_written) {
		/* §3.1: all data and the FIN acknowledged: Data Recvd. */
		s->send_state = QUIC_SEND_DATA_RECVD;
		list_del(&s->send_link);
		list_del(&s->retx_link);
		ctrl_clear(ss, s, QUIC_STREAM_CTRL_BLOCKED);
		quic_chunkmap_clear(&s->tx_map, ss->chunk_pool);
		quic_rangeset_fini(&s->tx_sacked, ss->chunk_pool);
		quic_rangeset_fini(&s->tx_lost, ss->chunk_pool);
		maybe_close(ss, s);
		return 0;
	}
	requeue(ss, s);
	return 0;
}

int
quic_streams_on_stream_lost(struct quic_streams *ss, uint64_t id, uint64_t offset, size_t len,
			    bool fin)
{
	struct quic_stream *s = quic_streams_get(ss, id);
	const struct quic_rangeset *sk;
	uint64_t pos, end = offset + len;
	size_t i;

	/* After a reset nothing is retransmitted (§3.1 Reset Sent). */
	if (s == NULL || (s->send_state != QUIC_SEND_SEND && s->send_state != QUIC_SEND_DATA_SENT))
		return 0;
	if (fin && !(s->flags & QUIC_STREAM_F_FIN_ACKED))
		s->flags &= (uint16_t)~QUIC_STREAM_F_FIN_SENT;
	end = min_u64(end, s->tx_next);
	sk = &s->tx_sacked;
	/* Queue the parts of the range that were not acknowledged meanwhile. */
	pos = max_u64(offset, s->tx_acked);
	for (i = quic_rangeset_lower(sk, pos + 1); pos < end; i++) {
		uint64_t stop = i < sk->n && sk->r[i].start < end ? sk->r[i].start : end;

		if (stop > pos) {
			int err = quic_rangeset_add(&s->tx_lost, ss->chunk_pool, pos, stop, true);

			if (err != 0)
				return err;
		}
		if (stop == end)
			break;
		pos = sk->r[i].end;
	}
	requeue(ss, s);
	return 0;
}

/* ---- control frames ---- */

/*
 * Receive-window auto-tuning. A window update is written each time the application consumed
 * half the window; if that took less than two smoothed RTTs since the previous update, the
 * window, not the application, limits the peer, so it doubles (up to max).
 */
static void
tune(uint64_t *window, uint64_t max, uint64_t *last_ns, uint64_t now_ns, uint64_t srtt_ns)
{
	if (*last_ns != NO_TIME && srtt_ns > 0 && now_ns >= *last_ns &&
	    now_ns - *last_ns < 2 * srtt_ns && *window < max)
		*window = min_u64(*window * 2, max);
	*last_ns = now_ns;
}

/* Limit for the MAX_DATA being written: a resend of the last one, or a tuned new one. */
static uint64_t
conn_max_data(struct quic_streams *ss, uint64_t now_ns, uint64_t srtt_ns)
{
	if (ss->rx_max_next != 0)
		return ss->rx_max_next;
	if (ss->rx_released + ss->rx_window > ss->rx_max) {
		tune(&ss->rx_window, ss->rx_window_max, &ss->rx_tune_ns, now_ns, srtt_ns);
		update_budget(ss);
		ss->rx_max_next = min_u64(ss->rx_released + ss->rx_window, QUIC_MAX_OFFSET);
	} else {
		ss->rx_max_next = ss->rx_max;
	}
	return ss->rx_max_next;
}

/* Limit for the MAX_STREAM_DATA being written; a grown window widens the connection's. */
static uint64_t
stream_max_data(struct quic_streams *ss, struct quic_stream *s, uint64_t now_ns, uint64_t srtt_ns)
{
	uint64_t w;

	if (s->rx_max_next != 0)
		return s->rx_max_next;
	if (s->rx.base + s->rx_window <= s->rx_max) {
		s->rx_max_next = s->rx_max;
		return s->rx_max_next;
	}
	w = s->rx_window;
	tune(&w, ss->stream_window_max, &s->rx_tune_ns, now_ns, srtt_ns);
	/* The buffer must accept the new window before it is advertised. */
	if (w > s->rx_window && quic_rbuf_set_window(&s->rx, w) == 0) {
		s->rx_window = w;
		raise_to(&ss->rx_stream_tuned, w);
		if (ss->rx_window < w + w / 2 && ss->rx_window < ss->rx_window_max) {
			ss->rx_window = min_u64(w + w / 2, ss->rx_window_max);
			update_budget(ss);
			check_conn_update(ss);
		}
	}
	s->rx_max_next = min_u64(s->rx.base + s->rx_window, QUIC_MAX_OFFSET);
	return s->rx_max_next;
}

/* Lowest set bit of a control mask. */
static unsigned
low_bit(unsigned m)
{
	return m & (~m + 1u);
}

/* Whether an owed connection-level frame still makes sense: blocked signals go stale. */
static bool
conn_ctrl_valid(const struct quic_streams *ss, unsigned b)
{
	unsigned t;

	switch (b) {
	case QUIC_STREAMS_CTRL_DATA_BLOCKED:
		return ss->tx_sent >= ss->tx_max && !list_empty(&ss->send_q);
	case QUIC_STREAMS_CTRL_BLOCKED_BIDI:
	case QUIC_STREAMS_CTRL_BLOCKED_UNI:
		t = local_type(ss, b == QUIC_STREAMS_CTRL_BLOCKED_UNI);
		return ss->opened[t] >= ss->limit[t];
	default:
		return true;
	}
}

/* Fill f with the connection-level frame for bit b. */
static void
conn_ctrl_fill(struct quic_streams *ss, unsigned b, uint64_t now_ns, uint64_t srtt_ns,
	       struct quic_frame *f)
{
	bool uni = (b & (QUIC_STREAMS_CTRL_MAX_STREAMS_UNI | QUIC_STREAMS_CTRL_BLOCKED_UNI)) != 0;
	uint64_t want;
	unsigned t;

	switch (b) {
	case QUIC_STREAMS_CTRL_MAX_DATA:
		f->type = QUIC_FRAME_MAX_DATA;
		f->max_data.max = conn_max_data(ss, now_ns, srtt_ns);
		break;
	case QUIC_STREAMS_CTRL_DATA_BLOCKED:
		f->type = QUIC_FRAME_DATA_BLOCKED;
		f->data_blocked.limit = ss->tx_max;
		break;
	case QUIC_STREAMS_CTRL_MAX_STREAMS_BIDI:
	case QUIC_STREAMS_CTRL_MAX_STREAMS_UNI:
		t = peer_type(ss, uni);
		f->type = uni ? QUIC_FRAME_MAX_STREAMS_UNI : QUIC_FRAME_MAX_STREAMS_BIDI;
		want = min_u64(ss->closed[t] + ss->limit_init[t], MAX_STREAMS_LIMIT);
		f->max_streams.max = max_u64(ss->limit[t], want);
		break;
	default:
		f->type = uni ? QUIC_FRAME_STREAMS_BLOCKED_UNI : QUIC_FRAME_STREAMS_BLOCKED_BIDI;
		f->streams_blocked.limit = ss->limit[local_type(ss, uni)];
		break;
	}
}

static bool
conn_ctrl_peek(struct quic_streams *ss, uint64_t now_ns, uint64_t srtt_ns, struct quic_frame *f)
{
	while (ss->ctrl != 0) {
		unsigned b = low_bit(ss->ctrl);

		if (conn_ctrl_valid(ss, b)) {
			conn_ctrl_fill(ss, b, now_ns, srtt_ns, f);
			return true;
		}
		ss->ctrl &= (uint8_t)~b;
	}
	return false;
}

/* The first control frame s owes that still makes sense; stale bits are dropped. */
static bool
stream_ctrl_peek(struct quic_streams *ss, struct quic_stream *s, uint64_t now_ns, uint64_t srtt_ns,
		 struct quic_frame *f)
{
	if ((s->ctrl & QUIC_STREAM_CTRL_RESET) && s->send_state == QUIC_SEND_RESET_SENT) {
		f->type = QUIC_FRAME_RESET_STREAM;
		f->reset_stream = (struct quic_frame_reset_stream){s->id, s->tx_error, s->tx_next};
		return true;
	}
	if ((s->ctrl & QUIC_STREAM_CTRL_STOP) && receiving(s)) {
		f->type = QUIC_FRAME_STOP_SENDING;
		f->stop_sending = (struct quic_frame_stop_sending){s->id, s->stop_error};
		return true;
	}
	if ((s->ctrl & QUIC_STREAM_CTRL_MAX_DATA) && s->recv_state == QUIC_RECV_RECV &&
	    !(s->flags & QUIC_STREAM_F_STOPPED)) {
		f->type = QUIC_FRAME_MAX_STREAM_DATA;
		f->max_stream_data.stream_id = s->id;
		f->max_stream_data.max = stream_max_data(ss, s, now_ns, srtt_ns);
		return true;
	}
	if ((s->ctrl & QUIC_STREAM_CTRL_BLOCKED) && sending(s) && s->tx_next >= s->tx_max &&
	    s->tx_next < s->tx_written) {
		f->type = QUIC_FRAME_STREAM_DATA_BLOCKED;
		f->stream_data_blocked = (struct quic_frame_stream_data_blocked){s->id, s->tx_max};
		return true;
	}
	ctrl_clear(ss, s, s->ctrl);
	return false;
}

bool
quic_streams_ctrl_peek(struct quic_streams *ss, uint64_t now_ns, uint64_t srtt_ns,
		       struct quic_frame *f)
{
	memset(f, 0, sizeof(*f));
	if (conn_ctrl_peek(ss, now_ns, srtt_ns, f))
		return true;
	while (!list_empty(&ss->ctrl_q)) {
		struct quic_stream *s = STREAM_OF(ss->ctrl_q.next, ctrl_link);

		if (stream_ctrl_peek(ss, s, now_ns, srtt_ns, f))
			return true;
	}
	return false;
}

/* Stream-level frame written: which bit it settles, and its effect. */
static void
stream_ctrl_sent(struct quic_streams *ss, struct quic_stream *s, const struct quic_frame *f)
{
	switch (f->type) {
	case QUIC_FRAME_RESET_STREAM:
		ctrl_clear(ss, s, QUIC_STREAM_CTRL_RESET);
		break;
	case QUIC_FRAME_STOP_SENDING:
		ctrl_clear(ss, s, QUIC_STREAM_CTRL_STOP);
		break;
	case QUIC_FRAME_MAX_STREAM_DATA:
		s->rx_max = max_u64(s->rx_max, f->max_stream_data.max);
		s->rx_max_next = 0;
		ctrl_clear(ss, s, QUIC_STREAM_CTRL_MAX_DATA);
		break;
	case QUIC_FRAME_STREAM_DATA_BLOCKED:
		s->tx_blocked_at = f->stream_data_blocked.limit;
		s->flags |= QUIC_STREAM_F_BLOCKED;
		/* §3.1: sending STREAM_DATA_BLOCKED enters Send. */
		if (s->send_state == QUIC_SEND_READY)
			s->send_state = QUIC_SEND_SEND;
		ctrl_clear(ss, s, QUIC_STREAM_CTRL_BLOCKED);
		break;
	default:
		break;
	}
}

/* Stream a stream-level control frame names. */
static uint64_t
ctrl_stream_id(const struct quic_frame *f)
{
	switch (f->type) {
	case QUIC_FRAME_RESET_STREAM:
		return f->reset_stream.stream_id;
	case QUIC_FRAME_STOP_SENDING:
		return f->stop_sending.stream_id;
	case QUIC_FRAME_MAX_STREAM_DATA:
		return f->max_stream_data.stream_id;
	default:
		return f->stream_data_blocked.stream_id;
	}
}

/* Whether a MAX_STREAMS or STREAMS_BLOCKED frame is about unidirectional streams. */
static bool
frame_is_uni(const struct quic_frame *f)
{
	return f->type == QUIC_FRAME_MAX_STREAMS_UNI || f->type == QUIC_FRAME_STREAMS_BLOCKED_UNI;
}

void
quic_streams_ctrl_sent(struct quic_streams *ss, const struct quic_frame *f)
{
	bool uni = frame_is_uni(f);
	struct quic_stream *s;
	unsigned bit, t;

	switch (f->type) {
	case QUIC_FRAME_MAX_DATA:
		ss->rx_max = max_u64(ss->rx_max, f->max_data.max);
		ss->rx_max_next = 0;
		ss->ctrl &= (uint8_t)~QUIC_STREAMS_CTRL_MAX_DATA;
		return;
	case QUIC_FRAME_DATA_BLOCKED:
		ss->tx_blocked_at = f->data_blocked.limit + 1;
		ss->ctrl &= (uint8_t)~QUIC_STREAMS_CTRL_DATA_BLOCKED;
		return;
	case QUIC_FRAME_MAX_STREAMS_BIDI:
	case QUIC_FRAME_MAX_STREAMS_UNI:
		t = peer_type(ss, uni);
		ss->limit[t] = max_u64(ss->limit[t], f->max_streams.max);
		bit = uni ? QUIC_STREAMS_CTRL_MAX_STREAMS_UNI : QUIC_STREAMS_CTRL_MAX_STREAMS_BIDI;
		ss->ctrl &= (uint8_t)~bit;
		return;
	case QUIC_FRAME_STREAMS_BLOCKED_BIDI:
	case QUIC_FRAME_STREAMS_BLOCKED_UNI:
		ss->blocked_at[local_type(ss, uni)] = f->streams_blocked.limit + 1;
		bit = uni ? QUIC_STREAMS_CTRL_BLOCKED_UNI : QUIC_STREAMS_CTRL_BLOCKED_BIDI;
		ss->ctrl &= (uint8_t)~bit;
		return;
	default:
		s = quic_streams_get(ss, ctrl_stream_id(f));
		if (s != NULL)
			stream_ctrl_sent(ss, s, f);
		return;
	}
}

/* A lost stream-level frame is owed again while it still means something (§13.3). */
static void
stream_ctrl_lost(struct quic_streams *ss, struct quic_stream *s, const struct quic_frame *f)
{
	switch (f->type) {
	case QUIC_FRAME_RESET_STREAM:
		if (s->send_state == QUIC_SEND_RESET_SENT)
			ctrl_set(ss, s, QUIC_STREAM_CTRL_RESET);
		break;
	case QUIC_FRAME_STOP_SENDING:
		if (receiving(s) && (s->flags & QUIC_STREAM_F_STOPPED))
			ctrl_set(ss, s, QUIC_STREAM_CTRL_STOP);
		break;
	case QUIC_FRAME_MAX_STREAM_DATA:
		if (s->recv_state == QUIC_RECV_RECV && f->max_stream_data.max == s->rx_max &&
		    !(s->flags & QUIC_STREAM_F_STOPPED))
			ctrl_set(ss, s, QUIC_STREAM_CTRL_MAX_DATA);
		break;
	case QUIC_FRAME_STREAM_DATA_BLOCKED:
		if (sending(s) && f->stream_data_blocked.limit == s->tx_max &&
		    s->tx_next >= s->tx_max && s->tx_next < s->tx_written)
			ctrl_set(ss, s, QUIC_STREAM_CTRL_BLOCKED);
		break;
	default:
		break;
	}
}

void
quic_streams_on_ctrl_lost(struct quic_streams *ss, const struct quic_frame *f)
{
	bool uni = frame_is_uni(f);
	struct quic_stream *s;

	switch (f->type) {
	case QUIC_FRAME_MAX_DATA:
		if (f->max_data.max == ss->rx_max)
			ss->ctrl |= QUIC_STREAMS_CTRL_MAX_DATA;
		return;
	case QUIC_FRAME_DATA_BLOCKED:
		if (f->data_blocked.limit == ss->tx_max && ss->tx_sent >= ss->tx_max &&
		    !list_empty(&ss->send_q))
			ss->ctrl |= QUIC_STREAMS_CTRL_DATA_BLOCKED;
		return;
	case QUIC_FRAME_MAX_STREAMS_BIDI:
	case QUIC_FRAME_MAX_STREAMS_UNI:
		if (f->max_streams.max == ss->limit[peer_type(ss, uni)])
			ss->ctrl |= uni ? QUIC_STREAMS_CTRL_MAX_STREAMS_UNI
					: QUIC_STREAMS_CTRL_MAX_STREAMS_BIDI;
		return;
	case QUIC_FRAME_STREAMS_BLOCKED_BIDI:
	case QUIC_FRAME_STREAMS_BLOCKED_UNI:
		if (f->streams_blocked.limit == ss->limit[local_type(ss, uni)])
			ss->ctrl |= uni ? QUIC_STREAMS_CTRL_BLOCKED_UNI
					: QUIC_STREAMS_CTRL_BLOCKED_BIDI;
		return;
	default:
		s = quic_streams_get(ss, ctrl_stream_id(f));
		if (s != NULL)
			stream_ctrl_lost(ss, s, f);
		return;
	}
}

void
quic_streams_on_ctrl_acked(struct quic_streams *ss, const struct quic_frame *f)
{
	struct quic_stream *s;

	if (f->type != QUIC_FRAME_RESET_STREAM)
		return;
	s = quic_streams_get(ss, f->reset_stream.stream_id);
	/* §3.1: the RESET_STREAM acknowledged: Reset Recvd. */
	if (s != NULL && s->send_state == QUIC_SEND_RESET_SENT) {
		s->send_state = QUIC_SEND_RESET_RECVD;
		ctrl_clear(ss, s, QUIC_STREAM_CTRL_RESET);
		maybe_close(ss, s);
	}
}
