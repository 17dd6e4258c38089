/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hayabusa-crypto-bench: nanoseconds per operation of the crypto module (packet protection,
 * header protection, Retry tag, tokens, Initial keys, key exchange, signatures, the TLS 1.3
 * server handshake), each engine against its limit and against ipsec-mb called bare, all
 * measured in the same run.
 *
 * Exit status: 0 done (a MISS is reported, not fatal), 1 self-check or operation failure, or a
 * MISS under --strict, 2 bad command line.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

#define EXIT_USAGE	2
#define QUICK_RUNS	3
#define QUICK_TARGET_NS 2000000ull /* --quick: whole program well under 3 s */
#define QUICK_RETRIES	1	   /* keeps --quick short on a busy machine */
#define FULL_RETRIES	3
#define FULL_RUNS	7
#define FULL_TARGET_NS	20000000ull /* long enough for a stable figure; full run ~15-20 s */

static const char usage[] =
	"usage: hayabusa-crypto-bench [--quick] [--runs N] [--json FILE] [--strict] "
	"[--self-check]\n"
	"\n"
	"Crypto micro-benchmark of the Hayabusa crypto module, per engine (evp, ipsec-mb),\n"
	"with the bare ipsec-mb library as baseline. A self-check (RFC 9001 Appendix A known\n"
	"answers, cross-engine round trips) always runs first; no figure is printed from an\n"
	"engine that fails it.\n"
	"\n"
	"  --quick        short runs (rough figures, whole run < 3 s): for tests and demos\n"
	"  --runs N       timed runs per figure, the median is reported (default 7, quick 3)\n"
	"  --json FILE    also write machine info, results and checks as JSON to FILE\n"
	"  --strict       exit 1 if any check misses its limit (default: report, exit 0)\n"
	"  --self-check   run the self-check only: prints \"self-check: OK\" or exits 1\n"
	"  --help         this text\n";

struct opts {
	unsigned runs; /* 0: default */
	bool quick;
	bool strict;
	bool self_check_only;
	bool help;
	const char *json;
};

static int
parse_runs(const char *arg, unsigned *runs)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(arg, &end, 10);
	if (errno != 0 || end == arg || *end != '\0' || arg[0] == '-' || v < 1 ||
	    v > BENCH_MAX_RUNS) {
		fprintf(stderr,
			"hayabusa-crypto-bench: --runs wants an integer in 1..%d, not '%s'\n",
			BENCH_MAX_RUNS, arg);
		return EXIT_USAGE;
	}
	*runs = (unsigned)v;
	return 0;
}

/* @return 0, or EXIT_USAGE after one line on stderr. */
static int
parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{"quick", no_argument, NULL, 'q'},
		{"runs", required_argument, NULL, 'r'},
		{"json", required_argument, NULL, 'j'},
		{"strict", no_argument, NULL, 's'},
		{"self-check", no_argument, NULL, 'c'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case 'q':
			o->quick = true;
			break;
		case 'r':
			if (parse_runs(optarg, &o->runs) != 0)
				return EXIT_USAGE;
			break;
		case 'j':
			o->json = optarg;
			break;
		case 's':
			o->strict = true;
			break;
		case 'c':
			o->self_check_only = true;
			break;
		case 'h':
			o->help = true;
			break;
		case ':':
			fprintf(stderr, "hayabusa-crypto-bench: option '%s' needs an argument\n",
				argv[optind - 1]);
			return EXIT_USAGE;
		default:
			fprintf(stderr, "hayabusa-crypto-bench: unknown option '%s' (see --help)\n",
				argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "hayabusa-crypto-bench: unexpected argument '%s' (see --help)\n",
			argv[optind]);
		return EXIT_USAGE;
	}
	return 0;
}

/* One context per available engine, plus the default one for engine-independent work. */
static int
open_contexts(struct bench *b)
{
	static const enum crypto_engine all[] = {CRYPTO_ENGINE_AUTO, CRYPTO_ENGINE_EVP,
						 CRYPTO_ENGINE_IPSEC_MB};
	unsigned i;
	int rc;

	if (!crypto_engine_available(CRYPTO_ENGINE_EVP)) {
		fprintf(stderr, "crypto-bench: the evp engine (the reference) is not available\n");
		return BENCH_ERR_OP;
	}
	for (i = 0; i < 3; i++) {
		if (all[i] != CRYPTO_ENGINE_AUTO && !crypto_engine_available(all[i]))
			continue;
		rc = crypto_ctx_new(&b->ctx[all[i]], all[i]);
		if (rc != 0) {
			fprintf(stderr, "crypto-bench: crypto_ctx_new(%s): %s\n",
				bench_engine_name(all[i]), crypto_strerror(rc));
			return BENCH_ERR_OP;
		}
	}
	if (b->ctx[CRYPTO_ENGINE_IPSEC_MB] == NULL)
		bench_note(b, "ipsec-mb engine not available in this build or on this CPU: its "
			      "rows and the ours/bare checks are absent");
	return 0;
}

static void
close_contexts(struct bench *b)
{
	unsigned i;

	for (i = 0; i < 3; i++)
		if (b->ctx[i] != NULL)
			crypto_ctx_free(b->ctx[i]);
}

/* The fastest engine's per-packet AES-128-GCM seal of 1200 bytes: the per-core crypto floor. */
static const struct bench_result *
crypto_floor(struct bench *b)
{
	static const enum crypto_engine engines[] = {CRYPTO_ENGINE_EVP, CRYPTO_ENGINE_IPSEC_MB};
	const struct bench_result *best = NULL, *r;
	char name[96];
	unsigned e;

	for (e = 0; e < 2; e++) {
		r = bench_find(b, "aes128gcm seal", bench_engine_name(engines[e]), 1200);
		if (r != NULL && r->ns > 0 && (best == NULL || r->ns < best->ns))
			best = r;
	}
	if (best == NULL)
		return NULL;
	snprintf(name, sizeof(name), "crypto floor: aes128gcm seal 1200 B, %s", best->engine);
	if (bench_check_add(b, name, "Gbit/s", 1200.0 * 8.0 / best->ns, BENCH_INFO, 0) != 0)
		return NULL;
	return best;
}

static int
run_sections(struct bench *b)
{
	int rc;

	rc = bench_aead(b);
	if (rc == 0)
		rc = bench_hp(b);
	if (rc == 0)
		rc = bench_retry_token(b);
	if (rc == 0)
		rc = bench_initial(b);
	if (rc == 0)
		rc = bench_asym(b);
	if (rc == 0)
		rc = bench_tls(b);
	return rc;
}

/* Sections, table, JSON. @return the exit status. */
static int
benchmark(struct bench *b, const struct opts *o)
{
	const struct bench_result *floor;
	FILE *json = NULL;
	unsigned misses;

	/* Fail before the run, not after it, when the JSON file cannot be written. */
	if (o->json != NULL) {
		json = fopen(o->json, "w");
		if (json == NULL) {
			fprintf(stderr, "crypto-bench: cannot write %s: %s\n", o->json,
				strerror(errno));
			return EXIT_FAILURE;
		}
	}
	bench_print_header(b, stdout);
	fflush(stdout);
	if (run_sections(b) != 0) {
		/* No half-written results file behind an aborted run. */
		if (json != NULL) {
			fclose(json);
			remove(o->json);
		}
		return EXIT_FAILURE;
	}
	floor = crypto_floor(b);
	bench_print_table(b, stdout);
	if (floor != NULL)
		printf("crypto floor: aes128gcm seal of 1200 B on %s: %.1f ns/packet = %.2f "
		       "Gbit/s per core\n",
		       floor->engine, floor->ns, 1200.0 * 8.0 / floor->ns);
	if (json != NULL && bench_write_json(b, json, o->json) != 0)
		return EXIT_FAILURE;
	misses = bench_misses(b);
	if (misses != 0 && o->strict) {
		fprintf(stderr, "crypto-bench: %u check(s) missed their limit (--strict)\n",
			misses);
		return EXIT_FAILURE;
	}
	return EXIT_SUCCESS;
}

int
main(int argc, char **argv)
{
	struct opts o = {0};
	struct bench *b;
	int status;

	if (parse_opts(argc, argv, &o) != 0)
		return EXIT_USAGE;
	if (o.help) {
		fputs(usage, stdout);
		return EXIT_SUCCESS;
	}
	b = calloc(1, sizeof(*b));
	if (b == NULL) {
		fprintf(stderr, "crypto-bench: out of memory\n");
		return EXIT_FAILURE;
	}
	b->quick = o.quick;
	b->runs = o.runs != 0 ? o.runs : o.quick ? QUICK_RUNS : FULL_RUNS;
	b->target_ns = o.quick ? QUICK_TARGET_NS : FULL_TARGET_NS;
	b->max_retries = o.quick ? QUICK_RETRIES : FULL_RETRIES;
	if (open_contexts(b) != 0 || bench_self_check(b) != 0)
		status = EXIT_FAILURE;
	else if (o.self_check_only)
		status = EXIT_SUCCESS;
	else
		status = benchmark(b, &o);
	close_contexts(b);
	free(b);
	return status;
}
