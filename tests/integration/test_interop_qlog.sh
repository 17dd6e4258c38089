#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Interop (issue 5): qlog. hayabusa runs with --qlog-dir; gtlsclient makes three connections
# (a 1 MiB download, then two small ones). Each file must be JSON-SEQ (RFC 7464: every record
# is 0x1E, one JSON text, LF) in the qlog 0.3 main schema as qvis reads it: a header record
# (qlog_format "JSON-SEQ", qlog_version "0.3", a server vantage point, the ODCID as group_id),
# then events with relative times, among them transport:packet_sent and packet_received with
# their frames. There must be one file per connection the server accepted. Checked with
# python3, or jq when python3 is missing. Exit 77 without root, /dev/net/tun, gtlsclient, or
# both python3 and jq.
set -u
. "$(dirname "$0")/lib.sh"

it_init qlog "${1:?usage: test_interop_qlog.sh HAYABUSA}"
checker=
if command -v python3 >/dev/null && python3 -c 'import json' 2>/dev/null; then
	checker=python3
elif command -v jq >/dev/null; then
	checker=jq
else
	it_skip "neither python3 nor jq"
fi
it_www
mkdir -p "$it_tmp/qlog"
it_start --qlog-dir "$it_tmp/qlog"
for f in 1m.bin p00.txt p01.txt; do
	it_say "gtlsclient: $f"
	it_client "client-$f.log" -q --download "$it_tmp/dl" "$IT_SRV_IP" "$IT_PORT" \
		"$(it_urls "$f")" || it_bad "gtlsclient failed ($f)"
done
it_check 1m.bin p00.txt p01.txt
it_stop # connections are freed, and their files flushed, by now
conns=$(it_counter conns_accepted)
files=$(find "$it_tmp/qlog" -type f -name '*.sqlog' | wc -l)
it_say "connections accepted: ${conns:-?}, qlog files: $files"
[ "${conns:-0}" -ge 3 ] || it_bad "server accepted ${conns:-?} connections, want >= 3"
[ "$files" = "${conns:-x}" ] || it_bad "$files qlog files for ${conns:-?} connections"

check_python()
{
	python3 - "$1" <<'PY'
import json, sys

path = sys.argv[1]
data = open(path, "rb").read()
assert data.startswith(b"\x1e"), "does not start with RS"
assert data.endswith(b"\n"), "does not end with LF"
recs = data.split(b"\x1e")[1:]
assert len(recs) >= 2, "no events"
objs = []
for i, r in enumerate(recs):
    assert r.endswith(b"\n") and r.count(b"\n") == 1, f"record {i} not one line"
    objs.append(json.loads(r.decode("utf-8")))
h = objs[0]
assert h["qlog_format"] == "JSON-SEQ" and h["qlog_version"] == "0.3", h
t = h["trace"]
assert t["vantage_point"]["type"] == "server", t
cf = t["common_fields"]
name = path.rsplit("/", 1)[1].split(".")[0].split("-")[0]
assert cf["group_id"] == cf["ODCID"] == name, (cf, name)
assert cf["time_format"] == "relative" and cf["reference_time"] > 1.6e12, cf
names = {}
last = 0.0
for e in objs[1:]:
    assert set(e) == {"time", "name", "data"}, e
    assert e["time"] >= 0
    names[e["name"]] = names.get(e["name"], 0) + 1
    if e["name"] in ("transport:packet_sent", "transport:packet_received"):
        hd = e["data"]["header"]
        assert hd["packet_type"] in ("initial", "handshake", "1RTT", "0RTT"), e
        assert hd["packet_number"] >= 0 and e["data"]["raw"]["length"] > 0, e
        assert len(e["data"]["frames"]) > 0, e
        for f in e["data"]["frames"]:
            assert f["frame_type"] != "unknown", e
for n in ("transport:packet_sent", "transport:packet_received",
          "connectivity:connection_state_updated", "security:key_updated",
          "recovery:metrics_updated"):
    assert names.get(n, 0) > 0, f"no {n} event: {names}"
kinds = {f["frame_type"] for e in objs[1:] if e["name"] == "transport:packet_sent"
         for f in e["data"]["frames"]}
assert {"crypto", "ack", "stream"} <= kinds, kinds
print(f"{name}: {len(objs)} records, " +
      ", ".join(f"{k.split(':')[1]} {v}" for k, v in sorted(names.items())))
PY
}

check_jq()
{
	jq --seq -e -s '
		(.[0].qlog_format == "JSON-SEQ") and (.[0].qlog_version == "0.3") and
		(.[0].trace.vantage_point.type == "server") and
		(.[0].trace.common_fields.group_id == .[0].trace.common_fields.ODCID) and
		([.[1:][] | select(.name == "transport:packet_sent" and (.data.frames | length) > 0)]
			| length > 0) and
		([.[1:][] | select(.name == "transport:packet_received" and
			(.data.frames | length) > 0)] | length > 0)' "$1" >/dev/null 2>"$it_tmp/jq.err" &&
		! grep -q . "$it_tmp/jq.err"
}

for f in "$it_tmp"/qlog/*.sqlog; do
	[ -e "$f" ] || continue
	if [ "$checker" = python3 ]; then
		check_python "$f" || it_bad "$(basename "$f"): not a valid qlog trace"
	else
		check_jq "$f" || it_bad "$(basename "$f"): not a valid qlog trace (jq)"
	fi
done
it_finish
