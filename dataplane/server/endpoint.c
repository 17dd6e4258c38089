/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-worker QUIC endpoint: the connection table, the dataplane callbacks and the glue between
 * a connection and its application (HTTP/3 or hq-interop).
 *
 * Connections live in a fixed array of --max-conns slots per worker (nothing allocated per
 * packet). The table maps connection IDs to slots: the client's original DCID (its Initials
 * carry it until it learns ours, RFC 9000 §7.2) and every server CID seen in use. Those bytes
 * are partly chosen by the client, so buckets are picked with SipHash under a per-worker
 * random key (shared/design.md).
 */
#include <stdlib.h>
#include <time.h>
#include <string.h>

#include <crypto/crypto.h>
#include <dataplane/hash.h>
#include <quic/packet.h>
#include <quic/stream.h>
#include <quic/validator.h>

#include "files.h"
#include "srv.h"

/* Keys per connection: the original DCID, then every server CID the peer may use (RFC 9000
 * §5.1.1): seq 0 and those issued in NEW_CONNECTION_ID, until the peer retires them. */
#define CONN_KEYS	 (1 + QUIC_CID_LOCAL_SLOTS)
#define TX_PER_CONN	 64		 /* datagrams one connection may write per loop iteration */
#define SRV_TX_BURST	 DP_TX_ALLOC_MAX /* datagrams written per quic_conn_write_burst() */
#define EVENTS_PER_PUMP	 256		 /* events handled per connection per pump */
#define PENDING_PER_PUMP 32
#define SRV_REFILL_MIN	 (32u * 1024) /* stream refills in pieces of at least this (backlog) */
#define DRAIN_NS	 (300ull * 1000 * 1000)
#define SCRATCH_LEN	 (64u * 1024)
#define SRV_REFILL_MAX	 (128u * 1024) /* bytes moved into one stream per pump at most */
/* Worker pools: caps per connection on average, and their bounds (worker_config()). */
#define WORKER_STREAMS_PER_CONN 64u
#define WORKER_CHUNKS_PER_CONN	1024u
#define WORKER_POOL_MIN		65536u
#define WORKER_POOL_MAX		(1u << 30)
#define SRV_MAX_UDP_PAYLOAD	1472u
/* Deadlines nearer than this (one timer-wheel tick) are polled for, not left to the wheel. */
#define SRV_NEAR_NS (UINT64_C(1) << DP_TIMER_SHIFT_DEFAULT)
/* Longest Stateless Reset we send: as long as a short 1-RTT packet, so that it is not told
 * apart by its size (RFC 9000 §10.3), and never longer than its trigger minus one (§10.3.3). */
#define SRV_RESET_MAX_LEN 64u

struct srv_conn;

struct conn_key {
	struct conn_key *next;
	struct srv_conn *conn;
	struct quic_cid cid;
	bool used;
};

struct srv_conn {
	struct quic_conn *qc;
	struct quic_app *app;
	struct srv_worker *sw;
	struct srv_conn *next; /* active list, or free list */
	struct srv_conn **pprev;
	struct srv_conn *dnext;	  /* dirty list: to service in the next collect_tx */
	struct srv_conn **dpprev; /* NULL: not on the dirty list */
	struct dp_timer timer;
	struct dp_path tx_path; /* where the peer was last heard from */
	struct conn_key key[CONN_KEYS];
	uint32_t cid_gen; /* quic_conn_local_cids_gen() when key[1..) was last synced */
	bool cids_synced;
	bool handshake_counted;
	/* quic_conn_stats() values already added to the worker's counters. */
	uint64_t seen_key_updates;
	uint64_t seen_migrations;
	uint64_t seen_mem; /* bytes this connection added to SRV_CNT_CONN_MEM */
};

struct srv_worker {
	struct srv *s;
	struct dp_worker *w;
	struct crypto_ctx *ctx;
	struct tls_server_config *tls; /* this worker's: it rotates the ticket key itself */
	uint32_t ticket_seen;	       /* last ticket key generation installed in tls */
	struct quic_lb *lb;
	struct quic_conn_config qcfg;
	/* Shared by this worker's connections (qcfg points at them): streams, and the 2 KiB
	 * chunks of stream and CRYPTO buffers and sent-packet records. A connection with its own
	 * pools would hold a 64 KiB slab of each even when idle. */
	struct quic_pool stream_pool;
	struct quic_pool chunk_pool;
	struct quic_pool conn_pool; /* the struct quic_conn of each connection */
	/* Block tables of the sent-record arrays drawing on chunk_pool (quic_pool.tables). */
	struct quic_pool table_pool[QUIC_POOL_TABLE_SIZES];
	/* Random bytes for this worker's Retry CIDs, resets and connections, one RAND_bytes()
	 * per kilobyte (a call per Retry was a tenth of the flood path's time). */
	struct crypto_rand_pool rand_pool;
	struct crypto_rand rand;
	uint8_t hkey[DP_SIPHASH_KEY_LEN];
	struct conn_key **bucket;
	size_t mask;
	size_t nkeys; /* keys in the table: none, no hash of a flood's DCIDs (table_find) */
	struct srv_conn *slots;
	uint32_t n_fresh; /* slots[n_fresh..max_conns) never used: never touched, not resident */
	struct srv_conn *free_list;
	struct srv_conn *active;
	struct srv_conn *dirty; /* connections with input or output pending (collect_tx) */
	size_t cid_len;
	bool stop_seen;
	uint64_t drain_deadline;
	int drained; /* release store here, acquire load in srv_worker_drained() */
	struct srv_counters cnt;
	/* The web root through this worker's whole-file cache (files.h): what its apps read. */
	struct srv_files *files;
	struct quic_app_provider provider;
	uint8_t scratch[SCRATCH_LEN];
	/* QPACK decoding of every h3 connection of this worker (used only inside app calls). */
	uint8_t qpack_scratch[QUIC_H3_DEFAULT_MAX_FIELD_SECTION];
	/* Stateless front end for datagrams that name no connection (quic/validator.h). */
	struct quic_token_worker *tw;
	struct quic_validator *val;
	struct quic_token_ops tops;
	struct srv_wall_tokens wall; /* tops in wall-clock time: what connections use */
	/* Datagrams of the current burst that name no connection, screened together at its end
	 * (end_burst), and the validator's answers to them. */
	struct quic_dgram scr_dg[DP_BURST];
	struct quic_vresult scr_res[DP_BURST];
	struct dp_path scr_path[DP_BURST];
	struct quic_cid scr_odcid[DP_BURST];
	unsigned nscr;
	uint8_t vresp[DP_BURST * QUIC_VALIDATOR_RESP_MAX];
	/* Initials per second for --retry auto: count in the current 1 s window, last rate. */
	uint64_t win_start_ns;
	uint64_t win_initials;
	uint64_t initial_rate;
	uint64_t hs_in_flight; /* connections whose handshake is not done */
	/* Wall clock minus the worker's clock, read each tick: tokens are in wall-clock time, and
	 * a clock_gettime() per Initial was a visible share of a flood (0: not read yet). */
	uint64_t wall_off;
};

static const char *const cnt_names[SRV_CNT_MAX] = {
	"conns_accepted", "conns_closed", "conns_active",  "handshakes",    "refused_full",
	"screen_drop",	  "screen_reply", "accept_fail",   "unknown_cid",   "app_errors",
	"tx_fail",	  "retry_sent",	  "validated",	   "resumed",	    "key_updates",
	"migrations",	  "new_tokens",	  "reset_sent",	   "reset_limited", "tokens_valid",
	"conn_mem_bytes", "hs_failed",	  "handshakes_v2", "zero_rtt",	    "refused_mem",
	"mem_charged",
};

const char *
srv_cnt_name(unsigned i)
{
	return i < SRV_CNT_MAX ? cnt_names[i] : NULL;
}

/* Single writer: relaxed load and store, pairs with the relaxed loads of the stats thread. */
static void
cnt_add(struct srv_worker *sw, enum srv_cnt i, int64_t n)
{
	uint64_t v = __atomic_load_n(&sw->cnt.v[i], __ATOMIC_RELAXED);

	__atomic_store_n(&sw->cnt.v[i], v + (uint64_t)n, __ATOMIC_RELAXED);
}

const struct srv_counters *
srv_worker_counters(const struct srv_worker *sw)
{
	return &sw->cnt;
}

bool
srv_worker_drained(const struct srv_worker *sw)
{
	/* Acquire pairs with the release store in check_drained(). */
	return __atomic_load_n(&sw->drained, __ATOMIC_ACQUIRE) != 0;
}

/* ---- Paths: dp_path and quic_path share their address layout ---- */

static void
addr_to_quic(struct quic_addr *q, const struct dp_addr *d)
{
	q->family = d->family;
	q->port = d->port;
	memcpy(q->ip, d->ip, sizeof(q->ip));
}

static void
addr_to_dp(struct dp_addr *d, const struct quic_addr *q)
{
	d->family = q->family;
	d->port = q->port;
	memcpy(d->ip, q->ip, sizeof(d->ip));
}

static void
path_to_quic(struct quic_path *q, const struct dp_path *d)
{
	memset(q, 0, sizeof(*q));
	addr_to_quic(&q->local, &d->local);
	addr_to_quic(&q->remote, &d->remote);
	q->ecn = d->ecn; /* counted in our ACK frames (RFC 9000 §13.4.1) */
}

/* ---- Connection table ---- */

static struct conn_key **
bucket_of(struct srv_worker *sw, const uint8_t *cid, size_t len)
{
	return &sw->bucket[dp_siphash24(sw->hkey, cid, len) & sw->mask];
}

static struct srv_conn *
table_find(struct srv_worker *sw, const uint8_t *cid, size_t len)
{
	struct conn_key *k;

	/* A --retry always flood makes no connection: its Initials need no keyed hash. */
	if (sw->nkeys == 0)
		return NULL;
	for (k = *bucket_of(sw, cid, len); k != NULL; k = k->next)
		if (k->cid.len == len && memcmp(k->cid.data, cid, len) == 0)
			return k->conn;
	return NULL;
}

static void
key_remove(struct srv_worker *sw, struct conn_key *k)
{
	struct conn_key **pp;

	if (!k->used)
		return;
	for (pp = bucket_of(sw, k->cid.data, k->cid.len); *pp != NULL; pp = &(*pp)->next) {
		if (*pp == k) {
			*pp = k->next;
			break;
		}
	}
	k->used = false;
	sw->nkeys--;
}

static bool
key_holds(const struct conn_key *k, const struct quic_cid *cid)
{
	return k->used && k->cid.len == cid->len && memcmp(k->cid.data, cid->data, cid->len) == 0;
}

static void
key_insert(struct srv_worker *sw, struct srv_conn *c, struct conn_key *k,
	   const struct quic_cid *cid)
{
	struct conn_key **b;

	key_remove(sw, k);
	k->conn = c;
	k->cid = *cid;
	b = bucket_of(sw, cid->data, cid->len);
	k->next = *b;
	*b = k;
	k->used = true;
	sw->nkeys++;
}

/*
 * Keep key[1..) equal to the CIDs the peer may send to (RFC 9000 §5.1.1, §19.16): a client
 * that moves to a CID of a NEW_CONNECTION_ID frame (migration, RFC 9000 §9.5) stays
 * reachable, and a retired CID stops naming the connection. At most QUIC_CID_LOCAL_SLOTS.
 */
static void
sync_cids(struct srv_worker *sw, struct srv_conn *c)
{
	struct quic_cid cids[CONN_KEYS - 1];
	uint32_t gen;
	size_t n, i;

	if (c->cids_synced && quic_conn_local_cids_gen(c->qc) == c->cid_gen)
		return;
	n = quic_conn_local_cids(c->qc, cids, CONN_KEYS - 1, &gen);
	/* A key that already holds its CID stays: the CIDs issued at the handshake come after
	 * the first one, which a rehash and relink at every change would only move in place. */
	for (i = 0; i < n; i++)
		if (!key_holds(&c->key[1 + i], &cids[i]))
			key_insert(sw, c, &c->key[1 + i], &cids[i]);
	for (i = 1 + n; i < CONN_KEYS; i++)
		key_remove(sw, &c->key[i]);
	c->cid_gen = gen;
	c->cids_synced = true;
}

/* ---- Connection life ---- */

static void conn_timer_fn(struct dp_timer *t, void *arg, uint64_t now_ns);

/*
 * The dirty list holds the connections that received datagrams or have more to write than
 * one service allowed; collect_tx services them once per loop, after the whole RX burst, so
 * that a burst of ACKs costs one service (and gives one larger TX burst), and idle
 * connections cost nothing per loop. Timers put their connection on it (conn_timer_fn).
 */
static void
dirty_mark(struct srv_worker *sw, struct srv_conn *c)
{
	if (c->dpprev != NULL)
		return;
	c->dnext = sw->dirty;
	if (c->dnext != NULL)
		c->dnext->dpprev = &c->dnext;
	c->dpprev = &sw->dirty;
	sw->dirty = c;
}

static void
dirty_unlink(struct srv_conn *c)
{
	if (c->dpprev == NULL)
		return;
	*c->dpprev = c->dnext;
	if (c->dnext != NULL)
		c->dnext->dpprev = c->dpprev;
	c->dnext = NULL;
	c->dpprev = NULL;
}

static void
conn_free(struct srv_worker *sw, struct srv_conn *c)
{
	bool counted = c->qc != NULL; /* a failed accept never counted as a connection */
	unsigned i;

	if (counted && !c->handshake_counted) {
		sw->hs_in_flight--;
		cnt_add(sw, SRV_CNT_HS_FAILED, 1);
	}

	dp_timer_cancel(dp_worker_timers(sw->w), &c->timer);
	for (i = 0; i < CONN_KEYS; i++)
		key_remove(sw, &c->key[i]);
	quic_app_free(c->app);
	quic_conn_free(c->qc);
	cnt_add(sw, SRV_CNT_CONN_MEM, -(int64_t)c->seen_mem);
	cnt_add(sw, SRV_CNT_MEM_CHARGED,
		-(int64_t)c->seen_mem - (counted ? (int64_t)SRV_CONN_UNACCOUNTED : 0));
	dirty_unlink(c);
	*c->pprev = c->next;
	if (c->next != NULL)
		c->next->pprev = c->pprev;
	memset(c, 0, sizeof(*c));
	c->next = sw->free_list;
	sw->free_list = c;
	if (counted) {
		cnt_add(sw, SRV_CNT_CLOSED, 1);
		cnt_add(sw, SRV_CNT_ACTIVE, -1);
	}
}

/*
 * A free slot: one given back, else the next never used (so that a --max-conns sized for a
 * memory budget costs address space, not memory, until connections come). NULL when full.
 */
static struct srv_conn *
conn_take_slot(struct srv_worker *sw)
{
	struct srv_conn *c = sw->free_list;

	if (c != NULL)
		sw->free_list = c->next;
	else if (sw->n_fresh < sw->s->opts.max_conns)
		c = &sw->slots[sw->n_fresh++];
	else
		return NULL;
	c->sw = sw;
	c->next = sw->active;
	if (c->next != NULL)
		c->next->pprev = &c->next;
	c->pprev = &sw->active;
	sw->active = c;
	dp_timer_init(&c->timer, conn_timer_fn, c);
	return c;
}

/* Arm the connection's timer for its next deadline. */
static void
conn_rearm(struct srv_worker *sw, struct srv_conn *c, uint64_t now_ns)
{
	uint64_t t = quic_conn_next_timeout(c->qc);

	if (t == UINT64_MAX) {
		dp_timer_cancel(dp_worker_timers(sw->w), &c->timer);
		return;
	}
	dp_timer_arm(dp_worker_timers(sw->w), &c->timer, t);
	/*
	 * A deadline closer than one wheel tick (mostly the pacer's, RFC 9002 §7.7) would wait a
	 * whole tick: the pacer's bucket (the initial window) per tick capped one connection at
	 * about 1.5 Gbit/s. The next loops look at the connection again instead.
	 */
	if (t < now_ns + SRV_NEAR_NS)
		dirty_mark(sw, c);
}

/* ---- Application glue ---- */

static void
app_close(struct srv_worker *sw, struct srv_conn *c, uint64_t now_ns)
{
	const char *reason = NULL;
	uint64_t code = quic_app_conn_error(c->app, &reason);

	if (code == 0)
		return;
	if (quic_conn_close(c->qc, code, reason, now_ns) == 0)
		cnt_add(sw, SRV_CNT_APP_ERRORS, 1);
}

/* Create the application once the ALPN is known, and open the streams it wants. */
static void
app_start(struct srv_worker *sw, struct srv_conn *c, uint64_t now_ns)
{
	struct quic_app_config cfg;
	const char *alpn;
	uint64_t id;

	if (c->app == NULL) {
		alpn = quic_conn_alpn(c->qc);
		if (alpn == NULL)
			return;
		memset(&cfg, 0, sizeof(cfg));
		cfg.provider = &sw->provider;
		cfg.scratch = sw->qpack_scratch;
		cfg.scratch_len = sizeof(sw->qpack_scratch);
		if (quic_app_proto_from_alpn(alpn, strlen(alpn), &cfg.proto) != 0 ||
		    quic_app_new(&c->app, &cfg) != 0) {
			c->app = NULL;
			quic_conn_close(c->qc, QUIC_H3_INTERNAL_ERROR, "application", now_ns);
			return;
		}
	}
	while (quic_app_uni_wanted(c->app) > 0) {
		if (quic_conn_stream_open(c->qc, true, &id) != 0)
			break; /* not established yet, or the peer's limit: next pump */
		if (quic_app_on_uni_opened(c->app, id) != 0)
			break;
	}
}

/* Read what a stream holds and hand it to the application. */
static void
app_read(struct srv_worker *sw, struct srv_conn *c, uint64_t id)
{
	uint64_t rerr = 0;
	bool fin = false;
	int n, i;

	/* Bounded: the stream's receive window bounds what it holds. */
	for (i = 0; i < 64; i++) {
		n = quic_conn_stream_read(c->qc, id, sw->scratch, sizeof(sw->scratch), &fin, &rerr);
		if (n < 0) {
			quic_app_on_stream_reset(c->app, id, rerr);
			return;
		}
		if (n == 0 && !fin)
			return;
		if (quic_app_on_stream_data(c->app, id, sw->scratch, (size_t)n, fin) != 0 || fin)
			return;
	}
}

static void
app_event(struct srv_worker *sw, struct srv_conn *c, const struct quic_event *ev)
{
	switch (ev->type) {
	case QUIC_EV_HANDSHAKE_DONE:
		if (!c->handshake_counted) {
			cnt_add(sw, SRV_CNT_HANDSHAKES, 1);
			cnt_add(sw, SRV_CNT_RESUMED, quic_conn_resumed(c->qc) ? 1 : 0);
			if (quic_conn_version(c->qc) == QUIC_VERSION_2)
				cnt_add(sw, SRV_CNT_HS_V2, 1);
			if (quic_conn_early_data(c->qc) == TLS_EARLY_ACCEPTED)
				cnt_add(sw, SRV_CNT_ZERO_RTT, 1);
			sw->hs_in_flight--;
		}
		c->handshake_counted = true;
		break;
	case QUIC_EV_STREAM_OPENED:
		if (c->app != NULL)
			quic_app_on_stream_opened(c->app, ev->stream_id);
		break;
	case QUIC_EV_STREAM_READABLE:
		if (c->app != NULL)
			app_read(sw, c, ev->stream_id);
		break;
	case QUIC_EV_STREAM_STOPPED:
		if (c->app != NULL)
			quic_app_on_stream_stopped(c->app, ev->stream_id, ev->error_code);
		break;
	default:
		break;
	}
}

/*
 * Whether to move application bytes into stream id now, with room cap. Every acknowledgment
 * frees a packet or two of send buffer: refilling each time cost a file read and a stream write
 * per packet or two. A stream whose unsent backlog still covers SRV_REFILL_MIN waits until as
 * much room is free; one that runs low is refilled at once, so sending never stalls on it.
 */
static bool
refill_due(struct srv_conn *c, uint64_t id, size_t cap)
{
	return cap >= SRV_REFILL_MIN || quic_conn_stream_send_unsent(c->qc, id) < SRV_REFILL_MIN;
}

/*
 * Move up to cap bytes of what the application has for stream id into the stream, written by
 * the application straight into the stream's send buffer, a chunk at a time (a file read
 * copies once, from the page or file cache into the buffer the packets are built from).
 * cap 0: only resets and STOP_SENDING go out.
 */
static void
app_refill(struct srv_worker *sw, struct srv_conn *c, uint64_t id, size_t cap)
{
	struct quic_app_tx tx;
	uint8_t *buf;
	size_t room;
	int wr;

	do {
		buf = sw->scratch;
		room = 0;
		if (cap > 0 && quic_conn_stream_write_reserve(c->qc, id, &buf, &room) != 0) {
			/* The transport refuses the stream (reset, gone): the app forgets it. */
			quic_app_on_stream_closed(c->app, id);
			return;
		}
		if (room > cap)
			room = cap;
		if (quic_app_stream_tx(c->app, id, room > 0 ? buf : sw->scratch, room, &tx) != 0)
			return;
		if (tx.stop_sending)
			quic_conn_stream_stop_sending(c->qc, id, tx.stop_code);
		if (tx.reset)
			quic_conn_stream_reset(c->qc, id, tx.reset_code);
		wr = 0;
		if (tx.len > 0 || tx.fin)
			wr = room > 0 ? quic_conn_stream_write_commit(c->qc, id, tx.len, tx.fin)
				      : quic_conn_stream_write(c->qc, id, NULL, 0, tx.fin);
		if (wr < 0) {
			quic_app_on_stream_closed(c->app, id);
			return;
		}
		quic_app_stream_tx_commit(c->app, id, (size_t)wr);
		cap -= (size_t)wr;
	} while (cap > 0 && (size_t)wr == room && wr > 0 && !tx.fin && !tx.reset);
}

/* Move what the application has to send into its streams. */
static void
app_write(struct srv_worker *sw, struct srv_conn *c)
{
	uint64_t ids[PENDING_PER_PUMP];
	size_t n, i, cap;

	n = quic_app_pending(c->app, ids, PENDING_PER_PUMP);
	for (i = 0; i < n; i++) {
		cap = (size_t)quic_conn_stream_send_room(c->qc, ids[i]);
		if (cap > SRV_REFILL_MAX)
			cap = SRV_REFILL_MAX;
		if (!refill_due(c, ids[i], cap))
			cap = 0; /* resets and STOP_SENDING still go out */
		app_refill(sw, c, ids[i], cap);
	}
}

/* Events, then application input and output. */
static void
conn_pump(struct srv_worker *sw, struct srv_conn *c, uint64_t now_ns)
{
	struct quic_event ev;
	int i;

	app_start(sw, c, now_ns);
	for (i = 0; i < EVENTS_PER_PUMP && quic_conn_poll_event(c->qc, &ev); i++)
		app_event(sw, c, &ev);
	if (c->app == NULL)
		return;
	app_start(sw, c, now_ns);
	app_write(sw, c);
	app_close(sw, c, now_ns);
}

/* ---- Sending ---- */

static bool
dp_path_equal_quic(const struct dp_path *d, const struct quic_path *q)
{
	struct quic_path tmp;

	path_to_quic(&tmp, d);
	return quic_path_equal(&tmp, q);
}

/*
 * The k datagrams just written for c, which chose another path than c->tx_path (path
 * validation, migration): moved to mbufs for that path, which c sends on from now on.
 */
static void
conn_move_path(struct srv_worker *sw, struct srv_conn *c, const struct quic_path *qp,
	       uint8_t *const *bufs, const size_t *lens, unsigned k)
{
	struct dp_path np = c->tx_path;
	size_t off = 0;

	for (unsigned i = 0; i < k; i++) { /* k * SRV_MAX_UDP_PAYLOAD fits in the scratch */
		memcpy(sw->scratch + off, bufs[i], lens[i]);
		off += lens[i];
	}
	dp_tx_abort(sw->w);
	addr_to_dp(&np.local, &qp->local);
	addr_to_dp(&np.remote, &qp->remote);
	off = 0;
	for (unsigned i = 0; i < k; i++) {
		if (dp_tx_copy(sw->w, &np, sw->scratch + off, lens[i]) != 0)
			cnt_add(sw, SRV_CNT_TX_FAIL, 1);
		off += lens[i];
	}
	c->tx_path = np;
}

/*
 * Write up to max datagrams of c straight into fresh mbufs, in one quic_conn_write_burst():
 * its packets are sealed and masked together, and the per-call work (timers, pacing, app
 * limits) is paid once for the burst.
 * @return datagrams sent (0: nothing to send), -1 no buffer or no usable path (try later)
 */
static int
conn_write_burst(struct srv_worker *sw, struct srv_conn *c, unsigned max, uint64_t now_ns)
{
	uint8_t *bufs[SRV_TX_BURST];
	size_t lens[SRV_TX_BURST];
	struct quic_path qp;
	size_t maxp;
	unsigned n, sent;
	int k;

	maxp = dp_tx_payload_max(sw->w, &c->tx_path);
	if (maxp > SRV_MAX_UDP_PAYLOAD)
		maxp = SRV_MAX_UDP_PAYLOAD;
	if (max > SRV_TX_BURST)
		max = SRV_TX_BURST;
	if (maxp < 1200 || (n = dp_tx_alloc_burst(sw->w, &c->tx_path, maxp, bufs, max)) == 0)
		return -1;
	k = quic_conn_write_burst(c->qc, bufs, maxp, lens, n, &qp, now_ns);
	if (k <= 0) {
		dp_tx_abort(sw->w);
		return 0;
	}
	if (!dp_path_equal_quic(&c->tx_path, &qp)) {
		conn_move_path(sw, c, &qp, bufs, lens, (unsigned)k);
		return k;
	}
	sent = dp_tx_commit_burst(sw->w, lens, (unsigned)k);
	if (sent < (unsigned)k)
		cnt_add(sw, SRV_CNT_TX_FAIL, (int64_t)(k - (int)sent));
	/* The pool gave fewer buffers than asked and all were used: more may be waiting. */
	return n < max && (unsigned)k == n ? -1 : k;
}

/* Add what the connection counted since last time to the worker's counters. */
static void
conn_count_stats(struct srv_worker *sw, struct srv_conn *c)
{
	struct quic_conn_stats st;

	quic_conn_stats(c->qc, &st);
	cnt_add(sw, SRV_CNT_KEY_UPDATES, (int64_t)(st.key_updates - c->seen_key_updates));
	cnt_add(sw, SRV_CNT_MIGRATIONS, (int64_t)(st.migrations - c->seen_migrations));
	c->seen_key_updates = st.key_updates;
	c->seen_migrations = st.migrations;
}

/* Keep the connection's share of SRV_CNT_CONN_MEM up to date (what it holds after a service). */
static void
conn_count_mem(struct srv_worker *sw, struct srv_conn *c)
{
	uint64_t mem = sizeof(*c) + quic_conn_mem_bytes(c->qc) + quic_conn_stream_mem_bytes(c->qc) +
		       quic_app_mem_bytes(c->app);

	cnt_add(sw, SRV_CNT_CONN_MEM, (int64_t)(mem - c->seen_mem));
	cnt_add(sw, SRV_CNT_MEM_CHARGED, (int64_t)(mem - c->seen_mem));
	c->seen_mem = mem;
}

/*
 * Flush c: pump the app, write what it allows, re-arm, free it once closed. A connection that
 * used its whole TX budget, or found no buffer, goes on the dirty list for the next loop.
 */
/*
 * After a burst the pacer cut short (RFC 9002 §7.7: its bucket holds the initial window, about
 * eight datagrams): whether it lets more go now. Writing and sealing that burst took real
 * time, in which the bucket refilled at N * cwnd / srtt; *now_ns moves to a fresh clock
 * reading so the pacer sees that time (in simulated time it stays, and the loop ends). Each
 * loop iteration otherwise carried only one bucket, with its RX poll, timers and flush.
 */
static bool
pacer_allows_more(struct srv_worker *sw, struct srv_conn *c, uint64_t *now_ns)
{
	uint64_t t = quic_conn_next_timeout(c->qc);

	if (t >= *now_ns + SRV_NEAR_NS)
		return false;
	*now_ns = dp_worker_clock(sw->w);
	return t <= *now_ns;
}

static void
conn_service(struct srv_worker *sw, struct srv_conn *c, uint64_t now_ns)
{
	unsigned done, want;
	int rc = 0;

	conn_pump(sw, c, now_ns);
	/* A burst short of what was asked: nothing more to send now (or no buffer: -1), unless
	 * the pacer alone held it and lets more go by now. */
	for (done = 0; done < TX_PER_CONN;) {
		want = TX_PER_CONN - done < SRV_TX_BURST ? TX_PER_CONN - done : SRV_TX_BURST;
		rc = conn_write_burst(sw, c, want, now_ns);
		if (rc > 0)
			done += (unsigned)rc;
		if (rc < (int)want && (rc <= 0 || !pacer_allows_more(sw, c, &now_ns)))
			break;
	}
	if (done >= TX_PER_CONN || rc < 0)
		dirty_mark(sw, c);
	sync_cids(sw, c);
	conn_count_stats(sw, c);
	conn_count_mem(sw, c);
	if (quic_conn_is_closed(c->qc)) {
		conn_free(sw, c);
		return;
	}
	conn_rearm(sw, c, now_ns);
}

static void
conn_timer_fn(struct dp_timer *t, void *arg, uint64_t now_ns)
{
	struct srv_conn *c = arg;

	(void)t;
	quic_conn_handle_timeout(c->qc, now_ns);
	/* Serviced by collect_tx later in this loop (the wheel runs before it), once with its
	 * input: a pacing deadline also left it on the dirty list (conn_rearm), and servicing it
	 * here too cost a second service per loop that found the pacer empty. */
	dirty_mark(c->sw, c);
}

/* ---- Receiving ---- */

/* The DCID of a datagram's first packet (RFC 9000 §17.2, §17.3), or false. */
static bool
dgram_dcid(const struct srv_worker *sw, const uint8_t *p, size_t len, const uint8_t **cid,
	   size_t *cid_len, bool *is_long)
{
	if (len < 1)
		return false;
	*is_long = (p[0] & 0x80) != 0;
	if (!*is_long) {
		if (len < 1 + sw->cid_len)
			return false;
		*cid = p + 1;
		*cid_len = sw->cid_len;
		return true;
	}
	if (len < 6 || p[5] > QUIC_CID_LEN_MAX || len < 6u + p[5])
		return false;
	*cid = p + 6;
	*cid_len = p[5];
	return true;
}

static void
send_bytes(struct srv_worker *sw, const struct dp_path *path, const uint8_t *data, size_t len)
{
	if (dp_tx_copy(sw->w, path, data, len) != 0)
		cnt_add(sw, SRV_CNT_TX_FAIL, 1);
}

/* Wall-clock time (tokens, resets) from the worker's clock and the offset of the last tick. */
static uint64_t
wall_ns(const struct srv_worker *sw, uint64_t now_ns)
{
	return sw->wall_off != 0 ? now_ns + sw->wall_off : srv_real_ns();
}

/* --retry auto: handshakes in flight and Initials per second (last or current 1 s window). */
static void
load_update(struct srv_worker *sw, uint64_t now_ns, unsigned n, struct quic_validator_load *load)
{
	if (now_ns - sw->win_start_ns >= 1000000000u) {
		sw->initial_rate = sw->win_initials;
		sw->win_initials = 0;
		sw->win_start_ns = now_ns;
	}
	sw->win_initials += n;
	load->handshakes_in_flight = sw->hs_in_flight;
	load->initial_rate =
		sw->initial_rate > sw->win_initials ? sw->initial_rate : sw->win_initials;
}

/*
 * Act on the validator's verdict for a datagram that names no connection: send its VN, Retry
 * or INVALID_TOKEN close, or drop it. @return true when it may make a connection
 */
static bool
screen_verdict(struct srv_worker *sw, const struct dp_path *path, const struct quic_vresult *r)
{
	if (r->has_token && r->token == QUIC_TOKEN_OK && r->info.kind == QUIC_TOKEN_RETRY)
		cnt_add(sw, SRV_CNT_TOKENS_VALID, 1);
	switch (r->action) {
	case QUIC_VA_ACCEPT:
		return true;
	case QUIC_VA_SEND_RETRY:
		cnt_add(sw, SRV_CNT_RETRY_SENT, 1);
		/* fall through */
	case QUIC_VA_SEND_VN:
	case QUIC_VA_SEND_CLOSE:
		send_bytes(sw, path, sw->vresp + r->resp_off, r->resp_len);
		cnt_add(sw, SRV_CNT_SCREEN_REPLY, 1);
		return false;
	default:
		cnt_add(sw, SRV_CNT_SCREEN_DROP, 1);
		return false;
	}
}

/*
 * Answer a short-header packet for an unknown CID with a Stateless Reset (RFC 9000 §10.3):
 * the token of that CID under the static key, so the peer recognises it if the CID was ours
 * before a restart or a lost state. Never for a trigger too short to answer with a smaller
 * packet of at least 21 bytes (§10.3.3, bad-input A14), and rate-limited per worker.
 */
static void
send_reset(struct srv_worker *sw, const uint8_t *cid, size_t cid_len, size_t trigger_len,
	   const struct dp_path *path, uint64_t now_ns)
{
	uint8_t token[QUIC_RESET_TOKEN_LEN], pkt[SRV_RESET_MAX_LEN];
	size_t len;

	if (trigger_len <= QUIC_STATELESS_RESET_MIN_LEN + 1)
		return; /* the reset could not be both smaller and >= 21 bytes */
	if (!quic_validator_reset_allowed(sw->val, wall_ns(sw, now_ns))) {
		cnt_add(sw, SRV_CNT_RESET_LIMITED, 1);
		return;
	}
	if (quic_reset_token(sw->ctx, sw->s->reset_key, sizeof(sw->s->reset_key), cid, cid_len,
			     token) != 0 ||
	    quic_stateless_reset_write(pkt, sizeof(pkt), trigger_len, sizeof(pkt), token, &sw->rand,
				       &len) != 0)
		return;
	send_bytes(sw, path, pkt, len);
	cnt_add(sw, SRV_CNT_RESET_SENT, 1);
}

/*
 * --worker-memory admission: whether the worker's charged memory (SRV_CNT_MEM_CHARGED: every
 * connection's accounted bytes as of its last service, plus SRV_CONN_UNACCOUNTED each) and
 * the charge of one more connection stay within the budget. One more is estimated at the
 * mean charge of those held (what a connection of this worker costs, its handshake's buffers
 * included while it lasts), and never below the least any connection costs (its slot, its
 * quic_conn struct, the unaccounted part). A connection's charge then follows what it holds,
 * so the budget is kept up to the difference between one connection and the mean.
 */
static bool
budget_allows(const struct srv_worker *sw)
{
	uint64_t budget = sw->s->opts.worker_mem;
	uint64_t charged = __atomic_load_n(&sw->cnt.v[SRV_CNT_MEM_CHARGED], __ATOMIC_RELAXED);
	uint64_t active = __atomic_load_n(&sw->cnt.v[SRV_CNT_ACTIVE], __ATOMIC_RELAXED);
	uint64_t one = sizeof(struct srv_conn) + quic_conn_struct_bytes() + SRV_CONN_UNACCOUNTED;

	if (budget == 0)
		return true;
	if (active > 0 && (charged + active - 1) / active > one)
		one = (charged + active - 1) / active;
	return charged + one <= budget;
}

/* A connection from a datagram the validator accepted. @return true when one was made */
static bool
new_conn(struct srv_worker *sw, const struct quic_dgram *dg, const struct quic_vresult *r,
	 const struct quic_cid *odcid, const struct dp_path *path, uint64_t now_ns)
{
	struct quic_path qp;
	struct srv_conn *c;
	int rc;

	if (!budget_allows(sw)) {
		cnt_add(sw, SRV_CNT_REFUSED_MEM, 1);
		return false;
	}
	if (sw->stop_seen || (c = conn_take_slot(sw)) == NULL) {
		cnt_add(sw, SRV_CNT_REFUSED_FULL, 1);
		return false;
	}
	path_to_quic(&qp, path);
	c->tx_path = *path;
	c->tx_path.ecn = 0;
	/* quic_conn_accept() asks the token ops, which answer from this verdict. */
	quic_validator_select(sw->val, dg, r);
	rc = quic_conn_accept(&c->qc, &sw->qcfg, dg->data, dg->len, &qp, now_ns);
	quic_validator_select(sw->val, NULL, NULL);
	if (rc != 0) {
		c->qc = NULL;
		conn_free(sw, c);
		cnt_add(sw, SRV_CNT_ACCEPT_FAIL, 1);
		return false;
	}
	cnt_add(sw, SRV_CNT_ACCEPTED, 1);
	cnt_add(sw, SRV_CNT_ACTIVE, 1);
	cnt_add(sw, SRV_CNT_MEM_CHARGED, SRV_CONN_UNACCOUNTED);
	sw->hs_in_flight++;
	if (r->validated)
		cnt_add(sw, SRV_CNT_VALIDATED, 1);
	key_insert(sw, c, &c->key[0], odcid);
	sync_cids(sw, c);
	conn_service(sw, c, now_ns);
	/*
	 * The first flight leaves now, not after the rest of the burst: each accept costs a full
	 * TLS server handshake (~100-200 us), so a burst of Initials held every flight but the
	 * last for milliseconds, in which the clients had nothing to answer and the worker then
	 * ran out of work while they caught up (issue #6: handshakes/s).
	 */
	dp_tx_flush(sw->w);
	return true;
}

/* A datagram for connection c: its input, serviced once after the burst (collect_tx). */
static void
deliver(struct srv_worker *sw, struct srv_conn *c, const uint8_t *p, size_t len,
	const struct dp_path *path, uint64_t now_ns)
{
	struct quic_path qp;

	path_to_quic(&qp, path);
	c->tx_path.port_id = path->port_id;
	quic_conn_recv(c->qc, p, len, &qp, now_ns);
	dirty_mark(sw, c);
}

/*
 * The set-aside datagrams of a burst through the validator in one call, before any connection
 * state (issue #7), then their responses, drops and connections in arrival order. A connection
 * made from one of them owns the later ones that name its original DCID (a second Initial,
 * 0-RTT): those go to it, whatever the verdict was. --retry auto's load is read once a burst.
 */
static void
screen_flush(struct srv_worker *sw, uint64_t now_ns)
{
	struct quic_validator_load load;
	unsigned n = sw->nscr;
	bool made = false;
	struct srv_conn *c;

	if (n == 0)
		return;
	sw->nscr = 0;
	load_update(sw, now_ns, n, &load);
	quic_validator_burst(sw->val, sw->scr_dg, n, &load, wall_ns(sw, now_ns), sw->vresp,
			     sizeof(sw->vresp), sw->scr_res);
	for (unsigned i = 0; i < n; i++) {
		const struct quic_cid *id = &sw->scr_odcid[i];

		if (made && (c = table_find(sw, id->data, id->len)) != NULL) {
			deliver(sw, c, sw->scr_dg[i].data, sw->scr_dg[i].len, &sw->scr_path[i],
				now_ns);
			continue;
		}
		if (screen_verdict(sw, &sw->scr_path[i], &sw->scr_res[i]))
			made |= new_conn(sw, &sw->scr_dg[i], &sw->scr_res[i], id, &sw->scr_path[i],
					 now_ns);
	}
}

/* Set a datagram naming no connection aside for the end of the burst (screen_flush). */
static void
screen_put(struct srv_worker *sw, const uint8_t *p, size_t len, const uint8_t *cid, size_t cid_len,
	   const struct dp_path *path, uint64_t now_ns)
{
	unsigned i;

	if (sw->nscr == DP_BURST)
		screen_flush(sw, now_ns); /* a burst holds at most DP_BURST: not expected */
	i = sw->nscr++;
	sw->scr_dg[i].data = p;
	sw->scr_dg[i].len = len;
	addr_to_quic(&sw->scr_dg[i].peer, &path->remote);
	sw->scr_path[i] = *path;
	sw->scr_odcid[i].len = (uint8_t)cid_len;
	memcpy(sw->scr_odcid[i].data, cid, cid_len);
}

static void
end_burst(void *ctx, struct dp_worker *w, uint64_t now_ns)
{
	dp_worker_assert_owner(w);
	screen_flush(ctx, now_ns);
}

static void
on_datagram(void *ctx, struct dp_worker *w, const uint8_t *p, size_t len,
	    const struct dp_path *path, uint64_t now_ns)
{
	struct srv_worker *sw = ctx;
	struct srv_conn *c;
	const uint8_t *cid;
	size_t cid_len;
	bool is_long;

	dp_worker_assert_owner(w); /* quic_conn_* of this worker's connections follow */
	(void)w;
	if (!dgram_dcid(sw, p, len, &cid, &cid_len, &is_long)) {
		cnt_add(sw, SRV_CNT_SCREEN_DROP, 1);
		return;
	}
	c = table_find(sw, cid, cid_len);
	if (c != NULL) {
		deliver(sw, c, p, len, path, now_ns);
		return;
	}
	if (!is_long) {
		cnt_add(sw, SRV_CNT_UNKNOWN_CID, 1);
		send_reset(sw, cid, cid_len, len, path, now_ns);
		return;
	}
	screen_put(sw, p, len, cid, cid_len, path, now_ns);
}

/* ---- Ticks: shutdown ---- */

static void
check_drained(struct srv_worker *sw, uint64_t now_ns)
{
	if (sw->active != NULL && now_ns < sw->drain_deadline)
		return;
	quic_token_worker_offline(sw->tw);
	/* Release pairs with the acquire load in srv_worker_drained(). */
	__atomic_store_n(&sw->drained, 1, __ATOMIC_RELEASE);
}

static void
on_tick(void *ctx, struct dp_worker *w, uint64_t now_ns)
{
	struct srv_worker *sw = ctx;
	struct srv_conn *c;

	dp_worker_assert_owner(w); /* quic_conn_* of this worker's connections follow */
	(void)w;
	sw->wall_off = srv_real_ns() - now_ns;
	/* A quiescent point every tick, so that key rotations never wait on an idle worker. */
	quic_token_worker_enter(sw->tw);
	quic_token_worker_exit(sw->tw);
	/* Between two packets: no handshake of this worker is inside a tls_* call. */
	srv_ticket_keys_sync(sw->s, sw->tls, &sw->ticket_seen);
	if (!sw->stop_seen) {
		/* Acquire pairs with the release store of the control thread in main.c. */
		if (__atomic_load_n(&sw->s->stopping, __ATOMIC_ACQUIRE) == 0)
			return;
		sw->stop_seen = true;
		sw->drain_deadline = now_ns + DRAIN_NS;
		for (c = sw->active; c != NULL; c = c->next) {
			if (c->app != NULL)
				quic_app_shutdown(c->app);
			quic_conn_close(c->qc, c->app != NULL ? QUIC_H3_NO_ERROR : 0, "shutdown",
					now_ns);
			dirty_mark(sw, c);
		}
	}
	check_drained(sw, now_ns);
}

static void
collect_tx(void *ctx, struct dp_worker *w, uint64_t now_ns)
{
	struct srv_worker *sw = ctx;
	struct srv_conn *c, *todo = sw->dirty;

	(void)w;
	/* Take the list: what a service marks again waits for the next loop. */
	sw->dirty = NULL;
	if (todo != NULL)
		todo->dpprev = &todo;
	while ((c = todo) != NULL) {
		dirty_unlink(c);
		conn_service(sw, c, now_ns);
	}
}

/* ---- Set-up ---- */

/* A worker pool's cap: per_conn objects for each of max_conns connections, within 2^30. */
static uint32_t
pool_cap(uint32_t max_conns, uint32_t per_conn)
{
	uint64_t n = (uint64_t)max_conns * per_conn;

	return n < WORKER_POOL_MIN   ? WORKER_POOL_MIN
	       : n > WORKER_POOL_MAX ? WORKER_POOL_MAX
				     : (uint32_t)n;
}

/*
 * Pools for the block tables of the connections' sent-record arrays, so that taking and
 * dropping them at every handshake skips the heap: a connection has up to five, of 16 to
 * 736 bytes with the default sent_cap (four up to 136); larger ones (a big sent_cap) use the
 * heap.
 */
static int
worker_tables(struct srv_worker *sw, uint32_t max_conns)
{
	static const size_t sizes[QUIC_POOL_TABLE_SIZES] = {160, 1024};
	static const uint32_t per_conn[QUIC_POOL_TABLE_SIZES] = {4, 1};

	for (unsigned i = 0; i < QUIC_POOL_TABLE_SIZES; i++) {
		if (quic_pool_init(&sw->table_pool[i], sizes[i], pool_cap(max_conns, per_conn[i]),
				   0) != 0)
			return QUIC_ERR_NOMEM;
		sw->chunk_pool.tables[i] = &sw->table_pool[i];
	}
	return 0;
}

static int
worker_config(struct srv_worker *sw)
{
	const struct srv_opts *o = &sw->s->opts;
	struct quic_conn_config *q = &sw->qcfg;
	uint32_t chunks = pool_cap(o->max_conns, WORKER_CHUNKS_PER_CONN);

	quic_conn_config_default(q, QUIC_ROLE_SERVER);
	/* Hard caps only (memory is taken as used): each connection's own limits (flow control,
	 * stream and chunk budgets) bound what it takes, --max-conns bounds the connections.
	 * With --worker-memory the chunks (stream and CRYPTO data, sent-packet records) are
	 * capped at the budget: however the connections held grow, their buffers never take
	 * more than it (a connection refused a chunk drops what it cannot buffer, and the peer
	 * sends it again; RFC 9000 §2.2, §13.3). */
	if (o->worker_mem != 0 && o->worker_mem / QUIC_CHUNK_SIZE < chunks)
		chunks = (uint32_t)(o->worker_mem / QUIC_CHUNK_SIZE);
	if (quic_stream_pool_init(&sw->stream_pool, pool_cap(o->max_conns, WORKER_STREAMS_PER_CONN),
				  0) != 0 ||
	    quic_chunk_pool_init(&sw->chunk_pool, chunks, 0) != 0 ||
	    quic_pool_init(&sw->conn_pool, quic_conn_obj_size(), o->max_conns, 0) != 0 ||
	    worker_tables(sw, o->max_conns) != 0)
		return QUIC_ERR_NOMEM;
	q->stream_pool = &sw->stream_pool;
	q->chunk_pool = &sw->chunk_pool;
	q->conn_pool = &sw->conn_pool;
	if (srv_tls_new(sw->s, &sw->tls) != 0)
		return QUIC_ERR_CRYPTO;
	/* Hello randoms, cookies and ticket age adds from the worker's cache, not RAND_bytes(). */
	tls_server_config_set_rand(sw->tls, &sw->rand);
	srv_ticket_keys_sync(sw->s, sw->tls, &sw->ticket_seen);
	q->tls_server = sw->tls;
	q->crypto = sw->ctx;
	q->rand = sw->rand;
	q->cc_algo = o->cc;
	q->lb = sw->lb;
	q->worker = (uint8_t)dp_worker_id(sw->w);
	q->release_tparams = true; /* nothing asks for them after the handshake */
	q->reset_key = sw->s->reset_key;
	q->reset_key_len = sizeof(sw->s->reset_key);
	q->qlog = sw->s->qlog.dir_fd >= 0 ? &sw->s->qlog.ops : NULL;
	if (o->n_versions > 0) {
		/* --versions: the order is also the preference a client is moved by (RFC 9368). */
		memcpy(q->versions, o->versions, o->n_versions * sizeof(o->versions[0]));
		memcpy(q->preferred_versions, o->versions, o->n_versions * sizeof(o->versions[0]));
		q->n_versions = o->n_versions; /* preferred_versions: 0-terminated */
	}
	if (o->idle_timeout_ms != 0 &&
	    quic_tparams_set_int(&q->tparams, QUIC_TP_MAX_IDLE_TIMEOUT, o->idle_timeout_ms) != 0)
		return QUIC_ERR_INVAL;
	return 0;
}

static int
worker_lb(struct srv_worker *sw)
{
	const struct srv_opts *o = &sw->s->opts;
	struct quic_lb_config lc;
	int rc;

	memset(&lc, 0, sizeof(lc));
	lc.server_id_len = o->sid_len;
	memcpy(lc.server_id, o->server_id, o->sid_len);
	lc.cid_len = QUIC_LB_CID_LEN_DEFAULT;
	lc.nonce_len = (uint8_t)(lc.cid_len - 1 - o->sid_len);
	if (lc.nonce_len + o->sid_len > QUIC_LB_PLAIN_MAX)
		lc.nonce_len = (uint8_t)(QUIC_LB_PLAIN_MAX - o->sid_len);
	rc = quic_lb_new(&sw->lb, &lc, sw->ctx);
	if (rc != 0)
		return rc;
	sw->cid_len = quic_lb_cid_len(sw->lb);
	return dp_worker_set_steering(sw->w, sw->lb, o->server_id, o->sid_len) == 0
		       ? 0
		       : QUIC_ERR_INVAL;
}

static enum quic_retry_policy
retry_policy(enum srv_retry r)
{
	switch (r) {
	case SRV_RETRY_ALWAYS:
		return QUIC_RETRY_ALWAYS;
	case SRV_RETRY_AUTO:
		return QUIC_RETRY_AUTO;
	default:
		return QUIC_RETRY_NEVER;
	}
}

/* A Retry SCID from our QUIC-LB encoder, so the client's next Initial steers back here. */
static int
retry_cid(void *arg, struct quic_cid *out)
{
	struct srv_worker *sw = arg;

	return quic_lb_encode(sw->lb, (uint8_t)dp_worker_id(sw->w), &sw->rand, out);
}

/* Token state and validator; worker ids are fleet-unique: (server id << 8) | worker. */
static int
worker_tokens(struct srv_worker *sw, unsigned index)
{
	const struct srv_opts *o = &sw->s->opts;
	struct quic_validator_config vc;
	struct quic_token_config tc;
	uint32_t sid = 0;
	unsigned i;
	int rc;

	for (i = 0; i < o->sid_len && i < 3; i++)
		sid = sid << 8 | o->server_id[i];
	quic_token_config_default(&tc);
	tc.worker_id = sid << 8 | (index & 0xff);
	rc = quic_token_worker_new(&sw->tw, sw->s->tokens, index, &tc, sw->ctx, NULL);
	if (rc != 0)
		return rc;
	quic_validator_config_default(&vc);
	vc.policy = retry_policy(o->retry);
	if (o->retry_auto_handshakes != 0)
		vc.auto_handshakes = o->retry_auto_handshakes;
	if (o->retry_auto_rate != 0)
		vc.auto_initial_rate = o->retry_auto_rate;
	vc.retry_scid_len = (uint8_t)sw->cid_len;
	vc.new_cid = retry_cid;
	vc.cid_arg = sw;
	rc = quic_validator_new(&sw->val, &vc, sw->tw, sw->ctx, &sw->rand);
	if (rc != 0)
		return rc;
	quic_validator_token_ops(sw->val, &sw->tops);
	srv_wall_tokens_init(&sw->wall, &sw->tops, srv_real_ns, &sw->cnt.v[SRV_CNT_NEW_TOKENS]);
	sw->qcfg.tokens = &sw->wall.ops;
	/* RFC 9000 §8.1.3: a token for the next connection, once the handshake is confirmed. */
	sw->qcfg.send_new_token = o->new_token;
	return 0;
}

static int
worker_table(struct srv_worker *sw)
{
	uint32_t n = sw->s->opts.max_conns;
	size_t nb = 64;

	while (nb < (size_t)n * 2)
		nb <<= 1;
	sw->bucket = calloc(nb, sizeof(*sw->bucket));
	sw->slots = calloc(n, sizeof(*sw->slots));
	if (sw->bucket == NULL || sw->slots == NULL)
		return QUIC_ERR_NOMEM;
	sw->mask = nb - 1;
	return crypto_rand_bytes(NULL, sw->hkey, sizeof(sw->hkey)) == 0 ? 0 : QUIC_ERR_CRYPTO;
}

int
srv_worker_new(struct srv_worker **out, struct srv *s, struct dp_worker *w)
{
	const struct dp_handler h = {
		.on_datagram = on_datagram,
		.end_burst = end_burst,
		.on_tick = on_tick,
		.collect_tx = collect_tx,
		.tick_ns = 10ull * 1000 * 1000,
	};
	struct srv_worker *sw;
	int rc;

	*out = NULL;
	sw = calloc(1, sizeof(*sw));
	if (sw == NULL)
		return QUIC_ERR_NOMEM;
	sw->s = s;
	sw->w = w;
	crypto_rand_pool_init(&sw->rand_pool, &sw->rand);
	sw->files = srv_files_new(s);
	if (sw->files != NULL)
		srv_files_provider(&sw->provider, sw->files);
	rc = sw->files == NULL ? QUIC_ERR_NOMEM : 0;
	if (rc == 0)
		rc = crypto_ctx_new(&sw->ctx, CRYPTO_ENGINE_AUTO) == 0 ? 0 : QUIC_ERR_CRYPTO;
	if (rc == 0)
		rc = worker_lb(sw);
	if (rc == 0)
		rc = worker_table(sw);
	if (rc == 0)
		rc = worker_config(sw);
	if (rc == 0)
		rc = worker_tokens(sw, dp_worker_id(w));
	if (rc == 0 && dp_worker_set_handler(w, &h, sw) != 0)
		rc = QUIC_ERR_INVAL;
	if (rc != 0) {
		srv_worker_free(sw);
		return rc;
	}
	*out = sw;
	return 0;
}

void
srv_worker_free(struct srv_worker *sw)
{
	if (sw == NULL)
		return;
	while (sw->active != NULL)
		conn_free(sw, sw->active);
	srv_files_free(sw->files); /* after the connections: their responses release handles */
	quic_validator_free(sw->val);
	quic_token_worker_free(sw->tw);
	quic_pool_fini(&sw->chunk_pool);
	quic_pool_fini(&sw->stream_pool);
	quic_pool_fini(&sw->conn_pool);
	for (unsigned i = 0; i < QUIC_POOL_TABLE_SIZES; i++)
		quic_pool_fini(&sw->table_pool[i]);
	free(sw->slots);
	free(sw->bucket);
	quic_lb_free(sw->lb);
	tls_server_config_free(sw->tls);
	crypto_ctx_free(sw->ctx);
	crypto_rand_pool_fini(&sw->rand_pool);
	free(sw);
}
