/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The DPDK dataplane: ports, per-worker queues and pools, Ethernet/ARP/IPv4/IPv6/NDP/UDP,
 * connection-ID steering between workers, the worker poll loop with TX batching, a timer wheel
 * and counters per worker (shared/design.md "Data flow").
 *
 * Set-up (control thread, after rte_eal_init()):
 *   dp_new() configures every port of the options with one RX and one TX queue per worker (one
 *   worker per EAL lcore), a mempool per worker, a steering ring per worker, and starts them;
 *   the application then gives each worker its handler (dp_worker_set_handler()) and, to
 *   steer by connection ID, its QUIC-LB decoder (dp_worker_set_steering()); dp_run() runs the
 *   workers on their lcores until dp_stop(). Tests drive dp_worker_poll() themselves, in
 *   simulated time.
 *
 * Per iteration a worker reads its clock once (now_ns), receives a burst from each of its
 * queues and from its steering ring, answers ARP and Neighbor Solicitations, steers QUIC
 * datagrams to the worker their connection ID names, hands its own to on_datagram, runs its
 * timers, on_tick and collect_tx, and flushes TX queues that are full or older than the drain
 * time. The receive path takes no lock, allocates nothing but mbufs, and never prints.
 *
 * Ownership: received mbufs belong to the worker, which frees them in bulk after the burst;
 * on_datagram borrows the payload for the call only. dp_tx_alloc() hands out the payload area of
 * a fresh mbuf that dp_tx_commit() consumes (queued, or freed and counted on every error).
 *
 * Thread-safety: a struct dp_worker and everything reached through it belong to the thread
 * running it; dp_tx_*() and dp_worker_*() are called from that thread (normally from within its
 * callbacks) except where said otherwise. dp_stats() and dp_stop() are safe from any thread.
 */
#ifndef HB_DATAPLANE_DP_H
#define HB_DATAPLANE_DP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <dataplane/counters.h>
#include <dataplane/error.h>
#include <dataplane/opts.h>
#include <dataplane/pkt.h>
#include <dataplane/timer.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DP_BURST 32 /* RX, ring and TX burst size */

struct dp;
struct dp_worker;
struct quic_lb;

/* The application's side of a worker; ctx is the pointer given to dp_worker_set_handler(). */
struct dp_handler {
	/*
	 * A UDP datagram for this worker (after steering). path is borrowed for the call only;
	 * payload until end_burst returns (without end_burst: for the call only). May call
	 * dp_tx_alloc()/dp_tx_commit().
	 */
	void (*on_datagram)(void *ctx, struct dp_worker *w, const uint8_t *payload, size_t len,
			    const struct dp_path *path, uint64_t now_ns);
	/*
	 * After the on_datagram calls of one received burst (up to DP_BURST frames), before its
	 * buffers are freed: what was set aside from the burst is handled here together
	 * (NULL: none).
	 */
	void (*end_burst)(void *ctx, struct dp_worker *w, uint64_t now_ns);
	/* Every tick_ns at most once (NULL: none). */
	void (*on_tick)(void *ctx, struct dp_worker *w, uint64_t now_ns);
	/* Once per loop iteration, after receiving: write pending datagrams (NULL: none). */
	void (*collect_tx)(void *ctx, struct dp_worker *w, uint64_t now_ns);
	uint64_t tick_ns; /* on_tick period; 0 means 1 ms */
};

/*
 * Configure and start the dataplane on an initialised EAL.
 * @param opts  copied; ports are DPDK port ids that must exist
 * @return 0, DP_ERR_INVAL (no lcore, bad option, unknown port, too few queues on a port),
 *   DP_ERR_NOMEM (pool, ring or worker memory), DP_ERR_PORT (a port refused its
 *   configuration: the log says which and why). On error nothing is left allocated and the
 *   ports configured so far are stopped and closed. The first dataplane of a process also
 *   answers the telemetry command /hayabusa/stats (summed counters; ",N" for worker N).
 */
int dp_new(struct dp **out, const struct dp_opts *opts);

/*
 * Stop and close the ports, free every queued mbuf, the pools, rings and workers. Workers
 * must not be running. NULL is ignored.
 */
void dp_free(struct dp *dp);

unsigned dp_worker_count(const struct dp *dp);
/* Worker i (0 runs on the main lcore), or NULL when i is out of range. */
struct dp_worker *dp_worker_get(struct dp *dp, unsigned i);
unsigned dp_worker_id(const struct dp_worker *w);
/* The lcore that dp_run() runs the worker on. */
unsigned dp_worker_lcore(const struct dp_worker *w);
/*
 * Debug builds (NDEBUG unset): abort unless called on w's lcore while dp_run() runs the
 * workers (thread ownership, issue 8). For the application's own entries that touch a
 * worker's state (its connections, pools, crypto context). Release builds: nothing.
 */
void dp_worker_assert_owner(const struct dp_worker *w);

/*
 * Give a worker its handler (copied) and context; before dp_run(), from the control thread.
 * @return 0, DP_ERR_INVAL (NULL w or h, or no on_datagram)
 */
int dp_worker_set_handler(struct dp_worker *w, const struct dp_handler *h, void *ctx);

/*
 * Steer by connection ID: a datagram whose DCID (short header at payload byte 1; long header
 * at byte 6 when its length byte equals the CID length) decodes through lb to server_id and
 * a worker id below the worker count goes to that worker; every other datagram (Initials and
 * 0-RTT with a client-chosen DCID, other servers' CIDs) stays on the worker whose queue
 * received it. Without steering every datagram stays there.
 * @param lb         the worker's own decoder (quic_lb_new()), borrowed until dp_free(); it
 *                   holds the QUIC-LB key, which the dataplane never sees
 * @param server_id  our server ID (copied), as quic_lb_decode() returns it
 * @return 0, DP_ERR_INVAL (NULL w or lb, sid_len 0 or above 15)
 */
int dp_worker_set_steering(struct dp_worker *w, struct quic_lb *lb, const uint8_t *server_id,
			   size_t sid_len);

/*
 * Whether port i (0 .. nb_ports-1) steers by CID in hardware: rte_flow rules (set up once
 * every worker has its steering, when the port has more than one queue, CIDs carry the worker
 * id in clear and the port accepts the rules) send each server CID to its worker's queue.
 * False: software steering through the rings (always in place either way).
 */
bool dp_port_flow_steering(const struct dp *dp, unsigned i);

/* The worker's timer wheel, driven by its loop's now_ns (for connection timers). */
struct dp_timer_wheel *dp_worker_timers(struct dp_worker *w);
/* The worker's counters (read them from other threads with dp_cnt_read()). */
const struct dp_counters *dp_worker_counters(const struct dp_worker *w);

/* Nanoseconds since dp_new(), from the TSC; what dp_worker_run() passes as now_ns. */
uint64_t dp_now_ns(const struct dp *dp);

/*
 * The time now, for work inside an iteration that waits on time (a pacer): in a loop run by
 * dp_worker_run(), a fresh TSC reading (never before the iteration's now_ns); in iterations
 * driven by dp_worker_poll() alone (tests, simulated time), that iteration's now_ns.
 */
uint64_t dp_worker_clock(const struct dp_worker *w);

/*
 * One loop iteration at now_ns (tests pass simulated time; now_ns must not go backwards).
 * @return frames received plus frames sent in this iteration (0: idle)
 */
unsigned dp_worker_poll(struct dp_worker *w, uint64_t now_ns);

/* Poll until dp_stop(), with idle back-off unless --poll busy; flushes TX before returning. */
void dp_worker_run(struct dp_worker *w);

/*
 * Run every worker on its lcore, worker 0 on the calling (main) lcore, until dp_stop(); then
 * wait for all. @return 0, DP_ERR_STATE (not called on the main lcore), DP_ERR_EAL (an lcore
 * could not be launched: the others are stopped and waited for)
 */
int dp_run(struct dp *dp);

/* Ask every worker to return; any thread, async-signal-safe. */
void dp_stop(struct dp *dp);

/* Sum of all workers' counters (any thread; each counter is read once, relaxed). */
void dp_stats(const struct dp *dp, struct dp_counters *out);

/* Addresses of configured port i (0 .. nb_ports-1), with its MAC, or NULL. */
const struct dp_iface *dp_iface_get(const struct dp *dp, unsigned i);

/*
 * Largest UDP payload dp_tx_alloc() accepts on path (MTU less IP and UDP headers), or 0 when
 * the path is not usable (unknown port, family without an address on it).
 */
size_t dp_tx_payload_max(const struct dp_worker *w, const struct dp_path *path);

/*
 * A fresh mbuf for one datagram on path: returns where its UDP payload goes, with room for
 * max_payload bytes and headroom for Ethernet, IP and UDP headers. An allocation not yet
 * committed is released first (one allocation at a time per worker).
 * @param path  copied; path->local is our address and port, path->remote the peer's
 * @return the payload area, or NULL: pool empty (counted drop_no_mbuf), or max_payload
 *         above dp_tx_payload_max() / unusable path (counted drop_tx_invalid)
 */
uint8_t *dp_tx_alloc(struct dp_worker *w, const struct dp_path *path, size_t max_payload);

/*
 * Send the allocated datagram with len payload bytes: headers are written in front (next hop
 * resolved through ARP/NDP, checksums offloaded where the port can), and the frame is queued
 * for the next burst; while the next hop resolves, a few frames per address wait for it.
 * Consumes the mbuf in every case.
 * @return 0 (queued or waiting for resolution), DP_ERR_STATE (no allocation),
 *   DP_ERR_TOOBIG (len above the max_payload given), DP_ERR_NOROUTE (off-link, no gateway),
 *   DP_ERR_NOBUF (TX queue or resolution queue full); each error is a counted drop
 */
int dp_tx_commit(struct dp_worker *w, size_t len);

/*
 * Whether frames on path leave at once: the MAC of its next hop (the peer, or the gateway for
 * an off-link peer) is known through ARP/NDP. False for an unusable path. Worker thread only.
 */
bool dp_path_resolved(const struct dp_worker *w, const struct dp_path *path);

/* Release an allocation without sending it. */
void dp_tx_abort(struct dp_worker *w);

#define DP_TX_ALLOC_MAX 16 /* datagrams one dp_tx_alloc_burst() hands out at most */

/*
 * dp_tx_alloc() for up to n (<= DP_TX_ALLOC_MAX) datagrams on path at once: bufs[i] receives
 * where datagram i's payload goes. A sender that writes a burst of datagrams in one call (one
 * seal and one header-protection batch for all) fills them, then commits them together.
 * @return how many were allocated (0 .. n: fewer when the pool runs low; 0 also for the
 *         errors of dp_tx_alloc(), counted the same way)
 */
unsigned dp_tx_alloc_burst(struct dp_worker *w, const struct dp_path *path, size_t max_payload,
			   uint8_t **bufs, unsigned n);

/*
 * dp_tx_commit() for the first n datagrams of the allocation, datagram i with lens[i] payload
 * bytes; the rest of the allocation is released. Consumes every mbuf of the allocation.
 * @return datagrams queued (or waiting for resolution); the others are counted drops
 */
unsigned dp_tx_commit_burst(struct dp_worker *w, const size_t *lens, unsigned n);

/*
 * One datagram with a copy of data[0..len) as its payload: dp_tx_alloc() then dp_tx_commit().
 * @return 0, DP_ERR_NOMEM (no mbuf, or len above what path takes), or dp_tx_commit()'s errors;
 *   each is a drop the dataplane already counted
 */
int dp_tx_copy(struct dp_worker *w, const struct dp_path *path, const void *data, size_t len);

/* Send every queued frame now (a worker about to block or stop). */
void dp_tx_flush(struct dp_worker *w);

#ifdef __cplusplus
}
#endif

#endif /* HB_DATAPLANE_DP_H */
