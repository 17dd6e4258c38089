/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Hayabusa crypto: the only module that calls OpenSSL libcrypto or ipsec-mb.
 *
 * Everything here is exposed through opaque handles so that quic/ (which must never see an
 * OpenSSL type) can protect and unprotect packets. Objects are not thread-safe: each worker
 * builds its own struct crypto_ctx and the keys under it. A crypto_ctx may hold per-call
 * scratch state (the ipsec-mb manager's job queue), so one thread at a time may use it and
 * everything built from it.
 *
 * Errors: every function returning int returns 0 on success or a negative CRYPTO_ERR_* code.
 */
#ifndef HB_CRYPTO_CRYPTO_H
#define HB_CRYPTO_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Opaque handles (declared here so that prototypes below share one file-scope type). */
struct crypto_ctx;
struct crypto_aead;
struct crypto_hp;

/* Error codes. The caller's action is given per function. */
enum crypto_err {
	CRYPTO_ERR_NOMEM = -1, /* allocation failed: drop the work, retry later */
	CRYPTO_ERR_INVAL = -2, /* bad argument from the caller (a programming error) */
	CRYPTO_ERR_AUTH = -3,  /* AEAD open failed: the packet is forged or corrupt, drop it */
	CRYPTO_ERR_LIB = -4,   /* libcrypto / ipsec-mb reported a failure */
	CRYPTO_ERR_LIMIT = -5, /* AEAD usage limit reached (RFC 9001 §6.6) */
	CRYPTO_ERR_UNSUPPORTED = -6, /* algorithm or engine not available here */
};

/* Human-readable name of a CRYPTO_ERR_* code (static string). */
const char *crypto_strerror(int err);

/* TLS 1.3 cipher suites usable for QUIC packet protection (RFC 9001 §5). */
enum crypto_suite {
	CRYPTO_SUITE_AES_128_GCM_SHA256 = 0,	   /* 0x1301 */
	CRYPTO_SUITE_AES_256_GCM_SHA384 = 1,	   /* 0x1302 */
	CRYPTO_SUITE_CHACHA20_POLY1305_SHA256 = 2, /* 0x1303 */
	CRYPTO_SUITE_COUNT
};

enum crypto_hash {
	CRYPTO_HASH_SHA256 = 0,
	CRYPTO_HASH_SHA384 = 1,
};

/* Packet-protection engines. AUTO picks ipsec-mb where built in and the CPU has AES-NI. */
enum crypto_engine {
	CRYPTO_ENGINE_AUTO = 0,
	CRYPTO_ENGINE_EVP = 1,
	CRYPTO_ENGINE_IPSEC_MB = 2,
	/* No protection at all (crypto/aead_null.c): exists only in the fuzz-only copy of this
	 * library; everywhere else crypto_engine_available() is false and crypto_ctx_new()
	 * refuses it. */
	CRYPTO_ENGINE_NULL = 3,
};

#define CRYPTO_MAX_SECRET_LEN	  48 /* SHA-384 */
#define CRYPTO_MAX_KEY_LEN	  32
#define CRYPTO_IV_LEN		  12
#define CRYPTO_TAG_LEN		  16
#define CRYPTO_HP_SAMPLE_LEN	  16
#define CRYPTO_HP_MASK_LEN	  5
#define CRYPTO_INITIAL_SECRET_LEN 32

/* QUIC versions with their own Initial salt, labels and Retry keys. */
#define CRYPTO_QUIC_V1 0x00000001u
#define CRYPTO_QUIC_V2 0x6b3343cfu /* RFC 9369 §3.1 */

/* Suite properties. */
enum crypto_hash crypto_suite_hash(enum crypto_suite suite);
size_t crypto_suite_key_len(enum crypto_suite suite);	 /* 16 or 32 */
size_t crypto_suite_secret_len(enum crypto_suite suite); /* 32 or 48 */
uint16_t crypto_suite_tls_id(enum crypto_suite suite);	 /* 0x1301.. */
const char *crypto_suite_name(enum crypto_suite suite);
/* RFC 9001 §6.6: packets that may be sealed under one key, and failed opens allowed. */
uint64_t crypto_suite_confidentiality_limit(enum crypto_suite suite);
uint64_t crypto_suite_integrity_limit(enum crypto_suite suite);

/* Injected randomness: one source for everything that needs random bytes. */
typedef int (*crypto_rand_fn)(void *arg, uint8_t *buf, size_t len);
struct crypto_rand {
	crypto_rand_fn fn;
	void *arg;
};
/* The system source (libcrypto's DRBG). @return 0 or CRYPTO_ERR_LIB. */
int crypto_rand_system(void *arg, uint8_t *buf, size_t len);
/* Fill buf through r (r NULL or r->fn NULL means the system source). */
int crypto_rand_bytes(const struct crypto_rand *r, uint8_t *buf, size_t len);

/*
 * A cache of system random bytes for one thread (a worker): one RAND_bytes() call per
 * CRYPTO_RAND_POOL_LEN bytes instead of one per request, which in OpenSSL 3.0 costs a getpid()
 * system call, DRBG locks and parameter lookups each time (a Retry's CID nonce, a reset's
 * random bits). Bytes are wiped from the cache as they are handed out; requests larger than a
 * quarter of it go to the system source directly. No locks: one owner; not across fork().
 * The size: a RAND_bytes() call costs about 2.5 us before its first byte and little per byte
 * after (measured here: 3.3 ns a byte in 1 KiB calls, 0.5 ns in 16 KiB ones), and a Retry
 * takes 17 bytes, so 16 KiB per worker keeps the cost per Retry under 10 ns.
 */
#define CRYPTO_RAND_POOL_LEN 16384u
struct crypto_rand_pool {
	size_t off;   /* first unused byte of buf; CRYPTO_RAND_POOL_LEN: empty */
	bool private; /* filled from RAND_priv_bytes() (secrets), not RAND_bytes() */
	uint8_t buf[CRYPTO_RAND_POOL_LEN];
};
/* Empty the pool and point r at it (r->fn, r->arg). */
void crypto_rand_pool_init(struct crypto_rand_pool *p, struct crypto_rand *r);
/* The same for secrets (key shares): filled from libcrypto's private DRBG, which is kept
 * apart from the public one that nonces and CIDs come from. */
void crypto_rand_pool_init_private(struct crypto_rand_pool *p, struct crypto_rand *r);
/* Wipe what is left. */
void crypto_rand_pool_fini(struct crypto_rand_pool *p);

/*
 * Per-worker context: fetched algorithms (EVP_CIPHER, EVP_MD, EVP_KDF), pre-keyed HMACs for
 * the v1 and v2 Initial salts, the Retry integrity AEADs, the chosen packet engine and, with
 * ipsec-mb, its manager. Built once at start-up.
 *
 * @param out     the new context
 * @param engine  CRYPTO_ENGINE_AUTO, or a specific engine (CRYPTO_ERR_UNSUPPORTED if absent)
 * @return 0, CRYPTO_ERR_NOMEM, CRYPTO_ERR_LIB, CRYPTO_ERR_UNSUPPORTED
 */
int crypto_ctx_new(struct crypto_ctx **out, enum crypto_engine engine);
void crypto_ctx_free(struct crypto_ctx *ctx);
/* The engine that crypto_ctx_new() settled on (never AUTO). */
enum crypto_engine crypto_ctx_engine(const struct crypto_ctx *ctx);
/* Whether this build and this CPU can run the engine. */
bool crypto_engine_available(enum crypto_engine engine);
const char *crypto_engine_name(enum crypto_engine engine);

/* ---- HKDF (RFC 5869) and HKDF-Expand-Label (RFC 9846 §7.1) ---- */

/* prk receives the hash length (32 or 48 bytes). */
int crypto_hkdf_extract(struct crypto_ctx *ctx, enum crypto_hash hash, const uint8_t *salt,
			size_t salt_len, const uint8_t *ikm, size_t ikm_len, uint8_t *prk);
/*
 * crypto_hkdf_extract() for a salt used again and again, as a stateless reset key is with
 * each CID (RFC 9000 §10.3.2): ctx keeps the keyed HMAC state of the last such salt (up to a
 * hash block), so a repeat costs two hash compressions instead of four. Not for salts that
 * change per call (it would only churn the cache): use crypto_hkdf_extract() for those.
 * Errors as crypto_hkdf_extract(). One thread at a time, like ctx.
 */
int crypto_hkdf_extract_fixed_salt(struct crypto_ctx *ctx, enum crypto_hash hash,
				   const uint8_t *salt, size_t salt_len, const uint8_t *ikm,
				   size_t ikm_len, uint8_t *prk);
int crypto_hkdf_expand(struct crypto_ctx *ctx, enum crypto_hash hash, const uint8_t *prk,
		       size_t prk_len, const uint8_t *info, size_t info_len, uint8_t *out,
		       size_t out_len);
/* label without the "tls13 " prefix, which is added here. */
int crypto_hkdf_expand_label(struct crypto_ctx *ctx, enum crypto_hash hash, const uint8_t *secret,
			     size_t secret_len, const char *label, const uint8_t *context,
			     size_t context_len, uint8_t *out, size_t out_len);

/* ---- QUIC key schedule (RFC 9001 §5, RFC 9369 §3.3) ---- */

/*
 * Initial secrets for a client-chosen DCID: client_in and server_in (32 bytes each).
 * Uses the pre-keyed HMAC of the version's salt (no EVP_KDF on this path).
 * @return 0, CRYPTO_ERR_INVAL (unknown version, dcid_len > 20), CRYPTO_ERR_LIB
 */
int crypto_quic_initial_secrets(struct crypto_ctx *ctx, uint32_t version, const uint8_t *dcid,
				size_t dcid_len, uint8_t client_secret[CRYPTO_INITIAL_SECRET_LEN],
				uint8_t server_secret[CRYPTO_INITIAL_SECRET_LEN]);
/* The same through OpenSSL's EVP_KDF "HKDF", kept as the reference and for the benchmark. */
int crypto_quic_initial_secrets_kdf(struct crypto_ctx *ctx, uint32_t version, const uint8_t *dcid,
				    size_t dcid_len,
				    uint8_t client_secret[CRYPTO_INITIAL_SECRET_LEN],
				    uint8_t server_secret[CRYPTO_INITIAL_SECRET_LEN]);

/* Packet protection key material derived from one traffic secret. */
struct crypto_quic_keys {
	enum crypto_suite suite;
	uint8_t key[CRYPTO_MAX_KEY_LEN]; /* crypto_suite_key_len() bytes */
	uint8_t iv[CRYPTO_IV_LEN];
	uint8_t hp[CRYPTO_MAX_KEY_LEN]; /* crypto_suite_key_len() bytes */
};

/* "quic key"/"quic iv"/"quic hp" (v1) or "quicv2 key"/... (v2). */
int crypto_quic_derive_keys(struct crypto_ctx *ctx, uint32_t version, enum crypto_suite suite,
			    const uint8_t *secret, size_t secret_len, struct crypto_quic_keys *out);
/* Next generation secret: "quic ku" (v1) / "quicv2 ku" (v2), RFC 9001 §6.1. */
int crypto_quic_key_update(struct crypto_ctx *ctx, uint32_t version, enum crypto_suite suite,
			   const uint8_t *secret, size_t secret_len, uint8_t *next_secret);

/* ---- AEAD: one handle per key and direction, contexts expanded once and reused ---- */

/*
 * @param out   new AEAD handle bound to ctx's engine (ctx must outlive it)
 * @param key   crypto_suite_key_len(suite) bytes
 * @param iv    12 bytes; the per-packet nonce is iv XOR the left-padded packet number
 * @return 0, CRYPTO_ERR_NOMEM, CRYPTO_ERR_LIB, CRYPTO_ERR_INVAL
 */
int crypto_aead_new(struct crypto_aead **out, struct crypto_ctx *ctx, enum crypto_suite suite,
		    const uint8_t *key, const uint8_t iv[CRYPTO_IV_LEN]);
void crypto_aead_free(struct crypto_aead *aead);
enum crypto_suite crypto_aead_suite(const struct crypto_aead *aead);

/*
 * Seal in place: data[0..len) is encrypted and a 16-byte tag written at data[len..len+16).
 * Every call that gets past the argument checks counts toward the confidentiality limit: the
 * limit-th packet is sealed, the next call fails.
 * @return 0, CRYPTO_ERR_LIMIT (confidentiality limit reached: update keys first),
 *         CRYPTO_ERR_INVAL (pn above 2^62-1, NULL data, len above 16 MiB), CRYPTO_ERR_LIB
 */
int crypto_aead_seal(struct crypto_aead *aead, uint64_t pn, const uint8_t *aad, size_t aad_len,
		     uint8_t *data, size_t len);
/*
 * Open in place: data[0..len) is ciphertext followed by the tag; on success the plaintext is
 * data[0..len-16). On failure data[0..len-16) holds garbage. An authentication failure counts
 * toward the integrity limit; the failure that reaches it returns CRYPTO_ERR_LIMIT instead of
 * CRYPTO_ERR_AUTH, and so does every later open with this key.
 * @return 0, CRYPTO_ERR_AUTH (drop the packet), CRYPTO_ERR_INVAL (len < 16, pn above 2^62-1),
 *         CRYPTO_ERR_LIMIT (integrity limit reached: close with AEAD_LIMIT_REACHED)
 */
int crypto_aead_open(struct crypto_aead *aead, uint64_t pn, const uint8_t *aad, size_t aad_len,
		     uint8_t *data, size_t len);
/*
 * The same with an explicit 12-byte nonce (tokens, Retry tags); not counted toward the packet
 * limits. The open returns CRYPTO_ERR_AUTH on a bad tag, never CRYPTO_ERR_LIMIT.
 */
int crypto_aead_seal_nonce(struct crypto_aead *aead, const uint8_t nonce[CRYPTO_IV_LEN],
			   const uint8_t *aad, size_t aad_len, uint8_t *data, size_t len);
int crypto_aead_open_nonce(struct crypto_aead *aead, const uint8_t nonce[CRYPTO_IV_LEN],
			   const uint8_t *aad, size_t aad_len, uint8_t *data, size_t len);
/*
 * crypto_aead_open_nonce() from in[0..len) (ciphertext, then the tag), which is left as it
 * was (a token inside a received datagram), into out, which has room for len bytes: the
 * plaintext is out[0..len-16). Cheaper than copying in first: the short-message GCM
 * (crypto_gcm_short_available()) reads in and writes out in one pass.
 */
int crypto_aead_open_nonce_copy(struct crypto_aead *aead, const uint8_t nonce[CRYPTO_IV_LEN],
				const uint8_t *aad, size_t aad_len, const uint8_t *in, size_t len,
				uint8_t *out);

/* Usage counters toward RFC 9001 §6.6 limits. */
uint64_t crypto_aead_sealed(const struct crypto_aead *aead);
uint64_t crypto_aead_open_failures(const struct crypto_aead *aead);
/*
 * Tests only: set the usage counters so that the RFC 9001 §6.6 limits can be reached without
 * sealing 2^23 packets. Never call this on a live connection's keys.
 */
void crypto_aead_set_counters_for_test(struct crypto_aead *aead, uint64_t sealed,
				       uint64_t open_failures);

/* One packet in a burst. status receives 0 or a CRYPTO_ERR_* code. */
struct crypto_aead_op {
	struct crypto_aead *aead;
	uint64_t pn;
	const uint8_t *aad;
	size_t aad_len;
	uint8_t *data; /* seal: plaintext + 16 bytes room; open: ciphertext + tag */
	size_t len;    /* seal: plaintext length; open: ciphertext + tag length */
	int status;
};

/*
 * Seal or open n packets, each with its own handle, in one call (the ipsec-mb engine submits
 * them as one burst of jobs). Packets are independent: one failure does not stop the others,
 * and each op's status is what the single call would have returned. Handles of different
 * contexts and engines may be mixed. A handle may appear several times; its limits are
 * checked op by op.
 * @return the number of ops whose status is 0
 */
unsigned crypto_aead_seal_burst(struct crypto_aead_op *ops, unsigned n);
unsigned crypto_aead_open_burst(struct crypto_aead_op *ops, unsigned n);

/*
 * Plaintext of a seal op that is not in its data yet: data[at .. at + len[0] + len[1]) is
 * to be read from src[0][0..len[0]) then src[1][0..len[1]) (a STREAM frame's bytes still in
 * the stream's send buffer). len[0] + len[1] == 0: nothing of the op is elsewhere.
 */
struct crypto_aead_src {
	const uint8_t *src[2];
	size_t len[2];
	size_t at;
};

/*
 * crypto_aead_seal_burst() with src[i] describing op i's plaintext held elsewhere (src NULL:
 * none anywhere). The ciphertext is what sealing data with the pieces copied in at at would
 * give; an engine that can reads the pieces itself (ipsec-mb AES-GCM: one copy of the
 * payload fewer), the others get them copied in first. An op whose pieces do not lie
 * within data[0..len) gets CRYPTO_ERR_INVAL.
 */
unsigned crypto_aead_seal_burst_src(struct crypto_aead_op *ops, const struct crypto_aead_src *src,
				    unsigned n);

/* ---- Header protection (RFC 9001 §5.4) ---- */

int crypto_hp_new(struct crypto_hp **out, struct crypto_ctx *ctx, enum crypto_suite suite,
		  const uint8_t *hp_key);
void crypto_hp_free(struct crypto_hp *hp);
/* mask[0..5) from the 16-byte sample (AES-ECB, or ChaCha20 per §5.4.4). */
int crypto_hp_mask(struct crypto_hp *hp, const uint8_t sample[CRYPTO_HP_SAMPLE_LEN],
		   uint8_t mask[CRYPTO_HP_MASK_LEN]);

struct crypto_hp_op {
	struct crypto_hp *hp;
	const uint8_t *sample; /* 16 bytes */
	uint8_t mask[CRYPTO_HP_MASK_LEN];
};
/*
 * n masks in one call: consecutive ops sharing a handle are computed as one AES-ECB over the
 * concatenated samples.
 * @return 0, CRYPTO_ERR_INVAL (an op without handle or sample; nothing computed) or
 *         CRYPTO_ERR_LIB (all masks then undefined)
 */
int crypto_hp_mask_burst(struct crypto_hp_op *ops, unsigned n);

/* ---- Retry integrity tag (RFC 9001 §5.8, RFC 9369 §3.3.3) ---- */

/*
 * Tag over the Retry pseudo-packet: ODCID length, ODCID, then the Retry packet without its tag.
 * @param pseudo      the pseudo-packet bytes
 * @return 0, CRYPTO_ERR_INVAL (unknown version), CRYPTO_ERR_LIB
 */
int crypto_retry_tag(struct crypto_ctx *ctx, uint32_t version, const uint8_t *pseudo,
		     size_t pseudo_len, uint8_t tag[CRYPTO_TAG_LEN]);
/* Constant-time check of a received tag. @return 0 or CRYPTO_ERR_AUTH */
int crypto_retry_verify(struct crypto_ctx *ctx, uint32_t version, const uint8_t *pseudo,
			size_t pseudo_len, const uint8_t tag[CRYPTO_TAG_LEN]);

/* ---- Address-validation tokens: AES-128-GCM with explicit nonces ---- */

/* A token key is an AES-128-GCM handle; seal/open with crypto_aead_*_nonce(). */
int crypto_token_key_new(struct crypto_aead **out, struct crypto_ctx *ctx, const uint8_t key[16]);

/*
 * Token keys and Retry tags use a short-message AES-128-GCM (crypto/gcm_short.c) over the
 * context's engine when this build and CPU can run it (the default then). Off: they use the
 * context's engine. For benchmarks and tests comparing the two; applies to token keys made
 * afterwards and to every Retry tag. @return 0, or CRYPTO_ERR_UNSUPPORTED (on, not available)
 */
bool crypto_gcm_short_available(void);
int crypto_ctx_use_gcm_short(struct crypto_ctx *ctx, bool on);

/* ---- Misc ---- */

/* Constant-time comparison: 0 when equal. */
int crypto_memcmp_ct(const void *a, const void *b, size_t len);
/* Clear secret memory in a way the compiler cannot drop. */
void crypto_wipe(void *p, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* HB_CRYPTO_CRYPTO_H */
