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

#ifdef __cplusplus
extern "C" {
#endif

#define QUIC_VARINT_MAX ((UINT64_C(1) << 62) - 1)

/* Encoded length of v (1, 2, 4 or 8); 0 when v > QUIC_VARINT_MAX. */
size_t quic_varint_len(uint64_t v);
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
int quic_varint_decode(const uint8_t *buf, size_t len, uint64_t *v);
/*
 * Encode v in its shortest form.
 * @return bytes written, QUIC_ERR_BUFFER (cap too small) or QUIC_ERR_INVAL (v too large)
 */
int quic_varint_encode(uint8_t *buf, size_t cap, uint64_t v);
/* Encode v in exactly n bytes (n = 1, 2, 4, 8), e.g. for a Length field reserved early. */
int quic_varint_encode_n(uint8_t *buf, size_t cap, uint64_t v, size_t n);

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

bool quic_get_u8(struct quic_reader *r, uint8_t *v);
bool quic_get_u16(struct quic_reader *r, uint16_t *v);
bool quic_get_u24(struct quic_reader *r, uint32_t *v);
bool quic_get_u32(struct quic_reader *r, uint32_t *v);
bool quic_get_varint(struct quic_reader *r, uint64_t *v);
/* Borrow n bytes: *out points into the input. */
bool quic_get_bytes(struct quic_reader *r, size_t n, const uint8_t **out);
/* Copy n bytes into dst. */
bool quic_get_copy(struct quic_reader *r, void *dst, size_t n);
bool quic_skip(struct quic_reader *r, size_t n);

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

bool quic_put_u8(struct quic_writer *w, uint8_t v);
bool quic_put_u16(struct quic_writer *w, uint16_t v);
bool quic_put_u24(struct quic_writer *w, uint32_t v);
bool quic_put_u32(struct quic_writer *w, uint32_t v);
bool quic_put_varint(struct quic_writer *w, uint64_t v);
bool quic_put_bytes(struct quic_writer *w, const void *src, size_t n);

#ifdef __cplusplus
}
#endif

#endif /* HB_QUIC_VARINT_H */
