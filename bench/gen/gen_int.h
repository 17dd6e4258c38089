/* SPDX-License-Identifier: BSD-3-Clause */
/* hayabusa-bench: the worker's state, shared by gen_engine.c (connections) and gen_raw.c
 * (impairment, datagram output, retry-flood, link-floor). One worker, one thread. */
#ifndef HB_BENCH_GEN_INT_H
#define HB_BENCH_GEN_INT_H

#include <string.h>

#include "gen.h"

#define GEN_TX_BURST	 16
#define GEN_SCRATCH	 (64u * 1024)
#define GEN_RAW_DRAIN_NS (100ull * 1000 * 1000)	 /* retry-flood: answers still on the wire */
#define GEN_GRACE_NS	 (3000ull * 1000 * 1000) /* after the load: finish what is in flight */

struct gen_conn {
	struct quic_conn *qc;
	struct bench_gen_worker *gw;
	struct gen_conn *next; /* active list, or free list */
	struct gen_conn **pprev;
	struct gen_conn *dnext; /* dirty list: datagrams in, to service after the RX burst */
	struct dp_timer timer;
	struct bench_gen_stream *st; /* opts.streams slots */
	uint64_t t_start;
	uint16_t lport;
	unsigned outstanding; /* request streams in flight */
	bool active;
	bool hs_done;
	bool app_ready;	 /* h3 control stream sent (or nothing to send) */
	bool by_us;	 /* we closed it */
	bool close_sent; /* ... and its CONNECTION_CLOSE went out */
	bool failed;	 /* its failure is counted */
	bool capture;	 /* --token-out: save its next Initial (it followed a Retry) */
	bool held;	 /* --hold: confirmed and kept */
	bool dirty;	 /* on the dirty list (kept there if freed: skipped when inactive) */
};

/* A datagram held back by the reordering impairment. */
struct gen_held {
	bool valid;
	uint16_t len;
	uint64_t since_ns;
	struct dp_path path;
	uint8_t data[GEN_DGRAM_MAX];
};

struct bench_gen_worker;
typedef void (*gen_deliver_fn)(struct bench_gen_worker *gw, const uint8_t *p, size_t len,
			       const struct dp_path *path, uint64_t now_ns);

struct bench_gen_worker {
	struct bench_gen *g;
	const struct bench_gen_opts *o;
	struct dp_worker *w;
	struct crypto_ctx *ctx;
	/* The worker's randomness for its connections and their TLS (CIDs, ClientHello randoms):
	 * a cache of system bytes, not a RAND_bytes() call (getpid, DRBG locks) each time. */
	struct crypto_rand_pool rand_pool;
	struct crypto_rand rand;
	struct quic_conn_config qcfg;
	struct dp_path base; /* our address, the server's; local port set per connection */
	struct gen_conn *conns;
	struct bench_gen_stream *streams;
	struct gen_conn *active;
	struct gen_conn *dirty; /* connections that received datagrams in this loop */
	struct gen_conn *free_list;
	uint32_t n_held;     /* --hold: connections confirmed and kept */
	uint64_t t_all_held; /* --hold: when the last of --conns was confirmed */
	struct bench_gen_counters cnt;
	struct bench_gen_counters at_measure; /* counters when the warm-up ended */
	uint64_t rng;
	/* Phases, in dp time: first loop, end of warm-up, end of the offered load. */
	bool begun;
	bool unresolved;	      /* the server's next hop never resolved: nothing was sent */
	uint64_t t_link;	      /* when the link was first seen up (0: not yet) */
	uint64_t probe_at, probe_gap; /* next resolution probe, back-off */
	bool measuring;
	bool stopping;
	bool finished;
	uint64_t t_begin, t_measure, t_end;
	uint64_t t_stop;     /* when the load stopped (duration or count) */
	uint64_t ops;	     /* operations started (handshakes, requests, packets) */
	uint64_t next_op_ns; /* --rate schedule: when the next operation is due */
	/* CPU headroom: the last loop iteration's start, whether it moved no datagram, and
	   datagrams moved (sent + received) at its end */
	uint64_t loop_last_ns;
	bool loop_idle;
	uint64_t loop_mark;
	/* rr: intended send times waiting for a stream */
	uint64_t *backlog;
	uint32_t bl_head, bl_n, bl_cap;
	uint32_t rr_next_conn;
	/* get */
	unsigned get_next, get_ok, get_done;
	/* impairment: one datagram held per direction */
	struct gen_held held_tx, held_rx;
	gen_deliver_fn deliver; /* where a held received datagram goes */
	/* retry-flood templates: real first Initials of fresh client connections */
	uint8_t tmpl[GEN_FLOOD_TEMPLATES][GEN_DGRAM_MAX];
	uint16_t tmpl_len[GEN_FLOOD_TEMPLATES];
	unsigned n_tmpl;
	struct gen_token_pool *tokens; /* token-flood (gen_token.c) */

	struct gen_hostile *hostile; /* hostile mode (hostile.c) */
	/* --token-out: an Initial was saved; --token: the port the saved Initial left from */
	bool token_saved;
	uint16_t token_port;
	/* --new-token-out: one was saved; --new-token: the token every connection uses */
	bool nt_saved;
	uint8_t nt[QUIC_TOKEN_MAX_LEN];
	size_t nt_len;
	uint64_t legit_next_ns; /* retry-flood --handshake-rate: when the next one is due */
	char authority[160];
	size_t txlens[GEN_TX_BURST];
	uint8_t txbuf[GEN_TX_BURST * GEN_DGRAM_MAX];
	uint8_t scratch[GEN_SCRATCH];
};

/* Single writer: relaxed load and store, pairs with the relaxed loads of the control thread. */
static inline void
gen_cnt_add(struct bench_gen_worker *gw, enum bench_gen_cnt i, uint64_t n)
{
	uint64_t v = __atomic_load_n(&gw->cnt.v[i], __ATOMIC_RELAXED);

	__atomic_store_n(&gw->cnt.v[i], v + n, __ATOMIC_RELAXED);
}

static inline bool
gen_chance(struct bench_gen_worker *gw, uint32_t per_million)
{
	return per_million != 0 && bench_gen_rand(&gw->rng) % 1000000u < per_million;
}

/* gen_raw.c */
/* Send one datagram through the impairment (data may be modified: corruption). */
void gen_send(struct bench_gen_worker *gw, const struct dp_path *path, uint8_t *data, size_t len);
/* One datagram to the server outside the counters and the impairment (resolves its address). */
void gen_send_probe(struct bench_gen_worker *gw, const uint8_t *data, size_t len);
/* Release held datagrams older than 1 ms (both directions). */
void gen_impair_tick(struct bench_gen_worker *gw, uint64_t now_ns);
/*
 * A received datagram through the impairment: deliver() gets it 0, 1 or 2 times, now, or
 * (reordered) after the next one or within 1 ms.
 */
void gen_recv(struct bench_gen_worker *gw, const uint8_t *p, size_t len, const struct dp_path *path,
	      uint64_t now_ns, gen_deliver_fn deliver);
/* retry-flood and link-floor, from collect_tx: send what the rate allows now. */
void gen_raw_send(struct bench_gen_worker *gw, uint64_t now_ns);
/* Count a received datagram's kind (Retry, Version Negotiation). @return true when Retry */
bool gen_classify_rx(struct bench_gen_worker *gw, const uint8_t *p, size_t len);
/* retry-flood: build the Initial templates. @return 0 or a negative code */
int gen_flood_setup(struct bench_gen_worker *gw);
/* Whether the --rate schedule allows one more operation now (and books it). */
bool gen_rate_take(struct bench_gen_worker *gw, uint64_t now_ns);

/* Whether the mode sends datagrams without connections of its own (gen_raw.c). */
static inline bool
gen_mode_raw(enum bench_gen_mode m)
{
	return m == GEN_MODE_RETRY_FLOOD || m == GEN_MODE_LINK_FLOOR || m == GEN_MODE_TOKEN_FLOOD;
}

/* A source address and port drawn from the --src-ip/--src-port ranges (ip: our address when
   no --src-ip range was given). */
void gen_spoof_source(struct bench_gen_worker *gw, uint8_t ip[16], uint16_t *port);

/* gen_token.c */
/* token-flood: load --token-keys and build the pool. @return 0 or a negative code */
int gen_token_setup(struct bench_gen_worker *gw);
void gen_token_free(struct bench_gen_worker *gw);
/* The next pool entry: its source into path->local, its length into *len. @return its Initial */
const uint8_t *gen_token_next(struct bench_gen_worker *gw, struct dp_path *path, size_t *len);
/* gen_carry.c */
/* --token-out: save the datagram when c->capture is set and it is an Initial (clears it). */
void gen_token_capture(struct bench_gen_worker *gw, struct gen_conn *c, uint16_t lport,
		       const uint8_t *p, size_t len);
/* --token: the saved Initial as the only retry-flood template. @return 0 or QUIC_ERR_INVAL */
int gen_token_load(struct bench_gen_worker *gw);
/* --new-token-out: save c's NEW_TOKEN token unless one was saved already. */
void gen_new_token_save(struct bench_gen_worker *gw, struct gen_conn *c);
/* --new-token: load the token into gw->nt. @return 0 or QUIC_ERR_INVAL */
int gen_new_token_load(struct bench_gen_worker *gw);

/* The quic/ form of a dataplane path. */
static inline void
gen_path_to_quic(const struct dp_path *path, struct quic_path *qp)
{
	memset(qp, 0, sizeof(*qp));
	qp->local.family = qp->remote.family = path->local.family;
	qp->local.port = path->local.port;
	qp->remote.port = path->remote.port;
	memcpy(qp->local.ip, path->local.ip, sizeof(qp->local.ip));
	memcpy(qp->remote.ip, path->remote.ip, sizeof(qp->remote.ip));
}

/* gen_engine.c: whether the load may begin (link up, next hop resolved). */
bool gen_link_ready(struct bench_gen_worker *gw, uint64_t now_ns);

/* hostile.c: the hostile mode's callbacks in hd, its state. @return 0 or a negative code */
struct gen_hostile;
int gen_hostile_setup(struct bench_gen_worker *gw, struct dp_handler *hd);
void gen_hostile_free(struct bench_gen_worker *gw);

#endif /* HB_BENCH_GEN_INT_H */
