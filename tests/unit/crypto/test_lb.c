/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The AES-128 block primitive behind QUIC-LB connection-ID encryption: a FIPS-197 known
 * answer, the intermediate AES outputs of the QUIC-LB draft's "Encryption Example", round
 * trips, in-place operation and argument checks.
 */
#include <string.h>

#include <crypto/crypto.h>
#include <crypto/lb.h>

#include "hb_crypto_test.h"

TestSuite(crypto_lb);

/* FIPS-197 Appendix C.1 (AES-128): one block with the key 000102..0f. */
static void
fips197_c1(struct crypto_ctx *ctx, const void *arg)
{
	uint8_t key[16], pt[16], ct[16], back[16];
	struct crypto_lb *lb = NULL;

	(void)arg;
	hb_hex_vec("000102030405060708090a0b0c0d0e0f", key, sizeof(key));
	hb_hex_vec("00112233445566778899aabbccddeeff", pt, sizeof(pt));
	cr_assert(eq(int, crypto_lb_new(&lb, ctx, key), 0));
	cr_assert(eq(int, crypto_lb_encrypt_block(lb, pt, ct), 0));
	hb_assert_hex(ct, sizeof(ct), "69c4e0d86a7b0430d8cdb78070b4c55a");
	cr_assert(eq(int, crypto_lb_decrypt_block(lb, ct, back), 0));
	cr_assert(eq(int, memcmp(back, pt, sizeof(pt)), 0));
	crypto_lb_free(lb);
}

HB_TEST(crypto_lb, fips197_appendix_c1)
{
	hb_each_engine(fips197_c1, NULL);
}

/*
 * draft-ietf-quic-load-balancers "Encryption Example": the four AES inputs and outputs of the
 * four-pass example (steps 3, 6, 8 and 10), checked as plain AES-128 blocks.
 */
HB_TEST(crypto_lb, quic_lb_example_blocks)
{
	static const char *const io[4][2] = {
		{"31441a90000000000000000000000701", "a255dd8cdacf01948d3a848c3c7fee23"},
		{"0e3c1ff9000000000000000000000702", "e5e452cb9e1bedb0b2bf830506bf4c4e"},
		{"d4a04850000000000000000000000703", "b7821ab3024fed0913b6a04d18e3216f"},
		{"09be054a000000000000000000000704", "b334357cfdf81e3fafe180154eaf7378"},
	};
	struct crypto_ctx *ctx = hb_ctx_new(CRYPTO_ENGINE_EVP);
	struct crypto_lb *lb = NULL;
	uint8_t key[16];

	hb_hex_vec("fdf726a9893ec05c0632d3956680baf0", key, sizeof(key));
	cr_assert(eq(int, crypto_lb_new(&lb, ctx, key), 0));
	for (size_t i = 0; i < 4; i++) {
		uint8_t in[16], out[16];

		hb_hex_vec(io[i][0], in, sizeof(in));
		cr_assert(eq(int, crypto_lb_encrypt_block(lb, in, out), 0));
		hb_assert_hex(out, sizeof(out), io[i][1]);
	}
	crypto_lb_free(lb);
	crypto_ctx_free(ctx);
}

/* Random blocks come back through decrypt, also when in and out are the same buffer. */
HB_TEST(crypto_lb, round_trip_in_place)
{
	struct crypto_ctx *ctx = hb_ctx_new(CRYPTO_ENGINE_EVP);
	uint64_t seed = 0x1b2c3d4e5f607182u;
	struct crypto_lb *lb = NULL;
	uint8_t key[16];

	hb_fill(&seed, key, sizeof(key));
	cr_assert(eq(int, crypto_lb_new(&lb, ctx, key), 0));
	for (unsigned i = 0; i < 256; i++) {
		uint8_t pt[16], buf[16], ct[16];

		hb_fill(&seed, pt, sizeof(pt));
		memcpy(buf, pt, sizeof(buf));
		cr_assert(eq(int, crypto_lb_encrypt_block(lb, pt, ct), 0));
		cr_assert(eq(int, crypto_lb_encrypt_block(lb, buf, buf), 0));
		cr_assert(eq(int, memcmp(buf, ct, sizeof(ct)), 0));
		cr_assert(ne(int, memcmp(ct, pt, sizeof(pt)), 0));
		cr_assert(eq(int, crypto_lb_decrypt_block(lb, buf, buf), 0));
		cr_assert(eq(int, memcmp(buf, pt, sizeof(pt)), 0));
	}
	crypto_lb_free(lb);
	crypto_ctx_free(ctx);
}

/* Two keys give two permutations; a handle does not depend on the caller's key buffer. */
HB_TEST(crypto_lb, key_is_copied)
{
	struct crypto_ctx *ctx = hb_ctx_new(CRYPTO_ENGINE_EVP);
	struct crypto_lb *a = NULL, *b = NULL;
	uint8_t key[16] = {0}, pt[16] = {0}, ca[16], cb[16], ca2[16];

	cr_assert(eq(int, crypto_lb_new(&a, ctx, key), 0));
	key[0] = 1;
	cr_assert(eq(int, crypto_lb_new(&b, ctx, key), 0));
	cr_assert(eq(int, crypto_lb_encrypt_block(a, pt, ca), 0));
	cr_assert(eq(int, crypto_lb_encrypt_block(b, pt, cb), 0));
	cr_assert(ne(int, memcmp(ca, cb, sizeof(ca)), 0));
	memset(key, 0xff, sizeof(key));
	cr_assert(eq(int, crypto_lb_encrypt_block(a, pt, ca2), 0));
	cr_assert(eq(int, memcmp(ca, ca2, sizeof(ca)), 0));
	/* AES-128 of the zero block under the zero key. */
	hb_assert_hex(ca, sizeof(ca), "66e94bd4ef8a2c3b884cfa59ca342b2e");
	crypto_lb_free(a);
	crypto_lb_free(b);
	crypto_ctx_free(ctx);
}

HB_TEST(crypto_lb, bad_arguments)
{
	struct crypto_ctx *ctx = hb_ctx_new(CRYPTO_ENGINE_EVP);
	struct crypto_lb *lb = NULL;
	uint8_t key[16] = {0}, blk[16] = {0};

	cr_assert(eq(int, crypto_lb_new(NULL, ctx, key), CRYPTO_ERR_INVAL));
	cr_assert(eq(int, crypto_lb_new(&lb, NULL, key), CRYPTO_ERR_INVAL));
	cr_assert(eq(ptr, lb, NULL));
	cr_assert(eq(int, crypto_lb_new(&lb, ctx, NULL), CRYPTO_ERR_INVAL));
	cr_assert(eq(int, crypto_lb_encrypt_block(NULL, blk, blk), CRYPTO_ERR_INVAL));
	cr_assert(eq(int, crypto_lb_decrypt_block(NULL, blk, blk), CRYPTO_ERR_INVAL));
	cr_assert(eq(int, crypto_lb_new(&lb, ctx, key), 0));
	cr_assert(eq(int, crypto_lb_encrypt_block(lb, NULL, blk), CRYPTO_ERR_INVAL));
	cr_assert(eq(int, crypto_lb_decrypt_block(lb, blk, NULL), CRYPTO_ERR_INVAL));
	crypto_lb_free(lb);
	crypto_lb_free(NULL);
	crypto_ctx_free(ctx);
}
