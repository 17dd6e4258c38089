/* SPDX-License-Identifier: BSD-3-Clause */
/* Variable-length integer codec (RFC 9000 §16) and bounds-checked cursors. */
#include <string.h>

#include <quic/error.h>
#include <quic/varint.h>

size_t
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

int
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

int
quic_varint_encode_n(uint8_t *buf, size_t cap, uint64_t v, size_t n)
{
	static const uint8_t prefix[9] = {[1] = 0x00, [2] = 0x40, [4] = 0x80, [8] = 0xc0};
	size_t i;

	if ((n != 1 && n != 2 && n != 4 && n != 8) || v > QUIC_VARINT_MAX ||
	    quic_varint_len(v) > n)
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

int
quic_varint_encode(uint8_t *buf, size_t cap, uint64_t v)
{
	size_t n = quic_varint_len(v);

	if (n == 0)
		return QUIC_ERR_INVAL;
	return quic_varint_encode_n(buf, cap, v, n);
}

/* Reserve n readable bytes or poison the reader. */
static const uint8_t *
take(struct quic_reader *r, size_t n)
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

bool
quic_get_u8(struct quic_reader *r, uint8_t *v)
{
	const uint8_t *p = take(r, 1);

	if (p == NULL)
		return false;
	*v = p[0];
	return true;
}

bool
quic_get_u16(struct quic_reader *r, uint16_t *v)
{
	const uint8_t *p = take(r, 2);

	if (p == NULL)
		return false;
	*v = (uint16_t)((p[0] << 8) | p[1]);
	return true;
}

bool
quic_get_u24(struct quic_reader *r, uint32_t *v)
{
	const uint8_t *p = take(r, 3);

	if (p == NULL)
		return false;
	*v = ((uint32_t)p[0] << 16) | ((uint32_t)p[1] << 8) | p[2];
	return true;
}

bool
quic_get_u32(struct quic_reader *r, uint32_t *v)
{
	const uint8_t *p = take(r, 4);

	if (p == NULL)
		return false;
	*v = ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
	return true;
}

bool
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

bool
quic_get_bytes(struct quic_reader *r, size_t n, const uint8_t **out)
{
	const uint8_t *p = take(r, n);

	if (p == NULL)
		return false;
	*out = p;
	return true;
}

bool
quic_get_copy(struct quic_reader *r, void *dst, size_t n)
{
	const uint8_t *p = take(r, n);

	if (p == NULL)
		return false;
	if (n > 0)
		memcpy(dst, p, n);
	return true;
}

bool
quic_skip(struct quic_reader *r, size_t n)
{
	return take(r, n) != NULL;
}

/* Reserve n writable bytes or poison the writer. */
static uint8_t *
room(struct quic_writer *w, size_t n)
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

bool
quic_put_u8(struct quic_writer *w, uint8_t v)
{
	uint8_t *p = room(w, 1);

	if (p == NULL)
		return false;
	p[0] = v;
	return true;
}

bool
quic_put_u16(struct quic_writer *w, uint16_t v)
{
	uint8_t *p = room(w, 2);

	if (p == NULL)
		return false;
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return true;
}

bool
quic_put_u24(struct quic_writer *w, uint32_t v)
{
	uint8_t *p = room(w, 3);

	if (p == NULL)
		return false;
	p[0] = (uint8_t)(v >> 16);
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)v;
	return true;
}

bool
quic_put_u32(struct quic_writer *w, uint32_t v)
{
	uint8_t *p = room(w, 4);

	if (p == NULL)
		return false;
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
	return true;
}

bool
quic_put_varint(struct quic_writer *w, uint64_t v)
{
	size_t n = quic_varint_len(v);
	uint8_t *p;

	if (n == 0) {
		w->err = true;
		return false;
	}
	p = room(w, n);
	if (p == NULL)
		return false;
	quic_varint_encode_n(p, n, v, n);
	return true;
}

bool
quic_put_bytes(struct quic_writer *w, const void *src, size_t n)
{
	uint8_t *p = room(w, n);

	if (p == NULL)
		return false;
	if (n > 0)
		memcpy(p, src, n);
	return true;
}
