/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Retry Integrity Tag (RFC 9001 §5.8, RFC 9369 §3.3.3): AES-128-GCM under a fixed key and
 * nonce, empty plaintext, the Retry pseudo-packet as AAD. The two AEADs are keyed once in
 * crypto_ctx_new(); a tag then costs one GMAC over the pseudo-packet.
 */
#include <pthread.h>
#include <string.h>

#include <crypto/crypto.h>

#include "aead_internal.h"
#include "crypto_internal.h"
#include "gcm_short.h"

struct retry_keys {
	uint8_t key[16];
	uint8_t nonce[CRYPTO_IV_LEN];
};

/* RFC 9001 §5.8 */
static const struct retry_keys retry_v1 = {
	{0xbe, 0x0c, 0x69, 0x0b, 0x9f, 0x66, 0x57, 0x5a, 0x1d, 0x76, 0x6b, 0x54, 0xe3, 0x68, 0xc8,
	 0x4e},
	{0x46, 0x15, 0x99, 0xd3, 0x5d, 0x63, 0x2b, 0xf2, 0x23, 0x98, 0x25, 0xbb},
};

/* RFC 9369 §3.3.3 */
static const struct retry_keys retry_v2 = {
	{0x8f, 0xb4, 0xb0, 0x1b, 0x56, 0xac, 0x48, 0xe2, 0x60, 0xfb, 0xcb, 0xce, 0xad, 0x7c, 0xcc,
	 0x92},
	{0xd8, 0x69, 0x69, 0xbc, 0x2d, 0x7c, 0x6d, 0x99, 0x90, 0xef, 0xb0, 0x4a},
};

#ifdef HB_HAVE_GCM_SHORT
/*
 * The two fixed keys expanded once per process for gcm_short.c, with E(K, nonce || 1) of
 * their fixed nonces: a tag is then one GHASH of the pseudo-packet. Immutable once built.
 */
static struct crypto_gcm_short_key short_v1, short_v2;
static pthread_once_t short_once = PTHREAD_ONCE_INIT;

static void
short_keys_init(void)
{
	crypto_gcm_short_init(&short_v1, retry_v1.key, retry_v1.nonce);
	crypto_gcm_short_init(&short_v2, retry_v2.key, retry_v2.nonce);
}
#endif

int
crypto_retry_init(struct crypto_ctx *ctx)
{
#ifdef HB_HAVE_GCM_SHORT
	if (crypto_gcm_short_available())
		pthread_once(&short_once, short_keys_init);
#endif
	int rc = crypto_aead_new(&ctx->retry_v1, ctx, CRYPTO_SUITE_AES_128_GCM_SHA256, retry_v1.key,
				 retry_v1.nonce);

	if (rc == 0)
		rc = crypto_aead_new(&ctx->retry_v2, ctx, CRYPTO_SUITE_AES_128_GCM_SHA256,
				     retry_v2.key, retry_v2.nonce);
	return rc;
}

int
crypto_retry_tag(struct crypto_ctx *ctx, uint32_t version, const uint8_t *pseudo, size_t pseudo_len,
		 uint8_t tag[CRYPTO_TAG_LEN])
{
	const struct retry_keys *k;
	struct crypto_aead *a;

	if (ctx == NULL || tag == NULL || (pseudo == NULL && pseudo_len > 0))
		return CRYPTO_ERR_INVAL;
	if (version == CRYPTO_QUIC_V1) {
		k = &retry_v1;
		a = ctx->retry_v1;
	} else if (version == CRYPTO_QUIC_V2) {
		k = &retry_v2;
		a = ctx->retry_v2;
	} else {
		return CRYPTO_ERR_INVAL;
	}
#ifdef HB_HAVE_GCM_SHORT
	/* ctx->gcm_short is only ever set where crypto_retry_init() built the keys. */
	if (ctx->gcm_short) {
		crypto_gcm_short_fixed_tag(version == CRYPTO_QUIC_V1 ? &short_v1 : &short_v2,
					   pseudo, pseudo_len, tag);
		return 0;
	}
#endif
	/* Explicit nonce: Retry tags do not count toward a packet key's usage limits. With no
	 * plaintext, the "ciphertext" is just the tag, written at tag[0..16). */
	return crypto_aead_seal_nonce(a, k->nonce, pseudo, pseudo_len, tag, 0);
}

int
crypto_retry_verify(struct crypto_ctx *ctx, uint32_t version, const uint8_t *pseudo,
		    size_t pseudo_len, const uint8_t tag[CRYPTO_TAG_LEN])
{
	uint8_t want[CRYPTO_TAG_LEN];
	int rc;

	if (tag == NULL)
		return CRYPTO_ERR_INVAL;
	rc = crypto_retry_tag(ctx, version, pseudo, pseudo_len, want);
	if (rc != 0)
		return rc;
	/* Constant time: the comparison must not tell an attacker how many bytes matched. */
	return crypto_memcmp_ct(want, tag, CRYPTO_TAG_LEN) == 0 ? 0 : CRYPTO_ERR_AUTH;
}
