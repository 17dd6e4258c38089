/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The checks behind the sample packets of RFC 9001 Appendix A (QUIC v1) and RFC 9369 Appendix A
 * (QUIC v2). Both appendices walk through the same four examples (client Initial, server
 * Initial, Retry, ChaCha20-Poly1305 short header) with version-specific keys and bytes, so one
 * test file per RFC holds its appendix's hex in a struct packet_vectors and these helpers build
 * each packet byte for byte, take it apart again and check the Retry, on every engine.
 */
#ifndef HB_PACKET_VECTORS_H
#define HB_PACKET_VECTORS_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <crypto/crypto.h>
#include <quic/error.h>
#include <quic/packet.h>

#include "hb_crypto_test.h"

#define PV_MAX_PKT 1500

/* The protected packets of the appendix, in its order (§A.2, §A.3, §A.5). */
enum pv_packet {
	PV_CLIENT_INITIAL,
	PV_SERVER_INITIAL,
	PV_CHACHA_SHORT,
	PV_COUNT,
};

/* One protected packet of the appendix and everything needed to rebuild it. */
struct packet_vector {
	enum quic_pkt_type type;
	const char *dcid, *scid;
	uint64_t pn;
	size_t pn_len;
	const char *payload;
	size_t payload_len; /* the frames, then PADDING (zeros) up to this length */
	const char *hdr;    /* unprotected header */
	const char *sample, *mask, *packet;
};

/* One appendix: the version and all its hex, as copied from the RFC text. */
struct packet_vectors {
	uint32_t version;
	const char *odcid;			   /* the client-chosen DCID of the Initial (§A) */
	const char *server_cid;			   /* the server's new CID (§A) */
	const struct packet_vector *pkt[PV_COUNT]; /* in enum pv_packet order */
	const char *retry;	      /* §A.4: answers the client Initial, token "token" */
	const char *chacha_secret;    /* §A.5: the 1-RTT secret */
	uint64_t chacha_pn_truncated; /* §A.5: the packet number as encoded in 3 bytes */
};

struct pv_keys {
	struct crypto_aead *aead;
	struct crypto_hp *hp;
};

static inline void
pv_keys_from_secret(struct crypto_ctx *ctx, const struct packet_vectors *v, enum crypto_suite suite,
		    const uint8_t *secret, size_t secret_len, struct pv_keys *k)
{
	struct crypto_quic_keys qk;

	cr_assert(eq(int, crypto_quic_derive_keys(ctx, v->version, suite, secret, secret_len, &qk),
		     0));
	cr_assert(eq(int, crypto_aead_new(&k->aead, ctx, suite, qk.key, qk.iv), 0));
	cr_assert(eq(int, crypto_hp_new(&k->hp, ctx, suite, qk.hp), 0));
}

/*
 * The keys that protect packet which: RFC 9001 §5.2 Initial keys from the client-chosen DCID
 * (the client's or the server's side), or the §A.5 ChaCha20-Poly1305 keys from its secret.
 */
static inline void
pv_keys_for(struct crypto_ctx *ctx, const struct packet_vectors *v, enum pv_packet which,
	    struct pv_keys *k)
{
	uint8_t dcid[8], cs[CRYPTO_INITIAL_SECRET_LEN], ss[CRYPTO_INITIAL_SECRET_LEN];
	uint8_t secret[32];

	if (which == PV_CHACHA_SHORT) {
		cr_assert(eq(sz, hb_hex(v->chacha_secret, secret, sizeof(secret)), 32));
		pv_keys_from_secret(ctx, v, CRYPTO_SUITE_CHACHA20_POLY1305_SHA256, secret,
				    sizeof(secret), k);
		return;
	}
	cr_assert(eq(sz, hb_hex(v->odcid, dcid, sizeof(dcid)), 8));
	cr_assert(eq(int, crypto_quic_initial_secrets(ctx, v->version, dcid, 8, cs, ss), 0));
	pv_keys_from_secret(ctx, v, CRYPTO_SUITE_AES_128_GCM_SHA256,
			    which == PV_CLIENT_INITIAL ? cs : ss, sizeof(cs), k);
}

static inline void
pv_keys_free(struct pv_keys *k)
{
	crypto_hp_free(k->hp);
	crypto_aead_free(k->aead);
}

/* Write p's unprotected header and padded payload into buf. */
static inline void
pv_write_header(const struct packet_vectors *v, const struct packet_vector *p, uint8_t *buf,
		size_t cap, struct quic_packet_layout *lay)
{
	uint8_t dcid[20], scid[20], frames[PV_MAX_PKT];
	struct quic_packet_out out = {
		.type = p->type,
		.version = v->version,
		.dcid = dcid,
		.dcid_len = hb_hex(p->dcid, dcid, sizeof(dcid)),
		.scid = scid,
		.scid_len = hb_hex(p->scid, scid, sizeof(scid)),
		.pn = p->pn,
		.pn_len = p->pn_len,
	};
	size_t n = hb_hex(p->payload, frames, sizeof(frames));

	cr_assert(gt(sz, n, 0));
	cr_assert(le(sz, n, p->payload_len));
	cr_assert(eq(int, quic_packet_write_header(buf, cap, &out, lay), 0));
	memcpy(buf + lay->hdr_len, frames, n);
	memset(buf + lay->hdr_len + n, 0, p->payload_len - n);
}

/* Build the packet step by step through the burst API, checking each intermediate value. */
static inline void
pv_check_protect(const struct packet_vectors *v, const struct packet_vector *p, struct pv_keys *k)
{
	uint8_t buf[PV_MAX_PKT];
	struct quic_packet_layout lay;
	struct crypto_aead_op op;
	struct crypto_hp_op hop;
	size_t len = 0;

	pv_write_header(v, p, buf, sizeof(buf), &lay);
	cr_assert(eq(int,
		     quic_packet_seal_prepare(buf, sizeof(buf), &lay, p->payload_len, k->aead, &op,
					      &len),
		     0));
	hb_assert_hex(buf, lay.hdr_len, p->hdr);
	cr_assert(eq(u32, crypto_aead_seal_burst(&op, 1), 1));
	cr_assert(eq(int, quic_packet_hp_prepare(buf, len, lay.pn_offset, k->hp, &hop), 0));
	hb_assert_hex(hop.sample, CRYPTO_HP_SAMPLE_LEN, p->sample);
	cr_assert(eq(int, crypto_hp_mask_burst(&hop, 1), 0));
	hb_assert_hex(hop.mask, CRYPTO_HP_MASK_LEN, p->mask);
	quic_packet_hp_apply(buf, lay.pn_offset, lay.pn_len, hop.mask);
	hb_assert_hex(buf, len, p->packet);

	/* The one-call path gives the same bytes. */
	pv_write_header(v, p, buf, sizeof(buf), &lay);
	cr_assert(eq(
		int,
		quic_packet_protect(buf, sizeof(buf), &lay, p->payload_len, k->aead, k->hp, &len),
		0));
	hb_assert_hex(buf, len, p->packet);
}

/* Take the protected packet apart as a receiver: split, unprotect, compare. */
static inline void
pv_check_unprotect(const struct packet_vector *p, struct pv_keys *k, uint64_t largest_pn)
{
	uint8_t buf[PV_MAX_PKT], frames[PV_MAX_PKT], hdr_bytes[64];
	size_t len = hb_hex(p->packet, buf, sizeof(buf));
	size_t hdr_len = hb_hex(p->hdr, hdr_bytes, sizeof(hdr_bytes));
	size_t n = hb_hex(p->payload, frames, sizeof(frames));
	struct quic_datagram_iter it;
	struct quic_packet_hdr hdr;
	struct quic_packet_rx rx;

	memset(frames + n, 0, p->payload_len - n);
	quic_datagram_iter_init(&it, buf, len, 0);
	cr_assert(eq(int, quic_datagram_next(&it, &hdr), 1));
	cr_assert(eq(int, hdr.type, p->type));
	cr_assert(eq(sz, hdr.len, len));
	cr_assert(eq(int, quic_datagram_next(&it, &hdr), 0));
	cr_assert(eq(int, quic_packet_unprotect(buf, &hdr, k->hp, k->aead, largest_pn, &rx), 0));
	cr_assert(eq(u64, rx.pn, p->pn));
	cr_assert(eq(sz, rx.pn_len, p->pn_len));
	cr_assert(eq(sz, rx.hdr_len, hdr_len));
	hb_assert_hex(buf, hdr_len, p->hdr);
	cr_assert(eq(sz, rx.payload_len, p->payload_len));
	cr_assert(eq(int, memcmp(rx.payload, frames, p->payload_len), 0));
}

struct pv_run {
	const struct packet_vectors *v;
	enum pv_packet which;
};

/* hb_each_engine() callback: protect and unprotect one packet with a fresh set of keys. */
static inline void
pv_both_ways(struct crypto_ctx *ctx, const void *arg)
{
	const struct pv_run *r = arg;
	const struct packet_vector *p = r->v->pkt[r->which];
	/*
	 * In the Initial space the receiver has had nothing yet; the §A.5 receiver has had the
	 * packet before, so the 3-byte encoding decodes to the full number.
	 */
	uint64_t largest_pn = r->which == PV_CHACHA_SHORT ? p->pn - 1 : QUIC_PN_NONE;
	struct pv_keys k;

	pv_keys_for(ctx, r->v, r->which, &k);
	pv_check_protect(r->v, p, &k);
	pv_check_unprotect(p, &k, largest_pn);
	pv_keys_free(&k);
}

/* Build packet which byte for byte and take it apart again, on every engine. */
static inline void
pv_check_packet(const struct packet_vectors *v, enum pv_packet which)
{
	const struct pv_run r = {.v = v, .which = which};

	hb_each_engine(pv_both_ways, &r);
}

/* §A.5: the truncated packet number decodes to the full one next to its predecessor. */
static inline void
pv_check_chacha_pn(const struct packet_vectors *v)
{
	const struct packet_vector *p = v->pkt[PV_CHACHA_SHORT];

	cr_assert(eq(u64, quic_pn_decode(p->pn - 1, v->chacha_pn_truncated, p->pn_len), p->pn));
}

/* §A.4: write the Retry, compare, parse it back, and see a bad tag or ODCID rejected. */
static inline void
pv_retry_build_and_verify(struct crypto_ctx *ctx, const void *arg)
{
	const struct packet_vectors *v = arg;
	uint8_t dcid[8], scid[8], buf[128], want[128];
	size_t want_len = hb_hex(v->retry, want, sizeof(want)), len = 0;
	struct quic_retry_params p = {
		.version = v->version,
		.unused = want[0] & 0x0f, /* the appendix sets every Unused bit */
		.scid = scid,
		.scid_len = hb_hex(v->server_cid, scid, sizeof(scid)),
		.odcid = dcid,
		.odcid_len = hb_hex(v->odcid, dcid, sizeof(dcid)),
		.token = (const uint8_t *)"token",
		.token_len = 5,
	};
	struct quic_packet_hdr hdr;

	/* The client Initial has an empty SCID, so the Retry's DCID is empty. */
	cr_assert(eq(int, quic_retry_write(ctx, &p, buf, sizeof(buf), &len), 0));
	cr_assert(eq(sz, len, want_len));
	cr_assert(eq(int, memcmp(buf, want, len), 0));
	cr_assert(eq(int, quic_retry_parse(ctx, want, want_len, dcid, 8, &hdr), 0));
	cr_assert(eq(int, hdr.type, QUIC_PKT_RETRY));
	cr_assert(eq(u32, hdr.version, v->version));
	cr_assert(eq(sz, hdr.dcid_len, 0));
	cr_assert(eq(sz, hdr.scid_len, 8));
	cr_assert(eq(int, memcmp(hdr.scid, scid, 8), 0));
	cr_assert(eq(sz, hdr.token_len, 5));
	cr_assert(eq(int, memcmp(hdr.token, "token", 5), 0));
	/* One flipped tag bit, or another original DCID, and the client discards it. */
	want[want_len - 1] ^= 0x80;
	cr_assert(eq(int, quic_retry_parse(ctx, want, want_len, dcid, 8, &hdr), QUIC_ERR_CRYPTO));
	want[want_len - 1] ^= 0x80;
	dcid[0] ^= 1;
	cr_assert(eq(int, quic_retry_parse(ctx, want, want_len, dcid, 8, &hdr), QUIC_ERR_CRYPTO));
}

static inline void
pv_check_retry(const struct packet_vectors *v)
{
	hb_each_engine(pv_retry_build_and_verify, v);
}

#endif /* HB_PACKET_VECTORS_H */
