/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Connection IDs: the QUIC-LB layout of the CIDs this server issues, stateless reset tokens,
 * and the two bounded per-connection sets of RFC 9000 §5.1 (ours, and the peer's).
 *
 * QUIC-LB (draft-ietf-quic-load-balancers, "First CID octet", "Server ID Encoding in Connection
 * IDs"): a CID is
 *   first octet = config rotation (3 bits) | CID length - 1 (5 bits, length self-description),
 *   then the server ID, then the nonce, then optional trailing bytes up to the CID length.
 * Hayabusa puts the worker id in the first nonce byte and random bytes in the rest, so that a
 * NIC or the dataplane can steer a packet to its core from the DCID alone. With a key, server
 * ID and nonce are encrypted together: one AES-128-ECB block when they are 16 bytes, the
 * draft's four-pass Feistel network otherwise ("Four-Pass Encryption"). Trailing bytes are
 * random and never encrypted.
 *
 * The sets are fixed-size arrays sized by the limits below: no allocation per frame, and a
 * peer that raises Retire Prior To while starving our ACKs fills a bounded retire queue and is
 * closed with CONNECTION_ID_LIMIT_ERROR (RFC 9000 §5.1.2; CVE-2024-22189, CVE-2024-1410).
 *
 * Thread-safety: none per object; a connection's sets and a worker's struct quic_lb belong to
 * one worker. Decoded frames are borrowed for the call only; everything kept is copied.
 */
#ifndef HB_QUIC_CID_H
#define HB_QUIC_CID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <crypto/crypto.h>
#include <quic/frame.h>

#ifdef __cplusplus
extern "C" {
#endif

#define QUIC_CID_LEN_MAX     20 /* RFC 9000 §17.2 */
#define QUIC_RESET_TOKEN_LEN 16 /* RFC 9000 §10.3 */
/* A datagram shorter than this is never a Stateless Reset (RFC 9000 §10.3). */
#define QUIC_STATELESS_RESET_MIN_LEN 21
/* Shortest static key accepted for reset tokens. */
#define QUIC_RESET_KEY_MIN_LEN 16

/* A connection ID held by value. */
struct quic_cid {
	uint8_t len; /* 0..20 */
	uint8_t data[QUIC_CID_LEN_MAX];
};

/* ---- QUIC-LB connection IDs ---- */

#define QUIC_LB_KEY_LEN		16
#define QUIC_LB_CONFIG_MAX	6  /* config rotation ids 0..6 */
#define QUIC_LB_UNROUTABLE	7  /* 0b111: "no configuration", never ours */
#define QUIC_LB_SID_MAX		15 /* 19 - QUIC_LB_NONCE_MIN */
#define QUIC_LB_NONCE_MIN	4
#define QUIC_LB_PLAIN_MAX	19 /* server ID + nonce */
#define QUIC_LB_CID_LEN_MIN	8
#define QUIC_LB_CID_LEN_DEFAULT 16

/* Config rotation bits of a CID's first octet. */
static inline uint8_t
quic_lb_config_id(uint8_t first_octet)
{
	return (uint8_t)(first_octet >> 5);
}

/*
 * One QUIC-LB configuration, as the configuration agent hands it out.
 * Constraints (checked by quic_lb_new()): config_id 0..6; server_id_len 1..15; nonce_len >= 4;
 * server_id_len + nonce_len <= 19; cid_len 8..20 and >= 1 + server_id_len + nonce_len (the
 * difference is random trailing bytes the draft lets a server append).
 */
struct quic_lb_config {
	uint8_t config_id;
	uint8_t server_id_len;
	uint8_t server_id[QUIC_LB_SID_MAX];
	uint8_t nonce_len; /* the worker id byte plus nonce_len - 1 random bytes */
	uint8_t cid_len;
	bool has_key;
	uint8_t key[QUIC_LB_KEY_LEN];
};

/* What steering needs from a CID. */
struct quic_lb_route {
	uint8_t config_id;
	uint8_t server_id_len;
	uint8_t server_id[QUIC_LB_SID_MAX];
	uint8_t worker; /* first nonce byte; any value for a CID we did not issue */
};

/* Opaque: a configuration with its AES handle (when keyed). One per worker. */
struct quic_lb;

/*
 * Build a configuration's encoder/decoder. The key is copied into an AES handle and not kept.
 * @param ctx  the worker's crypto context; needed only with a key, and must then outlive lb
 * @return 0, QUIC_ERR_INVAL (a constraint above, NULL argument, a key without ctx),
 *         QUIC_ERR_NOMEM, QUIC_ERR_CRYPTO (the AES key could not be set up)
 */
int quic_lb_new(struct quic_lb **out, const struct quic_lb_config *cfg, struct crypto_ctx *ctx);
void quic_lb_free(struct quic_lb *lb);
/* The CID length this configuration issues and accepts. */
size_t quic_lb_cid_len(const struct quic_lb *lb);

/*
 * Issue a CID for worker: nonce = worker || random bytes, trailing bytes random, all drawn with
 * one call to rand (NULL: the system source).
 * @return 0, QUIC_ERR_INVAL (NULL argument), QUIC_ERR_CRYPTO (rand or AES failed)
 */
int quic_lb_encode(struct quic_lb *lb, uint8_t worker, const struct crypto_rand *rand,
		   struct quic_cid *out);

/*
 * The same with the nonce given (tests, and the draft's vectors).
 * @param nonce  cfg.nonce_len bytes
 * @param extra  cid_len - 1 - server_id_len - nonce_len trailing bytes (NULL when that is 0)
 * @return 0, QUIC_ERR_INVAL, QUIC_ERR_CRYPTO
 */
int quic_lb_encode_nonce(struct quic_lb *lb, const uint8_t *nonce, const uint8_t *extra,
			 struct quic_cid *out);

/*
 * Steering: config id, server ID and worker id of a CID (at most four AES blocks, three when
 * the worker byte lies in the left half; nothing allocated). Any CID of the right length and
 * config decodes to something: the caller bounds route->worker by its worker count and may
 * compare the server ID with its own.
 * @return 0,
 *   QUIC_ERR_VERSION    the config rotation bits name another configuration (or 0b111):
 *                       not a CID of this configuration; try another one or treat as
 *                       unroutable
 *   QUIC_ERR_MALFORMED  len differs from the configuration's CID length, or the first octet's
 *                       length bits disagree with len: unroutable
 *   QUIC_ERR_INVAL      NULL argument; QUIC_ERR_CRYPTO  AES failed
 */
int quic_lb_decode(struct quic_lb *lb, const uint8_t *cid, size_t len, struct quic_lb_route *out);

/*
 * Full decryption: plain receives server ID || nonce (server_id_len + nonce_len bytes).
 * @return as quic_lb_decode()
 */
int quic_lb_decrypt(struct quic_lb *lb, const uint8_t *cid, size_t len,
		    uint8_t plain[QUIC_LB_PLAIN_MAX]);

/* ---- Stateless reset tokens (RFC 9000 §10.3.2) ---- */

/*
 * token = HMAC-SHA256(static_key, cid) truncated to 16 bytes: any host holding the key can
 * rebuild the token of a CID it issued without per-connection state.
 * @param key  at least QUIC_RESET_KEY_MIN_LEN bytes
 * @param cid  1..20 bytes (a zero-length CID cannot be reset this way, §10.3.2)
 * @return 0, QUIC_ERR_INVAL, QUIC_ERR_CRYPTO
 */
int quic_reset_token(struct crypto_ctx *ctx, const uint8_t *key, size_t key_len, const uint8_t *cid,
		     size_t cid_len, uint8_t token[QUIC_RESET_TOKEN_LEN]);

/* Everything needed to mint one of our CIDs with its token. Borrowed, never kept. */
struct quic_cid_issuer {
	struct quic_lb *lb;
	uint8_t worker;
	const struct crypto_rand *rand; /* NULL: the system source */
	struct crypto_ctx *ctx;
	const uint8_t *reset_key;
	size_t reset_key_len;
};

/* A fresh QUIC-LB CID and its reset token. @return as quic_lb_encode(), quic_reset_token() */
int quic_cid_make(const struct quic_cid_issuer *iss, struct quic_cid *cid,
		  uint8_t token[QUIC_RESET_TOKEN_LEN]);

/* ---- Our CIDs (RFC 9000 §5.1.1, §19.15 sending, §19.16 receiving) ---- */

/*
 * Most of our CIDs the peer may hold at once, whatever its active_connection_id_limit: 4, as
 * many as we ask of peers (our default active_connection_id_limit), enough for a migration or
 * two (RFC 9000 §5.1.1: an endpoint may issue fewer than the peer's limit). Every slot costs
 * each connection 48 bytes here and a table key in the server (memory per connection).
 */
#define QUIC_CID_LOCAL_LIMIT 4
/* Slots: the active ones plus as many we asked the peer to retire (Retire Prior To). */
#define QUIC_CID_LOCAL_SLOTS (2 * QUIC_CID_LOCAL_LIMIT)

enum quic_local_cid_state {
	QUIC_LOCAL_CID_FREE = 0,
	QUIC_LOCAL_CID_PENDING, /* NEW_CONNECTION_ID to send (first time or after a loss) */
	QUIC_LOCAL_CID_SENT,	/* NEW_CONNECTION_ID in flight */
	QUIC_LOCAL_CID_ACKED,	/* the peer has it (acknowledged, handshake or transport params) */
};

struct quic_local_cid {
	uint64_t seq;
	struct quic_cid cid;
	uint8_t token[QUIC_RESET_TOKEN_LEN];
	uint8_t state; /* enum quic_local_cid_state */
};

struct quic_local_cids {
	struct quic_local_cid slot[QUIC_CID_LOCAL_SLOTS];
	uint64_t next_seq;	  /* sequence number of the next CID issued */
	uint64_t sent_below;	  /* every seq below this one has reached the wire */
	uint64_t retire_prior_to; /* what our NEW_CONNECTION_ID frames carry */
	uint8_t limit;		  /* min(peer's active_connection_id_limit, LOCAL_LIMIT) */
	bool zero_len;		  /* we chose a zero-length CID: nothing can be issued */
	uint32_t gen;		  /* changes whenever a CID is added or retired */
};

/*
 * Start the set with the CID we put in the Source Connection ID of our first long header
 * (seq 0, RFC 9000 §5.1.1). Until quic_local_cids_set_peer_limit() the peer's limit is the
 * default 2 (§18.2).
 * @param cid    0..20 bytes; 0 puts the set in zero-length mode
 * @param token  seq 0's reset token (the server's stateless_reset_token), or NULL
 * @return 0 or QUIC_ERR_INVAL
 */
int quic_local_cids_init(struct quic_local_cids *s, const uint8_t *cid, size_t len,
			 const uint8_t *token);
/* The peer's active_connection_id_limit transport parameter (capped at LOCAL_LIMIT). */
void quic_local_cids_set_peer_limit(struct quic_local_cids *s, uint64_t peer_limit);
/* How many CIDs may be issued now without exceeding the peer's limit (RFC 9000 §5.1.1). */
unsigned quic_local_cids_room(const struct quic_local_cids *s);

/*
 * Add a CID we minted.
 * @param announced  true when the peer learns it outside a NEW_CONNECTION_ID frame (the
 *                   preferred_address CID, seq 1); false queues a NEW_CONNECTION_ID
 * @param seq        receives its sequence number (may be NULL)
 * @return 0, QUIC_ERR_INVAL (no room: check quic_local_cids_room() first; zero-length mode;
 *         cid length not 1..20)
 */
int quic_local_cids_add(struct quic_local_cids *s, const struct quic_cid *cid,
			const uint8_t token[QUIC_RESET_TOKEN_LEN], bool announced, uint64_t *seq);
/* quic_cid_make() then quic_local_cids_add(..., false, seq). */
int quic_local_cids_issue(struct quic_local_cids *s, const struct quic_cid_issuer *iss,
			  uint64_t *seq);
/*
 * The CIDs the peer may send to now (added and not retired, seq 0 included), at most max of
 * them, into out: what a server's lookup table must map to the connection (s->gen tells when
 * the set changed). @return how many were written
 */
size_t quic_local_cids_list(const struct quic_local_cids *s, struct quic_cid *out, size_t max);
/* The entry of seq, or NULL (never issued, or retired). */
const struct quic_local_cid *quic_local_cids_get(const struct quic_local_cids *s, uint64_t seq);

/*
 * The NEW_CONNECTION_ID frame to send next: the lowest PENDING seq, with our current Retire
 * Prior To. f's pointers borrow s until s next changes.
 * @return true with *f set, false when nothing is pending
 */
bool quic_local_cids_next_frame(const struct quic_local_cids *s, struct quic_frame *f);
/* The frame for seq went out / was acknowledged / was declared lost (then sent again). */
void quic_local_cids_on_sent(struct quic_local_cids *s, uint64_t seq);
void quic_local_cids_on_acked(struct quic_local_cids *s, uint64_t seq);
void quic_local_cids_on_lost(struct quic_local_cids *s, uint64_t seq);

/*
 * Ask the peer to retire every CID below rpt (e.g. after a QUIC-LB configuration change); the
 * next NEW_CONNECTION_ID frames carry it, and CIDs below it stop counting toward the peer's
 * limit, so replacements may be issued. Those CIDs stay valid until the peer retires them.
 * @return 0 (also when rpt does not increase), QUIC_ERR_INVAL (rpt above next_seq, or CIDs
 *         below the previous value not yet retired: RFC 9000 §5.1.2 SHOULD NOT)
 */
int quic_local_cids_retire_prior_to(struct quic_local_cids *s, uint64_t rpt);

/*
 * Apply a received RETIRE_CONNECTION_ID (RFC 9000 §19.16).
 * @param pkt_dcid  the Destination Connection ID of the packet carrying the frame
 * @param retired   receives the retired CID, which the caller removes from its lookup table;
 *                  len 0 when seq was already retired
 * @return 0, or QUIC_ERR_PROTOCOL: seq above any we sent (C25), seq names pkt_dcid (C26), or
 *         we use a zero-length CID; the caller closes with quic_err_to_transport()
 */
int quic_local_cids_on_retire(struct quic_local_cids *s,
			      const struct quic_frame_retire_connection_id *f,
			      const uint8_t *pkt_dcid, size_t pkt_dcid_len,
			      struct quic_cid *retired);

/* ---- The peer's CIDs: our Destination Connection IDs (RFC 9000 §5.1, §19.15) ---- */

/* Largest active_connection_id_limit we advertise (the default is 4, quic/conn.c); each slot
 * costs every connection 48 bytes, and its retire queue 32 more. */
#define QUIC_CID_PEER_LIMIT 4
/* RETIRE_CONNECTION_ID frames tracked until acknowledged: twice the limit (RFC 9000 §5.1.2). */
#define QUIC_CID_RETIRE_QUEUE (2 * QUIC_CID_PEER_LIMIT)

struct quic_peer_cid {
	uint64_t seq;
	struct quic_cid cid;
	uint8_t token[QUIC_RESET_TOKEN_LEN];
	bool live;	/* slot holds an active CID */
	bool has_token; /* seq 0 of a client's peer has none */
	bool used;	/* we sent with it: its token may end a datagram (RFC 9000 §10.3.1) */
};

/* RETIRE_CONNECTION_ID queue entries: the sequence number (below 2^62, RFC 9000 §16), with
 * this bit set once the frame is in flight (8 bytes an entry, not 16: issue #6). */
#define QUIC_CID_RETIRE_SENT (UINT64_C(1) << 63)

struct quic_peer_cids {
	struct quic_peer_cid slot[QUIC_CID_PEER_LIMIT];
	uint64_t retire[QUIC_CID_RETIRE_QUEUE]; /* seq, | QUIC_CID_RETIRE_SENT when in flight */
	/* The last seqs we retired, so that a retransmitted NEW_CONNECTION_ID for one of them is
	 * not taken for a new CID once its RETIRE_CONNECTION_ID has left the queue. */
	uint64_t recent[QUIC_CID_RETIRE_QUEUE];
	uint64_t retire_prior_to; /* the largest received */
	uint8_t n_retire;
	uint8_t n_recent;
	uint8_t recent_next; /* ring position the next retired seq overwrites */
	uint8_t limit;	     /* our active_connection_id_limit */
	uint8_t cur;	     /* slot of the DCID in use */
	bool zero_len;	     /* the peer chose a zero-length CID */
};

/*
 * Start with the peer's handshake CID (the Source Connection ID of its long headers, seq 0).
 * @param limit  the active_connection_id_limit we advertise, 2..QUIC_CID_PEER_LIMIT
 * @param cid    0..20 bytes; 0 puts the set in zero-length mode (C24)
 * @param token  its reset token (a client gets it in the server's transport parameters, possibly
 *               later through quic_peer_cids_set_token0()), or NULL
 * @return 0 or QUIC_ERR_INVAL
 */
int quic_peer_cids_init(struct quic_peer_cids *s, uint64_t limit, const uint8_t *cid, size_t len,
			const uint8_t *token);
/* Set seq 0's reset token (the server's stateless_reset_token). @return 0 or QUIC_ERR_INVAL */
int quic_peer_cids_set_token0(struct quic_peer_cids *s, const uint8_t token[QUIC_RESET_TOKEN_LEN]);

/*
 * Apply a decoded NEW_CONNECTION_ID (RFC 9000 §5.1.1, §5.1.2, §19.15). An exact duplicate is
 * accepted; a smaller Retire Prior To than before is ignored; CIDs below a larger one are
 * retired (RETIRE_CONNECTION_ID queued), and so is the new CID itself if it is below it. On
 * error nothing changes and the caller closes with quic_err_to_transport(err).
 * @return 0, or
 *   QUIC_ERR_PROTOCOL        we use a zero-length DCID (C24); seq repeated with another CID or
 *                            token, or a CID or token repeated under another seq (C23)
 *   QUIC_ERR_CID_LIMIT       more active CIDs than our limit (C22), or the retire queue would
 *                            pass QUIC_CID_RETIRE_QUEUE (C27)
 *   QUIC_ERR_FRAME_ENCODING  length 0 or above 20, Retire Prior To above seq (C20, C21; the
 *                            frame decoder already rejects these)
 */
int quic_peer_cids_on_new(struct quic_peer_cids *s, const struct quic_frame_new_connection_id *f);

/* The DCID to send with: the lowest active seq unless rotated (marked used on return). */
const struct quic_cid *quic_peer_cids_dcid(struct quic_peer_cids *s);
/* Sequence number of that DCID. */
uint64_t quic_peer_cids_dcid_seq(const struct quic_peer_cids *s);
/* Active CIDs held. */
unsigned quic_peer_cids_count(const struct quic_peer_cids *s);
/* Whether an active CID we never sent with is available (to move to a new path). */
bool quic_peer_cids_has_spare(const struct quic_peer_cids *s);

/*
 * Move to the lowest unused CID and retire the one in use (RFC 9000 §9.5: a new path gets a
 * new CID). Call once the old path is abandoned.
 * @return 0, QUIC_ERR_INVAL (no spare: check quic_peer_cids_has_spare() first; zero-length
 *         mode), QUIC_ERR_CID_LIMIT (the retire queue is full; nothing changed)
 */
int quic_peer_cids_rotate(struct quic_peer_cids *s);

/* Pending RETIRE_CONNECTION_ID frames (retire queue entries not in flight). */
unsigned quic_peer_cids_retire_pending(const struct quic_peer_cids *s);
/* The next RETIRE_CONNECTION_ID to send. @return true with *f set, false when none is pending */
bool quic_peer_cids_next_retire(const struct quic_peer_cids *s, struct quic_frame *f);
/* The RETIRE_CONNECTION_ID for seq went out / was acknowledged (leaves the queue) / was lost. */
void quic_peer_cids_retire_sent(struct quic_peer_cids *s, uint64_t seq);
void quic_peer_cids_retire_acked(struct quic_peer_cids *s, uint64_t seq);
void quic_peer_cids_retire_lost(struct quic_peer_cids *s, uint64_t seq);

/*
 * Whether a datagram that could not be processed is a Stateless Reset (RFC 9000 §10.3.1): its
 * last 16 bytes equal the token of an active CID we have used. Every such token is compared in
 * constant time (crypto_memcmp_ct), without stopping at a match.
 */
bool quic_peer_cids_is_stateless_reset(const struct quic_peer_cids *s, const uint8_t *dgram,
				       size_t len);

#ifdef __cplusplus
}
#endif

#endif /* HB_QUIC_CID_H */
