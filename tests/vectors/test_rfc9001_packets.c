/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RFC 9001 Appendix A, sample packet protection: each packet built and compared byte for
 * byte, then taken apart again, on every packet engine this machine runs. Hex copied from the
 * RFC text.
 */
#include <string.h>

#include <crypto/crypto.h>
#include <quic/error.h>
#include <quic/packet.h>

#include "hb_test.h"

#define VERSION QUIC_VERSION_1

TestSuite(rfc9001_packets);

/* RFC 9001 §A: the client-chosen DCID of the Initial, and the server's new CID. */
static const char odcid[] = "8394c8f03e515708";
static const char server_cid[] = "f067a5502a4262b5";

/* RFC 9001 §A.2 Client Initial: a CRYPTO frame (PADDING follows, to 1162 bytes), header, etc. */
static const char client_crypto[] =
	"060040f1010000ed0303ebf8fa56f129 39b9584a3896472ec40bb863cfd3e868"
	"04fe3a47f06a2b69484c000004130113 02010000c000000010000e00000b6578"
	"616d706c652e636f6dff01000100000a 00080006001d00170018001000070005"
	"04616c706e0005000501000000000033 00260024001d00209370b2c9caa47fba"
	"baf4559fedba753de171fa71f50f1ce1 5d43e994ec74d748002b000302030400"
	"0d0010000e0403050306030203080408 050806002d00020101001c0002400100"
	"3900320408ffffffffffffffff050480 00ffff07048000ffff08011001048000"
	"75300901100f088394c8f03e51570806 048000ffff";
static const char client_hdr[] = "c300000001088394c8f03e5157080000449e00000002";
static const char client_sample[] = "d1b1c98dd7689fb8ec11d242b123dc9b";
static const char client_mask[] = "437b9aec36";
static const char client_packet[] =
	"c000000001088394c8f03e5157080000 449e7b9aec34d1b1c98dd7689fb8ec11"
	"d242b123dc9bd8bab936b47d92ec356c 0bab7df5976d27cd449f63300099f399"
	"1c260ec4c60d17b31f8429157bb35a12 82a643a8d2262cad67500cadb8e7378c"
	"8eb7539ec4d4905fed1bee1fc8aafba1 7c750e2c7ace01e6005f80fcb7df6212"
	"30c83711b39343fa028cea7f7fb5ff89 eac2308249a02252155e2347b63d58c5"
	"457afd84d05dfffdb20392844ae81215 4682e9cf012f9021a6f0be17ddd0c208"
	"4dce25ff9b06cde535d0f920a2db1bf3 62c23e596d11a4f5a6cf3948838a3aec"
	"4e15daf8500a6ef69ec4e3feb6b1d98e 610ac8b7ec3faf6ad760b7bad1db4ba3"
	"485e8a94dc250ae3fdb41ed15fb6a8e5 eba0fc3dd60bc8e30c5c4287e53805db"
	"059ae0648db2f64264ed5e39be2e20d8 2df566da8dd5998ccabdae053060ae6c"
	"7b4378e846d29f37ed7b4ea9ec5d82e7 961b7f25a9323851f681d582363aa5f8"
	"9937f5a67258bf63ad6f1a0b1d96dbd4 faddfcefc5266ba6611722395c906556"
	"be52afe3f565636ad1b17d508b73d874 3eeb524be22b3dcbc2c7468d54119c74"
	"68449a13d8e3b95811a198f3491de3e7 fe942b330407abf82a4ed7c1b311663a"
	"c69890f4157015853d91e923037c227a 33cdd5ec281ca3f79c44546b9d90ca00"
	"f064c99e3dd97911d39fe9c5d0b23a22 9a234cb36186c4819e8b9c5927726632"
	"291d6a418211cc2962e20fe47feb3edf 330f2c603a9d48c0fcb5699dbfe58964"
	"25c5bac4aee82e57a85aaf4e2513e4f0 5796b07ba2ee47d80506f8d2c25e50fd"
	"14de71e6c418559302f939b0e1abd576 f279c4b2e0feb85c1f28ff18f58891ff"
	"ef132eef2fa09346aee33c28eb130ff2 8f5b766953334113211996d20011a198"
	"e3fc433f9f2541010ae17c1bf202580f 6047472fb36857fe843b19f5984009dd"
	"c324044e847a4f4a0ab34f719595de37 252d6235365e9b84392b061085349d73"
	"203a4a13e96f5432ec0fd4a1ee65accd d5e3904df54c1da510b0ff20dcc0c77f"
	"cb2c0e0eb605cb0504db87632cf3d8b4 dae6e705769d1de354270123cb11450e"
	"fc60ac47683d7b8d0f811365565fd98c 4c8eb936bcab8d069fc33bd801b03ade"
	"a2e1fbc5aa463d08ca19896d2bf59a07 1b851e6c239052172f296bfb5e724047"
	"90a2181014f3b94a4e97d117b4381303 68cc39dbb2d198065ae3986547926cd2"
	"162f40a29f0c3c8745c0f50fba3852e5 66d44575c29d39a03f0cda721984b6f4"
	"40591f355e12d439ff150aab7613499d bd49adabc8676eef023b15b65bfc5ca0"
	"6948109f23f350db82123535eb8a7433 bdabcb909271a6ecbcb58b936a88cd4e"
	"8f2e6ff5800175f113253d8fa9ca8885 c2f552e657dc603f252e1a8e308f76f0"
	"be79e2fb8f5d5fbbe2e30ecadd220723 c8c0aea8078cdfcb3868263ff8f09400"
	"54da48781893a7e49ad5aff4af300cd8 04a6b6279ab3ff3afb64491c85194aab"
	"760d58a606654f9f4400e8b38591356f bf6425aca26dc85244259ff2b19c41b9"
	"f96f3ca9ec1dde434da7d2d392b905dd f3d1f9af93d1af5950bd493f5aa731b4"
	"056df31bd267b6b90a079831aaf579be 0a39013137aac6d404f518cfd4684064"
	"7e78bfe706ca4cf5e9c5453e9f7cfd2b 8b4c8d169a44e55c88d4a9a7f9474241"
	"e221af44860018ab0856972e194cd934";

/* RFC 9001 §A.3 Server Initial: ACK and CRYPTO frames, no padding. */
static const char server_payload[] =
	"02000000000600405a020000560303ee fce7f7b37ba1d1632e96677825ddf739"
	"88cfc79825df566dc5430b9a045a1200 130100002e00330024001d00209d3c94"
	"0d89690b84d08a60993c144eca684d10 81287c834d5311bcf32bb9da1a002b00"
	"020304";
static const char server_hdr[] = "c1000000010008f067a5502a4262b50040750001";
static const char server_sample[] = "2cd0991cd25b0aac406a5816b6394100";
static const char server_mask[] = "2ec0d8356a";
static const char server_packet[] =
	"cf000000010008f067a5502a4262b500 4075c0d95a482cd0991cd25b0aac406a"
	"5816b6394100f37a1c69797554780bb3 8cc5a99f5ede4cf73c3ec2493a1839b3"
	"dbcba3f6ea46c5b7684df3548e7ddeb9 c3bf9c73cc3f3bded74b562bfb19fb84"
	"022f8ef4cdd93795d77d06edbb7aaf2f 58891850abbdca3d20398c276456cbc4"
	"2158407dd074ee";

/* RFC 9001 §A.4 Retry, answering the client Initial, token "token". */
static const char retry_packet[] =
	"ff000000010008f067a5502a4262b574 6f6b656e04a265ba2eff4d829058fb3f"
	"0f2496ba";

/* RFC 9001 §A.5 ChaCha20-Poly1305 short header packet: a PING, pn 654360564, 3-byte encoding. */
static const char chacha_secret[] = "9ac312a7f877468ebe69422748ad00a1"
				    "5443f18203a07d6060f688f30f21632b";
static const char chacha_hdr[] = "4200bff4";
static const char chacha_payload[] = "01";
static const char chacha_sample[] = "5e5cd55c41f69080575d7999c25a5bfb";
static const char chacha_mask[] = "aefefe7d03";
static const char chacha_packet[] = "4cfe4189655e5cd55c41f69080575d7999c25a5bfb";
#define CHACHA_PN 654360564

/* One protected packet of the appendix and everything needed to rebuild it. */
struct vec {
	enum quic_pkt_type type;
	const char *dcid, *scid;
	uint64_t pn;
	size_t pn_len;
	const char *payload;
	size_t payload_len; /* the frames, then PADDING (zeros) up to this length */
	const char *hdr, *sample, *mask, *packet;
};

static const struct vec client_initial = {
	.type = QUIC_PKT_INITIAL,
	.dcid = odcid,
	.scid = "",
	.pn = 2,
	.pn_len = 4,
	.payload = client_crypto,
	.payload_len = 1162,
	.hdr = client_hdr,
	.sample = client_sample,
	.mask = client_mask,
	.packet = client_packet,
};
static const struct vec server_initial = {
	.type = QUIC_PKT_INITIAL,
	.dcid = "",
	.scid = server_cid,
	.pn = 1,
	.pn_len = 2,
	.payload = server_payload,
	.payload_len = 99,
	.hdr = server_hdr,
	.sample = server_sample,
	.mask = server_mask,
	.packet = server_packet,
};
static const struct vec chacha_short = {
	.type = QUIC_PKT_1RTT,
	.dcid = "",
	.scid = "",
	.pn = CHACHA_PN,
	.pn_len = 3,
	.payload = chacha_payload,
	.payload_len = 1,
	.hdr = chacha_hdr,
	.sample = chacha_sample,
	.mask = chacha_mask,
	.packet = chacha_packet,
};

static const enum crypto_engine engines[] = {CRYPTO_ENGINE_EVP, CRYPTO_ENGINE_IPSEC_MB};

struct keys {
	struct crypto_aead *aead;
	struct crypto_hp *hp;
};

static void
keys_from_secret(struct crypto_ctx *ctx, enum crypto_suite suite, const uint8_t *secret,
		 size_t secret_len, struct keys *k)
{
	struct crypto_quic_keys qk;

	cr_assert(
		eq(int, crypto_quic_derive_keys(ctx, VERSION, suite, secret, secret_len, &qk), 0));
	cr_assert(eq(int, crypto_aead_new(&k->aead, ctx, suite, qk.key, qk.iv), 0));
	cr_assert(eq(int, crypto_hp_new(&k->hp, ctx, suite, qk.hp), 0));
}

/* RFC 9001 §5.2 Initial keys from the client-chosen DCID. */
static void
initial_keys(struct crypto_ctx *ctx, bool client, struct keys *k)
{
	uint8_t dcid[8], cs[CRYPTO_INITIAL_SECRET_LEN], ss[CRYPTO_INITIAL_SECRET_LEN];

	cr_assert(eq(sz, hb_hex(odcid, dcid, sizeof(dcid)), 8));
	cr_assert(eq(int, crypto_quic_initial_secrets(ctx, VERSION, dcid, 8, cs, ss), 0));
	keys_from_secret(ctx, CRYPTO_SUITE_AES_128_GCM_SHA256, client ? cs : ss, sizeof(cs), k);
}

static void
chacha_keys(struct crypto_ctx *ctx, struct keys *k)
{
	uint8_t secret[32];

	cr_assert(eq(sz, hb_hex(chacha_secret, secret, sizeof(secret)), 32));
	keys_from_secret(ctx, CRYPTO_SUITE_CHACHA20_POLY1305_SHA256, secret, sizeof(secret), k);
}

static void
keys_free(struct keys *k)
{
	crypto_hp_free(k->hp);
	crypto_aead_free(k->aead);
}

/* The n bytes at got are exactly the bytes the hex string spells. */
static void
assert_hex(const uint8_t *got, size_t n, const char *hex)
{
	uint8_t want[1500];

	cr_assert(eq(sz, hb_hex(hex, want, sizeof(want)), n));
	cr_assert(eq(int, memcmp(got, want, n), 0));
}

static void
write_vec_header(const struct vec *v, uint8_t *buf, size_t cap, struct quic_packet_layout *lay)
{
	uint8_t dcid[20], scid[20], frames[1500];
	struct quic_packet_out p = {
		.type = v->type,
		.version = VERSION,
		.dcid = dcid,
		.dcid_len = hb_hex(v->dcid, dcid, sizeof(dcid)),
		.scid = scid,
		.scid_len = hb_hex(v->scid, scid, sizeof(scid)),
		.pn = v->pn,
		.pn_len = v->pn_len,
	};
	size_t n = hb_hex(v->payload, frames, sizeof(frames));

	cr_assert(gt(sz, n, 0));
	cr_assert(le(sz, n, v->payload_len));
	cr_assert(eq(int, quic_packet_write_header(buf, cap, &p, lay), 0));
	memcpy(buf + lay->hdr_len, frames, n);
	memset(buf + lay->hdr_len + n, 0, v->payload_len - n);
}

/* Build the packet step by step through the burst API, checking each intermediate value. */
static void
check_protect(const struct vec *v, struct keys *k)
{
	uint8_t buf[1500];
	struct quic_packet_layout lay;
	struct crypto_aead_op op;
	struct crypto_hp_op hop;
	size_t len = 0;

	write_vec_header(v, buf, sizeof(buf), &lay);
	cr_assert(eq(int,
		     quic_packet_seal_prepare(buf, sizeof(buf), &lay, v->payload_len, k->aead, &op,
					      &len),
		     0));
	assert_hex(buf, lay.hdr_len, v->hdr);
	cr_assert(eq(u32, crypto_aead_seal_burst(&op, 1), 1));
	cr_assert(eq(int, quic_packet_hp_prepare(buf, len, lay.pn_offset, k->hp, &hop), 0));
	assert_hex(hop.sample, CRYPTO_HP_SAMPLE_LEN, v->sample);
	cr_assert(eq(int, crypto_hp_mask_burst(&hop, 1), 0));
	assert_hex(hop.mask, CRYPTO_HP_MASK_LEN, v->mask);
	quic_packet_hp_apply(buf, lay.pn_offset, lay.pn_len, hop.mask);
	assert_hex(buf, len, v->packet);

	/* The one-call path gives the same bytes. */
	write_vec_header(v, buf, sizeof(buf), &lay);
	cr_assert(eq(
		int,
		quic_packet_protect(buf, sizeof(buf), &lay, v->payload_len, k->aead, k->hp, &len),
		0));
	assert_hex(buf, len, v->packet);
}

/* Take the protected packet apart as a receiver: split, unprotect, compare. */
static void
check_unprotect(const struct vec *v, struct keys *k, uint64_t largest_pn)
{
	uint8_t buf[1500], frames[1500], hdr_bytes[64];
	size_t len = hb_hex(v->packet, buf, sizeof(buf));
	size_t hdr_len = hb_hex(v->hdr, hdr_bytes, sizeof(hdr_bytes));
	size_t n = hb_hex(v->payload, frames, sizeof(frames));
	struct quic_datagram_iter it;
	struct quic_packet_hdr hdr;
	struct quic_packet_rx rx;

	memset(frames + n, 0, v->payload_len - n);
	quic_datagram_iter_init(&it, buf, len, 0);
	cr_assert(eq(int, quic_datagram_next(&it, &hdr), 1));
	cr_assert(eq(int, hdr.type, v->type));
	cr_assert(eq(sz, hdr.len, len));
	cr_assert(eq(int, quic_datagram_next(&it, &hdr), 0));
	cr_assert(eq(int, quic_packet_unprotect(buf, &hdr, k->hp, k->aead, largest_pn, &rx), 0));
	cr_assert(eq(u64, rx.pn, v->pn));
	cr_assert(eq(sz, rx.pn_len, v->pn_len));
	cr_assert(eq(sz, rx.hdr_len, hdr_len));
	assert_hex(buf, hdr_len, v->hdr);
	cr_assert(eq(sz, rx.payload_len, v->payload_len));
	cr_assert(eq(int, memcmp(rx.payload, frames, v->payload_len), 0));
}

/* Run fn with a context on each engine this build and CPU have. */
static void
each_engine(void (*fn)(struct crypto_ctx *ctx))
{
	for (size_t e = 0; e < sizeof(engines) / sizeof(engines[0]); e++) {
		struct crypto_ctx *ctx;

		if (!crypto_engine_available(engines[e]))
			continue;
		cr_assert(eq(int, crypto_ctx_new(&ctx, engines[e]), 0));
		fn(ctx);
		crypto_ctx_free(ctx);
	}
}

static void
client_initial_both_ways(struct crypto_ctx *ctx)
{
	struct keys k;

	initial_keys(ctx, true, &k);
	check_protect(&client_initial, &k);
	/* The server has received nothing in the Initial space yet. */
	check_unprotect(&client_initial, &k, QUIC_PN_NONE);
	keys_free(&k);
}

HB_TEST(rfc9001_packets, client_initial)
{
	each_engine(client_initial_both_ways);
}

static void
server_initial_both_ways(struct crypto_ctx *ctx)
{
	struct keys k;

	initial_keys(ctx, false, &k);
	check_protect(&server_initial, &k);
	check_unprotect(&server_initial, &k, QUIC_PN_NONE);
	keys_free(&k);
}

HB_TEST(rfc9001_packets, server_initial)
{
	each_engine(server_initial_both_ways);
}

static void
chacha_short_both_ways(struct crypto_ctx *ctx)
{
	struct keys k;

	chacha_keys(ctx, &k);
	check_protect(&chacha_short, &k);
	check_unprotect(&chacha_short, &k, CHACHA_PN - 1);
	keys_free(&k);
}

HB_TEST(rfc9001_packets, chacha20_short_header)
{
	each_engine(chacha_short_both_ways);
}

HB_TEST(rfc9001_packets, chacha20_pn_encoding)
{
	/* 654360564 = 0x2700bff4, sent in 3 bytes as 0x00bff4 (49140). */
	cr_assert(eq(u64, quic_pn_decode(CHACHA_PN - 1, 49140, 3), CHACHA_PN));
}

static void
retry_build_and_verify(struct crypto_ctx *ctx)
{
	uint8_t dcid[8], scid[8], buf[128], want[128];
	size_t want_len = hb_hex(retry_packet, want, sizeof(want)), len = 0;
	struct quic_retry_params p = {
		.version = VERSION,
		.unused = want[0] & 0x0f, /* the appendix sets every Unused bit */
		.scid = scid,
		.scid_len = hb_hex(server_cid, scid, sizeof(scid)),
		.odcid = dcid,
		.odcid_len = hb_hex(odcid, dcid, sizeof(dcid)),
		.token = (const uint8_t *)"token",
		.token_len = 5,
	};
	struct quic_packet_hdr hdr;

	/* The client Initial has an empty SCID, so the Retry's DCID is empty. */
	cr_assert(eq(int, quic_retry_write(ctx, &p, buf, sizeof(buf), &len), 0));
	cr_assert(eq(sz, len, want_len));
	cr_assert(eq(int, memcmp(buf, want, len), 0));
	cr_assert(eq(int, quic_retry_parse(ctx, want, want_len, dcid, 8, &hdr), 0));
	cr_assert(eq(int, hdr.type, QUIC_PKT_RETRY));
	cr_assert(eq(u32, hdr.version, VERSION));
	cr_assert(eq(sz, hdr.dcid_len, 0));
	cr_assert(eq(sz, hdr.scid_len, 8));
	cr_assert(eq(int, memcmp(hdr.scid, scid, 8), 0));
	cr_assert(eq(sz, hdr.token_len, 5));
	cr_assert(eq(int, memcmp(hdr.token, "token", 5), 0));
	/* One flipped tag bit, or another original DCID, and the client discards it. */
	want[want_len - 1] ^= 0x80;
	cr_assert(eq(int, quic_retry_parse(ctx, want, want_len, dcid, 8, &hdr), QUIC_ERR_CRYPTO));
	want[want_len - 1] ^= 0x80;
	dcid[0] ^= 1;
	cr_assert(eq(int, quic_retry_parse(ctx, want, want_len, dcid, 8, &hdr), QUIC_ERR_CRYPTO));
}

HB_TEST(rfc9001_packets, retry)
{
	each_engine(retry_build_and_verify);
}
