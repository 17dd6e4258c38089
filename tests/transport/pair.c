/* SPDX-License-Identifier: BSD-3-Clause */
/* The client/server pair of pair.h. */
#include <stdlib.h>
#include <string.h>

#include <quic/packet.h>

#include "hb_addr.h"
#include "hb_test.h"
#include "pair.h"

#define PAIR_BURST 16
#define PAIR_MDS   1452

static int
pair_rand(void *arg, uint8_t *buf, size_t len)
{
	uint64_t *st = arg;

	while (len > 0) {
		uint64_t v = sim_rand64(st);
		size_t n = len < sizeof(v) ? len : sizeof(v);

		memcpy(buf, &v, n);
		buf += n;
		len -= n;
	}
	return 0;
}

/*
 * The fake token service: kind, the client's port, the original DCID, in clear. Good enough to
 * drive the connection's token paths; the real service seals tokens (design.md).
 */
static int
token_issue(void *arg, enum quic_token_kind kind, const struct quic_addr *peer,
	    const uint8_t *odcid, size_t odcid_len, uint64_t now_ns, uint8_t *out, size_t cap)
{
	struct pair *p = arg;

	(void)now_ns;
	if (cap < 4 + odcid_len)
		return -1;
	out[0] = (uint8_t)(0xa0 | kind);
	out[1] = (uint8_t)(peer->port >> 8);
	out[2] = (uint8_t)peer->port;
	out[3] = (uint8_t)odcid_len;
	if (odcid_len > 0)
		memcpy(out + 4, odcid, odcid_len);
	p->tokens_issued++;
	return (int)(4 + odcid_len);
}

static int
token_validate(void *arg, const uint8_t *t, size_t len, const struct quic_addr *peer,
	       uint64_t now_ns, struct quic_token_info *info)
{
	struct pair *p = arg;

	(void)now_ns;
	if (len < 4 || (t[0] & 0xf0) != 0xa0 || (t[0] & 0x0f) > QUIC_TOKEN_NEW_TOKEN ||
	    t[1] != (uint8_t)(peer->port >> 8) || t[2] != (uint8_t)peer->port ||
	    t[3] > QUIC_MAX_CID_LEN || len != 4u + t[3])
		return -1;
	info->kind = (enum quic_token_kind)(t[0] & 0x0f);
	info->odcid.len = t[3];
	memcpy(info->odcid.data, t + 4, t[3]);
	p->tokens_valid++;
	return 0;
}

void
pair_opts_default(struct pair_opts *o, uint64_t delay_ms)
{
	memset(o, 0, sizeof(*o));
	o->link[PAIR_C2S].delay_ns = delay_ms * PAIR_MS;
	o->link[PAIR_S2C].delay_ns = delay_ms * PAIR_MS;
	o->link[PAIR_C2S].seed = 11;
	o->link[PAIR_S2C].seed = 23;
	o->seed = 0x1234567;
}

static void
pair_tls(struct pair *p, const struct pair_opts *o)
{
	static const uint8_t ticket_key[TLS_TICKET_KEY_LEN] = {0x5a, 0x11, 0x7e};
	struct tls_cert_params cp = {.key_type = TLS_KEY_ECDSA_P256, .host_name = PAIR_HOST};
	static const char *const alpn[] = {"hq-interop"};
	char *cert = NULL, *key = NULL;
	size_t cert_len = 0, key_len = 0;

	cr_assert(eq(int, tls_cert_generate(&cp, &cert, &cert_len, &key, &key_len), 0));
	cr_assert(eq(int, tls_server_config_new(&p->tls_srv), 0));
	cr_assert(eq(int, tls_server_config_set_cert_pem(p->tls_srv, cert, cert_len, key, key_len),
		     0));
	cr_assert(eq(int, tls_client_config_new(&p->tls_cli), 0));
	cr_assert(eq(int, tls_client_config_set_ca_pem(p->tls_cli, cert, cert_len), 0));
	cr_assert(eq(int, tls_client_config_set_alpn(p->tls_cli, alpn, 1), 0));
	if (o->tickets) {
		cr_assert(eq(int, tls_server_config_rotate_ticket_key(p->tls_srv, ticket_key), 0));
		cr_assert(eq(
			int,
			tls_server_config_set_tickets(p->tls_srv, 1, TLS_DEFAULT_TICKET_LIFETIME_S),
			0));
	}
	tls_server_config_set_early_data(p->tls_srv, o->early_data,
					 TLS_DEFAULT_FRESHNESS_WINDOW_MS);
	free(cert);
	free(key);
}

void
pair_init(struct pair *p, const struct pair_opts *o)
{
	memset(p, 0, sizeof(*p));
	p->now = 1000 * PAIR_MS;
	p->rng = o->seed != 0 ? o->seed : 1;
	p->rand = (struct crypto_rand){.fn = pair_rand, .arg = &p->rng};
	cr_assert(eq(int, crypto_ctx_new(&p->ctx, CRYPTO_ENGINE_AUTO), 0));
	pair_tls(p, o);
	memcpy(p->link, o->link, sizeof(p->link));
	sim_dir_init(&p->dir[PAIR_C2S], &o->link[PAIR_C2S]);
	sim_dir_init(&p->dir[PAIR_S2C], &o->link[PAIR_S2C]);
	hb_test_addr4(&p->cpath.local, 1, 50000);
	hb_test_addr4(&p->cpath.remote, 2, 443);
	p->spath.local = p->cpath.remote;
	p->spath.remote = p->cpath.local;

	quic_conn_config_default(&p->ccfg, QUIC_ROLE_CLIENT);
	p->ccfg.tls_client = p->tls_cli;
	p->ccfg.server_name = PAIR_HOST;
	p->ccfg.crypto = p->ctx;
	p->ccfg.rand = p->rand;
	p->ccfg.cc_algo = o->cc_algo;
	quic_conn_config_default(&p->scfg, QUIC_ROLE_SERVER);
	p->scfg.tls_server = p->tls_srv;
	p->scfg.crypto = p->ctx;
	p->scfg.rand = p->rand;
	p->scfg.cc_algo = o->cc_algo;
	p->retry = o->retry;
	p->burst_bufs = o->burst_bufs;
	p->tokens =
		(struct quic_token_ops){.issue = token_issue, .validate = token_validate, .arg = p};
	p->scfg.tokens = &p->tokens;
	if (o->tweak != NULL)
		o->tweak(o->tweak_arg, &p->ccfg, &p->scfg);
	cr_assert(eq(int, quic_conn_new_client(&p->cli, &p->ccfg, &p->cpath, p->now), 0));
}

void
pair_free(struct pair *p)
{
	quic_conn_free(p->cli);
	quic_conn_free(p->srv);
	sim_dir_fini(&p->dir[PAIR_C2S]);
	sim_dir_fini(&p->dir[PAIR_S2C]);
	tls_server_config_free(p->tls_srv);
	tls_client_config_free(p->tls_cli);
	crypto_ctx_free(p->ctx);
	memset(p, 0, sizeof(*p));
}

void
pair_reconnect(struct pair *p, const uint8_t *session, size_t session_len)
{
	uint8_t *copy = NULL;

	if (session != NULL) {
		copy = malloc(session_len);
		cr_assert(copy != NULL);
		memcpy(copy, session, session_len);
	}
	quic_conn_free(p->cli);
	quic_conn_free(p->srv);
	p->cli = p->srv = NULL;
	sim_dir_fini(&p->dir[PAIR_C2S]);
	sim_dir_fini(&p->dir[PAIR_S2C]);
	sim_dir_init(&p->dir[PAIR_C2S], &p->link[PAIR_C2S]);
	sim_dir_init(&p->dir[PAIR_S2C], &p->link[PAIR_S2C]);
	p->ccfg.session = copy;
	p->ccfg.session_len = session_len;
	cr_assert(eq(int, quic_conn_new_client(&p->cli, &p->ccfg, &p->cpath, p->now), 0));
	p->ccfg.session = NULL;
	p->ccfg.session_len = 0;
	free(copy);
}

#define PAIR_CANARY 16

/*
 * One quic_conn_write_burst() into separate buffers, handed out in reverse order (so that no
 * datagram can run into the next one unnoticed), each followed by canary bytes.
 * @return datagrams; buf receives them back to back as quic_conn_write() writes them
 */
static int
write_burst(struct pair *p, struct quic_conn *c, uint8_t *buf, size_t *lens, struct quic_path *path)
{
	static uint8_t bb[PAIR_BURST][PAIR_MDS + PAIR_CANARY];
	uint8_t *bufs[PAIR_BURST];
	size_t off = 0;
	int n, i, k;

	for (i = 0; i < PAIR_BURST; i++) {
		bufs[i] = bb[PAIR_BURST - 1 - i];
		memset(bufs[i] + PAIR_MDS, 0xa5, PAIR_CANARY);
	}
	n = quic_conn_write_burst(c, bufs, PAIR_MDS, lens, PAIR_BURST, path, p->now);
	for (i = 0; i < n; i++) {
		cr_assert(le(sz, lens[i], PAIR_MDS));
		for (k = 0; k < PAIR_CANARY; k++)
			p->canary_broken += bufs[i][PAIR_MDS + k] != 0xa5;
		memcpy(buf + off, bufs[i], lens[i]);
		off += lens[i];
	}
	p->multi_bursts += n > 1;
	return n;
}

unsigned
pair_flush(struct pair *p, struct quic_conn *c, int dir)
{
	static uint8_t buf[PAIR_BURST * PAIR_MDS];
	size_t lens[PAIR_BURST];
	struct quic_path path;
	unsigned total = 0;
	int n, i;

	if (c == NULL)
		return 0;
	do {
		size_t off = 0;

		if (p->burst_bufs)
			n = write_burst(p, c, buf, lens, &path);
		else
			n = quic_conn_write(c, buf, sizeof(buf), PAIR_MDS, lens, PAIR_BURST, &path,
					    p->now);
		cr_assert(ge(int, n, 0));
		for (i = 0; i < n; i++) {
			/* The client is where the server sees it now (after a NAT rebinding). */
			if (dir == PAIR_S2C && !quic_addr_equal(&path.remote, &p->spath.remote))
				p->misrouted++;
			else
				sim_dir_send(&p->dir[dir], buf + off, lens[i], p->now);
			off += lens[i];
		}
		total += (unsigned)n;
	} while (n == PAIR_BURST);
	return total;
}

static void
check_amp(struct pair *p)
{
	struct quic_conn_stats st;

	if (p->srv == NULL)
		return;
	quic_conn_stats(p->srv, &st);
	if (st.unvalidated_tx > 3 * st.unvalidated_rx)
		p->amp_violations++;
	if (st.unvalidated_tx > p->max_unvalidated_tx)
		p->max_unvalidated_tx = st.unvalidated_tx;
}

/* A datagram for no connection: what quic_server_screen() says, as a dataplane would. */
static void
first_contact(struct pair *p, const uint8_t *buf, size_t len)
{
	uint8_t out[QUIC_RETRY_MAX_LEN];
	size_t out_len = 0;
	int rc = quic_server_screen(&p->scfg, p->retry, buf, len, &p->spath, p->now, out,
				    sizeof(out), &out_len);

	cr_assert(ge(int, rc, 0));
	if (rc == QUIC_SCREEN_REPLY) {
		p->screen_replies++;
		sim_dir_send(&p->dir[PAIR_S2C], out, out_len, p->now);
	} else if (rc == QUIC_SCREEN_DROP) {
		p->screen_drops++;
	} else if (quic_conn_accept(&p->srv, &p->scfg, buf, len, &p->spath, p->now) != 0) {
		p->accept_failures++;
	}
}

static void
deliver(struct pair *p)
{
	uint8_t buf[SIM_MAX_DGRAM];
	size_t len;

	while (sim_dir_recv(&p->dir[PAIR_C2S], p->now, buf, &len)) {
		if (p->srv == NULL) {
			first_contact(p, buf, len);
			continue;
		}
		cr_assert(eq(int, quic_conn_recv(p->srv, buf, len, &p->spath, p->now), 0));
	}
	while (sim_dir_recv(&p->dir[PAIR_S2C], p->now, buf, &len))
		cr_assert(eq(int, quic_conn_recv(p->cli, buf, len, &p->cpath, p->now), 0));
}

static uint64_t
min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* The next delivery or connection timer. */
static uint64_t
next_event(const struct pair *p)
{
	uint64_t t;

	t = min_u64(sim_dir_next_time(&p->dir[PAIR_C2S]), sim_dir_next_time(&p->dir[PAIR_S2C]));
	t = min_u64(t, quic_conn_next_timeout(p->cli));
	if (p->srv != NULL)
		t = min_u64(t, quic_conn_next_timeout(p->srv));
	return t;
}

void
pair_run_for(struct pair *p, uint64_t ns)
{
	uint64_t end = p->now + ns;

	for (;;) {
		pair_flush(p, p->cli, PAIR_C2S);
		pair_flush(p, p->srv, PAIR_S2C);
		if (next_event(p) > end)
			break;
		pair_step(p);
	}
	p->now = end;
}

bool
pair_step(struct pair *p)
{
	uint64_t t;

	pair_flush(p, p->cli, PAIR_C2S);
	pair_flush(p, p->srv, PAIR_S2C);
	check_amp(p);
	t = next_event(p);
	if (t == UINT64_MAX)
		return false;
	/* A timer already due that did not move makes progress by the nanosecond. */
	p->now = t > p->now ? t : p->now + 1000;
	p->steps++;
	deliver(p);
	if (quic_conn_next_timeout(p->cli) <= p->now)
		quic_conn_handle_timeout(p->cli, p->now);
	if (p->srv != NULL && quic_conn_next_timeout(p->srv) <= p->now)
		quic_conn_handle_timeout(p->srv, p->now);
	if (p->on_step != NULL)
		p->on_step(p, p->step_arg);
	return true;
}

bool
pair_run(struct pair *p, bool (*done)(struct pair *p, void *arg), void *arg, uint64_t max_ns)
{
	uint64_t end = p->now + max_ns;

	while (!done(p, arg)) {
		if (p->now > end || !pair_step(p))
			return done(p, arg);
	}
	pair_flush(p, p->cli, PAIR_C2S);
	pair_flush(p, p->srv, PAIR_S2C);
	check_amp(p);
	return true;
}

static bool
handshake_done(struct pair *p, void *arg)
{
	(void)arg;
	return p->srv != NULL && quic_conn_state(p->srv) == QUIC_CONN_ESTABLISHED &&
	       quic_conn_handshake_confirmed(p->cli);
}

bool
pair_handshake(struct pair *p, uint64_t max_ns)
{
	return pair_run(p, handshake_done, NULL, max_ns);
}

void
pair_drain_events(struct quic_conn *c)
{
	struct quic_event ev;

	if (c == NULL)
		return;
	while (quic_conn_poll_event(c, &ev))
		;
}
