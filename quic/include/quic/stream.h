/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Streams of one connection (RFC 9000 §2-§4, §19.4-§19.14): stream IDs, the sending and
 * receiving state machines of §3.1/§3.2, send buffers with retransmission of lost ranges,
 * reassembly on receive (quic/rbuf.h), connection and stream flow control in both directions
 * with auto-tuned receive windows, stream limits, and the map from stream ID to stream.
 *
 * Clock-free and I/O-free: callers pass now_ns and the smoothed RTT where time matters, and the
 * packet writer pulls frames from here. Everything is allocated from per-worker pools: stream
 * objects from a pool initialised with quic_stream_pool_init(), data from a chunk pool.
 *
 * Who calls what:
 * - frame handlers (rx): quic_streams_on_*(); each returns 0 or an internal error that closes
 *   the connection with quic_err_to_transport(err);
 * - the packet writer (tx): quic_streams_ctrl_peek()/quic_streams_ctrl_sent() for control
 *   frames, quic_streams_next_send()/quic_stream_send_peek()/quic_stream_send_commit() for
 *   STREAM frames;
 * - loss recovery: quic_streams_on_stream_acked()/_lost() and quic_streams_on_ctrl_acked()/
 *   _lost(), by stream ID, so a stream may be gone by then;
 * - the application: quic_streams_open(), quic_stream_write(), quic_stream_read(),
 *   quic_stream_reset(), quic_stream_stop(), quic_streams_next_readable();
 * - the connection, after each batch of work: quic_streams_collect(), which frees the streams
 *   that reached a terminal state in both directions. A struct quic_stream pointer stays valid
 *   until the quic_streams_collect() call after its closure; keep stream IDs across it.
 *
 * Not thread-safe: a connection and its streams belong to one worker.
 */
#ifndef HB_QUIC_STREAM_H
#define HB_QUIC_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <quic/frame.h>
#include <quic/pool.h>
#include <quic/rbuf.h>
#include <quic/tparams.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- stream IDs, RFC 9000 §2.1 ---- */

/* Bit 0x01: initiated by the server; bit 0x02: unidirectional. */
static inline bool
quic_stream_id_is_uni(uint64_t id)
{
	return (id & 0x02) != 0;
}

static inline bool
quic_stream_id_is_server(uint64_t id)
{
	return (id & 0x01) != 0;
}

/* Whether the endpoint (server or client) initiated stream id. */
static inline bool
quic_stream_id_is_local(uint64_t id, bool is_server)
{
	return quic_stream_id_is_server(id) == is_server;
}

/* Position of the stream among the streams of its type: 0, 1, 2, ... */
static inline uint64_t
quic_stream_id_index(uint64_t id)
{
	return id >> 2;
}

/* The index-th stream (from 0) of a type; index < 2^60. */
static inline uint64_t
quic_stream_id_make(uint64_t index, bool server, bool uni)
{
	return index << 2 | (uni ? 0x02 : 0) | (server ? 0x01 : 0);
}

/* ---- states, RFC 9000 §3.1 and §3.2 ---- */

enum quic_send_state {
	QUIC_SEND_NONE = 0, /* no sending part: a stream the peer opened, unidirectional */
	QUIC_SEND_READY,
	QUIC_SEND_SEND,
	QUIC_SEND_DATA_SENT,
	QUIC_SEND_RESET_SENT,
	QUIC_SEND_DATA_RECVD,  /* terminal */
	QUIC_SEND_RESET_RECVD, /* terminal */
};

enum quic_recv_state {
	QUIC_RECV_NONE = 0, /* no receiving part: a stream we opened, unidirectional */
	QUIC_RECV_RECV,
	QUIC_RECV_SIZE_KNOWN,
	QUIC_RECV_DATA_RECVD,
	QUIC_RECV_RESET_RECVD,
	QUIC_RECV_DATA_READ,  /* terminal */
	QUIC_RECV_RESET_READ, /* terminal */
};

/* Intrusive circular list link; next == NULL when not on a list. */
struct quic_stream_link {
	struct quic_stream_link *prev;
	struct quic_stream_link *next;
};

struct quic_stream {
	uint64_t id;
	void *user; /* the application's, untouched here */

	/* map: AA tree node (balanced whatever IDs the peer picks) */
	struct quic_stream *left;
	struct quic_stream *right;
	uint8_t level;

	uint8_t send_state; /* enum quic_send_state */
	uint8_t recv_state; /* enum quic_recv_state */
	uint8_t ctrl;	    /* control frames owed for this stream */
	uint16_t flags;

	struct quic_stream_link send_link;  /* new data that stream credit allows */
	struct quic_stream_link retx_link;  /* lost data, or a FIN that needs no credit */
	struct quic_stream_link ctrl_link;  /* ctrl != 0 */
	struct quic_stream_link ready_link; /* something for the application to read */

	/* receiving part */
	struct quic_rbuf rx;
	uint64_t rx_highest;  /* largest offset + length received: credit used */
	uint64_t rx_final;    /* final size, once known */
	uint64_t rx_released; /* offset up to which credit went back to the connection */
	uint64_t rx_max;      /* MAX_STREAM_DATA limit sent (the initial one at first) */
	uint64_t rx_max_next; /* limit of the MAX_STREAM_DATA being written, 0 = none yet */
	uint64_t rx_window;   /* auto-tuned */
	uint64_t rx_tune_ns;  /* when the previous window update was written */
	uint64_t rx_error;    /* RESET_STREAM error code received */
	uint64_t stop_error;  /* our STOP_SENDING error code */

	/* sending part */
	struct quic_chunkmap tx_map;	/* bytes [tx_acked, tx_written) */
	struct quic_rangeset tx_sacked; /* acknowledged ranges above tx_acked */
	struct quic_rangeset tx_lost;	/* ranges to retransmit, tx_acked <= start < tx_next */
	uint64_t tx_written;		/* bytes the application wrote */
	uint64_t tx_next;		/* offset of the first byte never sent */
	uint64_t tx_acked;		/* every byte below is acknowledged */
	uint64_t tx_max;		/* peer's MAX_STREAM_DATA */
	uint64_t tx_buf;		/* send buffer size: grows with the peer's credit */
	uint64_t tx_blocked_at;		/* limit of the last STREAM_DATA_BLOCKED sent */
	uint64_t tx_error;		/* our RESET_STREAM error code */
	uint64_t tx_stop_error;		/* STOP_SENDING error code received */
};

/* struct quic_stream.flags */
#define QUIC_STREAM_F_FIN	 0x0001 /* the application ended the stream: size tx_written */
#define QUIC_STREAM_F_FIN_SENT	 0x0002 /* a FIN is in flight or acknowledged */
#define QUIC_STREAM_F_FIN_ACKED	 0x0004
#define QUIC_STREAM_F_FINAL	 0x0008 /* rx_final known */
#define QUIC_STREAM_F_STOPPED	 0x0010 /* the application stopped reading (STOP_SENDING) */
#define QUIC_STREAM_F_STOP_RECVD 0x0020 /* the peer sent STOP_SENDING */
#define QUIC_STREAM_F_BLOCKED	 0x0040 /* tx_blocked_at is valid */
#define QUIC_STREAM_F_CLOSED	 0x0080 /* both parts terminal: freed by the next collect */

/* struct quic_stream.ctrl: control frames owed, written in this order. */
#define QUIC_STREAM_CTRL_RESET	  0x01 /* RESET_STREAM */
#define QUIC_STREAM_CTRL_STOP	  0x02 /* STOP_SENDING */
#define QUIC_STREAM_CTRL_MAX_DATA 0x04 /* MAX_STREAM_DATA */
#define QUIC_STREAM_CTRL_BLOCKED  0x08 /* STREAM_DATA_BLOCKED */

/* Connection-level control frames owed (struct quic_streams.ctrl). */
#define QUIC_STREAMS_CTRL_MAX_DATA	   0x01 /* MAX_DATA */
#define QUIC_STREAMS_CTRL_DATA_BLOCKED	   0x02 /* DATA_BLOCKED */
#define QUIC_STREAMS_CTRL_MAX_STREAMS_BIDI 0x04
#define QUIC_STREAMS_CTRL_MAX_STREAMS_UNI  0x08
#define QUIC_STREAMS_CTRL_BLOCKED_BIDI	   0x10 /* STREAMS_BLOCKED */
#define QUIC_STREAMS_CTRL_BLOCKED_UNI	   0x20

/* Defaults for struct quic_streams_config. */
#define QUIC_STREAM_WINDOW_MAX_DEFAULT	 (6u * 1024 * 1024)
#define QUIC_CONN_WINDOW_MAX_DEFAULT	 (15u * 1024 * 1024)
#define QUIC_STREAM_SEND_BUF_DEFAULT	 (256u * 1024)
#define QUIC_STREAM_SEND_BUF_MAX_DEFAULT QUIC_STREAM_WINDOW_MAX_DEFAULT
/* Chunks beyond window / chunk size that the connection's receive buffers may hold. */
#define QUIC_STREAMS_BUDGET_SLACK 64u

struct quic_streams_config {
	bool is_server;
	uint64_t stream_window_max; /* auto-tuning cap per stream (0: default) */
	uint64_t conn_window_max;   /* auto-tuning cap for the connection (0: default) */
	uint32_t send_buffer;	    /* bytes buffered per stream until acknowledged (0: default) */
	uint32_t send_buffer_max;   /* what the send buffer may grow to (0: default) */
	uint16_t max_gaps;	    /* out-of-order ranges per stream (0: QUIC_RBUF_GAPS_DEFAULT) */
};

/* Kinds for the initial stream windows (RFC 9000 §18.2 initial_max_stream_data_*). */
#define QUIC_STREAM_KIND_BIDI_OURS   0 /* bidirectional, opened by us */
#define QUIC_STREAM_KIND_BIDI_THEIRS 1 /* bidirectional, opened by the peer */
#define QUIC_STREAM_KIND_UNI	     2 /* unidirectional, either way */

/* Streams of one direction-and-initiator type: indexes id & 3. */
#define QUIC_STREAM_TYPES 4

/* A MAX_DATA or MAX_STREAM_DATA raising a limit by less than this many bytes is counted as
 * non-productive (RFC 9000 §21.9: "small increments to flow control limits"). */
#define QUIC_STREAMS_MIN_INCREMENT 64

struct quic_streams {
	struct quic_pool *stream_pool;
	struct quic_pool *chunk_pool;
	struct quic_stream *root;  /* AA tree by ID */
	struct quic_stream *cache; /* last stream looked up */
	uint32_t count;		   /* streams in the map */
	bool is_server;
	uint16_t max_gaps;
	uint8_t ctrl; /* QUIC_STREAMS_CTRL_* owed */
	/*
	 * What the last quic_streams_on_frame() changed, for the caller's limit on
	 * non-productive traffic (RFC 9000 §21.9, bad-input C34): rx_noop is set when the frame
	 * changed nothing (data all received before, a closed stream, a limit that did not grow
	 * or grew by less than QUIC_STREAMS_MIN_INCREMENT, a repeated DATA_BLOCKED) and
	 * rx_progress counts the bytes it made readable in order. blocked_seen: low 32 bits of
	 * the last DATA_BLOCKED limit, plus one (0: none), to tell repeats. In padding.
	 */
	uint8_t rx_noop;
	uint32_t blocked_seen;

	/* stream counts per type (id & 3) */
	uint64_t opened[QUIC_STREAM_TYPES]; /* streams created: the next index */
	/* local types: the peer's MAX_STREAMS; peer types: the limit we advertised */
	uint64_t limit[QUIC_STREAM_TYPES];
	uint64_t limit_init[QUIC_STREAM_TYPES]; /* peer types: our initial_max_streams_* */
	uint64_t closed[QUIC_STREAM_TYPES];	/* peer types: streams freed */
	uint64_t blocked_at[QUIC_STREAM_TYPES]; /* local types: STREAMS_BLOCKED limit sent + 1 */

	/* receive flow control (what we advertise) */
	uint64_t rx_max;      /* MAX_DATA limit sent (initial_max_data at first) */
	uint64_t rx_max_next; /* limit of the MAX_DATA being written, 0 = none yet */
	uint64_t rx_highest;  /* sum of the streams' highest offsets (final sizes once known) */
	uint64_t rx_released; /* sum of the credit the streams released */
	uint64_t rx_window;
	uint64_t rx_window_max;
	uint64_t rx_tune_ns;
	uint64_t stream_window_max;
	uint64_t rx_stream_tuned; /* largest auto-tuned stream window: new streams start there */
	/* initial stream windows we advertised, by kind: see QUIC_STREAM_KIND_* */
	uint64_t rx_init[3];
	struct quic_chunk_budget budget;

	/* send flow control (what the peer advertised) */
	uint64_t tx_max;	/* peer's MAX_DATA */
	uint64_t tx_sent;	/* sum of the streams' tx_next */
	uint64_t tx_blocked_at; /* DATA_BLOCKED limit sent + 1, 0 = none */
	uint64_t tx_init[3];	/* peer's initial stream limits, by QUIC_STREAM_KIND_* */
	uint32_t send_buffer;
	uint32_t send_buffer_max;
	uint32_t rx_progress; /* see rx_noop */

	struct quic_stream_link send_q;
	struct quic_stream_link retx_q;
	struct quic_stream_link ctrl_q;
	struct quic_stream_link ready_q;
	struct quic_stream_link closed_q;
};

/*
 * Object size for the per-worker stream pool.
 * @return as quic_pool_init()
 */
int quic_stream_pool_init(struct quic_pool *p, uint32_t cap, uint32_t prealloc);

/*
 * Set up a connection's streams. Nothing is allocated until a stream opens.
 * @param cfg    role and local limits
 * @param local  our transport parameters: the windows and stream limits we advertise
 * @param streams, chunks  per-worker pools (quic_stream_pool_init(), quic_chunk_pool_init())
 * @return 0 or QUIC_ERR_INVAL (a window or limit out of range)
 */
int quic_streams_init(struct quic_streams *ss, const struct quic_streams_config *cfg,
		      const struct quic_tparams *local, struct quic_pool *streams,
		      struct quic_pool *chunks);

/*
 * Apply the peer's transport parameters (its windows and stream limits). May be called again
 * (0-RTT remembered values, then the handshake's): limits only ever grow.
 */
void quic_streams_set_peer_params(struct quic_streams *ss, const struct quic_tparams *peer);

/* Free every stream and buffer. */
void quic_streams_fini(struct quic_streams *ss);

/* Bytes this connection's stream state holds: the struct, stream objects, chunks. */
size_t quic_streams_mem(const struct quic_streams *ss);

/* Bytes of the stream objects alone (no data buffers): sizeof(struct quic_stream) each. */
size_t quic_streams_state_mem(const struct quic_streams *ss);

/*
 * Whether anything waits to be sent, in O(1): stream data the connection's flow control lets
 * out, retransmissions, stream or connection control frames. A server skips connections for
 * which this (and the connection's own frames) is false without looking at their streams.
 */
bool quic_streams_send_pending(const struct quic_streams *ss);

/* Whether a stream has data, its end or a reset for the application to read, in O(1). */
bool quic_streams_recv_pending(const struct quic_streams *ss);

/* Stream by ID, or NULL (never opened, or closed and collected). O(log n). */
struct quic_stream *quic_streams_get(struct quic_streams *ss, uint64_t id);

/* Free the streams that closed since the last call; may owe MAX_STREAMS. */
void quic_streams_collect(struct quic_streams *ss);

/* ---- received frames (RFC 9000 §19.4-§19.14) ---- */

/*
 * STREAM (§19.8). The type's FIN bit is read from f->type.
 * @return 0, or: QUIC_ERR_STREAM_STATE (send-only stream, or one of ours not opened: C10),
 *   QUIC_ERR_STREAM_LIMIT (beyond our MAX_STREAMS: C9), QUIC_ERR_FLOW_CONTROL (beyond the
 *   stream or connection limit, or past 2^62 - 1: C7, C8), QUIC_ERR_FINAL_SIZE (C17),
 *   QUIC_ERR_PROTOCOL (different bytes at a received offset: C18), QUIC_ERR_REASSEMBLY
 *   (too many gaps or chunks: C35), QUIC_ERR_NOMEM
 */
int quic_streams_on_stream(struct quic_streams *ss, const struct quic_frame *f);

/* RESET_STREAM (§19.4): QUIC_ERR_STREAM_STATE on a send-only stream (C11); final size rules. */
int quic_streams_on_reset_stream(struct quic_streams *ss, const struct quic_frame_reset_stream *f);

/*
 * STOP_SENDING (§19.5): QUIC_ERR_STREAM_STATE on a receive-only stream or one of ours not
 * opened (C12). Otherwise we reset the stream with the peer's error code (§3.5).
 */
int quic_streams_on_stop_sending(struct quic_streams *ss, const struct quic_frame_stop_sending *f);

/* MAX_DATA (§19.9): a limit that does not increase is ignored (C19). */
int quic_streams_on_max_data(struct quic_streams *ss, uint64_t max);

/* MAX_STREAM_DATA (§19.10): STREAM_STATE as STOP_SENDING (C13); no increase ignored (C19). */
int quic_streams_on_max_stream_data(struct quic_streams *ss,
				    const struct quic_frame_max_stream_data *f);

/* MAX_STREAMS (§19.11): > 2^60 is QUIC_ERR_FRAME_ENCODING (C15); no increase ignored (C19). */
int quic_streams_on_max_streams(struct quic_streams *ss, bool uni, uint64_t max);

/* DATA_BLOCKED (§19.12): information; may bring a MAX_DATA forward. */
int quic_streams_on_data_blocked(struct quic_streams *ss, uint64_t limit);

/* STREAM_DATA_BLOCKED (§19.13): QUIC_ERR_STREAM_STATE on a send-only stream (C14). */
int quic_streams_on_stream_data_blocked(struct quic_streams *ss,
					const struct quic_frame_stream_data_blocked *f);

/* STREAMS_BLOCKED (§19.14): > 2^60 is QUIC_ERR_STREAM_LIMIT (C16). */
int quic_streams_on_streams_blocked(struct quic_streams *ss, bool uni, uint64_t limit);

/*
 * Any of the frames above, by type. Sets ss->rx_noop and ss->rx_progress (see there).
 * @return as the handler, or QUIC_ERR_INVAL for a frame type that is not about streams
 */
int quic_streams_on_frame(struct quic_streams *ss, const struct quic_frame *f);

/* ---- application ---- */

/*
 * Open our next stream of a type.
 * @return 0 with *out set, QUIC_ERR_STREAM_LIMIT (the peer's MAX_STREAMS is reached; a
 *         STREAMS_BLOCKED is owed) or QUIC_ERR_NOMEM (stream pool empty)
 */
int quic_streams_open(struct quic_streams *ss, bool uni, struct quic_stream **out);

/*
 * Copy data into the stream's send buffer, as much as its limit allows.
 * @param fin  end the stream after data, if all of it was accepted
 * @return bytes accepted (possibly 0: buffer full; retry once acknowledgements free it), or
 *         QUIC_ERR_STREAM_STATE (no sending part, already ended or reset), QUIC_ERR_NOMEM
 */
int quic_stream_write(struct quic_streams *ss, struct quic_stream *s, const uint8_t *data,
		      size_t len, bool fin);

/*
 * quic_stream_write() without the copy: where the next bytes of the stream go in its send
 * buffer, so that the application writes them there itself (a file read straight into the
 * buffer). *buf receives up to *len contiguous bytes (to the end of the current chunk, within
 * the send room); write some, then quic_stream_write_commit() them.
 * @return 0 (*len 0: buffer full; retry once acknowledgements free it), or
 *         QUIC_ERR_STREAM_STATE (no sending part, already ended or reset), QUIC_ERR_NOMEM
 */
int quic_stream_write_reserve(struct quic_streams *ss, struct quic_stream *s, uint8_t **buf,
			      size_t *len);

/*
 * Take the first n bytes written at the place quic_stream_write_reserve() gave (n <= its *len,
 * nothing written on the stream in between); fin ends the stream after them.
 * @return n, QUIC_ERR_STREAM_STATE (as above), QUIC_ERR_INVAL (n beyond the reserved room)
 */
int quic_stream_write_commit(struct quic_streams *ss, struct quic_stream *s, size_t n, bool fin);

/*
 * Read in-order bytes. Reading releases flow-control credit; MAX_STREAM_DATA and MAX_DATA
 * are owed once half a window was read.
 * @param fin  set when every byte up to the final size has been read
 * @return bytes read (0: nothing readable now), or QUIC_ERR_STREAM_STATE: no receiving part,
 *         reading stopped, or the peer reset the stream (then s->recv_state tells which and
 *         s->rx_error holds the peer's code; the reset is now read, RFC 9000 §3.2)
 */
int quic_stream_read(struct quic_streams *ss, struct quic_stream *s, uint8_t *buf, size_t cap,
		     bool *fin);

/*
 * Abandon sending: drop the send buffer, owe RESET_STREAM (RFC 9000 §3.1).
 * @return 0 (also when already reset), QUIC_ERR_STREAM_STATE (no sending part, or every byte
 *         was already acknowledged)
 */
int quic_stream_reset(struct quic_streams *ss, struct quic_stream *s, uint64_t error);

/*
 * Abandon reading: owe STOP_SENDING (RFC 9000 §3.5); data still arriving counts against flow
 * control and is dropped.
 * @return 0 or QUIC_ERR_STREAM_STATE (no receiving part)
 */
int quic_stream_stop(struct quic_streams *ss, struct quic_stream *s, uint64_t error);

/* Pop the next stream with new data, its end or a reset to read; NULL when none. */
struct quic_stream *quic_streams_next_readable(struct quic_streams *ss);

/* Bytes the application may still write before the send buffer is full. */
uint64_t quic_stream_send_room(const struct quic_streams *ss, const struct quic_stream *s);
/* Bytes written but never sent yet (lost bytes awaiting retransmission not included). */
uint64_t quic_stream_send_unsent(const struct quic_stream *s);

/* ---- packet writer ---- */

/* A piece of a stream to put in one STREAM frame. */
struct quic_stream_send {
	uint64_t offset;
	const uint8_t *data;  /* borrowed from the send buffer until the commit */
	size_t len;	      /* 0 only for a FIN alone */
	size_t len1;	      /* bytes at data; the other len - len1 are at data2 */
	const uint8_t *data2; /* quic_stream_send_peek_span(): the next chunk, or NULL */
	bool fin;	      /* the frame may carry FIN if all len bytes fit */
	bool retransmit;      /* lost data (or a FIN alone): needs no flow credit */
};

/*
 * Next stream to write a STREAM frame for: streams with lost data first, then streams with new
 * data while connection credit lasts; round robin within each, so every stream gets a turn.
 * Owes DATA_BLOCKED when connection credit is what stops new data.
 * @return the stream, or NULL when nothing can be sent
 */
struct quic_stream *quic_streams_next_send(struct quic_streams *ss);

/*
 * What to send next from s: the lowest lost range first, then new data within stream and
 * connection credit, at most max bytes and contiguous in memory.
 * @return true with *out set, false when s has nothing to send
 */
bool quic_stream_send_peek(const struct quic_streams *ss, const struct quic_stream *s, size_t max,
			   struct quic_stream_send *out);

/*
 * As quic_stream_send_peek(), but new data may go on into the next chunk of the send buffer
 * (out->data2, after out->len1 bytes at out->data), so that one STREAM frame fills a packet
 * where the chunk boundary would otherwise split it in two (two frame headers, two records to
 * acknowledge). max must not exceed one chunk (QUIC_CHUNK_SIZE): at most two pieces.
 */
bool quic_stream_send_peek_span(const struct quic_streams *ss, const struct quic_stream *s,
				size_t max, struct quic_stream_send *out);

/*
 * Record that written bytes of a peeked piece went into a packet (fin: with the FIN bit), and
 * send the stream to the back of its queue. Record (id, offset, written, fin) for the ack/loss
 * callbacks.
 */
void quic_stream_send_commit(struct quic_streams *ss, struct quic_stream *s,
			     const struct quic_stream_send *piece, size_t written, bool fin);

/*
 * Next control frame owed: MAX_DATA, DATA_BLOCKED, MAX_STREAMS, STREAMS_BLOCKED, then per
 * stream RESET_STREAM, STOP_SENDING, MAX_STREAM_DATA, STREAM_DATA_BLOCKED. Window auto-tuning
 * happens here: a window doubles (up to its maximum) when the update comes less than two
 * smoothed RTTs after the previous one, i.e. the peer used half the window within ~2 RTT.
 * @return true with *f set (f stays owed until quic_streams_ctrl_sent()), false when none
 */
bool quic_streams_ctrl_peek(struct quic_streams *ss, uint64_t now_ns, uint64_t srtt_ns,
			    struct quic_frame *f);

/* The frame from quic_streams_ctrl_peek() went into a packet. */
void quic_streams_ctrl_sent(struct quic_streams *ss, const struct quic_frame *f);

/* ---- loss recovery ---- */

/*
 * A STREAM frame (id, offset, len, fin) was acknowledged / declared lost.
 * @return 0 or QUIC_ERR_NOMEM (no chunk for the range bookkeeping: close)
 */
int quic_streams_on_stream_acked(struct quic_streams *ss, uint64_t id, uint64_t offset, size_t len,
				 bool fin);
int quic_streams_on_stream_lost(struct quic_streams *ss, uint64_t id, uint64_t offset, size_t len,
				bool fin);

/* A control frame from quic_streams_ctrl_peek() was acknowledged / declared lost. */
void quic_streams_on_ctrl_acked(struct quic_streams *ss, const struct quic_frame *f);
void quic_streams_on_ctrl_lost(struct quic_streams *ss, const struct quic_frame *f);

#ifdef __cplusplus
}
#endif

#endif /* HB_QUIC_STREAM_H */
