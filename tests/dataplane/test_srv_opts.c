/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The server's --listen forms (dataplane/server/opts.c): IPv4 and bracketed IPv6, with the
 * on-link prefix length inside or after the brackets; what they become for the dataplane
 * (--port 0,ip=ADDR/LEN --udp-port PORT); and one clear error line for each bad form.
 */
#include <string.h>

#include "../../dataplane/server/srv.h"
#include "hb_test.h"

TestSuite(srv_opts);

#define ARGV_MAX 16

struct parsed {
	struct srv_opts o;
	char buf[ARGV_MAX][128];
	char *dp_argv[ARGV_MAX + 8];
	int dp_argc;
	char err[256];
};

/* Parse "hayabusa" + args (NULL-terminated). */
static int
parse(struct parsed *p, const char *const *args)
{
	char *argv[ARGV_MAX];
	int argc = 0;

	memset(p, 0, sizeof(*p));
	strcpy(p->buf[0], "hayabusa");
	argv[argc] = p->buf[argc];
	for (argc++; *args != NULL; args++, argc++) {
		cr_assert(lt(int, argc, ARGV_MAX));
		cr_assert(lt(sz, strlen(*args), sizeof(p->buf[0])));
		strcpy(p->buf[argc], *args);
		argv[argc] = p->buf[argc];
	}
	return srv_opts_parse(&p->o, argc, argv, p->dp_argv, &p->dp_argc, p->err, sizeof(p->err));
}

static void
expect_arg(const struct parsed *p, int i, const char *want)
{
	cr_assert(lt(int, i, p->dp_argc));
	cr_assert(eq(int, strcmp(p->dp_argv[i], want), 0), "argument %d: %s, want %s", i,
		  p->dp_argv[i], want);
}

/* One --listen value: parsed, and the dataplane arguments it makes. */
static void
check_good(const char *listen, const char *want_port, const char *want_udp)
{
	const char *args[] = {"--listen", listen, NULL};
	struct parsed p;

	cr_assert(eq(int, parse(&p, args), 0), "%s: %s", listen, p.err);
	cr_assert(eq(int, p.dp_argc, 5), "%s", listen);
	expect_arg(&p, 1, "--port");
	expect_arg(&p, 2, want_port);
	expect_arg(&p, 3, "--udp-port");
	expect_arg(&p, 4, want_udp);
}

HB_TEST(srv_opts, listen_good_forms)
{
	check_good("198.18.0.1:443", "0,ip=198.18.0.1/24", "443");
	check_good("198.18.0.1/16:4433", "0,ip=198.18.0.1/16", "4433");
	check_good("198.18.0.1/32:1", "0,ip=198.18.0.1/32", "1");
	check_good("[fd00::1]:443", "0,ip=fd00::1/64", "443");
	check_good("[fd00::1]/48:443", "0,ip=fd00::1/48", "443");
	check_good("[fd00::1/112]:65535", "0,ip=fd00::1/112", "65535");
	check_good("[::1]:8443", "0,ip=::1/64", "8443");
	check_good("[fd00:0:0:0:0:0:0:1]/128:443", "0,ip=fd00:0:0:0:0:0:0:1/128", "443");
}

HB_TEST(srv_opts, listen_v4_and_v6)
{
	const char *args[] = {"--listen", "198.18.0.1:443", "--listen", "[fd00::1]/64:443", NULL};
	struct parsed p;

	cr_assert(eq(int, parse(&p, args), 0), "%s", p.err);
	cr_assert(eq(u32, p.o.n_listen, 2));
	cr_assert(eq(int, p.dp_argc, 5));
	expect_arg(&p, 2, "0,ip=198.18.0.1/24,ip=fd00::1/64");
	expect_arg(&p, 4, "443");
}

HB_TEST(srv_opts, listen_bad_forms)
{
	static const char *const bad[] = {
		"",
		"198.18.0.1",
		"198.18.0.1:",
		"198.18.0.1:0",
		"198.18.0.1:65536",
		"198.18.0.1:44x",
		"198.18.0.1:-1",
		":443",
		"198.18.0.1/:443",
		"198.18.0.1/0:443",
		"198.18.0.1/33:443",
		"198.18.0.1/24/8:443",
		"198.18.0.256:443",
		"fd00::1:443",
		"[fd00::1:443",
		"[]:443",
		"[fd00::1]",
		"[fd00::1]:",
		"[fd00::1]443",
		"[fd00::1]x:443",
		"[fd00::1]/:443",
		"[fd00::1]/129:443",
		"[fd00::1/64]/64:443",
		"[fd00::1]/64",
		"[198.18.0.1]:443",
		"[fd00::g]:443",
		"[fd00::1]:443:1",
		"[fd00::1111:2222:3333:4444:5555:6666:7777:8888:9999:aaaa:bbbb:cccc]:443",
	};
	struct parsed p;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *args[] = {"--listen", bad[i], NULL};

		cr_assert(eq(int, parse(&p, args), -1), "\"%s\" accepted", bad[i]);
		/* One line naming the option and the value. */
		cr_assert(not(eq(ptr, strstr(p.err, "--listen"), NULL)), "%s", p.err);
		cr_assert(not(eq(ptr, strstr(p.err, bad[i]), NULL)), "%s", p.err);
		cr_assert(eq(ptr, strchr(p.err, '\n'), NULL), "%s", p.err);
	}
}

HB_TEST(srv_opts, listen_ports_must_match)
{
	const char *args[] = {"--listen", "198.18.0.1:443", "--listen", "[fd00::1]:444", NULL};
	struct parsed p;

	cr_assert(eq(int, parse(&p, args), -1));
	cr_assert(not(eq(ptr, strstr(p.err, "[fd00::1]:444"), NULL)), "%s", p.err);
}

/* --worker-memory SIZE: bytes, or K/M/G (1024-based); and what it makes of --max-conns. */
HB_TEST(srv_opts, worker_memory_sizes)
{
	static const struct {
		const char *v;
		uint64_t want;
	} good[] = {
		{"65536", 65536},	   {"64K", 64u << 10},
		{"64k", 64u << 10},	   {"256M", UINT64_C(256) << 20},
		{"3G", UINT64_C(3) << 30}, {"1024G", UINT64_C(1) << 40},
		{"123456789", 123456789},
	};
	struct parsed p;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		const char *args[] = {"--listen", "198.18.0.1:443", "--worker-memory", good[i].v,
				      NULL};

		cr_assert(eq(int, parse(&p, args), 0), "%s: %s", good[i].v, p.err);
		cr_assert(eq(u64, p.o.worker_mem, good[i].want), "%s", good[i].v);
	}
	/* None by default, and --max-conns keeps its default of 4096. */
	{
		const char *args[] = {"--listen", "198.18.0.1:443", NULL};

		cr_assert(eq(int, parse(&p, args), 0), "%s", p.err);
		cr_assert(eq(u64, p.o.worker_mem, 0));
		cr_assert(eq(u32, p.o.max_conns, 4096));
	}
}

HB_TEST(srv_opts, worker_memory_sets_max_conns)
{
	const char *alone[] = {"--listen", "198.18.0.1:443", "--worker-memory", "256M", NULL};
	const char *both[] = {"--max-conns",	 "100",	 "--listen", "198.18.0.1:443",
			      "--worker-memory", "256M", NULL};
	const char *huge[] = {"--listen", "198.18.0.1:443", "--worker-memory", "1024G", NULL};
	struct parsed p;

	/* Alone: as many slots as the least charge allows, so the budget is the limit. */
	cr_assert(eq(int, parse(&p, alone), 0), "%s", p.err);
	cr_assert(eq(u32, p.o.max_conns, (uint32_t)((UINT64_C(256) << 20) / SRV_CONN_CHARGE_MIN)));
	cr_assert(gt(u32, p.o.max_conns, 4096));
	/* An explicit --max-conns, before or after, is kept. */
	cr_assert(eq(int, parse(&p, both), 0), "%s", p.err);
	cr_assert(eq(u32, p.o.max_conns, 100));
	cr_assert(eq(u64, p.o.worker_mem, UINT64_C(256) << 20));
	/* Never above the --max-conns range. */
	cr_assert(eq(int, parse(&p, huge), 0), "%s", p.err);
	cr_assert(eq(u32, p.o.max_conns, 1000000));
}

HB_TEST(srv_opts, worker_memory_bad_values)
{
	static const char *const bad[] = {
		"",
		"0",
		"-1",
		"63K",
		"65535",
		"1025G",
		"1T",
		"12Q",
		"K",
		"1KB",
		"1 K",
		" 1M",
		"1.5M",
		"0x100000",
		"+1M",
		"1099511627777",
		"99999999999999999999999",
		"18014398509481984K",
	};
	struct parsed p;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *args[] = {"--listen", "198.18.0.1:443", "--worker-memory", bad[i],
				      NULL};

		cr_assert(eq(int, parse(&p, args), -1), "\"%s\" accepted", bad[i]);
		cr_assert(not(eq(ptr, strstr(p.err, "--worker-memory"), NULL)), "%s", p.err);
		cr_assert(eq(ptr, strchr(p.err, '\n'), NULL), "%s", p.err);
	}
}
