/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TLS 1.3 key schedule (RFC 9846 §7.1) against RFC 8448, "Example Handshake Traces for
 * TLS 1.3": §3 "Simple 1-RTT Handshake" (X25519, TLS_AES_128_GCM_SHA256) and the PSK binder of
 * §4 "Resumed 0-RTT Handshake". Every value was also recomputed independently of this code
 * (Python hmac/hashlib, and `openssl kdf ... mode:EXTRACT_ONLY HKDF` for the early secret)
 * before being written here.
 */
#include <string.h>

#include "hb_test.h"
#include "tls_int.h"

TestSuite(tls_keysched);

/* RFC 8448 §3 inputs: the X25519 shared secret and the transcript hashes at each boundary. */
#define RFC8448_ECDHE	"8bd4054fb55b9d63fdfbacf9f04b9f0d35e6d63f537563efd46272900f89492d"
#define RFC8448_TH_SH	"860c06edc07858ee8e78f0e7428c58edd6b43f2ca3e6e95f02ed063cf0e1cad8"
#define RFC8448_TH_SFIN "9608102a0f1ccc6db6250b7b7e417b1a000eaada3daae4777a7686c9ff83df13"
#define RFC8448_TH_CFIN "209145a96ee8e2a122ff810047cc952684658d6049e86429426db87c54ad143d"

/* RFC 8448 §3 outputs. */
#define RFC8448_EARLY  "33ad0a1c607ec03b09e6cd9893680ce210adf300aa1f2660e1b22e10f170f92a"
#define RFC8448_HS     "1dc826e93606aa6fdc0aadc12f741b01046aa6b99f691ed221a9f0ca043fbeac"
#define RFC8448_C_HS   "b3eddb126e067f35a780b3abf45e2d8f3b1a950738f52e9600746a0e27a55a21"
#define RFC8448_S_HS   "b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38"
#define RFC8448_MASTER "18df06843d13a08bf2a449844c5f8a478001bc4d4c627984d5a41da8d0402919"
#define RFC8448_C_AP   "9e40646ce79a7f9dc05af8889bce6552875afa0b06df0087f792ebb7c17504a5"
#define RFC8448_S_AP   "a11af9f05531f856ad47116b45a950328204b4f44bfb6b3a4b4f1f3fcb631643"
#define RFC8448_RES    "7df235f2031d2a051287d02b0241b0bfdaf86cc856231f2d5aba46c434ec196c"
/* The ticket's PSK: HKDF-Expand-Label(res master, "resumption", nonce 0000, 32). */
#define RFC8448_PSK "4ecd0eb6ec3b4d87f5d6028f922ca4c5851a277fd41311c9e62d2c9492e1c4f3"

/* RFC 8448 §4: early secret from that PSK, and the binder over the truncated ClientHello. */
#define RFC8448_EARLY_PSK "9b2188e9b2fc6d64d71dc329900e20bb41915000f678aa839cbb797cb7d8332c"
#define RFC8448_BINDER_TH "63224b2e4573f2d3454ca84b9d009a04f6be9e05711a8396473aefa01e924a14"
#define RFC8448_BINDER	  "3add4fb2d8fdf822a0ca3cf7678ef5e88dae990141c5924d57bb6fa31b9e5f9d"

struct ks_fixture {
	struct tls_algs algs;
	struct crypto_ctx *ctx;
	const struct tls_hash *h;
};

static void
ks_init(struct ks_fixture *f)
{
	cr_assert(eq(int, tls_algs_init(&f->algs), 0));
	cr_assert(eq(int, crypto_ctx_new(&f->ctx, CRYPTO_ENGINE_EVP), 0));
	f->h = tls_suite_hash(&f->algs, CRYPTO_SUITE_AES_128_GCM_SHA256);
	cr_assert(eq(sz, f->h->len, 32));
}

static void
ks_fini(struct ks_fixture *f)
{
	crypto_ctx_free(f->ctx);
	tls_algs_free(&f->algs);
}

static void
assert_hex(const uint8_t *got, const char *hex)
{
	uint8_t want[64];
	size_t n = hb_hex(hex, want, sizeof(want));

	cr_assert(eq(sz, n, 32));
	cr_assert(eq(int, memcmp(got, want, n), 0), "expected %s", hex);
}

HB_TEST(tls_keysched, rfc8448_s3_simple_1rtt)
{
	struct ks_fixture f;
	uint8_t ecdhe[32], th[32], early[32], hs[32], out[32], master[32], res[32];

	ks_init(&f);
	/* Early Secret = HKDF-Extract(0, 0): no PSK. */
	cr_assert(eq(int, tls_ks_extract(f.ctx, f.h, NULL, NULL, 0, early), 0));
	assert_hex(early, RFC8448_EARLY);
	/* Handshake Secret = HKDF-Extract(Derive-Secret(early, "derived", ""), ECDHE). */
	hb_hex(RFC8448_ECDHE, ecdhe, sizeof(ecdhe));
	cr_assert(eq(int, tls_ks_extract(f.ctx, f.h, early, ecdhe, sizeof(ecdhe), hs), 0));
	assert_hex(hs, RFC8448_HS);
	hb_hex(RFC8448_TH_SH, th, sizeof(th));
	cr_assert(eq(int, tls_ks_derive(f.ctx, f.h, hs, "c hs traffic", th, out), 0));
	assert_hex(out, RFC8448_C_HS);
	cr_assert(eq(int, tls_ks_derive(f.ctx, f.h, hs, "s hs traffic", th, out), 0));
	assert_hex(out, RFC8448_S_HS);
	/* Master Secret = HKDF-Extract(Derive-Secret(hs, "derived", ""), 0). */
	cr_assert(eq(int, tls_ks_extract(f.ctx, f.h, hs, NULL, 0, master), 0));
	assert_hex(master, RFC8448_MASTER);
	hb_hex(RFC8448_TH_SFIN, th, sizeof(th));
	cr_assert(eq(int, tls_ks_derive(f.ctx, f.h, master, "c ap traffic", th, out), 0));
	assert_hex(out, RFC8448_C_AP);
	cr_assert(eq(int, tls_ks_derive(f.ctx, f.h, master, "s ap traffic", th, out), 0));
	assert_hex(out, RFC8448_S_AP);
	hb_hex(RFC8448_TH_CFIN, th, sizeof(th));
	cr_assert(eq(int, tls_ks_derive(f.ctx, f.h, master, "res master", th, res), 0));
	assert_hex(res, RFC8448_RES);
	cr_assert(eq(int, tls_ks_resumption_psk(f.ctx, f.h, res, (const uint8_t *)"\0\0", 2, out),
		     0));
	assert_hex(out, RFC8448_PSK);
	ks_fini(&f);
}

/* A secret taken at the wrong transcript boundary must not match (RFC 9846 §7.1 ranges). */
HB_TEST(tls_keysched, wrong_boundary_differs)
{
	struct ks_fixture f;
	uint8_t th[32], master[32], hs[32], ecdhe[32], early[32], out[32], want[32];

	ks_init(&f);
	hb_hex(RFC8448_ECDHE, ecdhe, sizeof(ecdhe));
	cr_assert(eq(int, tls_ks_extract(f.ctx, f.h, NULL, NULL, 0, early), 0));
	cr_assert(eq(int, tls_ks_extract(f.ctx, f.h, early, ecdhe, sizeof(ecdhe), hs), 0));
	cr_assert(eq(int, tls_ks_extract(f.ctx, f.h, hs, NULL, 0, master), 0));
	hb_hex(RFC8448_TH_CFIN, th, sizeof(th));
	cr_assert(eq(int, tls_ks_derive(f.ctx, f.h, master, "c ap traffic", th, out), 0));
	hb_hex(RFC8448_C_AP, want, sizeof(want));
	cr_assert(ne(int, memcmp(out, want, 32), 0));
	ks_fini(&f);
}

/* RFC 8448 §4: the resumed ClientHello, binder included (512 bytes). */
static const char rfc8448_resumed_ch[] =
	"010001fc03031bc3ceb6bbe39cff938355b5a50adb6db21b7a6af649d7b4bc419d7876487d950000"
	"06130113031302010001cd0000000b0009000006736572766572ff01000100000a00140012001d00"
	"170018001901000101010201030104003300260024001d0020e4ffb68ac05f8d96c99da26698346c"
	"6be16482badddafe051a66b4f18d668f0b002a0000002b0003020304000d0020001e040305030603"
	"020308040805080604010501060102010402050206020202002d00020101001c0002400100150057"
	"00000000000000000000000000000000000000000000000000000000000000000000000000000000"
	"00000000000000000000000000000000000000000000000000000000000000000000000000000000"
	"00000000000000002900dd00b800b22c035d829359ee5ff7af4ec900000000262a6494dc486d2c8a"
	"34cb33fa90bf1b0070ad3c498883c9367c09a2be785abc55cd226097a3a982117283f82a03a143ef"
	"d3ff5dd36d64e861be7fd61d2827db279cce145077d454a3664d4e6da4d29ee03725a6a4dafcd0fc"
	"67d2aea70529513e3da2677fa5906c5b3f7d8f92f228bda40dda721470f9fbf297b5aea617646fac"
	"5c03272e970727c621a79141ef5f7de6505e5bfbc388e93343694093934ae4d357fad6aacb002120"
	"3add4fb2d8fdf822a0ca3cf7678ef5e88dae990141c5924d57bb6fa31b9e5f9d";

HB_TEST(tls_keysched, rfc8448_s4_psk_binder)
{
	struct ks_fixture f;
	uint8_t ch[600], psk[32], early[32], th[32], binder[32];
	struct tls_ch dec;
	size_t n;

	ks_init(&f);
	n = hb_hex(rfc8448_resumed_ch, ch, sizeof(ch));
	cr_assert(eq(sz, n, 512));
	/* The codec finds the binders where the trace truncates: 477 bytes in. */
	cr_assert(eq(int, tls_ch_decode(&dec, ch, n), 0));
	cr_assert(eq(sz, dec.binders_off, 477));
	hb_hex(RFC8448_PSK, psk, sizeof(psk));
	cr_assert(eq(int, tls_ks_extract(f.ctx, f.h, NULL, psk, sizeof(psk), early), 0));
	assert_hex(early, RFC8448_EARLY_PSK);
	cr_assert(eq(int, tls_hash_once(f.h, ch, dec.binders_off, th), 0));
	assert_hex(th, RFC8448_BINDER_TH);
	cr_assert(eq(int, tls_ks_binder(f.ctx, f.h, early, th, binder), 0));
	assert_hex(binder, RFC8448_BINDER);
	/* ... which is what the trace put on the wire at the end of the message. */
	cr_assert(eq(int, memcmp(binder, ch + n - 32, 32), 0));
	ks_fini(&f);
}

/* The transcript: snapshots do not disturb the running hash; message_hash per §4.1. */
HB_TEST(tls_keysched, transcript_snapshots_and_message_hash)
{
	struct ks_fixture f;
	struct tls_transcript t;
	uint8_t a[32], b[32], one[32], ch1[8] = {1, 0, 0, 4, 9, 9, 9, 9};
	uint8_t mh[4 + 32];

	ks_init(&f);
	memset(&t, 0, sizeof(t));
	cr_assert(eq(int, tls_transcript_init(&t, f.h), 0));
	cr_assert(eq(int, tls_transcript_add(&t, (const uint8_t *)"abc", 3), 0));
	cr_assert(eq(int, tls_transcript_hash(&t, a), 0));
	cr_assert(eq(int, tls_transcript_hash_with(&t, (const uint8_t *)"def", 3, b), 0));
	cr_assert(eq(int, tls_transcript_add(&t, (const uint8_t *)"def", 3), 0));
	cr_assert(eq(int, tls_hash_once(f.h, (const uint8_t *)"abcdef", 6, one), 0));
	cr_assert(eq(int, memcmp(b, one, 32), 0));
	cr_assert(eq(int, tls_transcript_hash(&t, a), 0));
	cr_assert(eq(int, memcmp(a, one, 32), 0));
	/* message_hash = 254 00 00 20 || Hash(ClientHello1) */
	cr_assert(eq(int, tls_transcript_init(&t, f.h), 0));
	cr_assert(eq(int, tls_transcript_message_hash(&t, ch1, sizeof(ch1)), 0));
	mh[0] = 254;
	mh[1] = 0;
	mh[2] = 0;
	mh[3] = 32;
	cr_assert(eq(int, tls_hash_once(f.h, ch1, sizeof(ch1), mh + 4), 0));
	cr_assert(eq(int, tls_hash_once(f.h, mh, sizeof(mh), one), 0));
	cr_assert(eq(int, tls_transcript_hash(&t, a), 0));
	cr_assert(eq(int, memcmp(a, one, 32), 0));
	tls_transcript_free(&t);
	ks_fini(&f);
}

/*
 * The transcript over many messages of odd sizes (block boundaries crossed at every offset),
 * SHA-256 and SHA-384: each snapshot equals a one-shot EVP digest of everything added so far,
 * and taking it leaves the running hash untouched.
 */
HB_TEST(tls_keysched, transcript_matches_evp_both_hashes)
{
	static const enum crypto_suite suites[] = {CRYPTO_SUITE_AES_128_GCM_SHA256,
						   CRYPTO_SUITE_AES_256_GCM_SHA384};
	struct ks_fixture f;
	uint8_t all[2100], got[TLS_MAX_HASH], want[TLS_MAX_HASH];

	ks_init(&f);
	for (size_t i = 0; i < sizeof(all); i++)
		all[i] = (uint8_t)(i * 7 + 3);
	for (size_t s = 0; s < 2; s++) {
		const struct tls_hash *h = tls_suite_hash(&f.algs, suites[s]);
		struct tls_transcript t;
		size_t off = 0, step = 1;

		memset(&t, 0, sizeof(t));
		cr_assert(eq(int, tls_transcript_hash(&t, got), CRYPTO_ERR_LIB)); /* not started */
		cr_assert(eq(int, tls_transcript_init(&t, h), 0));
		while (off + step <= sizeof(all)) {
			cr_assert(eq(int, tls_transcript_add(&t, all + off, step), 0));
			off += step;
			step = step * 3 % 251 + 1;
			cr_assert(eq(int, tls_transcript_hash(&t, got), 0));
			cr_assert(eq(int, tls_hash_once(h, all, off, want), 0));
			cr_assert(eq(int, memcmp(got, want, h->len), 0));
		}
		cr_assert(gt(sz, off, 1500));
		tls_transcript_free(&t);
	}
	ks_fini(&f);
}

/* SHA-384 suites run the same schedule with 48-byte secrets. */
HB_TEST(tls_keysched, sha384_lengths)
{
	struct ks_fixture f;
	const struct tls_hash *h;
	uint8_t early[48], fin[48], th[48];

	ks_init(&f);
	h = tls_suite_hash(&f.algs, CRYPTO_SUITE_AES_256_GCM_SHA384);
	cr_assert(eq(sz, h->len, 48));
	cr_assert(eq(int, tls_ks_extract(f.ctx, h, NULL, NULL, 0, early), 0));
	memset(th, 7, sizeof(th));
	cr_assert(eq(int, tls_ks_finished(f.ctx, h, early, th, fin), 0));
	ks_fini(&f);
}

/*
 * Without a PSK the Early Secret and its "derived" salt are constants made at init
 * (keysched.c): for both hashes they equal HKDF-Extract(0, 0) and Derive-Secret computed the
 * generic way, and a Handshake Secret from them equals one from the generic salt.
 */
HB_TEST(tls_keysched, no_psk_constants_match_generic_path)
{
	struct ks_fixture f;
	uint8_t zeros[48] = {0}, ikm[48], early[48], generic[48], salt[48], hs[48], want[48];

	ks_init(&f);
	memset(ikm, 0xa5, sizeof(ikm));
	for (int i = 0; i < 2; i++) {
		const struct tls_hash *h = &f.algs.hash[i];

		cr_assert(eq(int, tls_ks_extract(f.ctx, h, NULL, NULL, 0, early), 0));
		cr_assert(eq(int, crypto_hkdf_extract(f.ctx, h->id, zeros, h->len, zeros, h->len,
						      generic),
			     0));
		cr_assert(eq(int, memcmp(early, generic, h->len), 0), "early, hash %d", i);
		cr_assert(eq(int, tls_ks_derive(f.ctx, h, generic, "derived", h->empty, salt), 0));
		cr_assert(eq(int, memcmp(salt, h->derived0, h->len), 0), "derived, hash %d", i);
		cr_assert(eq(int, tls_ks_extract(f.ctx, h, early, ikm, h->len, hs), 0));
		cr_assert(eq(int, crypto_hkdf_extract(f.ctx, h->id, salt, h->len, ikm, h->len, want),
			     0));
		cr_assert(eq(int, memcmp(hs, want, h->len), 0), "handshake secret, hash %d", i);
		/* Any other previous secret still derives its salt. */
		early[0] ^= 1;
		cr_assert(eq(int, tls_ks_extract(f.ctx, h, early, ikm, h->len, hs), 0));
		cr_assert(not(eq(int, memcmp(hs, want, h->len), 0)));
	}
	ks_fini(&f);
}
