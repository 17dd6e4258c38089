/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Interoperation with an independent TLS 1.3 implementation: OpenSSL's libssl, driven through
 * memory BIOs, with quic_transport_parameters added as a libssl custom extension and
 * middlebox compatibility mode off (RFC 9001 §8.2, §8.4). A small TLS record layer
 * (RFC 9846 §5) carries the engine's per-level handshake bytes; its keys come from the
 * engine's secrets through libcrypto's own HKDF, not through the engine's code.
 *
 * Both roles, every certificate type, every suite (client side), HelloRetryRequest and PSK
 * resumption, including a resumption after HelloRetryRequest (binder over message_hash).
 */
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include "tls_pair.h"

TestSuite(tls_interop);

#define IO_HOST PAIR_HOST

/* Record protection keys of one direction at one level. */
struct rl_keys {
	bool have;
	enum crypto_suite suite;
	uint8_t key[32];
	uint8_t iv[12];
	uint64_t seq;
};

struct io_side {
	struct tls_conn *c;
	struct rl_keys rd[TLS_LEVEL_COUNT];
	struct rl_keys wr[TLS_LEVEL_COUNT];
	int rd_level; /* level of the records currently read */
	uint8_t *session;
	size_t session_len;
};

static void
expand_label(enum crypto_suite s, const uint8_t *secret, size_t slen, const char *label,
	     uint8_t *out, size_t olen)
{
	EVP_PKEY_CTX *p = EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, NULL);
	uint8_t info[64];
	size_t n = 0, ll = strlen(label);

	/* HkdfLabel (RFC 9846 §7.1): length, "tls13 " label, empty context. */
	info[n++] = (uint8_t)(olen >> 8);
	info[n++] = (uint8_t)olen;
	info[n++] = (uint8_t)(6 + ll);
	memcpy(info + n, "tls13 ", 6);
	memcpy(info + n + 6, label, ll);
	n += 6 + ll;
	info[n++] = 0;
	cr_assert(not(eq(ptr, p, NULL)));
	cr_assert(eq(int, EVP_PKEY_derive_init(p), 1));
	cr_assert(eq(int, EVP_PKEY_CTX_set_hkdf_mode(p, EVP_PKEY_HKDEF_MODE_EXPAND_ONLY), 1));
	cr_assert(eq(int,
		     EVP_PKEY_CTX_set_hkdf_md(
			     p, s == CRYPTO_SUITE_AES_256_GCM_SHA384 ? EVP_sha384() : EVP_sha256()),
		     1));
	cr_assert(eq(int, EVP_PKEY_CTX_set1_hkdf_key(p, secret, (int)slen), 1));
	cr_assert(eq(int, EVP_PKEY_CTX_add1_hkdf_info(p, info, (int)n), 1));
	cr_assert(eq(int, EVP_PKEY_derive(p, out, &olen), 1));
	EVP_PKEY_CTX_free(p);
}

static int
io_secret(void *arg, enum tls_level level, enum tls_dir dir, enum crypto_suite suite,
	  const uint8_t *secret, size_t len)
{
	struct io_side *e = arg;
	struct rl_keys *k = dir == TLS_DIR_READ ? &e->rd[level] : &e->wr[level];

	k->have = true;
	k->suite = suite;
	k->seq = 0;
	expand_label(suite, secret, len, "key", k->key, crypto_suite_key_len(suite));
	expand_label(suite, secret, len, "iv", k->iv, 12);
	if (dir == TLS_DIR_READ && level != TLS_LEVEL_EARLY)
		e->rd_level = level;
	return 0;
}

static void
io_session(void *arg, const uint8_t *blob, size_t len)
{
	struct io_side *e = arg;

	free(e->session);
	e->session = malloc(len);
	cr_assert(not(eq(ptr, e->session, NULL)));
	memcpy(e->session, blob, len);
	e->session_len = len;
}

static const EVP_CIPHER *
cipher_of(enum crypto_suite s)
{
	if (s == CRYPTO_SUITE_AES_128_GCM_SHA256)
		return EVP_aes_128_gcm();
	if (s == CRYPTO_SUITE_AES_256_GCM_SHA384)
		return EVP_aes_256_gcm();
	return EVP_chacha20_poly1305();
}

/* Seal or open one record body in place; the 5-byte record header is the AAD. */
static bool
rl_aead(struct rl_keys *k, int enc, const uint8_t *hdr, uint8_t *buf, size_t len, uint8_t *tag)
{
	EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
	uint8_t nonce[12];
	int n = 0, i;
	bool ok;

	memcpy(nonce, k->iv, 12);
	for (i = 0; i < 8; i++)
		nonce[11 - i] ^= (uint8_t)(k->seq >> (8 * i));
	k->seq++;
	ok = EVP_CipherInit_ex(x, cipher_of(k->suite), NULL, k->key, nonce, enc) == 1 &&
	     EVP_CipherUpdate(x, NULL, &n, hdr, 5) == 1 &&
	     EVP_CipherUpdate(x, buf, &n, buf, (int)len) == 1;
	if (ok && !enc)
		ok = EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_SET_TAG, 16, tag) == 1;
	ok = ok && EVP_CipherFinal_ex(x, buf + n, &n) == 1;
	if (ok && enc)
		ok = EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_GET_TAG, 16, tag) == 1;
	EVP_CIPHER_CTX_free(x);
	return ok;
}

/* One record of the engine's bytes at level into bio. */
static void
rl_write(struct io_side *e, int lv, const uint8_t *d, size_t n, BIO *bio)
{
	uint8_t rec[5 + 16384 + 1 + 16];
	size_t inner = n + 1, total;

	rec[1] = 3;
	rec[2] = 3;
	if (lv == TLS_LEVEL_INITIAL) {
		rec[0] = 22;
		rec[3] = (uint8_t)(n >> 8);
		rec[4] = (uint8_t)n;
		memcpy(rec + 5, d, n);
		total = 5 + n;
	} else {
		cr_assert(e->wr[lv].have);
		rec[0] = 23;
		rec[3] = (uint8_t)((inner + 16) >> 8);
		rec[4] = (uint8_t)(inner + 16);
		memcpy(rec + 5, d, n);
		rec[5 + n] = 22; /* TLSInnerPlaintext content type: handshake */
		cr_assert(rl_aead(&e->wr[lv], 1, rec, rec + 5, inner, rec + 5 + inner));
		total = 5 + inner + 16;
	}
	cr_assert(eq(int, BIO_write(bio, rec, (int)total), (int)total));
}

/* Everything the engine has to send, as records, into bio. */
static void
eng_to_bio(struct io_side *e, BIO *bio)
{
	int lv;

	for (lv = 0; lv < TLS_LEVEL_COUNT; lv++) {
		size_t len = 0;
		const uint8_t *d = tls_conn_pending(e->c, (enum tls_level)lv, &len);

		while (len > 0) {
			size_t n = len > 16000 ? 16000 : len;

			rl_write(e, lv, d, n, bio);
			tls_conn_consume(e->c, (enum tls_level)lv, n);
			d = tls_conn_pending(e->c, (enum tls_level)lv, &len);
		}
	}
}

/* Records from bio into the engine. @return the first tls_conn_recv() error */
static int
bio_to_eng(struct io_side *e, BIO *bio, uint64_t now)
{
	static uint8_t buf[65536];
	int got = BIO_read(bio, buf, sizeof(buf));
	size_t off = 0, len = got > 0 ? (size_t)got : 0;

	while (off + 5 <= len) {
		size_t rl = (size_t)buf[off + 3] << 8 | buf[off + 4], n;
		uint8_t *body = buf + off + 5;
		int rc = 0;

		cr_assert(le(sz, off + 5 + rl, len));
		cr_assert(ne(int, buf[off], 21), "libssl sent alert %d", body[1]);
		if (buf[off] == 22)
			rc = tls_conn_recv(e->c, TLS_LEVEL_INITIAL, body, rl, now);
		if (buf[off] == 23) {
			n = rl - 16;
			cr_assert(e->rd[e->rd_level].have);
			cr_assert(rl_aead(&e->rd[e->rd_level], 0, buf + off, body, n, body + n));
			while (n > 0 && body[n - 1] == 0)
				n--;
			cr_assert(eq(int, body[n - 1], 22));
			rc = tls_conn_recv(e->c, (enum tls_level)e->rd_level, body, n - 1, now);
		}
		if (rc != 0)
			return rc;
		off += 5 + rl;
	}
	return 0;
}

/* quic_transport_parameters for libssl, as a custom extension. */
static const uint8_t ossl_tp[] = {0x04, 0x04, 0x80, 0x10, 0x00, 0x00};
static uint8_t seen_tp[64];
static size_t seen_tp_len;

static int
tp_add(SSL *s, unsigned int type, unsigned int context, const unsigned char **out, size_t *len,
       X509 *x, size_t idx, int *al, void *arg)
{
	(void)s, (void)type, (void)context, (void)x, (void)idx, (void)al, (void)arg;
	*out = ossl_tp;
	*len = sizeof(ossl_tp);
	return 1;
}

static int
tp_parse(SSL *s, unsigned int type, unsigned int context, const unsigned char *in, size_t len,
	 X509 *x, size_t idx, int *al, void *arg)
{
	(void)s, (void)type, (void)context, (void)x, (void)idx, (void)al, (void)arg;
	seen_tp_len = len < sizeof(seen_tp) ? len : sizeof(seen_tp);
	memcpy(seen_tp, in, seen_tp_len);
	return 1;
}

static int
alpn_select(SSL *s, const unsigned char **out, unsigned char *outlen, const unsigned char *in,
	    unsigned int inlen, void *arg)
{
	static unsigned char h3[] = "\x02h3";
	unsigned char *sel = NULL;

	(void)s, (void)arg;
	if (SSL_select_next_proto(&sel, outlen, h3, 3, in, inlen) != OPENSSL_NPN_NEGOTIATED)
		return SSL_TLSEXT_ERR_ALERT_FATAL;
	*out = sel;
	return SSL_TLSEXT_ERR_OK;
}

static SSL_CTX *
ossl_ctx(bool server, const struct pem *pem, const char *groups)
{
	SSL_CTX *x = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
	unsigned int where = SSL_EXT_CLIENT_HELLO | SSL_EXT_TLS1_3_ENCRYPTED_EXTENSIONS;
	BIO *b = BIO_new_mem_buf(pem->cert, -1);
	X509 *cert = PEM_read_bio_X509(b, NULL, NULL, NULL);

	cr_assert(not(eq(ptr, x, NULL)));
	cr_assert(not(eq(ptr, cert, NULL)));
	cr_assert(eq(int, SSL_CTX_set_min_proto_version(x, TLS1_3_VERSION), 1));
	SSL_CTX_clear_options(x, SSL_OP_ENABLE_MIDDLEBOX_COMPAT);
	cr_assert(eq(int,
		     SSL_CTX_add_custom_ext(x, 0x39, where, tp_add, NULL, NULL, tp_parse, NULL),
		     1));
	if (groups != NULL) {
		/* The libssl macro casts its argument to a non-const pointer: pass a copy. */
		char list[64];

		snprintf(list, sizeof(list), "%s", groups);
		cr_assert(eq(int, SSL_CTX_set1_groups_list(x, list), 1));
	}
	if (server) {
		BIO *kb = BIO_new_mem_buf(pem->key, -1);
		EVP_PKEY *key = PEM_read_bio_PrivateKey(kb, NULL, NULL, NULL);

		cr_assert(eq(int, SSL_CTX_use_certificate(x, cert), 1));
		cr_assert(eq(int, SSL_CTX_use_PrivateKey(x, key), 1));
		SSL_CTX_set_alpn_select_cb(x, alpn_select, NULL);
		EVP_PKEY_free(key);
		BIO_free(kb);
	} else {
		cr_assert(eq(int, X509_STORE_add_cert(SSL_CTX_get_cert_store(x), cert), 1));
		SSL_CTX_set_verify(x, SSL_VERIFY_PEER, NULL);
		cr_assert(
			eq(int, SSL_CTX_set_alpn_protos(x, (const unsigned char *)"\x02h3", 3), 0));
	}
	X509_free(cert);
	BIO_free(b);
	return x;
}

static SSL *
ossl_ssl(SSL_CTX *x, bool server, BIO **rb, BIO **wb)
{
	SSL *s = SSL_new(x);

	*rb = BIO_new(BIO_s_mem());
	*wb = BIO_new(BIO_s_mem());
	SSL_set_bio(s, *rb, *wb);
	if (server) {
		SSL_set_accept_state(s);
	} else {
		SSL_set_connect_state(s);
		char host[] = IO_HOST; /* the libssl macro casts away const */

		cr_assert(eq(int, SSL_set_tlsext_host_name(s, host), 1));
		cr_assert(eq(int, SSL_set1_host(s, IO_HOST), 1));
	}
	return s;
}

static void
ossl_step(SSL *s)
{
	int r = SSL_do_handshake(s);

	if (r != 1)
		cr_assert(eq(int, SSL_get_error(s, r), SSL_ERROR_WANT_READ), "libssl failed: %lu",
			  ERR_peek_error());
}

/* Our client against a libssl server; with a session blob, a resumption. */
static void
our_client_once(SSL_CTX *sx, struct tls_client_config *cc, struct io_side *e,
		const uint8_t *session, size_t session_len)
{
	struct tls_callbacks cb = {.secret = io_secret, .session = io_session, .arg = e};
	static const uint8_t tp[] = {0x01, 0x02, 0x40, 0x64};
	struct crypto_ctx *ctx = NULL;
	BIO *rb, *wb;
	SSL *s = ossl_ssl(sx, true, &rb, &wb);
	const uint8_t *got;
	size_t got_len;
	int i;

	cr_assert(eq(int, crypto_ctx_new(&ctx, CRYPTO_ENGINE_EVP), 0));
	cr_assert(eq(int, tls_conn_new_client(&e->c, cc, ctx, IO_HOST, tp, sizeof(tp), &cb), 0));
	if (session != NULL)
		cr_assert(eq(int, tls_conn_set_session(e->c, session, session_len, PAIR_NOW), 0));
	cr_assert(eq(int, tls_conn_start(e->c, PAIR_NOW), 0));
	for (i = 0; i < 6; i++) {
		eng_to_bio(e, rb);
		ossl_step(s);
		cr_assert(eq(int, bio_to_eng(e, wb, PAIR_NOW), 0));
	}
	cr_assert(tls_conn_handshake_done(e->c));
	cr_assert(eq(int, SSL_is_init_finished(s), 1));
	cr_assert(eq(int, str_cmp(SSL_get_cipher(s), crypto_suite_name(tls_conn_suite(e->c))), 0));
	cr_assert(eq(sz, seen_tp_len, sizeof(tp)));
	cr_assert(eq(int, memcmp(seen_tp, tp, sizeof(tp)), 0));
	got = tls_conn_peer_tparams(e->c, &got_len);
	cr_assert(eq(sz, got_len, sizeof(ossl_tp)));
	cr_assert(eq(int, memcmp(got, ossl_tp, got_len), 0));
	cr_assert(eq(int, tls_conn_resumed(e->c), session != NULL));
	cr_assert(eq(int, SSL_session_reused(s), session != NULL));
	/* libssl's NewSessionTicket became a session blob. */
	cr_assert(not(eq(ptr, e->session, NULL)));
	tls_conn_free(e->c);
	e->c = NULL;
	crypto_ctx_free(ctx);
	SSL_free(s);
}

static void
our_client(const struct pem *pem, enum crypto_suite suite, const char *groups)
{
	struct io_side first, second;
	struct tls_client_config *cc;
	SSL_CTX *sx;

	memset(&first, 0, sizeof(first));
	memset(&second, 0, sizeof(second));
	sx = ossl_ctx(true, pem, groups);
	cc = client_cfg(pem);
	cr_assert(eq(int, tls_client_config_set_suites(cc, &suite, 1), 0));
	our_client_once(sx, cc, &first, NULL, 0);
	our_client_once(sx, cc, &second, first.session, first.session_len);
	free(first.session);
	free(second.session);
	tls_client_config_free(cc);
	SSL_CTX_free(sx);
}

static void
our_client_all_suites(enum tls_key_type kt)
{
	static const enum crypto_suite suites[] = {CRYPTO_SUITE_AES_128_GCM_SHA256,
						   CRYPTO_SUITE_AES_256_GCM_SHA384,
						   CRYPTO_SUITE_CHACHA20_POLY1305_SHA256};
	struct pem pem;
	size_t i;

	pem_gen(&pem, kt, IO_HOST, false, NULL);
	for (i = 0; i < 3; i++)
		our_client(&pem, suites[i], NULL);
	pem_free(&pem);
}

HB_TEST(tls_interop, our_client_ecdsa)
{
	our_client_all_suites(TLS_KEY_ECDSA_P256);
}

HB_TEST(tls_interop, our_client_ed25519)
{
	our_client_all_suites(TLS_KEY_ED25519);
}

HB_TEST(tls_interop, our_client_rsa_pss, .timeout = 60)
{
	our_client_all_suites(TLS_KEY_RSA_2048);
}

/* libssl's server wants a P-256 share; ours goes out X25519 first: HelloRetryRequest. */
HB_TEST(tls_interop, our_client_hello_retry_request)
{
	struct pem pem;

	pem_gen(&pem, TLS_KEY_ECDSA_P256, IO_HOST, false, NULL);
	our_client(&pem, CRYPTO_SUITE_AES_256_GCM_SHA384, "P-256");
	pem_free(&pem);
}

/* A libssl client against our server; returns its session (resumption with prev). */
static SSL_SESSION *
our_server_once(struct tls_server_config *scfg, const struct pem *pem, SSL_SESSION *prev,
		const char *groups, bool want_hrr)
{
	struct io_side e;
	struct tls_callbacks cb = {.secret = io_secret, .arg = &e};
	static const uint8_t tp[] = {0x01, 0x02, 0x40, 0x64};
	struct crypto_ctx *ctx = NULL;
	SSL_CTX *cx = ossl_ctx(false, pem, groups);
	BIO *rb, *wb;
	SSL *s = ossl_ssl(cx, false, &rb, &wb);
	SSL_SESSION *out;
	const uint8_t *tp_got;
	size_t tp_len;
	char byte;
	int i;

	memset(&e, 0, sizeof(e));
	if (prev != NULL)
		cr_assert(eq(int, SSL_set_session(s, prev), 1));
	cr_assert(eq(int, crypto_ctx_new(&ctx, CRYPTO_ENGINE_EVP), 0));
	cr_assert(eq(int, tls_conn_new_server(&e.c, scfg, ctx, tp, sizeof(tp), &cb), 0));
	for (i = 0; i < 6; i++) {
		ossl_step(s);
		cr_assert(eq(int, bio_to_eng(&e, wb, PAIR_NOW), 0));
		eng_to_bio(&e, rb);
	}
	/* libssl reads our NewSessionTicket here. */
	cr_assert(eq(int, SSL_read(s, &byte, 1), -1));
	cr_assert(tls_conn_handshake_done(e.c));
	cr_assert(eq(int, SSL_is_init_finished(s), 1));
	cr_assert(eq(int, tls_conn_hrr(e.c), want_hrr));
	cr_assert(eq(int, tls_conn_resumed(e.c), prev != NULL));
	cr_assert(eq(int, SSL_session_reused(s), prev != NULL));
	/* libssl got our transport parameters, we got its own. */
	cr_assert(eq(sz, seen_tp_len, sizeof(tp)));
	cr_assert(eq(int, memcmp(seen_tp, tp, sizeof(tp)), 0));
	tp_got = tls_conn_peer_tparams(e.c, &tp_len);
	cr_assert(eq(sz, tp_len, sizeof(ossl_tp)));
	cr_assert(eq(int, memcmp(tp_got, ossl_tp, tp_len), 0));
	out = SSL_get1_session(s);
	cr_assert(eq(int, SSL_SESSION_is_resumable(out), 1));
	/* A session of a connection freed without shutdown is made unresumable by libssl. */
	SSL_set_shutdown(s, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
	tls_conn_free(e.c);
	crypto_ctx_free(ctx);
	SSL_free(s);
	SSL_CTX_free(cx);
	return out;
}

static void
our_server(enum tls_key_type kt)
{
	enum crypto_group x25519 = CRYPTO_GROUP_X25519;
	uint8_t tk[TLS_TICKET_KEY_LEN];
	struct tls_server_config *scfg;
	SSL_SESSION *s1, *s2;
	struct pem pem;

	memset(tk, 0x5c, sizeof(tk));
	scfg = server_cfg(kt, &pem);
	cr_assert(eq(int, tls_server_config_rotate_ticket_key(scfg, tk), 0));
	s1 = our_server_once(scfg, &pem, NULL, NULL, false);
	s2 = our_server_once(scfg, &pem, s1, NULL, false);
	SSL_SESSION_free(s2);
	/* libssl shares P-256 first; our server takes X25519 only: HRR, then HRR + PSK. */
	cr_assert(eq(int, tls_server_config_set_groups(scfg, &x25519, 1), 0));
	s2 = our_server_once(scfg, &pem, NULL, "P-256:X25519", true);
	SSL_SESSION_free(s2);
	s2 = our_server_once(scfg, &pem, s1, "P-256:X25519", true);
	SSL_SESSION_free(s2);
	SSL_SESSION_free(s1);
	tls_server_config_free(scfg);
	pem_free(&pem);
}

HB_TEST(tls_interop, our_server_ecdsa)
{
	our_server(TLS_KEY_ECDSA_P256);
}

HB_TEST(tls_interop, our_server_ed25519)
{
	our_server(TLS_KEY_ED25519);
}

HB_TEST(tls_interop, our_server_rsa_pss, .timeout = 60)
{
	our_server(TLS_KEY_RSA_2048);
}
