/* SPDX-License-Identifier: BSD-3-Clause */
/* Server and client configurations: built once, shared read-only by connections. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "tls_int.h"

#define MIN_MAX_MESSAGE 1024
#define MAX_MAX_MESSAGE (1u << 20)
#define MAX_PEM_FILE	(1u << 20)

static const char *const default_alpn[] = {"h3", "hq-interop", "perf"};

int
tls_set_alpn(struct tls_common_config *c, const char *const *protos, size_t n)
{
	struct crypto_wr w;
	size_t i;

	if (protos == NULL || n == 0 || n > TLS_MAX_ALPN)
		return TLS_ERR_INVAL;
	crypto_wr_init(&w, c->alpn_wire, sizeof(c->alpn_wire));
	for (i = 0; i < n; i++) {
		size_t len = protos[i] != NULL ? strlen(protos[i]) : 0;

		if (len == 0 || len > 255)
			return TLS_ERR_INVAL;
		tls_put_vec(&w, 1, protos[i], len);
	}
	if (w.err)
		return TLS_ERR_INVAL;
	c->alpn_len = crypto_wr_len(&w);
	return 0;
}

int
tls_common_config_init(struct tls_common_config *c)
{
	int rc;

	memset(c, 0, sizeof(*c));
	rc = tls_algs_init(&c->algs);
	if (rc != 0)
		return rc;
	c->suites[0] = CRYPTO_SUITE_AES_128_GCM_SHA256;
	c->suites[1] = CRYPTO_SUITE_AES_256_GCM_SHA384;
	c->suites[2] = CRYPTO_SUITE_CHACHA20_POLY1305_SHA256;
	c->n_suites = 3;
	c->groups[0] = CRYPTO_GROUP_X25519;
	c->groups[1] = CRYPTO_GROUP_SECP256R1;
	c->n_groups = 2;
	c->rand.fn = crypto_rand_system;
	c->max_msg = TLS_DEFAULT_MAX_MESSAGE;
	return tls_set_alpn(c, default_alpn, sizeof(default_alpn) / sizeof(default_alpn[0]));
}

static int
set_suites(struct tls_common_config *c, const enum crypto_suite *suites, size_t n)
{
	size_t i, j;

	if (suites == NULL || n == 0 || n > CRYPTO_SUITE_COUNT)
		return TLS_ERR_INVAL;
	for (i = 0; i < n; i++) {
		if ((unsigned)suites[i] >= CRYPTO_SUITE_COUNT)
			return TLS_ERR_INVAL;
		for (j = 0; j < i; j++)
			if (suites[j] == suites[i])
				return TLS_ERR_INVAL;
	}
	memcpy(c->suites, suites, n * sizeof(*suites));
	c->n_suites = n;
	return 0;
}

static int
set_groups(struct tls_common_config *c, const enum crypto_group *groups, size_t n)
{
	size_t i;

	if (groups == NULL || n == 0 || n > 2)
		return TLS_ERR_INVAL;
	for (i = 0; i < n; i++)
		if (groups[i] != CRYPTO_GROUP_X25519 && groups[i] != CRYPTO_GROUP_SECP256R1)
			return TLS_ERR_INVAL;
	if (n == 2 && groups[0] == groups[1])
		return TLS_ERR_INVAL;
	memcpy(c->groups, groups, n * sizeof(*groups));
	c->n_groups = n;
	return 0;
}

static void
set_rand(struct tls_common_config *c, const struct crypto_rand *rand)
{
	if (rand == NULL || rand->fn == NULL) {
		c->rand.fn = crypto_rand_system;
		c->rand.arg = NULL;
	} else {
		c->rand = *rand;
	}
}

static int
set_max_message(struct tls_common_config *c, size_t max)
{
	if (max < MIN_MAX_MESSAGE || max > MAX_MAX_MESSAGE)
		return TLS_ERR_INVAL;
	c->max_msg = max;
	return 0;
}

/* Read a whole (small) file into a malloc'd NUL-terminated buffer. */
static int
read_file(const char *path, char **out, size_t *len)
{
	FILE *f;
	char *buf;
	size_t n;

	if (path == NULL)
		return TLS_ERR_INVAL;
	f = fopen(path, "rb");
	if (f == NULL)
		return TLS_ERR_IO;
	buf = malloc(MAX_PEM_FILE + 1);
	if (buf == NULL) {
		fclose(f);
		return TLS_ERR_NOMEM;
	}
	n = fread(buf, 1, MAX_PEM_FILE + 1, f);
	if (ferror(f) || n > MAX_PEM_FILE) {
		fclose(f);
		free(buf);
		return TLS_ERR_IO;
	}
	fclose(f);
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

/* ---- Server ---- */

int
tls_server_config_new(struct tls_server_config **out)
{
	struct tls_server_config *cfg;
	int rc;

	if (out == NULL)
		return TLS_ERR_INVAL;
	cfg = calloc(1, sizeof(*cfg));
	if (cfg == NULL)
		return TLS_ERR_NOMEM;
	rc = tls_common_config_init(&cfg->c);
	if (rc != 0) {
		free(cfg);
		return rc;
	}
	cfg->sealers = calloc(TLS_SEALERS, sizeof(*cfg->sealers));
	if (cfg->sealers == NULL) {
		tls_server_config_free(cfg);
		return TLS_ERR_NOMEM;
	}
	for (unsigned i = 0; i < TLS_SEALERS; i++)
		atomic_flag_clear(&cfg->sealers[i].busy);
	cfg->n_tickets = 1;
	cfg->ticket_lifetime_s = TLS_DEFAULT_TICKET_LIFETIME_S;
	cfg->freshness_ms = TLS_DEFAULT_FRESHNESS_WINDOW_MS;
	*out = cfg;
	return 0;
}

void
tls_server_config_free(struct tls_server_config *cfg)
{
	if (cfg == NULL)
		return;
	tls_server_cert_clear(&cfg->cert);
	tls_algs_free(&cfg->c.algs);
	crypto_wipe(cfg->tkeys, sizeof(cfg->tkeys));
	if (cfg->sealers != NULL) {
		for (unsigned i = 0; i < TLS_SEALERS; i++)
			EVP_CIPHER_CTX_free(cfg->sealers[i].x);
		crypto_wipe(cfg->sealers, TLS_SEALERS * sizeof(*cfg->sealers));
		free(cfg->sealers);
	}
	free(cfg);
}

int
tls_server_config_set_cert_pem(struct tls_server_config *cfg, const char *chain_pem,
			       size_t chain_len, const char *key_pem, size_t key_len)
{
	struct tls_server_cert sc;
	int rc;

	if (cfg == NULL || chain_pem == NULL || key_pem == NULL)
		return TLS_ERR_INVAL;
	rc = tls_server_cert_load(&sc, chain_pem, chain_len, key_pem, key_len, cfg->c.max_msg);
	if (rc != 0)
		return rc;
	tls_server_cert_clear(&cfg->cert);
	cfg->cert = sc;
	cfg->have_cert = true;
	return 0;
}

int
tls_server_config_set_cert_files(struct tls_server_config *cfg, const char *chain_path,
				 const char *key_path)
{
	char *chain = NULL, *key = NULL;
	size_t chain_len = 0, key_len = 0;
	int rc;

	if (cfg == NULL)
		return TLS_ERR_INVAL;
	rc = read_file(chain_path, &chain, &chain_len);
	if (rc == 0)
		rc = read_file(key_path, &key, &key_len);
	if (rc == 0)
		rc = tls_server_config_set_cert_pem(cfg, chain, chain_len, key, key_len);
	free(chain);
	if (key != NULL) {
		crypto_wipe(key, key_len);
		free(key);
	}
	return rc;
}

int
tls_server_config_set_alpn(struct tls_server_config *cfg, const char *const *protos, size_t n)
{
	return cfg == NULL ? TLS_ERR_INVAL : tls_set_alpn(&cfg->c, protos, n);
}

int
tls_server_config_set_suites(struct tls_server_config *cfg, const enum crypto_suite *suites,
			     size_t n)
{
	return cfg == NULL ? TLS_ERR_INVAL : set_suites(&cfg->c, suites, n);
}

int
tls_server_config_set_groups(struct tls_server_config *cfg, const enum crypto_group *groups,
			     size_t n)
{
	return cfg == NULL ? TLS_ERR_INVAL : set_groups(&cfg->c, groups, n);
}

void
tls_server_config_set_keylog(struct tls_server_config *cfg, const struct tls_keylog *kl)
{
	if (cfg != NULL)
		cfg->c.keylog = kl != NULL ? *kl : (struct tls_keylog){0};
}

void
tls_server_config_set_rand(struct tls_server_config *cfg, const struct crypto_rand *rand)
{
	if (cfg != NULL)
		set_rand(&cfg->c, rand);
}

int
tls_server_config_set_max_message(struct tls_server_config *cfg, size_t max)
{
	return cfg == NULL ? TLS_ERR_INVAL : set_max_message(&cfg->c, max);
}

void
tls_server_config_set_hrr_cookie(struct tls_server_config *cfg, bool enable)
{
	if (cfg != NULL)
		cfg->hrr_cookie = enable;
}

int
tls_server_config_rotate_ticket_key(struct tls_server_config *cfg,
				    const uint8_t key[TLS_TICKET_KEY_LEN])
{
	struct tls_ticket_key k;
	uint8_t digest[TLS_MAX_HASH];

	if (cfg == NULL || key == NULL)
		return TLS_ERR_INVAL;
	/* The key id names the key in each ticket: a hash, so it reveals nothing of the key. */
	if (tls_hash_once(&cfg->c.algs.hash[0], key, TLS_TICKET_KEY_LEN, digest) != 0)
		return TLS_ERR_LIB;
	k.live = true;
	memcpy(k.id, digest, sizeof(k.id));
	memcpy(k.key, key, TLS_TICKET_KEY_LEN);
	cfg->tkeys[1] = cfg->tkeys[0];
	cfg->tkeys[0] = k;
	crypto_wipe(&k, sizeof(k));
	return 0;
}

int
tls_server_config_set_tickets(struct tls_server_config *cfg, unsigned count, uint32_t lifetime_s)
{
	if (cfg == NULL || count > 8 || lifetime_s == 0 || lifetime_s > TLS_MAX_TICKET_AGE_S)
		return TLS_ERR_INVAL;
	cfg->n_tickets = count;
	cfg->ticket_lifetime_s = lifetime_s;
	return 0;
}

void
tls_server_config_set_early_data(struct tls_server_config *cfg, bool enable, uint32_t window_ms)
{
	if (cfg == NULL)
		return;
	cfg->early_data = enable;
	cfg->freshness_ms = window_ms;
}

/* ---- Client ---- */

int
tls_client_config_new(struct tls_client_config **out)
{
	struct tls_client_config *cfg;
	int rc;

	if (out == NULL)
		return TLS_ERR_INVAL;
	cfg = calloc(1, sizeof(*cfg));
	if (cfg == NULL)
		return TLS_ERR_NOMEM;
	rc = tls_common_config_init(&cfg->c);
	if (rc != 0) {
		free(cfg);
		return rc;
	}
	cfg->store = X509_STORE_new();
	if (cfg->store == NULL) {
		tls_client_config_free(cfg);
		return TLS_ERR_NOMEM;
	}
	cfg->n_shares = 1;
	cfg->early_data = true;
	*out = cfg;
	return 0;
}

void
tls_client_config_free(struct tls_client_config *cfg)
{
	if (cfg == NULL)
		return;
	tls_client_config_set_bench_reuse_key_share(cfg, false);
	X509_STORE_free(cfg->store);
	tls_algs_free(&cfg->c.algs);
	free(cfg);
}

int
tls_client_config_set_ca_pem(struct tls_client_config *cfg, const char *pem, size_t len)
{
	BIO *bio;
	X509 *x;
	int n = 0, rc = 0;

	if (cfg == NULL || pem == NULL || len > INT32_MAX)
		return TLS_ERR_INVAL;
	bio = BIO_new_mem_buf(pem, (int)len);
	if (bio == NULL)
		return TLS_ERR_NOMEM;
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		if (X509_STORE_add_cert(cfg->store, x) != 1)
			rc = TLS_ERR_CONFIG;
		X509_free(x);
		n++;
	}
	/* The loop ends on a "no start line" error queued by PEM: not a failure. */
	ERR_clear_error();
	BIO_free(bio);
	if (rc == 0 && n == 0)
		rc = TLS_ERR_CONFIG;
	return rc;
}

int
tls_client_config_set_ca_file(struct tls_client_config *cfg, const char *path)
{
	char *pem = NULL;
	size_t len = 0;
	int rc;

	if (cfg == NULL)
		return TLS_ERR_INVAL;
	rc = read_file(path, &pem, &len);
	if (rc == 0)
		rc = tls_client_config_set_ca_pem(cfg, pem, len);
	free(pem);
	return rc;
}

void
tls_client_config_set_insecure_skip_verify(struct tls_client_config *cfg, bool skip)
{
	if (cfg != NULL)
		cfg->skip_verify = skip;
}

void
tls_client_config_set_verify_time(struct tls_client_config *cfg, int64_t unix_time)
{
	if (cfg != NULL)
		cfg->verify_time = unix_time;
}

int
tls_client_config_set_alpn(struct tls_client_config *cfg, const char *const *protos, size_t n)
{
	return cfg == NULL ? TLS_ERR_INVAL : tls_set_alpn(&cfg->c, protos, n);
}

int
tls_client_config_set_suites(struct tls_client_config *cfg, const enum crypto_suite *suites,
			     size_t n)
{
	return cfg == NULL ? TLS_ERR_INVAL : set_suites(&cfg->c, suites, n);
}

int
tls_client_config_set_groups(struct tls_client_config *cfg, const enum crypto_group *groups,
			     size_t n, size_t n_shares)
{
	int rc;

	if (cfg == NULL || n_shares == 0 || n_shares > n || n_shares > TLS_MAX_SHARES)
		return TLS_ERR_INVAL;
	rc = set_groups(&cfg->c, groups, n);
	if (rc == 0)
		cfg->n_shares = n_shares;
	return rc;
}

void
tls_client_config_set_keylog(struct tls_client_config *cfg, const struct tls_keylog *kl)
{
	if (cfg != NULL)
		cfg->c.keylog = kl != NULL ? *kl : (struct tls_keylog){0};
}

void
tls_client_config_set_rand(struct tls_client_config *cfg, const struct crypto_rand *rand)
{
	if (cfg != NULL)
		set_rand(&cfg->c, rand);
}

int
tls_client_config_set_max_message(struct tls_client_config *cfg, size_t max)
{
	return cfg == NULL ? TLS_ERR_INVAL : set_max_message(&cfg->c, max);
}

void
tls_client_config_set_early_data(struct tls_client_config *cfg, bool enable)
{
	if (cfg != NULL)
		cfg->early_data = enable;
}

/* ---- Load-generator knobs (tls.h, "Benchmark support") ---- */

int
tls_client_config_set_bench_reuse_key_share(struct tls_client_config *cfg, bool reuse)
{
	static const enum crypto_group groups[2] = {CRYPTO_GROUP_X25519, CRYPTO_GROUP_SECP256R1};
	struct crypto_kex *kex[2] = {NULL, NULL};
	struct crypto_ctx *ctx = NULL;
	size_t i;
	int rc = 0;

	if (cfg == NULL)
		return TLS_ERR_INVAL;
	/* One share per group the client may be asked for (its list or a HelloRetryRequest),
	 * made now. A crypto_kex derives through the context it was made in, so that context
	 * lives as long as the shares (hence one thread at a time, see tls.h). */
	if (reuse && crypto_ctx_new(&ctx, CRYPTO_ENGINE_EVP) != 0)
		return TLS_ERR_LIB;
	for (i = 0; reuse && i < 2 && rc == 0; i++)
		if (crypto_kex_new(&kex[tls_bench_kex_index(groups[i])], ctx, groups[i]) != 0)
			rc = TLS_ERR_LIB;
	if (rc != 0) {
		crypto_kex_free(kex[0]);
		crypto_kex_free(kex[1]);
		crypto_ctx_free(ctx);
		return rc;
	}
	for (i = 0; i < 2; i++) {
		crypto_kex_free(cfg->bench_kex[i]);
		cfg->bench_kex[i] = kex[i];
	}
	crypto_ctx_free(cfg->bench_ctx);
	cfg->bench_ctx = ctx;
	return 0;
}

void
tls_client_config_set_bench_skip_server_auth(struct tls_client_config *cfg, bool skip)
{
	if (cfg != NULL)
		cfg->bench_skip_auth = skip;
}
