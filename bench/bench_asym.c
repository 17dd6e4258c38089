/* SPDX-License-Identifier: BSD-3-Clause */
/* Handshake public-key costs: key exchange (X25519, P-256) and signatures (ECDSA, Ed25519). */
#include <stdlib.h>
#include <string.h>

#include <crypto/asym.h>

#include "bench.h"

/* The TLS 1.3 CertificateVerify input: 64 spaces, the context string, 0, a SHA-256 hash. */
#define SIGNED_LEN (64 + 33 + 1 + 32)
#define SIG_MAX	   160

struct kex_bench {
	struct crypto_ctx *ctx;
	enum crypto_group group;
	struct crypto_kex *fixed; /* our side for the derive-only row */
	uint8_t peer[CRYPTO_KEX_MAX_PUB];
	size_t peer_len;
	uint8_t secret[CRYPTO_KEX_MAX_SHARED];
};

/* What a server does per handshake: a fresh key pair, its share, the shared secret. */
static int
kex_full(void *arg, uint64_t iters)
{
	struct kex_bench *k = arg;
	uint8_t pub[CRYPTO_KEX_MAX_PUB];
	size_t pub_len, secret_len;
	struct crypto_kex *kex;
	uint64_t i;
	int rc;

	for (i = 0; i < iters; i++) {
		rc = crypto_kex_new(&kex, k->ctx, k->group);
		if (rc != 0)
			return rc;
		rc = crypto_kex_public(kex, pub, sizeof(pub), &pub_len);
		if (rc == 0)
			rc = crypto_kex_derive(kex, k->peer, k->peer_len, k->secret,
					       sizeof(k->secret), &secret_len);
		crypto_kex_free(kex);
		if (rc != 0)
			return rc;
		bench_sink(pub[0]);
	}
	bench_sink(k->secret[0]);
	return 0;
}

static int
kex_derive_only(void *arg, uint64_t iters)
{
	struct kex_bench *k = arg;
	size_t secret_len;
	uint64_t i;
	int rc;

	for (i = 0; i < iters; i++) {
		rc = crypto_kex_derive(k->fixed, k->peer, k->peer_len, k->secret, sizeof(k->secret),
				       &secret_len);
		if (rc != 0)
			return rc;
	}
	bench_sink(k->secret[0]);
	return 0;
}

/* The fixed peer share is the public half of a key pair made once here. */
static int
kex_setup(struct kex_bench *k)
{
	struct crypto_kex *peer;
	int rc;

	rc = crypto_kex_new(&peer, k->ctx, k->group);
	if (rc != 0)
		return rc;
	rc = crypto_kex_public(peer, k->peer, sizeof(k->peer), &k->peer_len);
	crypto_kex_free(peer);
	if (rc == 0)
		rc = crypto_kex_new(&k->fixed, k->ctx, k->group);
	return rc;
}

static int
kex_case(struct bench *b, enum crypto_group group, const char *name)
{
	struct kex_bench k = {.ctx = b->ctx[BENCH_CTX_DEFAULT], .group = group};
	struct bench_result *res[2];
	char full[BENCH_NAME_LEN], derive[BENCH_NAME_LEN];
	int rc;

	snprintf(full, sizeof(full), "%s keygen+derive", name);
	snprintf(derive, sizeof(derive), "%s derive", name);
	const struct bench_op ops[] = {
		{full, "libcrypto", 0, 1, 0, false, kex_full, NULL, &k},
		{derive, "libcrypto", 0, 1, 0, false, kex_derive_only, NULL, &k},
	};
	rc = kex_setup(&k);
	if (rc == CRYPTO_ERR_UNSUPPORTED) {
		bench_note(b, "%s key exchange not supported, skipped", name);
		rc = 0;
	} else if (rc != 0) {
		fprintf(stderr, "crypto-bench: %s setup: %s\n", name, crypto_strerror(rc));
		rc = BENCH_ERR_OP;
	} else {
		rc = bench_measure_set(b, ops, 2, res);
	}
	if (k.fixed != NULL)
		crypto_kex_free(k.fixed);
	return rc;
}

struct sig_bench {
	struct crypto_sigkey *key;
	uint8_t msg[SIGNED_LEN];
	uint8_t sig[SIG_MAX];
	size_t sig_len;
};

static int
sign_op(void *arg, uint64_t iters)
{
	struct sig_bench *s = arg;
	uint64_t i;
	int rc;

	for (i = 0; i < iters; i++) {
		s->msg[SIGNED_LEN - 1] = (uint8_t)i; /* a new transcript hash each time */
		rc = crypto_sign(s->key, s->msg, sizeof(s->msg), s->sig, sizeof(s->sig),
				 &s->sig_len);
		if (rc != 0)
			return rc;
	}
	bench_sink(s->sig[0]);
	return 0;
}

/* Time signing, then check that the last signature verifies (untimed). */
static int
sig_case(struct bench *b, enum crypto_sig_scheme scheme, const char *name)
{
	struct sig_bench s = {.key = NULL};
	struct bench_result *res[1];
	const struct bench_op op = {name, "libcrypto", 0, 1, 0, false, sign_op, NULL, &s};
	int rc;

	memset(s.msg, 0x20, 64);
	memcpy(s.msg + 64, "TLS 1.3, server CertificateVerify", 33);
	rc = crypto_sigkey_generate(&s.key, b->ctx[BENCH_CTX_DEFAULT], scheme);
	if (rc == CRYPTO_ERR_UNSUPPORTED) {
		bench_note(b, "%s not supported, skipped", name);
		return 0;
	}
	if (rc == 0) {
		rc = bench_measure_set(b, &op, 1, res);
		if (rc == 0 && crypto_verify(s.key, s.msg, sizeof(s.msg), s.sig, s.sig_len) != 0) {
			fprintf(stderr, "crypto-bench: %s: the last signature does not verify\n",
				name);
			rc = BENCH_ERR_OP;
		}
	} else {
		fprintf(stderr, "crypto-bench: %s key: %s\n", name, crypto_strerror(rc));
		rc = BENCH_ERR_OP;
	}
	if (s.key != NULL)
		crypto_sigkey_free(s.key);
	return rc;
}

int
bench_asym(struct bench *b)
{
	int rc;

	bench_section(b, "key exchange and signatures (libcrypto)");
	rc = kex_case(b, CRYPTO_GROUP_X25519, "x25519");
	if (rc == 0)
		rc = kex_case(b, CRYPTO_GROUP_SECP256R1, "p256");
	if (rc == 0)
		rc = sig_case(b, CRYPTO_SIG_ECDSA_SECP256R1_SHA256, "ecdsa-p256 sign");
	if (rc == 0)
		rc = sig_case(b, CRYPTO_SIG_ED25519, "ed25519 sign");
	return rc;
}
