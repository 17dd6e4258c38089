/* SPDX-License-Identifier: BSD-3-Clause */
/* The transfers of xfer.h. */
#include <stdlib.h>
#include <string.h>

#include "hb_test.h"
#include "xfer.h"

#define XFER_CHUNK 16384

void
xfer_init(struct xfer *x, size_t n, uint64_t up, uint64_t down, bool uni)
{
	memset(x, 0, sizeof(*x));
	x->n = n;
	x->up = up;
	x->down = uni ? 0 : down;
	x->uni = uni;
	x->st = calloc(n, sizeof(*x->st));
	cr_assert(not(eq(ptr, x->st, NULL)));
}

void
xfer_free(struct xfer *x)
{
	free(x->st);
	memset(x, 0, sizeof(*x));
}

uint8_t
xfer_byte(uint64_t i, uint64_t off, bool up)
{
	uint64_t v = off * 0x9e3779b1u + i * 0x85ebca6bu + (up ? 0x5a : 0xa5);

	return (uint8_t)(v >> 13 ^ v);
}

static void
fill(uint8_t *buf, size_t n, uint64_t i, uint64_t off, bool up)
{
	size_t k;

	for (k = 0; k < n; k++)
		buf[k] = xfer_byte(i, off + k, up);
}

/* Queue as much of one direction of a stream as the connection takes now. */
static void
send_side(struct quic_conn *c, uint64_t id, uint64_t i, uint64_t total, uint64_t *sent,
	  bool *fin_sent, bool up)
{
	uint8_t buf[XFER_CHUNK];
	int rc;

	while (!*fin_sent) {
		uint64_t left = total - *sent, room = quic_conn_stream_send_room(c, id);
		size_t n = left < sizeof(buf) ? (size_t)left : sizeof(buf);

		if (n > room)
			n = (size_t)room;
		if (n == 0 && left > 0)
			return;
		fill(buf, n, i, *sent, up);
		rc = quic_conn_stream_write(c, id, buf, n, n == left);
		if (rc <= 0 && !(rc == 0 && n == 0))
			return;
		*sent += (uint64_t)rc;
		if ((size_t)rc == n && n == left)
			*fin_sent = true;
		if ((size_t)rc < n)
			return;
	}
}

/* Read and check everything readable on a stream. */
static void
recv_side(struct xfer *x, struct quic_conn *c, uint64_t id, uint64_t i, uint64_t total,
	  uint64_t *rcvd, bool *fin_rcvd, bool up)
{
	uint8_t buf[XFER_CHUNK];
	bool fin = false;
	int rc, k;

	for (;;) {
		rc = quic_conn_stream_read(c, id, buf, sizeof(buf), &fin, NULL);
		if (rc < 0) {
			x->bad_events++;
			return;
		}
		for (k = 0; k < rc; k++)
			if (buf[k] != xfer_byte(i, *rcvd + (uint64_t)k, up))
				x->mismatches++;
		*rcvd += (uint64_t)rc;
		if (*rcvd > total)
			x->bad_events++;
		if (fin) {
			*fin_rcvd = true;
			if (*rcvd != total)
				x->bad_events++;
		}
		if (rc == 0 || fin)
			return;
	}
}

static void
client_open(struct xfer *x, struct pair *p)
{
	uint64_t id;
	int rc;

	while (x->opened < x->n) {
		rc = quic_conn_stream_open(p->cli, x->uni, &id);
		if (rc == QUIC_ERR_STREAM_LIMIT) {
			x->open_blocked++;
			return;
		}
		if (rc != 0)
			return;
		if ((id >> 2) != x->opened) {
			x->bad_events++;
			return;
		}
		x->st[x->opened].id = id;
		x->st[x->opened].open = true;
		x->opened++;
	}
}

static struct xfer_stream *
stream_at(struct xfer *x, uint64_t id)
{
	uint64_t i = id >> 2;

	if (i >= x->n || (id & 1) != 0 || ((id & 2) != 0) != x->uni) {
		x->bad_events++;
		return NULL;
	}
	return &x->st[i];
}

static void
server_events(struct xfer *x, struct pair *p)
{
	struct quic_event ev;
	struct xfer_stream *s;

	while (quic_conn_poll_event(p->srv, &ev)) {
		if (ev.type != QUIC_EV_STREAM_READABLE && ev.type != QUIC_EV_STREAM_OPENED)
			continue;
		s = stream_at(x, ev.stream_id);
		if (s == NULL)
			continue;
		s->s_started = true;
		if (ev.type == QUIC_EV_STREAM_READABLE && !s->s_fin_rcvd)
			recv_side(x, p->srv, ev.stream_id, ev.stream_id >> 2, x->up, &s->s_rcvd,
				  &s->s_fin_rcvd, true);
	}
}

static void
client_events(struct xfer *x, struct pair *p)
{
	struct quic_event ev;
	struct xfer_stream *s;

	while (quic_conn_poll_event(p->cli, &ev)) {
		if (ev.type != QUIC_EV_STREAM_READABLE)
			continue;
		s = stream_at(x, ev.stream_id);
		if (s != NULL && !s->c_fin_rcvd)
			recv_side(x, p->cli, ev.stream_id, ev.stream_id >> 2, x->down, &s->c_rcvd,
				  &s->c_fin_rcvd, false);
	}
}

void
xfer_step(struct pair *p, void *arg)
{
	struct xfer *x = arg;
	size_t i;

	if (quic_conn_state(p->cli) != QUIC_CONN_ESTABLISHED &&
	    !(x->early && quic_conn_state(p->cli) == QUIC_CONN_HANDSHAKE))
		return;
	client_open(x, p);
	for (i = 0; i < x->opened; i++)
		send_side(p->cli, x->st[i].id, i, x->up, &x->st[i].c_sent, &x->st[i].c_fin_sent,
			  true);
	if (p->srv == NULL)
		return;
	server_events(x, p);
	for (i = 0; i < x->opened && !x->uni; i++)
		if (x->st[i].s_started)
			send_side(p->srv, x->st[i].id, i, x->down, &x->st[i].s_sent,
				  &x->st[i].s_fin_sent, false);
	client_events(x, p);
}

bool
xfer_done(struct pair *p, void *arg)
{
	struct xfer *x = arg;
	size_t i;

	(void)p;
	if (x->opened < x->n)
		return false;
	for (i = 0; i < x->n; i++) {
		if (!x->st[i].s_fin_rcvd || x->st[i].s_rcvd != x->up)
			return false;
		if (!x->uni && (!x->st[i].c_fin_rcvd || x->st[i].c_rcvd != x->down))
			return false;
	}
	return true;
}
