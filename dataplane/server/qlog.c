/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * qlog writer of the hayabusa server (qlog.h): a small JSON writer, the qlog records made from
 * the connection's events (quic/qlog.h), and the per-connection files.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <quic/frame.h>

#include "qlog.h"

/* ---- JSON ---- */

void
srv_json_init(struct srv_json *j, char *buf, size_t cap)
{
	*j = (struct srv_json){.buf = buf, .cap = cap};
}

static void
put(struct srv_json *j, const char *s, size_t n)
{
	if (j->overflow)
		return;
	if (n > j->cap - j->len) {
		j->overflow = true;
		return;
	}
	memcpy(j->buf + j->len, s, n);
	j->len += n;
}

static void
putc_(struct srv_json *j, char ch)
{
	put(j, &ch, 1);
}

/* A value or a key starts here: separate it from the previous one. */
static void
sep(struct srv_json *j)
{
	if (j->comma)
		putc_(j, ',');
	j->comma = true;
}

void
srv_json_record_begin(struct srv_json *j)
{
	putc_(j, 0x1e);
	j->comma = false;
}

void
srv_json_record_end(struct srv_json *j)
{
	putc_(j, '\n');
	j->comma = false;
}

void
srv_json_open(struct srv_json *j, char bracket)
{
	sep(j);
	putc_(j, bracket);
	j->comma = false;
}

void
srv_json_close(struct srv_json *j, char bracket)
{
	putc_(j, bracket);
	j->comma = true;
}

void
srv_json_key(struct srv_json *j, const char *key)
{
	sep(j);
	putc_(j, '"');
	put(j, key, strlen(key));
	put(j, "\":", 2);
	j->comma = false;
}

/* Length of the valid UTF-8 sequence at s[0..n) (RFC 3629 §4), 0 if there is none. */
static size_t
utf8_len(const uint8_t *s, size_t n)
{
	size_t want, i;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		want = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		want = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		want = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (want > n)
		return 0;
	for (i = 1; i < want; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates and code points above U+10FFFF are not UTF-8. */
	if ((want == 3 && cp < 0x800) || (want == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return want;
}

static void
str_byte(struct srv_json *j, uint8_t ch)
{
	char esc[8];

	switch (ch) {
	case '"':
		put(j, "\\\"", 2);
		return;
	case '\\':
		put(j, "\\\\", 2);
		return;
	case '\n':
		put(j, "\\n", 2);
		return;
	case '\r':
		put(j, "\\r", 2);
		return;
	case '\t':
		put(j, "\\t", 2);
		return;
	default:
		break;
	}
	if (ch < 0x20) {
		snprintf(esc, sizeof(esc), "\\u%04x", ch);
		put(j, esc, 6);
		return;
	}
	putc_(j, (char)ch);
}

void
srv_json_str(struct srv_json *j, const uint8_t *s, size_t len)
{
	size_t i = 0, n;

	sep(j);
	putc_(j, '"');
	while (i < len && !j->overflow) {
		n = utf8_len(s + i, len - i);
		if (n == 0) {
			put(j, "\\ufffd", 6);
			i++;
		} else if (n == 1) {
			str_byte(j, s[i++]);
		} else {
			put(j, (const char *)s + i, n);
			i += n;
		}
	}
	putc_(j, '"');
}

void
srv_json_cstr(struct srv_json *j, const char *s)
{
	srv_json_str(j, (const uint8_t *)s, strlen(s));
}

void
srv_json_u64(struct srv_json *j, uint64_t v)
{
	char b[24];
	int n = snprintf(b, sizeof(b), "%llu", (unsigned long long)v);

	sep(j);
	put(j, b, (size_t)n);
}

void
srv_json_bool(struct srv_json *j, bool v)
{
	sep(j);
	put(j, v ? "true" : "false", v ? 4 : 5);
}

void
srv_json_ms(struct srv_json *j, uint64_t ns)
{
	char b[32];
	uint64_t us = ns / 1000;
	int n = snprintf(b, sizeof(b), "%llu.%03u", (unsigned long long)(us / 1000),
			 (unsigned)(us % 1000));

	sep(j);
	put(j, b, (size_t)n);
}

void
srv_json_hex(struct srv_json *j, const uint8_t *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";

	sep(j);
	putc_(j, '"');
	for (size_t i = 0; i < n; i++) {
		putc_(j, digits[p[i] >> 4]);
		putc_(j, digits[p[i] & 15]);
	}
	putc_(j, '"');
}

/* "key": value helpers. */
static void
kv_u64(struct srv_json *j, const char *k, uint64_t v)
{
	srv_json_key(j, k);
	srv_json_u64(j, v);
}

static void
kv_str(struct srv_json *j, const char *k, const char *v)
{
	srv_json_key(j, k);
	srv_json_cstr(j, v);
}

/* ---- header ---- */

void
srv_qlog_header(struct srv_json *j, const struct quic_cid *odcid, bool server,
		uint64_t reference_time_ms)
{
	srv_json_record_begin(j);
	srv_json_open(j, '{');
	kv_str(j, "qlog_version", "0.3");
	kv_str(j, "qlog_format", "JSON-SEQ");
	kv_str(j, "title", "hayabusa");
	srv_json_key(j, "trace");
	srv_json_open(j, '{');
	srv_json_key(j, "vantage_point");
	srv_json_open(j, '{');
	kv_str(j, "name", "hayabusa");
	kv_str(j, "type", server ? "server" : "client");
	srv_json_close(j, '}');
	srv_json_key(j, "common_fields");
	srv_json_open(j, '{');
	srv_json_key(j, "ODCID");
	srv_json_hex(j, odcid->data, odcid->len);
	srv_json_key(j, "group_id");
	srv_json_hex(j, odcid->data, odcid->len);
	kv_str(j, "protocol_type", "QUIC");
	kv_u64(j, "reference_time", reference_time_ms);
	kv_str(j, "time_format", "relative");
	srv_json_close(j, '}');
	srv_json_close(j, '}');
	srv_json_close(j, '}');
	srv_json_record_end(j);
}

/* ---- frames (draft-ietf-quic-qlog-quic-events §8 QuicFrame) ---- */

static const char *
pkt_type_name(enum quic_pkt_type t)
{
	switch (t) {
	case QUIC_PKT_INITIAL:
		return "initial";
	case QUIC_PKT_0RTT:
		return "0RTT";
	case QUIC_PKT_HANDSHAKE:
		return "handshake";
	case QUIC_PKT_RETRY:
		return "retry";
	case QUIC_PKT_1RTT:
		return "1RTT";
	case QUIC_PKT_VN:
		return "version_negotiation";
	}
	return "unknown";
}

static void
frame_ack(struct srv_json *j, const struct quic_frame_ack *a, bool ecn)
{
	struct quic_ack_iter it;
	struct quic_ack_range r;
	unsigned n = 0;

	kv_str(j, "frame_type", "ack");
	srv_json_key(j, "acked_ranges");
	srv_json_open(j, '[');
	quic_ack_iter_init(&it, a);
	while (n++ < SRV_QLOG_MAX_RANGES && quic_ack_range_next(&it, &r)) {
		srv_json_open(j, '[');
		srv_json_u64(j, r.smallest);
		srv_json_u64(j, r.largest);
		srv_json_close(j, ']');
	}
	srv_json_close(j, ']');
	if (ecn) {
		kv_u64(j, "ect0", a->ect0);
		kv_u64(j, "ect1", a->ect1);
		kv_u64(j, "ce", a->ce);
	}
}

static void
frame_close(struct srv_json *j, const struct quic_frame_connection_close *cc, bool app)
{
	kv_str(j, "frame_type", "connection_close");
	kv_str(j, "error_space", app ? "application" : "transport");
	kv_u64(j, "error_code", cc->error_code);
	kv_u64(j, "raw_error_code", cc->error_code);
	srv_json_key(j, "reason");
	srv_json_str(j, cc->reason, cc->reason_len);
	if (!app)
		kv_u64(j, "trigger_frame_type", cc->frame_type);
}

static void
frame_stream(struct srv_json *j, const struct quic_frame *f)
{
	kv_str(j, "frame_type", "stream");
	kv_u64(j, "stream_id", f->stream.stream_id);
	kv_u64(j, "offset", f->stream.offset);
	kv_u64(j, "length", f->stream.len);
	srv_json_key(j, "fin");
	srv_json_bool(j, (f->type & QUIC_STREAM_BIT_FIN) != 0);
}

static void
frame_new_cid(struct srv_json *j, const struct quic_frame_new_connection_id *n)
{
	kv_str(j, "frame_type", "new_connection_id");
	kv_u64(j, "sequence_number", n->seq);
	kv_u64(j, "retire_prior_to", n->retire_prior_to);
	kv_u64(j, "connection_id_length", n->cid_len);
	srv_json_key(j, "connection_id");
	srv_json_hex(j, n->cid, n->cid_len);
}

/* Frames with a stream ID and/or one limit: name, then up to two fields. */
static void
frame_simple(struct srv_json *j, const struct quic_frame *f)
{
	switch (f->type) {
	case QUIC_FRAME_RESET_STREAM:
		kv_str(j, "frame_type", "reset_stream");
		kv_u64(j, "stream_id", f->reset_stream.stream_id);
		kv_u64(j, "error_code", f->reset_stream.error_code);
		kv_u64(j, "final_size", f->reset_stream.final_size);
		break;
	case QUIC_FRAME_STOP_SENDING:
		kv_str(j, "frame_type", "stop_sending");
		kv_u64(j, "stream_id", f->stop_sending.stream_id);
		kv_u64(j, "error_code", f->stop_sending.error_code);
		break;
	case QUIC_FRAME_MAX_DATA:
		kv_str(j, "frame_type", "max_data");
		kv_u64(j, "maximum", f->max_data.max);
		break;
	case QUIC_FRAME_MAX_STREAM_DATA:
		kv_str(j, "frame_type", "max_stream_data");
		kv_u64(j, "stream_id", f->max_stream_data.stream_id);
		kv_u64(j, "maximum", f->max_stream_data.max);
		break;
	case QUIC_FRAME_MAX_STREAMS_BIDI:
	case QUIC_FRAME_MAX_STREAMS_UNI:
		kv_str(j, "frame_type", "max_streams");
		kv_str(j, "stream_type",
		       f->type == QUIC_FRAME_MAX_STREAMS_BIDI ? "bidirectional" : "unidirectional");
		kv_u64(j, "maximum", f->max_streams.max);
		break;
	case QUIC_FRAME_DATA_BLOCKED:
		kv_str(j, "frame_type", "data_blocked");
		kv_u64(j, "limit", f->data_blocked.limit);
		break;
	case QUIC_FRAME_STREAM_DATA_BLOCKED:
		kv_str(j, "frame_type", "stream_data_blocked");
		kv_u64(j, "stream_id", f->stream_data_blocked.stream_id);
		kv_u64(j, "limit", f->stream_data_blocked.limit);
		break;
	default: /* STREAMS_BLOCKED */
		kv_str(j, "frame_type", "streams_blocked");
		kv_str(j, "stream_type",
		       f->type == QUIC_FRAME_STREAMS_BLOCKED_BIDI ? "bidirectional"
								  : "unidirectional");
		kv_u64(j, "limit", f->streams_blocked.limit);
		break;
	}
}

static void
frame_json(struct srv_json *j, const struct quic_frame *f)
{
	srv_json_open(j, '{');
	if (quic_frame_is_stream(f->type)) {
		frame_stream(j, f);
	} else if (f->type >= QUIC_FRAME_RESET_STREAM &&
		   f->type <= QUIC_FRAME_STREAMS_BLOCKED_UNI && f->type != QUIC_FRAME_CRYPTO &&
		   f->type != QUIC_FRAME_NEW_TOKEN) {
		frame_simple(j, f);
	} else {
		switch (f->type) {
		case QUIC_FRAME_PADDING:
			kv_str(j, "frame_type", "padding");
			kv_u64(j, "length", f->padding.len);
			kv_u64(j, "payload_length", f->padding.len);
			break;
		case QUIC_FRAME_PING:
			kv_str(j, "frame_type", "ping");
			break;
		case QUIC_FRAME_ACK:
		case QUIC_FRAME_ACK_ECN:
			frame_ack(j, &f->ack, f->type == QUIC_FRAME_ACK_ECN);
			break;
		case QUIC_FRAME_CRYPTO:
			kv_str(j, "frame_type", "crypto");
			kv_u64(j, "offset", f->crypto.offset);
			kv_u64(j, "length", f->crypto.len);
			break;
		case QUIC_FRAME_NEW_TOKEN:
			/* The token itself is a credential: only its length is logged. */
			kv_str(j, "frame_type", "new_token");
			srv_json_key(j, "token");
			srv_json_open(j, '{');
			srv_json_key(j, "raw");
			srv_json_open(j, '{');
			kv_u64(j, "length", f->new_token.len);
			srv_json_close(j, '}');
			srv_json_close(j, '}');
			break;
		case QUIC_FRAME_NEW_CONNECTION_ID:
			frame_new_cid(j, &f->new_connection_id);
			break;
		case QUIC_FRAME_RETIRE_CONNECTION_ID:
			kv_str(j, "frame_type", "retire_connection_id");
			kv_u64(j, "sequence_number", f->retire_connection_id.seq);
			break;
		case QUIC_FRAME_PATH_CHALLENGE:
		case QUIC_FRAME_PATH_RESPONSE:
			kv_str(j, "frame_type",
			       f->type == QUIC_FRAME_PATH_CHALLENGE ? "path_challenge"
								    : "path_response");
			srv_json_key(j, "data");
			srv_json_hex(j, f->path.data, sizeof(f->path.data));
			break;
		case QUIC_FRAME_CONNECTION_CLOSE:
		case QUIC_FRAME_CONNECTION_CLOSE_APP:
			frame_close(j, &f->connection_close,
				    f->type == QUIC_FRAME_CONNECTION_CLOSE_APP);
			break;
		case QUIC_FRAME_HANDSHAKE_DONE:
			kv_str(j, "frame_type", "handshake_done");
			break;
		default: /* DATAGRAM */
			kv_str(j, "frame_type", "datagram");
			kv_u64(j, "length", f->datagram.len);
			break;
		}
	}
	srv_json_close(j, '}');
}

/* The frames of a payload (valid: it was parsed on receipt, or written by us). */
static void
frames_json(struct srv_json *j, const uint8_t *p, size_t len)
{
	struct crypto_rd r;
	struct quic_frame f;
	unsigned n = 0;

	srv_json_key(j, "frames");
	srv_json_open(j, '[');
	crypto_rd_init(&r, p, len);
	while (crypto_rd_left(&r) > 0 && n++ < SRV_QLOG_MAX_FRAMES) {
		if (quic_frame_decode(&r, &f) != 0) {
			srv_json_open(j, '{');
			kv_str(j, "frame_type", "unknown");
			srv_json_close(j, '}');
			break;
		}
		frame_json(j, &f);
	}
	srv_json_close(j, ']');
}

/* ---- events ---- */

static void
ev_packet(struct srv_json *j, const struct quic_qlog_packet *p)
{
	srv_json_key(j, "header");
	srv_json_open(j, '{');
	kv_str(j, "packet_type", pkt_type_name(p->type));
	kv_u64(j, "packet_number", p->pn);
	srv_json_close(j, '}');
	if (p->length != 0) {
		srv_json_key(j, "raw");
		srv_json_open(j, '{');
		kv_u64(j, "length", p->length);
		srv_json_close(j, '}');
	}
	if (p->frames != NULL)
		frames_json(j, p->frames, p->frames_len);
}

static void
ev_metrics(struct srv_json *j, const struct quic_qlog_metrics *m)
{
	kv_u64(j, "congestion_window", m->cwnd);
	kv_u64(j, "bytes_in_flight", m->bytes_in_flight);
	srv_json_key(j, "smoothed_rtt");
	srv_json_ms(j, m->smoothed_rtt_ns);
	srv_json_key(j, "latest_rtt");
	srv_json_ms(j, m->latest_rtt_ns);
	srv_json_key(j, "min_rtt");
	srv_json_ms(j, m->min_rtt_ns);
	srv_json_key(j, "rtt_variance");
	srv_json_ms(j, m->rtt_var_ns);
}

static const char *
state_name(enum quic_qlog_state s)
{
	static const char *const names[] = {
		[QUIC_QLOG_ST_HANDSHAKE_STARTED] = "handshake_started",
		[QUIC_QLOG_ST_HANDSHAKE_COMPLETE] = "handshake_complete",
		[QUIC_QLOG_ST_HANDSHAKE_CONFIRMED] = "handshake_confirmed",
		[QUIC_QLOG_ST_CLOSING] = "closing",
		[QUIC_QLOG_ST_DRAINING] = "draining",
		[QUIC_QLOG_ST_CLOSED] = "closed",
	};

	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "unknown";
}

static void
ev_closed(struct srv_json *j, const struct quic_qlog_close *qc)
{
	const struct quic_conn_close_info *c = &qc->info;
	const char *trigger = "error";

	if (c->idle)
		trigger = "idle_timeout";
	else if (c->stateless_reset)
		trigger = "stateless_reset";
	else if (c->handshake_timeout)
		trigger = "handshake_timeout";
	else if (c->error_code == 0)
		trigger = "clean";
	kv_str(j, "owner", c->remote ? "remote" : "local");
	if (!c->idle && !c->stateless_reset && !c->handshake_timeout) {
		kv_u64(j, c->app ? "application_code" : "connection_code", c->error_code);
		srv_json_key(j, "reason");
		srv_json_str(j, qc->reason, qc->reason_len);
	}
	kv_str(j, "trigger", trigger);
}

static void
ev_key(struct srv_json *j, const struct quic_qlog_key_event *k, bool server)
{
	static const char *const level[] = {"initial", "handshake", "1rtt"};
	static const char *const trig[] = {"tls", "local_update", "remote_update"};
	char type[32];

	/* Our keys are the server's on a server (server_*_secret), the peer's the client's. */
	snprintf(type, sizeof(type), "%s_%s_secret", k->local == server ? "server" : "client",
		 level[k->key <= QUIC_QLOG_KEY_1RTT ? k->key : QUIC_QLOG_KEY_1RTT]);
	kv_str(j, "key_type", type);
	if (k->key == QUIC_QLOG_KEY_1RTT)
		kv_u64(j, "generation", k->generation);
	kv_str(j, "trigger", trig[k->trigger <= QUIC_QLOG_TRIGGER_REMOTE_UPDATE ? k->trigger : 0]);
}

static const char *
event_name(enum quic_qlog_event_type t)
{
	static const char *const names[] = {
		[QUIC_QLOG_PACKET_RECEIVED] = "transport:packet_received",
		[QUIC_QLOG_PACKET_SENT] = "transport:packet_sent",
		[QUIC_QLOG_PACKET_LOST] = "recovery:packet_lost",
		[QUIC_QLOG_METRICS_UPDATED] = "recovery:metrics_updated",
		[QUIC_QLOG_STATE_UPDATED] = "connectivity:connection_state_updated",
		[QUIC_QLOG_CONNECTION_CLOSED] = "connectivity:connection_closed",
		[QUIC_QLOG_KEY_UPDATED] = "security:key_updated",
		[QUIC_QLOG_KEY_DISCARDED] = "security:key_discarded",
	};

	return (unsigned)t < sizeof(names) / sizeof(names[0]) ? names[t] : NULL;
}

void
srv_qlog_event(struct srv_json *j, uint64_t t0_ns, bool server, const struct quic_qlog_event *ev)
{
	const char *name = event_name(ev->type);

	if (name == NULL)
		return;
	srv_json_record_begin(j);
	srv_json_open(j, '{');
	srv_json_key(j, "time");
	srv_json_ms(j, ev->now_ns > t0_ns ? ev->now_ns - t0_ns : 0);
	kv_str(j, "name", name);
	srv_json_key(j, "data");
	srv_json_open(j, '{');
	switch (ev->type) {
	case QUIC_QLOG_PACKET_RECEIVED:
	case QUIC_QLOG_PACKET_SENT:
	case QUIC_QLOG_PACKET_LOST:
		ev_packet(j, &ev->packet);
		break;
	case QUIC_QLOG_METRICS_UPDATED:
		ev_metrics(j, &ev->metrics);
		break;
	case QUIC_QLOG_STATE_UPDATED:
		kv_str(j, "old", state_name(ev->state.old_state));
		kv_str(j, "new", state_name(ev->state.new_state));
		break;
	case QUIC_QLOG_CONNECTION_CLOSED:
		ev_closed(j, &ev->close);
		break;
	default:
		ev_key(j, &ev->key, server);
		break;
	}
	srv_json_close(j, '}');
	srv_json_close(j, '}');
	srv_json_record_end(j);
}

/* ---- files ---- */

struct qlog_conn {
	int fd; /* -1 once writing stopped (error or SRV_QLOG_FILE_MAX) */
	bool server;
	uint64_t t0_ns;
	uint64_t file_bytes;
	uint64_t dropped;
	struct srv_json j;
	char buf[SRV_QLOG_BUF];
};

static void
qc_flush(struct qlog_conn *qc)
{
	size_t off = 0;
	ssize_t n;

	if (qc->fd >= 0 && qc->file_bytes + qc->j.len > SRV_QLOG_FILE_MAX) {
		close(qc->fd);
		qc->fd = -1;
	}
	while (qc->fd >= 0 && off < qc->j.len) {
		n = write(qc->fd, qc->buf + off, qc->j.len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			close(qc->fd);
			qc->fd = -1;
			break;
		}
		off += (size_t)n;
	}
	qc->file_bytes += off;
	srv_json_init(&qc->j, qc->buf, sizeof(qc->buf));
}

/* Append one record, or drop it whole when it does not fit. */
static void
qc_commit(struct qlog_conn *qc, size_t start)
{
	if (qc->j.overflow) {
		qc->j.len = start;
		qc->j.overflow = false;
		qc->dropped++;
	}
	if (qc->j.len >= sizeof(qc->buf) / 2)
		qc_flush(qc);
}

/* O_EXCL: two connections with the same original DCID get two files. */
static int
qc_create(int dir_fd, const struct quic_cid *odcid)
{
	char name[2 * QUIC_CID_LEN_MAX + 16];
	size_t n = 0;
	int fd = -1;

	for (size_t i = 0; i < odcid->len; i++)
		n += (size_t)snprintf(name + n, sizeof(name) - n, "%02x", odcid->data[i]);
	for (unsigned k = 0; k < 16 && fd < 0; k++) {
		if (k == 0)
			snprintf(name + n, sizeof(name) - n, ".sqlog");
		else
			snprintf(name + n, sizeof(name) - n, "-%u.sqlog", k);
		fd = openat(dir_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (fd < 0 && errno != EEXIST)
			break;
	}
	return fd;
}

static void *
qlog_open(void *arg, const struct quic_cid *odcid, bool server, uint64_t now_ns)
{
	const struct srv_qlog *q = arg;
	struct qlog_conn *qc = malloc(sizeof(*qc));
	struct timespec ts;

	if (qc == NULL)
		return NULL;
	qc->fd = qc_create(q->dir_fd, odcid);
	if (qc->fd < 0) {
		free(qc);
		return NULL;
	}
	qc->server = server;
	qc->t0_ns = now_ns;
	qc->file_bytes = 0;
	qc->dropped = 0;
	srv_json_init(&qc->j, qc->buf, sizeof(qc->buf));
	clock_gettime(CLOCK_REALTIME, &ts);
	srv_qlog_header(&qc->j, odcid, server,
			(uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000);
	qc_commit(qc, 0);
	return qc;
}

static void
qlog_event(void *ctx, const struct quic_qlog_event *ev)
{
	struct qlog_conn *qc = ctx;
	size_t start = qc->j.len;

	if (qc->fd < 0) {
		qc->dropped++;
		return;
	}
	srv_qlog_event(&qc->j, qc->t0_ns, qc->server, ev);
	qc_commit(qc, start);
}

static void
qlog_close(void *ctx)
{
	struct qlog_conn *qc = ctx;

	qc_flush(qc);
	if (qc->fd >= 0)
		close(qc->fd);
	free(qc);
}

int
srv_qlog_init(struct srv_qlog *q, const char *dir, char *err, size_t err_len)
{
	q->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (q->dir_fd < 0 || faccessat(q->dir_fd, ".", W_OK, AT_EACCESS) != 0) {
		snprintf(err, err_len, "--qlog-dir %s: %s", dir, strerror(errno));
		if (q->dir_fd >= 0)
			close(q->dir_fd);
		q->dir_fd = -1;
		return -1;
	}
	q->ops = (struct quic_qlog_ops){
		.open = qlog_open, .event = qlog_event, .close = qlog_close, .arg = q};
	return 0;
}

void
srv_qlog_fini(struct srv_qlog *q)
{
	if (q->dir_fd >= 0)
		close(q->dir_fd);
	q->dir_fd = -1;
}
