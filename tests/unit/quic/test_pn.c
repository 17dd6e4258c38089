/* SPDX-License-Identifier: BSD-3-Clause */
/* Packet number length choice and decoding (RFC 9000 §17.1, Appendix A.2 and A.3). */
#include <quic/error.h>
#include <quic/packet.h>

#include "hb_test.h"

TestSuite(pn);

HB_TEST(pn, encode_len_without_ack_covers_full_number)
{
	/* Before any ACK the whole number counts: pn + 1 packets (RFC 9000 §17.1). */
	cr_assert(eq(int, quic_pn_encode_len(0, QUIC_PN_NONE), 1));
	cr_assert(eq(int, quic_pn_encode_len(127, QUIC_PN_NONE), 1));
	cr_assert(eq(int, quic_pn_encode_len(128, QUIC_PN_NONE), 2));
	cr_assert(eq(int, quic_pn_encode_len(32767, QUIC_PN_NONE), 2));
	cr_assert(eq(int, quic_pn_encode_len(32768, QUIC_PN_NONE), 3));
	cr_assert(eq(int, quic_pn_encode_len((UINT64_C(1) << 23) - 1, QUIC_PN_NONE), 3));
	cr_assert(eq(int, quic_pn_encode_len(UINT64_C(1) << 23, QUIC_PN_NONE), 4));
	cr_assert(eq(int, quic_pn_encode_len((UINT64_C(1) << 31) - 1, QUIC_PN_NONE), 4));
	cr_assert(eq(int, quic_pn_encode_len(UINT64_C(1) << 31, QUIC_PN_NONE), QUIC_ERR_INVAL));
}

HB_TEST(pn, encode_len_boundaries_after_ack)
{
	/* n bytes carry up to 2^(8n-1) unacknowledged numbers, the new one included. */
	static const struct {
		uint64_t unacked;
		int len;
	} cases[] = {
		{1, 1},
		{128, 1},
		{129, 2},
		{32768, 2},
		{32769, 3},
		{UINT64_C(1) << 23, 3},
		{(UINT64_C(1) << 23) + 1, 4},
		{UINT64_C(1) << 31, 4},
		{(UINT64_C(1) << 31) + 1, QUIC_ERR_INVAL},
	};
	const uint64_t largest = UINT64_C(1) << 40;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		cr_assert(eq(int, quic_pn_encode_len(largest + cases[i].unacked, largest),
			     cases[i].len));
}

HB_TEST(pn, encode_len_rejects_bad_arguments)
{
	cr_assert(eq(int, quic_pn_encode_len(10, 10), QUIC_ERR_INVAL));
	cr_assert(eq(int, quic_pn_encode_len(10, 11), QUIC_ERR_INVAL));
	cr_assert(eq(int, quic_pn_encode_len(QUIC_PN_MAX + 1, QUIC_PN_NONE), QUIC_ERR_INVAL));
	cr_assert(eq(int, quic_pn_encode_len(QUIC_PN_MAX, QUIC_PN_MAX - 1), 1));
}

HB_TEST(pn, decode_with_nothing_received)
{
	/* Expected 0: every truncated value is taken as it is. */
	cr_assert(eq(u64, quic_pn_decode(QUIC_PN_NONE, 0, 1), 0));
	cr_assert(eq(u64, quic_pn_decode(QUIC_PN_NONE, 0xff, 1), 0xff));
	cr_assert(eq(u64, quic_pn_decode(QUIC_PN_NONE, 0xffff, 2), 0xffff));
	cr_assert(eq(u64, quic_pn_decode(QUIC_PN_NONE, 0xffffffff, 4), 0xffffffff));
}

HB_TEST(pn, decode_window_edges)
{
	/* Expected 0x1000; a 1-byte field decodes to (expected - 128, expected + 128]. */
	const uint64_t largest = 0xfff;

	cr_assert(eq(u64, quic_pn_decode(largest, 0x00, 1), 0x1000));
	cr_assert(eq(u64, quic_pn_decode(largest, 0x80, 1), 0x1080));
	cr_assert(eq(u64, quic_pn_decode(largest, 0x81, 1), 0x0f81));
	cr_assert(eq(u64, quic_pn_decode(largest, 0xff, 1), 0x0fff));
	/* Wrapping upward past a window boundary. */
	cr_assert(eq(u64, quic_pn_decode(0x10fe, 0x02, 1), 0x1102));
}

HB_TEST(pn, decode_near_top_of_space)
{
	/* Largest = 2^62 - 2: the one remaining number decodes; none is placed past it. */
	cr_assert(eq(u64, quic_pn_decode(QUIC_PN_MAX - 1, 0xff, 1), QUIC_PN_MAX));
	cr_assert(eq(u64, quic_pn_decode(QUIC_PN_MAX - 1, 0xfe, 1), QUIC_PN_MAX - 1));
	cr_assert(eq(u64, quic_pn_decode(QUIC_PN_MAX - 1, 0x00, 1), QUIC_PN_MAX - 0xff));
	cr_assert(eq(u64, quic_pn_decode(QUIC_PN_MAX - 1, 0xffffffff, 4), QUIC_PN_MAX));
	/*
	 * Largest = 2^62 - 1: values above the half window fold back below the top; values that
	 * would land past 2^62 - 1 are reported as such so the caller drops the packet.
	 */
	cr_assert(eq(u64, quic_pn_decode(QUIC_PN_MAX, 0xff, 1), QUIC_PN_MAX));
	cr_assert(eq(u64, quic_pn_decode(QUIC_PN_MAX, 0x81, 1), QUIC_PN_MAX - 0x7e));
	cr_assert(gt(u64, quic_pn_decode(QUIC_PN_MAX, 0x10, 1), QUIC_PN_MAX));
	cr_assert(gt(u64, quic_pn_decode(QUIC_PN_MAX, 0x00, 2), QUIC_PN_MAX));
}

HB_TEST(pn, decode_bad_length_is_out_of_range)
{
	cr_assert(gt(u64, quic_pn_decode(5, 1, 0), QUIC_PN_MAX));
	cr_assert(gt(u64, quic_pn_decode(5, 1, 5), QUIC_PN_MAX));
	cr_assert(gt(u64, quic_pn_decode(QUIC_PN_MAX + 1, 1, 1), QUIC_PN_MAX));
}

HB_TEST(pn, encode_then_decode_round_trip)
{
	/* Whatever length encode_len picks, a receiver at largest_acked gets the number back. */
	static const uint64_t bases[] = {
		0, 1, 200, 0xabe8b3, UINT64_C(1) << 40, QUIC_PN_MAX - 70000};
	static const uint64_t steps[] = {
		1, 2, 127, 128, 129, 255, 32768, 32769, 1u << 23, (1u << 23) + 1, 1u << 30};

	for (size_t i = 0; i < sizeof(bases) / sizeof(bases[0]); i++) {
		for (size_t j = 0; j < sizeof(steps) / sizeof(steps[0]); j++) {
			uint64_t acked = bases[i], pn = acked + steps[j];
			int n;

			if (pn > QUIC_PN_MAX)
				continue;
			n = quic_pn_encode_len(pn, acked);
			cr_assert(ge(int, n, 1));
			uint64_t trunc = pn & ((UINT64_C(1) << (8 * n)) - 1);
			cr_assert(eq(u64, quic_pn_decode(acked, trunc, (size_t)n), pn));
		}
	}
}
