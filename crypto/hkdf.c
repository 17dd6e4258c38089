/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * HKDF (RFC 5869) and HKDF-Expand-Label (RFC 9846 §7.1) on EVP_MAC HMAC.
 *
 * HMAC contexts are never built from names here: the context holds one template per digest
 * (digest already set) and every keyed HMAC is an EVP_MAC_CTX_dup() of it, so no fetch and no
 * parameter parsing happens per derivation. An expansion keys its HMAC once with the PRK and
 * re-initialises it per output block with EVP_MAC_init(m, NULL, ...), which restarts from the
 * saved keyed state instead of hashing the key again.
 */
#include <string.h>

#include <openssl/evp.h>

#include <crypto/crypto.h>

#include "crypto_internal.h"
#include "hkdf_internal.h"

/* RFC 9846 §7.1: every TLS 1.3 label is prefixed with this. */
static const char label_prefix[] = "tls13 ";
#define LABEL_PREFIX_LEN (sizeof(label_prefix) - 1)

EVP_MAC_CTX *
crypto_hmac_keyed(const struct crypto_ctx *ctx, enum crypto_hash hash, const uint8_t *key,
		  size_t key_len)
{
	const EVP_MAC_CTX *tmpl = hash == CRYPTO_HASH_SHA384 ? ctx->hmac_sha384 : ctx->hmac_sha256;
	static const uint8_t zero_key[CRYPTO_MAX_SECRET_LEN];
	EVP_MAC_CTX *m;

	/* A NULL key would mean "keep the previous key" to EVP_MAC_init(); an empty HMAC key
	 * equals an all-zero one, so pass zeros explicitly (RFC 5869 §2.2 default salt). */
	if (key == NULL || key_len == 0) {
		key = zero_key;
		key_len = crypto_hash_len(hash);
	}
	m = EVP_MAC_CTX_dup(tmpl);
	if (m == NULL)
		return NULL;
	if (EVP_MAC_init(m, key, key_len, NULL) != 1) {
		EVP_MAC_CTX_free(m);
		return NULL;
	}
	return m;
}

int
crypto_hmac_final(EVP_MAC_CTX *m, const uint8_t *data, size_t len, uint8_t *out, size_t out_cap)
{
	size_t out_len = 0;

	if (len > 0 && EVP_MAC_update(m, data, len) != 1)
		return CRYPTO_ERR_LIB;
	if (EVP_MAC_final(m, out, &out_len, out_cap) != 1)
		return CRYPTO_ERR_LIB;
	return 0;
}

int
crypto_hkdf_expand_keyed(EVP_MAC_CTX *prk_mac, size_t hash_len, const uint8_t *info,
			 size_t info_len, uint8_t *out, size_t out_len)
{
	uint8_t t[CRYPTO_MAX_SECRET_LEN];
	size_t done = 0;
	uint8_t i = 0;
	int rc = 0;

	/* RFC 5869 §2.3: L <= 255 * HashLen. */
	if (out_len > 255 * hash_len || (out == NULL && out_len > 0))
		return CRYPTO_ERR_INVAL;
	while (done < out_len) {
		size_t n = out_len - done < hash_len ? out_len - done : hash_len;

		i++;
		/* T(i) = HMAC(PRK, T(i-1) | info | i), restarting from the keyed state (so a
		 * keyed context may serve several expansions). */
		if (EVP_MAC_init(prk_mac, NULL, 0, NULL) != 1 ||
		    (i > 1 && EVP_MAC_update(prk_mac, t, hash_len) != 1) ||
		    (info_len > 0 && EVP_MAC_update(prk_mac, info, info_len) != 1)) {
			rc = CRYPTO_ERR_LIB;
			break;
		}
		rc = crypto_hmac_final(prk_mac, &i, 1, t, sizeof(t));
		if (rc != 0)
			break;
		memcpy(out + done, t, n);
		done += n;
	}
	crypto_wipe(t, sizeof(t));
	return rc;
}

int
crypto_hkdf_label(uint8_t *buf, size_t cap, size_t out_len, const char *label,
		  const uint8_t *context, size_t context_len)
{
	size_t label_len = label != NULL ? strlen(label) : 0;
	size_t full = LABEL_PREFIX_LEN + label_len;
	size_t n = 0;

	/* struct HkdfLabel { uint16 length; opaque label<7..255>; opaque context<0..255>; } */
	if (out_len > UINT16_MAX || full > 255 || context_len > 255 ||
	    (context == NULL && context_len > 0) || 2 + 1 + full + 1 + context_len > cap)
		return CRYPTO_ERR_INVAL;
	buf[n++] = (uint8_t)(out_len >> 8);
	buf[n++] = (uint8_t)out_len;
	buf[n++] = (uint8_t)full;
	memcpy(buf + n, label_prefix, LABEL_PREFIX_LEN);
	n += LABEL_PREFIX_LEN;
	if (label_len > 0)
		memcpy(buf + n, label, label_len);
	n += label_len;
	buf[n++] = (uint8_t)context_len;
	if (context_len > 0)
		memcpy(buf + n, context, context_len);
	n += context_len;
	return (int)n;
}

int
crypto_hkdf_expand_label_keyed(EVP_MAC_CTX *secret_mac, size_t hash_len, const char *label,
			       const uint8_t *context, size_t context_len, uint8_t *out,
			       size_t out_len)
{
	uint8_t info[CRYPTO_HKDF_LABEL_MAX];
	int n = crypto_hkdf_label(info, sizeof(info), out_len, label, context, context_len);

	if (n < 0)
		return n;
	return crypto_hkdf_expand_keyed(secret_mac, hash_len, info, (size_t)n, out, out_len);
}

static int
hash_ok(enum crypto_hash hash)
{
	return hash == CRYPTO_HASH_SHA256 || hash == CRYPTO_HASH_SHA384;
}

int
crypto_hkdf_extract(struct crypto_ctx *ctx, enum crypto_hash hash, const uint8_t *salt,
		    size_t salt_len, const uint8_t *ikm, size_t ikm_len, uint8_t *prk)
{
	EVP_MAC_CTX *m;
	int rc;

	if (ctx == NULL || !hash_ok(hash) || prk == NULL || (ikm == NULL && ikm_len > 0) ||
	    (salt == NULL && salt_len > 0))
		return CRYPTO_ERR_INVAL;
	/* RFC 5869 §2.2: PRK = HMAC-Hash(salt, IKM). */
	m = crypto_hmac_keyed(ctx, hash, salt, salt_len);
	if (m == NULL)
		return CRYPTO_ERR_LIB;
	rc = crypto_hmac_final(m, ikm, ikm_len, prk, crypto_hash_len(hash));
	EVP_MAC_CTX_free(m);
	return rc;
}

int
crypto_hkdf_expand(struct crypto_ctx *ctx, enum crypto_hash hash, const uint8_t *prk,
		   size_t prk_len, const uint8_t *info, size_t info_len, uint8_t *out,
		   size_t out_len)
{
	EVP_MAC_CTX *m;
	int rc;

	if (ctx == NULL || !hash_ok(hash) || prk == NULL || prk_len == 0 ||
	    (info == NULL && info_len > 0))
		return CRYPTO_ERR_INVAL;
	m = crypto_hmac_keyed(ctx, hash, prk, prk_len);
	if (m == NULL)
		return CRYPTO_ERR_LIB;
	rc = crypto_hkdf_expand_keyed(m, crypto_hash_len(hash), info, info_len, out, out_len);
	EVP_MAC_CTX_free(m);
	return rc;
}

int
crypto_hkdf_expand_label(struct crypto_ctx *ctx, enum crypto_hash hash, const uint8_t *secret,
			 size_t secret_len, const char *label, const uint8_t *context,
			 size_t context_len, uint8_t *out, size_t out_len)
{
	uint8_t info[CRYPTO_HKDF_LABEL_MAX];
	int n = crypto_hkdf_label(info, sizeof(info), out_len, label, context, context_len);

	if (n < 0)
		return n;
	return crypto_hkdf_expand(ctx, hash, secret, secret_len, info, (size_t)n, out, out_len);
}
