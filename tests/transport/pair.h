/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A client and a server struct quic_conn joined by a simulated link (simlink.h), driven in
 * simulated time: each step writes every datagram either side has, moves time to the next
 * event (a delivery or a connection timer), delivers and runs timers. The server connection
 * is created by quic_conn_accept() from the first datagram that reaches it. After every step
 * the anti-amplification rule (RFC 9000 §8.1) is checked on the server and violations counted.
 */
#ifndef HB_TEST_PAIR_H
#define HB_TEST_PAIR_H

#include <stdbool.h>
#include <stdint.h>

#include <crypto/crypto.h>
#include <crypto/tls.h>
#include <quic/conn.h>

#include "simlink.h"

#define PAIR_HOST "hayabusa.test"
#define PAIR_MS	  UINT64_C(1000000)

enum {
	PAIR_C2S = 0, /* client to server */
	PAIR_S2C = 1,
};

struct pair_opts {
	struct sim_dir_config link[2]; /* by PAIR_C2S / PAIR_S2C */
	uint64_t seed;		       /* connection randomness */
	const char *cc_algo;
	bool retry;	 /* the server requires a Retry round trip (quic_server_screen()) */
	bool tickets;	 /* the server issues session tickets (a fixed ticket key) */
	bool early_data; /* and its tickets allow 0-RTT (tls_server_config_set_early_data()) */
	bool burst_bufs; /* both sides write with quic_conn_write_burst(), a buffer a datagram */
	/* Optional changes to the configurations before the connections are made. */
	void (*tweak)(void *arg, struct quic_conn_config *client, struct quic_conn_config *server);
	void *tweak_arg;
};

struct pair {
	struct crypto_ctx *ctx;
	struct tls_server_config *tls_srv;
	struct tls_client_config *tls_cli;
	struct quic_conn_config ccfg;
	struct quic_conn_config scfg;
	struct quic_conn *cli;
	struct quic_conn *srv;
	struct quic_path cpath; /* the client's view */
	struct quic_path spath; /* the server's view */
	struct sim_dir dir[2];
	struct sim_dir_config link[2]; /* for pair_reconnect() */
	uint64_t now;
	uint64_t rng;
	struct crypto_rand rand;
	uint64_t steps;
	uint64_t amp_violations;  /* steps where the server sent more than 3x what it got */
	uint64_t accept_failures; /* first datagrams quic_conn_accept() refused */
	uint64_t max_unvalidated_tx;
	bool retry;
	struct quic_token_ops tokens; /* a fake token service, see pair.c */
	uint64_t tokens_issued;
	uint64_t tokens_valid;
	uint64_t screen_replies; /* VN or Retry sent by quic_server_screen() */
	uint64_t screen_drops;
	uint64_t misrouted; /* server datagrams sent to an address the client no longer has */
	bool burst_bufs;
	uint64_t multi_bursts;	/* quic_conn_write_burst() calls that wrote several datagrams */
	uint64_t canary_broken; /* bytes written past a burst buffer's max_datagram_size */
	/* Optional: called after every step (application I/O of a test). */
	void (*on_step)(struct pair *p, void *arg);
	void *step_arg;
};

/* Link with delay_ms each way, infinite bandwidth, no impairment. */
void pair_opts_default(struct pair_opts *o, uint64_t delay_ms);

/* Certificates, TLS configurations, the client connection (its Initial is ready). */
void pair_init(struct pair *p, const struct pair_opts *o);
void pair_free(struct pair *p);

/*
 * A new client connection to the same server (same TLS configurations, ticket key, paths and
 * link settings, time going on): the old connections are freed and the links emptied. session
 * (copied; NULL: none) goes into the client configuration. The new client's first flight is
 * not written yet: a test may open streams and write early data first.
 */
void pair_reconnect(struct pair *p, const uint8_t *session, size_t session_len);

/* One step. @return false when nothing at all is pending (no datagram, no timer). */
bool pair_step(struct pair *p);
/* Steps until done(p, arg) or simulated time passes deadline_ns from now. @return done */
bool pair_run(struct pair *p, bool (*done)(struct pair *p, void *arg), void *arg, uint64_t max_ns);
/* Steps whatever falls within the next ns of simulated time, then time moves to its end. */
void pair_run_for(struct pair *p, uint64_t ns);
/* Until both sides finished the handshake (server complete, client confirmed). */
bool pair_handshake(struct pair *p, uint64_t max_ns);

/* Write every datagram a connection has now into a link direction. @return datagrams */
unsigned pair_flush(struct pair *p, struct quic_conn *c, int dir);

/* Drain the events of a connection (tests that do not look at them). */
void pair_drain_events(struct quic_conn *c);

#endif /* HB_TEST_PAIR_H */
