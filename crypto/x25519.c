/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * X25519 (RFC 7748) for TLS key shares: the public key by a fixed-base multiplication on the
 * birationally equivalent twisted Edwards curve (edwards25519, RFC 7748 §4.1, RFC 8032
 * §5.1) with a precomputed table, and the shared secret by the Montgomery ladder
 * (RFC 7748 §5).
 *
 * Why our own: OpenSSL 3.0 computes an X25519 public key either with its portable ref10 code
 * (EVP_PKEY_generate) or, as this engine did before, with the variable-base ladder against
 * u = 9: both cost as much as the derivation itself, and the key share was over half of a
 * server handshake's crypto. A fixed-base comb over a precomputed table of 256 multiples of
 * the base point needs 64 mixed additions and 4 doublings instead of 255 ladder steps. The
 * derivation is ours too so that a key share needs no EVP_PKEY, context, or parameter
 * lookups at all.
 *
 * Field elements are five 51-bit limbs (radix 2^51, 128-bit products). Everything that
 * depends on a private scalar is constant-time: no secret-dependent branches or memory
 * addresses (table entries are selected by masks over the whole row, the ladder swaps by
 * masks). The table holds multiples of the public base point only and is computed once per
 * process (crypto_x25519_init(), thread-safe).
 */
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "x25519.h"

typedef unsigned __int128 u128;

#define MASK51 ((UINT64_C(1) << 51) - 1)

typedef struct {
	uint64_t v[5];
} fe;

/* edwards25519 constants (RFC 8032 §5.1): d, 2d and the base point B = (x, 4/5). */
static const fe fe_d2 = {{0x69b9426b2f159ULL, 0x35050762add7aULL, 0x3cf44c0038052ULL,
			  0x6738cc7407977ULL, 0x2406d9dc56dffULL}};
static const fe fe_bx = {{0x62d608f25d51aULL, 0x412a4b4f6592aULL, 0x75b7171a4b31dULL,
			  0x1ff60527118feULL, 0x216936d3cd6e5ULL}};
static const fe fe_by = {{0x6666666666658ULL, 0x4ccccccccccccULL, 0x1999999999999ULL,
			  0x3333333333333ULL, 0x6666666666666ULL}};

/* ---- GF(2^255 - 19) ---- */

static void
fe_0(fe *h)
{
	memset(h, 0, sizeof(*h));
}

static void
fe_1(fe *h)
{
	fe_0(h);
	h->v[0] = 1;
}

/* Weak reduction: limbs below 2^51 + 2^18. */
static inline void
fe_carry(fe *h)
{
	uint64_t c;

	for (int i = 0; i < 4; i++) {
		c = h->v[i] >> 51;
		h->v[i] &= MASK51;
		h->v[i + 1] += c;
	}
	c = h->v[4] >> 51;
	h->v[4] &= MASK51;
	h->v[0] += c * 19;
}

/*
 * Lazy reduction: sums and differences are not carried. Every limb of an operand of
 * fe_add/fe_sub is below 2^52.1 (a product's output is below 2^51 + 2^8, a sum of two below
 * 2^52.1), so a difference (plus 4p) stays below 2^53.7, and fe_mul/fe_sq take limbs up to
 * 2^54 without overflowing their 128-bit sums or the 64-bit wrap of the top carry times 19.
 */
static inline void
fe_add(fe *h, const fe *f, const fe *g)
{
	h->v[0] = f->v[0] + g->v[0];
	h->v[1] = f->v[1] + g->v[1];
	h->v[2] = f->v[2] + g->v[2];
	h->v[3] = f->v[3] + g->v[3];
	h->v[4] = f->v[4] + g->v[4];
}

/* f - g + 4p: no limb underflows while g's limbs are below 2^53 - 76. */
static inline void
fe_sub(fe *h, const fe *f, const fe *g)
{
	h->v[0] = f->v[0] + 0x1fffffffffffb4ULL - g->v[0];
	h->v[1] = f->v[1] + 0x1ffffffffffffcULL - g->v[1];
	h->v[2] = f->v[2] + 0x1ffffffffffffcULL - g->v[2];
	h->v[3] = f->v[3] + 0x1ffffffffffffcULL - g->v[3];
	h->v[4] = f->v[4] + 0x1ffffffffffffcULL - g->v[4];
}

static inline void
fe_reduce128(fe *h, u128 r0, u128 r1, u128 r2, u128 r3, u128 r4)
{
	r1 += (uint64_t)(r0 >> 51);
	r2 += (uint64_t)(r1 >> 51);
	r3 += (uint64_t)(r2 >> 51);
	r4 += (uint64_t)(r3 >> 51);
	h->v[0] = ((uint64_t)r0 & MASK51) + (uint64_t)(r4 >> 51) * 19;
	h->v[1] = ((uint64_t)r1 & MASK51) + (h->v[0] >> 51);
	h->v[0] &= MASK51;
	h->v[2] = (uint64_t)r2 & MASK51;
	h->v[3] = (uint64_t)r3 & MASK51;
	h->v[4] = (uint64_t)r4 & MASK51;
}

static inline void
fe_mul(fe *h, const fe *f, const fe *g)
{
	const uint64_t *a = f->v, *b = g->v;
	uint64_t b1 = b[1] * 19, b2 = b[2] * 19, b3 = b[3] * 19, b4 = b[4] * 19;
	u128 r0, r1, r2, r3, r4;

	r0 = (u128)a[0] * b[0] + (u128)a[1] * b4 + (u128)a[2] * b3 + (u128)a[3] * b2 +
	     (u128)a[4] * b1;
	r1 = (u128)a[0] * b[1] + (u128)a[1] * b[0] + (u128)a[2] * b4 + (u128)a[3] * b3 +
	     (u128)a[4] * b2;
	r2 = (u128)a[0] * b[2] + (u128)a[1] * b[1] + (u128)a[2] * b[0] + (u128)a[3] * b4 +
	     (u128)a[4] * b3;
	r3 = (u128)a[0] * b[3] + (u128)a[1] * b[2] + (u128)a[2] * b[1] + (u128)a[3] * b[0] +
	     (u128)a[4] * b4;
	r4 = (u128)a[0] * b[4] + (u128)a[1] * b[3] + (u128)a[2] * b[2] + (u128)a[3] * b[1] +
	     (u128)a[4] * b[0];
	fe_reduce128(h, r0, r1, r2, r3, r4);
}

static inline void
fe_sq(fe *h, const fe *f)
{
	const uint64_t *a = f->v;
	uint64_t a0_2 = a[0] * 2, a1_2 = a[1] * 2, a3_19 = a[3] * 19, a4_19 = a[4] * 19;
	u128 r0, r1, r2, r3, r4;

	r0 = (u128)a[0] * a[0] + (u128)a1_2 * a4_19 + (u128)(a[2] * 2) * a3_19;
	r1 = (u128)a0_2 * a[1] + (u128)(a[2] * 2) * a4_19 + (u128)a[3] * a3_19;
	r2 = (u128)a0_2 * a[2] + (u128)a[1] * a[1] + (u128)(a[3] * 2) * a4_19;
	r3 = (u128)a0_2 * a[3] + (u128)a1_2 * a[2] + (u128)a[4] * a4_19;
	r4 = (u128)a0_2 * a[4] + (u128)a1_2 * a[3] + (u128)a[2] * a[2];
	fe_reduce128(h, r0, r1, r2, r3, r4);
}

static inline void
fe_sqn(fe *h, const fe *f, int n)
{
	fe_sq(h, f);
	while (--n > 0)
		fe_sq(h, h);
}

static void
fe_mul_small(fe *h, const fe *f, uint32_t s)
{
	u128 r[5];

	for (int i = 0; i < 5; i++)
		r[i] = (u128)f->v[i] * s;
	fe_reduce128(h, r[0], r[1], r[2], r[3], r[4]);
}

/* z^(p-2) = z^(2^255 - 21): Fermat inversion, 254 squarings and 11 multiplications. */
static void
fe_invert(fe *out, const fe *z)
{
	fe z2, z9, z11, z5_0, z10_0, z20_0, z50_0, z100_0, t;

	fe_sq(&z2, z);
	fe_sqn(&t, &z2, 2);
	fe_mul(&z9, &t, z);
	fe_mul(&z11, &z9, &z2);
	fe_sq(&t, &z11);
	fe_mul(&z5_0, &t, &z9); /* z^(2^5 - 1) */
	fe_sqn(&t, &z5_0, 5);
	fe_mul(&z10_0, &t, &z5_0);
	fe_sqn(&t, &z10_0, 10);
	fe_mul(&z20_0, &t, &z10_0);
	fe_sqn(&t, &z20_0, 20);
	fe_mul(&t, &t, &z20_0);
	fe_sqn(&t, &t, 10);
	fe_mul(&z50_0, &t, &z10_0);
	fe_sqn(&t, &z50_0, 50);
	fe_mul(&z100_0, &t, &z50_0);
	fe_sqn(&t, &z100_0, 100);
	fe_mul(&t, &t, &z100_0);
	fe_sqn(&t, &t, 50);
	fe_mul(&t, &t, &z50_0); /* z^(2^250 - 1) */
	fe_sqn(&t, &t, 5);
	fe_mul(out, &t, &z11);
}

static uint64_t
load64_le(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void
store64_le(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++, v >>= 8)
		p[i] = (uint8_t)v;
}

/* RFC 7748 §5: the most significant bit of u is masked; values >= p are taken mod p. */
static void
fe_frombytes(fe *h, const uint8_t s[32])
{
	uint64_t w0 = load64_le(s), w1 = load64_le(s + 8), w2 = load64_le(s + 16),
		 w3 = load64_le(s + 24);

	h->v[0] = w0 & MASK51;
	h->v[1] = (w0 >> 51 | w1 << 13) & MASK51;
	h->v[2] = (w1 >> 38 | w2 << 26) & MASK51;
	h->v[3] = (w2 >> 25 | w3 << 39) & MASK51;
	h->v[4] = (w3 >> 12) & MASK51;
}

/* The canonical encoding (fully reduced below p), constant-time. */
static void
fe_tobytes(uint8_t s[32], const fe *f)
{
	fe h = *f;
	uint64_t q;

	fe_carry(&h);
	fe_carry(&h);
	/* h < 2^255 + small now; q = 1 exactly when h >= p. */
	q = (h.v[0] + 19) >> 51;
	for (int i = 1; i < 5; i++)
		q = (h.v[i] + q) >> 51;
	h.v[0] += 19 * q;
	for (int i = 0; i < 4; i++) {
		h.v[i + 1] += h.v[i] >> 51;
		h.v[i] &= MASK51;
	}
	h.v[4] &= MASK51;
	store64_le(s, h.v[0] | h.v[1] << 51);
	store64_le(s + 8, h.v[1] >> 13 | h.v[2] << 38);
	store64_le(s + 16, h.v[2] >> 26 | h.v[3] << 25);
	store64_le(s + 24, h.v[3] >> 39 | h.v[4] << 12);
}

/* Swaps f and g when b is 1, leaves them when b is 0, without a branch on b. */
static inline void
fe_cswap(fe *f, fe *g, uint64_t b)
{
	uint64_t m = 0 - b, x;

	for (int i = 0; i < 5; i++) {
		x = m & (f->v[i] ^ g->v[i]);
		f->v[i] ^= x;
		g->v[i] ^= x;
	}
}

static inline void
fe_cmov(fe *f, const fe *g, uint64_t b)
{
	uint64_t m = 0 - b;

	for (int i = 0; i < 5; i++)
		f->v[i] ^= m & (f->v[i] ^ g->v[i]);
}

static void
fe_neg(fe *h, const fe *f)
{
	fe z;

	fe_0(&z);
	fe_sub(h, &z, f);
}

/* ---- The Montgomery ladder (RFC 7748 §5) ---- */

void
crypto_x25519(uint8_t out[32], const uint8_t scalar[32], const uint8_t u[32])
{
	uint8_t k[32];
	fe x1, x2, z2, x3, z3, a, aa, b, bb, e, c, d, da, cb;
	uint64_t swap = 0, bit;

	memcpy(k, scalar, 32);
	k[0] &= 248; /* decodeScalar25519 (RFC 7748 §5) */
	k[31] &= 127;
	k[31] |= 64;
	fe_frombytes(&x1, u);
	fe_1(&x2);
	fe_0(&z2);
	x3 = x1;
	fe_1(&z3);
	for (int t = 254; t >= 0; t--) {
		bit = (k[t >> 3] >> (t & 7)) & 1;
		swap ^= bit;
		fe_cswap(&x2, &x3, swap);
		fe_cswap(&z2, &z3, swap);
		swap = bit;
		fe_add(&a, &x2, &z2);
		fe_sq(&aa, &a);
		fe_sub(&b, &x2, &z2);
		fe_sq(&bb, &b);
		fe_sub(&e, &aa, &bb);
		fe_add(&c, &x3, &z3);
		fe_sub(&d, &x3, &z3);
		fe_mul(&da, &d, &a);
		fe_mul(&cb, &c, &b);
		fe_add(&x3, &da, &cb);
		fe_sq(&x3, &x3);
		fe_sub(&z3, &da, &cb);
		fe_sq(&z3, &z3);
		fe_mul(&z3, &z3, &x1);
		fe_mul(&x2, &aa, &bb);
		fe_mul_small(&z2, &e, 121665); /* a24 = (486662 - 2) / 4 */
		fe_add(&z2, &z2, &aa);
		fe_mul(&z2, &z2, &e);
	}
	fe_cswap(&x2, &x3, swap);
	fe_cswap(&z2, &z3, swap);
	fe_invert(&z2, &z2);
	fe_mul(&x2, &x2, &z2);
	fe_tobytes(out, &x2);
	memset(k, 0, sizeof(k));
	__asm__ __volatile__("" : : "r"(k) : "memory"); /* keep the wipe */
}

/* ---- edwards25519 group (extended coordinates, Hisil et al.; as ref10) ---- */

typedef struct {
	fe x, y, z, t;
} ge_p3; /* x = X/Z, y = Y/Z, x*y = T/Z */

typedef struct {
	fe x, y, z, t;
} ge_p1p1; /* ((X:Z), (Y:T)) */

typedef struct {
	fe ypx, ymx, xy2d;
} ge_precomp; /* affine (y + x, y - x, 2d*x*y) */

static void
ge_p1p1_to_p3(ge_p3 *r, const ge_p1p1 *p)
{
	fe_mul(&r->x, &p->x, &p->t);
	fe_mul(&r->y, &p->y, &p->z);
	fe_mul(&r->z, &p->z, &p->t);
	fe_mul(&r->t, &p->x, &p->y);
}

/* 2p (dbl-2008-hwcd); p's T is not read. */
static void
ge_dbl(ge_p1p1 *r, const ge_p3 *p)
{
	fe t0;

	fe_sq(&r->x, &p->x);
	fe_sq(&r->z, &p->y);
	fe_sq(&r->t, &p->z);
	fe_add(&r->t, &r->t, &r->t);
	fe_add(&r->y, &p->x, &p->y);
	fe_sq(&t0, &r->y);
	fe_add(&r->y, &r->z, &r->x);
	fe_sub(&r->z, &r->z, &r->x);
	fe_carry(&r->z); /* an operand of the difference below */
	fe_sub(&r->x, &t0, &r->y);
	fe_sub(&r->t, &r->t, &r->z);
}

/* p + q with q affine (madd-2008-hwcd-3). */
static void
ge_madd(ge_p1p1 *r, const ge_p3 *p, const ge_precomp *q)
{
	fe t0;

	fe_add(&r->x, &p->y, &p->x);
	fe_sub(&r->y, &p->y, &p->x);
	fe_mul(&r->z, &r->x, &q->ypx);
	fe_mul(&r->y, &r->y, &q->ymx);
	fe_mul(&r->t, &q->xy2d, &p->t);
	fe_add(&t0, &p->z, &p->z);
	fe_sub(&r->x, &r->z, &r->y);
	fe_add(&r->y, &r->z, &r->y);
	fe_add(&r->z, &t0, &r->t);
	fe_sub(&r->t, &t0, &r->t);
}

static void
ge_to_precomp(ge_precomp *r, const ge_p3 *p)
{
	fe zi, x, y;

	fe_invert(&zi, &p->z);
	fe_mul(&x, &p->x, &zi);
	fe_mul(&y, &p->y, &zi);
	fe_add(&r->ypx, &y, &x);
	fe_sub(&r->ymx, &y, &x);
	fe_mul(&r->xy2d, &x, &y);
	fe_mul(&r->xy2d, &r->xy2d, &fe_d2);
}

/*
 * base[j][i] = (i + 1) * 256^j * B, for the radix-16 signed digits of a scalar. Each entry is
 * padded to eight 128-bit vectors so that base_select() masks whole vectors: the constant-time
 * scan of a row is as costly as the additions otherwise.
 */
typedef uint64_t v2u64 __attribute__((vector_size(16)));
typedef union {
	ge_precomp p;
	v2u64 v[8];
} ge_precomp_v;
static ge_precomp_v base[32][8];
static pthread_once_t base_once = PTHREAD_ONCE_INIT;

static void
base_build(void)
{
	ge_p3 p, q;
	ge_p1p1 r;

	p.x = fe_bx;
	p.y = fe_by;
	fe_1(&p.z);
	fe_mul(&p.t, &fe_bx, &fe_by);
	for (int j = 0; j < 32; j++) {
		ge_to_precomp(&base[j][0].p, &p);
		q = p;
		for (int i = 1; i < 8; i++) { /* q = (i + 1) p */
			ge_madd(&r, &q, &base[j][0].p);
			ge_p1p1_to_p3(&q, &r);
			ge_to_precomp(&base[j][i].p, &q);
		}
		for (int i = 0; i < 8; i++) { /* p = 256 p */
			ge_dbl(&r, &p);
			ge_p1p1_to_p3(&p, &r);
		}
	}
}

void
crypto_x25519_init(void)
{
	pthread_once(&base_once, base_build);
}

/* 1 when b == c (both 0..8), else 0, without a branch. */
static uint64_t
ct_eq(uint32_t b, uint32_t c)
{
	return ((b ^ c) - 1) >> 31;
}

/* t = b * 256^j * B for a digit b in -8..8, reading every entry of the row. */
static void
base_select(ge_precomp *t, int j, int8_t b)
{
	uint32_t neg = (uint32_t)((uint8_t)b >> 7);
	int m = -(int)neg;
	uint32_t babs = (uint32_t)((b ^ m) - m); /* |b| */
	ge_precomp_v acc;
	ge_precomp minus;

	memset(&acc, 0, sizeof(acc)); /* the neutral element (0, 1): y+x = y-x = 1, 2dxy = 0 */
	acc.p.ypx.v[0] = 1;
	acc.p.ymx.v[0] = 1;
	for (uint32_t i = 0; i < 8; i++) {
		uint64_t mi = 0 - ct_eq(babs, i + 1);
		v2u64 mv = {mi, mi};

		for (int k = 0; k < 8; k++)
			acc.v[k] ^= mv & (acc.v[k] ^ base[j][i].v[k]);
	}
	*t = acc.p;
	minus.ypx = t->ymx; /* -(x, y) = (-x, y) */
	minus.ymx = t->ypx;
	fe_neg(&minus.xy2d, &t->xy2d);
	fe_cmov(&t->ypx, &minus.ypx, neg);
	fe_cmov(&t->ymx, &minus.ymx, neg);
	fe_cmov(&t->xy2d, &minus.xy2d, neg);
}

/* The clamped scalar in 64 signed radix-16 digits, each in -8..8 (ref10). */
static void
scalar_digits(int8_t e[64], const uint8_t k[32])
{
	int8_t carry = 0;

	for (int i = 0; i < 32; i++) {
		e[2 * i] = (int8_t)(k[i] & 15);
		e[2 * i + 1] = (int8_t)(k[i] >> 4);
	}
	for (int i = 0; i < 63; i++) {
		e[i] = (int8_t)(e[i] + carry);
		carry = (int8_t)((e[i] + 8) >> 4);
		e[i] = (int8_t)(e[i] - carry * 16);
	}
	e[63] = (int8_t)(e[63] + carry);
}

/* h = [k]B for the clamped scalar k (ref10's comb: odd digits, times 16, even digits). */
static void
base_mul(ge_p3 *h, const uint8_t scalar[32])
{
	uint8_t k[32];
	int8_t e[64];
	ge_precomp t;
	ge_p1p1 r;

	memcpy(k, scalar, 32);
	k[0] &= 248; /* decodeScalar25519 (RFC 7748 §5) */
	k[31] &= 127;
	k[31] |= 64;
	scalar_digits(e, k);
	fe_0(&h->x);
	fe_1(&h->y);
	fe_1(&h->z);
	fe_0(&h->t);
	for (int i = 1; i < 64; i += 2) {
		base_select(&t, i / 2, e[i]);
		ge_madd(&r, h, &t);
		ge_p1p1_to_p3(h, &r);
	}
	for (int i = 0; i < 4; i++) {
		ge_dbl(&r, h);
		ge_p1p1_to_p3(h, &r);
	}
	for (int i = 0; i < 64; i += 2) {
		base_select(&t, i / 2, e[i]);
		ge_madd(&r, h, &t);
		ge_p1p1_to_p3(h, &r);
	}
	memset(k, 0, sizeof(k));
	memset(e, 0, sizeof(e));
	__asm__ __volatile__("" : : "r"(k), "r"(e) : "memory"); /* keep the wipes */
}

/*
 * pub[32i..] = X25519(scalar[32i..], 9) (RFC 7748 §6.1): the Montgomery u of [k]B on edwards25519,
 * u = (1 + y) / (1 - y) = (Z + Y) / (Z - Y) (RFC 7748 §4.1), k the clamped scalar.
 *
 * The n denominators share one inversion (Montgomery's trick: 3(n - 1) multiplications
 * instead of n - 1 inversions of 265 each, a third of a key's cost). None is zero: a clamped
 * scalar is a nonzero multiple of 8 below 2^255, never a multiple of the prime group order
 * 2^252 + ..., so [k]B is not the neutral element (0, 1).
 */
void
crypto_x25519_public_batch(uint8_t *pub, const uint8_t *scalar, size_t n)
{
	fe num[CRYPTO_X25519_BATCH], den[CRYPTO_X25519_BATCH], acc[CRYPTO_X25519_BATCH];
	fe inv, t;
	ge_p3 h;

	if (n == 0 || n > CRYPTO_X25519_BATCH)
		return;
	crypto_x25519_init();
	for (size_t i = 0; i < n; i++) {
		base_mul(&h, scalar + 32 * i);
		fe_add(&num[i], &h.z, &h.y);
		fe_sub(&den[i], &h.z, &h.y);
		if (i == 0)
			acc[0] = den[0];
		else
			fe_mul(&acc[i], &acc[i - 1], &den[i]); /* den[0] * ... * den[i] */
	}
	fe_invert(&inv, &acc[n - 1]);
	for (size_t i = n - 1; i > 0; i--) {
		fe_mul(&t, &inv, &acc[i - 1]); /* 1 / den[i] */
		fe_mul(&inv, &inv, &den[i]);   /* 1 / (den[0] * ... * den[i - 1]) */
		fe_mul(&t, &num[i], &t);
		fe_tobytes(pub + 32 * i, &t);
	}
	fe_mul(&t, &num[0], &inv);
	fe_tobytes(pub, &t);
}

void
crypto_x25519_public(uint8_t pub[32], const uint8_t scalar[32])
{
	crypto_x25519_public_batch(pub, scalar, 1);
}
