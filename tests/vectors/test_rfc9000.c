/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RFC 9000 packet number examples: §17.1 and the samples of Appendix A.2 (encoding) and A.3
 * (decoding). The Appendix A.1 varint samples are in tests/unit/quic/test_varint.c.
 */
#include <quic/error.h>
#include <quic/packet.h>

#include "hb_test.h"

TestSuite(rfc9000);

HB_TEST(rfc9000, a2_encoding_16_bits)
{
	/*
	 * Largest acknowledged 0xabe8b3, sending 0xac5c02: 29,519 (0x734f) outstanding numbers;
	 * twice that (0xe69e) needs 16 bits.
	 */
	cr_assert(eq(int, quic_pn_encode_len(0xac5c02, 0xabe8b3), 2));
}

HB_TEST(rfc9000, a2_encoding_24_bits)
{
	/* Same state, sending 0xace8fe: twice the range (0x020096) needs 18 bits, so 24. */
	cr_assert(eq(int, quic_pn_encode_len(0xace8fe, 0xabe8b3), 3));
}

HB_TEST(rfc9000, a3_decoding)
{
	/* Highest authenticated 0xa82f30ea, 16-bit field 0x9b32 → 0xa82f9b32. */
	cr_assert(eq(u64, quic_pn_decode(0xa82f30ea, 0x9b32, 2), 0xa82f9b32));
}

HB_TEST(rfc9000, a2_a3_round_trip)
{
	/* The two A.2 numbers, truncated to the chosen length, decode back at the receiver. */
	cr_assert(eq(u64, quic_pn_decode(0xabe8b3, 0x5c02, 2), 0xac5c02));
	cr_assert(eq(u64, quic_pn_decode(0xabe8b3, 0xace8fe, 3), 0xace8fe));
}

HB_TEST(rfc9000, s17_1_full_number_before_any_ack)
{
	/*
	 * §17.1: "Prior to receiving an acknowledgment for a packet number space, the full packet
	 * number MUST be included": with nothing acknowledged the length covers pn + 1 numbers.
	 */
	cr_assert(eq(int, quic_pn_encode_len(0, QUIC_PN_NONE), 1));
	cr_assert(eq(int, quic_pn_encode_len(0xac5c02, QUIC_PN_NONE), 4));
	cr_assert(eq(u64, quic_pn_decode(QUIC_PN_NONE, 0x00ac5c02, 4), 0xac5c02));
}

HB_TEST(rfc9000, s17_1_one_bit_more_than_log2_unacked)
{
	/*
	 * §17.1: "the size of the packet number encoding is at least one bit more than the base-2
	 * logarithm of the number of contiguous unacknowledged packet numbers, including the new
	 * packet". 2^7 unacked numbers need 8 bits (1 byte); 2^7 + 1 need more.
	 */
	cr_assert(eq(int, quic_pn_encode_len(1000 + 128, 1000), 1));
	cr_assert(eq(int, quic_pn_encode_len(1000 + 129, 1000), 2));
	/* The receiver decodes "the packet number value that is closest to the next expected". */
	cr_assert(eq(u64, quic_pn_decode(1000, (1000 + 128) & 0xff, 1), 1000 + 128));
}
