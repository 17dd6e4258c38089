/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Private to crypto/: HKDF building blocks on a keyed EVP_MAC_CTX, so that one keyed HMAC
 * serves several expansions (quic_keys.c derives key, iv and hp from one secret).
 */
#ifndef HB_CRYPTO_HKDF_INTERNAL_H
#define HB_CRYPTO_HKDF_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include <crypto/crypto.h>

/* Largest HkdfLabel: length(2) + label<7..255>(1 + 255) + context<0..255>(1 + 255). */
#define CRYPTO_HKDF_LABEL_MAX (2 + 1 + 255 + 1 + 255)

/* A new HMAC for hash keyed with key (NULL/empty: HashLen zeros). NULL on failure. */
EVP_MAC_CTX *crypto_hmac_keyed(const struct crypto_ctx *ctx, enum crypto_hash hash,
			       const uint8_t *key, size_t key_len);
/* Feed data into m and finish it into out. @return 0 or CRYPTO_ERR_LIB */
int crypto_hmac_final(EVP_MAC_CTX *m, const uint8_t *data, size_t len, uint8_t *out,
		      size_t out_cap);
/* HKDF-Expand with a keyed HMAC; m is reset per block and left reusable. */
int crypto_hkdf_expand_keyed(EVP_MAC_CTX *prk_mac, size_t hash_len, const uint8_t *info,
			     size_t info_len, uint8_t *out, size_t out_len);
/* Encode the HkdfLabel into buf. @return its length or CRYPTO_ERR_INVAL */
int crypto_hkdf_label(uint8_t *buf, size_t cap, size_t out_len, const char *label,
		      const uint8_t *context, size_t context_len);
/* HKDF-Expand-Label with a keyed HMAC of the secret. */
int crypto_hkdf_expand_label_keyed(EVP_MAC_CTX *secret_mac, size_t hash_len, const char *label,
				   const uint8_t *context, size_t context_len, uint8_t *out,
				   size_t out_len);

#endif /* HB_CRYPTO_HKDF_INTERNAL_H */
