/* SPDX-License-Identifier: BSD-3-Clause */
/* Byte-order helpers and wire constants shared by the packet parser and writers. */
#ifndef HB_DATAPLANE_PKT_INT_H
#define HB_DATAPLANE_PKT_INT_H

#include <stdint.h>
#include <string.h>

#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_ARP  0x0806
#define ETHERTYPE_IPV6 0x86dd

#define IPPROTO_UDP_	17
#define IPPROTO_ICMPV6_ 58
#define IPPROTO_FRAG6_	44

#define ICMP6_NS	  135
#define ICMP6_NA	  136
#define ND_OPT_SRC_LLADDR 1
#define ND_OPT_TGT_LLADDR 2
#define ND_HOP_LIMIT	  255 /* RFC 4861 §7.1.1, §7.1.2 */
#define ND_MSG_LEN	  24  /* type..target of NS and NA */

/* Offsets inside the headers (bytes). */
#define IP4_OFF_TOS   1
#define IP4_OFF_LEN   2
#define IP4_OFF_FRAG  6
#define IP4_OFF_TTL   8
#define IP4_OFF_PROTO 9
#define IP4_OFF_CSUM  10
#define IP4_OFF_SRC   12
#define IP4_OFF_DST   16
#define IP6_OFF_PLEN  4
#define IP6_OFF_NH    6
#define IP6_OFF_HLIM  7
#define IP6_OFF_SRC   8
#define IP6_OFF_DST   24
#define UDP_OFF_CSUM  6

static inline uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t
rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void
wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void
wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline int
is_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] != 0)
			return 0;
	}
	return 1;
}

#endif /* HB_DATAPLANE_PKT_INT_H */
