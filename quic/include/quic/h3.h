/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Application protocols over QUIC streams, as I/O-free and clock-free code:
 * - "h3": HTTP/3 (RFC 9114) with QPACK (RFC 9204, quic/qpack.h) limited to the static table;
 * - "hq-interop": HTTP/0.9 over QUIC as the QUIC interop runner uses it: "GET /path\r\n" on a
 *   client bidirectional stream, answered with the file's bytes and FIN;
 * - "perf": draft-banks-quic-performance: the first 8 bytes of a client bidirectional stream
 *   give, in network byte order, how many bytes the server sends back before FIN.
 *
 * struct quic_app is one connection's application state. The caller (the server's glue between
 * struct quic_conn and this object) feeds it stream events and pulls what to send:
 *
 *   quic_app_new()                       when the handshake picks the ALPN
 *   quic_app_uni_wanted() > 0            open that many unidirectional streams (h3: the
 *                                        control stream; no QPACK streams, RFC 9204 §4.2) and
 *                                        report each id with quic_app_on_uni_opened()
 *   QUIC_EV_STREAM_OPENED                quic_app_on_stream_opened() (optional)
 *   stream bytes read, with FIN          quic_app_on_stream_data()
 *   RESET_STREAM / STOP_SENDING seen     quic_app_on_stream_reset() / quic_app_on_stream_stopped()
 *   transport forgot a stream            quic_app_on_stream_closed()
 *   after each batch                     for each id of quic_app_pending(): quic_app_stream_tx()
 *                                        with cap = the stream's send room, write tx.len bytes
 *                                        (with tx.fin), apply tx.reset / tx.stop_sending, then
 *                                        quic_app_stream_tx_commit() with the bytes accepted
 *   quic_app_conn_error() != 0           close the connection with that application error code
 *                                        (CONNECTION_CLOSE type 0x1d, RFC 9114 §8)
 *   shutting down                        quic_app_shutdown() (h3: GOAWAY), close when
 *                                        quic_app_idle()
 *
 * Content comes from a provider (struct quic_app_provider): quic/ never opens files. Request
 * paths are normalised here before the provider sees them (quic_app_path_normalize()): a path
 * that is malformed or could name anything outside the root is answered 404 without a lookup.
 *
 * Memory: one allocation per connection (the object and its stream table), plus, per request
 * stream, a buffer for a HEADERS frame or request line larger than the inline room, bounded by
 * the configured limits and a per-connection budget. Not thread-safe: one connection, one worker.
 */
#ifndef HB_QUIC_H3_H
#define HB_QUIC_H3_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <quic/varint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Wire error codes: RFC 9114 §8.1 and RFC 9204 §6 ---- */

enum quic_h3_error {
	QUIC_H3_NO_ERROR = 0x0100,
	QUIC_H3_GENERAL_PROTOCOL_ERROR = 0x0101,
	QUIC_H3_INTERNAL_ERROR = 0x0102,
	QUIC_H3_STREAM_CREATION_ERROR = 0x0103,
	QUIC_H3_CLOSED_CRITICAL_STREAM = 0x0104,
	QUIC_H3_FRAME_UNEXPECTED = 0x0105,
	QUIC_H3_FRAME_ERROR = 0x0106,
	QUIC_H3_EXCESSIVE_LOAD = 0x0107,
	QUIC_H3_ID_ERROR = 0x0108,
	QUIC_H3_SETTINGS_ERROR = 0x0109,
	QUIC_H3_MISSING_SETTINGS = 0x010a,
	QUIC_H3_REQUEST_REJECTED = 0x010b,
	QUIC_H3_REQUEST_CANCELLED = 0x010c,
	QUIC_H3_REQUEST_INCOMPLETE = 0x010d,
	QUIC_H3_MESSAGE_ERROR = 0x010e,
	QUIC_H3_CONNECT_ERROR = 0x010f,
	QUIC_H3_VERSION_FALLBACK = 0x0110,
	QUIC_QPACK_DECOMPRESSION_FAILED = 0x0200,
	QUIC_QPACK_ENCODER_STREAM_ERROR = 0x0201,
	QUIC_QPACK_DECODER_STREAM_ERROR = 0x0202,
};

/*
 * Internal error codes of quic/h3 (negative, below enum quic_err's range). Each names the wire
 * code quic_h3_err_to_app() maps it to; all but QUIC_H3_ERR_MESSAGE, QUIC_H3_ERR_TOO_LARGE and
 * QUIC_H3_ERR_PATH are connection errors.
 */
enum quic_h3_err {
	QUIC_H3_ERR_FRAME = -200,		 /* H3_FRAME_ERROR */
	QUIC_H3_ERR_FRAME_UNEXPECTED = -201,	 /* H3_FRAME_UNEXPECTED */
	QUIC_H3_ERR_SETTINGS = -202,		 /* H3_SETTINGS_ERROR */
	QUIC_H3_ERR_MISSING_SETTINGS = -203,	 /* H3_MISSING_SETTINGS */
	QUIC_H3_ERR_STREAM_CREATION = -204,	 /* H3_STREAM_CREATION_ERROR */
	QUIC_H3_ERR_CLOSED_CRITICAL = -205,	 /* H3_CLOSED_CRITICAL_STREAM */
	QUIC_H3_ERR_ID = -206,			 /* H3_ID_ERROR */
	QUIC_H3_ERR_EXCESSIVE_LOAD = -207,	 /* H3_EXCESSIVE_LOAD */
	QUIC_H3_ERR_INTERNAL = -208,		 /* H3_INTERNAL_ERROR */
	QUIC_H3_ERR_MESSAGE = -209,		 /* H3_MESSAGE_ERROR, a stream error (§4.1.2) */
	QUIC_H3_ERR_QPACK_DECOMPRESSION = -210,	 /* QPACK_DECOMPRESSION_FAILED */
	QUIC_H3_ERR_QPACK_ENCODER_STREAM = -211, /* QPACK_ENCODER_STREAM_ERROR */
	QUIC_H3_ERR_QPACK_DECODER_STREAM = -212, /* QPACK_DECODER_STREAM_ERROR */
	QUIC_H3_ERR_TOO_LARGE = -213,		 /* field section above our limit: answered 431 */
	QUIC_H3_ERR_PATH = -214,		 /* request path refused by normalisation: 404 */
};

/* Application error code for an internal error (H3_INTERNAL_ERROR when none fits). */
uint64_t quic_h3_err_to_app(int err);
/* Static name of an internal quic/h3 error code. */
const char *quic_h3_strerror(int err);

/* ---- Frames, stream types and settings: RFC 9114 §6.2, §7.2 ---- */

enum quic_h3_frame_type {
	QUIC_H3_FRAME_DATA = 0x00,
	QUIC_H3_FRAME_HEADERS = 0x01,
	QUIC_H3_FRAME_CANCEL_PUSH = 0x03,
	QUIC_H3_FRAME_SETTINGS = 0x04,
	QUIC_H3_FRAME_PUSH_PROMISE = 0x05,
	QUIC_H3_FRAME_GOAWAY = 0x07,
	QUIC_H3_FRAME_MAX_PUSH_ID = 0x0d,
};

enum quic_h3_stream_type {
	QUIC_H3_STREAM_CONTROL = 0x00,
	QUIC_H3_STREAM_PUSH = 0x01,
	QUIC_H3_STREAM_QPACK_ENCODER = 0x02,
	QUIC_H3_STREAM_QPACK_DECODER = 0x03,
};

enum quic_h3_setting_id {
	QUIC_H3_SETTING_QPACK_MAX_TABLE_CAPACITY = 0x01, /* RFC 9204 §5 */
	QUIC_H3_SETTING_MAX_FIELD_SECTION_SIZE = 0x06,	 /* RFC 9114 §7.2.4.1 */
	QUIC_H3_SETTING_QPACK_BLOCKED_STREAMS = 0x07,	 /* RFC 9204 §5 */
};

/* Our default SETTINGS_MAX_FIELD_SECTION_SIZE (decoded bytes, RFC 9114 §4.2.2). */
#define QUIC_H3_DEFAULT_MAX_FIELD_SECTION 16384u
/* Largest SETTINGS frame payload we accept (larger: H3_EXCESSIVE_LOAD). */
#define QUIC_H3_MAX_SETTINGS_PAYLOAD 1024u
/* Largest GOAWAY stream ID a server may send, 2^62 - 4 (RFC 9114 §5.2). */
#define QUIC_H3_GOAWAY_MAX ((UINT64_C(1) << 62) - 4)

/* Reserved ("grease") frame, stream, setting and error values: 0x1f * N + 0x21 (§7.2.8). */
static inline bool
quic_h3_is_reserved(uint64_t v)
{
	return v >= 0x21 && (v - 0x21) % 0x1f == 0;
}

/* Frame types of HTTP/2 that HTTP/3 reserves; receiving one is H3_FRAME_UNEXPECTED (§7.2.8). */
static inline bool
quic_h3_is_h2_frame(uint64_t type)
{
	return type == 0x02 || type == 0x06 || type == 0x08 || type == 0x09;
}

/* Settings from a SETTINGS frame; a setting not sent keeps its default (§7.2.4). */
struct quic_h3_settings {
	uint64_t qpack_max_table_capacity; /* default 0 */
	uint64_t qpack_blocked_streams;	   /* default 0 */
	uint64_t max_field_section_size;   /* default unlimited: UINT64_MAX */
	uint32_t present;		   /* bit (1 << id) for each of the three ids above sent */
};

void quic_h3_settings_init(struct quic_h3_settings *s);

/*
 * Decode a frame's Type and Length (§7.1) at the start of buf.
 * @return bytes consumed (2..16), QUIC_ERR_TRUNCATED (more bytes needed)
 */
int quic_h3_frame_header_decode(const uint8_t *buf, size_t len, uint64_t *type, uint64_t *length);

/* Write a frame's Type and Length. @return 0, QUIC_ERR_BUFFER, QUIC_ERR_INVAL (value > 2^62-1) */
int quic_h3_frame_header_put(struct crypto_wr *w, uint64_t type, uint64_t length);

/*
 * Decode a SETTINGS frame payload (§7.2.4) into s (initialised to the defaults first). Unknown
 * and reserved identifiers are ignored.
 * @return 0; QUIC_H3_ERR_FRAME (payload ends inside a varint, §7.1); QUIC_H3_ERR_SETTINGS (an
 *         identifier twice, or an HTTP/2 identifier 0x02-0x05, §7.2.4.1);
 * QUIC_H3_ERR_EXCESSIVE_LOAD (payload above QUIC_H3_MAX_SETTINGS_PAYLOAD)
 */
int quic_h3_settings_decode(const uint8_t *payload, size_t len, struct quic_h3_settings *s);

/*
 * Write a whole SETTINGS frame with the settings present in s, then one reserved setting
 * (grease_id, which must satisfy quic_h3_is_reserved(), or 0 for none), as §7.2.4.1 suggests.
 * @return 0, QUIC_ERR_BUFFER, QUIC_ERR_INVAL
 */
int quic_h3_settings_put(struct crypto_wr *w, const struct quic_h3_settings *s,
			 uint64_t grease_id);

/*
 * Decode the payload of a frame that holds exactly one varint: CANCEL_PUSH, GOAWAY, MAX_PUSH_ID.
 * @return 0, QUIC_H3_ERR_FRAME (payload shorter or longer than the varint, §7.1)
 */
int quic_h3_varint_frame_decode(const uint8_t *payload, size_t len, uint64_t *v);

/* Write a whole one-varint frame (GOAWAY, MAX_PUSH_ID, CANCEL_PUSH). @return 0, QUIC_ERR_BUFFER */
int quic_h3_varint_frame_put(struct crypto_wr *w, uint64_t type, uint64_t v);

/* ---- Request paths ---- */

/* Longest normalised path handed to a provider (bytes, without the NUL). */
#define QUIC_APP_MAX_PATH 1024u

/*
 * Turn a request target (":path" or the hq-interop request line's path) into the path handed to
 * the provider. The query ("?...") is dropped, then %XX escapes are decoded. Refused (the caller
 * answers 404 without calling the provider): a path that does not start with '/'; a malformed
 * escape; a NUL, a control byte or DEL, a backslash (raw or escaped); an empty segment ("//",
 * also as "/%2f"); a "." or ".." segment (raw or escaped); a decoded length of
 * QUIC_APP_MAX_PATH or more. What remains is a path below the root that names nothing above it.
 * "/" stays "/": the provider decides what it means.
 * @param out  room for cap bytes, NUL-terminated on success
 * @return 0 with *out_len set; QUIC_H3_ERR_PATH; QUIC_ERR_BUFFER (cap too small)
 */
int quic_app_path_normalize(const uint8_t *in, size_t len, char *out, size_t cap, size_t *out_len);

/* ---- Content provider ---- */

/* A resource found by a provider. */
struct quic_app_object {
	uint64_t size;
	void *handle; /* the provider's, passed back to read() and release() */
};

struct quic_app_provider {
	void *ctx;
	/*
	 * Look up a normalised path (see quic_app_path_normalize(): starts with '/', no ".",
	 * ".." or empty segment, no backslash, NUL or control byte).
	 * @return 0 with *obj set, or any negative value: not found (404)
	 */
	int (*lookup)(void *ctx, const char *path, struct quic_app_object *obj);
	/*
	 * Copy up to len (<= INT_MAX) bytes of the object from offset into buf.
	 * @return bytes copied, > 0; 0 or negative: the object could not be read (the response
	 *         is abandoned with a stream reset)
	 */
	int (*read)(void *ctx, void *handle, uint64_t offset, uint8_t *buf, size_t len);
	/* Optional: the response ended or was abandoned; handle is not used again. */
	void (*release)(void *ctx, void *handle);
};

/* ---- The application object ---- */

enum quic_app_proto {
	QUIC_APP_H3 = 1,
	QUIC_APP_HQ,   /* "hq-interop" */
	QUIC_APP_PERF, /* "perf" */
};

/* Default limits, used where the config leaves 0. */
#define QUIC_APP_DEFAULT_MAX_STREAMS   256u
#define QUIC_APP_DEFAULT_BUFFER_BUDGET (256u * 1024)
#define QUIC_APP_DEFAULT_PERF_MAX      (UINT64_C(1) << 32)
/* Longest hq-interop request line, CRLF included. */
#define QUIC_APP_HQ_MAX_LINE 2048u

struct quic_app_config {
	enum quic_app_proto proto;
	/* Content for h3 and hq-interop (required there); borrowed: it must outlive the app
	 * (a per-connection copy was dead weight of every idle connection, issue #6). */
	const struct quic_app_provider *provider;
	/* Our SETTINGS_MAX_FIELD_SECTION_SIZE: larger request header sections get 431. */
	uint64_t max_field_section_size;
	/*
	 * Streams tracked at once, peer- and self-initiated. Must be at least the transport's
	 * initial_max_streams_bidi + initial_max_streams_uni + 3; a peer that makes the app
	 * track more is closed with H3_EXCESSIVE_LOAD.
	 */
	uint32_t max_streams;
	/* Bytes of request headers buffered across all streams of the connection. */
	uint32_t buffer_budget;
	/* perf: largest response size a client may ask for (larger: stream reset). */
	uint64_t perf_max_size;
	/*
	 * Optional per-worker scratch for QPACK decoding, used only inside calls, so one buffer
	 * serves every connection of a worker; at least max_field_section_size bytes. NULL: the
	 * app allocates its own.
	 */
	uint8_t *scratch;
	size_t scratch_len;
	/*
	 * Optional per-worker pool of stream objects (quic_app_stream_obj_size() bytes each),
	 * so that requests allocate nothing from the system allocator. NULL: malloc.
	 */
	struct quic_pool *stream_pool;
};

struct quic_app;
struct quic_pool;

/* Size of one stream object, to size config.stream_pool. */
size_t quic_app_stream_obj_size(void);

/*
 * ALPN identifier to protocol: "h3", "hq-interop", "perf".
 * @return 0, QUIC_ERR_INVAL (not one of ours)
 */
int quic_app_proto_from_alpn(const char *alpn, size_t len, enum quic_app_proto *out);

/*
 * Create the application state of one server connection. What it needs of cfg is copied, except
 * cfg->provider, which is borrowed for the app's life.
 * @return 0 with *out set; QUIC_ERR_INVAL (no provider where one is needed, unknown proto,
 *         scratch too small, limits out of range); QUIC_ERR_NOMEM
 */
int quic_app_new(struct quic_app **out, const struct quic_app_config *cfg);

/* Free the object and release every provider handle it holds. NULL is ignored. */
void quic_app_free(struct quic_app *app);

/*
 * Bytes of memory the application state holds now (0 for NULL): the object, its stream
 * table, its streams and their receive buffers on the heap, its own QPACK scratch. Provider
 * objects are not counted.
 */
size_t quic_app_mem_bytes(const struct quic_app *app);

/* Unidirectional streams the app still wants opened (h3: 1 at first; others: 0). */
unsigned quic_app_uni_wanted(const struct quic_app *app);

/*
 * A unidirectional stream we opened for the app (in answer to quic_app_uni_wanted()).
 * @return 0, QUIC_ERR_INVAL (not a server-initiated unidirectional id, or none wanted)
 */
int quic_app_on_uni_opened(struct quic_app *app, uint64_t id);

/*
 * The peer opened stream id (QUIC_EV_STREAM_OPENED; optional, since data on a new stream opens
 * it too). As in RFC 9000 §3.2, opening a stream opens every lower stream of its type not
 * opened yet, so the app's view matches the transport's; a lower stream the app has finished
 * with stays finished.
 * @return 0; QUIC_ERR_INVAL (not a client-initiated stream); a connection error (see
 *         quic_app_conn_error()): H3_EXCESSIVE_LOAD when more streams are open than
 *         config.max_streams allows
 */
int quic_app_on_stream_opened(struct quic_app *app, uint64_t id);

/*
 * In-order bytes of a client-initiated stream; fin: the stream ends after them. data is
 * borrowed for the call; what must be kept is copied. Data for a stream the app has finished
 * with (its FIN was seen, or a commit applied its STOP_SENDING) is ignored.
 * @return 0; QUIC_ERR_INVAL (a server-initiated stream); or an internal connection error
 *         (negative QUIC_H3_ERR_*): quic_app_conn_error() gives the code to close with
 */
int quic_app_on_stream_data(struct quic_app *app, uint64_t id, const uint8_t *data, size_t len,
			    bool fin);

/* The peer reset its sending part of id (RESET_STREAM). @return 0 or a connection error */
int quic_app_on_stream_reset(struct quic_app *app, uint64_t id, uint64_t error);

/* The peer asked us to stop sending on id (STOP_SENDING). @return 0 or a connection error */
int quic_app_on_stream_stopped(struct quic_app *app, uint64_t id, uint64_t error);

/* The transport has forgotten stream id: the app drops what it still holds for it. */
void quic_app_on_stream_closed(struct quic_app *app, uint64_t id);

/*
 * Streams with something to send (bytes, FIN, a reset or a STOP_SENDING): up to max ids.
 * @return how many were written to ids
 */
size_t quic_app_pending(const struct quic_app *app, uint64_t *ids, size_t max);

/* What to do on one stream, from quic_app_stream_tx(). */
struct quic_app_tx {
	size_t len; /* bytes in buf to write */
	bool fin;   /* the stream ends after them */
	bool reset; /* reset the sending part with reset_code (len is 0) */
	uint64_t reset_code;
	bool stop_sending; /* abort reading with stop_code (STOP_SENDING) */
	uint64_t stop_code;
};

/*
 * Peek at the next output of stream id: up to cap bytes into buf, and the signals to apply.
 * Nothing is consumed until quic_app_stream_tx_commit(). cap should be the stream's send room.
 * @return 0 (tx set; all zero when there is nothing to do), QUIC_ERR_INVAL (unknown stream)
 */
int quic_app_stream_tx(struct quic_app *app, uint64_t id, uint8_t *buf, size_t cap,
		       struct quic_app_tx *tx);

/*
 * The transport accepted n bytes of the last quic_app_stream_tx() for id. When n equals its
 * len, its FIN, reset and STOP_SENDING count as applied too.
 * @return 0, QUIC_ERR_INVAL (unknown stream or n above the last len)
 */
int quic_app_stream_tx_commit(struct quic_app *app, uint64_t id, size_t n);

/*
 * Connection error to close with (CONNECTION_CLOSE with an application error code), or 0 when
 * none. Once set, the app does nothing more. reason (may be NULL) gets a static string.
 */
uint64_t quic_app_conn_error(const struct quic_app *app, const char **reason);

/*
 * Graceful shutdown (RFC 9114 §5.2): h3 sends GOAWAY with the first request stream ID not yet
 * seen; later requests at or above it are rejected with H3_REQUEST_REJECTED (hq, perf: reset
 * with 0). @return 0
 */
int quic_app_shutdown(struct quic_app *app);

/* No request stream is in progress (close with H3_NO_ERROR after quic_app_shutdown()). */
bool quic_app_idle(const struct quic_app *app);

/* Peer's SETTINGS, once received (h3); NULL before. */
const struct quic_h3_settings *quic_app_peer_settings(const struct quic_app *app);

#ifdef __cplusplus
}
#endif

#endif /* HB_QUIC_H3_H */
