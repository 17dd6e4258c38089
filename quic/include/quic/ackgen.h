/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ACK generation, the receive side of RFC 9000 §13.2: per packet number space, the packet
 * numbers received (duplicates refused), when an ACK frame is due, and the ACK frame itself
 * (written with quic_frame_encode_ack()), with ECN counts (RFC 9000 §13.4.1).
 *
 * State is bounded: at most QUIC_ACKGEN_MAX_RANGES ranges for the Application space and
 * QUIC_ACKGEN_HS_RANGES for each of Initial and Handshake. The Application space keeps
 * QUIC_ACKGEN_INLINE_RANGES of them inline, which is all an idle or loss-free connection
 * ever uses (one or two ranges); it moves them to a heap array of QUIC_ACKGEN_MAX_RANGES
 * when more are live, and back (freeing the array) once no more than
 * QUIC_ACKGEN_INLINE_RANGES / 2 are. The two handshake spaces live in one allocation freed
 * once both are discarded (RFC 9001 §4.9). A fixed table of 32 ranges and three spaces was
 * 792 bytes of every established connection (issue #6); this is 184. When a new gap would
 * need one more range than the space may hold (or the heap array cannot be had), the oldest
 * range is dropped and counted (quic_ackgen_ranges_dropped()), and every packet number at or
 * below it is from then on refused as a duplicate (RFC 9000 §13.2.3: a range is only
 * forgotten once such packets can no longer be accepted). Not thread-safe.
 */
#ifndef HB_QUIC_ACKGEN_H
#define HB_QUIC_ACKGEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <quic/frame.h>
#include <quic/recovery.h>
#include <quic/varint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define QUIC_ACKGEN_MAX_RANGES 32
#define QUIC_ACKGEN_HS_RANGES  8
/* Application ranges held inline, without an allocation. */
#define QUIC_ACKGEN_INLINE_RANGES 4
/* RFC 9000 §13.2.2: acknowledge at least every second ack-eliciting packet. */
#define QUIC_ACKGEN_PACKET_THRESHOLD 2

struct quic_ackgen_space {
	/* Received packet numbers, highest range first, separated by gaps: cap entries (inline
	 * in struct quic_ackgen or struct quic_ackgen_hs, which must not be copied, or on the
	 * heap). */
	struct quic_ack_range *ranges;
	uint32_t cap;
	uint32_t n;
	uint64_t largest;		/* largest received (UINT64_MAX: none); kept */
	uint64_t largest_time;		/* when it arrived, for the ACK Delay field */
	uint64_t largest_ack_eliciting; /* UINT64_MAX when none */
	uint64_t floor;			/* packet numbers below are refused as duplicates */
	uint64_t deadline;		/* when an ACK is due, QUIC_TIMER_NONE when none */
	unsigned unacked_ack_eliciting; /* since the last ACK frame written */
	bool pending;			/* packets received since the last ACK frame written */
	bool ecn_seen;			/* an ECN-marked packet arrived: send ACK_ECN */
	bool discarded;
	struct quic_ack_ecn ecn;
};

/* Initial and Handshake (index = enum quic_pn_space), while either lives. */
struct quic_ackgen_hs {
	struct quic_ackgen_space sp[2];
	struct quic_ack_range ranges[2][QUIC_ACKGEN_HS_RANGES];
};

struct quic_ackgen {
	struct quic_ackgen_space app;
	struct quic_ackgen_hs *hs;  /* NULL once both handshake spaces are discarded */
	uint64_t max_ack_delay;	    /* ours, ns (our max_ack_delay transport parameter) */
	uint64_t ranges_dropped;    /* oldest ranges forgotten for want of room (all spaces) */
	uint8_t ack_delay_exponent; /* ours */
	struct quic_ack_range inl[QUIC_ACKGEN_INLINE_RANGES]; /* the Application space's */
};

/*
 * @param max_ack_delay_ns     our max_ack_delay transport parameter, in ns
 * @param ack_delay_exponent   our ack_delay_exponent transport parameter (<= 20)
 * @return 0, QUIC_ERR_INVAL (exponent above 20, max_ack_delay at or above 2^14 ms) or
 *         QUIC_ERR_NOMEM (the handshake spaces); call quic_ackgen_fini() in every case
 */
int quic_ackgen_init(struct quic_ackgen *ag, uint64_t max_ack_delay_ns, uint8_t ack_delay_exponent);

/* Free what ag holds (also after a failed init, or on a zeroed struct). */
void quic_ackgen_fini(struct quic_ackgen *ag);

/* Heap bytes ag holds now (the handshake spaces, the Application space's spilled ranges). */
size_t quic_ackgen_mem_bytes(const struct quic_ackgen *ag);

/* Ranges held for space now (0 for a discarded one). */
uint32_t quic_ackgen_ranges(const struct quic_ackgen *ag, enum quic_pn_space space);

/* Ranges dropped so far because a space was full (RFC 9000 §13.2.3), all spaces. */
uint64_t quic_ackgen_ranges_dropped(const struct quic_ackgen *ag);

/*
 * Whether pn was already received in space (or falls below what is still tracked). Call it
 * once the packet is authenticated, before processing its frames: a duplicate is dropped.
 */
bool quic_ackgen_is_duplicate(const struct quic_ackgen *ag, enum quic_pn_space space, uint64_t pn);

/*
 * Record an authenticated packet whose frames were processed (RFC 9000 §13.2.1).
 * @param ack_eliciting  it carried a frame other than ACK, PADDING or CONNECTION_CLOSE
 * @param ecn            the ECN codepoint of the IP header that carried it
 * @param now            arrival time
 * @return true when recorded; false for a duplicate (also a packet number below every range
 *         when the range table is full, or in a discarded space): drop the packet
 */
bool quic_ackgen_on_received(struct quic_ackgen *ag, enum quic_pn_space space, uint64_t pn,
			     bool ack_eliciting, enum quic_ecn ecn, uint64_t now);

/*
 * When an ACK frame is due in space: the arrival time of the packet that asked for an
 * immediate ACK, or that of the first unacknowledged ack-eliciting packet plus max_ack_delay
 * (RFC 9000 §13.2.1, §13.2.2); QUIC_TIMER_NONE when no ACK is owed.
 */
uint64_t quic_ackgen_deadline(const struct quic_ackgen *ag, enum quic_pn_space space);
/* Earliest deadline over all spaces. */
uint64_t quic_ackgen_timer(const struct quic_ackgen *ag);
/* Whether an ACK frame must be sent in space now. */
bool quic_ackgen_ack_due(const struct quic_ackgen *ag, enum quic_pn_space space, uint64_t now);
/*
 * Whether packets arrived since the last ACK frame: a packet being sent anyway in space may
 * carry an ACK frame (RFC 9000 §13.2).
 */
bool quic_ackgen_has_new(const struct quic_ackgen *ag, enum quic_pn_space space);
/* Largest packet number received in space (for packet number decoding), UINT64_MAX if none. */
uint64_t quic_ackgen_largest(const struct quic_ackgen *ag, enum quic_pn_space space);

/*
 * Write the ACK (or ACK_ECN) frame of space: the highest ranges that fit in the writer, the
 * ACK Delay since the largest arrived (0 in Initial packets, whose receiver may lack our
 * exponent). On success the ACK is no longer due.
 * @param largest_acked  if not NULL, set to the frame's Largest Acknowledged: keep it with the
 *                       sent packet and pass it to quic_ackgen_on_ack_of_ack() once that
 *                       packet is acknowledged
 * @return 0, QUIC_ERR_BUFFER (not even one range fits; nothing written) or QUIC_ERR_INVAL
 *         (nothing to acknowledge, space discarded)
 */
int quic_ackgen_write(struct quic_ackgen *ag, enum quic_pn_space space, struct crypto_wr *w,
		      uint64_t now, uint64_t *largest_acked);

/*
 * A packet carrying our ACK frame with Largest Acknowledged largest_acked was acknowledged:
 * stop acknowledging packet numbers at or below it, and refuse them from now on (RFC 9000
 * §13.2.4).
 */
void quic_ackgen_on_ack_of_ack(struct quic_ackgen *ag, enum quic_pn_space space,
			       uint64_t largest_acked);

/* Keys of space were discarded: forget it; nothing is due there any more. */
void quic_ackgen_discard(struct quic_ackgen *ag, enum quic_pn_space space);

#ifdef __cplusplus
}
#endif

#endif /* HB_QUIC_ACKGEN_H */
