/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Handshake public-key costs: key exchange (X25519, P-256) and signatures (ECDSA, Ed25519,
 * RSA-PSS). The timed bodies are shared with the TLS section (bench_tls.c).
 */
#include <stdlib.h>
#include <string.h>

#include "bench.h"

/* What a server does per handshake: a fresh key pair, its share, the shared secret. */
int
bench_kex_full(void *arg, uint64_t iters)
{
	struct bench_kex *k = arg;
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

int
bench_kex_derive(void *arg, uint64_t iters)
{
	struct bench_kex *k = arg;
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
int
bench_kex_setup(struct bench_kex *k, struct crypto_ctx *ctx, enum crypto_group group)
{
	struct crypto_kex *peer;
	int rc;

	memset(k, 0, sizeof(*k));
	k->ctx = ctx;
	k->group = group;
	rc = crypto_kex_new(&peer, ctx, group);
	if (rc != 0)
		return rc;
	rc = crypto_kex_public(peer, k->peer, sizeof(k->peer), &k->peer_len);
	crypto_kex_free(peer);
	if (rc == 0)
		rc = crypto_kex_new(&k->fixed, ctx, group);
	return rc;
}

void
bench_kex_clear(struct bench_kex *k)
{
	if (k->fixed != NULL)
		crypto_kex_free(k->fixed);
	k->fixed = NULL;
}

static int
kex_case(struct bench *b, enum crypto_group group, const char *name)
{
	struct bench_kex k;
	struct bench_result *res[2];
	char full[BENCH_NAME_LEN], derive[BENCH_NAME_LEN];
	int rc;

	snprintf(full, sizeof(full), "%s keygen+derive", name);
	snprintf(derive, sizeof(derive), "%s derive", name);
	const struct bench_op ops[] = {
		{full, "libcrypto", 0, 1, 0, false, bench_kex_full, NULL, &k},
		{derive, "libcrypto", 0, 1, 0, false, bench_kex_derive, NULL, &k},
	};
	rc = bench_kex_setup(&k, b->ctx[BENCH_CTX_DEFAULT], group);
	if (rc == CRYPTO_ERR_UNSUPPORTED) {
		bench_note(b, "%s key exchange not supported, skipped", name);
		rc = 0;
	} else if (rc != 0) {
		fprintf(stderr, "crypto-bench: %s setup: %s\n", name, crypto_strerror(rc));
		rc = BENCH_ERR_OP;
	} else {
		rc = bench_measure_set(b, ops, 2, res);
	}
	bench_kex_clear(&k);
	return rc;
}

int
bench_sig_setup(struct bench_sig *s, struct crypto_ctx *ctx, enum crypto_sig_scheme scheme)
{
	memset(s, 0, sizeof(*s));
	memset(s->msg, 0x20, 64);
	memcpy(s->msg + 64, "TLS 1.3, server CertificateVerify", 33);
	return crypto_sigkey_generate(&s->key, ctx, scheme);
}

void
bench_sig_clear(struct bench_sig *s)
{
	if (s->key != NULL)
		crypto_sigkey_free(s->key);
	s->key = NULL;
}

int
bench_sign(void *arg, uint64_t iters)
{
	struct bench_sig *s = arg;
	uint64_t i;
	int rc;

	for (i = 0; i < iters; i++) {
		s->msg[BENCH_SIGNED_LEN - 1] = (uint8_t)i; /* a new transcript hash each time */
		rc = crypto_sign(s->key, s->msg, sizeof(s->msg), s->sig, sizeof(s->sig),
				 &s->sig_len);
		if (rc != 0)
			return rc;
	}
	bench_sink(s->sig[0]);
	return 0;
}

bool
bench_sig_verifies(const struct bench_sig *s)
{
	return s->sig_len != 0 &&
	       crypto_verify(s->key, s->msg, sizeof(s->msg), s->sig, s->sig_len) == 0;
}

/* Time signing, then check that the last signature verifies (untimed). */
static int
sig_case(struct bench *b, enum crypto_sig_scheme scheme, const char *name)
{
	struct bench_sig s;
	struct bench_result *res[1];
	const struct bench_op op = {name, "libcrypto", 0, 1, 0, false, bench_sign, NULL, &s};
	int rc;

	rc = bench_sig_setup(&s, b->ctx[BENCH_CTX_DEFAULT], scheme);
	if (rc == CRYPTO_ERR_UNSUPPORTED) {
		bench_note(b, "%s not supported, skipped", name);
		rc = 0;
	} else if (rc != 0) {
		fprintf(stderr, "crypto-bench: %s key: %s\n", name, crypto_strerror(rc));
		rc = BENCH_ERR_OP;
	} else {
		rc = bench_measure_set(b, &op, 1, res);
		if (rc == 0 && !bench_sig_verifies(&s)) {
			fprintf(stderr, "crypto-bench: %s: the last signature does not verify\n",
				name);
			rc = BENCH_ERR_OP;
		}
	}
	bench_sig_clear(&s);
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
	/* rsa_pss_rsae_sha256 with a 2048-bit key: what a server with an RSA certificate signs. */
	if (rc == 0)
		rc = sig_case(b, CRYPTO_SIG_RSA_PSS_RSAE_SHA256, "rsa-pss-2048 sign");
	return rc;
}
