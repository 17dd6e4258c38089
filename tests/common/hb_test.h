/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Shared helpers for the Criterion suites.
 *
 * Leaks must fail a test. Criterion runs each test in its own process and ignores both the
 * exit status LeakSanitizer gives that process and any failure raised in a suite's .fini, so
 * neither the usual end-of-process check nor a .fini hook can fail a leaking test (and a
 * `leak:libcriterion.so` suppression would hide every leak, since every test is called from
 * libcriterion). Tests are therefore declared with HB_TEST(suite, name, ...), which runs the body
 * and then, under ASan, a recoverable leak check asserted inside the test itself. Objects a
 * test allocates must be freed by the end of its body.
 */
#ifndef HB_TEST_H
#define HB_TEST_H

#include <stddef.h>
#include <stdint.h>

#include <criterion/criterion.h>
#include <criterion/new/assert.h>

#if defined(__SANITIZE_ADDRESS__)
#define HB_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HB_TEST_ASAN 1
#endif
#endif

#ifdef HB_TEST_ASAN
#include <sanitizer/lsan_interface.h>
#endif

static inline void
hb_test_leak_check(void)
{
#ifdef HB_TEST_ASAN
	int leaked = __lsan_do_recoverable_leak_check();

	cr_assert(eq(int, leaked, 0), "LeakSanitizer found leaks (report above)");
#endif
}

/* Test(suite, name, ...) followed by a leak check inside the test. */
#define HB_TEST(suite, name, ...)                                                          \
	static void hb_body_##suite##_##name(void);                                        \
	Test(suite, name, ##__VA_ARGS__)                                                   \
	{                                                                                  \
		hb_body_##suite##_##name();                                                \
		hb_test_leak_check();                                                      \
	}                                                                                  \
	static void hb_body_##suite##_##name(void)

/* Decode a hex string (whitespace ignored) into out; returns the byte count, or 0 on error. */
static inline size_t
hb_hex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = 0;
	int hi = -1;

	for (; *hex != '\0'; hex++) {
		int v;
		char c = *hex;

		if (c == ' ' || c == '\n' || c == '\t')
			continue;
		if (c >= '0' && c <= '9')
			v = c - '0';
		else if (c >= 'a' && c <= 'f')
			v = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v = c - 'A' + 10;
		else
			return 0;
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (n == cap)
			return 0;
		out[n++] = (uint8_t)(hi << 4 | v);
		hi = -1;
	}
	return hi < 0 ? n : 0;
}

#endif /* HB_TEST_H */
