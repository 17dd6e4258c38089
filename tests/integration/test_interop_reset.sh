#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Stateless Reset (RFC 9000 §10.3; bad-input A10, A14): short-header packets for CIDs the server
# does not know, sent from a UDP socket in the namespace.
#   - a 100-byte trigger gets a reset: shorter than the trigger, at least 21 bytes, short header
#     form with the fixed bit; the same CID gets the same token (its last 16 bytes), another CID
#     another token (the token is a function of the CID under the static key, §10.3.2);
#   - a trigger of 22 bytes or less gets nothing (a reset would not be smaller and >= 21 bytes);
#   - a burst of 300 triggers is rate-limited: the server counts limited resets.
# Exit 77 without root, /dev/net/tun, gtlsclient or python3.
set -u
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || it_skip "python3 missing"
it_init rst "${1:?usage: test_interop_reset.sh HAYABUSA}"
it_www
it_start
it_say "short-header triggers for unknown CIDs"
ip netns exec "$it_ns" timeout 30 python3 - "$IT_SRV_IP" "$IT_PORT" <<'PY' >"$it_tmp/reset.log" 2>&1 ||
import os, socket, sys

srv = (sys.argv[1], int(sys.argv[2]))
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(1.0)

def trigger(cid, size):
    pkt = bytes([0x40 | (os.urandom(1)[0] & 0x3f)]) + cid
    return pkt + os.urandom(size - len(pkt))

def ask(cid, size):
    s.sendto(trigger(cid, size), srv)
    try:
        return s.recvfrom(2048)[0]
    except socket.timeout:
        return None

def check(r, size):
    assert r is not None, "no reset for a %d-byte trigger" % size
    assert 21 <= len(r) < size, "reset of %d bytes for a %d-byte trigger" % (len(r), size)
    assert r[0] & 0xc0 == 0x40, "first byte %#x: not a short header with the fixed bit" % r[0]

cid_a, cid_b = os.urandom(16), os.urandom(16)
a1 = ask(cid_a, 100); check(a1, 100)
a2 = ask(cid_a, 60); check(a2, 60)
b1 = ask(cid_b, 100); check(b1, 100)
assert a1[-16:] == a2[-16:], "two tokens for one CID"
assert a1[-16:] != b1[-16:], "one token for two CIDs"
print("resets: %d, %d, %d bytes; token(a) %s" % (len(a1), len(a2), len(b1), a1[-16:].hex()))
for size in (18, 21, 22):
    assert ask(os.urandom(16), size) is None, "a reset for a %d-byte trigger" % size
print("no reset for 18, 21, 22-byte triggers")
s.settimeout(0.2)
for _ in range(300):
    s.sendto(trigger(os.urandom(16), 100), srv)
print("burst of 300 sent")
PY
	{ cat "$it_tmp/reset.log"; it_bad "stateless reset checks failed"; }
cat "$it_tmp/reset.log"
it_stop
sent=$(it_counter reset_sent)
limited=$(it_counter reset_limited)
it_say "resets sent ${sent:-?}, rate-limited ${limited:-?}"
[ "${sent:-0}" -ge 3 ] || it_bad "server counted ${sent:-?} resets, want >= 3"
[ "${limited:-0}" -gt 0 ] || it_bad "the burst of 300 was not rate-limited"
[ $((${sent:-0} + ${limited:-0})) -le 306 ] || it_bad "more resets than triggers"
it_finish
