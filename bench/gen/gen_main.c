/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hayabusa-bench: the DPDK load generator. EAL options, then "--", then the mode and our
 * options (bench_gen_opts_usage()).
 *
 * Exit codes: 0 when the run ended with no failure (get: every path fetched with status 200);
 * 3 when it ran but counted failures; 2 for a bad option or file; 1 when the environment
 * refuses (EAL, ports). One worker: the bench runs on exactly one lcore (one RX and one TX
 * queue), which keeps every connection on the queue its replies come back to.
 *
 * Signals: SIGINT and SIGTERM are blocked before the EAL starts its threads; the control
 * thread takes them with sigtimedwait() and stops the dataplane (the report is still written).
 */
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_eal.h>
#include <rte_errno.h>

#include <crypto/tls.h>
#include <quic/error.h>

#include "gen.h"

#define EXIT_USAGE    2
#define EXIT_RUNTIME  1
#define EXIT_FAILURES 3
#define HARD_SLACK_S  10 /* beyond warm-up + duration + grace: the control thread stops it */
#define NS_PER_S      UINT64_C(1000000000)
#define TICK_NS	      (NS_PER_S / 10) /* the control thread's tick: 100 ms */

struct control {
	struct bench_gen *g;
	sigset_t sigs;
	int main_done; /* release store by main after dp_run(), acquire load here */
	bool interrupted;
};

static int __attribute__((format(printf, 1, 2))) die_usage(const char *fmt, ...)
{
	va_list ap;

	fputs("hayabusa-bench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_USAGE;
}

/* Snapshot the counters into the time series and print the progress line. */
static void
control_second(struct control *ctl, unsigned sec)
{
	struct bench_gen *g = ctl->g;
	struct bench_gen_counters now;

	if (g->n_series > GEN_MAX_SECONDS)
		return;
	bench_gen_counters_read(bench_gen_worker_counters(g->gw), &now);
	g->series[g->n_series++] = now;
	if (!g->opts.quiet && g->n_series >= 2)
		bench_gen_print_progress(g, sec, &now, &g->series[g->n_series - 2]);
}

/* CLOCK_MONOTONIC in nanoseconds: the control thread's clock (the worker keeps the TSC). */
static uint64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
}

/*
 * Wait until deadline (CLOCK_MONOTONIC) or a signal of ctl->sigs; @return the signal, or -1.
 * sigtimedwait() also returns early, with EINTR, for any other signal the thread takes: DPDK's
 * net_tap has the kernel raise SIGIO for every datagram it queues, so under load the wait
 * ends thousands of times a second. Counting those returns as 100 ms ticks made the run's
 * clock race ahead and the hard limit stop the worker mid-transfer; time is read instead.
 */
static int
control_wait(struct control *ctl, uint64_t deadline)
{
	uint64_t now = mono_ns();
	struct timespec left;

	if (now >= deadline)
		return -1;
	left.tv_sec = (time_t)((deadline - now) / NS_PER_S);
	left.tv_nsec = (long)((deadline - now) % NS_PER_S);
	return sigtimedwait(&ctl->sigs, NULL, &left);
}

static void *
control_main(void *arg)
{
	struct control *ctl = arg;
	const struct bench_gen_opts *o = &ctl->g->opts;
	uint64_t limit =
		(o->start_delay_ms + o->warmup_ms + o->duration_ms) / 100 + 10 * (3 + HARD_SLACK_S);
	uint64_t ticks = 0, next = mono_ns() + TICK_NS;
	int sig;

	control_second(ctl, 0);
	for (;;) {
		sig = control_wait(ctl, next);
		if (sig == SIGINT || sig == SIGTERM) {
			ctl->interrupted = true;
			dp_stop(ctl->g->dp);
			return NULL;
		}
		/* Acquire pairs with the release stores of main and of the worker. */
		if (__atomic_load_n(&ctl->main_done, __ATOMIC_ACQUIRE) != 0)
			return NULL;
		if (__atomic_load_n(&ctl->g->done, __ATOMIC_ACQUIRE) != 0) {
			dp_stop(ctl->g->dp);
			return NULL;
		}
		if (mono_ns() < next)
			continue; /* woken early: not a tick */
		next += TICK_NS;
		if (++ticks % 10 == 0)
			control_second(ctl, (unsigned)(ticks / 10));
		if (ticks >= limit) {
			fprintf(stderr, "hayabusa-bench: the worker did not finish in time (port "
					"link down?)\n");
			dp_stop(ctl->g->dp);
			return NULL;
		}
	}
}

static int
setup_tls(struct bench_gen *g)
{
	const struct bench_gen_opts *o = &g->opts;
	const char *alpn = bench_gen_alpn_name(o->alpn);

	if (tls_client_config_new(&g->tls) != 0)
		return EXIT_RUNTIME;
	if (tls_client_config_set_alpn(g->tls, &alpn, 1) != 0)
		return die_usage("bad --alpn");
	if (o->has_suite && tls_client_config_set_suites(g->tls, &o->suite, 1) != 0)
		return die_usage("bad --cipher");
	if (o->ca_file != NULL) {
		if (tls_client_config_set_ca_file(g->tls, o->ca_file) != 0)
			return die_usage("--ca %s: unreadable or not a PEM certificate",
					 o->ca_file);
	} else {
		tls_client_config_set_insecure_skip_verify(g->tls, true);
	}
	/* Issue #6: the generator must cost less per handshake than the server it measures. */
	if (o->client_crypto == GEN_CLIENT_CRYPTO_LIGHT) {
		if (tls_client_config_set_bench_reuse_key_share(g->tls, true) != 0)
			return EXIT_RUNTIME;
		tls_client_config_set_bench_skip_server_auth(g->tls, true);
	}
	return 0;
}

static int
setup_dp(struct bench_gen *g, const struct dp_opts *dpo)
{
	int rc = dp_new(&g->dp, dpo);

	if (rc != 0) {
		fprintf(stderr, "hayabusa-bench: dataplane: %s\n", dp_strerror(rc));
		return EXIT_RUNTIME;
	}
	if (dp_worker_count(g->dp) != 1)
		return die_usage("one lcore only (e.g. --lcores=0@2): the bench runs one worker");
	rc = bench_gen_worker_new(g, dp_worker_get(g->dp, 0));
	if (rc == QUIC_ERR_INVAL)
		return die_usage("--local has no address of --server's family, or bad set-up");
	if (rc != 0) {
		fprintf(stderr, "hayabusa-bench: worker: %s\n", quic_strerror(rc));
		return EXIT_RUNTIME;
	}
	return 0;
}

/* A run that sent nothing is a failure with its reason, never a silent row of zeros. */
static int
verdict(struct bench_gen *g, const struct bench_gen_counters *fin, uint64_t fails)
{
	const char *why = bench_gen_worker_not_started(g->gw);

	if (why != NULL) {
		fprintf(stderr, "hayabusa-bench: FAIL: %s: nothing was sent\n", why);
		return EXIT_FAILURES;
	}
	if (fin->v[GEN_CNT_PKTS_TX] == 0) {
		fprintf(stderr,
			"hayabusa-bench: FAIL: no datagram was sent (drop_tx %" PRIu64 ")\n",
			fin->v[GEN_CNT_DROP_TX]);
		return EXIT_FAILURES;
	}
	if (g->opts.mode == GEN_MODE_GET && !bench_gen_worker_get_ok(g->gw))
		return EXIT_FAILURES;
	return fails == 0 ? 0 : EXIT_FAILURES;
}

/* Final table and JSON. @return the exit code */
static int
report(struct bench_gen *g)
{
	const struct bench_gen_counters *at = bench_gen_worker_at_measure(g->gw);
	struct bench_gen_counters fin, d;
	struct dp_counters dc;
	uint64_t fails = 0;

	bench_gen_counters_read(bench_gen_worker_counters(g->gw), &fin);
	if (g->n_series <= GEN_MAX_SECONDS)
		g->series[g->n_series++] = fin;
	for (unsigned i = 0; i < GEN_CNT_MAX; i++)
		d.v[i] = fin.v[i] - at->v[i];
	if (g->end_ns == 0)
		g->end_ns = dp_now_ns(g->dp);
	dp_stats(g->dp, &dc);
	bench_gen_print_table(g, &d, &dc);
	if (g->opts.json != NULL && bench_gen_write_json(g, &d, &dc, g->opts.json) != 0)
		return die_usage("--json %s: cannot write", g->opts.json);
	for (unsigned i = GEN_CNT_FAIL_FIRST; i <= GEN_CNT_FAIL_LAST; i++)
		fails += fin.v[i];
	return verdict(g, &fin, fails);
}

static int
run(struct bench_gen *g, struct control *ctl)
{
	pthread_t th;
	int rc;

	bench_gen_print_header(g, dp_worker_count(g->dp));
	if (pthread_create(&th, NULL, control_main, ctl) != 0)
		return EXIT_RUNTIME;
	rc = dp_run(g->dp);
	/* Release pairs with the acquire load in control_main(). */
	__atomic_store_n(&ctl->main_done, 1, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	if (rc != 0) {
		fprintf(stderr, "hayabusa-bench: %s\n", dp_strerror(rc));
		return EXIT_RUNTIME;
	}
	rc = report(g);
	if (ctl->interrupted)
		printf("hayabusa-bench: interrupted\n");
	return rc;
}

/* Our options after "--" (the dataplane's are collected for dp_opts_parse_app()). */
static int
parse_app_opts(void *o, int argc, char **argv, char **dp_argv, int *dp_argc, char *err,
	       size_t err_len)
{
	return bench_gen_opts_parse(o, argc, argv, dp_argv, dp_argc, err, err_len);
}

/* Parse our options and the dataplane's. @return 0, or an exit code */
static int
parse_all(struct bench_gen *g, struct dp_opts *dpo, int argc, char **argv)
{
	char err[256];
	int rc = dp_opts_parse_app(dpo, parse_app_opts, &g->opts, argc, argv, err, sizeof(err));

	if (rc == DP_ERR_NOMEM)
		return EXIT_RUNTIME;
	return rc != 0 ? die_usage("%s", err) : 0;
}

int
main(int argc, char **argv)
{
	static struct bench_gen g;
	static struct control ctl;
	struct dp_opts dpo = {0};
	int n, rc;

	if (dp_opts_wants_help(argc, argv)) {
		printf("Usage: hayabusa-bench [EAL options] -- MODE [options] [PATH...]\n%s\n"
		       "Dataplane options:\n%s",
		       bench_gen_opts_usage(), dp_opts_usage());
		return 0;
	}
	sigemptyset(&ctl.sigs);
	sigaddset(&ctl.sigs, SIGINT);
	sigaddset(&ctl.sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &ctl.sigs, NULL);
	ctl.g = &g;
	n = rte_eal_init(argc, argv);
	if (n < 0) {
		fprintf(stderr, "hayabusa-bench: EAL initialisation failed: %s\n",
			rte_strerror(rte_errno));
		return EXIT_RUNTIME;
	}
	rc = parse_all(&g, &dpo, argc - n, argv + n);
	if (rc == 0)
		rc = setup_tls(&g);
	if (rc == 0)
		rc = setup_dp(&g, &dpo);
	if (rc == 0)
		rc = run(&g, &ctl);
	bench_gen_worker_free(g.gw);
	dp_free(g.dp);
	tls_client_config_free(g.tls);
	rte_eal_cleanup();
	return rc;
}
