/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The stateless front end: per-datagram decisions on a burst, before any connection state.
 * The order of the checks and the actions are in quic/validator.h.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <crypto/crypto.h>
#include <quic/error.h>
#include <quic/frame.h>
#include <quic/packet.h>
#include <quic/validator.h>
#include <quic/varint.h>

#define NS_PER_S	  UINT64_C(1000000000)
#define MIN_DGRAM	  21   /* RFC 9000 §10.3: nothing shorter is a QUIC packet we answer */
#define MIN_INITIAL_DGRAM 1200 /* RFC 9000 §14.1 */
#define MIN_CLIENT_DCID	  8    /* RFC 9000 §7.2 */
#define HDR_LONG	  0x80
#define HDR_FIXED	  0x40
/* A token bucket in units of 10^-9 tokens, refilled from now_ns. */
struct bucket {
	uint64_t level;
	uint64_t cap;
	uint64_t rate; /* tokens per second = 10^-9 tokens per ns */
	uint64_t last_ns;
};

struct quic_validator {
	struct quic_validator_config cfg;
	struct quic_token_worker *tw;
	struct crypto_ctx *ctx;
	/* The injected source; without one, own_pool (crypto_rand_pool: a system call per
	 * kilobyte, not per Retry). */
	struct crypto_rand rand;
	struct crypto_rand_pool own_pool;
	struct bucket vn;
	struct bucket close;
	struct bucket reset;
	struct quic_validator_stats stats;
	/* The verdict quic_conn_accept()'s token callback answers from. */
	bool selected;
	struct quic_addr sel_peer;
	struct quic_vresult sel;
};

/* One datagram being decided, and where its response may go. */
struct vjob {
	struct quic_validator *v;
	const struct quic_dgram *d;
	const struct quic_validator_load *load;
	uint64_t now_ns;
	uint8_t *resp;
	size_t resp_cap;
	size_t *used;
	struct quic_vresult *res;
};

const char *
quic_vdrop_name(enum quic_vdrop d)
{
	static const char *const names[QUIC_VDROP_COUNT] = {
		[QUIC_VDROP_NONE] = "none",
		[QUIC_VDROP_TOO_SHORT] = "too short",
		[QUIC_VDROP_FIXED_BIT] = "fixed bit 0",
		[QUIC_VDROP_VN_RECEIVED] = "version negotiation received",
		[QUIC_VDROP_SMALL_UNKNOWN] = "unknown version, small",
		[QUIC_VDROP_VN_RATE] = "version negotiation rate",
		[QUIC_VDROP_RETRY_RECEIVED] = "retry received",
		[QUIC_VDROP_INITIAL_SMALL] = "initial under 1200 bytes",
		[QUIC_VDROP_BAD_CID_LEN] = "connection ID too long",
		[QUIC_VDROP_BAD_LENGTH] = "length past the datagram",
		[QUIC_VDROP_SHORT_DCID] = "client DCID under 8 bytes",
		[QUIC_VDROP_CLOSE_RATE] = "invalid-token close rate",
		[QUIC_VDROP_NO_ROOM] = "response buffer full",
		[QUIC_VDROP_INTERNAL] = "internal",
	};

	return (unsigned)d < QUIC_VDROP_COUNT ? names[d] : "unknown";
}

void
quic_validator_config_default(struct quic_validator_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->policy = QUIC_RETRY_AUTO;
	cfg->auto_handshakes = 256;
	cfg->auto_initial_rate = 10000;
	cfg->vn_rate = 1000;
	cfg->vn_burst = 64;
	cfg->close_rate = 1000;
	cfg->close_burst = 64;
	cfg->reset_rate = 1000;
	cfg->reset_burst = 64;
	cfg->retry_scid_len = 16;
}

/* ---- Token buckets ---- */

static void
bucket_init(struct bucket *b, uint32_t rate, uint32_t burst)
{
	b->rate = rate;
	b->cap = (uint64_t)burst * NS_PER_S; /* < 2^32 * 10^9 < 2^62 */
	b->level = b->cap;
	b->last_ns = 0;
}

/* Take one token. Refill without overflow: dt * rate is computed only when it stays below the
 * room left, and time that goes backwards refills nothing. */
static bool
bucket_take(struct bucket *b, uint64_t now_ns)
{
	if (now_ns > b->last_ns) {
		uint64_t dt = now_ns - b->last_ns, room = b->cap - b->level;

		if (b->rate != 0 && dt > room / b->rate)
			b->level = b->cap;
		else
			b->level += dt * b->rate;
		b->last_ns = now_ns;
	}
	if (b->level < NS_PER_S)
		return false;
	b->level -= NS_PER_S;
	return true;
}

/* ---- Construction ---- */

int
quic_validator_new(struct quic_validator **out, const struct quic_validator_config *cfg,
		   struct quic_token_worker *tokens, struct crypto_ctx *ctx,
		   const struct crypto_rand *rand)
{
	struct quic_validator *v;

	if (out == NULL)
		return QUIC_ERR_INVAL;
	*out = NULL;
	if (cfg == NULL || tokens == NULL || ctx == NULL || cfg->policy > QUIC_RETRY_AUTO ||
	    (cfg->new_cid == NULL &&
	     (cfg->retry_scid_len < MIN_CLIENT_DCID || cfg->retry_scid_len > QUIC_CID_LEN_MAX)))
		return QUIC_ERR_INVAL;
	v = calloc(1, sizeof(*v));
	if (v == NULL)
		return QUIC_ERR_NOMEM;
	v->cfg = *cfg;
	v->tw = tokens;
	v->ctx = ctx;
	if (rand != NULL && rand->fn != NULL)
		v->rand = *rand;
	else
		crypto_rand_pool_init(&v->own_pool, &v->rand);
	bucket_init(&v->vn, cfg->vn_rate, cfg->vn_burst);
	bucket_init(&v->close, cfg->close_rate, cfg->close_burst);
	bucket_init(&v->reset, cfg->reset_rate, cfg->reset_burst);
	*out = v;
	return 0;
}

void
quic_validator_free(struct quic_validator *v)
{
	if (v == NULL)
		return;
	crypto_rand_pool_fini(&v->own_pool);
	free(v);
}

/* n random bytes from the validator's source. */
static int
rand_take(struct quic_validator *v, uint8_t *out, size_t n)
{
	return crypto_rand_bytes(&v->rand, out, n) == 0 ? 0 : QUIC_ERR_CRYPTO;
}

void
quic_validator_stats(const struct quic_validator *v, struct quic_validator_stats *out)
{
	*out = v->stats;
}

bool
quic_validator_reset_allowed(struct quic_validator *v, uint64_t now_ns)
{
	bool ok = bucket_take(&v->reset, now_ns);

	if (ok)
		v->stats.resets_allowed++;
	else
		v->stats.resets_limited++;
	return ok;
}

/* ---- Results ---- */

static void
drop(struct vjob *j, enum quic_vdrop why)
{
	j->res->action = QUIC_VA_DROP;
	j->res->drop = why;
}

/* Room for the next response, or NULL (then the datagram is dropped as NO_ROOM). */
static uint8_t *
resp_room(const struct vjob *j, size_t *cap)
{
	size_t left = j->resp_cap - *j->used;

	*cap = left < QUIC_VALIDATOR_RESP_MAX ? left : QUIC_VALIDATOR_RESP_MAX;
	return j->resp != NULL ? j->resp + *j->used : NULL;
}

/* A response of len bytes was written at resp_room() + skip (bytes before it are not
 * sent): keep it. */
static void
respond(struct vjob *j, enum quic_vaction action, size_t skip, size_t len)
{
	j->res->action = action;
	j->res->resp_off = *j->used + skip;
	j->res->resp_len = len;
	*j->used += skip + len;
}

/* The QUIC_ERR_* of a response writer as a drop reason. */
static void
response_failed(struct vjob *j, int rc)
{
	drop(j, rc == QUIC_ERR_BUFFER ? QUIC_VDROP_NO_ROOM : QUIC_VDROP_INTERNAL);
}

/* ---- Version Negotiation (RFC 9000 §6.1, §17.2.1) ---- */

static void
unknown_version(struct vjob *j)
{
	static const uint32_t versions[] = {QUIC_VERSION_1, QUIC_VERSION_2};
	struct quic_packet_hdr h;
	uint8_t unused = 0, *buf;
	size_t cap, len;
	int rc;

	/* A VN only answers a datagram at least as large as the smallest Initial, so that it
	 * cannot amplify (RFC 9000 §5.2.2, §6.1: MUST drop smaller ones). */
	if (j->d->len < MIN_INITIAL_DGRAM) {
		drop(j, QUIC_VDROP_SMALL_UNKNOWN);
		return;
	}
	if (quic_packet_parse(j->d->data, j->d->len, 0, &h) != QUIC_ERR_VERSION) {
		drop(j, QUIC_VDROP_BAD_LENGTH);
		return;
	}
	if (!bucket_take(&j->v->vn, j->now_ns)) {
		drop(j, QUIC_VDROP_VN_RATE);
		return;
	}
	buf = resp_room(j, &cap);
	if (rand_take(j->v, &unused, 1) != 0) {
		drop(j, QUIC_VDROP_INTERNAL);
		return;
	}
	rc = buf != NULL ? quic_vn_write(buf, cap, &h, versions, 2, unused, &len) : QUIC_ERR_BUFFER;
	if (rc != 0) {
		response_failed(j, rc);
		return;
	}
	respond(j, QUIC_VA_SEND_VN, 0, len);
	j->v->stats.vn_sent++;
}

/* ---- Retry (RFC 9000 §8.1.2, §17.2.5) ---- */

/* The Retry's SCID and the 4 unused header bits. */
static int
retry_scid(struct quic_validator *v, struct quic_cid *scid, uint8_t *unused)
{
	uint8_t b[1 + QUIC_CID_LEN_MAX];
	size_t n = v->cfg.new_cid != NULL ? 1 : 1 + (size_t)v->cfg.retry_scid_len;

	if (rand_take(v, b, n) != 0)
		return QUIC_ERR_CRYPTO;
	*unused = b[0];
	if (v->cfg.new_cid != NULL) {
		if (v->cfg.new_cid(v->cfg.cid_arg, scid) != 0 || scid->len == 0 ||
		    scid->len > QUIC_CID_LEN_MAX)
			return QUIC_ERR_CRYPTO;
	} else {
		scid->len = v->cfg.retry_scid_len;
		memcpy(scid->data, b + 1, scid->len);
	}
	/* RFC 9000 §17.2.5.1 (the Retry's SCID differs from the DCID the client chose) is
	 * checked once, by quic_retry_write(): a second memcmp() here cost a call per Retry. */
	return 0;
}

/*
 * The Retry's header after the pseudo-packet prefix (RFC 9001 §5.8: ODCID length, ODCID) at
 * buf, its token sealed in place after it; returns the bytes of the pseudo-packet so far, or
 * 0 when cap is short (checked before anything is sealed) or the seal fails (*rc says which).
 */
static size_t
retry_body(struct vjob *j, const struct quic_packet_hdr *h, const struct quic_cid *scid,
	   uint8_t unused, uint8_t *buf, size_t cap, int *rc)
{
	size_t pre = 1 + h->dcid_len, hdr = 7 + h->scid_len + scid->len, token_len = 0;
	struct crypto_wr w;

	if (cap < pre + hdr + QUIC_TOKEN_RETRY_MAX_LEN + CRYPTO_TAG_LEN) {
		*rc = QUIC_ERR_BUFFER;
		return 0;
	}
	crypto_wr_init(&w, buf, pre + hdr);
	crypto_put_u8(&w, (uint8_t)h->dcid_len);
	crypto_put_bytes(&w, h->dcid, h->dcid_len);
	crypto_put_u8(&w, (uint8_t)(0xc0 | quic_packet_type_bits(h->version, QUIC_PKT_RETRY) << 4 |
				    (unused & 0x0f)));
	crypto_put_u32(&w, h->version);
	crypto_put_u8(&w, (uint8_t)h->scid_len); /* DCID: the client's SCID */
	crypto_put_bytes(&w, h->scid, h->scid_len);
	crypto_put_u8(&w, (uint8_t)scid->len);
	crypto_put_bytes(&w, scid->data, scid->len);
	*rc = quic_token_seal_retry(j->v->tw, &j->d->peer, h->dcid, h->dcid_len, scid->data,
				    scid->len, j->now_ns, buf + pre + hdr,
				    cap - pre - hdr - CRYPTO_TAG_LEN, &token_len);
	return *rc == 0 ? pre + hdr + token_len : 0;
}

/*
 * A Retry (RFC 9000 §17.2.5) written where it is sent from: the pseudo-packet's prefix goes
 * in front of it in the response area (resp_off skips it), the token is sealed in place and
 * the Integrity Tag computed over the pseudo-packet where it lies. quic_retry_write() would
 * copy the token into the packet and the packet into a pseudo-packet first; here nothing is
 * copied.
 */
static void
send_retry(struct vjob *j, const struct quic_packet_hdr *h)
{
	size_t cap, plen = 0, pre = 1 + h->dcid_len;
	struct quic_cid scid;
	uint8_t unused, *buf = resp_room(j, &cap);
	int rc = buf != NULL ? retry_scid(j->v, &scid, &unused) : QUIC_ERR_BUFFER;

	/* RFC 9000 §17.2.5.1: the new SCID differs from the DCID the client chose. */
	if (rc == 0 && scid.len == h->dcid_len && memcmp(scid.data, h->dcid, scid.len) == 0)
		rc = QUIC_ERR_INVAL;
	if (rc == 0)
		plen = retry_body(j, h, &scid, unused, buf, cap, &rc);
	if (rc == 0 && crypto_retry_tag(j->v->ctx, h->version, buf, plen, buf + plen) != 0)
		rc = QUIC_ERR_CRYPTO;
	if (rc != 0) {
		response_failed(j, rc);
		return;
	}
	respond(j, QUIC_VA_SEND_RETRY, pre, plen - pre + CRYPTO_TAG_LEN);
	j->v->stats.retries_sent++;
}

/* ---- CONNECTION_CLOSE(INVALID_TOKEN) in an Initial (RFC 9000 §8.1.2, §10.2.3) ---- */

/* Header, CONNECTION_CLOSE frame, padding to the sample size, then protection. */
static int
write_close_packet(struct crypto_aead *aead, struct crypto_hp *hp, const struct quic_packet_hdr *h,
		   uint8_t *buf, size_t cap, size_t *len)
{
	struct quic_frame f = {.type = QUIC_FRAME_CONNECTION_CLOSE};
	struct quic_packet_out p = {
		.type = QUIC_PKT_INITIAL,
		.version = h->version,
		.dcid = h->scid, /* the client's SCID */
		.dcid_len = h->scid_len,
		.scid = h->dcid, /* no CID of ours exists: echo the one it chose */
		.scid_len = h->dcid_len,
		.pn = 0,
		.pn_len = 1,
	};
	struct quic_packet_layout lay;
	struct crypto_wr w;
	size_t payload;
	int rc;

	f.connection_close.error_code = QUIC_INVALID_TOKEN;
	rc = quic_packet_write_header(buf, cap, &p, &lay);
	if (rc != 0)
		return rc;
	crypto_wr_init(&w, buf + lay.hdr_len, cap - lay.hdr_len);
	rc = quic_frame_encode(&w, &f);
	if (rc != 0)
		return rc;
	while (crypto_wr_len(&w) < quic_packet_min_payload(lay.pn_len))
		crypto_put_u8(&w, 0); /* PADDING */
	if (w.err)
		return QUIC_ERR_BUFFER;
	payload = crypto_wr_len(&w);
	return quic_packet_protect(buf, cap, &lay, payload, aead, hp, len);
}

/* Derive the server's Initial keys for the client's DCID (RFC 9001 §5.2) and write. */
static int
build_close(struct crypto_ctx *ctx, const struct quic_packet_hdr *h, uint8_t *buf, size_t cap,
	    size_t *len)
{
	const enum crypto_suite suite = CRYPTO_SUITE_AES_128_GCM_SHA256;
	uint8_t client[CRYPTO_INITIAL_SECRET_LEN], server[CRYPTO_INITIAL_SECRET_LEN];
	struct crypto_quic_keys keys;
	struct crypto_aead *aead = NULL;
	struct crypto_hp *hp = NULL;
	int rc = QUIC_ERR_CRYPTO;

	if (crypto_quic_initial_secrets(ctx, h->version, h->dcid, h->dcid_len, client, server) ==
		    0 &&
	    crypto_quic_derive_keys(ctx, h->version, suite, server, sizeof(server), &keys) == 0 &&
	    crypto_aead_new(&aead, ctx, suite, keys.key, keys.iv) == 0 &&
	    crypto_hp_new(&hp, ctx, suite, keys.hp) == 0)
		rc = write_close_packet(aead, hp, h, buf, cap, len);
	crypto_aead_free(aead);
	crypto_hp_free(hp);
	crypto_wipe(client, sizeof(client));
	crypto_wipe(server, sizeof(server));
	crypto_wipe(&keys, sizeof(keys));
	return rc;
}

static void
send_close(struct vjob *j, const struct quic_packet_hdr *h)
{
	uint8_t *buf;
	size_t cap, len;
	int rc;

	if (!bucket_take(&j->v->close, j->now_ns)) {
		drop(j, QUIC_VDROP_CLOSE_RATE);
		return;
	}
	buf = resp_room(j, &cap);
	rc = buf != NULL ? build_close(j->v->ctx, h, buf, cap, &len) : QUIC_ERR_BUFFER;
	if (rc != 0) {
		response_failed(j, rc);
		return;
	}
	respond(j, QUIC_VA_SEND_CLOSE, 0, len);
	j->v->stats.closes_sent++;
}

/* ---- Initials ---- */

static bool
wants_retry(const struct vjob *j)
{
	const struct quic_validator_config *c = &j->v->cfg;

	if (c->policy != QUIC_RETRY_AUTO)
		return c->policy == QUIC_RETRY_ALWAYS;
	return j->load != NULL && (j->load->handshakes_in_flight > c->auto_handshakes ||
				   j->load->initial_rate > c->auto_initial_rate);
}

static void
no_token(struct vjob *j, const struct quic_packet_hdr *h)
{
	if (wants_retry(j)) {
		send_retry(j, h);
		return;
	}
	j->res->action = QUIC_VA_ACCEPT;
	j->v->stats.accepted++;
}

/* Open the token: accept, close (bad Retry token) or go on as without one (bad NEW_TOKEN). */
static void
with_token(struct vjob *j, const struct quic_packet_hdr *h)
{
	enum quic_token_kind kind = quic_token_kind_of(h->token);
	struct quic_vresult *r = j->res;

	r->has_token = true;
	r->token_ptr = h->token;
	r->token_len = h->token_len;
	r->token = quic_token_open(j->v->tw, kind, h->token, h->token_len, &j->d->peer, h->dcid,
				   h->dcid_len, j->now_ns, &r->info);
	if (r->token == QUIC_TOKEN_OK) {
		r->action = QUIC_VA_ACCEPT;
		r->validated = true;
		j->v->stats.tokens_valid[kind]++;
		j->v->stats.accepted_validated++;
		return;
	}
	j->v->stats.tokens_invalid[r->token]++;
	if (quic_token_refusal_closes(kind))
		send_close(j, h);
	else
		no_token(j, h);
}

static void
initial(struct vjob *j)
{
	struct quic_packet_hdr h;
	int rc;

	if (j->d->len < MIN_INITIAL_DGRAM) {
		drop(j, QUIC_VDROP_INITIAL_SMALL);
		return;
	}
	rc = quic_packet_parse(j->d->data, j->d->len, 0, &h);
	if (rc != 0) {
		drop(j, rc == QUIC_ERR_MALFORMED ? QUIC_VDROP_BAD_CID_LEN : QUIC_VDROP_BAD_LENGTH);
		return;
	}
	/* A Retry token names our Retry SCID as DCID; any other first Initial carries a DCID
	 * the client chose, which must have 8 bytes at least (RFC 9000 §7.2). */
	if (h.dcid_len < MIN_CLIENT_DCID &&
	    (h.token_len == 0 || quic_token_kind_of(h.token) == QUIC_TOKEN_NEW_TOKEN)) {
		drop(j, QUIC_VDROP_SHORT_DCID);
		return;
	}
	if (h.token_len > 0)
		with_token(j, &h);
	else
		no_token(j, &h);
}

/* Long header of v1 or v2: fixed bit, then the packet type. */
static void
long_header(struct vjob *j, uint32_t version)
{
	uint8_t first = j->d->data[0];
	unsigned bits = (first >> 4) & 3;

	if (!(first & HDR_FIXED)) {
		drop(j, QUIC_VDROP_FIXED_BIT);
		return;
	}
	if (bits == (unsigned)quic_packet_type_bits(version, QUIC_PKT_INITIAL)) {
		initial(j);
		return;
	}
	if (bits == (unsigned)quic_packet_type_bits(version, QUIC_PKT_RETRY)) {
		drop(j, QUIC_VDROP_RETRY_RECEIVED);
		return;
	}
	/* 0-RTT or Handshake for a CID no connection has: the caller's lookup decides (A10). */
	j->res->action = QUIC_VA_PASS;
}

static void
decide(struct vjob *j)
{
	const uint8_t *p = j->d->data;
	uint32_t version;

	if (p == NULL || j->d->len < MIN_DGRAM) {
		drop(j, QUIC_VDROP_TOO_SHORT);
		return;
	}
	if (!(p[0] & HDR_LONG)) {
		j->res->action = QUIC_VA_PASS;
		return;
	}
	version = (uint32_t)p[1] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 8 | p[4];
	if (version == 0)
		drop(j, QUIC_VDROP_VN_RECEIVED);
	else if (!quic_version_supported(version))
		unknown_version(j);
	else
		long_header(j, version);
}

/*
 * A result with every field zero. Not memset(): over 80 bytes GCC makes that a `rep stos`,
 * whose start-up cost showed in a flood's profile (one per Initial). The assertion catches a
 * field added at the end without a line here.
 */
_Static_assert(offsetof(struct quic_vresult, resp_len) + sizeof(size_t) ==
		       sizeof(struct quic_vresult),
	       "clear_result() must set every field of struct quic_vresult");
static inline void
clear_result(struct quic_vresult *r)
{
	r->action = QUIC_VA_DROP;
	r->drop = QUIC_VDROP_NONE;
	r->has_token = false;
	r->token = QUIC_TOKEN_OK;
	r->validated = false;
	memset(&r->info, 0, sizeof(r->info));
	r->token_ptr = NULL;
	r->token_len = 0;
	r->resp_off = 0;
	r->resp_len = 0;
}

size_t
quic_validator_burst(struct quic_validator *v, const struct quic_dgram *dg, size_t n,
		     const struct quic_validator_load *load, uint64_t now_ns, uint8_t *resp,
		     size_t resp_cap, struct quic_vresult *res)
{
	struct vjob j = {v, NULL, load, now_ns, resp, resp != NULL ? resp_cap : 0, NULL, NULL};
	size_t used = 0, sent = 0;

	if (v == NULL || (dg == NULL && n > 0) || (res == NULL && n > 0))
		return 0;
	j.used = &used;
	quic_token_worker_enter(v->tw);
	for (size_t i = 0; i < n; i++) {
		clear_result(&res[i]);
		j.d = &dg[i];
		j.res = &res[i];
		decide(&j);
		v->stats.dgrams++;
		if (res[i].action == QUIC_VA_DROP)
			v->stats.drops[res[i].drop]++;
		else if (res[i].action == QUIC_VA_PASS)
			v->stats.passed++;
		else if (res[i].action != QUIC_VA_ACCEPT)
			sent++;
	}
	quic_token_worker_exit(v->tw);
	return sent;
}

/* ---- Plugging into a connection (struct quic_token_ops) ---- */

static bool
same_addr(const struct quic_addr *a, const struct quic_addr *b)
{
	size_t n = a->family == QUIC_AF_INET ? 4 : 16;

	return a->family == b->family && a->port == b->port && memcmp(a->ip, b->ip, n) == 0;
}

static int
ops_validate(void *arg, const uint8_t *token, size_t len, const struct quic_addr *peer,
	     uint64_t now_ns, struct quic_token_info *info)
{
	const struct quic_validator *v = arg;
	const struct quic_vresult *r = &v->sel;

	(void)now_ns;
	if (!v->selected || r->action != QUIC_VA_ACCEPT || !r->validated || token == NULL ||
	    r->token_len != len || peer == NULL || !same_addr(peer, &v->sel_peer) ||
	    memcmp(r->token_ptr, token, len) != 0)
		return QUIC_ERR_CRYPTO;
	*info = r->info;
	return 0;
}

static int
ops_issue(void *arg, enum quic_token_kind kind, const struct quic_addr *peer, const uint8_t *odcid,
	  size_t odcid_len, uint64_t now_ns, uint8_t *out, size_t cap)
{
	struct quic_validator *v = arg;
	size_t len = 0;
	int rc;

	(void)odcid;
	(void)odcid_len;
	if (kind != QUIC_TOKEN_NEW_TOKEN)
		return QUIC_ERR_INVAL;
	quic_token_worker_enter(v->tw);
	rc = quic_token_seal_new_token(v->tw, peer, now_ns, out, cap, &len);
	quic_token_worker_exit(v->tw);
	return rc != 0 ? rc : (int)len;
}

void
quic_validator_token_ops(struct quic_validator *v, struct quic_token_ops *ops)
{
	ops->issue = ops_issue;
	ops->validate = ops_validate;
	ops->arg = v;
}

void
quic_validator_select(struct quic_validator *v, const struct quic_dgram *dg,
		      const struct quic_vresult *r)
{
	v->selected = dg != NULL && r != NULL;
	if (!v->selected)
		return;
	v->sel_peer = dg->peer;
	v->sel = *r;
}
