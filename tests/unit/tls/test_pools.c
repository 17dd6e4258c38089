/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The server configuration's pools of reusable contexts.
 * - CertificateVerify signers (crypto/tls/cert.c, struct tls_signer): a signature made by a
 *   reused context, by the one-off path when every pooled context is busy, after a scheme
 *   change and after the key was replaced must each verify under the key the configuration
 *   holds at that moment (RFC 9846 §4.5.2), and must not verify under another.
 * - Ticket sealers (crypto/tls/ticket.c, struct tls_sealer): tickets sealed by a reused
 *   context, across a key rotation and by the one-off path all open to what was sealed, under
 *   the key they name; a sealer never seals under a key that was rotated out.
 */
#include <stdatomic.h>
#include <string.h>

#include <openssl/evp.h>

#include "tls_int.h"
#include "tls_pair.h"

TestSuite(tls_pools);

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

HB_TEST(tls_pools, ecdsa_p256_reused)
{
	struct tls_server_config *cfg = server_cfg(TLS_KEY_ECDSA_P256, NULL);

	sign_verify(cfg, TLS_SIG_ECDSA_SECP256R1_SHA256);
	tls_server_config_free(cfg);
}

HB_TEST(tls_pools, ed25519_oneshot)
{
	struct tls_server_config *cfg = server_cfg(TLS_KEY_ED25519, NULL);

	sign_verify(cfg, TLS_SIG_ED25519);
	tls_server_config_free(cfg);
}

/* One pooled context switches between the two RSA-PSS schemes (different digests). */
HB_TEST(tls_pools, rsa_pss_scheme_change)
{
	struct tls_server_config *cfg = server_cfg(TLS_KEY_RSA_2048, NULL);

	sign_verify(cfg, TLS_SIG_RSA_PSS_RSAE_SHA256);
	sign_verify(cfg, TLS_SIG_RSA_PSS_RSAE_SHA384);
	sign_verify(cfg, TLS_SIG_RSA_PSS_RSAE_SHA256);
	tls_server_config_free(cfg);
}

/* Every pooled context claimed (as by other workers): the one-off path signs. */
HB_TEST(tls_pools, all_busy_falls_back)
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
HB_TEST(tls_pools, key_replaced)
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

/* ---- Ticket sealers ---- */

/* Seal a ticket for st; @return its length. */
static size_t
seal_one(const struct tls_server_config *cfg, const struct tls_ticket_state *st, uint8_t *t,
	 size_t cap)
{
	static const uint8_t tp[] = {1, 2, 3, 4, 5};
	size_t len = 0;

	cr_assert(eq(int, tls_ticket_seal(cfg, st, tp, sizeof(tp), t, cap, &len), 0));
	return len;
}

/* The ticket opens, to the state that was sealed, with the key whose id it carries. */
static void
check_open(const struct tls_server_config *cfg, const uint8_t *t, size_t len,
	   const struct tls_ticket_state *want, const uint8_t key_id[8])
{
	uint8_t buf[1024];
	struct tls_ticket_state got;

	cr_assert(eq(int, memcmp(t, key_id, 8), 0));
	cr_assert(eq(int, tls_ticket_open(cfg, t, len, buf, &got), 0));
	cr_assert(eq(u64, got.issued_ms, want->issued_ms));
	cr_assert(eq(u32, got.age_add, want->age_add));
	cr_assert(eq(sz, got.psk_len, want->psk_len));
	cr_assert(eq(int, memcmp(got.psk, want->psk, want->psk_len), 0));
	cr_assert(eq(sz, got.tparams_len, 5));
}

HB_TEST(tls_pools, ticket_sealers_reuse_rotation_and_fallback)
{
	struct tls_server_config *cfg = server_cfg(TLS_KEY_ECDSA_P256, NULL);
	uint8_t k1[TLS_TICKET_KEY_LEN], k2[TLS_TICKET_KEY_LEN], id1[8], id2[8];
	uint8_t t[4][1024];
	size_t len[4];
	struct tls_ticket_state st;
	unsigned i;

	memset(&st, 0, sizeof(st));
	st.suite_id = 0x1301;
	st.lifetime_s = 600;
	st.psk_len = 32;
	memset(k1, 0x11, sizeof(k1));
	memset(k2, 0x22, sizeof(k2));
	cr_assert(eq(int, tls_server_config_rotate_ticket_key(cfg, k1), 0));
	memcpy(id1, cfg->tkeys[0].id, 8);
	for (i = 0; i < 2; i++) { /* the second seal reuses the pooled context */
		st.issued_ms = 1000 + i;
		st.age_add = 7 * i;
		memset(st.psk, (int)(0xa0 + i), st.psk_len);
		len[i] = seal_one(cfg, &st, t[i], sizeof(t[i]));
		check_open(cfg, t[i], len[i], &st, id1);
	}
	/* Two tickets under one key and different nonces differ. */
	cr_assert(ne(int, memcmp(t[0] + 8, t[1] + 8, 12), 0));
	/* After a rotation the pooled context seals under the new key; old tickets still open. */
	cr_assert(eq(int, tls_server_config_rotate_ticket_key(cfg, k2), 0));
	memcpy(id2, cfg->tkeys[0].id, 8);
	cr_assert(ne(int, memcmp(id1, id2, 8), 0));
	st.issued_ms = 3000;
	len[2] = seal_one(cfg, &st, t[2], sizeof(t[2]));
	check_open(cfg, t[2], len[2], &st, id2);
	st.issued_ms = 1001;
	st.age_add = 7;
	memset(st.psk, 0xa1, st.psk_len);
	check_open(cfg, t[1], len[1], &st, id1);
	/* Every sealer busy: the one-off path seals, and the ticket opens the same way. */
	for (i = 0; i < TLS_SEALERS; i++)
		cr_assert(not(atomic_flag_test_and_set(&cfg->sealers[i].busy)));
	st.issued_ms = 4000;
	len[3] = seal_one(cfg, &st, t[3], sizeof(t[3]));
	check_open(cfg, t[3], len[3], &st, id2);
	for (i = 0; i < TLS_SEALERS; i++)
		atomic_flag_clear(&cfg->sealers[i].busy);
	/* A flipped ciphertext byte does not open (the tag is checked). */
	t[3][8 + 12 + 3] ^= 1;
	{
		uint8_t buf[1024];
		struct tls_ticket_state got;

		cr_assert(eq(int, tls_ticket_open(cfg, t[3], len[3], buf, &got), 1));
	}
	tls_server_config_free(cfg);
}
