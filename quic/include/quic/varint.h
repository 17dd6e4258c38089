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
 * Reader: a cursor over borrowed bytes. Every get_* returns false (and sets err) once any read
 * would pass the end, and from then on every read fails, so a decoder may check once at the end.
 */
struct quic_reader {
	const uint8_t *p;
	const uint8_t *end;
	bool err;
};

static inline void
quic_reader_init(struct quic_reader *r, const uint8_t *buf, size_t len)
{
	r->p = buf;
	/* An empty input may come without a buffer (NULL): NULL + 0 is undefined in C. */
	r->end = len != 0 ? buf + len : buf;
	r->err = false;
}

static inline size_t
quic_reader_left(const struct quic_reader *r)
{
	return r->err ? 0 : (size_t)(r->end - r->p);
}

static inline bool quic_get_u8(struct quic_reader *r, uint8_t *v);
static inline bool quic_get_u16(struct quic_reader *r, uint16_t *v);
static inline bool quic_get_u24(struct quic_reader *r, uint32_t *v);
static inline bool quic_get_u32(struct quic_reader *r, uint32_t *v);
static inline bool quic_get_varint(struct quic_reader *r, uint64_t *v);
/* Borrow n bytes: *out points into the input. */
static inline bool quic_get_bytes(struct quic_reader *r, size_t n, const uint8_t **out);
/* Copy n bytes into dst. */
static inline bool quic_get_copy(struct quic_reader *r, void *dst, size_t n);
static inline bool quic_skip(struct quic_reader *r, size_t n);

/* Writer: a cursor over a caller buffer; once full, err is set and nothing more is written. */
struct quic_writer {
	uint8_t *p;
	uint8_t *start;
	uint8_t *end;
	bool err;
};

static inline void
quic_writer_init(struct quic_writer *w, uint8_t *buf, size_t cap)
{
	w->p = buf;
	w->start = buf;
	w->end = cap != 0 ? buf + cap : buf; /* NULL + 0 is undefined */
	w->err = false;
}

static inline size_t
quic_writer_len(const struct quic_writer *w)
{
	return (size_t)(w->p - w->start);
}

static inline size_t
quic_writer_left(const struct quic_writer *w)
{
	return w->err ? 0 : (size_t)(w->end - w->p);
}

static inline bool quic_put_u8(struct quic_writer *w, uint8_t v);
static inline bool quic_put_u16(struct quic_writer *w, uint16_t v);
static inline bool quic_put_u24(struct quic_writer *w, uint32_t v);
static inline bool quic_put_u32(struct quic_writer *w, uint32_t v);
static inline bool quic_put_varint(struct quic_writer *w, uint64_t v);
static inline bool quic_put_bytes(struct quic_writer *w, const void *src, size_t n);

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

/* Reserve n readable bytes or poison the reader. */
static inline const uint8_t *
quic_reader_take_(struct quic_reader *r, size_t n)
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

static inline bool
quic_get_u8(struct quic_reader *r, uint8_t *v)
{
	const uint8_t *p = quic_reader_take_(r, 1);

	if (p == NULL)
		return false;
	*v = p[0];
	return true;
}

static inline bool
quic_get_u16(struct quic_reader *r, uint16_t *v)
{
	const uint8_t *p = quic_reader_take_(r, 2);

	if (p == NULL)
		return false;
	*v = (uint16_t)((p[0] << 8) | p[1]);
	return true;
}

static inline bool
quic_get_u24(struct quic_reader *r, uint32_t *v)
{
	const uint8_t *p = quic_reader_take_(r, 3);

	if (p == NULL)
		return false;
	*v = ((uint32_t)p[0] << 16) | ((uint32_t)p[1] << 8) | p[2];
	return true;
}

static inline bool
quic_get_u32(struct quic_reader *r, uint32_t *v)
{
	const uint8_t *p = quic_reader_take_(r, 4);

	if (p == NULL)
		return false;
	*v = ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
	return true;
}

static inline bool
quic_get_varint(struct quic_reader *r, uint64_t *v)
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
quic_get_bytes(struct quic_reader *r, size_t n, const uint8_t **out)
{
	const uint8_t *p = quic_reader_take_(r, n);

	if (p == NULL)
		return false;
	*out = p;
	return true;
}

static inline bool
quic_get_copy(struct quic_reader *r, void *dst, size_t n)
{
	const uint8_t *p = quic_reader_take_(r, n);

	if (p == NULL)
		return false;
	if (n > 0)
		memcpy(dst, p, n);
	return true;
}

static inline bool
quic_skip(struct quic_reader *r, size_t n)
{
	return quic_reader_take_(r, n) != NULL;
}

/* Reserve n writable bytes or poison the writer. */
static inline uint8_t *
quic_writer_room_(struct quic_writer *w, size_t n)
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

static inline bool
quic_put_u8(struct quic_writer *w, uint8_t v)
{
	uint8_t *p = quic_writer_room_(w, 1);

	if (p == NULL)
		return false;
	p[0] = v;
	return true;
}

static inline bool
quic_put_u16(struct quic_writer *w, uint16_t v)
{
	uint8_t *p = quic_writer_room_(w, 2);

	if (p == NULL)
		return false;
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return true;
}

static inline bool
quic_put_u24(struct quic_writer *w, uint32_t v)
{
	uint8_t *p = quic_writer_room_(w, 3);

	if (p == NULL)
		return false;
	p[0] = (uint8_t)(v >> 16);
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)v;
	return true;
}

static inline bool
quic_put_u32(struct quic_writer *w, uint32_t v)
{
	uint8_t *p = quic_writer_room_(w, 4);

	if (p == NULL)
		return false;
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
	return true;
}

static inline bool
quic_put_varint(struct quic_writer *w, uint64_t v)
{
	size_t n = quic_varint_len(v);
	uint8_t *p;

	if (n == 0) {
		w->err = true;
		return false;
	}
	p = quic_writer_room_(w, n);
	if (p == NULL)
		return false;
	quic_varint_encode_n(p, n, v, n);
	return true;
}

static inline bool
quic_put_bytes(struct quic_writer *w, const void *src, size_t n)
{
	uint8_t *p = quic_writer_room_(w, n);

	if (p == NULL)
		return false;
	if (n > 0)
		memcpy(p, src, n);
	return true;
}

#ifdef __cplusplus
}
#endif

#endif /* HB_QUIC_VARINT_H */
