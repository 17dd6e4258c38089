/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The AES-128 block primitive that QUIC-LB connection-ID encryption needs
 * (draft-ietf-quic-load-balancers, "Server Actions": AES-128-ECB on one 16-byte block).
 *
 * quic/ may not call OpenSSL, so the QUIC-LB algorithms (single pass and the four-pass Feistel
 * network) live in quic/cid.c and reach AES through this opaque handle. A handle holds one
 * encrypt and one decrypt EVP_CIPHER_CTX, keyed once at creation and reused for every block.
 *
 * Thread-safety: none per handle (the EVP contexts change on every call); each worker builds
 * its own handle. Distinct handles may be used concurrently.
 */
#ifndef HB_CRYPTO_LB_H
#define HB_CRYPTO_LB_H

#include <stddef.h>
#include <stdint.h>

#include <crypto/crypto.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CRYPTO_LB_KEY_LEN   16
#define CRYPTO_LB_BLOCK_LEN 16

/* Opaque: an AES-128-ECB key with its encrypt and decrypt contexts. */
struct crypto_lb;

/*
 * Build a handle for one QUIC-LB key. The key bytes are copied into the cipher contexts; the
 * caller may wipe its copy afterwards.
 * @param out  the new handle (NULL on failure)
 * @param ctx  the worker's context (its fetched AES-128-ECB cipher); must outlive the handle
 * @param key  16 bytes
 * @return 0, CRYPTO_ERR_INVAL (NULL argument), CRYPTO_ERR_NOMEM, CRYPTO_ERR_LIB
 */
int crypto_lb_new(struct crypto_lb **out, struct crypto_ctx *ctx,
		  const uint8_t key[CRYPTO_LB_KEY_LEN]);
/* Free a handle (NULL is a no-op). */
void crypto_lb_free(struct crypto_lb *lb);

/*
 * AES-128 of one block. in and out may be the same buffer.
 * @return 0, CRYPTO_ERR_INVAL (NULL argument), CRYPTO_ERR_LIB (out is then undefined)
 */
int crypto_lb_encrypt_block(struct crypto_lb *lb, const uint8_t in[CRYPTO_LB_BLOCK_LEN],
			    uint8_t out[CRYPTO_LB_BLOCK_LEN]);
/* Inverse AES-128 of one block; as crypto_lb_encrypt_block(). */
int crypto_lb_decrypt_block(struct crypto_lb *lb, const uint8_t in[CRYPTO_LB_BLOCK_LEN],
			    uint8_t out[CRYPTO_LB_BLOCK_LEN]);

#ifdef __cplusplus
}
#endif

#endif /* HB_CRYPTO_LB_H */
