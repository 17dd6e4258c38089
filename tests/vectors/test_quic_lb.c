/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * QUIC-LB connection IDs against draft-ietf-quic-load-balancers: the "Load Balancer Test
 * Vectors" (unencrypted and encrypted CIDs, every configuration listed) and the four-pass
 * "Encryption Example". Each vector is encoded from its server ID and nonce, decrypted back,
 * decoded for steering, and every strict prefix of it is rejected.
 *
 * In all vectors the server encodes the CID length in the first octet (length - 1), and the
 * CID is exactly first octet || server ID || nonce (no trailing bytes).
 */
#include <string.h>

#include <crypto/crypto.h>
#include <quic/cid.h>
#include <quic/error.h>

#include "hb_crypto_test.h"

TestSuite(quic_lb);

struct lb_vector {
	uint8_t config_id;
	const char *sid;
	const char *nonce;
	const char *key; /* NULL: unencrypted */
	const char *cid;
};

/* draft-ietf-quic-load-balancers, "Load Balancer Test Vectors", key of "Encrypted CIDs". */
#define VEC_KEY "8f95f09245765f80256934e50c66207f"

/*
 * "Unencrypted CIDs". The second row is printed in the draft with each field in hex without
 * leading zeros: nonce "3487d970b" is the 5-byte 03487d970b, and cid "20a350d28b4203487d970b"
 * is the config rotation bits (0x20) and the length bits (0x0a) followed by the server ID and
 * that nonce. The bytes are 2a || 350d28b420 || 03487d970b; the first row, printed the same
 * way, needs no such reading.
 */
static const struct lb_vector unencrypted[] = {
	{0, "c4605e", "4504cc4f", NULL, "07c4605e4504cc4f"},
	{1, "350d28b420", "03487d970b", NULL, "2a350d28b42003487d970b"},
};

/*
 * "Encrypted CIDs": four-pass with an odd plaintext (7 bytes), four-pass where the server ID
 * is longer than the nonce (15 bytes, four decryption passes), the single-pass 16-byte case,
 * and four-pass with 18 bytes. The draft labels the last row cr_bits 3, but its CID's first
 * octet 0x12 carries config rotation 0 (0x12 = 0 << 5 | 18): the row is checked as config 0
 * here, and as config 3 (first octet 0x72, same ciphertext) in encrypted_last_row_config_3.
 */
static const struct lb_vector encrypted[] = {
	{0, "ed793a", "ee080dbf", VEC_KEY, "0720b1d07b359d3c"},
	{1, "ed793a51d49b8f5fab65", "ee080dbf48", VEC_KEY, "2fcc381bc74cb4fbad2823a3d1f8fed2"},
	{2, "ed793a51d49b8f5f", "ee080dbf48c0d1e5", VEC_KEY, "504dd2d05a7b0de9b2b9907afb5ecf8cc3"},
	{0, "ed793a51d49b8f5fab", "ee080dbf48c0d1e55d", VEC_KEY,
	 "125779c9cc86beb3a3a4a3ca96fce4bfe0cdbc"},
};

/* "Encryption Example": 3-byte server ID, 4-byte nonce, odd plaintext split mid-octet. */
static const struct lb_vector example = {0, "31441a", "9c69c275",
					 "fdf726a9893ec05c0632d3956680baf0", "0767947d29be054a"};

/* A configuration for v; nonce receives its nonce. */
static struct quic_lb *
vector_lb(struct crypto_ctx *ctx, const struct lb_vector *v, uint8_t config_id, uint8_t *nonce,
	  size_t *nonce_len)
{
	struct quic_lb_config cfg = {0};
	struct quic_lb *lb = NULL;

	cfg.config_id = config_id;
	cfg.server_id_len = (uint8_t)hb_hex_vec(v->sid, cfg.server_id, sizeof(cfg.server_id));
	*nonce_len = hb_hex_vec(v->nonce, nonce, QUIC_LB_PLAIN_MAX);
	cfg.nonce_len = (uint8_t)*nonce_len;
	cfg.cid_len = (uint8_t)(1 + cfg.server_id_len + cfg.nonce_len);
	if (v->key != NULL) {
		cfg.has_key = true;
		cr_assert(eq(sz, hb_hex_vec(v->key, cfg.key, sizeof(cfg.key)), 16));
	}
	cr_assert(eq(int, quic_lb_new(&lb, &cfg, ctx), 0));
	cr_assert(eq(sz, quic_lb_cid_len(lb), cfg.cid_len));
	return lb;
}

/* Every strict prefix, and one extra byte, is a length mismatch; other config bits too. */
static void
check_rejections(struct quic_lb *lb, const struct quic_cid *cid)
{
	uint8_t buf[QUIC_CID_LEN_MAX + 1] = {0};
	uint8_t plain[QUIC_LB_PLAIN_MAX];
	struct quic_lb_route route;

	memcpy(buf, cid->data, cid->len);
	for (size_t k = 0; k < cid->len; k++) {
		cr_assert(eq(int, quic_lb_decode(lb, buf, k, &route), QUIC_ERR_MALFORMED),
			  "prefix %zu", k);
		cr_assert(eq(int, quic_lb_decrypt(lb, buf, k, plain), QUIC_ERR_MALFORMED));
	}
	cr_assert(eq(int, quic_lb_decode(lb, buf, cid->len + 1u, &route), QUIC_ERR_MALFORMED));
	for (uint8_t c = 0; c < 8; c++) {
		if (c == quic_lb_config_id(cid->data[0]))
			continue;
		buf[0] = (uint8_t)(c << 5 | (cid->data[0] & 0x1f));
		cr_assert(eq(int, quic_lb_decode(lb, buf, cid->len, &route), QUIC_ERR_VERSION));
	}
	/* Right config, wrong self-described length. */
	buf[0] = (uint8_t)(cid->data[0] ^ 0x01);
	cr_assert(eq(int, quic_lb_decode(lb, buf, cid->len, &route), QUIC_ERR_MALFORMED));
}

static void
check_vector(struct crypto_ctx *ctx, const struct lb_vector *v, uint8_t config_id,
	     const char *want_cid)
{
	uint8_t nonce[QUIC_LB_PLAIN_MAX], sid[QUIC_LB_SID_MAX], plain[QUIC_LB_PLAIN_MAX];
	size_t nonce_len, sid_len = hb_hex_vec(v->sid, sid, sizeof(sid));
	struct quic_lb *lb = vector_lb(ctx, v, config_id, nonce, &nonce_len);
	struct quic_lb_route route;
	struct quic_cid cid;

	cr_assert(eq(int, quic_lb_encode_nonce(lb, nonce, NULL, &cid), 0));
	hb_assert_hex(cid.data, cid.len, want_cid);
	/* Decryption gives back server ID || nonce. */
	cr_assert(eq(int, quic_lb_decrypt(lb, cid.data, cid.len, plain), 0));
	cr_assert(eq(int, memcmp(plain, sid, sid_len), 0));
	cr_assert(eq(int, memcmp(plain + sid_len, nonce, nonce_len), 0));
	/* Steering: server ID and the first nonce byte (Hayabusa's worker id). */
	cr_assert(eq(int, quic_lb_decode(lb, cid.data, cid.len, &route), 0));
	cr_assert(eq(u8, route.config_id, config_id));
	cr_assert(eq(u8, route.server_id_len, (uint8_t)sid_len));
	cr_assert(eq(int, memcmp(route.server_id, sid, sid_len), 0));
	cr_assert(eq(u8, route.worker, nonce[0]));
	check_rejections(lb, &cid);
	quic_lb_free(lb);
}

HB_TEST(quic_lb, unencrypted_vectors)
{
	for (size_t i = 0; i < sizeof(unencrypted) / sizeof(unencrypted[0]); i++)
		check_vector(NULL, &unencrypted[i], unencrypted[i].config_id, unencrypted[i].cid);
}

static void
encrypted_on(struct crypto_ctx *ctx, const void *arg)
{
	(void)arg;
	for (size_t i = 0; i < sizeof(encrypted) / sizeof(encrypted[0]); i++)
		check_vector(ctx, &encrypted[i], encrypted[i].config_id, encrypted[i].cid);
}

HB_TEST(quic_lb, encrypted_vectors)
{
	hb_each_engine(encrypted_on, NULL);
}

/* The last encrypted row under the config rotation its label gives: 0x72, same ciphertext. */
HB_TEST(quic_lb, encrypted_last_row_config_3)
{
	struct crypto_ctx *ctx = hb_ctx_new(CRYPTO_ENGINE_EVP);

	check_vector(ctx, &encrypted[3], 3, "725779c9cc86beb3a3a4a3ca96fce4bfe0cdbc");
	crypto_ctx_free(ctx);
}

HB_TEST(quic_lb, encryption_example)
{
	struct crypto_ctx *ctx = hb_ctx_new(CRYPTO_ENGINE_EVP);

	check_vector(ctx, &example, 0, example.cid);
	crypto_ctx_free(ctx);
}

/*
 * The example's plaintext and ciphertext share no octet: a codec that skipped a pass, or
 * cleared the wrong nibble of the split octet, would still round-trip but not give this CID.
 * Trailing bytes after the nonce are appended in the clear.
 */
HB_TEST(quic_lb, example_with_trailing_bytes)
{
	struct crypto_ctx *ctx = hb_ctx_new(CRYPTO_ENGINE_EVP);
	struct quic_lb_config cfg = {
		.config_id = 0, .server_id_len = 3, .nonce_len = 4, .cid_len = 10, .has_key = true};
	static const uint8_t extra[2] = {0xab, 0xcd};
	uint8_t nonce[4], plain[QUIC_LB_PLAIN_MAX];
	struct quic_lb *lb = NULL;
	struct quic_cid cid;

	hb_hex_vec(example.sid, cfg.server_id, sizeof(cfg.server_id));
	hb_hex_vec(example.key, cfg.key, sizeof(cfg.key));
	hb_hex_vec(example.nonce, nonce, sizeof(nonce));
	cr_assert(eq(int, quic_lb_new(&lb, &cfg, ctx), 0));
	cr_assert(eq(int, quic_lb_encode_nonce(lb, nonce, NULL, &cid), QUIC_ERR_INVAL));
	cr_assert(eq(int, quic_lb_encode_nonce(lb, nonce, extra, &cid), 0));
	/* First octet 0x09 (length 10 - 1), the example's ciphertext, then the extra bytes. */
	hb_assert_hex(cid.data, cid.len, "0967947d29be054a abcd");
	cr_assert(eq(int, quic_lb_decrypt(lb, cid.data, cid.len, plain), 0));
	hb_assert_hex(plain, 7, "31441a9c69c275");
	quic_lb_free(lb);
	crypto_ctx_free(ctx);
}
