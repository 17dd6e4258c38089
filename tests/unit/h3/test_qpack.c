/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * QPACK without a dynamic table (RFC 9204): the static table (Appendix A), prefixed integers
 * (RFC 7541 §5.1, Appendix C.1), string literals, field section decoding and its errors, the
 * decoded-size limit (RFC 9114 §4.2.2), and the Appendix B.1 example both ways.
 */
#include <string.h>

#include <quic/error.h>
#include <quic/qpack.h>

#include "hb_test.h"

TestSuite(qpack);

/* Decoded fields, kept for comparison. */
struct fields {
	size_t n;
	char name[16][64];
	char value[16][256];
	int stop_at; /* return an error on this field (0: never) */
};

static int
collect(void *ctx, const uint8_t *name, size_t nl, const uint8_t *value, size_t vl)
{
	struct fields *f = ctx;

	cr_assert(lt(sz, f->n, 16));
	cr_assert(lt(sz, nl, sizeof(f->name[0])));
	cr_assert(lt(sz, vl, sizeof(f->value[0])));
	memcpy(f->name[f->n], name, nl);
	f->name[f->n][nl] = '\0';
	memcpy(f->value[f->n], value, vl);
	f->value[f->n][vl] = '\0';
	f->n++;
	return (int)f->n == f->stop_at ? QUIC_H3_ERR_MESSAGE : 0;
}

static int
collect_none(void *ctx, const uint8_t *name, size_t nl, const uint8_t *value, size_t vl)
{
	(void)ctx;
	(void)name;
	(void)nl;
	(void)value;
	(void)vl;
	return 0;
}

static int
decode_hex(const char *hex, uint64_t limit, struct fields *f)
{
	static uint8_t scratch[4096];
	uint8_t in[512];
	size_t n = hb_hex(hex, in, sizeof(in));

	memset(f, 0, sizeof(*f));
	return quic_qpack_decode_section(in, n, limit, scratch, sizeof(scratch), collect, f);
}

/* RFC 9204 Appendix B.1: Literal Field Line with Name Reference, :path=/index.html. */
static const char b1_hex[] = "0000 510b 2f69 6e64 6578 2e68 746d 6c";

HB_TEST(qpack, rfc9204_b1_decode)
{
	struct fields f;

	cr_assert(eq(int, decode_hex(b1_hex, 4096, &f), 0));
	cr_assert(eq(sz, f.n, 1));
	cr_assert(eq(int, strcmp(f.name[0], ":path"), 0));
	cr_assert(eq(int, strcmp(f.value[0], "/index.html"), 0));
}

HB_TEST(qpack, rfc9204_b1_encode)
{
	uint8_t want[32], got[32];
	size_t n = hb_hex(b1_hex, want, sizeof(want));
	struct crypto_wr w;

	crypto_wr_init(&w, got, sizeof(got));
	cr_assert(eq(int, quic_qpack_put_prefix(&w), 0));
	cr_assert(eq(int, quic_qpack_put_field(&w, ":path", 5, "/index.html", 11), 0));
	cr_assert(eq(sz, crypto_wr_len(&w), n));
	cr_assert(eq(int, memcmp(got, want, n), 0));
}

/*
 * Every strict prefix of B.1 is refused, except the bare two-byte section prefix, which is a
 * complete (empty) field section and must decode to no field.
 */
HB_TEST(qpack, rfc9204_b1_strict_prefixes)
{
	static uint8_t scratch[256];
	uint8_t in[32];
	size_t n = hb_hex(b1_hex, in, sizeof(in));

	for (size_t k = 0; k < n; k++) {
		struct fields f = {0};
		int rc = quic_qpack_decode_section(in, k, 4096, scratch, sizeof(scratch), collect,
						   &f);

		if (k == 2) {
			cr_assert(eq(int, rc, 0));
			cr_assert(eq(sz, f.n, 0));
		} else {
			cr_assert(eq(int, rc, QUIC_H3_ERR_QPACK_DECOMPRESSION), "prefix %zu", k);
		}
	}
}

HB_TEST(qpack, static_table)
{
	static const struct {
		unsigned idx;
		const char *name;
		const char *value;
	} spots[] = {
		{0, ":authority", ""},
		{1, ":path", "/"},
		{17, ":method", "GET"},
		{25, ":status", "200"},
		{27, ":status", "404"},
		{29, "accept", "*/*"},
		{72, "accept-language", ""},
		{85, "content-security-policy",
		 "script-src 'none'; object-src 'none'; base-uri 'none'"},
		{98, "x-frame-options", "sameorigin"},
	};
	const char *name, *value;
	size_t nl, vl;

	for (size_t i = 0; i < sizeof(spots) / sizeof(spots[0]); i++) {
		cr_assert(quic_qpack_static_get(spots[i].idx, &name, &nl, &value, &vl));
		cr_assert(eq(sz, nl, strlen(spots[i].name)));
		cr_assert(eq(int, memcmp(name, spots[i].name, nl), 0));
		cr_assert(eq(sz, vl, strlen(spots[i].value)));
		cr_assert(eq(int, memcmp(value, spots[i].value, vl), 0));
	}
	cr_assert(not(quic_qpack_static_get(QUIC_QPACK_STATIC_COUNT, &name, &nl, &value, &vl)));
}

struct int_case {
	const char *hex;
	unsigned prefix;
	uint64_t value;
};

/* RFC 7541 C.1.1-C.1.3, and boundaries of the prefix and of 62 bits. */
static const struct int_case int_cases[] = {
	{"0a", 5, 10},			  /* C.1.1 */
	{"1f9a0a", 5, 1337},		  /* C.1.2 */
	{"2a", 8, 42},			  /* C.1.3 */
	{"1e", 5, 30},			  /* largest value inside a 5-bit prefix */
	{"1f00", 5, 31},		  /* smallest value needing a continuation */
	{"fe", 8, 254},			  /* 8-bit prefix */
	{"ff00", 8, 255},		  /* 8-bit prefix, continuation */
	{"00", 1, 0},			  /* 1-bit prefix */
	{"0100", 1, 1},			  /* 1-bit prefix, continuation */
	{"7f807f", 7, 127 + (127u << 7)}, /* two continuation bytes */
	{"ff80feffffffffffff3f", 8, (UINT64_C(1) << 62) - 1}, /* 2^62 - 1 */
};

HB_TEST(qpack, int_decode)
{
	for (size_t i = 0; i < sizeof(int_cases) / sizeof(int_cases[0]); i++) {
		uint8_t in[16];
		size_t n = hb_hex(int_cases[i].hex, in, sizeof(in));
		struct crypto_rd r;
		uint64_t v;

		crypto_rd_init(&r, in, n);
		cr_assert(eq(int, quic_qpack_int_get(&r, int_cases[i].prefix, &v), 0), "case %zu",
			  i);
		cr_assert(eq(u64, v, int_cases[i].value));
		cr_assert(eq(sz, crypto_rd_left(&r), 0));
		/* Every strict prefix is a clean truncation. */
		for (size_t k = 0; k < n; k++) {
			crypto_rd_init(&r, in, k);
			cr_assert(eq(int, quic_qpack_int_get(&r, int_cases[i].prefix, &v),
				     QUIC_ERR_TRUNCATED));
		}
	}
}

HB_TEST(qpack, int_encode)
{
	for (size_t i = 0; i < sizeof(int_cases) / sizeof(int_cases[0]); i++) {
		uint8_t want[16], got[16];
		size_t n = hb_hex(int_cases[i].hex, want, sizeof(want));
		struct crypto_wr w;

		crypto_wr_init(&w, got, sizeof(got));
		cr_assert(eq(int,
			     quic_qpack_int_put(&w, int_cases[i].prefix, 0, int_cases[i].value),
			     0));
		cr_assert(eq(sz, crypto_wr_len(&w), n));
		cr_assert(eq(int, memcmp(got, want, n), 0));
		/* One byte short is refused. */
		crypto_wr_init(&w, got, n - 1);
		cr_assert(eq(int,
			     quic_qpack_int_put(&w, int_cases[i].prefix, 0, int_cases[i].value),
			     QUIC_ERR_BUFFER));
	}
}

HB_TEST(qpack, int_overflow)
{
	/* 2^62: one above the largest value QPACK needs (RFC 9204 §4.1.1). */
	static const char too_big[] = "ff81feffffffffffff3f";
	/* 64 bits of ones: would wrap a naive decoder. */
	static const char wraps[] = "ff80ffffffffffffffff01";
	/* Ten continuation bytes of zero: longer than any 62-bit value needs. */
	static const char overlong[] = "ff80808080808080808000";
	const char *bad[] = {too_big, wraps, overlong};
	uint8_t buf[16];
	struct crypto_wr w;

	for (size_t i = 0; i < 3; i++) {
		uint8_t in[16];
		size_t n = hb_hex(bad[i], in, sizeof(in));
		struct crypto_rd r;
		uint64_t v;

		crypto_rd_init(&r, in, n);
		cr_assert(eq(int, quic_qpack_int_get(&r, 8, &v), QUIC_ERR_MALFORMED), "case %zu",
			  i);
	}
	crypto_wr_init(&w, buf, sizeof(buf));
	cr_assert(eq(int, quic_qpack_int_put(&w, 8, 0, UINT64_C(1) << 62), QUIC_ERR_INVAL));
	cr_assert(eq(int, quic_qpack_int_put(&w, 0, 0, 1), QUIC_ERR_INVAL));
	cr_assert(eq(int, quic_qpack_int_put(&w, 9, 0, 1), QUIC_ERR_INVAL));
}

HB_TEST(qpack, int_round_trip_all_prefixes)
{
	static const uint64_t values[] = {
		0,   1,	  2,   6,     7,     14,       15,
		30,  31,  62,  63,    126,   127,      128,
		254, 255, 256, 16383, 16384, 1u << 30, (UINT64_C(1) << 62) - 1};

	for (unsigned p = 1; p <= 8; p++) {
		for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
			uint8_t buf[16];
			struct crypto_wr w;
			struct crypto_rd r;
			uint64_t v;

			crypto_wr_init(&w, buf, sizeof(buf));
			/* Flags above the prefix are kept and do not disturb the value. */
			cr_assert(eq(int, quic_qpack_int_put(&w, p, 0xff, values[i]), 0));
			crypto_rd_init(&r, buf, crypto_wr_len(&w));
			cr_assert(eq(int, quic_qpack_int_get(&r, p, &v), 0));
			cr_assert(eq(u64, v, values[i]));
			cr_assert(eq(sz, crypto_rd_left(&r), 0));
			if (p < 8)
				cr_assert(eq(u8, buf[0] >> p, 0xffu >> p));
		}
	}
}

HB_TEST(qpack, string_literals)
{
	static uint8_t scratch[64];
	/* H=0 "abc"; H=1 "no-cache" (RFC 7541 C.4.2); a 4-bit prefix string "ab" with H=1... */
	uint8_t plain[] = {0x03, 'a', 'b', 'c'};
	uint8_t huff[16];
	size_t hn = hb_hex("86 a8eb 1064 9cbf", huff, sizeof(huff));
	const uint8_t *out;
	size_t len;
	struct crypto_rd r;

	crypto_rd_init(&r, plain, sizeof(plain));
	cr_assert(eq(int, quic_qpack_string_get(&r, 8, scratch, sizeof(scratch), &out, &len), 0));
	cr_assert(eq(sz, len, 3));
	cr_assert(eq(sz, (size_t)(out - plain), 1), "plain strings are not copied");
	crypto_rd_init(&r, huff, hn);
	cr_assert(eq(int, quic_qpack_string_get(&r, 8, scratch, sizeof(scratch), &out, &len), 0));
	cr_assert(eq(sz, len, 8));
	cr_assert(eq(int, memcmp(out, "no-cache", 8), 0));
	/* Strict prefixes: truncated. */
	for (size_t k = 0; k < hn; k++) {
		crypto_rd_init(&r, huff, k);
		cr_assert(eq(int,
			     quic_qpack_string_get(&r, 8, scratch, sizeof(scratch), &out, &len),
			     QUIC_ERR_TRUNCATED));
	}
	/* Scratch too small for the decoded string. */
	crypto_rd_init(&r, huff, hn);
	cr_assert(eq(int, quic_qpack_string_get(&r, 8, scratch, 7, &out, &len), QUIC_ERR_BUFFER));
}

HB_TEST(qpack, section_static_and_literals)
{
	struct fields f;

	/*
	 * :method GET (indexed 17), :scheme https (indexed 23), :authority as a Huffman
	 * "www.example.com" (name ref 0), custom-key: custom-value as a literal name with
	 * Huffman name and value (RFC 7541 C.4.3 strings), x: y as plain literal name.
	 */
	cr_assert(eq(int,
		     decode_hex("0000 d1 d7 508c f1e3 c2e5 f23a 6ba0 ab90 f4ff"
				" 2f01 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf"
				" 2178 0179",
				4096, &f),
		     0));
	cr_assert(eq(sz, f.n, 5));
	cr_assert(eq(int, strcmp(f.name[0], ":method"), 0));
	cr_assert(eq(int, strcmp(f.value[0], "GET"), 0));
	cr_assert(eq(int, strcmp(f.value[1], "https"), 0));
	cr_assert(eq(int, strcmp(f.name[2], ":authority"), 0));
	cr_assert(eq(int, strcmp(f.value[2], "www.example.com"), 0));
	cr_assert(eq(int, strcmp(f.name[3], "custom-key"), 0));
	cr_assert(eq(int, strcmp(f.value[3], "custom-value"), 0));
	cr_assert(eq(int, strcmp(f.name[4], "x"), 0));
	cr_assert(eq(int, strcmp(f.value[4], "y"), 0));
}

HB_TEST(qpack, section_dynamic_references_refused)
{
	static const char *const bad[] = {
		"0100",			   /* Required Insert Count 1 (§4.5.1.1) */
		"0080",			   /* Sign bit 1 with RIC 0: negative Base (§4.5.1.2) */
		"0000 80",		   /* Indexed Field Line, dynamic (T=0) */
		"0000 4003 616263",	   /* Literal with dynamic name reference (T=0) */
		"0000 10",		   /* Indexed Field Line with Post-Base Index (§4.5.3) */
		"0000 00 03 616263",	   /* Literal with Post-Base Name Reference (§4.5.5) */
		"0000 ff24",		   /* static index 99: past the table */
		"0000 5f54 00",		   /* static name index 99 */
		"0000 51 85 ffff ffff ff", /* Huffman value holding EOS */
		"0000 51 81 00",	   /* Huffman value with zero padding */
		"0000 51 05 2f",	   /* value longer than the section */
	};
	struct fields f;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert(eq(int, decode_hex(bad[i], 4096, &f), QUIC_H3_ERR_QPACK_DECOMPRESSION),
			  "case %zu", i);
}

HB_TEST(qpack, section_size_limit)
{
	static uint8_t scratch[4096];
	uint8_t in[2 + 1000];
	struct fields f = {0};

	/* ":method GET" counts 32 + 7 + 3 = 42 bytes (RFC 9114 §4.2.2). */
	cr_assert(eq(int, decode_hex("0000 d1", 42, &f), 0));
	cr_assert(eq(int, decode_hex("0000 d1", 41, &f), QUIC_H3_ERR_TOO_LARGE));
	cr_assert(eq(int, decode_hex("0000 d1 d1", 84, &f), 0));
	cr_assert(eq(int, decode_hex("0000 d1 d1", 83, &f), QUIC_H3_ERR_TOO_LARGE));
	/*
	 * A 1002-byte section of one-byte static references decodes to 42000 bytes: the limit
	 * stops it (quic-go GHSA-g754-hx8w-x2g6 limited only the compressed size).
	 */
	memset(in, 0xd1, sizeof(in));
	in[0] = in[1] = 0;
	cr_assert(eq(int,
		     quic_qpack_decode_section(in, sizeof(in), 16384, scratch, sizeof(scratch),
					       collect_none, NULL),
		     QUIC_H3_ERR_TOO_LARGE));
}

HB_TEST(qpack, section_scratch_and_callback)
{
	static uint8_t scratch[8];
	uint8_t in[64];
	size_t n = hb_hex("0000 508c f1e3 c2e5 f23a 6ba0 ab90 f4ff d1 d1", in, sizeof(in));
	struct fields f = {0};

	/* A Huffman value that does not fit in scratch is "too large", not a crash. */
	cr_assert(eq(int,
		     quic_qpack_decode_section(in, n, 4096, scratch, sizeof(scratch), collect, &f),
		     QUIC_H3_ERR_TOO_LARGE));
	/* The callback's error stops decoding and is returned. */
	memset(&f, 0, sizeof(f));
	f.stop_at = 2;
	cr_assert(eq(int, decode_hex("0000 d1 d1 d1", 4096, &f), 0));
	f.stop_at = 2;
	{
		static uint8_t big[256];
		uint8_t sec[8];
		size_t k = hb_hex("0000 d1 d1 d1", sec, sizeof(sec));

		f.n = 0;
		cr_assert(eq(int,
			     quic_qpack_decode_section(sec, k, 4096, big, sizeof(big), collect, &f),
			     QUIC_H3_ERR_MESSAGE));
		cr_assert(eq(sz, f.n, 2));
	}
}

HB_TEST(qpack, encoder_representations)
{
	uint8_t buf[128];
	struct crypto_wr w;
	struct fields f;
	static uint8_t scratch[256];

	crypto_wr_init(&w, buf, sizeof(buf));
	cr_assert(eq(int, quic_qpack_put_prefix(&w), 0));
	/* Name and value in the static table: one byte, 0xc0 | 25 (§4.5.2). */
	cr_assert(eq(int, quic_qpack_put_field(&w, ":status", 7, "200", 3), 0));
	cr_assert(eq(sz, crypto_wr_len(&w), 3));
	cr_assert(eq(u8, buf[2], 0xd9));
	/* Name only: literal with name reference 4 (§4.5.4). */
	cr_assert(eq(int, quic_qpack_put_field(&w, "content-length", 14, "1000", 4), 0));
	cr_assert(eq(u8, buf[3], 0x54));
	cr_assert(eq(u8, buf[4], 0x04));
	/* Neither: literal name (§4.5.6). */
	cr_assert(eq(int, quic_qpack_put_field(&w, "allow", 5, "GET, HEAD", 9), 0));
	cr_assert(eq(u8, buf[9], 0x25));
	memset(&f, 0, sizeof(f));
	cr_assert(eq(int,
		     quic_qpack_decode_section(buf, crypto_wr_len(&w), 4096, scratch,
					       sizeof(scratch), collect, &f),
		     0));
	cr_assert(eq(sz, f.n, 3));
	cr_assert(eq(int, strcmp(f.value[0], "200"), 0));
	cr_assert(eq(int, strcmp(f.name[1], "content-length"), 0));
	cr_assert(eq(int, strcmp(f.value[1], "1000"), 0));
	cr_assert(eq(int, strcmp(f.name[2], "allow"), 0));
	cr_assert(eq(int, strcmp(f.value[2], "GET, HEAD"), 0));
	/* A writer without room is refused. */
	crypto_wr_init(&w, buf, 4);
	cr_assert(eq(int, quic_qpack_put_field(&w, "allow", 5, "GET, HEAD", 9), QUIC_ERR_BUFFER));
}
