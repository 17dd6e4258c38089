/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * HTTP/3 streams of a server connection (RFC 9114 §6): our control stream with SETTINGS (and
 * GOAWAY at shutdown) and our QPACK encoder and decoder streams; the client's control stream,
 * QPACK streams and unknown unidirectional streams; and request streams, whose frames are
 * parsed as they arrive, without buffering more than one bounded HEADERS frame per stream.
 */
#include <string.h>

#include <quic/error.h>
#include <quic/h3.h>
#include <quic/qpack.h>

#include "app_int.h"

/* The reserved setting we send (0x1f * N + 0x21, RFC 9114 §7.2.4.1), with value 0. */
#define H3_GREASE_SETTING (0x1f * 7 + 0x21)

/* ---- our unidirectional streams ---- */

void
quic_h3_goaway(struct quic_app *app)
{
	struct app_stream *s = app->uni_opened > 0 ? quic_app_find(app, app->own_control_id) : NULL;
	uint8_t buf[16];
	struct crypto_wr w;

	/* Without a control stream yet, quic_h3_open_own() sends it after SETTINGS. */
	if (s == NULL)
		return;
	crypto_wr_init(&w, buf, sizeof(buf));
	if (quic_h3_varint_frame_put(&w, QUIC_H3_FRAME_GOAWAY, app->goaway_id) != 0 ||
	    !quic_app_prefix_append(s, buf, crypto_wr_len(&w)))
		quic_app_fail(app, QUIC_H3_ERR_INTERNAL);
}

int
quic_h3_open_own(struct quic_app *app, struct app_stream *s)
{
	struct quic_h3_settings set = {
		.qpack_max_table_capacity = 0,
		.qpack_blocked_streams = 0,
		.max_field_section_size = app->cfg.max_field_section_size,
		.present = 1u << QUIC_H3_SETTING_QPACK_MAX_TABLE_CAPACITY |
			   1u << QUIC_H3_SETTING_QPACK_BLOCKED_STREAMS |
			   1u << QUIC_H3_SETTING_MAX_FIELD_SECTION_SIZE,
	};
	uint8_t buf[64];
	struct crypto_wr w;

	crypto_wr_init(&w, buf, sizeof(buf));
	/* §6.2.1: SETTINGS is the first frame of the control stream. */
	quic_put_varint(&w, QUIC_H3_STREAM_CONTROL);
	quic_h3_settings_put(&w, &set, H3_GREASE_SETTING);
	app->own_control_id = s->id;
	if (w.err || !quic_app_prefix_append(s, buf, crypto_wr_len(&w)))
		return quic_app_fail(app, QUIC_H3_ERR_INTERNAL);
	if (app->shutdown)
		quic_h3_goaway(app);
	return app->err;
}

int
quic_h3_critical_closed(struct quic_app *app, struct app_stream *s)
{
	(void)s;
	/* §6.2.1, RFC 9204 §4.2: closing a control or QPACK stream is a connection error. */
	return quic_app_fail(app, QUIC_H3_ERR_CLOSED_CRITICAL);
}

/* ---- frame parsing ---- */

struct frame_ops {
	/* A frame's header is in: rx.type and rx.left set; set rx.keep to gather the payload. */
	int (*begin)(struct quic_app *app, struct app_stream *s);
	/* The whole payload went by (gathered in rx.buf[0..rx.len) when rx.keep). */
	int (*end)(struct quic_app *app, struct app_stream *s);
};

/* Gather header bytes; @return bytes used from p; *done when type and length are known. */
static size_t
header_gather(struct app_rx *rx, const uint8_t *p, size_t len, bool *done)
{
	size_t old = rx->hdr_len, take = sizeof(rx->hdr) - old;
	int n;

	if (take > len)
		take = len;
	memcpy(rx->hdr + old, p, take);
	n = quic_h3_frame_header_decode(rx->hdr, old + take, &rx->type, &rx->left);
	if (n < 0) {
		/* Two varints never take more than 16 bytes, so this always has room. */
		rx->hdr_len = (uint8_t)(old + take);
		*done = false;
		return take;
	}
	rx->hdr_len = 0;
	*done = true;
	return (size_t)n - old;
}

static int
frame_end(struct quic_app *app, struct app_stream *s, const struct frame_ops *ops)
{
	int rc;

	s->rx.in_payload = false;
	rc = ops->end(app, s);
	if (s->rx.keep) {
		s->rx.keep = false;
		quic_app_rx_release(app, s);
	}
	return rc;
}

/* Reserve room for the current frame's payload and gather it. */
static int
frame_keep(struct quic_app *app, struct app_stream *s)
{
	int rc;

	s->rx.len = 0;
	rc = quic_app_rx_reserve(app, s, (size_t)s->rx.left);
	if (rc == 0)
		s->rx.keep = true;
	return rc;
}

/* Run p[0..len) through the frame parser of a stream (§7.1). */
static int
frames_rx(struct quic_app *app, struct app_stream *s, const uint8_t *p, size_t len,
	  const struct frame_ops *ops)
{
	struct app_rx *rx = &s->rx;
	int rc = 0;

	while (len > 0 && rc == 0 && !s->discard) {
		size_t n;

		if (!rx->in_payload) {
			bool done;

			n = header_gather(rx, p, len, &done);
			p += n;
			len -= n;
			if (!done)
				break;
			rx->in_payload = true;
			rx->keep = false;
			rc = ops->begin(app, s);
			if (rc == 0 && rx->left == 0 && !s->discard)
				rc = frame_end(app, s, ops);
			continue;
		}
		n = rx->left < len ? (size_t)rx->left : len;
		if (rx->keep) {
			memcpy(rx->buf + rx->len, p, n);
			rx->len += n;
		}
		rx->left -= n;
		p += n;
		len -= n;
		if (rx->left == 0)
			rc = frame_end(app, s, ops);
	}
	return rc;
}

/* ---- the client's control stream, §6.2.1 and §7.2 ---- */

static int
ctl_begin(struct quic_app *app, struct app_stream *s)
{
	uint64_t type = s->rx.type;

	if (!app->settings_rx) {
		/* §6.2.1: anything but SETTINGS first is H3_MISSING_SETTINGS. */
		if (type != QUIC_H3_FRAME_SETTINGS)
			return QUIC_H3_ERR_MISSING_SETTINGS;
		if (s->rx.left > QUIC_H3_MAX_SETTINGS_PAYLOAD)
			return QUIC_H3_ERR_EXCESSIVE_LOAD;
		return frame_keep(app, s);
	}
	switch (type) {
	case QUIC_H3_FRAME_SETTINGS:	 /* §7.2.4: a second SETTINGS */
	case QUIC_H3_FRAME_DATA:	 /* §7.2.1 */
	case QUIC_H3_FRAME_HEADERS:	 /* §7.2.2 */
	case QUIC_H3_FRAME_PUSH_PROMISE: /* §7.2.5: never from a client */
		return QUIC_H3_ERR_FRAME_UNEXPECTED;
	case QUIC_H3_FRAME_CANCEL_PUSH:
	case QUIC_H3_FRAME_GOAWAY:
	case QUIC_H3_FRAME_MAX_PUSH_ID:
		/* One varint: a longer payload is H3_FRAME_ERROR (§7.1). */
		if (s->rx.left > 8)
			return QUIC_H3_ERR_FRAME;
		return frame_keep(app, s);
	default:
		/* §7.2.8: HTTP/2 types are errors; unknown and reserved types are skipped. */
		return quic_h3_is_h2_frame(type) ? QUIC_H3_ERR_FRAME_UNEXPECTED : 0;
	}
}

static int
ctl_end(struct quic_app *app, struct app_stream *s)
{
	const uint8_t *p = s->rx.buf;
	size_t len = s->rx.len;
	uint64_t v;
	int rc;

	if (s->rx.type == QUIC_H3_FRAME_SETTINGS) {
		rc = quic_h3_settings_decode(p, len, &app->peer_settings);
		app->settings_rx = rc == 0;
		return rc;
	}
	if (!s->rx.keep)
		return 0;
	rc = quic_h3_varint_frame_decode(p, len, &v);
	if (rc != 0)
		return rc;
	switch (s->rx.type) {
	case QUIC_H3_FRAME_GOAWAY:
		/* §5.2: a later GOAWAY may not carry a larger identifier. */
		if (app->peer_goaway && v > app->peer_goaway_id)
			return QUIC_H3_ERR_ID;
		app->peer_goaway = true;
		app->peer_goaway_id = v;
		return 0;
	case QUIC_H3_FRAME_MAX_PUSH_ID:
		/* §7.2.7: MAX_PUSH_ID may not decrease. */
		if (app->max_push_id_rx && v < app->max_push_id)
			return QUIC_H3_ERR_ID;
		app->max_push_id_rx = true;
		app->max_push_id = v;
		return 0;
	default:
		/* §7.2.3: CANCEL_PUSH for a push ID no PUSH_PROMISE named; we never push. */
		return QUIC_H3_ERR_ID;
	}
}

static const struct frame_ops ctl_ops = {ctl_begin, ctl_end};

/* ---- the client's QPACK streams, RFC 9204 §4.2 ---- */

static int
encoder_rx(const uint8_t *p, size_t len)
{
	/*
	 * We advertise SETTINGS_QPACK_MAX_TABLE_CAPACITY 0, so the one valid encoder instruction
	 * is Set Dynamic Table Capacity 0, the byte 0x20: a larger capacity exceeds our limit
	 * (§4.3.1), no insertion fits in a table of capacity 0 (§3.2.2) and Duplicate has no entry
	 * to copy (§4.3.4). Each is QPACK_ENCODER_STREAM_ERROR, so nothing needs buffering.
	 */
	for (size_t i = 0; i < len; i++)
		if (p[i] != 0x20)
			return QUIC_H3_ERR_QPACK_ENCODER_STREAM;
	return 0;
}

static int
decoder_rx(struct quic_app *app, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		uint8_t b = p[i];

		if (app->dec_in_int) {
			/* The continuation of a Stream Cancellation's stream ID (RFC 7541 §5.1). */
			if (app->dec_shift > 56)
				return QUIC_H3_ERR_QPACK_DECODER_STREAM;
			app->dec_value += (uint64_t)(b & 0x7f) << app->dec_shift;
			if (app->dec_value > QUIC_QPACK_INT_MAX)
				return QUIC_H3_ERR_QPACK_DECODER_STREAM;
			app->dec_shift += 7;
			app->dec_in_int = (b & 0x80) != 0;
			continue;
		}
		/* §4.4.1: a Section Acknowledgment, but we never send Required Insert Count > 0. */
		if (b & 0x80)
			return QUIC_H3_ERR_QPACK_DECODER_STREAM;
		/* §4.4.3: an Insert Count Increment, but we never insert. */
		if (!(b & 0x40))
			return QUIC_H3_ERR_QPACK_DECODER_STREAM;
		/* §4.4.2: Stream Cancellation, harmless without a dynamic table. */
		if ((b & 0x3f) == 0x3f) {
			app->dec_in_int = true;
			app->dec_shift = 0;
			app->dec_value = 0x3f;
		}
	}
	return 0;
}

/* §6.2: the stream type decides what a client's unidirectional stream is. */
static int
uni_kind(struct quic_app *app, struct app_stream *s, uint64_t type)
{
	bool *seen = NULL;
	enum stream_kind kind = KIND_UNI_IGNORED;

	switch (type) {
	case QUIC_H3_STREAM_CONTROL:
		seen = &app->peer_control;
		kind = KIND_PEER_CONTROL;
		break;
	case QUIC_H3_STREAM_PUSH:
		/* §6.2.2: only servers push. */
		return QUIC_H3_ERR_STREAM_CREATION;
	case QUIC_H3_STREAM_QPACK_ENCODER:
		seen = &app->peer_encoder;
		kind = KIND_PEER_ENCODER;
		break;
	case QUIC_H3_STREAM_QPACK_DECODER:
		seen = &app->peer_decoder;
		kind = KIND_PEER_DECODER;
		break;
	default:
		/* Unknown and reserved types are ignored, never a connection error (§6.2). */
		break;
	}
	/* §6.2.1 and RFC 9204 §4.2: a second stream of a critical type. */
	if (seen != NULL && *seen)
		return QUIC_H3_ERR_STREAM_CREATION;
	if (seen != NULL)
		*seen = true;
	s->kind = (uint8_t)kind;
	return 0;
}

/* Read the stream type varint; *p and *len advance past what was used. */
static int
uni_type(struct quic_app *app, struct app_stream *s, const uint8_t **p, size_t *len)
{
	struct app_rx *rx = &s->rx;
	uint64_t type;

	while (*len > 0) {
		rx->hdr[rx->hdr_len++] = **p;
		(*p)++;
		(*len)--;
		if (rx->hdr_len < quic_varint_len_from_byte(rx->hdr[0]))
			continue;
		quic_varint_decode(rx->hdr, rx->hdr_len, &type);
		rx->hdr_len = 0;
		return uni_kind(app, s, type);
	}
	return 0;
}

/* ---- request streams, §4.1 ---- */

enum {
	PSEUDO_METHOD = 1,
	PSEUDO_SCHEME = 2,
	PSEUDO_AUTHORITY = 4,
	PSEUDO_PATH = 8,
};

enum method {
	METHOD_OTHER = 0,
	METHOD_GET,
	METHOD_HEAD,
	METHOD_CONNECT,
};

/* What a request's header section says, gathered field by field. */
struct req_info {
	uint8_t seen;	  /* PSEUDO_* */
	bool regular;	  /* a regular field came: pseudo-headers may not follow */
	uint8_t method;	  /* enum method */
	bool http_scheme; /* "http" or "https": an authority is mandatory */
	bool authority;	  /* a non-empty :authority */
	bool host;	  /* a non-empty host */
	bool path_abs;	  /* :path starts with '/' */
	bool path_star;	  /* :path is "*" */
	int path_rc;	  /* normalisation of :path */
	size_t path_len;
	char path[QUIC_APP_MAX_PATH + 1];
};

static bool
is(const uint8_t *p, size_t n, const char *lit)
{
	return strlen(lit) == n && memcmp(p, lit, n) == 0;
}

/* §4.2: field names are lowercase tokens (RFC 9110 §5.1); pseudo-headers add a leading ':'. */
static bool
name_ok(const uint8_t *name, size_t n)
{
	static const char extra[] = "!#$%&'*+-.^_`|~";

	if (n == 0 || (name[0] == ':' && n == 1))
		return false;
	for (size_t i = name[0] == ':' ? 1 : 0; i < n; i++) {
		uint8_t c = name[i];

		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
			continue;
		if (c == 0 || memchr(extra, c, sizeof(extra) - 1) == NULL)
			return false;
	}
	return true;
}

/* §4.1.2, §10.3: NUL, CR and LF never appear in a field value. */
static bool
value_ok(const uint8_t *v, size_t n)
{
	return memchr(v, 0, n) == NULL && memchr(v, '\r', n) == NULL && memchr(v, '\n', n) == NULL;
}

static uint8_t
method_of(const uint8_t *v, size_t n)
{
	if (is(v, n, "GET"))
		return METHOD_GET;
	if (is(v, n, "HEAD"))
		return METHOD_HEAD;
	if (is(v, n, "CONNECT"))
		return METHOD_CONNECT;
	return METHOD_OTHER;
}

/* §4.3.1: one each of the request pseudo-headers, before any regular field. */
static int
pseudo_field(struct req_info *q, const uint8_t *name, size_t nl, const uint8_t *v, size_t vl)
{
	uint8_t bit;

	if (is(name, nl, ":method"))
		bit = PSEUDO_METHOD;
	else if (is(name, nl, ":scheme"))
		bit = PSEUDO_SCHEME;
	else if (is(name, nl, ":authority"))
		bit = PSEUDO_AUTHORITY;
	else if (is(name, nl, ":path"))
		bit = PSEUDO_PATH;
	else /* :status, :protocol and anything else is invalid in a request (§4.3) */
		return QUIC_H3_ERR_MESSAGE;
	if (q->regular || (q->seen & bit))
		return QUIC_H3_ERR_MESSAGE;
	q->seen |= bit;
	if (bit == PSEUDO_METHOD)
		q->method = method_of(v, vl);
	else if (bit == PSEUDO_SCHEME)
		q->http_scheme = is(v, vl, "http") || is(v, vl, "https");
	else if (bit == PSEUDO_AUTHORITY)
		q->authority = vl > 0;
	else {
		q->path_abs = vl > 0 && v[0] == '/';
		q->path_star = is(v, vl, "*");
		q->path_rc = quic_app_path_normalize(v, vl, q->path, sizeof(q->path), &q->path_len);
	}
	return 0;
}

static int
req_field(void *ctx, const uint8_t *name, size_t nl, const uint8_t *value, size_t vl)
{
	struct req_info *q = ctx;

	if (!name_ok(name, nl) || !value_ok(value, vl))
		return QUIC_H3_ERR_MESSAGE;
	if (name[0] == ':')
		return pseudo_field(q, name, nl, value, vl);
	q->regular = true;
	/* §4.2: connection-specific fields make a message malformed; TE only as "trailers". */
	if (is(name, nl, "connection") || is(name, nl, "keep-alive") ||
	    is(name, nl, "proxy-connection") || is(name, nl, "transfer-encoding") ||
	    is(name, nl, "upgrade"))
		return QUIC_H3_ERR_MESSAGE;
	if (is(name, nl, "te") && !is(value, vl, "trailers"))
		return QUIC_H3_ERR_MESSAGE;
	if (is(name, nl, "host"))
		q->host = vl > 0;
	return 0;
}

/* §4.3.1, §4.4: the mandatory pseudo-headers of a complete header section. */
static bool
req_complete(const struct req_info *q)
{
	const uint8_t need = PSEUDO_METHOD | PSEUDO_SCHEME | PSEUDO_PATH;

	if (!(q->seen & PSEUDO_METHOD))
		return false;
	if (q->method == METHOD_CONNECT)
		return (q->seen & PSEUDO_AUTHORITY) && !(q->seen & (PSEUDO_SCHEME | PSEUDO_PATH));
	if ((q->seen & need) != need || !(q->path_abs || q->path_star))
		return false;
	return !q->http_scheme || q->authority || q->host;
}

/* Write n in decimal; @return its length. */
static size_t
put_decimal(char *out, uint64_t n)
{
	char tmp[20];
	size_t len = 0;

	do {
		tmp[len++] = (char)('0' + n % 10);
		n /= 10;
	} while (n > 0);
	for (size_t i = 0; i < len; i++)
		out[i] = tmp[len - 1 - i];
	return len;
}

/*
 * Queue a response: HEADERS with :status and content-length (and allow for 405), then, unless
 * head or empty, one DATA frame carrying obj's bytes, then FIN. obj is the stream's afterwards.
 */
static void
h3_respond(struct quic_app *app, struct app_stream *s, unsigned status, struct quic_app_object *obj,
	   bool head)
{
	uint8_t fields[96], frame[APP_PREFIX_CAP];
	uint64_t body = obj != NULL && !head ? obj->size : 0;
	struct crypto_wr fw, w;
	char st[3], num[20];

	st[0] = (char)('0' + status / 100);
	st[1] = (char)('0' + status / 10 % 10);
	st[2] = (char)('0' + status % 10);
	crypto_wr_init(&fw, fields, sizeof(fields));
	quic_qpack_put_prefix(&fw);
	quic_qpack_put_field(&fw, ":status", 7, st, 3);
	quic_qpack_put_field(&fw, "content-length", 14, num,
			     put_decimal(num, obj != NULL ? obj->size : 0));
	/* RFC 9110 §15.5.6: a 405 lists the methods the resource supports. */
	if (status == 405)
		quic_qpack_put_field(&fw, "allow", 5, "GET, HEAD", 9);
	crypto_wr_init(&w, frame, sizeof(frame));
	quic_h3_frame_header_put(&w, QUIC_H3_FRAME_HEADERS, crypto_wr_len(&fw));
	crypto_put_bytes(&w, fields, crypto_wr_len(&fw));
	if (body > 0)
		quic_h3_frame_header_put(&w, QUIC_H3_FRAME_DATA, body);
	if (obj != NULL && body == 0)
		quic_app_release(app, obj);
	if (fw.err || w.err || !quic_app_prefix_append(s, frame, crypto_wr_len(&w))) {
		if (body > 0)
			quic_app_release(app, obj);
		quic_app_stream_error(app, s, QUIC_H3_INTERNAL_ERROR, false);
		return;
	}
	quic_app_tx_body(s, body > 0 ? BODY_OBJECT : BODY_NONE, body > 0 ? obj : NULL, body);
}

/* A complete header section: decode, check, answer. */
static int
h3_request(struct quic_app *app, struct app_stream *s)
{
	struct req_info q = {.path_rc = QUIC_H3_ERR_PATH};
	struct quic_app_object obj;
	int rc;

	rc = quic_qpack_decode_section(s->rx.buf, s->rx.len, app->cfg.max_field_section_size,
				       app->scratch, app->cfg.max_field_section_size, req_field,
				       &q);
	if (rc == QUIC_H3_ERR_TOO_LARGE) {
		/* RFC 9114 §4.2.2: a section larger than we accept gets 431. */
		h3_respond(app, s, 431, NULL, false);
		return 0;
	}
	if (rc == QUIC_H3_ERR_MESSAGE || (rc == 0 && !req_complete(&q))) {
		/* §4.1.2: a malformed request is a stream error H3_MESSAGE_ERROR. */
		quic_app_stream_error(app, s, QUIC_H3_MESSAGE_ERROR, true);
		return 0;
	}
	if (rc != 0)
		return rc;
	if (q.method != METHOD_GET && q.method != METHOD_HEAD)
		h3_respond(app, s, 405, NULL, false);
	else if (q.path_rc != 0 || quic_app_lookup(app, q.path, &obj) != 0)
		h3_respond(app, s, 404, NULL, q.method == METHOD_HEAD);
	else
		h3_respond(app, s, 200, &obj, q.method == METHOD_HEAD);
	return 0;
}

static int
req_begin(struct quic_app *app, struct app_stream *s)
{
	int rc;

	switch (s->rx.type) {
	case QUIC_H3_FRAME_DATA:
		/* §4.1: DATA before the header section or after trailers is H3_FRAME_UNEXPECTED. */
		return s->req == REQ_BODY ? 0 : QUIC_H3_ERR_FRAME_UNEXPECTED;
	case QUIC_H3_FRAME_HEADERS:
		if (s->req == REQ_TRAILERS)
			return QUIC_H3_ERR_FRAME_UNEXPECTED;
		/* Trailers are skipped; the request is answered from its header section. */
		if (s->req == REQ_BODY)
			return 0;
		/*
		 * Larger than any section we accept: answer 431 now (RFC 9114 §4.2.2) and skip the
		 * payload as it comes, unbuffered.
		 */
		if (s->rx.left > app->cfg.max_field_section_size) {
			s->too_large = true;
			s->req = REQ_BODY;
			h3_respond(app, s, 431, NULL, false);
			return 0;
		}
		rc = frame_keep(app, s);
		/* The connection's buffer budget is spent: refuse this request unprocessed. */
		if (rc == QUIC_H3_ERR_EXCESSIVE_LOAD) {
			quic_app_stream_error(app, s, QUIC_H3_REQUEST_REJECTED, true);
			return 0;
		}
		return rc;
	case QUIC_H3_FRAME_CANCEL_PUSH:
	case QUIC_H3_FRAME_SETTINGS:
	case QUIC_H3_FRAME_PUSH_PROMISE:
	case QUIC_H3_FRAME_GOAWAY:
	case QUIC_H3_FRAME_MAX_PUSH_ID:
		/* §7.2.3-§7.2.7: control-stream frames, and PUSH_PROMISE from a client. */
		return QUIC_H3_ERR_FRAME_UNEXPECTED;
	default:
		return quic_h3_is_h2_frame(s->rx.type) ? QUIC_H3_ERR_FRAME_UNEXPECTED : 0;
	}
}

static int
req_end(struct quic_app *app, struct app_stream *s)
{
	if (s->rx.type != QUIC_H3_FRAME_HEADERS)
		return 0;
	if (s->too_large) { /* the skipped header section, already answered */
		s->too_large = false;
		return 0;
	}
	if (s->req == REQ_BODY) {
		s->req = REQ_TRAILERS;
		return 0;
	}
	s->req = REQ_BODY;
	return h3_request(app, s);
}

static const struct frame_ops req_ops = {req_begin, req_end};

static int
request_rx(struct quic_app *app, struct app_stream *s, const uint8_t *p, size_t len, bool fin)
{
	int rc = 0;

	if (!s->discard)
		rc = frames_rx(app, s, p, len, &req_ops);
	if (rc != 0 || !fin)
		return rc;
	s->rx_done = true;
	if (s->discard)
		return 0;
	/* §7.1: a stream that ends cleanly inside a frame is H3_FRAME_ERROR. */
	if (s->rx.in_payload || s->rx.hdr_len > 0)
		return QUIC_H3_ERR_FRAME;
	/* §4.1: the stream ended without a header section. */
	if (s->req == REQ_HEADERS)
		quic_app_stream_error(app, s, QUIC_H3_REQUEST_INCOMPLETE, false);
	return 0;
}

int
quic_h3_stream_rx(struct quic_app *app, struct app_stream *s, const uint8_t *p, size_t len,
		  bool fin)
{
	int rc = 0;

	if (s->kind == KIND_UNI_PENDING)
		rc = uni_type(app, s, &p, &len);
	if (rc != 0)
		return rc;
	switch (s->kind) {
	case KIND_REQUEST:
		rc = request_rx(app, s, p, len, fin);
		break;
	case KIND_PEER_CONTROL:
		rc = frames_rx(app, s, p, len, &ctl_ops);
		break;
	case KIND_PEER_ENCODER:
		rc = encoder_rx(p, len);
		break;
	case KIND_PEER_DECODER:
		rc = decoder_rx(app, p, len);
		break;
	default: /* type still incomplete, or an ignored type: drop the bytes */
		s->rx_done = fin;
		break;
	}
	/* §6.2.1, RFC 9204 §4.2: the peer may not close its control or QPACK streams. */
	if (rc == 0 && fin && s->kind >= KIND_PEER_CONTROL && s->kind <= KIND_PEER_DECODER)
		rc = QUIC_H3_ERR_CLOSED_CRITICAL;
	if (rc == 0)
		quic_app_maybe_free(app, s);
	return rc;
}
