/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Header-protection masks (RFC 9001 §5.4), the Retry integrity tag (§5.8), address-validation
 * tokens and Initial key derivation (§5.2), through the public crypto API.
 */
#include <stdlib.h>
#include <string.h>

#include "bench.h"

#define INITIAL_LIMIT_NS 2000.0 /* Initial secrets + both directions' keys */
#define RETRY_PSEUDO_LEN 60	/* ODCID (8) + a Retry with 16-byte CIDs and a 12-byte token */
#define TOKEN_PT_LEN	 40	/* the plaintext of a Retry token */
#define TOKEN_AAD_LEN	 16	/* client IPv6 address */

static const enum crypto_engine engines[] = {CRYPTO_ENGINE_EVP, CRYPTO_ENGINE_IPSEC_MB};
#define N_ENGINES (sizeof(engines) / sizeof(engines[0]))

static void
fill(uint8_t *p, size_t n, uint8_t seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(seed + 7 * i);
}

/* ---- header protection ---- */

struct hp_bench {
	struct crypto_hp *hp;
	uint8_t samples[BENCH_BURST][CRYPTO_HP_SAMPLE_LEN];
	struct crypto_hp_op ops[BENCH_BURST];
	uint8_t mask[CRYPTO_HP_MASK_LEN];
	unsigned idx;
};

static int
hp_one(void *arg, uint64_t iters)
{
	struct hp_bench *h = arg;
	uint64_t i;
	int rc;

	for (i = 0; i < iters; i++) {
		rc = crypto_hp_mask(h->hp, h->samples[h->idx++ & (BENCH_BURST - 1)], h->mask);
		if (rc != 0)
			return rc;
	}
	bench_sink(h->mask[0]);
	return 0;
}

static int
hp_burst(void *arg, uint64_t iters)
{
	struct hp_bench *h = arg;
	uint64_t i;
	int rc;

	for (i = 0; i < iters; i++) {
		rc = crypto_hp_mask_burst(h->ops, BENCH_BURST);
		if (rc != 0)
			return rc;
	}
	bench_sink(h->ops[BENCH_BURST - 1].mask[0]);
	return 0;
}

static int
hp_case(struct bench *b, enum crypto_engine engine, enum crypto_suite suite, const char *alg)
{
	const char *ename = bench_engine_name(engine);
	struct bench_result *res[2];
	uint8_t key[CRYPTO_MAX_KEY_LEN];
	char one[BENCH_NAME_LEN], burst[BENCH_NAME_LEN];
	struct hp_bench *h = calloc(1, sizeof(*h));
	unsigned k;
	int rc;

	if (h == NULL)
		return BENCH_ERR_NOMEM;
	fill(key, sizeof(key), 0x11);
	rc = crypto_hp_new(&h->hp, b->ctx[engine], suite, key);
	if (rc == CRYPTO_ERR_UNSUPPORTED) {
		bench_note(b, "hp %s on %s: not supported by the engine, skipped", alg, ename);
		free(h);
		return 0;
	}
	if (rc != 0) {
		fprintf(stderr, "crypto-bench: hp %s on %s: %s\n", alg, ename, crypto_strerror(rc));
		free(h);
		return BENCH_ERR_OP;
	}
	for (k = 0; k < BENCH_BURST; k++) {
		fill(h->samples[k], CRYPTO_HP_SAMPLE_LEN, (uint8_t)k);
		h->ops[k] = (struct crypto_hp_op){.hp = h->hp, .sample = h->samples[k]};
	}
	snprintf(one, sizeof(one), "hp %s mask", alg);
	snprintf(burst, sizeof(burst), "hp %s mask burst%d", alg, BENCH_BURST);
	const struct bench_op ops[] = {
		{one, ename, 0, 1, 0, false, hp_one, NULL, h},
		{burst, ename, 0, BENCH_BURST, 0, false, hp_burst, NULL, h},
	};
	rc = bench_measure_set(b, ops, 2, res);
	crypto_hp_free(h->hp);
	free(h);
	return rc;
}

int
bench_hp(struct bench *b)
{
	unsigned e;
	int rc = 0;

	bench_section(b, "header protection masks (RFC 9001 5.4)");
	for (e = 0; e < N_ENGINES && rc == 0; e++) {
		if (b->ctx[engines[e]] == NULL)
			continue;
		rc = hp_case(b, engines[e], CRYPTO_SUITE_AES_128_GCM_SHA256, "aes128");
		if (rc == 0)
			rc = hp_case(b, engines[e], CRYPTO_SUITE_CHACHA20_POLY1305_SHA256,
				     "chacha20");
	}
	return rc;
}

/* ---- Retry tag and tokens ---- */

struct retry_bench {
	struct crypto_ctx *ctx;
	struct crypto_aead *token;
	uint8_t pseudo[RETRY_PSEUDO_LEN];
	uint8_t tag[CRYPTO_TAG_LEN];
	uint8_t nonce[CRYPTO_IV_LEN];
	uint8_t aad[TOKEN_AAD_LEN];
	uint8_t data[TOKEN_PT_LEN + CRYPTO_TAG_LEN];
	uint64_t counter;
};

static int
retry_tag(void *arg, uint64_t iters)
{
	struct retry_bench *r = arg;
	uint64_t i;
	int rc;

	for (i = 0; i < iters; i++) {
		rc = crypto_retry_tag(r->ctx, CRYPTO_QUIC_V1, r->pseudo, sizeof(r->pseudo), r->tag);
		if (rc != 0)
			return rc;
	}
	bench_sink(r->tag[0]);
	return 0;
}

static int
retry_verify(void *arg, uint64_t iters)
{
	struct retry_bench *r = arg;
	uint64_t i;
	int rc;

	for (i = 0; i < iters; i++) {
		rc = crypto_retry_verify(r->ctx, CRYPTO_QUIC_V1, r->pseudo, sizeof(r->pseudo),
					 r->tag);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* A new nonce per token, as a server draws one for every token it issues. */
static void
next_nonce(struct retry_bench *r)
{
	memcpy(r->nonce + 4, &r->counter, sizeof(r->counter));
	r->counter++;
}

static int
token_seal(void *arg, uint64_t iters)
{
	struct retry_bench *r = arg;
	uint64_t i;
	int rc;

	for (i = 0; i < iters; i++) {
		next_nonce(r);
		rc = crypto_aead_seal_nonce(r->token, r->nonce, r->aad, TOKEN_AAD_LEN, r->data,
					    TOKEN_PT_LEN);
		if (rc != 0)
			return rc;
	}
	bench_sink(r->data[TOKEN_PT_LEN]);
	return 0;
}

static int
token_pair(void *arg, uint64_t iters)
{
	struct retry_bench *r = arg;
	uint64_t i;
	int rc;

	for (i = 0; i < iters; i++) {
		next_nonce(r);
		rc = crypto_aead_seal_nonce(r->token, r->nonce, r->aad, TOKEN_AAD_LEN, r->data,
					    TOKEN_PT_LEN);
		if (rc == 0)
			rc = crypto_aead_open_nonce(r->token, r->nonce, r->aad, TOKEN_AAD_LEN,
						    r->data, sizeof(r->data));
		if (rc != 0)
			return rc;
	}
	bench_sink(r->data[0]);
	return 0;
}

static int
retry_measure(struct bench *b, struct retry_bench *r, const char *ename)
{
	struct bench_result *res[4];
	const struct bench_op ops[] = {
		{"retry tag v1", ename, RETRY_PSEUDO_LEN, 1, 0, false, retry_tag, NULL, r},
		{"retry verify v1", ename, RETRY_PSEUDO_LEN, 1, 0, false, retry_verify, NULL, r},
		{"token seal", ename, TOKEN_PT_LEN, 1, 0, false, token_seal, NULL, r},
		{"token seal+open", ename, TOKEN_PT_LEN, 1, 0, false, token_pair, NULL, r},
	};
	int rc = bench_measure_set(b, ops, 4, res);

	if (rc == 0)
		rc = bench_derive(b, res[3], res[2], "token open", NULL);
	return rc;
}

/* On engine's context, with crypto/gcm_short.c for tokens and Retry tags (short) or not. */
static int
retry_case(struct bench *b, enum crypto_engine engine, bool short_gcm)
{
	const char *ename = short_gcm ? "gcm-short" : bench_engine_name(engine);
	struct retry_bench *r = calloc(1, sizeof(*r));
	uint8_t key[16];
	int rc;

	if (r == NULL)
		return BENCH_ERR_NOMEM;
	r->ctx = b->ctx[engine];
	if (crypto_gcm_short_available())
		crypto_ctx_use_gcm_short(r->ctx, short_gcm);
	fill(r->pseudo, sizeof(r->pseudo), 0x08);
	r->pseudo[0] = 8; /* ODCID length */
	fill(r->aad, sizeof(r->aad), 0x20);
	fill(key, sizeof(key), 0x5a);
	rc = crypto_token_key_new(&r->token, r->ctx, key);
	if (rc == 0)
		rc = crypto_retry_tag(r->ctx, CRYPTO_QUIC_V1, r->pseudo, sizeof(r->pseudo), r->tag);
	if (rc != 0) {
		fprintf(stderr, "crypto-bench: retry/token setup on %s: %s\n", ename,
			crypto_strerror(rc));
		rc = BENCH_ERR_OP;
	} else {
		rc = retry_measure(b, r, ename);
	}
	if (r->token != NULL)
		crypto_aead_free(r->token);
	free(r);
	return rc;
}

int
bench_retry_token(struct bench *b)
{
	unsigned e;
	int rc = 0;

	bench_section(b, "Retry integrity tag (RFC 9001 5.8) and tokens (AES-128-GCM)");
	for (e = 0; e < N_ENGINES && rc == 0; e++)
		if (b->ctx[engines[e]] != NULL)
			rc = retry_case(b, engines[e], false);
	/* The short-message GCM the server uses for them, against the engines above. */
	if (rc == 0 && crypto_gcm_short_available() && b->ctx[engines[N_ENGINES - 1]] != NULL)
		rc = retry_case(b, engines[N_ENGINES - 1], true);
	return rc;
}

/* ---- Initial key derivation ---- */

struct initial_bench {
	struct crypto_ctx *ctx;
	uint8_t dcid[8];
	uint8_t client[CRYPTO_INITIAL_SECRET_LEN];
	uint8_t server[CRYPTO_INITIAL_SECRET_LEN];
	struct crypto_quic_keys keys[2];
	uint64_t counter;
};

/* Every Initial brings a new client-chosen DCID. */
static void
next_dcid(struct initial_bench *in)
{
	memcpy(in->dcid, &in->counter, sizeof(in->dcid));
	in->counter++;
}

static int
derive_keys(struct initial_bench *in)
{
	int rc;

	rc = crypto_quic_derive_keys(in->ctx, CRYPTO_QUIC_V1, CRYPTO_SUITE_AES_128_GCM_SHA256,
				     in->client, sizeof(in->client), &in->keys[0]);
	if (rc == 0)
		rc = crypto_quic_derive_keys(in->ctx, CRYPTO_QUIC_V1,
					     CRYPTO_SUITE_AES_128_GCM_SHA256, in->server,
					     sizeof(in->server), &in->keys[1]);
	return rc;
}

/*
 * The timed loop of the Initial benchmarks: per iteration a new DCID, its secrets through the
 * fast path or the libcrypto KDF reference (kdf), then both directions' keys where keys is set.
 */
static int
initial_run(struct initial_bench *in, uint64_t iters, bool kdf, bool keys)
{
	uint64_t i;
	int rc;

	for (i = 0; i < iters; i++) {
		next_dcid(in);
		if (kdf)
			rc = crypto_quic_initial_secrets_kdf(in->ctx, CRYPTO_QUIC_V1, in->dcid,
							     sizeof(in->dcid), in->client,
							     in->server);
		else
			rc = crypto_quic_initial_secrets(in->ctx, CRYPTO_QUIC_V1, in->dcid,
							 sizeof(in->dcid), in->client, in->server);
		if (rc == 0 && keys)
			rc = derive_keys(in);
		if (rc != 0)
			return rc;
	}
	bench_sink(keys ? in->keys[1].hp[0] : in->client[0]);
	return 0;
}

static int
initial_secrets(void *arg, uint64_t iters)
{
	return initial_run(arg, iters, false, false);
}

static int
initial_kdf(void *arg, uint64_t iters)
{
	return initial_run(arg, iters, true, false);
}

static int
initial_keys(void *arg, uint64_t iters)
{
	return initial_run(arg, iters, false, true);
}

/* Build and free the four handles of one Initial space (both directions' AEAD and HP). */
static int
initial_handles(struct initial_bench *in)
{
	struct crypto_aead *aead[2] = {NULL, NULL};
	struct crypto_hp *hp[2] = {NULL, NULL};
	unsigned d;
	int rc = 0;

	for (d = 0; d < 2 && rc == 0; d++) {
		rc = crypto_aead_new(&aead[d], in->ctx, CRYPTO_SUITE_AES_128_GCM_SHA256,
				     in->keys[d].key, in->keys[d].iv);
		if (rc == 0)
			rc = crypto_hp_new(&hp[d], in->ctx, CRYPTO_SUITE_AES_128_GCM_SHA256,
					   in->keys[d].hp);
	}
	for (d = 0; d < 2; d++) {
		if (aead[d] != NULL)
			crypto_aead_free(aead[d]);
		if (hp[d] != NULL)
			crypto_hp_free(hp[d]);
	}
	return rc;
}

static int
initial_full(void *arg, uint64_t iters)
{
	struct initial_bench *in = arg;
	uint64_t i;
	int rc;

	for (i = 0; i < iters; i++) {
		rc = initial_keys(in, 1);
		if (rc == 0)
			rc = initial_handles(in);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static int
initial_checks(struct bench *b, struct bench_result **res)
{
	int rc;

	rc = bench_check_add(b, "Initial secrets+keys, ours (limit 2 us)", "ns", res[1]->ns,
			     BENCH_LE, INITIAL_LIMIT_NS);
	if (rc == 0)
		rc = bench_check_add(b, "Initial secrets: evp-kdf/ours", "x",
				     res[2]->ns / res[0]->ns, BENCH_INFO, 0);
	return rc;
}

int
bench_initial(struct bench *b)
{
	struct bench_result *res[3];
	struct initial_bench in = {.ctx = b->ctx[BENCH_CTX_DEFAULT]};
	const struct bench_op ops[] = {
		{"initial secrets", "libcrypto", 0, 1, 0, false, initial_secrets, NULL, &in},
		{"initial secrets+keys", "libcrypto", 0, 1, 0, false, initial_keys, NULL, &in},
		{"initial secrets (evp-kdf)", "libcrypto", 0, 1, 0, false, initial_kdf, NULL, &in},
	};
	struct bench_op full = {.op = "initial secrets+keys+handles",
				.per_iter = 1,
				.run = initial_full,
				.arg = &in};
	unsigned e;
	int rc;

	bench_section(b, "QUIC Initial key derivation (RFC 9001 5.2)");
	rc = bench_measure_set(b, ops, 3, res);
	if (rc == 0)
		rc = initial_checks(b, res);
	/* Informational: the whole Initial setup including the four handles, per engine. */
	for (e = 0; e < N_ENGINES && rc == 0; e++) {
		if (b->ctx[engines[e]] == NULL)
			continue;
		in.ctx = b->ctx[engines[e]];
		full.engine = bench_engine_name(engines[e]);
		rc = bench_measure_set(b, &full, 1, res);
	}
	return rc;
}
