/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Burst APIs: crypto_aead_seal_burst/open_burst over mixed handles (suites, keys and engines
 * in one call) must equal the single calls, packet by packet; crypto_hp_mask_burst must equal
 * crypto_hp_mask; crypto_aead_seal_burst_src must equal the seal of the assembled plaintext.
 */
#include <string.h>

#include <crypto/crypto.h>

#include "hb_test.h"

TestSuite(crypto_burst);

#define NPKT	 150 /* more than one internal chunk of 64 */
#define NHANDLES 6
#define MAX_LEN	 1300

static const enum crypto_suite all_suites[3] = {
	CRYPTO_SUITE_AES_128_GCM_SHA256,
	CRYPTO_SUITE_AES_256_GCM_SHA384,
	CRYPTO_SUITE_CHACHA20_POLY1305_SHA256,
};

static void
fill(uint64_t *state, uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		*state ^= *state << 13;
		*state ^= *state >> 7;
		*state ^= *state << 17;
		buf[i] = (uint8_t)*state;
	}
}

static uint64_t
next(uint64_t *state)
{
	uint8_t b[8];
	uint64_t v = 0;

	fill(state, b, sizeof(b));
	for (int i = 0; i < 8; i++)
		v = v << 8 | b[i];
	return v;
}

/* The packets of one test: buffers, AADs and the handle each uses. */
struct burst_fixture {
	struct crypto_ctx *ctx[2];
	unsigned nctx;
	struct crypto_aead *burst_h[NHANDLES];	/* used through the burst API */
	struct crypto_aead *single_h[NHANDLES]; /* same keys, used one packet at a time */
	uint8_t pt[NPKT][MAX_LEN];
	uint8_t a[NPKT][MAX_LEN + 16];
	uint8_t b[NPKT][MAX_LEN + 16];
	uint8_t aad[NPKT][24];
	size_t len[NPKT], aad_len[NPKT];
	unsigned h[NPKT];
	struct crypto_aead_op ops[NPKT];
};

/*
 * Handles: every suite twice with different keys; mixed: spread over every available engine
 * (runs of one engine are short), otherwise all on the fastest engine (one long run).
 */
static void
fixture_init(struct burst_fixture *f, uint64_t seed, bool mixed)
{
	memset(f, 0, sizeof(*f));
	cr_assert(eq(int, crypto_ctx_new(&f->ctx[f->nctx++], CRYPTO_ENGINE_EVP), 0));
	if (crypto_engine_available(CRYPTO_ENGINE_IPSEC_MB))
		cr_assert(eq(int, crypto_ctx_new(&f->ctx[f->nctx++], CRYPTO_ENGINE_IPSEC_MB), 0));
	for (unsigned i = 0; i < NHANDLES; i++) {
		uint8_t key[32], iv[CRYPTO_IV_LEN];
		struct crypto_ctx *ctx = mixed ? f->ctx[i % f->nctx] : f->ctx[f->nctx - 1];

		fill(&seed, key, sizeof(key));
		fill(&seed, iv, sizeof(iv));
		cr_assert(eq(int, crypto_aead_new(&f->burst_h[i], ctx, all_suites[i % 3], key, iv),
			     0));
		/* The reference always uses EVP. */
		cr_assert(
			eq(int,
			   crypto_aead_new(&f->single_h[i], f->ctx[0], all_suites[i % 3], key, iv),
			   0));
	}
	for (unsigned p = 0; p < NPKT; p++) {
		f->h[p] = (unsigned)(next(&seed) % NHANDLES);
		f->len[p] = p % 10 == 0 ? 0 : (size_t)(next(&seed) % MAX_LEN);
		f->aad_len[p] = (size_t)(next(&seed) % sizeof(f->aad[p]));
		fill(&seed, f->pt[p], f->len[p]);
		fill(&seed, f->aad[p], f->aad_len[p]);
	}
}

static void
fixture_fini(struct burst_fixture *f)
{
	for (unsigned i = 0; i < NHANDLES; i++) {
		crypto_aead_free(f->burst_h[i]);
		crypto_aead_free(f->single_h[i]);
	}
	for (unsigned i = 0; i < f->nctx; i++)
		crypto_ctx_free(f->ctx[i]);
}

static void
set_ops(struct burst_fixture *f, bool seal)
{
	for (unsigned p = 0; p < NPKT; p++) {
		struct crypto_aead_op *op = &f->ops[p];

		op->aead = f->burst_h[f->h[p]];
		op->pn = 1000 + p;
		op->aad = f->aad[p];
		op->aad_len = f->aad_len[p];
		op->data = f->a[p];
		op->len = seal ? f->len[p] : f->len[p] + CRYPTO_TAG_LEN;
		op->status = 12345; /* overwritten by the call */
	}
}

static void
seal_both(struct burst_fixture *f)
{
	for (unsigned p = 0; p < NPKT; p++) {
		memcpy(f->a[p], f->pt[p], f->len[p]);
		memcpy(f->b[p], f->pt[p], f->len[p]);
		cr_assert(eq(int,
			     crypto_aead_seal(f->single_h[f->h[p]], 1000 + p, f->aad[p],
					      f->aad_len[p], f->b[p], f->len[p]),
			     0));
	}
	set_ops(f, true);
	cr_assert(eq(u32, crypto_aead_seal_burst(f->ops, NPKT), NPKT));
}

static void
check_seal_burst(bool mixed)
{
	static struct burst_fixture f;

	fixture_init(&f, mixed ? 41 : 42, mixed);
	seal_both(&f);
	for (unsigned p = 0; p < NPKT; p++) {
		cr_assert(eq(int, f.ops[p].status, 0));
		cr_assert(eq(int, memcmp(f.a[p], f.b[p], f.len[p] + CRYPTO_TAG_LEN), 0),
			  "packet %u", p);
	}
	/* Each seal counted once on its own handle. */
	for (unsigned i = 0; i < NHANDLES; i++)
		cr_assert(eq(u64, crypto_aead_sealed(f.burst_h[i]),
			     crypto_aead_sealed(f.single_h[i])));
	fixture_fini(&f);
}

HB_TEST(crypto_burst, seal_burst_equals_single_calls)
{
	check_seal_burst(false);
}

HB_TEST(crypto_burst, seal_burst_mixed_engines_equals_single_calls)
{
	check_seal_burst(true);
}

/* Corrupt one packet sealed under a suite, open the whole burst: only that packet fails. */
static void
check_corrupt_one(enum crypto_suite suite, uint64_t seed)
{
	static struct burst_fixture f;
	unsigned bad = NPKT;

	fixture_init(&f, seed, false);
	seal_both(&f);
	/* Handle i uses all_suites[i % 3]; take a packet from the middle of the burst. */
	for (unsigned p = NPKT / 2; p < NPKT && bad == NPKT; p++)
		if (all_suites[f.h[p] % 3] == suite && f.len[p] > 0)
			bad = p;
	cr_assert(lt(u32, bad, NPKT));
	f.a[bad][f.len[bad] - 1] ^= 0x01; /* last ciphertext byte */
	set_ops(&f, false);
	cr_assert(eq(u32, crypto_aead_open_burst(f.ops, NPKT), NPKT - 1));
	for (unsigned p = 0; p < NPKT; p++) {
		if (p == bad) {
			cr_assert(eq(int, f.ops[p].status, CRYPTO_ERR_AUTH));
			continue;
		}
		cr_assert(eq(int, f.ops[p].status, 0), "packet %u", p);
		cr_assert(eq(int, memcmp(f.a[p], f.pt[p], f.len[p]), 0), "packet %u", p);
	}
	cr_assert(eq(u64, crypto_aead_open_failures(f.burst_h[f.h[bad]]), 1));
	fixture_fini(&f);
}

HB_TEST(crypto_burst, open_burst_isolates_a_corrupt_packet)
{
	for (unsigned s = 0; s < 3; s++)
		check_corrupt_one(all_suites[s], 43 + s);
}

HB_TEST(crypto_burst, invalid_ops_fail_alone)
{
	static struct burst_fixture f;

	fixture_init(&f, 44, true);
	seal_both(&f);
	set_ops(&f, false);
	f.ops[3].len = CRYPTO_TAG_LEN - 1; /* shorter than a tag */
	f.ops[70].aead = NULL;
	f.ops[71].pn = UINT64_C(1) << 62;
	cr_assert(eq(u32, crypto_aead_open_burst(f.ops, NPKT), NPKT - 3));
	cr_assert(eq(int, f.ops[3].status, CRYPTO_ERR_INVAL));
	cr_assert(eq(int, f.ops[70].status, CRYPTO_ERR_INVAL));
	cr_assert(eq(int, f.ops[71].status, CRYPTO_ERR_INVAL));
	for (unsigned p = 0; p < NPKT; p++) {
		if (p == 3 || p == 70 || p == 71)
			continue;
		cr_assert(eq(int, f.ops[p].status, 0), "packet %u", p);
		cr_assert(eq(int, memcmp(f.a[p], f.pt[p], f.len[p]), 0));
	}
	/* Empty bursts are fine. */
	cr_assert(eq(u32, crypto_aead_seal_burst(f.ops, 0), 0));
	cr_assert(eq(u32, crypto_aead_open_burst(NULL, 0), 0));
	fixture_fini(&f);
}

HB_TEST(crypto_burst, hp_burst_equals_single_masks)
{
	enum { NOPS = 140 };
	static const uint8_t key[32] = {9, 8, 7, 6, 5, 4, 3, 2, 1};
	struct crypto_ctx *ctx[2] = {NULL, NULL};
	struct crypto_hp *hp[6] = {NULL};
	static uint8_t samples[NOPS][CRYPTO_HP_SAMPLE_LEN];
	static struct crypto_hp_op ops[NOPS];
	unsigned nctx = 0;
	uint64_t seed = 5;

	cr_assert(eq(int, crypto_ctx_new(&ctx[nctx++], CRYPTO_ENGINE_EVP), 0));
	if (crypto_engine_available(CRYPTO_ENGINE_IPSEC_MB))
		cr_assert(eq(int, crypto_ctx_new(&ctx[nctx++], CRYPTO_ENGINE_IPSEC_MB), 0));
	for (unsigned i = 0; i < 6; i++)
		cr_assert(eq(int, crypto_hp_new(&hp[i], ctx[i % nctx], all_suites[i % 3], key), 0));
	/* Long runs on one handle (one ECB call per run) mixed with alternating handles. */
	for (unsigned i = 0; i < NOPS; i++) {
		unsigned h = i < 80 ? (i / 20) % 6 : (unsigned)(next(&seed) % 6);

		fill(&seed, samples[i], CRYPTO_HP_SAMPLE_LEN);
		ops[i].hp = hp[h];
		ops[i].sample = samples[i];
	}
	cr_assert(eq(int, crypto_hp_mask_burst(ops, NOPS), 0));
	for (unsigned i = 0; i < NOPS; i++) {
		uint8_t mask[CRYPTO_HP_MASK_LEN];

		cr_assert(eq(int, crypto_hp_mask(ops[i].hp, samples[i], mask), 0));
		cr_assert(eq(int, memcmp(mask, ops[i].mask, sizeof(mask)), 0), "op %u", i);
	}
	ops[5].hp = NULL;
	cr_assert(eq(int, crypto_hp_mask_burst(ops, NOPS), CRYPTO_ERR_INVAL));
	cr_assert(eq(int, crypto_hp_mask_burst(ops, 0), 0));
	for (unsigned i = 0; i < 6; i++)
		crypto_hp_free(hp[i]);
	for (unsigned i = 0; i < nctx; i++)
		crypto_ctx_free(ctx[i]);
}

/*
 * With the ipsec-mb engine the AES header-protection masks come from AES-NI rounds over the
 * manager's expanded keys, not from EVP (hp.c): for AES-128 and AES-256 keys and many samples,
 * every mask equals EVP's, single and in a burst (RFC 9001 §5.4.3).
 */
HB_TEST(crypto_burst, hp_aesni_masks_equal_evp)
{
	enum { NS = 67 }; /* groups of 4 blocks and a remainder (crypto_imb_aes_ecb) */
	static const enum crypto_suite aes[2] = {CRYPTO_SUITE_AES_128_GCM_SHA256,
						 CRYPTO_SUITE_AES_256_GCM_SHA384};
	struct crypto_ctx *evp = NULL, *imb = NULL;
	static struct crypto_hp_op ops[NS];
	uint8_t samples[NS][CRYPTO_HP_SAMPLE_LEN], want[NS][CRYPTO_HP_MASK_LEN];
	uint64_t seed = 11;

	if (!crypto_engine_available(CRYPTO_ENGINE_IPSEC_MB))
		cr_skip_test("no ipsec-mb engine on this machine");
	cr_assert(eq(int, crypto_ctx_new(&evp, CRYPTO_ENGINE_EVP), 0));
	cr_assert(eq(int, crypto_ctx_new(&imb, CRYPTO_ENGINE_IPSEC_MB), 0));
	for (unsigned s = 0; s < 2; s++) {
		struct crypto_hp *a = NULL, *b = NULL;
		uint8_t key[32];

		fill(&seed, key, sizeof(key));
		cr_assert(eq(int, crypto_hp_new(&a, evp, aes[s], key), 0));
		cr_assert(eq(int, crypto_hp_new(&b, imb, aes[s], key), 0));
		for (unsigned i = 0; i < NS; i++) {
			uint8_t got[CRYPTO_HP_MASK_LEN];

			fill(&seed, samples[i], CRYPTO_HP_SAMPLE_LEN);
			cr_assert(eq(int, crypto_hp_mask(a, samples[i], want[i]), 0));
			cr_assert(eq(int, crypto_hp_mask(b, samples[i], got), 0));
			cr_assert(eq(int, memcmp(want[i], got, sizeof(got)), 0), "suite %u, %u", s,
				  i);
			ops[i] = (struct crypto_hp_op){.hp = b, .sample = samples[i]};
		}
		/* One burst over the AES-NI handle: the same masks as EVP's single calls. */
		cr_assert(eq(int, crypto_hp_mask_burst(ops, NS), 0));
		for (unsigned i = 0; i < NS; i++)
			cr_assert(eq(int, memcmp(want[i], ops[i].mask, CRYPTO_HP_MASK_LEN), 0));
		crypto_hp_free(a);
		crypto_hp_free(b);
	}
	crypto_ctx_free(evp);
	crypto_ctx_free(imb);
}

/* ---- crypto_aead_seal_burst_src() ----
 *
 * A packet whose plaintext is partly elsewhere (two pieces, as a STREAM frame's bytes across
 * a send-buffer chunk boundary) must seal to exactly the bytes that crypto_aead_seal() gives
 * over the assembled plaintext, on every engine and suite and for every split point; the
 * bytes of the op's own buffer where the pieces go are garbage beforehand, so the pieces are
 * really read. Pieces that do not fit are refused.
 */

#define SRC_MAX_LEN 1452 /* a full packet's payload */

/* Two handles with one key: one sealed through the pieces, one the reference. */
struct src_pair {
	struct crypto_aead *src_h, *ref_h;
	uint8_t pt[SRC_MAX_LEN], aad[20];
	uint8_t ref[SRC_MAX_LEN + 16], out[SRC_MAX_LEN + 16];
	uint64_t pn;
};

static void
pair_init(struct src_pair *p, struct crypto_ctx *ctx, enum crypto_suite suite, uint64_t seed)
{
	uint8_t key[32], iv[CRYPTO_IV_LEN];

	fill(&seed, key, sizeof(key));
	fill(&seed, iv, sizeof(iv));
	fill(&seed, p->pt, sizeof(p->pt));
	fill(&seed, p->aad, sizeof(p->aad));
	cr_assert(eq(int, crypto_aead_new(&p->src_h, ctx, suite, key, iv), 0));
	cr_assert(eq(int, crypto_aead_new(&p->ref_h, ctx, suite, key, iv), 0));
	p->pn = 7;
}

static void
pair_fini(struct src_pair *p)
{
	crypto_aead_free(p->src_h);
	crypto_aead_free(p->ref_h);
}

/*
 * Seal pt[0..len) with pt[at..at+l0) and pt[at+l0..at+l0+l1) as the pieces (taken from a
 * copy elsewhere) and compare with the reference seal. @return whether they are equal
 */
static bool
seal_one(struct src_pair *p, size_t len, size_t at, size_t l0, size_t l1)
{
	uint8_t piece0[SRC_MAX_LEN], piece1[SRC_MAX_LEN];
	struct crypto_aead_src src = {.src = {piece0, piece1}, .len = {l0, l1}, .at = at};
	struct crypto_aead_op op = {.aead = p->src_h,
				    .pn = p->pn,
				    .aad = p->aad,
				    .aad_len = sizeof(p->aad),
				    .data = p->out,
				    .len = len};

	memcpy(piece0, p->pt + at, l0);
	memcpy(piece1, p->pt + at + l0, l1);
	memcpy(p->out, p->pt, len);
	memset(p->out + at, 0xa5, l0 + l1); /* what the pieces must replace */
	memcpy(p->ref, p->pt, len);
	cr_assert(
		eq(int, crypto_aead_seal(p->ref_h, p->pn, p->aad, sizeof(p->aad), p->ref, len), 0));
	cr_assert(eq(u32, crypto_aead_seal_burst_src(&op, &src, 1), 1));
	cr_assert(eq(int, op.status, 0));
	p->pn++;
	return memcmp(p->out, p->ref, len + 16) == 0;
}

/* Every (at, l0, l1) of a 40-byte payload, and every piece split of a full 1452-byte one. */
static void
every_split(struct crypto_ctx *ctx, enum crypto_suite suite)
{
	struct src_pair p;
	unsigned bad = 0, n = 0;

	pair_init(&p, ctx, suite, 0x5eed0000u + (unsigned)suite);
	for (size_t at = 0; at <= 40; at++)
		for (size_t l0 = 0; at + l0 <= 40; l0++)
			for (size_t l1 = 0; at + l0 + l1 <= 40; l1++, n++)
				bad += !seal_one(&p, 40, at, l0, l1);
	for (size_t at = 1; at <= 33; at += 8)
		for (size_t l0 = 0; at + l0 <= SRC_MAX_LEN; l0++, n++)
			bad += !seal_one(&p, SRC_MAX_LEN, at, l0, SRC_MAX_LEN - at - l0);
	pair_fini(&p);
	cr_assert(gt(u32, n, 10000));
	cr_assert(eq(u32, bad, 0), "suite %d: %u of %u seals differ", (int)suite, bad, n);
}

static void
every_engine(void (*fn)(struct crypto_ctx *, enum crypto_suite))
{
	static const enum crypto_engine engines[2] = {CRYPTO_ENGINE_EVP, CRYPTO_ENGINE_IPSEC_MB};

	for (unsigned e = 0; e < 2; e++) {
		struct crypto_ctx *ctx;

		if (!crypto_engine_available(engines[e]))
			continue;
		cr_assert(eq(int, crypto_ctx_new(&ctx, engines[e]), 0));
		for (unsigned s = 0; s < 3; s++)
			fn(ctx, all_suites[s]);
		crypto_ctx_free(ctx);
	}
}

HB_TEST(crypto_burst, every_split_point_every_engine_and_suite)
{
	every_engine(every_split);
}

/*
 * A burst mixing suites (ChaCha20 goes through ipsec-mb's job burst, which gets the pieces
 * copied in), ops without pieces and one op whose pieces overflow it: the bad op alone is
 * refused, every other one equals its reference.
 */
static void
mixed_burst(struct crypto_ctx *ctx, enum crypto_suite unused)
{
	struct src_pair p[3];
	struct crypto_aead_op ops[2 * 3 + 1];
	struct crypto_aead_src src[2 * 3 + 1];
	uint8_t refs[2 * 3][SRC_MAX_LEN + 16];
	unsigned k = 0;

	if (unused != all_suites[0])
		return;
	for (unsigned s = 0; s < 3; s++) {
		pair_init(&p[s], ctx, all_suites[s], 99 + s);
		for (unsigned j = 0; j < 2; j++, k++) {
			size_t len = 1000 + 100 * j, at = 9 + j;

			memcpy(refs[k], p[s].pt, len);
			cr_assert(
				eq(int,
				   crypto_aead_seal(p[s].ref_h, 50 + j, p[s].aad, 20, refs[k], len),
				   0));
			ops[k] = (struct crypto_aead_op){.aead = p[s].src_h,
							 .pn = 50 + j,
							 .aad = p[s].aad,
							 .aad_len = 20,
							 .data = j == 0 ? p[s].out : p[s].ref,
							 .len = len};
			memcpy(ops[k].data, p[s].pt, len);
			src[k] = (struct crypto_aead_src){0};
			if (j == 0) { /* pieces from pt itself; data garbage there */
				src[k] = (struct crypto_aead_src){
					.src = {p[s].pt + at, p[s].pt + at + 500},
					.len = {500, 300},
					.at = at};
				memset(ops[k].data + at, 0x3c, 800);
			}
		}
	}
	ops[k] = ops[0];
	ops[k].data = p[0].ref + SRC_MAX_LEN - 100; /* never written: refused */
	ops[k].len = 50;
	src[k] = (struct crypto_aead_src){.src = {p[0].pt, NULL}, .len = {51, 0}, .at = 0};
	cr_assert(eq(u32, crypto_aead_seal_burst_src(ops, src, k + 1), k));
	cr_assert(eq(int, ops[k].status, CRYPTO_ERR_INVAL));
	for (unsigned i = 0; i < k; i++)
		cr_assert(eq(int, memcmp(ops[i].data, refs[i], ops[i].len + 16), 0), "op %u", i);
	for (unsigned s = 0; s < 3; s++)
		pair_fini(&p[s]);
}

HB_TEST(crypto_burst, mixed_burst_and_bad_pieces)
{
	every_engine(mixed_burst);
}
