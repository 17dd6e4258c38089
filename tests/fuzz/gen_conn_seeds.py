#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Seeds for fuzz_conn (format in fuzz_conn.c): frames of every type of RFC 9000 §19 and RFC 9221
in 1-RTT packets, Initial/Handshake payloads in mode 1, every frame-corpus payload wrapped in a
1-RTT packet, and a few multi-datagram runs. Usage: gen_conn_seeds.py CORPUS_DIR FRAME_CORPUS"""
import os
import sys

SHORT, INITIAL, HANDSHAKE, RAW = 0, 1, 2, 3
REBIND, KEY_PHASE, STEP = 4, 8, 0x10

CID = bytes(range(1, 9))
TOKEN = bytes(range(0xa0, 0xb0))
PATH = b"pathdata"


def rec(flags, payload):
    return bytes([flags]) + len(payload).to_bytes(2, "big") + payload


def seed(mode, *records):
    return bytes([mode]) + b"".join(records)


# One payload per frame type (and every STREAM variant), as a client would send them.
FRAMES = {
    "padding": b"\x00" * 24,
    "ping": b"\x01",
    "ack": b"\x02\x05\x00\x00\x05",
    "ack_ecn": b"\x03\x05\x00\x00\x05\x01\x00\x00",
    "reset_stream": b"\x04\x00\x00\x05",
    "stop_sending": b"\x05\x00\x00",
    "crypto": b"\x06\x00\x04\x16\x03\x03\x00",
    "new_token": b"\x07\x04abcd",
    "max_data": b"\x10\x80\x10\x00\x00",
    "max_stream_data": b"\x11\x00\x80\x01\x00\x00",
    "max_streams_bidi": b"\x12\x40\xc8",
    "max_streams_uni": b"\x13\x40\xc8",
    "data_blocked": b"\x14\x40\x64",
    "stream_data_blocked": b"\x15\x00\x40\x64",
    "streams_blocked_bidi": b"\x16\x0a",
    "streams_blocked_uni": b"\x17\x0a",
    "new_connection_id": b"\x18\x01\x00\x08" + CID + TOKEN,
    "retire_connection_id": b"\x19\x01",
    "path_challenge": b"\x1a" + PATH,
    "path_response": b"\x1b" + PATH,
    "connection_close": b"\x1c\x0a\x00\x04oops",
    "connection_close_app": b"\x1d\x00\x00",
    "handshake_done": b"\x1e",
    "datagram": b"\x30dgram",
    "datagram_len": b"\x31\x03abc",
    "unknown_type": b"\x40\x21",
}
for t in range(8):
    body = b"\x00"  # stream 0, client-initiated bidirectional
    if t & 4:
        body += b"\x05"
    data = b"GET /\r\n"
    if t & 2:
        body += bytes([len(data)])
    FRAMES["stream_%02x" % (8 | t)] = bytes([8 | t]) + body + data

# Handshake-state payloads (mode 1), by packet type.
EARLY = {
    "init_ack_ping": (INITIAL, b"\x02\x00\x00\x00\x00\x01" + b"\x00" * 20),
    "init_crypto_dup": (INITIAL, b"\x06\x00\x08\x01\x00\x00\x04\x03\x03\x00\x00"),
    "init_stream": (INITIAL, FRAMES["stream_0b"]),
    "init_close": (INITIAL, b"\x1c\x0a\x00\x00"),
    "hs_crypto_finished": (HANDSHAKE, b"\x06\x00\x24\x14\x00\x00\x20" + b"\x00" * 32),
    "hs_ack": (HANDSHAKE, b"\x02\x00\x00\x00\x00"),
    "hs_close": (HANDSHAKE, b"\x1c\x01\x00\x00"),
    "hs_new_token": (HANDSHAKE, FRAMES["new_token"]),
}


def mixed():
    """Multi-datagram runs: out-of-order stream data, migration, key phase, time, garbage."""
    out = {}
    out["mix_stream_reorder"] = seed(
        0,
        rec(SHORT, b"\x0e\x00\x05world"),  # STREAM off=5 len fin
        rec(SHORT, b"\x0a\x00\x05hello"),  # STREAM off=0 len
        rec(SHORT | STEP, b"\x02\x03\x00\x00\x03"),
    )
    out["mix_migrate"] = seed(
        0,
        rec(SHORT | REBIND, b"\x1a" + PATH + b"\x00" * 20),
        rec(SHORT | REBIND | STEP, b"\x1b" + PATH),
        rec(SHORT, b"\x01"),
    )
    out["mix_key_phase"] = seed(0, rec(SHORT | KEY_PHASE, b"\x01"), rec(SHORT, b"\x01"))
    out["mix_raw"] = seed(
        0,
        rec(RAW, b"\x40" + b"\x55" * 40),
        rec(RAW, b"\xc0\x00\x00\x00\x01" + b"\x00" * 30),
        rec(SHORT | STEP, b"\x1d\x00\x00"),
    )
    out["mix_streams"] = seed(
        0, *[rec(SHORT, bytes([0x0b, 4 * i]) + b"\x03abc") for i in range(12)]
    )
    out["mix_ncid_retire"] = seed(
        0,
        *[
            rec(SHORT, b"\x18" + bytes([i, i - 1, 8]) + bytes([i] * 8) + TOKEN)
            for i in range(1, 8)
        ],
    )
    return out


def main():
    out, frame_corpus = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    seeds = {}
    for name, payload in FRAMES.items():
        seeds["f_" + name] = seed(0, rec(SHORT, payload))
    for name, (kind, payload) in EARLY.items():
        seeds[name] = seed(1, rec(kind, payload))
    for name in sorted(os.listdir(frame_corpus)):
        with open(os.path.join(frame_corpus, name), "rb") as f:
            seeds["corpus_" + name] = seed(0, rec(SHORT, f.read()[:1400]))
    seeds.update(mixed())
    for name, blob in seeds.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(blob)
    print("%d seeds in %s" % (len(seeds), out))


if __name__ == "__main__":
    main()
