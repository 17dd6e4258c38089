/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * QUIC frames, RFC 9000 §19 (and RFC 9221 §4 DATAGRAM): wire encodings of every type, round
 * trips, truncation loops, each decoder rejection of shared/bad-input.md section C, the
 * room-fitting encoders and the RFC 9000 §12.4 Table 3 rules.
 */
#include <string.h>

#include <quic/error.h>
#include <quic/frame.h>

#include "hb_test.h"

TestSuite(frame);

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Decode exactly one frame from buf[0..len); returns the error and the bytes consumed. */
static int
decode_buf(const uint8_t *buf, size_t len, struct quic_frame *f, size_t *used)
{
	struct crypto_rd r;
	int err;

	crypto_rd_init(&r, buf, len);
	err = quic_frame_decode(&r, f);
	*used = (size_t)(r.p - buf);
	return err;
}

/* Encode f into buf (checking quic_frame_encoded_len agrees) and return the length. */
static size_t
encode_buf(const struct quic_frame *f, uint8_t *buf, size_t cap)
{
	struct crypto_wr w;

	crypto_wr_init(&w, buf, cap);
	cr_assert(eq(int, quic_frame_encode(&w, f), 0));
	cr_assert(eq(sz, crypto_wr_len(&w), quic_frame_encoded_len(f)));
	return crypto_wr_len(&w);
}

/* Every strict prefix shorter than hdr is a clean truncation. */
static void
check_prefixes_truncated(const uint8_t *buf, size_t hdr)
{
	for (size_t k = 0; k < hdr; k++) {
		struct quic_frame f;
		size_t used;

		cr_assert(eq(int, decode_buf(buf, k, &f, &used), QUIC_ERR_TRUNCATED),
			  "prefix of %zu bytes", k);
	}
}

/* ---- Wire encodings of every type (hand-assembled from the §19 figures) ---- */

struct wire_case {
	const char *name;
	const char *hex;
	/*
	 * Bytes before the data of a frame that runs to the end of the packet (PADDING, STREAM
	 * without LEN, DATAGRAM 0x30): longer prefixes are valid shorter frames. 0: none.
	 */
	size_t open_hdr;
};

static const struct wire_case wire_cases[] = {
	{"PADDING §19.1", "00", 1},
	{"PING §19.2", "01", 0},
	{"ACK §19.3", "02 0a 00 01 02 06 00", 0},
	{"ACK_ECN §19.3.2", "03 4064 19 00 05 01 02 03", 0},
	{"RESET_STREAM §19.4", "04 04 4d2c 80010000", 0},
	{"STOP_SENDING §19.5", "05 08 01", 0},
	{"CRYPTO §19.6", "06 00 05 68656c6c6f", 0},
	{"NEW_TOKEN §19.7", "07 03 aabbcc", 0},
	{"STREAM 0x08 §19.8", "08 04 616263", 2},
	{"STREAM 0x09 FIN", "09 04 616263", 2},
	{"STREAM 0x0a LEN", "0a 04 03 616263", 0},
	{"STREAM 0x0b LEN FIN", "0b 04 03 616263", 0},
	{"STREAM 0x0c OFF", "0c 04 40c8 616263", 4},
	{"STREAM 0x0d OFF FIN", "0d 04 40c8 616263", 4},
	{"STREAM 0x0e OFF LEN", "0e 04 40c8 03 616263", 0},
	{"STREAM 0x0f OFF LEN FIN", "0f 04 40c8 03 616263", 0},
	{"STREAM FIN no data", "0b 04 00", 0},
	{"MAX_DATA §19.9", "10 80100000", 0},
	{"MAX_STREAM_DATA §19.10", "11 04 4400", 0},
	{"MAX_STREAMS bidi §19.11", "12 4064", 0},
	{"MAX_STREAMS uni at 2^60", "13 d000000000000000", 0},
	{"DATA_BLOCKED §19.12", "14 3f", 0},
	{"STREAM_DATA_BLOCKED §19.13", "15 00 20", 0},
	{"STREAMS_BLOCKED bidi §19.14", "16 05", 0},
	{"STREAMS_BLOCKED uni at 2^60", "17 d000000000000000", 0},
	{"NEW_CONNECTION_ID §19.15",
	 "18 01 00 08 0102030405060708 00112233445566778899aabbccddeeff", 0},
	{"RETIRE_CONNECTION_ID §19.16", "19 01", 0},
	{"PATH_CHALLENGE §19.17", "1a 0001020304050607", 0},
	{"PATH_RESPONSE §19.18", "1b 08090a0b0c0d0e0f", 0},
	{"CONNECTION_CLOSE transport §19.19", "1c 07 06 04 626f6f6d", 0},
	{"CONNECTION_CLOSE application", "1d 40ff 00", 0},
	{"HANDSHAKE_DONE §19.20", "1e", 0},
	{"DATAGRAM RFC 9221 §4", "30 646174", 1},
	{"DATAGRAM_LEN", "31 02 6869", 0},
	{"ACK 8-byte largest", "02 ffffffffffffffff 00 00 3f", 0},
};

/* Decode consumes the whole frame, the shortest re-encoding is byte-identical. */
HB_TEST(frame, wire_cases_decode_and_reencode_identically)
{
	for (size_t i = 0; i < ARRAY_LEN(wire_cases); i++) {
		uint8_t in[128], out[128];
		size_t n = hb_hex(wire_cases[i].hex, in, sizeof(in)), used;
		struct quic_frame f;

		cr_assert(gt(sz, n, 0));
		cr_assert(eq(int, decode_buf(in, n, &f, &used), 0), "%s", wire_cases[i].name);
		cr_assert(eq(sz, used, n), "%s", wire_cases[i].name);
		cr_assert(eq(sz, encode_buf(&f, out, sizeof(out)), n), "%s", wire_cases[i].name);
		cr_assert(eq(int, memcmp(in, out, n), 0), "%s", wire_cases[i].name);
	}
}

/* Truncation loop over every wire case: every strict prefix is rejected cleanly. */
HB_TEST(frame, wire_cases_every_strict_prefix_rejected)
{
	for (size_t i = 0; i < ARRAY_LEN(wire_cases); i++) {
		uint8_t in[128];
		size_t n = hb_hex(wire_cases[i].hex, in, sizeof(in));
		size_t hdr = wire_cases[i].open_hdr ? wire_cases[i].open_hdr : n;

		check_prefixes_truncated(in, hdr);
		/* Frames running to the end of the packet: a longer prefix is a shorter frame. */
		for (size_t k = hdr; k < n; k++) {
			struct quic_frame f;
			size_t used;

			cr_assert(eq(int, decode_buf(in, k, &f, &used), 0), "%s",
				  wire_cases[i].name);
			cr_assert(eq(sz, used, k));
		}
	}
}

/* The fields of the wire cases, checked one by one for a few representative types. */
HB_TEST(frame, wire_fields)
{
	uint8_t in[64];
	struct quic_frame f;
	size_t n, used;

	n = hb_hex("0f 04 40c8 03 616263", in, sizeof(in));
	cr_assert(eq(int, decode_buf(in, n, &f, &used), 0));
	cr_assert(eq(u64, f.type, 0x0f));
	cr_assert(eq(u64, f.stream.stream_id, 4));
	cr_assert(eq(u64, f.stream.offset, 200));
	cr_assert(eq(sz, f.stream.len, 3));
	cr_assert(eq(int, memcmp(f.stream.data, "abc", 3), 0));
	/* Borrowed, not copied. */
	cr_assert(eq(ptr, (void *)(uintptr_t)f.stream.data, (void *)&in[5]));

	n = hb_hex("03 4064 19 00 05 01 02 03", in, sizeof(in));
	cr_assert(eq(int, decode_buf(in, n, &f, &used), 0));
	cr_assert(eq(u64, f.ack.largest, 100));
	cr_assert(eq(u64, f.ack.ack_delay, 25));
	cr_assert(eq(u64, f.ack.range_count, 0));
	cr_assert(eq(u64, f.ack.smallest, 95));
	cr_assert(eq(u64, f.ack.ect0, 1));
	cr_assert(eq(u64, f.ack.ect1, 2));
	cr_assert(eq(u64, f.ack.ce, 3));

	n = hb_hex("1c 07 06 04 626f6f6d", in, sizeof(in));
	cr_assert(eq(int, decode_buf(in, n, &f, &used), 0));
	cr_assert(eq(u64, f.connection_close.error_code, QUIC_FRAME_ENCODING_ERROR));
	cr_assert(eq(u64, f.connection_close.frame_type, QUIC_FRAME_CRYPTO));
	cr_assert(eq(sz, f.connection_close.reason_len, 4));
	cr_assert(eq(int, memcmp(f.connection_close.reason, "boom", 4), 0));

	n = hb_hex("18 05 03 04 0a0b0c0d 00112233445566778899aabbccddeeff", in, sizeof(in));
	cr_assert(eq(int, decode_buf(in, n, &f, &used), 0));
	cr_assert(eq(u64, f.new_connection_id.seq, 5));
	cr_assert(eq(u64, f.new_connection_id.retire_prior_to, 3));
	cr_assert(eq(u8, f.new_connection_id.cid_len, 4));
	cr_assert(eq(u8, f.new_connection_id.cid[3], 0x0d));
	cr_assert(eq(u8, f.new_connection_id.reset_token[15], 0xff));
}

/* RFC 9001 §A.3: the server Initial payload is an ACK frame then a 90-byte CRYPTO frame. */
HB_TEST(frame, rfc9001_a3_server_initial_payload)
{
	static const char payload_hex[] =
		"02000000000600405a020000560303ee fce7f7b37ba1d1632e96677825ddf739"
		"88cfc79825df566dc5430b9a045a1200 130100002e00330024001d00209d3c94"
		"0d89690b84d08a60993c144eca684d10 81287c834d5311bcf32bb9da1a002b00"
		"020304";
	uint8_t in[128], out[128];
	size_t n = hb_hex(payload_hex, in, sizeof(in));
	struct crypto_wr w;
	struct crypto_rd r;
	struct quic_frame ack, crypto;

	cr_assert(eq(sz, n, 99));
	crypto_rd_init(&r, in, n);
	cr_assert(eq(int, quic_frame_decode(&r, &ack), 0));
	cr_assert(eq(u64, ack.type, QUIC_FRAME_ACK));
	cr_assert(eq(u64, ack.ack.largest, 0));
	cr_assert(eq(u64, ack.ack.first_range, 0));
	cr_assert(eq(int, quic_frame_decode(&r, &crypto), 0));
	cr_assert(eq(u64, crypto.type, QUIC_FRAME_CRYPTO));
	cr_assert(eq(u64, crypto.crypto.offset, 0));
	cr_assert(eq(sz, crypto.crypto.len, 90));
	cr_assert(eq(u8, crypto.crypto.data[0], 0x02)); /* ServerHello */
	cr_assert(eq(sz, crypto_rd_left(&r), 0));

	/* Re-encoding gives the RFC's bytes back: its CRYPTO Length uses 2 bytes (0x405a). */
	crypto_wr_init(&w, out, sizeof(out));
	cr_assert(eq(int, quic_frame_encode(&w, &ack), 0));
	cr_assert(eq(int, quic_frame_encode(&w, &crypto), 0));
	cr_assert(eq(sz, crypto_wr_len(&w), n));
	cr_assert(eq(int, memcmp(out, in, n), 0));
}

/* ---- Round trips from structs: every type and variant ---- */

static const uint8_t data16[16] = "0123456789abcdef";
static const uint8_t token16[16] = {0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
				    0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf};

/* Encode, decode, compare; then the truncation loop over the encoding. */
static void
round_trip(const struct quic_frame *f)
{
	uint8_t buf[256];
	struct quic_frame g;
	size_t n = encode_buf(f, buf, sizeof(buf)), used;
	bool open = f->type == QUIC_FRAME_PADDING || f->type == QUIC_FRAME_DATAGRAM ||
		    (quic_frame_is_stream(f->type) && !(f->type & QUIC_STREAM_BIT_LEN));

	cr_assert(eq(int, decode_buf(buf, n, &g, &used), 0), "type 0x%llx",
		  (unsigned long long)f->type);
	cr_assert(eq(sz, used, n));
	cr_assert(eq(u64, g.type, f->type));
	cr_assert(quic_frame_equal(f, &g), "type 0x%llx", (unsigned long long)f->type);
	cr_assert(quic_frame_equal(&g, f));
	check_prefixes_truncated(buf, open ? 1 : n);
}

HB_TEST(frame, round_trip_simple_types)
{
	struct quic_frame f;

	memset(&f, 0, sizeof(f));
	f.type = QUIC_FRAME_PING;
	round_trip(&f);
	f.type = QUIC_FRAME_HANDSHAKE_DONE;
	round_trip(&f);
	f.type = QUIC_FRAME_PADDING;
	f.padding.len = 1;
	round_trip(&f);
	f.padding.len = 200;
	round_trip(&f);

	f.type = QUIC_FRAME_RESET_STREAM;
	f.reset_stream.stream_id = 0x3fffffffffffffff;
	f.reset_stream.error_code = 0x10c;
	f.reset_stream.final_size = 1u << 30;
	round_trip(&f);

	f.type = QUIC_FRAME_STOP_SENDING;
	f.stop_sending.stream_id = 7;
	f.stop_sending.error_code = 16383;
	round_trip(&f);

	f.type = QUIC_FRAME_MAX_DATA;
	f.max_data.max = QUIC_VARINT_MAX;
	round_trip(&f);

	f.type = QUIC_FRAME_MAX_STREAM_DATA;
	f.max_stream_data.stream_id = 3;
	f.max_stream_data.max = 16384;
	round_trip(&f);

	f.type = QUIC_FRAME_DATA_BLOCKED;
	f.data_blocked.limit = 64;
	round_trip(&f);

	f.type = QUIC_FRAME_STREAM_DATA_BLOCKED;
	f.stream_data_blocked.stream_id = 2;
	f.stream_data_blocked.limit = 63;
	round_trip(&f);

	f.type = QUIC_FRAME_RETIRE_CONNECTION_ID;
	f.retire_connection_id.seq = 1000;
	round_trip(&f);
}

HB_TEST(frame, round_trip_stream_limits_and_paths)
{
	static const uint64_t stream_limit_types[] = {
		QUIC_FRAME_MAX_STREAMS_BIDI, QUIC_FRAME_MAX_STREAMS_UNI,
		QUIC_FRAME_STREAMS_BLOCKED_BIDI, QUIC_FRAME_STREAMS_BLOCKED_UNI};
	struct quic_frame f;

	memset(&f, 0, sizeof(f));
	for (size_t i = 0; i < ARRAY_LEN(stream_limit_types); i++) {
		f.type = stream_limit_types[i];
		/* max_streams and streams_blocked share their single field's position. */
		f.max_streams.max = QUIC_FRAME_MAX_STREAMS_LIMIT;
		f.streams_blocked.limit = QUIC_FRAME_MAX_STREAMS_LIMIT;
		round_trip(&f);
		f.max_streams.max = 0;
		f.streams_blocked.limit = 0;
		round_trip(&f);
	}
	f.type = QUIC_FRAME_PATH_CHALLENGE;
	memcpy(f.path.data, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
	round_trip(&f);
	f.type = QUIC_FRAME_PATH_RESPONSE;
	round_trip(&f);
}

HB_TEST(frame, round_trip_data_frames)
{
	struct quic_frame f;

	memset(&f, 0, sizeof(f));
	f.type = QUIC_FRAME_CRYPTO;
	f.crypto.offset = 1u << 20;
	f.crypto.len = sizeof(data16);
	f.crypto.data = data16;
	round_trip(&f);
	f.crypto.len = 0;
	round_trip(&f);

	f.type = QUIC_FRAME_NEW_TOKEN;
	f.new_token.len = sizeof(token16);
	f.new_token.token = token16;
	round_trip(&f);

	f.type = QUIC_FRAME_DATAGRAM;
	f.datagram.len = 5;
	f.datagram.data = data16;
	round_trip(&f);
	f.type = QUIC_FRAME_DATAGRAM_LEN;
	round_trip(&f);
	f.datagram.len = 0;
	round_trip(&f);
}

/* All eight STREAM variants (§19.8 OFF/LEN/FIN), with and without data. */
HB_TEST(frame, round_trip_stream_all_variants)
{
	for (uint64_t bits = 0; bits < 8; bits++) {
		for (size_t len = 0; len <= sizeof(data16); len += sizeof(data16)) {
			struct quic_frame f;

			memset(&f, 0, sizeof(f));
			f.type = QUIC_FRAME_STREAM | bits;
			f.stream.stream_id = 0x1234;
			f.stream.offset = (bits & QUIC_STREAM_BIT_OFF) ? 0x12345678 : 0;
			f.stream.len = len;
			f.stream.data = data16;
			round_trip(&f);
		}
	}
}

HB_TEST(frame, round_trip_new_connection_id_and_close)
{
	static const uint8_t cid20[20] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10,
					  11, 12, 13, 14, 15, 16, 17, 18, 19, 20};
	struct quic_frame f;

	memset(&f, 0, sizeof(f));
	f.type = QUIC_FRAME_NEW_CONNECTION_ID;
	f.new_connection_id.seq = 7;
	f.new_connection_id.retire_prior_to = 7;
	f.new_connection_id.cid_len = 20;
	f.new_connection_id.cid = cid20;
	f.new_connection_id.reset_token = token16;
	round_trip(&f);
	f.new_connection_id.cid_len = 1;
	f.new_connection_id.retire_prior_to = 0;
	round_trip(&f);

	f.type = QUIC_FRAME_CONNECTION_CLOSE;
	f.connection_close.error_code = QUIC_PROTOCOL_VIOLATION;
	f.connection_close.frame_type = QUIC_FRAME_NEW_TOKEN;
	f.connection_close.reason = (const uint8_t *)"server sent NEW_TOKEN";
	f.connection_close.reason_len = 21;
	round_trip(&f);
	f.connection_close.reason_len = 0;
	round_trip(&f);

	f.type = QUIC_FRAME_CONNECTION_CLOSE_APP;
	f.connection_close.error_code = 0x100;
	f.connection_close.frame_type = 0;
	f.connection_close.reason = (const uint8_t *)"bye";
	f.connection_close.reason_len = 3;
	round_trip(&f);
}

/* ---- ACK ---- */

static const struct quic_ack_range five_ranges[] = {
	{.smallest = 90, .largest = 100}, {.smallest = 50, .largest = 80},
	{.smallest = 20, .largest = 20},  {.smallest = 10, .largest = 18},
	{.smallest = 0, .largest = 5},
};

/* Decode buf as one ACK and check its ranges equal want[0..n). */
static void
check_ack_ranges(const uint8_t *buf, size_t len, const struct quic_ack_range *want, size_t n)
{
	struct quic_ack_iter it;
	struct quic_ack_range got;
	struct quic_frame f;
	size_t used, i = 0;

	cr_assert(eq(int, decode_buf(buf, len, &f, &used), 0));
	cr_assert(eq(sz, used, len));
	cr_assert(eq(u64, f.ack.range_count, n - 1));
	cr_assert(eq(u64, f.ack.smallest, want[n - 1].smallest));
	quic_ack_iter_init(&it, &f.ack);
	while (quic_ack_range_next(&it, &got)) {
		cr_assert(lt(sz, i, n));
		cr_assert(eq(u64, got.largest, want[i].largest));
		cr_assert(eq(u64, got.smallest, want[i].smallest));
		i++;
	}
	cr_assert(eq(sz, i, n));
}

HB_TEST(frame, ack_encode_ranges_round_trip)
{
	uint8_t buf[128];
	struct crypto_wr w;
	struct quic_frame f;
	size_t written, used;

	crypto_wr_init(&w, buf, sizeof(buf));
	cr_assert(eq(int, quic_frame_encode_ack(&w, five_ranges, 5, 1000, NULL, &written), 0));
	cr_assert(eq(sz, written, 5));
	cr_assert(eq(u8, buf[0], QUIC_FRAME_ACK));
	check_ack_ranges(buf, crypto_wr_len(&w), five_ranges, 5);
	check_prefixes_truncated(buf, crypto_wr_len(&w));

	/* The generic encoder reproduces the same bytes from the decoded frame. */
	cr_assert(eq(int, decode_buf(buf, crypto_wr_len(&w), &f, &used), 0));
	cr_assert(eq(u64, f.ack.ack_delay, 1000));
	round_trip(&f);
}

HB_TEST(frame, ack_ecn_round_trip)
{
	const struct quic_ack_ecn ecn = {.ect0 = 10, .ect1 = 1u << 20, .ce = QUIC_VARINT_MAX};
	uint8_t buf[128];
	struct crypto_wr w;
	struct quic_frame f;
	size_t written, used;

	crypto_wr_init(&w, buf, sizeof(buf));
	cr_assert(eq(int, quic_frame_encode_ack(&w, five_ranges, 3, 0, &ecn, &written), 0));
	cr_assert(eq(sz, written, 3));
	cr_assert(eq(u8, buf[0], QUIC_FRAME_ACK_ECN));
	check_ack_ranges(buf, crypto_wr_len(&w), five_ranges, 3);
	check_prefixes_truncated(buf, crypto_wr_len(&w));
	cr_assert(eq(int, decode_buf(buf, crypto_wr_len(&w), &f, &used), 0));
	cr_assert(eq(u64, f.ack.ect0, 10));
	cr_assert(eq(u64, f.ack.ect1, 1u << 20));
	cr_assert(eq(u64, f.ack.ce, QUIC_VARINT_MAX));
	round_trip(&f);
}

/* As many ranges as fit: at every room size the frame fits and decodes to a prefix. */
HB_TEST(frame, ack_encode_fits_room)
{
	struct quic_ack_range many[100];
	uint8_t buf[512];
	size_t full_len = 0, last_written = 0;

	/* 100 single-packet ranges two apart: the count field grows to 2 bytes past 63. */
	for (size_t i = 0; i < ARRAY_LEN(many); i++)
		many[i].smallest = many[i].largest = 1000 - 2 * i;
	for (size_t room = 0; room <= sizeof(buf); room++) {
		struct crypto_wr w;
		size_t written = 0;
		int err;

		crypto_wr_init(&w, buf, room);
		err = quic_frame_encode_ack(&w, many, ARRAY_LEN(many), 3, NULL, &written);
		if (room < 6) {
			/* type, largest (2), delay, count, first range */
			cr_assert(eq(int, err, QUIC_ERR_BUFFER));
			cr_assert(eq(sz, crypto_wr_len(&w), 0));
			continue;
		}
		cr_assert(eq(int, err, 0), "room %zu", room);
		cr_assert(le(sz, crypto_wr_len(&w), room));
		cr_assert(ge(sz, written, last_written));
		check_ack_ranges(buf, crypto_wr_len(&w), many, written);
		last_written = written;
		if (written == ARRAY_LEN(many) && full_len == 0)
			full_len = crypto_wr_len(&w);
	}
	cr_assert(eq(sz, last_written, ARRAY_LEN(many)));
	/* 6-byte head with a 2-byte count, then 99 two-byte pairs. */
	cr_assert(eq(sz, full_len, 7 + 99 * 2));
}

HB_TEST(frame, ack_encode_rejects_bad_ranges)
{
	static const struct quic_ack_range overlap[] = {{10, 20}, {15, 30}};
	static const struct quic_ack_range adjacent[] = {{10, 20}, {5, 9}};
	static const struct quic_ack_range ascending[] = {{0, 5}, {10, 20}};
	static const struct quic_ack_range inverted[] = {{20, 10}};
	static const struct quic_ack_range too_big[] = {{0, QUIC_VARINT_MAX + 1}};
	static const struct quic_ack_range gap_one[] = {{10, 20}, {5, 8}};
	uint8_t buf[64];
	struct crypto_wr w;
	size_t written;

	crypto_wr_init(&w, buf, sizeof(buf));
	cr_assert(
		eq(int, quic_frame_encode_ack(&w, overlap, 2, 0, NULL, &written), QUIC_ERR_INVAL));
	cr_assert(
		eq(int, quic_frame_encode_ack(&w, adjacent, 2, 0, NULL, &written), QUIC_ERR_INVAL));
	cr_assert(eq(int, quic_frame_encode_ack(&w, ascending, 2, 0, NULL, &written),
		     QUIC_ERR_INVAL));
	cr_assert(
		eq(int, quic_frame_encode_ack(&w, inverted, 1, 0, NULL, &written), QUIC_ERR_INVAL));
	cr_assert(
		eq(int, quic_frame_encode_ack(&w, too_big, 1, 0, NULL, &written), QUIC_ERR_INVAL));
	cr_assert(
		eq(int, quic_frame_encode_ack(&w, gap_one, 0, 0, NULL, &written), QUIC_ERR_INVAL));
	cr_assert(eq(sz, crypto_wr_len(&w), 0));
	/* One missing packet (9) between ranges is a Gap of 0. */
	cr_assert(eq(int, quic_frame_encode_ack(&w, gap_one, 2, 0, NULL, &written), 0));
	cr_assert(eq(u8, buf[5], 0)); /* Gap */
	check_ack_ranges(buf, crypto_wr_len(&w), gap_one, 2);
}

/*
 * Values no varint can carry (§16) are refused up front, not counted as 0 bytes by a wrapped
 * size sum: an ACK Delay above 2^62-1, and a range whose largest + 2 wraps past 2^64 (it
 * would pass the "one missing packet between ranges" check and be encoded with a bogus Gap).
 */
HB_TEST(frame, ack_encode_rejects_unencodable_values)
{
	static const struct quic_ack_range one[] = {{10, 20}};
	static const struct quic_ack_range wrap_huge[] = {{10, 20}, {0, UINT64_MAX}};
	static const struct quic_ack_range wrap_gap[] = {{10, 20},
							 {UINT64_MAX - 1, UINT64_MAX - 1}};
	uint8_t buf[64];
	struct crypto_wr w;
	size_t written = 0;

	crypto_wr_init(&w, buf, sizeof(buf));
	cr_assert(eq(int, quic_frame_encode_ack(&w, one, 1, QUIC_VARINT_MAX + 1, NULL, &written),
		     QUIC_ERR_INVAL));
	cr_assert(eq(int, quic_frame_encode_ack(&w, wrap_huge, 2, 0, NULL, &written),
		     QUIC_ERR_INVAL));
	cr_assert(
		eq(int, quic_frame_encode_ack(&w, wrap_gap, 2, 0, NULL, &written), QUIC_ERR_INVAL));
	cr_assert(eq(sz, crypto_wr_len(&w), 0));
	cr_assert(not(w.err));
	/* The largest encodable ACK Delay is still accepted. */
	cr_assert(eq(int, quic_frame_encode_ack(&w, one, 1, QUIC_VARINT_MAX, NULL, &written), 0));
	check_ack_ranges(buf, crypto_wr_len(&w), one, 1);
}

/* C5 (§19.3.1): a computed packet number below zero. */
HB_TEST(frame, ack_negative_packet_number_rejected)
{
	static const struct {
		const char *hex;
		int err;
	} cases[] = {
		{"02 05 00 00 06", QUIC_ERR_FRAME_ENCODING},	   /* First ACK Range > Largest */
		{"02 0a 00 01 02 07 00", QUIC_ERR_FRAME_ENCODING}, /* 8 - 7 - 2 < 0: gap */
		{"02 0a 00 01 02 00 07", QUIC_ERR_FRAME_ENCODING}, /* 6 - 7 < 0: range */
		{"02 0a 00 02 02 06 00 00 00", QUIC_ERR_FRAME_ENCODING}, /* below 0 later */
		{"02 0a 00 01 02 06 00", 0},				 /* down to exactly 0 */
		{"02 05 00 00 05", 0},					 /* first range to 0 */
	};

	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		uint8_t in[32];
		size_t n = hb_hex(cases[i].hex, in, sizeof(in)), used;
		struct quic_frame f;

		cr_assert(eq(int, decode_buf(in, n, &f, &used), cases[i].err), "%s", cases[i].hex);
	}
}

/* A Range Count far beyond the input stops at the input's end, without looping on. */
HB_TEST(frame, ack_huge_range_count_truncated)
{
	uint8_t in[32];
	size_t n = hb_hex("02 ffffffffffffffff 00 bfffffff 00 00 00 00 00", in, sizeof(in)), used;
	struct quic_frame f;

	cr_assert(eq(int, decode_buf(in, n, &f, &used), QUIC_ERR_TRUNCATED));
}

/* ---- The other decoder rules of bad-input.md section C ---- */

struct reject_case {
	const char *name;
	const char *hex;
	int err;
};

static const struct reject_case reject_cases[] = {
	/* C2, §12.4: unknown frame types. */
	{"type 0x1f", "1f", QUIC_ERR_FRAME_ENCODING},
	{"type 0x20", "20 00 00", QUIC_ERR_FRAME_ENCODING},
	{"type 0x2f", "2f", QUIC_ERR_FRAME_ENCODING},
	{"type 0x40 (2-byte)", "4040", QUIC_ERR_FRAME_ENCODING},
	/* C3, §12.4: a frame type in a longer encoding than necessary. */
	{"PING as 0x4001", "4001", QUIC_ERR_PROTOCOL},
	{"PADDING as 0x4000", "4000 00", QUIC_ERR_PROTOCOL},
	{"CRYPTO as 4 bytes", "80000006 00 00", QUIC_ERR_PROTOCOL},
	{"unknown 0x20 as 0x4020", "4020", QUIC_ERR_PROTOCOL},
	/* C4: a truncated varint is an error, never PADDING. */
	{"type varint cut", "40", QUIC_ERR_TRUNCATED},
	{"type 8-byte varint cut", "c0 00 00", QUIC_ERR_TRUNCATED},
	{"MAX_DATA varint cut", "10 80 00", QUIC_ERR_TRUNCATED},
	{"RESET_STREAM final size cut", "04 00 00 c0", QUIC_ERR_TRUNCATED},
	/* C8, §19.8 and B14, §19.6: offset + length above 2^62-1. */
	{"STREAM end 2^62", "0e 00 ffffffffffffffff 01 78", QUIC_ERR_FRAME_ENCODING},
	{"STREAM no LEN end 2^62", "0c 00 ffffffffffffffff 78", QUIC_ERR_FRAME_ENCODING},
	{"STREAM end 2^62-1 ok", "0e 00 fffffffffffffffe 01 78", 0},
	{"STREAM empty at 2^62-1 ok", "0e 00 ffffffffffffffff 00", 0},
	{"CRYPTO end 2^62", "06 ffffffffffffffff 01 78", QUIC_ERR_FRAME_ENCODING},
	{"CRYPTO end 2^62-1 ok", "06 fffffffffffffffe 01 78", 0},
	{"STREAM length past end", "0a 00 05 616263", QUIC_ERR_TRUNCATED},
	/* C15, §19.11 and C16, §19.14: stream counts above 2^60. */
	{"MAX_STREAMS bidi 2^60+1", "12 d000000000000001", QUIC_ERR_FRAME_ENCODING},
	{"MAX_STREAMS uni 2^62-1", "13 ffffffffffffffff", QUIC_ERR_FRAME_ENCODING},
	{"STREAMS_BLOCKED bidi 2^60+1", "16 d000000000000001", QUIC_ERR_FRAME_ENCODING},
	{"STREAMS_BLOCKED uni 2^60+1", "17 d000000000000001", QUIC_ERR_FRAME_ENCODING},
	/* C20, C21, §19.15. */
	{"NEW_CONNECTION_ID length 0", "18 01 00 00 00112233445566778899aabbccddeeff",
	 QUIC_ERR_FRAME_ENCODING},
	{"NEW_CONNECTION_ID length 21",
	 "18 01 00 15 0102030405060708090a0b0c0d0e0f101112131415"
	 " 00112233445566778899aabbccddeeff",
	 QUIC_ERR_FRAME_ENCODING},
	{"NEW_CONNECTION_ID retire prior to > seq",
	 "18 01 02 04 01020304 00112233445566778899aabbccddeeff", QUIC_ERR_FRAME_ENCODING},
	{"NEW_CONNECTION_ID token cut", "18 01 00 04 01020304 0011223344", QUIC_ERR_TRUNCATED},
	/* §19.7: an empty NEW_TOKEN. */
	{"NEW_TOKEN empty", "07 00", QUIC_ERR_FRAME_ENCODING},
	{"NEW_TOKEN past end", "07 04 aabbcc", QUIC_ERR_TRUNCATED},
	/* §19.19: Reason Phrase Length past the end. */
	{"CONNECTION_CLOSE reason past end", "1c 00 00 05 61626364", QUIC_ERR_TRUNCATED},
	{"CONNECTION_CLOSE app reason past end", "1d 00 ffffffffffffffff 61", QUIC_ERR_TRUNCATED},
	{"PATH_CHALLENGE 7 bytes", "1a 01020304050607", QUIC_ERR_TRUNCATED},
	{"DATAGRAM_LEN past end", "31 03 6869", QUIC_ERR_TRUNCATED},
};

HB_TEST(frame, decoder_rejections)
{
	for (size_t i = 0; i < ARRAY_LEN(reject_cases); i++) {
		uint8_t in[128];
		size_t n = hb_hex(reject_cases[i].hex, in, sizeof(in)), used;
		struct quic_frame f;

		cr_assert(gt(sz, n, 0), "%s", reject_cases[i].name);
		cr_assert(eq(int, decode_buf(in, n, &f, &used), reject_cases[i].err), "%s",
			  reject_cases[i].name);
	}
}

/* Every error maps to the transport code the connection closes with. */
HB_TEST(frame, errors_map_to_transport_codes)
{
	cr_assert(eq(u64, quic_err_to_transport(QUIC_ERR_TRUNCATED), QUIC_FRAME_ENCODING_ERROR));
	cr_assert(
		eq(u64, quic_err_to_transport(QUIC_ERR_FRAME_ENCODING), QUIC_FRAME_ENCODING_ERROR));
	cr_assert(eq(u64, quic_err_to_transport(QUIC_ERR_PROTOCOL), QUIC_PROTOCOL_VIOLATION));
}

/* A poisoned or empty reader is a truncation, not a frame. */
HB_TEST(frame, empty_and_poisoned_reader)
{
	static const uint8_t ping[] = {0x01};
	struct crypto_rd r;
	struct quic_frame f;

	crypto_rd_init(&r, ping, 0);
	cr_assert(eq(int, quic_frame_decode(&r, &f), QUIC_ERR_TRUNCATED));
	crypto_rd_init(&r, ping, 1);
	r.err = true;
	cr_assert(eq(int, quic_frame_decode(&r, &f), QUIC_ERR_TRUNCATED));
}

/* ---- PADDING runs and whole payloads ---- */

HB_TEST(frame, padding_run_is_one_frame)
{
	uint8_t payload[1500];
	struct crypto_rd r;
	struct quic_frame f;

	memset(payload, 0, sizeof(payload));
	crypto_rd_init(&r, payload, sizeof(payload));
	cr_assert(eq(int, quic_frame_decode(&r, &f), 0));
	cr_assert(eq(u64, f.type, QUIC_FRAME_PADDING));
	cr_assert(eq(sz, f.padding.len, sizeof(payload)));
	cr_assert(eq(sz, crypto_rd_left(&r), 0));

	/* Every alignment of a run ending in a PING: the run stops at the first non-zero. */
	for (size_t run = 1; run < 40; run++) {
		payload[run] = QUIC_FRAME_PING;
		crypto_rd_init(&r, payload, run + 1);
		cr_assert(eq(int, quic_frame_decode(&r, &f), 0));
		cr_assert(eq(sz, f.padding.len, run));
		cr_assert(eq(int, quic_frame_decode(&r, &f), 0));
		cr_assert(eq(u64, f.type, QUIC_FRAME_PING));
		cr_assert(eq(sz, crypto_rd_left(&r), 0));
		payload[run] = 0;
	}
}

HB_TEST(frame, payload_of_several_frames)
{
	static const uint64_t want[] = {QUIC_FRAME_ACK, QUIC_FRAME_CRYPTO, QUIC_FRAME_PING,
					QUIC_FRAME_PADDING};
	uint8_t in[64];
	size_t n = hb_hex("02 05 00 00 01  06 00 02 abcd  01  00 00 00 00", in, sizeof(in));
	struct crypto_rd r;
	size_t count = 0;

	crypto_rd_init(&r, in, n);
	while (crypto_rd_left(&r) > 0) {
		struct quic_frame f;

		cr_assert(eq(int, quic_frame_decode(&r, &f), 0));
		cr_assert(lt(sz, count, ARRAY_LEN(want)));
		cr_assert(eq(u64, f.type, want[count]));
		count++;
	}
	cr_assert(eq(sz, count, ARRAY_LEN(want)));

	/* An unknown type after valid frames stops the walk with an error. */
	n = hb_hex("01 21 01", in, sizeof(in));
	crypto_rd_init(&r, in, n);
	{
		struct quic_frame f;

		cr_assert(eq(int, quic_frame_decode(&r, &f), 0));
		cr_assert(eq(int, quic_frame_decode(&r, &f), QUIC_ERR_FRAME_ENCODING));
	}
}

/* ---- Encoder refusals ---- */

HB_TEST(frame, encoder_refuses_invalid_frames)
{
	struct quic_frame f;
	uint8_t buf[64];
	struct crypto_wr w;

	crypto_wr_init(&w, buf, sizeof(buf));
	memset(&f, 0, sizeof(f));
	f.type = 0x20;
	cr_assert(eq(int, quic_frame_encode(&w, &f), QUIC_ERR_INVAL));
	cr_assert(eq(sz, quic_frame_encoded_len(&f), 0));

	f.type = QUIC_FRAME_MAX_DATA;
	f.max_data.max = QUIC_VARINT_MAX + 1;
	cr_assert(eq(int, quic_frame_encode(&w, &f), QUIC_ERR_INVAL));

	f.type = QUIC_FRAME_MAX_STREAMS_BIDI;
	f.max_streams.max = QUIC_FRAME_MAX_STREAMS_LIMIT + 1;
	cr_assert(eq(int, quic_frame_encode(&w, &f), QUIC_ERR_INVAL));

	f.type = QUIC_FRAME_NEW_CONNECTION_ID;
	f.new_connection_id.cid_len = 0;
	f.new_connection_id.cid = data16;
	f.new_connection_id.reset_token = token16;
	cr_assert(eq(int, quic_frame_encode(&w, &f), QUIC_ERR_INVAL));
	f.new_connection_id.cid_len = 21;
	cr_assert(eq(int, quic_frame_encode(&w, &f), QUIC_ERR_INVAL));
	f.new_connection_id.cid_len = 4;
	f.new_connection_id.seq = 1;
	f.new_connection_id.retire_prior_to = 2;
	cr_assert(eq(int, quic_frame_encode(&w, &f), QUIC_ERR_INVAL));

	f.type = QUIC_FRAME_NEW_TOKEN;
	f.new_token.len = 0;
	cr_assert(eq(int, quic_frame_encode(&w, &f), QUIC_ERR_INVAL));

	f.type = QUIC_FRAME_STREAM | QUIC_STREAM_BIT_OFF | QUIC_STREAM_BIT_LEN;
	f.stream.offset = QUIC_VARINT_MAX;
	f.stream.len = 1;
	f.stream.data = data16;
	cr_assert(eq(int, quic_frame_encode(&w, &f), QUIC_ERR_INVAL));
	/* An offset without the OFF bit cannot be represented. */
	f.type = QUIC_FRAME_STREAM | QUIC_STREAM_BIT_LEN;
	f.stream.offset = 5;
	cr_assert(eq(int, quic_frame_encode(&w, &f), QUIC_ERR_INVAL));

	f.type = QUIC_FRAME_CONNECTION_CLOSE_APP;
	f.connection_close.frame_type = 6; /* only type 0x1c carries a Frame Type */
	f.connection_close.reason_len = 0;
	cr_assert(eq(int, quic_frame_encode(&w, &f), QUIC_ERR_INVAL));

	f.type = QUIC_FRAME_PADDING;
	f.padding.len = 0;
	cr_assert(eq(int, quic_frame_encode(&w, &f), QUIC_ERR_INVAL));
	cr_assert(eq(sz, crypto_wr_len(&w), 0));
	cr_assert(not(w.err));
}

/* Too little room: QUIC_ERR_BUFFER, nothing written, the writer still usable. */
HB_TEST(frame, encoder_buffer_too_small)
{
	struct quic_frame f;
	uint8_t buf[32];
	struct crypto_wr w;
	size_t n;

	memset(&f, 0, sizeof(f));
	f.type = QUIC_FRAME_CRYPTO;
	f.crypto.len = sizeof(data16);
	f.crypto.data = data16;
	n = quic_frame_encoded_len(&f);
	cr_assert(eq(sz, n, 1 + 1 + 1 + sizeof(data16)));
	for (size_t room = 0; room < n; room++) {
		crypto_wr_init(&w, buf, room);
		cr_assert(eq(int, quic_frame_encode(&w, &f), QUIC_ERR_BUFFER));
		cr_assert(eq(sz, crypto_wr_len(&w), 0));
		cr_assert(not(w.err));
	}
	crypto_wr_init(&w, buf, n);
	cr_assert(eq(int, quic_frame_encode(&w, &f), 0));
	cr_assert(eq(sz, crypto_wr_left(&w), 0));
}

/* ---- STREAM and CRYPTO fitted to the room ---- */

HB_TEST(frame, stream_fit_length_field_boundaries)
{
	struct quic_frame_fit fit;

	/* Stream 4, offset 0: 2 header bytes before the Length. */
	cr_assert(eq(int, quic_stream_frame_fit(67, 4, 0, 100, false, &fit), 0));
	/* 63 bytes with a 1-byte Length (66 in all); 64 would need a 2-byte Length (68). */
	cr_assert(eq(sz, fit.data_len, 63));
	cr_assert(eq(sz, fit.hdr_len, 3));
	cr_assert(fit.has_len);

	cr_assert(eq(int, quic_stream_frame_fit(68, 4, 0, 100, false, &fit), 0));
	cr_assert(eq(sz, fit.data_len, 64));
	cr_assert(eq(sz, fit.hdr_len, 4));

	cr_assert(eq(int, quic_stream_frame_fit(66, 4, 0, 63, false, &fit), 0));
	cr_assert(eq(sz, fit.data_len, 63));
	cr_assert(eq(sz, fit.hdr_len, 3));

	/* The whole data when it fits, shortest Length for it. */
	cr_assert(eq(int, quic_stream_frame_fit(1200, 4, 0, 100, false, &fit), 0));
	cr_assert(eq(sz, fit.data_len, 100));
	cr_assert(eq(sz, fit.hdr_len, 4));

	/* Around 16383/16384 the Length grows from 2 to 4 bytes. */
	cr_assert(eq(int, quic_stream_frame_fit(2 + 2 + 16383 + 1, 4, 0, 20000, false, &fit), 0));
	cr_assert(eq(sz, fit.data_len, 16383));
	cr_assert(eq(int, quic_stream_frame_fit(2 + 4 + 16384, 4, 0, 20000, false, &fit), 0));
	cr_assert(eq(sz, fit.data_len, 16384));
	cr_assert(eq(sz, fit.hdr_len, 6));
}

HB_TEST(frame, stream_fit_last_and_small_rooms)
{
	struct quic_frame_fit fit;

	/* Last frame of the packet: no Length, data fills the rest. */
	cr_assert(eq(int, quic_stream_frame_fit(12, 4, 0, 100, true, &fit), 0));
	cr_assert(not(fit.has_len));
	cr_assert(eq(sz, fit.hdr_len, 2));
	cr_assert(eq(sz, fit.data_len, 10));

	/* Offset adds its varint: 1 + 1 + 2 (offset 200). */
	cr_assert(eq(int, quic_stream_frame_fit(14, 4, 200, 100, true, &fit), 0));
	cr_assert(eq(sz, fit.hdr_len, 4));
	cr_assert(eq(sz, fit.data_len, 10));

	/* Not even one byte of data. */
	cr_assert(eq(int, quic_stream_frame_fit(1, 4, 0, 100, true, &fit), QUIC_ERR_BUFFER));
	cr_assert(eq(int, quic_stream_frame_fit(2, 4, 0, 100, true, &fit), QUIC_ERR_BUFFER));
	cr_assert(eq(int, quic_stream_frame_fit(3, 4, 0, 100, false, &fit), QUIC_ERR_BUFFER));
	cr_assert(eq(int, quic_stream_frame_fit(4, 4, 0, 100, false, &fit), 0));
	cr_assert(eq(sz, fit.data_len, 1));

	/* A bare FIN: header only when last, header + Length 0 otherwise. */
	cr_assert(eq(int, quic_stream_frame_fit(2, 4, 0, 0, true, &fit), 0));
	cr_assert(eq(sz, fit.data_len, 0));
	cr_assert(eq(int, quic_stream_frame_fit(2, 4, 0, 0, false, &fit), QUIC_ERR_BUFFER));
	cr_assert(eq(int, quic_stream_frame_fit(3, 4, 0, 0, false, &fit), 0));
	cr_assert(eq(sz, fit.hdr_len, 3));

	/* §19.8: data stops at 2^62-1; nothing can follow it. */
	cr_assert(
		eq(int, quic_stream_frame_fit(1200, 4, QUIC_VARINT_MAX - 9, 100, false, &fit), 0));
	cr_assert(eq(sz, fit.data_len, 9));
	cr_assert(eq(int, quic_stream_frame_fit(1200, 4, QUIC_VARINT_MAX, 1, false, &fit),
		     QUIC_ERR_INVAL));
	cr_assert(eq(int, quic_stream_frame_fit(1200, QUIC_VARINT_MAX + 1, 0, 1, false, &fit),
		     QUIC_ERR_INVAL));
}

HB_TEST(frame, crypto_fit_boundaries)
{
	struct quic_frame_fit fit;

	/* Offset 0: 2 header bytes before the Length, as STREAM 4 above. */
	cr_assert(eq(int, quic_crypto_frame_fit(67, 0, 100, &fit), 0));
	cr_assert(eq(sz, fit.data_len, 63));
	cr_assert(eq(sz, fit.hdr_len, 3));
	cr_assert(eq(int, quic_crypto_frame_fit(3, 0, 100, &fit), QUIC_ERR_BUFFER));
	cr_assert(eq(int, quic_crypto_frame_fit(4, 0, 100, &fit), 0));
	cr_assert(eq(sz, fit.data_len, 1));
	cr_assert(eq(int, quic_crypto_frame_fit(1200, 1u << 20, 1000, &fit), 0));
	cr_assert(eq(sz, fit.hdr_len, 1 + 4 + 2));
	cr_assert(eq(sz, fit.data_len, 1000));
	cr_assert(
		eq(int, quic_crypto_frame_fit(1200, QUIC_VARINT_MAX + 1, 0, &fit), QUIC_ERR_INVAL));
}

/*
 * Data in two pieces (the send buffer's chunks): at every room size and every split point the
 * frame is the one-piece encoder's, byte for byte.
 */
HB_TEST(frame, stream_fit2_pieces_equal_one_piece)
{
	uint8_t data[64], first[64], second[64], one[96], two[96];

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 13 + 5);
	for (size_t split = 0; split <= sizeof(data); split++) {
		memcpy(first, data, split);
		memset(second, 0xee, sizeof(second));
		memcpy(second, data + split, sizeof(data) - split);
		for (size_t room = 0; room <= sizeof(one); room++) {
			struct crypto_wr w1, w2;
			size_t n1 = 0, n2 = 0;
			int e1, e2;

			crypto_wr_init(&w1, one, room);
			crypto_wr_init(&w2, two, room);
			e1 = quic_frame_encode_stream_fit(&w1, 4, 3000, data, sizeof(data), true,
							  false, &n1);
			e2 = quic_frame_encode_stream_fit2(&w2, 4, 3000, first, split, second,
							   sizeof(data), true, false, &n2);
			cr_assert(eq(int, e2, e1));
			cr_assert(eq(sz, n2, n1));
			cr_assert(eq(sz, crypto_wr_len(&w2), crypto_wr_len(&w1)));
			cr_assert(eq(int, memcmp(two, one, crypto_wr_len(&w1)), 0));
		}
	}
}

/*
 * At every room size the fitted frame fits exactly within it, decodes to the data, and is
 * byte for byte what the generic encoder writes for the decoded frame; for offsets and IDs of
 * each varint width (offset 0: no Offset field).
 */
static void
check_stream_fit_rooms(uint64_t id, uint64_t off)
{
	uint8_t data[100], buf[128], again[128];
	size_t hdr = 1 + quic_varint_len(id) + (off > 0 ? quic_varint_len(off) : 0);

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7 + 1);
	for (int last = 0; last < 2; last++) {
		for (size_t room = 0; room <= sizeof(buf); room++) {
			struct crypto_wr w, w2;
			struct quic_frame f;
			size_t written = 0, used;
			int err;

			crypto_wr_init(&w, buf, room);
			err = quic_frame_encode_stream_fit(&w, id, off, data, sizeof(data), true,
							   last, &written);
			if (err != 0) {
				cr_assert(eq(int, err, QUIC_ERR_BUFFER));
				cr_assert(lt(sz, room, hdr + (last ? 1 : 2)));
				cr_assert(eq(sz, crypto_wr_len(&w), 0));
				continue;
			}
			cr_assert(le(sz, crypto_wr_len(&w), room));
			cr_assert(eq(int, decode_buf(buf, crypto_wr_len(&w), &f, &used), 0));
			cr_assert(eq(sz, used, crypto_wr_len(&w)));
			crypto_wr_init(&w2, again, sizeof(again));
			cr_assert(eq(int, quic_frame_encode(&w2, &f), 0));
			cr_assert(eq(sz, crypto_wr_len(&w2), used));
			cr_assert(eq(int, memcmp(again, buf, used), 0));
			cr_assert(eq(u64, f.stream.stream_id, id));
			cr_assert(eq(u64, f.stream.offset, off));
			cr_assert(eq(int, !!(f.type & QUIC_STREAM_BIT_OFF), off > 0));
			cr_assert(eq(sz, f.stream.len, written));
			cr_assert(eq(int, memcmp(f.stream.data, data, written), 0));
			/* FIN only once every byte is in. */
			cr_assert(
				eq(int, !!(f.type & QUIC_STREAM_BIT_FIN), written == sizeof(data)));
			cr_assert(eq(int, !!(f.type & QUIC_STREAM_BIT_LEN), !last));
			/* A last frame fills the room when data remains. */
			if (last && written < sizeof(data))
				cr_assert(eq(sz, crypto_wr_len(&w), room));
		}
	}
}

HB_TEST(frame, encode_stream_fit_every_room)
{
	check_stream_fit_rooms(8, 300);
	check_stream_fit_rooms(0, 0);
	check_stream_fit_rooms(16384 + 1, 63);
	check_stream_fit_rooms(4, (UINT64_C(1) << 30) + 5);
}

HB_TEST(frame, encode_crypto_fit_every_room)
{
	uint8_t data[300], buf[400];

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)i;
	for (size_t room = 0; room <= sizeof(buf); room++) {
		struct crypto_wr w;
		struct quic_frame f;
		size_t written = 0, used;
		int err;

		crypto_wr_init(&w, buf, room);
		err = quic_frame_encode_crypto_fit(&w, 1000, data, sizeof(data), &written);
		if (room < 1 + 2 + 1 + 1) {
			cr_assert(eq(int, err, QUIC_ERR_BUFFER));
			continue;
		}
		cr_assert(eq(int, err, 0), "room %zu", room);
		cr_assert(le(sz, crypto_wr_len(&w), room));
		/* At most one byte lost to a Length-width step. */
		cr_assert(ge(sz, crypto_wr_len(&w) + 1, room < 306 ? room : 305));
		cr_assert(eq(int, decode_buf(buf, crypto_wr_len(&w), &f, &used), 0));
		cr_assert(eq(u64, f.crypto.offset, 1000));
		cr_assert(eq(sz, f.crypto.len, written));
		cr_assert(eq(int, memcmp(f.crypto.data, data, written), 0));
	}
}

/* ---- RFC 9000 §12.4 Table 3, §12.5, §13.2 ---- */

HB_TEST(frame, table3_packet_types)
{
	static const struct {
		uint64_t type;
		bool i, z, h, o; /* Initial, 0-RTT, Handshake, 1-RTT */
	} rows[] = {
		{QUIC_FRAME_PADDING, true, true, true, true},
		{QUIC_FRAME_PING, true, true, true, true},
		{QUIC_FRAME_ACK, true, false, true, true},
		{QUIC_FRAME_ACK_ECN, true, false, true, true},
		{QUIC_FRAME_RESET_STREAM, false, true, false, true},
		{QUIC_FRAME_STOP_SENDING, false, true, false, true},
		{QUIC_FRAME_CRYPTO, true, false, true, true},
		{QUIC_FRAME_NEW_TOKEN, false, false, false, true},
		{QUIC_FRAME_STREAM, false, true, false, true},
		{0x0f, false, true, false, true},
		{QUIC_FRAME_MAX_DATA, false, true, false, true},
		{QUIC_FRAME_MAX_STREAMS_UNI, false, true, false, true},
		{QUIC_FRAME_STREAMS_BLOCKED_BIDI, false, true, false, true},
		{QUIC_FRAME_NEW_CONNECTION_ID, false, true, false, true},
		{QUIC_FRAME_RETIRE_CONNECTION_ID, false, false, false, true},
		{QUIC_FRAME_PATH_CHALLENGE, false, true, false, true},
		{QUIC_FRAME_PATH_RESPONSE, false, false, false, true},
		{QUIC_FRAME_CONNECTION_CLOSE, true, true, true, true},
		{QUIC_FRAME_CONNECTION_CLOSE_APP, false, true, false, true},
		{QUIC_FRAME_HANDSHAKE_DONE, false, false, false, true},
		{QUIC_FRAME_DATAGRAM, false, true, false, true},
		{QUIC_FRAME_DATAGRAM_LEN, false, true, false, true},
		{0x1f, false, false, false, false},
		{0x20, false, false, false, false},
	};

	for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
		uint64_t t = rows[i].type;

		cr_assert(eq(int, quic_frame_allowed_in(t, QUIC_PKT_INITIAL), rows[i].i),
			  "0x%llx", (unsigned long long)t);
		cr_assert(eq(int, quic_frame_allowed_in(t, QUIC_PKT_0RTT), rows[i].z),
			  "0x%llx", (unsigned long long)t);
		cr_assert(eq(int, quic_frame_allowed_in(t, QUIC_PKT_HANDSHAKE), rows[i].h),
			  "0x%llx", (unsigned long long)t);
		cr_assert(eq(int, quic_frame_allowed_in(t, QUIC_PKT_1RTT), rows[i].o),
			  "0x%llx", (unsigned long long)t);
	}
}

HB_TEST(frame, ack_eliciting_congestion_probing)
{
	/* §13.2: ACK, PADDING and CONNECTION_CLOSE do not elicit ACKs. */
	cr_assert(not(quic_frame_is_ack_eliciting(QUIC_FRAME_ACK)));
	cr_assert(not(quic_frame_is_ack_eliciting(QUIC_FRAME_ACK_ECN)));
	cr_assert(not(quic_frame_is_ack_eliciting(QUIC_FRAME_PADDING)));
	cr_assert(not(quic_frame_is_ack_eliciting(QUIC_FRAME_CONNECTION_CLOSE)));
	cr_assert(not(quic_frame_is_ack_eliciting(QUIC_FRAME_CONNECTION_CLOSE_APP)));
	cr_assert(quic_frame_is_ack_eliciting(QUIC_FRAME_PING));
	cr_assert(quic_frame_is_ack_eliciting(0x0b));
	cr_assert(quic_frame_is_ack_eliciting(QUIC_FRAME_HANDSHAKE_DONE));
	cr_assert(quic_frame_is_ack_eliciting(QUIC_FRAME_DATAGRAM));
	cr_assert(not(quic_frame_is_ack_eliciting(0x20)));

	/* Table 3 "C": only ACK stays out of bytes in flight; PADDING counts. */
	cr_assert(not(quic_frame_is_congestion_controlled(QUIC_FRAME_ACK)));
	cr_assert(not(quic_frame_is_congestion_controlled(QUIC_FRAME_ACK_ECN)));
	cr_assert(quic_frame_is_congestion_controlled(QUIC_FRAME_PADDING));
	cr_assert(quic_frame_is_congestion_controlled(QUIC_FRAME_CONNECTION_CLOSE));
	cr_assert(quic_frame_is_congestion_controlled(QUIC_FRAME_CRYPTO));

	/* Table 3 "P" (§9.1). */
	cr_assert(quic_frame_is_probing(QUIC_FRAME_PADDING));
	cr_assert(quic_frame_is_probing(QUIC_FRAME_NEW_CONNECTION_ID));
	cr_assert(quic_frame_is_probing(QUIC_FRAME_PATH_CHALLENGE));
	cr_assert(quic_frame_is_probing(QUIC_FRAME_PATH_RESPONSE));
	cr_assert(not(quic_frame_is_probing(QUIC_FRAME_PING)));
	cr_assert(not(quic_frame_is_probing(QUIC_FRAME_STREAM)));
}

/* Equality compares borrowed bytes by value and ACK ranges as ranges. */
HB_TEST(frame, equality_by_value)
{
	uint8_t a_in[32], b_in[32];
	size_t na = hb_hex("02 0a 00 01 02 06 00", a_in, sizeof(a_in));
	/* The same ACK with non-minimal varints for Gap and ACK Range Length. */
	size_t nb = hb_hex("02 0a 00 01 02 4006 4000", b_in, sizeof(b_in));
	struct quic_frame a, b;
	size_t used;

	cr_assert(eq(int, decode_buf(a_in, na, &a, &used), 0));
	cr_assert(eq(int, decode_buf(b_in, nb, &b, &used), 0));
	cr_assert(quic_frame_equal(&a, &b));

	na = hb_hex("0a 04 03 616263", a_in, sizeof(a_in));
	nb = hb_hex("0a 04 03 616264", b_in, sizeof(b_in));
	cr_assert(eq(int, decode_buf(a_in, na, &a, &used), 0));
	cr_assert(eq(int, decode_buf(b_in, nb, &b, &used), 0));
	cr_assert(not(quic_frame_equal(&a, &b)));
	b.type = 0x0b;
	cr_assert(not(quic_frame_equal(&a, &b)));
}
