/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Session resumption and 0-RTT (RFC 9001 §4.5, §4.6; RFC 9000 §7.4.1, §12.4, §17.2.3): a first
 * connection hands the client a session (quic_conn_session()), a second one resumes it, with
 * early data accepted, refused by the server's configuration, after a Retry (RFC 9000
 * §17.2.5.3) and over a lossy link; every byte is checked. Bad input B10 and B11 of
 * shared/bad-input.md through real, protected packets.
 */
#include <string.h>

#include <quic/conn.h>
#include <quic/frame.h>

#include "hb_test.h"
#include "pair.h"
#include "xfer.h"

TestSuite(transport_zero_rtt, .timeout = 120);

#define BUDGET (60000 * PAIR_MS)

struct early {
	struct xfer x;
	bool read_before_hs; /* the server application read client bytes before its handshake
			      * completed: they came in 0-RTT */
};

static void
early_step(struct pair *p, void *arg)
{
	struct early *e = arg;
	size_t i;

	xfer_step(p, &e->x);
	for (i = 0; i < e->x.opened && p->srv != NULL; i++)
		if (e->x.st[i].s_rcvd > 0 && quic_conn_state(p->srv) == QUIC_CONN_HANDSHAKE)
			e->read_before_hs = true;
}

static bool
has_session(struct pair *p, void *arg)
{
	size_t len;

	(void)arg;
	return quic_conn_session(p->cli, &len) != NULL && len > 0;
}

/* A full handshake on a fresh pair that issues tickets, until the client holds a session. */
static void
first_connection(struct pair *p, struct pair_opts *o)
{
	cr_assert(not(has_session(p, NULL)));
	cr_assert(pair_handshake(p, BUDGET));
	cr_assert(pair_run(p, has_session, NULL, BUDGET), "no NewSessionTicket");
	(void)o;
	cr_assert(not(quic_conn_resumed(p->cli)));
	cr_assert(not(quic_conn_resumed(p->srv)));
	cr_assert(eq(int, quic_conn_early_data(p->cli), TLS_EARLY_NONE));
}

/* The second connection, resuming the first one's session. */
static void
reconnect(struct pair *p)
{
	size_t len = 0;
	const uint8_t *s = quic_conn_session(p->cli, &len);

	cr_assert(s != NULL);
	pair_reconnect(p, s, len);
}

static void
setup(struct pair *p, bool early_data)
{
	struct pair_opts o;

	pair_opts_default(&o, 10);
	o.tickets = true;
	o.early_data = early_data;
	pair_init(p, &o);
	first_connection(p, &o);
}

/* Resumption without early data: PSK on both sides, no 0-RTT attempted. */
HB_TEST(transport_zero_rtt, resume)
{
	struct pair p;
	struct quic_conn_stats st;
	struct quic_event ev;
	bool saw_session = false;

	setup(&p, false);
	while (quic_conn_poll_event(p.cli, &ev))
		saw_session |= ev.type == QUIC_EV_SESSION;
	cr_assert(saw_session);
	reconnect(&p);
	cr_assert(pair_handshake(&p, BUDGET));
	/* The PSK was accepted on both sides: the server sent no certificate (RFC 9846 §2.2). */
	cr_assert(quic_conn_resumed(p.cli));
	cr_assert(quic_conn_resumed(p.srv));
	cr_assert(eq(int, quic_conn_early_data(p.cli), TLS_EARLY_NONE));
	quic_conn_stats(p.cli, &st);
	cr_assert(eq(u64, st.pkts_0rtt_tx, 0));
	pair_free(&p);
}

/* A new connection without the session: a full handshake. */
HB_TEST(transport_zero_rtt, no_session_full_handshake)
{
	struct pair p;

	setup(&p, true);
	pair_reconnect(&p, NULL, 0);
	cr_assert(pair_handshake(&p, BUDGET));
	cr_assert(not(quic_conn_resumed(p.srv)));
	cr_assert(eq(int, quic_conn_early_data(p.srv), TLS_EARLY_NONE));
	pair_free(&p);
}

/* The second connection writes streams of up bytes (down back) in 0-RTT; cs/ss: stats after. */
static void
run_early(struct pair *p, struct early *e, size_t streams, uint64_t up, uint64_t down,
	  struct quic_conn_stats *cs, struct quic_conn_stats *ss)
{
	memset(e, 0, sizeof(*e));
	xfer_init(&e->x, streams, up, down, false);
	e->x.early = true;
	p->on_step = early_step;
	p->step_arg = e;
	reconnect(p);
	/* The application writes before the first flight leaves: 0-RTT. */
	early_step(p, e);
	cr_assert(eq(sz, e->x.opened, streams), "streams not opened before the handshake");
	cr_assert(pair_run(p, xfer_done, &e->x, BUDGET), "transfer not done");
	cr_assert(eq(u64, e->x.mismatches, 0));
	cr_assert(eq(u64, e->x.bad_events, 0));
	cr_assert(eq(u64, p->amp_violations, 0));
	quic_conn_stats(p->cli, cs);
	quic_conn_stats(p->srv, ss);
}

/* Accepted: the server application gets the early bytes before its handshake completes. */
HB_TEST(transport_zero_rtt, accepted)
{
	struct pair p;
	struct early e;
	struct quic_conn_stats cs, ss;

	setup(&p, true);
	run_early(&p, &e, 2, 3000, 1000, &cs, &ss);
	cr_assert(eq(int, quic_conn_early_data(p.cli), TLS_EARLY_ACCEPTED));
	cr_assert(eq(int, quic_conn_early_data(p.srv), TLS_EARLY_ACCEPTED));
	cr_assert(quic_conn_resumed(p.srv));
	cr_assert(gt(u64, cs.pkts_0rtt_tx, 0));
	cr_assert(gt(u64, ss.pkts_0rtt_rx, 0));
	cr_assert(e.read_before_hs);
	xfer_free(&e.x);
	pair_free(&p);
}

/* Refused by the server's configuration: the same bytes arrive, in 1-RTT (RFC 9001 §4.6.2). */
HB_TEST(transport_zero_rtt, rejected_by_config)
{
	struct pair p;
	struct early e;
	struct quic_conn_stats cs, ss;

	setup(&p, true);
	p.scfg.reject_early_data = true;
	run_early(&p, &e, 2, 3000, 1000, &cs, &ss);
	cr_assert(eq(int, quic_conn_early_data(p.cli), TLS_EARLY_REJECTED));
	cr_assert(quic_conn_resumed(p.srv)); /* the PSK still counts; only 0-RTT was refused */
	cr_assert(gt(u64, cs.pkts_0rtt_tx, 0));
	cr_assert(eq(u64, ss.pkts_0rtt_rx, 0));
	cr_assert(gt(u64, ss.pkts_dropped, 0)); /* the 0-RTT packets, refused */
	cr_assert(not(e.read_before_hs));
	xfer_free(&e.x);
	pair_free(&p);
}

/*
 * RFC 9000 §7.4.1: a server whose limits went below the remembered ones must not accept 0-RTT;
 * it refuses, and the bytes still arrive.
 */
HB_TEST(transport_zero_rtt, rejected_lower_limits)
{
	struct pair p;
	struct early e;
	struct quic_conn_stats cs, ss;

	setup(&p, true);
	cr_assert(eq(int,
		     quic_tparams_set_int(&p.scfg.tparams, QUIC_TP_INITIAL_MAX_STREAMS_BIDI,
					  QUIC_CONN_DEFAULT_MAX_STREAMS - 1),
		     0));
	run_early(&p, &e, 2, 3000, 1000, &cs, &ss);
	cr_assert(eq(int, quic_conn_early_data(p.cli), TLS_EARLY_REJECTED));
	cr_assert(eq(int, quic_conn_early_data(p.srv), TLS_EARLY_REJECTED));
	cr_assert(eq(u64, ss.pkts_0rtt_rx, 0));
	cr_assert(gt(u64, cs.pkts_0rtt_tx, 0)); /* sent, refused, then carried in 1-RTT */
	xfer_free(&e.x);
	pair_free(&p);
}

/* A Retry after the first flight: 0-RTT goes again behind the new Initial (§17.2.5.3). */
HB_TEST(transport_zero_rtt, after_retry)
{
	struct pair p;
	struct early e;
	struct quic_conn_stats cs, ss;

	setup(&p, true);
	p.retry = true;
	run_early(&p, &e, 1, 2000, 500, &cs, &ss);
	cr_assert(quic_conn_retried(p.cli));
	cr_assert(eq(int, quic_conn_early_data(p.cli), TLS_EARLY_ACCEPTED));
	cr_assert(gt(u64, p.screen_replies, 0)); /* the Retry: the first 0-RTT was dropped */
	cr_assert(gt(u64, ss.pkts_0rtt_rx, 0));
	cr_assert(e.read_before_hs);
	xfer_free(&e.x);
	pair_free(&p);
}

/*
 * Loss: the first datagram (Initial and 0-RTT) and a later one are lost. 0-RTT datagrams that
 * reach the server before any Initial are dropped by the screening (counted), the rest is
 * recovered; the bytes still arrive whole.
 */
HB_TEST(transport_zero_rtt, with_loss)
{
	struct pair p;
	struct early e;
	struct quic_conn_stats cs, ss;

	setup(&p, true);
	p.link[PAIR_C2S].loss_mask = 0x1 | 0x10;
	run_early(&p, &e, 3, 6000, 2000, &cs, &ss);
	cr_assert(eq(int, quic_conn_early_data(p.cli), TLS_EARLY_ACCEPTED));
	cr_assert(gt(u64, cs.pkts_0rtt_tx, 0));
	cr_assert(ge(u64, p.dir[PAIR_C2S].dropped, 2));
	cr_assert(gt(u64, p.screen_drops, 0));
	cr_assert(gt(u64, cs.pkts_lost, 0));
	cr_assert(gt(u64, ss.pkts_0rtt_rx, 0));
	xfer_free(&e.x);
	pair_free(&p);
}

static bool
server_closing(struct pair *p, void *arg)
{
	(void)arg;
	return p->srv != NULL && quic_conn_state(p->srv) >= QUIC_CONN_CLOSING;
}

static bool
client_closing(struct pair *p, void *arg)
{
	(void)arg;
	return quic_conn_state(p->cli) >= QUIC_CONN_CLOSING;
}

static void
expect_server_close(struct pair *p, uint64_t code, uint64_t frame_type)
{
	struct quic_conn_close_info ci;

	cr_assert(pair_run(p, server_closing, NULL, BUDGET));
	cr_assert(quic_conn_close_info(p->srv, &ci));
	cr_assert(not(ci.remote));
	cr_assert(eq(u64, ci.error_code, code));
	cr_assert(eq(u64, ci.frame_type, frame_type));
	/* The client is told, and drains. */
	cr_assert(pair_run(p, client_closing, NULL, BUDGET));
	cr_assert(quic_conn_close_info(p->cli, &ci));
	cr_assert(ci.remote);
	cr_assert(eq(u64, ci.error_code, code));
}

/* B11: a CRYPTO frame in a 0-RTT packet is a PROTOCOL_VIOLATION (RFC 9000 §12.4, §17.2.3). */
HB_TEST(transport_zero_rtt, b11_crypto_in_zero_rtt)
{
	static const uint8_t frames[] = {QUIC_FRAME_CRYPTO, 0x00, 0x01, 0x00};
	struct pair p;

	setup(&p, true);
	reconnect(&p);
	pair_flush(&p, p.cli, PAIR_C2S); /* the Initial first: the server gets 0-RTT keys */
	cr_assert(eq(int,
		     quic_conn_inject_frames_for_test(p.cli, QUIC_PKT_0RTT, frames, sizeof(frames)),
		     0));
	expect_server_close(&p, QUIC_PROTOCOL_VIOLATION, QUIC_FRAME_CRYPTO);
	pair_free(&p);
}

/*
 * B10: an EndOfEarlyData message (RFC 9001 §8.3: QUIC clients never send it) in the client's
 * Handshake CRYPTO stream, during a 0-RTT handshake: unexpected_message, CRYPTO_ERROR 0x010a.
 */
HB_TEST(transport_zero_rtt, b10_end_of_early_data)
{
	static const uint8_t frames[] = {QUIC_FRAME_CRYPTO, 0x00, 0x04, 0x05, 0x00, 0x00, 0x00};
	struct pair p;
	struct early e;

	setup(&p, true);
	memset(&e, 0, sizeof(e));
	xfer_init(&e.x, 1, 100, 0, false);
	e.x.early = true;
	reconnect(&p);
	early_step(&p, &e);
	cr_assert(eq(
		int,
		quic_conn_inject_frames_for_test(p.cli, QUIC_PKT_HANDSHAKE, frames, sizeof(frames)),
		0));
	expect_server_close(&p, QUIC_CRYPTO_ERROR_BASE + 10, QUIC_FRAME_CRYPTO);
	xfer_free(&e.x);
	pair_free(&p);
}

/* The server never sends 0-RTT, and a client drops any 0-RTT packet it receives. */
HB_TEST(transport_zero_rtt, server_sends_none)
{
	struct pair p;
	struct early e;
	struct quic_conn_stats cs, ss;

	setup(&p, true);
	run_early(&p, &e, 1, 500, 500, &cs, &ss);
	cr_assert(eq(u64, ss.pkts_0rtt_tx, 0));
	cr_assert(eq(u64, cs.pkts_0rtt_rx, 0));
	cr_assert(eq(int, quic_conn_inject_frames_for_test(p.srv, QUIC_PKT_0RTT, NULL, 0),
		     QUIC_ERR_INVAL));
	xfer_free(&e.x);
	pair_free(&p);
}
