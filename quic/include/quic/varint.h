/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Variable-length integers (RFC 9000 §16) and a bounds-checked reader and writer that every
 * quic/ codec uses, so that no decoder reads past its input.
 */
#ifndef HB_QUIC_VARINT_H
#define HB_QUIC_VARINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <crypto/bytes.h>
#include <quic/error.h>

#ifdef __cplusplus
extern "C" {
#endif

#define QUIC_VARINT_MAX ((UINT64_C(1) << 62) - 1)

/* Encoded length of v (1, 2, 4 or 8); 0 when v > QUIC_VARINT_MAX. */
static inline size_t quic_varint_len(uint64_t v);
/* Length given by the two high bits of the first byte. */
static inline size_t
quic_varint_len_from_byte(uint8_t b)
{
	return (size_t)1 << (b >> 6);
}

/*
 * Decode one varint from buf[0..len).
 * @return bytes consumed (1..8), or QUIC_ERR_TRUNCATED
 */
static inline int quic_varint_decode(const uint8_t *buf, size_t len, uint64_t *v);
/*
 * Encode v in its shortest form.
 * @return bytes written, QUIC_ERR_BUFFER (cap too small) or QUIC_ERR_INVAL (v too large)
 */
static inline int quic_varint_encode(uint8_t *buf, size_t cap, uint64_t v);
/* Encode v in exactly n bytes (n = 1, 2, 4, 8), e.g. for a Length field reserved early. */
static inline int quic_varint_encode_n(uint8_t *buf, size_t cap, uint64_t v, size_t n);

/*
 * Reader: struct crypto_rd (crypto/bytes.h, shared with the TLS codec) and its fixed-width gets;
 * the QUIC-only reads below follow its rule: once a read would pass the end, every read fails.
 */
static inline bool quic_get_varint(struct crypto_rd *r, uint64_t *v);
/* Copy n bytes into dst. */
static inline bool quic_get_copy(struct crypto_rd *r, void *dst, size_t n);
static inline bool quic_skip(struct crypto_rd *r, size_t n);

/* Writer: struct crypto_wr (crypto/bytes.h); the varint put follows its rule. */
static inline bool quic_put_varint(struct crypto_wr *w, uint64_t v);

/*
 * Definitions, inline: packet parsers and builders call these for every field, and an
 * out-of-line call each was a few percent of the Retry and token paths.
 */

static inline size_t
quic_varint_len(uint64_t v)
{
	if (v < 64)
		return 1;
	if (v < 16384)
		return 2;
	if (v < (UINT64_C(1) << 30))
		return 4;
	if (v <= QUIC_VARINT_MAX)
		return 8;
	return 0;
}

static inline int
quic_varint_decode(const uint8_t *buf, size_t len, uint64_t *v)
{
	size_t n, i;
	uint64_t x;

	if (len == 0)
		return QUIC_ERR_TRUNCATED;
	n = quic_varint_len_from_byte(buf[0]);
	if (len < n)
		return QUIC_ERR_TRUNCATED;
	x = buf[0] & 0x3f;
	for (i = 1; i < n; i++)
		x = (x << 8) | buf[i];
	*v = x;
	return (int)n;
}

static inline int
quic_varint_encode_n(uint8_t *buf, size_t cap, uint64_t v, size_t n)
{
	static const uint8_t prefix[9] = {[1] = 0x00, [2] = 0x40, [4] = 0x80, [8] = 0xc0};
	size_t i;

	if ((n != 1 && n != 2 && n != 4 && n != 8) || v > QUIC_VARINT_MAX || quic_varint_len(v) > n)
		return QUIC_ERR_INVAL;
	if (cap < n)
		return QUIC_ERR_BUFFER;
	for (i = n; i > 0; i--) {
		buf[i - 1] = (uint8_t)v;
		v >>= 8;
	}
	buf[0] |= prefix[n];
	return (int)n;
}

static inline int
quic_varint_encode(uint8_t *buf, size_t cap, uint64_t v)
{
	size_t n = quic_varint_len(v);

	if (n == 0)
		return QUIC_ERR_INVAL;
	return quic_varint_encode_n(buf, cap, v, n);
}

static inline bool
quic_get_varint(struct crypto_rd *r, uint64_t *v)
{
	int n;

	if (r->err)
		return false;
	n = quic_varint_decode(r->p, (size_t)(r->end - r->p), v);
	if (n < 0) {
		r->err = true;
		return false;
	}
	r->p += n;
	return true;
}

static inline bool
quic_get_copy(struct crypto_rd *r, void *dst, size_t n)
{
	const uint8_t *p = crypto_rd_take(r, n);

	if (p == NULL)
		return false;
	if (n > 0)
		memcpy(dst, p, n);
	return true;
}

static inline bool
quic_skip(struct crypto_rd *r, size_t n)
{
	return crypto_rd_take(r, n) != NULL;
}

static inline bool
quic_put_varint(struct crypto_wr *w, uint64_t v)
{
	size_t n = quic_varint_len(v);
	uint8_t *p;

	if (n == 0) {
		w->err = true;
		return false;
	}
	p = crypto_wr_room(w, n);
	if (p == NULL)
		return false;
	quic_varint_encode_n(p, n, v, n);
	return true;
}

#ifdef __cplusplus
}
#endif

#endif /* HB_QUIC_VARINT_H */
