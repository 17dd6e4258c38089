/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Connection lifecycle and public API: creation for both roles (RFC 9000 §7, §14.1), transport
 * parameters (§7.3, §7.4, §18), handshake progress and key discarding (RFC 9001 §4.1.2, §4.9),
 * timers (RFC 9002 §6, RFC 9000 §10.1), closing and draining (§10.2), events and streams.
 */
#include <stdlib.h>
#include <string.h>

#include "conn_int.h"

#define SERVER_CID_LEN	   16
#define CLIENT_DCID_LEN	   16 /* RFC 9000 §7.2: at least 8 */
#define STREAM_POOL_CAP	   1024
#define CHUNK_POOL_CAP	   65536
#define HANDSHAKE_SENT_CAP 64
#define CRYPTO_RANGES	   64

static uint64_t
min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static uint64_t
sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* ---- configuration and addresses ---- */

void
quic_conn_config_default(struct quic_conn_config *cfg, enum quic_role role)
{
	struct quic_tparams *tp = &cfg->tparams;

	memset(cfg, 0, sizeof(*cfg));
	cfg->role = role;
	cfg->versions[0] = QUIC_VERSION_1;
	cfg->versions[1] = QUIC_VERSION_2;
	cfg->n_versions = 2;
	quic_tparams_init_default(tp);
	quic_tparams_set_int(tp, QUIC_TP_MAX_IDLE_TIMEOUT, QUIC_CONN_DEFAULT_IDLE_TIMEOUT_MS);
	quic_tparams_set_int(tp, QUIC_TP_MAX_UDP_PAYLOAD_SIZE, QUIC_CONN_DEFAULT_MAX_UDP_PAYLOAD);
	quic_tparams_set_int(tp, QUIC_TP_INITIAL_MAX_DATA, QUIC_CONN_DEFAULT_CONN_WINDOW);
	quic_tparams_set_int(tp, QUIC_TP_INITIAL_MAX_STREAM_DATA_BIDI_LOCAL,
			     QUIC_CONN_DEFAULT_STREAM_WINDOW);
	quic_tparams_set_int(tp, QUIC_TP_INITIAL_MAX_STREAM_DATA_BIDI_REMOTE,
			     QUIC_CONN_DEFAULT_STREAM_WINDOW);
	quic_tparams_set_int(tp, QUIC_TP_INITIAL_MAX_STREAM_DATA_UNI,
			     QUIC_CONN_DEFAULT_STREAM_WINDOW);
	quic_tparams_set_int(tp, QUIC_TP_INITIAL_MAX_STREAMS_BIDI, QUIC_CONN_DEFAULT_MAX_STREAMS);
	quic_tparams_set_int(tp, QUIC_TP_INITIAL_MAX_STREAMS_UNI, QUIC_CONN_DEFAULT_MAX_STREAMS);
	quic_tparams_set_int(tp, QUIC_TP_ACTIVE_CONNECTION_ID_LIMIT, 4);
}

bool
quic_addr_equal(const struct quic_addr *a, const struct quic_addr *b)
{
	size_t n = a->family == QUIC_AF_INET ? 4 : 16;

	return a->family == b->family && a->port == b->port && memcmp(a->ip, b->ip, n) == 0;
}

bool
quic_path_equal(const struct quic_path *a, const struct quic_path *b)
{
	return quic_addr_equal(&a->local, &b->local) && quic_addr_equal(&a->remote, &b->remote);
}

/* ---- small helpers ---- */

static bool
same_cid_of(const struct quic_cid *a, const uint8_t *b, size_t len)
{
	return a->len == len && (len == 0 || memcmp(a->data, b, len) == 0);
}

int
quic_conn_random(struct quic_conn *c, uint8_t *buf, size_t len)
{
	return crypto_rand_bytes(&c->rand, buf, len) == 0 ? 0 : QUIC_ERR_CRYPTO;
}

uint64_t
quic_conn_3pto(const struct quic_conn *c)
{
	return 3 * quic_recovery_pto_period(c->rec, QUIC_PN_SPACE_APP);
}

void
quic_conn_idle_restart(struct quic_conn *c, uint64_t now)
{
	uint64_t t = c->idle_timeout_ns;

	if (t == 0) {
		c->idle_deadline = QUIC_TIMER_NONE;
		return;
	}
	/* RFC 9000 §10.1: at least three PTOs, so that probes get a chance first. */
	if (t < quic_conn_3pto(c))
		t = quic_conn_3pto(c);
	c->idle_deadline = sat_add(now, t);
}

void
quic_conn_event(struct quic_conn *c, enum quic_event_type type, uint64_t stream_id,
		uint64_t error_code)
{
	struct quic_event *ev;

	if (c->ev_n == CONN_EV_RING)
		return; /* only connection-level events go here; they are few */
	if (c->ev == NULL) {
		c->ev = malloc(CONN_EV_RING * sizeof(*c->ev));
		if (c->ev == NULL)
			return; /* as when the ring is full: the event is lost */
		c->ev_allocs++;
		c->ev_head = 0;
	}
	ev = &c->ev[(c->ev_head + c->ev_n) % CONN_EV_RING];
	ev->type = type;
	ev->stream_id = stream_id;
	ev->error_code = error_code;
	c->ev_n++;
}

/* A CID of ours with its reset token: QUIC-LB with lb, random otherwise. */
static int
mint_cid(struct quic_conn *c, struct quic_cid *cid, uint8_t token[QUIC_RESET_TOKEN_LEN])
{
	const struct quic_conn_config *cfg = c->cfg;
	int rc;

	if (cfg->lb != NULL) {
		rc = quic_lb_encode(cfg->lb, cfg->worker, &c->rand, cid);
	} else {
		cid->len = c->scid_len;
		rc = quic_conn_random(c, cid->data, cid->len);
	}
	if (rc != 0)
		return rc;
	if (cfg->reset_key != NULL)
		return quic_reset_token(cfg->crypto, cfg->reset_key, cfg->reset_key_len, cid->data,
					cid->len, token);
	return quic_conn_random(c, token, QUIC_RESET_TOKEN_LEN);
}

/* ---- creation ---- */

/*
 * The worker's pools, or (no pools configured) two of the connection's own, allocated out of
 * line: a server's connections all use their worker's, and 112 bytes each would be wasted.
 */
static int
conn_pools(struct quic_conn *c)
{
	int rc;

	c->stream_pool = c->cfg->stream_pool;
	c->chunk_pool = c->cfg->chunk_pool;
	if (c->stream_pool != NULL && c->chunk_pool != NULL)
		return 0;
	c->own = calloc(1, sizeof(*c->own));
	if (c->own == NULL)
		return QUIC_ERR_NOMEM;
	rc = quic_stream_pool_init(&c->own->streams, STREAM_POOL_CAP, 0);
	if (rc == 0) {
		rc = quic_chunk_pool_init(&c->own->chunks, CHUNK_POOL_CAP, 0);
		if (rc != 0)
			quic_pool_fini(&c->own->streams);
	}
	if (rc != 0) {
		free(c->own);
		c->own = NULL;
		return rc;
	}
	c->stream_pool = &c->own->streams;
	c->chunk_pool = &c->own->chunks;
	return 0;
}

static int
conn_recovery(struct quic_conn *c, uint64_t now)
{
	struct quic_recovery_config rc;
	uint8_t seed[8];

	quic_recovery_config_default(&rc);
	rc.cc_algo = c->cfg->cc_algo;
	rc.sent_cap = c->cfg->sent_cap != 0 ? c->cfg->sent_cap : QUIC_CONN_DEFAULT_SENT_CAP;
	rc.sent_cap_handshake = HANDSHAKE_SENT_CAP;
	c->sent_cap[LVL_INITIAL] = c->sent_cap[LVL_HANDSHAKE] = HANDSHAKE_SENT_CAP;
	c->sent_cap[LVL_APP] = rc.sent_cap;
	if (c->cfg->initial_rtt_ns != 0)
		rc.initial_rtt_ns = c->cfg->initial_rtt_ns;
	rc.is_server = c->is_server;
	rc.ecn = false; /* the I/O layer does not report ECN marks to us (yet) */
	rc.on_pkt = quic_conn_on_pkt_fate;
	rc.ctx = c;
	rc.pool = c->chunk_pool;
	if (quic_conn_random(c, seed, sizeof(seed)) != 0)
		return QUIC_ERR_CRYPTO;
	memcpy(&rc.skip_seed, seed, sizeof(seed));
	(void)now;
	if (quic_recovery_new(&c->rec, &rc) != 0)
		return QUIC_ERR_NOMEM;
	return quic_conn_sent_init(c, rc.sent_cap + 2 * HANDSHAKE_SENT_CAP + 8);
}

static int
conn_streams(struct quic_conn *c)
{
	/* The largest gap count: a lossy path with a large window makes many legitimately. */
	struct quic_streams_config sc = {.is_server = c->is_server, .max_gaps = QUIC_RBUF_GAPS_MAX};
	const struct quic_tparams *tp = &c->tp->local;
	int rc, i;

	rc = quic_streams_init(&c->streams, &sc, tp, c->stream_pool, c->chunk_pool);
	if (rc != 0)
		return rc;
	c->streams_ready = true;
	rc = quic_ackgen_init(&c->ack, tp->max_ack_delay * 1000000,
			      (uint8_t)tp->ack_delay_exponent);
	c->hs = calloc(1, sizeof(*c->hs));
	if (rc == 0 && c->hs == NULL)
		rc = QUIC_ERR_NOMEM;
	for (i = 0; i < LVL_COUNT && rc == 0; i++) {
		struct conn_crypto_tx *ct = quic_conn_crypto_tx(c, (enum conn_level)i);

		rc = quic_rbuf_init_crypto(quic_conn_crypto_rx(c, (enum conn_level)i),
					   c->chunk_pool, QUIC_CRYPTO_BUF_DEFAULT);
		quic_rangeset_init(&ct->lost, CRYPTO_RANGES);
		quic_rangeset_init(&ct->acked, CRYPTO_RANGES);
	}
	c->crypto_ready = rc == 0;
	return rc;
}

/* Free the handshake-only state (struct conn_hs), whatever of it is still there. */
static void
conn_hs_free(struct quic_conn *c)
{
	int i;

	if (c->hs == NULL)
		return;
	for (i = 0; i < LVL_APP && c->crypto_ready; i++) {
		quic_rbuf_fini(&c->hs->crypto_rx[i]);
		quic_conn_crypto_tx_fini(c, (enum conn_level)i);
	}
	for (i = 0; i < CONN_RX_HOLD; i++)
		free(c->hs->held[i].data);
	free(c->hs);
	c->hs = NULL;
}

/*
 * A zeroed struct quic_conn, from the worker's pool when it has one: the struct is over the
 * heap's per-thread cache sizes, so malloc and free of it took the heap's slow paths (bin
 * searches, consolidation) at every handshake.
 */
static struct quic_conn *
conn_obj_get(const struct quic_conn_config *cfg)
{
	struct quic_conn *c = cfg->conn_pool != NULL ? quic_pool_get(cfg->conn_pool) : NULL;

	if (c == NULL)
		return calloc(1, sizeof(*c));
	memset(c, 0, sizeof(*c));
	c->cfg = cfg; /* conn_obj_put() finds the pool there */
	c->pooled = true;
	return c;
}

/* Wipe c (it held secrets and peer data) and give it back where conn_obj_get() took it. */
static void
conn_obj_put(struct quic_conn *c)
{
	struct quic_pool *pool = c->pooled ? c->cfg->conn_pool : NULL;

	crypto_wipe(c, sizeof(*c));
	if (pool != NULL)
		quic_pool_put(pool, c);
	else
		free(c);
}

size_t
quic_conn_obj_size(void)
{
	return sizeof(struct quic_conn);
}

static int
conn_alloc(struct quic_conn **out, const struct quic_conn_config *cfg, uint32_t version,
	   const struct quic_path *path, uint64_t now)
{
	struct quic_conn *c;
	int rc;

	if (cfg->crypto == NULL || cfg->n_versions == 0 || cfg->n_versions > QUIC_CONN_MAX_VERSIONS)
		return QUIC_ERR_INVAL;
	c = conn_obj_get(cfg);
	if (c != NULL && (c->tp = calloc(1, sizeof(*c->tp))) == NULL) {
		conn_obj_put(c);
		c = NULL;
	}
	if (c == NULL)
		return QUIC_ERR_NOMEM;
	c->cfg = cfg;
	c->is_server = cfg->role == QUIC_ROLE_SERVER;
	c->version = version;
	c->path = *path;
	c->rand = cfg->rand;
	c->now = now;
	c->tp->local = cfg->tparams;
	c->peer_max_udp = QUIC_TP_DEFAULT_MAX_UDP_PAYLOAD_SIZE;
	c->app.rx_first_pn = UINT64_MAX;
	c->app.prev_discard_at = QUIC_TIMER_NONE;
	c->idle_deadline = c->pacing_at = c->close.deadline = QUIC_TIMER_NONE;
	c->idle_timeout_ns = c->tp->local.max_idle_timeout * 1000000;
	*out = c;
	rc = conn_pools(c);
	if (rc == 0)
		rc = conn_recovery(c, now);
	if (rc == 0)
		rc = conn_streams(c);
	return rc;
}

/* ---- resumption and 0-RTT (RFC 9001 §4.6, RFC 9000 §7.4.1) ---- */

/*
 * Server: TLS would accept 0-RTT from a ticket whose remembered transport parameters are tp.
 * RFC 9000 §7.4.1: only when none of the limits the client may use in 0-RTT is now smaller
 * (and RFC 9221 §3 for max_datagram_frame_size), and the operator did not turn 0-RTT off.
 */
static bool
accept_early_data(void *arg, const char *alpn, const uint8_t *tp, size_t len)
{
	struct quic_conn *c = arg;
	const struct quic_tparams *now = &c->tp->local;
	struct quic_tparams old;

	(void)alpn; /* TLS checks that 0-RTT keeps the ALPN (RFC 9846 §4.2.10) */
	/* 0-RTT keys are made for the client's version: none after a switch (RFC 9368 §2.3). */
	if (c->cfg->reject_early_data || tp == NULL || c->version != c->orig_version ||
	    quic_tparams_decode(&old, tp, len, QUIC_TP_FROM_SERVER) != 0)
		return false;
	return now->active_connection_id_limit >= old.active_connection_id_limit &&
	       now->initial_max_data >= old.initial_max_data &&
	       now->initial_max_stream_data_bidi_local >= old.initial_max_stream_data_bidi_local &&
	       now->initial_max_stream_data_bidi_remote >=
		       old.initial_max_stream_data_bidi_remote &&
	       now->initial_max_stream_data_uni >= old.initial_max_stream_data_uni &&
	       now->initial_max_streams_bidi >= old.initial_max_streams_bidi &&
	       now->initial_max_streams_uni >= old.initial_max_streams_uni &&
	       (!quic_tparams_has(&old, QUIC_TP_MAX_DATAGRAM_FRAME_SIZE) ||
		(quic_tparams_has(now, QUIC_TP_MAX_DATAGRAM_FRAME_SIZE) &&
		 now->max_datagram_frame_size >= old.max_datagram_frame_size));
}

static void
session_free(struct quic_conn *c)
{
	if (c->session != NULL)
		crypto_wipe(c->session, sizeof(*c->session) + c->session->len);
	free(c->session);
	c->session = NULL;
}

/* Client: a NewSessionTicket arrived; keep the newest session for the application. */
static void
on_session(void *arg, const uint8_t *blob, size_t len)
{
	struct quic_conn *c = arg;
	struct conn_session *copy;

	if (len == 0 || (copy = malloc(sizeof(*copy) + len)) == NULL)
		return; /* no session to offer later: a full handshake next time */
	copy->len = len;
	memcpy(copy->data, blob, len);
	session_free(c);
	c->session = copy;
	quic_conn_event(c, QUIC_EV_SESSION, 0, 0);
}

/*
 * Client attempting 0-RTT: the server's remembered limits apply to what it sends before the
 * handshake gives the new ones (RFC 9000 §7.4.1); limits only grow afterwards. Without
 * usable remembered parameters there is no 0-RTT.
 */
static void
zrtt_remember(struct quic_conn *c)
{
	struct quic_tparams tp;
	size_t len = 0;
	const uint8_t *buf = tls_conn_session_tparams(c->tls, &len);

	if (buf == NULL || quic_tparams_decode(&tp, buf, len, QUIC_TP_FROM_SERVER) != 0) {
		quic_conn_keys_zrtt_discard(c);
		return;
	}
	quic_streams_set_peer_params(&c->streams, &tp);
	c->zrtt_params = true;
}

/* Encode our transport parameters and start the TLS engine. */
static int
conn_tls(struct quic_conn *c, uint64_t now)
{
	uint8_t tp[512];
	struct crypto_wr w;
	int rc;

	c->tls_cb = (struct tls_callbacks){.secret = quic_conn_keys_on_secret,
					   .accept_early_data = accept_early_data,
					   .session = on_session,
					   .arg = c};
	quic_conn_vneg_local(c);
	crypto_wr_init(&w, tp, sizeof(tp));
	rc = quic_tparams_encode(&w, &c->tp->local,
				 c->is_server ? QUIC_TP_FROM_SERVER : QUIC_TP_FROM_CLIENT);
	if (rc != 0)
		return QUIC_ERR_INVAL;
	if (c->is_server)
		rc = tls_conn_new_server(&c->tls, c->cfg->tls_server, c->cfg->crypto, tp,
					 crypto_wr_len(&w), &c->tls_cb);
	else
		rc = tls_conn_new_client(&c->tls, c->cfg->tls_client, c->cfg->crypto,
					 c->cfg->server_name, tp, crypto_wr_len(&w), &c->tls_cb);
	/* A session that cannot be used (expired, another server) just means no resumption. */
	if (rc == 0 && !c->is_server && c->cfg->session != NULL &&
	    tls_conn_set_session(c->tls, c->cfg->session, c->cfg->session_len, now / 1000000) < 0)
		rc = TLS_ERR_INVAL;
	if (rc == 0 && !c->is_server)
		rc = tls_conn_start(c->tls, now / 1000000);
	if (rc != 0)
		return rc == TLS_ERR_NOMEM ? QUIC_ERR_NOMEM : QUIC_ERR_CRYPTO;
	if (!c->is_server && quic_conn_zrtt_aead(c) != NULL)
		zrtt_remember(c);
	return quic_conn_tls_collect(c);
}

int
quic_conn_server_tls(struct quic_conn *c)
{
	bool wait = false;
	int rc = quic_conn_vneg_server(c, &wait);

	if (rc != 0 || wait)
		return rc != 0 ? rc : 1;
	return conn_tls(c, c->now);
}

int
quic_conn_new_client(struct quic_conn **out, const struct quic_conn_config *cfg,
		     const struct quic_path *path, uint64_t now_ns)
{
	struct quic_conn *c = NULL;
	int rc;

	if (out == NULL || cfg == NULL || path == NULL || cfg->tls_client == NULL ||
	    cfg->role != QUIC_ROLE_CLIENT || !quic_version_supported(cfg->versions[0]))
		return QUIC_ERR_INVAL;
	rc = conn_alloc(&c, cfg, cfg->versions[0], path, now_ns);
	if (rc != 0)
		goto fail;
	c->scid_len = cfg->cid_len != 0 ? cfg->cid_len : QUIC_CONN_CLIENT_CID_LEN;
	c->validated = true;
	c->odcid.len = CLIENT_DCID_LEN;
	rc = quic_conn_random(c, c->odcid.data, c->odcid.len);
	if (rc == 0)
		rc = quic_conn_random(c, c->hs_scid.data, c->scid_len);
	if (rc != 0)
		goto fail;
	c->hs_scid.len = c->scid_len;
	c->init_dcid = c->odcid;
	quic_conn_qlog_open(c);
	c->orig_version = c->version;
	quic_local_cids_init(&c->lcids, c->hs_scid.data, c->hs_scid.len, NULL);
	quic_peer_cids_init(&c->pcids, c->tp->local.active_connection_id_limit, c->odcid.data,
			    c->odcid.len, NULL);
	quic_tparams_set_cid(&c->tp->local, QUIC_TP_INITIAL_SCID, c->hs_scid.data, c->hs_scid.len);
	rc = quic_conn_keys_initial(c, c->odcid.data, c->odcid.len);
	if (rc == 0)
		rc = conn_tls(c, now_ns);
	if (rc != 0)
		goto fail;
	quic_conn_idle_restart(c, now_ns);
	*out = c;
	return 0;
fail:
	quic_conn_free(c);
	return rc;
}

/* The checks of a first Initial before any state (RFC 9000 §7.2, §14.1; bad-input A7, A8). */
static int
check_first_initial(const struct quic_conn_config *cfg, const uint8_t *dgram, size_t len,
		    struct quic_packet_hdr *h)
{
	size_t i;
	int rc = quic_packet_parse(dgram, len, 0, h);

	if (rc == QUIC_ERR_VERSION)
		return QUIC_ERR_VERSION;
	if (rc != 0 || h->type != QUIC_PKT_INITIAL || len < 1200)
		return QUIC_ERR_MALFORMED;
	if (h->token_len == 0 && h->dcid_len < 8)
		return QUIC_ERR_MALFORMED;
	for (i = 0; i < cfg->n_versions; i++)
		if (cfg->versions[i] == h->version)
			return 0;
	return QUIC_ERR_VERSION;
}

/* A token in the first Initial: a valid Retry token validates the path (RFC 9000 §8.1.2). */
static void
server_token(struct quic_conn *c, const struct quic_packet_hdr *h, const struct quic_path *path)
{
	const struct quic_token_ops *ops = c->cfg->tokens;
	struct quic_token_info info;

	if (h->token_len == 0 || ops == NULL || ops->validate == NULL ||
	    ops->validate(ops->arg, h->token, h->token_len, &path->remote, c->now, &info) != 0)
		return;
	c->validated = true;
	if (info.kind != QUIC_TOKEN_RETRY)
		return;
	c->retried = true;
	c->odcid = info.odcid;
	c->retry_scid.len = (uint8_t)h->dcid_len;
	memcpy(c->retry_scid.data, h->dcid, h->dcid_len);
}

/* Server CIDs and the CID transport parameters (RFC 9000 §7.3). */
static int
server_cids(struct quic_conn *c, const struct quic_packet_hdr *h)
{
	struct quic_tparams *tp = &c->tp->local;
	uint8_t token[QUIC_RESET_TOKEN_LEN];
	int rc;

	c->scid_len = c->cfg->lb != NULL
			      ? (uint8_t)quic_lb_cid_len(c->cfg->lb)
			      : (c->cfg->cid_len != 0 ? c->cfg->cid_len : SERVER_CID_LEN);
	rc = mint_cid(c, &c->hs_scid, token);
	if (rc != 0)
		return rc;
	quic_local_cids_init(&c->lcids, c->hs_scid.data, c->hs_scid.len, token);
	c->peer_scid.len = (uint8_t)h->scid_len;
	memcpy(c->peer_scid.data, h->scid, h->scid_len);
	c->peer_scid_known = true;
	quic_peer_cids_init(&c->pcids, tp->active_connection_id_limit, h->scid, h->scid_len, NULL);
	c->init_dcid.len = (uint8_t)h->dcid_len;
	memcpy(c->init_dcid.data, h->dcid, h->dcid_len);
	if (!c->retried)
		c->odcid = c->init_dcid;
	quic_tparams_set_cid(tp, QUIC_TP_ORIGINAL_DCID, c->odcid.data, c->odcid.len);
	quic_tparams_set_cid(tp, QUIC_TP_INITIAL_SCID, c->hs_scid.data, c->hs_scid.len);
	if (c->retried)
		quic_tparams_set_cid(tp, QUIC_TP_RETRY_SCID, c->retry_scid.data, c->retry_scid.len);
	memcpy(tp->stateless_reset_token, token, QUIC_RESET_TOKEN_LEN);
	tp->present |= QUIC_TP_BIT(QUIC_TP_STATELESS_RESET_TOKEN);
	return 0;
}

int
quic_conn_accept(struct quic_conn **out, const struct quic_conn_config *cfg, const uint8_t *dgram,
		 size_t len, const struct quic_path *path, uint64_t now_ns)
{
	struct quic_packet_hdr h;
	struct quic_conn *c = NULL;
	int rc;

	if (out == NULL || cfg == NULL || dgram == NULL || path == NULL ||
	    cfg->tls_server == NULL || cfg->role != QUIC_ROLE_SERVER)
		return QUIC_ERR_INVAL;
	rc = check_first_initial(cfg, dgram, len, &h);
	if (rc != 0)
		return rc;
	rc = conn_alloc(&c, cfg, h.version, path, now_ns);
	if (rc != 0)
		goto fail;
	server_token(c, &h, path);
	c->orig_version = h.version;
	rc = server_cids(c, &h);
	/* TLS starts with the ClientHello (quic_conn_server_tls()): the version may change. */
	if (rc == 0)
		quic_conn_qlog_open(c);
	if (rc == 0)
		rc = quic_conn_keys_initial(c, h.dcid, h.dcid_len);
	if (rc != 0)
		goto fail;
	quic_conn_idle_restart(c, now_ns);
	quic_conn_recv(c, dgram, len, path, now_ns);
	*out = c;
	return 0;
fail:
	quic_conn_free(c);
	return rc;
}

void
quic_conn_free(struct quic_conn *c)
{
	if (c == NULL)
		return;
	quic_conn_qlog_close(c);
	tls_conn_free(c->tls);
	free(c->tls_alpn);
	free(c->tp);
	free(c->writable);
	free(c->ev);
	quic_conn_keys_free_all(c);
	quic_recovery_free(c->rec);
	quic_ackgen_fini(&c->ack);
	quic_conn_sent_fini(c);
	conn_hs_free(c);
	if (c->crypto_ready) {
		quic_rbuf_fini(&c->crypto_rx_app);
		quic_conn_crypto_tx_fini(c, LVL_APP);
	}
	if (c->streams_ready)
		quic_streams_fini(&c->streams);
	if (c->own != NULL) {
		quic_pool_fini(&c->own->streams);
		quic_pool_fini(&c->own->chunks);
		free(c->own);
	}
	free(c->inject);
	free(c->path_resp);
	free(c->token);
	free(c->new_token);
	session_free(c);
	conn_obj_put(c);
}

/* ---- receiving ---- */

/* Closing: answer received packets with CONNECTION_CLOSE, less and less often (§10.2.1). */
static void
closing_rx(struct quic_conn *c)
{
	if (++c->close.rx_since < c->close.rx_trigger)
		return;
	c->close.send_pending = true;
	if (c->close.rx_trigger < (1u << 16))
		c->close.rx_trigger *= 2;
}

/*
 * Datagrams are opened in place, so each is copied first; one buffer per worker thread serves
 * all its connections (a datagram is done with before the next one), rather than 1500 bytes
 * in every connection (memory per connection).
 */
static _Thread_local uint8_t rx_scratch[CONN_RX_MAX_DGRAM];

static void
conn_recv(struct quic_conn *c, const uint8_t *data, size_t len, const struct quic_path *path,
	  uint64_t now_ns)
{
	if (c->state == QUIC_CONN_CLOSED)
		return;
	c->stats.dgrams_rx++;
	c->stats.bytes_rx += len;
	c->rx_path = *path;
	c->rx_len = len;
	if (c->is_server && !c->validated)
		c->stats.unvalidated_rx += len;
	if (c->pv_active && quic_path_equal(path, &c->path))
		c->pv_rx += len;
	if (c->state == QUIC_CONN_DRAINING)
		return;
	if (c->state == QUIC_CONN_CLOSING) {
		closing_rx(c);
		return;
	}
	if (len > CONN_RX_MAX_DGRAM || len == 0) {
		c->stats.pkts_dropped++;
		return;
	}
	memcpy(rx_scratch, data, len);
	c->keys_changed = false;
	quic_conn_rx_datagram(c, rx_scratch, len, false, now_ns);
	while (c->keys_changed && !quic_conn_closing(c)) {
		c->keys_changed = false;
		quic_conn_rx_replay_held(c, now_ns);
	}
	if (!quic_conn_closing(c)) {
		quic_conn_amp_update(c, now_ns);
		quic_streams_collect(&c->streams);
	}
}

int
quic_conn_recv(struct quic_conn *c, const uint8_t *data, size_t len, const struct quic_path *path,
	       uint64_t now_ns)
{
	if (c == NULL || data == NULL || path == NULL)
		return QUIC_ERR_INVAL;
	c->now = now_ns;
	conn_recv(c, data, len, path, now_ns);
	if (c->qlog.ctx != NULL)
		quic_conn_qlog_sync(c, true);
	return 0;
}

/* ---- peer address change, server side (RFC 9000 §8.2, §9.3) ---- */

void
quic_conn_on_new_path(struct quic_conn *c, const struct quic_path *path)
{
	uint64_t pto = quic_recovery_pto_period(c->rec, QUIC_PN_SPACE_APP);
	uint64_t initial_pto = 3 * QUIC_K_INITIAL_RTT_NS; /* kInitialRtt's PTO, roughly */

	if (!c->pv_active)
		c->prev_path = c->path;
	c->stats.migrations++;
	c->path = *path;
	if (quic_path_equal(path, &c->prev_path)) {
		/* Back on the last validated path: nothing to prove (§9.3, §9.3.3). */
		c->pv_active = false;
		return;
	}
	c->pv_active = true;
	c->pv_challenge_pending = true;
	if (quic_conn_random(c, c->pv_data, sizeof(c->pv_data)) != 0)
		c->pv_challenge_pending = false;
	/* §8.2.4: three times the larger of the current PTO and that of a new path. */
	c->pv_deadline = sat_add(c->now, 3 * (pto > initial_pto ? pto : initial_pto));
	c->pv_rx = c->rx_len; /* the datagram that moved us counts for the new path */
	c->pv_tx = 0;
}

void
quic_conn_on_path_response(struct quic_conn *c, const uint8_t *data)
{
	if (!c->pv_active || crypto_memcmp_ct(data, c->pv_data, sizeof(c->pv_data)) != 0)
		return; /* not ours: ignored (bad-input C29) */
	c->pv_active = false;
	c->pv_challenge_pending = false;
	c->prev_path = c->path;
	c->stats.paths_validated++;
	/* §9.3: a fresh token for the new address. */
	c->new_token_pending = c->cfg->send_new_token && c->cfg->tokens != NULL;
}

int
quic_conn_path_resp_add(struct quic_conn *c, const uint8_t *data)
{
	struct conn_path_resp *r;

	if (c->path_resp == NULL) {
		c->path_resp = calloc(1, sizeof(*c->path_resp));
		if (c->path_resp == NULL)
			return QUIC_ERR_NOMEM;
	}
	if (c->path_resp->n == CONN_PATH_RESP_MAX) {
		/* A flood, or our congestion window is starved (C28): keep the latest. */
		quic_conn_path_resp_drop(c, 0);
		c->stats.path_resp_dropped++;
	}
	r = &c->path_resp->q[c->path_resp->n++];
	r->path = c->rx_path;
	/* RFC 9000 §8.1: at most three times what the path sent us, on a server. */
	r->budget = c->is_server ? 3 * (uint64_t)c->rx_len : UINT64_MAX;
	memcpy(r->data, data, sizeof(r->data));
	return 0;
}

void
quic_conn_path_resp_drop(struct quic_conn *c, unsigned i)
{
	struct conn_path_resps *q = c->path_resp;

	memmove(&q->q[i], &q->q[i + 1], (q->n - i - 1) * sizeof(q->q[0]));
	if (--q->n == 0) {
		free(q);
		c->path_resp = NULL;
	}
}

/* §9.3.2: validation failed; back to the last validated path. */
static void
path_validation_failed(struct quic_conn *c)
{
	c->pv_active = false;
	c->pv_challenge_pending = false;
	c->path = c->prev_path;
	c->stats.paths_failed++;
}

/* ---- Version Negotiation, client side (RFC 9000 §6.2) ---- */

/* The first of our versions, in our order, that the server lists; 0 if none. */
static uint32_t
vn_pick(const struct quic_conn *c, const struct quic_packet_hdr *h)
{
	size_t i, k;

	for (i = 0; i < c->cfg->n_versions; i++)
		for (k = 0; k < h->n_versions; k++)
			if (quic_vn_version(h, k) == c->cfg->versions[i] &&
			    quic_version_supported(c->cfg->versions[i]))
				return c->cfg->versions[i];
	return 0;
}

/* Start over in another version: new Initial keys and a new ClientHello; PNs go on. */
static int
vn_restart(struct quic_conn *c, uint32_t version)
{
	struct conn_crypto_tx *ct = quic_conn_crypto_tx(c, LVL_INITIAL);

	c->version = version;
	c->orig_version = version;
	c->vn_restarted = true;
	tls_conn_free(c->tls);
	c->tls = NULL;
	ct->len = 0;
	ct->next = ct->done = 0;
	quic_rangeset_fini(&ct->lost, c->chunk_pool);
	quic_rangeset_fini(&ct->acked, c->chunk_pool);
	if (quic_conn_keys_initial(c, c->odcid.data, c->odcid.len) != 0)
		return QUIC_ERR_CRYPTO;
	return conn_tls(c, c->now);
}

void
quic_conn_on_vn(struct quic_conn *c, const uint8_t *pkt, size_t len)
{
	struct quic_packet_hdr h;
	uint32_t v;

	/* Only before anything else was processed, and only one (RFC 9000 §6.2). */
	if (c->is_server || c->got_packet || c->retried ||
	    quic_vn_parse(pkt, len, c->version, &h) != 0 ||
	    !same_cid_of(&c->hs_scid, h.dcid, h.dcid_len) ||
	    !same_cid_of(&c->odcid, h.scid, h.scid_len)) {
		c->stats.pkts_dropped++;
		return;
	}
	c->got_packet = true;
	v = vn_pick(c, &h);
	if (v == 0) {
		/* No version in common: the attempt ends here, nothing is sent. */
		c->close = (struct conn_close){
			.set = true, .remote = true, .error = QUIC_CONNECTION_REFUSED};
		c->state = QUIC_CONN_CLOSED;
		quic_conn_event(c, QUIC_EV_CLOSED, 0, QUIC_CONNECTION_REFUSED);
		return;
	}
	if (vn_restart(c, v) != 0)
		quic_conn_close_err(c, QUIC_ERR_CRYPTO, 0);
}

/* ---- handshake ---- */

void
quic_conn_discard_level(struct quic_conn *c, enum conn_level level)
{
	struct held_pkt *held = quic_conn_held(c);
	int i;

	if (c->discarded[level])
		return;
	c->discarded[level] = true;
	quic_conn_keys_free_level(c, level);
	quic_recovery_discard_space(c->rec, (enum quic_pn_space)level, c->now);
	quic_ackgen_discard(&c->ack, (enum quic_pn_space)level);
	c->probes[level] = 0;
	if (c->hs == NULL)
		return;
	quic_rbuf_fini(quic_conn_crypto_rx(c, level));
	quic_conn_crypto_tx_fini(c, level);
	for (i = 0; i < CONN_RX_HOLD; i++)
		if (held[i].used && held[i].level == level)
			held[i].used = false;
	quic_conn_hs_release(c);
}

void
quic_conn_hs_release(struct quic_conn *c)
{
	int i;

	/* Both handshake levels gone (RFC 9001 §4.9.1, §4.9.2): nothing of conn_hs is needed
	 * again (the recovery space discard reported their packets already), but for 1-RTT
	 * packets held until the keys the same datagram brought (replayed just after). */
	if (c->hs == NULL || !c->discarded[LVL_INITIAL] || !c->discarded[LVL_HANDSHAKE])
		return;
	for (i = 0; i < CONN_RX_HOLD; i++)
		if (c->hs->held[i].used)
			return;
	conn_hs_free(c);
}

void
quic_conn_confirm(struct quic_conn *c)
{
	if (c->hs_confirmed)
		return;
	c->hs_confirmed = true;
	quic_recovery_set_handshake_confirmed(c->rec, c->now);
	/* RFC 9001 §4.9.2: Handshake keys go once the handshake is confirmed. */
	quic_conn_discard_level(c, LVL_INITIAL);
	quic_conn_discard_level(c, LVL_HANDSHAKE);
}

void
quic_conn_issue_cids(struct quic_conn *c)
{
	struct quic_cid cid;
	uint8_t token[QUIC_RESET_TOKEN_LEN];

	if (!c->hs_complete || c->lcids.zero_len || quic_conn_closing(c))
		return;
	while (quic_local_cids_room(&c->lcids) > 0) {
		if (mint_cid(c, &cid, token) != 0 ||
		    quic_local_cids_add(&c->lcids, &cid, token, false, NULL) != 0)
			break;
	}
}

void
quic_conn_on_handshake_progress(struct quic_conn *c)
{
	if (c->hs_complete || quic_conn_closing(c) || !tls_conn_handshake_done(c->tls))
		return;
	c->hs_complete = true;
	if (c->state == QUIC_CONN_HANDSHAKE)
		c->state = QUIC_CONN_ESTABLISHED;
	quic_conn_event(c, QUIC_EV_HANDSHAKE_DONE, 0, 0);
	if (c->is_server) {
		/* RFC 9001 §4.1.2: complete is confirmed for a server; HANDSHAKE_DONE tells. */
		c->hs_done_pending = true;
		c->new_token_pending = c->cfg->send_new_token && c->cfg->tokens != NULL;
		quic_conn_confirm(c);
	}
	quic_conn_issue_cids(c);
}

static bool
tp_cid_is(const struct quic_tp_cid *a, const struct quic_cid *b)
{
	return a->len == b->len && memcmp(a->id, b->data, a->len) == 0;
}

/* RFC 9000 §7.3: the CIDs in the peer's parameters must match what we saw on the wire. */
static int
check_peer_cids(const struct quic_conn *c, const struct quic_tparams *tp)
{
	if (!tp_cid_is(&tp->initial_scid, &c->peer_scid))
		return QUIC_ERR_TRANSPORT_PARAM;
	if (c->is_server)
		return 0;
	if (!tp_cid_is(&tp->original_dcid, &c->odcid))
		return QUIC_ERR_TRANSPORT_PARAM;
	if (c->retried != quic_tparams_has(tp, QUIC_TP_RETRY_SCID))
		return QUIC_ERR_TRANSPORT_PARAM;
	if (c->retried && !tp_cid_is(&tp->retry_scid, &c->retry_scid))
		return QUIC_ERR_TRANSPORT_PARAM;
	return 0;
}

static void
apply_peer_params(struct quic_conn *c, const struct quic_tparams *tp)
{
	uint64_t local = c->tp->local.max_idle_timeout, peer = tp->max_idle_timeout;

	quic_streams_set_peer_params(&c->streams, tp);
	quic_recovery_set_peer_ack_delay(c->rec, tp->max_ack_delay * 1000000,
					 (uint8_t)tp->ack_delay_exponent);
	quic_local_cids_set_peer_limit(&c->lcids, tp->active_connection_id_limit);
	if (!c->is_server && quic_tparams_has(tp, QUIC_TP_STATELESS_RESET_TOKEN))
		quic_peer_cids_set_token0(&c->pcids, tp->stateless_reset_token);
	c->peer_max_udp = tp->max_udp_payload_size;
	/* RFC 9000 §10.1: the smaller of the two, where 0 means none. */
	if (local == 0 || (peer != 0 && peer < local))
		local = peer;
	c->idle_timeout_ns = local * 1000000;
	quic_conn_idle_restart(c, c->now);
}

int
quic_conn_peer_params(struct quic_conn *c)
{
	size_t len;
	const uint8_t *buf = tls_conn_peer_tparams(c->tls, &len);
	enum quic_tp_sender from = c->is_server ? QUIC_TP_FROM_CLIENT : QUIC_TP_FROM_SERVER;
	int rc;

	if (buf == NULL)
		return 0;
	rc = quic_tparams_decode(&c->tp->peer, buf, len, from);
	if (rc == 0)
		rc = quic_tparams_check_required(&c->tp->peer, from);
	if (rc == 0)
		rc = check_peer_cids(c, &c->tp->peer);
	if (rc != 0)
		return QUIC_ERR_TRANSPORT_PARAM;
	rc = quic_conn_vneg_check_peer(c, &c->tp->peer);
	if (rc != 0)
		return rc;
	c->have_peer_tp = true;
	apply_peer_params(c, &c->tp->peer);
	return 0;
}

/* ---- timers ---- */

uint64_t
quic_conn_next_timeout(const struct quic_conn *c)
{
	uint64_t t;
	int lv;

	if (c->state == QUIC_CONN_CLOSED)
		return QUIC_TIMER_NONE;
	if (quic_conn_closing(c))
		return c->close.deadline;
	t = min_u64(c->idle_deadline, quic_recovery_timer(c->rec));
	for (lv = 0; lv < LVL_COUNT; lv++)
		if (quic_conn_keys_tx_ready(c, (enum conn_level)lv))
			t = min_u64(t, quic_ackgen_deadline(&c->ack, (enum quic_pn_space)lv));
	t = min_u64(t, c->pacing_at);
	if (c->pv_active)
		t = min_u64(t, c->pv_deadline);
	t = min_u64(t, quic_recovery_trim_time(c->rec));
	return min_u64(t, c->app.prev_discard_at);
}

/* RFC 9002 §6.2.4: probes, carrying the CRYPTO data not yet acknowledged when there is some. */
static void
on_pto(struct quic_conn *c, const struct quic_timeout *to)
{
	enum conn_level level = (enum conn_level)to->space;
	struct conn_crypto_tx *ct;
	uint16_t i;

	c->stats.pto_count++;
	if (to->anti_deadlock)
		level = quic_conn_keys_tx_ready(c, LVL_HANDSHAKE) ? LVL_HANDSHAKE : LVL_INITIAL;
	if (c->discarded[level])
		return;
	c->probes[level] = (unsigned)min_u64(2, c->probes[level] + (to->probes ? to->probes : 1));
	ct = quic_conn_crypto_tx(c, level);
	if (ct->next <= ct->done)
		return; /* nothing sent, or everything acknowledged and released */
	quic_rangeset_add(&ct->lost, c->chunk_pool, ct->done, ct->next, true);
	for (i = 0; i < ct->acked.n; i++)
		quic_rangeset_remove(&ct->lost, c->chunk_pool, ct->acked.r[i].start,
				     ct->acked.r[i].end);
}

static void
conn_timeout(struct quic_conn *c, uint64_t now_ns)
{
	struct quic_timeout to;

	if (c->state == QUIC_CONN_CLOSED)
		return;
	if (quic_conn_closing(c)) {
		if (now_ns >= c->close.deadline)
			c->state = QUIC_CONN_CLOSED;
		return;
	}
	if (now_ns >= c->idle_deadline) {
		/* RFC 9000 §10.1: silently closed, nothing sent. */
		c->close = (struct conn_close){.set = true, .idle = true};
		c->state = QUIC_CONN_CLOSED;
		quic_conn_event(c, QUIC_EV_CLOSED, 0, 0);
		return;
	}
	quic_conn_keys_timeout(c, now_ns);
	if (c->pv_active && now_ns >= c->pv_deadline)
		path_validation_failed(c);
	if (quic_recovery_timer(c->rec) <= now_ns) {
		quic_recovery_on_timeout(c->rec, now_ns, &to);
		if (to.kind == QUIC_TIMEOUT_PTO)
			on_pto(c, &to);
	}
	/* An idle connection gives its sent-packet records back (memory per connection). */
	quic_recovery_trim(c->rec, now_ns);
}

void
quic_conn_handle_timeout(struct quic_conn *c, uint64_t now_ns)
{
	c->now = now_ns;
	conn_timeout(c, now_ns);
	if (c->qlog.ctx != NULL)
		quic_conn_qlog_sync(c, true);
}

/* ---- closing ---- */

static void
close_start(struct quic_conn *c, uint64_t code, uint64_t frame_type, bool app, const char *reason)
{
	size_t n = reason != NULL ? strlen(reason) : 0;

	c->close = (struct conn_close){.set = true,
				       .error = code,
				       .frame_type = frame_type,
				       .app = app,
				       .send_pending = true,
				       .rx_trigger = 1};
	c->close.reason_len = n < CONN_REASON_MAX ? n : CONN_REASON_MAX;
	if (n > 0)
		memcpy(c->close.reason, reason, c->close.reason_len);
	c->state = QUIC_CONN_CLOSING;
	c->close.deadline = sat_add(c->now, quic_conn_3pto(c));
	quic_conn_event(c, QUIC_EV_CLOSED, 0, code);
}

void
quic_conn_close_transport(struct quic_conn *c, uint64_t code, uint64_t frame_type,
			  const char *reason)
{
	if (!quic_conn_closing(c))
		close_start(c, code, frame_type, false, reason);
}

void
quic_conn_close_err(struct quic_conn *c, int err, uint64_t frame_type)
{
	if (!quic_conn_closing(c))
		close_start(c, quic_err_to_transport(err), frame_type, false, NULL);
}

void
quic_conn_close_silent(struct quic_conn *c, uint64_t code)
{
	if (quic_conn_closing(c))
		return;
	c->close = (struct conn_close){.set = true, .error = code};
	c->state = QUIC_CONN_CLOSED;
	quic_conn_event(c, QUIC_EV_CLOSED, 0, code);
}

int
quic_conn_close(struct quic_conn *c, uint64_t app_error, const char *reason, uint64_t now_ns)
{
	if (quic_conn_closing(c))
		return QUIC_ERR_STREAM_STATE;
	c->now = now_ns;
	close_start(c, app_error, 0, true, reason);
	if (c->qlog.ctx != NULL)
		quic_conn_qlog_sync(c, false);
	return 0;
}

void
quic_conn_enter_draining(struct quic_conn *c, const struct quic_conn_close_info *info)
{
	bool had = c->close.set;

	if (c->state >= QUIC_CONN_DRAINING)
		return;
	if (!had) {
		c->close = (struct conn_close){.set = true,
					       .error = info->error_code,
					       .frame_type = info->frame_type,
					       .app = info->app,
					       .remote = info->remote,
					       .stateless_reset = info->stateless_reset};
		quic_conn_event(c, QUIC_EV_CLOSED, 0, info->error_code);
	}
	c->close.send_pending = false;
	c->state = QUIC_CONN_DRAINING;
	c->close.deadline = sat_add(c->now, quic_conn_3pto(c));
}

bool
quic_conn_close_info(const struct quic_conn *c, struct quic_conn_close_info *info)
{
	if (!c->close.set)
		return false;
	*info = (struct quic_conn_close_info){
		.error_code = c->close.error,
		.frame_type = c->close.frame_type,
		.app = c->close.app,
		.remote = c->close.remote,
		.idle = c->close.idle,
		.stateless_reset = c->close.stateless_reset,
	};
	return true;
}

/* ---- events ---- */

/* Peer streams not yet reported (bidi first): QUIC_EV_STREAM_OPENED. */
static bool
poll_opened(struct quic_conn *c, struct quic_event *ev)
{
	int uni;

	for (uni = 0; uni < 2; uni++) {
		uint64_t type = (uint64_t)(uni ? 0x02 : 0x00) | (c->is_server ? 0x00 : 0x01);

		if (c->ev_opened[uni] >= c->streams.opened[type])
			continue;
		*ev = (struct quic_event){.type = QUIC_EV_STREAM_OPENED};
		ev->stream_id = quic_stream_id_make(c->ev_opened[uni]++, !c->is_server, uni != 0);
		return true;
	}
	return false;
}

static bool
poll_writable(struct quic_conn *c, struct quic_event *ev)
{
	uint32_t i;

	for (i = 0; i < c->n_writable; i++) {
		struct quic_stream *s = quic_streams_get(&c->streams, c->writable[i]);
		bool ready = s != NULL && quic_stream_send_room(&c->streams, s) > 0;

		if (s != NULL && !ready)
			continue;
		*ev = (struct quic_event){.type = QUIC_EV_STREAM_WRITABLE,
					  .stream_id = c->writable[i]};
		c->writable[i] = c->writable[--c->n_writable];
		if (ready)
			return true;
		i--; /* the stream is gone: no event, look at the entry moved here */
	}
	return false;
}

bool
quic_conn_poll_event(struct quic_conn *c, struct quic_event *ev)
{
	struct quic_stream *s;

	if (c->ev_n > 0) {
		*ev = c->ev[c->ev_head];
		c->ev_head = (c->ev_head + 1) % CONN_EV_RING;
		c->ev_n--;
		if (c->ev_n == 0 && c->ev_allocs < CONN_EV_RING_ALLOCS) {
			free(c->ev);
			c->ev = NULL;
		}
		return true;
	}
	if (c->state == QUIC_CONN_CLOSED)
		return false;
	if (poll_opened(c, ev))
		return true;
	s = quic_streams_next_readable(&c->streams);
	if (s != NULL) {
		*ev = (struct quic_event){.type = QUIC_EV_STREAM_READABLE, .stream_id = s->id};
		return true;
	}
	return poll_writable(c, ev);
}

/* ---- streams ---- */

static struct quic_stream *
stream_of(struct quic_conn *c, uint64_t id)
{
	if (quic_conn_closing(c) || !c->streams_ready)
		return NULL;
	return quic_streams_get(&c->streams, id);
}

int
quic_conn_stream_open(struct quic_conn *c, bool uni, uint64_t *id)
{
	struct quic_stream *s;
	int rc;

	/* Before the handshake only in 0-RTT, within the remembered limits (RFC 9000 §7.4.1). */
	if (quic_conn_closing(c) || !((c->have_peer_tp && c->app_tx_ready) ||
				      (c->zrtt_params && quic_conn_zrtt_sending(c))))
		return QUIC_ERR_STREAM_STATE;
	rc = quic_streams_open(&c->streams, uni, &s);
	if (rc == 0)
		*id = s->id;
	return rc;
}

/* Stream id could not take all it was given: it gets a QUIC_EV_STREAM_WRITABLE later. */
static void
want_writable(struct quic_conn *c, uint64_t id)
{
	uint32_t i;

	for (i = 0; i < c->n_writable && c->writable[i] != id; i++)
		;
	/* Allocated at the first short write and kept: most connections never fill a buffer.
	 * Without memory the stream gets no WRITABLE event, as when the list is full. */
	if (c->writable == NULL)
		c->writable = malloc(CONN_WRITABLE_MAX * sizeof(*c->writable));
	if (c->writable != NULL && i == c->n_writable && c->n_writable < CONN_WRITABLE_MAX)
		c->writable[c->n_writable++] = id;
}

int
quic_conn_stream_write(struct quic_conn *c, uint64_t id, const uint8_t *data, size_t len, bool fin)
{
	struct quic_stream *s = stream_of(c, id);
	int rc;

	if (s == NULL)
		return QUIC_ERR_STREAM_STATE;
	rc = quic_stream_write(&c->streams, s, data, len, fin);
	if (rc >= 0 && (size_t)rc < len)
		want_writable(c, id);
	return rc;
}

int
quic_conn_stream_write_reserve(struct quic_conn *c, uint64_t id, uint8_t **buf, size_t *len)
{
	struct quic_stream *s = stream_of(c, id);
	int rc;

	*buf = NULL;
	*len = 0;
	if (s == NULL)
		return QUIC_ERR_STREAM_STATE;
	rc = quic_stream_write_reserve(&c->streams, s, buf, len);
	if (rc == 0 && *len == 0)
		want_writable(c, id);
	return rc;
}

int
quic_conn_stream_write_commit(struct quic_conn *c, uint64_t id, size_t n, bool fin)
{
	struct quic_stream *s = stream_of(c, id);

	return s != NULL ? quic_stream_write_commit(&c->streams, s, n, fin) : QUIC_ERR_STREAM_STATE;
}

int
quic_conn_stream_read(struct quic_conn *c, uint64_t id, uint8_t *buf, size_t cap, bool *fin,
		      uint64_t *reset_error)
{
	struct quic_stream *s = stream_of(c, id);
	bool f = false;
	int rc;

	if (s == NULL)
		return QUIC_ERR_STREAM_STATE;
	rc = quic_stream_read(&c->streams, s, buf, cap, &f);
	if (fin != NULL)
		*fin = f;
	if (rc == QUIC_ERR_STREAM_STATE && reset_error != NULL &&
	    (s->recv_state == QUIC_RECV_RESET_RECVD || s->recv_state == QUIC_RECV_RESET_READ))
		*reset_error = s->rx_error;
	return rc;
}

int
quic_conn_stream_reset(struct quic_conn *c, uint64_t id, uint64_t error)
{
	struct quic_stream *s = stream_of(c, id);

	return s == NULL ? QUIC_ERR_STREAM_STATE : quic_stream_reset(&c->streams, s, error);
}

int
quic_conn_stream_stop_sending(struct quic_conn *c, uint64_t id, uint64_t error)
{
	struct quic_stream *s = stream_of(c, id);

	return s == NULL ? QUIC_ERR_STREAM_STATE : quic_stream_stop(&c->streams, s, error);
}

uint64_t
quic_conn_stream_send_room(struct quic_conn *c, uint64_t id)
{
	struct quic_stream *s = stream_of(c, id);

	return s == NULL ? 0 : quic_stream_send_room(&c->streams, s);
}

uint64_t
quic_conn_stream_send_unsent(struct quic_conn *c, uint64_t id)
{
	struct quic_stream *s = stream_of(c, id);

	return s == NULL ? 0 : quic_stream_send_unsent(s);
}

/* ---- getters ---- */

enum quic_conn_state
quic_conn_state(const struct quic_conn *c)
{
	return c->state;
}

enum quic_role
quic_conn_role(const struct quic_conn *c)
{
	return c->is_server ? QUIC_ROLE_SERVER : QUIC_ROLE_CLIENT;
}

uint32_t
quic_conn_version(const struct quic_conn *c)
{
	return c->version;
}

/*
 * ALPN identifiers a released connection names without a copy of its own (the application
 * protocols of quic/h3): a 3-byte strdup() costs a 32-byte heap chunk per idle connection.
 */
static const char *const known_alpn[] = {"h3", "hq-interop", "perf"};

const char *
quic_conn_alpn(const struct quic_conn *c)
{
	if (c->tls_released)
		return c->tls_alpn_known != 0 ? known_alpn[c->tls_alpn_known - 1] : c->tls_alpn;
	return c->tls != NULL ? tls_conn_alpn(c->tls) : NULL;
}

/* Keep the negotiated ALPN once TLS goes. @return 0 or QUIC_ERR_NOMEM */
static int
keep_alpn(struct quic_conn *c, const char *alpn)
{
	for (size_t i = 0; i < sizeof(known_alpn) / sizeof(known_alpn[0]); i++) {
		if (strcmp(alpn, known_alpn[i]) == 0) {
			c->tls_alpn_known = (uint8_t)(i + 1);
			return 0;
		}
	}
	c->tls_alpn = strdup(alpn);
	return c->tls_alpn != NULL ? 0 : QUIC_ERR_NOMEM;
}

void
quic_conn_tls_release(struct quic_conn *c)
{
	const char *alpn;

	if (!c->is_server || !c->hs_confirmed || c->tls == NULL || c->tls_released)
		return;
	alpn = tls_conn_alpn(c->tls);
	/* Kept for the application's later questions; without memory, TLS stays. */
	if (alpn != NULL && keep_alpn(c, alpn) != 0)
		return;
	c->tls_was_resumed = tls_conn_resumed(c->tls);
	c->tls_was_hrr = tls_conn_hrr(c->tls);
	c->tls_early = (uint8_t)tls_conn_early_data(c->tls);
	tls_conn_free(c->tls);
	c->tls = NULL;
	c->tls_released = true;
	/* Applied long ago (quic_conn_peer_params(), our CIDs and limits): only asked by
	 * quic_conn_*_tparams(), which say NULL from now on. */
	if (c->cfg->release_tparams) {
		free(c->tp);
		c->tp = NULL;
	}
}

const struct quic_tparams *
quic_conn_peer_tparams(const struct quic_conn *c)
{
	return c->have_peer_tp && c->tp != NULL ? &c->tp->peer : NULL;
}

const struct quic_tparams *
quic_conn_local_tparams(const struct quic_conn *c)
{
	return c->tp != NULL ? &c->tp->local : NULL;
}

bool
quic_conn_retried(const struct quic_conn *c)
{
	return c->retried;
}

bool
quic_conn_path_validated(const struct quic_conn *c)
{
	return c->validated;
}

bool
quic_conn_handshake_confirmed(const struct quic_conn *c)
{
	return c->hs_confirmed;
}

const struct quic_cid *
quic_conn_scid(const struct quic_conn *c)
{
	return &c->hs_scid;
}

const struct quic_cid *
quic_conn_dcid(const struct quic_conn *c)
{
	return &c->pcids.slot[c->pcids.cur].cid;
}

size_t
quic_conn_local_cids(const struct quic_conn *c, struct quic_cid *out, size_t max, uint32_t *gen)
{
	if (gen != NULL)
		*gen = c->lcids.gen;
	return quic_local_cids_list(&c->lcids, out, max);
}

uint32_t
quic_conn_local_cids_gen(const struct quic_conn *c)
{
	return c->lcids.gen;
}

bool
quic_conn_resumed(const struct quic_conn *c)
{
	if (c->tls_released)
		return c->tls_was_resumed;
	return c->tls != NULL && tls_conn_resumed(c->tls);
}

bool
quic_conn_hrr(const struct quic_conn *c)
{
	if (c->tls_released)
		return c->tls_was_hrr;
	return c->tls != NULL && tls_conn_hrr(c->tls);
}

void
quic_conn_stats(const struct quic_conn *c, struct quic_conn_stats *out)
{
	*out = c->stats;
	out->ack_ranges_dropped = quic_ackgen_ranges_dropped(&c->ack);
}

const uint8_t *
quic_conn_new_token(const struct quic_conn *c, size_t *len)
{
	*len = c->new_token_len;
	return c->new_token;
}

const uint8_t *
quic_conn_session(const struct quic_conn *c, size_t *len)
{
	*len = c->session != NULL ? c->session->len : 0;
	return c->session != NULL ? c->session->data : NULL;
}

enum tls_early_data
quic_conn_early_data(const struct quic_conn *c)
{
	if (c->tls_released)
		return (enum tls_early_data)c->tls_early;
	return c->tls != NULL ? tls_conn_early_data(c->tls) : TLS_EARLY_NONE;
}

int
quic_conn_set_token(struct quic_conn *c, const uint8_t *token, size_t len)
{
	uint8_t *t;

	if (c->is_server || len == 0 || len > QUIC_TOKEN_MAX_LEN)
		return QUIC_ERR_INVAL;
	t = malloc(len);
	if (t == NULL)
		return QUIC_ERR_NOMEM;
	memcpy(t, token, len);
	free(c->token);
	c->token = t;
	c->token_len = len;
	return 0;
}

/* ---- tests ---- */

int
quic_conn_inject_frames_for_test(struct quic_conn *c, enum quic_pkt_type type,
				 const uint8_t *frames, size_t len)
{
	if (len > QUIC_CONN_INJECT_MAX ||
	    (type != QUIC_PKT_INITIAL && type != QUIC_PKT_HANDSHAKE && type != QUIC_PKT_1RTT &&
	     (type != QUIC_PKT_0RTT || c->is_server)))
		return QUIC_ERR_INVAL;
	if (c->inject == NULL)
		c->inject = malloc(QUIC_CONN_INJECT_MAX); /* tests only: not in every connection */
	if (c->inject == NULL)
		return QUIC_ERR_NOMEM;
	if (len > 0)
		memcpy(c->inject, frames, len);
	c->inject_len = len;
	c->inject_zrtt = type == QUIC_PKT_0RTT;
	c->inject_level = (uint8_t)quic_conn_pkt_level(type);
	c->inject_pending = true;
	return 0;
}

int
quic_conn_initiate_key_update(struct quic_conn *c)
{
	if (quic_conn_closing(c) || !c->hs_confirmed)
		return QUIC_ERR_STREAM_STATE;
	c->app.update_requested = true;
	return 0;
}

/* ---- screening before any state ---- */

static int
screen_vn(const struct quic_conn_config *cfg, const struct quic_packet_hdr *h, size_t len,
	  uint8_t *out, size_t cap, size_t *out_len)
{
	struct crypto_rand r = cfg->rand;
	uint8_t unused = 0;

	if (len < 1200 || h->version == 0)
		return QUIC_SCREEN_DROP; /* RFC 9000 §6.1: never answer a VN or a small datagram */
	crypto_rand_bytes(&r, &unused, 1);
	if (quic_vn_write(out, cap, h, cfg->versions, cfg->n_versions, unused, out_len) != 0)
		return QUIC_SCREEN_DROP;
	return QUIC_SCREEN_REPLY;
}

static int
screen_retry(const struct quic_conn_config *cfg, const struct quic_packet_hdr *h,
	     const struct quic_path *path, uint64_t now, uint8_t *out, size_t cap, size_t *out_len)
{
	uint8_t token[QUIC_TOKEN_MAX_LEN];
	struct crypto_rand r = cfg->rand;
	struct quic_retry_params rp = {.version = h->version};
	struct quic_cid scid;
	int n;

	n = cfg->tokens->issue(cfg->tokens->arg, QUIC_TOKEN_RETRY, &path->remote, h->dcid,
			       h->dcid_len, now, token, sizeof(token));
	if (n <= 0 || (size_t)n > sizeof(token))
		return QUIC_SCREEN_DROP;
	if (cfg->lb != NULL) {
		if (quic_lb_encode(cfg->lb, cfg->worker, &r, &scid) != 0)
			return QUIC_SCREEN_DROP;
	} else {
		scid.len = cfg->cid_len != 0 ? cfg->cid_len : SERVER_CID_LEN;
		if (crypto_rand_bytes(&r, scid.data, scid.len) != 0)
			return QUIC_SCREEN_DROP;
	}
	crypto_rand_bytes(&r, &rp.unused, 1);
	rp.dcid = h->scid;
	rp.dcid_len = h->scid_len;
	rp.scid = scid.data;
	rp.scid_len = scid.len;
	rp.odcid = h->dcid;
	rp.odcid_len = h->dcid_len;
	rp.token = token;
	rp.token_len = (size_t)n;
	if (quic_retry_write(cfg->crypto, &rp, out, cap, out_len) != 0)
		return QUIC_SCREEN_DROP;
	return QUIC_SCREEN_REPLY;
}

int
quic_server_screen(const struct quic_conn_config *cfg, bool require_retry, const uint8_t *dgram,
		   size_t len, const struct quic_path *path, uint64_t now_ns, uint8_t *out,
		   size_t cap, size_t *out_len)
{
	const struct quic_token_ops *ops = cfg->tokens;
	struct quic_token_info info;
	struct quic_packet_hdr h;
	int rc;

	if (require_retry && (ops == NULL || ops->issue == NULL || ops->validate == NULL))
		return QUIC_ERR_INVAL;
	rc = check_first_initial(cfg, dgram, len, &h);
	if (rc == QUIC_ERR_VERSION)
		return screen_vn(cfg, &h, len, out, cap, out_len);
	if (rc != 0)
		return QUIC_SCREEN_DROP;
	if (!require_retry)
		return QUIC_SCREEN_ACCEPT;
	/* RFC 9000 §8.1.3: a token that fails is as if there were none. */
	if (h.token_len > 0 &&
	    ops->validate(ops->arg, h.token, h.token_len, &path->remote, now_ns, &info) == 0)
		return QUIC_SCREEN_ACCEPT;
	return screen_retry(cfg, &h, path, now_ns, out, cap, out_len);
}

/* ---- stateless reset ---- */

int
quic_stateless_reset_write(uint8_t *buf, size_t cap, size_t trigger_len, size_t max_len,
			   const uint8_t token[QUIC_RESET_TOKEN_LEN],
			   const struct crypto_rand *rand, size_t *out_len)
{
	size_t len;

	/* RFC 9000 §10.3.3: strictly smaller than the trigger, so that two endpoints cannot
	 * loop; §10.3: at least 21 bytes (5 unpredictable, then the token). */
	if (trigger_len <= QUIC_STATELESS_RESET_MIN_LEN)
		return QUIC_ERR_INVAL;
	len = trigger_len - 1;
	if (len > max_len)
		len = max_len;
	if (len < QUIC_STATELESS_RESET_MIN_LEN)
		return QUIC_ERR_INVAL;
	if (cap < len)
		return QUIC_ERR_BUFFER;
	if (crypto_rand_bytes(rand, buf, len - QUIC_RESET_TOKEN_LEN) != 0)
		return QUIC_ERR_CRYPTO;
	buf[0] = (uint8_t)((buf[0] & 0x3f) | 0x40); /* short header form, fixed bit set */
	memcpy(buf + len - QUIC_RESET_TOKEN_LEN, token, QUIC_RESET_TOKEN_LEN);
	*out_len = len;
	return 0;
}

/* ---- memory ---- */

static size_t
rangeset_mem(const struct quic_rangeset *rs)
{
	return rs->r != NULL ? QUIC_CHUNK_SIZE : 0;
}

/* Bytes held by the CRYPTO streams of one level. */
static size_t
crypto_mem(const struct quic_rbuf *rx, const struct conn_crypto_tx *tx)
{
	return (size_t)quic_rbuf_chunks(rx) * QUIC_CHUNK_SIZE + tx->cap + rangeset_mem(&tx->lost) +
	       rangeset_mem(&tx->acked);
}

size_t
quic_conn_mem_bytes(const struct quic_conn *c)
{
	size_t n = sizeof(*c) + quic_recovery_mem_bytes(c->rec) + quic_conn_sent_bytes(c) +
		   quic_ackgen_mem_bytes(&c->ack);
	int i;

	if (c->crypto_ready)
		n += crypto_mem(&c->crypto_rx_app, &c->crypto_tx_app);
	if (c->hs != NULL) {
		n += sizeof(*c->hs);
		for (i = 0; i < LVL_APP && c->crypto_ready; i++)
			n += crypto_mem(&c->hs->crypto_rx[i], &c->hs->crypto_tx[i]);
		for (i = 0; i < CONN_RX_HOLD; i++)
			n += c->hs->held[i].data != NULL ? CONN_RX_MAX_DGRAM : 0;
	}
	n += c->token_len + c->new_token_len + (c->inject != NULL ? QUIC_CONN_INJECT_MAX : 0);
	n += c->path_resp != NULL ? sizeof(*c->path_resp) : 0;
	n += c->own != NULL ? sizeof(*c->own) : 0;
	n += c->tp != NULL ? sizeof(*c->tp) : 0;
	n += c->writable != NULL ? CONN_WRITABLE_MAX * sizeof(*c->writable) : 0;
	n += c->ev != NULL ? CONN_EV_RING * sizeof(*c->ev) : 0;
	n += c->session != NULL ? sizeof(*c->session) + c->session->len : 0;
	if (c->streams_ready)
		n += quic_streams_state_mem(&c->streams);
	return n;
}

bool
quic_conn_handshake_state_held(const struct quic_conn *c)
{
	return c->hs != NULL;
}

size_t
quic_conn_struct_bytes(void)
{
	return sizeof(struct quic_conn);
}

size_t
quic_conn_stream_mem_bytes(const struct quic_conn *c)
{
	if (!c->streams_ready)
		return 0;
	return quic_streams_mem(&c->streams) - sizeof(c->streams) -
	       quic_streams_state_mem(&c->streams);
}
