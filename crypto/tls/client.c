/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Client role: ClientHello (with PSK binder and 0-RTT when resuming), HelloRetryRequest,
 * ServerHello, the server's encrypted flight with certificate verification, the client
 * Finished and NewSessionTickets turned into session blobs.
 */
#include <stdlib.h>
#include <string.h>

#include "tls_int.h"

/* Signature schemes offered, in preference order (RFC 9846 §4.3.3). */
static const uint16_t sig_schemes[] = {
	TLS_SIG_ECDSA_SECP256R1_SHA256,
	TLS_SIG_ED25519,
	TLS_SIG_RSA_PSS_RSAE_SHA256,
	TLS_SIG_RSA_PSS_RSAE_SHA384,
};
#define N_SCHEMES (sizeof(sig_schemes) / sizeof(sig_schemes[0]))

static bool
suite_enabled(const struct tls_conn *c, enum crypto_suite suite)
{
	size_t i;

	for (i = 0; i < c->cc->n_suites; i++)
		if (c->cc->suites[i] == suite)
			return true;
	return false;
}

/* The key exchange behind share i: the connection's own or the one lent by the config. */
static struct crypto_kex *
share_kex(const struct tls_conn *c, size_t i)
{
	return c->kex[i] != NULL ? c->kex[i] : c->kex_lent[i];
}

/*
 * A key share for group in slot i: a fresh one (RFC 9846 §4.3.8), or with the load
 * generator's reuse knob the config's, made once (see tls.h on why that is not for clients).
 */
static int
share_make(struct tls_conn *c, size_t i, enum crypto_group group)
{
	c->kex_group[i] = (uint16_t)group;
	c->kex_lent[i] = c->ccfg->bench_kex[tls_bench_kex_index(group)];
	if (c->kex_lent[i] != NULL)
		return 0;
	return crypto_kex_new(&c->kex[i], c->ctx, group) == 0 ? 0
							      : TLS_FAIL(TLS_ALERT_INTERNAL_ERROR);
}

static void
share_drop(struct tls_conn *c, size_t i)
{
	crypto_kex_free(c->kex[i]);
	c->kex[i] = NULL;
	c->kex_lent[i] = NULL;
}

int
tls_conn_set_session(struct tls_conn *c, const uint8_t *blob, size_t len, uint64_t now_ms)
{
	struct tls_session *s;
	int rc;

	if (c == NULL || blob == NULL)
		return TLS_ERR_INVAL;
	if (c->role != TLS_ROLE_CLIENT || c->state != TLS_ST_CLIENT_START || c->sess != NULL)
		return TLS_ERR_STATE;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return TLS_ERR_NOMEM;
	rc = tls_session_decode(s, blob, len);
	if (rc != 0) {
		free(s);
		return rc;
	}
	/* A stale ticket, another server's ticket or a disabled suite: a full handshake. */
	if (now_ms < s->received_ms || now_ms - s->received_ms > (uint64_t)s->lifetime_s * 1000 ||
	    strcmp(s->sni, c->have_server_name ? c->server_name : "") != 0 ||
	    !suite_enabled(c, s->suite)) {
		tls_session_clear(s);
		free(s);
		return 1;
	}
	c->sess = s;
	c->sess_used = true;
	c->early_offered = c->ccfg->early_data && s->max_early_data == TLS_EARLY_DATA_QUIC &&
			   tls_alpn_contains(c->cc->alpn_wire, c->cc->alpn_len,
					     (const uint8_t *)s->alpn, strlen(s->alpn));
	return 0;
}

/* ---- ClientHello ---- */

static void
put_ext_u16_list(struct crypto_wr *w, uint16_t type, const uint16_t *v, size_t n)
{
	size_t e, l, i;

	crypto_put_u16(w, type);
	e = tls_wr_open(w, 2);
	l = tls_wr_open(w, 2);
	for (i = 0; i < n; i++)
		crypto_put_u16(w, v[i]);
	tls_wr_close(w, l, 2);
	tls_wr_close(w, e, 2);
}

static void
put_key_shares(struct tls_conn *c, struct crypto_wr *w)
{
	uint8_t pub[CRYPTO_KEX_MAX_PUB];
	size_t e, l, i, n;

	crypto_put_u16(w, TLS_EXT_KEY_SHARE);
	e = tls_wr_open(w, 2);
	l = tls_wr_open(w, 2);
	for (i = 0; i < TLS_MAX_SHARES; i++) {
		if (share_kex(c, i) == NULL)
			continue;
		if (crypto_kex_public(share_kex(c, i), pub, sizeof(pub), &n) != 0) {
			w->err = true;
			return;
		}
		crypto_put_u16(w, c->kex_group[i]);
		tls_put_vec(w, 2, pub, n);
	}
	tls_wr_close(w, l, 2);
	tls_wr_close(w, e, 2);
}

static void
put_basic_exts(struct tls_conn *c, struct crypto_wr *w)
{
	uint16_t groups[2];
	size_t e, l, i;

	/* Literal IPv4/IPv6 addresses are not permitted in server_name (RFC 6066 §3). */
	if (c->have_server_name && !c->server_name_is_ip) {
		crypto_put_u16(w, TLS_EXT_SERVER_NAME);
		e = tls_wr_open(w, 2);
		l = tls_wr_open(w, 2);
		crypto_put_u8(w, 0); /* host_name */
		tls_put_vec(w, 2, c->server_name, strlen(c->server_name));
		tls_wr_close(w, l, 2);
		tls_wr_close(w, e, 2);
	}
	for (i = 0; i < c->cc->n_groups; i++)
		groups[i] = (uint16_t)c->cc->groups[i];
	put_ext_u16_list(w, TLS_EXT_SUPPORTED_GROUPS, groups, c->cc->n_groups);
	put_ext_u16_list(w, TLS_EXT_SIGNATURE_ALGORITHMS, sig_schemes, N_SCHEMES);
	crypto_put_u16(w, TLS_EXT_ALPN);
	e = tls_wr_open(w, 2);
	tls_put_vec(w, 2, c->cc->alpn_wire, c->cc->alpn_len);
	tls_wr_close(w, e, 2);
	crypto_put_u16(w, TLS_EXT_SUPPORTED_VERSIONS);
	crypto_put_u16(w, 3);
	crypto_put_u8(w, 2);
	crypto_put_u16(w, TLS_VERSION_13);
	put_key_shares(c, w);
	if (c->hrr_cookie != NULL) {
		crypto_put_u16(w, TLS_EXT_COOKIE);
		e = tls_wr_open(w, 2);
		tls_put_vec(w, 2, c->hrr_cookie, c->hrr_cookie_len);
		tls_wr_close(w, e, 2);
	}
	crypto_put_u16(w, TLS_EXT_QUIC_TRANSPORT_PARAMETERS);
	tls_put_vec(w, 2, c->local_tp, c->local_tp_len);
}

/* psk_key_exchange_modes, early_data, then pre_shared_key, which must come last. */
static void
put_psk_exts(struct tls_conn *c, struct crypto_wr *w, size_t hlen)
{
	uint32_t age = (uint32_t)(c->now_ms - c->sess->received_ms) + c->sess->age_add;
	size_t e, l;
	uint8_t zero[TLS_MAX_HASH];

	crypto_put_u16(w, TLS_EXT_PSK_KEY_EXCHANGE_MODES);
	crypto_put_u16(w, 2);
	crypto_put_u8(w, 1);
	crypto_put_u8(w, TLS_PSK_DHE_KE);
	if (c->early_offered && !c->hrr) {
		crypto_put_u16(w, TLS_EXT_EARLY_DATA);
		crypto_put_u16(w, 0);
	}
	crypto_put_u16(w, TLS_EXT_PRE_SHARED_KEY);
	e = tls_wr_open(w, 2);
	l = tls_wr_open(w, 2);
	tls_put_vec(w, 2, c->sess->ticket, c->sess->ticket_len);
	crypto_put_u32(w, age); /* obfuscated_ticket_age (RFC 9846 §4.3.11.1) */
	tls_wr_close(w, l, 2);
	memset(zero, 0, sizeof(zero));
	l = tls_wr_open(w, 2);
	tls_put_vec(w, 1, zero, hlen); /* binder, filled in once the message is complete */
	tls_wr_close(w, l, 2);
	tls_wr_close(w, e, 2);
}

/* Fill the binder that ends msg (RFC 9846 §4.3.11.2). */
static int
fill_binder(struct tls_conn *c, const struct tls_hash *h, uint8_t *msg, size_t len)
{
	uint8_t th[TLS_MAX_HASH], early[TLS_MAX_HASH];
	size_t trunc = len - (2 + 1 + h->len);
	int rc;

	if (c->hrr)
		rc = tls_transcript_hash_with(&c->th, msg, trunc, th);
	else
		rc = tls_hash_once(h, msg, trunc, th);
	if (rc == 0)
		rc = tls_ks_extract(c->ctx, h, NULL, c->sess->psk, c->sess->psk_len, early);
	if (rc == 0)
		rc = tls_ks_binder(c->ctx, h, early, th, msg + len - h->len);
	crypto_wipe(early, sizeof(early));
	return rc == 0 ? 0 : TLS_FAIL(TLS_ALERT_INTERNAL_ERROR);
}

int
tls_client_hello_write(struct tls_conn *c)
{
	const struct tls_hash *h =
		c->sess != NULL ? tls_suite_hash(&c->cc->algs, c->sess->suite) : NULL;
	bool psk = c->sess_used && h != NULL;
	uint8_t random[TLS_RANDOM_LEN];
	size_t off, ext, body, i, cap;
	struct crypto_wr w;
	int rc;

	cap = 512 + c->cc->alpn_len + c->local_tp_len + c->hrr_cookie_len +
	      (c->sess_used ? c->sess->ticket_len + 64 : 0) +
	      (size_t)TLS_MAX_SHARES * CRYPTO_KEX_MAX_PUB;
	rc = tls_random(c, random, sizeof(random));
	if (rc == 0)
		rc = tls_out_begin(c, TLS_LEVEL_INITIAL, cap, &w, &off);
	if (rc != 0)
		return rc;
	w.start[off] = TLS_HS_CLIENT_HELLO;
	crypto_put_u16(&w, TLS_VERSION_12);
	crypto_put_bytes(&w, random, TLS_RANDOM_LEN);
	memcpy(c->client_random, random, TLS_RANDOM_LEN);
	crypto_put_u8(&w, 0); /* legacy_session_id: empty in QUIC (RFC 9001 §8.4) */
	ext = tls_wr_open(&w, 2);
	for (i = 0; i < c->cc->n_suites; i++)
		crypto_put_u16(&w, crypto_suite_tls_id(c->cc->suites[i]));
	tls_wr_close(&w, ext, 2);
	crypto_put_u16(&w, 0x0100); /* legacy_compression_methods = {null} */
	ext = tls_wr_open(&w, 2);
	put_basic_exts(c, &w);
	if (psk)
		put_psk_exts(c, &w, h->len);
	tls_wr_close(&w, ext, 2);
	if (w.err)
		return TLS_FAIL(TLS_ALERT_INTERNAL_ERROR);
	body = crypto_wr_len(&w) - TLS_HS_HDR_LEN;
	/* The binder covers the header with the final length, so write it first. */
	w.start[off + 1] = (uint8_t)(body >> 16);
	w.start[off + 2] = (uint8_t)(body >> 8);
	w.start[off + 3] = (uint8_t)body;
	if (psk) {
		rc = fill_binder(c, h, w.start, crypto_wr_len(&w));
		if (rc != 0)
			return rc;
	}
	if (!c->hrr) {
		/* No hash is chosen yet: keep ClientHello1 for the transcript. */
		c->ch = malloc(crypto_wr_len(&w));
		if (c->ch == NULL)
			return TLS_FAIL(TLS_ALERT_INTERNAL_ERROR);
		memcpy(c->ch, w.start, crypto_wr_len(&w));
		c->ch_len = crypto_wr_len(&w);
	}
	return tls_out_end(c, TLS_LEVEL_INITIAL, &w, off, c->hrr);
}

/* 0-RTT: client_early_traffic_secret over ClientHello1, under the session's suite. */
static int
early_secret(struct tls_conn *c)
{
	const struct tls_hash *h = tls_suite_hash(&c->cc->algs, c->sess->suite);
	uint8_t early[TLS_MAX_HASH], th[TLS_MAX_HASH], cets[TLS_MAX_HASH];
	int rc;

	rc = tls_ks_extract(c->ctx, h, NULL, c->sess->psk, c->sess->psk_len, early);
	if (rc == 0)
		rc = tls_hash_once(h, c->ch, c->ch_len, th);
	if (rc == 0)
		rc = tls_ks_derive(c->ctx, h, early, "c e traffic", th, cets);
	if (rc == 0)
		tls_keylog_secret(c, TLS_LEVEL_EARLY, false, cets, h->len);
	if (rc == 0 && c->cb.secret != NULL &&
	    c->cb.secret(c->cb.arg, TLS_LEVEL_EARLY, TLS_DIR_WRITE, c->sess->suite, cets, h->len) !=
		    0)
		rc = -1;
	crypto_wipe(early, sizeof(early));
	crypto_wipe(cets, sizeof(cets));
	return rc == 0 ? 0 : TLS_FAIL(TLS_ALERT_INTERNAL_ERROR);
}

int
tls_conn_start(struct tls_conn *c, uint64_t now_ms)
{
	size_t i;
	int rc = 0;

	if (c == NULL)
		return TLS_ERR_INVAL;
	if (c->role != TLS_ROLE_CLIENT || c->state != TLS_ST_CLIENT_START)
		return TLS_ERR_STATE;
	c->now_ms = now_ms;
	c->state = TLS_ST_WAIT_SH;
	for (i = 0; i < c->ccfg->n_shares && rc == 0; i++)
		rc = share_make(c, i, c->cc->groups[i]);
	if (rc == 0)
		rc = tls_client_hello_write(c);
	if (rc == 0 && c->early_offered)
		rc = early_secret(c);
	return rc == 0 ? 0 : tls_fail(c, rc);
}

/* ---- ServerHello / HelloRetryRequest ---- */

static bool
offered_group(const struct tls_conn *c, uint16_t g)
{
	size_t i;

	for (i = 0; i < c->cc->n_groups; i++)
		if ((uint16_t)c->cc->groups[i] == g)
			return true;
	return false;
}

static int
share_index(const struct tls_conn *c, uint16_t g)
{
	int i;

	for (i = 0; i < TLS_MAX_SHARES; i++)
		if (share_kex(c, (size_t)i) != NULL && c->kex_group[i] == g)
			return i;
	return -1;
}

/* Checks common to ServerHello and HelloRetryRequest (RFC 9846 §4.2.3). */
static int
check_sh(struct tls_conn *c, const struct tls_sh *sh, enum crypto_suite *suite)
{
	if (!(sh->seen & TLS_SEEN_VERSIONS))
		return TLS_FAIL(TLS_ALERT_PROTOCOL_VERSION);
	if (sh->version != TLS_VERSION_13)
		return TLS_FAIL(TLS_ALERT_ILLEGAL_PARAMETER);
	if (sh->session_id_len != 0)
		return TLS_FAIL(TLS_ALERT_ILLEGAL_PARAMETER);
	if (!tls_suite_from_id(sh->suite, suite) || !suite_enabled(c, *suite))
		return TLS_FAIL(TLS_ALERT_ILLEGAL_PARAMETER);
	/* After HelloRetryRequest the ServerHello keeps its suite (§4.2.4). */
	if (c->hrr && *suite != c->suite)
		return TLS_FAIL(TLS_ALERT_ILLEGAL_PARAMETER);
	return 0;
}

static int
on_hrr(struct tls_conn *c, const struct tls_sh *sh, enum crypto_suite suite, const uint8_t *msg,
       size_t len)
{
	/* An HRR must change something, and ask for a group we support but did not send. */
	if (!(sh->seen & (TLS_SEEN_KEY_SHARE | TLS_SEEN_COOKIE)) ||
	    ((sh->seen & TLS_SEEN_KEY_SHARE) &&
	     (!offered_group(c, sh->group) || share_index(c, sh->group) >= 0)))
		return TLS_FAIL(TLS_ALERT_ILLEGAL_PARAMETER);
	c->suite = suite;
	c->h = tls_suite_hash(&c->cc->algs, suite);
	if (tls_transcript_init(&c->th, c->h) != 0 ||
	    tls_transcript_message_hash(&c->th, c->ch, c->ch_len) != 0 ||
	    tls_transcript_add(&c->th, msg, len) != 0)
		return TLS_FAIL(TLS_ALERT_INTERNAL_ERROR);
	free(c->ch);
	c->ch = NULL;
	if (sh->cookie != NULL) {
		c->hrr_cookie = malloc(sh->cookie_len);
		if (c->hrr_cookie == NULL)
			return TLS_FAIL(TLS_ALERT_INTERNAL_ERROR);
		memcpy(c->hrr_cookie, sh->cookie, sh->cookie_len);
		c->hrr_cookie_len = sh->cookie_len;
	}
	if (sh->seen & TLS_SEEN_KEY_SHARE) {
		int rc;

		share_drop(c, 0);
		share_drop(c, 1);
		rc = share_make(c, 0, (enum crypto_group)sh->group);
		if (rc != 0)
			return rc;
	}
	c->hrr = true;
	/* HelloRetryRequest always rejects 0-RTT (RFC 9001 §4.6.2). */
	if (c->early_offered)
		c->early = TLS_EARLY_REJECTED;
	if (c->sess_used && tls_suite_hash(&c->cc->algs, c->sess->suite) != c->h)
		c->sess_used = false;
	return tls_client_hello_write(c);
}

static int
on_sh(struct tls_conn *c, const struct tls_sh *sh, enum crypto_suite suite, const uint8_t *msg,
      size_t len)
{
	uint8_t shared[CRYPTO_KEX_MAX_SHARED];
	size_t shared_len = 0;
	int idx, rc;

	if (!(sh->seen & TLS_SEEN_KEY_SHARE))
		return TLS_FAIL(TLS_ALERT_MISSING_EXTENSION);
	idx = share_index(c, sh->group);
	if (idx < 0)
		return TLS_FAIL(TLS_ALERT_ILLEGAL_PARAMETER);
	c->suite = suite;
	c->h = tls_suite_hash(&c->cc->algs, suite);
	if (sh->seen & TLS_SEEN_PSK) {
		/* One identity offered, whose hash must be the suite's (§4.3.11). */
		if (!c->sess_used || sh->psk_identity != 0 ||
		    tls_suite_hash(&c->cc->algs, c->sess->suite) != c->h)
			return TLS_FAIL(TLS_ALERT_ILLEGAL_PARAMETER);
		c->resumed = true;
	}
	if (!c->hrr && tls_transcript_init(&c->th, c->h) != 0)
		return TLS_FAIL(TLS_ALERT_INTERNAL_ERROR);
	if ((!c->hrr && tls_transcript_add(&c->th, c->ch, c->ch_len) != 0) ||
	    tls_transcript_add(&c->th, msg, len) != 0 ||
	    tls_ks_extract(c->ctx, c->h, NULL, c->resumed ? c->sess->psk : NULL,
			   c->resumed ? c->sess->psk_len : 0, c->early_secret) != 0)
		return TLS_FAIL(TLS_ALERT_INTERNAL_ERROR);
	free(c->ch);
	c->ch = NULL;
	rc = crypto_kex_derive(share_kex(c, (size_t)idx), sh->share, sh->share_len, shared,
			       sizeof(shared), &shared_len);
	if (rc != 0)
		return TLS_FAIL(rc == CRYPTO_ERR_INVAL ? TLS_ALERT_ILLEGAL_PARAMETER
						       : TLS_ALERT_INTERNAL_ERROR);
	c->group = sh->group;
	rc = tls_derive_handshake(c, shared, shared_len);
	crypto_wipe(shared, sizeof(shared));
	if (rc == 0)
		c->state = TLS_ST_WAIT_EE;
	return rc;
}

static int
server_hello(struct tls_conn *c, const uint8_t *msg, size_t len)
{
	enum crypto_suite suite;
	struct tls_sh sh;
	int rc;

	rc = tls_sh_decode(&sh, msg + TLS_HS_HDR_LEN, len - TLS_HS_HDR_LEN);
	if (rc == 0)
		rc = check_sh(c, &sh, &suite);
	if (rc != 0)
		return rc;
	if (sh.hrr)
		/* One HelloRetryRequest per handshake (RFC 9846 §4.2.4). */
		return c->hrr ? TLS_FAIL(TLS_ALERT_UNEXPECTED_MESSAGE)
			      : on_hrr(c, &sh, suite, msg, len);
	return on_sh(c, &sh, suite, msg, len);
}

/* ---- Server flight ---- */

static int
encrypted_extensions(struct tls_conn *c, const uint8_t *msg, size_t len)
{
	struct tls_ee ee;
	int rc;

	rc = tls_ee_decode(&ee, msg + TLS_HS_HDR_LEN, len - TLS_HS_HDR_LEN);
	if (rc != 0)
		return rc;
	/* RFC 9001 §8.1: clients too close with no_application_protocol. */
	if (ee.alpn == NULL ||
	    !tls_alpn_contains(c->cc->alpn_wire, c->cc->alpn_len, ee.alpn, ee.alpn_len))
		return TLS_FAIL(TLS_ALERT_NO_APPLICATION_PROTOCOL);
	if (!(ee.seen & TLS_SEEN_TPARAMS))
		return TLS_FAIL(TLS_ALERT_MISSING_EXTENSION);
	if ((ee.seen & TLS_SEEN_SERVER_NAME) && (!c->have_server_name || c->server_name_is_ip))
		return TLS_FAIL(TLS_ALERT_UNSUPPORTED_EXTENSION);
	if (ee.seen & TLS_SEEN_EARLY_DATA) {
		/* Only in answer to our early_data, and 0-RTT keeps suite and ALPN (§4.3.10). */
		if (!c->early_offered || c->hrr || !c->resumed)
			return TLS_FAIL(TLS_ALERT_UNSUPPORTED_EXTENSION);
		if (c->suite != c->sess->suite || ee.alpn_len != strlen(c->sess->alpn) ||
		    memcmp(ee.alpn, c->sess->alpn, ee.alpn_len) != 0)
			return TLS_FAIL(TLS_ALERT_ILLEGAL_PARAMETER);
		c->early = TLS_EARLY_ACCEPTED;
	} else if (c->early_offered) {
		c->early = TLS_EARLY_REJECTED;
	}
	rc = tls_set_alpn_result(c, ee.alpn, ee.alpn_len);
	if (rc == 0)
		rc = tls_copy_tparams(c, ee.tparams, ee.tparams_len);
	if (rc == 0 && tls_transcript_add(&c->th, msg, len) != 0)
		rc = TLS_FAIL(TLS_ALERT_INTERNAL_ERROR);
	if (rc == 0)
		c->state = c->resumed ? TLS_ST_WAIT_FIN : TLS_ST_WAIT_CERT;
	return rc;
}

static int
certificate(struct tls_conn *c, const uint8_t *msg, size_t len)
{
	struct tls_certmsg cm;
	int rc;

	/* The message is always parsed (RFC 9846 §4.5.1); with the load generator's knob the
	 * certificates themselves are neither decoded nor checked, and no key is kept. */
	rc = tls_cert_decode(&cm, msg + TLS_HS_HDR_LEN, len - TLS_HS_HDR_LEN);
	if (rc == 0 && !c->ccfg->bench_skip_auth)
		rc = tls_verify_chain(c->ccfg->store, c->ccfg->skip_verify,
				      c->have_server_name ? c->server_name : NULL,
				      c->server_name_is_ip, c->ccfg->verify_time, &cm,
				      &c->peer_key);
	if (rc != 0)
		return rc;
	if (tls_transcript_add(&c->th, msg, len) != 0)
		return TLS_FAIL(TLS_ALERT_INTERNAL_ERROR);
	c->state = TLS_ST_WAIT_CV;
	return 0;
}

/* The server's signature over the transcript so far (RFC 9846 §4.5.2). */
static int
cv_signature(struct tls_conn *c, uint16_t scheme, const uint8_t *sig, size_t sig_len)
{
	uint8_t th[TLS_MAX_HASH], content[64 + 34 + TLS_MAX_HASH];
	size_t n;

	/* A scheme the certificate's key cannot make (§4.5.2): illegal_parameter. */
	if (!tls_scheme_fits_key(c->peer_key, scheme))
		return TLS_FAIL(TLS_ALERT_ILLEGAL_PARAMETER);
	if (tls_transcript_hash(&c->th, th) != 0)
		return TLS_FAIL(TLS_ALERT_INTERNAL_ERROR);
	n = tls_cv_content(content, true, th, c->h->len);
	return tls_verify(c->peer_key, scheme, content, n, sig, sig_len);
}

static int
certificate_verify(struct tls_conn *c, const uint8_t *msg, size_t len)
{
	const uint8_t *sig;
	size_t sig_len, i;
	uint16_t scheme;
	bool offered = false;
	int rc;

	rc = tls_cv_decode(&scheme, &sig, &sig_len, msg + TLS_HS_HDR_LEN, len - TLS_HS_HDR_LEN);
	if (rc != 0)
		return rc;
	for (i = 0; i < N_SCHEMES; i++)
		offered |= sig_schemes[i] == scheme;
	/* A scheme we did not offer (RFC 9846 §4.5.2). */
	if (!offered)
		return TLS_FAIL(TLS_ALERT_ILLEGAL_PARAMETER);
	/* The load generator's knob skips the signature; the message still enters the
	 * transcript, which the server's Finished covers. */
	if (!c->ccfg->bench_skip_auth) {
		rc = cv_signature(c, scheme, sig, sig_len);
		if (rc != 0)
			return rc;
	}
	if (tls_transcript_add(&c->th, msg, len) != 0)
		return TLS_FAIL(TLS_ALERT_INTERNAL_ERROR);
	c->state = TLS_ST_WAIT_FIN;
	return 0;
}

static int
server_finished(struct tls_conn *c, const uint8_t *msg, size_t len)
{
	uint8_t s_ap[TLS_MAX_HASH], th[TLS_MAX_HASH];
	int rc;

	rc = tls_finished_check(c, true, msg, len);
	if (rc == 0)
		rc = tls_derive_master(c, s_ap);
	if (rc == 0)
		rc = tls_finished_write(c, false);
	if (rc == 0 &&
	    (tls_transcript_hash(&c->th, th) != 0 ||
	     tls_ks_derive(c->ctx, c->h, c->master, "res master", th, c->res_master) != 0))
		rc = TLS_FAIL(TLS_ALERT_INTERNAL_ERROR);
	if (rc == 0)
		rc = tls_emit_secret(c, TLS_LEVEL_APPLICATION, TLS_DIR_READ, s_ap);
	if (rc == 0)
		rc = tls_emit_secret(c, TLS_LEVEL_APPLICATION, TLS_DIR_WRITE, c->c_ap);
	crypto_wipe(s_ap, sizeof(s_ap));
	if (rc == 0) {
		c->done = true;
		c->state = TLS_ST_DONE;
	}
	return rc;
}

/* ---- NewSessionTicket ---- */

static int
new_session_ticket(struct tls_conn *c, const uint8_t *msg, size_t len)
{
	struct tls_session s;
	struct tls_nst nst;
	uint8_t *blob = NULL;
	size_t blob_len = 0;
	int rc;

	rc = tls_nst_decode(&nst, msg + TLS_HS_HDR_LEN, len - TLS_HS_HDR_LEN);
	if (rc != 0)
		return rc;
	/* RFC 9001 §4.6.1: any other max_early_data_size is a PROTOCOL_VIOLATION. */
	if (nst.early_data && nst.max_early_data != TLS_EARLY_DATA_QUIC)
		return TLS_E_PROTOCOL;
	if (nst.lifetime == 0 || c->cb.session == NULL)
		return 0;
	memset(&s, 0, sizeof(s));
	s.suite = c->suite;
	s.received_ms = c->now_ms;
	s.lifetime_s = nst.lifetime < TLS_MAX_TICKET_AGE_S ? nst.lifetime : TLS_MAX_TICKET_AGE_S;
	s.age_add = nst.age_add;
	s.max_early_data = nst.early_data ? nst.max_early_data : 0;
	s.psk_len = c->h->len;
	s.ticket = nst.ticket;
	s.ticket_len = nst.ticket_len;
	memcpy(s.alpn, c->alpn, sizeof(s.alpn));
	if (c->have_server_name)
		memcpy(s.sni, c->server_name, sizeof(s.sni));
	s.tparams = c->peer_tp;
	s.tparams_len = c->peer_tp_len;
	if (tls_ks_resumption_psk(c->ctx, c->h, c->res_master, nst.nonce, nst.nonce_len, s.psk) !=
		    0 ||
	    tls_session_encode(&s, &blob, &blob_len) != 0)
		rc = TLS_FAIL(TLS_ALERT_INTERNAL_ERROR);
	crypto_wipe(s.psk, sizeof(s.psk));
	if (rc == 0)
		c->cb.session(c->cb.arg, blob, blob_len);
	if (blob != NULL) {
		crypto_wipe(blob, blob_len);
		free(blob);
	}
	return rc;
}

int
tls_client_handle(struct tls_conn *c, enum tls_level level, const uint8_t *msg, size_t len)
{
	(void)level;
	switch (c->state) {
	case TLS_ST_WAIT_SH:
		return server_hello(c, msg, len);
	case TLS_ST_WAIT_EE:
		return encrypted_extensions(c, msg, len);
	case TLS_ST_WAIT_CERT:
		return certificate(c, msg, len);
	case TLS_ST_WAIT_CV:
		return certificate_verify(c, msg, len);
	case TLS_ST_WAIT_FIN:
		return server_finished(c, msg, len);
	default:
		return new_session_ticket(c, msg, len);
	}
}
