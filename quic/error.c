/* SPDX-License-Identifier: BSD-3-Clause */
/* Mapping of internal error codes to RFC 9000 §20.1 transport error codes. */
#include <quic/error.h>

uint64_t
quic_err_to_transport(int err)
{
	switch (err) {
	case QUIC_ERR_TRUNCATED:
	case QUIC_ERR_MALFORMED:
	case QUIC_ERR_FRAME_ENCODING:
		return QUIC_FRAME_ENCODING_ERROR;
	case QUIC_ERR_TRANSPORT_PARAM:
		return QUIC_TRANSPORT_PARAMETER_ERROR;
	case QUIC_ERR_PROTOCOL:
		return QUIC_PROTOCOL_VIOLATION;
	case QUIC_ERR_AEAD_LIMIT:
		return QUIC_AEAD_LIMIT_REACHED;
	case QUIC_ERR_CID_LIMIT:
		return QUIC_CONNECTION_ID_LIMIT_ERROR;
	case QUIC_ERR_CRYPTO_BUFFER:
		return QUIC_CRYPTO_BUFFER_EXCEEDED;
	case QUIC_ERR_FLOW_CONTROL:
		return QUIC_FLOW_CONTROL_ERROR;
	case QUIC_ERR_STREAM_LIMIT:
		return QUIC_STREAM_LIMIT_ERROR;
	case QUIC_ERR_STREAM_STATE:
		return QUIC_STREAM_STATE_ERROR;
	case QUIC_ERR_FINAL_SIZE:
		return QUIC_FINAL_SIZE_ERROR;
	default:
		return QUIC_INTERNAL_ERROR;
	}
}

const char *
quic_strerror(int err)
{
	switch (err) {
	case 0:
		return "success";
	case QUIC_ERR_TRUNCATED:
		return "input truncated";
	case QUIC_ERR_MALFORMED:
		return "malformed input";
	case QUIC_ERR_BUFFER:
		return "output buffer too small";
	case QUIC_ERR_INVAL:
		return "invalid argument";
	case QUIC_ERR_VERSION:
		return "unsupported version";
	case QUIC_ERR_TRANSPORT_PARAM:
		return "transport parameter error";
	case QUIC_ERR_PROTOCOL:
		return "protocol violation";
	case QUIC_ERR_CRYPTO:
		return "packet protection failed";
	case QUIC_ERR_NOMEM:
		return "out of memory";
	case QUIC_ERR_FRAME_ENCODING:
		return "frame encoding error";
	case QUIC_ERR_FIXED_BIT:
		return "fixed bit is zero";
	case QUIC_ERR_AEAD_LIMIT:
		return "AEAD usage limit reached";
	case QUIC_ERR_CID_LIMIT:
		return "connection ID limit exceeded";
	case QUIC_ERR_CRYPTO_BUFFER:
		return "crypto buffer exceeded";
	case QUIC_ERR_FLOW_CONTROL:
		return "flow control limit exceeded";
	case QUIC_ERR_STREAM_LIMIT:
		return "stream limit exceeded";
	case QUIC_ERR_STREAM_STATE:
		return "frame not allowed in stream state";
	case QUIC_ERR_FINAL_SIZE:
		return "final size error";
	case QUIC_ERR_REASSEMBLY:
		return "too many out-of-order fragments";
	default:
		return "unknown error";
	}
}
