/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Negative cases, each with its exact alert (QUIC CRYPTO_ERROR = 0x100 + alert, RFC 9001
 * §4.8), and shared/bad-input.md B6, B7, B9, B10: a ClientHello built by our client is
 * altered and fed to a fresh server; server flights are altered on their way to the client.
 */
#include <string.h>
#include <time.h>

#include "tls_int.h"
#include "tls_pair.h"

TestSuite(tls_alerts);

struct bed {
	struct pem pem;
	struct tls_server_config *scfg;
	struct tls_client_config *ccfg;
	struct pair p;
	uint8_t ch[2048];
	size_t ch_len;
};

static void
bed_init(struct bed *b)
{
	const uint8_t *ch;

	b->scfg = server_cfg(TLS_KEY_ECDSA_P256, &b->pem);
	b->ccfg = client_cfg(&b->pem);
	pair_init(&b->p, b->ccfg, b->scfg, PAIR_HOST);
	cr_assert(eq(int, tls_conn_start(b->p.cli.c, PAIR_NOW), 0));
	ch = tls_conn_pending(b->p.cli.c, TLS_LEVEL_INITIAL, &b->ch_len);
	cr_assert(le(sz, b->ch_len, sizeof(b->ch)));
	memcpy(b->ch, ch, b->ch_len);
}

static void
bed_fini(struct bed *b)
{
	pair_free(&b->p);
	tls_client_config_free(b->ccfg);
	tls_server_config_free(b->scfg);
	pem_free(&b->pem);
}

/* Feed msg to a fresh server; returns its alert (TLS_ALERT_NONE when accepted). */
static int
serve(struct bed *b, const uint8_t *msg, size_t len)
{
	struct tls_conn *s = NULL;
	int rc, alert;

	cr_assert(eq(int,
		     tls_conn_new_server(&s, b->scfg, b->p.ctx, server_tp, sizeof(server_tp), NULL),
		     0));
	rc = tls_conn_recv(s, TLS_LEVEL_INITIAL, msg, len, PAIR_NOW);
	alert = tls_conn_alert(s);
	cr_assert(rc == 0 || rc == TLS_ERR_ALERT || rc == TLS_ERR_PROTOCOL);
	cr_assert(eq(int, rc == TLS_ERR_ALERT, alert != TLS_ALERT_NONE));
	tls_conn_free(s);
	return alert;
}

static void
set_len(uint8_t *msg, size_t len)
{
	msg[1] = (uint8_t)((len - 4) >> 16);
	msg[2] = (uint8_t)((len - 4) >> 8);
	msg[3] = (uint8_t)(len - 4);
}

/* Offset of the type field of extension type in a ClientHello, or 0 if absent. */
static size_t
ch_ext_at(const uint8_t *ch, size_t len)
{
	size_t off = 4 + 2 + 32;

	off += 1 + ch[off];				 /* session id */
	off += 2 + ((size_t)ch[off] << 8 | ch[off + 1]); /* suites */
	off += 1 + ch[off];				 /* compression */
	cr_assert(lt(sz, off + 2, len));
	return off + 2; /* first extension */
}

static size_t
ch_find_ext(const uint8_t *ch, size_t len, uint16_t type)
{
	size_t off = ch_ext_at(ch, len);

	while (off + 4 <= len) {
		uint16_t t = (uint16_t)(ch[off] << 8 | ch[off + 1]);
		size_t l = (size_t)ch[off + 2] << 8 | ch[off + 3];

		if (t == type)
			return off;
		off += 4 + l;
	}
	return 0;
}

HB_TEST(tls_alerts, baseline_client_hello_accepted)
{
	struct bed b;

	bed_init(&b);
	cr_assert(eq(int, serve(&b, b.ch, b.ch_len), TLS_ALERT_NONE));
	bed_fini(&b);
}

/* B6: quic_transport_parameters renamed to 0xffa5 (an old draft codepoint): 0x16d. */
HB_TEST(tls_alerts, missing_transport_parameters_109)
{
	struct bed b;
	size_t at;

	bed_init(&b);
	at = ch_find_ext(b.ch, b.ch_len, 0x0039);
	cr_assert(ne(sz, at, 0));
	b.ch[at] = 0xff;
	b.ch[at + 1] = 0xa5;
	cr_assert(eq(int, serve(&b, b.ch, b.ch_len), TLS_ALERT_MISSING_EXTENSION));
	cr_assert(eq(int, TLS_ALERT_MISSING_EXTENSION, 109));
	bed_fini(&b);
}

/* B7: no protocol in common: 0x178. */
HB_TEST(tls_alerts, no_alpn_overlap_120)
{
	struct bed b;
	static const char *const other[] = {"h2", "smtp"};

	bed_init(&b);
	cr_assert(eq(int, tls_server_config_set_alpn(b.scfg, other, 2), 0));
	cr_assert(eq(int, serve(&b, b.ch, b.ch_len), TLS_ALERT_NO_APPLICATION_PROTOCOL));
	cr_assert(eq(int, TLS_ALERT_NO_APPLICATION_PROTOCOL, 120));
	bed_fini(&b);
}

/* Duplicate extension (RFC 9846 §4.3): ALPN renamed to signature_algorithms: 47. */
HB_TEST(tls_alerts, duplicate_extension_47)
{
	struct bed b;
	size_t at;

	bed_init(&b);
	at = ch_find_ext(b.ch, b.ch_len, 0x0010);
	cr_assert(ne(sz, at, 0));
	b.ch[at + 1] = 0x0d;
	cr_assert(eq(int, serve(&b, b.ch, b.ch_len), TLS_ALERT_ILLEGAL_PARAMETER));
	bed_fini(&b);
}

/* RFC 9001 §8.4: a legacy_session_id (middlebox compatibility mode) is refused: 47. */
HB_TEST(tls_alerts, legacy_session_id_47)
{
	struct bed b;
	uint8_t msg[2048 + 32];
	size_t sid = 4 + 2 + 32;

	bed_init(&b);
	memcpy(msg, b.ch, sid);
	msg[sid] = 32;
	memset(msg + sid + 1, 0x5a, 32);
	memcpy(msg + sid + 33, b.ch + sid + 1, b.ch_len - sid - 1);
	set_len(msg, b.ch_len + 32);
	cr_assert(eq(int, serve(&b, msg, b.ch_len + 32), TLS_ALERT_ILLEGAL_PARAMETER));
	bed_fini(&b);
}

/* Truncated: the last extension cut short with a consistent header: decode_error 50. */
HB_TEST(tls_alerts, truncated_message_50)
{
	struct bed b;
	size_t k;

	bed_init(&b);
	for (k = b.ch_len - 1; k > 60; k -= 37) {
		set_len(b.ch, k);
		cr_assert(eq(int, serve(&b, b.ch, k), TLS_ALERT_DECODE_ERROR), "cut at %zu", k);
	}
	bed_fini(&b);
}

/*
 * Pinned: a message announcing more than the limit (16 KiB by default) is refused from its
 * header, before any of it is buffered: handshake_failure 40.
 */
HB_TEST(tls_alerts, oversize_message_40)
{
	struct bed b;
	struct tls_conn *s = NULL;
	uint8_t hdr[4] = {TLS_HS_CLIENT_HELLO, 0x00, 0x40, 0x01};  /* 16385 */
	uint8_t part[4] = {TLS_HS_CLIENT_HELLO, 0x00, 0x40, 0x00}; /* 16384: allowed */

	bed_init(&b);
	cr_assert(eq(int, serve(&b, hdr, sizeof(hdr)), TLS_ALERT_HANDSHAKE_FAILURE));
	/* The header split over two calls is checked the same way. */
	cr_assert(eq(int,
		     tls_conn_new_server(&s, b.scfg, b.p.ctx, server_tp, sizeof(server_tp), NULL),
		     0));
	cr_assert(eq(int, tls_conn_recv(s, TLS_LEVEL_INITIAL, hdr, 2, PAIR_NOW), 0));
	cr_assert(
		eq(int, tls_conn_recv(s, TLS_LEVEL_INITIAL, hdr + 2, 2, PAIR_NOW), TLS_ERR_ALERT));
	cr_assert(eq(int, tls_conn_alert(s), TLS_ALERT_HANDSHAKE_FAILURE));
	tls_conn_free(s);
	/* At the limit a partial message is buffered, waiting for the rest. */
	cr_assert(eq(int, serve(&b, part, sizeof(part)), TLS_ALERT_NONE));
	bed_fini(&b);
}

/* A TLS 1.2-only ClientHello (no supported_versions): protocol_version 70. */
HB_TEST(tls_alerts, tls12_client_70)
{
	struct bed b;
	size_t at;

	bed_init(&b);
	at = ch_find_ext(b.ch, b.ch_len, 0x002b);
	cr_assert(ne(sz, at, 0));
	b.ch[at] = 0xfa;
	b.ch[at + 1] = 0xfa;
	cr_assert(eq(int, serve(&b, b.ch, b.ch_len), TLS_ALERT_PROTOCOL_VERSION));
	bed_fini(&b);
}

/* Messages that never belong in QUIC's TLS (RFC 9001 §6, §8.3; B9, B10): 10. */
static void
inject_after_handshake(uint8_t type, bool to_server, enum tls_level level)
{
	struct bed b;
	uint8_t msg[5] = {type, 0, 0, 1, 0};
	struct tls_conn *c;

	bed_init(&b);
	cr_assert(eq(int, pair_run(&b.p, PAIR_NOW), 0));
	c = to_server ? b.p.srv.c : b.p.cli.c;
	cr_assert(tls_conn_handshake_done(c));
	cr_assert(eq(int, tls_conn_recv(c, level, msg, sizeof(msg), PAIR_NOW), TLS_ERR_ALERT));
	cr_assert(eq(int, tls_conn_alert(c), TLS_ALERT_UNEXPECTED_MESSAGE));
	/* Failure is sticky. */
	cr_assert(eq(int, tls_conn_recv(c, level, msg, sizeof(msg), PAIR_NOW), TLS_ERR_ALERT));
	bed_fini(&b);
}

HB_TEST(tls_alerts, key_update_10)
{
	inject_after_handshake(TLS_HS_KEY_UPDATE, true, TLS_LEVEL_APPLICATION);
	inject_after_handshake(TLS_HS_KEY_UPDATE, false, TLS_LEVEL_APPLICATION);
	cr_assert(eq(int, TLS_ALERT_UNEXPECTED_MESSAGE, 10));
}

HB_TEST(tls_alerts, key_update_during_handshake_10)
{
	struct bed b;
	uint8_t ku[5] = {TLS_HS_KEY_UPDATE, 0, 0, 1, 0};
	bool moved = false;

	bed_init(&b);
	cr_assert(eq(int, pump(b.p.cli.c, b.p.srv.c, 0, PAIR_NOW, &moved), 0));
	cr_assert(eq(int, tls_conn_recv(b.p.srv.c, TLS_LEVEL_HANDSHAKE, ku, 5, PAIR_NOW),
		     TLS_ERR_ALERT));
	cr_assert(eq(int, tls_conn_alert(b.p.srv.c), TLS_ALERT_UNEXPECTED_MESSAGE));
	bed_fini(&b);
}

/* EndOfEarlyData where the client Finished is due, and any byte at the 0-RTT level. */
HB_TEST(tls_alerts, end_of_early_data_10)
{
	struct bed b;
	uint8_t eoed[4] = {TLS_HS_END_OF_EARLY_DATA, 0, 0, 0};
	bool moved = false;

	bed_init(&b);
	cr_assert(eq(int, pump(b.p.cli.c, b.p.srv.c, 0, PAIR_NOW, &moved), 0));
	cr_assert(eq(int, tls_conn_recv(b.p.srv.c, TLS_LEVEL_HANDSHAKE, eoed, 4, PAIR_NOW),
		     TLS_ERR_ALERT));
	cr_assert(eq(int, tls_conn_alert(b.p.srv.c), TLS_ALERT_UNEXPECTED_MESSAGE));
	bed_fini(&b);
	bed_init(&b);
	cr_assert(eq(int, pump(b.p.cli.c, b.p.srv.c, 0, PAIR_NOW, &moved), 0));
	cr_assert(eq(int, tls_conn_recv(b.p.srv.c, TLS_LEVEL_EARLY, eoed, 4, PAIR_NOW),
		     TLS_ERR_ALERT));
	cr_assert(eq(int, tls_conn_alert(b.p.srv.c), TLS_ALERT_UNEXPECTED_MESSAGE));
	bed_fini(&b);
}

/* Bytes after the ClientHello at the Initial level (nothing more is due there): 10. */
HB_TEST(tls_alerts, trailing_initial_bytes_10)
{
	struct bed b;
	uint8_t msg[2048 + 1];

	bed_init(&b);
	memcpy(msg, b.ch, b.ch_len);
	msg[b.ch_len] = TLS_HS_CLIENT_HELLO;
	cr_assert(eq(int, serve(&b, msg, b.ch_len + 1), TLS_ALERT_UNEXPECTED_MESSAGE));
	bed_fini(&b);
}

/* Hostname mismatch. Pinned: bad_certificate 42. */
HB_TEST(tls_alerts, wrong_host_name_42)
{
	struct pem pem;
	struct tls_server_config *scfg = server_cfg(TLS_KEY_ECDSA_P256, &pem);
	struct tls_client_config *ccfg = client_cfg(&pem);
	struct pair p;

	pair_init(&p, ccfg, scfg, "other.test");
	cr_assert(eq(int, pair_run(&p, PAIR_NOW), TLS_ERR_ALERT));
	cr_assert(eq(int, tls_conn_alert(p.cli.c), TLS_ALERT_BAD_CERTIFICATE));
	cr_assert(not(tls_conn_handshake_done(p.cli.c)));
	/* No 1-RTT secret was handed over. */
	cr_assert(eq(sz, p.cli.secret_len[TLS_LEVEL_APPLICATION][TLS_DIR_WRITE], 0));
	pair_free(&p);
	tls_client_config_free(ccfg);
	tls_server_config_free(scfg);
	pem_free(&pem);
}

/* A chain the client does not trust: unknown_ca 48; no trust anchor at all: 48 too. */
HB_TEST(tls_alerts, untrusted_chain_48)
{
	struct pem pem, other;
	struct tls_server_config *scfg = server_cfg(TLS_KEY_ED25519, &pem);
	struct tls_client_config *ccfg;
	struct pair p;

	pem_gen(&other, TLS_KEY_ECDSA_P256, PAIR_HOST, true, NULL);
	ccfg = client_cfg(&other);
	pair_init(&p, ccfg, scfg, PAIR_HOST);
	cr_assert(eq(int, pair_run(&p, PAIR_NOW), TLS_ERR_ALERT));
	cr_assert(eq(int, tls_conn_alert(p.cli.c), TLS_ALERT_UNKNOWN_CA));
	pair_free(&p);
	tls_client_config_free(ccfg);
	cr_assert(eq(int, tls_client_config_new(&ccfg), 0));
	pair_init(&p, ccfg, scfg, PAIR_HOST);
	cr_assert(eq(int, pair_run(&p, PAIR_NOW), TLS_ERR_ALERT));
	cr_assert(eq(int, tls_conn_alert(p.cli.c), TLS_ALERT_UNKNOWN_CA));
	pair_free(&p);
	tls_client_config_free(ccfg);
	tls_server_config_free(scfg);
	pem_free(&pem);
	pem_free(&other);
}

/* An expired certificate (checked at a fixed verify time): certificate_expired 45. */
HB_TEST(tls_alerts, expired_certificate_45)
{
	struct pem pem;
	struct tls_server_config *scfg = server_cfg(TLS_KEY_ECDSA_P256, &pem);
	struct tls_client_config *ccfg = client_cfg(&pem);
	struct pair p;

	/* 400 days from now: past the generator's default 30-day validity. */
	tls_client_config_set_verify_time(ccfg, (int64_t)time(NULL) + (int64_t)400 * 86400);
	pair_init(&p, ccfg, scfg, PAIR_HOST);
	cr_assert(eq(int, pair_run(&p, PAIR_NOW), TLS_ERR_ALERT));
	cr_assert(eq(int, tls_conn_alert(p.cli.c), TLS_ALERT_CERTIFICATE_EXPIRED));
	pair_free(&p);
	tls_client_config_free(ccfg);
	tls_server_config_free(scfg);
	pem_free(&pem);
}

/*
 * Server flight altered on the way to the client. The server's HANDSHAKE output is
 * EncryptedExtensions, Certificate, CertificateVerify, Finished; flip one byte at `from_end`
 * bytes before the end of the message of type `type`.
 */
static int
tamper_flight(uint8_t type, size_t from_end)
{
	struct bed b;
	uint8_t buf[8192];
	const uint8_t *d;
	size_t len = 0, off = 0;
	bool moved = false;
	int alert;

	bed_init(&b);
	cr_assert(eq(int, pump(b.p.cli.c, b.p.srv.c, 0, PAIR_NOW, &moved), 0));
	d = tls_conn_pending(b.p.srv.c, TLS_LEVEL_INITIAL, &len);
	cr_assert(eq(int, tls_conn_recv(b.p.cli.c, TLS_LEVEL_INITIAL, d, len, PAIR_NOW), 0));
	d = tls_conn_pending(b.p.srv.c, TLS_LEVEL_HANDSHAKE, &len);
	cr_assert(le(sz, len, sizeof(buf)));
	memcpy(buf, d, len);
	while (off + 4 <= len && buf[off] != type)
		off += 4 + ((size_t)buf[off + 1] << 16 | (size_t)buf[off + 2] << 8 | buf[off + 3]);
	cr_assert(lt(sz, off, len));
	off += 4 + ((size_t)buf[off + 1] << 16 | (size_t)buf[off + 2] << 8 | buf[off + 3]);
	buf[off - from_end] ^= 0x01;
	cr_assert(eq(int, tls_conn_recv(b.p.cli.c, TLS_LEVEL_HANDSHAKE, buf, len, PAIR_NOW),
		     TLS_ERR_ALERT));
	alert = tls_conn_alert(b.p.cli.c);
	bed_fini(&b);
	return alert;
}

HB_TEST(tls_alerts, client_detects_tampering)
{
	/* A bad signature: decrypt_error 51 (RFC 9846 §4.5.2). */
	cr_assert(eq(int, tamper_flight(TLS_HS_CERTIFICATE_VERIFY, 3), TLS_ALERT_DECRYPT_ERROR));
	/* A bad Finished: decrypt_error 51 (§4.5.3). */
	cr_assert(eq(int, tamper_flight(TLS_HS_FINISHED, 1), TLS_ALERT_DECRYPT_ERROR));
	/* Transport parameters changed in EncryptedExtensions: caught by the Finished. */
	cr_assert(eq(int, tamper_flight(TLS_HS_ENCRYPTED_EXTENSIONS, 1), TLS_ALERT_DECRYPT_ERROR));
	/* A signature byte of the self-signed certificate flipped: it is no longer the trusted
	 * certificate but an unknown self-signed one, so unknown_ca 48. */
	cr_assert(eq(int, tamper_flight(TLS_HS_CERTIFICATE, 5), TLS_ALERT_UNKNOWN_CA));
}

/* A ServerHello echoing a session id we never sent: illegal_parameter 47. */
HB_TEST(tls_alerts, server_hello_session_id_47)
{
	struct bed b;
	uint8_t sh[512];
	const uint8_t *d;
	size_t len = 0, sid = 4 + 2 + 32;
	bool moved = false;

	bed_init(&b);
	cr_assert(eq(int, pump(b.p.cli.c, b.p.srv.c, 0, PAIR_NOW, &moved), 0));
	d = tls_conn_pending(b.p.srv.c, TLS_LEVEL_INITIAL, &len);
	cr_assert(le(sz, len + 4, sizeof(sh)));
	memcpy(sh, d, sid);
	sh[sid] = 4;
	memset(sh + sid + 1, 7, 4);
	memcpy(sh + sid + 5, d + sid + 1, len - sid - 1);
	set_len(sh, len + 4);
	cr_assert(eq(int, tls_conn_recv(b.p.cli.c, TLS_LEVEL_INITIAL, sh, len + 4, PAIR_NOW),
		     TLS_ERR_ALERT));
	cr_assert(eq(int, tls_conn_alert(b.p.cli.c), TLS_ALERT_ILLEGAL_PARAMETER));
	bed_fini(&b);
}

/* A post-handshake CertificateRequest is a PROTOCOL_VIOLATION (RFC 9001 §4.4). */
HB_TEST(tls_alerts, post_handshake_certificate_request)
{
	struct bed b;
	uint8_t cr[4] = {TLS_HS_CERTIFICATE_REQUEST, 0, 0, 0};

	bed_init(&b);
	cr_assert(eq(int, pair_run(&b.p, PAIR_NOW), 0));
	cr_assert(eq(int, tls_conn_recv(b.p.cli.c, TLS_LEVEL_APPLICATION, cr, 4, PAIR_NOW),
		     TLS_ERR_PROTOCOL));
	bed_fini(&b);
}

/*
 * Each byte of a real ClientHello flipped in turn: the server never crashes, never reads out
 * of bounds (ASan), and ends either accepting or with an alert it documents.
 */
HB_TEST(tls_alerts, client_hello_byte_flips, .timeout = 120)
{
	static const int known[] = {
		TLS_ALERT_NONE,
		TLS_ALERT_UNEXPECTED_MESSAGE,
		TLS_ALERT_HANDSHAKE_FAILURE,
		TLS_ALERT_ILLEGAL_PARAMETER,
		TLS_ALERT_DECODE_ERROR,
		TLS_ALERT_PROTOCOL_VERSION,
		TLS_ALERT_MISSING_EXTENSION,
		TLS_ALERT_NO_APPLICATION_PROTOCOL,
	};
	struct bed b;
	size_t i, k;

	bed_init(&b);
	for (i = 0; i < b.ch_len; i++) {
		int alert;
		bool ok = false;

		b.ch[i] ^= 0xff;
		alert = serve(&b, b.ch, b.ch_len);
		b.ch[i] ^= 0xff;
		for (k = 0; k < sizeof(known) / sizeof(known[0]); k++)
			ok |= alert == known[k];
		cr_assert(ok, "byte %zu: alert %d (%s)", i, alert, tls_alert_name(alert));
	}
	bed_fini(&b);
}

/*
 * The server's EncryptedExtensions rewritten before the client sees it: extension drop_type
 * removed, an empty extension add_type appended (0: none), and the ALPN protocol's last byte
 * changed when bump_alpn. Returns the client's alert.
 */
static int
client_sees_ee(uint16_t drop_type, uint16_t add_type, bool bump_alpn)
{
	struct bed b;
	uint8_t ee[1024];
	const uint8_t *d;
	size_t len = 0, in, out = 6;
	bool moved = false;
	int alert;

	bed_init(&b);
	cr_assert(eq(int, pump(b.p.cli.c, b.p.srv.c, 0, PAIR_NOW, &moved), 0));
	d = tls_conn_pending(b.p.srv.c, TLS_LEVEL_INITIAL, &len);
	cr_assert(eq(int, tls_conn_recv(b.p.cli.c, TLS_LEVEL_INITIAL, d, len, PAIR_NOW), 0));
	d = tls_conn_pending(b.p.srv.c, TLS_LEVEL_HANDSHAKE, &len);
	cr_assert(eq(int, d[0], TLS_HS_ENCRYPTED_EXTENSIONS));
	len = 4 + ((size_t)d[1] << 16 | (size_t)d[2] << 8 | d[3]);
	cr_assert(le(sz, len + 4, sizeof(ee)));
	for (in = 6; in + 4 <= len;) {
		uint16_t t = (uint16_t)(d[in] << 8 | d[in + 1]);
		size_t l = 4 + ((size_t)d[in + 2] << 8 | d[in + 3]);

		if (t != drop_type) {
			memcpy(ee + out, d + in, l);
			if (t == TLS_EXT_ALPN && bump_alpn)
				ee[out + l - 1] ^= 0x07;
			out += l;
		}
		in += l;
	}
	if (add_type != 0) {
		ee[out++] = (uint8_t)(add_type >> 8);
		ee[out++] = (uint8_t)add_type;
		ee[out++] = 0;
		ee[out++] = 0;
	}
	ee[0] = TLS_HS_ENCRYPTED_EXTENSIONS;
	set_len(ee, out);
	ee[4] = (uint8_t)((out - 6) >> 8);
	ee[5] = (uint8_t)(out - 6);
	cr_assert(eq(int, tls_conn_recv(b.p.cli.c, TLS_LEVEL_HANDSHAKE, ee, out, PAIR_NOW),
		     TLS_ERR_ALERT));
	alert = tls_conn_alert(b.p.cli.c);
	bed_fini(&b);
	return alert;
}

HB_TEST(tls_alerts, client_checks_encrypted_extensions)
{
	/* RFC 9001 §8.2: the client too requires the server's transport parameters: 109. */
	cr_assert(eq(int, client_sees_ee(TLS_EXT_QUIC_TRANSPORT_PARAMETERS, 0, false),
		     TLS_ALERT_MISSING_EXTENSION));
	/* RFC 9001 §8.1: no ALPN, or one the client did not offer: 120. */
	cr_assert(
		eq(int, client_sees_ee(TLS_EXT_ALPN, 0, false), TLS_ALERT_NO_APPLICATION_PROTOCOL));
	cr_assert(eq(int, client_sees_ee(0, 0, true), TLS_ALERT_NO_APPLICATION_PROTOCOL));
	/* early_data accepted without being offered (RFC 9846 §4.3): 110. */
	cr_assert(eq(int, client_sees_ee(0, TLS_EXT_EARLY_DATA, false),
		     TLS_ALERT_UNSUPPORTED_EXTENSION));
	/* An extension the client never asked for: 110. */
	cr_assert(eq(int, client_sees_ee(0, 0xfafa, false), TLS_ALERT_UNSUPPORTED_EXTENSION));
}
