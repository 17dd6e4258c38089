/* SPDX-License-Identifier: BSD-3-Clause */
/* Internal error codes map to the RFC 9000 §20.1 transport error codes at the edge. */
#include <string.h>

#include <quic/error.h>

#include "hb_test.h"

TestSuite(error);

HB_TEST(error, maps_to_transport_codes)
{
	cr_assert(eq(u64, quic_err_to_transport(QUIC_ERR_TRUNCATED), 0x07));
	cr_assert(eq(u64, quic_err_to_transport(QUIC_ERR_MALFORMED), 0x07));
	cr_assert(eq(u64, quic_err_to_transport(QUIC_ERR_FRAME_ENCODING), 0x07));
	cr_assert(eq(u64, quic_err_to_transport(QUIC_ERR_TRANSPORT_PARAM), 0x08));
	cr_assert(eq(u64, quic_err_to_transport(QUIC_ERR_PROTOCOL), 0x0a));
	cr_assert(eq(u64, quic_err_to_transport(QUIC_ERR_AEAD_LIMIT), 0x0f));
	cr_assert(eq(u64, quic_err_to_transport(QUIC_ERR_CID_LIMIT), 0x09));
	cr_assert(eq(u64, quic_err_to_transport(QUIC_ERR_CRYPTO_BUFFER), 0x0d));
	cr_assert(eq(u64, quic_err_to_transport(QUIC_ERR_FLOW_CONTROL), 0x03));
	cr_assert(eq(u64, quic_err_to_transport(QUIC_ERR_STREAM_LIMIT), 0x04));
	cr_assert(eq(u64, quic_err_to_transport(QUIC_ERR_STREAM_STATE), 0x05));
	cr_assert(eq(u64, quic_err_to_transport(QUIC_ERR_FINAL_SIZE), 0x06));
	/* Errors that are not the peer's fault close with INTERNAL_ERROR. */
	cr_assert(eq(u64, quic_err_to_transport(QUIC_ERR_NOMEM), 0x01));
	cr_assert(eq(u64, quic_err_to_transport(QUIC_ERR_BUFFER), 0x01));
}

HB_TEST(error, every_code_has_a_name)
{
	for (int e = QUIC_ERR_MIN; e <= 0; e++)
		cr_assert(ne(int, strcmp(quic_strerror(e), "unknown error"), 0), "code %d", e);
	cr_assert(eq(int, strcmp(quic_strerror(QUIC_ERR_MIN - 1), "unknown error"), 0));
}
