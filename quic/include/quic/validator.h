/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The stateless front end of a worker (bad-input.md rows A1-A13): it looks at a burst of
 * received UDP datagrams that belong to no connection, before any connection state and before
 * any Initial key is derived, and decides for each one: drop it (and why), pass it on (not a
 * connection attempt), accept it (with its address validated or not, and the original DCID a
 * Retry token carried), or answer it statelessly with a Version Negotiation, a Retry, or an
 * Initial carrying CONNECTION_CLOSE(INVALID_TOKEN). Responses are written into the caller's
 * buffer; the caller sends each to the datagram's source.
 *
 * Order of the checks, cheapest first:
 *   1. fewer than 21 bytes: drop (A1, RFC 9000 §10.3); a short header: pass;
 *   2. version 0 (a VN): drop, never answer (A6, §6.1); another unknown version: a VN when the
 *      datagram has at least 1200 bytes and the per-worker VN token bucket allows, else drop
 *      (A4, A5, §5.2.2, §6.1); fixed bit 0: drop (A3, §17.2);
 *   3. 0-RTT or Handshake: pass (the CID lookup decides, A10); a Retry: drop;
 *   4. an Initial in fewer than 1200 bytes: drop (A7, §14.1);
 *   5. the header's lengths (CIDs over 20, a Token or Length past the datagram): drop (A2, A9);
 *   6. no token (or a NEW_TOKEN token) and a DCID under 8 bytes: drop (A8, §7.2);
 *   7. a token: opened. A valid one: accept, address validated (§8.1.2, §8.1.3). An invalid
 *      Retry token: CONNECTION_CLOSE(INVALID_TOKEN) without state (A12, §8.1.2), rate-limited
 *      per worker. An invalid NEW_TOKEN token counts as no token (A13, §8.1.3);
 *   8. no token: the policy decides between a Retry (A11, §8.1.2, §17.2.5.1) and accepting
 *      the datagram unvalidated (the connection then keeps to 3x what it received, §8.1).
 *
 * Nothing is allocated, except on the INVALID_TOKEN path: that Initial must be protected
 * with the Initial keys of the client's DCID (RFC 9001 §5.2), the only key derivation here
 * (about 2 µs with the two transient AES handles it builds and frees), which is why that
 * path is rate-limited like VN.
 *
 * The caller hands in only datagrams whose DCID maps to no connection: an Initial retransmitted
 * for a connection that exists must go to that connection, not here.
 *
 * Threads: one validator per worker, with that worker's token state and crypto context.
 */
#ifndef HB_QUIC_VALIDATOR_H
#define HB_QUIC_VALIDATOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <crypto/crypto.h>
#include <quic/cid.h>
#include <quic/conn.h>
#include <quic/token.h>

#ifdef __cplusplus
extern "C" {
#endif

/* When an Initial without a (valid) token gets a Retry. */
enum quic_retry_policy {
	QUIC_RETRY_NEVER = 0, /* never: accept it unvalidated */
	QUIC_RETRY_ALWAYS,    /* always */
	QUIC_RETRY_AUTO,      /* while the worker's load is above a threshold */
};

/* A fresh server CID for a Retry (e.g. quic_lb_encode() for this worker). @return 0 or < 0 */
typedef int (*quic_validator_cid_fn)(void *arg, struct quic_cid *out);

struct quic_validator_config {
	enum quic_retry_policy policy;
	/* QUIC_RETRY_AUTO: Retry while handshakes in flight > auto_handshakes, or Initials per
	 * second > auto_initial_rate (both measured by the caller, see struct
	 * quic_validator_load). */
	uint64_t auto_handshakes;
	uint64_t auto_initial_rate;
	/* Token buckets, per worker, in now_ns time: responses per second and bucket depth.
	 * A rate of 0 refills nothing: at most `burst` responses ever. */
	uint32_t vn_rate;
	uint32_t vn_burst;
	uint32_t close_rate;
	uint32_t close_burst;
	uint32_t reset_rate; /* Stateless Resets, see quic_validator_reset_allowed() */
	uint32_t reset_burst;
	/* The Retry SCID: from new_cid when set, else retry_scid_len (8..20) random bytes. */
	quic_validator_cid_fn new_cid;
	void *cid_arg;
	uint8_t retry_scid_len;
};

/* Defaults: AUTO above 256 handshakes in flight or 10,000 Initials/s; VN, INVALID_TOKEN closes
 * and Stateless Resets 1,000/s each with bursts of 64; random 16-byte Retry SCIDs. */
void quic_validator_config_default(struct quic_validator_config *cfg);

/* The load the AUTO policy compares with its thresholds, measured by the worker. */
struct quic_validator_load {
	uint64_t handshakes_in_flight;
	uint64_t initial_rate; /* Initials per second */
};

/* One received datagram: its UDP payload (borrowed for the call) and where it came from. */
struct quic_dgram {
	const uint8_t *data;
	size_t len;
	struct quic_addr peer;
};

enum quic_vaction {
	QUIC_VA_DROP = 0,   /* discard; drop says why */
	QUIC_VA_PASS,	    /* not a connection attempt: short header, 0-RTT, Handshake */
	QUIC_VA_ACCEPT,	    /* make a connection (quic_conn_accept()) */
	QUIC_VA_SEND_VN,    /* send the response, nothing else */
	QUIC_VA_SEND_RETRY, /* send the response, nothing else */
	QUIC_VA_SEND_CLOSE, /* send the response (CONNECTION_CLOSE(INVALID_TOKEN)), nothing else */
};

enum quic_vdrop {
	QUIC_VDROP_NONE = 0,
	QUIC_VDROP_TOO_SHORT,	   /* A1: under 21 bytes */
	QUIC_VDROP_FIXED_BIT,	   /* A3 */
	QUIC_VDROP_VN_RECEIVED,	   /* A6 */
	QUIC_VDROP_SMALL_UNKNOWN,  /* A5: unknown version in under 1200 bytes */
	QUIC_VDROP_VN_RATE,	   /* A4: VN rate limit */
	QUIC_VDROP_RETRY_RECEIVED, /* a server never receives a Retry */
	QUIC_VDROP_INITIAL_SMALL,  /* A7: Initial in under 1200 bytes */
	QUIC_VDROP_BAD_CID_LEN,	   /* A2: a CID over 20 bytes */
	QUIC_VDROP_BAD_LENGTH,	   /* A9: Token or Length past the datagram */
	QUIC_VDROP_SHORT_DCID,	   /* A8: client DCID under 8 bytes */
	QUIC_VDROP_CLOSE_RATE,	   /* A12: INVALID_TOKEN close rate limit */
	QUIC_VDROP_NO_ROOM,	   /* the response buffer is full */
	QUIC_VDROP_INTERNAL,	   /* a response could not be built (crypto, CID source) */
	QUIC_VDROP_COUNT
};

const char *quic_vdrop_name(enum quic_vdrop d);

/* The decision for one datagram. */
struct quic_vresult {
	enum quic_vaction action;
	enum quic_vdrop drop;	      /* QUIC_VA_DROP */
	bool has_token;		      /* the Initial carried a token ... */
	enum quic_token_status token; /* ... and this is what opening it gave */
	bool validated;		      /* QUIC_VA_ACCEPT: a valid token proved the address */
	struct quic_token_info info;  /* validated: the token's kind; Retry: the original DCID */
	const uint8_t *token_ptr;     /* the token inside the datagram */
	size_t token_len;
	size_t resp_off; /* QUIC_VA_SEND_*: the response is resp[resp_off, resp_off + resp_len) */
	size_t resp_len;
};

/* Largest response to one datagram (a VN echoing two 255-byte CIDs). */
#define QUIC_VALIDATOR_RESP_MAX 600

struct quic_validator_stats {
	uint64_t dgrams;
	uint64_t passed;
	uint64_t accepted;	     /* unvalidated */
	uint64_t accepted_validated; /* by a token */
	uint64_t retries_sent;
	uint64_t vn_sent;
	uint64_t closes_sent;
	uint64_t resets_allowed;  /* quic_validator_reset_allowed() said yes ... */
	uint64_t resets_limited;  /* ... or no */
	uint64_t tokens_valid[2]; /* by enum quic_token_kind */
	uint64_t tokens_invalid[QUIC_TOKEN_STATUS_COUNT];
	uint64_t drops[QUIC_VDROP_COUNT];
};

struct quic_validator;

/*
 * @param tokens  the worker's token state (borrowed; outlives the validator)
 * @param ctx     the worker's crypto context: Retry integrity tags and the INVALID_TOKEN
 *                close
 * @param rand    Retry SCIDs and unused header bits (NULL: the system source); copied
 * @return 0, QUIC_ERR_INVAL (bad configuration, NULL), QUIC_ERR_NOMEM
 */
int quic_validator_new(struct quic_validator **out, const struct quic_validator_config *cfg,
		       struct quic_token_worker *tokens, struct crypto_ctx *ctx,
		       const struct crypto_rand *rand);
void quic_validator_free(struct quic_validator *v);

/*
 * Decide for n datagrams, in order. Runs inside quic_token_worker_enter()/exit() (it enters
 * and exits itself; calls nest).
 * @param load      for QUIC_RETRY_AUTO (NULL: no load)
 * @param now_ns    real time in ns (token expiry and the rate limits)
 * @param resp      responses are written back to back here; resp_cap >= n *
 *                  QUIC_VALIDATOR_RESP_MAX always suffices, a smaller buffer drops what does
 *                  not fit (QUIC_VDROP_NO_ROOM)
 * @param res       n results
 * @return the number of responses to send (QUIC_VA_SEND_*)
 */
size_t quic_validator_burst(struct quic_validator *v, const struct quic_dgram *dg, size_t n,
			    const struct quic_validator_load *load, uint64_t now_ns, uint8_t *resp,
			    size_t resp_cap, struct quic_vresult *res);

void quic_validator_stats(const struct quic_validator *v, struct quic_validator_stats *out);

/*
 * Whether the worker may send one more Stateless Reset now (RFC 9000 §10.3; bad-input A14):
 * like VN, resets cost no state and are rate-limited per worker, here by the reset token
 * bucket. Ask before each quic_stateless_reset_write() for a packet of no connection.
 */
bool quic_validator_reset_allowed(struct quic_validator *v, uint64_t now_ns);

/*
 * Plugging into a connection (quic/conn.h, struct quic_token_ops): issue() seals NEW_TOKEN
 * tokens with the worker's token state (a Retry token needs the Retry's SCID: only the
 * validator makes them); validate() answers from the validator's verdict on the datagram
 * selected with quic_validator_select(), so a token is opened once and a NEW_TOKEN token is
 * not refused as its own replay. Before quic_conn_accept(dg[i]) call
 * quic_validator_select(v, &dg[i], &res[i]); select NULL, NULL afterwards.
 */
void quic_validator_token_ops(struct quic_validator *v, struct quic_token_ops *ops);
void quic_validator_select(struct quic_validator *v, const struct quic_dgram *dg,
			   const struct quic_vresult *r);

#ifdef __cplusplus
}
#endif

#endif /* HB_QUIC_VALIDATOR_H */
