/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Congestion control (RFC 9002 §7 and Appendix B) behind a small table of operations, with
 * two controllers: NewReno (RFC 9002 §7.3) and CUBIC (RFC 9438), chosen by name. Also the
 * pacer of RFC 9002 §7.7.
 *
 * Everything here is clock-free: time is a nanosecond count the caller passes in. A struct
 * quic_cc is embedded in its owner (the recovery state of a connection) and never allocates.
 * Windows and byte counts are in bytes, times in nanoseconds. Not thread-safe; one connection
 * belongs to one worker.
 */
#ifndef HB_QUIC_CC_H
#define HB_QUIC_CC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* RFC 9002 §7.2: smallest max_datagram_size (RFC 9000 §14). */
#define QUIC_CC_MIN_DATAGRAM 1200
/* RFC 9438 §4.6 and §5: multiplicative decrease factor and cubic constant. */
#define QUIC_CUBIC_BETA 0.7
#define QUIC_CUBIC_C	0.4

struct quic_cc;

/*
 * One controller. The generic quic_cc_* functions keep bytes_in_flight, the recovery period
 * and the application-limited rule, and call these hooks only when the window may change.
 */
struct quic_cc_ops {
	const char *name;
	/* Reset the controller's own state; cwnd and ssthresh are already at their start values. */
	void (*init)(struct quic_cc *cc);
	/*
	 * bytes of a packet sent at or after the recovery period acknowledged, while not
	 * application-limited; srtt is the smoothed RTT (RFC 9438 §4.2 needs one).
	 */
	void (*on_acked)(struct quic_cc *cc, uint64_t bytes, uint64_t now, uint64_t srtt);
	/* A new congestion event (loss or ECN-CE), outside a recovery period (RFC 9002 §7.3.2). */
	void (*on_congestion_event)(struct quic_cc *cc, uint64_t now);
	/* Persistent congestion was established (RFC 9002 §7.6.2). */
	void (*on_persistent_congestion)(struct quic_cc *cc, uint64_t now);
	/* Optional: the sender became, or stopped being, application-limited (§7.8). */
	void (*on_app_limited)(struct quic_cc *cc, bool limited);
};

/* CUBIC state (RFC 9438 §4.1.2), windows in bytes, times in seconds as doubles. */
struct quic_cc_cubic {
	double w_max;	    /* window before the last reduction, after fast convergence */
	double k;	    /* time to grow back to w_max, seconds */
	double cwnd_prior;  /* cwnd when ssthresh was last set */
	double cwnd_epoch;  /* cwnd at the start of this congestion avoidance stage */
	double w_est;	    /* Reno-friendly estimate */
	double cwnd;	    /* fractional cwnd during congestion avoidance */
	uint64_t t_epoch;   /* start of this congestion avoidance stage, ns */
	bool in_epoch;	    /* t_epoch is set */
	bool after_timeout; /* next stage starts with K = 0 (RFC 9438 §4.8) */
	bool fast_convergence;
};

struct quic_cc {
	const struct quic_cc_ops *ops;
	uint64_t cwnd;
	uint64_t ssthresh; /* UINT64_MAX: infinite */
	uint64_t bytes_in_flight;
	uint64_t max_datagram_size;
	uint64_t recovery_start; /* valid when in_recovery_period */
	bool in_recovery_period; /* a recovery period started and was not cleared */
	bool app_limited;
	uint64_t ca_acked; /* NewReno: bytes acknowledged toward the next increase (RFC 3465) */
	uint64_t congestion_events;
	uint64_t persistent_congestions;
	union {
		struct quic_cc_cubic cubic;
	} u;
};

extern const struct quic_cc_ops quic_cc_newreno;
extern const struct quic_cc_ops quic_cc_cubic;

/*
 * Controller by name.
 * @param name  "newreno" or "cubic"
 * @return the operations, or NULL for an unknown name
 */
const struct quic_cc_ops *quic_cc_find(const char *name);

/* Initial window, RFC 9002 §7.2: min(10 * mds, max(14720, 2 * mds)). */
uint64_t quic_cc_initial_window(uint64_t max_datagram_size);
/* Minimum window, RFC 9002 §7.2: 2 * mds. */
uint64_t quic_cc_min_window(uint64_t max_datagram_size);

/*
 * Start a controller: cwnd at the initial window, ssthresh infinite, nothing in flight.
 * @param name  "newreno" or "cubic"; NULL selects "newreno"
 * @param max_datagram_size  at least QUIC_CC_MIN_DATAGRAM
 * @return 0, or QUIC_ERR_INVAL (unknown name, datagram size below 1200)
 */
int quic_cc_init(struct quic_cc *cc, const char *name, uint64_t max_datagram_size);

/* An in-flight packet of bytes was sent (RFC 9002 §B.4). */
void quic_cc_on_sent(struct quic_cc *cc, uint64_t bytes);

/*
 * An in-flight packet was acknowledged (RFC 9002 §B.5): it leaves bytes_in_flight, and the
 * window grows unless the sender is application-limited (§7.8) or the packet was sent before
 * the current recovery period started.
 */
void quic_cc_on_acked(struct quic_cc *cc, uint64_t bytes, uint64_t time_sent, uint64_t now,
		      uint64_t srtt);

/* An in-flight packet was declared lost or discarded: it leaves bytes_in_flight (§B.8, §B.9). */
void quic_cc_on_removed(struct quic_cc *cc, uint64_t bytes);

/*
 * A congestion event for a packet sent at time_sent (RFC 9002 §B.6): ignored when that packet
 * was sent inside the current recovery period, else a new recovery period starts at now and
 * the controller reduces its window.
 */
void quic_cc_on_congestion_event(struct quic_cc *cc, uint64_t time_sent, uint64_t now);

/* Persistent congestion (RFC 9002 §7.6.2, §B.8): cwnd to the minimum, recovery period ends. */
void quic_cc_on_persistent_congestion(struct quic_cc *cc, uint64_t now);

/*
 * Tell the controller whether the sender is limited by the application or flow control rather
 * than by cwnd (RFC 9002 §7.8); the window does not grow while it is.
 */
void quic_cc_set_app_limited(struct quic_cc *cc, bool limited);

/* Whether a packet sent at time_sent belongs to the current recovery period (§B.5). */
static inline bool
quic_cc_in_recovery(const struct quic_cc *cc, uint64_t time_sent)
{
	return cc->in_recovery_period && time_sent <= cc->recovery_start;
}

/* Bytes that may still be sent under cwnd (0 when bytes_in_flight has reached it). */
static inline uint64_t
quic_cc_available(const struct quic_cc *cc)
{
	return cc->bytes_in_flight >= cc->cwnd ? 0 : cc->cwnd - cc->bytes_in_flight;
}

/*
 * CUBIC window at t seconds into the congestion avoidance stage, W_cubic(t) = C * (t - K)^3 +
 * W_max (RFC 9438 §4.2, Figure 1), in bytes. Only meaningful for a "cubic" controller.
 */
double quic_cubic_window(const struct quic_cc *cc, double t);
/* K = cbrt((W_max - cwnd_epoch) / C) in seconds, windows in segments (RFC 9438 Figure 2). */
double quic_cubic_k(double w_max_bytes, double cwnd_epoch_bytes, uint64_t max_datagram_size);
/* Cube root without libm (Newton's method), exact to a few ulps for x >= 0; 0 for x <= 0. */
double quic_cbrt(double x);

/* ---- Pacing (RFC 9002 §7.7) ---- */

/*
 * Leaky bucket: up to burst bytes leave at once, then packets leave at the rate
 * N * cwnd / smoothed_rtt with N = 1.25. Packets carrying only ACK frames are never paced.
 */
struct quic_pacer {
	uint64_t burst;	 /* bucket capacity, bytes */
	uint64_t tokens; /* bytes that may leave at time last */
	uint64_t last;	 /* ns */
	bool started;
};

/* @param burst  bucket capacity in bytes, e.g. the initial window (RFC 9002 §7.7) */
void quic_pacer_init(struct quic_pacer *p, uint64_t burst);

/*
 * Inter-packet interval of RFC 9002 §7.7: (smoothed_rtt * bytes / cwnd) / 1.25, in ns.
 * @return 0 when srtt or cwnd is 0 (no pacing)
 */
uint64_t quic_pacer_interval(uint64_t cwnd, uint64_t srtt, uint64_t bytes);

/*
 * Earliest time a packet of bytes may be sent.
 * @param ack_only  the packet carries only ACK frames: never paced
 * @return now when it may leave at once, else a later time
 */
uint64_t quic_pacer_next_send_time(const struct quic_pacer *p, uint64_t cwnd, uint64_t srtt,
				   uint64_t bytes, bool ack_only, uint64_t now);

/* A packet of bytes left at now; ACK-only packets take no tokens. */
void quic_pacer_on_sent(struct quic_pacer *p, uint64_t cwnd, uint64_t srtt, uint64_t bytes,
			bool ack_only, uint64_t now);

#ifdef __cplusplus
}
#endif

#endif /* HB_QUIC_CC_H */
