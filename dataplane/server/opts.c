/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The server's own options (after EAL options and "--"). Dataplane options (--port, --mtu, ...,
 * dataplane/opts.h) are passed through in order to dp_opts_parse(); --listen is turned into
 * them for the usual case of one port.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <quic/packet.h>

#include "srv.h"

/* 16-byte CIDs: first octet, server ID, then a nonce of at least 4 bytes (QUIC-LB). */
#define SRV_SID_USABLE (QUIC_LB_CID_LEN_DEFAULT - 1 - QUIC_LB_NONCE_MIN)

/* Dataplane options that take a value, passed through (dataplane/opts.h). */
static const char *const dp_valued[] = {"--port",	 "--udp-port", "--rxd",	     "--txd",
					"--ring-size",	 "--mbufs",    "--mtu",	     "--poll",
					"--tx-drain-us", "--stats",    "--echo-port"};

static const char usage[] =
	"Server options (after EAL options and \"--\"):\n"
	"  --listen ADDR[/LEN]:PORT    serve on this address of port 0 (IPv4, or [IPv6]:PORT);\n"
	"                              repeatable (one IPv4 and one IPv6, same PORT); LEN is the\n"
	"                              on-link prefix [24 for IPv4, 64 for IPv6]\n"
	"  --cert FILE, --key FILE     certificate chain (leaf first) and its private key, PEM;\n"
	"                              without them a self-signed ECDSA P-256 certificate is made\n"
	"                              in a temporary directory\n"
	"  --root DIR                  web root served over h3 and hq-interop [./www]\n"
	"  --alpn LIST                 comma-separated, preference order [h3,hq-interop]\n"
	"  --retry always|never|auto   address validation with Retry [never]\n"
	"  --retry-auto-handshakes N   auto: Retry above N handshakes in flight per worker [256]\n"
	"  --retry-auto-rate R         auto: Retry above R Initials/s per worker [10000]\n"
	"  --token-keys FILE           token key file, mode 0600 (`hayabusa keygen FILE`);\n"
	"                              SIGHUP reloads it [a key made at start]\n"
	"  --tickets on|off            TLS session tickets for resumption; the ticket key is\n"
	"                              derived from the current token key, so SIGHUP rotates it\n"
	"                              too (tickets of the previous key still resume) [on]\n"
	"  --early-data on|off         tickets allow 0-RTT, and the server accepts it (its data\n"
	"                              can be replayed: only for idempotent requests) [off]\n"
	"  --new-token on|off          NEW_TOKEN after the handshake: the client's next Initial\n"
	"                              skips the Retry [on]\n"
	"  --server-id HEX             QUIC-LB server ID, 1..11 bytes [01]\n"
	"  --cc newreno|cubic          congestion controller [newreno]\n"
	"  --keylog FILE               NSS key log, appended (also SSLKEYLOGFILE)\n"
	"  --qlog-dir DIR              qlog: one JSON-SEQ file per connection\n"
	"  --max-conns N               connections per worker, 1..1000000 [4096, or with\n"
	"                              --worker-memory as many as it could hold]\n"
	"  --worker-memory SIZE        memory budget of each worker's connections, bytes or\n"
	"                              with a K, M or G suffix (1024-based), 64K..1024G: a new\n"
	"                              connection is refused (refused_mem) when the charged\n"
	"                              memory of those held plus one more would exceed it;\n"
	"                              stream buffers are capped at it too [none]\n"
	"  --idle-timeout MS           max_idle_timeout, 1..600000 ms [30000]\n"
	"  --versions LIST             QUIC versions, comma-separated, preferred first: v1, v2\n"
	"                              (or hex: 1, 6b3343cf); a client that offers a preferred\n"
	"                              one as compatible (RFC 9368) is moved to it [v1,v2, and a\n"
	"                              client keeps the version it chose]\n"
	"  --stats SEC                 print dataplane and QUIC counters every SEC seconds\n"
	"  --poll busy|adaptive        worker polling [adaptive]\n"
	"  --help                      this text\n";

const char *
srv_opts_usage(void)
{
	return usage;
}

static bool
is_dp_valued(const char *a)
{
	for (size_t i = 0; i < sizeof(dp_valued) / sizeof(dp_valued[0]); i++)
		if (strcmp(a, dp_valued[i]) == 0)
			return true;
	return false;
}

static int
parse_u32(const char *v, uint32_t lo, uint32_t hi, uint32_t *out)
{
	unsigned long x;
	char *end;

	errno = 0;
	x = strtoul(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0' || v[0] == '-' || x < lo || x > hi)
		return -1;
	*out = (uint32_t)x;
	return 0;
}

static int
parse_on_off(const char *v, bool *out)
{
	if (strcmp(v, "on") != 0 && strcmp(v, "off") != 0)
		return -1;
	*out = strcmp(v, "on") == 0;
	return 0;
}

static int
parse_hex(const char *v, uint8_t *out, size_t max, uint8_t *len)
{
	size_t n = strlen(v), i;
	unsigned b;

	if (n == 0 || n % 2 != 0 || n / 2 > max)
		return -1;
	for (i = 0; i < n / 2; i++) {
		if (sscanf(v + 2 * i, "%2x", &b) != 1 ||
		    strchr("0123456789abcdefABCDEF", v[2 * i + 1]) == NULL)
			return -1;
		out[i] = (uint8_t)b;
	}
	*len = (uint8_t)(n / 2);
	return 0;
}

static int
parse_alpn(struct srv_opts *o, const char *v)
{
	enum quic_app_proto p;
	char *save = NULL, *tok;

	if (strlen(v) >= sizeof(o->alpn_buf))
		return -1;
	strcpy(o->alpn_buf, v);
	o->n_alpn = 0;
	for (tok = strtok_r(o->alpn_buf, ",", &save); tok != NULL;
	     tok = strtok_r(NULL, ",", &save)) {
		if (o->n_alpn == SRV_MAX_ALPN ||
		    quic_app_proto_from_alpn(tok, strlen(tok), &p) != 0)
			return -1;
		o->alpn[o->n_alpn++] = tok;
	}
	return o->n_alpn > 0 ? 0 : -1;
}

/* Split an optional "/LEN" (1..max) off host, in place. @return 0, or -1 */
static int
split_len(char *host, uint32_t max, uint32_t *plen)
{
	char *slash = strchr(host, '/');

	if (slash == NULL)
		return 0;
	*slash = '\0';
	return parse_u32(slash + 1, 1, max, plen);
}

/*
 * Split a --listen value into host (the address with its "/LEN" if any, NUL-terminated) and
 * the port. Forms: "A.B.C.D[/LEN]:PORT", "[X::Y][/LEN]:PORT" or "[X::Y/LEN]:PORT".
 * @return 0, or -1
 */
static int
split_listen(const char *v, char *host, size_t cap, bool *v6, uint32_t *port)
{
	const char *colon, *end;
	size_t hl;

	*v6 = v[0] == '[';
	end = *v6 ? strchr(v, ']') : NULL;
	if (*v6 && end == NULL)
		return -1;
	/* Between "]" and the port's ":" only "/LEN" may stand; it moves into the host. */
	colon = *v6 ? strchr(end, ':') : strrchr(v, ':');
	if (colon == NULL || (*v6 && colon != end + 1 && end[1] != '/'))
		return -1;
	hl = *v6 ? (size_t)(colon - v) - 2 : (size_t)(colon - v);
	if (hl == 0 || hl >= cap)
		return -1;
	if (*v6) {
		memcpy(host, v + 1, (size_t)(end - v) - 1);
		memcpy(host + (end - v) - 1, end + 1, (size_t)(colon - end) - 1);
	} else {
		memcpy(host, v, hl);
	}
	host[hl] = '\0';
	/* "[X::Y/64]/64:PORT": two prefix lengths. */
	if (strchr(host, '/') != strrchr(host, '/'))
		return -1;
	return parse_u32(colon + 1, 1, 65535, port);
}

/* "v2,v1": versions by name or hex, each supported, no duplicates. */
static int
parse_versions(struct srv_opts *o, const char *v)
{
	char buf[64], *save = NULL, *tok, *end;
	unsigned long x;
	size_t i;

	if (strlen(v) >= sizeof(buf))
		return -1;
	strcpy(buf, v);
	o->n_versions = 0;
	for (tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		if (strcmp(tok, "v1") == 0 || strcmp(tok, "v2") == 0) {
			x = tok[1] == '1' ? QUIC_VERSION_1 : QUIC_VERSION_2;
		} else {
			errno = 0;
			x = strtoul(tok, &end, 16);
			if (errno != 0 || *end != '\0' || tok[0] == '-')
				return -1;
		}
		if (o->n_versions == QUIC_CONN_MAX_VERSIONS || x > UINT32_MAX ||
		    !quic_version_supported((uint32_t)x))
			return -1;
		for (i = 0; i < o->n_versions; i++)
			if (o->versions[i] == x)
				return -1;
		o->versions[o->n_versions++] = (uint32_t)x;
	}
	return o->n_versions > 0 ? 0 : -1;
}

/* --listen: appends ",ip=ADDR/LEN" to o->port_arg (split_listen() lists the forms). */
static int
parse_listen(struct srv_opts *o, const char *v, uint32_t *port)
{
	char host[64];
	uint8_t bin[16];
	uint32_t plen;
	size_t used;
	bool v6;
	int n;

	if (split_listen(v, host, sizeof(host), &v6, port) != 0)
		return -1;
	plen = v6 ? 64 : 24;
	if (split_len(host, v6 ? 128 : 32, &plen) != 0 ||
	    inet_pton(v6 ? AF_INET6 : AF_INET, host, bin) != 1)
		return -1;
	used = strlen(o->port_arg);
	n = snprintf(o->port_arg + used, sizeof(o->port_arg) - used, ",ip=%s/%u", host,
		     (unsigned)plen);
	return n > 0 && (size_t)n < sizeof(o->port_arg) - used ? 0 : -1;
}

static void
opts_default(struct srv_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->root = "www";
	o->alpn[0] = "h3";
	o->alpn[1] = "hq-interop";
	o->n_alpn = 2;
	o->retry = SRV_RETRY_NEVER;
	o->server_id[0] = 0x01;
	o->sid_len = 1;
	o->cc = "newreno";
	o->max_conns = 4096;
	o->tickets = true;
	o->new_token = true;
	strcpy(o->port_arg, "0");
}

/*
 * --worker-memory without --max-conns: as many slots as the budget could hold at the least
 * charge of a connection, so that the budget, not the default 4096, is the limit.
 */
static void
opts_max_conns(struct srv_opts *o)
{
	uint64_t n;

	if (o->worker_mem == 0 || o->max_conns_set)
		return;
	n = o->worker_mem / SRV_CONN_CHARGE_MIN;
	o->max_conns = n < 1 ? 1 : n > 1000000 ? 1000000 : (uint32_t)n;
}

/* One option with its value v. @return 0, or -1 (bad value) */
static int
opt_value(struct srv_opts *o, const char *a, const char *v, uint32_t *listen_port)
{
	uint32_t port;

	if (strcmp(a, "--listen") == 0) {
		if (o->n_listen == SRV_MAX_LISTEN || parse_listen(o, v, &port) != 0 ||
		    (*listen_port != 0 && port != *listen_port))
			return -1;
		snprintf(o->listen[o->n_listen++], sizeof(o->listen[0]), "%s", v);
		*listen_port = port;
	} else if (strcmp(a, "--cert") == 0) {
		o->cert = v;
	} else if (strcmp(a, "--key") == 0) {
		o->key = v;
	} else if (strcmp(a, "--root") == 0) {
		o->root = v;
	} else if (strcmp(a, "--alpn") == 0) {
		return parse_alpn(o, v);
	} else if (strcmp(a, "--retry") == 0) {
		if (strcmp(v, "never") == 0)
			o->retry = SRV_RETRY_NEVER;
		else if (strcmp(v, "always") == 0)
			o->retry = SRV_RETRY_ALWAYS;
		else if (strcmp(v, "auto") == 0)
			o->retry = SRV_RETRY_AUTO;
		else
			return -1;
	} else if (strcmp(a, "--retry-auto-handshakes") == 0) {
		return parse_u32(v, 1, 10000000, &o->retry_auto_handshakes);
	} else if (strcmp(a, "--retry-auto-rate") == 0) {
		return parse_u32(v, 1, 100000000, &o->retry_auto_rate);
	} else if (strcmp(a, "--token-keys") == 0) {
		o->token_keys = v;
	} else if (strcmp(a, "--server-id") == 0) {
		return parse_hex(v, o->server_id, SRV_SID_USABLE, &o->sid_len);
	} else if (strcmp(a, "--tickets") == 0) {
		return parse_on_off(v, &o->tickets);
	} else if (strcmp(a, "--early-data") == 0) {
		return parse_on_off(v, &o->early_data);
	} else if (strcmp(a, "--new-token") == 0) {
		return parse_on_off(v, &o->new_token);
	} else if (strcmp(a, "--cc") == 0) {
		if (strcmp(v, "newreno") != 0 && strcmp(v, "cubic") != 0)
			return -1;
		o->cc = v;
	} else if (strcmp(a, "--keylog") == 0) {
		o->keylog = v;
	} else if (strcmp(a, "--qlog-dir") == 0) {
		o->qlog_dir = v;
	} else if (strcmp(a, "--max-conns") == 0) {
		o->max_conns_set = true;
		return parse_u32(v, 1, 1000000, &o->max_conns);
	} else if (strcmp(a, "--worker-memory") == 0) {
		return dp_parse_size(v, SRV_WORKER_MEM_MIN, SRV_WORKER_MEM_MAX, &o->worker_mem);
	} else if (strcmp(a, "--idle-timeout") == 0) {
		return parse_u32(v, 1, 600000, &o->idle_timeout_ms);
	} else if (strcmp(a, "--versions") == 0) {
		return parse_versions(o, v);
	} else {
		return 1; /* not ours */
	}
	return 0;
}

int
srv_opts_parse(struct srv_opts *o, int argc, char **argv, char **dp_argv, int *dp_argc, char *err,
	       size_t err_len)
{
	uint32_t listen_port = 0;
	bool user_port = false;
	int i, n = 0, rc;

	opts_default(o);
	strcpy(o->prog, "hayabusa");
	strcpy(o->flag_port, "--port");
	strcpy(o->flag_udp_port, "--udp-port");
	dp_argv[n++] = argc > 0 ? argv[0] : o->prog;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			o->help = true;
			return 0;
		}
		if (i + 1 >= argc || strncmp(a, "--", 2) != 0) {
			snprintf(err, err_len, "%s: unknown option or missing value (try --help)",
				 a);
			return -1;
		}
		if (is_dp_valued(a)) {
			user_port |= strcmp(a, "--port") == 0;
			dp_argv[n++] = argv[i];
			dp_argv[n++] = argv[++i];
			continue;
		}
		rc = opt_value(o, a, argv[i + 1], &listen_port);
		if (rc < 0 && strcmp(a, "--listen") == 0) {
			snprintf(err, err_len,
				 "--listen %s: expected A.B.C.D[/LEN]:PORT or [IPv6][/LEN]:PORT "
				 "(every --listen with the same PORT)",
				 argv[i + 1]);
			return -1;
		}
		if (rc != 0) {
			snprintf(err, err_len,
				 rc > 0 ? "%s: unknown option (try --help)"
					: "%s %s: bad value (try --help)",
				 a, argv[i + 1]);
			return -1;
		}
		i++;
	}
	if (!user_port) {
		if (o->n_listen == 0) {
			snprintf(err, err_len, "no --listen ADDR:PORT (or --port) given");
			return -1;
		}
		snprintf(o->udp_port_arg, sizeof(o->udp_port_arg), "%u", (unsigned)listen_port);
		dp_argv[n++] = o->flag_port;
		dp_argv[n++] = o->port_arg;
		dp_argv[n++] = o->flag_udp_port;
		dp_argv[n++] = o->udp_port_arg;
	} else if (listen_port != 0) {
		snprintf(o->udp_port_arg, sizeof(o->udp_port_arg), "%u", (unsigned)listen_port);
		dp_argv[n++] = o->flag_udp_port;
		dp_argv[n++] = o->udp_port_arg;
	}
	*dp_argc = n;
	opts_max_conns(o);
	return 0;
}
