/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SipHash-2-4 (Aumasson and Bernstein, "SipHash: a fast short-input PRF", 2012): the keyed hash
 * for tables whose keys a peer can choose (shared/design.md), so that nobody without the
 * per-worker random key can aim many keys at one bucket.
 */
#ifndef HB_DATAPLANE_HASH_H
#define HB_DATAPLANE_HASH_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DP_SIPHASH_KEY_LEN 16

uint64_t dp_siphash24(const uint8_t key[DP_SIPHASH_KEY_LEN], const void *data, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* HB_DATAPLANE_HASH_H */
