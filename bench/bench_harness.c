/* SPDX-License-Identifier: BSD-3-Clause */
/* Timing harness of hayabusa-crypto-bench: calibration, interleaved runs, medians. */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"

#define OFF_CPU_MAX 0.02 /* share of a run the thread may spend descheduled */

/* Written after every timed run so the work that produced the byte is observable. */
static volatile uint8_t sink;

void
bench_sink(uint8_t v)
{
	sink ^= v;
}

uint64_t
bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint8_t *
bench_alloc(size_t n)
{
	size_t rounded = (n + 63) & ~(size_t)63;
	uint8_t *p = aligned_alloc(64, rounded ? rounded : 64);

	if (p != NULL)
		memset(p, 0, rounded ? rounded : 64);
	return p;
}

void
bench_section(struct bench *b, const char *name)
{
	b->section = name;
	fprintf(stderr, "[crypto-bench] %s\n", name);
}

void
bench_note(struct bench *b, const char *fmt, ...)
{
	char line[BENCH_NOTE_LEN];
	unsigned i;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	for (i = 0; i < b->n_notes; i++)
		if (strcmp(b->notes[i], line) == 0)
			return; /* said once is enough */
	fprintf(stderr, "[crypto-bench] note: %s\n", line);
	if (b->n_notes < BENCH_MAX_NOTES)
		memcpy(b->notes[b->n_notes++], line, sizeof(line));
}

int
bench_check_add(struct bench *b, const char *name, const char *unit, double value,
		enum bench_cmp cmp, double limit)
{
	struct bench_check *c;

	if (b->n_chk >= BENCH_MAX_CHECKS) {
		fprintf(stderr, "crypto-bench: check table full at \"%s\"\n", name);
		return BENCH_ERR_FULL;
	}
	c = &b->chk[b->n_chk++];
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->unit = unit;
	c->value = value;
	c->limit = limit;
	c->cmp = cmp;
	if (cmp == BENCH_LE)
		c->pass = value <= limit;
	else if (cmp == BENCH_GE)
		c->pass = value >= limit;
	else
		c->pass = true;
	return 0;
}

static uint64_t
thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/*
 * One timed run of iters iterations; *ns receives the elapsed (monotonic) time and *off_cpu
 * the part of it the thread spent descheduled, which tells a disturbed run.
 */
static int
timed_run(const struct bench_op *op, uint64_t iters, uint64_t *ns, uint64_t *off_cpu)
{
	uint64_t t0, c0, cpu;
	int rc;

	if (op->prepare != NULL) {
		rc = op->prepare(op->arg, iters);
		if (rc != 0)
			return rc;
	}
	c0 = thread_cpu_ns();
	t0 = bench_now_ns();
	rc = op->run(op->arg, iters);
	*ns = bench_now_ns() - t0;
	cpu = thread_cpu_ns() - c0;
	*off_cpu = *ns > cpu ? *ns - cpu : 0;
	return rc;
}

/*
 * A timed run of op, repeated (up to max_retries times) while another task took the CPU for
 * more than OFF_CPU_MAX of it: the figure stays wall-clock time, but not time spent descheduled.
 */
static int
stable_run(const struct bench_op *op, uint64_t iters, unsigned max_retries, uint64_t *ns,
	   unsigned *retries)
{
	uint64_t off;
	unsigned t;
	int rc;

	for (t = 0;; t++) {
		rc = timed_run(op, iters, ns, &off);
		if (rc != 0 || (double)off <= OFF_CPU_MAX * (double)*ns || t == max_retries)
			return rc;
		(*retries)++;
	}
}

static uint64_t
clamp_iters(const struct bench_op *op, uint64_t iters)
{
	if (iters < 1)
		iters = 1;
	if (op->max_iters != 0 && iters > op->max_iters)
		iters = op->max_iters;
	return iters;
}

/*
 * Grow the iteration count until a run lasts an eighth of the target, then scale it to the
 * target. These growing runs are the warm-up (caches, branch predictors, clock ramp-up).
 */
static int
calibrate(const struct bench_op *op, uint64_t target_ns, uint64_t *iters_out)
{
	uint64_t iters = 1, ns = 0, off;
	double scaled;
	int rc;

	for (;;) {
		rc = timed_run(op, iters, &ns, &off);
		if (rc != 0)
			return rc;
		if (ns >= target_ns / 8 || clamp_iters(op, iters + 1) == iters)
			break;
		iters = clamp_iters(op, ns < target_ns / 1000 ? iters * 10 : iters * 2);
	}
	scaled = ns > 0 ? (double)iters * (double)target_ns / (double)ns : (double)iters;
	*iters_out = clamp_iters(op, scaled > 1e12 ? (uint64_t)1e12 : (uint64_t)scaled);
	return 0;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double
median(const double *v, unsigned n)
{
	double s[BENCH_MAX_RUNS];

	memcpy(s, v, n * sizeof(*v));
	qsort(s, n, sizeof(*s), cmp_double);
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/* Fill the summary fields of r from r->run_ns[0..runs). */
static void
summarize(struct bench_result *r)
{
	unsigned i;

	r->ns = median(r->run_ns, r->runs);
	r->min_ns = r->max_ns = r->run_ns[0];
	for (i = 1; i < r->runs; i++) {
		r->min_ns = fmin(r->min_ns, r->run_ns[i]);
		r->max_ns = fmax(r->max_ns, r->run_ns[i]);
	}
}

static struct bench_result *
new_result(struct bench *b, const char *op, const char *engine, size_t size)
{
	struct bench_result *r;

	if (b->n_res >= BENCH_MAX_RESULTS) {
		fprintf(stderr, "crypto-bench: result table full at \"%s\"\n", op);
		return NULL;
	}
	r = &b->res[b->n_res++];
	memset(r, 0, sizeof(*r));
	snprintf(r->op, sizeof(r->op), "%s", op);
	snprintf(r->engine, sizeof(r->engine), "%s", engine);
	r->size = size;
	r->section = b->section;
	r->runs = b->runs;
	return r;
}

static void
report_failure(const struct bench_op *op, int rc)
{
	fprintf(stderr, "crypto-bench: %s [%s, %zu B] failed: %s (%d); benchmark aborted\n", op->op,
		op->engine, op->size, crypto_strerror(rc), rc);
}

int
bench_measure_set(struct bench *b, const struct bench_op *ops, unsigned n,
		  struct bench_result **out)
{
	uint64_t iters[BENCH_MAX_SET], ns;
	unsigned i, j, r;
	int rc;

	if (n > BENCH_MAX_SET || b->n_res + n > BENCH_MAX_RESULTS) {
		fprintf(stderr, "crypto-bench: result table full at \"%s\"\n", ops[0].op);
		return BENCH_ERR_FULL;
	}
	for (i = 0; i < n; i++) {
		rc = calibrate(&ops[i], b->target_ns, &iters[i]);
		if (rc != 0) {
			report_failure(&ops[i], rc);
			return BENCH_ERR_OP;
		}
		out[i] = new_result(b, ops[i].op, ops[i].engine, ops[i].size);
		out[i]->iters = iters[i];
		out[i]->per_iter = ops[i].per_iter ? ops[i].per_iter : 1;
		out[i]->tput = ops[i].tput;
	}
	for (r = 0; r < b->runs; r++) {
		for (j = 0; j < n; j++) {
			/* Alternate the order so that no operation always follows the same one. */
			i = r % 2 ? n - 1 - j : j;
			rc = stable_run(&ops[i], iters[i], b->max_retries, &ns, &out[i]->retries);
			if (rc != 0) {
				report_failure(&ops[i], rc);
				return BENCH_ERR_OP;
			}
			out[i]->run_ns[r] = (double)ns / (double)(iters[i] * out[i]->per_iter);
		}
	}
	for (i = 0; i < n; i++)
		summarize(out[i]);
	return 0;
}

int
bench_derive(struct bench *b, const struct bench_result *minuend,
	     const struct bench_result *subtrahend, const char *op, struct bench_result **out)
{
	struct bench_result *r;
	unsigned i;

	r = new_result(b, op, minuend->engine, minuend->size);
	if (r == NULL)
		return BENCH_ERR_FULL;
	r->section = minuend->section;
	r->runs = minuend->runs < subtrahend->runs ? minuend->runs : subtrahend->runs;
	for (i = 0; i < r->runs; i++)
		r->run_ns[i] = minuend->run_ns[i] - subtrahend->run_ns[i];
	summarize(r);
	r->per_iter = minuend->per_iter;
	r->tput = minuend->tput;
	r->derived = true;
	if (out != NULL)
		*out = r;
	return 0;
}
