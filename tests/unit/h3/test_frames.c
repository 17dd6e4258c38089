/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * HTTP/3 frame codec (RFC 9114 §7): frame headers, SETTINGS (§7.2.4) with its errors, the
 * one-varint frames (CANCEL_PUSH §7.2.3, GOAWAY §7.2.6, MAX_PUSH_ID §7.2.7), reserved values
 * (§7.2.8) and the error-code mapping of §8.1 and RFC 9204 §6.
 */
#include <string.h>

#include <quic/error.h>
#include <quic/h3.h>

#include "hb_test.h"

TestSuite(h3_frames);

HB_TEST(h3_frames, header_round_trip)
{
	static const uint64_t types[] = {0x00, 0x01, 0x04,   0x21,
					 0x3f, 0x40, 0x4000, QUIC_VARINT_MAX};
	static const uint64_t lens[] = {0, 1, 63, 64, 16383, 16384, 1u << 30, QUIC_VARINT_MAX};

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		for (size_t j = 0; j < sizeof(lens) / sizeof(lens[0]); j++) {
			uint8_t buf[16];
			struct crypto_wr w;
			uint64_t t, l;
			size_t n;

			crypto_wr_init(&w, buf, sizeof(buf));
			cr_assert(eq(int, quic_h3_frame_header_put(&w, types[i], lens[j]), 0));
			n = crypto_wr_len(&w);
			cr_assert(eq(int, quic_h3_frame_header_decode(buf, n, &t, &l), (int)n));
			cr_assert(eq(u64, t, types[i]));
			cr_assert(eq(u64, l, lens[j]));
			for (size_t k = 0; k < n; k++)
				cr_assert(eq(int, quic_h3_frame_header_decode(buf, k, &t, &l),
					     QUIC_ERR_TRUNCATED));
		}
	}
}

HB_TEST(h3_frames, header_put_errors)
{
	uint8_t buf[2];
	struct crypto_wr w;

	crypto_wr_init(&w, buf, sizeof(buf));
	cr_assert(eq(int, quic_h3_frame_header_put(&w, QUIC_VARINT_MAX + 1, 0), QUIC_ERR_INVAL));
	cr_assert(eq(int, quic_h3_frame_header_put(&w, 0x01, 1000), QUIC_ERR_BUFFER));
}

HB_TEST(h3_frames, settings_round_trip)
{
	struct quic_h3_settings s, back;
	uint8_t buf[64];
	struct crypto_wr w;
	uint64_t type, len;
	int n;

	quic_h3_settings_init(&s);
	s.qpack_max_table_capacity = 0;
	s.qpack_blocked_streams = 0;
	s.max_field_section_size = 16384;
	s.present = 1u << QUIC_H3_SETTING_QPACK_MAX_TABLE_CAPACITY |
		    1u << QUIC_H3_SETTING_QPACK_BLOCKED_STREAMS |
		    1u << QUIC_H3_SETTING_MAX_FIELD_SECTION_SIZE;
	crypto_wr_init(&w, buf, sizeof(buf));
	cr_assert(eq(int, quic_h3_settings_put(&w, &s, 0x1f * 3 + 0x21), 0));
	n = quic_h3_frame_header_decode(buf, crypto_wr_len(&w), &type, &len);
	cr_assert(eq(int, n, 2));
	cr_assert(eq(u64, type, QUIC_H3_FRAME_SETTINGS));
	/* 01 00, 06 44 00 (16384 in 4 bytes: 80 00 40 00), 07 00, 40 7e 00 */
	cr_assert(eq(u64, len, crypto_wr_len(&w) - 2));
	cr_assert(eq(int, quic_h3_settings_decode(buf + n, (size_t)len, &back), 0));
	cr_assert(eq(u32, back.present, s.present));
	cr_assert(eq(u64, back.max_field_section_size, 16384));
	cr_assert(eq(u64, back.qpack_max_table_capacity, 0));
	cr_assert(eq(u64, back.qpack_blocked_streams, 0));
	/* Every strict prefix of the payload that cuts a varint is H3_FRAME_ERROR (§7.1). */
	for (size_t k = 0; k < len; k++) {
		int rc = quic_h3_settings_decode(buf + n, k, &back);

		/* A cut between two settings leaves a shorter, valid payload. */
		if (rc != 0)
			cr_assert(eq(int, rc, QUIC_H3_ERR_FRAME));
	}
	/* An invalid grease identifier is refused. */
	crypto_wr_init(&w, buf, sizeof(buf));
	cr_assert(eq(int, quic_h3_settings_put(&w, &s, 0x22), QUIC_ERR_INVAL));
}

HB_TEST(h3_frames, settings_truncated_varint)
{
	/* id 0x06, value announced as 4 bytes with 2 present. */
	static const uint8_t p[] = {0x06, 0x80, 0x00};
	/* id alone. */
	static const uint8_t q[] = {0x06};
	struct quic_h3_settings s;

	cr_assert(eq(int, quic_h3_settings_decode(p, sizeof(p), &s), QUIC_H3_ERR_FRAME));
	cr_assert(eq(int, quic_h3_settings_decode(q, sizeof(q), &s), QUIC_H3_ERR_FRAME));
}

HB_TEST(h3_frames, settings_defaults_and_unknown)
{
	/* Unknown 0x33 and reserved 0x21 are ignored (§7.2.4, §7.2.4.1). */
	static const uint8_t p[] = {0x21, 0x05, 0x33, 0x01, 0x01, 0x40, 0x64};
	struct quic_h3_settings s;

	cr_assert(eq(int, quic_h3_settings_decode(p, 0, &s), 0));
	cr_assert(eq(u64, s.max_field_section_size, UINT64_MAX));
	cr_assert(eq(u32, s.present, 0));
	cr_assert(eq(int, quic_h3_settings_decode(p, sizeof(p), &s), 0));
	cr_assert(eq(u64, s.qpack_max_table_capacity, 100));
	cr_assert(eq(u32, s.present, 1u << QUIC_H3_SETTING_QPACK_MAX_TABLE_CAPACITY));
}

HB_TEST(h3_frames, settings_errors)
{
	/* Duplicates: a known id, an unknown id (§7.2.4). */
	static const uint8_t dup_known[] = {0x06, 0x01, 0x07, 0x00, 0x06, 0x02};
	static const uint8_t dup_unknown[] = {0x33, 0x01, 0x34, 0x00, 0x33, 0x01};
	struct quic_h3_settings s;
	uint8_t big[QUIC_H3_MAX_SETTINGS_PAYLOAD + 2];

	cr_assert(eq(int, quic_h3_settings_decode(dup_known, sizeof(dup_known), &s),
		     QUIC_H3_ERR_SETTINGS));
	cr_assert(eq(int, quic_h3_settings_decode(dup_unknown, sizeof(dup_unknown), &s),
		     QUIC_H3_ERR_SETTINGS));
	/* HTTP/2 identifiers 0x02-0x05 (§7.2.4.1, Appendix A.3). */
	for (uint8_t id = 0x02; id <= 0x05; id++) {
		uint8_t p[] = {0x06, 0x01, id, 0x00};

		cr_assert(eq(int, quic_h3_settings_decode(p, sizeof(p), &s), QUIC_H3_ERR_SETTINGS),
			  "id %u", id);
	}
	/* Larger than we accept. */
	memset(big, 0x21, sizeof(big));
	cr_assert(
		eq(int, quic_h3_settings_decode(big, sizeof(big), &s), QUIC_H3_ERR_EXCESSIVE_LOAD));
}

HB_TEST(h3_frames, varint_frames)
{
	static const uint64_t types[] = {QUIC_H3_FRAME_GOAWAY, QUIC_H3_FRAME_MAX_PUSH_ID,
					 QUIC_H3_FRAME_CANCEL_PUSH};
	static const uint64_t values[] = {0, 8, 63, 64, QUIC_H3_GOAWAY_MAX, QUIC_VARINT_MAX};

	for (size_t i = 0; i < 3; i++) {
		for (size_t j = 0; j < sizeof(values) / sizeof(values[0]); j++) {
			uint8_t buf[24];
			struct crypto_wr w;
			uint64_t t, l, v;
			int n;

			crypto_wr_init(&w, buf, sizeof(buf));
			cr_assert(eq(int, quic_h3_varint_frame_put(&w, types[i], values[j]), 0));
			n = quic_h3_frame_header_decode(buf, crypto_wr_len(&w), &t, &l);
			cr_assert(gt(int, n, 0));
			cr_assert(eq(u64, t, types[i]));
			cr_assert(eq(int, quic_h3_varint_frame_decode(buf + n, (size_t)l, &v), 0));
			cr_assert(eq(u64, v, values[j]));
			/* Strict prefixes and one byte too many are H3_FRAME_ERROR (§7.1). */
			for (size_t k = 0; k < l; k++)
				cr_assert(eq(int, quic_h3_varint_frame_decode(buf + n, k, &v),
					     QUIC_H3_ERR_FRAME));
			buf[n + l] = 0;
			cr_assert(eq(int, quic_h3_varint_frame_decode(buf + n, (size_t)l + 1, &v),
				     QUIC_H3_ERR_FRAME));
		}
	}
}

HB_TEST(h3_frames, reserved_values)
{
	/* 0x1f * N + 0x21 (§6.2.3, §7.2.8, §7.2.4.1, §8.1). */
	cr_assert(quic_h3_is_reserved(0x21));
	cr_assert(quic_h3_is_reserved(0x40));
	cr_assert(quic_h3_is_reserved(0x5f));
	cr_assert(quic_h3_is_reserved(0x1f * UINT64_C(1000000) + 0x21));
	cr_assert(quic_h3_is_reserved(0x3ffffffffffffffe));
	cr_assert(not(quic_h3_is_reserved(0x00)));
	cr_assert(not(quic_h3_is_reserved(0x02)));
	cr_assert(not(quic_h3_is_reserved(0x20)));
	cr_assert(not(quic_h3_is_reserved(0x22)));
	cr_assert(quic_h3_is_h2_frame(0x02));
	cr_assert(quic_h3_is_h2_frame(0x06));
	cr_assert(quic_h3_is_h2_frame(0x08));
	cr_assert(quic_h3_is_h2_frame(0x09));
	cr_assert(not(quic_h3_is_h2_frame(0x07)));
}

HB_TEST(h3_frames, error_codes)
{
	static const struct {
		int err;
		uint64_t code;
	} map[] = {
		{QUIC_H3_ERR_FRAME, 0x0106},
		{QUIC_H3_ERR_FRAME_UNEXPECTED, 0x0105},
		{QUIC_H3_ERR_SETTINGS, 0x0109},
		{QUIC_H3_ERR_MISSING_SETTINGS, 0x010a},
		{QUIC_H3_ERR_STREAM_CREATION, 0x0103},
		{QUIC_H3_ERR_CLOSED_CRITICAL, 0x0104},
		{QUIC_H3_ERR_ID, 0x0108},
		{QUIC_H3_ERR_EXCESSIVE_LOAD, 0x0107},
		{QUIC_H3_ERR_INTERNAL, 0x0102},
		{QUIC_H3_ERR_MESSAGE, 0x010e},
		{QUIC_H3_ERR_QPACK_DECOMPRESSION, 0x0200},
		{QUIC_H3_ERR_QPACK_ENCODER_STREAM, 0x0201},
		{QUIC_H3_ERR_QPACK_DECODER_STREAM, 0x0202},
		{QUIC_ERR_NOMEM, 0x0102},
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		cr_assert(eq(u64, quic_h3_err_to_app(map[i].err), map[i].code), "err %d",
			  map[i].err);
		cr_assert(not(eq(ptr, (void *)(uintptr_t)quic_h3_strerror(map[i].err), NULL)));
	}
}
