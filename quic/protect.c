/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packet protection (RFC 9001 §5.3), header protection (RFC 9001 §5.4) and the Retry
 * integrity tag (RFC 9001 §5.8, RFC 9369 §3.3.3), all through crypto/'s opaque handles. Each
 * step is split so that a burst of packets runs through one crypto_*_burst() call per step.
 */
#include <string.h>

#include <crypto/crypto.h>
#include <quic/error.h>
#include <quic/packet.h>
#include <quic/varint.h>

#define HDR_FORM_LONG	 0x80
#define LONG_HP_BITS	 0x0f /* reserved + pn length (RFC 9001 §5.4.1) */
#define SHORT_HP_BITS	 0x1f /* reserved + key phase + pn length */
#define LONG_RESERVED	 0x0c /* RFC 9000 §17.2 */
#define SHORT_RESERVED	 0x18 /* RFC 9000 §17.3.1 */
#define SHORT_KEY_PHASE	 0x04
#define RETRY_PSEUDO_MAX (1 + QUIC_MAX_CID_LEN + QUIC_RETRY_MAX_LEN)

static uint8_t
hp_bits(uint8_t first)
{
	return (first & HDR_FORM_LONG) ? LONG_HP_BITS : SHORT_HP_BITS;
}

int
quic_packet_crypto_status(int crypto_status)
{
	switch (crypto_status) {
	case 0:
		return 0;
	case CRYPTO_ERR_LIMIT:
		return QUIC_ERR_AEAD_LIMIT;
	case CRYPTO_ERR_NOMEM:
		return QUIC_ERR_NOMEM;
	default:
		return QUIC_ERR_CRYPTO;
	}
}

int
quic_packet_seal_prepare(uint8_t *buf, size_t cap, const struct quic_packet_layout *lay,
			 size_t payload_len, struct crypto_aead *aead, struct crypto_aead_op *op,
			 size_t *pkt_len)
{
	size_t room;

	if (payload_len < quic_packet_min_payload(lay->pn_len))
		return QUIC_ERR_INVAL;
	if (lay->hdr_len > cap)
		return QUIC_ERR_BUFFER;
	room = cap - lay->hdr_len;
	if (room < CRYPTO_TAG_LEN || payload_len > room - CRYPTO_TAG_LEN)
		return QUIC_ERR_BUFFER;
	/* Length covers the Packet Number, the payload and the tag (RFC 9000 §17.2). */
	if (lay->len_size > 0 &&
	    quic_varint_encode_n(buf + lay->len_offset, lay->len_size,
				 lay->pn_len + payload_len + CRYPTO_TAG_LEN, lay->len_size) < 0)
		return QUIC_ERR_INVAL;
	op->aead = aead;
	op->pn = lay->pn;
	op->aad = buf;
	op->aad_len = lay->hdr_len;
	op->data = buf + lay->hdr_len;
	op->len = payload_len;
	op->status = 0;
	*pkt_len = lay->hdr_len + payload_len + CRYPTO_TAG_LEN;
	return 0;
}

int
quic_packet_hp_prepare(const uint8_t *pkt, size_t pkt_len, size_t pn_offset, struct crypto_hp *hp,
		       struct crypto_hp_op *op)
{
	/* RFC 9001 §5.4.2: the Packet Number is taken as 4 bytes, then 16 bytes are sampled. */
	if (pn_offset == 0 || pn_offset > pkt_len ||
	    pkt_len - pn_offset < QUIC_HP_SAMPLE_OFFSET + CRYPTO_HP_SAMPLE_LEN)
		return QUIC_ERR_TRUNCATED;
	op->hp = hp;
	op->sample = pkt + pn_offset + QUIC_HP_SAMPLE_OFFSET;
	return 0;
}

void
quic_packet_hp_apply(uint8_t *pkt, size_t pn_offset, size_t pn_len,
		     const uint8_t mask[CRYPTO_HP_MASK_LEN])
{
	size_t i;

	pkt[0] ^= mask[0] & hp_bits(pkt[0]);
	for (i = 0; i < pn_len && i < 4; i++)
		pkt[pn_offset + i] ^= mask[1 + i];
}

int
quic_packet_protect(uint8_t *buf, size_t cap, const struct quic_packet_layout *lay,
		    size_t payload_len, struct crypto_aead *aead, struct crypto_hp *hp,
		    size_t *pkt_len)
{
	struct crypto_aead_op op;
	struct crypto_hp_op hop;
	int rc;

	rc = quic_packet_seal_prepare(buf, cap, lay, payload_len, aead, &op, pkt_len);
	if (rc < 0)
		return rc;
	rc = quic_packet_crypto_status(
		crypto_aead_seal(op.aead, op.pn, op.aad, op.aad_len, op.data, op.len));
	if (rc < 0)
		return rc;
	rc = quic_packet_hp_prepare(buf, *pkt_len, lay->pn_offset, hp, &hop);
	if (rc < 0)
		return rc;
	if (crypto_hp_mask(hp, hop.sample, hop.mask) != 0)
		return QUIC_ERR_CRYPTO;
	quic_packet_hp_apply(buf, lay->pn_offset, lay->pn_len, hop.mask);
	return 0;
}

int
quic_packet_hp_remove(uint8_t *pkt, const struct quic_packet_hdr *hdr,
		      const uint8_t mask[CRYPTO_HP_MASK_LEN], uint64_t largest_pn,
		      struct quic_packet_rx *rx)
{
	uint64_t truncated = 0;
	size_t i, off = hdr->pn_offset;
	uint8_t first;

	if (hdr->type == QUIC_PKT_VN || hdr->type == QUIC_PKT_RETRY || off == 0)
		return QUIC_ERR_INVAL;
	if (off > hdr->len || hdr->len - off < QUIC_HP_SAMPLE_OFFSET + CRYPTO_HP_SAMPLE_LEN)
		return QUIC_ERR_TRUNCATED;
	first = pkt[0] ^ (mask[0] & hp_bits(pkt[0]));
	pkt[0] = first;
	rx->first = first;
	rx->pn_len = (size_t)(first & 0x03) + 1;
	for (i = 0; i < rx->pn_len; i++) {
		pkt[off + i] ^= mask[1 + i];
		truncated = truncated << 8 | pkt[off + i];
	}
	rx->pn = quic_pn_decode(largest_pn, truncated, rx->pn_len);
	rx->hdr_len = off + rx->pn_len;
	rx->payload = pkt + rx->hdr_len;
	/* The sample check leaves at least 16 bytes: the tag is there. */
	rx->payload_len = hdr->len - rx->hdr_len;
	rx->key_phase = !(first & HDR_FORM_LONG) && (first & SHORT_KEY_PHASE);
	if (rx->pn > QUIC_PN_MAX)
		return QUIC_ERR_CRYPTO;
	return 0;
}

void
quic_packet_open_prepare(uint8_t *pkt, const struct quic_packet_rx *rx, struct crypto_aead *aead,
			 struct crypto_aead_op *op)
{
	op->aead = aead;
	op->pn = rx->pn;
	op->aad = pkt;
	op->aad_len = rx->hdr_len;
	op->data = rx->payload;
	op->len = rx->payload_len;
	op->status = 0;
}

int
quic_packet_open_finish(struct quic_packet_rx *rx, int crypto_status)
{
	uint8_t reserved;
	int rc;

	rc = quic_packet_crypto_status(crypto_status);
	if (rc < 0)
		return rc;
	rx->payload_len -= CRYPTO_TAG_LEN;
	/* Only now that the packet is authentic (RFC 9001 §9.5). */
	reserved = (rx->first & HDR_FORM_LONG) ? LONG_RESERVED : SHORT_RESERVED;
	if (rx->first & reserved)
		return QUIC_ERR_PROTOCOL;
	return 0;
}

int
quic_packet_unprotect(uint8_t *pkt, const struct quic_packet_hdr *hdr, struct crypto_hp *hp,
		      struct crypto_aead *aead, uint64_t largest_pn, struct quic_packet_rx *rx)
{
	struct crypto_aead_op op;
	struct crypto_hp_op hop;
	int rc;

	rc = quic_packet_hp_prepare(pkt, hdr->len, hdr->pn_offset, hp, &hop);
	if (rc < 0)
		return rc;
	if (crypto_hp_mask(hp, hop.sample, hop.mask) != 0)
		return QUIC_ERR_CRYPTO;
	rc = quic_packet_hp_remove(pkt, hdr, hop.mask, largest_pn, rx);
	if (rc < 0)
		return rc;
	quic_packet_open_prepare(pkt, rx, aead, &op);
	op.status = crypto_aead_open(op.aead, op.pn, op.aad, op.aad_len, op.data, op.len);
	return quic_packet_open_finish(rx, op.status);
}

/*
 * The Retry pseudo-packet (RFC 9001 §5.8): ODCID length, ODCID, then the Retry packet without
 * its tag. crypto_retry_tag() takes one buffer, so it is assembled in pseudo.
 */
static size_t
retry_pseudo(uint8_t *pseudo, const uint8_t *odcid, size_t odcid_len, const uint8_t *pkt,
	     size_t pkt_len)
{
	pseudo[0] = (uint8_t)odcid_len;
	if (odcid_len > 0)
		memcpy(pseudo + 1, odcid, odcid_len);
	memcpy(pseudo + 1 + odcid_len, pkt, pkt_len);
	return 1 + odcid_len + pkt_len;
}

/* Whether two connection IDs are the same bytes (empty ones included). */
static bool
same_cid(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len)
{
	return a_len == b_len && (a_len == 0 || memcmp(a, b, a_len) == 0);
}

static int
check_retry(const struct quic_retry_params *p)
{
	if (!quic_version_supported(p->version) || p->dcid_len > QUIC_MAX_CID_LEN ||
	    p->scid_len > QUIC_MAX_CID_LEN || p->odcid_len > QUIC_MAX_CID_LEN ||
	    p->token_len == 0 || p->token_len > QUIC_RETRY_MAX_LEN)
		return QUIC_ERR_INVAL;
	/* The new SCID must differ from the client's DCID (RFC 9000 §17.2.5.1). */
	if (same_cid(p->scid, p->scid_len, p->odcid, p->odcid_len))
		return QUIC_ERR_INVAL;
	return 0;
}

int
quic_retry_write(struct crypto_ctx *ctx, const struct quic_retry_params *p, uint8_t *buf,
		 size_t cap, size_t *out_len)
{
	uint8_t pseudo[RETRY_PSEUDO_MAX];
	struct crypto_wr w;
	size_t len, plen;
	int rc;

	rc = check_retry(p);
	if (rc < 0)
		return rc;
	if (7 + p->dcid_len + p->scid_len + p->token_len + CRYPTO_TAG_LEN > QUIC_RETRY_MAX_LEN)
		return QUIC_ERR_INVAL;
	crypto_wr_init(&w, buf, cap);
	crypto_put_u8(&w, (uint8_t)(0xc0 | quic_packet_type_bits(p->version, QUIC_PKT_RETRY) << 4 |
				  (p->unused & 0x0f)));
	crypto_put_u32(&w, p->version);
	crypto_put_u8(&w, (uint8_t)p->dcid_len);
	crypto_put_bytes(&w, p->dcid, p->dcid_len);
	crypto_put_u8(&w, (uint8_t)p->scid_len);
	crypto_put_bytes(&w, p->scid, p->scid_len);
	crypto_put_bytes(&w, p->token, p->token_len);
	len = crypto_wr_len(&w);
	if (w.err || crypto_wr_left(&w) < CRYPTO_TAG_LEN)
		return QUIC_ERR_BUFFER;
	plen = retry_pseudo(pseudo, p->odcid, p->odcid_len, buf, len);
	if (crypto_retry_tag(ctx, p->version, pseudo, plen, buf + len) != 0)
		return QUIC_ERR_CRYPTO;
	*out_len = len + CRYPTO_TAG_LEN;
	return 0;
}

int
quic_retry_verify(struct crypto_ctx *ctx, const struct quic_packet_hdr *hdr, const uint8_t *odcid,
		  size_t odcid_len)
{
	uint8_t pseudo[RETRY_PSEUDO_MAX];
	size_t body, plen;

	if (hdr->type != QUIC_PKT_RETRY || hdr->len < CRYPTO_TAG_LEN ||
	    hdr->len > QUIC_RETRY_MAX_LEN || odcid_len > QUIC_MAX_CID_LEN)
		return QUIC_ERR_MALFORMED;
	/* A client discards a Retry with an empty token (RFC 9000 §17.2.5.2). */
	if (hdr->token_len == 0)
		return QUIC_ERR_MALFORMED;
	/* ... and one whose SCID is the DCID it sent (RFC 9000 §17.2.5.1). */
	if (same_cid(hdr->scid, hdr->scid_len, odcid, odcid_len))
		return QUIC_ERR_PROTOCOL;
	body = hdr->len - CRYPTO_TAG_LEN;
	plen = retry_pseudo(pseudo, odcid, odcid_len, hdr->pkt, body);
	if (crypto_retry_verify(ctx, hdr->version, pseudo, plen, hdr->pkt + body) != 0)
		return QUIC_ERR_CRYPTO;
	return 0;
}

int
quic_retry_parse(struct crypto_ctx *ctx, const uint8_t *pkt, size_t len, const uint8_t *odcid,
		 size_t odcid_len, struct quic_packet_hdr *hdr)
{
	int rc = quic_packet_parse(pkt, len, 0, hdr);

	if (rc < 0)
		return rc;
	return quic_retry_verify(ctx, hdr, odcid, odcid_len);
}
