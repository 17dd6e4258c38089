/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Key exchange (X25519, secp256r1) and signatures (ECDSA P-256, Ed25519, RSA-PSS-RSAE-SHA256),
 * including peer shares and signatures an attacker could send.
 */
#include <string.h>

#include <crypto/asym.h>
#include <crypto/crypto.h>

#include "hb_crypto_test.h"

TestSuite(crypto_asym);

static void
check_exchange(struct crypto_ctx *ctx, enum crypto_group group, size_t pub_len)
{
	struct crypto_kex *a = NULL, *b = NULL;
	uint8_t pa[CRYPTO_KEX_MAX_PUB], pb[CRYPTO_KEX_MAX_PUB + 1]; /* + 1: an overlong share */
	uint8_t sa[CRYPTO_KEX_MAX_SHARED], sb[CRYPTO_KEX_MAX_SHARED];
	size_t la, lb, na, nb;

	cr_assert(eq(int, crypto_kex_new(&a, ctx, group), 0));
	cr_assert(eq(int, crypto_kex_new(&b, ctx, group), 0));
	cr_assert(eq(int, crypto_kex_public(a, pa, sizeof(pa), &la), 0));
	cr_assert(eq(int, crypto_kex_public(b, pb, sizeof(pb), &lb), 0));
	cr_assert(eq(sz, la, pub_len));
	cr_assert(eq(sz, lb, pub_len));
	cr_assert(eq(int, crypto_kex_public(a, pa, pub_len - 1, &la), CRYPTO_ERR_INVAL));
	cr_assert(eq(int, crypto_kex_derive(a, pb, lb, sa, sizeof(sa), &na), 0));
	cr_assert(eq(int, crypto_kex_derive(b, pa, la, sb, sizeof(sb), &nb), 0));
	cr_assert(eq(sz, na, 32));
	cr_assert(eq(sz, nb, 32));
	cr_assert(eq(int, memcmp(sa, sb, 32), 0));
	/* Every truncation of a valid share, and one byte too many, is refused. */
	for (size_t k = 0; k < lb; k++)
		cr_assert(eq(int, crypto_kex_derive(a, pb, k, sa, sizeof(sa), &na),
			     CRYPTO_ERR_INVAL));
	pb[lb] = 0;
	cr_assert(eq(int, crypto_kex_derive(a, pb, lb + 1, sa, sizeof(sa), &na), CRYPTO_ERR_INVAL));
	crypto_kex_free(a);
	crypto_kex_free(b);
}

HB_TEST(crypto_asym, x25519_and_p256_agree)
{
	struct crypto_ctx *ctx = hb_ctx_new(CRYPTO_ENGINE_AUTO);

	check_exchange(ctx, CRYPTO_GROUP_X25519, 32);
	check_exchange(ctx, CRYPTO_GROUP_SECP256R1, 65);
	crypto_ctx_free(ctx);
}

/*
 * Key shares come from batches made ahead (asym.c): across several batches every share is
 * new, and each derives the secret its peer derives.
 */
HB_TEST(crypto_asym, x25519_shares_fresh_across_batches)
{
	enum { N = 40 };
	static uint8_t pubs[N][32];
	struct crypto_ctx *ctx = hb_ctx_new(CRYPTO_ENGINE_AUTO);
	struct crypto_kex *a, *b;
	uint8_t pb[32], sa[32], sb[32];
	size_t l, na, nb;

	for (int i = 0; i < N; i++) {
		cr_assert(eq(int, crypto_kex_new(&a, ctx, CRYPTO_GROUP_X25519), 0));
		cr_assert(eq(int, crypto_kex_new(&b, ctx, CRYPTO_GROUP_X25519), 0));
		cr_assert(eq(int, crypto_kex_public(a, pubs[i], 32, &l), 0));
		cr_assert(eq(int, crypto_kex_public(b, pb, sizeof(pb), &l), 0));
		for (int j = 0; j < i; j++)
			cr_assert(not(eq(int, memcmp(pubs[i], pubs[j], 32), 0)), "share %d = %d", i, j);
		cr_assert(not(eq(int, memcmp(pubs[i], pb, 32), 0)));
		cr_assert(eq(int, crypto_kex_derive(a, pb, 32, sa, sizeof(sa), &na), 0));
		cr_assert(eq(int, crypto_kex_derive(b, pubs[i], 32, sb, sizeof(sb), &nb), 0));
		cr_assert(eq(int, memcmp(sa, sb, 32), 0));
		crypto_kex_free(a);
		crypto_kex_free(b);
	}
	crypto_ctx_free(ctx);
}

HB_TEST(crypto_asym, x25519_low_order_share_rejected)
{
	/* Points of small order give an all-zero secret (RFC 7748 §6.1, RFC 9846 §7.4.2). */
	static const char *low_order[] = {
		"0000000000000000000000000000000000000000000000000000000000000000",
		"0100000000000000000000000000000000000000000000000000000000000000",
		"e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
	};
	struct crypto_ctx *ctx = hb_ctx_new(CRYPTO_ENGINE_AUTO);
	struct crypto_kex *a = NULL;

	cr_assert(eq(int, crypto_kex_new(&a, ctx, CRYPTO_GROUP_X25519), 0));
	for (size_t i = 0; i < sizeof(low_order) / sizeof(low_order[0]); i++) {
		uint8_t peer[32], s[CRYPTO_KEX_MAX_SHARED];
		size_t n;

		cr_assert(eq(sz, hb_hex(low_order[i], peer, sizeof(peer)), 32));
		cr_assert(eq(int, crypto_kex_derive(a, peer, 32, s, sizeof(s), &n),
			     CRYPTO_ERR_INVAL));
	}
	crypto_kex_free(a);
	crypto_ctx_free(ctx);
}

HB_TEST(crypto_asym, p256_bad_share_rejected)
{
	struct crypto_ctx *ctx = hb_ctx_new(CRYPTO_ENGINE_AUTO);
	struct crypto_kex *a = NULL, *b = NULL;
	uint8_t pub[CRYPTO_KEX_MAX_PUB], bad[CRYPTO_KEX_MAX_PUB], s[CRYPTO_KEX_MAX_SHARED];
	size_t len, n;

	cr_assert(eq(int, crypto_kex_new(&a, ctx, CRYPTO_GROUP_SECP256R1), 0));
	cr_assert(eq(int, crypto_kex_new(&b, ctx, CRYPTO_GROUP_SECP256R1), 0));
	cr_assert(eq(int, crypto_kex_public(b, pub, sizeof(pub), &len), 0));
	/* A point off the curve. */
	memcpy(bad, pub, len);
	bad[64] ^= 0x01;
	cr_assert(eq(int, crypto_kex_derive(a, bad, len, s, sizeof(s), &n), CRYPTO_ERR_INVAL));
	/* Compressed or hybrid encodings are not allowed in TLS 1.3 (RFC 9846 §4.2.8.2). */
	memcpy(bad, pub, len);
	bad[0] = 0x02 | (pub[64] & 1);
	cr_assert(eq(int, crypto_kex_derive(a, bad, 33, s, sizeof(s), &n), CRYPTO_ERR_INVAL));
	bad[0] = 0x06;
	cr_assert(eq(int, crypto_kex_derive(a, bad, len, s, sizeof(s), &n), CRYPTO_ERR_INVAL));
	/* The point at infinity and all zeros. */
	memset(bad, 0, sizeof(bad));
	cr_assert(eq(int, crypto_kex_derive(a, bad, 1, s, sizeof(s), &n), CRYPTO_ERR_INVAL));
	bad[0] = 0x04;
	cr_assert(eq(int, crypto_kex_derive(a, bad, len, s, sizeof(s), &n), CRYPTO_ERR_INVAL));
	/* The valid share still works afterwards. */
	cr_assert(eq(int, crypto_kex_derive(a, pub, len, s, sizeof(s), &n), 0));
	crypto_kex_free(a);
	crypto_kex_free(b);
	cr_assert(eq(int, crypto_kex_new(&a, ctx, (enum crypto_group)0x0018),
		     CRYPTO_ERR_UNSUPPORTED));
	crypto_ctx_free(ctx);
}

static void
check_signature(struct crypto_ctx *ctx, enum crypto_sig_scheme scheme)
{
	static const uint8_t msg[] = "TLS 1.3, server CertificateVerify";
	struct crypto_sigkey *k = NULL, *other = NULL;
	uint8_t sig[512], tiny[8];
	size_t len;

	cr_assert(eq(int, crypto_sigkey_generate(&k, ctx, scheme), 0));
	cr_assert(eq(int, crypto_sigkey_generate(&other, ctx, scheme), 0));
	cr_assert(eq(int, crypto_sign(k, msg, sizeof(msg), sig, sizeof(sig), &len), 0));
	cr_assert(gt(sz, len, 0));
	cr_assert(eq(int, crypto_verify(k, msg, sizeof(msg), sig, len), 0));
	/* Another key, another message, a flipped byte or a truncation all fail. */
	cr_assert(eq(int, crypto_verify(other, msg, sizeof(msg), sig, len), CRYPTO_ERR_AUTH));
	cr_assert(eq(int, crypto_verify(k, msg, sizeof(msg) - 1, sig, len), CRYPTO_ERR_AUTH));
	for (size_t i = 0; i < len; i += len / 8) {
		sig[i] ^= 0x04;
		cr_assert(eq(int, crypto_verify(k, msg, sizeof(msg), sig, len), CRYPTO_ERR_AUTH),
			  "byte %zu", i);
		sig[i] ^= 0x04;
	}
	cr_assert(eq(int, crypto_verify(k, msg, sizeof(msg), sig, len - 1), CRYPTO_ERR_AUTH));
	cr_assert(eq(int, crypto_verify(k, msg, sizeof(msg), sig, 0), CRYPTO_ERR_AUTH));
	cr_assert(eq(int, crypto_sign(k, msg, sizeof(msg), tiny, sizeof(tiny), &len),
		     CRYPTO_ERR_INVAL));
	crypto_sigkey_free(k);
	crypto_sigkey_free(other);
}

HB_TEST(crypto_asym, sign_verify_ecdsa_p256)
{
	struct crypto_ctx *ctx = hb_ctx_new(CRYPTO_ENGINE_AUTO);

	check_signature(ctx, CRYPTO_SIG_ECDSA_SECP256R1_SHA256);
	crypto_ctx_free(ctx);
}

HB_TEST(crypto_asym, sign_verify_ed25519)
{
	struct crypto_ctx *ctx = hb_ctx_new(CRYPTO_ENGINE_AUTO);

	check_signature(ctx, CRYPTO_SIG_ED25519);
	crypto_ctx_free(ctx);
}

HB_TEST(crypto_asym, sign_verify_rsa_pss_rsae_sha256)
{
	struct crypto_ctx *ctx = hb_ctx_new(CRYPTO_ENGINE_AUTO);

	check_signature(ctx, CRYPTO_SIG_RSA_PSS_RSAE_SHA256);
	crypto_ctx_free(ctx);
}

/*
 * One worker context, many shares: the peer key object it reuses (its public key replaced by
 * each share) gives each pair its own agreed secret, refuses a bad share in between and is
 * still right after it; a second pair's secret differs from the first's.
 */
static void
check_reuse(enum crypto_group group)
{
	struct crypto_ctx *ctx = hb_ctx_new(CRYPTO_ENGINE_AUTO);
	struct crypto_kex *k[4] = {NULL};
	uint8_t pub[4][CRYPTO_KEX_MAX_PUB], bad[CRYPTO_KEX_MAX_PUB];
	uint8_t s01[CRYPTO_KEX_MAX_SHARED], s10[CRYPTO_KEX_MAX_SHARED];
	uint8_t s23[CRYPTO_KEX_MAX_SHARED], s32[CRYPTO_KEX_MAX_SHARED];
	size_t len[4], n;
	int i;

	for (i = 0; i < 4; i++) {
		cr_assert(eq(int, crypto_kex_new(&k[i], ctx, group), 0));
		cr_assert(eq(int, crypto_kex_public(k[i], pub[i], sizeof(pub[i]), &len[i]), 0));
	}
	cr_assert(eq(int, crypto_kex_derive(k[0], pub[1], len[1], s01, sizeof(s01), &n), 0));
	/* Off the curve for P-256; a low-order point (all-zero secret) for X25519. */
	memcpy(bad, pub[3], len[3]);
	if (group == CRYPTO_GROUP_SECP256R1)
		bad[64] ^= 0x01;
	else
		memset(bad, 0, len[3]);
	cr_assert(eq(int, crypto_kex_derive(k[2], bad, len[3], s23, sizeof(s23), &n),
		     CRYPTO_ERR_INVAL));
	cr_assert(eq(int, crypto_kex_derive(k[1], pub[0], len[0], s10, sizeof(s10), &n), 0));
	cr_assert(eq(int, crypto_kex_derive(k[2], pub[3], len[3], s23, sizeof(s23), &n), 0));
	cr_assert(eq(int, crypto_kex_derive(k[3], pub[2], len[2], s32, sizeof(s32), &n), 0));
	cr_assert(eq(int, memcmp(s01, s10, n), 0));
	cr_assert(eq(int, memcmp(s23, s32, n), 0));
	cr_assert(ne(int, memcmp(s01, s23, n), 0));
	for (i = 0; i < 4; i++)
		crypto_kex_free(k[i]);
	crypto_ctx_free(ctx);
}

HB_TEST(crypto_asym, x25519_peer_key_reused)
{
	check_reuse(CRYPTO_GROUP_X25519);
}

HB_TEST(crypto_asym, p256_peer_key_reused)
{
	check_reuse(CRYPTO_GROUP_SECP256R1);
}
