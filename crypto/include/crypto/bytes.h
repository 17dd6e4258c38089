/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Bounds-checked cursors over bytes in network order (RFC 9000 §1.3, RFC 9846 §3.3): the one
 * reader and writer of quic/'s wire codec and crypto/tls/'s handshake codec. They live in
 * crypto/'s public headers because quic/ already depends on them, while crypto/ may not include
 * quic/. Every get returns false (and sets err) once a read would pass the end, and every put
 * once a write would pass the capacity; from then on every call fails, so a codec may check
 * once at the end. Header-only: no OpenSSL, no allocation.
 */
#ifndef CRYPTO_BYTES_H
#define CRYPTO_BYTES_H

#include <endian.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct crypto_rd {
	const uint8_t *p;
	const uint8_t *end;
	bool err;
};

static inline void
crypto_rd_init(struct crypto_rd *r, const uint8_t *buf, size_t len)
{
	r->p = buf;
	/* An empty input may come without a buffer (NULL): NULL + 0 is undefined in C. */
	r->end = len != 0 ? buf + len : buf;
	r->err = false;
}

static inline size_t
crypto_rd_left(const struct crypto_rd *r)
{
	return r->err ? 0 : (size_t)(r->end - r->p);
}

/* True when every read succeeded and the input was consumed exactly. */
static inline bool
crypto_rd_done(const struct crypto_rd *r)
{
	return !r->err && r->p == r->end;
}

/* Reserve n readable bytes or poison the reader. */
static inline const uint8_t *
crypto_rd_take(struct crypto_rd *r, size_t n)
{
	const uint8_t *p;

	if (r->err || (size_t)(r->end - r->p) < n) {
		r->err = true;
		return NULL;
	}
	p = r->p;
	r->p += n;
	return p;
}

/* The n-byte (1..4) big-endian integer at the cursor. */
static inline bool
crypto_get_be(struct crypto_rd *r, size_t n, uint32_t *v)
{
	const uint8_t *p = crypto_rd_take(r, n);
	uint32_t x = 0;

	if (p == NULL)
		return false;
	/* One load where n is 4 or 2 (n is a constant once inlined): GCC leaves the byte loop
	 * as n loads and shifts. */
	if (n == 4) {
		memcpy(&x, p, 4);
		*v = be32toh(x);
		return true;
	}
	if (n == 2) {
		uint16_t y;

		memcpy(&y, p, 2);
		*v = be16toh(y);
		return true;
	}
	for (size_t i = 0; i < n; i++)
		x = x << 8 | p[i];
	*v = x;
	return true;
}

static inline bool
crypto_get_u8(struct crypto_rd *r, uint8_t *v)
{
	uint32_t x;

	if (!crypto_get_be(r, 1, &x))
		return false;
	*v = (uint8_t)x;
	return true;
}

static inline bool
crypto_get_u16(struct crypto_rd *r, uint16_t *v)
{
	uint32_t x;

	if (!crypto_get_be(r, 2, &x))
		return false;
	*v = (uint16_t)x;
	return true;
}

static inline bool
crypto_get_u24(struct crypto_rd *r, uint32_t *v)
{
	return crypto_get_be(r, 3, v);
}

static inline bool
crypto_get_u32(struct crypto_rd *r, uint32_t *v)
{
	return crypto_get_be(r, 4, v);
}

/* Borrow n bytes: *out points into the input. */
static inline bool
crypto_get_bytes(struct crypto_rd *r, size_t n, const uint8_t **out)
{
	const uint8_t *p = crypto_rd_take(r, n);

	if (p == NULL)
		return false;
	*out = p;
	return true;
}

/* ---- Writer over a caller buffer ---- */

struct crypto_wr {
	uint8_t *p;
	uint8_t *start;
	uint8_t *end;
	bool err;
};

static inline void
crypto_wr_init(struct crypto_wr *w, uint8_t *buf, size_t cap)
{
	w->p = buf;
	w->start = buf;
	w->end = cap != 0 ? buf + cap : buf; /* NULL + 0 is undefined */
	w->err = false;
}

static inline size_t
crypto_wr_len(const struct crypto_wr *w)
{
	return (size_t)(w->p - w->start);
}

static inline size_t
crypto_wr_left(const struct crypto_wr *w)
{
	return w->err ? 0 : (size_t)(w->end - w->p);
}

/* Reserve n writable bytes or poison the writer. */
static inline uint8_t *
crypto_wr_room(struct crypto_wr *w, size_t n)
{
	uint8_t *p;

	if (w->err || (size_t)(w->end - w->p) < n) {
		w->err = true;
		return NULL;
	}
	p = w->p;
	w->p += n;
	return p;
}

/* Store v at p as an n-byte (1..4) big-endian integer (a length prefix written late, too). */
static inline void
crypto_store_be(uint8_t *p, uint32_t v, size_t n)
{
	for (size_t i = n; i > 0; i--, v >>= 8)
		p[i - 1] = (uint8_t)v;
}

static inline bool
crypto_put_be(struct crypto_wr *w, size_t n, uint32_t v)
{
	uint8_t *p = crypto_wr_room(w, n);

	if (p == NULL)
		return false;
	crypto_store_be(p, v, n);
	return true;
}

static inline bool
crypto_put_u8(struct crypto_wr *w, uint8_t v)
{
	return crypto_put_be(w, 1, v);
}

static inline bool
crypto_put_u16(struct crypto_wr *w, uint16_t v)
{
	return crypto_put_be(w, 2, v);
}

static inline bool
crypto_put_u24(struct crypto_wr *w, uint32_t v)
{
	return crypto_put_be(w, 3, v);
}

static inline bool
crypto_put_u32(struct crypto_wr *w, uint32_t v)
{
	return crypto_put_be(w, 4, v);
}

static inline bool
crypto_put_bytes(struct crypto_wr *w, const void *src, size_t n)
{
	uint8_t *p = crypto_wr_room(w, n);

	if (p == NULL)
		return false;
	if (n > 0)
		memcpy(p, src, n);
	return true;
}

#endif
