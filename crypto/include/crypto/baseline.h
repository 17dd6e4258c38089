/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The ipsec-mb library called bare, with none of our handle, nonce or counter logic: the
 * micro-benchmark measures our engine against it in the same run (our path must stay within
 * 10 % of it). Not for use on the packet path.
 */
#ifndef HB_CRYPTO_BASELINE_H
#define HB_CRYPTO_BASELINE_H

#include <stddef.h>
#include <stdint.h>

#include <crypto/crypto.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Opaque handle: an ipsec-mb manager and one expanded AES-128-GCM key. */
struct crypto_imb_bare;

/* @return 0, CRYPTO_ERR_UNSUPPORTED (built without ipsec-mb or no AES-NI), CRYPTO_ERR_NOMEM */
int crypto_imb_bare_new(struct crypto_imb_bare **out, const uint8_t key[16]);
void crypto_imb_bare_free(struct crypto_imb_bare *b);
/* One AES-128-GCM seal straight through IMB_AES128_GCM_ENC; tag written at data[len..len+16). */
void crypto_imb_bare_seal(struct crypto_imb_bare *b, const uint8_t iv[12], const uint8_t *aad,
			  size_t aad_len, uint8_t *data, size_t len);
/* n seals of the same shape submitted as one IMB_SUBMIT_BURST of jobs (bare burst baseline). */
void crypto_imb_bare_seal_burst(struct crypto_imb_bare *b, const uint8_t iv[12], const uint8_t *aad,
				size_t aad_len, uint8_t **data, size_t len, unsigned n);

#ifdef __cplusplus
}
#endif

#endif /* HB_CRYPTO_BASELINE_H */
