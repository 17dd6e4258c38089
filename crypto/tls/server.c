/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Server role: ClientHello processing (negotiation, PSK, 0-RTT, HelloRetryRequest), the server
 * flight (ServerHello at INITIAL; EncryptedExtensions, Certificate, CertificateVerify,
 * Finished at HANDSHAKE), the client Finished and NewSessionTickets at APPLICATION.
 */
#include <stdlib.h>
#include <string.h>

#include "tls_int.h"

/* Scratch state of one ClientHello's processing. */
struct srv_hello {
	struct tls_ch ch;
	const uint8_t *msg;
	size_t len;
	const uint8_t *alpn;
	size_t alpn_len;
	const uint8_t *share;
	size_t share_len;
	uint16_t hrr_group;
	uint16_t scheme;
	int psk_idx;
	uint32_t obf_age;
	struct tls_ticket_state tst;
	uint8_t *tbuf;
	size_t tbuf_len;
};

/* ---- ClientHello checks ---- */

/* Our groups may appear at most once among the key shares (RFC 9846 §4.3.8). */
static int
check_shares(const struct tls_ch *ch)
{
	struct crypto_rd l = ch->shares, key;
	unsigned x25519 = 0, p256 = 0;
	uint16_t g;

	while (crypto_get_u16(&l, &g) && tls_get_vec(&l, 2, 1, 65535, &key)) {
		x25519 += g == CRYPTO_GROUP_X25519;
		p256 += g == CRYPTO_GROUP_SECP256R1;
	}
	return x25519 > 1 || p256 > 1 ? TLS_FAIL(TLS_ALERT_ILLEGAL_PARAMETER) : 0;
}

/* The second ClientHello answers our HelloRetryRequest (RFC 9846 §4.2.2, §4.2.4). */
static int
check_ch2(const struct tls_conn *c, const struct tls_ch *ch)
{
	struct crypto_rd l = ch->shares, key;
	uint16_t g;

	if (c->cookie_sent && (ch->cookie == NULL || ch->cookie_len != TLS_COOKIE_LEN ||
			       memcmp(ch->cookie, c->cookie, TLS_COOKIE_LEN) != 0))
		return TLS_FAIL(TLS_ALERT_ILLEGAL_PARAMETER);
	/* Exactly one share, for the group we asked for; no early data after HRR (§4.3.10). */
	if (!crypto_get_u16(&l, &g) || g != c->group || !tls_get_vec(&l, 2, 1, 65535, &key) ||
	    crypto_rd_left(&l) != 0 || (ch->seen & TLS_SEEN_EARLY_DATA))
		return TLS_FAIL(TLS_ALERT_ILLEGAL_PARAMETER);
	return 0;
}

static int
check_ch(struct tls_conn *c, const struct tls_ch *ch)
{
	/* QUIC needs TLS 1.3 or newer (RFC 9001 §4.2). */
	if (!ch->tls13)
		return TLS_FAIL(TLS_ALERT_PROTOCOL_VERSION);
	/* No middlebox compatibility mode in QUIC (RFC 9001 §8.4): pinned to illegal_parameter. */
	if (ch->session_id_len != 0)
		return TLS_FAIL(TLS_ALERT_ILLEGAL_PARAMETER);
	/* RFC 9001 §8.2: quic_transport_parameters is mandatory. */
	if (!(ch->seen & TLS_SEEN_TPARAMS))
		return TLS_FAIL(TLS_ALERT_MISSING_EXTENSION);
	/* RFC 9001 §8.1: ALPN is how QUIC agrees on the application. */
	if (!(ch->seen & TLS_SEEN_ALPN))
		return TLS_FAIL(TLS_ALERT_NO_APPLICATION_PROTOCOL);
	/* (EC)DHE is always used, so both are required (RFC 9846 §9.2), and psk modes go with a
	 * pre_shared_key (§4.3.9). */
	if (!(ch->seen & TLS_SEEN_KEY_SHARE) || !(ch->seen & TLS_SEEN_GROUPS) ||
	    ((ch->seen & TLS_SEEN_PSK) && !(ch->seen & TLS_SEEN_PSK_MODES)))
		return TLS_FAIL(TLS_ALERT_MISSING_EXTENSION);
	if (check_shares(ch) != 0)
		return TLS_FAIL(TLS_ALERT_ILLEGAL_PARAMETER);
	if (c->state == TLS_ST_WAIT_CH2)
		return check_ch2(c, ch);
	return 0;
}

static int
pick_suite(struct tls_conn *c, const struct tls_ch *ch)
{
	size_t i;

	if (c->state == TLS_ST_WAIT_CH2) {
		/* The suite announced in HelloRetryRequest stands (RFC 9846 §4.2.4). */
		if (!tls_list_has_u16(ch->suites, crypto_suite_tls_id(c->suite)))
			return TLS_FAIL(TLS_ALERT_ILLEGAL_PARAMETER);
		return 0;
	}
	for (i = 0; i < c->cc->n_suites; i++) {
		if (tls_list_has_u16(ch->suites, crypto_suite_tls_id(c->cc->suites[i]))) {
			c->suite = c->cc->suites[i];
			c->h = tls_suite_hash(&c->cc->algs, c->suite);
			return 0;
		}
	}
	return TLS_FAIL(TLS_ALERT_HANDSHAKE_FAILURE);
}

/* First of our groups the client sent a share for; else the first it supports: HRR. */
static int
pick_group(struct tls_conn *c, struct srv_hello *s)
{
	size_t i;
	int rc;

	for (i = 0; i < c->cc->n_groups; i++) {
		rc = tls_ch_find_share(&s->ch, (uint16_t)c->cc->groups[i], &s->share,
				       &s->share_len);
		if (rc < 0)
			return rc;
		if (rc == 0) {
			c->group = (uint16_t)c->cc->groups[i];
			return 0;
		}
	}
	for (i = 0; i < c->cc->n_groups; i++) {
		if (tls_list_has_u16(s->ch.groups, (uint16_t)c->cc->groups[i])) {
			s->hrr_group = (uint16_t)c->cc->groups[i];
			return 0;
		}
	}
	return TLS_FAIL(TLS_ALERT_HANDSHAKE_FAILURE);
}

/* ---- PSK (RFC 9846 §4.3.11) ---- */

static bool
suite_enabled(const struct tls_conn *c, enum crypto_suite suite)
{
	size_t i;

	for (i = 0; i < c->cc->n_suites; i++)
		if (c->cc->suites[i] == suite)
			return true;
	return false;
}

/* Open one offered ticket and check it is ours, alive and fits the suite. */
static bool
ticket_usable(struct tls_conn *c, struct srv_hello *s, const uint8_t *id, size_t len)
{
	enum crypto_suite ts;
	uint64_t age;

	free(s->tbuf);
	s->tbuf = malloc(len + 1);
	s->tbuf_len = len;
	if (s->tbuf == NULL || tls_ticket_open(c->scfg, id, len, s->tbuf, &s->tst) != 0 ||
	    !tls_suite_from_id(s->tst.suite_id, &ts))
		return false;
	age = c->now_ms > s->tst.issued_ms ? c->now_ms - s->tst.issued_ms : 0;
	if (age > (uint64_t)s->tst.lifetime_s * 1000)
		return false;
	/* Before HRR, prefer the ticket's own suite when offered and enabled: 0-RTT needs it. */
	if (c->state == TLS_ST_WAIT_CH && ts != c->suite &&
	    tls_list_has_u16(s->ch.suites, crypto_suite_tls_id(ts)) && suite_enabled(c, ts)) {
		c->suite = ts;
		c->h = tls_suite_hash(&c->cc->algs, ts);
	}
	return tls_suite_hash(&c->cc->algs, ts) == c->h && s->tst.psk_len == c->h->len;
}

/* The binder at index idx over the truncated ClientHello. */
static int
check_binder(struct tls_conn *c, struct srv_hello *s)
{
	uint8_t th[TLS_MAX_HASH], mac[TLS_MAX_HASH], early[TLS_MAX_HASH];
	struct crypto_rd b = s->ch.binders, v;
	int i, rc = 0;

	for (i = 0; i <= s->psk_idx; i++)
		if (!tls_get_vec(&b, 1, 32, 255, &v))
			return TLS_FAIL(TLS_ALERT_DECODE_ERROR);
	if (c->state == TLS_ST_WAIT_CH2)
		rc = tls_transcript_hash_with(&c->th, s->msg, s->ch.binders_off, th);
	else
		rc = tls_hash_once(c->h, s->msg, s->ch.binders_off, th);
	if (rc != 0 || tls_ks_extract(c->ctx, c->h, NULL, s->tst.psk, s->tst.psk_len, early) != 0 ||
	    tls_ks_binder(c->ctx, c->h, early, th, mac) != 0)
		return TLS_FAIL(TLS_ALERT_INTERNAL_ERROR);
	if (crypto_rd_left(&v) != c->h->len || crypto_memcmp_ct(mac, v.p, c->h->len) != 0) {
		crypto_wipe(early, sizeof(early));
		return TLS_FAIL(TLS_ALERT_DECRYPT_ERROR);
	}
	memcpy(c->early_secret, early, c->h->len);
	crypto_wipe(early, sizeof(early));
	c->resumed = true;
	return 0;
}

static int
server_psk(struct tls_conn *c, struct srv_hello *s)
{
	struct crypto_rd ids = s->ch.identities, id;
	uint32_t age;
	int idx;

	s->psk_idx = -1;
	c->resumed = false;
	/* Only psk_dhe_ke is offered by this server; psk_ke alone means a full handshake. */
	if (!(s->ch.seen & TLS_SEEN_PSK) || !(s->ch.psk_modes & (1u << TLS_PSK_DHE_KE)) ||
	    !c->scfg->tkeys[0].live)
		return 0;
	for (idx = 0; crypto_rd_left(&ids) > 0; idx++) {
		if (!tls_get_vec(&ids, 2, 1, 65535, &id) || !crypto_get_u32(&ids, &age))
			return TLS_FAIL(TLS_ALERT_DECODE_ERROR);
		if (ticket_usable(c, s, id.p, crypto_rd_left(&id))) {
			s->psk_idx = idx;
			s->obf_age = age;
			return check_binder(c, s);
		}
	}
	return 0;
}

/* 0-RTT: every condition of RFC 9846 §4.3.10 and §8.3, then the caller's say (RFC 9001 §4.6.3). */
static bool
early_ok(struct tls_conn *c, const struct srv_hello *s)
{
	const struct tls_ticket_state *t = &s->tst;
	uint32_t client_age = s->obf_age - t->age_add; /* mod 2^32 (§4.3.11.1) */
	uint64_t server_age = c->now_ms > t->issued_ms ? c->now_ms - t->issued_ms : 0;
	uint64_t skew = server_age > client_age ? server_age - client_age : client_age - server_age;

	if (!(s->ch.seen & TLS_SEEN_EARLY_DATA) || !c->resumed || s->psk_idx != 0 ||
	    c->state != TLS_ST_WAIT_CH || !c->scfg->early_data || !t->early_data)
		return false;
	if (crypto_suite_tls_id(c->suite) != t->suite_id || strcmp(t->alpn, c->alpn) != 0 ||
	    strcmp(t->sni, c->have_server_name ? c->server_name : "") != 0)
		return false;
	if (skew > c->scfg->freshness_ms)
		return false;
	if (c->cb.accept_early_data != NULL &&
	    !c->cb.accept_early_data(c->cb.arg, t->alpn, t->tparams, t->tparams_len))
		return false;
	return true;
}

/* ---- Flight ---- */

static int
write_hrr(struct tls_conn *c, struct srv_hello *s)
{
	struct crypto_wr w;
	size_t off, ext;
	int rc;

	if (tls_transcript_init(&c->th, c->h) != 0 ||
	    tls_transcript_message_hash(&c->th, s->msg, s->len) != 0)
		return TLS_FAIL(TLS_ALERT_INTERNAL_ERROR);
	if (c->scfg->hrr_cookie) {
		rc = tls_random(c, c->cookie, TLS_COOKIE_LEN);
		if (rc != 0)
			return rc;
		c->cookie_sent = true;
	}
	rc = tls_out_begin(c, TLS_LEVEL_INITIAL, 128, &w, &off);
	if (rc != 0)
		return rc;
	w.start[off] = TLS_HS_SERVER_HELLO;
	crypto_put_u16(&w, TLS_VERSION_12);
	crypto_put_bytes(&w, tls_hrr_random, TLS_RANDOM_LEN);
	crypto_put_u8(&w, 0);
	crypto_put_u16(&w, crypto_suite_tls_id(c->suite));
	crypto_put_u8(&w, 0);
	ext = tls_wr_open(&w, 2);
	crypto_put_u16(&w, TLS_EXT_SUPPORTED_VERSIONS);
	crypto_put_u16(&w, 2);
	crypto_put_u16(&w, TLS_VERSION_13);
	crypto_put_u16(&w, TLS_EXT_KEY_SHARE);
	crypto_put_u16(&w, 2);
	crypto_put_u16(&w, s->hrr_group);
	if (c->cookie_sent) {
		crypto_put_u16(&w, TLS_EXT_COOKIE);
		crypto_put_u16(&w, 2 + TLS_COOKIE_LEN);
		tls_put_vec(&w, 2, c->cookie, TLS_COOKIE_LEN);
	}
	tls_wr_close(&w, ext, 2);
	c->group = s->hrr_group;
	c->hrr = true;
	c->state = TLS_ST_WAIT_CH2;
	return tls_out_end(c, TLS_LEVEL_INITIAL, &w, off, true);
}

static int
write_sh(struct tls_conn *c, struct srv_hello *s, const uint8_t *pub, size_t pub_len)
{
	uint8_t random[TLS_RANDOM_LEN];
	struct crypto_wr w;
	size_t off, ext, ks;
	int rc;

	rc = tls_random(c, random, sizeof(random));
	if (rc == 0)
		rc = tls_out_begin(c, TLS_LEVEL_INITIAL, 64 + pub_len, &w, &off);
	if (rc != 0)
		return rc;
	w.start[off] = TLS_HS_SERVER_HELLO;
	crypto_put_u16(&w, TLS_VERSION_12);
	crypto_put_bytes(&w, random, TLS_RANDOM_LEN);
	crypto_put_u8(&w, 0);
	crypto_put_u16(&w, crypto_suite_tls_id(c->suite));
	crypto_put_u8(&w, 0);
	ext = tls_wr_open(&w, 2);
	crypto_put_u16(&w, TLS_EXT_SUPPORTED_VERSIONS);
	crypto_put_u16(&w, 2);
	crypto_put_u16(&w, TLS_VERSION_13);
	crypto_put_u16(&w, TLS_EXT_KEY_SHARE);
	ks = tls_wr_open(&w, 2);
	crypto_put_u16(&w, c->group);
	tls_put_vec(&w, 2, pub, pub_len);
	tls_wr_close(&w, ks, 2);
	if (c->resumed) {
		crypto_put_u16(&w, TLS_EXT_PRE_SHARED_KEY);
		crypto_put_u16(&w, 2);
		crypto_put_u16(&w, (uint16_t)s->psk_idx);
	}
	tls_wr_close(&w, ext, 2);
	return tls_out_end(c, TLS_LEVEL_INITIAL, &w, off, true);
}

static int
write_ee(struct tls_conn *c)
{
	struct crypto_wr w;
	size_t off, ext, a, l;
	int rc;

	rc = tls_out_begin(c, TLS_LEVEL_HANDSHAKE, 64 + 256 + c->local_tp_len, &w, &off);
	if (rc != 0)
		return rc;
	w.start[off] = TLS_HS_ENCRYPTED_EXTENSIONS;
	ext = tls_wr_open(&w, 2);
	crypto_put_u16(&w, TLS_EXT_ALPN);
	a = tls_wr_open(&w, 2);
	l = tls_wr_open(&w, 2);
	tls_put_vec(&w, 1, c->alpn, strlen(c->alpn));
	tls_wr_close(&w, l, 2);
	tls_wr_close(&w, a, 2);
	crypto_put_u16(&w, TLS_EXT_QUIC_TRANSPORT_PARAMETERS);
	tls_put_vec(&w, 2, c->local_tp, c->local_tp_len);
	if (c->early == TLS_EARLY_ACCEPTED) {
		crypto_put_u16(&w, TLS_EXT_EARLY_DATA);
		crypto_put_u16(&w, 0);
	}
	tls_wr_close(&w, ext, 2);
	return tls_out_end(c, TLS_LEVEL_HANDSHAKE, &w, off, true);
}

static int
write_cert(struct tls_conn *c)
{
	const struct tls_server_cert *sc = &c->scfg->cert;
	struct crypto_wr w;
	size_t off, list, i;
	int rc;

	rc = tls_out_begin(c, TLS_LEVEL_HANDSHAKE,
			   16 + sc->off[sc->n - 1] + sc->len[sc->n - 1] + 5 * sc->n, &w, &off);
	if (rc != 0)
		return rc;
	w.start[off] = TLS_HS_CERTIFICATE;
	crypto_put_u8(&w, 0); /* certificate_request_context */
	list = tls_wr_open(&w, 3);
	for (i = 0; i < sc->n; i++) {
		tls_put_vec(&w, 3, sc->chain_der + sc->off[i], sc->len[i]);
		crypto_put_u16(&w, 0); /* no entry extensions */
	}
	tls_wr_close(&w, list, 3);
	return tls_out_end(c, TLS_LEVEL_HANDSHAKE, &w, off, true);
}

static int
write_cv(struct tls_conn *c, uint16_t scheme)
{
	uint8_t th[TLS_MAX_HASH], content[64 + 34 + TLS_MAX_HASH], sig[1024];
	size_t n, sig_len = 0, off;
	struct crypto_wr w;
	int rc;

	if (tls_transcript_hash(&c->th, th) != 0)
		return TLS_FAIL(TLS_ALERT_INTERNAL_ERROR);
	n = tls_cv_content(content, true, th, c->h->len);
	rc = tls_sign(&c->scfg->cert, &c->cc->algs, scheme, content, n, sig, sizeof(sig),
		      &sig_len);
	if (rc == 0)
		rc = tls_out_begin(c, TLS_LEVEL_HANDSHAKE, 16 + sig_len, &w, &off);
	if (rc != 0)
		return rc;
	w.start[off] = TLS_HS_CERTIFICATE_VERIFY;
	crypto_put_u16(&w, scheme);
	tls_put_vec(&w, 2, sig, sig_len);
	return tls_out_end(c, TLS_LEVEL_HANDSHAKE, &w, off, true);
}

/* Key exchange with the client's share; ServerHello; the handshake secrets. */
static int
exchange(struct tls_conn *c, struct srv_hello *s)
{
	uint8_t pub[CRYPTO_KEX_MAX_PUB], shared[CRYPTO_KEX_MAX_SHARED];
	size_t pub_len = 0, shared_len = 0;
	int rc;

	rc = crypto_kex_new(&c->kex[0], c->ctx, (enum crypto_group)c->group);
	if (rc == 0)
		rc = crypto_kex_public(c->kex[0], pub, sizeof(pub), &pub_len);
	if (rc != 0)
		return TLS_FAIL(TLS_ALERT_INTERNAL_ERROR);
	rc = crypto_kex_derive(c->kex[0], s->share, s->share_len, shared, sizeof(shared),
			       &shared_len);
	/* Our ephemeral key is used once: gone now rather than with the connection, which keeps
	 * its TLS state for a round trip more (forward secrecy, and memory per handshake). */
	crypto_kex_free(c->kex[0]);
	c->kex[0] = NULL;
	/* A malformed or degenerate share is the client's fault (RFC 9846 §4.3.8.2). */
	if (rc == CRYPTO_ERR_INVAL)
		return TLS_FAIL(TLS_ALERT_ILLEGAL_PARAMETER);
	if (rc != 0)
		return TLS_FAIL(TLS_ALERT_INTERNAL_ERROR);
	rc = write_sh(c, s, pub, pub_len);
	if (rc == 0)
		rc = tls_derive_handshake(c, shared, shared_len);
	crypto_wipe(shared, sizeof(shared));
	return rc;
}

static int
flight(struct tls_conn *c, struct srv_hello *s)
{
	uint8_t s_ap[TLS_MAX_HASH];
	int rc;

	rc = exchange(c, s);
	if (rc == 0)
		rc = write_ee(c);
	if (rc == 0 && !c->resumed)
		rc = write_cert(c);
	if (rc == 0 && !c->resumed)
		rc = write_cv(c, s->scheme);
	if (rc == 0)
		rc = tls_finished_write(c, true);
	if (rc == 0)
		rc = tls_derive_master(c, s_ap);
	/* 0.5-RTT: the server may send 1-RTT data right after its Finished (RFC 9001 §4.1.1). */
	if (rc == 0)
		rc = tls_emit_secret(c, TLS_LEVEL_APPLICATION, TLS_DIR_WRITE, s_ap);
	crypto_wipe(s_ap, sizeof(s_ap));
	if (rc == 0)
		c->state = TLS_ST_WAIT_CLIENT_FIN;
	return rc;
}

/* Record what the ClientHello carries that outlives it: SNI, transport parameters. */
static int
keep_ch_data(struct tls_conn *c, const struct tls_ch *ch)
{
	if (ch->host != NULL && ch->host_len < sizeof(c->server_name) &&
	    memchr(ch->host, 0, ch->host_len) == NULL) {
		memcpy(c->server_name, ch->host, ch->host_len);
		c->server_name[ch->host_len] = '\0';
		c->have_server_name = true;
	}
	return tls_copy_tparams(c, ch->tparams, ch->tparams_len);
}

/* After negotiation: transcript, early secret and 0-RTT decision, then the flight. */
static int
accept_hello(struct tls_conn *c, struct srv_hello *s)
{
	uint8_t th[TLS_MAX_HASH], cets[TLS_MAX_HASH];
	int rc;

	if (c->state == TLS_ST_WAIT_CH && tls_transcript_init(&c->th, c->h) != 0)
		return TLS_FAIL(TLS_ALERT_INTERNAL_ERROR);
	if (tls_transcript_add(&c->th, s->msg, s->len) != 0)
		return TLS_FAIL(TLS_ALERT_INTERNAL_ERROR);
	if (!c->resumed && tls_ks_extract(c->ctx, c->h, NULL, NULL, 0, c->early_secret) != 0)
		return TLS_FAIL(TLS_ALERT_INTERNAL_ERROR);
	if (s->ch.seen & TLS_SEEN_EARLY_DATA)
		c->early = early_ok(c, s) ? TLS_EARLY_ACCEPTED : TLS_EARLY_REJECTED;
	if (c->early == TLS_EARLY_ACCEPTED) {
		/* client_early_traffic_secret over the ClientHello (RFC 9846 §7.1). */
		if (tls_transcript_hash(&c->th, th) != 0 ||
		    tls_ks_derive(c->ctx, c->h, c->early_secret, "c e traffic", th, cets) != 0)
			return TLS_FAIL(TLS_ALERT_INTERNAL_ERROR);
		rc = tls_emit_secret(c, TLS_LEVEL_EARLY, TLS_DIR_READ, cets);
		crypto_wipe(cets, sizeof(cets));
		if (rc != 0)
			return rc;
	}
	return flight(c, s);
}

static int
negotiate(struct tls_conn *c, struct srv_hello *s)
{
	int rc;

	rc = tls_ch_decode(&s->ch, s->msg, s->len);
	if (rc == 0)
		memcpy(c->client_random, s->ch.random, TLS_RANDOM_LEN);
	if (rc == 0)
		rc = check_ch(c, &s->ch);
	if (rc == 0)
		rc = pick_suite(c, &s->ch);
	if (rc == 0)
		rc = tls_alpn_select(c->cc->alpn_wire, c->cc->alpn_len, s->ch.alpn, &s->alpn,
				     &s->alpn_len);
	if (rc == 0)
		rc = tls_set_alpn_result(c, s->alpn, s->alpn_len);
	if (rc == 0)
		rc = server_psk(c, s);
	if (rc == 0)
		rc = pick_group(c, s);
	if (rc != 0 || c->resumed || s->hrr_group != 0)
		return rc;
	/* Certificate authentication needs signature_algorithms (RFC 9846 §9.2). */
	if (!(s->ch.seen & TLS_SEEN_SIGALGS))
		return TLS_FAIL(TLS_ALERT_MISSING_EXTENSION);
	s->scheme = tls_server_cert_scheme(&c->scfg->cert, s->ch.sigalgs);
	return s->scheme != 0 ? 0 : TLS_FAIL(TLS_ALERT_HANDSHAKE_FAILURE);
}

static int
client_hello(struct tls_conn *c, const uint8_t *msg, size_t len)
{
	struct srv_hello s;
	int rc;

	memset(&s, 0, sizeof(s));
	s.msg = msg;
	s.len = len;
	rc = negotiate(c, &s);
	if (rc == 0 && s.hrr_group != 0) {
		/* A second HelloRetryRequest is never sent (RFC 9846 §4.2.4). */
		rc = c->state == TLS_ST_WAIT_CH2 ? TLS_FAIL(TLS_ALERT_ILLEGAL_PARAMETER)
						 : write_hrr(c, &s);
		c->resumed = false;
	} else if (rc == 0) {
		rc = keep_ch_data(c, &s.ch);
		if (rc == 0)
			rc = accept_hello(c, &s);
	}
	if (s.tbuf != NULL) {
		crypto_wipe(s.tbuf, s.tbuf_len);
		free(s.tbuf);
	}
	crypto_wipe(&s.tst, sizeof(s.tst));
	return rc;
}

static int
client_finished(struct tls_conn *c, const uint8_t *msg, size_t len)
{
	uint8_t th[TLS_MAX_HASH];
	int rc;

	rc = tls_finished_check(c, false, msg, len);
	if (rc != 0)
		return rc;
	if (tls_transcript_hash(&c->th, th) != 0 ||
	    tls_ks_derive(c->ctx, c->h, c->master, "res master", th, c->res_master) != 0)
		return TLS_FAIL(TLS_ALERT_INTERNAL_ERROR);
	/* Only now may 1-RTT packets from the client be processed (RFC 9001 §5.7). */
	rc = tls_emit_secret(c, TLS_LEVEL_APPLICATION, TLS_DIR_READ, c->c_ap);
	if (rc != 0)
		return rc;
	c->done = true;
	c->state = TLS_ST_DONE;
	return tls_server_send_tickets(c);
}

int
tls_server_handle(struct tls_conn *c, enum tls_level level, const uint8_t *msg, size_t len)
{
	(void)level;
	if (c->state == TLS_ST_WAIT_CH || c->state == TLS_ST_WAIT_CH2)
		return client_hello(c, msg, len);
	return client_finished(c, msg, len);
}

/* ---- NewSessionTicket (RFC 9846 §4.7.1) ---- */

static int
send_ticket(struct tls_conn *c, uint8_t nonce, uint8_t *tbuf, size_t tcap)
{
	struct tls_ticket_state st;
	struct crypto_wr w;
	size_t off, ext, tlen = 0;
	uint8_t age_add[4];
	int rc;

	memset(&st, 0, sizeof(st));
	rc = tls_random(c, age_add, sizeof(age_add));
	if (rc != 0)
		return rc;
	st.suite_id = crypto_suite_tls_id(c->suite);
	st.issued_ms = c->now_ms;
	st.lifetime_s = c->scfg->ticket_lifetime_s;
	st.age_add = ((uint32_t)age_add[0] << 24) | ((uint32_t)age_add[1] << 16) |
		     ((uint32_t)age_add[2] << 8) | age_add[3];
	st.early_data = c->scfg->early_data;
	st.psk_len = c->h->len;
	memcpy(st.alpn, c->alpn, sizeof(st.alpn));
	if (c->have_server_name)
		memcpy(st.sni, c->server_name, sizeof(st.sni));
	if (tls_ks_resumption_psk(c->ctx, c->h, c->res_master, &nonce, 1, st.psk) != 0 ||
	    tls_ticket_seal(c->scfg, &st, c->local_tp, c->local_tp_len, tbuf, tcap, &tlen) != 0) {
		crypto_wipe(&st, sizeof(st));
		return TLS_FAIL(TLS_ALERT_INTERNAL_ERROR);
	}
	crypto_wipe(&st, sizeof(st));
	rc = tls_out_begin(c, TLS_LEVEL_APPLICATION, 32 + tlen, &w, &off);
	if (rc != 0)
		return rc;
	w.start[off] = TLS_HS_NEW_SESSION_TICKET;
	crypto_put_u32(&w, c->scfg->ticket_lifetime_s);
	crypto_put_bytes(&w, age_add, sizeof(age_add));
	tls_put_vec(&w, 1, &nonce, 1);
	tls_put_vec(&w, 2, tbuf, tlen);
	ext = tls_wr_open(&w, 2);
	if (c->scfg->early_data) {
		crypto_put_u16(&w, TLS_EXT_EARLY_DATA);
		crypto_put_u16(&w, 4);
		crypto_put_u32(&w, TLS_EARLY_DATA_QUIC);
	}
	tls_wr_close(&w, ext, 2);
	/* Post-handshake messages are not part of the transcript. */
	return tls_out_end(c, TLS_LEVEL_APPLICATION, &w, off, false);
}

int
tls_server_send_tickets(struct tls_conn *c)
{
	size_t tcap = 64 + TLS_MAX_HASH + 2 * 256 + c->local_tp_len + 64;
	uint8_t *tbuf;
	unsigned i;
	int rc = 0;

	if (!c->scfg->tkeys[0].live || c->scfg->n_tickets == 0 || c->local_tp_len > TLS_MAX_TP)
		return 0;
	tbuf = malloc(tcap);
	if (tbuf == NULL)
		return TLS_FAIL(TLS_ALERT_INTERNAL_ERROR);
	for (i = 0; i < c->scfg->n_tickets && rc == 0; i++)
		rc = send_ticket(c, (uint8_t)i, tbuf, tcap);
	free(tbuf);
	return rc;
}

/* ---- Benchmark support ---- */

int
tls_server_respond_once(const struct tls_server_config *cfg, struct crypto_ctx *ctx,
			const uint8_t *client_hello, size_t len, const uint8_t *tparams,
			size_t tparams_len, uint64_t now_ms, size_t *flight_len)
{
	struct tls_conn *c = NULL;
	size_t a = 0, b = 0;
	int rc;

	rc = tls_conn_new_server(&c, cfg, ctx, tparams, tparams_len, NULL);
	if (rc != 0)
		return rc;
	rc = tls_conn_recv(c, TLS_LEVEL_INITIAL, client_hello, len, now_ms);
	tls_conn_pending(c, TLS_LEVEL_INITIAL, &a);
	tls_conn_pending(c, TLS_LEVEL_HANDSHAKE, &b);
	if (flight_len != NULL)
		*flight_len = a + b;
	if (rc == 0 && c->state != TLS_ST_WAIT_CLIENT_FIN)
		rc = TLS_ERR_ALERT; /* a partial ClientHello or a HelloRetryRequest */
	tls_conn_free(c);
	return rc;
}
