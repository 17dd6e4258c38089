/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * QUIC transport parameters (RFC 9000 §7.4 and §18; version_information from RFC 9368 §3;
 * max_datagram_frame_size from RFC 9221 §3): a fixed-size struct with defaults and presence
 * bits, a role-aware encoder and a bounded decoder that copies what it keeps (no allocation,
 * nothing borrowed from the input). Thread-safe on distinct objects.
 */
#ifndef HB_QUIC_TPARAMS_H
#define HB_QUIC_TPARAMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <quic/varint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Transport parameter IDs, RFC 9000 §18.2, RFC 9368 §3, RFC 9221 §3. */
enum quic_tp_id {
	QUIC_TP_ORIGINAL_DCID = 0x00, /* original_destination_connection_id (server only) */
	QUIC_TP_MAX_IDLE_TIMEOUT = 0x01,
	QUIC_TP_STATELESS_RESET_TOKEN = 0x02, /* server only */
	QUIC_TP_MAX_UDP_PAYLOAD_SIZE = 0x03,
	QUIC_TP_INITIAL_MAX_DATA = 0x04,
	QUIC_TP_INITIAL_MAX_STREAM_DATA_BIDI_LOCAL = 0x05,
	QUIC_TP_INITIAL_MAX_STREAM_DATA_BIDI_REMOTE = 0x06,
	QUIC_TP_INITIAL_MAX_STREAM_DATA_UNI = 0x07,
	QUIC_TP_INITIAL_MAX_STREAMS_BIDI = 0x08,
	QUIC_TP_INITIAL_MAX_STREAMS_UNI = 0x09,
	QUIC_TP_ACK_DELAY_EXPONENT = 0x0a,
	QUIC_TP_MAX_ACK_DELAY = 0x0b,
	QUIC_TP_DISABLE_ACTIVE_MIGRATION = 0x0c, /* presence only, empty value */
	QUIC_TP_PREFERRED_ADDRESS = 0x0d,	 /* server only */
	QUIC_TP_ACTIVE_CONNECTION_ID_LIMIT = 0x0e,
	QUIC_TP_INITIAL_SCID = 0x0f, /* initial_source_connection_id */
	QUIC_TP_RETRY_SCID = 0x10,   /* retry_source_connection_id (server only) */
	QUIC_TP_VERSION_INFORMATION = 0x11,
	QUIC_TP_MAX_DATAGRAM_FRAME_SIZE = 0x20,
};

/* Presence bit of a parameter in quic_tparams.present. */
#define QUIC_TP_BIT(id) (UINT64_C(1) << (id))

#define QUIC_TP_CID_MAX		20
#define QUIC_TP_RESET_TOKEN_LEN 16
/*
 * version_information keeps at most this many Available Versions. Longer lists are accepted:
 * every entry is validated, the first QUIC_TP_MAX_VERSIONS are stored and the rest counted in
 * n_skipped (RFC 9368 sets no limit, and no deployment lists anywhere near this many).
 */
#define QUIC_TP_MAX_VERSIONS 16

/* Defaults when absent, RFC 9000 §18.2. */
#define QUIC_TP_DEFAULT_MAX_UDP_PAYLOAD_SIZE	   65527
#define QUIC_TP_DEFAULT_ACK_DELAY_EXPONENT	   3
#define QUIC_TP_DEFAULT_MAX_ACK_DELAY		   25
#define QUIC_TP_DEFAULT_ACTIVE_CONNECTION_ID_LIMIT 2

/* Who sent (decode) or will send (encode) the parameters. */
enum quic_tp_sender {
	QUIC_TP_FROM_CLIENT,
	QUIC_TP_FROM_SERVER,
};

struct quic_tp_cid {
	uint8_t len; /* 0..20 */
	uint8_t id[QUIC_TP_CID_MAX];
};

/* preferred_address, RFC 9000 §18.2; addresses in network byte order, ports host order. */
struct quic_tp_preferred_address {
	uint8_t ipv4[4];
	uint16_t ipv4_port;
	uint8_t ipv6[16];
	uint16_t ipv6_port;
	struct quic_tp_cid cid; /* 1..20 bytes */
	uint8_t reset_token[QUIC_TP_RESET_TOKEN_LEN];
};

/* version_information, RFC 9368 §3. */
struct quic_tp_version_info {
	uint32_t chosen; /* non-zero */
	uint32_t available[QUIC_TP_MAX_VERSIONS];
	size_t n_available; /* entries stored in available[] */
	size_t n_skipped;   /* entries received beyond QUIC_TP_MAX_VERSIONS, not stored */
};

/*
 * A set of transport parameters. A parameter is sent, or was received, when its bit
 * QUIC_TP_BIT(id) is set in present; absent integer parameters hold their defaults.
 */
struct quic_tparams {
	uint64_t present;
	struct quic_tp_cid original_dcid;
	uint64_t max_idle_timeout; /* ms */
	uint8_t stateless_reset_token[QUIC_TP_RESET_TOKEN_LEN];
	uint64_t max_udp_payload_size; /* >= 1200 */
	uint64_t initial_max_data;
	uint64_t initial_max_stream_data_bidi_local;
	uint64_t initial_max_stream_data_bidi_remote;
	uint64_t initial_max_stream_data_uni;
	uint64_t initial_max_streams_bidi; /* <= 2^60 */
	uint64_t initial_max_streams_uni;  /* <= 2^60 */
	uint64_t ack_delay_exponent;	   /* <= 20 */
	uint64_t max_ack_delay;		   /* ms, < 2^14 */
	struct quic_tp_preferred_address preferred_address;
	uint64_t active_connection_id_limit; /* >= 2 */
	struct quic_tp_cid initial_scid;
	struct quic_tp_cid retry_scid;
	struct quic_tp_version_info version_info;
	uint64_t max_datagram_frame_size; /* RFC 9221; present means DATAGRAM is supported */
};

/* Every parameter absent, integers at their RFC 9000 §18.2 defaults. */
void quic_tparams_init_default(struct quic_tparams *tp);

static inline bool
quic_tparams_has(const struct quic_tparams *tp, enum quic_tp_id id)
{
	return (tp->present & QUIC_TP_BIT(id)) != 0;
}

/*
 * Set an integer parameter (including max_datagram_frame_size) and mark it present. For
 * disable_active_migration the value is ignored and the parameter is marked present.
 * @return 0, or QUIC_ERR_INVAL (not an integer parameter, or v outside its §18.2 range)
 */
int quic_tparams_set_int(struct quic_tparams *tp, enum quic_tp_id id, uint64_t v);

/*
 * Set a connection ID parameter (original_dcid, initial_scid, retry_scid) and mark it present.
 * @return 0, or QUIC_ERR_INVAL (not a CID parameter, or len > 20)
 */
int quic_tparams_set_cid(struct quic_tparams *tp, enum quic_tp_id id, const uint8_t *cid,
			 size_t len);

/*
 * The remaining parameters (stateless_reset_token, preferred_address, version_information) are
 * set by filling their field and or-ing QUIC_TP_BIT(id) into present; the encoder validates.
 */

/*
 * Encode the present parameters in ascending ID order. With QUIC_TP_FROM_CLIENT, server-only
 * parameters (original_dcid, stateless_reset_token, preferred_address, retry_scid) are never
 * written even when present (RFC 9000 §18.2).
 * @return 0, QUIC_ERR_BUFFER (writer too small) or QUIC_ERR_INVAL (a present value out of its
 *         range); on failure the writer is left as it was on entry
 */
int quic_tparams_encode(struct crypto_wr *w, const struct quic_tparams *tp,
			enum quic_tp_sender sender);

/*
 * Decode a transport parameter block sent by sender into tp (re-initialised to defaults
 * first). Unknown IDs, including reserved 31 * N + 27 ones, are skipped (RFC 9000 §7.4.2).
 * @return 0, or QUIC_ERR_TRANSPORT_PARAM for: truncation; a duplicate parameter (§7.4); a
 *         value out of its §18.2 range (B3); a value whose encoding does not span exactly its
 *         declared length; a server-only parameter sent by a client (§18.2, B2); a bad
 *         preferred_address or version_information (RFC 9368 §4). The caller closes with
 *         TRANSPORT_PARAMETER_ERROR. tp is unspecified on failure.
 */
int quic_tparams_decode(struct quic_tparams *tp, const uint8_t *buf, size_t len,
			enum quic_tp_sender sender);

/*
 * Presence checks of RFC 9000 §7.3 the connection applies after decoding: every endpoint
 * sends initial_source_connection_id, a server also original_destination_connection_id.
 * (Whether retry_source_connection_id must be present, and every value, depends on the
 * connection's history and is checked there.)
 * @return 0 or QUIC_ERR_TRANSPORT_PARAM
 */
int quic_tparams_check_required(const struct quic_tparams *tp, enum quic_tp_sender sender);

/* Same parameters present with the same values (version lists compared as stored). */
bool quic_tparams_equal(const struct quic_tparams *a, const struct quic_tparams *b);

#ifdef __cplusplus
}
#endif

#endif /* HB_QUIC_TPARAMS_H */
