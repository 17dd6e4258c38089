/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hayabusa-bench: the DPDK load generator (issue #6). A QUIC client (quic/ in the client role)
 * on a DPDK port of its own, driven by one dataplane worker (dataplane/dp.h).
 *
 * Threads: main() parses, sets up the dataplane and runs worker 0 inside dp_run(); a control
 * thread prints a progress line each second, keeps the one-second time series and stops the
 * dataplane when the worker reports it is done or the time bound is reached. Everything the
 * worker owns (struct gen_worker) is touched only by it, except the counters (one writer,
 * relaxed atomics) and the done flag.
 *
 * Names: bench_gen_ is this binary's prefix (bench/gen/).
 */
#ifndef HB_BENCH_GEN_H
#define HB_BENCH_GEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <crypto/crypto.h>
#include <dataplane/dp.h>
#include <quic/conn.h>

#define GEN_MAX_PATHS	    64
#define GEN_MAX_CONNS	    16384 /* connections in flight (one local UDP port each) */
#define GEN_MAX_STREAMS	    64	  /* request streams in flight per connection */
#define GEN_MAX_SECONDS	    3600  /* longest run, and the time series' length */
#define GEN_HIST_SUB	    16	  /* histogram: sub-buckets per power of two */
#define GEN_HIST_BUCKETS    (64 * GEN_HIST_SUB)
#define GEN_FLOOD_TEMPLATES 16
#define GEN_DGRAM_MAX	    1500

enum bench_gen_mode {
	GEN_MODE_GET = 0,
	GEN_MODE_HANDSHAKE,
	GEN_MODE_BULK,
	GEN_MODE_RR,
	GEN_MODE_RETRY_FLOOD,
	GEN_MODE_LINK_FLOOR,
	GEN_MODE_TOKEN_FLOOD,
	GEN_MODE_HOSTILE,
};

/* token-flood: tokens live 10 s + 2 s grace (quic/token.h): the pool is sent within this. */
#define GEN_TOKEN_MAX_MS   8000
#define GEN_TOKEN_POOL_MAX 65536

enum bench_gen_alpn {
	GEN_ALPN_H3 = 0,
	GEN_ALPN_HQ,
	GEN_ALPN_PERF,
};

/* Impairment of the generator's own path (both directions), deterministic from seed. */
struct bench_gen_impair {
	uint32_t loss;	  /* per million */
	uint32_t reorder; /* per million: a datagram is held back and sent after the next one */
	uint32_t dup;	  /* per million */
	uint32_t corrupt; /* per million: one byte of the first 50 of the UDP payload flipped */
	uint64_t seed;
};

/*
 * The client's share of each handshake's crypto (--client-crypto). LIGHT: one key share reused
 * by every connection and no server authentication (tls.h, the bench knobs), so that the
 * generator costs clearly less per handshake than the server it measures (issue #6). FULL: a
 * real client's work: a fresh key share each time, the certificate decoded and the
 * CertificateVerify signature checked (and the chain verified with --ca).
 */
enum bench_gen_client_crypto {
	GEN_CLIENT_CRYPTO_DEFAULT = 0, /* not given: light for handshake/bulk/rr without --ca */
	GEN_CLIENT_CRYPTO_FULL,
	GEN_CLIENT_CRYPTO_LIGHT,
};

/* Everything the options say; immutable once the worker starts. */
struct bench_gen_opts {
	enum bench_gen_mode mode;
	struct quic_addr server;
	char server_str[96];
	char local_str[96];
	char sni[128];
	const char *ca_file;
	enum bench_gen_client_crypto client_crypto; /* never DEFAULT once parsed */
	enum bench_gen_alpn alpn;
	bool has_suite;
	enum crypto_suite suite;
	uint32_t versions[QUIC_CONN_MAX_VERSIONS];
	size_t n_versions;
	bool retry_follow;
	/* get */
	const char *paths[GEN_MAX_PATHS];
	unsigned n_paths;
	const char *out_dir;
	/* load */
	uint32_t conns;
	uint32_t streams;
	uint64_t size;
	uint32_t
		reply_size; /* link-floor: answer bytes asked of the server's --echo-port; 0 none */
	uint64_t count;	    /* operations at most (0: no bound but the duration) */
	uint64_t duration_ms;
	uint64_t warmup_ms;
	uint64_t start_delay_ms; /* idle before anything is sent (the peer's link coming up) */
	uint64_t rate; /* offered operations (or packets) per second, 0: as fast as possible */
	uint16_t lport_base;
	/* retry-flood */
	uint8_t flood_ip_lo[16], flood_ip_hi[16]; /* source address range (same family) */
	bool has_flood_ip;
	uint16_t flood_port_lo, flood_port_hi;
	uint32_t flood_version; /* 0: the first of versions (Retries); else VN probes */
	/* token-flood */
	const char *token_keys;	  /* the fleet's token key file (quic/token.h) */
	uint32_t token_pool;	  /* Initials with distinct sources and tokens, sent round */
	const char *hostile_case; /* hostile: --case NAME */
	/* tokens across runs and servers (gen_carry.c) */
	const char *token_out;	   /* handshake, get: save the Initial that carries a Retry token */
	const char *token_in;	   /* retry-flood: send that saved Initial instead of fresh ones */
	const char *new_token_out; /* handshake, get: save the first NEW_TOKEN token */
	const char *new_token_in;  /* connection modes: Initials carry this NEW_TOKEN token */
	bool linger; /* raw modes: count answers until --duration ends, not 100 ms after */
	bool hold;   /* handshake: keep each connection once confirmed; leave without closing */
	uint64_t handshake_rate; /* retry-flood: legitimate handshakes per second alongside */
	struct bench_gen_impair impair;
	const char *json;
	bool quiet;
	bool help;
	/* Dataplane arguments made from --local: "--port N,ip=...", "--udp-port 0". */
	char port_arg[160];
	char flag_port[8];
	char flag_udp[12];
	char udp_zero[2];
	char prog[16];
};

/* Counters of the worker: one writer, readers use relaxed loads. */
enum bench_gen_cnt {
	GEN_CNT_PKTS_TX = 0,
	GEN_CNT_BYTES_TX,
	GEN_CNT_PKTS_RX,
	GEN_CNT_BYTES_RX,
	GEN_CNT_CONNS_STARTED,
	GEN_CNT_HANDSHAKES,
	GEN_CNT_RETRIES_RX, /* Retry packets received */
	GEN_CNT_VN_RX,	    /* Version Negotiation packets received */
	GEN_CNT_CONNS_CLOSED,
	GEN_CNT_STREAMS_DONE,
	GEN_CNT_APP_BYTES, /* verified response body bytes */
	GEN_CNT_REQUESTS,  /* requests sent (rr: offered and sent) */
	/* failures, by reason */
	GEN_CNT_FAIL_HANDSHAKE,	 /* closed or timed out before the handshake completed */
	GEN_CNT_FAIL_CLOSED,	 /* the connection closed with requests outstanding */
	GEN_CNT_FAIL_VERIFY,	 /* a body that was not what was asked for */
	GEN_CNT_FAIL_STATUS,	 /* h3 status other than 200, or a stream reset */
	GEN_CNT_FAIL_NO_RETRY,	 /* a Retry came and --no-retry-follow was given */
	GEN_CNT_FAIL_SETUP,	 /* a connection could not be made (memory, crypto) */
	GEN_CNT_FAIL_BACKLOG,	 /* rr: offered requests that found no room in the backlog */
	GEN_CNT_FAIL_UNFINISHED, /* still open when the time bound ended the run */
	/* drops */
	GEN_CNT_DROP_TX,      /* datagrams not sent (no mbuf, queue full, path) */
	GEN_CNT_DROP_UNKNOWN, /* received datagrams for no connection of ours */
	GEN_CNT_IMPAIR_LOSS,
	GEN_CNT_IMPAIR_REORDER,
	GEN_CNT_IMPAIR_DUP,
	GEN_CNT_IMPAIR_CORRUPT,
	/* the generator's own CPU: poll-loop time, and the part of it in iterations that neither
	   received nor sent a datagram (its headroom) */
	GEN_CNT_LOOP_NS,
	GEN_CNT_IDLE_NS,
	GEN_CNT_LEGIT_OFFERED, /* retry-flood --handshake-rate: handshakes due (started or not) */
	GEN_CNT_MAX
};

#define GEN_CNT_FAIL_FIRST GEN_CNT_FAIL_HANDSHAKE
#define GEN_CNT_FAIL_LAST  GEN_CNT_FAIL_UNFINISHED

struct bench_gen_counters {
	uint64_t v[GEN_CNT_MAX];
} __attribute__((aligned(64)));

/* Latency histogram in ns: log-linear, GEN_HIST_SUB buckets per power of two. */
struct bench_gen_hist {
	uint64_t b[GEN_HIST_BUCKETS];
	uint64_t n;
	uint64_t max;
	uint64_t sum;
};

void bench_gen_hist_add(struct bench_gen_hist *h, uint64_t v);
/* Value at quantile q (0..1): the upper edge of its bucket, clamped to max. 0 when empty. */
uint64_t bench_gen_hist_quantile(const struct bench_gen_hist *h, double q);

/* Deterministic PRNG (xorshift64*), for impairments and spoofed addresses. */
static inline uint64_t
bench_gen_rand(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dull;
}

struct bench_gen_worker;

/* The process-wide state. */
struct bench_gen {
	struct bench_gen_opts opts;
	struct dp *dp;
	struct tls_client_config *tls;
	struct bench_gen_worker *gw;
	struct bench_gen_hist hist; /* latencies (rr: from the intended send time; else
				       handshake or request durations), filled by the worker */
	uint64_t start_ns;	    /* dp clock when the load began (after warm-up) */
	uint64_t end_ns;	    /* dp clock when the worker finished */
	int done;		    /* release by the worker, acquire by the control thread */
	/* Time series: counters at each second, kept by the control thread. */
	struct bench_gen_counters series[GEN_MAX_SECONDS + 1];
	unsigned n_series;
};

/* Option parsing (gen_opts.c). @return 0, or -1 with a one-line message in err */
int bench_gen_opts_parse(struct bench_gen_opts *o, int argc, char **argv, char **dp_argv,
			 int *dp_argc, char *err, size_t err_len);
const char *bench_gen_opts_usage(void);
const char *bench_gen_mode_name(enum bench_gen_mode m);
const char *bench_gen_alpn_name(enum bench_gen_alpn a);
const char *bench_gen_client_crypto_name(enum bench_gen_client_crypto c);

/* The worker (gen_engine.c): build it on worker 0 of g->dp. @return 0 or a negative code */
int bench_gen_worker_new(struct bench_gen *g, struct dp_worker *w);
void bench_gen_worker_free(struct bench_gen_worker *gw);
const struct bench_gen_counters *bench_gen_worker_counters(const struct bench_gen_worker *gw);
/* The counters when the warm-up ended (all zero without warm-up); read after the run. */
const struct bench_gen_counters *bench_gen_worker_at_measure(const struct bench_gen_worker *gw);
/* Get mode: whether every path was fetched with status 200 and stored. */
/* Why the load never began (link down, next hop unresolved), or NULL when it did. */
const char *bench_gen_worker_not_started(const struct bench_gen_worker *gw);
bool bench_gen_worker_get_ok(const struct bench_gen_worker *gw);
/* Hostile mode (hostile.c): whether name is one of its cases. */
bool bench_gen_hostile_known(const char *name);

/* Counter names and the report (gen_report.c). */
const char *bench_gen_cnt_name(unsigned i);
void bench_gen_counters_read(const struct bench_gen_counters *src, struct bench_gen_counters *dst);
void bench_gen_print_header(const struct bench_gen *g, unsigned n_workers);
void bench_gen_print_progress(const struct bench_gen *g, unsigned sec,
			      const struct bench_gen_counters *now,
			      const struct bench_gen_counters *prev);
void bench_gen_print_table(const struct bench_gen *g, const struct bench_gen_counters *c,
			   const struct dp_counters *dc);
int bench_gen_write_json(const struct bench_gen *g, const struct bench_gen_counters *c,
			 const struct dp_counters *dc, const char *path);

/* ---- Client application protocols (gen_app.c) ---- */

#define GEN_HDRS_MAX 768 /* response HEADERS payload kept for decoding */

/* One request stream's response, parsed as it arrives. */
struct bench_gen_stream {
	uint64_t id;
	bool used;
	bool fin;
	bool failed;
	uint8_t state; /* h3: GEN_H3_* */
	uint8_t fh_len;
	uint8_t fh[16];	    /* h3 frame header being read */
	uint64_t remaining; /* bytes left in the current h3 frame */
	uint16_t hdrs_len;
	unsigned status;
	int64_t content_length; /* -1: none */
	uint64_t body;		/* body bytes received */
	uint64_t want;		/* perf: bytes asked for */
	uint64_t t0;		/* rr: intended send time; else when it was sent */
	int fd;			/* get: where the body goes, -1: nowhere */
	unsigned path_idx;
	uint8_t hdrs[GEN_HDRS_MAX];
};

/* The bytes of a request on a fresh bidirectional stream. @return length, 0 when too long */
size_t bench_gen_app_request(uint8_t *buf, size_t cap, enum bench_gen_alpn alpn, const char *path,
			     const char *authority, uint64_t size);
/* h3: our control stream's first bytes (type, SETTINGS). @return length */
size_t bench_gen_app_h3_control(uint8_t *buf, size_t cap);
/*
 * Response bytes of a request stream (fin: its end). The body is checked (perf: the pattern
 * byte i == (uint8_t)i; h3: the content-length) and written to s->fd when set.
 * @return 0, or -1: s->failed is set (a malformed response or a body that does not verify)
 */
int bench_gen_app_rx(struct bench_gen_stream *s, enum bench_gen_alpn alpn, const uint8_t *data,
		     size_t len, bool fin);
/* Whether a finished stream got a complete, verified answer (status 200 for h3). */
bool bench_gen_app_ok(const struct bench_gen_stream *s, enum bench_gen_alpn alpn);

#endif /* HB_BENCH_GEN_H */
