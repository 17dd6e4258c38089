/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Dataplane frame parser (dp_rx_parse): arbitrary bytes as an Ethernet frame on an interface
 * with IPv4 and IPv6 addresses, with and without the NIC's checksum verdicts. A frame is either
 * a counted drop or a kind whose payload lies inside the frame; the link-floor reflector's
 * answer to a UDP payload (dp_echo_len) never reaches past it.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <dataplane/pkt.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
iface(struct dp_iface *ifc)
{
	static const uint8_t mac[DP_ETH_ALEN] = {0x02, 0, 0, 0, 0, 1};
	static const uint8_t ip4[4] = {198, 18, 0, 1};
	static const uint8_t ip6[16] = {0xfd, 0, 0x48, 0x42, 0x53, 0x59, [15] = 1};

	memset(ifc, 0, sizeof(*ifc));
	memcpy(ifc->mac, mac, sizeof(mac));
	memcpy(ifc->ip4, ip4, sizeof(ip4));
	memcpy(ifc->ip6, ip6, sizeof(ip6));
	ifc->has_ip4 = true;
	ifc->has_ip6 = true;
	ifc->prefix4 = 24;
	ifc->prefix6 = 64;
	ifc->udp_port = 0;
	ifc->mtu = 1500;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned verdicts[] = {0, DP_RX_IP_CSUM_GOOD | DP_RX_L4_CSUM_GOOD,
					    DP_RX_IP_CSUM_BAD, DP_RX_L4_CSUM_BAD};
	struct dp_iface ifc;

	iface(&ifc);
	for (size_t v = 0; v < sizeof(verdicts) / sizeof(verdicts[0]); v++) {
		struct dp_counters cnt;
		struct dp_rx_info out;
		int kind;

		memset(&cnt, 0, sizeof(cnt));
		kind = dp_rx_parse(&ifc, data, size, verdicts[v], &out, &cnt);
		if (kind == DP_PKT_UDP && (size_t)out.payload_off + out.payload_len > size)
			abort(); /* the payload must lie inside the frame */
		/* The reflector's answer (--echo-port) never reaches past the payload. */
		if (kind == DP_PKT_UDP &&
		    dp_echo_len(data + out.payload_off, out.payload_len) > out.payload_len)
			abort();
	}
	return 0;
}
