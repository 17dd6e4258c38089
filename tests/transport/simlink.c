/* SPDX-License-Identifier: BSD-3-Clause */
/* The simulated link of simlink.h. */
#include <stdlib.h>
#include <string.h>

#include "simlink.h"

struct sim_pkt {
	struct sim_pkt *next;
	uint64_t at;
	size_t len;
	uint8_t data[];
};

uint64_t
sim_rand64(uint64_t *state)
{
	uint64_t x = *state != 0 ? *state : 0x9e3779b97f4a7c15ull;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545f4914f6cdd1dull;
}

void
sim_dir_init(struct sim_dir *d, const struct sim_dir_config *cfg)
{
	memset(d, 0, sizeof(*d));
	d->cfg = *cfg;
	d->rng = cfg->seed != 0 ? cfg->seed : 1;
}

void
sim_dir_fini(struct sim_dir *d)
{
	while (d->head != NULL) {
		struct sim_pkt *p = d->head;

		d->head = p->next;
		free(p);
	}
}

/* Insert in delivery-time order, after those due at the same time (FIFO otherwise). */
static void
enqueue(struct sim_dir *d, const uint8_t *data, size_t len, uint64_t at)
{
	struct sim_pkt *p = malloc(sizeof(*p) + len), **pp = &d->head;

	if (p == NULL)
		return;
	p->at = at;
	p->len = len;
	memcpy(p->data, data, len);
	while (*pp != NULL && (*pp)->at <= at)
		pp = &(*pp)->next;
	p->next = *pp;
	*pp = p;
	d->queued_bytes += len;
}

static bool
mask_hit(uint64_t mask, uint64_t index)
{
	return (mask >> (index % 64)) & 1;
}

/* Serialisation on the bottleneck: when the last bit leaves; false when the queue is full. */
static bool
serialise(struct sim_dir *d, size_t len, uint64_t now, uint64_t *done)
{
	uint64_t start = d->link_free_at > now ? d->link_free_at : now;
	uint64_t tx_ns = 0;

	if (d->cfg.bandwidth_bps != 0) {
		tx_ns = (uint64_t)len * 8 * 1000000000ull / d->cfg.bandwidth_bps;
		if (d->cfg.queue_bytes != 0 &&
		    (start - now) * d->cfg.bandwidth_bps / 8000000000ull + len > d->cfg.queue_bytes)
			return false;
	}
	d->link_free_at = start + tx_ns;
	*done = d->link_free_at;
	return true;
}

void
sim_dir_send(struct sim_dir *d, const uint8_t *data, size_t len, uint64_t now)
{
	uint8_t buf[SIM_MAX_DGRAM];
	uint64_t i = d->index++, at;
	bool imp = i >= d->cfg.loss_first;

	if (len > SIM_MAX_DGRAM)
		return;
	d->offered++;
	memcpy(buf, data, len);
	if (d->filter != NULL && !d->filter(d->filter_arg, buf, &len, i)) {
		d->dropped++;
		return;
	}
	if (imp &&
	    (mask_hit(d->cfg.loss_mask, i) ||
	     (d->cfg.loss_permille != 0 && sim_rand64(&d->rng) % 1000 < d->cfg.loss_permille))) {
		d->dropped++;
		return;
	}
	if (!serialise(d, len, now, &at)) {
		d->dropped++;
		return;
	}
	at += d->cfg.delay_ns;
	if (imp && mask_hit(d->cfg.corrupt_mask, i) && len > 0) {
		buf[sim_rand64(&d->rng) % len] ^= 0x5a;
		d->corrupted++;
	}
	if (imp && mask_hit(d->cfg.reorder_mask, i)) {
		at += d->cfg.reorder_ns;
		d->reordered++;
	}
	enqueue(d, buf, len, at);
	d->bytes += len;
	if (imp && mask_hit(d->cfg.dup_mask, i)) {
		enqueue(d, buf, len, at + 1);
		d->duplicated++;
	}
}

uint64_t
sim_dir_next_time(const struct sim_dir *d)
{
	return d->head != NULL ? d->head->at : UINT64_MAX;
}

bool
sim_dir_recv(struct sim_dir *d, uint64_t now, uint8_t *buf, size_t *len)
{
	struct sim_pkt *p = d->head;

	if (p == NULL || p->at > now)
		return false;
	d->head = p->next;
	d->queued_bytes -= p->len;
	memcpy(buf, p->data, p->len);
	*len = p->len;
	d->delivered++;
	free(p);
	return true;
}
