/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * QUIC key schedule (RFC 9001 §5, RFC 9369 §3.3) beyond the appendix vectors: the pre-keyed
 * HMAC path against the EVP_KDF reference, AES-256-GCM keys, and argument checks.
 */
#include <string.h>

#include <crypto/crypto.h>

#include "hb_crypto_test.h"

TestSuite(crypto_keys);

HB_TEST(crypto_keys, initial_secrets_match_kdf_reference)
{
	static const uint32_t versions[] = {CRYPTO_QUIC_V1, CRYPTO_QUIC_V2};
	struct crypto_ctx *ctx = hb_ctx_new(CRYPTO_ENGINE_EVP);
	uint64_t seed = UINT64_C(0x9e3779b97f4a7c15);

	for (size_t v = 0; v < 2; v++) {
		for (size_t len = 0; len <= 20; len++) {
			for (int round = 0; round < 8; round++) {
				uint8_t dcid[20], c1[32], s1[32], c2[32], s2[32];

				hb_fill(&seed, dcid, len);
				cr_assert(eq(int,
					     crypto_quic_initial_secrets(ctx, versions[v], dcid,
									 len, c1, s1),
					     0));
				cr_assert(eq(int,
					     crypto_quic_initial_secrets_kdf(ctx, versions[v], dcid,
									     len, c2, s2),
					     0));
				cr_assert(eq(int, memcmp(c1, c2, 32), 0), "dcid len %zu", len);
				cr_assert(eq(int, memcmp(s1, s2, 32), 0), "dcid len %zu", len);
				cr_assert(ne(int, memcmp(c1, s1, 32), 0));
			}
		}
	}
	crypto_ctx_free(ctx);
}

HB_TEST(crypto_keys, initial_secrets_reject_bad_arguments)
{
	struct crypto_ctx *ctx = hb_ctx_new(CRYPTO_ENGINE_EVP);
	uint8_t dcid[21] = {0}, c[32], s[32];

	/* RFC 9000 §17.2: a connection ID is at most 20 bytes. */
	cr_assert(eq(int, crypto_quic_initial_secrets(ctx, CRYPTO_QUIC_V1, dcid, 21, c, s),
		     CRYPTO_ERR_INVAL));
	cr_assert(eq(int, crypto_quic_initial_secrets_kdf(ctx, CRYPTO_QUIC_V1, dcid, 21, c, s),
		     CRYPTO_ERR_INVAL));
	cr_assert(eq(int, crypto_quic_initial_secrets(ctx, 0xff00001d, dcid, 8, c, s),
		     CRYPTO_ERR_INVAL));
	cr_assert(eq(int, crypto_quic_initial_secrets(ctx, CRYPTO_QUIC_V1, NULL, 8, c, s),
		     CRYPTO_ERR_INVAL));
	/* A zero-length DCID is legal (and the empty input still derives keys). */
	cr_assert(eq(int, crypto_quic_initial_secrets(ctx, CRYPTO_QUIC_V2, NULL, 0, c, s), 0));
	crypto_ctx_free(ctx);
}

HB_TEST(crypto_keys, aes256_keys_and_update)
{
	/* Expectations computed with Python's hmac module from RFC 9001 §5.1 / §6.1 labels. */
	struct crypto_ctx *ctx = hb_ctx_new(CRYPTO_ENGINE_EVP);
	uint8_t secret[48], next[48], want[48];
	struct crypto_quic_keys k;

	for (int i = 0; i < 48; i++)
		secret[i] = (uint8_t)(i + 1);
	cr_assert(eq(int,
		     crypto_quic_derive_keys(ctx, CRYPTO_QUIC_V1, CRYPTO_SUITE_AES_256_GCM_SHA384,
					     secret, 48, &k),
		     0));
	hb_hex_vec("4c44e9d10b4b7a239d81c815d42ceb9cfe026cd3a17bd55099b83e56b636afae", want, 32);
	cr_assert(eq(int, memcmp(k.key, want, 32), 0));
	hb_hex_vec("914a3f6ca07e7508c9a90fd8", want, 12);
	cr_assert(eq(int, memcmp(k.iv, want, 12), 0));
	hb_hex_vec("c5ffe6d1b4768fc35e6f1d9789c3247827bb2894c244f33a5ca82045fcf3ae55", want, 32);
	cr_assert(eq(int, memcmp(k.hp, want, 32), 0));
	cr_assert(eq(int,
		     crypto_quic_key_update(ctx, CRYPTO_QUIC_V1, CRYPTO_SUITE_AES_256_GCM_SHA384,
					    secret, 48, next),
		     0));
	hb_hex_vec("a1b5bda255f07b68dbe0a0398694d90de1f946e468f687eb19225c9245e1f4e4"
		   "1773f6465cb224e05db0407a9b6747d1",
		   want, 48);
	cr_assert(eq(int, memcmp(next, want, 48), 0));
	crypto_ctx_free(ctx);
}

HB_TEST(crypto_keys, derive_rejects_bad_arguments)
{
	struct crypto_ctx *ctx = hb_ctx_new(CRYPTO_ENGINE_EVP);
	uint8_t secret[48] = {0}, next[48];
	struct crypto_quic_keys k;

	/* A traffic secret is exactly the suite's hash length. */
	cr_assert(eq(int,
		     crypto_quic_derive_keys(ctx, CRYPTO_QUIC_V1, CRYPTO_SUITE_AES_128_GCM_SHA256,
					     secret, 48, &k),
		     CRYPTO_ERR_INVAL));
	cr_assert(eq(int,
		     crypto_quic_derive_keys(ctx, CRYPTO_QUIC_V1, CRYPTO_SUITE_AES_256_GCM_SHA384,
					     secret, 32, &k),
		     CRYPTO_ERR_INVAL));
	cr_assert(
		eq(int,
		   crypto_quic_derive_keys(ctx, 2, CRYPTO_SUITE_AES_128_GCM_SHA256, secret, 32, &k),
		   CRYPTO_ERR_INVAL));
	cr_assert(
		eq(int,
		   crypto_quic_derive_keys(ctx, CRYPTO_QUIC_V1, CRYPTO_SUITE_COUNT, secret, 32, &k),
		   CRYPTO_ERR_INVAL));
	cr_assert(
		eq(int,
		   crypto_quic_key_update(ctx, CRYPTO_QUIC_V2,
					  CRYPTO_SUITE_CHACHA20_POLY1305_SHA256, secret, 48, next),
		   CRYPTO_ERR_INVAL));
	crypto_ctx_free(ctx);
}

HB_TEST(crypto_keys, suite_properties)
{
	cr_assert(eq(sz, crypto_suite_key_len(CRYPTO_SUITE_AES_128_GCM_SHA256), 16));
	cr_assert(eq(sz, crypto_suite_key_len(CRYPTO_SUITE_AES_256_GCM_SHA384), 32));
	cr_assert(eq(sz, crypto_suite_key_len(CRYPTO_SUITE_CHACHA20_POLY1305_SHA256), 32));
	cr_assert(eq(sz, crypto_suite_secret_len(CRYPTO_SUITE_AES_256_GCM_SHA384), 48));
	cr_assert(eq(sz, crypto_suite_secret_len(CRYPTO_SUITE_CHACHA20_POLY1305_SHA256), 32));
	cr_assert(eq(u16, crypto_suite_tls_id(CRYPTO_SUITE_AES_128_GCM_SHA256), 0x1301));
	cr_assert(eq(u16, crypto_suite_tls_id(CRYPTO_SUITE_AES_256_GCM_SHA384), 0x1302));
	cr_assert(eq(u16, crypto_suite_tls_id(CRYPTO_SUITE_CHACHA20_POLY1305_SHA256), 0x1303));
	cr_assert(eq(int, (int)crypto_suite_hash(CRYPTO_SUITE_AES_256_GCM_SHA384),
		     (int)CRYPTO_HASH_SHA384));
	cr_assert(eq(int,
		     strcmp(crypto_suite_name(CRYPTO_SUITE_CHACHA20_POLY1305_SHA256),
			    "TLS_CHACHA20_POLY1305_SHA256"),
		     0));
	/* RFC 9001 §6.6 */
	cr_assert(eq(u64, crypto_suite_confidentiality_limit(CRYPTO_SUITE_AES_128_GCM_SHA256),
		     UINT64_C(1) << 23));
	cr_assert(eq(u64, crypto_suite_integrity_limit(CRYPTO_SUITE_AES_256_GCM_SHA384),
		     UINT64_C(1) << 52));
	cr_assert(eq(u64, crypto_suite_confidentiality_limit(CRYPTO_SUITE_CHACHA20_POLY1305_SHA256),
		     UINT64_C(1) << 62));
	cr_assert(eq(u64, crypto_suite_integrity_limit(CRYPTO_SUITE_CHACHA20_POLY1305_SHA256),
		     UINT64_C(1) << 36));
	cr_assert(eq(sz, crypto_suite_key_len(CRYPTO_SUITE_COUNT), 0));
}
