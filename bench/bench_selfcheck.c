/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Self-check of the crypto module through its public API, run before any figure is printed:
 * RFC 9001 Appendix A known answers on every engine, cross-engine agreement of seal output,
 * the bare ipsec-mb baseline against our engine, asymmetric round trips, and one complete
 * in-memory TLS 1.3 handshake per certificate type of the TLS section. A benchmark of a broken
 * engine measures nothing, so any failure stops the program.
 */
#include <stdlib.h>
#include <string.h>

#include <crypto/asym.h>
#include <crypto/baseline.h>

#include "bench.h"

/* RFC 9001 A.1: the client-chosen DCID and the Initial secrets and keys it gives. */
static const char a1_dcid[] = "8394c8f03e515708";
static const char a1_client_secret[] =
	"c00cf151ca5be075ed0ebfb5c80323c42d6b7db67881289af4008f1f6c357aea";
static const char a1_server_secret[] =
	"3c199828fd139efd216c155ad844cc81fb82fa8d7446fa7d78be803acdda951b";
static const char a1_client_key[] = "1f369613dd76d5467730efcbe3b1a22d";
static const char a1_client_iv[] = "fa044b2f42a3fd3b46fb255c";
static const char a1_client_hp[] = "9f50449e04a0e810283a1e9933adedd2";
static const char a1_server_key[] = "cf3a5331653c364c88f0f379b6067e37";
static const char a1_server_iv[] = "0ac1493ca1905853b0bba03e";
static const char a1_server_hp[] = "c206b8d9b9f0f37644430b490eeaa314";

/* RFC 9001 A.2: client Initial header-protection sample and mask. */
static const char a2_sample[] = "d1b1c98dd7689fb8ec11d242b123dc9b";
static const char a2_mask[] = "437b9aec36";

/* RFC 9001 A.3: server Initial, packet number 1, AES-128-GCM under the A.1 server keys. */
static const char a3_header[] = "c1000000010008f067a5502a4262b50040750001";
static const char a3_payload[] = "02000000000600405a020000560303eefce7f7b37ba1d1632e96677825ddf739"
				 "88cfc79825df566dc5430b9a045a1200130100002e00330024001d00209d3c94"
				 "0d89690b84d08a60993c144eca684d1081287c834d5311bcf32bb9da1a002b00"
				 "020304";
static const char a3_sealed[] = "5a482cd0991cd25b0aac406a5816b6394100f37a1c69797554780bb38cc5a99f"
				"5ede4cf73c3ec2493a1839b3dbcba3f6ea46c5b7684df3548e7ddeb9c3bf9c73"
				"cc3f3bded74b562bfb19fb84022f8ef4cdd93795d77d06edbb7aaf2f58891850"
				"abbdca3d20398c276456cbc42158407dd074ee";
static const char a3_sample[] = "2cd0991cd25b0aac406a5816b6394100";
static const char a3_mask[] = "2ec0d8356a";

/* RFC 9001 A.4: Retry pseudo-packet (ODCID length, ODCID, Retry without its tag) and tag. */
static const char a4_pseudo[] = "088394c8f03e515708ff000000010008f067a5502a4262b5746f6b656e";
static const char a4_tag[] = "04a265ba2eff4d829058fb3f0f2496ba";

/* RFC 9001 A.5: ChaCha20-Poly1305 short header packet. */
static const char a5_secret[] = "9ac312a7f877468ebe69422748ad00a15443f18203a07d6060f688f30f21632b";
static const char a5_key[] = "c6d98ff3441c3fe1b2182094f69caa2ed4b716b65488960a7a984979fb23e1c8";
static const char a5_iv[] = "e0459b3474bdd0e44a41c144";
static const char a5_hp[] = "25a282b9e82f06f21f488917a4fc8f1b73573685608597d0efcb076b0ab7a7a4";
static const uint64_t a5_pn = 654360564;
static const char a5_header[] = "4200bff4";
static const char a5_sealed[] = "655e5cd55c41f69080575d7999c25a5bfb";
static const char a5_sample[] = "5e5cd55c41f69080575d7999c25a5bfb";
static const char a5_mask[] = "aefefe7d03";

#define RT_LEN	1200 /* round-trip packet size */
#define KAT_MAX 160

/* Failure count and the engine the current checks run on. */
struct sc {
	unsigned fails;
	const char *engine;
};

size_t
bench_hex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = 0;
	int hi = -1;

	for (; *hex != '\0'; hex++) {
		int v;

		if (*hex == ' ' || *hex == '\n' || *hex == '\t')
			continue;
		if (*hex >= '0' && *hex <= '9')
			v = *hex - '0';
		else if (*hex >= 'a' && *hex <= 'f')
			v = *hex - 'a' + 10;
		else if (*hex >= 'A' && *hex <= 'F')
			v = *hex - 'A' + 10;
		else
			return 0;
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (n >= cap)
			return 0;
		out[n++] = (uint8_t)(hi << 4 | v);
		hi = -1;
	}
	return hi < 0 ? n : 0;
}

/* Decode a constant of this file; they are all well-formed and fit KAT_MAX. */
static size_t
unhex(const char *hex, uint8_t *out)
{
	return bench_hex(hex, out, KAT_MAX);
}

static void
fail(struct sc *s, const char *what, const char *detail)
{
	fprintf(stderr, "self-check: FAIL %s [%s]: %s\n", what, s->engine, detail);
	s->fails++;
}

static bool
sc_rc(struct sc *s, const char *what, int rc, int want)
{
	char detail[128];

	if (rc == want)
		return true;
	snprintf(detail, sizeof(detail), "returned %s (%d), expected %s", crypto_strerror(rc), rc,
		 want == 0 ? "success" : crypto_strerror(want));
	fail(s, what, detail);
	return false;
}

static void
to_hex(char *out, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
	out[2 * n] = '\0';
}

static bool
sc_bytes(struct sc *s, const char *what, const uint8_t *got, const uint8_t *want, size_t n)
{
	char g[2 * 24 + 1], w[2 * 24 + 1], detail[128];
	size_t show = n < 24 ? n : 24;

	if (memcmp(got, want, n) == 0)
		return true;
	to_hex(g, got, show);
	to_hex(w, want, show);
	snprintf(detail, sizeof(detail), "got %s%s want %s", g, n > show ? "..." : "", w);
	fail(s, what, detail);
	return false;
}

static bool
sc_hex(struct sc *s, const char *what, const uint8_t *got, const char *want_hex)
{
	uint8_t want[KAT_MAX];

	return sc_bytes(s, what, got, want, unhex(want_hex, want));
}

/* ---- RFC 9001 Appendix A on one engine ---- */

/* A.1 through both Initial paths (pre-keyed HMAC, OpenSSL's KDF), then both sides' keys. */
static void
sc_initial(struct sc *s, struct crypto_ctx *ctx)
{
	uint8_t dcid[8], cs[CRYPTO_INITIAL_SECRET_LEN], ss[CRYPTO_INITIAL_SECRET_LEN];
	struct crypto_quic_keys k;

	unhex(a1_dcid, dcid);
	if (sc_rc(s, "A.1 initial secrets (evp-kdf)",
		  crypto_quic_initial_secrets_kdf(ctx, CRYPTO_QUIC_V1, dcid, 8, cs, ss), 0)) {
		sc_hex(s, "A.1 client_initial_secret (evp-kdf)", cs, a1_client_secret);
		sc_hex(s, "A.1 server_initial_secret (evp-kdf)", ss, a1_server_secret);
	}
	if (!sc_rc(s, "A.1 initial secrets",
		   crypto_quic_initial_secrets(ctx, CRYPTO_QUIC_V1, dcid, 8, cs, ss), 0))
		return;
	sc_hex(s, "A.1 client_initial_secret", cs, a1_client_secret);
	sc_hex(s, "A.1 server_initial_secret", ss, a1_server_secret);
	if (sc_rc(s, "A.1 client keys",
		  crypto_quic_derive_keys(ctx, CRYPTO_QUIC_V1, CRYPTO_SUITE_AES_128_GCM_SHA256, cs,
					  sizeof(cs), &k),
		  0)) {
		sc_hex(s, "A.1 client key", k.key, a1_client_key);
		sc_hex(s, "A.1 client iv", k.iv, a1_client_iv);
		sc_hex(s, "A.1 client hp", k.hp, a1_client_hp);
	}
	if (sc_rc(s, "A.1 server keys",
		  crypto_quic_derive_keys(ctx, CRYPTO_QUIC_V1, CRYPTO_SUITE_AES_128_GCM_SHA256, ss,
					  sizeof(ss), &k),
		  0)) {
		sc_hex(s, "A.1 server key", k.key, a1_server_key);
		sc_hex(s, "A.1 server iv", k.iv, a1_server_iv);
		sc_hex(s, "A.1 server hp", k.hp, a1_server_hp);
	}
}

/* One mask through crypto_hp_mask and the same sample three times through the burst call. */
static void
sc_hp_one(struct sc *s, struct crypto_ctx *ctx, enum crypto_suite suite, const char *what,
	  const char *key_hex, const char *sample_hex, const char *mask_hex)
{
	uint8_t key[KAT_MAX], sample[KAT_MAX], mask[CRYPTO_HP_MASK_LEN];
	struct crypto_hp_op ops[3];
	struct crypto_hp *hp;
	unsigned i;
	int rc;

	unhex(key_hex, key);
	unhex(sample_hex, sample);
	rc = crypto_hp_new(&hp, ctx, suite, key);
	if (rc == CRYPTO_ERR_UNSUPPORTED) {
		printf("self-check: %s [%s]: not supported by the engine, skipped\n", what,
		       s->engine);
		return;
	}
	if (!sc_rc(s, what, rc, 0))
		return;
	if (sc_rc(s, what, crypto_hp_mask(hp, sample, mask), 0))
		sc_hex(s, what, mask, mask_hex);
	for (i = 0; i < 3; i++)
		ops[i] = (struct crypto_hp_op){.hp = hp, .sample = sample};
	if (sc_rc(s, what, crypto_hp_mask_burst(ops, 3), 0))
		for (i = 0; i < 3; i++)
			sc_hex(s, what, ops[i].mask, mask_hex);
	crypto_hp_free(hp);
}

static void
sc_hp(struct sc *s, struct crypto_ctx *ctx)
{
	sc_hp_one(s, ctx, CRYPTO_SUITE_AES_128_GCM_SHA256, "A.2 client hp mask", a1_client_hp,
		  a2_sample, a2_mask);
	sc_hp_one(s, ctx, CRYPTO_SUITE_AES_128_GCM_SHA256, "A.3 server hp mask", a1_server_hp,
		  a3_sample, a3_mask);
	sc_hp_one(s, ctx, CRYPTO_SUITE_CHACHA20_POLY1305_SHA256, "A.5 chacha20 hp mask", a5_hp,
		  a5_sample, a5_mask);
}

/*
 * Seal a known packet per packet and through the burst call, compare with the RFC, open it
 * back, and check that a flipped bit is refused.
 */
static void
sc_packet(struct sc *s, struct crypto_aead *aead, const char *what, uint64_t pn,
	  const char *aad_hex, const char *pt_hex, const char *sealed_hex)
{
	uint8_t aad[KAT_MAX], pt[KAT_MAX], buf[KAT_MAX + CRYPTO_TAG_LEN];
	uint8_t bbuf[KAT_MAX + CRYPTO_TAG_LEN];
	size_t aad_len = unhex(aad_hex, aad), len = unhex(pt_hex, pt);
	struct crypto_aead_op op = {
		.aead = aead, .pn = pn, .aad = aad, .aad_len = aad_len, .data = bbuf, .len = len};

	memcpy(buf, pt, len);
	memcpy(bbuf, pt, len);
	if (sc_rc(s, what, crypto_aead_seal(aead, pn, aad, aad_len, buf, len), 0))
		sc_hex(s, what, buf, sealed_hex);
	if (crypto_aead_seal_burst(&op, 1) != 1 || op.status != 0)
		sc_rc(s, "seal burst", op.status != 0 ? op.status : CRYPTO_ERR_LIB, 0);
	else
		sc_hex(s, "seal burst", bbuf, sealed_hex);
	if (sc_rc(s, what, crypto_aead_open(aead, pn, aad, aad_len, buf, len + CRYPTO_TAG_LEN), 0))
		sc_bytes(s, what, buf, pt, len);
	op.len = len + CRYPTO_TAG_LEN;
	if (crypto_aead_open_burst(&op, 1) != 1 || op.status != 0)
		sc_rc(s, "open burst", op.status != 0 ? op.status : CRYPTO_ERR_LIB, 0);
	else
		sc_bytes(s, "open burst", bbuf, pt, len);
	unhex(sealed_hex, buf);
	buf[len / 2] ^= 0x04;
	sc_rc(s, "open of a tampered packet",
	      crypto_aead_open(aead, pn, aad, aad_len, buf, len + CRYPTO_TAG_LEN), CRYPTO_ERR_AUTH);
}

/* A.3 with the A.1 server keys (AES-128-GCM). */
static void
sc_server_initial(struct sc *s, struct crypto_ctx *ctx)
{
	uint8_t key[16], iv[CRYPTO_IV_LEN];
	struct crypto_aead *aead;

	unhex(a1_server_key, key);
	unhex(a1_server_iv, iv);
	if (!sc_rc(s, "A.3 aead_new",
		   crypto_aead_new(&aead, ctx, CRYPTO_SUITE_AES_128_GCM_SHA256, key, iv), 0))
		return;
	sc_packet(s, aead, "A.3 server Initial seal", 1, a3_header, a3_payload, a3_sealed);
	crypto_aead_free(aead);
}

/* A.5: keys from the secret, then the one-byte PING packet (ChaCha20-Poly1305). */
static void
sc_chacha(struct sc *s, struct crypto_ctx *ctx)
{
	const enum crypto_suite suite = CRYPTO_SUITE_CHACHA20_POLY1305_SHA256;
	uint8_t secret[32];
	struct crypto_quic_keys k;
	struct crypto_aead *aead;
	int rc;

	unhex(a5_secret, secret);
	if (!sc_rc(s, "A.5 keys",
		   crypto_quic_derive_keys(ctx, CRYPTO_QUIC_V1, suite, secret, 32, &k), 0))
		return;
	sc_hex(s, "A.5 key", k.key, a5_key);
	sc_hex(s, "A.5 iv", k.iv, a5_iv);
	sc_hex(s, "A.5 hp", k.hp, a5_hp);
	rc = crypto_aead_new(&aead, ctx, suite, k.key, k.iv);
	if (rc == CRYPTO_ERR_UNSUPPORTED) {
		printf("self-check: A.5 chacha20poly1305 [%s]: not supported by the engine, "
		       "skipped\n",
		       s->engine);
		return;
	}
	if (!sc_rc(s, "A.5 aead_new", rc, 0))
		return;
	sc_packet(s, aead, "A.5 chacha20poly1305 seal", a5_pn, a5_header, "01", a5_sealed);
	crypto_aead_free(aead);
}

/* A.4: the Retry integrity tag, and its verification refusing a changed tag. */
static void
sc_retry(struct sc *s, struct crypto_ctx *ctx)
{
	uint8_t pseudo[KAT_MAX], tag[CRYPTO_TAG_LEN];
	size_t len = unhex(a4_pseudo, pseudo);

	if (!sc_rc(s, "A.4 retry tag", crypto_retry_tag(ctx, CRYPTO_QUIC_V1, pseudo, len, tag), 0))
		return;
	sc_hex(s, "A.4 retry tag", tag, a4_tag);
	sc_rc(s, "A.4 retry verify", crypto_retry_verify(ctx, CRYPTO_QUIC_V1, pseudo, len, tag), 0);
	tag[CRYPTO_TAG_LEN - 1] ^= 1;
	sc_rc(s, "A.4 retry verify of a changed tag",
	      crypto_retry_verify(ctx, CRYPTO_QUIC_V1, pseudo, len, tag), CRYPTO_ERR_AUTH);
}

/* ---- agreement between engines ---- */

/*
 * Seal RT_LEN bytes with a fixed key, nonce and AAD into out (ciphertext + tag) and open it
 * back. @return 0, CRYPTO_ERR_UNSUPPORTED (suite absent on this engine), or -1 after a failure
 * has been counted.
 */
static int
sc_seal_rt(struct sc *s, struct crypto_ctx *ctx, enum crypto_suite suite, uint8_t *out)
{
	uint8_t key[CRYPTO_MAX_KEY_LEN], iv[CRYPTO_IV_LEN], aad[BENCH_AAD_LEN];
	uint8_t pt[RT_LEN], back[RT_LEN + CRYPTO_TAG_LEN];
	struct crypto_aead *aead;
	unsigned i;
	int rc;

	for (i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(3 * i + 1);
	memset(iv, 0x5c, sizeof(iv));
	memset(aad, 0x33, sizeof(aad));
	for (i = 0; i < RT_LEN; i++)
		pt[i] = (uint8_t)i;
	memcpy(out, pt, RT_LEN);
	rc = crypto_aead_new(&aead, ctx, suite, key, iv);
	if (rc == CRYPTO_ERR_UNSUPPORTED) {
		printf("self-check: %s [%s]: not supported by the engine, skipped\n",
		       bench_suite_name(suite), s->engine);
		return rc;
	}
	if (!sc_rc(s, bench_suite_name(suite), rc, 0))
		return -1;
	rc = crypto_aead_seal(aead, 0x1234, aad, sizeof(aad), out, RT_LEN);
	if (sc_rc(s, "round-trip seal", rc, 0)) {
		memcpy(back, out, sizeof(back));
		rc = crypto_aead_open(aead, 0x1234, aad, sizeof(aad), back, sizeof(back));
		if (sc_rc(s, "round-trip open", rc, 0))
			sc_bytes(s, "round-trip plaintext", back, pt, RT_LEN);
	}
	crypto_aead_free(aead);
	return rc == 0 ? 0 : -1;
}

/* Every engine must produce the same bytes as the EVP engine (the reference). */
static void
sc_engines_agree(struct sc *s, struct bench *b)
{
	static const enum crypto_suite suites[] = {CRYPTO_SUITE_AES_128_GCM_SHA256,
						   CRYPTO_SUITE_AES_256_GCM_SHA384,
						   CRYPTO_SUITE_CHACHA20_POLY1305_SHA256};
	uint8_t ref[RT_LEN + CRYPTO_TAG_LEN], got[RT_LEN + CRYPTO_TAG_LEN];
	unsigned i;

	for (i = 0; i < 3; i++) {
		s->engine = "evp";
		if (sc_seal_rt(s, b->ctx[CRYPTO_ENGINE_EVP], suites[i], ref) != 0)
			continue;
		if (b->ctx[CRYPTO_ENGINE_IPSEC_MB] == NULL)
			continue;
		s->engine = "ipsec-mb";
		if (sc_seal_rt(s, b->ctx[CRYPTO_ENGINE_IPSEC_MB], suites[i], got) == 0)
			sc_bytes(s, "same ciphertext as evp", got, ref, sizeof(ref));
	}
}

/*
 * The bare baseline must do the same work as our engine: its output for nonce iv equals ours
 * for packet number 0 (nonce = iv XOR 0).
 */
static void
sc_bare(struct sc *s, struct bench *b)
{
	uint8_t key[16], iv[CRYPTO_IV_LEN], aad[BENCH_AAD_LEN];
	uint8_t ours[RT_LEN + CRYPTO_TAG_LEN], bare[2][RT_LEN + CRYPTO_TAG_LEN];
	uint8_t *bp[2] = {bare[0], bare[1]};
	struct crypto_imb_bare *imb;
	struct crypto_aead *aead;
	int rc;

	s->engine = "imb-bare";
	memset(key, 0x42, sizeof(key));
	memset(iv, 0x17, sizeof(iv));
	memset(aad, 0x99, sizeof(aad));
	memset(ours, 0xab, sizeof(ours));
	memcpy(bare[0], ours, sizeof(ours));
	memcpy(bare[1], ours, sizeof(ours));
	rc = crypto_imb_bare_new(&imb, key);
	if (rc == CRYPTO_ERR_UNSUPPORTED) {
		printf("self-check: bare ipsec-mb baseline not built, skipped\n");
		return;
	}
	if (!sc_rc(s, "bare new", rc, 0))
		return;
	rc = crypto_aead_new(&aead, b->ctx[CRYPTO_ENGINE_EVP], CRYPTO_SUITE_AES_128_GCM_SHA256, key,
			     iv);
	if (sc_rc(s, "bare reference aead", rc, 0)) {
		if (sc_rc(s, "bare reference seal",
			  crypto_aead_seal(aead, 0, aad, sizeof(aad), ours, RT_LEN), 0)) {
			crypto_imb_bare_seal(imb, iv, aad, sizeof(aad), bare[0], RT_LEN);
			sc_bytes(s, "bare seal equals ours", bare[0], ours, sizeof(ours));
			memset(bare[0], 0xab, RT_LEN);
			crypto_imb_bare_seal_burst(imb, iv, aad, sizeof(aad), bp, RT_LEN, 2);
			sc_bytes(s, "bare burst[0] equals ours", bare[0], ours, sizeof(ours));
			sc_bytes(s, "bare burst[1] equals ours", bare[1], ours, sizeof(ours));
		}
		crypto_aead_free(aead);
	}
	crypto_imb_bare_free(imb);
}

/* Token seal/open round trip with an explicit nonce; ciphertexts agree across engines. */
static void
sc_token(struct sc *s, struct crypto_ctx *ctx, uint8_t *out)
{
	uint8_t key[16], nonce[CRYPTO_IV_LEN], aad[16], back[40 + CRYPTO_TAG_LEN];
	struct crypto_aead *tk;

	memset(key, 0x61, sizeof(key));
	memset(nonce, 0x62, sizeof(nonce));
	memset(aad, 0x63, sizeof(aad));
	memset(out, 0x64, 40);
	if (!sc_rc(s, "token key", crypto_token_key_new(&tk, ctx, key), 0))
		return;
	if (sc_rc(s, "token seal", crypto_aead_seal_nonce(tk, nonce, aad, 16, out, 40), 0)) {
		memcpy(back, out, sizeof(back));
		if (sc_rc(s, "token open",
			  crypto_aead_open_nonce(tk, nonce, aad, 16, back, sizeof(back)), 0) &&
		    back[0] != 0x64)
			fail(s, "token open", "plaintext differs");
		back[3] ^= 1;
		sc_rc(s, "token open of a forged token",
		      crypto_aead_open_nonce(tk, nonce, aad, 16, back, sizeof(back)),
		      CRYPTO_ERR_AUTH);
	}
	crypto_aead_free(tk);
}

/* ---- asymmetric ---- */

static void
sc_kex(struct sc *s, struct crypto_ctx *ctx, enum crypto_group group, const char *what)
{
	struct crypto_kex *a = NULL, *b = NULL;
	uint8_t pa[CRYPTO_KEX_MAX_PUB], pb[CRYPTO_KEX_MAX_PUB];
	uint8_t sa[CRYPTO_KEX_MAX_SHARED], sb[CRYPTO_KEX_MAX_SHARED];
	size_t la, lb, na, nb;

	if (!sc_rc(s, what, crypto_kex_new(&a, ctx, group), 0) ||
	    !sc_rc(s, what, crypto_kex_new(&b, ctx, group), 0))
		goto out;
	if (!sc_rc(s, what, crypto_kex_public(a, pa, sizeof(pa), &la), 0) ||
	    !sc_rc(s, what, crypto_kex_public(b, pb, sizeof(pb), &lb), 0) ||
	    !sc_rc(s, what, crypto_kex_derive(a, pb, lb, sa, sizeof(sa), &na), 0) ||
	    !sc_rc(s, what, crypto_kex_derive(b, pa, la, sb, sizeof(sb), &nb), 0))
		goto out;
	if (na != nb || na == 0)
		fail(s, what, "shared secret lengths differ");
	else
		sc_bytes(s, what, sa, sb, na);
out:
	if (a != NULL)
		crypto_kex_free(a);
	if (b != NULL)
		crypto_kex_free(b);
}

static void
sc_sig(struct sc *s, struct crypto_ctx *ctx, enum crypto_sig_scheme scheme, const char *what)
{
	struct crypto_sigkey *key;
	uint8_t msg[130], sig[160];
	size_t sig_len;

	memset(msg, 0x20, sizeof(msg));
	if (!sc_rc(s, what, crypto_sigkey_generate(&key, ctx, scheme), 0))
		return;
	if (sc_rc(s, what, crypto_sign(key, msg, sizeof(msg), sig, sizeof(sig), &sig_len), 0)) {
		sc_rc(s, what, crypto_verify(key, msg, sizeof(msg), sig, sig_len), 0);
		msg[7] ^= 1;
		sc_rc(s, "verify of a changed message",
		      crypto_verify(key, msg, sizeof(msg), sig, sig_len), CRYPTO_ERR_AUTH);
	}
	crypto_sigkey_free(key);
}

static void
sc_asym(struct sc *s, struct crypto_ctx *ctx)
{
	s->engine = "libcrypto";
	sc_kex(s, ctx, CRYPTO_GROUP_X25519, "x25519 agreement");
	sc_kex(s, ctx, CRYPTO_GROUP_SECP256R1, "p256 agreement");
	sc_sig(s, ctx, CRYPTO_SIG_ECDSA_SECP256R1_SHA256, "ecdsa-p256 sign/verify");
	sc_sig(s, ctx, CRYPTO_SIG_ED25519, "ed25519 sign/verify");
}

/* ---- One complete in-memory TLS 1.3 handshake per certificate type ---- */

#define SC_TLS_ROUNDS 8 /* flights back and forth; a full handshake needs 3 */

/* One side of the handshake and the traffic secrets it was handed. */
struct sc_tls_side {
	struct tls_conn *c;
	uint8_t secret[TLS_LEVEL_COUNT][2][CRYPTO_MAX_SECRET_LEN];
	size_t len[TLS_LEVEL_COUNT][2];
};

static int
sc_tls_secret(void *arg, enum tls_level level, enum tls_dir dir, enum crypto_suite suite,
	      const uint8_t *secret, size_t len)
{
	struct sc_tls_side *side = arg;

	(void)suite;
	if (len > CRYPTO_MAX_SECRET_LEN)
		return -1;
	memcpy(side->secret[level][dir], secret, len);
	side->len[level][dir] = len;
	return 0;
}

/* Move everything from has pending to to, level by level. @return 0 or tls_conn_recv()'s error */
static int
sc_tls_move(struct tls_conn *from, struct tls_conn *to, bool *moved)
{
	enum tls_level lv;
	const uint8_t *d;
	size_t len;
	int rc;

	for (lv = TLS_LEVEL_INITIAL; lv < TLS_LEVEL_COUNT; lv++) {
		d = tls_conn_pending(from, lv, &len);
		if (len == 0)
			continue;
		rc = tls_conn_recv(to, lv, d, len, BENCH_TLS_NOW_MS);
		tls_conn_consume(from, lv, len);
		*moved = true;
		if (rc != 0)
			return rc;
	}
	return 0;
}

static const char *
sc_alert(const struct tls_conn *c)
{
	return tls_conn_alert(c) == TLS_ALERT_NONE ? "none" : tls_alert_name(tls_conn_alert(c));
}

/* Start the client and exchange flights until neither side has anything to say. */
static bool
sc_tls_pump(struct sc *s, const char *what, struct sc_tls_side *cli, struct sc_tls_side *srv)
{
	char detail[128];
	bool moved = true;
	unsigned i;
	int rc;

	rc = tls_conn_start(cli->c, BENCH_TLS_NOW_MS);
	for (i = 0; rc == 0 && moved && i < SC_TLS_ROUNDS; i++) {
		moved = false;
		rc = sc_tls_move(cli->c, srv->c, &moved);
		if (rc == 0)
			rc = sc_tls_move(srv->c, cli->c, &moved);
	}
	if (rc == 0)
		return true;
	snprintf(detail, sizeof(detail), "%s (%d); alerts: client %s, server %s", tls_strerror(rc),
		 rc, sc_alert(cli->c), sc_alert(srv->c));
	fail(s, what, detail);
	return false;
}

/* RFC 9001 §4.1.1: both sides done, on the section's suite and group, with the same keys. */
static void
sc_tls_verify(struct sc *s, const char *what, const struct sc_tls_side *cli,
	      const struct sc_tls_side *srv)
{
	const uint8_t *tp;
	size_t tp_len;
	int lv;

	if (!tls_conn_handshake_done(cli->c) || !tls_conn_handshake_done(srv->c)) {
		fail(s, what, "the handshake did not complete");
		return;
	}
	if (tls_conn_suite(cli->c) != CRYPTO_SUITE_AES_128_GCM_SHA256 ||
	    tls_conn_suite(srv->c) != CRYPTO_SUITE_AES_128_GCM_SHA256 ||
	    tls_conn_group(cli->c) != CRYPTO_GROUP_X25519 ||
	    tls_conn_group(srv->c) != CRYPTO_GROUP_X25519)
		fail(s, what, "not TLS_AES_128_GCM_SHA256 with X25519");
	tp = tls_conn_peer_tparams(cli->c, &tp_len);
	if (tp == NULL || tp_len != BENCH_TLS_TP_LEN ||
	    memcmp(tp, bench_tls_tp, BENCH_TLS_TP_LEN) != 0)
		fail(s, what, "the client did not get the server's transport parameters");
	for (lv = TLS_LEVEL_HANDSHAKE; lv <= TLS_LEVEL_APPLICATION; lv++) {
		if (cli->len[lv][TLS_DIR_WRITE] != 32 || srv->len[lv][TLS_DIR_READ] != 32 ||
		    cli->len[lv][TLS_DIR_READ] != 32 || srv->len[lv][TLS_DIR_WRITE] != 32) {
			fail(s, what, "a traffic secret is missing or not 32 bytes");
			return;
		}
		sc_bytes(s, what, cli->secret[lv][TLS_DIR_WRITE], srv->secret[lv][TLS_DIR_READ],
			 32);
		sc_bytes(s, what, cli->secret[lv][TLS_DIR_READ], srv->secret[lv][TLS_DIR_WRITE],
			 32);
	}
}

/*
 * A client that trusts only the server's fresh certificate (so its signature and chain are
 * checked) against a server configured as in the TLS section.
 */
static void
sc_tls_one(struct sc *s, struct crypto_ctx *ctx, enum tls_key_type type, const char *what)
{
	struct tls_server_config *scfg = NULL;
	struct tls_client_config *ccfg = NULL;
	struct sc_tls_side cli, srv;
	const struct tls_callbacks ccb = {.secret = sc_tls_secret, .arg = &cli};
	const struct tls_callbacks scb = {.secret = sc_tls_secret, .arg = &srv};
	char *ca = NULL, detail[96];
	size_t ca_len = 0;
	int rc;

	memset(&cli, 0, sizeof(cli));
	memset(&srv, 0, sizeof(srv));
	if (bench_tls_server_config(&scfg, type, &ca, &ca_len) != 0 ||
	    bench_tls_client_config(&ccfg, ca, ca_len) != 0) {
		fail(s, what, "configuration failed (see above)");
		goto out;
	}
	rc = tls_conn_new_server(&srv.c, scfg, ctx, bench_tls_tp, sizeof(bench_tls_tp), &scb);
	if (rc == 0)
		rc = tls_conn_new_client(&cli.c, ccfg, ctx, BENCH_TLS_HOST, bench_tls_tp,
					 sizeof(bench_tls_tp), &ccb);
	if (rc != 0) {
		snprintf(detail, sizeof(detail), "new connection: %s", tls_strerror(rc));
		fail(s, what, detail);
	} else if (sc_tls_pump(s, what, &cli, &srv)) {
		sc_tls_verify(s, what, &cli, &srv);
	}
out:
	tls_conn_free(cli.c);
	tls_conn_free(srv.c);
	tls_client_config_free(ccfg);
	tls_server_config_free(scfg);
	free(ca);
}

static void
sc_tls(struct sc *s, struct crypto_ctx *ctx)
{
	s->engine = "tls";
	sc_tls_one(s, ctx, TLS_KEY_ECDSA_P256, "tls13 handshake, ecdsa-p256");
	sc_tls_one(s, ctx, TLS_KEY_ED25519, "tls13 handshake, ed25519");
	sc_tls_one(s, ctx, TLS_KEY_RSA_2048, "tls13 handshake, rsa-pss-2048");
}

int
bench_self_check(struct bench *b)
{
	static const enum crypto_engine engines[] = {CRYPTO_ENGINE_EVP, CRYPTO_ENGINE_IPSEC_MB};
	uint8_t tokens[2][40 + CRYPTO_TAG_LEN];
	struct sc s = {0, "evp"};
	unsigned e;

	memset(tokens, 0, sizeof(tokens));

	for (e = 0; e < 2; e++) {
		struct crypto_ctx *ctx = b->ctx[engines[e]];

		if (ctx == NULL)
			continue;
		s.engine = bench_engine_name(engines[e]);
		sc_initial(&s, ctx);
		sc_hp(&s, ctx);
		sc_server_initial(&s, ctx);
		sc_chacha(&s, ctx);
		sc_retry(&s, ctx);
		sc_token(&s, ctx, tokens[e]);
	}
	if (b->ctx[CRYPTO_ENGINE_IPSEC_MB] != NULL)
		sc_bytes(&s, "token: same ciphertext as evp", tokens[1], tokens[0],
			 sizeof(tokens[0]));
	sc_engines_agree(&s, b);
	sc_bare(&s, b);
	sc_asym(&s, b->ctx[BENCH_CTX_DEFAULT]);
	sc_tls(&s, b->ctx[BENCH_CTX_DEFAULT]);
	if (s.fails != 0) {
		fprintf(stderr, "self-check: FAILED (%u problems)\n", s.fails);
		return BENCH_ERR_OP;
	}
	printf("self-check: OK\n");
	return 0;
}
