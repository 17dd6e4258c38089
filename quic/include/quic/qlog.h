/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * An optional event hook on a connection, for qlog (draft-ietf-quic-qlog-main-schema,
 * draft-ietf-quic-qlog-quic-events) or any other trace.
 *
 * quic/ reports what happened as plain structs; it writes no JSON and opens no file. The
 * caller's ops turn events into text and decide where it goes (dataplane/server/qlog.c writes
 * one JSON-SEQ file per connection). Off (quic_conn_config.qlog == NULL, or open() returning
 * NULL) costs one pointer test per packet.
 *
 * Every callback runs on the connection's worker, inside quic_conn_accept(), quic_conn_recv(),
 * quic_conn_write(), quic_conn_handle_timeout(), quic_conn_close() or quic_conn_free(); it must
 * not call back into the connection. Borrowed pointers in an event are valid for the call only.
 */
#ifndef HB_QUIC_QLOG_H
#define HB_QUIC_QLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <quic/cid.h>
#include <quic/conn.h>
#include <quic/pkt_type.h>

#ifdef __cplusplus
extern "C" {
#endif

enum quic_qlog_event_type {
	QUIC_QLOG_PACKET_RECEIVED = 0, /* transport:packet_received (authenticated) */
	QUIC_QLOG_PACKET_SENT,	       /* transport:packet_sent */
	QUIC_QLOG_PACKET_LOST,	       /* recovery:packet_lost (RFC 9002 §6.1) */
	QUIC_QLOG_METRICS_UPDATED,     /* recovery:metrics_updated */
	QUIC_QLOG_STATE_UPDATED,       /* connectivity:connection_state_updated */
	QUIC_QLOG_CONNECTION_CLOSED,   /* connectivity:connection_closed */
	QUIC_QLOG_KEY_UPDATED,	       /* security:key_updated */
	QUIC_QLOG_KEY_DISCARDED,       /* security:key_discarded (RFC 9001 §4.9, §6.5) */
};

/* Connection states as qlog names them (connectivity:connection_state_updated). */
enum quic_qlog_state {
	QUIC_QLOG_ST_HANDSHAKE_STARTED = 0,
	QUIC_QLOG_ST_HANDSHAKE_COMPLETE,
	QUIC_QLOG_ST_HANDSHAKE_CONFIRMED,
	QUIC_QLOG_ST_CLOSING,
	QUIC_QLOG_ST_DRAINING,
	QUIC_QLOG_ST_CLOSED,
};

/* Packet protection keys by encryption level (RFC 9001 §4). */
enum quic_qlog_key {
	QUIC_QLOG_KEY_INITIAL = 0,
	QUIC_QLOG_KEY_HANDSHAKE,
	QUIC_QLOG_KEY_1RTT,
};

/* Why 1-RTT keys changed: the TLS handshake, or a key update (RFC 9001 §6). */
enum quic_qlog_key_trigger {
	QUIC_QLOG_TRIGGER_TLS = 0,
	QUIC_QLOG_TRIGGER_LOCAL_UPDATE,
	QUIC_QLOG_TRIGGER_REMOTE_UPDATE,
};

struct quic_qlog_packet {
	enum quic_pkt_type type;
	uint64_t pn;
	size_t length;	       /* the whole packet on the wire, tag included (0: unknown) */
	const uint8_t *frames; /* the plaintext payload (NULL for packet_lost) */
	size_t frames_len;
};

struct quic_qlog_metrics {
	uint64_t cwnd;
	uint64_t bytes_in_flight;
	uint64_t smoothed_rtt_ns;
	uint64_t latest_rtt_ns;
	uint64_t min_rtt_ns;
	uint64_t rtt_var_ns;
};

struct quic_qlog_close {
	struct quic_conn_close_info info;
	const uint8_t *reason; /* UTF-8 from the peer or us, not NUL-terminated */
	size_t reason_len;
};

struct quic_qlog_key_event {
	enum quic_qlog_key key;
	bool local; /* our sending key (server_* on a server), else the peer's */
	uint64_t generation;
	enum quic_qlog_key_trigger trigger;
};

struct quic_qlog_event {
	enum quic_qlog_event_type type;
	uint64_t now_ns;
	union {
		struct quic_qlog_packet packet; /* PACKET_RECEIVED, PACKET_SENT, PACKET_LOST */
		struct quic_qlog_metrics metrics;
		struct {
			enum quic_qlog_state old_state;
			enum quic_qlog_state new_state;
		} state;
		struct quic_qlog_close close;
		struct quic_qlog_key_event key; /* KEY_UPDATED, KEY_DISCARDED */
	};
};

/*
 * The hook. open() is called once per connection when its original DCID is known (a server:
 * in quic_conn_accept(); a client: in quic_conn_new_client()) and returns the context passed
 * to event() and close(), or NULL to leave this connection untraced. close() is called from
 * quic_conn_free() after the last event.
 */
struct quic_qlog_ops {
	void *(*open)(void *arg, const struct quic_cid *odcid, bool server, uint64_t now_ns);
	void (*event)(void *conn_ctx, const struct quic_qlog_event *ev);
	void (*close)(void *conn_ctx);
	void *arg;
};

#ifdef __cplusplus
}
#endif

#endif /* HB_QUIC_QLOG_H */
