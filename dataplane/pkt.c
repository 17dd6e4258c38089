/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Receive-side parsing of Ethernet (IEEE 802.3), ARP (RFC 826), IPv4 (RFC 791), IPv6
 * (RFC 8200), ICMPv6 (RFC 4443), Neighbor Discovery (RFC 4861) and UDP (RFC 768), and the
 * Internet checksum (RFC 1071). Fields are read byte by byte from the frame, so any alignment
 * is fine and no length is used before it is checked against what was received.
 */
#include <string.h>

#include <dataplane/pkt.h>

#include "pkt_int.h"

static const uint8_t all_nodes[16] = {0xff, 0x02, [15] = 0x01}; /* ff02::1 */
static const uint8_t loopback6[16] = {[15] = 0x01};		/* ::1 */

/*
 * The one's-complement sum does not depend on byte order (RFC 1071 §2(B)): the bulk of a buffer
 * is summed as native 16-bit words, 32 bytes a step, and the folded sum swapped to network order
 * once. Every 16-bit word adds at most 0xffff to a 32-bit lane, so n < 2^21 bytes cannot carry
 * out of one (a datagram is at most 2^16).
 */
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

__attribute__((target("avx2"))) static uint64_t
sum_native_avx2(const uint8_t *p, size_t n)
{
	const __m256i z = _mm256_setzero_si256();
	__m256i lo = z, hi = z;
	uint32_t lane[8];
	uint64_t s = 0;

	for (; n >= 32; p += 32, n -= 32) {
		__m256i v = _mm256_loadu_si256((const __m256i *)(const void *)p);

		lo = _mm256_add_epi32(lo, _mm256_unpacklo_epi16(v, z));
		hi = _mm256_add_epi32(hi, _mm256_unpackhi_epi16(v, z));
	}
	_mm256_storeu_si256((__m256i *)(void *)lane, _mm256_add_epi32(lo, hi));
	for (unsigned i = 0; i < 8; i++)
		s += lane[i];
	return s;
}
#endif

/* The same with 64-bit words: two 32-bit halves each, into two accumulators. */
static uint64_t
sum_native_words(const uint8_t *p, size_t n)
{
	uint64_t a = 0, b = 0, w0, w1;

	for (; n >= 16; p += 16, n -= 16) {
		memcpy(&w0, p, 8);
		memcpy(&w1, p + 8, 8);
		a += (w0 & 0xffffffffu) + (w0 >> 32);
		b += (w1 & 0xffffffffu) + (w1 >> 32);
	}
	return a + b;
}

static uint16_t
fold(uint64_t acc)
{
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return (uint16_t)acc;
}

static bool csum_simd = true;

void
dp_csum_set_simd(bool on)
{
	csum_simd = on;
}

/* The network-order sum of the first n & ~31 bytes of p (n >= 32). */
static uint64_t
sum_bulk_be(const uint8_t *p, size_t n)
{
	uint64_t s;
	uint16_t f;

	n &= ~(size_t)31;
#if defined(__x86_64__) && defined(__GNUC__)
	if (csum_simd && __builtin_cpu_supports("avx2"))
		s = sum_native_avx2(p, n);
	else
#endif
		s = sum_native_words(p, n);
	f = fold(s);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	f = (uint16_t)(f << 8 | f >> 8);
#endif
	return f;
}

/* One's-complement sum of n bytes in network order, accumulated into acc (RFC 1071 §4.1). */
static uint64_t
sum_be(const uint8_t *p, size_t n, uint64_t acc)
{
	if (n >= 64) {
		size_t bulk = n & ~(size_t)31;

		acc += sum_bulk_be(p, bulk);
		p += bulk;
		n -= bulk;
	}
	/* 32-bit words: their sum folds to the same 16-bit one's-complement sum. */
	for (; n >= 4; p += 4, n -= 4)
		acc += rd32(p);
	if (n >= 2) {
		acc += rd16(p);
		p += 2;
		n -= 2;
	}
	if (n > 0)
		acc += (uint32_t)p[0] << 8;
	return acc;
}

uint16_t
dp_inet_csum(const void *buf, size_t len)
{
	return (uint16_t)~fold(sum_be(buf, len, 0));
}

uint16_t
dp_ipv4_hdr_csum(const uint8_t *ip, size_t hdr_len)
{
	uint64_t acc = sum_be(ip, IP4_OFF_CSUM, 0);

	acc = sum_be(ip + IP4_OFF_CSUM + 2, hdr_len - IP4_OFF_CSUM - 2, acc);
	return (uint16_t)~fold(acc);
}

/* Pseudo-header sum: RFC 768 for IPv4, RFC 8200 §8.1 for IPv6. */
static uint64_t
pseudo_sum(uint8_t family, const uint8_t *src, const uint8_t *dst, uint8_t proto, size_t l4_len)
{
	size_t alen = family == DP_AF_INET ? 4 : 16;
	uint64_t acc = sum_be(src, alen, 0);

	acc = sum_be(dst, alen, acc);
	/* 16-bit length (IPv4) or 32-bit length (IPv6): equal once folded. */
	return acc + proto + l4_len;
}

uint16_t
dp_l4_csum(uint8_t family, const uint8_t *src, const uint8_t *dst, uint8_t proto, const uint8_t *l4,
	   size_t l4_len, size_t csum_off)
{
	uint64_t acc = pseudo_sum(family, src, dst, proto, l4_len);
	uint16_t c;

	acc = sum_be(l4, csum_off, acc);
	acc = sum_be(l4 + csum_off + 2, l4_len - csum_off - 2, acc);
	c = (uint16_t)~fold(acc);
	/* RFC 768: a computed zero is sent as all ones; zero means "no checksum". */
	if (c == 0 && proto == IPPROTO_UDP_)
		c = 0xffff;
	return c;
}

uint16_t
dp_l4_pseudo_csum(uint8_t family, const uint8_t *src, const uint8_t *dst, uint8_t proto,
		  size_t l4_len)
{
	return fold(pseudo_sum(family, src, dst, proto, l4_len));
}

/* Whether an L4 checksum (field included) verifies: the folded sum is all ones. */
static bool
l4_csum_ok(uint8_t family, const uint8_t *src, const uint8_t *dst, uint8_t proto, const uint8_t *l4,
	   size_t l4_len)
{
	uint64_t acc = pseudo_sum(family, src, dst, proto, l4_len);

	return fold(sum_be(l4, l4_len, acc)) == 0xffff;
}

void
dp_ipv6_solicited_node(const uint8_t ip[16], uint8_t out[16])
{
	static const uint8_t prefix[13] = {0xff, 0x02, [11] = 0x01, [12] = 0xff};

	memcpy(out, prefix, sizeof(prefix));
	memcpy(out + 13, ip + 13, 3);
}

static bool
prefix_match(const uint8_t *a, const uint8_t *b, unsigned bits)
{
	unsigned bytes = bits / 8, rem = bits % 8;

	if (memcmp(a, b, bytes) != 0)
		return false;
	if (rem == 0)
		return true;
	uint8_t mask = (uint8_t)(0xff << (8 - rem));

	return ((a[bytes] ^ b[bytes]) & mask) == 0;
}

bool
dp_iface_on_link(const struct dp_iface *ifc, uint8_t family, const uint8_t *dst)
{
	if (family == DP_AF_INET)
		return ifc->has_ip4 && prefix_match(dst, ifc->ip4, ifc->prefix4);
	if (family != DP_AF_INET6)
		return false;
	if (dst[0] == 0xfe && (dst[1] & 0xc0) == 0x80) /* fe80::/10, RFC 4291 §2.5.6 */
		return true;
	return ifc->has_ip6 && prefix_match(dst, ifc->ip6, ifc->prefix6);
}

/* ---- UDP ---- */

/* UDP header at l4 (l4_len bytes as the IP header gives them); src/dst are the IP addresses. */
static int
parse_udp(const struct dp_iface *ifc, uint8_t family, const uint8_t *src, const uint8_t *dst,
	  const uint8_t *l4, size_t l4_len, size_t l4_off, unsigned csum, struct dp_rx_info *out,
	  enum dp_cnt *why)
{
	size_t alen = family == DP_AF_INET ? 4 : 16;
	uint16_t sport, dport, uc;

	if (l4_len < DP_UDP_HLEN || rd16(l4 + 4) != l4_len) {
		*why = DP_CNT_DROP_UDP_LEN;
		return DP_PKT_DROP;
	}
	uc = rd16(l4 + UDP_OFF_CSUM);
	if (uc == 0) {
		/* No checksum: allowed over IPv4 only (RFC 768; RFC 8200 §8.1). */
		if (family == DP_AF_INET6) {
			*why = DP_CNT_DROP_UDP_CSUM;
			return DP_PKT_DROP;
		}
	} else if ((csum & DP_RX_L4_CSUM_BAD) != 0 ||
		   ((csum & DP_RX_L4_CSUM_GOOD) == 0 &&
		    !l4_csum_ok(family, src, dst, IPPROTO_UDP_, l4, l4_len))) {
		*why = DP_CNT_DROP_UDP_CSUM;
		return DP_PKT_DROP;
	}
	sport = rd16(l4);
	dport = rd16(l4 + 2);
	if (ifc->udp_port != 0 && dport != ifc->udp_port &&
	    (ifc->echo_port == 0 || dport != ifc->echo_port)) {
		*why = DP_CNT_DROP_UDP_PORT;
		return DP_PKT_DROP;
	}
	if (sport == 0) { /* nowhere to answer */
		*why = DP_CNT_DROP_BAD_SRC;
		return DP_PKT_DROP;
	}
	memset(&out->path, 0, sizeof(out->path));
	out->path.local.family = family;
	out->path.local.port = dport;
	memcpy(out->path.local.ip, dst, alen);
	out->path.remote.family = family;
	out->path.remote.port = sport;
	memcpy(out->path.remote.ip, src, alen);
	out->payload_off = (uint16_t)(l4_off + DP_UDP_HLEN);
	out->payload_len = (uint16_t)(l4_len - DP_UDP_HLEN);
	return DP_PKT_UDP;
}

/* ---- ARP ---- */

static int
parse_arp(const struct dp_iface *ifc, const uint8_t *p, size_t n, struct dp_rx_info *out,
	  enum dp_cnt *why)
{
	const uint8_t *sha = p + 8, *spa = p + 14, *tpa = p + 24;
	uint16_t op;

	if (n < DP_ARP_FRAME_LEN - DP_ETH_HLEN) {
		*why = DP_CNT_DROP_TRUNCATED;
		return DP_PKT_DROP;
	}
	op = rd16(p + 6);
	/* Ethernet hardware (1), IPv4 protocol, 6- and 4-byte addresses (RFC 826). */
	if (rd16(p) != 1 || rd16(p + 2) != ETHERTYPE_IPV4 || p[4] != DP_ETH_ALEN || p[5] != 4 ||
	    (op != DP_ARP_OP_REQUEST && op != DP_ARP_OP_REPLY) || (sha[0] & 1) != 0) {
		*why = DP_CNT_DROP_ARP;
		return DP_PKT_DROP;
	}
	if (!ifc->has_ip4) {
		*why = DP_CNT_DROP_NOT_FOR_US;
		return DP_PKT_DROP;
	}
	if (memcmp(spa, ifc->ip4, 4) == 0) { /* someone else claims our address */
		*why = DP_CNT_DROP_ARP;
		return DP_PKT_DROP;
	}
	out->family = DP_AF_INET;
	out->arp_op = op;
	out->has_lladdr = true;
	memcpy(out->lladdr, sha, DP_ETH_ALEN);
	memset(out->sender_ip, 0, sizeof(out->sender_ip));
	memset(out->target_ip, 0, sizeof(out->target_ip));
	memcpy(out->sender_ip, spa, 4);
	memcpy(out->target_ip, tpa, 4);
	out->target_is_us = memcmp(tpa, ifc->ip4, 4) == 0;
	return DP_PKT_ARP;
}

/* ---- IPv4 ---- */

/* Sources no answer can go to: 0/8, 127/8, multicast, reserved, broadcast, ourselves. */
static bool
bad_src4(const struct dp_iface *ifc, const uint8_t *src)
{
	return src[0] == 0 || src[0] == 127 || src[0] >= 224 || memcmp(src, ifc->ip4, 4) == 0;
}

static int
parse_ipv4(const struct dp_iface *ifc, const uint8_t *p, size_t n, unsigned csum,
	   struct dp_rx_info *out, enum dp_cnt *why)
{
	size_t ihl, tot;

	if (n < DP_IPV4_HLEN) {
		*why = DP_CNT_DROP_TRUNCATED;
		return DP_PKT_DROP;
	}
	ihl = (size_t)(p[0] & 0x0f) * 4;
	tot = rd16(p + IP4_OFF_LEN);
	if ((p[0] >> 4) != 4 || ihl < DP_IPV4_HLEN || tot < ihl) {
		*why = DP_CNT_DROP_IP_HDR;
		return DP_PKT_DROP;
	}
	/* Trailing bytes past tot are Ethernet padding of short frames. */
	if (tot > n) {
		*why = DP_CNT_DROP_TRUNCATED;
		return DP_PKT_DROP;
	}
	if ((csum & DP_RX_IP_CSUM_BAD) != 0 ||
	    ((csum & DP_RX_IP_CSUM_GOOD) == 0 && fold(sum_be(p, ihl, 0)) != 0xffff)) {
		*why = DP_CNT_DROP_IP_CSUM;
		return DP_PKT_DROP;
	}
	if ((rd16(p + IP4_OFF_FRAG) & 0x3fff) != 0) { /* MF set or offset non-zero */
		*why = DP_CNT_DROP_FRAGMENT;
		return DP_PKT_DROP;
	}
	if (!ifc->has_ip4 || memcmp(p + IP4_OFF_DST, ifc->ip4, 4) != 0) {
		*why = DP_CNT_DROP_NOT_FOR_US;
		return DP_PKT_DROP;
	}
	if (bad_src4(ifc, p + IP4_OFF_SRC)) {
		*why = DP_CNT_DROP_BAD_SRC;
		return DP_PKT_DROP;
	}
	if (p[IP4_OFF_PROTO] != IPPROTO_UDP_) {
		*why = DP_CNT_DROP_IP_PROTO;
		return DP_PKT_DROP;
	}
	int kind = parse_udp(ifc, DP_AF_INET, p + IP4_OFF_SRC, p + IP4_OFF_DST, p + ihl, tot - ihl,
			     DP_ETH_HLEN + ihl, csum, out, why);

	out->path.ecn = p[IP4_OFF_TOS] & 0x3;
	return kind;
}

/* ---- IPv6, ICMPv6, Neighbor Discovery ---- */

/*
 * Walk the options of an NS/NA (RFC 4861 §4.6): every option must have a non-zero length that
 * fits (§7.1.1, §7.1.2); a link-layer address option of type want is returned in out.
 */
static bool
nd_options(const uint8_t *opt, size_t n, uint8_t want, struct dp_rx_info *out)
{
	while (n > 0) {
		size_t olen;

		if (n < 2 || opt[1] == 0)
			return false;
		olen = (size_t)opt[1] * 8;
		if (olen > n)
			return false;
		if (opt[0] == want && olen == 8) {
			memcpy(out->lladdr, opt + 2, DP_ETH_ALEN);
			out->has_lladdr = true;
		}
		opt += olen;
		n -= olen;
	}
	return true;
}

/* NS or NA for us, checksum already verified (RFC 4861 §7.1.1, §7.1.2). */
static int
parse_nd(const struct dp_iface *ifc, const uint8_t *ip, const uint8_t *m, size_t n,
	 struct dp_rx_info *out, enum dp_cnt *why)
{
	const uint8_t *dst = ip + IP6_OFF_DST, *target = m + 8;
	bool ns = m[0] == ICMP6_NS;

	out->has_lladdr = false;
	if (ip[IP6_OFF_HLIM] != ND_HOP_LIMIT || m[1] != 0 || n < ND_MSG_LEN || target[0] == 0xff ||
	    !nd_options(m + ND_MSG_LEN, n - ND_MSG_LEN, ns ? ND_OPT_SRC_LLADDR : ND_OPT_TGT_LLADDR,
			out)) {
		*why = DP_CNT_DROP_NDP;
		return DP_PKT_DROP;
	}
	out->family = DP_AF_INET6;
	out->na_flags = ns ? 0 : m[4];
	out->target_is_us = memcmp(target, ifc->ip6, 16) == 0;
	memcpy(out->sender_ip, ip + IP6_OFF_SRC, 16);
	memcpy(out->target_ip, target, 16);
	if (ns && !out->target_is_us) {
		*why = DP_CNT_DROP_NOT_FOR_US;
		return DP_PKT_DROP;
	}
	/* A multicast NA must not be solicited; nobody else may advertise our address. */
	if (!ns &&
	    ((dst[0] == 0xff && (out->na_flags & DP_NA_SOLICITED) != 0) || out->target_is_us)) {
		*why = DP_CNT_DROP_NDP;
		return DP_PKT_DROP;
	}
	return ns ? DP_PKT_NS : DP_PKT_NA;
}

static int
parse_icmp6(const struct dp_iface *ifc, const uint8_t *ip, const uint8_t *m, size_t n,
	    struct dp_rx_info *out, enum dp_cnt *why)
{
	const uint8_t *dst = ip + IP6_OFF_DST;
	uint8_t sn[16];

	dp_ipv6_solicited_node(ifc->ip6, sn);
	if (memcmp(dst, ifc->ip6, 16) != 0 && memcmp(dst, sn, 16) != 0 &&
	    memcmp(dst, all_nodes, 16) != 0) {
		*why = DP_CNT_DROP_NOT_FOR_US;
		return DP_PKT_DROP;
	}
	if (n < 4) {
		*why = DP_CNT_DROP_TRUNCATED;
		return DP_PKT_DROP;
	}
	if (!l4_csum_ok(DP_AF_INET6, ip + IP6_OFF_SRC, dst, IPPROTO_ICMPV6_, m, n)) {
		*why = DP_CNT_DROP_ICMP6_CSUM;
		return DP_PKT_DROP;
	}
	if (m[0] != ICMP6_NS && m[0] != ICMP6_NA) {
		*why = DP_CNT_DROP_ICMP6_TYPE;
		return DP_PKT_DROP;
	}
	return parse_nd(ifc, ip, m, n, out, why);
}

/* Unspecified, loopback, multicast, or ourselves: not a source to answer or learn. */
static bool
bad_src6(const struct dp_iface *ifc, const uint8_t *src)
{
	return src[0] == 0xff || is_zero(src, 16) || memcmp(src, loopback6, 16) == 0 ||
	       memcmp(src, ifc->ip6, 16) == 0;
}

static int
parse_ipv6(const struct dp_iface *ifc, const uint8_t *p, size_t n, unsigned csum,
	   struct dp_rx_info *out, enum dp_cnt *why)
{
	size_t plen;
	int kind;

	if (n < DP_IPV6_HLEN) {
		*why = DP_CNT_DROP_TRUNCATED;
		return DP_PKT_DROP;
	}
	plen = rd16(p + IP6_OFF_PLEN);
	if ((p[0] >> 4) != 6) {
		*why = DP_CNT_DROP_IP_HDR;
		return DP_PKT_DROP;
	}
	if (DP_IPV6_HLEN + plen > n) {
		*why = DP_CNT_DROP_TRUNCATED;
		return DP_PKT_DROP;
	}
	if (!ifc->has_ip6) {
		*why = DP_CNT_DROP_NOT_FOR_US;
		return DP_PKT_DROP;
	}
	if (bad_src6(ifc, p + IP6_OFF_SRC)) {
		*why = DP_CNT_DROP_BAD_SRC;
		return DP_PKT_DROP;
	}
	switch (p[IP6_OFF_NH]) {
	case IPPROTO_UDP_:
		if (memcmp(p + IP6_OFF_DST, ifc->ip6, 16) != 0) {
			*why = DP_CNT_DROP_NOT_FOR_US;
			return DP_PKT_DROP;
		}
		kind = parse_udp(ifc, DP_AF_INET6, p + IP6_OFF_SRC, p + IP6_OFF_DST,
				 p + DP_IPV6_HLEN, plen, DP_ETH_HLEN + DP_IPV6_HLEN, csum, out,
				 why);
		out->path.ecn = (uint8_t)((rd32(p) >> 20) & 0x3);
		return kind;
	case IPPROTO_ICMPV6_:
		return parse_icmp6(ifc, p, p + DP_IPV6_HLEN, plen, out, why);
	case IPPROTO_FRAG6_:
		*why = DP_CNT_DROP_FRAGMENT;
		return DP_PKT_DROP;
	default: /* other extension headers are not expected on a QUIC server's path */
		*why = DP_CNT_DROP_IP_PROTO;
		return DP_PKT_DROP;
	}
}

size_t
dp_echo_len(const uint8_t *payload, size_t len)
{
	size_t want;

	if (len < 3)
		return 0;
	want = (size_t)payload[1] << 8 | payload[2];
	return want < len ? want : len;
}

/* ---- Ethernet ---- */

int
dp_rx_parse(const struct dp_iface *ifc, const uint8_t *frame, size_t len, unsigned csum,
	    struct dp_rx_info *out, struct dp_counters *cnt)
{
	enum dp_cnt why = DP_CNT_DROP_TRUNCATED;
	int kind = DP_PKT_DROP;

	if (len < DP_ETH_HLEN)
		goto drop;
	if ((frame[6] & 1) != 0) { /* group address as a source */
		why = DP_CNT_DROP_BAD_SRC;
		goto drop;
	}
	/* Unicast must be ours; group addresses are sorted out by their L3 destination. */
	if ((frame[0] & 1) == 0 && memcmp(frame, ifc->mac, DP_ETH_ALEN) != 0) {
		why = DP_CNT_DROP_NOT_FOR_US;
		goto drop;
	}
	memcpy(out->eth_src, frame + DP_ETH_ALEN, DP_ETH_ALEN);
	switch (rd16(frame + 12)) {
	case ETHERTYPE_ARP:
		kind = parse_arp(ifc, frame + DP_ETH_HLEN, len - DP_ETH_HLEN, out, &why);
		break;
	case ETHERTYPE_IPV4:
		kind = parse_ipv4(ifc, frame + DP_ETH_HLEN, len - DP_ETH_HLEN, csum, out, &why);
		break;
	case ETHERTYPE_IPV6:
		kind = parse_ipv6(ifc, frame + DP_ETH_HLEN, len - DP_ETH_HLEN, csum, out, &why);
		break;
	default:
		why = DP_CNT_DROP_ETHERTYPE;
		break;
	}
	if (kind != DP_PKT_DROP) {
		out->kind = (uint8_t)kind;
		return kind;
	}
drop:
	dp_cnt_inc(cnt, why);
	out->kind = DP_PKT_DROP;
	return DP_PKT_DROP;
}
