/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A simulated link for in-process transport tests: two directions, each with a one-way delay,
 * a bandwidth (serialisation delay and a drop-tail queue), and deterministic impairments —
 * loss, reordering, duplication and corruption chosen either by a 64-bit mask over the
 * datagram index (bit i % 64 of the mask) or by a rate drawn from a seeded generator, so that
 * every run of a test sees the same packets hit. Time is simulated: nothing here reads a clock.
 */
#ifndef HB_TEST_SIMLINK_H
#define HB_TEST_SIMLINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SIM_MAX_DGRAM 2048

/* Impairments and capacity of one direction. Zero means "none" everywhere. */
struct sim_dir_config {
	uint64_t delay_ns;	/* one-way propagation delay */
	uint64_t bandwidth_bps; /* 0: infinite */
	size_t queue_bytes;	/* drop-tail limit of the bottleneck queue (0: unlimited) */
	uint64_t loss_mask;	/* datagram i is dropped when bit i % 64 is set */
	uint32_t loss_permille; /* or dropped with this probability (seeded, deterministic) */
	uint64_t loss_first;	/* impairments start at this datagram index */
	uint64_t dup_mask;	/* delivered twice */
	uint64_t reorder_mask;	/* held back reorder_ns, so later ones overtake it */
	uint64_t reorder_ns;
	uint64_t corrupt_mask; /* one byte flipped */
	uint64_t seed;
};

/*
 * Optional hook called for every datagram offered to a direction, before impairments: it may
 * rewrite it in place (len up to SIM_MAX_DGRAM) or drop it by returning false.
 */
typedef bool (*sim_filter_fn)(void *arg, uint8_t *data, size_t *len, uint64_t index);

struct sim_pkt;

struct sim_dir {
	struct sim_dir_config cfg;
	sim_filter_fn filter;
	void *filter_arg;
	uint64_t rng;
	uint64_t link_free_at; /* the bottleneck finishes serialising then */
	size_t queued_bytes;
	uint64_t index;	      /* datagrams offered so far */
	struct sim_pkt *head; /* in flight, by delivery time */
	/* counters */
	uint64_t offered;
	uint64_t delivered;
	uint64_t dropped;
	uint64_t duplicated;
	uint64_t reordered;
	uint64_t corrupted;
	uint64_t bytes;
};

void sim_dir_init(struct sim_dir *d, const struct sim_dir_config *cfg);
void sim_dir_fini(struct sim_dir *d);
/* Offer a datagram at now (copied). */
void sim_dir_send(struct sim_dir *d, const uint8_t *data, size_t len, uint64_t now);
/* When the next datagram arrives, UINT64_MAX when none is in flight. */
uint64_t sim_dir_next_time(const struct sim_dir *d);
/* Pop a datagram that arrived by now. @return true with buf/len set (buf SIM_MAX_DGRAM) */
bool sim_dir_recv(struct sim_dir *d, uint64_t now, uint8_t *buf, size_t *len);

/* Deterministic 64-bit generator (xorshift64*), also used for connection randomness. */
uint64_t sim_rand64(uint64_t *state);

#endif /* HB_TEST_SIMLINK_H */
