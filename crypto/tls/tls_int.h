/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Internals of the TLS 1.3 engine shared by the crypto/tls sources and their unit tests: wire
 * constants, bounds-checked cursors, message codecs, the key schedule and the configuration and
 * connection structures.
 *
 * Internal convention: functions that can fail because of peer input return 0 or the negated
 * TLS alert to send (-TLS_ALERT_DECODE_ERROR ...); TLS_E_PROTOCOL marks a QUIC
 * PROTOCOL_VIOLATION. Local failures (memory, libcrypto) become -TLS_ALERT_INTERNAL_ERROR.
 */
#ifndef HB_CRYPTO_TLS_INT_H
#define HB_CRYPTO_TLS_INT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <crypto/asym.h>
#include <crypto/crypto.h>
#include <crypto/bytes.h>
#include <crypto/tls.h>

/* crypto/'s raw SHA-2 state for the transcript (crypto/tls is part of crypto/). */
#include "../hkdf_internal.h"

#define TLS_E_PROTOCOL	(-1000)
#define TLS_FAIL(alert) (-(int)(alert))

/* Handshake message types (RFC 9846 §4, §13.3). */
enum {
	TLS_HS_CLIENT_HELLO = 1,
	TLS_HS_SERVER_HELLO = 2,
	TLS_HS_NEW_SESSION_TICKET = 4,
	TLS_HS_END_OF_EARLY_DATA = 5,
	TLS_HS_ENCRYPTED_EXTENSIONS = 8,
	TLS_HS_CERTIFICATE = 11,
	TLS_HS_CERTIFICATE_REQUEST = 13,
	TLS_HS_CERTIFICATE_VERIFY = 15,
	TLS_HS_FINISHED = 20,
	TLS_HS_KEY_UPDATE = 24,
	TLS_HS_MESSAGE_HASH = 254,
};

/* Extension types (RFC 9846 §4.3, RFC 6066, RFC 7301, RFC 9001 §8.2). */
enum {
	TLS_EXT_SERVER_NAME = 0,
	TLS_EXT_SUPPORTED_GROUPS = 10,
	TLS_EXT_SIGNATURE_ALGORITHMS = 13,
	TLS_EXT_ALPN = 16,
	TLS_EXT_PRE_SHARED_KEY = 41,
	TLS_EXT_EARLY_DATA = 42,
	TLS_EXT_SUPPORTED_VERSIONS = 43,
	TLS_EXT_COOKIE = 44,
	TLS_EXT_PSK_KEY_EXCHANGE_MODES = 45,
	TLS_EXT_SIGNATURE_ALGORITHMS_CERT = 50,
	TLS_EXT_KEY_SHARE = 51,
	TLS_EXT_QUIC_TRANSPORT_PARAMETERS = 57,
};

#define TLS_VERSION_12	     0x0303
#define TLS_VERSION_13	     0x0304
#define TLS_RANDOM_LEN	     32
#define TLS_HS_HDR_LEN	     4
#define TLS_MAX_HASH	     48
#define TLS_PSK_DHE_KE	     1
#define TLS_MAX_CHAIN	     10	  /* certificates in one chain (issue #7 serves a chain of 9) */
#define TLS_MAX_SHARES	     2	  /* key shares a client offers */
#define TLS_MAX_TP	     2048 /* transport parameters a ticket may carry */
#define TLS_COOKIE_LEN	     32
#define TLS_MAX_TICKET_AGE_S 604800u	 /* 7 days, RFC 9846 §4.7.1 */
#define TLS_EARLY_DATA_QUIC  0xffffffffu /* RFC 9001 §4.6.1 */

/* SHA-256("HelloRetryRequest"), the HRR's ServerHello.random (RFC 9846 §4.2.3). */
extern const uint8_t tls_hrr_random[TLS_RANDOM_LEN];

/* ---- Cursors: every decoder reads through these, so none reads past its input ---- */

/*
 * A vector with an n-byte length prefix (n = 1, 2, 3) whose length lies in [min, max]: sub
 * covers its body. A length out of range poisons r.
 */
bool tls_get_vec(struct crypto_rd *r, size_t n, size_t min, size_t max, struct crypto_rd *sub);

/* Open a vector with an n-byte length prefix; returns its offset for tls_wr_close(). */
size_t tls_wr_open(struct crypto_wr *w, size_t n);
/* Close the vector opened at off: writes the body length into the prefix. */
void tls_wr_close(struct crypto_wr *w, size_t off, size_t n);
/* Put an n-byte length prefix and body in one go. */
bool tls_put_vec(struct crypto_wr *w, size_t n, const void *src, size_t len);

/* ---- Message codecs (codec.c) ---- */

/* A ClientHello as received: pointers into the message (RFC 9846 §4.2.2). */
struct tls_ch {
	const uint8_t *random;
	size_t session_id_len;
	struct crypto_rd suites; /* CipherSuite list */
	uint32_t seen;		 /* TLS_SEEN_* of the known extensions present */
	bool tls13;		 /* supported_versions lists 0x0304 */
	struct crypto_rd groups, sigalgs, shares, alpn;
	const uint8_t *host; /* first host_name of server_name, NULL if none */
	size_t host_len;
	const uint8_t *tparams;
	size_t tparams_len;
	uint8_t psk_modes; /* bit (1 << mode) per offered psk_key_exchange_mode < 8 */
	const uint8_t *cookie;
	size_t cookie_len;
	struct crypto_rd identities, binders; /* pre_shared_key */
	size_t binders_off; /* offset of the binders vector in the whole message (4-byte header
			     * included): the truncated ClientHello is msg[0..binders_off) */
};

/* Known-extension bits in struct tls_ch.seen and the other decoders. */
enum {
	TLS_SEEN_SERVER_NAME = 1u << 0,
	TLS_SEEN_GROUPS = 1u << 1,
	TLS_SEEN_SIGALGS = 1u << 2,
	TLS_SEEN_ALPN = 1u << 3,
	TLS_SEEN_PSK = 1u << 4,
	TLS_SEEN_EARLY_DATA = 1u << 5,
	TLS_SEEN_VERSIONS = 1u << 6,
	TLS_SEEN_COOKIE = 1u << 7,
	TLS_SEEN_PSK_MODES = 1u << 8,
	TLS_SEEN_SIGALGS_CERT = 1u << 9,
	TLS_SEEN_KEY_SHARE = 1u << 10,
	TLS_SEEN_TPARAMS = 1u << 11,
};

/* A ServerHello or HelloRetryRequest (RFC 9846 §4.2.3, §4.2.4). */
struct tls_sh {
	bool hrr;
	const uint8_t *random;
	size_t session_id_len;
	uint16_t suite;
	uint32_t seen;
	uint16_t version;
	uint16_t group;	      /* key_share: server share or HRR selected_group */
	const uint8_t *share; /* server share (ServerHello only) */
	size_t share_len;
	uint16_t psk_identity; /* pre_shared_key selected_identity */
	const uint8_t *cookie;
	size_t cookie_len;
};

struct tls_ee {
	uint32_t seen;
	const uint8_t *alpn; /* the one selected protocol */
	size_t alpn_len;
	const uint8_t *tparams;
	size_t tparams_len;
};

struct tls_certmsg {
	size_t n;
	const uint8_t *der[TLS_MAX_CHAIN];
	size_t der_len[TLS_MAX_CHAIN];
};

struct tls_nst {
	uint32_t lifetime;
	uint32_t age_add;
	const uint8_t *nonce;
	size_t nonce_len;
	const uint8_t *ticket;
	size_t ticket_len;
	bool early_data;
	uint32_t max_early_data;
};

/*
 * Decoders take the message body (after the 4-byte header). ch_decode also takes the whole
 * message to locate the binders. @return 0 or -alert
 */
int tls_ch_decode(struct tls_ch *ch, const uint8_t *msg, size_t msg_len);
int tls_sh_decode(struct tls_sh *sh, const uint8_t *body, size_t len);
int tls_ee_decode(struct tls_ee *ee, const uint8_t *body, size_t len);
int tls_cert_decode(struct tls_certmsg *cm, const uint8_t *body, size_t len);
int tls_cv_decode(uint16_t *scheme, const uint8_t **sig, size_t *sig_len, const uint8_t *body,
		  size_t len);
int tls_nst_decode(struct tls_nst *nst, const uint8_t *body, size_t len);
/* Whether a u16 list (CipherSuite, NamedGroup, SignatureScheme) contains v. */
bool tls_list_has_u16(struct crypto_rd list, uint16_t v);
/* Find a key share for group in a ClientHello; @return 0 found, 1 absent, -alert */
int tls_ch_find_share(const struct tls_ch *ch, uint16_t group, const uint8_t **pub, size_t *len);

/* ---- Key schedule (keysched.c, RFC 9846 §7.1) ---- */

struct tls_hash {
	enum crypto_hash id;
	size_t len;
	EVP_MD *md;
	uint8_t empty[TLS_MAX_HASH]; /* Hash("") */
	/* Without a PSK the Early Secret and the salt derived from it are constants (RFC 9846
	 * §7.1): HKDF-Extract(0, 0) and Derive-Secret(., "derived", ""), made at init. */
	uint8_t early0[TLS_MAX_HASH];
	uint8_t derived0[TLS_MAX_HASH];
};

/* Algorithms fetched once per configuration (style: fetch at init, never per handshake). */
struct tls_algs {
	struct tls_hash hash[2]; /* by enum crypto_hash */
	EVP_CIPHER *ticket_aead; /* AES-256-GCM */
};

int tls_algs_init(struct tls_algs *a);
void tls_algs_free(struct tls_algs *a);
const struct tls_hash *tls_suite_hash(const struct tls_algs *a, enum crypto_suite suite);

/* Running transcript hash (RFC 9846 §4.1). */
struct tls_transcript {
	union crypto_sha_state st; /* the running hash (keysched.c) */
	const struct tls_hash *h;  /* NULL until tls_transcript_init() */
};

int tls_transcript_init(struct tls_transcript *t, const struct tls_hash *h);
void tls_transcript_free(struct tls_transcript *t);
int tls_transcript_add(struct tls_transcript *t, const uint8_t *data, size_t len);
/* Hash of everything added so far; the transcript goes on. */
int tls_transcript_hash(struct tls_transcript *t, uint8_t *out);
/* Hash of everything added so far followed by extra, which is not added. */
int tls_transcript_hash_with(struct tls_transcript *t, const uint8_t *extra, size_t len,
			     uint8_t *out);
/* Start a transcript after HelloRetryRequest: the synthetic message_hash of ClientHello1. */
int tls_transcript_message_hash(struct tls_transcript *t, const uint8_t *ch1, size_t len);

/*
 * One Extract step of the schedule: prev NULL gives the Early Secret, HKDF-Extract(0, ikm);
 * otherwise HKDF-Extract(Derive-Secret(prev, "derived", ""), ikm). ikm NULL stands for
 * Hash.length zero bytes. @return 0 or CRYPTO_ERR_*
 */
int tls_ks_extract(struct crypto_ctx *ctx, const struct tls_hash *h, const uint8_t *prev,
		   const uint8_t *ikm, size_t ikm_len, uint8_t *out);
/* Derive-Secret(secret, label, Messages) with th = Transcript-Hash(Messages). */
int tls_ks_derive(struct crypto_ctx *ctx, const struct tls_hash *h, const uint8_t *secret,
		  const char *label, const uint8_t *th, uint8_t *out);
/* HMAC(finished_key(base), th): Finished verify_data and PSK binders (§4.5.3, §4.3.11.2). */
int tls_ks_finished(struct crypto_ctx *ctx, const struct tls_hash *h, const uint8_t *base,
		    const uint8_t *th, uint8_t *out);
/* PSK = HKDF-Expand-Label(resumption_master_secret, "resumption", nonce, Hash.length). */
int tls_ks_resumption_psk(struct crypto_ctx *ctx, const struct tls_hash *h, const uint8_t *rms,
			  const uint8_t *nonce, size_t nonce_len, uint8_t *out);
/* Hash(data) in one call. */
int tls_hash_once(const struct tls_hash *h, const uint8_t *data, size_t len, uint8_t *out);

/* ---- Certificates and signatures (cert.c) ---- */

/* Signature schemes the engine knows (RFC 9846 §4.3.3). */
enum {
	TLS_SIG_ECDSA_SECP256R1_SHA256 = 0x0403,
	TLS_SIG_RSA_PSS_RSAE_SHA256 = 0x0804,
	TLS_SIG_RSA_PSS_RSAE_SHA384 = 0x0805,
	TLS_SIG_ED25519 = 0x0807,
};

/*
 * A signing context made once for the server key and one scheme (EVP_PKEY_sign over a digest
 * we compute), reused for every CertificateVerify. Why: EVP_DigestSignInit_ex() per handshake
 * fetches the digest and the signature by name, walks OpenSSL's name map and duplicates
 * contexts, about 2-3 % of a server handshake's CPU. A context serves one thread at a time and
 * the configuration is shared by the workers, so it holds TLS_SIGNERS of them, each claimed
 * with an atomic flag; when all are busy, a one-off context signs instead.
 */
#define TLS_SIGNERS 16
struct tls_signer {
	atomic_flag busy;
	uint16_t scheme; /* what pctx was set up for */
	/* The key pctx signs with: pctx holds a reference to it, so the pointer cannot be reused
	 * for another key while pctx lives and comparing it with the configuration's key tells
	 * whether the key was replaced. */
	const EVP_PKEY *key;
	EVP_PKEY_CTX *pctx; /* NULL before first use */
};

struct tls_server_cert {
	EVP_PKEY *key;
	enum tls_key_type type;
	struct tls_signer *signers; /* TLS_SIGNERS of them; mutable under a const config */
	uint8_t *chain_der;	    /* concatenated DER certificates */
	size_t n;
	size_t off[TLS_MAX_CHAIN], len[TLS_MAX_CHAIN];
};

int tls_server_cert_load(struct tls_server_cert *sc, const char *chain_pem, size_t chain_len,
			 const char *key_pem, size_t key_len, size_t max_msg);
void tls_server_cert_clear(struct tls_server_cert *sc);
/* Pick the scheme to sign with among the client's signature_algorithms; 0 if none fits. */
uint16_t tls_server_cert_scheme(const struct tls_server_cert *sc, struct crypto_rd sigalgs);
/* The content signed in CertificateVerify (RFC 9846 §4.5.2); returns its length. */
size_t tls_cv_content(uint8_t *buf, bool server, const uint8_t *th, size_t th_len);
/* Sign / verify CertificateVerify content. verify @return 0 or -alert */
int tls_sign(const struct tls_server_cert *sc, const struct tls_algs *algs, uint16_t scheme,
	     const uint8_t *msg, size_t len, uint8_t *sig, size_t cap, size_t *sig_len);
int tls_verify(EVP_PKEY *key, uint16_t scheme, const uint8_t *msg, size_t len, const uint8_t *sig,
	       size_t sig_len);
/* Whether scheme can be used with key (type, curve). */
bool tls_scheme_fits_key(EVP_PKEY *key, uint16_t scheme);
/*
 * Client: check the server chain (DER list) against store for host (NULL: no name check; an
 * address literal when host_is_ip, matched against IP subjectAltNames), at unix time t (0: wall
 * clock), or skip the check; *leaf_key receives the leaf's key.
 * @return 0 or -alert (bad_certificate, unknown_ca, certificate_expired ...)
 */
int tls_verify_chain(X509_STORE *store, bool skip, const char *host, bool host_is_ip, int64_t t,
		     const struct tls_certmsg *cm, EVP_PKEY **leaf_key);

/* ---- Tickets (ticket.c) ---- */

struct tls_ticket_key {
	bool live;
	uint8_t id[8];
	uint8_t key[TLS_TICKET_KEY_LEN];
};

/* What the server remembers in a ticket (encrypted into the ticket itself). */
struct tls_ticket_state {
	uint16_t suite_id;
	uint64_t issued_ms;
	uint32_t lifetime_s;
	uint32_t age_add;
	bool early_data;
	uint8_t psk[TLS_MAX_HASH];
	size_t psk_len;
	char alpn[256];
	char sni[256];
	const uint8_t *tparams; /* points into the decrypted buffer */
	size_t tparams_len;
};

/* Client session blob contents (tls_conn_set_session). */
struct tls_session {
	enum crypto_suite suite;
	uint64_t received_ms;
	uint32_t lifetime_s;
	uint32_t age_add;
	uint32_t max_early_data;
	uint8_t psk[TLS_MAX_HASH];
	size_t psk_len;
	const uint8_t *ticket;
	size_t ticket_len;
	char alpn[256];
	char sni[256];
	const uint8_t *tparams;
	size_t tparams_len;
	uint8_t *mem; /* owns ticket and tparams after tls_session_decode() */
};

/* ---- Configurations ---- */

struct tls_common_config {
	struct tls_algs algs;
	enum crypto_suite suites[CRYPTO_SUITE_COUNT];
	size_t n_suites;
	enum crypto_group groups[2];
	size_t n_groups;
	uint8_t alpn_wire[TLS_MAX_ALPN * 256]; /* protocol_name_list body */
	size_t alpn_len;
	struct crypto_rand rand;
	size_t max_msg;
	struct tls_keylog keylog;
};

/*
 * A keyed AES-256-GCM context that seals tickets under one key (ticket.c): per ticket only the
 * nonce is set, instead of a new EVP_CIPHER_CTX with its key schedule and GHASH tables (about
 * 1 % of a server handshake). Pooled like tls_signer, for the same reason.
 */
#define TLS_SEALERS 16
struct tls_sealer {
	atomic_flag busy;
	uint8_t key[TLS_TICKET_KEY_LEN]; /* the key x holds */
	EVP_CIPHER_CTX *x;		 /* NULL before first use */
};

struct tls_server_config {
	struct tls_common_config c;
	struct tls_server_cert cert;
	bool have_cert;
	bool hrr_cookie;
	struct tls_ticket_key tkeys[2]; /* [0] current, [1] previous */
	struct tls_sealer *sealers;	/* TLS_SEALERS of them */
	unsigned n_tickets;
	uint32_t ticket_lifetime_s;
	bool early_data;
	uint32_t freshness_ms;
};

struct tls_client_config {
	struct tls_common_config c;
	X509_STORE *store;
	bool skip_verify;
	int64_t verify_time;
	size_t n_shares;
	bool early_data;
	/* Load-generator knobs (tls.h, "Benchmark support"): one key share per group made once
	 * and lent to every connection, [0] X25519 and [1] secp256r1, with the crypto context
	 * they were made and derive in (crypto_kex keeps it); and no server authentication. */
	struct crypto_kex *bench_kex[2];
	struct crypto_ctx *bench_ctx;
	bool bench_skip_auth;
};

/* Index of group in tls_client_config.bench_kex. */
static inline size_t
tls_bench_kex_index(enum crypto_group g)
{
	return g == CRYPTO_GROUP_X25519 ? 0 : 1;
}

int tls_common_config_init(struct tls_common_config *c);
int tls_set_alpn(struct tls_common_config *c, const char *const *protos, size_t n);

/* ---- Connection ---- */

struct tls_buf {
	uint8_t *data;
	size_t len;
	size_t cap;
	bool slab; /* data is a TLS_OUT_FIRST-byte object of the context's slabs (conn.c) */
};

/* A partial handshake message at one level: header, then its body once the length is known. */
struct tls_inbuf {
	uint8_t hdr[TLS_HS_HDR_LEN];
	size_t hdr_len;
	uint8_t *msg; /* header + body, allocated once the length is known */
	size_t have;
	size_t need;
};

enum tls_state {
	TLS_ST_CLIENT_START,
	TLS_ST_WAIT_SH,
	TLS_ST_WAIT_EE,
	TLS_ST_WAIT_CERT,
	TLS_ST_WAIT_CV,
	TLS_ST_WAIT_FIN,
	TLS_ST_WAIT_CH,
	TLS_ST_WAIT_CH2,
	TLS_ST_WAIT_CLIENT_FIN,
	TLS_ST_DONE,
	TLS_ST_FAILED,
};

struct tls_conn {
	enum tls_role role;
	enum tls_state state;
	int alert;
	int fail_err;
	struct crypto_ctx *ctx;
	const struct tls_common_config *cc;
	const struct tls_server_config *scfg;
	const struct tls_client_config *ccfg;
	struct tls_callbacks cb;
	uint64_t now_ms;

	struct tls_inbuf in[TLS_LEVEL_COUNT];
	struct tls_buf out[TLS_LEVEL_COUNT];

	enum crypto_suite suite;
	const struct tls_hash *h;
	uint16_t group;
	struct tls_transcript th;
	uint8_t client_random[TLS_RANDOM_LEN]; /* for the key log */
	uint8_t early_secret[TLS_MAX_HASH];
	uint8_t hs_secret[TLS_MAX_HASH];
	uint8_t master[TLS_MAX_HASH];
	uint8_t c_hs[TLS_MAX_HASH];
	uint8_t s_hs[TLS_MAX_HASH];
	uint8_t c_ap[TLS_MAX_HASH];
	uint8_t res_master[TLS_MAX_HASH];
	struct crypto_kex *kex[TLS_MAX_SHARES];
	/* client: the config's bench_kex lent for share i instead of kex[i]; never freed here */
	struct crypto_kex *kex_lent[TLS_MAX_SHARES];
	uint16_t kex_group[TLS_MAX_SHARES];

	char alpn[256];
	bool have_alpn;
	uint8_t *local_tp;
	size_t local_tp_len;
	uint8_t *peer_tp;
	size_t peer_tp_len;
	char server_name[256];
	bool have_server_name;
	bool server_name_is_ip; /* client: an address literal, sent as no SNI (RFC 6066 §3) */

	bool resumed;
	bool hrr;
	bool done;
	enum tls_early_data early;

	/* server */
	uint8_t cookie[TLS_COOKIE_LEN];
	bool cookie_sent;
	uint16_t hrr_suite;
	uint8_t psk[TLS_MAX_HASH]; /* accepted PSK, kept for the binder check */

	/* client */
	uint8_t *ch; /* our ClientHello until the ServerHello picks a hash */
	size_t ch_len;
	struct tls_session *sess;
	bool sess_used; /* a PSK was offered */
	bool early_offered;
	EVP_PKEY *peer_key;
	uint8_t *hrr_cookie; /* cookie from HelloRetryRequest, echoed in ClientHello2 */
	size_t hrr_cookie_len;
};

/* conn.c helpers for client.c and server.c */
int tls_fail(struct tls_conn *c, int rc);
/* Reserve room for a message of at most cap bytes in out[level]; the writer covers it. */
int tls_out_begin(struct tls_conn *c, enum tls_level level, size_t cap, struct crypto_wr *w,
		  size_t *hdr_off);
/* Finish the message begun at hdr_off: length, transcript (when add_th), commit. */
int tls_out_end(struct tls_conn *c, enum tls_level level, struct crypto_wr *w, size_t hdr_off,
		bool add_th);
int tls_emit_secret(struct tls_conn *c, enum tls_level level, enum tls_dir dir,
		    const uint8_t *secret);
int tls_random(struct tls_conn *c, uint8_t *buf, size_t len);
/* Key log line for a secret sent by the server (from_server) or the client. */
void tls_keylog_secret(struct tls_conn *c, enum tls_level level, bool from_server,
		       const uint8_t *secret, size_t len);
int tls_copy_tparams(struct tls_conn *c, const uint8_t *tp, size_t len);
/* Negotiate ALPN: first entry of pref also in offer (protocol_name_list bodies). */
int tls_alpn_select(const uint8_t *pref, size_t pref_len, struct crypto_rd offer,
		    const uint8_t **sel, size_t *sel_len);
bool tls_alpn_contains(const uint8_t *list, size_t list_len, const uint8_t *p, size_t len);
int tls_set_alpn_result(struct tls_conn *c, const uint8_t *p, size_t len);
/* Derive the handshake secrets from the transcript so far and hand them over. */
int tls_derive_handshake(struct tls_conn *c, const uint8_t *ecdhe, size_t ecdhe_len);
/* Derive master and c/s ap traffic secrets from the transcript so far (after server Fin). */
int tls_derive_master(struct tls_conn *c, uint8_t *s_ap);
int tls_finished_write(struct tls_conn *c, bool server);
int tls_finished_check(struct tls_conn *c, bool server, const uint8_t *body, size_t len);

int tls_server_handle(struct tls_conn *c, enum tls_level level, const uint8_t *msg, size_t len);
int tls_client_handle(struct tls_conn *c, enum tls_level level, const uint8_t *msg, size_t len);
int tls_client_hello_write(struct tls_conn *c);

/* Ticket sealing (ticket.c). */
int tls_ticket_seal(const struct tls_server_config *cfg, const struct tls_ticket_state *st,
		    const uint8_t *tparams, size_t tparams_len, uint8_t *out, size_t cap,
		    size_t *out_len);
/* Opens into buf (>= ticket_len bytes); @return 0, or 1 when the ticket is not ours/invalid */
int tls_ticket_open(const struct tls_server_config *cfg, const uint8_t *ticket, size_t len,
		    uint8_t *buf, struct tls_ticket_state *st);
int tls_server_send_tickets(struct tls_conn *c);
bool tls_suite_from_id(uint16_t id, enum crypto_suite *out);
/* binder = HMAC(finished_key(Derive-Secret(early, "res binder", "")), th) (§4.3.11.2). */
int tls_ks_binder(struct crypto_ctx *ctx, const struct tls_hash *h, const uint8_t *early,
		  const uint8_t *th, uint8_t *out);
int tls_session_decode(struct tls_session *s, const uint8_t *blob, size_t len);
int tls_session_encode(const struct tls_session *s, uint8_t **blob, size_t *len);
void tls_session_clear(struct tls_session *s);

#endif /* HB_CRYPTO_TLS_INT_H */
