/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ECN on receive (RFC 9000 §13.4.1, §19.3.2): the caller passes each datagram's ECN codepoint
 * in struct quic_path; the connection counts ECT(0), ECT(1) and CE per packet number space and
 * sends ACK_ECN frames with those counts, which the peer reads back (quic_conn_stats()).
 */
#include <quic/conn.h>
#include <quic/recovery.h>

#include "hb_test.h"
#include "pair.h"
#include "xfer.h"

TestSuite(transport_ecn, .timeout = 60);

static void
transfer(struct pair *p, struct xfer *x)
{
	xfer_init(x, 2, 20000, 20000, false);
	p->on_step = xfer_step;
	p->step_arg = x;
	cr_assert(pair_run(p, xfer_done, x, 60000 * PAIR_MS));
	cr_assert(eq(u64, x->mismatches, 0));
	xfer_free(x);
}

/* A transfer after the handshake, the datagrams marked ecn_up (to the server) and ecn_down. */
static void
run(uint8_t ecn_up, uint8_t ecn_down, struct quic_conn_stats *cs, struct quic_conn_stats *ss)
{
	struct pair_opts o;
	struct pair p;
	struct xfer x;

	pair_opts_default(&o, 10);
	pair_init(&p, &o);
	cr_assert(pair_handshake(&p, 5000 * PAIR_MS));
	p.spath.ecn = ecn_up;
	p.cpath.ecn = ecn_down;
	transfer(&p, &x);
	pair_run_for(&p, 200 * PAIR_MS); /* the last ACKs */
	quic_conn_stats(p.cli, cs);
	quic_conn_stats(p.srv, ss);
	cr_assert(eq(int, quic_conn_state(p.cli), QUIC_CONN_ESTABLISHED));
	pair_free(&p);
}

HB_TEST(transport_ecn, counts_echoed_in_ack_ecn)
{
	struct quic_conn_stats cs, ss;

	/* Unmarked datagrams: plain ACK frames, no counts. */
	run(QUIC_ECN_NOT_ECT, QUIC_ECN_NOT_ECT, &cs, &ss);
	cr_assert(eq(u64, cs.peer_ect0 + cs.peer_ect1 + cs.peer_ce, 0));
	cr_assert(eq(u64, ss.peer_ect0 + ss.peer_ect1 + ss.peer_ce, 0));

	/* The server sees ECT(0) on every datagram, the client CE. */
	run(QUIC_ECN_ECT0, QUIC_ECN_CE, &cs, &ss);
	/* The server counted ECT(0) packets, none of another kind, at most what it received. */
	cr_assert(gt(u64, cs.peer_ect0, 10));
	cr_assert(le(u64, cs.peer_ect0, ss.pkts_rx));
	cr_assert(eq(u64, cs.peer_ect1, 0));
	cr_assert(eq(u64, cs.peer_ce, 0));
	/* The client counted CE. */
	cr_assert(gt(u64, ss.peer_ce, 10));
	cr_assert(le(u64, ss.peer_ce, cs.pkts_rx));
	cr_assert(eq(u64, ss.peer_ect0, 0));

	/* ECT(1) is counted on its own. */
	run(QUIC_ECN_ECT1, QUIC_ECN_NOT_ECT, &cs, &ss);
	cr_assert(gt(u64, cs.peer_ect1, 10));
	cr_assert(eq(u64, cs.peer_ect0 + cs.peer_ce, 0));
	cr_assert(eq(u64, ss.peer_ect0 + ss.peer_ect1 + ss.peer_ce, 0));
}
