/* SPDX-License-Identifier: BSD-3-Clause */
/* The dataplane's own options (after EAL's and "--"): values, defaults, one-line errors. */
#include <stdio.h>
#include <string.h>

#include <dataplane/error.h>
#include <dataplane/opts.h>

#include "hb_test.h"

TestSuite(dp_opts);

#define ARGV_MAX 24

/* Parse a NULL-terminated list of arguments (program name added in front). */
static int
parse(struct dp_opts *o, char *err, size_t err_len, const char *const *args)
{
	char buf[ARGV_MAX][128];
	char *argv[ARGV_MAX];
	int argc = 0;

	strcpy(buf[argc], "hayabusa");
	argv[argc] = buf[argc];
	argc++;
	for (; *args != NULL; args++, argc++) {
		cr_assert(lt(int, argc, ARGV_MAX));
		cr_assert(lt(sz, strlen(*args), sizeof(buf[0])));
		strcpy(buf[argc], *args);
		argv[argc] = buf[argc];
	}
	dp_opts_default(o);
	err[0] = '\0';
	return dp_opts_parse(o, argc, argv, err, err_len);
}

HB_TEST(dp_opts, full_set)
{
	static const char *const args[] = {
		"--port",
		"0,ip=198.18.0.1/24,gw=198.18.0.254,ip=2001:2::1/64,gw=2001:2::fe",
		"--port=3,ip=198.19.0.1",
		"--udp-port",
		"4433",
		"--rxd",
		"512",
		"--txd=256",
		"--ring-size",
		"2048",
		"--mbufs",
		"8191",
		"--mtu",
		"9000",
		"--poll",
		"busy",
		"--tx-drain-us",
		"50",
		NULL};
	static const uint8_t ip4[4] = {198, 18, 0, 1}, gw4[4] = {198, 18, 0, 254};
	static const uint8_t ip6[16] = {0x20, 0x01, 0, 2, [15] = 1};
	static const uint8_t gw6[16] = {0x20, 0x01, 0, 2, [15] = 0xfe};
	struct dp_opts o;
	char err[128];

	cr_assert(eq(int, parse(&o, err, sizeof(err), args), 0), "%s", err);
	cr_assert(eq(u32, o.nb_ports, 2));
	cr_assert(eq(u16, o.port[0].port_id, 0));
	cr_assert(o.port[0].has_ip4 && o.port[0].has_gw4 && o.port[0].has_ip6 && o.port[0].has_gw6);
	cr_assert(eq(int, memcmp(o.port[0].ip4, ip4, 4), 0));
	cr_assert(eq(int, memcmp(o.port[0].gw4, gw4, 4), 0));
	cr_assert(eq(int, memcmp(o.port[0].ip6, ip6, 16), 0));
	cr_assert(eq(int, memcmp(o.port[0].gw6, gw6, 16), 0));
	cr_assert(eq(u8, o.port[0].prefix4, 24));
	cr_assert(eq(u8, o.port[0].prefix6, 64));
	cr_assert(eq(u16, o.port[1].port_id, 3));
	cr_assert(eq(u8, o.port[1].prefix4, 32)); /* no /LEN: a host address */
	cr_assert(not(o.port[1].has_ip6));
	cr_assert(eq(u16, o.udp_port, 4433));
	cr_assert(eq(u16, o.rxd, 512));
	cr_assert(eq(u16, o.txd, 256));
	cr_assert(eq(u32, o.ring_size, 2048));
	cr_assert(eq(u32, o.mbufs, 8191));
	cr_assert(eq(u16, o.mtu, 9000));
	cr_assert(eq(int, o.poll, DP_POLL_BUSY));
	cr_assert(eq(u32, o.tx_drain_us, 50));
}

HB_TEST(dp_opts, defaults)
{
	static const char *const args[] = {"--", "--port", "1", NULL};
	struct dp_opts o;
	char err[128];

	cr_assert(eq(int, parse(&o, err, sizeof(err), args), 0), "%s", err);
	cr_assert(eq(u32, o.nb_ports, 1));
	cr_assert(eq(u16, o.udp_port, 443));
	cr_assert(eq(u16, o.rxd, 1024));
	cr_assert(eq(u32, o.ring_size, 1024));
	cr_assert(eq(u16, o.mtu, 1500));
	cr_assert(eq(int, o.poll, DP_POLL_ADAPTIVE));
	cr_assert(eq(u32, o.tx_drain_us, 100));
	cr_assert(not(o.help));
	cr_assert(gt(sz, strlen(dp_opts_usage()), 100));
}

HB_TEST(dp_opts, help)
{
	static const char *const args[] = {"--help", NULL};
	struct dp_opts o;
	char err[128];

	cr_assert(eq(int, parse(&o, err, sizeof(err), args), 0));
	cr_assert(o.help);
}

struct bad_case {
	const char *args[5];
	const char *msg; /* expected substring of the one-line error */
};

static const struct bad_case bad[] = {
	{{NULL}, "at least one port"},
	{{"--port", NULL}, "missing value"},
	{{"--port", "x", NULL}, "expected a port id"},
	{{"--port", "1024", NULL}, "expected a port id"},
	{{"--port", "0", "--port", "0", NULL}, "port given twice"},
	{{"--port", "0,ip=198.18.0.300/24", NULL}, "bad address"},
	{{"--port", "0,ip=198.18.0.1/33", NULL}, "bad address"},
	{{"--port", "0,ip=2001:2::1/129", NULL}, "bad address"},
	{{"--port", "0,gw=198.18.0.1/24", NULL}, "bad address"},
	{{"--port", "0,gw=198.18.0.1", NULL}, "gateway without an address"},
	{{"--port", "0,ip=198.18.0.1,ip=198.18.0.2", NULL}, "given twice"},
	{{"--port", "0,mac=1", NULL}, "expected ip=ADDR/LEN or gw=ADDR"},
	{{"--port", "0", "--udp-port", "65536", NULL}, "expected 0..65535"},
	{{"--port", "0", "--rxd", "12", NULL}, "expected 64..32768"},
	{{"--port", "0", "--rxd", "512x", NULL}, "expected 64..32768"},
	{{"--port", "0", "--ring-size", "1000", NULL}, "power of two"},
	{{"--port", "0", "--mtu", "1279", NULL}, "expected 1280..9000"},
	{{"--port", "0", "--poll", "sometimes", NULL}, "busy or adaptive"},
	{{"--port", "0", "--tx-drain-us", "0", NULL}, "expected 1..10000"},
	{{"--port", "0", "--mbufs", "-1", NULL}, "expected 0..4194304"},
	{{"--port", "0", "--bogus", "1", NULL}, "unknown option"},
	{{"--port", "0", "stray", NULL}, "unexpected argument"},
};

HB_TEST(dp_opts, errors_are_one_line)
{
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct dp_opts o;
		char err[160];

		cr_assert(eq(int, parse(&o, err, sizeof(err), bad[i].args), DP_ERR_INVAL),
			  "case %zu accepted", i);
		cr_assert(not(eq(ptr, strstr(err, bad[i].msg), NULL)), "case %zu: '%s'", i, err);
		cr_assert(eq(ptr, strchr(err, '\n'), NULL), "case %zu: '%s'", i, err);
	}
}

HB_TEST(dp_opts, error_cut_to_buffer)
{
	static const char *const args[] = {"--port", "0,ip=not-an-address-at-all", NULL};
	struct dp_opts o;
	char err[12];

	cr_assert(eq(int, parse(&o, err, sizeof(err), args), DP_ERR_INVAL));
	cr_assert(eq(sz, strlen(err), sizeof(err) - 1));
}

/* dp_opts_takes_value(): what a program passes through to dp_opts_parse() with its value. */
HB_TEST(dp_opts, takes_value)
{
	static const char *const ours[] = {"--port",	    "--udp-port", "--rxd", "--txd",
					   "--ring-size",   "--mbufs",	  "--mtu", "--poll",
					   "--tx-drain-us", "--stats"};
	static const char *const not_ours[] = {"--help", "--listen", "--rx", "port",
					       "-port",	 "--portx",  "--",   ""};

	for (size_t i = 0; i < sizeof(ours) / sizeof(ours[0]); i++)
		cr_assert(dp_opts_takes_value(ours[i]), "%s", ours[i]);
	for (size_t i = 0; i < sizeof(not_ours) / sizeof(not_ours[0]); i++)
		cr_assert(not(dp_opts_takes_value(not_ours[i])), "%s", not_ours[i]);
	cr_assert(not(dp_opts_takes_value(NULL)));
}

/* A modifiable string, as argv strings are. */
#define S(x) ((char[]){x})

HB_TEST(dp_opts, wants_help)
{
	char *with[] = {S("prog"), S("-l"), S("0"), S("--"), S("--help")};
	char *with_h[] = {S("prog"), S("-h")};
	char *without[] = {S("prog"), S("--"), S("--helpx"), S("-hh"), S("help")};

	cr_assert(dp_opts_wants_help(5, with));
	cr_assert(dp_opts_wants_help(2, with_h));
	cr_assert(not(dp_opts_wants_help(5, without)));
	/* argv[0] is the program, never an option. */
	cr_assert(not(dp_opts_wants_help(1, (char *[]){S("--help")})));
}

static char prog[] = "prog";

/* A stand-in application parser: --name VALUE is its own, the dataplane's pass through. */
static int
app_parse(void *app, int argc, char **argv, char **dp_argv, int *dp_argc, char *err, size_t err_len)
{
	const char **name = app;
	int n = 0;

	dp_argv[n++] = prog;
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--name") == 0 && i + 1 < argc) {
			*name = argv[++i];
		} else if (dp_opts_takes_value(argv[i]) && i + 1 < argc) {
			dp_argv[n++] = argv[i];
			dp_argv[n++] = argv[++i];
		} else {
			snprintf(err, err_len, "unknown option %s", argv[i]);
			return -1;
		}
	}
	*dp_argc = n;
	return 0;
}

/* dp_opts_parse_app(): the application's options, then the dataplane's it collected. */
HB_TEST(dp_opts, parse_app)
{
	char *good[] = {S("--name"), S("x"), S("--port"), S("0"), S("--rxd"), S("512")};
	char *bad_app[] = {S("--port"), S("0"), S("--what")};
	char *bad_dp[] = {S("--name"), S("y"), S("--rxd"), S("many"), S("--port"), S("0")};
	const char *name = NULL;
	struct dp_opts o;
	char err[128];

	cr_assert(eq(int, dp_opts_parse_app(&o, app_parse, &name, 6, good, err, sizeof(err)), 0));
	cr_assert(name != NULL && strcmp(name, "x") == 0);
	cr_assert(eq(u32, o.rxd, 512));
	cr_assert(eq(u32, o.txd, 1024)); /* from dp_opts_default() */
	err[0] = '\0';
	cr_assert(eq(int, dp_opts_parse_app(&o, app_parse, &name, 3, bad_app, err, sizeof(err)),
		     DP_ERR_INVAL));
	cr_assert(eq(int, strcmp(err, "unknown option --what"), 0), "%s", err);
	err[0] = '\0';
	cr_assert(eq(int, dp_opts_parse_app(&o, app_parse, &name, 6, bad_dp, err, sizeof(err)),
		     DP_ERR_INVAL));
	cr_assert(gt(sz, strlen(err), 0));
}

/* Sizes for the command line: suffixes, bounds, overflow, and every cut of a valid value. */
HB_TEST(dp_opts, parse_size)
{
	static const char *const bad[] = {"",
					  "K",
					  "-1",
					  "+5",
					  " 5",
					  "5 ",
					  "5KB",
					  "5x",
					  "0x10",
					  "18446744073709551616",
					  "17179869184G"};
	uint64_t v = 0;

	cr_assert(eq(int, dp_parse_size("1200", 0, UINT64_MAX, &v), 0));
	cr_assert(eq(u64, v, 1200));
	cr_assert(eq(int, dp_parse_size("64k", 0, UINT64_MAX, &v), 0));
	cr_assert(eq(u64, v, 65536));
	cr_assert(eq(int, dp_parse_size("3M", 0, UINT64_MAX, &v), 0));
	cr_assert(eq(u64, v, UINT64_C(3) << 20));
	cr_assert(eq(int, dp_parse_size("1024g", 0, UINT64_MAX, &v), 0));
	cr_assert(eq(u64, v, UINT64_C(1) << 40));
	cr_assert(eq(int, dp_parse_size("010", 0, UINT64_MAX, &v), 0));
	cr_assert(eq(u64, v, 10)); /* decimal, never octal */
	/* Bounds apply after the suffix. */
	cr_assert(eq(int, dp_parse_size("64K", 65536, 65536, &v), 0));
	cr_assert(eq(int, dp_parse_size("63K", 65536, UINT64_MAX, &v), -1));
	cr_assert(eq(int, dp_parse_size("1G", 0, (UINT64_C(1) << 30) - 1, &v), -1));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = 7;
		cr_assert(eq(int, dp_parse_size(bad[i], 0, UINT64_MAX, &v), -1), "%s", bad[i]);
		cr_assert(eq(u64, v, 7), "%s", bad[i]);
	}
	/* Every strict prefix of "12G" is a number or nothing: "1" and "12" parse, "" does not. */
	cr_assert(eq(int, dp_parse_size("", 0, UINT64_MAX, &v), -1));
	cr_assert(eq(int, dp_parse_size("1", 0, UINT64_MAX, &v), 0));
	cr_assert(eq(int, dp_parse_size("12", 0, UINT64_MAX, &v), 0));
	cr_assert(eq(int, dp_parse_size(NULL, 0, UINT64_MAX, &v), -1));
}

/* --echo-port (benchmarks' link-floor reflector): off by default, any port but the listening one.
 */
HB_TEST(dp_opts, echo_port)
{
	static const char *const ok[] = {"--port",	"0",	"--udp-port", "4433",
					 "--echo-port", "4435", NULL};
	static const char *const same[] = {"--port",	 "0",	 "--echo-port", "4433",
					   "--udp-port", "4433", NULL};
	static const char *const bad[] = {"--port", "0", "--echo-port", "65536", NULL};
	struct dp_opts o;
	char err[128];

	dp_opts_default(&o);
	cr_assert(eq(u16, o.echo_port, 0));
	cr_assert(eq(int, parse(&o, err, sizeof(err), ok), 0), "%s", err);
	cr_assert(eq(u16, o.echo_port, 4435));
	cr_assert(eq(u16, o.udp_port, 4433));
	/* The same port as --udp-port, whichever comes first. */
	cr_assert(eq(int, parse(&o, err, sizeof(err), same), DP_ERR_INVAL));
	cr_assert(not(eq(ptr, strstr(err, "--echo-port"), NULL)), "%s", err);
	cr_assert(eq(int, parse(&o, err, sizeof(err), bad), DP_ERR_INVAL));
	cr_assert(not(eq(ptr, strstr(err, "65536"), NULL)), "%s", err);
}
