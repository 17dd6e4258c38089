/* SPDX-License-Identifier: BSD-3-Clause */
/* Packet number encoding and decoding (RFC 9000 §17.1, Appendix A.2 and A.3). */
#include <quic/error.h>
#include <quic/packet.h>

int
quic_pn_encode_len(uint64_t pn, uint64_t largest_acked)
{
	uint64_t unacked;
	int n;

	if (pn > QUIC_PN_MAX)
		return QUIC_ERR_INVAL;
	if (largest_acked == QUIC_PN_NONE) {
		/* Nothing acknowledged yet: the whole number counts (RFC 9000 §17.1). */
		unacked = pn + 1;
	} else {
		if (largest_acked >= pn)
			return QUIC_ERR_INVAL;
		unacked = pn - largest_acked;
	}
	/*
	 * Appendix A.2 asks for log2(unacked) + 1 bits: a field of n bytes decodes correctly
	 * while unacked fits in half its window, 2^(8n - 1).
	 */
	for (n = 1; n <= 4; n++) {
		if (unacked <= UINT64_C(1) << (8 * n - 1))
			return n;
	}
	return QUIC_ERR_INVAL;
}

uint64_t
quic_pn_decode(uint64_t largest_pn, uint64_t truncated, size_t pn_len)
{
	uint64_t expected, win, hwin, mask, candidate;

	if (pn_len < 1 || pn_len > 4 || (largest_pn > QUIC_PN_MAX && largest_pn != QUIC_PN_NONE))
		return QUIC_PN_NONE;
	expected = largest_pn == QUIC_PN_NONE ? 0 : largest_pn + 1;
	win = UINT64_C(1) << (8 * pn_len);
	hwin = win / 2;
	mask = win - 1;
	candidate = (expected & ~mask) | (truncated & mask);
	/*
	 * Appendix A.3, with "candidate <= expected - hwin" written without the unsigned
	 * underflow the pseudocode's signed arithmetic does not have.
	 */
	if (candidate + hwin <= expected && candidate < (UINT64_C(1) << 62) - win)
		return candidate + win;
	if (candidate > expected + hwin && candidate >= win)
		return candidate - win;
	return candidate;
}
