/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The connection's event hook (quic/qlog.h) over a client/server pair: every packet sent,
 * received and declared lost is reported (counts equal the connection's own statistics),
 * packets carry their plaintext frames, times never go back, the connection states follow
 * RFC 9000/9001 in order, keys are reported installed, updated by the side that started the
 * update (RFC 9001 §6) and discarded (RFC 9001 §4.9), RTT metrics reflect the link, and the
 * close is reported once, before the trace is closed.
 */
#include <string.h>

#include <quic/conn.h>
#include <quic/qlog.h>

#include "hb_test.h"
#include "pair.h"
#include "xfer.h"

TestSuite(transport_qlog);

#define BUDGET	  (600000 * PAIR_MS)
#define DELAY_MS  10
#define MAX_STATE 8

/* What one side's trace saw. */
struct rec {
	unsigned opened;
	unsigned closed;
	uint64_t n[QUIC_QLOG_KEY_DISCARDED + 1];
	uint64_t last_ns;
	bool time_went_back;
	bool frameless_packet;
	unsigned after_close; /* events after close() */
	enum quic_qlog_state states[MAX_STATE];
	unsigned n_states;
	bool state_chain_broken; /* old_state was not the previous new_state */
	unsigned keys_installed[3][2];
	unsigned keys_discarded[3][2];
	uint64_t max_gen[2]; /* 1-RTT generation by local */
	enum quic_qlog_key_trigger gen1_trigger[2];
	uint64_t min_rtt_ns;
	struct quic_conn_close_info close;
};

static struct rec recs[2]; /* [0] client, [1] server */

static void *
rec_open(void *arg, const struct quic_cid *odcid, bool server, uint64_t now_ns)
{
	struct rec *r = &((struct rec *)arg)[server ? 1 : 0];

	(void)now_ns;
	cr_assert(ge(u32, odcid->len, 8)); /* RFC 9000 §7.2 */
	r->opened++;
	return r;
}

static void
rec_key(struct rec *r, const struct quic_qlog_event *ev)
{
	const struct quic_qlog_key_event *k = &ev->key;

	if (ev->type == QUIC_QLOG_KEY_DISCARDED) {
		r->keys_discarded[k->key][k->local]++;
		return;
	}
	if (k->key != QUIC_QLOG_KEY_1RTT || k->generation == 0) {
		r->keys_installed[k->key][k->local]++;
		return;
	}
	if (k->generation == 1)
		r->gen1_trigger[k->local] = k->trigger;
	if (k->generation > r->max_gen[k->local])
		r->max_gen[k->local] = k->generation;
}

static void
rec_event(void *ctx, const struct quic_qlog_event *ev)
{
	struct rec *r = ctx;

	if (r->closed != 0)
		r->after_close++;
	r->n[ev->type]++;
	r->time_went_back |= ev->now_ns < r->last_ns;
	r->last_ns = ev->now_ns;
	switch (ev->type) {
	case QUIC_QLOG_PACKET_SENT:
	case QUIC_QLOG_PACKET_RECEIVED:
		r->frameless_packet |= ev->packet.frames == NULL || ev->packet.frames_len == 0 ||
				       ev->packet.length <= ev->packet.frames_len;
		break;
	case QUIC_QLOG_STATE_UPDATED:
		if (r->n_states > 0 && r->states[r->n_states - 1] != ev->state.old_state)
			r->state_chain_broken = true;
		if (r->n_states < MAX_STATE)
			r->states[r->n_states++] = ev->state.new_state;
		break;
	case QUIC_QLOG_METRICS_UPDATED:
		if (ev->metrics.min_rtt_ns != 0)
			r->min_rtt_ns = ev->metrics.min_rtt_ns;
		break;
	case QUIC_QLOG_CONNECTION_CLOSED:
		r->close = ev->close.info;
		break;
	case QUIC_QLOG_KEY_UPDATED:
	case QUIC_QLOG_KEY_DISCARDED:
		rec_key(r, ev);
		break;
	default:
		break;
	}
}

static void
rec_close(void *ctx)
{
	((struct rec *)ctx)->closed++;
}

static const struct quic_qlog_ops ops = {
	.open = rec_open, .event = rec_event, .close = rec_close, .arg = recs};

static void
tweak(void *arg, struct quic_conn_config *client, struct quic_conn_config *server)
{
	(void)arg;
	client->qlog = &ops;
	server->qlog = &ops;
}

/* The client asks for one key update once the transfer runs. */
struct job {
	struct xfer x;
	unsigned steps;
	bool asked;
};

static void
job_step(struct pair *p, void *arg)
{
	struct job *j = arg;

	xfer_step(p, &j->x);
	if (!j->asked && ++j->steps == 30)
		j->asked = quic_conn_initiate_key_update(p->cli) == 0;
}

static bool
both_closed(struct pair *p, void *arg)
{
	(void)arg;
	return quic_conn_is_closed(p->cli) && quic_conn_is_closed(p->srv);
}

static void
check_counts(const struct rec *r, const struct quic_conn *c)
{
	struct quic_conn_stats s;

	quic_conn_stats(c, &s);
	cr_assert(eq(u64, r->n[QUIC_QLOG_PACKET_SENT], s.pkts_tx));
	cr_assert(eq(u64, r->n[QUIC_QLOG_PACKET_LOST], s.pkts_lost));
	/*
	 * Reported once authenticated; pkts_rx counts those whose frames were all handled, so a
	 * packet that was dropped, or the one with the peer's CONNECTION_CLOSE (draining from
	 * then on, RFC 9000 §10.2.2), is reported but not in pkts_rx.
	 */
	cr_assert(ge(u64, r->n[QUIC_QLOG_PACKET_RECEIVED], s.pkts_rx));
	cr_assert(le(u64, r->n[QUIC_QLOG_PACKET_RECEIVED], s.pkts_rx + s.pkts_dropped + 1));
	cr_assert(not(r->frameless_packet));
	cr_assert(not(r->time_went_back));
	cr_assert(gt(u64, r->n[QUIC_QLOG_METRICS_UPDATED], 0));
	/* Two one-way delays at least (RFC 9002 §5.2). */
	cr_assert(ge(u64, r->min_rtt_ns, 2 * DELAY_MS * PAIR_MS));
	cr_assert(eq(u64, r->n[QUIC_QLOG_CONNECTION_CLOSED], 1));
	for (int k = QUIC_QLOG_KEY_INITIAL; k <= QUIC_QLOG_KEY_1RTT; k++)
		for (int local = 0; local < 2; local++)
			cr_assert(eq(u32, r->keys_installed[k][local], 1), "key %d local %d", k,
				  local);
	/* RFC 9001 §4.9.1, §4.9.2: Initial and Handshake keys are discarded. */
	for (int k = QUIC_QLOG_KEY_INITIAL; k <= QUIC_QLOG_KEY_HANDSHAKE; k++)
		for (int local = 0; local < 2; local++)
			cr_assert(eq(u32, r->keys_discarded[k][local], 1));
}

/* RFC 9000 §10.2: the closer goes closing -> closed, the peer draining -> closed. */
static void
check_states(const struct rec *r, enum quic_qlog_state middle)
{
	static const enum quic_qlog_state want_head[] = {QUIC_QLOG_ST_HANDSHAKE_COMPLETE,
							 QUIC_QLOG_ST_HANDSHAKE_CONFIRMED};

	cr_assert(not(r->state_chain_broken));
	cr_assert(eq(u32, r->n_states, 4));
	cr_assert(eq(int, r->states[0], want_head[0]));
	cr_assert(eq(int, r->states[1], want_head[1]));
	cr_assert(eq(int, r->states[2], middle));
	cr_assert(eq(int, r->states[3], QUIC_QLOG_ST_CLOSED));
}

HB_TEST(transport_qlog, events_of_a_lossy_transfer_with_key_update)
{
	struct pair_opts o;
	struct pair p;
	struct job j = {0};

	memset(recs, 0, sizeof(recs));
	pair_opts_default(&o, DELAY_MS);
	for (int d = 0; d < 2; d++) {
		o.link[d].loss_permille = 30;
		o.link[d].loss_first = 10;
	}
	o.tweak = tweak;
	pair_init(&p, &o);
	cr_assert(pair_handshake(&p, BUDGET));
	xfer_init(&j.x, 2, 256 * 1024, 256 * 1024, false);
	p.on_step = job_step;
	p.step_arg = &j;
	cr_assert(pair_run(&p, xfer_done, &j.x, BUDGET));
	cr_assert(j.asked);
	cr_assert(eq(int, quic_conn_close(p.cli, 0, "done", p.now), 0));
	p.on_step = NULL;
	cr_assert(pair_run(&p, both_closed, NULL, BUDGET));
	check_counts(&recs[0], p.cli);
	check_counts(&recs[1], p.srv);
	/* Losses happened, so the trace has some. */
	cr_assert(gt(u64, recs[0].n[QUIC_QLOG_PACKET_LOST] + recs[1].n[QUIC_QLOG_PACKET_LOST], 0));
	check_states(&recs[0], QUIC_QLOG_ST_CLOSING);
	check_states(&recs[1], QUIC_QLOG_ST_DRAINING);
	cr_assert(recs[0].close.app);
	cr_assert(not(recs[0].close.remote));
	cr_assert(recs[1].close.remote);
	/* RFC 9001 §6.1: the client started it (local on its side), the server answered. */
	cr_assert(ge(u64, recs[0].max_gen[1], 1));
	cr_assert(ge(u64, recs[1].max_gen[0], 1));
	cr_assert(eq(int, recs[0].gen1_trigger[1], QUIC_QLOG_TRIGGER_LOCAL_UPDATE));
	cr_assert(eq(int, recs[1].gen1_trigger[0], QUIC_QLOG_TRIGGER_REMOTE_UPDATE));
	cr_assert(eq(int, recs[1].gen1_trigger[1], QUIC_QLOG_TRIGGER_REMOTE_UPDATE));
	xfer_free(&j.x);
	pair_free(&p);
	for (int s = 0; s < 2; s++) {
		cr_assert(eq(u32, recs[s].opened, 1));
		cr_assert(eq(u32, recs[s].closed, 1));
		cr_assert(eq(u32, recs[s].after_close, 0));
	}
}

/* A NULL hook, or open() refusing, traces nothing and changes nothing. */
static void *
refuse_open(void *arg, const struct quic_cid *odcid, bool server, uint64_t now_ns)
{
	(void)odcid;
	(void)server;
	(void)now_ns;
	((struct rec *)arg)->opened++;
	return NULL;
}

static const struct quic_qlog_ops refusing = {
	.open = refuse_open, .event = rec_event, .close = rec_close, .arg = recs};

static void
tweak_refuse(void *arg, struct quic_conn_config *client, struct quic_conn_config *server)
{
	(void)arg;
	client->qlog = &refusing;
	server->qlog = NULL;
}

HB_TEST(transport_qlog, off_when_open_refuses)
{
	struct pair_opts o;
	struct pair p;

	memset(recs, 0, sizeof(recs));
	pair_opts_default(&o, DELAY_MS);
	o.tweak = tweak_refuse;
	pair_init(&p, &o);
	cr_assert(pair_handshake(&p, BUDGET));
	pair_free(&p);
	cr_assert(eq(u32, recs[0].opened, 1));
	cr_assert(eq(u32, recs[0].closed, 0));
	for (unsigned t = 0; t <= QUIC_QLOG_KEY_DISCARDED; t++)
		cr_assert(eq(u64, recs[0].n[t], 0));
}
