/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The bare ipsec-mb baseline for the micro-benchmark: AES-128-GCM straight through the
 * library with nothing of ours around it (no handle lookup, nonce XOR, counters or checks), so
 * that the benchmark can report our engine's overhead over the library itself.
 */
#include <stdlib.h>
#include <string.h>

#include <crypto/baseline.h>

#ifdef HB_HAVE_IPSEC_MB

#include <intel-ipsec-mb.h>

#include "crypto_internal.h"

#define BARE_BURST_MAX 64

struct crypto_imb_bare {
	struct gcm_key_data key; /* first: the allocation is 64-byte aligned */
	IMB_MGR *mgr;
};

int
crypto_imb_bare_new(struct crypto_imb_bare **out, const uint8_t key[16])
{
	struct crypto_imb_bare *b;
	size_t size = (sizeof(*b) + 63) & ~(size_t)63;
	IMB_ARCH arch = IMB_ARCH_NONE;

	*out = NULL;
	if (!crypto_imb_cpu_ok())
		return CRYPTO_ERR_UNSUPPORTED;
	b = aligned_alloc(64, size);
	if (b == NULL)
		return CRYPTO_ERR_NOMEM;
	memset(b, 0, size);
	b->mgr = alloc_mb_mgr(0);
	if (b->mgr == NULL) {
		free(b);
		return CRYPTO_ERR_NOMEM;
	}
	init_mb_mgr_auto(b->mgr, &arch);
	if (imb_get_errno(b->mgr) != 0 || arch == IMB_ARCH_NONE || arch == IMB_ARCH_NOAESNI) {
		crypto_imb_bare_free(b);
		return CRYPTO_ERR_UNSUPPORTED;
	}
	IMB_AES128_GCM_PRE(b->mgr, key, &b->key);
	*out = b;
	return 0;
}

void
crypto_imb_bare_free(struct crypto_imb_bare *b)
{
	if (b == NULL)
		return;
	free_mb_mgr(b->mgr);
	crypto_wipe(&b->key, sizeof(b->key));
	free(b);
}

void
crypto_imb_bare_seal(struct crypto_imb_bare *b, const uint8_t iv[12], const uint8_t *aad,
		     size_t aad_len, uint8_t *data, size_t len)
{
	struct gcm_context_data ctx;

	IMB_AES128_GCM_ENC(b->mgr, &b->key, &ctx, data, data, len, iv, aad, aad_len, data + len,
			   16);
}

void
crypto_imb_bare_seal_burst(struct crypto_imb_bare *b, const uint8_t iv[12], const uint8_t *aad,
			   size_t aad_len, uint8_t **data, size_t len, unsigned n)
{
	IMB_JOB *jobs[BARE_BURST_MAX];

	while (n > 0) {
		unsigned k = n < BARE_BURST_MAX ? n : BARE_BURST_MAX;
		unsigned done;

		k = IMB_GET_NEXT_BURST(b->mgr, k, jobs);
		for (unsigned i = 0; i < k; i++) {
			IMB_JOB *j = jobs[i];

			j->enc_keys = &b->key;
			j->dec_keys = &b->key;
			j->key_len_in_bytes = 16;
			j->src = data[i];
			j->dst = data[i];
			j->cipher_start_src_offset_in_bytes = 0;
			j->msg_len_to_cipher_in_bytes = len;
			j->hash_start_src_offset_in_bytes = 0;
			j->msg_len_to_hash_in_bytes = len;
			j->iv = iv;
			j->iv_len_in_bytes = 12;
			j->auth_tag_output = data[i] + len;
			j->auth_tag_output_len_in_bytes = 16;
			j->u.GCM.aad = aad;
			j->u.GCM.aad_len_in_bytes = aad_len;
			j->cipher_mode = IMB_CIPHER_GCM;
			j->hash_alg = IMB_AUTH_AES_GMAC;
			j->cipher_direction = IMB_DIR_ENCRYPT;
			j->chain_order = IMB_ORDER_CIPHER_HASH;
		}
		done = IMB_SUBMIT_BURST_NOCHECK(b->mgr, k, jobs);
		while (done < k) {
			unsigned f = IMB_FLUSH_BURST(b->mgr, k - done, jobs);

			if (f == 0)
				break;
			done += f;
		}
		data += k;
		n -= k;
	}
}

#else /* !HB_HAVE_IPSEC_MB */

int
crypto_imb_bare_new(struct crypto_imb_bare **out, const uint8_t key[16])
{
	(void)key;
	*out = NULL;
	return CRYPTO_ERR_UNSUPPORTED;
}

void
crypto_imb_bare_free(struct crypto_imb_bare *b)
{
	(void)b;
}

void
crypto_imb_bare_seal(struct crypto_imb_bare *b, const uint8_t iv[12], const uint8_t *aad,
		     size_t aad_len, uint8_t *data, size_t len)
{
	(void)b, (void)iv, (void)aad, (void)aad_len, (void)data, (void)len;
}

void
crypto_imb_bare_seal_burst(struct crypto_imb_bare *b, const uint8_t iv[12], const uint8_t *aad,
			   size_t aad_len, uint8_t **data, size_t len, unsigned n)
{
	(void)b, (void)iv, (void)aad, (void)aad_len, (void)data, (void)len, (void)n;
}

#endif /* HB_HAVE_IPSEC_MB */
