/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Compatible version negotiation (RFC 9368 §2.3, §4; QUIC v1 and v2 are compatible both ways,
 * RFC 9369 §4): the version_information transport parameter of both sides, the server's switch
 * to a version the client listed before it answers the ClientHello, the client following that
 * switch, and the validation that closes with VERSION_NEGOTIATION_ERROR when what one side
 * says does not match what happened on the wire.
 */
#include <string.h>

#include "conn_int.h"

#define TLS_HS_CLIENT_HELLO   1
#define TLS_EXT_QUIC_TP	      0x39 /* quic_transport_parameters, RFC 9001 §8.2 */
#define TLS_RANDOM_LEN	      32
#define CLIENT_HELLO_HDR_LEN  4 /* msg_type, uint24 length */
#define CLIENT_HELLO_MAX_PEEK QUIC_CHUNK_SIZE

/* Whether v is in the list. */
static bool
version_listed(uint32_t v, const uint32_t *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (list[i] == v)
			return true;
	return false;
}

/* v1 and v2 can be converted into each other (RFC 9369 §4); nothing else is known here. */
static bool
compatible(uint32_t from, uint32_t to)
{
	return quic_version_supported(from) && quic_version_supported(to);
}

void
quic_conn_vneg_local(struct quic_conn *c)
{
	struct quic_tp_version_info *vi = &c->tp->local.version_info;
	size_t i;

	if (quic_tparams_has(&c->cfg->tparams, QUIC_TP_VERSION_INFORMATION))
		return; /* set by the operator (tests: a tampered one) */
	/* RFC 9368 §3: Chosen Version is the version in use, Available Versions ours. */
	vi->chosen = c->version;
	vi->n_available = 0;
	vi->n_skipped = 0;
	for (i = 0; i < c->cfg->n_versions && i < QUIC_TP_MAX_VERSIONS; i++)
		vi->available[vi->n_available++] = c->cfg->versions[i];
	/* A client lists its Chosen Version among the available ones (RFC 9368 §4). */
	if (!c->is_server && !version_listed(c->version, vi->available, vi->n_available)) {
		if (vi->n_available == QUIC_TP_MAX_VERSIONS)
			vi->n_available--;
		vi->available[vi->n_available++] = c->version;
	}
	c->tp->local.present |= QUIC_TP_BIT(QUIC_TP_VERSION_INFORMATION);
}

/* Skip a vector with a length prefix of n bytes. */
static bool
skip_vec(struct crypto_rd *r, size_t n)
{
	uint8_t l8;
	uint16_t l16;

	if (n == 1)
		return crypto_get_u8(r, &l8) && quic_skip(r, l8);
	return crypto_get_u16(r, &l16) && quic_skip(r, l16);
}

/* The body of the quic_transport_parameters extension of a whole ClientHello. */
static bool
client_hello_tparams(const uint8_t *msg, size_t len, struct crypto_rd *out)
{
	struct crypto_rd r, exts;
	const uint8_t *body;
	uint32_t mlen;
	uint16_t type, elen;
	uint8_t mt;

	crypto_rd_init(&r, msg, len);
	if (!crypto_get_u8(&r, &mt) || mt != TLS_HS_CLIENT_HELLO || !crypto_get_u24(&r, &mlen) ||
	    mlen > crypto_rd_left(&r))
		return false;
	crypto_rd_init(&r, r.p, mlen);
	/* legacy_version, random, legacy_session_id, cipher_suites, compression (RFC 9846 §4.1.2)
	 */
	if (!quic_skip(&r, 2 + TLS_RANDOM_LEN) || !skip_vec(&r, 1) || !skip_vec(&r, 2) ||
	    !skip_vec(&r, 1) || !crypto_get_u16(&r, &elen) || !crypto_get_bytes(&r, elen, &body))
		return false;
	crypto_rd_init(&exts, body, elen);
	while (crypto_get_u16(&exts, &type) && crypto_get_u16(&exts, &elen) &&
	       crypto_get_bytes(&exts, elen, &body)) {
		if (type == TLS_EXT_QUIC_TP) {
			crypto_rd_init(out, body, elen);
			return true;
		}
	}
	return false;
}

/* The client's Available Versions, from its ClientHello; false when there are none. */
static bool
client_available(const uint8_t *msg, size_t len, struct quic_tp_version_info *vi)
{
	struct crypto_rd r, v;
	const uint8_t *val;
	uint64_t id, l;
	uint32_t x;

	if (!client_hello_tparams(msg, len, &r))
		return false;
	while (quic_get_varint(&r, &id) && quic_get_varint(&r, &l) && l <= crypto_rd_left(&r) &&
	       crypto_get_bytes(&r, (size_t)l, &val)) {
		if (id != QUIC_TP_VERSION_INFORMATION)
			continue;
		crypto_rd_init(&v, val, (size_t)l);
		if (!crypto_get_u32(&v, &vi->chosen))
			return false;
		vi->n_available = 0;
		while (vi->n_available < QUIC_TP_MAX_VERSIONS && crypto_get_u32(&v, &x))
			vi->available[vi->n_available++] = x;
		return true;
	}
	return false;
}

/*
 * Server: the first preferred version that we speak, that the client lists and that its
 * version converts to (RFC 9368 §2.3); the client's own when there is none.
 */
static uint32_t
server_pick(const struct quic_conn *c, const struct quic_tp_version_info *vi)
{
	const struct quic_conn_config *cfg = c->cfg;
	size_t i;

	for (i = 0; i < QUIC_CONN_MAX_VERSIONS && cfg->preferred_versions[i] != 0; i++) {
		uint32_t v = cfg->preferred_versions[i];

		if (v == c->version)
			return v;
		if (version_listed(v, cfg->versions, cfg->n_versions) &&
		    version_listed(v, vi->available, vi->n_available) && compatible(c->version, v))
			return v;
	}
	return c->version;
}

int
quic_conn_vneg_server(struct quic_conn *c, bool *wait)
{
	struct quic_tp_version_info vi;
	const uint8_t *data;
	size_t n = quic_rbuf_peek(quic_conn_crypto_rx(c, LVL_INITIAL), &data);
	uint32_t v;

	/* Nothing at offset 0 yet, or a ClientHello still incomplete: wait while it may
	 * complete; one larger than a chunk, or that does not parse, keeps the version. */
	*wait = n == 0;
	if (n >= CLIENT_HELLO_HDR_LEN && n < CLIENT_HELLO_MAX_PEEK &&
	    n < CLIENT_HELLO_HDR_LEN + ((size_t)data[1] << 16 | (size_t)data[2] << 8 | data[3])) {
		*wait = true;
		return 0;
	}
	if (*wait || !client_available(data, n, &vi))
		return 0;
	v = server_pick(c, &vi);
	if (v == c->version)
		return 0;
	/* RFC 9368 §2.3: from here on every packet is in v, with Initial keys of v from the
	 * client's original DCID. */
	c->version = v;
	return quic_conn_keys_initial(c, c->init_dcid.data, c->init_dcid.len);
}

bool
quic_conn_vneg_client_follow(struct quic_conn *c, const struct quic_packet_hdr *h)
{
	if (c->is_server || c->peer_scid_known || h->type != QUIC_PKT_INITIAL ||
	    h->version == c->version ||
	    !version_listed(h->version, c->tp->local.version_info.available,
			    c->tp->local.version_info.n_available) ||
	    !compatible(c->version, h->version))
		return false;
	c->version = h->version;
	if (quic_conn_keys_initial(c, c->init_dcid.data, c->init_dcid.len) != 0) {
		quic_conn_close_err(c, QUIC_ERR_CRYPTO, 0);
		return false;
	}
	/* 0-RTT keys belong to the version they were made for: the data goes in 1-RTT. */
	if (quic_conn_zrtt_aead(c) != NULL) {
		quic_conn_keys_zrtt_discard(c);
		quic_conn_zrtt_requeue(c);
	}
	return true;
}

/* Client side of RFC 9368 §4: the server's parameters against what happened. */
static bool
client_check(const struct quic_conn *c, const struct quic_tparams *tp)
{
	const struct quic_tp_version_info *vi = &tp->version_info;
	size_t i;

	if (!quic_tparams_has(tp, QUIC_TP_VERSION_INFORMATION))
		return c->version == c->orig_version; /* a switch must be confirmed */
	if (vi->chosen != c->version)
		return false;
	if (!c->vn_restarted)
		return true;
	/* After a Version Negotiation packet: no version we prefer to the one in use may be
	 * available at the server, or the VN was forged to downgrade us. */
	for (i = 0; i < c->cfg->n_versions && c->cfg->versions[i] != c->version; i++)
		if (version_listed(c->cfg->versions[i], vi->available, vi->n_available))
			return false;
	return true;
}

int
quic_conn_vneg_check_peer(struct quic_conn *c, const struct quic_tparams *tp)
{
	bool ok;

	if (c->is_server)
		/* RFC 9368 §4: the client's Chosen Version is the one of its first Initial. */
		ok = !quic_tparams_has(tp, QUIC_TP_VERSION_INFORMATION) ||
		     tp->version_info.chosen == c->orig_version;
	else
		ok = client_check(c, tp);
	if (ok)
		return 0;
	quic_conn_close_transport(c, QUIC_VERSION_NEGOTIATION_ERROR, QUIC_FRAME_CRYPTO,
				  "version_information");
	return QUIC_ERR_PROTOCOL;
}
