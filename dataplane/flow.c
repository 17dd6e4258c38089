/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rte_flow steering by connection ID (dataplane/include/dataplane/flow.h). Per port with more
 * than one queue, one rule per worker and IP family: ETH / IPV4|IPV6 / UDP dst = listen port /
 * RAW (short header, worker id byte) -> QUEUE worker. All rules are validated first; if the port
 * refuses any, none is kept and the port stays on software steering (the rings of worker.c),
 * which is always correct: rules only save a hop.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_errno.h>
#include <rte_flow.h>

#include <quic/cid.h>

#include <dataplane/flow.h>

#include "dp_int.h"

#define DP_LOG(level, fmt, ...) RTE_LOG(level, USER1, "dataplane: " fmt "\n", ##__VA_ARGS__)

int
dp_flow_cid_raw(struct dp_flow_raw *r, size_t sid_len, uint8_t worker)
{
	if (r == NULL || sid_len == 0 || sid_len > DP_SID_MAX)
		return DP_ERR_INVAL;
	memset(r, 0, sizeof(*r));
	r->len = (uint8_t)(2 + sid_len + 1);
	/* RFC 9000 §17.3.1: Header Form 0, Fixed Bit 1. */
	r->spec[0] = 0x40;
	r->mask[0] = 0xc0;
	r->spec[r->len - 1] = worker;
	r->mask[r->len - 1] = 0xff;
	return 0;
}

/*
 * Whether lb's CIDs carry the worker id in clear at CID offset 1 + sid_len: encode CIDs for
 * a few worker values and look. With a key the byte is ciphertext; four agreeing bytes by
 * chance happen once in 2^32.
 */
static bool
cid_worker_clear(struct quic_lb *lb, size_t sid_len)
{
	static const uint8_t probe[] = {0x00, 0x5a, 0xa5, 0xff};
	uint8_t nonce[QUIC_LB_PLAIN_MAX] = {0}, extra[QUIC_CID_LEN_MAX] = {0};
	struct quic_cid cid;

	for (size_t i = 0; i < sizeof(probe); i++) {
		nonce[0] = probe[i];
		if (quic_lb_encode_nonce(lb, nonce, extra, &cid) != 0 || cid.len <= 1 + sid_len ||
		    cid.data[1 + sid_len] != probe[i])
			return false;
	}
	return true;
}

/* Validate (create false) or create one rule; *out receives the rule when created. */
static int
rule_make(uint16_t port_id, bool ip6, uint16_t udp_port, const struct dp_flow_raw *raw,
	  uint16_t queue, bool create, struct rte_flow **out, struct rte_flow_error *err)
{
	static const struct rte_flow_attr attr = {.ingress = 1};
	struct rte_flow_item_udp udp = {.hdr.dst_port = rte_cpu_to_be_16(udp_port)};
	struct rte_flow_item_udp udp_mask = {.hdr.dst_port = RTE_BE16(0xffff)};
	struct rte_flow_item_raw rs = {.relative = 1, .length = raw->len, .pattern = raw->spec};
	struct rte_flow_item_raw rm = {.relative = 1, .offset = -1, .limit = 0xffff,
				       .length = 0xffff, .pattern = raw->mask};
	struct rte_flow_item pattern[] = {
		{.type = RTE_FLOW_ITEM_TYPE_ETH},
		{.type = ip6 ? RTE_FLOW_ITEM_TYPE_IPV6 : RTE_FLOW_ITEM_TYPE_IPV4},
		/* --udp-port 0 listens on every UDP port: any UDP then. */
		{.type = RTE_FLOW_ITEM_TYPE_UDP,
		 .spec = udp_port != 0 ? &udp : NULL,
		 .mask = udp_port != 0 ? &udp_mask : NULL},
		{.type = RTE_FLOW_ITEM_TYPE_RAW, .spec = &rs, .mask = &rm},
		{.type = RTE_FLOW_ITEM_TYPE_END},
	};
	struct rte_flow_action_queue q = {.index = queue};
	struct rte_flow_action actions[] = {
		{.type = RTE_FLOW_ACTION_TYPE_QUEUE, .conf = &q},
		{.type = RTE_FLOW_ACTION_TYPE_END},
	};

	if (!create)
		return rte_flow_validate(port_id, &attr, pattern, actions, err);
	*out = rte_flow_create(port_id, &attr, pattern, actions, err);
	return *out != NULL ? 0 : -rte_errno;
}

/* Destroy port p's rules. */
static void
port_rules_free(struct dp *dp, unsigned p)
{
	struct rte_flow_error err;

	for (unsigned i = 0; dp->flows[p] != NULL && i < 2 * dp->nb_workers; i++) {
		if (dp->flows[p][i] != NULL)
			(void)rte_flow_destroy(dp->port[p].port_id, dp->flows[p][i], &err);
	}
	free(dp->flows[p]);
	dp->flows[p] = NULL;
	dp->flow_hw[p] = false;
}

/* Validate, then create, every rule of port p; on any refusal none is left. */
static int
port_rules_make(struct dp *dp, unsigned p, size_t sid_len, struct rte_flow_error *err)
{
	struct dp_flow_raw raw;
	int rc = 0;

	dp->flows[p] = calloc(2 * dp->nb_workers, sizeof(*dp->flows[p]));
	if (dp->flows[p] == NULL)
		return -ENOMEM;
	for (unsigned pass = 0; pass < 2 && rc == 0; pass++) {
		for (unsigned i = 0; i < 2 * dp->nb_workers && rc == 0; i++) {
			(void)dp_flow_cid_raw(&raw, sid_len, (uint8_t)(i / 2));
			rc = rule_make(dp->port[p].port_id, i % 2 != 0, dp->opts.udp_port, &raw,
				       (uint16_t)(i / 2), pass == 1, &dp->flows[p][i], err);
		}
	}
	if (rc != 0)
		port_rules_free(dp, p);
	else
		dp->flow_hw[p] = true;
	return rc;
}

void
dp_flow_setup(struct dp *dp)
{
	struct dp_worker *w0 = dp->w[0];
	bool clear = cid_worker_clear(w0->lb, w0->sid_len);

	dp_flow_free(dp);
	for (unsigned p = 0; p < dp->nb_ports && dp->nb_workers > 1; p++) {
		struct rte_flow_error err = {.message = NULL};
		int rc;

		if (!clear) {
			DP_LOG(INFO, "port %u: flow steering by CID needs clear worker-id bytes "
				     "(QUIC-LB key set); using software steering",
			       dp->port[p].port_id);
			continue;
		}
		rc = port_rules_make(dp, p, w0->sid_len, &err);
		if (rc != 0)
			DP_LOG(NOTICE, "port %u: flow steering by CID not supported (%s: %s); "
				       "using software steering",
			       dp->port[p].port_id, strerror(rc < 0 ? -rc : rc),
			       err.message != NULL ? err.message : "no detail");
		else
			DP_LOG(INFO, "port %u: flow steering by CID on %u queues",
			       dp->port[p].port_id, dp->nb_workers);
	}
}

void
dp_flow_free(struct dp *dp)
{
	for (unsigned p = 0; p < dp->nb_ports; p++)
		port_rules_free(dp, p);
}

bool
dp_port_flow_steering(const struct dp *dp, unsigned port)
{
	return dp != NULL && port < dp->nb_ports && dp->flow_hw[port];
}
