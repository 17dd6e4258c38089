/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The client's load-generator knobs (crypto/tls.h, "Benchmark support"; issue #6):
 * - reuse_key_share: every ClientHello of one config carries the same key share (RFC 9846
 *   §4.3.8 forbids this to real clients; servers must accept it), including the share sent
 *   after a HelloRetryRequest, and the handshakes still complete with matching secrets;
 * - skip_server_auth: a server whose CertificateVerify signature does not verify is accepted
 *   with the knob and refused (decrypt_error, §4.5.2) without it, with insecure_skip_verify as
 *   with a trust anchor; Certificate and CertificateVerify are still parsed (malformed ones
 *   give the same alerts with and without the knob) and still bound by the server's Finished.
 */
#include <string.h>

#include <openssl/evp.h>

#include "tls_int.h"
#include "tls_pair.h"

TestSuite(tls_bench_knobs);

/* How the client of a test is configured. */
enum auth {
	AUTH_NONE,	  /* the defaults: verification on, no trust anchor */
	AUTH_CA,	  /* trusts the server's certificate */
	AUTH_INSECURE,	  /* insecure_skip_verify */
	AUTH_SKIP,	  /* bench skip_server_auth, nothing else */
	AUTH_SKIP_AND_CA, /* bench skip_server_auth on top of a trust anchor */
};

static struct tls_client_config *
knob_cfg(const struct pem *pem, enum auth auth, bool reuse)
{
	struct tls_client_config *cfg = NULL;

	if (auth == AUTH_SKIP || auth == AUTH_NONE)
		cr_assert(eq(int, tls_client_config_new(&cfg), 0)); /* no trust anchor at all */
	else
		cfg = client_cfg(auth == AUTH_INSECURE ? NULL : pem);
	if (auth == AUTH_SKIP || auth == AUTH_SKIP_AND_CA)
		tls_client_config_set_bench_skip_server_auth(cfg, true);
	if (reuse)
		cr_assert(eq(int, tls_client_config_set_bench_reuse_key_share(cfg, true), 0));
	return cfg;
}

/* The key share for group in the ClientHello the client has pending at INITIAL. */
static void
pending_share(struct tls_conn *c, uint16_t group, uint8_t *out, size_t *out_len)
{
	const uint8_t *msg, *pub = NULL;
	size_t len = 0, n = 0;
	struct tls_ch ch;

	msg = tls_conn_pending(c, TLS_LEVEL_INITIAL, &len);
	cr_assert(gt(sz, len, 0));
	cr_assert(eq(int, tls_ch_decode(&ch, msg, len), 0));
	cr_assert(eq(int, tls_ch_find_share(&ch, group, &pub, &n), 0));
	cr_assert(le(sz, n, (size_t)CRYPTO_KEX_MAX_PUB));
	memcpy(out, pub, n);
	*out_len = n;
}

/* One full handshake of ccfg against scfg; the share it offered first for group. */
static void
handshake_share(struct tls_client_config *ccfg, struct tls_server_config *scfg, uint16_t group,
		uint8_t *share, size_t *share_len)
{
	struct pair p;

	pair_init(&p, ccfg, scfg, PAIR_HOST);
	cr_assert(eq(int, tls_conn_start(p.cli.c, PAIR_NOW), 0));
	pending_share(p.cli.c, group, share, share_len);
	cr_assert(eq(int, pair_run(&p, PAIR_NOW), 0));
	cr_assert(tls_conn_handshake_done(p.cli.c));
	cr_assert(tls_conn_handshake_done(p.srv.c));
	cr_assert(eq(int, tls_conn_group(p.cli.c), group));
	pair_assert_secrets(&p);
	pair_free(&p);
}

/* Two handshakes from one config: shares equal with the knob, different without it. */
static void
two_handshakes(enum crypto_group group, bool reuse)
{
	struct pem pem;
	struct tls_server_config *scfg = server_cfg(TLS_KEY_ECDSA_P256, &pem);
	struct tls_client_config *ccfg = knob_cfg(&pem, AUTH_CA, reuse);
	uint8_t a[CRYPTO_KEX_MAX_PUB], b[CRYPTO_KEX_MAX_PUB];
	size_t a_len = 0, b_len = 0;

	cr_assert(eq(int, tls_client_config_set_groups(ccfg, &group, 1, 1), 0));
	handshake_share(ccfg, scfg, (uint16_t)group, a, &a_len);
	handshake_share(ccfg, scfg, (uint16_t)group, b, &b_len);
	cr_assert(eq(sz, a_len, b_len));
	if (reuse)
		cr_assert(eq(int, memcmp(a, b, a_len), 0));
	else
		cr_assert(ne(int, memcmp(a, b, a_len), 0));
	tls_client_config_free(ccfg);
	tls_server_config_free(scfg);
	pem_free(&pem);
}

HB_TEST(tls_bench_knobs, reuse_key_share_x25519)
{
	two_handshakes(CRYPTO_GROUP_X25519, true);
}

HB_TEST(tls_bench_knobs, reuse_key_share_p256)
{
	two_handshakes(CRYPTO_GROUP_SECP256R1, true);
}

/* The control: by default every ClientHello has a fresh share (RFC 9846 §4.3.8). */
HB_TEST(tls_bench_knobs, fresh_key_share_by_default)
{
	two_handshakes(CRYPTO_GROUP_X25519, false);
}

/* Turning the knob off again gives fresh shares, and the config frees its shares. */
HB_TEST(tls_bench_knobs, reuse_key_share_off_again)
{
	struct pem pem;
	struct tls_server_config *scfg = server_cfg(TLS_KEY_ECDSA_P256, &pem);
	struct tls_client_config *ccfg = knob_cfg(&pem, AUTH_CA, true);
	uint8_t a[CRYPTO_KEX_MAX_PUB], b[CRYPTO_KEX_MAX_PUB];
	size_t a_len = 0, b_len = 0;

	cr_assert(eq(int, tls_client_config_set_bench_reuse_key_share(ccfg, false), 0));
	handshake_share(ccfg, scfg, CRYPTO_GROUP_X25519, a, &a_len);
	handshake_share(ccfg, scfg, CRYPTO_GROUP_X25519, b, &b_len);
	cr_assert(eq(sz, a_len, b_len));
	cr_assert(ne(int, memcmp(a, b, a_len), 0));
	cr_assert(eq(int, tls_client_config_set_bench_reuse_key_share(NULL, true), TLS_ERR_INVAL));
	tls_client_config_free(ccfg);
	tls_server_config_free(scfg);
	pem_free(&pem);
}

/* The share a HelloRetryRequest asks for (secp256r1 here) is the config's too. */
static void
hrr_share(struct tls_client_config *ccfg, struct tls_server_config *scfg, uint8_t *share,
	  size_t *share_len)
{
	struct pair p;
	bool moved = false;

	pair_init(&p, ccfg, scfg, PAIR_HOST);
	cr_assert(eq(int, tls_conn_start(p.cli.c, PAIR_NOW), 0));
	cr_assert(eq(int, pump(p.cli.c, p.srv.c, 0, PAIR_NOW, &moved), 0));
	cr_assert(eq(int, pump(p.srv.c, p.cli.c, 0, PAIR_NOW, &moved), 0));
	cr_assert(tls_conn_hrr(p.cli.c));
	pending_share(p.cli.c, CRYPTO_GROUP_SECP256R1, share, share_len);
	cr_assert(eq(int, pair_run(&p, PAIR_NOW), 0));
	cr_assert(tls_conn_handshake_done(p.cli.c));
	cr_assert(eq(int, tls_conn_group(p.srv.c), CRYPTO_GROUP_SECP256R1));
	pair_assert_secrets(&p);
	pair_free(&p);
}

HB_TEST(tls_bench_knobs, reuse_key_share_after_hrr)
{
	struct pem pem;
	struct tls_server_config *scfg = server_cfg(TLS_KEY_ECDSA_P256, &pem);
	struct tls_client_config *ccfg = knob_cfg(&pem, AUTH_CA, true);
	enum crypto_group srv = CRYPTO_GROUP_SECP256R1;
	uint8_t a[CRYPTO_KEX_MAX_PUB], b[CRYPTO_KEX_MAX_PUB], x[CRYPTO_KEX_MAX_PUB];
	size_t a_len = 0, b_len = 0, x_len = 0;

	cr_assert(eq(int, tls_server_config_set_groups(scfg, &srv, 1), 0));
	hrr_share(ccfg, scfg, a, &a_len);
	hrr_share(ccfg, scfg, b, &b_len);
	cr_assert(eq(sz, a_len, 65));
	cr_assert(eq(sz, b_len, a_len));
	cr_assert(eq(int, memcmp(a, b, a_len), 0));
	/* The same secp256r1 share as a first ClientHello offering that group. */
	cr_assert(eq(int, tls_client_config_set_groups(ccfg, &srv, 1, 1), 0));
	handshake_share(ccfg, scfg, CRYPTO_GROUP_SECP256R1, x, &x_len);
	cr_assert(eq(int, memcmp(a, x, a_len), 0));
	tls_client_config_free(ccfg);
	tls_server_config_free(scfg);
	pem_free(&pem);
}

/* ---- skip_server_auth ---- */

/* Run one handshake; the client's alert (TLS_ALERT_NONE when both sides completed). */
static int
run_auth(struct tls_server_config *scfg, const struct pem *pem, enum auth auth, bool reuse)
{
	struct tls_client_config *ccfg = knob_cfg(pem, auth, reuse);
	struct pair p;
	int rc, alert;

	pair_init(&p, ccfg, scfg, PAIR_HOST);
	rc = pair_run(&p, PAIR_NOW);
	alert = tls_conn_alert(p.cli.c);
	cr_assert(eq(int, rc == 0, alert == TLS_ALERT_NONE));
	if (rc == 0) {
		cr_assert(tls_conn_handshake_done(p.cli.c));
		cr_assert(tls_conn_handshake_done(p.srv.c));
		pair_assert_secrets(&p);
	}
	pair_free(&p);
	tls_client_config_free(ccfg);
	return alert;
}

HB_TEST(tls_bench_knobs, each_knob_completes)
{
	static const enum tls_key_type types[] = {TLS_KEY_ECDSA_P256, TLS_KEY_ED25519};
	struct pem pem;
	size_t i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		struct tls_server_config *scfg = server_cfg(types[i], &pem);

		cr_assert(eq(int, run_auth(scfg, &pem, AUTH_CA, true), TLS_ALERT_NONE));
		cr_assert(eq(int, run_auth(scfg, &pem, AUTH_SKIP, false), TLS_ALERT_NONE));
		cr_assert(eq(int, run_auth(scfg, &pem, AUTH_SKIP, true), TLS_ALERT_NONE));
		cr_assert(eq(int, run_auth(scfg, &pem, AUTH_SKIP_AND_CA, true), TLS_ALERT_NONE));
		tls_server_config_free(scfg);
		pem_free(&pem);
	}
}

/* Without a trust anchor or insecure_skip_verify, only the knob lets the handshake pass. */
HB_TEST(tls_bench_knobs, untrusted_certificate_needs_the_knob)
{
	struct pem pem;
	struct tls_server_config *scfg = server_cfg(TLS_KEY_ECDSA_P256, &pem);

	cr_assert(eq(int, run_auth(scfg, &pem, AUTH_NONE, false), TLS_ALERT_UNKNOWN_CA));
	cr_assert(eq(int, run_auth(scfg, &pem, AUTH_NONE, true), TLS_ALERT_UNKNOWN_CA));
	cr_assert(eq(int, run_auth(scfg, &pem, AUTH_SKIP, false), TLS_ALERT_NONE));
	tls_server_config_free(scfg);
	pem_free(&pem);
}

/*
 * A server whose CertificateVerify signature does not verify under its certificate's key:
 * its signing key is swapped for another P-256 key after the certificate was loaded, so both
 * sides' transcripts agree and only the signature is wrong.
 */
HB_TEST(tls_bench_knobs, bad_signature_accepted_only_with_skip_auth)
{
	struct pem pem;
	struct tls_server_config *scfg = server_cfg(TLS_KEY_ECDSA_P256, &pem);
	EVP_PKEY *other = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");

	cr_assert(not(eq(ptr, other, NULL)));
	/* Before the swap the default clients accept the server: the swap is what they see. */
	cr_assert(eq(int, run_auth(scfg, &pem, AUTH_CA, false), TLS_ALERT_NONE));
	cr_assert(eq(int, run_auth(scfg, &pem, AUTH_INSECURE, false), TLS_ALERT_NONE));
	EVP_PKEY_free(scfg->cert.key);
	scfg->cert.key = other;
	cr_assert(eq(int, run_auth(scfg, &pem, AUTH_CA, false), TLS_ALERT_DECRYPT_ERROR));
	cr_assert(eq(int, run_auth(scfg, &pem, AUTH_INSECURE, false), TLS_ALERT_DECRYPT_ERROR));
	cr_assert(eq(int, run_auth(scfg, &pem, AUTH_INSECURE, true), TLS_ALERT_DECRYPT_ERROR));
	cr_assert(eq(int, run_auth(scfg, &pem, AUTH_SKIP, false), TLS_ALERT_NONE));
	cr_assert(eq(int, run_auth(scfg, &pem, AUTH_SKIP_AND_CA, true), TLS_ALERT_NONE));
	tls_server_config_free(scfg);
	pem_free(&pem);
}

/* ---- The server's flight altered on its way to the client ---- */

typedef void (*mutate_fn)(uint8_t *msg);

/* Offset of the message of type in a flight of handshake messages. */
static size_t
find_msg(const uint8_t *buf, size_t len, uint8_t type)
{
	size_t off = 0;

	while (off + 4 <= len && buf[off] != type)
		off += 4 + ((size_t)buf[off + 1] << 16 | (size_t)buf[off + 2] << 8 | buf[off + 3]);
	cr_assert(lt(sz, off + 4, len));
	return off;
}

/* The client's alert once the server's HANDSHAKE flight, with fn applied to the message of
 * type, reaches it. */
static int
altered_flight(enum auth auth, uint8_t type, mutate_fn fn)
{
	struct pem pem;
	struct tls_server_config *scfg = server_cfg(TLS_KEY_ECDSA_P256, &pem);
	struct tls_client_config *ccfg = knob_cfg(&pem, auth, true);
	uint8_t buf[8192];
	const uint8_t *d;
	size_t len = 0;
	bool moved = false;
	struct pair p;
	int alert;

	pair_init(&p, ccfg, scfg, PAIR_HOST);
	cr_assert(eq(int, tls_conn_start(p.cli.c, PAIR_NOW), 0));
	cr_assert(eq(int, pump(p.cli.c, p.srv.c, 0, PAIR_NOW, &moved), 0));
	d = tls_conn_pending(p.srv.c, TLS_LEVEL_INITIAL, &len);
	cr_assert(eq(int, tls_conn_recv(p.cli.c, TLS_LEVEL_INITIAL, d, len, PAIR_NOW), 0));
	d = tls_conn_pending(p.srv.c, TLS_LEVEL_HANDSHAKE, &len);
	cr_assert(le(sz, len, sizeof(buf)));
	memcpy(buf, d, len);
	fn(buf + find_msg(buf, len, type));
	cr_assert(eq(int, tls_conn_recv(p.cli.c, TLS_LEVEL_HANDSHAKE, buf, len, PAIR_NOW),
		     TLS_ERR_ALERT));
	cr_assert(not(tls_conn_handshake_done(p.cli.c)));
	alert = tls_conn_alert(p.cli.c);
	pair_free(&p);
	tls_client_config_free(ccfg);
	tls_server_config_free(scfg);
	pem_free(&pem);
	return alert;
}

/* Add delta to the n-byte big-endian length at p. */
static void
len_add(uint8_t *p, size_t n, int delta)
{
	uint32_t v = 0;
	size_t i;

	for (i = 0; i < n; i++)
		v = v << 8 | p[i];
	v += (uint32_t)delta;
	for (i = n; i-- > 0; v >>= 8)
		p[i] = (uint8_t)v;
}

/* Certificate body: context<0..255> (empty: 1 byte), certificate_list<0..2^24-1> of entries
 * cert_data<1..2^24-1>, extensions<0..2^16-1>. */
static void
cert_list_short(uint8_t *msg)
{
	len_add(msg + 4 + 1, 3, -1); /* the list claims one byte less than the message holds */
}

static void
cert_entry_long(uint8_t *msg)
{
	len_add(msg + 4 + 1 + 3, 3, 1); /* the first cert_data runs past the list */
}

/* CertificateVerify body: SignatureScheme, signature<1..2^16-1>. */
static void
cv_sig_long(uint8_t *msg)
{
	len_add(msg + 4 + 2, 2, 1);
}

static void
cv_scheme_not_offered(uint8_t *msg)
{
	msg[4] = 0x04; /* rsa_pkcs1_sha256 (0x0401): never offered in TLS 1.3 */
	msg[5] = 0x01;
}

static void
cv_sig_flip(uint8_t *msg)
{
	size_t len = (size_t)msg[1] << 16 | (size_t)msg[2] << 8 | msg[3];

	msg[4 + len - 3] ^= 0x01;
}

HB_TEST(tls_bench_knobs, malformed_certificate_refused_with_skip_auth)
{
	static const enum auth auths[] = {AUTH_SKIP, AUTH_CA, AUTH_INSECURE};
	size_t i;

	/* The same alerts with and without the knob: parsing does not depend on it. */
	for (i = 0; i < sizeof(auths) / sizeof(auths[0]); i++) {
		cr_assert(eq(int, altered_flight(auths[i], TLS_HS_CERTIFICATE, cert_list_short),
			     TLS_ALERT_DECODE_ERROR));
		cr_assert(eq(int, altered_flight(auths[i], TLS_HS_CERTIFICATE, cert_entry_long),
			     TLS_ALERT_DECODE_ERROR));
	}
}

HB_TEST(tls_bench_knobs, malformed_certificate_verify_refused_with_skip_auth)
{
	static const enum auth auths[] = {AUTH_SKIP, AUTH_CA, AUTH_INSECURE};
	size_t i;

	for (i = 0; i < sizeof(auths) / sizeof(auths[0]); i++) {
		cr_assert(eq(int, altered_flight(auths[i], TLS_HS_CERTIFICATE_VERIFY, cv_sig_long),
			     TLS_ALERT_DECODE_ERROR));
		/* RFC 9846 §4.5.2: a scheme we did not offer, illegal_parameter. */
		cr_assert(eq(
			int,
			altered_flight(auths[i], TLS_HS_CERTIFICATE_VERIFY, cv_scheme_not_offered),
			TLS_ALERT_ILLEGAL_PARAMETER));
	}
}

/*
 * A signature altered on the way: with the knob the signature is not checked, but the
 * CertificateVerify is in the transcript that the server's Finished covers (RFC 9846 §4.5.3),
 * so the client still refuses the flight; without the knob the signature check refuses it.
 */
HB_TEST(tls_bench_knobs, altered_signature_caught_by_finished)
{
	cr_assert(eq(int, altered_flight(AUTH_SKIP, TLS_HS_CERTIFICATE_VERIFY, cv_sig_flip),
		     TLS_ALERT_DECRYPT_ERROR));
	cr_assert(eq(int, altered_flight(AUTH_INSECURE, TLS_HS_CERTIFICATE_VERIFY, cv_sig_flip),
		     TLS_ALERT_DECRYPT_ERROR));
}
