/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TLS 1.3 key schedule (RFC 9846 §7.1) and transcript hash (§4.1).
 *
 * HKDF runs through crypto/'s crypto_hkdf_extract() and crypto_hkdf_expand_label(); the
 * transcript is a running EVP_MD_CTX from which snapshots are taken by copying, so no message
 * is hashed twice. Digests are fetched once per configuration (tls_algs_init).
 */
#include <string.h>

#include "tls_int.h"

/* h->early0 and h->derived0, the no-PSK constants of the schedule (see struct tls_hash). */
static int
schedule_constants(struct tls_hash *h)
{
	uint8_t zeros[TLS_MAX_HASH] = {0};
	struct crypto_hmac m;
	int rc;

	/* HKDF-Extract(salt = 0, IKM = HashLen zeros): a zero salt is the empty HMAC key. */
	rc = crypto_hmac_setkey(&m, h->id, NULL, 0);
	if (rc != 0)
		return rc;
	crypto_hmac_oneshot(&m, zeros, h->len, h->early0);
	rc = crypto_hmac_setkey(&m, h->id, h->early0, h->len);
	if (rc == 0)
		rc = crypto_hkdf_expand_label_keyed(&m, "derived", h->empty, h->len, h->derived0,
						    h->len);
	crypto_wipe(&m, sizeof(m));
	return rc;
}

int
tls_algs_init(struct tls_algs *a)
{
	static const char *const names[2] = {"SHA256", "SHA384"};
	size_t i;

	memset(a, 0, sizeof(*a));
	for (i = 0; i < 2; i++) {
		struct tls_hash *h = &a->hash[i];
		unsigned int n = 0;

		h->id = i == 0 ? CRYPTO_HASH_SHA256 : CRYPTO_HASH_SHA384;
		h->md = EVP_MD_fetch(NULL, names[i], NULL);
		if (h->md == NULL)
			goto fail;
		h->len = (size_t)EVP_MD_get_size(h->md);
		if (EVP_Digest("", 0, h->empty, &n, h->md, NULL) != 1 || n != h->len ||
		    schedule_constants(h) != 0)
			goto fail;
	}
	a->ticket_aead = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
	if (a->ticket_aead == NULL)
		goto fail;
	return 0;
fail:
	tls_algs_free(a);
	return TLS_ERR_LIB;
}

void
tls_algs_free(struct tls_algs *a)
{
	EVP_MD_free(a->hash[0].md);
	EVP_MD_free(a->hash[1].md);
	EVP_CIPHER_free(a->ticket_aead);
	memset(a, 0, sizeof(*a));
}

const struct tls_hash *
tls_suite_hash(const struct tls_algs *a, enum crypto_suite suite)
{
	return &a->hash[suite == CRYPTO_SUITE_AES_256_GCM_SHA384 ? 1 : 0];
}

int
tls_hash_once(const struct tls_hash *h, const uint8_t *data, size_t len, uint8_t *out)
{
	unsigned int n = 0;

	if (EVP_Digest(data, len, out, &n, h->md, NULL) != 1 || n != h->len)
		return CRYPTO_ERR_LIB;
	return 0;
}

/* ---- Transcript ----
 *
 * On crypto/'s raw SHA-2 state (hkdf_internal.h) rather than an EVP_MD_CTX: a snapshot is a
 * struct copy instead of EVP_MD_CTX_copy_ex(), which allocates and duplicates provider state
 * each time (six snapshots per server handshake); nothing is allocated or freed per connection.
 * tls_hash_once() stays on EVP, so the unit tests cross-check the two.
 */

int
tls_transcript_init(struct tls_transcript *t, const struct tls_hash *h)
{
	t->h = h;
	crypto_sha_init(h->id, &t->st);
	return 0;
}

void
tls_transcript_free(struct tls_transcript *t)
{
	crypto_wipe(t, sizeof(*t));
}

int
tls_transcript_add(struct tls_transcript *t, const uint8_t *data, size_t len)
{
	if (t->h == NULL)
		return CRYPTO_ERR_LIB;
	crypto_sha_update(t->h->id, &t->st, data, len);
	return 0;
}

int
tls_transcript_hash(struct tls_transcript *t, uint8_t *out)
{
	return tls_transcript_hash_with(t, NULL, 0, out);
}

int
tls_transcript_hash_with(struct tls_transcript *t, const uint8_t *extra, size_t len, uint8_t *out)
{
	union crypto_sha_state snap;

	if (t->h == NULL)
		return CRYPTO_ERR_LIB;
	snap = t->st;
	crypto_sha_update(t->h->id, &snap, extra, len);
	crypto_sha_final(t->h->id, &snap, out);
	crypto_wipe(&snap, sizeof(snap));
	return 0;
}

int
tls_transcript_message_hash(struct tls_transcript *t, const uint8_t *ch1, size_t len)
{
	uint8_t mh[TLS_HS_HDR_LEN + TLS_MAX_HASH];

	/* message_hash: type 254, 00 00 Hash.length, Hash(ClientHello1) (RFC 9846 §4.1). */
	mh[0] = TLS_HS_MESSAGE_HASH;
	mh[1] = 0;
	mh[2] = 0;
	mh[3] = (uint8_t)t->h->len;
	if (tls_hash_once(t->h, ch1, len, mh + TLS_HS_HDR_LEN) != 0)
		return CRYPTO_ERR_LIB;
	return tls_transcript_add(t, mh, TLS_HS_HDR_LEN + t->h->len);
}

/* ---- Schedule ---- */

/* a == b over len bytes, in time independent of the contents. */
static bool
same_secret(const uint8_t *a, const uint8_t *b, size_t len)
{
	uint8_t d = 0;

	for (size_t i = 0; i < len; i++)
		d |= a[i] ^ b[i];
	return d == 0;
}

int
tls_ks_extract(struct crypto_ctx *ctx, const struct tls_hash *h, const uint8_t *prev,
	       const uint8_t *ikm, size_t ikm_len, uint8_t *out)
{
	uint8_t salt[TLS_MAX_HASH], zeros[TLS_MAX_HASH];
	int rc;

	if (prev == NULL && ikm == NULL) { /* the Early Secret without a PSK */
		memcpy(out, h->early0, h->len);
		return 0;
	}
	memset(zeros, 0, sizeof(zeros));
	memset(salt, 0, sizeof(salt));
	if (prev != NULL && same_secret(prev, h->early0, h->len)) {
		/* Whether a PSK was used is public (the ServerHello says it): the compare may
		 * reveal that, and nothing of a PSK-derived secret beyond it. */
		memcpy(salt, h->derived0, h->len);
	} else if (prev != NULL) {
		/* salt = Derive-Secret(prev, "derived", "") */
		rc = tls_ks_derive(ctx, h, prev, "derived", h->empty, salt);
		if (rc != 0)
			return rc;
	}
	if (ikm == NULL) {
		ikm = zeros;
		ikm_len = h->len;
	}
	rc = crypto_hkdf_extract(ctx, h->id, salt, h->len, ikm, ikm_len, out);
	crypto_wipe(salt, sizeof(salt));
	return rc;
}

int
tls_ks_derive(struct crypto_ctx *ctx, const struct tls_hash *h, const uint8_t *secret,
	      const char *label, const uint8_t *th, uint8_t *out)
{
	return crypto_hkdf_expand_label(ctx, h->id, secret, h->len, label, th, h->len, out, h->len);
}

int
tls_ks_finished(struct crypto_ctx *ctx, const struct tls_hash *h, const uint8_t *base,
		const uint8_t *th, uint8_t *out)
{
	uint8_t key[TLS_MAX_HASH];
	int rc;

	/* finished_key = HKDF-Expand-Label(base, "finished", "", Hash.length) */
	rc = crypto_hkdf_expand_label(ctx, h->id, base, h->len, "finished", (const uint8_t *)"", 0,
				      key, h->len);
	/*
	 * HMAC(finished_key, th). HKDF-Extract(salt, IKM) is defined as HMAC-Hash(salt, IKM)
	 * (RFC 5869 §2.2), so crypto/'s extract computes exactly this MAC.
	 */
	if (rc == 0)
		rc = crypto_hkdf_extract(ctx, h->id, key, h->len, th, h->len, out);
	crypto_wipe(key, sizeof(key));
	return rc;
}

int
tls_ks_resumption_psk(struct crypto_ctx *ctx, const struct tls_hash *h, const uint8_t *rms,
		      const uint8_t *nonce, size_t nonce_len, uint8_t *out)
{
	return crypto_hkdf_expand_label(ctx, h->id, rms, h->len, "resumption", nonce, nonce_len,
					out, h->len);
}

int
tls_ks_binder(struct crypto_ctx *ctx, const struct tls_hash *h, const uint8_t *early,
	      const uint8_t *th, uint8_t *out)
{
	uint8_t key[TLS_MAX_HASH];
	int rc;

	/* Resumption PSKs only: "res binder" (external PSKs would use "ext binder"). */
	rc = tls_ks_derive(ctx, h, early, "res binder", h->empty, key);
	if (rc == 0)
		rc = tls_ks_finished(ctx, h, key, th, out);
	crypto_wipe(key, sizeof(key));
	return rc;
}
