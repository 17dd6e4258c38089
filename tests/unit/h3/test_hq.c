/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hq-interop (HTTP/0.9 over QUIC, the QUIC interop runner's convention) and perf
 * (draft-banks-quic-performance): requests, refusals, limits; and ALPN selection.
 */
#include "h3_test.h"

TestSuite(h3_hq);

static void
hq_get(struct harness *h, uint64_t id, const char *line, bool bytewise)
{
	if (bytewise)
		h_data_bytewise(h, id, (const uint8_t *)line, strlen(line), true);
	else
		h_data(h, id, line, strlen(line), true);
	h_drain(h);
}

HB_TEST(h3_hq, get_file)
{
	static const char *const lines[] = {"GET /file\r\n", "GET /file\n", "GET /file",
					    "GET /file HTTP/1.0\r\n"};
	struct harness h;
	uint64_t id = 0;

	h_init(&h, QUIC_APP_HQ);
	cr_assert(eq(u32, quic_app_uni_wanted(h.app), 0));
	for (size_t i = 0; i < 4; i++) {
		for (int bytewise = 0; bytewise < 2; bytewise++, id += 4) {
			const struct out_stream *o;

			hq_get(&h, id, lines[i], bytewise);
			o = h_out(&h, id);
			cr_assert(o->fin);
			cr_assert(not(o->reset));
			cr_assert(eq(sz, o->len, sizeof(h3t_file)), "%s", lines[i]);
			cr_assert(eq(int, memcmp(o->data, h3t_file, sizeof(h3t_file)), 0));
		}
	}
	cr_assert(quic_app_idle(h.app));
	h_fini(&h);
}

HB_TEST(h3_hq, big_file)
{
	struct harness h;
	const struct out_stream *o;

	h_init(&h, QUIC_APP_HQ);
	h_data(&h, 0, "GET /big\r\n", 10, true);
	h_drain_mode(&h, 1000, true);
	o = h_out(&h, 0);
	cr_assert(o->fin);
	cr_assert(eq(sz, o->len, sizeof(h3t_big)));
	cr_assert(eq(int, memcmp(o->data, h3t_big, sizeof(h3t_big)), 0));
	h_fini(&h);
}

/* Refused requests end with FIN and no bytes, without a stream reset. */
static void
expect_empty(struct harness *h, uint64_t id)
{
	const struct out_stream *o = h_out(h, id);

	cr_assert(o->fin);
	cr_assert(not(o->reset));
	cr_assert(eq(sz, o->len, 0));
}

HB_TEST(h3_hq, refused_requests)
{
	static const char *const lines[] = {
		"GET /missing\r\n",
		"GET /../etc/passwd\r\n",
		"GET /a/../../b\r\n",
		"GET /%2e%2e/x\r\n",
		"GET //etc\r\n",
		"GET /a\\..\\b\r\n",
		"GET /a%00b\r\n",
		"POST /file\r\n",
		"get /file\r\n",
		"GET\r\n",
		"\r\n",
		"GET /empty\r\n",
	};
	struct harness h;
	uint64_t id = 0;

	h_init(&h, QUIC_APP_HQ);
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++, id += 4) {
		hq_get(&h, id, lines[i], false);
		expect_empty(&h, id);
	}
	/* Only "/missing" and "/empty" were looked up: traversal never reaches the provider. */
	cr_assert(eq(int, h.mp.lookups, 2));
	h_fini(&h);
}

HB_TEST(h3_hq, raw_nul_and_empty_stream)
{
	static const char line[] = "GET /fi\0le\r\n";
	struct harness h;

	h_init(&h, QUIC_APP_HQ);
	h_data(&h, 0, line, sizeof(line) - 1, true);
	h_data(&h, 4, NULL, 0, true);
	h_drain(&h);
	expect_empty(&h, 0);
	expect_empty(&h, 4);
	cr_assert(eq(int, h.mp.lookups, 0));
	h_fini(&h);
}

HB_TEST(h3_hq, request_line_bounded)
{
	static char line[QUIC_APP_HQ_MAX_LINE + 64];
	struct harness h;

	h_init(&h, QUIC_APP_HQ);
	memcpy(line, "GET /", 5);
	memset(line + 5, 'a', sizeof(line) - 5);
	/* A line longer than QUIC_APP_HQ_MAX_LINE is refused without waiting for its end. */
	h_data(&h, 0, line, 100, false);
	h_data(&h, 0, line + 100, sizeof(line) - 100, false);
	h_drain(&h);
	expect_empty(&h, 0);
	/* The rest of the stream is dropped until FIN. */
	h_data(&h, 0, line, sizeof(line), false);
	cr_assert(not(quic_app_idle(h.app)));
	h_data(&h, 0, NULL, 0, true);
	cr_assert(quic_app_idle(h.app));
	h_fini(&h);
}

HB_TEST(h3_hq, uni_streams_ignored)
{
	struct harness h;

	h_init(&h, QUIC_APP_HQ);
	h_data(&h, 2, "GET /file\r\n", 11, false);
	h_data(&h, 2, "x", 1, true);
	h_drain(&h);
	cr_assert(eq(sz, h.nout, 0));
	cr_assert(eq(int, h.mp.lookups, 0));
	h_fini(&h);
}

HB_TEST(h3_hq, late_data_on_finished_stream_ignored)
{
	struct harness h;

	h_init(&h, QUIC_APP_HQ);
	hq_get(&h, 0, "GET /file\r\n", false);
	cr_assert(quic_app_idle(h.app));
	/* Stream 0 ended: bytes for it (a transport bug) open nothing. */
	h_data(&h, 0, "GET /file\r\n", 11, true);
	cr_assert(quic_app_idle(h.app));
	cr_assert(eq(int, h.mp.lookups, 1));
	/* A higher stream opens the lower ones not seen yet, as the transport does. */
	h_data(&h, 12, "GET /file\r\n", 11, true);
	cr_assert(not(quic_app_idle(h.app)));
	h_data(&h, 4, "GET /file\r\n", 11, true);
	h_data(&h, 8, NULL, 0, true);
	h_drain(&h);
	cr_assert(eq(sz, h_out(&h, 4)->len, sizeof(h3t_file)));
	cr_assert(eq(sz, h_out(&h, 12)->len, sizeof(h3t_file)));
	cr_assert(quic_app_idle(h.app));
	h_fini(&h);
}

static void
perf_size(uint8_t out[8], uint64_t n)
{
	for (int i = 7; i >= 0; i--, n >>= 8)
		out[i] = (uint8_t)n;
}

HB_TEST(h3_hq, perf_response)
{
	struct quic_app_config cfg = {.proto = QUIC_APP_PERF, .perf_max_size = 1u << 20};
	struct quic_app *app;
	struct harness h;
	uint8_t req[16];
	const struct out_stream *o;

	/* perf needs no provider. */
	cr_assert(eq(int, quic_app_new(&app, &cfg), 0));
	quic_app_free(app);
	h_init_cfg(&h, &cfg);
	perf_size(req, 100000);
	memcpy(req + 8, "upload..", 8);
	/* The size split over calls, followed by upload bytes that are dropped. */
	h_data(&h, 0, req, 3, false);
	h_data(&h, 0, req + 3, 13, false);
	h_drain_mode(&h, 1200, true);
	o = h_out(&h, 0);
	cr_assert(o->fin);
	cr_assert(eq(sz, o->len, 100000));
	for (size_t i = 0; i < o->len; i++)
		cr_assert(eq(u8, o->data[i], (uint8_t)i));
	/* The stream lives until the client's FIN. */
	cr_assert(not(quic_app_idle(h.app)));
	h_data(&h, 0, req, 16, true);
	cr_assert(quic_app_idle(h.app));
	h_fini(&h);
}

HB_TEST(h3_hq, perf_limits)
{
	struct quic_app_config cfg = {.proto = QUIC_APP_PERF, .perf_max_size = 1000};
	struct harness h;
	uint8_t req[8];

	h_init_cfg(&h, &cfg);
	/* Size 0: FIN only. At the limit: served. Above it: reset and STOP_SENDING. */
	perf_size(req, 0);
	h_data(&h, 0, req, 8, true);
	perf_size(req, 1000);
	h_data(&h, 4, req, 8, true);
	perf_size(req, 1001);
	h_data(&h, 8, req, 8, false);
	perf_size(req, UINT64_MAX);
	h_data(&h, 12, req, 8, false);
	/* Ends before its 8 bytes: nothing asked, nothing sent. */
	h_data(&h, 16, req, 5, true);
	h_drain(&h);
	cr_assert(h_out(&h, 0)->fin);
	cr_assert(eq(sz, h_out(&h, 0)->len, 0));
	cr_assert(eq(sz, h_out(&h, 4)->len, 1000));
	for (uint64_t id = 8; id <= 12; id += 4) {
		cr_assert(h_out(&h, id)->reset);
		cr_assert(eq(u64, h_out(&h, id)->reset_code, QUIC_H3_EXCESSIVE_LOAD));
		cr_assert(h_out(&h, id)->stop);
	}
	cr_assert(h_out(&h, 16)->fin);
	cr_assert(eq(sz, h_out(&h, 16)->len, 0));
	cr_assert(quic_app_idle(h.app));
	h_fini(&h);
}

HB_TEST(h3_hq, shutdown_rejects_new_streams)
{
	struct harness h;

	h_init(&h, QUIC_APP_HQ);
	h_data(&h, 0, "GET /file\r\n", 11, true);
	cr_assert(eq(int, quic_app_shutdown(h.app), 0));
	h_data(&h, 4, "GET /file\r\n", 11, true);
	h_drain(&h);
	cr_assert(eq(sz, h_out(&h, 0)->len, sizeof(h3t_file)));
	cr_assert(h_out(&h, 4)->reset);
	cr_assert(eq(u64, h_out(&h, 4)->reset_code, QUIC_H3_REQUEST_REJECTED));
	cr_assert(quic_app_idle(h.app));
	h_fini(&h);
}

HB_TEST(h3_hq, alpn)
{
	enum quic_app_proto p;

	cr_assert(eq(int, quic_app_proto_from_alpn("h3", 2, &p), 0));
	cr_assert(eq(int, p, QUIC_APP_H3));
	cr_assert(eq(int, quic_app_proto_from_alpn("hq-interop", 10, &p), 0));
	cr_assert(eq(int, p, QUIC_APP_HQ));
	cr_assert(eq(int, quic_app_proto_from_alpn("perf", 4, &p), 0));
	cr_assert(eq(int, p, QUIC_APP_PERF));
	cr_assert(eq(int, quic_app_proto_from_alpn("h3-29", 5, &p), QUIC_ERR_INVAL));
	cr_assert(eq(int, quic_app_proto_from_alpn("h3", 1, &p), QUIC_ERR_INVAL));
	cr_assert(eq(int, quic_app_proto_from_alpn("hq-interop!", 11, &p), QUIC_ERR_INVAL));
}
