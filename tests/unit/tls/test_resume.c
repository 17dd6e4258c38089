/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Session tickets, PSK resumption with (EC)DHE and 0-RTT (RFC 9846 §2.2, §2.3, §4.3.10,
 * §4.3.11, §4.7.1, §8.3; RFC 9001 §4.6): a ticket from connection 1 resumes connection 2.
 */
#include <string.h>

#include "tls_int.h"
#include "tls_pair.h"

TestSuite(tls_resume);

#define HOUR_MS (3600u * 1000)

struct env {
	struct pem pem;
	struct tls_server_config *scfg;
	struct tls_client_config *ccfg;
	uint8_t *session;
	size_t session_len;
};

static void
env_init(struct env *e, bool early)
{
	uint8_t key[TLS_TICKET_KEY_LEN];

	memset(e, 0, sizeof(*e));
	memset(key, 0xa1, sizeof(key));
	e->scfg = server_cfg(TLS_KEY_ECDSA_P256, &e->pem);
	e->ccfg = client_cfg(&e->pem);
	cr_assert(eq(int, tls_server_config_rotate_ticket_key(e->scfg, key), 0));
	tls_server_config_set_early_data(e->scfg, early, TLS_DEFAULT_FRESHNESS_WINDOW_MS);
}

static void
env_fini(struct env *e)
{
	free(e->session);
	tls_client_config_free(e->ccfg);
	tls_server_config_free(e->scfg);
	pem_free(&e->pem);
}

/* Connection 1: a full handshake whose ticket is kept in e->session. */
static void
first_connection(struct env *e, uint64_t now)
{
	struct pair p;

	pair_init(&p, e->ccfg, e->scfg, PAIR_HOST);
	cr_assert(eq(int, pair_run(&p, now), 0));
	cr_assert(tls_conn_handshake_done(p.cli.c));
	cr_assert(not(tls_conn_resumed(p.srv.c)));
	cr_assert(eq(u32, p.cli.sessions, 1));
	free(e->session);
	e->session = p.cli.session;
	e->session_len = p.cli.session_len;
	p.cli.session = NULL;
	pair_free(&p);
}

/* Connection 2 set up with the session; the client is started at client_now. */
static void
second_connection(struct env *e, struct pair *p, uint64_t client_now)
{
	pair_init(p, e->ccfg, e->scfg, PAIR_HOST);
	cr_assert(
		eq(int, tls_conn_set_session(p->cli.c, e->session, e->session_len, client_now), 0));
	cr_assert(eq(int, tls_conn_start(p->cli.c, client_now), 0));
}

HB_TEST(tls_resume, resumption_without_0rtt)
{
	struct env e;
	struct pair p;

	env_init(&e, false);
	first_connection(&e, PAIR_NOW);
	second_connection(&e, &p, PAIR_NOW + 5000);
	/* No early_data in the ticket: no 0-RTT secret for the client. */
	cr_assert(eq(sz, p.cli.secret_len[TLS_LEVEL_EARLY][TLS_DIR_WRITE], 0));
	cr_assert(eq(int, pair_run(&p, PAIR_NOW + 5000), 0));
	cr_assert(tls_conn_handshake_done(p.cli.c));
	cr_assert(tls_conn_handshake_done(p.srv.c));
	cr_assert(tls_conn_resumed(p.cli.c));
	cr_assert(tls_conn_resumed(p.srv.c));
	cr_assert(eq(int, tls_conn_early_data(p.cli.c), TLS_EARLY_NONE));
	cr_assert(eq(int, tls_conn_early_data(p.srv.c), TLS_EARLY_NONE));
	pair_assert_secrets(&p);
	/* A resumed connection issues a fresh ticket too. */
	cr_assert(eq(u32, p.cli.sessions, 1));
	pair_free(&p);
	env_fini(&e);
}

HB_TEST(tls_resume, zero_rtt_accepted)
{
	struct env e;
	struct pair p;
	const uint8_t *tp;
	size_t tp_len, n;

	env_init(&e, true);
	first_connection(&e, PAIR_NOW);
	second_connection(&e, &p, PAIR_NOW + 5000);
	p.srv.accept_early = true;
	/* The client remembers what 0-RTT must respect (RFC 9000 §7.4.1). */
	tp = tls_conn_session_tparams(p.cli.c, &tp_len);
	cr_assert(eq(sz, tp_len, sizeof(server_tp)));
	cr_assert(eq(int, memcmp(tp, server_tp, tp_len), 0));
	cr_assert(eq(int, str_cmp(tls_conn_session_alpn(p.cli.c), "h3"), 0));
	n = p.cli.secret_len[TLS_LEVEL_EARLY][TLS_DIR_WRITE];
	cr_assert(eq(sz, n, 32));
	cr_assert(eq(int, pair_run(&p, PAIR_NOW + 5000), 0));
	cr_assert(tls_conn_resumed(p.srv.c));
	cr_assert(eq(int, tls_conn_early_data(p.srv.c), TLS_EARLY_ACCEPTED));
	cr_assert(eq(int, tls_conn_early_data(p.cli.c), TLS_EARLY_ACCEPTED));
	/* The server asked quic/ with the transport parameters stored in the ticket. */
	cr_assert(eq(u32, p.srv.early_asked, 1));
	cr_assert(eq(sz, p.srv.early_tp_len, sizeof(server_tp)));
	cr_assert(eq(int, memcmp(p.srv.early_tp, server_tp, sizeof(server_tp)), 0));
	/* Both sides hold the same 0-RTT secret. */
	cr_assert(eq(sz, p.srv.secret_len[TLS_LEVEL_EARLY][TLS_DIR_READ], n));
	cr_assert(eq(int,
		     memcmp(p.cli.secret[TLS_LEVEL_EARLY][TLS_DIR_WRITE],
			    p.srv.secret[TLS_LEVEL_EARLY][TLS_DIR_READ], n),
		     0));
	pair_assert_secrets(&p);
	pair_free(&p);
	env_fini(&e);
}

HB_TEST(tls_resume, zero_rtt_rejected_by_quic)
{
	struct env e;
	struct pair p;

	env_init(&e, true);
	first_connection(&e, PAIR_NOW);
	second_connection(&e, &p, PAIR_NOW + 5000);
	p.srv.accept_early = false;
	cr_assert(eq(int, pair_run(&p, PAIR_NOW + 5000), 0));
	cr_assert(tls_conn_resumed(p.cli.c));
	cr_assert(eq(u32, p.srv.early_asked, 1));
	cr_assert(eq(int, tls_conn_early_data(p.srv.c), TLS_EARLY_REJECTED));
	cr_assert(eq(int, tls_conn_early_data(p.cli.c), TLS_EARLY_REJECTED));
	cr_assert(eq(sz, p.srv.secret_len[TLS_LEVEL_EARLY][TLS_DIR_READ], 0));
	pair_assert_secrets(&p);
	pair_free(&p);
	env_fini(&e);
}

/* Client and server ages 30 s apart: outside the 10 s window, 0-RTT refused (§8.3). */
HB_TEST(tls_resume, zero_rtt_rejected_not_fresh)
{
	struct env e;
	struct pair p;

	env_init(&e, true);
	first_connection(&e, PAIR_NOW);
	second_connection(&e, &p, PAIR_NOW + 5000);
	p.srv.accept_early = true;
	cr_assert(eq(int, pair_run(&p, PAIR_NOW + 35000), 0));
	cr_assert(tls_conn_resumed(p.srv.c));
	cr_assert(eq(u32, p.srv.early_asked, 0));
	cr_assert(eq(int, tls_conn_early_data(p.cli.c), TLS_EARLY_REJECTED));
	pair_free(&p);
	env_fini(&e);
}

/* HelloRetryRequest during resumption: the PSK survives, 0-RTT does not (RFC 9001 §4.6.2). */
HB_TEST(tls_resume, resumption_with_hrr)
{
	struct env e;
	struct pair p;
	enum crypto_group x = CRYPTO_GROUP_X25519;
	enum crypto_group cli[] = {CRYPTO_GROUP_SECP256R1, CRYPTO_GROUP_X25519};

	env_init(&e, true);
	first_connection(&e, PAIR_NOW);
	cr_assert(eq(int, tls_server_config_set_groups(e.scfg, &x, 1), 0));
	cr_assert(eq(int, tls_client_config_set_groups(e.ccfg, cli, 2, 1), 0));
	second_connection(&e, &p, PAIR_NOW + 1000);
	p.srv.accept_early = true;
	cr_assert(eq(int, pair_run(&p, PAIR_NOW + 1000), 0));
	cr_assert(tls_conn_hrr(p.cli.c));
	cr_assert(tls_conn_resumed(p.cli.c));
	cr_assert(tls_conn_resumed(p.srv.c));
	cr_assert(eq(int, tls_conn_early_data(p.cli.c), TLS_EARLY_REJECTED));
	pair_assert_secrets(&p);
	pair_free(&p);
	env_fini(&e);
}

/* Two live ticket keys: one rotation keeps a ticket valid, a second one retires it. */
HB_TEST(tls_resume, ticket_key_rotation)
{
	struct env e;
	struct pair p;
	uint8_t k2[TLS_TICKET_KEY_LEN], k3[TLS_TICKET_KEY_LEN];

	memset(k2, 0xb2, sizeof(k2));
	memset(k3, 0xc3, sizeof(k3));
	env_init(&e, false);
	first_connection(&e, PAIR_NOW);
	cr_assert(eq(int, tls_server_config_rotate_ticket_key(e.scfg, k2), 0));
	second_connection(&e, &p, PAIR_NOW + 1000);
	cr_assert(eq(int, pair_run(&p, PAIR_NOW + 1000), 0));
	cr_assert(tls_conn_resumed(p.srv.c));
	pair_free(&p);
	cr_assert(eq(int, tls_server_config_rotate_ticket_key(e.scfg, k3), 0));
	second_connection(&e, &p, PAIR_NOW + 2000);
	cr_assert(eq(int, pair_run(&p, PAIR_NOW + 2000), 0));
	cr_assert(tls_conn_handshake_done(p.cli.c));
	cr_assert(not(tls_conn_resumed(p.srv.c)));
	cr_assert(not(tls_conn_resumed(p.cli.c)));
	pair_assert_secrets(&p);
	pair_free(&p);
	env_fini(&e);
}

/* Past its lifetime the client ignores the session; the server refuses the PSK too. */
HB_TEST(tls_resume, expired_ticket)
{
	struct env e;
	struct pair p;

	env_init(&e, false);
	cr_assert(eq(int, tls_server_config_set_tickets(e.scfg, 1, 3600), 0));
	first_connection(&e, PAIR_NOW);
	pair_init(&p, e.ccfg, e.scfg, PAIR_HOST);
	cr_assert(
		eq(int,
		   tls_conn_set_session(p.cli.c, e.session, e.session_len, PAIR_NOW + HOUR_MS + 1),
		   1));
	pair_free(&p);
	/* The client still thinks it is fresh; the server's clock says otherwise. */
	second_connection(&e, &p, PAIR_NOW + 1000);
	cr_assert(eq(int, pair_run(&p, PAIR_NOW + HOUR_MS + 1), 0));
	cr_assert(tls_conn_handshake_done(p.srv.c));
	cr_assert(not(tls_conn_resumed(p.srv.c)));
	pair_free(&p);
	env_fini(&e);
}

/* A session for another server name is not offered. */
HB_TEST(tls_resume, session_for_other_host_ignored)
{
	struct env e;
	struct pair p;

	env_init(&e, false);
	first_connection(&e, PAIR_NOW);
	pair_init(&p, e.ccfg, e.scfg, "other.test");
	cr_assert(eq(int, tls_conn_set_session(p.cli.c, e.session, e.session_len, PAIR_NOW), 1));
	pair_free(&p);
	env_fini(&e);
}

/* A corrupted binder: decrypt_error 51 (RFC 9846 §4.3.11.2). */
HB_TEST(tls_resume, bad_binder_51)
{
	struct env e;
	struct pair p;
	uint8_t ch[4096];
	const uint8_t *d;
	size_t len = 0;

	env_init(&e, false);
	first_connection(&e, PAIR_NOW);
	second_connection(&e, &p, PAIR_NOW + 1000);
	d = tls_conn_pending(p.cli.c, TLS_LEVEL_INITIAL, &len);
	cr_assert(le(sz, len, sizeof(ch)));
	memcpy(ch, d, len);
	ch[len - 1] ^= 0x80; /* the binder ends the ClientHello */
	cr_assert(eq(int, tls_conn_recv(p.srv.c, TLS_LEVEL_INITIAL, ch, len, PAIR_NOW + 1000),
		     TLS_ERR_ALERT));
	cr_assert(eq(int, tls_conn_alert(p.srv.c), TLS_ALERT_DECRYPT_ERROR));
	pair_free(&p);
	env_fini(&e);
}

/* A ticket that is not ours (or altered) is skipped: a full handshake, no alert. */
HB_TEST(tls_resume, foreign_ticket_full_handshake)
{
	struct env e, other;
	struct pair p;
	uint8_t k[TLS_TICKET_KEY_LEN];

	env_init(&e, false);
	env_init(&other, false);
	/* The other server's keys (both live slots) differ from e's. */
	memset(k, 0x77, sizeof(k));
	cr_assert(eq(int, tls_server_config_rotate_ticket_key(other.scfg, k), 0));
	cr_assert(eq(int, tls_server_config_rotate_ticket_key(other.scfg, k), 0));
	first_connection(&other, PAIR_NOW);
	pair_init(&p, e.ccfg, e.scfg, PAIR_HOST);
	cr_assert(eq(int, tls_conn_set_session(p.cli.c, other.session, other.session_len, PAIR_NOW),
		     0));
	cr_assert(eq(int, pair_run(&p, PAIR_NOW), 0));
	cr_assert(tls_conn_handshake_done(p.cli.c));
	cr_assert(not(tls_conn_resumed(p.cli.c)));
	pair_free(&p);
	env_fini(&other);
	env_fini(&e);
}

/* Several tickets per connection; 0-RTT tickets carry max_early_data_size 0xffffffff. */
HB_TEST(tls_resume, tickets_per_connection)
{
	struct env e;
	struct pair p;
	struct tls_session s;

	env_init(&e, true);
	cr_assert(eq(int, tls_server_config_set_tickets(e.scfg, 3, 7200), 0));
	pair_init(&p, e.ccfg, e.scfg, PAIR_HOST);
	cr_assert(eq(int, pair_run(&p, PAIR_NOW), 0));
	cr_assert(eq(u32, p.cli.sessions, 3));
	cr_assert(eq(int, tls_session_decode(&s, p.cli.session, p.cli.session_len), 0));
	cr_assert(eq(u32, s.max_early_data, 0xffffffffu));
	cr_assert(eq(u32, s.lifetime_s, 7200));
	tls_session_clear(&s);
	pair_free(&p);
	env_fini(&e);
}

/* Session blobs: every strict prefix is refused. */
HB_TEST(tls_resume, session_blob_prefixes)
{
	struct env e;
	struct pair p;
	size_t k;

	env_init(&e, false);
	first_connection(&e, PAIR_NOW);
	for (k = 0; k < e.session_len; k++) {
		pair_init(&p, e.ccfg, e.scfg, PAIR_HOST);
		cr_assert(eq(int, tls_conn_set_session(p.cli.c, e.session, k, PAIR_NOW),
			     TLS_ERR_INVAL));
		pair_free(&p);
	}
	env_fini(&e);
}

/* RFC 9001 §4.6.1: early_data with any other size in a ticket is a PROTOCOL_VIOLATION. */
HB_TEST(tls_resume, nst_wrong_max_early_data)
{
	struct env e;
	struct pair p;
	uint8_t nst[64];
	size_t n = hb_hex("04 000018 00001c20 01020304 01 07 0002 abcd 0008 002a 0004 00004000",
			  nst, sizeof(nst));

	env_init(&e, false);
	pair_init(&p, e.ccfg, e.scfg, PAIR_HOST);
	cr_assert(eq(int, pair_run(&p, PAIR_NOW), 0));
	cr_assert(eq(int, tls_conn_recv(p.cli.c, TLS_LEVEL_APPLICATION, nst, n, PAIR_NOW),
		     TLS_ERR_PROTOCOL));
	pair_free(&p);
	env_fini(&e);
}
