/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * HTTP/3 requests end to end in memory (RFC 9114 §4): a client built here sends its control
 * stream and a request, the server app's output is parsed back. Responses (200, HEAD, 404,
 * 405, 431), malformed requests (§4.1.2, H3_MESSAGE_ERROR), path traversal (404 without a
 * lookup), and the output interface under short writes.
 */
#include <quic/pool.h>

#include "h3_test.h"

TestSuite(h3_request);

/* Send a request on stream id, drain with the given room, parse the response. */
static const struct out_stream *
get(struct harness *h, uint64_t id, const char *method, const char *path, struct response *r)
{
	uint8_t req[2048];
	size_t n = c_request(req, sizeof(req), method, path);
	const struct out_stream *o;

	h_data(h, id, req, n, true);
	h_drain(h);
	o = h_out(h, id);
	cr_assert(o->fin, "response not finished");
	cr_assert(not(o->reset));
	c_parse_response(o, r);
	cr_assert(eq(int, r->headers_frames, 1));
	return o;
}

static void
expect_404(struct harness *h, uint64_t id, const char *path)
{
	struct response r;

	get(h, id, "GET", path, &r);
	cr_assert(eq(int, r.status, 404), "%s", path);
	cr_assert(eq(i64, r.content_length, 0));
	cr_assert(eq(sz, r.body_len, 0));
	free(r.body);
}

HB_TEST(h3_request, get_file)
{
	struct harness h;
	struct response r;

	h_init(&h, QUIC_APP_H3);
	h3_setup(&h);
	get(&h, 0, "GET", "/file", &r);
	cr_assert(eq(int, r.status, 200));
	cr_assert(eq(i64, r.content_length, (long long)sizeof(h3t_file)));
	cr_assert(eq(sz, r.body_len, sizeof(h3t_file)));
	cr_assert(eq(int, memcmp(r.body, h3t_file, sizeof(h3t_file)), 0));
	cr_assert(eq(int, strcmp(h.mp.last_path, "/file"), 0));
	free(r.body);
	/* The stream is forgotten once both directions ended. */
	cr_assert(quic_app_idle(h.app));
	cr_assert(eq(u64, quic_app_conn_error(h.app, NULL), 0));
	h_fini(&h);
}

HB_TEST(h3_request, big_file_short_writes)
{
	struct harness h;
	struct response r;
	uint8_t req[256];
	size_t n;

	h_init(&h, QUIC_APP_H3);
	h3_setup(&h);
	n = c_request(req, sizeof(req), "GET", "/big");
	/* The request arrives a byte at a time; output leaves 7 bytes at a time, half committed. */
	h_data_bytewise(&h, 0, req, n, true);
	h_drain_mode(&h, 7, true);
	c_parse_response(h_out(&h, 0), &r);
	cr_assert(h_out(&h, 0)->fin);
	cr_assert(eq(int, r.status, 200));
	cr_assert(eq(sz, r.body_len, sizeof(h3t_big)));
	cr_assert(eq(int, memcmp(r.body, h3t_big, sizeof(h3t_big)), 0));
	free(r.body);
	h_fini(&h);
}

HB_TEST(h3_request, concurrent_requests_large_room)
{
	struct harness h;
	uint8_t req[256];

	h_init(&h, QUIC_APP_H3);
	h3_setup(&h);
	for (uint64_t id = 0; id < 40; id += 4) {
		size_t n = c_request(req, sizeof(req), "GET", id % 8 ? "/big" : "/file");

		h_data(&h, id, req, n, true);
	}
	h_drain_mode(&h, 65536, false);
	for (uint64_t id = 0; id < 40; id += 4) {
		struct response r;

		c_parse_response(h_out(&h, id), &r);
		cr_assert(eq(int, r.status, 200));
		cr_assert(eq(sz, r.body_len, id % 8 ? sizeof(h3t_big) : sizeof(h3t_file)));
		free(r.body);
	}
	h_fini(&h);
}

HB_TEST(h3_request, huffman_request_like_nghttp3)
{
	struct harness h;
	struct response r;
	uint8_t req[64];
	/*
	 * :method GET, :scheme https, :path as a Huffman "/file" (6253505f: 6 bits '/',
	 * 6 'f', 5 'i', 6 'l', 5 'e', 4 bits of padding), :authority as a Huffman
	 * "www.example.com" (RFC 7541 C.4.1).
	 */
	size_t n = hb_hex("01 18 0000 d1 d7 51 84 6253 505f 50 8c f1e3 c2e5 f23a 6ba0 ab90 f4ff",
			  req, sizeof(req));

	h_init(&h, QUIC_APP_H3);
	h3_setup(&h);
	h_data(&h, 0, req, n, true);
	h_drain(&h);
	c_parse_response(h_out(&h, 0), &r);
	cr_assert(eq(int, r.status, 200));
	cr_assert(eq(sz, r.body_len, sizeof(h3t_file)));
	free(r.body);
	h_fini(&h);
}

HB_TEST(h3_request, head)
{
	struct harness h;
	struct response r;

	h_init(&h, QUIC_APP_H3);
	h3_setup(&h);
	get(&h, 0, "HEAD", "/file", &r);
	cr_assert(eq(int, r.status, 200));
	cr_assert(eq(i64, r.content_length, (long long)sizeof(h3t_file)));
	cr_assert(eq(sz, r.body_len, 0));
	free(r.body);
	/* HEAD for a missing file: 404, headers only. */
	get(&h, 4, "HEAD", "/nope", &r);
	cr_assert(eq(int, r.status, 404));
	free(r.body);
	h_fini(&h);
}

HB_TEST(h3_request, empty_file)
{
	struct harness h;
	struct response r;

	h_init(&h, QUIC_APP_H3);
	h3_setup(&h);
	get(&h, 0, "GET", "/empty", &r);
	cr_assert(eq(int, r.status, 200));
	cr_assert(eq(i64, r.content_length, 0));
	cr_assert(eq(sz, r.body_len, 0));
	free(r.body);
	h_fini(&h);
}

HB_TEST(h3_request, escaped_path_served)
{
	struct harness h;
	struct response r;

	h_init(&h, QUIC_APP_H3);
	h3_setup(&h);
	get(&h, 0, "GET", "/dir/a%20b.txt?v=2", &r);
	cr_assert(eq(int, r.status, 200));
	cr_assert(eq(sz, r.body_len, 10));
	cr_assert(eq(int, strcmp(h.mp.last_path, "/dir/a b.txt"), 0));
	free(r.body);
	h_fini(&h);
}

HB_TEST(h3_request, not_found)
{
	struct harness h;

	h_init(&h, QUIC_APP_H3);
	h3_setup(&h);
	expect_404(&h, 0, "/missing");
	expect_404(&h, 4, "/");
	cr_assert(eq(int, h.mp.lookups, 2));
	h_fini(&h);
}

HB_TEST(h3_request, traversal_is_404_without_lookup)
{
	static const char *const paths[] = {
		"/../etc/passwd", "/a/../../b", "/%2e%2e/x", "//etc",	"/a\\..\\b",
		"/a%00b",	  "/%2fetc",	"/./file",   "/file/.", "/a%5c..%5cfile",
	};
	struct harness h;
	uint64_t id = 0;

	h_init(&h, QUIC_APP_H3);
	h3_setup(&h);
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++, id += 4)
		expect_404(&h, id, paths[i]);
	/* Nothing outside the root was ever named to the provider. */
	cr_assert(eq(int, h.mp.lookups, 0));
	h_fini(&h);
}

/* A request whose header section is fields[0..n): expect H3_MESSAGE_ERROR on the stream. */
static void
expect_malformed(const struct field *f, size_t n)
{
	struct harness h;
	uint8_t req[512];
	size_t len;
	const struct out_stream *o;

	h_init(&h, QUIC_APP_H3);
	h3_setup(&h);
	len = c_headers(req, sizeof(req), f, n);
	h_data(&h, 0, req, len, false);
	h_drain(&h);
	o = h_out(&h, 0);
	/* §4.1.2: a stream error: reset and stop reading with H3_MESSAGE_ERROR. */
	cr_assert(o->reset);
	cr_assert(eq(u64, o->reset_code, QUIC_H3_MESSAGE_ERROR));
	cr_assert(o->stop);
	cr_assert(eq(u64, o->stop_code, QUIC_H3_MESSAGE_ERROR));
	cr_assert(eq(sz, o->len, 0));
	cr_assert(eq(u64, quic_app_conn_error(h.app, NULL), 0));
	cr_assert(eq(int, h.mp.lookups, 0));
	/* Late bytes for the abandoned stream are ignored. */
	h_data(&h, 0, req, len, true);
	cr_assert(quic_app_idle(h.app));
	h_fini(&h);
}

/* Malformed header sections (RFC 9114 §4.1.2, §4.2, §4.3.1). */
static const struct {
	struct field f[5];
	size_t n;
} malformed[] = {
	{{{":scheme", "https"}, {":authority", "h"}, {":path", "/file"}}, 3}, /* no :method */
	{{{":method", "GET"}, {":scheme", "https"}, {":authority", "h"}}, 3}, /* no :path */
	{{{":method", "GET"}, {":authority", "h"}, {":path", "/file"}}, 3},   /* no :scheme */
	{{{":method", "GET"}, {":scheme", "https"}, {":path", "/file"}}, 3},  /* no authority */
	{{{":method", "GET"}, {":scheme", "https"}, {":authority", "h"}, {":path", ""}},
	 4}, /* empty :path */
	{{{":method", "GET"}, {":scheme", "https"}, {":authority", "h"}, {":path", "file"}},
	 4}, /* not absolute */
	{{{":method", "GET"},
	  {":scheme", "https"},
	  {":authority", "h"},
	  {":path", "/file"},
	  {":path", "/file"}},
	 5}, /* twice */
	{{{":method", "GET"},
	  {":scheme", "https"},
	  {":authority", "h"},
	  {":path", "/file"},
	  {":status", "200"}},
	 5}, /* response pseudo-header */
	{{{":method", "GET"},
	  {"user-agent", "x"},
	  {":scheme", "https"},
	  {":authority", "h"},
	  {":path", "/file"}},
	 5}, /* pseudo after regular */
	{{{":method", "GET"},
	  {":scheme", "https"},
	  {":authority", "h"},
	  {":path", "/file"},
	  {"User-Agent", "x"}},
	 5}, /* uppercase name */
	{{{":method", "GET"},
	  {":scheme", "https"},
	  {":authority", "h"},
	  {":path", "/file"},
	  {"connection", "close"}},
	 5}, /* connection-specific */
	{{{":method", "GET"},
	  {":scheme", "https"},
	  {":authority", "h"},
	  {":path", "/file"},
	  {"te", "gzip"}},
	 5}, /* TE but "trailers" */
	{{{":method", "GET"},
	  {":scheme", "https"},
	  {":authority", "h"},
	  {":path", "/file"},
	  {"x-a", "1\r\nx-b: 2"}},
	 5}, /* CR LF in a value */
	{{{":method", "GET"},
	  {":scheme", "https"},
	  {":authority", "h"},
	  {":path", "/file"},
	  {"x a", "1"}},
	 5}, /* space in a name */
	{{{":method", "CONNECT"}, {":authority", "h:443"}, {":path", "/file"}}, 3}, /* CONNECT */
};

HB_TEST(h3_request, malformed_requests)
{
	for (size_t i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++)
		expect_malformed(malformed[i].f, malformed[i].n);
}

HB_TEST(h3_request, raw_nul_in_path_is_malformed)
{
	struct harness h;
	uint8_t req[64];
	/* :path "/a\0b" as a literal with name reference 1: NUL is invalid in a value (§4.1.2). */
	size_t n = hb_hex("01 0d 0000 d1 d7 50 01 68 51 04 2f 61 00 62", req, sizeof(req));

	h_init(&h, QUIC_APP_H3);
	h3_setup(&h);
	h_data(&h, 0, req, n, true);
	h_drain(&h);
	cr_assert(h_out(&h, 0)->reset);
	cr_assert(eq(u64, h_out(&h, 0)->reset_code, QUIC_H3_MESSAGE_ERROR));
	cr_assert(eq(int, h.mp.lookups, 0));
	h_fini(&h);
}

HB_TEST(h3_request, method_not_allowed)
{
	static const char *const methods[] = {"POST", "PUT", "DELETE", "OPTIONS", "get"};
	struct harness h;
	uint64_t id = 0;

	h_init(&h, QUIC_APP_H3);
	h3_setup(&h);
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++, id += 4) {
		struct response r;

		get(&h, id, methods[i], "/file", &r);
		cr_assert(eq(int, r.status, 405), "%s", methods[i]);
		cr_assert(r.allow);
		cr_assert(eq(sz, r.body_len, 0));
		free(r.body);
	}
	/* CONNECT with only :method and :authority is well formed, and not supported. */
	{
		const struct field f[] = {{":method", "CONNECT"}, {":authority", "h:443"}};
		uint8_t req[128];
		size_t n = c_headers(req, sizeof(req), f, 2);
		struct response r;

		h_data(&h, id, req, n, true);
		h_drain(&h);
		c_parse_response(h_out(&h, id), &r);
		cr_assert(eq(int, r.status, 405));
		free(r.body);
	}
	cr_assert(eq(int, h.mp.lookups, 0));
	h_fini(&h);
}

HB_TEST(h3_request, field_section_too_large)
{
	struct quic_app_config cfg = {.proto = QUIC_APP_H3, .max_field_section_size = 512};
	struct harness h;
	static char big[600];
	struct field f[] = {{":method", "GET"},
			    {":scheme", "https"},
			    {":authority", "h"},
			    {":path", "/file"},
			    {"x-big", big}};
	uint8_t req[1024];
	size_t n;
	struct response r;

	memset(big, 'a', 400);
	h_init_cfg(&h, &cfg);
	h3_setup(&h);
	/* Decoded: 4 pseudo-headers (~180) + 32 + 5 + 400 > 512, compressed < 512. */
	n = c_headers(req, sizeof(req), f, 5);
	cr_assert(lt(sz, n, 512));
	h_data(&h, 0, req, n, true);
	h_drain(&h);
	c_parse_response(h_out(&h, 0), &r);
	/* RFC 9114 §4.2.2: answered 431, the connection goes on. */
	cr_assert(eq(int, r.status, 431));
	free(r.body);
	/* A section of exactly the limit is accepted: 180 + 32 + 5 + len = 512. */
	{
		size_t base = 0;

		for (size_t i = 0; i < 4; i++)
			base += 32 + strlen(f[i].name) + strlen(f[i].value);
		memset(big, 0, sizeof(big));
		memset(big, 'a', 512 - base - 32 - 5);
	}
	n = c_headers(req, sizeof(req), f, 5);
	h_data(&h, 4, req, n, true);
	h_drain(&h);
	c_parse_response(h_out(&h, 4), &r);
	cr_assert(eq(int, r.status, 200));
	free(r.body);
	cr_assert(eq(u64, quic_app_conn_error(h.app, NULL), 0));
	h_fini(&h);
}

HB_TEST(h3_request, headers_frame_too_large_not_buffered)
{
	struct quic_app_config cfg = {.proto = QUIC_APP_H3, .max_field_section_size = 1024};
	struct harness h;
	uint8_t hdr[16], junk[4096];
	struct crypto_wr w;
	struct response r;

	h_init_cfg(&h, &cfg);
	h3_setup(&h);
	/* A HEADERS frame announcing 1 GiB: answered 431 at once, its payload skipped. */
	crypto_wr_init(&w, hdr, sizeof(hdr));
	cr_assert(eq(int, quic_h3_frame_header_put(&w, QUIC_H3_FRAME_HEADERS, 1u << 30), 0));
	h_data(&h, 0, hdr, crypto_wr_len(&w), false);
	memset(junk, 0xd1, sizeof(junk));
	for (int i = 0; i < 64; i++)
		h_data(&h, 0, junk, sizeof(junk), false);
	h_drain(&h);
	c_parse_response(h_out(&h, 0), &r);
	cr_assert(eq(int, r.status, 431));
	cr_assert(h_out(&h, 0)->fin);
	free(r.body);
	/* The stream is kept until the client ends it; its FIN inside the frame is an error. */
	cr_assert(not(quic_app_idle(h.app)));
	cr_assert(eq(int, quic_app_on_stream_data(h.app, 0, junk, 1, true), QUIC_H3_ERR_FRAME));
	h_fini(&h);
}

HB_TEST(h3_request, body_and_trailers_ignored)
{
	struct harness h;
	uint8_t req[256], more[256];
	size_t n = 0;
	struct crypto_wr w;
	const struct field trailer[] = {{"x-checksum", "abc"}};
	struct response r;

	h_init(&h, QUIC_APP_H3);
	h3_setup(&h);
	n = c_request(req, sizeof(req), "GET", "/file");
	h_data(&h, 0, req, n, false);
	/* DATA, an unknown frame, trailers, then FIN: all accepted after the header section. */
	crypto_wr_init(&w, more, sizeof(more));
	quic_h3_frame_header_put(&w, QUIC_H3_FRAME_DATA, 3);
	crypto_put_bytes(&w, "abc", 3);
	quic_h3_frame_header_put(&w, 0x21, 0);
	n = c_headers(more + crypto_wr_len(&w), sizeof(more) - crypto_wr_len(&w), trailer, 1);
	h_data(&h, 0, more, crypto_wr_len(&w) + n, false);
	h_drain(&h);
	c_parse_response(h_out(&h, 0), &r);
	cr_assert(eq(int, r.status, 200));
	free(r.body);
	cr_assert(not(quic_app_idle(h.app)));
	/* After trailers, DATA is H3_FRAME_UNEXPECTED (§4.1). */
	crypto_wr_init(&w, more, sizeof(more));
	quic_h3_frame_header_put(&w, QUIC_H3_FRAME_DATA, 0);
	cr_assert(eq(int, quic_app_on_stream_data(h.app, 0, more, crypto_wr_len(&w), true),
		     QUIC_H3_ERR_FRAME_UNEXPECTED));
	h_fini(&h);
}

HB_TEST(h3_request, unreadable_file_resets)
{
	struct harness h;
	uint8_t req[128];
	size_t n;
	const struct out_stream *o;
	struct response r;

	h_init(&h, QUIC_APP_H3);
	h3_setup(&h);
	n = c_request(req, sizeof(req), "GET", "/broken");
	h_data(&h, 0, req, n, true);
	h_drain(&h);
	o = h_out(&h, 0);
	/* The header section went out, then the stream was reset: the body cannot be read. */
	cr_assert(o->reset);
	cr_assert(eq(u64, o->reset_code, QUIC_H3_INTERNAL_ERROR));
	cr_assert(not(o->fin));
	c_parse_response(o, &r);
	cr_assert(eq(int, r.status, 200));
	free(r.body);
	h_fini(&h);
}

HB_TEST(h3_request, client_cancels)
{
	struct harness h;
	uint8_t req[128], buf[64];
	size_t n;
	struct quic_app_tx tx;

	h_init(&h, QUIC_APP_H3);
	h3_setup(&h);
	h_drain(&h);
	n = c_request(req, sizeof(req), "GET", "/big");
	h_data(&h, 0, req, n, true);
	/* Part of the response goes out, then the client sends STOP_SENDING. */
	cr_assert(eq(int, quic_app_stream_tx(h.app, 0, buf, sizeof(buf), &tx), 0));
	cr_assert(eq(sz, tx.len, sizeof(buf)));
	cr_assert(eq(int, quic_app_stream_tx_commit(h.app, 0, tx.len), 0));
	cr_assert(eq(int, quic_app_on_stream_stopped(h.app, 0, QUIC_H3_REQUEST_CANCELLED), 0));
	cr_assert(eq(int, quic_app_stream_tx(h.app, 0, buf, sizeof(buf), &tx), 0));
	cr_assert(tx.reset);
	cr_assert(eq(u64, tx.reset_code, QUIC_H3_REQUEST_CANCELLED));
	cr_assert(eq(sz, tx.len, 0));
	cr_assert(eq(int, quic_app_stream_tx_commit(h.app, 0, 0), 0));
	/* Both directions are over: the stream is gone, its file handle released. */
	cr_assert(quic_app_idle(h.app));
	cr_assert(eq(int, h.mp.open, 0));
	/* A reset of a request in progress abandons the response as well. */
	h_data(&h, 4, req, n - 3, false);
	cr_assert(eq(int, quic_app_on_stream_reset(h.app, 4, QUIC_H3_REQUEST_CANCELLED), 0));
	h_drain(&h);
	cr_assert(h_out(&h, 4)->reset);
	cr_assert(quic_app_idle(h.app));
	/* Streams the transport closed are dropped with whatever they held. */
	h_data(&h, 8, req, n, true);
	quic_app_on_stream_closed(h.app, 8);
	cr_assert(eq(int, h.mp.open, 0));
	cr_assert(quic_app_idle(h.app));
	h_fini(&h);
}

HB_TEST(h3_request, commit_checks)
{
	struct harness h;
	uint8_t buf[16];
	struct quic_app_tx tx;

	h_init(&h, QUIC_APP_H3);
	h3_setup(&h);
	cr_assert(eq(int, quic_app_stream_tx(h.app, 3, buf, sizeof(buf), &tx), 0));
	/* More than the peek gave, or an unknown stream, is refused. */
	cr_assert(eq(int, quic_app_stream_tx_commit(h.app, 3, tx.len + 1), QUIC_ERR_INVAL));
	cr_assert(eq(int, quic_app_stream_tx_commit(h.app, 99 * 4, 0), QUIC_ERR_INVAL));
	cr_assert(
		eq(int, quic_app_stream_tx(h.app, 99 * 4, buf, sizeof(buf), &tx), QUIC_ERR_INVAL));
	h_fini(&h);
}

HB_TEST(h3_request, stream_pool_and_shared_scratch)
{
	static uint8_t scratch[QUIC_H3_DEFAULT_MAX_FIELD_SECTION];
	struct quic_pool pool;
	struct quic_app_config cfg = {
		.proto = QUIC_APP_H3,
		.scratch = scratch,
		.scratch_len = sizeof(scratch),
		.stream_pool = &pool,
	};
	struct harness h;
	struct response r;

	cr_assert(eq(int, quic_pool_init(&pool, quic_app_stream_obj_size(), 16, 4), 0));
	h_init_cfg(&h, &cfg);
	h3_setup(&h);
	get(&h, 0, "GET", "/file", &r);
	cr_assert(eq(int, r.status, 200));
	free(r.body);
	h_fini(&h);
	cr_assert(eq(u32, pool.in_use, 0));
	quic_pool_fini(&pool);
}
