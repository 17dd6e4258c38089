/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Shared helpers for the suites that test the crypto API: the engines every check runs on, a
 * context that really runs on the engine asked for, replayable pseudo-random bytes, and hex
 * vectors that fail the test when they are malformed or do not match.
 */
#ifndef HB_CRYPTO_TEST_H
#define HB_CRYPTO_TEST_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <crypto/crypto.h>

#include "hb_test.h"

#define HB_MAX_ENGINES 2
#define HB_MAX_VECTOR  1500 /* the longest hex vector hb_assert_hex compares (one packet) */

/* Fill out with the engines to test on: EVP always, ipsec-mb where built in and supported. */
static inline unsigned
hb_engines(enum crypto_engine out[HB_MAX_ENGINES])
{
	unsigned n = 0;

	out[n++] = CRYPTO_ENGINE_EVP;
	if (crypto_engine_available(CRYPTO_ENGINE_IPSEC_MB))
		out[n++] = CRYPTO_ENGINE_IPSEC_MB;
	return n;
}

/*
 * A new context on engine e; a concrete engine must be the one the context reports, so that a
 * silent fallback cannot make one engine's results stand in for another's.
 */
static inline struct crypto_ctx *
hb_ctx_new(enum crypto_engine e)
{
	struct crypto_ctx *ctx = NULL;

	cr_assert(eq(int, crypto_ctx_new(&ctx, e), 0));
	if (e != CRYPTO_ENGINE_AUTO)
		cr_assert(eq(int, (int)crypto_ctx_engine(ctx), (int)e));
	return ctx;
}

/* Run fn(ctx, arg) with a fresh context on each engine of hb_engines(), freed after each. */
static inline void
hb_each_engine(void (*fn)(struct crypto_ctx *ctx, const void *arg), const void *arg)
{
	enum crypto_engine e[HB_MAX_ENGINES];
	unsigned ne = hb_engines(e);

	for (unsigned i = 0; i < ne; i++) {
		struct crypto_ctx *ctx = hb_ctx_new(e[i]);

		fn(ctx, arg);
		crypto_ctx_free(ctx);
	}
}

/* Deterministic pseudo-random bytes (xorshift64), so that a failure can be replayed. */
static inline void
hb_fill(uint64_t *state, uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		*state ^= *state << 13;
		*state ^= *state >> 7;
		*state ^= *state << 17;
		buf[i] = (uint8_t)*state;
	}
}

/* hb_hex() that fails the test on an empty or malformed vector; returns the byte count. */
static inline size_t
hb_hex_vec(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = hb_hex(hex, out, cap);

	cr_assert(gt(sz, n, 0), "bad hex vector");
	return n;
}

/* The len bytes at got are exactly the bytes the hex vector want spells. */
static inline void
hb_assert_hex(const uint8_t *got, size_t len, const char *want)
{
	uint8_t w[HB_MAX_VECTOR];

	cr_assert(eq(sz, hb_hex_vec(want, w, sizeof(w)), len));
	cr_assert(eq(int, memcmp(got, w, len), 0));
}

#endif /* HB_CRYPTO_TEST_H */
