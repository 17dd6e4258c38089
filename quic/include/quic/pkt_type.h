/* SPDX-License-Identifier: BSD-3-Clause */
/* QUIC packet types (RFC 9000 §17), shared by the packet and frame codecs. */
#ifndef HB_QUIC_PKT_TYPE_H
#define HB_QUIC_PKT_TYPE_H

#ifdef __cplusplus
extern "C" {
#endif

/* Version-independent packet types; the wire bits differ between v1 and v2 (RFC 9369 §3.2). */
enum quic_pkt_type {
	QUIC_PKT_INITIAL = 0,
	QUIC_PKT_0RTT = 1,
	QUIC_PKT_HANDSHAKE = 2,
	QUIC_PKT_RETRY = 3,
	QUIC_PKT_1RTT = 4, /* short header */
	QUIC_PKT_VN = 5,   /* long header with version 0 */
};

#ifdef __cplusplus
}
#endif

#endif /* HB_QUIC_PKT_TYPE_H */
