/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Key exchange (X25519, secp256r1) and signatures (ECDSA P-256 SHA-256, Ed25519,
 * RSA-PSS-RSAE-SHA256), for the TLS 1.3 engine and the micro-benchmark. X25519 is ours
 * (x25519.c), everything else is EVP_PKEY.
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
	struct crypto_ctx *ctx;
	EVP_PKEY *key;		  /* P-256: our key pair */
	EVP_PKEY_CTX *dc;	  /* P-256: derive context over key, kept between derivations */
	uint8_t pub[X25519_LEN];  /* X25519: our public key */
	uint8_t priv[X25519_LEN]; /* X25519: our private key (wiped with kex) */
};

struct crypto_sigkey {
	enum crypto_sig_scheme scheme;
	EVP_PKEY *key;
	const EVP_MD *md; /* SHA-256, or NULL for Ed25519 (which hashes internally) */
};

/* ctx's P-256 key-generation context, made on first use. */
static EVP_PKEY_CTX *
p256_gen_ctx(struct crypto_ctx *ctx)
{
	EVP_PKEY_CTX *c;

	if (ctx->kgen != NULL)
		return ctx->kgen;
	c = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	if (c == NULL)
		return NULL;
	if (EVP_PKEY_keygen_init(c) != 1 || EVP_PKEY_CTX_set_group_name(c, "P-256") != 1) {
		EVP_PKEY_CTX_free(c);
		return NULL;
	}
	ctx->kgen = c;
	return c;
}

/* Private random bytes for key shares, from ctx's private pool (made on first use). */
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
 * fixed-base multiplication on edwards25519 (x25519.c), a third of the cost of a ladder
 * against u = 9 (what OpenSSL's EVP_PKEY_generate or a derive against the base point cost).
 *
 * Key pairs are made CRYPTO_KEX_POOL at a time into ctx's pool (one field inversion for the
 * batch) and each is handed out once and wiped from the pool: every key share is still
 * fresh (RFC 9846 §4.2.8), as the private bytes already came from a pool.
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
		gen = p256_gen_ctx(ctx);
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

/* A new P-256 public key object from an encoded point (fromdata decodes and checks it). */
static EVP_PKEY *
new_peer_key(uint8_t *point, size_t len)
{
	char name[] = "P-256";
	OSSL_PARAM params[3];
	EVP_PKEY_CTX *pc;
	EVP_PKEY *pkey = NULL;

	pc = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, name, 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point, len);
	params[2] = OSSL_PARAM_construct_end();
	if (pc == NULL || EVP_PKEY_fromdata_init(pc) != 1 ||
	    EVP_PKEY_fromdata(pc, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
		pkey = NULL;
	EVP_PKEY_CTX_free(pc);
	return pkey;
}

/*
 * The peer's P-256 share as a public key, borrowed from ctx: only the uncompressed form
 * (RFC 9846 §4.2.8.2); EC_POINT_oct2point() under both fromdata and set_params refuses
 * coordinates >= p and points off the curve.
 *
 * Why one object per worker whose public key is replaced in place (EVP_PKEY_set_params, an
 * encoded public key): a new EVP_PKEY per share walks OpenSSL 3.0's whole name map
 * (EVP_PKEY_set_type_by_keymgmt) and allocates, about 1 % of a server handshake. The object
 * lives in ctx->kpeer, a context made over it only to hold it (freed with ctx). One thread
 * at a time uses a crypto_ctx and each derivation's context drops its reference before
 * crypto_kex_derive() returns, so the key never changes under a user.
 */
static EVP_PKEY *
p256_peer_key(const struct crypto_kex *kex, const uint8_t *peer, size_t peer_len)
{
	EVP_PKEY_CTX **slot = &kex->ctx->kpeer;
	uint8_t point[P256_POINT_LEN];
	OSSL_PARAM params[2];
	EVP_PKEY *pkey;

	if (peer_len != P256_POINT_LEN || peer[0] != 0x04)
		return NULL;
	memcpy(point, peer, peer_len);
	if (*slot == NULL) {
		pkey = new_peer_key(point, peer_len);
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

/*
 * X25519(our key, peer) by our ladder (x25519.c): any 32 bytes are a share (RFC 7748 §5).
 * Why not OpenSSL's (its assembler ladder is about 8 % faster on its own): it needs the key
 * imported as an EVP_PKEY for every share (EVP_PKEY_fromdata walks OpenSSL 3.0's name map
 * and allocates) and a derive context, which together cost more than the difference.
 */
static int
x25519_derive(struct crypto_kex *kex, const uint8_t *peer, size_t peer_len, uint8_t *secret,
	      size_t *secret_len)
{
	if (peer_len != X25519_LEN)
		return CRYPTO_ERR_INVAL;
	crypto_x25519(secret, kex->priv, peer);
	/* RFC 9846 §7.4.2: the all-zero secret of a small-order peer point is refused. */
	if (all_zero(secret, X25519_LEN)) {
		crypto_wipe(secret, X25519_LEN);
		return CRYPTO_ERR_INVAL;
	}
	*secret_len = X25519_LEN;
	return 0;
}

/* ECDH on P-256 through EVP; the derive context is kept for a reused share (bench knob). */
static int
p256_derive(struct crypto_kex *kex, const uint8_t *peer, size_t peer_len, uint8_t *secret,
	    size_t cap, size_t *secret_len)
{
	EVP_PKEY_CTX *dc = kex->dc;
	EVP_PKEY *pk = p256_peer_key(kex, peer, peer_len);
	int rc = CRYPTO_ERR_INVAL;

	if (pk == NULL)
		goto fail;
	kex->dc = NULL; /* given back below only after a success */
	if (dc == NULL && ((dc = EVP_PKEY_CTX_new_from_pkey(NULL, kex->key, NULL)) == NULL ||
			   EVP_PKEY_derive_init(dc) != 1)) {
		rc = CRYPTO_ERR_NOMEM;
		goto fail;
	}
	*secret_len = cap;
	/*
	 * The peer key is not validated again here: p256_peer_key() built it with
	 * EVP_PKEY_fromdata() or set_params, which decode with EC_POINT_oct2point() and refuse
	 * coordinates >= p and points off the curve; with cofactor 1 such a point is in the
	 * prime-order group, so the full public check's n*Q multiplication (about as costly as
	 * the ECDH itself) proves nothing more (SP 800-56A 5.6.2.3.3 vs .4).
	 */
	if (EVP_PKEY_derive_set_peer_ex(dc, pk, 0) != 1 ||
	    EVP_PKEY_derive(dc, secret, secret_len) != 1 || *secret_len != CRYPTO_KEX_MAX_SHARED)
		goto fail;
	kex->dc = dc;
	return 0;
fail:
	if (dc != kex->dc)
		EVP_PKEY_CTX_free(dc);
	crypto_wipe(secret, cap);
	ERR_clear_error();
	return rc;
}

int
crypto_kex_derive(struct crypto_kex *kex, const uint8_t *peer, size_t peer_len, uint8_t *secret,
		  size_t cap, size_t *secret_len)
{
	if (kex == NULL || peer == NULL || secret == NULL || secret_len == NULL ||
	    cap < CRYPTO_KEX_MAX_SHARED)
		return CRYPTO_ERR_INVAL;
	if (kex->group == CRYPTO_GROUP_X25519)
		return x25519_derive(kex, peer, peer_len, secret, secret_len);
	return p256_derive(kex, peer, peer_len, secret, cap, secret_len);
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
