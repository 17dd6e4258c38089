/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The packet writer. A datagram holds up to one packet per level (Initial, Handshake, 1-RTT,
 * coalesced as RFC 9000 §12.2 allows); each packet is written in phases — ACK, CRYPTO, control
 * frames, STREAM, probe PING, padding — and every packet of every datagram of one call is then
 * sealed in one crypto_aead_seal_burst() and masked in one crypto_hp_mask_burst() (RFC 9001
 * §5.3, §5.4). What each packet carried is recorded per frame, so that the recovery callback
 * can say which frames were acknowledged or lost (RFC 9000 §13.3).
 */
#include <stdlib.h>
#include <string.h>

#include "conn_int.h"

/* Smallest room worth starting a packet in: a long header, a few frame bytes and the tag. */
#define TX_MIN_PKT 64
/* RFC 9000 §14.1: datagrams carrying (client: any; server: ack-eliciting) Initial packets. */
#define TX_INITIAL_MIN 1200
/*
 * RFC 9000 §13.2.4: a run of ACK-only packets is never acknowledged (so their records would
 * stay in the recovery ring); after this many in a row, the next one carries a PING.
 */
#define TX_ACK_ONLY_RUN 16
/*
 * Congestion window a client keeps out of reach of 0-RTT data for its handshake. 0-RTT packets
 * that reach a server before its connection exists are dropped there, and are only declared
 * lost once 1-RTT packets sent after them are acknowledged (RFC 9002 §6.1); until then they
 * fill the window. With this much left, the client's Finished still goes out (RFC 9002 §7
 * lets only a PTO exceed the window, and no PTO is armed for the Application space before the
 * handshake is confirmed, §6.2.1), and the 0-RTT data follows in 1-RTT.
 */
#define TX_ZRTT_CC_RESERVE 1200

/* A packet being written. */
struct tx_pkt {
	enum conn_level level;
	bool zero_rtt; /* client: a 0-RTT packet (Application space, 0-RTT keys) */
	uint8_t *start;
	size_t cap; /* room for the whole packet, tag included */
	struct quic_packet_layout lay;
	struct crypto_wr w; /* the payload; its end leaves room for the tag */
	uint32_t slot;
	bool ack_eliciting;
	bool padded;
	bool path_frame; /* PATH_CHALLENGE or PATH_RESPONSE: 1200 bytes (RFC 9000 §8.2.1) */
	/*
	 * The payload bytes of one STREAM frame left unwritten, sealed straight from the send
	 * buffer (src.at from the payload's start): one copy of the payload fewer per packet.
	 */
	struct crypto_aead_src src;
};

/* A datagram being written. */
struct tx_dgram {
	uint8_t *start;
	size_t room;
	size_t used;
	struct tx_pkt pkts[CONN_TX_PKTS_PER_DGRAM];
	unsigned n;
	bool pad;		      /* must reach TX_INITIAL_MIN bytes */
	bool paced;		      /* the pacer holds new data back */
	bool limited;		      /* congestion control or pacing held data back */
	bool close;		      /* CONNECTION_CLOSE only, nothing tracked */
	bool inject;		      /* tests: one packet with the injected frames */
	const struct quic_path *resp; /* PATH_RESPONSE frames for this path only (§8.2.2) */
	uint64_t cc_left;	      /* congestion window left for in-flight bytes */
	uint64_t pace_at;	      /* when the pacer lets the next full datagram go */
};

#define TX_BATCH_PKTS (CONN_TX_BATCH * CONN_TX_PKTS_PER_DGRAM)

/* Packets of one call, sealed and masked together. */
struct tx_batch {
	struct crypto_aead_op aops[TX_BATCH_PKTS];
	struct crypto_aead_src src[TX_BATCH_PKTS];
	struct crypto_hp_op hops[TX_BATCH_PKTS];
	uint8_t *pkt[TX_BATCH_PKTS];
	size_t len[TX_BATCH_PKTS];
	size_t pn_offset[TX_BATCH_PKTS];
	size_t pn_len[TX_BATCH_PKTS];
	struct crypto_hp *hp[TX_BATCH_PKTS];
	unsigned n;
	bool discard_initial; /* client: a Handshake packet went out (RFC 9001 §4.9.1) */
	bool limited;	      /* congestion control or pacing held data back */
};

/* Where the datagrams of one write go: back to back in buf, or one per bufs[i]. */
struct tx_out {
	uint8_t *buf;
	size_t buf_len;
	uint8_t *const *bufs; /* NULL: back to back in buf */
	size_t mds;	      /* max_datagram_size */
	size_t *lens;
	size_t max;
	size_t n;   /* datagrams written */
	size_t off; /* back to back: bytes used in buf */
};

/* Where the next datagram goes, with *left bytes of room. */
static uint8_t *
out_next(const struct tx_out *o, size_t *left)
{
	if (o->bufs != NULL) {
		*left = o->mds;
		return o->bufs[o->n];
	}
	*left = o->buf_len - o->off;
	return o->buf + o->off;
}

static void
out_put(struct tx_out *o, size_t len)
{
	o->lens[o->n++] = len;
	if (o->bufs == NULL)
		o->off += len;
}

/* ---- sent packet and frame records ---- */

#define SENT_PKT(c, i)	 ((struct sent_pkt *)quic_parray_at(&(c)->pkts, (i)))
#define SENT_FRAME(c, i) ((struct sent_frame *)quic_parray_at(&(c)->frames, (i)))

static enum quic_pkt_type
pkt_type(enum conn_level level)
{
	return level == LVL_APP ? QUIC_PKT_1RTT
				: (level == LVL_INITIAL ? QUIC_PKT_INITIAL : QUIC_PKT_HANDSHAKE);
}

int
quic_conn_sent_init(struct quic_conn *c, uint32_t n_pkts)
{
	if (quic_parray_init(&c->pkts, c->chunk_pool, sizeof(struct sent_pkt), n_pkts) != 0 ||
	    quic_parray_init(&c->frames, c->chunk_pool, sizeof(struct sent_frame),
			     n_pkts * CONN_FRAMES_PER_PKT) != 0)
		return QUIC_ERR_INVAL;
	c->pkt_free = c->frame_free = SENT_NONE;
	return 0;
}

/* No packet is tracked: every record block goes back to the pool. */
static void
sent_shrink(struct quic_conn *c)
{
	quic_parray_clear(&c->pkts);
	quic_parray_clear(&c->frames);
	c->pkt_free = c->frame_free = SENT_NONE;
	c->pkt_hw = c->frame_hw = 0;
}

void
quic_conn_sent_fini(struct quic_conn *c)
{
	sent_shrink(c);
}

size_t
quic_conn_sent_bytes(const struct quic_conn *c)
{
	return quic_parray_bytes(&c->pkts) + quic_parray_bytes(&c->frames);
}

static uint32_t
slot_alloc(struct quic_conn *c, const struct tx_pkt *p)
{
	uint32_t s = c->pkt_free;

	if (s != SENT_NONE) {
		c->pkt_free = SENT_PKT(c, s)->head;
	} else {
		if (quic_parray_get(&c->pkts, c->pkt_hw) == NULL)
			return SENT_NONE;
		s = c->pkt_hw++;
	}
	c->pkts_used++;
	*SENT_PKT(c, s) = (struct sent_pkt){.head = SENT_NONE,
					    .used = 1,
					    .space = (uint8_t)p->level,
					    .zero_rtt = p->zero_rtt,
					    .key_gen = c->app.tx_gen};
	return s;
}

/* Give the frame records of a packet back. */
static void
slot_frames_release(struct quic_conn *c, uint32_t s)
{
	struct sent_pkt *p = SENT_PKT(c, s);
	uint32_t f = p->head;

	while (f != SENT_NONE) {
		struct sent_frame *r = SENT_FRAME(c, f);
		uint32_t next = r->next;

		r->next = c->frame_free;
		c->frame_free = f;
		c->frames_used--;
		f = next;
	}
	p->head = SENT_NONE;
}

static void
slot_release(struct quic_conn *c, uint32_t s)
{
	struct sent_pkt *p = SENT_PKT(c, s);

	slot_frames_release(c, s);
	p->used = 0;
	p->head = c->pkt_free;
	c->pkt_free = s;
	if (--c->pkts_used == 0)
		sent_shrink(c);
}

/*
 * Whether one more frame record can be had: a free one, or the next new one, whose block is
 * taken from the pool now so that track() cannot fail after the frame was written.
 */
static bool
frame_room(struct quic_conn *c)
{
	return c->frame_free != SENT_NONE || quic_parray_get(&c->frames, c->frame_hw) != NULL;
}

/* Record a frame of packet p (frame_room() was checked). */
static void
track(struct quic_conn *c, const struct tx_pkt *p, uint64_t type, uint64_t a, uint64_t b,
      uint64_t v, bool fin)
{
	uint32_t f = c->frame_free;
	struct sent_frame *r;

	if (f != SENT_NONE) {
		r = SENT_FRAME(c, f);
		c->frame_free = r->next;
	} else {
		f = c->frame_hw++;
		r = SENT_FRAME(c, f); /* its block was taken by frame_room() */
	}
	c->frames_used++;
	*r = (struct sent_frame){.type = type,
				 .a = a,
				 .b = b,
				 .c = v,
				 .level = (uint8_t)p->level,
				 .fin = fin,
				 .next = SENT_PKT(c, p->slot)->head};
	SENT_PKT(c, p->slot)->head = f;
}

/* ---- CRYPTO send streams ---- */

/*
 * Room for need bytes in ct. A handshake level's first buffer is a chunk of the worker's pool
 * when its flight fits one (a server's Handshake flight with an ECDSA or RSA-2048 certificate
 * does): the heap's allocation and free of a 1-2 KiB block was over 1 % of a server
 * handshake, and the chunk comes back to the pool as soon as the flight is acknowledged.
 * 1-RTT (a NewSessionTicket) keeps a heap buffer of its size: an idle connection may hold it.
 */
static int
crypto_tx_room(struct quic_conn *c, enum conn_level level, struct conn_crypto_tx *ct, size_t held,
	       size_t need)
{
	/* From 256 bytes: a level that only ever carries a NewSessionTicket (1-RTT) needs a
	 * buffer its size until it is acknowledged, not 4 KiB. */
	size_t cap = ct->cap == 0 ? 256 : ct->cap;
	uint8_t *nb;

	if (ct->buf == NULL && level != LVL_APP && need <= QUIC_CHUNK_SIZE &&
	    c->chunk_pool != NULL && (ct->buf = quic_pool_get(c->chunk_pool)) != NULL) {
		ct->cap = QUIC_CHUNK_SIZE;
		ct->pooled = true;
		return 0;
	}
	while (cap < need)
		cap *= 2;
	nb = ct->pooled ? malloc(cap) : realloc(ct->buf, cap);
	if (nb == NULL)
		return QUIC_ERR_NOMEM;
	if (ct->pooled) {
		memcpy(nb, ct->buf, held);
		quic_pool_put(c->chunk_pool, ct->buf);
		ct->pooled = false;
	}
	ct->buf = nb;
	ct->cap = cap;
	return 0;
}

/* Give ct's buffer back, to the pool it came from or to the heap. */
static void
crypto_tx_buf_free(struct quic_conn *c, struct conn_crypto_tx *ct)
{
	if (ct->pooled)
		quic_pool_put(c->chunk_pool, ct->buf);
	else
		free(ct->buf);
	ct->buf = NULL;
	ct->cap = 0;
	ct->pooled = false;
}

int
quic_conn_crypto_tx_append(struct quic_conn *c, enum conn_level level, const uint8_t *data,
			   size_t len)
{
	struct conn_crypto_tx *ct = quic_conn_crypto_tx(c, level);
	size_t held = (size_t)(ct->len - ct->done);
	int rc;

	if (len > CONN_CRYPTO_TX_MAX - ct->len)
		return QUIC_ERR_CRYPTO_BUFFER;
	if (held + len > ct->cap && (rc = crypto_tx_room(c, level, ct, held, held + len)) != 0)
		return rc;
	memcpy(ct->buf + held, data, len);
	ct->len += len;
	return 0;
}

void
quic_conn_crypto_tx_fini(struct quic_conn *c, enum conn_level level)
{
	struct conn_crypto_tx *ct = quic_conn_crypto_tx(c, level);

	quic_rangeset_fini(&ct->lost, c->chunk_pool);
	quic_rangeset_fini(&ct->acked, c->chunk_pool);
	crypto_tx_buf_free(c, ct);
	ct->len = 0;
	ct->next = ct->done = 0;
}

/*
 * Every byte handed over so far is sent and acknowledged: nothing of this level can be asked
 * again (RFC 9000 §13.3 retransmits only lost data), so the buffer and the range sets go, and
 * offsets below done are forgotten. A later append (another NewSessionTicket) starts a new
 * buffer at done.
 */
static void
crypto_tx_release_acked(struct quic_conn *c, struct conn_crypto_tx *ct)
{
	if (ct->next != ct->len || ct->acked.n != 1 || ct->acked.r[0].start > ct->done ||
	    ct->acked.r[0].end < ct->len || !quic_rangeset_empty(&ct->lost))
		return;
	quic_rangeset_fini(&ct->lost, c->chunk_pool);
	quic_rangeset_fini(&ct->acked, c->chunk_pool);
	crypto_tx_buf_free(c, ct);
	ct->done = ct->len;
}

/* ---- ack and loss of what a packet carried ---- */

static struct quic_frame
ctrl_frame(const struct sent_frame *r)
{
	struct quic_frame f = {.type = r->type};

	switch (r->type) {
	case QUIC_FRAME_RESET_STREAM:
		f.reset_stream = (struct quic_frame_reset_stream){r->a, r->b, r->c};
		break;
	case QUIC_FRAME_STOP_SENDING:
		f.stop_sending = (struct quic_frame_stop_sending){r->a, r->b};
		break;
	case QUIC_FRAME_MAX_STREAM_DATA:
		f.max_stream_data = (struct quic_frame_max_stream_data){r->a, r->b};
		break;
	case QUIC_FRAME_STREAM_DATA_BLOCKED:
		f.stream_data_blocked = (struct quic_frame_stream_data_blocked){r->a, r->b};
		break;
	default: /* MAX_DATA, DATA_BLOCKED, MAX_STREAMS, STREAMS_BLOCKED: one value */
		f.max_data.max = r->a;
		break;
	}
	return f;
}

/* The fields of a stream control frame in a record. */
static void
ctrl_fields(const struct quic_frame *f, uint64_t *a, uint64_t *b, uint64_t *v)
{
	*b = *v = 0;
	switch (f->type) {
	case QUIC_FRAME_RESET_STREAM:
		*a = f->reset_stream.stream_id;
		*b = f->reset_stream.error_code;
		*v = f->reset_stream.final_size;
		break;
	case QUIC_FRAME_STOP_SENDING:
		*a = f->stop_sending.stream_id;
		*b = f->stop_sending.error_code;
		break;
	case QUIC_FRAME_MAX_STREAM_DATA:
		*a = f->max_stream_data.stream_id;
		*b = f->max_stream_data.max;
		break;
	case QUIC_FRAME_STREAM_DATA_BLOCKED:
		*a = f->stream_data_blocked.stream_id;
		*b = f->stream_data_blocked.limit;
		break;
	default:
		*a = f->max_data.max;
		break;
	}
}

static void
crypto_fate(struct quic_conn *c, const struct sent_frame *r, bool acked)
{
	struct conn_crypto_tx *ct;
	uint64_t start, end;

	if (c->discarded[r->level])
		return; /* gone (and its CRYPTO stream with it: struct conn_hs) */
	ct = quic_conn_crypto_tx(c, (enum conn_level)r->level);
	end = r->a + r->b < ct->next ? r->a + r->b : ct->next;
	/* Bytes below done were all acknowledged already: nothing to do for them. */
	start = r->a > ct->done ? r->a : ct->done;
	if (start >= end)
		return; /* acknowledged, or sent before a restart (Version Negotiation) */
	if (acked) {
		quic_rangeset_remove(&ct->lost, c->chunk_pool, start, end);
		quic_rangeset_add(&ct->acked, c->chunk_pool, start, end, false);
		crypto_tx_release_acked(c, ct);
	} else {
		quic_rangeset_add(&ct->lost, c->chunk_pool, start, end, true);
	}
}

static void
frame_acked(struct quic_conn *c, const struct sent_pkt *p, const struct sent_frame *r)
{
	struct quic_frame f;
	int rc = 0;

	switch (r->type) {
	case QUIC_FRAME_ACK:
		quic_ackgen_on_ack_of_ack(&c->ack, (enum quic_pn_space)p->space, r->a);
		break;
	case QUIC_FRAME_CRYPTO:
		crypto_fate(c, r, true);
		break;
	case QUIC_FRAME_STREAM:
		rc = quic_streams_on_stream_acked(&c->streams, r->a, r->b, (size_t)r->c, r->fin);
		break;
	case QUIC_FRAME_NEW_CONNECTION_ID:
		quic_local_cids_on_acked(&c->lcids, r->a);
		break;
	case QUIC_FRAME_RETIRE_CONNECTION_ID:
		quic_peer_cids_retire_acked(&c->pcids, r->a);
		break;
	case QUIC_FRAME_HANDSHAKE_DONE:
	case QUIC_FRAME_NEW_TOKEN:
	case QUIC_FRAME_PING:
	case QUIC_FRAME_PATH_CHALLENGE:
	case QUIC_FRAME_PATH_RESPONSE:
		break;
	default:
		f = ctrl_frame(r);
		quic_streams_on_ctrl_acked(&c->streams, &f);
		break;
	}
	if (rc != 0)
		quic_conn_close_err(c, rc, 0);
}

static void
frame_lost(struct quic_conn *c, const struct sent_frame *r)
{
	struct quic_frame f;
	int rc = 0;

	switch (r->type) {
	case QUIC_FRAME_CRYPTO:
		crypto_fate(c, r, false);
		break;
	case QUIC_FRAME_STREAM:
		rc = quic_streams_on_stream_lost(&c->streams, r->a, r->b, (size_t)r->c, r->fin);
		break;
	case QUIC_FRAME_NEW_CONNECTION_ID:
		quic_local_cids_on_lost(&c->lcids, r->a);
		break;
	case QUIC_FRAME_RETIRE_CONNECTION_ID:
		quic_peer_cids_retire_lost(&c->pcids, r->a);
		break;
	case QUIC_FRAME_HANDSHAKE_DONE:
		c->hs_done_pending = true; /* RFC 9000 §13.3 */
		break;
	case QUIC_FRAME_NEW_TOKEN:
		c->new_token_pending = true;
		break;
	case QUIC_FRAME_PATH_CHALLENGE:
		c->pv_challenge_pending = c->pv_active;
		break;
	case QUIC_FRAME_ACK:
	case QUIC_FRAME_PING:
	case QUIC_FRAME_PATH_RESPONSE:
		break;
	default:
		f = ctrl_frame(r);
		quic_streams_on_ctrl_lost(&c->streams, &f);
		break;
	}
	if (rc != 0)
		quic_conn_close_err(c, rc, 0);
}

void
quic_conn_zrtt_requeue(struct quic_conn *c)
{
	uint32_t s, f;

	for (s = 0; s < c->pkt_hw; s++) {
		struct sent_pkt *p = SENT_PKT(c, s);

		if (!p->used || !p->zero_rtt)
			continue;
		for (f = p->head; f != SENT_NONE; f = SENT_FRAME(c, f)->next)
			frame_lost(c, SENT_FRAME(c, f));
		/* Its later fate (lost, most likely) has nothing to act on any more. */
		slot_frames_release(c, s);
		p->zero_rtt = 0;
	}
}

void
quic_conn_on_pkt_fate(void *ctx, enum quic_pn_space space, uint64_t pn, uint64_t cookie,
		      enum quic_pkt_fate fate)
{
	struct quic_conn *c = ctx;
	struct sent_pkt *p;
	uint32_t f;

	if (cookie >= c->pkt_hw || !SENT_PKT(c, cookie)->used)
		return;
	p = SENT_PKT(c, cookie);
	if (fate == QUIC_PKT_LOST)
		c->stats.pkts_lost++;
	if (fate == QUIC_PKT_LOST && c->qlog.ctx != NULL)
		quic_conn_qlog_packet(c, QUIC_QLOG_PACKET_LOST, pkt_type((enum conn_level)space),
				      pn, 0, NULL, 0);
	if (fate == QUIC_PKT_ACKED && space == QUIC_PN_SPACE_APP)
		quic_conn_keys_app_acked(c, p->key_gen);
	for (f = p->head; f != SENT_NONE && fate != QUIC_PKT_DISCARDED;
	     f = SENT_FRAME(c, f)->next) {
		if (fate == QUIC_PKT_ACKED)
			frame_acked(c, p, SENT_FRAME(c, f));
		else
			frame_lost(c, SENT_FRAME(c, f));
	}
	slot_release(c, (uint32_t)cookie);
}

/* ---- phases ---- */

/* Encode a frame built here (not STREAM, CRYPTO or ACK) and record it. */
static bool
emit(struct quic_conn *c, struct tx_pkt *p, const struct quic_frame *f, uint64_t a, uint64_t b,
     uint64_t v)
{
	if (!frame_room(c) || quic_frame_encode(&p->w, f) != 0)
		return false;
	track(c, p, f->type, a, b, v, false);
	p->ack_eliciting |= quic_frame_is_ack_eliciting(f->type);
	return true;
}

static void
phase_ack(struct quic_conn *c, struct tx_pkt *p, uint64_t now)
{
	enum quic_pn_space sp = (enum quic_pn_space)p->level;
	uint64_t largest;

	if (!quic_ackgen_has_new(&c->ack, sp) || !frame_room(c))
		return;
	if (quic_ackgen_write(&c->ack, sp, &p->w, now, &largest) == 0)
		track(c, p, QUIC_FRAME_ACK, largest, 0, 0, false);
}

static void
phase_crypto(struct quic_conn *c, struct tx_pkt *p)
{
	struct conn_crypto_tx *ct = quic_conn_crypto_tx(c, (enum conn_level)p->level);
	size_t n;

	while (!quic_rangeset_empty(&ct->lost) && frame_room(c)) {
		uint64_t off = ct->lost.r[0].start;

		if (quic_frame_encode_crypto_fit(&p->w, off, ct->buf + (off - ct->done),
						 (size_t)(ct->lost.r[0].end - off), &n) != 0)
			return;
		track(c, p, QUIC_FRAME_CRYPTO, off, n, 0, false);
		quic_rangeset_remove(&ct->lost, c->chunk_pool, off, off + n);
		p->ack_eliciting = true;
	}
	while (ct->next < ct->len && frame_room(c)) {
		if (quic_frame_encode_crypto_fit(&p->w, ct->next, ct->buf + (ct->next - ct->done),
						 (size_t)(ct->len - ct->next), &n) != 0)
			return;
		track(c, p, QUIC_FRAME_CRYPTO, ct->next, n, 0, false);
		ct->next += n;
		p->ack_eliciting = true;
	}
}

/* The PATH_RESPONSE frames owed on path (RFC 9000 §8.2.2); never sent again (§13.3). */
static void
phase_path_resp(struct quic_conn *c, struct tx_pkt *p, const struct quic_path *path)
{
	struct quic_frame f = {.type = QUIC_FRAME_PATH_RESPONSE};
	unsigned i = 0;

	while (c->path_resp != NULL && i < c->path_resp->n) {
		const struct conn_path_resp *r = &c->path_resp->q[i];

		if (!quic_path_equal(&r->path, path)) {
			i++;
			continue;
		}
		memcpy(f.path.data, r->data, sizeof(f.path.data));
		if (quic_frame_encode(&p->w, &f) != 0)
			break;
		p->path_frame = true;
		p->ack_eliciting = true;
		quic_conn_path_resp_drop(c, i);
	}
}

/* Whether a PATH_RESPONSE is owed on path (want true) or on another path (want false). */
static const struct conn_path_resp *
path_resp_owed(const struct quic_conn *c, const struct quic_path *path, bool want)
{
	unsigned i;

	for (i = 0; c->path_resp != NULL && i < c->path_resp->n; i++)
		if (quic_path_equal(&c->path_resp->q[i].path, path) == want)
			return &c->path_resp->q[i];
	return NULL;
}

/* HANDSHAKE_DONE, PATH_RESPONSE, NEW_TOKEN: one-off frames of the connection. */
static void
phase_conn_frames(struct quic_conn *c, struct tx_pkt *p)
{
	struct quic_frame f; /* zeroed only when a frame is owed: this runs for every packet */
	uint8_t tok[QUIC_TOKEN_MAX_LEN];
	int n;

	if (c->hs_done_pending) {
		f = (struct quic_frame){.type = QUIC_FRAME_HANDSHAKE_DONE};
		if (emit(c, p, &f, 0, 0, 0))
			c->hs_done_pending = false;
	}
	phase_path_resp(c, p, &c->path);
	if (c->pv_challenge_pending) {
		f = (struct quic_frame){.type = QUIC_FRAME_PATH_CHALLENGE};
		memcpy(f.path.data, c->pv_data, sizeof(f.path.data));
		if (emit(c, p, &f, 0, 0, 0)) {
			c->pv_challenge_pending = false;
			p->path_frame = true;
		}
	}
	if (c->new_token_pending && c->cfg->tokens != NULL && c->cfg->tokens->issue != NULL) {
		n = c->cfg->tokens->issue(c->cfg->tokens->arg, QUIC_TOKEN_NEW_TOKEN,
					  &c->path.remote, NULL, 0, c->now, tok, sizeof(tok));
		f = (struct quic_frame){.type = QUIC_FRAME_NEW_TOKEN};
		f.new_token.token = tok;
		f.new_token.len = n > 0 ? (size_t)n : 0;
		if (n <= 0 || emit(c, p, &f, 0, 0, 0))
			c->new_token_pending = false;
	}
}

/* The stream and flow control frames (RESET_STREAM ... STREAMS_BLOCKED). */
static void
phase_stream_ctrl(struct quic_conn *c, struct tx_pkt *p, uint64_t now)
{
	const struct quic_rtt *rtt = quic_recovery_rtt(c->rec);
	struct quic_frame f;
	uint64_t a, b, v;

	while (quic_streams_ctrl_peek(&c->streams, now, rtt->smoothed, &f)) {
		ctrl_fields(&f, &a, &b, &v);
		if (!emit(c, p, &f, a, b, v))
			break;
		quic_streams_ctrl_sent(&c->streams, &f);
	}
}

/* NEW_CONNECTION_ID, RETIRE_CONNECTION_ID and the stream control frames. */
static void
phase_control(struct quic_conn *c, struct tx_pkt *p, uint64_t now)
{
	struct quic_frame f;
	uint64_t a;

	phase_conn_frames(c, p);
	while (quic_local_cids_next_frame(&c->lcids, &f)) {
		a = f.new_connection_id.seq;
		if (!emit(c, p, &f, a, 0, 0))
			break;
		quic_local_cids_on_sent(&c->lcids, a);
	}
	while (quic_peer_cids_next_retire(&c->pcids, &f)) {
		a = f.retire_connection_id.seq;
		if (!emit(c, p, &f, a, 0, 0))
			break;
		quic_peer_cids_retire_sent(&c->pcids, a);
	}
	phase_stream_ctrl(c, p, now);
}

/*
 * One STREAM frame of piece: its data left in the send buffer when the packet has no such
 * frame yet (p->src), copied otherwise, and always when qlog reads the payload before the
 * seal. The send buffer keeps the bytes until they are acknowledged (RFC 9000 §13.3), so
 * they are still there when the batch is sealed. @return 0 or the encoder's error
 */
static int
stream_frame(const struct quic_conn *c, struct tx_pkt *p, const struct quic_stream *s,
	     const struct quic_stream_send *piece, size_t *written)
{
	size_t at;
	int rc;

	if (p->src.len[0] + p->src.len[1] > 0 || c->qlog.ctx != NULL)
		return quic_frame_encode_stream_fit2(&p->w, s->id, piece->offset, piece->data,
						     piece->len1, piece->data2, piece->len,
						     piece->fin, false, written);
	rc = quic_frame_encode_stream_head(&p->w, s->id, piece->offset, piece->len, piece->fin,
					   false, &at, written);
	if (rc != 0)
		return rc;
	p->src.at = at;
	p->src.src[0] = piece->data;
	p->src.len[0] = *written < piece->len1 ? *written : piece->len1;
	p->src.src[1] = piece->data2;
	p->src.len[1] = *written - p->src.len[0];
	return 0;
}

static void
phase_streams(struct quic_conn *c, struct tx_pkt *p)
{
	struct quic_streams *ss = &c->streams;
	struct quic_stream_send piece;
	struct quic_stream *s;
	size_t written;
	bool fin;

	while (frame_room(c) && crypto_wr_left(&p->w) > 8 &&
	       (s = quic_streams_next_send(ss)) != NULL) {
		/* Across a send-buffer chunk boundary too: one frame fills the packet. */
		if (!quic_stream_send_peek_span(ss, s, crypto_wr_left(&p->w), &piece))
			break;
		if (stream_frame(c, p, s, &piece, &written) != 0)
			break;
		fin = piece.fin && written == piece.len;
		quic_stream_send_commit(ss, s, &piece, written, fin);
		track(c, p, QUIC_FRAME_STREAM, s->id, piece.offset, written, fin);
		p->ack_eliciting = true;
	}
}

/* ---- what is owed ---- */

static bool
app_has_data(struct quic_conn *c)
{
	const struct quic_streams *ss = &c->streams;
	struct quic_frame f;

	if (c->hs_done_pending || path_resp_owed(c, &c->path, true) != NULL ||
	    c->new_token_pending || c->pv_challenge_pending)
		return true;
	if (quic_local_cids_next_frame(&c->lcids, &f) || quic_peer_cids_retire_pending(&c->pcids))
		return true;
	return quic_streams_send_pending(ss);
}

/* Whether anything ack-eliciting waits at level. */
static bool
has_data(struct quic_conn *c, enum conn_level level)
{
	const struct conn_crypto_tx *ct;

	if (c->discarded[level])
		return false;
	ct = quic_conn_crypto_tx(c, level);
	if (!quic_rangeset_empty(&ct->lost) || ct->next < ct->len)
		return true;
	return level == LVL_APP && app_has_data(c);
}

/* ---- packets ---- */

static bool
pkt_begin(struct quic_conn *c, struct tx_dgram *d, struct tx_pkt *p, enum conn_level level)
{
	enum quic_pn_space sp = (enum quic_pn_space)level;
	const struct quic_cid *dcid = quic_peer_cids_dcid(&c->pcids);
	uint64_t pn = quic_recovery_next_pn(c->rec, sp);
	int pn_len = quic_pn_encode_len(pn, quic_recovery_largest_acked(c->rec, sp));
	bool token = level == LVL_INITIAL && !c->is_server;
	enum quic_pkt_type type = pkt_type(level);
	struct quic_packet_out o;

	if (pn_len < 0)
		return false;
	if (d->inject)
		pn_len = 4; /* no padding needed for the header protection sample */
	if (level == LVL_APP && quic_conn_zrtt_sending(c))
		type = QUIC_PKT_0RTT; /* RFC 9000 §17.2.3: before 1-RTT keys */
	/* Every field set, none zeroed twice: this and the packet below are written for every
	 * packet sent (a zeroing initialiser cost a rep stos each). */
	o = (struct quic_packet_out){.type = type,
				     .version = c->version,
				     .dcid = dcid->data,
				     .dcid_len = dcid->len,
				     .scid = c->hs_scid.data,
				     .scid_len = c->hs_scid.len,
				     .token = token ? c->token : NULL,
				     .token_len = token ? c->token_len : 0,
				     .pn = pn,
				     .pn_len = (size_t)pn_len,
				     .len_size = 2,
				     .spin = false,
				     .key_phase = (c->app.tx_gen & 1) != 0};
	p->level = level;
	p->zero_rtt = type == QUIC_PKT_0RTT;
	p->start = d->start + d->used;
	p->cap = d->room - d->used;
	p->lay = (struct quic_packet_layout){0};
	p->slot = 0;
	p->ack_eliciting = p->padded = p->path_frame = false;
	p->src = (struct crypto_aead_src){0};
	if (quic_packet_write_header(p->start, p->cap - CRYPTO_TAG_LEN, &o, &p->lay) != 0)
		return false;
	crypto_wr_init(&p->w, p->start + p->lay.hdr_len,
			 p->cap - p->lay.hdr_len - CRYPTO_TAG_LEN);
	return true;
}

static void
put_padding(struct tx_pkt *p, size_t n)
{
	n = n < crypto_wr_left(&p->w) ? n : crypto_wr_left(&p->w);
	memset(p->w.p, 0, n);
	p->w.p += n;
	if (n > 0)
		p->padded = true;
}

static size_t
pkt_size(const struct tx_pkt *p)
{
	return p->lay.hdr_len + crypto_wr_len(&p->w) + CRYPTO_TAG_LEN;
}

/* The frames of a CONNECTION_CLOSE packet (RFC 9000 §10.2.3 for app errors before 1-RTT). */
static void
phase_close(struct quic_conn *c, struct tx_pkt *p)
{
	struct quic_frame f = {.type = QUIC_FRAME_CONNECTION_CLOSE};

	if (c->close.app && p->level != LVL_APP) {
		f.connection_close.error_code = QUIC_APPLICATION_ERROR;
	} else {
		f.type = c->close.app ? QUIC_FRAME_CONNECTION_CLOSE_APP
				      : QUIC_FRAME_CONNECTION_CLOSE;
		f.connection_close.error_code = c->close.error;
		f.connection_close.frame_type = c->close.app ? 0 : c->close.frame_type;
		f.connection_close.reason = c->close.reason;
		f.connection_close.reason_len = c->close.reason_len;
	}
	if (quic_frame_encode(&p->w, &f) != 0) {
		f.connection_close.reason_len = 0;
		quic_frame_encode(&p->w, &f);
	}
}

/*
 * Whether the space's sent-packet ring has room for more ack-eliciting packets: a quarter is
 * kept for ACK-only packets, which must never be blocked (the peer's progress depends on them).
 */
static bool
ring_room(const struct quic_conn *c, enum conn_level level)
{
	return quic_recovery_outstanding(c->rec, (enum quic_pn_space)level) <
	       c->sent_cap[level] / 4 * 3;
}

/* Congestion window this level may use now (0-RTT leaves TX_ZRTT_CC_RESERVE). */
static uint64_t
cc_room(const struct quic_conn *c, const struct tx_dgram *d, enum conn_level level)
{
	if (level != LVL_APP || !quic_conn_zrtt_sending(c))
		return d->cc_left;
	return d->cc_left > TX_ZRTT_CC_RESERVE ? d->cc_left - TX_ZRTT_CC_RESERVE : 0;
}

/* What goes into a packet at this level, before any byte is written. */
static bool
pkt_plan(struct quic_conn *c, struct tx_dgram *d, enum conn_level level, bool *data, bool *ack,
	 uint64_t now)
{
	enum quic_pn_space sp = (enum quic_pn_space)level;
	bool probe = c->probes[level] > 0;
	bool ok = probe || (cc_room(c, d, level) > 0 && !d->paced && ring_room(c, level));

	/* A server's ack-eliciting Initial needs a full 1200-byte datagram (RFC 9000 §14.1). */
	if (c->is_server && level == LVL_INITIAL && d->room < TX_INITIAL_MIN)
		ok = false;
	*data = has_data(c, level);
	if (*data && !ok) {
		*data = false;
		d->limited = true;
		if (d->paced && !probe && d->pace_at < c->pacing_at)
			c->pacing_at = d->pace_at; /* wake up when the pacer allows */
	}
	*ack = quic_ackgen_ack_due(&c->ack, sp, now) ||
	       ((*data || probe) && quic_ackgen_has_new(&c->ack, sp));
	if (level == LVL_APP && quic_conn_zrtt_sending(c))
		*ack = false; /* 0-RTT carries no ACK (RFC 9000 §12.4); 1-RTT ones will */
	return (*data || *ack || (probe && ok)) && quic_recovery_can_send(c->rec, sp);
}

/* The frames of one packet; false when it ended up empty. */
static bool
pkt_fill(struct quic_conn *c, struct tx_dgram *d, struct tx_pkt *p, bool data, bool ack,
	 uint64_t now)
{
	bool probe = c->probes[p->level] > 0;
	uint8_t *end = p->w.end;

	if (d->close) {
		phase_close(c, p);
		return true;
	}
	if (d->inject) {
		crypto_put_bytes(&p->w, c->inject, c->inject_len);
		p->ack_eliciting = true;
		return true;
	}
	if (d->resp != NULL) {
		phase_path_resp(c, p, d->resp);
		return crypto_wr_len(&p->w) > 0;
	}
	if (ack && !p->zero_rtt)
		phase_ack(c, p, now);
	if (data) {
		if (!probe && cc_room(c, d, p->level) < (uint64_t)(p->w.end - p->w.p))
			p->w.end = p->w.p + cc_room(c, d, p->level);
		if (p->zero_rtt) {
			/* RFC 9000 §12.4 Table 3, §12.5: stream frames only (no ACK, CRYPTO,
			 * NEW_TOKEN, PATH_RESPONSE, RETIRE_CONNECTION_ID, HANDSHAKE_DONE). */
			phase_stream_ctrl(c, p, now);
			phase_streams(c, p);
		} else {
			phase_crypto(c, p);
			if (p->level == LVL_APP) {
				phase_control(c, p, now);
				phase_streams(c, p);
			}
		}
		p->w.end = end;
	}
	if ((probe || c->ack_only_run[p->level] >= TX_ACK_ONLY_RUN) && !p->ack_eliciting &&
	    crypto_put_u8(&p->w, QUIC_FRAME_PING))
		p->ack_eliciting = true;
	if (!d->close)
		c->ack_only_run[p->level] = p->ack_eliciting ? 0 : c->ack_only_run[p->level] + 1;
	if (probe && p->ack_eliciting)
		c->probes[p->level]--;
	return crypto_wr_len(&p->w) > 0;
}

static void
pkt_build(struct quic_conn *c, struct tx_dgram *d, struct tx_batch *b, enum conn_level level,
	  uint64_t now)
{
	struct tx_pkt *p = &d->pkts[d->n];
	bool data = false, ack = false;

	if (!d->close && !d->inject && d->resp == NULL && !pkt_plan(c, d, level, &data, &ack, now))
		return;
	if (!pkt_begin(c, d, p, level))
		return;
	p->slot = d->close ? SENT_NONE : slot_alloc(c, p);
	if (!d->close && p->slot == SENT_NONE)
		return;
	if (!pkt_fill(c, d, p, data, ack, now)) {
		slot_release(c, p->slot);
		return;
	}
	put_padding(p, quic_packet_min_payload(p->lay.pn_len) > crypto_wr_len(&p->w)
			       ? quic_packet_min_payload(p->lay.pn_len) - crypto_wr_len(&p->w)
			       : 0);
	if ((level == LVL_INITIAL && (!c->is_server || p->ack_eliciting)) || p->path_frame)
		d->pad = true;
	if (level == LVL_HANDSHAKE && !c->is_server)
		b->discard_initial = true;
	if (p->ack_eliciting || p->padded)
		d->cc_left = d->cc_left > pkt_size(p) ? d->cc_left - pkt_size(p) : 0;
	d->used += pkt_size(p);
	d->n++;
}

/* ---- datagrams ---- */

static struct crypto_aead *
tx_aead(const struct quic_conn *c, const struct tx_pkt *p)
{
	if (p->zero_rtt)
		return c->tx[LVL_APP].aead; /* client: 0-RTT keys */
	return p->level == LVL_APP ? c->app.tx_cur : c->tx[p->level].aead;
}

static struct crypto_hp *
tx_hp(const struct quic_conn *c, const struct tx_pkt *p)
{
	if (p->zero_rtt)
		return c->tx[LVL_APP].hp;
	return p->level == LVL_APP ? c->app.tx_hp : c->tx[p->level].hp;
}

/* Whether packets of level can be sealed now (0-RTT keys count for the Application space). */
static bool
tx_ready(const struct quic_conn *c, enum conn_level level)
{
	return quic_conn_keys_tx_ready(c, level) || (level == LVL_APP && quic_conn_zrtt_sending(c));
}

/* Whether the packet a test injected can go now. */
static bool
inject_ready(const struct quic_conn *c)
{
	if (c->inject_zrtt)
		return quic_conn_zrtt_sending(c);
	return quic_conn_keys_tx_ready(c, (enum conn_level)c->inject_level);
}

/* Seal preparation, recovery records and the batch entries of a finished datagram. */
static int
dgram_finish(struct quic_conn *c, struct tx_dgram *d, struct tx_batch *b, uint64_t now)
{
	unsigned i;
	int rc;

	for (i = 0; i < d->n; i++) {
		struct tx_pkt *p = &d->pkts[i];
		unsigned k = b->n++;

		rc = quic_packet_seal_prepare(p->start, p->cap, &p->lay, crypto_wr_len(&p->w),
					      tx_aead(c, p), &b->aops[k], &b->len[k]);
		if (rc != 0)
			return rc;
		b->src[k] = p->src;
		b->pkt[k] = p->start;
		b->pn_offset[k] = p->lay.pn_offset;
		b->pn_len[k] = p->lay.pn_len;
		b->hp[k] = tx_hp(c, p);
		c->stats.pkts_tx++;
		if (c->qlog.ctx != NULL)
			quic_conn_qlog_packet(c, QUIC_QLOG_PACKET_SENT,
					      p->zero_rtt ? QUIC_PKT_0RTT : pkt_type(p->level),
					      p->lay.pn, b->len[k], p->start + p->lay.hdr_len,
					      crypto_wr_len(&p->w));
		if (p->zero_rtt)
			c->stats.pkts_0rtt_tx++;
		if (d->close)
			continue;
		rc = quic_recovery_on_packet_sent(c->rec, (enum quic_pn_space)p->level, p->lay.pn,
						  b->len[k], p->ack_eliciting,
						  p->ack_eliciting || p->padded, now, p->slot);
		if (rc != 0)
			return rc;
		if (p->ack_eliciting && c->idle_restart_on_send) {
			/* RFC 9000 §10.1: the first ack-eliciting packet after a receive. */
			quic_conn_idle_restart(c, now);
			c->idle_restart_on_send = false;
		}
	}
	return 0;
}

static size_t
dgram_build(struct quic_conn *c, uint8_t *buf, size_t room, struct tx_batch *b, bool close,
	    uint64_t now)
{
	struct tx_dgram d = {.start = buf, .room = room, .close = close};
	int lv, rc;

	d.cc_left = quic_recovery_cwnd_available(c->rec);
	d.pace_at = quic_recovery_pacing_time(c->rec, room, false, now);
	d.paced = d.pace_at > now;
	d.inject = c->inject_pending && !close && inject_ready(c);
	for (lv = LVL_INITIAL; lv <= LVL_APP; lv++) {
		if (!tx_ready(c, (enum conn_level)lv) || room - d.used < TX_MIN_PKT ||
		    (d.inject && lv != c->inject_level))
			continue;
		if (lv == LVL_APP && quic_conn_keys_tx_limit(c, b->n) != 0)
			continue; /* the key's last packets: RFC 9001 §6.6 */
		pkt_build(c, &d, b, (enum conn_level)lv, now);
	}
	if (d.inject && d.n > 0)
		c->inject_pending = false;
	if (d.limited)
		b->limited = true;
	if (d.n == 0)
		return 0;
	if (d.pad && d.used < TX_INITIAL_MIN)
		put_padding(&d.pkts[d.n - 1], TX_INITIAL_MIN - d.used);
	d.used = 0;
	for (lv = 0; lv < (int)d.n; lv++)
		d.used += pkt_size(&d.pkts[lv]);
	rc = dgram_finish(c, &d, b, now);
	if (rc != 0) {
		quic_conn_close_err(c, rc, 0);
		return 0;
	}
	return d.used;
}

/* Seal every packet of the batch in one burst, then mask their headers in one burst. */
static int
batch_seal(struct quic_conn *c, struct tx_batch *b)
{
	unsigned i;
	int rc;

	if (b->n == 0)
		return 0;
	if (crypto_aead_seal_burst_src(b->aops, b->src, b->n) != b->n)
		return QUIC_ERR_CRYPTO;
	for (i = 0; i < b->n; i++) {
		rc = quic_packet_hp_prepare(b->pkt[i], b->len[i], b->pn_offset[i], b->hp[i],
					    &b->hops[i]);
		if (rc != 0)
			return rc;
	}
	if (crypto_hp_mask_burst(b->hops, b->n) != 0)
		return QUIC_ERR_CRYPTO;
	for (i = 0; i < b->n; i++)
		quic_packet_hp_apply(b->pkt[i], b->pn_offset[i], b->pn_len[i], b->hops[i].mask);
	(void)c;
	return 0;
}

/* Room for the next datagram: the caller's, the peer's limit and the amplification budget. */
static size_t
dgram_room(struct quic_conn *c, size_t left, size_t mds)
{
	size_t room = left < mds ? left : mds;

	if (c->peer_max_udp < room)
		room = (size_t)c->peer_max_udp;
	if (c->is_server && !c->validated) {
		uint64_t budget = 3 * c->stats.unvalidated_rx; /* RFC 9000 §8.1 */

		budget = budget > c->stats.unvalidated_tx ? budget - c->stats.unvalidated_tx : 0;
		if (budget < room)
			room = (size_t)budget;
	}
	if (c->pv_active) {
		uint64_t budget = 3 * c->pv_rx; /* RFC 9000 §9.3.1: the same on a new path */

		budget = budget > c->pv_tx ? budget - c->pv_tx : 0;
		if (budget < room)
			room = (size_t)budget;
	}
	return room;
}

static void
account(struct quic_conn *c, size_t len)
{
	c->stats.dgrams_tx++;
	c->stats.bytes_tx += len;
	if (c->pv_active)
		c->pv_tx += len;
	if (c->is_server && !c->validated) {
		c->stats.unvalidated_tx += len;
		if (c->stats.unvalidated_rx > 0) {
			uint64_t r = c->stats.unvalidated_tx * 100 / c->stats.unvalidated_rx;

			if (r > c->stats.max_amp_ratio_x100)
				c->stats.max_amp_ratio_x100 = r;
		}
	}
}

/* Up to CONN_TX_BATCH more datagrams into o, sealed together. @return datagrams written */
static size_t
tx_batch(struct quic_conn *c, struct tx_out *o, bool close, bool *limited, uint64_t now)
{
	struct tx_batch b;
	size_t k = 0, len, room, left;
	uint8_t *at;

	b.n = 0;
	b.discard_initial = false;
	b.limited = false;
	while (k < CONN_TX_BATCH && o->n < o->max && !(close && k > 0)) {
		at = out_next(o, &left);
		room = dgram_room(c, left, o->mds);
		if (room < TX_MIN_PKT)
			break;
		len = dgram_build(c, at, room, &b, close, now);
		if (len == 0)
			break;
		out_put(o, len);
		k++;
		account(c, len);
	}
	if (batch_seal(c, &b) != 0) {
		quic_conn_close_err(c, QUIC_ERR_CRYPTO, 0);
		o->n -= k; /* nothing of this batch may leave unsealed */
		k = 0;
	}
	if (b.discard_initial)
		quic_conn_discard_level(c, LVL_INITIAL);
	*limited = b.limited;
	return k;
}

void
quic_conn_amp_update(struct quic_conn *c, uint64_t now)
{
	bool blocked = false;

	if (c->is_server && !c->validated)
		blocked = 3 * c->stats.unvalidated_rx < c->stats.unvalidated_tx + TX_INITIAL_MIN;
	if (blocked == c->amp_blocked)
		return;
	c->amp_blocked = blocked;
	if (blocked)
		c->stats.amp_blocked++;
	quic_recovery_set_amplification_blocked(c->rec, blocked, now);
}

/*
 * RFC 9000 §8.2.2: PATH_RESPONSE frames owed on a path other than the current one leave in a
 * datagram of their own on that path, before anything else, expanded to 1200 bytes as far as
 * that path's amplification budget allows (§8.2.1, §8.1). Congestion control applies (RFC
 * 9002 §7): while the window is full they wait, and the queue stays bounded (C28).
 * @return datagrams written (0 or 1)
 */
static size_t
tx_path_resp(struct quic_conn *c, struct tx_out *o, struct quic_path *path, uint64_t now)
{
	const struct conn_path_resp *r = path_resp_owed(c, &c->path, false);
	struct tx_dgram d;
	struct quic_path to;
	struct tx_batch b;
	size_t buf_len, mds = o->mds;

	if (r == NULL || !quic_conn_keys_tx_ready(c, LVL_APP) ||
	    quic_recovery_cwnd_available(c->rec) == 0 ||
	    !quic_recovery_can_send(c->rec, QUIC_PN_SPACE_APP) || !ring_room(c, LVL_APP))
		return 0;
	to = r->path;
	d = (struct tx_dgram){.start = out_next(o, &buf_len), .resp = &to};
	d.room = buf_len < mds ? buf_len : mds;
	if (c->peer_max_udp < d.room)
		d.room = (size_t)c->peer_max_udp;
	if (r->budget < d.room)
		d.room = (size_t)r->budget;
	if (d.room < TX_MIN_PKT)
		return 0;
	b.n = 0;
	pkt_build(c, &d, &b, LVL_APP, now);
	if (d.n == 0)
		return 0;
	put_padding(&d.pkts[0], TX_INITIAL_MIN > d.used ? TX_INITIAL_MIN - d.used : 0);
	d.used = pkt_size(&d.pkts[0]);
	if (dgram_finish(c, &d, &b, now) != 0 || batch_seal(c, &b) != 0) {
		quic_conn_close_err(c, QUIC_ERR_CRYPTO, 0);
		return 0;
	}
	out_put(o, d.used);
	*path = to;
	c->stats.dgrams_tx++;
	c->stats.bytes_tx += d.used;
	return 1;
}

/*
 * Before the packets of a write: a key update asked for or due (RFC 9001 §6.6), then the
 * PATH_RESPONSE datagrams for other paths. @return true when the call ends here
 */
static bool
write_prelude(struct quic_conn *c, struct tx_out *o, struct quic_path *path)
{
	(void)quic_conn_keys_tx_limit(c, 0); /* asks for an update as the limit nears */
	if (c->app.update_requested && quic_conn_keys_app_update(c) == 0)
		c->app.update_requested = false;
	if (quic_conn_keys_tx_limit(c, 0) != 0) {
		/* RFC 9001 §6.6: no update was possible in time: stop using the connection. */
		quic_conn_close_silent(c, QUIC_AEAD_LIMIT_REACHED);
		return true;
	}
	return o->max > 0 && tx_path_resp(c, o, path, c->now) > 0;
}

static int
write_out(struct quic_conn *c, struct tx_out *o, struct quic_path *path, uint64_t now_ns)
{
	bool limited = false, close;

	*path = c->path;
	c->now = now_ns;
	c->pacing_at = QUIC_TIMER_NONE;
	if (c->state == QUIC_CONN_CLOSED || c->state == QUIC_CONN_DRAINING)
		return 0;
	close = c->state == QUIC_CONN_CLOSING;
	if (close && !c->close.send_pending)
		return 0;
	if (!close && write_prelude(c, o, path)) {
		if (c->qlog.ctx != NULL)
			quic_conn_qlog_sync(c, false);
		return (int)o->n;
	}
	while (o->n < o->max)
		if (tx_batch(c, o, close, &limited, now_ns) < CONN_TX_BATCH || close)
			break;
	if (close && o->n > 0) {
		c->close.send_pending = false;
		c->close.rx_since = 0;
	}
	if (!quic_conn_closing(c)) {
		quic_conn_amp_update(c, now_ns);
		quic_recovery_set_app_limited(c->rec, !limited && o->n < o->max);
		quic_streams_collect(&c->streams);
	}
	if (c->qlog.ctx != NULL)
		quic_conn_qlog_sync(c, false);
	return (int)o->n;
}

int
quic_conn_write(struct quic_conn *c, uint8_t *buf, size_t buf_len, size_t max_datagram_size,
		size_t *out_lens, size_t max_datagrams, struct quic_path *path, uint64_t now_ns)
{
	struct tx_out o = {.buf = buf,
			   .buf_len = buf_len,
			   .mds = max_datagram_size,
			   .lens = out_lens,
			   .max = max_datagrams};

	if (c == NULL || buf == NULL || out_lens == NULL || path == NULL ||
	    max_datagram_size < TX_INITIAL_MIN)
		return QUIC_ERR_INVAL;
	return write_out(c, &o, path, now_ns);
}

int
quic_conn_write_burst(struct quic_conn *c, uint8_t *const *bufs, size_t max_datagram_size,
		      size_t *out_lens, size_t n_bufs, struct quic_path *path, uint64_t now_ns)
{
	struct tx_out o = {.bufs = bufs, .mds = max_datagram_size, .lens = out_lens, .max = n_bufs};

	if (c == NULL || bufs == NULL || out_lens == NULL || path == NULL ||
	    max_datagram_size < TX_INITIAL_MIN)
		return QUIC_ERR_INVAL;
	for (size_t i = 0; i < n_bufs; i++)
		if (bufs[i] == NULL)
			return QUIC_ERR_INVAL;
	return write_out(c, &o, path, now_ns);
}
