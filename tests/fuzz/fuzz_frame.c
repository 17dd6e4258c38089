/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target for the frame codec (RFC 9000 §19). Input: one packet payload. Every frame is
 * decoded in turn until the end or the first error; each decoded frame must be encodable, its
 * shortest re-encoding must be no longer than the bytes it came from, must decode back to an
 * equal frame consuming exactly those bytes, and must be a fixpoint (encoding the re-decoded
 * frame gives the same bytes). ACK ranges are walked and must descend. Any violation aborts.
 *
 * The seed corpus in corpus/frame/ comes from the generator at the end of this file:
 *   cc -std=c11 -D_GNU_SOURCE -DHB_FUZZ_FRAME_SEEDS -Iquic/include \
 *      tests/fuzz/fuzz_frame.c BUILD/quic/libhb_quic.a -o gen && ./gen tests/fuzz/corpus/frame
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <quic/error.h>
#include <quic/frame.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(bool ok)
{
	if (!ok)
		abort();
}

/* Ranges descend, never below zero, and end at the smallest the decoder reported. */
static void
check_ack(const struct quic_frame_ack *a)
{
	struct quic_ack_iter it;
	struct quic_ack_range r;
	uint64_t n = 0, prev_smallest = 0;

	quic_ack_iter_init(&it, a);
	while (quic_ack_range_next(&it, &r)) {
		check(r.smallest <= r.largest);
		if (n == 0)
			check(r.largest == a->largest);
		else
			check(r.largest + 2 <= prev_smallest);
		prev_smallest = r.smallest;
		n++;
	}
	check(n == a->range_count + 1);
	check(prev_smallest == a->smallest);
}

static void
check_rules(uint64_t type)
{
	volatile int sink;

	sink = (int)quic_frame_allowed_in(type, QUIC_PKT_INITIAL) +
	       (int)quic_frame_is_ack_eliciting(type) +
	       (int)quic_frame_is_congestion_controlled(type) + (int)quic_frame_is_probing(type);
	(void)sink;
	/* Every type the decoder accepts may travel in 1-RTT packets (§12.4). */
	check(quic_frame_allowed_in(type, QUIC_PKT_1RTT));
}

/* Re-encode f (which took used bytes) into an exactly sized buffer and decode it back. */
static void
check_reencode(const struct quic_frame *f, size_t used)
{
	size_t n = quic_frame_encoded_len(f);
	struct crypto_wr w;
	struct crypto_rd r;
	struct quic_frame g;
	uint8_t *buf, *again;

	check(n > 0 && n <= used);
	buf = malloc(n);
	again = malloc(n);
	check(buf != NULL && again != NULL);
	crypto_wr_init(&w, buf, n);
	check(quic_frame_encode(&w, f) == 0 && crypto_wr_len(&w) == n);
	crypto_rd_init(&r, buf, n);
	check(quic_frame_decode(&r, &g) == 0);
	check(crypto_rd_left(&r) == 0);
	check(quic_frame_equal(f, &g) && quic_frame_equal(&g, f));
	crypto_wr_init(&w, again, n);
	check(quic_frame_encode(&w, &g) == 0 && crypto_wr_len(&w) == n);
	check(memcmp(buf, again, n) == 0);
	free(again);
	free(buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct crypto_rd r;
	size_t frames = 0;

	crypto_rd_init(&r, data, size);
	while (crypto_rd_left(&r) > 0) {
		const uint8_t *start = r.p;
		struct quic_frame f;
		int err = quic_frame_decode(&r, &f);

		if (err != 0) {
			check(err == QUIC_ERR_TRUNCATED || err == QUIC_ERR_FRAME_ENCODING ||
			      err == QUIC_ERR_PROTOCOL);
			break;
		}
		/* Progress on every frame bounds the work by the payload size. */
		check(r.p > start && r.p <= data + size);
		if (f.type == QUIC_FRAME_ACK || f.type == QUIC_FRAME_ACK_ECN)
			check_ack(&f.ack);
		check_rules(f.type);
		check_reencode(&f, (size_t)(r.p - start));
		frames++;
	}
	check(frames <= size);
	return 0;
}

#ifdef HB_FUZZ_FRAME_SEEDS
/* Seed generator: one file per frame type and variant, plus multi-frame payloads. */
#include <stdio.h>

static void
write_seed(const char *dir, const char *name, const uint8_t *buf, size_t len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	check(f != NULL && fwrite(buf, 1, len, f) == len && fclose(f) == 0);
}

static void
seed_frame(const char *dir, const char *name, const struct quic_frame *f)
{
	uint8_t buf[256];
	struct crypto_wr w;

	crypto_wr_init(&w, buf, sizeof(buf));
	check(quic_frame_encode(&w, f) == 0);
	write_seed(dir, name, buf, crypto_wr_len(&w));
}

static void
seed_payloads(const char *dir)
{
	static const struct quic_ack_range ranges[] = {{90, 100}, {50, 80}, {20, 20}, {0, 5}};
	static const struct quic_ack_ecn ecn = {5, 0, 1};
	static const uint8_t hello[] = "client hello bytes";
	static const uint8_t zeros[40];
	uint8_t buf[256];
	struct crypto_wr w;
	size_t n;

	crypto_wr_init(&w, buf, sizeof(buf));
	check(quic_frame_encode_ack(&w, ranges, 4, 25, NULL, &n) == 0);
	write_seed(dir, "ack_ranges", buf, crypto_wr_len(&w));
	crypto_wr_init(&w, buf, sizeof(buf));
	check(quic_frame_encode_ack(&w, ranges, 2, 3, &ecn, &n) == 0);
	write_seed(dir, "ack_ecn", buf, crypto_wr_len(&w));
	/* An Initial-like payload: ACK, CRYPTO, PADDING run. */
	crypto_wr_init(&w, buf, sizeof(buf));
	check(quic_frame_encode_ack(&w, ranges, 1, 0, NULL, &n) == 0);
	check(quic_frame_encode_crypto_fit(&w, 0, hello, sizeof(hello), &n) == 0);
	check(crypto_put_bytes(&w, zeros, sizeof(zeros)));
	write_seed(dir, "initial_payload", buf, crypto_wr_len(&w));
	/* A 1-RTT-like payload ending in a STREAM frame without Length. */
	crypto_wr_init(&w, buf, 64);
	check(crypto_put_u8(&w, QUIC_FRAME_PING));
	check(quic_frame_encode_stream_fit(&w, 4, 1000, hello, sizeof(hello), true, true, &n) == 0);
	write_seed(dir, "ping_stream_last", buf, crypto_wr_len(&w));
}

static void
seed_control(const char *dir)
{
	static const uint8_t cid[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	static const uint8_t token[16] = {0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
					  0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf};
	struct quic_frame f;

	memset(&f, 0, sizeof(f));
	f.type = QUIC_FRAME_RESET_STREAM;
	f.reset_stream.stream_id = 8;
	f.reset_stream.error_code = 0x10c;
	f.reset_stream.final_size = 70000;
	seed_frame(dir, "reset_stream", &f);
	f.type = QUIC_FRAME_STOP_SENDING;
	f.stop_sending.stream_id = 4;
	f.stop_sending.error_code = 0x10b;
	seed_frame(dir, "stop_sending", &f);
	f.type = QUIC_FRAME_NEW_TOKEN;
	f.new_token.len = sizeof(token);
	f.new_token.token = token;
	seed_frame(dir, "new_token", &f);
	f.type = QUIC_FRAME_NEW_CONNECTION_ID;
	f.new_connection_id.seq = 3;
	f.new_connection_id.retire_prior_to = 1;
	f.new_connection_id.cid_len = sizeof(cid);
	f.new_connection_id.cid = cid;
	f.new_connection_id.reset_token = token;
	seed_frame(dir, "new_connection_id", &f);
	f.type = QUIC_FRAME_PATH_CHALLENGE;
	memcpy(f.path.data, token, 8);
	seed_frame(dir, "path_challenge", &f);
	f.type = QUIC_FRAME_CONNECTION_CLOSE;
	f.connection_close.error_code = 0x0a;
	f.connection_close.frame_type = 0x07;
	f.connection_close.reason = (const uint8_t *)"NEW_TOKEN from client";
	f.connection_close.reason_len = 21;
	seed_frame(dir, "connection_close", &f);
	f.type = QUIC_FRAME_CONNECTION_CLOSE_APP;
	f.connection_close.error_code = 0x100;
	f.connection_close.frame_type = 0;
	seed_frame(dir, "connection_close_app", &f);
	f.type = QUIC_FRAME_DATAGRAM_LEN;
	f.datagram.len = 3;
	f.datagram.data = cid;
	seed_frame(dir, "datagram_len", &f);
}

/* Small frames of one or two varints, written together in one payload. */
static void
seed_flow_control(const char *dir)
{
	uint8_t buf[128];
	struct crypto_wr w;
	struct quic_frame f;

	memset(&f, 0, sizeof(f));
	crypto_wr_init(&w, buf, sizeof(buf));
	f.type = QUIC_FRAME_MAX_DATA;
	f.max_data.max = 1u << 20;
	check(quic_frame_encode(&w, &f) == 0);
	f.type = QUIC_FRAME_MAX_STREAM_DATA;
	f.max_stream_data.stream_id = 4;
	f.max_stream_data.max = 65536;
	check(quic_frame_encode(&w, &f) == 0);
	f.type = QUIC_FRAME_MAX_STREAMS_BIDI;
	f.max_streams.max = 100;
	check(quic_frame_encode(&w, &f) == 0);
	f.type = QUIC_FRAME_STREAMS_BLOCKED_UNI;
	f.streams_blocked.limit = 3;
	check(quic_frame_encode(&w, &f) == 0);
	f.type = QUIC_FRAME_DATA_BLOCKED;
	f.data_blocked.limit = 1u << 20;
	check(quic_frame_encode(&w, &f) == 0);
	f.type = QUIC_FRAME_STREAM_DATA_BLOCKED;
	f.stream_data_blocked.stream_id = 4;
	f.stream_data_blocked.limit = 65536;
	check(quic_frame_encode(&w, &f) == 0);
	f.type = QUIC_FRAME_RETIRE_CONNECTION_ID;
	f.retire_connection_id.seq = 2;
	check(quic_frame_encode(&w, &f) == 0);
	check(crypto_put_u8(&w, QUIC_FRAME_HANDSHAKE_DONE));
	write_seed(dir, "flow_control", buf, crypto_wr_len(&w));
}

int
main(int argc, char **argv)
{
	static const uint8_t data[] = "GET /index.html\r\n";
	uint8_t buf[64];
	struct crypto_wr w;
	size_t n;

	if (argc != 2)
		return 2;
	seed_payloads(argv[1]);
	seed_control(argv[1]);
	seed_flow_control(argv[1]);
	crypto_wr_init(&w, buf, sizeof(buf));
	check(quic_frame_encode_stream_fit(&w, 0, 0, data, sizeof(data) - 1, true, false, &n) == 0);
	check(crypto_put_u8(&w, QUIC_FRAME_PADDING));
	write_seed(argv[1], "stream_len_fin", buf, crypto_wr_len(&w));
	return 0;
}
#endif /* HB_FUZZ_FRAME_SEEDS */
