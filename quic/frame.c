/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * QUIC frame codec (RFC 9000 §19, RFC 9221 §4): one decoder, one size function, one writer and
 * one comparison per frame type, reached through a table indexed by the frame type, so no
 * function grows with the number of types.
 */
#include <assert.h>
#include <string.h>

#include <quic/error.h>
#include <quic/frame.h>

/* Body size of a frame that cannot be encoded. */
#define LEN_BAD SIZE_MAX

struct frame_ops {
	/* Decode the fields after the type (already in f->type). */
	int (*decode)(struct crypto_rd *r, struct quic_frame *f);
	/* Encoded size of the fields after the type, or LEN_BAD. */
	size_t (*body_len)(const struct quic_frame *f);
	/* Write the fields after the type; room has been checked. */
	void (*write)(struct crypto_wr *w, const struct quic_frame *f);
	bool (*equal)(const struct quic_frame *a, const struct quic_frame *b);
};

/* Per-type rule bits: packet types (bit = 1 << enum quic_pkt_type), then Table 3's marks. */
#define PKT_I  (1u << QUIC_PKT_INITIAL)
#define PKT_0  (1u << QUIC_PKT_0RTT)
#define PKT_H  (1u << QUIC_PKT_HANDSHAKE)
#define PKT_1  (1u << QUIC_PKT_1RTT)
#define MARK_N 0x20u /* not ack-eliciting */
#define MARK_C 0x40u /* not counted in bytes in flight */
#define MARK_P 0x80u /* probing */

struct frame_kind {
	const struct frame_ops *ops;
	uint8_t rules;
};

/* ---- helpers ---- */

static size_t
add_len(size_t a, size_t b)
{
	if (a == LEN_BAD || b == LEN_BAD || b > LEN_BAD - 1 - a)
		return LEN_BAD;
	return a + b;
}

/* Summed shortest encodings of n varints, or LEN_BAD if one is above 2^62-1. */
static size_t
varints_len(const uint64_t *v, size_t n)
{
	size_t sum = 0, i;

	for (i = 0; i < n; i++) {
		size_t l = quic_varint_len(v[i]);

		if (l == 0)
			return LEN_BAD;
		sum += l;
	}
	return sum;
}

/* Read a length varint and borrow that many bytes. */
static bool
get_len_bytes(struct crypto_rd *r, size_t *len, const uint8_t **out)
{
	uint64_t n;

	if (!quic_get_varint(r, &n))
		return false;
	if (n > crypto_rd_left(r)) {
		r->err = true;
		return false;
	}
	*len = (size_t)n;
	return crypto_get_bytes(r, *len, out);
}

static bool
bytes_equal(const uint8_t *a, const uint8_t *b, size_t n)
{
	return n == 0 || memcmp(a, b, n) == 0;
}

static int
reader_status(const struct crypto_rd *r)
{
	return r->err ? QUIC_ERR_TRUNCATED : 0;
}

/* ---- PADDING (§19.1) ---- */

static int
decode_padding(struct crypto_rd *r, struct quic_frame *f)
{
	const uint8_t *p = r->p;
	uint64_t word;

	/* A run is one frame: skip zero words, then zero bytes. */
	while ((size_t)(r->end - p) >= sizeof(word)) {
		memcpy(&word, p, sizeof(word));
		if (word != 0)
			break;
		p += sizeof(word);
	}
	while (p < r->end && *p == 0)
		p++;
	f->padding.len = (size_t)(p - r->p) + 1;
	r->p = p;
	return 0;
}

static size_t
body_len_padding(const struct quic_frame *f)
{
	return f->padding.len == 0 ? LEN_BAD : f->padding.len - 1;
}

static void
write_padding(struct crypto_wr *w, const struct quic_frame *f)
{
	static const uint8_t zeros[64];
	size_t left = f->padding.len - 1;

	while (left > 0) {
		size_t n = left < sizeof(zeros) ? left : sizeof(zeros);

		crypto_put_bytes(w, zeros, n);
		left -= n;
	}
}

static bool
equal_padding(const struct quic_frame *a, const struct quic_frame *b)
{
	return a->padding.len == b->padding.len;
}

/* ---- PING (§19.2), HANDSHAKE_DONE (§19.20): no fields ---- */

static int
decode_empty(struct crypto_rd *r, struct quic_frame *f)
{
	(void)r;
	(void)f;
	return 0;
}

static size_t
body_len_empty(const struct quic_frame *f)
{
	(void)f;
	return 0;
}

static void
write_empty(struct crypto_wr *w, const struct quic_frame *f)
{
	(void)w;
	(void)f;
}

static bool
equal_empty(const struct quic_frame *a, const struct quic_frame *b)
{
	(void)a;
	(void)b;
	return true;
}

/* ---- ACK (§19.3) ---- */

/*
 * One Gap/ACK Range Length step of §19.3.1: from the smallest packet of the previous range,
 * largest = previous_smallest - gap - 2 and smallest = largest - length. False if either
 * would be negative (FRAME_ENCODING_ERROR).
 */
static bool
ack_step(uint64_t prev_smallest, uint64_t gap, uint64_t len, struct quic_ack_range *out)
{
	/* gap <= 2^62-1, so gap + 2 cannot wrap. */
	if (prev_smallest < gap + 2)
		return false;
	out->largest = prev_smallest - gap - 2;
	if (len > out->largest)
		return false;
	out->smallest = out->largest - len;
	return true;
}

/* Reader over a frame's encoded ranges; a caller-built frame may leave them NULL. */
static void
ranges_reader(struct crypto_rd *r, const struct quic_frame_ack *a)
{
	static const uint8_t none[1];

	if (a->ranges == NULL)
		crypto_rd_init(r, none, 0);
	else
		crypto_rd_init(r, a->ranges, a->ranges_len);
}

static int
decode_ack_ranges(struct crypto_rd *r, struct quic_frame_ack *a)
{
	struct quic_ack_range cur = {.smallest = a->largest - a->first_range};
	uint64_t i, gap, len;

	a->ranges = r->p;
	for (i = 0; i < a->range_count; i++) {
		/* Each pair takes two bytes or more, so the loop is bounded by the input. */
		if (!quic_get_varint(r, &gap) || !quic_get_varint(r, &len))
			return QUIC_ERR_TRUNCATED;
		if (!ack_step(cur.smallest, gap, len, &cur))
			return QUIC_ERR_FRAME_ENCODING;
	}
	a->ranges_len = (size_t)(r->p - a->ranges);
	a->smallest = cur.smallest;
	return 0;
}

static int
decode_ack(struct crypto_rd *r, struct quic_frame *f)
{
	struct quic_frame_ack *a = &f->ack;
	int err;

	quic_get_varint(r, &a->largest);
	quic_get_varint(r, &a->ack_delay);
	quic_get_varint(r, &a->range_count);
	quic_get_varint(r, &a->first_range);
	if (r->err)
		return QUIC_ERR_TRUNCATED;
	if (a->first_range > a->largest)
		return QUIC_ERR_FRAME_ENCODING;
	err = decode_ack_ranges(r, a);
	if (err != 0)
		return err;
	a->ect0 = a->ect1 = a->ce = 0;
	if (f->type == QUIC_FRAME_ACK_ECN) {
		quic_get_varint(r, &a->ect0);
		quic_get_varint(r, &a->ect1);
		quic_get_varint(r, &a->ce);
	}
	return reader_status(r);
}

void
quic_ack_iter_init(struct quic_ack_iter *it, const struct quic_frame_ack *ack)
{
	ranges_reader(&it->r, ack);
	it->left = ack->range_count;
	it->largest = ack->largest;
	it->first_range = ack->first_range;
	it->smallest = 0;
	it->started = false;
}

bool
quic_ack_range_next(struct quic_ack_iter *it, struct quic_ack_range *out)
{
	struct quic_ack_range cur;
	uint64_t gap, len;

	if (!it->started) {
		if (it->first_range > it->largest)
			return false;
		it->started = true;
		out->largest = it->largest;
		out->smallest = it->largest - it->first_range;
		it->smallest = out->smallest;
		return true;
	}
	if (it->left == 0 || !quic_get_varint(&it->r, &gap) || !quic_get_varint(&it->r, &len) ||
	    !ack_step(it->smallest, gap, len, &cur)) {
		it->left = 0;
		return false;
	}
	it->left--;
	it->smallest = cur.smallest;
	*out = cur;
	return true;
}

/*
 * Shortest re-encoding of the ranges after the first, walking the encoded pairs again so that
 * a caller-built frame is validated as a decoded one is.
 */
static size_t
ack_pairs_len(const struct quic_frame_ack *a)
{
	struct quic_ack_range cur = {.smallest = a->largest - a->first_range};
	struct crypto_rd r;
	size_t sum = 0;
	uint64_t i, v[2];

	ranges_reader(&r, a);
	for (i = 0; i < a->range_count; i++) {
		if (!quic_get_varint(&r, &v[0]) || !quic_get_varint(&r, &v[1]) ||
		    !ack_step(cur.smallest, v[0], v[1], &cur))
			return LEN_BAD;
		sum = add_len(sum, varints_len(v, 2));
	}
	return crypto_rd_left(&r) == 0 ? sum : LEN_BAD;
}

static size_t
body_len_ack(const struct quic_frame *f)
{
	const struct quic_frame_ack *a = &f->ack;
	const uint64_t head[] = {a->largest, a->ack_delay, a->range_count, a->first_range};
	const uint64_t ecn[] = {a->ect0, a->ect1, a->ce};
	size_t n;

	if (a->largest > QUIC_VARINT_MAX || a->first_range > a->largest)
		return LEN_BAD;
	n = add_len(varints_len(head, 4), ack_pairs_len(a));
	if (f->type == QUIC_FRAME_ACK_ECN)
		n = add_len(n, varints_len(ecn, 3));
	return n;
}

static void
write_ack(struct crypto_wr *w, const struct quic_frame *f)
{
	const struct quic_frame_ack *a = &f->ack;
	struct crypto_rd r;
	uint64_t i, v;

	quic_put_varint(w, a->largest);
	quic_put_varint(w, a->ack_delay);
	quic_put_varint(w, a->range_count);
	quic_put_varint(w, a->first_range);
	/* Pairs were validated by body_len_ack(); rewrite each in its shortest form. */
	ranges_reader(&r, a);
	for (i = 0; i < 2 * a->range_count && quic_get_varint(&r, &v); i++)
		quic_put_varint(w, v);
	if (f->type == QUIC_FRAME_ACK_ECN) {
		quic_put_varint(w, a->ect0);
		quic_put_varint(w, a->ect1);
		quic_put_varint(w, a->ce);
	}
}

static bool
equal_ack(const struct quic_frame *a, const struct quic_frame *b)
{
	const struct quic_frame_ack *x = &a->ack, *y = &b->ack;
	struct quic_ack_iter ix, iy;
	struct quic_ack_range rx, ry;
	bool more_x, more_y;

	if (x->largest != y->largest || x->ack_delay != y->ack_delay ||
	    x->range_count != y->range_count || x->first_range != y->first_range ||
	    x->ect0 != y->ect0 || x->ect1 != y->ect1 || x->ce != y->ce)
		return false;
	quic_ack_iter_init(&ix, x);
	quic_ack_iter_init(&iy, y);
	do {
		more_x = quic_ack_range_next(&ix, &rx);
		more_y = quic_ack_range_next(&iy, &ry);
		if (more_x != more_y)
			return false;
		if (more_x && (rx.smallest != ry.smallest || rx.largest != ry.largest))
			return false;
	} while (more_x);
	return true;
}

/* ---- RESET_STREAM (§19.4) ---- */

static int
decode_reset_stream(struct crypto_rd *r, struct quic_frame *f)
{
	quic_get_varint(r, &f->reset_stream.stream_id);
	quic_get_varint(r, &f->reset_stream.error_code);
	quic_get_varint(r, &f->reset_stream.final_size);
	return reader_status(r);
}

static size_t
body_len_reset_stream(const struct quic_frame *f)
{
	const uint64_t v[] = {f->reset_stream.stream_id, f->reset_stream.error_code,
			      f->reset_stream.final_size};

	return varints_len(v, 3);
}

static void
write_reset_stream(struct crypto_wr *w, const struct quic_frame *f)
{
	quic_put_varint(w, f->reset_stream.stream_id);
	quic_put_varint(w, f->reset_stream.error_code);
	quic_put_varint(w, f->reset_stream.final_size);
}

static bool
equal_reset_stream(const struct quic_frame *a, const struct quic_frame *b)
{
	return a->reset_stream.stream_id == b->reset_stream.stream_id &&
	       a->reset_stream.error_code == b->reset_stream.error_code &&
	       a->reset_stream.final_size == b->reset_stream.final_size;
}

/* ---- STOP_SENDING (§19.5) ---- */

static int
decode_stop_sending(struct crypto_rd *r, struct quic_frame *f)
{
	quic_get_varint(r, &f->stop_sending.stream_id);
	quic_get_varint(r, &f->stop_sending.error_code);
	return reader_status(r);
}

static size_t
body_len_stop_sending(const struct quic_frame *f)
{
	const uint64_t v[] = {f->stop_sending.stream_id, f->stop_sending.error_code};

	return varints_len(v, 2);
}

static void
write_stop_sending(struct crypto_wr *w, const struct quic_frame *f)
{
	quic_put_varint(w, f->stop_sending.stream_id);
	quic_put_varint(w, f->stop_sending.error_code);
}

static bool
equal_stop_sending(const struct quic_frame *a, const struct quic_frame *b)
{
	return a->stop_sending.stream_id == b->stop_sending.stream_id &&
	       a->stop_sending.error_code == b->stop_sending.error_code;
}

/* ---- CRYPTO (§19.6) ---- */

static int
decode_crypto(struct crypto_rd *r, struct quic_frame *f)
{
	struct quic_frame_crypto *c = &f->crypto;

	quic_get_varint(r, &c->offset);
	if (!get_len_bytes(r, &c->len, &c->data))
		return QUIC_ERR_TRUNCATED;
	/* §19.6: the largest offset delivered cannot exceed 2^62-1. */
	if (c->offset > QUIC_VARINT_MAX - c->len)
		return QUIC_ERR_FRAME_ENCODING;
	return 0;
}

static size_t
body_len_crypto(const struct quic_frame *f)
{
	const struct quic_frame_crypto *c = &f->crypto;
	const uint64_t v[] = {c->offset, c->len};

	if (c->offset > QUIC_VARINT_MAX || c->len > QUIC_VARINT_MAX - c->offset)
		return LEN_BAD;
	return add_len(varints_len(v, 2), c->len);
}

static void
write_crypto(struct crypto_wr *w, const struct quic_frame *f)
{
	quic_put_varint(w, f->crypto.offset);
	quic_put_varint(w, f->crypto.len);
	crypto_put_bytes(w, f->crypto.data, f->crypto.len);
}

static bool
equal_crypto(const struct quic_frame *a, const struct quic_frame *b)
{
	return a->crypto.offset == b->crypto.offset && a->crypto.len == b->crypto.len &&
	       bytes_equal(a->crypto.data, b->crypto.data, a->crypto.len);
}

/* ---- NEW_TOKEN (§19.7) ---- */

static int
decode_new_token(struct crypto_rd *r, struct quic_frame *f)
{
	if (!get_len_bytes(r, &f->new_token.len, &f->new_token.token))
		return QUIC_ERR_TRUNCATED;
	/* §19.7: an empty token is a FRAME_ENCODING_ERROR. */
	return f->new_token.len == 0 ? QUIC_ERR_FRAME_ENCODING : 0;
}

static size_t
body_len_new_token(const struct quic_frame *f)
{
	uint64_t len = f->new_token.len;

	if (len == 0)
		return LEN_BAD;
	return add_len(varints_len(&len, 1), f->new_token.len);
}

static void
write_new_token(struct crypto_wr *w, const struct quic_frame *f)
{
	quic_put_varint(w, f->new_token.len);
	crypto_put_bytes(w, f->new_token.token, f->new_token.len);
}

static bool
equal_new_token(const struct quic_frame *a, const struct quic_frame *b)
{
	return a->new_token.len == b->new_token.len &&
	       bytes_equal(a->new_token.token, b->new_token.token, a->new_token.len);
}

/* ---- STREAM (§19.8) ---- */

static int
decode_stream(struct crypto_rd *r, struct quic_frame *f)
{
	struct quic_frame_stream *s = &f->stream;
	bool ok;

	quic_get_varint(r, &s->stream_id);
	s->offset = 0;
	if (f->type & QUIC_STREAM_BIT_OFF)
		quic_get_varint(r, &s->offset);
	if (f->type & QUIC_STREAM_BIT_LEN) {
		ok = get_len_bytes(r, &s->len, &s->data);
	} else {
		/* Without a Length the data runs to the end of the packet. */
		s->len = crypto_rd_left(r);
		ok = crypto_get_bytes(r, s->len, &s->data);
	}
	if (!ok)
		return QUIC_ERR_TRUNCATED;
	/* §19.8: offset + length cannot exceed 2^62-1. */
	if (s->offset > QUIC_VARINT_MAX - s->len)
		return QUIC_ERR_FRAME_ENCODING;
	return 0;
}

static size_t
body_len_stream(const struct quic_frame *f)
{
	const struct quic_frame_stream *s = &f->stream;
	size_t n;

	if (s->offset > QUIC_VARINT_MAX || s->len > QUIC_VARINT_MAX - s->offset)
		return LEN_BAD;
	n = varints_len(&s->stream_id, 1);
	if (f->type & QUIC_STREAM_BIT_OFF)
		n = add_len(n, varints_len(&s->offset, 1));
	else if (s->offset != 0)
		return LEN_BAD;
	if (f->type & QUIC_STREAM_BIT_LEN)
		n = add_len(n, quic_varint_len(s->len));
	return add_len(n, s->len);
}

static void
write_stream(struct crypto_wr *w, const struct quic_frame *f)
{
	quic_put_varint(w, f->stream.stream_id);
	if (f->type & QUIC_STREAM_BIT_OFF)
		quic_put_varint(w, f->stream.offset);
	if (f->type & QUIC_STREAM_BIT_LEN)
		quic_put_varint(w, f->stream.len);
	crypto_put_bytes(w, f->stream.data, f->stream.len);
}

static bool
equal_stream(const struct quic_frame *a, const struct quic_frame *b)
{
	return a->stream.stream_id == b->stream.stream_id && a->stream.offset == b->stream.offset &&
	       a->stream.len == b->stream.len &&
	       bytes_equal(a->stream.data, b->stream.data, a->stream.len);
}

/* ---- MAX_DATA (§19.9) ---- */

static int
decode_max_data(struct crypto_rd *r, struct quic_frame *f)
{
	quic_get_varint(r, &f->max_data.max);
	return reader_status(r);
}

static size_t
body_len_max_data(const struct quic_frame *f)
{
	return varints_len(&f->max_data.max, 1);
}

static void
write_max_data(struct crypto_wr *w, const struct quic_frame *f)
{
	quic_put_varint(w, f->max_data.max);
}

static bool
equal_max_data(const struct quic_frame *a, const struct quic_frame *b)
{
	return a->max_data.max == b->max_data.max;
}

/* ---- MAX_STREAM_DATA (§19.10) ---- */

static int
decode_max_stream_data(struct crypto_rd *r, struct quic_frame *f)
{
	quic_get_varint(r, &f->max_stream_data.stream_id);
	quic_get_varint(r, &f->max_stream_data.max);
	return reader_status(r);
}

static size_t
body_len_max_stream_data(const struct quic_frame *f)
{
	const uint64_t v[] = {f->max_stream_data.stream_id, f->max_stream_data.max};

	return varints_len(v, 2);
}

static void
write_max_stream_data(struct crypto_wr *w, const struct quic_frame *f)
{
	quic_put_varint(w, f->max_stream_data.stream_id);
	quic_put_varint(w, f->max_stream_data.max);
}

static bool
equal_max_stream_data(const struct quic_frame *a, const struct quic_frame *b)
{
	return a->max_stream_data.stream_id == b->max_stream_data.stream_id &&
	       a->max_stream_data.max == b->max_stream_data.max;
}

/* ---- MAX_STREAMS (§19.11) ---- */

static int
decode_max_streams(struct crypto_rd *r, struct quic_frame *f)
{
	if (!quic_get_varint(r, &f->max_streams.max))
		return QUIC_ERR_TRUNCATED;
	/* §19.11: above 2^60 no stream ID could be encoded. */
	return f->max_streams.max > QUIC_FRAME_MAX_STREAMS_LIMIT ? QUIC_ERR_FRAME_ENCODING : 0;
}

static size_t
body_len_max_streams(const struct quic_frame *f)
{
	if (f->max_streams.max > QUIC_FRAME_MAX_STREAMS_LIMIT)
		return LEN_BAD;
	return varints_len(&f->max_streams.max, 1);
}

static void
write_max_streams(struct crypto_wr *w, const struct quic_frame *f)
{
	quic_put_varint(w, f->max_streams.max);
}

static bool
equal_max_streams(const struct quic_frame *a, const struct quic_frame *b)
{
	return a->max_streams.max == b->max_streams.max;
}

/* ---- DATA_BLOCKED (§19.12) ---- */

static int
decode_data_blocked(struct crypto_rd *r, struct quic_frame *f)
{
	quic_get_varint(r, &f->data_blocked.limit);
	return reader_status(r);
}

static size_t
body_len_data_blocked(const struct quic_frame *f)
{
	return varints_len(&f->data_blocked.limit, 1);
}

static void
write_data_blocked(struct crypto_wr *w, const struct quic_frame *f)
{
	quic_put_varint(w, f->data_blocked.limit);
}

static bool
equal_data_blocked(const struct quic_frame *a, const struct quic_frame *b)
{
	return a->data_blocked.limit == b->data_blocked.limit;
}

/* ---- STREAM_DATA_BLOCKED (§19.13) ---- */

static int
decode_stream_data_blocked(struct crypto_rd *r, struct quic_frame *f)
{
	quic_get_varint(r, &f->stream_data_blocked.stream_id);
	quic_get_varint(r, &f->stream_data_blocked.limit);
	return reader_status(r);
}

static size_t
body_len_stream_data_blocked(const struct quic_frame *f)
{
	const uint64_t v[] = {f->stream_data_blocked.stream_id, f->stream_data_blocked.limit};

	return varints_len(v, 2);
}

static void
write_stream_data_blocked(struct crypto_wr *w, const struct quic_frame *f)
{
	quic_put_varint(w, f->stream_data_blocked.stream_id);
	quic_put_varint(w, f->stream_data_blocked.limit);
}

static bool
equal_stream_data_blocked(const struct quic_frame *a, const struct quic_frame *b)
{
	return a->stream_data_blocked.stream_id == b->stream_data_blocked.stream_id &&
	       a->stream_data_blocked.limit == b->stream_data_blocked.limit;
}

/* ---- STREAMS_BLOCKED (§19.14) ---- */

static int
decode_streams_blocked(struct crypto_rd *r, struct quic_frame *f)
{
	if (!quic_get_varint(r, &f->streams_blocked.limit))
		return QUIC_ERR_TRUNCATED;
	/* §19.14: above 2^60 is a STREAM_LIMIT_ERROR or FRAME_ENCODING_ERROR; we use the latter. */
	return f->streams_blocked.limit > QUIC_FRAME_MAX_STREAMS_LIMIT ? QUIC_ERR_FRAME_ENCODING
								       : 0;
}

static size_t
body_len_streams_blocked(const struct quic_frame *f)
{
	if (f->streams_blocked.limit > QUIC_FRAME_MAX_STREAMS_LIMIT)
		return LEN_BAD;
	return varints_len(&f->streams_blocked.limit, 1);
}

static void
write_streams_blocked(struct crypto_wr *w, const struct quic_frame *f)
{
	quic_put_varint(w, f->streams_blocked.limit);
}

static bool
equal_streams_blocked(const struct quic_frame *a, const struct quic_frame *b)
{
	return a->streams_blocked.limit == b->streams_blocked.limit;
}

/* ---- NEW_CONNECTION_ID (§19.15) ---- */

static int
decode_new_connection_id(struct crypto_rd *r, struct quic_frame *f)
{
	struct quic_frame_new_connection_id *n = &f->new_connection_id;

	quic_get_varint(r, &n->seq);
	quic_get_varint(r, &n->retire_prior_to);
	if (!crypto_get_u8(r, &n->cid_len))
		return QUIC_ERR_TRUNCATED;
	/* §19.15: a length outside 1..20, or Retire Prior To above the sequence number. */
	if (n->cid_len == 0 || n->cid_len > QUIC_FRAME_CID_MAX || n->retire_prior_to > n->seq)
		return QUIC_ERR_FRAME_ENCODING;
	crypto_get_bytes(r, n->cid_len, &n->cid);
	crypto_get_bytes(r, QUIC_FRAME_RESET_TOKEN_LEN, &n->reset_token);
	return reader_status(r);
}

static size_t
body_len_new_connection_id(const struct quic_frame *f)
{
	const struct quic_frame_new_connection_id *n = &f->new_connection_id;
	const uint64_t v[] = {n->seq, n->retire_prior_to};

	if (n->cid_len == 0 || n->cid_len > QUIC_FRAME_CID_MAX || n->retire_prior_to > n->seq)
		return LEN_BAD;
	return add_len(varints_len(v, 2), 1 + (size_t)n->cid_len + QUIC_FRAME_RESET_TOKEN_LEN);
}

static void
write_new_connection_id(struct crypto_wr *w, const struct quic_frame *f)
{
	const struct quic_frame_new_connection_id *n = &f->new_connection_id;

	quic_put_varint(w, n->seq);
	quic_put_varint(w, n->retire_prior_to);
	crypto_put_u8(w, n->cid_len);
	crypto_put_bytes(w, n->cid, n->cid_len);
	crypto_put_bytes(w, n->reset_token, QUIC_FRAME_RESET_TOKEN_LEN);
}

static bool
equal_new_connection_id(const struct quic_frame *a, const struct quic_frame *b)
{
	const struct quic_frame_new_connection_id *x = &a->new_connection_id;
	const struct quic_frame_new_connection_id *y = &b->new_connection_id;

	return x->seq == y->seq && x->retire_prior_to == y->retire_prior_to &&
	       x->cid_len == y->cid_len && bytes_equal(x->cid, y->cid, x->cid_len) &&
	       bytes_equal(x->reset_token, y->reset_token, QUIC_FRAME_RESET_TOKEN_LEN);
}

/* ---- RETIRE_CONNECTION_ID (§19.16) ---- */

static int
decode_retire_connection_id(struct crypto_rd *r, struct quic_frame *f)
{
	quic_get_varint(r, &f->retire_connection_id.seq);
	return reader_status(r);
}

static size_t
body_len_retire_connection_id(const struct quic_frame *f)
{
	return varints_len(&f->retire_connection_id.seq, 1);
}

static void
write_retire_connection_id(struct crypto_wr *w, const struct quic_frame *f)
{
	quic_put_varint(w, f->retire_connection_id.seq);
}

static bool
equal_retire_connection_id(const struct quic_frame *a, const struct quic_frame *b)
{
	return a->retire_connection_id.seq == b->retire_connection_id.seq;
}

/* ---- PATH_CHALLENGE (§19.17), PATH_RESPONSE (§19.18) ---- */

static int
decode_path(struct crypto_rd *r, struct quic_frame *f)
{
	quic_get_copy(r, f->path.data, QUIC_FRAME_PATH_DATA_LEN);
	return reader_status(r);
}

static size_t
body_len_path(const struct quic_frame *f)
{
	(void)f;
	return QUIC_FRAME_PATH_DATA_LEN;
}

static void
write_path(struct crypto_wr *w, const struct quic_frame *f)
{
	crypto_put_bytes(w, f->path.data, QUIC_FRAME_PATH_DATA_LEN);
}

static bool
equal_path(const struct quic_frame *a, const struct quic_frame *b)
{
	return memcmp(a->path.data, b->path.data, QUIC_FRAME_PATH_DATA_LEN) == 0;
}

/* ---- CONNECTION_CLOSE (§19.19) ---- */

static int
decode_connection_close(struct crypto_rd *r, struct quic_frame *f)
{
	struct quic_frame_connection_close *c = &f->connection_close;

	quic_get_varint(r, &c->error_code);
	c->frame_type = 0;
	if (f->type == QUIC_FRAME_CONNECTION_CLOSE)
		quic_get_varint(r, &c->frame_type);
	/* A Reason Phrase Length past the end of the packet is a truncation. */
	if (!get_len_bytes(r, &c->reason_len, &c->reason))
		return QUIC_ERR_TRUNCATED;
	return 0;
}

static size_t
body_len_connection_close(const struct quic_frame *f)
{
	const struct quic_frame_connection_close *c = &f->connection_close;
	const uint64_t v[] = {c->error_code, c->reason_len, c->frame_type};
	bool transport = f->type == QUIC_FRAME_CONNECTION_CLOSE;

	if (!transport && c->frame_type != 0)
		return LEN_BAD;
	return add_len(varints_len(v, transport ? 3 : 2), c->reason_len);
}

static void
write_connection_close(struct crypto_wr *w, const struct quic_frame *f)
{
	const struct quic_frame_connection_close *c = &f->connection_close;

	quic_put_varint(w, c->error_code);
	if (f->type == QUIC_FRAME_CONNECTION_CLOSE)
		quic_put_varint(w, c->frame_type);
	quic_put_varint(w, c->reason_len);
	crypto_put_bytes(w, c->reason, c->reason_len);
}

static bool
equal_connection_close(const struct quic_frame *a, const struct quic_frame *b)
{
	const struct quic_frame_connection_close *x = &a->connection_close;
	const struct quic_frame_connection_close *y = &b->connection_close;

	return x->error_code == y->error_code && x->frame_type == y->frame_type &&
	       x->reason_len == y->reason_len && bytes_equal(x->reason, y->reason, x->reason_len);
}

/* ---- DATAGRAM (RFC 9221 §4) ---- */

static int
decode_datagram(struct crypto_rd *r, struct quic_frame *f)
{
	struct quic_frame_datagram *d = &f->datagram;

	if (f->type == QUIC_FRAME_DATAGRAM_LEN)
		return get_len_bytes(r, &d->len, &d->data) ? 0 : QUIC_ERR_TRUNCATED;
	d->len = crypto_rd_left(r);
	return crypto_get_bytes(r, d->len, &d->data) ? 0 : QUIC_ERR_TRUNCATED;
}

static size_t
body_len_datagram(const struct quic_frame *f)
{
	size_t n;

	if (f->type != QUIC_FRAME_DATAGRAM_LEN)
		return f->datagram.len;
	n = quic_varint_len(f->datagram.len);
	return n == 0 ? LEN_BAD : add_len(n, f->datagram.len);
}

static void
write_datagram(struct crypto_wr *w, const struct quic_frame *f)
{
	if (f->type == QUIC_FRAME_DATAGRAM_LEN)
		quic_put_varint(w, f->datagram.len);
	crypto_put_bytes(w, f->datagram.data, f->datagram.len);
}

static bool
equal_datagram(const struct quic_frame *a, const struct quic_frame *b)
{
	return a->datagram.len == b->datagram.len &&
	       bytes_equal(a->datagram.data, b->datagram.data, a->datagram.len);
}

/* ---- dispatch ---- */

#define OPS(name)                                                                                  \
	static const struct frame_ops ops_##name = {decode_##name, body_len_##name, write_##name,  \
						    equal_##name}

OPS(padding);
OPS(empty);
OPS(ack);
OPS(reset_stream);
OPS(stop_sending);
OPS(crypto);
OPS(new_token);
OPS(stream);
OPS(max_data);
OPS(max_stream_data);
OPS(max_streams);
OPS(data_blocked);
OPS(stream_data_blocked);
OPS(streams_blocked);
OPS(new_connection_id);
OPS(retire_connection_id);
OPS(path);
OPS(connection_close);
OPS(datagram);

/* RFC 9000 §12.4 Table 3: Pkts and Spec columns, with §12.5's 0-RTT exclusions. */
#define ALL (PKT_I | PKT_0 | PKT_H | PKT_1)
#define APP (PKT_0 | PKT_1)

static const struct frame_kind frame_kinds[0x20] = {
	[0x00] = {&ops_padding, ALL | MARK_N | MARK_P},
	[0x01] = {&ops_empty, ALL},
	[0x02] = {&ops_ack, PKT_I | PKT_H | PKT_1 | MARK_N | MARK_C},
	[0x03] = {&ops_ack, PKT_I | PKT_H | PKT_1 | MARK_N | MARK_C},
	[0x04] = {&ops_reset_stream, APP},
	[0x05] = {&ops_stop_sending, APP},
	[0x06] = {&ops_crypto, PKT_I | PKT_H | PKT_1},
	[0x07] = {&ops_new_token, PKT_1},
	[0x08] = {&ops_stream, APP},
	[0x09] = {&ops_stream, APP},
	[0x0a] = {&ops_stream, APP},
	[0x0b] = {&ops_stream, APP},
	[0x0c] = {&ops_stream, APP},
	[0x0d] = {&ops_stream, APP},
	[0x0e] = {&ops_stream, APP},
	[0x0f] = {&ops_stream, APP},
	[0x10] = {&ops_max_data, APP},
	[0x11] = {&ops_max_stream_data, APP},
	[0x12] = {&ops_max_streams, APP},
	[0x13] = {&ops_max_streams, APP},
	[0x14] = {&ops_data_blocked, APP},
	[0x15] = {&ops_stream_data_blocked, APP},
	[0x16] = {&ops_streams_blocked, APP},
	[0x17] = {&ops_streams_blocked, APP},
	[0x18] = {&ops_new_connection_id, APP | MARK_P},
	/* Table 3 marks it 0-RTT-capable; §12.5 lists it among frames 0-RTT cannot carry. */
	[0x19] = {&ops_retire_connection_id, PKT_1},
	[0x1a] = {&ops_path, APP | MARK_P},
	[0x1b] = {&ops_path, PKT_1 | MARK_P},
	[0x1c] = {&ops_connection_close, ALL | MARK_N},
	[0x1d] = {&ops_connection_close, APP | MARK_N},
	[0x1e] = {&ops_empty, PKT_1},
};

/* RFC 9221 §4: 0-RTT and 1-RTT only; ack-eliciting and congestion-controlled. */
static const struct frame_kind datagram_kind = {&ops_datagram, APP};

static const struct frame_kind *
kind_of(uint64_t type)
{
	if (type < sizeof(frame_kinds) / sizeof(frame_kinds[0]))
		return frame_kinds[type].ops != NULL ? &frame_kinds[type] : NULL;
	if (type == QUIC_FRAME_DATAGRAM || type == QUIC_FRAME_DATAGRAM_LEN)
		return &datagram_kind;
	return NULL;
}

int
quic_frame_decode(struct crypto_rd *r, struct quic_frame *f)
{
	const struct frame_kind *k;
	const uint8_t *start = r->p;
	uint64_t type;

	/* A type cut short is an error, never PADDING (bad-input.md C4). */
	if (!quic_get_varint(r, &type))
		return QUIC_ERR_TRUNCATED;
	if ((size_t)(r->p - start) != quic_varint_len(type))
		return QUIC_ERR_PROTOCOL;
	k = kind_of(type);
	if (k == NULL)
		return QUIC_ERR_FRAME_ENCODING;
	f->type = type;
	return k->ops->decode(r, f);
}

size_t
quic_frame_encoded_len(const struct quic_frame *f)
{
	const struct frame_kind *k = kind_of(f->type);
	size_t n;

	if (k == NULL)
		return 0;
	n = add_len(quic_varint_len(f->type), k->ops->body_len(f));
	return n == LEN_BAD ? 0 : n;
}

int
quic_frame_encode(struct crypto_wr *w, const struct quic_frame *f)
{
	const struct frame_kind *k = kind_of(f->type);
	size_t n = quic_frame_encoded_len(f);

	if (k == NULL || n == 0)
		return QUIC_ERR_INVAL;
	if (n > crypto_wr_left(w))
		return QUIC_ERR_BUFFER;
	quic_put_varint(w, f->type);
	k->ops->write(w, f);
	assert(!w->err);
	return 0;
}

bool
quic_frame_equal(const struct quic_frame *a, const struct quic_frame *b)
{
	const struct frame_kind *k = kind_of(a->type);

	return a->type == b->type && k != NULL && k->ops->equal(a, b);
}

/* ---- ACK from ranges ---- */

static bool
ack_ranges_valid(const struct quic_ack_range *ranges, size_t n)
{
	size_t i;

	if (n == 0 || ranges[0].largest > QUIC_VARINT_MAX)
		return false;
	for (i = 0; i < n; i++) {
		if (ranges[i].smallest > ranges[i].largest)
			return false;
		/*
		 * At least one unacknowledged packet between ranges (a Gap of 0 or more), written
		 * so that a largest near 2^64 cannot wrap past the check.
		 */
		if (i > 0 && (ranges[i].largest >= ranges[i - 1].smallest ||
			      ranges[i - 1].smallest - ranges[i].largest < 2))
			return false;
	}
	return true;
}

/* Gap and ACK Range Length of ranges[i], i >= 1 (§19.3.1). */
static void
ack_pair(const struct quic_ack_range *ranges, size_t i, uint64_t v[2])
{
	v[0] = ranges[i - 1].smallest - ranges[i].largest - 2;
	v[1] = ranges[i].largest - ranges[i].smallest;
}

/* How many ranges after the first fit in room with a head of base bytes (LEN_BAD: none). */
static size_t
ack_ranges_fitting(const struct quic_ack_range *ranges, size_t n, size_t base, size_t room)
{
	size_t k = 0, sum = 0;
	uint64_t v[2];

	if (base + 1 > room)
		return LEN_BAD;
	while (k + 1 < n) {
		size_t pair;

		ack_pair(ranges, k + 1, v);
		pair = varints_len(v, 2);
		if (base + quic_varint_len(k + 1) + sum + pair > room)
			break;
		sum += pair;
		k++;
	}
	return k;
}

int
quic_frame_encode_ack(struct crypto_wr *w, const struct quic_ack_range *ranges, size_t n,
		      uint64_t ack_delay, const struct quic_ack_ecn *ecn, size_t *written)
{
	uint64_t head[3], counts[3] = {0, 0, 0};
	size_t base, k, i;
	uint64_t v[2];

	if (ranges == NULL || ack_delay > QUIC_VARINT_MAX || !ack_ranges_valid(ranges, n))
		return QUIC_ERR_INVAL;
	head[0] = ranges[0].largest;
	head[1] = ack_delay;
	head[2] = ranges[0].largest - ranges[0].smallest;
	if (ecn != NULL) {
		counts[0] = ecn->ect0;
		counts[1] = ecn->ect1;
		counts[2] = ecn->ce;
	}
	base = add_len(1 + varints_len(head, 3), ecn ? varints_len(counts, 3) : 0);
	if (base == LEN_BAD)
		return QUIC_ERR_INVAL;
	k = ack_ranges_fitting(ranges, n, base, crypto_wr_left(w));
	if (k == LEN_BAD)
		return QUIC_ERR_BUFFER;
	crypto_put_u8(w, ecn ? QUIC_FRAME_ACK_ECN : QUIC_FRAME_ACK);
	quic_put_varint(w, head[0]);
	quic_put_varint(w, head[1]);
	quic_put_varint(w, k);
	quic_put_varint(w, head[2]);
	for (i = 1; i <= k; i++) {
		ack_pair(ranges, i, v);
		quic_put_varint(w, v[0]);
		quic_put_varint(w, v[1]);
	}
	for (i = 0; ecn != NULL && i < 3; i++)
		quic_put_varint(w, counts[i]);
	assert(!w->err);
	*written = k + 1;
	return 0;
}

/* ---- STREAM and CRYPTO sized to the room left ---- */

/*
 * Most data that fits in avail bytes after a Length field, trying each Length width: a wider
 * field can carry more only when its value needs it (§16).
 */
static bool
fit_with_len(size_t avail, size_t data_len, struct quic_frame_fit *fit)
{
	static const size_t widths[] = {1, 2, 4, 8};
	static const uint64_t caps[] = {63, 16383, (UINT64_C(1) << 30) - 1, QUIC_VARINT_MAX};
	bool found = false;
	size_t best = 0, i;

	for (i = 0; i < 4 && avail >= widths[i]; i++) {
		uint64_t d = data_len;

		if (d > avail - widths[i])
			d = avail - widths[i];
		if (d > caps[i])
			d = caps[i];
		if (!found || d > best)
			best = (size_t)d;
		found = true;
	}
	if (!found)
		return false;
	fit->data_len = best;
	fit->hdr_len += quic_varint_len(best);
	fit->has_len = true;
	return true;
}

/* Common tail of the fit helpers: base header bytes already in fit->hdr_len. */
static int
fit_data(size_t room, size_t data_len, bool with_len, struct quic_frame_fit *fit)
{
	size_t avail;

	if (room < fit->hdr_len)
		return QUIC_ERR_BUFFER;
	avail = room - fit->hdr_len;
	if (with_len) {
		if (!fit_with_len(avail, data_len, fit))
			return QUIC_ERR_BUFFER;
	} else {
		fit->has_len = false;
		fit->data_len = data_len < avail ? data_len : avail;
	}
	return fit->data_len == 0 && data_len > 0 ? QUIC_ERR_BUFFER : 0;
}

/* Data a frame at offset may carry before reaching 2^62-1 (§19.6, §19.8). */
static bool
clamp_to_final(uint64_t offset, size_t *data_len)
{
	if (offset > QUIC_VARINT_MAX || (offset == QUIC_VARINT_MAX && *data_len > 0))
		return false;
	if (*data_len > QUIC_VARINT_MAX - offset)
		*data_len = (size_t)(QUIC_VARINT_MAX - offset);
	return true;
}

int
quic_stream_frame_fit(size_t room, uint64_t stream_id, uint64_t offset, size_t data_len, bool last,
		      struct quic_frame_fit *fit)
{
	if (stream_id > QUIC_VARINT_MAX || !clamp_to_final(offset, &data_len))
		return QUIC_ERR_INVAL;
	fit->hdr_len = 1 + quic_varint_len(stream_id) + (offset > 0 ? quic_varint_len(offset) : 0);
	return fit_data(room, data_len, !last, fit);
}

int
quic_crypto_frame_fit(size_t room, uint64_t offset, size_t data_len, struct quic_frame_fit *fit)
{
	if (!clamp_to_final(offset, &data_len))
		return QUIC_ERR_INVAL;
	fit->hdr_len = 1 + quic_varint_len(offset);
	return fit_data(room, data_len, true, fit);
}

int
quic_frame_encode_stream_fit(struct crypto_wr *w, uint64_t stream_id, uint64_t offset,
			     const uint8_t *data, size_t data_len, bool fin, bool last,
			     size_t *written)
{
	return quic_frame_encode_stream_fit2(w, stream_id, offset, data, data_len, NULL, data_len,
					     fin, last, written);
}

int
quic_frame_encode_stream_head(struct crypto_wr *w, uint64_t stream_id, uint64_t offset,
			      size_t data_len, bool fin, bool last, size_t *data_at,
			      size_t *written)
{
	struct quic_frame_fit fit;
	uint8_t type = QUIC_FRAME_STREAM;
	int err;

	err = quic_stream_frame_fit(crypto_wr_left(w), stream_id, offset, data_len, last, &fit);
	if (err != 0)
		return err;
	if (offset > 0)
		type |= QUIC_STREAM_BIT_OFF;
	if (fit.has_len)
		type |= QUIC_STREAM_BIT_LEN;
	if (fin && fit.data_len == data_len)
		type |= QUIC_STREAM_BIT_FIN;
	/*
	 * Written directly, as write_stream() would after quic_frame_encode(): the fit already
	 * sized every field (minimal varints, as quic_put_varint() writes them) within the room,
	 * and this runs once per STREAM frame of a bulk transfer.
	 */
	crypto_put_u8(w, type);
	quic_put_varint(w, stream_id);
	if (offset > 0)
		quic_put_varint(w, offset);
	if (fit.has_len)
		quic_put_varint(w, fit.data_len);
	*data_at = crypto_wr_len(w);
	(void)crypto_wr_room(w, fit.data_len);
	assert(!w->err);
	*written = fit.data_len;
	return 0;
}

int
quic_frame_encode_stream_fit2(struct crypto_wr *w, uint64_t stream_id, uint64_t offset,
			      const uint8_t *data, size_t len1, const uint8_t *data2,
			      size_t data_len, bool fin, bool last, size_t *written)
{
	size_t at, n;
	int err;

	err = quic_frame_encode_stream_head(w, stream_id, offset, data_len, fin, last, &at, &n);
	if (err != 0)
		return err;
	if (n > 0)
		memcpy(w->start + at, data, n < len1 ? n : len1);
	if (n > len1)
		memcpy(w->start + at + len1, data2, n - len1);
	*written = n;
	return 0;
}

int
quic_frame_encode_crypto_fit(struct crypto_wr *w, uint64_t offset, const uint8_t *data,
			     size_t data_len, size_t *written)
{
	struct quic_frame_fit fit;
	struct quic_frame f;
	int err;

	err = quic_crypto_frame_fit(crypto_wr_left(w), offset, data_len, &fit);
	if (err != 0)
		return err;
	f.type = QUIC_FRAME_CRYPTO;
	f.crypto.offset = offset;
	f.crypto.len = fit.data_len;
	f.crypto.data = data;
	err = quic_frame_encode(w, &f);
	if (err == 0)
		*written = fit.data_len;
	return err;
}

/* ---- per-type rules ---- */

bool
quic_frame_allowed_in(uint64_t type, enum quic_pkt_type pkt)
{
	const struct frame_kind *k = kind_of(type);

	if (k == NULL || (unsigned)pkt > QUIC_PKT_1RTT)
		return false;
	return (k->rules & (1u << pkt)) != 0;
}

bool
quic_frame_is_ack_eliciting(uint64_t type)
{
	const struct frame_kind *k = kind_of(type);

	return k != NULL && !(k->rules & MARK_N);
}

bool
quic_frame_is_congestion_controlled(uint64_t type)
{
	const struct frame_kind *k = kind_of(type);

	return k != NULL && !(k->rules & MARK_C);
}

bool
quic_frame_is_probing(uint64_t type)
{
	const struct frame_kind *k = kind_of(type);

	return k != NULL && (k->rules & MARK_P);
}
