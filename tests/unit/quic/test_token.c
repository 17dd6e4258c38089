/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Address-validation tokens (RFC 9000 §8.1.1-§8.1.4) in the shared-state format of
 * draft-ietf-quic-retry-offload: wire format against an independent encoder, every refusal,
 * time arithmetic at the edges, key sets and files, rotation (also with two threads), the
 * NEW_TOKEN replay set.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <crypto/crypto.h>
#include <quic/error.h>
#include <quic/token.h>

#include "hb_crypto_test.h"
#include "hb_test.h"

TestSuite(token);

#define S_NS   UINT64_C(1000000000)
#define NOW_S  UINT64_C(1700000000)
#define NOW_NS (NOW_S * S_NS)

/* Two keys, seq 1 and 2: 2 seals. */
static const char keyfile2[] = "# test keys\n"
			       "1 000102030405060708090a0b0c0d0e0f 101112131415161718191a1b\n"
			       "2 202122232425262728292a2b2c2d2e2f 303132333435363738393a3b\n";

static const uint8_t odcid[12] = {0xc0, 0xff, 0xee, 1, 2, 3, 4, 5, 6, 7, 8, 9};
static const uint8_t rscid[16] = {0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
				  0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf};
static const struct quic_addr peer4 = {QUIC_AF_INET, 6666, {127, 0, 0, 1}};
static const struct quic_addr peer6 = {
	QUIC_AF_INET6, 443, {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}};

static int
det_rand(void *arg, uint8_t *buf, size_t len)
{
	hb_fill(arg, buf, len);
	return 0;
}

/* One worker with its own context, domain and published key set. */
struct fix {
	struct crypto_ctx *ctx;
	struct quic_token_domain *d;
	struct quic_token_worker *w;
	uint64_t seed;
	struct crypto_rand rand;
};

static struct quic_token_keyset *
parse_keys(const char *text)
{
	struct quic_token_keyset *ks = NULL;
	struct quic_keyfile_error e;

	cr_assert(eq(int, quic_token_keyfile_parse(&ks, text, strlen(text), &e), 0));
	return ks;
}

static void
fix_init_cfg(struct fix *f, const char *keys, const struct quic_token_config *cfg)
{
	memset(f, 0, sizeof(*f));
	f->seed = 0x1234567887654321u;
	f->rand.fn = det_rand;
	f->rand.arg = &f->seed;
	f->ctx = hb_ctx_new(CRYPTO_ENGINE_AUTO);
	cr_assert(eq(int, quic_token_domain_new(&f->d, 2), 0));
	if (keys != NULL)
		cr_assert(eq(int, quic_token_domain_publish(f->d, parse_keys(keys)), 0));
	cr_assert(eq(int, quic_token_worker_new(&f->w, f->d, 0, cfg, f->ctx, &f->rand), 0));
	quic_token_worker_enter(f->w);
}

static void
fix_init(struct fix *f, const char *keys)
{
	struct quic_token_config cfg;

	quic_token_config_default(&cfg);
	cfg.worker_id = 0x01020304;
	fix_init_cfg(f, keys, &cfg);
}

static void
fix_fini(struct fix *f)
{
	quic_token_worker_exit(f->w);
	quic_token_worker_free(f->w);
	quic_token_domain_free(f->d);
	crypto_ctx_free(f->ctx);
}

static size_t
seal_retry(struct fix *f, const struct quic_addr *peer, uint64_t now, uint8_t *out)
{
	size_t len = 0;

	cr_assert(eq(int,
		     quic_token_seal_retry(f->w, peer, odcid, sizeof(odcid), rscid, sizeof(rscid),
					   now, out, QUIC_TOKEN_BUF_LEN, &len),
		     0));
	return len;
}

static size_t
seal_new(struct fix *f, const struct quic_addr *peer, uint64_t now, uint8_t *out)
{
	size_t len = 0;

	cr_assert(eq(int, quic_token_seal_new_token(f->w, peer, now, out, QUIC_TOKEN_BUF_LEN, &len),
		     0));
	return len;
}

static enum quic_token_status
open_retry(struct fix *f, const uint8_t *t, size_t len, const struct quic_addr *peer, uint64_t now)
{
	struct quic_token_info info;

	return quic_token_open(f->w, QUIC_TOKEN_RETRY, t, len, peer, rscid, sizeof(rscid), now,
			       &info);
}

static enum quic_token_status
open_new(struct fix *f, const uint8_t *t, size_t len, const struct quic_addr *peer,
	 const uint8_t *dcid, uint64_t now)
{
	struct quic_token_info info;

	return quic_token_open(f->w, QUIC_TOKEN_NEW_TOKEN, t, len, peer, dcid, 8, now, &info);
}

/* ---- An independent encoder of the draft's format, for vectors and crafted tokens ---- */

struct ref_token {
	uint8_t key[16];
	uint8_t iv[12];
	uint8_t first;
	uint8_t utn[12];
	uint8_t ip[16]; /* as the associated data carries it */
	const uint8_t *rscid;
	size_t rscid_len; /* Retry tokens */
	const uint8_t *body;
	size_t body_len;
};

/* Token = first || UTN || AES-128-GCM(key, IV ^ UTN, AAD, body) || tag. */
static size_t
ref_seal(struct crypto_ctx *ctx, const struct ref_token *r, uint8_t *out)
{
	uint8_t nonce[12], aad[64];
	struct crypto_aead *a = NULL;
	size_t aad_len = 0;

	for (size_t i = 0; i < 12; i++)
		nonce[i] = r->iv[i] ^ r->utn[i];
	memcpy(aad, r->ip, 16);
	aad[16] = r->first;
	memcpy(aad + 17, r->utn, 12);
	aad_len = 29;
	if (r->rscid != NULL) {
		aad[aad_len++] = (uint8_t)r->rscid_len;
		memcpy(aad + aad_len, r->rscid, r->rscid_len);
		aad_len += r->rscid_len;
	}
	out[0] = r->first;
	memcpy(out + 1, r->utn, 12);
	memcpy(out + 13, r->body, r->body_len);
	cr_assert(eq(int, crypto_token_key_new(&a, ctx, r->key), 0));
	cr_assert(
		eq(int, crypto_aead_seal_nonce(a, nonce, aad, aad_len, out + 13, r->body_len), 0));
	crypto_aead_free(a);
	return 13 + r->body_len + 16;
}

static void
put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

/* The ref_token of keyfile2's key 2 for a Retry token to peer4, with a body to fill. */
static void
ref_retry(struct ref_token *r, uint8_t *body, uint64_t expiry, uint8_t odcil, bool port, int opaque)
{
	size_t n = 8;

	memset(r, 0, sizeof(*r));
	hb_hex("202122232425262728292a2b2c2d2e2f", r->key, 16);
	hb_hex("303132333435363738393a3b", r->iv, 12);
	r->first = 0x02;
	memset(r->utn, 0x5a, 12);
	r->ip[10] = r->ip[11] = 0xff;
	memcpy(r->ip + 12, peer4.ip, 4);
	r->rscid = rscid;
	r->rscid_len = sizeof(rscid);
	put_be64(body, expiry);
	body[n++] = odcil;
	memset(body + n, 0x77, odcil);
	n += odcil;
	if (port) {
		body[n++] = (uint8_t)(peer4.port >> 8);
		body[n++] = (uint8_t)peer4.port;
	}
	if (opaque >= 0)
		body[n++] = (uint8_t)opaque;
	r->body = body;
	r->body_len = n;
}

/* draft-ietf-quic-retry-offload, Appendix "Shared State Retry Token Test Vectors": the AEAD
 * step (nonce = AEAD IV XOR unique token number, AES-128-GCM) reproduces the vector's
 * ciphertext and ICV. (The vector's body and associated-data layouts predate the current
 * text, which we follow; only the AEAD composition is checked here.) */
HB_TEST(token, draft_vector_aead)
{
	static const char body_hex[] =
		"12101a0a0c3817b544ca1c94313bba41757547eec9370301e770d24b3b1307"
		"0dd5c2a92643070000000060c7bf4d";
	static const char want_hex[] =
		"7d38b274aa4427c7a1557c3fa666945931defc65da387a83855196a7cb73caac1e28e5346fd7"
		"6868de94f8b62294"
		"f91174fdd711543a32d5e959867f9c22";
	uint8_t key[16], iv[12], utn[12], nonce[12], aad[29], buf[64];
	struct crypto_ctx *ctx = hb_ctx_new(CRYPTO_ENGINE_AUTO);
	struct crypto_aead *a = NULL;
	size_t n;

	hb_hex_vec("30313233343536373839303132333435", key, sizeof(key));
	hb_hex_vec("313233343536373839303132", iv, sizeof(iv));
	hb_hex_vec("59ef316b70575e793e1a8782", utn, sizeof(utn));
	hb_hex_vec("7f00000100000000000000000000000059ef316b70575e793e1a878200", aad, sizeof(aad));
	n = hb_hex_vec(body_hex, buf, sizeof(buf));
	for (size_t i = 0; i < 12; i++)
		nonce[i] = iv[i] ^ utn[i];
	hb_assert_hex(nonce, 12, "68dd025f45616941072ab6b0");
	cr_assert(eq(int, crypto_token_key_new(&a, ctx, key), 0));
	cr_assert(eq(int, crypto_aead_seal_nonce(a, nonce, aad, sizeof(aad), buf, n), 0));
	hb_assert_hex(buf, n + 16, want_hex);
	crypto_aead_free(a);
	crypto_ctx_free(ctx);
}

/* Our Retry token is exactly the draft's layout: first byte = type 0 | key seq, number =
 * worker id || counter, body = Timestamp, ODCIL, ODCID, Port, our kind byte; AAD = mapped IP,
 * first byte, number, RSCIL, RSCID. */
HB_TEST(token, retry_wire_format)
{
	uint8_t tok[QUIC_TOKEN_BUF_LEN], want[QUIC_TOKEN_BUF_LEN], body[40];
	struct ref_token r;
	struct fix f;
	size_t len, n = 0;

	fix_init(&f, keyfile2);
	len = seal_retry(&f, &peer4, NOW_NS + 123, tok);
	cr_assert(eq(sz, len, QUIC_TOKEN_NEW_MIN_LEN + 1 + sizeof(odcid) + 2 + 1));
	cr_assert(eq(u8, tok[0], 0x02));
	hb_assert_hex(tok + 1, 4, "01020304");
	memset(&r, 0, sizeof(r));
	hb_hex("202122232425262728292a2b2c2d2e2f", r.key, 16);
	hb_hex("303132333435363738393a3b", r.iv, 12);
	r.first = tok[0];
	memcpy(r.utn, tok + 1, 12);
	r.ip[10] = r.ip[11] = 0xff;
	memcpy(r.ip + 12, peer4.ip, 4);
	r.rscid = rscid;
	r.rscid_len = sizeof(rscid);
	put_be64(body, NOW_S + QUIC_TOKEN_RETRY_LIFETIME_S);
	n = 8;
	body[n++] = sizeof(odcid);
	memcpy(body + n, odcid, sizeof(odcid));
	n += sizeof(odcid);
	body[n++] = 0x1a;
	body[n++] = 0x0a; /* 6666 */
	body[n++] = 0x00; /* QUIC_TOKEN_RETRY */
	r.body = body;
	r.body_len = n;
	cr_assert(eq(sz, ref_seal(f.ctx, &r, want), len));
	cr_assert(eq(int, memcmp(tok, want, len), 0));
	fix_fini(&f);
}

HB_TEST(token, new_token_wire_format)
{
	uint8_t tok[QUIC_TOKEN_BUF_LEN], want[QUIC_TOKEN_BUF_LEN], body[9];
	struct ref_token r;
	struct fix f;
	size_t len;

	fix_init(&f, keyfile2);
	len = seal_new(&f, &peer6, NOW_NS, tok);
	cr_assert(eq(sz, len, QUIC_TOKEN_NEW_LEN));
	cr_assert(eq(u8, tok[0], 0x82)); /* type 1, key 2 */
	memset(&r, 0, sizeof(r));
	hb_hex("202122232425262728292a2b2c2d2e2f", r.key, 16);
	hb_hex("303132333435363738393a3b", r.iv, 12);
	r.first = tok[0];
	memcpy(r.utn, tok + 1, 12);
	memcpy(r.ip, peer6.ip, 16);
	put_be64(body, NOW_S + QUIC_TOKEN_NEW_LIFETIME_S);
	body[8] = 0x01; /* QUIC_TOKEN_NEW_TOKEN */
	r.body = body;
	r.body_len = 9;
	cr_assert(eq(sz, ref_seal(f.ctx, &r, want), len));
	cr_assert(eq(int, memcmp(tok, want, len), 0));
	fix_fini(&f);
}

HB_TEST(token, retry_round_trip)
{
	uint8_t tok[QUIC_TOKEN_BUF_LEN];
	struct quic_token_info info;
	struct quic_token_stats st;
	struct fix f;
	size_t len;

	fix_init(&f, keyfile2);
	for (int i = 0; i < 2; i++) {
		const struct quic_addr *p = i == 0 ? &peer4 : &peer6;

		len = seal_retry(&f, p, NOW_NS, tok);
		memset(&info, 0xee, sizeof(info));
		cr_assert(eq(int,
			     (int)quic_token_open(f.w, QUIC_TOKEN_RETRY, tok, len, p, rscid,
						  sizeof(rscid), NOW_NS + 5 * S_NS, &info),
			     (int)QUIC_TOKEN_OK));
		cr_assert(eq(int, (int)info.kind, (int)QUIC_TOKEN_RETRY));
		cr_assert(eq(u8, info.odcid.len, sizeof(odcid)));
		cr_assert(eq(int, memcmp(info.odcid.data, odcid, sizeof(odcid)), 0));
	}
	quic_token_worker_stats(f.w, &st);
	cr_assert(eq(u64, st.sealed[QUIC_TOKEN_RETRY], 2));
	cr_assert(eq(u64, st.valid[QUIC_TOKEN_RETRY], 2));
	fix_fini(&f);
}

/* RFC 9000 §8.1.2 / bad-input A12: each way a Retry token fails, with its pinned status. */
HB_TEST(token, retry_refusals)
{
	uint8_t tok[QUIC_TOKEN_BUF_LEN], other_dcid[16];
	struct quic_addr other_ip = peer4, other_port = peer4, v6same = {QUIC_AF_INET6, 6666, {0}};
	struct quic_token_info info;
	struct fix f;
	size_t len;

	fix_init(&f, keyfile2);
	len = seal_retry(&f, &peer4, NOW_NS, tok);
	other_ip.ip[3] = 2;
	other_port.port = 6667;
	memcpy(v6same.ip, peer4.ip, 4); /* 127.0.0.1 zero-padded: not the same address */
	memcpy(other_dcid, rscid, sizeof(rscid));
	other_dcid[15] ^= 1;
	cr_assert(eq(int, (int)open_retry(&f, tok, len, &other_ip, NOW_NS), (int)QUIC_TOKEN_AUTH));
	cr_assert(eq(int, (int)open_retry(&f, tok, len, &v6same, NOW_NS), (int)QUIC_TOKEN_AUTH));
	cr_assert(
		eq(int, (int)open_retry(&f, tok, len, &other_port, NOW_NS), (int)QUIC_TOKEN_PORT));
	cr_assert(eq(int,
		     (int)quic_token_open(f.w, QUIC_TOKEN_RETRY, tok, len, &peer4, other_dcid,
					  sizeof(other_dcid), NOW_NS, &info),
		     (int)QUIC_TOKEN_AUTH));
	cr_assert(eq(int,
		     (int)quic_token_open(f.w, QUIC_TOKEN_RETRY, tok, len, &peer4, NULL, 0, NOW_NS,
					  &info),
		     (int)QUIC_TOKEN_AUTH));
	/* Used where a NEW_TOKEN token is expected. */
	cr_assert(eq(int, (int)open_new(&f, tok, len, &peer4, rscid, NOW_NS),
		     (int)QUIC_TOKEN_WRONG_KIND));
	/* Lifetime 10 s, grace 2 s: valid through expiry + 2 s - 1 ns. */
	cr_assert(eq(int, (int)open_retry(&f, tok, len, &peer4, (NOW_S + 12) * S_NS - 1),
		     (int)QUIC_TOKEN_OK));
	cr_assert(eq(int, (int)open_retry(&f, tok, len, &peer4, (NOW_S + 12) * S_NS),
		     (int)QUIC_TOKEN_EXPIRED));
	cr_assert(eq(int, (int)open_retry(&f, tok, len, &peer4, UINT64_MAX),
		     (int)QUIC_TOKEN_EXPIRED));
	/* Opened by a clock far behind (now < issue time): from the future. */
	cr_assert(eq(int, (int)open_retry(&f, tok, len, &peer4, NOW_NS - 3 * S_NS),
		     (int)QUIC_TOKEN_FUTURE));
	cr_assert(eq(int, (int)open_retry(&f, tok, len, &peer4, 0), (int)QUIC_TOKEN_FUTURE));
	cr_assert(eq(int, (int)open_retry(&f, tok, len, &peer4, NOW_NS - 2 * S_NS),
		     (int)QUIC_TOKEN_OK));
	/* Too long, unread. */
	cr_assert(eq(int, (int)open_retry(&f, tok, QUIC_TOKEN_OPEN_MAX + 1, &peer4, NOW_NS),
		     (int)QUIC_TOKEN_OVERSIZED));
	fix_fini(&f);
}

/* Every single-bit flip anywhere is refused; flips in the first byte name another kind or
 * key number before the tag is looked at. */
HB_TEST(token, every_bit_flip_refused)
{
	uint8_t tok[QUIC_TOKEN_BUF_LEN];
	struct fix f;
	size_t len;

	fix_init(&f, keyfile2);
	len = seal_retry(&f, &peer4, NOW_NS, tok);
	for (size_t bit = 0; bit < 8 * len; bit++) {
		enum quic_token_status want = QUIC_TOKEN_AUTH, got;

		tok[bit / 8] ^= (uint8_t)(0x80 >> (bit % 8));
		if (bit == 0)
			want = QUIC_TOKEN_WRONG_KIND;
		else if (bit < 8 && (tok[0] & 0x7f) != 1)
			want = QUIC_TOKEN_UNKNOWN_KEY; /* 2 with a bit flipped is never key 1 */
		got = open_retry(&f, tok, len, &peer4, NOW_NS);
		cr_assert(eq(int, (int)got, (int)want), "bit %zu", bit);
		tok[bit / 8] ^= (uint8_t)(0x80 >> (bit % 8));
	}
	cr_assert(eq(int, (int)open_retry(&f, tok, len, &peer4, NOW_NS), (int)QUIC_TOKEN_OK));
	fix_fini(&f);
}

/* Every strict prefix is a clean refusal: too short for its kind, or a tag that fails. */
HB_TEST(token, every_prefix_refused)
{
	uint8_t tok[QUIC_TOKEN_BUF_LEN], nt[QUIC_TOKEN_BUF_LEN];
	struct fix f;
	size_t len, nlen;

	fix_init(&f, keyfile2);
	len = seal_retry(&f, &peer4, NOW_NS, tok);
	nlen = seal_new(&f, &peer4, NOW_NS, nt);
	for (size_t k = 0; k < len; k++) {
		/* Exactly k bytes, so ASan sees any read past the prefix. */
		uint8_t *p = malloc(k > 0 ? k : 1);

		memcpy(p, tok, k);
		cr_assert(eq(int, (int)open_retry(&f, p, k, &peer4, NOW_NS),
			     k < QUIC_TOKEN_RETRY_MIN_LEN ? (int)QUIC_TOKEN_TRUNCATED
							  : (int)QUIC_TOKEN_AUTH),
			  "prefix %zu", k);
		free(p);
	}
	for (size_t k = 0; k < nlen; k++)
		cr_assert(eq(int, (int)open_new(&f, nt, k, &peer4, rscid, NOW_NS),
			     k < QUIC_TOKEN_NEW_MIN_LEN ? (int)QUIC_TOKEN_TRUNCATED
							: (int)QUIC_TOKEN_AUTH));
	fix_fini(&f);
}

/* The NEW_TOKEN side of every_bit_flip_refused: any single-bit flip is refused (the first
 * byte's top bit names the other kind, its other bits another key), and the token stays
 * unused: refusals are not recorded in the replay set. */
HB_TEST(token, new_token_every_bit_flip_refused)
{
	uint8_t tok[QUIC_TOKEN_BUF_LEN], d1[8] = {1};
	struct quic_token_stats st;
	struct fix f;
	size_t len;

	fix_init(&f, keyfile2);
	len = seal_new(&f, &peer6, NOW_NS, tok);
	cr_assert(eq(u8, tok[0] & QUIC_TOKEN_SEQ_MAX, 2));
	for (size_t bit = 0; bit < 8 * len; bit++) {
		enum quic_token_status want = QUIC_TOKEN_AUTH;

		tok[bit / 8] ^= (uint8_t)(0x80 >> (bit % 8));
		if (bit == 0)
			want = QUIC_TOKEN_WRONG_KIND;
		else if (bit < 8 && (tok[0] & QUIC_TOKEN_SEQ_MAX) != 1)
			want = QUIC_TOKEN_UNKNOWN_KEY;
		cr_assert(eq(int, (int)open_new(&f, tok, len, &peer6, d1, NOW_NS), (int)want),
			  "bit %zu", bit);
		tok[bit / 8] ^= (uint8_t)(0x80 >> (bit % 8));
	}
	quic_token_worker_stats(f.w, &st);
	cr_assert(eq(u64, st.refused[QUIC_TOKEN_AUTH], 8 * len - 8));
	cr_assert(eq(u64, st.refused[QUIC_TOKEN_WRONG_KIND], 1));
	cr_assert(eq(u64, st.refused[QUIC_TOKEN_UNKNOWN_KEY], 7));
	cr_assert(eq(int, (int)open_new(&f, tok, len, &peer6, d1, NOW_NS), (int)QUIC_TOKEN_OK));
	fix_fini(&f);
}

/* Another address, for NEW_TOKEN tokens over IPv6 and IPv4 (the address is in the AAD,
 * draft-ietf-quic-retry-offload): any one bit of the 16 bytes changed is another address.
 * The AAD carries an IPv4 address IPv4-mapped (RFC 4291 §2.5.5.2), so the same address seen
 * as ::ffff:a.b.c.d (a dual-stack socket) is the same client; zero-padded it is not. */
HB_TEST(token, new_token_other_address)
{
	uint8_t tok[QUIC_TOKEN_BUF_LEN], d1[8] = {1};
	struct quic_addr mapped = {QUIC_AF_INET6, 6666, {0}};
	struct fix f;
	size_t len;

	fix_init(&f, keyfile2);
	len = seal_new(&f, &peer6, NOW_NS, tok);
	for (size_t bit = 0; bit < 128; bit++) {
		struct quic_addr other = peer6;

		other.ip[bit / 8] ^= (uint8_t)(0x80 >> (bit % 8));
		cr_assert(eq(int, (int)open_new(&f, tok, len, &other, d1, NOW_NS),
			     (int)QUIC_TOKEN_AUTH),
			  "bit %zu", bit);
	}
	len = seal_new(&f, &peer4, NOW_NS, tok);
	mapped.ip[10] = mapped.ip[11] = 0xff;
	memcpy(mapped.ip + 12, peer4.ip, 4);
	cr_assert(eq(int, (int)open_new(&f, tok, len, &mapped, d1, NOW_NS), (int)QUIC_TOKEN_OK));
	cr_assert(eq(int, (int)open_new(&f, tok, len, &peer4, d1, NOW_NS), (int)QUIC_TOKEN_OK));
	mapped.ip[10] = mapped.ip[11] = 0;
	cr_assert(eq(int, (int)open_new(&f, tok, len, &mapped, d1, NOW_NS), (int)QUIC_TOKEN_AUTH));
	fix_fini(&f);
}

/* Oversized: an authentic token of either kind with bytes appended fails its tag at every
 * length up to QUIC_TOKEN_OPEN_MAX and is not read at all beyond it (the buffer is exactly
 * that long, so ASan sees any read past it). */
HB_TEST(token, appended_bytes_refused)
{
	uint8_t tok[QUIC_TOKEN_BUF_LEN], d1[8] = {1};
	uint8_t *buf = malloc(QUIC_TOKEN_OPEN_MAX + 1);
	struct fix f;
	size_t len;

	cr_assert(buf != NULL);
	fix_init(&f, keyfile2);
	for (int kind = 0; kind < 2; kind++) {
		len = kind == 0 ? seal_retry(&f, &peer4, NOW_NS, tok)
				: seal_new(&f, &peer4, NOW_NS, tok);
		memset(buf, 0, QUIC_TOKEN_OPEN_MAX + 1);
		memcpy(buf, tok, len);
		for (size_t k = len + 1; k <= QUIC_TOKEN_OPEN_MAX + 1; k++) {
			int want = k > QUIC_TOKEN_OPEN_MAX ? (int)QUIC_TOKEN_OVERSIZED
							   : (int)QUIC_TOKEN_AUTH;

			cr_assert(eq(int,
				     kind == 0 ? (int)open_retry(&f, buf, k, &peer4, NOW_NS)
					       : (int)open_new(&f, buf, k, &peer4, d1, NOW_NS),
				     want),
				  "kind %d length %zu", kind, k);
		}
		cr_assert(eq(int,
			     kind == 0 ? (int)open_retry(&f, buf, len, &peer4, NOW_NS)
				       : (int)open_new(&f, buf, len, &peer4, d1, NOW_NS),
			     (int)QUIC_TOKEN_OK));
	}
	fix_fini(&f);
	free(buf);
}

/* RFC 9000 §8.1.3: NEW_TOKEN tokens survive a port change, not an address change, expire in
 * hours, and are never accepted as Retry tokens. */
HB_TEST(token, new_token_rules)
{
	uint8_t tok[QUIC_TOKEN_BUF_LEN], d1[8] = {1}, d2[8] = {2}, d3[8] = {3};
	struct quic_addr moved = peer4, other = peer4;
	struct quic_token_info info;
	struct fix f;
	size_t len;

	fix_init(&f, keyfile2);
	moved.port = 5000;
	other.ip[0] = 10;
	len = seal_new(&f, &peer4, NOW_NS, tok);
	cr_assert(eq(int, (int)open_new(&f, tok, len, &other, d1, NOW_NS), (int)QUIC_TOKEN_AUTH));
	cr_assert(
		eq(int, (int)open_retry(&f, tok, len, &peer4, NOW_NS), (int)QUIC_TOKEN_WRONG_KIND));
	cr_assert(eq(int,
		     (int)open_new(&f, tok, len, &moved, d1,
				   NOW_NS + (QUIC_TOKEN_NEW_LIFETIME_S - 1) * S_NS),
		     (int)QUIC_TOKEN_OK));
	cr_assert(eq(int,
		     (int)quic_token_open(f.w, QUIC_TOKEN_NEW_TOKEN, tok, len, &moved, d1, 8,
					  NOW_NS, &info),
		     (int)QUIC_TOKEN_OK));
	cr_assert(eq(int, (int)info.kind, (int)QUIC_TOKEN_NEW_TOKEN));
	cr_assert(eq(u8, info.odcid.len, 0));
	len = seal_new(&f, &peer4, NOW_NS, tok);
	cr_assert(eq(int,
		     (int)open_new(&f, tok, len, &peer4, d2,
				   NOW_NS + (QUIC_TOKEN_NEW_LIFETIME_S + 2) * S_NS),
		     (int)QUIC_TOKEN_EXPIRED));
	/* Refused tokens are not recorded: the token is still unused. */
	cr_assert(eq(int, (int)open_new(&f, tok, len, &peer4, d3, NOW_NS), (int)QUIC_TOKEN_OK));
	fix_fini(&f);
}

/* Replay: a second use with another DCID or port is refused; a retransmitted Initial of the
 * same attempt (same DCID and port) is not a replay. */
HB_TEST(token, new_token_replay_refused)
{
	uint8_t tok[QUIC_TOKEN_BUF_LEN], d1[8] = {1}, d2[8] = {2};
	struct quic_addr moved = peer4;
	struct quic_token_stats st;
	struct fix f;
	size_t len;

	fix_init(&f, keyfile2);
	moved.port = 7000;
	len = seal_new(&f, &peer4, NOW_NS, tok);
	cr_assert(eq(int, (int)open_new(&f, tok, len, &peer4, d1, NOW_NS), (int)QUIC_TOKEN_OK));
	cr_assert(eq(int, (int)open_new(&f, tok, len, &peer4, d1, NOW_NS + 1), (int)QUIC_TOKEN_OK));
	cr_assert(eq(int, (int)open_new(&f, tok, len, &peer4, d2, NOW_NS), (int)QUIC_TOKEN_REPLAY));
	cr_assert(eq(int, (int)open_new(&f, tok, len, &moved, d1, NOW_NS), (int)QUIC_TOKEN_REPLAY));
	quic_token_worker_stats(f.w, &st);
	cr_assert(eq(u64, st.refused[QUIC_TOKEN_REPLAY], 2));
	/* Retry tokens are stateless: replayable from the same address and port. */
	len = seal_retry(&f, &peer4, NOW_NS, tok);
	for (int i = 0; i < 3; i++)
		cr_assert(
			eq(int, (int)open_retry(&f, tok, len, &peer4, NOW_NS), (int)QUIC_TOKEN_OK));
	fix_fini(&f);
}

/* The replay set is bounded: with 4 entries (one bucket), the fifth and sixth tokens evict the
 * two recorded first, which can then be used once more; memory never grows. */
HB_TEST(token, replay_set_bounded)
{
	uint8_t tok[6][QUIC_TOKEN_BUF_LEN], d1[8] = {1}, d2[8] = {2};
	struct quic_token_config cfg;
	size_t len[6];
	struct fix f;

	quic_token_config_default(&cfg);
	cfg.replay_entries = 4;
	fix_init_cfg(&f, keyfile2, &cfg);
	for (int i = 0; i < 6; i++) {
		len[i] = seal_new(&f, &peer4, NOW_NS, tok[i]);
		cr_assert(eq(int, (int)open_new(&f, tok[i], len[i], &peer4, d1, NOW_NS),
			     (int)QUIC_TOKEN_OK));
	}
	for (int i = 2; i < 6; i++)
		cr_assert(eq(int, (int)open_new(&f, tok[i], len[i], &peer4, d2, NOW_NS),
			     (int)QUIC_TOKEN_REPLAY));
	cr_assert(
		eq(int, (int)open_new(&f, tok[0], len[0], &peer4, d2, NOW_NS), (int)QUIC_TOKEN_OK));
	/* Entries of expired tokens are free again: no eviction needed. */
	cr_assert(eq(int,
		     (int)open_new(&f, tok[0], len[0], &peer4, d1,
				   NOW_NS + (QUIC_TOKEN_NEW_LIFETIME_S + 2) * S_NS),
		     (int)QUIC_TOKEN_EXPIRED));
	/* Invalid sizes are refused. */
	cfg.replay_entries = 6;
	cr_assert(eq(int,
		     quic_token_worker_new(&(struct quic_token_worker *){NULL}, f.d, 1, &cfg, f.ctx,
					   NULL),
		     QUIC_ERR_INVAL));
	cfg.replay_entries = QUIC_TOKEN_REPLAY_MAX * 2;
	cr_assert(eq(int,
		     quic_token_worker_new(&(struct quic_token_worker *){NULL}, f.d, 1, &cfg, f.ctx,
					   NULL),
		     QUIC_ERR_INVAL));
	fix_fini(&f);
}

/* Replay entries die with their key (cleared per key epoch): a key that leaves the set and
 * comes back starts with an empty history. */
HB_TEST(token, replay_cleared_with_key)
{
	static const char k2[] = "2 202122232425262728292a2b2c2d2e2f 303132333435363738393a3b\n";
	static const char k3[] = "3 404142434445464748494a4b4c4d4e4f 505152535455565758595a5b\n";
	static const char k23[] = "2 202122232425262728292a2b2c2d2e2f 303132333435363738393a3b\n"
				  "3 404142434445464748494a4b4c4d4e4f 505152535455565758595a5b\n";
	static const char *const sets[] = {k23, k3, k23};
	static const enum quic_token_status want[] = {QUIC_TOKEN_REPLAY, QUIC_TOKEN_UNKNOWN_KEY,
						      QUIC_TOKEN_OK};
	uint8_t tok[QUIC_TOKEN_BUF_LEN], d1[8] = {1}, d2[8] = {2};
	struct fix f;
	size_t len;

	fix_init(&f, k2);
	len = seal_new(&f, &peer4, NOW_NS, tok); /* sealed under key 2 */
	cr_assert(eq(int, (int)open_new(&f, tok, len, &peer4, d1, NOW_NS), (int)QUIC_TOKEN_OK));
	cr_assert(eq(int, (int)open_new(&f, tok, len, &peer4, d2, NOW_NS), (int)QUIC_TOKEN_REPLAY));
	/* Key 2 stays: its history stays. Key 2 leaves, then returns (a file rolled back): the
	 * returning key is a new key epoch with an empty history. */
	for (int i = 0; i < 3; i++) {
		quic_token_worker_exit(f.w);
		cr_assert(eq(int, quic_token_domain_publish(f.d, parse_keys(sets[i])), 0));
		quic_token_worker_enter(f.w);
		cr_assert(eq(int, (int)open_new(&f, tok, len, &peer4, d2, NOW_NS), (int)want[i]),
			  "set %d", i);
	}
	fix_fini(&f);
}

/* Authentic tokens with impossible bodies (a Retry Offload with a bug, or ours from a future
 * version): refused as MALFORMED; an offload's token without opaque data is accepted. */
HB_TEST(token, crafted_bodies)
{
	uint8_t tok[QUIC_TOKEN_BUF_LEN], body[48];
	uint64_t exp = NOW_S + 5;
	struct quic_token_info info;
	struct ref_token r;
	struct fix f;
	size_t len;

	fix_init(&f, keyfile2);
	ref_retry(&r, body, exp, 7, true, 0); /* ODCIL < 8 */
	len = ref_seal(f.ctx, &r, tok);
	cr_assert(
		eq(int, (int)open_retry(&f, tok, len, &peer4, NOW_NS), (int)QUIC_TOKEN_MALFORMED));
	ref_retry(&r, body, exp, 21, true, 0); /* ODCIL > 20 */
	len = ref_seal(f.ctx, &r, tok);
	cr_assert(
		eq(int, (int)open_retry(&f, tok, len, &peer4, NOW_NS), (int)QUIC_TOKEN_MALFORMED));
	ref_retry(&r, body, exp, 8, true, 1); /* opaque says NEW_TOKEN */
	len = ref_seal(f.ctx, &r, tok);
	cr_assert(
		eq(int, (int)open_retry(&f, tok, len, &peer4, NOW_NS), (int)QUIC_TOKEN_MALFORMED));
	ref_retry(&r, body, exp, 20, false, -1); /* no Port */
	r.body_len -= 1;			 /* and the ODCID cut short */
	len = ref_seal(f.ctx, &r, tok);
	cr_assert(
		eq(int, (int)open_retry(&f, tok, len, &peer4, NOW_NS), (int)QUIC_TOKEN_MALFORMED));
	ref_retry(&r, body, exp, 8, true, -1); /* a Retry Offload's: no opaque data */
	len = ref_seal(f.ctx, &r, tok);
	cr_assert(eq(sz, len, QUIC_TOKEN_RETRY_MIN_LEN));
	cr_assert(eq(int,
		     (int)quic_token_open(f.w, QUIC_TOKEN_RETRY, tok, len, &peer4, rscid,
					  sizeof(rscid), NOW_NS, &info),
		     (int)QUIC_TOKEN_OK));
	cr_assert(eq(u8, info.odcid.len, 8));
	cr_assert(eq(u8, info.odcid.data[7], 0x77));
	fix_fini(&f);
}

/* bad-input.md (ngtcp2 token-expiry overflow): expiry at the ends of the range, now at the
 * ends of the range, lifetimes at their bound. Nothing wraps. */
HB_TEST(token, time_arithmetic_edges)
{
	static const uint64_t expiries[] = {0, 1, UINT64_MAX - 1, UINT64_MAX};
	static const enum quic_token_status want[] = {QUIC_TOKEN_EXPIRED, QUIC_TOKEN_EXPIRED,
						      QUIC_TOKEN_FUTURE, QUIC_TOKEN_FUTURE};
	uint8_t tok[QUIC_TOKEN_BUF_LEN], body[48];
	struct ref_token r;
	struct fix f;
	size_t len;

	fix_init(&f, keyfile2);
	for (size_t i = 0; i < 4; i++) {
		ref_retry(&r, body, expiries[i], 8, true, 0);
		len = ref_seal(f.ctx, &r, tok);
		cr_assert(eq(int, (int)open_retry(&f, tok, len, &peer4, NOW_NS), (int)want[i]));
		cr_assert(eq(int, (int)open_retry(&f, tok, len, &peer4, UINT64_MAX), (int)want[i]));
		/* At now 0, expiries 0 and 1 lie within lifetime + grace. */
		cr_assert(eq(int, (int)open_retry(&f, tok, len, &peer4, 0),
			     i < 2 ? (int)QUIC_TOKEN_OK : (int)QUIC_TOKEN_FUTURE));
	}
	/* Exactly lifetime + grace ahead is accepted, one second more is not. */
	ref_retry(&r, body, NOW_S + 12, 8, true, 0);
	len = ref_seal(f.ctx, &r, tok);
	cr_assert(eq(int, (int)open_retry(&f, tok, len, &peer4, NOW_NS), (int)QUIC_TOKEN_OK));
	ref_retry(&r, body, NOW_S + 13, 8, true, 0);
	len = ref_seal(f.ctx, &r, tok);
	cr_assert(eq(int, (int)open_retry(&f, tok, len, &peer4, NOW_NS), (int)QUIC_TOKEN_FUTURE));
	/* Sealed at the end of time: still opens then. */
	len = seal_retry(&f, &peer4, UINT64_MAX, tok);
	cr_assert(eq(int, (int)open_retry(&f, tok, len, &peer4, UINT64_MAX), (int)QUIC_TOKEN_OK));
	fix_fini(&f);
}

HB_TEST(token, lifetimes_at_their_bound)
{
	struct quic_token_worker *w = NULL;
	struct quic_token_config cfg;
	uint8_t tok[QUIC_TOKEN_BUF_LEN];
	struct fix f;
	size_t len;

	quic_token_config_default(&cfg);
	cfg.retry_lifetime_s = QUIC_TOKEN_LIFETIME_MAX_S;
	cfg.new_token_lifetime_s = QUIC_TOKEN_LIFETIME_MAX_S;
	cfg.grace_s = QUIC_TOKEN_LIFETIME_MAX_S;
	fix_init_cfg(&f, keyfile2, &cfg);
	len = seal_retry(&f, &peer4, UINT64_MAX, tok);
	cr_assert(eq(int, (int)open_retry(&f, tok, len, &peer4, UINT64_MAX), (int)QUIC_TOKEN_OK));
	cr_assert(eq(int, (int)open_retry(&f, tok, len, &peer4, 0), (int)QUIC_TOKEN_FUTURE));
	len = seal_retry(&f, &peer4, 0, tok);
	cr_assert(eq(int, (int)open_retry(&f, tok, len, &peer4, UINT64_MAX),
		     (int)QUIC_TOKEN_EXPIRED));
	/* Out of bounds: refused at configuration time. */
	cfg.retry_lifetime_s = QUIC_TOKEN_LIFETIME_MAX_S + 1;
	cr_assert(eq(int, quic_token_worker_new(&w, f.d, 1, &cfg, f.ctx, NULL), QUIC_ERR_INVAL));
	cfg.retry_lifetime_s = 10;
	cfg.new_token_lifetime_s = UINT64_MAX;
	cr_assert(eq(int, quic_token_worker_new(&w, f.d, 1, &cfg, f.ctx, NULL), QUIC_ERR_INVAL));
	cfg.new_token_lifetime_s = 0;
	cr_assert(eq(int, quic_token_worker_new(&w, f.d, 1, &cfg, f.ctx, NULL), QUIC_ERR_INVAL));
	cfg.new_token_lifetime_s = 3600;
	cfg.grace_s = UINT64_MAX;
	cr_assert(eq(int, quic_token_worker_new(&w, f.d, 1, &cfg, f.ctx, NULL), QUIC_ERR_INVAL));
	cr_assert(eq(ptr, w, NULL));
	fix_fini(&f);
}

HB_TEST(token, unknown_key_and_no_keys)
{
	static const char k3[] = "3 404142434445464748494a4b4c4d4e4f 505152535455565758595a5b\n";
	uint8_t tok[QUIC_TOKEN_BUF_LEN];
	struct quic_token_stats st;
	struct fix f, g;
	size_t len;

	fix_init(&f, keyfile2);
	fix_init(&g, k3);
	len = seal_retry(&g, &peer4, NOW_NS, tok);
	cr_assert(eq(int, (int)open_retry(&f, tok, len, &peer4, NOW_NS),
		     (int)QUIC_TOKEN_UNKNOWN_KEY));
	fix_fini(&g);
	/* Nothing published yet. */
	fix_init(&g, NULL);
	cr_assert(eq(int, (int)open_retry(&g, tok, len, &peer4, NOW_NS), (int)QUIC_TOKEN_NO_KEYS));
	cr_assert(eq(int, quic_token_seal_new_token(g.w, &peer4, NOW_NS, tok, sizeof(tok), &len),
		     QUIC_ERR_CRYPTO));
	quic_token_worker_stats(g.w, &st);
	cr_assert(eq(u64, st.refused[QUIC_TOKEN_NO_KEYS], 1));
	fix_fini(&g);
	fix_fini(&f);
}

HB_TEST(token, seal_arguments_checked)
{
	uint8_t tok[QUIC_TOKEN_BUF_LEN];
	struct quic_addr bad = peer4;
	struct fix f;
	size_t len;

	fix_init(&f, keyfile2);
	bad.family = 5;
	cr_assert(eq(int,
		     quic_token_seal_retry(f.w, &peer4, odcid, 7, rscid, 8, NOW_NS, tok,
					   sizeof(tok), &len),
		     QUIC_ERR_INVAL));
	cr_assert(eq(int,
		     quic_token_seal_retry(f.w, &peer4, odcid, 8, rscid, 0, NOW_NS, tok,
					   sizeof(tok), &len),
		     QUIC_ERR_INVAL));
	cr_assert(eq(int,
		     quic_token_seal_retry(f.w, &bad, odcid, 8, rscid, 8, NOW_NS, tok, sizeof(tok),
					   &len),
		     QUIC_ERR_INVAL));
	for (size_t cap = 0; cap < QUIC_TOKEN_NEW_LEN; cap++)
		cr_assert(eq(int, quic_token_seal_new_token(f.w, &peer4, NOW_NS, tok, cap, &len),
			     QUIC_ERR_BUFFER));
	cr_assert(eq(int,
		     quic_token_seal_new_token(f.w, &peer4, NOW_NS, tok, QUIC_TOKEN_NEW_LEN, &len),
		     0));
	fix_fini(&f);
}

static int
cmp_utn(const void *a, const void *b)
{
	return memcmp(a, b, QUIC_TOKEN_UTN_LEN);
}

/* One worker, a million tokens: a million distinct nonces, worker id || counter. */
HB_TEST(token, nonce_unique_over_1e6_tokens)
{
	enum { N = 1000000 };
	uint8_t(*utn)[QUIC_TOKEN_UTN_LEN] = malloc((size_t)N * QUIC_TOKEN_UTN_LEN);
	uint8_t tok[QUIC_TOKEN_BUF_LEN];
	struct fix f;
	size_t len, dups = 0;

	cr_assert(not(eq(ptr, utn, NULL)));
	fix_init(&f, keyfile2);
	for (size_t i = 0; i < N; i++) {
		cr_assert(eq(int,
			     quic_token_seal_retry(f.w, &peer4, odcid, 8, rscid, 8, NOW_NS, tok,
						   sizeof(tok), &len),
			     0));
		memcpy(utn[i], tok + 1, QUIC_TOKEN_UTN_LEN);
	}
	hb_assert_hex(utn[N - 1], 4, "01020304");
	qsort(utn, N, QUIC_TOKEN_UTN_LEN, cmp_utn);
	for (size_t i = 1; i < N; i++)
		dups += memcmp(utn[i - 1], utn[i], QUIC_TOKEN_UTN_LEN) == 0;
	cr_assert(eq(sz, dups, 0));
	free(utn);
	fix_fini(&f);
}

/* A fleet: two servers, each with its own key set object parsed from the same key file, its
 * own worker id and crypto context, validate each other's tokens. */
HB_TEST(token, fleet_hosts_validate_each_other)
{
	uint8_t tok[QUIC_TOKEN_BUF_LEN], d1[8] = {9};
	struct quic_token_config cfg;
	struct fix a, b;
	size_t len;

	fix_init(&a, keyfile2);
	quic_token_config_default(&cfg);
	cfg.worker_id = 0x02000001;
	fix_init_cfg(&b, keyfile2, &cfg);
	len = seal_retry(&a, &peer6, NOW_NS, tok);
	cr_assert(
		eq(int, (int)open_retry(&b, tok, len, &peer6, NOW_NS + S_NS), (int)QUIC_TOKEN_OK));
	len = seal_retry(&b, &peer4, NOW_NS, tok);
	cr_assert(eq(int, (int)open_retry(&a, tok, len, &peer4, NOW_NS), (int)QUIC_TOKEN_OK));
	len = seal_new(&b, &peer4, NOW_NS, tok);
	cr_assert(eq(int, (int)open_new(&a, tok, len, &peer4, d1, NOW_NS + 3600 * S_NS),
		     (int)QUIC_TOKEN_OK));
	/* Replay protection is per worker: the other host has not seen it. */
	cr_assert(eq(int, (int)open_new(&b, tok, len, &peer4, d1, NOW_NS), (int)QUIC_TOKEN_OK));
	fix_fini(&b);
	fix_fini(&a);
}

/* Epoch boundary: a token sealed under the previous key stays valid after a rotation (the new
 * set keeps that key) and is refused once its key leaves the set. */
HB_TEST(token, rotation_keeps_previous_key)
{
	static const char k1[] = "1 000102030405060708090a0b0c0d0e0f 101112131415161718191a1b\n";
	static const char k23[] = "3 404142434445464748494a4b4c4d4e4f 505152535455565758595a5b\n"
				  "2 202122232425262728292a2b2c2d2e2f 303132333435363738393a3b\n";
	uint8_t t1[QUIC_TOKEN_BUF_LEN], t2[QUIC_TOKEN_BUF_LEN];
	struct quic_token_stats st;
	struct fix f;
	size_t l1, l2;

	fix_init(&f, k1);
	l1 = seal_retry(&f, &peer4, NOW_NS, t1);
	cr_assert(eq(u8, t1[0], 1));
	quic_token_worker_exit(f.w);
	cr_assert(eq(int, quic_token_domain_publish(f.d, parse_keys(keyfile2)), 0));
	quic_token_worker_enter(f.w);
	l2 = seal_retry(&f, &peer4, NOW_NS, t2);
	cr_assert(eq(u8, t2[0], 2));
	cr_assert(eq(int, (int)open_retry(&f, t1, l1, &peer4, NOW_NS), (int)QUIC_TOKEN_OK));
	quic_token_worker_exit(f.w);
	cr_assert(eq(int, quic_token_domain_publish(f.d, parse_keys(k23)), 0));
	quic_token_worker_enter(f.w);
	cr_assert(
		eq(int, (int)open_retry(&f, t1, l1, &peer4, NOW_NS), (int)QUIC_TOKEN_UNKNOWN_KEY));
	cr_assert(eq(int, (int)open_retry(&f, t2, l2, &peer4, NOW_NS), (int)QUIC_TOKEN_OK));
	quic_token_worker_stats(f.w, &st);
	cr_assert(eq(u64, st.key_refreshes, 3));
	fix_fini(&f);
}

/* Reclamation waits for every online worker's quiescent point, and not for offline ones. */
HB_TEST(token, reclaim_waits_for_quiescent_point)
{
	struct quic_token_worker *w2 = NULL;
	struct quic_token_config cfg;
	struct fix f;

	fix_init(&f, keyfile2);
	quic_token_config_default(&cfg);
	cr_assert(eq(int, quic_token_worker_new(&w2, f.d, 1, &cfg, f.ctx, NULL), 0));
	/* f.w is inside a burst: the set it loaded must survive. */
	cr_assert(eq(int, quic_token_domain_publish(f.d, parse_keys(keyfile2)), 0));
	cr_assert(eq(sz, quic_token_domain_reclaim(f.d), 1));
	quic_token_worker_exit(f.w);
	cr_assert(eq(sz, quic_token_domain_reclaim(f.d), 0));
	/* w2 online between bursts holds an old epoch until its next exit. */
	quic_token_worker_enter(w2);
	quic_token_worker_exit(w2);
	cr_assert(eq(int, quic_token_domain_publish(f.d, parse_keys(keyfile2)), 0));
	cr_assert(eq(sz, quic_token_domain_reclaim(f.d), 1));
	quic_token_worker_enter(w2);
	quic_token_worker_exit(w2);
	/* f.w is online too: only its own next exit frees the set. */
	cr_assert(eq(sz, quic_token_domain_reclaim(f.d), 1));
	quic_token_worker_offline(f.w);
	cr_assert(eq(sz, quic_token_domain_reclaim(f.d), 0));
	/* A set cannot be published twice; a slot cannot be claimed twice. */
	cr_assert(eq(int, quic_token_domain_publish(f.d, NULL), QUIC_ERR_INVAL));
	cr_assert(eq(int,
		     quic_token_worker_new(&(struct quic_token_worker *){NULL}, f.d, 1, &cfg, f.ctx,
					   NULL),
		     QUIC_ERR_INVAL));
	quic_token_worker_free(w2);
	quic_token_worker_enter(f.w);
	fix_fini(&f);
}

/* ---- Two threads: the control thread rotates 1,000 times while a worker works ---- */

#define ROTATIONS 1000

struct race {
	struct quic_token_domain *d;
	struct quic_token_worker *w;
	_Atomic bool done;
	_Atomic uint64_t bursts;
	_Atomic uint64_t refused;
};

/* Key of rotation r: its sequence number is r mod 128, its bytes are unique to r. */
static void
round_key(unsigned r, struct quic_token_key *k)
{
	memset(k, 0, sizeof(*k));
	k->seq = (uint8_t)(r & 127);
	k->key[0] = (uint8_t)r;
	k->key[1] = (uint8_t)(r >> 8);
	k->iv[0] = (uint8_t)(r * 7);
}

/* The newest 4 keys at rotation r. */
static struct quic_token_keyset *
round_set(unsigned r)
{
	struct quic_token_key keys[QUIC_TOKEN_MAX_KEYS];
	struct quic_token_keyset *ks = NULL;
	size_t n = 0;

	for (unsigned i = r >= 3 ? r - 3 : 0; i <= r; i++)
		round_key(i, &keys[n++]);
	if (quic_token_keyset_new(&ks, keys, n) != 0)
		return NULL;
	return ks;
}

/* The worker: each burst seals a token and opens it, and opens the previous burst's token,
 * which the rotation protocol guarantees is under a key still in the set. */
static void *
race_worker(void *arg)
{
	struct race *r = arg;
	uint8_t prev[QUIC_TOKEN_BUF_LEN], tok[QUIC_TOKEN_BUF_LEN];
	size_t prev_len = 0, len;
	uint64_t bad = 0, n = 0;

	/* Pairs with the release store of done by the control thread. */
	while (!atomic_load_explicit(&r->done, memory_order_acquire)) {
		quic_token_worker_enter(r->w);
		if (quic_token_seal_retry(r->w, &peer4, odcid, 8, rscid, 8, NOW_NS, tok,
					  sizeof(tok), &len) != 0 ||
		    quic_token_open(r->w, QUIC_TOKEN_RETRY, tok, len, &peer4, rscid, 8, NOW_NS,
				    NULL) != QUIC_TOKEN_OK)
			bad++;
		if (prev_len > 0 && quic_token_open(r->w, QUIC_TOKEN_RETRY, prev, prev_len, &peer4,
						    rscid, 8, NOW_NS, NULL) != QUIC_TOKEN_OK)
			bad++;
		memcpy(prev, tok, len);
		prev_len = len;
		quic_token_worker_exit(r->w);
		n++;
	}
	quic_token_worker_offline(r->w);
	/* Read by the main thread after pthread_join, which orders them. */
	atomic_store_explicit(&r->bursts, n, memory_order_relaxed);
	atomic_store_explicit(&r->refused, bad, memory_order_relaxed);
	return NULL;
}

HB_TEST(token, rotation_race_two_threads)
{
	struct quic_token_config cfg;
	struct crypto_ctx *ctx = hb_ctx_new(CRYPTO_ENGINE_AUTO);
	struct race r = {0};
	pthread_t th;

	cr_assert(eq(int, quic_token_domain_new(&r.d, 1), 0));
	cr_assert(eq(int, quic_token_domain_publish(r.d, round_set(0)), 0));
	quic_token_config_default(&cfg);
	cr_assert(eq(int, quic_token_worker_new(&r.w, r.d, 0, &cfg, ctx, NULL), 0));
	atomic_init(&r.done, false);
	atomic_init(&r.bursts, 0);
	atomic_init(&r.refused, 0);
	cr_assert(eq(int, pthread_create(&th, NULL, race_worker, &r), 0));
	for (unsigned i = 1; i <= ROTATIONS; i++) {
		struct quic_token_keyset *ks = round_set(i);

		cr_assert(not(eq(ptr, ks, NULL)));
		cr_assert(eq(int, quic_token_domain_publish(r.d, ks), 0));
		/* Wait until the worker has passed a quiescent point: the old set is freed. */
		while (quic_token_domain_reclaim(r.d) > 0)
			sched_yield();
	}
	/* Pairs with the acquire load in race_worker(). */
	atomic_store_explicit(&r.done, true, memory_order_release);
	cr_assert(eq(int, pthread_join(th, NULL), 0));
	cr_assert(gt(u64, atomic_load(&r.bursts), 0));
	cr_assert(eq(u64, atomic_load(&r.refused), 0));
	quic_token_worker_free(r.w);
	quic_token_domain_free(r.d);
	crypto_ctx_free(ctx);
}

/* ---- Key sets and key files ---- */

HB_TEST(token, keyset_serial_order)
{
	struct quic_token_key k[4];
	struct quic_token_keyset *ks = NULL;
	static const uint8_t wrap[4] = {0, 127, 1, 126};

	for (int i = 0; i < 4; i++)
		round_key(wrap[i], &k[i]);
	cr_assert(eq(int, quic_token_keyset_new(&ks, k, 4), 0));
	cr_assert(eq(u8, quic_token_keyset_current(ks), 1));
	cr_assert(eq(u8, quic_token_keyset_key(ks, 0)->seq, 126));
	cr_assert(eq(u8, quic_token_keyset_key(ks, 1)->seq, 127));
	cr_assert(eq(u8, quic_token_keyset_key(ks, 2)->seq, 0));
	cr_assert(eq(int, quic_token_keyset_key(ks, 4) == NULL, 1));
	quic_token_keyset_free(ks);
	/* 64 apart: no key is newer than the other. */
	round_key(0, &k[0]);
	round_key(64, &k[1]);
	cr_assert(eq(int, quic_token_keyset_new(&ks, k, 2), QUIC_ERR_INVAL));
	round_key(63, &k[1]);
	cr_assert(eq(int, quic_token_keyset_new(&ks, k, 2), 0));
	cr_assert(eq(u8, quic_token_keyset_current(ks), 63));
	quic_token_keyset_free(ks);
	round_key(5, &k[1]);
	k[0].seq = 5;
	cr_assert(eq(int, quic_token_keyset_new(&ks, k, 2), QUIC_ERR_INVAL));
	k[0].seq = 128;
	cr_assert(eq(int, quic_token_keyset_new(&ks, k, 1), QUIC_ERR_INVAL));
	cr_assert(eq(int, quic_token_keyset_new(&ks, k, 0), QUIC_ERR_INVAL));
	cr_assert(eq(ptr, ks, NULL));
}

HB_TEST(token, keyfile_parse_ok)
{
	static const char text[] =
		"\r\n# fleet keys\n\n"
		"  7\t000102030405060708090A0B0C0D0E0F 101112131415161718191a1b # old\r\n"
		"008 202122232425262728292a2b2c2d2e2f 303132333435363738393a3b";
	struct quic_token_keyset *ks = NULL;
	struct quic_keyfile_error e;

	cr_assert(eq(int, quic_token_keyfile_parse(&ks, text, strlen(text), &e), 0));
	cr_assert(eq(sz, quic_token_keyset_count(ks), 2));
	cr_assert(eq(u8, quic_token_keyset_current(ks), 8));
	cr_assert(eq(u8, quic_token_keyset_key(ks, 0)->key[15], 0x0f));
	cr_assert(eq(u8, quic_token_keyset_key(ks, 1)->iv[11], 0x3b));
	quic_token_keyset_free(ks);
}

struct keyfile_case {
	const char *text;
	unsigned line;
	enum quic_keyfile_err err;
};

#define K1 "000102030405060708090a0b0c0d0e0f"
#define I1 "101112131415161718191a1b"

static const struct keyfile_case bad_files[] = {
	{"", 1, QUIC_KEYFILE_NO_KEYS},
	{"# nothing\n\n", 2, QUIC_KEYFILE_NO_KEYS},
	{"1 " K1 "\n", 1, QUIC_KEYFILE_SYNTAX},
	{"#\n1 " K1 " " I1 " extra\n", 2, QUIC_KEYFILE_SYNTAX},
	{"x " K1 " " I1 "\n", 1, QUIC_KEYFILE_SEQ},
	{"128 " K1 " " I1 "\n", 1, QUIC_KEYFILE_SEQ},
	{"-1 " K1 " " I1 "\n", 1, QUIC_KEYFILE_SEQ},
	{"0001 " K1 " " I1 "\n", 1, QUIC_KEYFILE_SEQ},
	{"1 " K1 "0 " I1 "\n", 1, QUIC_KEYFILE_KEY},
	{"1 00010203040506070809Oa0b0c0d0e0f " I1 "\n", 1, QUIC_KEYFILE_KEY},
	{"1 " K1 " 101112\n", 1, QUIC_KEYFILE_IV},
	{"1 " K1 " " I1 "\n\n\n1 " K1 " " I1 "\n", 4, QUIC_KEYFILE_DUPLICATE},
	{"1 " K1 " " I1 "\n2 " K1 " " I1 "\n3 " K1 " " I1 "\n4 " K1 " " I1 "\n5 " K1 " " I1 "\n", 5,
	 QUIC_KEYFILE_TOO_MANY},
	{"0 " K1 " " I1 "\n64 " K1 " " I1 "\n", 2, QUIC_KEYFILE_SPREAD},
};

HB_TEST(token, keyfile_errors_with_line_numbers)
{
	for (size_t i = 0; i < sizeof(bad_files) / sizeof(bad_files[0]); i++) {
		const struct keyfile_case *c = &bad_files[i];
		struct quic_token_keyset *ks = NULL;
		struct quic_keyfile_error e = {0, QUIC_KEYFILE_OK};

		cr_assert(eq(int, quic_token_keyfile_parse(&ks, c->text, strlen(c->text), &e),
			     QUIC_ERR_MALFORMED),
			  "case %zu", i);
		cr_assert(eq(ptr, ks, NULL));
		cr_assert(eq(int, (int)e.err, (int)c->err), "case %zu: %s", i,
			  quic_keyfile_strerror(e.err));
		cr_assert(eq(u32, e.line, c->line), "case %zu", i);
	}
}

HB_TEST(token, keyfile_odd_bytes)
{
	char text[700];
	struct quic_token_keyset *ks = NULL;
	struct quic_keyfile_error e;

	memcpy(text, "1 " K1 " " I1 "\n# a\0b\n", 60 + 7);
	cr_assert(eq(int, quic_token_keyfile_parse(&ks, text, 60 + 6, &e), QUIC_ERR_MALFORMED));
	cr_assert(eq(int, (int)e.err, (int)QUIC_KEYFILE_SYNTAX));
	cr_assert(eq(u32, e.line, 2));
	memset(text, ' ', sizeof(text));
	cr_assert(
		eq(int, quic_token_keyfile_parse(&ks, text, sizeof(text), &e), QUIC_ERR_MALFORMED));
	cr_assert(eq(int, (int)e.err, (int)QUIC_KEYFILE_LINE_LONG));
	cr_assert(eq(int, quic_token_keyfile_parse(NULL, text, 1, &e), QUIC_ERR_INVAL));
	/* Every strict prefix of a key line (the whole line without its LF is a good file). */
	for (size_t k = 0; k < 59; k++) {
		int rc = quic_token_keyfile_parse(&ks, keyfile2 + 12, k, NULL);

		cr_assert(eq(int, rc, QUIC_ERR_MALFORMED), "prefix %zu", k);
	}
}

/* `hayabusa keygen`: a fresh file, then rotations past 127, each parsed back. */
HB_TEST(token, keyfile_write_and_rotate)
{
	uint64_t seed = 42;
	struct crypto_rand rand = {det_rand, &seed};
	struct quic_token_keyset *ks = NULL, *next = NULL;
	char buf[QUIC_TOKEN_KEYFILE_MAX_LEN];
	size_t len;

	cr_assert(eq(int, quic_token_keyfile_write(NULL, &rand, buf, sizeof(buf), &len), 0));
	cr_assert(eq(sz, strlen(buf), len));
	cr_assert(eq(int, quic_token_keyfile_parse(&ks, buf, len, NULL), 0));
	cr_assert(eq(sz, quic_token_keyset_count(ks), 1));
	cr_assert(eq(u8, quic_token_keyset_current(ks), 0));
	for (unsigned i = 1; i <= 130; i++) {
		cr_assert(eq(int, quic_token_keyfile_write(ks, &rand, buf, sizeof(buf), &len), 0));
		cr_assert(eq(int, quic_token_keyfile_parse(&next, buf, len, NULL), 0));
		cr_assert(eq(u8, quic_token_keyset_current(next), i & 127));
		cr_assert(eq(sz, quic_token_keyset_count(next), i < 4 ? i + 1 : 4));
		/* The previous current key is kept, bytes and all. */
		cr_assert(eq(int,
			     memcmp(quic_token_keyset_key(next, quic_token_keyset_count(next) - 2),
				    quic_token_keyset_key(ks, quic_token_keyset_count(ks) - 1),
				    sizeof(struct quic_token_key)),
			     0));
		quic_token_keyset_free(ks);
		ks = next;
	}
	for (size_t cap = 0; cap < len; cap += 17)
		cr_assert(eq(int, quic_token_keyfile_write(ks, &rand, buf, cap, &len),
			     QUIC_ERR_BUFFER));
	quic_token_keyset_free(ks);
}

HB_TEST(token, names)
{
	for (int s = 0; s < QUIC_TOKEN_STATUS_COUNT; s++)
		cr_assert(ne(int,
			     strcmp(quic_token_status_name((enum quic_token_status)s), "unknown"),
			     0));
	cr_assert(eq(int, strcmp(quic_token_status_name(QUIC_TOKEN_STATUS_COUNT), "unknown"), 0));
	cr_assert(quic_token_refusal_closes(QUIC_TOKEN_RETRY));
	cr_assert(not(quic_token_refusal_closes(QUIC_TOKEN_NEW_TOKEN)));
}
