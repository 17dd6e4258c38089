/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hayabusa-bench: address-validation tokens carried from one run to another (issue #7 tests).
 *
 *   --token-out FILE (handshake, get): the first datagram a connection sends after it followed
 *     a Retry, that is its Initial carrying the Retry token (RFC 9000 §8.1.2, §17.2.5), is
 *     written to FILE with the local UDP port it left from. The token is bound to that
 *     address and port and to the Retry's Source Connection ID, which is the datagram's DCID
 *     (draft-ietf-quic-retry-offload), so the datagram as sent is what another server of the
 *     fleet must accept.
 *   --token FILE (retry-flood): that datagram, unchanged, is what the raw mode sends (from the
 *     saved port, at --rate, --count times): a second server sharing the key file validates
 *     it and answers with its Initial and Handshake packets; one without the key refuses it
 *     with an INVALID_TOKEN close. The bench only counts what comes back; the servers'
 *     counters (validated, retry_sent, screen_reply) say which it was.
 *
 *   --new-token-out FILE (handshake, get): the first NEW_TOKEN token a connection receives
 *     (RFC 9000 §8.1.3, §19.7) is written to FILE as is; in handshake mode connections wait
 *     for it before they close.
 *   --new-token FILE (connection modes): every connection's Initials carry that token, as a
 *     client's next connection would: a server (or another of its fleet) that validates it
 *     sends no Retry; one that does not treats it as no token.
 *
 * File formats: --token-out, the local UDP port (2 bytes, big-endian) then the datagram (UDP
 * payload); --new-token-out, the token's bytes.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <quic/error.h>
#include <quic/packet.h>

#include "gen_int.h"

/* A long-header Initial of v1 (type 0, RFC 9000 §17.2.2) or v2 (type 1, RFC 9369 §3.2). */
static bool
is_initial(const uint8_t *p, size_t len)
{
	uint32_t v;
	unsigned type;

	if (len < 7 || (p[0] & 0x80) == 0)
		return false;
	v = (uint32_t)p[1] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 8 | p[4];
	type = (p[0] >> 4) & 3;
	return (v == QUIC_VERSION_1 && type == 0) || (v == QUIC_VERSION_2 && type == 1);
}

/* hdr[0..hlen) then data[0..len) into path. @return true when all was written */
static bool
save(const char *opt, const char *path, const uint8_t *hdr, size_t hlen, const uint8_t *data,
     size_t len)
{
	FILE *f = fopen(path, "wb");
	bool ok;

	if (f == NULL) {
		fprintf(stderr, "hayabusa-bench: %s %s: %s\n", opt, path, strerror(errno));
		return false;
	}
	/* fwrite() wants a pointer even for 0 bytes. */
	ok = (hlen == 0 || fwrite(hdr, 1, hlen, f) == hlen) && fwrite(data, 1, len, f) == len;
	if (fclose(f) != 0 || !ok) {
		fprintf(stderr, "hayabusa-bench: %s %s: write failed\n", opt, path);
		return false;
	}
	return true;
}

/* The whole of path into buf[0..cap). @return its length, 0 when unreadable, empty or longer */
static size_t
load(const char *opt, const char *path, uint8_t *buf, size_t cap)
{
	FILE *f = fopen(path, "rb");
	size_t len;
	bool whole;

	if (f == NULL) {
		fprintf(stderr, "hayabusa-bench: %s %s: %s\n", opt, path, strerror(errno));
		return 0;
	}
	len = fread(buf, 1, cap, f);
	whole = fgetc(f) == EOF && !ferror(f);
	fclose(f);
	return whole ? len : 0;
}

void
gen_token_capture(struct bench_gen_worker *gw, struct gen_conn *c, uint16_t lport, const uint8_t *p,
		  size_t len)
{
	uint8_t port[2] = {(uint8_t)(lport >> 8), (uint8_t)lport};

	if (!c->capture || !is_initial(p, len))
		return;
	c->capture = false;
	gw->token_saved = save("--token-out", gw->o->token_out, port, 2, p, len);
}

int
gen_token_load(struct bench_gen_worker *gw)
{
	uint8_t buf[2 + GEN_DGRAM_MAX];
	size_t len = load("--token", gw->o->token_in, buf, sizeof(buf));

	/* A client's Initial is at least 1200 bytes (RFC 9000 §14.1). */
	if (len < 2 + 1200 || !is_initial(buf + 2, len - 2) || (buf[0] | buf[1]) == 0) {
		fprintf(stderr, "hayabusa-bench: --token %s: not a saved Initial\n",
			gw->o->token_in);
		return QUIC_ERR_INVAL;
	}
	memcpy(gw->tmpl[0], buf + 2, len - 2);
	gw->tmpl_len[0] = (uint16_t)(len - 2);
	gw->n_tmpl = 1;
	gw->token_port = (uint16_t)(buf[0] << 8 | buf[1]);
	return 0;
}

void
gen_new_token_save(struct bench_gen_worker *gw, struct gen_conn *c)
{
	size_t len = 0;
	const uint8_t *t = quic_conn_new_token(c->qc, &len);

	if (t != NULL && len > 0 && !gw->nt_saved)
		gw->nt_saved = save("--new-token-out", gw->o->new_token_out, NULL, 0, t, len);
}

int
gen_new_token_load(struct bench_gen_worker *gw)
{
	gw->nt_len = load("--new-token", gw->o->new_token_in, gw->nt, sizeof(gw->nt));
	if (gw->nt_len == 0) {
		fprintf(stderr, "hayabusa-bench: --new-token %s: not a token of 1..%u bytes\n",
			gw->o->new_token_in, QUIC_TOKEN_MAX_LEN);
		return QUIC_ERR_INVAL;
	}
	return 0;
}
