/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * QUIC packet layer of the wire codec: long and short headers (RFC 9000 §17, RFC 8999,
 * RFC 9369 §3.2), coalesced packets (RFC 9000 §12.2), packet numbers (RFC 9000 §17.1,
 * Appendix A.2/A.3), header and packet protection (RFC 9001 §5), Version Negotiation
 * (RFC 9000 §17.2.1, §6) and Retry (RFC 9000 §17.2.5, RFC 9001 §5.8).
 *
 * Nothing here allocates, reads a clock or keeps state between calls: every function works on
 * caller buffers, so it is safe to call from any thread on distinct buffers and handles. Crypto
 * is reached only through crypto/'s opaque handles; the caller owns them.
 *
 * Receive path, one packet:   quic_datagram_next() → quic_packet_unprotect().
 * Receive path, a burst:      quic_datagram_next() → quic_packet_hp_prepare() per packet →
 *                             crypto_hp_mask_burst() → quic_packet_hp_remove() (reveals the key
 *                             phase, so the caller may pick the key here) →
 *                             quic_packet_open_prepare() → crypto_aead_open_burst() →
 *                             quic_packet_open_finish().
 * Send path, a burst:         quic_packet_write_header(), frames after it, then
 *                             quic_packet_seal_prepare() → crypto_aead_seal_burst() →
 *                             quic_packet_hp_prepare() → crypto_hp_mask_burst() →
 *                             quic_packet_hp_apply(). quic_packet_protect() does one packet.
 */
#ifndef HB_QUIC_PACKET_H
#define HB_QUIC_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <quic/error.h>
#include <quic/pkt_type.h>

#include <crypto/crypto.h>

#ifdef __cplusplus
extern "C" {
#endif

#define QUIC_VERSION_1 0x00000001u
#define QUIC_VERSION_2 0x6b3343cfu /* RFC 9369 §3.1 */

#define QUIC_MAX_CID_LEN 20 /* RFC 9000 §17.2, for v1 and v2 */
#define QUIC_PN_MAX	 ((UINT64_C(1) << 62) - 1)
/* "No packet number yet" for largest acked / largest received. */
#define QUIC_PN_NONE UINT64_MAX
/* RFC 9001 §5.4.2: the sample starts 4 bytes after the Packet Number field. */
#define QUIC_HP_SAMPLE_OFFSET 4
/* Largest Retry packet quic_retry_write()/quic_retry_verify() handle (tag included). */
#define QUIC_RETRY_MAX_LEN 2000

/* Whether this codec speaks the version (v1, v2). */
bool quic_version_supported(uint32_t version);

/*
 * The Long Packet Type bits (mask 0x30, shifted down) of a type in a version: v1 and v2 differ
 * (RFC 9369 §3.2). @return 0..3, or QUIC_ERR_INVAL (unsupported version, not a long type)
 */
int quic_packet_type_bits(uint32_t version, enum quic_pkt_type type);

/* ---- Packet numbers (RFC 9000 §17.1, Appendix A.2/A.3) ---- */

/*
 * Length of the Packet Number field for sending pn: enough bits for more than twice the range
 * from largest_acked (RFC 9000 §17.1, Appendix A.2).
 * @param pn             the full packet number to send (<= QUIC_PN_MAX)
 * @param largest_acked  largest packet number acknowledged in this space, or QUIC_PN_NONE
 * @return 1..4, or QUIC_ERR_INVAL (pn past QUIC_PN_MAX, pn <= largest_acked, or a range that
 *         4 bytes cannot carry: the sender must not have 2^31 packets in flight)
 */
int quic_pn_encode_len(uint64_t pn, uint64_t largest_acked);

/*
 * Full packet number from its truncated form (RFC 9000 Appendix A.3).
 * @param largest_pn  largest packet number successfully processed, or QUIC_PN_NONE
 * @param truncated   the Packet Number field's value
 * @param pn_len      its length in bytes, 1..4
 * @return the packet number; a value above QUIC_PN_MAX when none can exist (pn_len out of
 *         range, or a packet number past 2^62-1 near the top of the space): drop the packet
 */
uint64_t quic_pn_decode(uint64_t largest_pn, uint64_t truncated, size_t pn_len);

/* ---- Header parse (unprotected part only) ---- */

/*
 * One packet of a datagram. Pointers borrow the input; offsets count from the packet's first
 * byte. The protected bits of the first byte and the Packet Number are left as received.
 */
struct quic_packet_hdr {
	const uint8_t *pkt; /* first byte of this packet */
	size_t len;	    /* bytes of this packet in the datagram */
	enum quic_pkt_type type;
	uint32_t version; /* long header; 0 for VN and short headers */
	uint8_t first;	  /* first byte as received */
	const uint8_t *dcid;
	size_t dcid_len;
	const uint8_t *scid; /* long header */
	size_t scid_len;
	const uint8_t *token; /* Initial: Token; Retry: Retry Token */
	size_t token_len;
	size_t pn_offset; /* Packet Number field (Initial, 0-RTT, Handshake, 1-RTT); else 0 */
	const uint8_t *versions; /* VN: Supported Version list, 4 bytes each */
	size_t n_versions;
};

/*
 * Parse the packet at the start of buf[0..len), the rest of a datagram.
 *
 * Long headers: version 0 is a Version Negotiation packet (CIDs up to 255 bytes, a non-empty
 * whole list of versions); v1 and v2 need the fixed bit and CIDs of at most 20 bytes; Initial,
 * 0-RTT and Handshake end where their Length says, Retry and VN at the end of buf. Short
 * headers run to the end of buf with a DCID of short_dcid_len bytes.
 *
 * @param buf             the packet, borrowed for as long as hdr is used
 * @param short_dcid_len  the DCID length the receiver issues (0..20), for short headers
 * @param hdr             filled on success; on QUIC_ERR_VERSION only pkt, len (all of buf),
 *                        first, version, dcid and scid are set (RFC 8999 invariants, enough
 *                        to answer with quic_vn_write())
 * @return 0; or, all meaning "drop": QUIC_ERR_TRUNCATED (input ends inside the header, or
 *         Length runs past buf), QUIC_ERR_FIXED_BIT, QUIC_ERR_MALFORMED (CID longer than 20,
 *         VN with an empty or partial version list), QUIC_ERR_VERSION (unsupported version:
 *         the server may answer with a VN, RFC 9000 §6.1), QUIC_ERR_INVAL (short_dcid_len > 20)
 */
int quic_packet_parse(const uint8_t *buf, size_t len, size_t short_dcid_len,
		      struct quic_packet_hdr *hdr);

/*
 * Splits a datagram into its coalesced packets (RFC 9000 §12.2). A packet without a Length
 * (short header, Retry, VN) ends the datagram.
 */
struct quic_datagram_iter {
	const uint8_t *data;
	size_t len;
	size_t off; /* start of the next packet, or of the bytes that failed to parse */
	size_t short_dcid_len;
	bool done;
};

void quic_datagram_iter_init(struct quic_datagram_iter *it, const uint8_t *data, size_t len,
			     size_t short_dcid_len);

/*
 * Next packet of the datagram.
 * @return 1 with hdr filled; 0 at the clean end of the datagram; or a quic_packet_parse()
 *         error for the bytes at it->off, after which iteration stops and
 *         quic_datagram_trailing() tells how many bytes were not packets (the caller counts
 *         them as a drop and still processes the packets already returned). A VN or Retry
 *         after another packet is QUIC_ERR_MALFORMED: neither is ever coalesced (RFC 9000
 *         §12.2). On QUIC_ERR_VERSION hdr holds the invariant fields (see quic_packet_parse).
 */
int quic_datagram_next(struct quic_datagram_iter *it, struct quic_packet_hdr *hdr);

/* Bytes left unparsed: 0 after a clean end, the garbage length after an error. */
static inline size_t
quic_datagram_trailing(const struct quic_datagram_iter *it)
{
	return it->len - it->off;
}

/* ---- Header build ---- */

/* A packet to write (Initial, 0-RTT, Handshake or 1-RTT). */
struct quic_packet_out {
	enum quic_pkt_type type;
	uint32_t version; /* long header: QUIC_VERSION_1 or QUIC_VERSION_2 */
	const uint8_t *dcid;
	size_t dcid_len;
	const uint8_t *scid; /* long header */
	size_t scid_len;
	const uint8_t *token; /* Initial only */
	size_t token_len;
	uint64_t pn;
	size_t pn_len;	 /* 1..4, e.g. from quic_pn_encode_len() */
	size_t len_size; /* bytes reserved for the Length varint (1, 2, 4, 8); 0 means 2 */
	bool spin;	 /* short header: latency spin bit */
	bool key_phase;	 /* short header */
};

/* Where quic_packet_write_header() put things; input to the seal and HP steps. */
struct quic_packet_layout {
	size_t hdr_len;	   /* the payload starts here: pn_offset + pn_len */
	size_t pn_offset;  /* Packet Number field */
	size_t pn_len;	   /* its length */
	size_t len_offset; /* Length field (long header) */
	size_t len_size;   /* its reserved size; 0 for a short header */
	uint64_t pn;	   /* full packet number, for the nonce */
};

/*
 * Write a header with reserved bits 0 and the truncated packet number; the Length field is
 * reserved and filled by quic_packet_seal_prepare() once the payload length is known. The
 * caller writes the frames at buf + lay->hdr_len.
 * @return 0; QUIC_ERR_BUFFER (cap too small); QUIC_ERR_INVAL (bad type/version pair, CID
 *         longer than 20, token on a non-Initial, pn_len not 1..4, pn past QUIC_PN_MAX, bad
 *         len_size)
 */
int quic_packet_write_header(uint8_t *buf, size_t cap, const struct quic_packet_out *p,
			     struct quic_packet_layout *lay);

/* Smallest payload that leaves room for the header protection sample (RFC 9001 §5.4.2). */
static inline size_t
quic_packet_min_payload(size_t pn_len)
{
	return pn_len >= QUIC_HP_SAMPLE_OFFSET ? 0 : QUIC_HP_SAMPLE_OFFSET - pn_len;
}

/* ---- Packet and header protection (RFC 9001 §5.3, §5.4) ---- */

/*
 * Fill the Length field and an AEAD seal op for the payload buf[hdr_len..hdr_len+payload_len)
 * (AAD = header through the Packet Number, RFC 9001 §5.3). The op seals in place and writes the
 * 16-byte tag after the payload. Run it with crypto_aead_seal_burst() (or crypto_aead_seal()),
 * then quic_packet_hp_prepare() on the sealed packet.
 * @param buf      the packet, cap bytes of room
 * @param pkt_len  receives the protected packet length: hdr_len + payload_len + 16
 * @return 0; QUIC_ERR_BUFFER (no room for the tag); QUIC_ERR_INVAL (payload shorter than
 *         quic_packet_min_payload(): pad it; or Length too large for its reserved size)
 */
int quic_packet_seal_prepare(uint8_t *buf, size_t cap, const struct quic_packet_layout *lay,
			     size_t payload_len, struct crypto_aead *aead,
			     struct crypto_aead_op *op, size_t *pkt_len);

/*
 * Fill a header-protection op with the sample at pn_offset + 4 (RFC 9001 §5.4.2). Same for
 * sending (after the seal) and receiving (before anything else).
 * @param pkt        the packet; the op borrows its sample until the mask is computed
 * @param pkt_len    its length (a received packet's hdr->len)
 * @return 0, or QUIC_ERR_TRUNCATED: too short for a sample, drop it (RFC 9001 §5.4.2)
 */
int quic_packet_hp_prepare(const uint8_t *pkt, size_t pkt_len, size_t pn_offset,
			   struct crypto_hp *hp, struct crypto_hp_op *op);

/* Apply a mask to a packet being sent: low bits of byte 0, then pn_len bytes at pn_offset. */
void quic_packet_hp_apply(uint8_t *pkt, size_t pn_offset, size_t pn_len,
			  const uint8_t mask[CRYPTO_HP_MASK_LEN]);

/* Map a crypto_* status to a QUIC_ERR_* code: AEAD_LIMIT, NOMEM, CRYPTO (drop) or 0. */
int quic_packet_crypto_status(int crypto_status);

/*
 * Protect one packet in place: seal, then header protection.
 * @return 0, the errors of quic_packet_seal_prepare(), QUIC_ERR_AEAD_LIMIT (update the keys
 *         first), QUIC_ERR_CRYPTO (library failure)
 */
int quic_packet_protect(uint8_t *buf, size_t cap, const struct quic_packet_layout *lay,
			size_t payload_len, struct crypto_aead *aead, struct crypto_hp *hp,
			size_t *pkt_len);

/* A received packet after header protection removal. */
struct quic_packet_rx {
	uint8_t first;	  /* first byte without header protection */
	uint64_t pn;	  /* full packet number */
	size_t pn_len;	  /* Packet Number field length */
	size_t hdr_len;	  /* AAD length: header through the Packet Number */
	uint8_t *payload; /* ciphertext and tag; the plaintext after quic_packet_open_finish() */
	size_t payload_len;
	bool key_phase; /* short header */
};

/*
 * Remove header protection in place (RFC 9001 §5.4.1) and decode the packet number against
 * largest_pn (RFC 9000 Appendix A.3).
 * @param pkt         the bytes hdr was parsed from (hdr's offsets are used), writable
 * @param mask        from the op quic_packet_hp_prepare() filled
 * @param largest_pn  largest packet number processed in this space, or QUIC_PN_NONE
 * @return 0; QUIC_ERR_TRUNCATED (too short for a sample); QUIC_ERR_CRYPTO (the number decodes
 *         past 2^62-1: drop); QUIC_ERR_INVAL (hdr has no packet number: VN, Retry)
 */
int quic_packet_hp_remove(uint8_t *pkt, const struct quic_packet_hdr *hdr,
			  const uint8_t mask[CRYPTO_HP_MASK_LEN], uint64_t largest_pn,
			  struct quic_packet_rx *rx);

/* Fill an AEAD open op for a packet whose header protection is removed. */
void quic_packet_open_prepare(uint8_t *pkt, const struct quic_packet_rx *rx,
			      struct crypto_aead *aead, struct crypto_aead_op *op);

/*
 * Finish a packet after its open op ran: on success rx->payload_len becomes the plaintext
 * length, and the reserved bits are checked now that the packet is authenticated (RFC 9000
 * §17.2, §17.3.1; RFC 9001 §9.5).
 * @param crypto_status  the op's status
 * @return 0; QUIC_ERR_CRYPTO (not authentic: drop; a failed open leaves the payload
 *         undefined); QUIC_ERR_AEAD_LIMIT (close with AEAD_LIMIT_REACHED); QUIC_ERR_PROTOCOL
 *         (reserved bits set: close with PROTOCOL_VIOLATION)
 */
int quic_packet_open_finish(struct quic_packet_rx *rx, int crypto_status);

/*
 * Unprotect one packet in place: header protection, packet number, open, reserved bits. A
 * 1-RTT receiver that tracks key phases uses the split steps instead, choosing the key after
 * quic_packet_hp_remove().
 * @return 0 or the errors of quic_packet_hp_prepare(), quic_packet_hp_remove() and
 *         quic_packet_open_finish()
 */
int quic_packet_unprotect(uint8_t *pkt, const struct quic_packet_hdr *hdr, struct crypto_hp *hp,
			  struct crypto_aead *aead, uint64_t largest_pn, struct quic_packet_rx *rx);

/* ---- Version Negotiation (RFC 9000 §6, §17.2.1; RFC 8999 §6) ---- */

/*
 * Write a VN answering the packet recv (parsed with QUIC_ERR_VERSION): its SCID becomes our
 * DCID and its DCID our SCID. The first byte is 0x80 | 0x40 | (unused & 0x3f): the 0x40 bit
 * set (RFC 9000 §17.2.1), the other unused bits from an injected random byte.
 * @param versions  the versions to list, n_versions >= 1
 * @param out_len   receives the packet length
 * @return 0; QUIC_ERR_BUFFER; QUIC_ERR_INVAL (recv is a VN or short header, which are never
 *         answered with a VN, RFC 9000 §6.1; no versions)
 */
int quic_vn_write(uint8_t *buf, size_t cap, const struct quic_packet_hdr *recv,
		  const uint32_t *versions, size_t n_versions, uint8_t unused, size_t *out_len);

/*
 * Client side: parse a VN and refuse one that lists the version the client offered (RFC 9000
 * §6.2). The caller also checks that hdr->dcid is its SCID and hdr->scid its DCID (§17.2.1).
 * @return 0; QUIC_ERR_TRUNCATED, QUIC_ERR_MALFORMED (not a VN, empty or partial version list);
 *         QUIC_ERR_PROTOCOL (lists the offered version) — all mean "discard it"
 */
int quic_vn_parse(const uint8_t *pkt, size_t len, uint32_t offered_version,
		  struct quic_packet_hdr *hdr);

/* The i-th Supported Version of a parsed VN (i < hdr->n_versions). */
uint32_t quic_vn_version(const struct quic_packet_hdr *hdr, size_t i);

/* ---- Retry (RFC 9000 §17.2.5, RFC 9001 §5.8, RFC 9369 §3.3.3) ---- */

struct quic_retry_params {
	uint32_t version;
	uint8_t unused;	     /* low 4 bits go in the Unused bits (random, or fixed in tests) */
	const uint8_t *dcid; /* the client's SCID */
	size_t dcid_len;
	const uint8_t *scid; /* the server's new CID, != odcid */
	size_t scid_len;
	const uint8_t *odcid; /* the DCID of the client's Initial */
	size_t odcid_len;
	const uint8_t *token;
	size_t token_len; /* >= 1 */
};

/*
 * Write a Retry with its integrity tag (crypto_retry_tag over the pseudo-packet).
 * @return 0; QUIC_ERR_BUFFER; QUIC_ERR_INVAL (unsupported version, CID longer than 20, empty
 *         token, scid equal to odcid, packet over QUIC_RETRY_MAX_LEN); QUIC_ERR_CRYPTO
 */
int quic_retry_write(struct crypto_ctx *ctx, const struct quic_retry_params *p, uint8_t *buf,
		     size_t cap, size_t *out_len);

/*
 * Client side: check a parsed Retry against the DCID of the Initial the client sent.
 * @return 0; or, all meaning "discard it" (RFC 9000 §17.2.5.2): QUIC_ERR_MALFORMED (not a
 *         Retry, empty token, over QUIC_RETRY_MAX_LEN), QUIC_ERR_PROTOCOL (SCID equals odcid),
 *         QUIC_ERR_CRYPTO (the integrity tag does not verify)
 */
int quic_retry_verify(struct crypto_ctx *ctx, const struct quic_packet_hdr *hdr,
		      const uint8_t *odcid, size_t odcid_len);

/* quic_packet_parse() then quic_retry_verify(). */
int quic_retry_parse(struct crypto_ctx *ctx, const uint8_t *pkt, size_t len, const uint8_t *odcid,
		     size_t odcid_len, struct quic_packet_hdr *hdr);

#ifdef __cplusplus
}
#endif

#endif /* HB_QUIC_PACKET_H */
