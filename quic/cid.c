/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Connection IDs: QUIC-LB encoding (draft-ietf-quic-load-balancers), stateless reset tokens
 * (RFC 9000 §10.3.2) and the per-connection CID sets (RFC 9000 §5.1, §19.15, §19.16).
 *
 * The QUIC-LB algorithms live here; the AES block they need comes from crypto/lb.h, so this
 * file never sees an OpenSSL type.
 */
#include <stdlib.h>
#include <string.h>

#include <crypto/crypto.h>
#include <crypto/lb.h>
#include <quic/cid.h>
#include <quic/error.h>

struct quic_lb {
	struct quic_lb_config cfg; /* key bytes wiped: the AES handle holds the key */
	struct crypto_lb *aes;	   /* NULL without a key */
	uint8_t plain_len;	   /* server ID + nonce */
};

/* ---- QUIC-LB ---- */

static bool
lb_config_ok(const struct quic_lb_config *c)
{
	unsigned plain = (unsigned)c->server_id_len + c->nonce_len;

	return c->config_id <= QUIC_LB_CONFIG_MAX && c->server_id_len >= 1 &&
	       c->server_id_len <= QUIC_LB_SID_MAX && c->nonce_len >= QUIC_LB_NONCE_MIN &&
	       plain <= QUIC_LB_PLAIN_MAX && c->cid_len >= QUIC_LB_CID_LEN_MIN &&
	       c->cid_len <= QUIC_CID_LEN_MAX && c->cid_len >= 1 + plain;
}

static int
crypto_to_quic(int rc)
{
	if (rc == 0)
		return 0;
	return rc == CRYPTO_ERR_NOMEM ? QUIC_ERR_NOMEM : QUIC_ERR_CRYPTO;
}

int
quic_lb_new(struct quic_lb **out, const struct quic_lb_config *cfg, struct crypto_ctx *ctx)
{
	struct quic_lb *lb;
	int rc;

	if (out == NULL)
		return QUIC_ERR_INVAL;
	*out = NULL;
	if (cfg == NULL || !lb_config_ok(cfg) || (cfg->has_key && ctx == NULL))
		return QUIC_ERR_INVAL;
	lb = calloc(1, sizeof(*lb));
	if (lb == NULL)
		return QUIC_ERR_NOMEM;
	lb->cfg = *cfg;
	lb->plain_len = (uint8_t)(cfg->server_id_len + cfg->nonce_len);
	crypto_wipe(lb->cfg.key, sizeof(lb->cfg.key));
	if (cfg->has_key) {
		rc = crypto_to_quic(crypto_lb_new(&lb->aes, ctx, cfg->key));
		if (rc != 0) {
			free(lb);
			return rc;
		}
	}
	*out = lb;
	return 0;
}

void
quic_lb_free(struct quic_lb *lb)
{
	if (lb == NULL)
		return;
	crypto_lb_free(lb->aes);
	free(lb);
}

size_t
quic_lb_cid_len(const struct quic_lb *lb)
{
	return lb == NULL ? 0 : lb->cfg.cid_len;
}

/*
 * The four-pass Feistel network of the draft's "Four-Pass Encryption" on a plaintext of n
 * bytes (5..19, never 16): two halves of h = ceil(n / 2) bytes; for odd n the middle byte is
 * split, its high nibble in the left half and its low nibble in the right one, and the other
 * nibble of each half is kept zero after every pass.
 */
struct feistel {
	struct crypto_lb *aes;
	uint8_t n;
	uint8_t h;
	uint8_t l[(QUIC_LB_PLAIN_MAX + 1) / 2];
	uint8_t r[(QUIC_LB_PLAIN_MAX + 1) / 2];
};

static void
feistel_split(struct feistel *f, struct crypto_lb *aes, const uint8_t *in, size_t n)
{
	f->aes = aes;
	f->n = (uint8_t)n;
	f->h = (uint8_t)((n + 1) / 2);
	memcpy(f->l, in, f->h);
	memcpy(f->r, in + n - f->h, f->h);
	if (n & 1) {
		f->l[f->h - 1] &= 0xf0;
		f->r[0] &= 0x0f;
	}
}

static void
feistel_join(const struct feistel *f, uint8_t *out)
{
	if (f->n & 1) {
		memcpy(out, f->l, f->h - 1u);
		out[f->h - 1] = (uint8_t)(f->l[f->h - 1] | f->r[0]);
		memcpy(out + f->h, f->r + 1, f->h - 1u);
	} else {
		memcpy(out, f->l, f->h);
		memcpy(out + f->h, f->r, f->h);
	}
}

/*
 * One pass: dst ^= truncate(AES(expand(n, pass, src)), h), then clear dst's shared nibble
 * (the last one of a left half, the first one of a right half). expand() is src, zero
 * padding, n in octet 15 and pass in octet 16 (draft, "Useful functions").
 */
static int
feistel_pass(const struct feistel *f, uint8_t pass, const uint8_t *src, uint8_t *dst,
	     bool dst_is_left)
{
	uint8_t blk[CRYPTO_LB_BLOCK_LEN] = {0};
	int rc;

	memcpy(blk, src, f->h);
	blk[14] = f->n;
	blk[15] = pass;
	rc = crypto_lb_encrypt_block(f->aes, blk, blk);
	if (rc != 0)
		return QUIC_ERR_CRYPTO;
	for (unsigned i = 0; i < f->h; i++)
		dst[i] ^= blk[i];
	if (f->n & 1) {
		if (dst_is_left)
			dst[f->h - 1] &= 0xf0;
		else
			dst[0] &= 0x0f;
	}
	return 0;
}

static int
feistel_encrypt(struct crypto_lb *aes, const uint8_t *in, size_t n, uint8_t *out)
{
	struct feistel f;
	int rc;

	feistel_split(&f, aes, in, n);
	rc = feistel_pass(&f, 1, f.l, f.r, false);
	if (rc == 0)
		rc = feistel_pass(&f, 2, f.r, f.l, true);
	if (rc == 0)
		rc = feistel_pass(&f, 3, f.l, f.r, false);
	if (rc == 0)
		rc = feistel_pass(&f, 4, f.r, f.l, true);
	if (rc == 0)
		feistel_join(&f, out);
	return rc;
}

/*
 * Inverse network (draft, "Load Balancer Actions"). need is how many leading plaintext bytes
 * the caller wants: when they all lie wholly in the left half, three passes are enough.
 */
static int
feistel_decrypt(struct crypto_lb *aes, const uint8_t *in, size_t n, size_t need, uint8_t *out)
{
	struct feistel f;
	int rc;

	feistel_split(&f, aes, in, n);
	rc = feistel_pass(&f, 4, f.r, f.l, true);
	if (rc == 0)
		rc = feistel_pass(&f, 3, f.l, f.r, false);
	if (rc == 0)
		rc = feistel_pass(&f, 2, f.r, f.l, true);
	if (rc == 0 && need > n / 2)
		rc = feistel_pass(&f, 1, f.l, f.r, false);
	if (rc == 0)
		feistel_join(&f, out);
	return rc;
}

/* Encrypt (or copy, without a key) the server ID + nonce block in place. */
static int
lb_seal(struct quic_lb *lb, uint8_t *block)
{
	if (lb->aes == NULL)
		return 0;
	if (lb->plain_len == CRYPTO_LB_BLOCK_LEN)
		return crypto_lb_encrypt_block(lb->aes, block, block) == 0 ? 0 : QUIC_ERR_CRYPTO;
	return feistel_encrypt(lb->aes, block, lb->plain_len, block);
}

int
quic_lb_encode_nonce(struct quic_lb *lb, const uint8_t *nonce, const uint8_t *extra,
		     struct quic_cid *out)
{
	const struct quic_lb_config *c;
	size_t extra_len;
	int rc;

	if (lb == NULL || nonce == NULL || out == NULL)
		return QUIC_ERR_INVAL;
	c = &lb->cfg;
	extra_len = (size_t)c->cid_len - 1 - lb->plain_len;
	if (extra_len > 0 && extra == NULL)
		return QUIC_ERR_INVAL;
	/* First octet: config rotation, then the length of what follows it. */
	out->data[0] = (uint8_t)(c->config_id << 5 | (c->cid_len - 1));
	memcpy(out->data + 1, c->server_id, c->server_id_len);
	memcpy(out->data + 1 + c->server_id_len, nonce, c->nonce_len);
	if (extra_len > 0)
		memcpy(out->data + 1 + lb->plain_len, extra, extra_len);
	out->len = c->cid_len;
	rc = lb_seal(lb, out->data + 1);
	if (rc != 0)
		memset(out, 0, sizeof(*out));
	return rc;
}

int
quic_lb_encode(struct quic_lb *lb, uint8_t worker, const struct crypto_rand *rand,
	       struct quic_cid *out)
{
	uint8_t rnd[QUIC_CID_LEN_MAX];
	size_t nrand;
	int rc;

	if (lb == NULL || out == NULL)
		return QUIC_ERR_INVAL;
	/* The nonce is the worker id and nonce_len - 1 random bytes; then the trailing bytes. */
	rnd[0] = worker;
	nrand = (size_t)lb->cfg.cid_len - 1 - lb->cfg.server_id_len - 1;
	if (crypto_rand_bytes(rand, rnd + 1, nrand) != 0)
		return QUIC_ERR_CRYPTO;
	rc = quic_lb_encode_nonce(lb, rnd, rnd + lb->cfg.nonce_len, out);
	crypto_wipe(rnd, sizeof(rnd));
	return rc;
}

/* The checks every decode makes: config rotation bits first, then the two lengths. */
static int
lb_check(const struct quic_lb *lb, const uint8_t *cid, size_t len)
{
	if (len == 0)
		return QUIC_ERR_MALFORMED;
	if (quic_lb_config_id(cid[0]) != lb->cfg.config_id)
		return QUIC_ERR_VERSION;
	if (len != lb->cfg.cid_len || (size_t)(cid[0] & 0x1f) != len - 1)
		return QUIC_ERR_MALFORMED;
	return 0;
}

/* The first need bytes of server ID || nonce into plain (more may be written, up to 19). */
static int
lb_open(struct quic_lb *lb, const uint8_t *cid, size_t len, size_t need, uint8_t *plain)
{
	int rc = lb_check(lb, cid, len);

	if (rc != 0)
		return rc;
	if (lb->aes == NULL) {
		memcpy(plain, cid + 1, need);
		return 0;
	}
	if (lb->plain_len == CRYPTO_LB_BLOCK_LEN)
		return crypto_lb_decrypt_block(lb->aes, cid + 1, plain) == 0 ? 0 : QUIC_ERR_CRYPTO;
	return feistel_decrypt(lb->aes, cid + 1, lb->plain_len, need, plain);
}

int
quic_lb_decode(struct quic_lb *lb, const uint8_t *cid, size_t len, struct quic_lb_route *out)
{
	uint8_t plain[QUIC_LB_PLAIN_MAX];
	size_t sid_len;
	int rc;

	if (lb == NULL || (cid == NULL && len > 0) || out == NULL)
		return QUIC_ERR_INVAL;
	sid_len = lb->cfg.server_id_len;
	/* Server ID and the worker byte after it. */
	rc = lb_open(lb, cid, len, sid_len + 1, plain);
	if (rc != 0)
		return rc;
	out->config_id = lb->cfg.config_id;
	out->server_id_len = (uint8_t)sid_len;
	memcpy(out->server_id, plain, sid_len);
	out->worker = plain[sid_len];
	return 0;
}

int
quic_lb_decrypt(struct quic_lb *lb, const uint8_t *cid, size_t len,
		uint8_t plain[QUIC_LB_PLAIN_MAX])
{
	if (lb == NULL || (cid == NULL && len > 0) || plain == NULL)
		return QUIC_ERR_INVAL;
	return lb_open(lb, cid, len, lb->plain_len, plain);
}

/* ---- Stateless reset tokens ---- */

int
quic_reset_token(struct crypto_ctx *ctx, const uint8_t *key, size_t key_len, const uint8_t *cid,
		 size_t cid_len, uint8_t token[QUIC_RESET_TOKEN_LEN])
{
	uint8_t mac[32];
	int rc;

	if (ctx == NULL || key == NULL || key_len < QUIC_RESET_KEY_MIN_LEN || cid == NULL ||
	    cid_len == 0 || cid_len > QUIC_CID_LEN_MAX || token == NULL)
		return QUIC_ERR_INVAL;
	/* HKDF-Extract(salt = key, IKM = cid) is HMAC-SHA256(key, cid) (RFC 5869 §2.2); the key
	 * is the same for every CID, so it stays keyed in ctx. */
	rc = crypto_hkdf_extract_fixed_salt(ctx, CRYPTO_HASH_SHA256, key, key_len, cid, cid_len,
					    mac);
	if (rc == 0)
		memcpy(token, mac, QUIC_RESET_TOKEN_LEN);
	crypto_wipe(mac, sizeof(mac));
	return rc == 0 ? 0 : QUIC_ERR_CRYPTO;
}

int
quic_cid_make(const struct quic_cid_issuer *iss, struct quic_cid *cid,
	      uint8_t token[QUIC_RESET_TOKEN_LEN])
{
	int rc;

	if (iss == NULL || cid == NULL || token == NULL)
		return QUIC_ERR_INVAL;
	rc = quic_lb_encode(iss->lb, iss->worker, iss->rand, cid);
	if (rc == 0)
		rc = quic_reset_token(iss->ctx, iss->reset_key, iss->reset_key_len, cid->data,
				      cid->len, token);
	return rc;
}

/* ---- Our CIDs ---- */

static int
local_index(const struct quic_local_cids *s, uint64_t seq)
{
	for (unsigned i = 0; s != NULL && i < QUIC_CID_LOCAL_SLOTS; i++)
		if (s->slot[i].state != QUIC_LOCAL_CID_FREE && s->slot[i].seq == seq)
			return (int)i;
	return -1;
}

static struct quic_local_cid *
local_find(struct quic_local_cids *s, uint64_t seq)
{
	int i = local_index(s, seq);

	return i < 0 ? NULL : &s->slot[i];
}

/* CIDs that count toward the peer's limit: held and not below our Retire Prior To. */
static unsigned
local_active(const struct quic_local_cids *s)
{
	unsigned n = 0;

	for (unsigned i = 0; i < QUIC_CID_LOCAL_SLOTS; i++)
		if (s->slot[i].state != QUIC_LOCAL_CID_FREE && s->slot[i].seq >= s->retire_prior_to)
			n++;
	return n;
}

int
quic_local_cids_init(struct quic_local_cids *s, const uint8_t *cid, size_t len,
		     const uint8_t *token)
{
	if (s == NULL || len > QUIC_CID_LEN_MAX || (cid == NULL && len > 0))
		return QUIC_ERR_INVAL;
	memset(s, 0, sizeof(*s));
	s->limit = 2; /* active_connection_id_limit default, RFC 9000 §18.2 */
	s->next_seq = 1;
	s->sent_below = 1;
	s->zero_len = len == 0;
	s->slot[0].seq = 0;
	s->slot[0].state = QUIC_LOCAL_CID_ACKED;
	s->slot[0].cid.len = (uint8_t)len;
	if (len > 0)
		memcpy(s->slot[0].cid.data, cid, len);
	if (token != NULL)
		memcpy(s->slot[0].token, token, QUIC_RESET_TOKEN_LEN);
	return 0;
}

void
quic_local_cids_set_peer_limit(struct quic_local_cids *s, uint64_t peer_limit)
{
	if (s == NULL)
		return;
	/* Transport parameter validation (value >= 2) is tparams' job; never go below 1. */
	if (peer_limit < 1)
		peer_limit = 1;
	s->limit = (uint8_t)(peer_limit < QUIC_CID_LOCAL_LIMIT ? peer_limit : QUIC_CID_LOCAL_LIMIT);
}

unsigned
quic_local_cids_room(const struct quic_local_cids *s)
{
	unsigned active, used = 0, by_limit, by_slots;

	if (s == NULL || s->zero_len)
		return 0;
	active = local_active(s);
	for (unsigned i = 0; i < QUIC_CID_LOCAL_SLOTS; i++)
		used += s->slot[i].state != QUIC_LOCAL_CID_FREE;
	by_limit = active < s->limit ? s->limit - active : 0;
	by_slots = QUIC_CID_LOCAL_SLOTS - used;
	return by_limit < by_slots ? by_limit : by_slots;
}

int
quic_local_cids_add(struct quic_local_cids *s, const struct quic_cid *cid,
		    const uint8_t token[QUIC_RESET_TOKEN_LEN], bool announced, uint64_t *seq)
{
	struct quic_local_cid *e = NULL;

	if (s == NULL || cid == NULL || token == NULL || cid->len == 0 ||
	    cid->len > QUIC_CID_LEN_MAX || quic_local_cids_room(s) == 0)
		return QUIC_ERR_INVAL;
	for (unsigned i = 0; i < QUIC_CID_LOCAL_SLOTS && e == NULL; i++)
		if (s->slot[i].state == QUIC_LOCAL_CID_FREE)
			e = &s->slot[i];
	/* room() > 0 guarantees a free slot. */
	e->seq = s->next_seq++;
	e->cid = *cid;
	memcpy(e->token, token, QUIC_RESET_TOKEN_LEN);
	e->state = announced ? QUIC_LOCAL_CID_ACKED : QUIC_LOCAL_CID_PENDING;
	if (announced && e->seq + 1 > s->sent_below)
		s->sent_below = e->seq + 1;
	if (seq != NULL)
		*seq = e->seq;
	s->gen++;
	return 0;
}

int
quic_local_cids_issue(struct quic_local_cids *s, const struct quic_cid_issuer *iss, uint64_t *seq)
{
	uint8_t token[QUIC_RESET_TOKEN_LEN];
	struct quic_cid cid;
	int rc;

	if (s == NULL || quic_local_cids_room(s) == 0)
		return QUIC_ERR_INVAL;
	rc = quic_cid_make(iss, &cid, token);
	if (rc == 0)
		rc = quic_local_cids_add(s, &cid, token, false, seq);
	crypto_wipe(token, sizeof(token));
	return rc;
}

size_t
quic_local_cids_list(const struct quic_local_cids *s, struct quic_cid *out, size_t max)
{
	size_t n = 0;

	for (unsigned i = 0; s != NULL && !s->zero_len && i < QUIC_CID_LOCAL_SLOTS && n < max; i++)
		if (s->slot[i].state != QUIC_LOCAL_CID_FREE)
			out[n++] = s->slot[i].cid;
	return n;
}

const struct quic_local_cid *
quic_local_cids_get(const struct quic_local_cids *s, uint64_t seq)
{
	int i = local_index(s, seq);

	return i < 0 ? NULL : &s->slot[i];
}

bool
quic_local_cids_next_frame(const struct quic_local_cids *s, struct quic_frame *f)
{
	const struct quic_local_cid *best = NULL;

	if (s == NULL || f == NULL)
		return false;
	for (unsigned i = 0; i < QUIC_CID_LOCAL_SLOTS; i++) {
		const struct quic_local_cid *e = &s->slot[i];

		if (e->state == QUIC_LOCAL_CID_PENDING && (best == NULL || e->seq < best->seq))
			best = e;
	}
	if (best == NULL)
		return false;
	memset(f, 0, sizeof(*f));
	f->type = QUIC_FRAME_NEW_CONNECTION_ID;
	f->new_connection_id.seq = best->seq;
	/* Retire Prior To never exceeds the frame's seq (RFC 9000 §19.15). */
	f->new_connection_id.retire_prior_to =
		s->retire_prior_to < best->seq ? s->retire_prior_to : best->seq;
	f->new_connection_id.cid_len = best->cid.len;
	f->new_connection_id.cid = best->cid.data;
	f->new_connection_id.reset_token = best->token;
	return true;
}

void
quic_local_cids_on_sent(struct quic_local_cids *s, uint64_t seq)
{
	struct quic_local_cid *e = local_find(s, seq);

	if (e == NULL || e->state != QUIC_LOCAL_CID_PENDING)
		return;
	e->state = QUIC_LOCAL_CID_SENT;
	if (seq + 1 > s->sent_below)
		s->sent_below = seq + 1;
}

void
quic_local_cids_on_acked(struct quic_local_cids *s, uint64_t seq)
{
	struct quic_local_cid *e = local_find(s, seq);

	if (e != NULL && e->state == QUIC_LOCAL_CID_SENT)
		e->state = QUIC_LOCAL_CID_ACKED;
}

void
quic_local_cids_on_lost(struct quic_local_cids *s, uint64_t seq)
{
	struct quic_local_cid *e = local_find(s, seq);

	/* A CID the peer has since retired is gone: nothing to resend. */
	if (e != NULL && e->state == QUIC_LOCAL_CID_SENT)
		e->state = QUIC_LOCAL_CID_PENDING;
}

int
quic_local_cids_retire_prior_to(struct quic_local_cids *s, uint64_t rpt)
{
	if (s == NULL || s->zero_len || rpt > s->next_seq)
		return QUIC_ERR_INVAL;
	if (rpt <= s->retire_prior_to)
		return 0;
	for (unsigned i = 0; i < QUIC_CID_LOCAL_SLOTS; i++)
		if (s->slot[i].state != QUIC_LOCAL_CID_FREE && s->slot[i].seq < s->retire_prior_to)
			return QUIC_ERR_INVAL;
	s->retire_prior_to = rpt;
	return 0;
}

int
quic_local_cids_on_retire(struct quic_local_cids *s,
			  const struct quic_frame_retire_connection_id *f, const uint8_t *pkt_dcid,
			  size_t pkt_dcid_len, struct quic_cid *retired)
{
	struct quic_local_cid *e;

	if (s == NULL || f == NULL || retired == NULL || (pkt_dcid == NULL && pkt_dcid_len > 0))
		return QUIC_ERR_INVAL;
	retired->len = 0;
	/* RFC 9000 §19.16: no RETIRE_CONNECTION_ID toward a zero-length CID. */
	if (s->zero_len)
		return QUIC_ERR_PROTOCOL;
	/* C25: a sequence number we never sent. */
	if (f->seq >= s->sent_below)
		return QUIC_ERR_PROTOCOL;
	e = local_find(s, f->seq);
	if (e == NULL)
		return 0; /* already retired: a repeated frame */
	/* C26: the frame may not retire the CID its own packet was sent to. */
	if (pkt_dcid_len > 0 && e->cid.len == pkt_dcid_len &&
	    memcmp(e->cid.data, pkt_dcid, pkt_dcid_len) == 0)
		return QUIC_ERR_PROTOCOL;
	*retired = e->cid;
	crypto_wipe(e->token, sizeof(e->token));
	memset(e, 0, sizeof(*e));
	s->gen++;
	return 0;
}

/* ---- The peer's CIDs ---- */

static int
peer_find(const struct quic_peer_cids *s, uint64_t seq)
{
	for (unsigned i = 0; i < QUIC_CID_PEER_LIMIT; i++)
		if (s->slot[i].live && s->slot[i].seq == seq)
			return (int)i;
	return -1;
}

static bool
retire_queued(const struct quic_peer_cids *s, uint64_t seq)
{
	for (unsigned i = 0; i < s->n_retire; i++)
		if ((s->retire[i] & ~QUIC_CID_RETIRE_SENT) == seq)
			return true;
	return false;
}

/* Whether seq was retired already: still queued, or among the last ones retired. */
static bool
retired_before(const struct quic_peer_cids *s, uint64_t seq)
{
	for (unsigned i = 0; i < s->n_recent; i++)
		if (s->recent[i] == seq)
			return true;
	return retire_queued(s, seq);
}

/* Queue a RETIRE_CONNECTION_ID; the caller has checked there is room. */
static void
retire_push(struct quic_peer_cids *s, uint64_t seq)
{
	if (retired_before(s, seq))
		return;
	s->retire[s->n_retire] = seq;
	s->n_retire++;
	s->recent[s->recent_next] = seq;
	s->recent_next = (uint8_t)((s->recent_next + 1) % QUIC_CID_RETIRE_QUEUE);
	if (s->n_recent < QUIC_CID_RETIRE_QUEUE)
		s->n_recent++;
}

/* Make the lowest active seq the DCID in use. */
static void
peer_pick_lowest(struct quic_peer_cids *s)
{
	int best = -1;

	for (unsigned i = 0; i < QUIC_CID_PEER_LIMIT; i++)
		if (s->slot[i].live && (best < 0 || s->slot[i].seq < s->slot[best].seq))
			best = (int)i;
	s->cur = (uint8_t)(best < 0 ? 0 : best);
}

int
quic_peer_cids_init(struct quic_peer_cids *s, uint64_t limit, const uint8_t *cid, size_t len,
		    const uint8_t *token)
{
	if (s == NULL || limit < 2 || limit > QUIC_CID_PEER_LIMIT || len > QUIC_CID_LEN_MAX ||
	    (cid == NULL && len > 0))
		return QUIC_ERR_INVAL;
	memset(s, 0, sizeof(*s));
	s->limit = (uint8_t)limit;
	s->zero_len = len == 0;
	s->slot[0].live = true;
	s->slot[0].seq = 0;
	s->slot[0].cid.len = (uint8_t)len;
	if (len > 0)
		memcpy(s->slot[0].cid.data, cid, len);
	if (token != NULL) {
		memcpy(s->slot[0].token, token, QUIC_RESET_TOKEN_LEN);
		s->slot[0].has_token = true;
	}
	return 0;
}

int
quic_peer_cids_set_token0(struct quic_peer_cids *s, const uint8_t token[QUIC_RESET_TOKEN_LEN])
{
	int i;

	if (s == NULL || token == NULL)
		return QUIC_ERR_INVAL;
	i = peer_find(s, 0);
	if (i < 0)
		return QUIC_ERR_INVAL; /* seq 0 already retired */
	memcpy(s->slot[i].token, token, QUIC_RESET_TOKEN_LEN);
	s->slot[i].has_token = true;
	return 0;
}

/*
 * C23: a repeated seq must repeat the same CID and token (then it is a retransmission), and a
 * CID or token may not come back under another seq (RFC 9000 §19.15, §10.3.2).
 * @return 1 for an exact duplicate, 0 for a new CID, QUIC_ERR_PROTOCOL
 */
static int
peer_check_repeat(const struct quic_peer_cids *s, const struct quic_frame_new_connection_id *f)
{
	for (unsigned i = 0; i < QUIC_CID_PEER_LIMIT; i++) {
		const struct quic_peer_cid *e = &s->slot[i];
		bool same_cid, same_token;

		if (!e->live)
			continue;
		same_cid = e->cid.len == f->cid_len && memcmp(e->cid.data, f->cid, f->cid_len) == 0;
		same_token = e->has_token &&
			     crypto_memcmp_ct(e->token, f->reset_token, QUIC_RESET_TOKEN_LEN) == 0;
		if (e->seq == f->seq)
			return same_cid && same_token ? 1 : QUIC_ERR_PROTOCOL;
		if (same_cid || same_token)
			return QUIC_ERR_PROTOCOL;
	}
	return 0;
}

/* Retire every active CID below rpt; the caller has checked the queue has room. */
static void
peer_retire_below(struct quic_peer_cids *s, uint64_t rpt)
{
	for (unsigned i = 0; i < QUIC_CID_PEER_LIMIT; i++) {
		struct quic_peer_cid *e = &s->slot[i];

		if (!e->live || e->seq >= rpt)
			continue;
		retire_push(s, e->seq);
		memset(e, 0, sizeof(*e));
	}
}

static void
peer_add(struct quic_peer_cids *s, const struct quic_frame_new_connection_id *f)
{
	for (unsigned i = 0; i < QUIC_CID_PEER_LIMIT; i++) {
		struct quic_peer_cid *e = &s->slot[i];

		if (e->live)
			continue;
		e->live = true;
		e->seq = f->seq;
		e->cid.len = f->cid_len;
		memcpy(e->cid.data, f->cid, f->cid_len);
		memcpy(e->token, f->reset_token, QUIC_RESET_TOKEN_LEN);
		e->has_token = true;
		e->used = false;
		return;
	}
}

/*
 * Count what a frame would do under Retire Prior To rpt: CIDs left active (with the new one
 * unless known) and RETIRE_CONNECTION_ID frames to add to the queue.
 */
static void
peer_count(const struct quic_peer_cids *s, uint64_t seq, bool known, uint64_t rpt, unsigned *active,
	   unsigned *queue_add)
{
	*active = 0;
	*queue_add = 0;
	for (unsigned i = 0; i < QUIC_CID_PEER_LIMIT; i++) {
		if (!s->slot[i].live)
			continue;
		if (s->slot[i].seq >= rpt)
			(*active)++;
		else
			*queue_add += !retired_before(s, s->slot[i].seq);
	}
	if (known)
		return;
	/* A CID already below Retire Prior To is retired on arrival (§19.15). */
	if (seq < rpt)
		*queue_add += !retired_before(s, seq);
	else
		(*active)++;
}

int
quic_peer_cids_on_new(struct quic_peer_cids *s, const struct quic_frame_new_connection_id *f)
{
	unsigned active, queue_add;
	bool known, cur_gone;
	uint64_t rpt;
	int rc;

	if (s == NULL || f == NULL)
		return QUIC_ERR_INVAL;
	if (s->zero_len)
		return QUIC_ERR_PROTOCOL; /* C24, RFC 9000 §19.15 */
	if (f->cid_len == 0 || f->cid_len > QUIC_CID_LEN_MAX || f->cid == NULL ||
	    f->reset_token == NULL || f->retire_prior_to > f->seq)
		return QUIC_ERR_FRAME_ENCODING; /* C20, C21 */
	rc = peer_check_repeat(s, f);
	if (rc < 0)
		return rc;
	/* A repeat of a CID we hold or retired adds nothing, but its Retire Prior To counts. */
	known = rc == 1 || retired_before(s, f->seq);
	/* A smaller Retire Prior To than the largest received has no effect. */
	rpt = f->retire_prior_to > s->retire_prior_to ? f->retire_prior_to : s->retire_prior_to;
	peer_count(s, f->seq, known, rpt, &active, &queue_add);
	if (s->n_retire + queue_add > QUIC_CID_RETIRE_QUEUE)
		return QUIC_ERR_CID_LIMIT; /* C27 */
	if (active > s->limit)
		return QUIC_ERR_CID_LIMIT; /* C22 */
	peer_retire_below(s, rpt);
	s->retire_prior_to = rpt;
	/* Look before adding: the new CID may take the freed slot of the one in use. */
	cur_gone = !s->slot[s->cur].live;
	if (!known && f->seq < rpt)
		retire_push(s, f->seq);
	else if (!known)
		peer_add(s, f);
	if (cur_gone)
		peer_pick_lowest(s);
	return 0;
}

const struct quic_cid *
quic_peer_cids_dcid(struct quic_peer_cids *s)
{
	if (s == NULL)
		return NULL;
	s->slot[s->cur].used = true;
	return &s->slot[s->cur].cid;
}

uint64_t
quic_peer_cids_dcid_seq(const struct quic_peer_cids *s)
{
	return s == NULL ? 0 : s->slot[s->cur].seq;
}

unsigned
quic_peer_cids_count(const struct quic_peer_cids *s)
{
	unsigned n = 0;

	for (unsigned i = 0; s != NULL && i < QUIC_CID_PEER_LIMIT; i++)
		n += s->slot[i].live;
	return n;
}

/* Slot of the lowest-seq active CID never used, other than the current one; -1 if none. */
static int
peer_spare(const struct quic_peer_cids *s)
{
	int best = -1;

	for (unsigned i = 0; i < QUIC_CID_PEER_LIMIT; i++) {
		const struct quic_peer_cid *e = &s->slot[i];

		if (!e->live || e->used || i == s->cur)
			continue;
		if (best < 0 || e->seq < s->slot[best].seq)
			best = (int)i;
	}
	return best;
}

bool
quic_peer_cids_has_spare(const struct quic_peer_cids *s)
{
	return s != NULL && !s->zero_len && peer_spare(s) >= 0;
}

int
quic_peer_cids_rotate(struct quic_peer_cids *s)
{
	struct quic_peer_cid *old;
	int next;

	if (s == NULL || s->zero_len)
		return QUIC_ERR_INVAL;
	next = peer_spare(s);
	if (next < 0)
		return QUIC_ERR_INVAL;
	old = &s->slot[s->cur];
	if (!retired_before(s, old->seq) && s->n_retire >= QUIC_CID_RETIRE_QUEUE)
		return QUIC_ERR_CID_LIMIT;
	retire_push(s, old->seq);
	memset(old, 0, sizeof(*old));
	s->cur = (uint8_t)next;
	s->slot[next].used = true;
	return 0;
}

unsigned
quic_peer_cids_retire_pending(const struct quic_peer_cids *s)
{
	unsigned n = 0;

	for (unsigned i = 0; s != NULL && i < s->n_retire; i++)
		n += (s->retire[i] & QUIC_CID_RETIRE_SENT) == 0;
	return n;
}

bool
quic_peer_cids_next_retire(const struct quic_peer_cids *s, struct quic_frame *f)
{
	if (s == NULL || f == NULL)
		return false;
	for (unsigned i = 0; i < s->n_retire; i++) {
		if ((s->retire[i] & QUIC_CID_RETIRE_SENT) != 0)
			continue;
		memset(f, 0, sizeof(*f));
		f->type = QUIC_FRAME_RETIRE_CONNECTION_ID;
		f->retire_connection_id.seq = s->retire[i];
		return true;
	}
	return false;
}

static int
retire_index(const struct quic_peer_cids *s, uint64_t seq)
{
	for (unsigned i = 0; s != NULL && i < s->n_retire; i++)
		if ((s->retire[i] & ~QUIC_CID_RETIRE_SENT) == seq)
			return (int)i;
	return -1;
}

void
quic_peer_cids_retire_sent(struct quic_peer_cids *s, uint64_t seq)
{
	int i = retire_index(s, seq);

	if (i >= 0)
		s->retire[i] |= QUIC_CID_RETIRE_SENT;
}

void
quic_peer_cids_retire_acked(struct quic_peer_cids *s, uint64_t seq)
{
	int i = retire_index(s, seq);

	if (i < 0)
		return;
	/* Keep the queue dense and in order: later entries move down by one. */
	memmove(&s->retire[i], &s->retire[i + 1],
		(size_t)(s->n_retire - 1 - (unsigned)i) * sizeof(s->retire[0]));
	s->n_retire--;
}

void
quic_peer_cids_retire_lost(struct quic_peer_cids *s, uint64_t seq)
{
	int i = retire_index(s, seq);

	if (i >= 0)
		s->retire[i] &= ~QUIC_CID_RETIRE_SENT;
}

bool
quic_peer_cids_is_stateless_reset(const struct quic_peer_cids *s, const uint8_t *dgram, size_t len)
{
	const uint8_t *tail;
	int match = 0;

	if (s == NULL || dgram == NULL || len < QUIC_STATELESS_RESET_MIN_LEN)
		return false;
	tail = dgram + len - QUIC_RESET_TOKEN_LEN;
	/* Unused and retired CIDs' tokens are never checked (RFC 9000 §10.3.1). */
	for (unsigned i = 0; i < QUIC_CID_PEER_LIMIT; i++) {
		const struct quic_peer_cid *e = &s->slot[i];

		if (e->live && e->used && e->has_token)
			match |= crypto_memcmp_ct(tail, e->token, QUIC_RESET_TOKEN_LEN) == 0;
	}
	return match != 0;
}
