/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Datagram output and input of the bench, with the impairment of its own path, and the two
 * modes without connections:
 *   retry-flood: copies of real first Initials (made once at start by fresh client connections,
 *     so the server sees well-formed, 1200-byte, protected Initials; RFC 9000 §14.1) sent from
 *     spoofed source addresses and ports drawn from the configured ranges. A server under
 *     --retry always answers each with a Retry (RFC 9000 §8.1.2); one that does not speak the
 *     --flood-version answers with a Version Negotiation (§6.1). No state is kept: we count
 *     what comes back. Only answers to our own address reach us; answers to other spoofed
 *     addresses go where the server routes them (the server's counters show them).
 *   link-floor: raw UDP datagrams of --size bytes to --server, no QUIC. The first byte is a
 *     short header (0x40) and the rest random. bench/compare.sh sends them to a port the
 *     server does not serve, so its dataplane drops each after the UDP checksum (drop_udp_port)
 *     and the floor is the link's; to the server's own port it parses the DCID, finds no
 *     connection and drops it (unknown_cid). The server's dataplane counters are the receive
 *     side of the floor, our table the send side.
 * Impairment (loss, reordering, duplication, corruption of a byte in the first 50 of the UDP
 * payload) applies to each datagram we send and receive, drawn from the --seed PRNG.
 */
#include <string.h>

#include <quic/packet.h>

#include "gen_int.h"

#define HOLD_MAX_NS (1000ull * 1000) /* a reordered datagram waits at most 1 ms */
#define RAW_BURST   DP_BURST

/* Count a datagram handed to the dataplane (rc 0) or refused by it. */
static void
raw_count(struct bench_gen_worker *gw, int rc, size_t len)
{
	if (rc != 0) {
		gen_cnt_add(gw, GEN_CNT_DROP_TX, 1);
		return;
	}
	gen_cnt_add(gw, GEN_CNT_PKTS_TX, 1);
	gen_cnt_add(gw, GEN_CNT_BYTES_TX, len);
}

static void
raw_out(struct bench_gen_worker *gw, const struct dp_path *path, const uint8_t *data, size_t len)
{
	raw_count(gw, dp_tx_copy(gw->w, path, data, len), len);
}

/* Whether any impairment of our own path is configured. */
static bool
impaired(const struct bench_gen_impair *im)
{
	return im->loss != 0 || im->corrupt != 0 || im->reorder != 0 || im->dup != 0;
}

void
gen_send_probe(struct bench_gen_worker *gw, const uint8_t *data, size_t len)
{
	(void)dp_tx_copy(gw->w, &gw->base, data, len); /* uncounted: the dataplane counts drops */
}

/* Corrupt one byte of the first 50 (RFC-free: the interop runner's "corruption" scenario). */
static void
corrupt(struct bench_gen_worker *gw, uint8_t *data, size_t len)
{
	size_t span = len < 50 ? len : 50;

	if (span == 0)
		return;
	data[bench_gen_rand(&gw->rng) % span] ^= (uint8_t)(1 + bench_gen_rand(&gw->rng) % 255);
	gen_cnt_add(gw, GEN_CNT_IMPAIR_CORRUPT, 1);
}

/* Hold a copy back (reordering). @return true when held */
static bool
hold(struct bench_gen_worker *gw, struct gen_held *h, const struct dp_path *path,
     const uint8_t *data, size_t len, uint64_t now_ns)
{
	if (h->valid || len > sizeof(h->data))
		return false;
	memcpy(h->data, data, len);
	h->len = (uint16_t)len;
	h->path = *path;
	h->since_ns = now_ns;
	h->valid = true;
	gen_cnt_add(gw, GEN_CNT_IMPAIR_REORDER, 1);
	return true;
}

void
gen_send(struct bench_gen_worker *gw, const struct dp_path *path, uint8_t *data, size_t len)
{
	const struct bench_gen_impair *im = &gw->o->impair;

	if (gen_chance(gw, im->loss)) {
		gen_cnt_add(gw, GEN_CNT_IMPAIR_LOSS, 1);
		return;
	}
	if (gen_chance(gw, im->corrupt))
		corrupt(gw, data, len);
	if (gen_chance(gw, im->reorder) && hold(gw, &gw->held_tx, path, data, len, 0))
		return;
	raw_out(gw, path, data, len);
	if (gen_chance(gw, im->dup)) {
		gen_cnt_add(gw, GEN_CNT_IMPAIR_DUP, 1);
		raw_out(gw, path, data, len);
	}
	if (gw->held_tx.valid) {
		gw->held_tx.valid = false;
		raw_out(gw, &gw->held_tx.path, gw->held_tx.data, gw->held_tx.len);
	}
}

void
gen_recv(struct bench_gen_worker *gw, const uint8_t *p, size_t len, const struct dp_path *path,
	 uint64_t now_ns, gen_deliver_fn deliver)
{
	const struct bench_gen_impair *im = &gw->o->impair;
	uint8_t *copy = gw->held_rx.valid ? NULL : gw->held_rx.data;
	struct dp_path hp;

	gw->deliver = deliver;
	if (!impaired(im)) {
		deliver(gw, p, len, path, now_ns);
		return;
	}
	if (gen_chance(gw, im->loss)) {
		gen_cnt_add(gw, GEN_CNT_IMPAIR_LOSS, 1);
		return;
	}
	if (gen_chance(gw, im->corrupt) && len <= GEN_DGRAM_MAX) {
		/* The payload is borrowed read-only: corrupt a copy in the worker's scratch. */
		memcpy(gw->scratch, p, len);
		corrupt(gw, gw->scratch, len);
		p = gw->scratch;
	}
	if (copy != NULL && gen_chance(gw, im->reorder) &&
	    hold(gw, &gw->held_rx, path, p, len, now_ns))
		return;
	deliver(gw, p, len, path, now_ns);
	if (gen_chance(gw, im->dup)) {
		gen_cnt_add(gw, GEN_CNT_IMPAIR_DUP, 1);
		deliver(gw, p, len, path, now_ns);
	}
	if (gw->held_rx.valid) {
		gw->held_rx.valid = false;
		hp = gw->held_rx.path;
		deliver(gw, gw->held_rx.data, gw->held_rx.len, &hp, now_ns);
	}
}

void
gen_impair_tick(struct bench_gen_worker *gw, uint64_t now_ns)
{
	struct dp_path hp;

	if (gw->held_tx.valid) {
		gw->held_tx.valid = false;
		raw_out(gw, &gw->held_tx.path, gw->held_tx.data, gw->held_tx.len);
	}
	if (gw->held_rx.valid && now_ns - gw->held_rx.since_ns >= HOLD_MAX_NS) {
		gw->held_rx.valid = false;
		hp = gw->held_rx.path;
		gw->deliver(gw, gw->held_rx.data, gw->held_rx.len, &hp, now_ns);
	}
}

bool
gen_classify_rx(struct bench_gen_worker *gw, const uint8_t *p, size_t len)
{
	uint32_t v;
	unsigned type;

	if (len < 5 || (p[0] & 0x80) == 0)
		return false;
	v = (uint32_t)p[1] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 8 | p[4];
	if (v == 0) { /* RFC 9000 §17.2.1 */
		gen_cnt_add(gw, GEN_CNT_VN_RX, 1);
		return false;
	}
	type = (p[0] >> 4) & 3;
	/* Retry is type 3 in v1 (RFC 9000 §17.2.5), type 0 in v2 (RFC 9369 §3.2). */
	if ((v == QUIC_VERSION_1 && type == 3) || (v == QUIC_VERSION_2 && type == 0)) {
		gen_cnt_add(gw, GEN_CNT_RETRIES_RX, 1);
		return true;
	}
	return false;
}

bool
gen_rate_take(struct bench_gen_worker *gw, uint64_t now_ns)
{
	if (gw->o->rate == 0)
		return true;
	if (gw->next_op_ns > now_ns)
		return false;
	gw->next_op_ns += 1000000000ull / gw->o->rate;
	/* Behind by more than a second: do not try to catch up with a burst. */
	if (now_ns > gw->next_op_ns + 1000000000ull)
		gw->next_op_ns = now_ns;
	return true;
}

/* A random value in [lo, hi] of an address of alen bytes (big-endian, the last 4 bytes vary). */
static void
spoof_ip(struct bench_gen_worker *gw, uint8_t *ip, size_t alen)
{
	const uint8_t *lo = gw->o->flood_ip_lo, *hi = gw->o->flood_ip_hi;
	uint32_t a = 0, b = 0;
	size_t k = alen - 4;

	memcpy(ip, lo, alen);
	for (size_t i = 0; i < 4; i++) {
		a = a << 8 | lo[k + i];
		b = b << 8 | hi[k + i];
	}
	if (b > a)
		a += (uint32_t)(bench_gen_rand(&gw->rng) % ((uint64_t)b - a + 1));
	for (size_t i = 0; i < 4; i++)
		ip[k + i] = (uint8_t)(a >> (24 - 8 * i));
}

void
gen_spoof_source(struct bench_gen_worker *gw, uint8_t ip[16], uint16_t *port)
{
	const struct bench_gen_opts *o = gw->o;
	size_t alen = gw->base.local.family == DP_AF_INET ? 4 : 16;

	memcpy(ip, gw->base.local.ip, 16);
	if (o->has_flood_ip)
		spoof_ip(gw, ip, alen);
	*port = (uint16_t)(o->flood_port_lo +
			   bench_gen_rand(&gw->rng) %
				   ((uint32_t)o->flood_port_hi - o->flood_port_lo + 1));
}

/*
 * A link-floor payload of len bytes into d: short header (RFC 9000 §17.3), the answer size asked
 * of an --echo-port (bytes 1..2, big-endian; 0: none), 8 random bytes.
 */
static void
link_fill(struct bench_gen_worker *gw, uint8_t *d, size_t len)
{
	uint64_t r = bench_gen_rand(&gw->rng);
	uint32_t reply = gw->o->reply_size;

	memset(d, 0, len);
	memcpy(d + 3, &r, sizeof(r));
	d[0] = 0x40; /* short header, fixed bit */
	d[1] = (uint8_t)(reply >> 8);
	d[2] = (uint8_t)reply;
}

/*
 * One flood or link-floor datagram: its source into path, its length into *len. @return the
 * prepared bytes of a token-flood or retry-flood datagram, or NULL for link-floor (whose bytes
 * link_fill() writes where they go).
 */
static const uint8_t *
raw_make(struct bench_gen_worker *gw, struct dp_path *path, size_t *len)
{
	const struct bench_gen_opts *o = gw->o;

	if (o->mode == GEN_MODE_TOKEN_FLOOD)
		return gen_token_next(gw, path, len);
	if (o->mode == GEN_MODE_RETRY_FLOOD) {
		unsigned t = (unsigned)(gw->ops % gw->n_tmpl);

		gen_spoof_source(gw, path->local.ip, &path->local.port);
		if (o->token_in != NULL)
			path->local.port = gw->token_port; /* the token is bound to it */
		*len = gw->tmpl_len[t];
		return gw->tmpl[t];
	}
	path->local.port = o->lport_base;
	*len = (size_t)o->size;
	return NULL;
}

/*
 * Send one. Without impairment the bytes go straight into the dataplane's buffer (one copy: the
 * generator must not be what limits a flood or the link floor, issue #6); with it, through
 * gen_send() from a copy it may corrupt or hold.
 */
static void
raw_one(struct bench_gen_worker *gw)
{
	struct dp_path path = gw->base;
	size_t len;
	const uint8_t *src = raw_make(gw, &path, &len);
	uint8_t *buf = impaired(&gw->o->impair) ? gw->txbuf : dp_tx_alloc(gw->w, &path, len);

	if (buf != NULL && src != NULL)
		memcpy(buf, src, len);
	else if (buf != NULL)
		link_fill(gw, buf, len);
	if (buf == gw->txbuf)
		gen_send(gw, &path, buf, len);
	else
		raw_count(gw, buf == NULL ? DP_ERR_NOMEM : dp_tx_commit(gw->w, len), len);
}

void
gen_raw_send(struct bench_gen_worker *gw, uint64_t now_ns)
{
	for (unsigned i = 0; i < RAW_BURST; i++) {
		if (gw->o->count != 0 && gw->ops >= gw->o->count)
			return;
		if (!gen_rate_take(gw, now_ns))
			return;
		raw_one(gw);
		gw->ops++;
	}
}

/* Initials of GEN_FLOOD_TEMPLATES fresh connections (distinct DCIDs and ClientHellos). */
int
gen_flood_setup(struct bench_gen_worker *gw)
{
	const struct bench_gen_opts *o = gw->o;
	struct quic_conn_config cfg = gw->qcfg;
	struct quic_path qp, out;
	struct quic_conn *c;
	size_t len;
	int rc;

	memset(&qp, 0, sizeof(qp));
	qp.local.family = gw->base.local.family;
	memcpy(qp.local.ip, gw->base.local.ip, sizeof(qp.local.ip));
	qp.local.port = o->flood_port_lo;
	qp.remote = o->server;
	for (unsigned i = 0; i < GEN_FLOOD_TEMPLATES; i++) {
		rc = quic_conn_new_client(&c, &cfg, &qp, 0);
		if (rc != 0)
			return rc;
		len = 0;
		rc = quic_conn_write(c, gw->tmpl[i], GEN_DGRAM_MAX, 1252, &len, 1, &out, 0);
		quic_conn_free(c);
		if (rc != 1 || len < 1200)
			return QUIC_ERR_INVAL;
		if (o->flood_version != 0) {
			/* The version field is not header-protected (RFC 9001 §5.4.1). */
			for (int k = 0; k < 4; k++)
				gw->tmpl[i][1 + k] = (uint8_t)(o->flood_version >> (24 - 8 * k));
		}
		gw->tmpl_len[i] = (uint16_t)len;
	}
	gw->n_tmpl = GEN_FLOOD_TEMPLATES;
	return 0;
}
