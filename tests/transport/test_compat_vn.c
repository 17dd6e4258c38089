/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Compatible version negotiation (RFC 9368 §2.3, §4; RFC 9369 §2-§4): a v1 client that lists
 * v2 as available is moved to v2 by a server that prefers v2, from the server's first Initial
 * on; a client that does not list v2, or a server without a preference, keeps v1; a
 * version_information that contradicts the wire closes with VERSION_NEGOTIATION_ERROR.
 */
#include <string.h>

#include <quic/conn.h>
#include <quic/packet.h>

#include "hb_test.h"
#include "pair.h"
#include "xfer.h"

TestSuite(transport_compat_vn);

#define BUDGET (20000 * PAIR_MS)

/* The version of the first long-header datagram each way, as seen on the wire. */
struct wire {
	uint32_t first[2];
};

static uint32_t
long_version(const uint8_t *d, size_t len)
{
	if (len < 5 || (d[0] & 0x80) == 0)
		return 0;
	return (uint32_t)d[1] << 24 | (uint32_t)d[2] << 16 | (uint32_t)d[3] << 8 | d[4];
}

static bool
watch_c2s(void *arg, uint8_t *data, size_t *len, uint64_t index)
{
	struct wire *w = arg;

	if (index == 0)
		w->first[PAIR_C2S] = long_version(data, *len);
	return true;
}

static bool
watch_s2c(void *arg, uint8_t *data, size_t *len, uint64_t index)
{
	struct wire *w = arg;

	if (index == 0)
		w->first[PAIR_S2C] = long_version(data, *len);
	return true;
}

/* How a case configures the two sides. */
struct vcase {
	uint32_t client[2];	/* client versions, 0: unused */
	uint32_t prefer[2];	/* server preferred versions, 0: unused */
	bool tamper_client;	/* client says it chose v2 while it sends v1 */
	uint32_t server_chosen; /* non-zero: the server's version_information names this */
};

static void
set_list(uint32_t *list, size_t *n, const uint32_t *src)
{
	*n = 0;
	for (size_t i = 0; i < 2; i++)
		if (src[i] != 0)
			list[(*n)++] = src[i];
}

static void
tamper(struct quic_tparams *tp, uint32_t chosen, uint32_t a0, uint32_t a1)
{
	tp->version_info.chosen = chosen;
	tp->version_info.available[0] = a0;
	tp->version_info.available[1] = a1;
	tp->version_info.n_available = 2;
	tp->present |= QUIC_TP_BIT(QUIC_TP_VERSION_INFORMATION);
}

static void
tweak(void *arg, struct quic_conn_config *cli, struct quic_conn_config *srv)
{
	const struct vcase *k = arg;

	if (k->client[0] != 0)
		set_list(cli->versions, &cli->n_versions, k->client);
	memcpy(srv->preferred_versions, k->prefer, sizeof(k->prefer)); /* 0-terminated */
	if (k->tamper_client)
		tamper(&cli->tparams, QUIC_VERSION_2, QUIC_VERSION_2, QUIC_VERSION_1);
	if (k->server_chosen != 0)
		tamper(&srv->tparams, k->server_chosen, QUIC_VERSION_1, QUIC_VERSION_2);
}

static void
start(struct pair *p, struct wire *w, struct vcase *k)
{
	struct pair_opts o;

	pair_opts_default(&o, 10);
	o.tweak = tweak;
	o.tweak_arg = k;
	pair_init(p, &o);
	memset(w, 0, sizeof(*w));
	p->dir[PAIR_C2S].filter = watch_c2s;
	p->dir[PAIR_C2S].filter_arg = w;
	p->dir[PAIR_S2C].filter = watch_s2c;
	p->dir[PAIR_S2C].filter_arg = w;
}

/* A handshake and a small transfer; both sides end on want, the client having sent first. */
static void
expect_version(struct vcase *k, uint32_t first_c2s, uint32_t want)
{
	struct pair p;
	struct wire w;
	struct xfer x;
	const struct quic_tparams *tp;

	start(&p, &w, k);
	xfer_init(&x, 1, 2000, 2000, false);
	p.on_step = xfer_step;
	p.step_arg = &x;
	cr_assert(pair_run(&p, xfer_done, &x, BUDGET));
	cr_assert(eq(u64, x.mismatches, 0));
	cr_assert(eq(u32, w.first[PAIR_C2S], first_c2s));
	cr_assert(eq(u32, w.first[PAIR_S2C], want));
	cr_assert(eq(u32, quic_conn_version(p.cli), want));
	cr_assert(eq(u32, quic_conn_version(p.srv), want));
	/* Each side's version_information says what happened (RFC 9368 §3). */
	tp = quic_conn_peer_tparams(p.cli);
	cr_assert(quic_tparams_has(tp, QUIC_TP_VERSION_INFORMATION));
	cr_assert(eq(u32, tp->version_info.chosen, want));
	tp = quic_conn_peer_tparams(p.srv);
	cr_assert(quic_tparams_has(tp, QUIC_TP_VERSION_INFORMATION));
	cr_assert(eq(u32, tp->version_info.chosen, first_c2s));
	cr_assert(eq(u64, p.amp_violations, 0));
	xfer_free(&x);
	pair_free(&p);
}

/* A v1 client offering v2, a server preferring v2: the connection runs on v2. */
HB_TEST(transport_compat_vn, v1_client_moved_to_v2)
{
	struct vcase k = {.client = {QUIC_VERSION_1, QUIC_VERSION_2},
			  .prefer = {QUIC_VERSION_2, QUIC_VERSION_1}};

	expect_version(&k, QUIC_VERSION_1, QUIC_VERSION_2);
}

/* The same client when the server has no preference: v1 stays. */
HB_TEST(transport_compat_vn, no_server_preference_keeps_v1)
{
	struct vcase k = {.client = {QUIC_VERSION_1, QUIC_VERSION_2}};

	expect_version(&k, QUIC_VERSION_1, QUIC_VERSION_1);
}

/* A client that does not offer v2 stays on v1 whatever the server prefers. */
HB_TEST(transport_compat_vn, client_not_offering_v2_stays_v1)
{
	struct vcase k = {.client = {QUIC_VERSION_1}, .prefer = {QUIC_VERSION_2, QUIC_VERSION_1}};

	expect_version(&k, QUIC_VERSION_1, QUIC_VERSION_1);
}

/* v2-only client and a v1-preferring server: it can only be v2. */
HB_TEST(transport_compat_vn, v2_only_client)
{
	struct vcase k = {.client = {QUIC_VERSION_2}, .prefer = {QUIC_VERSION_1}};

	expect_version(&k, QUIC_VERSION_2, QUIC_VERSION_2);
}

/* A v2 client offering v1, a server preferring v1: moved down to v1 (the server's choice). */
HB_TEST(transport_compat_vn, v2_client_moved_to_v1)
{
	struct vcase k = {.client = {QUIC_VERSION_2, QUIC_VERSION_1}, .prefer = {QUIC_VERSION_1}};

	expect_version(&k, QUIC_VERSION_2, QUIC_VERSION_1);
}

static bool
both_closing(struct pair *p, void *arg)
{
	(void)arg;
	return p->srv != NULL && quic_conn_state(p->srv) >= QUIC_CONN_CLOSING &&
	       quic_conn_state(p->cli) >= QUIC_CONN_CLOSING;
}

/* Run until both sides close; server_detects: the server found the mismatch, else the client. */
static void
expect_vn_error(struct vcase *k, bool server_detects)
{
	struct pair p;
	struct wire w;
	struct quic_conn_close_info ci;
	struct quic_conn *det, *other;

	start(&p, &w, k);
	cr_assert(pair_run(&p, both_closing, NULL, BUDGET));
	det = server_detects ? p.srv : p.cli;
	other = server_detects ? p.cli : p.srv;
	cr_assert(quic_conn_close_info(det, &ci));
	cr_assert(not(ci.remote));
	cr_assert(eq(u64, ci.error_code, QUIC_VERSION_NEGOTIATION_ERROR));
	cr_assert(quic_conn_close_info(other, &ci));
	cr_assert(ci.remote);
	cr_assert(eq(u64, ci.error_code, QUIC_VERSION_NEGOTIATION_ERROR));
	cr_assert(not(quic_conn_handshake_confirmed(p.cli)));
	pair_free(&p);
}

/* The client's Chosen Version is not the version of its Initial (RFC 9368 §4): 0x11. */
HB_TEST(transport_compat_vn, tampered_client_chosen)
{
	struct vcase k = {.client = {QUIC_VERSION_1, QUIC_VERSION_2}, .tamper_client = true};

	expect_vn_error(&k, true);
}

/* The server's Chosen Version is not the version in use: the client closes with 0x11. */
HB_TEST(transport_compat_vn, tampered_server_chosen)
{
	struct vcase k = {.client = {QUIC_VERSION_1, QUIC_VERSION_2},
			  .server_chosen = QUIC_VERSION_2};

	expect_vn_error(&k, false);
}

/*
 * The server switched to v2 but its version_information names v1 (a switch it does not
 * confirm, as a downgrade attacker's would look): the client closes with 0x11.
 */
HB_TEST(transport_compat_vn, switch_not_confirmed)
{
	struct vcase k = {.client = {QUIC_VERSION_1, QUIC_VERSION_2},
			  .prefer = {QUIC_VERSION_2},
			  .server_chosen = QUIC_VERSION_1};

	expect_vn_error(&k, false);
}
