/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Ethernet/ARP/IPv4/IPv6/NDP/UDP parsing and writing without the EAL: known frames (checked
 * with tshark when they were made, see dp_test.h), every strict prefix of each a counted
 * truncation, every malformation a counted drop by its reason, and the writers' output
 * byte-for-byte against independently built frames.
 */
#include <string.h>

#include <dataplane/hash.h>
#include <dataplane/pkt.h>

#include "dp_test.h"

TestSuite(dp_pkt);

/* Parse f[0..len) as received on our interface; checks that a drop is counted exactly once. */
static int
parse(const struct frame *f, size_t len, unsigned csum, struct dp_rx_info *in,
      struct dp_counters *c)
{
	struct dp_iface ifc;
	uint64_t before = dp_counters_drops(c);
	int kind;

	iface_us(&ifc);
	kind = dp_rx_parse(&ifc, f->b, len, csum, in, c);
	cr_assert(eq(u64, dp_counters_drops(c) - before, kind == DP_PKT_DROP ? 1 : 0));
	cr_assert(eq(u8, in->kind, (uint8_t)kind));
	return kind;
}

/* The frame is dropped, counted under why. */
static void
expect_drop(const struct frame *f, unsigned csum, enum dp_cnt why)
{
	struct dp_counters c = {0};
	struct dp_rx_info in;

	cr_assert(eq(int, parse(f, f->len, csum, &in, &c), DP_PKT_DROP));
	cr_assert(eq(u64, c.v[why], 1), "expected a drop counted as %s", dp_cnt_name(why));
}

/* Recompute the IPv4 header checksum after an edit (frame offset 14). */
static void
fix_ip4(struct frame *f)
{
	uint16_t c;

	f->b[24] = f->b[25] = 0;
	c = dp_ipv4_hdr_csum(f->b + 14, 20);
	f->b[24] = (uint8_t)(c >> 8);
	f->b[25] = (uint8_t)c;
}

/* ---- Checksums ---- */

HB_TEST(dp_pkt, rfc1071_numerical_example)
{
	/* RFC 1071 §3: the one's-complement sum of these bytes is 0xddf2. */
	static const uint8_t ex[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
	/* An odd length pads with a zero byte (RFC 1071 §4.1): 0x0001 + 0xf200. */
	static const uint8_t odd[] = {0x00, 0x01, 0xf2};

	cr_assert(eq(u16, dp_inet_csum(ex, sizeof(ex)), (uint16_t)~0xddf2));
	cr_assert(eq(u16, dp_inet_csum(odd, sizeof(odd)), (uint16_t)~0xf201));
	cr_assert(eq(u16, dp_inet_csum(ex, 0), 0xffff));
}

HB_TEST(dp_pkt, ipv4_header_checksum_known)
{
	/* The widely used example header (RFC 791 layout): checksum 0xb861. */
	uint8_t h[20];
	struct frame f;

	hex_bytes("45000073000040004011b861c0a80001c0a800c7", h, sizeof(h));
	cr_assert(eq(u16, dp_ipv4_hdr_csum(h, sizeof(h)), 0xb861));
	cr_assert(eq(u16, dp_inet_csum(h, sizeof(h)), 0)); /* verifies to zero */
	frame_hex(&f, RX_UDP4);
	cr_assert(eq(u16, dp_ipv4_hdr_csum(f.b + 14, 20), 0x9c66));
}

HB_TEST(dp_pkt, udp_and_icmpv6_checksums_known)
{
	struct frame f;

	frame_hex(&f, RX_UDP4);
	cr_assert(eq(u16, dp_l4_csum(DP_AF_INET, f.b + 26, f.b + 30, 17, f.b + 34, 21, 6), 0xf11b));
	frame_hex(&f, RX_UDP6);
	cr_assert(
		eq(u16, dp_l4_csum(DP_AF_INET6, f.b + 22, f.b + 38, 17, f.b + 54, 21, 6), 0x3d3b));
	frame_hex(&f, RX_NS);
	cr_assert(
		eq(u16, dp_l4_csum(DP_AF_INET6, f.b + 22, f.b + 38, 58, f.b + 54, 32, 2), 0x3793));
	/* RFC 768: a UDP checksum that computes to zero is sent as 0xffff. Adding the
	 * checksum c to a payload word (one's-complement) makes the sum all ones, c zero. */
	frame_hex(&f, RX_UDP4);
	uint16_t c = dp_l4_csum(DP_AF_INET, f.b + 26, f.b + 30, 17, f.b + 34, 21, 6);
	uint32_t word = (uint32_t)(f.b[42] << 8 | f.b[43]) + c;

	word = (word & 0xffff) + (word >> 16);
	f.b[42] = (uint8_t)(word >> 8);
	f.b[43] = (uint8_t)word;
	cr_assert(eq(u16, dp_l4_csum(DP_AF_INET, f.b + 26, f.b + 30, 17, f.b + 34, 21, 6), 0xffff));
	/* And such a datagram verifies. */
	f.b[40] = f.b[41] = 0xff;
	struct dp_counters cnt = {0};
	struct dp_rx_info in;
	struct dp_iface ifc;

	iface_us(&ifc);
	cr_assert(eq(int, dp_rx_parse(&ifc, f.b, f.len, 0, &in, &cnt), DP_PKT_UDP));
}

HB_TEST(dp_pkt, siphash24_reference_vectors)
{
	/* Key 00..0f, message 00..(n-1): the reference implementation's vectors; n = 15 is the
	 * paper's Appendix A example. */
	uint8_t key[16], msg[16];

	for (unsigned i = 0; i < 16; i++)
		key[i] = msg[i] = (uint8_t)i;
	cr_assert(eq(u64, dp_siphash24(key, msg, 0), UINT64_C(0x726fdb47dd0e0e31)));
	cr_assert(eq(u64, dp_siphash24(key, msg, 1), UINT64_C(0x74f839c593dc67fd)));
	cr_assert(eq(u64, dp_siphash24(key, msg, 8), UINT64_C(0x93f5f5799a932462)));
	cr_assert(eq(u64, dp_siphash24(key, msg, 15), UINT64_C(0xa129ca6149be45e5)));
}

/* SipHash-2-4 block by block and byte by byte, as the paper writes it (§2): a reference that
 * shares no code with dp_siphash24(), for every tail length. */
static uint64_t
sip_rotl(uint64_t x, unsigned b)
{
	return (x << b) | (x >> (64 - b));
}

static void
sip_rounds(uint64_t v[4], unsigned n)
{
	for (unsigned r = 0; r < n; r++) {
		v[0] += v[1], v[1] = sip_rotl(v[1], 13) ^ v[0], v[0] = sip_rotl(v[0], 32);
		v[2] += v[3], v[3] = sip_rotl(v[3], 16) ^ v[2];
		v[0] += v[3], v[3] = sip_rotl(v[3], 21) ^ v[0];
		v[2] += v[1], v[1] = sip_rotl(v[1], 17) ^ v[2], v[2] = sip_rotl(v[2], 32);
	}
}

static uint64_t
sip_ref(const uint8_t key[16], const uint8_t *m, size_t len)
{
	uint64_t k[2] = {0, 0}, v[4];

	for (unsigned i = 0; i < 16; i++)
		k[i / 8] |= (uint64_t)key[i] << (8 * (i % 8));
	v[0] = k[0] ^ UINT64_C(0x736f6d6570736575);
	v[1] = k[1] ^ UINT64_C(0x646f72616e646f6d);
	v[2] = k[0] ^ UINT64_C(0x6c7967656e657261);
	v[3] = k[1] ^ UINT64_C(0x7465646279746573);
	for (size_t b = 0; b <= len / 8; b++) {
		uint64_t w = b == len / 8 ? (uint64_t)len << 56 : 0;

		for (size_t j = 0; j < 8 && 8 * b + j < len; j++)
			w |= (uint64_t)m[8 * b + j] << (8 * j);
		v[3] ^= w;
		sip_rounds(v, 2);
		v[0] ^= w;
	}
	v[2] ^= 0xff;
	sip_rounds(v, 4);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}

HB_TEST(dp_pkt, siphash24_every_length_matches_bytewise_reference)
{
	/* Every tail length (0..7) after 0 to 5 full blocks, at an odd offset in the buffer, and
	 * the byte after the key, which must not count. */
	uint8_t key[16], buf[64];

	for (unsigned i = 0; i < 16; i++)
		key[i] = (uint8_t)(0xa5 ^ (i * 29));
	for (unsigned i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 151 + 7);
	for (size_t len = 0; len <= 47; len++) {
		uint64_t want = sip_ref(key, buf + 3, len);

		cr_assert(eq(u64, dp_siphash24(key, buf + 3, len), want), "length %zu", len);
		buf[3 + len] ^= 0xff; /* the byte after the key */
		cr_assert(eq(u64, dp_siphash24(key, buf + 3, len), want), "length %zu", len);
		buf[3 + len] ^= 0xff;
	}
	/* And the reference is SipHash-2-4: the paper's Appendix A vector (key 00..0f, 15 bytes). */
	for (unsigned i = 0; i < 16; i++)
		key[i] = buf[i] = (uint8_t)i;
	cr_assert(eq(u64, sip_ref(key, buf, 15), UINT64_C(0xa129ca6149be45e5)));
}

/*
 * The link-floor reflector's answer length (dp_echo_len, --echo-port): bytes 1..2 of the payload,
 * capped at the payload; a request of 0 and every payload too short to hold a request (each
 * truncation of a 3-byte one) answer nothing.
 */
HB_TEST(dp_pkt, echo_len_truncation_and_cap)
{
	static const uint8_t req[8] = {0xaa, 0x00, 0x05, 1, 2, 3, 4, 5};
	static const uint8_t big[4] = {0xaa, 0xff, 0xff, 0};
	static const uint8_t zero[4] = {0xaa, 0x00, 0x00, 0};

	for (size_t n = 0; n < 3; n++)
		cr_assert(eq(sz, dp_echo_len(req, n), 0));
	cr_assert(eq(sz, dp_echo_len(req, 3), 3));
	cr_assert(eq(sz, dp_echo_len(req, 4), 4));
	cr_assert(eq(sz, dp_echo_len(req, 5), 5));
	cr_assert(eq(sz, dp_echo_len(req, 8), 5));
	cr_assert(eq(sz, dp_echo_len(big, 4), 4));
	cr_assert(eq(sz, dp_echo_len(zero, 4), 0));
}

/* ---- Valid frames ---- */

HB_TEST(dp_pkt, udp4_datagram)
{
	struct dp_counters c = {0};
	struct dp_rx_info in;
	struct dp_path want;
	struct frame f;

	frame_hex(&f, RX_UDP4);
	cr_assert(eq(int, parse(&f, f.len, 0, &in, &c), DP_PKT_UDP));
	path_us_peer(&want, DP_AF_INET, 0);
	want.ecn = 2;
	cr_assert(eq(int, memcmp(&in.path, &want, sizeof(want)), 0));
	cr_assert(eq(u16, in.payload_off, 42));
	cr_assert(eq(u16, in.payload_len, strlen(PAYLOAD)));
	cr_assert(eq(int, memcmp(f.b + in.payload_off, PAYLOAD, in.payload_len), 0));
	/* Ethernet pads short frames to 60 bytes: bytes past the IP total length are ignored. */
	cr_assert(eq(int, parse(&f, 60, 0, &in, &c), DP_PKT_UDP));
	cr_assert(eq(u16, in.payload_len, strlen(PAYLOAD)));
}

HB_TEST(dp_pkt, udp6_datagram)
{
	struct dp_counters c = {0};
	struct dp_rx_info in;
	struct dp_path want;
	struct frame f;

	frame_hex(&f, RX_UDP6);
	cr_assert(eq(int, parse(&f, f.len, 0, &in, &c), DP_PKT_UDP));
	path_us_peer(&want, DP_AF_INET6, 0);
	want.ecn = 1;
	cr_assert(eq(int, memcmp(&in.path, &want, sizeof(want)), 0));
	cr_assert(eq(u16, in.payload_off, 62));
	cr_assert(eq(int, memcmp(f.b + in.payload_off, PAYLOAD, in.payload_len), 0));
}

HB_TEST(dp_pkt, arp_request)
{
	struct dp_counters c = {0};
	struct dp_rx_info in;
	struct frame f;
	uint8_t mac[6], ip[4];

	frame_hex(&f, RX_ARP_REQ);
	cr_assert(eq(int, parse(&f, f.len, 0, &in, &c), DP_PKT_ARP));
	cr_assert(eq(u16, in.arp_op, DP_ARP_OP_REQUEST));
	cr_assert(in.target_is_us);
	cr_assert(in.has_lladdr);
	hex_bytes(PEER_MAC, mac, 6);
	hex_bytes(PEER_IP4, ip, 4);
	cr_assert(eq(int, memcmp(in.lladdr, mac, 6), 0));
	cr_assert(eq(int, memcmp(in.sender_ip, ip, 4), 0));
	/* A request for another host is still well-formed (its sender may be learnt). */
	f.b[41] = 0x09;
	cr_assert(eq(int, parse(&f, f.len, 0, &in, &c), DP_PKT_ARP));
	cr_assert(not(in.target_is_us));
}

HB_TEST(dp_pkt, neighbor_solicitation)
{
	struct dp_counters c = {0};
	struct dp_rx_info in;
	struct frame f;
	uint8_t mac[6], ip[16];

	frame_hex(&f, RX_NS);
	cr_assert(eq(int, parse(&f, f.len, 0, &in, &c), DP_PKT_NS));
	cr_assert(in.target_is_us);
	cr_assert(in.has_lladdr);
	hex_bytes(PEER_MAC, mac, 6);
	hex_bytes(PEER_IP6, ip, 16);
	cr_assert(eq(int, memcmp(in.lladdr, mac, 6), 0));
	cr_assert(eq(int, memcmp(in.sender_ip, ip, 16), 0));
}

HB_TEST(dp_pkt, neighbor_advertisement)
{
	struct dp_counters c = {0};
	struct dp_iface peer;
	struct dp_rx_info in;
	struct frame f;

	/* Our own NA, parsed by the peer: a solicited advertisement with a target address. */
	frame_hex(&f, TX_NA);
	memset(&peer, 0, sizeof(peer));
	hex_bytes(PEER_MAC, peer.mac, 6);
	peer.has_ip6 = true;
	hex_bytes(PEER_IP6, peer.ip6, 16);
	cr_assert(eq(int, dp_rx_parse(&peer, f.b, f.len, 0, &in, &c), DP_PKT_NA));
	cr_assert(eq(u8, in.na_flags, DP_NA_SOLICITED | DP_NA_OVERRIDE));
	cr_assert(in.has_lladdr);
	cr_assert(eq(int, memcmp(in.target_ip, f.b + 22, 16), 0));
}

/* ---- Truncation: every strict prefix of every valid frame ---- */

HB_TEST(dp_pkt, every_strict_prefix_is_a_counted_truncation)
{
	static const char *const frames[] = {RX_UDP4, RX_UDP6, RX_ARP_REQ, RX_NS};

	for (unsigned i = 0; i < sizeof(frames) / sizeof(frames[0]); i++) {
		struct dp_counters c = {0};
		struct dp_rx_info in;
		struct frame f;

		frame_hex(&f, frames[i]);
		for (size_t k = 0; k < f.len; k++) {
			cr_assert(eq(int, parse(&f, k, 0, &in, &c), DP_PKT_DROP),
				  "frame %u, prefix %zu", i, k);
			cr_assert(eq(u64, c.v[DP_CNT_DROP_TRUNCATED], k + 1),
				  "frame %u, prefix %zu", i, k);
		}
		cr_assert(not(eq(int, parse(&f, f.len, 0, &in, &c), DP_PKT_DROP)));
	}
}

/* ---- Malformations, one reason each ---- */

HB_TEST(dp_pkt, bad_checksums_dropped)
{
	struct frame f;

	frame_hex(&f, RX_UDP4);
	f.b[50] ^= 0x01; /* payload */
	expect_drop(&f, 0, DP_CNT_DROP_UDP_CSUM);
	frame_hex(&f, RX_UDP4);
	f.b[22] ^= 0x01; /* TTL: header checksum */
	expect_drop(&f, 0, DP_CNT_DROP_IP_CSUM);
	frame_hex(&f, RX_UDP6);
	f.b[70] ^= 0x80;
	expect_drop(&f, 0, DP_CNT_DROP_UDP_CSUM);
	frame_hex(&f, RX_NS);
	f.b[80] ^= 0x01; /* option bytes */
	expect_drop(&f, 0, DP_CNT_DROP_ICMP6_CSUM);
}

HB_TEST(dp_pkt, nic_checksum_verdicts_are_trusted)
{
	struct dp_counters c = {0};
	struct dp_rx_info in;
	struct frame f;

	frame_hex(&f, RX_UDP4);
	f.b[50] ^= 0x01;
	f.b[22] ^= 0x01;
	/* The NIC checked both: the parser does not recompute. */
	cr_assert(eq(int, parse(&f, f.len, DP_RX_IP_CSUM_GOOD | DP_RX_L4_CSUM_GOOD, &in, &c),
		     DP_PKT_UDP));
	frame_hex(&f, RX_UDP4);
	expect_drop(&f, DP_RX_IP_CSUM_BAD, DP_CNT_DROP_IP_CSUM);
	expect_drop(&f, DP_RX_IP_CSUM_GOOD | DP_RX_L4_CSUM_BAD, DP_CNT_DROP_UDP_CSUM);
}

HB_TEST(dp_pkt, zero_udp_checksum)
{
	struct dp_counters c = {0};
	struct dp_rx_info in;
	struct frame f;

	/* Over IPv4 zero means "not computed" (RFC 768) ... */
	frame_hex(&f, RX_UDP4);
	f.b[40] = f.b[41] = 0;
	cr_assert(eq(int, parse(&f, f.len, 0, &in, &c), DP_PKT_UDP));
	/* ... over IPv6 it is invalid (RFC 8200 §8.1). */
	frame_hex(&f, RX_UDP6);
	f.b[60] = f.b[61] = 0;
	expect_drop(&f, 0, DP_CNT_DROP_UDP_CSUM);
}

HB_TEST(dp_pkt, fragments_dropped)
{
	struct frame f;

	frame_hex(&f, RX_UDP4);
	f.b[20] = 0x20; /* MF */
	fix_ip4(&f);
	expect_drop(&f, 0, DP_CNT_DROP_FRAGMENT);
	frame_hex(&f, RX_UDP4);
	f.b[20] = 0x40;
	f.b[21] = 0x10; /* offset 16 bytes */
	fix_ip4(&f);
	expect_drop(&f, 0, DP_CNT_DROP_FRAGMENT);
	frame_hex(&f, RX_UDP6);
	f.b[20] = 44; /* Fragment header */
	expect_drop(&f, 0, DP_CNT_DROP_FRAGMENT);
}

HB_TEST(dp_pkt, ip_header_errors)
{
	struct frame f;

	frame_hex(&f, RX_UDP4);
	f.b[14] = 0x55; /* version 5 */
	fix_ip4(&f);
	expect_drop(&f, 0, DP_CNT_DROP_IP_HDR);
	frame_hex(&f, RX_UDP4);
	f.b[14] = 0x44; /* IHL 16 bytes */
	expect_drop(&f, 0, DP_CNT_DROP_IP_HDR);
	frame_hex(&f, RX_UDP4);
	f.b[16] = 0;
	f.b[17] = 19; /* total length below the header */
	fix_ip4(&f);
	expect_drop(&f, 0, DP_CNT_DROP_IP_HDR);
	frame_hex(&f, RX_UDP4);
	f.b[23] = 6; /* TCP */
	fix_ip4(&f);
	expect_drop(&f, 0, DP_CNT_DROP_IP_PROTO);
	frame_hex(&f, RX_UDP6);
	f.b[14] = 0x40; /* version 4 in an IPv6 frame */
	expect_drop(&f, 0, DP_CNT_DROP_IP_HDR);
	frame_hex(&f, RX_UDP6);
	f.b[20] = 0; /* Hop-by-Hop options */
	expect_drop(&f, 0, DP_CNT_DROP_IP_PROTO);
}

HB_TEST(dp_pkt, udp_length_mismatch)
{
	struct frame f;

	frame_hex(&f, RX_UDP4);
	f.b[39] = 0x14; /* UDP says 20, IP says 21 */
	expect_drop(&f, 0, DP_CNT_DROP_UDP_LEN);
	frame_hex(&f, RX_UDP4);
	f.b[17] = 20 + 7; /* IP payload of 7 bytes: shorter than a UDP header */
	fix_ip4(&f);
	expect_drop(&f, 0, DP_CNT_DROP_UDP_LEN);
}

HB_TEST(dp_pkt, not_for_us)
{
	struct frame f;

	frame_hex(&f, RX_UDP4);
	f.b[5] = 0x09; /* another unicast MAC */
	expect_drop(&f, 0, DP_CNT_DROP_NOT_FOR_US);
	frame_hex(&f, RX_UDP4);
	f.b[33] = 0x09; /* another IP */
	fix_ip4(&f);
	expect_drop(&f, 0, DP_CNT_DROP_NOT_FOR_US);
	frame_hex(&f, RX_UDP4);
	memset(f.b, 0xff, 6);
	memset(f.b + 30, 0xff, 4); /* broadcast */
	fix_ip4(&f);
	expect_drop(&f, 0, DP_CNT_DROP_NOT_FOR_US);
	frame_hex(&f, RX_UDP6);
	f.b[53] = 0x09;
	expect_drop(&f, 0, DP_CNT_DROP_NOT_FOR_US);
	frame_hex(&f, RX_UDP4);
	f.b[37] = 0xbc; /* port 444: checksum first, then the port */
	f.b[41] = (uint8_t)(f.b[41] - 1);
	expect_drop(&f, 0, DP_CNT_DROP_UDP_PORT);
}

HB_TEST(dp_pkt, bad_sources)
{
	struct frame f;

	frame_hex(&f, RX_UDP4);
	f.b[6] = 0x03; /* group bit in the source MAC */
	expect_drop(&f, 0, DP_CNT_DROP_BAD_SRC);
	frame_hex(&f, RX_UDP4);
	f.b[26] = 127;
	fix_ip4(&f);
	expect_drop(&f, 0, DP_CNT_DROP_BAD_SRC);
	frame_hex(&f, RX_UDP4);
	memcpy(f.b + 26, f.b + 30, 4); /* from our own address */
	fix_ip4(&f);
	expect_drop(&f, 0, DP_CNT_DROP_BAD_SRC);
	frame_hex(&f, RX_UDP6);
	f.b[22] = 0xff; /* multicast source */
	expect_drop(&f, 0, DP_CNT_DROP_BAD_SRC);
	frame_hex(&f, RX_UDP6);
	memset(f.b + 22, 0, 16); /* unspecified */
	expect_drop(&f, 0, DP_CNT_DROP_BAD_SRC);
}

HB_TEST(dp_pkt, ethertype_unsupported)
{
	struct frame f;

	frame_hex(&f, RX_UDP4);
	f.b[12] = 0x81; /* 802.1Q tag */
	f.b[13] = 0x00;
	expect_drop(&f, 0, DP_CNT_DROP_ETHERTYPE);
}

HB_TEST(dp_pkt, arp_malformed)
{
	struct frame f;

	frame_hex(&f, RX_ARP_REQ);
	f.b[18] = 8; /* hardware address length */
	expect_drop(&f, 0, DP_CNT_DROP_ARP);
	frame_hex(&f, RX_ARP_REQ);
	f.b[21] = 3; /* op */
	expect_drop(&f, 0, DP_CNT_DROP_ARP);
	frame_hex(&f, RX_ARP_REQ);
	f.b[16] = 0x86; /* protocol type IPv6 */
	expect_drop(&f, 0, DP_CNT_DROP_ARP);
	frame_hex(&f, RX_ARP_REQ);
	f.b[31] = 0x01; /* sender claims our address */
	expect_drop(&f, 0, DP_CNT_DROP_ARP);
}

/* Edit one byte of the NS and fix its ICMPv6 checksum, so only the edit is wrong. */
static void
ns_edit(struct frame *f, size_t off, uint8_t v)
{
	uint16_t c;

	f->b[off] = v;
	f->b[56] = f->b[57] = 0;
	c = dp_l4_csum(DP_AF_INET6, f->b + 22, f->b + 38, 58, f->b + 54, 32, 2);
	f->b[56] = (uint8_t)(c >> 8);
	f->b[57] = (uint8_t)c;
}

HB_TEST(dp_pkt, ndp_validation)
{
	struct frame f;

	/* RFC 4861 §7.1.1: hop limit 255, code 0, no zero-length option, target not multicast. */
	frame_hex(&f, RX_NS);
	f.b[21] = 254;
	expect_drop(&f, 0, DP_CNT_DROP_NDP);
	frame_hex(&f, RX_NS);
	ns_edit(&f, 55, 1);
	expect_drop(&f, 0, DP_CNT_DROP_NDP);
	frame_hex(&f, RX_NS);
	ns_edit(&f, 79, 0);
	expect_drop(&f, 0, DP_CNT_DROP_NDP);
	frame_hex(&f, RX_NS);
	ns_edit(&f, 79, 2); /* option longer than the message */
	expect_drop(&f, 0, DP_CNT_DROP_NDP);
	frame_hex(&f, RX_NS);
	ns_edit(&f, 77, 0x09); /* a target that is not ours */
	expect_drop(&f, 0, DP_CNT_DROP_NOT_FOR_US);
	frame_hex(&f, RX_NS);
	ns_edit(&f, 54, 128); /* echo request */
	expect_drop(&f, 0, DP_CNT_DROP_ICMP6_TYPE);
}

/* ---- Writers ---- */

HB_TEST(dp_pkt, udp_writers_match_reference_frames)
{
	struct frame want;
	uint8_t got[FRAME_MAX] = {0}, us[6], peer[6];
	struct dp_path p;
	size_t plen = strlen(PAYLOAD);

	hex_bytes(US_MAC, us, 6);
	hex_bytes(PEER_MAC, peer, 6);
	path_us_peer(&p, DP_AF_INET, 0);
	p.ecn = 1;
	memcpy(got + DP_UDP4_HDRS, PAYLOAD, plen);
	cr_assert(eq(sz, dp_udp_write_hdrs(got, us, peer, &p, plen, 0), DP_UDP4_HDRS));
	frame_hex(&want, TX_UDP4);
	cr_assert(eq(sz, want.len, DP_UDP4_HDRS + plen));
	cr_assert(eq(int, memcmp(got, want.b, want.len), 0));

	path_us_peer(&p, DP_AF_INET6, 0);
	p.ecn = 2;
	memcpy(got + DP_UDP6_HDRS, PAYLOAD, plen);
	cr_assert(eq(sz, dp_udp_write_hdrs(got, us, peer, &p, plen, 0), DP_UDP6_HDRS));
	frame_hex(&want, TX_UDP6);
	cr_assert(eq(int, memcmp(got, want.b, want.len), 0));

	/* CE is for routers to set (RFC 3168 §5): sent as not-ECT. */
	p.ecn = 3;
	dp_udp_write_hdrs(got, us, peer, &p, plen, 0);
	cr_assert(eq(u8, (uint8_t)((got[15] >> 4) & 0x3), 0));
	path_us_peer(&p, DP_AF_INET, 0);
	p.ecn = 3;
	dp_udp_write_hdrs(got, us, peer, &p, plen, 0);
	cr_assert(eq(u8, (uint8_t)(got[15] & 0x3), 0));

	p.local.family = 5;
	cr_assert(eq(sz, dp_udp_write_hdrs(got, us, peer, &p, plen, 0), 0));
}

HB_TEST(dp_pkt, udp_writer_with_offloads)
{
	uint8_t got[FRAME_MAX] = {0}, us[6], peer[6];
	struct dp_path p;
	size_t plen = strlen(PAYLOAD);

	hex_bytes(US_MAC, us, 6);
	hex_bytes(PEER_MAC, peer, 6);
	path_us_peer(&p, DP_AF_INET, 0);
	memcpy(got + DP_UDP4_HDRS, PAYLOAD, plen);
	dp_udp_write_hdrs(got, us, peer, &p, plen, DP_TX_IP_CSUM | DP_TX_UDP_CSUM);
	/* IP checksum left to the NIC; UDP field holds the bare pseudo-header sum. */
	cr_assert(eq(u8, got[24], 0));
	cr_assert(eq(u8, got[25], 0));
	uint16_t ph = dp_l4_pseudo_csum(DP_AF_INET, p.local.ip, p.remote.ip, 17, 8 + plen);

	cr_assert(eq(u16, (uint16_t)(got[40] << 8 | got[41]), ph));
	/* Completing it as a NIC would gives the software checksum. */
	got[40] = got[41] = 0;
	cr_assert(eq(u16, dp_l4_csum(DP_AF_INET, got + 26, got + 30, 17, got + 34, 8 + plen, 6),
		     0xf11b));
}

HB_TEST(dp_pkt, arp_and_ndp_writers_match_reference_frames)
{
	struct frame want;
	uint8_t got[FRAME_MAX], us[6], peer[6], ip4_us[4], ip4_peer[4], ip6_us[16], ip6_peer[16];
	const uint8_t zero[6] = {0};

	hex_bytes(US_MAC, us, 6);
	hex_bytes(PEER_MAC, peer, 6);
	hex_bytes(US_IP4, ip4_us, 4);
	hex_bytes(PEER_IP4, ip4_peer, 4);
	hex_bytes(US_IP6, ip6_us, 16);
	hex_bytes(PEER_IP6, ip6_peer, 16);

	dp_arp_write(got, DP_ARP_OP_REPLY, us, ip4_us, peer, ip4_peer);
	frame_hex(&want, TX_ARP_REPLY);
	cr_assert(eq(sz, want.len, DP_ARP_FRAME_LEN));
	cr_assert(eq(int, memcmp(got, want.b, want.len), 0));
	dp_arp_write(got, DP_ARP_OP_REQUEST, us, ip4_us, zero, ip4_peer);
	frame_hex(&want, TX_ARP_REQ);
	cr_assert(eq(int, memcmp(got, want.b, want.len), 0));
	dp_ndp_write_na(got, us, ip6_us, peer, ip6_peer, DP_NA_SOLICITED | DP_NA_OVERRIDE);
	frame_hex(&want, TX_NA);
	cr_assert(eq(sz, want.len, DP_NDP_FRAME_LEN));
	cr_assert(eq(int, memcmp(got, want.b, want.len), 0));
	dp_ndp_write_ns(got, us, ip6_us, ip6_peer);
	frame_hex(&want, TX_NS);
	cr_assert(eq(int, memcmp(got, want.b, want.len), 0));
}

HB_TEST(dp_pkt, on_link_and_solicited_node)
{
	struct dp_iface ifc;
	uint8_t a[16] = {198, 18, 0, 77}, b[16] = {198, 18, 1, 1}, sn[16], want[16];
	uint8_t ll[16] = {0xfe, 0x80, [15] = 5}, ip6[16];

	iface_us(&ifc);
	cr_assert(dp_iface_on_link(&ifc, DP_AF_INET, a));
	cr_assert(not(dp_iface_on_link(&ifc, DP_AF_INET, b)));
	ifc.prefix4 = 23; /* 198.18.0.0/23 holds 198.18.1.1 */
	cr_assert(dp_iface_on_link(&ifc, DP_AF_INET, b));
	cr_assert(dp_iface_on_link(&ifc, DP_AF_INET6, ll)); /* link-local */
	hex_bytes(PEER_IP6, ip6, 16);
	cr_assert(dp_iface_on_link(&ifc, DP_AF_INET6, ip6));
	ip6[3] = 9;
	cr_assert(not(dp_iface_on_link(&ifc, DP_AF_INET6, ip6)));
	cr_assert(not(dp_iface_on_link(&ifc, 5, ip6)));
	/* RFC 4291 §2.7.1: ff02::1:ff00:0/104 plus the low 24 bits. */
	hex_bytes(US_IP6, ip6, 16);
	dp_ipv6_solicited_node(ip6, sn);
	hex_bytes("ff0200000000000000000001ff000001", want, 16);
	cr_assert(eq(int, memcmp(sn, want, 16), 0));
}

HB_TEST(dp_pkt, counter_names_and_format)
{
	struct dp_counters c = {0};
	char buf[4096], small[16];

	for (unsigned i = 0; i < DP_CNT_MAX; i++)
		cr_assert(gt(sz, strlen(dp_cnt_name(i)), 0));
	cr_assert(not(dp_cnt_name(DP_CNT_MAX) != NULL));
	dp_cnt_add(&c, DP_CNT_RX_PKTS, 3);
	dp_cnt_inc(&c, DP_CNT_DROP_UDP_CSUM);
	cr_assert(eq(u64, dp_counters_drops(&c), 1));
	size_t n = dp_counters_format(&c, 1, buf, sizeof(buf));

	cr_assert(eq(int, strcmp(buf, "rx_pkts 3\ndrop_udp_csum 1\n"), 0));
	cr_assert(eq(sz, n, strlen(buf)));
	/* Cut output stays terminated and reports the full length. */
	cr_assert(eq(sz, dp_counters_format(&c, 1, small, sizeof(small)), n));
	cr_assert(eq(sz, strlen(small), sizeof(small) - 1));
	n = dp_counters_format(&c, 0, buf, sizeof(buf));
	cr_assert(gt(sz, n, 40 * 5));
}

/* The checksum sum against a plain 16-bit big-endian reference (RFC 1071 §4.1), for every
 * length up to 300 and both parities of the start, on pseudo-random bytes. */
/* RFC 1071's sum, 16 bits at a time in network order: what dp_inet_csum() must equal. */
static uint16_t
csum_reference(const uint8_t *p, size_t n)
{
	uint64_t acc = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		acc += (uint32_t)p[i] << 8 | p[i + 1];
	if (n % 2 != 0)
		acc += (uint32_t)p[n - 1] << 8;
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return (uint16_t)~acc;
}

/* Every length to 300 and datagram-sized ones (the vector path's 32-byte steps and their tails),
 * at both alignments, of random bytes and of all-ones bytes (the largest lane sums), with and
 * without vector instructions. */
HB_TEST(dp_pkt, inet_csum_matches_reference)
{
	static const size_t big[] = {1199, 1200, 1452, 1500, 9000, 65535};
	static uint8_t buf[65536 + 2];
	uint32_t x = 12345;

	for (int fill = 0; fill < 4; fill++) {
		/* Fills 2 and 3 again without vector instructions. */
		dp_csum_set_simd(fill < 2);
		for (size_t i = 0; i < sizeof(buf); i++) {
			x = x * 1103515245u + 12345u;
			buf[i] = fill % 2 == 0 ? (uint8_t)(x >> 16) : 0xff;
		}
		for (size_t off = 0; off < 2; off++) {
			for (size_t n = 0; n <= 300; n++)
				cr_assert(eq(u16, dp_inet_csum(buf + off, n),
					     csum_reference(buf + off, n)),
					  "fill %d off %zu n %zu", fill, off, n);
			for (size_t i = 0; i < sizeof(big) / sizeof(big[0]); i++)
				cr_assert(eq(u16, dp_inet_csum(buf + off, big[i]),
					     csum_reference(buf + off, big[i])),
					  "fill %d off %zu n %zu", fill, off, big[i]);
		}
	}
}
