/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Private to crypto/: HKDF building blocks on a keyed HMAC, so that one keying serves several
 * expansions (quic_keys.c derives key, iv and hp from one secret).
 */
#ifndef HB_CRYPTO_HKDF_INTERNAL_H
#define HB_CRYPTO_HKDF_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <crypto/crypto.h>

/* Largest HkdfLabel: length(2) + label<7..255>(1 + 255) + context<0..255>(1 + 255). */
#define CRYPTO_HKDF_LABEL_MAX (2 + 1 + 255 + 1 + 255)

/*
 * A keyed HMAC: the SHA-2 states after the key's inner and outer pad blocks (hmac.c). Copying
 * the struct copies the key; computing an HMAC never modifies it.
 */
/*
 * A SHA-256 or SHA-384 state, as raw storage: <openssl/sha.h> cannot be included beside
 * <intel-ipsec-mb.h> (their macro names collide), so only hmac.c sees the real types and checks
 * at compile time that they fit.
 */
union crypto_sha_state {
	uint64_t align;
	uint8_t bytes[224];
};

struct crypto_hmac {
	enum crypto_hash hash;
	size_t len; /* output length: 32 or 48 */
	union crypto_sha_state inner;
	union crypto_sha_state outer;
};

/* Key h for hash (NULL/empty key: the empty HMAC key). @return 0 or CRYPTO_ERR_INVAL */
int crypto_hmac_setkey(struct crypto_hmac *h, enum crypto_hash hash, const uint8_t *key,
		       size_t key_len);
/* Incremental HMAC into a caller-held work state: begin, update..., end (writes h->len bytes). */
void crypto_hmac_begin(const struct crypto_hmac *h, union crypto_sha_state *work);
void crypto_hmac_update(const struct crypto_hmac *h, union crypto_sha_state *work,
			const uint8_t *data, size_t len);
void crypto_hmac_end(const struct crypto_hmac *h, union crypto_sha_state *work, uint8_t *out);
/* HMAC of one buffer. */
void crypto_hmac_oneshot(const struct crypto_hmac *h, const uint8_t *data, size_t len,
			 uint8_t *out);
/*
 * Plain SHA-256 / SHA-384 (hash) on a copyable state: a snapshot of a running hash is a struct
 * copy, with no allocation (the TLS transcript, RFC 9846 §4.1, takes one per derived secret).
 * final leaves st unusable until the next init.
 */
void crypto_sha_init(enum crypto_hash hash, union crypto_sha_state *st);
void crypto_sha_update(enum crypto_hash hash, union crypto_sha_state *st, const uint8_t *data,
		       size_t len);
void crypto_sha_final(enum crypto_hash hash, union crypto_sha_state *st, uint8_t *out);
/* HKDF-Expand (RFC 5869 §2.3) with a keyed HMAC of the PRK. */
int crypto_hkdf_expand_keyed(const struct crypto_hmac *prk, const uint8_t *info, size_t info_len,
			     uint8_t *out, size_t out_len);
/* Encode the HkdfLabel into buf. @return its length or CRYPTO_ERR_INVAL */
int crypto_hkdf_label(uint8_t *buf, size_t cap, size_t out_len, const char *label,
		      const uint8_t *context, size_t context_len);
/* HKDF-Expand-Label with a keyed HMAC of the secret. */
int crypto_hkdf_expand_label_keyed(const struct crypto_hmac *secret, const char *label,
				   const uint8_t *context, size_t context_len, uint8_t *out,
				   size_t out_len);

#endif /* HB_CRYPTO_HKDF_INTERNAL_H */
