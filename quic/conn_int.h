/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Internals of struct quic_conn, shared by conn.c (lifecycle, public API, timers, close),
 * keys.c (packet protection keys per level, key update), rx.c (datagrams to frames, one
 * handler per frame type) and tx.c (the packet writer in phases, burst sealing). Not a public
 * header: nothing outside quic/ includes it.
 */
#ifndef HB_QUIC_CONN_INT_H
#define HB_QUIC_CONN_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <crypto/crypto.h>
#include <crypto/tls.h>
#include <quic/ackgen.h>
#include <quic/cid.h>
#include <quic/conn.h>
#include <quic/frame.h>
#include <quic/packet.h>
#include <quic/pool.h>
#include <quic/qlog.h>
#include <quic/rbuf.h>
#include <quic/recovery.h>
#include <quic/stream.h>
#include <quic/tparams.h>

/*
 * Encryption levels that carry CRYPTO data and own a packet number space, in the order of
 * enum quic_pn_space (RFC 9000 §12.3): 0-RTT shares the Application space.
 */
enum conn_level {
	LVL_INITIAL = QUIC_PN_SPACE_INITIAL,
	LVL_HANDSHAKE = QUIC_PN_SPACE_HANDSHAKE,
	LVL_APP = QUIC_PN_SPACE_APP,
	LVL_COUNT = QUIC_PN_SPACE_COUNT,
};

/* Most packets taken from one datagram (RFC 9000 §12.2 sets no limit; real peers send <= 3). */
#define CONN_RX_MAX_PKTS 8
/* Packets held while their keys are not there yet (RFC 9001 §5.7, bad-input B15). */
#define CONN_RX_HOLD 4
/* Largest datagram we take in (larger ones are dropped: we never advertise more). */
#define CONN_RX_MAX_DGRAM 1500
/* Datagrams of one quic_conn_write() sealed as one burst. */
#define CONN_TX_BATCH 16
/* Packets per datagram: Initial, Handshake, 1-RTT. */
#define CONN_TX_PKTS_PER_DGRAM 3
/* Connection events queued for the application (beyond stream events made from state). */
#define CONN_EV_RING 16
/* Allocations of the event ring after which it is kept (see struct quic_conn.ev). */
#define CONN_EV_RING_ALLOCS 4
/* Streams that took a short write and wait for a QUIC_EV_STREAM_WRITABLE. */
#define CONN_WRITABLE_MAX 32
/* CRYPTO bytes we keep per level for retransmission (a TLS flight is a few KiB). */
#define CONN_CRYPTO_TX_MAX (64u * 1024)
/* PATH_RESPONSE frames owed at once (RFC 9000 §8.2.2, bad-input C28). */
#define CONN_PATH_RESP_MAX 4
/* Bytes of a reason phrase we keep or send. */
#define CONN_REASON_MAX 64
/* Frame records per tracked packet on average. */
#define CONN_FRAMES_PER_PKT 4

/* A session blob for a later connection (quic_conn_session()). */
struct conn_session {
	size_t len;
	uint8_t data[];
};

/* One direction's packet protection at one level. */
struct conn_keys {
	struct crypto_aead *aead;
	struct crypto_hp *hp;
};

/*
 * 1-RTT keys with key update (RFC 9001 §6): generation g uses key phase g & 1. We keep the
 * current receive key, the next one (derived ahead so that a peer's update costs no latency,
 * §6.3) and the previous one for about 3 PTO after an update (§6.5). The header protection
 * key never changes (§6.6).
 *
 * The next receive key stays derived ahead although it is a third of an idle connection's
 * AEAD memory (issue #6): deriving it when a packet of the other phase arrives would make
 * that packet's processing measurably slower (an HKDF expansion and a key schedule) and so
 * tell an observer, or an attacker injecting packets, the header-protected Key Phase bit,
 * which §9.5 and §6.3 ask us not to reveal ("MUST NOT generate a timing side-channel
 * signal"; "SHOULD generate and save the next set"). §6.3's allowance to defer it "up to the
 * PTO" after an update does not help an idle connection, which has had no update. The key is
 * made small instead (crypto/: 448 bytes with ipsec-mb).
 */
struct conn_app_keys {
	size_t secret_len;
	uint8_t rx_secret[CRYPTO_MAX_SECRET_LEN]; /* of generation rx_gen */
	uint8_t tx_secret[CRYPTO_MAX_SECRET_LEN]; /* of generation tx_gen */
	struct crypto_aead *rx_cur;
	struct crypto_aead *rx_next;
	struct crypto_aead *rx_prev;
	struct crypto_aead *tx_cur;
	struct crypto_hp *rx_hp;
	struct crypto_hp *tx_hp;
	uint64_t rx_gen;
	uint64_t tx_gen;
	uint64_t rx_first_pn;	     /* lowest pn opened with rx_cur */
	uint64_t tx_first_pn;	     /* first pn sealed with tx_cur */
	uint64_t prev_discard_at;    /* when rx_prev goes (QUIC_TIMER_NONE: none) */
	bool tx_acked;		     /* a packet of generation tx_gen was acknowledged */
	bool update_requested;	     /* tests or the confidentiality limit ask for an update */
	enum crypto_suite suite;     /* (here: fills the padding after the bools) */
	uint64_t integrity_failures; /* across generations (RFC 9001 §6.6) */
};

/*
 * Our CRYPTO stream at one level: what TLS handed over, kept for retransmission until it is
 * acknowledged. Once every byte so far is acknowledged the buffer and both range sets are
 * given back (done = len): a server's 1-RTT level carries one NewSessionTicket and would
 * otherwise keep it and a 2 KiB range chunk for the connection's life (issue #6).
 */
struct conn_crypto_tx {
	uint8_t *buf; /* bytes [done, len) */
	size_t len;   /* bytes from offset 0 */
	size_t cap;
	bool pooled;		    /* buf is a chunk of c->chunk_pool (QUIC_CHUNK_SIZE bytes) */
	uint64_t done;		    /* bytes below are acknowledged and no longer buffered */
	uint64_t next;		    /* first offset never sent */
	struct quic_rangeset lost;  /* sent ranges to send again */
	struct quic_rangeset acked; /* acknowledged ranges (best effort: may coarsen) */
};

/* What a sent packet carried, one record per frame that needs an action on ack or loss. */
struct sent_frame {
	uint64_t type; /* frame type (STREAM: QUIC_FRAME_STREAM) */
	uint64_t a;
	uint64_t b;
	uint64_t c;
	uint32_t next; /* next record of the packet, or SENT_NONE */
	uint8_t level;
	uint8_t fin;
};

struct sent_pkt {
	uint32_t head; /* first frame record, or SENT_NONE; free list link when unused */
	uint8_t used;
	uint8_t space;
	uint8_t key_gen_lsb; /* 1-RTT: tx generation parity, for key-update ACK tracking */
	uint8_t zero_rtt;    /* a 0-RTT packet (its frames are sent again if 0-RTT fails) */
	uint64_t key_gen;
};

#define SENT_NONE UINT32_MAX

/* A packet waiting for its keys (RFC 9001 §5.7). */
struct held_pkt {
	uint8_t *data; /* CONN_RX_MAX_DGRAM bytes, allocated on first use */
	size_t len;
	uint8_t level;
	uint8_t ecn; /* ECN codepoint of the datagram it came in */
	bool used;
	bool zero_rtt; /* a 0-RTT packet (level LVL_APP, 0-RTT keys) */
};

/*
 * What only the handshake needs (issue #6): the Initial and Handshake CRYPTO streams and the
 * packets held for keys not there yet (RFC 9001 §5.7). Allocated with the connection and
 * freed once both levels are discarded (RFC 9001 §4.9.1, §4.9.2: at the latest when the
 * handshake is confirmed), 464 bytes an established connection no longer carries. After
 * that, packets of those levels are dropped before anything of this is looked at (their keys
 * are gone), and a packet that would be held is dropped and counted instead.
 */
struct conn_hs {
	struct quic_rbuf crypto_rx[LVL_APP];
	struct conn_crypto_tx crypto_tx[LVL_APP];
	struct held_pkt held[CONN_RX_HOLD];
};

/*
 * PATH_RESPONSE frames owed, each on the path its PATH_CHALLENGE came from (RFC 9000 §8.2.2),
 * oldest first. Allocated at the first challenge and freed once empty: most connections never
 * see one. budget: bytes we may send on that path for it, three times the challenge's
 * datagram on a server (RFC 9000 §8.1, §8.2.1).
 */
struct conn_path_resp {
	struct quic_path path;
	uint64_t budget;
	uint8_t data[QUIC_FRAME_PATH_DATA_LEN];
};

struct conn_path_resps {
	struct conn_path_resp q[CONN_PATH_RESP_MAX];
	unsigned n;
};

/*
 * Both transport parameter sets (RFC 9000 §18), out of line: everything they say is applied
 * during the handshake, so a server configured to (release_tparams) frees them once it is
 * confirmed, 688 bytes of each idle connection.
 */
struct conn_tparams {
	struct quic_tparams local;
	struct quic_tparams peer;
};

/* A connection's own pools (no worker pools configured: tests, single connections). */
struct conn_pools {
	struct quic_pool streams;
	struct quic_pool chunks;
};

/* How the connection ends. Fields ordered by size: no padding holes (memory per connection). */
struct conn_close {
	uint64_t error;
	uint64_t frame_type;
	size_t reason_len;
	uint64_t deadline;   /* end of the closing or draining period */
	uint32_t rx_since;   /* packets received since we last sent it */
	uint32_t rx_trigger; /* resend after this many (doubles: RFC 9000 §10.2.1 rate limit) */
	bool set;
	bool app;
	bool remote;
	bool idle;
	bool stateless_reset;
	bool send_pending; /* a CONNECTION_CLOSE to write */
	uint8_t reason[CONN_REASON_MAX];
};

/* The event trace of a connection (quic/qlog.h): what was last reported, to report changes. */
struct conn_qlog {
	void *ctx; /* NULL: off */
	enum quic_qlog_state state;
	bool closed_logged;
	uint8_t keys;	 /* bit 2 * level + (tx ? 1 : 0): keys reported as installed */
	uint64_t rx_gen; /* 1-RTT generations reported */
	uint64_t tx_gen;
	struct quic_qlog_metrics metrics;
};

struct quic_conn {
	/* The caller's, not a copy (568 bytes per connection): it outlives the connection and
	 * does not change while the connection lives (quic_conn_new_client(), _accept()). */
	const struct quic_conn_config *cfg;
	bool is_server;
	bool zrtt_over;	   /* no 0-RTT key will (ever again) be installed */
	bool zrtt_params;  /* client: the remembered transport parameters apply (§7.4.1) */
	bool vn_restarted; /* client: a Version Negotiation packet made us start over */
	enum quic_conn_state state;
	uint32_t version;
	struct quic_path path;
	struct crypto_rand rand;

	/* Connection IDs (RFC 9000 §5.1, §7.2, §7.3). */
	struct quic_local_cids lcids;
	struct quic_peer_cids pcids;
	uint8_t scid_len;	   /* length of every CID we issue (short header parse) */
	struct quic_cid hs_scid;   /* our seq 0 CID: the SCID of our long headers */
	struct quic_cid odcid;	   /* the DCID of the client's first Initial */
	struct quic_cid init_dcid; /* the DCID the Initial keys come from (after a Retry: new) */
	struct quic_cid retry_scid;
	struct quic_cid peer_scid; /* SCID of the peer's first long header */
	bool retried;
	bool peer_scid_known;  /* client: the server's first Initial was processed */
	uint32_t orig_version; /* the version of the client's first Initial (RFC 9368 §2) */
	uint8_t *token;	       /* client: Retry or NEW_TOKEN token echoed in Initials */
	size_t token_len;
	uint8_t *new_token; /* client: last NEW_TOKEN received */
	size_t new_token_len;

	/* TLS and keys. */
	struct tls_conn *tls;
	struct tls_callbacks tls_cb;
	/*
	 * Server, once the handshake is confirmed and TLS has nothing more to say: the TLS engine
	 * is freed (quic_conn_tls_release()) and what is still asked of it is kept here.
	 */
	bool tls_released;
	bool tls_was_resumed;
	bool tls_was_hrr;
	uint8_t tls_early;	/* enum tls_early_data */
	uint8_t tls_alpn_known; /* 1 + index in conn.c's known_alpn[], 0: tls_alpn */
	char *tls_alpn;		/* a copy; NULL: none negotiated (or a known one) */
	/*
	 * Initial and Handshake keys; [LVL_APP]: the 0-RTT keys (RFC 9001 §4.6), one direction
	 * per role (quic_conn_zrtt_keys()); 1-RTT keys are in app.
	 */
	struct conn_keys rx[LVL_COUNT];
	struct conn_keys tx[LVL_COUNT];
	struct conn_app_keys app;
	bool app_rx_ready;
	bool app_tx_ready;
	bool discarded[LVL_COUNT];
	struct conn_session *session; /* client: the last session from the server */

	/* CRYPTO streams: 1-RTT here, Initial and Handshake in hs (quic_conn_crypto_rx/_tx()). */
	struct quic_rbuf crypto_rx_app;
	struct conn_crypto_tx crypto_tx_app;
	struct conn_hs *hs; /* NULL once Initial and Handshake are discarded */

	/* Loss recovery and acknowledgements. */
	struct quic_recovery *rec;
	struct quic_ackgen ack;
	unsigned probes[LVL_COUNT];	  /* PTO probes owed per space */
	unsigned ack_only_run[LVL_COUNT]; /* ACK-only packets sent in a row */
	uint32_t sent_cap[LVL_COUNT];	  /* recovery ring size per space */
	/*
	 * Non-productive traffic (RFC 9000 §21.9, bad-input C34; rx.c): glitches not yet paid
	 * back by time or by data delivered in order, and when time last paid (ms, wrapping).
	 * Spread over padding holes of this struct, like glitch_progress below.
	 */
	uint32_t glitch_debt;
	/* Records of what sent packets carried: pool blocks taken as needed (tx.c), all given
	 * back whenever no packet is tracked; the capacities are the hard limits. */
	struct quic_parray pkts;
	uint32_t pkt_free;
	uint32_t pkt_hw; /* slots below were handed out at least once since the last shrink */
	uint32_t pkts_used;
	uint32_t glitch_at_ms; /* see glitch_debt */
	struct quic_parray frames;
	uint32_t frame_free;
	uint32_t frame_hw;
	uint32_t frames_used;
	uint32_t glitch_progress; /* bytes delivered not yet turned into paid-back glitches */

	/* Streams. */
	struct quic_streams streams;
	struct conn_pools *own; /* pools of its own, when the configuration gives none */
	struct quic_pool *stream_pool;
	struct quic_pool *chunk_pool;
	bool streams_ready;
	bool crypto_ready;
	bool pooled; /* this struct is an object of cfg->conn_pool */

	/* Transport parameters: NULL once released (cfg->release_tparams). */
	struct conn_tparams *tp;
	uint64_t peer_max_udp; /* peer's max_udp_payload_size */

	/* Handshake. */
	bool hs_complete;
	bool hs_confirmed;
	bool hs_done_pending; /* server: HANDSHAKE_DONE owed */
	bool hs_event_done;
	bool validated;		/* peer address validated (RFC 9000 §8.1) */
	bool got_packet;	/* a packet was authenticated on this connection */
	bool sent_handshake;	/* client: a Handshake packet went out */
	bool new_token_pending; /* server: NEW_TOKEN to send */
	bool amp_blocked;
	/* Flags of other sections, kept here where they fill padding (memory per connection). */
	bool have_peer_tp;	   /* transport parameters */
	bool idle_restart_on_send; /* timers: an ack-eliciting packet after a receive restarts */
	bool keys_changed;	   /* receive keys were installed while processing a datagram */

	/* Path validation (RFC 9000 §8.2): responses owed, NULL while none (bad-input C28). */
	struct conn_path_resps *path_resp;
	/* Server: the peer moved (RFC 9000 §9.3); the new path is validated before it is
	 * trusted, with the anti-amplification limit counted on it alone. */
	struct quic_path rx_path;   /* where the datagram being processed came from */
	size_t rx_len;		    /* and its size */
	struct quic_path prev_path; /* the last validated path */
	bool pv_active;
	bool pv_challenge_pending;
	uint8_t pv_data[QUIC_FRAME_PATH_DATA_LEN];
	uint64_t pv_deadline;
	uint64_t pv_rx; /* bytes received on the path being validated */
	uint64_t pv_tx; /* bytes sent on it */

	/* Timers. */
	uint64_t idle_timeout_ns; /* negotiated, 0: none */
	uint64_t idle_deadline;
	uint64_t pacing_at; /* data waits for the pacer until then (QUIC_TIMER_NONE) */
	uint64_t now;	    /* time of the call being processed */

	struct conn_close close;

	/* Tests only: a packet with exactly these frames (quic_conn_inject_frames_for_test()). */
	bool inject_pending;
	bool inject_zrtt; /* the injected packet is a 0-RTT one */
	uint8_t inject_level;
	uint8_t *inject; /* QUIC_CONN_INJECT_MAX bytes, allocated on first use */
	size_t inject_len;

	/* Events. */
	/*
	 * CONN_EV_RING entries, allocated at the first event and freed once drained: a
	 * connection has events at its handshake and end and rarely between, and the ring
	 * (384 bytes) was most of an idle connection's dead weight (issue #6). After
	 * CONN_EV_RING_ALLOCS allocations it is kept, so that a peer sending a STOP_SENDING
	 * now and then does not make us allocate for each.
	 */
	struct quic_event *ev;
	uint32_t ev_head;
	uint32_t ev_n;
	uint64_t ev_opened[2]; /* peer streams reported as opened: bidi, uni */
	uint64_t *writable;    /* CONN_WRITABLE_MAX ids, allocated at the first short write */
	uint32_t n_writable;
	uint32_t ev_allocs; /* times ev was allocated */

	struct quic_conn_stats stats;
	struct conn_qlog qlog;
};

/* ---- conn.c ---- */

/* Queue a connection event. */
void quic_conn_event(struct quic_conn *c, enum quic_event_type type, uint64_t stream_id,
		     uint64_t error_code);
/*
 * Close because of a transport error found while handling frame_type: CONNECTION_CLOSE 0x1c,
 * closing state. _transport takes the wire code, _err an internal QUIC_ERR_* code. The first
 * close wins; later calls do nothing.
 */
void quic_conn_close_transport(struct quic_conn *c, uint64_t code, uint64_t frame_type,
			       const char *reason);
void quic_conn_close_err(struct quic_conn *c, int err, uint64_t frame_type);
/* Closed at once without a CONNECTION_CLOSE (nothing may be sent: RFC 9001 §6.6). */
void quic_conn_close_silent(struct quic_conn *c, uint64_t code);
/* The peer closed (CONNECTION_CLOSE) or reset us: draining (RFC 9000 §10.2.2). */
void quic_conn_enter_draining(struct quic_conn *c, const struct quic_conn_close_info *info);
/* Whether we are closing, draining or closed. */
static inline bool
quic_conn_closing(const struct quic_conn *c)
{
	return c->state >= QUIC_CONN_CLOSING;
}
/* Restart the idle timer (RFC 9000 §10.1). */
void quic_conn_idle_restart(struct quic_conn *c, uint64_t now);
/* Three times the current PTO, for the closing/draining and old-key periods. */
uint64_t quic_conn_3pto(const struct quic_conn *c);
/* Fill bytes from the injected random source. @return 0 or QUIC_ERR_CRYPTO */
int quic_conn_random(struct quic_conn *c, uint8_t *buf, size_t len);
/* Handshake now complete (TLS) or confirmed; discard keys as RFC 9001 §4.9 says. */
void quic_conn_on_handshake_progress(struct quic_conn *c);
void quic_conn_confirm(struct quic_conn *c);
/* Discard the keys of level (RFC 9001 §4.9) and everything sent or owed there. */
void quic_conn_discard_level(struct quic_conn *c, enum conn_level level);
/* Free c->hs once Initial and Handshake are discarded and no packet is held any more. */
void quic_conn_hs_release(struct quic_conn *c);
/* Issue new CIDs up to the peer's limit (after the handshake). */
void quic_conn_issue_cids(struct quic_conn *c);
/* Server: a non-probing packet with the largest packet number came from path (§9.3). */
void quic_conn_on_new_path(struct quic_conn *c, const struct quic_path *path);
/* A PATH_RESPONSE arrived. */
void quic_conn_on_path_response(struct quic_conn *c, const uint8_t *data);
/*
 * A PATH_CHALLENGE arrived in the datagram being processed: owe a PATH_RESPONSE on its path.
 * When CONN_PATH_RESP_MAX are owed already, the oldest is dropped and counted (C28).
 * @return 0 or QUIC_ERR_NOMEM (the challenge is ignored; the peer tries again)
 */
int quic_conn_path_resp_add(struct quic_conn *c, const uint8_t *data);
/* Forget response i (written, or pushed out); the queue is freed once empty. */
void quic_conn_path_resp_drop(struct quic_conn *c, unsigned i);
/* Client: a Version Negotiation packet (RFC 9000 §6.2). */
void quic_conn_on_vn(struct quic_conn *c, const uint8_t *pkt, size_t len);
/* Apply and check the peer's transport parameters once TLS has them. @return 0 or QUIC_ERR_* */
int quic_conn_peer_params(struct quic_conn *c);

/* ---- keys.c ---- */

/* Derive both directions' Initial keys from dcid for version (RFC 9001 §5.2). */
int quic_conn_keys_initial(struct quic_conn *c, const uint8_t *dcid, size_t dcid_len);
/* TLS secret callback. */
int quic_conn_keys_on_secret(void *arg, enum tls_level level, enum tls_dir dir,
			     enum crypto_suite suite, const uint8_t *secret, size_t len);
void quic_conn_keys_free_level(struct quic_conn *c, enum conn_level level);
void quic_conn_keys_free_all(struct quic_conn *c);
/* Receive keys for a packet type (NULL aead: none yet); 1-RTT picks by key phase later. */
bool quic_conn_keys_rx_ready(const struct quic_conn *c, enum conn_level level);
bool quic_conn_keys_tx_ready(const struct quic_conn *c, enum conn_level level);
/*
 * 1-RTT receive key for a packet with this key phase and packet number, per RFC 9001 §6.3
 * and §6.5; *gen receives the generation it belongs to.
 */
struct crypto_aead *quic_conn_keys_app_rx(struct quic_conn *c, bool phase, uint64_t pn,
					  uint64_t *gen);
/*
 * RFC 9001 §6.4: the previous receive key, when a packet of the other key phase above the
 * first packet number of the current phase (taken for the next key) must also be tried with
 * it; NULL when there is none or the packet is not such a packet.
 */
struct crypto_aead *quic_conn_keys_app_rx_old(struct quic_conn *c, bool phase, uint64_t pn);
/*
 * A 1-RTT packet of generation gen (pn) opened: move to a new generation when gen is the
 * next one (a peer-initiated update or its answer to ours), checking RFC 9001 §6.2 and §6.4.
 * @return 0, QUIC_ERR_PROTOCOL (the connection was closed with KEY_UPDATE_ERROR),
 *         QUIC_ERR_NOMEM, QUIC_ERR_CRYPTO
 */
int quic_conn_keys_app_opened(struct quic_conn *c, uint64_t gen, uint64_t pn);
/* Start a key update from our side when allowed (RFC 9001 §6.1). @return 0 or QUIC_ERR_* */
int quic_conn_keys_app_update(struct quic_conn *c);
/* A 1-RTT packet we sent under generation gen was acknowledged. */
void quic_conn_keys_app_acked(struct quic_conn *c, uint64_t gen);
/* Drop the 0-RTT keys of both directions; no 0-RTT is sent or opened any more. */
void quic_conn_keys_zrtt_discard(struct quic_conn *c);
/* Old receive keys past their time go (RFC 9001 §6.5). */
void quic_conn_keys_timeout(struct quic_conn *c, uint64_t now);
/* Count an AEAD failure (RFC 9001 §6.6). @return true when the integrity limit is reached */
bool quic_conn_keys_auth_failed(struct quic_conn *c, enum conn_level level);
/*
 * Before sealing: ask for a key update as the confidentiality limit nears (RFC 9001 §6.6).
 * pending: packets of the current batch not sealed yet.
 * @return 0, or QUIC_ERR_AEAD_LIMIT when the current key has no packet left (seal no more)
 */
int quic_conn_keys_tx_limit(struct quic_conn *c, unsigned pending);

/*
 * Server: start TLS once the ClientHello is there, after compatible version negotiation.
 * @return 0 (started), 1 (wait for more of the ClientHello), or QUIC_ERR_*
 */
int quic_conn_server_tls(struct quic_conn *c);

/* ---- vneg.c (RFC 9368) ---- */

/* Fill our version_information (unless the configuration set one): in use, then ours. */
void quic_conn_vneg_local(struct quic_conn *c);
/*
 * Server, before TLS sees the ClientHello: switch to the version we prefer among those the
 * client lists as available (RFC 9368 §2.3), with new Initial keys. *wait: the ClientHello is
 * not complete yet. @return 0 or QUIC_ERR_*
 */
int quic_conn_vneg_server(struct quic_conn *c, bool *wait);
/*
 * Client: an Initial in another version before any server packet was processed: follow it when
 * we listed that version (new Initial keys; 0-RTT data goes again in 1-RTT). @return followed
 */
bool quic_conn_vneg_client_follow(struct quic_conn *c, const struct quic_packet_hdr *h);
/*
 * The peer's version_information against the versions used on the wire (RFC 9368 §4); closes
 * with VERSION_NEGOTIATION_ERROR on a mismatch. @return 0 or QUIC_ERR_PROTOCOL
 */
int quic_conn_vneg_check_peer(struct quic_conn *c, const struct quic_tparams *tp);

/* ---- rx.c ---- */

/*
 * Process a datagram already copied into the per-thread receive buffer (or a held packet replayed).
 * held: the bytes are a packet that was held, not a new datagram (no size or amplification
 * accounting).
 */
void quic_conn_rx_datagram(struct quic_conn *c, uint8_t *buf, size_t len, bool held, uint64_t now);
/* Feed received CRYPTO data to TLS and collect its output. @return 0 or QUIC_ERR_* */
int quic_conn_tls_advance(struct quic_conn *c, enum conn_level level, uint64_t now);
/* Take TLS output into the CRYPTO send streams. @return 0 or QUIC_ERR_* */
int quic_conn_tls_collect(struct quic_conn *c);
/* Server: free the TLS engine once the handshake is confirmed and its output collected. */
void quic_conn_tls_release(struct quic_conn *c);
/* Replay held packets once their keys exist. */
void quic_conn_rx_replay_held(struct quic_conn *c, uint64_t now);

/* ---- qlog.c (only called when c->qlog.ctx is set, but safe either way) ---- */

/* Ask cfg.qlog for this connection's trace, once its original DCID is known. */
void quic_conn_qlog_open(struct quic_conn *c);
/* Report state, key and (with metrics) recovery changes since the last call. */
void quic_conn_qlog_sync(struct quic_conn *c, bool metrics);
/* A packet received (authenticated), sent (before sealing) or declared lost. */
void quic_conn_qlog_packet(struct quic_conn *c, enum quic_qlog_event_type ev,
			   enum quic_pkt_type type, uint64_t pn, size_t length,
			   const uint8_t *frames, size_t frames_len);
/* Final report and close() of the trace (quic_conn_free()). */
void quic_conn_qlog_close(struct quic_conn *c);

/* ---- tx.c ---- */

/* Recovery callback: a sent packet's fate. */
void quic_conn_on_pkt_fate(void *ctx, enum quic_pn_space space, uint64_t pn, uint64_t cookie,
			   enum quic_pkt_fate fate);
/* Tracked packet and frame storage. @return 0 or QUIC_ERR_NOMEM */
int quic_conn_sent_init(struct quic_conn *c, uint32_t n_pkts);
void quic_conn_sent_fini(struct quic_conn *c);
/* Bytes the sent-packet and frame records hold now. */
size_t quic_conn_sent_bytes(const struct quic_conn *c);
/* Drop the send state of a CRYPTO level. */
void quic_conn_crypto_tx_fini(struct quic_conn *c, enum conn_level level);
/* Append TLS output to our CRYPTO stream at level. @return 0 or QUIC_ERR_CRYPTO_BUFFER/NOMEM */
int quic_conn_crypto_tx_append(struct quic_conn *c, enum conn_level level, const uint8_t *data,
			       size_t len);

/*
 * Client: 0-RTT did not get through (rejected, or a Retry): every frame of the 0-RTT packets
 * in flight is handed back as lost so that it goes again (RFC 9001 §4.6.2, RFC 9000
 * §17.2.5.3); the packets stay with loss recovery, with nothing attached any more.
 */
void quic_conn_zrtt_requeue(struct quic_conn *c);

/*
 * The 0-RTT keys: a client's send keys (until 1-RTT keys or a rejection), a server's receive
 * keys (until the first 1-RTT packet, RFC 9001 §4.9.3). 0-RTT packets share the Application
 * packet number space with 1-RTT (RFC 9000 §12.3).
 */
static inline struct conn_keys *
quic_conn_zrtt_keys(struct quic_conn *c)
{
	return c->is_server ? &c->rx[LVL_APP] : &c->tx[LVL_APP];
}

/* The 0-RTT AEAD of this connection's role, NULL when none. */
static inline struct crypto_aead *
quic_conn_zrtt_aead(const struct quic_conn *c)
{
	return c->is_server ? c->rx[LVL_APP].aead : c->tx[LVL_APP].aead;
}

/* Client: whether App-space data goes out in 0-RTT packets now. */
static inline bool
quic_conn_zrtt_sending(const struct quic_conn *c)
{
	return !c->is_server && !c->app_tx_ready && quic_conn_zrtt_aead(c) != NULL;
}

/*
 * The CRYPTO streams of a level. Initial and Handshake ones exist while c->hs does, that is
 * while the level is not discarded (callers check c->discarded[level] or hold its keys).
 */
static inline struct quic_rbuf *
quic_conn_crypto_rx(struct quic_conn *c, enum conn_level level)
{
	return level == LVL_APP ? &c->crypto_rx_app : &c->hs->crypto_rx[level];
}

static inline struct conn_crypto_tx *
quic_conn_crypto_tx(struct quic_conn *c, enum conn_level level)
{
	return level == LVL_APP ? &c->crypto_tx_app : &c->hs->crypto_tx[level];
}

/* The held packets (CONN_RX_HOLD), NULL once the handshake state is freed. */
static inline struct held_pkt *
quic_conn_held(struct quic_conn *c)
{
	return c->hs != NULL ? c->hs->held : NULL;
}

/* Track whether a server sits at its anti-amplification limit (RFC 9002 §6.2.2.1). */
void quic_conn_amp_update(struct quic_conn *c, uint64_t now);

/* Level of a packet type. */
static inline enum conn_level
quic_conn_pkt_level(enum quic_pkt_type t)
{
	switch (t) {
	case QUIC_PKT_INITIAL:
		return LVL_INITIAL;
	case QUIC_PKT_HANDSHAKE:
		return LVL_HANDSHAKE;
	default:
		return LVL_APP;
	}
}

#endif /* HB_QUIC_CONN_INT_H */
