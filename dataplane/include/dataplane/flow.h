/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Hardware steering by connection ID (issue 5): rte_flow rules that send a short-header
 * datagram (RFC 9000 §17.3) whose DCID names worker w straight to w's RX queue, so that the
 * software hop through w's steering ring is not needed. The worker id is the first nonce byte
 * of a QUIC-LB CID (quic/cid.h): at CID offset 1 + server_id_len, i.e. UDP payload offset
 * 2 + server_id_len. Only clear CIDs can be matched; with a QUIC-LB key the byte is encrypted
 * and the dataplane keeps to software steering.
 *
 * The rule builder below is pure (no EAL) so that its offsets and masks can be tested alone.
 */
#ifndef HB_DATAPLANE_FLOW_H
#define HB_DATAPLANE_FLOW_H

#include <stddef.h>
#include <stdint.h>

#include <dataplane/error.h>

#ifdef __cplusplus
extern "C" {
#endif

/* First byte, CID first octet, up to 15 server ID bytes, the worker id byte. */
#define DP_FLOW_RAW_MAX 18

/* The RAW item of one worker's rule: bytes of the UDP payload from its start. */
struct dp_flow_raw {
	uint8_t len;
	uint8_t spec[DP_FLOW_RAW_MAX];
	uint8_t mask[DP_FLOW_RAW_MAX];
};

/*
 * Fill r for worker: first byte form 0b01xxxxxx (header form 0 = short, fixed bit 1; RFC 9000
 * §17.3.1), the worker id at payload offset 2 + sid_len, every byte in between masked out.
 * @return 0, DP_ERR_INVAL (NULL r, sid_len 0 or above 15)
 */
int dp_flow_cid_raw(struct dp_flow_raw *r, size_t sid_len, uint8_t worker);

#ifdef __cplusplus
}
#endif

#endif /* HB_DATAPLANE_FLOW_H */
