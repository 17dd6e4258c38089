/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Private to crypto/: AES-128-GCM for short messages (gcm_short.c), used for address-
 * validation tokens and the Retry Integrity Tag when the CPU has AES-NI and PCLMULQDQ.
 */
#ifndef HB_CRYPTO_GCM_SHORT_H
#define HB_CRYPTO_GCM_SHORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <crypto/crypto.h>

/* GHASH aggregation width: one reduction per this many blocks. */
#define CRYPTO_GCM_SHORT_AGG 8

/*
 * One AES-128-GCM key, expanded once: the 11 round keys, the hash key powers H^1..H^8 (and their
 * halves XORed) in GHASH's bit-reflected order (byte-swapped blocks), and E(K, IV || 1) for the one
 * fixed nonce the key was made with (the Retry tag's, RFC 9001 §5.8; unused for tokens). 16-byte
 * aligned.
 */
struct crypto_gcm_short_key {
	_Alignas(16) uint8_t rk[11][16];
	_Alignas(16) uint8_t h[CRYPTO_GCM_SHORT_AGG][16];
	/* Each power's two 64-bit halves XORed (Karatsuba's middle product). */
	_Alignas(16) uint8_t hk[CRYPTO_GCM_SHORT_AGG][16];
	_Alignas(16) uint8_t ek_iv[16];
};

/* Whether this build and this CPU can run it (AES-NI, PCLMULQDQ, SSSE3, SSE4.1). */
bool crypto_gcm_short_cpu_ok(void);

/* Expand key; iv is the fixed nonce whose E(K, IV || 1) is kept (may be NULL). CPU checked. */
void crypto_gcm_short_init(struct crypto_gcm_short_key *k, const uint8_t key[16],
			   const uint8_t iv[CRYPTO_IV_LEN]);

/*
 * Tag of empty plaintext under the key's fixed nonce: GHASH of aad only, E(K, IV || 1)
 * precomputed (RFC 9001 §5.8: the Retry tag is such a GMAC over the pseudo-packet).
 */
void crypto_gcm_short_fixed_tag(const struct crypto_gcm_short_key *k, const uint8_t *aad,
				size_t aad_len, uint8_t tag[CRYPTO_TAG_LEN]);

#ifdef HB_HAVE_GCM_SHORT
/* The AEAD engine over it (token handles: crypto_token_key_new()). */
struct crypto_aead_engine;
extern const struct crypto_aead_engine crypto_aead_engine_gcm_short;

#endif

#endif /* HB_CRYPTO_GCM_SHORT_H */
