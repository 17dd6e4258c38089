/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Request path normalisation: what a client names is turned into a path that cannot leave the
 * content root before any provider sees it. Nothing is resolved: anything that could climb
 * ("..", also escaped), alias (empty or "." segments) or confuse a file system (backslashes,
 * NUL, control bytes) is refused outright, and the request is answered 404.
 */
#include <string.h>

#include <quic/error.h>
#include <quic/h3.h>

static int
hex_value(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode the byte at in[*i] (a %XX escape counts as one); -1 for a malformed escape. */
static int
next_byte(const uint8_t *in, size_t len, size_t *i)
{
	int hi, lo;

	if (in[*i] != '%')
		return in[(*i)++];
	if (len - *i < 3)
		return -1;
	hi = hex_value(in[*i + 1]);
	lo = hex_value(in[*i + 2]);
	if (hi < 0 || lo < 0)
		return -1;
	*i += 3;
	return hi << 4 | lo;
}

/* A finished segment out[start..end) may not be empty, "." or "..". */
static bool
segment_ok(const char *out, size_t start, size_t end)
{
	size_t n = end - start;

	if (n == 0)
		return false;
	if (n == 1 && out[start] == '.')
		return false;
	if (n == 2 && out[start] == '.' && out[start + 1] == '.')
		return false;
	return true;
}

int
quic_app_path_normalize(const uint8_t *in, size_t len, char *out, size_t cap, size_t *out_len)
{
	const uint8_t *q = memchr(in, '?', len);
	size_t i = 1, n = 1, seg = 1;

	if (q != NULL)
		len = (size_t)(q - in);
	if (len == 0 || in[0] != '/')
		return QUIC_H3_ERR_PATH;
	if (cap < 2)
		return QUIC_ERR_BUFFER;
	out[0] = '/';
	while (i < len) {
		int c = next_byte(in, len, &i);

		/* NUL, control bytes, DEL and backslashes never reach a provider. */
		if (c < 0x20 || c == 0x7f || c == '\\')
			return QUIC_H3_ERR_PATH;
		/* A decoded '/' separates segments too, so "%2f.." cannot hide a "..". */
		if (c == '/') {
			if (!segment_ok(out, seg, n))
				return QUIC_H3_ERR_PATH;
			seg = n + 1;
		}
		if (n + 1 >= QUIC_APP_MAX_PATH)
			return QUIC_H3_ERR_PATH;
		if (n + 1 >= cap)
			return QUIC_ERR_BUFFER;
		out[n++] = (char)c;
	}
	/* The last segment may be empty ("/" or "/dir/"), never "." or "..". */
	if (n > seg && !segment_ok(out, seg, n))
		return QUIC_H3_ERR_PATH;
	out[n] = '\0';
	*out_len = n;
	return 0;
}
