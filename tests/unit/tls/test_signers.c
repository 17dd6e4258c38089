/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The server's pooled CertificateVerify signers (crypto/tls/cert.c, struct tls_signer): a
 * signature made by a reused context, by the one-off path when every pooled context is busy,
 * after a scheme change and after the key was replaced must each verify under the key the
 * configuration holds at that moment (RFC 9846 §4.5.2), and must not verify under another.
 */
#include <stdatomic.h>
#include <string.h>

#include <openssl/evp.h>

#include "tls_int.h"
#include "tls_pair.h"

TestSuite(tls_signers);

/* Sign content with the configuration's pool; @return the signature length. */
static size_t
sign(const struct tls_server_config *cfg, uint16_t scheme, const uint8_t *content, size_t n,
     uint8_t *sig, size_t cap)
{
	size_t len = 0;

	cr_assert(eq(int, tls_sign(&cfg->cert, &cfg->c.algs, scheme, content, n, sig, cap, &len),
		     0));
	cr_assert(gt(sz, len, 0));
	return len;
}

/* Three signatures in a row (the second and third reuse a pooled context), each verified. */
static void
sign_verify(const struct tls_server_config *cfg, uint16_t scheme)
{
	uint8_t th[TLS_MAX_HASH], content[64 + 34 + TLS_MAX_HASH], sig[1024];
	size_t n, len;

	for (unsigned i = 0; i < 3; i++) {
		memset(th, (int)(0x40 + i), sizeof(th));
		n = tls_cv_content(content, true, th, 32);
		len = sign(cfg, scheme, content, n, sig, sizeof(sig));
		cr_assert(eq(int, tls_verify(cfg->cert.key, scheme, content, n, sig, len), 0));
		/* Another transcript must not verify with this signature. */
		content[n - 1] ^= 1;
		cr_assert(eq(int, tls_verify(cfg->cert.key, scheme, content, n, sig, len),
			     -TLS_ALERT_DECRYPT_ERROR));
	}
}

HB_TEST(tls_signers, ecdsa_p256_reused)
{
	struct tls_server_config *cfg = server_cfg(TLS_KEY_ECDSA_P256, NULL);

	sign_verify(cfg, TLS_SIG_ECDSA_SECP256R1_SHA256);
	tls_server_config_free(cfg);
}

HB_TEST(tls_signers, ed25519_oneshot)
{
	struct tls_server_config *cfg = server_cfg(TLS_KEY_ED25519, NULL);

	sign_verify(cfg, TLS_SIG_ED25519);
	tls_server_config_free(cfg);
}

/* One pooled context switches between the two RSA-PSS schemes (different digests). */
HB_TEST(tls_signers, rsa_pss_scheme_change)
{
	struct tls_server_config *cfg = server_cfg(TLS_KEY_RSA_2048, NULL);

	sign_verify(cfg, TLS_SIG_RSA_PSS_RSAE_SHA256);
	sign_verify(cfg, TLS_SIG_RSA_PSS_RSAE_SHA384);
	sign_verify(cfg, TLS_SIG_RSA_PSS_RSAE_SHA256);
	tls_server_config_free(cfg);
}

/* Every pooled context claimed (as by other workers): the one-off path signs. */
HB_TEST(tls_signers, all_busy_falls_back)
{
	struct tls_server_config *cfg = server_cfg(TLS_KEY_ECDSA_P256, NULL);
	unsigned i;

	sign_verify(cfg, TLS_SIG_ECDSA_SECP256R1_SHA256);
	for (i = 0; i < TLS_SIGNERS; i++)
		cr_assert(not(atomic_flag_test_and_set(&cfg->cert.signers[i].busy)));
	sign_verify(cfg, TLS_SIG_ECDSA_SECP256R1_SHA256);
	/* Nothing was released by the fallback; releasing them makes the pool usable again. */
	for (i = 0; i < TLS_SIGNERS; i++) {
		cr_assert(atomic_flag_test_and_set(&cfg->cert.signers[i].busy));
		atomic_flag_clear(&cfg->cert.signers[i].busy);
	}
	sign_verify(cfg, TLS_SIG_ECDSA_SECP256R1_SHA256);
	tls_server_config_free(cfg);
}

/* A key replaced after the pool signed with the old one: the new key signs from then on. */
HB_TEST(tls_signers, key_replaced)
{
	struct tls_server_config *cfg = server_cfg(TLS_KEY_ECDSA_P256, NULL);
	EVP_PKEY *old = cfg->cert.key;
	uint8_t content[64 + 34 + 32], sig[1024];
	size_t n, len;

	sign_verify(cfg, TLS_SIG_ECDSA_SECP256R1_SHA256);
	cr_assert(eq(int, EVP_PKEY_up_ref(old), 1));
	cfg->cert.key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	cr_assert(not(eq(ptr, cfg->cert.key, NULL)));
	EVP_PKEY_free(old); /* the configuration's reference; ours keeps it for the check */
	n = tls_cv_content(content, true, (const uint8_t *)"0123456789abcdef0123456789abcdef", 32);
	len = sign(cfg, TLS_SIG_ECDSA_SECP256R1_SHA256, content, n, sig, sizeof(sig));
	cr_assert(eq(int, tls_verify(cfg->cert.key, TLS_SIG_ECDSA_SECP256R1_SHA256, content, n,
				     sig, len),
		     0));
	cr_assert(eq(int, tls_verify(old, TLS_SIG_ECDSA_SECP256R1_SHA256, content, n, sig, len),
		     -TLS_ALERT_DECRYPT_ERROR));
	EVP_PKEY_free(old);
	tls_server_config_free(cfg);
}
