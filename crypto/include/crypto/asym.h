/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Key exchange and signatures on libcrypto: what the TLS 1.3 engine and the micro-benchmark
 * need. Handles are opaque; no OpenSSL type leaks out. Not thread-safe per handle.
 */
#ifndef HB_CRYPTO_ASYM_H
#define HB_CRYPTO_ASYM_H

#include <stddef.h>
#include <stdint.h>

#include <crypto/crypto.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Opaque handles. */
struct crypto_kex;
struct crypto_sigkey;

/* TLS NamedGroup values (RFC 9846 §4.2.7). */
enum crypto_group {
	CRYPTO_GROUP_SECP256R1 = 0x0017,
	CRYPTO_GROUP_X25519 = 0x001d,
};

#define CRYPTO_KEX_MAX_PUB    65 /* uncompressed P-256 point */
#define CRYPTO_KEX_MAX_SHARED 32

/*
 * Generate an ephemeral key pair for group.
 * @return 0, CRYPTO_ERR_UNSUPPORTED (group), CRYPTO_ERR_NOMEM, CRYPTO_ERR_LIB
 */
int crypto_kex_new(struct crypto_kex **out, struct crypto_ctx *ctx, enum crypto_group group);
void crypto_kex_free(struct crypto_kex *kex);
/* Our public share as sent in key_share; *len receives its length. */
int crypto_kex_public(const struct crypto_kex *kex, uint8_t *buf, size_t cap, size_t *len);
/*
 * Shared secret with the peer's share. A malformed share or an all-zero X25519 result is
 * CRYPTO_ERR_INVAL (TLS: illegal_parameter).
 */
int crypto_kex_derive(struct crypto_kex *kex, const uint8_t *peer, size_t peer_len, uint8_t *secret,
		      size_t cap, size_t *secret_len);

/* TLS SignatureScheme values (RFC 9846 §4.2.3). */
enum crypto_sig_scheme {
	CRYPTO_SIG_ECDSA_SECP256R1_SHA256 = 0x0403,
	CRYPTO_SIG_RSA_PSS_RSAE_SHA256 = 0x0804,
	CRYPTO_SIG_ED25519 = 0x0807,
};

/* Generate a signing key (tests and benchmarks; servers load theirs from PEM in crypto/tls). */
int crypto_sigkey_generate(struct crypto_sigkey **out, struct crypto_ctx *ctx,
			   enum crypto_sig_scheme scheme);
void crypto_sigkey_free(struct crypto_sigkey *key);
/* Sign msg; *sig_len receives the length. @return 0, CRYPTO_ERR_INVAL (cap), CRYPTO_ERR_LIB */
int crypto_sign(struct crypto_sigkey *key, const uint8_t *msg, size_t msg_len, uint8_t *sig,
		size_t cap, size_t *sig_len);
/* Verify with the key's public half. @return 0 or CRYPTO_ERR_AUTH */
int crypto_verify(struct crypto_sigkey *key, const uint8_t *msg, size_t msg_len, const uint8_t *sig,
		  size_t sig_len);

#ifdef __cplusplus
}
#endif

#endif /* HB_CRYPTO_ASYM_H */
