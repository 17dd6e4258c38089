/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * HKDF (RFC 5869) and HKDF-Expand-Label (RFC 9846 §7.1) on the pre-keyed HMAC of hmac.c.
 *
 * An expansion keys the HMAC once with the PRK and computes every output block from copies of
 * the keyed state, so a derivation allocates nothing and never fetches an algorithm.
 */
#include <string.h>

#include <openssl/crypto.h>

#include <crypto/crypto.h>

#include "crypto_internal.h"
#include "hkdf_internal.h"

/* RFC 9846 §7.1: every TLS 1.3 label is prefixed with this. */
static const char label_prefix[] = "tls13 ";
#define LABEL_PREFIX_LEN (sizeof(label_prefix) - 1)

int
crypto_hkdf_expand_keyed(const struct crypto_hmac *prk, const uint8_t *info, size_t info_len,
			 uint8_t *out, size_t out_len)
{
	uint8_t t[CRYPTO_MAX_SECRET_LEN];
	union crypto_sha_state work;
	size_t done = 0;
	uint8_t i = 0;

	/* RFC 5869 §2.3: L <= 255 * HashLen. */
	if (out_len > 255 * prk->len || (out == NULL && out_len > 0) ||
	    (info == NULL && info_len > 0))
		return CRYPTO_ERR_INVAL;
	while (done < out_len) {
		size_t n = out_len - done < prk->len ? out_len - done : prk->len;

		/* T(i) = HMAC(PRK, T(i-1) | info | i) */
		i++;
		crypto_hmac_begin(prk, &work);
		if (i > 1)
			crypto_hmac_update(prk, &work, t, prk->len);
		crypto_hmac_update(prk, &work, info, info_len);
		crypto_hmac_update(prk, &work, &i, 1);
		crypto_hmac_end(prk, &work, t);
		memcpy(out + done, t, n);
		done += n;
	}
	crypto_wipe(t, sizeof(t));
	return 0;
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
crypto_hkdf_expand_label_keyed(const struct crypto_hmac *secret, const char *label,
			       const uint8_t *context, size_t context_len, uint8_t *out,
			       size_t out_len)
{
	uint8_t info[CRYPTO_HKDF_LABEL_MAX];
	int n = crypto_hkdf_label(info, sizeof(info), out_len, label, context, context_len);

	if (n < 0)
		return n;
	return crypto_hkdf_expand_keyed(secret, info, (size_t)n, out, out_len);
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
	struct crypto_hmac h;
	int rc;

	if (ctx == NULL || !hash_ok(hash) || prk == NULL || (ikm == NULL && ikm_len > 0) ||
	    (salt == NULL && salt_len > 0))
		return CRYPTO_ERR_INVAL;
	/* RFC 5869 §2.2: PRK = HMAC-Hash(salt, IKM); an absent salt is HashLen zeros, which as
	 * an HMAC key equals the empty key. */
	rc = crypto_hmac_setkey(&h, hash, salt, salt_len);
	if (rc == 0)
		crypto_hmac_oneshot(&h, ikm, ikm_len, prk);
	crypto_wipe(&h, sizeof(h));
	return rc;
}

int
crypto_hkdf_extract_fixed_salt(struct crypto_ctx *ctx, enum crypto_hash hash, const uint8_t *salt,
			       size_t salt_len, const uint8_t *ikm, size_t ikm_len, uint8_t *prk)
{
	struct crypto_fixed_salt *fs;
	int rc;

	if (ctx == NULL || salt_len > CRYPTO_FIXED_SALT_MAX)
		return crypto_hkdf_extract(ctx, hash, salt, salt_len, ikm, ikm_len, prk);
	if (!hash_ok(hash) || prk == NULL || (ikm == NULL && ikm_len > 0) ||
	    (salt == NULL && salt_len > 0))
		return CRYPTO_ERR_INVAL;
	fs = &ctx->fixed_salt;
	/* Constant-time compare: the salt is a secret key. */
	if (!fs->valid || fs->h.hash != hash || fs->salt_len != salt_len ||
	    (salt_len > 0 && CRYPTO_memcmp(fs->salt, salt, salt_len) != 0)) {
		fs->valid = false;
		rc = crypto_hmac_setkey(&fs->h, hash, salt, salt_len);
		if (rc != 0)
			return rc;
		if (salt_len > 0)
			memcpy(fs->salt, salt, salt_len);
		fs->salt_len = salt_len;
		fs->valid = true;
	}
	crypto_hmac_oneshot(&fs->h, ikm, ikm_len, prk);
	return 0;
}

int
crypto_hkdf_expand(struct crypto_ctx *ctx, enum crypto_hash hash, const uint8_t *prk,
		   size_t prk_len, const uint8_t *info, size_t info_len, uint8_t *out,
		   size_t out_len)
{
	struct crypto_hmac h;
	int rc;

	if (ctx == NULL || !hash_ok(hash) || prk == NULL || prk_len == 0 ||
	    (info == NULL && info_len > 0))
		return CRYPTO_ERR_INVAL;
	rc = crypto_hmac_setkey(&h, hash, prk, prk_len);
	if (rc == 0)
		rc = crypto_hkdf_expand_keyed(&h, info, info_len, out, out_len);
	crypto_wipe(&h, sizeof(h));
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
