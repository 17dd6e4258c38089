/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The server's token glue (dataplane/server/keys.c): NEW_TOKEN tokens sealed for a connection
 * whose clock is the dataplane's TSC time must carry wall-clock time, so that the screen of a
 * later Initial (which runs in wall-clock time) finds them fresh (RFC 9000 §8.1.3); and the keys
 * derived from the token key file: one per purpose, the same for the same file.
 */
#include <string.h>

#include <quic/validator.h>

#include "../../dataplane/server/srv.h"
#include "hb_crypto_test.h"
#include "hb_test.h"

TestSuite(srv_tokens);

static const char keyfile[] = "5 000102030405060708090a0b0c0d0e0f 101112131415161718191a1b\n";
static const char keyfile2[] = "6 100102030405060708090a0b0c0d0e0f 101112131415161718191a1b\n";
static const uint8_t dcid8[8] = {0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08};
static const struct quic_addr peer = {QUIC_AF_INET, 6666, {198, 18, 0, 7}};
/* A TSC clock: nanoseconds since boot, far from the epoch. */
#define TSC_NOW_NS (5ull * 1000 * 1000 * 1000)

struct tfix {
	struct crypto_ctx *ctx;
	struct quic_token_domain *d;
	struct quic_token_worker *tw;
	struct quic_validator *v;
	struct quic_token_ops inner;
};

static void
tfix_init(struct tfix *f)
{
	struct quic_validator_config vc;
	struct quic_token_keyset *ks = NULL;
	struct quic_token_config tc;

	memset(f, 0, sizeof(*f));
	f->ctx = hb_ctx_new(CRYPTO_ENGINE_AUTO);
	cr_assert(eq(int, quic_token_domain_new(&f->d, 1), 0));
	cr_assert(eq(int, quic_token_keyfile_parse(&ks, keyfile, strlen(keyfile), NULL), 0));
	cr_assert(eq(int, quic_token_domain_publish(f->d, ks), 0));
	quic_token_config_default(&tc);
	cr_assert(eq(int, quic_token_worker_new(&f->tw, f->d, 0, &tc, f->ctx, NULL), 0));
	quic_validator_config_default(&vc);
	vc.policy = QUIC_RETRY_ALWAYS;
	cr_assert(eq(int, quic_validator_new(&f->v, &vc, f->tw, f->ctx, NULL), 0));
	quic_validator_token_ops(f->v, &f->inner);
}

static void
tfix_fini(struct tfix *f)
{
	quic_validator_free(f->v);
	quic_token_worker_free(f->tw);
	quic_token_domain_free(f->d);
	crypto_ctx_free(f->ctx);
}

static enum quic_token_status
open_now(struct tfix *f, const uint8_t *tok, size_t len)
{
	enum quic_token_status st;

	quic_token_worker_enter(f->tw);
	st = quic_token_open(f->tw, QUIC_TOKEN_NEW_TOKEN, tok, len, &peer, dcid8, 8, srv_real_ns(),
			     NULL);
	quic_token_worker_exit(f->tw);
	return st;
}

/* A token issued at TSC time opens at wall-clock time through the wrapper, and only so. */
HB_TEST(srv_tokens, new_token_in_wall_clock_time)
{
	uint8_t tok[QUIC_TOKEN_BUF_LEN], bare[QUIC_TOKEN_BUF_LEN];
	struct srv_wall_tokens w;
	uint64_t issued = 0;
	struct tfix f;
	int n, m;

	tfix_init(&f);
	srv_wall_tokens_init(&w, &f.inner, srv_real_ns, &issued);
	n = w.ops.issue(w.ops.arg, QUIC_TOKEN_NEW_TOKEN, &peer, NULL, 0, TSC_NOW_NS, tok,
			sizeof(tok));
	cr_assert(gt(int, n, 0));
	cr_assert(eq(u64, issued, 1));
	cr_assert(eq(int, (int)open_now(&f, tok, (size_t)n), (int)QUIC_TOKEN_OK));
	/* The bug the wrapper fixes: sealed with the TSC time, the token is long expired. */
	m = f.inner.issue(f.inner.arg, QUIC_TOKEN_NEW_TOKEN, &peer, NULL, 0, TSC_NOW_NS, bare,
			  sizeof(bare));
	cr_assert(gt(int, m, 0));
	cr_assert(ne(int, (int)open_now(&f, bare, (size_t)m), (int)QUIC_TOKEN_OK));
	/* A13: a damaged token is refused (the validator then treats it as none). */
	tok[n / 2] ^= 1;
	cr_assert(ne(int, (int)open_now(&f, tok, (size_t)n), (int)QUIC_TOKEN_OK));
	/* Retry tokens are the validator's alone; a refused issue is not counted. */
	cr_assert(lt(int,
		     w.ops.issue(w.ops.arg, QUIC_TOKEN_RETRY, &peer, dcid8, 8, TSC_NOW_NS, tok,
				 sizeof(tok)),
		     0));
	cr_assert(eq(u64, issued, 1));
	tfix_fini(&f);
}

/* Reset and ticket keys: a function of the key file and the purpose, nothing else. */
HB_TEST(srv_tokens, derived_keys)
{
	struct quic_token_keyset *a = NULL, *b = NULL, *c = NULL;
	uint8_t k1[32], k2[32], k3[32], k4[32];

	cr_assert(eq(int, quic_token_keyfile_parse(&a, keyfile, strlen(keyfile), NULL), 0));
	cr_assert(eq(int, quic_token_keyfile_parse(&b, keyfile, strlen(keyfile), NULL), 0));
	cr_assert(eq(int, quic_token_keyfile_parse(&c, keyfile2, strlen(keyfile2), NULL), 0));
	cr_assert(eq(int, srv_keys_derive(a, "x", k1, sizeof(k1)), 0));
	cr_assert(eq(int, srv_keys_derive(b, "x", k2, sizeof(k2)), 0));
	cr_assert(eq(int, srv_keys_derive(a, "y", k3, sizeof(k3)), 0));
	cr_assert(eq(int, srv_keys_derive(c, "x", k4, sizeof(k4)), 0));
	cr_assert(eq(int, memcmp(k1, k2, 32), 0));
	cr_assert(ne(int, memcmp(k1, k3, 32), 0));
	cr_assert(ne(int, memcmp(k1, k4, 32), 0));
	quic_token_keyset_free(a);
	quic_token_keyset_free(b);
	quic_token_keyset_free(c);
}

/* SIGHUP: workers install every published ticket key in order; a burst keeps the newest. */
HB_TEST(srv_tokens, ticket_keys_follow_publications)
{
	static struct srv s;
	struct tls_server_config *cfg = NULL;
	struct quic_token_keyset *ks = NULL;
	uint32_t seen = 0;

	cr_assert(eq(int, tls_server_config_new(&cfg), 0));
	cr_assert(eq(int, quic_token_keyfile_parse(&ks, keyfile, strlen(keyfile), NULL), 0));
	cr_assert(eq(int, srv_ticket_key_publish(&s, ks), 0));
	srv_ticket_keys_sync(&s, cfg, &seen);
	cr_assert(eq(u32, seen, 1));
	for (int i = 0; i < 10; i++)
		cr_assert(eq(int, srv_ticket_key_publish(&s, ks), 0));
	srv_ticket_keys_sync(&s, cfg, &seen);
	cr_assert(eq(u32, seen, 11));
	srv_ticket_keys_sync(&s, cfg, &seen);
	cr_assert(eq(u32, seen, 11));
	quic_token_keyset_free(ks);
	tls_server_config_free(cfg);
}
