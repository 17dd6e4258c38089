/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Helpers for the quic/h3 suites: an in-memory content provider that counts its handles, a
 * harness that drives a struct quic_app and collects what it sends on each stream, and a
 * minimal HTTP/3 client side (frames and QPACK field sections built with the library's own
 * encoders, responses parsed back).
 */
#ifndef HB_H3_TEST_H
#define HB_H3_TEST_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <quic/error.h>
#include <quic/h3.h>
#include <quic/qpack.h>

#include "hb_test.h"

/* ---- provider ---- */

struct mem_file {
	const char *path;
	const uint8_t *data;
	size_t len;
	bool fail_reads; /* read() fails: the response must be abandoned */
};

struct mem_provider {
	struct mem_file files[8];
	size_t n;
	int lookups; /* lookup() calls */
	int open;    /* handles handed out and not released */
	char last_path[QUIC_APP_MAX_PATH + 1];
};

static inline int
mem_lookup(void *ctx, const char *path, struct quic_app_object *obj)
{
	struct mem_provider *mp = ctx;

	mp->lookups++;
	strncpy(mp->last_path, path, sizeof(mp->last_path) - 1);
	for (size_t i = 0; i < mp->n; i++) {
		if (strcmp(mp->files[i].path, path) == 0) {
			obj->size = mp->files[i].len;
			obj->handle = &mp->files[i];
			mp->open++;
			return 0;
		}
	}
	return -1;
}

static inline int
mem_read(void *ctx, void *handle, uint64_t offset, uint8_t *buf, size_t len)
{
	const struct mem_file *f = handle;

	(void)ctx;
	cr_assert(le(u64, offset + len, f->len), "read past the object");
	if (f->fail_reads)
		return -1;
	memcpy(buf, f->data + offset, len);
	return (int)len;
}

static inline void
mem_release(void *ctx, void *handle)
{
	struct mem_provider *mp = ctx;

	(void)handle;
	mp->open--;
}

/* ---- harness ---- */

struct out_stream {
	uint64_t id;
	uint8_t *data;
	size_t len;
	size_t cap;
	bool fin;
	bool reset;
	uint64_t reset_code;
	bool stop;
	uint64_t stop_code;
};

struct harness {
	struct quic_app *app;
	struct mem_provider mp;
	struct quic_app_provider prov;
	struct out_stream out[32];
	size_t nout;
};

/* Test content: "/file" (1000 bytes of a pattern), "/empty", "/big" (200000 bytes). */
static uint8_t h3t_file[1000];
static uint8_t h3t_big[200000];

static inline void
h_init_cfg(struct harness *h, struct quic_app_config *cfg)
{
	memset(h, 0, sizeof(*h));
	for (size_t i = 0; i < sizeof(h3t_file); i++)
		h3t_file[i] = (uint8_t)(i * 7 + 3);
	for (size_t i = 0; i < sizeof(h3t_big); i++)
		h3t_big[i] = (uint8_t)(i * 13 + i / 251);
	h->mp.files[0] = (struct mem_file){"/file", h3t_file, sizeof(h3t_file), false};
	h->mp.files[1] = (struct mem_file){"/empty", h3t_file, 0, false};
	h->mp.files[2] = (struct mem_file){"/big", h3t_big, sizeof(h3t_big), false};
	h->mp.files[3] = (struct mem_file){"/broken", h3t_file, sizeof(h3t_file), true};
	h->mp.files[4] = (struct mem_file){"/dir/a b.txt", h3t_file, 10, false};
	h->mp.n = 5;
	h->prov = (struct quic_app_provider){&h->mp, mem_lookup, mem_read, mem_release};
	cfg->provider = &h->prov;
	cr_assert(eq(int, quic_app_new(&h->app, cfg), 0));
}

static inline void
h_init(struct harness *h, enum quic_app_proto proto)
{
	struct quic_app_config cfg = {.proto = proto};

	h_init_cfg(h, &cfg);
}

static inline struct out_stream *
h_out(struct harness *h, uint64_t id)
{
	for (size_t i = 0; i < h->nout; i++)
		if (h->out[i].id == id)
			return &h->out[i];
	cr_assert(lt(sz, h->nout, sizeof(h->out) / sizeof(h->out[0])));
	h->out[h->nout] = (struct out_stream){.id = id};
	return &h->out[h->nout++];
}

static inline void
h_append(struct out_stream *o, const uint8_t *p, size_t n)
{
	if (o->len + n > o->cap) {
		o->cap = (o->len + n) * 2 + 64;
		o->data = realloc(o->data, o->cap);
		cr_assert(not(eq(ptr, o->data, NULL)));
	}
	if (n > 0)
		memcpy(o->data + o->len, p, n);
	o->len += n;
}

/*
 * Pull everything the app has to send with a write room of room bytes per call; each call's
 * bytes are committed in full, or only their first half when half is set (as a transport with a
 * short write would), so the peek/commit cycle is exercised.
 */
static inline void
h_drain_mode(struct harness *h, size_t room, bool half)
{
	static uint8_t buf[70000];
	uint64_t ids[64];
	size_t n;
	int rounds = 0;

	cr_assert(le(sz, room, sizeof(buf)));
	while ((n = quic_app_pending(h->app, ids, 64)) > 0) {
		cr_assert(lt(int, ++rounds, 1000000), "output does not drain");
		for (size_t i = 0; i < n; i++) {
			struct out_stream *o = h_out(h, ids[i]);
			struct quic_app_tx tx;
			size_t commit;

			cr_assert(eq(int, quic_app_stream_tx(h->app, ids[i], buf, room, &tx), 0));
			cr_assert(le(sz, tx.len, room));
			cr_assert(not(o->fin), "bytes after FIN");
			commit = half && tx.len > 1 ? tx.len / 2 : tx.len;
			h_append(o, buf, commit);
			if (commit == tx.len) {
				o->fin |= tx.fin;
				if (tx.reset) {
					o->reset = true;
					o->reset_code = tx.reset_code;
				}
				if (tx.stop_sending) {
					o->stop = true;
					o->stop_code = tx.stop_code;
				}
			}
			cr_assert(eq(int, quic_app_stream_tx_commit(h->app, ids[i], commit), 0));
		}
	}
}

static inline void
h_drain(struct harness *h)
{
	h_drain_mode(h, 1500, false);
}

static inline void
h_fini(struct harness *h)
{
	quic_app_free(h->app);
	/* Every handle the provider gave out came back. */
	cr_assert(eq(int, h->mp.open, 0));
	for (size_t i = 0; i < h->nout; i++)
		free(h->out[i].data);
}

static inline void
h_data(struct harness *h, uint64_t id, const void *p, size_t n, bool fin)
{
	cr_assert(eq(int, quic_app_on_stream_data(h->app, id, p, n, fin), 0));
}

/* Feed bytes one at a time (FIN with the last). */
static inline void
h_data_bytewise(struct harness *h, uint64_t id, const uint8_t *p, size_t n, bool fin)
{
	for (size_t i = 0; i < n; i++)
		h_data(h, id, p + i, 1, fin && i + 1 == n);
}

/* ---- client side ---- */

struct field {
	const char *name;
	const char *value;
};

/* A HEADERS frame holding fields, encoded with our own QPACK encoder. */
static inline size_t
c_headers(uint8_t *out, size_t cap, const struct field *f, size_t n)
{
	uint8_t sec[4096];
	struct crypto_wr w, fw;

	crypto_wr_init(&fw, sec, sizeof(sec));
	cr_assert(eq(int, quic_qpack_put_prefix(&fw), 0));
	for (size_t i = 0; i < n; i++)
		cr_assert(eq(int,
			     quic_qpack_put_field(&fw, f[i].name, strlen(f[i].name), f[i].value,
						  strlen(f[i].value)),
			     0));
	crypto_wr_init(&w, out, cap);
	cr_assert(eq(int, quic_h3_frame_header_put(&w, QUIC_H3_FRAME_HEADERS, crypto_wr_len(&fw)),
		     0));
	cr_assert(crypto_put_bytes(&w, sec, crypto_wr_len(&fw)));
	return crypto_wr_len(&w);
}

/* A GET-like request's HEADERS frame: method and path, scheme https, authority localhost. */
static inline size_t
c_request(uint8_t *out, size_t cap, const char *method, const char *path)
{
	const struct field f[] = {{":method", method},
				  {":scheme", "https"},
				  {":authority", "localhost"},
				  {":path", path}};

	return c_headers(out, cap, f, 4);
}

/* Client control stream: type 0x00 and SETTINGS. */
static inline size_t
c_control(uint8_t *out, size_t cap)
{
	struct quic_h3_settings s;
	struct crypto_wr w;

	quic_h3_settings_init(&s);
	s.max_field_section_size = 65536;
	s.present = 1u << QUIC_H3_SETTING_MAX_FIELD_SECTION_SIZE;
	crypto_wr_init(&w, out, cap);
	cr_assert(quic_put_varint(&w, QUIC_H3_STREAM_CONTROL));
	cr_assert(eq(int, quic_h3_settings_put(&w, &s, 0x21), 0));
	return crypto_wr_len(&w);
}

/*
 * Open the app's own unidirectional stream, its control stream (3: no QPACK streams, RFC 9204
 * §4.2), and the client's control and QPACK streams (2, 6, 10).
 */
static inline void
h3_setup(struct harness *h)
{
	static const uint8_t enc[] = {QUIC_H3_STREAM_QPACK_ENCODER};
	static const uint8_t dec[] = {QUIC_H3_STREAM_QPACK_DECODER};
	uint8_t ctl[64];
	size_t n = c_control(ctl, sizeof(ctl));

	cr_assert(eq(u32, quic_app_uni_wanted(h->app), 1));
	cr_assert(eq(int, quic_app_on_uni_opened(h->app, 3), 0));
	cr_assert(eq(u32, quic_app_uni_wanted(h->app), 0));
	h_data(h, 2, ctl, n, false);
	h_data(h, 6, enc, 1, false);
	h_data(h, 10, dec, 1, false);
}

/* A parsed HTTP/3 response. */
struct response {
	int status;
	long long content_length; /* -1 when absent */
	bool allow;		  /* an allow field was present */
	uint8_t *body;
	size_t body_len;
	int headers_frames;
};

static inline int
resp_field(void *ctx, const uint8_t *name, size_t nl, const uint8_t *value, size_t vl)
{
	struct response *r = ctx;
	char v[32] = {0};

	memcpy(v, value, vl < sizeof(v) - 1 ? vl : sizeof(v) - 1);
	if (nl == 7 && memcmp(name, ":status", 7) == 0)
		r->status = atoi(v);
	else if (nl == 14 && memcmp(name, "content-length", 14) == 0)
		r->content_length = atoll(v);
	else if (nl == 5 && memcmp(name, "allow", 5) == 0)
		r->allow = true;
	return 0;
}

/* Parse a request stream's output as HEADERS then DATA frames. Free r->body afterwards. */
static inline void
c_parse_response(const struct out_stream *o, struct response *r)
{
	uint8_t scratch[4096];
	size_t off = 0;

	memset(r, 0, sizeof(*r));
	r->content_length = -1;
	r->body = malloc(o->len + 1);
	while (off < o->len) {
		uint64_t type, len;
		int n = quic_h3_frame_header_decode(o->data + off, o->len - off, &type, &len);

		cr_assert(gt(int, n, 0), "truncated frame header in the response");
		off += (size_t)n;
		/* A reset response may stop inside its DATA frame. */
		if (o->reset && len > o->len - off)
			len = o->len - off;
		cr_assert(le(u64, len, o->len - off), "truncated frame in the response");
		if (type == QUIC_H3_FRAME_HEADERS) {
			r->headers_frames++;
			cr_assert(eq(int,
				     quic_qpack_decode_section(o->data + off, (size_t)len, 65536,
							       scratch, sizeof(scratch), resp_field,
							       r),
				     0));
		} else if (type == QUIC_H3_FRAME_DATA) {
			memcpy(r->body + r->body_len, o->data + off, (size_t)len);
			r->body_len += (size_t)len;
		}
		off += (size_t)len;
	}
}

#endif /* HB_H3_TEST_H */
