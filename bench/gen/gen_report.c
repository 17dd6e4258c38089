/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The bench's output: the header echoing the configuration, the progress line each second,
 * the final table and the JSON file (format in bench/README.md; "schema": 1 changes only when a
 * key changes meaning or goes away). Control thread and main() only: never on the packet path.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <quic/packet.h>

#include "gen.h"

static const char *const cnt_names[GEN_CNT_MAX] = {
	"pkts_tx",
	"bytes_tx",
	"pkts_rx",
	"bytes_rx",
	"conns_started",
	"handshakes",
	"retries_rx",
	"vn_rx",
	"conns_closed",
	"streams_done",
	"app_bytes",
	"requests",
	"fail_handshake",
	"fail_closed",
	"fail_verify",
	"fail_status",
	"fail_retry_refused",
	"fail_setup",
	"fail_backlog",
	"fail_unfinished",
	"drop_tx",
	"drop_unknown_port",
	"impair_loss",
	"impair_reorder",
	"impair_dup",
	"impair_corrupt",
	"loop_ns",
	"idle_ns",
	"legit_offered",
};

const char *
bench_gen_cnt_name(unsigned i)
{
	return i < GEN_CNT_MAX ? cnt_names[i] : NULL;
}

/* Relaxed loads pair with the worker's relaxed stores (gen_cnt_add()). */
void
bench_gen_counters_read(const struct bench_gen_counters *src, struct bench_gen_counters *dst)
{
	for (unsigned i = 0; i < GEN_CNT_MAX; i++)
		dst->v[i] = __atomic_load_n(&src->v[i], __ATOMIC_RELAXED);
}

/* ---- Histogram ---- */

static unsigned
hist_index(uint64_t v)
{
	unsigned e;

	if (v < GEN_HIST_SUB)
		return (unsigned)v;
	e = 63u - (unsigned)__builtin_clzll(v); /* >= 4 */
	return (e - 3) * GEN_HIST_SUB + (unsigned)((v >> (e - 4)) & (GEN_HIST_SUB - 1));
}

static uint64_t
hist_upper(unsigned idx)
{
	unsigned e, sub;

	if (idx < GEN_HIST_SUB)
		return idx;
	e = idx / GEN_HIST_SUB + 3;
	sub = idx % GEN_HIST_SUB;
	return (((uint64_t)GEN_HIST_SUB + sub) << (e - 4)) + ((uint64_t)1 << (e - 4)) - 1;
}

void
bench_gen_hist_add(struct bench_gen_hist *h, uint64_t v)
{
	h->b[hist_index(v)]++;
	h->n++;
	h->sum += v;
	if (v > h->max)
		h->max = v;
}

uint64_t
bench_gen_hist_quantile(const struct bench_gen_hist *h, double q)
{
	uint64_t rank, seen = 0, up;

	if (h->n == 0)
		return 0;
	rank = (uint64_t)(q * (double)h->n + 0.999999);
	if (rank == 0)
		rank = 1;
	for (unsigned i = 0; i < GEN_HIST_BUCKETS; i++) {
		seen += h->b[i];
		if (seen >= rank) {
			up = hist_upper(i);
			return up < h->max ? up : h->max;
		}
	}
	return h->max;
}

/* ---- Figures ---- */

struct figures {
	double secs;
	double pps_tx, pps_rx, bps_tx, bps_rx;
	double retry_s, vn_s, hs_s, req_s, goodput_gbit;
	uint64_t fails;
	double p50, p90, p99, p999, max, mean; /* microseconds */
	double busy_pct;		       /* the generator's loop: share of busy time */
};

static void
figures_make(const struct bench_gen *g, const struct bench_gen_counters *c, struct figures *f)
{
	const struct bench_gen_hist *h = &g->hist;
	double s;

	memset(f, 0, sizeof(*f));
	f->secs = g->end_ns > g->start_ns ? (double)(g->end_ns - g->start_ns) / 1e9 : 0;
	s = f->secs > 0 ? f->secs : 1;
	f->pps_tx = (double)c->v[GEN_CNT_PKTS_TX] / s;
	f->pps_rx = (double)c->v[GEN_CNT_PKTS_RX] / s;
	f->bps_tx = (double)c->v[GEN_CNT_BYTES_TX] / s;
	f->bps_rx = (double)c->v[GEN_CNT_BYTES_RX] / s;
	f->retry_s = (double)c->v[GEN_CNT_RETRIES_RX] / s;
	f->vn_s = (double)c->v[GEN_CNT_VN_RX] / s;
	f->hs_s = (double)c->v[GEN_CNT_HANDSHAKES] / s;
	f->req_s = (double)c->v[GEN_CNT_STREAMS_DONE] / s;
	f->goodput_gbit = (double)c->v[GEN_CNT_APP_BYTES] * 8 / s / 1e9;
	for (unsigned i = GEN_CNT_FAIL_FIRST; i <= GEN_CNT_FAIL_LAST; i++)
		f->fails += c->v[i];
	f->p50 = (double)bench_gen_hist_quantile(h, 0.50) / 1e3;
	f->p90 = (double)bench_gen_hist_quantile(h, 0.90) / 1e3;
	f->p99 = (double)bench_gen_hist_quantile(h, 0.99) / 1e3;
	f->p999 = (double)bench_gen_hist_quantile(h, 0.999) / 1e3;
	f->max = (double)h->max / 1e3;
	f->mean = h->n ? (double)h->sum / (double)h->n / 1e3 : 0;
	f->busy_pct = c->v[GEN_CNT_LOOP_NS] == 0
			      ? 0
			      : 100.0 * (double)(c->v[GEN_CNT_LOOP_NS] - c->v[GEN_CNT_IDLE_NS]) /
					(double)c->v[GEN_CNT_LOOP_NS];
}

static const char *
suite_name(const struct bench_gen_opts *o)
{
	static const char *const n[] = {"aes128gcm", "aes256gcm", "chacha20"};

	return o->has_suite && (unsigned)o->suite < 3 ? n[o->suite] : "all";
}

static const char *
version_name(uint32_t v)
{
	return v == QUIC_VERSION_1 ? "v1" : v == QUIC_VERSION_2 ? "v2" : "?";
}

void
bench_gen_print_header(const struct bench_gen *g, unsigned n_workers)
{
	const struct bench_gen_opts *o = &g->opts;

	printf("hayabusa-bench: mode %s, server %s, local %s, alpn %s, cipher %s, version %s%s%s\n",
	       bench_gen_mode_name(o->mode), o->server_str, o->local_str,
	       bench_gen_alpn_name(o->alpn), suite_name(o), version_name(o->versions[0]),
	       o->n_versions > 1 ? "," : "", o->n_versions > 1 ? version_name(o->versions[1]) : "");
	printf("hayabusa-bench: conns %u, streams %u, size %" PRIu64 ", count %" PRIu64
	       ", duration %.1f s, warmup %.1f s, rate %" PRIu64 "/s, retry-follow %s, "
	       "%u worker(s), client-crypto %s\n",
	       o->conns, o->streams, o->size, o->count, (double)o->duration_ms / 1e3,
	       (double)o->warmup_ms / 1e3, o->rate, o->retry_follow ? "yes" : "no", n_workers,
	       bench_gen_client_crypto_name(o->client_crypto));
	printf("hayabusa-bench: impairment loss %.2f%% reorder %.2f%% dup %.2f%% corrupt %.2f%% "
	       "seed %" PRIu64 "\n",
	       o->impair.loss / 1e4, o->impair.reorder / 1e4, o->impair.dup / 1e4,
	       o->impair.corrupt / 1e4, o->impair.seed);
	fflush(stdout);
}

void
bench_gen_print_progress(const struct bench_gen *g, unsigned sec,
			 const struct bench_gen_counters *now,
			 const struct bench_gen_counters *prev)
{
	uint64_t d[GEN_CNT_MAX], fails = 0;

	(void)g;
	for (unsigned i = 0; i < GEN_CNT_MAX; i++)
		d[i] = now->v[i] - prev->v[i];
	for (unsigned i = GEN_CNT_FAIL_FIRST; i <= GEN_CNT_FAIL_LAST; i++)
		fails += now->v[i];
	printf("[%3us] tx %" PRIu64 " pkt/s %.1f Mbit/s | rx %" PRIu64 " pkt/s %.1f Mbit/s | "
	       "hs %" PRIu64 "/s | retry %" PRIu64 "/s | req %" PRIu64 "/s | goodput %.3f Gbit/s "
	       "| failures %" PRIu64 "\n",
	       sec, d[GEN_CNT_PKTS_TX], (double)d[GEN_CNT_BYTES_TX] * 8 / 1e6, d[GEN_CNT_PKTS_RX],
	       (double)d[GEN_CNT_BYTES_RX] * 8 / 1e6, d[GEN_CNT_HANDSHAKES], d[GEN_CNT_RETRIES_RX],
	       d[GEN_CNT_STREAMS_DONE], (double)d[GEN_CNT_APP_BYTES] * 8 / 1e9, fails);
	fflush(stdout);
}

/* retry-flood --handshake-rate: the fraction of legitimate handshakes that completed (issue #7
 * figure; its latency percentiles are the table's). 0 when none started. */
static double
legit_fraction(const struct bench_gen_counters *c)
{
	uint64_t started = c->v[GEN_CNT_CONNS_STARTED];

	return started == 0 ? 0 : (double)c->v[GEN_CNT_HANDSHAKES] / (double)started;
}

void
bench_gen_print_table(const struct bench_gen *g, const struct bench_gen_counters *c,
		      const struct dp_counters *dc)
{
	struct figures f;
	unsigned i;

	figures_make(g, c, &f);
	printf("--- result (%.3f s measured)\n", f.secs);
	printf("%-22s %14.0f pkt/s %14.0f B/s\n", "sent", f.pps_tx, f.bps_tx);
	printf("%-22s %14.0f pkt/s %14.0f B/s\n", "received", f.pps_rx, f.bps_rx);
	printf("%-22s %14.1f /s\n", "retries", f.retry_s);
	printf("%-22s %14.1f /s\n", "version negotiation", f.vn_s);
	printf("%-22s %14.1f /s\n", "handshakes", f.hs_s);
	printf("%-22s %14.1f /s\n", "requests", f.req_s);
	printf("%-22s %14.4f Gbit/s\n", "goodput", f.goodput_gbit);
	printf("%-22s n=%" PRIu64 " p50 %.1f p90 %.1f p99 %.1f p99.9 %.1f max %.1f us\n", "latency",
	       g->hist.n, f.p50, f.p90, f.p99, f.p999, f.max);
	printf("%-22s busy %.1f%% headroom %.1f%%\n", "generator cpu", f.busy_pct,
	       100.0 - f.busy_pct);
	if (g->opts.handshake_rate != 0)
		printf("%-22s %" PRIu64 " of %" PRIu64 " started completed (%.2f %%); %" PRIu64
		       " offered\n",
		       "legit handshakes", c->v[GEN_CNT_HANDSHAKES], c->v[GEN_CNT_CONNS_STARTED],
		       legit_fraction(c) * 100, c->v[GEN_CNT_LEGIT_OFFERED]);
	printf("--- failures: %" PRIu64 "\n", f.fails);
	for (i = GEN_CNT_FAIL_FIRST; i <= GEN_CNT_FAIL_LAST; i++)
		printf("%-22s %" PRIu64 "\n", cnt_names[i], c->v[i]);
	printf("--- totals and drops\n");
	for (i = 0; i < GEN_CNT_MAX; i++)
		if (i < GEN_CNT_FAIL_FIRST || i > GEN_CNT_FAIL_LAST)
			printf("%-22s %" PRIu64 "\n", cnt_names[i], c->v[i]);
	for (i = DP_CNT_DROP_FIRST; i < DP_CNT_MAX; i++)
		if (dc->v[i] != 0)
			printf("dp_%-19s %" PRIu64 "\n", dp_cnt_name(i), dc->v[i]);
	fflush(stdout);
}

/* ---- JSON ---- */

static void
json_config(FILE *fp, const struct bench_gen_opts *o)
{
	fprintf(fp,
		"  \"config\": {\"mode\": \"%s\", \"server\": \"%s\", \"local\": \"%s\", "
		"\"alpn\": \"%s\", \"cipher\": \"%s\", \"version\": \"%s\", \"conns\": %u, "
		"\"streams\": %u, \"size\": %" PRIu64 ", \"count\": %" PRIu64 ", "
		"\"duration_s\": %.3f, \"warmup_s\": %.3f, \"rate\": %" PRIu64 ", "
		"\"retry_follow\": %s, \"loss_pct\": %.4f, \"reorder_pct\": %.4f, "
		"\"dup_pct\": %.4f, \"corrupt_pct\": %.4f, \"seed\": %" PRIu64 ", "
		"\"client_crypto\": \"%s\", \"reply_size\": %u},\n",
		bench_gen_mode_name(o->mode), o->server_str, o->local_str,
		bench_gen_alpn_name(o->alpn), suite_name(o), version_name(o->versions[0]), o->conns,
		o->streams, o->size, o->count, (double)o->duration_ms / 1e3,
		(double)o->warmup_ms / 1e3, o->rate, o->retry_follow ? "true" : "false",
		o->impair.loss / 1e4, o->impair.reorder / 1e4, o->impair.dup / 1e4,
		o->impair.corrupt / 1e4, o->impair.seed,
		bench_gen_client_crypto_name(o->client_crypto), (unsigned)o->reply_size);
}

static void
json_figures(FILE *fp, const struct figures *f, uint64_t n)
{
	fprintf(fp,
		"  \"measured_s\": %.6f,\n  \"rates\": {\"pkts_tx_per_s\": %.1f, "
		"\"pkts_rx_per_s\": %.1f, \"bytes_tx_per_s\": %.1f, \"bytes_rx_per_s\": %.1f, "
		"\"retry_per_s\": %.1f, \"vn_per_s\": %.1f, \"handshakes_per_s\": %.1f, "
		"\"requests_per_s\": %.1f, \"goodput_gbit_per_s\": %.6f},\n",
		f->secs, f->pps_tx, f->pps_rx, f->bps_tx, f->bps_rx, f->retry_s, f->vn_s, f->hs_s,
		f->req_s, f->goodput_gbit);
	fprintf(fp,
		"  \"latency_us\": {\"count\": %" PRIu64 ", \"p50\": %.1f, \"p90\": %.1f, "
		"\"p99\": %.1f, \"p99_9\": %.1f, \"max\": %.1f, \"mean\": %.1f},\n",
		n, f->p50, f->p90, f->p99, f->p999, f->max, f->mean);
	fprintf(fp, "  \"cpu\": {\"busy_pct\": %.2f, \"headroom_pct\": %.2f},\n", f->busy_pct,
		100.0 - f->busy_pct);
}

static void
json_counters(FILE *fp, const struct bench_gen_counters *c, const struct dp_counters *dc,
	      uint64_t fails)
{
	unsigned i;

	fprintf(fp, "  \"failures_total\": %" PRIu64 ",\n  \"failures\": {", fails);
	for (i = GEN_CNT_FAIL_FIRST; i <= GEN_CNT_FAIL_LAST; i++)
		fprintf(fp, "%s\"%s\": %" PRIu64, i == GEN_CNT_FAIL_FIRST ? "" : ", ", cnt_names[i],
			c->v[i]);
	fprintf(fp, "},\n  \"totals\": {");
	for (i = 0; i < GEN_CNT_MAX; i++)
		fprintf(fp, "%s\"%s\": %" PRIu64, i == 0 ? "" : ", ", cnt_names[i], c->v[i]);
	fprintf(fp, "},\n  \"dataplane\": {");
	for (i = 0; i < DP_CNT_MAX; i++)
		fprintf(fp, "%s\"%s\": %" PRIu64, i == 0 ? "" : ", ", dp_cnt_name(i), dc->v[i]);
	fprintf(fp, "},\n");
}

/* One entry per second: what happened in that second (differences of the counters). */
static void
json_series(FILE *fp, const struct bench_gen *g)
{
	static const unsigned keys[] = {GEN_CNT_PKTS_TX,  GEN_CNT_PKTS_RX,	GEN_CNT_BYTES_TX,
					GEN_CNT_BYTES_RX, GEN_CNT_HANDSHAKES,	GEN_CNT_RETRIES_RX,
					GEN_CNT_VN_RX,	  GEN_CNT_STREAMS_DONE, GEN_CNT_APP_BYTES};
	unsigned s, k;

	fprintf(fp, "  \"series\": [");
	for (s = 1; s < g->n_series; s++) {
		uint64_t fails = 0;

		for (k = GEN_CNT_FAIL_FIRST; k <= GEN_CNT_FAIL_LAST; k++)
			fails += g->series[s].v[k] - g->series[s - 1].v[k];
		fprintf(fp, "%s\n    {\"t\": %u", s == 1 ? "" : ",", s);
		for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
			fprintf(fp, ", \"%s\": %" PRIu64, cnt_names[keys[k]],
				g->series[s].v[keys[k]] - g->series[s - 1].v[keys[k]]);
		fprintf(fp, ", \"failures\": %" PRIu64 "}", fails);
	}
	fprintf(fp, "\n  ]\n");
}

int
bench_gen_write_json(const struct bench_gen *g, const struct bench_gen_counters *c,
		     const struct dp_counters *dc, const char *path)
{
	struct figures f;
	FILE *fp = fopen(path, "w");

	if (fp == NULL)
		return -1;
	figures_make(g, c, &f);
	fprintf(fp, "{\n  \"tool\": \"hayabusa-bench\",\n  \"schema\": 1,\n");
	json_config(fp, &g->opts);
	json_figures(fp, &f, g->hist.n);
	json_counters(fp, c, dc, f.fails);
	if (g->opts.handshake_rate != 0)
		fprintf(fp,
			"  \"legit\": {\"rate\": %" PRIu64 ", \"offered\": %" PRIu64
			", \"started\": %" PRIu64 ", \"completed\": %" PRIu64
			", \"fraction\": %.6f},\n",
			g->opts.handshake_rate, c->v[GEN_CNT_LEGIT_OFFERED],
			c->v[GEN_CNT_CONNS_STARTED], c->v[GEN_CNT_HANDSHAKES], legit_fraction(c));
	json_series(fp, g);
	fprintf(fp, "}\n");
	return fclose(fp) == 0 ? 0 : -1;
}
