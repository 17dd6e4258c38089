/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target for the packet header codec: quic_packet_parse(), the coalesced-packet iterator,
 * quic_vn_parse() and header-protection removal (with a mask taken from the input, so no keys
 * are needed). Input: byte 0 picks the short-header DCID length (mod 21), the rest is one UDP
 * datagram. Every parsed length and pointer must stay inside the input, and a datagram yields
 * at most one packet per byte; a violation aborts.
 *
 * The seed corpus in corpus/header/ comes from the generator at the end of this file:
 *   cc -std=c11 -D_GNU_SOURCE -DHB_FUZZ_HEADER_SEEDS -Iquic/include -Icrypto/include \
 *      tests/fuzz/fuzz_header.c BUILD/quic/libhb_quic.a BUILD/crypto/libhb_crypto.a \
 *      -lcrypto -lIPSec_MB -o gen && ./gen tests/fuzz/corpus/header
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <quic/error.h>
#include <quic/packet.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(bool ok)
{
	if (!ok)
		abort();
}

/* [p, p + n) lies inside [base, base + len). */
static bool
inside(const uint8_t *p, size_t n, const uint8_t *base, size_t len)
{
	if (n == 0)
		return true;
	return p != NULL && p >= base && (size_t)(p - base) <= len && n <= len - (size_t)(p - base);
}

static void
check_hdr(const struct quic_packet_hdr *h, const uint8_t *buf, size_t len)
{
	check(h->pkt == buf && h->len <= len);
	check(inside(h->dcid, h->dcid_len, h->pkt, h->len));
	check(inside(h->scid, h->scid_len, h->pkt, h->len));
	check(inside(h->token, h->token_len, h->pkt, h->len));
	check(inside(h->versions, 4 * h->n_versions, h->pkt, h->len));
	check(h->pn_offset <= h->len);
	if (h->type == QUIC_PKT_VN) {
		volatile uint32_t last;

		check(h->n_versions > 0);
		last = quic_vn_version(h, h->n_versions - 1);
		(void)last;
	}
	if (h->version != 0 && h->type != QUIC_PKT_1RTT)
		check(h->dcid_len <= QUIC_MAX_CID_LEN && h->scid_len <= QUIC_MAX_CID_LEN);
}

/* Header protection removal on a private copy of exactly the packet's bytes. */
static void
try_hp_remove(const struct quic_packet_hdr *h, const uint8_t *mask)
{
	struct quic_packet_rx rx;
	uint8_t *copy;
	int rc;

	if (h->pn_offset == 0 || h->len == 0)
		return;
	copy = malloc(h->len);
	if (copy == NULL)
		return;
	memcpy(copy, h->pkt, h->len);
	rc = quic_packet_hp_remove(copy, h, mask, QUIC_PN_MAX - mask[0], &rx);
	if (rc == 0 || rc == QUIC_ERR_CRYPTO) {
		check(rx.pn_len >= 1 && rx.pn_len <= 4);
		check(rx.hdr_len + rx.payload_len == h->len && rx.payload_len >= 16);
	}
	free(copy);
}

static void
walk_datagram(const uint8_t *dgram, size_t len, size_t dcid_len, const uint8_t *mask)
{
	struct quic_datagram_iter it;
	struct quic_packet_hdr h;
	size_t packets = 0, total = 0;
	int rc;

	quic_datagram_iter_init(&it, dgram, len, dcid_len);
	while ((rc = quic_datagram_next(&it, &h)) == 1) {
		check(h.len > 0);
		check_hdr(&h, dgram + total, len - total);
		try_hp_remove(&h, mask);
		total += h.len;
		check(++packets <= len);
	}
	check(total == it.off && quic_datagram_trailing(&it) == len - total);
	check(rc == 0 ? total == len : total < len);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t zero_mask[CRYPTO_HP_MASK_LEN];
	struct quic_packet_hdr h;
	const uint8_t *dgram, *mask;
	size_t len, dcid_len;
	int rc;

	if (size < 1)
		return 0;
	dcid_len = data[0] % (QUIC_MAX_CID_LEN + 1);
	dgram = data + 1;
	len = size - 1;
	mask = len >= CRYPTO_HP_MASK_LEN ? dgram + len - CRYPTO_HP_MASK_LEN : zero_mask;

	rc = quic_packet_parse(dgram, len, dcid_len, &h);
	if (rc == 0)
		check_hdr(&h, dgram, len);
	else if (rc == QUIC_ERR_VERSION)
		check(inside(h.dcid, h.dcid_len, dgram, len) &&
		      inside(h.scid, h.scid_len, dgram, len));
	walk_datagram(dgram, len, dcid_len, mask);
	if (quic_vn_parse(dgram, len, QUIC_VERSION_1, &h) == 0) {
		check_hdr(&h, dgram, len);
		for (size_t i = 0; i < h.n_versions; i++)
			check(quic_vn_version(&h, i) != QUIC_VERSION_1);
	}
	return 0;
}

#ifdef HB_FUZZ_HEADER_SEEDS
/* Seed generator: one small file per header form, built with the codec's own writers. */
#include <stdio.h>

static const uint8_t cid8[8] = {0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08};
static const uint8_t cid5[5] = {0xf0, 0x67, 0xa5, 0x50, 0x2a};

static size_t
gen_packet(uint8_t *buf, size_t cap, enum quic_pkt_type type, uint32_t version, size_t pn_len)
{
	static const uint8_t token[4] = {0x74, 0x6f, 0x6b, 0x6e};
	struct quic_packet_out p = {
		.type = type,
		.version = version,
		.dcid = cid8,
		.dcid_len = 8,
		.scid = cid5,
		.scid_len = 5,
		.pn = 0x1234 & ((UINT64_C(1) << (8 * pn_len)) - 1),
		.pn_len = pn_len,
	};
	struct quic_packet_layout lay;
	struct crypto_aead_op op;
	size_t len;

	if (type == QUIC_PKT_INITIAL) {
		p.token = token;
		p.token_len = sizeof(token);
	}
	if (quic_packet_write_header(buf, cap, &p, &lay) != 0)
		abort();
	for (size_t i = 0; i < 24 + 16; i++)
		buf[lay.hdr_len + i] = (uint8_t)(i * 37 + 11);
	if (quic_packet_seal_prepare(buf, cap, &lay, 24, NULL, &op, &len) != 0)
		abort();
	return len;
}

/* A Retry with a stand-in tag (the parser does not check it). */
static size_t
gen_retry(uint8_t *buf, uint32_t version)
{
	size_t n = 0;

	buf[n++] = (uint8_t)(0xc0 | quic_packet_type_bits(version, QUIC_PKT_RETRY) << 4 | 0x0f);
	for (int s = 24; s >= 0; s -= 8)
		buf[n++] = (uint8_t)(version >> s);
	buf[n++] = 5;
	memcpy(buf + n, cid5, 5);
	n += 5;
	buf[n++] = 8;
	memcpy(buf + n, cid8, 8);
	n += 8;
	memcpy(buf + n, "token", 5);
	n += 5;
	memset(buf + n, 0xa7, 16);
	return n + 16;
}

static void
put_seed(const char *dir, const char *name, uint8_t dcid_len, const uint8_t *pkt, size_t len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (f == NULL || fputc(dcid_len, f) == EOF || fwrite(pkt, 1, len, f) != len ||
	    fclose(f) != 0)
		abort();
}

int
main(int argc, char **argv)
{
	static const uint32_t vn_versions[3] = {QUIC_VERSION_1, QUIC_VERSION_2, 0x1a2a3a4a};
	/* RFC 9001 §A.5: the 21-byte ChaCha20 short header packet, empty DCID. */
	static const uint8_t chacha[21] = {0x4c, 0xfe, 0x41, 0x89, 0x65, 0x5e, 0x5c,
					   0xd5, 0x5c, 0x41, 0xf6, 0x90, 0x80, 0x57,
					   0x5d, 0x79, 0x99, 0xc2, 0x5a, 0x5b, 0xfb};
	uint8_t b[1024];
	struct quic_packet_hdr recv;
	size_t n, m;

	if (argc != 2)
		return 2;
	put_seed(argv[1], "v1_initial", 8, b,
		 gen_packet(b, sizeof(b), QUIC_PKT_INITIAL, QUIC_VERSION_1, 4));
	put_seed(argv[1], "v1_0rtt", 8, b,
		 gen_packet(b, sizeof(b), QUIC_PKT_0RTT, QUIC_VERSION_1, 2));
	put_seed(argv[1], "v1_handshake", 8, b,
		 gen_packet(b, sizeof(b), QUIC_PKT_HANDSHAKE, QUIC_VERSION_1, 1));
	put_seed(argv[1], "v2_initial", 8, b,
		 gen_packet(b, sizeof(b), QUIC_PKT_INITIAL, QUIC_VERSION_2, 3));
	put_seed(argv[1], "v2_handshake", 8, b,
		 gen_packet(b, sizeof(b), QUIC_PKT_HANDSHAKE, QUIC_VERSION_2, 2));
	put_seed(argv[1], "short_dcid8", 8, b, gen_packet(b, sizeof(b), QUIC_PKT_1RTT, 0, 2));
	put_seed(argv[1], "short_chacha_rfc9001", 0, chacha, sizeof(chacha));
	/* Initial + Handshake + 1-RTT in one datagram (RFC 9000 §12.2). */
	n = gen_packet(b, sizeof(b), QUIC_PKT_INITIAL, QUIC_VERSION_1, 2);
	n += gen_packet(b + n, sizeof(b) - n, QUIC_PKT_HANDSHAKE, QUIC_VERSION_1, 2);
	n += gen_packet(b + n, sizeof(b) - n, QUIC_PKT_1RTT, 0, 1);
	put_seed(argv[1], "coalesced_v1", 8, b, n);
	/* A v2 Initial followed by zero padding. */
	n = gen_packet(b, sizeof(b), QUIC_PKT_INITIAL, QUIC_VERSION_2, 1);
	memset(b + n, 0, 32);
	put_seed(argv[1], "coalesced_garbage", 8, b, n + 32);
	put_seed(argv[1], "v1_retry", 8, b, gen_retry(b, QUIC_VERSION_1));
	put_seed(argv[1], "v2_retry", 8, b, gen_retry(b, QUIC_VERSION_2));
	/* An unknown version, then the VN a server answers it with. */
	n = gen_packet(b, sizeof(b), QUIC_PKT_HANDSHAKE, QUIC_VERSION_1, 1);
	memcpy(b + 1, "\x1a\x2a\x3a\x4a", 4);
	put_seed(argv[1], "unknown_version", 8, b, n);
	if (quic_packet_parse(b, n, 8, &recv) != QUIC_ERR_VERSION)
		abort();
	{
		uint8_t vn[128];

		if (quic_vn_write(vn, sizeof(vn), &recv, vn_versions, 3, 0x5a, &m) != 0)
			abort();
		put_seed(argv[1], "vn", 8, vn, m);
	}
	return 0;
}
#endif /* HB_FUZZ_HEADER_SEEDS */
