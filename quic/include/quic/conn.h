/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A QUIC connection (RFC 9000, RFC 9001, RFC 9002) for either role, as an I/O-free and
 * clock-free state machine.
 *
 * The caller owns every byte of I/O and the clock:
 *   - quic_conn_recv() borrows one received UDP payload with the path it came on and now_ns;
 *     it copies only what it must keep (out-of-order CRYPTO and STREAM data).
 *   - quic_conn_write() writes datagrams back to back into the caller's buffer (ready to be
 *     copied or written straight into a burst of mbufs), and says how long each one is.
 *   - quic_conn_next_timeout() says when quic_conn_handle_timeout() is due next.
 * Nothing here reads a clock, draws randomness except through the injected source, opens a
 * socket or includes DPDK or OpenSSL: TLS 1.3 runs in crypto/tls, packet protection in
 * crypto/ through opaque handles.
 *
 * The application reads events with quic_conn_poll_event() and uses streams by ID.
 *
 * Thread-safety: none. A connection belongs to one worker, and uses that worker's crypto
 * context and pools. Distinct connections on distinct workers are independent.
 */
#ifndef HB_QUIC_CONN_H
#define HB_QUIC_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <crypto/crypto.h>
#include <crypto/tls.h>
#include <quic/cid.h>
#include <quic/error.h>
#include <quic/pkt_type.h>
#include <quic/pool.h>
#include <quic/tparams.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Addresses and paths ---- */

#define QUIC_AF_INET  4
#define QUIC_AF_INET6 6

/* A UDP endpoint: IPv4 in ip[0..4), IPv6 in ip[0..16), network byte order; port host order. */
struct quic_addr {
	uint8_t family; /* QUIC_AF_INET or QUIC_AF_INET6 */
	uint16_t port;
	uint8_t ip[16];
};

/* The 4-tuple a datagram came in on, or must go out on (RFC 9000 §9). */
struct quic_path {
	struct quic_addr local;
	struct quic_addr remote;
	/*
	 * quic_conn_recv(): the ECN codepoint of the datagram's IP header (enum quic_ecn of
	 * quic/recovery.h: the TOS or Traffic Class low two bits), counted per packet number
	 * space and echoed in ACK frames (RFC 9000 §13.4.1, §19.3.2); 0 (not-ECT) when unknown.
	 * Not part of the path's identity (quic_path_equal() ignores it).
	 */
	uint8_t ecn;
};

/* Same family, address and port. */
bool quic_addr_equal(const struct quic_addr *a, const struct quic_addr *b);
bool quic_path_equal(const struct quic_path *a, const struct quic_path *b);

/* ---- Address-validation token service (Retry and NEW_TOKEN, RFC 9000 §8.1) ---- */

enum quic_token_kind {
	QUIC_TOKEN_RETRY = 0,	  /* short-lived, bound to the original DCID (§8.1.2) */
	QUIC_TOKEN_NEW_TOKEN = 1, /* long-lived, for a future connection (§8.1.3) */
};

/* What a token proved. */
struct quic_token_info {
	enum quic_token_kind kind;
	struct quic_cid odcid; /* QUIC_TOKEN_RETRY: the DCID of the client's first Initial */
};

#define QUIC_TOKEN_MAX_LEN 256

/*
 * The server's token service. The real one (AES-GCM tokens with key rotation) lives in a later
 * module; tests plug in a simple fake. All callbacks are optional only as a set: a server
 * without them never sends Retry or NEW_TOKEN and treats every token as absent.
 *
 * issue:    write a token of kind for a client at peer (odcid: the DCID of its first Initial,
 *           for a Retry token; NULL otherwise) into out[0..cap). @return its length (1..cap),
 *           or a negative value when none can be made.
 * validate: check a token received in an Initial from peer. @return 0 with *info set when it
 *           is valid, a negative value otherwise.
 */
struct quic_token_ops {
	int (*issue)(void *arg, enum quic_token_kind kind, const struct quic_addr *peer,
		     const uint8_t *odcid, size_t odcid_len, uint64_t now_ns, uint8_t *out,
		     size_t cap);
	int (*validate)(void *arg, const uint8_t *token, size_t len, const struct quic_addr *peer,
			uint64_t now_ns, struct quic_token_info *info);
	void *arg;
};

/* ---- Configuration ---- */

struct quic_qlog_ops; /* quic/qlog.h */

enum quic_role {
	QUIC_ROLE_CLIENT = 0,
	QUIC_ROLE_SERVER = 1,
};

#define QUIC_CONN_MAX_VERSIONS 4

/* Default local limits (quic_conn_config_default()). */
#define QUIC_CONN_DEFAULT_IDLE_TIMEOUT_MS 30000
#define QUIC_CONN_DEFAULT_MAX_UDP_PAYLOAD 1472
#define QUIC_CONN_DEFAULT_STREAM_WINDOW	  (256u * 1024)
#define QUIC_CONN_DEFAULT_CONN_WINDOW	  (1024u * 1024)
#define QUIC_CONN_DEFAULT_MAX_STREAMS	  100
#define QUIC_CONN_DEFAULT_SENT_CAP	  1024
#define QUIC_CONN_CLIENT_CID_LEN	  8

/*
 * Everything a connection needs from its worker and the operator. The struct is copied by
 * quic_conn_new_client()/quic_conn_accept(); the objects it points to are borrowed and must
 * outlive every connection built from it.
 */
struct quic_conn_config {
	enum quic_role role;
	/*
	 * Versions we speak, preferred first (QUIC_VERSION_1, QUIC_VERSION_2, RFC 9369). A
	 * client offers versions[0] and lists all of them in its version_information (RFC 9368
	 * §3): it follows a server that switches it to one of them. A server accepts a first
	 * Initial in any of them, and lists them in Version Negotiation packets.
	 */
	uint32_t versions[QUIC_CONN_MAX_VERSIONS];
	size_t n_versions;
	/*
	 * Server: compatible version negotiation (RFC 9368 §2.3). The first of these versions
	 * (each also in versions[]; the list ends at the first 0) that the client lists as
	 * available becomes the version of the connection, from the server's first Initial on,
	 * when the client's version converts to it (v1 <-> v2, RFC 9369 §4). {v2, v1}: move v1
	 * clients that offer v2 to v2. None (the default): every client keeps its version.
	 */
	uint32_t preferred_versions[QUIC_CONN_MAX_VERSIONS];

	/*
	 * Local transport parameters to advertise (RFC 9000 §18.2). Limits and timers are taken
	 * from here; the connection fills in the CID parameters (original_destination_,
	 * initial_source_, retry_source_connection_id), stateless_reset_token and
	 * version_information itself.
	 */
	struct quic_tparams tparams;

	/*
	 * TLS: the server's or the client's configuration (the other is NULL). A server whose
	 * configuration has a ticket key (tls_server_config_rotate_ticket_key()) sends
	 * NewSessionTickets after the handshake, which clients resume with (session below);
	 * tls_server_config_set_early_data() lets those tickets carry 0-RTT.
	 */
	const struct tls_server_config *tls_server;
	const struct tls_client_config *tls_client;
	const char *server_name; /* client: SNI and certificate name; NULL: none */
	/*
	 * Client: resume this session, a blob that quic_conn_session() gave on an earlier
	 * connection to the same server (NULL: a full handshake). It holds the ticket and what
	 * RFC 9000 §7.4.1 says to remember for 0-RTT: the server's transport parameters and
	 * ALPN. Borrowed for quic_conn_new_client() only. An expired blob, or one for
	 * another server, is ignored (full handshake); a malformed one makes
	 * quic_conn_new_client() fail with QUIC_ERR_CRYPTO. When the ticket allows early data (and
	 * the client TLS configuration does, tls_client_config_set_early_data()), streams may be
	 * opened and written right after quic_conn_new_client(): their data goes in 0-RTT packets
	 * within the remembered limits; quic_conn_early_data() tells the outcome. When the server
	 * rejects 0-RTT the same bytes are sent again in 1-RTT packets (RFC 9001 §4.6.2).
	 */
	const uint8_t *session;
	size_t session_len;

	struct crypto_ctx *crypto; /* the worker's crypto context (required) */
	struct crypto_rand rand;   /* fn NULL: the system source */

	const char *cc_algo; /* "newreno" (NULL) or "cubic" */
	uint32_t sent_cap;   /* sent packets tracked in the Application space (0: default) */
	/*
	 * Non-productive traffic tolerated (RFC 9000 §21.9, bad-input C34); 0: the default,
	 * QUIC_CONN_GLITCH_BUDGET_DEFAULT. A glitch is a frame or packet that changes nothing:
	 * STREAM or CRYPTO data all received before, a frame for a closed stream, a MAX_DATA,
	 * MAX_STREAM_DATA or MAX_STREAMS that does not raise the limit (or by less than
	 * QUIC_STREAMS_MIN_INCREMENT bytes), a repeated STOP_SENDING, RESET_STREAM or
	 * DATA_BLOCKED, a stale STREAMS_BLOCKED, an exact repeat of a NEW_CONNECTION_ID, a packet
	 * of only PING and PADDING. Each takes one unit of the budget; time gives back
	 * glitch_budget every QUIC_CONN_GLITCH_REFILL_S seconds (pro rata) and data delivered in
	 * order one unit per QUIC_CONN_GLITCH_CREDIT_BYTES, so retransmissions under loss never
	 * run it out. The glitch past the budget closes the connection with PROTOCOL_VIOLATION
	 * and the reason "excessive non-productive traffic": §21.9 leaves the response open and
	 * §11 allows a generic code for an error of no more specific kind.
	 */
	uint32_t glitch_budget;
	uint64_t initial_rtt_ns; /* 0: 333 ms (RFC 9002 §6.2.2) */

	/* Our CIDs: a server mints QUIC-LB CIDs for worker when lb is set; without lb (and on a
	 * client) CIDs are cid_len random bytes. Reset tokens come from reset_key (>= 16 bytes,
	 * RFC 9000 §10.3.2) when set, else are random. */
	struct quic_lb *lb;
	uint8_t worker;
	uint8_t cid_len; /* without lb: 0 means QUIC_CONN_CLIENT_CID_LEN (client) or 16 (server) */
	/*
	 * Server: refuse 0-RTT even when the TLS configuration would accept it (a ticket with
	 * early data, tls_server_config_set_early_data()). Without this a server accepts 0-RTT
	 * whose remembered transport parameters are not above the current ones (RFC 9000
	 * §7.4.1) and gives its STREAM data to the application before the handshake completes.
	 */
	bool reject_early_data;
	/*
	 * Server: free both transport parameter sets (688 bytes) once the handshake is
	 * confirmed and the TLS engine released; quic_conn_local_tparams() and
	 * quic_conn_peer_tparams() return NULL from then on. Everything in them has been
	 * applied by then (memory per idle connection).
	 */
	bool release_tparams;
	const uint8_t *reset_key;
	size_t reset_key_len;

	/* Per-worker pools; NULL: the connection builds private ones (tests, clients). */
	struct quic_pool *stream_pool;
	struct quic_pool *chunk_pool;
	/* Objects of quic_conn_obj_size() bytes for the connections themselves; NULL (or a pool
	 * at its cap): the heap. */
	struct quic_pool *conn_pool;

	/* Server: the token service (NULL: none). */
	const struct quic_token_ops *tokens;
	bool send_new_token; /* server: send a NEW_TOKEN once the handshake is confirmed */

	/* Event trace (quic/qlog.h), NULL: off. Borrowed, like the rest. */
	const struct quic_qlog_ops *qlog;

	/*
	 * AEAD limits of the 1-RTT keys (RFC 9001 §6.6); 0: the RFC's values for the suite, and
	 * a value above them is taken as them. For tests, and for operators who want lower
	 * limits. Confidentiality: packets sealed under one key; a key update is started once
	 * half of it is used, and a connection that could not update by the limit is
	 * closed silently (nothing more may be sealed under that key). Integrity: packets that
	 * failed to open, over all keys of the connection; reaching it closes the connection
	 * with AEAD_LIMIT_REACHED.
	 */
	uint64_t aead_confidentiality_limit;
	uint64_t aead_integrity_limit;
};

/* Defaults of the non-productive traffic limit (quic_conn_config.glitch_budget). */
#define QUIC_CONN_GLITCH_BUDGET_DEFAULT 1000u
#define QUIC_CONN_GLITCH_REFILL_S	10u
#define QUIC_CONN_GLITCH_CREDIT_BYTES	1024u

/*
 * Defaults: v1 then v2, QUIC_CONN_DEFAULT_* limits in the transport parameters (idle 30 s,
 * 1472-byte payloads, 256 KiB stream and 1 MiB connection windows, 100 streams of each type,
 * active_connection_id_limit 4), NewReno, the system random source.
 */
void quic_conn_config_default(struct quic_conn_config *cfg, enum quic_role role);

/* ---- Lifecycle ---- */

struct quic_conn;

/*
 * A client connection: picks a random DCID (16 bytes, RFC 9000 §7.2 needs >= 8) and its own
 * SCID, derives the Initial keys and has the ClientHello ready for quic_conn_write().
 * @param cfg   kept by pointer, not copied: it must outlive the connection, unchanged (one
 *              configuration per worker serves all its connections)
 * @param path  where the server is (copied)
 * @return 0, QUIC_ERR_INVAL (bad configuration: no crypto context or TLS config, no version),
 *         QUIC_ERR_NOMEM, QUIC_ERR_CRYPTO (key derivation or TLS start failed)
 */
int quic_conn_new_client(struct quic_conn **out, const struct quic_conn_config *cfg,
			 const struct quic_path *path, uint64_t now_ns);

/*
 * A server connection from the first datagram of a client (its Initial, possibly coalesced
 * with 0-RTT). The Initial is validated before anything is allocated: a datagram of at least
 * 1200 bytes (RFC 9000 §14.1), a supported version, a DCID of at least 8 bytes when it carries
 * no token (§7.2). Then the Initial keys are derived from that DCID and the datagram is
 * processed as by quic_conn_recv(). A token is checked with cfg->tokens: a valid Retry token
 * validates the address and sets original_destination_connection_id from it (§7.3); any
 * other token is ignored (§8.1.3).
 * @param cfg    kept by pointer, not copied: it must outlive the connection, unchanged
 * @param dgram  borrowed for the call only
 * @return 0; QUIC_ERR_MALFORMED (not a valid first Initial: drop it, no state was made);
 *         QUIC_ERR_VERSION (unsupported version: the caller may answer with a VN); QUIC_ERR_INVAL
 *         (bad configuration); QUIC_ERR_NOMEM; QUIC_ERR_CRYPTO
 */
int quic_conn_accept(struct quic_conn **out, const struct quic_conn_config *cfg,
		     const uint8_t *dgram, size_t len, const struct quic_path *path,
		     uint64_t now_ns);

/* Free a connection and everything it holds, in any state. NULL is a no-op. */
void quic_conn_free(struct quic_conn *c);

/*
 * Process one received UDP payload. Packets that cannot be processed are dropped and counted
 * (quic_conn_stats()); a peer that breaks the protocol gets a CONNECTION_CLOSE with the RFC
 * 9000 §20 code and the connection moves to the closing state (an event says so).
 * @param data  borrowed for the call only
 * @param path  the path it came in on
 * @return 0, or QUIC_ERR_INVAL (NULL argument). Every network error is handled inside.
 */
int quic_conn_recv(struct quic_conn *c, const uint8_t *data, size_t len,
		   const struct quic_path *path, uint64_t now_ns);

/*
 * Write up to max_datagrams datagrams back to back into buf: datagram i starts at the sum of
 * out_lens[0..i) and is out_lens[i] bytes, none larger than max_datagram_size (nor than the
 * peer's max_udp_payload_size). Every packet is fully protected when this returns; the packets
 * of all the datagrams are sealed together through crypto_aead_seal_burst() and
 * crypto_hp_mask_burst(). Congestion control, pacing and the anti-amplification limit (a
 * server sends at most 3x what it received until the path is validated, RFC 9000 §8.1) are
 * applied here. One call writes for one path: a PATH_RESPONSE owed on a path other than the
 * current one (a peer probing a new address, RFC 9000 §8.2.2) comes alone, as one datagram
 * for that path, and the next call goes on with the current path.
 * @param path  receives the path to send on
 * @return datagrams written (0: nothing to send now; see quic_conn_next_timeout()), or
 *         QUIC_ERR_INVAL (max_datagram_size < 1200, NULL argument)
 */
int quic_conn_write(struct quic_conn *c, uint8_t *buf, size_t buf_len, size_t max_datagram_size,
		    size_t *out_lens, size_t max_datagrams, struct quic_path *path,
		    uint64_t now_ns);

/*
 * quic_conn_write() into a buffer per datagram: datagram i goes to bufs[i] (room
 * max_datagram_size each), out_lens[i] bytes, for i < the count returned. A sender whose
 * datagrams live in separate packet buffers (one mbuf each) writes a burst in one call, and
 * the burst is sealed and masked together as above.
 * @return datagrams written, or QUIC_ERR_INVAL (max_datagram_size < 1200, NULL argument)
 */
int quic_conn_write_burst(struct quic_conn *c, uint8_t *const *bufs, size_t max_datagram_size,
			  size_t *out_lens, size_t n_bufs, struct quic_path *path, uint64_t now_ns);

/* When quic_conn_handle_timeout() is due next (absolute ns), or UINT64_MAX for never. */
uint64_t quic_conn_next_timeout(const struct quic_conn *c);

/*
 * Run what is due at now_ns: loss detection and PTO (RFC 9002 §6), the idle timeout (RFC 9000
 * §10.1), the end of the closing or draining period (§10.2), dropping old 1-RTT keys. Calling
 * it early does nothing harmful. Then call quic_conn_write().
 */
void quic_conn_handle_timeout(struct quic_conn *c, uint64_t now_ns);

/*
 * Close with an application error (CONNECTION_CLOSE type 0x1d, RFC 9000 §10.2; sent as a
 * transport APPLICATION_ERROR in Initial and Handshake packets, §10.2.3). The connection
 * enters the closing state; call quic_conn_write() to send the frame.
 * @param reason  UTF-8 phrase (copied, truncated to 64 bytes), may be NULL
 * @return 0, QUIC_ERR_STREAM_STATE (already closing, draining or closed)
 */
int quic_conn_close(struct quic_conn *c, uint64_t app_error, const char *reason, uint64_t now_ns);

enum quic_conn_state {
	QUIC_CONN_HANDSHAKE = 0, /* handshake in progress */
	QUIC_CONN_ESTABLISHED,	 /* handshake complete (server) or confirmed (client) */
	QUIC_CONN_CLOSING,	 /* we sent CONNECTION_CLOSE (RFC 9000 §10.2.1) */
	QUIC_CONN_DRAINING,	 /* the peer closed, or a stateless reset (RFC 9000 §10.2.2) */
	QUIC_CONN_CLOSED,	 /* nothing more to do: free it */
};

enum quic_conn_state quic_conn_state(const struct quic_conn *c);
/* Whether the connection is over and may be freed. */
static inline bool
quic_conn_is_closed(const struct quic_conn *c)
{
	return quic_conn_state(c) == QUIC_CONN_CLOSED;
}
enum quic_role quic_conn_role(const struct quic_conn *c);
/* The version in use (it changes on a client after Version Negotiation). */
uint32_t quic_conn_version(const struct quic_conn *c);
/* Negotiated ALPN (NUL-terminated), NULL before it is known. */
const char *quic_conn_alpn(const struct quic_conn *c);
/* The peer's transport parameters, NULL until received and validated, and once released
 * (quic_conn_config.release_tparams). */
const struct quic_tparams *quic_conn_peer_tparams(const struct quic_conn *c);
/* Our transport parameters as sent; NULL once released (release_tparams). */
const struct quic_tparams *quic_conn_local_tparams(const struct quic_conn *c);
/* Client: whether a Retry was accepted (RFC 9000 §17.2.5.2). */
bool quic_conn_retried(const struct quic_conn *c);
/* Whether the peer's address is validated (RFC 9000 §8.1); always true on a client. */
bool quic_conn_path_validated(const struct quic_conn *c);
/* Handshake confirmed (RFC 9001 §4.1.2). */
bool quic_conn_handshake_confirmed(const struct quic_conn *c);
/* The CID the peer must use to reach us now (seq 0 until it switches), for tests and logs. */
const struct quic_cid *quic_conn_scid(const struct quic_conn *c);
/* The CID we send to. */
const struct quic_cid *quic_conn_dcid(const struct quic_conn *c);
/*
 * Our CIDs the peer may send to now: seq 0 and every CID issued in NEW_CONNECTION_ID that it
 * has not retired (RFC 9000 §5.1.1, §19.16), at most QUIC_CID_LOCAL_SLOTS. A server keeps its
 * CID lookup table in step with this set, re-reading it when *gen differs from the value of
 * the last call (gen may be NULL). @return how many were written to out (<= max)
 */
size_t quic_conn_local_cids(const struct quic_conn *c, struct quic_cid *out, size_t max,
			    uint32_t *gen);
/* The value quic_conn_local_cids() returns in *gen: compare before re-reading the set. */
uint32_t quic_conn_local_cids_gen(const struct quic_conn *c);
/* Server and client: whether the handshake resumed a session from a ticket (RFC 9846 §2.2). */
bool quic_conn_resumed(const struct quic_conn *c);
/* Server and client: whether the handshake went through a HelloRetryRequest (RFC 9846 §4.1.4). */
bool quic_conn_hrr(const struct quic_conn *c);

/* Why a connection closed, and with which code. */
struct quic_conn_close_info {
	uint64_t error_code;
	uint64_t frame_type; /* transport errors: the frame that caused it (0: unknown) */
	bool app;	     /* application error (0x1d) */
	bool remote;	     /* the peer sent it */
	bool idle;	     /* idle timeout (no frame exchanged) */
	bool stateless_reset;
	bool handshake_timeout;
};

/* How the connection ended or is ending; false while it is open. */
bool quic_conn_close_info(const struct quic_conn *c, struct quic_conn_close_info *info);

/* Counters, for tests and telemetry. */
struct quic_conn_stats {
	uint64_t dgrams_rx;
	uint64_t bytes_rx;
	uint64_t dgrams_tx;
	uint64_t bytes_tx;
	uint64_t pkts_rx;	    /* packets authenticated and processed */
	uint64_t pkts_tx;	    /* packets sent */
	uint64_t pkts_dropped;	    /* packets or trailing bytes not processed */
	uint64_t pkts_decrypt_fail; /* AEAD open failures */
	uint64_t pkts_buffered;	    /* packets held until their keys arrived */
	uint64_t pkts_lost;
	uint64_t unvalidated_rx;     /* server: bytes received before the address was validated */
	uint64_t unvalidated_tx;     /* server: bytes sent before the address was validated */
	uint64_t amp_blocked;	     /* writes stopped by the anti-amplification limit */
	uint64_t max_amp_ratio_x100; /* largest unvalidated_tx * 100 / unvalidated_rx seen */
	uint64_t key_updates;	     /* 1-RTT key phases started, by either side */
	uint64_t pto_count;
	uint64_t migrations;	    /* server: the peer's address changed (RFC 9000 §9.3) */
	uint64_t paths_validated;   /* PATH_RESPONSE matched our challenge */
	uint64_t paths_failed;	    /* validation timed out: back to the last validated path */
	uint64_t path_resp_dropped; /* PATH_RESPONSE owed but pushed out by newer ones (C28) */
	/* ECN counts of the Application space the peer reported in its ACK_ECN frames (RFC 9000
	 * §19.3.2), the largest seen: what it received marked ECT(0), ECT(1) and CE. */
	uint64_t peer_ect0;
	uint64_t peer_ect1;
	uint64_t peer_ce;
	uint64_t pkts_0rtt_rx; /* server: 0-RTT packets opened and processed */
	uint64_t pkts_0rtt_tx; /* client: 0-RTT packets sent */
	uint64_t glitches; /* non-productive frames and packets (see glitch_budget) */
	/* Received-packet ranges forgotten for want of room before our ACK of them was
	 * acknowledged (RFC 9000 §13.2.3; quic/ackgen.h): packets at or below are refused. */
	uint64_t ack_ranges_dropped;
};

void quic_conn_stats(const struct quic_conn *c, struct quic_conn_stats *out);

/* Bytes of one connection object: the object size of a quic_conn_config.conn_pool. */
size_t quic_conn_obj_size(void);

/*
 * Bytes of memory this connection holds now, stream data buffers excluded: the connection
 * struct, loss recovery and its sent-packet records, the frame records, CRYPTO send and
 * receive buffers, held packets, tokens and stream objects. Not counted: stream data chunks
 * (quic_conn_stream_mem_bytes()), and what lives outside quic/: the TLS engine's state and
 * the AEAD and header protection contexts of crypto/.
 */
size_t quic_conn_mem_bytes(const struct quic_conn *c);
/*
 * Whether the handshake-only state (the Initial and Handshake CRYPTO streams and the packets
 * held for keys not there yet) is still allocated: it is freed once both levels are discarded
 * (RFC 9001 §4.9.1, §4.9.2) and no packet waits for its keys (issue #6).
 */
bool quic_conn_handshake_state_held(const struct quic_conn *c);
/* Bytes of stream data buffers (send and receive chunks) this connection holds now. */
size_t quic_conn_stream_mem_bytes(const struct quic_conn *c);
/* The least quic_conn_mem_bytes() of any connection: its struct alone (what admitting one
 * more connection costs at the very least, before it holds anything). */
size_t quic_conn_struct_bytes(void);

/* ---- Events ---- */

enum quic_event_type {
	QUIC_EV_NONE = 0,
	QUIC_EV_HANDSHAKE_DONE,	 /* handshake complete and (client) confirmed */
	QUIC_EV_STREAM_OPENED,	 /* the peer opened stream_id */
	QUIC_EV_STREAM_READABLE, /* stream_id has data, its end, or a reset to read */
	QUIC_EV_STREAM_WRITABLE, /* stream_id, which took a short write, has room again */
	QUIC_EV_STREAM_STOPPED,	 /* the peer sent STOP_SENDING for stream_id (error_code) */
	QUIC_EV_NEW_TOKEN,	 /* client: a NEW_TOKEN arrived (quic_conn_new_token()) */
	QUIC_EV_SESSION,	 /* client: a NewSessionTicket arrived (quic_conn_session()) */
	QUIC_EV_CLOSED,		 /* the connection is closing or draining: see close info */
};

struct quic_event {
	enum quic_event_type type;
	uint64_t stream_id;
	uint64_t error_code;
};

/*
 * Next event for the application. Connection events come first, then streams the peer
 * opened, then readable and writable streams; events are generated from state, so none is
 * lost when the application polls late.
 * @return true with *ev set, false when none is pending
 */
bool quic_conn_poll_event(struct quic_conn *c, struct quic_event *ev);

/* Client: the last NEW_TOKEN received (for a future connection, RFC 9000 §8.1.3); NULL if none. */
const uint8_t *quic_conn_new_token(const struct quic_conn *c, size_t *len);

/*
 * Client: the last session the server handed out (a TLS NewSessionTicket, RFC 9846 §4.6.1,
 * with the server's transport parameters and ALPN remembered for 0-RTT, RFC 9000 §7.4.1) as
 * a self-contained blob for quic_conn_config.session of a later connection; NULL if none
 * yet. QUIC_EV_SESSION says when a new one arrives. It holds a resumption secret: store it
 * like a key. Valid until the next event or quic_conn_free().
 */
const uint8_t *quic_conn_session(const struct quic_conn *c, size_t *len);

/*
 * Outcome of 0-RTT on either side: TLS_EARLY_NONE (not attempted, or not known yet),
 * TLS_EARLY_ACCEPTED, TLS_EARLY_REJECTED (the client sent its 0-RTT data again in 1-RTT).
 */
enum tls_early_data quic_conn_early_data(const struct quic_conn *c);

/*
 * Client: use token (from a NEW_TOKEN of an earlier connection) in the Initial packets; call
 * before the first quic_conn_write(). @return 0, QUIC_ERR_INVAL (too long), QUIC_ERR_NOMEM
 */
int quic_conn_set_token(struct quic_conn *c, const uint8_t *token, size_t len);

/* ---- Streams (RFC 9000 §2-§4) ---- */

/*
 * Open our next bidirectional or unidirectional stream. A client resuming a session with
 * 0-RTT may open streams before the handshake completes (within the remembered limits).
 * @return 0 with *id set; QUIC_ERR_STREAM_LIMIT (the peer's MAX_STREAMS is reached: a
 *         STREAMS_BLOCKED is sent, retry after QUIC_EV_STREAM_* or later); QUIC_ERR_STREAM_STATE
 *         (not established and no 0-RTT, or closing); QUIC_ERR_NOMEM
 */
int quic_conn_stream_open(struct quic_conn *c, bool uni, uint64_t *id);

/*
 * Queue bytes on a stream (copied). fin ends the stream after them if all were accepted.
 * @return bytes accepted (0..len; less when the send buffer is full, a QUIC_EV_STREAM_WRITABLE
 *         follows), QUIC_ERR_STREAM_STATE (no such stream, no sending part, already ended or
 *         reset, connection closing), QUIC_ERR_NOMEM
 */
int quic_conn_stream_write(struct quic_conn *c, uint64_t id, const uint8_t *data, size_t len,
			   bool fin);

/*
 * quic_conn_stream_write() without the copy (quic_stream_write_reserve()): *buf receives where
 * up to *len next bytes of stream id go in its send buffer; the application writes some there
 * and takes them with quic_conn_stream_write_commit(). *len 0: the buffer is full, a
 * QUIC_EV_STREAM_WRITABLE follows.
 * @return 0, QUIC_ERR_STREAM_STATE (as quic_conn_stream_write()), QUIC_ERR_NOMEM
 */
int quic_conn_stream_write_reserve(struct quic_conn *c, uint64_t id, uint8_t **buf, size_t *len);

/*
 * Take n bytes written where quic_conn_stream_write_reserve() said (n <= its *len, no other
 * write on the stream in between); fin ends the stream after them.
 * @return n, QUIC_ERR_STREAM_STATE, QUIC_ERR_INVAL (n beyond the reserved room)
 */
int quic_conn_stream_write_commit(struct quic_conn *c, uint64_t id, size_t n, bool fin);

/*
 * Read in-order bytes from a stream.
 * @param fin  set when the last byte of the stream was read
 * @return bytes read (0: nothing now), QUIC_ERR_STREAM_STATE (no such stream or receiving
 *         part, reading stopped, or the peer reset it: then *reset_error is set if not NULL)
 */
int quic_conn_stream_read(struct quic_conn *c, uint64_t id, uint8_t *buf, size_t cap, bool *fin,
			  uint64_t *reset_error);

/* Abandon sending with RESET_STREAM (RFC 9000 §3.1). @return 0, QUIC_ERR_STREAM_STATE */
int quic_conn_stream_reset(struct quic_conn *c, uint64_t id, uint64_t error);

/* Abandon reading with STOP_SENDING (RFC 9000 §3.5). @return 0, QUIC_ERR_STREAM_STATE */
int quic_conn_stream_stop_sending(struct quic_conn *c, uint64_t id, uint64_t error);

/* Bytes the application may write now on stream id (0 if none or no such stream). */
uint64_t quic_conn_stream_send_room(struct quic_conn *c, uint64_t id);

/*
 * Bytes written on stream id and not sent yet (0 if none or no such stream): what the
 * connection can still send before it needs more, so an application can refill its streams in
 * large pieces instead of one small write per acknowledgment.
 */
uint64_t quic_conn_stream_send_unsent(struct quic_conn *c, uint64_t id);

/* ---- Tests only ---- */

#define QUIC_CONN_INJECT_MAX 256

/*
 * Tests only: the next quic_conn_write() sends, as soon as keys for type exist, one packet of
 * type (QUIC_PKT_INITIAL, QUIC_PKT_0RTT (client), QUIC_PKT_HANDSHAKE or QUIC_PKT_1RTT) whose
 * payload is exactly frames[0..len) — possibly empty or malformed — with a 4-byte packet number so
 * that no padding is added. Lets the transport suites hand a peer the bad input of
 * shared/bad-input.md through real, protected packets. Never use it on a live connection.
 * @return 0, QUIC_ERR_INVAL (type, or len above QUIC_CONN_INJECT_MAX)
 */
int quic_conn_inject_frames_for_test(struct quic_conn *c, enum quic_pkt_type type,
				     const uint8_t *frames, size_t len);

/*
 * Start a 1-RTT key update (RFC 9001 §6.1) with the next packet sent.
 * @return 0 (requested), QUIC_ERR_STREAM_STATE (not confirmed yet, or closing)
 */
int quic_conn_initiate_key_update(struct quic_conn *c);

/* ---- Stateless packets (no connection) ---- */

/* What to do with a datagram that matches no connection (quic_server_screen()). */
enum quic_screen {
	QUIC_SCREEN_ACCEPT = 0, /* make a connection: quic_conn_accept() */
	QUIC_SCREEN_DROP = 1,	/* discard it (counted by the caller) */
	QUIC_SCREEN_REPLY = 2,	/* send out[0..*out_len) back on the same path, keep nothing */
};

/*
 * Server, before any connection state: decide about a datagram whose DCID names no
 * connection.
 *   - an unsupported version in a datagram of at least 1200 bytes gets a Version Negotiation
 *     listing cfg->versions (RFC 9000 §6.1, §5.2.2; bad-input A4); shorter, or a VN itself,
 *     is dropped (A5, A6);
 *   - anything but an Initial of at least 1200 bytes is dropped (§14.1, A7, A10), and so is
 *     an Initial without a token whose DCID is shorter than 8 bytes (§7.2, A8);
 *   - with require_retry, an Initial whose token cfg->tokens does not validate gets a Retry
 *     (§8.1.2, §17.2.5; A11, A13) carrying a fresh Retry token for the client's DCID and a
 *     new server CID;
 *   - everything else: accept.
 * @param out  room for the reply (at least QUIC_RETRY_MAX_LEN is always enough)
 * @return an enum quic_screen value, or QUIC_ERR_INVAL (require_retry without a token service)
 */
int quic_server_screen(const struct quic_conn_config *cfg, bool require_retry, const uint8_t *dgram,
		       size_t len, const struct quic_path *path, uint64_t now_ns, uint8_t *out,
		       size_t cap, size_t *out_len);

/*
 * Build a Stateless Reset (RFC 9000 §10.3) answering a packet of trigger_len bytes: a short
 * header with random bits and the token at the end, strictly shorter than the trigger and at
 * least 21 bytes (§10.3, §10.3.3), at most max_len.
 * @return 0 with *out_len set; QUIC_ERR_INVAL (trigger too short to answer: a reset would not
 *         be smaller and at least 21 bytes; never send one); QUIC_ERR_BUFFER; QUIC_ERR_CRYPTO
 */
int quic_stateless_reset_write(uint8_t *buf, size_t cap, size_t trigger_len, size_t max_len,
			       const uint8_t token[QUIC_RESET_TOKEN_LEN],
			       const struct crypto_rand *rand, size_t *out_len);

#ifdef __cplusplus
}
#endif

#endif /* HB_QUIC_CONN_H */
