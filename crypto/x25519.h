/* SPDX-License-Identifier: BSD-3-Clause */
/* X25519 (RFC 7748) inside crypto/: see x25519.c. All three are constant-time in the scalar. */
#ifndef HB_CRYPTO_X25519_H
#define HB_CRYPTO_X25519_H

#include <stdint.h>

/* Builds the fixed-base table once per process (thread-safe; crypto_x25519_public() calls it). */
void crypto_x25519_init(void);

/* pub = X25519(scalar, 9): the public key of a private key (RFC 7748 §6.1). */
void crypto_x25519_public(uint8_t pub[32], const uint8_t scalar[32]);

/* The most keys crypto_x25519_public_batch() takes. */
#define CRYPTO_X25519_BATCH 16

/* n (1..CRYPTO_X25519_BATCH) key pairs of 32-byte keys laid end to end: pub + 32i =
 * X25519(scalar + 32i, 9), one field inversion for all (cheaper per key from n = 2). */
void crypto_x25519_public_batch(uint8_t *pub, const uint8_t *scalar, size_t n);

/* out = X25519(scalar, u) (RFC 7748 §5). An all-zero out (u of small order) is the caller's
 * to refuse (RFC 9846 §7.4.2). */
void crypto_x25519(uint8_t out[32], const uint8_t scalar[32], const uint8_t u[32]);

#endif
