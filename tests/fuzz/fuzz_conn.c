/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Whole-connection fuzz target (issue 8): arbitrary datagrams to a server connection.
 *
 * Linked with hb_crypto_null (crypto/aead_null.c): packet protection is the identity with an
 * all-zero tag and header protection masks are zero, so the datagrams built here are "valid"
 * packets and the fuzzer reaches the frame handlers behind decryption (RFC 9001 §5).
 *
 * Per input: a real handshake between an in-process client and a server connection (both on
 * the null engine), driven to the end (mode 0) or only to the point where the server has read
 * the client's first flight and holds Initial and Handshake keys (mode 1). Then the rest of the
 * input is a sequence of records, each one datagram to the server:
 *
 *   flags(1) length(2, big-endian) payload(length, clamped to what is left and to FC_MAX_PAYLOAD)
 *
 *   flags & 3:    0 short header (RFC 9000 §17.3.1) for the server's CID, payload = frames
 *                 1 Initial, 2 Handshake (§17.2.2, §17.2.4), payload = frames
 *                 3 the payload is the whole datagram, as is
 *   flags & 4:    from another client port (a NAT rebinding, §9.3)
 *   flags & 8:    key phase bit set (§17.3.1, RFC 9001 §6)
 *   flags & 0x10: the clock moves FC_STEP_NS first
 *
 * Wrapped packets get a 4-byte packet number that only increases. Checked for every datagram:
 *   - frames decoded for it (counted by wrapping quic_frame_decode at link time) <= its bytes;
 *   - what the server writes in answer: at most FC_TX_MAX_DGRAMS datagrams and FC_TX_MAX_BYTES;
 *   - heap bytes held beyond the level after the handshake <= FC_MEM_FIXED + FC_MEM_PER_BYTE x
 *     bytes received (whole-process allocator counter: the connection is the only thing that
 *     allocates here).
 * After the input, time only advances: the connection must reach QUIC_CONN_CLOSED within its
 * idle timeout (RFC 9000 §10.1) plus the closing period and what RTT samples taken during the
 * input can add (see end_bound()). Any violation aborts.
 *
 * Seeds (corpus/conn/) come from gen_conn_seeds.py: frames of every type in 1-RTT packets,
 * CRYPTO/ACK/PING/CONNECTION_CLOSE in Initial and Handshake packets, and a few mixed runs.
 */
#include <malloc.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <crypto/crypto.h>
#include <crypto/tls.h>
#include <quic/conn.h>
#include <quic/frame.h>
#include <quic/packet.h>

#include "hb_addr.h"

#if defined(__SANITIZE_ADDRESS__)
#define FC_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FC_ASAN 1
#endif
#endif
#ifdef FC_ASAN
/* From <sanitizer/allocator_interface.h>, which gcc does not install. */
size_t __sanitizer_get_current_allocated_bytes(void);
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FC_MS		  UINT64_C(1000000)
#define FC_STEP_NS	  (25 * FC_MS)
#define FC_TICK_NS	  (FC_MS / 10)
#define FC_IDLE_MS	  5000
#define FC_MDS		  1452
#define FC_BURST	  16
#define FC_MAX_PAYLOAD	  1400
#define FC_TX_MAX_DGRAMS  32
#define FC_TX_MAX_BYTES	  (32 * FC_MDS)
#define FC_MEM_FIXED	  (512u * 1024)
#define FC_MEM_PER_BYTE	  16
#define FC_HANDSHAKE_STEPS 64
#define FC_END_STEPS	  10000
#define FC_PN_START	  1000

enum { FC_ESTABLISHED = 0, FC_HANDSHAKE = 1 };

struct fc_global {
	struct crypto_ctx *ctx;
	struct tls_server_config *tls_srv;
	struct tls_client_config *tls_cli;
};

struct fc {
	struct quic_conn_config ccfg;
	struct quic_conn_config scfg;
	struct quic_conn *cli;
	struct quic_conn *srv;
	struct quic_path cpath; /* the client's view */
	struct quic_path spath; /* the server's view */
	uint64_t now;
	uint64_t start;
	uint64_t rng;
	uint64_t pn;
	uint64_t rx_bytes;
	size_t mem_base;
};

static struct fc_global g;
static uint64_t frames_decoded;
static uint8_t wbuf[FC_BURST * FC_MDS];

/* The counting hook: -Wl,--wrap=quic_frame_decode (tests/fuzz/meson.build). */
int __real_quic_frame_decode(struct crypto_rd *r, struct quic_frame *f);
int __wrap_quic_frame_decode(struct crypto_rd *r, struct quic_frame *f);

int
__wrap_quic_frame_decode(struct crypto_rd *r, struct quic_frame *f)
{
	frames_decoded++;
	return __real_quic_frame_decode(r, f);
}

static void
check(bool ok)
{
	if (!ok)
		abort();
}

static size_t
heap_bytes(void)
{
#ifdef FC_ASAN
	return __sanitizer_get_current_allocated_bytes();
#else
	return mallinfo2().uordblks;
#endif
}

static int
fc_rand(void *arg, uint8_t *buf, size_t len)
{
	uint64_t *st = arg;

	for (size_t i = 0; i < len; i++) {
		*st ^= *st << 13;
		*st ^= *st >> 7;
		*st ^= *st << 17;
		buf[i] = (uint8_t)*st;
	}
	return 0;
}

/* Once per process: the null-engine context, a certificate and both TLS configurations. */
static void
global_init(void)
{
	struct tls_cert_params cp = {.key_type = TLS_KEY_ECDSA_P256, .host_name = "fuzz.test"};
	static const char *const alpn[] = {"hq-interop"};
	char *cert = NULL, *key = NULL;
	size_t cert_len = 0, key_len = 0;

	if (g.ctx != NULL)
		return;
	check(crypto_ctx_new(&g.ctx, CRYPTO_ENGINE_NULL) == 0);
	check(tls_cert_generate(&cp, &cert, &cert_len, &key, &key_len) == 0);
	check(tls_server_config_new(&g.tls_srv) == 0);
	check(tls_server_config_set_cert_pem(g.tls_srv, cert, cert_len, key, key_len) == 0);
	check(tls_client_config_new(&g.tls_cli) == 0);
	check(tls_client_config_set_ca_pem(g.tls_cli, cert, cert_len) == 0);
	check(tls_client_config_set_alpn(g.tls_cli, alpn, 1) == 0);
	free(cert);
	free(key);
}

static void
fc_init(struct fc *f)
{
	memset(f, 0, sizeof(*f));
	f->now = 1000 * FC_MS;
	f->rng = 0x9e3779b97f4a7c15u;
	f->pn = FC_PN_START;
	hb_test_addr4(&f->cpath.local, 1, 50000);
	hb_test_addr4(&f->cpath.remote, 2, 443);
	f->spath.local = f->cpath.remote;
	f->spath.remote = f->cpath.local;
	quic_conn_config_default(&f->ccfg, QUIC_ROLE_CLIENT);
	f->ccfg.tls_client = g.tls_cli;
	f->ccfg.server_name = "fuzz.test";
	f->ccfg.crypto = g.ctx;
	f->ccfg.rand = (struct crypto_rand){.fn = fc_rand, .arg = &f->rng};
	f->ccfg.tparams.max_idle_timeout = FC_IDLE_MS;
	quic_conn_config_default(&f->scfg, QUIC_ROLE_SERVER);
	f->scfg.tls_server = g.tls_srv;
	f->scfg.crypto = g.ctx;
	f->scfg.rand = f->ccfg.rand;
	f->scfg.tparams.max_idle_timeout = FC_IDLE_MS;
	check(quic_conn_new_client(&f->cli, &f->ccfg, &f->cpath, f->now) == 0);
}

/* Everything c has to send now. deliver: pass it to the other side. @return datagrams */
static unsigned
flush(struct fc *f, struct quic_conn *c, bool deliver, size_t *bytes)
{
	size_t lens[FC_BURST];
	struct quic_path path;
	unsigned total = 0;
	int n;

	do {
		size_t off = 0;

		n = quic_conn_write(c, wbuf, sizeof(wbuf), FC_MDS, lens, FC_BURST, &path, f->now);
		check(n >= 0);
		for (int i = 0; i < n; i++) {
			if (bytes != NULL)
				*bytes += lens[i];
			if (deliver && c == f->cli && f->srv == NULL)
				check(quic_conn_accept(&f->srv, &f->scfg, wbuf + off, lens[i],
						       &f->spath, f->now) == 0);
			else if (deliver && c == f->cli)
				check(quic_conn_recv(f->srv, wbuf + off, lens[i], &f->spath,
						     f->now) == 0);
			else if (deliver)
				check(quic_conn_recv(f->cli, wbuf + off, lens[i], &f->cpath,
						     f->now) == 0);
			off += lens[i];
		}
		total += (unsigned)n;
		/* A burst bound: a connection that never stops writing is a bug too. */
		check(total <= 64 * FC_BURST);
	} while (n == FC_BURST);
	return total;
}

static void
run_timers(struct quic_conn *c, uint64_t now)
{
	if (c != NULL && quic_conn_next_timeout(c) <= now)
		quic_conn_handle_timeout(c, now);
}

/* Mode 0: a complete handshake; mode 1: the server has read the client's first flight. */
static void
handshake(struct fc *f, int mode)
{
	flush(f, f->cli, true, NULL);
	check(f->srv != NULL);
	if (mode == FC_HANDSHAKE)
		return;
	for (int i = 0; i < FC_HANDSHAKE_STEPS; i++) {
		f->now += FC_TICK_NS;
		run_timers(f->cli, f->now);
		run_timers(f->srv, f->now);
		flush(f, f->srv, true, NULL);
		flush(f, f->cli, true, NULL);
		if (quic_conn_state(f->srv) == QUIC_CONN_ESTABLISHED &&
		    quic_conn_handshake_confirmed(f->cli))
			break;
	}
	check(quic_conn_state(f->srv) == QUIC_CONN_ESTABLISHED);
	/* The server's last packets (HANDSHAKE_DONE, ACKs) are not needed by anyone. */
	flush(f, f->srv, false, NULL);
}

/* A long header (Initial or Handshake) packet for the server carrying payload as frames. */
static size_t
build_long(struct fc *f, enum quic_pkt_type type, const uint8_t *payload, size_t len,
	   uint8_t *out, size_t cap)
{
	const struct quic_cid *dcid = quic_conn_scid(f->srv);
	const struct quic_cid *scid = quic_conn_dcid(f->srv);
	struct quic_packet_out p = {
		.type = type,
		.version = quic_conn_version(f->srv),
		.dcid = dcid->data,
		.dcid_len = dcid->len,
		.scid = scid->data,
		.scid_len = scid->len,
		.pn = f->pn++,
		.pn_len = 4,
		.len_size = 2,
	};
	struct quic_packet_layout lay;
	size_t body, pad = 0;

	if (quic_packet_write_header(out, cap, &p, &lay) != 0)
		return 0;
	/* A server drops Initials in datagrams below 1200 bytes (RFC 9000 §14.1): PADDING. */
	if (type == QUIC_PKT_INITIAL && lay.hdr_len + len + CRYPTO_TAG_LEN < 1200)
		pad = 1200 - (lay.hdr_len + len + CRYPTO_TAG_LEN);
	if (lay.hdr_len + len + pad + CRYPTO_TAG_LEN > cap)
		return 0;
	memcpy(out + lay.hdr_len, payload, len);
	memset(out + lay.hdr_len + len, 0, pad);
	len += pad;
	body = lay.pn_len + len + CRYPTO_TAG_LEN;
	/* The 2-byte Length varint (RFC 9000 §16) over packet number, payload and tag. */
	out[lay.len_offset] = (uint8_t)(0x40 | (body >> 8));
	out[lay.len_offset + 1] = (uint8_t)body;
	/* The null engine's tag: all zero (crypto/aead_null.c). */
	memset(out + lay.hdr_len + len, 0, CRYPTO_TAG_LEN);
	return lay.hdr_len + len + CRYPTO_TAG_LEN;
}

/* A short header packet for the server's current CID carrying payload as frames. */
static size_t
build_short(struct fc *f, bool key_phase, const uint8_t *payload, size_t len, uint8_t *out,
	    size_t cap)
{
	const struct quic_cid *dcid = quic_conn_scid(f->srv);
	struct quic_packet_out p = {
		.type = QUIC_PKT_1RTT,
		.dcid = dcid->data,
		.dcid_len = dcid->len,
		.pn = f->pn++,
		.pn_len = 4,
		.key_phase = key_phase,
	};
	struct quic_packet_layout lay;

	if (quic_packet_write_header(out, cap, &p, &lay) != 0 ||
	    lay.hdr_len + len + CRYPTO_TAG_LEN > cap)
		return 0;
	memcpy(out + lay.hdr_len, payload, len);
	memset(out + lay.hdr_len + len, 0, CRYPTO_TAG_LEN);
	return lay.hdr_len + len + CRYPTO_TAG_LEN;
}

/* What an application would do: take every event, read what streams have. */
static void
drain_app(struct quic_conn *c)
{
	static uint8_t sink[4096];
	struct quic_event ev;
	unsigned n = 0;

	while (quic_conn_poll_event(c, &ev)) {
		bool fin = false;

		/* Events come from state: a bounded number per datagram, never a loop. */
		check(++n <= 4096);
		if (ev.type == QUIC_EV_STREAM_READABLE)
			while (quic_conn_stream_read(c, ev.stream_id, sink, sizeof(sink), &fin,
						     NULL) > 0)
				;
	}
}

/* One datagram to the server, then what it answers, with the per-datagram bounds. */
static void
feed(struct fc *f, uint8_t flags, const uint8_t *payload, size_t len)
{
	static uint8_t pkt[FC_MAX_PAYLOAD + 128];
	struct quic_path path = f->spath;
	uint64_t frames_before = frames_decoded;
	size_t n = len, tx = 0;
	unsigned dgrams;

	if (flags & 0x10)
		f->now += FC_STEP_NS;
	f->now += FC_TICK_NS;
	run_timers(f->srv, f->now);
	switch (flags & 3) {
	case 0:
		n = build_short(f, flags & 8, payload, len, pkt, sizeof(pkt));
		break;
	case 1:
		n = build_long(f, QUIC_PKT_INITIAL, payload, len, pkt, sizeof(pkt));
		break;
	case 2:
		n = build_long(f, QUIC_PKT_HANDSHAKE, payload, len, pkt, sizeof(pkt));
		break;
	default:
		memcpy(pkt, payload, len);
		break;
	}
	if (flags & 4)
		path.remote.port = 50001;
	check(quic_conn_recv(f->srv, pkt, n, &path, f->now) == 0);
	f->rx_bytes += n;
	check(frames_decoded - frames_before <= n);
	drain_app(f->srv);
	dgrams = flush(f, f->srv, false, &tx);
	check(dgrams <= FC_TX_MAX_DGRAMS && tx <= FC_TX_MAX_BYTES);
	check(heap_bytes() <= f->mem_base + FC_MEM_FIXED + FC_MEM_PER_BYTE * f->rx_bytes);
}

/*
 * Latest time the connection may still be open after the input ended at f->now. RFC 9000
 * §10.1: the idle timeout is at least 3 PTO; §10.2: closing/draining last 3 PTO. A PTO is at
 * most about 5 RTT + max_ack_delay (RFC 9002 §6.2.1), and no RTT sample can exceed the
 * simulated time the input spanned, so 2 x 3 x (5 span + 25 ms) plus the idle timeout, with a
 * second of slack for PTO probes and timer granularity.
 */
static uint64_t
end_bound(const struct fc *f)
{
	uint64_t span = f->now - f->start;

	return f->now + FC_IDLE_MS * FC_MS + 6 * (5 * span + 25 * FC_MS) + 1000 * FC_MS;
}

/* Only time passes: every connection ends, with a timer that gets it there. */
static void
run_to_end(struct fc *f)
{
	uint64_t deadline = end_bound(f);

	for (unsigned i = 0; i < FC_END_STEPS && !quic_conn_is_closed(f->srv); i++) {
		uint64_t t = quic_conn_next_timeout(f->srv);

		check(t != UINT64_MAX && t <= deadline);
		f->now = t > f->now ? t : f->now + 1000;
		quic_conn_handle_timeout(f->srv, f->now);
		drain_app(f->srv);
		flush(f, f->srv, false, NULL);
	}
	check(quic_conn_is_closed(f->srv));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fc f;
	size_t off = 1;

	if (size < 1)
		return 0;
	global_init();
	fc_init(&f);
	handshake(&f, data[0] & 1);
	quic_conn_free(f.cli);
	f.cli = NULL;
	drain_app(f.srv);
	f.start = f.now;
	f.mem_base = heap_bytes();
	while (off + 3 <= size) {
		uint8_t flags = data[off];
		size_t len = (size_t)data[off + 1] << 8 | data[off + 2];

		off += 3;
		if (len > size - off)
			len = size - off;
		if (len > FC_MAX_PAYLOAD)
			len = FC_MAX_PAYLOAD;
		feed(&f, flags, data + off, len);
		off += len;
	}
	run_to_end(&f);
	quic_conn_free(f.srv);
	return 0;
}
