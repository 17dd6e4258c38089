/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target for the QPACK decoder (RFC 9204 §4.5) and its primitives. Input: one encoded
 * field section. Checked, aborting on any violation:
 * - the section decodes, or fails with QPACK_DECOMPRESSION_FAILED or "too large", never more
 *   than the decoded-size limit is accepted (RFC 9114 §4.2.2; quic-go GHSA-g754-hx8w-x2g6);
 * - what decodes re-encodes with our encoder and decodes again to the same field lines;
 * - the whole input as a Huffman string (RFC 7541 §5.2): when it decodes, re-encoding the
 *   result gives the input back byte for byte (the code is a prefix code and valid padding is
 *   unique), and the output never exceeds 8/5 of the input;
 * - the input as a prefixed integer for every prefix size: any value decoded is below 2^62 and
 *   survives a round trip.
 *
 * Seeds in corpus/qpack/ come from the generator at the end of this file:
 *   cc -std=c11 -D_GNU_SOURCE -DHB_FUZZ_QPACK_SEEDS -Iquic/include tests/fuzz/fuzz_qpack.c \
 *      BUILD/quic/libhb_quic.a -o gen && ./gen tests/fuzz/corpus/qpack
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <quic/error.h>
#include <quic/qpack.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define LIMIT 4096u
/*
 * Re-encoding a field costs at most its name and value plus two bytes of representation and two
 * integers of 10 bytes each, and at most LIMIT / 32 fields fit under the limit.
 */
#define REENC_CAP (LIMIT + (LIMIT / 32) * 24 + 2)

static void
check(bool ok)
{
	if (!ok)
		abort();
}

/* Field lines, flattened as (name_len, name, value_len, value) for comparison. */
struct fields {
	uint8_t flat[2 * LIMIT];
	size_t flat_len;
	struct crypto_wr *reenc; /* NULL on the second pass */
	uint64_t size;
};

static int
on_field(void *ctx, const uint8_t *name, size_t nl, const uint8_t *value, size_t vl)
{
	struct fields *f = ctx;

	f->size += 32 + nl + vl;
	check(f->size <= LIMIT);
	check(f->flat_len + 16 + nl + vl <= sizeof(f->flat));
	memcpy(f->flat + f->flat_len, &nl, sizeof(nl));
	memcpy(f->flat + f->flat_len + 8, &vl, sizeof(vl));
	memcpy(f->flat + f->flat_len + 16, name, nl);
	memcpy(f->flat + f->flat_len + 16 + nl, value, vl);
	f->flat_len += 16 + nl + vl;
	if (f->reenc != NULL)
		check(quic_qpack_put_field(f->reenc, (const char *)name, nl, (const char *)value,
					   vl) == 0);
	return 0;
}

static void
check_section(const uint8_t *data, size_t size, uint8_t *scratch)
{
	static uint8_t reenc[REENC_CAP];
	static struct fields first, second;
	struct crypto_wr w;
	int rc;

	crypto_wr_init(&w, reenc, sizeof(reenc));
	check(quic_qpack_put_prefix(&w) == 0);
	first.flat_len = 0;
	first.size = 0;
	first.reenc = &w;
	rc = quic_qpack_decode_section(data, size, LIMIT, scratch, LIMIT, on_field, &first);
	check(rc == 0 || rc == QUIC_H3_ERR_QPACK_DECOMPRESSION || rc == QUIC_H3_ERR_TOO_LARGE);
	if (rc != 0)
		return;
	second.flat_len = 0;
	second.size = 0;
	second.reenc = NULL;
	rc = quic_qpack_decode_section(reenc, crypto_wr_len(&w), LIMIT, scratch, LIMIT, on_field,
				       &second);
	check(rc == 0 && second.flat_len == first.flat_len &&
	      memcmp(second.flat, first.flat, first.flat_len) == 0);
}

/* A Huffman encoder from the code table, MSB first, padded with ones (RFC 7541 §5.2). */
static size_t
huffman_encode(const uint8_t *in, size_t len, uint8_t *out)
{
	uint64_t acc = 0;
	unsigned bits = 0;
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		uint32_t code;
		unsigned cb;

		check(quic_huffman_code(in[i], &code, &cb));
		acc = acc << cb | code;
		bits += cb;
		while (bits >= 8) {
			out[n++] = (uint8_t)(acc >> (bits - 8));
			bits -= 8;
		}
	}
	if (bits > 0)
		out[n++] = (uint8_t)(acc << (8 - bits) | (0xffu >> bits));
	return n;
}

static void
check_huffman(const uint8_t *data, size_t size)
{
	size_t cap = size * 8 / 5 + 1;
	uint8_t *out = malloc(cap), *back = malloc(size + 1);
	int n;

	check(out != NULL && back != NULL);
	n = quic_huffman_decode(data, size, out, cap);
	check(n >= 0 || n == QUIC_ERR_MALFORMED);
	if (n >= 0) {
		check((size_t)n <= size * 8 / 5);
		check(huffman_encode(out, (size_t)n, back) == size &&
		      memcmp(back, data, size) == 0);
		check(quic_huffman_decode(data, size, NULL, cap) == n);
	}
	free(back);
	free(out);
}

static void
check_ints(const uint8_t *data, size_t size)
{
	for (unsigned n = 1; n <= 8; n++) {
		struct crypto_rd r;
		struct crypto_wr w;
		uint8_t buf[16];
		uint64_t v, back;
		int rc;

		crypto_rd_init(&r, data, size);
		rc = quic_qpack_int_get(&r, n, &v);
		check(rc == 0 || rc == QUIC_ERR_TRUNCATED || rc == QUIC_ERR_MALFORMED);
		if (rc != 0)
			continue;
		check(v <= QUIC_QPACK_INT_MAX);
		crypto_wr_init(&w, buf, sizeof(buf));
		check(quic_qpack_int_put(&w, n, 0, v) == 0);
		crypto_rd_init(&r, buf, crypto_wr_len(&w));
		check(quic_qpack_int_get(&r, n, &back) == 0 && back == v &&
		      crypto_rd_left(&r) == 0);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t scratch[LIMIT];

	check_section(data, size, scratch);
	check_huffman(data, size);
	check_ints(data, size);
	return 0;
}

#ifdef HB_FUZZ_QPACK_SEEDS
/* Seed generator: typical request sections, Huffman strings, limits, dynamic references. */
#include <stdio.h>

static void
write_seed(const char *dir, const char *name, const uint8_t *p, size_t len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	check(f != NULL && fwrite(p, 1, len, f) == len && fclose(f) == 0);
}

static void
write_fields(const char *dir, const char *name, const char *const *kv, size_t n)
{
	uint8_t buf[1024];
	struct crypto_wr w;

	crypto_wr_init(&w, buf, sizeof(buf));
	check(quic_qpack_put_prefix(&w) == 0);
	for (size_t i = 0; i < n; i += 2)
		check(quic_qpack_put_field(&w, kv[i], strlen(kv[i]), kv[i + 1],
					   strlen(kv[i + 1])) == 0);
	write_seed(dir, name, buf, crypto_wr_len(&w));
}

int
main(int argc, char **argv)
{
	static const char *const get[] = {":method",	"GET",	     ":scheme",	 "https",
					  ":authority", "localhost", ":path",	 "/index.html",
					  "user-agent", "hb-fuzz",   "x-custom", "value"};
	/* RFC 9204 Appendix B.1. */
	static const uint8_t b1[] = {0x00, 0x00, 0x51, 0x0b, 0x2f, 0x69, 0x6e, 0x64,
				     0x65, 0x78, 0x2e, 0x68, 0x74, 0x6d, 0x6c};
	/* :authority as a Huffman "www.example.com" (RFC 7541 C.4.1), then :method GET. */
	static const uint8_t huff[] = {0x00, 0x00, 0x50, 0x8c, 0xf1, 0xe3, 0xc2, 0xe5, 0xf2,
				       0x3a, 0x6b, 0xa0, 0xab, 0x90, 0xf4, 0xff, 0xd1};
	/* Literal name, Huffman "custom-key" = "custom-value" (RFC 7541 C.4.3). */
	static const uint8_t lit[] = {0x00, 0x00, 0x2f, 0x01, 0x25, 0xa8, 0x49, 0xe9,
				      0x5b, 0xa9, 0x7d, 0x7f, 0x89, 0x25, 0xa8, 0x49,
				      0xe9, 0x5b, 0xb8, 0xe8, 0xb4, 0xbf};
	static const uint8_t dyn[] = {0x02, 0x00, 0x80, 0x10, 0x40, 0x00};
	static const uint8_t eos[] = {0x00, 0x00, 0x5f, 0x0a, 0x84, 0xff, 0xff, 0xff, 0xff};
	uint8_t bomb[2 + 200];

	if (argc != 2)
		return 2;
	write_fields(argv[1], "request_get", get, sizeof(get) / sizeof(get[0]));
	write_seed(argv[1], "rfc9204_b1", b1, sizeof(b1));
	write_seed(argv[1], "huffman_authority", huff, sizeof(huff));
	write_seed(argv[1], "literal_name_huffman", lit, sizeof(lit));
	write_seed(argv[1], "dynamic_refs", dyn, sizeof(dyn));
	write_seed(argv[1], "huffman_eos", eos, sizeof(eos));
	/* 200 one-byte indexed lines decode to 200 * 42 bytes: above the limit. */
	memset(bomb, 0xd1, sizeof(bomb));
	bomb[0] = bomb[1] = 0;
	write_seed(argv[1], "size_bomb", bomb, sizeof(bomb));
	return 0;
}
#endif /* HB_FUZZ_QPACK_SEEDS */
