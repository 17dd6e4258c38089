/* SPDX-License-Identifier: BSD-3-Clause */
/* Parser of the dataplane's options (after EAL's and "--"); see dataplane/opts.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dataplane/error.h>
#include <dataplane/opts.h>

#define PORT_ID_MAX  1023 /* RTE_MAX_ETHPORTS on the largest builds */
#define PORT_ARG_MAX 256

struct opt {
	const char *name;
	int (*fn)(struct dp_opts *o, const char *val, char *err, size_t len);
};

static int
fail(char *err, size_t len, const char *opt, const char *why, const char *val)
{
	if (len > 0)
		snprintf(err, len, "--%s: %s: '%s'", opt, why, val != NULL ? val : "");
	return DP_ERR_INVAL;
}

/* Whole-string unsigned decimal within [min, max]. */
static bool
parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return false;
	*out = (uint32_t)v;
	return true;
}

int
dp_parse_size(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
	unsigned long long x;
	unsigned shift = 0;
	char *end;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	x = strtoull(s, &end, 10);
	if (errno != 0)
		return -1;
	if (*end != '\0') {
		const char *sfx = strchr("kKmMgG", *end);

		if (sfx == NULL || end[1] != '\0')
			return -1;
		shift = 10 * (unsigned)((sfx - "kKmMgG") / 2 + 1);
	}
	if (x > (UINT64_MAX >> shift))
		return -1;
	x <<= shift;
	if (x < lo || x > hi)
		return -1;
	*out = x;
	return 0;
}

#define NUM_OPT(fname, field, type, lo, hi, what)                                                  \
	static int fname(struct dp_opts *o, const char *val, char *err, size_t len)                \
	{                                                                                          \
		uint32_t v;                                                                        \
		if (!parse_u32(val, (lo), (hi), &v))                                               \
			return fail(err, len, what, "expected " #lo ".." #hi, val);                \
		o->field = (type)v;                                                                \
		return 0;                                                                          \
	}

NUM_OPT(opt_udp_port, udp_port, uint16_t, 0, 65535, "udp-port")
NUM_OPT(opt_echo_port, echo_port, uint16_t, 0, 65535, "echo-port")
NUM_OPT(opt_rxd, rxd, uint16_t, 64, 32768, "rxd")
NUM_OPT(opt_txd, txd, uint16_t, 64, 32768, "txd")
NUM_OPT(opt_mtu, mtu, uint16_t, 1280, 9000, "mtu")
NUM_OPT(opt_mbufs, mbufs, uint32_t, 0, 4194304, "mbufs")
NUM_OPT(opt_drain, tx_drain_us, uint32_t, 1, 10000, "tx-drain-us")
NUM_OPT(opt_stats, stats_s, uint32_t, 0, 86400, "stats")

static int
opt_ring_size(struct dp_opts *o, const char *val, char *err, size_t len)
{
	uint32_t v;

	if (!parse_u32(val, 64, 65536, &v) || (v & (v - 1)) != 0)
		return fail(err, len, "ring-size", "expected a power of two 64..65536", val);
	o->ring_size = v;
	return 0;
}

static int
opt_poll(struct dp_opts *o, const char *val, char *err, size_t len)
{
	if (strcmp(val, "busy") == 0)
		o->poll = DP_POLL_BUSY;
	else if (strcmp(val, "adaptive") == 0)
		o->poll = DP_POLL_ADAPTIVE;
	else
		return fail(err, len, "poll", "expected busy or adaptive", val);
	return 0;
}

/* "ADDR[/LEN]", IPv4 or IPv6 (by the presence of ':'); LEN defaults to the full length. */
static bool
parse_addr(const char *s, bool want_prefix, uint8_t *family, uint8_t ip[16], uint8_t *prefix)
{
	char buf[INET6_ADDRSTRLEN + 8];
	const char *slash = strchr(s, '/');
	size_t alen = slash != NULL ? (size_t)(slash - s) : strlen(s);
	uint32_t bits;

	if (alen == 0 || alen >= INET6_ADDRSTRLEN || (slash != NULL && !want_prefix))
		return false;
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	*family = strchr(buf, ':') != NULL ? 6 : 4;
	if (inet_pton(*family == 6 ? AF_INET6 : AF_INET, buf, ip) != 1)
		return false;
	bits = *family == 6 ? 128 : 32;
	if (slash != NULL && !parse_u32(slash + 1, 0, bits, &bits))
		return false;
	if (prefix != NULL)
		*prefix = (uint8_t)bits;
	return true;
}

/* One "key=value" of --port. */
static int
port_kv(struct dp_port_opts *p, const char *kv, const char *arg, char *err, size_t len)
{
	bool is_ip = strncmp(kv, "ip=", 3) == 0, is_gw = strncmp(kv, "gw=", 3) == 0;
	uint8_t family, ip[16], prefix = 0;
	bool *has;

	if (!is_ip && !is_gw)
		return fail(err, len, "port", "expected ip=ADDR/LEN or gw=ADDR", arg);
	if (!parse_addr(kv + 3, is_ip, &family, ip, &prefix))
		return fail(err, len, "port", "bad address", arg);
	if (family == 4)
		has = is_ip ? &p->has_ip4 : &p->has_gw4;
	else
		has = is_ip ? &p->has_ip6 : &p->has_gw6;
	if (*has)
		return fail(err, len, "port", "address given twice for one family", arg);
	*has = true;
	if (family == 4 && is_ip) {
		memcpy(p->ip4, ip, 4);
		p->prefix4 = prefix;
	} else if (family == 4) {
		memcpy(p->gw4, ip, 4);
	} else if (is_ip) {
		memcpy(p->ip6, ip, 16);
		p->prefix6 = prefix;
	} else {
		memcpy(p->gw6, ip, 16);
	}
	return 0;
}

static int
opt_port(struct dp_opts *o, const char *val, char *err, size_t len)
{
	char buf[PORT_ARG_MAX];
	struct dp_port_opts p = {0};
	uint32_t id;
	char *tok, *next;

	if (o->nb_ports == DP_MAX_PORTS)
		return fail(err, len, "port", "too many ports", val);
	if (strlen(val) >= sizeof(buf))
		return fail(err, len, "port", "argument too long", val);
	strcpy(buf, val);
	next = strchr(buf, ',');
	if (next != NULL)
		*next++ = '\0';
	if (!parse_u32(buf, 0, PORT_ID_MAX, &id))
		return fail(err, len, "port", "expected a port id first", val);
	p.port_id = (uint16_t)id;
	for (unsigned i = 0; i < o->nb_ports; i++) {
		if (o->port[i].port_id == p.port_id)
			return fail(err, len, "port", "port given twice", val);
	}
	for (tok = next; tok != NULL; tok = next) {
		int r;

		next = strchr(tok, ',');
		if (next != NULL)
			*next++ = '\0';
		r = port_kv(&p, tok, val, err, len);
		if (r != 0)
			return r;
	}
	if ((p.has_gw4 && !p.has_ip4) || (p.has_gw6 && !p.has_ip6))
		return fail(err, len, "port", "gateway without an address of its family", val);
	o->port[o->nb_ports++] = p;
	return 0;
}

static const struct opt opts[] = {
	{"port", opt_port},   {"udp-port", opt_udp_port},   {"rxd", opt_rxd},
	{"txd", opt_txd},     {"ring-size", opt_ring_size}, {"mbufs", opt_mbufs},
	{"mtu", opt_mtu},     {"poll", opt_poll},	    {"tx-drain-us", opt_drain},
	{"stats", opt_stats}, {"echo-port", opt_echo_port},
};

bool
dp_opts_takes_value(const char *arg)
{
	if (arg == NULL || strncmp(arg, "--", 2) != 0)
		return false;
	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
		if (strcmp(arg + 2, opts[i].name) == 0)
			return true;
	return false;
}

bool
dp_opts_wants_help(int argc, char *const argv[])
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return true;
	return false;
}

int
dp_opts_parse_app(struct dp_opts *dpo, dp_app_opts_parse_fn app_parse, void *app_opts, int argc,
		  char **argv, char *err, size_t err_len)
{
	char **dp_argv = calloc((size_t)argc + DP_OPTS_ARGV_EXTRA, sizeof(*dp_argv));
	int dp_argc = 0, rc = 0;

	if (dp_argv == NULL)
		return DP_ERR_NOMEM;
	dp_opts_default(dpo);
	if (app_parse(app_opts, argc, argv, dp_argv, &dp_argc, err, err_len) != 0 ||
	    dp_opts_parse(dpo, dp_argc, dp_argv, err, err_len) != 0)
		rc = DP_ERR_INVAL;
	free(dp_argv);
	return rc;
}

void
dp_opts_default(struct dp_opts *o)
{
	*o = (struct dp_opts){
		.udp_port = 443,
		.rxd = 1024,
		.txd = 1024,
		.mtu = 1500,
		.ring_size = 1024,
		.tx_drain_us = 100,
		.poll = DP_POLL_ADAPTIVE,
	};
}

static const struct opt *
find_opt(const char *name, size_t n)
{
	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		if (strlen(opts[i].name) == n && strncmp(opts[i].name, name, n) == 0)
			return &opts[i];
	}
	return NULL;
}

int
dp_opts_parse(struct dp_opts *o, int argc, char *const argv[], char *err, size_t err_len)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *eq, *val;
		const struct opt *op;
		int r;

		if (strcmp(a, "--") == 0) /* the EAL/application separator, if left in */
			continue;
		if (strcmp(a, "--help") == 0) {
			o->help = true;
			return 0;
		}
		if (strncmp(a, "--", 2) != 0)
			return fail(err, err_len, "", "unexpected argument", a);
		eq = strchr(a + 2, '=');
		op = find_opt(a + 2, eq != NULL ? (size_t)(eq - a - 2) : strlen(a + 2));
		if (op == NULL)
			return fail(err, err_len, a + 2, "unknown option", a);
		if (eq != NULL)
			val = eq + 1;
		else if (i + 1 < argc)
			val = argv[++i];
		else
			return fail(err, err_len, op->name, "missing value", NULL);
		r = op->fn(o, val, err, err_len);
		if (r != 0)
			return r;
	}
	if (o->nb_ports == 0 && !o->help)
		return fail(err, err_len, "port", "at least one port is required", NULL);
	if (o->echo_port != 0 && o->echo_port == o->udp_port) {
		char v[8];

		snprintf(v, sizeof(v), "%u", (unsigned)o->echo_port);
		return fail(err, err_len, "echo-port", "the same port as --udp-port", v);
	}
	return 0;
}

const char *
dp_opts_usage(void)
{
	return "  --port ID[,ip=ADDR/LEN][,gw=ADDR]...  serve a DPDK port (repeatable)\n"
	       "  --udp-port N       listening UDP port, 0 for all [443]\n"
	       "  --rxd N, --txd N   descriptors per queue, 64..32768 [1024]\n"
	       "  --ring-size N      steering ring slots per worker, power of two [1024]\n"
	       "  --mbufs N          mbufs per worker pool, 0 to compute [0]\n"
	       "  --mtu N            IP MTU, 1280..9000 [1500]\n"
	       "  --poll MODE        busy or adaptive [adaptive]\n"
	       "  --tx-drain-us N    TX drain timer, 1..10000 [100]\n"
	       "  --stats N          print counters every N seconds, 0 for never [0]\n"
	       "  --echo-port N      benchmarks only: answer datagrams to UDP port N with the\n"
	       "                     first B bytes of each (B: payload bytes 1..2, big-endian,\n"
	       "                     at most its length), no QUIC: hayabusa-bench link-floor\n"
	       "                     --reply-size; 0 for off [0]\n";
}
