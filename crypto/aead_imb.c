/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The Intel ipsec-mb packet-protection engine (built with HB_HAVE_IPSEC_MB).
 *
 * AES-GCM goes through the direct API with the gcm_key_data expanded once per key
 * (IMB_AES{128,256}_GCM_PRE), for single packets and inside bursts alike (see imb_burst for
 * why). ChaCha20-Poly1305 goes through the job API: one job for a single packet, and the
 * ChaCha20 packets of a burst as one burst of jobs (IMB_GET_NEXT_BURST,
 * IMB_SUBMIT_BURST_NOCHECK, IMB_FLUSH_BURST). aead.c has validated every op before it gets
 * here, hence the unchecked submits.
 *
 * ipsec-mb never compares tags itself: open computes the tag and compares it in constant time.
 * Every call leaves the manager's queue empty, so a context's manager carries no state from one
 * call to the next.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <immintrin.h>
#include <intel-ipsec-mb.h>
#include <openssl/crypto.h>

#include <crypto/crypto.h>

#include "aead_internal.h"
#include "crypto_internal.h"

struct crypto_imb {
	IMB_MGR *mgr;
	size_t key_bytes; /* of struct imb_key that a handle carries (see key_bytes_used) */
};

/*
 * Per-key state at crypto_aead.state (64-byte aligned, as gcm_key_data wants): the key alone.
 * The manager is the context's, and the GCM function for the key size is picked from it per
 * call (what IMB_AES128_GCM_ENC does too); every idle connection keeps three handles.
 */
struct imb_key {
	union {
		struct gcm_key_data gcm;
		uint8_t chacha[32];
	};
};

/*
 * How much of struct imb_key the manager's GCM code uses. gcm_key_data is a union of the hash
 * key tables of every code path: 768 bytes for VAES/AVX-512, of which the SSE/AVX paths fill
 * 256 and the AVX2 path 128. A handle for every key of every connection (three per idle
 * connection, issue #6) would carry up to 640 bytes never touched. The part used is found
 * once per manager rather than assumed per library version: both key sizes are expanded
 * twice, over two different fillings; every byte the expansion writes comes out the same in
 * both, and the encrypt and decrypt functions read only what the expansion wrote (the hash
 * keys it precomputed and the round keys). The result is rounded up to 64 bytes.
 */
static size_t
key_bytes_used(IMB_MGR *mgr)
{
	static const uint8_t key[32] = {0x5c, 0x36, 0xa5};
	size_t sz = sizeof(struct gcm_key_data), used = 0;
	uint8_t *a = crypto_zalloc_aligned(64, sz), *b = crypto_zalloc_aligned(64, sz);

	if (a != NULL && b != NULL) {
		for (int pass = 0; pass < 2; pass++) {
			memset(a, 0x00, sz);
			memset(b, 0xff, sz);
			if (pass == 0) {
				IMB_AES128_GCM_PRE(mgr, key, (struct gcm_key_data *)(void *)a);
				IMB_AES128_GCM_PRE(mgr, key, (struct gcm_key_data *)(void *)b);
			} else {
				IMB_AES256_GCM_PRE(mgr, key, (struct gcm_key_data *)(void *)a);
				IMB_AES256_GCM_PRE(mgr, key, (struct gcm_key_data *)(void *)b);
			}
			for (size_t i = used; i < sz; i++)
				if (a[i] == b[i])
					used = i + 1;
		}
	}
	free(a);
	free(b);
	/* A failed probe keeps the whole union. */
	if (used == 0 || imb_get_errno(mgr) != 0)
		used = sz;
	used = (used + 63) & ~(size_t)63;
	if (used < sizeof(((struct imb_key *)0)->chacha))
		used = 64;
	return offsetof(struct imb_key, gcm) + used;
}

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
	imb->key_bytes = key_bytes_used(imb->mgr);
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

void
crypto_imb_aes_keyexp(struct crypto_imb *imb, const uint8_t *key, size_t key_len,
		      uint8_t *round_keys)
{
	/* ipsec-mb expands the decryption keys alongside; header protection only encrypts. */
	_Alignas(16) uint8_t dec[15 * 16];

	if (key_len == 32)
		IMB_AES_KEYEXP_256(imb->mgr, key, round_keys, dec);
	else
		IMB_AES_KEYEXP_128(imb->mgr, key, round_keys, dec);
	OPENSSL_cleanse(dec, sizeof(dec));
}

/*
 * AES-NI rounds over the expanded keys, one block at a time (a header-protection mask is one
 * block per packet; the instructions are constant-time, RFC 9001 §9.5). The manager's own
 * ECB goes through a job per call, which costs more than the block for a single sample.
 */
__attribute__((target("aes,sse2"))) static inline __m128i
round_key(const uint8_t *round_keys, unsigned r)
{
	return _mm_loadu_si128((const __m128i *)(const void *)(round_keys + 16 * r));
}

/* Four blocks at a time: the rounds of independent blocks overlap in the AES unit. */
__attribute__((target("aes,sse2"))) static void
aes_ecb4(const uint8_t *round_keys, unsigned rounds, uint8_t *blocks)
{
	__m128i *blk = (__m128i *)(void *)blocks;
	__m128i k = round_key(round_keys, 0);
	__m128i x0 = _mm_xor_si128(_mm_loadu_si128(blk), k);
	__m128i x1 = _mm_xor_si128(_mm_loadu_si128(blk + 1), k);
	__m128i x2 = _mm_xor_si128(_mm_loadu_si128(blk + 2), k);
	__m128i x3 = _mm_xor_si128(_mm_loadu_si128(blk + 3), k);

	for (unsigned r = 1; r < rounds; r++) {
		k = round_key(round_keys, r);
		x0 = _mm_aesenc_si128(x0, k);
		x1 = _mm_aesenc_si128(x1, k);
		x2 = _mm_aesenc_si128(x2, k);
		x3 = _mm_aesenc_si128(x3, k);
	}
	k = round_key(round_keys, rounds);
	_mm_storeu_si128(blk, _mm_aesenclast_si128(x0, k));
	_mm_storeu_si128(blk + 1, _mm_aesenclast_si128(x1, k));
	_mm_storeu_si128(blk + 2, _mm_aesenclast_si128(x2, k));
	_mm_storeu_si128(blk + 3, _mm_aesenclast_si128(x3, k));
}

__attribute__((target("aes,sse2"))) void
crypto_imb_aes_ecb(const uint8_t *round_keys, unsigned rounds, uint8_t *blocks, unsigned n)
{
	unsigned b = 0;

	for (; b + 4 <= n; b += 4)
		aes_ecb4(round_keys, rounds, blocks + 16 * b);
	for (; b < n; b++) {
		__m128i *blk = (__m128i *)(void *)(blocks + 16 * b);
		__m128i x = _mm_xor_si128(_mm_loadu_si128(blk), round_key(round_keys, 0));

		for (unsigned r = 1; r < rounds; r++)
			x = _mm_aesenc_si128(x, round_key(round_keys, r));
		_mm_storeu_si128(blk, _mm_aesenclast_si128(x, round_key(round_keys, rounds)));
	}
}

static inline struct imb_key *
key_of(struct crypto_aead *a)
{
	return (struct imb_key *)(void *)a->state;
}

static inline IMB_MGR *
mgr_of(const struct crypto_aead *a)
{
	return a->ctx->imb->mgr;
}

static int
imb_init(struct crypto_aead *a, const uint8_t *key)
{
	IMB_MGR *mgr = mgr_of(a);
	struct imb_key *k = key_of(a);

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

/*
 * AES-GCM through the direct API: encrypt or decrypt data[0..len) in place, tag computed. The
 * library reports only NULL pointers and impossible lengths, which aead.c has ruled out, so
 * no error check is left to do per packet.
 */
static inline void
gcm_crypt(struct crypto_aead *a, const uint8_t *nonce, const uint8_t *aad, size_t aad_len,
	  uint8_t *data, size_t len, uint8_t *tag, bool enc)
{
	const struct imb_key *k = key_of(a);
	const IMB_MGR *mgr = mgr_of(a);
	struct gcm_context_data g;
	aes_gcm_enc_dec_t fn;

	if (a->suite == CRYPTO_SUITE_AES_128_GCM_SHA256)
		fn = enc ? mgr->gcm128_enc : mgr->gcm128_dec;
	else
		fn = enc ? mgr->gcm256_enc : mgr->gcm256_dec;
	if (aad_len == 0)
		aad = empty;
	fn(&k->gcm, &g, data, data, len, nonce, aad, aad_len, tag, CRYPTO_TAG_LEN);
}

/* Fill a ChaCha20-Poly1305 job: encrypt or decrypt data[0..len) in place, tag computed. */
static void
fill_chacha_job(IMB_JOB *job, struct crypto_aead *a, const uint8_t *nonce, const uint8_t *aad,
		size_t aad_len, uint8_t *data, size_t len, uint8_t *tag, bool enc)
{
	const uint8_t *key = key_of(a)->chacha;

	job->enc_keys = key;
	job->dec_keys = key;
	job->key_len_in_bytes = 32;
	job->cipher_mode = IMB_CIPHER_CHACHA20_POLY1305;
	job->hash_alg = IMB_AUTH_CHACHA20_POLY1305;
	job->cipher_direction = enc ? IMB_DIR_ENCRYPT : IMB_DIR_DECRYPT;
	job->chain_order = enc ? IMB_ORDER_CIPHER_HASH : IMB_ORDER_HASH_CIPHER;
	job->src = data;
	job->dst = data;
	job->cipher_start_src_offset_in_bytes = 0;
	job->msg_len_to_cipher_in_bytes = len;
	job->hash_start_src_offset_in_bytes = 0;
	job->msg_len_to_hash_in_bytes = len;
	job->iv = nonce;
	job->iv_len_in_bytes = CRYPTO_IV_LEN;
	job->auth_tag_output = tag;
	job->auth_tag_output_len_in_bytes = CRYPTO_TAG_LEN;
	job->u.CHACHA20_POLY1305.aad = aad_len > 0 ? aad : empty;
	job->u.CHACHA20_POLY1305.aad_len_in_bytes = aad_len;
}

/* One ChaCha20-Poly1305 packet as a single job (the job path is the faster one for it). */
static int
chacha_crypt(struct crypto_aead *a, const uint8_t *nonce, const uint8_t *aad, size_t aad_len,
	     uint8_t *data, size_t len, uint8_t *tag, bool enc)
{
	IMB_MGR *mgr = mgr_of(a);
	IMB_JOB *job = IMB_GET_NEXT_JOB(mgr);
	IMB_JOB *done;

	fill_chacha_job(job, a, nonce, aad, aad_len, data, len, tag, enc);
	done = IMB_SUBMIT_JOB_NOCHECK(mgr);
	/* The queue was empty, so the first job to come back is ours. */
	if (done == NULL)
		done = IMB_FLUSH_JOB(mgr);
	return done == job && job->status == IMB_STATUS_COMPLETED ? 0 : CRYPTO_ERR_LIB;
}

static int
imb_seal(struct crypto_aead *a, const uint8_t nonce[CRYPTO_IV_LEN], const uint8_t *aad,
	 size_t aad_len, uint8_t *data, size_t len)
{
	if (a->suite == CRYPTO_SUITE_CHACHA20_POLY1305_SHA256)
		return chacha_crypt(a, nonce, aad, aad_len, data, len, data + len, true);
	gcm_crypt(a, nonce, aad, aad_len, data, len, data + len, true);
	return 0;
}

static int
imb_open(struct crypto_aead *a, const uint8_t nonce[CRYPTO_IV_LEN], const uint8_t *aad,
	 size_t aad_len, uint8_t *data, size_t len)
{
	uint8_t tag[CRYPTO_TAG_LEN];
	int rc = 0;

	if (a->suite == CRYPTO_SUITE_CHACHA20_POLY1305_SHA256)
		rc = chacha_crypt(a, nonce, aad, aad_len, data, len, tag, false);
	else
		gcm_crypt(a, nonce, aad, aad_len, data, len, tag, false);
	if (rc != 0)
		return rc;
	/* ipsec-mb only computes the tag: compare it in constant time. */
	return CRYPTO_memcmp(tag, data + len, CRYPTO_TAG_LEN) == 0 ? 0 : CRYPTO_ERR_AUTH;
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
static void
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
}

/*
 * The ChaCha20-Poly1305 ops of a burst, submitted as one burst of jobs. want ops qualify; the
 * queue is empty on entry (every call drains it), so they all fit.
 */
static void
chacha_burst(struct crypto_aead_op *ops, const uint8_t (*nonces)[CRYPTO_IV_LEN], unsigned n,
	     unsigned want, bool seal)
{
	IMB_MGR *mgr = mgr_of(ops[0].aead);
	uint8_t tags[CRYPTO_BURST_CHUNK][CRYPTO_TAG_LEN];
	IMB_JOB *jobs[CRYPTO_BURST_CHUNK];
	unsigned j = 0;

	bool as_burst = IMB_GET_NEXT_BURST(mgr, want, jobs) >= want;

	for (unsigned i = 0; i < n; i++) {
		struct crypto_aead_op *op = &ops[i];
		size_t len = seal ? op->len : op->len - CRYPTO_TAG_LEN;

		if (op->status != 0 || op->aead->suite != CRYPTO_SUITE_CHACHA20_POLY1305_SHA256)
			continue;
		/* Not expected (the queue holds 2 * IMB_MAX_BURST_SIZE), but never fatal. */
		if (!as_burst) {
			op->status = seal ? imb_seal(op->aead, nonces[i], op->aad, op->aad_len,
						     op->data, len)
					  : imb_open(op->aead, nonces[i], op->aad, op->aad_len,
						     op->data, len);
			continue;
		}
		fill_chacha_job(jobs[j], op->aead, nonces[i], op->aad, op->aad_len, op->data, len,
				seal ? op->data + len : tags[j], seal);
		jobs[j]->user_data = op;
		/* Until its job completes an op counts as failed. */
		op->status = CRYPTO_ERR_LIB;
		j++;
	}
	if (as_burst)
		run_burst(mgr, jobs, want, seal);
}

/*
 * ipsec-mb 1.3 has no multi-buffer AES-GCM: its GCM jobs run the same single-buffer code as the
 * direct API plus the job bookkeeping (measured 3 % slower at 1200 bytes, 15 % at 64 bytes).
 * So the GCM ops of a burst go through the direct API, and the ChaCha20-Poly1305 ops, where
 * the job path is the faster one, are submitted together as one burst of jobs.
 */
static void
imb_burst(struct crypto_aead_op *ops, const uint8_t (*nonces)[CRYPTO_IV_LEN], unsigned n, bool seal)
{
	unsigned chacha = 0;

	for (unsigned i = 0; i < n; i++) {
		struct crypto_aead_op *op = &ops[i];
		struct crypto_aead *a = op->aead;

		if (op->status != 0)
			continue;
		if (a->suite == CRYPTO_SUITE_CHACHA20_POLY1305_SHA256)
			chacha++;
		else if (seal)
			op->status =
				imb_seal(a, nonces[i], op->aad, op->aad_len, op->data, op->len);
		else
			op->status = imb_open(a, nonces[i], op->aad, op->aad_len, op->data,
					      op->len - CRYPTO_TAG_LEN);
	}
	if (chacha > 0)
		chacha_burst(ops, nonces, n, chacha, seal);
}

/* A run of GCM packets on one handle, calling the GCM functions directly. */
static unsigned
imb_run(struct crypto_aead *a, struct crypto_aead_op *ops, unsigned n, bool seal)
{
	return crypto_aead_run_loop(a, ops, n, seal, imb_seal, imb_open);
}

/* One update over len bytes from in to out, skipped when empty. */
static inline void
gcm_update(aes_gcm_enc_dec_update_t fn, const struct gcm_key_data *k, struct gcm_context_data *g,
	   uint8_t *out, const uint8_t *in, size_t len)
{
	if (len > 0)
		fn(k, g, out, in, len);
}

/*
 * AES-GCM seal of data[0..len) whose bytes [at, at + src->len[0] + src->len[1]) are read from
 * the pieces, written as ciphertext into data: the direct API's init / update / finalize,
 * which carries a partial block from one update to the next, so the pieces may split
 * anywhere. The same bytes as gcm_crypt() over the assembled plaintext, without assembling it.
 */
static void
gcm_seal_src(struct crypto_aead *a, const uint8_t *nonce, const uint8_t *aad, size_t aad_len,
	     uint8_t *data, size_t len, const struct crypto_aead_src *src)
{
	const struct imb_key *k = key_of(a);
	const IMB_MGR *mgr = mgr_of(a);
	bool aes128 = a->suite == CRYPTO_SUITE_AES_128_GCM_SHA256;
	aes_gcm_init_t init = aes128 ? mgr->gcm128_init : mgr->gcm256_init;
	aes_gcm_enc_dec_update_t upd = aes128 ? mgr->gcm128_enc_update : mgr->gcm256_enc_update;
	aes_gcm_enc_dec_finalize_t fin =
		aes128 ? mgr->gcm128_enc_finalize : mgr->gcm256_enc_finalize;
	size_t mid = src->at + src->len[0], end = mid + src->len[1];
	struct gcm_context_data g;

	init(&k->gcm, &g, nonce, aad_len > 0 ? aad : empty, aad_len);
	gcm_update(upd, &k->gcm, &g, data, data, src->at);
	gcm_update(upd, &k->gcm, &g, data + src->at, src->src[0], src->len[0]);
	gcm_update(upd, &k->gcm, &g, data + mid, src->src[1], src->len[1]);
	gcm_update(upd, &k->gcm, &g, data + end, data + end, len - end);
	fin(&k->gcm, &g, data + len, CRYPTO_TAG_LEN);
}

/* imb_run() for seals with plaintext elsewhere (GCM handles only: ChaCha20 is batched). */
static unsigned
imb_seal_src(struct crypto_aead *a, struct crypto_aead_op *ops, const struct crypto_aead_src *src,
	     unsigned n)
{
	uint8_t nonce[CRYPTO_IV_LEN];
	unsigned ok = 0;

	for (unsigned i = 0; i < n; i++) {
		struct crypto_aead_op *op = &ops[i];

		op->status = seal_check(a, op->pn, op->aad, op->aad_len, op->data, op->len);
		if (op->status != 0)
			continue;
		make_nonce(a, op->pn, nonce);
		if (src[i].len[0] + src[i].len[1] == 0)
			op->status = imb_seal(a, nonce, op->aad, op->aad_len, op->data, op->len);
		else if (a->suite == CRYPTO_SUITE_CHACHA20_POLY1305_SHA256) /* batched: not here */
			op->status = CRYPTO_ERR_INVAL;
		else
			gcm_seal_src(a, nonce, op->aad, op->aad_len, op->data, op->len, &src[i]);
		ok += op->status == 0;
	}
	return ok;
}

/* Only ChaCha20-Poly1305 gains from a burst of jobs (GCM has no multi-buffer path in 1.3). */
static bool
imb_batches(const struct crypto_aead *a)
{
	return a->suite == CRYPTO_SUITE_CHACHA20_POLY1305_SHA256;
}

static size_t
imb_state_bytes(const struct crypto_ctx *ctx)
{
	return ctx->imb->key_bytes;
}

const struct crypto_aead_engine crypto_aead_engine_imb = {
	.id = CRYPTO_ENGINE_IPSEC_MB,
	.state_size = sizeof(struct imb_key),
	.state_bytes = imb_state_bytes,
	.init = imb_init,
	.fini = imb_fini,
	.seal = imb_seal,
	.open = imb_open,
	.burst = imb_burst,
	.batches = imb_batches,
	.run = imb_run,
	.seal_src = imb_seal_src,
};
