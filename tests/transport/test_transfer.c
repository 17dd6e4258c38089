/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Byte-exact stream transfers in both directions over the simulated link (RFC 9000 §2-§4):
 * 0 B, 1 KB, 1 MB and 10 MB, on 1 and 100 streams, with 0 %, 5 % and 30 % of the datagrams
 * of each direction lost, then 50 MB on one stream and 1,000 streams at 2 % loss (seeded, so
 * every run loses the same ones). Sizes larger than the 1 MiB connection and 256 KiB stream
 * windows only get through if MAX_DATA and MAX_STREAM_DATA are sent as the receiver reads;
 * more streams than the 100 of initial_max_streams_bidi only if MAX_STREAMS is.
 */
#include <string.h>

#include <quic/conn.h>

#include "hb_test.h"
#include "pair.h"
#include "xfer.h"

TestSuite(transport_transfer, .timeout = 240);

#define KB 1024u
#define MB (1024u * 1024u)
/* Simulated time allowed: generous, a lossy 10 MB transfer takes minutes of it. */
#define XFER_BUDGET (3600000 * PAIR_MS)

struct case_ {
	uint64_t total; /* bytes each way, over all streams */
	size_t streams;
	uint32_t loss_permille;
};

static void
run_case(const struct case_ *k, const char *cc, uint64_t bandwidth_bps)
{
	struct pair_opts o;
	struct pair p;
	struct xfer x;
	uint64_t per = k->total / k->streams;
	int d;

	pair_opts_default(&o, 10);
	o.cc_algo = cc;
	for (d = 0; d < 2; d++) {
		o.link[d].loss_permille = k->loss_permille;
		o.link[d].bandwidth_bps = bandwidth_bps;
		o.link[d].queue_bytes = bandwidth_bps != 0 ? 256 * KB : 0;
	}
	pair_init(&p, &o);
	xfer_init(&x, k->streams, per, per, false);
	p.on_step = xfer_step;
	p.step_arg = &x;
	cr_assert(pair_run(&p, xfer_done, &x, XFER_BUDGET),
		  "%lu bytes on %zu streams, %u permille lost: not done", (unsigned long)k->total,
		  k->streams, k->loss_permille);
	cr_assert(eq(u64, x.mismatches, 0));
	cr_assert(eq(u64, x.bad_events, 0));
	cr_assert(eq(u64, p.amp_violations, 0));
	cr_assert(eq(int, quic_conn_state(p.cli), QUIC_CONN_ESTABLISHED));
	cr_assert(eq(int, quic_conn_state(p.srv), QUIC_CONN_ESTABLISHED));
	xfer_free(&x);
	pair_free(&p);
}

/* Run the transfer x over a pair built from o, then check it got through byte-exact. */
static void
run_xfer(struct pair *p, struct xfer *x, const struct pair_opts *o)
{
	pair_init(p, o);
	p->on_step = xfer_step;
	p->step_arg = x;
	cr_assert(pair_run(p, xfer_done, x, XFER_BUDGET), "%zu streams: not done", x->n);
	cr_assert(eq(u64, x->mismatches, 0));
	cr_assert(eq(u64, x->bad_events, 0));
}

static void
run_table(const struct case_ *t, size_t n, const char *cc)
{
	size_t i;

	for (i = 0; i < n; i++)
		run_case(&t[i], cc, 0);
}

HB_TEST(transport_transfer, empty_streams)
{
	static const struct case_ t[] = {
		{0, 1, 0}, {0, 1, 50}, {0, 1, 300}, {0, 100, 0}, {0, 100, 50}, {0, 100, 300},
	};

	run_table(t, sizeof(t) / sizeof(t[0]), NULL);
}

HB_TEST(transport_transfer, one_kb)
{
	static const struct case_ t[] = {
		{KB, 1, 0}, {KB, 1, 50}, {KB, 1, 300}, {KB, 100, 0}, {KB, 100, 50}, {KB, 100, 300},
	};

	run_table(t, sizeof(t) / sizeof(t[0]), NULL);
}

HB_TEST(transport_transfer, one_mb)
{
	static const struct case_ t[] = {
		{MB, 1, 0}, {MB, 1, 50}, {MB, 1, 300}, {MB, 100, 0}, {MB, 100, 50}, {MB, 100, 300},
	};

	run_table(t, sizeof(t) / sizeof(t[0]), NULL);
}

/*
 * Both sides write through quic_conn_write_burst(), a buffer per datagram as a sender over
 * packet buffers does: 1 MB each way on 1 and 100 streams, clean and with 5 % lost, arrives
 * byte-exact, bursts carry several datagrams, and no datagram runs past its buffer.
 */
HB_TEST(transport_transfer, burst_buffers)
{
	static const struct case_ t[] = {{MB, 1, 0}, {MB, 100, 0}, {MB, 1, 50}, {MB, 100, 50}};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct pair_opts o;
		struct pair p;
		struct xfer x;

		pair_opts_default(&o, 10);
		o.burst_bufs = true;
		o.link[PAIR_C2S].loss_permille = o.link[PAIR_S2C].loss_permille =
			t[i].loss_permille;
		xfer_init(&x, t[i].streams, t[i].total / t[i].streams, t[i].total / t[i].streams,
			  false);
		run_xfer(&p, &x, &o);
		cr_assert(eq(u64, p.amp_violations, 0));
		cr_assert(gt(u64, p.multi_bursts, 0));
		cr_assert(eq(u64, p.canary_broken, 0));
		xfer_free(&x);
		pair_free(&p);
	}
}

HB_TEST(transport_transfer, ten_mb_clean)
{
	static const struct case_ t[] = {{10 * MB, 1, 0}, {10 * MB, 100, 0}};

	run_table(t, sizeof(t) / sizeof(t[0]), NULL);
}

HB_TEST(transport_transfer, ten_mb_5_percent)
{
	static const struct case_ t[] = {{10 * MB, 1, 50}, {10 * MB, 100, 50}};

	run_table(t, sizeof(t) / sizeof(t[0]), NULL);
}

HB_TEST(transport_transfer, ten_mb_30_percent_one_stream)
{
	static const struct case_ k = {10 * MB, 1, 300};

	run_case(&k, NULL, 0);
}

HB_TEST(transport_transfer, ten_mb_30_percent_100_streams)
{
	static const struct case_ k = {10 * MB, 100, 300};

	run_case(&k, NULL, 0);
}

/* Scale (issue #4): 50 MB on one stream, byte-exact, with 2 % loss each way. */
HB_TEST(transport_transfer, fifty_mb_one_stream_lossy)
{
	static const struct case_ k = {50 * MB, 1, 20};

	run_case(&k, NULL, 0);
}

/* Scale: 1,000 concurrent streams of 10 KB each way, 2 % loss each way (MAX_STREAMS too). */
HB_TEST(transport_transfer, thousand_streams_lossy)
{
	static const struct case_ k = {1000 * 10 * KB, 1000, 20};

	run_case(&k, NULL, 0);
}

/*
 * The client's side of a download (issue: bench bulk against gtlsserver): a 64-byte request,
 * then 32 MiB on one stream with 1 % of the server's datagrams lost. The client sends nothing
 * else, so the download gets through only if the client, as it reads, keeps sending the
 * MAX_STREAM_DATA and MAX_DATA it owes (RFC 9000 §4.1-§4.2) and acknowledging (§13.2):
 * 32 MiB is more than either window even at its auto-tuned maximum.
 */
HB_TEST(transport_transfer, client_download_32mb)
{
	struct pair_opts o;
	struct pair p;
	struct xfer x;

	pair_opts_default(&o, 10);
	o.link[PAIR_S2C].loss_permille = 10;
	xfer_init(&x, 1, 64, 32 * MB, false);
	run_xfer(&p, &x, &o);
	cr_assert(eq(u64, x.st[0].c_rcvd, 32 * MB));
	cr_assert(x.st[0].c_fin_rcvd);
	cr_assert(gt(u64, p.dir[PAIR_S2C].dropped, 0));
	xfer_free(&x);
	pair_free(&p);
}

/* A bottleneck of 50 Mbit/s with a 256 KiB drop-tail queue: congestion losses, CUBIC. */
HB_TEST(transport_transfer, bottleneck_cubic)
{
	static const struct case_ k = {10 * MB, 4, 0};

	run_case(&k, "cubic", 50000000);
}

/* A bottleneck with NewReno and 5 % random loss on top. */
HB_TEST(transport_transfer, bottleneck_newreno_lossy)
{
	static const struct case_ k = {MB, 10, 50};

	run_case(&k, NULL, 50000000);
}

/* 300 streams, three times initial_max_streams_bidi: MAX_STREAMS must follow (§4.6). */
HB_TEST(transport_transfer, max_streams)
{
	struct pair_opts o;
	struct pair p;
	struct xfer x;

	pair_opts_default(&o, 5);
	xfer_init(&x, 300, 100, 50, false);
	run_xfer(&p, &x, &o);
	cr_assert(gt(u64, x.open_blocked, 0));
	xfer_free(&x);
	pair_free(&p);
}

/* Unidirectional streams, client to server only. */
HB_TEST(transport_transfer, unidirectional)
{
	struct pair_opts o;
	struct pair p;
	struct xfer x;

	pair_opts_default(&o, 5);
	o.link[PAIR_C2S].loss_permille = 100;
	xfer_init(&x, 20, 100 * KB, 0, true);
	run_xfer(&p, &x, &o);
	xfer_free(&x);
	pair_free(&p);
}

/* Reordering, duplication and corruption together. */
HB_TEST(transport_transfer, reorder_dup_corrupt)
{
	struct pair_opts o;
	struct pair p;
	struct xfer x;
	int d;

	pair_opts_default(&o, 10);
	for (d = 0; d < 2; d++) {
		o.link[d].reorder_mask = 0x0101010101010101ull;
		o.link[d].reorder_ns = 7 * PAIR_MS;
		o.link[d].dup_mask = 0x1000100010001000ull;
		o.link[d].corrupt_mask = 0x0000800000008000ull;
		o.link[d].loss_first = 8; /* let the handshake through unharmed */
	}
	xfer_init(&x, 10, 200 * KB, 200 * KB, false);
	run_xfer(&p, &x, &o);
	cr_assert(gt(u64, p.dir[PAIR_C2S].corrupted + p.dir[PAIR_S2C].corrupted, 0));
	xfer_free(&x);
	pair_free(&p);
}
