/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Private to crypto/: the per-worker context and helpers shared by the .c files. Nothing
 * outside crypto/ includes this (it names OpenSSL types).
 */
#ifndef HB_CRYPTO_INTERNAL_H
#define HB_CRYPTO_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include <crypto/crypto.h>

#include "hkdf_internal.h"

/* Largest packet number a QUIC endpoint may use (RFC 9000 §12.3). */
#define CRYPTO_PN_MAX ((UINT64_C(1) << 62) - 1)

/* Largest AEAD input we accept: EVP takes int lengths, and QUIC packets are far smaller. */
#define CRYPTO_AEAD_MAX_LEN (1u << 24)

struct crypto_imb; /* the ipsec-mb manager of a context (aead_imb.c) */

/*
 * Everything fetched or built once per worker. Apart from scratch state (the two HMACs that
 * derivations re-key in place, the Retry AEADs' cipher contexts, the ipsec-mb manager's job
 * queue, which every call leaves empty) nothing changes after crypto_ctx_new(): one thread at
 * a time may use a context.
 */
/*
 * Objects of one size and alignment cut from slabs of CRYPTO_SLAB_OBJS, free ones linked
 * through their first word. A connection holds five key handles (1-RTT AEADs and header
 * protection) for its whole life and makes and drops a dozen during its handshake: taken
 * from aligned_alloc() one by one, each cost a malloc header and the slack of its 64-byte
 * alignment, and the short-lived ones left holes between the long-lived (issue #6).
 */
#define CRYPTO_SLAB_CLASSES 6
#define CRYPTO_SLAB_OBJS    64

struct crypto_slab {
	size_t size;  /* object bytes, a multiple of align; 0: class unused */
	size_t align; /* a power of two */
	void *free;
	void **slabs;
	size_t n_slabs;
};

/* Longest salt crypto_hkdf_extract_fixed_salt() keeps keyed: a SHA-256 block. */
#define CRYPTO_FIXED_SALT_MAX 64

struct crypto_fixed_salt {
	struct crypto_hmac h;
	uint8_t salt[CRYPTO_FIXED_SALT_MAX];
	size_t salt_len;
	bool valid;
};

struct crypto_ctx {
	enum crypto_engine engine;

	/* Fetched once (EVP_*_fetch), never per packet. */
	EVP_CIPHER *aes128gcm;
	EVP_CIPHER *aes256gcm;
	EVP_CIPHER *chacha20poly1305;
	EVP_CIPHER *aes128ecb;
	EVP_CIPHER *aes256ecb;
	EVP_CIPHER *chacha20;
	EVP_MD *sha256;
	EVP_MD *sha384;
	EVP_KDF *hkdf;

	/* HMAC-SHA256 keyed with the v1 and v2 Initial salts (RFC 9001 §5.2, RFC 9369 §3.3.1). */
	struct crypto_hmac initial_v1;
	struct crypto_hmac initial_v2;
	/* The last salt of crypto_hkdf_extract_fixed_salt() (a reset key), keyed (hkdf.c). */
	struct crypto_fixed_salt fixed_salt;

	/* Retry integrity AEADs with the fixed keys (RFC 9001 §5.8, RFC 9369 §3.3.3). */
	struct crypto_aead *retry_v1;
	struct crypto_aead *retry_v2;

	struct crypto_imb *imb; /* NULL unless engine is CRYPTO_ENGINE_IPSEC_MB */
	/* Token keys and Retry tags on gcm_short.c (crypto_ctx_use_gcm_short()). */
	bool gcm_short;

	/* P-256 key exchange (asym.c), made on first use: a keygen context, and the one peer
	 * key whose public key each share replaces (held by a context made over it).
	 * Looking the algorithm up by name and building a context or a key on every call
	 * (EVP_PKEY_Q_keygen(), EVP_PKEY_new_raw_public_key_ex()) cost about a tenth of a server
	 * handshake. */
	EVP_PKEY_CTX *kgen;  /* P-256 keygen (X25519 is x25519.c's) */
	EVP_PKEY_CTX *kpeer; /* P-256: EVP_PKEY_CTX_get0_pkey() is the peer key */
	/* X25519 private keys' randomness (asym.c), made on first use: one RAND_priv_bytes()
	 * call per CRYPTO_RAND_POOL_LEN bytes instead of one per key share, which cost about
	 * 1.5 % of a server handshake (OpenSSL 3.0: a getpid(), DRBG locks and parameter
	 * lookups per call). Bytes are wiped as they are handed out. */
	struct crypto_rand_pool *kex_rand;
	struct crypto_rand kex_rand_src;
	/* X25519 key pairs made ahead in batches (asym.c, made on first use). */
	struct crypto_x25519_pool *x25519;

	/* Slabs of AEAD and header-protection handles (crypto_obj_alloc()). */
	struct crypto_slab slab[CRYPTO_SLAB_CLASSES];
};

/* X25519 key pairs made together (one field inversion for all) and handed out once each:
 * the last n of them are unused; a used one's private key is wiped. */
#define CRYPTO_KEX_POOL 8
struct crypto_x25519_pool {
	uint8_t priv[CRYPTO_KEX_POOL * 32];
	uint8_t pub[CRYPTO_KEX_POOL * 32];
	unsigned n;
};

/* Per-hash helpers. */
const EVP_MD *crypto_ctx_md(const struct crypto_ctx *ctx, enum crypto_hash hash);
size_t crypto_hash_len(enum crypto_hash hash);

/* The AEAD cipher and the header-protection cipher of a suite. */
const EVP_CIPHER *crypto_ctx_aead_cipher(const struct crypto_ctx *ctx, enum crypto_suite suite);
const EVP_CIPHER *crypto_ctx_hp_cipher(const struct crypto_ctx *ctx, enum crypto_suite suite);

/* The Initial salt of version (20 bytes in *len), NULL for an unknown version. */
const uint8_t *crypto_initial_salt(uint32_t version, size_t *len);

/* Build ctx->retry_v1 and ctx->retry_v2 (retry.c). */
int crypto_retry_init(struct crypto_ctx *ctx);

/* Whether suite is a known value. */
static inline int
crypto_suite_valid(enum crypto_suite suite)
{
	return (unsigned)suite < CRYPTO_SUITE_COUNT;
}

/* size zeroed bytes aligned to align (a power of two); size is rounded up to a multiple. */
static inline void *
crypto_zalloc_aligned(size_t align, size_t size)
{
	void *p;

	size = (size + align - 1) & ~(align - 1); /* what aligned_alloc() wants */
	p = aligned_alloc(align, size);
	if (p != NULL)
		memset(p, 0, size);
	return p;
}

/*
 * size zeroed bytes aligned to align from ctx's slabs (crypto.c); back with crypto_obj_free()
 * and the same align and size, wiped by the caller. One thread at a time, like ctx itself;
 * every object goes back before crypto_ctx_free(). HB_POOL_DEBUG: plain aligned_alloc()/free(),
 * so that sanitizers see each object.
 */
void *crypto_obj_alloc(struct crypto_ctx *ctx, size_t align, size_t size);
void crypto_obj_free(struct crypto_ctx *ctx, void *obj, size_t align, size_t size);

#ifdef HB_HAVE_IPSEC_MB
/* ipsec-mb manager of a context (aead_imb.c). */
int crypto_imb_new(struct crypto_imb **out);
void crypto_imb_free(struct crypto_imb *imb);
/* Whether the library found AES-NI on this CPU. */
bool crypto_imb_cpu_ok(void);
/* AES rounds for a 16- or 32-byte key. */
#define CRYPTO_AES_ROUNDS(key_len) ((key_len) == 32 ? 14u : 10u)
/*
 * Header protection with AES-NI (hp.c): expand an AES-128 or AES-256 key (key_len 16 or 32)
 * into 16 * (rounds + 1) bytes of encryption round keys with the manager's key expansion.
 */
void crypto_imb_aes_keyexp(struct crypto_imb *imb, const uint8_t *key, size_t key_len,
			   uint8_t *round_keys);
/* AES-encrypt n 16-byte blocks in place (ECB) with round keys from crypto_imb_aes_keyexp(). */
void crypto_imb_aes_ecb(const uint8_t *round_keys, unsigned rounds, uint8_t *blocks, unsigned n);
#endif

#endif /* HB_CRYPTO_INTERNAL_H */
