/* SPDX-License-Identifier: BSD-3-Clause */
/* Counter names, sums and text form. */
#include <stdio.h>

#include <dataplane/counters.h>

static const char *const names[DP_CNT_MAX] = {
	[DP_CNT_RX_PKTS] = "rx_pkts",
	[DP_CNT_RX_BYTES] = "rx_bytes",
	[DP_CNT_TX_PKTS] = "tx_pkts",
	[DP_CNT_TX_BYTES] = "tx_bytes",
	[DP_CNT_RX_DATAGRAMS] = "rx_datagrams",
	[DP_CNT_TX_DATAGRAMS] = "tx_datagrams",
	[DP_CNT_STEER_OUT] = "steer_out",
	[DP_CNT_STEER_IN] = "steer_in",
	[DP_CNT_STEER_FOREIGN] = "steer_foreign",
	[DP_CNT_NEIGH_SHARED] = "neigh_shared",
	[DP_CNT_ARP_REPLIED] = "arp_replied",
	[DP_CNT_NDP_REPLIED] = "ndp_replied",
	[DP_CNT_ARP_REQUESTED] = "arp_requested",
	[DP_CNT_NDP_SOLICITED] = "ndp_solicited",
	[DP_CNT_NEIGH_LEARNED] = "neigh_learned",
	[DP_CNT_TX_RETRIES] = "tx_retries",
	[DP_CNT_IDLE_SLEEPS] = "idle_sleeps",
	[DP_CNT_ECHOED] = "echoed",
	[DP_CNT_LINK_DOWN] = "link_down_polls",
	[DP_CNT_DROP_TRUNCATED] = "drop_truncated",
	[DP_CNT_DROP_ETHERTYPE] = "drop_ethertype",
	[DP_CNT_DROP_NOT_FOR_US] = "drop_not_for_us",
	[DP_CNT_DROP_BAD_SRC] = "drop_bad_src",
	[DP_CNT_DROP_IP_HDR] = "drop_ip_hdr",
	[DP_CNT_DROP_IP_CSUM] = "drop_ip_csum",
	[DP_CNT_DROP_FRAGMENT] = "drop_fragment",
	[DP_CNT_DROP_IP_PROTO] = "drop_ip_proto",
	[DP_CNT_DROP_UDP_LEN] = "drop_udp_len",
	[DP_CNT_DROP_UDP_CSUM] = "drop_udp_csum",
	[DP_CNT_DROP_UDP_PORT] = "drop_udp_port",
	[DP_CNT_DROP_ECHO] = "drop_echo",
	[DP_CNT_DROP_ARP] = "drop_arp",
	[DP_CNT_DROP_NDP] = "drop_ndp",
	[DP_CNT_DROP_ICMP6_CSUM] = "drop_icmp6_csum",
	[DP_CNT_DROP_ICMP6_TYPE] = "drop_icmp6_type",
	[DP_CNT_DROP_MULTISEG] = "drop_multiseg",
	[DP_CNT_DROP_RING_FULL] = "drop_ring_full",
	[DP_CNT_DROP_TX_FULL] = "drop_tx_full",
	[DP_CNT_DROP_NO_MBUF] = "drop_no_mbuf",
	[DP_CNT_DROP_NEIGH_QUEUE] = "drop_neigh_queue",
	[DP_CNT_DROP_NEIGH_FAILED] = "drop_neigh_failed",
	[DP_CNT_DROP_NO_ROUTE] = "drop_no_route",
	[DP_CNT_DROP_TX_INVALID] = "drop_tx_invalid",
};

const char *
dp_cnt_name(unsigned i)
{
	return i < DP_CNT_MAX ? names[i] : NULL;
}

void
dp_counters_accumulate(struct dp_counters *acc, const struct dp_counters *src)
{
	for (unsigned i = 0; i < DP_CNT_MAX; i++)
		acc->v[i] += dp_cnt_read(src, (enum dp_cnt)i);
}

uint64_t
dp_counters_drops(const struct dp_counters *c)
{
	uint64_t sum = 0;

	for (unsigned i = DP_CNT_DROP_FIRST; i < DP_CNT_MAX; i++)
		sum += dp_cnt_read(c, (enum dp_cnt)i);
	return sum;
}

size_t
dp_counters_format(const struct dp_counters *c, int skip_zero, char *buf, size_t len)
{
	size_t total = 0;

	if (len > 0)
		buf[0] = '\0';
	for (unsigned i = 0; i < DP_CNT_MAX; i++) {
		uint64_t v = dp_cnt_read(c, (enum dp_cnt)i);
		size_t room = total < len ? len - total : 0;
		int n;

		if (v == 0 && skip_zero)
			continue;
		n = snprintf(room > 0 ? buf + total : NULL, room, "%s %llu\n", names[i],
			     (unsigned long long)v);
		if (n > 0)
			total += (size_t)n;
	}
	return total;
}
