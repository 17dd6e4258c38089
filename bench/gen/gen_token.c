/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * token-flood: Initials carrying valid Retry tokens from spoofed sources (issue #7, "valid
 * tokens validated per second"). A real client never gets such tokens for a spoofed address:
 * the Retry goes to that address. A fleet, though, shares its token keys (--token-keys FILE,
 * quic/token.h), so the bench, given the same file, seals the tokens itself, exactly as a
 * server of the fleet would have in its Retry (RFC 9000 §8.1.2, draft-ietf-quic-retry-offload
 * "Token Protection with AEAD"):
 *
 *   for each entry of a pool: a spoofed source (--src-ip/--src-port ranges), a fresh client
 *   connection whose first DCID plays the Retry's SCID, an 8-byte original DCID, a Retry token
 *   sealed for (source address, port, original DCID, that SCID), and the connection's first
 *   Initial written with the token in it (quic_conn_set_token()), so the packet is a well
 *   formed, protected 1200-byte Initial that the server's validator accepts.
 *
 * The pool is then sent round and round at --rate. A Retry token may be used again from the
 * same address and port within its lifetime by design (quic/token.h "Replay"), so every send
 * is a valid token for the server to open; the first use of an entry makes a connection (up
 * to the server's --max-conns: then the server refuses it, counted refused_full, after
 * validating the token), later uses of an entry whose connection lives go to that connection.
 * Tokens expire (10 s lifetime + 2 s grace): the run is bounded to GEN_TOKEN_MAX_MS after the
 * pool is built. The figure is the server's tokens_valid counter over the run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <quic/token.h>

#include "gen_int.h"

#define TOKEN_WORKER_ID 0xbe7c0000u /* not a server worker id: nonces stay unique per key */
#define KEYFILE_MAX	(64u * 1024)

struct gen_token_pool {
	struct quic_token_domain *dom;
	struct quic_token_worker *tw;
	size_t n;
	struct {
		uint8_t ip[16];
		uint16_t port;
		uint16_t len;
		uint8_t pkt[GEN_DGRAM_MAX];
	} e[];
};

static uint64_t
real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Read and parse the key file into a published domain and a token worker of our own. */
static int
keys_load(struct bench_gen_worker *gw, struct gen_token_pool *tp)
{
	struct quic_token_config tc;
	struct quic_token_keyset *ks = NULL;
	char *text = malloc(KEYFILE_MAX);
	FILE *f = fopen(gw->o->token_keys, "r");
	size_t len = 0;
	int rc = QUIC_ERR_INVAL;

	if (text != NULL && f != NULL)
		len = fread(text, 1, KEYFILE_MAX, f);
	if (f != NULL)
		fclose(f);
	if (len > 0 && len < KEYFILE_MAX)
		rc = quic_token_keyfile_parse(&ks, text, len, NULL);
	free(text);
	if (rc != 0) {
		fprintf(stderr, "hayabusa-bench: --token-keys %s: unreadable or malformed\n",
			gw->o->token_keys);
		return rc;
	}
	rc = quic_token_domain_new(&tp->dom, 1);
	if (rc == 0 && (rc = quic_token_domain_publish(tp->dom, ks)) != 0)
		quic_token_keyset_free(ks);
	else if (rc != 0)
		quic_token_keyset_free(ks);
	quic_token_config_default(&tc);
	tc.worker_id = TOKEN_WORKER_ID;
	if (rc == 0)
		rc = quic_token_worker_new(&tp->tw, tp->dom, 0, &tc, gw->ctx, NULL);
	return rc;
}

/* One pool entry: a spoofed source, its token, and the Initial that carries it. */
static int
entry_make(struct bench_gen_worker *gw, struct gen_token_pool *tp, size_t i, uint64_t real)
{
	struct quic_conn_config cfg = gw->qcfg;
	uint8_t tok[QUIC_TOKEN_BUF_LEN], odcid[8];
	struct quic_path qp, out;
	const struct quic_cid *rscid;
	struct quic_conn *c;
	size_t tlen = 0, len = 0;
	int rc;

	memset(&qp, 0, sizeof(qp));
	qp.local.family = gw->base.local.family;
	gen_spoof_source(gw, qp.local.ip, &qp.local.port);
	qp.remote = gw->o->server;
	rc = quic_conn_new_client(&c, &cfg, &qp, 0);
	if (rc != 0)
		return rc;
	rscid = quic_conn_dcid(c);
	for (size_t k = 0; k < sizeof(odcid); k++)
		odcid[k] = (uint8_t)bench_gen_rand(&gw->rng);
	rc = quic_token_seal_retry(tp->tw, &qp.local, odcid, sizeof(odcid), rscid->data, rscid->len,
				   real, tok, sizeof(tok), &tlen);
	if (rc == 0)
		rc = quic_conn_set_token(c, tok, tlen);
	if (rc == 0 &&
	    (quic_conn_write(c, tp->e[i].pkt, GEN_DGRAM_MAX, 1252, &len, 1, &out, 0) != 1 ||
	     len < 1200))
		rc = QUIC_ERR_INVAL;
	quic_conn_free(c);
	memcpy(tp->e[i].ip, qp.local.ip, sizeof(tp->e[i].ip));
	tp->e[i].port = qp.local.port;
	tp->e[i].len = (uint16_t)len;
	return rc;
}

int
gen_token_setup(struct bench_gen_worker *gw)
{
	size_t n = gw->o->token_pool;
	struct gen_token_pool *tp = calloc(1, sizeof(*tp) + n * sizeof(tp->e[0]));
	uint64_t real = real_ns();
	int rc;

	if (tp == NULL)
		return QUIC_ERR_NOMEM;
	gw->tokens = tp;
	rc = keys_load(gw, tp);
	if (rc != 0)
		return rc;
	quic_token_worker_enter(tp->tw);
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = entry_make(gw, tp, i, real);
	quic_token_worker_exit(tp->tw);
	quic_token_worker_offline(tp->tw);
	tp->n = n;
	return rc;
}

void
gen_token_free(struct bench_gen_worker *gw)
{
	struct gen_token_pool *tp = gw->tokens;

	if (tp == NULL)
		return;
	quic_token_worker_free(tp->tw);
	quic_token_domain_free(tp->dom);
	free(tp);
	gw->tokens = NULL;
}

const uint8_t *
gen_token_next(struct bench_gen_worker *gw, struct dp_path *path, size_t *len)
{
	struct gen_token_pool *tp = gw->tokens;
	size_t i = (size_t)(gw->ops % tp->n);

	memcpy(path->local.ip, tp->e[i].ip, sizeof(path->local.ip));
	path->local.port = tp->e[i].port;
	*len = tp->e[i].len;
	return tp->e[i].pkt;
}
