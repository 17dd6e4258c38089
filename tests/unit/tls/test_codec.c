/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TLS 1.3 message codecs (RFC 9846 §4, §13.3): cursors, ClientHello and the server messages,
 * every strict prefix of valid input rejected, duplicates and misplaced extensions.
 */
#include <string.h>

#include "hb_test.h"
#include "tls_int.h"

TestSuite(tls_codec);

HB_TEST(tls_codec, cursor_vectors)
{
	const uint8_t buf[] = {0x00, 0x03, 'a', 'b', 'c', 0x02, 'x'};
	struct crypto_rd r, v;
	uint8_t out[16];
	struct crypto_wr w;
	size_t off;

	crypto_rd_init(&r, buf, sizeof(buf));
	cr_assert(tls_get_vec(&r, 2, 1, 3, &v));
	cr_assert(eq(sz, crypto_rd_left(&v), 3));
	/* A length past the end poisons the reader, and it stays poisoned. */
	cr_assert(not(tls_get_vec(&r, 1, 0, 255, &v)));
	cr_assert(r.err);
	cr_assert(eq(sz, crypto_rd_left(&r), 0));
	/* A length outside [min, max] is refused even when the bytes are there. */
	crypto_rd_init(&r, buf, sizeof(buf));
	cr_assert(not(tls_get_vec(&r, 2, 4, 10, &v)));
	crypto_wr_init(&w, out, sizeof(out));
	off = tls_wr_open(&w, 2);
	crypto_put_bytes(&w, "abc", 3);
	tls_wr_close(&w, off, 2);
	cr_assert(not(w.err));
	cr_assert(eq(int, memcmp(out, buf, 5), 0));
	/* A writer that runs out of room stops and says so. */
	crypto_wr_init(&w, out, 2);
	cr_assert(not(crypto_put_u24(&w, 1)));
	cr_assert(w.err);
}

/*
 * A small but complete QUIC ClientHello: suites 1301/1302, server_name "x", groups x25519,
 * sigalgs 0403, ALPN "h3", supported_versions 0304, key_share x25519 (32 bytes of 0x11),
 * quic_transport_parameters {01 02 03}.
 */
static const char quic_ch_hex[] = "01 000000" /* ClientHello; load_ch() sets the length */
				  "0303"
				  "0000000000000000000000000000000000000000000000000000000000000000"
				  "00"			      /* legacy_session_id */
				  "0004 1301 1302"	      /* cipher_suites */
				  "01 00"		      /* compression */
				  "005b"		      /* extensions */
				  "0000 0006 0004 00 0001 78" /* server_name x */
				  "000a 0004 0002 001d"	      /* supported_groups */
				  "000d 0004 0002 0403"	      /* signature_algorithms */
				  "0010 0005 0003 02 6833"    /* ALPN h3 */
				  "002b 0003 02 0304"	      /* supported_versions */
				  "0033 0026 0024 001d 0020"  /* key_share */
				  "1111111111111111111111111111111111111111111111111111111111111111"
				  "0039 0003 010203"; /* quic_transport_parameters */

static size_t
load_ch(uint8_t *buf, size_t cap)
{
	size_t n = hb_hex(quic_ch_hex, buf, cap);

	cr_assert(gt(sz, n, 4));
	/* Keep the header length right whatever the literal says. */
	buf[1] = 0;
	buf[2] = (uint8_t)((n - 4) >> 8);
	buf[3] = (uint8_t)(n - 4);
	return n;
}

HB_TEST(tls_codec, client_hello_fields)
{
	uint8_t buf[512];
	size_t n = load_ch(buf, sizeof(buf));
	const uint8_t *pub;
	struct tls_ch ch;
	size_t len;

	cr_assert(eq(int, tls_ch_decode(&ch, buf, n), 0));
	cr_assert(ch.tls13);
	cr_assert(eq(sz, ch.session_id_len, 0));
	cr_assert(tls_list_has_u16(ch.suites, 0x1302));
	cr_assert(not(tls_list_has_u16(ch.suites, 0x1303)));
	cr_assert(tls_list_has_u16(ch.groups, 0x001d));
	cr_assert(tls_list_has_u16(ch.sigalgs, 0x0403));
	cr_assert(eq(sz, ch.host_len, 1));
	cr_assert(eq(int, ch.host[0], 'x'));
	cr_assert(eq(sz, ch.tparams_len, 3));
	cr_assert(eq(u32, ch.seen & TLS_SEEN_PSK, 0));
	cr_assert(eq(int, tls_ch_find_share(&ch, 0x001d, &pub, &len), 0));
	cr_assert(eq(sz, len, 32));
	cr_assert(eq(int, tls_ch_find_share(&ch, 0x0017, &pub, &len), 1));
}

/* Every strict prefix (with a header claiming the prefix length) is refused cleanly. */
HB_TEST(tls_codec, client_hello_every_prefix_rejected)
{
	uint8_t buf[512], cut[512];
	size_t n = load_ch(buf, sizeof(buf)), k;
	struct tls_ch ch;

	for (k = 4; k < n; k++) {
		memcpy(cut, buf, k);
		cut[1] = (uint8_t)((k - 4) >> 16);
		cut[2] = (uint8_t)((k - 4) >> 8);
		cut[3] = (uint8_t)(k - 4);
		cr_assert(lt(int, tls_ch_decode(&ch, cut, k), 0), "prefix %zu accepted", k);
	}
	cr_assert(lt(int, tls_ch_decode(&ch, buf, 3), 0));
}

HB_TEST(tls_codec, client_hello_duplicate_extension)
{
	uint8_t buf[512];
	size_t n = load_ch(buf, sizeof(buf));
	struct tls_ch ch;

	/* Rewrite supported_groups (000a) as a second signature_algorithms (000d). */
	cr_assert(eq(int, buf[4 + 2 + 32 + 1 + 6 + 2 + 2 + 10], 0x00));
	buf[4 + 2 + 32 + 1 + 6 + 2 + 2 + 10 + 1] = 0x0d;
	cr_assert(eq(int, tls_ch_decode(&ch, buf, n), TLS_FAIL(TLS_ALERT_ILLEGAL_PARAMETER)));
}

HB_TEST(tls_codec, client_hello_unknown_duplicate_and_compression)
{
	uint8_t buf[512];
	size_t n = load_ch(buf, sizeof(buf));
	size_t comp = 4 + 2 + 32 + 1 + 6;
	struct tls_ch ch;

	/* compression methods {1} instead of {0}: illegal_parameter (RFC 9846 §4.2.2). */
	buf[comp + 1] = 1;
	cr_assert(eq(int, tls_ch_decode(&ch, buf, n), TLS_FAIL(TLS_ALERT_ILLEGAL_PARAMETER)));
	buf[comp + 1] = 0;
	/* Unknown extension types twice: rewrite server_name and supported_groups to 0xfafa. */
	buf[comp + 4] = 0xfa;
	buf[comp + 5] = 0xfa;
	buf[comp + 4 + 10] = 0xfa;
	buf[comp + 4 + 11] = 0xfa;
	cr_assert(eq(int, tls_ch_decode(&ch, buf, n), TLS_FAIL(TLS_ALERT_ILLEGAL_PARAMETER)));
	/* Just one unknown: ignored. */
	buf[comp + 4 + 10] = 0x00;
	buf[comp + 4 + 11] = 0x0a;
	cr_assert(eq(int, tls_ch_decode(&ch, buf, n), 0));
	cr_assert(eq(sz, ch.host_len, 0));
}

/* A ServerHello: x25519 share, supported_versions. */
static const char sh_hex[] = "0303"
			     "2222222222222222222222222222222222222222222222222222222222222222"
			     "00 1301 00"
			     "002e"
			     "002b 0002 0304"
			     "0033 0024 001d 0020"
			     "3333333333333333333333333333333333333333333333333333333333333333";

HB_TEST(tls_codec, server_hello_fields_and_prefixes)
{
	uint8_t buf[256];
	size_t n = hb_hex(sh_hex, buf, sizeof(buf)), k;
	struct tls_sh sh;

	cr_assert(eq(int, tls_sh_decode(&sh, buf, n), 0));
	cr_assert(not(sh.hrr));
	cr_assert(eq(u16, sh.suite, 0x1301));
	cr_assert(eq(u16, sh.version, 0x0304));
	cr_assert(eq(u16, sh.group, 0x001d));
	cr_assert(eq(sz, sh.share_len, 32));
	for (k = 0; k < n; k++)
		cr_assert(lt(int, tls_sh_decode(&sh, buf, k), 0), "prefix %zu accepted", k);
	/* An extension the client never asked for: unsupported_extension (RFC 9846 §4.3). */
	buf[40] = 0xfa;
	buf[41] = 0xfa;
	cr_assert(eq(int, tls_sh_decode(&sh, buf, n), TLS_FAIL(TLS_ALERT_UNSUPPORTED_EXTENSION)));
	/* A known one that has no place in ServerHello (ALPN): illegal_parameter. */
	buf[40] = 0x00;
	buf[41] = 0x10;
	cr_assert(eq(int, tls_sh_decode(&sh, buf, n), TLS_FAIL(TLS_ALERT_ILLEGAL_PARAMETER)));
}

HB_TEST(tls_codec, hello_retry_request_recognised)
{
	uint8_t buf[128];
	struct crypto_wr w;
	struct tls_sh sh;

	crypto_wr_init(&w, buf, sizeof(buf));
	crypto_put_u16(&w, 0x0303);
	crypto_put_bytes(&w, tls_hrr_random, 32);
	crypto_put_u8(&w, 0);
	crypto_put_u16(&w, 0x1301);
	crypto_put_u8(&w, 0);
	crypto_put_u16(&w, 12);
	crypto_put_u16(&w, 0x002b);
	crypto_put_u16(&w, 2);
	crypto_put_u16(&w, 0x0304);
	crypto_put_u16(&w, 0x0033);
	crypto_put_u16(&w, 2);
	crypto_put_u16(&w, 0x0017);
	cr_assert(not(w.err));
	cr_assert(eq(int, tls_sh_decode(&sh, buf, crypto_wr_len(&w)), 0));
	cr_assert(sh.hrr);
	cr_assert(eq(u16, sh.group, 0x0017));
	cr_assert(eq(sz, sh.share_len, 0));
}

HB_TEST(tls_codec, encrypted_extensions)
{
	/* ALPN h3, transport parameters {aa}, early_data. */
	uint8_t buf[64];
	size_t n = hb_hex("0012 0010 0005 0003 02 6833 0039 0001 aa 002a 0000", buf, sizeof(buf));
	struct tls_ee ee;
	size_t k;

	cr_assert(eq(int, tls_ee_decode(&ee, buf, n), 0));
	cr_assert(eq(sz, ee.alpn_len, 2));
	cr_assert(eq(int, memcmp(ee.alpn, "h3", 2), 0));
	cr_assert(eq(sz, ee.tparams_len, 1));
	cr_assert(ne(u32, ee.seen & TLS_SEEN_EARLY_DATA, 0));
	for (k = 0; k < n; k++)
		cr_assert(lt(int, tls_ee_decode(&ee, buf, k), 0), "prefix %zu accepted", k);
	/* Two protocols in the server's ALPN: decode_error. */
	n = hb_hex("000b 0010 0007 0005 01 61 02 6833", buf, sizeof(buf));
	cr_assert(eq(int, tls_ee_decode(&ee, buf, n), TLS_FAIL(TLS_ALERT_DECODE_ERROR)));
	/* early_data with a body in EncryptedExtensions: decode_error. */
	n = hb_hex("0005 002a 0001 00", buf, sizeof(buf));
	cr_assert(eq(int, tls_ee_decode(&ee, buf, n), TLS_FAIL(TLS_ALERT_DECODE_ERROR)));
}

HB_TEST(tls_codec, certificate_and_verify)
{
	uint8_t buf[64];
	size_t n = hb_hex("00 000010 000004 deadbeef 0000 000001 aa 0000", buf, sizeof(buf));
	struct tls_certmsg cm;
	const uint8_t *sig;
	size_t sig_len, k;
	uint16_t scheme;

	/* One entry too many bytes in the list length: decode_error. */
	cr_assert(eq(int, tls_cert_decode(&cm, buf, n), TLS_FAIL(TLS_ALERT_DECODE_ERROR)));
	buf[3] = 0x0f;
	cr_assert(eq(int, tls_cert_decode(&cm, buf, n), 0));
	cr_assert(eq(sz, cm.n, 2));
	cr_assert(eq(sz, cm.der_len[0], 4));
	for (k = 0; k < n; k++)
		cr_assert(lt(int, tls_cert_decode(&cm, buf, k), 0), "prefix %zu accepted", k);
	/* An empty list: decode_error (RFC 9846 §4.5.1.3). */
	n = hb_hex("00 000000", buf, sizeof(buf));
	cr_assert(eq(int, tls_cert_decode(&cm, buf, n), TLS_FAIL(TLS_ALERT_DECODE_ERROR)));
	/* A non-empty request context on a server certificate: illegal_parameter. */
	n = hb_hex("01 07 000006 000001 aa 0000", buf, sizeof(buf));
	cr_assert(eq(int, tls_cert_decode(&cm, buf, n), TLS_FAIL(TLS_ALERT_ILLEGAL_PARAMETER)));
	/* An entry extension nobody asked for: unsupported_extension. */
	n = hb_hex("00 00000c 000001 aa 0006 0005 0002 0000", buf, sizeof(buf));
	cr_assert(eq(int, tls_cert_decode(&cm, buf, n), TLS_FAIL(TLS_ALERT_UNSUPPORTED_EXTENSION)));
	n = hb_hex("0403 0003 010203", buf, sizeof(buf));
	cr_assert(eq(int, tls_cv_decode(&scheme, &sig, &sig_len, buf, n), 0));
	cr_assert(eq(u16, scheme, 0x0403));
	cr_assert(eq(sz, sig_len, 3));
	for (k = 0; k < n; k++)
		cr_assert(lt(int, tls_cv_decode(&scheme, &sig, &sig_len, buf, k), 0));
}

HB_TEST(tls_codec, new_session_ticket)
{
	uint8_t buf[64];
	size_t n = hb_hex("00001c20 01020304 01 07 0002 abcd 000c 002a 0004 ffffffff fafa 0000",
			  buf, sizeof(buf));
	struct tls_nst nst;
	size_t k;

	cr_assert(eq(int, tls_nst_decode(&nst, buf, n), 0));
	cr_assert(eq(u32, nst.lifetime, 7200));
	cr_assert(eq(u32, nst.age_add, 0x01020304));
	cr_assert(eq(sz, nst.nonce_len, 1));
	cr_assert(eq(sz, nst.ticket_len, 2));
	cr_assert(nst.early_data);
	cr_assert(eq(u32, nst.max_early_data, 0xffffffffu));
	for (k = 0; k < n; k++)
		cr_assert(lt(int, tls_nst_decode(&nst, buf, k), 0), "prefix %zu accepted", k);
	/* An empty ticket: decode_error. */
	n = hb_hex("00001c20 01020304 00 0000 0000", buf, sizeof(buf));
	cr_assert(eq(int, tls_nst_decode(&nst, buf, n), TLS_FAIL(TLS_ALERT_DECODE_ERROR)));
}
