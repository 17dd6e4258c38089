/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hayabusa-bench's own options (after EAL options and "--"): the mode first, then options,
 * then (get) the URL paths. Dataplane options (dataplane/opts.h) are passed through in order to
 * dp_opts_parse(); --local is turned into "--port 0,ip=ADDR/LEN" and the UDP port filter is
 * off ("--udp-port 0"), since every connection has a local port of its own.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dataplane/opts.h>
#include <quic/packet.h>

#include "gen.h"

static const char *const mode_names[] = {"get",		"handshake",  "bulk",	     "rr",
					 "retry-flood", "link-floor", "token-flood", "hostile"};
static const char *const alpn_names[] = {"h3", "hq-interop", "perf"};
static const char *const client_crypto_names[] = {"default", "full", "light"};

static const char usage[] =
	"Modes (the first argument after \"--\"):\n"
	"  get PATH...          fetch each URL path on one connection, store it under --out,\n"
	"                       print \"GET PATH STATUS BYTES\"; exit 0 when all are 200\n"
	"  handshake            full handshakes (Retry and HelloRetryRequest followed), --conns "
	"in\n"
	"                       flight, each closed when done; handshakes/s\n"
	"  bulk                 --conns connections x --streams streams, each downloading --size\n"
	"                       (perf) or --path (h3, hq-interop), verified, again until the end;\n"
	"                       goodput\n"
	"  rr                   requests of --size bytes at --rate per second over --conns\n"
	"                       connections; latency from the intended send time (p50..max)\n"
	"  retry-flood          Initials from spoofed --src-ip/--src-port ranges at --rate (0: as\n"
	"                       fast as possible), counting the Retries and VNs that come back\n"
	"  link-floor           raw UDP datagrams of --size bytes to --server at --rate (0: max),\n"
	"                       no QUIC (a short header, then random bytes): to a port the\n"
	"                       server does not serve, its dataplane drops each before QUIC;\n"
	"                       its counters give what arrived, our table what was sent\n"
	"  token-flood          Initials carrying valid Retry tokens that we seal with the\n"
	"                       fleet's --token-keys FILE, from spoofed --src-ip/--src-port\n"
	"                       sources: a pool of --token-pool of them sent round at --rate\n"
	"                       for at most 8 s (token lifetime); the server's tokens_valid\n"
	"                       counter is the figure\n"
	"  hostile --case NAME  handshake, then one row of shared/bad-input.md on the wire;\n"
	"                       exit 0 when the server answers as the case expects (the cases:\n"
	"                       bench/README.md)\n"
	"Options:\n"
	"  --server ADDR:PORT   the server (IPv4, or [IPv6]:PORT) (required)\n"
	"  --local ADDR[/LEN]   our address on the port, LEN the on-link prefix [24 / 64]\n"
	"                       (required); our MAC is the port's (vdev mac=)\n"
	"  --gw ADDR            next hop for an off-link server\n"
	"  --sni NAME           server name sent and verified [localhost]\n"
	"  --ca FILE            verify the server's certificate against FILE (PEM); without it "
	"the\n"
	"                       certificate is not verified\n"
	"  --client-crypto full|light   the client's crypto per handshake: light reuses one key\n"
	"                       share and skips all server authentication (certificate and\n"
	"                       signature), so the generator costs less than the server; full\n"
	"                       is a real client's work [light for handshake, bulk and rr\n"
	"                       without --ca; full otherwise]\n"
	"  --alpn h3|hq-interop|perf   [h3 for get, perf for bulk and rr]\n"
	"  --cipher aes128gcm|aes256gcm|chacha20   the only TLS cipher suite offered [all three]\n"
	"  --versions LIST      v1,v2 in preference order; the first is offered [v1,v2]\n"
	"  --retry-follow, --no-retry-follow   follow a server's Retry, or count it as a\n"
	"                       failure [follow]\n"
	"  --out DIR            get: where files go (the path's last segment) [.]\n"
	"  --path PATH          bulk/rr over h3 or hq-interop: the path to fetch [/]\n"
	"  --conns N            connections in flight, 1..16384 [1; handshake 8]\n"
	"  --streams N          request streams in flight per connection, 1..64 [1]\n"
	"  --size BYTES         perf response size, or link-floor datagram size (k, m, g\n"
	"                       suffixes) [bulk 1m, rr 64, link-floor 1200]\n"
	"  --count N            stop after N operations (0: only the duration) [0]\n"
	"  --duration SEC       load duration, 0.1..3600 [5]\n"
	"  --warmup SEC         load before measuring starts, 0..60 [0]\n"
	"  --start-delay SEC    send nothing for SEC seconds first (the peer's side of a new\n"
	"                       tap device coming up), 0..60 [0]\n"
	"  --rate R             offered operations (rr, handshake) or packets (flood) per second\n"
	"                       [rr 1000; others 0: as fast as possible]\n"
	"  --lport N            first local UDP port; connection i uses N+i [20000]\n"
	"  --src-ip A[-B]       retry-flood: source address range [--local's address]\n"
	"  --src-port P[-Q]     retry-flood: source port range [1024-65535]\n"
	"  --token-keys FILE    token-flood: the token key file the server uses (keygen)\n"
	"  --token-pool N       token-flood: distinct sources and tokens, 1..65536 [1024]\n"
	"  --flood-version 0xHEX  retry-flood: version of the Initials; one the server does not\n"
	"                       speak draws Version Negotiation [the first of --versions]\n"
	"  --loss PCT, --reorder PCT, --dup PCT, --corrupt PCT   impairment of our own path, in\n"
	"                       percent, on every datagram we send and receive [0]\n"
	"  --seed N             seed of the impairment and spoofing PRNG [1]\n"
	"  --token-out FILE     handshake, get: save the first Initial that carries a Retry\n"
	"                       token (and its local port) to FILE\n"
	"  --token FILE         retry-flood: send the Initial saved by --token-out (from its\n"
	"                       port) instead of fresh ones, e.g. to another server of a fleet\n"
	"  --new-token-out FILE handshake, get: save the first NEW_TOKEN token received to FILE\n"
	"                       (handshake: connections wait for it before closing)\n"
	"  --new-token FILE     connection modes: every connection's Initials carry the token\n"
	"                       in FILE (from --new-token-out), RFC 9000 section 8.1.3\n"
	"  --handshake-rate R   retry-flood: also R legitimate handshakes per second from\n"
	"                       --local's address and --lport ports (--conns in flight),\n"
	"                       followed through Retry: completed fraction and latency\n"
	"  --reply-size BYTES   link-floor: ask a server's --echo-port for answers of BYTES\n"
	"                       (1..1472, at most --size): the floor of a request in and an\n"
	"                       answer out, e.g. Initials in and Retries out [no answers]\n"
	"  --linger             retry-flood, link-floor: count answers until --duration ends,\n"
	"                       not only 100 ms after the last datagram (--count 1: one Initial\n"
	"                       and vanish, what comes back measures amplification)\n"
	"  --hold               handshake: keep every connection once confirmed (at most\n"
	"                       --conns in all) and end, without closing them, once all are\n"
	"                       confirmed and quiet: the server holds them idle (memory)\n"
	"  --json FILE          write the configuration, totals and the one-second series as\n"
	"                       JSON (see bench/README.md for the keys)\n"
	"  --quiet              no progress lines\n"
	"  --help               this text\n";

const char *
bench_gen_opts_usage(void)
{
	return usage;
}

const char *
bench_gen_mode_name(enum bench_gen_mode m)
{
	return (unsigned)m < sizeof(mode_names) / sizeof(mode_names[0]) ? mode_names[m] : "?";
}

const char *
bench_gen_alpn_name(enum bench_gen_alpn a)
{
	return (unsigned)a < sizeof(alpn_names) / sizeof(alpn_names[0]) ? alpn_names[a] : "?";
}

const char *
bench_gen_client_crypto_name(enum bench_gen_client_crypto c)
{
	return (unsigned)c < sizeof(client_crypto_names) / sizeof(client_crypto_names[0])
		       ? client_crypto_names[c]
		       : "?";
}

static int
parse_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (s == NULL || *s == '\0' || *s == '-')
		return -1;
	/* 0x...: hexadecimal (--flood-version); anything else a decimal size, K/M/G allowed. */
	if (s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
		return dp_parse_size(s, lo, hi, out);
	errno = 0;
	v = strtoull(s + 2, &end, 16);
	if (errno != 0 || end == s + 2 || *end != '\0' || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

/* A decimal number of seconds (or percent) into thousandths (or per million). */
static int
parse_scaled(const char *s, double lo, double hi, double scale, uint64_t *out)
{
	char *end;
	double v;

	if (s == NULL || *s == '\0')
		return -1;
	v = strtod(s, &end);
	if (*end != '\0' || !(v >= lo && v <= hi))
		return -1;
	*out = (uint64_t)(v * scale + 0.5);
	return 0;
}

/* "ADDR:PORT" or "[ADDR6]:PORT". */
static int
parse_server(struct bench_gen_opts *o, const char *v)
{
	char host[64];
	const char *colon = strrchr(v, ':');
	bool v6 = v[0] == '[';
	const char *hs = v6 ? v + 1 : v;
	const char *he = v6 ? strchr(v, ']') : colon;
	uint64_t port;

	if (colon == NULL || he == NULL || he <= hs || (size_t)(he - hs) >= sizeof(host) ||
	    (v6 && he + 1 != colon) || parse_u64(colon + 1, 1, 65535, &port) != 0)
		return -1;
	memcpy(host, hs, (size_t)(he - hs));
	host[he - hs] = '\0';
	memset(&o->server, 0, sizeof(o->server));
	o->server.family = v6 ? QUIC_AF_INET6 : QUIC_AF_INET;
	o->server.port = (uint16_t)port;
	snprintf(o->server_str, sizeof(o->server_str), "%s", v);
	return inet_pton(v6 ? AF_INET6 : AF_INET, host, o->server.ip) == 1 ? 0 : -1;
}

/* "--local ADDR[/LEN]" into o->port_arg (",ip=ADDR/LEN"). */
static int
parse_local(struct bench_gen_opts *o, const char *v)
{
	char host[64], *slash;
	uint8_t bin[16];
	uint64_t plen;
	bool v6;
	size_t used;
	int n;

	if (strlen(v) >= sizeof(host))
		return -1;
	strcpy(host, v);
	slash = strchr(host, '/');
	if (slash != NULL)
		*slash = '\0';
	v6 = strchr(host, ':') != NULL;
	plen = v6 ? 64 : 24;
	if (slash != NULL && parse_u64(slash + 1, 1, v6 ? 128 : 32, &plen) != 0)
		return -1;
	if (inet_pton(v6 ? AF_INET6 : AF_INET, host, bin) != 1)
		return -1;
	snprintf(o->local_str, sizeof(o->local_str), "%s/%u", host, (unsigned)plen);
	used = strlen(o->port_arg);
	n = snprintf(o->port_arg + used, sizeof(o->port_arg) - used, ",ip=%s/%u", host,
		     (unsigned)plen);
	return n > 0 && (size_t)n < sizeof(o->port_arg) - used ? 0 : -1;
}

static int
parse_gw(struct bench_gen_opts *o, const char *v)
{
	uint8_t bin[16];
	size_t used = strlen(o->port_arg);
	int n;

	if (inet_pton(strchr(v, ':') ? AF_INET6 : AF_INET, v, bin) != 1)
		return -1;
	n = snprintf(o->port_arg + used, sizeof(o->port_arg) - used, ",gw=%s", v);
	return n > 0 && (size_t)n < sizeof(o->port_arg) - used ? 0 : -1;
}

static int
parse_versions(struct bench_gen_opts *o, const char *v)
{
	char buf[64], *tok, *save = NULL;

	if (strlen(v) >= sizeof(buf))
		return -1;
	strcpy(buf, v);
	o->n_versions = 0;
	for (tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		if (o->n_versions == QUIC_CONN_MAX_VERSIONS)
			return -1;
		if (strcmp(tok, "v1") == 0)
			o->versions[o->n_versions++] = QUIC_VERSION_1;
		else if (strcmp(tok, "v2") == 0)
			o->versions[o->n_versions++] = QUIC_VERSION_2;
		else
			return -1;
	}
	return o->n_versions > 0 ? 0 : -1;
}

static int
parse_cipher(struct bench_gen_opts *o, const char *v)
{
	static const struct {
		const char *name;
		enum crypto_suite suite;
	} map[] = {{"aes128gcm", CRYPTO_SUITE_AES_128_GCM_SHA256},
		   {"aes256gcm", CRYPTO_SUITE_AES_256_GCM_SHA384},
		   {"chacha20", CRYPTO_SUITE_CHACHA20_POLY1305_SHA256}};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (strcmp(v, map[i].name) == 0) {
			o->suite = map[i].suite;
			o->has_suite = true;
			return 0;
		}
	}
	return -1;
}

static int
parse_name(const char *v, const char *const *names, size_t n, unsigned *out)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(v, names[i]) == 0) {
			*out = (unsigned)i;
			return 0;
		}
	}
	return -1;
}

/* "A" or "A-B" addresses of one family (IPv4 only for ranges, or one IPv6 address). */
static int
parse_ip_range(struct bench_gen_opts *o, const char *v)
{
	char buf[96], *dash;
	bool v6 = strchr(v, ':') != NULL;
	int af = v6 ? AF_INET6 : AF_INET;

	if (strlen(v) >= sizeof(buf))
		return -1;
	strcpy(buf, v);
	dash = v6 ? NULL : strchr(buf, '-');
	if (dash != NULL)
		*dash = '\0';
	memset(o->flood_ip_lo, 0, 16);
	if (inet_pton(af, buf, o->flood_ip_lo) != 1)
		return -1;
	memcpy(o->flood_ip_hi, o->flood_ip_lo, 16);
	if (dash != NULL && inet_pton(af, dash + 1, o->flood_ip_hi) != 1)
		return -1;
	if (memcmp(o->flood_ip_lo, o->flood_ip_hi, v6 ? 16 : 4) > 0)
		return -1;
	o->has_flood_ip = true;
	return 0;
}

static int
parse_port_range(struct bench_gen_opts *o, const char *v)
{
	char buf[32], *dash;
	uint64_t lo, hi;

	if (strlen(v) >= sizeof(buf))
		return -1;
	strcpy(buf, v);
	dash = strchr(buf, '-');
	if (dash != NULL)
		*dash = '\0';
	if (parse_u64(buf, 1, 65535, &lo) != 0)
		return -1;
	hi = lo;
	if (dash != NULL && parse_u64(dash + 1, lo, 65535, &hi) != 0)
		return -1;
	o->flood_port_lo = (uint16_t)lo;
	o->flood_port_hi = (uint16_t)hi;
	return 0;
}

static int
parse_pct(const char *v, uint32_t *out)
{
	uint64_t x;

	if (parse_scaled(v, 0, 100, 10000, &x) != 0)
		return -1;
	*out = (uint32_t)x;
	return 0;
}

/* Our numeric options (a bad value is "bad value", not "unknown option"). */
static bool
is_number_opt(const char *a)
{
	static const char *const names[] = {"--conns", "--streams",	  "--size",
					    "--count", "--rate",	  "--lport",
					    "--seed",  "--flood-version", "--reply-size"};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(a, names[i]) == 0)
			return true;
	return false;
}

/* Options about the load. @return 0, -1 on a bad value, -2 when a is not one of them */
static int
parse_load(struct bench_gen_opts *o, const char *a, const char *v)
{
	uint64_t x = 0;

	if (strcmp(a, "--duration") == 0)
		return parse_scaled(v, 0.1, GEN_MAX_SECONDS, 1000, &o->duration_ms);
	if (strcmp(a, "--warmup") == 0)
		return parse_scaled(v, 0, 60, 1000, &o->warmup_ms);
	if (strcmp(a, "--start-delay") == 0)
		return parse_scaled(v, 0, 60, 1000, &o->start_delay_ms);
	if (strcmp(a, "--conns") == 0 && parse_u64(v, 1, GEN_MAX_CONNS, &x) == 0)
		o->conns = (uint32_t)x;
	else if (strcmp(a, "--streams") == 0 && parse_u64(v, 1, GEN_MAX_STREAMS, &x) == 0)
		o->streams = (uint32_t)x;
	else if (strcmp(a, "--size") == 0 && parse_u64(v, 0, UINT32_MAX * 16ull, &x) == 0)
		o->size = x;
	else if (strcmp(a, "--count") == 0 && parse_u64(v, 0, UINT64_MAX / 2, &x) == 0)
		o->count = x;
	else if (strcmp(a, "--rate") == 0 && parse_u64(v, 0, 100000000, &x) == 0)
		o->rate = x;
	else if (strcmp(a, "--lport") == 0 && parse_u64(v, 1, 65535, &x) == 0)
		o->lport_base = (uint16_t)x;
	else if (strcmp(a, "--seed") == 0 && parse_u64(v, 0, UINT64_MAX / 2, &x) == 0)
		o->impair.seed = x;
	else if (strcmp(a, "--flood-version") == 0 && parse_u64(v, 1, UINT32_MAX, &x) == 0)
		o->flood_version = (uint32_t)x;
	else if (strcmp(a, "--reply-size") == 0 && parse_u64(v, 1, 1472, &x) == 0)
		o->reply_size = (uint32_t)x;
	else if (is_number_opt(a))
		return -1;
	else
		return -2;
	return 0;
}

/* --token-out, --token (gen_carry.c), --handshake-rate. @return 0, -1 bad value, -2 not ours */
static int
parse_token_opt(struct bench_gen_opts *o, const char *a, const char *v)
{
	if (strcmp(a, "--handshake-rate") == 0)
		return parse_u64(v, 1, 1000000, &o->handshake_rate);
	if (strcmp(a, "--new-token-out") == 0)
		return (o->new_token_out = v)[0] != '\0' ? 0 : -1;
	if (strcmp(a, "--new-token") == 0)
		return (o->new_token_in = v)[0] != '\0' ? 0 : -1;
	if (strcmp(a, "--token-out") == 0)
		return (o->token_out = v)[0] != '\0' ? 0 : -1;
	if (strcmp(a, "--token") == 0)
		return (o->token_in = v)[0] != '\0' ? 0 : -1;
	return -2;
}

/* Which modes the token options and --linger go with. @return 0, or -1 with err set */
static int
token_opts_check(const struct bench_gen_opts *o, char *err, size_t err_len)
{
	bool raw = o->mode == GEN_MODE_RETRY_FLOOD || o->mode == GEN_MODE_LINK_FLOOR;

	if ((o->token_out != NULL || o->new_token_out != NULL) && o->mode != GEN_MODE_HANDSHAKE &&
	    o->mode != GEN_MODE_GET) {
		snprintf(err, err_len, "--token-out and --new-token-out go with handshake or get");
		return -1;
	}
	if (o->new_token_in != NULL && raw) {
		snprintf(err, err_len, "--new-token goes with a connection mode");
		return -1;
	}
	if (o->token_in != NULL && o->mode != GEN_MODE_RETRY_FLOOD) {
		snprintf(err, err_len, "--token goes with retry-flood");
		return -1;
	}
	if (o->handshake_rate != 0 && o->mode != GEN_MODE_RETRY_FLOOD) {
		snprintf(err, err_len, "--handshake-rate goes with retry-flood");
		return -1;
	}
	/* The flood's answers to our own address must not reach the legitimate connections. */
	if (o->handshake_rate != 0 && o->flood_port_lo < (uint32_t)o->lport_base + o->conns &&
	    o->flood_port_hi >= o->lport_base) {
		snprintf(err, err_len, "--handshake-rate: --src-port overlaps --lport + --conns");
		return -1;
	}
	if (o->hold && o->mode != GEN_MODE_HANDSHAKE) {
		snprintf(err, err_len, "--hold goes with handshake");
		return -1;
	}
	if (o->reply_size != 0 && o->mode != GEN_MODE_LINK_FLOOR) {
		snprintf(err, err_len, "--reply-size goes with link-floor");
		return -1;
	}
	if (o->linger && !raw) {
		snprintf(err, err_len, "--linger goes with retry-flood or link-floor");
		return -1;
	}
	return 0;
}

/* full or light ("default" is no value a user can give). */
static int
parse_client_crypto(struct bench_gen_opts *o, const char *v)
{
	unsigned u = 0;
	int rc = parse_name(v, client_crypto_names + 1, 2, &u);

	o->client_crypto = (enum bench_gen_client_crypto)(u + 1);
	return rc;
}

/* One "--name value" option of ours. @return 0, -1 bad value, -2 not ours */
static int
parse_valued(struct bench_gen_opts *o, const char *a, const char *v)
{
	unsigned u = 0;
	int rc = parse_load(o, a, v);

	if (rc != -2)
		return rc;
	if (strcmp(a, "--server") == 0)
		return parse_server(o, v);
	if (strcmp(a, "--local") == 0)
		return parse_local(o, v);
	if (strcmp(a, "--gw") == 0)
		return parse_gw(o, v);
	if (strcmp(a, "--sni") == 0)
		return snprintf(o->sni, sizeof(o->sni), "%s", v) < (int)sizeof(o->sni) ? 0 : -1;
	if (strcmp(a, "--ca") == 0)
		return (o->ca_file = v) != NULL ? 0 : -1;
	if (strcmp(a, "--client-crypto") == 0)
		return parse_client_crypto(o, v);
	if (strcmp(a, "--alpn") == 0) {
		rc = parse_name(v, alpn_names, 3, &u);
		o->alpn = (enum bench_gen_alpn)u;
		return rc;
	}
	if (strcmp(a, "--cipher") == 0)
		return parse_cipher(o, v);
	if (strcmp(a, "--versions") == 0)
		return parse_versions(o, v);
	if (strcmp(a, "--out") == 0)
		return (o->out_dir = v) != NULL ? 0 : -1;
	if (strcmp(a, "--path") == 0)
		return (o->paths[0] = v)[0] == '/' ? (o->n_paths = 1, 0) : -1;
	if (strcmp(a, "--src-ip") == 0)
		return parse_ip_range(o, v);
	if (strcmp(a, "--src-port") == 0)
		return parse_port_range(o, v);
	if (strcmp(a, "--token-keys") == 0)
		return (o->token_keys = v) != NULL ? 0 : -1;
	if (strcmp(a, "--token-pool") == 0) {
		uint64_t x;

		if (parse_u64(v, 1, GEN_TOKEN_POOL_MAX, &x) != 0)
			return -1;
		o->token_pool = (uint32_t)x;
		return 0;
	}
	if (strcmp(a, "--loss") == 0)
		return parse_pct(v, &o->impair.loss);
	if (strcmp(a, "--reorder") == 0)
		return parse_pct(v, &o->impair.reorder);
	if (strcmp(a, "--dup") == 0)
		return parse_pct(v, &o->impair.dup);
	if (strcmp(a, "--corrupt") == 0)
		return parse_pct(v, &o->impair.corrupt);
	if (strcmp(a, "--json") == 0)
		return (o->json = v) != NULL ? 0 : -1;
	if (strcmp(a, "--case") == 0)
		return bench_gen_hostile_known(v) ? (o->hostile_case = v, 0) : -1;
	return parse_token_opt(o, a, v);
}

static void
opts_default(struct bench_gen_opts *o)
{
	memset(o, 0, sizeof(*o));
	strcpy(o->sni, "localhost");
	o->versions[0] = QUIC_VERSION_1;
	o->versions[1] = QUIC_VERSION_2;
	o->n_versions = 2;
	o->retry_follow = true;
	o->out_dir = ".";
	o->duration_ms = 5000;
	o->lport_base = 20000;
	o->flood_port_lo = 1024;
	o->flood_port_hi = 65535;
	o->impair.seed = 1;
	o->alpn = (enum bench_gen_alpn) - 1;
	strcpy(o->port_arg, "0");
}

/* token-flood: keys given, and the run ends before the pool's tokens expire. */
static int
check_token_flood(struct bench_gen_opts *o, char *err, size_t err_len)
{
	if (o->token_keys == NULL) {
		snprintf(err, err_len, "token-flood: --token-keys FILE is required");
		return -1;
	}
	if (o->token_pool == 0)
		o->token_pool = 1024;
	if (o->start_delay_ms + o->warmup_ms + o->duration_ms > GEN_TOKEN_MAX_MS) {
		snprintf(err, err_len,
			 "token-flood: --start-delay + --warmup + --duration must "
			 "stay within %u s (the tokens' lifetime)",
			 GEN_TOKEN_MAX_MS / 1000);
		return -1;
	}
	return 0;
}

/*
 * Light client crypto where the generator measures a server's handshake rate or load and the
 * certificate is not checked anyway; full where it is (--ca) or where the client's own
 * behaviour is the point (get, hostile, the floods' legitimate handshakes).
 */
static int
client_crypto_finish(struct bench_gen_opts *o, char *err, size_t err_len)
{
	bool measured =
		o->mode == GEN_MODE_HANDSHAKE || o->mode == GEN_MODE_BULK || o->mode == GEN_MODE_RR;

	if (o->client_crypto == GEN_CLIENT_CRYPTO_DEFAULT)
		o->client_crypto = measured && o->ca_file == NULL ? GEN_CLIENT_CRYPTO_LIGHT
								  : GEN_CLIENT_CRYPTO_FULL;
	if (o->client_crypto == GEN_CLIENT_CRYPTO_LIGHT && o->ca_file != NULL) {
		snprintf(err, err_len,
			 "--client-crypto light checks no certificate: drop --ca, or use full");
		return -1;
	}
	return 0;
}

/* Mode-dependent defaults and checks once everything is parsed. */
static int
opts_finish(struct bench_gen_opts *o, char *err, size_t err_len)
{
	bool bulky = o->mode == GEN_MODE_BULK || o->mode == GEN_MODE_RR;

	if (o->server.family == 0 || o->local_str[0] == '\0') {
		snprintf(err, err_len, "--server and --local are required");
		return -1;
	}
	if ((int)o->alpn == -1)
		o->alpn = bulky ? GEN_ALPN_PERF : GEN_ALPN_H3;
	if (o->conns == 0)
		o->conns = o->mode == GEN_MODE_HANDSHAKE ? 8 : 1;
	if (o->streams == 0)
		o->streams = 1;
	if (o->mode == GEN_MODE_GET)
		o->streams = o->n_paths; /* every path at once, on one connection */
	if (o->size == 0 && o->mode == GEN_MODE_BULK)
		o->size = 1024 * 1024;
	if (o->size == 0 && o->mode == GEN_MODE_RR)
		o->size = 64;
	if (o->mode == GEN_MODE_LINK_FLOOR && o->size == 0)
		o->size = 1200;
	if (o->mode == GEN_MODE_LINK_FLOOR && (o->size < 16 || o->size > 1472)) {
		snprintf(err, err_len, "link-floor: --size must be 16..1472");
		return -1;
	}
	if (o->mode == GEN_MODE_LINK_FLOOR && o->reply_size > o->size) {
		snprintf(err, err_len,
			 "link-floor: --reply-size above --size (never more out than in)");
		return -1;
	}
	if (o->mode == GEN_MODE_TOKEN_FLOOD && check_token_flood(o, err, err_len) != 0)
		return -1;
	if (o->mode == GEN_MODE_RR && o->rate == 0)
		o->rate = 1000;
	if (o->mode == GEN_MODE_GET && o->n_paths == 0) {
		snprintf(err, err_len, "get: no URL path");
		return -1;
	}
	if (o->mode == GEN_MODE_HOSTILE && o->hostile_case == NULL) {
		snprintf(err, err_len, "hostile: --case NAME is required (see --help)");
		return -1;
	}
	if (o->alpn != GEN_ALPN_PERF && bulky && o->n_paths == 0) {
		o->paths[0] = "/";
		o->n_paths = 1;
	}
	if ((uint32_t)o->lport_base + o->conns > 65535) {
		snprintf(err, err_len, "--lport + --conns must stay below 65536");
		return -1;
	}
	if (client_crypto_finish(o, err, err_len) != 0)
		return -1;
	return token_opts_check(o, err, err_len);
}

/* The first argument: the mode, or --help. */
static int
parse_mode(struct bench_gen_opts *o, int argc, char **argv, char *err, size_t err_len)
{
	unsigned m;

	if (argc < 2) {
		snprintf(err, err_len,
			 "no mode (get, handshake, bulk, rr, retry-flood, "
			 "link-floor, token-flood, hostile); see --help");
		return -1;
	}
	if (parse_name(argv[1], mode_names, 8, &m) != 0) {
		snprintf(err, err_len, "unknown mode '%s'", argv[1]);
		return -1;
	}
	o->mode = (enum bench_gen_mode)m;
	return 0;
}

int
bench_gen_opts_parse(struct bench_gen_opts *o, int argc, char **argv, char **dp_argv, int *dp_argc,
		     char *err, size_t err_len)
{
	int i, rc, n = 0;

	opts_default(o);
	if (parse_mode(o, argc, argv, err, err_len) != 0)
		return -1;
	strcpy(o->prog, "hayabusa-bench");
	dp_argv[n++] = o->prog;
	for (i = 2; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			o->help = true;
			continue;
		}
		if (strcmp(a, "--retry-follow") == 0 || strcmp(a, "--no-retry-follow") == 0) {
			o->retry_follow = a[2] == 'r';
			continue;
		}
		if (strcmp(a, "--quiet") == 0 || strcmp(a, "--linger") == 0 ||
		    strcmp(a, "--hold") == 0) {
			*(a[2] == 'q' ? &o->quiet : a[2] == 'l' ? &o->linger : &o->hold) = true;
			continue;
		}
		if (a[0] != '-') {
			if (o->mode != GEN_MODE_GET || o->n_paths == GEN_MAX_PATHS || a[0] != '/') {
				snprintf(err, err_len, "unexpected argument '%s'", a);
				return -1;
			}
			o->paths[o->n_paths++] = a;
			continue;
		}
		if (i + 1 >= argc) {
			snprintf(err, err_len, "%s needs a value", a);
			return -1;
		}
		if (dp_opts_takes_value(a)) {
			if (strcmp(a, "--port") == 0 || strcmp(a, "--udp-port") == 0) {
				snprintf(err, err_len, "%s: use --local and --gw", a);
				return -1;
			}
			dp_argv[n++] = argv[i++];
			dp_argv[n++] = argv[i];
			continue;
		}
		rc = parse_valued(o, a, argv[i + 1]);
		if (rc != 0) {
			snprintf(err, err_len,
				 rc == -2 ? "unknown option %s" : "bad value for %s: '%s'", a,
				 argv[i + 1]);
			return -1;
		}
		i++;
	}
	if (o->help)
		return 0;
	strcpy(o->flag_port, "--port");
	strcpy(o->flag_udp, "--udp-port");
	strcpy(o->udp_zero, "0");
	dp_argv[n++] = o->flag_port;
	dp_argv[n++] = o->port_arg;
	dp_argv[n++] = o->flag_udp;
	dp_argv[n++] = o->udp_zero;
	*dp_argc = n;
	return opts_finish(o, err, err_len);
}
