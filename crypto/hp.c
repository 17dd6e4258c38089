/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Header protection (RFC 9001 §5.4): a 5-byte mask from a 16-byte ciphertext sample.
 *
 * AES suites: mask = AES-ECB(hp_key, sample)[0..5) (§5.4.3). A burst encrypts the samples of
 * consecutive ops that share a key as one ECB call over the concatenated samples.
 * ChaCha20: counter = sample[0..4) little-endian, nonce = sample[4..16), mask = ChaCha20 of five
 * zero bytes (§5.4.4). OpenSSL's ChaCha20 takes exactly that 16-byte counter||nonce as its IV.
 *
 * With the ipsec-mb engine (AES-NI present) the AES suites keep only their round keys
 * (176 or 240 bytes) and run the AES-NI instructions on them (aead_imb.c): an EVP_CIPHER_CTX
 * with OpenSSL's provider context behind it costs about 630 bytes a key, and every idle
 * connection keeps two (issue #6). ChaCha20 and the EVP engine use EVP: ipsec-mb's ChaCha20
 * cannot start at an arbitrary block counter.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include <crypto/crypto.h>

#include "crypto_internal.h"

/* Samples per ECB call in a burst. */
#define HP_CHUNK 64

struct crypto_hp {
	struct crypto_ctx *ctx;
	enum crypto_suite suite;
	unsigned rounds;     /* AES-NI: rounds of round_keys; 0: evp */
	EVP_CIPHER_CTX *evp; /* keyed once; ECB without padding, or ChaCha20 */
	/* AES-NI: 16 * (rounds + 1) bytes of encryption round keys. */
	_Alignas(16) uint8_t round_keys[]; /* ipsec-mb stores them with aligned moves */
};

/* Whether the AES-NI path serves this suite on this context. */
static bool
use_aesni(const struct crypto_ctx *ctx, enum crypto_suite suite)
{
#ifdef HB_HAVE_IPSEC_MB
	return ctx->engine == CRYPTO_ENGINE_IPSEC_MB &&
	       suite != CRYPTO_SUITE_CHACHA20_POLY1305_SHA256;
#else
	(void)ctx;
	(void)suite;
	return false;
#endif
}

/* The AES-NI handle for an AES suite's hp_key. */
static int
hp_new_aesni(struct crypto_hp **out, struct crypto_ctx *ctx, enum crypto_suite suite,
	     const uint8_t *hp_key)
{
#ifdef HB_HAVE_IPSEC_MB
	size_t key_len = crypto_suite_key_len(suite);
	unsigned rounds = CRYPTO_AES_ROUNDS(key_len);
	struct crypto_hp *hp =
		crypto_obj_alloc(ctx, 16, sizeof(struct crypto_hp) + 16 * (size_t)(rounds + 1));

	if (hp == NULL)
		return CRYPTO_ERR_NOMEM;
	hp->ctx = ctx;
	hp->suite = suite;
	hp->rounds = rounds;
	crypto_imb_aes_keyexp(ctx->imb, hp_key, key_len, hp->round_keys);
	*out = hp;
	return 0;
#else
	(void)out, (void)ctx, (void)suite, (void)hp_key;
	return CRYPTO_ERR_UNSUPPORTED;
#endif
}

int
crypto_hp_new(struct crypto_hp **out, struct crypto_ctx *ctx, enum crypto_suite suite,
	      const uint8_t *hp_key)
{
	const EVP_CIPHER *cipher;
	struct crypto_hp *hp;

	if (out == NULL)
		return CRYPTO_ERR_INVAL;
	*out = NULL;
	if (ctx == NULL || !crypto_suite_valid(suite) || hp_key == NULL)
		return CRYPTO_ERR_INVAL;
	if (use_aesni(ctx, suite))
		return hp_new_aesni(out, ctx, suite, hp_key);
	cipher = crypto_ctx_hp_cipher(ctx, suite);
	hp = crypto_obj_alloc(ctx, 16, sizeof(*hp));
	if (hp == NULL)
		return CRYPTO_ERR_NOMEM;
	hp->ctx = ctx;
	hp->suite = suite;
#ifdef HB_CRYPTO_NULL_ENGINE
	/* The fuzz-only null engine (aead_null.c): no cipher, every mask is zero. */
	if (ctx->engine == CRYPTO_ENGINE_NULL) {
		*out = hp;
		return 0;
	}
#endif
	hp->evp = EVP_CIPHER_CTX_new();
	if (hp->evp == NULL) {
		crypto_obj_free(ctx, hp, 16, sizeof(*hp));
		return CRYPTO_ERR_NOMEM;
	}
	if (EVP_EncryptInit_ex(hp->evp, cipher, NULL, hp_key, NULL) != 1 ||
	    EVP_CIPHER_CTX_set_padding(hp->evp, 0) != 1) {
		crypto_hp_free(hp);
		return CRYPTO_ERR_LIB;
	}
	*out = hp;
	return 0;
}

void
crypto_hp_free(struct crypto_hp *hp)
{
	struct crypto_ctx *ctx;
	size_t size;

	if (hp == NULL)
		return;
	ctx = hp->ctx;
	size = sizeof(*hp) + (hp->rounds != 0 ? 16 * (size_t)(hp->rounds + 1) : 0);
	EVP_CIPHER_CTX_free(hp->evp);
	/* The round keys are as secret as the key. */
	crypto_wipe(hp, size);
	crypto_obj_free(ctx, hp, 16, size);
}

static int
chacha_mask(struct crypto_hp *hp, const uint8_t sample[CRYPTO_HP_SAMPLE_LEN],
	    uint8_t mask[CRYPTO_HP_MASK_LEN])
{
	static const uint8_t zeros[CRYPTO_HP_MASK_LEN];
	int outl;

	if (EVP_EncryptInit_ex(hp->evp, NULL, NULL, NULL, sample) != 1 ||
	    EVP_EncryptUpdate(hp->evp, mask, &outl, zeros, CRYPTO_HP_MASK_LEN) != 1 ||
	    outl != CRYPTO_HP_MASK_LEN)
		return CRYPTO_ERR_LIB;
	return 0;
}

/* One ECB pass over n concatenated 16-byte blocks, in place. */
static int
ecb_blocks(struct crypto_hp *hp, uint8_t *blocks, unsigned n)
{
	int len = (int)(n * CRYPTO_HP_SAMPLE_LEN);
	int outl;

#ifdef HB_HAVE_IPSEC_MB
	if (hp->rounds != 0) {
		crypto_imb_aes_ecb(hp->round_keys, hp->rounds, blocks, n);
		return 0;
	}
#endif
	if (EVP_EncryptUpdate(hp->evp, blocks, &outl, blocks, len) != 1 || outl != len)
		return CRYPTO_ERR_LIB;
	return 0;
}

int
crypto_hp_mask(struct crypto_hp *hp, const uint8_t sample[CRYPTO_HP_SAMPLE_LEN],
	       uint8_t mask[CRYPTO_HP_MASK_LEN])
{
	uint8_t block[CRYPTO_HP_SAMPLE_LEN];
	int rc;

	if (hp == NULL || sample == NULL || mask == NULL)
		return CRYPTO_ERR_INVAL;
#ifdef HB_CRYPTO_NULL_ENGINE
	if (hp->evp == NULL && hp->rounds == 0) {
		memset(mask, 0, CRYPTO_HP_MASK_LEN);
		return 0;
	}
#endif
	if (hp->suite == CRYPTO_SUITE_CHACHA20_POLY1305_SHA256)
		return chacha_mask(hp, sample, mask);
	memcpy(block, sample, sizeof(block));
	rc = ecb_blocks(hp, block, 1);
	if (rc == 0)
		memcpy(mask, block, CRYPTO_HP_MASK_LEN);
	return rc;
}

/* ops[0..n) share an AES handle: one ECB call per HP_CHUNK samples. */
static int
aes_run(struct crypto_hp_op *ops, unsigned n)
{
	uint8_t blocks[HP_CHUNK][CRYPTO_HP_SAMPLE_LEN];

	for (unsigned base = 0; base < n; base += HP_CHUNK) {
		unsigned k = n - base < HP_CHUNK ? n - base : HP_CHUNK;
		int rc;

		for (unsigned i = 0; i < k; i++)
			memcpy(blocks[i], ops[base + i].sample, CRYPTO_HP_SAMPLE_LEN);
		rc = ecb_blocks(ops[0].hp, blocks[0], k);
		if (rc != 0)
			return rc;
		for (unsigned i = 0; i < k; i++)
			memcpy(ops[base + i].mask, blocks[i], CRYPTO_HP_MASK_LEN);
	}
	return 0;
}

int
crypto_hp_mask_burst(struct crypto_hp_op *ops, unsigned n)
{
	unsigned i = 0;

	if (ops == NULL && n > 0)
		return CRYPTO_ERR_INVAL;
	for (unsigned k = 0; k < n; k++)
		if (ops[k].hp == NULL || ops[k].sample == NULL)
			return CRYPTO_ERR_INVAL;
	while (i < n) {
		struct crypto_hp *hp = ops[i].hp;
		unsigned j = i + 1;
		int rc;

		while (j < n && ops[j].hp == hp)
			j++;
#ifdef HB_CRYPTO_NULL_ENGINE
		if (hp->evp == NULL && hp->rounds == 0) {
			for (; i < j; i++)
				memset(ops[i].mask, 0, CRYPTO_HP_MASK_LEN);
			continue;
		}
#endif
		if (hp->suite == CRYPTO_SUITE_CHACHA20_POLY1305_SHA256) {
			for (rc = 0; i < j && rc == 0; i++)
				rc = chacha_mask(hp, ops[i].sample, ops[i].mask);
		} else {
			rc = aes_run(&ops[i], j - i);
		}
		if (rc != 0)
			return rc;
		i = j;
	}
	return 0;
}
