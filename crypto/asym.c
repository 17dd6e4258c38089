/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Key exchange (X25519, secp256r1) and signatures (ECDSA P-256 SHA-256, Ed25519,
 * RSA-PSS-RSAE-SHA256) on EVP_PKEY, for the TLS 1.3 engine and the micro-benchmark.
 *
 * Peer shares come from the network: any malformed share is CRYPTO_ERR_INVAL (TLS
 * illegal_parameter), never a crash. OpenSSL's error queue is cleared after such failures so
 * that a flood of bad shares leaves nothing behind.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include <crypto/asym.h>
#include <crypto/crypto.h>

#include "crypto_internal.h"
#include "x25519.h"

#define X25519_LEN     32
#define P256_POINT_LEN 65 /* 0x04 || x || y (RFC 9846 §4.2.8.2) */

struct crypto_kex {
	enum crypto_group group;
	EVP_PKEY *key;
	struct crypto_ctx *ctx;
	EVP_PKEY_CTX *dc;	  /* derive context over key, kept between derivations; or NULL */
	uint8_t pub[X25519_LEN];  /* X25519: our public key */
	uint8_t priv[X25519_LEN]; /* X25519: our private key until key is made, then zero */
};

struct crypto_sigkey {
	enum crypto_sig_scheme scheme;
	EVP_PKEY *key;
	const EVP_MD *md; /* SHA-256, or NULL for Ed25519 (which hashes internally) */
};

/* ctx's key-making context for group, made on first use: P-256 keygen, X25519 fromdata. */
static EVP_PKEY_CTX *
gen_ctx(struct crypto_ctx *ctx, enum crypto_group group)
{
	unsigned i = group == CRYPTO_GROUP_X25519 ? 0 : 1;
	EVP_PKEY_CTX *c;

	if (ctx->kgen[i] != NULL)
		return ctx->kgen[i];
	c = EVP_PKEY_CTX_new_from_name(NULL, i == 0 ? "X25519" : "EC", NULL);
	if (c == NULL)
		return NULL;
	if (i == 0 ? EVP_PKEY_fromdata_init(c) != 1
		   : EVP_PKEY_keygen_init(c) != 1 || EVP_PKEY_CTX_set_group_name(c, "P-256") != 1) {
		EVP_PKEY_CTX_free(c);
		return NULL;
	}
	ctx->kgen[i] = c;
	return c;
}

static EVP_PKEY *peer_key(const struct crypto_kex *kex, const uint8_t *peer, size_t peer_len);

/* Private random bytes for a key share, from ctx's private pool (made on first use). */
static int
kex_priv_bytes(struct crypto_ctx *ctx, uint8_t *buf, size_t len)
{
	if (ctx->kex_rand == NULL) {
		ctx->kex_rand = malloc(sizeof(*ctx->kex_rand));
		if (ctx->kex_rand == NULL)
			return CRYPTO_ERR_NOMEM;
		crypto_rand_pool_init_private(ctx->kex_rand, &ctx->kex_rand_src);
	}
	return crypto_rand_bytes(&ctx->kex_rand_src, buf, len);
}

/*
 * X25519 key pair: a random private key, public = X25519(k, 9) (RFC 7748 §6.1) by our
 * fixed-base multiplication (x25519.c): about half the cost of OpenSSL's assembler ladder
 * against u = 9 (what this did before), itself cheaper than EVP_PKEY_generate's portable
 * base-point code. The EVP_PKEY that derives the shared secret through OpenSSL's ladder
 * (faster than ours for a variable base) is imported with both halves, so fromdata does not
 * compute the public key again; it is made at the derivation.
 *
 * Key pairs are made CRYPTO_KEX_POOL at a time into ctx's pool (one field inversion for the
 * batch, a sixth of a key's cost) and each is handed out once and wiped from the pool: every
 * key share is still fresh (RFC 9846 §4.2.8), as the private bytes already came from a pool.
 */
static int
x25519_keygen(struct crypto_kex *kex)
{
	struct crypto_x25519_pool *p = kex->ctx->x25519;

	if (p == NULL && (p = kex->ctx->x25519 = calloc(1, sizeof(*p))) == NULL)
		return CRYPTO_ERR_NOMEM;
	if (p->n == 0) {
		if (kex_priv_bytes(kex->ctx, p->priv, sizeof(p->priv)) != 0)
			return CRYPTO_ERR_LIB;
		crypto_x25519_public_batch(p->pub, p->priv, CRYPTO_KEX_POOL);
		p->n = CRYPTO_KEX_POOL;
	}
	p->n--;
	memcpy(kex->priv, p->priv + X25519_LEN * p->n, X25519_LEN);
	memcpy(kex->pub, p->pub + X25519_LEN * p->n, X25519_LEN);
	crypto_wipe(p->priv + X25519_LEN * p->n, X25519_LEN);
	return 0;
}

/* kex's EVP_PKEY and its derive context, from the private and public halves. */
static int
x25519_import(struct crypto_kex *kex)
{
	OSSL_PARAM params[3];
	EVP_PKEY_CTX *fc = gen_ctx(kex->ctx, CRYPTO_GROUP_X25519);

	if (fc == NULL)
		return CRYPTO_ERR_LIB;
	params[0] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PRIV_KEY, kex->priv,
						      X25519_LEN);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, kex->pub,
						      X25519_LEN);
	params[2] = OSSL_PARAM_construct_end();
	if (EVP_PKEY_fromdata(fc, &kex->key, EVP_PKEY_KEYPAIR, params) != 1)
		return CRYPTO_ERR_LIB;
	crypto_wipe(kex->priv, sizeof(kex->priv)); /* the key holds it now */
	return 0;
}

int
crypto_kex_new(struct crypto_kex **out, struct crypto_ctx *ctx, enum crypto_group group)
{
	struct crypto_kex *kex;
	EVP_PKEY_CTX *gen;
	int rc;

	if (out == NULL || ctx == NULL)
		return CRYPTO_ERR_INVAL;
	*out = NULL;
	if (group != CRYPTO_GROUP_X25519 && group != CRYPTO_GROUP_SECP256R1)
		return CRYPTO_ERR_UNSUPPORTED;
	kex = calloc(1, sizeof(*kex));
	if (kex == NULL)
		return CRYPTO_ERR_NOMEM;
	kex->group = group;
	kex->ctx = ctx;
	if (group == CRYPTO_GROUP_X25519) {
		rc = x25519_keygen(kex);
	} else {
		gen = gen_ctx(ctx, group);
		rc = gen != NULL && EVP_PKEY_generate(gen, &kex->key) == 1 ? 0 : CRYPTO_ERR_LIB;
	}
	if (rc != 0) {
		ERR_clear_error();
		crypto_kex_free(kex);
		return rc;
	}
	*out = kex;
	return 0;
}

void
crypto_kex_free(struct crypto_kex *kex)
{
	if (kex == NULL)
		return;
	EVP_PKEY_CTX_free(kex->dc);
	EVP_PKEY_free(kex->key);
	crypto_wipe(kex, sizeof(*kex));
	free(kex);
}

int
crypto_kex_public(const struct crypto_kex *kex, uint8_t *buf, size_t cap, size_t *len)
{
	size_t want;

	if (kex == NULL || buf == NULL || len == NULL)
		return CRYPTO_ERR_INVAL;
	want = kex->group == CRYPTO_GROUP_X25519 ? X25519_LEN : P256_POINT_LEN;
	if (cap < want)
		return CRYPTO_ERR_INVAL;
	*len = cap;
	if (kex->group == CRYPTO_GROUP_X25519) {
		memcpy(buf, kex->pub, X25519_LEN);
		*len = X25519_LEN;
	} else if (EVP_PKEY_get_octet_string_param(kex->key, OSSL_PKEY_PARAM_PUB_KEY, buf, cap,
						   len) != 1) {
		return CRYPTO_ERR_LIB;
	}
	/* A compressed or otherwise unexpected encoding would not be a valid key_share. */
	return *len == want ? 0 : CRYPTO_ERR_LIB;
}

/* A new public key object for group from an encoded point (fromdata decodes and checks it). */
static EVP_PKEY *
new_peer_key(enum crypto_group group, uint8_t *point, size_t len)
{
	char name[] = "P-256";
	OSSL_PARAM params[3], *pp = params;
	EVP_PKEY_CTX *pc;
	EVP_PKEY *pkey = NULL;

	pc = EVP_PKEY_CTX_new_from_name(NULL, group == CRYPTO_GROUP_X25519 ? "X25519" : "EC", NULL);
	if (group != CRYPTO_GROUP_X25519)
		*pp++ = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, name, 0);
	*pp++ = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point, len);
	*pp = OSSL_PARAM_construct_end();
	if (pc == NULL || EVP_PKEY_fromdata_init(pc) != 1 ||
	    EVP_PKEY_fromdata(pc, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
		pkey = NULL;
	EVP_PKEY_CTX_free(pc);
	return pkey;
}

/*
 * The peer's share as a public key, borrowed from ctx. X25519: 32 bytes (RFC 7748 §6.1).
 * P-256: only the uncompressed form (RFC 9846 §4.2.8.2); EC_POINT_oct2point() under both
 * fromdata and set_params refuses coordinates >= p and points off the curve.
 *
 * Why one object per worker and group whose public key is replaced in place
 * (EVP_PKEY_set_params, an encoded public key): a new EVP_PKEY per share walks OpenSSL 3.0's
 * whole name map (EVP_PKEY_set_type_by_keymgmt) and allocates, about 1 % of a server
 * handshake. The object lives in ctx->kpeer[i], a context made over it only to hold it (freed
 * with ctx). One thread at a time uses a crypto_ctx and each derivation's context drops its
 * reference before crypto_kex_derive() returns, so the key never changes under a user.
 */
static EVP_PKEY *
peer_key(const struct crypto_kex *kex, const uint8_t *peer, size_t peer_len)
{
	unsigned i = kex->group == CRYPTO_GROUP_X25519 ? 0 : 1;
	EVP_PKEY_CTX **slot = &kex->ctx->kpeer[i];
	uint8_t point[P256_POINT_LEN];
	OSSL_PARAM params[2];
	EVP_PKEY *pkey;

	if (kex->group == CRYPTO_GROUP_X25519 ? peer_len != X25519_LEN
					      : peer_len != P256_POINT_LEN || peer[0] != 0x04)
		return NULL;
	memcpy(point, peer, peer_len);
	if (*slot == NULL) {
		pkey = new_peer_key(kex->group, point, peer_len);
		if (pkey == NULL)
			return NULL;
		*slot = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
		EVP_PKEY_free(pkey); /* *slot holds its own reference */
		return *slot != NULL ? EVP_PKEY_CTX_get0_pkey(*slot) : NULL;
	}
	pkey = EVP_PKEY_CTX_get0_pkey(*slot);
	params[0] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, point,
						      peer_len);
	params[1] = OSSL_PARAM_construct_end();
	return EVP_PKEY_set_params(pkey, params) == 1 ? pkey : NULL;
}

static bool
all_zero(const uint8_t *p, size_t len)
{
	uint8_t acc = 0;

	for (size_t i = 0; i < len; i++)
		acc |= p[i];
	return acc == 0;
}

int
crypto_kex_derive(struct crypto_kex *kex, const uint8_t *peer, size_t peer_len, uint8_t *secret,
		  size_t cap, size_t *secret_len)
{
	EVP_PKEY_CTX *dc = NULL;
	EVP_PKEY *pk;
	int rc = CRYPTO_ERR_INVAL;

	if (kex == NULL || peer == NULL || secret == NULL || secret_len == NULL ||
	    cap < CRYPTO_KEX_MAX_SHARED)
		return CRYPTO_ERR_INVAL;
	pk = peer_key(kex, peer, peer_len);
	if (pk == NULL)
		goto fail;
	if (kex->key == NULL && x25519_import(kex) != 0) {
		rc = CRYPTO_ERR_LIB;
		goto fail;
	}
	dc = kex->dc;
	kex->dc = NULL; /* given back below only after a success */
	if (dc == NULL && ((dc = EVP_PKEY_CTX_new_from_pkey(NULL, kex->key, NULL)) == NULL ||
			   EVP_PKEY_derive_init(dc) != 1)) {
		rc = CRYPTO_ERR_NOMEM;
		goto fail;
	}
	*secret_len = cap;
	/*
	 * Failures past this point come from the peer's share (an X25519 low-order point whose
	 * all-zero result OpenSSL refuses). The peer key is not validated again here: peer_key()
	 * built it with EVP_PKEY_fromdata(), which for P-256 decodes with EC_POINT_oct2point()
	 * and refuses coordinates >= p and points off the curve; with cofactor 1 such a point is
	 * in the prime-order group, so the full public check's n*Q multiplication (about as
	 * costly as the ECDH itself) proves nothing more (SP 800-56A 5.6.2.3.3 vs .4). X25519
	 * takes any 32 bytes (RFC 7748 §5) and has no check beyond the all-zero result below.
	 */
	if (EVP_PKEY_derive_set_peer_ex(dc, pk, 0) != 1 ||
	    EVP_PKEY_derive(dc, secret, secret_len) != 1)
		goto fail;
	/* RFC 9846 §7.4.2: an all-zero X25519 secret must be rejected; checked here too in
	 * case the library lets one through. */
	if (*secret_len != CRYPTO_KEX_MAX_SHARED || all_zero(secret, *secret_len)) {
		crypto_wipe(secret, cap);
		goto fail;
	}
	rc = 0;
	kex->dc = dc; /* a reused key share (bench knob) derives again through it */
	dc = NULL;
fail:
	if (rc != 0)
		ERR_clear_error();
	EVP_PKEY_CTX_free(dc);
	return rc;
}

/* ---- Signatures ---- */

int
crypto_sigkey_generate(struct crypto_sigkey **out, struct crypto_ctx *ctx,
		       enum crypto_sig_scheme scheme)
{
	struct crypto_sigkey *k;

	if (out == NULL || ctx == NULL)
		return CRYPTO_ERR_INVAL;
	*out = NULL;
	k = calloc(1, sizeof(*k));
	if (k == NULL)
		return CRYPTO_ERR_NOMEM;
	k->scheme = scheme;
	k->md = ctx->sha256;
	switch (scheme) {
	case CRYPTO_SIG_ECDSA_SECP256R1_SHA256:
		k->key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
		break;
	case CRYPTO_SIG_ED25519:
		k->md = NULL;
		k->key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
		break;
	case CRYPTO_SIG_RSA_PSS_RSAE_SHA256:
		k->key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
		break;
	default:
		free(k);
		return CRYPTO_ERR_UNSUPPORTED;
	}
	if (k->key == NULL) {
		free(k);
		return CRYPTO_ERR_LIB;
	}
	*out = k;
	return 0;
}

void
crypto_sigkey_free(struct crypto_sigkey *key)
{
	if (key == NULL)
		return;
	EVP_PKEY_free(key->key);
	free(key);
}

/* RSA-PSS-RSAE (RFC 9846 §4.2.3): PSS padding, MGF1 with the same hash, salt = hash length. */
static int
set_pss(EVP_PKEY_CTX *pc)
{
	return EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PSS_PADDING) == 1 &&
	       EVP_PKEY_CTX_set_rsa_pss_saltlen(pc, RSA_PSS_SALTLEN_DIGEST) == 1;
}

int
crypto_sign(struct crypto_sigkey *key, const uint8_t *msg, size_t msg_len, uint8_t *sig, size_t cap,
	    size_t *sig_len)
{
	EVP_PKEY_CTX *pc = NULL;
	EVP_MD_CTX *mc;
	int rc = CRYPTO_ERR_LIB;

	if (key == NULL || (msg == NULL && msg_len > 0) || sig == NULL || sig_len == NULL)
		return CRYPTO_ERR_INVAL;
	if (cap < (size_t)EVP_PKEY_get_size(key->key))
		return CRYPTO_ERR_INVAL;
	mc = EVP_MD_CTX_new();
	if (mc == NULL)
		return CRYPTO_ERR_NOMEM;
	*sig_len = cap;
	if (EVP_DigestSignInit(mc, &pc, key->md, NULL, key->key) != 1)
		goto out;
	if (key->scheme == CRYPTO_SIG_RSA_PSS_RSAE_SHA256 && !set_pss(pc))
		goto out;
	/* One-shot: Ed25519 accepts nothing else. */
	if (EVP_DigestSign(mc, sig, sig_len, msg, msg_len) == 1)
		rc = 0;
out:
	EVP_MD_CTX_free(mc);
	return rc;
}

int
crypto_verify(struct crypto_sigkey *key, const uint8_t *msg, size_t msg_len, const uint8_t *sig,
	      size_t sig_len)
{
	EVP_PKEY_CTX *pc = NULL;
	EVP_MD_CTX *mc;
	int rc = CRYPTO_ERR_AUTH;

	if (key == NULL || (msg == NULL && msg_len > 0) || sig == NULL)
		return CRYPTO_ERR_INVAL;
	mc = EVP_MD_CTX_new();
	if (mc == NULL)
		return CRYPTO_ERR_NOMEM;
	if (EVP_DigestVerifyInit(mc, &pc, key->md, NULL, key->key) != 1) {
		rc = CRYPTO_ERR_LIB;
		goto out;
	}
	if (key->scheme == CRYPTO_SIG_RSA_PSS_RSAE_SHA256 && !set_pss(pc)) {
		rc = CRYPTO_ERR_LIB;
		goto out;
	}
	/* 0 is a bad signature and <0 a malformed one: both are an authentication failure. */
	if (EVP_DigestVerify(mc, sig, sig_len, msg, msg_len) == 1)
		rc = 0;
out:
	if (rc != 0)
		ERR_clear_error();
	EVP_MD_CTX_free(mc);
	return rc;
}
