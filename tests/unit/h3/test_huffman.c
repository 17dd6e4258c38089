/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * HPACK Huffman code (RFC 7541 §5.2, Appendix B) as QPACK uses it (RFC 9204 §4.1.2): the
 * request examples of RFC 7541 Appendix C.4, every symbol through a test-only encoder, and the
 * decoding errors of §5.2 (EOS, long or non-ones padding).
 */
#include <string.h>

#include <quic/error.h>
#include <quic/qpack.h>

#include "hb_test.h"

TestSuite(huffman);

/* Test-only encoder: codes MSB first, the last byte padded with ones (RFC 7541 §5.2). */
static size_t
encode(const unsigned *syms, size_t n, uint8_t *out)
{
	uint64_t acc = 0;
	unsigned bits = 0;
	size_t len = 0;

	for (size_t i = 0; i < n; i++) {
		uint32_t code;
		unsigned cb;

		cr_assert(quic_huffman_code(syms[i], &code, &cb));
		acc = acc << cb | code;
		bits += cb;
		while (bits >= 8) {
			out[len++] = (uint8_t)(acc >> (bits - 8));
			bits -= 8;
		}
	}
	if (bits > 0)
		out[len++] = (uint8_t)(acc << (8 - bits) | (0xffu >> bits));
	return len;
}

struct c4_case {
	const char *hex;
	const char *text;
};

/* RFC 7541 C.4.1-C.4.3 (request examples with Huffman coding). */
static const struct c4_case c4[] = {
	{"f1e3 c2e5 f23a 6ba0 ab90 f4ff", "www.example.com"}, /* C.4.1 */
	{"a8eb 1064 9cbf", "no-cache"},			      /* C.4.2 */
	{"25a8 49e9 5ba9 7d7f", "custom-key"},		      /* C.4.3 */
	{"25a8 49e9 5bb8 e8b4 bf", "custom-value"},	      /* C.4.3 */
};

HB_TEST(huffman, rfc7541_c4_decode)
{
	for (size_t i = 0; i < sizeof(c4) / sizeof(c4[0]); i++) {
		uint8_t in[32], out[64];
		size_t n = hb_hex(c4[i].hex, in, sizeof(in)), want = strlen(c4[i].text);

		cr_assert(eq(int, quic_huffman_decode(in, n, out, sizeof(out)), (int)want));
		cr_assert(eq(int, memcmp(out, c4[i].text, want), 0));
		/* Measuring without an output buffer gives the same length. */
		cr_assert(eq(int, quic_huffman_decode(in, n, NULL, sizeof(out)), (int)want));
	}
}

HB_TEST(huffman, rfc7541_c4_encode)
{
	for (size_t i = 0; i < sizeof(c4) / sizeof(c4[0]); i++) {
		uint8_t want[32], got[32];
		unsigned syms[32];
		size_t n = hb_hex(c4[i].hex, want, sizeof(want)), len = strlen(c4[i].text);

		for (size_t k = 0; k < len; k++)
			syms[k] = (uint8_t)c4[i].text[k];
		cr_assert(eq(sz, encode(syms, len, got), n));
		cr_assert(eq(int, memcmp(got, want, n), 0));
	}
}

/*
 * A strict prefix of a Huffman string is never the whole string: it is either rejected
 * (a cut inside a code leaves padding that is not all ones, or longer than 7 bits) or, where
 * the cut falls on a code boundary followed by valid padding, a shorter prefix of the text.
 */
HB_TEST(huffman, rfc7541_c4_strict_prefixes)
{
	for (size_t i = 0; i < sizeof(c4) / sizeof(c4[0]); i++) {
		uint8_t in[32], out[64];
		size_t n = hb_hex(c4[i].hex, in, sizeof(in)), want = strlen(c4[i].text);

		for (size_t k = 0; k < n; k++) {
			int rc = quic_huffman_decode(in, k, out, sizeof(out));

			if (rc < 0) {
				cr_assert(eq(int, rc, QUIC_ERR_MALFORMED));
				continue;
			}
			cr_assert(lt(int, rc, (int)want));
			cr_assert(eq(int, memcmp(out, c4[i].text, (size_t)rc), 0));
		}
	}
}

HB_TEST(huffman, every_symbol_round_trip)
{
	for (unsigned sym = 0; sym < 256; sym++) {
		uint8_t enc[8], out[4];
		size_t n = encode(&sym, 1, enc);

		cr_assert(eq(int, quic_huffman_decode(enc, n, out, sizeof(out)), 1), "symbol %u",
			  sym);
		cr_assert(eq(u8, out[0], (uint8_t)sym));
	}
}

HB_TEST(huffman, all_symbols_in_one_string)
{
	unsigned syms[512];
	uint8_t enc[2048], out[512];
	size_t n;

	/* Every symbol twice, in two orders, so codes start at every bit offset. */
	for (unsigned i = 0; i < 256; i++) {
		syms[i] = i;
		syms[256 + i] = 255 - i;
	}
	n = encode(syms, 512, enc);
	cr_assert(eq(int, quic_huffman_decode(enc, n, out, sizeof(out)), 512));
	for (unsigned i = 0; i < 512; i++)
		cr_assert(eq(u8, out[i], (uint8_t)syms[i]));
}

HB_TEST(huffman, code_table_shape)
{
	uint32_t code;
	unsigned bits;

	/* Appendix B: '0' is 00000, EOS is thirty ones; no symbol beyond EOS. */
	cr_assert(quic_huffman_code('0', &code, &bits));
	cr_assert(eq(u32, code, 0));
	cr_assert(eq(u32, bits, 5));
	cr_assert(quic_huffman_code(QUIC_HUFFMAN_EOS, &code, &bits));
	cr_assert(eq(u32, code, 0x3fffffff));
	cr_assert(eq(u32, bits, 30));
	cr_assert(not(quic_huffman_code(257, &code, &bits)));
}

HB_TEST(huffman, eos_rejected)
{
	/* EOS (30 ones) plus 2 bits of padding: RFC 7541 §5.2 makes EOS in a string an error. */
	static const uint8_t eos[] = {0xff, 0xff, 0xff, 0xff};
	/* 'a' (00011) then EOS then padding. */
	unsigned syms[] = {'a', QUIC_HUFFMAN_EOS};
	uint8_t enc[16], out[16];
	size_t n = encode(syms, 2, enc);

	cr_assert(eq(int, quic_huffman_decode(eos, sizeof(eos), out, sizeof(out)),
		     QUIC_ERR_MALFORMED));
	cr_assert(eq(int, quic_huffman_decode(enc, n, out, sizeof(out)), QUIC_ERR_MALFORMED));
}

HB_TEST(huffman, padding_rules)
{
	/* '0' (00000) + 111: valid. */
	static const uint8_t ok[] = {0x07};
	/* '0' + 000: padding not all ones. */
	static const uint8_t zeros[] = {0x00};
	/* '0' + 011: padding not all ones. */
	static const uint8_t mixed[] = {0x03};
	/* '0' + 111 then a byte of ones: 11 bits of padding, more than 7. */
	static const uint8_t longpad[] = {0x07, 0xff};
	/* A whole byte of ones alone: 8 bits of padding. */
	static const uint8_t ones[] = {0xff};
	uint8_t out[8];

	cr_assert(eq(int, quic_huffman_decode(ok, 1, out, sizeof(out)), 1));
	cr_assert(eq(u8, out[0], '0'));
	cr_assert(eq(int, quic_huffman_decode(zeros, 1, out, sizeof(out)), QUIC_ERR_MALFORMED));
	cr_assert(eq(int, quic_huffman_decode(mixed, 1, out, sizeof(out)), QUIC_ERR_MALFORMED));
	cr_assert(eq(int, quic_huffman_decode(longpad, 2, out, sizeof(out)), QUIC_ERR_MALFORMED));
	cr_assert(eq(int, quic_huffman_decode(ones, 1, out, sizeof(out)), QUIC_ERR_MALFORMED));
	/* The empty string is valid and empty. */
	cr_assert(eq(int, quic_huffman_decode(ok, 0, out, sizeof(out)), 0));
}

HB_TEST(huffman, output_bounded)
{
	uint8_t in[32], out[64];
	size_t n = hb_hex(c4[0].hex, in, sizeof(in));

	/* "www.example.com" is 15 bytes: 14 bytes of room is refused, not overrun. */
	cr_assert(eq(int, quic_huffman_decode(in, n, out, 14), QUIC_ERR_BUFFER));
	cr_assert(eq(int, quic_huffman_decode(in, n, NULL, 14), QUIC_ERR_BUFFER));
	cr_assert(eq(int, quic_huffman_decode(in, n, out, 15), 15));
}
