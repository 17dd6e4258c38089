/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The Intel ipsec-mb packet-protection engine (built with HB_HAVE_IPSEC_MB).
 *
 * Single packets go through the direct API: AES-GCM with the gcm_key_data expanded once per
 * key (IMB_AES{128,256}_GCM_PRE), ChaCha20-Poly1305 through its init/update/finalize calls.
 * Bursts are submitted as one burst of jobs (IMB_GET_NEXT_BURST / IMB_SUBMIT_BURST_NOCHECK,
 * then IMB_FLUSH_BURST), so ops with different keys and suites share one library call. aead.c
 * has validated every op before it gets here, hence the unchecked submit.
 *
 * ipsec-mb never compares tags itself: open computes the tag and compares it in constant time.
 * Every call leaves the manager's queue empty, so a context's manager carries no state from one
 * call to the next.
 */
#include <stdlib.h>
#include <string.h>

#include <intel-ipsec-mb.h>
#include <openssl/crypto.h>

#include <crypto/crypto.h>

#include "aead_internal.h"
#include "crypto_internal.h"

struct crypto_imb {
	IMB_MGR *mgr;
};

/* Per-key state at crypto_aead.state (64-byte aligned, as gcm_key_data wants). */
union imb_key {
	struct gcm_key_data gcm;
	uint8_t chacha[32];
};

/* ipsec-mb checks pointers even for empty input: give it a valid one. */
static const uint8_t empty[16];

bool
crypto_imb_cpu_ok(void)
{
	return (imb_get_feature_flags() & IMB_FEATURE_AESNI) != 0;
}

int
crypto_imb_new(struct crypto_imb **out)
{
	struct crypto_imb *imb;
	IMB_ARCH arch = IMB_ARCH_NONE;

	*out = NULL;
	imb = calloc(1, sizeof(*imb));
	if (imb == NULL)
		return CRYPTO_ERR_NOMEM;
	imb->mgr = alloc_mb_mgr(0);
	if (imb->mgr == NULL) {
		free(imb);
		return CRYPTO_ERR_NOMEM;
	}
	init_mb_mgr_auto(imb->mgr, &arch);
	/* Without AES-NI the library would run its slow emulation: EVP is the better choice. */
	if (imb_get_errno(imb->mgr) != 0 || arch == IMB_ARCH_NONE || arch == IMB_ARCH_NOAESNI) {
		crypto_imb_free(imb);
		return CRYPTO_ERR_UNSUPPORTED;
	}
	*out = imb;
	return 0;
}

void
crypto_imb_free(struct crypto_imb *imb)
{
	if (imb == NULL)
		return;
	free_mb_mgr(imb->mgr);
	free(imb);
}

static inline IMB_MGR *
mgr_of(const struct crypto_aead *a)
{
	return a->ctx->imb->mgr;
}

static inline union imb_key *
key_of(struct crypto_aead *a)
{
	return (union imb_key *)(void *)a->state;
}

static int
imb_init(struct crypto_aead *a, const uint8_t *key)
{
	IMB_MGR *mgr = mgr_of(a);
	union imb_key *k = key_of(a);

	switch (a->suite) {
	case CRYPTO_SUITE_AES_128_GCM_SHA256:
		IMB_AES128_GCM_PRE(mgr, key, &k->gcm);
		break;
	case CRYPTO_SUITE_AES_256_GCM_SHA384:
		IMB_AES256_GCM_PRE(mgr, key, &k->gcm);
		break;
	case CRYPTO_SUITE_CHACHA20_POLY1305_SHA256:
		memcpy(k->chacha, key, sizeof(k->chacha));
		return 0;
	default:
		return CRYPTO_ERR_INVAL;
	}
	return imb_get_errno(mgr) == 0 ? 0 : CRYPTO_ERR_LIB;
}

static void
imb_fini(struct crypto_aead *a)
{
	(void)a; /* the key lives in a->state, which aead.c wipes and frees */
}

/* Encrypt (enc) or decrypt data[0..len) in place and compute the tag into tag. */
static int
imb_crypt(struct crypto_aead *a, const uint8_t *nonce, const uint8_t *aad, size_t aad_len,
	  uint8_t *data, size_t len, uint8_t *tag, bool enc)
{
	IMB_MGR *mgr = mgr_of(a);
	union imb_key *k = key_of(a);
	struct gcm_context_data g;
	struct chacha20_poly1305_context_data c;

	if (aad_len == 0)
		aad = empty;
	switch (a->suite) {
	case CRYPTO_SUITE_AES_128_GCM_SHA256:
		if (enc)
			IMB_AES128_GCM_ENC(mgr, &k->gcm, &g, data, data, len, nonce, aad, aad_len,
					   tag, CRYPTO_TAG_LEN);
		else
			IMB_AES128_GCM_DEC(mgr, &k->gcm, &g, data, data, len, nonce, aad, aad_len,
					   tag, CRYPTO_TAG_LEN);
		break;
	case CRYPTO_SUITE_AES_256_GCM_SHA384:
		if (enc)
			IMB_AES256_GCM_ENC(mgr, &k->gcm, &g, data, data, len, nonce, aad, aad_len,
					   tag, CRYPTO_TAG_LEN);
		else
			IMB_AES256_GCM_DEC(mgr, &k->gcm, &g, data, data, len, nonce, aad, aad_len,
					   tag, CRYPTO_TAG_LEN);
		break;
	default:
		IMB_CHACHA20_POLY1305_INIT(mgr, k->chacha, &c, nonce, aad, aad_len);
		if (enc) {
			if (len > 0)
				IMB_CHACHA20_POLY1305_ENC_UPDATE(mgr, k->chacha, &c, data, data,
								 len);
			IMB_CHACHA20_POLY1305_ENC_FINALIZE(mgr, &c, tag, CRYPTO_TAG_LEN);
		} else {
			if (len > 0)
				IMB_CHACHA20_POLY1305_DEC_UPDATE(mgr, k->chacha, &c, data, data,
								 len);
			IMB_CHACHA20_POLY1305_DEC_FINALIZE(mgr, &c, tag, CRYPTO_TAG_LEN);
		}
		break;
	}
	return imb_get_errno(mgr) == 0 ? 0 : CRYPTO_ERR_LIB;
}

static int
imb_seal(struct crypto_aead *a, const uint8_t nonce[CRYPTO_IV_LEN], const uint8_t *aad,
	 size_t aad_len, uint8_t *data, size_t len)
{
	return imb_crypt(a, nonce, aad, aad_len, data, len, data + len, true);
}

static int
imb_open(struct crypto_aead *a, const uint8_t nonce[CRYPTO_IV_LEN], const uint8_t *aad,
	 size_t aad_len, uint8_t *data, size_t len)
{
	uint8_t tag[CRYPTO_TAG_LEN];
	int rc = imb_crypt(a, nonce, aad, aad_len, data, len, tag, false);

	if (rc != 0)
		return rc;
	return CRYPTO_memcmp(tag, data + len, CRYPTO_TAG_LEN) == 0 ? 0 : CRYPTO_ERR_AUTH;
}

/* Fill one burst job for op; tag receives the computed tag. */
static void
fill_job(IMB_JOB *job, struct crypto_aead_op *op, const uint8_t *nonce, uint8_t *tag, size_t len,
	 bool seal)
{
	struct crypto_aead *a = op->aead;
	union imb_key *k = key_of(a);
	const void *aad = op->aad_len > 0 ? (const void *)op->aad : (const void *)empty;

	job->src = op->data;
	job->dst = op->data;
	job->cipher_start_src_offset_in_bytes = 0;
	job->msg_len_to_cipher_in_bytes = len;
	job->hash_start_src_offset_in_bytes = 0;
	job->msg_len_to_hash_in_bytes = len;
	job->iv = nonce;
	job->iv_len_in_bytes = CRYPTO_IV_LEN;
	job->auth_tag_output = tag;
	job->auth_tag_output_len_in_bytes = CRYPTO_TAG_LEN;
	job->cipher_direction = seal ? IMB_DIR_ENCRYPT : IMB_DIR_DECRYPT;
	job->chain_order = seal ? IMB_ORDER_CIPHER_HASH : IMB_ORDER_HASH_CIPHER;
	job->user_data = op;
	if (a->suite == CRYPTO_SUITE_CHACHA20_POLY1305_SHA256) {
		job->enc_keys = k->chacha;
		job->dec_keys = k->chacha;
		job->key_len_in_bytes = 32;
		job->cipher_mode = IMB_CIPHER_CHACHA20_POLY1305;
		job->hash_alg = IMB_AUTH_CHACHA20_POLY1305;
		job->u.CHACHA20_POLY1305.aad = aad;
		job->u.CHACHA20_POLY1305.aad_len_in_bytes = op->aad_len;
	} else {
		job->enc_keys = &k->gcm;
		job->dec_keys = &k->gcm;
		job->key_len_in_bytes = a->suite == CRYPTO_SUITE_AES_128_GCM_SHA256 ? 16 : 32;
		job->cipher_mode = IMB_CIPHER_GCM;
		job->hash_alg = IMB_AUTH_AES_GMAC;
		job->u.GCM.aad = aad;
		job->u.GCM.aad_len_in_bytes = op->aad_len;
	}
}

/* Record the outcome of completed jobs; open compares the computed tag with the received. */
static void
finish_jobs(IMB_JOB **jobs, unsigned n, bool seal)
{
	for (unsigned i = 0; i < n; i++) {
		struct crypto_aead_op *op = jobs[i]->user_data;
		const uint8_t *tag = jobs[i]->auth_tag_output;

		if (jobs[i]->status != IMB_STATUS_COMPLETED)
			op->status = CRYPTO_ERR_LIB;
		else if (seal)
			op->status = 0;
		else if (CRYPTO_memcmp(tag, op->data + op->len - CRYPTO_TAG_LEN, CRYPTO_TAG_LEN))
			op->status = CRYPTO_ERR_AUTH;
		else
			op->status = 0;
	}
}

/* Submit jobs[0..n) as one burst and drain the manager until all n have completed. */
static unsigned
run_burst(IMB_MGR *mgr, IMB_JOB **jobs, unsigned n, bool seal)
{
	unsigned done = IMB_SUBMIT_BURST_NOCHECK(mgr, n, jobs);

	finish_jobs(jobs, done, seal);
	while (done < n) {
		unsigned k = IMB_FLUSH_BURST(mgr, n - done, jobs);

		if (k == 0)
			break;
		finish_jobs(jobs, k, seal);
		done += k;
	}
	return done;
}

static void
imb_burst(struct crypto_aead_op *ops, const uint8_t (*nonces)[CRYPTO_IV_LEN], unsigned n, bool seal)
{
	IMB_MGR *mgr = mgr_of(ops[0].aead);
	uint8_t tags[CRYPTO_BURST_CHUNK][CRYPTO_TAG_LEN];
	IMB_JOB *jobs[CRYPTO_BURST_CHUNK];
	unsigned want = 0, got, j = 0;

	for (unsigned i = 0; i < n; i++)
		want += ops[i].status == 0;
	if (want == 0)
		return;
	/* The queue is empty on entry (every call drains it), so the whole chunk fits. */
	got = IMB_GET_NEXT_BURST(mgr, want, jobs);
	if (got < want) {
		crypto_aead_burst_loop(ops, nonces, n, seal);
		return;
	}
	for (unsigned i = 0; i < n; i++) {
		struct crypto_aead_op *op = &ops[i];
		size_t len = seal ? op->len : op->len - CRYPTO_TAG_LEN;

		if (op->status != 0)
			continue;
		fill_job(jobs[j], op, nonces[i], seal ? op->data + len : tags[j], len, seal);
		/* Until its job completes an op counts as failed. */
		op->status = CRYPTO_ERR_LIB;
		j++;
	}
	run_burst(mgr, jobs, want, seal);
}

const struct crypto_aead_engine crypto_aead_engine_imb = {
	.id = CRYPTO_ENGINE_IPSEC_MB,
	.state_size = sizeof(union imb_key),
	.init = imb_init,
	.fini = imb_fini,
	.seal = imb_seal,
	.open = imb_open,
	.burst = imb_burst,
};
