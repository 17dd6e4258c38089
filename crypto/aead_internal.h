/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Private to crypto/: the AEAD handle and the small vtable its engines (OpenSSL EVP in
 * aead_evp.c, ipsec-mb in aead_imb.c) implement. aead.c holds everything engine-independent:
 * nonce construction (RFC 9001 §5.3), usage limits (RFC 9001 §6.6) and burst dispatch.
 */
#ifndef HB_CRYPTO_AEAD_INTERNAL_H
#define HB_CRYPTO_AEAD_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include <crypto/crypto.h>

#include "crypto_internal.h"

/* Ops handled per engine burst call; larger bursts are cut into chunks of this size. */
#define CRYPTO_BURST_CHUNK 64

struct crypto_aead;

/*
 * One packet-protection engine. Lengths are already checked by aead.c (len within
 * CRYPTO_AEAD_MAX_LEN, a 12-byte nonce built), so engines only translate library failures.
 */
struct crypto_aead_engine {
	enum crypto_engine id;
	/* Bytes of engine state placed at crypto_aead.state (64-byte aligned). */
	size_t state_size;
	/* Expand key into a->state (and a->evp). @return 0, CRYPTO_ERR_NOMEM, CRYPTO_ERR_LIB */
	int (*init)(struct crypto_aead *a, const uint8_t *key);
	/* Release what init built; safe after a failed init. */
	void (*fini)(struct crypto_aead *a);
	/* Encrypt data[0..len) in place and write the tag at data[len..len+16). */
	int (*seal)(struct crypto_aead *a, const uint8_t nonce[CRYPTO_IV_LEN], const uint8_t *aad,
		    size_t aad_len, uint8_t *data, size_t len);
	/* Decrypt data[0..len) in place and check the tag at data[len..len+16). */
	int (*open)(struct crypto_aead *a, const uint8_t nonce[CRYPTO_IV_LEN], const uint8_t *aad,
		    size_t aad_len, uint8_t *data, size_t len);
	/*
	 * n ops whose handles all use this engine and the same context. Only ops whose status
	 * is 0 are processed; each gets its status. For open, ops[i].len includes the tag.
	 */
	void (*burst)(struct crypto_aead_op *ops, const uint8_t (*nonces)[CRYPTO_IV_LEN],
		      unsigned n, bool seal);
	/*
	 * Whether burst() really batches this handle's packets (NULL: never). Packets it does
	 * not batch are sealed or opened one by one in the caller's single pass, which is
	 * cheaper than collecting them first.
	 */
	bool (*batches)(const struct crypto_aead *a);
};

struct crypto_aead {
	const struct crypto_aead_engine *eng;
	struct crypto_ctx *ctx;
	enum crypto_suite suite;
	/* eng->batches(this), fixed at creation so a burst pays no call per packet to ask. */
	bool batched;
	uint8_t iv[CRYPTO_IV_LEN];
	/* RFC 9001 §6.6 counters and the limits they are held to. */
	uint64_t sealed;
	uint64_t open_failures;
	uint64_t conf_limit;
	uint64_t integ_limit;
	/* EVP engine: one cipher context per key, re-initialised with only the nonce. */
	EVP_CIPHER_CTX *evp;
	/* Engine-specific expanded key (ipsec-mb wants it 16/64-byte aligned). */
	_Alignas(64) unsigned char state[];
};

extern const struct crypto_aead_engine crypto_aead_engine_evp;
#ifdef HB_HAVE_IPSEC_MB
extern const struct crypto_aead_engine crypto_aead_engine_imb;
#endif

/* Helpers shared by the engines. */
void crypto_aead_burst_loop(struct crypto_aead_op *ops, const uint8_t (*nonces)[CRYPTO_IV_LEN],
			    unsigned n, bool seal);

#endif /* HB_CRYPTO_AEAD_INTERNAL_H */
