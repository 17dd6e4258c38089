/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * QUIC frames (RFC 9000 §12.4 and §19; DATAGRAM from RFC 9221 §4): one decoder and one encoder
 * per frame type behind a small dispatcher, helpers that size STREAM, CRYPTO and ACK frames to
 * the room left in a packet, and the per-type rules of RFC 9000 §12.4 Table 3 (which packet
 * types may carry a frame, ack-eliciting, congestion-controlled, probing).
 *
 * Decoded frames borrow: every pointer in a decoded struct quic_frame (STREAM and CRYPTO data,
 * NEW_TOKEN tokens, connection IDs, reset tokens, reason phrases, encoded ACK ranges, DATAGRAM
 * payloads) points into the input the reader was given, and is valid only as long as that
 * input is. Nothing here allocates, reads a clock, or keeps state between calls; all functions
 * are thread-safe on distinct objects.
 *
 * Checks that need connection state (stream ID direction and limits, flow control, packet
 * numbers actually sent, which frames the role may receive) are the connection's job.
 */
#ifndef HB_QUIC_FRAME_H
#define HB_QUIC_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <quic/pkt_type.h>
#include <quic/varint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Frame type values, RFC 9000 §12.4 Table 3 and RFC 9221 §4. */
enum quic_frame_type {
	QUIC_FRAME_PADDING = 0x00,
	QUIC_FRAME_PING = 0x01,
	QUIC_FRAME_ACK = 0x02,
	QUIC_FRAME_ACK_ECN = 0x03,
	QUIC_FRAME_RESET_STREAM = 0x04,
	QUIC_FRAME_STOP_SENDING = 0x05,
	QUIC_FRAME_CRYPTO = 0x06,
	QUIC_FRAME_NEW_TOKEN = 0x07,
	QUIC_FRAME_STREAM = 0x08, /* 0x08..0x0f: base | OFF | LEN | FIN */
	QUIC_FRAME_MAX_DATA = 0x10,
	QUIC_FRAME_MAX_STREAM_DATA = 0x11,
	QUIC_FRAME_MAX_STREAMS_BIDI = 0x12,
	QUIC_FRAME_MAX_STREAMS_UNI = 0x13,
	QUIC_FRAME_DATA_BLOCKED = 0x14,
	QUIC_FRAME_STREAM_DATA_BLOCKED = 0x15,
	QUIC_FRAME_STREAMS_BLOCKED_BIDI = 0x16,
	QUIC_FRAME_STREAMS_BLOCKED_UNI = 0x17,
	QUIC_FRAME_NEW_CONNECTION_ID = 0x18,
	QUIC_FRAME_RETIRE_CONNECTION_ID = 0x19,
	QUIC_FRAME_PATH_CHALLENGE = 0x1a,
	QUIC_FRAME_PATH_RESPONSE = 0x1b,
	QUIC_FRAME_CONNECTION_CLOSE = 0x1c,	/* transport error */
	QUIC_FRAME_CONNECTION_CLOSE_APP = 0x1d, /* application error */
	QUIC_FRAME_HANDSHAKE_DONE = 0x1e,
	QUIC_FRAME_DATAGRAM = 0x30,	/* RFC 9221: data runs to the end of the packet */
	QUIC_FRAME_DATAGRAM_LEN = 0x31, /* RFC 9221: with a Length field */
};

/* STREAM type bits, RFC 9000 §19.8. */
#define QUIC_STREAM_BIT_FIN 0x01
#define QUIC_STREAM_BIT_LEN 0x02
#define QUIC_STREAM_BIT_OFF 0x04

#define QUIC_FRAME_CID_MAX	   20 /* RFC 9000 §19.15 */
#define QUIC_FRAME_RESET_TOKEN_LEN 16
#define QUIC_FRAME_PATH_DATA_LEN   8
/* MAX_STREAMS and STREAMS_BLOCKED limit, RFC 9000 §19.11 and §19.14. */
#define QUIC_FRAME_MAX_STREAMS_LIMIT (UINT64_C(1) << 60)

/* PADDING: a run of consecutive 0x00 bytes, decoded as one frame. */
struct quic_frame_padding {
	size_t len; /* bytes in the run, >= 1 */
};

/*
 * ACK (RFC 9000 §19.3). The Gap/ACK Range Length pairs stay encoded in the input (ranges,
 * ranges_len bytes, range_count pairs): the decoder validates every one of them, and
 * quic_ack_iter walks them without storing anything.
 */
struct quic_frame_ack {
	uint64_t largest;
	uint64_t ack_delay; /* as encoded; the receiver scales it by its peer's exponent */
	uint64_t range_count;
	uint64_t first_range;
	const uint8_t *ranges;
	size_t ranges_len;
	uint64_t smallest; /* smallest packet number acknowledged (set by the decoder) */
	uint64_t ect0;	   /* ECN counts: type QUIC_FRAME_ACK_ECN only */
	uint64_t ect1;
	uint64_t ce;
};

struct quic_frame_reset_stream {
	uint64_t stream_id;
	uint64_t error_code;
	uint64_t final_size;
};

struct quic_frame_stop_sending {
	uint64_t stream_id;
	uint64_t error_code;
};

struct quic_frame_crypto {
	uint64_t offset;
	size_t len;
	const uint8_t *data;
};

struct quic_frame_new_token {
	size_t len; /* >= 1 */
	const uint8_t *token;
};

/* STREAM; the OFF, LEN and FIN bits live in quic_frame.type. */
struct quic_frame_stream {
	uint64_t stream_id;
	uint64_t offset; /* 0 when the OFF bit is clear */
	size_t len;
	const uint8_t *data;
};

struct quic_frame_max_data {
	uint64_t max;
};

struct quic_frame_max_stream_data {
	uint64_t stream_id;
	uint64_t max;
};

/* MAX_STREAMS; bidirectional or unidirectional by type. */
struct quic_frame_max_streams {
	uint64_t max; /* <= 2^60 */
};

struct quic_frame_data_blocked {
	uint64_t limit;
};

struct quic_frame_stream_data_blocked {
	uint64_t stream_id;
	uint64_t limit;
};

struct quic_frame_streams_blocked {
	uint64_t limit; /* <= 2^60 */
};

struct quic_frame_new_connection_id {
	uint64_t seq;
	uint64_t retire_prior_to; /* <= seq */
	uint8_t cid_len;	  /* 1..20 */
	const uint8_t *cid;
	const uint8_t *reset_token; /* QUIC_FRAME_RESET_TOKEN_LEN bytes */
};

struct quic_frame_retire_connection_id {
	uint64_t seq;
};

/* PATH_CHALLENGE and PATH_RESPONSE: 8 bytes, copied. */
struct quic_frame_path {
	uint8_t data[QUIC_FRAME_PATH_DATA_LEN];
};

/* CONNECTION_CLOSE; frame_type is present on the wire for type 0x1c only (0 for 0x1d). */
struct quic_frame_connection_close {
	uint64_t error_code;
	uint64_t frame_type;
	size_t reason_len;
	const uint8_t *reason;
};

/* DATAGRAM (RFC 9221 §4); the length is on the wire for type 0x31 only. */
struct quic_frame_datagram {
	size_t len;
	const uint8_t *data;
};

/* One frame: the wire type and the fields of that type. PING and HANDSHAKE_DONE have none. */
struct quic_frame {
	uint64_t type;
	union {
		struct quic_frame_padding padding;
		struct quic_frame_ack ack;
		struct quic_frame_reset_stream reset_stream;
		struct quic_frame_stop_sending stop_sending;
		struct quic_frame_crypto crypto;
		struct quic_frame_new_token new_token;
		struct quic_frame_stream stream;
		struct quic_frame_max_data max_data;
		struct quic_frame_max_stream_data max_stream_data;
		struct quic_frame_max_streams max_streams;
		struct quic_frame_data_blocked data_blocked;
		struct quic_frame_stream_data_blocked stream_data_blocked;
		struct quic_frame_streams_blocked streams_blocked;
		struct quic_frame_new_connection_id new_connection_id;
		struct quic_frame_retire_connection_id retire_connection_id;
		struct quic_frame_path path;
		struct quic_frame_connection_close connection_close;
		struct quic_frame_datagram datagram;
	};
};

static inline bool
quic_frame_is_stream(uint64_t type)
{
	return (type & ~(uint64_t)0x07) == QUIC_FRAME_STREAM;
}

/*
 * Decode one frame at the reader's position and advance past it.
 * @param r  reader over a packet payload; on success it points at the next frame
 * @param f  filled on success; its pointers borrow from the reader's input
 * @return 0, or:
 *   QUIC_ERR_TRUNCATED       input ended inside the frame (including inside the type varint,
 *                            or a length field pointing past the end)
 *   QUIC_ERR_FRAME_ENCODING  unknown type, or a field value the RFC forbids
 *   QUIC_ERR_PROTOCOL        frame type not in its shortest encoding (RFC 9000 §12.4)
 *   The caller closes with quic_err_to_transport(err) (FRAME_ENCODING_ERROR or
 *   PROTOCOL_VIOLATION) and stops parsing the packet; the reader position is then undefined.
 */
int quic_frame_decode(struct crypto_rd *r, struct quic_frame *f);

/*
 * Encoded size of f, exactly as quic_frame_encode() writes it (shortest varints; for STREAM
 * and DATAGRAM the fields the type bits select).
 * @return bytes, or 0 when f cannot be encoded (unknown type, value out of range)
 */
size_t quic_frame_encoded_len(const struct quic_frame *f);

/*
 * Encode f whole. Nothing is written on failure, and the writer stays usable.
 * @return 0, QUIC_ERR_BUFFER (less room than quic_frame_encoded_len(f)) or QUIC_ERR_INVAL
 *         (f cannot be encoded: unknown type, value out of range, invalid ACK ranges)
 */
int quic_frame_encode(struct crypto_wr *w, const struct quic_frame *f);

/*
 * Semantic equality: same type and fields, borrowed bytes compared by value, ACK ranges
 * compared as decoded ranges (so two encodings of the same ranges are equal).
 */
bool quic_frame_equal(const struct quic_frame *a, const struct quic_frame *b);

/* ---- ACK ranges ---- */

/* Packet numbers [smallest, largest], inclusive. */
struct quic_ack_range {
	uint64_t smallest;
	uint64_t largest;
};

struct quic_ack_ecn {
	uint64_t ect0;
	uint64_t ect1;
	uint64_t ce;
};

/* Walks the ranges of a decoded (hence validated) ACK frame, highest first. */
struct quic_ack_iter {
	struct crypto_rd r;
	uint64_t left;	   /* ranges not yet returned, after the first */
	uint64_t smallest; /* smallest of the range returned last */
	uint64_t largest;
	uint64_t first_range;
	bool started;
};

void quic_ack_iter_init(struct quic_ack_iter *it, const struct quic_frame_ack *ack);
/*
 * Next range in descending order.
 * @return true with *out set, false when done (or, for a frame that did not come from
 *         quic_frame_decode(), when the next range is invalid)
 */
bool quic_ack_range_next(struct quic_ack_iter *it, struct quic_ack_range *out);

/*
 * Encode an ACK frame from ranges, writing as many as fit in the writer's room.
 * @param ranges  highest first, each smallest <= largest, separated by at least one
 *                unacknowledged packet (ranges[i + 1].largest + 1 < ranges[i].smallest)
 * @param n       >= 1
 * @param ack_delay  already scaled down by our ack_delay_exponent
 * @param ecn     NULL for type 0x02, the counts for type 0x03
 * @param written set to the number of ranges written (1..n) on success
 * @return 0, QUIC_ERR_BUFFER (not even the first range fits; nothing written) or
 *         QUIC_ERR_INVAL (ranges not as above, a value above 2^62-1)
 */
int quic_frame_encode_ack(struct crypto_wr *w, const struct quic_ack_range *ranges, size_t n,
			  uint64_t ack_delay, const struct quic_ack_ecn *ecn, size_t *written);

/* ---- STREAM and CRYPTO sized to the room left ---- */

/* How a STREAM or CRYPTO frame fits: header bytes, data bytes, whether a Length is written. */
struct quic_frame_fit {
	size_t hdr_len;
	size_t data_len;
	bool has_len;
};

/*
 * Size a STREAM frame to room bytes. The OFF bit is used only when offset > 0. With last set
 * the frame ends the packet, so its Length field is omitted (RFC 9000 §19.8) and its data runs
 * to the end of the packet; otherwise a Length field is counted.
 * @param data_len  bytes the caller has to send from offset (0 for a bare FIN)
 * @return 0 with *fit set (fit->data_len may be less than data_len, and is 0 only when
 *         data_len is 0), QUIC_ERR_BUFFER (room too small for the header and one byte of data)
 *         or QUIC_ERR_INVAL (stream_id or offset above 2^62-1)
 */
int quic_stream_frame_fit(size_t room, uint64_t stream_id, uint64_t offset, size_t data_len,
			  bool last, struct quic_frame_fit *fit);

/*
 * Size a CRYPTO frame to room bytes (CRYPTO always carries a Length).
 * @return as quic_stream_frame_fit()
 */
int quic_crypto_frame_fit(size_t room, uint64_t offset, size_t data_len,
			  struct quic_frame_fit *fit);

/*
 * Write a STREAM frame carrying as much of data as fits in the writer's room, per
 * quic_stream_frame_fit(). FIN is set only when fin is true and all of data fits.
 * @param written  data bytes written
 * @return as quic_stream_frame_fit(); nothing is written on failure
 */
int quic_frame_encode_stream_fit(struct crypto_wr *w, uint64_t stream_id, uint64_t offset,
				 const uint8_t *data, size_t data_len, bool fin, bool last,
				 size_t *written);

/*
 * As quic_frame_encode_stream_fit() for data in two pieces: len1 bytes at data, then
 * data_len - len1 at data2 (len1 <= data_len; data2 unused when they are equal).
 */
int quic_frame_encode_stream_fit2(struct crypto_wr *w, uint64_t stream_id, uint64_t offset,
				  const uint8_t *data, size_t len1, const uint8_t *data2,
				  size_t data_len, bool fin, bool last, size_t *written);

/*
 * As quic_frame_encode_stream_fit() without the data: the frame's header is written and the
 * *written data bytes that follow it are reserved in w, left unwritten (the packet writer
 * has them sealed straight from the send buffer, crypto_aead_seal_burst_src()).
 * @param data_at  where in w (from its start) the data goes
 */
int quic_frame_encode_stream_head(struct crypto_wr *w, uint64_t stream_id, uint64_t offset,
				  size_t data_len, bool fin, bool last, size_t *data_at,
				  size_t *written);

/* Write a CRYPTO frame carrying as much of data as fits; as quic_frame_encode_stream_fit(). */
int quic_frame_encode_crypto_fit(struct crypto_wr *w, uint64_t offset, const uint8_t *data,
				 size_t data_len, size_t *written);

/* ---- Per-type rules, RFC 9000 §12.4 Table 3, §12.5, §13.2; RFC 9221 §4-§5 ---- */


/*
 * Whether a frame of this type may appear in this packet type (RFC 9000 §12.4 Table 3 and
 * §12.5). 0-RTT excludes ACK, CRYPTO, NEW_TOKEN, PATH_RESPONSE, RETIRE_CONNECTION_ID and
 * HANDSHAKE_DONE (§12.5). False for unknown types. Receipt of a frame that is not allowed is
 * a PROTOCOL_VIOLATION (§12.4).
 */
bool quic_frame_allowed_in(uint64_t type, enum quic_pkt_type pkt);
/* Ack-eliciting: every type but ACK, PADDING and CONNECTION_CLOSE (RFC 9000 §13.2). */
bool quic_frame_is_ack_eliciting(uint64_t type);
/* Counted in bytes in flight: every type but ACK (RFC 9000 Table 3 "C", RFC 9002 §2). */
bool quic_frame_is_congestion_controlled(uint64_t type);
/* Probing: PADDING, NEW_CONNECTION_ID, PATH_CHALLENGE, PATH_RESPONSE (RFC 9000 §9.1). */
bool quic_frame_is_probing(uint64_t type);

#ifdef __cplusplus
}
#endif

#endif /* HB_QUIC_FRAME_H */
