/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * HTTP/3 connection rules of a server (RFC 9114 §6, §7; RFC 9204 §4.2-§4.4): our control and
 * QPACK streams, the client's, and each connection error with its code pinned.
 */
#include "h3_test.h"

TestSuite(h3_conn);

/* Expect a connection error with this application code; later input is refused with it. */
static void
expect_error(struct harness *h, int rc, uint64_t code)
{
	uint64_t ids[4];

	cr_assert(lt(int, rc, 0));
	cr_assert(eq(u64, quic_app_conn_error(h->app, NULL), code));
	cr_assert(eq(u64, quic_h3_err_to_app(rc), code));
	cr_assert(eq(int, quic_app_on_stream_data(h->app, 0, (const uint8_t *)"x", 1, false), rc));
	cr_assert(eq(sz, quic_app_pending(h->app, ids, 4), 0));
}

static void
expect_ok(struct harness *h)
{
	cr_assert(eq(u64, quic_app_conn_error(h->app, NULL), 0));
}

static int
feed(struct harness *h, uint64_t id, const uint8_t *p, size_t n, bool fin)
{
	return quic_app_on_stream_data(h->app, id, p, n, fin);
}

/* Bytes from hex, fed on a stream. */
static int
feed_hex(struct harness *h, uint64_t id, const char *hex, bool fin)
{
	uint8_t buf[256];
	size_t n = hb_hex(hex, buf, sizeof(buf));

	return feed(h, id, buf, n, fin);
}

HB_TEST(h3_conn, own_streams_open_with_settings)
{
	struct harness h;
	struct quic_h3_settings s;
	const struct out_stream *ctl;
	uint64_t type, len;
	int n;

	h_init(&h, QUIC_APP_H3);
	h3_setup(&h);
	h_drain(&h);
	ctl = h_out(&h, 3);
	/* §6.2.1: stream type 0x00, then SETTINGS first; no FIN on critical streams. */
	cr_assert(eq(u8, ctl->data[0], QUIC_H3_STREAM_CONTROL));
	n = quic_h3_frame_header_decode(ctl->data + 1, ctl->len - 1, &type, &len);
	cr_assert(gt(int, n, 0));
	cr_assert(eq(u64, type, QUIC_H3_FRAME_SETTINGS));
	cr_assert(eq(u64, len, ctl->len - 1 - (size_t)n));
	cr_assert(eq(int, quic_h3_settings_decode(ctl->data + 1 + n, (size_t)len, &s), 0));
	cr_assert(eq(u64, s.qpack_max_table_capacity, 0));
	cr_assert(eq(u64, s.qpack_blocked_streams, 0));
	cr_assert(eq(u64, s.max_field_section_size, QUIC_H3_DEFAULT_MAX_FIELD_SECTION));
	cr_assert(eq(u32, s.present,
		     1u << QUIC_H3_SETTING_QPACK_MAX_TABLE_CAPACITY |
			     1u << QUIC_H3_SETTING_QPACK_BLOCKED_STREAMS |
			     1u << QUIC_H3_SETTING_MAX_FIELD_SECTION_SIZE));
	cr_assert(not(ctl->fin));
	/* RFC 9204 §4.2: no QPACK streams of ours (dynamic table capacity 0 both ways). */
	cr_assert(eq(sz, h.nout, 1));
	/* The client's SETTINGS were taken. */
	cr_assert(not(eq(ptr, (void *)(uintptr_t)quic_app_peer_settings(h.app), NULL)));
	cr_assert(eq(u64, quic_app_peer_settings(h.app)->max_field_section_size, 65536));
	/* Only server unidirectional ids, only three. */
	cr_assert(eq(int, quic_app_on_uni_opened(h.app, 15), QUIC_ERR_INVAL));
	expect_ok(&h);
	h_fini(&h);
}

HB_TEST(h3_conn, uni_opened_rejects_bad_ids)
{
	struct harness h;

	h_init(&h, QUIC_APP_H3);
	cr_assert(eq(int, quic_app_on_uni_opened(h.app, 2), QUIC_ERR_INVAL));
	cr_assert(eq(int, quic_app_on_uni_opened(h.app, 1), QUIC_ERR_INVAL));
	cr_assert(eq(int, quic_app_on_uni_opened(h.app, 3), 0));
	cr_assert(eq(int, quic_app_on_uni_opened(h.app, 3), QUIC_ERR_INVAL));
	/* Server-initiated streams never carry client data. */
	cr_assert(eq(int, feed(&h, 3, (const uint8_t *)"x", 1, false), QUIC_ERR_INVAL));
	cr_assert(eq(int, feed(&h, 1, (const uint8_t *)"x", 1, false), QUIC_ERR_INVAL));
	h_fini(&h);
}

HB_TEST(h3_conn, control_stream_split_bytewise)
{
	struct harness h;
	uint8_t ctl[64];
	size_t n;

	h_init(&h, QUIC_APP_H3);
	n = c_control(ctl, sizeof(ctl));
	h_data_bytewise(&h, 2, ctl, n, false);
	expect_ok(&h);
	cr_assert(eq(u64, quic_app_peer_settings(h.app)->max_field_section_size, 65536));
	h_fini(&h);
}

HB_TEST(h3_conn, duplicate_setting)
{
	struct harness h;

	h_init(&h, QUIC_APP_H3);
	/* control, SETTINGS { 0x06: 1, 0x06: 2 } (§7.2.4) */
	expect_error(&h, feed_hex(&h, 2, "00 04 04 0601 0602", false), QUIC_H3_SETTINGS_ERROR);
	h_fini(&h);
}

HB_TEST(h3_conn, http2_settings)
{
	for (uint8_t id = 0x02; id <= 0x05; id++) {
		struct harness h;
		uint8_t p[] = {0x00, 0x04, 0x02, id, 0x00};

		h_init(&h, QUIC_APP_H3);
		expect_error(&h, feed(&h, 2, p, sizeof(p), false), QUIC_H3_SETTINGS_ERROR);
		h_fini(&h);
	}
}

HB_TEST(h3_conn, missing_settings)
{
	/* §6.2.1: GOAWAY, a reserved frame, or DATA before SETTINGS. */
	static const char *const first[] = {"00 0701 00", "00 2100", "00 0000"};

	for (size_t i = 0; i < 3; i++) {
		struct harness h;

		h_init(&h, QUIC_APP_H3);
		expect_error(&h, feed_hex(&h, 2, first[i], false), QUIC_H3_MISSING_SETTINGS);
		h_fini(&h);
	}
}

HB_TEST(h3_conn, second_control_stream)
{
	struct harness h;

	h_init(&h, QUIC_APP_H3);
	cr_assert(eq(int, feed_hex(&h, 2, "00 0400", false), 0));
	expect_error(&h, feed_hex(&h, 6, "00 0400", false), QUIC_H3_STREAM_CREATION_ERROR);
	h_fini(&h);
}

HB_TEST(h3_conn, second_qpack_streams)
{
	static const char *const types[] = {"02", "03"};

	for (size_t i = 0; i < 2; i++) {
		struct harness h;

		h_init(&h, QUIC_APP_H3);
		cr_assert(eq(int, feed_hex(&h, 2, types[i], false), 0));
		expect_error(&h, feed_hex(&h, 6, types[i], false), QUIC_H3_STREAM_CREATION_ERROR);
		h_fini(&h);
	}
}

HB_TEST(h3_conn, client_push_stream)
{
	struct harness h;

	h_init(&h, QUIC_APP_H3);
	/* §6.2.2: only servers push. */
	expect_error(&h, feed_hex(&h, 2, "01 00", false), QUIC_H3_STREAM_CREATION_ERROR);
	h_fini(&h);
}

HB_TEST(h3_conn, critical_stream_closed)
{
	/* FIN on the control stream, or on a QPACK stream (§6.2.1, RFC 9204 §4.2). */
	static const char *const streams[] = {"00 0400", "02", "03"};

	for (size_t i = 0; i < 3; i++) {
		struct harness h;

		h_init(&h, QUIC_APP_H3);
		cr_assert(eq(int, feed_hex(&h, 2, streams[i], false), 0));
		expect_error(&h, feed(&h, 2, NULL, 0, true), QUIC_H3_CLOSED_CRITICAL_STREAM);
		h_fini(&h);
	}
}

HB_TEST(h3_conn, critical_stream_reset_or_stopped)
{
	struct harness h;

	h_init(&h, QUIC_APP_H3);
	h3_setup(&h);
	expect_error(&h, quic_app_on_stream_reset(h.app, 2, 0x100), QUIC_H3_CLOSED_CRITICAL_STREAM);
	h_fini(&h);
	/* STOP_SENDING on our control stream asks us to close it. */
	h_init(&h, QUIC_APP_H3);
	h3_setup(&h);
	expect_error(&h, quic_app_on_stream_stopped(h.app, 3, 0x100),
		     QUIC_H3_CLOSED_CRITICAL_STREAM);
	h_fini(&h);
}

HB_TEST(h3_conn, frames_unexpected_on_control)
{
	/* After SETTINGS: DATA, HEADERS, a second SETTINGS, PUSH_PROMISE, an HTTP/2 type. */
	static const char *const frames[] = {"0000", "0100", "0400", "0501 00",
					     "0200", "0600", "0800", "0900"};

	for (size_t i = 0; i < sizeof(frames) / sizeof(frames[0]); i++) {
		struct harness h;

		h_init(&h, QUIC_APP_H3);
		cr_assert(eq(int, feed_hex(&h, 2, "00 0400", false), 0));
		expect_error(&h, feed_hex(&h, 2, frames[i], false), QUIC_H3_FRAME_UNEXPECTED);
		h_fini(&h);
	}
}

HB_TEST(h3_conn, reserved_frames_and_streams_ignored)
{
	struct harness h;

	h_init(&h, QUIC_APP_H3);
	h3_setup(&h);
	/* Reserved and unknown frame types on the control stream (§7.2.8, §9). */
	cr_assert(eq(int, feed_hex(&h, 2, "21 03 aabbcc 4040 00 33 00", false), 0));
	/* Unknown and reserved stream types: ignored, data and FIN alike (§6.2, §6.2.3). */
	cr_assert(eq(int, feed_hex(&h, 14, "21 0102030405", false), 0));
	cr_assert(eq(int, feed_hex(&h, 14, "0607", true), 0));
	cr_assert(eq(int, feed_hex(&h, 18, "4040 00 00 00", true), 0));
	cr_assert(eq(int, feed_hex(&h, 22, "7fff", false), 0));
	cr_assert(eq(int, quic_app_on_stream_reset(h.app, 22, 0x21), 0));
	/* A stream closed before its type is tolerated (§6.2). */
	cr_assert(eq(int, feed_hex(&h, 26, "40", true), 0));
	expect_ok(&h);
	h_fini(&h);
}

/*
 * A stream the peer opened sends nothing (at most a STOP_SENDING, a flag): it is kept without
 * the output prefix our own control stream queues SETTINGS in (issue #6), and draining the
 * output still writes our SETTINGS and nothing on the client's streams. Our control stream
 * has room for SETTINGS (at most 64 bytes) and a GOAWAY, less than a request's 160 bytes
 * (shutdown_before_control_stream queues both at once).
 */
HB_TEST(h3_conn, peer_uni_streams_without_prefix)
{
	static const uint8_t enc[] = {QUIC_H3_STREAM_QPACK_ENCODER};
	struct harness h;
	size_t m0, m1, m2, own, peer;

	h_init(&h, QUIC_APP_H3);
	m0 = quic_app_mem_bytes(h.app);
	cr_assert(eq(int, quic_app_on_uni_opened(h.app, 3), 0));
	m1 = quic_app_mem_bytes(h.app);
	h_data(&h, 2, enc, 1, false); /* the client's first unidirectional stream */
	m2 = quic_app_mem_bytes(h.app);
	own = m1 - m0;
	peer = m2 - m1;
	cr_log_info("h3 app: own control stream %zu B, peer QPACK stream %zu B\n", own, peer);
	cr_assert(gt(sz, peer, 0));
	cr_assert(ge(sz, own, peer + 64 + 17));
	cr_assert(lt(sz, own, peer + 160));
	h_drain(&h);
	expect_ok(&h);
	cr_assert(eq(sz, h.nout, 1));
	cr_assert(gt(sz, h_out(&h, 3)->len, 0));
	h_fini(&h);
}

HB_TEST(h3_conn, goaway_max_push_id_cancel_push)
{
	struct harness h;

	h_init(&h, QUIC_APP_H3);
	cr_assert(eq(int, feed_hex(&h, 2, "00 0400 0701 10 0701 08 0d01 04 0d01 04", false), 0));
	/* §5.2: a GOAWAY may not raise the identifier. */
	expect_error(&h, feed_hex(&h, 2, "0701 09", false), QUIC_H3_ID_ERROR);
	h_fini(&h);
	/* §7.2.7: MAX_PUSH_ID may not decrease. */
	h_init(&h, QUIC_APP_H3);
	expect_error(&h, feed_hex(&h, 2, "00 0400 0d01 04 0d01 03", false), QUIC_H3_ID_ERROR);
	h_fini(&h);
	/* §7.2.3: CANCEL_PUSH of a push never promised. */
	h_init(&h, QUIC_APP_H3);
	expect_error(&h, feed_hex(&h, 2, "00 0400 0301 00", false), QUIC_H3_ID_ERROR);
	h_fini(&h);
	/* §7.1: a GOAWAY payload longer than its varint; one that ends inside it. */
	h_init(&h, QUIC_APP_H3);
	expect_error(&h, feed_hex(&h, 2, "00 0400 0702 0800", false), QUIC_H3_FRAME_ERROR);
	h_fini(&h);
	h_init(&h, QUIC_APP_H3);
	expect_error(&h, feed_hex(&h, 2, "00 0400 0701 40", false), QUIC_H3_FRAME_ERROR);
	h_fini(&h);
	h_init(&h, QUIC_APP_H3);
	expect_error(&h, feed_hex(&h, 2, "00 0400 0709 000000000000000000", false),
		     QUIC_H3_FRAME_ERROR);
	h_fini(&h);
}

HB_TEST(h3_conn, settings_too_large_not_buffered)
{
	struct harness h;

	h_init(&h, QUIC_APP_H3);
	/* A SETTINGS frame announcing 2^30 bytes is refused from its header alone. */
	expect_error(&h, feed_hex(&h, 2, "00 04 c000000040000000", false), QUIC_H3_EXCESSIVE_LOAD);
	h_fini(&h);
}

HB_TEST(h3_conn, qpack_encoder_stream)
{
	struct harness h;

	h_init(&h, QUIC_APP_H3);
	/* Set Dynamic Table Capacity 0 is all a zero-capacity decoder accepts (RFC 9204 §4.3.1). */
	cr_assert(eq(int, feed_hex(&h, 2, "02 20 20", false), 0));
	expect_ok(&h);
	expect_error(&h, feed_hex(&h, 2, "21", false), QUIC_QPACK_ENCODER_STREAM_ERROR);
	h_fini(&h);
	/* Capacity 31 in a continuation byte; an insert with name reference; a duplicate. */
	static const char *const bad[] = {"02 3f00", "02 d1 01 61", "02 4161 0162", "02 00"};

	for (size_t i = 0; i < 4; i++) {
		h_init(&h, QUIC_APP_H3);
		expect_error(&h, feed_hex(&h, 2, bad[i], false), QUIC_QPACK_ENCODER_STREAM_ERROR);
		h_fini(&h);
	}
}

HB_TEST(h3_conn, qpack_decoder_stream)
{
	struct harness h;

	h_init(&h, QUIC_APP_H3);
	/* Stream Cancellations (RFC 9204 §4.4.2), one split across two calls. */
	cr_assert(eq(int, feed_hex(&h, 2, "03 44 7f", false), 0));
	cr_assert(eq(int, feed_hex(&h, 2, "ff 01 40", false), 0));
	expect_ok(&h);
	/* Section Acknowledgment: we never sent a section needing one (§4.4.1). */
	expect_error(&h, feed_hex(&h, 2, "84", false), QUIC_QPACK_DECODER_STREAM_ERROR);
	h_fini(&h);
	/* Insert Count Increment, 0 and 1 (§4.4.3). */
	for (int i = 0; i < 2; i++) {
		uint8_t p[] = {0x03, (uint8_t)i};

		h_init(&h, QUIC_APP_H3);
		expect_error(&h, feed(&h, 2, p, 2, false), QUIC_QPACK_DECODER_STREAM_ERROR);
		h_fini(&h);
	}
	/* A Stream Cancellation whose stream ID overflows 62 bits. */
	h_init(&h, QUIC_APP_H3);
	expect_error(&h, feed_hex(&h, 2, "03 7f ffffffffffffffffff7f", false),
		     QUIC_QPACK_DECODER_STREAM_ERROR);
	h_fini(&h);
}

HB_TEST(h3_conn, request_stream_frame_rules)
{
	/* DATA first; control frames; PUSH_PROMISE; an HTTP/2 type (§4.1, §7.2). */
	static const char *const bad[] = {"0000",    "0400",	"0301 00", "0701 00",
					  "0d01 00", "0501 00", "0200"};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct harness h;

		h_init(&h, QUIC_APP_H3);
		h3_setup(&h);
		expect_error(&h, feed_hex(&h, 0, bad[i], false), QUIC_H3_FRAME_UNEXPECTED);
		h_fini(&h);
	}
}

HB_TEST(h3_conn, request_stream_truncated_frame)
{
	uint8_t req[128];
	struct harness h;
	size_t n;

	h_init(&h, QUIC_APP_H3);
	h3_setup(&h);
	n = c_request(req, sizeof(req), "GET", "/file");
	/* §7.1: FIN inside a frame (each strict prefix that ends mid-frame) is H3_FRAME_ERROR. */
	expect_error(&h, feed(&h, 0, req, n - 1, true), QUIC_H3_FRAME_ERROR);
	h_fini(&h);
	for (size_t k = 1; k < n; k++) {
		h_init(&h, QUIC_APP_H3);
		h3_setup(&h);
		expect_error(&h, feed(&h, 4, req, k, true), QUIC_H3_FRAME_ERROR);
		h_fini(&h);
	}
}

HB_TEST(h3_conn, request_dynamic_reference)
{
	struct harness h;

	h_init(&h, QUIC_APP_H3);
	h3_setup(&h);
	/* HEADERS with Required Insert Count 1: we allowed no dynamic table (RFC 9204 §2.2.3). */
	expect_error(&h, feed_hex(&h, 0, "0103 020080", true), QUIC_QPACK_DECOMPRESSION_FAILED);
	h_fini(&h);
}

HB_TEST(h3_conn, request_incomplete)
{
	struct harness h;
	const struct out_stream *o;

	h_init(&h, QUIC_APP_H3);
	h3_setup(&h);
	/* A reserved frame, then FIN: no header section (§4.1). */
	cr_assert(eq(int, feed_hex(&h, 0, "2100", true), 0));
	h_drain(&h);
	o = h_out(&h, 0);
	cr_assert(o->reset);
	cr_assert(eq(u64, o->reset_code, QUIC_H3_REQUEST_INCOMPLETE));
	cr_assert(eq(sz, o->len, 0));
	expect_ok(&h);
	h_fini(&h);
}

HB_TEST(h3_conn, shutdown_goaway)
{
	struct harness h;
	uint8_t req[128];
	size_t n;
	const struct out_stream *ctl;
	uint64_t type, len, id;
	int k;

	h_init(&h, QUIC_APP_H3);
	h3_setup(&h);
	n = c_request(req, sizeof(req), "GET", "/file");
	h_data(&h, 0, req, n, true);
	cr_assert(eq(int, quic_app_on_stream_opened(h.app, 4), 0));
	h_drain(&h);
	cr_assert(eq(int, quic_app_shutdown(h.app), 0));
	h_drain(&h);
	ctl = h_out(&h, 3);
	/* The control stream ends with GOAWAY(8): 0 and 4 were seen (§5.2). */
	k = quic_h3_frame_header_decode(ctl->data + ctl->len - 3, 3, &type, &len);
	cr_assert(eq(int, k, 2));
	cr_assert(eq(u64, type, QUIC_H3_FRAME_GOAWAY));
	cr_assert(eq(int, quic_h3_varint_frame_decode(ctl->data + ctl->len - 1, 1, &id), 0));
	cr_assert(eq(u64, id, 8));
	/* Stream 8 is refused unprocessed; stream 4, below the GOAWAY, is served. */
	h_data(&h, 8, req, n, true);
	h_data(&h, 4, req, n, true);
	h_drain(&h);
	cr_assert(h_out(&h, 8)->reset);
	cr_assert(eq(u64, h_out(&h, 8)->reset_code, QUIC_H3_REQUEST_REJECTED));
	cr_assert(h_out(&h, 8)->stop);
	cr_assert(h_out(&h, 4)->fin);
	cr_assert(quic_app_idle(h.app));
	expect_ok(&h);
	h_fini(&h);
}

HB_TEST(h3_conn, shutdown_before_control_stream)
{
	struct harness h;
	const struct out_stream *ctl;

	h_init(&h, QUIC_APP_H3);
	cr_assert(eq(int, quic_app_shutdown(h.app), 0));
	cr_assert(eq(int, quic_app_on_uni_opened(h.app, 3), 0));
	h_drain(&h);
	ctl = h_out(&h, 3);
	/* SETTINGS first, then GOAWAY(0). */
	cr_assert(eq(u8, ctl->data[1], QUIC_H3_FRAME_SETTINGS));
	cr_assert(eq(u8, ctl->data[ctl->len - 3], QUIC_H3_FRAME_GOAWAY));
	cr_assert(eq(u8, ctl->data[ctl->len - 1], 0));
	h_fini(&h);
}

HB_TEST(h3_conn, stream_table_exhausted)
{
	struct quic_app_config cfg = {.proto = QUIC_APP_H3, .max_streams = 8};
	struct harness h;
	int rc = 0;

	h_init_cfg(&h, &cfg);
	/* Reserved-type streams that never end: the ninth tracked stream is one too many. */
	for (uint64_t id = 2; id < 2 + 4 * 8 && rc == 0; id += 4)
		rc = feed_hex(&h, id, "21", false);
	cr_assert(eq(int, rc, 0));
	expect_error(&h, feed_hex(&h, 2 + 4 * 8, "21", false), QUIC_H3_EXCESSIVE_LOAD);
	h_fini(&h);
}

/* The slot table grows as streams come (8, 16, 32, then max_streams), and every stream keeps
 * its slot through each growth: the table is full at max_streams, not before. */
HB_TEST(h3_conn, stream_table_grows_to_max_streams)
{
	struct quic_app_config cfg = {.proto = QUIC_APP_H3, .max_streams = 40};
	struct harness h;
	int rc = 0;

	h_init_cfg(&h, &cfg);
	for (uint64_t id = 2; id < 2 + 4 * 40 && rc == 0; id += 4)
		rc = feed_hex(&h, id, "21", false);
	cr_assert(eq(int, rc, 0));
	/* Each of the 40 is still found after the growths: its FIN frees its slot, and 40 more
	 * streams fit again; a 41st at once is one too many. */
	for (uint64_t id = 2; id < 2 + 4 * 40; id += 4)
		cr_assert(eq(int, feed_hex(&h, id, "", true), 0), "stream %llu",
			  (unsigned long long)id);
	for (uint64_t id = 2 + 4 * 40; id < 2 + 4 * 80 && rc == 0; id += 4)
		rc = feed_hex(&h, id, "21", false);
	cr_assert(eq(int, rc, 0));
	expect_error(&h, feed_hex(&h, 2 + 4 * 80, "21", false), QUIC_H3_EXCESSIVE_LOAD);
	h_fini(&h);
}

HB_TEST(h3_conn, bad_config)
{
	struct quic_app *app = NULL;
	struct quic_app_config cfg = {.proto = QUIC_APP_H3};
	uint8_t scratch[16];

	/* h3 and hq need a provider; perf does not. */
	cr_assert(eq(int, quic_app_new(&app, &cfg), QUIC_ERR_INVAL));
	cfg.proto = QUIC_APP_PERF;
	cr_assert(eq(int, quic_app_new(&app, &cfg), 0));
	quic_app_free(app);
	cfg.proto = (enum quic_app_proto)99;
	cr_assert(eq(int, quic_app_new(&app, &cfg), QUIC_ERR_INVAL));
	cfg.proto = QUIC_APP_PERF;
	cfg.scratch = scratch;
	cfg.scratch_len = sizeof(scratch);
	cr_assert(eq(int, quic_app_new(&app, &cfg), QUIC_ERR_INVAL));
	cfg.scratch = NULL;
	cfg.max_streams = 2;
	cr_assert(eq(int, quic_app_new(&app, &cfg), QUIC_ERR_INVAL));
	quic_app_free(NULL);
}

/*
 * Memory of an idle h3 connection: its four control and QPACK streams (our control stream,
 * the client's three) are kept without the inline receive buffer a request stream has
 * (APP_INLINE bytes), and the client's SETTINGS, gathered on the heap, are given back once
 * read.
 */
HB_TEST(h3_conn, idle_streams_are_small)
{
	static const uint8_t part[] = {0x01, 0x10, 0x00}; /* HEADERS, 16 bytes, 1 of them */
	struct harness h;
	size_t m0, m1, m2, per_uni;

	cr_assert(eq(sz, quic_app_mem_bytes(NULL), 0));
	h_init(&h, QUIC_APP_H3);
	m0 = quic_app_mem_bytes(h.app);
	cr_assert(gt(sz, m0, 0));
	h3_setup(&h);
	h_drain(&h);
	expect_ok(&h);
	m1 = quic_app_mem_bytes(h.app);
	cr_assert(gt(sz, m1, m0));
	per_uni = (m1 - m0) / 4;
	/* A request stream, its HEADERS frame begun: a full stream, inline buffer included. */
	cr_assert(eq(int, feed(&h, 0, part, sizeof(part), false), 0));
	expect_ok(&h);
	m2 = quic_app_mem_bytes(h.app);
	cr_log_info("h3 app: %zu B empty, %zu B idle with 4 streams (%zu B each), request +%zu B\n",
		    m0, m1, per_uni, m2 - m1);
	cr_assert(le(sz, per_uni + 256, m2 - m1));
	h_fini(&h);
}
