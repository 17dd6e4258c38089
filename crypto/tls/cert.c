/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Certificates: the server's chain and key from PEM, CertificateVerify signatures
 * (RFC 9846 §4.5.2), the client's chain and host-name check against an X509_STORE, and a
 * generator of self-signed or CA-signed certificates for tests and demos.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

#include "tls_int.h"

/* ---- Keys and schemes ---- */

static bool
key_is_p256(EVP_PKEY *key)
{
	char name[64];
	size_t len = 0;

	if (!EVP_PKEY_is_a(key, "EC"))
		return false;
	if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, name, sizeof(name),
					   &len) != 1)
		return false;
	return strcmp(name, "prime256v1") == 0 || strcmp(name, "P-256") == 0;
}

/* The key types a server may sign with; -1 for anything else. */
static int
key_type(EVP_PKEY *key)
{
	if (key_is_p256(key))
		return TLS_KEY_ECDSA_P256;
	if (EVP_PKEY_is_a(key, "ED25519"))
		return TLS_KEY_ED25519;
	if (EVP_PKEY_is_a(key, "RSA") && EVP_PKEY_get_bits(key) >= 2048)
		return TLS_KEY_RSA_2048;
	return -1;
}

bool
tls_scheme_fits_key(EVP_PKEY *key, uint16_t scheme)
{
	switch (scheme) {
	case TLS_SIG_ECDSA_SECP256R1_SHA256:
		return key_is_p256(key);
	case TLS_SIG_ED25519:
		return EVP_PKEY_is_a(key, "ED25519");
	case TLS_SIG_RSA_PSS_RSAE_SHA256:
	case TLS_SIG_RSA_PSS_RSAE_SHA384:
		/* rsae: an rsaEncryption key used with PSS padding (RFC 9846 §4.3.3). */
		return EVP_PKEY_is_a(key, "RSA") && EVP_PKEY_get_bits(key) >= 2048;
	default:
		return false;
	}
}

uint16_t
tls_server_cert_scheme(const struct tls_server_cert *sc, struct crypto_rd sigalgs)
{
	switch (sc->type) {
	case TLS_KEY_ECDSA_P256:
		return tls_list_has_u16(sigalgs, TLS_SIG_ECDSA_SECP256R1_SHA256)
			       ? TLS_SIG_ECDSA_SECP256R1_SHA256
			       : 0;
	case TLS_KEY_ED25519:
		return tls_list_has_u16(sigalgs, TLS_SIG_ED25519) ? TLS_SIG_ED25519 : 0;
	case TLS_KEY_RSA_2048:
		if (tls_list_has_u16(sigalgs, TLS_SIG_RSA_PSS_RSAE_SHA256))
			return TLS_SIG_RSA_PSS_RSAE_SHA256;
		if (tls_list_has_u16(sigalgs, TLS_SIG_RSA_PSS_RSAE_SHA384))
			return TLS_SIG_RSA_PSS_RSAE_SHA384;
		return 0;
	}
	return 0;
}

size_t
tls_cv_content(uint8_t *buf, bool server, const uint8_t *th, size_t th_len)
{
	static const char srv[] = "TLS 1.3, server CertificateVerify";
	static const char cli[] = "TLS 1.3, client CertificateVerify";
	const char *ctx = server ? srv : cli;
	size_t n = sizeof(srv); /* with its NUL: the 0 separator */

	/* 64 spaces, the context string, a 0 byte, then the transcript hash (§4.5.2). */
	memset(buf, 0x20, 64);
	memcpy(buf + 64, ctx, n);
	memcpy(buf + 64 + n, th, th_len);
	return 64 + n + th_len;
}

/* RSA-PSS-RSAE (RFC 9846 §4.2.3): PSS padding, MGF1 over the same hash, salt = digest length. */
static bool
set_pss(EVP_PKEY_CTX *pctx)
{
	return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
	       EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) == 1;
}

/* A digest-sign/verify context for scheme over key. */
static EVP_MD_CTX *
sig_ctx(EVP_PKEY *key, uint16_t scheme, bool sign)
{
	EVP_MD_CTX *mctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	const char *md = NULL;
	int ok;

	if (mctx == NULL)
		return NULL;
	if (scheme == TLS_SIG_ECDSA_SECP256R1_SHA256 || scheme == TLS_SIG_RSA_PSS_RSAE_SHA256)
		md = "SHA256";
	else if (scheme == TLS_SIG_RSA_PSS_RSAE_SHA384)
		md = "SHA384";
	if (sign)
		ok = EVP_DigestSignInit_ex(mctx, &pctx, md, NULL, NULL, key, NULL);
	else
		ok = EVP_DigestVerifyInit_ex(mctx, &pctx, md, NULL, NULL, key, NULL);
	if (ok == 1 && md != NULL && EVP_PKEY_is_a(key, "RSA") && !set_pss(pctx))
		ok = 0;
	if (ok != 1) {
		EVP_MD_CTX_free(mctx);
		return NULL;
	}
	return mctx;
}

/* One-off signature with a fresh context: Ed25519 (pure EdDSA signs the message, not a
 * digest), and any scheme while every pooled signer is busy. */
static int
sign_oneshot(EVP_PKEY *key, uint16_t scheme, const uint8_t *msg, size_t len, uint8_t *sig,
	     size_t cap, size_t *sig_len)
{
	EVP_MD_CTX *mctx = sig_ctx(key, scheme, true);
	size_t n = 0;
	int rc = TLS_FAIL(TLS_ALERT_INTERNAL_ERROR);

	if (mctx == NULL)
		return rc;
	if (EVP_DigestSign(mctx, NULL, &n, msg, len) == 1 && n <= cap) {
		n = cap;
		if (EVP_DigestSign(mctx, sig, &n, msg, len) == 1) {
			*sig_len = n;
			rc = 0;
		}
	}
	EVP_MD_CTX_free(mctx);
	return rc;
}

/* The digest a (non-Ed25519) scheme signs, from the configuration's fetched ones. */
static const struct tls_hash *
scheme_hash(const struct tls_algs *algs, uint16_t scheme)
{
	return &algs->hash[scheme == TLS_SIG_RSA_PSS_RSAE_SHA384 ? 1 : 0];
}

/* A context that signs digests for scheme with key: made once per signer (see tls_signer). */
static EVP_PKEY_CTX *
signer_ctx(EVP_PKEY *key, uint16_t scheme, const EVP_MD *md)
{
	EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);

	if (pctx == NULL)
		return NULL;
	if (EVP_PKEY_sign_init(pctx) != 1 || EVP_PKEY_CTX_set_signature_md(pctx, md) != 1 ||
	    (scheme != TLS_SIG_ECDSA_SECP256R1_SHA256 && !set_pss(pctx))) {
		EVP_PKEY_CTX_free(pctx);
		return NULL;
	}
	return pctx;
}

/* Sign Hash(msg) with a claimed signer: the same signature EVP_DigestSign would make. */
static int
sign_pooled(struct tls_signer *s, EVP_PKEY *key, uint16_t scheme, const struct tls_hash *h,
	    const uint8_t *msg, size_t len, uint8_t *sig, size_t cap, size_t *sig_len)
{
	uint8_t dg[TLS_MAX_HASH];
	union crypto_sha_state st;
	size_t n = cap;

	if (s->pctx == NULL || s->scheme != scheme || s->key != key) {
		EVP_PKEY_CTX_free(s->pctx);
		s->pctx = signer_ctx(key, scheme, h->md);
		s->scheme = scheme;
		s->key = key;
	}
	/* The digest on crypto/'s raw SHA-2 (no EVP_MD_CTX allocated per signature). */
	crypto_sha_init(h->id, &st);
	crypto_sha_update(h->id, &st, msg, len);
	crypto_sha_final(h->id, &st, dg);
	if (s->pctx != NULL && EVP_PKEY_sign(s->pctx, sig, &n, dg, h->len) == 1) {
		*sig_len = n;
		return 0;
	}
	/* Not trusted again after a failure: the next use builds a fresh context. */
	EVP_PKEY_CTX_free(s->pctx);
	s->pctx = NULL;
	ERR_clear_error();
	return TLS_FAIL(TLS_ALERT_INTERNAL_ERROR);
}

int
tls_sign(const struct tls_server_cert *sc, const struct tls_algs *algs, uint16_t scheme,
	 const uint8_t *msg, size_t len, uint8_t *sig, size_t cap, size_t *sig_len)
{
	unsigned i;
	int rc;

	if (scheme == TLS_SIG_ED25519 || sc->signers == NULL)
		return sign_oneshot(sc->key, scheme, msg, len, sig, cap, sig_len);
	for (i = 0; i < TLS_SIGNERS; i++) {
		struct tls_signer *s = &sc->signers[i];

		if (atomic_flag_test_and_set_explicit(&s->busy, memory_order_acquire))
			continue;
		rc = sign_pooled(s, sc->key, scheme, scheme_hash(algs, scheme), msg, len, sig,
				 cap, sig_len);
		atomic_flag_clear_explicit(&s->busy, memory_order_release);
		return rc;
	}
	return sign_oneshot(sc->key, scheme, msg, len, sig, cap, sig_len);
}

int
tls_verify(EVP_PKEY *key, uint16_t scheme, const uint8_t *msg, size_t len, const uint8_t *sig,
	   size_t sig_len)
{
	EVP_MD_CTX *mctx = sig_ctx(key, scheme, false);
	int ok;

	if (mctx == NULL)
		return TLS_FAIL(TLS_ALERT_INTERNAL_ERROR);
	ok = EVP_DigestVerify(mctx, sig, sig_len, msg, len);
	EVP_MD_CTX_free(mctx);
	ERR_clear_error();
	/* A signature that does not verify: decrypt_error (RFC 9846 §4.5.2). */
	return ok == 1 ? 0 : TLS_FAIL(TLS_ALERT_DECRYPT_ERROR);
}

/* ---- Server chain ---- */

void
tls_server_cert_clear(struct tls_server_cert *sc)
{
	if (sc->signers != NULL)
		for (unsigned i = 0; i < TLS_SIGNERS; i++)
			EVP_PKEY_CTX_free(sc->signers[i].pctx);
	free(sc->signers);
	EVP_PKEY_free(sc->key);
	free(sc->chain_der);
	memset(sc, 0, sizeof(*sc));
}

/* DER-encode each PEM certificate of bio into sc's chain. */
static int
load_chain(struct tls_server_cert *sc, BIO *bio, X509 **leaf)
{
	X509 *x;
	size_t total = 0;
	int rc = 0;

	while (rc == 0 && (x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		int n = i2d_X509(x, NULL);
		uint8_t *grown, *p;

		if (n <= 0 || sc->n == TLS_MAX_CHAIN) {
			rc = TLS_ERR_CONFIG;
		} else if ((grown = realloc(sc->chain_der, total + (size_t)n)) == NULL) {
			rc = TLS_ERR_NOMEM;
		} else {
			sc->chain_der = grown;
			p = grown + total;
			i2d_X509(x, &p);
			sc->off[sc->n] = total;
			sc->len[sc->n] = (size_t)n;
			sc->n++;
			total += (size_t)n;
		}
		if (rc == 0 && *leaf == NULL)
			*leaf = x;
		else
			X509_free(x);
	}
	ERR_clear_error();
	if (rc == 0 && sc->n == 0)
		rc = TLS_ERR_CONFIG;
	return rc;
}

/* The pool of tls_signer: all idle, none set up yet. */
static int
signers_new(struct tls_server_cert *sc)
{
	sc->signers = calloc(TLS_SIGNERS, sizeof(*sc->signers));
	if (sc->signers == NULL)
		return TLS_ERR_NOMEM;
	for (unsigned i = 0; i < TLS_SIGNERS; i++)
		atomic_flag_clear(&sc->signers[i].busy);
	return 0;
}

/* Certificate message size for this chain (RFC 9846 §4.5.1), header included. */
static size_t
chain_msg_len(const struct tls_server_cert *sc)
{
	size_t i, n = TLS_HS_HDR_LEN + 1 + 3;

	for (i = 0; i < sc->n; i++)
		n += 3 + sc->len[i] + 2;
	return n;
}

int
tls_server_cert_load(struct tls_server_cert *sc, const char *chain_pem, size_t chain_len,
		     const char *key_pem, size_t key_len, size_t max_msg)
{
	BIO *cb = NULL, *kb = NULL;
	X509 *leaf = NULL;
	int rc = TLS_ERR_CONFIG, type;

	memset(sc, 0, sizeof(*sc));
	if (chain_len > INT32_MAX || key_len > INT32_MAX)
		return TLS_ERR_INVAL;
	cb = BIO_new_mem_buf(chain_pem, (int)chain_len);
	kb = BIO_new_mem_buf(key_pem, (int)key_len);
	if (cb == NULL || kb == NULL) {
		rc = TLS_ERR_NOMEM;
		goto fail;
	}
	rc = load_chain(sc, cb, &leaf);
	if (rc != 0)
		goto fail;
	rc = TLS_ERR_CONFIG;
	sc->key = PEM_read_bio_PrivateKey(kb, NULL, NULL, NULL);
	if (sc->key == NULL || X509_check_private_key(leaf, sc->key) != 1)
		goto fail;
	type = key_type(sc->key);
	if (type < 0 || chain_msg_len(sc) > max_msg)
		goto fail;
	sc->type = (enum tls_key_type)type;
	rc = signers_new(sc);
fail:
	ERR_clear_error();
	X509_free(leaf);
	BIO_free(cb);
	BIO_free(kb);
	if (rc != 0)
		tls_server_cert_clear(sc);
	return rc;
}

/* ---- Client verification ---- */

static int
x509_err_alert(int err)
{
	switch (err) {
	case X509_V_ERR_HOSTNAME_MISMATCH:
	case X509_V_ERR_IP_ADDRESS_MISMATCH:
		/* Pinned: a certificate for another name is a bad certificate here. */
		return TLS_ALERT_BAD_CERTIFICATE;
	case X509_V_ERR_CERT_HAS_EXPIRED:
	case X509_V_ERR_CERT_NOT_YET_VALID:
		return TLS_ALERT_CERTIFICATE_EXPIRED;
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
	case X509_V_ERR_CERT_UNTRUSTED:
		return TLS_ALERT_UNKNOWN_CA;
	default:
		return TLS_ALERT_BAD_CERTIFICATE;
	}
}

static X509 *
der_to_x509(const uint8_t *der, size_t len)
{
	const unsigned char *p = der;
	X509 *x;

	if (len > INT32_MAX)
		return NULL;
	x = d2i_X509(NULL, &p, (long)len);
	/* Trailing bytes after the certificate are not a certificate. */
	if (x != NULL && p != der + len) {
		X509_free(x);
		x = NULL;
	}
	return x;
}

static int
run_verify(X509_STORE *store, const char *host, bool is_ip, int64_t t, X509 *leaf,
	   STACK_OF(X509) * rest)
{
	X509_STORE_CTX *sctx = X509_STORE_CTX_new();
	X509_VERIFY_PARAM *param;
	int rc = TLS_FAIL(TLS_ALERT_INTERNAL_ERROR);

	if (sctx == NULL || X509_STORE_CTX_init(sctx, store, leaf, rest) != 1)
		goto out;
	param = X509_STORE_CTX_get0_param(sctx);
	if (X509_STORE_CTX_set_purpose(sctx, X509_PURPOSE_SSL_SERVER) != 1)
		goto out;
	if (host != NULL && !is_ip && X509_VERIFY_PARAM_set1_host(param, host, 0) != 1)
		goto out;
	if (host != NULL && is_ip && X509_VERIFY_PARAM_set1_ip_asc(param, host) != 1)
		goto out;
	if (t != 0)
		X509_VERIFY_PARAM_set_time(param, (time_t)t);
	if (X509_verify_cert(sctx) == 1)
		rc = 0;
	else
		rc = TLS_FAIL(x509_err_alert(X509_STORE_CTX_get_error(sctx)));
out:
	X509_STORE_CTX_free(sctx);
	return rc;
}

int
tls_verify_chain(X509_STORE *store, bool skip, const char *host, bool host_is_ip, int64_t t,
		 const struct tls_certmsg *cm, EVP_PKEY **leaf_key)
{
	STACK_OF(X509) *rest = sk_X509_new_null();
	X509 *leaf = NULL;
	size_t i;
	int rc = TLS_FAIL(TLS_ALERT_BAD_CERTIFICATE);

	*leaf_key = NULL;
	if (rest == NULL)
		return TLS_FAIL(TLS_ALERT_INTERNAL_ERROR);
	for (i = 0; i < cm->n; i++) {
		X509 *x = der_to_x509(cm->der[i], cm->der_len[i]);

		if (x == NULL)
			goto out;
		if (i == 0)
			leaf = x;
		else if (sk_X509_push(rest, x) <= 0) {
			X509_free(x);
			goto out;
		}
	}
	*leaf_key = X509_get_pubkey(leaf);
	if (*leaf_key == NULL || key_type(*leaf_key) < 0) {
		rc = TLS_FAIL(TLS_ALERT_UNSUPPORTED_CERTIFICATE);
		goto out;
	}
	rc = skip ? 0 : run_verify(store, host, host_is_ip, t, leaf, rest);
out:
	ERR_clear_error();
	if (rc != 0) {
		EVP_PKEY_free(*leaf_key);
		*leaf_key = NULL;
	}
	X509_free(leaf);
	sk_X509_pop_free(rest, X509_free);
	return rc;
}

/* ---- Certificate generator ---- */

static EVP_PKEY *
gen_key(enum tls_key_type type)
{
	switch (type) {
	case TLS_KEY_ECDSA_P256:
		return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	case TLS_KEY_ED25519:
		return EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	case TLS_KEY_RSA_2048:
		return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	}
	return NULL;
}

static bool
is_ip_literal(const char *h)
{
	uint8_t addr[16];

	return inet_pton(AF_INET, h, addr) == 1 || inet_pton(AF_INET6, h, addr) == 1;
}

/* Host names become a config string below: letters, digits, '-', '.', '*', or an address. */
static bool
host_ok(const char *h)
{
	size_t n = h != NULL ? strlen(h) : 0;
	size_t i;

	if (n == 0 || n > 253)
		return false;
	if (is_ip_literal(h))
		return true;
	for (i = 0; i < n; i++) {
		char ch = h[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' || ch == '*'))
			return false;
	}
	return true;
}

static bool
add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX v3;
	X509_EXTENSION *ext;
	bool ok;

	X509V3_set_ctx(&v3, issuer, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
	if (ext == NULL)
		return false;
	ok = X509_add_ext(x, ext, -1) == 1;
	X509_EXTENSION_free(ext);
	return ok;
}

static bool
set_serial(X509 *x)
{
	uint8_t raw[16];
	BIGNUM *bn;
	bool ok;

	if (crypto_rand_bytes(NULL, raw, sizeof(raw)) != 0)
		return false;
	raw[0] &= 0x7f; /* positive */
	bn = BN_bin2bn(raw, sizeof(raw), NULL);
	ok = bn != NULL && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL;
	BN_free(bn);
	return ok;
}

static bool
set_names_and_time(X509 *x, const struct tls_cert_params *p, X509 *issuer)
{
	X509_NAME *name = X509_get_subject_name(x);
	time_t nb = p->not_before != 0 ? (time_t)p->not_before : time(NULL) - 3600;
	uint32_t days = p->validity_days != 0 ? p->validity_days : 30;

	if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
				       (const unsigned char *)p->host_name, -1, -1, 0) != 1)
		return false;
	if (X509_set_issuer_name(x, issuer != NULL ? X509_get_subject_name(issuer) : name) != 1)
		return false;
	return ASN1_TIME_set(X509_getm_notBefore(x), nb) != NULL &&
	       ASN1_TIME_set(X509_getm_notAfter(x), nb + (time_t)days * 86400) != NULL;
}

static bool
add_v3(X509 *x, const struct tls_cert_params *p, X509 *issuer)
{
	char san[300];
	X509 *iss = issuer != NULL ? issuer : x;

	snprintf(san, sizeof(san), "%s:%s", is_ip_literal(p->host_name) ? "IP" : "DNS",
		 p->host_name);
	if (!add_ext(x, iss, NID_subject_key_identifier, "hash") ||
	    !add_ext(x, iss, NID_authority_key_identifier, "keyid:always") ||
	    !add_ext(x, iss, NID_subject_alt_name, san))
		return false;
	if (p->is_ca)
		return add_ext(x, iss, NID_basic_constraints, "critical,CA:TRUE") &&
		       add_ext(x, iss, NID_key_usage,
			       "critical,keyCertSign,cRLSign,digitalSignature");
	return add_ext(x, iss, NID_basic_constraints, "critical,CA:FALSE") &&
	       add_ext(x, iss, NID_key_usage, "critical,digitalSignature") &&
	       add_ext(x, iss, NID_ext_key_usage, "serverAuth");
}

/* PEM text of a BIO into a malloc'd NUL-terminated string. */
static int
bio_to_string(BIO *b, char **out, size_t *len)
{
	char *data;
	long n = BIO_get_mem_data(b, &data);

	if (n <= 0)
		return TLS_ERR_LIB;
	*out = malloc((size_t)n + 1);
	if (*out == NULL)
		return TLS_ERR_NOMEM;
	memcpy(*out, data, (size_t)n);
	(*out)[n] = '\0';
	*len = (size_t)n;
	return 0;
}

static int
load_issuer(const struct tls_cert_params *p, X509 **cert, EVP_PKEY **key)
{
	BIO *b;

	*cert = NULL;
	*key = NULL;
	if (p->issuer_cert_pem == NULL && p->issuer_key_pem == NULL)
		return 0;
	if (p->issuer_cert_pem == NULL || p->issuer_key_pem == NULL)
		return TLS_ERR_INVAL;
	b = BIO_new_mem_buf(p->issuer_cert_pem, -1);
	*cert = b != NULL ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
	BIO_free(b);
	b = BIO_new_mem_buf(p->issuer_key_pem, -1);
	*key = b != NULL ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
	BIO_free(b);
	ERR_clear_error();
	if (*cert == NULL || *key == NULL || X509_check_private_key(*cert, *key) != 1)
		return TLS_ERR_CONFIG;
	return 0;
}

static int
write_pems(X509 *x, EVP_PKEY *key, char **cert_pem, size_t *cert_len, char **key_pem,
	   size_t *key_len)
{
	BIO *cb = BIO_new(BIO_s_mem()), *kb = BIO_new(BIO_s_mem());
	int rc = TLS_ERR_LIB;

	if (cb != NULL && kb != NULL && PEM_write_bio_X509(cb, x) == 1 &&
	    PEM_write_bio_PrivateKey(kb, key, NULL, NULL, 0, NULL, NULL) == 1) {
		rc = bio_to_string(cb, cert_pem, cert_len);
		if (rc == 0) {
			rc = bio_to_string(kb, key_pem, key_len);
			if (rc != 0) {
				free(*cert_pem);
				*cert_pem = NULL;
			}
		}
	}
	BIO_free(cb);
	BIO_free(kb);
	return rc;
}

int
tls_cert_generate(const struct tls_cert_params *p, char **cert_pem, size_t *cert_len,
		  char **key_pem, size_t *key_len)
{
	X509 *x = NULL, *issuer = NULL;
	EVP_PKEY *key = NULL, *ikey = NULL, *signer;
	int rc;

	if (p == NULL || cert_pem == NULL || cert_len == NULL || key_pem == NULL ||
	    key_len == NULL || !host_ok(p->host_name) || (unsigned)p->key_type > TLS_KEY_RSA_2048)
		return TLS_ERR_INVAL;
	rc = load_issuer(p, &issuer, &ikey);
	if (rc != 0)
		goto out;
	rc = TLS_ERR_LIB;
	key = gen_key(p->key_type);
	x = X509_new();
	if (key == NULL || x == NULL || X509_set_version(x, 2) != 1 || !set_serial(x) ||
	    X509_set_pubkey(x, key) != 1 || !set_names_and_time(x, p, issuer) ||
	    !add_v3(x, p, issuer))
		goto out;
	signer = ikey != NULL ? ikey : key;
	/* Ed25519 signs without a separate digest; the others use SHA-256. */
	if (X509_sign(x, signer, EVP_PKEY_is_a(signer, "ED25519") ? NULL : EVP_sha256()) <= 0)
		goto out;
	rc = write_pems(x, key, cert_pem, cert_len, key_pem, key_len);
out:
	ERR_clear_error();
	X509_free(x);
	X509_free(issuer);
	EVP_PKEY_free(key);
	EVP_PKEY_free(ikey);
	return rc;
}

static int
write_file(const char *path, const char *data, size_t len, mode_t mode)
{
	FILE *f;
	bool ok;

	f = fopen(path, "wb");
	if (f == NULL)
		return TLS_ERR_IO;
	ok = chmod(path, mode) == 0 && fwrite(data, 1, len, f) == len;
	ok = fclose(f) == 0 && ok;
	return ok ? 0 : TLS_ERR_IO;
}

int
tls_cert_generate_files(const struct tls_cert_params *p, const char *cert_path,
			const char *key_path)
{
	char *cert = NULL, *key = NULL;
	size_t cert_len = 0, key_len = 0;
	int rc;

	if (cert_path == NULL || key_path == NULL)
		return TLS_ERR_INVAL;
	rc = tls_cert_generate(p, &cert, &cert_len, &key, &key_len);
	if (rc != 0)
		return rc;
	rc = write_file(key_path, key, key_len, 0600);
	if (rc == 0)
		rc = write_file(cert_path, cert, cert_len, 0644);
	crypto_wipe(key, key_len);
	free(key);
	free(cert);
	return rc;
}
