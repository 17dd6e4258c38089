/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The key log hook: both sides report the four 1-RTT handshake secrets of RFC 9846 §7.1 under
 * their NSS key log labels, with the ClientHello random (RFC 9846 §4.1.2) and the very secrets
 * that the secret callback hands to QUIC (RFC 9001 §5.1).
 */
#include <string.h>

#include "tls_pair.h"

TestSuite(tls_keylog);

#define KL_MAX 8

/* What one side's key log callback saw. */
struct kl_rec {
	unsigned n;
	const char *label[KL_MAX];
	uint8_t random[KL_MAX][32];
	uint8_t secret[KL_MAX][CRYPTO_MAX_SECRET_LEN];
	size_t len[KL_MAX];
};

static void
kl_cb(void *arg, const char *label, const uint8_t client_random[32], const uint8_t *secret,
      size_t len)
{
	struct kl_rec *r = arg;

	if (r->n >= KL_MAX || len > CRYPTO_MAX_SECRET_LEN)
		return;
	r->label[r->n] = label;
	memcpy(r->random[r->n], client_random, 32);
	memcpy(r->secret[r->n], secret, len);
	r->len[r->n] = len;
	r->n++;
}

/* Index of label in r; fails the test when absent or present twice. */
static unsigned
kl_find(const struct kl_rec *r, const char *label)
{
	unsigned i, found = KL_MAX, n = 0;

	for (i = 0; i < r->n; i++) {
		if (strcmp(r->label[i], label) == 0) {
			found = i;
			n++;
		}
	}
	cr_assert(eq(u32, n, 1), "%s", label);
	return found;
}

/* Label, the (level, dir) of the client's secret callback that holds the same secret. */
static const struct {
	const char *label;
	enum tls_level level;
	enum tls_dir cli_dir;
} kl_labels[] = {
	{"CLIENT_HANDSHAKE_TRAFFIC_SECRET", TLS_LEVEL_HANDSHAKE, TLS_DIR_WRITE},
	{"SERVER_HANDSHAKE_TRAFFIC_SECRET", TLS_LEVEL_HANDSHAKE, TLS_DIR_READ},
	{"CLIENT_TRAFFIC_SECRET_0", TLS_LEVEL_APPLICATION, TLS_DIR_WRITE},
	{"SERVER_TRAFFIC_SECRET_0", TLS_LEVEL_APPLICATION, TLS_DIR_READ},
};

HB_TEST(tls_keylog, both_sides_log_the_derived_secrets)
{
	struct tls_server_config *scfg = server_cfg(TLS_KEY_ECDSA_P256, NULL);
	struct tls_client_config *ccfg = client_cfg(NULL);
	struct kl_rec cr = {0}, sr = {0};
	struct tls_keylog ckl = {.fn = kl_cb, .arg = &cr}, skl = {.fn = kl_cb, .arg = &sr};
	struct pair p;
	size_t i;

	tls_client_config_set_keylog(ccfg, &ckl);
	tls_server_config_set_keylog(scfg, &skl);
	pair_init(&p, ccfg, scfg, PAIR_HOST);
	cr_assert(eq(int, pair_run(&p, PAIR_NOW), 0));
	cr_assert(tls_conn_handshake_done(p.srv.c));
	pair_assert_secrets(&p);
	/* No session: no CLIENT_EARLY_TRAFFIC_SECRET. */
	cr_assert(eq(u32, cr.n, 4));
	cr_assert(eq(u32, sr.n, 4));
	for (i = 0; i < sizeof(kl_labels) / sizeof(kl_labels[0]); i++) {
		unsigned ci = kl_find(&cr, kl_labels[i].label);
		unsigned si = kl_find(&sr, kl_labels[i].label);
		const uint8_t *want = p.cli.secret[kl_labels[i].level][kl_labels[i].cli_dir];
		size_t want_len = p.cli.secret_len[kl_labels[i].level][kl_labels[i].cli_dir];

		cr_assert(eq(sz, cr.len[ci], want_len));
		cr_assert(eq(sz, sr.len[si], want_len));
		cr_assert(eq(int, memcmp(cr.secret[ci], want, want_len), 0));
		cr_assert(eq(int, memcmp(sr.secret[si], want, want_len), 0));
		/* Both sides name the connection by the same ClientHello.random. */
		cr_assert(eq(int, memcmp(cr.random[ci], sr.random[si], 32), 0));
		cr_assert(eq(int, memcmp(cr.random[ci], cr.random[0], 32), 0));
	}
	pair_free(&p);
	tls_client_config_free(ccfg);
	tls_server_config_free(scfg);
}

HB_TEST(tls_keylog, null_turns_it_off)
{
	struct tls_server_config *scfg = server_cfg(TLS_KEY_ECDSA_P256, NULL);
	struct tls_client_config *ccfg = client_cfg(NULL);
	struct kl_rec sr = {0};
	struct tls_keylog skl = {.fn = kl_cb, .arg = &sr};
	struct pair p;

	tls_server_config_set_keylog(scfg, &skl);
	tls_server_config_set_keylog(scfg, NULL);
	pair_init(&p, ccfg, scfg, PAIR_HOST);
	cr_assert(eq(int, pair_run(&p, PAIR_NOW), 0));
	cr_assert(tls_conn_handshake_done(p.srv.c));
	cr_assert(eq(u32, sr.n, 0));
	pair_free(&p);
	tls_client_config_free(ccfg);
	tls_server_config_free(scfg);
}
