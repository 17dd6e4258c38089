/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The server's qlog writer (dataplane/server/qlog.c): JSON escaping (RFC 8259 §7), separators
 * and bounds, JSON-SEQ records (RFC 7464 §2.2: RS, JSON text, LF), the qlog 0.3 header and
 * events, and the per-connection files.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hb_test.h"
#include "qlog.h"

TestSuite(srv_qlog);

static char out[4096];

static const char *
text(const struct srv_json *j)
{
	cr_assert(lt(sz, j->len, sizeof(out)));
	memcpy(out, j->buf, j->len);
	out[j->len] = '\0';
	return out;
}

/* The writer's text must be exactly want. */
static void
expect(const struct srv_json *j, const char *want)
{
	const char *got = text(j);

	cr_assert(eq(int, strcmp(got, want), 0), "got  %s\nwant %s", got, want);
}

HB_TEST(srv_qlog, string_escaping)
{
	/* quote, backslash, LF, CR, TAB, U+0001, U+007F, "é" (valid), 0xff, a cut "€" (e2 82),
	 * an overlong "/" (c0 af), a UTF-16 surrogate (ed a0 80), a 4-byte emoji (valid). */
	static const uint8_t in[] = {'a',  '"',	 'b',  '\\', '\n', '\r', '\t', 0x01,
				     0x7f, 0xc3, 0xa9, 0xff, 0xe2, 0x82, 'z',  0xc0,
				     0xaf, 0xed, 0xa0, 0x80, 0xf0, 0x9f, 0x98, 0x80};
	char buf[256];
	struct srv_json j;

	srv_json_init(&j, buf, sizeof(buf));
	srv_json_str(&j, in, sizeof(in));
	cr_assert(not(j.overflow));
	expect(&j, "\"a\\\"b\\\\\\n\\r\\t\\u0001\x7f\xc3\xa9\\ufffd\\ufffd\\ufffdz\\ufffd\\ufffd"
		   "\\ufffd\\ufffd\\ufffd\xf0\x9f\x98\x80\"");
}

HB_TEST(srv_qlog, separators_and_nesting)
{
	static const uint8_t id[] = {0x0a, 0xff};
	char buf[256];
	struct srv_json j;

	srv_json_init(&j, buf, sizeof(buf));
	srv_json_open(&j, '{');
	srv_json_key(&j, "a");
	srv_json_u64(&j, UINT64_MAX);
	srv_json_key(&j, "b");
	srv_json_open(&j, '[');
	srv_json_bool(&j, true);
	srv_json_open(&j, '{');
	srv_json_close(&j, '}');
	srv_json_ms(&j, 1234567);
	srv_json_hex(&j, id, sizeof(id));
	srv_json_close(&j, ']');
	srv_json_key(&j, "c");
	srv_json_cstr(&j, "");
	srv_json_close(&j, '}');
	expect(&j, "{\"a\":18446744073709551615,\"b\":[true,{},1.234,\"0aff\"],\"c\":\"\"}");
}

HB_TEST(srv_qlog, never_writes_past_the_buffer)
{
	char buf[16 + 8];
	struct srv_json j;

	memset(buf, '#', sizeof(buf));
	srv_json_init(&j, buf, 16);
	srv_json_open(&j, '[');
	for (int i = 0; i < 10; i++)
		srv_json_u64(&j, 123456);
	cr_assert(j.overflow);
	cr_assert(le(sz, j.len, 16));
	for (size_t i = 16; i < sizeof(buf); i++)
		cr_assert(eq(chr, buf[i], '#'));
	/* Once overflowed, nothing more is written, even what would fit. */
	size_t len = j.len;
	srv_json_close(&j, ']');
	cr_assert(eq(sz, j.len, len));
}

HB_TEST(srv_qlog, header_record)
{
	struct quic_cid odcid = {.len = 4, .data = {0xde, 0xad, 0xbe, 0xef}};
	char buf[1024];
	struct srv_json j;

	srv_json_init(&j, buf, sizeof(buf));
	srv_qlog_header(&j, &odcid, true, 1700000000123);
	expect(&j,
	       "\x1e{\"qlog_version\":\"0.3\",\"qlog_format\":\"JSON-SEQ\",\"title\":\"hayabusa\","
	       "\"trace\":{\"vantage_point\":{\"name\":\"hayabusa\",\"type\":\"server\"},"
	       "\"common_fields\":{\"ODCID\":\"deadbeef\",\"group_id\":\"deadbeef\","
	       "\"protocol_type\":\"QUIC\",\"reference_time\":1700000000123,"
	       "\"time_format\":\"relative\"}}}\n");
}

HB_TEST(srv_qlog, packet_sent_with_frames)
{
	/* ACK largest 5, first range 2 ([3,5]); CRYPTO offset 0 "abc"; STREAM 4 offset 16 "hi"
	 * with OFF|LEN|FIN; then a run of 3 PADDING bytes (RFC 9000 §19). */
	static const uint8_t frames[] = {0x02, 0x05, 0x00, 0x00, 0x02, 0x06, 0x00,
					 0x03, 'a',  'b',  'c',	 0x0f, 0x04, 0x10,
					 0x02, 'h',  'i',  0x00, 0x00, 0x00};
	struct quic_qlog_event ev = {.type = QUIC_QLOG_PACKET_SENT, .now_ns = 2501000};
	char buf[2048];
	struct srv_json j;

	ev.packet = (struct quic_qlog_packet){.type = QUIC_PKT_1RTT,
					      .pn = 7,
					      .length = 1200,
					      .frames = frames,
					      .frames_len = sizeof(frames)};
	srv_json_init(&j, buf, sizeof(buf));
	srv_qlog_event(&j, 1000, true, &ev);
	expect(&j, "\x1e{\"time\":2.500,\"name\":\"transport:packet_sent\",\"data\":{\"header\":"
		   "{\"packet_type\":\"1RTT\",\"packet_number\":7},\"raw\":{\"length\":1200},"
		   "\"frames\":[{\"frame_type\":\"ack\",\"acked_ranges\":[[3,5]]},"
		   "{\"frame_type\":\"crypto\",\"offset\":0,\"length\":3},"
		   "{\"frame_type\":\"stream\",\"stream_id\":4,\"offset\":16,\"length\":2,"
		   "\"fin\":true},{\"frame_type\":\"padding\",\"length\":3,"
		   "\"payload_length\":3}]}}\n");
}

HB_TEST(srv_qlog, close_keys_state_metrics)
{
	static const uint8_t reason[] = {'b', 'a', 'd', 0xff, '"'};
	struct quic_qlog_event ev = {.type = QUIC_QLOG_CONNECTION_CLOSED, .now_ns = 5000000};
	char buf[2048];
	struct srv_json j;

	ev.close = (struct quic_qlog_close){.info = {.error_code = 0x0a, .remote = true},
					    .reason = reason,
					    .reason_len = sizeof(reason)};
	srv_json_init(&j, buf, sizeof(buf));
	srv_qlog_event(&j, 0, true, &ev);
	expect(&j, "\x1e{\"time\":5.000,\"name\":\"connectivity:connection_closed\",\"data\":"
		   "{\"owner\":\"remote\",\"connection_code\":10,\"reason\":\"bad\\ufffd\\\"\","
		   "\"trigger\":\"error\"}}\n");

	ev = (struct quic_qlog_event){.type = QUIC_QLOG_KEY_UPDATED, .now_ns = 0};
	ev.key = (struct quic_qlog_key_event){.key = QUIC_QLOG_KEY_1RTT,
					      .local = false,
					      .generation = 1,
					      .trigger = QUIC_QLOG_TRIGGER_REMOTE_UPDATE};
	srv_json_init(&j, buf, sizeof(buf));
	srv_qlog_event(&j, 0, true, &ev);
	expect(&j, "\x1e{\"time\":0.000,\"name\":\"security:key_updated\",\"data\":{\"key_type\":"
		   "\"client_1rtt_secret\",\"generation\":1,\"trigger\":\"remote_update\"}}\n");

	ev = (struct quic_qlog_event){.type = QUIC_QLOG_STATE_UPDATED, .now_ns = 0};
	ev.state.old_state = QUIC_QLOG_ST_HANDSHAKE_COMPLETE;
	ev.state.new_state = QUIC_QLOG_ST_HANDSHAKE_CONFIRMED;
	srv_json_init(&j, buf, sizeof(buf));
	srv_qlog_event(&j, 0, true, &ev);
	cr_assert(not(eq(ptr,
			 strstr(text(&j), "{\"old\":\"handshake_complete\",\"new\":"
					  "\"handshake_confirmed\"}"),
			 NULL)),
		  "%s", out);

	ev = (struct quic_qlog_event){.type = QUIC_QLOG_METRICS_UPDATED, .now_ns = 0};
	ev.metrics = (struct quic_qlog_metrics){.cwnd = 14720,
						.bytes_in_flight = 1200,
						.smoothed_rtt_ns = 333000000,
						.latest_rtt_ns = 1500000,
						.min_rtt_ns = 1000,
						.rtt_var_ns = 999};
	srv_json_init(&j, buf, sizeof(buf));
	srv_qlog_event(&j, 0, true, &ev);
	cr_assert(not(eq(ptr,
			 strstr(text(&j), "{\"congestion_window\":14720,\"bytes_in_flight\":"
					  "1200,\"smoothed_rtt\":333.000,\"latest_rtt\":"
					  "1.500,\"min_rtt\":0.001,\"rtt_variance\":0.000}"),
			 NULL)),
		  "%s", out);
}

/* Records of a JSON-SEQ file: count them, each RS-started and LF-ended. */
static unsigned
count_records(const char *path)
{
	static char file[1 << 20];
	FILE *f = fopen(path, "rb");
	size_t n;
	unsigned recs = 0;

	cr_assert(not(eq(ptr, f, NULL)));
	n = fread(file, 1, sizeof(file), f);
	fclose(f);
	cr_assert(gt(sz, n, 0));
	cr_assert(eq(chr, file[0], 0x1e));
	cr_assert(eq(chr, file[n - 1], '\n'));
	for (size_t i = 0; i < n; i++)
		if (file[i] == 0x1e) {
			recs++;
			cr_assert(i == 0 || file[i - 1] == '\n');
		}
	return recs;
}

HB_TEST(srv_qlog, one_file_per_connection)
{
	struct quic_cid odcid = {.len = 2, .data = {0x12, 0x34}};
	struct quic_qlog_event ev = {.type = QUIC_QLOG_PACKET_LOST, .now_ns = 10};
	char dir[] = "/tmp/hb-qlog-test-XXXXXX", path[128], err[256];
	struct srv_qlog q;
	void *a, *b;

	cr_assert(not(eq(ptr, mkdtemp(dir), NULL)));
	cr_assert(eq(int, srv_qlog_init(&q, "/nonexistent/qlog", err, sizeof(err)), -1));
	cr_assert(not(eq(ptr, strstr(err, "/nonexistent/qlog"), NULL)));
	cr_assert(eq(int, srv_qlog_init(&q, dir, err, sizeof(err)), 0));
	a = q.ops.open(q.ops.arg, &odcid, true, 0);
	b = q.ops.open(q.ops.arg, &odcid, true, 0); /* same ODCID: a second file */
	cr_assert(not(eq(ptr, a, NULL)));
	cr_assert(not(eq(ptr, b, NULL)));
	ev.packet = (struct quic_qlog_packet){.type = QUIC_PKT_HANDSHAKE, .pn = 3};
	for (int i = 0; i < 2000; i++) /* more than one buffer's worth: flushes on the way */
		q.ops.event(a, &ev);
	q.ops.event(b, &ev);
	q.ops.close(a);
	q.ops.close(b);
	srv_qlog_fini(&q);
	snprintf(path, sizeof(path), "%s/1234.sqlog", dir);
	cr_assert(eq(u32, count_records(path), 2001));
	unlink(path);
	snprintf(path, sizeof(path), "%s/1234-1.sqlog", dir);
	cr_assert(eq(u32, count_records(path), 2));
	unlink(path);
	cr_assert(eq(int, rmdir(dir), 0)); /* no other file was made */
}
