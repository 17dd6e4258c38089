/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DPDK telemetry of the server's own counters: /hayabusa/server answers the QUIC endpoint
 * counters (struct srv_counters) summed over the workers, or of worker N with ",N". The
 * dataplane's /hayabusa/stats (dataplane/dp.c) answers the packet counters; both are read
 * with dpdk-telemetry.py or any client of /var/run/dpdk/<file-prefix>/dpdk_telemetry.v2.
 *
 * DPDK 22.11's telemetry callbacks take no context argument, so the server is found through
 * a file-local pointer. The telemetry thread holds the lock while it reads counters and the
 * main thread holds it while it publishes or withdraws the server, so a reply never reads a
 * freed worker. Workers never take it: they only write their counters (relaxed atomics).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include <rte_telemetry.h>

#include "srv.h"

static pthread_mutex_t tel_lock = PTHREAD_MUTEX_INITIALIZER;
static const struct srv *tel_srv; /* guarded by tel_lock */
static bool tel_registered;	  /* guarded by tel_lock */

/* Sum the counters of worker `only` (or all when only < 0) into v; tel_lock held. */
static void
sum_counters(const struct srv *s, long only, uint64_t v[SRV_CNT_MAX])
{
	for (unsigned k = 0; k < s->n_workers; k++) {
		const struct srv_counters *c = srv_worker_counters(s->workers[k]);

		if (only >= 0 && (unsigned long)only != k)
			continue;
		/* Relaxed loads pair with the worker's relaxed stores (srv.h). */
		for (unsigned i = 0; i < SRV_CNT_MAX; i++)
			v[i] += __atomic_load_n(&c->v[i], __ATOMIC_RELAXED);
	}
}

static int
tel_server(const char *cmd, const char *params, struct rte_tel_data *d)
{
	uint64_t v[SRV_CNT_MAX] = {0};
	long only = -1;
	int r = 0;

	(void)cmd;
	pthread_mutex_lock(&tel_lock);
	if (tel_srv == NULL) {
		r = -ENODEV;
	} else if (params != NULL && *params != '\0') {
		char *end;

		only = strtol(params, &end, 10);
		if (*end != '\0' || only < 0 || (unsigned long)only >= tel_srv->n_workers)
			r = -EINVAL;
	}
	if (r == 0)
		sum_counters(tel_srv, only, v);
	pthread_mutex_unlock(&tel_lock);
	if (r != 0)
		return r;
	rte_tel_data_start_dict(d);
	for (unsigned i = 0; i < SRV_CNT_MAX; i++)
		rte_tel_data_add_dict_u64(d, srv_cnt_name(i), v[i]);
	return 0;
}

int
srv_telemetry_publish(const struct srv *s)
{
	int r = 0;

	pthread_mutex_lock(&tel_lock);
	if (!tel_registered) {
		r = rte_telemetry_register_cmd("/hayabusa/server", tel_server,
					       "QUIC endpoint counters, summed or of one worker. "
					       "Parameters: int worker (optional)");
		tel_registered = r == 0;
	}
	if (r == 0)
		tel_srv = s;
	pthread_mutex_unlock(&tel_lock);
	return r;
}

void
srv_telemetry_withdraw(void)
{
	pthread_mutex_lock(&tel_lock);
	tel_srv = NULL;
	pthread_mutex_unlock(&tel_lock);
}
