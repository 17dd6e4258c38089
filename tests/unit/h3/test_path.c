/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Request path normalisation: what may reach a content provider. Traversal in every spelling
 * is refused, so the server answers 404 without naming anything outside its root.
 */
#include <string.h>

#include <quic/error.h>
#include <quic/h3.h>

#include "hb_test.h"

TestSuite(h3_path);

static int
norm(const char *in, size_t len, char *out, size_t cap)
{
	size_t n = 0;
	int rc = quic_app_path_normalize((const uint8_t *)in, len, out, cap, &n);

	if (rc == 0)
		cr_assert(eq(sz, n, strlen(out)));
	return rc;
}

HB_TEST(h3_path, accepted)
{
	static const struct {
		const char *in;
		const char *out;
	} ok[] = {
		{"/", "/"},
		{"/file", "/file"},
		{"/a/b.txt", "/a/b.txt"},
		{"/dir/", "/dir/"},
		{"/a%20b", "/a b"},
		{"/%41%62c", "/Abc"},
		{"/file?x=1&y=../../etc", "/file"},
		{"/a/b%2fc", "/a/b/c"},
		{"/..a/b..", "/..a/b.."},
		{"/.hidden", "/.hidden"},
		{"/caf%C3%A9", "/caf\xc3\xa9"},
	};
	char out[QUIC_APP_MAX_PATH + 1];

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		cr_assert(eq(int, norm(ok[i].in, strlen(ok[i].in), out, sizeof(out)), 0), "%s",
			  ok[i].in);
		cr_assert(eq(int, strcmp(out, ok[i].out), 0), "%s", ok[i].in);
	}
}

HB_TEST(h3_path, traversal_and_bad_bytes_refused)
{
	static const char *const bad[] = {
		"",	     "file",	    "?/file",	 "/../etc/passwd", "/a/../../b", "/a/..",
		"/%2e%2e/x", "/%2E%2E/x",   "/.%2e/x",	 "/a/%2e%2e",	   "//etc",	 "/a//b",
		"/%2fetc",   "/a%2f..%2fb", "/a\\..\\b", "/a%5c..%5cb",	   "/a%5Cb",	 "/a%00b",
		"/.",	     "/./x",	    "/a/./b",	 "/%zz",	   "/%2",	 "/%",
		"/a%0d%0ab", "/a\tb",	    "/a\x7f",	 "%2f..",
	};
	char out[QUIC_APP_MAX_PATH + 1];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert(eq(int, norm(bad[i], strlen(bad[i]), out, sizeof(out)), QUIC_H3_ERR_PATH),
			  "%s", bad[i]);
}

HB_TEST(h3_path, raw_nul_refused)
{
	static const char in[] = "/a\0/../../etc/passwd";
	char out[64];

	cr_assert(eq(int, norm(in, sizeof(in) - 1, out, sizeof(out)), QUIC_H3_ERR_PATH));
	cr_assert(eq(int, norm(in, 3, out, sizeof(out)), QUIC_H3_ERR_PATH));
}

HB_TEST(h3_path, length_limits)
{
	static char in[3 * QUIC_APP_MAX_PATH + 2];
	char out[QUIC_APP_MAX_PATH + 1];

	/* The longest accepted path is QUIC_APP_MAX_PATH - 1 bytes. */
	memset(in, 'a', sizeof(in));
	in[0] = '/';
	cr_assert(eq(int, norm(in, QUIC_APP_MAX_PATH - 1, out, sizeof(out)), 0));
	cr_assert(eq(int, norm(in, QUIC_APP_MAX_PATH, out, sizeof(out)), QUIC_H3_ERR_PATH));
	/* Escapes count after decoding. */
	for (size_t i = 1; i + 3 <= sizeof(in); i += 3)
		memcpy(in + i, "%61", 3);
	cr_assert(eq(int, norm(in, 1 + 3 * (QUIC_APP_MAX_PATH - 2), out, sizeof(out)), 0));
	cr_assert(eq(sz, strlen(out), QUIC_APP_MAX_PATH - 1));
	cr_assert(eq(int, norm(in, 1 + 3 * (QUIC_APP_MAX_PATH - 1), out, sizeof(out)),
		     QUIC_H3_ERR_PATH));
	/* A caller buffer too small is its own error, without overrun. */
	cr_assert(eq(int, norm("/abcdef", 7, out, 4), QUIC_ERR_BUFFER));
	cr_assert(eq(int, norm("/", 1, out, 1), QUIC_ERR_BUFFER));
	cr_assert(eq(int, norm("/a", 2, out, 3), 0));
}
