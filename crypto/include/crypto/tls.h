/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TLS 1.3 handshake engine for QUIC (RFC 9846, RFC 9001) on OpenSSL 3 libcrypto.
 *
 * The engine carries no records: quic/ feeds it the CRYPTO stream bytes of each encryption
 * level and sends what it produces in CRYPTO frames of the level it names (RFC 9001 §4.1).
 * Traffic secrets are handed over through a callback as soon as they exist. There is no I/O,
 * no clock (times come in as now_ms) and no hidden randomness (struct crypto_rand).
 *
 * No OpenSSL type appears here: every object is opaque.
 *
 * Threads: a config is immutable once connections use it (the ticket-key setters excepted,
 * which the caller must not run while a connection of that config is inside a tls_* call);
 * connections built on it may live on different threads. A struct tls_conn is used by one
 * thread at a time, with the struct crypto_ctx of that thread.
 *
 * Errors: functions returning int return 0 or a negative TLS_ERR_* code. A connection that
 * failed keeps failing with TLS_ERR_ALERT; tls_conn_alert() gives the TLS alert that quic/
 * sends as CRYPTO_ERROR 0x100 + alert (RFC 9001 §4.8).
 */
#ifndef HB_CRYPTO_TLS_H
#define HB_CRYPTO_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <crypto/asym.h>
#include <crypto/crypto.h>

#ifdef __cplusplus
extern "C" {
#endif

enum tls_err {
	TLS_ERR_ALERT = -1,  /* handshake failed: close with CRYPTO_ERROR 0x100+tls_conn_alert() */
	TLS_ERR_NOMEM = -2,  /* allocation failed (outside a connection: retry later) */
	TLS_ERR_INVAL = -3,  /* bad argument from the caller (a programming error) */
	TLS_ERR_LIB = -4,    /* libcrypto reported a failure */
	TLS_ERR_CONFIG = -5, /* unusable PEM, key or certificate (fix the configuration) */
	TLS_ERR_IO = -6,     /* a file could not be read or written */
	TLS_ERR_PROTOCOL = -7, /* the peer broke a QUIC rule: close with PROTOCOL_VIOLATION */
	TLS_ERR_STATE = -8,    /* call not valid in this state (a programming error) */
};

/* Human-readable name of a TLS_ERR_* code (static string). */
const char *tls_strerror(int err);

/* TLS AlertDescription values (RFC 9846 §6) that this engine sends. */
enum tls_alert {
	TLS_ALERT_NONE = 0, /* close_notify: never sent by the engine, means "no alert" */
	TLS_ALERT_UNEXPECTED_MESSAGE = 10,
	TLS_ALERT_HANDSHAKE_FAILURE = 40,
	TLS_ALERT_BAD_CERTIFICATE = 42,
	TLS_ALERT_UNSUPPORTED_CERTIFICATE = 43,
	TLS_ALERT_CERTIFICATE_EXPIRED = 45,
	TLS_ALERT_CERTIFICATE_UNKNOWN = 46,
	TLS_ALERT_ILLEGAL_PARAMETER = 47,
	TLS_ALERT_UNKNOWN_CA = 48,
	TLS_ALERT_DECODE_ERROR = 50,
	TLS_ALERT_DECRYPT_ERROR = 51,
	TLS_ALERT_PROTOCOL_VERSION = 70,
	TLS_ALERT_INTERNAL_ERROR = 80,
	TLS_ALERT_MISSING_EXTENSION = 109,
	TLS_ALERT_UNSUPPORTED_EXTENSION = 110,
	TLS_ALERT_NO_APPLICATION_PROTOCOL = 120,
};

/* Static name of an alert ("unexpected_message"...), "unknown" for others. */
const char *tls_alert_name(int alert);

/* QUIC encryption levels (RFC 9001 §4); EARLY is 0-RTT. */
enum tls_level {
	TLS_LEVEL_INITIAL = 0,
	TLS_LEVEL_EARLY = 1,
	TLS_LEVEL_HANDSHAKE = 2,
	TLS_LEVEL_APPLICATION = 3,
	TLS_LEVEL_COUNT
};

enum tls_dir {
	TLS_DIR_READ = 0,  /* secret protecting what the peer sends */
	TLS_DIR_WRITE = 1, /* secret protecting what we send */
};

enum tls_role {
	TLS_ROLE_CLIENT = 0,
	TLS_ROLE_SERVER = 1,
};

/* Outcome of a client's 0-RTT attempt, on both sides. */
enum tls_early_data {
	TLS_EARLY_NONE = 0,	/* not attempted (or not decided yet) */
	TLS_EARLY_ACCEPTED = 1, /* server sent early_data in EncryptedExtensions */
	TLS_EARLY_REJECTED = 2, /* offered, refused: client resets 0-RTT state (RFC 9001 §4.6.2) */
};

/* Default limit on one handshake message (or a partial one buffered) in bytes. */
#define TLS_DEFAULT_MAX_MESSAGE 16384
/* Bytes of secret material in one ticket key (RFC 9846 §4.7.1 tickets are ours to format). */
#define TLS_TICKET_KEY_LEN 32
/* Default ticket lifetime and the 0-RTT freshness window (RFC 9846 §8.3). */
#define TLS_DEFAULT_TICKET_LIFETIME_S	86400u
#define TLS_DEFAULT_FRESHNESS_WINDOW_MS 10000u
#define TLS_MAX_ALPN			16 /* protocols in one list */

/* ---- Server configuration ---- */

struct tls_server_config;

/*
 * An empty server configuration: suites {AES-128-GCM, AES-256-GCM, ChaCha20}, groups
 * {X25519, secp256r1}, ALPN {"h3", "hq-interop", "perf"}, no certificate yet (required),
 * no ticket key (no tickets are issued until one is set), 0-RTT off, the system random source.
 * @return 0, TLS_ERR_NOMEM, TLS_ERR_LIB (digest or cipher unavailable)
 */
int tls_server_config_new(struct tls_server_config **out);
void tls_server_config_free(struct tls_server_config *cfg);

/*
 * Certificate chain (leaf first, then intermediates) and the leaf's private key, from PEM
 * text. Keys: ECDSA P-256 (signs ecdsa_secp256r1_sha256), Ed25519, RSA >= 2048 bits (signs
 * rsa_pss_rsae_sha256, or _sha384 when the client offers only that).
 * @return 0, TLS_ERR_CONFIG (unparsable, key does not match the leaf, unsupported key,
 *         chain larger than the message limit), TLS_ERR_NOMEM
 */
int tls_server_config_set_cert_pem(struct tls_server_config *cfg, const char *chain_pem,
				   size_t chain_len, const char *key_pem, size_t key_len);
/* The same from files. @return as above, or TLS_ERR_IO */
int tls_server_config_set_cert_files(struct tls_server_config *cfg, const char *chain_path,
				     const char *key_path);
/*
 * ALPN protocols in server preference order (each 1..255 bytes, at most TLS_MAX_ALPN).
 * @return 0, TLS_ERR_INVAL
 */
int tls_server_config_set_alpn(struct tls_server_config *cfg, const char *const *protos, size_t n);
/* Enabled suites / groups in preference order (duplicates refused). @return 0, TLS_ERR_INVAL */
int tls_server_config_set_suites(struct tls_server_config *cfg, const enum crypto_suite *suites,
				 size_t n);
int tls_server_config_set_groups(struct tls_server_config *cfg, const enum crypto_group *groups,
				 size_t n);
/* Random source for server randoms, ticket nonces and ticket_age_add (copied). */
void tls_server_config_set_rand(struct tls_server_config *cfg, const struct crypto_rand *rand);
/* Largest handshake message accepted or buffered (>= 1024). @return 0, TLS_ERR_INVAL */
int tls_server_config_set_max_message(struct tls_server_config *cfg, size_t max);
/* Send a cookie in HelloRetryRequest and require it back (RFC 9846 §4.3.2). */
void tls_server_config_set_hrr_cookie(struct tls_server_config *cfg, bool enable);
/*
 * Install a new current ticket key; the previous current key stays live for decryption only
 * and the one before it is dropped, so tickets survive one rotation.
 * @return 0, TLS_ERR_LIB
 */
int tls_server_config_rotate_ticket_key(struct tls_server_config *cfg,
					const uint8_t key[TLS_TICKET_KEY_LEN]);
/* Tickets per connection (default 1; 0 sends none), lifetime in seconds (<= 7 days). */
int tls_server_config_set_tickets(struct tls_server_config *cfg, unsigned count,
				  uint32_t lifetime_s);
/*
 * Offer 0-RTT in tickets (early_data with max_early_data_size 0xffffffff, RFC 9001 §4.6.1) and
 * accept it on resumption when fresh (|client age - server age| <= window_ms) and the
 * accept_early_data callback agrees.
 */
void tls_server_config_set_early_data(struct tls_server_config *cfg, bool enable,
				      uint32_t window_ms);

/*
 * Key log (the NSS key log format that Wireshark and tshark read): fn is called with label
 * "CLIENT_EARLY_TRAFFIC_SECRET", "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
 * "SERVER_HANDSHAKE_TRAFFIC_SECRET", "CLIENT_TRAFFIC_SECRET_0" or "SERVER_TRAFFIC_SECRET_0",
 * the ClientHello random and the secret, from inside tls_conn_start()/tls_conn_recv() of the
 * thread that runs the connection. It exposes every traffic secret: for debugging only. NULL
 * fn turns it off (the default).
 */
struct tls_keylog {
	void (*fn)(void *arg, const char *label, const uint8_t client_random[32],
		   const uint8_t *secret, size_t len);
	void *arg;
};

void tls_server_config_set_keylog(struct tls_server_config *cfg, const struct tls_keylog *kl);

/* ---- Client configuration ---- */

struct tls_client_config;

/*
 * An empty client configuration: same default suites, groups and ALPN as the server, key
 * share for the first group only, certificate verification on with no trust anchor (set one
 * with tls_client_config_set_ca_* or explicitly skip verification).
 * @return 0, TLS_ERR_NOMEM, TLS_ERR_LIB
 */
int tls_client_config_new(struct tls_client_config **out);
void tls_client_config_free(struct tls_client_config *cfg);
/* Add trust anchors (PEM, one or more certificates). @return 0, TLS_ERR_CONFIG, TLS_ERR_IO */
int tls_client_config_set_ca_pem(struct tls_client_config *cfg, const char *pem, size_t len);
int tls_client_config_set_ca_file(struct tls_client_config *cfg, const char *path);
/* Accept any server certificate (the CertificateVerify signature is still checked). */
void tls_client_config_set_insecure_skip_verify(struct tls_client_config *cfg, bool skip);
/* Check validity periods at this Unix time instead of libcrypto's wall clock (0: wall clock). */
void tls_client_config_set_verify_time(struct tls_client_config *cfg, int64_t unix_time);
int tls_client_config_set_alpn(struct tls_client_config *cfg, const char *const *protos, size_t n);
int tls_client_config_set_suites(struct tls_client_config *cfg, const enum crypto_suite *suites,
				 size_t n);
/*
 * supported_groups in preference order, and how many of them (from the front) get a key share
 * in the first ClientHello (1..n).
 */
int tls_client_config_set_groups(struct tls_client_config *cfg, const enum crypto_group *groups,
				 size_t n, size_t n_shares);
void tls_client_config_set_rand(struct tls_client_config *cfg, const struct crypto_rand *rand);
int tls_client_config_set_max_message(struct tls_client_config *cfg, size_t max);
/* Attempt 0-RTT when a session allows it (default on). */
void tls_client_config_set_early_data(struct tls_client_config *cfg, bool enable);
/* Key log, as for the server (tls_server_config_set_keylog). */
void tls_client_config_set_keylog(struct tls_client_config *cfg, const struct tls_keylog *kl);

/* ---- Connection ---- */

struct tls_conn;

/*
 * Callbacks, all optional, called from inside tls_conn_start()/tls_conn_recv().
 *
 * secret: a traffic secret for (level, dir) exists; derive packet keys from it
 *         (crypto_quic_derive_keys). Order: client EARLY write right after the ClientHello
 *         (when 0-RTT is attempted); HANDSHAKE read+write; server EARLY read (0-RTT
 *         accepted); server APPLICATION write after its Finished, APPLICATION read once the
 *         client Finished is verified (RFC 9001 §5.7); client APPLICATION read+write after
 *         the server Finished. A non-zero return fails the handshake (internal_error).
 * accept_early_data: server, resumption with early_data that TLS would accept; the ALPN and
 *         transport parameters stored in the ticket are given so that quic/ can check they are
 *         compatible with the current ones (RFC 9000 §7.4.1). Return true to accept.
 *         NULL accepts.
 * session: client, a NewSessionTicket arrived; blob is a self-contained session for
 *         tls_conn_set_session() (it holds a resumption secret: store it like a key).
 */
struct tls_callbacks {
	int (*secret)(void *arg, enum tls_level level, enum tls_dir dir, enum crypto_suite suite,
		      const uint8_t *secret, size_t len);
	bool (*accept_early_data)(void *arg, const char *alpn, const uint8_t *tparams,
				  size_t tparams_len);
	void (*session)(void *arg, const uint8_t *blob, size_t len);
	void *arg;
};

/*
 * A server connection. tparams: our encoded QUIC transport parameters (copied), sent in
 * EncryptedExtensions. ctx: the worker's crypto context, which must outlive the connection.
 * @return 0, TLS_ERR_NOMEM, TLS_ERR_INVAL (no certificate in cfg)
 */
int tls_conn_new_server(struct tls_conn **out, const struct tls_server_config *cfg,
			struct crypto_ctx *ctx, const uint8_t *tparams, size_t tparams_len,
			const struct tls_callbacks *cb);
/*
 * A client connection. server_name: SNI and the host name the certificate must match (NULL:
 * no SNI and no host-name check); an IPv4/IPv6 literal is not sent as SNI (RFC 6066 §3) and is
 * matched against the certificate's IP addresses. cfg must outlive the connection.
 */
int tls_conn_new_client(struct tls_conn **out, const struct tls_client_config *cfg,
			struct crypto_ctx *ctx, const char *server_name, const uint8_t *tparams,
			size_t tparams_len, const struct tls_callbacks *cb);
/* Wipes secrets and frees everything. NULL is a no-op. */
void tls_conn_free(struct tls_conn *c);

/*
 * Client: resume with a session blob from the session callback (before tls_conn_start()). A
 * blob that is expired, for another server name or whose suite is not enabled is ignored.
 * @return 0 (used), 1 (ignored), TLS_ERR_INVAL (malformed blob), TLS_ERR_STATE, TLS_ERR_NOMEM
 */
int tls_conn_set_session(struct tls_conn *c, const uint8_t *blob, size_t len, uint64_t now_ms);
/*
 * Client: write the ClientHello to the INITIAL output (and hand over the 0-RTT secret).
 * @return 0, TLS_ERR_ALERT (internal_error), TLS_ERR_STATE (server or already started)
 */
int tls_conn_start(struct tls_conn *c, uint64_t now_ms);

/*
 * Feed CRYPTO stream bytes received at level, in stream order (quic/ reassembles). Complete
 * messages are processed; a partial one is buffered up to the message limit.
 * @return 0, TLS_ERR_ALERT (handshake failed, see tls_conn_alert()), TLS_ERR_PROTOCOL,
 *         TLS_ERR_INVAL (bad level)
 */
int tls_conn_recv(struct tls_conn *c, enum tls_level level, const uint8_t *data, size_t len,
		  uint64_t now_ms);

/*
 * Bytes waiting to be sent in CRYPTO frames at level: *len receives the count, the pointer
 * stays valid until the next tls_* call on c. tls_conn_consume() drops the first n of them
 * once quic/ has copied them into its send stream.
 */
const uint8_t *tls_conn_pending(const struct tls_conn *c, enum tls_level level, size_t *len);
void tls_conn_consume(struct tls_conn *c, enum tls_level level, size_t n);

/* State queries. */
enum tls_role tls_conn_role(const struct tls_conn *c);
/* Both Finished messages sent/verified (RFC 9001 §4.1.1). */
bool tls_conn_handshake_done(const struct tls_conn *c);
/* The alert that failed the handshake, TLS_ALERT_NONE while it has not failed. */
int tls_conn_alert(const struct tls_conn *c);
/* Negotiated suite; CRYPTO_SUITE_COUNT before ServerHello. */
enum crypto_suite tls_conn_suite(const struct tls_conn *c);
/* Negotiated key-exchange group, 0 before ServerHello. */
enum crypto_group tls_conn_group(const struct tls_conn *c);
/* Negotiated ALPN protocol (NUL-terminated), NULL before it is known. */
const char *tls_conn_alpn(const struct tls_conn *c);
/* The peer's transport parameters (extension body), NULL until received. */
const uint8_t *tls_conn_peer_tparams(const struct tls_conn *c, size_t *len);
/* Server: the SNI host name the client sent, NULL if none. */
const char *tls_conn_server_name(const struct tls_conn *c);
/* Whether a PSK from a ticket was accepted (both sides know after ServerHello). */
bool tls_conn_resumed(const struct tls_conn *c);
/* Whether a HelloRetryRequest was sent (server) or received (client). */
bool tls_conn_hrr(const struct tls_conn *c);
enum tls_early_data tls_conn_early_data(const struct tls_conn *c);
/*
 * Client: the server transport parameters and ALPN remembered in the session being resumed,
 * which 0-RTT packets must respect (RFC 9000 §7.4.1); NULL when no session is set.
 */
const uint8_t *tls_conn_session_tparams(const struct tls_conn *c, size_t *len);
const char *tls_conn_session_alpn(const struct tls_conn *c);

/* ---- Self-signed and CA-signed test certificates ---- */

enum tls_key_type {
	TLS_KEY_ECDSA_P256 = 0,
	TLS_KEY_ED25519 = 1,
	TLS_KEY_RSA_2048 = 2,
};

struct tls_cert_params {
	enum tls_key_type key_type;
	const char *host_name;	/* CN and DNS subjectAltName; required */
	int64_t not_before;	/* Unix time; 0: now - 1 hour */
	uint32_t validity_days; /* 0: 30 days */
	bool is_ca;		/* basicConstraints CA:TRUE, keyCertSign */
	/* Issuer (PEM) to sign with; NULL: self-signed. */
	const char *issuer_cert_pem;
	const char *issuer_key_pem;
};

/*
 * Generate a key pair and an X.509v3 certificate for it. Outputs are NUL-terminated PEM
 * strings allocated with malloc (release with free()); lengths exclude the NUL.
 * @return 0, TLS_ERR_INVAL, TLS_ERR_CONFIG (unusable issuer), TLS_ERR_NOMEM, TLS_ERR_LIB
 */
int tls_cert_generate(const struct tls_cert_params *p, char **cert_pem, size_t *cert_len,
		      char **key_pem, size_t *key_len);
/* The same written to files (key file mode 0600). @return as above, or TLS_ERR_IO */
int tls_cert_generate_files(const struct tls_cert_params *p, const char *cert_path,
			    const char *key_path);

/* ---- Benchmark support ---- */

/*
 * One complete server handshake step, for timing: a fresh server connection consumes
 * client_hello (a whole ClientHello as a client's INITIAL output) and writes its first flight
 * (ServerHello ... Finished: signature, key exchange, key schedule); everything is freed
 * before returning. *flight_len receives the bytes produced at INITIAL + HANDSHAKE.
 * @return 0, TLS_ERR_ALERT (the ClientHello was refused), TLS_ERR_NOMEM
 */
int tls_server_respond_once(const struct tls_server_config *cfg, struct crypto_ctx *ctx,
			    const uint8_t *client_hello, size_t len, const uint8_t *tparams,
			    size_t tparams_len, uint64_t now_ms, size_t *flight_len);

/*
 * Load-generator knobs for the client (hayabusa-bench). A generator that does a real client's
 * crypto per handshake spends more than the server it measures (X25519 keygen + derive,
 * certificate decoding and an ECDSA verify against the server's keygen + derive + sign), so
 * it, not the server, would set the figure. These knobs cut the client's part only; the server
 * still does its full work on every handshake. Both are off by default and are NOT for real
 * clients.
 *
 * reuse_key_share: every connection of cfg offers the same key share per group (X25519,
 * secp256r1), made once here instead of a fresh one per ClientHello; only the derivation is
 * left per handshake. RFC 9846 §4.3.8 forbids this to clients ("MUST NOT reuse a key share
 * for multiple connections"; RFC 8446 §4.2.8 allowed it): anyone who learns the one private
 * key decrypts every connection made from cfg, so there is no forward secrecy between them.
 * Servers must accept it (§4.3.8), so the server under test is unaffected. false frees the
 * shares. Call before connections use cfg; the shares are freed with cfg. The shares derive
 * through a crypto context of cfg's own, not the connection's, so with this knob on, cfg's
 * connections must be driven by one thread at a time (hayabusa-bench has one worker).
 * @return 0, TLS_ERR_INVAL, TLS_ERR_LIB
 *
 * skip_server_auth: no server authentication at all: the certificates are not decoded or
 * checked and the CertificateVerify signature is not verified. Stronger than
 * tls_client_config_set_insecure_skip_verify(), which still decodes the leaf and checks the
 * signature. The Certificate and CertificateVerify messages are still parsed (a malformed one
 * is refused with decode_error as without the knob; a signature scheme we did not offer with
 * illegal_parameter) and still enter the transcript, so the server's Finished still binds
 * them. Anyone in the path can impersonate the server: measurement only.
 */
int tls_client_config_set_bench_reuse_key_share(struct tls_client_config *cfg, bool reuse);
void tls_client_config_set_bench_skip_server_auth(struct tls_client_config *cfg, bool skip);

#ifdef __cplusplus
}
#endif

#endif /* HB_CRYPTO_TLS_H */
