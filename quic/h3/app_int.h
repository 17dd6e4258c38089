/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Internal state of struct quic_app, shared by app.c (streams, output, responses), h3.c
 * (HTTP/3 streams and frames) and hq.c (hq-interop and perf).
 */
#ifndef HB_QUIC_H3_APP_INT_H
#define HB_QUIC_H3_APP_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <quic/h3.h>

/* Payload bytes (a HEADERS frame, a request line) kept inside the stream before using the heap. */
#define APP_INLINE 256
/* Queued output bytes ahead of a body: response HEADERS and DATA frame header, or SETTINGS. */
#define APP_PREFIX_CAP 160
/* An id no stream has (client stream IDs stay below 2^62). */
#define APP_NO_ID UINT64_MAX
/* Slot array entries a connection starts with: an idle h3 connection holds its control
 * stream and the peer's control and QPACK streams (issue #6); requests double it. */
#define APP_SLOTS_FIRST 4u

enum stream_kind {
	KIND_REQUEST = 1,  /* client bidirectional: an h3, hq-interop or perf request */
	KIND_UNI_PENDING,  /* client unidirectional, stream type not read yet (h3) */
	KIND_PEER_CONTROL, /* RFC 9114 §6.2.1 */
	KIND_PEER_ENCODER, /* RFC 9204 §4.2 */
	KIND_PEER_DECODER,
	KIND_UNI_IGNORED, /* unknown or reserved stream type, or hq/perf: input discarded */
	KIND_OWN_CONTROL, /* our only unidirectional stream (see quic_app_uni_wanted()) */
};

/* Where an h3 request stream is in its frame sequence (RFC 9114 §4.1). */
enum req_state {
	REQ_HEADERS = 0, /* waiting for the header section */
	REQ_BODY,	 /* header section seen: DATA or trailers may follow */
	REQ_TRAILERS,	 /* trailer section seen: nothing but unknown frames may follow */
};

/* Input side: a frame (or stream type, request line, perf size) being gathered. */
struct app_rx {
	uint8_t hdr[16]; /* frame header, stream type or perf size bytes so far */
	uint8_t hdr_len;
	bool in_payload;
	bool keep; /* the payload is gathered in buf, else skipped */
	uint64_t type;
	uint64_t left; /* payload bytes still to come */
	uint8_t *buf;  /* the stream's inline_buf or a heap buffer of cap bytes */
	size_t len;
	size_t cap;
};

enum body_kind {
	BODY_NONE = 0,
	BODY_OBJECT,  /* read from the provider */
	BODY_PATTERN, /* perf: byte i of the body is (uint8_t)i */
};

/* Output side: prefix bytes, then a body, then FIN; or a reset. */
struct app_tx {
	uint16_t prefix_len; /* bytes in the stream's prefix[] */
	uint16_t prefix_off; /* committed */
	uint8_t body;	     /* enum body_kind */
	bool has_obj;	     /* obj.handle must be released */
	struct quic_app_object obj;
	uint64_t body_len;
	uint64_t body_off; /* committed */
	bool fin;	   /* FIN after prefix and body */
	bool reset;	   /* reset instead, with reset_code */
	uint64_t reset_code;
	bool stop; /* STOP_SENDING to apply, with stop_code */
	uint64_t stop_code;
	bool done; /* FIN or reset applied */
	/* The last peek, for the commit that follows it. */
	size_t peek_len;
	bool peek_fin;
	bool peek_reset;
	bool peek_stop;
};

/*
 * A stream. Unidirectional ones (control and QPACK streams, ours and the peer's) carry no
 * request: they are allocated without inline_buf, which is last for that reason (small), and
 * gather a frame payload on the heap in the rare case they keep one (SETTINGS). The peer's
 * ones send nothing either (at most a STOP_SENDING, a flag of tx): they are allocated without
 * prefix[] too (issue #6: an idle h3 connection holds one to four of them).
 */
struct app_stream {
	uint64_t id;
	uint8_t kind;	/* enum stream_kind */
	uint8_t req;	/* enum req_state (h3 requests) */
	bool rx_done;	/* no more input: FIN, reset, or reading abandoned */
	bool discard;	/* input is dropped from now on */
	bool too_large; /* h3: an oversized HEADERS frame, answered 431, is being skipped */
	bool small;	/* allocated without inline_buf (and prefix[]: see app_stream_bytes()) */
	struct app_tx tx;
	struct app_rx rx;
	/* Last, for small streams: */
	uint8_t prefix[APP_PREFIX_CAP]; /* output queued ahead of the body (tx.prefix_len) */
	uint8_t inline_buf[APP_INLINE]; /* input gathered before using the heap (rx.buf) */
};

/* Bytes of a stream allocated without inline_buf, and without prefix[] as well. */
#define APP_STREAM_SMALL    offsetof(struct app_stream, inline_buf)
#define APP_STREAM_PEER_UNI offsetof(struct app_stream, prefix)
/*
 * Our control stream, allocated small, has this much of prefix[]: it queues SETTINGS (at most
 * 64 bytes, quic_h3_open_own()) and GOAWAY frames (at most 17 bytes each), 64 bytes fewer
 * than APP_PREFIX_CAP in every idle h3 connection (issue #6).
 */
#define APP_OWN_CONTROL_PREFIX 96u
#define APP_STREAM_OWN_CONTROL (APP_STREAM_PEER_UNI + APP_OWN_CONTROL_PREFIX)

/*
 * What an app keeps of its struct quic_app_config, defaults applied: 40 bytes where a copy of
 * the config and of the provider took 96 of every connection (issue #6). The provider is the
 * caller's, which outlives the app (quic_app_new()).
 */
struct app_cfg {
	const struct quic_app_provider *provider; /* NULL for perf */
	struct quic_pool *stream_pool;
	uint64_t perf_max_size;
	uint32_t max_field_section_size;
	uint32_t buffer_budget;
	enum quic_app_proto proto;
};

struct quic_app {
	struct app_cfg cfg;
	uint64_t *ids;		   /* per slot: the stream's id, APP_NO_ID when free */
	struct app_stream **slots; /* after ids[ncap], in the same allocation */
	uint32_t nslots;	   /* the most streams at once (max_streams) */
	uint32_t ncap;		   /* entries of ids[] and slots[] allocated: grow to nslots */
	uint8_t *scratch;
	bool own_scratch;
	size_t heap_bytes;     /* rx bytes on the heap, against cfg.buffer_budget */
	int err;	       /* first connection error, 0 while none */
	uint64_t peer_next[2]; /* peer streams opened so far: [0] bidirectional, [1] uni */
	bool shutdown;
	uint64_t goaway_id;
	/* h3 */
	unsigned uni_opened; /* own unidirectional streams so far: the control stream */
	uint64_t own_control_id;
	bool peer_control;
	bool peer_encoder;
	bool peer_decoder;
	bool settings_rx;
	struct quic_h3_settings peer_settings;
	bool peer_goaway;
	uint64_t peer_goaway_id;
	bool max_push_id_rx;
	uint64_t max_push_id;
	/* QPACK decoder stream: a Stream Cancellation's integer being read (RFC 9204 §4.4.2). */
	bool dec_in_int;
	unsigned dec_shift;
	uint64_t dec_value;
};

/* app.c */
int quic_app_fail(struct quic_app *app, int err);
struct app_stream *quic_app_find(const struct quic_app *app, uint64_t id);
void quic_app_maybe_free(struct quic_app *app, struct app_stream *s);
bool quic_app_prefix_append(struct app_stream *s, const uint8_t *p, size_t len);
void quic_app_stream_error(struct quic_app *app, struct app_stream *s, uint64_t code, bool stop);
int quic_app_rx_reserve(struct quic_app *app, struct app_stream *s, size_t len);
void quic_app_rx_release(struct quic_app *app, struct app_stream *s);
void quic_app_tx_body(struct app_stream *s, enum body_kind kind, const struct quic_app_object *obj,
		      uint64_t len);
int quic_app_lookup(struct quic_app *app, const char *path, struct quic_app_object *obj);
void quic_app_release(struct quic_app *app, struct quic_app_object *obj);

/* h3.c */
int quic_h3_open_own(struct quic_app *app, struct app_stream *s);
int quic_h3_stream_rx(struct quic_app *app, struct app_stream *s, const uint8_t *p, size_t len,
		      bool fin);
int quic_h3_critical_closed(struct quic_app *app, struct app_stream *s);
void quic_h3_goaway(struct quic_app *app);

/* hq.c */
int quic_hq_stream_rx(struct quic_app *app, struct app_stream *s, const uint8_t *p, size_t len,
		      bool fin);
int quic_perf_stream_rx(struct quic_app *app, struct app_stream *s, const uint8_t *p, size_t len,
			bool fin);

#endif /* HB_QUIC_H3_APP_INT_H */
