/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * HKDF (RFC 5869) and HKDF-Expand-Label (RFC 9846 §7.1) on the EVP_MAC implementation.
 *
 * The SHA-384 expectations were computed with Python's hmac/hashlib modules (an implementation
 * independent of OpenSSL's EVP_MAC and EVP_KDF) following RFC 5869 §2.2-2.3 to the letter.
 */
#include <string.h>

#include <crypto/crypto.h>

#include "hb_crypto_test.h"

TestSuite(crypto_hkdf);

struct hkdf_case {
	enum crypto_hash hash;
	const char *ikm, *salt, *info;
	const char *prk, *okm;
};

static const struct hkdf_case cases[] = {
	/* RFC 5869 §A.1, test case 1 (SHA-256). */
	{CRYPTO_HASH_SHA256, "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
	 "000102030405060708090a0b0c", "f0f1f2f3f4f5f6f7f8f9",
	 "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5",
	 "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
	 "34007208d5b887185865"},
	/* RFC 5869 §A.3, test case 3: zero-length salt and info (SHA-256). */
	{CRYPTO_HASH_SHA256, "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", NULL, NULL,
	 "19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04",
	 "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d"
	 "9d201395faa4b61a96c8"},
	/* Test case 1's inputs with SHA-384 and L = 100 (three output blocks). */
	{CRYPTO_HASH_SHA384, "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
	 "000102030405060708090a0b0c", "f0f1f2f3f4f5f6f7f8f9",
	 "704b39990779ce1dc548052c7dc39f303570dd13fb39f7acc564680bef80e8de"
	 "c70ee9a7e1f3e293ef68eceb072a5ade",
	 "9b5097a86038b805309076a44b3a9f38063e25b516dcbf369f394cfab43685f7"
	 "48b6457763e4f0204fc5d95d1da3e62587b22eb8943d0fab6bb631a2fe9df1a6"
	 "8c6ce5d56116a52005b3f122b88b39b7251fcd6c44d3ef25f20ed96802bf1b2c"
	 "1d98bf74"},
	/* Test case 2's shape (80-byte IKM, salt and info) with SHA-384, L = 82. */
	{CRYPTO_HASH_SHA384,
	 "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
	 "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"
	 "404142434445464748494a4b4c4d4e4f",
	 "606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f"
	 "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"
	 "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf",
	 "b0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecf"
	 "d0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeef"
	 "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff",
	 "b319f6831dff9314efb643baa29263b30e4a8d779fe31e9c901efd7de737c85b"
	 "62e676d4dc87b0895c6a7dc97b52cebb",
	 "484ca052b8cc724fd1c4ec64d57b4e818c7e25a8e0f4569ed72a6a05fe0649ee"
	 "bf69f8d5c832856bf4e4fbc17967d54975324a94987f7f41835817d8994fdbd6"
	 "f4c09c5500dca24a56222fea53d8967a8b2e"},
};

HB_TEST(crypto_hkdf, rfc5869_extract_expand)
{
	struct crypto_ctx *ctx = hb_ctx_new(CRYPTO_ENGINE_EVP);

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct hkdf_case *c = &cases[i];
		uint8_t ikm[128], salt[128], info[128], prk[48], okm[128], want[128];
		size_t ikm_len = hb_hex_vec(c->ikm, ikm, sizeof(ikm));
		size_t salt_len = c->salt != NULL ? hb_hex_vec(c->salt, salt, sizeof(salt)) : 0;
		size_t info_len = c->info != NULL ? hb_hex_vec(c->info, info, sizeof(info)) : 0;
		size_t prk_len = c->hash == CRYPTO_HASH_SHA384 ? 48 : 32;
		size_t okm_len = hb_hex_vec(c->okm, want, sizeof(want));

		cr_assert(eq(int,
			     crypto_hkdf_extract(ctx, c->hash, salt_len ? salt : NULL, salt_len,
						 ikm, ikm_len, prk),
			     0));
		hb_assert_hex(prk, prk_len, c->prk);
		cr_assert(eq(int,
			     crypto_hkdf_expand(ctx, c->hash, prk, prk_len, info_len ? info : NULL,
						info_len, okm, okm_len),
			     0));
		cr_assert(eq(int, memcmp(okm, want, okm_len), 0));
		/* Every shorter output is a prefix of the longer one (RFC 5869 §2.3). */
		for (size_t l = 1; l < okm_len; l += 7) {
			memset(okm, 0, sizeof(okm));
			cr_assert(eq(int,
				     crypto_hkdf_expand(ctx, c->hash, prk, prk_len, info, info_len,
							okm, l),
				     0));
			cr_assert(eq(int, memcmp(okm, want, l), 0));
			cr_assert(eq(u8, okm[l], 0));
		}
	}
	crypto_ctx_free(ctx);
}

/*
 * crypto_hkdf_extract_fixed_salt() gives RFC 5869's PRK whatever the cache holds: each case
 * twice in a row (the second from the kept keyed state), then the cases in turn again, so that
 * the same salt comes back under another hash (cases 1 and 3), after other salts, and a salt
 * longer than a block (case 4, never kept) sits between kept ones.
 */
HB_TEST(crypto_hkdf, extract_fixed_salt_matches_rfc5869)
{
	struct crypto_ctx *ctx = hb_ctx_new(CRYPTO_ENGINE_EVP);
	const size_t n = sizeof(cases) / sizeof(cases[0]);

	for (size_t round = 0; round < 3 * n; round++) {
		const struct hkdf_case *c = &cases[round < 2 * n ? round / 2 : round - 2 * n];
		uint8_t ikm[128], salt[128], prk[48];
		size_t ikm_len = hb_hex_vec(c->ikm, ikm, sizeof(ikm));
		size_t salt_len = c->salt != NULL ? hb_hex_vec(c->salt, salt, sizeof(salt)) : 0;
		size_t prk_len = c->hash == CRYPTO_HASH_SHA384 ? 48 : 32;

		memset(prk, 0, sizeof(prk));
		cr_assert(eq(int,
			     crypto_hkdf_extract_fixed_salt(ctx, c->hash, salt_len ? salt : NULL,
							    salt_len, ikm, ikm_len, prk),
			     0));
		hb_assert_hex(prk, prk_len, c->prk);
	}
	/* Bad arguments are refused as by crypto_hkdf_extract(), cache or not. */
	{
		uint8_t prk[32], salt[16] = {1};

		cr_assert(eq(int,
			     crypto_hkdf_extract_fixed_salt(ctx, (enum crypto_hash)99, salt,
							    sizeof(salt), salt, 1, prk),
			     CRYPTO_ERR_INVAL));
		cr_assert(eq(int,
			     crypto_hkdf_extract_fixed_salt(ctx, CRYPTO_HASH_SHA256, salt,
							    sizeof(salt), salt, 1, NULL),
			     CRYPTO_ERR_INVAL));
		cr_assert(eq(int,
			     crypto_hkdf_extract_fixed_salt(NULL, CRYPTO_HASH_SHA256, salt,
							    sizeof(salt), salt, 1, prk),
			     CRYPTO_ERR_INVAL));
	}
	crypto_ctx_free(ctx);
}

HB_TEST(crypto_hkdf, expand_limits)
{
	struct crypto_ctx *ctx = hb_ctx_new(CRYPTO_ENGINE_EVP);
	uint8_t prk[32] = {1}, out[32];

	/* RFC 5869 §2.3: L <= 255 * HashLen. */
	cr_assert(
		eq(int,
		   crypto_hkdf_expand(ctx, CRYPTO_HASH_SHA256, prk, 32, NULL, 0, out, 255 * 32 + 1),
		   CRYPTO_ERR_INVAL));
	cr_assert(eq(int, crypto_hkdf_expand(ctx, CRYPTO_HASH_SHA256, NULL, 32, NULL, 0, out, 32),
		     CRYPTO_ERR_INVAL));
	cr_assert(eq(int, crypto_hkdf_expand(ctx, (enum crypto_hash)7, prk, 32, NULL, 0, out, 32),
		     CRYPTO_ERR_INVAL));
	cr_assert(eq(int, crypto_hkdf_extract(ctx, (enum crypto_hash)7, NULL, 0, prk, 32, out),
		     CRYPTO_ERR_INVAL));
	crypto_ctx_free(ctx);
}

/* Build the RFC 9846 §7.1 HkdfLabel by hand. */
static size_t
hkdf_label(uint8_t *buf, uint16_t len, const char *label, const uint8_t *context,
	   size_t context_len)
{
	size_t n = 0, l = strlen(label);

	buf[n++] = (uint8_t)(len >> 8);
	buf[n++] = (uint8_t)len;
	buf[n++] = (uint8_t)(6 + l);
	memcpy(buf + n, "tls13 ", 6);
	n += 6;
	memcpy(buf + n, label, l);
	n += l;
	buf[n++] = (uint8_t)context_len;
	if (context_len > 0)
		memcpy(buf + n, context, context_len);
	return n + context_len;
}

HB_TEST(crypto_hkdf, expand_label_matches_hkdf_label)
{
	struct crypto_ctx *ctx = hb_ctx_new(CRYPTO_ENGINE_EVP);
	uint8_t secret[48], context[48], info[600], a[48], b[48];

	for (int i = 0; i < 48; i++) {
		secret[i] = (uint8_t)(i + 1);
		context[i] = (uint8_t)i;
	}
	/* SHA-384 with a transcript-hash context, as TLS 1.3 uses it. */
	cr_assert(eq(int,
		     crypto_hkdf_expand_label(ctx, CRYPTO_HASH_SHA384, secret, 48, "c hs traffic",
					      context, 48, a, 48),
		     0));
	hb_assert_hex(a, 48,
		      "a8de6a8a1e8ecd43fe7157928d125915bd9e15acf84f233b37b62b67050a277e"
		      "90cb2ba73dad09a74c717bea97e38d56");
	cr_assert(eq(int,
		     crypto_hkdf_expand(ctx, CRYPTO_HASH_SHA384, secret, 48, info,
					hkdf_label(info, 48, "c hs traffic", context, 48), b, 48),
		     0));
	cr_assert(eq(int, memcmp(a, b, 48), 0));
	/* An empty label is still prefixed; an oversized label or context is refused. */
	cr_assert(eq(
		int,
		crypto_hkdf_expand_label(ctx, CRYPTO_HASH_SHA256, secret, 32, "", NULL, 0, a, 32),
		0));
	cr_assert(eq(int,
		     crypto_hkdf_expand(ctx, CRYPTO_HASH_SHA256, secret, 32, info,
					hkdf_label(info, 32, "", NULL, 0), b, 32),
		     0));
	cr_assert(eq(int, memcmp(a, b, 32), 0));
	{
		char long_label[251];

		memset(long_label, 'x', sizeof(long_label) - 1);
		long_label[sizeof(long_label) - 1] = '\0';
		cr_assert(eq(int,
			     crypto_hkdf_expand_label(ctx, CRYPTO_HASH_SHA256, secret, 32,
						      long_label, NULL, 0, a, 32),
			     CRYPTO_ERR_INVAL));
		long_label[249] = '\0'; /* 6 + 249 = 255: the longest label allowed */
		cr_assert(eq(int,
			     crypto_hkdf_expand_label(ctx, CRYPTO_HASH_SHA256, secret, 32,
						      long_label, NULL, 0, a, 32),
			     0));
	}
	cr_assert(eq(int,
		     crypto_hkdf_expand_label(ctx, CRYPTO_HASH_SHA256, secret, 32, "x", info, 256,
					      a, 32),
		     CRYPTO_ERR_INVAL));
	crypto_ctx_free(ctx);
}
