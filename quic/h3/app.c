/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * struct quic_app: the application side of one connection. This file holds what every
 * protocol shares: configuration, the stream table, input buffers and their budget, the output
 * queue of each stream (prefix bytes, a body, FIN or a reset) with its peek/commit interface,
 * and the public entry points, which dispatch to h3.c (HTTP/3) or hq.c (hq-interop, perf).
 */
#include <stdlib.h>
#include <string.h>

#include <quic/error.h>
#include <quic/h3.h>
#include <quic/pool.h>

#include "app_int.h"

/* Upper bounds on configured limits, so that sizes stay far from overflow. */
#define APP_MAX_FIELD_SECTION_LIMIT (1u << 20)
#define APP_MIN_STREAMS		    8u
#define APP_MAX_STREAMS_LIMIT	    (1u << 16)

size_t
quic_app_stream_obj_size(void)
{
	return sizeof(struct app_stream);
}

int
quic_app_proto_from_alpn(const char *alpn, size_t len, enum quic_app_proto *out)
{
	static const struct {
		const char *name;
		enum quic_app_proto proto;
	} map[] = {{"h3", QUIC_APP_H3}, {"hq-interop", QUIC_APP_HQ}, {"perf", QUIC_APP_PERF}};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (strlen(map[i].name) == len && memcmp(map[i].name, alpn, len) == 0) {
			*out = map[i].proto;
			return 0;
		}
	}
	return QUIC_ERR_INVAL;
}

/* Fill in defaults and check the limits. */
static int
config_apply(struct quic_app_config *cfg)
{
	const struct quic_app_provider *p = cfg->provider;

	if (cfg->proto != QUIC_APP_H3 && cfg->proto != QUIC_APP_HQ && cfg->proto != QUIC_APP_PERF)
		return QUIC_ERR_INVAL;
	if (cfg->proto != QUIC_APP_PERF && (p == NULL || p->lookup == NULL || p->read == NULL))
		return QUIC_ERR_INVAL;
	if (cfg->max_field_section_size == 0)
		cfg->max_field_section_size = QUIC_H3_DEFAULT_MAX_FIELD_SECTION;
	if (cfg->max_streams == 0)
		cfg->max_streams = QUIC_APP_DEFAULT_MAX_STREAMS;
	if (cfg->buffer_budget == 0)
		cfg->buffer_budget = QUIC_APP_DEFAULT_BUFFER_BUDGET;
	if (cfg->perf_max_size == 0)
		cfg->perf_max_size = QUIC_APP_DEFAULT_PERF_MAX;
	if (cfg->max_field_section_size > APP_MAX_FIELD_SECTION_LIMIT ||
	    cfg->max_streams < APP_MIN_STREAMS || cfg->max_streams > APP_MAX_STREAMS_LIMIT)
		return QUIC_ERR_INVAL;
	if (cfg->scratch != NULL && cfg->scratch_len < cfg->max_field_section_size)
		return QUIC_ERR_INVAL;
	if (cfg->stream_pool != NULL && cfg->stream_pool->obj_size < sizeof(struct app_stream))
		return QUIC_ERR_INVAL;
	return 0;
}

/*
 * Room for more streams: the slot arrays start at APP_SLOTS_FIRST entries and double up to
 * nslots, so that an idle connection (its control and QPACK streams) does not hold room for
 * max_streams. ids[] and slots[] share one allocation (ids first), one allocator header and
 * rounding less per connection (issue #6). @return 0, or QUIC_ERR_NOMEM (also when nslots
 * are all there)
 */
static int
slots_grow(struct quic_app *app)
{
	uint32_t n = app->ncap == 0 ? APP_SLOTS_FIRST : app->ncap * 2;
	uint64_t *ids;
	struct app_stream **slots;

	if (n > app->nslots)
		n = app->nslots;
	if (n <= app->ncap)
		return QUIC_ERR_NOMEM;
	ids = malloc(n * (sizeof(ids[0]) + sizeof(slots[0])));
	if (ids == NULL)
		return QUIC_ERR_NOMEM;
	slots = (struct app_stream **)(void *)(ids + n);
	for (uint32_t i = 0; i < n; i++) {
		ids[i] = i < app->ncap ? app->ids[i] : APP_NO_ID;
		slots[i] = i < app->ncap ? app->slots[i] : NULL;
	}
	free(app->ids); /* the block of both */
	app->ids = ids;
	app->slots = slots;
	app->ncap = n;
	return 0;
}

int
quic_app_new(struct quic_app **out, const struct quic_app_config *config)
{
	struct quic_app_config cfg = *config;
	struct quic_app *app;
	int rc;

	app = calloc(1, sizeof(*app));
	if (app == NULL)
		return QUIC_ERR_NOMEM;
	rc = config_apply(&cfg);
	if (rc != 0)
		goto fail;
	app->cfg = (struct app_cfg){
		.provider = cfg.provider,
		.stream_pool = cfg.stream_pool,
		.perf_max_size = cfg.perf_max_size,
		.max_field_section_size = (uint32_t)cfg.max_field_section_size,
		.buffer_budget = cfg.buffer_budget,
		.proto = cfg.proto,
	};
	app->nslots = cfg.max_streams;
	rc = QUIC_ERR_NOMEM;
	if (slots_grow(app) != 0)
		goto fail;
	app->scratch = cfg.scratch;
	if (cfg.proto == QUIC_APP_H3 && app->scratch == NULL) {
		app->scratch = malloc(cfg.max_field_section_size);
		app->own_scratch = true;
		if (app->scratch == NULL)
			goto fail;
	}
	*out = app;
	return 0;
fail:
	quic_app_free(app);
	return rc;
}

void
quic_app_release(struct quic_app *app, struct quic_app_object *obj)
{
	const struct quic_app_provider *p = app->cfg.provider;

	if (p != NULL && p->release != NULL)
		p->release(p->ctx, obj->handle);
	obj->handle = NULL;
}

int
quic_app_lookup(struct quic_app *app, const char *path, struct quic_app_object *obj)
{
	obj->size = 0;
	obj->handle = NULL;
	return app->cfg.provider->lookup(app->cfg.provider->ctx, path, obj) < 0 ? QUIC_H3_ERR_PATH
										: 0;
}

/* Drop the body: release its object, nothing more will be read. */
static void
tx_drop_body(struct quic_app *app, struct app_tx *t)
{
	if (t->has_obj) {
		quic_app_release(app, &t->obj);
		t->has_obj = false;
	}
	t->body_len = t->body_off;
}

static void
slot_free(struct quic_app *app, uint32_t i)
{
	struct app_stream *s = app->slots[i];

	quic_app_rx_release(app, s);
	tx_drop_body(app, &s->tx);
	if (app->cfg.stream_pool != NULL)
		quic_pool_put(app->cfg.stream_pool, s);
	else
		free(s);
	app->slots[i] = NULL;
	app->ids[i] = APP_NO_ID;
}

/*
 * Bytes a stream of this kind is allocated with: all of it from a pool or for a request; a
 * small one without inline_buf, and without prefix[] when the peer opened it (it never gets
 * kind KIND_OWN_CONTROL, the only unidirectional stream that sends).
 */
static size_t
app_stream_bytes(uint8_t kind, bool small)
{
	if (!small)
		return sizeof(struct app_stream);
	return kind == KIND_OWN_CONTROL ? APP_STREAM_OWN_CONTROL : APP_STREAM_PEER_UNI;
}

/* Bytes of prefix[] a stream was allocated with (0: a peer's unidirectional stream). */
static size_t
prefix_cap(const struct app_stream *s)
{
	size_t n = app_stream_bytes(s->kind, s->small) - APP_STREAM_PEER_UNI;

	return n < APP_PREFIX_CAP ? n : APP_PREFIX_CAP;
}

size_t
quic_app_mem_bytes(const struct quic_app *app)
{
	size_t n;

	if (app == NULL)
		return 0;
	n = sizeof(*app) + app->ncap * (sizeof(app->ids[0]) + sizeof(app->slots[0])) +
	    app->heap_bytes + (app->own_scratch ? app->cfg.max_field_section_size : 0);
	for (uint32_t i = 0; i < app->ncap; i++)
		if (app->slots[i] != NULL)
			n += app_stream_bytes(app->slots[i]->kind, app->slots[i]->small);
	return n;
}

void
quic_app_free(struct quic_app *app)
{
	if (app == NULL)
		return;
	for (uint32_t i = 0; app->slots != NULL && i < app->ncap; i++)
		if (app->slots[i] != NULL)
			slot_free(app, i);
	if (app->own_scratch)
		free(app->scratch);
	free(app->ids); /* and slots, in the same block */
	free(app);
}

int
quic_app_fail(struct quic_app *app, int err)
{
	if (app->err == 0)
		app->err = err;
	return app->err;
}

static int
slot_index(const struct quic_app *app, uint64_t id)
{
	for (uint32_t i = 0; i < app->ncap; i++)
		if (app->ids[i] == id)
			return (int)i;
	return -1;
}

struct app_stream *
quic_app_find(const struct quic_app *app, uint64_t id)
{
	int i = id == APP_NO_ID ? -1 : slot_index(app, id);

	return i < 0 ? NULL : app->slots[i];
}

/* Point the receive buffer at the stream's inline one, or at none for a small stream. */
static void
rx_inline(struct app_stream *s)
{
	s->rx.buf = s->small ? NULL : s->inline_buf;
	s->rx.cap = s->small ? 0 : APP_INLINE;
}

/* Whether the receive buffer is a heap one (a small stream's inline_buf is never touched). */
static bool
rx_on_heap(const struct app_stream *s)
{
	return s->rx.cap > 0 && (s->small || s->rx.buf != s->inline_buf);
}

/* A new stream in a free slot; NULL when every slot is taken or memory ran out. */
static struct app_stream *
stream_new(struct quic_app *app, uint64_t id, enum stream_kind kind)
{
	bool small = kind != KIND_REQUEST && app->cfg.stream_pool == NULL;
	size_t size = app_stream_bytes(kind, small);
	int i = slot_index(app, APP_NO_ID);
	struct app_stream *s;

	if (i < 0) {
		i = (int)app->ncap;
		if (slots_grow(app) != 0)
			return NULL;
	}

	if (app->cfg.stream_pool != NULL)
		s = quic_pool_get(app->cfg.stream_pool);
	else
		s = malloc(size);
	if (s == NULL)
		return NULL;
	memset(s, 0, size);
	s->id = id;
	s->kind = (uint8_t)kind;
	s->small = small;
	rx_inline(s);
	app->ids[i] = id;
	app->slots[i] = s;
	return s;
}

void
quic_app_maybe_free(struct quic_app *app, struct app_stream *s)
{
	bool done;

	switch (s->kind) {
	case KIND_REQUEST:
		done = s->rx_done && s->tx.done && !s->tx.stop;
		break;
	case KIND_UNI_PENDING:
	case KIND_UNI_IGNORED:
		done = s->rx_done;
		break;
	default:
		done = false;
	}
	if (done)
		slot_free(app, (uint32_t)slot_index(app, s->id));
}

/* ---- input buffers ---- */

void
quic_app_rx_release(struct quic_app *app, struct app_stream *s)
{
	struct app_rx *rx = &s->rx;

	if (rx_on_heap(s)) {
		free(rx->buf);
		app->heap_bytes -= rx->cap;
	}
	rx_inline(s);
	rx->len = 0;
}

int
quic_app_rx_reserve(struct quic_app *app, struct app_stream *s, size_t len)
{
	struct app_rx *rx = &s->rx;
	uint8_t *buf;

	if (len <= rx->cap)
		return 0;
	/* The budget bounds what one connection's peer can make us hold across its streams. */
	if (len > app->cfg.buffer_budget - app->heap_bytes)
		return QUIC_H3_ERR_EXCESSIVE_LOAD;
	buf = malloc(len);
	if (buf == NULL)
		return QUIC_ERR_NOMEM;
	if (rx->len > 0)
		memcpy(buf, rx->buf, rx->len);
	if (rx_on_heap(s)) {
		free(rx->buf);
		app->heap_bytes -= rx->cap;
	}
	rx->buf = buf;
	rx->cap = len;
	app->heap_bytes += len;
	return 0;
}

/* ---- output ---- */

bool
quic_app_prefix_append(struct app_stream *s, const uint8_t *p, size_t len)
{
	struct app_tx *t = &s->tx;
	size_t cap = prefix_cap(s);

	if (cap == 0)
		return false; /* a peer's unidirectional stream: we never send on it */
	if (t->prefix_off > 0) {
		memmove(s->prefix, s->prefix + t->prefix_off, t->prefix_len - t->prefix_off);
		t->prefix_len = (uint16_t)(t->prefix_len - t->prefix_off);
		t->prefix_off = 0;
	}
	if (len > cap - t->prefix_len)
		return false;
	memcpy(s->prefix + t->prefix_len, p, len);
	t->prefix_len = (uint16_t)(t->prefix_len + len);
	return true;
}

void
quic_app_tx_body(struct app_stream *s, enum body_kind kind, const struct quic_app_object *obj,
		 uint64_t len)
{
	struct app_tx *t = &s->tx;

	t->body = (uint8_t)kind;
	t->body_len = len;
	t->body_off = 0;
	if (obj != NULL) {
		t->obj = *obj;
		t->has_obj = true;
	}
	t->fin = true;
}

void
quic_app_stream_error(struct quic_app *app, struct app_stream *s, uint64_t code, bool stop)
{
	struct app_tx *t = &s->tx;

	if (!t->done) {
		tx_drop_body(app, t);
		t->prefix_len = t->prefix_off;
		t->fin = false;
		t->reset = true;
		t->reset_code = code;
	}
	if (stop && !s->rx_done) {
		t->stop = true;
		t->stop_code = code;
		s->rx_done = true;
	}
	s->discard = true;
	quic_app_rx_release(app, s);
}

static bool
tx_pending(const struct app_tx *t)
{
	if (t->stop)
		return true;
	if (t->done)
		return false;
	return t->reset || t->fin || t->prefix_off < t->prefix_len || t->body_off < t->body_len;
}

size_t
quic_app_pending(const struct quic_app *app, uint64_t *ids, size_t max)
{
	size_t n = 0;

	if (app->err != 0)
		return 0;
	for (uint32_t i = 0; i < app->ncap && n < max; i++)
		if (app->slots[i] != NULL && tx_pending(&app->slots[i]->tx))
			ids[n++] = app->ids[i];
	return n;
}

/*
 * The pattern body at offset off: byte o is (uint8_t)o. The pattern repeats every 256 bytes,
 * so one period is written byte by byte and then copied in doubling blocks (a byte loop
 * cost about a cycle per byte sent, the server's largest cost in a bulk transfer).
 */
static void
pattern_fill(uint8_t *buf, uint64_t off, size_t n)
{
	size_t first = n < 256 ? n : 256, done;
	uint8_t v = (uint8_t)off;

	for (size_t i = 0; i < first; i++)
		buf[i] = v++;
	for (done = first; done < n;) {
		size_t k = done < n - done ? done : n - done;

		memcpy(buf + done, buf, k);
		done += k;
	}
}

/* Body bytes from body_off into buf, at most cap; a failed read turns into a reset. */
static size_t
body_peek(struct quic_app *app, struct app_tx *t, uint8_t *buf, size_t cap)
{
	uint64_t left = t->body_len - t->body_off;
	size_t want = cap;
	int r;

	if (left < want)
		want = (size_t)left;
	if (want > (size_t)INT32_MAX)
		want = INT32_MAX;
	if (want == 0)
		return 0;
	if (t->body == BODY_PATTERN) {
		pattern_fill(buf, t->body_off, want);
		return want;
	}
	r = app->cfg.provider->read(app->cfg.provider->ctx, t->obj.handle, t->body_off, buf, want);
	if (r > 0)
		return (size_t)r < want ? (size_t)r : want;
	/* The object cannot be read: abandon the response (the next peek resets the stream). */
	tx_drop_body(app, t);
	t->fin = false;
	t->reset = true;
	t->reset_code = QUIC_H3_INTERNAL_ERROR;
	return 0;
}

int
quic_app_stream_tx(struct quic_app *app, uint64_t id, uint8_t *buf, size_t cap,
		   struct quic_app_tx *tx)
{
	struct app_stream *s = quic_app_find(app, id);
	struct app_tx *t;
	size_t n = 0;

	memset(tx, 0, sizeof(*tx));
	if (s == NULL)
		return QUIC_ERR_INVAL;
	t = &s->tx;
	t->peek_len = 0;
	t->peek_fin = t->peek_reset = t->peek_stop = false;
	if (app->err != 0)
		return 0;
	if (t->stop) {
		tx->stop_sending = t->peek_stop = true;
		tx->stop_code = t->stop_code;
	}
	if (t->done)
		return 0;
	if (t->reset) {
		tx->reset = t->peek_reset = true;
		tx->reset_code = t->reset_code;
		return 0;
	}
	n = t->prefix_len - t->prefix_off;
	if (n > cap)
		n = cap;
	if (n > 0) /* (a peer's unidirectional stream has no prefix[] at all) */
		memcpy(buf, s->prefix + t->prefix_off, n);
	if (t->prefix_off + n == t->prefix_len)
		n += body_peek(app, t, buf + n, cap - n);
	tx->len = t->peek_len = n;
	if (t->fin && !t->reset && t->prefix_off + n >= t->prefix_len &&
	    t->body_off + (n - (t->prefix_len - t->prefix_off)) == t->body_len)
		tx->fin = t->peek_fin = true;
	return 0;
}

int
quic_app_stream_tx_commit(struct quic_app *app, uint64_t id, size_t n)
{
	struct app_stream *s = quic_app_find(app, id);
	struct app_tx *t;
	size_t k, whole;

	if (s == NULL || n > s->tx.peek_len)
		return QUIC_ERR_INVAL;
	t = &s->tx;
	whole = t->peek_len;
	k = t->prefix_len - t->prefix_off;
	k = n < k ? n : k;
	t->prefix_off = (uint16_t)(t->prefix_off + k);
	if (t->prefix_off == t->prefix_len)
		t->prefix_off = t->prefix_len = 0;
	t->body_off += n - k;
	if (t->body_off > t->body_len)
		t->body_off = t->body_len;
	if (n == whole) {
		if (t->peek_stop)
			t->stop = false;
		if (t->peek_fin || t->peek_reset) {
			t->done = true;
			t->reset = false;
			tx_drop_body(app, t);
		}
	}
	t->peek_len = 0;
	t->peek_fin = t->peek_reset = t->peek_stop = false;
	quic_app_maybe_free(app, s);
	return 0;
}

/* ---- stream events ---- */

/* Track one stream the peer opened. NULL (with a connection error set) when none is free. */
static struct app_stream *
open_peer_stream(struct quic_app *app, uint64_t id)
{
	bool uni = (id & 0x02) != 0;
	enum stream_kind kind = KIND_REQUEST;
	struct app_stream *s;

	if (uni)
		kind = app->cfg.proto == QUIC_APP_H3 ? KIND_UNI_PENDING : KIND_UNI_IGNORED;
	s = stream_new(app, id, kind);
	if (s == NULL) {
		/* More streams than the transport's limits let a peer open: see max_streams. */
		quic_app_fail(app, QUIC_H3_ERR_EXCESSIVE_LOAD);
		return NULL;
	}
	/* RFC 9114 §5.2: requests at or above our GOAWAY's ID are rejected unprocessed. */
	if (!uni && app->shutdown && id >= app->goaway_id)
		quic_app_stream_error(app, s, QUIC_H3_REQUEST_REJECTED, true);
	return s;
}

/*
 * The state of peer stream id. Streams of a type open in order: a stream not seen yet opens,
 * with every lower stream of its type not opened yet (RFC 9000 §3.2), as the transport reports
 * them; a lower stream the app no longer holds has ended, and NULL is returned for it (and on a
 * connection error: too many streams to hold).
 */
static struct app_stream *
peer_stream(struct quic_app *app, uint64_t id)
{
	struct app_stream *s = quic_app_find(app, id);
	unsigned uni = (id & 0x02) != 0;
	uint64_t idx = id >> 2;

	if (s != NULL || idx < app->peer_next[uni])
		return s;
	if (idx - app->peer_next[uni] >= app->nslots) {
		quic_app_fail(app, QUIC_H3_ERR_EXCESSIVE_LOAD);
		return NULL;
	}
	while (app->peer_next[uni] <= idx) {
		s = open_peer_stream(app, app->peer_next[uni] << 2 | (uni ? 0x02 : 0x00));
		if (s == NULL)
			return NULL;
		app->peer_next[uni]++;
	}
	return s;
}

/* A stream id the peer may have initiated: client-initiated and in range. */
static bool
peer_id(uint64_t id)
{
	return id <= QUIC_VARINT_MAX && (id & 0x01) == 0;
}

int
quic_app_on_stream_opened(struct quic_app *app, uint64_t id)
{
	if (app->err != 0)
		return app->err;
	if (!peer_id(id))
		return QUIC_ERR_INVAL;
	peer_stream(app, id);
	return app->err;
}

int
quic_app_on_stream_data(struct quic_app *app, uint64_t id, const uint8_t *data, size_t len,
			bool fin)
{
	struct app_stream *s;
	int rc = 0;

	if (app->err != 0)
		return app->err;
	if (!peer_id(id))
		return QUIC_ERR_INVAL;
	s = peer_stream(app, id);
	/* Nothing more is read from a stream that ended or whose reading we stopped. */
	if (s == NULL || s->rx_done)
		return app->err;
	if (s->kind == KIND_UNI_IGNORED) {
		s->rx_done = fin;
		quic_app_maybe_free(app, s);
	} else if (app->cfg.proto == QUIC_APP_H3) {
		rc = quic_h3_stream_rx(app, s, data, len, fin);
	} else if (app->cfg.proto == QUIC_APP_HQ) {
		rc = quic_hq_stream_rx(app, s, data, len, fin);
	} else {
		rc = quic_perf_stream_rx(app, s, data, len, fin);
	}
	if (rc < 0)
		quic_app_fail(app, rc);
	return app->err;
}

int
quic_app_on_stream_reset(struct quic_app *app, uint64_t id, uint64_t error)
{
	struct app_stream *s = quic_app_find(app, id);

	(void)error;
	if (app->err != 0 || s == NULL)
		return app->err;
	switch (s->kind) {
	case KIND_REQUEST:
		/* The client abandoned its request: abandon the response too (RFC 9114 §4.1.1). */
		quic_app_stream_error(app, s, QUIC_H3_REQUEST_CANCELLED, false);
		s->rx_done = true;
		quic_app_maybe_free(app, s);
		return 0;
	case KIND_UNI_PENDING:
	case KIND_UNI_IGNORED:
		/* §6.2: a receiver tolerates unidirectional streams reset before their type. */
		s->rx_done = true;
		quic_app_maybe_free(app, s);
		return 0;
	default:
		return quic_h3_critical_closed(app, s);
	}
}

int
quic_app_on_stream_stopped(struct quic_app *app, uint64_t id, uint64_t error)
{
	struct app_stream *s = quic_app_find(app, id);

	(void)error;
	if (app->err != 0 || s == NULL)
		return app->err;
	if (s->kind == KIND_OWN_CONTROL)
		return quic_h3_critical_closed(app, s);
	if (s->kind == KIND_REQUEST && !s->tx.done) {
		/* RFC 9000 §3.5: answer STOP_SENDING with RESET_STREAM. */
		tx_drop_body(app, &s->tx);
		s->tx.prefix_len = s->tx.prefix_off;
		s->tx.fin = false;
		s->tx.reset = true;
		s->tx.reset_code = QUIC_H3_REQUEST_CANCELLED;
	}
	return 0;
}

void
quic_app_on_stream_closed(struct quic_app *app, uint64_t id)
{
	int i = id == APP_NO_ID ? -1 : slot_index(app, id);

	if (i < 0)
		return;
	switch (app->slots[i]->kind) {
	case KIND_REQUEST:
	case KIND_UNI_PENDING:
	case KIND_UNI_IGNORED:
		break;
	default:
		quic_h3_critical_closed(app, app->slots[i]);
	}
	slot_free(app, (uint32_t)i);
}

/* ---- connection ---- */

/*
 * h3: our control stream only. RFC 9204 §4.2 lets an endpoint not create its QPACK streams
 * when it has no use for them: our decoder sets the dynamic table capacity to 0 (no decoder
 * stream needed) and our encoder never uses the client's table (no encoder stream needed).
 * Each would have cost a transport stream and its application state for the connection's
 * life (about 770 bytes; issue #6). The client's QPACK streams are still accepted (§4.2).
 */
unsigned
quic_app_uni_wanted(const struct quic_app *app)
{
	return app->cfg.proto == QUIC_APP_H3 ? 1 - app->uni_opened : 0;
}

int
quic_app_on_uni_opened(struct quic_app *app, uint64_t id)
{
	struct app_stream *s;

	if (app->err != 0)
		return app->err;
	if (id > QUIC_VARINT_MAX || (id & 0x03) != 0x03 || quic_app_uni_wanted(app) == 0 ||
	    quic_app_find(app, id) != NULL)
		return QUIC_ERR_INVAL;
	s = stream_new(app, id, KIND_OWN_CONTROL);
	if (s == NULL)
		return quic_app_fail(app, QUIC_H3_ERR_EXCESSIVE_LOAD);
	app->uni_opened++;
	return quic_h3_open_own(app, s);
}

uint64_t
quic_app_conn_error(const struct quic_app *app, const char **reason)
{
	if (app->err == 0)
		return 0;
	if (reason != NULL)
		*reason = quic_h3_strerror(app->err);
	return quic_h3_err_to_app(app->err);
}

int
quic_app_shutdown(struct quic_app *app)
{
	if (app->shutdown)
		return 0;
	app->shutdown = true;
	/* The first request stream not seen yet (§5.2). */
	app->goaway_id = app->peer_next[0] << 2;
	if (app->cfg.proto == QUIC_APP_H3)
		quic_h3_goaway(app);
	return 0;
}

bool
quic_app_idle(const struct quic_app *app)
{
	for (uint32_t i = 0; i < app->ncap; i++)
		if (app->slots[i] != NULL && app->slots[i]->kind == KIND_REQUEST)
			return false;
	return true;
}

const struct quic_h3_settings *
quic_app_peer_settings(const struct quic_app *app)
{
	return app->settings_rx ? &app->peer_settings : NULL;
}
