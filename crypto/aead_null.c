/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The null packet-protection engine, for the whole-connection fuzz target only
 * (tests/fuzz/fuzz_conn.c): "sealing" leaves the payload as it is and writes an all-zero tag,
 * "opening" accepts exactly that tag, and header protection (hp.c) uses an all-zero mask. A
 * fuzzer can then write packets that reach the frame parsers after "decryption" (RFC 9001 §5
 * is what it stands in for), while a non-zero tag still takes the authentication-failure path.
 *
 * This file is compiled only into hb_crypto_null, a second copy of crypto/ built with
 * HB_CRYPTO_NULL_ENGINE that only the fuzz target links (crypto/meson.build refuses at
 * configure time any other user). The production hb_crypto never defines the macro, so there
 * crypto_engine_available(CRYPTO_ENGINE_NULL) is false and crypto_ctx_new() refuses it.
 */
#ifndef HB_CRYPTO_NULL_ENGINE
#error "aead_null.c belongs to the fuzz-only hb_crypto_null library"
#endif

#include <crypto/crypto.h>

#include "aead_internal.h"
#include "crypto_internal.h"

static int
null_init(struct crypto_aead *a, const uint8_t *key)
{
	(void)a;
	(void)key;
	return 0;
}

static void
null_fini(struct crypto_aead *a)
{
	(void)a;
}

static int
null_seal(struct crypto_aead *a, const uint8_t nonce[CRYPTO_IV_LEN], const uint8_t *aad,
	  size_t aad_len, uint8_t *data, size_t len)
{
	(void)a;
	(void)nonce;
	(void)aad;
	(void)aad_len;
	memset(data + len, 0, CRYPTO_TAG_LEN);
	return 0;
}

static int
null_open(struct crypto_aead *a, const uint8_t nonce[CRYPTO_IV_LEN], const uint8_t *aad,
	  size_t aad_len, uint8_t *data, size_t len)
{
	uint8_t any = 0;

	(void)a;
	(void)nonce;
	(void)aad;
	(void)aad_len;
	for (size_t i = 0; i < CRYPTO_TAG_LEN; i++)
		any |= data[len + i];
	return any == 0 ? 0 : CRYPTO_ERR_AUTH;
}

const struct crypto_aead_engine crypto_aead_engine_null = {
	.id = CRYPTO_ENGINE_NULL,
	.state_size = 0,
	.init = null_init,
	.fini = null_fini,
	.seal = null_seal,
	.open = null_open,
	.burst = crypto_aead_burst_loop,
};
