/* SPDX-License-Identifier: BSD-3-Clause */
/* Transmit-side header writers: UDP over IPv4/IPv6, ARP, Neighbor Solicitation/Advertisement. */
#include <string.h>

#include <dataplane/pkt.h>

#include "pkt_int.h"

#define DEFAULT_TTL 64

static void
write_eth(uint8_t *f, const uint8_t *dst_mac, const uint8_t *src_mac, uint16_t type)
{
	memcpy(f, dst_mac, DP_ETH_ALEN);
	memcpy(f + DP_ETH_ALEN, src_mac, DP_ETH_ALEN);
	wr16(f + 12, type);
}

/* ECN codepoint to send: CE is set by routers only (RFC 3168 §5), so it is sent as not-ECT. */
static inline uint8_t
tx_ecn(uint8_t ecn)
{
	ecn &= 0x3;
	return ecn == 0x3 ? 0 : ecn;
}

/* IPv4 header (RFC 791) without options; DF set since QUIC must not be fragmented. */
static void
write_ipv4(uint8_t *ip, const struct dp_path *path, size_t l4_len, unsigned offload)
{
	ip[0] = 0x45;
	ip[IP4_OFF_TOS] = tx_ecn(path->ecn);
	wr16(ip + IP4_OFF_LEN, (uint16_t)(DP_IPV4_HLEN + l4_len));
	wr16(ip + 4, 0);		 /* identification: unused when DF is set (RFC 6864) */
	wr16(ip + IP4_OFF_FRAG, 0x4000); /* DF */
	ip[IP4_OFF_TTL] = DEFAULT_TTL;
	ip[IP4_OFF_PROTO] = IPPROTO_UDP_;
	memcpy(ip + IP4_OFF_SRC, path->local.ip, 4);
	memcpy(ip + IP4_OFF_DST, path->remote.ip, 4);
	wr16(ip + IP4_OFF_CSUM, 0);
	if ((offload & DP_TX_IP_CSUM) == 0)
		wr16(ip + IP4_OFF_CSUM, dp_ipv4_hdr_csum(ip, DP_IPV4_HLEN));
}

static void
write_ipv6(uint8_t *ip, const uint8_t *src, const uint8_t *dst, uint8_t ecn, uint8_t nh,
	   uint8_t hlim, size_t l4_len)
{
	wr32(ip, (uint32_t)6 << 28 | (uint32_t)(ecn & 0x3) << 20);
	wr16(ip + IP6_OFF_PLEN, (uint16_t)l4_len);
	ip[IP6_OFF_NH] = nh;
	ip[IP6_OFF_HLIM] = hlim;
	memcpy(ip + IP6_OFF_SRC, src, 16);
	memcpy(ip + IP6_OFF_DST, dst, 16);
}

size_t
dp_udp_write_hdrs(uint8_t *frame, const uint8_t src_mac[DP_ETH_ALEN],
		  const uint8_t dst_mac[DP_ETH_ALEN], const struct dp_path *path,
		  size_t payload_len, unsigned offload)
{
	uint8_t family = path->local.family;
	size_t ip_len = family == DP_AF_INET ? DP_IPV4_HLEN : DP_IPV6_HLEN;
	size_t l4_len = DP_UDP_HLEN + payload_len;
	uint8_t *ip = frame + DP_ETH_HLEN, *udp = ip + ip_len;
	uint16_t c;

	if (family != DP_AF_INET && family != DP_AF_INET6)
		return 0;
	write_eth(frame, dst_mac, src_mac, family == DP_AF_INET ? ETHERTYPE_IPV4 : ETHERTYPE_IPV6);
	if (family == DP_AF_INET)
		write_ipv4(ip, path, l4_len, offload);
	else
		write_ipv6(ip, path->local.ip, path->remote.ip, tx_ecn(path->ecn), IPPROTO_UDP_,
			   DEFAULT_TTL, l4_len);
	wr16(udp, path->local.port);
	wr16(udp + 2, path->remote.port);
	wr16(udp + 4, (uint16_t)l4_len);
	wr16(udp + UDP_OFF_CSUM, 0);
	if ((offload & DP_TX_UDP_CSUM) != 0)
		/* The NIC adds the datagram to the pseudo-header sum left in the field. */
		c = dp_l4_pseudo_csum(family, path->local.ip, path->remote.ip, IPPROTO_UDP_,
				      l4_len);
	else
		c = dp_l4_csum(family, path->local.ip, path->remote.ip, IPPROTO_UDP_, udp, l4_len,
			       UDP_OFF_CSUM);
	wr16(udp + UDP_OFF_CSUM, c);
	return DP_ETH_HLEN + ip_len + DP_UDP_HLEN;
}

void
dp_arp_write(uint8_t *frame, uint16_t op, const uint8_t sha[DP_ETH_ALEN], const uint8_t spa[4],
	     const uint8_t tha[DP_ETH_ALEN], const uint8_t tpa[4])
{
	static const uint8_t bcast[DP_ETH_ALEN] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	static const uint8_t zero[DP_ETH_ALEN] = {0};
	uint8_t *a = frame + DP_ETH_HLEN;
	bool request = op == DP_ARP_OP_REQUEST;

	write_eth(frame, request ? bcast : tha, sha, ETHERTYPE_ARP);
	wr16(a, 1); /* Ethernet */
	wr16(a + 2, ETHERTYPE_IPV4);
	a[4] = DP_ETH_ALEN;
	a[5] = 4;
	wr16(a + 6, op);
	memcpy(a + 8, sha, DP_ETH_ALEN);
	memcpy(a + 14, spa, 4);
	memcpy(a + 18, request ? zero : tha, DP_ETH_ALEN);
	memcpy(a + 24, tpa, 4);
}

/* ICMPv6 NS/NA body with one link-layer address option, then its checksum. */
static void
write_nd(uint8_t *ip, uint8_t type, uint8_t flags, const uint8_t target[16], uint8_t opt_type,
	 const uint8_t mac[DP_ETH_ALEN])
{
	uint8_t *m = ip + DP_IPV6_HLEN;
	size_t len = ND_MSG_LEN + 8;

	memset(m, 0, len);
	m[0] = type;
	m[4] = flags;
	memcpy(m + 8, target, 16);
	m[ND_MSG_LEN] = opt_type;
	m[ND_MSG_LEN + 1] = 1; /* in units of 8 bytes */
	memcpy(m + ND_MSG_LEN + 2, mac, DP_ETH_ALEN);
	wr16(m + 2, dp_l4_csum(DP_AF_INET6, ip + IP6_OFF_SRC, ip + IP6_OFF_DST, IPPROTO_ICMPV6_, m,
			       len, 2));
}

void
dp_ndp_write_ns(uint8_t *frame, const uint8_t src_mac[DP_ETH_ALEN], const uint8_t src[16],
		const uint8_t target[16])
{
	uint8_t *ip = frame + DP_ETH_HLEN;
	uint8_t dst[16], dst_mac[DP_ETH_ALEN] = {0x33, 0x33};

	/* To the target's solicited-node group, at its MAC 33:33 + low 32 bits (RFC 2464 §7). */
	dp_ipv6_solicited_node(target, dst);
	memcpy(dst_mac + 2, dst + 12, 4);
	write_eth(frame, dst_mac, src_mac, ETHERTYPE_IPV6);
	write_ipv6(ip, src, dst, 0, IPPROTO_ICMPV6_, ND_HOP_LIMIT, ND_MSG_LEN + 8);
	write_nd(ip, ICMP6_NS, 0, target, ND_OPT_SRC_LLADDR, src_mac);
}

void
dp_ndp_write_na(uint8_t *frame, const uint8_t src_mac[DP_ETH_ALEN], const uint8_t src[16],
		const uint8_t dst_mac[DP_ETH_ALEN], const uint8_t dst[16], uint8_t na_flags)
{
	uint8_t *ip = frame + DP_ETH_HLEN;

	write_eth(frame, dst_mac, src_mac, ETHERTYPE_IPV6);
	write_ipv6(ip, src, dst, 0, IPPROTO_ICMPV6_, ND_HOP_LIMIT, ND_MSG_LEN + 8);
	write_nd(ip, ICMP6_NA, na_flags, src, ND_OPT_TGT_LLADDR, src_mac);
}
