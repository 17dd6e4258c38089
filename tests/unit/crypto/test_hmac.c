/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The HMAC under every HKDF step (crypto/hmac.c), through HKDF-Extract, which is
 * HMAC-Hash(salt, IKM) (RFC 5869 §2.2): RFC 4231 test cases 1 (short key) and 6 (a key longer
 * than the hash block, which must be hashed first), for SHA-256 and SHA-384.
 */
#include <string.h>

#include <crypto/crypto.h>

#include "hb_test.h"

TestSuite(hmac);

struct hmac_case {
	const char *key;  /* hex */
	const char *data; /* text */
	enum crypto_hash hash;
	const char *mac; /* hex */
};

static const struct hmac_case cases[] = {
	/* RFC 4231 §4.2 test case 1 */
	{"0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "Hi There", CRYPTO_HASH_SHA256,
	 "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
	{"0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "Hi There", CRYPTO_HASH_SHA384,
	 "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59c"
	 "faea9ea9076ede7f4af152e8b2fa9cb6"},
	/* RFC 4231 §4.7 test case 6: 131-byte key 0xaa.. (filled in by the test) */
	{NULL, "Test Using Larger Than Block-Size Key - Hash Key First", CRYPTO_HASH_SHA256,
	 "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
	{NULL, "Test Using Larger Than Block-Size Key - Hash Key First", CRYPTO_HASH_SHA384,
	 "4ece084485813e9088d2c63a041bc5b44f9ef1012a2b588f3cd11f05033ac4c6"
	 "0c2ef6ab4030fe8296248df163f44952"},
};

HB_TEST(hmac, rfc4231_via_hkdf_extract)
{
	struct crypto_ctx *ctx = NULL;

	cr_assert(eq(int, crypto_ctx_new(&ctx, CRYPTO_ENGINE_EVP), 0));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t key[131], want[48], got[48];
		size_t key_len, mac_len = hb_hex(cases[i].mac, want, sizeof(want));

		if (cases[i].key != NULL) {
			key_len = hb_hex(cases[i].key, key, sizeof(key));
		} else {
			memset(key, 0xaa, sizeof(key));
			key_len = sizeof(key);
		}
		memset(got, 0, sizeof(got));
		cr_assert(eq(int,
			     crypto_hkdf_extract(ctx, cases[i].hash, key, key_len,
						 (const uint8_t *)cases[i].data,
						 strlen(cases[i].data), got),
			     0));
		cr_assert(eq(int, memcmp(got, want, mac_len), 0), "case %zu", i);
	}
	crypto_ctx_free(ctx);
}

HB_TEST(hmac, empty_salt_equals_zero_salt)
{
	/* RFC 5869 §2.2: a missing salt is HashLen zeros; as an HMAC key it equals the empty key. */
	static const uint8_t zeros[48];
	static const uint8_t ikm[] = {1, 2, 3};
	struct crypto_ctx *ctx = NULL;
	uint8_t a[48], b[48];

	cr_assert(eq(int, crypto_ctx_new(&ctx, CRYPTO_ENGINE_EVP), 0));
	cr_assert(eq(int, crypto_hkdf_extract(ctx, CRYPTO_HASH_SHA384, NULL, 0, ikm, 3, a), 0));
	cr_assert(eq(int, crypto_hkdf_extract(ctx, CRYPTO_HASH_SHA384, zeros, 48, ikm, 3, b), 0));
	cr_assert(eq(int, memcmp(a, b, 48), 0));
	crypto_ctx_free(ctx);
}
