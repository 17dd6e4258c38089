/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Session tickets (RFC 9846 §4.7.1) and client session blobs.
 *
 * A ticket is self-encrypting server state: key id (8) | nonce (12) | AES-256-GCM ciphertext |
 * tag (16), the key id in the AAD. Two keys are live (current and previous) so that a
 * rotation keeps the tickets already issued valid for one more period. The plaintext holds
 * what resumption and 0-RTT need: suite, resumption PSK, issue time, ticket_age_add, ALPN,
 * SNI and the server's transport parameters (RFC 9000 §7.4.1).
 *
 * A session blob is the client's copy of the same facts plus the opaque ticket; it never
 * leaves the client.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "tls_int.h"

#define TICKET_VERSION	 1
#define TICKET_NONCE_LEN 12
#define TICKET_TAG_LEN	 16
#define TICKET_OVERHEAD	 (8 + TICKET_NONCE_LEN + TICKET_TAG_LEN)
#define SESSION_MAGIC	 0x48425331u /* "HBS1" */

static bool
put_u64(struct crypto_wr *w, uint64_t v)
{
	return crypto_put_u32(w, (uint32_t)(v >> 32)) && crypto_put_u32(w, (uint32_t)v);
}

static bool
get_u64(struct crypto_rd *r, uint64_t *v)
{
	uint32_t hi = 0, lo = 0;

	if (!crypto_get_u32(r, &hi) || !crypto_get_u32(r, &lo))
		return false;
	*v = ((uint64_t)hi << 32) | lo;
	return true;
}

static void
put_str(struct crypto_wr *w, const char *s)
{
	tls_put_vec(w, 1, s, strlen(s));
}

/* A vec<0..255> into a NUL-terminated string (NUL bytes inside refused). */
static bool
get_str(struct crypto_rd *r, char out[256])
{
	struct crypto_rd v;
	size_t n;

	if (!tls_get_vec(r, 1, 0, 255, &v))
		return false;
	n = crypto_rd_left(&v);
	if (n > 0 && memchr(v.p, 0, n) != NULL)
		return false;
	memcpy(out, v.p, n);
	out[n] = '\0';
	return true;
}

/*
 * One AES-256-GCM pass with x: (re)start it with cipher and key when given (NULL: the key x
 * already holds), the nonce, then AAD = key id, the text, and the tag.
 */
static bool
aead_run(EVP_CIPHER_CTX *x, const EVP_CIPHER *cipher, const uint8_t *key,
	 const struct tls_ticket_key *k, bool seal, const uint8_t *nonce, const uint8_t *in,
	 size_t len, uint8_t *out, uint8_t *tag)
{
	int n = 0, m = 0, ok;

	ok = EVP_CipherInit_ex2(x, cipher, key, nonce, seal ? 1 : 0, NULL) == 1 &&
	     EVP_CipherUpdate(x, NULL, &n, k->id, sizeof(k->id)) == 1 &&
	     EVP_CipherUpdate(x, out, &n, in, (int)len) == 1;
	if (ok && !seal)
		ok = EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_SET_TAG, TICKET_TAG_LEN, tag) == 1;
	ok = ok && EVP_CipherFinal_ex(x, out + n, &m) == 1;
	if (ok && seal)
		ok = EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_GET_TAG, TICKET_TAG_LEN, tag) == 1;
	return ok;
}

static int
aead(const struct tls_server_config *cfg, const struct tls_ticket_key *k, bool seal,
     const uint8_t *nonce, const uint8_t *in, size_t len, uint8_t *out, uint8_t *tag)
{
	EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
	bool ok;

	if (x == NULL || len > INT32_MAX) {
		EVP_CIPHER_CTX_free(x);
		return -1;
	}
	ok = aead_run(x, cfg->c.algs.ticket_aead, k->key, k, seal, nonce, in, len, out, tag);
	EVP_CIPHER_CTX_free(x);
	ERR_clear_error();
	return ok ? 0 : -1;
}

/* Seal with a claimed sealer, keyed again only when the current key changed (rotation). */
static int
seal_pooled(struct tls_sealer *s, const struct tls_server_config *cfg,
	    const struct tls_ticket_key *k, const uint8_t *nonce, const uint8_t *in, size_t len,
	    uint8_t *out, uint8_t *tag)
{
	bool ok = true;

	if (s->x == NULL || crypto_memcmp_ct(s->key, k->key, sizeof(s->key)) != 0) {
		if (s->x == NULL)
			s->x = EVP_CIPHER_CTX_new();
		ok = s->x != NULL &&
		     EVP_CipherInit_ex2(s->x, cfg->c.algs.ticket_aead, k->key, NULL, 1, NULL) == 1;
		if (ok)
			memcpy(s->key, k->key, sizeof(s->key));
	}
	if (ok && aead_run(s->x, NULL, NULL, k, true, nonce, in, len, out, tag))
		return 0;
	/* Not trusted again after a failure: the next use builds a fresh context. */
	EVP_CIPHER_CTX_free(s->x);
	s->x = NULL;
	crypto_wipe(s->key, sizeof(s->key));
	ERR_clear_error();
	return -1;
}

/* Seal through the first idle pooled sealer, or a one-off context when all are busy. */
static int
seal(const struct tls_server_config *cfg, const struct tls_ticket_key *k, const uint8_t *nonce,
     const uint8_t *in, size_t len, uint8_t *out, uint8_t *tag)
{
	for (unsigned i = 0; cfg->sealers != NULL && i < TLS_SEALERS && len <= INT32_MAX; i++) {
		struct tls_sealer *s = &cfg->sealers[i];
		int rc;

		if (atomic_flag_test_and_set_explicit(&s->busy, memory_order_acquire))
			continue;
		rc = seal_pooled(s, cfg, k, nonce, in, len, out, tag);
		atomic_flag_clear_explicit(&s->busy, memory_order_release);
		return rc;
	}
	return aead(cfg, k, true, nonce, in, len, out, tag);
}

int
tls_ticket_seal(const struct tls_server_config *cfg, const struct tls_ticket_state *st,
		const uint8_t *tparams, size_t tparams_len, uint8_t *out, size_t cap,
		size_t *out_len)
{
	const struct tls_ticket_key *k = &cfg->tkeys[0];
	struct crypto_wr w;
	size_t plen;

	if (!k->live || cap < TICKET_OVERHEAD)
		return TLS_ERR_INVAL;
	crypto_wr_init(&w, out + 8 + TICKET_NONCE_LEN, cap - TICKET_OVERHEAD);
	crypto_put_u8(&w, TICKET_VERSION);
	crypto_put_u16(&w, st->suite_id);
	put_u64(&w, st->issued_ms);
	crypto_put_u32(&w, st->lifetime_s);
	crypto_put_u32(&w, st->age_add);
	crypto_put_u8(&w, st->early_data ? 1 : 0);
	tls_put_vec(&w, 1, st->psk, st->psk_len);
	put_str(&w, st->alpn);
	put_str(&w, st->sni);
	tls_put_vec(&w, 2, tparams, tparams_len);
	if (w.err)
		return TLS_ERR_INVAL;
	plen = crypto_wr_len(&w);
	memcpy(out, k->id, 8);
	if (crypto_rand_bytes(&cfg->c.rand, out + 8, TICKET_NONCE_LEN) != 0)
		return TLS_ERR_LIB;
	/* In place: the writer filled the ciphertext area with the plaintext. */
	if (seal(cfg, k, out + 8, out + 8 + TICKET_NONCE_LEN, plen, out + 8 + TICKET_NONCE_LEN,
		 out + 8 + TICKET_NONCE_LEN + plen) != 0)
		return TLS_ERR_LIB;
	*out_len = plen + TICKET_OVERHEAD;
	return 0;
}

static int
parse_state(struct tls_ticket_state *st, const uint8_t *p, size_t len)
{
	struct crypto_rd r, psk, tp;
	uint8_t version = 0, early = 0;

	crypto_rd_init(&r, p, len);
	crypto_get_u8(&r, &version);
	crypto_get_u16(&r, &st->suite_id);
	get_u64(&r, &st->issued_ms);
	crypto_get_u32(&r, &st->lifetime_s);
	crypto_get_u32(&r, &st->age_add);
	crypto_get_u8(&r, &early);
	tls_get_vec(&r, 1, 32, TLS_MAX_HASH, &psk);
	if (r.err || version != TICKET_VERSION || !get_str(&r, st->alpn) || !get_str(&r, st->sni) ||
	    !tls_get_vec(&r, 2, 0, 65535, &tp) || !crypto_rd_done(&r))
		return 1;
	st->early_data = early != 0;
	st->psk_len = crypto_rd_left(&psk);
	memcpy(st->psk, psk.p, st->psk_len);
	st->tparams = tp.p;
	st->tparams_len = crypto_rd_left(&tp);
	return 0;
}

int
tls_ticket_open(const struct tls_server_config *cfg, const uint8_t *ticket, size_t len,
		uint8_t *buf, struct tls_ticket_state *st)
{
	const struct tls_ticket_key *k = NULL;
	uint8_t tag[TICKET_TAG_LEN];
	size_t i, clen;

	memset(st, 0, sizeof(*st));
	if (len <= TICKET_OVERHEAD)
		return 1;
	for (i = 0; i < 2; i++)
		if (cfg->tkeys[i].live && memcmp(cfg->tkeys[i].id, ticket, 8) == 0)
			k = &cfg->tkeys[i];
	if (k == NULL)
		return 1;
	clen = len - TICKET_OVERHEAD;
	memcpy(tag, ticket + len - TICKET_TAG_LEN, TICKET_TAG_LEN);
	if (aead(cfg, k, false, ticket + 8, ticket + 8 + TICKET_NONCE_LEN, clen, buf, tag) != 0)
		return 1;
	return parse_state(st, buf, clen);
}

/* ---- Client session blobs ---- */

int
tls_session_encode(const struct tls_session *s, uint8_t **blob, size_t *len)
{
	size_t cap = 64 + TLS_MAX_HASH + s->ticket_len + 512 + s->tparams_len;
	struct crypto_wr w;
	uint8_t *buf = malloc(cap);

	if (buf == NULL)
		return TLS_ERR_NOMEM;
	crypto_wr_init(&w, buf, cap);
	crypto_put_u32(&w, SESSION_MAGIC);
	crypto_put_u16(&w, crypto_suite_tls_id(s->suite));
	put_u64(&w, s->received_ms);
	crypto_put_u32(&w, s->lifetime_s);
	crypto_put_u32(&w, s->age_add);
	crypto_put_u32(&w, s->max_early_data);
	tls_put_vec(&w, 1, s->psk, s->psk_len);
	tls_put_vec(&w, 2, s->ticket, s->ticket_len);
	put_str(&w, s->alpn);
	put_str(&w, s->sni);
	tls_put_vec(&w, 2, s->tparams, s->tparams_len);
	if (w.err) {
		free(buf);
		return TLS_ERR_INVAL;
	}
	*blob = buf;
	*len = crypto_wr_len(&w);
	return 0;
}

bool
tls_suite_from_id(uint16_t id, enum crypto_suite *out)
{
	int i;

	for (i = 0; i < CRYPTO_SUITE_COUNT; i++) {
		if (crypto_suite_tls_id((enum crypto_suite)i) == id) {
			*out = (enum crypto_suite)i;
			return true;
		}
	}
	return false;
}

int
tls_session_decode(struct tls_session *s, const uint8_t *blob, size_t len)
{
	struct crypto_rd r, psk, ticket, tp;
	uint32_t magic = 0;
	uint16_t suite = 0;

	memset(s, 0, sizeof(*s));
	crypto_rd_init(&r, blob, len);
	crypto_get_u32(&r, &magic);
	crypto_get_u16(&r, &suite);
	get_u64(&r, &s->received_ms);
	crypto_get_u32(&r, &s->lifetime_s);
	crypto_get_u32(&r, &s->age_add);
	crypto_get_u32(&r, &s->max_early_data);
	tls_get_vec(&r, 1, 32, TLS_MAX_HASH, &psk);
	tls_get_vec(&r, 2, 1, 65535, &ticket);
	if (r.err || magic != SESSION_MAGIC || !tls_suite_from_id(suite, &s->suite) ||
	    !get_str(&r, s->alpn) || !get_str(&r, s->sni) || !tls_get_vec(&r, 2, 0, 65535, &tp) ||
	    !crypto_rd_done(&r))
		return TLS_ERR_INVAL;
	if (crypto_rd_left(&psk) != crypto_suite_secret_len(s->suite))
		return TLS_ERR_INVAL;
	s->psk_len = crypto_rd_left(&psk);
	memcpy(s->psk, psk.p, s->psk_len);
	s->ticket_len = crypto_rd_left(&ticket);
	s->tparams_len = crypto_rd_left(&tp);
	s->mem = malloc(s->ticket_len + s->tparams_len + 1);
	if (s->mem == NULL) {
		tls_session_clear(s);
		return TLS_ERR_NOMEM;
	}
	memcpy(s->mem, ticket.p, s->ticket_len);
	memcpy(s->mem + s->ticket_len, tp.p, s->tparams_len);
	s->ticket = s->mem;
	s->tparams = s->mem + s->ticket_len;
	return 0;
}

void
tls_session_clear(struct tls_session *s)
{
	if (s->mem != NULL) {
		crypto_wipe(s->mem, s->ticket_len + s->tparams_len);
		free(s->mem);
	}
	crypto_wipe(s, sizeof(*s));
}
