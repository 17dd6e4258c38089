/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The bench's worker: client connections (quic/conn.h) over the dataplane, the requests of
 * each mode, and the end of the run.
 *
 * Connections live in a fixed array of --conns slots; slot i uses local UDP port --lport + i,
 * so a received datagram finds its connection by destination port, without a table. Nothing
 * is allocated per packet; quic_conn_new_client() allocates per connection (handshake mode:
 * per handshake, which is part of what a handshake costs a client).
 *
 * A connection we close is freed as soon as its CONNECTION_CLOSE is written, without the
 * closing period of RFC 9000 §10.2.1: the bench needs no answer to late packets, and the
 * server drains on the frame (§10.2.2) or idles out if it is lost.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_ethdev.h>

#include <crypto/tls.h>
#include <quic/error.h>
#include <quic/h3.h>
#include <quic/packet.h>

#include "gen_int.h"

#define EVENTS_PER_PUMP 256
#define READS_PER_EVENT 64

/* ---- Phases ---- */

/*
 * Before the load the server's address (or the gateway's) must resolve through ARP/NDP: frames
 * wait for it a few at a time and are dropped when it fails, so a load started earlier would
 * measure nothing. Probes (uncounted datagrams, which make the dataplane solicit) go out with a
 * back-off from GEN_PROBE_FIRST_NS to GEN_PROBE_MAX_NS; the dataplane itself gives up an
 * unanswered address after a few requests, and the next probe starts it over.
 */
#define GEN_PROBE_FIRST_NS   (10ull * 1000000)
#define GEN_HOLD_SETTLE_NS   (300ull * 1000000) /* --hold: after the last confirmation */
#define GEN_PROBE_MAX_NS     (500ull * 1000000)
#define GEN_RESOLVE_LIMIT_NS (5000ull * 1000000) /* below the control thread's slack */

/* Nothing could be sent: end the run now, a failure that report() explains. */
static void
give_up_unresolved(struct bench_gen_worker *gw)
{
	gw->unresolved = true;
	gw->finished = true;
	/* Release pairs with the acquire load of the control thread in gen_main.c. */
	__atomic_store_n(&gw->g->done, 1, __ATOMIC_RELEASE);
}

/*
 * Wait (bounded by the control thread's limit) for the port's link, which a net_memif or
 * net_tap peer brings up some time after we start, then for the server's next hop to resolve
 * (bounded by GEN_RESOLVE_LIMIT_NS). @return true when the load may begin
 */
bool
gen_link_ready(struct bench_gen_worker *gw, uint64_t now_ns)
{
	struct rte_eth_link link;
	uint8_t probe[32] = {0x40};

	if (gw->begun)
		return true;
	if (gw->t_link == 0) {
		memset(&link, 0, sizeof(link));
		if (rte_eth_link_get_nowait(gw->base.port_id, &link) != 0 ||
		    link.link_status != RTE_ETH_LINK_UP)
			return false;
		gw->t_link = now_ns;
		gw->probe_at = now_ns;
		gw->probe_gap = GEN_PROBE_FIRST_NS;
	}
	if (dp_path_resolved(gw->w, &gw->base))
		return true;
	if (now_ns - gw->t_link >= GEN_RESOLVE_LIMIT_NS) {
		give_up_unresolved(gw);
		return false;
	}
	if (now_ns >= gw->probe_at) {
		gen_send_probe(gw, probe, sizeof(probe));
		gw->probe_at = now_ns + gw->probe_gap;
		gw->probe_gap *= 2;
		if (gw->probe_gap > GEN_PROBE_MAX_NS)
			gw->probe_gap = GEN_PROBE_MAX_NS;
	}
	return false;
}

static void
phase_update(struct bench_gen_worker *gw, uint64_t now_ns)
{
	const struct bench_gen_opts *o = gw->o;

	if (!gw->begun) {
		gw->begun = true;
		now_ns += o->start_delay_ms * 1000000ull;
		gw->t_begin = now_ns;
		gw->t_measure = now_ns + o->warmup_ms * 1000000ull;
		gw->t_end = gw->t_measure + o->duration_ms * 1000000ull;
		gw->next_op_ns = now_ns;
		gw->measuring = o->warmup_ms == 0;
		if (gw->measuring)
			gw->g->start_ns = now_ns;
	}
	if (!gw->measuring && now_ns >= gw->t_measure) {
		gw->measuring = true;
		gw->g->start_ns = now_ns;
		bench_gen_counters_read(&gw->cnt, &gw->at_measure);
		memset(&gw->g->hist, 0, sizeof(gw->g->hist));
	}
	/* --hold: every connection confirmed; the ACKs of the server's last frames had
	 * GEN_HOLD_SETTLE_NS to leave. */
	if (!gw->stopping && o->hold && gw->n_held == o->conns &&
	    now_ns >= gw->t_all_held + GEN_HOLD_SETTLE_NS) {
		gw->stopping = true;
		gw->t_stop = now_ns;
	}
	if (!gw->stopping && (now_ns >= gw->t_end || (o->count != 0 && gw->ops >= o->count))) {
		gw->stopping = true;
		gw->t_stop = now_ns;
	}
}

/* Connections that only handshake: handshake mode, and retry-flood's --handshake-rate. */
static bool
hs_only(const struct bench_gen_worker *gw)
{
	return gw->o->mode == GEN_MODE_HANDSHAKE || gw->o->handshake_rate != 0;
}

/* May another operation (handshake, request) start now? Books it when it may. */
static bool
op_allowed(struct bench_gen_worker *gw)
{
	if (gw->stopping || (gw->o->count != 0 && gw->ops >= gw->o->count) ||
	    (gw->o->hold && gw->ops >= gw->o->conns))
		return false;
	gw->ops++;
	return true;
}

static void
lat_add(struct bench_gen_worker *gw, uint64_t t0, uint64_t now_ns)
{
	if (gw->measuring && t0 >= gw->g->start_ns && now_ns >= t0)
		bench_gen_hist_add(&gw->g->hist, now_ns - t0);
}

/* ---- Connection slots ---- */

static void conn_timer_fn(struct dp_timer *t, void *arg, uint64_t now_ns);

/* An unused slot: no file open (fd -1), no length known. */
static void
stream_clear_slot(struct bench_gen_stream *s)
{
	memset(s, 0, offsetof(struct bench_gen_stream, hdrs));
	s->fd = -1;
	s->content_length = -1;
}

static void
stream_reset_slot(struct bench_gen_stream *s)
{
	if (s->fd >= 0)
		close(s->fd);
	stream_clear_slot(s);
}

/*
 * Datagrams are read in RX bursts; a connection that got some is serviced once after the
 * burst (collect_tx), not once per datagram: RFC 9000 §13.2.2 lets a receiver process all
 * available packets before it decides on an ACK, so a burst costs one ACK, one write and one
 * read of each stream instead of one per two packets. A slot freed while on the list stays
 * there (its flag set) and is skipped unless a new connection took it meanwhile.
 */
static void
dirty_mark(struct bench_gen_worker *gw, struct gen_conn *c)
{
	if (c->dirty)
		return;
	c->dirty = true;
	c->dnext = gw->dirty;
	gw->dirty = c;
}

static void
conn_free(struct bench_gen_worker *gw, struct gen_conn *c)
{
	for (unsigned i = 0; i < gw->o->streams; i++)
		stream_reset_slot(&c->st[i]);
	dp_timer_cancel(dp_worker_timers(gw->w), &c->timer);
	quic_conn_free(c->qc);
	c->qc = NULL;
	c->active = false;
	*c->pprev = c->next;
	if (c->next != NULL)
		c->next->pprev = c->pprev;
	c->next = gw->free_list;
	gw->free_list = c;
	gen_cnt_add(gw, GEN_CNT_CONNS_CLOSED, 1);
}

/* A new client connection on a free slot. @return it, or NULL (counted) */
static struct gen_conn *
conn_start(struct bench_gen_worker *gw, uint64_t now_ns)
{
	struct gen_conn *c = gw->free_list;
	struct quic_path qp;

	if (c == NULL)
		return NULL;
	memset(&qp, 0, sizeof(qp));
	qp.local.family = gw->base.local.family;
	memcpy(qp.local.ip, gw->base.local.ip, sizeof(qp.local.ip));
	qp.local.port = c->lport;
	qp.remote = gw->o->server;
	if (quic_conn_new_client(&c->qc, &gw->qcfg, &qp, now_ns) != 0 ||
	    (gw->nt_len > 0 && quic_conn_set_token(c->qc, gw->nt, gw->nt_len) != 0)) {
		quic_conn_free(c->qc);
		c->qc = NULL;
		gen_cnt_add(gw, GEN_CNT_FAIL_SETUP, 1);
		return NULL;
	}
	gw->free_list = c->next;
	c->next = gw->active;
	if (c->next != NULL)
		c->next->pprev = &c->next;
	c->pprev = &gw->active;
	gw->active = c;
	c->active = true;
	c->t_start = now_ns;
	c->outstanding = 0;
	c->hs_done = c->app_ready = c->by_us = c->close_sent = c->failed = c->capture = false;
	c->held = false;
	dp_timer_init(&c->timer, conn_timer_fn, c);
	gen_cnt_add(gw, GEN_CNT_CONNS_STARTED, 1);
	return c;
}

static void
conn_fail(struct bench_gen_worker *gw, struct gen_conn *c, enum bench_gen_cnt why)
{
	if (c->failed)
		return;
	c->failed = true;
	gen_cnt_add(gw, why, 1);
}

/* ---- Requests ---- */

static struct bench_gen_stream *
stream_find(struct bench_gen_worker *gw, struct gen_conn *c, uint64_t id)
{
	for (unsigned i = 0; i < gw->o->streams; i++)
		if (c->st[i].used && c->st[i].id == id)
			return &c->st[i];
	return NULL;
}

/* get: the file the response of path goes to, DIR/<last segment>. @return fd or -1 */
static int
get_open(struct bench_gen_worker *gw, const char *path)
{
	const char *name = strrchr(path, '/');
	char file[1024];

	name = name != NULL ? name + 1 : path;
	if (*name == '\0')
		name = "index.html";
	if (strcmp(name, "..") == 0 || strcmp(name, ".") == 0 ||
	    snprintf(file, sizeof(file), "%s/%s", gw->o->out_dir, name) >= (int)sizeof(file))
		return -1;
	return open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
}

/* Open a request stream on c and send the request. @return 0, or -1 (try later) */
static int
request_start(struct bench_gen_worker *gw, struct gen_conn *c, const char *path, unsigned pidx,
	      uint64_t t0)
{
	struct bench_gen_stream *s = NULL;
	uint8_t req[1400];
	size_t n;
	uint64_t id;

	for (unsigned i = 0; i < gw->o->streams && s == NULL; i++)
		if (!c->st[i].used)
			s = &c->st[i];
	n = bench_gen_app_request(req, sizeof(req), gw->o->alpn, path, gw->authority, gw->o->size);
	if (s == NULL || n == 0 || quic_conn_stream_open(c->qc, false, &id) != 0)
		return -1;
	stream_reset_slot(s);
	s->used = true;
	s->id = id;
	s->t0 = t0;
	s->want = gw->o->size;
	s->path_idx = pidx;
	if (gw->o->mode == GEN_MODE_GET)
		s->fd = get_open(gw, path);
	if (quic_conn_stream_write(c->qc, id, req, n, true) != (int)n) {
		quic_conn_stream_reset(c->qc, id, QUIC_H3_REQUEST_CANCELLED);
		stream_reset_slot(s);
		return -1;
	}
	c->outstanding++;
	gen_cnt_add(gw, GEN_CNT_REQUESTS, 1);
	return 0;
}

static void
get_report(struct bench_gen_worker *gw, const struct bench_gen_stream *s, bool ok)
{
	printf("GET %s %u %llu%s\n", gw->o->paths[s->path_idx], s->status,
	       (unsigned long long)s->body, ok ? "" : " FAILED");
	gw->get_done++;
	gw->get_ok += ok;
}

/* A request stream ended (FIN read, or reset). */
static void
request_done(struct bench_gen_worker *gw, struct gen_conn *c, struct bench_gen_stream *s,
	     uint64_t now_ns)
{
	bool ok = bench_gen_app_ok(s, gw->o->alpn);

	if (gw->o->mode == GEN_MODE_GET) {
		if (gw->o->alpn != GEN_ALPN_H3 && ok && s->body > 0)
			s->status = 200; /* hq-interop has none: bytes and FIN stand for it */
		get_report(gw, s, ok && s->status == 200);
	}
	if (ok) {
		gen_cnt_add(gw, GEN_CNT_STREAMS_DONE, 1);
		if (gw->measuring)
			gen_cnt_add(gw, GEN_CNT_APP_BYTES, s->body);
		lat_add(gw, s->t0, now_ns);
	} else {
		gen_cnt_add(gw, s->failed ? GEN_CNT_FAIL_VERIFY : GEN_CNT_FAIL_STATUS, 1);
	}
	stream_reset_slot(s);
	c->outstanding--;
}

/* Read what stream id holds: a response, or a server stream to discard. */
static void
stream_read(struct bench_gen_worker *gw, struct gen_conn *c, uint64_t id, uint64_t now_ns)
{
	struct bench_gen_stream *s = stream_find(gw, c, id);
	uint64_t rerr = 0;
	bool fin = false;
	int n, i;

	for (i = 0; i < READS_PER_EVENT; i++) {
		n = quic_conn_stream_read(c->qc, id, gw->scratch, sizeof(gw->scratch), &fin, &rerr);
		if (n < 0) {
			if (s != NULL) {
				s->fin = true;
				s->status = 0;
				request_done(gw, c, s, now_ns);
			}
			return;
		}
		if (n == 0 && !fin)
			return;
		if (s == NULL)
			continue; /* the server's control and QPACK streams: discarded */
		if (bench_gen_app_rx(s, gw->o->alpn, gw->scratch, (size_t)n, fin) != 0 || fin) {
			s->fin = true;
			request_done(gw, c, s, now_ns);
			return;
		}
	}
}

/* h3: our control stream with SETTINGS (RFC 9114 §6.2.1), once the handshake is done. */
static void
app_ready(struct bench_gen_worker *gw, struct gen_conn *c)
{
	uint8_t buf[64];
	uint64_t id;
	size_t n;

	if (c->app_ready)
		return;
	if (gw->o->alpn == GEN_ALPN_H3) {
		n = bench_gen_app_h3_control(buf, sizeof(buf));
		if (n == 0 || quic_conn_stream_open(c->qc, true, &id) != 0 ||
		    quic_conn_stream_write(c->qc, id, buf, n, false) != (int)n)
			return;
	}
	c->app_ready = true;
}

/* Start what the mode wants on an established connection. */
static void
requests_fill(struct bench_gen_worker *gw, struct gen_conn *c, uint64_t now_ns)
{
	const struct bench_gen_opts *o = gw->o;

	app_ready(gw, c);
	if (!c->app_ready || c->by_us)
		return;
	if (o->mode == GEN_MODE_GET) {
		while (gw->get_next < o->n_paths &&
		       request_start(gw, c, o->paths[gw->get_next], gw->get_next, now_ns) == 0)
			gw->get_next++;
	} else if (o->mode == GEN_MODE_BULK) {
		while (c->outstanding < o->streams && op_allowed(gw)) {
			if (request_start(gw, c, o->paths[0] ? o->paths[0] : "/", 0, now_ns) != 0) {
				gw->ops--;
				break;
			}
		}
	}
}

/* Close c ourselves once it has nothing more to do. */
static void
conn_maybe_close(struct bench_gen_worker *gw, struct gen_conn *c, uint64_t now_ns)
{
	const struct bench_gen_opts *o = gw->o;
	bool idle = c->outstanding == 0;
	bool done;

	if (c->by_us || !c->hs_done)
		return;
	switch (hs_only(gw) ? GEN_MODE_HANDSHAKE : o->mode) {
	case GEN_MODE_HANDSHAKE:
		/*
		 * Once confirmed (RFC 9001 §4.1.2: HANDSHAKE_DONE came): closing at completion
		 * would put CONNECTION_CLOSE in place of our Finished, and the server would never
		 * complete the handshake (RFC 9000 §10.2: a closing endpoint sends nothing else).
		 * --new-token-out: the server sends NEW_TOKEN after the handshake (§8.1.3).
		 */
		done = quic_conn_handshake_confirmed(c->qc) &&
		       (o->new_token_out == NULL || gw->nt_saved);
		if (done && o->hold) {
			/* Kept, never closed: the server holds it until its idle timeout. */
			if (!c->held) {
				c->held = true;
				if (++gw->n_held == o->conns)
					gw->t_all_held = now_ns;
			}
			return;
		}
		break;
	case GEN_MODE_GET:
		done = idle && gw->get_next == o->n_paths;
		break;
	default: /* bulk, rr: rr's waiting requests still need connections */
		done = idle && gw->stopping && gw->bl_n == 0;
		break;
	}
	if (!done)
		return;
	c->by_us = true;
	quic_conn_close(c->qc, o->alpn == GEN_ALPN_H3 ? QUIC_H3_NO_ERROR : 0, "done", now_ns);
}

static void
on_event(struct bench_gen_worker *gw, struct gen_conn *c, const struct quic_event *ev,
	 uint64_t now_ns)
{
	switch (ev->type) {
	case QUIC_EV_HANDSHAKE_DONE:
		if (c->hs_done)
			break;
		c->hs_done = true;
		gen_cnt_add(gw, GEN_CNT_HANDSHAKES, 1);
		if (hs_only(gw))
			lat_add(gw, c->t_start, now_ns);
		break;
	case QUIC_EV_STREAM_READABLE:
		stream_read(gw, c, ev->stream_id, now_ns);
		break;
	case QUIC_EV_NEW_TOKEN:
		if (gw->o->new_token_out != NULL)
			gen_new_token_save(gw, c);
		break;
	default:
		break;
	}
}

/* The connection is closing or draining: count why, unless we closed it. */
static void
conn_check_closed(struct bench_gen_worker *gw, struct gen_conn *c)
{
	enum quic_conn_state st = quic_conn_state(c->qc);

	if (st == QUIC_CONN_HANDSHAKE || st == QUIC_CONN_ESTABLISHED || c->by_us)
		return;
	if (!c->hs_done)
		conn_fail(gw, c, GEN_CNT_FAIL_HANDSHAKE);
	else if (c->outstanding > 0 ||
		 (gw->o->mode == GEN_MODE_GET && gw->get_next < gw->o->n_paths))
		conn_fail(gw, c, GEN_CNT_FAIL_CLOSED);
}

/* Write every datagram the connection has for now. */
static void
conn_flush(struct bench_gen_worker *gw, struct gen_conn *c, uint64_t now_ns)
{
	struct quic_path qp;
	struct dp_path dp;
	size_t off;
	int n, i, rounds;

	for (rounds = 0; rounds < 8; rounds++) {
		n = quic_conn_write(c->qc, gw->txbuf, sizeof(gw->txbuf), GEN_DGRAM_MAX - 28,
				    gw->txlens, GEN_TX_BURST, &qp, now_ns);
		if (n <= 0)
			return;
		c->close_sent = c->by_us;
		dp = gw->base;
		dp.local.port = qp.local.port;
		dp.remote.port = qp.remote.port;
		memcpy(dp.remote.ip, qp.remote.ip, sizeof(dp.remote.ip));
		for (i = 0, off = 0; i < n; off += gw->txlens[i], i++) {
			gen_token_capture(gw, c, dp.local.port, gw->txbuf + off, gw->txlens[i]);
			gen_send(gw, &dp, gw->txbuf + off, gw->txlens[i]);
		}
		if (n < GEN_TX_BURST)
			return;
	}
}

/* Events, requests, output; free the connection when it is over. */
static void
conn_service(struct bench_gen_worker *gw, struct gen_conn *c, uint64_t now_ns)
{
	struct quic_event ev;
	uint64_t t;

	for (int i = 0; i < EVENTS_PER_PUMP && quic_conn_poll_event(c->qc, &ev); i++)
		on_event(gw, c, &ev, now_ns);
	conn_check_closed(gw, c);
	if (c->hs_done && !c->by_us && quic_conn_state(c->qc) == QUIC_CONN_ESTABLISHED)
		requests_fill(gw, c, now_ns);
	conn_maybe_close(gw, c, now_ns);
	conn_flush(gw, c, now_ns);
	if (quic_conn_is_closed(c->qc) || c->close_sent) {
		conn_free(gw, c);
		return;
	}
	t = quic_conn_next_timeout(c->qc);
	if (t == UINT64_MAX)
		dp_timer_cancel(dp_worker_timers(gw->w), &c->timer);
	else
		dp_timer_arm(dp_worker_timers(gw->w), &c->timer, t);
}

static void
conn_timer_fn(struct dp_timer *t, void *arg, uint64_t now_ns)
{
	struct gen_conn *c = arg;

	(void)t;
	quic_conn_handle_timeout(c->qc, now_ns);
	conn_service(c->gw, c, now_ns);
}

/* ---- rr: requests at the offered rate ---- */

static void
rr_offer(struct bench_gen_worker *gw, uint64_t now_ns)
{
	uint64_t gap = 1000000000ull / gw->o->rate;

	while (gw->next_op_ns <= now_ns && op_allowed(gw)) {
		if (gw->bl_n == gw->bl_cap) {
			gen_cnt_add(gw, GEN_CNT_FAIL_BACKLOG, 1);
		} else {
			gw->backlog[(gw->bl_head + gw->bl_n) % gw->bl_cap] = gw->next_op_ns;
			gw->bl_n++;
		}
		gw->next_op_ns += gap;
	}
}

/* Hand waiting requests to connections with a free stream, round robin. */
static void
rr_dispatch(struct bench_gen_worker *gw, uint64_t now_ns)
{
	const struct bench_gen_opts *o = gw->o;
	unsigned tried = 0;

	while (gw->bl_n > 0 && tried < o->conns) {
		struct gen_conn *c = &gw->conns[gw->rr_next_conn];

		gw->rr_next_conn = (gw->rr_next_conn + 1) % o->conns;
		if (!c->active || !c->hs_done || c->by_us || c->outstanding >= o->streams ||
		    request_start(gw, c, o->paths[0] ? o->paths[0] : "/", 0,
				  gw->backlog[gw->bl_head]) != 0) {
			tried++;
			continue;
		}
		tried = 0;
		gw->bl_head = (gw->bl_head + 1) % gw->bl_cap;
		gw->bl_n--;
		conn_flush(gw, c, now_ns);
	}
}

/* ---- Dataplane callbacks ---- */

static void
deliver(struct bench_gen_worker *gw, const uint8_t *p, size_t len, const struct dp_path *path,
	uint64_t now_ns)
{
	struct gen_conn *c = NULL;
	struct quic_path qp;
	uint32_t i = (uint32_t)path->local.port - gw->o->lport_base;
	bool retry = gen_classify_rx(gw, p, len);

	if (path->local.port >= gw->o->lport_base && i < gw->o->conns)
		c = &gw->conns[i];
	if (c == NULL || !c->active) {
		gen_cnt_add(gw, GEN_CNT_DROP_UNKNOWN, 1);
		return;
	}
	/* --token-out: the Initial this Retry makes us send carries its token. */
	c->capture = c->capture || (retry && gw->o->token_out != NULL && !gw->token_saved);
	if (retry && !gw->o->retry_follow) {
		conn_fail(gw, c, GEN_CNT_FAIL_NO_RETRY);
		c->by_us = true;
		conn_free(gw, c);
		return;
	}
	gen_path_to_quic(path, &qp);
	quic_conn_recv(c->qc, p, len, &qp, now_ns);
	dirty_mark(gw, c);
}

/* Service every connection that received datagrams in this loop's RX bursts. */
static void
dirty_service(struct bench_gen_worker *gw, uint64_t now_ns)
{
	struct gen_conn *c;

	while ((c = gw->dirty) != NULL) {
		gw->dirty = c->dnext;
		c->dirty = false;
		if (c->active)
			conn_service(gw, c, now_ns);
	}
}

/* retry-flood --handshake-rate: whether port is one of the legitimate connections'. */
static bool
legit_port(const struct bench_gen_worker *gw, uint16_t port)
{
	return gw->o->handshake_rate != 0 && port >= gw->o->lport_base &&
	       (uint32_t)port - gw->o->lport_base < gw->o->conns;
}

/*
 * retry-flood --handshake-rate: legitimate handshakes from --local's address and the --lport
 * ports, started at their own rate alongside the flood (issue #7: the fraction that completes
 * during a flood, and their latency).
 */
static void
legit_fill(struct bench_gen_worker *gw, uint64_t now_ns)
{
	struct gen_conn *c;

	if (gw->legit_next_ns == 0)
		gw->legit_next_ns = now_ns;
	while (!gw->stopping && gw->legit_next_ns <= now_ns) {
		gw->legit_next_ns += 1000000000ull / gw->o->handshake_rate;
		if (now_ns > gw->legit_next_ns + 1000000000ull)
			gw->legit_next_ns = now_ns; /* behind by a second: no catch-up burst */
		/* Due but no free slot (--conns in flight): offered, not started. */
		gen_cnt_add(gw, GEN_CNT_LEGIT_OFFERED, 1);
		if (gw->free_list == NULL || (c = conn_start(gw, now_ns)) == NULL)
			continue;
		conn_service(gw, c, now_ns);
	}
}

static void
on_datagram(void *ctx, struct dp_worker *w, const uint8_t *p, size_t len,
	    const struct dp_path *path, uint64_t now_ns)
{
	struct bench_gen_worker *gw = ctx;

	(void)w;
	gen_cnt_add(gw, GEN_CNT_PKTS_RX, 1);
	gen_cnt_add(gw, GEN_CNT_BYTES_RX, len);
	if (gen_mode_raw(gw->o->mode) && !legit_port(gw, path->local.port)) {
		gen_classify_rx(gw, p, len);
		return;
	}
	gen_recv(gw, p, len, path, now_ns, deliver);
}

/* Start connections up to what the mode keeps in flight. */
static void
conns_fill(struct bench_gen_worker *gw, uint64_t now_ns)
{
	const struct bench_gen_opts *o = gw->o;
	struct gen_conn *c;

	switch (o->mode) {
	case GEN_MODE_GET:
		if (gw->ops == 0 && op_allowed(gw) && (c = conn_start(gw, now_ns)) != NULL)
			conn_service(gw, c, now_ns);
		break;
	case GEN_MODE_HANDSHAKE:
		while (gw->free_list != NULL && gen_rate_take(gw, now_ns) && op_allowed(gw)) {
			if ((c = conn_start(gw, now_ns)) == NULL)
				break;
			conn_service(gw, c, now_ns);
		}
		break;
	default: /* bulk, rr: the connections stay for the whole run */
		while (!gw->stopping && gw->free_list != NULL) {
			if ((c = conn_start(gw, now_ns)) == NULL)
				break;
			conn_service(gw, c, now_ns);
		}
		break;
	}
}

/* After the load: once nothing is in flight (or the grace time is over), we are done. */
static void
check_finished(struct bench_gen_worker *gw, uint64_t now_ns)
{
	/* --hold: the connections kept are left as they are, not waited for. */
	bool idle = (gw->active == NULL || (gw->o->hold && gw->n_held == gw->o->conns)) &&
		    gw->bl_n == 0;

	if (gw->finished || !gw->stopping)
		return;
	if (gw->o->mode == GEN_MODE_GET && !idle && gw->get_done < gw->o->n_paths &&
	    now_ns < gw->t_end)
		return;
	if (gen_mode_raw(gw->o->mode)) {
		/* No state: only the answers still on the wire are waited for; with
		 * --handshake-rate also the legitimate handshakes in flight (bounded). */
		if (now_ns < gw->t_stop + GEN_RAW_DRAIN_NS || (gw->o->linger && now_ns < gw->t_end))
			return;
		if (!idle && now_ns < gw->t_stop + GEN_GRACE_NS)
			return;
	} else if (!idle && now_ns < gw->t_end + GEN_GRACE_NS) {
		return;
	}
	gen_cnt_add(gw, GEN_CNT_FAIL_UNFINISHED, gw->bl_n);
	gw->bl_n = 0;
	while (gw->active != NULL) {
		struct gen_conn *c = gw->active;

		gen_cnt_add(gw, GEN_CNT_FAIL_UNFINISHED, c->outstanding > 0 || !c->hs_done);
		conn_free(gw, c);
	}
	gw->finished = true;
	/* Raw modes: rates over the sending time; the drain only collects late answers. */
	gw->g->end_ns = gen_mode_raw(gw->o->mode) ? gw->t_stop : now_ns;
	/* Release pairs with the acquire load of the control thread in gen_main.c. */
	__atomic_store_n(&gw->g->done, 1, __ATOMIC_RELEASE);
}

/*
 * CPU headroom of the generator (issue #6: the generator must not be what limits a figure).
 * collect_tx runs once per loop iteration, after that iteration's receive: the time from one
 * call to the next is one iteration, idle when it neither received nor sent a datagram.
 * Only the load's own time counts: not the link's coming up, --start-delay or the drain after
 * the load stops, idle by nature, which made a saturated generator look 10 % idle.
 */
static void
loop_begin(struct bench_gen_worker *gw, uint64_t now_ns)
{
	uint64_t dt = now_ns - gw->loop_last_ns;

	if (gw->loop_last_ns != 0 && gw->measuring && !gw->stopping && now_ns >= gw->t_begin) {
		gen_cnt_add(gw, GEN_CNT_LOOP_NS, dt);
		if (gw->loop_idle)
			gen_cnt_add(gw, GEN_CNT_IDLE_NS, dt);
	}
	gw->loop_last_ns = now_ns;
}

static void
loop_end(struct bench_gen_worker *gw)
{
	uint64_t moved = gw->cnt.v[GEN_CNT_PKTS_TX] + gw->cnt.v[GEN_CNT_PKTS_RX];

	gw->loop_idle = moved == gw->loop_mark;
	gw->loop_mark = moved;
}

static void
collect_tx_work(struct bench_gen_worker *gw, uint64_t now_ns)
{
	if (gw->finished || !gen_link_ready(gw, now_ns))
		return;
	phase_update(gw, now_ns);
	if (now_ns < gw->t_begin)
		return; /* --start-delay */
	if (gen_mode_raw(gw->o->mode)) {
		if (!gw->stopping)
			gen_raw_send(gw, now_ns);
		if (gw->o->handshake_rate != 0)
			legit_fill(gw, now_ns);
	} else {
		if (gw->o->mode == GEN_MODE_GET && gw->get_done == gw->o->n_paths)
			gw->stopping = true;
		conns_fill(gw, now_ns);
		if (gw->o->mode == GEN_MODE_RR) {
			if (!gw->stopping)
				rr_offer(gw, now_ns);
			rr_dispatch(gw, now_ns);
		}
		/* Connections with nothing outstanding close once the load stops. */
		for (struct gen_conn *c = gw->active, *n; c != NULL; c = n) {
			n = c->next;
			if (gw->stopping && c->outstanding == 0 && c->hs_done)
				conn_service(gw, c, now_ns);
		}
	}
	check_finished(gw, now_ns);
}

static void
collect_tx(void *ctx, struct dp_worker *w, uint64_t now_ns)
{
	struct bench_gen_worker *gw = ctx;

	(void)w;
	loop_begin(gw, now_ns);
	dirty_service(gw, now_ns);
	collect_tx_work(gw, now_ns);
	loop_end(gw);
}

static void
on_tick(void *ctx, struct dp_worker *w, uint64_t now_ns)
{
	(void)w;
	gen_impair_tick(ctx, now_ns);
}

/* ---- Set-up ---- */

static int
worker_config(struct bench_gen_worker *gw)
{
	const struct bench_gen_opts *o = gw->o;
	struct quic_conn_config *q = &gw->qcfg;
	const struct dp_iface *ifc = dp_iface_get(gw->g->dp, 0);

	quic_conn_config_default(q, QUIC_ROLE_CLIENT);
	memcpy(q->versions, o->versions, sizeof(q->versions));
	q->n_versions = o->n_versions;
	q->tls_client = gw->g->tls;
	q->server_name = o->sni;
	q->crypto = gw->ctx;
	/* One worker owns the pool; the TLS config is used by this worker's connections only. */
	crypto_rand_pool_init(&gw->rand_pool, &gw->rand);
	q->rand = gw->rand;
	tls_client_config_set_rand(gw->g->tls, &gw->rand);
	/* --hold: no idle timeout of ours (RFC 9000 §10.1: 0 is none), so that the server's
	 * own, not our default, decides how long it keeps the connections we leave. */
	if (o->hold && quic_tparams_set_int(&q->tparams, QUIC_TP_MAX_IDLE_TIMEOUT, 0) != 0)
		return QUIC_ERR_INVAL;
	if (ifc == NULL)
		return QUIC_ERR_INVAL;
	memset(&gw->base, 0, sizeof(gw->base));
	gw->base.local.family = o->server.family;
	if (o->server.family == QUIC_AF_INET && ifc->has_ip4)
		memcpy(gw->base.local.ip, ifc->ip4, 4);
	else if (o->server.family == QUIC_AF_INET6 && ifc->has_ip6)
		memcpy(gw->base.local.ip, ifc->ip6, 16);
	else
		return QUIC_ERR_INVAL; /* --local and --server of different families */
	gw->base.remote.family = o->server.family;
	gw->base.remote.port = o->server.port;
	memcpy(gw->base.remote.ip, o->server.ip, sizeof(gw->base.remote.ip));
	snprintf(gw->authority, sizeof(gw->authority), "%s", o->sni);
	return 0;
}

static int
worker_slots(struct bench_gen_worker *gw)
{
	const struct bench_gen_opts *o = gw->o;
	unsigned streams = o->mode == GEN_MODE_GET ? o->n_paths : o->streams;

	gw->conns = calloc(o->conns, sizeof(*gw->conns));
	gw->streams = calloc((size_t)o->conns * streams, sizeof(*gw->streams));
	gw->bl_cap = 65536;
	gw->backlog = calloc(gw->bl_cap, sizeof(*gw->backlog));
	if (gw->conns == NULL || gw->streams == NULL || gw->backlog == NULL)
		return QUIC_ERR_NOMEM;
	for (uint32_t i = o->conns; i-- > 0;) {
		struct gen_conn *c = &gw->conns[i];

		c->gw = gw;
		c->lport = (uint16_t)(o->lport_base + i);
		c->st = &gw->streams[(size_t)i * streams];
		/* Cleared, not reset: calloc's fd 0 is not ours to close (closing it raced with
		 * the memif driver's memfd on the interrupt thread, which then went unsent). */
		for (unsigned k = 0; k < streams; k++)
			stream_clear_slot(&c->st[k]);
		c->next = gw->free_list;
		gw->free_list = c;
	}
	return 0;
}

int
bench_gen_worker_new(struct bench_gen *g, struct dp_worker *w)
{
	struct dp_handler h = {
		.on_datagram = on_datagram,
		.on_tick = on_tick,
		.collect_tx = collect_tx,
		.tick_ns = 1000ull * 1000,
	};
	struct bench_gen_worker *gw = calloc(1, sizeof(*gw));
	int rc;

	if (gw == NULL)
		return QUIC_ERR_NOMEM;
	g->gw = gw;
	gw->g = g;
	gw->o = &g->opts;
	gw->w = w;
	gw->rng = g->opts.impair.seed * 0x9e3779b97f4a7c15ull + 1;
	rc = crypto_ctx_new(&gw->ctx, CRYPTO_ENGINE_AUTO) == 0 ? 0 : QUIC_ERR_CRYPTO;
	if (rc == 0)
		rc = worker_config(gw);
	if (rc == 0)
		rc = worker_slots(gw);
	if (rc == 0 && g->opts.mode == GEN_MODE_RETRY_FLOOD)
		rc = g->opts.token_in != NULL ? gen_token_load(gw) : gen_flood_setup(gw);
	if (rc == 0 && g->opts.mode == GEN_MODE_TOKEN_FLOOD)
		rc = gen_token_setup(gw);
	if (rc == 0 && g->opts.mode == GEN_MODE_HOSTILE)
		rc = gen_hostile_setup(gw, &h);
	if (rc == 0 && g->opts.new_token_in != NULL)
		rc = gen_new_token_load(gw);
	if (rc == 0 && dp_worker_set_handler(w, &h, gw) != 0)
		rc = QUIC_ERR_INVAL;
	return rc;
}

void
bench_gen_worker_free(struct bench_gen_worker *gw)
{
	if (gw == NULL)
		return;
	while (gw->active != NULL)
		conn_free(gw, gw->active);
	gen_hostile_free(gw);
	free(gw->conns);
	free(gw->streams);
	free(gw->backlog);
	gen_token_free(gw);
	crypto_ctx_free(gw->ctx);
	crypto_rand_pool_fini(&gw->rand_pool);
	free(gw);
}

const struct bench_gen_counters *
bench_gen_worker_counters(const struct bench_gen_worker *gw)
{
	return &gw->cnt;
}

const struct bench_gen_counters *
bench_gen_worker_at_measure(const struct bench_gen_worker *gw)
{
	return &gw->at_measure;
}

const char *
bench_gen_worker_not_started(const struct bench_gen_worker *gw)
{
	if (gw->begun)
		return NULL;
	if (gw->t_link == 0)
		return "the port's link never came up (is the peer running?)";
	if (gw->unresolved)
		return "the server's address (or --gw) never resolved through ARP/NDP";
	return "the run ended while the server's address was resolving";
}

bool
bench_gen_worker_get_ok(const struct bench_gen_worker *gw)
{
	return gw->get_ok == gw->o->n_paths;
}
