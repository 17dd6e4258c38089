/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packet headers: parse of the unprotected part (RFC 9000 §17, RFC 8999 §5), header build,
 * coalesced packets (RFC 9000 §12.2) and Version Negotiation (RFC 9000 §6, §17.2.1).
 * Every decoder reads through a struct crypto_rd, so none reads past its input.
 */
#include <string.h>

#include <quic/error.h>
#include <quic/packet.h>
#include <quic/varint.h>

#define HDR_FORM_LONG	  0x80
#define HDR_FIXED_BIT	  0x40
#define HDR_SPIN_BIT	  0x20
#define HDR_KEY_PHASE	  0x04
#define RETRY_TAG_LEN	  16
#define INVARIANT_CID_MAX 255 /* RFC 8999 §5.1: lengths of other versions' CIDs */

/* Long Packet Type bits → type (RFC 9000 §17.2 table, RFC 9369 §3.2). */
static const enum quic_pkt_type v1_types[4] = {QUIC_PKT_INITIAL, QUIC_PKT_0RTT, QUIC_PKT_HANDSHAKE,
					       QUIC_PKT_RETRY};
static const enum quic_pkt_type v2_types[4] = {QUIC_PKT_RETRY, QUIC_PKT_INITIAL, QUIC_PKT_0RTT,
					       QUIC_PKT_HANDSHAKE};

bool
quic_version_supported(uint32_t version)
{
	return version == QUIC_VERSION_1 || version == QUIC_VERSION_2;
}

int
quic_packet_type_bits(uint32_t version, enum quic_pkt_type type)
{
	const enum quic_pkt_type *types;
	int bits;

	if (version == QUIC_VERSION_1)
		types = v1_types;
	else if (version == QUIC_VERSION_2)
		types = v2_types;
	else
		return QUIC_ERR_INVAL;
	for (bits = 0; bits < 4; bits++) {
		if (types[bits] == type)
			return bits;
	}
	return QUIC_ERR_INVAL;
}

/* A length-prefixed connection ID of at most max bytes. */
static int
get_cid(struct crypto_rd *r, size_t max, const uint8_t **cid, size_t *cid_len)
{
	uint8_t n;

	if (!crypto_get_u8(r, &n))
		return QUIC_ERR_TRUNCATED;
	if (n > max)
		return QUIC_ERR_MALFORMED;
	if (!crypto_get_bytes(r, n, cid))
		return QUIC_ERR_TRUNCATED;
	*cid_len = n;
	return 0;
}

/* DCID and SCID of a long header, the version-independent part (RFC 8999 §5.1). */
static int
get_long_cids(struct crypto_rd *r, size_t max, struct quic_packet_hdr *hdr)
{
	int rc = get_cid(r, max, &hdr->dcid, &hdr->dcid_len);

	if (rc == 0)
		rc = get_cid(r, max, &hdr->scid, &hdr->scid_len);
	return rc;
}

/* Version Negotiation: the rest is a non-empty list of whole versions (RFC 8999 §6). */
static int
parse_vn(struct crypto_rd *r, struct quic_packet_hdr *hdr)
{
	size_t left;
	int rc;

	hdr->type = QUIC_PKT_VN;
	rc = get_long_cids(r, INVARIANT_CID_MAX, hdr);
	if (rc < 0)
		return rc;
	left = crypto_rd_left(r);
	if (left == 0 || left % 4 != 0)
		return QUIC_ERR_MALFORMED;
	hdr->n_versions = left / 4;
	crypto_get_bytes(r, left, &hdr->versions);
	return 0;
}

/* Retry: the token runs up to the 16-byte integrity tag that ends the datagram. */
static int
parse_retry(struct crypto_rd *r, struct quic_packet_hdr *hdr)
{
	size_t left = crypto_rd_left(r);

	if (left < RETRY_TAG_LEN)
		return QUIC_ERR_TRUNCATED;
	hdr->token_len = left - RETRY_TAG_LEN;
	crypto_get_bytes(r, hdr->token_len, &hdr->token);
	return 0;
}

/* Initial, 0-RTT, Handshake: [Token Length, Token,] Length; the packet ends after Length. */
static int
parse_length(struct crypto_rd *r, const uint8_t *start, struct quic_packet_hdr *hdr)
{
	uint64_t v;

	if (hdr->type == QUIC_PKT_INITIAL) {
		if (!quic_get_varint(r, &v))
			return QUIC_ERR_TRUNCATED;
		if (v > crypto_rd_left(r))
			return QUIC_ERR_TRUNCATED;
		hdr->token_len = (size_t)v;
		crypto_get_bytes(r, hdr->token_len, &hdr->token);
	}
	if (!quic_get_varint(r, &v))
		return QUIC_ERR_TRUNCATED;
	if (v > crypto_rd_left(r))
		return QUIC_ERR_TRUNCATED;
	hdr->pn_offset = (size_t)(r->p - start);
	hdr->len = hdr->pn_offset + (size_t)v;
	return 0;
}

static int
parse_long(struct crypto_rd *r, const uint8_t *start, struct quic_packet_hdr *hdr)
{
	int rc;

	if (!crypto_get_u32(r, &hdr->version))
		return QUIC_ERR_TRUNCATED;
	if (hdr->version == 0)
		return parse_vn(r, hdr);
	if (!quic_version_supported(hdr->version)) {
		/* Only the invariants mean anything; the fixed bit is version specific. */
		rc = get_long_cids(r, INVARIANT_CID_MAX, hdr);
		return rc < 0 ? rc : QUIC_ERR_VERSION;
	}
	if (!(hdr->first & HDR_FIXED_BIT))
		return QUIC_ERR_FIXED_BIT;
	rc = get_long_cids(r, QUIC_MAX_CID_LEN, hdr);
	if (rc < 0)
		return rc;
	if (hdr->version == QUIC_VERSION_1)
		hdr->type = v1_types[(hdr->first >> 4) & 3];
	else
		hdr->type = v2_types[(hdr->first >> 4) & 3];
	if (hdr->type == QUIC_PKT_RETRY)
		return parse_retry(r, hdr);
	return parse_length(r, start, hdr);
}

static int
parse_short(struct crypto_rd *r, const uint8_t *start, size_t dcid_len,
	    struct quic_packet_hdr *hdr)
{
	if (!(hdr->first & HDR_FIXED_BIT))
		return QUIC_ERR_FIXED_BIT;
	if (!crypto_get_bytes(r, dcid_len, &hdr->dcid))
		return QUIC_ERR_TRUNCATED;
	hdr->type = QUIC_PKT_1RTT;
	hdr->dcid_len = dcid_len;
	hdr->pn_offset = (size_t)(r->p - start);
	return 0;
}

int
quic_packet_parse(const uint8_t *buf, size_t len, size_t short_dcid_len,
		  struct quic_packet_hdr *hdr)
{
	struct crypto_rd r;

	if (short_dcid_len > QUIC_MAX_CID_LEN)
		return QUIC_ERR_INVAL;
	/* Field by field rather than memset() or a compound literal: every Initial of a flood
	 * comes through here, and GCC makes either of those a `rep stos`, whose start-up cost
	 * was more than the rest of the parse (a Retry flood's profile). Every field is set;
	 * packets without a Length field run to the end of the datagram. */
	hdr->pkt = buf;
	hdr->len = len;
	hdr->type = QUIC_PKT_INITIAL; /* 0, what a memset() left */
	hdr->version = 0;
	hdr->first = 0;
	hdr->dcid = hdr->scid = hdr->token = hdr->versions = NULL;
	hdr->dcid_len = hdr->scid_len = hdr->token_len = hdr->pn_offset = hdr->n_versions = 0;
	crypto_rd_init(&r, buf, len);
	if (!crypto_get_u8(&r, &hdr->first))
		return QUIC_ERR_TRUNCATED;
	if (hdr->first & HDR_FORM_LONG)
		return parse_long(&r, buf, hdr);
	return parse_short(&r, buf, short_dcid_len, hdr);
}

void
quic_datagram_iter_init(struct quic_datagram_iter *it, const uint8_t *data, size_t len,
			size_t short_dcid_len)
{
	it->data = data;
	it->len = len;
	it->off = 0;
	it->short_dcid_len = short_dcid_len;
	it->done = false;
}

int
quic_datagram_next(struct quic_datagram_iter *it, struct quic_packet_hdr *hdr)
{
	int rc;

	if (it->done || it->off == it->len)
		return 0;
	rc = quic_packet_parse(it->data + it->off, it->len - it->off, it->short_dcid_len, hdr);
	if (rc == 0 && it->off > 0 && (hdr->type == QUIC_PKT_VN || hdr->type == QUIC_PKT_RETRY))
		rc = QUIC_ERR_MALFORMED;
	if (rc < 0) {
		it->done = true;
		return rc;
	}
	it->off += hdr->len;
	return 1;
}

/* Low pn_len bytes of pn, big endian (RFC 9000 §17.1). */
static void
put_pn(struct crypto_wr *w, uint64_t pn, size_t pn_len)
{
	uint8_t b[4];
	size_t i;

	for (i = 0; i < pn_len; i++)
		b[i] = (uint8_t)(pn >> (8 * (pn_len - 1 - i)));
	crypto_put_bytes(w, b, pn_len);
}

static int
check_out(const struct quic_packet_out *p, size_t len_size)
{
	if (p->pn_len < 1 || p->pn_len > 4 || p->pn > QUIC_PN_MAX || p->dcid_len > QUIC_MAX_CID_LEN)
		return QUIC_ERR_INVAL;
	if (p->type == QUIC_PKT_1RTT)
		return 0;
	if (p->scid_len > QUIC_MAX_CID_LEN || (p->token_len > 0 && p->type != QUIC_PKT_INITIAL))
		return QUIC_ERR_INVAL;
	if (len_size != 1 && len_size != 2 && len_size != 4 && len_size != 8)
		return QUIC_ERR_INVAL;
	return 0;
}

/* Initial, 0-RTT, Handshake (RFC 9000 §17.2.2-§17.2.4). */
static void
write_long(struct crypto_wr *w, const struct quic_packet_out *p, int type_bits, size_t len_size,
	   struct quic_packet_layout *lay)
{
	static const uint8_t zeros[8];

	crypto_put_u8(w, (uint8_t)(HDR_FORM_LONG | HDR_FIXED_BIT | type_bits << 4 | (p->pn_len - 1)));
	crypto_put_u32(w, p->version);
	crypto_put_u8(w, (uint8_t)p->dcid_len);
	crypto_put_bytes(w, p->dcid, p->dcid_len);
	crypto_put_u8(w, (uint8_t)p->scid_len);
	crypto_put_bytes(w, p->scid, p->scid_len);
	if (p->type == QUIC_PKT_INITIAL) {
		quic_put_varint(w, p->token_len);
		crypto_put_bytes(w, p->token, p->token_len);
	}
	lay->len_offset = crypto_wr_len(w);
	lay->len_size = len_size;
	crypto_put_bytes(w, zeros, len_size);
}

/* 1-RTT (RFC 9000 §17.3.1). */
static void
write_short(struct crypto_wr *w, const struct quic_packet_out *p)
{
	uint8_t first = HDR_FIXED_BIT | (uint8_t)(p->pn_len - 1);

	if (p->spin)
		first |= HDR_SPIN_BIT;
	if (p->key_phase)
		first |= HDR_KEY_PHASE;
	crypto_put_u8(w, first);
	crypto_put_bytes(w, p->dcid, p->dcid_len);
}

int
quic_packet_write_header(uint8_t *buf, size_t cap, const struct quic_packet_out *p,
			 struct quic_packet_layout *lay)
{
	size_t len_size = p->len_size != 0 ? p->len_size : 2;
	struct crypto_wr w;
	int rc, bits = 0;

	rc = check_out(p, len_size);
	if (rc < 0)
		return rc;
	if (p->type != QUIC_PKT_1RTT) {
		bits = quic_packet_type_bits(p->version, p->type);
		if (bits < 0 || p->type == QUIC_PKT_RETRY)
			return QUIC_ERR_INVAL;
	}
	memset(lay, 0, sizeof(*lay));
	crypto_wr_init(&w, buf, cap);
	if (p->type == QUIC_PKT_1RTT)
		write_short(&w, p);
	else
		write_long(&w, p, bits, len_size, lay);
	lay->pn_offset = crypto_wr_len(&w);
	put_pn(&w, p->pn, p->pn_len);
	if (w.err)
		return QUIC_ERR_BUFFER;
	lay->pn_len = p->pn_len;
	lay->hdr_len = lay->pn_offset + p->pn_len;
	lay->pn = p->pn;
	return 0;
}

int
quic_vn_write(uint8_t *buf, size_t cap, const struct quic_packet_hdr *recv,
	      const uint32_t *versions, size_t n_versions, uint8_t unused, size_t *out_len)
{
	struct crypto_wr w;
	size_t i;

	/* Never answer a VN (version 0) or a short header with a VN (RFC 9000 §6.1). */
	if (recv->version == 0 || !(recv->first & HDR_FORM_LONG) || n_versions == 0 ||
	    recv->dcid_len > INVARIANT_CID_MAX || recv->scid_len > INVARIANT_CID_MAX)
		return QUIC_ERR_INVAL;
	crypto_wr_init(&w, buf, cap);
	crypto_put_u8(&w, HDR_FORM_LONG | HDR_FIXED_BIT | (unused & 0x3f));
	crypto_put_u32(&w, 0);
	/* The CIDs are echoed swapped (RFC 9000 §17.2.1). */
	crypto_put_u8(&w, (uint8_t)recv->scid_len);
	crypto_put_bytes(&w, recv->scid, recv->scid_len);
	crypto_put_u8(&w, (uint8_t)recv->dcid_len);
	crypto_put_bytes(&w, recv->dcid, recv->dcid_len);
	for (i = 0; i < n_versions; i++)
		crypto_put_u32(&w, versions[i]);
	if (w.err)
		return QUIC_ERR_BUFFER;
	*out_len = crypto_wr_len(&w);
	return 0;
}

uint32_t
quic_vn_version(const struct quic_packet_hdr *hdr, size_t i)
{
	const uint8_t *v = hdr->versions + 4 * i;

	return (uint32_t)v[0] << 24 | (uint32_t)v[1] << 16 | (uint32_t)v[2] << 8 | v[3];
}

int
quic_vn_parse(const uint8_t *pkt, size_t len, uint32_t offered_version, struct quic_packet_hdr *hdr)
{
	size_t i;
	int rc;

	rc = quic_packet_parse(pkt, len, 0, hdr);
	if (rc == QUIC_ERR_TRUNCATED || rc == QUIC_ERR_MALFORMED)
		return rc;
	if (rc < 0 || hdr->type != QUIC_PKT_VN)
		return QUIC_ERR_MALFORMED;
	/* A VN listing the version we offered is forged or stale (RFC 9000 §6.2). */
	for (i = 0; i < hdr->n_versions; i++) {
		if (quic_vn_version(hdr, i) == offered_version)
			return QUIC_ERR_PROTOCOL;
	}
	return 0;
}
