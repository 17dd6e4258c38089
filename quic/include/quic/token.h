/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Address-validation tokens (RFC 9000 §8.1.1-§8.1.4) in the shared-state token format of
 * draft-ietf-quic-retry-offload ("Shared-State Retry Offload", "Token Protection with AEAD"),
 * the key sets they are sealed under, lockless key rotation, the key file, and the NEW_TOKEN
 * replay set.
 *
 * Wire image (draft-ietf-quic-retry-offload, "Token Protection with AEAD"):
 *
 *   Token {
 *     Token Type (1),           0 = Retry token, 1 = NEW_TOKEN token: never interchangeable
 *     Key Sequence (7),         which key of the key set sealed it
 *     Unique Token Number (96), = worker id (32) || per-worker counter (64), see below
 *     Encrypted Body (64..),
 *     AEAD Integrity Check Value (128),
 *   }
 *   Body {
 *     Timestamp (64),           expiry, in seconds of POSIX time
 *     [ODCIL (8) = 8..20],      Retry tokens only: the client's first DCID ...
 *     [Original DCID (64..160)],
 *     [Port (16)],              ... and the UDP source port the Retry answered
 *     Opaque Data (..),         ours: one byte, the token kind again (a Retry Offload's
 *                               tokens carry none, and are accepted without it)
 *   }
 *
 * AES-128-GCM seals the body with nonce = key IV XOR Unique Token Number and associated data
 * IP Address (128) || first byte || Unique Token Number || [RSCIL (8) || Retry SCID]. The
 * Retry SCID is the SCID of the Retry the token went out in, which the client must use as the
 * DCID of the Initial that returns it, so a Retry token is bound to the client's address, its
 * port, its first DCID and our Retry CID; a NEW_TOKEN token to the address only (clients
 * change ports between connections, RFC 9000 §8.1.3).
 *
 * The IP address is in IPv4-mapped form (::ffff:a.b.c.d, RFC 4291 §2.5.5.2) for IPv4, not
 * zero-padded as the draft writes: zero padding makes an IPv4 address and the IPv6 address
 * with the same first 4 bytes and 12 zero bytes the same input, so a host owning such an IPv6
 * address could obtain a token valid for the IPv4 address it maps to.
 *
 * Nonces: the draft draws the Unique Token Number at random; we build it from a fleet-unique
 * 32-bit worker id (e.g. QUIC-LB server ID << 8 | worker index) and a 64-bit per-worker
 * counter, so no two tokens of one process share a nonce by construction. The counter starts
 * at a random point of [0, 2^62) drawn from the injected CSPRNG when the worker state is made,
 * so that a restarted process (same id, same key) does not count over the numbers its
 * predecessor used; it is never reset, across key changes included.
 *
 * Time: now_ns is the real-time clock (ns since the POSIX epoch), the same on every host of a
 * fleet within a couple of seconds: tokens cross hosts. A token is valid until its Timestamp
 * plus a grace period (default 2 s, the draft's clock-skew allowance), and is refused as from
 * the future when its Timestamp lies more than its kind's lifetime plus the grace ahead of
 * now. Every time comparison is written so that it cannot wrap (bad-input.md, the ngtcp2
 * token-expiry overflow).
 *
 * Replay: a Retry token can be replayed from the same address and port within its lifetime
 * (seconds), by design: it is stateless. A valid NEW_TOKEN token is recorded in a per-worker
 * replay set; a second use on that worker with another DCID or port is refused (an Initial
 * retransmitted for the same attempt, same DCID and port, is not a replay). The set is bounded
 * (a keyed hash picks a bucket of 4 entries; when all 4 are live the one recorded first is
 * evicted, so a token pushed out can be used once more) and its entries die with their key
 * (they are cleared per key epoch) or when their token expires.
 * Replay protection is per worker: a token is usable at most once per worker of the fleet.
 *
 * Key lifetime: every key should be rotated before it has sealed about 2^23 tokens, the limit
 * the draft borrows from RFC 9001 §6.6 (quic_token_stats counts seals; nothing enforces it),
 * and within the days a NEW_TOKEN token must stay valid (keep the previous keys in the file).
 *
 * Threads: a struct quic_token_keyset is immutable once published and read by every worker.
 * A struct quic_token_domain holds the current set behind one atomic pointer; the control
 * thread alone calls quic_token_domain_publish()/quic_token_domain_reclaim(). A struct
 * quic_token_worker belongs to one worker thread, as does the crypto context it uses.
 */
#ifndef HB_QUIC_TOKEN_H
#define HB_QUIC_TOKEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <crypto/crypto.h>
#include <quic/conn.h>
#include <quic/error.h>

#ifdef __cplusplus
extern "C" {
#endif

#define QUIC_TOKEN_KEY_LEN  16 /* AES-128 */
#define QUIC_TOKEN_IV_LEN   12
#define QUIC_TOKEN_UTN_LEN  12	/* Unique Token Number */
#define QUIC_TOKEN_SEQ_MAX  127 /* 7-bit Key Sequence */
#define QUIC_TOKEN_MAX_KEYS 4	/* keys in one set: the current one and up to 3 older */

/* Shortest tokens: first byte, number, Timestamp, tag (plus ODCIL, 8-byte ODCID, Port). */
#define QUIC_TOKEN_NEW_MIN_LEN	 (1 + QUIC_TOKEN_UTN_LEN + 8 + CRYPTO_TAG_LEN)
#define QUIC_TOKEN_RETRY_MIN_LEN (QUIC_TOKEN_NEW_MIN_LEN + 1 + 8 + 2)
/* Longest tokens we seal (one opaque byte). */
#define QUIC_TOKEN_NEW_LEN	 (QUIC_TOKEN_NEW_MIN_LEN + 1)
#define QUIC_TOKEN_RETRY_MAX_LEN (QUIC_TOKEN_NEW_MIN_LEN + 1 + 20 + 2 + 1)
/* Room that fits any token we seal. */
#define QUIC_TOKEN_BUF_LEN 64
/* Longest token quic_token_open() looks at; longer ones are refused unread. */
#define QUIC_TOKEN_OPEN_MAX 128

/* Lifetimes and clock-skew grace, in seconds. */
#define QUIC_TOKEN_RETRY_LIFETIME_S 10
#define QUIC_TOKEN_NEW_LIFETIME_S   (UINT64_C(24) * 3600)
#define QUIC_TOKEN_GRACE_S	    2
#define QUIC_TOKEN_LIFETIME_MAX_S   (UINT64_C(30) * 24 * 3600)

#define QUIC_TOKEN_REPLAY_DEFAULT 4096	     /* replay set entries per worker */
#define QUIC_TOKEN_REPLAY_MAX	  (1u << 20) /* its bound */

/* Why a token was refused. A refused Retry token means CONNECTION_CLOSE with INVALID_TOKEN,
 * sent without state (RFC 9000 §8.1.2); a refused NEW_TOKEN token means "no token" (§8.1.3):
 * see quic_token_refusal_closes(). */
enum quic_token_status {
	QUIC_TOKEN_OK = 0,
	QUIC_TOKEN_TRUNCATED,	/* shorter than the shortest token of its kind */
	QUIC_TOKEN_OVERSIZED,	/* longer than QUIC_TOKEN_OPEN_MAX: not read */
	QUIC_TOKEN_WRONG_KIND,	/* a Retry token where a NEW_TOKEN one is expected, or back */
	QUIC_TOKEN_UNKNOWN_KEY, /* its Key Sequence is not in the key set */
	/* The tag does not verify: any flipped bit, another client address, another Retry SCID
	 * (these are in the associated data, so AES-GCM cannot tell them apart), a forgery. */
	QUIC_TOKEN_AUTH,
	QUIC_TOKEN_MALFORMED, /* authentic but unusable body: ODCIL not 8..20, short body */
	QUIC_TOKEN_EXPIRED,   /* Timestamp + grace is past */
	QUIC_TOKEN_FUTURE,    /* Timestamp beyond now + lifetime + grace: not issued by us now */
	QUIC_TOKEN_PORT,      /* a Retry token from another UDP source port */
	QUIC_TOKEN_REPLAY,    /* a NEW_TOKEN token already used on this worker */
	QUIC_TOKEN_NO_KEYS,   /* no key set published yet */
	QUIC_TOKEN_STATUS_COUNT
};

/* Static name of a status. */
const char *quic_token_status_name(enum quic_token_status s);

/* Kind a token claims by its first bit (the token must be at least one byte long). */
static inline enum quic_token_kind
quic_token_kind_of(const uint8_t *token)
{
	return (token[0] & 0x80) ? QUIC_TOKEN_NEW_TOKEN : QUIC_TOKEN_RETRY;
}

/* Whether a refused token of this kind calls for CONNECTION_CLOSE with INVALID_TOKEN (Retry
 * tokens, RFC 9000 §8.1.2) rather than being treated as absent (NEW_TOKEN, §8.1.3). */
static inline bool
quic_token_refusal_closes(enum quic_token_kind kind)
{
	return kind == QUIC_TOKEN_RETRY;
}

/* ---- Key sets ---- */

struct quic_token_key {
	uint8_t seq; /* 0..QUIC_TOKEN_SEQ_MAX */
	uint8_t key[QUIC_TOKEN_KEY_LEN];
	uint8_t iv[QUIC_TOKEN_IV_LEN];
};

/* An immutable set of 1..QUIC_TOKEN_MAX_KEYS keys; the newest seals, all open. */
struct quic_token_keyset;

/*
 * A key set from keys (copied). Sequence numbers are compared in serial-number arithmetic
 * modulo 128 (RFC 1982), so that rotation may run on past 127 to 0: the newest key, the one
 * every other key precedes by 1..63, is current. All keys of a set must lie within 63 of each
 * other, and no two may share a number.
 * @return 0, QUIC_ERR_INVAL (n not 1..QUIC_TOKEN_MAX_KEYS, seq > 127, duplicate numbers, no
 *         newest key), QUIC_ERR_NOMEM
 */
int quic_token_keyset_new(struct quic_token_keyset **out, const struct quic_token_key *keys,
			  size_t n);
/* Free (wiping the keys). Never on a set that a domain holds. NULL is a no-op. */
void quic_token_keyset_free(struct quic_token_keyset *ks);
size_t quic_token_keyset_count(const struct quic_token_keyset *ks);
/* The sequence number of the key that seals. */
uint8_t quic_token_keyset_current(const struct quic_token_keyset *ks);
/* The i-th key (i < count), oldest first: the last one is current. */
const struct quic_token_key *quic_token_keyset_key(const struct quic_token_keyset *ks, size_t i);

/* ---- Key file ----
 *
 * The text format of --token-keys FILE, one file for every host of a fleet:
 *
 *   # comment (a '#' starts a comment anywhere on a line); blank lines are ignored
 *   <seq> <key> <iv>
 *
 * seq: decimal 0..127; key: 32 hex digits (AES-128); iv: 24 hex digits (the draft's AEAD IV).
 * Fields are separated by spaces or tabs; lines end with LF (a CR before it is allowed).
 * 1..4 key lines; the newest sequence number (as quic_token_keyset_new()) is the sealing key.
 * To rotate: add a line with the next number and drop the oldest one, then reload; tokens
 * under a key still in the file stay valid. The file is a secret (the binary checks that it
 * is not readable by others); this parser only sees its bytes.
 */

enum quic_keyfile_err {
	QUIC_KEYFILE_OK = 0,
	QUIC_KEYFILE_SYNTAX,	/* not "<seq> <key> <iv>", or a NUL byte */
	QUIC_KEYFILE_SEQ,	/* seq not a decimal 0..127 */
	QUIC_KEYFILE_KEY,	/* key not 32 hex digits */
	QUIC_KEYFILE_IV,	/* iv not 24 hex digits */
	QUIC_KEYFILE_DUPLICATE, /* seq already used on an earlier line */
	QUIC_KEYFILE_TOO_MANY,	/* a fifth key line */
	QUIC_KEYFILE_NO_KEYS,	/* no key line at all (line = last line) */
	QUIC_KEYFILE_SPREAD,	/* no newest key: numbers spread over more than 63 */
	QUIC_KEYFILE_LINE_LONG, /* a line over 512 bytes */
};

/* Where and why a key file was refused. */
struct quic_keyfile_error {
	unsigned line; /* 1-based */
	enum quic_keyfile_err err;
};

const char *quic_keyfile_strerror(enum quic_keyfile_err err);

/*
 * Parse a key file held in memory into a new key set.
 * @param text  the file's bytes (not NUL-terminated), borrowed
 * @param err   on QUIC_ERR_MALFORMED, the line and the reason; may be NULL
 * @return 0, QUIC_ERR_MALFORMED (see err), QUIC_ERR_NOMEM, QUIC_ERR_INVAL (NULL argument)
 */
int quic_token_keyfile_parse(struct quic_token_keyset **out, const char *text, size_t len,
			     struct quic_keyfile_error *err);

/*
 * Write a key file: the keys of prev (NULL: none) that stay, oldest first, then one new key
 * numbered one past prev's current key (0 without prev), its key and IV drawn from rand. At
 * most QUIC_TOKEN_MAX_KEYS keys are written: the oldest are dropped. `hayabusa keygen` writes
 * a fresh file with prev NULL; a rotation passes the current set.
 * @param buf      receives the text (NUL-terminated); QUIC_TOKEN_KEYFILE_MAX_LEN is enough
 * @param out_len  its length without the NUL
 * @return 0, QUIC_ERR_BUFFER, QUIC_ERR_CRYPTO (rand failed), QUIC_ERR_INVAL
 */
int quic_token_keyfile_write(const struct quic_token_keyset *prev, const struct crypto_rand *rand,
			     char *buf, size_t cap, size_t *out_len);
#define QUIC_TOKEN_KEYFILE_MAX_LEN 512

/* ---- Domain: the current key set, shared by every worker, rotated without locks ---- */

struct quic_token_domain;

/*
 * @param n_workers  worker slots (1..1024); each worker state claims one
 * @return 0, QUIC_ERR_INVAL, QUIC_ERR_NOMEM
 */
int quic_token_domain_new(struct quic_token_domain **out, unsigned n_workers);
/* Free the domain, its current set and every retired one, after every worker state built on
 * it is freed. */
void quic_token_domain_free(struct quic_token_domain *d);

/*
 * Control thread: make ks the current set (the domain owns it from then on) and retire the
 * previous one; it is freed by a later quic_token_domain_reclaim() once every
 * online worker has passed a quiescent point (quic_token_worker_exit()). Workers pick the new
 * set up at their next quic_token_worker_enter(). Never blocks.
 * @return 0; QUIC_ERR_INVAL (ks NULL, or already published: it is then not taken)
 */
int quic_token_domain_publish(struct quic_token_domain *d, struct quic_token_keyset *ks);

/*
 * Control thread: free the retired sets that no worker can still be reading.
 * @return how many retired sets remain (0: all freed; call again later otherwise)
 */
size_t quic_token_domain_reclaim(struct quic_token_domain *d);

/* ---- Per-worker token state ---- */

struct quic_token_config {
	uint32_t worker_id;	       /* unique in the fleet: the high 32 bits of every nonce */
	uint64_t retry_lifetime_s;     /* 1..QUIC_TOKEN_LIFETIME_MAX_S */
	uint64_t new_token_lifetime_s; /* 1..QUIC_TOKEN_LIFETIME_MAX_S */
	uint64_t grace_s;	       /* 0..QUIC_TOKEN_LIFETIME_MAX_S */
	uint32_t replay_entries;       /* power of two, 4..QUIC_TOKEN_REPLAY_MAX; 0: default */
};

/* Defaults: worker 0, 10 s Retry, 24 h NEW_TOKEN, 2 s grace, 4096 replay entries. */
void quic_token_config_default(struct quic_token_config *cfg);

/* Counters of one worker's token state. */
struct quic_token_stats {
	uint64_t sealed[2]; /* by enum quic_token_kind */
	uint64_t valid[2];
	uint64_t refused[QUIC_TOKEN_STATUS_COUNT];
	uint64_t key_refreshes;	   /* new key sets picked up */
	uint64_t refresh_failures; /* a new set could not be set up (allocation): kept the old */
};

struct quic_token_worker;

/*
 * One worker's token state: its slot in d, its AES-GCM handles (built in ctx, which it uses
 * from now on), its nonce counter and its replay set. Call before the worker thread starts.
 * @param index  the domain slot, < n_workers, not claimed by another state
 * @param rand   draws the counter's start and the replay set's hash key (NULL: system)
 * @return 0, QUIC_ERR_INVAL (bad configuration or slot), QUIC_ERR_NOMEM, QUIC_ERR_CRYPTO
 */
int quic_token_worker_new(struct quic_token_worker **out, struct quic_token_domain *d,
			  unsigned index, const struct quic_token_config *cfg,
			  struct crypto_ctx *ctx, const struct crypto_rand *rand);
/* Free the state and release its slot (the worker must be offline or stopped). */
void quic_token_worker_free(struct quic_token_worker *w);

/*
 * Start of a burst: load the domain's current set (acquire) and, when it changed, set up the
 * AES handles of its new keys (one allocation per new key, once per rotation; on failure the
 * worker keeps sealing and opening with the keys it had). Calls nest: only the outermost
 * enter and exit act. A worker that was offline comes online here.
 */
void quic_token_worker_enter(struct quic_token_worker *w);
/* End of a burst: the quiescent point. The worker holds no pointer into a key set after it. */
void quic_token_worker_exit(struct quic_token_worker *w);
/* The worker stops calling enter/exit for a while (idle, shutting down): rotations stop
 * waiting for it. Call outside enter/exit. */
void quic_token_worker_offline(struct quic_token_worker *w);

/*
 * Seal a Retry token (between enter and exit).
 * @param peer   the client's address and UDP source port
 * @param odcid  the DCID of the client's Initial, 8..20 bytes (RFC 9000 §7.2)
 * @param rscid  the SCID of the Retry the token goes out in, 1..20 bytes
 * @param out    cap >= QUIC_TOKEN_RETRY_MAX_LEN is always enough
 * @return 0 with *out_len set; QUIC_ERR_INVAL (lengths, family, NULL); QUIC_ERR_BUFFER;
 *         QUIC_ERR_CRYPTO (no key set yet, or the seal failed); QUIC_ERR_AEAD_LIMIT (the
 *         nonce counter is spent: never in practice)
 */
int quic_token_seal_retry(struct quic_token_worker *w, const struct quic_addr *peer,
			  const uint8_t *odcid, size_t odcid_len, const uint8_t *rscid,
			  size_t rscid_len, uint64_t now_ns, uint8_t *out, size_t cap,
			  size_t *out_len);

/* Seal a NEW_TOKEN token for peer's address (its port is not bound). Errors as above; cap >=
 * QUIC_TOKEN_NEW_LEN is enough. */
int quic_token_seal_new_token(struct quic_token_worker *w, const struct quic_addr *peer,
			      uint64_t now_ns, uint8_t *out, size_t cap, size_t *out_len);

/*
 * Open and check a token received in an Initial (between enter and exit). Never allocates.
 * A valid NEW_TOKEN token is recorded in the replay set.
 * @param kind   the kind expected where it is used; a token of the other kind is WRONG_KIND
 * @param peer   the address and port the Initial came from
 * @param dcid   the DCID of that Initial: a Retry token's Retry SCID; for NEW_TOKEN tokens it
 *               tells a retransmission of the same attempt from a replay
 * @param info   on QUIC_TOKEN_OK: the kind and, for a Retry token, the original DCID
 * @return QUIC_TOKEN_OK or the reason of the refusal (counted in the worker's stats)
 */
enum quic_token_status quic_token_open(struct quic_token_worker *w, enum quic_token_kind kind,
				       const uint8_t *token, size_t len,
				       const struct quic_addr *peer, const uint8_t *dcid,
				       size_t dcid_len, uint64_t now_ns,
				       struct quic_token_info *info);

void quic_token_worker_stats(const struct quic_token_worker *w, struct quic_token_stats *out);

#ifdef __cplusplus
}
#endif

#endif /* HB_QUIC_TOKEN_H */
