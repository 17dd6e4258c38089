/* SPDX-License-Identifier: BSD-3-Clause */
/* Test addresses in 198.18.0.0/15 (RFC 2544 benchmarking range), shared by the in-process
 * client/server drivers (tests/transport/pair.c, tests/fuzz/fuzz_conn.c). No Criterion. */
#ifndef HB_TEST_ADDR_H
#define HB_TEST_ADDR_H

#include <stdint.h>
#include <string.h>

#include <quic/conn.h>

/* 198.18.0.last:port */
static inline void
hb_test_addr4(struct quic_addr *a, uint8_t last, uint16_t port)
{
	memset(a, 0, sizeof(*a));
	a->family = QUIC_AF_INET;
	a->port = port;
	a->ip[0] = 198;
	a->ip[1] = 18;
	a->ip[3] = last;
}

#endif /* HB_TEST_ADDR_H */
