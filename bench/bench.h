/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hayabusa-crypto-bench internals: the timing harness, the store of results and checks with its
 * table and JSON writers, the self-check and the benchmark sections.
 *
 * The program is single-threaded; nothing here is thread-safe. Everything the run produces
 * hangs off one struct bench that main() allocates. Only the public crypto/ headers are used:
 * bench/ never sees an OpenSSL or ipsec-mb type.
 */
#ifndef HB_BENCH_BENCH_H
#define HB_BENCH_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <crypto/asym.h>
#include <crypto/crypto.h>
#include <crypto/tls.h>

/* Error codes of the bench_* functions (the detail is printed on stderr where it happens). */
enum bench_err {
	BENCH_ERR_OP = -1,    /* a crypto operation failed or returned a wrong result */
	BENCH_ERR_FULL = -2,  /* the result, check or note table is full */
	BENCH_ERR_IO = -3,    /* the JSON file could not be written */
	BENCH_ERR_NOMEM = -4, /* allocation failed */
};

#define BENCH_BURST	  32  /* packets per burst call, as the dataplane's RX/TX bursts */
#define BENCH_AAD_LEN	  20  /* a short header with a 16-byte DCID and a 3-byte PN */
#define BENCH_MAX_RUNS	  101 /* --runs upper bound */
#define BENCH_MAX_RESULTS 192
#define BENCH_MAX_CHECKS  96
#define BENCH_MAX_NOTES	  32
#define BENCH_MAX_SET	  12 /* operations measured interleaved in one set */
#define BENCH_NAME_LEN	  48
#define BENCH_NOTE_LEN	  120

/* Index of the engine-independent context in bench.ctx[] (libcrypto for HKDF, asym). */
#define BENCH_CTX_DEFAULT CRYPTO_ENGINE_AUTO

/* How the open figures are obtained; printed in the table header and the JSON. */
#define BENCH_OPEN_METHOD                                                                          \
	"open = median over runs of t(seal+open on the same buffer) - t(seal), both measured "     \
	"interleaved in the same run"

/* Timed body: perform iters operations. @return 0 or the failing CRYPTO_ERR_* code. */
typedef int (*bench_fn)(void *arg, uint64_t iters);

/* One measured operation. */
struct bench_op {
	const char *op;	    /* "aes128gcm seal" */
	const char *engine; /* "evp", "ipsec-mb", "imb-bare", "libcrypto" */
	size_t size;	    /* payload bytes per operation, 0 where it does not apply */
	unsigned per_iter;  /* operations per iteration (BENCH_BURST for a burst call) */
	uint64_t max_iters; /* cap on iterations per run (AEAD usage limits), 0 for none */
	bool tput;	    /* show Gbit/s for this row */
	bench_fn run;	    /* timed */
	bench_fn prepare;   /* untimed, before every timed run (fresh keys), or NULL */
	void *arg;
};

/* One figure: nanoseconds per operation, median of runs. */
struct bench_result {
	char op[BENCH_NAME_LEN];
	char engine[16];
	size_t size;
	const char *section;
	double ns; /* median */
	double min_ns;
	double max_ns;
	double run_ns[BENCH_MAX_RUNS];
	unsigned runs;
	uint64_t iters;	  /* iterations per run (0 for derived rows) */
	unsigned retries; /* runs taken again because the thread was descheduled */
	unsigned per_iter;
	bool tput;
	bool derived; /* computed run by run from measured rows of one set (difference or sum) */
};

enum bench_cmp {
	BENCH_INFO, /* printed figure without a requirement */
	BENCH_LE,   /* pass when value <= limit */
	BENCH_GE,   /* pass when value >= limit */
};

/* A figure next to the limit it is compared with, from the same run. */
struct bench_check {
	char name[96];
	const char *unit; /* "x" (ratio), "ns", "Gbit/s" */
	double value;
	double limit;
	enum bench_cmp cmp;
	bool pass;
};

struct bench {
	unsigned runs;	      /* timed runs per operation; the median is reported */
	uint64_t target_ns;   /* length of one timed run */
	unsigned max_retries; /* extra attempts at a run disturbed by another task */
	bool quick;
	/* Indexed by enum crypto_engine; NULL where the engine is not available. */
	struct crypto_ctx *ctx[3];
	const char *section;
	struct bench_result res[BENCH_MAX_RESULTS];
	unsigned n_res;
	struct bench_check chk[BENCH_MAX_CHECKS];
	unsigned n_chk;
	char notes[BENCH_MAX_NOTES][BENCH_NOTE_LEN];
	unsigned n_notes;
};

/* ---- harness (bench_harness.c) ---- */

/*
 * Measure n operations interleaved: each is calibrated (which is also its warm-up) so one run
 * lasts about b->target_ns, then b->runs rounds time every operation once per round, so drift
 * hits all of them alike. Times are CLOCK_MONOTONIC; a run during which the thread was
 * descheduled for more than 2 % of it is taken again (at most b->max_retries times). A failing
 * operation
 * aborts the set with a message on stderr.
 * @param out  receives n pointers into b->res (stable for the life of b)
 * @return 0, BENCH_ERR_OP, BENCH_ERR_FULL
 */
int bench_measure_set(struct bench *b, const struct bench_op *ops, unsigned n,
		      struct bench_result **out);
/*
 * Add the row "op" = minuend - subtrahend, run by run, median of the differences. Both rows
 * must come from the same set.
 * @return 0, BENCH_ERR_FULL
 */
int bench_derive(struct bench *b, const struct bench_result *minuend,
		 const struct bench_result *subtrahend, const char *op, struct bench_result **out);
/* Record a check; @return 0 or BENCH_ERR_FULL. */
int bench_check_add(struct bench *b, const char *name, const char *unit, double value,
		    enum bench_cmp cmp, double limit);
/* Record a note (skipped rows and the like), also echoed on stderr. */
void bench_note(struct bench *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Start a section: its name goes to stderr as progress and heads its rows in the table. */
void bench_section(struct bench *b, const char *name);
/* Keep a byte of output alive so the compiler cannot drop the work that produced it. */
void bench_sink(uint8_t v);
/* Monotonic clock in nanoseconds. */
uint64_t bench_now_ns(void);
/* Allocate n zeroed bytes aligned to a cache line; free with free(). NULL on failure. */
uint8_t *bench_alloc(size_t n);

/* ---- output (bench_report.c) ---- */

/* The row op/engine/size, or NULL. */
const struct bench_result *bench_find(const struct bench *b, const char *op, const char *engine,
				      size_t size);
/* Number of checks with a requirement that failed. */
unsigned bench_misses(const struct bench *b);
void bench_print_header(const struct bench *b, FILE *f);
void bench_print_table(const struct bench *b, FILE *f);
/*
 * Write the JSON document to f (opened by the caller on path, which names it in messages) and
 * close f. @return 0 or BENCH_ERR_IO (reported on stderr)
 */
int bench_write_json(const struct bench *b, FILE *f, const char *path);

/* ---- self-check (bench_selfcheck.c) ---- */

/*
 * Known answers through the public API (RFC 9001 A.1, A.2, A.4, A.5), cross-engine seal/open
 * round trips, the bare ipsec-mb baseline against our engine, asymmetric round trips, and one
 * complete in-memory TLS 1.3 handshake per certificate type of the TLS section. Prints each failure
 * and "self-check: OK" or "self-check: FAILED" on stdout.
 * @return 0 or BENCH_ERR_OP
 */
int bench_self_check(struct bench *b);
/* Decode hex (whitespace ignored) into out; @return the byte count, 0 on bad input or cap. */
size_t bench_hex(const char *hex, uint8_t *out, size_t cap);

/* ---- sections ---- */

/* AEAD seal/open, per packet and burst, per engine; bare ipsec-mb baseline (bench_aead.c). */
int bench_aead(struct bench *b);
/* Header-protection masks, Retry tag, tokens, Initial key derivation (bench_misc.c). */
int bench_hp(struct bench *b);
int bench_retry_token(struct bench *b);
int bench_initial(struct bench *b);
/* X25519 / P-256 key exchange, ECDSA, Ed25519 and RSA-PSS signatures (bench_asym.c). */
int bench_asym(struct bench *b);
/*
 * TLS 1.3 server handshake per certificate type (ECDSA P-256, Ed25519, RSA-2048), next to the
 * sum of its parts measured in the same set (bench_tls.c).
 */
int bench_tls(struct bench *b);

/* ---- timed bodies shared by the asym and TLS sections (bench_asym.c) ---- */

/* The TLS 1.3 CertificateVerify input: 64 spaces, the context string, 0, a SHA-256 hash. */
#define BENCH_SIGNED_LEN (64 + 33 + 1 + 32)
#define BENCH_SIG_MAX	 512 /* an RSA-4096 signature */

/* Key exchange as a server does it per handshake, against a fixed peer share. */
struct bench_kex {
	struct crypto_ctx *ctx;
	enum crypto_group group;
	struct crypto_kex *fixed; /* our side for the derive-only row */
	uint8_t peer[CRYPTO_KEX_MAX_PUB];
	size_t peer_len;
	uint8_t secret[CRYPTO_KEX_MAX_SHARED];
};

/* Signing of a CertificateVerify input with a generated key. */
struct bench_sig {
	struct crypto_sigkey *key;
	uint8_t msg[BENCH_SIGNED_LEN];
	uint8_t sig[BENCH_SIG_MAX];
	size_t sig_len;
};

/*
 * Fill k for group on ctx: the peer share and our fixed key pair. Release with
 * bench_kex_clear() whatever the result.
 * @return 0 or a CRYPTO_ERR_* code (CRYPTO_ERR_UNSUPPORTED: the group is absent here)
 */
int bench_kex_setup(struct bench_kex *k, struct crypto_ctx *ctx, enum crypto_group group);
void bench_kex_clear(struct bench_kex *k);
/* Timed: per iteration a fresh key pair, its public share and the shared secret. */
int bench_kex_full(void *arg, uint64_t iters);
/* Timed: per iteration the shared secret from the fixed key pair. */
int bench_kex_derive(void *arg, uint64_t iters);
/*
 * Fill s with a fresh key for scheme and the CertificateVerify input. Release with
 * bench_sig_clear() whatever the result.
 * @return 0 or a CRYPTO_ERR_* code (CRYPTO_ERR_UNSUPPORTED: the scheme is absent here)
 */
int bench_sig_setup(struct bench_sig *s, struct crypto_ctx *ctx, enum crypto_sig_scheme scheme);
void bench_sig_clear(struct bench_sig *s);
/* Timed: per iteration one signature of a new transcript hash. */
int bench_sign(void *arg, uint64_t iters);
/* Whether the last signature made by bench_sign() verifies (untimed). */
bool bench_sig_verifies(const struct bench_sig *s);

/* ---- TLS set-up shared by the TLS section and the self-check (bench_tls.c) ---- */

#define BENCH_TLS_HOST	 "hayabusa.bench"
#define BENCH_TLS_NOW_MS 1000000u
#define BENCH_TLS_TP_LEN 10

/* Transport parameters both sides carry (opaque to the TLS engine, checked on arrival). */
extern const uint8_t bench_tls_tp[BENCH_TLS_TP_LEN];

/*
 * A server configuration limited to X25519 and TLS_AES_128_GCM_SHA256, with a fresh
 * self-signed certificate of type for BENCH_TLS_HOST.
 * @param cert_pem  if not NULL, receives the certificate in PEM (free()) for a client to trust
 * @return 0 or a TLS_ERR_* code (the detail is on stderr)
 */
int bench_tls_server_config(struct tls_server_config **out, enum tls_key_type type, char **cert_pem,
			    size_t *cert_len);
/*
 * A client configuration limited to X25519 and TLS_AES_128_GCM_SHA256 that trusts ca_pem only.
 * @return 0 or a TLS_ERR_* code (the detail is on stderr)
 */
int bench_tls_client_config(struct tls_client_config **out, const char *ca_pem, size_t ca_len);

/* Short lower-case name of a suite for row names ("aes128gcm"). */
const char *bench_suite_name(enum crypto_suite suite);
/* Row engine name ("evp", "ipsec-mb"). */
const char *bench_engine_name(enum crypto_engine engine);

#endif /* HB_BENCH_BENCH_H */
