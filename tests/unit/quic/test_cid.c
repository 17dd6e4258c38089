/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Connection IDs: QUIC-LB configuration checks and round trips over every layout, decoding of
 * arbitrary bytes, stateless reset tokens (RFC 9000 §10.3.2), our CID set (RFC 9000 §5.1.1,
 * §19.16) and the peer's (§5.1.2, §19.15), with the connection-ID rows of
 * shared/bad-input.md (C22-C27) pinned to their error codes.
 */
#include <string.h>

#include <crypto/crypto.h>
#include <quic/cid.h>
#include <quic/error.h>
#include <quic/frame.h>

#include "hb_crypto_test.h"

TestSuite(cid);

/* ---- helpers ---- */

/* A replayable random source for the codec (xorshift64 state in arg). */
static int
test_rand(void *arg, uint8_t *buf, size_t len)
{
	hb_fill(arg, buf, len);
	return 0;
}

static int
failing_rand(void *arg, uint8_t *buf, size_t len)
{
	(void)arg, (void)buf, (void)len;
	return CRYPTO_ERR_LIB;
}

static struct quic_lb_config
make_config(uint8_t config_id, uint8_t sid_len, uint8_t nonce_len, uint8_t cid_len, bool key)
{
	struct quic_lb_config c = {0};

	c.config_id = config_id;
	c.server_id_len = sid_len;
	for (uint8_t i = 0; i < sid_len && i < QUIC_LB_SID_MAX; i++)
		c.server_id[i] = (uint8_t)(0x51 + 7 * i);
	c.nonce_len = nonce_len;
	c.cid_len = cid_len;
	c.has_key = key;
	for (uint8_t i = 0; key && i < QUIC_LB_KEY_LEN; i++)
		c.key[i] = (uint8_t)(0xc3 ^ (i * 29));
	return c;
}

/* ---- QUIC-LB configuration ---- */

HB_TEST(cid, lb_config_constraints)
{
	struct crypto_ctx *ctx = hb_ctx_new(CRYPTO_ENGINE_EVP);
	/* Each entry breaks one constraint of struct quic_lb_config. */
	const struct quic_lb_config bad[] = {
		make_config(QUIC_LB_UNROUTABLE, 1, 4, 8, false), /* 0b111 is reserved */
		make_config(0, 0, 4, 8, false),			 /* server ID >= 1 byte */
		make_config(0, 16, 4, 20, false),		 /* server ID <= 15 */
		make_config(0, 3, 3, 8, false),			 /* nonce >= 4 bytes */
		make_config(0, 10, 10, 20, false),		 /* server ID + nonce <= 19 */
		make_config(0, 1, 4, 7, false),			 /* CID >= 8 bytes */
		make_config(0, 3, 4, 21, false),		 /* CID <= 20 bytes */
		make_config(0, 5, 5, 10, false),		 /* CID >= 1 + 5 + 5 */
	};
	struct quic_lb_config ok = make_config(6, 1, 4, 8, true);
	struct quic_lb *lb = NULL;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert(eq(int, quic_lb_new(&lb, &bad[i], ctx), QUIC_ERR_INVAL), "case %zu", i);
		cr_assert(eq(ptr, lb, NULL));
	}
	/* A key needs a crypto context; no key needs none. */
	cr_assert(eq(int, quic_lb_new(&lb, &ok, NULL), QUIC_ERR_INVAL));
	cr_assert(eq(int, quic_lb_new(NULL, &ok, ctx), QUIC_ERR_INVAL));
	cr_assert(eq(int, quic_lb_new(&lb, NULL, ctx), QUIC_ERR_INVAL));
	cr_assert(eq(int, quic_lb_new(&lb, &ok, ctx), 0));
	quic_lb_free(lb);
	ok.has_key = false;
	cr_assert(eq(int, quic_lb_new(&lb, &ok, NULL), 0));
	cr_assert(eq(sz, quic_lb_cid_len(lb), 8));
	quic_lb_free(lb);
	quic_lb_free(NULL);
	cr_assert(eq(sz, quic_lb_cid_len(NULL), 0));
	crypto_ctx_free(ctx);
}

/* One layout: encode for several workers, check the octets, decode and decrypt back. */
static void
round_trip(struct crypto_ctx *ctx, const struct quic_lb_config *cfg, uint64_t *seed)
{
	struct crypto_rand rand = {test_rand, seed};
	uint8_t plain[QUIC_LB_PLAIN_MAX];
	struct quic_lb *lb = NULL;
	struct quic_lb_route route;
	struct quic_cid cid;

	cr_assert(eq(int, quic_lb_new(&lb, cfg, ctx), 0), "sid %u cid %u", cfg->server_id_len,
		  cfg->cid_len);
	for (unsigned w = 0; w < 256; w += 51) {
		cr_assert(eq(int, quic_lb_encode(lb, (uint8_t)w, &rand, &cid), 0));
		cr_assert(eq(u8, cid.len, cfg->cid_len));
		/* First octet: config rotation, then CID length - 1 (length self-description). */
		cr_assert(eq(u8, cid.data[0], (uint8_t)(cfg->config_id << 5 | (cfg->cid_len - 1))));
		if (!cfg->has_key) {
			cr_assert(eq(int, memcmp(cid.data + 1, cfg->server_id, cfg->server_id_len),
				     0));
			cr_assert(eq(u8, cid.data[1 + cfg->server_id_len], (uint8_t)w));
		}
		cr_assert(eq(int, quic_lb_decode(lb, cid.data, cid.len, &route), 0));
		cr_assert(eq(u8, route.config_id, cfg->config_id));
		cr_assert(eq(u8, route.server_id_len, cfg->server_id_len));
		cr_assert(eq(int, memcmp(route.server_id, cfg->server_id, cfg->server_id_len), 0));
		cr_assert(eq(u8, route.worker, (uint8_t)w), "sid %u cid %u", cfg->server_id_len,
			  cfg->cid_len);
		cr_assert(eq(int, quic_lb_decrypt(lb, cid.data, cid.len, plain), 0));
		cr_assert(eq(int, memcmp(plain, cfg->server_id, cfg->server_id_len), 0));
		cr_assert(eq(u8, plain[cfg->server_id_len], (uint8_t)w));
		/* Every strict prefix is a length mismatch. */
		for (size_t k = 0; k < cid.len; k++)
			cr_assert(eq(int, quic_lb_decode(lb, cid.data, k, &route),
				     QUIC_ERR_MALFORMED));
	}
	quic_lb_free(lb);
}

/*
 * Every server ID length 1..15 and CID length 8..20 that fit a 4-byte nonce, with and without
 * a key: the nonce takes all the room, or the minimum 4 bytes with trailing bytes after it.
 * Keyed, this runs single pass (16-byte plaintexts) and four-pass with odd and even lengths,
 * with the worker byte in either half.
 */
HB_TEST(cid, lb_round_trip_every_layout)
{
	struct crypto_ctx *ctx = hb_ctx_new(CRYPTO_ENGINE_EVP);
	uint64_t seed = 0x9e3779b97f4a7c15u;
	unsigned layouts = 0;

	for (uint8_t sid = 1; sid <= QUIC_LB_SID_MAX; sid++) {
		for (uint8_t len = QUIC_LB_CID_LEN_MIN; len <= QUIC_CID_LEN_MAX; len++) {
			int full = len - 1 - sid;

			if (full < QUIC_LB_NONCE_MIN)
				continue;
			if (full > QUIC_LB_PLAIN_MAX - sid)
				full = QUIC_LB_PLAIN_MAX - sid;
			for (int key = 0; key < 2; key++) {
				struct quic_lb_config a =
					make_config(sid % 7, sid, (uint8_t)full, len, key);
				struct quic_lb_config b = make_config((uint8_t)(len % 7), sid,
								      QUIC_LB_NONCE_MIN, len, key);

				round_trip(ctx, &a, &seed);
				round_trip(ctx, &b, &seed);
				layouts += 2;
			}
		}
	}
	/* (sid, len) pairs with sid <= len - 5: 3 + 4 + ... + 15 = 117; two configs, two keys. */
	cr_assert(eq(u32, layouts, 117 * 4));
	crypto_ctx_free(ctx);
}

/* Encrypted CIDs of one server and worker share no visible server ID, and never repeat. */
HB_TEST(cid, lb_encrypted_cids_unlinkable)
{
	struct crypto_ctx *ctx = hb_ctx_new(CRYPTO_ENGINE_EVP);
	struct quic_lb_config cfg = make_config(1, 2, 13, QUIC_LB_CID_LEN_DEFAULT, true);
	uint64_t seed = 42;
	struct crypto_rand rand = {test_rand, &seed};
	struct quic_cid cids[64];
	struct quic_lb *lb = NULL;
	unsigned sid_visible = 0;

	cr_assert(eq(int, quic_lb_new(&lb, &cfg, ctx), 0));
	for (unsigned i = 0; i < 64; i++) {
		cr_assert(eq(int, quic_lb_encode(lb, 3, &rand, &cids[i]), 0));
		sid_visible += memcmp(cids[i].data + 1, cfg.server_id, 2) == 0;
		for (unsigned j = 0; j < i; j++)
			cr_assert(ne(int, memcmp(cids[i].data, cids[j].data, cids[i].len), 0));
	}
	cr_assert(lt(u32, sid_visible, 2));
	quic_lb_free(lb);
	crypto_ctx_free(ctx);
}

/* Arbitrary bytes of every length 0..20: decoded only when length and config fit. */
HB_TEST(cid, lb_decode_random_bytes)
{
	struct crypto_ctx *ctx = hb_ctx_new(CRYPTO_ENGINE_EVP);
	uint64_t seed = 0x0123456789abcdefu;

	for (int key = 0; key < 2; key++) {
		struct quic_lb_config cfg = make_config(2, 3, 8, 12, key);
		struct quic_lb *lb = NULL;

		cr_assert(eq(int, quic_lb_new(&lb, &cfg, ctx), 0));
		for (unsigned i = 0; i < 4000; i++) {
			uint8_t buf[QUIC_CID_LEN_MAX], plain[QUIC_LB_PLAIN_MAX];
			size_t len = i % (QUIC_CID_LEN_MAX + 1);
			struct quic_lb_route route;
			int want, got;

			hb_fill(&seed, buf, sizeof(buf));
			if (i % 3 == 0)
				buf[0] = (uint8_t)(2 << 5 | (buf[0] & 0x1f));
			if (i % 5 == 0)
				buf[0] = (uint8_t)((buf[0] & 0xe0) | 11);
			want = 0;
			if (len == 0)
				want = QUIC_ERR_MALFORMED;
			else if (buf[0] >> 5 != 2)
				want = QUIC_ERR_VERSION;
			else if (len != 12 || (buf[0] & 0x1f) != 11)
				want = QUIC_ERR_MALFORMED;
			got = quic_lb_decode(lb, buf, len, &route);
			cr_assert(eq(int, got, want), "len %zu first %02x", len, buf[0]);
			cr_assert(eq(int, quic_lb_decrypt(lb, buf, len, plain), want));
			if (got == 0)
				cr_assert(eq(u8, route.server_id_len, 3));
		}
		cr_assert(eq(int, quic_lb_decode(lb, NULL, 0, NULL), QUIC_ERR_INVAL));
		quic_lb_free(lb);
	}
	crypto_ctx_free(ctx);
}

HB_TEST(cid, lb_encode_errors)
{
	struct quic_lb_config cfg = make_config(0, 1, 4, 10, false);
	struct crypto_rand bad = {failing_rand, NULL};
	struct quic_lb *lb = NULL;
	struct quic_cid cid;
	uint8_t nonce[4] = {0};

	cr_assert(eq(int, quic_lb_new(&lb, &cfg, NULL), 0));
	cr_assert(eq(int, quic_lb_encode(lb, 0, &bad, &cid), QUIC_ERR_CRYPTO));
	cr_assert(eq(int, quic_lb_encode(NULL, 0, NULL, &cid), QUIC_ERR_INVAL));
	cr_assert(eq(int, quic_lb_encode(lb, 0, NULL, NULL), QUIC_ERR_INVAL));
	cr_assert(eq(int, quic_lb_encode_nonce(lb, NULL, NULL, &cid), QUIC_ERR_INVAL));
	/* The system source works too. */
	cr_assert(eq(int, quic_lb_encode(lb, 9, NULL, &cid), 0));
	cr_assert(eq(u8, cid.data[2], 9));
	/* 10 - 1 - 1 - 4 = 4 trailing bytes are needed. */
	cr_assert(eq(int, quic_lb_encode_nonce(lb, nonce, NULL, &cid), QUIC_ERR_INVAL));
	cr_assert(eq(int, quic_lb_encode_nonce(lb, nonce, nonce, &cid), 0));
	quic_lb_free(lb);
}

/* ---- Stateless reset tokens ---- */

/* token = HMAC-SHA256(key, cid)[0..16): RFC 4231 test case 2 fits (20-byte key, 8-byte CID). */
HB_TEST(cid, reset_token_is_truncated_hmac)
{
	struct crypto_ctx *ctx = hb_ctx_new(CRYPTO_ENGINE_EVP);
	uint8_t key[20], token[QUIC_RESET_TOKEN_LEN];

	memset(key, 0x0b, sizeof(key));
	cr_assert(eq(int,
		     quic_reset_token(ctx, key, sizeof(key), (const uint8_t *)"Hi There", 8, token),
		     0));
	/* RFC 4231 §4.3, HMAC-SHA-256 = b0344c61d8db38535ca8afceaf0bf12b881dc2... */
	hb_assert_hex(token, sizeof(token), "b0344c61d8db38535ca8afceaf0bf12b");
	crypto_ctx_free(ctx);
}

HB_TEST(cid, reset_token_per_key_and_cid)
{
	struct crypto_ctx *ctx = hb_ctx_new(CRYPTO_ENGINE_EVP);
	uint8_t k1[32], k2[32], t1[16], t2[16], t3[16], t4[16];
	uint8_t c1[16], c2[16];
	uint64_t seed = 7;

	hb_fill(&seed, k1, sizeof(k1));
	memcpy(k2, k1, sizeof(k2));
	k2[31] ^= 1;
	hb_fill(&seed, c1, sizeof(c1));
	memcpy(c2, c1, sizeof(c2));
	c2[15] ^= 0x80;
	cr_assert(eq(int, quic_reset_token(ctx, k1, 32, c1, 16, t1), 0));
	cr_assert(eq(int, quic_reset_token(ctx, k1, 32, c1, 16, t2), 0));
	cr_assert(eq(int, memcmp(t1, t2, 16), 0)); /* deterministic: rebuilt without state */
	cr_assert(eq(int, quic_reset_token(ctx, k1, 32, c2, 16, t3), 0));
	cr_assert(ne(int, memcmp(t1, t3, 16), 0)); /* differs per CID */
	cr_assert(eq(int, quic_reset_token(ctx, k2, 32, c1, 16, t4), 0));
	cr_assert(ne(int, memcmp(t1, t4, 16), 0)); /* differs per key */
	cr_assert(eq(int, quic_reset_token(ctx, k1, 32, c1, 15, t4), 0));
	cr_assert(ne(int, memcmp(t1, t4, 16), 0)); /* the length is part of the input */
	/* Short key, zero-length or oversized CID (§10.3.2), missing arguments. */
	cr_assert(eq(int, quic_reset_token(ctx, k1, 15, c1, 16, t1), QUIC_ERR_INVAL));
	cr_assert(eq(int, quic_reset_token(ctx, k1, 32, c1, 0, t1), QUIC_ERR_INVAL));
	cr_assert(eq(int, quic_reset_token(ctx, k1, 32, c1, 21, t1), QUIC_ERR_INVAL));
	cr_assert(eq(int, quic_reset_token(NULL, k1, 32, c1, 16, t1), QUIC_ERR_INVAL));
	cr_assert(eq(int, quic_reset_token(ctx, k1, 32, c1, 16, NULL), QUIC_ERR_INVAL));
	crypto_ctx_free(ctx);
}

/* ---- Our CIDs ---- */

struct issuer_env {
	struct crypto_ctx *ctx;
	struct quic_lb *lb;
	uint64_t seed;
	struct crypto_rand rand;
	uint8_t reset_key[32];
	struct quic_cid_issuer iss;
};

static void
issuer_init(struct issuer_env *env)
{
	struct quic_lb_config cfg = make_config(1, 2, 8, QUIC_LB_CID_LEN_DEFAULT, true);

	memset(env, 0, sizeof(*env));
	env->ctx = hb_ctx_new(CRYPTO_ENGINE_EVP);
	cr_assert(eq(int, quic_lb_new(&env->lb, &cfg, env->ctx), 0));
	env->seed = 0x5eed;
	env->rand.fn = test_rand;
	env->rand.arg = &env->seed;
	memset(env->reset_key, 0x77, sizeof(env->reset_key));
	env->iss.lb = env->lb;
	env->iss.worker = 5;
	env->iss.rand = &env->rand;
	env->iss.ctx = env->ctx;
	env->iss.reset_key = env->reset_key;
	env->iss.reset_key_len = sizeof(env->reset_key);
}

static void
issuer_fini(struct issuer_env *env)
{
	quic_lb_free(env->lb);
	crypto_ctx_free(env->ctx);
}

/* Whether our set still holds seq. */
static bool
local_has(const struct quic_local_cids *s, uint64_t seq)
{
	return quic_local_cids_get(s, seq) != NULL;
}

/* A local set started with a made CID as seq 0. */
static void
local_start(struct issuer_env *env, struct quic_local_cids *s)
{
	struct quic_cid cid;
	uint8_t token[16];

	cr_assert(eq(int, quic_cid_make(&env->iss, &cid, token), 0));
	cr_assert(eq(int, quic_local_cids_init(s, cid.data, cid.len, token), 0));
}

HB_TEST(cid, make_gives_lb_cid_and_its_token)
{
	struct issuer_env env;
	struct quic_lb_route route;
	uint8_t token[16], want[16];
	struct quic_cid cid;

	issuer_init(&env);
	cr_assert(eq(int, quic_cid_make(&env.iss, &cid, token), 0));
	cr_assert(eq(u8, cid.len, QUIC_LB_CID_LEN_DEFAULT));
	cr_assert(eq(int, quic_lb_decode(env.lb, cid.data, cid.len, &route), 0));
	cr_assert(eq(u8, route.worker, 5));
	cr_assert(
		eq(int, quic_reset_token(env.ctx, env.reset_key, 32, cid.data, cid.len, want), 0));
	cr_assert(eq(int, memcmp(token, want, 16), 0));
	cr_assert(eq(int, quic_cid_make(NULL, &cid, token), QUIC_ERR_INVAL));
	issuer_fini(&env);
}

/* RFC 9000 §5.1.1: issue up to the peer's limit (default 2, capped at QUIC_CID_LOCAL_LIMIT). */
HB_TEST(cid, local_issue_up_to_peer_limit)
{
	struct issuer_env env;
	struct quic_local_cids s;
	uint64_t seq = 0;

	issuer_init(&env);
	local_start(&env, &s);
	cr_assert(eq(u32, quic_local_cids_room(&s), 1));
	quic_local_cids_set_peer_limit(&s, 100);
	cr_assert(eq(u32, quic_local_cids_room(&s), QUIC_CID_LOCAL_LIMIT - 1));
	quic_local_cids_set_peer_limit(&s, 4);
	cr_assert(eq(u32, quic_local_cids_room(&s), 3));
	for (uint64_t want = 1; want <= 3; want++) {
		cr_assert(eq(int, quic_local_cids_issue(&s, &env.iss, &seq), 0));
		cr_assert(eq(u64, seq, want));
	}
	cr_assert(eq(u32, quic_local_cids_room(&s), 0));
	cr_assert(eq(int, quic_local_cids_issue(&s, &env.iss, &seq), QUIC_ERR_INVAL));
	/* Each issued CID is distinct and carries its own token. */
	for (uint64_t a = 0; a <= 3; a++) {
		for (uint64_t b = a + 1; b <= 3; b++) {
			const struct quic_local_cid *x = quic_local_cids_get(&s, a);
			const struct quic_local_cid *y = quic_local_cids_get(&s, b);

			cr_assert(ne(int, memcmp(x->cid.data, y->cid.data, x->cid.len), 0));
			cr_assert(ne(int, memcmp(x->token, y->token, 16), 0));
		}
	}
	cr_assert(not(local_has(&s, 4)));
	issuer_fini(&env);
}

/* NEW_CONNECTION_ID frames: lowest pending first; sent, lost (sent again), acknowledged. */
HB_TEST(cid, local_pending_frames)
{
	struct issuer_env env;
	struct quic_local_cids s;
	struct quic_frame f;

	issuer_init(&env);
	local_start(&env, &s);
	quic_local_cids_set_peer_limit(&s, 3);
	cr_assert(not(quic_local_cids_next_frame(&s, &f))); /* seq 0 came in the handshake */
	cr_assert(eq(int, quic_local_cids_issue(&s, &env.iss, NULL), 0));
	cr_assert(eq(int, quic_local_cids_issue(&s, &env.iss, NULL), 0));
	cr_assert(quic_local_cids_next_frame(&s, &f));
	cr_assert(eq(u64, f.type, QUIC_FRAME_NEW_CONNECTION_ID));
	cr_assert(eq(u64, f.new_connection_id.seq, 1));
	cr_assert(eq(u64, f.new_connection_id.retire_prior_to, 0));
	cr_assert(eq(u8, f.new_connection_id.cid_len, QUIC_LB_CID_LEN_DEFAULT));
	cr_assert(eq(int,
		     memcmp(f.new_connection_id.reset_token, quic_local_cids_get(&s, 1)->token, 16),
		     0));
	quic_local_cids_on_sent(&s, 1);
	cr_assert(quic_local_cids_next_frame(&s, &f));
	cr_assert(eq(u64, f.new_connection_id.seq, 2));
	quic_local_cids_on_sent(&s, 2);
	cr_assert(not(quic_local_cids_next_frame(&s, &f)));
	quic_local_cids_on_lost(&s, 1);
	cr_assert(quic_local_cids_next_frame(&s, &f));
	cr_assert(eq(u64, f.new_connection_id.seq, 1));
	quic_local_cids_on_sent(&s, 1);
	quic_local_cids_on_acked(&s, 1);
	quic_local_cids_on_acked(&s, 2);
	quic_local_cids_on_lost(&s, 1); /* a late loss of an acknowledged frame changes nothing */
	cr_assert(not(quic_local_cids_next_frame(&s, &f)));
	cr_assert(eq(u8, quic_local_cids_get(&s, 1)->state, QUIC_LOCAL_CID_ACKED));
	/* Unknown sequence numbers are ignored. */
	quic_local_cids_on_sent(&s, 99);
	quic_local_cids_on_acked(&s, 99);
	quic_local_cids_on_lost(&s, 99);
	issuer_fini(&env);
}

/* RFC 9000 §19.16 with C25 and C26; a retirement makes room for a replacement. */
HB_TEST(cid, local_retire_rules)
{
	struct quic_frame_retire_connection_id rf;
	const struct quic_local_cid *e;
	struct issuer_env env;
	struct quic_local_cids s;
	struct quic_cid gone, seq1;
	const uint8_t *dcid0;

	issuer_init(&env);
	local_start(&env, &s);
	quic_local_cids_set_peer_limit(&s, 3);
	cr_assert(eq(int, quic_local_cids_issue(&s, &env.iss, NULL), 0));
	cr_assert(eq(int, quic_local_cids_issue(&s, &env.iss, NULL), 0));
	quic_local_cids_on_sent(&s, 1);
	dcid0 = quic_local_cids_get(&s, 0)->cid.data;
	seq1 = quic_local_cids_get(&s, 1)->cid;
	/* C25: seq 2 is issued but was never sent, seq 3 was never issued. */
	rf.seq = 2;
	cr_assert(eq(int, quic_local_cids_on_retire(&s, &rf, dcid0, 16, &gone), QUIC_ERR_PROTOCOL));
	rf.seq = 3;
	cr_assert(eq(int, quic_local_cids_on_retire(&s, &rf, dcid0, 16, &gone), QUIC_ERR_PROTOCOL));
	cr_assert(eq(u64, quic_err_to_transport(QUIC_ERR_PROTOCOL), QUIC_PROTOCOL_VIOLATION));
	/* C26: retiring seq 1 in a packet sent to seq 1. */
	rf.seq = 1;
	cr_assert(eq(int, quic_local_cids_on_retire(&s, &rf, seq1.data, seq1.len, &gone),
		     QUIC_ERR_PROTOCOL));
	cr_assert(eq(u32, quic_local_cids_room(&s), 0));
	/* Retiring seq 1 from a packet sent to seq 0 is fine; the CID comes back for removal. */
	cr_assert(eq(int, quic_local_cids_on_retire(&s, &rf, dcid0, 16, &gone), 0));
	cr_assert(eq(u8, gone.len, seq1.len));
	cr_assert(eq(int, memcmp(gone.data, seq1.data, seq1.len), 0));
	cr_assert(not(local_has(&s, 1)));
	cr_assert(eq(u32, quic_local_cids_room(&s), 1));
	/* A repeated frame is not an error and retires nothing. */
	cr_assert(eq(int, quic_local_cids_on_retire(&s, &rf, dcid0, 16, &gone), 0));
	cr_assert(eq(u8, gone.len, 0));
	/* Lost after the retirement: nothing to resend. */
	quic_local_cids_on_lost(&s, 1);
	e = quic_local_cids_get(&s, 2);
	cr_assert(eq(u8, e->state, QUIC_LOCAL_CID_PENDING));
	cr_assert(eq(int, quic_local_cids_issue(&s, &env.iss, NULL), 0));
	cr_assert(eq(int, quic_local_cids_on_retire(NULL, &rf, dcid0, 16, &gone), QUIC_ERR_INVAL));
	issuer_fini(&env);
}

/* An endpoint that chose a zero-length CID issues none and refuses RETIRE_CONNECTION_ID. */
HB_TEST(cid, local_zero_length)
{
	struct quic_frame_retire_connection_id rf = {.seq = 0};
	struct quic_local_cids s;
	struct quic_cid cid = {.len = 8}, gone;
	uint8_t token[16] = {0};

	cr_assert(eq(int, quic_local_cids_init(&s, NULL, 0, NULL), 0));
	quic_local_cids_set_peer_limit(&s, 8);
	cr_assert(eq(u32, quic_local_cids_room(&s), 0));
	cr_assert(eq(int, quic_local_cids_add(&s, &cid, token, false, NULL), QUIC_ERR_INVAL));
	cr_assert(eq(int, quic_local_cids_on_retire(&s, &rf, NULL, 0, &gone), QUIC_ERR_PROTOCOL));
	cr_assert(eq(int, quic_local_cids_retire_prior_to(&s, 1), QUIC_ERR_INVAL));
	cr_assert(eq(int, quic_local_cids_init(&s, NULL, 21, NULL), QUIC_ERR_INVAL));
}

/* The preferred_address CID (seq 1) reaches the peer in transport parameters: no frame. */
HB_TEST(cid, local_announced_cid)
{
	struct quic_frame_retire_connection_id rf = {.seq = 1};
	struct issuer_env env;
	struct quic_local_cids s;
	struct quic_cid cid, gone;
	struct quic_frame f;
	uint8_t token[16];
	uint64_t seq;

	issuer_init(&env);
	local_start(&env, &s);
	cr_assert(eq(int, quic_cid_make(&env.iss, &cid, token), 0));
	cr_assert(eq(int, quic_local_cids_add(&s, &cid, token, true, &seq), 0));
	cr_assert(eq(u64, seq, 1));
	cr_assert(not(quic_local_cids_next_frame(&s, &f)));
	cr_assert(eq(int, quic_local_cids_on_retire(&s, &rf, NULL, 0, &gone), 0));
	cr_assert(eq(u8, gone.len, cid.len));
	cid.len = 0;
	cr_assert(eq(int, quic_local_cids_add(&s, &cid, token, true, &seq), QUIC_ERR_INVAL));
	issuer_fini(&env);
}

/*
 * Retire Prior To on our side (a QUIC-LB configuration change): the old CIDs stop counting
 * toward the peer's limit, replacements carry the new value, a second raise waits until the
 * peer has retired everything below the first.
 */
HB_TEST(cid, local_retire_prior_to)
{
	struct quic_frame_retire_connection_id rf;
	struct issuer_env env;
	struct quic_local_cids s;
	struct quic_cid gone;
	struct quic_frame f;
	uint64_t seq;

	issuer_init(&env);
	local_start(&env, &s);
	quic_local_cids_set_peer_limit(&s, 2);
	cr_assert(eq(int, quic_local_cids_issue(&s, &env.iss, &seq), 0));
	quic_local_cids_on_sent(&s, seq);
	quic_local_cids_on_acked(&s, seq);
	cr_assert(eq(u32, quic_local_cids_room(&s), 0));
	cr_assert(eq(int, quic_local_cids_retire_prior_to(&s, 3), QUIC_ERR_INVAL)); /* > next */
	cr_assert(eq(int, quic_local_cids_retire_prior_to(&s, 2), 0));
	cr_assert(eq(u32, quic_local_cids_room(&s), 2));
	cr_assert(eq(int, quic_local_cids_issue(&s, &env.iss, &seq), 0));
	cr_assert(eq(int, quic_local_cids_issue(&s, &env.iss, &seq), 0));
	cr_assert(quic_local_cids_next_frame(&s, &f));
	cr_assert(eq(u64, f.new_connection_id.seq, 2));
	cr_assert(eq(u64, f.new_connection_id.retire_prior_to, 2));
	quic_local_cids_on_sent(&s, 2);
	quic_local_cids_on_sent(&s, 3);
	cr_assert(eq(int, quic_local_cids_retire_prior_to(&s, 1), 0)); /* not an increase */
	cr_assert(eq(int, quic_local_cids_retire_prior_to(&s, 4), QUIC_ERR_INVAL));
	for (rf.seq = 0; rf.seq < 2; rf.seq++)
		cr_assert(eq(int, quic_local_cids_on_retire(&s, &rf, NULL, 0, &gone), 0));
	cr_assert(eq(int, quic_local_cids_retire_prior_to(&s, 4), 0));
	issuer_fini(&env);
}

/* ---- The peer's CIDs ---- */

/* A NEW_CONNECTION_ID whose CID and token are derived from tag. */
struct ncid {
	uint8_t cid[8];
	uint8_t token[16];
	struct quic_frame_new_connection_id f;
};

static void
ncid_make(struct ncid *n, uint64_t seq, uint64_t rpt, uint32_t tag)
{
	memset(n, 0, sizeof(*n));
	for (unsigned i = 0; i < 8; i++)
		n->cid[i] = (uint8_t)(tag >> (i % 4 * 8) ^ (0x40 + i));
	for (unsigned i = 0; i < 16; i++)
		n->token[i] = (uint8_t)(tag >> (i % 4 * 8) ^ (0x90 + i));
	n->f.seq = seq;
	n->f.retire_prior_to = rpt;
	n->f.cid_len = 8;
	n->f.cid = n->cid;
	n->f.reset_token = n->token;
}

static const uint8_t peer_cid0[8] = {0xc0, 1, 2, 3, 4, 5, 6, 7};

static void
peer_start(struct quic_peer_cids *s, uint64_t limit)
{
	cr_assert(eq(int, quic_peer_cids_init(s, limit, peer_cid0, 8, NULL), 0));
}

HB_TEST(cid, peer_init_checks)
{
	struct quic_peer_cids s;
	uint8_t token[16] = {0};

	cr_assert(eq(int, quic_peer_cids_init(&s, 1, peer_cid0, 8, NULL), QUIC_ERR_INVAL));
	cr_assert(eq(int, quic_peer_cids_init(&s, QUIC_CID_PEER_LIMIT + 1, peer_cid0, 8, NULL),
		     QUIC_ERR_INVAL));
	cr_assert(eq(int, quic_peer_cids_init(&s, 2, peer_cid0, 21, NULL), QUIC_ERR_INVAL));
	cr_assert(eq(int, quic_peer_cids_init(&s, 2, NULL, 8, NULL), QUIC_ERR_INVAL));
	cr_assert(eq(int, quic_peer_cids_init(&s, 2, peer_cid0, 8, token), 0));
	cr_assert(eq(u32, quic_peer_cids_count(&s), 1));
	cr_assert(eq(u64, quic_peer_cids_dcid_seq(&s), 0));
	cr_assert(eq(int, memcmp(quic_peer_cids_dcid(&s)->data, peer_cid0, 8), 0));
	cr_assert(not(quic_peer_cids_has_spare(&s)));
	cr_assert(eq(int, quic_peer_cids_rotate(&s), QUIC_ERR_INVAL));
}

/* C24: the peer gave us a zero-length CID, so it may not send NEW_CONNECTION_ID. */
HB_TEST(cid, peer_zero_length_c24)
{
	struct quic_peer_cids s;
	struct ncid n;

	cr_assert(eq(int, quic_peer_cids_init(&s, 2, NULL, 0, NULL), 0));
	ncid_make(&n, 1, 0, 1);
	cr_assert(eq(int, quic_peer_cids_on_new(&s, &n.f), QUIC_ERR_PROTOCOL));
	cr_assert(eq(u64, quic_err_to_transport(QUIC_ERR_PROTOCOL), QUIC_PROTOCOL_VIOLATION));
	cr_assert(eq(u32, quic_peer_cids_count(&s), 1));
	cr_assert(eq(u8, quic_peer_cids_dcid(&s)->len, 0));
}

/* C20, C21 are the frame decoder's; a frame built by hand gets the same code here. */
HB_TEST(cid, peer_frame_encoding_c20_c21)
{
	struct quic_peer_cids s;
	struct ncid n;

	peer_start(&s, 4);
	ncid_make(&n, 1, 0, 1);
	n.f.cid_len = 0;
	cr_assert(eq(int, quic_peer_cids_on_new(&s, &n.f), QUIC_ERR_FRAME_ENCODING));
	n.f.cid_len = 21;
	cr_assert(eq(int, quic_peer_cids_on_new(&s, &n.f), QUIC_ERR_FRAME_ENCODING));
	ncid_make(&n, 1, 2, 1);
	cr_assert(eq(int, quic_peer_cids_on_new(&s, &n.f), QUIC_ERR_FRAME_ENCODING));
	cr_assert(eq(u32, quic_peer_cids_count(&s), 1));
}

/* C23: a repeated seq must repeat CID and token; an exact duplicate is not an error. */
HB_TEST(cid, peer_repeats_c23)
{
	struct quic_peer_cids s;
	struct ncid a, b;

	peer_start(&s, 4);
	ncid_make(&a, 1, 0, 1);
	cr_assert(eq(int, quic_peer_cids_on_new(&s, &a.f), 0));
	cr_assert(eq(int, quic_peer_cids_on_new(&s, &a.f), 0)); /* RFC 9000 §19.15 MUST NOT */
	cr_assert(eq(u32, quic_peer_cids_count(&s), 2));
	/* Same seq, other CID. */
	ncid_make(&b, 1, 0, 1);
	b.cid[0] ^= 1;
	cr_assert(eq(int, quic_peer_cids_on_new(&s, &b.f), QUIC_ERR_PROTOCOL));
	/* Same seq, other token. */
	ncid_make(&b, 1, 0, 1);
	b.token[15] ^= 1;
	cr_assert(eq(int, quic_peer_cids_on_new(&s, &b.f), QUIC_ERR_PROTOCOL));
	/* Same CID under another seq. */
	ncid_make(&b, 2, 0, 2);
	memcpy(b.cid, a.cid, 8);
	cr_assert(eq(int, quic_peer_cids_on_new(&s, &b.f), QUIC_ERR_PROTOCOL));
	/* Same token under another seq (RFC 9000 §10.3.2 MAY). */
	ncid_make(&b, 2, 0, 2);
	memcpy(b.token, a.token, 16);
	cr_assert(eq(int, quic_peer_cids_on_new(&s, &b.f), QUIC_ERR_PROTOCOL));
	cr_assert(eq(u32, quic_peer_cids_count(&s), 2));
}

/* C22: active CIDs beyond our active_connection_id_limit, after retiring what the frame says. */
HB_TEST(cid, peer_limit_c22)
{
	struct quic_peer_cids s;
	struct ncid n;

	peer_start(&s, 2);
	ncid_make(&n, 1, 0, 1);
	cr_assert(eq(int, quic_peer_cids_on_new(&s, &n.f), 0));
	ncid_make(&n, 2, 0, 2);
	cr_assert(eq(int, quic_peer_cids_on_new(&s, &n.f), QUIC_ERR_CID_LIMIT));
	cr_assert(
		eq(u64, quic_err_to_transport(QUIC_ERR_CID_LIMIT), QUIC_CONNECTION_ID_LIMIT_ERROR));
	cr_assert(eq(u32, quic_peer_cids_count(&s), 2));
	cr_assert(eq(u32, quic_peer_cids_retire_pending(&s), 0)); /* nothing changed */
	/* The same CID with Retire Prior To 1 replaces seq 0 (RFC 9000 §5.1.1 MAY exceed). */
	ncid_make(&n, 2, 1, 2);
	cr_assert(eq(int, quic_peer_cids_on_new(&s, &n.f), 0));
	cr_assert(eq(u32, quic_peer_cids_count(&s), 2));
	cr_assert(eq(u64, quic_peer_cids_dcid_seq(&s), 1)); /* seq 0 was in use: lowest active */
	cr_assert(eq(u32, quic_peer_cids_retire_pending(&s), 1));
}

/*
 * Retire Prior To (RFC 9000 §5.1.2, §19.15): CIDs below it are retired, a smaller value later
 * is ignored, a CID arriving below it is retired at once, and a retired CID repeated by a
 * retransmission is not taken back.
 */
HB_TEST(cid, peer_retire_prior_to)
{
	struct quic_peer_cids s;
	struct quic_frame f;
	struct ncid n;

	peer_start(&s, 4);
	for (uint64_t seq = 1; seq <= 3; seq++) {
		ncid_make(&n, seq, 0, (uint32_t)seq);
		cr_assert(eq(int, quic_peer_cids_on_new(&s, &n.f), 0));
	}
	ncid_make(&n, 5, 3, 5);
	cr_assert(eq(int, quic_peer_cids_on_new(&s, &n.f), 0));
	cr_assert(eq(u32, quic_peer_cids_count(&s), 2)); /* 3 and 5 */
	cr_assert(eq(u64, quic_peer_cids_dcid_seq(&s), 3));
	cr_assert(eq(u32, quic_peer_cids_retire_pending(&s), 3));
	for (uint64_t want = 0; want < 3; want++) {
		cr_assert(quic_peer_cids_next_retire(&s, &f));
		cr_assert(eq(u64, f.type, QUIC_FRAME_RETIRE_CONNECTION_ID));
		cr_assert(eq(u64, f.retire_connection_id.seq, want));
		quic_peer_cids_retire_sent(&s, want);
	}
	cr_assert(not(quic_peer_cids_next_retire(&s, &f)));
	/* Lower Retire Prior To: ignored. */
	ncid_make(&n, 6, 1, 6);
	cr_assert(eq(int, quic_peer_cids_on_new(&s, &n.f), 0));
	cr_assert(eq(u32, quic_peer_cids_count(&s), 3));
	cr_assert(eq(u64, s.retire_prior_to, 3));
	/* Seq 4 arrives late; at or above Retire Prior To, it is kept. */
	ncid_make(&n, 4, 0, 4);
	cr_assert(eq(int, quic_peer_cids_on_new(&s, &n.f), 0));
	cr_assert(eq(u32, quic_peer_cids_count(&s), 4));
	/* A retransmission of seq 1, retired above: its RETIRE is still queued, nothing new. */
	ncid_make(&n, 1, 0, 1);
	cr_assert(eq(int, quic_peer_cids_on_new(&s, &n.f), 0));
	cr_assert(eq(u32, quic_peer_cids_count(&s), 4));
	cr_assert(eq(u32, quic_peer_cids_retire_pending(&s), 0));
	/* Acknowledged, the RETIRE leaves the queue; the repeat is still not taken back. */
	quic_peer_cids_retire_acked(&s, 1);
	cr_assert(eq(int, quic_peer_cids_on_new(&s, &n.f), 0));
	cr_assert(eq(u32, quic_peer_cids_count(&s), 4));
	cr_assert(eq(u32, quic_peer_cids_retire_pending(&s), 0));
	/* A lost RETIRE is sent again. */
	quic_peer_cids_retire_lost(&s, 2);
	cr_assert(quic_peer_cids_next_retire(&s, &f));
	cr_assert(eq(u64, f.retire_connection_id.seq, 2));
}

/* A CID first seen below Retire Prior To is never used, only retired (RFC 9000 §19.15). */
HB_TEST(cid, peer_late_cid_below_retire_prior_to)
{
	struct quic_peer_cids s;
	struct quic_frame f;
	struct ncid n;

	peer_start(&s, 2);
	ncid_make(&n, 4, 4, 4);
	cr_assert(eq(int, quic_peer_cids_on_new(&s, &n.f), 0));
	quic_peer_cids_retire_sent(&s, 0);
	quic_peer_cids_retire_acked(&s, 0);
	ncid_make(&n, 2, 0, 2);
	cr_assert(eq(int, quic_peer_cids_on_new(&s, &n.f), 0));
	cr_assert(eq(u32, quic_peer_cids_count(&s), 1));
	cr_assert(eq(u64, quic_peer_cids_dcid_seq(&s), 4));
	cr_assert(quic_peer_cids_next_retire(&s, &f));
	cr_assert(eq(u64, f.retire_connection_id.seq, 2));
}

/*
 * C27 (CVE-2024-22189, CVE-2024-1410): 10,000 NEW_CONNECTION_ID frames, each raising Retire
 * Prior To, while none of our RETIRE_CONNECTION_ID frames is acknowledged. The set has no heap,
 * the queue stops at QUIC_CID_RETIRE_QUEUE and the connection closes with
 * CONNECTION_ID_LIMIT_ERROR; the same flood with our frames acknowledged is accepted.
 */
HB_TEST(cid, peer_retire_flood_c27)
{
	struct quic_peer_cids s;
	uint64_t first_error = 0;
	int err = 0;

	peer_start(&s, QUIC_CID_PEER_LIMIT);
	for (uint64_t k = 1; k <= 10000 && err == 0; k++) {
		struct ncid n;

		ncid_make(&n, k, k, (uint32_t)k);
		err = quic_peer_cids_on_new(&s, &n.f);
		if (err != 0)
			first_error = k;
		cr_assert(le(u32, s.n_retire, QUIC_CID_RETIRE_QUEUE));
		cr_assert(le(u32, quic_peer_cids_count(&s), QUIC_CID_PEER_LIMIT));
		/* Our frames go out (the peer starves their ACKs). */
		for (struct quic_frame f; quic_peer_cids_next_retire(&s, &f);)
			quic_peer_cids_retire_sent(&s, f.retire_connection_id.seq);
	}
	cr_assert(eq(int, err, QUIC_ERR_CID_LIMIT));
	cr_assert(eq(u64, quic_err_to_transport(err), QUIC_CONNECTION_ID_LIMIT_ERROR));
	cr_assert(eq(u64, first_error, QUIC_CID_RETIRE_QUEUE + 1));
	cr_assert(eq(u32, s.n_retire, QUIC_CID_RETIRE_QUEUE));

	/* With every RETIRE acknowledged the same 10,000 frames are all fine. */
	peer_start(&s, QUIC_CID_PEER_LIMIT);
	for (uint64_t k = 1; k <= 10000; k++) {
		struct ncid n;
		struct quic_frame f;

		ncid_make(&n, k, k, (uint32_t)k);
		cr_assert(eq(int, quic_peer_cids_on_new(&s, &n.f), 0), "k %llu",
			  (unsigned long long)k);
		cr_assert(quic_peer_cids_next_retire(&s, &f));
		quic_peer_cids_retire_sent(&s, f.retire_connection_id.seq);
		quic_peer_cids_retire_acked(&s, f.retire_connection_id.seq);
		cr_assert(eq(u32, s.n_retire, 0));
	}
	cr_assert(eq(u64, quic_peer_cids_dcid_seq(&s), 10000));
}

/* Migration: move to an unused CID and retire the old one (RFC 9000 §9.5). */
HB_TEST(cid, peer_rotate)
{
	struct quic_peer_cids s;
	struct quic_frame f;
	struct ncid n;

	peer_start(&s, 4);
	(void)quic_peer_cids_dcid(&s);
	for (uint64_t seq = 1; seq <= 2; seq++) {
		ncid_make(&n, seq, 0, (uint32_t)seq);
		cr_assert(eq(int, quic_peer_cids_on_new(&s, &n.f), 0));
	}
	cr_assert(quic_peer_cids_has_spare(&s));
	cr_assert(eq(int, quic_peer_cids_rotate(&s), 0));
	cr_assert(eq(u64, quic_peer_cids_dcid_seq(&s), 1));
	cr_assert(quic_peer_cids_next_retire(&s, &f));
	cr_assert(eq(u64, f.retire_connection_id.seq, 0));
	cr_assert(eq(int, quic_peer_cids_rotate(&s), 0));
	cr_assert(eq(u64, quic_peer_cids_dcid_seq(&s), 2));
	cr_assert(not(quic_peer_cids_has_spare(&s)));
	cr_assert(eq(int, quic_peer_cids_rotate(&s), QUIC_ERR_INVAL));
	cr_assert(eq(u32, quic_peer_cids_count(&s), 1));
	cr_assert(eq(u32, quic_peer_cids_retire_pending(&s), 2));
}

/* Rotation needs room in the retire queue, like everything else that retires. */
HB_TEST(cid, peer_rotate_queue_full)
{
	struct quic_peer_cids s;
	struct ncid n;
	uint64_t seq = 1;

	peer_start(&s, 2);
	/* Fill the queue: each frame retires the one before it. */
	for (; s.n_retire < QUIC_CID_RETIRE_QUEUE; seq++) {
		ncid_make(&n, seq, seq, (uint32_t)seq);
		cr_assert(eq(int, quic_peer_cids_on_new(&s, &n.f), 0));
	}
	ncid_make(&n, seq, 0, (uint32_t)seq);
	cr_assert(eq(int, quic_peer_cids_on_new(&s, &n.f), 0));
	cr_assert(quic_peer_cids_has_spare(&s));
	cr_assert(eq(int, quic_peer_cids_rotate(&s), QUIC_ERR_CID_LIMIT));
	cr_assert(eq(u64, quic_peer_cids_dcid_seq(&s), seq - 1));
	quic_peer_cids_retire_acked(&s, 0);
	cr_assert(eq(int, quic_peer_cids_rotate(&s), 0));
	cr_assert(eq(u64, quic_peer_cids_dcid_seq(&s), seq));
}

/* RFC 9000 §10.3.1: only tokens of active CIDs we have used end a Stateless Reset. */
HB_TEST(cid, peer_stateless_reset)
{
	uint8_t dgram[40], token0[16];
	struct quic_peer_cids s;
	struct ncid n;

	memset(dgram, 0x41, sizeof(dgram));
	memset(token0, 0xee, sizeof(token0));
	peer_start(&s, 4);
	(void)quic_peer_cids_dcid(&s);
	ncid_make(&n, 1, 0, 1);
	cr_assert(eq(int, quic_peer_cids_on_new(&s, &n.f), 0));
	/* seq 1's token: not used yet. */
	memcpy(dgram + sizeof(dgram) - 16, n.token, 16);
	cr_assert(not(quic_peer_cids_is_stateless_reset(&s, dgram, sizeof(dgram))));
	cr_assert(eq(int, quic_peer_cids_rotate(&s), 0));
	cr_assert(quic_peer_cids_is_stateless_reset(&s, dgram, sizeof(dgram)));
	/* Too short to be a Stateless Reset, whatever its tail. */
	cr_assert(not(quic_peer_cids_is_stateless_reset(&s, dgram + 20, 20)));
	cr_assert(quic_peer_cids_is_stateless_reset(&s, dgram + 19, 21));
	/* One bit off anywhere in the token. */
	for (size_t i = sizeof(dgram) - 16; i < sizeof(dgram); i++) {
		dgram[i] ^= 0x10;
		cr_assert(not(quic_peer_cids_is_stateless_reset(&s, dgram, sizeof(dgram))));
		dgram[i] ^= 0x10;
	}
	/* seq 0 was retired by the rotation: its token, learnt late, no longer counts. */
	cr_assert(eq(int, quic_peer_cids_set_token0(&s, token0), QUIC_ERR_INVAL));
	memcpy(dgram + sizeof(dgram) - 16, token0, 16);
	cr_assert(not(quic_peer_cids_is_stateless_reset(&s, dgram, sizeof(dgram))));
	/* A client gets seq 0's token in the server's transport parameters. */
	peer_start(&s, 2);
	cr_assert(eq(int, quic_peer_cids_set_token0(&s, token0), 0));
	cr_assert(not(quic_peer_cids_is_stateless_reset(&s, dgram, sizeof(dgram)))); /* unused */
	(void)quic_peer_cids_dcid(&s);
	cr_assert(quic_peer_cids_is_stateless_reset(&s, dgram, sizeof(dgram)));
	cr_assert(not(quic_peer_cids_is_stateless_reset(NULL, dgram, sizeof(dgram))));
}

/*
 * Both ends through the frame codec: the server issues CIDs, its NEW_CONNECTION_ID frames are
 * encoded and decoded into the client's set, the client moves to a new CID and its
 * RETIRE_CONNECTION_ID goes back the same way. Every strict prefix of each frame is rejected by
 * the decoder before it reaches a set.
 */
static void
through_codec(const struct quic_frame *in, struct quic_frame *out, uint8_t *buf, size_t cap)
{
	struct crypto_wr w;
	struct crypto_rd r;
	size_t len;

	crypto_wr_init(&w, buf, cap);
	cr_assert(eq(int, quic_frame_encode(&w, in), 0));
	len = crypto_wr_len(&w);
	for (size_t k = 0; k < len; k++) {
		crypto_rd_init(&r, buf, k);
		cr_assert(eq(int, quic_frame_decode(&r, out), QUIC_ERR_TRUNCATED), "prefix %zu", k);
	}
	crypto_rd_init(&r, buf, len);
	cr_assert(eq(int, quic_frame_decode(&r, out), 0));
	cr_assert(eq(sz, crypto_rd_left(&r), 0));
}

HB_TEST(cid, server_client_exchange)
{
	struct issuer_env env;
	struct quic_local_cids srv;
	struct quic_peer_cids cli;
	struct quic_frame f, g;
	struct quic_cid gone, cid0;
	uint8_t buf[64];

	issuer_init(&env);
	local_start(&env, &srv);
	cid0 = quic_local_cids_get(&srv, 0)->cid;
	cr_assert(eq(int,
		     quic_peer_cids_init(&cli, 3, quic_local_cids_get(&srv, 0)->cid.data, 16,
					 quic_local_cids_get(&srv, 0)->token),
		     0));
	quic_local_cids_set_peer_limit(&srv, 3);
	while (quic_local_cids_room(&srv) > 0)
		cr_assert(eq(int, quic_local_cids_issue(&srv, &env.iss, NULL), 0));
	while (quic_local_cids_next_frame(&srv, &f)) {
		through_codec(&f, &g, buf, sizeof(buf));
		quic_local_cids_on_sent(&srv, f.new_connection_id.seq);
		cr_assert(eq(int, quic_peer_cids_on_new(&cli, &g.new_connection_id), 0));
		quic_local_cids_on_acked(&srv, f.new_connection_id.seq);
	}
	cr_assert(eq(u32, quic_peer_cids_count(&cli), 3));
	(void)quic_peer_cids_dcid(&cli);
	cr_assert(eq(int, quic_peer_cids_rotate(&cli), 0));
	cr_assert(quic_peer_cids_next_retire(&cli, &f));
	through_codec(&f, &g, buf, sizeof(buf));
	/* The RETIRE travels in a packet sent to the client's new DCID (seq 1). */
	cr_assert(eq(int,
		     quic_local_cids_on_retire(&srv, &g.retire_connection_id,
					       quic_peer_cids_dcid(&cli)->data, 16, &gone),
		     0));
	cr_assert(eq(u8, gone.len, cid0.len));
	cr_assert(eq(int, memcmp(gone.data, cid0.data, cid0.len), 0));
	cr_assert(not(local_has(&srv, 0)));
	cr_assert(eq(u32, quic_local_cids_room(&srv), 1));
	issuer_fini(&env);
}

/* The list a server's CID table follows: what the peer may send to, and a changed gen. */
HB_TEST(cid, local_list_follows_issue_and_retire)
{
	struct quic_frame_retire_connection_id rf = {.seq = 1};
	struct quic_cid list[QUIC_CID_LOCAL_SLOTS], gone, seq1;
	struct issuer_env env;
	struct quic_local_cids s;
	uint32_t gen;

	issuer_init(&env);
	local_start(&env, &s);
	cr_assert(eq(sz, quic_local_cids_list(&s, list, QUIC_CID_LOCAL_SLOTS), 1));
	cr_assert(eq(int, memcmp(list[0].data, quic_local_cids_get(&s, 0)->cid.data, 16), 0));
	gen = s.gen;
	quic_local_cids_set_peer_limit(&s, 3);
	cr_assert(eq(int, quic_local_cids_issue(&s, &env.iss, NULL), 0));
	cr_assert(eq(int, quic_local_cids_issue(&s, &env.iss, NULL), 0));
	cr_assert(ne(u32, s.gen, gen));
	cr_assert(eq(sz, quic_local_cids_list(&s, list, QUIC_CID_LOCAL_SLOTS), 3));
	cr_assert(eq(sz, quic_local_cids_list(&s, list, 2), 2));
	seq1 = quic_local_cids_get(&s, 1)->cid;
	quic_local_cids_on_sent(&s, 1);
	gen = s.gen;
	cr_assert(eq(int, quic_local_cids_on_retire(&s, &rf, list[0].data, 16, &gone), 0));
	cr_assert(ne(u32, s.gen, gen));
	cr_assert(eq(sz, quic_local_cids_list(&s, list, QUIC_CID_LOCAL_SLOTS), 2));
	for (unsigned i = 0; i < 2; i++)
		cr_assert(ne(int, memcmp(list[i].data, seq1.data, seq1.len), 0));
	/* A repeated retirement changes nothing. */
	gen = s.gen;
	cr_assert(eq(int, quic_local_cids_on_retire(&s, &rf, list[0].data, 16, &gone), 0));
	cr_assert(eq(u32, s.gen, gen));
	issuer_fini(&env);
}
