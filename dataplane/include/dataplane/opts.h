/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The dataplane's own command-line options. DPDK convention: EAL options first (-l/--lcores,
 * --vdev, -a, ...), then "--", then these; rte_eal_init() returns how many arguments it took,
 * and the caller passes the rest here with the program name in front:
 *
 *   n = rte_eal_init(argc, argv);  dp_opts_parse(&o, argc - n, argv + n, err, sizeof(err));
 *
 * Options (defaults in brackets):
 *   --port ID[,ip=ADDR/LEN][,gw=ADDR]...   a DPDK port to serve, repeatable; ip= and gw= take
 *                                          IPv4 or IPv6, at most one of each family
 *   --udp-port N        listening UDP port, 0 for every port [443]
 *   --rxd N, --txd N    RX / TX descriptors per queue, 64..32768 [1024]
 *   --ring-size N       steering ring slots per worker, power of two 64..65536 [1024]
 *   --mbufs N           mbufs per worker pool, 0 to size from the above [0]
 *   --mtu N             IP MTU, 1280..9000 [1500]
 *   --poll MODE         busy (pure polling) or adaptive (back off when idle) [adaptive]
 *   --tx-drain-us N     longest a queued TX frame waits for a full burst, 1..10000 [100]
 *   --stats N           print counters every N seconds, 0 for never [0]
 *   --help
 * One worker runs per EAL lcore; each owns one RX and one TX queue on every port.
 */
#ifndef HB_DATAPLANE_OPTS_H
#define HB_DATAPLANE_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DP_MAX_PORTS 4

enum dp_poll_mode {
	DP_POLL_ADAPTIVE = 0, /* pause, then short bounded sleeps when idle */
	DP_POLL_BUSY,	      /* never sleep: dedicated NIC hosts */
};

/* Addresses of one port, network byte order. */
struct dp_port_opts {
	uint16_t port_id;
	bool has_ip4;
	bool has_gw4;
	bool has_ip6;
	bool has_gw6;
	uint8_t prefix4;
	uint8_t prefix6;
	uint8_t ip4[4];
	uint8_t gw4[4];
	uint8_t ip6[16];
	uint8_t gw6[16];
};

struct dp_opts {
	struct dp_port_opts port[DP_MAX_PORTS];
	unsigned nb_ports;
	uint16_t udp_port;
	/*
	 * Benchmarks only (bench/compare.sh's link floor of a request in and an answer out): each
	 * datagram to this UDP port is answered from the worker that received it, no QUIC, with
	 * the first N bytes of its payload, N being the big-endian 16-bit number in payload
	 * bytes 1..2 and at most the payload's length (never more bytes out than in). 0: off.
	 */
	uint16_t echo_port;
	uint16_t rxd;
	uint16_t txd;
	uint16_t mtu;
	uint32_t ring_size;
	uint32_t mbufs;
	uint32_t tx_drain_us;
	uint32_t stats_s;
	enum dp_poll_mode poll;
	bool help; /* --help was given: print dp_opts_usage() and exit */
};

/* Defaults (no port). */
void dp_opts_default(struct dp_opts *o);

/*
 * A size or count for the command line: decimal digits, then optionally K, M or G (either
 * case, 1024-based), within lo..hi. For the applications' options as well as ours.
 * @return 0, or -1 (empty, not a number, unknown suffix, overflow, out of range)
 */
int dp_parse_size(const char *s, uint64_t lo, uint64_t hi, uint64_t *out);

/*
 * Parse argv[1..argc) into o, which starts from dp_opts_default().
 * @param err  receives a one-line message on error (NUL-terminated, cut to err_len)
 * @return 0, DP_ERR_INVAL (unknown option, missing or bad value, no --port, duplicate port)
 */
int dp_opts_parse(struct dp_opts *o, int argc, char *const argv[], char *err, size_t err_len);

/* Whether arg ("--rxd", ...) is one of the options above; all of them take a value. */
bool dp_opts_takes_value(const char *arg);

/* Whether argv[1..argc) holds --help or -h (checked before rte_eal_init(), which rejects them). */
bool dp_opts_wants_help(int argc, char *const argv[]);

/*
 * An application's parser of the arguments after "--": it fills its own options and collects
 * the dataplane options above, in order, into dp_argv (room for argc + DP_OPTS_ARGV_EXTRA
 * entries). @return 0, or -1 with a one-line message in err
 */
typedef int (*dp_app_opts_parse_fn)(void *app_opts, int argc, char **argv, char **dp_argv,
				    int *dp_argc, char *err, size_t err_len);
#define DP_OPTS_ARGV_EXTRA 8

/*
 * Parse the arguments after "--" with the application's parser, then the dataplane options it
 * collected into dpo (which starts from dp_opts_default()).
 * @return 0, DP_ERR_NOMEM, DP_ERR_INVAL with a one-line message in err
 */
int dp_opts_parse_app(struct dp_opts *dpo, dp_app_opts_parse_fn app_parse, void *app_opts, int argc,
		      char **argv, char *err, size_t err_len);

/* Multi-line usage text of the options above. */
const char *dp_opts_usage(void);

#ifdef __cplusplus
}
#endif

#endif /* HB_DATAPLANE_OPTS_H */
