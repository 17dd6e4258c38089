/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * 1-RTT key updates (RFC 9001 §6) in the middle of transfers: initiated by either side,
 * answered by the other, repeated, with loss and reordering, and every byte still exact.
 */
#include <quic/conn.h>

#include "hb_test.h"
#include "pair.h"
#include "xfer.h"

TestSuite(transport_keys);

#define BUDGET (600000 * PAIR_MS)

/* Ask for a key update every `every` steps, alternating sides. */
struct updater {
	struct xfer x;
	unsigned every;
	unsigned steps;
	unsigned asked;
	unsigned refused;
};

static void
update_step(struct pair *p, void *arg)
{
	struct updater *u = arg;
	struct quic_conn *c;

	xfer_step(p, &u->x);
	if (p->srv == NULL || ++u->steps % u->every != 0)
		return;
	c = (u->steps / u->every) % 2 ? p->cli : p->srv;
	if (quic_conn_initiate_key_update(c) == 0)
		u->asked++;
	else
		u->refused++;
}

static void
run_updates(uint32_t loss_permille, uint64_t reorder_mask, unsigned every, uint64_t bytes)
{
	struct pair_opts o;
	struct pair p;
	struct updater u = {.every = every};
	struct quic_conn_stats cs, ss;
	int d;

	pair_opts_default(&o, 10);
	for (d = 0; d < 2; d++) {
		o.link[d].loss_permille = loss_permille;
		o.link[d].reorder_mask = reorder_mask;
		o.link[d].reorder_ns = 5 * PAIR_MS;
		o.link[d].loss_first = 10;
	}
	pair_init(&p, &o);
	cr_assert(pair_handshake(&p, BUDGET));
	xfer_init(&u.x, 4, bytes, bytes, false);
	p.on_step = update_step;
	p.step_arg = &u;
	cr_assert(pair_run(&p, xfer_done, &u.x, BUDGET));
	cr_assert(eq(u64, u.x.mismatches, 0));
	cr_assert(eq(u64, u.x.bad_events, 0));
	quic_conn_stats(p.cli, &cs);
	quic_conn_stats(p.srv, &ss);
	/* Every update is started by one side and answered by the other: both count it. */
	cr_assert(ge(u64, cs.key_updates, 2));
	cr_assert(ge(u64, ss.key_updates, 2));
	cr_assert(eq(int, quic_conn_state(p.cli), QUIC_CONN_ESTABLISHED));
	cr_assert(eq(int, quic_conn_state(p.srv), QUIC_CONN_ESTABLISHED));
	xfer_free(&u.x);
	pair_free(&p);
}

/* RFC 9001 §6.1, §6.2: initiated by each side in turn and answered. */
HB_TEST(transport_keys, updates_during_transfer)
{
	run_updates(0, 0, 40, 2 * 1024 * 1024);
}

/* RFC 9001 §6.3, §6.5: with loss and reordering, late packets of the old phase still open. */
HB_TEST(transport_keys, updates_with_loss_and_reordering)
{
	run_updates(50, 0x0101010101010101ull, 25, 1024 * 1024);
}

/* RFC 9001 §6.1: not before the handshake is confirmed. */
HB_TEST(transport_keys, update_refused_before_confirmation)
{
	struct pair_opts o;
	struct pair p;

	pair_opts_default(&o, 10);
	pair_init(&p, &o);
	cr_assert(eq(int, quic_conn_initiate_key_update(p.cli), QUIC_ERR_STREAM_STATE));
	cr_assert(pair_handshake(&p, BUDGET));
	cr_assert(eq(int, quic_conn_initiate_key_update(p.cli), 0));
	pair_free(&p);
}
