/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * AES-128-ECB on single blocks for QUIC-LB (draft-ietf-quic-load-balancers, "Server Actions").
 *
 * Both contexts are keyed once in crypto_lb_new() with padding off; a block is then one
 * EVP_CipherUpdate on a context that is never re-initialised, as in hp.c. ECB keeps no state
 * between blocks, so the contexts need no reset between calls.
 */
#include <stdlib.h>

#include <openssl/evp.h>

#include <crypto/crypto.h>
#include <crypto/lb.h>

#include "crypto_internal.h"

struct crypto_lb {
	EVP_CIPHER_CTX *enc;
	EVP_CIPHER_CTX *dec;
};

/* A context keyed for one direction (enc 1: encrypt, 0: decrypt) without padding. */
static int
keyed_ctx(EVP_CIPHER_CTX **out, const EVP_CIPHER *cipher, const uint8_t *key, int enc)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();

	*out = c;
	if (c == NULL)
		return CRYPTO_ERR_NOMEM;
	if (EVP_CipherInit_ex(c, cipher, NULL, key, NULL, enc) != 1 ||
	    EVP_CIPHER_CTX_set_padding(c, 0) != 1)
		return CRYPTO_ERR_LIB;
	return 0;
}

int
crypto_lb_new(struct crypto_lb **out, struct crypto_ctx *ctx, const uint8_t key[CRYPTO_LB_KEY_LEN])
{
	struct crypto_lb *lb;
	int rc;

	if (out == NULL)
		return CRYPTO_ERR_INVAL;
	*out = NULL;
	if (ctx == NULL || key == NULL || ctx->aes128ecb == NULL)
		return CRYPTO_ERR_INVAL;
	lb = calloc(1, sizeof(*lb));
	if (lb == NULL)
		return CRYPTO_ERR_NOMEM;
	rc = keyed_ctx(&lb->enc, ctx->aes128ecb, key, 1);
	if (rc == 0)
		rc = keyed_ctx(&lb->dec, ctx->aes128ecb, key, 0);
	if (rc != 0)
		goto fail;
	*out = lb;
	return 0;
fail:
	crypto_lb_free(lb);
	return rc;
}

void
crypto_lb_free(struct crypto_lb *lb)
{
	if (lb == NULL)
		return;
	/* EVP_CIPHER_CTX_free() cleanses the expanded key schedule. */
	EVP_CIPHER_CTX_free(lb->enc);
	EVP_CIPHER_CTX_free(lb->dec);
	free(lb);
}

static int
one_block(EVP_CIPHER_CTX *c, const uint8_t *in, uint8_t *out)
{
	int outl = 0;

	if (EVP_CipherUpdate(c, out, &outl, in, CRYPTO_LB_BLOCK_LEN) != 1 ||
	    outl != CRYPTO_LB_BLOCK_LEN)
		return CRYPTO_ERR_LIB;
	return 0;
}

int
crypto_lb_encrypt_block(struct crypto_lb *lb, const uint8_t in[CRYPTO_LB_BLOCK_LEN],
			uint8_t out[CRYPTO_LB_BLOCK_LEN])
{
	if (lb == NULL || in == NULL || out == NULL)
		return CRYPTO_ERR_INVAL;
	return one_block(lb->enc, in, out);
}

int
crypto_lb_decrypt_block(struct crypto_lb *lb, const uint8_t in[CRYPTO_LB_BLOCK_LEN],
			uint8_t out[CRYPTO_LB_BLOCK_LEN])
{
	if (lb == NULL || in == NULL || out == NULL)
		return CRYPTO_ERR_INVAL;
	return one_block(lb->dec, in, out);
}
