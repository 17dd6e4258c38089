/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target for the HTTP/3 frame layer (RFC 9114 §7) and for connection input on control,
 * QPACK and request streams. The first byte picks the mode:
 *   0: frame codec: frames are decoded one after another; each header, SETTINGS payload and
 *      one-varint payload that decodes must re-encode and decode to the same values;
 *   1, 2, 3: a whole server application (h3, hq-interop, perf) fed a script of stream events:
 *      each op byte names a stream (client bidirectional 0..16, unidirectional 2..18) and an
 *      action (data with or without FIN, reset, STOP_SENDING, closed, opened, a drain of the
 *      output with a given write room, shutdown).
 * Checked, aborting on violation: every call returns a documented value, the output of every
 * stream drains in bounded steps, no more bytes come out than the content and perf sizes
 * allow, and every provider handle taken is released once the app is freed. Memory safety and
 * leaks are left to the sanitizers.
 *
 * Seeds in corpus/h3_frames/ come from the generator at the end of this file:
 *   cc -std=c11 -D_GNU_SOURCE -DHB_FUZZ_H3_SEEDS -Iquic/include tests/fuzz/fuzz_h3_frames.c \
 *      BUILD/quic/libhb_quic.a -o gen && ./gen tests/fuzz/corpus/h3_frames
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <quic/error.h>
#include <quic/h3.h>
#include <quic/qpack.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FILE_A_LEN 100
#define FILE_B_LEN 5000
#define PERF_MAX   20000
#define STREAMS	   10
/* Most bytes the app may send in one run: every request stream answering the largest thing. */
#define OUT_MAX ((uint64_t)STREAMS * (PERF_MAX + FILE_B_LEN + 1024) + 4096)

static void
check(bool ok)
{
	if (!ok)
		abort();
}

/* ---- mode 0: the codec ---- */

static void
check_settings(const uint8_t *p, size_t len)
{
	struct quic_h3_settings s, back;
	uint8_t buf[128];
	struct crypto_wr w;
	uint64_t type, flen;
	int rc = quic_h3_settings_decode(p, len, &s);

	check(rc == 0 || rc == QUIC_H3_ERR_FRAME || rc == QUIC_H3_ERR_SETTINGS ||
	      rc == QUIC_H3_ERR_EXCESSIVE_LOAD);
	if (rc != 0)
		return;
	crypto_wr_init(&w, buf, sizeof(buf));
	check(quic_h3_settings_put(&w, &s, 0x21) == 0);
	rc = quic_h3_frame_header_decode(buf, crypto_wr_len(&w), &type, &flen);
	check(rc > 0 && type == QUIC_H3_FRAME_SETTINGS && flen == crypto_wr_len(&w) - (size_t)rc);
	check(quic_h3_settings_decode(buf + rc, (size_t)flen, &back) == 0);
	check(back.present == s.present &&
	      back.qpack_max_table_capacity == s.qpack_max_table_capacity &&
	      back.qpack_blocked_streams == s.qpack_blocked_streams &&
	      back.max_field_section_size == s.max_field_section_size);
}

static void
check_varint_frame(uint64_t type, const uint8_t *p, size_t len)
{
	uint8_t buf[32];
	struct crypto_wr w;
	uint64_t v, back, t, flen;
	int rc;

	if (quic_h3_varint_frame_decode(p, len, &v) != 0)
		return;
	crypto_wr_init(&w, buf, sizeof(buf));
	check(quic_h3_varint_frame_put(&w, type, v) == 0);
	rc = quic_h3_frame_header_decode(buf, crypto_wr_len(&w), &t, &flen);
	check(rc > 0 && t == type);
	check(quic_h3_varint_frame_decode(buf + rc, (size_t)flen, &back) == 0 && back == v);
}

static void
fuzz_codec(const uint8_t *p, size_t len)
{
	while (len > 0) {
		uint8_t hdr[16];
		struct crypto_wr w;
		uint64_t type, flen, t2, l2;
		int n = quic_h3_frame_header_decode(p, len, &type, &flen);

		if (n < 0) {
			check(n == QUIC_ERR_TRUNCATED);
			return;
		}
		crypto_wr_init(&w, hdr, sizeof(hdr));
		check(quic_h3_frame_header_put(&w, type, flen) == 0);
		check(quic_h3_frame_header_decode(hdr, crypto_wr_len(&w), &t2, &l2) > 0 &&
		      t2 == type && l2 == flen);
		p += n;
		len -= (size_t)n;
		if (flen > len)
			return;
		if (type == QUIC_H3_FRAME_SETTINGS)
			check_settings(p, (size_t)flen);
		else if (type == QUIC_H3_FRAME_GOAWAY || type == QUIC_H3_FRAME_MAX_PUSH_ID ||
			 type == QUIC_H3_FRAME_CANCEL_PUSH)
			check_varint_frame(type, p, (size_t)flen);
		p += flen;
		len -= (size_t)flen;
	}
}

/* ---- modes 1-3: a connection ---- */

struct provider_state {
	int open;
};

static int
prov_lookup(void *ctx, const char *path, struct quic_app_object *obj)
{
	struct provider_state *ps = ctx;
	uintptr_t h;

	if (strcmp(path, "/a") == 0) {
		obj->size = FILE_A_LEN;
		h = 1;
	} else if (strcmp(path, "/b") == 0) {
		obj->size = FILE_B_LEN;
		h = 2;
	} else if (strcmp(path, "/bad") == 0) {
		obj->size = 10;
		h = 3;
	} else {
		return -1;
	}
	obj->handle = (void *)h;
	ps->open++;
	return 0;
}

/* "/b" reads at most 700 bytes at a time; "/bad" cannot be read. */
static int
prov_read(void *ctx, void *handle, uint64_t offset, uint8_t *buf, size_t len)
{
	uintptr_t h = (uintptr_t)handle;

	(void)ctx;
	check(len > 0 && h >= 1 && h <= 3);
	check(offset + len <= (h == 1 ? FILE_A_LEN : h == 2 ? FILE_B_LEN : 10));
	if (h == 3)
		return -1;
	if (h == 2 && len > 700)
		len = 700;
	memset(buf, 'x', len);
	return (int)len;
}

static void
prov_release(void *ctx, void *handle)
{
	struct provider_state *ps = ctx;

	(void)handle;
	ps->open--;
	check(ps->open >= 0);
}

static uint64_t
stream_of(uint8_t sel)
{
	static const uint64_t ids[STREAMS] = {0, 4, 8, 12, 16, 2, 6, 10, 14, 18};

	return ids[sel % STREAMS];
}

/* Pull and commit the output of every stream with the given write room; bounded. */
static void
drain(struct quic_app *app, size_t room, uint64_t *out_total)
{
	static uint8_t buf[4096];
	uint64_t ids[64];
	int rounds = 0;
	size_t n;

	if (room == 0 || room > sizeof(buf))
		room = sizeof(buf);
	while ((n = quic_app_pending(app, ids, 64)) > 0) {
		check(++rounds < 100000);
		for (size_t i = 0; i < n; i++) {
			struct quic_app_tx tx;

			check(quic_app_stream_tx(app, ids[i], buf, room, &tx) == 0);
			check(tx.len <= room && !(tx.reset && tx.len > 0));
			*out_total += tx.len;
			check(*out_total <= OUT_MAX);
			check(quic_app_stream_tx_commit(app, ids[i], tx.len) == 0);
		}
	}
}

static void
run_op(struct quic_app *app, const uint8_t **p, size_t *len, uint64_t *out)
{
	uint8_t op = (*p)[0], arg = *len > 1 ? (*p)[1] : 0;
	uint64_t id = stream_of(op & 0x0f);
	size_t chunk;
	int rc = 0;

	*p += 1;
	*len -= 1;
	switch (op >> 4) {
	case 10:
		rc = quic_app_on_stream_reset(app, id, arg);
		break;
	case 11:
		rc = quic_app_on_stream_stopped(app, id, arg);
		break;
	case 12:
		quic_app_on_stream_closed(app, id);
		break;
	case 13:
		drain(app, arg * 16u, out);
		break;
	case 14:
		rc = quic_app_shutdown(app);
		break;
	case 15:
		rc = quic_app_on_stream_opened(app, id);
		break;
	default: /* data: the next byte is the chunk length, then the chunk */
		chunk = *len > 0 ? (*p)[0] : 0;
		if (*len > 0) {
			*p += 1;
			*len -= 1;
		}
		if (chunk > *len)
			chunk = *len;
		rc = quic_app_on_stream_data(app, id, *p, chunk, (op >> 4) == 1);
		*p += chunk;
		*len -= chunk;
		break;
	}
	check(rc <= 0);
	if (rc < 0)
		check(quic_app_conn_error(app, NULL) != 0);
}

static void
fuzz_conn(enum quic_app_proto proto, const uint8_t *p, size_t len)
{
	struct provider_state ps = {0};
	struct quic_app_provider prov = {&ps, prov_lookup, prov_read, prov_release};
	struct quic_app_config cfg = {
		.proto = proto,
		.provider = &prov,
		.max_field_section_size = 1024,
		.max_streams = 16,
		.buffer_budget = 4096,
		.perf_max_size = PERF_MAX,
	};
	struct quic_app *app;
	uint64_t out = 0;

	check(quic_app_new(&app, &cfg) == 0);
	for (uint64_t id = 3; quic_app_uni_wanted(app) > 0; id += 4)
		check(quic_app_on_uni_opened(app, id) == 0);
	while (len > 0 && quic_app_conn_error(app, NULL) == 0)
		run_op(app, &p, &len, &out);
	drain(app, 1200, &out);
	quic_app_free(app);
	check(ps.open == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	switch (data[0] % 4) {
	case 0:
		fuzz_codec(data + 1, size - 1);
		break;
	case 1:
		fuzz_conn(QUIC_APP_H3, data + 1, size - 1);
		break;
	case 2:
		fuzz_conn(QUIC_APP_HQ, data + 1, size - 1);
		break;
	default:
		fuzz_conn(QUIC_APP_PERF, data + 1, size - 1);
		break;
	}
	return 0;
}

#ifdef HB_FUZZ_H3_SEEDS
/* Seed generator: codec frames, and scripts for a good h3 exchange and for error cases. */
#include <stdio.h>

struct seed {
	uint8_t buf[2048];
	struct crypto_wr w;
};

static void
seed_init(struct seed *s, uint8_t mode)
{
	crypto_wr_init(&s->w, s->buf, sizeof(s->buf));
	crypto_put_u8(&s->w, mode);
}

/* A data op: stream selector, FIN flag, chunk. */
static void
seed_data(struct seed *s, uint8_t sel, bool fin, const uint8_t *p, size_t len)
{
	check(len < 256);
	crypto_put_u8(&s->w, (uint8_t)((fin ? 0x10 : 0x00) | sel));
	crypto_put_u8(&s->w, (uint8_t)len);
	crypto_put_bytes(&s->w, p, len);
}

static void
seed_write(struct seed *s, const char *dir, const char *name)
{
	char path[512];
	FILE *f;

	check(!s->w.err);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	check(f != NULL && fwrite(s->buf, 1, crypto_wr_len(&s->w), f) == crypto_wr_len(&s->w) &&
	      fclose(f) == 0);
}

/* Client control stream type and SETTINGS; QPACK stream types. */
static void
seed_preamble(struct seed *s)
{
	uint8_t ctl[32];
	struct crypto_wr w;
	struct quic_h3_settings set;
	static const uint8_t enc[] = {0x02, 0x20}, dec[] = {0x03};

	quic_h3_settings_init(&set);
	set.max_field_section_size = 4096;
	set.present = 1u << QUIC_H3_SETTING_MAX_FIELD_SECTION_SIZE;
	crypto_wr_init(&w, ctl, sizeof(ctl));
	crypto_put_u8(&w, 0x00);
	check(quic_h3_settings_put(&w, &set, 0x40) == 0);
	seed_data(s, 5, false, ctl, crypto_wr_len(&w));
	seed_data(s, 6, false, enc, sizeof(enc));
	seed_data(s, 7, false, dec, sizeof(dec));
}

/* A HEADERS frame for method and path. */
static void
seed_request(struct seed *s, uint8_t sel, const char *method, const char *path)
{
	uint8_t fields[256], frame[300];
	struct crypto_wr fw, w;

	crypto_wr_init(&fw, fields, sizeof(fields));
	quic_qpack_put_prefix(&fw);
	quic_qpack_put_field(&fw, ":method", 7, method, strlen(method));
	quic_qpack_put_field(&fw, ":scheme", 7, "https", 5);
	quic_qpack_put_field(&fw, ":authority", 10, "localhost", 9);
	quic_qpack_put_field(&fw, ":path", 5, path, strlen(path));
	crypto_wr_init(&w, frame, sizeof(frame));
	quic_h3_frame_header_put(&w, QUIC_H3_FRAME_HEADERS, crypto_wr_len(&fw));
	crypto_put_bytes(&w, fields, crypto_wr_len(&fw));
	seed_data(s, sel, true, frame, crypto_wr_len(&w));
}

static void
seeds_codec(const char *dir)
{
	static const uint8_t frames[] = {
		0x04, 0x06, 0x01, 0x00, 0x06, 0x44, 0x00, 0x07, /* SETTINGS */
		0x07, 0x01, 0x08,				/* GOAWAY 8 */
		0x0d, 0x02, 0x40, 0x10,				/* MAX_PUSH_ID */
		0x21, 0x03, 0xaa, 0xbb, 0xcc,			/* reserved type */
		0x00, 0x02, 'h',  'i',				/* DATA */
	};
	static const uint8_t dup[] = {0x04, 0x04, 0x06, 0x01, 0x06, 0x02};
	struct seed s;

	seed_init(&s, 0);
	crypto_put_bytes(&s.w, frames, sizeof(frames));
	seed_write(&s, dir, "codec_frames");
	seed_init(&s, 0);
	crypto_put_bytes(&s.w, dup, sizeof(dup));
	seed_write(&s, dir, "codec_settings_dup");
}

static void
seeds_h3(const char *dir)
{
	static const uint8_t drain_op[] = {0xd0, 0x40};
	static const uint8_t data_first[] = {0x00, 0x01, 'x'};
	static const uint8_t dyn[] = {0x01, 0x03, 0x02, 0x00, 0x80};
	static const uint8_t bad_enc[] = {0x3f, 0xe1, 0x1f};
	struct seed s;

	seed_init(&s, 1);
	seed_preamble(&s);
	seed_request(&s, 0, "GET", "/a");
	seed_request(&s, 1, "HEAD", "/b");
	seed_request(&s, 2, "GET", "/../etc/passwd");
	seed_request(&s, 3, "POST", "/a");
	crypto_put_bytes(&s.w, drain_op, sizeof(drain_op));
	seed_write(&s, dir, "h3_requests");
	seed_init(&s, 1);
	seed_preamble(&s);
	seed_data(&s, 0, true, data_first, sizeof(data_first));
	seed_write(&s, dir, "h3_data_first");
	seed_init(&s, 1);
	seed_preamble(&s);
	seed_data(&s, 0, true, dyn, sizeof(dyn));
	seed_write(&s, dir, "h3_dynamic_ref");
	seed_init(&s, 1);
	seed_data(&s, 6, false, bad_enc, sizeof(bad_enc));
	seed_write(&s, dir, "h3_bad_encoder");
	seed_init(&s, 1);
	seed_preamble(&s);
	seed_request(&s, 0, "GET", "/bad");
	crypto_put_u8(&s.w, 0xe0); /* shutdown */
	seed_request(&s, 1, "GET", "/b");
	seed_write(&s, dir, "h3_shutdown");
}

static void
seeds_hq_perf(const char *dir)
{
	static const uint8_t get[] = "GET /b\r\n";
	static const uint8_t size[] = {0, 0, 0, 0, 0, 0, 0x10, 0x00, 'u', 'p'};
	struct seed s;

	seed_init(&s, 2);
	seed_data(&s, 0, true, get, sizeof(get) - 1);
	seed_data(&s, 1, false, get, 4);
	seed_data(&s, 1, true, get + 4, sizeof(get) - 5);
	seed_write(&s, dir, "hq_get");
	seed_init(&s, 3);
	seed_data(&s, 0, false, size, 3);
	seed_data(&s, 0, true, size + 3, sizeof(size) - 3);
	seed_write(&s, dir, "perf_size");
}

int
main(int argc, char **argv)
{
	if (argc != 2)
		return 2;
	seeds_codec(argv[1]);
	seeds_h3(argv[1]);
	seeds_hq_perf(argv[1]);
	return 0;
}
#endif /* HB_FUZZ_H3_SEEDS */
