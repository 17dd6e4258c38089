/* SPDX-License-Identifier: BSD-3-Clause */
/* Output of hayabusa-crypto-bench: the aligned table on stdout and the JSON file. */
#include <inttypes.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

#define NOISY_SPREAD 0.25 /* (max - min) / median of a figure's runs */

const char *
bench_suite_name(enum crypto_suite suite)
{
	switch (suite) {
	case CRYPTO_SUITE_AES_128_GCM_SHA256:
		return "aes128gcm";
	case CRYPTO_SUITE_AES_256_GCM_SHA384:
		return "aes256gcm";
	case CRYPTO_SUITE_CHACHA20_POLY1305_SHA256:
		return "chacha20poly1305";
	default:
		return "?";
	}
}

const char *
bench_engine_name(enum crypto_engine engine)
{
	switch (engine) {
	case CRYPTO_ENGINE_EVP:
		return "evp";
	case CRYPTO_ENGINE_IPSEC_MB:
		return "ipsec-mb";
	default:
		return "auto";
	}
}

const struct bench_result *
bench_find(const struct bench *b, const char *op, const char *engine, size_t size)
{
	unsigned i;

	for (i = 0; i < b->n_res; i++) {
		const struct bench_result *r = &b->res[i];

		if (r->size == size && strcmp(r->op, op) == 0 && strcmp(r->engine, engine) == 0)
			return r;
	}
	return NULL;
}

unsigned
bench_misses(const struct bench *b)
{
	unsigned i, n = 0;

	for (i = 0; i < b->n_chk; i++)
		n += !b->chk[i].pass;
	return n;
}

/* The "model name" line of /proc/cpuinfo, or "unknown". */
static void
cpu_model(char *out, size_t cap)
{
	char line[256];
	FILE *f = fopen("/proc/cpuinfo", "r");

	snprintf(out, cap, "unknown");
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		char *colon = strchr(line, ':');

		if (strncmp(line, "model name", 10) != 0 || colon == NULL)
			continue;
		colon += strspn(colon + 1, " \t") + 1;
		colon[strcspn(colon, "\n")] = '\0';
		snprintf(out, cap, "%s", colon);
		break;
	}
	fclose(f);
}

void
bench_print_header(const struct bench *b, FILE *f)
{
	char cpu[128];

	cpu_model(cpu, sizeof(cpu));
	fprintf(f, "hayabusa-crypto-bench: %s, %ld online CPUs\n", cpu,
		sysconf(_SC_NPROCESSORS_ONLN));
	fprintf(f, "engines: evp %s, ipsec-mb %s; %u runs of ~%.0f ms per figure (median)%s\n",
		crypto_engine_available(CRYPTO_ENGINE_EVP) ? "yes" : "no",
		crypto_engine_available(CRYPTO_ENGINE_IPSEC_MB) ? "yes" : "no", b->runs,
		(double)b->target_ns / 1e6, b->quick ? ", --quick (figures are rough)" : "");
	fprintf(f,
		"AEAD rows: %d B of AAD; bursts of %d with one key, per-packet rows cycle over "
		"the same %d buffers\n",
		BENCH_AAD_LEN, BENCH_BURST, BENCH_BURST);
	fprintf(f, "%s\n", BENCH_OPEN_METHOD);
	fprintf(f,
		"a run during which the thread was descheduled for > 2%% of it is retried (up "
		"to %u times)\n",
		b->max_retries);
}

static void
print_row(const struct bench_result *r, FILE *f)
{
	char size[24] = "-", spread[24] = "-", tput[24] = "";

	if (r->size != 0)
		snprintf(size, sizeof(size), "%zu", r->size);
	if (r->ns > 0)
		snprintf(spread, sizeof(spread), "%.1f%%", 100.0 * (r->max_ns - r->min_ns) / r->ns);
	if (r->tput && r->ns > 0)
		snprintf(tput, sizeof(tput), "%.2f", (double)r->size * 8.0 / r->ns);
	fprintf(f, "  %-34s %-10s %6s %12.1f %8s %8s%s\n", r->op, r->engine, size, r->ns, spread,
		tput, r->derived ? "  (derived)" : "");
}

static const char *
cmp_text(enum bench_cmp cmp)
{
	return cmp == BENCH_LE ? "<=" : cmp == BENCH_GE ? ">=" : "";
}

/* The word for a check: without a requirement, passed, missed. */
static const char *
verdict(const struct bench_check *c, const char *info, const char *pass, const char *miss)
{
	if (c->cmp == BENCH_INFO)
		return info;
	return c->pass ? pass : miss;
}

static void
print_check(const struct bench_check *c, FILE *f)
{
	char value[32], limit[32] = "-";
	int prec = strcmp(c->unit, "x") == 0 ? 4 : 1;

	snprintf(value, sizeof(value), "%.*f %s", prec, c->value, c->unit);
	if (c->cmp != BENCH_INFO)
		snprintf(limit, sizeof(limit), "%s %.*f %s", cmp_text(c->cmp), prec, c->limit,
			 c->unit);
	fprintf(f, "  %-56s %14s %16s  %s\n", c->name, value, limit,
		verdict(c, "info", "PASS", "MISS"));
}

/* Say so when many figures spread widely: ratios near their limit then flip between runs. */
static void
print_noise(const struct bench *b, FILE *f)
{
	unsigned i, noisy = 0, measured = 0, retried = 0;

	for (i = 0; i < b->n_res; i++) {
		const struct bench_result *r = &b->res[i];

		retried += r->retries;
		if (r->derived || r->ns <= 0)
			continue;
		measured++;
		noisy += (r->max_ns - r->min_ns) / r->ns > NOISY_SPREAD;
	}
	if (retried != 0)
		fprintf(f, "note: %u runs were taken again because another task had the CPU\n",
			retried);
	if (noisy * 5 > measured)
		fprintf(f,
			"note: %u of %u measured figures spread by more than %.0f%% between runs "
			"(other load on the machine?): a ratio within a few %% of its limit may "
			"flip between runs\n",
			noisy, measured, NOISY_SPREAD * 100);
}

void
bench_print_table(const struct bench *b, FILE *f)
{
	const char *section = NULL;
	unsigned i;

	fprintf(f, "\n  %-34s %-10s %6s %12s %8s %8s\n", "operation", "engine", "size", "ns/op",
		"spread", "Gbit/s");
	for (i = 0; i < b->n_res; i++) {
		if (b->res[i].section != section) {
			section = b->res[i].section;
			fprintf(f, "%s\n", section != NULL ? section : "");
		}
		print_row(&b->res[i], f);
	}
	fprintf(f, "\nchecks (figures from this run)\n  %-56s %14s %16s  %s\n", "check", "value",
		"limit", "result");
	for (i = 0; i < b->n_chk; i++)
		print_check(&b->chk[i], f);
	for (i = 0; i < b->n_notes; i++)
		fprintf(f, "note: %s\n", b->notes[i]);
	print_noise(b, f);
	fprintf(f, "\n%u of %u checks with a limit missed\n", bench_misses(b), b->n_chk);
}

/* A JSON string literal; control characters and quotes escaped. */
static void
json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

/* A JSON number, or null where the figure is not finite. */
static void
json_num(FILE *f, double v)
{
	if (isfinite(v))
		fprintf(f, "%.4f", v);
	else
		fputs("null", f);
}

static void
json_machine(const struct bench *b, FILE *f)
{
	char cpu[128];

	cpu_model(cpu, sizeof(cpu));
	fputs("  \"machine\": {\"cpu\": ", f);
	json_str(f, cpu);
	fprintf(f, ", \"online_cpus\": %ld, \"engines\": {\"evp\": %s, \"ipsec-mb\": %s}",
		sysconf(_SC_NPROCESSORS_ONLN),
		crypto_engine_available(CRYPTO_ENGINE_EVP) ? "true" : "false",
		crypto_engine_available(CRYPTO_ENGINE_IPSEC_MB) ? "true" : "false");
	fputs(", \"default_engine\": ", f);
	json_str(f, b->ctx[BENCH_CTX_DEFAULT] != NULL
			    ? bench_engine_name(crypto_ctx_engine(b->ctx[BENCH_CTX_DEFAULT]))
			    : "none");
	fprintf(f, "},\n  \"config\": {\"runs\": %u, \"max_retries\": %u, \"run_target_ms\": ",
		b->runs, b->max_retries);
	json_num(f, (double)b->target_ns / 1e6);
	fprintf(f, ", \"quick\": %s, \"burst\": %d, \"aad_len\": %d, \"open_method\": ",
		b->quick ? "true" : "false", BENCH_BURST, BENCH_AAD_LEN);
	json_str(f, BENCH_OPEN_METHOD);
	fputs("},\n  \"self_check\": \"ok\",\n", f);
}

static void
json_results(const struct bench *b, FILE *f)
{
	unsigned i;

	fputs("  \"results\": [", f);
	for (i = 0; i < b->n_res; i++) {
		const struct bench_result *r = &b->res[i];

		fputs(i ? ",\n    {\"op\": " : "\n    {\"op\": ", f);
		json_str(f, r->op);
		fputs(", \"engine\": ", f);
		json_str(f, r->engine);
		fprintf(f, ", \"size\": %zu, \"ns\": ", r->size);
		json_num(f, r->ns);
		fprintf(f,
			", \"runs\": %u, \"iters\": %" PRIu64
			", \"per_iter\": %u, \"retried_runs\": %u, \"min_ns\": ",
			r->runs, r->iters, r->per_iter, r->retries);
		json_num(f, r->min_ns);
		fputs(", \"max_ns\": ", f);
		json_num(f, r->max_ns);
		fprintf(f, ", \"derived\": %s}", r->derived ? "true" : "false");
	}
	fputs("\n  ],\n", f);
}

static void
json_checks(const struct bench *b, FILE *f)
{
	unsigned i;

	fputs("  \"checks\": [", f);
	for (i = 0; i < b->n_chk; i++) {
		const struct bench_check *c = &b->chk[i];

		fputs(i ? ",\n    {\"name\": " : "\n    {\"name\": ", f);
		json_str(f, c->name);
		fputs(", \"value\": ", f);
		json_num(f, c->value);
		fputs(", \"unit\": ", f);
		json_str(f, c->unit);
		fputs(", \"limit\": ", f);
		json_num(f, c->cmp == BENCH_INFO ? NAN : c->limit);
		fputs(", \"cmp\": ", f);
		json_str(f, c->cmp == BENCH_INFO ? "info" : cmp_text(c->cmp));
		fprintf(f, ", \"pass\": %s}", verdict(c, "null", "true", "false"));
	}
	fputs("\n  ],\n  \"notes\": [", f);
	for (i = 0; i < b->n_notes; i++) {
		fputs(i ? ", " : "", f);
		json_str(f, b->notes[i]);
	}
	fprintf(f, "],\n  \"misses\": %u\n}\n", bench_misses(b));
}

int
bench_write_json(const struct bench *b, FILE *f, const char *path)
{
	int err;

	fputs("{\n  \"tool\": \"hayabusa-crypto-bench\",\n", f);
	json_machine(b, f);
	json_results(b, f);
	json_checks(b, f);
	err = ferror(f);
	if (fclose(f) != 0 || err) {
		fprintf(stderr, "crypto-bench: error writing %s\n", path);
		return BENCH_ERR_IO;
	}
	return 0;
}
