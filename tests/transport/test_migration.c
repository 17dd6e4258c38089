/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The server's side of a peer address change (RFC 9000 §8.2, §9.3): a NAT rebinding in the
 * middle of a transfer, validated with PATH_CHALLENGE/PATH_RESPONSE; and a spurious migration
 * by an on-path attacker that copies a packet with a spoofed source (§9.3.2), which must not
 * take the connection away from the real client.
 */
#include <string.h>

#include <quic/conn.h>

#include "hb_test.h"
#include "pair.h"
#include "xfer.h"

TestSuite(transport_migration);

#define BUDGET (600000 * PAIR_MS)

struct mig {
	struct xfer x;
	unsigned steps;
	unsigned at; /* step of the event */
	/* spurious migration: a captured client datagram replayed from elsewhere */
	uint8_t copy[SIM_MAX_DGRAM];
	size_t copy_len;
	uint64_t copy_index;
	bool injected;
};

static void
rebind_step(struct pair *p, void *arg)
{
	struct mig *m = arg;

	xfer_step(p, &m->x);
	if (++m->steps == m->at)
		p->spath.remote.port = 61000; /* the client's NAT picked a new port */
}

/* RFC 9000 §9.3: the server follows the client to its new address and validates it. */
HB_TEST(transport_migration, nat_rebinding)
{
	struct pair_opts o;
	struct pair p;
	struct mig m = {.at = 60};
	struct quic_conn_stats ss;

	pair_opts_default(&o, 10);
	pair_init(&p, &o);
	cr_assert(pair_handshake(&p, BUDGET));
	xfer_init(&m.x, 4, 512 * 1024, 512 * 1024, false);
	p.on_step = rebind_step;
	p.step_arg = &m;
	cr_assert(pair_run(&p, xfer_done, &m.x, BUDGET));
	cr_assert(eq(u64, m.x.mismatches, 0));
	cr_assert(eq(u64, m.x.bad_events, 0));
	quic_conn_stats(p.srv, &ss);
	cr_assert(eq(u64, ss.migrations, 1));
	cr_assert(eq(u64, ss.paths_validated, 1));
	cr_assert(eq(u64, ss.paths_failed, 0));
	xfer_free(&m.x);
	pair_free(&p);
}

static bool
capture(void *arg, uint8_t *data, size_t *len, uint64_t index)
{
	struct mig *m = arg;

	if (index == m->copy_index && (data[0] & 0x80) == 0) {
		memcpy(m->copy, data, *len);
		m->copy_len = *len;
	}
	return true;
}

static void
spoof_step(struct pair *p, void *arg)
{
	struct mig *m = arg;
	struct quic_path fake = p->spath;

	xfer_step(p, &m->x);
	if (m->injected || m->copy_len == 0 || p->srv == NULL)
		return;
	/* The attacker's copy arrives first, from an address that is not the client's. */
	fake.remote.ip[3] = 99;
	fake.remote.port = 4444;
	cr_assert(eq(int, quic_conn_recv(p->srv, m->copy, m->copy_len, &fake, p->now), 0));
	m->injected = true;
}

/* RFC 9000 §9.3.2, §9.3.3: the copy moves the server, the real client's next packets bring
 * it back to the validated path, and the transfer never notices. */
HB_TEST(transport_migration, spurious_migration)
{
	struct pair_opts o;
	struct pair p;
	struct mig m = {0};
	struct quic_conn_stats ss;

	pair_opts_default(&o, 10);
	pair_init(&p, &o);
	cr_assert(pair_handshake(&p, BUDGET));
	m.copy_index = p.dir[PAIR_C2S].index + 20;
	p.dir[PAIR_C2S].filter = capture;
	p.dir[PAIR_C2S].filter_arg = &m;
	xfer_init(&m.x, 4, 512 * 1024, 512 * 1024, false);
	p.on_step = spoof_step;
	p.step_arg = &m;
	cr_assert(pair_run(&p, xfer_done, &m.x, BUDGET));
	cr_assert(m.injected);
	cr_assert(eq(u64, m.x.mismatches, 0));
	cr_assert(eq(u64, m.x.bad_events, 0));
	quic_conn_stats(p.srv, &ss);
	cr_assert(ge(u64, ss.migrations, 2));
	cr_assert(eq(u64, ss.paths_validated, 0));
	cr_assert(eq(int, quic_conn_state(p.srv), QUIC_CONN_ESTABLISHED));
	xfer_free(&m.x);
	pair_free(&p);
}
