/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Congestion control: RFC 9002 §7.2 windows, the NewReno trajectory of §7.3 and Appendix B,
 * CUBIC against the formulas of RFC 9438 §4, and the pacer of RFC 9002 §7.7. Simulated time.
 */
#include <string.h>

#include <quic/cc.h>
#include <quic/error.h>

#include "hb_test.h"

TestSuite(cc);

#define MDS UINT64_C(1200)
#define MS  UINT64_C(1000000)
#define SEC UINT64_C(1000000000)

/* Send and acknowledge n packets of MDS bytes sent at sent, acknowledged at now. */
static void
send_ack(struct quic_cc *cc, unsigned n, uint64_t sent, uint64_t now, uint64_t srtt)
{
	for (unsigned i = 0; i < n; i++)
		quic_cc_on_sent(cc, MDS);
	for (unsigned i = 0; i < n; i++)
		quic_cc_on_acked(cc, MDS, sent, now, srtt);
}

HB_TEST(cc, rfc9002_7_2_windows)
{
	/* min(10 * mds, max(14720, 2 * mds)) */
	cr_assert(eq(u64, quic_cc_initial_window(1200), 12000));
	cr_assert(eq(u64, quic_cc_initial_window(1500), 14720));
	cr_assert(eq(u64, quic_cc_initial_window(9000), 18000));
	cr_assert(eq(u64, quic_cc_min_window(1200), 2400));
}

HB_TEST(cc, init_by_name)
{
	struct quic_cc cc;

	cr_assert(eq(int, quic_cc_init(&cc, "newreno", MDS), 0));
	cr_assert(eq(int, strcmp(cc.ops->name, "newreno"), 0));
	cr_assert(eq(u64, cc.cwnd, 12000));
	cr_assert(eq(u64, cc.ssthresh, UINT64_MAX));
	cr_assert(eq(u64, cc.bytes_in_flight, 0));
	cr_assert(eq(int, quic_cc_init(&cc, "cubic", MDS), 0));
	cr_assert(eq(int, strcmp(cc.ops->name, "cubic"), 0));
	cr_assert(eq(int, quic_cc_init(&cc, NULL, MDS), 0));
	cr_assert(eq(int, strcmp(cc.ops->name, "newreno"), 0));
	cr_assert(eq(int, quic_cc_init(&cc, "bbr", MDS), QUIC_ERR_INVAL));
	cr_assert(eq(int, quic_cc_init(&cc, "newreno", 1199), QUIC_ERR_INVAL));
	cr_assert(eq(u64, (uintptr_t)quic_cc_find("vegas"), 0));
}

/* RFC 9002 §7.3.1: slow start doubles the window each round trip. */
HB_TEST(cc, newreno_slow_start_doubles)
{
	struct quic_cc cc;

	cr_assert(eq(int, quic_cc_init(&cc, "newreno", MDS), 0));
	send_ack(&cc, 10, 0, 100 * MS, 100 * MS);
	cr_assert(eq(u64, cc.cwnd, 24000));
	send_ack(&cc, 20, 100 * MS, 200 * MS, 100 * MS);
	cr_assert(eq(u64, cc.cwnd, 48000));
	cr_assert(eq(u64, cc.bytes_in_flight, 0));
}

/* RFC 9002 §7.3.2 and §B.6: halve once per recovery period; no growth inside it. */
HB_TEST(cc, newreno_one_reduction_per_recovery_period)
{
	struct quic_cc cc;

	cr_assert(eq(int, quic_cc_init(&cc, "newreno", MDS), 0));
	send_ack(&cc, 30, 0, 100 * MS, 100 * MS);
	cr_assert(eq(u64, cc.cwnd, 48000));

	quic_cc_on_congestion_event(&cc, 150 * MS, 200 * MS);
	cr_assert(eq(u64, cc.ssthresh, 24000));
	cr_assert(eq(u64, cc.cwnd, 24000));
	/* A loss of a packet sent before the recovery period began: same period. */
	quic_cc_on_congestion_event(&cc, 190 * MS, 210 * MS);
	quic_cc_on_congestion_event(&cc, 200 * MS, 220 * MS);
	cr_assert(eq(u64, cc.cwnd, 24000));
	cr_assert(eq(u64, cc.congestion_events, 1));
	/* Acknowledgments of packets sent before the period do not grow the window. */
	send_ack(&cc, 5, 199 * MS, 230 * MS, 100 * MS);
	cr_assert(eq(u64, cc.cwnd, 24000));
	/* A packet sent after the period began ends it: a later loss reduces again. */
	quic_cc_on_congestion_event(&cc, 201 * MS, 300 * MS);
	cr_assert(eq(u64, cc.cwnd, 12000));
	cr_assert(eq(u64, cc.ssthresh, 12000));
	cr_assert(eq(u64, cc.congestion_events, 2));
}

/* RFC 9002 §7.3.3: one datagram per window acknowledged in congestion avoidance. */
HB_TEST(cc, newreno_congestion_avoidance)
{
	struct quic_cc cc;

	cr_assert(eq(int, quic_cc_init(&cc, "newreno", MDS), 0));
	send_ack(&cc, 10, 0, 100 * MS, 100 * MS); /* 24000 */
	quic_cc_on_congestion_event(&cc, 50 * MS, 100 * MS);
	cr_assert(eq(u64, cc.cwnd, 12000));
	/* 12000 bytes acknowledged: exactly one increase, on the tenth packet. */
	send_ack(&cc, 9, 150 * MS, 250 * MS, 100 * MS);
	cr_assert(eq(u64, cc.cwnd, 12000));
	send_ack(&cc, 1, 150 * MS, 250 * MS, 100 * MS);
	cr_assert(eq(u64, cc.cwnd, 13200));
	/* The next increase needs a full 13200-byte window: 11 packets. */
	send_ack(&cc, 10, 250 * MS, 350 * MS, 100 * MS);
	cr_assert(eq(u64, cc.cwnd, 13200));
	send_ack(&cc, 1, 250 * MS, 350 * MS, 100 * MS);
	cr_assert(eq(u64, cc.cwnd, 14400));
}

/* RFC 9002 §7.2: the window never drops below 2 * max_datagram_size. */
HB_TEST(cc, newreno_minimum_window)
{
	struct quic_cc cc;
	uint64_t t = 0;

	cr_assert(eq(int, quic_cc_init(&cc, "newreno", MDS), 0));
	for (int i = 0; i < 10; i++) {
		quic_cc_on_congestion_event(&cc, t + 1, t + 2);
		t += 10;
	}
	cr_assert(eq(u64, cc.cwnd, 2400));
	cr_assert(eq(u64, cc.ssthresh, 1200));
	cr_assert(eq(u64, cc.congestion_events, 10));
}

/* RFC 9002 §7.6.2 and §B.8: persistent congestion collapses to the minimum window. */
HB_TEST(cc, newreno_persistent_congestion)
{
	struct quic_cc cc;

	cr_assert(eq(int, quic_cc_init(&cc, "newreno", MDS), 0));
	send_ack(&cc, 30, 0, 100 * MS, 100 * MS);
	quic_cc_on_congestion_event(&cc, 100 * MS, 200 * MS);
	quic_cc_on_persistent_congestion(&cc, 200 * MS);
	cr_assert(eq(u64, cc.cwnd, 2400));
	cr_assert(eq(u64, cc.ssthresh, 24000));
	cr_assert(not(cc.in_recovery_period));
	cr_assert(eq(u64, cc.persistent_congestions, 1));
	/* Back in slow start below ssthresh: every packet sent before now counts again. */
	send_ack(&cc, 2, 150 * MS, 300 * MS, 100 * MS);
	cr_assert(eq(u64, cc.cwnd, 4800));
}

/* RFC 9002 §7.8: an application-limited sender does not grow its window. */
HB_TEST(cc, app_limited_no_growth)
{
	struct quic_cc cc;

	cr_assert(eq(int, quic_cc_init(&cc, "newreno", MDS), 0));
	quic_cc_set_app_limited(&cc, true);
	send_ack(&cc, 5, 0, 100 * MS, 100 * MS);
	cr_assert(eq(u64, cc.cwnd, 12000));
	cr_assert(eq(u64, cc.bytes_in_flight, 0));
	quic_cc_set_app_limited(&cc, false);
	send_ack(&cc, 5, 0, 100 * MS, 100 * MS);
	cr_assert(eq(u64, cc.cwnd, 18000));
}

HB_TEST(cc, bytes_in_flight_never_negative)
{
	struct quic_cc cc;

	cr_assert(eq(int, quic_cc_init(&cc, "newreno", MDS), 0));
	quic_cc_on_sent(&cc, 1000);
	cr_assert(eq(u64, quic_cc_available(&cc), 11000));
	quic_cc_on_removed(&cc, 1500);
	cr_assert(eq(u64, cc.bytes_in_flight, 0));
	quic_cc_on_acked(&cc, 1200, 0, 1, 1); /* slow start: cwnd 13200 */
	cr_assert(eq(u64, cc.bytes_in_flight, 0));
	quic_cc_on_sent(&cc, 14000);
	cr_assert(eq(u64, quic_cc_available(&cc), 0));
}

/* ---- CUBIC, RFC 9438 ---- */

HB_TEST(cc, cbrt_without_libm)
{
	/* Epsilon comparisons: Criterion's ulp comparison would need libm. */
	cr_assert(epsilon_eq(dbl, quic_cbrt(27.0), 3.0, 1e-14));
	cr_assert(epsilon_eq(dbl, quic_cbrt(1e18), 1e6, 1e-8));
	cr_assert(epsilon_eq(dbl, quic_cbrt(0.001), 0.1, 1e-15));
	cr_assert(epsilon_eq(dbl, quic_cbrt(75.0), 4.217163326508746, 1e-14));
	cr_assert(epsilon_eq(dbl, quic_cbrt(0.0), 0.0, 1e-300));
	cr_assert(epsilon_eq(dbl, quic_cbrt(-8.0), 0.0, 1e-300));
}

/* RFC 9438 §4.2 Figure 2: K = cbrt((W_max - cwnd_epoch) / C), windows in segments. */
HB_TEST(cc, cubic_k)
{
	/* W_max 100 segments, cwnd_epoch 70: K = cbrt(30 / 0.4) = cbrt(75). */
	cr_assert(epsilon_eq(dbl, quic_cubic_k(100.0 * MDS, 70.0 * MDS, MDS), 4.217163326508746,
			     1e-12));
	/* W_max 1000 segments, beta 0.7: K = cbrt(300 / 0.4) = cbrt(750). */
	cr_assert(epsilon_eq(dbl, quic_cubic_k(1000.0 * 1500, 700.0 * 1500, 1500),
			     9.085602964160698, 1e-12));
	cr_assert(epsilon_eq(dbl, quic_cubic_k(70.0 * MDS, 80.0 * MDS, MDS), 0.0, 1e-300));
}

/* Grow a CUBIC controller to 100 segments and take one loss: W_max 100, cwnd 70. */
static void
cubic_at_100_after_loss(struct quic_cc *cc, uint64_t loss_at)
{
	cr_assert(eq(int, quic_cc_init(cc, "cubic", MDS), 0));
	send_ack(cc, 90, 0, 100 * MS, 100 * MS);
	cr_assert(eq(u64, cc->cwnd, 100 * MDS));
	quic_cc_on_congestion_event(cc, loss_at - 1, loss_at);
}

/* RFC 9438 §4.6: beta_cubic = 0.7; the first reduction sets W_max to the window. */
HB_TEST(cc, cubic_multiplicative_decrease)
{
	struct quic_cc cc;

	cubic_at_100_after_loss(&cc, SEC);
	cr_assert(eq(u64, cc.cwnd, 70 * MDS));
	cr_assert(eq(u64, cc.ssthresh, 70 * MDS));
	cr_assert(epsilon_eq(dbl, cc.u.cubic.w_max, 100.0 * MDS, 1e-9));
	cr_assert(epsilon_eq(dbl, cc.u.cubic.cwnd_prior, 100.0 * MDS, 1e-9));
}

/* RFC 9438 §4.2 Figure 1: W_cubic(t) = C * (t - K)^3 + W_max, here in bytes. */
HB_TEST(cc, cubic_window_formula)
{
	/* 1200 * (0.4 * (t - cbrt(75))^3 + 100), computed by hand for each t. */
	static const struct {
		double t;
		double w;
	} want[] = {
		{0.0, 84000.0},
		{1.0, 104016.91660215586},
		{2.0, 114768.40282396653},
		{4.217163326508746, 120000.0},
		{6.0, 122720.04390775731},
		{10.0, 212824.79890602513},
	};
	struct quic_cc cc;

	cubic_at_100_after_loss(&cc, SEC);
	/* The first acknowledgment of a packet sent after the loss starts the epoch. */
	quic_cc_on_sent(&cc, MDS);
	quic_cc_on_acked(&cc, MDS, SEC + 1, SEC + 100 * MS, 100 * MS);
	cr_assert(cc.u.cubic.in_epoch);
	cr_assert(eq(u64, cc.u.cubic.t_epoch, SEC + 100 * MS));
	cr_assert(epsilon_eq(dbl, cc.u.cubic.k, 4.217163326508746, 1e-12));
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		cr_assert(epsilon_eq(dbl, quic_cubic_window(&cc, want[i].t), want[i].w, 1e-6),
			  "t = %g", want[i].t);
}

/*
 * One round trip: acknowledge a window's worth of packets sent one RTT earlier, one ACK per
 * packet.
 */
static void
cubic_round(struct quic_cc *cc, uint64_t now, uint64_t rtt)
{
	uint64_t n = cc->cwnd / MDS;

	for (uint64_t i = 0; i < n; i++)
		quic_cc_on_sent(cc, MDS);
	for (uint64_t i = 0; i < n; i++)
		quic_cc_on_acked(cc, MDS, now - rtt + 1, now, rtt);
}

/* RFC 9438 §4.4 and §4.5: concave growth back to W_max around t = K, then convex. */
HB_TEST(cc, cubic_concave_then_convex)
{
	const uint64_t rtt = 200 * MS;
	struct quic_cc cc;
	uint64_t prev, now = SEC;
	double t = 0.0;

	cubic_at_100_after_loss(&cc, now);
	prev = cc.cwnd;
	for (int i = 0; i < 40; i++) {
		now += rtt;
		cubic_round(&cc, now, rtt);
		/* Never more than 1.5x per round trip (the target bound of §4.2), never less. */
		cr_assert(le(u64, cc.cwnd, prev + prev / 2 + MDS));
		cr_assert(ge(u64, cc.cwnd, prev));
		prev = cc.cwnd;
		t = (double)(now - cc.u.cubic.t_epoch) / 1e9;
		/* Concave region: the target W_cubic(t + RTT) stays below W_max until K. */
		if (t + 0.2 < cc.u.cubic.k)
			cr_assert(le(u64, cc.cwnd, 100 * MDS));
		/* Back near W_max at t = K (4.217 s). */
		if (t > 4.1 && t < 4.3) {
			cr_assert(ge(u64, cc.cwnd, 95 * MDS));
			cr_assert(le(u64, cc.cwnd, 105 * MDS));
		}
	}
	/* Convex region 3.6 s after K: W_cubic(7.8) is 118 segments. */
	cr_assert(gt(u64, cc.cwnd, 110 * MDS));
	/* At an RTT of 200 ms the Reno estimate stays below the cubic curve. */
	cr_assert(lt(dbl, cc.u.cubic.w_est, quic_cubic_window(&cc, t)));
}

/* RFC 9438 §4.3: at a small RTT the Reno-friendly estimate W_est leads. */
HB_TEST(cc, cubic_reno_friendly_small_rtt)
{
	const uint64_t rtt = 1 * MS;
	struct quic_cc cc;
	uint64_t now = SEC;
	double t;

	cubic_at_100_after_loss(&cc, now);
	for (int i = 0; i < 10; i++) {
		now += rtt;
		cubic_round(&cc, now, rtt);
	}
	/* 10 round trips: W_est grew by about alpha_cubic = 3 * 0.3 / 1.7 segments each. */
	t = (double)(now - cc.u.cubic.t_epoch) / 1e9;
	cr_assert(gt(dbl, cc.u.cubic.w_est, quic_cubic_window(&cc, t)));
	cr_assert(eq(u64, cc.cwnd, (uint64_t)cc.u.cubic.w_est));
	cr_assert(gt(u64, cc.cwnd, 74 * MDS));
	cr_assert(lt(u64, cc.cwnd, 76 * MDS));
	/* Past cwnd_prior, alpha becomes 1: one segment per round trip. */
	for (int i = 0; i < 990; i++) {
		now += rtt;
		cubic_round(&cc, now, rtt);
	}
	t = (double)(now - cc.u.cubic.t_epoch) / 1e9;
	cr_assert(gt(dbl, cc.u.cubic.w_est, quic_cubic_window(&cc, t)));
	cr_assert(eq(u64, cc.cwnd, (uint64_t)cc.u.cubic.w_est));
	cr_assert(gt(u64, cc.cwnd, 900 * MDS));
}

/* RFC 9438 §4.7 Figure 6: fast convergence lowers W_max when the window keeps shrinking. */
HB_TEST(cc, cubic_fast_convergence)
{
	struct quic_cc cc;

	cubic_at_100_after_loss(&cc, SEC);
	/* A second loss, after the first recovery period, at cwnd 70 < W_max 100. */
	quic_cc_on_congestion_event(&cc, 2 * SEC, 2 * SEC + 1);
	cr_assert(epsilon_eq(dbl, cc.u.cubic.w_max, 70.0 * MDS * 1.7 / 2.0, 1e-6));
	cr_assert(eq(u64, cc.cwnd, 49 * MDS));
	cr_assert(epsilon_eq(dbl, cc.u.cubic.cwnd_prior, 70.0 * MDS, 1e-9));
	/* Without fast convergence W_max would be the window itself. */
	cubic_at_100_after_loss(&cc, SEC);
	cc.u.cubic.fast_convergence = false;
	quic_cc_on_congestion_event(&cc, 2 * SEC, 2 * SEC + 1);
	cr_assert(epsilon_eq(dbl, cc.u.cubic.w_max, 70.0 * MDS, 1e-6));
}

/* RFC 9438 §4.8 and RFC 9002 §7.6.2: after persistent congestion the next stage has K = 0. */
HB_TEST(cc, cubic_persistent_congestion)
{
	struct quic_cc cc;
	uint64_t now = 2 * SEC;

	cubic_at_100_after_loss(&cc, SEC);
	quic_cc_on_persistent_congestion(&cc, SEC);
	cr_assert(eq(u64, cc.cwnd, 2 * MDS));
	cr_assert(eq(u64, cc.ssthresh, 70 * MDS));
	/* Slow start back up to ssthresh, then a congestion avoidance stage with K = 0. */
	while (cc.cwnd < cc.ssthresh) {
		now += 100 * MS;
		cubic_round(&cc, now, 100 * MS);
	}
	now += 100 * MS;
	cubic_round(&cc, now, 100 * MS);
	cr_assert(cc.u.cubic.in_epoch);
	cr_assert(epsilon_eq(dbl, cc.u.cubic.k, 0.0, 1e-300));
	cr_assert(epsilon_eq(dbl, cc.u.cubic.w_max, cc.u.cubic.cwnd_epoch, 1e-9));
}

/* RFC 9438 §5.8: an application-limited period does not count toward t. */
HB_TEST(cc, cubic_app_limited_restarts_epoch)
{
	struct quic_cc cc;
	uint64_t now = SEC, cwnd;

	cubic_at_100_after_loss(&cc, now);
	for (int i = 0; i < 5; i++) {
		now += 200 * MS;
		cubic_round(&cc, now, 200 * MS);
	}
	cwnd = cc.cwnd;
	quic_cc_set_app_limited(&cc, true);
	now += 30 * SEC;
	cubic_round(&cc, now, 200 * MS);
	cr_assert(eq(u64, cc.cwnd, cwnd));
	quic_cc_set_app_limited(&cc, false);
	cr_assert(not(cc.u.cubic.in_epoch));
	/* 30 s later the curve restarts at the current window, W_max unchanged: no leap. */
	now += 200 * MS;
	cubic_round(&cc, now, 200 * MS);
	cr_assert(eq(u64, cc.u.cubic.t_epoch, now));
	cr_assert(epsilon_eq(dbl, cc.u.cubic.w_max, 100.0 * MDS, 1e-9));
	cr_assert(lt(u64, cc.cwnd, cwnd + 4 * MDS));
}

/* ---- Pacing, RFC 9002 §7.7 ---- */

/* interval = (smoothed_rtt * packet_size / congestion_window) / N, N = 1.25 */
HB_TEST(cc, pacing_interval)
{
	cr_assert(eq(u64, quic_pacer_interval(12000, 100 * MS, 1200), 8 * MS));
	cr_assert(eq(u64, quic_pacer_interval(120000, 100 * MS, 1200), 800000));
	cr_assert(eq(u64, quic_pacer_interval(12000, 0, 1200), 0));
	cr_assert(eq(u64, quic_pacer_interval(0, 100 * MS, 1200), 0));
}

HB_TEST(cc, pacer_burst_then_rate)
{
	struct quic_pacer p;
	const uint64_t cwnd = 12000, srtt = 100 * MS;

	quic_pacer_init(&p, 12000);
	/* A burst of the initial window leaves at once. */
	for (int i = 0; i < 10; i++) {
		cr_assert(eq(u64, quic_pacer_next_send_time(&p, cwnd, srtt, MDS, false, 0), 0));
		quic_pacer_on_sent(&p, cwnd, srtt, MDS, false, 0);
	}
	/* Then one packet per interval. */
	cr_assert(eq(u64, quic_pacer_next_send_time(&p, cwnd, srtt, MDS, false, 0), 8 * MS));
	cr_assert(eq(u64, quic_pacer_next_send_time(&p, cwnd, srtt, MDS, false, 3 * MS), 8 * MS));
	/* ACK-only packets are never paced, and take nothing from the bucket. */
	cr_assert(eq(u64, quic_pacer_next_send_time(&p, cwnd, srtt, 50, true, 3 * MS), 3 * MS));
	quic_pacer_on_sent(&p, cwnd, srtt, 50, true, 3 * MS);
	cr_assert(eq(u64, quic_pacer_next_send_time(&p, cwnd, srtt, MDS, false, 8 * MS), 8 * MS));
	quic_pacer_on_sent(&p, cwnd, srtt, MDS, false, 8 * MS);
	cr_assert(eq(u64, quic_pacer_next_send_time(&p, cwnd, srtt, MDS, false, 8 * MS), 16 * MS));
	/* After a long idle period the bucket holds one burst, not more. */
	for (int i = 0; i < 10; i++) {
		cr_assert(eq(u64, quic_pacer_next_send_time(&p, cwnd, srtt, MDS, false, 10 * SEC),
			     10 * SEC));
		quic_pacer_on_sent(&p, cwnd, srtt, MDS, false, 10 * SEC);
	}
	cr_assert(eq(u64, quic_pacer_next_send_time(&p, cwnd, srtt, MDS, false, 10 * SEC),
		     10 * SEC + 8 * MS));
}
