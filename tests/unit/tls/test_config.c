/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Configurations and certificates: PEM loading and its refusals, files, the certificate
 * generator (self-signed, CA-signed, IP address names), argument checks of the setters.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "tls_pair.h"

TestSuite(tls_config);

static struct tls_server_config *
new_server(void)
{
	struct tls_server_config *cfg = NULL;

	cr_assert(eq(int, tls_server_config_new(&cfg), 0));
	return cfg;
}

HB_TEST(tls_config, pem_refusals)
{
	struct tls_server_config *cfg = new_server();
	struct pem a, b;
	static const char junk[] = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";

	pem_gen(&a, TLS_KEY_ECDSA_P256, PAIR_HOST, false, NULL);
	pem_gen(&b, TLS_KEY_ECDSA_P256, PAIR_HOST, false, NULL);
	/* The key of another certificate. */
	cr_assert(eq(int, tls_server_config_set_cert_pem(cfg, a.cert, a.cert_len, b.key, b.key_len),
		     TLS_ERR_CONFIG));
	/* No certificate at all, or garbage. */
	cr_assert(eq(int, tls_server_config_set_cert_pem(cfg, "", 0, a.key, a.key_len),
		     TLS_ERR_CONFIG));
	cr_assert(eq(int,
		     tls_server_config_set_cert_pem(cfg, junk, sizeof(junk) - 1, a.key, a.key_len),
		     TLS_ERR_CONFIG));
	cr_assert(eq(int, tls_server_config_set_cert_pem(cfg, a.cert, a.cert_len, "x", 1),
		     TLS_ERR_CONFIG));
	cr_assert(eq(int, tls_server_config_set_cert_pem(cfg, NULL, 0, a.key, a.key_len),
		     TLS_ERR_INVAL));
	/* Without a certificate no server connection can be made. */
	{
		struct crypto_ctx *ctx = NULL;
		struct tls_conn *c = NULL;

		cr_assert(eq(int, crypto_ctx_new(&ctx, CRYPTO_ENGINE_EVP), 0));
		cr_assert(eq(int, tls_conn_new_server(&c, cfg, ctx, NULL, 0, NULL), TLS_ERR_INVAL));
		crypto_ctx_free(ctx);
	}
	cr_assert(eq(int, tls_server_config_set_cert_pem(cfg, a.cert, a.cert_len, a.key, a.key_len),
		     0));
	tls_server_config_free(cfg);
	pem_free(&a);
	pem_free(&b);
}

/* A P-384 certificate: the engine signs with P-256, Ed25519 and RSA only. */
HB_TEST(tls_config, unsupported_key_refused)
{
	struct tls_server_config *cfg = new_server();
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	X509 *x = X509_new();
	BIO *cb = BIO_new(BIO_s_mem()), *kb = BIO_new(BIO_s_mem());
	char *cp, *kp;
	long cl, kl;

	cr_assert(not(eq(ptr, key, NULL)));
	cr_assert(eq(int, X509_set_version(x, 2), 1));
	cr_assert(eq(int, ASN1_INTEGER_set(X509_get_serialNumber(x), 1), 1));
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	cr_assert(eq(int, X509_set_pubkey(x, key), 1));
	cr_assert(gt(int, X509_sign(x, key, EVP_sha384()), 0));
	cr_assert(eq(int, PEM_write_bio_X509(cb, x), 1));
	cr_assert(eq(int, PEM_write_bio_PrivateKey(kb, key, NULL, NULL, 0, NULL, NULL), 1));
	cl = BIO_get_mem_data(cb, &cp);
	kl = BIO_get_mem_data(kb, &kp);
	cr_assert(eq(int, tls_server_config_set_cert_pem(cfg, cp, (size_t)cl, kp, (size_t)kl),
		     TLS_ERR_CONFIG));
	BIO_free(cb);
	BIO_free(kb);
	X509_free(x);
	EVP_PKEY_free(key);
	tls_server_config_free(cfg);
}

/* A chain whose Certificate message would exceed the message limit is refused up front. */
HB_TEST(tls_config, chain_larger_than_message_limit)
{
	struct tls_server_config *cfg = new_server();
	struct pem root, leaf;
	char chain[8192];

	pem_gen(&root, TLS_KEY_RSA_2048, "root.test", true, NULL);
	pem_gen(&leaf, TLS_KEY_RSA_2048, PAIR_HOST, false, &root);
	cr_assert(lt(sz, leaf.cert_len + root.cert_len, sizeof(chain)));
	memcpy(chain, leaf.cert, leaf.cert_len);
	memcpy(chain + leaf.cert_len, root.cert, root.cert_len);
	cr_assert(eq(int, tls_server_config_set_max_message(cfg, 1024), 0));
	cr_assert(eq(int,
		     tls_server_config_set_cert_pem(cfg, chain, leaf.cert_len + root.cert_len,
						    leaf.key, leaf.key_len),
		     TLS_ERR_CONFIG));
	cr_assert(eq(int, tls_server_config_set_max_message(cfg, TLS_DEFAULT_MAX_MESSAGE), 0));
	cr_assert(eq(int,
		     tls_server_config_set_cert_pem(cfg, chain, leaf.cert_len + root.cert_len,
						    leaf.key, leaf.key_len),
		     0));
	tls_server_config_free(cfg);
	pem_free(&root);
	pem_free(&leaf);
}

HB_TEST(tls_config, files)
{
	char dir[] = "/tmp/hb_tls_XXXXXX", cert[64], key[64], missing[64];
	struct tls_cert_params cp = {.key_type = TLS_KEY_ED25519, .host_name = PAIR_HOST};
	struct tls_server_config *scfg = new_server();
	struct tls_client_config *ccfg = NULL;
	struct stat st;
	struct pair p;

	cr_assert(not(eq(ptr, mkdtemp(dir), NULL)));
	snprintf(cert, sizeof(cert), "%s/cert.pem", dir);
	snprintf(key, sizeof(key), "%s/key.pem", dir);
	snprintf(missing, sizeof(missing), "%s/none.pem", dir);
	cr_assert(eq(int, tls_cert_generate_files(&cp, cert, key), 0));
	cr_assert(eq(int, stat(key, &st), 0));
	cr_assert(eq(u32, st.st_mode & 0777, 0600));
	cr_assert(eq(int, tls_server_config_set_cert_files(scfg, missing, key), TLS_ERR_IO));
	cr_assert(eq(int, tls_server_config_set_cert_files(scfg, cert, key), 0));
	cr_assert(eq(int, tls_client_config_new(&ccfg), 0));
	cr_assert(eq(int, tls_client_config_set_ca_file(ccfg, missing), TLS_ERR_IO));
	cr_assert(eq(int, tls_client_config_set_ca_file(ccfg, key), TLS_ERR_CONFIG));
	cr_assert(eq(int, tls_client_config_set_ca_file(ccfg, cert), 0));
	pair_init(&p, ccfg, scfg, PAIR_HOST);
	cr_assert(eq(int, pair_run(&p, PAIR_NOW), 0));
	cr_assert(tls_conn_handshake_done(p.cli.c));
	pair_free(&p);
	tls_client_config_free(ccfg);
	tls_server_config_free(scfg);
	unlink(cert);
	unlink(key);
	rmdir(dir);
}

HB_TEST(tls_config, generator_arguments)
{
	struct tls_cert_params cp = {.key_type = TLS_KEY_ECDSA_P256, .host_name = "bad host"};
	struct pem a, b;
	char *c, *k;
	size_t cl, kl;

	cr_assert(eq(int, tls_cert_generate(&cp, &c, &cl, &k, &kl), TLS_ERR_INVAL));
	cp.host_name = "a,b";
	cr_assert(eq(int, tls_cert_generate(&cp, &c, &cl, &k, &kl), TLS_ERR_INVAL));
	cp.host_name = NULL;
	cr_assert(eq(int, tls_cert_generate(&cp, &c, &cl, &k, &kl), TLS_ERR_INVAL));
	cr_assert(eq(int, tls_cert_generate(NULL, &c, &cl, &k, &kl), TLS_ERR_INVAL));
	pem_gen(&a, TLS_KEY_ECDSA_P256, "ca.test", true, NULL);
	pem_gen(&b, TLS_KEY_ECDSA_P256, "other.test", true, NULL);
	/* An issuer certificate without its key, or with another key. */
	cp.host_name = PAIR_HOST;
	cp.issuer_cert_pem = a.cert;
	cr_assert(eq(int, tls_cert_generate(&cp, &c, &cl, &k, &kl), TLS_ERR_INVAL));
	cp.issuer_key_pem = b.key;
	cr_assert(eq(int, tls_cert_generate(&cp, &c, &cl, &k, &kl), TLS_ERR_CONFIG));
	pem_free(&a);
	pem_free(&b);
}

/* An address as server name: no SNI is sent, the certificate's IP address is checked. */
HB_TEST(tls_config, ip_address_server_name)
{
	struct pem pem;
	struct tls_server_config *scfg = NULL;
	struct tls_client_config *ccfg;
	struct pair p;

	pem_gen(&pem, TLS_KEY_ECDSA_P256, "198.18.0.1", false, NULL);
	cr_assert(eq(int, tls_server_config_new(&scfg), 0));
	cr_assert(eq(
		int,
		tls_server_config_set_cert_pem(scfg, pem.cert, pem.cert_len, pem.key, pem.key_len),
		0));
	ccfg = client_cfg(&pem);
	pair_init(&p, ccfg, scfg, "198.18.0.1");
	cr_assert(eq(int, pair_run(&p, PAIR_NOW), 0));
	cr_assert(tls_conn_handshake_done(p.cli.c));
	cr_assert(eq(ptr, (void *)(uintptr_t)tls_conn_server_name(p.srv.c), NULL));
	pair_free(&p);
	pair_init(&p, ccfg, scfg, "198.18.0.2");
	cr_assert(eq(int, pair_run(&p, PAIR_NOW), TLS_ERR_ALERT));
	cr_assert(eq(int, tls_conn_alert(p.cli.c), TLS_ALERT_BAD_CERTIFICATE));
	pair_free(&p);
	tls_client_config_free(ccfg);
	tls_server_config_free(scfg);
	pem_free(&pem);
}

HB_TEST(tls_config, setter_arguments)
{
	struct tls_server_config *s = new_server();
	struct tls_client_config *c = NULL;
	enum crypto_suite dup[] = {CRYPTO_SUITE_AES_128_GCM_SHA256,
				   CRYPTO_SUITE_AES_128_GCM_SHA256};
	enum crypto_suite bad_suite = CRYPTO_SUITE_COUNT;
	enum crypto_group bad_group = (enum crypto_group)0x0018;
	enum crypto_group groups[] = {CRYPTO_GROUP_X25519, CRYPTO_GROUP_SECP256R1};
	static const char *const empty[] = {""};
	static const char *const many[TLS_MAX_ALPN + 1] = {"a", "b", "c", "d", "e", "f",
							   "g", "h", "i", "j", "k", "l",
							   "m", "n", "o", "p", "q"};
	uint8_t key[TLS_TICKET_KEY_LEN] = {0};

	cr_assert(eq(int, tls_server_config_set_suites(s, dup, 2), TLS_ERR_INVAL));
	cr_assert(eq(int, tls_server_config_set_suites(s, &bad_suite, 1), TLS_ERR_INVAL));
	cr_assert(eq(int, tls_server_config_set_suites(s, dup, 0), TLS_ERR_INVAL));
	cr_assert(eq(int, tls_server_config_set_groups(s, &bad_group, 1), TLS_ERR_INVAL));
	cr_assert(eq(int, tls_server_config_set_alpn(s, empty, 1), TLS_ERR_INVAL));
	cr_assert(eq(int, tls_server_config_set_alpn(s, many, TLS_MAX_ALPN + 1), TLS_ERR_INVAL));
	cr_assert(eq(int, tls_server_config_set_alpn(s, many, TLS_MAX_ALPN), 0));
	cr_assert(eq(int, tls_server_config_set_max_message(s, 100), TLS_ERR_INVAL));
	cr_assert(eq(int, tls_server_config_set_tickets(s, 1, 604801), TLS_ERR_INVAL));
	cr_assert(eq(int, tls_server_config_set_tickets(s, 0, 60), 0));
	cr_assert(eq(int, tls_server_config_rotate_ticket_key(s, NULL), TLS_ERR_INVAL));
	cr_assert(eq(int, tls_server_config_rotate_ticket_key(s, key), 0));
	cr_assert(eq(int, tls_client_config_new(&c), 0));
	cr_assert(eq(int, tls_client_config_set_groups(c, groups, 2, 3), TLS_ERR_INVAL));
	cr_assert(eq(int, tls_client_config_set_groups(c, groups, 2, 0), TLS_ERR_INVAL));
	cr_assert(eq(int, tls_client_config_set_groups(c, groups, 2, 2), 0));
	cr_assert(eq(int, tls_client_config_set_ca_pem(c, "nothing", 7), TLS_ERR_CONFIG));
	cr_assert(eq(int, tls_client_config_set_max_message(c, (size_t)1 << 30), TLS_ERR_INVAL));
	cr_assert(eq(int, str_cmp(tls_alert_name(TLS_ALERT_MISSING_EXTENSION), "missing_extension"),
		     0));
	cr_assert(eq(int, str_cmp(tls_strerror(TLS_ERR_PROTOCOL), "peer violated a QUIC rule"), 0));
	tls_client_config_free(c);
	tls_server_config_free(s);
}
