/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Token key-file parser (quic_token_keyfile_parse): arbitrary bytes either parse into a key set
 * or are refused with a line number, never crash, never leak. A parsed set must name a current
 * key.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <quic/error.h>
#include <quic/token.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct quic_token_keyset *ks = NULL;
	struct quic_keyfile_error err;
	int rc = quic_token_keyfile_parse(&ks, (const char *)data, size, &err);

	if (rc == 0) {
		if (ks == NULL)
			abort();
		quic_token_keyset_free(ks);
	} else if (ks != NULL) {
		abort(); /* a refused file must not hand out a set */
	}
	return 0;
}
