/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * crypto/x25519.c: our fixed-base X25519 public key and Montgomery ladder, against the known
 * answers of RFC 7748 §5.2 and §6.1 and against OpenSSL's X25519 on random keys and points.
 */
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "hb_test.h"
#include "x25519.h"

TestSuite(crypto_x25519);

static void
unhex(uint8_t out[32], const char *hex)
{
	cr_assert(eq(sz, strlen(hex), 64));
	for (int i = 0; i < 32; i++)
		cr_assert(eq(int, sscanf(hex + 2 * i, "%2hhx", &out[i]), 1));
}

static void
assert_hex(const uint8_t got[32], const char *hex)
{
	uint8_t want[32];

	unhex(want, hex);
	cr_assert(eq(int, memcmp(got, want, 32), 0));
}

/* RFC 7748 §6.1: Alice's and Bob's key pairs and their shared secret. */
#define ALICE_PRIV "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"
#define ALICE_PUB  "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"
#define BOB_PRIV   "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"
#define BOB_PUB	   "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f"
#define SHARED	   "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742"

HB_TEST(crypto_x25519, rfc7748_6_1_public_keys)
{
	uint8_t priv[32], pub[32];

	unhex(priv, ALICE_PRIV);
	crypto_x25519_public(pub, priv);
	assert_hex(pub, ALICE_PUB);
	unhex(priv, BOB_PRIV);
	crypto_x25519_public(pub, priv);
	assert_hex(pub, BOB_PUB);
}

HB_TEST(crypto_x25519, rfc7748_6_1_shared_secret)
{
	uint8_t priv[32], peer[32], out[32];

	unhex(priv, ALICE_PRIV);
	unhex(peer, BOB_PUB);
	crypto_x25519(out, priv, peer);
	assert_hex(out, SHARED);
	unhex(priv, BOB_PRIV);
	unhex(peer, ALICE_PUB);
	crypto_x25519(out, priv, peer);
	assert_hex(out, SHARED);
}

/* RFC 7748 §5.2: unclamped scalars, and a u whose top bit is set (masked, §5). */
HB_TEST(crypto_x25519, rfc7748_5_2_vectors)
{
	uint8_t k[32], u[32], out[32];

	unhex(k, "a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4");
	unhex(u, "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c");
	crypto_x25519(out, k, u);
	assert_hex(out, "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552");
	unhex(k, "4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d");
	unhex(u, "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493");
	crypto_x25519(out, k, u);
	assert_hex(out, "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957");
}

/* RFC 7748 §5.2: 1,000 iterations of k, u = X25519(k, u), k starting at u = 9. */
HB_TEST(crypto_x25519, rfc7748_5_2_iterated)
{
	uint8_t k[32] = {9}, u[32] = {9}, out[32];

	for (int i = 0; i < 1000; i++) {
		crypto_x25519(out, k, u);
		memcpy(u, k, 32);
		memcpy(k, out, 32);
		if (i == 0)
			assert_hex(k, "422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079");
	}
	assert_hex(k, "684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51");
}

/* Random private keys and peer points, including non-canonical u (>= p, top bit set). */
HB_TEST(crypto_x25519, matches_openssl_on_random_input)
{
	uint8_t priv[32], peer[32], ours[32], theirs[32];
	size_t len;

	for (int i = 0; i < 300; i++) {
		EVP_PKEY *a, *b;
		EVP_PKEY_CTX *dc;

		cr_assert(eq(int, RAND_bytes(priv, 32), 1));
		cr_assert(eq(int, RAND_bytes(peer, 32), 1));
		if (i % 3 == 1)
			memset(peer + 1, 0xff, 31); /* u >= p once the top bit is masked */
		a = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, priv, 32);
		cr_assert(not(eq(ptr, a, NULL)));
		len = sizeof(theirs);
		cr_assert(eq(int, EVP_PKEY_get_raw_public_key(a, theirs, &len), 1));
		crypto_x25519_public(ours, priv);
		cr_assert(eq(int, memcmp(ours, theirs, 32), 0), "public key %d", i);
		b = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, peer, 32);
		dc = EVP_PKEY_CTX_new(a, NULL);
		cr_assert(not(eq(ptr, b, NULL)));
		cr_assert(not(eq(ptr, dc, NULL)));
		len = sizeof(theirs);
		cr_assert(eq(int, EVP_PKEY_derive_init(dc), 1));
		cr_assert(eq(int, EVP_PKEY_derive_set_peer(dc, b), 1));
		crypto_x25519(ours, priv, peer);
		if (EVP_PKEY_derive(dc, theirs, &len) != 1) {
			/* OpenSSL refuses the all-zero result of a small-order u (u mod p of 0,
			 * 1 or p - 1 among the u >= p above): ours must be that zero. */
			memset(theirs, 0, sizeof(theirs));
			ERR_clear_error();
		}
		cr_assert(eq(int, memcmp(ours, theirs, 32), 0), "shared secret %d", i);
		EVP_PKEY_CTX_free(dc);
		EVP_PKEY_free(b);
		EVP_PKEY_free(a);
	}
}

/* Batches of 1..16 give what single keys give, the RFC 7748 §6.1 keys among them. */
HB_TEST(crypto_x25519, batch_matches_single)
{
	uint8_t priv[CRYPTO_X25519_BATCH * 32], pub[CRYPTO_X25519_BATCH * 32], one[32];

	cr_assert(eq(int, RAND_bytes(priv, sizeof(priv)), 1));
	unhex(priv + 32, ALICE_PRIV);
	unhex(priv + 15 * 32, BOB_PRIV);
	for (size_t n = 1; n <= CRYPTO_X25519_BATCH; n++) {
		memset(pub, 0, sizeof(pub));
		crypto_x25519_public_batch(pub, priv, n);
		for (size_t i = 0; i < n; i++) {
			crypto_x25519_public(one, priv + 32 * i);
			cr_assert(eq(int, memcmp(one, pub + 32 * i, 32), 0), "n %zu key %zu", n, i);
		}
		for (size_t i = n; i < CRYPTO_X25519_BATCH; i++)
			cr_assert(eq(int, pub[32 * i], 0)); /* nothing written past n */
	}
	assert_hex(pub + 32, ALICE_PUB);
	assert_hex(pub + 15 * 32, BOB_PUB);
}
