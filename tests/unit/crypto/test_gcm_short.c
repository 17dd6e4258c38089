/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * crypto/gcm_short.c, the short-message AES-128-GCM of token keys and Retry tags, against
 * OpenSSL's EVP AES-128-GCM: every plaintext length 0..300 with every AAD length 0..300 under
 * random keys and nonces, in place and out of place (crypto_aead_open_nonce_copy()), refusal
 * of every flipped bit of ciphertext, tag and AAD, and the Retry Integrity Tag vectors of
 * RFC 9001 Appendix A.4 and RFC 9369 Appendix A.4 with the short GCM on and off.
 */
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <crypto/crypto.h>

#include "hb_test.h"

TestSuite(crypto_gcm_short);

#define MAX_LEN 300

/* Skips the suite's tests where the CPU or build lacks AES-NI/PCLMULQDQ. */
static struct crypto_ctx *
short_ctx(void)
{
	struct crypto_ctx *ctx = NULL;

	if (!crypto_gcm_short_available())
		cr_skip_test("no AES-NI/PCLMULQDQ: gcm_short.c is not used here");
	cr_assert(eq(int, crypto_ctx_new(&ctx, CRYPTO_ENGINE_AUTO), 0));
	cr_assert(eq(int, crypto_ctx_use_gcm_short(ctx, true), 0));
	return ctx;
}

/* The reference: OpenSSL AES-128-GCM, ciphertext and tag into out (len + 16 bytes). */
static void
evp_seal(const uint8_t key[16], const uint8_t nonce[12], const uint8_t *aad, size_t aad_len,
	 const uint8_t *pt, size_t len, uint8_t *out)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int n = 0, fin = 0;

	cr_assert(not(eq(ptr, c, NULL)));
	cr_assert(eq(int, EVP_EncryptInit_ex(c, EVP_aes_128_gcm(), NULL, key, nonce), 1));
	if (aad_len > 0)
		cr_assert(eq(int, EVP_EncryptUpdate(c, NULL, &n, aad, (int)aad_len), 1));
	if (len > 0)
		cr_assert(eq(int, EVP_EncryptUpdate(c, out, &n, pt, (int)len), 1));
	cr_assert(eq(int, EVP_EncryptFinal_ex(c, out + n, &fin), 1));
	cr_assert(eq(int, EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, out + len), 1));
	EVP_CIPHER_CTX_free(c);
}

/* One length pair: seal equals OpenSSL's output byte for byte, open gives the plaintext back. */
static void
check_pair(struct crypto_ctx *ctx, size_t aad_len, size_t len)
{
	uint8_t key[16], nonce[12], aad[MAX_LEN + 1], pt[MAX_LEN + 1];
	uint8_t want[MAX_LEN + 16], buf[MAX_LEN + 16 + 1], out[MAX_LEN + 16];
	struct crypto_aead *a = NULL;

	cr_assert(eq(int, RAND_bytes(key, 16) & RAND_bytes(nonce, 12), 1));
	cr_assert(eq(int, RAND_bytes(aad, MAX_LEN + 1) & RAND_bytes(pt, MAX_LEN + 1), 1));
	evp_seal(key, nonce, aad, aad_len, pt, len, want);
	cr_assert(eq(int, crypto_token_key_new(&a, ctx, key), 0));
	memcpy(buf, pt, len);
	buf[len + 16] = 0xa5; /* nothing is written past the tag */
	cr_assert(eq(int, crypto_aead_seal_nonce(a, nonce, aad, aad_len, buf, len), 0));
	cr_assert(eq(int, memcmp(buf, want, len + 16), 0), "seal differs: aad %zu pt %zu", aad_len,
		  len);
	cr_assert(eq(u8, buf[len + 16], 0xa5));
	/* Out of place: the sealed bytes stay as they were. */
	cr_assert(eq(int, crypto_aead_open_nonce_copy(a, nonce, aad, aad_len, buf, len + 16, out),
		     0));
	cr_assert(eq(int, memcmp(out, pt, len), 0));
	cr_assert(eq(int, memcmp(buf, want, len + 16), 0));
	cr_assert(eq(int, crypto_aead_open_nonce(a, nonce, aad, aad_len, buf, len + 16), 0),
		  "open refused: aad %zu pt %zu", aad_len, len);
	cr_assert(eq(int, memcmp(buf, pt, len), 0));
	crypto_aead_free(a);
}

HB_TEST(crypto_gcm_short, matches_openssl_all_lengths)
{
	struct crypto_ctx *ctx = short_ctx();

	for (size_t aad_len = 0; aad_len <= MAX_LEN; aad_len++)
		for (size_t len = 0; len <= MAX_LEN; len++)
			check_pair(ctx, aad_len, len);
	crypto_ctx_free(ctx);
}

/* Every single flipped bit of the ciphertext, the tag or the AAD is refused. */
static void
check_forgeries(struct crypto_aead *a, size_t aad_len, size_t len)
{
	uint8_t nonce[12], aad[64], sealed[64 + 16], buf[64 + 16], out[64 + 16];

	cr_assert(eq(int, RAND_bytes(nonce, 12) & RAND_bytes(aad, 64) & RAND_bytes(sealed, 64), 1));
	cr_assert(eq(int, crypto_aead_seal_nonce(a, nonce, aad, aad_len, sealed, len), 0));
	for (size_t bit = 0; bit < (len + 16) * 8; bit++) {
		memcpy(buf, sealed, len + 16);
		buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		cr_assert(
			eq(int,
			   crypto_aead_open_nonce_copy(a, nonce, aad, aad_len, buf, len + 16, out),
			   CRYPTO_ERR_AUTH),
			"bit %zu of %zu-byte ciphertext accepted out of place", bit, len);
		cr_assert(eq(int, crypto_aead_open_nonce(a, nonce, aad, aad_len, buf, len + 16),
			     CRYPTO_ERR_AUTH),
			  "bit %zu of %zu-byte ciphertext accepted", bit, len);
	}
	for (size_t bit = 0; bit < aad_len * 8; bit++) {
		memcpy(buf, sealed, len + 16);
		aad[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		cr_assert(eq(int, crypto_aead_open_nonce(a, nonce, aad, aad_len, buf, len + 16),
			     CRYPTO_ERR_AUTH));
		aad[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
	memcpy(buf, sealed, len + 16);
	cr_assert(eq(int, crypto_aead_open_nonce(a, nonce, aad, aad_len, buf, len + 16), 0));
}

HB_TEST(crypto_gcm_short, every_flipped_bit_refused)
{
	static const size_t lens[] = {0, 1, 15, 16, 17, 31, 33, 48, 64};
	struct crypto_ctx *ctx = short_ctx();
	struct crypto_aead *a = NULL;
	uint8_t key[16];

	cr_assert(eq(int, RAND_bytes(key, 16), 1));
	cr_assert(eq(int, crypto_token_key_new(&a, ctx, key), 0));
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++)
		check_forgeries(a, lens[(i + 3) % 9], lens[i]);
	crypto_aead_free(a);
	crypto_ctx_free(ctx);
}

/*
 * RFC 9001 §A.4 and RFC 9369 §A.4: the Retry to the client Initial with DCID
 * 0x8394c8f03e515708, its last 16 bytes the Retry Integrity Tag (RFC 9001 §5.8).
 */
static const struct {
	uint32_t version;
	const char *retry;
} retry_vectors[] = {
	{CRYPTO_QUIC_V1, "ff000000010008f067a5502a4262b5746f6b656e04a265ba2eff4d829058fb3f"
			 "0f2496ba"},
	{CRYPTO_QUIC_V2, "cf6b3343cf0008f067a5502a4262b5746f6b656ec8646ce8bfe33952d9555436"
			 "65dcc7b6"},
};

static void
check_retry_vector(struct crypto_ctx *ctx, uint32_t version, const char *hex)
{
	static const uint8_t odcid[8] = {0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08};
	uint8_t retry[64], pseudo[128], tag[CRYPTO_TAG_LEN];
	size_t n = hb_hex(hex, retry, sizeof(retry)), body = n - CRYPTO_TAG_LEN;

	cr_assert(eq(sz, n, 36));
	pseudo[0] = sizeof(odcid);
	memcpy(pseudo + 1, odcid, sizeof(odcid));
	memcpy(pseudo + 1 + sizeof(odcid), retry, body);
	cr_assert(
		eq(int, crypto_retry_tag(ctx, version, pseudo, 1 + sizeof(odcid) + body, tag), 0));
	cr_assert(eq(int, memcmp(tag, retry + body, CRYPTO_TAG_LEN), 0), "version %08x", version);
	pseudo[5] ^= 1;
	cr_assert(eq(
		int,
		crypto_retry_verify(ctx, version, pseudo, 1 + sizeof(odcid) + body, retry + body),
		CRYPTO_ERR_AUTH));
}

HB_TEST(crypto_gcm_short, retry_vectors_on_and_off)
{
	struct crypto_ctx *ctx = short_ctx();

	for (int on = 1; on >= 0; on--) {
		cr_assert(eq(int, crypto_ctx_use_gcm_short(ctx, on), 0));
		for (size_t i = 0; i < 2; i++)
			check_retry_vector(ctx, retry_vectors[i].version, retry_vectors[i].retry);
	}
	crypto_ctx_free(ctx);
}

/* Retry tags of every pseudo-packet length 0..300 agree with the context's own engine. */
HB_TEST(crypto_gcm_short, retry_tag_matches_engine)
{
	struct crypto_ctx *ctx = short_ctx();
	uint8_t pseudo[MAX_LEN], a[CRYPTO_TAG_LEN], b[CRYPTO_TAG_LEN];

	cr_assert(eq(int, RAND_bytes(pseudo, sizeof(pseudo)), 1));
	for (size_t len = 0; len <= MAX_LEN; len++) {
		uint32_t v = len % 2 ? CRYPTO_QUIC_V1 : CRYPTO_QUIC_V2;

		cr_assert(eq(int, crypto_ctx_use_gcm_short(ctx, true), 0));
		cr_assert(eq(int, crypto_retry_tag(ctx, v, pseudo, len, a), 0));
		cr_assert(eq(int, crypto_ctx_use_gcm_short(ctx, false), 0));
		cr_assert(eq(int, crypto_retry_tag(ctx, v, pseudo, len, b), 0));
		cr_assert(eq(int, memcmp(a, b, CRYPTO_TAG_LEN), 0), "length %zu", len);
	}
	crypto_ctx_free(ctx);
}

HB_TEST(crypto_gcm_short, selection)
{
	struct crypto_ctx *ctx = NULL;
	bool ok = crypto_gcm_short_available();

	cr_assert(eq(int, crypto_ctx_use_gcm_short(NULL, false), CRYPTO_ERR_INVAL));
	cr_assert(eq(int, crypto_ctx_new(&ctx, CRYPTO_ENGINE_EVP), 0));
	cr_assert(eq(int, crypto_ctx_use_gcm_short(ctx, true), ok ? 0 : CRYPTO_ERR_UNSUPPORTED));
	cr_assert(eq(int, crypto_ctx_use_gcm_short(ctx, false), 0));
	crypto_ctx_free(ctx);
}

/* crypto_aead_open_nonce_copy() on the engines' own AES-128-GCM (the short GCM off). */
HB_TEST(crypto_gcm_short, open_copy_on_engines)
{
	static const enum crypto_engine engines[] = {CRYPTO_ENGINE_EVP, CRYPTO_ENGINE_AUTO};
	uint8_t key[16] = {1}, nonce[12] = {2}, aad[20] = {3}, pt[40] = {4}, buf[56], out[56];

	for (size_t e = 0; e < 2; e++) {
		struct crypto_ctx *ctx = NULL;
		struct crypto_aead *a = NULL;

		cr_assert(eq(int, crypto_ctx_new(&ctx, engines[e]), 0));
		cr_assert(eq(int, crypto_ctx_use_gcm_short(ctx, false), 0));
		cr_assert(eq(int, crypto_token_key_new(&a, ctx, key), 0));
		memcpy(buf, pt, sizeof(pt));
		cr_assert(eq(int, crypto_aead_seal_nonce(a, nonce, aad, sizeof(aad), buf, 40), 0));
		cr_assert(eq(int, crypto_aead_open_nonce_copy(a, nonce, aad, 20, buf, 56, out), 0));
		cr_assert(eq(int, memcmp(out, pt, sizeof(pt)), 0));
		buf[55] ^= 0x80;
		cr_assert(eq(int, crypto_aead_open_nonce_copy(a, nonce, aad, 20, buf, 56, out),
			     CRYPTO_ERR_AUTH));
		cr_assert(eq(int, crypto_aead_open_nonce_copy(a, nonce, aad, 20, buf, 15, out),
			     CRYPTO_ERR_INVAL));
		crypto_aead_free(a);
		crypto_ctx_free(ctx);
	}
}
