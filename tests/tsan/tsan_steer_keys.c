/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ThreadSanitizer run (issue 8): the two places where Hayabusa's workers share memory.
 *
 *   - Steering rings (dataplane/rx.c, dp.c): every worker owns one multi-producer,
 *     single-consumer rte_ring (RING_F_SC_DEQ, as dp.c creates it) and the others enqueue
 *     bursts of datagrams on it. Here two worker threads fill datagrams, enqueue them in bursts
 *     on the other's ring, dequeue their own, check and free what they received (the buffer
 *     changes thread through the ring, as an mbuf does).
 *   - Token key rotation (quic/token.c): one quic_token_domain behind an atomic pointer, a
 *     control thread publishing new key sets and freeing retired ones once every worker has
 *     passed a quiescent point (quic_token_worker_exit()). Each worker seals and opens a Retry
 *     token inside every enter/exit, on its own crypto context.
 *
 * Built only with -Db_sanitize=thread (scripts/test.sh, build-tsan): any report fails the run
 * (TSAN_OPTIONS=halt_on_error=1 exitcode=66, tests/tsan/meson.build). Not a Criterion test:
 * Criterion does not start under TSan here. Bounded: ROUNDS bursts per worker, at most
 * MAX_SECONDS. Exit 0 when every datagram arrived intact and rotations were picked up.
 *
 * The rings' memory ordering: DPDK's x86 build uses its generic ring code (compiler barriers on
 * a TSO CPU), which TSan cannot see; this program is compiled with RTE_USE_C11_MEM_MODEL so the
 * same ring takes its C11 acquire/release path, which TSan models (meson.build).
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_ring.h>

#include <crypto/crypto.h>
#include <quic/token.h>

#define WORKERS	    2
#define RING_SIZE   1024
#define BURST	    32
#define ROUNDS	    20000
#define MAX_SECONDS 20
#define PAYLOAD	    64

struct dgram {
	uint32_t from;
	uint32_t seq;
	uint8_t data[PAYLOAD];
};

struct worker {
	unsigned id;
	pthread_t thread;
	struct rte_ring *ring;
	struct crypto_ctx *ctx;
	struct quic_token_worker *tw;
	uint64_t sent, received, bad, tokens_ok, tokens_bad;
};

static struct worker workers[WORKERS];
static struct quic_token_domain *domain;
static int stop;
static int failed;

static void
die(const char *what)
{
	fprintf(stderr, "tsan_steer_keys: %s\n", what);
	exit(1);
}

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* A ring in plain memory, as rte_ring_create() would make it (no EAL needed). */
static struct rte_ring *
ring_new(unsigned id)
{
	ssize_t size = rte_ring_get_memsize(RING_SIZE);
	struct rte_ring *r;
	char name[RTE_RING_NAMESIZE];

	if (size < 0)
		die("ring size");
	r = aligned_alloc(RTE_CACHE_LINE_SIZE, (size_t)RTE_ALIGN_CEIL(size, RTE_CACHE_LINE_SIZE));
	snprintf(name, sizeof(name), "steer%u", id);
	if (r == NULL || rte_ring_init(r, name, RING_SIZE, RING_F_SC_DEQ) != 0)
		die("ring init");
	return r;
}

/* A new key set of one key, sequence seq, random bytes. */
static struct quic_token_keyset *
keyset_make(uint8_t seq)
{
	struct quic_token_key k = {.seq = seq};
	struct quic_token_keyset *ks;

	for (size_t i = 0; i < sizeof(k.key); i++)
		k.key[i] = (uint8_t)rand();
	for (size_t i = 0; i < sizeof(k.iv); i++)
		k.iv[i] = (uint8_t)rand();
	if (quic_token_keyset_new(&ks, &k, 1) != 0)
		die("keyset");
	return ks;
}

/* A Retry token sealed and opened again with whatever key set is current. */
static void
token_round(struct worker *w)
{
	static const uint8_t odcid[8] = {1, 2, 3, 4, 5, 6, 7, 8}, rscid[8] = {9, 9, 9, 9};
	struct quic_addr peer = {.family = QUIC_AF_INET, .port = 4433, .ip = {198, 18, 0, 2}};
	struct quic_token_info info;
	uint8_t tok[QUIC_TOKEN_BUF_LEN];
	size_t len;
	uint64_t now = now_ns();

	if (quic_token_seal_retry(w->tw, &peer, odcid, sizeof(odcid), rscid, sizeof(rscid), now,
				  tok, sizeof(tok), &len) == 0 &&
	    quic_token_open(w->tw, QUIC_TOKEN_RETRY, tok, len, &peer, rscid, sizeof(rscid), now,
			    &info) == QUIC_TOKEN_OK)
		w->tokens_ok++;
	else
		w->tokens_bad++;
}

static void
send_burst(struct worker *w, struct rte_ring *to)
{
	struct dgram *b[BURST];
	unsigned n;

	for (unsigned i = 0; i < BURST; i++) {
		b[i] = malloc(sizeof(*b[i]));
		if (b[i] == NULL)
			die("malloc");
		b[i]->from = w->id;
		b[i]->seq = (uint32_t)(w->sent + i);
		memset(b[i]->data, (int)(b[i]->seq & 0xff), PAYLOAD);
	}
	/* Multi-producer enqueue, as another worker's steering does (dataplane/rx.c). */
	n = rte_ring_mp_enqueue_burst(to, (void **)b, BURST, NULL);
	for (unsigned i = n; i < BURST; i++)
		free(b[i]);
	w->sent += n;
}

static unsigned
recv_burst(struct worker *w)
{
	struct dgram *b[BURST];
	unsigned n = rte_ring_sc_dequeue_burst(w->ring, (void **)b, BURST, NULL);

	for (unsigned i = 0; i < n; i++) {
		bool ok = b[i]->from != w->id;

		for (unsigned j = 0; j < PAYLOAD; j++)
			ok = ok && b[i]->data[j] == (uint8_t)(b[i]->seq & 0xff);
		w->bad += !ok;
		free(b[i]);
	}
	w->received += n;
	return n;
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct rte_ring *peer = workers[(w->id + 1) % WORKERS].ring;
	uint64_t end = now_ns() + MAX_SECONDS * UINT64_C(1000000000);

	for (unsigned r = 0; r < ROUNDS && now_ns() < end; r++) {
		quic_token_worker_enter(w->tw);
		token_round(w);
		send_burst(w, peer);
		recv_burst(w);
		quic_token_worker_exit(w->tw);
	}
	quic_token_worker_offline(w->tw);
	/* The other worker may still be sending: drain until it says it stopped. */
	__atomic_fetch_add(&stop, 1, __ATOMIC_ACQ_REL);
	while (__atomic_load_n(&stop, __ATOMIC_ACQUIRE) < WORKERS || recv_burst(w) > 0)
		recv_burst(w);
	return NULL;
}

/* Control thread: rotate keys while the workers run, reclaiming retired sets. */
static unsigned
rotate_keys(void)
{
	unsigned rotations = 0;
	struct timespec pause = {.tv_nsec = 2000000};

	while (__atomic_load_n(&stop, __ATOMIC_ACQUIRE) < WORKERS) {
		if (quic_token_domain_publish(domain, keyset_make((uint8_t)(1 + rotations % 100))) !=
		    0)
			die("publish");
		rotations++;
		quic_token_domain_reclaim(domain);
		nanosleep(&pause, NULL);
	}
	while (quic_token_domain_reclaim(domain) != 0)
		nanosleep(&pause, NULL);
	return rotations;
}

static void
setup(void)
{
	struct quic_token_config cfg;

	if (quic_token_domain_new(&domain, WORKERS) != 0)
		die("domain");
	if (quic_token_domain_publish(domain, keyset_make(0)) != 0)
		die("publish");
	for (unsigned i = 0; i < WORKERS; i++) {
		struct worker *w = &workers[i];

		w->id = i;
		w->ring = ring_new(i);
		quic_token_config_default(&cfg);
		cfg.worker_id = i;
		if (crypto_ctx_new(&w->ctx, CRYPTO_ENGINE_EVP) != 0 ||
		    quic_token_worker_new(&w->tw, domain, i, &cfg, w->ctx, NULL) != 0)
			die("worker state");
	}
}

int
main(void)
{
	struct quic_token_stats st;
	unsigned rotations;

	setup();
	for (unsigned i = 0; i < WORKERS; i++)
		if (pthread_create(&workers[i].thread, NULL, worker_main, &workers[i]) != 0)
			die("pthread_create");
	rotations = rotate_keys();
	for (unsigned i = 0; i < WORKERS; i++)
		pthread_join(workers[i].thread, NULL);
	for (unsigned i = 0; i < WORKERS; i++) {
		struct worker *w = &workers[i], *o = &workers[(i + 1) % WORKERS];

		quic_token_worker_stats(w->tw, &st);
		printf("worker %u: sent %lu received %lu bad %lu tokens ok %lu refused %lu "
		       "key refreshes %lu\n", i, (unsigned long)w->sent, (unsigned long)w->received,
		       (unsigned long)w->bad, (unsigned long)w->tokens_ok,
		       (unsigned long)w->tokens_bad, (unsigned long)st.key_refreshes);
		failed |= w->bad != 0 || w->received != o->sent || w->tokens_ok == 0 ||
			  st.key_refreshes < 2;
		quic_token_worker_free(w->tw);
		crypto_ctx_free(w->ctx);
		free(w->ring);
	}
	printf("key rotations: %u\n", rotations);
	quic_token_domain_free(domain);
	failed |= rotations < 2;
	printf("%s\n", failed ? "FAILED" : "passed");
	return failed ? 1 : 0;
}
