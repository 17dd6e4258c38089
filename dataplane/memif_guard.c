/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * net_memif teardown guard (README, Known limitations). DPDK 22.11's memif_disconnect() runs on
 * the EAL interrupt thread when the peer leaves: it clears the port's CONNECTED flag, then
 * munmap()s the peer's regions and frees their descriptors, with nothing to wait for a worker
 * already inside eth_memif_rx()/eth_memif_tx() past its flag check. A worker descheduled there
 * faults on the unmapped ring when it runs again (cores: the load of the ring's head).
 *
 * The driver's munmap() calls resolve to the one below (the executable exports it:
 * dataplane/meson.build), which, for callers inside the memif driver only, first waits until
 * no worker is inside a memif burst that began before the flag was cleared: each worker's
 * memif_seq is odd while it is inside such a burst (dp_memif_enter()/dp_memif_leave()). Bursts
 * that begin later see the flag cleared and touch nothing. The wait is bounded (a worker that
 * stays inside longer than GUARD_WAIT_NS is given up on, and logged).
 *
 * Every build but ThreadSanitizer and MemorySanitizer ones, whose runtimes define munmap()
 * themselves. AddressSanitizer and UBSan runtimes (gcc 12's libasan.so.8 and libubsan.so.1,
 * clang 14's libclang_rt.asan) do not: their builds, the ones the integration suite runs under,
 * keep the guard (tests/dataplane/test_eal.c, memif_guard_*).
 */
#include <dlfcn.h>
#include <sched.h>
#include <string.h>
#include <sys/mman.h>

#include <rte_cycles.h>
#include <rte_log.h>

#include "dp_int.h"

#define DP_LOG(level, fmt, ...) RTE_LOG(level, USER1, "dataplane: " fmt "\n", ##__VA_ARGS__)

#define GUARD_WAIT_NS UINT64_C(2000000000)

/* The running dataplane; written by dp_new()/dp_free() on the main thread, read here. */
static struct dp *guard_dp;

void
dp_memif_guard_set(struct dp *dp)
{
	/* Release pairs with the acquire load in dp_memif_quiesce(). */
	__atomic_store_n(&guard_dp, dp, __ATOMIC_RELEASE);
}

#if defined(__has_feature)
#if __has_feature(thread_sanitizer) || __has_feature(memory_sanitizer)
#define GUARD_INTERCEPTED 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define GUARD_INTERCEPTED 1
#endif

void
dp_memif_quiesce(void)
{
	struct dp *dp = __atomic_load_n(&guard_dp, __ATOMIC_ACQUIRE);
	uint64_t hz = rte_get_tsc_hz(), limit;

	if (dp == NULL)
		return;
	/* Orders the driver's earlier clearing of CONNECTED before our loads of memif_seq; pairs
	 * with the sequentially consistent store in dp_memif_enter(). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	limit = rte_rdtsc() + GUARD_WAIT_NS / 1000000000 * hz;
	for (unsigned i = 0; i < dp->nb_workers; i++) {
		const struct dp_worker *w = dp->w[i];
		uint32_t s = __atomic_load_n(&w->memif_seq, __ATOMIC_ACQUIRE);

		while ((s & 1) != 0 && __atomic_load_n(&w->memif_seq, __ATOMIC_ACQUIRE) == s) {
			if (rte_rdtsc() > limit) {
				DP_LOG(WARNING, "memif teardown: worker %u still inside a burst",
				       i);
				break;
			}
			sched_yield();
		}
	}
}

#ifndef GUARD_INTERCEPTED
typedef int (*munmap_fn)(void *, size_t);

/* munmap() for the whole process: the next definition (libc's), after dp_memif_quiesce() when
 * the caller is the net_memif driver. */
int
munmap(void *addr, size_t len)
{
	static munmap_fn next;
	munmap_fn f = __atomic_load_n(&next, __ATOMIC_ACQUIRE);
	Dl_info di;

	if (f == NULL) {
		f = (munmap_fn)dlsym(RTLD_NEXT, "munmap");
		/* Release pairs with the acquire load above; a race only resolves it twice. */
		__atomic_store_n(&next, f, __ATOMIC_RELEASE);
	}
	if (dladdr(__builtin_return_address(0), &di) != 0 && di.dli_fname != NULL &&
	    strstr(di.dli_fname, "net_memif") != NULL)
		dp_memif_quiesce();
	return f(addr, len);
}
#endif
