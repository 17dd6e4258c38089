/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * AEAD handles: the engine-independent part of packet protection.
 *
 * A handle is bound to one key and one engine for its life. This file builds the per-packet
 * nonce (RFC 9001 §5.3), enforces the usage limits (RFC 9001 §6.6) and cuts bursts into runs
 * that one engine can process together; the engines only encrypt and decrypt.
 */
#include <endian.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <crypto/crypto.h>

#include "aead_internal.h"
#include "crypto_internal.h"
#include "gcm_short.h"

/* The handle's own fields fill one 64-byte line before the engine state (see the struct). */
_Static_assert(offsetof(struct crypto_aead, state) == 64, "crypto_aead header beyond 64 bytes");

static const struct crypto_aead_engine *
engine_for(const struct crypto_ctx *ctx)
{
#ifdef HB_HAVE_IPSEC_MB
	if (ctx->engine == CRYPTO_ENGINE_IPSEC_MB)
		return &crypto_aead_engine_imb;
#endif
#ifdef HB_CRYPTO_NULL_ENGINE
	if (ctx->engine == CRYPTO_ENGINE_NULL)
		return &crypto_aead_engine_null;
#endif
	(void)ctx;
	return &crypto_aead_engine_evp;
}

/* log2 of x > 0, rounded down. */
static uint8_t
floor_log2(uint64_t x)
{
	return (uint8_t)(63 - __builtin_clzll(x));
}

/* A handle on engine eng (engine_for(ctx), or gcm_short.c's for a token key). */
static int
aead_new(struct crypto_aead **out, struct crypto_ctx *ctx, const struct crypto_aead_engine *eng,
	 enum crypto_suite suite, const uint8_t *key, const uint8_t iv[CRYPTO_IV_LEN])
{
	struct crypto_aead *a;
	size_t size;
	int rc;

	if (out == NULL)
		return CRYPTO_ERR_INVAL;
	*out = NULL;
	if (ctx == NULL || !crypto_suite_valid(suite) || key == NULL || iv == NULL)
		return CRYPTO_ERR_INVAL;
	if (eng == NULL)
		eng = engine_for(ctx);
	size = sizeof(*a) + crypto_aead_state_size(eng, ctx);
	a = eng->heap_handles ? crypto_zalloc_aligned(64, size) : crypto_obj_alloc(ctx, 64, size);
	if (a == NULL)
		return CRYPTO_ERR_NOMEM;
	a->eng = eng;
	a->ctx = ctx;
	a->suite = (uint8_t)suite;
	memcpy(a->iv, iv, CRYPTO_IV_LEN);
	a->conf_log2 = floor_log2(crypto_suite_confidentiality_limit(suite));
	a->integ_log2 = floor_log2(crypto_suite_integrity_limit(suite));
	a->batched = eng->batches != NULL && eng->batches(a);
	rc = eng->init(a, key);
	if (rc != 0) {
		crypto_aead_free(a);
		return rc;
	}
	*out = a;
	return 0;
}

int
crypto_aead_new(struct crypto_aead **out, struct crypto_ctx *ctx, enum crypto_suite suite,
		const uint8_t *key, const uint8_t iv[CRYPTO_IV_LEN])
{
	return aead_new(out, ctx, NULL, suite, key, iv);
}

void
crypto_aead_free(struct crypto_aead *aead)
{
	struct crypto_ctx *ctx;
	bool heap;
	size_t size;

	if (aead == NULL)
		return;
	ctx = aead->ctx;
	size = sizeof(*aead) + crypto_aead_state_size(aead->eng, ctx);
	heap = aead->eng->heap_handles; /* read before the wipe below clears it */
	aead->eng->fini(aead);
	/* The expanded key is as secret as the key. */
	crypto_wipe(aead, size);
	if (heap)
		free(aead);
	else
		crypto_obj_free(ctx, aead, 64, size);
}

enum crypto_suite
crypto_aead_suite(const struct crypto_aead *aead)
{
	return (enum crypto_suite)aead->suite;
}

uint64_t
crypto_aead_sealed(const struct crypto_aead *aead)
{
	return aead->sealed;
}

uint64_t
crypto_aead_open_failures(const struct crypto_aead *aead)
{
	return aead->open_failures;
}

void
crypto_aead_set_counters_for_test(struct crypto_aead *aead, uint64_t sealed, uint64_t open_failures)
{
	aead->sealed = sealed;
	aead->open_failures = open_failures;
}

/*
 * The result of an open that ran in a burst. The limit was checked for every op before the
 * engine ran, so a forgery earlier in the same burst may have reached it since: this op then
 * ends as the single call would have, refused with CRYPTO_ERR_LIMIT and not counted.
 */
static inline int
burst_open_result(struct crypto_aead *a, int rc)
{
	if ((rc == 0 || rc == CRYPTO_ERR_AUTH) && a->open_failures >= UINT64_C(1) << a->integ_log2)
		return CRYPTO_ERR_LIMIT;
	return open_result(a, rc);
}

int
crypto_aead_seal(struct crypto_aead *aead, uint64_t pn, const uint8_t *aad, size_t aad_len,
		 uint8_t *data, size_t len)
{
	uint8_t nonce[CRYPTO_IV_LEN];
	int rc = seal_check(aead, pn, aad, aad_len, data, len);

	if (rc != 0)
		return rc;
	make_nonce(aead, pn, nonce);
	return aead->eng->seal(aead, nonce, aad, aad_len, data, len);
}

int
crypto_aead_open(struct crypto_aead *aead, uint64_t pn, const uint8_t *aad, size_t aad_len,
		 uint8_t *data, size_t len)
{
	uint8_t nonce[CRYPTO_IV_LEN];
	int rc = open_check(aead, pn, aad, aad_len, data, len);

	if (rc != 0)
		return rc;
	make_nonce(aead, pn, nonce);
	rc = aead->eng->open(aead, nonce, aad, aad_len, data, len - CRYPTO_TAG_LEN);
	return open_result(aead, rc);
}

int
crypto_aead_seal_nonce(struct crypto_aead *aead, const uint8_t nonce[CRYPTO_IV_LEN],
		       const uint8_t *aad, size_t aad_len, uint8_t *data, size_t len)
{
	if (aead == NULL || nonce == NULL || data == NULL || len > CRYPTO_AEAD_MAX_LEN ||
	    aad_len > CRYPTO_AEAD_MAX_LEN || (aad == NULL && aad_len > 0))
		return CRYPTO_ERR_INVAL;
	return aead->eng->seal(aead, nonce, aad, aad_len, data, len);
}

int
crypto_aead_open_nonce(struct crypto_aead *aead, const uint8_t nonce[CRYPTO_IV_LEN],
		       const uint8_t *aad, size_t aad_len, uint8_t *data, size_t len)
{
	if (aead == NULL || nonce == NULL || data == NULL || len < CRYPTO_TAG_LEN ||
	    len > CRYPTO_AEAD_MAX_LEN || aad_len > CRYPTO_AEAD_MAX_LEN ||
	    (aad == NULL && aad_len > 0))
		return CRYPTO_ERR_INVAL;
	return aead->eng->open(aead, nonce, aad, aad_len, data, len - CRYPTO_TAG_LEN);
}

int
crypto_aead_open_nonce_copy(struct crypto_aead *aead, const uint8_t nonce[CRYPTO_IV_LEN],
			    const uint8_t *aad, size_t aad_len, const uint8_t *in, size_t len,
			    uint8_t *out)
{
	if (aead == NULL || nonce == NULL || in == NULL || out == NULL || len < CRYPTO_TAG_LEN ||
	    len > CRYPTO_AEAD_MAX_LEN || aad_len > CRYPTO_AEAD_MAX_LEN ||
	    (aad == NULL && aad_len > 0))
		return CRYPTO_ERR_INVAL;
	if (aead->eng->open_copy != NULL)
		return aead->eng->open_copy(aead, nonce, aad, aad_len, in, out,
					    len - CRYPTO_TAG_LEN);
	memcpy(out, in, len);
	return aead->eng->open(aead, nonce, aad, aad_len, out, len - CRYPTO_TAG_LEN);
}

int
crypto_token_key_new(struct crypto_aead **out, struct crypto_ctx *ctx, const uint8_t key[16])
{
	/* Token nonces are explicit (crypto_aead_*_nonce), so the handle's IV is never used. */
	static const uint8_t zero_iv[CRYPTO_IV_LEN];
	const struct crypto_aead_engine *eng = NULL;

#ifdef HB_HAVE_GCM_SHORT
	/* Tokens are short messages: gcm_short.c's AES-128-GCM when the CPU runs it. */
	if (ctx != NULL && ctx->gcm_short)
		eng = &crypto_aead_engine_gcm_short;
#endif
	return aead_new(out, ctx, eng, CRYPTO_SUITE_AES_128_GCM_SHA256, key, zero_iv);
}

bool
crypto_gcm_short_available(void)
{
#ifdef HB_HAVE_GCM_SHORT
	return crypto_gcm_short_cpu_ok();
#else
	return false;
#endif
}

int
crypto_ctx_use_gcm_short(struct crypto_ctx *ctx, bool on)
{
	if (ctx == NULL)
		return CRYPTO_ERR_INVAL;
	if (on && !crypto_gcm_short_available())
		return CRYPTO_ERR_UNSUPPORTED;
	ctx->gcm_short = on;
	return 0;
}

/* ---- Bursts ---- */

void
crypto_aead_burst_loop(struct crypto_aead_op *ops, const uint8_t (*nonces)[CRYPTO_IV_LEN],
		       unsigned n, bool seal)
{
	for (unsigned i = 0; i < n; i++) {
		struct crypto_aead_op *op = &ops[i];
		struct crypto_aead *a = op->aead;

		if (op->status != 0)
			continue;
		if (seal)
			op->status =
				a->eng->seal(a, nonces[i], op->aad, op->aad_len, op->data, op->len);
		else
			op->status = a->eng->open(a, nonces[i], op->aad, op->aad_len, op->data,
						  op->len - CRYPTO_TAG_LEN);
	}
}

/* Check every op of a chunk and build its nonce; rejected ops get their status now. */
static void
burst_prepare(struct crypto_aead_op *ops, uint8_t (*nonces)[CRYPTO_IV_LEN], unsigned n, bool seal)
{
	for (unsigned i = 0; i < n; i++) {
		struct crypto_aead_op *op = &ops[i];

		op->status =
			seal ? seal_check(op->aead, op->pn, op->aad, op->aad_len, op->data, op->len)
			     : open_check(op->aead, op->pn, op->aad, op->aad_len, op->data,
					  op->len);
		if (op->status == 0)
			make_nonce(op->aead, op->pn, nonces[i]);
	}
}

/* Hand runs of ops that share an engine and a context to that engine in one call. */
static void
burst_dispatch(struct crypto_aead_op *ops, const uint8_t (*nonces)[CRYPTO_IV_LEN], unsigned n,
	       bool seal)
{
	unsigned i = 0;

	while (i < n) {
		const struct crypto_aead *first;
		unsigned j;

		if (ops[i].status != 0) {
			i++;
			continue;
		}
		first = ops[i].aead;
		/* Rejected ops inside a run are skipped by the engine (status != 0). */
		for (j = i + 1; j < n; j++) {
			const struct crypto_aead *a = ops[j].aead;

			if (ops[j].status == 0 && (a->eng != first->eng || a->ctx != first->ctx))
				break;
		}
		first->eng->burst(&ops[i], &nonces[i], j - i, seal);
		i = j;
	}
}

/*
 * The ops of a chunk that their engine batches, run as one engine burst: prepared (limits,
 * nonces), handed over in runs that share an engine and a context, and their open results
 * counted afterwards (a forgery earlier in the burst may have reached the integrity limit).
 */
static void
burst_batched(struct crypto_aead_op *ops, unsigned n, bool seal)
{
	uint8_t nonces[CRYPTO_BURST_CHUNK][CRYPTO_IV_LEN];

	burst_prepare(ops, nonces, n, seal);
	burst_dispatch(ops, (const uint8_t(*)[CRYPTO_IV_LEN])nonces, n, seal);
	for (unsigned i = 0; !seal && i < n; i++)
		ops[i].status = burst_open_result(ops[i].aead, ops[i].status);
}

static inline bool
batched(const struct crypto_aead *a)
{
	return a != NULL && a->batched;
}

/* One op through the single-call path. */
static int
burst_single(struct crypto_aead_op *op, bool seal)
{
	op->status =
		seal ? crypto_aead_seal(op->aead, op->pn, op->aad, op->aad_len, op->data, op->len)
		     : crypto_aead_open(op->aead, op->pn, op->aad, op->aad_len, op->data, op->len);
	return op->status;
}

/* Run the collected batched ops as one engine burst and copy their statuses back. */
static unsigned
burst_flush_aside(struct crypto_aead_op *ops, struct crypto_aead_op *aside, const unsigned *where,
		  unsigned k, bool seal)
{
	unsigned ok = 0;

	burst_batched(aside, k, seal);
	for (unsigned j = 0; j < k; j++) {
		ops[where[j]].status = aside[j].status;
		ok += aside[j].status == 0;
	}
	return ok;
}

static inline size_t
src_total(const struct crypto_aead_src *src)
{
	return src->len[0] + src->len[1];
}

/* Whether op's pieces lie within data[0..len), none of them NULL. */
static bool
src_valid(const struct crypto_aead_op *op, const struct crypto_aead_src *src)
{
	size_t t = src_total(src);

	return src->len[0] <= CRYPTO_AEAD_MAX_LEN && src->len[1] <= CRYPTO_AEAD_MAX_LEN &&
	       (src->len[0] == 0 || src->src[0] != NULL) &&
	       (src->len[1] == 0 || src->src[1] != NULL) && op->data != NULL && t <= op->len &&
	       src->at <= op->len - t;
}

/* The pieces of ops[0..n) copied into their data, for engines that do not read them. */
static void
src_copy_in(struct crypto_aead_op *ops, const struct crypto_aead_src *src, unsigned n)
{
	for (unsigned i = 0; src != NULL && i < n; i++) {
		const struct crypto_aead_src *s = &src[i];

		if (src_total(s) == 0)
			continue;
		memcpy(ops[i].data + s->at, s->src[0], s->len[0]);
		if (s->len[1] > 0)
			memcpy(ops[i].data + s->at + s->len[0], s->src[1], s->len[1]);
	}
}

/* A run of ops on one unbatched handle whose engine has run(): reading the pieces if it can. */
static unsigned
burst_handle_run(struct crypto_aead *a, struct crypto_aead_op *ops,
		 const struct crypto_aead_src *src, unsigned n, bool seal)
{
	if (src != NULL && a->eng->seal_src != NULL)
		return a->eng->seal_src(a, ops, src, n);
	src_copy_in(ops, src, n);
	return a->eng->run(a, ops, n, seal);
}

/*
 * One pass over the ops, so a burst never costs more than the same packets sent one by one.
 * A run of consecutive ops on one handle whose engine loops itself (ipsec-mb GCM) goes to the
 * engine in one call; other unbatched ops take the single-call path; the ops an engine really
 * batches (ChaCha20-Poly1305 on ipsec-mb) are copied aside, run as one engine burst, and their
 * statuses copied back. Every op ends with the status its single call would have given.
 * Seal ops with plaintext elsewhere (src) have had it checked by the caller.
 */
static unsigned
burst_run(struct crypto_aead_op *ops, const struct crypto_aead_src *src, unsigned n, bool seal)
{
	struct crypto_aead_op aside[CRYPTO_BURST_CHUNK];
	unsigned where[CRYPTO_BURST_CHUNK];
	unsigned ok = 0, k = 0, i = 0;

	if (ops == NULL)
		return 0;
	while (i < n) {
		struct crypto_aead *a = ops[i].aead;
		unsigned j = i + 1;

		if (batched(a)) {
			src_copy_in(&ops[i], src != NULL ? &src[i] : NULL, 1);
			aside[k] = ops[i];
			where[k++] = i;
		} else if (a != NULL && a->eng->run != NULL) {
			while (j < n && ops[j].aead == a)
				j++;
			ok += burst_handle_run(a, &ops[i], src != NULL ? &src[i] : NULL, j - i,
					       seal);
		} else {
			src_copy_in(&ops[i], src != NULL ? &src[i] : NULL, 1);
			ok += burst_single(&ops[i], seal) == 0;
		}
		if (k == CRYPTO_BURST_CHUNK || (j == n && k > 0)) {
			ok += burst_flush_aside(ops, aside, where, k, seal);
			k = 0;
		}
		i = j;
	}
	return ok;
}

unsigned
crypto_aead_seal_burst(struct crypto_aead_op *ops, unsigned n)
{
	return burst_run(ops, NULL, n, true);
}

unsigned
crypto_aead_seal_burst_src(struct crypto_aead_op *ops, const struct crypto_aead_src *src,
			   unsigned n)
{
	unsigned bad = 0, ok = 0;

	if (ops == NULL || src == NULL)
		return burst_run(ops, NULL, n, true);
	for (unsigned i = 0; i < n; i++)
		bad += !src_valid(&ops[i], &src[i]);
	if (bad == 0)
		return burst_run(ops, src, n, true);
	/* Rare (a caller's bug): op by op, the invalid ones refused. */
	for (unsigned i = 0; i < n; i++) {
		if (src_valid(&ops[i], &src[i]))
			ok += burst_run(&ops[i], &src[i], 1, true);
		else
			ops[i].status = CRYPTO_ERR_INVAL;
	}
	return ok;
}

unsigned
crypto_aead_open_burst(struct crypto_aead_op *ops, unsigned n)
{
	return burst_run(ops, NULL, n, false);
}
