/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * QPACK (RFC 9204) for a peer that never uses the dynamic table: we advertise
 * SETTINGS_QPACK_MAX_TABLE_CAPACITY 0 and SETTINGS_QPACK_BLOCKED_STREAMS 0, so every encoded
 * field section we accept references the static table (Appendix A) or carries literals, and any
 * dynamic reference or non-zero Required Insert Count is QPACK_DECOMPRESSION_FAILED (§2.2.3,
 * §4.5.1.1). Strings may be Huffman-coded with the code of RFC 7541 Appendix B (§4.1.2), which
 * peers such as nghttp3 use, so the decoder handles Huffman; our encoder never needs it.
 *
 * Prefixed integers (RFC 7541 §5.1) are bounded to 62 bits (RFC 9204 §4.1.1); decoded field
 * sections are bounded by the caller's limit, counted as RFC 9114 §4.2.2 counts them (32 bytes
 * plus name and value per field), so a small compressed section cannot expand without bound.
 *
 * Pure functions over caller buffers: no allocation, no state, thread-safe.
 */
#ifndef HB_QUIC_QPACK_H
#define HB_QUIC_QPACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <quic/h3.h>
#include <quic/varint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Entries in the static table, RFC 9204 Appendix A. */
#define QUIC_QPACK_STATIC_COUNT 99
/* Per-field overhead in the field section size, RFC 9114 §4.2.2 (RFC 9204 §3.2.1). */
#define QUIC_QPACK_FIELD_OVERHEAD 32
/* Longest prefixed integer accepted: 62 bits (RFC 9204 §4.1.1). */
#define QUIC_QPACK_INT_MAX QUIC_VARINT_MAX
/* Symbol of the Huffman end-of-string code (RFC 7541 §5.2, Appendix B). */
#define QUIC_HUFFMAN_EOS 256

/*
 * Static table entry index (0..98) as name and value; false when index is out of range.
 */
bool quic_qpack_static_get(uint64_t index, const char **name, size_t *name_len, const char **value,
			   size_t *value_len);

/* ---- Prefixed integers, RFC 7541 §5.1 ---- */

/*
 * Decode an integer with an n-bit prefix (1 <= n <= 8) from the first byte at r onwards; the
 * bits above the prefix in the first byte are ignored (the caller reads them first).
 * @return 0; QUIC_ERR_TRUNCATED (input ended); QUIC_ERR_MALFORMED (value above 2^62-1, or a
 *         continuation longer than any such value needs); QUIC_ERR_INVAL (bad n)
 */
int quic_qpack_int_get(struct crypto_rd *r, unsigned n, uint64_t *v);

/*
 * Encode v with an n-bit prefix; flags are the bits above the prefix in the first byte.
 * @return 0, QUIC_ERR_BUFFER (writer full), QUIC_ERR_INVAL (bad n, or v above 2^62-1)
 */
int quic_qpack_int_put(struct crypto_wr *w, unsigned n, uint8_t flags, uint64_t v);

/* ---- Huffman code, RFC 7541 Appendix B ---- */

/*
 * Decode a Huffman-coded string (RFC 7541 §5.2). out may be NULL to validate and measure only.
 * @return decoded length; QUIC_ERR_MALFORMED (the EOS symbol, padding longer than 7 bits or not
 *         all ones); QUIC_ERR_BUFFER (more than cap bytes)
 */
int quic_huffman_decode(const uint8_t *in, size_t len, uint8_t *out, size_t cap);

/*
 * Code of symbol sym (0..255, or QUIC_HUFFMAN_EOS), most significant bit first in the low
 * *bits bits of *code. For tests and encoders. @return false for a symbol out of range.
 */
bool quic_huffman_code(unsigned sym, uint32_t *code, unsigned *bits);

/* ---- String literals, RFC 7541 §5.2 and RFC 9204 §4.1.2 ---- */

/*
 * Decode an n-bit prefix string literal (2 <= n <= 8): H in bit n-1 of the first byte, the
 * length as an (n-1)-bit prefix integer, then the bytes. A plain string is returned in place
 * (*out points into the input); a Huffman string is decoded into scratch.
 * @return 0; QUIC_ERR_TRUNCATED; QUIC_ERR_MALFORMED (bad integer or Huffman code);
 *         QUIC_ERR_BUFFER (decoded string longer than scratch_cap); QUIC_ERR_INVAL (bad n)
 */
int quic_qpack_string_get(struct crypto_rd *r, unsigned n, uint8_t *scratch, size_t scratch_cap,
			  const uint8_t **out, size_t *out_len);

/* ---- Field sections, RFC 9204 §4.5 ---- */

/*
 * Called for each decoded field line in order. name and value are valid for the call only.
 * @return 0 to go on, or a negative code that stops decoding and is returned by the decoder
 */
typedef int (*quic_qpack_field_fn)(void *ctx, const uint8_t *name, size_t name_len,
				   const uint8_t *value, size_t value_len);

/*
 * Decode one encoded field section (a HEADERS frame payload) that must not use the dynamic
 * table.
 * @param max_size     limit on the decoded size (32 + name + value per field, RFC 9114 §4.2.2)
 * @param scratch      room for the Huffman-decoded name and value of one field at a time;
 *                     max_size bytes are always enough
 * @return 0; QUIC_H3_ERR_QPACK_DECOMPRESSION (truncated or malformed section, a dynamic table
 *         reference, Required Insert Count not 0, Sign bit 1, a static index above 98, a bad
 *         Huffman string): a connection error QPACK_DECOMPRESSION_FAILED (RFC 9204 §6);
 *         QUIC_H3_ERR_TOO_LARGE (decoded size above max_size, or a field that does not fit in
 *         scratch): the section is refused, the connection may go on; or fn's error
 */
int quic_qpack_decode_section(const uint8_t *in, size_t len, uint64_t max_size, uint8_t *scratch,
			      size_t scratch_cap, quic_qpack_field_fn fn, void *ctx);

/* Encoded Field Section Prefix with Required Insert Count 0 and Base 0 (§4.5.1). */
int quic_qpack_put_prefix(struct crypto_wr *w);

/*
 * Encode one field line without the dynamic table and without Huffman: an Indexed Field Line
 * when the static table holds name and value, a Literal Field Line with Name Reference when it
 * holds the name, a Literal Field Line with Literal Name otherwise (§4.5.2, §4.5.4, §4.5.6).
 * Names must be lowercase, as HTTP/3 requires (RFC 9114 §4.2).
 * @return 0, QUIC_ERR_BUFFER (writer full)
 */
int quic_qpack_put_field(struct crypto_wr *w, const char *name, size_t name_len,
			 const char *value, size_t value_len);

#ifdef __cplusplus
}
#endif

#endif /* HB_QUIC_QPACK_H */
