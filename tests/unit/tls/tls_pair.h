/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * In-process TLS client/server pairs for the 'tls' suites: certificates from the generator,
 * configurations, callbacks that record every secret, and a pump that moves pending bytes
 * from one connection to the other level by level (no QUIC packets).
 */
#ifndef HB_TLS_PAIR_H
#define HB_TLS_PAIR_H

#include <stdlib.h>
#include <string.h>

#include <crypto/tls.h>

#include "hb_test.h"

#define PAIR_HOST "hayabusa.test"
#define PAIR_NOW  1000000u

/* strcmp() that treats NULL as different from everything, for typed assertions. */
static inline int
str_cmp(const char *a, const char *b)
{
	return a == NULL || b == NULL ? -1 : strcmp(a, b);
}

/* What the callbacks of one side saw. */
struct side {
	struct tls_conn *c;
	uint8_t secret[TLS_LEVEL_COUNT][2][CRYPTO_MAX_SECRET_LEN];
	size_t secret_len[TLS_LEVEL_COUNT][2];
	enum crypto_suite secret_suite[TLS_LEVEL_COUNT][2];
	unsigned secret_calls;
	uint8_t *session; /* last session blob (client) */
	size_t session_len;
	unsigned sessions;
	bool accept_early; /* the server's answer to accept_early_data */
	unsigned early_asked;
	uint8_t early_tp[256];
	size_t early_tp_len;
};

static inline int
side_secret(void *arg, enum tls_level level, enum tls_dir dir, enum crypto_suite suite,
	    const uint8_t *secret, size_t len)
{
	struct side *s = arg;

	if (len > CRYPTO_MAX_SECRET_LEN)
		return -1;
	memcpy(s->secret[level][dir], secret, len);
	s->secret_len[level][dir] = len;
	s->secret_suite[level][dir] = suite;
	s->secret_calls++;
	return 0;
}

static inline bool
side_accept_early(void *arg, const char *alpn, const uint8_t *tp, size_t tp_len)
{
	struct side *s = arg;

	(void)alpn;
	s->early_asked++;
	if (tp_len <= sizeof(s->early_tp)) {
		memcpy(s->early_tp, tp, tp_len);
		s->early_tp_len = tp_len;
	}
	return s->accept_early;
}

static inline void
side_session(void *arg, const uint8_t *blob, size_t len)
{
	struct side *s = arg;

	free(s->session);
	s->session = malloc(len);
	if (s->session != NULL)
		memcpy(s->session, blob, len);
	s->session_len = len;
	s->sessions++;
}

static inline struct tls_callbacks
side_callbacks(struct side *s)
{
	struct tls_callbacks cb = {
		.secret = side_secret,
		.accept_early_data = side_accept_early,
		.session = side_session,
		.arg = s,
	};

	return cb;
}

static inline void
side_clear(struct side *s)
{
	tls_conn_free(s->c);
	free(s->session);
	memset(s, 0, sizeof(*s));
}

/* PEM certificate and key, freed with pem_free(). */
struct pem {
	char *cert;
	size_t cert_len;
	char *key;
	size_t key_len;
};

static inline void
pem_free(struct pem *p)
{
	free(p->cert);
	free(p->key);
	memset(p, 0, sizeof(*p));
}

static inline void
pem_gen(struct pem *p, enum tls_key_type type, const char *host, bool is_ca,
	const struct pem *issuer)
{
	struct tls_cert_params cp = {
		.key_type = type,
		.host_name = host,
		.is_ca = is_ca,
		.issuer_cert_pem = issuer != NULL ? issuer->cert : NULL,
		.issuer_key_pem = issuer != NULL ? issuer->key : NULL,
	};

	cr_assert(eq(int, tls_cert_generate(&cp, &p->cert, &p->cert_len, &p->key, &p->key_len), 0));
}

/* A server config with a self-signed certificate of the given type for PAIR_HOST. */
static inline struct tls_server_config *
server_cfg(enum tls_key_type type, struct pem *out_pem)
{
	struct tls_server_config *cfg = NULL;
	struct pem p;

	pem_gen(&p, type, PAIR_HOST, false, NULL);
	cr_assert(eq(int, tls_server_config_new(&cfg), 0));
	cr_assert(eq(int, tls_server_config_set_cert_pem(cfg, p.cert, p.cert_len, p.key, p.key_len),
		     0));
	if (out_pem != NULL)
		*out_pem = p;
	else
		pem_free(&p);
	return cfg;
}

/* A client config trusting ca (NULL: skip verification). */
static inline struct tls_client_config *
client_cfg(const struct pem *ca)
{
	struct tls_client_config *cfg = NULL;

	cr_assert(eq(int, tls_client_config_new(&cfg), 0));
	if (ca != NULL)
		cr_assert(eq(int, tls_client_config_set_ca_pem(cfg, ca->cert, ca->cert_len), 0));
	else
		tls_client_config_set_insecure_skip_verify(cfg, true);
	return cfg;
}

static const uint8_t client_tp[] = {0x01, 0x02, 0x40, 0x64, 0x0f, 0x00};
static const uint8_t server_tp[] = {0x04, 0x04, 0x80, 0x10, 0x00, 0x00, 0x0e, 0x01, 0x08};

struct pair {
	struct crypto_ctx *ctx;
	struct side cli;
	struct side srv;
	struct tls_callbacks ccb;
	struct tls_callbacks scb;
};

static inline void
pair_init(struct pair *p, struct tls_client_config *ccfg, struct tls_server_config *scfg,
	  const char *host)
{
	memset(p, 0, sizeof(*p));
	cr_assert(eq(int, crypto_ctx_new(&p->ctx, CRYPTO_ENGINE_EVP), 0));
	p->ccb = side_callbacks(&p->cli);
	p->scb = side_callbacks(&p->srv);
	cr_assert(eq(int,
		     tls_conn_new_client(&p->cli.c, ccfg, p->ctx, host, client_tp,
					 sizeof(client_tp), &p->ccb),
		     0));
	cr_assert(eq(
		int,
		tls_conn_new_server(&p->srv.c, scfg, p->ctx, server_tp, sizeof(server_tp), &p->scb),
		0));
}

static inline void
pair_free(struct pair *p)
{
	side_clear(&p->cli);
	side_clear(&p->srv);
	crypto_ctx_free(p->ctx);
}

/*
 * Move everything pending at from to to, level by level, in chunks of at most chunk bytes
 * (0: all at once). @return the first non-zero tls_conn_recv() result, else 0
 */
static inline int
pump(struct tls_conn *from, struct tls_conn *to, size_t chunk, uint64_t now, bool *moved)
{
	int lv;

	for (lv = 0; lv < TLS_LEVEL_COUNT; lv++) {
		size_t len = 0;
		const uint8_t *d = tls_conn_pending(from, (enum tls_level)lv, &len);

		while (len > 0) {
			size_t n = chunk != 0 && chunk < len ? chunk : len;
			int rc = tls_conn_recv(to, (enum tls_level)lv, d, n, now);

			tls_conn_consume(from, (enum tls_level)lv, n);
			*moved = true;
			if (rc != 0)
				return rc;
			d = tls_conn_pending(from, (enum tls_level)lv, &len);
		}
	}
	return 0;
}

/* Start the client (unless started) and exchange until quiet. @return first error or 0 */
static inline int
pair_run_chunked(struct pair *p, uint64_t now, size_t chunk)
{
	int i, rc;

	if (tls_conn_role(p->cli.c) == TLS_ROLE_CLIENT && !tls_conn_handshake_done(p->cli.c)) {
		size_t n = 0;

		tls_conn_pending(p->cli.c, TLS_LEVEL_INITIAL, &n);
		if (n == 0 && tls_conn_alert(p->cli.c) == TLS_ALERT_NONE) {
			rc = tls_conn_start(p->cli.c, now);
			if (rc != 0 && rc != TLS_ERR_STATE)
				return rc;
		}
	}
	for (i = 0; i < 16; i++) {
		bool moved = false;

		rc = pump(p->cli.c, p->srv.c, chunk, now, &moved);
		if (rc != 0)
			return rc;
		rc = pump(p->srv.c, p->cli.c, chunk, now, &moved);
		if (rc != 0)
			return rc;
		if (!moved)
			break;
	}
	return 0;
}

static inline int
pair_run(struct pair *p, uint64_t now)
{
	return pair_run_chunked(p, now, 0);
}

/* Both sides derived the same secrets for HANDSHAKE and APPLICATION, of the suite's size. */
static inline void
pair_assert_secrets(const struct pair *p)
{
	size_t want = crypto_suite_secret_len(tls_conn_suite(p->cli.c));
	int lv;

	for (lv = TLS_LEVEL_HANDSHAKE; lv <= TLS_LEVEL_APPLICATION; lv++) {
		const struct side *c = &p->cli, *s = &p->srv;

		cr_assert(eq(sz, c->secret_len[lv][TLS_DIR_WRITE], want));
		cr_assert(eq(sz, s->secret_len[lv][TLS_DIR_READ], want));
		cr_assert(eq(sz, c->secret_len[lv][TLS_DIR_READ], want));
		cr_assert(eq(sz, s->secret_len[lv][TLS_DIR_WRITE], want));
		cr_assert(
			eq(int,
			   memcmp(c->secret[lv][TLS_DIR_WRITE], s->secret[lv][TLS_DIR_READ], want),
			   0));
		cr_assert(
			eq(int,
			   memcmp(c->secret[lv][TLS_DIR_READ], s->secret[lv][TLS_DIR_WRITE], want),
			   0));
		/* The two directions never share a secret. */
		cr_assert(
			ne(int,
			   memcmp(c->secret[lv][TLS_DIR_READ], c->secret[lv][TLS_DIR_WRITE], want),
			   0));
	}
}

#endif /* HB_TLS_PAIR_H */
