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
#include <quic/cid.h>
#include <quic/conn.h>
#include <quic/frame.h>
#include <quic/packet.h>
#include <quic/qlog.h>
#include <quic/tparams.h>

#include "hb_test.h"
#include "pair.h"
#include "xfer.h"

TestSuite(transport_rows);

#define BUDGET (60000 * PAIR_MS)

/* ---- 1-RTT packets sealed with the client's own secrets ---- */

struct keylog_cap {
	uint8_t secret[CRYPTO_MAX_SECRET_LEN]; /* CLIENT_TRAFFIC_SECRET_0 */
	size_t len;
	uint8_t server[CRYPTO_MAX_SECRET_LEN]; /* SERVER_TRAFFIC_SECRET_0 */
	size_t server_len;
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
	if (strcmp(label, "SERVER_TRAFFIC_SECRET_0") == 0 && len <= sizeof(k->server)) {
		memcpy(k->server, secret, len);
		k->server_len = len;
	}
}

/*
 * A handshaken pair whose client 1-RTT secret the test knows (AES-128-GCM, the default);
 * tweak (NULL: none) changes the configurations first, as pair_opts.tweak.
 */
static void
setup_keylog_tweak(struct pair *p, struct keylog_cap *k,
		   void (*tweak)(void *, struct quic_conn_config *, struct quic_conn_config *),
		   void *arg)
{
	struct pair_opts o;
	struct tls_keylog kl = {.fn = on_keylog, .arg = k};

	pair_opts_default(&o, 10);
	o.tweak = tweak;
	o.tweak_arg = arg;
	pair_init(p, &o);
	tls_client_config_set_keylog(p->tls_cli, &kl);
	cr_assert(pair_handshake(p, BUDGET));
	cr_assert(eq(sz, k->len, 32));
	pair_drain_events(p->cli);
	pair_drain_events(p->srv);
}

static void
setup_keylog(struct pair *p, struct keylog_cap *k)
{
	setup_keylog_tweak(p, k, NULL, NULL);
}

/*
 * What client_packet() puts in the payload: frames, then PADDING up to payload_len; reserved:
 * header bits set that must be 0 (RFC 9000 §17.3.1); from_server: a server packet to the
 * client (SERVER_TRAFFIC_SECRET_0, to the client's CID).
 */
struct payload {
	const uint8_t *frames;
	size_t len;
	size_t payload_len;
	uint8_t reserved;
	bool from_server;
};

static const uint8_t ping = 0x01;

/*
 * A 1-RTT packet from the client sealed with the key of generation gen (RFC 9001 §6.1), key
 * phase bit phase, packet number pn; payload: pl, or PING and padding when pl is NULL.
 * @return its length
 */
static size_t
client_packet_with(struct pair *p, const struct keylog_cap *k, unsigned gen, bool phase,
		   uint64_t pn, const struct payload *pl, uint8_t *buf, size_t cap)
{
	static const struct payload ping_only = {&ping, 1, 40, 0, false};
	const enum crypto_suite suite = CRYPTO_SUITE_AES_128_GCM_SHA256;
	const struct quic_cid *dcid;
	uint32_t v = quic_conn_version(p->cli);
	struct quic_packet_out out = {
		.type = QUIC_PKT_1RTT, .pn = pn, .pn_len = 4, .key_phase = phase};
	struct crypto_quic_keys k0, kg;
	struct quic_packet_layout lay;
	uint8_t s[CRYPTO_MAX_SECRET_LEN], next[CRYPTO_MAX_SECRET_LEN];
	struct crypto_aead *aead = NULL;
	struct crypto_hp *hp = NULL;
	size_t len = 0;

	size_t slen;

	if (pl == NULL)
		pl = &ping_only;
	dcid = pl->from_server ? quic_conn_scid(p->cli) : quic_conn_dcid(p->cli);
	out.dcid = dcid->data;
	out.dcid_len = dcid->len;
	slen = pl->from_server ? k->server_len : k->len;
	cr_assert(eq(sz, slen, 32));
	memcpy(s, pl->from_server ? k->server : k->secret, slen);
	cr_assert(eq(int, crypto_quic_derive_keys(p->ctx, v, suite, s, slen, &k0), 0));
	for (unsigned g = 0; g < gen; g++) {
		cr_assert(eq(int, crypto_quic_key_update(p->ctx, v, suite, s, slen, next), 0));
		memcpy(s, next, slen);
	}
	cr_assert(eq(int, crypto_quic_derive_keys(p->ctx, v, suite, s, slen, &kg), 0));
	/* The header protection key never changes (RFC 9001 §6.6): generation 0's. */
	cr_assert(eq(int, crypto_hp_new(&hp, p->ctx, suite, k0.hp), 0));
	cr_assert(eq(int, crypto_aead_new(&aead, p->ctx, suite, kg.key, kg.iv), 0));
	cr_assert(eq(int, quic_packet_write_header(buf, cap, &out, &lay), 0));
	buf[0] |= pl->reserved;
	cr_assert(le(sz, lay.hdr_len + pl->payload_len + CRYPTO_TAG_LEN, cap));
	memset(buf + lay.hdr_len, 0, pl->payload_len); /* PADDING */
	memcpy(buf + lay.hdr_len, pl->frames, pl->len);
	cr_assert(eq(int, quic_packet_protect(buf, cap, &lay, pl->payload_len, aead, hp, &len), 0));
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

static size_t
client_packet(struct pair *p, const struct keylog_cap *k, unsigned gen, bool phase, uint64_t pn,
	      uint8_t *buf, size_t cap)
{
	return client_packet_with(p, k, gen, phase, pn, NULL, buf, cap);
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

/* The server takes pkt: it counts rx more packets processed, dropped more dropped, no open fails.
 */
static void
expect_recv(struct pair *p, uint8_t *pkt, size_t len, uint64_t rx, uint64_t dropped)
{
	struct quic_conn_stats before, after;

	quic_conn_stats(p->srv, &before);
	cr_assert(eq(int, quic_conn_recv(p->srv, pkt, len, &p->spath, p->now), 0));
	quic_conn_stats(p->srv, &after);
	cr_assert(eq(u64, after.pkts_rx, before.pkts_rx + rx));
	cr_assert(eq(u64, after.pkts_dropped, before.pkts_dropped + dropped));
	cr_assert(eq(u64, after.pkts_decrypt_fail, before.pkts_decrypt_fail));
	cr_assert(eq(int, quic_conn_state(p->srv), QUIC_CONN_ESTABLISHED));
}

/*
 * RFC 9000 §12.3: a packet whose number was received already is discarded, and it is before its
 * AEAD open: a replay is dropped, and so is a forgery that reuses a received packet number
 * (it is not even opened, so it is not counted as a failed decryption either).
 */
HB_TEST(transport_rows, duplicate_dropped_before_open)
{
	struct keylog_cap k = {0};
	uint8_t pkt[256], copy[256];
	struct pair p;
	size_t len;

	setup_keylog(&p, &k);
	len = client_packet(&p, &k, 0, false, pn_above(&p), pkt, sizeof(pkt));
	memcpy(copy, pkt, len);
	expect_recv(&p, pkt, len, 1, 0);
	/* The same packet again: dropped. */
	memcpy(pkt, copy, len);
	expect_recv(&p, pkt, len, 0, 1);
	/* Its number with a payload that would not open (the tag's last byte): never opened. */
	memcpy(pkt, copy, len);
	pkt[len - 1] ^= 0x01;
	expect_recv(&p, pkt, len, 0, 1);
	pair_free(&p);
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

static bool
cli_1rtt_unconfirmed(struct pair *p, void *arg)
{
	const struct keylog_cap *k = arg;

	return k->server_len > 0 && !quic_conn_handshake_confirmed(p->cli);
}

/*
 * C30, RFC 9001 §6.2: a key update before the handshake is confirmed. The client has its
 * 1-RTT keys but no HANDSHAKE_DONE yet when a server packet of the next phase arrives:
 * KEY_UPDATE_ERROR.
 */
HB_TEST(transport_rows, key_update_before_confirmation_is_key_update_error)
{
	struct keylog_cap k = {0};
	struct tls_keylog kl = {.fn = on_keylog, .arg = &k};
	struct payload pl = {&ping, 1, 40, 0, true};
	struct quic_conn_close_info ci;
	struct pair_opts o;
	uint8_t pkt[256];
	struct pair p;
	size_t len;

	pair_opts_default(&o, 10);
	pair_init(&p, &o);
	tls_client_config_set_keylog(p.tls_cli, &kl);
	cr_assert(pair_run(&p, cli_1rtt_unconfirmed, &k, BUDGET));
	len = client_packet_with(&p, &k, 1, true, 1000, &pl, pkt, sizeof(pkt));
	cr_assert(eq(int, quic_conn_recv(p.cli, pkt, len, &p.cpath, p.now), 0));
	cr_assert(eq(int, quic_conn_state(p.cli), QUIC_CONN_CLOSING));
	cr_assert(quic_conn_close_info(p.cli, &ci));
	cr_assert(not(ci.remote));
	cr_assert(eq(u64, ci.error_code, QUIC_KEY_UPDATE_ERROR));
	pair_free(&p);
}

static bool
cli_has_1rtt_keys(struct pair *p, void *arg)
{
	const struct keylog_cap *k = arg;

	(void)p;
	return k->len > 0;
}

static bool
srv_confirmed(struct pair *p, void *arg)
{
	(void)arg;
	return quic_conn_handshake_confirmed(p->srv);
}

/*
 * B15, RFC 9001 §5.7: 1-RTT packets that reach the server before the client's Finished are
 * not processed; a few are held (CONN_RX_HOLD, 4) and processed once the handshake completes,
 * the rest are dropped.
 */
HB_TEST(transport_rows, early_1rtt_held_bounded)
{
	struct keylog_cap k = {0};
	struct tls_keylog kl = {.fn = on_keylog, .arg = &k};
	struct quic_conn_stats before, mid, after;
	struct pair_opts o;
	uint8_t pkt[256];
	struct pair p;
	uint64_t held;
	size_t len;

	pair_opts_default(&o, 10);
	pair_init(&p, &o);
	tls_client_config_set_keylog(p.tls_cli, &kl);
	cr_assert(pair_run(&p, cli_has_1rtt_keys, &k, BUDGET));
	cr_assert(not(eq(ptr, p.srv, NULL)));
	cr_assert(not(quic_conn_handshake_confirmed(p.srv)));
	quic_conn_stats(p.srv, &before);
	for (unsigned i = 0; i < 10; i++) {
		len = client_packet(&p, &k, 0, false, 100 + i, pkt, sizeof(pkt));
		cr_assert(eq(int, quic_conn_recv(p.srv, pkt, len, &p.spath, p.now), 0));
	}
	quic_conn_stats(p.srv, &mid);
	cr_assert(eq(u64, mid.pkts_rx, before.pkts_rx));
	held = mid.pkts_buffered - before.pkts_buffered;
	cr_assert(ge(u64, held, 1));
	cr_assert(le(u64, held, 4));
	cr_assert(ge(u64, mid.pkts_dropped - before.pkts_dropped, 10 - held));
	/* The client's Finished completes the server's handshake: the held ones are processed
	 * then. (Not further: the server would acknowledge packet numbers the real client never
	 * used, which the client rightly takes as C6.) */
	cr_assert(pair_run(&p, srv_confirmed, NULL, BUDGET));
	quic_conn_stats(p.srv, &after);
	cr_assert(ge(u64, after.pkts_rx, mid.pkts_rx + held));
	pair_free(&p);
}

/*
 * B16, RFC 9000 §17.3.1: reserved bits set in an authentic short header: PROTOCOL_VIOLATION
 * (checked only after the packet opened, RFC 9001 §9.5).
 */
HB_TEST(transport_rows, reserved_bits_are_protocol_violation)
{
	struct keylog_cap k = {0};
	struct payload pl = {&ping, 1, 40, 0x08, false};
	uint8_t pkt[256];
	struct pair p;
	size_t len;

	setup_keylog(&p, &k);
	len = client_packet_with(&p, &k, 0, false, pn_above(&p), &pl, pkt, sizeof(pkt));
	cr_assert(eq(int, quic_conn_recv(p.srv, pkt, len, &p.spath, p.now), 0));
	expect_srv_closed(&p, QUIC_PROTOCOL_VIOLATION);
	pair_free(&p);
}

/* C29, RFC 9000 §19.18: a PATH_RESPONSE that answers no challenge of ours is ignored. */
HB_TEST(transport_rows, unmatched_path_response_ignored)
{
	struct keylog_cap k = {0};
	uint8_t f[] = {0x1b, 1, 2, 3, 4, 5, 6, 7, 8};
	struct quic_conn_stats before, after;
	struct pair p;

	setup_keylog(&p, &k);
	quic_conn_stats(p.srv, &before);
	cr_assert(eq(int, quic_conn_inject_frames_for_test(p.cli, QUIC_PKT_1RTT, f, sizeof(f)), 0));
	pair_run_for(&p, 50 * PAIR_MS);
	quic_conn_stats(p.srv, &after);
	cr_assert(gt(u64, after.pkts_rx, before.pkts_rx));
	cr_assert(eq(u64, after.paths_validated, 0));
	cr_assert(eq(int, quic_conn_state(p.srv), QUIC_CONN_ESTABLISHED));
	cr_assert(eq(int, quic_conn_state(p.cli), QUIC_CONN_ESTABLISHED));
	pair_free(&p);
}

static bool
drop_all(void *arg, uint8_t *data, size_t *len, uint64_t index)
{
	(void)arg;
	(void)data;
	(void)len;
	(void)index;
	return false;
}

/*
 * C27, RFC 9000 §5.1.2: NEW_CONNECTION_ID frames with a rising Retire Prior To while nothing
 * the server sends reaches the client (its RETIRE_CONNECTION_ID frames are never
 * acknowledged): the retirements owed stay bounded and the server closes with
 * CONNECTION_ID_LIMIT_ERROR once QUIC_CID_RETIRE_QUEUE of them wait.
 */
HB_TEST(transport_rows, new_cid_flood_with_acks_withheld_closes)
{
	struct quic_conn_close_info si;
	uint8_t f[28] = {0x18, 0, 0, 8};
	struct keylog_cap k = {0};
	struct pair p;
	unsigned n;

	setup_keylog(&p, &k);
	p.dir[PAIR_S2C].filter = drop_all;
	for (n = 1; n <= 50 && quic_conn_state(p.srv) == QUIC_CONN_ESTABLISHED; n++) {
		f[1] = (uint8_t)(n + 10); /* Sequence Number (1-byte varint) */
		f[2] = (uint8_t)(n + 10); /* Retire Prior To: every older one */
		memset(f + 4, (int)n, 8);
		memset(f + 12, (int)(0xa0 + n), 16);
		cr_assert(
			eq(int, quic_conn_inject_frames_for_test(p.cli, QUIC_PKT_1RTT, f, 28), 0));
		pair_run_for(&p, 5 * PAIR_MS);
	}
	cr_assert(quic_conn_close_info(p.srv, &si));
	cr_assert(eq(u64, si.error_code, QUIC_CONNECTION_ID_LIMIT_ERROR));
	cr_assert(eq(u64, si.frame_type, 0x18));
	/* Each frame retires one more CID: the queue fills after about QUIC_CID_RETIRE_QUEUE. */
	cr_assert(le(u32, n, QUIC_CID_RETIRE_QUEUE + 4));
	cr_assert(ge(u32, n, QUIC_CID_RETIRE_QUEUE / 2));
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

/* A handshaken pair with limits lim (see low_limits()); bps: link bandwidth, 0: infinite. */
static void
setup_limits(struct pair *p, uint64_t *lim, uint64_t bps)
{
	struct pair_opts o;

	pair_opts_default(&o, 10);
	o.tweak = low_limits;
	o.tweak_arg = lim;
	for (int d = 0; d < 2 && bps > 0; d++) {
		o.link[d].bandwidth_bps = bps;
		o.link[d].queue_bytes = 64 * 1024;
	}
	pair_init(p, &o);
	cr_assert(pair_handshake(p, BUDGET));
	pair_drain_events(p->cli);
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

/* One forged packet to the server: dropped, as an AEAD failure or a duplicate (below). */
static void
forge_one(struct pair *p, uint64_t i, uint64_t dropped0)
{
	struct quic_conn_stats ss;
	uint8_t buf[128];

	cr_assert(eq(int, quic_conn_recv(p->srv, buf, forged_packet(p, i, buf), &p->spath, p->now),
		     0));
	quic_conn_stats(p->srv, &ss);
	cr_assert(eq(u64, ss.pkts_dropped - dropped0, i + 1));
	cr_assert(le(u64, ss.pkts_decrypt_fail, i + 1));
}

/*
 * C32: forged 1-RTT packets up to the integrity limit close with AEAD_LIMIT_REACHED. Only
 * authentication failures count (RFC 9001 §6.6): a forged packet whose random protection
 * decodes to a packet number already received is dropped as a duplicate before any open
 * (quic/rx.c), which depends on the handshake's random keys, so the packets are sent until
 * the failures reach the limit rather than a fixed number of them.
 */
HB_TEST(transport_rows, integrity_limit_closes)
{
	uint64_t lim[2] = {0, 40};
	struct quic_conn_stats ss;
	struct pair p;
	uint64_t i = 0, dropped0;

	setup_limits(&p, lim, 0);
	quic_conn_stats(p.srv, &ss);
	dropped0 = ss.pkts_dropped;
	for (; ss.pkts_decrypt_fail + 1 < lim[1]; i++) {
		cr_assert(lt(u64, i, 2 * lim[1]), "%" PRIu64 " failures after %" PRIu64 " packets",
			  ss.pkts_decrypt_fail, i);
		forge_one(&p, i, dropped0);
		quic_conn_stats(p.srv, &ss);
		cr_assert(eq(int, quic_conn_state(p.srv), QUIC_CONN_ESTABLISHED));
	}
	/* One failure short of the limit and still up; the next failure closes. */
	cr_assert(eq(u64, ss.pkts_decrypt_fail, lim[1] - 1));
	while (quic_conn_state(p.srv) == QUIC_CONN_ESTABLISHED) {
		cr_assert(lt(u64, i, 2 * lim[1]));
		forge_one(&p, i++, dropped0);
	}
	quic_conn_stats(p.srv, &ss);
	cr_assert(eq(u64, ss.pkts_decrypt_fail, lim[1]));
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
	struct xfer x;
	struct pair p;

	setup_limits(&p, lim, 20000000);
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

/*
 * RFC 9001 §6: a TLS KeyUpdate message in a CRYPTO frame is a connection error 0x010a. The
 * server frees its TLS engine once the handshake is confirmed (quic_conn_tls_release()): what
 * TLS was asked afterwards is still answered, and a client's post-handshake CRYPTO data gets
 * the unexpected_message that TLS itself would have sent.
 */
HB_TEST(transport_rows, post_handshake_crypto_after_tls_release)
{
	/* CRYPTO offset 0, 5 bytes: KeyUpdate (24), length 1, update_not_requested. */
	static const uint8_t f[] = {0x06, 0x00, 0x05, 0x18, 0x00, 0x00, 0x01, 0x00};
	const struct payload pl = {f, sizeof(f), 40, 0, false};
	struct keylog_cap k = {0};
	const char *a;
	uint8_t buf[256];
	struct pair p;
	size_t len;

	setup_keylog(&p, &k);
	a = quic_conn_alpn(p.srv);
	cr_assert(a != NULL && quic_conn_alpn(p.cli) != NULL);
	cr_assert(strcmp(a, quic_conn_alpn(p.cli)) == 0);
	cr_assert(not(quic_conn_resumed(p.srv)));
	cr_assert(not(quic_conn_hrr(p.srv)));
	len = client_packet_with(&p, &k, 0, false, pn_above(&p), &pl, buf, sizeof(buf));
	cr_assert(eq(int, quic_conn_recv(p.srv, buf, len, &p.spath, p.now), 0));
	expect_srv_closed(&p, 0x10a);
	pair_free(&p);
}

/* ---- PATH_CHALLENGE answered on its own path (RFC 9000 §8.2.2) ---- */

/* n PATH_CHALLENGE frames (data from seed) from the client in packet pn, padded to pad bytes. */
static size_t
challenges_at(struct pair *p, const struct keylog_cap *k, unsigned seed, unsigned n, size_t pad,
	      uint64_t pn, uint8_t *buf, size_t cap)
{
	uint8_t f[9 * 128];
	struct payload pl = {f, 9 * (size_t)n, pad};

	cr_assert(le(u32, n, 128));
	for (unsigned j = 0; j < n; j++) {
		f[9 * j] = 0x1a;
		for (int i = 1; i < 9; i++)
			f[9 * j + i] = (uint8_t)(seed + j + i);
	}
	return client_packet_with(p, k, 0, false, pn, &pl, buf, cap);
}

/*
 * n PATH_CHALLENGE frames (data from seed) from the client, padded to pad bytes of payload;
 * each seed gets its own packet number.
 */
static size_t
challenges(struct pair *p, const struct keylog_cap *k, unsigned seed, unsigned n, size_t pad,
	   uint8_t *buf, size_t cap)
{
	return challenges_at(p, k, seed, n, pad, pn_above(p) + seed, buf, cap);
}

static size_t
challenge(struct pair *p, const struct keylog_cap *k, unsigned seed, size_t pad, uint8_t *buf,
	  size_t cap)
{
	return challenges(p, k, seed, 1, pad, buf, cap);
}

/* A path like the client's, from another port. */
static struct quic_path
other_path(const struct pair *p, uint16_t port)
{
	struct quic_path o = p->spath;

	o.remote.port = port;
	return o;
}

/* One server write of at most one datagram. @return its length, 0 if none */
static size_t
srv_write_one(struct pair *p, uint8_t *buf, size_t cap, struct quic_path *path)
{
	size_t len = 0;
	int n = quic_conn_write(p->srv, buf, cap, 1452, &len, 1, path, p->now);

	cr_assert(ge(int, n, 0));
	return n == 1 ? len : 0;
}

/*
 * RFC 9000 §8.2.2, §9.3: a probe (PATH_CHALLENGE and PADDING only: a probing packet, §9.1)
 * from a second address is answered there, in a datagram of its own expanded to 1200 bytes
 * (§8.2.1); the server does not move, and its next datagram goes to the client's address.
 * A small probe gets a response within three times its size (§8.1).
 */
HB_TEST(transport_rows, path_response_on_probe_path)
{
	struct keylog_cap k = {0};
	struct quic_path probe = {0}, to;
	struct quic_conn_stats ss;
	uint8_t pkt[1500], out[1500];
	struct pair p;
	size_t len, olen;

	setup_keylog(&p, &k);
	probe = other_path(&p, 40001);
	len = challenge(&p, &k, 1, 1200, pkt, sizeof(pkt));
	cr_assert(ge(sz, len, 1200));
	cr_assert(eq(int, quic_conn_recv(p.srv, pkt, len, &probe, p.now), 0));
	olen = srv_write_one(&p, out, sizeof(out), &to);
	cr_assert(quic_path_equal(&to, &probe));
	cr_assert(ge(sz, olen, 1200));
	/* The next write is for the client's own address again (the ACK it owes). */
	olen = srv_write_one(&p, out, sizeof(out), &to);
	cr_assert(gt(sz, olen, 0));
	cr_assert(quic_path_equal(&to, &p.spath));
	quic_conn_stats(p.srv, &ss);
	cr_assert(eq(u64, ss.migrations, 0));
	/* A 60-byte probe from a third address: at most 180 bytes go back there. */
	probe = other_path(&p, 40002);
	len = challenge(&p, &k, 2, 20, pkt, sizeof(pkt));
	cr_assert(eq(int, quic_conn_recv(p.srv, pkt, len, &probe, p.now), 0));
	olen = srv_write_one(&p, out, sizeof(out), &to);
	cr_assert(quic_path_equal(&to, &probe));
	cr_assert(gt(sz, olen, 0));
	cr_assert(le(sz, olen, 3 * len));
	cr_assert(eq(int, quic_conn_state(p.srv), QUIC_CONN_ESTABLISHED));
	pair_free(&p);
}

/*
 * C28, RFC 9000 §8.2.2: PATH_CHALLENGE floods from new addresses while the client withholds
 * every ACK, so that the server's congestion window is full: at most CONN_PATH_RESP_MAX
 * responses are kept, the rest are counted as dropped, and memory stays flat.
 */
HB_TEST(transport_rows, path_challenge_flood_bounded)
{
	static uint8_t data[256 * 1024];
	struct keylog_cap k = {0};
	struct quic_conn_stats ss;
	struct quic_path probe, to;
	uint8_t pkt[1500], out[1500];
	size_t len, mem_early = 0;
	struct pair p;
	uint64_t id;
	unsigned i;

	setup_keylog(&p, &k);
	p.dir[PAIR_C2S].filter = drop_all; /* no ACK from the client from now on */
	cr_assert(eq(int, quic_conn_stream_open(p.srv, true, &id), 0));
	cr_assert(gt(int, quic_conn_stream_write(p.srv, id, data, sizeof(data), false), 0));
	for (i = 0; i < 50; i++) {
		p.now += PAIR_MS; /* past the pacer */
		pair_flush(&p, p.srv, PAIR_S2C);
	}
	/* 20 datagrams of 100 challenges each, from 20 addresses. */
	for (i = 0; i < 20; i++) {
		probe = other_path(&p, (uint16_t)(41000 + i));
		len = challenges(&p, &k, i, 100, 1200, pkt, sizeof(pkt));
		cr_assert(eq(int, quic_conn_recv(p.srv, pkt, len, &probe, p.now), 0));
		/* Nothing may go to the probe paths: the window is full. */
		while (srv_write_one(&p, out, sizeof(out), &to) > 0)
			cr_assert(quic_path_equal(&to, &p.spath));
		if (i == 1)
			mem_early = quic_conn_mem_bytes(p.srv);
	}
	quic_conn_stats(p.srv, &ss);
	cr_assert(eq(u64, ss.path_resp_dropped, 20 * 100 - 4));
	cr_assert(le(sz, quic_conn_mem_bytes(p.srv), mem_early));
	cr_assert(eq(int, quic_conn_state(p.srv), QUIC_CONN_ESTABLISHED));
	pair_free(&p);
}

/* ---- C28 with RTT manipulation (the other half of CVE-2023-49295) ---- */

#define RTT_LOG_PNS 8192
#define RTT_MS	    20 /* the pair's round trip: 10 ms each way */

/* One side's 1-RTT packets as its qlog hook reports them (quic/qlog.h). */
struct side_log {
	bool server;
	const bool *armed; /* record only while *armed */
	uint64_t pn[RTT_LOG_PNS];
	uint64_t sent_ns[RTT_LOG_PNS];
	size_t n;
	size_t used;		 /* client: packet numbers lent to forged packets so far */
	uint64_t path_responses; /* server: PATH_RESPONSE frames sent */
	uint64_t srtt_min_ns;	 /* server: smoothed_rtt range seen while armed */
	uint64_t srtt_max_ns;
	uint64_t srtt_ns; /* server: the last */
	uint64_t cwnd_min;
	uint64_t in_flight; /* server: bytes in flight, as last reported */
};

struct rtt_log {
	struct side_log side[2]; /* [0] client, [1] server */
	bool armed;
	struct quic_qlog_ops ops; /* both configurations borrow it */
};

static void *
rtt_log_open(void *arg, const struct quic_cid *odcid, bool server, uint64_t now_ns)
{
	struct rtt_log *l = arg;

	(void)odcid;
	(void)now_ns;
	l->side[server].server = server;
	l->side[server].armed = &l->armed;
	return &l->side[server];
}

/* How many PATH_RESPONSE frames a plaintext payload carries. */
static unsigned
count_path_responses(const uint8_t *frames, size_t len)
{
	struct crypto_rd r;
	struct quic_frame f;
	unsigned n = 0;

	crypto_rd_init(&r, frames, len);
	while (r.p < r.end && quic_frame_decode(&r, &f) == 0)
		n += f.type == QUIC_FRAME_PATH_RESPONSE;
	return n;
}

static void
rtt_log_sent(struct side_log *s, const struct quic_qlog_event *ev)
{
	unsigned resp = 0;

	if (ev->packet.type != QUIC_PKT_1RTT)
		return;
	if (s->server)
		resp = count_path_responses(ev->packet.frames, ev->packet.frames_len);
	s->path_responses += resp;
	cr_assert(lt(sz, s->n, RTT_LOG_PNS));
	s->pn[s->n] = ev->packet.pn;
	s->sent_ns[s->n] = ev->now_ns;
	s->n++;
}

static void
rtt_log_event(void *ctx, const struct quic_qlog_event *ev)
{
	struct side_log *s = ctx;
	const struct quic_qlog_metrics *m = &ev->metrics;

	if (!*s->armed)
		return;
	if (ev->type == QUIC_QLOG_PACKET_SENT)
		rtt_log_sent(s, ev);
	if (ev->type != QUIC_QLOG_METRICS_UPDATED || !s->server)
		return;
	if (s->srtt_min_ns == 0 || m->smoothed_rtt_ns < s->srtt_min_ns)
		s->srtt_min_ns = m->smoothed_rtt_ns;
	if (m->smoothed_rtt_ns > s->srtt_max_ns)
		s->srtt_max_ns = m->smoothed_rtt_ns;
	s->srtt_ns = m->smoothed_rtt_ns;
	if (s->cwnd_min == 0 || m->cwnd < s->cwnd_min)
		s->cwnd_min = m->cwnd;
	s->in_flight = m->bytes_in_flight;
}

static void
rtt_log_close(void *ctx)
{
	(void)ctx;
}

static void
rtt_log_tweak(void *arg, struct quic_conn_config *cli, struct quic_conn_config *srv)
{
	struct rtt_log *l = arg;

	l->ops = (struct quic_qlog_ops){
		.open = rtt_log_open, .event = rtt_log_event, .close = rtt_log_close, .arg = l};
	cli->qlog = &l->ops;
	srv->qlog = &l->ops;
	/* The client's flow control updates never get through: it grants the whole answer now. */
	cli->tparams.initial_max_data = 2 * 1024 * 1024;
	cli->tparams.initial_max_stream_data_bidi_local = 2 * 1024 * 1024;
}

/*
 * A packet number for a forged client packet: one the client really sent but that the link
 * dropped (the server never saw it), so that the server's ACK frames, once the client hears
 * them again, acknowledge nothing the client did not send or skipped (RFC 9000 §21.4).
 */
static uint64_t
lend_pn(struct pair *p, struct side_log *cli)
{
	static const uint8_t ping_frame = 0x01;

	if (cli->used == cli->n) {
		cr_assert(
			eq(int,
			   quic_conn_inject_frames_for_test(p->cli, QUIC_PKT_1RTT, &ping_frame, 1),
			   0));
		pair_flush(p, p->cli, PAIR_C2S);
	}
	cr_assert(lt(sz, cli->used, cli->n));
	return cli->pn[cli->used++];
}

/*
 * The lying client's ACK: every other server packet sent at least one round trip plus hold_ns
 * ago (the client has them all: nothing is lost on the way; the attacker owns the probe
 * addresses too), the 32 newest of those, with Ack Delay field delay.
 * @return the packet's length, 0 when there is nothing new to acknowledge
 */
static size_t
selective_ack(struct pair *p, const struct keylog_cap *k, struct rtt_log *l, uint64_t hold_ns,
	      uint64_t delay, size_t *acked_upto, uint8_t *buf, size_t cap)
{
	const struct side_log *s = &l->side[1];
	struct quic_ack_range r[32];
	uint8_t f[256];
	struct crypto_wr w;
	struct payload pl = {f, 0, 0};
	size_t n = 0, i = s->n, written;

	while (i > 0 && s->sent_ns[i - 1] + RTT_MS * PAIR_MS + hold_ns > p->now)
		i--;
	if (i <= *acked_upto)
		return 0;
	*acked_upto = i;
	while (i-- > 0 && n < 32) {
		if (i % 2 != 0)
			continue;
		r[n].smallest = r[n].largest = s->pn[i];
		n++;
	}
	if (n == 0)
		return 0;
	crypto_wr_init(&w, f, sizeof(f));
	cr_assert(eq(int, quic_frame_encode_ack(&w, r, n, delay, NULL, &written), 0));
	cr_assert(eq(sz, written, n));
	pl.len = (size_t)(w.p - w.start);
	pl.payload_len = pl.len;
	return client_packet_with(p, k, 0, false, lend_pn(p, &l->side[0]), &pl, buf, cap);
}

/* The server has the client's request and has started its answer. */
static bool
xfer_started(struct pair *p, void *arg)
{
	const struct xfer *x = arg;

	(void)p;
	return x->opened > 0 && x->st[0].s_fin_rcvd && x->st[0].s_sent > 0;
}

struct rtt_attack {
	struct rtt_log log;
	size_t acked_upto;
	uint64_t delay_fields[2]; /* the Ack Delay fields sent, in turn */
	uint64_t hold_ns;	  /* how long the client really sits on an ACK */
	uint64_t srtt_prompt_ns;  /* the server's smoothed RTT at the end of the prompt phase */
	uint64_t max_timer_ns;	  /* farthest server deadline seen after an ACK */
	size_t mem_early;	  /* after the second flood */
	size_t mem_max;		  /* the most from then on */
	unsigned floods;
};

/* One forged ACK, if there is something to acknowledge, and the server deadline after it. */
static void
attack_ack(struct pair *p, const struct keylog_cap *k, struct rtt_attack *a, unsigned t)
{
	uint8_t pkt[1500];
	uint64_t next;
	size_t len;

	len = selective_ack(p, k, &a->log, a->hold_ns, a->delay_fields[t % 2], &a->acked_upto, pkt,
			    sizeof(pkt));
	if (len == 0)
		return;
	cr_assert(eq(int, quic_conn_recv(p->srv, pkt, len, &p->spath, p->now), 0));
	/* With nothing in flight the next deadline is the idle timeout. */
	next = quic_conn_next_timeout(p->srv);
	if (a->log.side[1].in_flight > 0 && next != UINT64_MAX && next > p->now &&
	    next - p->now > a->max_timer_ns)
		a->max_timer_ns = next - p->now;
}

/* A datagram of 100 PATH_CHALLENGE frames from a new address. */
static void
attack_flood(struct pair *p, const struct keylog_cap *k, struct rtt_attack *a)
{
	struct quic_path probe = other_path(p, (uint16_t)(42000 + a->floods));
	uint8_t pkt[1500];
	size_t len;

	len = challenges_at(p, k, a->floods, 100, 1200, lend_pn(p, &a->log.side[0]), pkt,
			    sizeof(pkt));
	cr_assert(eq(int, quic_conn_recv(p->srv, pkt, len, &probe, p->now), 0));
	a->floods++;
}

#define ATTACK_TICKS 1500 /* of 1 ms */
#define PROMPT_TICKS 300  /* then the client sits on its ACKs for HOLD_MS */
#define HOLD_MS	     40
#define FLOOD_EVERY  75 /* ticks: 20 floods */

/*
 * ATTACK_TICKS of simulated time with the client's own packets dropped: a forged ACK every
 * 2 ms, a flood every FLOOD_EVERY ms; the connection's memory from the second flood on.
 */
static void
run_attack(struct pair *p, const struct keylog_cap *k, struct rtt_attack *a)
{
	size_t mem;

	a->log.armed = true;
	p->dir[PAIR_C2S].filter = drop_all;
	for (unsigned t = 0; t < ATTACK_TICKS; t++) {
		pair_run_for(p, PAIR_MS);
		a->hold_ns = t < PROMPT_TICKS ? 0 : HOLD_MS * PAIR_MS;
		if (t % 2 == 0)
			attack_ack(p, k, a, t / 2);
		if (t % FLOOD_EVERY == 0)
			attack_flood(p, k, a);
		mem = quic_conn_mem_bytes(p->srv);
		if (a->floods == 2 && a->mem_early == 0)
			a->mem_early = mem;
		if (a->floods >= 2 && mem > a->mem_max)
			a->mem_max = mem;
		cr_assert(eq(int, quic_conn_state(p->srv), QUIC_CONN_ESTABLISHED));
		if (t == PROMPT_TICKS - 1)
			a->srtt_prompt_ns = a->log.side[1].srtt_ns;
	}
	a->log.armed = false;
	p->dir[PAIR_C2S].filter = NULL;
}

/*
 * C28, RFC 9000 §8.2.2 with the RTT half of CVE-2023-49295: the client acknowledges only every
 * other packet the server sends (the rest are declared lost, RFC 9002 §6.1, and the congestion
 * window collapses) and claims an absurd ACK Delay in every ACK (a thousand times its
 * max_ack_delay, or the largest varint), first acknowledging promptly, then sitting on every
 * ACK for 40 ms (more than its max_ack_delay of 25 ms), while PATH_CHALLENGE floods arrive
 * from 20 new addresses.
 * (a) The server takes the claimed delay as max_ack_delay once the handshake is confirmed and
 * subtracts it only down to min_rtt (RFC 9002 §5.3): its smoothed RTT stays between the path's
 * 20 ms and 20 ms plus max_ack_delay, and settles near 20 + 40 - 25 = 35 ms once the ACKs are
 * held (ignoring the claim would give 60, believing it 20); its next deadline stays near.
 * (b) At most CONN_PATH_RESP_MAX (4) responses are ever owed; the rest are counted dropped.
 * (c) Its memory stays flat. (d) Once the client behaves the transfer completes.
 */
HB_TEST(transport_rows, path_challenge_flood_rtt_inflation_bounded)
{
	static struct rtt_attack a;
	const uint64_t rtt = RTT_MS * PAIR_MS;
	const struct quic_tparams *tp;
	struct keylog_cap k = {0};
	struct quic_conn_stats before, ss;
	struct side_log *srv = &a.log.side[1];
	uint64_t mad, total;
	struct xfer x;
	struct pair p;

	memset(&a, 0, sizeof(a));
	setup_keylog_tweak(&p, &k, rtt_log_tweak, &a.log);
	tp = quic_conn_peer_tparams(p.srv);
	mad = tp->max_ack_delay * PAIR_MS;
	a.delay_fields[0] = (tp->max_ack_delay * 1000 * 1000) >> tp->ack_delay_exponent;
	a.delay_fields[1] = QUIC_VARINT_MAX;
	/* The client asks for 1 MiB; the attack starts once the server has the request. */
	xfer_init(&x, 1, 100, 1024 * 1024, false);
	p.on_step = xfer_step;
	p.step_arg = &x;
	cr_assert(pair_run(&p, xfer_started, &x, BUDGET));
	quic_conn_stats(p.srv, &before);
	run_attack(&p, &k, &a);
	quic_conn_stats(p.srv, &ss);
	/* (a) */
	cr_assert(ge(u64, srv->srtt_min_ns, rtt));
	cr_assert(le(u64, srv->srtt_max_ns, rtt + mad));
	cr_assert(le(u64, a.srtt_prompt_ns, rtt + 2 * PAIR_MS));
	cr_assert(ge(u64, srv->srtt_ns, rtt + HOLD_MS * PAIR_MS - mad - 5 * PAIR_MS));
	cr_assert(le(u64, a.max_timer_ns, 4 * (rtt + mad)));
	/* The selective ACKs did starve the window: losses, and cwnd down to its minimum. */
	cr_assert(gt(u64, ss.pkts_lost - before.pkts_lost, 20));
	cr_assert(le(u64, srv->cwnd_min, 2 * 1200));
	/* (b) */
	total = (uint64_t)a.floods * 100;
	cr_assert(eq(u32, a.floods, 20));
	cr_assert(ge(u64, ss.path_resp_dropped, total - a.floods * 4));
	cr_assert(le(u64, ss.path_resp_dropped + srv->path_responses, total));
	cr_assert(ge(u64, ss.path_resp_dropped + srv->path_responses, total - 4));
	/* (c) */
	cr_assert(le(sz, a.mem_max, a.mem_early));
	/* (d) */
	cr_assert(pair_run(&p, xfer_done, &x, BUDGET));
	cr_assert(eq(u64, x.mismatches, 0));
	cr_assert(eq(u64, x.bad_events, 0));
	cr_assert(eq(int, quic_conn_state(p.srv), QUIC_CONN_ESTABLISHED));
	cr_assert(eq(int, quic_conn_state(p.cli), QUIC_CONN_ESTABLISHED));
	xfer_free(&x);
	pair_free(&p);
}

static bool
cli_closed(struct pair *p, void *arg)
{
	(void)arg;
	return quic_conn_state(p->cli) == QUIC_CONN_CLOSED;
}

/*
 * C32, RFC 9001 §6.6: a client allowed 6 packets per key cannot update in time (an update
 * waits for an ACK of the current phase and the peer's answer to the last one, §6.1) when
 * it sends a burst of data: it stops at the limit, closed silently with AEAD_LIMIT_REACHED.
 */
HB_TEST(transport_rows, confidentiality_limit_without_update_stops)
{
	static uint8_t data[256 * 1024];
	uint64_t lim[2] = {6, 0};
	struct quic_conn_close_info ci;
	struct quic_conn_stats before, after;
	struct pair p;
	uint64_t id;

	setup_limits(&p, lim, 0);
	quic_conn_stats(p.cli, &before);
	cr_assert(eq(int, quic_conn_stream_open(p.cli, true, &id), 0));
	cr_assert(gt(int, quic_conn_stream_write(p.cli, id, data, sizeof(data), false), 0));
	cr_assert(pair_run(&p, cli_closed, NULL, 2000 * PAIR_MS));
	quic_conn_stats(p.cli, &after);
	cr_assert(quic_conn_close_info(p.cli, &ci));
	cr_assert(not(ci.remote));
	cr_assert(eq(u64, ci.error_code, QUIC_AEAD_LIMIT_REACHED));
	/* No key sealed more than its limit. */
	cr_assert(le(u64, after.pkts_tx - before.pkts_tx, (after.key_updates + 1) * lim[0]));
	pair_free(&p);
}
