/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The client side of the application protocols the bench speaks (quic/h3.h has the server's):
 *   h3: a GET as one HEADERS frame (RFC 9114 §4.1) with QPACK static-table or literal fields
 *       (RFC 9204 §4.5, no dynamic table: we advertise capacity 0 in SETTINGS, so the server's
 *       encoder must not use one, §3.2.3); the response is HEADERS, DATA..., optional trailers.
 *       Frames of unknown types are skipped (RFC 9114 §9). The server's unidirectional streams
 *       (control, QPACK) are read and discarded by the engine: the client needs nothing from
 *       the server's SETTINGS while it uses no dynamic table and sends no extension.
 *   hq-interop: "GET /path\r\n", then the file's bytes and FIN.
 *   perf (draft-banks-quic-performance): 8 bytes giving the response size; the server sends
 *       that many bytes, byte i being (uint8_t)i (quic/h3/hq.c), which is what we verify.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <quic/error.h>
#include <quic/h3.h>
#include <quic/qpack.h>

#include "gen.h"

enum {
	GEN_H3_FH = 0, /* reading a frame header */
	GEN_H3_HDRS,   /* inside HEADERS */
	GEN_H3_DATA,   /* inside DATA */
	GEN_H3_SKIP,   /* inside a frame we ignore */
};

#define GEN_MAX_FIELD_SECTION 16384

static bool
put_field(struct crypto_wr *w, const char *name, const char *value)
{
	return quic_qpack_put_field(w, name, strlen(name), value, strlen(value)) == 0;
}

/* HEADERS frame of a GET (RFC 9114 §4.3.1: :method, :scheme, :authority, :path). */
static size_t
h3_request(uint8_t *buf, size_t cap, const char *path, const char *authority)
{
	uint8_t fs[1200];
	struct crypto_wr w;
	size_t n;

	crypto_wr_init(&w, fs, sizeof(fs));
	if (quic_qpack_put_prefix(&w) != 0 || !put_field(&w, ":method", "GET") ||
	    !put_field(&w, ":scheme", "https") || !put_field(&w, ":authority", authority) ||
	    !put_field(&w, ":path", path) || !put_field(&w, "user-agent", "hayabusa-bench"))
		return 0;
	n = crypto_wr_len(&w);
	crypto_wr_init(&w, buf, cap);
	if (quic_h3_frame_header_put(&w, QUIC_H3_FRAME_HEADERS, n) != 0 ||
	    !crypto_put_bytes(&w, fs, n) || w.err)
		return 0;
	return crypto_wr_len(&w);
}

size_t
bench_gen_app_request(uint8_t *buf, size_t cap, enum bench_gen_alpn alpn, const char *path,
		      const char *authority, uint64_t size)
{
	size_t n;

	switch (alpn) {
	case GEN_ALPN_H3:
		return h3_request(buf, cap, path, authority);
	case GEN_ALPN_HQ:
		n = strlen(path);
		if (n + 6 > cap)
			return 0;
		memcpy(buf, "GET ", 4);
		memcpy(buf + 4, path, n);
		memcpy(buf + 4 + n, "\r\n", 2);
		return n + 6;
	case GEN_ALPN_PERF:
		if (cap < 8)
			return 0;
		for (int i = 0; i < 8; i++)
			buf[i] = (uint8_t)(size >> (56 - 8 * i));
		return 8;
	}
	return 0;
}

size_t
bench_gen_app_h3_control(uint8_t *buf, size_t cap)
{
	struct quic_h3_settings set;
	struct crypto_wr w;

	/* Capacity 0 and 0 blocked streams are the defaults (RFC 9204 §5): sent explicitly. */
	quic_h3_settings_init(&set);
	set.qpack_max_table_capacity = 0;
	set.qpack_blocked_streams = 0;
	set.max_field_section_size = GEN_MAX_FIELD_SECTION;
	set.present = 1u << QUIC_H3_SETTING_QPACK_MAX_TABLE_CAPACITY |
		      1u << QUIC_H3_SETTING_MAX_FIELD_SECTION_SIZE |
		      1u << QUIC_H3_SETTING_QPACK_BLOCKED_STREAMS;
	crypto_wr_init(&w, buf, cap);
	if (!quic_put_varint(&w, QUIC_H3_STREAM_CONTROL) || quic_h3_settings_put(&w, &set, 0) != 0)
		return 0;
	return crypto_wr_len(&w);
}

static bool
write_all(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t k = write(fd, p, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return false;
		p += k;
		n -= (size_t)k;
	}
	return true;
}

/* Body bytes: perf checks the pattern; get writes them out. */
static int
body(struct bench_gen_stream *s, enum bench_gen_alpn alpn, const uint8_t *p, size_t n)
{
	if (alpn == GEN_ALPN_PERF) {
		for (size_t i = 0; i < n; i++)
			if (p[i] != (uint8_t)(s->body + i))
				return -1;
	}
	s->body += n;
	if (s->fd >= 0 && !write_all(s->fd, p, n))
		return -1;
	return 0;
}

static unsigned
dec(const uint8_t *p, size_t n, bool *ok)
{
	unsigned v = 0;

	*ok = n > 0 && n <= 9;
	for (size_t i = 0; i < n && *ok; i++) {
		*ok = p[i] >= '0' && p[i] <= '9';
		v = v * 10 + (unsigned)(p[i] - '0');
	}
	return v;
}

static int
on_field(void *ctx, const uint8_t *name, size_t nl, const uint8_t *value, size_t vl)
{
	struct bench_gen_stream *s = ctx;
	bool ok;

	if (nl == 7 && memcmp(name, ":status", 7) == 0 && s->status == 0) {
		s->status = dec(value, vl, &ok);
		return ok ? 0 : -1;
	}
	if (nl == 14 && memcmp(name, "content-length", 14) == 0) {
		s->content_length = dec(value, vl, &ok);
		return ok ? 0 : -1;
	}
	return 0;
}

/* A frame header in s->fh; start the frame. @return bytes of data consumed, or -1 */
static int
h3_frame_start(struct bench_gen_stream *s, const uint8_t *p, size_t len)
{
	size_t old = s->fh_len, take = sizeof(s->fh) - old;
	uint64_t type, flen;
	int k;

	if (take > len)
		take = len;
	memcpy(s->fh + old, p, take);
	k = quic_h3_frame_header_decode(s->fh, old + take, &type, &flen);
	if (k == QUIC_ERR_TRUNCATED) {
		s->fh_len = (uint8_t)(old + take);
		return (int)take;
	}
	if (k < 0 || (size_t)k <= old)
		return -1;
	s->fh_len = 0;
	s->remaining = flen;
	s->hdrs_len = 0;
	if (type == QUIC_H3_FRAME_HEADERS) {
		if (flen > GEN_HDRS_MAX)
			return -1;
		s->state = GEN_H3_HDRS;
	} else {
		s->state = type == QUIC_H3_FRAME_DATA ? GEN_H3_DATA : GEN_H3_SKIP;
	}
	return (int)((size_t)k - old);
}

/* Bytes inside the current frame. @return bytes consumed, or -1 */
static int
h3_frame_body(struct bench_gen_stream *s, const uint8_t *p, size_t len)
{
	uint8_t scratch[GEN_MAX_FIELD_SECTION];
	size_t n = len < s->remaining ? len : (size_t)s->remaining;

	if (s->state == GEN_H3_DATA && body(s, GEN_ALPN_H3, p, n) != 0)
		return -1;
	if (s->state == GEN_H3_HDRS) {
		memcpy(s->hdrs + s->hdrs_len, p, n);
		s->hdrs_len = (uint16_t)(s->hdrs_len + n);
	}
	s->remaining -= n;
	if (s->remaining == 0) {
		if (s->state == GEN_H3_HDRS &&
		    quic_qpack_decode_section(s->hdrs, s->hdrs_len, GEN_MAX_FIELD_SECTION, scratch,
					      sizeof(scratch), on_field, s) != 0)
			return -1;
		s->state = GEN_H3_FH;
	}
	return (int)n;
}

static int
h3_rx(struct bench_gen_stream *s, const uint8_t *p, size_t len)
{
	while (len > 0) {
		int k = s->state == GEN_H3_FH && s->remaining == 0 ? h3_frame_start(s, p, len)
								   : h3_frame_body(s, p, len);

		if (k < 0)
			return -1;
		p += k;
		len -= (size_t)k;
		/* A frame of length 0 ends where it starts. */
		if (s->state != GEN_H3_FH && s->remaining == 0 && h3_frame_body(s, p, 0) < 0)
			return -1;
	}
	return 0;
}

int
bench_gen_app_rx(struct bench_gen_stream *s, enum bench_gen_alpn alpn, const uint8_t *data,
		 size_t len, bool fin)
{
	int rc;

	if (s->failed || s->fin)
		return s->failed ? -1 : 0;
	rc = alpn == GEN_ALPN_H3 ? h3_rx(s, data, len) : body(s, alpn, data, len);
	if (rc == 0 && fin) {
		s->fin = true;
		/* A stream that ends inside a frame is malformed (RFC 9114 §7.1). */
		if (alpn == GEN_ALPN_H3 && (s->state != GEN_H3_FH || s->fh_len != 0))
			rc = -1;
	}
	if (rc != 0)
		s->failed = true;
	return rc;
}

bool
bench_gen_app_ok(const struct bench_gen_stream *s, enum bench_gen_alpn alpn)
{
	if (!s->fin || s->failed)
		return false;
	switch (alpn) {
	case GEN_ALPN_H3:
		return s->status == 200 &&
		       (s->content_length < 0 || (uint64_t)s->content_length == s->body);
	case GEN_ALPN_PERF:
		return s->body == s->want;
	default:
		return true; /* hq-interop has no status: an empty body is "not found" */
	}
}
