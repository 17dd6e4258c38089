/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * AEAD packet protection (RFC 9001 §5.3) on both engines: round trips, agreement between
 * EVP and ipsec-mb, tampering, bursts of mixed handles, usage limits (RFC 9001 §6.6) and
 * token keys.
 */
#include <string.h>

#include <crypto/crypto.h>

#include "hb_crypto_test.h"

TestSuite(crypto_aead);

#define MAX_LEN 1452
#define NSUITES 3

static const enum crypto_suite all_suites[NSUITES] = {
	CRYPTO_SUITE_AES_128_GCM_SHA256,
	CRYPTO_SUITE_AES_256_GCM_SHA384,
	CRYPTO_SUITE_CHACHA20_POLY1305_SHA256,
};

static const size_t sizes[] = {0, 1, 32, 1200, 1452};

static struct crypto_aead *
aead_for(struct crypto_ctx *ctx, enum crypto_suite suite, uint64_t seed)
{
	uint8_t key[32], iv[CRYPTO_IV_LEN];
	struct crypto_aead *a = NULL;

	hb_fill(&seed, key, sizeof(key));
	hb_fill(&seed, iv, sizeof(iv));
	cr_assert(eq(int, crypto_aead_new(&a, ctx, suite, key, iv), 0));
	cr_assert(eq(int, (int)crypto_aead_suite(a), (int)suite));
	return a;
}

/* A check on one fresh AEAD of suite all_suites[s]; arg is the caller's. */
typedef void (*suite_check_fn)(struct crypto_aead *a, unsigned s, void *arg);

struct suite_run {
	suite_check_fn check;
	uint64_t seed; /* the AEAD of all_suites[s] is keyed from seed + s */
	void *arg;
};

static void
each_suite(struct crypto_ctx *ctx, const void *arg)
{
	const struct suite_run *r = arg;

	for (unsigned s = 0; s < NSUITES; s++) {
		struct crypto_aead *a = aead_for(ctx, all_suites[s], r->seed + s);

		r->check(a, s, r->arg);
		crypto_aead_free(a);
	}
}

/* Run check on a fresh AEAD of every suite on every engine. */
static void
each_engine_and_suite(suite_check_fn check, uint64_t seed, void *arg)
{
	const struct suite_run r = {.check = check, .seed = seed, .arg = arg};

	hb_each_engine(each_suite, &r);
}

/* Seal and open every size; seed is the fill state, carried from one call to the next. */
static void
check_round_trip(struct crypto_aead *a, unsigned s, void *seed)
{
	for (size_t z = 0; z < sizeof(sizes) / sizeof(sizes[0]); z++) {
		uint8_t pt[MAX_LEN], buf[MAX_LEN + CRYPTO_TAG_LEN], aad[40];
		size_t len = sizes[z], aad_len = z * 8;
		uint64_t pn = z * 1000 + s;

		hb_fill(seed, pt, len);
		hb_fill(seed, aad, aad_len);
		memcpy(buf, pt, len);
		cr_assert(eq(int, crypto_aead_seal(a, pn, aad, aad_len, buf, len), 0));
		if (len >= 16)
			cr_assert(ne(int, memcmp(buf, pt, len), 0));
		cr_assert(eq(int, crypto_aead_open(a, pn, aad, aad_len, buf, len + CRYPTO_TAG_LEN),
			     0));
		cr_assert(eq(int, memcmp(buf, pt, len), 0));
	}
	cr_assert(eq(u64, crypto_aead_sealed(a), 5));
	cr_assert(eq(u64, crypto_aead_open_failures(a), 0));
}

HB_TEST(crypto_aead, round_trip_every_suite_engine_size)
{
	uint64_t seed = 1;

	each_engine_and_suite(check_round_trip, 100, &seed);
}

HB_TEST(crypto_aead, engines_produce_identical_output)
{
	struct crypto_ctx *evp, *imb;
	uint64_t seed = 7;

	if (!crypto_engine_available(CRYPTO_ENGINE_IPSEC_MB))
		cr_skip_test("ipsec-mb engine not available in this build or on this CPU");
	evp = hb_ctx_new(CRYPTO_ENGINE_EVP);
	imb = hb_ctx_new(CRYPTO_ENGINE_IPSEC_MB);
	for (unsigned s = 0; s < NSUITES; s++) {
		struct crypto_aead *a = aead_for(evp, all_suites[s], 200 + s);
		struct crypto_aead *b = aead_for(imb, all_suites[s], 200 + s);

		for (size_t z = 0; z < sizeof(sizes) / sizeof(sizes[0]); z++) {
			uint8_t x[MAX_LEN + CRYPTO_TAG_LEN], y[MAX_LEN + CRYPTO_TAG_LEN], aad[21];
			size_t len = sizes[z];
			uint64_t pn = (UINT64_C(1) << 62) - 1 - z; /* high bits of the nonce too */

			hb_fill(&seed, x, len);
			hb_fill(&seed, aad, sizeof(aad));
			memcpy(y, x, len);
			cr_assert(eq(int, crypto_aead_seal(a, pn, aad, sizeof(aad), x, len), 0));
			cr_assert(eq(int, crypto_aead_seal(b, pn, aad, sizeof(aad), y, len), 0));
			cr_assert(eq(int, memcmp(x, y, len + CRYPTO_TAG_LEN), 0));
			/* Each engine opens what the other sealed. */
			cr_assert(eq(
				int,
				crypto_aead_open(b, pn, aad, sizeof(aad), x, len + CRYPTO_TAG_LEN),
				0));
			cr_assert(eq(
				int,
				crypto_aead_open(a, pn, aad, sizeof(aad), y, len + CRYPTO_TAG_LEN),
				0));
			cr_assert(eq(int, memcmp(x, y, len), 0));
		}
		crypto_aead_free(a);
		crypto_aead_free(b);
	}
	crypto_ctx_free(evp);
	crypto_ctx_free(imb);
}

/* Seal a packet, flip one bit somewhere, and expect the open to fail and be counted. */
static void
check_tamper(struct crypto_aead *a, size_t len, size_t flip_at, bool flip_aad)
{
	uint8_t buf[64 + CRYPTO_TAG_LEN], aad[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	uint64_t fails = crypto_aead_open_failures(a);

	memset(buf, 0x5a, sizeof(buf));
	cr_assert(eq(int, crypto_aead_seal(a, 9, aad, sizeof(aad), buf, len), 0));
	if (flip_aad)
		aad[flip_at] ^= 0x01;
	else
		buf[flip_at] ^= 0x80;
	cr_assert(eq(int, crypto_aead_open(a, 9, aad, sizeof(aad), buf, len + CRYPTO_TAG_LEN),
		     CRYPTO_ERR_AUTH));
	cr_assert(eq(u64, crypto_aead_open_failures(a), fails + 1));
}

/* Every way of corrupting a sealed packet or calling open wrongly is refused. */
static void
check_tampering(struct crypto_aead *a, unsigned s, void *arg)
{
	uint8_t buf[CRYPTO_TAG_LEN + 4] = {0};

	(void)s;
	(void)arg;
	/* First and last ciphertext byte, last tag byte, the tag of an empty payload, the AAD. */
	check_tamper(a, 64, 0, false);
	check_tamper(a, 64, 63, false);
	check_tamper(a, 64, 64 + CRYPTO_TAG_LEN - 1, false);
	check_tamper(a, 0, 3, false);
	check_tamper(a, 64, 7, true);
	/* A wrong packet number is a wrong nonce. */
	cr_assert(eq(int, crypto_aead_seal(a, 1, NULL, 0, buf, 4), 0));
	cr_assert(eq(int, crypto_aead_open(a, 2, NULL, 0, buf, sizeof(buf)), CRYPTO_ERR_AUTH));
	/* Shorter than a tag: a caller error, not counted as a forgery. */
	for (size_t len = 0; len < CRYPTO_TAG_LEN; len++)
		cr_assert(eq(int, crypto_aead_open(a, 1, NULL, 0, buf, len), CRYPTO_ERR_INVAL));
	cr_assert(eq(u64, crypto_aead_open_failures(a), 6));
	/* Packet numbers are 62-bit (RFC 9000 §12.3). */
	cr_assert(
		eq(int, crypto_aead_seal(a, UINT64_C(1) << 62, NULL, 0, buf, 4), CRYPTO_ERR_INVAL));
}

HB_TEST(crypto_aead, tampering_fails_open)
{
	each_engine_and_suite(check_tampering, 300, NULL);
}

/* The packet-number nonce equals the explicit nonce built by hand. */
static void
check_nonce(struct crypto_ctx *ctx, const void *arg)
{
	uint8_t key[16] = {1}, iv[CRYPTO_IV_LEN], nonce[CRYPTO_IV_LEN];
	uint8_t x[32 + CRYPTO_TAG_LEN] = {0}, y[32 + CRYPTO_TAG_LEN] = {0};
	uint64_t pn = UINT64_C(0x2bcdef0123456789), seed = 3;
	struct crypto_aead *a = NULL;

	(void)arg;
	hb_fill(&seed, iv, sizeof(iv));
	cr_assert(eq(int, crypto_aead_new(&a, ctx, CRYPTO_SUITE_AES_128_GCM_SHA256, key, iv), 0));
	/* RFC 9001 §5.3: the 62-bit pn, left-padded to the IV size, XORed with it. */
	memcpy(nonce, iv, sizeof(nonce));
	for (int b = 0; b < 8; b++)
		nonce[11 - b] ^= (uint8_t)(pn >> (8 * b));
	cr_assert(eq(int, crypto_aead_seal(a, pn, NULL, 0, x, 32), 0));
	cr_assert(eq(int, crypto_aead_seal_nonce(a, nonce, NULL, 0, y, 32), 0));
	cr_assert(eq(int, memcmp(x, y, sizeof(x)), 0));
	/* Explicit-nonce seals do not count toward the packet limits. */
	cr_assert(eq(u64, crypto_aead_sealed(a), 1));
	crypto_aead_free(a);
}

HB_TEST(crypto_aead, nonce_is_iv_xor_packet_number)
{
	hb_each_engine(check_nonce, NULL);
}

/* Sealing stops at the confidentiality limit, also inside a burst. */
static void
check_confidentiality_limit(struct crypto_aead *a, unsigned s, void *arg)
{
	uint64_t limit = crypto_suite_confidentiality_limit(all_suites[s]);
	uint8_t buf[8 + CRYPTO_TAG_LEN] = {0};
	struct crypto_aead_op ops[2];

	(void)arg;
	/* RFC 9001 §6.6: the last allowed packet, then no more. */
	crypto_aead_set_counters_for_test(a, limit - 1, 0);
	cr_assert(eq(int, crypto_aead_seal(a, 1, NULL, 0, buf, 8), 0));
	cr_assert(eq(u64, crypto_aead_sealed(a), limit));
	cr_assert(eq(int, crypto_aead_seal(a, 2, NULL, 0, buf, 8), CRYPTO_ERR_LIMIT));
	cr_assert(eq(u64, crypto_aead_sealed(a), limit));
	/* Opening is unaffected by the confidentiality limit. */
	cr_assert(eq(int, crypto_aead_open(a, 1, NULL, 0, buf, sizeof(buf)), 0));
	/* In a burst the same handle reaches the limit between two ops. */
	crypto_aead_set_counters_for_test(a, limit - 1, 0);
	memset(ops, 0, sizeof(ops));
	for (int k = 0; k < 2; k++) {
		ops[k].aead = a;
		ops[k].pn = 10 + (uint64_t)k;
		ops[k].data = buf;
		ops[k].len = 8;
	}
	cr_assert(eq(u32, crypto_aead_seal_burst(ops, 2), 1));
	cr_assert(eq(int, ops[0].status, 0));
	cr_assert(eq(int, ops[1].status, CRYPTO_ERR_LIMIT));
}

HB_TEST(crypto_aead, confidentiality_limit)
{
	each_engine_and_suite(check_confidentiality_limit, 400, NULL);
}

/* RFC 9001 §6.6: the forgery that reaches the integrity limit retires the key. */
static void
check_integrity_limit(struct crypto_aead *a, unsigned s, void *arg)
{
	uint64_t limit = crypto_suite_integrity_limit(all_suites[s]);
	uint8_t good[8 + CRYPTO_TAG_LEN] = {0}, bad[8 + CRYPTO_TAG_LEN];
	struct crypto_aead_op ops[2];

	(void)arg;
	cr_assert(eq(int, crypto_aead_seal(a, 1, NULL, 0, good, 8), 0));
	memcpy(bad, good, sizeof(bad));
	bad[0] ^= 1;
	crypto_aead_set_counters_for_test(a, 1, limit - 2);
	/* Failures below the limit are plain authentication failures. */
	cr_assert(eq(int, crypto_aead_open(a, 1, NULL, 0, bad, sizeof(bad)), CRYPTO_ERR_AUTH));
	memcpy(bad, good, sizeof(bad));
	bad[0] ^= 1;
	/* The failure that reaches the limit reports it (RFC 9001 §6.6)... */
	cr_assert(eq(int, crypto_aead_open(a, 1, NULL, 0, bad, sizeof(bad)), CRYPTO_ERR_LIMIT));
	cr_assert(eq(u64, crypto_aead_open_failures(a), limit));
	/* ...and the key is not used again, not even for a valid packet. */
	cr_assert(eq(int, crypto_aead_open(a, 1, NULL, 0, good, sizeof(good)), CRYPTO_ERR_LIMIT));
	/*
	 * In a burst the same handle reaches the limit between two ops: the valid packet after
	 * the forgery that reaches it is refused, as the single call above was.
	 */
	crypto_aead_set_counters_for_test(a, 1, limit - 1);
	memcpy(bad, good, sizeof(bad));
	bad[0] ^= 1;
	memset(ops, 0, sizeof(ops));
	for (int k = 0; k < 2; k++) {
		ops[k].aead = a;
		ops[k].pn = 1;
		ops[k].data = k == 0 ? bad : good;
		ops[k].len = sizeof(good);
	}
	cr_assert(eq(u32, crypto_aead_open_burst(ops, 2), 0));
	cr_assert(eq(int, ops[0].status, CRYPTO_ERR_LIMIT));
	cr_assert(eq(int, ops[1].status, CRYPTO_ERR_LIMIT));
	cr_assert(eq(u64, crypto_aead_open_failures(a), limit));
}

HB_TEST(crypto_aead, integrity_limit)
{
	each_engine_and_suite(check_integrity_limit, 500, NULL);
}

/* Address-validation tokens: a 96-bit explicit nonce, bound to the AAD. */
static void
check_token_key(struct crypto_ctx *ctx, const void *arg)
{
	uint8_t key[16], nonce[CRYPTO_IV_LEN], aad[18], tok[40 + CRYPTO_TAG_LEN], pt[40];
	struct crypto_aead *t = NULL;
	uint64_t seed = 11;

	(void)arg;
	hb_fill(&seed, key, sizeof(key));
	hb_fill(&seed, nonce, sizeof(nonce));
	hb_fill(&seed, aad, sizeof(aad)); /* e.g. the client address */
	hb_fill(&seed, pt, sizeof(pt));
	cr_assert(eq(int, crypto_token_key_new(&t, ctx, key), 0));
	cr_assert(eq(int, (int)crypto_aead_suite(t), (int)CRYPTO_SUITE_AES_128_GCM_SHA256));
	memcpy(tok, pt, sizeof(pt));
	cr_assert(eq(int, crypto_aead_seal_nonce(t, nonce, aad, sizeof(aad), tok, 40), 0));
	cr_assert(eq(int, crypto_aead_open_nonce(t, nonce, aad, sizeof(aad), tok, sizeof(tok)), 0));
	cr_assert(eq(int, memcmp(tok, pt, sizeof(pt)), 0));
	/* A token presented from another address (different AAD) is rejected. */
	cr_assert(eq(int, crypto_aead_seal_nonce(t, nonce, aad, sizeof(aad), tok, 40), 0));
	aad[0] ^= 1;
	cr_assert(eq(int, crypto_aead_open_nonce(t, nonce, aad, sizeof(aad), tok, sizeof(tok)),
		     CRYPTO_ERR_AUTH));
	aad[0] ^= 1;
	nonce[11] ^= 1;
	cr_assert(eq(int, crypto_aead_open_nonce(t, nonce, aad, sizeof(aad), tok, sizeof(tok)),
		     CRYPTO_ERR_AUTH));
	cr_assert(eq(int, crypto_aead_open_nonce(t, nonce, aad, sizeof(aad), tok, 15),
		     CRYPTO_ERR_INVAL));
	/* Tokens do not touch the packet counters. */
	cr_assert(eq(u64, crypto_aead_sealed(t), 0));
	cr_assert(eq(u64, crypto_aead_open_failures(t), 0));
	crypto_aead_free(t);
}

HB_TEST(crypto_aead, token_key_seal_open)
{
	hb_each_engine(check_token_key, NULL);
}

HB_TEST(crypto_aead, bad_arguments)
{
	struct crypto_ctx *ctx = hb_ctx_new(CRYPTO_ENGINE_EVP);
	uint8_t key[32] = {0}, iv[CRYPTO_IV_LEN] = {0};
	struct crypto_aead *a = (struct crypto_aead *)&key; /* overwritten with NULL */

	cr_assert(eq(int, crypto_aead_new(&a, ctx, CRYPTO_SUITE_COUNT, key, iv), CRYPTO_ERR_INVAL));
	cr_assert(eq(ptr, a, NULL));
	cr_assert(eq(int, crypto_aead_new(&a, NULL, CRYPTO_SUITE_AES_128_GCM_SHA256, key, iv),
		     CRYPTO_ERR_INVAL));
	cr_assert(eq(int, crypto_aead_new(&a, ctx, CRYPTO_SUITE_AES_128_GCM_SHA256, NULL, iv),
		     CRYPTO_ERR_INVAL));
	cr_assert(eq(int, crypto_aead_seal(NULL, 0, NULL, 0, key, 0), CRYPTO_ERR_INVAL));
	crypto_aead_free(NULL);
	crypto_ctx_free(ctx);
}

#define MANY 150 /* more than two slabs of handles (crypto/: CRYPTO_SLAB_OBJS, 64) */

/* A header-protection mask of a fixed sample, to tell two keys apart. */
static void
hp_mask_of(struct crypto_hp *hp, uint8_t mask[CRYPTO_HP_MASK_LEN])
{
	static const uint8_t sample[CRYPTO_HP_SAMPLE_LEN] = {1, 2, 3, 4, 5, 6, 7, 8, 9};

	cr_assert(eq(int, crypto_hp_mask(hp, sample, mask), 0));
}

static void
many_handles(struct crypto_ctx *ctx, const void *arg)
{
	static struct crypto_aead *a[MANY];
	static struct crypto_hp *h[MANY];
	uint8_t key[32], m0[CRYPTO_HP_MASK_LEN], m1[CRYPTO_HP_MASK_LEN];
	uint64_t seed = 7;

	(void)arg;
	for (unsigned i = 0; i < MANY; i++) {
		enum crypto_suite suite = all_suites[i % NSUITES];

		a[i] = aead_for(ctx, suite, 1000 + i);
		hb_fill(&seed, key, sizeof(key));
		cr_assert(eq(int, crypto_hp_new(&h[i], ctx, suite, key), 0));
		cr_assert(eq(u64, (uintptr_t)a[i] % 64, 0));
		for (unsigned k = 0; k < i; k++) {
			cr_assert(not(eq(ptr, a[k], a[i])));
			cr_assert(not(eq(ptr, (void *)h[k], (void *)h[i])));
		}
	}
	/* Every other one freed and made again from the freed slots: fresh counters, and the
	 * keys of the neighbours untouched. */
	hp_mask_of(h[2], m0);
	for (unsigned i = 1; i < MANY; i += 2) {
		crypto_aead_free(a[i]);
		crypto_hp_free(h[i]);
	}
	for (unsigned i = 1; i < MANY; i += 2) {
		a[i] = aead_for(ctx, all_suites[i % NSUITES], 5000 + i);
		hb_fill(&seed, key, sizeof(key));
		cr_assert(eq(int, crypto_hp_new(&h[i], ctx, all_suites[i % NSUITES], key), 0));
		cr_assert(eq(u64, crypto_aead_sealed(a[i]), 0));
	}
	hp_mask_of(h[2], m1);
	cr_assert(eq(int, memcmp(m0, m1, sizeof(m0)), 0));
	for (unsigned i = 0; i < MANY; i++) {
		check_round_trip(a[i], i % NSUITES, &seed);
		crypto_aead_free(a[i]);
		crypto_hp_free(h[i]);
	}
}

/*
 * AEAD and header-protection handles come from their context's slabs (issue #6): more at once
 * than two slabs hold, of every suite, distinct, 64-byte aligned and working; freed slots are
 * handed out again without disturbing their neighbours; the context gives all back (leak check).
 */
HB_TEST(crypto_aead, many_handles_from_slabs)
{
	hb_each_engine(many_handles, NULL);
}
