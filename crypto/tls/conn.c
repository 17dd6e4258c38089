/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Connection plumbing shared by both roles: message framing per encryption level with a hard
 * size bound, output buffers, secret hand-over, the key-schedule steps both roles take at the
 * same points, Finished, and the public queries.
 */
#include <arpa/inet.h>
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#include "../crypto_internal.h" /* crypto_obj_alloc() */
#include "tls_int.h"

#define MAX_OUT_PER_LEVEL ((size_t)256 * 1024)
#define TLS_OUT_FIRST	  ((size_t)1024)

const char *
tls_strerror(int err)
{
	switch (err) {
	case 0:
		return "success";
	case TLS_ERR_ALERT:
		return "handshake failed (TLS alert)";
	case TLS_ERR_NOMEM:
		return "out of memory";
	case TLS_ERR_INVAL:
		return "invalid argument";
	case TLS_ERR_LIB:
		return "libcrypto failure";
	case TLS_ERR_CONFIG:
		return "unusable certificate, key or PEM";
	case TLS_ERR_IO:
		return "file I/O error";
	case TLS_ERR_PROTOCOL:
		return "peer violated a QUIC rule";
	case TLS_ERR_STATE:
		return "call not valid in this state";
	default:
		return "unknown error";
	}
}

const char *
tls_alert_name(int alert)
{
	switch (alert) {
	case TLS_ALERT_NONE:
		return "close_notify";
	case TLS_ALERT_UNEXPECTED_MESSAGE:
		return "unexpected_message";
	case TLS_ALERT_HANDSHAKE_FAILURE:
		return "handshake_failure";
	case TLS_ALERT_BAD_CERTIFICATE:
		return "bad_certificate";
	case TLS_ALERT_UNSUPPORTED_CERTIFICATE:
		return "unsupported_certificate";
	case TLS_ALERT_CERTIFICATE_EXPIRED:
		return "certificate_expired";
	case TLS_ALERT_CERTIFICATE_UNKNOWN:
		return "certificate_unknown";
	case TLS_ALERT_ILLEGAL_PARAMETER:
		return "illegal_parameter";
	case TLS_ALERT_UNKNOWN_CA:
		return "unknown_ca";
	case TLS_ALERT_DECODE_ERROR:
		return "decode_error";
	case TLS_ALERT_DECRYPT_ERROR:
		return "decrypt_error";
	case TLS_ALERT_PROTOCOL_VERSION:
		return "protocol_version";
	case TLS_ALERT_INTERNAL_ERROR:
		return "internal_error";
	case TLS_ALERT_MISSING_EXTENSION:
		return "missing_extension";
	case TLS_ALERT_UNSUPPORTED_EXTENSION:
		return "unsupported_extension";
	case TLS_ALERT_NO_APPLICATION_PROTOCOL:
		return "no_application_protocol";
	default:
		return "unknown";
	}
}

/* ---- Life cycle ---- */

static int
conn_alloc(struct tls_conn **out, struct crypto_ctx *ctx, const uint8_t *tparams,
	   size_t tparams_len, const struct tls_callbacks *cb)
{
	struct tls_conn *c;

	if (out == NULL || ctx == NULL || (tparams == NULL && tparams_len > 0) ||
	    tparams_len > 65535)
		return TLS_ERR_INVAL;
	/* From ctx's slabs (zeroed): at 1.7 KiB the struct is over the heap's per-thread cache
	 * sizes, and its calloc() took the heap's slow paths at every handshake (issue #6). */
	c = crypto_obj_alloc(ctx, alignof(struct tls_conn), sizeof(*c));
	if (c == NULL)
		return TLS_ERR_NOMEM;
	c->local_tp = malloc(tparams_len + 1);
	if (c->local_tp == NULL) {
		crypto_obj_free(ctx, c, alignof(struct tls_conn), sizeof(*c));
		return TLS_ERR_NOMEM;
	}
	if (tparams_len > 0)
		memcpy(c->local_tp, tparams, tparams_len);
	c->local_tp_len = tparams_len;
	c->ctx = ctx;
	c->suite = CRYPTO_SUITE_COUNT;
	if (cb != NULL)
		c->cb = *cb;
	*out = c;
	return 0;
}

int
tls_conn_new_server(struct tls_conn **out, const struct tls_server_config *cfg,
		    struct crypto_ctx *ctx, const uint8_t *tparams, size_t tparams_len,
		    const struct tls_callbacks *cb)
{
	int rc;

	if (cfg == NULL || !cfg->have_cert)
		return TLS_ERR_INVAL;
	rc = conn_alloc(out, ctx, tparams, tparams_len, cb);
	if (rc != 0)
		return rc;
	(*out)->role = TLS_ROLE_SERVER;
	(*out)->state = TLS_ST_WAIT_CH;
	(*out)->scfg = cfg;
	(*out)->cc = &cfg->c;
	return 0;
}

int
tls_conn_new_client(struct tls_conn **out, const struct tls_client_config *cfg,
		    struct crypto_ctx *ctx, const char *server_name, const uint8_t *tparams,
		    size_t tparams_len, const struct tls_callbacks *cb)
{
	size_t n = server_name != NULL ? strlen(server_name) : 0;
	int rc;

	if (cfg == NULL || n > 255 || (server_name != NULL && n == 0))
		return TLS_ERR_INVAL;
	rc = conn_alloc(out, ctx, tparams, tparams_len, cb);
	if (rc != 0)
		return rc;
	(*out)->role = TLS_ROLE_CLIENT;
	(*out)->state = TLS_ST_CLIENT_START;
	(*out)->ccfg = cfg;
	(*out)->cc = &cfg->c;
	if (server_name != NULL) {
		uint8_t addr[16];

		memcpy((*out)->server_name, server_name, n + 1);
		(*out)->have_server_name = true;
		(*out)->server_name_is_ip = inet_pton(AF_INET, server_name, addr) == 1 ||
					    inet_pton(AF_INET6, server_name, addr) == 1;
	}
	return 0;
}

/* Give back b's buffer, to the slabs or the heap. */
static void
out_free(struct tls_conn *c, struct tls_buf *b)
{
	if (b->slab)
		crypto_obj_free(c->ctx, b->data, 16, TLS_OUT_FIRST);
	else
		free(b->data);
	b->data = NULL;
	b->slab = false;
}

void
tls_conn_free(struct tls_conn *c)
{
	struct crypto_ctx *ctx;
	size_t i;

	if (c == NULL)
		return;
	ctx = c->ctx;
	for (i = 0; i < TLS_LEVEL_COUNT; i++) {
		free(c->in[i].msg);
		out_free(c, &c->out[i]);
	}
	for (i = 0; i < TLS_MAX_SHARES; i++)
		crypto_kex_free(c->kex[i]);
	tls_transcript_free(&c->th);
	EVP_PKEY_free(c->peer_key);
	free(c->local_tp);
	free(c->peer_tp);
	free(c->ch);
	free(c->hrr_cookie);
	if (c->sess != NULL) {
		tls_session_clear(c->sess);
		free(c->sess);
	}
	crypto_wipe(c, sizeof(*c));
	crypto_obj_free(ctx, c, alignof(struct tls_conn), sizeof(*c));
}

/* ---- Failure ---- */

int
tls_fail(struct tls_conn *c, int rc)
{
	if (c->state == TLS_ST_FAILED)
		return c->fail_err;
	c->state = TLS_ST_FAILED;
	if (rc == TLS_E_PROTOCOL) {
		c->alert = TLS_ALERT_NONE;
		c->fail_err = TLS_ERR_PROTOCOL;
	} else {
		c->alert = rc < 0 && rc > -256 ? -rc : TLS_ALERT_INTERNAL_ERROR;
		c->fail_err = TLS_ERR_ALERT;
	}
	return c->fail_err;
}

/* ---- Output ---- */

/*
 * Room for want bytes in b, doubling from TLS_OUT_FIRST: one allocation holds a whole flight
 * at a level (EncryptedExtensions through Finished with a short chain) instead of one realloc
 * per message. The first buffer is an object of the context's slabs: at 1 KiB it is just over
 * the heap's per-thread cache sizes, and a server took and freed two or three per handshake
 * on the heap's slow paths (issue #6). A flight that outgrows it moves to the heap.
 */
static int
out_grow(struct tls_conn *c, struct tls_buf *b, size_t want)
{
	size_t ncap = b->cap > 0 ? 2 * b->cap : TLS_OUT_FIRST;
	uint8_t *p;

	ncap = ncap < want ? want : ncap;
	ncap = ncap > MAX_OUT_PER_LEVEL ? MAX_OUT_PER_LEVEL : ncap; /* >= want, checked */
	if (b->data == NULL && ncap == TLS_OUT_FIRST) {
		b->data = crypto_obj_alloc(c->ctx, 16, TLS_OUT_FIRST);
		b->slab = b->data != NULL;
		b->cap = b->slab ? TLS_OUT_FIRST : 0;
		if (b->slab)
			return 0;
	}
	p = b->slab ? malloc(ncap) : realloc(b->data, ncap);
	if (p == NULL)
		return -1;
	if (b->slab) {
		memcpy(p, b->data, b->len);
		crypto_obj_free(c->ctx, b->data, 16, TLS_OUT_FIRST);
		b->slab = false;
	}
	b->data = p;
	b->cap = ncap;
	return 0;
}

int
tls_out_begin(struct tls_conn *c, enum tls_level level, size_t cap, struct crypto_wr *w,
	      size_t *hdr_off)
{
	struct tls_buf *b = &c->out[level];

	if (b->len + cap > MAX_OUT_PER_LEVEL)
		return TLS_FAIL(TLS_ALERT_INTERNAL_ERROR);
	if (b->cap - b->len < cap) {
		if (out_grow(c, b, b->len + cap) != 0)
			return TLS_FAIL(TLS_ALERT_INTERNAL_ERROR);
	}
	crypto_wr_init(w, b->data + b->len, cap);
	*hdr_off = 0;
	tls_wr_open(w, TLS_HS_HDR_LEN);
	return 0;
}

int
tls_out_end(struct tls_conn *c, enum tls_level level, struct crypto_wr *w, size_t hdr_off, bool add_th)
{
	struct tls_buf *b = &c->out[level];
	size_t body;

	if (w->err)
		return TLS_FAIL(TLS_ALERT_INTERNAL_ERROR);
	body = crypto_wr_len(w) - hdr_off - TLS_HS_HDR_LEN;
	/* The type byte was written by the caller right after tls_out_begin(): keep it. */
	w->start[hdr_off + 1] = (uint8_t)(body >> 16);
	w->start[hdr_off + 2] = (uint8_t)(body >> 8);
	w->start[hdr_off + 3] = (uint8_t)body;
	if (add_th && tls_transcript_add(&c->th, w->start, crypto_wr_len(w)) != 0)
		return TLS_FAIL(TLS_ALERT_INTERNAL_ERROR);
	b->len += crypto_wr_len(w);
	return 0;
}

const uint8_t *
tls_conn_pending(const struct tls_conn *c, enum tls_level level, size_t *len)
{
	if (c == NULL || (unsigned)level >= TLS_LEVEL_COUNT || c->out[level].len == 0) {
		if (len != NULL)
			*len = 0;
		return NULL;
	}
	*len = c->out[level].len;
	return c->out[level].data;
}

void
tls_conn_consume(struct tls_conn *c, enum tls_level level, size_t n)
{
	struct tls_buf *b;

	if (c == NULL || (unsigned)level >= TLS_LEVEL_COUNT)
		return;
	b = &c->out[level];
	if (n > b->len)
		n = b->len;
	if (n == 0)
		return;
	memmove(b->data, b->data + n, b->len - n);
	b->len -= n;
}

/* ---- Helpers for the roles ---- */

void
tls_keylog_secret(struct tls_conn *c, enum tls_level level, bool from_server, const uint8_t *secret,
		  size_t len)
{
	const char *label;

	if (c->cc->keylog.fn == NULL)
		return;
	switch (level) {
	case TLS_LEVEL_EARLY:
		label = "CLIENT_EARLY_TRAFFIC_SECRET";
		break;
	case TLS_LEVEL_HANDSHAKE:
		label = from_server ? "SERVER_HANDSHAKE_TRAFFIC_SECRET"
				    : "CLIENT_HANDSHAKE_TRAFFIC_SECRET";
		break;
	case TLS_LEVEL_APPLICATION:
		label = from_server ? "SERVER_TRAFFIC_SECRET_0" : "CLIENT_TRAFFIC_SECRET_0";
		break;
	default:
		return;
	}
	c->cc->keylog.fn(c->cc->keylog.arg, label, c->client_random, secret, len);
}

int
tls_emit_secret(struct tls_conn *c, enum tls_level level, enum tls_dir dir, const uint8_t *secret)
{
	/* The sender of a write secret is us; of a read secret, the peer. */
	tls_keylog_secret(c, level, (c->role == TLS_ROLE_SERVER) == (dir == TLS_DIR_WRITE), secret,
			  c->h->len);
	if (c->cb.secret == NULL)
		return 0;
	if (c->cb.secret(c->cb.arg, level, dir, c->suite, secret, c->h->len) != 0)
		return TLS_FAIL(TLS_ALERT_INTERNAL_ERROR);
	return 0;
}

int
tls_random(struct tls_conn *c, uint8_t *buf, size_t len)
{
	return crypto_rand_bytes(&c->cc->rand, buf, len) == 0 ? 0
							      : TLS_FAIL(TLS_ALERT_INTERNAL_ERROR);
}

int
tls_copy_tparams(struct tls_conn *c, const uint8_t *tp, size_t len)
{
	free(c->peer_tp);
	c->peer_tp = malloc(len + 1);
	if (c->peer_tp == NULL)
		return TLS_FAIL(TLS_ALERT_INTERNAL_ERROR);
	if (len > 0)
		memcpy(c->peer_tp, tp, len);
	c->peer_tp_len = len;
	return 0;
}

bool
tls_alpn_contains(const uint8_t *list, size_t list_len, const uint8_t *p, size_t len)
{
	struct crypto_rd r, e;

	crypto_rd_init(&r, list, list_len);
	while (tls_get_vec(&r, 1, 1, 255, &e))
		if (crypto_rd_left(&e) == len && memcmp(e.p, p, len) == 0)
			return true;
	return false;
}

int
tls_alpn_select(const uint8_t *pref, size_t pref_len, struct crypto_rd offer, const uint8_t **sel,
		size_t *sel_len)
{
	struct crypto_rd r, e;

	crypto_rd_init(&r, pref, pref_len);
	while (tls_get_vec(&r, 1, 1, 255, &e)) {
		if (tls_alpn_contains(offer.p, crypto_rd_left(&offer), e.p, crypto_rd_left(&e))) {
			*sel = e.p;
			*sel_len = crypto_rd_left(&e);
			return 0;
		}
	}
	/* RFC 9001 §8.1: no common protocol closes with no_application_protocol. */
	return TLS_FAIL(TLS_ALERT_NO_APPLICATION_PROTOCOL);
}

int
tls_set_alpn_result(struct tls_conn *c, const uint8_t *p, size_t len)
{
	if (len == 0 || len > 255 || memchr(p, 0, len) != NULL)
		return TLS_FAIL(TLS_ALERT_NO_APPLICATION_PROTOCOL);
	memcpy(c->alpn, p, len);
	c->alpn[len] = '\0';
	c->have_alpn = true;
	return 0;
}

int
tls_derive_handshake(struct tls_conn *c, const uint8_t *ecdhe, size_t ecdhe_len)
{
	uint8_t th[TLS_MAX_HASH];
	bool server = c->role == TLS_ROLE_SERVER;
	int rc;

	/* RFC 9846 §7.1: Handshake Secret, then c/s hs traffic over ClientHello..ServerHello. */
	if (tls_transcript_hash(&c->th, th) != 0 ||
	    tls_ks_extract(c->ctx, c->h, c->early_secret, ecdhe, ecdhe_len, c->hs_secret) != 0 ||
	    tls_ks_derive(c->ctx, c->h, c->hs_secret, "c hs traffic", th, c->c_hs) != 0 ||
	    tls_ks_derive(c->ctx, c->h, c->hs_secret, "s hs traffic", th, c->s_hs) != 0)
		return TLS_FAIL(TLS_ALERT_INTERNAL_ERROR);
	rc = tls_emit_secret(c, TLS_LEVEL_HANDSHAKE, TLS_DIR_READ, server ? c->c_hs : c->s_hs);
	if (rc == 0)
		rc = tls_emit_secret(c, TLS_LEVEL_HANDSHAKE, TLS_DIR_WRITE,
				     server ? c->s_hs : c->c_hs);
	return rc;
}

int
tls_derive_master(struct tls_conn *c, uint8_t *s_ap)
{
	uint8_t th[TLS_MAX_HASH];

	/* Master Secret, then c/s ap traffic over ClientHello..server Finished. */
	if (tls_transcript_hash(&c->th, th) != 0 ||
	    tls_ks_extract(c->ctx, c->h, c->hs_secret, NULL, 0, c->master) != 0 ||
	    tls_ks_derive(c->ctx, c->h, c->master, "c ap traffic", th, c->c_ap) != 0 ||
	    tls_ks_derive(c->ctx, c->h, c->master, "s ap traffic", th, s_ap) != 0)
		return TLS_FAIL(TLS_ALERT_INTERNAL_ERROR);
	return 0;
}

int
tls_finished_write(struct tls_conn *c, bool server)
{
	uint8_t th[TLS_MAX_HASH], mac[TLS_MAX_HASH];
	struct crypto_wr w;
	size_t off;
	int rc;

	if (tls_transcript_hash(&c->th, th) != 0 ||
	    tls_ks_finished(c->ctx, c->h, server ? c->s_hs : c->c_hs, th, mac) != 0)
		return TLS_FAIL(TLS_ALERT_INTERNAL_ERROR);
	rc = tls_out_begin(c, TLS_LEVEL_HANDSHAKE, TLS_HS_HDR_LEN + c->h->len, &w, &off);
	if (rc != 0)
		return rc;
	w.start[off] = TLS_HS_FINISHED;
	crypto_put_bytes(&w, mac, c->h->len);
	return tls_out_end(c, TLS_LEVEL_HANDSHAKE, &w, off, true);
}

int
tls_finished_check(struct tls_conn *c, bool server, const uint8_t *msg, size_t len)
{
	uint8_t th[TLS_MAX_HASH], mac[TLS_MAX_HASH];

	/* verify_data is exactly Hash.length bytes (RFC 9846 §4.5.3). */
	if (len != TLS_HS_HDR_LEN + c->h->len)
		return TLS_FAIL(TLS_ALERT_DECODE_ERROR);
	if (tls_transcript_hash(&c->th, th) != 0 ||
	    tls_ks_finished(c->ctx, c->h, server ? c->s_hs : c->c_hs, th, mac) != 0)
		return TLS_FAIL(TLS_ALERT_INTERNAL_ERROR);
	if (crypto_memcmp_ct(mac, msg + TLS_HS_HDR_LEN, c->h->len) != 0)
		return TLS_FAIL(TLS_ALERT_DECRYPT_ERROR);
	if (tls_transcript_add(&c->th, msg, len) != 0)
		return TLS_FAIL(TLS_ALERT_INTERNAL_ERROR);
	return 0;
}

/* ---- Input ---- */

/* The level and message type the state machine accepts next. */
static bool
expected(const struct tls_conn *c, enum tls_level *level, uint8_t *type)
{
	switch (c->state) {
	case TLS_ST_WAIT_CH:
	case TLS_ST_WAIT_CH2:
		*level = TLS_LEVEL_INITIAL;
		*type = TLS_HS_CLIENT_HELLO;
		return true;
	case TLS_ST_WAIT_SH:
		*level = TLS_LEVEL_INITIAL;
		*type = TLS_HS_SERVER_HELLO;
		return true;
	case TLS_ST_WAIT_EE:
		*level = TLS_LEVEL_HANDSHAKE;
		*type = TLS_HS_ENCRYPTED_EXTENSIONS;
		return true;
	case TLS_ST_WAIT_CERT:
		*level = TLS_LEVEL_HANDSHAKE;
		*type = TLS_HS_CERTIFICATE;
		return true;
	case TLS_ST_WAIT_CV:
		*level = TLS_LEVEL_HANDSHAKE;
		*type = TLS_HS_CERTIFICATE_VERIFY;
		return true;
	case TLS_ST_WAIT_FIN:
	case TLS_ST_WAIT_CLIENT_FIN:
		*level = TLS_LEVEL_HANDSHAKE;
		*type = TLS_HS_FINISHED;
		return true;
	case TLS_ST_DONE:
		/* After the handshake only a client reads: NewSessionTicket at 1-RTT. */
		*level = TLS_LEVEL_APPLICATION;
		*type = TLS_HS_NEW_SESSION_TICKET;
		return c->role == TLS_ROLE_CLIENT;
	default:
		return false;
	}
}

/*
 * Check a message header before buffering anything of its body. KeyUpdate and EndOfEarlyData
 * never belong to QUIC's TLS (RFC 9001 §6, §8.3) and, like any message out of order or at the
 * wrong level, are unexpected_message. A body over the limit is refused before it is buffered:
 * handshake_failure (pinned; the message is not malformed, it is more than we negotiate).
 */
static int
check_header(const struct tls_conn *c, enum tls_level level, const uint8_t *hdr)
{
	enum tls_level want_level;
	uint8_t want_type;
	size_t body = ((size_t)hdr[1] << 16) | ((size_t)hdr[2] << 8) | hdr[3];

	if (!expected(c, &want_level, &want_type) || level != want_level)
		return TLS_FAIL(TLS_ALERT_UNEXPECTED_MESSAGE);
	/* RFC 9001 §4.4: a post-handshake CertificateRequest is a PROTOCOL_VIOLATION. */
	if (c->state == TLS_ST_DONE && hdr[0] == TLS_HS_CERTIFICATE_REQUEST)
		return TLS_E_PROTOCOL;
	if (hdr[0] != want_type)
		return TLS_FAIL(TLS_ALERT_UNEXPECTED_MESSAGE);
	if (body > c->cc->max_msg)
		return TLS_FAIL(TLS_ALERT_HANDSHAKE_FAILURE);
	return 0;
}

static int
handle(struct tls_conn *c, enum tls_level level, const uint8_t *msg, size_t len)
{
	if (c->role == TLS_ROLE_SERVER)
		return tls_server_handle(c, level, msg, len);
	return tls_client_handle(c, level, msg, len);
}

/* Start buffering a message whose header is in in->hdr. */
static int
in_start(struct tls_conn *c, struct tls_inbuf *in, enum tls_level level)
{
	int rc = check_header(c, level, in->hdr);

	if (rc != 0)
		return rc;
	in->need = TLS_HS_HDR_LEN +
		   (((size_t)in->hdr[1] << 16) | ((size_t)in->hdr[2] << 8) | in->hdr[3]);
	in->msg = malloc(in->need);
	if (in->msg == NULL)
		return TLS_FAIL(TLS_ALERT_INTERNAL_ERROR);
	memcpy(in->msg, in->hdr, TLS_HS_HDR_LEN);
	in->have = TLS_HS_HDR_LEN;
	return 0;
}

/* Consume some of data at level: one whole message in place, or into the partial buffer. */
static int
feed(struct tls_conn *c, enum tls_level level, const uint8_t **data, size_t *len)
{
	struct tls_inbuf *in = &c->in[level];
	enum tls_level want;
	uint8_t type;
	size_t n;
	int rc;

	/* Any byte at a level where nothing is due, even a partial header, is refused. */
	if (!expected(c, &want, &type) || level != want)
		return TLS_FAIL(TLS_ALERT_UNEXPECTED_MESSAGE);
	if (in->msg == NULL) {
		if (in->hdr_len == 0 && *len >= TLS_HS_HDR_LEN) {
			size_t mlen = TLS_HS_HDR_LEN + (((size_t)(*data)[1] << 16) |
							((size_t)(*data)[2] << 8) | (*data)[3]);

			rc = check_header(c, level, *data);
			if (rc == 0 && *len >= mlen) {
				/* Fast path: a whole message in the caller's buffer, no copy. */
				rc = handle(c, level, *data, mlen);
				*data += mlen;
				*len -= mlen;
				return rc;
			}
			if (rc != 0)
				return rc;
		}
		n = TLS_HS_HDR_LEN - in->hdr_len;
		n = n < *len ? n : *len;
		memcpy(in->hdr + in->hdr_len, *data, n);
		in->hdr_len += n;
		*data += n;
		*len -= n;
		if (in->hdr_len < TLS_HS_HDR_LEN)
			return 0;
		rc = in_start(c, in, level);
		if (rc != 0)
			return rc;
	}
	n = in->need - in->have < *len ? in->need - in->have : *len;
	memcpy(in->msg + in->have, *data, n);
	in->have += n;
	*data += n;
	*len -= n;
	if (in->have < in->need)
		return 0;
	rc = handle(c, level, in->msg, in->need);
	free(in->msg);
	in->msg = NULL;
	in->hdr_len = 0;
	return rc;
}

int
tls_conn_recv(struct tls_conn *c, enum tls_level level, const uint8_t *data, size_t len,
	      uint64_t now_ms)
{
	int rc;

	if (c == NULL || (unsigned)level >= TLS_LEVEL_COUNT || (data == NULL && len > 0))
		return TLS_ERR_INVAL;
	if (c->state == TLS_ST_FAILED)
		return c->fail_err;
	if (c->state == TLS_ST_CLIENT_START)
		return TLS_ERR_STATE;
	c->now_ms = now_ms;
	while (len > 0) {
		rc = feed(c, level, &data, &len);
		if (rc != 0)
			return tls_fail(c, rc);
	}
	return 0;
}

/* ---- Queries ---- */

enum tls_role
tls_conn_role(const struct tls_conn *c)
{
	return c->role;
}

bool
tls_conn_handshake_done(const struct tls_conn *c)
{
	return c->done;
}

int
tls_conn_alert(const struct tls_conn *c)
{
	return c->state == TLS_ST_FAILED ? c->alert : TLS_ALERT_NONE;
}

enum crypto_suite
tls_conn_suite(const struct tls_conn *c)
{
	return c->suite;
}

enum crypto_group
tls_conn_group(const struct tls_conn *c)
{
	return (enum crypto_group)c->group;
}

const char *
tls_conn_alpn(const struct tls_conn *c)
{
	return c->have_alpn ? c->alpn : NULL;
}

const uint8_t *
tls_conn_peer_tparams(const struct tls_conn *c, size_t *len)
{
	*len = c->peer_tp != NULL ? c->peer_tp_len : 0;
	return c->peer_tp;
}

const char *
tls_conn_server_name(const struct tls_conn *c)
{
	return c->have_server_name ? c->server_name : NULL;
}

bool
tls_conn_resumed(const struct tls_conn *c)
{
	return c->resumed;
}

bool
tls_conn_hrr(const struct tls_conn *c)
{
	return c->hrr;
}

enum tls_early_data
tls_conn_early_data(const struct tls_conn *c)
{
	return c->early;
}

const uint8_t *
tls_conn_session_tparams(const struct tls_conn *c, size_t *len)
{
	*len = c->sess != NULL ? c->sess->tparams_len : 0;
	return c->sess != NULL ? c->sess->tparams : NULL;
}

const char *
tls_conn_session_alpn(const struct tls_conn *c)
{
	return c->sess != NULL ? c->sess->alpn : NULL;
}
