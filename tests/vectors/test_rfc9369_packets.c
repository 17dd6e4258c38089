/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RFC 9369 Appendix A (QUIC version 2), sample packet protection: each packet built and compared
 * byte for byte, then taken apart again, on every packet engine this machine runs. Hex copied from
 * the RFC text; the checks, shared with RFC 9001, are in packet_vectors.h.
 */
#include "packet_vectors.h"

TestSuite(rfc9369_packets);

/* RFC 9369 §A: the client-chosen DCID of the Initial, and the server's new CID. */
#define ODCID	   "8394c8f03e515708"
#define SERVER_CID "f067a5502a4262b5"

/* RFC 9369 §A.2 Client Initial: a CRYPTO frame (PADDING follows, to 1162 bytes), the packet. */
static const char client_crypto[] =
	"060040f1010000ed0303ebf8fa56f129 39b9584a3896472ec40bb863cfd3e868"
	"04fe3a47f06a2b69484c000004130113 02010000c000000010000e00000b6578"
	"616d706c652e636f6dff01000100000a 00080006001d00170018001000070005"
	"04616c706e0005000501000000000033 00260024001d00209370b2c9caa47fba"
	"baf4559fedba753de171fa71f50f1ce1 5d43e994ec74d748002b000302030400"
	"0d0010000e0403050306030203080408 050806002d00020101001c0002400100"
	"3900320408ffffffffffffffff050480 00ffff07048000ffff08011001048000"
	"75300901100f088394c8f03e51570806 048000ffff";
static const char client_packet[] =
	"d76b3343cf088394c8f03e5157080000 449ea0c95e82ffe67b6abcdb4298b485"
	"dd04de806071bf03dceebfa162e75d6c 96058bdbfb127cdfcbf903388e99ad04"
	"9f9a3dd4425ae4d0992cfff18ecf0fdb 5a842d09747052f17ac2053d21f57c5d"
	"250f2c4f0e0202b70785b7946e992e58 a59ac52dea6774d4f03b55545243cf1a"
	"12834e3f249a78d395e0d18f4d766004 f1a2674802a747eaa901c3f10cda5500"
	"cb9122faa9f1df66c392079a1b40f0de 1c6054196a11cbea40afb6ef5253cd68"
	"18f6625efce3b6def6ba7e4b37a40f77 32e093daa7d52190935b8da58976ff33"
	"12ae50b187c1433c0f028edcc4c2838b 6a9bfc226ca4b4530e7a4ccee1bfa2a3"
	"d396ae5a3fb512384b2fdd851f784a65 e03f2c4fbe11a53c7777c023462239dd"
	"6f7521a3f6c7d5dd3ec9b3f233773d4b 46d23cc375eb198c63301c21801f6520"
	"bcfb7966fc49b393f0061d974a2706df 8c4a9449f11d7f3d2dcbb90c6b877045"
	"636e7c0c0fe4eb0f697545460c806910 d2c355f1d253bc9d2452aaa549e27a1f"
	"ac7cf4ed77f322e8fa894b6a83810a34 b361901751a6f5eb65a0326e07de7c12"
	"16ccce2d0193f958bb3850a833f7ae43 2b65bc5a53975c155aa4bcb4f7b2c4e5"
	"4df16efaf6ddea94e2c50b4cd1dfe060 17e0e9d02900cffe1935e0491d77ffb4"
	"fdf85290fdd893d577b1131a610ef6a5 c32b2ee0293617a37cbb08b847741c3b"
	"8017c25ca9052ca1079d8b78aebd4787 6d330a30f6a8c6d61dd1ab5589329de7"
	"14d19d61370f8149748c72f132f0fc99 f34d766c6938597040d8f9e2bb522ff9"
	"9c63a344d6a2ae8aa8e51b7b90a4a806 105fcbca31506c446151adfeceb51b91"
	"abfe43960977c87471cf9ad4074d30e1 0d6a7f03c63bd5d4317f68ff325ba3bd"
	"80bf4dc8b52a0ba031758022eb025cdd 770b44d6d6cf0670f4e990b22347a7db"
	"848265e3e5eb72dfe8299ad7481a4083 22cac55786e52f633b2fb6b614eaed18"
	"d703dd84045a274ae8bfa73379661388 d6991fe39b0d93debb41700b41f90a15"
	"c4d526250235ddcd6776fc77bc97e7a4 17ebcb31600d01e57f32162a8560cacc"
	"7e27a096d37a1a86952ec71bd89a3e9a 30a2a26162984d7740f81193e8238e61"
	"f6b5b984d4d3dfa033c1bb7e4f0037fe bf406d91c0dccf32acf423cfa1e70710"
	"10d3f270121b493ce85054ef58bada42 310138fe081adb04e2bd901f2f13458b"
	"3d6758158197107c14ebb193230cd115 7380aa79cae1374a7c1e5bbcb80ee23e"
	"06ebfde206bfb0fcbc0edc4ebec30966 1bdd908d532eb0c6adc38b7ca7331dce"
	"8dfce39ab71e7c32d318d136b6100671 a1ae6a6600e3899f31f0eed19e3417d1"
	"34b90c9058f8632c798d4490da498730 7cba922d61c39805d072b589bd52fdf1"
	"e86215c2d54e6670e07383a27bbffb5a ddf47d66aa85a0c6f9f32e59d85a44dd"
	"5d3b22dc2be80919b490437ae4f36a0a e55edf1d0b5cb4e9a3ecabee93dfc6e3"
	"8d209d0fa6536d27a5d6fbb17641cde2 7525d61093f1b28072d111b2b4ae5f89"
	"d5974ee12e5cf7d5da4d6a31123041f3 3e61407e76cffcdcfd7e19ba58cf4b53"
	"6f4c4938ae79324dc402894b44faf8af bab35282ab659d13c93f70412e85cb19"
	"9a37ddec600545473cfb5a05e08d0b20 9973b2172b4d21fb69745a262ccde96b"
	"a18b2faa745b6fe189cf772a9f84cbfc";

/* RFC 9369 §A.3 Server Initial: ACK and CRYPTO frames, no padding; the packet. */
static const char server_payload[] =
	"02000000000600405a020000560303ee fce7f7b37ba1d1632e96677825ddf739"
	"88cfc79825df566dc5430b9a045a1200 130100002e00330024001d00209d3c94"
	"0d89690b84d08a60993c144eca684d10 81287c834d5311bcf32bb9da1a002b00"
	"020304";
static const char server_packet[] =
	"dc6b3343cf0008f067a5502a4262b500 4075d92faaf16f05d8a4398c47089698"
	"baeea26b91eb761d9b89237bbf872630 17915358230035f7fd3945d88965cf17"
	"f9af6e16886c61bfc703106fbaf3cb4c fa52382dd16a393e42757507698075b2"
	"c984c707f0a0812d8cd5a6881eaf21ce da98f4bd23f6fe1a3e2c43edd9ce7ca8"
	"4bed8521e2e140";

/* RFC 9369 §A.2: pn 2 in 4 bytes; the unprotected header, HP sample and mask. */
static const struct packet_vector client_initial = {
	.type = QUIC_PKT_INITIAL,
	.dcid = ODCID,
	.scid = "",
	.pn = 2,
	.pn_len = 4,
	.payload = client_crypto,
	.payload_len = 1162,
	.hdr = "d36b3343cf088394c8f03e5157080000449e00000002",
	.sample = "ffe67b6abcdb4298b485dd04de806071",
	.mask = "94a0c95e80",
	.packet = client_packet,
};

/* RFC 9369 §A.3: pn 1 in 2 bytes, 99-byte payload. */
static const struct packet_vector server_initial = {
	.type = QUIC_PKT_INITIAL,
	.dcid = "",
	.scid = SERVER_CID,
	.pn = 1,
	.pn_len = 2,
	.payload = server_payload,
	.payload_len = 99,
	.hdr = "d16b3343cf0008f067a5502a4262b50040750001",
	.sample = "6f05d8a4398c47089698baeea26b91eb",
	.mask = "4dd92e91ea",
	.packet = server_packet,
};

/* RFC 9369 §A.5 ChaCha20-Poly1305 short header packet: a PING, pn 654360564 in 3 bytes. */
static const struct packet_vector chacha_short = {
	.type = QUIC_PKT_1RTT,
	.dcid = "",
	.scid = "",
	.pn = 654360564,
	.pn_len = 3,
	.payload = "01",
	.payload_len = 1,
	.hdr = "4200bff4",
	.sample = "e7b6b932bc27d786f4bc2bb20f2162ba",
	.mask = "97580e32bf",
	.packet = "5558b1c60ae7b6b932bc27d786f4bc2bb20f2162ba",
};

static const struct packet_vectors rfc9369 = {
	.version = QUIC_VERSION_2,
	.odcid = ODCID,
	.server_cid = SERVER_CID,
	.pkt = {&client_initial, &server_initial, &chacha_short},
	/* RFC 9369 §A.4 Retry, answering the client Initial, token "token". */
	.retry = "cf6b3343cf0008f067a5502a4262b574 6f6b656ec8646ce8bfe33952d9555436"
		 "65dcc7b6",
	/* RFC 9369 §A.5: the secret, and 654360564 = 0x2700bff4 sent as 0x00bff4. */
	.chacha_secret = "9ac312a7f877468ebe69422748ad00a1"
			 "5443f18203a07d6060f688f30f21632b",
	.chacha_pn_truncated = 49140,
};

HB_TEST(rfc9369_packets, client_initial)
{
	pv_check_packet(&rfc9369, PV_CLIENT_INITIAL);
}

HB_TEST(rfc9369_packets, server_initial)
{
	pv_check_packet(&rfc9369, PV_SERVER_INITIAL);
}

HB_TEST(rfc9369_packets, chacha20_short_header)
{
	pv_check_packet(&rfc9369, PV_CHACHA_SHORT);
}

HB_TEST(rfc9369_packets, chacha20_pn_encoding)
{
	pv_check_chacha_pn(&rfc9369);
}

HB_TEST(rfc9369_packets, retry)
{
	pv_check_retry(&rfc9369);
}
