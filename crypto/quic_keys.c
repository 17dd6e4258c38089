/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * QUIC key schedule: Initial secrets (RFC 9001 §5.2, RFC 9369 §3.3.1), packet protection keys
 * (RFC 9001 §5.1, RFC 9369 §3.3.2) and key update (RFC 9001 §6.1).
 *
 * The Initial path runs for every Initial a server accepts, so it is kept cheap: the salt's
 * HMAC is pre-keyed in the context and duplicated, the duplicate is re-keyed with the Initial
 * secret, and that one keyed HMAC yields both the client and the server secret.
 */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include <crypto/crypto.h>

#include "crypto_internal.h"
#include "hkdf_internal.h"

#define MAX_CID_LEN 20 /* RFC 9000 §17.2 */

struct quic_labels {
	const char *key;
	const char *iv;
	const char *hp;
	const char *ku;
};

/* RFC 9001 §5.1 and §6.1; RFC 9369 §3.3.2. */
static const struct quic_labels labels_v1 = {"quic key", "quic iv", "quic hp", "quic ku"};
static const struct quic_labels labels_v2 = {"quicv2 key", "quicv2 iv", "quicv2 hp", "quicv2 ku"};

static const struct quic_labels *
version_labels(uint32_t version)
{
	if (version == CRYPTO_QUIC_V1)
		return &labels_v1;
	if (version == CRYPTO_QUIC_V2)
		return &labels_v2;
	return NULL;
}

static int
initial_args_ok(const struct crypto_ctx *ctx, uint32_t version, const uint8_t *dcid,
		size_t dcid_len, const uint8_t *client, const uint8_t *server)
{
	return ctx != NULL && version_labels(version) != NULL && dcid_len <= MAX_CID_LEN &&
	       (dcid != NULL || dcid_len == 0) && client != NULL && server != NULL;
}

int
crypto_quic_initial_secrets(struct crypto_ctx *ctx, uint32_t version, const uint8_t *dcid,
			    size_t dcid_len, uint8_t client_secret[CRYPTO_INITIAL_SECRET_LEN],
			    uint8_t server_secret[CRYPTO_INITIAL_SECRET_LEN])
{
	uint8_t initial[CRYPTO_INITIAL_SECRET_LEN];
	struct crypto_hmac h;
	int rc;

	if (!initial_args_ok(ctx, version, dcid, dcid_len, client_secret, server_secret))
		return CRYPTO_ERR_INVAL;
	/* initial_secret = HKDF-Extract(initial_salt, client_dst_connection_id), with the salt's
	 * HMAC keyed once when the context was built. */
	crypto_hmac_oneshot(version == CRYPTO_QUIC_V1 ? &ctx->initial_v1 : &ctx->initial_v2, dcid,
			    dcid_len, initial);
	rc = crypto_hmac_setkey(&h, CRYPTO_HASH_SHA256, initial, sizeof(initial));
	if (rc == 0)
		rc = crypto_hkdf_expand_label_keyed(&h, "client in", NULL, 0, client_secret,
						    CRYPTO_INITIAL_SECRET_LEN);
	if (rc == 0)
		rc = crypto_hkdf_expand_label_keyed(&h, "server in", NULL, 0, server_secret,
						    CRYPTO_INITIAL_SECRET_LEN);
	crypto_wipe(&h, sizeof(h));
	crypto_wipe(initial, sizeof(initial));
	return rc;
}

/* One EVP_KDF "HKDF" run in mode (extract-only or expand-only). */
static int
kdf_hkdf(struct crypto_ctx *ctx, int mode, const uint8_t *salt, size_t salt_len, const uint8_t *key,
	 size_t key_len, const uint8_t *info, size_t info_len, uint8_t *out, size_t out_len)
{
	static const uint8_t none[1];
	char digest[] = "SHA256";
	OSSL_PARAM params[6], *p = params;
	EVP_KDF_CTX *k = EVP_KDF_CTX_new(ctx->hkdf);
	int rc = 0;

	if (k == NULL)
		return CRYPTO_ERR_NOMEM;
	/* OSSL_PARAM octet strings are only read; a zero-length key still needs a pointer. */
	*p++ = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
	*p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0);
	*p++ = OSSL_PARAM_construct_octet_string(
		OSSL_KDF_PARAM_KEY, (void *)(uintptr_t)(key_len ? key : none), key_len);
	if (salt != NULL)
		*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
							 (void *)(uintptr_t)salt, salt_len);
	if (info != NULL)
		*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
							 (void *)(uintptr_t)info, info_len);
	*p = OSSL_PARAM_construct_end();
	if (EVP_KDF_derive(k, out, out_len, params) != 1)
		rc = CRYPTO_ERR_LIB;
	EVP_KDF_CTX_free(k);
	return rc;
}

/* HKDF-Expand-Label through EVP_KDF in expand-only mode. */
static int
kdf_expand_label(struct crypto_ctx *ctx, const uint8_t *secret, size_t secret_len,
		 const char *label, uint8_t *out, size_t out_len)
{
	uint8_t info[CRYPTO_HKDF_LABEL_MAX];
	int n = crypto_hkdf_label(info, sizeof(info), out_len, label, NULL, 0);

	if (n < 0)
		return n;
	return kdf_hkdf(ctx, EVP_KDF_HKDF_MODE_EXPAND_ONLY, NULL, 0, secret, secret_len, info,
			(size_t)n, out, out_len);
}

int
crypto_quic_initial_secrets_kdf(struct crypto_ctx *ctx, uint32_t version, const uint8_t *dcid,
				size_t dcid_len, uint8_t client_secret[CRYPTO_INITIAL_SECRET_LEN],
				uint8_t server_secret[CRYPTO_INITIAL_SECRET_LEN])
{
	uint8_t initial[CRYPTO_INITIAL_SECRET_LEN];
	const uint8_t *salt;
	size_t salt_len;
	int rc;

	if (!initial_args_ok(ctx, version, dcid, dcid_len, client_secret, server_secret))
		return CRYPTO_ERR_INVAL;
	salt = crypto_initial_salt(version, &salt_len);
	/* Plain HKDF-Extract: "TLS13-KDF" extract mode would add a "derived" step first. */
	rc = kdf_hkdf(ctx, EVP_KDF_HKDF_MODE_EXTRACT_ONLY, salt, salt_len, dcid, dcid_len, NULL, 0,
		      initial, sizeof(initial));
	if (rc == 0)
		rc = kdf_expand_label(ctx, initial, sizeof(initial), "client in", client_secret,
				      CRYPTO_INITIAL_SECRET_LEN);
	if (rc == 0)
		rc = kdf_expand_label(ctx, initial, sizeof(initial), "server in", server_secret,
				      CRYPTO_INITIAL_SECRET_LEN);
	crypto_wipe(initial, sizeof(initial));
	return rc;
}

static int
secret_args_ok(const struct crypto_ctx *ctx, uint32_t version, enum crypto_suite suite,
	       const uint8_t *secret, size_t secret_len, const void *out)
{
	/* TLS 1.3 traffic secrets are exactly the suite's hash length. */
	return ctx != NULL && version_labels(version) != NULL && crypto_suite_valid(suite) &&
	       secret != NULL && secret_len == crypto_suite_secret_len(suite) && out != NULL;
}

int
crypto_quic_derive_keys(struct crypto_ctx *ctx, uint32_t version, enum crypto_suite suite,
			const uint8_t *secret, size_t secret_len, struct crypto_quic_keys *out)
{
	const struct quic_labels *l = version_labels(version);
	size_t key_len = crypto_suite_key_len(suite);
	struct crypto_hmac h;
	int rc;

	if (!secret_args_ok(ctx, version, suite, secret, secret_len, out))
		return CRYPTO_ERR_INVAL;
	memset(out, 0, sizeof(*out));
	out->suite = suite;
	/* One keying of the secret serves all three labels. */
	rc = crypto_hmac_setkey(&h, crypto_suite_hash(suite), secret, secret_len);
	if (rc == 0)
		rc = crypto_hkdf_expand_label_keyed(&h, l->key, NULL, 0, out->key, key_len);
	if (rc == 0)
		rc = crypto_hkdf_expand_label_keyed(&h, l->iv, NULL, 0, out->iv, CRYPTO_IV_LEN);
	if (rc == 0)
		rc = crypto_hkdf_expand_label_keyed(&h, l->hp, NULL, 0, out->hp, key_len);
	crypto_wipe(&h, sizeof(h));
	if (rc != 0)
		crypto_wipe(out, sizeof(*out));
	return rc;
}

int
crypto_quic_key_update(struct crypto_ctx *ctx, uint32_t version, enum crypto_suite suite,
		       const uint8_t *secret, size_t secret_len, uint8_t *next_secret)
{
	const struct quic_labels *l = version_labels(version);

	if (!secret_args_ok(ctx, version, suite, secret, secret_len, next_secret))
		return CRYPTO_ERR_INVAL;
	/* RFC 9001 §6.1: the next secret has the same length as the current one. */
	return crypto_hkdf_expand_label(ctx, crypto_suite_hash(suite), secret, secret_len, l->ku,
					NULL, 0, next_secret, secret_len);
}
