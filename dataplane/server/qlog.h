/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * qlog for the hayabusa server (--qlog-dir DIR): one file per connection, named after its
 * original DCID, in JSON-SEQ (RFC 7464: every record is 0x1E, one JSON text, LF), following
 * the qlog main schema 0.3 and its QUIC event definitions (draft-ietf-quic-qlog-main-schema,
 * draft-ietf-quic-qlog-quic-events) as qvis reads them.
 *
 * Bounds: a connection's records go into its own SRV_QLOG_BUF-byte buffer, allocated when the
 * connection opens its trace; the buffer is written out with one write() when it is half full
 * and when the connection is freed, so the per-packet path costs a few hundred bytes of
 * formatting and, every ~32 KiB, one write(). A record that cannot fit (more than half the
 * buffer) is dropped and counted; a packet's frames are listed up to SRV_QLOG_MAX_FRAMES and
 * an ACK's ranges up to SRV_QLOG_MAX_RANGES. A file stops growing at SRV_QLOG_FILE_MAX bytes;
 * later records are counted as dropped. A file that cannot be created leaves that connection
 * untraced. Memory is thus at most SRV_QLOG_BUF per open connection, disk SRV_QLOG_FILE_MAX.
 *
 * Thread-safety: a struct srv_qlog is immutable after srv_qlog_init() and shared by workers;
 * each connection's trace is touched only by the connection's worker.
 */
#ifndef HB_SRV_QLOG_H
#define HB_SRV_QLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <quic/cid.h>
#include <quic/qlog.h>

#define SRV_QLOG_BUF	    (64u * 1024)
#define SRV_QLOG_FILE_MAX   (64ull * 1024 * 1024)
#define SRV_QLOG_MAX_FRAMES 64
#define SRV_QLOG_MAX_RANGES 32

/* ---- JSON text into a fixed buffer ---- */

/*
 * A JSON writer over buf[0..cap). Values, keys and containers are separated with commas as
 * needed; nothing ever writes past cap: the first value that does not fit sets overflow and
 * every later call does nothing, so the caller drops the whole record.
 */
struct srv_json {
	char *buf;
	size_t cap;
	size_t len;
	bool overflow;
	bool comma; /* a value was written at this level: the next one needs a comma */
};

void srv_json_init(struct srv_json *j, char *buf, size_t cap);
/* RFC 7464 §2.2: a record starts with RS (0x1E) and ends with LF. */
void srv_json_record_begin(struct srv_json *j);
void srv_json_record_end(struct srv_json *j);
/* '{' / '[' and '}' / ']'. */
void srv_json_open(struct srv_json *j, char bracket);
void srv_json_close(struct srv_json *j, char bracket);
/* An object member's name (an ASCII literal, written as is); the value follows. */
void srv_json_key(struct srv_json *j, const char *key);
/*
 * A string value from arbitrary bytes (RFC 8259 §7): '"', '\\' and control characters are
 * escaped, valid UTF-8 is kept, and every byte that is not part of valid UTF-8 becomes
 * U+FFFD, so the output is always valid JSON in UTF-8 whatever a peer sent.
 */
void srv_json_str(struct srv_json *j, const uint8_t *s, size_t len);
void srv_json_cstr(struct srv_json *j, const char *s);
void srv_json_u64(struct srv_json *j, uint64_t v);
void srv_json_bool(struct srv_json *j, bool v);
/* Nanoseconds as milliseconds with three decimals (qlog times and RTTs are in ms). */
void srv_json_ms(struct srv_json *j, uint64_t ns);
/* Bytes as a lower-case hex string. */
void srv_json_hex(struct srv_json *j, const uint8_t *p, size_t n);

/* ---- qlog records ---- */

/*
 * The first record of a trace: qlog_version "0.3", qlog_format "JSON-SEQ", the trace's
 * vantage point and common fields (ODCID as group_id, reference_time in ms since the epoch,
 * relative times).
 */
void srv_qlog_header(struct srv_json *j, const struct quic_cid *odcid, bool server,
		     uint64_t reference_time_ms);

/* One event as a record, its time relative to t0_ns (the time of the header). */
void srv_qlog_event(struct srv_json *j, uint64_t t0_ns, bool server,
		    const struct quic_qlog_event *ev);

/* ---- the server's hook ---- */

struct srv_qlog {
	int dir_fd;
	struct quic_qlog_ops ops; /* arg: this struct */
};

/*
 * Open dir (which must exist and be a writable directory) and fill q->ops.
 * @return 0, or -1 with a one-line message in err
 */
int srv_qlog_init(struct srv_qlog *q, const char *dir, char *err, size_t err_len);
void srv_qlog_fini(struct srv_qlog *q);

#endif /* HB_SRV_QLOG_H */
