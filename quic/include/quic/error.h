/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * quic/ internal error codes and QUIC transport error codes (RFC 9000 §20.1).
 *
 * Internal codes are negative ints returned by quic_* functions; they are not wire codes.
 * quic_err_to_transport() maps them at the edge, where a connection closes.
 */
#ifndef HB_QUIC_ERROR_H
#define HB_QUIC_ERROR_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum quic_err {
	QUIC_ERR_TRUNCATED = -1,     /* input ended inside a field: malformed */
	QUIC_ERR_MALFORMED = -2,     /* a field's value is impossible (FRAME_ENCODING_ERROR) */
	QUIC_ERR_BUFFER = -3,        /* the caller's output buffer is too small */
	QUIC_ERR_INVAL = -4,         /* bad argument from the caller (a programming error) */
	QUIC_ERR_VERSION = -5,       /* unsupported version */
	QUIC_ERR_TRANSPORT_PARAM = -6, /* TRANSPORT_PARAMETER_ERROR */
	QUIC_ERR_PROTOCOL = -7,      /* PROTOCOL_VIOLATION */
	QUIC_ERR_CRYPTO = -8,        /* packet protection failed (drop the packet) */
	QUIC_ERR_NOMEM = -9,         /* allocation failed */
	QUIC_ERR_FRAME_ENCODING = -10, /* FRAME_ENCODING_ERROR */
	QUIC_ERR_FIXED_BIT = -11,    /* fixed bit 0 (RFC 9000 §17.2): not QUIC v1/v2, drop and count */
	QUIC_ERR_AEAD_LIMIT = -12,   /* RFC 9001 §6.6: update keys (seal) or close (open) */
	QUIC_ERR_CID_LIMIT = -13,    /* CONNECTION_ID_LIMIT_ERROR (RFC 9000 §5.1.1, §5.1.2) */
	QUIC_ERR_CRYPTO_BUFFER = -14, /* CRYPTO_BUFFER_EXCEEDED (RFC 9000 §7.5) */
	QUIC_ERR_FLOW_CONTROL = -15,  /* FLOW_CONTROL_ERROR (RFC 9000 §4.1) */
	QUIC_ERR_STREAM_LIMIT = -16,  /* STREAM_LIMIT_ERROR (RFC 9000 §4.6) */
	QUIC_ERR_STREAM_STATE = -17,  /* STREAM_STATE_ERROR (RFC 9000 §3, §19.4-§19.13) */
	QUIC_ERR_FINAL_SIZE = -18,    /* FINAL_SIZE_ERROR (RFC 9000 §4.5) */
	QUIC_ERR_REASSEMBLY = -19,    /* too many out-of-order fragments (RFC 9000 §21.7): close */
};

/* The lowest code of enum quic_err: a new code goes below it and moves this. */
#define QUIC_ERR_MIN QUIC_ERR_REASSEMBLY

/* RFC 9000 §20.1 transport error codes. */
enum quic_transport_error {
	QUIC_NO_ERROR = 0x00,
	QUIC_INTERNAL_ERROR = 0x01,
	QUIC_CONNECTION_REFUSED = 0x02,
	QUIC_FLOW_CONTROL_ERROR = 0x03,
	QUIC_STREAM_LIMIT_ERROR = 0x04,
	QUIC_STREAM_STATE_ERROR = 0x05,
	QUIC_FINAL_SIZE_ERROR = 0x06,
	QUIC_FRAME_ENCODING_ERROR = 0x07,
	QUIC_TRANSPORT_PARAMETER_ERROR = 0x08,
	QUIC_CONNECTION_ID_LIMIT_ERROR = 0x09,
	QUIC_PROTOCOL_VIOLATION = 0x0a,
	QUIC_INVALID_TOKEN = 0x0b,
	QUIC_APPLICATION_ERROR = 0x0c,
	QUIC_CRYPTO_BUFFER_EXCEEDED = 0x0d,
	QUIC_KEY_UPDATE_ERROR = 0x0e,
	QUIC_AEAD_LIMIT_REACHED = 0x0f,
	QUIC_NO_VIABLE_PATH = 0x10,
	QUIC_VERSION_NEGOTIATION_ERROR = 0x11, /* RFC 9368 §4 */
	QUIC_CRYPTO_ERROR_BASE = 0x0100, /* + TLS alert */
};

/* Transport error code for an internal error (QUIC_INTERNAL_ERROR when none fits). */
uint64_t quic_err_to_transport(int err);
/* Static name of an internal error code. */
const char *quic_strerror(int err);

#ifdef __cplusplus
}
#endif

#endif /* HB_QUIC_ERROR_H */
