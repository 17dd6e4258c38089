/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packet headers, coalesced packets, header and packet protection, Version Negotiation and
 * Retry (RFC 9000 §12.2, §17; RFC 8999; RFC 9001 §5; RFC 9369 §3.2).
 */
#include <string.h>

#include <crypto/crypto.h>
#include <quic/error.h>
#include <quic/packet.h>

#include "hb_test.h"

TestSuite(packet);

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static const uint8_t dcid8[8] = {0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08};
static const uint8_t scid5[5] = {0xf0, 0x67, 0xa5, 0x50, 0x2a};
static const uint8_t cid20[20] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10,
				  11, 12, 13, 14, 15, 16, 17, 18, 19, 20};
static const uint8_t token[6] = {'t', 'o', 'k', 'e', 'n', '!'};
static const uint32_t versions[2] = {QUIC_VERSION_1, QUIC_VERSION_2};
static const enum quic_pkt_type long_types[3] = {QUIC_PKT_INITIAL, QUIC_PKT_0RTT,
						 QUIC_PKT_HANDSHAKE};

static struct quic_packet_out
long_out(uint32_t version, enum quic_pkt_type type, size_t pn_len)
{
	struct quic_packet_out p = {
		.type = type,
		.version = version,
		.dcid = dcid8,
		.dcid_len = sizeof(dcid8),
		.scid = scid5,
		.scid_len = sizeof(scid5),
		.pn = 0x12345678 & ((UINT64_C(1) << (8 * pn_len)) - 1),
		.pn_len = pn_len,
	};

	if (type == QUIC_PKT_INITIAL) {
		p.token = token;
		p.token_len = sizeof(token);
	}
	return p;
}

static struct quic_packet_out
short_out(const uint8_t *dcid, size_t dcid_len, size_t pn_len, bool spin, bool key_phase)
{
	struct quic_packet_out p = {
		.type = QUIC_PKT_1RTT,
		.dcid = dcid,
		.dcid_len = dcid_len,
		.pn = 0xabcdef01 & ((UINT64_C(1) << (8 * pn_len)) - 1),
		.pn_len = pn_len,
		.spin = spin,
		.key_phase = key_phase,
	};
	return p;
}

/* Header, a patterned payload and room for the tag, Length filled: an unprotected packet. */
static size_t
make_packet(uint8_t *buf, size_t cap, const struct quic_packet_out *p, size_t payload_len,
	    struct quic_packet_layout *lay)
{
	struct crypto_aead_op op;
	size_t pkt_len = 0;

	cr_assert(eq(int, quic_packet_write_header(buf, cap, p, lay), 0));
	for (size_t i = 0; i < payload_len + CRYPTO_TAG_LEN; i++)
		buf[lay->hdr_len + i] = (uint8_t)(i * 7 + 1);
	cr_assert(eq(int, quic_packet_seal_prepare(buf, cap, lay, payload_len, NULL, &op, &pkt_len),
		     0));
	cr_assert(eq(sz, pkt_len, lay->hdr_len + payload_len + CRYPTO_TAG_LEN));
	return pkt_len;
}

static void
assert_prefixes_rejected(const uint8_t *buf, size_t upto, size_t dcid_len)
{
	struct quic_packet_hdr hdr;

	for (size_t k = 0; k < upto; k++)
		cr_assert(lt(int, quic_packet_parse(buf, k, dcid_len, &hdr), 0), "prefix %zu", k);
}

HB_TEST(packet, long_header_round_trip_v1_v2)
{
	for (size_t v = 0; v < ARRAY_LEN(versions); v++) {
		for (size_t t = 0; t < ARRAY_LEN(long_types); t++) {
			for (size_t pn_len = 1; pn_len <= 4; pn_len++) {
				struct quic_packet_out p =
					long_out(versions[v], long_types[t], pn_len);
				struct quic_packet_layout lay;
				struct quic_packet_hdr hdr;
				uint8_t buf[256];
				size_t len = make_packet(buf, sizeof(buf), &p, 40, &lay);

				cr_assert(eq(int, quic_packet_parse(buf, len, 0, &hdr), 0));
				cr_assert(eq(int, hdr.type, long_types[t]));
				cr_assert(eq(u32, hdr.version, versions[v]));
				cr_assert(eq(sz, hdr.len, len));
				cr_assert(eq(sz, hdr.pn_offset, lay.pn_offset));
				cr_assert(eq(sz, hdr.dcid_len, sizeof(dcid8)));
				cr_assert(eq(int, memcmp(hdr.dcid, dcid8, sizeof(dcid8)), 0));
				cr_assert(eq(sz, hdr.scid_len, sizeof(scid5)));
				cr_assert(eq(int, memcmp(hdr.scid, scid5, sizeof(scid5)), 0));
				cr_assert(eq(u8, hdr.first & 0x03, pn_len - 1));
				cr_assert(eq(u8, hdr.first & 0x0c, 0));
				cr_assert(eq(int, (hdr.first >> 4) & 3,
					     quic_packet_type_bits(versions[v], long_types[t])));
				if (long_types[t] == QUIC_PKT_INITIAL) {
					cr_assert(eq(sz, hdr.token_len, sizeof(token)));
					cr_assert(eq(int, memcmp(hdr.token, token, sizeof(token)),
						     0));
				} else {
					cr_assert(eq(sz, hdr.token_len, 0));
				}
				/* Every strict prefix ends inside the header or the Length. */
				assert_prefixes_rejected(buf, len, 0);
			}
		}
	}
}

HB_TEST(packet, v2_type_bits_differ_from_v1)
{
	/* RFC 9369 §3.2: Initial 0b01, 0-RTT 0b10, Handshake 0b11, Retry 0b00. */
	cr_assert(eq(int, quic_packet_type_bits(QUIC_VERSION_2, QUIC_PKT_INITIAL), 1));
	cr_assert(eq(int, quic_packet_type_bits(QUIC_VERSION_2, QUIC_PKT_0RTT), 2));
	cr_assert(eq(int, quic_packet_type_bits(QUIC_VERSION_2, QUIC_PKT_HANDSHAKE), 3));
	cr_assert(eq(int, quic_packet_type_bits(QUIC_VERSION_2, QUIC_PKT_RETRY), 0));
	/* RFC 9000 §17.2 table. */
	cr_assert(eq(int, quic_packet_type_bits(QUIC_VERSION_1, QUIC_PKT_INITIAL), 0));
	cr_assert(eq(int, quic_packet_type_bits(QUIC_VERSION_1, QUIC_PKT_0RTT), 1));
	cr_assert(eq(int, quic_packet_type_bits(QUIC_VERSION_1, QUIC_PKT_HANDSHAKE), 2));
	cr_assert(eq(int, quic_packet_type_bits(QUIC_VERSION_1, QUIC_PKT_RETRY), 3));
	cr_assert(eq(int, quic_packet_type_bits(QUIC_VERSION_1, QUIC_PKT_1RTT), QUIC_ERR_INVAL));
	cr_assert(eq(int, quic_packet_type_bits(0x1a2a3a4a, QUIC_PKT_INITIAL), QUIC_ERR_INVAL));

	/* A v1 Handshake's type bits read as a v2 0-RTT... so parse follows the version. */
	uint8_t pkt[] = {0xe0, 0x6b, 0x33, 0x43, 0xcf, 0, 0, 0x01, 0x00};
	struct quic_packet_hdr hdr;

	cr_assert(eq(int, quic_packet_parse(pkt, sizeof(pkt), 0, &hdr), 0));
	cr_assert(eq(int, hdr.type, QUIC_PKT_0RTT));
	pkt[1] = 0, pkt[2] = 0, pkt[3] = 0, pkt[4] = 1;
	cr_assert(eq(int, quic_packet_parse(pkt, sizeof(pkt), 0, &hdr), 0));
	cr_assert(eq(int, hdr.type, QUIC_PKT_HANDSHAKE));
}

HB_TEST(packet, short_header_round_trip)
{
	static const size_t dcid_lens[] = {0, 8, 20};

	for (size_t d = 0; d < ARRAY_LEN(dcid_lens); d++) {
		for (unsigned bits = 0; bits < 4; bits++) {
			size_t pn_len = 1 + bits;
			struct quic_packet_out p =
				short_out(cid20, dcid_lens[d], pn_len, bits & 1, bits & 2);
			struct quic_packet_layout lay;
			struct quic_packet_hdr hdr;
			uint8_t buf[128];
			size_t len = make_packet(buf, sizeof(buf), &p, 10, &lay);

			cr_assert(eq(sz, lay.len_size, 0));
			cr_assert(eq(int, quic_packet_parse(buf, len, dcid_lens[d], &hdr), 0));
			cr_assert(eq(int, hdr.type, QUIC_PKT_1RTT));
			cr_assert(eq(sz, hdr.len, len));
			cr_assert(eq(sz, hdr.pn_offset, 1 + dcid_lens[d]));
			cr_assert(eq(sz, hdr.dcid_len, dcid_lens[d]));
			cr_assert(eq(int, memcmp(hdr.dcid, cid20, dcid_lens[d]), 0));
			cr_assert(eq(u8, hdr.first & 0x20, (bits & 1) ? 0x20 : 0));
			cr_assert(eq(u8, hdr.first & 0x04, (bits & 2) ? 0x04 : 0));
			cr_assert(eq(u8, hdr.first & 0x1b, pn_len - 1));
			/* The short header has no Length: prefixes are rejected up to the DCID. */
			for (size_t k = 0; k < hdr.pn_offset; k++)
				cr_assert(eq(int, quic_packet_parse(buf, k, dcid_lens[d], &hdr),
					     QUIC_ERR_TRUNCATED));
		}
	}
	struct quic_packet_hdr hdr;
	uint8_t one = 0x40;

	cr_assert(eq(int, quic_packet_parse(&one, 1, 21, &hdr), QUIC_ERR_INVAL));
}

/* A v1/v2 long header with the given CID lengths, then Token Length 0 and Length 1. */
static size_t
long_with_cids(uint8_t *buf, uint32_t version, size_t dcid_len, size_t scid_len)
{
	int bits = quic_packet_type_bits(version, QUIC_PKT_INITIAL);
	size_t n = 0;

	buf[n++] = (uint8_t)(0xc0 | (bits > 0 ? bits : 0) << 4);
	buf[n++] = (uint8_t)(version >> 24);
	buf[n++] = (uint8_t)(version >> 16);
	buf[n++] = (uint8_t)(version >> 8);
	buf[n++] = (uint8_t)version;
	buf[n++] = (uint8_t)dcid_len;
	memset(buf + n, 0xdd, dcid_len);
	n += dcid_len;
	buf[n++] = (uint8_t)scid_len;
	memset(buf + n, 0x55, scid_len);
	n += scid_len;
	buf[n++] = 0x00; /* Token Length */
	buf[n++] = 0x01; /* Length */
	buf[n++] = 0x00; /* Packet Number */
	return n;
}

HB_TEST(packet, cid_length_21_rejected)
{
	for (size_t v = 0; v < ARRAY_LEN(versions); v++) {
		struct quic_packet_hdr hdr;
		uint8_t buf[64];
		size_t n;

		n = long_with_cids(buf, versions[v], 20, 20);
		cr_assert(eq(int, quic_packet_parse(buf, n, 0, &hdr), 0));
		n = long_with_cids(buf, versions[v], 21, 0);
		cr_assert(eq(int, quic_packet_parse(buf, n, 0, &hdr), QUIC_ERR_MALFORMED));
		n = long_with_cids(buf, versions[v], 0, 21);
		cr_assert(eq(int, quic_packet_parse(buf, n, 0, &hdr), QUIC_ERR_MALFORMED));
	}
}

HB_TEST(packet, unknown_version_reports_invariants)
{
	/* RFC 9000 §17.2: servers read longer CIDs of other versions to send a VN. */
	struct quic_packet_hdr hdr;
	uint8_t buf[600];
	size_t n = long_with_cids(buf, 0x1a2a3a4a, 200, 21);

	buf[0] &= (uint8_t)~0x40; /* the fixed bit means nothing in an unknown version */
	cr_assert(eq(int, quic_packet_parse(buf, n, 0, &hdr), QUIC_ERR_VERSION));
	cr_assert(eq(u32, hdr.version, 0x1a2a3a4a));
	cr_assert(eq(sz, hdr.dcid_len, 200));
	cr_assert(eq(sz, (size_t)(hdr.dcid - buf), 6));
	cr_assert(eq(sz, hdr.scid_len, 21));
	cr_assert(eq(sz, hdr.len, n));
	/* Up to the SCID, prefixes are truncations; after it, still an unknown version. */
	for (size_t k = 0; k < 6 + 200 + 1 + 21; k++)
		cr_assert(eq(int, quic_packet_parse(buf, k, 0, &hdr), QUIC_ERR_TRUNCATED));
}

HB_TEST(packet, fixed_bit_zero_rejected)
{
	for (size_t v = 0; v < ARRAY_LEN(versions); v++) {
		struct quic_packet_out p = long_out(versions[v], QUIC_PKT_HANDSHAKE, 2);
		struct quic_packet_layout lay;
		struct quic_packet_hdr hdr;
		uint8_t buf[128];
		size_t len = make_packet(buf, sizeof(buf), &p, 20, &lay);

		buf[0] &= (uint8_t)~0x40;
		cr_assert(eq(int, quic_packet_parse(buf, len, 0, &hdr), QUIC_ERR_FIXED_BIT));
	}
	struct quic_packet_out p = short_out(dcid8, 8, 1, false, false);
	struct quic_packet_layout lay;
	struct quic_packet_hdr hdr;
	uint8_t buf[128];
	size_t len = make_packet(buf, sizeof(buf), &p, 20, &lay);

	buf[0] &= (uint8_t)~0x40;
	cr_assert(eq(int, quic_packet_parse(buf, len, 8, &hdr), QUIC_ERR_FIXED_BIT));
	/* Zero padding after a datagram's packets reads as a short header without it. */
	memset(buf, 0, 30);
	cr_assert(eq(int, quic_packet_parse(buf, 30, 8, &hdr), QUIC_ERR_FIXED_BIT));
}

HB_TEST(packet, token_and_length_past_end_rejected)
{
	/* v1 Initial, empty CIDs. */
	uint8_t buf[32] = {0xc0, 0, 0, 0, 1, 0, 0};
	struct quic_packet_hdr hdr;

	/* Token Length 5 with 4 bytes left. */
	buf[7] = 0x05;
	memset(buf + 8, 0xee, 4);
	cr_assert(eq(int, quic_packet_parse(buf, 12, 0, &hdr), QUIC_ERR_TRUNCATED));
	/* Token Length as a maximal 8-byte varint. */
	memset(buf + 7, 0xff, 8);
	cr_assert(eq(int, quic_packet_parse(buf, 15, 0, &hdr), QUIC_ERR_TRUNCATED));
	/* Token Length 0, Length 20 with 19 bytes left: rejected; with 20: accepted. */
	buf[7] = 0x00;
	buf[8] = 20;
	memset(buf + 9, 0, 20);
	cr_assert(eq(int, quic_packet_parse(buf, 9 + 19, 0, &hdr), QUIC_ERR_TRUNCATED));
	cr_assert(eq(int, quic_packet_parse(buf, 9 + 20, 0, &hdr), 0));
	cr_assert(eq(sz, hdr.len, 29));
	cr_assert(eq(sz, hdr.pn_offset, 9));
	/* Length as a maximal 8-byte varint. */
	memset(buf + 8, 0xff, 8);
	cr_assert(eq(int, quic_packet_parse(buf, sizeof(buf), 0, &hdr), QUIC_ERR_TRUNCATED));
}

HB_TEST(packet, retry_header_parse)
{
	/* v1 Retry: type 0b11, DCID 0, SCID 8, token "token", 16-byte tag. */
	uint8_t buf[64];
	struct quic_packet_hdr hdr;
	size_t n = 0, hdr_end;

	buf[n++] = 0xf5;
	buf[n++] = 0, buf[n++] = 0, buf[n++] = 0, buf[n++] = 1;
	buf[n++] = 0;
	buf[n++] = 8;
	memcpy(buf + n, dcid8, 8);
	n += 8;
	hdr_end = n;
	memcpy(buf + n, "token", 5);
	n += 5;
	memset(buf + n, 0x77, 16);
	n += 16;
	cr_assert(eq(int, quic_packet_parse(buf, n, 0, &hdr), 0));
	cr_assert(eq(int, hdr.type, QUIC_PKT_RETRY));
	cr_assert(eq(sz, hdr.token_len, 5));
	cr_assert(eq(sz, (size_t)(hdr.token - buf), hdr_end));
	cr_assert(eq(sz, hdr.len, n));
	cr_assert(eq(sz, hdr.pn_offset, 0));
	/* Shorter than header + tag: rejected (longer prefixes fail the tag, see below). */
	assert_prefixes_rejected(buf, hdr_end + 16, 0);
}

/* ---- Version Negotiation ---- */

HB_TEST(packet, vn_write_answers_unknown_version_and_client_parses)
{
	uint8_t in[64], out[64];
	struct quic_packet_hdr recv, vn;
	size_t n = long_with_cids(in, 0x1a2a3a4a, 8, 5), len = 0;

	cr_assert(eq(int, quic_packet_parse(in, n, 0, &recv), QUIC_ERR_VERSION));
	cr_assert(eq(int, quic_vn_write(out, sizeof(out), &recv, versions, 2, 0xa5, &len), 0));
	cr_assert(eq(sz, len, 1 + 4 + 1 + 5 + 1 + 8 + 8));
	/* Long form and the 0x40 bit set, other unused bits from the injected byte. */
	cr_assert(eq(u8, out[0], 0x80 | 0x40 | (0xa5 & 0x3f)));
	cr_assert(eq(int, quic_vn_parse(out, len, 0x1a2a3a4a, &vn), 0));
	cr_assert(eq(int, vn.type, QUIC_PKT_VN));
	cr_assert(eq(u32, vn.version, 0));
	/* CIDs echoed swapped (RFC 9000 §17.2.1). */
	cr_assert(eq(sz, vn.dcid_len, 5));
	cr_assert(eq(int, memcmp(vn.dcid, recv.scid, 5), 0));
	cr_assert(eq(sz, vn.scid_len, 8));
	cr_assert(eq(int, memcmp(vn.scid, recv.dcid, 8), 0));
	cr_assert(eq(sz, vn.n_versions, 2));
	cr_assert(eq(u32, quic_vn_version(&vn, 0), QUIC_VERSION_1));
	cr_assert(eq(u32, quic_vn_version(&vn, 1), QUIC_VERSION_2));
	/* A VN listing the offered version is discarded (RFC 9000 §6.2). */
	cr_assert(eq(int, quic_vn_parse(out, len, QUIC_VERSION_2, &vn), QUIC_ERR_PROTOCOL));
	/* Prefixes: truncations up to the list; inside it, whole versions only. */
	for (size_t k = 0; k < len; k++) {
		int rc = quic_vn_parse(out, k, 0x1a2a3a4a, &vn);
		size_t list = 1 + 4 + 1 + 5 + 1 + 8;

		if (k > list && (k - list) % 4 == 0) {
			cr_assert(eq(int, rc, 0));
			cr_assert(eq(sz, vn.n_versions, (k - list) / 4));
		} else {
			cr_assert(lt(int, rc, 0), "prefix %zu", k);
		}
	}
	/* Buffers one byte short, down to nothing, are refused. */
	for (size_t cap = 0; cap < len; cap++)
		cr_assert(eq(int, quic_vn_write(out, cap, &recv, versions, 2, 0, &n),
			     QUIC_ERR_BUFFER));
}

HB_TEST(packet, vn_malformed_lists_rejected)
{
	/* Empty CIDs: header is 7 bytes. */
	uint8_t buf[16] = {0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0xff};
	struct quic_packet_hdr hdr;

	cr_assert(eq(int, quic_vn_parse(buf, 11, 2, &hdr), 0));
	cr_assert(eq(int, quic_vn_parse(buf, 7, 2, &hdr), QUIC_ERR_MALFORMED));
	cr_assert(eq(int, quic_vn_parse(buf, 13, 2, &hdr), QUIC_ERR_MALFORMED));
	/* A v1 packet is not a VN. */
	uint8_t in[64];
	size_t n = long_with_cids(in, QUIC_VERSION_1, 8, 8);

	cr_assert(eq(int, quic_vn_parse(in, n, 2, &hdr), QUIC_ERR_MALFORMED));
	/* Short headers neither. */
	cr_assert(eq(int, quic_vn_parse(in + 1, 20, 2, &hdr), QUIC_ERR_MALFORMED));
}

HB_TEST(packet, vn_never_answers_vn_or_short)
{
	struct quic_packet_hdr recv;
	uint8_t out[64];
	size_t len;
	uint8_t vn[11] = {0xc0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
	uint8_t shrt[30] = {0x40};
	uint8_t in[64];
	size_t n = long_with_cids(in, 0x1a2a3a4a, 8, 8);

	cr_assert(eq(int, quic_packet_parse(vn, sizeof(vn), 0, &recv), 0));
	cr_assert(eq(int, quic_vn_write(out, sizeof(out), &recv, versions, 2, 0, &len),
		     QUIC_ERR_INVAL));
	cr_assert(eq(int, quic_packet_parse(shrt, sizeof(shrt), 8, &recv), 0));
	cr_assert(eq(int, quic_vn_write(out, sizeof(out), &recv, versions, 2, 0, &len),
		     QUIC_ERR_INVAL));
	cr_assert(eq(int, quic_packet_parse(in, n, 0, &recv), QUIC_ERR_VERSION));
	cr_assert(eq(int, quic_vn_write(out, sizeof(out), &recv, versions, 0, 0, &len),
		     QUIC_ERR_INVAL));
}

/* ---- Coalesced packets (RFC 9000 §12.2) ---- */

struct coalesced {
	uint8_t buf[512];
	size_t len;
	size_t part[3]; /* lengths: Initial, Handshake, 1-RTT */
};

static void
make_coalesced(struct coalesced *d)
{
	struct quic_packet_out in = long_out(QUIC_VERSION_1, QUIC_PKT_INITIAL, 2);
	struct quic_packet_out hs = long_out(QUIC_VERSION_1, QUIC_PKT_HANDSHAKE, 1);
	struct quic_packet_out sh = short_out(dcid8, 8, 3, true, false);
	struct quic_packet_layout lay;

	d->part[0] = make_packet(d->buf, sizeof(d->buf), &in, 100, &lay);
	d->part[1] = make_packet(d->buf + d->part[0], sizeof(d->buf) - d->part[0], &hs, 30, &lay);
	d->len = d->part[0] + d->part[1];
	d->part[2] = make_packet(d->buf + d->len, sizeof(d->buf) - d->len, &sh, 50, &lay);
	d->len += d->part[2];
}

HB_TEST(packet, coalesced_initial_handshake_short)
{
	static const enum quic_pkt_type want[3] = {QUIC_PKT_INITIAL, QUIC_PKT_HANDSHAKE,
						   QUIC_PKT_1RTT};
	struct quic_datagram_iter it;
	struct quic_packet_hdr hdr;
	struct coalesced d;
	size_t off = 0;

	make_coalesced(&d);
	quic_datagram_iter_init(&it, d.buf, d.len, 8);
	for (size_t i = 0; i < 3; i++) {
		cr_assert(eq(int, quic_datagram_next(&it, &hdr), 1));
		cr_assert(eq(int, hdr.type, want[i]));
		cr_assert(eq(sz, (size_t)(hdr.pkt - d.buf), off));
		cr_assert(eq(sz, hdr.len, d.part[i]));
		off += d.part[i];
	}
	cr_assert(eq(int, quic_datagram_next(&it, &hdr), 0));
	cr_assert(eq(sz, quic_datagram_trailing(&it), 0));
	/* An empty datagram has no packet. */
	quic_datagram_iter_init(&it, d.buf, 0, 8);
	cr_assert(eq(int, quic_datagram_next(&it, &hdr), 0));
}

HB_TEST(packet, coalesced_corrupt_length_stops)
{
	struct quic_datagram_iter it;
	struct quic_packet_hdr hdr;
	struct coalesced d;
	size_t hs_len_off;

	make_coalesced(&d);
	/* The Handshake's 2-byte Length: after first byte, version, CIDs (1+8, 1+5). */
	hs_len_off = d.part[0] + 1 + 4 + 1 + 8 + 1 + 5;
	d.buf[hs_len_off] = 0x40 | (uint8_t)((d.len - hs_len_off) >> 8);
	d.buf[hs_len_off + 1] = (uint8_t)(d.len - hs_len_off);
	quic_datagram_iter_init(&it, d.buf, d.len, 8);
	cr_assert(eq(int, quic_datagram_next(&it, &hdr), 1));
	cr_assert(eq(int, hdr.type, QUIC_PKT_INITIAL));
	cr_assert(eq(int, quic_datagram_next(&it, &hdr), QUIC_ERR_TRUNCATED));
	cr_assert(eq(sz, quic_datagram_trailing(&it), d.len - d.part[0]));
	/* Iteration stays stopped. */
	cr_assert(eq(int, quic_datagram_next(&it, &hdr), 0));
}

HB_TEST(packet, coalesced_garbage_after_reported)
{
	struct quic_datagram_iter it;
	struct quic_packet_hdr hdr;
	struct coalesced d;

	make_coalesced(&d);
	/* Initial followed by 25 zero bytes. */
	memset(d.buf + d.part[0], 0, 25);
	quic_datagram_iter_init(&it, d.buf, d.part[0] + 25, 8);
	cr_assert(eq(int, quic_datagram_next(&it, &hdr), 1));
	cr_assert(eq(int, quic_datagram_next(&it, &hdr), QUIC_ERR_FIXED_BIT));
	cr_assert(eq(sz, quic_datagram_trailing(&it), 25));
	/* Initial followed by a lone byte of a long header. */
	d.buf[d.part[0]] = 0xc0;
	quic_datagram_iter_init(&it, d.buf, d.part[0] + 1, 8);
	cr_assert(eq(int, quic_datagram_next(&it, &hdr), 1));
	cr_assert(eq(int, quic_datagram_next(&it, &hdr), QUIC_ERR_TRUNCATED));
	cr_assert(eq(sz, quic_datagram_trailing(&it), 1));
}

HB_TEST(packet, coalesced_vn_or_unknown_version_after_packet)
{
	struct quic_datagram_iter it;
	struct quic_packet_hdr hdr;
	struct coalesced d;
	static const uint8_t vn[11] = {0xc0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};

	make_coalesced(&d);
	memcpy(d.buf + d.part[0], vn, sizeof(vn));
	quic_datagram_iter_init(&it, d.buf, d.part[0] + sizeof(vn), 8);
	cr_assert(eq(int, quic_datagram_next(&it, &hdr), 1));
	cr_assert(eq(int, quic_datagram_next(&it, &hdr), QUIC_ERR_MALFORMED));
	/* Alone, the VN is the datagram's one packet. */
	quic_datagram_iter_init(&it, vn, sizeof(vn), 8);
	cr_assert(eq(int, quic_datagram_next(&it, &hdr), 1));
	cr_assert(eq(int, hdr.type, QUIC_PKT_VN));
	cr_assert(eq(int, quic_datagram_next(&it, &hdr), 0));
	/* A short header takes the rest, whatever it holds. */
	quic_datagram_iter_init(&it, d.buf + d.part[0] + d.part[1], d.part[2], 8);
	cr_assert(eq(int, quic_datagram_next(&it, &hdr), 1));
	cr_assert(eq(int, quic_datagram_next(&it, &hdr), 0));
	/* An unknown version second: reported with its invariants. */
	size_t n = long_with_cids(d.buf + d.part[0], 0x1a2a3a4a, 4, 4);

	quic_datagram_iter_init(&it, d.buf, d.part[0] + n, 8);
	cr_assert(eq(int, quic_datagram_next(&it, &hdr), 1));
	cr_assert(eq(int, quic_datagram_next(&it, &hdr), QUIC_ERR_VERSION));
	cr_assert(eq(sz, hdr.dcid_len, 4));
}

/* ---- Header build and protection steps that need no keys ---- */

HB_TEST(packet, write_header_rejects_bad_arguments)
{
	struct quic_packet_out p;
	struct quic_packet_layout lay;
	uint8_t buf[128];

	p = long_out(QUIC_VERSION_1, QUIC_PKT_HANDSHAKE, 0);
	cr_assert(eq(int, quic_packet_write_header(buf, sizeof(buf), &p, &lay), QUIC_ERR_INVAL));
	p.pn_len = 5;
	cr_assert(eq(int, quic_packet_write_header(buf, sizeof(buf), &p, &lay), QUIC_ERR_INVAL));
	p = long_out(QUIC_VERSION_1, QUIC_PKT_HANDSHAKE, 1);
	p.pn = QUIC_PN_MAX + 1;
	cr_assert(eq(int, quic_packet_write_header(buf, sizeof(buf), &p, &lay), QUIC_ERR_INVAL));
	p = long_out(QUIC_VERSION_1, QUIC_PKT_HANDSHAKE, 1);
	p.token = token, p.token_len = sizeof(token);
	cr_assert(eq(int, quic_packet_write_header(buf, sizeof(buf), &p, &lay), QUIC_ERR_INVAL));
	p = long_out(QUIC_VERSION_1, QUIC_PKT_HANDSHAKE, 1);
	p.dcid = cid20, p.dcid_len = 21;
	cr_assert(eq(int, quic_packet_write_header(buf, sizeof(buf), &p, &lay), QUIC_ERR_INVAL));
	p = long_out(QUIC_VERSION_1, QUIC_PKT_HANDSHAKE, 1);
	p.scid = cid20, p.scid_len = 21;
	cr_assert(eq(int, quic_packet_write_header(buf, sizeof(buf), &p, &lay), QUIC_ERR_INVAL));
	p = long_out(0x1a2a3a4a, QUIC_PKT_HANDSHAKE, 1);
	cr_assert(eq(int, quic_packet_write_header(buf, sizeof(buf), &p, &lay), QUIC_ERR_INVAL));
	p = long_out(QUIC_VERSION_2, QUIC_PKT_RETRY, 1);
	cr_assert(eq(int, quic_packet_write_header(buf, sizeof(buf), &p, &lay), QUIC_ERR_INVAL));
	p = long_out(QUIC_VERSION_1, QUIC_PKT_HANDSHAKE, 1);
	p.len_size = 3;
	cr_assert(eq(int, quic_packet_write_header(buf, sizeof(buf), &p, &lay), QUIC_ERR_INVAL));
	p = short_out(cid20, 21, 1, false, false);
	cr_assert(eq(int, quic_packet_write_header(buf, sizeof(buf), &p, &lay), QUIC_ERR_INVAL));
	/* Every buffer smaller than the header is refused. */
	p = long_out(QUIC_VERSION_2, QUIC_PKT_INITIAL, 4);
	cr_assert(eq(int, quic_packet_write_header(buf, sizeof(buf), &p, &lay), 0));
	for (size_t cap = 0; cap < lay.hdr_len; cap++)
		cr_assert(eq(int, quic_packet_write_header(buf, cap, &p, &lay), QUIC_ERR_BUFFER));
}

HB_TEST(packet, seal_prepare_checks_room_and_sample)
{
	struct quic_packet_out p = long_out(QUIC_VERSION_1, QUIC_PKT_HANDSHAKE, 1);
	struct quic_packet_layout lay;
	struct crypto_aead_op op;
	uint8_t buf[256];
	size_t len;

	cr_assert(eq(int, quic_packet_write_header(buf, sizeof(buf), &p, &lay), 0));
	/* A 1-byte packet number needs 3 payload bytes for the sample (RFC 9001 §5.4.2). */
	cr_assert(eq(sz, quic_packet_min_payload(1), 3));
	cr_assert(eq(sz, quic_packet_min_payload(4), 0));
	cr_assert(eq(int, quic_packet_seal_prepare(buf, sizeof(buf), &lay, 2, NULL, &op, &len),
		     QUIC_ERR_INVAL));
	cr_assert(eq(int, quic_packet_seal_prepare(buf, sizeof(buf), &lay, 3, NULL, &op, &len), 0));
	cr_assert(eq(sz, len, lay.hdr_len + 3 + 16));
	cr_assert(eq(sz, (size_t)(op.data - buf), lay.hdr_len));
	cr_assert(eq(sz, (size_t)(op.aad - buf), 0));
	cr_assert(eq(sz, op.aad_len, lay.hdr_len));
	cr_assert(eq(sz, op.len, 3));
	/* No room for the tag. */
	cr_assert(eq(int,
		     quic_packet_seal_prepare(buf, lay.hdr_len + 3 + 15, &lay, 3, NULL, &op, &len),
		     QUIC_ERR_BUFFER));
	cr_assert(eq(int, quic_packet_seal_prepare(buf, 2, &lay, 3, NULL, &op, &len),
		     QUIC_ERR_BUFFER));
	/* A 1-byte Length holds at most 63. */
	p.len_size = 1;
	cr_assert(eq(int, quic_packet_write_header(buf, sizeof(buf), &p, &lay), 0));
	cr_assert(
		eq(int, quic_packet_seal_prepare(buf, sizeof(buf), &lay, 46, NULL, &op, &len), 0));
	cr_assert(eq(u8, buf[lay.len_offset], 63));
	cr_assert(eq(int, quic_packet_seal_prepare(buf, sizeof(buf), &lay, 47, NULL, &op, &len),
		     QUIC_ERR_INVAL));
}

HB_TEST(packet, hp_sample_needs_pn_offset_plus_20)
{
	uint8_t buf[64] = {0};
	struct crypto_hp_op op;

	cr_assert(eq(int, quic_packet_hp_prepare(buf, 10 + 20, 10, NULL, &op), 0));
	cr_assert(eq(sz, (size_t)(op.sample - buf), 14));
	for (size_t len = 0; len < 30; len++)
		cr_assert(eq(int, quic_packet_hp_prepare(buf, len, 10, NULL, &op),
			     QUIC_ERR_TRUNCATED));
}

/* Masks a packet like a sender, then unmasks it like a receiver, with one fixed mask. */
static void
mask_round_trip(const struct quic_packet_out *p, size_t short_dcid_len)
{
	static const uint8_t mask[CRYPTO_HP_MASK_LEN] = {0xff, 0x11, 0x22, 0x33, 0x44};
	uint8_t buf[128], orig[128];
	struct quic_packet_layout lay;
	struct quic_packet_hdr hdr;
	struct quic_packet_rx rx;
	size_t len = make_packet(buf, sizeof(buf), p, 8, &lay);
	uint8_t keep = (buf[0] & 0x80) ? 0xf0 : 0xe0;

	memcpy(orig, buf, len);
	quic_packet_hp_apply(buf, lay.pn_offset, lay.pn_len, mask);
	cr_assert(eq(u8, buf[0] & keep, orig[0] & keep));
	cr_assert(eq(u8, buf[0] & (uint8_t)~keep, (orig[0] ^ 0xff) & (uint8_t)~keep));
	cr_assert(eq(int, quic_packet_parse(buf, len, short_dcid_len, &hdr), 0));
	cr_assert(eq(int, quic_packet_hp_remove(buf, &hdr, mask, p->pn - 1, &rx), 0));
	cr_assert(eq(int, memcmp(buf, orig, len), 0));
	cr_assert(eq(u8, rx.first, orig[0]));
	cr_assert(eq(u64, rx.pn, p->pn));
	cr_assert(eq(sz, rx.pn_len, p->pn_len));
	cr_assert(eq(sz, rx.hdr_len, lay.hdr_len));
	cr_assert(eq(sz, (size_t)(rx.payload - buf), lay.hdr_len));
	cr_assert(eq(sz, rx.payload_len, 8 + 16));
	cr_assert(eq(int, rx.key_phase, p->type == QUIC_PKT_1RTT && p->key_phase));
}

HB_TEST(packet, hp_apply_and_remove_with_fixed_mask)
{
	for (size_t pn_len = 1; pn_len <= 4; pn_len++) {
		struct quic_packet_out p = long_out(QUIC_VERSION_2, QUIC_PKT_INITIAL, pn_len);

		p.pn |= 1;
		mask_round_trip(&p, 0);
		p = short_out(dcid8, 8, pn_len, true, true);
		p.pn |= 1;
		mask_round_trip(&p, 8);
	}
}

HB_TEST(packet, hp_remove_rejects_vn_retry_and_short_packets)
{
	static const uint8_t mask[CRYPTO_HP_MASK_LEN] = {0};
	uint8_t vn[11] = {0xc0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
	uint8_t buf[64] = {0x40};
	struct quic_packet_hdr hdr;
	struct quic_packet_rx rx;

	cr_assert(eq(int, quic_packet_parse(vn, sizeof(vn), 0, &hdr), 0));
	cr_assert(eq(int, quic_packet_hp_remove(vn, &hdr, mask, 0, &rx), QUIC_ERR_INVAL));
	/* Short header, 8-byte DCID: 29 bytes are the minimum (RFC 9001 §5.4.2). */
	cr_assert(eq(int, quic_packet_parse(buf, 28, 8, &hdr), 0));
	cr_assert(eq(int, quic_packet_hp_remove(buf, &hdr, mask, 0, &rx), QUIC_ERR_TRUNCATED));
	cr_assert(eq(int, quic_packet_parse(buf, 29, 8, &hdr), 0));
	cr_assert(eq(int, quic_packet_hp_remove(buf, &hdr, mask, 0, &rx), 0));
	/* A number that decodes past 2^62 - 1 is dropped. */
	cr_assert(eq(int, quic_packet_parse(buf, 29, 8, &hdr), 0));
	buf[9] = 0x10;
	cr_assert(
		eq(int, quic_packet_hp_remove(buf, &hdr, mask, QUIC_PN_MAX, &rx), QUIC_ERR_CRYPTO));
}

HB_TEST(packet, open_finish_checks_reserved_bits_after_auth)
{
	static const struct {
		uint8_t first;
		int status;
		int want;
	} cases[] = {
		{0xc0, 0, 0},
		{0xc4, 0, QUIC_ERR_PROTOCOL},
		{0xc8, 0, QUIC_ERR_PROTOCOL},
		{0xc8, CRYPTO_ERR_AUTH, QUIC_ERR_CRYPTO}, /* unauthenticated: bits not judged */
		{0x40, 0, 0},
		{0x44, 0, 0}, /* key phase */
		{0x60, 0, 0}, /* spin */
		{0x48, 0, QUIC_ERR_PROTOCOL},
		{0x50, 0, QUIC_ERR_PROTOCOL},
		{0x50, CRYPTO_ERR_AUTH, QUIC_ERR_CRYPTO},
		{0x40, CRYPTO_ERR_LIMIT, QUIC_ERR_AEAD_LIMIT},
		{0x40, CRYPTO_ERR_LIB, QUIC_ERR_CRYPTO},
	};

	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct quic_packet_rx rx = {.first = cases[i].first, .payload_len = 20};

		cr_assert(eq(int, quic_packet_open_finish(&rx, cases[i].status), cases[i].want),
			  "case %zu", i);
		if (cases[i].status == 0)
			cr_assert(eq(sz, rx.payload_len, 4));
	}
}

/* ---- With keys ---- */

struct keys {
	struct crypto_ctx *ctx;
	struct crypto_aead *aead;
	struct crypto_hp *hp;
};

static void
keys_new(struct keys *k, enum crypto_engine engine, uint8_t seed)
{
	uint8_t key[16], iv[CRYPTO_IV_LEN], hpk[16];

	for (size_t i = 0; i < 16; i++) {
		key[i] = (uint8_t)(seed + i);
		hpk[i] = (uint8_t)(seed * 3 + i);
	}
	for (size_t i = 0; i < CRYPTO_IV_LEN; i++)
		iv[i] = (uint8_t)(seed ^ i);
	cr_assert(eq(int, crypto_ctx_new(&k->ctx, engine), 0));
	cr_assert(eq(int,
		     crypto_aead_new(&k->aead, k->ctx, CRYPTO_SUITE_AES_128_GCM_SHA256, key, iv),
		     0));
	cr_assert(eq(int, crypto_hp_new(&k->hp, k->ctx, CRYPTO_SUITE_AES_128_GCM_SHA256, hpk), 0));
}

static void
keys_free(struct keys *k)
{
	crypto_hp_free(k->hp);
	crypto_aead_free(k->aead);
	crypto_ctx_free(k->ctx);
}

static const enum crypto_engine engines[] = {CRYPTO_ENGINE_EVP, CRYPTO_ENGINE_IPSEC_MB};

/* Protect p with a patterned payload; returns the packet length. */
static size_t
protect_one(struct keys *k, const struct quic_packet_out *p, size_t payload_len, uint8_t *buf,
	    size_t cap)
{
	struct quic_packet_layout lay;
	size_t len = 0;

	cr_assert(eq(int, quic_packet_write_header(buf, cap, p, &lay), 0));
	for (size_t i = 0; i < payload_len; i++)
		buf[lay.hdr_len + i] = (uint8_t)(i + p->pn);
	cr_assert(
		eq(int, quic_packet_protect(buf, cap, &lay, payload_len, k->aead, k->hp, &len), 0));
	return len;
}

static void
protect_unprotect(struct keys *k, const struct quic_packet_out *p, size_t dcid_len)
{
	uint8_t buf[256], orig[256];
	struct quic_packet_layout lay;
	struct quic_packet_hdr hdr;
	struct quic_packet_rx rx;
	size_t len = protect_one(k, p, 30, buf, sizeof(buf));

	cr_assert(eq(int, quic_packet_write_header(orig, sizeof(orig), p, &lay), 0));
	cr_assert(eq(int, quic_packet_parse(buf, len, dcid_len, &hdr), 0));
	cr_assert(eq(sz, hdr.len, len));
	cr_assert(eq(int, quic_packet_unprotect(buf, &hdr, k->hp, k->aead, p->pn - 1, &rx), 0));
	cr_assert(eq(u64, rx.pn, p->pn));
	cr_assert(eq(sz, rx.payload_len, 30));
	for (size_t i = 0; i < 30; i++)
		cr_assert(eq(u8, rx.payload[i], (uint8_t)(i + p->pn)));
	/* The header is back to its unprotected bytes, Length aside. */
	cr_assert(eq(u8, buf[0], orig[0]));
	cr_assert(eq(int, memcmp(buf + lay.pn_offset, orig + lay.pn_offset, lay.pn_len), 0));
}

HB_TEST(packet, protect_unprotect_every_form)
{
	for (size_t e = 0; e < ARRAY_LEN(engines); e++) {
		struct keys k;

		if (!crypto_engine_available(engines[e]))
			continue;
		keys_new(&k, engines[e], 0x21);
		for (size_t pn_len = 1; pn_len <= 4; pn_len++) {
			for (size_t v = 0; v < ARRAY_LEN(versions); v++) {
				for (size_t t = 0; t < ARRAY_LEN(long_types); t++) {
					struct quic_packet_out p =
						long_out(versions[v], long_types[t], pn_len);

					protect_unprotect(&k, &p, 0);
				}
			}
			struct quic_packet_out p = short_out(dcid8, 8, pn_len, true, true);

			protect_unprotect(&k, &p, 8);
		}
		keys_free(&k);
	}
}

HB_TEST(packet, tampered_packet_dropped)
{
	struct quic_packet_out p = short_out(dcid8, 8, 2, false, false);
	struct keys k;

	keys_new(&k, CRYPTO_ENGINE_EVP, 0x42);
	for (size_t at = 0; at < 8 + 1 + 2 + 10 + 16; at++) {
		struct quic_packet_hdr hdr;
		struct quic_packet_rx rx;
		uint8_t buf[128];
		size_t len = protect_one(&k, &p, 10, buf, sizeof(buf));

		buf[at] ^= 0x01;
		/* A flipped first-byte bit may change the pn length; still never accepted. */
		cr_assert(eq(int, quic_packet_parse(buf, len, 8, &hdr), 0));
		cr_assert(lt(int, quic_packet_unprotect(buf, &hdr, k.hp, k.aead, p.pn - 1, &rx), 0),
			  "byte %zu", at);
	}
	keys_free(&k);
}

HB_TEST(packet, reserved_bits_set_is_protocol_violation)
{
	struct keys k;

	keys_new(&k, CRYPTO_ENGINE_EVP, 0x43);
	for (unsigned i = 0; i < 2; i++) {
		struct quic_packet_out p = i == 0 ? long_out(QUIC_VERSION_1, QUIC_PKT_HANDSHAKE, 2)
						  : short_out(dcid8, 8, 2, false, false);
		struct quic_packet_layout lay;
		struct quic_packet_hdr hdr;
		struct quic_packet_rx rx;
		uint8_t buf[128];
		size_t len;

		cr_assert(eq(int, quic_packet_write_header(buf, sizeof(buf), &p, &lay), 0));
		/* A peer sets a reserved bit before sealing: the packet is authentic. */
		buf[0] |= 0x08;
		memset(buf + lay.hdr_len, 0x01, 10);
		cr_assert(eq(int,
			     quic_packet_protect(buf, sizeof(buf), &lay, 10, k.aead, k.hp, &len),
			     0));
		cr_assert(eq(int, quic_packet_parse(buf, len, 8, &hdr), 0));
		cr_assert(eq(int, quic_packet_unprotect(buf, &hdr, k.hp, k.aead, 0, &rx),
			     QUIC_ERR_PROTOCOL));
	}
	keys_free(&k);
}

HB_TEST(packet, short_packet_without_sample_dropped)
{
	/* Length 19 after the Packet Number field start: one byte short of the sample. */
	uint8_t buf[64] = {0xc0, 0, 0, 0, 1, 0, 0, 0, 19};
	struct quic_packet_hdr hdr;
	struct quic_packet_rx rx;
	struct keys k;

	keys_new(&k, CRYPTO_ENGINE_EVP, 0x44);
	cr_assert(eq(int, quic_packet_parse(buf, 9 + 19, 0, &hdr), 0));
	cr_assert(eq(int, quic_packet_unprotect(buf, &hdr, k.hp, k.aead, 0, &rx),
		     QUIC_ERR_TRUNCATED));
	keys_free(&k);
}

#define BURST 6

static void
burst_out(struct quic_packet_out *p, unsigned i)
{
	if (i % 3 == 2)
		*p = short_out(dcid8, 8, 1 + i % 4, i & 1, false);
	else
		*p = long_out(versions[i & 1], long_types[i % 3], 1 + i % 4);
	p->pn = 1000 + i;
}

/* BURST packets of mixed forms, protected with one seal burst and one mask burst. */
struct burst {
	uint8_t buf[BURST][200];
	struct quic_packet_layout lay[BURST];
	size_t len[BURST];
};

static void
burst_protect(struct burst *b, struct keys *k)
{
	struct crypto_aead_op aops[BURST];
	struct crypto_hp_op hops[BURST];

	for (unsigned i = 0; i < BURST; i++) {
		struct quic_packet_out p;

		burst_out(&p, i);
		cr_assert(eq(int, quic_packet_write_header(b->buf[i], 200, &p, &b->lay[i]), 0));
		memset(b->buf[i] + b->lay[i].hdr_len, (int)i, 20 + i);
		cr_assert(eq(int,
			     quic_packet_seal_prepare(b->buf[i], 200, &b->lay[i], 20 + i, k->aead,
						      &aops[i], &b->len[i]),
			     0));
	}
	cr_assert(eq(u32, crypto_aead_seal_burst(aops, BURST), BURST));
	for (unsigned i = 0; i < BURST; i++)
		cr_assert(eq(int,
			     quic_packet_hp_prepare(b->buf[i], b->len[i], b->lay[i].pn_offset,
						    k->hp, &hops[i]),
			     0));
	cr_assert(eq(int, crypto_hp_mask_burst(hops, BURST), 0));
	for (unsigned i = 0; i < BURST; i++)
		quic_packet_hp_apply(b->buf[i], b->lay[i].pn_offset, b->lay[i].pn_len,
				     hops[i].mask);
}

HB_TEST(packet, burst_protect_matches_single)
{
	struct burst b;
	struct keys k;

	keys_new(&k, CRYPTO_ENGINE_AUTO, 0x45);
	burst_protect(&b, &k);
	for (unsigned i = 0; i < BURST; i++) {
		struct quic_packet_out p;
		struct quic_packet_layout lay;
		uint8_t ref[200];
		size_t n;

		burst_out(&p, i);
		cr_assert(eq(int, quic_packet_write_header(ref, sizeof(ref), &p, &lay), 0));
		memset(ref + lay.hdr_len, (int)i, 20 + i);
		cr_assert(eq(int,
			     quic_packet_protect(ref, sizeof(ref), &lay, 20 + i, k.aead, k.hp, &n),
			     0));
		cr_assert(eq(sz, n, b.len[i]));
		cr_assert(eq(int, memcmp(b.buf[i], ref, n), 0), "packet %u", i);
	}
	keys_free(&k);
}

HB_TEST(packet, burst_unprotect_isolates_a_bad_packet)
{
	struct crypto_aead_op aops[BURST];
	struct crypto_hp_op hops[BURST];
	struct quic_packet_hdr hdr[BURST];
	struct quic_packet_rx rx[BURST];
	const unsigned bad = 3;
	struct burst b;
	struct keys k;

	keys_new(&k, CRYPTO_ENGINE_AUTO, 0x46);
	burst_protect(&b, &k);
	b.buf[bad][b.len[bad] - 1] ^= 0x01; /* a corrupt tag */
	for (unsigned i = 0; i < BURST; i++) {
		cr_assert(eq(int, quic_packet_parse(b.buf[i], b.len[i], 8, &hdr[i]), 0));
		cr_assert(eq(int,
			     quic_packet_hp_prepare(b.buf[i], hdr[i].len, hdr[i].pn_offset, k.hp,
						    &hops[i]),
			     0));
	}
	cr_assert(eq(int, crypto_hp_mask_burst(hops, BURST), 0));
	for (unsigned i = 0; i < BURST; i++) {
		cr_assert(eq(int,
			     quic_packet_hp_remove(b.buf[i], &hdr[i], hops[i].mask, 999, &rx[i]),
			     0));
		quic_packet_open_prepare(b.buf[i], &rx[i], k.aead, &aops[i]);
	}
	cr_assert(eq(u32, crypto_aead_open_burst(aops, BURST), BURST - 1));
	for (unsigned i = 0; i < BURST; i++) {
		if (i == bad) {
			cr_assert(eq(int, quic_packet_open_finish(&rx[i], aops[i].status),
				     QUIC_ERR_CRYPTO));
			continue;
		}
		cr_assert(eq(int, quic_packet_open_finish(&rx[i], aops[i].status), 0));
		cr_assert(eq(u64, rx[i].pn, 1000 + i));
		cr_assert(eq(sz, rx[i].payload_len, 20 + i));
		for (size_t j = 0; j < 20 + i; j++)
			cr_assert(eq(u8, rx[i].payload[j], i));
	}
	keys_free(&k);
}

/* ---- Retry (needs the Retry integrity AEAD) ---- */

static size_t
make_retry(struct crypto_ctx *ctx, uint32_t version, uint8_t *buf, size_t cap)
{
	struct quic_retry_params rp = {
		.version = version,
		.unused = 0x0f,
		.dcid = scid5,
		.dcid_len = sizeof(scid5),
		.scid = cid20,
		.scid_len = 20,
		.odcid = dcid8,
		.odcid_len = sizeof(dcid8),
		.token = token,
		.token_len = sizeof(token),
	};
	size_t len = 0;

	cr_assert(eq(int, quic_retry_write(ctx, &rp, buf, cap, &len), 0));
	return len;
}

HB_TEST(packet, retry_round_trip_and_tampering)
{
	struct crypto_ctx *ctx;

	cr_assert(eq(int, crypto_ctx_new(&ctx, CRYPTO_ENGINE_EVP), 0));
	for (size_t v = 0; v < ARRAY_LEN(versions); v++) {
		struct quic_packet_hdr hdr;
		uint8_t buf[128];
		size_t len = make_retry(ctx, versions[v], buf, sizeof(buf));

		cr_assert(eq(sz, len, 7 + 5 + 20 + sizeof(token) + 16));
		cr_assert(eq(int, quic_retry_parse(ctx, buf, len, dcid8, 8, &hdr), 0));
		cr_assert(eq(int, hdr.type, QUIC_PKT_RETRY));
		cr_assert(eq(u32, hdr.version, versions[v]));
		cr_assert(eq(u8, hdr.first & 0x0f, 0x0f));
		cr_assert(eq(sz, hdr.token_len, sizeof(token)));
		cr_assert(eq(int, memcmp(hdr.token, token, sizeof(token)), 0));
		cr_assert(eq(int, memcmp(hdr.scid, cid20, 20), 0));
		/* Any flipped bit, in the tag or before it, fails verification. */
		for (size_t bit = 0; bit < 8 * len; bit++) {
			buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			cr_assert(lt(int, quic_retry_parse(ctx, buf, len, dcid8, 8, &hdr), 0),
				  "bit %zu", bit);
			buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		}
		/* The wrong original DCID fails too. */
		cr_assert(
			eq(int, quic_retry_parse(ctx, buf, len, dcid8, 7, &hdr), QUIC_ERR_CRYPTO));
		/* Every strict prefix is rejected. */
		for (size_t k = 0; k < len; k++)
			cr_assert(lt(int, quic_retry_parse(ctx, buf, k, dcid8, 8, &hdr), 0));
		/* A Retry whose SCID is the client's own DCID is discarded. */
		cr_assert(eq(int, quic_retry_parse(ctx, buf, len, cid20, 20, &hdr),
			     QUIC_ERR_PROTOCOL));
	}
	crypto_ctx_free(ctx);
}

HB_TEST(packet, retry_rejects_empty_token_and_bad_params)
{
	struct crypto_ctx *ctx;
	struct quic_packet_hdr hdr;
	uint8_t buf[QUIC_RETRY_MAX_LEN + 64];
	size_t len;
	struct quic_retry_params rp = {
		.version = QUIC_VERSION_1,
		.scid = cid20,
		.scid_len = 8,
		.odcid = dcid8,
		.odcid_len = 8,
		.token = token,
		.token_len = 0,
	};

	cr_assert(eq(int, crypto_ctx_new(&ctx, CRYPTO_ENGINE_EVP), 0));
	cr_assert(eq(int, quic_retry_write(ctx, &rp, buf, sizeof(buf), &len), QUIC_ERR_INVAL));
	rp.token_len = sizeof(token);
	rp.scid = dcid8;
	cr_assert(eq(int, quic_retry_write(ctx, &rp, buf, sizeof(buf), &len), QUIC_ERR_INVAL));
	rp.scid = cid20;
	rp.version = 0x1a2a3a4a;
	cr_assert(eq(int, quic_retry_write(ctx, &rp, buf, sizeof(buf), &len), QUIC_ERR_INVAL));
	rp.version = QUIC_VERSION_1;
	rp.odcid_len = 21;
	cr_assert(eq(int, quic_retry_write(ctx, &rp, buf, sizeof(buf), &len), QUIC_ERR_INVAL));
	rp.odcid_len = 8;
	rp.token = buf, rp.token_len = QUIC_RETRY_MAX_LEN;
	cr_assert(eq(int, quic_retry_write(ctx, &rp, buf, sizeof(buf), &len), QUIC_ERR_INVAL));
	rp.token = token, rp.token_len = sizeof(token);
	cr_assert(eq(int, quic_retry_write(ctx, &rp, buf, sizeof(buf), &len), 0));
	for (size_t cap = 0; cap < len; cap++)
		cr_assert(eq(int, quic_retry_write(ctx, &rp, buf, cap, &len), QUIC_ERR_BUFFER));
	/* A received Retry with an empty token: a 16-byte tag straight after the SCID. */
	uint8_t empty[7 + 8 + 16] = {0xf0, 0, 0, 0, 1, 0, 8};

	cr_assert(eq(int, quic_retry_parse(ctx, empty, sizeof(empty), dcid8, 8, &hdr),
		     QUIC_ERR_MALFORMED));
	/* Not a Retry at all. */
	cr_assert(eq(int, quic_packet_parse(empty, 8, 0, &hdr), QUIC_ERR_TRUNCATED));
	uint8_t vn[11] = {0xc0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};

	cr_assert(
		eq(int, quic_retry_parse(ctx, vn, sizeof(vn), dcid8, 8, &hdr), QUIC_ERR_MALFORMED));
	crypto_ctx_free(ctx);
}
