/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Private to crypto/: the AEAD handle and the small vtable its engines (OpenSSL EVP in
 * aead_evp.c, ipsec-mb in aead_imb.c) implement. aead.c holds everything engine-independent:
 * nonce construction (RFC 9001 §5.3), usage limits (RFC 9001 §6.6) and burst dispatch.
 */
#ifndef HB_CRYPTO_AEAD_INTERNAL_H
#define HB_CRYPTO_AEAD_INTERNAL_H

#include <endian.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

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
	/* Optional: fewer bytes of state than state_size that suffice with this context. */
	size_t (*state_bytes)(const struct crypto_ctx *ctx);
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
	/*
	 * Optional: seal or open ops[0..n), all on handle a and not batched, each with exactly the
	 * semantics of the single call (checks, limits, nonce, counting). Lets an engine call its
	 * cipher directly for a run instead of through this table once per packet.
	 * @return the number of ops whose status is 0
	 */
	unsigned (*run)(struct crypto_aead *a, struct crypto_aead_op *ops, unsigned n, bool seal);
	/*
	 * Optional: seal ops[0..n), all on handle a and not batched, as run() does, op i's
	 * plaintext partly at src[i] (crypto_aead_seal_burst_src(), pieces already checked to
	 * lie within the op). NULL: aead.c copies the pieces in, then run() or seal().
	 */
	unsigned (*seal_src)(struct crypto_aead *a, struct crypto_aead_op *ops,
			     const struct crypto_aead_src *src, unsigned n);
	/*
	 * Optional: open from in[0..len + 16) (ciphertext, tag) into out[0..len), in left as it
	 * was (NULL: the caller copies, then open()).
	 */
	int (*open_copy)(struct crypto_aead *a, const uint8_t nonce[CRYPTO_IV_LEN],
			 const uint8_t *aad, size_t aad_len, const uint8_t *in, uint8_t *out,
			 size_t len);
	/*
	 * Handles from the heap rather than the context's slabs: for engines with a few handles
	 * per worker for its whole life (token keys), where a slab class of their own would hold
	 * 64 and take one of the CRYPTO_SLAB_CLASSES that the connections' handles need.
	 */
	bool heap_handles;
};

/*
 * One 64-byte line before the engine state: every idle connection keeps three handles (issue
 * #6), so the usage limits are kept as powers of two and what an engine finds through ctx is
 * not copied here.
 */
struct crypto_aead {
	const struct crypto_aead_engine *eng;
	struct crypto_ctx *ctx;
	/* RFC 9001 §6.6 counters, held to the suite's limits. */
	uint64_t sealed;
	uint64_t open_failures;
	/* EVP engine: one cipher context per key, re-initialised with only the nonce. */
	EVP_CIPHER_CTX *evp;
	uint8_t suite; /* enum crypto_suite */
	/* RFC 9001 §6.6 limits, 2^conf_log2 seals and 2^integ_log2 failed opens (the suites'
	 * limits are powers of two; another value would be rounded down, the safe way). */
	uint8_t conf_log2;
	uint8_t integ_log2;
	/* eng->batches(this), fixed at creation so a burst pays no call per packet to ask. */
	bool batched;
	uint8_t iv[CRYPTO_IV_LEN];
	/* Engine-specific expanded key (ipsec-mb wants it 16/64-byte aligned). */
	_Alignas(64) unsigned char state[];
};

/* Bytes of state a handle of engine eng on ctx carries at crypto_aead.state. */
static inline size_t
crypto_aead_state_size(const struct crypto_aead_engine *eng, const struct crypto_ctx *ctx)
{
	return eng->state_bytes != NULL ? eng->state_bytes(ctx) : eng->state_size;
}

extern const struct crypto_aead_engine crypto_aead_engine_evp;
#ifdef HB_HAVE_IPSEC_MB
extern const struct crypto_aead_engine crypto_aead_engine_imb;
#endif
#ifdef HB_CRYPTO_NULL_ENGINE
extern const struct crypto_aead_engine crypto_aead_engine_null;
#endif

/* Helpers shared by the engines. */
void crypto_aead_burst_loop(struct crypto_aead_op *ops, const uint8_t (*nonces)[CRYPTO_IV_LEN],
			    unsigned n, bool seal);

/*
 * The per-packet checks and nonce of the single calls, shared with engines that loop over a
 * run of packets on one handle themselves (crypto_aead_engine.run).
 */
/* RFC 9001 §5.3: the 62-bit packet number, left-padded to 12 bytes, XORed into the IV. */
static inline void
make_nonce(const struct crypto_aead *a, uint64_t pn, uint8_t nonce[CRYPTO_IV_LEN])
{
	uint64_t low;

	/* The pn only reaches the IV's last 8 bytes: one 64-bit big-endian XOR. */
	memcpy(nonce, a->iv, CRYPTO_IV_LEN - 8);
	memcpy(&low, a->iv + CRYPTO_IV_LEN - 8, 8);
	low ^= htobe64(pn);
	memcpy(nonce + CRYPTO_IV_LEN - 8, &low, 8);
}

/* Reserve one seal against the confidentiality limit. */
static inline int
seal_check(struct crypto_aead *a, uint64_t pn, const uint8_t *aad, size_t aad_len,
	   const uint8_t *data, size_t len)
{
	if (a == NULL || pn > CRYPTO_PN_MAX || data == NULL || len > CRYPTO_AEAD_MAX_LEN ||
	    aad_len > CRYPTO_AEAD_MAX_LEN || (aad == NULL && aad_len > 0))
		return CRYPTO_ERR_INVAL;
	/* Counted before sealing: a packet that might have gone out counts. */
	if (a->sealed >= UINT64_C(1) << a->conf_log2)
		return CRYPTO_ERR_LIMIT;
	a->sealed++;
	return 0;
}

static inline int
open_check(const struct crypto_aead *a, uint64_t pn, const uint8_t *aad, size_t aad_len,
	   const uint8_t *data, size_t len)
{
	if (a == NULL || pn > CRYPTO_PN_MAX || data == NULL || len < CRYPTO_TAG_LEN ||
	    len > CRYPTO_AEAD_MAX_LEN || aad_len > CRYPTO_AEAD_MAX_LEN ||
	    (aad == NULL && aad_len > 0))
		return CRYPTO_ERR_INVAL;
	/* Once the integrity limit is reached the key must not be used again. */
	if (a->open_failures >= UINT64_C(1) << a->integ_log2)
		return CRYPTO_ERR_LIMIT;
	return 0;
}

/* Count a failed open; the failure that reaches the integrity limit reports LIMIT. */
static inline int
open_result(struct crypto_aead *a, int rc)
{
	if (rc != CRYPTO_ERR_AUTH)
		return rc;
	a->open_failures++;
	return a->open_failures >= UINT64_C(1) << a->integ_log2 ? CRYPTO_ERR_LIMIT
								: CRYPTO_ERR_AUTH;
}

typedef int (*crypto_aead_crypt_fn)(struct crypto_aead *a, const uint8_t nonce[CRYPTO_IV_LEN],
				    const uint8_t *aad, size_t aad_len, uint8_t *data, size_t len);

/*
 * The engine side of crypto_aead_engine.run: ops[0..n) on handle a, each with the single
 * call's checks, nonce and counting, calling the engine's own seal/open. Engines pass their
 * static functions, so once inlined there is no dispatch per packet.
 */
static inline unsigned
crypto_aead_run_loop(struct crypto_aead *a, struct crypto_aead_op *ops, unsigned n, bool seal,
		     crypto_aead_crypt_fn seal_fn, crypto_aead_crypt_fn open_fn)
{
	uint8_t nonce[CRYPTO_IV_LEN];
	unsigned ok = 0;

	for (unsigned i = 0; i < n; i++) {
		struct crypto_aead_op *op = &ops[i];

		op->status = seal ? seal_check(a, op->pn, op->aad, op->aad_len, op->data, op->len)
				  : open_check(a, op->pn, op->aad, op->aad_len, op->data, op->len);
		if (op->status == 0) {
			make_nonce(a, op->pn, nonce);
			op->status =
				seal ? seal_fn(a, nonce, op->aad, op->aad_len, op->data, op->len)
				     : open_result(a, open_fn(a, nonce, op->aad, op->aad_len,
							      op->data, op->len - CRYPTO_TAG_LEN));
		}
		ok += op->status == 0;
	}
	return ok;
}

#endif /* HB_CRYPTO_AEAD_INTERNAL_H */
