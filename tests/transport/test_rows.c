/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Transport rows of shared/bad-input.md section C that need more than one injected frame:
 * 1-RTT packets sealed by the test itself with keys from the client's key log (old keys above
 * a key update, C31; an apparent update that does not open, C33), forged packets up to the
 * integrity limit and sealed packets up to the confidentiality limit (C32, with the limits
 * lowered through the configuration), and PATH_CHALLENGE answered on the path it came from
 * (RFC 9000 §8.2.2), also when flooded while our congestion window is starved (C28).
 */
#include <string.h>

#include <crypto/crypto.h>
#include <crypto/tls.h>
#include <quic/conn.h>
#include <quic/packet.h>

#include "hb_test.h"
#include "pair.h"
#include "xfer.h"

TestSuite(transport_rows);

#define BUDGET (60000 * PAIR_MS)

/* ---- 1-RTT packets sealed with the client's own secrets ---- */

struct keylog_cap {
	uint8_t secret[CRYPTO_MAX_SECRET_LEN]; /* CLIENT_TRAFFIC_SECRET_0 */
	size_t len;
};

static void
on_keylog(void *arg, const char *label, const uint8_t client_random[32], const uint8_t *secret,
	  size_t len)
{
	struct keylog_cap *k = arg;

	(void)client_random;
	if (strcmp(label, "CLIENT_TRAFFIC_SECRET_0") == 0 && len <= sizeof(k->secret)) {
		memcpy(k->secret, secret, len);
		k->len = len;
	}
}

/* A handshaken pair whose client 1-RTT secret the test knows (AES-128-GCM, the default). */
static void
setup_keylog(struct pair *p, struct keylog_cap *k)
{
	struct pair_opts o;
	struct tls_keylog kl = {.fn = on_keylog, .arg = k};

	pair_opts_default(&o, 10);
	pair_init(p, &o);
	tls_client_config_set_keylog(p->tls_cli, &kl);
	cr_assert(pair_handshake(p, BUDGET));
	cr_assert(eq(sz, k->len, 32));
	pair_drain_events(p->cli);
	pair_drain_events(p->srv);
}

/*
 * A 1-RTT packet from the client (PING and padding) sealed with the key of generation gen
 * (RFC 9001 §6.1), key phase bit phase, packet number pn. @return its length
 */
static size_t
client_packet(struct pair *p, const struct keylog_cap *k, unsigned gen, bool phase, uint64_t pn,
	      uint8_t *buf, size_t cap)
{
	const enum crypto_suite suite = CRYPTO_SUITE_AES_128_GCM_SHA256;
	const struct quic_cid *dcid = quic_conn_dcid(p->cli);
	uint32_t v = quic_conn_version(p->cli);
	struct quic_packet_out out = {.type = QUIC_PKT_1RTT,
				      .dcid = dcid->data,
				      .dcid_len = dcid->len,
				      .pn = pn,
				      .pn_len = 4,
				      .key_phase = phase};
	struct crypto_quic_keys k0, kg;
	struct quic_packet_layout lay;
	uint8_t s[CRYPTO_MAX_SECRET_LEN], next[CRYPTO_MAX_SECRET_LEN];
	struct crypto_aead *aead = NULL;
	struct crypto_hp *hp = NULL;
	size_t len = 0;

	memcpy(s, k->secret, k->len);
	cr_assert(eq(int, crypto_quic_derive_keys(p->ctx, v, suite, s, k->len, &k0), 0));
	for (unsigned g = 0; g < gen; g++) {
		cr_assert(eq(int, crypto_quic_key_update(p->ctx, v, suite, s, k->len, next), 0));
		memcpy(s, next, k->len);
	}
	cr_assert(eq(int, crypto_quic_derive_keys(p->ctx, v, suite, s, k->len, &kg), 0));
	/* The header protection key never changes (RFC 9001 §6.6): generation 0's. */
	cr_assert(eq(int, crypto_hp_new(&hp, p->ctx, suite, k0.hp), 0));
	cr_assert(eq(int, crypto_aead_new(&aead, p->ctx, suite, kg.key, kg.iv), 0));
	cr_assert(eq(int, quic_packet_write_header(buf, cap, &out, &lay), 0));
	memset(buf + lay.hdr_len, 0, 40); /* PADDING */
	buf[lay.hdr_len] = 0x01;	  /* PING */
	cr_assert(eq(int, quic_packet_protect(buf, cap, &lay, 40, aead, hp, &len), 0));
	crypto_aead_free(aead);
	crypto_hp_free(hp);
	return len;
}

static bool
srv_closing_both(struct pair *p, void *arg)
{
	(void)arg;
	return quic_conn_state(p->srv) >= QUIC_CONN_CLOSING &&
	       quic_conn_state(p->cli) >= QUIC_CONN_CLOSING;
}

/* The server closed with code: closing, and its CONNECTION_CLOSE reaches the client. */
static void
expect_srv_closed(struct pair *p, uint64_t code)
{
	struct quic_conn_close_info si, ci;

	cr_assert(eq(int, quic_conn_state(p->srv), QUIC_CONN_CLOSING));
	cr_assert(quic_conn_close_info(p->srv, &si));
	cr_assert(not(si.remote));
	cr_assert(eq(u64, si.error_code, code));
	cr_assert(pair_run(p, srv_closing_both, NULL, BUDGET));
	cr_assert(eq(int, quic_conn_state(p->cli), QUIC_CONN_DRAINING));
	cr_assert(quic_conn_close_info(p->cli, &ci));
	cr_assert(ci.remote);
	cr_assert(eq(u64, ci.error_code, code));
}

/* The client updates its keys and the server follows (RFC 9001 §6.2). */
static bool
srv_updated(struct pair *p, void *arg)
{
	struct quic_conn_stats ss;

	(void)arg;
	quic_conn_stats(p->srv, &ss);
	return ss.key_updates >= 1;
}

/* A packet number above every one the client used so far. */
static uint64_t
pn_above(struct pair *p)
{
	struct quic_conn_stats cs;

	quic_conn_stats(p->cli, &cs);
	return cs.pkts_tx + 10;
}

/*
 * C31, RFC 9001 §6.4: after the update, a packet of the old phase above the first packet
 * number of the new phase opens only with the old key: KEY_UPDATE_ERROR (0x0e).
 */
HB_TEST(transport_rows, old_key_above_new_phase_is_key_update_error)
{
	struct keylog_cap k = {0};
	struct quic_conn_stats before, after;
	uint8_t pkt[256];
	struct pair p;
	size_t len;
	uint64_t pn;

	setup_keylog(&p, &k);
	cr_assert(eq(int, quic_conn_initiate_key_update(p.cli), 0));
	cr_assert(pair_run(&p, srv_updated, NULL, BUDGET));
	/* The helper seals right: the current generation opens and is processed. */
	pn = pn_above(&p);
	quic_conn_stats(p.srv, &before);
	len = client_packet(&p, &k, 1, true, pn, pkt, sizeof(pkt));
	cr_assert(eq(int, quic_conn_recv(p.srv, pkt, len, &p.spath, p.now), 0));
	quic_conn_stats(p.srv, &after);
	cr_assert(eq(u64, after.pkts_rx, before.pkts_rx + 1));
	cr_assert(eq(int, quic_conn_state(p.srv), QUIC_CONN_ESTABLISHED));
	/* The old phase above the new phase's first packet number. */
	len = client_packet(&p, &k, 0, false, pn + 1, pkt, sizeof(pkt));
	cr_assert(eq(int, quic_conn_recv(p.srv, pkt, len, &p.spath, p.now), 0));
	expect_srv_closed(&p, 0x0e); /* KEY_UPDATE_ERROR */
	pair_free(&p);
}

/*
 * C33, RFC 9001 §6.3, §9.5: an apparent key update (the other phase, a new packet number)
 * that does not open is dropped: no update, no close; and when the previous key is kept too,
 * a packet that neither key opens is dropped as well.
 */
/* A packet of generation gen with phase bit phase that the server must drop, and only that. */
static void
expect_dropped(struct pair *p, const struct keylog_cap *k, unsigned gen, bool phase)
{
	struct quic_conn_stats before, after;
	uint8_t pkt[256];
	size_t len;

	quic_conn_stats(p->srv, &before);
	len = client_packet(p, k, gen, phase, pn_above(p), pkt, sizeof(pkt));
	cr_assert(eq(int, quic_conn_recv(p->srv, pkt, len, &p->spath, p->now), 0));
	quic_conn_stats(p->srv, &after);
	cr_assert(eq(u64, after.pkts_decrypt_fail, before.pkts_decrypt_fail + 1));
	cr_assert(eq(u64, after.pkts_rx, before.pkts_rx));
	cr_assert(eq(u64, after.key_updates, before.key_updates));
	cr_assert(eq(int, quic_conn_state(p->srv), QUIC_CONN_ESTABLISHED));
}

HB_TEST(transport_rows, failed_apparent_update_dropped)
{
	struct keylog_cap k = {0};
	struct pair p;

	setup_keylog(&p, &k);
	/* Phase 1 but sealed with generation 3: neither the current nor the next key. */
	expect_dropped(&p, &k, 3, true);
	/* After a real update, the previous key is kept: phase 0 with generation 4 opens with
	 * neither the next (2) nor the previous (0) key. */
	cr_assert(eq(int, quic_conn_initiate_key_update(p.cli), 0));
	cr_assert(pair_run(&p, srv_updated, NULL, BUDGET));
	expect_dropped(&p, &k, 4, false);
	pair_free(&p);
}

/* ---- AEAD limits (RFC 9001 §6.6, C32) ---- */

static void
low_limits(void *arg, struct quic_conn_config *cli, struct quic_conn_config *srv)
{
	const uint64_t *lim = arg;

	cli->aead_confidentiality_limit = lim[0];
	srv->aead_integrity_limit = lim[1];
}

/* A short-header datagram to the server's CID whose protection is random bytes. */
static size_t
forged_packet(struct pair *p, uint64_t i, uint8_t *buf)
{
	const struct quic_cid *dcid = quic_conn_dcid(p->cli);
	size_t n = 0;

	buf[n++] = 0x40 | (uint8_t)(i & 0x1f);
	memcpy(buf + n, dcid->data, dcid->len);
	n += dcid->len;
	for (size_t j = 0; j < 48; j++)
		buf[n++] = (uint8_t)((i * 131 + j * 29 + 7) ^ (i >> 3));
	return n;
}

/* C32: forged 1-RTT packets up to the integrity limit close with AEAD_LIMIT_REACHED. */
HB_TEST(transport_rows, integrity_limit_closes)
{
	uint64_t lim[2] = {0, 40};
	struct quic_conn_stats ss;
	struct pair_opts o;
	uint8_t buf[128];
	struct pair p;
	uint64_t i;

	pair_opts_default(&o, 10);
	o.tweak = low_limits;
	o.tweak_arg = lim;
	pair_init(&p, &o);
	cr_assert(pair_handshake(&p, BUDGET));
	for (i = 0; i + 1 < lim[1]; i++)
		cr_assert(eq(int,
			     quic_conn_recv(p.srv, buf, forged_packet(&p, i, buf), &p.spath, p.now),
			     0));
	quic_conn_stats(p.srv, &ss);
	cr_assert(eq(u64, ss.pkts_decrypt_fail, lim[1] - 1));
	cr_assert(eq(int, quic_conn_state(p.srv), QUIC_CONN_ESTABLISHED));
	cr_assert(
		eq(int, quic_conn_recv(p.srv, buf, forged_packet(&p, i, buf), &p.spath, p.now), 0));
	expect_srv_closed(&p, 0x0f); /* AEAD_LIMIT_REACHED */
	pair_free(&p);
}

/*
 * C32, RFC 9001 §6.6: a client allowed 400 packets per key updates its keys before that, again
 * and again over a transfer of over a thousand packets, and never has to stop. (A 20 Mbit/s
 * link keeps a flight well below the half limit left when the update starts.)
 */
HB_TEST(transport_rows, confidentiality_limit_updates_keys)
{
	uint64_t lim[2] = {400, 0};
	struct quic_conn_stats cs;
	struct pair_opts o;
	struct xfer x;
	struct pair p;

	pair_opts_default(&o, 10);
	o.tweak = low_limits;
	o.tweak_arg = lim;
	for (int d = 0; d < 2; d++) {
		o.link[d].bandwidth_bps = 20000000;
		o.link[d].queue_bytes = 64 * 1024;
	}
	pair_init(&p, &o);
	cr_assert(pair_handshake(&p, BUDGET));
	xfer_init(&x, 2, 2 * 1024 * 1024, 64 * 1024, false);
	p.on_step = xfer_step;
	p.step_arg = &x;
	cr_assert(pair_run(&p, xfer_done, &x, 600000 * PAIR_MS));
	cr_assert(eq(u64, x.mismatches, 0));
	quic_conn_stats(p.cli, &cs);
	/* Over 1400 packets at most 400 per key: at least 3 updates. */
	cr_assert(gt(u64, cs.pkts_tx, 1400));
	cr_assert(ge(u64, cs.key_updates, cs.pkts_tx / 400));
	cr_assert(eq(int, quic_conn_state(p.cli), QUIC_CONN_ESTABLISHED));
	cr_assert(eq(int, quic_conn_state(p.srv), QUIC_CONN_ESTABLISHED));
	xfer_free(&x);
	pair_free(&p);
}
