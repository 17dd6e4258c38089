/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * AES-128-GCM (NIST SP 800-38D) for short messages, with AES-NI and PCLMULQDQ intrinsics.
 *
 * Why: a Retry costs two short GCMs, the token seal (about 30 bytes of plaintext, 45 of AAD)
 * and the Retry Integrity Tag (RFC 9001 §5.8: no plaintext, the ~100-byte pseudo-packet as
 * AAD), and a validated Initial one token open. ipsec-mb's code is built for long messages:
 * its GHASH of the AAD does a full multiply-and-reduce per block and each call sets up a
 * context for streaming. Here the key schedule and H^1..H^8 are expanded once per key, the
 * whole GHASH input (AAD, ciphertext, lengths) is absorbed with one reduction per 8 blocks
 * (aggregated reduction), and E(K, J0) comes out of the first batch of four CTR blocks. For
 * the Retry tag, whose key and nonce are fixed (RFC 9001 §5.8, RFC 9369 §3.3.3), E(K, J0) is
 * precomputed too, so a tag is GHASH alone.
 *
 * Constant time: AES rounds and carry-less multiplies are instructions without data-dependent
 * timing; branches and loop counts depend only on the (public) lengths; no table lookups.
 * Checked against OpenSSL's EVP AES-128-GCM in tests/unit/crypto/test_gcm_short.c.
 *
 * The multiply in the bit-reflected domain follows Gueron and Kounavis, "Intel Carry-Less
 * Multiplication Instruction and its Usage for Computing the GCM Mode" (2010), algorithm 5:
 * a 256-bit carry-less product, shifted left by one, reduced modulo x^128 + x^7 + x^2 + x + 1.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <immintrin.h>

#include <crypto/crypto.h>

#include "aead_internal.h"
#include "crypto_internal.h"
#include "gcm_short.h"

#define GS_TARGET __attribute__((target("aes,pclmul,ssse3,sse4.1")))
#define GS_INLINE GS_TARGET __attribute__((always_inline)) static inline

bool
crypto_gcm_short_cpu_ok(void)
{
	__builtin_cpu_init();
	return __builtin_cpu_supports("aes") && __builtin_cpu_supports("pclmul") &&
	       __builtin_cpu_supports("ssse3") && __builtin_cpu_supports("sse4.1");
}

GS_TARGET static inline __m128i
bswap128(__m128i x)
{
	const __m128i rev = _mm_setr_epi8(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);

	return _mm_shuffle_epi8(x, rev);
}

GS_TARGET static inline __m128i
ld(const uint8_t *p)
{
	return _mm_loadu_si128((const __m128i *)(const void *)p);
}

GS_TARGET static inline void
st(uint8_t *p, __m128i x)
{
	_mm_storeu_si128((__m128i *)(void *)p, x);
}

/* ---- AES-128 ---- */

GS_TARGET static inline __m128i
expand_step(__m128i k, __m128i assist)
{
	__m128i t = _mm_slli_si128(k, 4);

	/* k ^ k<<32 ^ k<<64 ^ k<<96, then the rotated, substituted last word. */
	k = _mm_xor_si128(k, t);
	t = _mm_slli_si128(t, 4);
	k = _mm_xor_si128(k, t);
	t = _mm_slli_si128(t, 4);
	k = _mm_xor_si128(k, t);
	return _mm_xor_si128(k, _mm_shuffle_epi32(assist, 0xff));
}

/* FIPS 197 §5.2; aeskeygenassist wants its round constant as an immediate. */
#define EXPAND(i, rcon)                                                                            \
	(rk[i] = expand_step(rk[(i)-1], _mm_aeskeygenassist_si128(rk[(i)-1], (rcon))))

GS_TARGET static void
aes128_expand(const uint8_t key[16], __m128i rk[11])
{
	rk[0] = ld(key);
	EXPAND(1, 0x01);
	EXPAND(2, 0x02);
	EXPAND(3, 0x04);
	EXPAND(4, 0x08);
	EXPAND(5, 0x10);
	EXPAND(6, 0x20);
	EXPAND(7, 0x40);
	EXPAND(8, 0x80);
	EXPAND(9, 0x1b);
	EXPAND(10, 0x36);
}

GS_TARGET static inline __m128i
aes_block(const struct crypto_gcm_short_key *k, __m128i x)
{
	x = _mm_xor_si128(x, ld(k->rk[0]));
	for (unsigned r = 1; r < 10; r++)
		x = _mm_aesenc_si128(x, ld(k->rk[r]));
	return _mm_aesenclast_si128(x, ld(k->rk[10]));
}

/* Four blocks at a time: the rounds of independent blocks overlap in the AES unit. Named
 * registers rather than an array, which the compiler would keep in memory across rounds. */
GS_INLINE void
aes_block4(const struct crypto_gcm_short_key *k, __m128i *a, __m128i *b, __m128i *c, __m128i *d)
{
	__m128i key = ld(k->rk[0]), x0 = _mm_xor_si128(*a, key), x1 = _mm_xor_si128(*b, key);
	__m128i x2 = _mm_xor_si128(*c, key), x3 = _mm_xor_si128(*d, key);

	for (unsigned r = 1; r < 10; r++) {
		key = ld(k->rk[r]);
		x0 = _mm_aesenc_si128(x0, key);
		x1 = _mm_aesenc_si128(x1, key);
		x2 = _mm_aesenc_si128(x2, key);
		x3 = _mm_aesenc_si128(x3, key);
	}
	key = ld(k->rk[10]);
	*a = _mm_aesenclast_si128(x0, key);
	*b = _mm_aesenclast_si128(x1, key);
	*c = _mm_aesenclast_si128(x2, key);
	*d = _mm_aesenclast_si128(x3, key);
}

/* ---- GHASH ---- */

/* The three parts of a not yet reduced sum of products (Karatsuba: mid before lo and hi are
 * folded out of it, which is linear too, so it is done once per reduction). */
struct wide {
	__m128i lo, mid, hi;
};

/* w += a * b, carry-less, 256 bits; hk is b's two halves XORed (in its low 64 bits). */
GS_INLINE void
clmul_acc(struct wide *w, __m128i a, __m128i b, __m128i hk)
{
	__m128i ak = _mm_xor_si128(a, _mm_shuffle_epi32(a, 0x4e));

	w->lo = _mm_xor_si128(w->lo, _mm_clmulepi64_si128(a, b, 0x00));
	w->hi = _mm_xor_si128(w->hi, _mm_clmulepi64_si128(a, b, 0x11));
	w->mid = _mm_xor_si128(w->mid, _mm_clmulepi64_si128(ak, hk, 0x00));
}

/*
 * The 256-bit product in the reflected domain, shifted left by one bit and reduced modulo the
 * GCM polynomial (Gueron-Kounavis algorithm 5). Linear, so a sum of products reduces once.
 */
GS_INLINE __m128i
reduce(struct wide w)
{
	__m128i mid = _mm_xor_si128(w.mid, _mm_xor_si128(w.lo, w.hi));
	__m128i lo = _mm_xor_si128(w.lo, _mm_slli_si128(mid, 8));
	__m128i hi = _mm_xor_si128(w.hi, _mm_srli_si128(mid, 8));
	__m128i c_lo = _mm_srli_epi32(lo, 31), c_hi = _mm_srli_epi32(hi, 31), t, u, v;

	/* hi:lo <<= 1 across the 32-bit lanes and the 128-bit halves. */
	lo = _mm_slli_epi32(lo, 1);
	hi = _mm_slli_epi32(hi, 1);
	hi = _mm_or_si128(hi, _mm_srli_si128(c_lo, 12));
	hi = _mm_or_si128(hi, _mm_slli_si128(c_hi, 4));
	lo = _mm_or_si128(lo, _mm_slli_si128(c_lo, 4));
	/* First phase: the bits that x^127, x^126, x^121 fold down. */
	t = _mm_xor_si128(_mm_xor_si128(_mm_slli_epi32(lo, 31), _mm_slli_epi32(lo, 30)),
			  _mm_slli_epi32(lo, 25));
	u = _mm_srli_si128(t, 4);
	lo = _mm_xor_si128(lo, _mm_slli_si128(t, 12));
	/* Second phase. */
	v = _mm_xor_si128(_mm_xor_si128(_mm_srli_epi32(lo, 1), _mm_srli_epi32(lo, 2)),
			  _mm_srli_epi32(lo, 7));
	v = _mm_xor_si128(v, u);
	return _mm_xor_si128(hi, _mm_xor_si128(lo, v));
}

GS_INLINE __m128i
gfmul(__m128i a, __m128i b)
{
	struct wide w = {_mm_setzero_si128(), _mm_setzero_si128(), _mm_setzero_si128()};

	clmul_acc(&w, a, b, _mm_xor_si128(b, _mm_shuffle_epi32(b, 0x4e)));
	return reduce(w);
}

/* 0..15 then 16 bytes that make pshufb write zero: windows of it shift a block (ld_tail). */
static const uint8_t shift_tbl[32] = {0,    1,	  2,	3,    4,    5,	  6,	7,
				      8,    9,	  10,	11,   12,   13,	  14,	15,
				      0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
				      0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80};

/* 16 bytes of ones then 16 of zeros: a window of it keeps the first n bytes of a block. */
static const uint8_t keep_tbl[32] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
				     0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

/*
 * The last n (1..15) bytes before end as a block padded with zeros. With at least 16 bytes
 * before end (whole), one load of the 16 bytes ending there, shifted down: a byte-wise copy
 * into a buffer and a 16-byte load of it would stall on store forwarding.
 */
GS_INLINE __m128i
ld_tail(const uint8_t *end, size_t n, size_t whole)
{
	_Alignas(16) uint8_t b[16] = {0};

	if (whole >= 16)
		return _mm_shuffle_epi8(ld(end - 16), ld(shift_tbl + 16 - n));
	memcpy(b, end - n, n);
	return ld(b);
}

/*
 * GHASH over a known number of blocks, absorbed one at a time with one reduction per group of
 * up to 8: with `left` blocks still to come (this one included) a block is multiplied by
 * H^(((left - 1) mod 8) + 1), and the group's first block carries the running hash y.
 */
struct ghash {
	struct wide w;
	__m128i y;
	size_t left;
	bool fresh;
};

GS_INLINE void
ghash_block(const struct crypto_gcm_short_key *k, struct ghash *g, __m128i x)
{
	size_t pw = (g->left - 1) % CRYPTO_GCM_SHORT_AGG;

	x = bswap128(x);
	if (g->fresh)
		x = _mm_xor_si128(x, g->y);
	g->fresh = pw == 0;
	clmul_acc(&g->w, x, ld(k->h[pw]), ld(k->hk[pw]));
	g->left--;
	if (pw == 0) {
		g->y = reduce(g->w);
		g->w.lo = g->w.mid = g->w.hi = _mm_setzero_si128();
	}
}

/* len bytes as ceil(len / 16) blocks, the last one padded with zeros (SP 800-38D §6.4). */
GS_INLINE void
ghash_bytes(const struct crypto_gcm_short_key *k, struct ghash *g, const uint8_t *p, size_t len)
{
	size_t full = len & ~(size_t)15;

	for (size_t off = 0; off < full; off += 16)
		ghash_block(k, g, ld(p + off));
	if (len > full)
		ghash_block(k, g, ld_tail(p + len, len - full, len));
}

/* A GHASH over aad_len bytes of AAD and ct_len of ciphertext, and its last block: [len(A)]64
 * || [len(C)]64 in bits, big-endian (loaded byte-swapped as every block). */
GS_INLINE __m128i
ghash_start(struct ghash *g, size_t aad_len, size_t ct_len)
{
	g->w.lo = g->w.mid = g->w.hi = g->y = _mm_setzero_si128();
	g->left = (aad_len + 15) / 16 + (ct_len + 15) / 16 + 1;
	g->fresh = true;
	return _mm_set_epi64x((long long)__builtin_bswap64((uint64_t)ct_len * 8),
			      (long long)__builtin_bswap64((uint64_t)aad_len * 8));
}

/* GHASH(H, A, {}) (SP 800-38D §7.1 step 5), not yet masked: byte order of the tag. */
GS_TARGET static __m128i
ghash_aad(const struct crypto_gcm_short_key *k, const uint8_t *aad, size_t aad_len)
{
	struct ghash g;
	__m128i lens = ghash_start(&g, aad_len, 0);

	ghash_bytes(k, &g, aad, aad_len);
	ghash_block(k, &g, lens);
	return bswap128(g.y);
}

/* ---- GCTR fused with GHASH ---- */

/* nonce || 0^32 in a register, from two loads: a 16-byte load of a buffer just filled by a
 * 12-byte copy would stall on store forwarding at the head of the AES chain. */
GS_INLINE __m128i
j0_base(const uint8_t nonce[CRYPTO_IV_LEN])
{
	uint32_t w;

	memcpy(&w, nonce + 8, 4);
	return _mm_insert_epi32(_mm_loadl_epi64((const __m128i *)(const void *)nonce), (int)w, 2);
}

/* Counter blocks c..c+3 of J0 = nonce || 1, encrypted (SP 800-38D §6.5, inc32). */
GS_INLINE void
ctr_batch(const struct crypto_gcm_short_key *k, __m128i base, uint32_t c, __m128i ks[4])
{
	ks[0] = _mm_insert_epi32(base, (int)__builtin_bswap32(c), 3);
	ks[1] = _mm_insert_epi32(base, (int)__builtin_bswap32(c + 1), 3);
	ks[2] = _mm_insert_epi32(base, (int)__builtin_bswap32(c + 2), 3);
	ks[3] = _mm_insert_epi32(base, (int)__builtin_bswap32(c + 3), 3);
	aes_block4(k, &ks[0], &ks[1], &ks[2], &ks[3]);
}

/*
 * One block of GCTR and its GHASH: n (1..16) bytes at p; a partial block's input is tail,
 * loaded before anything was written (gcm_crypt). GHASH
 * takes the ciphertext from the register (zero-padded), never reloading what was just
 * stored: a load spanning two earlier stores would stall on store forwarding.
 */
GS_INLINE void
crypt_block(const struct crypto_gcm_short_key *k, struct ghash *g, const uint8_t *in, uint8_t *out,
	    size_t n, __m128i tail, __m128i ks, bool enc)
{
	_Alignas(16) uint8_t b[16];
	__m128i x, y;

	if (n == 16) {
		x = ld(in);
		y = _mm_xor_si128(x, ks);
		st(out, y);
	} else {
		x = tail;
		/* Bytes n..15 of x are zero; those of y are keystream, cleared for GHASH. */
		y = _mm_xor_si128(x, ks);
		st(b, y);
		memcpy(out, b, n);
		y = _mm_and_si128(y, ld(keep_tbl + 16 - n));
	}
	ghash_block(k, g, enc ? y : x);
}

/*
 * GCTR over in[0..len) into out (the same buffer, or apart) and GHASH(H, A, C) alongside;
 * returns the tag (SP 800-38D §7.1/§7.2). The first batch of counter blocks starts with J0
 * itself, whose encryption masks the tag, and is issued before the AAD is hashed so that the
 * AES and the multiplies overlap.
 */
GS_TARGET static __m128i
gcm_crypt(const struct crypto_gcm_short_key *k, const uint8_t nonce[CRYPTO_IV_LEN],
	  const uint8_t *aad, size_t aad_len, const uint8_t *in, uint8_t *out, size_t len, bool enc)
{
	struct ghash g;
	__m128i lens = ghash_start(&g, aad_len, len);
	__m128i base, ek0, ks[4], tail = _mm_setzero_si128();
	uint32_t c = 1;
	size_t off = 0;
	unsigned j = 1;

	/* Loaded first: in place, a load across the block written just before would stall. */
	if (len % 16 != 0)
		tail = ld_tail(in + len, len % 16, len);
	base = j0_base(nonce);
	ctr_batch(k, base, c, ks);
	ek0 = ks[0];
	ghash_bytes(k, &g, aad, aad_len);
	while (off < len) {
		if (j == 4) {
			c += 4;
			ctr_batch(k, base, c, ks);
			j = 0;
		}
		size_t n = len - off < 16 ? len - off : 16;

		crypt_block(k, &g, in + off, out + off, n, tail, ks[j++], enc);
		off += n;
	}
	ghash_block(k, &g, lens);
	return _mm_xor_si128(bswap128(g.y), ek0);
}

/* All 16 bytes compared at once, no early exit: constant time. */
GS_INLINE bool
tag_ok(__m128i tag, const uint8_t *want)
{
	return _mm_movemask_epi8(_mm_cmpeq_epi8(tag, ld(want))) == 0xffff;
}

/* ---- Key ---- */

GS_TARGET void
crypto_gcm_short_init(struct crypto_gcm_short_key *k, const uint8_t key[16],
		      const uint8_t iv[CRYPTO_IV_LEN])
{
	__m128i rk[11], h, hp;

	aes128_expand(key, rk);
	for (unsigned r = 0; r < 11; r++)
		st(k->rk[r], rk[r]);
	/* H = E(K, 0^128) (SP 800-38D §7.1 step 1), kept reflected with its powers. */
	h = bswap128(aes_block(k, _mm_setzero_si128()));
	hp = h;
	for (unsigned i = 0; i < CRYPTO_GCM_SHORT_AGG; i++) {
		if (i > 0)
			hp = gfmul(hp, h);
		st(k->h[i], hp);
		st(k->hk[i], _mm_xor_si128(hp, _mm_shuffle_epi32(hp, 0x4e)));
	}
	memset(k->ek_iv, 0, sizeof(k->ek_iv));
	if (iv != NULL) {
		_Alignas(16) uint8_t j0[16] = {0};

		memcpy(j0, iv, CRYPTO_IV_LEN);
		j0[15] = 1;
		st(k->ek_iv, aes_block(k, ld(j0)));
	}
	crypto_wipe(rk, sizeof(rk));
}

GS_TARGET void
crypto_gcm_short_fixed_tag(const struct crypto_gcm_short_key *k, const uint8_t *aad, size_t aad_len,
			   uint8_t tag[CRYPTO_TAG_LEN])
{
	st(tag, _mm_xor_si128(ghash_aad(k, aad, aad_len), ld(k->ek_iv)));
}

/* ---- The AEAD engine (token handles) ---- */

static inline struct crypto_gcm_short_key *
key_of(struct crypto_aead *a)
{
	return (struct crypto_gcm_short_key *)(void *)a->state;
}

static int
gs_init(struct crypto_aead *a, const uint8_t *key)
{
	/* Chosen only for AES-128-GCM handles (crypto_token_key_new()). */
	if (a->suite != CRYPTO_SUITE_AES_128_GCM_SHA256)
		return CRYPTO_ERR_INVAL;
	crypto_gcm_short_init(key_of(a), key, a->iv);
	return 0;
}

static void
gs_fini(struct crypto_aead *a)
{
	(void)a; /* the key lives in a->state, which aead.c wipes and frees */
}

GS_TARGET static int
gs_seal(struct crypto_aead *a, const uint8_t nonce[CRYPTO_IV_LEN], const uint8_t *aad,
	size_t aad_len, uint8_t *data, size_t len)
{
	st(data + len, gcm_crypt(key_of(a), nonce, aad, aad_len, data, data, len, true));
	return 0;
}

GS_TARGET static int
gs_open(struct crypto_aead *a, const uint8_t nonce[CRYPTO_IV_LEN], const uint8_t *aad,
	size_t aad_len, uint8_t *data, size_t len)
{
	__m128i tag = gcm_crypt(key_of(a), nonce, aad, aad_len, data, data, len, false);

	return tag_ok(tag, data + len) ? 0 : CRYPTO_ERR_AUTH;
}

GS_TARGET static int
gs_open_copy(struct crypto_aead *a, const uint8_t nonce[CRYPTO_IV_LEN], const uint8_t *aad,
	     size_t aad_len, const uint8_t *in, uint8_t *out, size_t len)
{
	__m128i tag = gcm_crypt(key_of(a), nonce, aad, aad_len, in, out, len, false);

	return tag_ok(tag, in + len) ? 0 : CRYPTO_ERR_AUTH;
}

static unsigned
gs_run(struct crypto_aead *a, struct crypto_aead_op *ops, unsigned n, bool seal)
{
	return crypto_aead_run_loop(a, ops, n, seal, gs_seal, gs_open);
}

const struct crypto_aead_engine crypto_aead_engine_gcm_short = {
	/* Not a context engine: picked per handle for tokens over the context's own. */
	.id = CRYPTO_ENGINE_AUTO,
	.state_size = sizeof(struct crypto_gcm_short_key),
	.init = gs_init,
	.fini = gs_fini,
	.seal = gs_seal,
	.open = gs_open,
	.burst = crypto_aead_burst_loop,
	.run = gs_run,
	.open_copy = gs_open_copy,
	.heap_handles = true,
};
