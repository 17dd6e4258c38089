/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Row A17 of shared/bad-input.md: a peer that sprays client-chosen DCIDs at the server's
 * connection table (dataplane/server/endpoint.c: chained buckets picked by
 * dp_siphash24(key, cid) & mask, with a random key per worker) cannot aim them at one bucket.
 * RFC 9000 §21 (security considerations) leaves the defence to the implementation; the
 * NCC/Fox-IT hash-DoS advisory (CVE-2025-24947 and its siblings) shows what an unkeyed or
 * weakly keyed hash gives away. Here the attacker is given the best case: CIDs that all share
 * one bucket under a key K1 it knows. Under any other key K2 (a fresh worker's) the same CIDs
 * spread like random balls into bins. No EAL: the hash is a pure function.
 * (SipHash-2-4's reference vectors are pinned in test_pkt.c.)
 */
#include <string.h>

#include <dataplane/hash.h>

#include "hb_test.h"

TestSuite(dp_hashflood);

/*
 * The collision search runs against 2^10 buckets (about 2,000 * 1,024 hashes) rather than the
 * 2^15 of a 16,384-connection worker, so that it takes milliseconds.
 */
#define FLOOD_CIDS    2000
#define FLOOD_BUCKETS 1024u
#define FLOOD_CID_LEN 8
#define SEARCH_LIMIT  (UINT64_C(1) << 24)

static const uint8_t k1[DP_SIPHASH_KEY_LEN] = {0x4b, 0x31, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55,
					       0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd};

static uint8_t cids[FLOOD_CIDS][FLOOD_CID_LEN];

static size_t
bucket(const uint8_t *key, const uint8_t *cid, size_t mask)
{
	return (size_t)(dp_siphash24(key, cid, FLOOD_CID_LEN) & mask);
}

/*
 * Fill cids[] with FLOOD_CIDS distinct 8-byte CIDs that land in bucket 0 of FLOOD_BUCKETS
 * under key: the attacker's brute force. Candidates are a counter written big-endian, so no
 * two are equal. Fails the test if the bounded search does not find enough.
 */
static void
brute_force(const uint8_t *key)
{
	size_t found = 0;
	uint64_t n;

	for (n = 0; n < SEARCH_LIMIT && found < FLOOD_CIDS; n++) {
		uint8_t c[FLOOD_CID_LEN];

		for (int i = 0; i < FLOOD_CID_LEN; i++)
			c[i] = (uint8_t)(n >> (8 * (FLOOD_CID_LEN - 1 - i)));
		if (bucket(key, c, FLOOD_BUCKETS - 1) == 0)
			memcpy(cids[found++], c, FLOOD_CID_LEN);
	}
	cr_assert(eq(sz, found, FLOOD_CIDS), "search stopped after %llu candidates",
		  (unsigned long long)n);
}

/* The fullest bucket when all of cids[] go into nb buckets under key. */
static unsigned
fullest(const uint8_t *key, size_t nb)
{
	static unsigned count[1u << 15];
	unsigned max = 0;

	cr_assert(le(sz, nb, sizeof(count) / sizeof(count[0])));
	memset(count, 0, nb * sizeof(count[0]));
	for (size_t i = 0; i < FLOOD_CIDS; i++) {
		unsigned *b = &count[bucket(key, cids[i], nb - 1)];

		if (++*b > max)
			max = *b;
	}
	return max;
}

/*
 * The brute-forced set really collides under K1 (every CID in bucket 0 of 2^10), and is
 * distinct; under other keys — K1 with one bit flipped, and unrelated keys — the fullest of
 * 2^10 buckets holds at most 16 of the 2,000 (about 2 on average; a Poisson tail past 16 is
 * below 10^-7) and the fullest of 2^15 buckets at most 8 (expected maximum 2 to 3). Only a
 * hash that ignored its key, or most of it, could fail this.
 */
HB_TEST(dp_hashflood, cids_colliding_under_one_key_spread_under_another)
{
	uint8_t k2[DP_SIPHASH_KEY_LEN];

	brute_force(k1);
	cr_assert(eq(u32, fullest(k1, FLOOD_BUCKETS), FLOOD_CIDS));
	for (size_t i = 1; i < FLOOD_CIDS; i++)
		cr_assert(ne(int, memcmp(cids[i - 1], cids[i], FLOOD_CID_LEN), 0));

	for (unsigned t = 0; t < 8; t++) {
		memcpy(k2, k1, sizeof(k2));
		if (t == 0) {
			k2[15] ^= 0x01; /* the nearest other key */
		} else {
			for (unsigned i = 0; i < sizeof(k2); i++)
				k2[i] = (uint8_t)(t * 37 + i * 101 + (t << 4));
		}
		cr_assert(le(u32, fullest(k2, FLOOD_BUCKETS), 16), "key %u", t);
		cr_assert(le(u32, fullest(k2, 1u << 15), 8), "key %u", t);
	}
}

/*
 * The key is all of the key: each of its 128 bits moves the colliding set out of bucket 0
 * (at most 16 of the 2,000 stay in any one bucket).
 */
HB_TEST(dp_hashflood, every_key_bit_matters)
{
	uint8_t k2[DP_SIPHASH_KEY_LEN];

	brute_force(k1);
	for (unsigned bit = 0; bit < 8 * DP_SIPHASH_KEY_LEN; bit++) {
		memcpy(k2, k1, sizeof(k2));
		k2[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		cr_assert(le(u32, fullest(k2, FLOOD_BUCKETS), 16), "bit %u", bit);
	}
}
