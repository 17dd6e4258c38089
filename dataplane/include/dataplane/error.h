/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dataplane/ error codes. Every dp_* function returning int returns 0 on success or one of
 * these negative codes; burst functions return counts instead.
 */
#ifndef HB_DATAPLANE_ERROR_H
#define HB_DATAPLANE_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

enum dp_err {
	DP_ERR_INVAL = -1,   /* bad argument or configuration from the caller */
	DP_ERR_NOMEM = -2,   /* an allocation (memory, mempool, ring) failed at set-up */
	DP_ERR_PORT = -3,    /* a DPDK port refused its configuration */
	DP_ERR_NOBUF = -4,   /* no mbuf left in the worker's pool: drop and retry later */
	DP_ERR_NOROUTE = -5, /* no next hop: off-link destination and no gateway configured */
	DP_ERR_TOOBIG = -6,  /* the datagram does not fit the port's MTU */
	DP_ERR_STATE = -7,   /* call out of sequence (commit without alloc, start twice, ...) */
	DP_ERR_EAL = -8,     /* the DPDK environment is missing or refused a request */
};

/* Static name of a DP_ERR_* code. */
const char *dp_strerror(int err);

#ifdef __cplusplus
}
#endif

#endif /* HB_DATAPLANE_ERROR_H */
