/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The stateless front end: bad-input.md rows A1-A13 with the pinned action, the Retry round
 * trip (RFC 9000 §8.1.2, §17.2.5), CONNECTION_CLOSE(INVALID_TOKEN) decrypted as the client
 * would, NEW_TOKEN tokens (§8.1.3), policies, rate limits in simulated time, a mixed burst,
 * and the token callbacks a connection uses.
 */
#include <stdlib.h>
#include <string.h>

#include <crypto/crypto.h>
#include <quic/error.h>
#include <quic/frame.h>
#include <quic/packet.h>
#include <quic/token.h>
#include <quic/validator.h>
#include <quic/varint.h>

#include "hb_crypto_test.h"
#include "hb_test.h"

TestSuite(validator);

#define S_NS	UINT64_C(1000000000)
#define NOW_NS	(UINT64_C(1700000000) * S_NS)
#define DG_MAX	1500
#define UNKNOWN 0x1a2a3a4au

static const char keyfile[] = "5 000102030405060708090a0b0c0d0e0f 101112131415161718191a1b\n";
static const uint8_t dcid8[8] = {0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08};
static const uint8_t scid5[5] = {0xf0, 0x67, 0xa5, 0x50, 0x2a};
static const struct quic_addr peer = {QUIC_AF_INET, 6666, {198, 18, 0, 7}};

static int
det_rand(void *arg, uint8_t *buf, size_t len)
{
	hb_fill(arg, buf, len);
	return 0;
}

struct vfix {
	struct crypto_ctx *ctx;
	struct quic_token_domain *d;
	struct quic_token_worker *tw;
	struct quic_validator *v;
	struct quic_validator_config cfg;
	uint64_t seed;
	struct crypto_rand rand;
	uint8_t resp[32 * QUIC_VALIDATOR_RESP_MAX];
	uint8_t retry[QUIC_VALIDATOR_RESP_MAX]; /* the last Retry of retry_round_trip() */
};

static void
vfix_start(struct vfix *f)
{
	cr_assert(eq(int, quic_validator_new(&f->v, &f->cfg, f->tw, f->ctx, &f->rand), 0));
}

/* Everything but the validator, so that a test may change f->cfg first. */
static void
vfix_init_cfg(struct vfix *f, enum quic_retry_policy policy)
{
	struct quic_token_keyset *ks = NULL;
	struct quic_token_config tc;

	memset(f, 0, sizeof(*f));
	f->seed = 0x0123456789abcdefu;
	f->rand.fn = det_rand;
	f->rand.arg = &f->seed;
	f->ctx = hb_ctx_new(CRYPTO_ENGINE_AUTO);
	cr_assert(eq(int, quic_token_domain_new(&f->d, 1), 0));
	cr_assert(eq(int, quic_token_keyfile_parse(&ks, keyfile, strlen(keyfile), NULL), 0));
	cr_assert(eq(int, quic_token_domain_publish(f->d, ks), 0));
	quic_token_config_default(&tc);
	tc.worker_id = 7;
	cr_assert(eq(int, quic_token_worker_new(&f->tw, f->d, 0, &tc, f->ctx, &f->rand), 0));
	quic_validator_config_default(&f->cfg);
	f->cfg.policy = policy;
}

static void
vfix_init(struct vfix *f, enum quic_retry_policy policy)
{
	vfix_init_cfg(f, policy);
	vfix_start(f);
}

static void
vfix_fini(struct vfix *f)
{
	quic_validator_free(f->v);
	quic_token_worker_free(f->tw);
	quic_token_domain_free(f->d);
	crypto_ctx_free(f->ctx);
}

/* An Initial of `total` bytes whose Length covers the rest of the datagram. */
static size_t
make_initial(uint8_t *buf, uint32_t version, const uint8_t *dcid, size_t dcid_len,
	     const uint8_t *token, size_t token_len, size_t total)
{
	struct quic_packet_out p = {
		.type = QUIC_PKT_INITIAL,
		.version = version,
		.dcid = dcid,
		.dcid_len = dcid_len,
		.scid = scid5,
		.scid_len = sizeof(scid5),
		.token = token,
		.token_len = token_len,
		.pn = 0,
		.pn_len = 4,
	};
	struct quic_packet_layout lay;
	struct crypto_aead_op op;
	size_t len = 0;

	cr_assert(eq(int, quic_packet_write_header(buf, DG_MAX, &p, &lay), 0));
	memset(buf + lay.hdr_len, 0xab, total - lay.hdr_len);
	cr_assert(eq(int,
		     quic_packet_seal_prepare(buf, DG_MAX, &lay, total - lay.hdr_len - 16, NULL,
					      &op, &len),
		     0));
	cr_assert(eq(sz, len, total));
	return len;
}

/* A long header of an unknown version (RFC 8999 invariants only), padded to total. */
static size_t
make_unknown(uint8_t *buf, uint32_t version, size_t total)
{
	size_t n = 0;

	memset(buf, 0, total);
	buf[n++] = 0xc0;
	for (int s = 24; s >= 0; s -= 8)
		buf[n++] = (uint8_t)(version >> s);
	buf[n++] = sizeof(dcid8);
	memcpy(buf + n, dcid8, sizeof(dcid8));
	n += sizeof(dcid8);
	buf[n++] = sizeof(scid5);
	memcpy(buf + n, scid5, sizeof(scid5));
	return total;
}

/* Run one datagram through the validator. */
static struct quic_vresult
run1(struct vfix *f, const uint8_t *data, size_t len, const struct quic_addr *from, uint64_t now,
     const struct quic_validator_load *load)
{
	struct quic_dgram dg = {data, len, *from};
	struct quic_vresult r;

	quic_validator_burst(f->v, &dg, 1, load, now, f->resp, sizeof(f->resp), &r);
	return r;
}

static void
assert_drop(const struct quic_vresult *r, enum quic_vdrop why)
{
	cr_assert(eq(int, (int)r->action, (int)QUIC_VA_DROP));
	cr_assert(eq(int, (int)r->drop, (int)why), "got %s", quic_vdrop_name(r->drop));
}

/* The client's view of a Retry: integrity tag (RFC 9001 §5.8), SCID != ODCID, the token. The
 * Retry is copied to f->retry, where h points, since later bursts reuse f->resp. */
static void
parse_retry(struct vfix *f, const struct quic_vresult *r, uint32_t version, const uint8_t *odcid,
	    size_t odcid_len, struct quic_packet_hdr *h)
{
	cr_assert(eq(int, (int)r->action, (int)QUIC_VA_SEND_RETRY));
	cr_assert(le(sz, r->resp_len, sizeof(f->retry)));
	memcpy(f->retry, f->resp + r->resp_off, r->resp_len);
	cr_assert(eq(int, quic_retry_parse(f->ctx, f->retry, r->resp_len, odcid, odcid_len, h), 0));
	cr_assert(eq(u32, h->version, version));
	cr_assert(eq(sz, h->dcid_len, sizeof(scid5)));
	cr_assert(eq(int, memcmp(h->dcid, scid5, sizeof(scid5)), 0));
	cr_assert(gt(sz, h->token_len, 0));
}

/* A11 then the client's second Initial: a Retry, then the token validates the address and
 * brings back the original DCID (RFC 9000 §8.1.2, §7.3). Returns the second datagram. */
static size_t
retry_round_trip(struct vfix *f, uint32_t version, uint8_t *dg2, struct quic_packet_hdr *h)
{
	uint8_t dg[DG_MAX];
	struct quic_vresult r;
	size_t n;

	n = make_initial(dg, version, dcid8, sizeof(dcid8), NULL, 0, 1200);
	r = run1(f, dg, n, &peer, NOW_NS, NULL);
	parse_retry(f, &r, version, dcid8, sizeof(dcid8), h);
	return make_initial(dg2, version, h->scid, h->scid_len, h->token, h->token_len, 1250);
}

HB_TEST(validator, a11_retry_then_accept_v1_v2)
{
	static const uint32_t versions[] = {QUIC_VERSION_1, QUIC_VERSION_2};
	struct quic_validator_stats st;
	uint8_t dg2[DG_MAX];
	struct quic_packet_hdr h;
	struct quic_vresult r;
	struct vfix f;
	size_t n;

	vfix_init(&f, QUIC_RETRY_ALWAYS);
	for (int i = 0; i < 2; i++) {
		n = retry_round_trip(&f, versions[i], dg2, &h);
		cr_assert(eq(sz, h.scid_len, 16));
		r = run1(&f, dg2, n, &peer, NOW_NS + 3 * S_NS, NULL);
		cr_assert(eq(int, (int)r.action, (int)QUIC_VA_ACCEPT));
		cr_assert(r.validated);
		cr_assert(r.has_token);
		cr_assert(eq(int, (int)r.token, (int)QUIC_TOKEN_OK));
		cr_assert(eq(int, (int)r.info.kind, (int)QUIC_TOKEN_RETRY));
		cr_assert(eq(u8, r.info.odcid.len, sizeof(dcid8)));
		cr_assert(eq(int, memcmp(r.info.odcid.data, dcid8, sizeof(dcid8)), 0));
		cr_assert(eq(sz, r.token_len, h.token_len));
	}
	quic_validator_stats(f.v, &st);
	cr_assert(eq(u64, st.retries_sent, 2));
	cr_assert(eq(u64, st.accepted_validated, 2));
	cr_assert(eq(u64, st.tokens_valid[QUIC_TOKEN_RETRY], 2));
	cr_assert(eq(u64, st.dgrams, 4));
	vfix_fini(&f);
}

/* Decrypt the INVALID_TOKEN close as the client would: Initial keys of the DCID it sent,
 * server side (RFC 9001 §5.2), then the frame (RFC 9000 §19.19: 0x1c, INVALID_TOKEN 0x0b). */
static void
check_close(struct vfix *f, const struct quic_vresult *r, uint32_t version, const uint8_t *dcid,
	    size_t dcid_len)
{
	uint8_t pkt[QUIC_VALIDATOR_RESP_MAX], cs[32], ss[32];
	struct crypto_quic_keys k;
	struct crypto_aead *aead = NULL;
	struct crypto_hp *hp = NULL;
	struct quic_packet_hdr h;
	struct quic_packet_rx rx;
	struct crypto_rd rd;
	struct quic_frame fr;

	cr_assert(eq(int, (int)r->action, (int)QUIC_VA_SEND_CLOSE));
	cr_assert(le(sz, r->resp_len, sizeof(pkt)));
	memcpy(pkt, f->resp + r->resp_off, r->resp_len);
	cr_assert(eq(int, quic_packet_parse(pkt, r->resp_len, 0, &h), 0));
	cr_assert(eq(int, (int)h.type, (int)QUIC_PKT_INITIAL));
	cr_assert(eq(sz, h.len, r->resp_len));
	cr_assert(eq(sz, h.dcid_len, sizeof(scid5)));
	cr_assert(eq(int, memcmp(h.dcid, scid5, sizeof(scid5)), 0));
	cr_assert(eq(int, crypto_quic_initial_secrets(f->ctx, version, dcid, dcid_len, cs, ss), 0));
	cr_assert(eq(int,
		     crypto_quic_derive_keys(f->ctx, version, CRYPTO_SUITE_AES_128_GCM_SHA256, ss,
					     32, &k),
		     0));
	cr_assert(eq(int, crypto_aead_new(&aead, f->ctx, k.suite, k.key, k.iv), 0));
	cr_assert(eq(int, crypto_hp_new(&hp, f->ctx, k.suite, k.hp), 0));
	cr_assert(eq(int, quic_packet_unprotect(pkt, &h, hp, aead, QUIC_PN_NONE, &rx), 0));
	crypto_rd_init(&rd, rx.payload, rx.payload_len);
	cr_assert(eq(int, quic_frame_decode(&rd, &fr), 0));
	cr_assert(eq(u64, fr.type, QUIC_FRAME_CONNECTION_CLOSE));
	cr_assert(eq(u64, fr.connection_close.error_code, QUIC_INVALID_TOKEN));
	crypto_aead_free(aead);
	crypto_hp_free(hp);
}

/* A12: an Initial with a Retry token that fails (another address, another port, expired, a
 * flipped bit, another DCID) gets CONNECTION_CLOSE(INVALID_TOKEN), and no state. */
HB_TEST(validator, a12_bad_retry_token_closes)
{
	uint8_t dg2[DG_MAX], bad[DG_MAX], tok[QUIC_TOKEN_BUF_LEN];
	struct quic_addr moved = peer, other = peer;
	struct quic_validator_stats st;
	struct quic_packet_hdr h;
	struct quic_vresult r;
	struct vfix f;
	size_t n, m;

	vfix_init(&f, QUIC_RETRY_ALWAYS);
	moved.port++;
	other.ip[3]++;
	n = retry_round_trip(&f, QUIC_VERSION_1, dg2, &h);
	r = run1(&f, dg2, n, &other, NOW_NS, NULL);
	check_close(&f, &r, QUIC_VERSION_1, h.scid, h.scid_len);
	cr_assert(eq(int, (int)r.token, (int)QUIC_TOKEN_AUTH));
	r = run1(&f, dg2, n, &moved, NOW_NS, NULL);
	check_close(&f, &r, QUIC_VERSION_1, h.scid, h.scid_len);
	cr_assert(eq(int, (int)r.token, (int)QUIC_TOKEN_PORT));
	r = run1(&f, dg2, n, &peer, NOW_NS + 12 * S_NS, NULL);
	check_close(&f, &r, QUIC_VERSION_1, h.scid, h.scid_len);
	cr_assert(eq(int, (int)r.token, (int)QUIC_TOKEN_EXPIRED));
	memcpy(tok, h.token, h.token_len);
	tok[h.token_len - 1] ^= 1; /* a bit of the tag */
	m = make_initial(bad, QUIC_VERSION_1, h.scid, h.scid_len, tok, h.token_len, 1250);
	r = run1(&f, bad, m, &peer, NOW_NS, NULL);
	check_close(&f, &r, QUIC_VERSION_1, h.scid, h.scid_len);
	cr_assert(eq(int, (int)r.token, (int)QUIC_TOKEN_AUTH));
	/* The right token under another DCID (the Retry SCID is in the associated data). */
	m = make_initial(bad, QUIC_VERSION_1, dcid8, sizeof(dcid8), h.token, h.token_len, 1250);
	r = run1(&f, bad, m, &peer, NOW_NS, NULL);
	check_close(&f, &r, QUIC_VERSION_1, dcid8, sizeof(dcid8));
	cr_assert(eq(int, (int)r.token, (int)QUIC_TOKEN_AUTH));
	/* The close answers a datagram of 1250 bytes with far fewer (RFC 9000 §8.1). */
	cr_assert(lt(sz, r.resp_len, 100));
	quic_validator_stats(f.v, &st);
	cr_assert(eq(u64, st.closes_sent, 5));
	cr_assert(eq(u64, st.tokens_invalid[QUIC_TOKEN_AUTH], 3));
	cr_assert(eq(u64, st.tokens_invalid[QUIC_TOKEN_PORT], 1));
	cr_assert(eq(u64, st.tokens_invalid[QUIC_TOKEN_EXPIRED], 1));
	vfix_fini(&f);
}

/* A12 rate limit: the close costs a key derivation, so it is bounded per worker. */
HB_TEST(validator, close_rate_limited)
{
	uint8_t dg2[DG_MAX];
	struct quic_addr other = peer;
	struct quic_packet_hdr h;
	struct quic_vresult r;
	struct vfix f;
	size_t n;

	vfix_init_cfg(&f, QUIC_RETRY_ALWAYS);
	f.cfg.close_rate = 0;
	f.cfg.close_burst = 1;
	vfix_start(&f);
	other.ip[0]++;
	n = retry_round_trip(&f, QUIC_VERSION_1, dg2, &h);
	r = run1(&f, dg2, n, &other, NOW_NS, NULL);
	cr_assert(eq(int, (int)r.action, (int)QUIC_VA_SEND_CLOSE));
	r = run1(&f, dg2, n, &other, NOW_NS + 100 * S_NS, NULL);
	assert_drop(&r, QUIC_VDROP_CLOSE_RATE);
	vfix_fini(&f);
}

/* A13 and §8.1.3: a NEW_TOKEN token validates the address; a failing one (here a replay, an
 * address change) counts as no token: policy decides, never a close. */
HB_TEST(validator, a13_new_token)
{
	uint8_t tok[QUIC_TOKEN_BUF_LEN], dg[DG_MAX], d2[8] = {9, 9, 9, 9, 9, 9, 9, 9};
	struct quic_addr other = peer, moved = peer;
	struct quic_vresult r;
	struct vfix f;
	size_t tlen, n;

	vfix_init(&f, QUIC_RETRY_ALWAYS);
	other.ip[2] = 1;
	moved.port = 1;
	quic_token_worker_enter(f.tw);
	cr_assert(eq(int, quic_token_seal_new_token(f.tw, &peer, NOW_NS, tok, sizeof(tok), &tlen),
		     0));
	quic_token_worker_exit(f.tw);
	n = make_initial(dg, QUIC_VERSION_1, dcid8, sizeof(dcid8), tok, tlen, 1200);
	r = run1(&f, dg, n, &moved, NOW_NS + 3600 * S_NS, NULL);
	cr_assert(eq(int, (int)r.action, (int)QUIC_VA_ACCEPT));
	cr_assert(r.validated);
	cr_assert(eq(int, (int)r.info.kind, (int)QUIC_TOKEN_NEW_TOKEN));
	/* The same Initial again (a retransmission): still the same attempt. */
	r = run1(&f, dg, n, &moved, NOW_NS + 3600 * S_NS, NULL);
	cr_assert(eq(int, (int)r.action, (int)QUIC_VA_ACCEPT));
	/* Another connection attempt with it: a replay, so a Retry (ALWAYS). */
	n = make_initial(dg, QUIC_VERSION_1, d2, sizeof(d2), tok, tlen, 1200);
	r = run1(&f, dg, n, &moved, NOW_NS + 3600 * S_NS, NULL);
	cr_assert(eq(int, (int)r.action, (int)QUIC_VA_SEND_RETRY));
	cr_assert(eq(int, (int)r.token, (int)QUIC_TOKEN_REPLAY));
	r = run1(&f, dg, n, &other, NOW_NS, NULL);
	cr_assert(eq(int, (int)r.action, (int)QUIC_VA_SEND_RETRY));
	cr_assert(eq(int, (int)r.token, (int)QUIC_TOKEN_AUTH));
	vfix_fini(&f);
	/* With policy NEVER a failing NEW_TOKEN token means an unvalidated accept. */
	vfix_init(&f, QUIC_RETRY_NEVER);
	n = make_initial(dg, QUIC_VERSION_1, dcid8, sizeof(dcid8), tok, tlen, 1200);
	r = run1(&f, dg, n, &other, NOW_NS, NULL);
	cr_assert(eq(int, (int)r.action, (int)QUIC_VA_ACCEPT));
	cr_assert(not(r.validated));
	cr_assert(r.has_token);
	vfix_fini(&f);
}

/* A1-A9 drops and A4/A6/A10 decisions, each with its pinned reason. */
HB_TEST(validator, a1_to_a10_rows)
{
	uint8_t dg[DG_MAX], tok[QUIC_TOKEN_BUF_LEN] = {0x85};
	struct quic_vresult r;
	struct vfix f;
	size_t n;

	vfix_init(&f, QUIC_RETRY_NEVER);
	memset(dg, 0x40, sizeof(dg)); /* short header */
	r = run1(&f, dg, 20, &peer, NOW_NS, NULL);
	assert_drop(&r, QUIC_VDROP_TOO_SHORT); /* A1 */
	r = run1(&f, NULL, 0, &peer, NOW_NS, NULL);
	assert_drop(&r, QUIC_VDROP_TOO_SHORT);
	r = run1(&f, dg, 21, &peer, NOW_NS, NULL);
	cr_assert(eq(int, (int)r.action, (int)QUIC_VA_PASS)); /* A10: short header */
	n = make_initial(dg, QUIC_VERSION_1, dcid8, sizeof(dcid8), NULL, 0, 1200);
	dg[0] &= (uint8_t)~0x40;
	r = run1(&f, dg, n, &peer, NOW_NS, NULL);
	assert_drop(&r, QUIC_VDROP_FIXED_BIT); /* A3 */
	n = make_unknown(dg, 0, 1200);
	r = run1(&f, dg, n, &peer, NOW_NS, NULL);
	assert_drop(&r, QUIC_VDROP_VN_RECEIVED); /* A6 */
	n = make_unknown(dg, UNKNOWN, 1199);
	r = run1(&f, dg, n, &peer, NOW_NS, NULL);
	assert_drop(&r, QUIC_VDROP_SMALL_UNKNOWN); /* A5 */
	n = make_initial(dg, QUIC_VERSION_1, dcid8, sizeof(dcid8), NULL, 0, 1199);
	r = run1(&f, dg, n, &peer, NOW_NS, NULL);
	assert_drop(&r, QUIC_VDROP_INITIAL_SMALL); /* A7 */
	n = make_initial(dg, QUIC_VERSION_1, dcid8, 7, NULL, 0, 1200);
	r = run1(&f, dg, n, &peer, NOW_NS, NULL);
	assert_drop(&r, QUIC_VDROP_SHORT_DCID); /* A8 */
	n = make_initial(dg, QUIC_VERSION_1, dcid8, 7, tok, 40, 1200);
	r = run1(&f, dg, n, &peer, NOW_NS, NULL);
	assert_drop(&r, QUIC_VDROP_SHORT_DCID); /* A8, with a NEW_TOKEN-kind token */
	n = make_initial(dg, QUIC_VERSION_1, dcid8, 8, NULL, 0, 1200);
	r = run1(&f, dg, n, &peer, NOW_NS, NULL);
	cr_assert(eq(int, (int)r.action, (int)QUIC_VA_ACCEPT));
	cr_assert(not(r.validated));
	cr_assert(not(r.has_token));
	/* A9: Length past the datagram. */
	n = make_initial(dg, QUIC_VERSION_1, dcid8, sizeof(dcid8), NULL, 0, 1300);
	r = run1(&f, dg, 1250, &peer, NOW_NS, NULL);
	assert_drop(&r, QUIC_VDROP_BAD_LENGTH);
	(void)n;
	vfix_fini(&f);
}

/* A2 (a CID length over 20) and A9 (a Token Length past the datagram), built by hand. */
HB_TEST(validator, a2_a9_header_lengths)
{
	uint8_t dg[1200];
	struct quic_vresult r;
	struct vfix f;

	vfix_init(&f, QUIC_RETRY_ALWAYS);
	memset(dg, 0, sizeof(dg));
	memcpy(dg, "\xc0\x00\x00\x00\x01\x15", 6); /* DCID length 21 */
	r = run1(&f, dg, sizeof(dg), &peer, NOW_NS, NULL);
	assert_drop(&r, QUIC_VDROP_BAD_CID_LEN);
	memcpy(dg, "\xc0\x00\x00\x00\x01\x08", 6);
	dg[14] = 21; /* SCID length 21 */
	r = run1(&f, dg, sizeof(dg), &peer, NOW_NS, NULL);
	assert_drop(&r, QUIC_VDROP_BAD_CID_LEN);
	dg[14] = 0;
	dg[15] = 0x80; /* Token Length: 4-byte varint */
	dg[16] = 0x00;
	dg[17] = 0x10;
	dg[18] = 0x00; /* 4096 bytes of token in a 1200-byte datagram */
	r = run1(&f, dg, sizeof(dg), &peer, NOW_NS, NULL);
	assert_drop(&r, QUIC_VDROP_BAD_LENGTH);
	/* Cut to 21 bytes, the size check comes first. */
	r = run1(&f, dg, 21, &peer, NOW_NS, NULL);
	assert_drop(&r, QUIC_VDROP_INITIAL_SMALL);
	vfix_fini(&f);
}

/* Retry, 0-RTT and Handshake from a client, for no connection. */
HB_TEST(validator, other_long_types)
{
	struct quic_packet_out p = {.type = QUIC_PKT_HANDSHAKE,
				    .version = QUIC_VERSION_1,
				    .dcid = dcid8,
				    .dcid_len = 8,
				    .scid = scid5,
				    .scid_len = 5,
				    .pn_len = 2};
	struct quic_retry_params rp = {.version = QUIC_VERSION_2,
				       .dcid = scid5,
				       .dcid_len = 5,
				       .scid = dcid8,
				       .scid_len = 8,
				       .odcid = scid5,
				       .odcid_len = 5,
				       .token = dcid8,
				       .token_len = 4};
	struct quic_packet_layout lay;
	struct crypto_aead_op op;
	uint8_t dg[DG_MAX];
	struct quic_vresult r;
	struct vfix f;
	size_t n;

	vfix_init(&f, QUIC_RETRY_ALWAYS);
	for (int t = 0; t < 2; t++) {
		p.type = t == 0 ? QUIC_PKT_HANDSHAKE : QUIC_PKT_0RTT;
		cr_assert(eq(int, quic_packet_write_header(dg, sizeof(dg), &p, &lay), 0));
		cr_assert(eq(int, quic_packet_seal_prepare(dg, sizeof(dg), &lay, 40, NULL, &op, &n),
			     0));
		r = run1(&f, dg, n, &peer, NOW_NS, NULL);
		cr_assert(eq(int, (int)r.action, (int)QUIC_VA_PASS));
	}
	cr_assert(eq(int, quic_retry_write(f.ctx, &rp, dg, sizeof(dg), &n), 0));
	r = run1(&f, dg, n, &peer, NOW_NS, NULL);
	assert_drop(&r, QUIC_VDROP_RETRY_RECEIVED);
	vfix_fini(&f);
}

/* A4: an unknown version in 1200 bytes gets a VN listing v1 and v2, CIDs echoed swapped
 * (RFC 9000 §17.2.1); VNs are rate-limited by a token bucket in simulated time. */
HB_TEST(validator, a4_version_negotiation_rate_limited)
{
	uint8_t dg[DG_MAX];
	struct quic_packet_hdr h;
	struct quic_vresult r;
	struct vfix f;
	size_t n;

	vfix_init_cfg(&f, QUIC_RETRY_ALWAYS);
	f.cfg.vn_rate = 1;
	f.cfg.vn_burst = 2;
	vfix_start(&f);
	n = make_unknown(dg, UNKNOWN, 1200);
	r = run1(&f, dg, n, &peer, NOW_NS, NULL);
	cr_assert(eq(int, (int)r.action, (int)QUIC_VA_SEND_VN));
	cr_assert(eq(int, quic_vn_parse(f.resp + r.resp_off, r.resp_len, UNKNOWN, &h), 0));
	cr_assert(eq(sz, h.n_versions, 2));
	cr_assert(eq(u32, quic_vn_version(&h, 0), QUIC_VERSION_1));
	cr_assert(eq(u32, quic_vn_version(&h, 1), QUIC_VERSION_2));
	cr_assert(eq(int, memcmp(h.dcid, scid5, 5), 0));
	cr_assert(eq(int, memcmp(h.scid, dcid8, 8), 0));
	r = run1(&f, dg, n, &peer, NOW_NS, NULL);
	cr_assert(eq(int, (int)r.action, (int)QUIC_VA_SEND_VN));
	r = run1(&f, dg, n, &peer, NOW_NS, NULL);
	assert_drop(&r, QUIC_VDROP_VN_RATE);
	r = run1(&f, dg, n, &peer, NOW_NS + S_NS - 1, NULL);
	assert_drop(&r, QUIC_VDROP_VN_RATE);
	r = run1(&f, dg, n, &peer, NOW_NS + S_NS, NULL);
	cr_assert(eq(int, (int)r.action, (int)QUIC_VA_SEND_VN));
	/* Time going backwards refills nothing; the end of time refills to the burst, no more. */
	r = run1(&f, dg, n, &peer, 0, NULL);
	assert_drop(&r, QUIC_VDROP_VN_RATE);
	for (int i = 0; i < 3; i++) {
		r = run1(&f, dg, n, &peer, UINT64_MAX, NULL);
		cr_assert(eq(int, (int)r.action, i < 2 ? (int)QUIC_VA_SEND_VN : (int)QUIC_VA_DROP));
	}
	vfix_fini(&f);
}

/* Stateless Resets share the per-worker rate limiting (RFC 9000 §10.3, A14). */
HB_TEST(validator, reset_rate_limited)
{
	struct quic_validator_stats st;
	struct vfix f;

	vfix_init_cfg(&f, QUIC_RETRY_NEVER);
	f.cfg.reset_rate = 1;
	f.cfg.reset_burst = 2;
	vfix_start(&f);
	cr_assert(quic_validator_reset_allowed(f.v, NOW_NS));
	cr_assert(quic_validator_reset_allowed(f.v, NOW_NS));
	cr_assert(not(quic_validator_reset_allowed(f.v, NOW_NS)));
	cr_assert(not(quic_validator_reset_allowed(f.v, NOW_NS + S_NS / 2)));
	cr_assert(quic_validator_reset_allowed(f.v, NOW_NS + S_NS));
	quic_validator_stats(f.v, &st);
	cr_assert(eq(u64, st.resets_allowed, 3));
	cr_assert(eq(u64, st.resets_limited, 2));
	vfix_fini(&f);
}

/* Policies: NEVER accepts unvalidated, AUTO sends a Retry only above a threshold. */
HB_TEST(validator, policies)
{
	struct quic_validator_load idle = {10, 100}, busy_hs = {257, 0}, busy_rate = {0, 10001};
	uint8_t dg[DG_MAX];
	struct quic_vresult r;
	struct vfix f;
	size_t n;

	n = make_initial(dg, QUIC_VERSION_1, dcid8, sizeof(dcid8), NULL, 0, 1200);
	vfix_init(&f, QUIC_RETRY_NEVER);
	r = run1(&f, dg, n, &peer, NOW_NS, &busy_hs);
	cr_assert(eq(int, (int)r.action, (int)QUIC_VA_ACCEPT));
	vfix_fini(&f);
	vfix_init(&f, QUIC_RETRY_AUTO);
	r = run1(&f, dg, n, &peer, NOW_NS, NULL);
	cr_assert(eq(int, (int)r.action, (int)QUIC_VA_ACCEPT));
	r = run1(&f, dg, n, &peer, NOW_NS, &idle);
	cr_assert(eq(int, (int)r.action, (int)QUIC_VA_ACCEPT));
	cr_assert(not(r.validated));
	r = run1(&f, dg, n, &peer, NOW_NS, &busy_hs);
	cr_assert(eq(int, (int)r.action, (int)QUIC_VA_SEND_RETRY));
	r = run1(&f, dg, n, &peer, NOW_NS, &busy_rate);
	cr_assert(eq(int, (int)r.action, (int)QUIC_VA_SEND_RETRY));
	vfix_fini(&f);
	vfix_init_cfg(&f, (enum quic_retry_policy)7);
	cr_assert(eq(int, quic_validator_new(&f.v, &f.cfg, f.tw, f.ctx, NULL), QUIC_ERR_INVAL));
	f.cfg.policy = QUIC_RETRY_ALWAYS;
	f.cfg.retry_scid_len = 7;
	cr_assert(eq(int, quic_validator_new(&f.v, &f.cfg, f.tw, f.ctx, NULL), QUIC_ERR_INVAL));
	cr_assert(eq(ptr, f.v, NULL));
	vfix_fini(&f);
}

static int
fixed_cid(void *arg, struct quic_cid *out)
{
	const uint8_t *b = arg;

	if (b[0] == 0)
		return -1;
	out->len = 12;
	memset(out->data, b[0], 12);
	return 0;
}

/* The Retry SCID comes from the caller's CID source (QUIC-LB) when set. */
HB_TEST(validator, retry_scid_from_callback)
{
	uint8_t dg[DG_MAX], which = 0xee;
	struct quic_packet_hdr h;
	struct quic_vresult r;
	struct vfix f;
	size_t n;

	vfix_init_cfg(&f, QUIC_RETRY_ALWAYS);
	f.cfg.new_cid = fixed_cid;
	f.cfg.cid_arg = &which;
	vfix_start(&f);
	n = make_initial(dg, QUIC_VERSION_1, dcid8, sizeof(dcid8), NULL, 0, 1200);
	r = run1(&f, dg, n, &peer, NOW_NS, NULL);
	parse_retry(&f, &r, QUIC_VERSION_1, dcid8, sizeof(dcid8), &h);
	cr_assert(eq(sz, h.scid_len, 12));
	cr_assert(eq(u8, h.scid[11], 0xee));
	which = 0;
	r = run1(&f, dg, n, &peer, NOW_NS, NULL);
	assert_drop(&r, QUIC_VDROP_INTERNAL);
	/* A source that hands back the client's own DCID (RFC 9000 §17.2.5.1 forbids it). */
	which = 0x83;
	n = make_initial(dg, QUIC_VERSION_1,
			 (const uint8_t *)"\x83\x83\x83\x83\x83\x83\x83\x83\x83"
					  "\x83\x83\x83",
			 12, NULL, 0, 1200);
	r = run1(&f, dg, n, &peer, NOW_NS, NULL);
	assert_drop(&r, QUIC_VDROP_INTERNAL);
	vfix_fini(&f);
}

HB_TEST(validator, response_buffer_full)
{
	struct quic_dgram dg = {NULL, 0, peer};
	uint8_t buf[DG_MAX];
	struct quic_vresult r;
	struct vfix f;

	vfix_init(&f, QUIC_RETRY_ALWAYS);
	dg.data = buf;
	dg.len = make_initial(buf, QUIC_VERSION_1, dcid8, sizeof(dcid8), NULL, 0, 1200);
	cr_assert(eq(sz, quic_validator_burst(f.v, &dg, 1, NULL, NOW_NS, f.resp, 50, &r), 0));
	assert_drop(&r, QUIC_VDROP_NO_ROOM);
	cr_assert(eq(sz, quic_validator_burst(f.v, &dg, 1, NULL, NOW_NS, NULL, 5000, &r), 0));
	assert_drop(&r, QUIC_VDROP_NO_ROOM);
	vfix_fini(&f);
}

/* Every strict prefix of a valid Initial datagram is a clean drop. */
HB_TEST(validator, every_prefix_dropped)
{
	uint8_t dg[DG_MAX];
	struct quic_vresult r;
	struct vfix f;
	size_t n;

	vfix_init(&f, QUIC_RETRY_ALWAYS);
	n = make_initial(dg, QUIC_VERSION_1, dcid8, sizeof(dcid8), NULL, 0, 1200);
	for (size_t k = 0; k < n; k++) {
		uint8_t *p = malloc(k > 0 ? k : 1);

		memcpy(p, dg, k);
		r = run1(&f, p, k, &peer, NOW_NS, NULL);
		assert_drop(&r, k < 21 ? QUIC_VDROP_TOO_SHORT : QUIC_VDROP_INITIAL_SMALL);
		free(p);
	}
	vfix_fini(&f);
}

/* ---- A burst of 32 mixed datagrams in one call ---- */

enum mix {
	MIX_TINY,
	MIX_SHORT,
	MIX_NOTOKEN,
	MIX_RETRY_OK,
	MIX_RETRY_BAD,
	MIX_NEW_OK,
	MIX_SMALL_INITIAL,
	MIX_UNKNOWN,
	MIX_VN,
	MIX_FIXED,
	MIX_N
};

struct mixed {
	uint8_t data[32][DG_MAX];
	struct quic_dgram dg[32];
	struct quic_vresult res[32];
};

static size_t
mix_datagram(struct vfix *f, enum mix kind, unsigned i, const struct quic_packet_hdr *retry,
	     uint8_t *b)
{
	uint8_t tok[QUIC_TOKEN_BUF_LEN], dcid[8];
	size_t tlen;

	memcpy(dcid, dcid8, 8);
	dcid[0] = (uint8_t)i; /* every attempt its own DCID */
	switch (kind) {
	case MIX_TINY:
		memset(b, 0xc0, 10);
		return 10;
	case MIX_SHORT:
		memset(b, 0x41, 60);
		return 60;
	case MIX_NOTOKEN:
		return make_initial(b, QUIC_VERSION_1, dcid, 8, NULL, 0, 1200);
	case MIX_RETRY_OK:
	case MIX_RETRY_BAD:
		memcpy(tok, retry->token, retry->token_len);
		tok[5] ^= kind == MIX_RETRY_BAD;
		return make_initial(b, QUIC_VERSION_1, retry->scid, retry->scid_len, tok,
				    retry->token_len, 1252);
	case MIX_NEW_OK:
		cr_assert(
			eq(int,
			   quic_token_seal_new_token(f->tw, &peer, NOW_NS, tok, sizeof(tok), &tlen),
			   0));
		return make_initial(b, QUIC_VERSION_2, dcid, 8, tok, tlen, 1300);
	case MIX_SMALL_INITIAL:
		return make_initial(b, QUIC_VERSION_1, dcid, 8, NULL, 0, 1000);
	case MIX_UNKNOWN:
		return make_unknown(b, UNKNOWN, 1200);
	case MIX_VN:
		return make_unknown(b, 0, 1200);
	case MIX_FIXED:
	default:
		make_initial(b, QUIC_VERSION_1, dcid, 8, NULL, 0, 1200);
		b[0] &= 0xbf;
		return 1200;
	}
}

static const enum quic_vaction mix_action[MIX_N] = {
	[MIX_TINY] = QUIC_VA_DROP,
	[MIX_SHORT] = QUIC_VA_PASS,
	[MIX_NOTOKEN] = QUIC_VA_SEND_RETRY,
	[MIX_RETRY_OK] = QUIC_VA_ACCEPT,
	[MIX_RETRY_BAD] = QUIC_VA_SEND_CLOSE,
	[MIX_NEW_OK] = QUIC_VA_ACCEPT,
	[MIX_SMALL_INITIAL] = QUIC_VA_DROP,
	[MIX_UNKNOWN] = QUIC_VA_SEND_VN,
	[MIX_VN] = QUIC_VA_DROP,
	[MIX_FIXED] = QUIC_VA_DROP,
};

HB_TEST(validator, burst_of_32_mixed)
{
	struct mixed *m = calloc(1, sizeof(*m));
	struct quic_validator_stats st;
	struct quic_packet_hdr retry;
	uint8_t second[DG_MAX];
	struct vfix f;
	size_t sent, want_sent = 0, end = 0;

	cr_assert(not(eq(ptr, m, NULL)));
	vfix_init(&f, QUIC_RETRY_ALWAYS);
	retry_round_trip(&f, QUIC_VERSION_1, second, &retry);
	quic_token_worker_enter(f.tw);
	for (unsigned i = 0; i < 32; i++) {
		m->dg[i].data = m->data[i];
		m->dg[i].len = mix_datagram(&f, (enum mix)(i % MIX_N), i, &retry, m->data[i]);
		m->dg[i].peer = peer;
	}
	quic_token_worker_exit(f.tw);
	sent = quic_validator_burst(f.v, m->dg, 32, NULL, NOW_NS, f.resp, sizeof(f.resp), m->res);
	for (unsigned i = 0; i < 32; i++) {
		const struct quic_vresult *r = &m->res[i];

		cr_assert(eq(int, (int)r->action, (int)mix_action[i % MIX_N]), "datagram %u", i);
		if (r->action < QUIC_VA_SEND_VN)
			continue;
		want_sent++;
		/* In order and apart (a Retry's pseudo-packet prefix, RFC 9001 §5.8, may sit in
		 * front of it), inside the buffer, never larger than what came in. */
		cr_assert(ge(sz, r->resp_off, end));
		cr_assert(le(sz, r->resp_off - end,
			     r->action == QUIC_VA_SEND_RETRY ? 1 + QUIC_CID_LEN_MAX : 0));
		end = r->resp_off + r->resp_len;
		cr_assert(le(sz, end, sizeof(f.resp)));
		cr_assert(lt(sz, r->resp_len, m->dg[i].len));
	}
	cr_assert(eq(sz, sent, want_sent));
	quic_validator_stats(f.v, &st);
	cr_assert(eq(u64, st.dgrams, 33));
	cr_assert(eq(u64, st.accepted_validated, 6));
	cr_assert(eq(u64, st.vn_sent, 3));
	cr_assert(eq(u64, st.closes_sent, 3));
	cr_assert(eq(u64, st.retries_sent, 4));
	cr_assert(eq(u64, st.passed, 4));
	cr_assert(eq(u64, st.drops[QUIC_VDROP_TOO_SHORT], 4));
	cr_assert(eq(u64, st.drops[QUIC_VDROP_INITIAL_SMALL], 3));
	cr_assert(eq(u64, st.drops[QUIC_VDROP_VN_RECEIVED], 3));
	cr_assert(eq(u64, st.drops[QUIC_VDROP_FIXED_BIT], 3));
	free(m);
	vfix_fini(&f);
}

/* ---- struct quic_token_ops for quic_conn_accept() ---- */

HB_TEST(validator, conn_token_ops)
{
	uint8_t dg2[DG_MAX], tok[QUIC_TOKEN_BUF_LEN];
	struct quic_addr other = peer;
	struct quic_token_info info;
	struct quic_token_ops ops;
	struct quic_packet_hdr h, h2;
	struct quic_vresult r;
	struct quic_dgram dg;
	struct vfix f;
	int n;

	vfix_init(&f, QUIC_RETRY_ALWAYS);
	quic_validator_token_ops(f.v, &ops);
	other.port = 1;
	dg.len = retry_round_trip(&f, QUIC_VERSION_1, dg2, &h);
	dg.data = dg2;
	dg.peer = peer;
	quic_validator_burst(f.v, &dg, 1, NULL, NOW_NS, f.resp, sizeof(f.resp), &r);
	cr_assert(r.validated);
	cr_assert(eq(int, quic_packet_parse(dg2, dg.len, 0, &h2), 0));
	/* Nothing selected: no verdict. */
	cr_assert(lt(int, ops.validate(ops.arg, h2.token, h2.token_len, &peer, NOW_NS, &info), 0));
	quic_validator_select(f.v, &dg, &r);
	cr_assert(eq(int, ops.validate(ops.arg, h2.token, h2.token_len, &peer, NOW_NS, &info), 0));
	cr_assert(eq(int, (int)info.kind, (int)QUIC_TOKEN_RETRY));
	cr_assert(eq(int, memcmp(info.odcid.data, dcid8, 8), 0));
	cr_assert(lt(int, ops.validate(ops.arg, h2.token, h2.token_len, &other, NOW_NS, &info), 0));
	cr_assert(lt(int, ops.validate(ops.arg, h2.token, h2.token_len - 1, &peer, NOW_NS, &info),
		     0));
	quic_validator_select(f.v, NULL, NULL);
	cr_assert(lt(int, ops.validate(ops.arg, h2.token, h2.token_len, &peer, NOW_NS, &info), 0));
	/* issue(): NEW_TOKEN tokens only. */
	n = ops.issue(ops.arg, QUIC_TOKEN_NEW_TOKEN, &peer, NULL, 0, NOW_NS, tok, sizeof(tok));
	cr_assert(eq(int, n, QUIC_TOKEN_NEW_LEN));
	quic_token_worker_enter(f.tw);
	cr_assert(eq(int,
		     (int)quic_token_open(f.tw, QUIC_TOKEN_NEW_TOKEN, tok, (size_t)n, &other, dcid8,
					  8, NOW_NS, NULL),
		     (int)QUIC_TOKEN_OK));
	quic_token_worker_exit(f.tw);
	cr_assert(
		lt(int,
		   ops.issue(ops.arg, QUIC_TOKEN_RETRY, &peer, dcid8, 8, NOW_NS, tok, sizeof(tok)),
		   0));
	cr_assert(lt(int, ops.issue(ops.arg, QUIC_TOKEN_NEW_TOKEN, &peer, NULL, 0, NOW_NS, tok, 10),
		     0));
	vfix_fini(&f);
}

HB_TEST(validator, drop_names)
{
	for (int d = 0; d < QUIC_VDROP_COUNT; d++)
		cr_assert(ne(int, strcmp(quic_vdrop_name((enum quic_vdrop)d), "unknown"), 0));
	cr_assert(eq(int, strcmp(quic_vdrop_name(QUIC_VDROP_COUNT), "unknown"), 0));
}
