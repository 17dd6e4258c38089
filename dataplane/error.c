/* SPDX-License-Identifier: BSD-3-Clause */
/* Names of the dataplane's error codes. */
#include <dataplane/error.h>

const char *
dp_strerror(int err)
{
	switch (err) {
	case 0:
		return "success";
	case DP_ERR_INVAL:
		return "invalid argument";
	case DP_ERR_NOMEM:
		return "out of memory";
	case DP_ERR_PORT:
		return "port configuration failed";
	case DP_ERR_NOBUF:
		return "no mbuf available";
	case DP_ERR_NOROUTE:
		return "no route to destination";
	case DP_ERR_TOOBIG:
		return "datagram larger than the MTU allows";
	case DP_ERR_STATE:
		return "call out of sequence";
	case DP_ERR_EAL:
		return "DPDK environment error";
	default:
		return "unknown error";
	}
}
