/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packet protection keys of a connection: Initial keys from the client's DCID (RFC 9001
 * §5.2), Handshake and 1-RTT keys from the TLS engine's secret callback (§4.1.4), discarding
 * (§4.9), and 1-RTT key updates (§6) with the AEAD limits counted per connection (§6.6).
 */
#include <string.h>

#include "conn_int.h"

static int
crypto_to_quic(int rc)
{
	if (rc == 0)
		return 0;
	return rc == CRYPTO_ERR_NOMEM ? QUIC_ERR_NOMEM : QUIC_ERR_CRYPTO;
}

/* AEAD (and, when hp is not NULL, header protection) for one traffic secret. */
static int
make_keys(struct quic_conn *c, enum crypto_suite suite, const uint8_t *secret, size_t len,
	  struct crypto_aead **aead, struct crypto_hp **hp)
{
	struct crypto_quic_keys k;
	int rc;

	rc = crypto_quic_derive_keys(c->cfg->crypto, c->version, suite, secret, len, &k);
	if (rc == 0)
		rc = crypto_aead_new(aead, c->cfg->crypto, suite, k.key, k.iv);
	if (rc == 0 && hp != NULL) {
		rc = crypto_hp_new(hp, c->cfg->crypto, suite, k.hp);
		if (rc != 0) {
			crypto_aead_free(*aead);
			*aead = NULL;
		}
	}
	crypto_wipe(&k, sizeof(k));
	return crypto_to_quic(rc);
}

static void
keys_clear(struct conn_keys *k)
{
	crypto_aead_free(k->aead);
	crypto_hp_free(k->hp);
	k->aead = NULL;
	k->hp = NULL;
}

int
quic_conn_keys_initial(struct quic_conn *c, const uint8_t *dcid, size_t dcid_len)
{
	uint8_t cs[CRYPTO_INITIAL_SECRET_LEN], ss[CRYPTO_INITIAL_SECRET_LEN];
	const enum crypto_suite suite = CRYPTO_SUITE_AES_128_GCM_SHA256; /* RFC 9001 §5.2 */
	int rc;

	keys_clear(&c->rx[LVL_INITIAL]);
	keys_clear(&c->tx[LVL_INITIAL]);
	rc = crypto_quic_initial_secrets(c->cfg->crypto, c->version, dcid, dcid_len, cs, ss);
	if (rc != 0)
		return crypto_to_quic(rc);
	rc = make_keys(c, suite, c->is_server ? ss : cs, sizeof(cs), &c->tx[LVL_INITIAL].aead,
		       &c->tx[LVL_INITIAL].hp);
	if (rc == 0)
		rc = make_keys(c, suite, c->is_server ? cs : ss, sizeof(cs),
			       &c->rx[LVL_INITIAL].aead, &c->rx[LVL_INITIAL].hp);
	crypto_wipe(cs, sizeof(cs));
	crypto_wipe(ss, sizeof(ss));
	if (rc != 0) {
		keys_clear(&c->rx[LVL_INITIAL]);
		keys_clear(&c->tx[LVL_INITIAL]);
	}
	return rc;
}

/* The secret of the next generation, RFC 9001 §6.1 ("quic ku"). */
static int
next_secret(struct quic_conn *c, uint8_t *secret)
{
	uint8_t next[CRYPTO_MAX_SECRET_LEN];
	int rc;

	rc = crypto_quic_key_update(c->cfg->crypto, c->version, c->app.suite, secret,
				    c->app.secret_len, next);
	if (rc == 0)
		memcpy(secret, next, c->app.secret_len);
	crypto_wipe(next, sizeof(next));
	return crypto_to_quic(rc);
}

/* Derive the receive key of generation rx_gen + 1 ahead of time (RFC 9001 §6.3). */
static int
derive_rx_next(struct quic_conn *c)
{
	uint8_t s[CRYPTO_MAX_SECRET_LEN];
	int rc;

	memcpy(s, c->app.rx_secret, c->app.secret_len);
	rc = next_secret(c, s);
	if (rc == 0)
		rc = make_keys(c, c->app.suite, s, c->app.secret_len, &c->app.rx_next, NULL);
	crypto_wipe(s, sizeof(s));
	return rc;
}

static int
install_app(struct quic_conn *c, enum tls_dir dir, enum crypto_suite suite, const uint8_t *secret,
	    size_t len)
{
	struct conn_app_keys *a = &c->app;
	int rc;

	a->suite = suite;
	a->secret_len = len;
	if (dir == TLS_DIR_WRITE) {
		memcpy(a->tx_secret, secret, len);
		rc = make_keys(c, suite, secret, len, &a->tx_cur, &a->tx_hp);
		c->app_tx_ready = rc == 0;
		return rc;
	}
	memcpy(a->rx_secret, secret, len);
	rc = make_keys(c, suite, secret, len, &a->rx_cur, &a->rx_hp);
	if (rc == 0)
		rc = derive_rx_next(c);
	c->app_rx_ready = rc == 0;
	c->keys_changed = true;
	return rc;
}

/*
 * 0-RTT keys (RFC 9001 §4.6.1, §5.1): written by a client right after its ClientHello when it
 * attempts early data, read by a server that accepted it. Held 0-RTT packets are replayed.
 */
static int
install_zrtt(struct quic_conn *c, enum tls_dir dir, enum crypto_suite suite, const uint8_t *secret,
	     size_t len)
{
	struct conn_keys *k = quic_conn_zrtt_keys(c);

	if (c->is_server != (dir == TLS_DIR_READ) || c->zrtt_over)
		return QUIC_ERR_INVAL; /* a server never sends 0-RTT (RFC 9001 §4.6.1) */
	keys_clear(k);
	if (dir == TLS_DIR_READ)
		c->keys_changed = true;
	return make_keys(c, suite, secret, len, &k->aead, &k->hp);
}

int
quic_conn_keys_on_secret(void *arg, enum tls_level level, enum tls_dir dir, enum crypto_suite suite,
			 const uint8_t *secret, size_t len)
{
	struct quic_conn *c = arg;
	struct conn_keys *k;
	int rc;

	if (len > CRYPTO_MAX_SECRET_LEN)
		return -1;
	switch (level) {
	case TLS_LEVEL_HANDSHAKE:
		k = dir == TLS_DIR_READ ? &c->rx[LVL_HANDSHAKE] : &c->tx[LVL_HANDSHAKE];
		keys_clear(k);
		rc = make_keys(c, suite, secret, len, &k->aead, &k->hp);
		if (rc == 0 && dir == TLS_DIR_READ)
			c->keys_changed = true;
		if (rc == 0 && !c->is_server && dir == TLS_DIR_WRITE)
			quic_recovery_set_handshake_keys(c->rec, c->now);
		return rc == 0 ? 0 : -1;
	case TLS_LEVEL_APPLICATION:
		rc = install_app(c, dir, suite, secret, len);
		/* RFC 9001 §4.9.3: a client sends no 0-RTT once it has 1-RTT keys. */
		if (rc == 0 && !c->is_server && dir == TLS_DIR_WRITE)
			keys_clear(quic_conn_zrtt_keys(c));
		return rc == 0 ? 0 : -1;
	case TLS_LEVEL_EARLY:
		return install_zrtt(c, dir, suite, secret, len) == 0 ? 0 : -1;
	default:
		return -1;
	}
}

void
quic_conn_keys_zrtt_discard(struct quic_conn *c)
{
	keys_clear(quic_conn_zrtt_keys(c));
	c->zrtt_over = true;
}

void
quic_conn_keys_free_level(struct quic_conn *c, enum conn_level level)
{
	struct conn_app_keys *a = &c->app;

	if (level != LVL_APP) {
		keys_clear(&c->rx[level]);
		keys_clear(&c->tx[level]);
		return;
	}
	crypto_aead_free(a->rx_cur);
	crypto_aead_free(a->rx_next);
	crypto_aead_free(a->rx_prev);
	crypto_aead_free(a->tx_cur);
	crypto_hp_free(a->rx_hp);
	crypto_hp_free(a->tx_hp);
	crypto_wipe(a->rx_secret, sizeof(a->rx_secret));
	crypto_wipe(a->tx_secret, sizeof(a->tx_secret));
	a->rx_cur = a->rx_next = a->rx_prev = a->tx_cur = NULL;
	a->rx_hp = a->tx_hp = NULL;
	c->app_rx_ready = c->app_tx_ready = false;
}

void
quic_conn_keys_free_all(struct quic_conn *c)
{
	keys_clear(quic_conn_zrtt_keys(c));
	quic_conn_keys_free_level(c, LVL_INITIAL);
	quic_conn_keys_free_level(c, LVL_HANDSHAKE);
	quic_conn_keys_free_level(c, LVL_APP);
}

bool
quic_conn_keys_rx_ready(const struct quic_conn *c, enum conn_level level)
{
	if (c->discarded[level])
		return false;
	return level == LVL_APP ? c->app_rx_ready : c->rx[level].aead != NULL;
}

bool
quic_conn_keys_tx_ready(const struct quic_conn *c, enum conn_level level)
{
	if (c->discarded[level])
		return false;
	return level == LVL_APP ? c->app_tx_ready : c->tx[level].aead != NULL;
}

struct crypto_aead *
quic_conn_keys_app_rx(struct quic_conn *c, bool phase, uint64_t pn, uint64_t *gen)
{
	struct conn_app_keys *a = &c->app;

	if (phase == ((a->rx_gen & 1) != 0)) {
		*gen = a->rx_gen;
		return a->rx_cur;
	}
	/* RFC 9001 §6.5: an old phase below the first packet of the current one is a late
	 * packet of the previous generation; anything else is the peer's next update. */
	if (a->rx_prev != NULL && pn < a->rx_first_pn) {
		*gen = a->rx_gen - 1;
		return a->rx_prev;
	}
	*gen = a->rx_gen + 1;
	return a->rx_next;
}

struct crypto_aead *
quic_conn_keys_app_rx_old(struct quic_conn *c, bool phase, uint64_t pn)
{
	struct conn_app_keys *a = &c->app;

	if (phase == ((a->rx_gen & 1) != 0) || pn < a->rx_first_pn)
		return NULL;
	return a->rx_prev;
}

/* Move our sending side to the next generation. */
static int
tx_update(struct quic_conn *c)
{
	struct conn_app_keys *a = &c->app;
	struct crypto_aead *aead = NULL;
	uint8_t s[CRYPTO_MAX_SECRET_LEN];
	int rc;

	memcpy(s, a->tx_secret, a->secret_len);
	rc = next_secret(c, s);
	if (rc == 0)
		rc = make_keys(c, a->suite, s, a->secret_len, &aead, NULL);
	if (rc == 0) {
		crypto_aead_free(a->tx_cur);
		a->tx_cur = aead;
		memcpy(a->tx_secret, s, a->secret_len);
		a->tx_gen++;
		a->tx_acked = false;
		a->tx_first_pn = quic_recovery_next_pn(c->rec, QUIC_PN_SPACE_APP);
		c->stats.key_updates++;
	}
	crypto_wipe(s, sizeof(s));
	return rc;
}

/* The peer moved to rx_gen + 1: rotate receive keys (RFC 9001 §6.2, §6.3). */
static int
rx_rotate(struct quic_conn *c, uint64_t pn)
{
	struct conn_app_keys *a = &c->app;
	int rc;

	crypto_aead_free(a->rx_prev);
	a->rx_prev = a->rx_cur;
	a->rx_cur = a->rx_next;
	a->rx_next = NULL;
	rc = next_secret(c, a->rx_secret);
	a->rx_gen++;
	a->rx_first_pn = pn;
	a->prev_discard_at = c->now + quic_conn_3pto(c);
	if (rc == 0)
		rc = derive_rx_next(c);
	return rc;
}

int
quic_conn_keys_app_opened(struct quic_conn *c, uint64_t gen, uint64_t pn)
{
	struct conn_app_keys *a = &c->app;
	int rc;

	if (gen == a->rx_gen) {
		if (pn < a->rx_first_pn)
			a->rx_first_pn = pn;
		return 0;
	}
	if (gen + 1 == a->rx_gen)
		return 0; /* chosen only below rx_first_pn: a late packet (§6.5) */
	/*
	 * The peer's next phase. RFC 9001 §6.2: no update before the handshake is confirmed
	 * (bad-input C30, MAY). (§6.4 needs no check here: the previous key is only tried for
	 * packet numbers below the first one of the current phase.)
	 */
	if (!c->hs_confirmed) {
		quic_conn_close_transport(c, QUIC_KEY_UPDATE_ERROR, 0, "key update");
		return QUIC_ERR_PROTOCOL;
	}
	rc = rx_rotate(c, pn);
	if (rc == 0 && a->tx_gen < a->rx_gen)
		rc = tx_update(c); /* answer a peer-initiated update (§6.2) */
	return rc;
}

int
quic_conn_keys_app_update(struct quic_conn *c)
{
	struct conn_app_keys *a = &c->app;

	/* RFC 9001 §6.1: only once confirmed, and once the current phase was acknowledged. */
	if (!c->hs_confirmed || !c->app_tx_ready || !a->tx_acked || a->tx_gen != a->rx_gen ||
	    a->rx_next == NULL)
		return QUIC_ERR_STREAM_STATE;
	return tx_update(c);
}

void
quic_conn_keys_app_acked(struct quic_conn *c, uint64_t gen)
{
	if (gen == c->app.tx_gen)
		c->app.tx_acked = true;
}

void
quic_conn_keys_timeout(struct quic_conn *c, uint64_t now)
{
	struct conn_app_keys *a = &c->app;

	if (a->rx_prev != NULL && now >= a->prev_discard_at) {
		crypto_aead_free(a->rx_prev);
		a->rx_prev = NULL;
		a->prev_discard_at = QUIC_TIMER_NONE;
	}
}

/* A configured limit, never above the RFC's (RFC 9001 §6.6); 0 means the RFC's. */
static uint64_t
limit_of(uint64_t configured, uint64_t rfc)
{
	return configured != 0 && configured < rfc ? configured : rfc;
}

bool
quic_conn_keys_auth_failed(struct quic_conn *c, enum conn_level level)
{
	if (level != LVL_APP || !c->app_rx_ready)
		return false;
	c->app.integrity_failures++;
	return c->app.integrity_failures >=
	       limit_of(c->cfg->aead_integrity_limit, crypto_suite_integrity_limit(c->app.suite));
}

int
quic_conn_keys_tx_limit(struct quic_conn *c, unsigned pending)
{
	struct conn_app_keys *a = &c->app;
	uint64_t limit, sealed;

	if (!c->app_tx_ready || a->tx_cur == NULL)
		return 0;
	limit = limit_of(c->cfg->aead_confidentiality_limit,
			 crypto_suite_confidentiality_limit(a->suite));
	sealed = crypto_aead_sealed(a->tx_cur);
	/* RFC 9001 §6.6: update well before the limit: half of it is left for the peer to
	 * acknowledge the current phase first (§6.1 allows no update before that). */
	if (sealed >= limit / 2)
		a->update_requested = true;
	return sealed + pending >= limit ? QUIC_ERR_AEAD_LIMIT : 0;
}
