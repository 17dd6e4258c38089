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
