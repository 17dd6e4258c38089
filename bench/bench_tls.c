/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TLS 1.3 server handshake cost: per certificate type, one complete server step (a ready
 * ClientHello in, the ServerHello..Finished flight out, tls_server_respond_once()) next to the
 * sum of its parts, all measured interleaved in one set so that drift hits them alike:
 *
 *   X25519 keygen+derive + the certificate's signature + the key schedule (RFC 9846 §7.1)
 *   + 2 Finished HMACs (RFC 9846 §4.4.4)
 *
 * The ratio handshake / sum of parts is what the engine adds on top of the cryptography:
 * message encoding and parsing, transcript hashing, the certificate chain, allocations.
 *
 * The sum counts both Finished MACs and both finished keys, as a whole handshake does; the
 * server's first step computes only its own (the client's comes with the client Finished),
 * so the sum is one HKDF-Expand-Label and one HMAC (under 1 us) above what that step needs.
 */
#include <stdlib.h>
#include <string.h>

#include "bench.h"

#define HS_KINDS    3
#define HS_HASH_LEN 32 /* SHA-256: TLS_AES_128_GCM_SHA256 */

/* initial_max_data 1 MiB, max_idle_timeout 100 ms (RFC 9000 §18.2); opaque to TLS. */
const uint8_t bench_tls_tp[BENCH_TLS_TP_LEN] = {0x04, 0x04, 0x80, 0x10, 0x00,
						0x00, 0x01, 0x02, 0x40, 0x64};

/* SHA-256 of the empty string: the context of Derive-Secret(., "derived", "") (RFC 9846 §7.1). */
static const char sha256_empty[] =
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/* A certificate type, the signature scheme the server signs with, the row name. */
struct hs_kind {
	enum tls_key_type key;
	enum crypto_sig_scheme scheme;
	const char *name;
};

static const struct hs_kind kinds[HS_KINDS] = {
	{TLS_KEY_ECDSA_P256, CRYPTO_SIG_ECDSA_SECP256R1_SHA256, "ecdsa-p256"},
	{TLS_KEY_ED25519, CRYPTO_SIG_ED25519, "ed25519"},
	{TLS_KEY_RSA_2048, CRYPTO_SIG_RSA_PSS_RSAE_SHA256, "rsa-pss-2048"},
};

/* One server configuration answering the same ClientHello. */
struct hs_bench {
	const struct tls_server_config *cfg;
	struct crypto_ctx *ctx;
	const uint8_t *ch;
	size_t ch_len;
	size_t flight_len;
};

/*
 * The key schedule's inputs. Transcript hashes and the X25519 secret are fixed stand-ins: the
 * parts time HKDF, hashing the transcript is the engine's overhead.
 */
struct ks_bench {
	struct crypto_ctx *ctx;
	uint8_t ecdhe[HS_HASH_LEN];
	uint8_t th_sh[HS_HASH_LEN]; /* Transcript-Hash(ClientHello..ServerHello) */
	uint8_t th_sf[HS_HASH_LEN]; /* Transcript-Hash(ClientHello..server Finished) */
	uint8_t empty[HS_HASH_LEN];
	uint8_t fin_key[2][HS_HASH_LEN]; /* server and client finished_key */
	uint8_t out[HS_HASH_LEN];
};

struct tls_bench {
	struct tls_server_config *cfg[HS_KINDS];
	struct hs_bench hs[HS_KINDS];
	struct bench_sig sig[HS_KINDS];
	struct bench_kex kex;
	struct ks_bench ks;
	uint8_t *ch;
	size_t ch_len;
};

int
bench_tls_server_config(struct tls_server_config **out, enum tls_key_type type, char **cert_pem,
			size_t *cert_len)
{
	static const enum crypto_suite suite = CRYPTO_SUITE_AES_128_GCM_SHA256;
	static const enum crypto_group group = CRYPTO_GROUP_X25519;
	const struct tls_cert_params cp = {.key_type = type, .host_name = BENCH_TLS_HOST};
	char *cert = NULL, *key = NULL;
	size_t clen = 0, klen = 0;
	int rc;

	*out = NULL;
	rc = tls_cert_generate(&cp, &cert, &clen, &key, &klen);
	if (rc == 0)
		rc = tls_server_config_new(out);
	if (rc == 0)
		rc = tls_server_config_set_cert_pem(*out, cert, clen, key, klen);
	if (rc == 0)
		rc = tls_server_config_set_suites(*out, &suite, 1);
	if (rc == 0)
		rc = tls_server_config_set_groups(*out, &group, 1);
	free(key);
	if (rc != 0) {
		fprintf(stderr, "crypto-bench: TLS server configuration (key type %d): %s\n", type,
			tls_strerror(rc));
		tls_server_config_free(*out);
		*out = NULL;
		free(cert);
		return rc;
	}
	if (cert_pem != NULL) {
		*cert_pem = cert;
		*cert_len = clen;
	} else {
		free(cert);
	}
	return 0;
}

/* A client configuration with the section's suite and group, no trust anchor yet. */
static int
client_config_base(struct tls_client_config **out)
{
	static const enum crypto_suite suite = CRYPTO_SUITE_AES_128_GCM_SHA256;
	static const enum crypto_group group = CRYPTO_GROUP_X25519;
	int rc;

	rc = tls_client_config_new(out);
	if (rc != 0)
		return rc;
	rc = tls_client_config_set_suites(*out, &suite, 1);
	if (rc == 0)
		rc = tls_client_config_set_groups(*out, &group, 1, 1);
	if (rc != 0) {
		tls_client_config_free(*out);
		*out = NULL;
	}
	return rc;
}

int
bench_tls_client_config(struct tls_client_config **out, const char *ca_pem, size_t ca_len)
{
	int rc;

	rc = client_config_base(out);
	if (rc == 0) {
		rc = tls_client_config_set_ca_pem(*out, ca_pem, ca_len);
		if (rc != 0) {
			tls_client_config_free(*out);
			*out = NULL;
		}
	}
	if (rc != 0)
		fprintf(stderr, "crypto-bench: TLS client configuration: %s\n", tls_strerror(rc));
	return rc;
}

/*
 * One ClientHello from a client connection, copied to *out (free()). The client never gets to
 * see a certificate, so it needs no trust anchor.
 */
static int
client_hello(struct crypto_ctx *ctx, uint8_t **out, size_t *len)
{
	struct tls_client_config *cfg = NULL;
	struct tls_conn *c = NULL;
	const uint8_t *p;
	int rc;

	rc = client_config_base(&cfg);
	if (rc == 0)
		rc = tls_conn_new_client(&c, cfg, ctx, BENCH_TLS_HOST, bench_tls_tp,
					 sizeof(bench_tls_tp), NULL);
	if (rc == 0)
		rc = tls_conn_start(c, BENCH_TLS_NOW_MS);
	if (rc == 0) {
		p = tls_conn_pending(c, TLS_LEVEL_INITIAL, len);
		*out = malloc(*len);
		if (*out != NULL)
			memcpy(*out, p, *len);
		else
			rc = TLS_ERR_NOMEM;
	}
	tls_conn_free(c);
	tls_client_config_free(cfg);
	return rc;
}

/* Timed: complete server handshake steps for the same ClientHello. */
static int
hs_op(void *arg, uint64_t iters)
{
	struct hs_bench *h = arg;
	size_t flight = 0;
	uint64_t i;
	int rc;

	for (i = 0; i < iters; i++) {
		rc = tls_server_respond_once(h->cfg, h->ctx, h->ch, h->ch_len, bench_tls_tp,
					     sizeof(bench_tls_tp), BENCH_TLS_NOW_MS, &flight);
		if (rc != 0) {
			fprintf(stderr, "crypto-bench: tls_server_respond_once: %s\n",
				tls_strerror(rc));
			return CRYPTO_ERR_LIB;
		}
	}
	bench_sink((uint8_t)flight);
	return 0;
}

/* Derive-Secret / HKDF-Expand-Label to Hash.length bytes (RFC 9846 §7.1). */
static int
expand(const struct ks_bench *k, const uint8_t *secret, const char *label, const uint8_t *ctx,
       size_t ctx_len, uint8_t *out)
{
	return crypto_hkdf_expand_label(k->ctx, CRYPTO_HASH_SHA256, secret, HS_HASH_LEN, label, ctx,
					ctx_len, out, HS_HASH_LEN);
}

/*
 * One full TLS 1.3 key schedule without PSK (RFC 9846 §7.1), as a plain sequence: 3 Extracts
 * and 8 Expand-Labels.
 */
static int
key_schedule(struct ks_bench *k)
{
	static const uint8_t zero[HS_HASH_LEN];
	uint8_t early[HS_HASH_LEN], derived[HS_HASH_LEN], hs[HS_HASH_LEN];
	uint8_t c_hs[HS_HASH_LEN], s_hs[HS_HASH_LEN], master[HS_HASH_LEN];
	uint8_t c_ap[HS_HASH_LEN], s_ap[HS_HASH_LEN];
	int rc;

	rc = crypto_hkdf_extract(k->ctx, CRYPTO_HASH_SHA256, zero, HS_HASH_LEN, zero, HS_HASH_LEN,
				 early);
	if (rc == 0)
		rc = expand(k, early, "derived", k->empty, HS_HASH_LEN, derived);
	if (rc == 0)
		rc = crypto_hkdf_extract(k->ctx, CRYPTO_HASH_SHA256, derived, HS_HASH_LEN, k->ecdhe,
					 HS_HASH_LEN, hs);
	if (rc == 0)
		rc = expand(k, hs, "c hs traffic", k->th_sh, HS_HASH_LEN, c_hs);
	if (rc == 0)
		rc = expand(k, hs, "s hs traffic", k->th_sh, HS_HASH_LEN, s_hs);
	if (rc == 0)
		rc = expand(k, s_hs, "finished", NULL, 0, k->fin_key[0]);
	if (rc == 0)
		rc = expand(k, c_hs, "finished", NULL, 0, k->fin_key[1]);
	if (rc == 0)
		rc = expand(k, hs, "derived", k->empty, HS_HASH_LEN, derived);
	if (rc == 0)
		rc = crypto_hkdf_extract(k->ctx, CRYPTO_HASH_SHA256, derived, HS_HASH_LEN, zero,
					 HS_HASH_LEN, master);
	if (rc == 0)
		rc = expand(k, master, "c ap traffic", k->th_sf, HS_HASH_LEN, c_ap);
	if (rc == 0)
		rc = expand(k, master, "s ap traffic", k->th_sf, HS_HASH_LEN, s_ap);
	bench_sink(c_ap[0] ^ s_ap[0]);
	return rc;
}

/* Timed: key schedules, a different ECDHE secret each time. */
static int
ks_op(void *arg, uint64_t iters)
{
	struct ks_bench *k = arg;
	uint64_t i;
	int rc;

	for (i = 0; i < iters; i++) {
		k->ecdhe[0] = (uint8_t)i;
		rc = key_schedule(k);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/*
 * Timed: both Finished MACs, HMAC(finished_key, Transcript-Hash) (RFC 9846 §4.4.4); HKDF-Extract
 * is that HMAC with the key as salt (RFC 5869 §2.2).
 */
static int
fin_op(void *arg, uint64_t iters)
{
	struct ks_bench *k = arg;
	uint64_t i;
	int rc;

	for (i = 0; i < iters; i++) {
		k->th_sf[0] = (uint8_t)i;
		rc = crypto_hkdf_extract(k->ctx, CRYPTO_HASH_SHA256, k->fin_key[0], HS_HASH_LEN,
					 k->th_sh, HS_HASH_LEN, k->out);
		if (rc == 0)
			rc = crypto_hkdf_extract(k->ctx, CRYPTO_HASH_SHA256, k->fin_key[1],
						 HS_HASH_LEN, k->th_sf, HS_HASH_LEN, k->out);
		if (rc != 0)
			return rc;
	}
	bench_sink(k->out[0]);
	return 0;
}

/*
 * The server configuration of kind i and one untimed step with it, which gives the flight size
 * for the table and shows a refusal before any timing; then the parts' signing key.
 */
static int
setup_kind(struct tls_bench *t, struct crypto_ctx *ctx, unsigned i)
{
	int rc;

	if (bench_tls_server_config(&t->cfg[i], kinds[i].key, NULL, NULL) != 0)
		return BENCH_ERR_OP;
	t->hs[i] = (struct hs_bench){t->cfg[i], ctx, t->ch, t->ch_len, 0};
	rc = tls_server_respond_once(t->cfg[i], ctx, t->ch, t->ch_len, bench_tls_tp,
				     sizeof(bench_tls_tp), BENCH_TLS_NOW_MS, &t->hs[i].flight_len);
	if (rc != 0) {
		fprintf(stderr, "crypto-bench: TLS server step, %s: %s\n", kinds[i].name,
			tls_strerror(rc));
		return BENCH_ERR_OP;
	}
	rc = bench_sig_setup(&t->sig[i], ctx, kinds[i].scheme);
	if (rc != 0) {
		fprintf(stderr, "crypto-bench: %s key: %s\n", kinds[i].name, crypto_strerror(rc));
		return BENCH_ERR_OP;
	}
	return 0;
}

/* Certificates, configurations, the ClientHello and the parts' keys; untimed. */
static int
setup(struct bench *b, struct tls_bench *t)
{
	struct crypto_ctx *ctx = b->ctx[BENCH_CTX_DEFAULT];
	unsigned i;
	int rc;

	rc = client_hello(ctx, &t->ch, &t->ch_len);
	if (rc != 0) {
		fprintf(stderr, "crypto-bench: TLS ClientHello: %s\n", tls_strerror(rc));
		return BENCH_ERR_OP;
	}
	for (i = 0; i < HS_KINDS; i++)
		if (setup_kind(t, ctx, i) != 0)
			return BENCH_ERR_OP;
	rc = bench_kex_setup(&t->kex, ctx, CRYPTO_GROUP_X25519);
	if (rc != 0) {
		fprintf(stderr, "crypto-bench: x25519 setup: %s\n", crypto_strerror(rc));
		return BENCH_ERR_OP;
	}
	t->ks.ctx = ctx;
	memset(t->ks.ecdhe, 0x5a, sizeof(t->ks.ecdhe));
	memset(t->ks.th_sh, 0xa5, sizeof(t->ks.th_sh));
	memset(t->ks.th_sf, 0x3c, sizeof(t->ks.th_sf));
	bench_hex(sha256_empty, t->ks.empty, sizeof(t->ks.empty));
	/* The finished keys that fin_op uses come from one untimed schedule. */
	return key_schedule(&t->ks) == 0 ? 0 : BENCH_ERR_OP;
}

static void
teardown(struct tls_bench *t)
{
	unsigned i;

	for (i = 0; i < HS_KINDS; i++) {
		tls_server_config_free(t->cfg[i]);
		bench_sig_clear(&t->sig[i]);
	}
	bench_kex_clear(&t->kex);
	free(t->ch);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double
median_of(const double *v, unsigned n)
{
	double s[BENCH_MAX_RUNS];

	memcpy(s, v, n * sizeof(*v));
	qsort(s, n, sizeof(*s), cmp_double);
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/*
 * Append the row "sum of parts, <name>": run by run the sum of the parts' figures, which all
 * come from the same set (and so have the same run count).
 */
static int
sum_row(struct bench *b, const char *name, struct bench_result *const *parts, unsigned n,
	struct bench_result **out)
{
	struct bench_result *r;
	unsigned i, j;

	if (b->n_res >= BENCH_MAX_RESULTS) {
		fprintf(stderr, "crypto-bench: result table full at \"sum of parts\"\n");
		return BENCH_ERR_FULL;
	}
	r = &b->res[b->n_res++];
	memset(r, 0, sizeof(*r));
	snprintf(r->op, sizeof(r->op), "sum of parts, %s", name);
	snprintf(r->engine, sizeof(r->engine), "%s", parts[0]->engine);
	r->section = b->section;
	r->runs = parts[0]->runs;
	r->per_iter = 1;
	r->derived = true;
	for (i = 0; i < r->runs; i++)
		for (j = 0; j < n; j++)
			r->run_ns[i] += parts[j]->run_ns[i];
	r->min_ns = r->max_ns = r->run_ns[0];
	for (i = 1; i < r->runs; i++) {
		r->min_ns = r->run_ns[i] < r->min_ns ? r->run_ns[i] : r->min_ns;
		r->max_ns = r->run_ns[i] > r->max_ns ? r->run_ns[i] : r->max_ns;
	}
	/* The median of the sums, as bench_derive() takes the median of the differences. */
	r->ns = median_of(r->run_ns, r->runs);
	*out = r;
	return 0;
}

/* The handshake figure in microseconds and its ratio to the sum of its parts. */
static int
hs_checks(struct bench *b, const char *name, const struct bench_result *hs,
	  const struct bench_result *sum)
{
	char what[96];
	int rc;

	snprintf(what, sizeof(what), "tls13 server handshake, %s (us per handshake)", name);
	rc = bench_check_add(b, what, "us", hs->ns / 1000.0, BENCH_INFO, 0);
	if (rc == 0) {
		snprintf(what, sizeof(what), "tls13 server handshake/sum of parts, %s", name);
		rc = bench_check_add(b, what, "x", hs->ns / sum->ns, BENCH_INFO, 0);
	}
	return rc;
}

static struct bench_op
libcrypto_op(const char *name, size_t size, bench_fn run, void *arg)
{
	struct bench_op op = {.op = name,
			      .engine = "libcrypto",
			      .size = size,
			      .per_iter = 1,
			      .run = run,
			      .arg = arg};

	return op;
}

/*
 * One set: per certificate type the handshake and its signature, then X25519, the key
 * schedule and the Finished MACs shared by all three; then a sum row and checks per type.
 */
static int
measure(struct bench *b, struct tls_bench *t)
{
	struct bench_op ops[2 * HS_KINDS + 3];
	struct bench_result *res[2 * HS_KINDS + 3], *parts[4], *sum;
	char names[HS_KINDS][2][BENCH_NAME_LEN];
	unsigned i, n = 2 * HS_KINDS;
	int rc;

	for (i = 0; i < HS_KINDS; i++) {
		snprintf(names[i][0], BENCH_NAME_LEN, "tls13 server hs, %s", kinds[i].name);
		snprintf(names[i][1], BENCH_NAME_LEN, "%s sign", kinds[i].name);
		ops[2 * i] = libcrypto_op(names[i][0], t->hs[i].flight_len, hs_op, &t->hs[i]);
		ops[2 * i + 1] = libcrypto_op(names[i][1], 0, bench_sign, &t->sig[i]);
	}
	ops[n] = libcrypto_op("x25519 keygen+derive", 0, bench_kex_full, &t->kex);
	ops[n + 1] = libcrypto_op("tls13 key schedule (11 hkdf)", 0, ks_op, &t->ks);
	ops[n + 2] = libcrypto_op("tls13 finished hmac x2", 0, fin_op, &t->ks);
	rc = bench_measure_set(b, ops, n + 3, res);
	for (i = 0; rc == 0 && i < HS_KINDS; i++) {
		if (!bench_sig_verifies(&t->sig[i])) {
			fprintf(stderr, "crypto-bench: %s: the last signature does not verify\n",
				names[i][1]);
			return BENCH_ERR_OP;
		}
		parts[0] = res[n];
		parts[1] = res[2 * i + 1];
		parts[2] = res[n + 1];
		parts[3] = res[n + 2];
		rc = sum_row(b, kinds[i].name, parts, 4, &sum);
		if (rc == 0)
			rc = hs_checks(b, kinds[i].name, res[2 * i], sum);
	}
	return rc;
}

int
bench_tls(struct bench *b)
{
	struct tls_bench t;
	int rc;

	memset(&t, 0, sizeof(t));
	bench_section(b, "TLS 1.3 server handshake (X25519, TLS_AES_128_GCM_SHA256; handshake "
			 "size = flight bytes)");
	rc = setup(b, &t);
	if (rc == 0)
		rc = measure(b, &t);
	teardown(&t);
	return rc;
}
