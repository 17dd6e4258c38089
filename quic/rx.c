/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Receive side of a connection: a datagram is split into its coalesced packets (RFC 9000
 * §12.2), header protection is removed and packets are opened in burst phases (RFC 9001
 * §5.3, §5.4) — in rounds, because an Initial packet may install the keys of the Handshake
 * packet behind it — and each packet's frames go to one handler per frame type, after the
 * per-packet-type permission check of RFC 9000 §12.4 Table 3.
 */
#include <stdlib.h>
#include <string.h>

#include "conn_int.h"

/* A packet of the datagram being processed. */
struct rx_pkt {
	struct quic_packet_hdr hdr;
	struct quic_packet_rx rx;
	uint8_t *pkt; /* writable view of hdr.pkt */
	enum conn_level level;
	struct crypto_aead *aead;
	struct crypto_aead *old; /* 1-RTT: the previous key, also tried (RFC 9001 §6.4) */
	uint64_t gen;		 /* 1-RTT key generation */
	int status;		 /* 0 while fine, else the QUIC_ERR_* that stopped it */
	bool todo;
	bool zero_rtt; /* a 0-RTT packet: Application space, 0-RTT keys */
};

/* What a frame handler sees besides the frame, and what the packet held. */
struct rx_ctx {
	const struct rx_pkt *p;
	enum conn_level level;
	uint64_t now;
	bool ack_eliciting;
	bool non_probing; /* RFC 9000 §9.1 */
};

typedef int (*frame_handler)(struct quic_conn *c, const struct quic_frame *f, struct rx_ctx *x);

/*
 * A handler's answer meaning "drop the whole packet unacknowledged": the receive buffers are
 * at their bound (too many out-of-order ranges or chunks, RFC 9000 §21.7). The peer sends the
 * frames again as if the packet had been lost, and memory stays bounded; the frames already
 * handled are idempotent when repeated (RFC 9000 §13.3).
 */
#define RX_DROP_PACKET 1

/* A packet's status: it opened with the previous 1-RTT key only (RFC 9001 §6.4, C31). */
#define RX_OLD_KEY 2

/*
 * A packet's status: its packet number, read under header protection, was received already
 * (RFC 9000 §12.3). It is dropped before its AEAD open: opened, it would be discarded anyway,
 * and a replayed or duplicated packet then costs no more than its header protection.
 */
#define RX_DUPLICATE 3

/*
 * Copies of the protected payloads that are opened twice (RFC 9001 §6.4): an open in place
 * destroys the ciphertext when it fails. Per thread, like the datagram buffer of conn.c: the
 * packets of one datagram fit in one datagram's size.
 */
static _Thread_local uint8_t rx_alt[CONN_RX_MAX_DGRAM];

/* ---- TLS ---- */

static enum tls_level
tls_level_of(enum conn_level level)
{
	switch (level) {
	case LVL_INITIAL:
		return TLS_LEVEL_INITIAL;
	case LVL_HANDSHAKE:
		return TLS_LEVEL_HANDSHAKE;
	default:
		return TLS_LEVEL_APPLICATION;
	}
}

int
quic_conn_tls_collect(struct quic_conn *c)
{
	static const enum conn_level levels[] = {LVL_INITIAL, LVL_HANDSHAKE, LVL_APP};
	size_t i;

	for (i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
		enum tls_level tl = tls_level_of(levels[i]);
		size_t len = 0;
		const uint8_t *p = tls_conn_pending(c->tls, tl, &len);
		int rc;

		if (len == 0)
			continue;
		if (c->discarded[levels[i]]) {
			tls_conn_consume(c->tls, tl, len);
			continue;
		}
		rc = quic_conn_crypto_tx_append(c, levels[i], p, len);
		tls_conn_consume(c->tls, tl, len);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* A failed tls_conn_recv(): CRYPTO_ERROR with the alert (RFC 9001 §4.8), or the rule broken. */
static int
tls_failed(struct quic_conn *c, int rc)
{
	int alert = tls_conn_alert(c->tls);

	if (rc == TLS_ERR_ALERT && alert != TLS_ALERT_NONE) {
		quic_conn_close_transport(c, QUIC_CRYPTO_ERROR_BASE + (uint64_t)alert,
					  QUIC_FRAME_CRYPTO, NULL);
		return QUIC_ERR_CRYPTO;
	}
	if (rc == TLS_ERR_PROTOCOL)
		return QUIC_ERR_PROTOCOL;
	return rc == TLS_ERR_NOMEM ? QUIC_ERR_NOMEM : QUIC_ERR_CRYPTO;
}

/*
 * Once TLS knows what became of 0-RTT. Client, refused (RFC 9001 §4.6.2): no more 0-RTT, and
 * what it carried goes again in 1-RTT. Server, not accepted: 0-RTT packets are dropped from
 * now on (RFC 9000 §17.2.3) instead of being held for keys that will not come.
 */
static void
zrtt_outcome(struct quic_conn *c)
{
	enum tls_early_data e;

	if (c->zrtt_over || c->tls == NULL)
		return;
	e = tls_conn_early_data(c->tls);
	if (!c->is_server && e == TLS_EARLY_REJECTED) {
		quic_conn_keys_zrtt_discard(c);
		quic_conn_zrtt_requeue(c);
	} else if (c->is_server && e != TLS_EARLY_ACCEPTED &&
		   quic_conn_keys_rx_ready(c, LVL_HANDSHAKE)) {
		c->zrtt_over = true;
	}
}

int
quic_conn_tls_advance(struct quic_conn *c, enum conn_level level, uint64_t now)
{
	struct quic_rbuf *rb = quic_conn_crypto_rx(c, level);
	const uint8_t *data;
	size_t n;
	int rc;

	if (c->tls_released) {
		/*
		 * A server's TLS is gone once the handshake is confirmed: a client has no TLS
		 * message left to send (RFC 9001 §6: not even KeyUpdate, 0x010a), so any CRYPTO
		 * data now gets what TLS would have answered, unexpected_message.
		 */
		if (quic_rbuf_peek(rb, &data) == 0)
			return 0;
		quic_conn_close_transport(c, QUIC_CRYPTO_ERROR_BASE + TLS_ALERT_UNEXPECTED_MESSAGE,
					  QUIC_FRAME_CRYPTO, NULL);
		return QUIC_ERR_CRYPTO;
	}
	if (c->tls == NULL) {
		rc = quic_conn_server_tls(c); /* a server's first ClientHello bytes */
		if (rc != 0)
			return rc > 0 ? 0 : rc;
	}
	while ((n = quic_rbuf_peek(rb, &data)) > 0) {
		rc = tls_conn_recv(c->tls, tls_level_of(level), data, n, now / 1000000);
		quic_rbuf_consume(rb, n);
		if (rc != 0)
			return tls_failed(c, rc);
		if (!c->have_peer_tp) {
			rc = quic_conn_peer_params(c);
			if (rc != 0)
				return rc;
		}
	}
	rc = quic_conn_tls_collect(c);
	if (rc == 0)
		quic_conn_on_handshake_progress(c);
	zrtt_outcome(c);
	if (rc == 0)
		quic_conn_tls_release(c); /* server, confirmed: everything TLS wrote is collected */
	return rc;
}

/* ---- non-productive traffic (RFC 9000 §21.9, bad-input C34) ---- */

/*
 * A token bucket kept as a debt: each glitch (a frame or packet the handler that knows found
 * to change nothing) adds one; time pays back the budget every QUIC_CONN_GLITCH_REFILL_S
 * seconds and data delivered in order one per QUIC_CONN_GLITCH_CREDIT_BYTES, so that a peer
 * retransmitting under loss never owes much while one that only repeats itself runs out. The
 * debt starts at zero in a zeroed connection: nothing to set up.
 */
static uint32_t
glitch_budget(const struct quic_conn *c)
{
	return c->cfg->glitch_budget != 0 ? c->cfg->glitch_budget : QUIC_CONN_GLITCH_BUDGET_DEFAULT;
}

static void
glitch_pay(struct quic_conn *c, uint64_t back)
{
	c->glitch_debt = back >= c->glitch_debt ? 0 : c->glitch_debt - (uint32_t)back;
}

/* Time's share; milliseconds in 32 bits wrap after 49 days, far beyond any idle timeout. */
static void
glitch_refill(struct quic_conn *c, uint64_t now)
{
	const uint64_t period_ms = QUIC_CONN_GLITCH_REFILL_S * 1000u;
	uint32_t now_ms = (uint32_t)(now / 1000000u);
	uint64_t elapsed = (uint32_t)(now_ms - c->glitch_at_ms);
	uint64_t back;

	if (c->glitch_debt == 0) {
		c->glitch_at_ms = now_ms; /* a full bucket banks nothing */
		return;
	}
	back = elapsed >= period_ms ? c->glitch_debt : elapsed * glitch_budget(c) / period_ms;
	if (back == 0)
		return; /* keep the start: short intervals add up */
	glitch_pay(c, back);
	c->glitch_at_ms = now_ms;
}

/*
 * A frame (frame_type) or a packet that changed nothing.
 * @return 0, or QUIC_ERR_PROTOCOL once past the budget: the connection was closed with
 *         PROTOCOL_VIOLATION (the choice is documented at quic_conn_config.glitch_budget)
 */
static int
glitch(struct quic_conn *c, uint64_t frame_type, uint64_t now)
{
	glitch_refill(c, now);
	c->stats.glitches++;
	if (c->glitch_debt < glitch_budget(c)) {
		c->glitch_debt++;
		return 0;
	}
	quic_conn_close_transport(c, QUIC_PROTOCOL_VIOLATION, frame_type,
				  "excessive non-productive traffic");
	return QUIC_ERR_PROTOCOL;
}

/* bytes of stream or CRYPTO data were delivered in order: useful progress pays back. */
static void
glitch_credit(struct quic_conn *c, uint64_t bytes)
{
	uint64_t total = c->glitch_progress + bytes;

	c->glitch_progress = (uint32_t)(total % QUIC_CONN_GLITCH_CREDIT_BYTES);
	glitch_pay(c, total / QUIC_CONN_GLITCH_CREDIT_BYTES);
}

/* ---- frame handlers, one per type ---- */

static int
on_padding(struct quic_conn *c, const struct quic_frame *f, struct rx_ctx *x)
{
	(void)c;
	(void)f;
	(void)x;
	return 0;
}

static int
on_ack(struct quic_conn *c, const struct quic_frame *f, struct rx_ctx *x)
{
	int rc = quic_recovery_on_ack_received(c->rec, (enum quic_pn_space)x->level, f, x->now);

	if (rc != 0)
		return rc == QUIC_ERR_PROTOCOL ? rc : 0;
	if (f->type == QUIC_FRAME_ACK_ECN && x->level == LVL_APP) {
		/* The peer's counts only grow (RFC 9000 §13.4.2.1): keep the largest seen. */
		c->stats.peer_ect0 =
			f->ack.ect0 > c->stats.peer_ect0 ? f->ack.ect0 : c->stats.peer_ect0;
		c->stats.peer_ect1 =
			f->ack.ect1 > c->stats.peer_ect1 ? f->ack.ect1 : c->stats.peer_ect1;
		c->stats.peer_ce = f->ack.ce > c->stats.peer_ce ? f->ack.ce : c->stats.peer_ce;
	}
	/* RFC 9002 §A.8: a Handshake ACK tells the client its address was validated. */
	if (!c->is_server && x->level == LVL_HANDSHAKE)
		quic_recovery_set_peer_validated(c->rec, x->now);
	return 0;
}

/* TLS reads at a higher level than level now: level's CRYPTO stream is complete. */
static bool
crypto_level_done(const struct quic_conn *c, enum conn_level level)
{
	if (level == LVL_INITIAL)
		return c->rx[LVL_HANDSHAKE].aead != NULL;
	return level == LVL_HANDSHAKE && c->app_rx_ready;
}

static int
on_crypto(struct quic_conn *c, const struct quic_frame *f, struct rx_ctx *x)
{
	struct quic_rbuf *rb;
	uint64_t contig;
	int rc;

	if (c->discarded[x->level])
		return 0; /* keys dropped while this packet was processed (RFC 9001 §4.9) */
	rb = quic_conn_crypto_rx(c, (enum conn_level)x->level);
	contig = rb->contig;
	/* RFC 9001 §4.1.3 (B12): nothing past the data received before keys moved on. */
	if (crypto_level_done(c, x->level) && f->crypto.offset + f->crypto.len > rb->highest)
		return QUIC_ERR_PROTOCOL;
	if (quic_rbuf_covers(rb, f->crypto.offset, f->crypto.len))
		return glitch(c, f->type, x->now); /* a duplicate (C34) */
	rc = quic_rbuf_write(rb, f->crypto.offset, f->crypto.data, f->crypto.len);
	glitch_credit(c, rb->contig - contig);
	if (rc == 0)
		rc = quic_conn_tls_advance(c, x->level, x->now);
	/* §4.1.3: keys for a higher level arrived with data TLS did not consume still here. A
	 * level discarded meanwhile (the handshake confirmed) took rb with it (struct conn_hs). */
	if (rc == 0 && !c->discarded[x->level] && crypto_level_done(c, x->level) &&
	    rb->highest > rb->base)
		rc = QUIC_ERR_PROTOCOL;
	return rc;
}

static int
on_new_token(struct quic_conn *c, const struct quic_frame *f, struct rx_ctx *x)
{
	uint8_t *t;

	(void)x;
	if (c->is_server)
		return QUIC_ERR_PROTOCOL; /* RFC 9000 §19.7, bad-input B20 */
	if (f->new_token.len > QUIC_TOKEN_MAX_LEN)
		return 0;
	t = malloc(f->new_token.len);
	if (t == NULL)
		return 0;
	memcpy(t, f->new_token.token, f->new_token.len);
	free(c->new_token);
	c->new_token = t;
	c->new_token_len = f->new_token.len;
	quic_conn_event(c, QUIC_EV_NEW_TOKEN, 0, 0);
	return 0;
}

/* STREAM, RESET_STREAM, STOP_SENDING and the flow-control frames (RFC 9000 §19.4-§19.14). */
static int
on_stream_frame(struct quic_conn *c, const struct quic_frame *f, struct rx_ctx *x)
{
	int rc;

	rc = quic_streams_on_frame(&c->streams, f);
	/*
	 * Too many out-of-order fragments (RFC 9000 §21.7), or the worker's chunk pool is
	 * empty: the packet is dropped unacknowledged, as if lost, so the peer sends the data
	 * again later. Data at the head of a stream's gap is never refused for this (see
	 * quic_rbuf_write()), so the stream still fills in order and memory stays bounded.
	 */
	if (rc == QUIC_ERR_REASSEMBLY || rc == QUIC_ERR_NOMEM)
		return RX_DROP_PACKET;
	if (rc != 0)
		return rc;
	/* stream.c knows whether the frame changed anything (C34). */
	if (c->streams.rx_noop)
		return glitch(c, f->type, x->now);
	glitch_credit(c, c->streams.rx_progress);
	if (f->type == QUIC_FRAME_STOP_SENDING)
		quic_conn_event(c, QUIC_EV_STREAM_STOPPED, f->stop_sending.stream_id,
				f->stop_sending.error_code);
	return 0;
}

/*
 * An exact repeat of a NEW_CONNECTION_ID (retransmitted, or replayed): its seq is held or was
 * retired, and its Retire Prior To is not above the largest received. A repeat with another
 * CID or token is an error quic_peer_cids_on_new() finds (C23).
 */
static bool
new_cid_repeat(const struct quic_peer_cids *s, const struct quic_frame_new_connection_id *f)
{
	unsigned i;

	if (f->retire_prior_to > s->retire_prior_to)
		return false;
	for (i = 0; i < QUIC_CID_PEER_LIMIT; i++)
		if (s->slot[i].live && s->slot[i].seq == f->seq)
			return true;
	for (i = 0; i < s->n_recent && i < QUIC_CID_RETIRE_QUEUE; i++)
		if (s->recent[i] == f->seq)
			return true;
	return false;
}

static int
on_new_cid(struct quic_conn *c, const struct quic_frame *f, struct rx_ctx *x)
{
	bool repeat = new_cid_repeat(&c->pcids, &f->new_connection_id);
	int rc = quic_peer_cids_on_new(&c->pcids, &f->new_connection_id);

	return rc == 0 && repeat ? glitch(c, f->type, x->now) : rc; /* C34 */
}

static int
on_retire_cid(struct quic_conn *c, const struct quic_frame *f, struct rx_ctx *x)
{
	struct quic_cid retired;
	int rc;

	rc = quic_local_cids_on_retire(&c->lcids, &f->retire_connection_id, x->p->hdr.dcid,
				       x->p->hdr.dcid_len, &retired);
	if (rc == 0)
		quic_conn_issue_cids(c);
	return rc;
}

static int
on_path_challenge(struct quic_conn *c, const struct quic_frame *f, struct rx_ctx *x)
{
	(void)x;
	/* RFC 9000 §8.2.2: answered on the path it came from; a bounded queue (C28). Out of
	 * memory, the challenge goes unanswered and the peer sends another. */
	(void)quic_conn_path_resp_add(c, f->path.data);
	return 0;
}

static int
on_path_response(struct quic_conn *c, const struct quic_frame *f, struct rx_ctx *x)
{
	(void)x;
	quic_conn_on_path_response(c, f->path.data);
	return 0;
}

static int
on_close(struct quic_conn *c, const struct quic_frame *f, struct rx_ctx *x)
{
	struct quic_conn_close_info info = {
		.error_code = f->connection_close.error_code,
		.frame_type = f->connection_close.frame_type,
		.app = f->type == QUIC_FRAME_CONNECTION_CLOSE_APP,
		.remote = true,
	};

	(void)x;
	quic_conn_enter_draining(c, &info);
	return 0;
}

static int
on_handshake_done(struct quic_conn *c, const struct quic_frame *f, struct rx_ctx *x)
{
	(void)f;
	(void)x;
	if (c->is_server)
		return QUIC_ERR_PROTOCOL; /* RFC 9000 §19.20, bad-input B19 */
	quic_conn_confirm(c);
	return 0;
}

static int
on_unexpected(struct quic_conn *c, const struct quic_frame *f, struct rx_ctx *x)
{
	(void)c;
	(void)f;
	(void)x;
	/* DATAGRAM without max_datagram_frame_size advertised (RFC 9221 §3). */
	return QUIC_ERR_PROTOCOL;
}

static const frame_handler handlers[] = {
	[QUIC_FRAME_PADDING] = on_padding,
	[QUIC_FRAME_PING] = on_padding,
	[QUIC_FRAME_ACK] = on_ack,
	[QUIC_FRAME_ACK_ECN] = on_ack,
	[QUIC_FRAME_RESET_STREAM] = on_stream_frame,
	[QUIC_FRAME_STOP_SENDING] = on_stream_frame,
	[QUIC_FRAME_CRYPTO] = on_crypto,
	[QUIC_FRAME_NEW_TOKEN] = on_new_token,
	[0x08] = on_stream_frame,
	[0x09] = on_stream_frame,
	[0x0a] = on_stream_frame,
	[0x0b] = on_stream_frame,
	[0x0c] = on_stream_frame,
	[0x0d] = on_stream_frame,
	[0x0e] = on_stream_frame,
	[0x0f] = on_stream_frame,
	[QUIC_FRAME_MAX_DATA] = on_stream_frame,
	[QUIC_FRAME_MAX_STREAM_DATA] = on_stream_frame,
	[QUIC_FRAME_MAX_STREAMS_BIDI] = on_stream_frame,
	[QUIC_FRAME_MAX_STREAMS_UNI] = on_stream_frame,
	[QUIC_FRAME_DATA_BLOCKED] = on_stream_frame,
	[QUIC_FRAME_STREAM_DATA_BLOCKED] = on_stream_frame,
	[QUIC_FRAME_STREAMS_BLOCKED_BIDI] = on_stream_frame,
	[QUIC_FRAME_STREAMS_BLOCKED_UNI] = on_stream_frame,
	[QUIC_FRAME_NEW_CONNECTION_ID] = on_new_cid,
	[QUIC_FRAME_RETIRE_CONNECTION_ID] = on_retire_cid,
	[QUIC_FRAME_PATH_CHALLENGE] = on_path_challenge,
	[QUIC_FRAME_PATH_RESPONSE] = on_path_response,
	[QUIC_FRAME_CONNECTION_CLOSE] = on_close,
	[QUIC_FRAME_CONNECTION_CLOSE_APP] = on_close,
	[QUIC_FRAME_HANDSHAKE_DONE] = on_handshake_done,
};

static frame_handler
handler_of(uint64_t type)
{
	if (type < sizeof(handlers) / sizeof(handlers[0]) && handlers[type] != NULL)
		return handlers[type];
	return on_unexpected;
}

/* Frame type at the reader's position, for CONNECTION_CLOSE's Frame Type (0 if unreadable). */
static uint64_t
peek_type(const struct crypto_rd *r)
{
	struct crypto_rd copy = *r;
	uint64_t t = 0;

	return quic_get_varint(&copy, &t) ? t : 0;
}

/*
 * Every frame of a packet, in order. @return 0, RX_DROP_PACKET, or the error that closed the
 * connection (then the rest of the packet is ignored).
 */
static int
rx_frames(struct quic_conn *c, struct rx_ctx *x)
{
	const struct quic_packet_rx *rx = &x->p->rx;
	enum quic_pkt_type pt = x->p->hdr.type;
	struct crypto_rd r;
	struct quic_frame f;
	uint64_t type;
	bool filler = true; /* only PING and PADDING so far */
	int rc;

	if (rx->payload_len == 0) {
		quic_conn_close_err(c, QUIC_ERR_PROTOCOL, 0); /* no frames: RFC 9000 §12.4, C1 */
		return QUIC_ERR_PROTOCOL;
	}
	crypto_rd_init(&r, rx->payload, rx->payload_len);
	while (crypto_rd_left(&r) > 0) {
		type = peek_type(&r);
		rc = quic_frame_decode(&r, &f);
		if (rc == 0 && !quic_frame_allowed_in(f.type, pt))
			rc = QUIC_ERR_PROTOCOL; /* RFC 9000 §12.4, §12.5: B17, B18 */
		if (rc == 0) {
			x->ack_eliciting |= quic_frame_is_ack_eliciting(f.type);
			x->non_probing |= !quic_frame_is_probing(f.type);
			filler &= f.type == QUIC_FRAME_PING || f.type == QUIC_FRAME_PADDING;
			rc = handler_of(f.type)(c, &f, x);
		}
		if (rc == RX_DROP_PACKET)
			return rc;
		if (rc != 0) {
			quic_conn_close_err(c, rc, type);
			return rc;
		}
		if (quic_conn_closing(c))
			return 0;
	}
	/* A packet of only PING and PADDING: a keep-alive or probe, at a rate (C34). */
	return filler ? glitch(c, QUIC_FRAME_PING, x->now) : 0;
}

/* ---- packets ---- */

/* The client learns the server's CID from its first packet (RFC 9000 §7.2). */
static void
learn_peer_scid(struct quic_conn *c, const struct quic_packet_hdr *h)
{
	if (c->peer_scid_known || h->type == QUIC_PKT_1RTT)
		return;
	c->peer_scid.len = (uint8_t)h->scid_len;
	memcpy(c->peer_scid.data, h->scid, h->scid_len);
	c->peer_scid_known = true;
	if (!c->is_server)
		quic_peer_cids_init(&c->pcids, c->tp->local.active_connection_id_limit, h->scid,
				    h->scid_len, NULL);
}

static void
rx_packet(struct quic_conn *c, struct rx_pkt *p, uint64_t now)
{
	enum quic_pn_space space = (enum quic_pn_space)p->level;
	struct rx_ctx x = {.p = p, .level = p->level, .now = now};
	int rc;

	if (quic_ackgen_is_duplicate(&c->ack, space, p->rx.pn)) {
		c->stats.pkts_dropped++;
		return;
	}
	if (c->qlog.ctx != NULL)
		quic_conn_qlog_packet(c, QUIC_QLOG_PACKET_RECEIVED, p->hdr.type, p->rx.pn,
				      p->hdr.len, p->rx.payload, p->rx.payload_len);
	learn_peer_scid(c, &p->hdr);
	if (p->level == LVL_APP && !p->zero_rtt &&
	    quic_conn_keys_app_opened(c, p->gen, p->rx.pn) != 0) {
		quic_conn_close_err(c, QUIC_ERR_CRYPTO, 0);
		return;
	}
	c->got_packet = true;
	rc = rx_frames(c, &x);
	if (rc == RX_DROP_PACKET)
		c->stats.pkts_dropped++;
	if (rc != 0 || c->state >= QUIC_CONN_DRAINING)
		return;
	c->stats.pkts_rx++;
	if (p->zero_rtt)
		c->stats.pkts_0rtt_rx++;
	else if (p->level == LVL_APP && c->is_server && quic_conn_zrtt_aead(c) != NULL)
		quic_conn_keys_zrtt_discard(c); /* RFC 9001 §4.9.3: 1-RTT from the client */
	quic_ackgen_on_received(&c->ack, space, p->rx.pn, x.ack_eliciting,
				(enum quic_ecn)(c->rx_path.ecn & 3), now);
	quic_conn_idle_restart(c, now);
	c->idle_restart_on_send = true;
	/* RFC 9000 §9.3: only the highest-numbered non-probing packet moves us. */
	if (c->is_server && p->level == LVL_APP && !p->zero_rtt && c->hs_confirmed &&
	    x.non_probing && p->rx.pn == quic_ackgen_largest(&c->ack, space) &&
	    !quic_path_equal(&c->rx_path, &c->path))
		quic_conn_on_new_path(c, &c->rx_path);
	if (c->is_server && p->level == LVL_HANDSHAKE) {
		/* RFC 9000 §8.1: a Handshake packet proves the address; RFC 9001 §4.9.1. */
		c->validated = true;
		quic_conn_discard_level(c, LVL_INITIAL);
	}
}

/* ---- splitting a datagram ---- */

static bool
same_cid(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	return alen == blen && (alen == 0 || memcmp(a, b, alen) == 0);
}

/* Client: a Retry (RFC 9000 §17.2.5.2): accepted once, before any server packet. */
static void
rx_retry(struct quic_conn *c, const struct quic_packet_hdr *h)
{
	uint8_t *tok;

	if (c->is_server || c->retried || c->got_packet ||
	    quic_retry_verify(c->cfg->crypto, h, c->odcid.data, c->odcid.len) != 0 ||
	    h->token_len > QUIC_TOKEN_MAX_LEN) {
		c->stats.pkts_dropped++;
		return;
	}
	tok = malloc(h->token_len);
	if (tok == NULL)
		return;
	memcpy(tok, h->token, h->token_len);
	free(c->token);
	c->token = tok;
	c->token_len = h->token_len;
	c->retried = true;
	c->retry_scid.len = (uint8_t)h->scid_len;
	memcpy(c->retry_scid.data, h->scid, h->scid_len);
	c->init_dcid = c->retry_scid;
	quic_peer_cids_init(&c->pcids, c->tp->local.active_connection_id_limit, h->scid,
			    h->scid_len, NULL);
	if (quic_conn_keys_initial(c, h->scid, h->scid_len) != 0) {
		quic_conn_close_err(c, QUIC_ERR_CRYPTO, 0);
		return;
	}
	/* Send the ClientHello again under the new keys; packet numbers go on (§17.2.5.3). The
	 * server dropped our 0-RTT packets with the first Initial: they go again too. */
	quic_rangeset_add(&quic_conn_crypto_tx(c, LVL_INITIAL)->lost, c->chunk_pool, 0,
			  quic_conn_crypto_tx(c, LVL_INITIAL)->next, true);
	quic_conn_zrtt_requeue(c);
}

/* Whether a parsed packet belongs to this datagram's processing; counts it if not. */
static bool
rx_accept_hdr(struct quic_conn *c, const struct quic_packet_hdr *h, const struct rx_pkt *first,
	      size_t dgram_len, bool held)
{
	bool ok = true;

	if (h->type == QUIC_PKT_0RTT && (!c->is_server || c->zrtt_over)) {
		/* RFC 9000 §17.2.3: only a client sends 0-RTT; and only until it may. */
		c->stats.pkts_dropped++;
		ok = false;
	} else if (h->type == QUIC_PKT_VN || h->type == QUIC_PKT_RETRY)
		ok = false; /* VN and Retry were handled before */
	else if (h->type != QUIC_PKT_1RTT && h->version != c->version)
		ok = false;
	else if (first != NULL &&
		 !same_cid(h->dcid, h->dcid_len, first->hdr.dcid, first->hdr.dcid_len))
		ok = false; /* RFC 9000 §12.2: coalesced packets share the DCID */
	else if (c->peer_scid_known && h->type != QUIC_PKT_1RTT &&
		 !same_cid(h->scid, h->scid_len, c->peer_scid.data, c->peer_scid.len))
		ok = false; /* RFC 9000 §7.2 */
	else if (h->type == QUIC_PKT_INITIAL && c->is_server && dgram_len < 1200 && !held)
		ok = false; /* RFC 9000 §14.1, bad-input A7 */
	else if (c->discarded[quic_conn_pkt_level(h->type)])
		ok = false;
	if (!ok)
		c->stats.pkts_dropped++;
	return ok;
}

static size_t
rx_split(struct quic_conn *c, uint8_t *buf, size_t len, bool held, struct rx_pkt *pkts)
{
	struct quic_datagram_iter it;
	struct quic_packet_hdr h;
	size_t n = 0;
	int rc;

	quic_datagram_iter_init(&it, buf, len, c->scid_len);
	while (n < CONN_RX_MAX_PKTS && (rc = quic_datagram_next(&it, &h)) != 0) {
		if (rc < 0) {
			c->stats.pkts_dropped++;
			break;
		}
		if (h.type == QUIC_PKT_RETRY) {
			rx_retry(c, &h);
			break;
		}
		if (h.type == QUIC_PKT_VN) {
			if (n == 0 && !held)
				quic_conn_on_vn(c, h.pkt, h.len);
			break;
		}
		if (n == 0 && h.type == QUIC_PKT_INITIAL && h.version != c->version)
			quic_conn_vneg_client_follow(c, &h); /* RFC 9368 §2.3 */
		if (!rx_accept_hdr(c, &h, n > 0 ? &pkts[0] : NULL, len, held))
			continue;
		memset(&pkts[n], 0, sizeof(pkts[n]));
		pkts[n].hdr = h;
		pkts[n].pkt = buf + (size_t)(h.pkt - buf);
		pkts[n].level = quic_conn_pkt_level(h.type);
		pkts[n].zero_rtt = h.type == QUIC_PKT_0RTT;
		pkts[n].todo = true;
		n++;
	}
	return n;
}

/* ---- unprotecting in burst phases ---- */

static struct crypto_hp *
rx_hp(const struct quic_conn *c, const struct rx_pkt *p)
{
	if (p->zero_rtt)
		return c->rx[LVL_APP].hp; /* server: 0-RTT keys */
	return p->level == LVL_APP ? c->app.rx_hp : c->rx[p->level].hp;
}

/* Whether the receive keys of a packet are there. */
static bool
rx_keys_ready(const struct quic_conn *c, bool zero_rtt, enum conn_level level)
{
	return zero_rtt ? c->is_server && c->rx[LVL_APP].aead != NULL
			: quic_conn_keys_rx_ready(c, level);
}

/* Key for an unprotected packet: 1-RTT by key phase (RFC 9001 §6.3), else the level's. */
static void
rx_pick_key(struct quic_conn *c, struct rx_pkt *p)
{
	if (p->zero_rtt) {
		p->aead = c->rx[LVL_APP].aead;
	} else if (p->level == LVL_APP) {
		p->aead = quic_conn_keys_app_rx(c, p->rx.key_phase, p->rx.pn, &p->gen);
		p->old = quic_conn_keys_app_rx_old(c, p->rx.key_phase, p->rx.pn);
	} else
		p->aead = c->rx[p->level].aead;
	if (p->aead == NULL)
		p->status = QUIC_ERR_CRYPTO;
}

/* Header protection for the batch: one mask burst, then removal and key choice. */
static void
rx_hp_phase(struct quic_conn *c, struct rx_pkt *pkts, const size_t *idx, size_t n)
{
	struct crypto_hp_op ops[CONN_RX_MAX_PKTS];
	size_t map[CONN_RX_MAX_PKTS];
	size_t i, m = 0;
	int rc = 0;

	for (i = 0; i < n; i++) {
		struct rx_pkt *p = &pkts[idx[i]];

		p->status = quic_packet_hp_prepare(p->pkt, p->hdr.len, p->hdr.pn_offset,
						   rx_hp(c, p), &ops[m]);
		if (p->status == 0)
			map[m++] = idx[i];
	}
	if (m > 0)
		rc = crypto_hp_mask_burst(ops, (unsigned)m);
	for (i = 0; i < m; i++) {
		struct rx_pkt *p = &pkts[map[i]];
		enum quic_pn_space sp = (enum quic_pn_space)p->level;

		if (rc != 0) {
			p->status = QUIC_ERR_CRYPTO;
			continue;
		}
		p->status = quic_packet_hp_remove(p->pkt, &p->hdr, ops[i].mask,
						  quic_ackgen_largest(&c->ack, sp), &p->rx);
		if (p->status == 0)
			rx_pick_key(c, p);
	}
}

/*
 * A packet of the other key phase above the first packet number of the current phase goes
 * to the next key; with the previous key still kept it is opened with that one too, from a
 * copy (RFC 9001 §6.4). Both opens run whichever succeeds, so the time taken does not tell
 * which key opened the packet (RFC 9001 §6.3, §9.5): only the key phase bit and the packet
 * number, which the sender chose, decide how many opens a packet costs.
 * @return ops added (0 or 1)
 */
static size_t
rx_open_old(const struct rx_pkt *p, struct crypto_aead_op *op, size_t *alt_used)
{
	if (p->old == NULL || p->rx.payload_len > sizeof(rx_alt) - *alt_used)
		return 0;
	*op = (struct crypto_aead_op){.aead = p->old,
				      .pn = p->rx.pn,
				      .aad = p->pkt,
				      .aad_len = p->rx.hdr_len,
				      .data = rx_alt + *alt_used,
				      .len = p->rx.payload_len};
	memcpy(op->data, p->rx.payload, p->rx.payload_len);
	*alt_used += p->rx.payload_len;
	return 1;
}

/* AEAD opens for the batch in one burst. */
static void
rx_open_phase(struct quic_conn *c, struct rx_pkt *pkts, const size_t *idx, size_t n)
{
	struct crypto_aead_op ops[2 * CONN_RX_MAX_PKTS];
	size_t map[CONN_RX_MAX_PKTS], alt[CONN_RX_MAX_PKTS];
	size_t i, m = 0, k, alt_used = 0;

	for (i = 0; i < n; i++) {
		struct rx_pkt *p = &pkts[idx[i]];

		if (p->status != 0)
			continue;
		if (quic_ackgen_is_duplicate(&c->ack, (enum quic_pn_space)p->level, p->rx.pn)) {
			p->status = RX_DUPLICATE;
			continue;
		}
		quic_packet_open_prepare(p->pkt, &p->rx, p->aead, &ops[m]);
		map[m++] = idx[i];
	}
	k = m;
	for (i = 0; i < m; i++) {
		alt[i] = rx_open_old(&pkts[map[i]], &ops[k], &alt_used) ? k : SIZE_MAX;
		k += alt[i] != SIZE_MAX;
	}
	if (k > 0)
		crypto_aead_open_burst(ops, (unsigned)k);
	for (i = 0; i < m; i++) {
		struct rx_pkt *p = &pkts[map[i]];
		bool old_ok = alt[i] != SIZE_MAX && ops[alt[i]].status == 0;

		p->status = quic_packet_open_finish(&p->rx, ops[i].status);
		if (p->status == QUIC_ERR_CRYPTO && old_ok) {
			p->status = RX_OLD_KEY; /* authentic: not counted as a forgery */
			continue;
		}
		if (p->status == QUIC_ERR_CRYPTO) {
			c->stats.pkts_decrypt_fail++;
			if (quic_conn_keys_auth_failed(c, p->level))
				p->status = QUIC_ERR_AEAD_LIMIT;
		}
	}
}

/* A packet that failed: drop it, or close for the errors that are the peer's fault. */
static void
rx_failed(struct quic_conn *c, const struct rx_pkt *p)
{
	c->stats.pkts_dropped++;
	if (p->status == QUIC_ERR_PROTOCOL) /* reserved bits set: RFC 9000 §17.2, B16 */
		quic_conn_close_err(c, QUIC_ERR_PROTOCOL, 0);
	else if (p->status == QUIC_ERR_AEAD_LIMIT) /* RFC 9001 §6.6, C32 */
		quic_conn_close_err(c, QUIC_ERR_AEAD_LIMIT, 0);
	else if (p->status == RX_OLD_KEY) /* RFC 9001 §6.4, C31 */
		quic_conn_close_transport(c, QUIC_KEY_UPDATE_ERROR, 0, "old keys");
}

/* One round: every pending packet whose keys exist. @return packets processed */
static size_t
rx_round(struct quic_conn *c, struct rx_pkt *pkts, size_t n, uint64_t now, size_t *ok)
{
	size_t idx[CONN_RX_MAX_PKTS];
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		if (pkts[i].todo && rx_keys_ready(c, pkts[i].zero_rtt, pkts[i].level))
			idx[k++] = i;
	if (k == 0)
		return 0;
	rx_hp_phase(c, pkts, idx, k);
	rx_open_phase(c, pkts, idx, k);
	for (i = 0; i < k; i++) {
		struct rx_pkt *p = &pkts[idx[i]];

		p->todo = false;
		if (quic_conn_closing(c))
			continue;
		if (p->status != 0) {
			rx_failed(c, p);
			continue;
		}
		rx_packet(c, p, now);
		(*ok)++;
	}
	return k;
}

/* Keep a packet whose keys are not there yet (RFC 9001 §5.7), a few at most (B15). */
static void
rx_hold(struct quic_conn *c, const struct rx_pkt *p)
{
	size_t i;

	for (i = 0; i < CONN_RX_HOLD && c->hs != NULL; i++) {
		struct held_pkt *h = &c->hs->held[i];

		if (h->used)
			continue;
		if (h->data == NULL)
			h->data = malloc(CONN_RX_MAX_DGRAM);
		if (h->data == NULL || p->hdr.len > CONN_RX_MAX_DGRAM)
			break;
		memcpy(h->data, p->hdr.pkt, p->hdr.len);
		h->len = p->hdr.len;
		h->ecn = c->rx_path.ecn;
		h->level = (uint8_t)p->level;
		h->zero_rtt = p->zero_rtt;
		h->used = true;
		c->stats.pkts_buffered++;
		return;
	}
	c->stats.pkts_dropped++;
}

/* A datagram that nothing could be made of may be a Stateless Reset (RFC 9000 §10.3.1). */
static void
rx_check_reset(struct quic_conn *c, const uint8_t *buf, size_t len)
{
	struct quic_conn_close_info info = {.stateless_reset = true, .remote = true};

	if (len < QUIC_STATELESS_RESET_MIN_LEN || (buf[0] & 0x80) != 0)
		return;
	if (quic_peer_cids_is_stateless_reset(&c->pcids, buf, len))
		quic_conn_enter_draining(c, &info);
}

void
quic_conn_rx_datagram(struct quic_conn *c, uint8_t *buf, size_t len, bool held, uint64_t now)
{
	struct rx_pkt pkts[CONN_RX_MAX_PKTS];
	size_t n, i, ok = 0;

	n = rx_split(c, buf, len, held, pkts);
	while (!quic_conn_closing(c) && rx_round(c, pkts, n, now, &ok) > 0)
		;
	for (i = 0; i < n && !quic_conn_closing(c); i++) {
		if (!pkts[i].todo)
			continue;
		if (pkts[i].zero_rtt && c->zrtt_over)
			c->stats.pkts_dropped++; /* refused, or keys gone meanwhile */
		else if (!held && !c->discarded[pkts[i].level])
			rx_hold(c, &pkts[i]);
		else
			c->stats.pkts_dropped++;
	}
	if (ok == 0 && !held && !quic_conn_closing(c))
		rx_check_reset(c, buf, len);
}

void
quic_conn_rx_replay_held(struct quic_conn *c, uint64_t now)
{
	uint8_t *data;
	size_t i;

	for (i = 0; i < CONN_RX_HOLD && c->hs != NULL && !quic_conn_closing(c); i++) {
		struct held_pkt *h = &c->hs->held[i];
		enum conn_level level = (enum conn_level)h->level;

		if (!h->used)
			continue;
		if (c->discarded[level] || (h->zero_rtt && c->zrtt_over)) {
			if (h->zero_rtt)
				c->stats.pkts_dropped++;
			h->used = false;
			continue;
		}
		if (!rx_keys_ready(c, h->zero_rtt, level))
			continue;
		/* Taken out of c->hs first: the handshake may be confirmed by this very packet,
		 * which frees c->hs. A replayed packet is never held again (rx_datagram). Held
		 * packets are a handshake-time thing: the buffer goes once done. */
		data = h->data;
		h->data = NULL;
		h->used = false;
		c->rx_path.ecn = h->ecn; /* the packet's own mark (RFC 9000 §13.4.1) */
		quic_conn_rx_datagram(c, data, h->len, true, now);
		free(data);
	}
	quic_conn_hs_release(c);
}
