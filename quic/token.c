/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Address-validation tokens in the shared-state format of draft-ietf-quic-retry-offload, key
 * sets, lockless rotation with quiescent-state reclamation, the key file and the NEW_TOKEN
 * replay set. The format, the time rules and the threading contract are in quic/token.h.
 *
 * Rotation, in short: workers reach the current key set through d->current (one atomic
 * pointer). The control thread swaps in a new set, bumps d->epoch and keeps the old set on a
 * retired list stamped with the new epoch. Each worker, at the end of every burst, stores the
 * epoch it sees into its slot; a retired set is freed once every online slot holds an epoch
 * at least its stamp: by then no worker can still hold a pointer to it. The worker copies
 * what it needs of a set (and builds its own AES handles, since a crypto context and its
 * handles belong to one thread) when it first sees it, so sealing and opening never touch
 * shared memory.
 */
#include <endian.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <crypto/crypto.h>
#include <quic/error.h>
#include <quic/token.h>
#include <quic/varint.h>

#define NS_PER_S	 UINT64_C(1000000000)
#define KEYFILE_LINE_MAX 512
#define MAX_WORKERS	 1024
#define REPLAY_WAYS	 4
#define AAD_MAX		 (16 + 1 + QUIC_TOKEN_UTN_LEN + 1 + QUIC_CID_LEN_MAX)
#define ODCID_MIN	 8 /* RFC 9000 §7.2; draft-ietf-quic-retry-offload: ODCIL 8..20 */

struct quic_token_keyset {
	size_t n;
	/* Oldest first; the last one seals. */
	struct quic_token_key keys[QUIC_TOKEN_MAX_KEYS];
	uint64_t gen;			/* set when published; 0 before */
	uint64_t retire_epoch;		/* control thread only */
	struct quic_token_keyset *next; /* retired list, control thread only */
};

/* One worker's quiescent-state report, alone on its cache line. */
struct token_slot {
	alignas(64) _Atomic uint64_t seen; /* epoch seen at the last quiescent point; 0: offline */
	bool claimed;			   /* set before the workers start */
};

struct quic_token_domain {
	alignas(64) _Atomic(struct quic_token_keyset *) current;
	alignas(64) _Atomic uint64_t epoch; /* starts at 1, so that 0 can mean "offline" */
	alignas(64) uint64_t next_gen;	    /* the fields below: control thread only */
	struct quic_token_keyset *retired;
	unsigned n_slots;
	struct token_slot *slots;
};

/* A key as one worker holds it: a copy, with the worker's own AES-GCM handle. */
struct wkey {
	uint8_t seq;
	uint32_t id; /* unique within the worker, never 0: replay entries name their key by it */
	uint8_t key[QUIC_TOKEN_KEY_LEN];
	uint8_t iv[QUIC_TOKEN_IV_LEN];
	struct crypto_aead *aead;
};

/* A NEW_TOKEN token seen valid: its number, its key, until when it matters, its attempt. */
struct replay_entry {
	uint8_t utn[QUIC_TOKEN_UTN_LEN];
	uint32_t key_id;  /* 0: empty */
	uint64_t until_s; /* Timestamp + grace: after that the token is refused as expired */
	uint64_t attempt; /* keyed hash of the DCID and port it came with */
	uint32_t stamp;	  /* insertion order, for eviction */
};

struct quic_token_worker {
	struct quic_token_domain *d;
	struct token_slot *slot;
	struct crypto_ctx *ctx;
	struct quic_token_config cfg;
	unsigned depth;
	bool online;
	uint64_t gen; /* generation of the keys below; 0: none yet */
	size_t n_keys;
	struct wkey keys[QUIC_TOKEN_MAX_KEYS]; /* oldest first; the last seals */
	uint32_t next_key_id;
	uint64_t counter;
	uint8_t hash_key[16];
	struct replay_entry *replay;
	uint32_t replay_mask;  /* buckets - 1 */
	uint32_t replay_stamp; /* next insertion stamp */
	struct quic_token_stats stats;
};

/* The parsed fields of a token, pointing into the caller's token or our plaintext copy. */
struct token_view {
	enum quic_token_kind kind;
	uint8_t first;
	const uint8_t *utn;
	const struct wkey *key;
	uint64_t expiry_s;
	uint8_t odcid_len;
	const uint8_t *odcid;
	uint16_t port;
};

/* ---- Names ---- */

const char *
quic_token_status_name(enum quic_token_status s)
{
	static const char *const names[QUIC_TOKEN_STATUS_COUNT] = {
		[QUIC_TOKEN_OK] = "ok",
		[QUIC_TOKEN_TRUNCATED] = "truncated",
		[QUIC_TOKEN_OVERSIZED] = "oversized",
		[QUIC_TOKEN_WRONG_KIND] = "wrong kind",
		[QUIC_TOKEN_UNKNOWN_KEY] = "unknown key",
		[QUIC_TOKEN_AUTH] = "authentication failed",
		[QUIC_TOKEN_MALFORMED] = "malformed body",
		[QUIC_TOKEN_EXPIRED] = "expired",
		[QUIC_TOKEN_FUTURE] = "from the future",
		[QUIC_TOKEN_PORT] = "another port",
		[QUIC_TOKEN_REPLAY] = "replayed",
		[QUIC_TOKEN_NO_KEYS] = "no keys",
	};

	return (unsigned)s < QUIC_TOKEN_STATUS_COUNT ? names[s] : "unknown";
}

const char *
quic_keyfile_strerror(enum quic_keyfile_err err)
{
	switch (err) {
	case QUIC_KEYFILE_OK:
		return "ok";
	case QUIC_KEYFILE_SYNTAX:
		return "expected \"<seq> <key> <iv>\"";
	case QUIC_KEYFILE_SEQ:
		return "sequence number is not 0..127";
	case QUIC_KEYFILE_KEY:
		return "key is not 32 hex digits";
	case QUIC_KEYFILE_IV:
		return "iv is not 24 hex digits";
	case QUIC_KEYFILE_DUPLICATE:
		return "sequence number used twice";
	case QUIC_KEYFILE_TOO_MANY:
		return "more than 4 keys";
	case QUIC_KEYFILE_NO_KEYS:
		return "no key";
	case QUIC_KEYFILE_SPREAD:
		return "sequence numbers more than 63 apart";
	case QUIC_KEYFILE_LINE_LONG:
		return "line longer than 512 bytes";
	}
	return "unknown";
}

/* ---- SipHash-2-4 (Aumasson and Bernstein, 2012), for the replay set ---- */

static inline uint64_t
rotl64(uint64_t x, unsigned b)
{
	return (x << b) | (x >> (64 - b));
}

static inline uint64_t
load_le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static inline void
sip_round(uint64_t v[4])
{
	v[0] += v[1];
	v[1] = rotl64(v[1], 13) ^ v[0];
	v[0] = rotl64(v[0], 32);
	v[2] += v[3];
	v[3] = rotl64(v[3], 16) ^ v[2];
	v[0] += v[3];
	v[3] = rotl64(v[3], 21) ^ v[0];
	v[2] += v[1];
	v[1] = rotl64(v[1], 17) ^ v[2];
	v[2] = rotl64(v[2], 32);
}

static void
sip_absorb(uint64_t v[4], uint64_t m)
{
	v[3] ^= m;
	sip_round(v);
	sip_round(v);
	v[0] ^= m;
}

static uint64_t
siphash24(const uint8_t key[16], const uint8_t *m, size_t len)
{
	uint64_t k0 = load_le64(key), k1 = load_le64(key + 8);
	uint64_t v[4] = {k0 ^ UINT64_C(0x736f6d6570736575), k1 ^ UINT64_C(0x646f72616e646f6d),
			 k0 ^ UINT64_C(0x6c7967656e657261), k1 ^ UINT64_C(0x7465646279746573)};
	uint64_t last = (uint64_t)len << 56;
	size_t i;

	for (i = 0; i + 8 <= len; i += 8)
		sip_absorb(v, load_le64(m + i));
	for (size_t j = 0; i + j < len; j++)
		last |= (uint64_t)m[i + j] << (8 * j);
	sip_absorb(v, last);
	v[2] ^= 0xff;
	for (i = 0; i < 4; i++)
		sip_round(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}

/* ---- Key sets ---- */

/* Serial-number order modulo 128 (RFC 1982): a is newer than b by 1..63. */
static bool
seq_newer(uint8_t a, uint8_t b)
{
	unsigned diff = (unsigned)(a - b) & QUIC_TOKEN_SEQ_MAX;

	return diff >= 1 && diff <= 63;
}

/* Index of the key every other key precedes, or -1 when there is none (or a duplicate). */
static int
newest_key(const struct quic_token_key *keys, size_t n)
{
	for (size_t c = 0; c < n; c++) {
		size_t j;

		for (j = 0; j < n; j++)
			if (j != c && !seq_newer(keys[c].seq, keys[j].seq))
				break;
		if (j == n)
			return (int)c;
	}
	return -1;
}

int
quic_token_keyset_new(struct quic_token_keyset **out, const struct quic_token_key *keys, size_t n)
{
	struct quic_token_keyset *ks;
	int cur;

	if (out == NULL)
		return QUIC_ERR_INVAL;
	*out = NULL;
	if (keys == NULL || n == 0 || n > QUIC_TOKEN_MAX_KEYS)
		return QUIC_ERR_INVAL;
	for (size_t i = 0; i < n; i++)
		if (keys[i].seq > QUIC_TOKEN_SEQ_MAX)
			return QUIC_ERR_INVAL;
	cur = newest_key(keys, n);
	if (cur < 0)
		return QUIC_ERR_INVAL;
	ks = calloc(1, sizeof(*ks));
	if (ks == NULL)
		return QUIC_ERR_NOMEM;
	/* Oldest first: by distance behind the newest key, largest first (insertion sort). */
	for (size_t i = 0; i < n; i++) {
		unsigned age = (unsigned)(keys[cur].seq - keys[i].seq) & QUIC_TOKEN_SEQ_MAX;
		size_t at = ks->n;

		while (at > 0 && ((unsigned)(keys[cur].seq - ks->keys[at - 1].seq) &
				  QUIC_TOKEN_SEQ_MAX) < age) {
			ks->keys[at] = ks->keys[at - 1];
			at--;
		}
		ks->keys[at] = keys[i];
		ks->n++;
	}
	*out = ks;
	return 0;
}

void
quic_token_keyset_free(struct quic_token_keyset *ks)
{
	if (ks == NULL)
		return;
	crypto_wipe(ks, sizeof(*ks));
	free(ks);
}

size_t
quic_token_keyset_count(const struct quic_token_keyset *ks)
{
	return ks->n;
}

uint8_t
quic_token_keyset_current(const struct quic_token_keyset *ks)
{
	return ks->keys[ks->n - 1].seq;
}

const struct quic_token_key *
quic_token_keyset_key(const struct quic_token_keyset *ks, size_t i)
{
	return i < ks->n ? &ks->keys[i] : NULL;
}

/* ---- Key file ---- */

static int
hex_nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Exactly 2 * n hex digits into out[0..n). */
static bool
hex_field(const char *s, size_t len, uint8_t *out, size_t n)
{
	if (len != 2 * n)
		return false;
	for (size_t i = 0; i < n; i++) {
		int hi = hex_nibble(s[2 * i]), lo = hex_nibble(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return false;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

static bool
seq_field(const char *s, size_t len, uint8_t *seq)
{
	unsigned v = 0;

	if (len == 0 || len > 3)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v > QUIC_TOKEN_SEQ_MAX)
		return false;
	*seq = (uint8_t)v;
	return true;
}

struct field {
	const char *p;
	size_t len;
};

/* Split a line (comment cut off) into at most 4 blank-separated fields; returns the count. */
static size_t
split_fields(const char *s, size_t len, struct field f[4])
{
	size_t n = 0, i = 0;

	while (i < len && n < 4) {
		size_t start;

		while (i < len && (s[i] == ' ' || s[i] == '\t'))
			i++;
		if (i == len)
			break;
		start = i;
		while (i < len && s[i] != ' ' && s[i] != '\t')
			i++;
		f[n].p = s + start;
		f[n].len = i - start;
		n++;
	}
	return n;
}

/* One line: 0 with *have = false (blank or comment), or with a key; or a QUIC_KEYFILE_* code. */
static enum quic_keyfile_err
parse_line(const char *s, size_t len, struct quic_token_key *k, bool *have)
{
	struct field f[4];
	const char *hash;
	size_t n;

	*have = false;
	if (memchr(s, '\0', len) != NULL)
		return QUIC_KEYFILE_SYNTAX;
	if (len > 0 && s[len - 1] == '\r')
		len--;
	hash = memchr(s, '#', len);
	if (hash != NULL)
		len = (size_t)(hash - s);
	n = split_fields(s, len, f);
	if (n == 0)
		return QUIC_KEYFILE_OK;
	if (n != 3)
		return QUIC_KEYFILE_SYNTAX;
	if (!seq_field(f[0].p, f[0].len, &k->seq))
		return QUIC_KEYFILE_SEQ;
	if (!hex_field(f[1].p, f[1].len, k->key, QUIC_TOKEN_KEY_LEN))
		return QUIC_KEYFILE_KEY;
	if (!hex_field(f[2].p, f[2].len, k->iv, QUIC_TOKEN_IV_LEN))
		return QUIC_KEYFILE_IV;
	*have = true;
	return QUIC_KEYFILE_OK;
}

/* Add a parsed key to keys[0..*n) unless the set is full or its number is taken. */
static enum quic_keyfile_err
add_key(struct quic_token_key *keys, size_t *n, const struct quic_token_key *k)
{
	if (*n == QUIC_TOKEN_MAX_KEYS)
		return QUIC_KEYFILE_TOO_MANY;
	for (size_t i = 0; i < *n; i++)
		if (keys[i].seq == k->seq)
			return QUIC_KEYFILE_DUPLICATE;
	keys[(*n)++] = *k;
	return QUIC_KEYFILE_OK;
}

/* Walk the lines; on error *line is where it is. */
static enum quic_keyfile_err
parse_lines(const char *text, size_t len, struct quic_token_key *keys, size_t *n, unsigned *line)
{
	size_t pos = 0;

	*line = 0;
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t l = nl != NULL ? (size_t)(nl - (text + pos)) : len - pos;
		struct quic_token_key k;
		enum quic_keyfile_err e;
		bool have;

		(*line)++;
		if (l > KEYFILE_LINE_MAX)
			return QUIC_KEYFILE_LINE_LONG;
		e = parse_line(text + pos, l, &k, &have);
		if (e == QUIC_KEYFILE_OK && have)
			e = add_key(keys, n, &k);
		crypto_wipe(&k, sizeof(k));
		if (e != QUIC_KEYFILE_OK)
			return e;
		pos += l + 1;
	}
	return *n == 0 ? QUIC_KEYFILE_NO_KEYS : QUIC_KEYFILE_OK;
}

int
quic_token_keyfile_parse(struct quic_token_keyset **out, const char *text, size_t len,
			 struct quic_keyfile_error *err)
{
	struct quic_token_key keys[QUIC_TOKEN_MAX_KEYS];
	struct quic_keyfile_error e = {0, QUIC_KEYFILE_OK};
	size_t n = 0;
	int rc;

	if (out == NULL || (text == NULL && len > 0))
		return QUIC_ERR_INVAL;
	*out = NULL;
	e.err = parse_lines(text, len, keys, &n, &e.line);
	if (e.err == QUIC_KEYFILE_NO_KEYS && e.line == 0)
		e.line = 1;
	rc = e.err == QUIC_KEYFILE_OK ? quic_token_keyset_new(out, keys, n) : QUIC_ERR_MALFORMED;
	if (rc == QUIC_ERR_INVAL) {
		/* Numbers are 0..127 and distinct by now: only the spread can be wrong. */
		e.err = QUIC_KEYFILE_SPREAD;
		rc = QUIC_ERR_MALFORMED;
	}
	crypto_wipe(keys, sizeof(keys));
	if (err != NULL)
		*err = e;
	return rc;
}

static bool
put_key_line(char *buf, size_t cap, size_t *pos, const struct quic_token_key *k)
{
	static const char hex[] = "0123456789abcdef";
	char key[2 * QUIC_TOKEN_KEY_LEN + 1], iv[2 * QUIC_TOKEN_IV_LEN + 1];
	int n;

	for (size_t i = 0; i < QUIC_TOKEN_KEY_LEN; i++) {
		key[2 * i] = hex[k->key[i] >> 4];
		key[2 * i + 1] = hex[k->key[i] & 15];
	}
	key[sizeof(key) - 1] = '\0';
	for (size_t i = 0; i < QUIC_TOKEN_IV_LEN; i++) {
		iv[2 * i] = hex[k->iv[i] >> 4];
		iv[2 * i + 1] = hex[k->iv[i] & 15];
	}
	iv[sizeof(iv) - 1] = '\0';
	n = snprintf(buf + *pos, cap - *pos, "%u %s %s\n", k->seq, key, iv);
	crypto_wipe(key, sizeof(key));
	crypto_wipe(iv, sizeof(iv));
	if (n < 0 || (size_t)n >= cap - *pos)
		return false;
	*pos += (size_t)n;
	return true;
}

int
quic_token_keyfile_write(const struct quic_token_keyset *prev, const struct crypto_rand *rand,
			 char *buf, size_t cap, size_t *out_len)
{
	static const char head[] = "# Hayabusa token keys (draft-ietf-quic-retry-offload)\n"
				   "# <seq 0-127> <key: 32 hex> <iv: 24 hex>; the newest seals\n";
	struct quic_token_key k;
	size_t pos, first = 0;
	bool ok = true;

	if (buf == NULL || out_len == NULL)
		return QUIC_ERR_INVAL;
	if (cap < sizeof(head))
		return QUIC_ERR_BUFFER;
	memcpy(buf, head, sizeof(head));
	pos = sizeof(head) - 1;
	k.seq = prev != NULL ? (uint8_t)((quic_token_keyset_current(prev) + 1) & 127) : 0;
	if (prev != NULL && prev->n == QUIC_TOKEN_MAX_KEYS)
		first = 1;
	for (size_t i = first; prev != NULL && i < prev->n && ok; i++)
		if (seq_newer(k.seq, prev->keys[i].seq))
			ok = put_key_line(buf, cap, &pos, &prev->keys[i]);
	if (crypto_rand_bytes(rand, k.key, sizeof(k.key)) != 0 ||
	    crypto_rand_bytes(rand, k.iv, sizeof(k.iv)) != 0) {
		crypto_wipe(buf, cap);
		return QUIC_ERR_CRYPTO;
	}
	ok = ok && put_key_line(buf, cap, &pos, &k);
	crypto_wipe(&k, sizeof(k));
	if (!ok) {
		crypto_wipe(buf, cap);
		return QUIC_ERR_BUFFER;
	}
	*out_len = pos;
	return 0;
}

/* ---- Domain ---- */

int
quic_token_domain_new(struct quic_token_domain **out, unsigned n_workers)
{
	struct quic_token_domain *d;
	size_t size = (sizeof(*d) + 63) & ~(size_t)63;

	if (out == NULL)
		return QUIC_ERR_INVAL;
	*out = NULL;
	if (n_workers == 0 || n_workers > MAX_WORKERS)
		return QUIC_ERR_INVAL;
	d = aligned_alloc(64, size);
	if (d == NULL)
		return QUIC_ERR_NOMEM;
	memset(d, 0, size);
	d->slots = aligned_alloc(64, n_workers * sizeof(*d->slots));
	if (d->slots == NULL) {
		free(d);
		return QUIC_ERR_NOMEM;
	}
	memset(d->slots, 0, n_workers * sizeof(*d->slots));
	d->n_slots = n_workers;
	atomic_init(&d->current, NULL);
	atomic_init(&d->epoch, 1);
	for (unsigned i = 0; i < n_workers; i++)
		atomic_init(&d->slots[i].seen, 0);
	*out = d;
	return 0;
}

void
quic_token_domain_free(struct quic_token_domain *d)
{
	struct quic_token_keyset *ks;

	if (d == NULL)
		return;
	/* No worker runs any more: a relaxed load sees the last store of this thread. */
	quic_token_keyset_free(atomic_load_explicit(&d->current, memory_order_relaxed));
	while ((ks = d->retired) != NULL) {
		d->retired = ks->next;
		quic_token_keyset_free(ks);
	}
	free(d->slots);
	free(d);
}

int
quic_token_domain_publish(struct quic_token_domain *d, struct quic_token_keyset *ks)
{
	struct quic_token_keyset *old;
	uint64_t epoch;

	if (d == NULL || ks == NULL || ks->gen != 0)
		return QUIC_ERR_INVAL;
	ks->gen = ++d->next_gen;
	/* Pairs with the loads of d->current in worker_enter(): the set's contents, written
	 * above and before the call, are visible to a worker that loads the pointer. seq_cst
	 * (not just release) for the online handshake of worker_online(). */
	old = atomic_exchange_explicit(&d->current, ks, memory_order_seq_cst);
	/* Pairs with the loads of d->epoch in worker_exit() and worker_online(): a worker that
	 * sees this epoch also sees the exchange above, so its next enter loads the new set. */
	epoch = atomic_fetch_add_explicit(&d->epoch, 1, memory_order_seq_cst) + 1;
	if (old != NULL) {
		old->retire_epoch = epoch;
		old->next = d->retired;
		d->retired = old;
	}
	quic_token_domain_reclaim(d);
	return 0;
}

/* The oldest epoch an online worker may still be reading under; UINT64_MAX when none. */
static uint64_t
oldest_reader(const struct quic_token_domain *d)
{
	uint64_t min = UINT64_MAX;

	for (unsigned i = 0; i < d->n_slots; i++) {
		/* Pairs with the release store in worker_exit() (everything the worker read in
		 * its burst happens before our free) and, seq_cst, with the store in
		 * worker_online() (see there). */
		uint64_t seen = atomic_load_explicit(&d->slots[i].seen, memory_order_seq_cst);

		if (seen != 0 && seen < min)
			min = seen;
	}
	return min;
}

size_t
quic_token_domain_reclaim(struct quic_token_domain *d)
{
	struct quic_token_keyset **pp, *ks;
	uint64_t min;
	size_t left = 0;

	if (d == NULL || d->retired == NULL)
		return 0;
	min = oldest_reader(d);
	pp = &d->retired;
	while ((ks = *pp) != NULL) {
		if (ks->retire_epoch <= min) {
			*pp = ks->next;
			quic_token_keyset_free(ks);
		} else {
			pp = &ks->next;
			left++;
		}
	}
	return left;
}

/* ---- Worker state ---- */

void
quic_token_config_default(struct quic_token_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->retry_lifetime_s = QUIC_TOKEN_RETRY_LIFETIME_S;
	cfg->new_token_lifetime_s = QUIC_TOKEN_NEW_LIFETIME_S;
	cfg->grace_s = QUIC_TOKEN_GRACE_S;
	cfg->replay_entries = QUIC_TOKEN_REPLAY_DEFAULT;
}

static bool
config_ok(const struct quic_token_config *c)
{
	uint32_t r = c->replay_entries;

	return c->retry_lifetime_s >= 1 && c->retry_lifetime_s <= QUIC_TOKEN_LIFETIME_MAX_S &&
	       c->new_token_lifetime_s >= 1 &&
	       c->new_token_lifetime_s <= QUIC_TOKEN_LIFETIME_MAX_S &&
	       c->grace_s <= QUIC_TOKEN_LIFETIME_MAX_S &&
	       (r == 0 || (r >= REPLAY_WAYS && r <= QUIC_TOKEN_REPLAY_MAX && (r & (r - 1)) == 0));
}

/* Counter start and replay hash key from the CSPRNG (see quic/token.h, "Nonces"). */
static int
worker_seed(struct quic_token_worker *w, const struct crypto_rand *rand)
{
	uint8_t b[8];

	if (crypto_rand_bytes(rand, b, sizeof(b)) != 0 ||
	    crypto_rand_bytes(rand, w->hash_key, sizeof(w->hash_key)) != 0)
		return QUIC_ERR_CRYPTO;
	w->counter = load_le64(b) >> 2;
	crypto_wipe(b, sizeof(b));
	return 0;
}

int
quic_token_worker_new(struct quic_token_worker **out, struct quic_token_domain *d, unsigned index,
		      const struct quic_token_config *cfg, struct crypto_ctx *ctx,
		      const struct crypto_rand *rand)
{
	struct quic_token_worker *w;
	uint32_t entries;
	int rc;

	if (out == NULL)
		return QUIC_ERR_INVAL;
	*out = NULL;
	if (d == NULL || cfg == NULL || ctx == NULL || !config_ok(cfg) || index >= d->n_slots ||
	    d->slots[index].claimed)
		return QUIC_ERR_INVAL;
	w = calloc(1, sizeof(*w));
	if (w == NULL)
		return QUIC_ERR_NOMEM;
	w->cfg = *cfg;
	entries = cfg->replay_entries != 0 ? cfg->replay_entries : QUIC_TOKEN_REPLAY_DEFAULT;
	w->cfg.replay_entries = entries;
	w->replay = calloc(entries, sizeof(*w->replay));
	rc = w->replay == NULL ? QUIC_ERR_NOMEM : worker_seed(w, rand);
	if (rc != 0) {
		free(w->replay);
		free(w);
		return rc;
	}
	w->replay_mask = entries / REPLAY_WAYS - 1;
	w->d = d;
	w->slot = &d->slots[index];
	w->slot->claimed = true;
	w->ctx = ctx;
	*out = w;
	return 0;
}

static void
wkey_drop(struct wkey *k)
{
	crypto_aead_free(k->aead);
	crypto_wipe(k, sizeof(*k));
}

void
quic_token_worker_free(struct quic_token_worker *w)
{
	if (w == NULL)
		return;
	if (w->online)
		quic_token_worker_offline(w);
	w->slot->claimed = false;
	for (size_t i = 0; i < w->n_keys; i++)
		wkey_drop(&w->keys[i]);
	free(w->replay);
	crypto_wipe(w, sizeof(*w));
	free(w);
}

/* The cached key that is exactly k (same number, key and IV), or NULL. */
static struct wkey *
cached_key(struct quic_token_worker *w, const struct quic_token_key *k)
{
	for (size_t i = 0; i < w->n_keys; i++) {
		struct wkey *c = &w->keys[i];

		if (c->seq == k->seq && crypto_memcmp_ct(c->key, k->key, sizeof(c->key)) == 0 &&
		    crypto_memcmp_ct(c->iv, k->iv, sizeof(c->iv)) == 0)
			return c;
	}
	return NULL;
}

/* Build fresh[] for ks: keys already held are carried over, new ones get a handle. */
static int
build_keys(struct quic_token_worker *w, const struct quic_token_keyset *ks,
	   struct wkey fresh[QUIC_TOKEN_MAX_KEYS], bool made[QUIC_TOKEN_MAX_KEYS])
{
	for (size_t i = 0; i < ks->n; i++) {
		const struct quic_token_key *k = &ks->keys[i];
		struct wkey *c = cached_key(w, k);

		made[i] = c == NULL;
		if (c != NULL) {
			fresh[i] = *c;
			continue;
		}
		fresh[i].seq = k->seq;
		if (++w->next_key_id == 0)
			w->next_key_id = 1;
		fresh[i].id = w->next_key_id;
		memcpy(fresh[i].key, k->key, sizeof(k->key));
		memcpy(fresh[i].iv, k->iv, sizeof(k->iv));
		if (crypto_token_key_new(&fresh[i].aead, w->ctx, k->key) != 0)
			return (int)i;
	}
	return -1;
}

/* Take up a newly published set; on failure keep the keys we have and try next time. */
static void
refresh(struct quic_token_worker *w, const struct quic_token_keyset *ks)
{
	struct wkey fresh[QUIC_TOKEN_MAX_KEYS];
	bool made[QUIC_TOKEN_MAX_KEYS];
	int failed;

	memset(fresh, 0, sizeof(fresh));
	failed = build_keys(w, ks, fresh, made);
	if (failed >= 0) {
		for (int i = 0; i <= failed; i++)
			if (made[i])
				wkey_drop(&fresh[i]);
		w->stats.refresh_failures++;
		crypto_wipe(fresh, sizeof(fresh));
		return;
	}
	/* Handles not carried over belong to keys that left the set. */
	for (size_t i = 0; i < w->n_keys; i++) {
		size_t j;

		for (j = 0; j < ks->n; j++)
			if (fresh[j].aead == w->keys[i].aead)
				break;
		if (j == ks->n)
			wkey_drop(&w->keys[i]);
	}
	memcpy(w->keys, fresh, sizeof(fresh));
	w->n_keys = ks->n;
	w->gen = ks->gen;
	w->stats.key_refreshes++;
	crypto_wipe(fresh, sizeof(fresh));
}

/*
 * Come online: publish our slot before looking at the current set. With seq_cst on both sides
 * (this store and load, the exchange in publish and the load of the slot in oldest_reader()),
 * either the control thread sees our slot and waits for us, or we load the set it installed.
 */
static struct quic_token_keyset *
worker_online(struct quic_token_worker *w)
{
	/* Pairs with the fetch_add in publish. */
	uint64_t e = atomic_load_explicit(&w->d->epoch, memory_order_seq_cst);

	/* Pairs with the seq_cst load of the slot in oldest_reader(). */
	atomic_store_explicit(&w->slot->seen, e, memory_order_seq_cst);
	w->online = true;
	/* Pairs with the exchange in publish. */
	return atomic_load_explicit(&w->d->current, memory_order_seq_cst);
}

void
quic_token_worker_enter(struct quic_token_worker *w)
{
	struct quic_token_keyset *ks;

	if (w->depth++ > 0)
		return;
	if (!w->online)
		ks = worker_online(w);
	else
		/* Pairs with the exchange in publish: the set's contents are visible. */
		ks = atomic_load_explicit(&w->d->current, memory_order_acquire);
	if (ks != NULL && ks->gen != w->gen)
		refresh(w, ks);
}

void
quic_token_worker_exit(struct quic_token_worker *w)
{
	uint64_t e;

	if (w->depth == 0 || --w->depth > 0)
		return;
	/* Pairs with the fetch_add in publish: seeing its epoch means our next enter sees the
	 * set it published. */
	e = atomic_load_explicit(&w->d->epoch, memory_order_acquire);
	/* Pairs with the load in oldest_reader(): every read of a set in this burst happens
	 * before the control thread frees it. */
	atomic_store_explicit(&w->slot->seen, e, memory_order_release);
}

void
quic_token_worker_offline(struct quic_token_worker *w)
{
	if (!w->online || w->depth > 0)
		return;
	/* Pairs with the load in oldest_reader(): our last burst is over, stop waiting for us. */
	atomic_store_explicit(&w->slot->seen, 0, memory_order_release);
	w->online = false;
}

void
quic_token_worker_stats(const struct quic_token_worker *w, struct quic_token_stats *out)
{
	*out = w->stats;
}

/* ---- Sealing ---- */

/* The 16-byte address of the associated data: IPv4-mapped for IPv4 (see quic/token.h). */
static void
canonical_ip(const struct quic_addr *a, uint8_t out[16])
{
	if (a->family == QUIC_AF_INET) {
		memset(out, 0, 10);
		out[10] = 0xff;
		out[11] = 0xff;
		memcpy(out + 12, a->ip, 4);
	} else {
		memcpy(out, a->ip, 16);
	}
}

/* IP || first byte || Unique Token Number || [RSCIL || Retry SCID]; returns its length. */
static size_t
build_aad(uint8_t aad[AAD_MAX], const struct quic_addr *peer, const uint8_t *hdr,
	  const uint8_t *rscid, size_t rscid_len, enum quic_token_kind kind)
{
	size_t n = 16 + 1 + QUIC_TOKEN_UTN_LEN;

	canonical_ip(peer, aad);
	/* In the pieces seal() stores it in (1, 4, 8 bytes), each load forwarded from one store. */
	aad[16] = hdr[0];
	memcpy(aad + 17, hdr + 1, 4);
	memcpy(aad + 21, hdr + 5, 8);
	if (kind == QUIC_TOKEN_RETRY) {
		aad[n++] = (uint8_t)rscid_len;
		memcpy(aad + n, rscid, rscid_len);
		n += rscid_len;
	}
	return n;
}

static void
make_nonce(const uint8_t iv[QUIC_TOKEN_IV_LEN], const uint8_t *utn, uint8_t nonce[CRYPTO_IV_LEN])
{
	for (size_t i = 0; i < CRYPTO_IV_LEN; i++)
		nonce[i] = iv[i] ^ utn[i];
}

/* What a seal needs besides the worker. */
struct seal_args {
	enum quic_token_kind kind;
	const struct quic_addr *peer;
	const uint8_t *odcid;
	size_t odcid_len;
	const uint8_t *rscid;
	size_t rscid_len;
	uint64_t now_ns;
};

/* Bytes write_body() writes. */
static size_t
body_size(const struct seal_args *a)
{
	return 8 + (a->kind == QUIC_TOKEN_RETRY ? 1 + a->odcid_len + 2 : 0) + 1;
}

_Static_assert(QUIC_TOKEN_UTN_LEN == 4 + 8, "the Unique Token Number: worker id, counter");

/*
 * Big-endian stores of whole words. The token is read back right after it is written (nonce,
 * AAD, the seal), and a wider load of bytes stored one by one cannot be forwarded from the
 * store buffer: it waits for the stores to reach the cache.
 */
static inline void
put_be16(uint8_t *p, uint16_t v)
{
	v = htobe16(v);
	memcpy(p, &v, 2);
}

static inline void
put_be32(uint8_t *p, uint32_t v)
{
	v = htobe32(v);
	memcpy(p, &v, 4);
}

static inline void
put_be64(uint8_t *p, uint64_t v)
{
	v = htobe64(v);
	memcpy(p, &v, 8);
}

/* The body in clear, body_size(a) bytes: Timestamp, [ODCIL, ODCID, Port], our opaque byte. */
static void
write_body(const struct quic_token_worker *w, const struct seal_args *a, uint8_t *out)
{
	uint64_t life =
		a->kind == QUIC_TOKEN_RETRY ? w->cfg.retry_lifetime_s : w->cfg.new_token_lifetime_s;

	/* now_ns / 10^9 < 2^35 and life <= QUIC_TOKEN_LIFETIME_MAX_S: no wrap. */
	put_be64(out, a->now_ns / NS_PER_S + life);
	out += 8;
	if (a->kind == QUIC_TOKEN_RETRY) {
		*out++ = (uint8_t)a->odcid_len;
		memcpy(out, a->odcid, a->odcid_len);
		out += a->odcid_len;
		put_be16(out, a->peer->port);
		out += 2;
	}
	*out = (uint8_t)a->kind;
}

static int
seal(struct quic_token_worker *w, const struct seal_args *a, uint8_t *out, size_t cap,
     size_t *out_len)
{
	uint8_t aad[AAD_MAX], nonce[CRYPTO_IV_LEN];
	const size_t hdr = 1 + QUIC_TOKEN_UTN_LEN;
	size_t body_len = body_size(a), aad_len;
	const struct wkey *k;

	if (w->n_keys == 0)
		return QUIC_ERR_CRYPTO;
	if (w->counter == UINT64_MAX)
		return QUIC_ERR_AEAD_LIMIT;
	if (cap < hdr + body_len + CRYPTO_TAG_LEN)
		return QUIC_ERR_BUFFER;
	k = &w->keys[w->n_keys - 1];
	/* First byte, then the Unique Token Number: worker id and counter, big-endian. */
	out[0] = (uint8_t)((a->kind == QUIC_TOKEN_NEW_TOKEN ? 0x80 : 0) | k->seq);
	put_be32(out + 1, w->cfg.worker_id);
	put_be64(out + 5, w->counter);
	/* Spent even if the seal below fails: a number is never offered twice. */
	w->counter++;
	/* The body in clear goes straight where it is sealed in place: no copy to wipe. */
	write_body(w, a, out + hdr);
	make_nonce(k->iv, out + 1, nonce);
	aad_len = build_aad(aad, a->peer, out, a->rscid, a->rscid_len, a->kind);
	if (crypto_aead_seal_nonce(k->aead, nonce, aad, aad_len, out + hdr, body_len) != 0) {
		crypto_wipe(out + hdr, body_len);
		return QUIC_ERR_CRYPTO;
	}
	w->stats.sealed[a->kind]++;
	*out_len = hdr + body_len + CRYPTO_TAG_LEN;
	return 0;
}

static bool
family_ok(const struct quic_addr *a)
{
	return a != NULL && (a->family == QUIC_AF_INET || a->family == QUIC_AF_INET6);
}

int
quic_token_seal_retry(struct quic_token_worker *w, const struct quic_addr *peer,
		      const uint8_t *odcid, size_t odcid_len, const uint8_t *rscid,
		      size_t rscid_len, uint64_t now_ns, uint8_t *out, size_t cap, size_t *out_len)
{
	struct seal_args a = {QUIC_TOKEN_RETRY, peer, odcid, odcid_len, rscid, rscid_len, now_ns};

	if (w == NULL || !family_ok(peer) || odcid == NULL || odcid_len < ODCID_MIN ||
	    odcid_len > QUIC_CID_LEN_MAX || rscid == NULL || rscid_len == 0 ||
	    rscid_len > QUIC_CID_LEN_MAX || out == NULL || out_len == NULL)
		return QUIC_ERR_INVAL;
	return seal(w, &a, out, cap, out_len);
}

int
quic_token_seal_new_token(struct quic_token_worker *w, const struct quic_addr *peer,
			  uint64_t now_ns, uint8_t *out, size_t cap, size_t *out_len)
{
	struct seal_args a = {QUIC_TOKEN_NEW_TOKEN, peer, NULL, 0, NULL, 0, now_ns};

	if (w == NULL || !family_ok(peer) || out == NULL || out_len == NULL)
		return QUIC_ERR_INVAL;
	return seal(w, &a, out, cap, out_len);
}

/* ---- Opening ---- */

static const struct wkey *
find_key(const struct quic_token_worker *w, uint8_t seq)
{
	for (size_t i = 0; i < w->n_keys; i++)
		if (w->keys[i].seq == seq)
			return &w->keys[i];
	return NULL;
}

/* Checks that need no key: length, kind, key number. */
static enum quic_token_status
precheck(const struct quic_token_worker *w, enum quic_token_kind kind, const uint8_t *token,
	 size_t len, struct token_view *v)
{
	if (token == NULL || len == 0)
		return QUIC_TOKEN_TRUNCATED;
	if (len > QUIC_TOKEN_OPEN_MAX)
		return QUIC_TOKEN_OVERSIZED;
	v->kind = quic_token_kind_of(token);
	if (v->kind != kind)
		return QUIC_TOKEN_WRONG_KIND;
	if (len < (kind == QUIC_TOKEN_RETRY ? QUIC_TOKEN_RETRY_MIN_LEN : QUIC_TOKEN_NEW_MIN_LEN))
		return QUIC_TOKEN_TRUNCATED;
	if (w->n_keys == 0)
		return QUIC_TOKEN_NO_KEYS;
	v->first = token[0];
	v->utn = token + 1;
	v->key = find_key(w, token[0] & QUIC_TOKEN_SEQ_MAX);
	return v->key != NULL ? QUIC_TOKEN_OK : QUIC_TOKEN_UNKNOWN_KEY;
}

/* Read the authenticated body (draft-ietf-quic-retry-offload, token body). */
static enum quic_token_status
parse_body(const uint8_t *body, size_t len, struct token_view *v)
{
	struct crypto_rd r;
	uint32_t hi, lo;
	uint8_t opaque;

	crypto_rd_init(&r, body, len);
	crypto_get_u32(&r, &hi);
	crypto_get_u32(&r, &lo);
	v->expiry_s = (uint64_t)hi << 32 | lo;
	if (v->kind == QUIC_TOKEN_RETRY) {
		if (!crypto_get_u8(&r, &v->odcid_len) || v->odcid_len < ODCID_MIN ||
		    v->odcid_len > QUIC_CID_LEN_MAX)
			return QUIC_TOKEN_MALFORMED;
		crypto_get_bytes(&r, v->odcid_len, &v->odcid);
		crypto_get_u16(&r, &v->port);
	}
	if (r.err)
		return QUIC_TOKEN_MALFORMED;
	/* Opaque data: ours starts with the kind; a Retry Offload's is empty (accepted). */
	if (crypto_rd_left(&r) > 0 && (!crypto_get_u8(&r, &opaque) || opaque != v->kind))
		return QUIC_TOKEN_MALFORMED;
	return QUIC_TOKEN_OK;
}

static uint64_t
sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* Expired once now >= Timestamp + grace; from the future beyond lifetime + grace. Written
 * as differences of ordered operands so that nothing wraps. */
static enum quic_token_status
check_time(const struct quic_token_worker *w, const struct token_view *v, uint64_t now_ns)
{
	uint64_t now_s = now_ns / NS_PER_S, grace = w->cfg.grace_s;
	uint64_t life =
		v->kind == QUIC_TOKEN_RETRY ? w->cfg.retry_lifetime_s : w->cfg.new_token_lifetime_s;

	if (now_s >= v->expiry_s && now_s - v->expiry_s >= grace)
		return QUIC_TOKEN_EXPIRED;
	if (v->expiry_s > now_s && v->expiry_s - now_s > sat_add(life, grace))
		return QUIC_TOKEN_FUTURE;
	return QUIC_TOKEN_OK;
}

static bool
key_alive(const struct quic_token_worker *w, uint32_t id)
{
	for (size_t i = 0; i < w->n_keys; i++)
		if (w->keys[i].id == id)
			return true;
	return false;
}

/* Keyed hash of the attempt a NEW_TOKEN token comes with: its DCID and port. */
static uint64_t
attempt_hash(const struct quic_token_worker *w, const uint8_t *dcid, size_t dcid_len, uint16_t port)
{
	uint8_t m[2 + QUIC_CID_LEN_MAX];

	m[0] = (uint8_t)(port >> 8);
	m[1] = (uint8_t)port;
	if (dcid_len > QUIC_CID_LEN_MAX)
		dcid_len = QUIC_CID_LEN_MAX;
	if (dcid_len > 0)
		memcpy(m + 2, dcid, dcid_len);
	return siphash24(w->hash_key, m, 2 + dcid_len);
}

/* Whether entry a was recorded before entry b (stamps wrap; a bucket spans few of them). */
static bool
older(const struct replay_entry *a, const struct replay_entry *b)
{
	return (int32_t)(a->stamp - b->stamp) < 0;
}

/* Record a valid NEW_TOKEN token; REPLAY if it was seen with another attempt. An entry is
 * dead once its token would be refused as expired or its key has left the set; a full bucket
 * evicts the entry recorded first. */
static enum quic_token_status
replay_check(struct quic_token_worker *w, const struct token_view *v, uint64_t attempt,
	     uint64_t now_s)
{
	struct replay_entry *b, *slot = NULL;
	uint64_t h = siphash24(w->hash_key, v->utn - 1, 1 + QUIC_TOKEN_UTN_LEN);

	b = &w->replay[(h & w->replay_mask) * REPLAY_WAYS];
	for (unsigned i = 0; i < REPLAY_WAYS; i++) {
		struct replay_entry *e = &b[i];

		if (e->key_id == 0 || now_s >= e->until_s || !key_alive(w, e->key_id)) {
			e->key_id = 0;
			if (slot == NULL || slot->key_id != 0)
				slot = e;
			continue;
		}
		if (e->key_id == v->key->id && memcmp(e->utn, v->utn, QUIC_TOKEN_UTN_LEN) == 0)
			return e->attempt == attempt ? QUIC_TOKEN_OK : QUIC_TOKEN_REPLAY;
		if (slot == NULL || (slot->key_id != 0 && older(e, slot)))
			slot = e;
	}
	memcpy(slot->utn, v->utn, QUIC_TOKEN_UTN_LEN);
	slot->key_id = v->key->id;
	slot->until_s = sat_add(v->expiry_s, w->cfg.grace_s);
	slot->attempt = attempt;
	slot->stamp = w->replay_stamp++;
	return QUIC_TOKEN_OK;
}

/*
 * memcpy() of a length GCC knows to be small (an ODCID) becomes an inline `rep movs`, whose
 * start-up cost is more than the copy; hiding the bound makes it the library call, which
 * copies a few bytes with two moves.
 */
static inline void
copy_short(void *dst, const void *src, size_t n)
{
	__asm__("" : "+r"(n));
	memcpy(dst, src, n);
}

/* Decrypt the body into plain and check the tag (the datagram is left as it came). */
static enum quic_token_status
decrypt(const struct token_view *v, const uint8_t *token, size_t len, const struct quic_addr *peer,
	const uint8_t *dcid, size_t dcid_len, uint8_t *plain, size_t *plain_len)
{
	uint8_t aad[AAD_MAX], nonce[CRYPTO_IV_LEN];
	size_t hdr = 1 + QUIC_TOKEN_UTN_LEN, aad_len;

	/* A DCID that no Retry of ours can have had as SCID: the tag cannot verify. */
	if (v->kind == QUIC_TOKEN_RETRY && (dcid_len == 0 || dcid_len > QUIC_CID_LEN_MAX))
		return QUIC_TOKEN_AUTH;
	aad_len = build_aad(aad, peer, token, dcid, dcid_len, v->kind);
	make_nonce(v->key->iv, v->utn, nonce);
	if (crypto_aead_open_nonce_copy(v->key->aead, nonce, aad, aad_len, token + hdr, len - hdr,
					plain) != 0)
		return QUIC_TOKEN_AUTH;
	*plain_len = len - hdr - CRYPTO_TAG_LEN;
	return QUIC_TOKEN_OK;
}

static enum quic_token_status
open_token(struct quic_token_worker *w, enum quic_token_kind kind, const uint8_t *token, size_t len,
	   const struct quic_addr *peer, const uint8_t *dcid, size_t dcid_len, uint64_t now_ns,
	   struct quic_token_info *info)
{
	uint8_t plain[QUIC_TOKEN_OPEN_MAX];
	struct token_view v;
	enum quic_token_status st;
	size_t plain_len = 0, touched = 0;

	memset(&v, 0, sizeof(v));
	st = precheck(w, kind, token, len, &v);
	if (st == QUIC_TOKEN_OK) {
		/* At most len bytes of plain are written (precheck: len <= sizeof(plain)). */
		touched = len;
		st = decrypt(&v, token, len, peer, dcid, dcid_len, plain, &plain_len);
	}
	if (st == QUIC_TOKEN_OK)
		st = parse_body(plain, plain_len, &v);
	if (st == QUIC_TOKEN_OK)
		st = check_time(w, &v, now_ns);
	if (st == QUIC_TOKEN_OK && kind == QUIC_TOKEN_RETRY && v.port != peer->port)
		st = QUIC_TOKEN_PORT;
	if (st == QUIC_TOKEN_OK && kind == QUIC_TOKEN_NEW_TOKEN)
		st = replay_check(w, &v, attempt_hash(w, dcid, dcid_len, peer->port),
				  now_ns / NS_PER_S);
	if (st == QUIC_TOKEN_OK && info != NULL) {
		memset(info, 0, sizeof(*info));
		info->kind = kind;
		if (kind == QUIC_TOKEN_RETRY) {
			info->odcid.len = v.odcid_len;
			copy_short(info->odcid.data, v.odcid, v.odcid_len);
		}
	}
	crypto_wipe(plain, touched);
	return st;
}

enum quic_token_status
quic_token_open(struct quic_token_worker *w, enum quic_token_kind kind, const uint8_t *token,
		size_t len, const struct quic_addr *peer, const uint8_t *dcid, size_t dcid_len,
		uint64_t now_ns, struct quic_token_info *info)
{
	enum quic_token_status st;

	if (w == NULL || peer == NULL || (dcid == NULL && dcid_len > 0))
		return QUIC_TOKEN_AUTH;
	st = open_token(w, kind, token, len, peer, dcid, dcid_len, now_ns, info);
	if (st == QUIC_TOKEN_OK)
		w->stats.valid[kind]++;
	else
		w->stats.refused[st]++;
	return st;
}
