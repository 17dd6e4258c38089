/* SPDX-License-Identifier: BSD-3-Clause */
/* Context and engine selection, injected randomness and the small helpers. */
#include <string.h>

#include <crypto/crypto.h>

#include "hb_test.h"

TestSuite(crypto_misc);

HB_TEST(crypto_misc, ctx_engines)
{
	struct crypto_ctx *ctx = NULL;
	bool imb = crypto_engine_available(CRYPTO_ENGINE_IPSEC_MB);

	cr_assert(crypto_engine_available(CRYPTO_ENGINE_EVP));
	cr_assert(eq(int, crypto_ctx_new(&ctx, CRYPTO_ENGINE_AUTO), 0));
	/* AUTO settles on a concrete engine: ipsec-mb wherever it can run. */
	cr_assert(eq(int, (int)crypto_ctx_engine(ctx),
		     (int)(imb ? CRYPTO_ENGINE_IPSEC_MB : CRYPTO_ENGINE_EVP)));
	crypto_ctx_free(ctx);
	cr_assert(eq(int, crypto_ctx_new(&ctx, CRYPTO_ENGINE_IPSEC_MB),
		     imb ? 0 : CRYPTO_ERR_UNSUPPORTED));
	crypto_ctx_free(ctx);
	cr_assert(eq(int, crypto_ctx_new(&ctx, (enum crypto_engine)9), CRYPTO_ERR_INVAL));
	cr_assert(eq(ptr, ctx, NULL));
	cr_assert(eq(int, crypto_ctx_new(NULL, CRYPTO_ENGINE_EVP), CRYPTO_ERR_INVAL));
	crypto_ctx_free(NULL);
	cr_assert(eq(int, strcmp(crypto_engine_name(CRYPTO_ENGINE_EVP), "evp"), 0));
	cr_assert(eq(int, strcmp(crypto_engine_name(CRYPTO_ENGINE_IPSEC_MB), "ipsec-mb"), 0));
	cr_log_info("ipsec-mb engine %s", imb ? "available" : "not available");
}

/* The null engine of the fuzz target (crypto/aead_null.c) is not in the production library. */
HB_TEST(crypto_misc, null_engine_refused)
{
	struct crypto_ctx *ctx = NULL;

	cr_assert(not(crypto_engine_available(CRYPTO_ENGINE_NULL)));
	cr_assert(eq(int, crypto_ctx_new(&ctx, CRYPTO_ENGINE_NULL), CRYPTO_ERR_UNSUPPORTED));
	cr_assert(eq(ptr, ctx, NULL));
}

struct counting_rand {
	unsigned calls;
	size_t bytes;
};

/* A deterministic source, as tests inject one. */
static int
fake_rand(void *arg, uint8_t *buf, size_t len)
{
	struct counting_rand *r = arg;

	r->calls++;
	r->bytes += len;
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(0xa0 + i);
	return 0;
}

static int
failing_rand(void *arg, uint8_t *buf, size_t len)
{
	(void)arg, (void)buf, (void)len;
	return CRYPTO_ERR_LIB;
}

HB_TEST(crypto_misc, rand_injection)
{
	struct counting_rand state = {0, 0};
	struct crypto_rand r = {fake_rand, &state};
	struct crypto_rand bad = {failing_rand, NULL};
	uint8_t a[32], b[32];

	cr_assert(eq(int, crypto_rand_bytes(&r, a, sizeof(a)), 0));
	cr_assert(eq(u32, state.calls, 1));
	cr_assert(eq(sz, state.bytes, sizeof(a)));
	cr_assert(eq(u8, a[0], 0xa0));
	cr_assert(eq(u8, a[31], 0xbf));
	cr_assert(eq(int, crypto_rand_bytes(&bad, a, sizeof(a)), CRYPTO_ERR_LIB));
	/* No source, or a source without a function: the system DRBG. */
	cr_assert(eq(int, crypto_rand_bytes(NULL, a, sizeof(a)), 0));
	cr_assert(eq(int, crypto_rand_system(NULL, b, sizeof(b)), 0));
	cr_assert(ne(int, memcmp(a, b, sizeof(a)), 0));
	r.fn = NULL;
	cr_assert(eq(int, crypto_rand_bytes(&r, a, sizeof(a)), 0));
	cr_assert(eq(u32, state.calls, 1));
	cr_assert(eq(int, crypto_rand_bytes(NULL, NULL, 1), CRYPTO_ERR_INVAL));
	cr_assert(eq(int, crypto_rand_bytes(NULL, NULL, 0), 0));
}

HB_TEST(crypto_misc, memcmp_ct_and_wipe)
{
	uint8_t a[20], b[20];

	memset(a, 0x11, sizeof(a));
	memset(b, 0x11, sizeof(b));
	cr_assert(eq(int, crypto_memcmp_ct(a, b, sizeof(a)), 0));
	b[19] ^= 0x80;
	cr_assert(ne(int, crypto_memcmp_ct(a, b, sizeof(a)), 0));
	cr_assert(eq(int, crypto_memcmp_ct(a, b, 19), 0));
	crypto_wipe(a, sizeof(a));
	for (size_t i = 0; i < sizeof(a); i++)
		cr_assert(eq(u8, a[i], 0));
	crypto_wipe(NULL, 4);
}

HB_TEST(crypto_misc, strerror_names_every_code)
{
	static const int codes[] = {0,
				    CRYPTO_ERR_NOMEM,
				    CRYPTO_ERR_INVAL,
				    CRYPTO_ERR_AUTH,
				    CRYPTO_ERR_LIB,
				    CRYPTO_ERR_LIMIT,
				    CRYPTO_ERR_UNSUPPORTED};

	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		const char *s = crypto_strerror(codes[i]);

		cr_assert(gt(sz, strlen(s), 0));
		cr_assert(ne(int, strcmp(s, "unknown error"), 0));
	}
	cr_assert(eq(int, strcmp(crypto_strerror(-99), "unknown error"), 0));
}

/*
 * The per-worker cache of system randomness: requests are served from one RAND_bytes() fill
 * (the fill is ours to see: every byte handed out came from it, in order), consumed bytes are
 * wiped from the cache, a request that does not fit refills it, and large requests bypass it.
 */
static void
check_rand_pool(bool private)
{
	static const uint8_t zero[CRYPTO_RAND_POOL_LEN] = {0};
	struct crypto_rand_pool p;
	struct crypto_rand r;
	uint8_t fill[CRYPTO_RAND_POOL_LEN], a[40], big[CRYPTO_RAND_POOL_LEN / 2];
	size_t off = 0;

	(private ? crypto_rand_pool_init_private : crypto_rand_pool_init)(&p, &r);
	cr_assert(eq(int, p.private, private));
	cr_assert(eq(sz, p.off, CRYPTO_RAND_POOL_LEN));
	cr_assert(eq(int, crypto_rand_bytes(&r, a, 16), 0));
	memcpy(fill, p.buf, sizeof(fill)); /* the fill, with its first 16 bytes wiped */
	cr_assert(eq(int, memcmp(fill, zero, 16), 0));
	cr_assert(not(eq(int, memcmp(fill + 16, zero + 16, sizeof(fill) - 16), 0)));
	off = 16;
	/* Served in order from the fill, each handed-out run wiped. */
	while (off + sizeof(a) <= CRYPTO_RAND_POOL_LEN) {
		uint8_t want[sizeof(a)];

		memcpy(want, fill + off, sizeof(a));
		cr_assert(eq(int, crypto_rand_bytes(&r, a, sizeof(a)), 0));
		cr_assert(eq(int, memcmp(a, want, sizeof(a)), 0));
		cr_assert(eq(int, memcmp(p.buf + off, zero, sizeof(a)), 0));
		off += sizeof(a);
	}
	/* What is left is too short: a new fill, served from its start. */
	cr_assert(eq(int, crypto_rand_bytes(&r, a, sizeof(a)), 0));
	cr_assert(eq(sz, p.off, sizeof(a)));
	cr_assert(not(eq(int, memcmp(a, fill + off - sizeof(a), sizeof(a)), 0)));
	/* Large requests do not touch the cache. */
	cr_assert(eq(int, crypto_rand_bytes(&r, big, sizeof(big)), 0));
	cr_assert(eq(sz, p.off, sizeof(a)));
	cr_assert(not(eq(int, memcmp(big, zero, sizeof(big)), 0)));
	crypto_rand_pool_fini(&p);
	cr_assert(eq(int, memcmp(p.buf, zero, sizeof(p.buf)), 0));
}

HB_TEST(crypto_misc, rand_pool)
{
	check_rand_pool(false);
}

/* The same for the private pool that X25519 key shares draw from (RAND_priv_bytes()). */
HB_TEST(crypto_misc, rand_pool_private)
{
	check_rand_pool(true);
}
