/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The connection's event trace (quic/qlog.h). Packets are reported where they are received
 * and sent (rx.c, tx.c); everything else — connection state, keys installed, updated or
 * discarded, recovery metrics — is found by comparing the connection with what was last
 * reported, at the end of each public call, so the state machine itself carries no hooks.
 */
#include <string.h>

#include "conn_int.h"

static void
emit(struct quic_conn *c, struct quic_qlog_event *ev)
{
	ev->now_ns = c->now;
	c->cfg->qlog->event(c->qlog.ctx, ev);
}

void
quic_conn_qlog_open(struct quic_conn *c)
{
	const struct quic_qlog_ops *ops = c->cfg->qlog;

	if (ops == NULL || ops->open == NULL || ops->event == NULL)
		return;
	c->qlog.ctx = ops->open(ops->arg, &c->odcid, c->is_server, c->now);
	c->qlog.state = QUIC_QLOG_ST_HANDSHAKE_STARTED;
}

void
quic_conn_qlog_packet(struct quic_conn *c, enum quic_qlog_event_type type,
		      enum quic_pkt_type pkt_type, uint64_t pn, size_t length,
		      const uint8_t *frames, size_t frames_len)
{
	struct quic_qlog_event ev = {.type = type};

	if (c->qlog.ctx == NULL)
		return;
	ev.packet = (struct quic_qlog_packet){.type = pkt_type,
					      .pn = pn,
					      .length = length,
					      .frames = frames,
					      .frames_len = frames_len};
	emit(c, &ev);
}

/* The qlog state the connection is in now. */
static enum quic_qlog_state
state_now(const struct quic_conn *c)
{
	switch (c->state) {
	case QUIC_CONN_CLOSING:
		return QUIC_QLOG_ST_CLOSING;
	case QUIC_CONN_DRAINING:
		return QUIC_QLOG_ST_DRAINING;
	case QUIC_CONN_CLOSED:
		return QUIC_QLOG_ST_CLOSED;
	default:
		break;
	}
	if (c->hs_confirmed)
		return QUIC_QLOG_ST_HANDSHAKE_CONFIRMED;
	return c->hs_complete ? QUIC_QLOG_ST_HANDSHAKE_COMPLETE : QUIC_QLOG_ST_HANDSHAKE_STARTED;
}

static void
state_to(struct quic_conn *c, enum quic_qlog_state to)
{
	struct quic_qlog_event ev = {.type = QUIC_QLOG_STATE_UPDATED};

	ev.state.old_state = c->qlog.state;
	ev.state.new_state = to;
	c->qlog.state = to;
	emit(c, &ev);
}

static void
sync_state(struct quic_conn *c)
{
	enum quic_qlog_state now = state_now(c);
	struct quic_qlog_event ev = {.type = QUIC_QLOG_CONNECTION_CLOSED};

	if (now == c->qlog.state)
		return;
	/* A server completes and confirms in one step (RFC 9001 §4.1.2): report both. */
	if (c->hs_complete && c->qlog.state < QUIC_QLOG_ST_HANDSHAKE_COMPLETE &&
	    now > QUIC_QLOG_ST_HANDSHAKE_COMPLETE)
		state_to(c, QUIC_QLOG_ST_HANDSHAKE_COMPLETE);
	state_to(c, now);
	if (now < QUIC_QLOG_ST_CLOSING || c->qlog.closed_logged || !c->close.set)
		return;
	c->qlog.closed_logged = true;
	quic_conn_close_info(c, &ev.close.info);
	ev.close.reason = c->close.reason;
	ev.close.reason_len = c->close.reason_len;
	emit(c, &ev);
}

static void
key_event(struct quic_conn *c, enum quic_qlog_event_type type, enum quic_qlog_key key, bool local,
	  uint64_t gen, enum quic_qlog_key_trigger trigger)
{
	struct quic_qlog_event ev = {.type = type};

	ev.key = (struct quic_qlog_key_event){
		.key = key, .local = local, .generation = gen, .trigger = trigger};
	emit(c, &ev);
}

/* Which keys exist now, in the bit layout of struct conn_qlog.keys. */
static uint8_t
keys_now(const struct quic_conn *c)
{
	uint8_t m = 0;

	for (int l = LVL_INITIAL; l < LVL_APP; l++) {
		m |= c->rx[l].aead != NULL ? (uint8_t)(1u << (2 * l)) : 0;
		m |= c->tx[l].aead != NULL ? (uint8_t)(1u << (2 * l + 1)) : 0;
	}
	m |= c->app.rx_cur != NULL ? (uint8_t)(1u << (2 * LVL_APP)) : 0;
	m |= c->app.tx_cur != NULL ? (uint8_t)(1u << (2 * LVL_APP + 1)) : 0;
	return m;
}

/*
 * 1-RTT key updates (RFC 9001 §6): the side whose generation moved first started it. A peer's
 * update shows as a new receive generation before ours; ours as a new send generation first.
 */
static void
sync_app_gen(struct quic_conn *c)
{
	struct conn_qlog *q = &c->qlog;

	if (c->app.rx_gen > q->rx_gen && (q->keys & (1u << (2 * LVL_APP))) != 0) {
		key_event(c, QUIC_QLOG_KEY_UPDATED, QUIC_QLOG_KEY_1RTT, false, c->app.rx_gen,
			  c->app.rx_gen > q->tx_gen ? QUIC_QLOG_TRIGGER_REMOTE_UPDATE
						    : QUIC_QLOG_TRIGGER_LOCAL_UPDATE);
		q->rx_gen = c->app.rx_gen;
	}
	if (c->app.tx_gen > q->tx_gen && (q->keys & (1u << (2 * LVL_APP + 1))) != 0) {
		key_event(c, QUIC_QLOG_KEY_UPDATED, QUIC_QLOG_KEY_1RTT, true, c->app.tx_gen,
			  c->app.tx_gen > q->rx_gen ? QUIC_QLOG_TRIGGER_LOCAL_UPDATE
						    : QUIC_QLOG_TRIGGER_REMOTE_UPDATE);
		q->tx_gen = c->app.tx_gen;
	}
}

static void
sync_keys(struct quic_conn *c)
{
	uint8_t now = keys_now(c), diff = now ^ c->qlog.keys;

	for (unsigned b = 0; b < 2 * LVL_COUNT && diff != 0; b++) {
		enum quic_qlog_key key = (enum quic_qlog_key)(b / 2);
		bool local = (b & 1) != 0;
		uint64_t gen =
			key == QUIC_QLOG_KEY_1RTT ? (local ? c->qlog.tx_gen : c->qlog.rx_gen) : 0;

		if ((diff & (1u << b)) == 0)
			continue;
		key_event(c,
			  (now & (1u << b)) != 0 ? QUIC_QLOG_KEY_UPDATED : QUIC_QLOG_KEY_DISCARDED,
			  key, local, gen, QUIC_QLOG_TRIGGER_TLS);
	}
	c->qlog.keys = now;
	sync_app_gen(c);
}

static void
sync_metrics(struct quic_conn *c)
{
	const struct quic_rtt *rtt = quic_recovery_rtt(c->rec);
	const struct quic_cc *cc = quic_recovery_cc(c->rec);
	struct quic_qlog_event ev = {.type = QUIC_QLOG_METRICS_UPDATED};

	ev.metrics = (struct quic_qlog_metrics){.cwnd = cc->cwnd,
						.bytes_in_flight = cc->bytes_in_flight,
						.smoothed_rtt_ns = rtt->smoothed,
						.latest_rtt_ns = rtt->latest,
						.min_rtt_ns = rtt->min,
						.rtt_var_ns = rtt->var};
	if (memcmp(&ev.metrics, &c->qlog.metrics, sizeof(ev.metrics)) == 0)
		return;
	c->qlog.metrics = ev.metrics;
	emit(c, &ev);
}

void
quic_conn_qlog_sync(struct quic_conn *c, bool metrics)
{
	if (c->qlog.ctx == NULL)
		return;
	sync_keys(c);
	if (metrics && c->rec != NULL)
		sync_metrics(c);
	sync_state(c);
}

void
quic_conn_qlog_close(struct quic_conn *c)
{
	if (c->qlog.ctx == NULL)
		return;
	quic_conn_qlog_sync(c, false);
	if (c->cfg->qlog->close != NULL)
		c->cfg->qlog->close(c->qlog.ctx);
	c->qlog.ctx = NULL;
}
