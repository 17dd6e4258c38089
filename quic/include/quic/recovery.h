/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Loss detection and RTT estimation (RFC 9002 §5, §6 and Appendix A), persistent congestion
 * (§7.6), ECN validation (RFC 9000 §13.4.2), packet-number skipping against optimistic ACKs
 * (RFC 9000 §21.4) and the congestion controller and pacer of quic/cc.h, for one connection.
 *
 * Clock-free and I/O-free: every call takes now in nanoseconds, and the caller owns the timer
 * (quic_recovery_timer() says when to call quic_recovery_on_timeout()). Sent packets live in
 * one ring per packet number space, whose capacity the configuration sets (the hard limit on
 * packets tracked) and whose storage comes in blocks from a pool (struct quic_parray) as the
 * ring fills, going back as it empties: an idle connection holds no record (see
 * quic_recovery_trim()). Each packet carries an opaque cookie
 * the connection uses to find the frames it carried; acknowledged, lost and discarded
 * packets are reported through a callback with that cookie.
 *
 * Not thread-safe: a connection lives on one worker.
 */
#ifndef HB_QUIC_RECOVERY_H
#define HB_QUIC_RECOVERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <quic/cc.h>
#include <quic/frame.h>
#include <quic/pool.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Packet number spaces (RFC 9000 §12.3; kPacketNumberSpace of RFC 9002 §A.2). */
enum quic_pn_space {
	QUIC_PN_SPACE_INITIAL = 0,
	QUIC_PN_SPACE_HANDSHAKE = 1,
	QUIC_PN_SPACE_APP = 2, /* 0-RTT and 1-RTT */
};
#define QUIC_PN_SPACE_COUNT 3

/* ECN codepoints of the IP header (RFC 3168 §5). */
enum quic_ecn {
	QUIC_ECN_NOT_ECT = 0,
	QUIC_ECN_ECT1 = 1,
	QUIC_ECN_ECT0 = 2,
	QUIC_ECN_CE = 3,
};

/* RFC 9002 §6.1.1, §6.1.2, §6.2.2 and §7.6.1 constants. */
#define QUIC_K_PACKET_THRESHOLD		       3
#define QUIC_K_TIME_THRESHOLD_NUM	       9 /* kTimeThreshold = 9/8 */
#define QUIC_K_TIME_THRESHOLD_DEN	       8
#define QUIC_K_GRANULARITY_NS		       UINT64_C(1000000)
#define QUIC_K_INITIAL_RTT_NS		       UINT64_C(333000000)
#define QUIC_K_PERSISTENT_CONGESTION_THRESHOLD 3
/* RFC 9000 §18.2 defaults of the peer's max_ack_delay and ack_delay_exponent. */
#define QUIC_DEFAULT_MAX_ACK_DELAY_NS UINT64_C(25000000)
#define QUIC_DEFAULT_ACK_DELAY_EXP    3

/* No deadline. */
#define QUIC_TIMER_NONE UINT64_MAX

/* Skipped packet numbers remembered (RFC 9000 §21.4); older ones are forgotten. */
#define QUIC_RECOVERY_MAX_SKIPPED 32

/* ---- RTT estimation, RFC 9002 §5 ---- */

struct quic_rtt {
	uint64_t latest;
	uint64_t smoothed;
	uint64_t var;
	uint64_t min;
	uint64_t first_sample_time; /* valid when has_sample */
	bool has_sample;
};

/* smoothed = initial_rtt, rttvar = initial_rtt / 2, no sample yet (RFC 9002 §5.3). */
void quic_rtt_init(struct quic_rtt *rtt, uint64_t initial_rtt);

/*
 * Take an RTT sample (RFC 9002 §5.2, §5.3 and §A.7 UpdateRtt).
 * @param latest_rtt     ack time minus send time of the largest acknowledged packet
 * @param ack_delay      the peer's reported delay, already decoded to ns
 * @param max_ack_delay  the peer's max_ack_delay; caps ack_delay once the handshake is
 *                       confirmed
 */
void quic_rtt_update(struct quic_rtt *rtt, uint64_t latest_rtt, uint64_t ack_delay,
		     uint64_t max_ack_delay, bool handshake_confirmed, uint64_t now);

/* smoothed_rtt + max(4 * rttvar, kGranularity): the PTO period without max_ack_delay. */
uint64_t quic_rtt_pto_base(const struct quic_rtt *rtt);

/* ---- Recovery ---- */

/* What became of a sent packet. */
enum quic_pkt_fate {
	QUIC_PKT_ACKED,	    /* newly acknowledged */
	QUIC_PKT_LOST,	    /* declared lost: retransmit what it carried (RFC 9000 §13.3) */
	QUIC_PKT_DISCARDED, /* its space was discarded (RFC 9002 §6.4): forget what it carried */
};

/*
 * Called once per packet, with the cookie given to quic_recovery_on_packet_sent(). It must not
 * call back into the same struct quic_recovery.
 */
typedef void (*quic_recovery_pkt_fn)(void *ctx, enum quic_pn_space space, uint64_t pn,
				     uint64_t cookie, enum quic_pkt_fate fate);

struct quic_recovery_config {
	const char *cc_algo;	     /* "newreno" or "cubic"; NULL: "newreno" */
	uint64_t max_datagram_size;  /* >= 1200 */
	uint32_t sent_cap;	     /* packets tracked in the Application space, >= 8 */
	uint32_t sent_cap_handshake; /* packets tracked in each of Initial and Handshake, >= 8 */
	uint64_t initial_rtt_ns;     /* kInitialRtt, > 0 */
	uint64_t max_ack_delay_ns;   /* the peer's, until quic_recovery_set_peer_ack_delay() */
	uint8_t ack_delay_exponent;  /* the peer's, <= 20 */
	bool is_server;
	bool skip_pn;	       /* skip Application packet numbers now and then (RFC 9000 §21.4) */
	uint64_t skip_seed;    /* seeds the skip choices: take it from the worker's random source */
	bool ecn;	       /* mark ECT(0) and validate (RFC 9000 §13.4) */
	uint64_t pacing_burst; /* pacer bucket in bytes; 0: the initial window (RFC 9002 §7.7) */
	quic_recovery_pkt_fn on_pkt;
	void *ctx;
	/* Record blocks (objects of at least 32 bytes, e.g. the chunk pool); NULL: malloc(). */
	struct quic_pool *pool;
};

/* Defaults: NewReno, 1200-byte datagrams, 1024 + 2 x 64 records, 333 ms initial RTT, the
 * RFC 9000 transport parameter defaults, client role, PN skipping and ECN on. */
void quic_recovery_config_default(struct quic_recovery_config *cfg);

struct quic_recovery;

/*
 * Bytes the recovery state of cfg takes (the struct; packet records come from cfg->pool as
 * needed, and the Initial and Handshake spaces from the heap until both are discarded), for
 * callers that place it in their own memory with quic_recovery_init(); 0 when cfg is invalid.
 */
size_t quic_recovery_size(const struct quic_recovery_config *cfg);

/*
 * Set up the recovery state of a connection (RFC 9002 §A.4, §B.3) in caller memory.
 * @param mem  len bytes, at least quic_recovery_size(cfg), aligned for uint64_t; the caller
 *             owns it (no quic_recovery_free()) and calls quic_recovery_fini() to give back
 *             the record blocks and the handshake spaces
 * @param out  set on success; points into mem
 * @return 0, QUIC_ERR_INVAL (a config value out of range, unknown cc_algo, no callback,
 *         mem too small) or QUIC_ERR_NOMEM (the handshake spaces)
 */
int quic_recovery_init(void *mem, size_t len, const struct quic_recovery_config *cfg,
		       struct quic_recovery **out);

/*
 * quic_recovery_init() in memory from calloc().
 * @return 0, QUIC_ERR_INVAL (as quic_recovery_init()) or QUIC_ERR_NOMEM
 */
int quic_recovery_new(struct quic_recovery **out, const struct quic_recovery_config *cfg);
/* Give back the record blocks (after quic_recovery_init()); no callbacks are made. */
void quic_recovery_fini(struct quic_recovery *r);
/* Free what quic_recovery_new() made (NULL is ignored); no callbacks are made. */
void quic_recovery_free(struct quic_recovery *r);
/* Bytes held: the struct and the record blocks (and their tables) held now. */
size_t quic_recovery_mem_bytes(const struct quic_recovery *r);

/*
 * The packet number the next packet in space must carry. In the Application space it skips a
 * number now and then (RFC 9000 §21.4); an ACK of a skipped number is then a protocol
 * violation. Stable until quic_recovery_on_packet_sent().
 */
uint64_t quic_recovery_next_pn(const struct quic_recovery *r, enum quic_pn_space space);

/* Whether space has room to track one more packet; the caller must not send when false. */
bool quic_recovery_can_send(const struct quic_recovery *r, enum quic_pn_space space);

/*
 * Record a sent packet (RFC 9002 §A.5, §B.4).
 * @param pn             quic_recovery_next_pn(r, space)
 * @param size           bytes of the QUIC packet (header, payload, AEAD tag)
 * @param ack_eliciting  carries a frame other than ACK, PADDING, CONNECTION_CLOSE
 * @param in_flight      counts in bytes in flight: anything but ACK-only (and ack_eliciting
 *                       implies in_flight)
 * @param cookie         handed back to the callback with the packet's fate
 * The IP header must carry quic_recovery_ecn_codepoint(r) as it was at this call.
 * @return 0, QUIC_ERR_INVAL (wrong pn, space discarded, bad flags) or QUIC_ERR_BUFFER (no
 *         room: quic_recovery_can_send() was false)
 */
int quic_recovery_on_packet_sent(struct quic_recovery *r, enum quic_pn_space space, uint64_t pn,
				 size_t size, bool ack_eliciting, bool in_flight, uint64_t now,
				 uint64_t cookie);

/*
 * Process an ACK or ACK_ECN frame received in space (RFC 9002 §A.7, §A.10, §B.5-§B.8).
 * Newly lost packets go to the callback, then the newly acknowledged ones (oldest first).
 * Work is linear in the number of ranges plus the packets tracked, whatever the frame holds.
 * @param f  a frame decoded by quic_frame_decode(), type QUIC_FRAME_ACK or QUIC_FRAME_ACK_ECN
 * @return 0, or:
 *   QUIC_ERR_PROTOCOL  the frame acknowledges a packet number never sent in space: above the
 *                      largest sent, or one we skipped (RFC 9000 §13.1, §21.4). Nothing was
 *                      changed; close the connection with PROTOCOL_VIOLATION.
 *   QUIC_ERR_INVAL     not an ACK frame, or space discarded
 */
int quic_recovery_on_ack_received(struct quic_recovery *r, enum quic_pn_space space,
				  const struct quic_frame *f, uint64_t now);

/*
 * When quic_recovery_on_timeout() is next due (RFC 9002 §A.8 SetLossDetectionTimer), or
 * QUIC_TIMER_NONE. It only changes inside quic_recovery_* calls; a time already past is due
 * at once.
 */
uint64_t quic_recovery_timer(const struct quic_recovery *r);

enum quic_timeout_kind {
	QUIC_TIMEOUT_NONE, /* not due yet */
	QUIC_TIMEOUT_LOSS, /* time-threshold losses were reported through the callback */
	QUIC_TIMEOUT_PTO,  /* send probes (RFC 9002 §6.2.4) */
};

struct quic_timeout {
	enum quic_timeout_kind kind;
	enum quic_pn_space space; /* PTO: the space to probe */
	/*
	 * PTO: ack-eliciting packets to send in space, bypassing the congestion window (1 or
	 * 2). The caller SHOULD also send ack-eliciting packets in other spaces with data in
	 * flight, coalesced when it can.
	 */
	unsigned probes;
	/*
	 * Client anti-deadlock probe (RFC 9002 §6.2.2.1): nothing in flight; send one Handshake
	 * packet, or an Initial packet in a datagram padded to 1200 bytes.
	 */
	bool anti_deadlock;
};

/*
 * Run the loss detection timer (RFC 9002 §A.9 OnLossDetectionTimeout).
 * @param out  what to do; kind NONE when called before quic_recovery_timer(r)
 */
void quic_recovery_on_timeout(struct quic_recovery *r, uint64_t now, struct quic_timeout *out);

/*
 * Keys of space were discarded (RFC 9002 §6.4, §A.11): its packets go to the callback as
 * DISCARDED, leave bytes in flight, and the timer is re-armed. Later sends in space fail.
 * @return 0, or QUIC_ERR_INVAL for QUIC_PN_SPACE_APP (never discarded this way)
 */
int quic_recovery_discard_space(struct quic_recovery *r, enum quic_pn_space space, uint64_t now);

/* The handshake is confirmed (RFC 9001 §4.1.2): arms the Application PTO, caps ack_delay. */
void quic_recovery_set_handshake_confirmed(struct quic_recovery *r, uint64_t now);
/* A client now has Handshake keys: its anti-deadlock probe is a Handshake packet. */
void quic_recovery_set_handshake_keys(struct quic_recovery *r, uint64_t now);
/*
 * A client learned that the server validated its address (RFC 9002 §A.8
 * PeerCompletedAddressValidation); also implied by a Handshake ACK or handshake confirmation.
 */
void quic_recovery_set_peer_validated(struct quic_recovery *r, uint64_t now);
/*
 * A server is (blocked) or is no longer at its anti-amplification limit (RFC 9000 §8.1). No
 * timer runs while blocked (§6.2.2.1); when a datagram unblocks it the timer is re-armed and
 * may already be due: the caller then runs quic_recovery_on_timeout() at once (§A.6).
 */
void quic_recovery_set_amplification_blocked(struct quic_recovery *r, bool blocked, uint64_t now);
/* The peer's max_ack_delay and ack_delay_exponent, from its transport parameters. */
void quic_recovery_set_peer_ack_delay(struct quic_recovery *r, uint64_t max_ack_delay_ns,
				      uint8_t ack_delay_exponent);
/* The sender is application or flow-control limited (RFC 9002 §7.8). */
void quic_recovery_set_app_limited(struct quic_recovery *r, bool limited);

/*
 * Earliest time an in-flight packet of bytes may leave under pacing (RFC 9002 §7.7); ACK-only
 * packets (ack_only) may always leave at once.
 */
uint64_t quic_recovery_pacing_time(const struct quic_recovery *r, size_t bytes, bool ack_only,
				   uint64_t now);

/* ECN codepoint for the next packet's IP header: ECT(0) while testing or capable. */
enum quic_ecn quic_recovery_ecn_codepoint(const struct quic_recovery *r);
/* Whether ECN validation failed and marking stopped (RFC 9000 §13.4.2.2). */
bool quic_recovery_ecn_failed(const struct quic_recovery *r);
/* Whether ECN validation succeeded on this path. */
bool quic_recovery_ecn_capable(const struct quic_recovery *r);

const struct quic_rtt *quic_recovery_rtt(const struct quic_recovery *r);
const struct quic_cc *quic_recovery_cc(const struct quic_recovery *r);
uint64_t quic_recovery_bytes_in_flight(const struct quic_recovery *r);
/* Bytes cwnd still allows; 0 when full (probes may still be sent on PTO). */
uint64_t quic_recovery_cwnd_available(const struct quic_recovery *r);
unsigned quic_recovery_pto_count(const struct quic_recovery *r);
/*
 * When a space with nothing in flight may forget its ACK-only records (three PTO periods
 * after the newest), or QUIC_TIMER_NONE. quic_recovery_trim() at or after that time reports
 * them LOST (an ACK frame is never retransmitted, RFC 9000 §13.3) and gives the blocks back.
 */
uint64_t quic_recovery_trim_time(const struct quic_recovery *r);
void quic_recovery_trim(struct quic_recovery *r, uint64_t now);
/* Ring occupancy of space: records held (done ones not yet popped included), and capacity. */
size_t quic_recovery_tracked(const struct quic_recovery *r, enum quic_pn_space space);
size_t quic_recovery_capacity(const struct quic_recovery *r, enum quic_pn_space space);
/* Packets tracked in space and not yet acknowledged, lost or discarded. */
size_t quic_recovery_outstanding(const struct quic_recovery *r, enum quic_pn_space space);
/* Largest packet number acknowledged in space, or UINT64_MAX when none. */
uint64_t quic_recovery_largest_acked(const struct quic_recovery *r, enum quic_pn_space space);
/*
 * PTO period for space without backoff: the RTT part plus, in the Application space,
 * max_ack_delay (RFC 9002 §6.2.1).
 */
uint64_t quic_recovery_pto_period(const struct quic_recovery *r, enum quic_pn_space space);
/* Persistent congestion duration (RFC 9002 §7.6.1). */
uint64_t quic_recovery_pc_duration(const struct quic_recovery *r);

#ifdef __cplusplus
}
#endif

#endif /* HB_QUIC_RECOVERY_H */
