/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-worker counters: packets and bytes, drops by reason, steering hand-offs, neighbour
 * protocol work. Each worker writes only its own struct dp_counters (cache-aligned, so two
 * workers never share a line); a control thread sums them on demand (dp_stats() in dp.h) and
 * formats them with dp_counters_format().
 *
 * Concurrency: a counter has one writer, its worker, which updates it with a relaxed atomic
 * load and store (a plain add on x86-64, no locked instruction); readers on other threads use
 * relaxed atomic loads (dp_counters_snapshot()). The pair makes every read return a value the
 * counter really held, never a torn one; counters carry no ordering with other data.
 */
#ifndef HB_DATAPLANE_COUNTERS_H
#define HB_DATAPLANE_COUNTERS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum dp_cnt {
	DP_CNT_RX_PKTS = 0,   /* frames taken from NIC queues */
	DP_CNT_RX_BYTES,      /* their Ethernet bytes */
	DP_CNT_TX_PKTS,	      /* frames the NIC accepted */
	DP_CNT_TX_BYTES,      /* their Ethernet bytes */
	DP_CNT_RX_DATAGRAMS,  /* UDP datagrams handed to on_datagram */
	DP_CNT_TX_DATAGRAMS,  /* UDP datagrams committed by the application */
	DP_CNT_STEER_OUT,     /* frames put on other workers' rings (datagrams, shared ARP/NDP) */
	DP_CNT_STEER_IN,      /* frames taken from this worker's ring */
	DP_CNT_STEER_FOREIGN, /* DCID not one of ours (other server, undecodable): kept */
	DP_CNT_NEIGH_SHARED,  /* ARP/NDP frames passed to the other workers to learn from */
	DP_CNT_ARP_REPLIED,   /* ARP requests for our address answered */
	DP_CNT_NDP_REPLIED,   /* Neighbor Solicitations for our address answered */
	DP_CNT_ARP_REQUESTED, /* ARP requests sent to resolve a next hop */
	DP_CNT_NDP_SOLICITED, /* Neighbor Solicitations sent to resolve a next hop */
	DP_CNT_NEIGH_LEARNED, /* neighbour entries created or updated */
	DP_CNT_TX_RETRIES,    /* TX bursts the NIC took only in part */
	DP_CNT_IDLE_SLEEPS,   /* back-off sleeps of an idle worker */
	DP_CNT_LINK_DOWN,     /* port polls skipped: net_memif link down (dp_port_link_up()) */
	DP_CNT_ECHOED,	      /* datagrams to --echo-port answered (link-floor reflector) */
	/* Drops, by reason. Every frame is either consumed or counted here exactly once. */
	DP_CNT_DROP_TRUNCATED,	  /* frame shorter than a header or a length field says */
	DP_CNT_DROP_ETHERTYPE,	  /* neither ARP, IPv4 nor IPv6 (VLAN tags included) */
	DP_CNT_DROP_NOT_FOR_US,	  /* destination MAC or IP address not ours */
	DP_CNT_DROP_BAD_SRC,	  /* source MAC or IP address that cannot be answered */
	DP_CNT_DROP_IP_HDR,	  /* IP version, IHL or length fields inconsistent */
	DP_CNT_DROP_IP_CSUM,	  /* IPv4 header checksum wrong */
	DP_CNT_DROP_FRAGMENT,	  /* IPv4 or IPv6 fragment (QUIC never fragments, RFC 9000 §14) */
	DP_CNT_DROP_IP_PROTO,	  /* not UDP (or ICMPv6), IPv6 extension headers */
	DP_CNT_DROP_UDP_LEN,	  /* UDP length disagrees with the IP length */
	DP_CNT_DROP_UDP_CSUM,	  /* UDP checksum wrong, or zero over IPv6 (RFC 8200 §8.1) */
	DP_CNT_DROP_UDP_PORT,	  /* no listener on that UDP port */
	DP_CNT_DROP_ECHO,	  /* to --echo-port asking for no answer (bytes 1..2 zero) */
	DP_CNT_DROP_ARP,	  /* malformed or unsupported ARP */
	DP_CNT_DROP_NDP,	  /* Neighbor Discovery message failing RFC 4861 §7.1 validation */
	DP_CNT_DROP_ICMP6_CSUM,	  /* ICMPv6 checksum wrong */
	DP_CNT_DROP_ICMP6_TYPE,	  /* ICMPv6 type not handled (echo, RA, redirect, ...) */
	DP_CNT_DROP_MULTISEG,	  /* frame spread over several mbufs */
	DP_CNT_DROP_RING_FULL,	  /* another worker's steering ring was full */
	DP_CNT_DROP_TX_FULL,	  /* TX queue stayed full through every retry */
	DP_CNT_DROP_NO_MBUF,	  /* the worker's pool was empty */
	DP_CNT_DROP_NEIGH_QUEUE,  /* too many datagrams waiting for one address to resolve */
	DP_CNT_DROP_NEIGH_FAILED, /* next hop did not answer ARP/NDP */
	DP_CNT_DROP_NO_ROUTE,	  /* off-link destination and no gateway */
	DP_CNT_DROP_TX_INVALID,	  /* datagram committed with a bad path or length */
	DP_CNT_MAX
};

#define DP_CNT_DROP_FIRST DP_CNT_DROP_TRUNCATED

struct dp_counters {
	uint64_t v[DP_CNT_MAX];
} __attribute__((aligned(64)));

/* Add to a counter: owning worker only (relaxed store, pairs with dp_counters_snapshot()). */
static inline void
dp_cnt_add(struct dp_counters *c, enum dp_cnt i, uint64_t n)
{
	__atomic_store_n(&c->v[i], __atomic_load_n(&c->v[i], __ATOMIC_RELAXED) + n,
			 __ATOMIC_RELAXED);
}

static inline void
dp_cnt_inc(struct dp_counters *c, enum dp_cnt i)
{
	dp_cnt_add(c, i, 1);
}

/* Relaxed read of one counter; any thread (pairs with dp_cnt_add()). */
static inline uint64_t
dp_cnt_read(const struct dp_counters *c, enum dp_cnt i)
{
	return __atomic_load_n(&c->v[i], __ATOMIC_RELAXED);
}

/* Name of a counter ("rx_pkts", "drop_udp_csum", ...); NULL when i is out of range. */
const char *dp_cnt_name(unsigned i);

/* Add a snapshot of src into acc, counter by counter; any thread. */
void dp_counters_accumulate(struct dp_counters *acc, const struct dp_counters *src);

/* Sum of every drop counter. */
uint64_t dp_counters_drops(const struct dp_counters *c);

/*
 * Format as "name value" lines (zero counters left out when skip_zero is set).
 * @return the length of the full text (as snprintf: the output is cut, but still
 *         NUL-terminated, when this is >= len)
 */
size_t dp_counters_format(const struct dp_counters *c, int skip_zero, char *buf, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* HB_DATAPLANE_COUNTERS_H */
