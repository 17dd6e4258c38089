/* SPDX-License-Identifier: BSD-3-Clause */
/* Variable-length integers, RFC 9000 §16 and the examples of Appendix A.1. */
#include <string.h>

#include <quic/error.h>
#include <quic/varint.h>

#include "hb_test.h"

TestSuite(varint);

struct varint_case {
	const char *hex;
	uint64_t value;
};

/* RFC 9000 §A.1 (sample variable-length integer decodings). */
static const struct varint_case rfc_cases[] = {
	{"c2197c5eff14e88c", UINT64_C(151288809941952652)},
	{"9d7f3e7d", 494878333},
	{"7bbd", 15293},
	{"25", 37},
	{"4025", 37}, /* non-minimal two-byte encoding of 37 */
};

HB_TEST(varint, rfc9000_a1_decode)
{
	for (size_t i = 0; i < sizeof(rfc_cases) / sizeof(rfc_cases[0]); i++) {
		uint8_t buf[8];
		size_t n = hb_hex(rfc_cases[i].hex, buf, sizeof(buf));
		uint64_t v = 0;

		cr_assert(eq(int, quic_varint_decode(buf, n, &v), (int)n));
		cr_assert(eq(u64, v, rfc_cases[i].value));
		/* Every strict prefix is a clean truncation. */
		for (size_t k = 0; k < n; k++)
			cr_assert(eq(int, quic_varint_decode(buf, k, &v), QUIC_ERR_TRUNCATED));
	}
}

HB_TEST(varint, rfc9000_a1_encode_minimal)
{
	/* The first four vectors are minimal encodings: encoding gives the same bytes back. */
	for (size_t i = 0; i < 4; i++) {
		uint8_t want[8], got[8];
		size_t n = hb_hex(rfc_cases[i].hex, want, sizeof(want));

		cr_assert(
			eq(int, quic_varint_encode(got, sizeof(got), rfc_cases[i].value), (int)n));
		cr_assert(eq(int, memcmp(got, want, n), 0));
	}
}

HB_TEST(varint, boundaries_round_trip)
{
	static const uint64_t values[] = {
		0, 63, 64, 16383, 16384, (1u << 30) - 1, 1u << 30, QUIC_VARINT_MAX};
	static const size_t lens[] = {1, 1, 2, 2, 4, 4, 8, 8};

	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		uint8_t buf[8];
		uint64_t v = 0;

		cr_assert(eq(sz, quic_varint_len(values[i]), lens[i]));
		cr_assert(eq(int, quic_varint_encode(buf, sizeof(buf), values[i]), (int)lens[i]));
		cr_assert(eq(int, quic_varint_decode(buf, lens[i], &v), (int)lens[i]));
		cr_assert(eq(u64, v, values[i]));
		/* A buffer one byte short is refused without writing past it. */
		cr_assert(
			eq(int, quic_varint_encode(buf, lens[i] - 1, values[i]), QUIC_ERR_BUFFER));
	}
}

HB_TEST(varint, too_large_rejected)
{
	uint8_t buf[8];

	cr_assert(eq(sz, quic_varint_len(QUIC_VARINT_MAX + 1), 0));
	cr_assert(
		eq(int, quic_varint_encode(buf, sizeof(buf), QUIC_VARINT_MAX + 1), QUIC_ERR_INVAL));
	cr_assert(eq(int, quic_varint_encode_n(buf, sizeof(buf), 64, 1), QUIC_ERR_INVAL));
	cr_assert(eq(int, quic_varint_encode_n(buf, sizeof(buf), 5, 3), QUIC_ERR_INVAL));
}

HB_TEST(varint, encode_n_fixed_width)
{
	uint8_t buf[8];
	uint64_t v;

	cr_assert(eq(int, quic_varint_encode_n(buf, sizeof(buf), 37, 4), 4));
	cr_assert(eq(u8, buf[0], 0x80));
	cr_assert(eq(int, quic_varint_decode(buf, 4, &v), 4));
	cr_assert(eq(u64, v, 37));
}

HB_TEST(varint, reader_poisons_after_overrun)
{
	static const uint8_t in[] = {0x01, 0x02, 0x40};
	struct crypto_rd r;
	uint16_t u16;
	uint64_t v;
	uint8_t u8;

	crypto_rd_init(&r, in, sizeof(in));
	cr_assert(crypto_get_u16(&r, &u16));
	cr_assert(eq(u16, u16, 0x0102));
	/* 0x40 announces a 2-byte varint with one byte left. */
	cr_assert(not(quic_get_varint(&r, &v)));
	cr_assert(r.err);
	cr_assert(eq(sz, crypto_rd_left(&r), 0));
	/* Once poisoned, every read fails. */
	cr_assert(not(crypto_get_u8(&r, &u8)));
}

HB_TEST(varint, writer_stops_at_capacity)
{
	uint8_t buf[3];
	struct crypto_wr w;

	crypto_wr_init(&w, buf, sizeof(buf));
	cr_assert(crypto_put_u16(&w, 0xabcd));
	cr_assert(not(crypto_put_u16(&w, 0x1234)));
	cr_assert(w.err);
	cr_assert(eq(sz, crypto_wr_len(&w), 2));
	cr_assert(not(crypto_put_u8(&w, 1)));
	cr_assert(eq(u8, buf[0], 0xab));
	cr_assert(eq(u8, buf[1], 0xcd));
}

/* An empty input may have no buffer (an h3 control stream holds none until data arrives): the
 * cursors are set up without NULL + 0 (undefined; UBSan builds check it) and read nothing. */
HB_TEST(varint, empty_input_without_buffer)
{
	struct crypto_rd r;
	struct crypto_wr w;
	uint64_t v = 7;

	crypto_rd_init(&r, NULL, 0);
	cr_assert(eq(sz, crypto_rd_left(&r), 0));
	cr_assert(not(quic_get_varint(&r, &v)));
	cr_assert(eq(u64, v, 7));
	crypto_wr_init(&w, NULL, 0);
	cr_assert(not(quic_put_varint(&w, 1)));
	cr_assert(w.err);
}
