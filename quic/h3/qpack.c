/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * QPACK without a dynamic table (RFC 9204): the static table of Appendix A, prefixed integers
 * and string literals (RFC 7541 §5.1, §5.2; RFC 9204 §4.1), the field line representations of
 * §4.5 on decode, and a static-table-or-literal encoder for our responses.
 */
#include <string.h>

#include <quic/error.h>
#include <quic/qpack.h>

struct static_entry {
	const char *name;
	const char *value;
	uint8_t name_len;
	uint8_t value_len;
};

#define ENTRY(n, v)                                                                                \
	{                                                                                          \
		n, v, sizeof(n) - 1, sizeof(v) - 1                                                 \
	}

/* RFC 9204 Appendix A, by index. */
static const struct static_entry static_table[QUIC_QPACK_STATIC_COUNT] = {
	ENTRY(":authority", ""),
	ENTRY(":path", "/"),
	ENTRY("age", "0"),
	ENTRY("content-disposition", ""),
	ENTRY("content-length", "0"),
	ENTRY("cookie", ""),
	ENTRY("date", ""),
	ENTRY("etag", ""),
	ENTRY("if-modified-since", ""),
	ENTRY("if-none-match", ""),
	ENTRY("last-modified", ""),
	ENTRY("link", ""),
	ENTRY("location", ""),
	ENTRY("referer", ""),
	ENTRY("set-cookie", ""),
	ENTRY(":method", "CONNECT"),
	ENTRY(":method", "DELETE"),
	ENTRY(":method", "GET"),
	ENTRY(":method", "HEAD"),
	ENTRY(":method", "OPTIONS"),
	ENTRY(":method", "POST"),
	ENTRY(":method", "PUT"),
	ENTRY(":scheme", "http"),
	ENTRY(":scheme", "https"),
	ENTRY(":status", "103"),
	ENTRY(":status", "200"),
	ENTRY(":status", "304"),
	ENTRY(":status", "404"),
	ENTRY(":status", "503"),
	ENTRY("accept", "*/*"),
	ENTRY("accept", "application/dns-message"),
	ENTRY("accept-encoding", "gzip, deflate, br"),
	ENTRY("accept-ranges", "bytes"),
	ENTRY("access-control-allow-headers", "cache-control"),
	ENTRY("access-control-allow-headers", "content-type"),
	ENTRY("access-control-allow-origin", "*"),
	ENTRY("cache-control", "max-age=0"),
	ENTRY("cache-control", "max-age=2592000"),
	ENTRY("cache-control", "max-age=604800"),
	ENTRY("cache-control", "no-cache"),
	ENTRY("cache-control", "no-store"),
	ENTRY("cache-control", "public, max-age=31536000"),
	ENTRY("content-encoding", "br"),
	ENTRY("content-encoding", "gzip"),
	ENTRY("content-type", "application/dns-message"),
	ENTRY("content-type", "application/javascript"),
	ENTRY("content-type", "application/json"),
	ENTRY("content-type", "application/x-www-form-urlencoded"),
	ENTRY("content-type", "image/gif"),
	ENTRY("content-type", "image/jpeg"),
	ENTRY("content-type", "image/png"),
	ENTRY("content-type", "text/css"),
	ENTRY("content-type", "text/html; charset=utf-8"),
	ENTRY("content-type", "text/plain"),
	ENTRY("content-type", "text/plain;charset=utf-8"),
	ENTRY("range", "bytes=0-"),
	ENTRY("strict-transport-security", "max-age=31536000"),
	ENTRY("strict-transport-security", "max-age=31536000; includesubdomains"),
	ENTRY("strict-transport-security", "max-age=31536000; includesubdomains; preload"),
	ENTRY("vary", "accept-encoding"),
	ENTRY("vary", "origin"),
	ENTRY("x-content-type-options", "nosniff"),
	ENTRY("x-xss-protection", "1; mode=block"),
	ENTRY(":status", "100"),
	ENTRY(":status", "204"),
	ENTRY(":status", "206"),
	ENTRY(":status", "302"),
	ENTRY(":status", "400"),
	ENTRY(":status", "403"),
	ENTRY(":status", "421"),
	ENTRY(":status", "425"),
	ENTRY(":status", "500"),
	ENTRY("accept-language", ""),
	ENTRY("access-control-allow-credentials", "FALSE"),
	ENTRY("access-control-allow-credentials", "TRUE"),
	ENTRY("access-control-allow-headers", "*"),
	ENTRY("access-control-allow-methods", "get"),
	ENTRY("access-control-allow-methods", "get, post, options"),
	ENTRY("access-control-allow-methods", "options"),
	ENTRY("access-control-expose-headers", "content-length"),
	ENTRY("access-control-request-headers", "content-type"),
	ENTRY("access-control-request-method", "get"),
	ENTRY("access-control-request-method", "post"),
	ENTRY("alt-svc", "clear"),
	ENTRY("authorization", ""),
	ENTRY("content-security-policy", "script-src 'none'; object-src 'none'; base-uri 'none'"),
	ENTRY("early-data", "1"),
	ENTRY("expect-ct", ""),
	ENTRY("forwarded", ""),
	ENTRY("if-range", ""),
	ENTRY("origin", ""),
	ENTRY("purpose", "prefetch"),
	ENTRY("server", ""),
	ENTRY("timing-allow-origin", "*"),
	ENTRY("upgrade-insecure-requests", "1"),
	ENTRY("user-agent", ""),
	ENTRY("x-forwarded-for", ""),
	ENTRY("x-frame-options", "deny"),
	ENTRY("x-frame-options", "sameorigin"),
};

bool
quic_qpack_static_get(uint64_t index, const char **name, size_t *name_len, const char **value,
		      size_t *value_len)
{
	const struct static_entry *e;

	if (index >= QUIC_QPACK_STATIC_COUNT)
		return false;
	e = &static_table[index];
	*name = e->name;
	*name_len = e->name_len;
	*value = e->value;
	*value_len = e->value_len;
	return true;
}

int
quic_qpack_int_get(struct crypto_rd *r, unsigned n, uint64_t *v)
{
	uint64_t max_prefix, x;
	unsigned shift = 0;
	uint8_t b;

	if (n < 1 || n > 8)
		return QUIC_ERR_INVAL;
	if (!crypto_get_u8(r, &b))
		return QUIC_ERR_TRUNCATED;
	max_prefix = (UINT64_C(1) << n) - 1;
	x = b & max_prefix;
	if (x < max_prefix) {
		*v = x;
		return 0;
	}
	do {
		if (!crypto_get_u8(r, &b))
			return QUIC_ERR_TRUNCATED;
		/*
		 * Nine continuation bytes carry 63 bits, more than 62-bit values need: a tenth
		 * is refused before the shift could overflow. x stays below 2^62 + 2^63 here.
		 */
		if (shift > 56)
			return QUIC_ERR_MALFORMED;
		x += (uint64_t)(b & 0x7f) << shift;
		if (x > QUIC_QPACK_INT_MAX)
			return QUIC_ERR_MALFORMED;
		shift += 7;
	} while (b & 0x80);
	*v = x;
	return 0;
}

int
quic_qpack_int_put(struct crypto_wr *w, unsigned n, uint8_t flags, uint64_t v)
{
	uint8_t max_prefix;

	if (n < 1 || n > 8 || v > QUIC_QPACK_INT_MAX)
		return QUIC_ERR_INVAL;
	max_prefix = (uint8_t)((1u << n) - 1);
	flags &= (uint8_t)~max_prefix;
	if (v < max_prefix)
		return crypto_put_u8(w, flags | (uint8_t)v) ? 0 : QUIC_ERR_BUFFER;
	crypto_put_u8(w, flags | max_prefix);
	v -= max_prefix;
	while (v >= 0x80) {
		crypto_put_u8(w, (uint8_t)(0x80 | (v & 0x7f)));
		v >>= 7;
	}
	crypto_put_u8(w, (uint8_t)v);
	return w->err ? QUIC_ERR_BUFFER : 0;
}

int
quic_qpack_string_get(struct crypto_rd *r, unsigned n, uint8_t *scratch, size_t scratch_cap,
		      const uint8_t **out, size_t *out_len)
{
	const uint8_t *p;
	uint64_t len;
	bool huffman;
	int rc;

	if (n < 2 || n > 8)
		return QUIC_ERR_INVAL;
	if (crypto_rd_left(r) == 0)
		return QUIC_ERR_TRUNCATED;
	huffman = (r->p[0] >> (n - 1)) & 1;
	rc = quic_qpack_int_get(r, n - 1, &len);
	if (rc != 0)
		return rc;
	if (len > crypto_rd_left(r) || !crypto_get_bytes(r, (size_t)len, &p))
		return QUIC_ERR_TRUNCATED;
	if (!huffman) {
		*out = p;
		*out_len = (size_t)len;
		return 0;
	}
	rc = quic_huffman_decode(p, (size_t)len, scratch, scratch_cap);
	if (rc < 0)
		return rc;
	*out = scratch;
	*out_len = (size_t)rc;
	return 0;
}

/* State of one field section decode. */
struct section {
	struct crypto_rd r;
	uint64_t max_size;
	uint64_t size; /* decoded size so far, RFC 9114 §4.2.2 */
	uint8_t *scratch;
	size_t scratch_cap;
	quic_qpack_field_fn fn;
	void *ctx;
};

/* Map a primitive's error to the section's: malformed input, or too large to decode. */
static int
section_err(int rc)
{
	return rc == QUIC_ERR_BUFFER ? QUIC_H3_ERR_TOO_LARGE : QUIC_H3_ERR_QPACK_DECOMPRESSION;
}

/* Count the field against the limit, then hand it to the caller. */
static int
emit(struct section *s, const uint8_t *name, size_t name_len, const uint8_t *value,
     size_t value_len)
{
	s->size += QUIC_QPACK_FIELD_OVERHEAD + (uint64_t)name_len + value_len;
	if (s->size > s->max_size)
		return QUIC_H3_ERR_TOO_LARGE;
	return s->fn(s->ctx, name, name_len, value, value_len);
}

/* §4.5.2 Indexed Field Line: 1 T index(6+). Only T=1 (static) is possible without a table. */
static int
indexed(struct section *s, uint8_t first)
{
	const char *name, *value;
	size_t nl, vl;
	uint64_t idx;

	if (!(first & 0x40) || quic_qpack_int_get(&s->r, 6, &idx) != 0 ||
	    !quic_qpack_static_get(idx, &name, &nl, &value, &vl))
		return QUIC_H3_ERR_QPACK_DECOMPRESSION;
	return emit(s, (const uint8_t *)name, nl, (const uint8_t *)value, vl);
}

/* §4.5.4 Literal Field Line with Name Reference: 0 1 N T index(4+), value(8+). */
static int
literal_name_ref(struct section *s, uint8_t first)
{
	const char *name, *unused;
	const uint8_t *value;
	size_t nl, ul, vl;
	uint64_t idx;
	int rc;

	if (!(first & 0x10) || quic_qpack_int_get(&s->r, 4, &idx) != 0 ||
	    !quic_qpack_static_get(idx, &name, &nl, &unused, &ul))
		return QUIC_H3_ERR_QPACK_DECOMPRESSION;
	rc = quic_qpack_string_get(&s->r, 8, s->scratch, s->scratch_cap, &value, &vl);
	if (rc != 0)
		return section_err(rc);
	return emit(s, (const uint8_t *)name, nl, value, vl);
}

/* §4.5.6 Literal Field Line with Literal Name: 0 0 1 N H namelen(3+), name, value(8+). */
static int
literal_name(struct section *s)
{
	const uint8_t *name, *value;
	size_t nl, vl;
	int rc;

	rc = quic_qpack_string_get(&s->r, 4, s->scratch, s->scratch_cap, &name, &nl);
	if (rc != 0)
		return section_err(rc);
	/* A Huffman name sits at the start of scratch: decode the value after it. */
	if (name == s->scratch)
		rc = quic_qpack_string_get(&s->r, 8, s->scratch + nl, s->scratch_cap - nl, &value,
					   &vl);
	else
		rc = quic_qpack_string_get(&s->r, 8, s->scratch, s->scratch_cap, &value, &vl);
	if (rc != 0)
		return section_err(rc);
	return emit(s, name, nl, value, vl);
}

/*
 * §4.5.1 Encoded Field Section Prefix. With no dynamic table the Required Insert Count must be
 * 0 (§4.5.1.1: any other value could not come from a conformant encoder), and a Sign bit of 1
 * would make Base negative since Delta Base >= Required Insert Count (§4.5.1.2).
 */
static int
section_prefix(struct section *s)
{
	uint64_t ric, delta;
	bool sign;

	if (quic_qpack_int_get(&s->r, 8, &ric) != 0 || ric != 0)
		return QUIC_H3_ERR_QPACK_DECOMPRESSION;
	if (crypto_rd_left(&s->r) == 0)
		return QUIC_H3_ERR_QPACK_DECOMPRESSION;
	sign = (s->r.p[0] & 0x80) != 0;
	if (quic_qpack_int_get(&s->r, 7, &delta) != 0 || sign)
		return QUIC_H3_ERR_QPACK_DECOMPRESSION;
	return 0;
}

int
quic_qpack_decode_section(const uint8_t *in, size_t len, uint64_t max_size, uint8_t *scratch,
			  size_t scratch_cap, quic_qpack_field_fn fn, void *ctx)
{
	struct section s = {.max_size = max_size,
			    .scratch = scratch,
			    .scratch_cap = scratch_cap,
			    .fn = fn,
			    .ctx = ctx};
	int rc;

	crypto_rd_init(&s.r, in, len);
	rc = section_prefix(&s);
	while (rc == 0 && crypto_rd_left(&s.r) > 0) {
		uint8_t first = s.r.p[0];

		if (first & 0x80)
			rc = indexed(&s, first);
		else if (first & 0x40)
			rc = literal_name_ref(&s, first);
		else if (first & 0x20)
			rc = literal_name(&s);
		else /* §4.5.3 and §4.5.5: post-Base references need a dynamic table. */
			rc = QUIC_H3_ERR_QPACK_DECOMPRESSION;
	}
	return rc;
}

int
quic_qpack_put_prefix(struct crypto_wr *w)
{
	crypto_put_u8(w, 0);
	crypto_put_u8(w, 0);
	return w->err ? QUIC_ERR_BUFFER : 0;
}

/* Static index with both name and value (*full) or the name only; -1 when none. */
static int
static_find(const char *name, size_t nl, const char *value, size_t vl, bool *full)
{
	int name_idx = -1;

	for (int i = 0; i < QUIC_QPACK_STATIC_COUNT; i++) {
		const struct static_entry *e = &static_table[i];

		if (e->name_len != nl || memcmp(e->name, name, nl) != 0)
			continue;
		if (e->value_len == vl && memcmp(e->value, value, vl) == 0) {
			*full = true;
			return i;
		}
		if (name_idx < 0)
			name_idx = i;
	}
	*full = false;
	return name_idx;
}

/* A plain (not Huffman) string literal with an n-bit prefix. */
static int
put_string(struct crypto_wr *w, unsigned n, uint8_t flags, const char *s, size_t len)
{
	int rc = quic_qpack_int_put(w, n - 1, flags, len);

	if (rc != 0)
		return rc == QUIC_ERR_INVAL ? QUIC_ERR_BUFFER : rc;
	return crypto_put_bytes(w, s, len) ? 0 : QUIC_ERR_BUFFER;
}

int
quic_qpack_put_field(struct crypto_wr *w, const char *name, size_t name_len, const char *value,
		     size_t value_len)
{
	bool full;
	int idx = static_find(name, name_len, value, value_len, &full);
	int rc;

	if (idx >= 0 && full) /* §4.5.2: '1', T=1 (static) */
		return quic_qpack_int_put(w, 6, 0xc0, (uint64_t)idx) == 0 ? 0 : QUIC_ERR_BUFFER;
	if (idx >= 0) /* §4.5.4: '01', N=0, T=1 */
		rc = quic_qpack_int_put(w, 4, 0x50, (uint64_t)idx);
	else /* §4.5.6: '001', N=0, then the name as a 4-bit prefix string with H=0 */
		rc = put_string(w, 4, 0x20, name, name_len);
	if (rc != 0)
		return QUIC_ERR_BUFFER;
	return put_string(w, 8, 0x00, value, value_len);
}
