/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Shared fixtures of the dataplane suites: the addresses of "us" and of one peer, and frames
 * built independently of dataplane/ (a separate script, each frame decoded by tshark with
 * every checksum reported correct). Addresses are in the benchmarking ranges 198.18.0.0/15
 * (RFC 2544) and 2001:2::/48 (RFC 5180); the frames only ever travel through in-memory rings.
 */
#ifndef HB_DP_TEST_H
#define HB_DP_TEST_H

#include <string.h>

#include <dataplane/pkt.h>

#include "hb_test.h"

#define US_MAC	  "020000000001"
#define PEER_MAC  "020000000002"
#define US_IP4	  "c6120001"			     /* 198.18.0.1 */
#define PEER_IP4  "c6120002"			     /* 198.18.0.2 */
#define US_IP6	  "20010002000000000000000000000001" /* 2001:2::1 */
#define PEER_IP6  "20010002000000000000000000000002" /* 2001:2::2 */
#define US_PORT	  443
#define PEER_PORT 50000
#define PAYLOAD	  "hayabusa-quic"

/* Peer -> us: IPv4 UDP 50000 -> 443, TOS 0x02 (ECT(0)), id 0x1234, DF; UDP checksum 0xf11b. */
#define RX_UDP4                                                                                    \
	"020000000001 020000000002 0800"                                                           \
	"4502 0029 1234 4000 4011 9c66 c6120002 c6120001"                                          \
	"c350 01bb 0015 f11b 68617961627573612d71756963"
/* Peer -> us: IPv6 UDP, traffic class 0x01 (ECT(1)), hop limit 64; UDP checksum 0x3d3b. */
#define RX_UDP6                                                                                    \
	"020000000001 020000000002 86dd"                                                           \
	"6010 0000 0015 11 40 20010002000000000000000000000002"                                    \
	"20010002000000000000000000000001"                                                         \
	"c350 01bb 0015 3d3b 68617961627573612d71756963"
/* Peer asks who has 198.18.0.1 (RFC 826), to broadcast. */
#define RX_ARP_REQ                                                                                 \
	"ffffffffffff 020000000002 0806"                                                           \
	"0001 0800 06 04 0001 020000000002 c6120002 000000000000 c6120001"
/* Peer's Neighbor Solicitation for 2001:2::1 to ff02::1:ff00:1, with its link-layer address
 * (RFC 4861 §4.3); ICMPv6 checksum 0x3793. */
#define RX_NS                                                                                      \
	"3333ff000001 020000000002 86dd"                                                           \
	"6000 0000 0020 3a ff 20010002000000000000000000000002"                                    \
	"ff0200000000000000000001ff000001"                                                         \
	"87 00 3793 00000000 20010002000000000000000000000001 01 01 020000000002"

/* Us -> peer, what dataplane/ must write: UDP over IPv4 with ECT(1), id 0, DF, TTL 64. */
#define TX_UDP4                                                                                    \
	"020000000002 020000000001 0800"                                                           \
	"4501 0029 0000 4000 4011 ae9b c6120001 c6120002"                                          \
	"01bb c350 0015 f11b 68617961627573612d71756963"
/* Us -> peer: UDP over IPv6 with ECT(0), hop limit 64. */
#define TX_UDP6                                                                                    \
	"020000000002 020000000001 86dd"                                                           \
	"6020 0000 0015 11 40 20010002000000000000000000000001"                                    \
	"20010002000000000000000000000002"                                                         \
	"01bb c350 0015 3d3b 68617961627573612d71756963"
/* Our ARP reply to RX_ARP_REQ. */
#define TX_ARP_REPLY                                                                               \
	"020000000002 020000000001 0806"                                                           \
	"0001 0800 06 04 0002 020000000001 c6120001 020000000002 c6120002"
/* Our ARP request for the peer. */
#define TX_ARP_REQ                                                                                 \
	"ffffffffffff 020000000001 0806"                                                           \
	"0001 0800 06 04 0001 020000000001 c6120001 000000000000 c6120002"
/* Our Neighbor Advertisement answering RX_NS: solicited, override, target link-layer addr. */
#define TX_NA                                                                                      \
	"020000000002 020000000001 86dd"                                                           \
	"6000 0000 0020 3a ff 20010002000000000000000000000001"                                    \
	"20010002000000000000000000000002"                                                         \
	"88 00 b395 60000000 20010002000000000000000000000001 02 01 020000000001"
/* Our Neighbor Solicitation for the peer, to ff02::1:ff00:2. */
#define TX_NS                                                                                      \
	"3333ff000002 020000000001 86dd"                                                           \
	"6000 0000 0020 3a ff 20010002000000000000000000000001"                                    \
	"ff0200000000000000000001ff000002"                                                         \
	"87 00 3793 00000000 20010002000000000000000000000002 01 01 020000000001"

#define FRAME_MAX 256

/* A frame from its hex, in a buffer aligned like an mbuf's data. */
struct frame {
	_Alignas(64) uint8_t b[FRAME_MAX];
	size_t len;
};

static inline void
frame_hex(struct frame *f, const char *hex)
{
	memset(f->b, 0, sizeof(f->b));
	f->len = hb_hex(hex, f->b, sizeof(f->b));
	cr_assert(gt(sz, f->len, 0), "bad fixture hex");
}

static inline void
hex_bytes(const char *hex, uint8_t *out, size_t n)
{
	cr_assert(eq(sz, hb_hex(hex, out, n), n));
}

/* Our interface: 198.18.0.1/24 via 198.18.0.254, 2001:2::1/64, UDP port 443, MTU 1500. */
static inline void
iface_us(struct dp_iface *ifc)
{
	memset(ifc, 0, sizeof(*ifc));
	hex_bytes(US_MAC, ifc->mac, 6);
	ifc->has_ip4 = true;
	hex_bytes(US_IP4, ifc->ip4, 4);
	ifc->prefix4 = 24;
	ifc->has_gw4 = true;
	hex_bytes("c61200fe", ifc->gw4, 4);
	ifc->has_ip6 = true;
	hex_bytes(US_IP6, ifc->ip6, 16);
	ifc->prefix6 = 64;
	ifc->udp_port = US_PORT;
	ifc->mtu = 1500;
}

/* The path of the peer's datagrams, seen from us. */
static inline void
path_us_peer(struct dp_path *p, uint8_t family, uint16_t port_id)
{
	memset(p, 0, sizeof(*p));
	p->port_id = port_id;
	p->local.family = family;
	p->remote.family = family;
	p->local.port = US_PORT;
	p->remote.port = PEER_PORT;
	if (family == DP_AF_INET) {
		hex_bytes(US_IP4, p->local.ip, 4);
		hex_bytes(PEER_IP4, p->remote.ip, 4);
	} else {
		hex_bytes(US_IP6, p->local.ip, 16);
		hex_bytes(PEER_IP6, p->remote.ip, 16);
	}
}

#endif /* HB_DP_TEST_H */
