/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The hayabusa server: glue between the dataplane (dataplane/dp.h), the QUIC connection
 * (quic/conn.h) and the HTTP/3 / hq-interop application (quic/h3.h).
 *
 * Threads: main() runs the control part (options, set-up, then worker 0 inside dp_run()); a
 * control thread waits for SIGINT/SIGTERM and prints --stats; every worker owns one struct
 * srv_worker, reached only from its own lcore except for the counters (single writer,
 * relaxed atomics) and the stop flag of struct srv.
 *
 * Names: srv_ is this binary's prefix (dataplane/server/), kept out of the dp_ library.
 */
#ifndef HB_SRV_H
#define HB_SRV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <crypto/tls.h>
#include <dataplane/dp.h>
#include <quic/conn.h>
#include <quic/h3.h>
#include <quic/token.h>

#include "qlog.h"

#define SRV_MAX_ALPN	  4
#define SRV_MAX_LISTEN	  4
#define SRV_SID_MAX	  15
#define SRV_RESET_KEY_LEN 32
#define SRV_MAX_WORKERS	  128
#define SRV_TICKET_SLOTS  4 /* published ticket keys a worker may still be copying */

/* --worker-memory bounds: 64 KiB (a few connections) to 1 TiB. */
#define SRV_WORKER_MEM_MIN (UINT64_C(64) << 10)
#define SRV_WORKER_MEM_MAX (UINT64_C(1) << 40)
/*
 * What one connection costs beyond what the server accounts (its slot, quic_conn_mem_bytes(),
 * stream buffers, quic_app_mem_bytes()): the TLS engine's state and the AEAD and
 * header-protection contexts of crypto/, with OpenSSL's own allocations behind them, and the
 * allocator's overhead. Measured by bench/conn_memory.sh at 100,000 established idle h3
 * connections on one worker: RSS growth 7,778 B a connection, accounted 5,944 B, so 1,834 B
 * (heaptrack: three AEAD handles of 448 B and two header-protection handles of 208 B, from
 * slabs of the worker's crypto context, and allocator overhead); growth from the start
 * (fixed costs included) leaves 2,072 B: rounded up from that.
 */
#define SRV_CONN_UNACCOUNTED 2176u
/* The least a connection is charged (a lower bound, used to size --max-conns from
 * --worker-memory so that the budget and not the slot count is the limit). */
#define SRV_CONN_CHARGE_MIN SRV_CONN_UNACCOUNTED

enum srv_retry {
	SRV_RETRY_NEVER = 0,
	SRV_RETRY_ALWAYS,
	SRV_RETRY_AUTO,
};

/* Everything the options say; immutable once the workers start. */
struct srv_opts {
	char listen[SRV_MAX_LISTEN][96];
	unsigned n_listen;
	const char *cert;
	const char *key;
	const char *root;
	const char *alpn[SRV_MAX_ALPN];
	size_t n_alpn;
	char alpn_buf[128];
	enum srv_retry retry;
	uint32_t retry_auto_handshakes; /* --retry auto thresholds (0: the defaults) */
	uint32_t retry_auto_rate;
	const char *token_keys;
	uint8_t server_id[SRV_SID_MAX];
	uint8_t sid_len;
	const char *cc;
	const char *keylog;
	const char *qlog_dir;
	bool tickets;	 /* --tickets: TLS session tickets for resumption (RFC 9846 §4.6.1) */
	bool early_data; /* --early-data: tickets allow 0-RTT, accepted (RFC 9001 §4.6) */
	bool new_token;	 /* --new-token: NEW_TOKEN after the handshake (RFC 9000 §8.1.3) */
	uint32_t max_conns;
	bool max_conns_set; /* given on the command line (else derived from worker_mem) */
	/* --worker-memory: budget of the memory charged for one worker's connections, in bytes
	   (0: none). See budget_allows() in endpoint.c. */
	uint64_t worker_mem;
	uint32_t idle_timeout_ms;
	/* --versions: spoken and preferred (RFC 9368 §2.3), in order; 0 of them: the defaults. */
	uint32_t versions[QUIC_CONN_MAX_VERSIONS];
	size_t n_versions;
	bool help;
	/* Dataplane arguments made from --listen: "--port 0,ip=...", "--udp-port N". */
	char port_arg[256];
	char udp_port_arg[12];
	char flag_port[8];
	char flag_udp_port[12];
	char prog[12];
};

/* Server counters of one worker: one writer (the worker), readers use relaxed loads. */
enum srv_cnt {
	SRV_CNT_ACCEPTED = 0,  /* connections made */
	SRV_CNT_CLOSED,	       /* connections freed */
	SRV_CNT_ACTIVE,	       /* connections held now (gauge) */
	SRV_CNT_HANDSHAKES,    /* handshakes completed */
	SRV_CNT_REFUSED_FULL,  /* Initials dropped: --max-conns reached, or stopping */
	SRV_CNT_SCREEN_DROP,   /* datagrams for no connection dropped by quic_server_screen() */
	SRV_CNT_SCREEN_REPLY,  /* Version Negotiation or Retry sent */
	SRV_CNT_ACCEPT_FAIL,   /* quic_conn_accept() refused an Initial */
	SRV_CNT_UNKNOWN_CID,   /* short-header datagrams whose DCID names no connection */
	SRV_CNT_APP_ERRORS,    /* connections closed for an application protocol error */
	SRV_CNT_TX_FAIL,       /* datagrams written but not sent (no mbuf, path, queue full) */
	SRV_CNT_RETRY_SENT,    /* Retry packets sent by the validator (RFC 9000 §8.1.2) */
	SRV_CNT_VALIDATED,     /* connections whose address a Retry token proved */
	SRV_CNT_RESUMED,       /* handshakes that resumed a session from a ticket */
	SRV_CNT_KEY_UPDATES,   /* 1-RTT key phases started, by either side (RFC 9001 §6) */
	SRV_CNT_MIGRATIONS,    /* peer address changes seen (RFC 9000 §9.3) */
	SRV_CNT_NEW_TOKENS,    /* NEW_TOKEN tokens sealed for clients (RFC 9000 §8.1.3) */
	SRV_CNT_RESET_SENT,    /* Stateless Resets sent for unknown CIDs (RFC 9000 §10.3) */
	SRV_CNT_RESET_LIMITED, /* Stateless Resets not sent: the per-worker rate limit */
	/* Initials whose Retry token opened and checked (RFC 9000 §8.1.2), whether or not a
	   connection followed (--max-conns reached: also refused_full) */
	SRV_CNT_TOKENS_VALID,
	/* Gauge: bytes held by the live connections, as of each one's last service: the server's
	   slot (struct srv_conn), quic_conn_mem_bytes(), its stream data buffers and its
	   application state (quic_app_mem_bytes()). Not counted:
	   the TLS engine's state and the AEAD contexts of crypto/ (outside quic/), the slot array
	   and CID table sized by --max-conns (allocated at start whether used or not). */
	SRV_CNT_CONN_MEM,
	SRV_CNT_HS_FAILED, /* connections freed before their handshake completed (closed by
			    * either side, idle timeout, shutdown): conns_accepted ==
			    * handshakes + hs_failed + handshakes still in flight */
	SRV_CNT_HS_V2,	   /* handshakes completed in QUIC v2 (RFC 9369) */
	SRV_CNT_ZERO_RTT,  /* handshakes whose 0-RTT data was accepted (RFC 9001 §4.6) */
	/* Initials dropped: a new connection's charge would take the worker's charged memory
	   above --worker-memory (the client sees what refused_full gives it: no answer) */
	SRV_CNT_REFUSED_MEM,
	/* Gauge: the worker's charged memory, what --worker-memory is compared with: the
	   connections' accounted bytes (conn_mem_bytes) plus SRV_CONN_UNACCOUNTED for each */
	SRV_CNT_MEM_CHARGED,
	SRV_CNT_MAX
};

struct srv_counters {
	uint64_t v[SRV_CNT_MAX];
} __attribute__((aligned(64)));

/* The process-wide, immutable-after-start state shared by the workers. */
struct srv {
	struct srv_opts opts;
	struct dp *dp;
	struct tls_server_config *tls;
	struct quic_app_provider provider;
	int root_fd;
	int keylog_fd;	      /* O_APPEND, -1 when off: one write() per line keeps lines whole */
	struct srv_qlog qlog; /* --qlog-dir (dir_fd -1: off) */
	uint8_t reset_key[SRV_RESET_KEY_LEN];
	char cert_path[96], key_path[96];
	/*
	 * TLS ticket keys (RFC 9846 §4.6.1), derived from the current token key. The control
	 * thread writes slot (ticket_gen + 1) % SRV_TICKET_SLOTS with relaxed stores, then
	 * stores ticket_gen + 1 (release); each worker loads ticket_gen (acquire) and installs
	 * the keys it has not seen into its own TLS configuration (srv_ticket_keys_sync()).
	 */
	uint64_t ticket_key[SRV_TICKET_SLOTS][TLS_TICKET_KEY_LEN / 8];
	uint32_t ticket_gen;
	/* Address-validation token keys: published by the control thread, read by workers. */
	struct quic_token_domain *tokens;
	struct srv_worker *workers[SRV_MAX_WORKERS];
	unsigned n_workers;
	/* Set by the control thread (release), read by workers (acquire): stop accepting,
	 * close every connection, then report drained. */
	int stopping;
};

struct srv_worker;

/*
 * A TLS server configuration from the options: certificate, ALPN, tickets, key log. Each
 * worker has its own, so that it can rotate the ticket key between two handshakes.
 * @return 0, or a TLS_ERR_* code (TLS_ERR_IO: a file is unreadable; TLS_ERR_CONFIG: unusable
 *         certificate or key)
 */
int srv_tls_new(struct srv *s, struct tls_server_config **out);

/* CLOCK_REALTIME in ns since the epoch: the time tokens carry. */
uint64_t srv_real_ns(void);

/*
 * Token ops for connections whose clock is not the wall clock (the dataplane's now_ns counts
 * TSC time): inner's calls with clock() instead of the connection's now_ns, so that tokens
 * outlive the process and mean the same on every server sharing the key file (RFC 9000
 * §8.1.3). new_tokens (may be NULL) counts the NEW_TOKEN tokens sealed; its only writer is
 * the thread using ops (relaxed stores).
 */
struct srv_wall_tokens {
	struct quic_token_ops ops; /* give connections &ops */
	const struct quic_token_ops *inner;
	uint64_t (*clock)(void);
	uint64_t *new_tokens;
};

void srv_wall_tokens_init(struct srv_wall_tokens *w, const struct quic_token_ops *inner,
			  uint64_t (*clock)(void), uint64_t *new_tokens);

/*
 * len bytes of key for one purpose (label) from the current key of ks (HKDF-SHA256).
 * @return 0, QUIC_ERR_CRYPTO
 */
int srv_keys_derive(const struct quic_token_keyset *ks, const char *label, uint8_t *out,
		    size_t len);

/* Control thread: derive the ticket key from ks and publish it. @return 0, QUIC_ERR_CRYPTO */
int srv_ticket_key_publish(struct srv *s, const struct quic_token_keyset *ks);

/*
 * Install in cfg the ticket keys published after *seen, in order, and advance *seen: the
 * latest key issues tickets, the one before still opens them. Worker thread, outside any
 * tls_* call on cfg.
 */
void srv_ticket_keys_sync(struct srv *s, struct tls_server_config *cfg, uint32_t *seen);

/*
 * Build worker w's endpoint state (crypto context, QUIC-LB encoder, connection table) and
 * give the worker its handler. Control thread, before dp_run().
 * @return 0, QUIC_ERR_NOMEM, QUIC_ERR_CRYPTO, QUIC_ERR_INVAL
 */
int srv_worker_new(struct srv_worker **out, struct srv *s, struct dp_worker *w);

/* Free every connection and the worker's state. After dp_run() returned. NULL is ignored. */
void srv_worker_free(struct srv_worker *sw);

/* Whether the worker has closed all its connections after srv.stopping (any thread). */
bool srv_worker_drained(const struct srv_worker *sw);

/* The worker's counters (any thread, read with relaxed loads). */
const struct srv_counters *srv_worker_counters(const struct srv_worker *sw);

/* Name of a server counter. */
const char *srv_cnt_name(unsigned i);

/*
 * Serve files below the directory open at root_fd: "/" means "/index.html".
 * @param p  filled with the callbacks; p->ctx is the struct srv
 */
void srv_provider_init(struct quic_app_provider *p, struct srv *s);

/*
 * Parse our options (those after "--"); DPDK dataplane options are collected, in order, into
 * dp_argv (room for argc + DP_OPTS_ARGV_EXTRA entries) for dp_opts_parse().
 * @return 0, or -1 with a one-line message in err
 */
int srv_opts_parse(struct srv_opts *o, int argc, char **argv, char **dp_argv, int *dp_argc,
		   char *err, size_t err_len);

/*
 * Answer the DPDK telemetry command /hayabusa/server (server counters, summed or ",N" for
 * worker N) from s, whose workers must exist. Main thread, after the workers are made.
 * @return 0, or the negative errno of rte_telemetry_register_cmd()
 */
int srv_telemetry_publish(const struct srv *s);
/* Stop answering from the server; call before its workers are freed. */
void srv_telemetry_withdraw(void);

/* Multi-line usage text of our options. */
const char *srv_opts_usage(void);

#endif /* HB_SRV_H */
