/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Address validation and version selection before a connection exists: Retry (RFC 9000
 * §8.1.2, §17.2.5; RFC 9001 §5.8), NEW_TOKEN (§8.1.3, §19.7) and Version Negotiation (§6),
 * with the server screening first datagrams through quic_server_screen() as a dataplane does.
 */
#include <string.h>

#include <quic/conn.h>
#include <quic/packet.h>

#include "hb_test.h"
#include "pair.h"

TestSuite(transport_retry);

#define BUDGET (20000 * PAIR_MS)

static int
str_cmp(const char *a, const char *b)
{
	return a == NULL || b == NULL ? -1 : strcmp(a, b);
}

/* RFC 9000 §8.1.2, §7.3: a Retry round trip, then the handshake; the CIDs add up. */
HB_TEST(transport_retry, retry_handshake)
{
	struct pair_opts o;
	struct pair p;
	const struct quic_tparams *tp;

	pair_opts_default(&o, 10);
	o.retry = true;
	pair_init(&p, &o);
	cr_assert(pair_handshake(&p, BUDGET));
	cr_assert(eq(u64, p.screen_replies, 1));
	cr_assert(eq(u64, p.tokens_issued, 1));
	cr_assert(ge(u64, p.tokens_valid, 1));
	cr_assert(quic_conn_retried(p.cli));
	/* The token proved the address: no amplification limit from the first datagram. */
	cr_assert(quic_conn_path_validated(p.srv));
	tp = quic_conn_peer_tparams(p.cli);
	cr_assert(tp != NULL);
	cr_assert(quic_tparams_has(tp, QUIC_TP_RETRY_SCID));
	cr_assert(quic_tparams_equal(tp, quic_conn_local_tparams(p.srv)));
	cr_assert(eq(int, str_cmp(quic_conn_alpn(p.cli), "hq-interop"), 0));
	cr_assert(eq(u64, p.amp_violations, 0));
	pair_free(&p);
}

/* The Retry itself lost, and then the client's answer: PTO brings both back. */
HB_TEST(transport_retry, retry_lost)
{
	struct pair_opts o;
	struct pair p;

	pair_opts_default(&o, 10);
	o.retry = true;
	o.link[PAIR_S2C].loss_mask = 0x1;
	o.link[PAIR_C2S].loss_mask = 0x2;
	pair_init(&p, &o);
	cr_assert(pair_handshake(&p, BUDGET));
	cr_assert(quic_conn_retried(p.cli));
	cr_assert(ge(u64, p.screen_replies, 2));
	pair_free(&p);
}

/* A Retry that fails its integrity tag is discarded (RFC 9000 §17.2.5.2, RFC 9001 §5.8). */
static bool
break_retry_tag(void *arg, uint8_t *data, size_t *len, uint64_t index)
{
	unsigned *broken = arg;

	if (index == 0 && *len > 16 && (data[0] & 0x80) != 0) {
		data[*len - 1] ^= 1;
		(*broken)++;
	}
	return true;
}

HB_TEST(transport_retry, retry_bad_tag_ignored)
{
	struct pair_opts o;
	struct pair p;
	unsigned broken = 0;

	pair_opts_default(&o, 10);
	o.retry = true;
	pair_init(&p, &o);
	p.dir[PAIR_S2C].filter = break_retry_tag;
	p.dir[PAIR_S2C].filter_arg = &broken;
	/* The client ignores the bad Retry, its PTO resends the Initial, a good Retry follows. */
	cr_assert(pair_handshake(&p, BUDGET));
	cr_assert(eq(u32, broken, 1));
	cr_assert(ge(u64, p.screen_replies, 2));
	cr_assert(quic_conn_retried(p.cli));
	pair_free(&p);
}

static void
send_new_token(void *arg, struct quic_conn_config *cli, struct quic_conn_config *srv)
{
	(void)arg;
	(void)cli;
	srv->send_new_token = true;
}

/* RFC 9000 §8.1.3: a NEW_TOKEN token lets the next connection skip the Retry. */
HB_TEST(transport_retry, new_token_skips_retry)
{
	struct pair_opts o;
	struct pair p, q;
	struct quic_event ev;
	const uint8_t *tok;
	size_t tok_len = 0;
	bool got = false;

	pair_opts_default(&o, 10);
	o.retry = true;
	o.tweak = send_new_token;
	pair_init(&p, &o);
	cr_assert(pair_handshake(&p, BUDGET));
	pair_step(&p);
	pair_step(&p);
	while (quic_conn_poll_event(p.cli, &ev))
		got |= ev.type == QUIC_EV_NEW_TOKEN;
	cr_assert(got);
	tok = quic_conn_new_token(p.cli, &tok_len);
	cr_assert(gt(sz, tok_len, 0));

	pair_init(&q, &o);
	cr_assert(eq(int, quic_conn_set_token(q.cli, tok, tok_len), 0));
	cr_assert(pair_handshake(&q, BUDGET));
	cr_assert(eq(u64, q.screen_replies, 0));
	cr_assert(not(quic_conn_retried(q.cli)));
	cr_assert(quic_conn_path_validated(q.srv));
	pair_free(&q);
	pair_free(&p);
}

static void
server_v1_client_v2(void *arg, struct quic_conn_config *cli, struct quic_conn_config *srv)
{
	(void)arg;
	cli->versions[0] = QUIC_VERSION_2;
	cli->versions[1] = QUIC_VERSION_1;
	cli->n_versions = 2;
	srv->versions[0] = QUIC_VERSION_1;
	srv->n_versions = 1;
}

/* RFC 9000 §6: the server answers an unsupported version with a VN; the client moves on. */
HB_TEST(transport_retry, version_negotiation)
{
	struct pair_opts o;
	struct pair p;

	pair_opts_default(&o, 10);
	o.tweak = server_v1_client_v2;
	pair_init(&p, &o);
	cr_assert(pair_handshake(&p, BUDGET));
	cr_assert(eq(u64, p.screen_replies, 1));
	cr_assert(eq(u32, quic_conn_version(p.cli), QUIC_VERSION_1));
	cr_assert(eq(u32, quic_conn_version(p.srv), QUIC_VERSION_1));
	cr_assert(eq(u64, p.amp_violations, 0));
	pair_free(&p);
}

static void
no_common_version(void *arg, struct quic_conn_config *cli, struct quic_conn_config *srv)
{
	(void)arg;
	cli->versions[0] = QUIC_VERSION_2;
	cli->n_versions = 1;
	srv->versions[0] = QUIC_VERSION_1;
	srv->n_versions = 1;
}

static bool
cli_closed(struct pair *p, void *arg)
{
	(void)arg;
	return quic_conn_is_closed(p->cli);
}

/* No version in common: the attempt ends, nothing more is sent. */
HB_TEST(transport_retry, version_negotiation_fails)
{
	struct pair_opts o;
	struct pair p;
	struct quic_conn_close_info ci;

	pair_opts_default(&o, 10);
	o.tweak = no_common_version;
	pair_init(&p, &o);
	cr_assert(pair_run(&p, cli_closed, NULL, BUDGET));
	cr_assert(quic_conn_close_info(p.cli, &ci));
	cr_assert(eq(u64, ci.error_code, QUIC_CONNECTION_REFUSED));
	cr_assert(eq(ptr, p.srv, NULL));
	pair_free(&p);
}

/* quic_server_screen() on its own: bad-input A4-A8, A11. */
HB_TEST(transport_retry, screen_rows)
{
	struct pair_opts o;
	struct pair p;
	uint8_t d[1500], out[QUIC_RETRY_MAX_LEN];
	size_t lens[2], out_len = 0, len;
	struct quic_path path;
	struct quic_packet_hdr h;

	pair_opts_default(&o, 1);
	pair_init(&p, &o);
	cr_assert(eq(int, quic_conn_write(p.cli, d, sizeof(d), 1452, lens, 2, &path, p.now), 1));
	len = lens[0];
	/* A11: no token and a Retry required. */
	cr_assert(eq(int,
		     quic_server_screen(&p.scfg, true, d, len, &p.spath, p.now, out, sizeof(out),
					&out_len),
		     QUIC_SCREEN_REPLY));
	cr_assert(eq(int, quic_packet_parse(out, out_len, 0, &h), 0));
	cr_assert(eq(int, h.type, QUIC_PKT_RETRY));
	/* Accepted without a Retry requirement. */
	cr_assert(eq(int,
		     quic_server_screen(&p.scfg, false, d, len, &p.spath, p.now, out, sizeof(out),
					&out_len),
		     QUIC_SCREEN_ACCEPT));
	/* A7: an Initial in a datagram below 1200 bytes. */
	cr_assert(eq(int,
		     quic_server_screen(&p.scfg, false, d, 1199, &p.spath, p.now, out, sizeof(out),
					&out_len),
		     QUIC_SCREEN_DROP));
	/* A4: an unknown version at 1200 bytes and more: a VN listing ours. */
	d[1] = 0x1a;
	cr_assert(eq(int,
		     quic_server_screen(&p.scfg, false, d, len, &p.spath, p.now, out, sizeof(out),
					&out_len),
		     QUIC_SCREEN_REPLY));
	cr_assert(eq(int, quic_packet_parse(out, out_len, 0, &h), 0));
	cr_assert(eq(int, h.type, QUIC_PKT_VN));
	cr_assert(eq(sz, h.n_versions, 2));
	/* A5: the same below 1200 bytes. */
	cr_assert(eq(int,
		     quic_server_screen(&p.scfg, false, d, 1100, &p.spath, p.now, out, sizeof(out),
					&out_len),
		     QUIC_SCREEN_DROP));
	/* A6: a VN is never answered. */
	memcpy(d, out, out_len);
	cr_assert(eq(int,
		     quic_server_screen(&p.scfg, false, d, 1200, &p.spath, p.now, out, sizeof(out),
					&out_len),
		     QUIC_SCREEN_DROP));
	pair_free(&p);
}
