/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Ethernet, ARP, IPv4, IPv6, NDP and UDP on plain bytes: the parser the worker runs on every
 * received frame, the writers for what it sends, and Internet checksums (RFC 1071). Nothing
 * here needs an mbuf or the EAL, so all of it is tested without DPDK running.
 *
 * The parser never trusts a length field before checking it against the frame, and every
 * rejection is a counted drop (struct dp_counters, reason by reason): bad input is never an
 * assertion and never a read past the frame.
 */
#ifndef HB_DATAPLANE_PKT_H
#define HB_DATAPLANE_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <dataplane/counters.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Address families, with the values of quic/'s QUIC_AF_INET and QUIC_AF_INET6. */
#define DP_AF_INET  4
#define DP_AF_INET6 6

#define DP_ETH_ALEN	 6
#define DP_ETH_HLEN	 14
#define DP_IPV4_HLEN	 20
#define DP_IPV6_HLEN	 40
#define DP_UDP_HLEN	 8
#define DP_ARP_FRAME_LEN (DP_ETH_HLEN + 28)
#define DP_NDP_FRAME_LEN (DP_ETH_HLEN + DP_IPV6_HLEN + 32) /* NS/NA with one link-layer option */
#define DP_UDP4_HDRS	 (DP_ETH_HLEN + DP_IPV4_HLEN + DP_UDP_HLEN)
#define DP_UDP6_HDRS	 (DP_ETH_HLEN + DP_IPV6_HLEN + DP_UDP_HLEN)

/* A UDP endpoint: IPv4 in ip[0..4), IPv6 in ip[0..16), network byte order; port host order. */
struct dp_addr {
	uint8_t family; /* DP_AF_INET or DP_AF_INET6 */
	uint16_t port;
	uint8_t ip[16];
};

/* The 4-tuple a datagram came in on or goes out on, and the port (NIC) it uses. */
struct dp_path {
	struct dp_addr local;
	struct dp_addr remote;
	uint16_t port_id; /* DPDK port */
	/* ECN codepoint (RFC 3168): as received on RX; to send on TX, where the sender sets it
	 * itself (ECT(0) or not-ECT) rather than echo what came in; CE is sent as not-ECT. */
	uint8_t ecn;
};

/*
 * One port's addresses, fixed before the workers start. Addresses in network byte order.
 * IPv4 and IPv6 are each optional; a gateway is the next hop for off-link destinations.
 */
struct dp_iface {
	uint8_t mac[DP_ETH_ALEN];
	bool has_ip4;
	bool has_gw4;
	bool has_ip6;
	bool has_gw6;
	uint8_t prefix4; /* on-link prefix length, 0..32 */
	uint8_t prefix6; /* 0..128 */
	uint8_t ip4[4];
	uint8_t gw4[4];
	uint8_t ip6[16];
	uint8_t gw6[16];
	uint16_t udp_port;  /* listening UDP port, host order; 0: every port */
	uint16_t echo_port; /* link-floor reflector (dp_opts.echo_port), host order; 0: none */
	uint16_t mtu;	    /* IP MTU (1500 on Ethernet) */
};

/* What a frame is, once parsed. */
enum dp_pkt_kind {
	DP_PKT_DROP = 0, /* counted drop */
	DP_PKT_UDP,	 /* a UDP datagram for us: path, payload_off, payload_len */
	DP_PKT_ARP,	 /* a well-formed ARP request or reply (for us or not) */
	DP_PKT_NS,	 /* a Neighbor Solicitation for one of our addresses */
	DP_PKT_NA,	 /* a Neighbor Advertisement */
};

#define DP_ARP_OP_REQUEST 1
#define DP_ARP_OP_REPLY	  2

/* NA flags (RFC 4861 §4.4), as in the first byte of the reserved word. */
#define DP_NA_ROUTER	0x80
#define DP_NA_SOLICITED 0x40
#define DP_NA_OVERRIDE	0x20

struct dp_rx_info {
	uint8_t kind; /* enum dp_pkt_kind */
	/* DP_PKT_UDP */
	struct dp_path path; /* port_id is left 0: the caller knows the port */
	uint16_t payload_off;
	uint16_t payload_len;
	/* DP_PKT_ARP, DP_PKT_NS, DP_PKT_NA */
	uint8_t family;
	uint16_t arp_op;	      /* DP_ARP_OP_* */
	uint8_t na_flags;	      /* DP_NA_* */
	bool target_is_us;	      /* ARP target / NS target is our address */
	bool has_lladdr;	      /* lladdr below is valid */
	uint8_t lladdr[DP_ETH_ALEN];  /* ARP sender MAC, NS source or NA target link-layer addr */
	uint8_t eth_src[DP_ETH_ALEN]; /* Ethernet source, where an answer goes */
	uint8_t sender_ip[16];	      /* ARP sender IP, NS/NA IPv6 source */
	uint8_t target_ip[16];	      /* ARP target IP, NS/NA target */
};

/* Hardware checksum verdicts for dp_rx_parse(), from the mbuf's RX offload flags. */
#define DP_RX_IP_CSUM_GOOD 0x1
#define DP_RX_IP_CSUM_BAD  0x2
#define DP_RX_L4_CSUM_GOOD 0x4
#define DP_RX_L4_CSUM_BAD  0x8

/*
 * Parse one Ethernet frame received on ifc. Checksums are verified in software unless csum
 * (DP_RX_*) carries the NIC's verdict.
 * @param frame  len bytes, borrowed for the call
 * @param cnt    receives one drop count, by reason, when the frame is dropped
 * @return the enum dp_pkt_kind, DP_PKT_DROP for a counted drop; out is filled for the kind
 */
int dp_rx_parse(const struct dp_iface *ifc, const uint8_t *frame, size_t len, unsigned csum,
		struct dp_rx_info *out, struct dp_counters *cnt);

/*
 * The answer the link-floor reflector (dp_opts.echo_port) gives a UDP payload of len bytes: as
 * many of its first bytes as its bytes 1..2 ask (big-endian), never more than it carried.
 * @return the answer's length; 0 (a counted drop for the caller) for a request of 0 bytes or a
 *         payload too short to hold one
 */
size_t dp_echo_len(const uint8_t *payload, size_t len);

/*
 * Internet checksum (RFC 1071) of buf, complemented, as a host-order number (store it with
 * htons or a big-endian write). Over data that holds a correct checksum the result is 0.
 */
uint16_t dp_inet_csum(const void *buf, size_t len);

/*
 * Whether checksums may use the CPU's vector instructions (AVX2 where present; the default) or
 * only the portable 64-bit loop. For tests and measurements that compare the two; set it before
 * any worker runs.
 */
void dp_csum_set_simd(bool on);
/* IPv4 header checksum over hdr_len bytes, the checksum field counted as zero. */
uint16_t dp_ipv4_hdr_csum(const uint8_t *ip, size_t hdr_len);
/*
 * UDP or ICMPv6 checksum with the pseudo-header of RFC 768 / RFC 8200 §8.1, over l4_len bytes
 * at l4 with its checksum field counted as zero (csum_off: offset of that field in l4;
 * l4_len >= csum_off + 2).
 * A UDP result of 0 is returned as 0xffff (RFC 768).
 */
uint16_t dp_l4_csum(uint8_t family, const uint8_t *src, const uint8_t *dst, uint8_t proto,
		    const uint8_t *l4, size_t l4_len, size_t csum_off);

/* The pseudo-header sum alone, not complemented: what a NIC's L4 checksum offload expects. */
uint16_t dp_l4_pseudo_csum(uint8_t family, const uint8_t *src, const uint8_t *dst, uint8_t proto,
			   size_t l4_len);

/* Offloads a writer leaves to the NIC; the caller then sets the mbuf's TX flags. */
#define DP_TX_IP_CSUM  0x1 /* IPv4 header checksum left at 0 */
#define DP_TX_UDP_CSUM 0x2 /* UDP checksum holds the pseudo-header sum, as DPDK requires */

/*
 * Write Ethernet, IP and UDP headers in front of a UDP payload: frame[0..hdrs) where hdrs is
 * DP_UDP4_HDRS or DP_UDP6_HDRS, payload at frame + hdrs, payload_len bytes. The source is
 * path->local (our MAC), the destination path->remote at dst_mac. IPv4 gets DF (RFC 9000 §14),
 * TTL/hop limit 64 and the ECN codepoint of path->ecn.
 * @param offload  DP_TX_* the NIC will compute
 * @return the header length, or 0 when the family is unknown
 */
size_t dp_udp_write_hdrs(uint8_t *frame, const uint8_t src_mac[DP_ETH_ALEN],
			 const uint8_t dst_mac[DP_ETH_ALEN], const struct dp_path *path,
			 size_t payload_len, unsigned offload);

/*
 * Write an ARP frame (RFC 826): DP_ARP_FRAME_LEN bytes. A request goes to broadcast with a zero
 * target MAC; a reply goes to tha.
 */
void dp_arp_write(uint8_t *frame, uint16_t op, const uint8_t sha[DP_ETH_ALEN], const uint8_t spa[4],
		  const uint8_t tha[DP_ETH_ALEN], const uint8_t tpa[4]);

/*
 * Write a Neighbor Solicitation (RFC 4861 §4.3, to target's solicited-node group, with a
 * Source Link-Layer Address option) or Advertisement (§4.4, to dst at dst_mac, with a Target
 * Link-Layer Address option): DP_NDP_FRAME_LEN bytes, hop limit 255, checksummed.
 * @param na_flags  DP_NA_* for an advertisement, ignored for a solicitation
 */
void dp_ndp_write_ns(uint8_t *frame, const uint8_t src_mac[DP_ETH_ALEN], const uint8_t src[16],
		     const uint8_t target[16]);
void dp_ndp_write_na(uint8_t *frame, const uint8_t src_mac[DP_ETH_ALEN], const uint8_t src[16],
		     const uint8_t dst_mac[DP_ETH_ALEN], const uint8_t dst[16], uint8_t na_flags);

/* Solicited-node multicast address of an IPv6 address (RFC 4291 §2.7.1). */
void dp_ipv6_solicited_node(const uint8_t ip[16], uint8_t out[16]);

/* Whether dst is on-link for ifc (same prefix; fe80::/10 is always on-link for IPv6). */
bool dp_iface_on_link(const struct dp_iface *ifc, uint8_t family, const uint8_t *dst);

#ifdef __cplusplus
}
#endif

#endif /* HB_DATAPLANE_PKT_H */
