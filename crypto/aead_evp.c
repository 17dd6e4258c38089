/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The OpenSSL EVP packet-protection engine: portable, and the reference the ipsec-mb engine is
 * tested against.
 *
 * One EVP_CIPHER_CTX per key, keyed once in init. Each packet re-initialises it with only the
 * nonce (key NULL keeps the expanded key) and the direction, so the same handle can seal and
 * open (tokens do both).
 */
#include <limits.h>

#include <openssl/evp.h>

#include <crypto/crypto.h>

#include "aead_internal.h"
#include "crypto_internal.h"

static int
evp_init(struct crypto_aead *a, const uint8_t *key)
{
	const EVP_CIPHER *cipher = crypto_ctx_aead_cipher(a->ctx, a->suite);

	if (cipher == NULL)
		return CRYPTO_ERR_INVAL;
	a->evp = EVP_CIPHER_CTX_new();
	if (a->evp == NULL)
		return CRYPTO_ERR_NOMEM;
	/* All three suites use a 12-byte nonce, the EVP default, so no SET_IVLEN is needed. */
	if (EVP_CipherInit_ex(a->evp, cipher, NULL, key, NULL, 1) != 1)
		return CRYPTO_ERR_LIB;
	return 0;
}

static void
evp_fini(struct crypto_aead *a)
{
	EVP_CIPHER_CTX_free(a->evp);
	a->evp = NULL;
}

/* Start one packet: new nonce, direction, then the AAD. */
static int
evp_start(EVP_CIPHER_CTX *c, const uint8_t *nonce, int enc, const uint8_t *aad, size_t aad_len)
{
	int outl;

	if (EVP_CipherInit_ex(c, NULL, NULL, NULL, nonce, enc) != 1)
		return CRYPTO_ERR_LIB;
	if (aad_len > 0 && EVP_CipherUpdate(c, NULL, &outl, aad, (int)aad_len) != 1)
		return CRYPTO_ERR_LIB;
	return 0;
}

static int
evp_seal(struct crypto_aead *a, const uint8_t nonce[CRYPTO_IV_LEN], const uint8_t *aad,
	 size_t aad_len, uint8_t *data, size_t len)
{
	EVP_CIPHER_CTX *c = a->evp;
	uint8_t fin[16];
	int outl;
	int rc = evp_start(c, nonce, 1, aad, aad_len);

	if (rc != 0)
		return rc;
	/* Lengths were bounded by aead.c (CRYPTO_AEAD_MAX_LEN < INT_MAX). */
	if (len > 0 && EVP_CipherUpdate(c, data, &outl, data, (int)len) != 1)
		return CRYPTO_ERR_LIB;
	/* AEAD ciphers output nothing at final; fin only has to be a valid pointer. */
	if (EVP_CipherFinal_ex(c, fin, &outl) != 1)
		return CRYPTO_ERR_LIB;
	if (EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, CRYPTO_TAG_LEN, data + len) != 1)
		return CRYPTO_ERR_LIB;
	return 0;
}

static int
evp_open(struct crypto_aead *a, const uint8_t nonce[CRYPTO_IV_LEN], const uint8_t *aad,
	 size_t aad_len, uint8_t *data, size_t len)
{
	EVP_CIPHER_CTX *c = a->evp;
	uint8_t fin[16];
	int outl;
	int rc = evp_start(c, nonce, 0, aad, aad_len);

	if (rc != 0)
		return rc;
	if (len > 0 && EVP_CipherUpdate(c, data, &outl, data, (int)len) != 1)
		return CRYPTO_ERR_LIB;
	if (EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, CRYPTO_TAG_LEN, data + len) != 1)
		return CRYPTO_ERR_LIB;
	/* Final compares the tag: the only failure left is a forged or corrupt packet. */
	if (EVP_CipherFinal_ex(c, fin, &outl) != 1)
		return CRYPTO_ERR_AUTH;
	return 0;
}

const struct crypto_aead_engine crypto_aead_engine_evp = {
	.id = CRYPTO_ENGINE_EVP,
	.state_size = 0,
	.init = evp_init,
	.fini = evp_fini,
	.seal = evp_seal,
	.open = evp_open,
	/* EVP has no multi-buffer interface: a burst is a loop of single calls. */
	.burst = crypto_aead_burst_loop,
};
