/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target for the transport parameter codec (RFC 9000 §18). Input: one transport
 * parameter block, decoded as sent by a client and as sent by a server. Whatever decodes must
 * re-encode (no longer than the input, since unknown parameters are dropped and varints
 * shortened), decode again to an equal set, and re-encode to the same bytes; a server's set
 * encoded for the client role must decode as client-sent without the server-only parameters.
 * Any violation aborts.
 *
 * The seed corpus in corpus/tparams/ comes from the generator at the end of this file:
 *   cc -std=c11 -D_GNU_SOURCE -DHB_FUZZ_TPARAMS_SEEDS -Iquic/include \
 *      tests/fuzz/fuzz_tparams.c BUILD/quic/libhb_quic.a -o gen && ./gen tests/fuzz/corpus/tparams
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <quic/error.h>
#include <quic/tparams.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SERVER_ONLY                                                                                \
	(QUIC_TP_BIT(QUIC_TP_ORIGINAL_DCID) | QUIC_TP_BIT(QUIC_TP_STATELESS_RESET_TOKEN) |         \
	 QUIC_TP_BIT(QUIC_TP_PREFERRED_ADDRESS) | QUIC_TP_BIT(QUIC_TP_RETRY_SCID))

static void
check(bool ok)
{
	if (!ok)
		abort();
}

/* Encode tp for sender into a buffer of exactly cap bytes; returns the length or SIZE_MAX. */
static size_t
encode(const struct quic_tparams *tp, enum quic_tp_sender sender, uint8_t *buf, size_t cap)
{
	struct crypto_wr w;

	crypto_wr_init(&w, buf, cap);
	if (quic_tparams_encode(&w, tp, sender) != 0)
		return SIZE_MAX;
	return crypto_wr_len(&w);
}

/* Decode, re-encode for the same sender, decode again, compare; then the fixpoint. */
static void
check_round_trip(const struct quic_tparams *tp, enum quic_tp_sender sender, uint8_t *buf,
		 uint8_t *again, size_t cap)
{
	struct quic_tparams back;
	size_t n, m;

	n = encode(tp, sender, buf, cap);
	check(n != SIZE_MAX);
	check(quic_tparams_decode(&back, buf, n, sender) == 0);
	check(quic_tparams_equal(tp, &back) && quic_tparams_equal(&back, tp));
	m = encode(&back, sender, again, cap);
	check(m == n && memcmp(buf, again, n) == 0);
}

/* A server's set, written for the client role, lacks exactly the server-only parameters. */
static void
check_client_view(const struct quic_tparams *tp, uint8_t *buf, size_t cap)
{
	struct quic_tparams want = *tp, back;
	size_t n;

	n = encode(tp, QUIC_TP_FROM_CLIENT, buf, cap);
	if (n == SIZE_MAX) {
		/* Only version_information can be unsendable by a client (chosen not listed). */
		check(tp->present & QUIC_TP_BIT(QUIC_TP_VERSION_INFORMATION));
		return;
	}
	check(quic_tparams_decode(&back, buf, n, QUIC_TP_FROM_CLIENT) == 0);
	want.present &= ~SERVER_ONLY;
	check(back.present == want.present);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum quic_tp_sender senders[] = {QUIC_TP_FROM_CLIENT, QUIC_TP_FROM_SERVER};
	size_t cap = size > 0 ? size : 1;
	uint8_t *buf = malloc(cap), *again = malloc(cap);

	check(buf != NULL && again != NULL);
	for (size_t i = 0; i < 2; i++) {
		struct quic_tparams tp;
		int err = quic_tparams_decode(&tp, data, size, senders[i]);

		if (err != 0) {
			check(err == QUIC_ERR_TRANSPORT_PARAM);
			continue;
		}
		/* A server-only parameter never survives a client-sent decode. */
		if (senders[i] == QUIC_TP_FROM_CLIENT)
			check(!(tp.present & SERVER_ONLY));
		/* Versions past the stored cap are dropped: only the stored set round-trips. */
		if (tp.version_info.n_skipped == 0)
			check_round_trip(&tp, senders[i], buf, again, cap);
		if (senders[i] == QUIC_TP_FROM_SERVER)
			check_client_view(&tp, buf, cap);
		(void)quic_tparams_check_required(&tp, senders[i]);
	}
	free(again);
	free(buf);
	return 0;
}

#ifdef HB_FUZZ_TPARAMS_SEEDS
/* Seed generator: typical client and server blocks, single parameters, grease. */
#include <stdio.h>

static void
write_seed(const char *dir, const char *name, const struct quic_tparams *tp,
	   enum quic_tp_sender sender, const uint8_t *extra, size_t extra_len)
{
	uint8_t buf[512];
	char path[512];
	struct crypto_wr w;
	FILE *f;

	crypto_wr_init(&w, buf, sizeof(buf));
	check(quic_tparams_encode(&w, tp, sender) == 0);
	check(crypto_put_bytes(&w, extra, extra_len));
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	check(f != NULL && fwrite(buf, 1, crypto_wr_len(&w), f) == crypto_wr_len(&w) &&
	      fclose(f) == 0);
}

static void
client_set(struct quic_tparams *tp)
{
	static const uint8_t scid[8] = {0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08};

	quic_tparams_init_default(tp);
	check(quic_tparams_set_cid(tp, QUIC_TP_INITIAL_SCID, scid, sizeof(scid)) == 0);
	check(quic_tparams_set_int(tp, QUIC_TP_MAX_IDLE_TIMEOUT, 30000) == 0);
	check(quic_tparams_set_int(tp, QUIC_TP_MAX_UDP_PAYLOAD_SIZE, 1472) == 0);
	check(quic_tparams_set_int(tp, QUIC_TP_INITIAL_MAX_DATA, 1u << 24) == 0);
	check(quic_tparams_set_int(tp, QUIC_TP_INITIAL_MAX_STREAM_DATA_BIDI_LOCAL, 1u << 20) == 0);
	check(quic_tparams_set_int(tp, QUIC_TP_INITIAL_MAX_STREAM_DATA_BIDI_REMOTE, 1u << 20) == 0);
	check(quic_tparams_set_int(tp, QUIC_TP_INITIAL_MAX_STREAM_DATA_UNI, 1u << 20) == 0);
	check(quic_tparams_set_int(tp, QUIC_TP_INITIAL_MAX_STREAMS_BIDI, 100) == 0);
	check(quic_tparams_set_int(tp, QUIC_TP_INITIAL_MAX_STREAMS_UNI, 3) == 0);
	check(quic_tparams_set_int(tp, QUIC_TP_ACTIVE_CONNECTION_ID_LIMIT, 4) == 0);
}

static void
server_set(struct quic_tparams *tp)
{
	static const uint8_t odcid[8] = {0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08};
	static const uint8_t scid[5] = {0xf0, 0x67, 0xa5, 0x50, 0x2a};
	struct quic_tp_preferred_address *pa = &tp->preferred_address;

	client_set(tp);
	check(quic_tparams_set_cid(tp, QUIC_TP_ORIGINAL_DCID, odcid, sizeof(odcid)) == 0);
	check(quic_tparams_set_cid(tp, QUIC_TP_INITIAL_SCID, scid, sizeof(scid)) == 0);
	check(quic_tparams_set_cid(tp, QUIC_TP_RETRY_SCID, scid, sizeof(scid)) == 0);
	memset(tp->stateless_reset_token, 0x11, QUIC_TP_RESET_TOKEN_LEN);
	tp->present |= QUIC_TP_BIT(QUIC_TP_STATELESS_RESET_TOKEN);
	check(quic_tparams_set_int(tp, QUIC_TP_ACK_DELAY_EXPONENT, 10) == 0);
	check(quic_tparams_set_int(tp, QUIC_TP_MAX_ACK_DELAY, 40) == 0);
	check(quic_tparams_set_int(tp, QUIC_TP_DISABLE_ACTIVE_MIGRATION, 1) == 0);
	memcpy(pa->ipv4, "\xc6\x12\x00\x01", 4);
	pa->ipv4_port = 4433;
	pa->cid.len = 16;
	memset(pa->cid.id, 0x22, 16);
	memset(pa->reset_token, 0x33, QUIC_TP_RESET_TOKEN_LEN);
	tp->present |= QUIC_TP_BIT(QUIC_TP_PREFERRED_ADDRESS);
	check(quic_tparams_set_int(tp, QUIC_TP_MAX_DATAGRAM_FRAME_SIZE, 1200) == 0);
}

static void
with_versions(struct quic_tparams *tp)
{
	tp->version_info.chosen = 0x00000001;
	tp->version_info.available[0] = 0x6b3343cf;
	tp->version_info.available[1] = 0x00000001;
	tp->version_info.n_available = 2;
	tp->present |= QUIC_TP_BIT(QUIC_TP_VERSION_INFORMATION);
}

int
main(int argc, char **argv)
{
	/* Reserved IDs 27 and 31 * 500 + 27 (§18.1), and an unknown 0x1234. */
	static const uint8_t grease[] = {0x1b, 0x02, 0xab, 0xcd, 0x7c, 0xa7,
					 0x00, 0x52, 0x34, 0x01, 0x00};
	struct quic_tparams tp;

	if (argc != 2)
		return 2;
	client_set(&tp);
	write_seed(argv[1], "client_typical", &tp, QUIC_TP_FROM_CLIENT, NULL, 0);
	with_versions(&tp);
	write_seed(argv[1], "client_version_info", &tp, QUIC_TP_FROM_CLIENT, NULL, 0);
	write_seed(argv[1], "client_grease", &tp, QUIC_TP_FROM_CLIENT, grease, sizeof(grease));
	server_set(&tp);
	write_seed(argv[1], "server_full", &tp, QUIC_TP_FROM_SERVER, NULL, 0);
	with_versions(&tp);
	write_seed(argv[1], "server_version_info", &tp, QUIC_TP_FROM_SERVER, grease,
		   sizeof(grease));
	quic_tparams_init_default(&tp);
	write_seed(argv[1], "grease_only", &tp, QUIC_TP_FROM_CLIENT, grease, sizeof(grease));
	check(quic_tparams_set_cid(&tp, QUIC_TP_INITIAL_SCID, NULL, 0) == 0);
	write_seed(argv[1], "zero_length_scid", &tp, QUIC_TP_FROM_CLIENT, NULL, 0);
	quic_tparams_init_default(&tp);
	check(quic_tparams_set_int(&tp, QUIC_TP_INITIAL_MAX_STREAMS_BIDI, UINT64_C(1) << 60) == 0);
	check(quic_tparams_set_int(&tp, QUIC_TP_MAX_ACK_DELAY, 16383) == 0);
	check(quic_tparams_set_int(&tp, QUIC_TP_ACK_DELAY_EXPONENT, 20) == 0);
	check(quic_tparams_set_int(&tp, QUIC_TP_MAX_UDP_PAYLOAD_SIZE, 1200) == 0);
	write_seed(argv[1], "bounds", &tp, QUIC_TP_FROM_CLIENT, NULL, 0);
	quic_tparams_init_default(&tp);
	check(quic_tparams_set_int(&tp, QUIC_TP_DISABLE_ACTIVE_MIGRATION, 1) == 0);
	write_seed(argv[1], "disable_migration", &tp, QUIC_TP_FROM_CLIENT, NULL, 0);
	quic_tparams_init_default(&tp);
	memset(tp.stateless_reset_token, 0x44, QUIC_TP_RESET_TOKEN_LEN);
	tp.present |= QUIC_TP_BIT(QUIC_TP_STATELESS_RESET_TOKEN);
	write_seed(argv[1], "reset_token", &tp, QUIC_TP_FROM_SERVER, NULL, 0);
	quic_tparams_init_default(&tp);
	check(quic_tparams_set_int(&tp, QUIC_TP_MAX_IDLE_TIMEOUT, QUIC_VARINT_MAX) == 0);
	check(quic_tparams_set_int(&tp, QUIC_TP_INITIAL_MAX_DATA, QUIC_VARINT_MAX) == 0);
	write_seed(argv[1], "max_varints", &tp, QUIC_TP_FROM_CLIENT, NULL, 0);
	server_set(&tp);
	write_seed(argv[1], "server_as_client", &tp, QUIC_TP_FROM_CLIENT, NULL, 0);
	return 0;
}
#endif /* HB_FUZZ_TPARAMS_SEEDS */
