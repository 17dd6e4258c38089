/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Transport parameters, RFC 9000 §7.4 and §18 (version_information: RFC 9368 §3-§4;
 * max_datagram_frame_size: RFC 9221 §3): round trips for both roles, truncation loops, every
 * rejection of shared/bad-input.md B2-B5, defaults.
 */
#include <string.h>

#include <quic/error.h>
#include <quic/tparams.h>

#include "hb_test.h"

TestSuite(tparams);

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static const uint8_t cid_a[8] = {0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08};
static const uint8_t cid_b[5] = {0xf0, 0x67, 0xa5, 0x50, 0x2a};
static const uint8_t cid_c[20] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10,
				  11, 12, 13, 14, 15, 16, 17, 18, 19, 20};

/* Every parameter set, each away from its default. */
static void
fill_all(struct quic_tparams *tp)
{
	struct quic_tp_preferred_address *pa = &tp->preferred_address;
	struct quic_tp_version_info *vi = &tp->version_info;

	quic_tparams_init_default(tp);
	cr_assert(eq(int, quic_tparams_set_cid(tp, QUIC_TP_ORIGINAL_DCID, cid_a, 8), 0));
	cr_assert(eq(int, quic_tparams_set_int(tp, QUIC_TP_MAX_IDLE_TIMEOUT, 30000), 0));
	for (int i = 0; i < QUIC_TP_RESET_TOKEN_LEN; i++)
		tp->stateless_reset_token[i] = (uint8_t)(0xe0 + i);
	tp->present |= QUIC_TP_BIT(QUIC_TP_STATELESS_RESET_TOKEN);
	cr_assert(eq(int, quic_tparams_set_int(tp, QUIC_TP_MAX_UDP_PAYLOAD_SIZE, 1472), 0));
	cr_assert(eq(int, quic_tparams_set_int(tp, QUIC_TP_INITIAL_MAX_DATA, 1u << 24), 0));
	cr_assert(eq(int,
		     quic_tparams_set_int(tp, QUIC_TP_INITIAL_MAX_STREAM_DATA_BIDI_LOCAL, 1u << 18),
		     0));
	cr_assert(eq(int,
		     quic_tparams_set_int(tp, QUIC_TP_INITIAL_MAX_STREAM_DATA_BIDI_REMOTE, 65536),
		     0));
	cr_assert(eq(int, quic_tparams_set_int(tp, QUIC_TP_INITIAL_MAX_STREAM_DATA_UNI, 32768), 0));
	cr_assert(eq(int, quic_tparams_set_int(tp, QUIC_TP_INITIAL_MAX_STREAMS_BIDI, 100), 0));
	cr_assert(eq(int,
		     quic_tparams_set_int(tp, QUIC_TP_INITIAL_MAX_STREAMS_UNI, UINT64_C(1) << 60),
		     0));
	cr_assert(eq(int, quic_tparams_set_int(tp, QUIC_TP_ACK_DELAY_EXPONENT, 20), 0));
	cr_assert(eq(int, quic_tparams_set_int(tp, QUIC_TP_MAX_ACK_DELAY, 16383), 0));
	cr_assert(eq(int, quic_tparams_set_int(tp, QUIC_TP_DISABLE_ACTIVE_MIGRATION, 1), 0));
	memcpy(pa->ipv4, "\xc6\x12\x00\x01", 4); /* 198.18.0.1 */
	pa->ipv4_port = 4433;
	memcpy(pa->ipv6, "\x20\x01\x0d\xb8\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01", 16);
	pa->ipv6_port = 443;
	pa->cid.len = 20;
	memcpy(pa->cid.id, cid_c, 20);
	memset(pa->reset_token, 0x5a, sizeof(pa->reset_token));
	tp->present |= QUIC_TP_BIT(QUIC_TP_PREFERRED_ADDRESS);
	cr_assert(eq(int, quic_tparams_set_int(tp, QUIC_TP_ACTIVE_CONNECTION_ID_LIMIT, 8), 0));
	cr_assert(eq(int, quic_tparams_set_cid(tp, QUIC_TP_INITIAL_SCID, cid_b, 5), 0));
	cr_assert(eq(int, quic_tparams_set_cid(tp, QUIC_TP_RETRY_SCID, cid_c, 20), 0));
	vi->chosen = 0x00000001;
	vi->available[0] = 0x6b3343cf; /* QUIC v2, RFC 9369 */
	vi->available[1] = 0x00000001;
	vi->available[2] = 0x1a2a3a4a; /* reserved 0x?a?a?a?a, RFC 9368 §5 */
	vi->n_available = 3;
	tp->present |= QUIC_TP_BIT(QUIC_TP_VERSION_INFORMATION);
	cr_assert(eq(int, quic_tparams_set_int(tp, QUIC_TP_MAX_DATAGRAM_FRAME_SIZE, 1200), 0));
}

#define SERVER_ONLY                                                                                \
	(QUIC_TP_BIT(QUIC_TP_ORIGINAL_DCID) | QUIC_TP_BIT(QUIC_TP_STATELESS_RESET_TOKEN) |         \
	 QUIC_TP_BIT(QUIC_TP_PREFERRED_ADDRESS) | QUIC_TP_BIT(QUIC_TP_RETRY_SCID))

static size_t
encode(const struct quic_tparams *tp, enum quic_tp_sender sender, uint8_t *buf, size_t cap)
{
	struct crypto_wr w;

	crypto_wr_init(&w, buf, cap);
	cr_assert(eq(int, quic_tparams_encode(&w, tp, sender), 0));
	return crypto_wr_len(&w);
}

/*
 * Truncation loop. A block is a sequence of parameters, so a prefix ending exactly between
 * two parameters is itself a valid, shorter block: it must decode to a subset of the full
 * set. Every other strict prefix must be rejected with TRANSPORT_PARAMETER_ERROR.
 */
static void
check_prefixes(const uint8_t *buf, size_t n, enum quic_tp_sender sender, uint64_t full)
{
	bool boundary[1024] = {false};
	struct crypto_rd r;

	cr_assert(lt(sz, n, ARRAY_LEN(boundary)));
	crypto_rd_init(&r, buf, n);
	boundary[0] = true;
	while (crypto_rd_left(&r) > 0) {
		uint64_t id, len;

		cr_assert(quic_get_varint(&r, &id));
		cr_assert(quic_get_varint(&r, &len));
		cr_assert(quic_skip(&r, (size_t)len));
		boundary[r.p - buf] = true;
	}
	for (size_t k = 0; k < n; k++) {
		struct quic_tparams tp;
		int err = quic_tparams_decode(&tp, buf, k, sender);

		if (boundary[k]) {
			cr_assert(eq(int, err, 0), "boundary prefix %zu", k);
			cr_assert(eq(u64, tp.present & ~full, 0));
			cr_assert(ne(u64, tp.present, full));
		} else {
			cr_assert(eq(int, err, QUIC_ERR_TRANSPORT_PARAM), "prefix %zu", k);
		}
	}
}

HB_TEST(tparams, defaults_when_absent)
{
	struct quic_tparams tp;
	uint8_t none[1];

	/* RFC 9000 §18.2: 0 unless stated; 65527, 3, 25 ms, 2. */
	cr_assert(eq(int, quic_tparams_decode(&tp, none, 0, QUIC_TP_FROM_CLIENT), 0));
	cr_assert(eq(u64, tp.present, 0));
	cr_assert(eq(u64, tp.max_idle_timeout, 0));
	cr_assert(eq(u64, tp.max_udp_payload_size, 65527));
	cr_assert(eq(u64, tp.initial_max_data, 0));
	cr_assert(eq(u64, tp.initial_max_stream_data_bidi_local, 0));
	cr_assert(eq(u64, tp.initial_max_stream_data_bidi_remote, 0));
	cr_assert(eq(u64, tp.initial_max_stream_data_uni, 0));
	cr_assert(eq(u64, tp.initial_max_streams_bidi, 0));
	cr_assert(eq(u64, tp.initial_max_streams_uni, 0));
	cr_assert(eq(u64, tp.ack_delay_exponent, 3));
	cr_assert(eq(u64, tp.max_ack_delay, 25));
	cr_assert(eq(u64, tp.active_connection_id_limit, 2));
	cr_assert(eq(u64, tp.max_datagram_frame_size, 0));
	cr_assert(not(quic_tparams_has(&tp, QUIC_TP_DISABLE_ACTIVE_MIGRATION)));
	cr_assert(eq(int, quic_tparams_decode(&tp, NULL, 0, QUIC_TP_FROM_SERVER), 0));
	cr_assert(eq(u64, tp.present, 0));

	/* A block with one parameter leaves the others at their defaults. */
	cr_assert(eq(
		int,
		quic_tparams_decode(&tp, (const uint8_t *)"\x0a\x01\x07", 3, QUIC_TP_FROM_CLIENT),
		0));
	cr_assert(eq(u64, tp.present, QUIC_TP_BIT(QUIC_TP_ACK_DELAY_EXPONENT)));
	cr_assert(eq(u64, tp.ack_delay_exponent, 7));
	cr_assert(eq(u64, tp.max_ack_delay, 25));
}

HB_TEST(tparams, round_trip_server_every_parameter)
{
	struct quic_tparams in, out;
	uint8_t buf[512];
	size_t n;

	fill_all(&in);
	n = encode(&in, QUIC_TP_FROM_SERVER, buf, sizeof(buf));
	cr_assert(eq(int, quic_tparams_decode(&out, buf, n, QUIC_TP_FROM_SERVER), 0));
	cr_assert(eq(u64, out.present, in.present));
	cr_assert(quic_tparams_equal(&in, &out));
	/* A few fields directly, so equality is not the only check. */
	cr_assert(eq(u8, out.original_dcid.len, 8));
	cr_assert(eq(int, memcmp(out.original_dcid.id, cid_a, 8), 0));
	cr_assert(eq(u8, out.stateless_reset_token[15], 0xef));
	cr_assert(eq(u64, out.initial_max_streams_uni, UINT64_C(1) << 60));
	cr_assert(eq(u16, out.preferred_address.ipv4_port, 4433));
	cr_assert(eq(u8, out.preferred_address.ipv6[15], 1));
	cr_assert(eq(u8, out.preferred_address.cid.len, 20));
	cr_assert(eq(u8, out.retry_scid.len, 20));
	cr_assert(eq(u32, out.version_info.chosen, 1));
	cr_assert(eq(sz, out.version_info.n_available, 3));
	cr_assert(eq(u32, out.version_info.available[0], 0x6b3343cf));
	cr_assert(eq(u64, out.max_datagram_frame_size, 1200));
	cr_assert(quic_tparams_has(&out, QUIC_TP_DISABLE_ACTIVE_MIGRATION));
	cr_assert(eq(int, quic_tparams_check_required(&out, QUIC_TP_FROM_SERVER), 0));
	check_prefixes(buf, n, QUIC_TP_FROM_SERVER, in.present);
}

/* A client never encodes the server-only parameters, even when they are set (§18.2). */
HB_TEST(tparams, round_trip_client_skips_server_only)
{
	struct quic_tparams in, out;
	uint8_t buf[512];
	size_t n;

	fill_all(&in);
	n = encode(&in, QUIC_TP_FROM_CLIENT, buf, sizeof(buf));
	cr_assert(eq(int, quic_tparams_decode(&out, buf, n, QUIC_TP_FROM_CLIENT), 0));
	cr_assert(eq(u64, out.present, in.present & ~SERVER_ONLY));
	cr_assert(eq(u8, out.initial_scid.len, 5));
	cr_assert(eq(int, memcmp(out.initial_scid.id, cid_b, 5), 0));
	cr_assert(eq(u64, out.ack_delay_exponent, 20));
	cr_assert(eq(int, quic_tparams_check_required(&out, QUIC_TP_FROM_CLIENT), 0));
	/* Same as the input once the server-only parameters are dropped from it. */
	in.present &= ~SERVER_ONLY;
	cr_assert(quic_tparams_equal(&in, &out));
	check_prefixes(buf, n, QUIC_TP_FROM_CLIENT, in.present);
}

/* Hand-assembled block (§18: ID, Length, Value): decodes and re-encodes byte for byte. */
HB_TEST(tparams, wire_encoding)
{
	static const char hex[] = "01 02 6710"		     /* max_idle_timeout 10000 */
				  "04 04 80100000"	     /* initial_max_data 2^20 */
				  "08 01 10"		     /* initial_max_streams_bidi 16 */
				  "0c 00"		     /* disable_active_migration */
				  "0f 04 01020304"	     /* initial_source_connection_id */
				  "11 08 00000001 00000001"; /* version_information */
	uint8_t in[64], out[64];
	size_t n = hb_hex(hex, in, sizeof(in));
	struct quic_tparams tp;

	cr_assert(eq(int, quic_tparams_decode(&tp, in, n, QUIC_TP_FROM_CLIENT), 0));
	cr_assert(eq(u64, tp.max_idle_timeout, 10000));
	cr_assert(eq(u64, tp.initial_max_data, 1u << 20));
	cr_assert(eq(u64, tp.initial_max_streams_bidi, 16));
	cr_assert(quic_tparams_has(&tp, QUIC_TP_DISABLE_ACTIVE_MIGRATION));
	cr_assert(eq(u8, tp.initial_scid.len, 4));
	cr_assert(eq(u32, tp.version_info.chosen, 1));
	cr_assert(eq(sz, encode(&tp, QUIC_TP_FROM_CLIENT, out, sizeof(out)), n));
	cr_assert(eq(int, memcmp(in, out, n), 0));
	check_prefixes(in, n, QUIC_TP_FROM_CLIENT, tp.present);
}

/* A zero-length CID is a valid value (an endpoint using zero-length CIDs, §7.3). */
HB_TEST(tparams, zero_length_cid)
{
	struct quic_tparams in, out;
	uint8_t buf[16];
	size_t n;

	quic_tparams_init_default(&in);
	cr_assert(eq(int, quic_tparams_set_cid(&in, QUIC_TP_INITIAL_SCID, NULL, 0), 0));
	n = encode(&in, QUIC_TP_FROM_CLIENT, buf, sizeof(buf));
	cr_assert(eq(sz, n, 2));
	cr_assert(eq(int, quic_tparams_decode(&out, buf, n, QUIC_TP_FROM_CLIENT), 0));
	cr_assert(quic_tparams_has(&out, QUIC_TP_INITIAL_SCID));
	cr_assert(eq(u8, out.initial_scid.len, 0));
}

struct tp_case {
	const char *name;
	const char *hex;
	enum quic_tp_sender sender;
	int err;
};

#define C	 QUIC_TP_FROM_CLIENT
#define S	 QUIC_TP_FROM_SERVER
#define BAD	 QUIC_ERR_TRANSPORT_PARAM
#define TOKEN16	 "00112233445566778899aabbccddeeff"
#define PA_ADDRS "c6120001 1151 20010db8000000000000000000000001 01bb"

static const struct tp_case cases[] = {
	/* B2, §18.2: server-only parameters from a client; accepted from a server. */
	{"original_dcid from client", "00 04 01020304", C, BAD},
	{"original_dcid from server", "00 04 01020304", S, 0},
	{"stateless_reset_token from client", "02 10 " TOKEN16, C, BAD},
	{"stateless_reset_token from server", "02 10 " TOKEN16, S, 0},
	{"preferred_address from client", "0d 2d " PA_ADDRS " 04 01020304 " TOKEN16, C, BAD},
	{"preferred_address from server", "0d 2d " PA_ADDRS " 04 01020304 " TOKEN16, S, 0},
	{"retry_scid from client", "10 04 01020304", C, BAD},
	{"retry_scid from server", "10 04 01020304", S, 0},
	/* B3, §18.2: each bound, both sides of it. */
	{"max_udp_payload_size 1199", "03 02 44af", C, BAD},
	{"max_udp_payload_size 1200", "03 02 44b0", C, 0},
	{"max_udp_payload_size 0", "03 01 00", S, BAD},
	{"ack_delay_exponent 21", "0a 01 15", C, BAD},
	{"ack_delay_exponent 20", "0a 01 14", C, 0},
	{"max_ack_delay 2^14", "0b 04 80004000", C, BAD},
	{"max_ack_delay 2^14-1", "0b 02 7fff", C, 0},
	{"active_connection_id_limit 1", "0e 01 01", S, BAD},
	{"active_connection_id_limit 0", "0e 01 00", S, BAD},
	{"active_connection_id_limit 2", "0e 01 02", S, 0},
	{"initial_max_streams_bidi 2^60+1", "08 08 d000000000000001", C, BAD},
	{"initial_max_streams_bidi 2^60", "08 08 d000000000000000", C, 0},
	{"initial_max_streams_uni 2^60+1", "09 08 d000000000000001", S, BAD},
	{"initial_max_streams_uni 2^60", "09 08 d000000000000000", S, 0},
	/* B4, §7.4: duplicates, adjacent or not. */
	{"duplicate max_idle_timeout", "01 01 05 01 01 05", C, BAD},
	{"duplicate initial_scid apart", "0f 01 aa 04 01 00 0f 01 aa", C, BAD},
	{"duplicate disable_active_migration", "0c 00 0c 00", S, BAD},
	/* Each value spans exactly its declared length. */
	{"integer shorter than length", "01 02 05 00", C, BAD},
	{"integer longer than length", "01 01 40", C, BAD},
	{"integer of length 0", "01 00", C, BAD},
	{"integer non-minimal but exact", "01 02 4005", C, 0},
	{"reset token 15 bytes", "02 0f 00112233445566778899aabbccddee", S, BAD},
	{"reset token 17 bytes", "02 11 " TOKEN16 "ff", S, BAD},
	{"disable_active_migration not empty", "0c 01 00", C, BAD},
	{"initial_scid 21 bytes", "0f 15 0102030405060708090a0b0c0d0e0f101112131415", C, BAD},
	{"initial_scid 20 bytes", "0f 14 0102030405060708090a0b0c0d0e0f1011121314", C, 0},
	{"preferred_address CID length 0", "0d 29 " PA_ADDRS " 00 " TOKEN16, S, BAD},
	{"preferred_address CID length 21",
	 "0d 3e " PA_ADDRS " 15 0102030405060708090a0b0c0d0e0f101112131415 " TOKEN16, S, BAD},
	{"preferred_address one byte short",
	 "0d 2c " PA_ADDRS " 04 01020304 "
	 "00112233445566778899aabbccddee",
	 S, BAD},
	{"preferred_address one byte long", "0d 2e " PA_ADDRS " 04 01020304 " TOKEN16 "ff", S, BAD},
	{"preferred_address IPv4 only",
	 "0d 2d c6120001 1151 "
	 "00000000000000000000000000000000"
	 " 0000 04 01020304 " TOKEN16,
	 S, 0},
	/* RFC 9368 §4: version_information that fails to parse. */
	{"version_information empty", "11 00", C, BAD},
	{"version_information length 6", "11 06 00000001 0000", S, BAD},
	{"version_information chosen 0", "11 08 00000000 00000001", S, BAD},
	{"version_information available 0", "11 0c 00000001 00000001 00000000", S, BAD},
	{"version_information client chosen not listed", "11 08 00000001 6b3343cf", C, BAD},
	{"version_information server chosen not listed", "11 08 00000001 6b3343cf", S, 0},
	{"version_information server list empty", "11 04 00000001", S, 0},
	{"version_information client list empty", "11 04 00000001", C, BAD},
	/* Truncation of the block itself. */
	{"length past end", "01 04 05", C, BAD},
	{"ID varint cut", "40", C, BAD},
	{"length varint cut", "01 40", C, BAD},
	{"unknown ID, length past end", "1b 05 0102", C, BAD},
	/* B5, §7.4.2 and §18.1: unknown and reserved (31 * N + 27) IDs are skipped. */
	{"reserved 27", "1b 00", C, 0},
	{"reserved 58 with a value", "3a 03 010203", S, 0},
	{"reserved 31 * 500 + 27", "7ca7 02 abcd", C, 0},
	{"unknown 0x12 to 0x1f", "12 01 ff 1f 00", C, 0},
	{"unknown 8-byte ID", "ffffffffffffffff 01 00", S, 0},
	{"unknown ID twice", "1b 00 1b 00", C, 0},
};

HB_TEST(tparams, decode_rules)
{
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		uint8_t in[128];
		size_t n = hb_hex(cases[i].hex, in, sizeof(in));
		struct quic_tparams tp;

		cr_assert(gt(sz, n, 0), "%s: bad hex", cases[i].name);
		cr_assert(eq(int, quic_tparams_decode(&tp, in, n, cases[i].sender), cases[i].err),
			  "%s", cases[i].name);
	}
}

/* Unknown parameters between known ones do not disturb them. */
HB_TEST(tparams, grease_between_known)
{
	uint8_t in[64];
	size_t n = hb_hex("1b 02 abcd  04 02 4400  7ca7 00  0f 02 aabb  3a 01 00", in, sizeof(in));
	struct quic_tparams tp;

	cr_assert(eq(int, quic_tparams_decode(&tp, in, n, QUIC_TP_FROM_CLIENT), 0));
	cr_assert(eq(u64, tp.present,
		     QUIC_TP_BIT(QUIC_TP_INITIAL_MAX_DATA) | QUIC_TP_BIT(QUIC_TP_INITIAL_SCID)));
	cr_assert(eq(u64, tp.initial_max_data, 1024));
	cr_assert(eq(u8, tp.initial_scid.len, 2));
}

/* version_information keeps 16 versions and counts (but still validates) the rest. */
HB_TEST(tparams, version_information_over_cap)
{
	uint8_t in[3 + 4 + 4 * 20];
	struct quic_tparams tp;
	size_t n = 0;

	in[n++] = QUIC_TP_VERSION_INFORMATION;
	in[n++] = 0x40; /* Length 84 in a 2-byte varint */
	in[n++] = 4 + 4 * 20;
	memcpy(&in[n], "\x00\x00\x00\x01", 4);
	n += 4;
	for (uint32_t v = 0; v < 20; v++) {
		/* The chosen version (1) comes last, beyond what is stored. */
		uint32_t ver = v == 19 ? 1 : 0x0a0a0a0a + v;

		in[n++] = (uint8_t)(ver >> 24);
		in[n++] = (uint8_t)(ver >> 16);
		in[n++] = (uint8_t)(ver >> 8);
		in[n++] = (uint8_t)ver;
	}
	cr_assert(eq(int, quic_tparams_decode(&tp, in, n, QUIC_TP_FROM_CLIENT), 0));
	cr_assert(eq(sz, tp.version_info.n_available, QUIC_TP_MAX_VERSIONS));
	cr_assert(eq(sz, tp.version_info.n_skipped, 4));
	cr_assert(eq(u32, tp.version_info.available[15], 0x0a0a0a0a + 15));
	/* A zero among the skipped entries still fails. */
	memset(&in[n - 8], 0, 4);
	cr_assert(eq(int, quic_tparams_decode(&tp, in, n, QUIC_TP_FROM_CLIENT),
		     QUIC_ERR_TRANSPORT_PARAM));
}

HB_TEST(tparams, encoder_refusals)
{
	struct quic_tparams tp;
	uint8_t buf[512];
	struct crypto_wr w;
	size_t full;

	/* Out-of-range values set behind the setters' back. */
	quic_tparams_init_default(&tp);
	tp.ack_delay_exponent = 21;
	tp.present |= QUIC_TP_BIT(QUIC_TP_ACK_DELAY_EXPONENT);
	crypto_wr_init(&w, buf, sizeof(buf));
	cr_assert(eq(int, quic_tparams_encode(&w, &tp, QUIC_TP_FROM_CLIENT), QUIC_ERR_INVAL));
	cr_assert(eq(sz, crypto_wr_len(&w), 0));

	quic_tparams_init_default(&tp);
	tp.initial_scid.len = 21;
	tp.present |= QUIC_TP_BIT(QUIC_TP_INITIAL_SCID);
	cr_assert(eq(int, quic_tparams_encode(&w, &tp, QUIC_TP_FROM_CLIENT), QUIC_ERR_INVAL));

	quic_tparams_init_default(&tp);
	tp.present |= QUIC_TP_BIT(QUIC_TP_PREFERRED_ADDRESS); /* CID length 0 */
	cr_assert(eq(int, quic_tparams_encode(&w, &tp, QUIC_TP_FROM_SERVER), QUIC_ERR_INVAL));
	/* ...but a client never writes it, so it is not looked at. */
	cr_assert(eq(int, quic_tparams_encode(&w, &tp, QUIC_TP_FROM_CLIENT), 0));
	cr_assert(eq(sz, crypto_wr_len(&w), 0));

	quic_tparams_init_default(&tp);
	tp.version_info.chosen = 1;
	tp.version_info.available[0] = 2;
	tp.version_info.n_available = 1;
	tp.present |= QUIC_TP_BIT(QUIC_TP_VERSION_INFORMATION);
	cr_assert(eq(int, quic_tparams_encode(&w, &tp, QUIC_TP_FROM_CLIENT), QUIC_ERR_INVAL));
	cr_assert(eq(int, quic_tparams_encode(&w, &tp, QUIC_TP_FROM_SERVER), 0));

	/* Every buffer too small: QUIC_ERR_BUFFER and the writer as it was. */
	fill_all(&tp);
	crypto_wr_init(&w, buf, sizeof(buf));
	cr_assert(eq(int, quic_tparams_encode(&w, &tp, QUIC_TP_FROM_SERVER), 0));
	full = crypto_wr_len(&w);
	for (size_t cap = 0; cap < full; cap++) {
		crypto_wr_init(&w, buf, cap);
		cr_assert(eq(int, quic_tparams_encode(&w, &tp, QUIC_TP_FROM_SERVER),
			     QUIC_ERR_BUFFER));
		cr_assert(eq(sz, crypto_wr_len(&w), 0));
		cr_assert(not(w.err));
	}
}

HB_TEST(tparams, setters_validate)
{
	struct quic_tparams tp;
	uint8_t cid[21] = {0};

	quic_tparams_init_default(&tp);
	cr_assert(eq(int, quic_tparams_set_int(&tp, QUIC_TP_MAX_UDP_PAYLOAD_SIZE, 1199),
		     QUIC_ERR_INVAL));
	cr_assert(
		eq(int, quic_tparams_set_int(&tp, QUIC_TP_ACK_DELAY_EXPONENT, 21), QUIC_ERR_INVAL));
	cr_assert(eq(int, quic_tparams_set_int(&tp, QUIC_TP_MAX_ACK_DELAY, 1u << 14),
		     QUIC_ERR_INVAL));
	cr_assert(eq(int, quic_tparams_set_int(&tp, QUIC_TP_ACTIVE_CONNECTION_ID_LIMIT, 1),
		     QUIC_ERR_INVAL));
	cr_assert(eq(int,
		     quic_tparams_set_int(&tp, QUIC_TP_INITIAL_MAX_STREAMS_BIDI,
					  (UINT64_C(1) << 60) + 1),
		     QUIC_ERR_INVAL));
	cr_assert(eq(int, quic_tparams_set_int(&tp, QUIC_TP_INITIAL_MAX_DATA, QUIC_VARINT_MAX + 1),
		     QUIC_ERR_INVAL));
	cr_assert(eq(int, quic_tparams_set_int(&tp, QUIC_TP_INITIAL_SCID, 5), QUIC_ERR_INVAL));
	cr_assert(
		eq(int, quic_tparams_set_cid(&tp, QUIC_TP_INITIAL_SCID, cid, 21), QUIC_ERR_INVAL));
	cr_assert(eq(int, quic_tparams_set_cid(&tp, QUIC_TP_MAX_IDLE_TIMEOUT, cid, 4),
		     QUIC_ERR_INVAL));
	cr_assert(eq(u64, tp.present, 0));
}

/* §7.3: initial_source_connection_id from both, original_destination_connection_id from S. */
HB_TEST(tparams, check_required)
{
	struct quic_tparams tp;

	quic_tparams_init_default(&tp);
	cr_assert(eq(int, quic_tparams_check_required(&tp, QUIC_TP_FROM_CLIENT),
		     QUIC_ERR_TRANSPORT_PARAM));
	cr_assert(eq(int, quic_tparams_set_cid(&tp, QUIC_TP_INITIAL_SCID, cid_a, 8), 0));
	cr_assert(eq(int, quic_tparams_check_required(&tp, QUIC_TP_FROM_CLIENT), 0));
	cr_assert(eq(int, quic_tparams_check_required(&tp, QUIC_TP_FROM_SERVER),
		     QUIC_ERR_TRANSPORT_PARAM));
	cr_assert(eq(int, quic_tparams_set_cid(&tp, QUIC_TP_ORIGINAL_DCID, cid_a, 8), 0));
	cr_assert(eq(int, quic_tparams_check_required(&tp, QUIC_TP_FROM_SERVER), 0));
	cr_assert(eq(u64, quic_err_to_transport(QUIC_ERR_TRANSPORT_PARAM),
		     QUIC_TRANSPORT_PARAMETER_ERROR));
}
