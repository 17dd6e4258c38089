/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * HMAC-SHA256 / HMAC-SHA384 (RFC 2104) on libcrypto's SHA-2 block functions, with the key's
 * inner and outer pad blocks hashed once at keying.
 *
 * Why not EVP_MAC: every HKDF step of the QUIC key schedule is one short HMAC, and deriving a
 * connection's Initial keys takes nine of them. Through OpenSSL 3.0's EVP_MAC each one pays for
 * provider dispatch and context bookkeeping (about 200-250 ns here), which puts the Initial
 * derivation near 4 µs against its 2 µs budget. Here an HMAC of a short message is two
 * compression-function calls plus struct copies of the pre-keyed states: no allocation, no
 * dispatch. The SHA-2 block API is deprecated in OpenSSL 3.0 but still built and still uses the
 * CPU's SHA extensions; it is confined to this file. The EVP_KDF reference derivation
 * (crypto_quic_initial_secrets_kdf) and the unit tests cross-check the results.
 */
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include <string.h>

#include <openssl/sha.h>

#include <crypto/crypto.h>

#include "hkdf_internal.h"

#define SHA256_BLOCK 64
#define SHA384_BLOCK 128

_Static_assert(sizeof(SHA512_CTX) <= sizeof(union crypto_sha_state), "SHA-384 state too big");
_Static_assert(sizeof(SHA256_CTX) <= sizeof(union crypto_sha_state), "SHA-256 state too big");
_Static_assert(_Alignof(SHA512_CTX) <= _Alignof(union crypto_sha_state), "SHA state alignment");

/* The real state types behind the raw storage. */
#define S256(st) ((SHA256_CTX *)(void *)(st)->bytes)
#define S512(st) ((SHA512_CTX *)(void *)(st)->bytes)

/* Hash one pad block of the key into st. @return 0 or CRYPTO_ERR_LIB */
static int
absorb_pad(struct crypto_hmac *h, union crypto_sha_state *st, const uint8_t *key, size_t key_len,
	   uint8_t pad)
{
	uint8_t block[SHA384_BLOCK];
	size_t bs = h->hash == CRYPTO_HASH_SHA384 ? SHA384_BLOCK : SHA256_BLOCK;
	size_t i;
	int ok;

	memset(block, pad, bs);
	for (i = 0; i < key_len; i++)
		block[i] = key[i] ^ pad;
	if (h->hash == CRYPTO_HASH_SHA384)
		ok = SHA384_Init(S512(st)) == 1 && SHA384_Update(S512(st), block, bs) == 1;
	else
		ok = SHA256_Init(S256(st)) == 1 && SHA256_Update(S256(st), block, bs) == 1;
	crypto_wipe(block, sizeof(block));
	return ok ? 0 : CRYPTO_ERR_LIB;
}

int
crypto_hmac_setkey(struct crypto_hmac *h, enum crypto_hash hash, const uint8_t *key, size_t key_len)
{
	uint8_t hashed[CRYPTO_MAX_SECRET_LEN];
	size_t bs = hash == CRYPTO_HASH_SHA384 ? SHA384_BLOCK : SHA256_BLOCK;
	int rc;

	if ((hash != CRYPTO_HASH_SHA256 && hash != CRYPTO_HASH_SHA384) ||
	    (key == NULL && key_len > 0))
		return CRYPTO_ERR_INVAL;
	h->hash = hash;
	h->len = hash == CRYPTO_HASH_SHA384 ? 48 : 32;
	/* RFC 2104 §2: a key longer than the block is replaced by its hash. */
	if (key_len > bs) {
		if ((hash == CRYPTO_HASH_SHA384 ? SHA384(key, key_len, hashed)
						: SHA256(key, key_len, hashed)) == NULL)
			return CRYPTO_ERR_LIB;
		key = hashed;
		key_len = h->len;
	}
	rc = absorb_pad(h, &h->inner, key, key_len, 0x36);
	if (rc == 0)
		rc = absorb_pad(h, &h->outer, key, key_len, 0x5c);
	crypto_wipe(hashed, sizeof(hashed));
	return rc;
}

/*
 * The block functions below return 1 for every valid state and argument (they only buffer
 * and compress), and the states here were set up by crypto_hmac_setkey(), whose Init calls are
 * checked; so the incremental calls return nothing.
 */
void
crypto_hmac_begin(const struct crypto_hmac *h, union crypto_sha_state *work)
{
	*work = h->inner;
}

void
crypto_hmac_update(const struct crypto_hmac *h, union crypto_sha_state *work, const uint8_t *data,
		   size_t len)
{
	crypto_sha_update(h->hash, work, data, len);
}

/* ---- Plain SHA-256 / SHA-384 on the same states ---- */

void
crypto_sha_init(enum crypto_hash hash, union crypto_sha_state *st)
{
	memset(st, 0, sizeof(*st));
	if (hash == CRYPTO_HASH_SHA384)
		SHA384_Init(S512(st));
	else
		SHA256_Init(S256(st));
}

void
crypto_sha_update(enum crypto_hash hash, union crypto_sha_state *st, const uint8_t *data,
		  size_t len)
{
	if (len == 0)
		return;
	if (hash == CRYPTO_HASH_SHA384)
		SHA384_Update(S512(st), data, len);
	else
		SHA256_Update(S256(st), data, len);
}

void
crypto_sha_final(enum crypto_hash hash, union crypto_sha_state *st, uint8_t *out)
{
	if (hash == CRYPTO_HASH_SHA384)
		SHA384_Final(out, S512(st));
	else
		SHA256_Final(out, S256(st));
}

void
crypto_hmac_end(const struct crypto_hmac *h, union crypto_sha_state *work, uint8_t *out)
{
	uint8_t inner[CRYPTO_MAX_SECRET_LEN];

	if (h->hash == CRYPTO_HASH_SHA384) {
		SHA384_Final(inner, S512(work));
		*work = h->outer;
		SHA384_Update(S512(work), inner, 48);
		SHA384_Final(out, S512(work));
	} else {
		SHA256_Final(inner, S256(work));
		*work = h->outer;
		SHA256_Update(S256(work), inner, 32);
		SHA256_Final(out, S256(work));
	}
	crypto_wipe(inner, sizeof(inner));
	crypto_wipe(work, sizeof(*work));
}

void
crypto_hmac_oneshot(const struct crypto_hmac *h, const uint8_t *data, size_t len, uint8_t *out)
{
	union crypto_sha_state work;

	crypto_hmac_begin(h, &work);
	crypto_hmac_update(h, &work, data, len);
	crypto_hmac_end(h, &work, out);
}
