#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Figures of bench/compare.sh: reads the JSON of every run of one invocation (hayabusa-bench,
hayabusa-crypto-bench), computes floors and ratios, writes REPORT.md, the plots and --json.
Run by compare.sh only; every input comes from the same invocation."""
import argparse
import copy
import datetime
import json
import os
import platform
import subprocess

FIREDANCER_RETRY = "2.65-2.70 M/s"
FIREDANCER_TOKENS = "5.5-5.9 M/s"
PICOQUIC_BULK = "12.3-12.9 Gbit/s (ConnectX-5)"


def load(tmp, name, sfx=""):
    try:
        with open(os.path.join(tmp, name + sfx + ".json")) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def get(j, *keys):
    for k in keys:
        if j is None or k not in j:
            return None
        j = j[k]
    return j


class Crypto:
    """Fastest engine's figure for an operation (imb-bare is the baseline, not an engine)."""

    def __init__(self, j):
        self.rows = [r for r in (j or {}).get("results", []) if r["engine"] != "imb-bare"]

    def ns(self, op, size=None):
        v = [r["ns"] for r in self.rows if r["op"] == op and (size is None or r["size"] == size)]
        return min(v) if v else None

    def token_open_ns(self):
        """open is derived (seal+open - seal) and may come out <= 0 in a noisy run: then half of
        seal+open stands for it."""
        v = self.ns("token open")
        return v if v is not None and v > 0 else div(self.ns("token seal+open"), 2)

    def seal_ns(self, size):
        sizes = sorted({r["size"] for r in self.rows if r["op"] == "aes128gcm seal"})
        if not sizes:
            return None, None
        best = min(sizes, key=lambda s: abs(s - size))
        return self.ns("aes128gcm seal", best), best


def div(a, b):
    return a / b if a is not None and b not in (None, 0) else None


def delivered_pps(j):
    """Datagrams per second a link-floor run put on the link: those its dataplane queued less
    those the port refused (drop_tx_full: a ring the receiver did not empty in time), so a
    receiver slower than the sender sets the floor, not the sender's queueing rate."""
    sent, secs = get(j, "totals", "pkts_tx"), get(j, "measured_s")
    if sent is None or not secs:
        return None
    return max(0, sent - (get(j, "dataplane", "drop_tx_full") or 0)) / secs


def floors(a, cr, hay):
    """Each figure's crypto floor, link floor and floor (the lower), as the issue defines them."""
    f = {}
    lf1200 = delivered_pps(load(a.tmp, "hay-floor-1200", a.sfx))
    lfbulk = delivered_pps(load(a.tmp, "hay-floor-bulk", a.sfx))
    # Initials in and Retries out (issue #7): the answers of the server's --echo-port that
    # came back, each the size of the flood's Retries.
    echo = load(a.tmp, "hay-floor-echo", a.sfx)
    lfecho = get(echo, "rates", "pkts_rx_per_s")
    echo_size = get(echo, "config", "reply_size")
    seal1200, _ = cr.seal_ns(1200)
    sealp, sz = cr.seal_ns(a.packet_size)
    hs = hay.get("_hs_run") or {}
    t = hs.get("totals", {})
    n = max(1, t.get("handshakes", 0))
    pkts = (t.get("pkts_tx", 0) + t.get("pkts_rx", 0)) / n if t.get("handshakes") else None
    per_dir = max(t.get("pkts_tx", 0), t.get("pkts_rx", 0)) / n if t.get("handshakes") else None
    tls = cr.ns("tls13 server hs, ecdsa-p256")
    init = cr.ns("initial secrets+keys+handles")
    hs_ns = None
    if None not in (tls, init, pkts, seal1200):
        hs_ns = tls + init + pkts * seal1200
    f["handshakes_per_s"] = (div(1e9, hs_ns), div(lf1200, per_dir),
                             "TLS 1.3 server handshake (ECDSA P-256, X25519) + Initial keys + "
                             "one AEAD per packet of a handshake (%s packets)" %
                             ("%.1f" % pkts if pkts else "?"),
                             "1200-byte link pps / packets per handshake each way")
    f["bulk_gbit_per_s"] = (div(sz * 8, sealp) if sealp else None,
                            lfbulk * a.packet_size * 8 / 1e9 if lfbulk else None,
                            "AES-128-GCM seal of %s B, fastest engine" % sz,
                            "link-floor of %d-byte datagrams" % a.packet_size)
    tok, tag = cr.ns("token seal"), cr.ns("retry tag v1")
    f["retry_per_s"] = (div(1e9, tok + tag) if tok and tag else None, lfecho,
                        "one token seal + one Retry tag, fastest engine",
                        "link-floor of 1200-byte Initials in, %s-byte answers out" %
                        (echo_size if echo_size else "?"))
    f["token_validate_per_s"] = (div(1e9, cr.token_open_ns()), lf1200,
                         "one token open, fastest engine", "link-floor of 1200-byte Initials")
    small = cr.seal_ns(100)[0]
    f["rr_p99_us"] = (4 * small / 1e3 if small else None, None,
                      "seal+open of request and response (4 x AEAD of ~100 B)",
                      "not measured (link-floor is one-way)")
    out = {}
    for k, (c, l, cd, ld) in f.items():
        vals = [v for v in (c, l) if v is not None]
        out[k] = {"crypto": c, "link": l, "floor": min(vals) if vals else None,
                  "crypto_what": cd, "link_what": ld}
    return out


def hs_runs(a, prefix):
    """The handshake sweep's runs of one server, and the one with the most handshakes/s."""
    runs, best = {}, None
    for n in a.hs:
        j = runs[n] = load(a.tmp, "%s-hs-%s" % (prefix, n), a.sfx)
        if j and (best is None or j["rates"]["handshakes_per_s"] > best["rates"]["handshakes_per_s"]):
            best = j
    return runs, best


def side(a, prefix, flood):
    """The figures of one server from its runs."""
    s = {"hs": {}, "bulk": {}, "rr": {}, "headroom": {}}
    s["hs"], best = hs_runs(a, prefix)
    for n in a.bulk:
        s["bulk"][n] = load(a.tmp, "%s-bulk-%s" % (prefix, n), a.sfx)
    for r in a.rr:
        s["rr"][r] = load(a.tmp, "%s-rr-%s" % (prefix, r), a.sfx)
    one = s["bulk"].get(a.bulk[0])
    rr0 = s["rr"].get(a.rr[0])
    fl = load(a.tmp, flood, a.sfx)
    s["_hs_run"] = best
    s["handshakes_per_s"] = get(best, "rates", "handshakes_per_s")
    s["bulk_gbit_per_s"] = get(one, "rates", "goodput_gbit_per_s")
    s["retry_per_s"] = get(fl, "rates", "retry_per_s")
    s["rr_p99_us"] = get(rr0, "latency_us", "p99")
    s["headroom"] = {"handshakes_per_s": get(best, "cpu", "headroom_pct"),
                     "bulk_gbit_per_s": get(one, "cpu", "headroom_pct"),
                     "retry_per_s": get(fl, "cpu", "headroom_pct"),
                     "rr_p99_us": get(rr0, "cpu", "headroom_pct")}
    s["hs_conns_best"] = get(best, "config", "conns")
    if prefix == "hay":
        tk, m = tokens(a), idle_mem(a)
        s["tokens"], s["mem"] = tk, m
        s["token_validate_per_s"] = tk["token_validate_per_s"]
        s["headroom"]["token_validate_per_s"] = tk["headroom"]
        s["mem_per_idle_conn_bytes"] = m["mem_per_idle_conn_bytes"]
    return s


def server_stats(tmp, name):
    """The quic counter blocks of a hayabusa log (--stats lines, then the exit counters)."""
    blocks, cur = [], None
    try:
        with open(os.path.join(tmp, "server-%s.log" % name)) as f:
            for line in f:
                if line.startswith("--- stats: quic"):
                    cur = {}
                    blocks.append(cur)
                elif line.startswith("---"):
                    cur = None
                elif cur is not None:
                    w = line.split()
                    if len(w) == 2 and w[1].isdigit():
                        cur[w[0]] = int(w[1])
    except OSError:
        pass
    return blocks


def tokens(a):
    """Valid tokens validated/s: the server's tokens_valid over the bench's sending time."""
    j = load(a.tmp, "hay-tokens", a.sfx)
    st = server_stats(a.tmp, "tokens" + a.sfx)
    last = st[-1] if st else {}
    return {"token_validate_per_s": div(last.get("tokens_valid"), get(j, "measured_s")),
            "tokens_valid": last.get("tokens_valid"), "refused_full": last.get("refused_full"),
            "conns_made": last.get("conns_accepted"), "sent": get(j, "totals", "pkts_tx"),
            "headroom": get(j, "cpu", "headroom_pct")}


def idle_mem(a):
    """Bytes per established idle connection: the --stats sample holding the most
    connections; the connections one worker holds at --max-conns at that size."""
    st = [b for b in server_stats(a.tmp, "idle") if b.get("conns_active")]
    best = max(st, key=lambda b: b["conns_active"]) if st else {}
    n = best.get("conns_active")
    per = div(best.get("conn_mem_bytes"), n)
    m = {"mem_per_idle_conn_bytes": per, "conns": n, "conns_offered": a.idle_conns,
         "max_conns": a.max_conns, "source": "conn_mem_bytes",
         "mib_at_max_conns": per * a.max_conns / 2**20 if per else None}
    # bench/conn_memory.sh (full runs): the process's RSS growth per connection held, at
    # 100,000 connections; the figure then, the server's own accounting beside it.
    cm = load(a.tmp, "conn_memory")
    if cm and cm.get("mem_per_idle_conn_bytes") is not None:
        m.update({"mem_per_idle_conn_bytes": cm["mem_per_idle_conn_bytes"],
                  "conns": cm["conns_held"], "source": "rss", "accounted_small": per,
                  "accounted_small_conns": n, "conn_memory": cm})
    # ... and within a --worker-memory budget: the most connections the worker held.
    m["budget"] = load(a.tmp, "conn_budget")
    return m


def bulk_verified(a, sides):
    bad = []
    for name, s in sides:
        for n, j in s["bulk"].items():
            t = get(j, "totals")
            if t is None or t["streams_done"] == 0 or j["failures_total"] != 0 or \
                    t["app_bytes"] != t["streams_done"] * a.bulk_file_size:
                bad.append("%s bulk %s conns" % (name, n))
    return bad


def fmt(v, unit="", prec=None):
    if v is None:
        return "**missing**"
    if prec is None:
        prec = 0 if abs(v) >= 1000 else 2 if abs(v) < 10 else 1
    return ("{:,.%df}" % prec).format(v) + unit


def verdict(ok):
    return "**missing**" if ok is None else "met" if ok else "**MISSED**"


def pct(a, b):
    r = div(a, b)
    return None if r is None else 100 * r


def legit(a):
    """Legitimate handshakes measured while the flood ran: of those that ended (completed,
    failed, or still unfinished when the run's time bound came), the share that completed."""
    j = load(a.tmp, "hay-legit")
    t = get(j, "totals") or {}
    done = t.get("handshakes", 0)
    ended = done + sum(t.get(k, 0) for k in ("fail_handshake", "fail_setup", "fail_unfinished"))
    return {"started": t.get("conns_started"), "completed": done, "ended": ended,
            "fraction": done / ended if ended else None,
            "p50_us": get(j, "latency_us", "p50"), "p99_us": get(j, "latency_us", "p99"),
            "max_us": get(j, "latency_us", "max"),
            "flood_retry_per_s": get(load(a.tmp, "hay-flood-legit"), "rates", "retry_per_s")}


HEADLINE = ("handshakes_per_s", "bulk_gbit_per_s", "retry_per_s", "token_validate_per_s")


def median(vs):
    v = sorted(x for x in vs if x is not None)
    if not v:
        return None
    m = len(v) // 2
    return v[m] if len(v) % 2 else (v[m - 1] + v[m]) / 2


def rounds(a, first):
    """Each round's headline figures, floors and ratios; round 1 is the main run, rounds 2..N
    (compare.sh --rounds) measured the headline points again, each beside its floors and
    gtlsserver's."""
    out = []
    for r in range(1, a.rounds + 1):
        if r == 1:
            hay, ng, lim = first
        else:
            b = copy.copy(a)
            b.sfx = ".r%d" % r
            hay, ng = side(b, "hay", "hay-flood"), side(b, "ng", "ng-flood")
            lim = floors(b, Crypto(load(a.tmp, "crypto", b.sfx)), hay)
        out.append({k: {"hayabusa": hay.get(k), "ngtcp2": ng.get(k), "floor": lim[k]["floor"],
                        "pct_of_floor": pct(hay.get(k), lim[k]["floor"]),
                        "x_ngtcp2": div(hay.get(k), ng.get(k)),
                        "headroom": hay["headroom"].get(k),
                        "ng_headroom": ng["headroom"].get(k)} for k in HEADLINE})
    return out


def floor_broken(v):
    """A figure above its own round's floor: the floor, an upper bound by definition, was
    measured while the machine slowed (its link runs minutes apart from the figure's)."""
    return v["pct_of_floor"] is not None and v["pct_of_floor"] > 100


def medians(rnd):
    """Per headline figure, the median of each quantity over the rounds whose floor held (all
    of them when none did); the ratios are the medians of the rounds' own ratios (each against
    the floor and peer of its round)."""
    out = {}
    for k in HEADLINE:
        ok = [r for r in rnd if not floor_broken(r[k])] or rnd
        # A quantity measured in round 1 only (gtlsserver's flood) comes from every round.
        out[k] = {f: median([r[k][f] for r in ok]) if any(r[k][f] is not None for r in ok)
                  else median([r[k][f] for r in rnd]) for f in rnd[0][k]}
        out[k]["rounds_counted"] = len(ok)
    return out


def report_rows(hay, ng, lim, med):
    """(figure, hayabusa, ngtcp2, floor, % of floor, x gtlsserver, target, ok, headrooms)."""
    rows = []

    def tput(key, name, tgt_pct, tgt_x, words):
        m = med[key]
        p, x = m["pct_of_floor"], m["x_ngtcp2"]
        ok = None if p is None or (tgt_x and x is None) else \
            p >= tgt_pct and (not tgt_x or x >= tgt_x)
        rows.append((name, m["hayabusa"], m["ngtcp2"], m["floor"], p, x, words, ok,
                     m["headroom"], m["ng_headroom"]))

    tput("handshakes_per_s", "handshakes/s (best of the conns sweep)", 85, 3,
         ">= 85 % of floor, >= 3x gtlsserver")
    tput("bulk_gbit_per_s", "bulk goodput, 1 connection, Gbit/s", 60, 5,
         ">= 60 % of floor, >= 5x gtlsserver")
    tput("retry_per_s", "Retries/s (retry-flood, spoofed ports)", 60, None,
         ">= 60 %% of floor (Firedancer %s)" % FIREDANCER_RETRY)
    tput("token_validate_per_s", "valid tokens validated/s (token-flood)", 60, None,
         ">= 60 %% of floor (Firedancer %s)" % FIREDANCER_TOKENS)
    h, n = hay["rr_p99_us"], ng["rr_p99_us"]
    fl = lim["rr_p99_us"]["floor"]
    rows.append(("rr p99 latency, us (lowest offered load)", h, n, fl,
                 pct(fl, h), div(n, h), "none (reported)", None if h is None else True,
                 hay["headroom"]["rr_p99_us"], ng["headroom"]["rr_p99_us"]))
    return rows


def plots(a, hay, ng):
    if not a.gnuplot:
        return []
    made = []
    d = os.path.join(a.tmp, "plot")
    os.makedirs(d, exist_ok=True)

    def data(name, xs, fy):
        with open(os.path.join(d, name), "w") as f:
            for x in xs:
                ys = fy(x)
                if None not in ys:
                    f.write("%s %s\n" % (x, " ".join(str(y) for y in ys)))

    hs = lambda s: lambda x: [get(s["hs"].get(x), "rates", "handshakes_per_s")]
    bk = lambda s: lambda x: [get(s["bulk"].get(x), "rates", "goodput_gbit_per_s")]
    rr = lambda s: lambda x: [get(s["rr"].get(x), "latency_us", "p50"),
                              get(s["rr"].get(x), "latency_us", "p99")]
    for pre, s in (("hay", hay), ("ng", ng)):
        data(pre + "-hs.dat", a.hs, hs(s))
        data(pre + "-bulk.dat", a.bulk, bk(s))
        data(pre + "-rr.dat", a.rr, rr(s))
    specs = [
        ("handshakes_vs_conns.png", "handshakes/s against connections in flight",
         "connections in flight", "handshakes/s", "hs", "1:2", "logscale x"),
        ("goodput_vs_conns.png", "bulk goodput against connections", "connections",
         "Gbit/s", "bulk", "1:2", "logscale x"),
        ("latency_vs_load.png", "rr latency against offered load (p50, p99)",
         "offered requests/s", "microseconds", "rr", None, "logscale xy"),
    ]
    for png, title, xl, yl, key, cols, scale in specs:
        if cols:
            lines = ("'%s/hay-%s.dat' u %s w lp t 'hayabusa (net_memif)', "
                     "'%s/ng-%s.dat' u %s w lp t 'gtlsserver (kernel UDP)'" %
                     (d, key, cols, d, key, cols))
        else:
            lines = ("'{0}/hay-rr.dat' u 1:2 w lp t 'hayabusa p50', '{0}/hay-rr.dat' u 1:3 w lp "
                     "t 'hayabusa p99', '{0}/ng-rr.dat' u 1:2 w lp t 'gtlsserver p50', "
                     "'{0}/ng-rr.dat' u 1:3 w lp t 'gtlsserver p99'".format(d))
        script = ("set terminal pngcairo size 800,500\nset output '%s'\nset title '%s'\n"
                  "set xlabel '%s'\nset ylabel '%s'\nset %s\nset grid\nset key top left\n"
                  "plot %s\n" % (os.path.join(a.out, png), title, xl, yl, scale, lines))
        r = subprocess.run([a.gnuplot], input=script, text=True, capture_output=True)
        if r.returncode == 0 and os.path.exists(os.path.join(a.out, png)):
            made.append(png)
        else:
            print("plot %s failed: %s" % (png, r.stderr.strip()[:200]))
    return made


def sweep_table(a, hay, ng):
    out = ["| sweep | point | hayabusa | gen. headroom | gtlsserver | gen. headroom |",
           "|---|---|---|---|---|---|"]
    for key, pts, unit, path in (("hs", a.hs, "conns", ("rates", "handshakes_per_s")),
                                 ("bulk", a.bulk, "conns", ("rates", "goodput_gbit_per_s"))):
        for x in pts:
            hj, nj = hay[key].get(x), ng[key].get(x)
            out.append("| %s | %s %s | %s | %s %% | %s | %s %% |" % (
                "handshakes/s" if key == "hs" else "goodput Gbit/s", x, unit,
                fmt(get(hj, *path)), fmt(get(hj, "cpu", "headroom_pct"), prec=0),
                fmt(get(nj, *path)), fmt(get(nj, "cpu", "headroom_pct"), prec=0)))
    for x in a.rr:
        hj, nj = hay["rr"].get(x), ng["rr"].get(x)
        def lat(j):
            if not get(j, "latency_us", "count"):
                return "no request completed (fail %s)" % get(j, "failures_total")
            return "%s / %s / %s (fail %s)" % (
                fmt(get(j, "latency_us", "p50")), fmt(get(j, "latency_us", "p99")),
                fmt(get(j, "latency_us", "p99_9")), get(j, "failures_total"))

        out.append("| rr p50/p99/p99.9 us | %s req/s | %s | %s %% | %s | %s %% |" % (
            x, lat(hj), fmt(get(hj, "cpu", "headroom_pct"), prec=0), lat(nj),
            fmt(get(nj, "cpu", "headroom_pct"), prec=0)))
    return out


def shared_note(a):
    """Whether other work ran beside the measurement, from the 1-minute load averages: the
    two busy-polling processes of a run account for about one per CPU they hold."""
    loads = []
    for l in (a.load, a.load_end):
        try:
            loads.append(float(l.split()[0]))
        except (ValueError, IndexError, AttributeError):
            pass
    if loads and max(loads) <= (os.cpu_count() or 1) + 1:
        return ("- The 1-minute load average stayed within one of the CPUs' count (what the "
                "busy-polling processes of the run account for): no other significant work ran.")
    return ("- The machine was shared with other work while measuring (the load average says how "
            "much): figures are noisy and low; compare ratios within this report, not with other "
            "machines.")


def report_intro(a, cpu):
    """The report's title and the conditions of the run."""
    return ["# Hayabusa against ngtcp2's gtlsserver", "",
         "Measured by `bench/compare.sh%s --duration %s` from %s (UTC), report written %s." % (
             " --quick" if a.quick == "1" else "", a.duration, a.started,
             datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M")), "",
         "- Machine: %s, %d online CPUs, kernel %s. Load average (1/5/15 min) %s at the "
         "start, %s at the end." % (cpu, os.cpu_count(), platform.release(), a.load,
                                    a.load_end),
         shared_note(a),
         "- hayabusa: one worker, busy poll, on CPU 1; hayabusa-bench on CPU 0, the two DPDK "
         "processes joined by net_memif (shared memory, no kernel).",
         "- gtlsserver (ngtcp2 + GnuTLS, kernel UDP) pinned to CPU 1; hayabusa-bench on CPU 0 "
         "over net_tap into a network namespace of this run.",
         "- Same bench modes and files on both sides: handshake (ECDSA P-256 certificate, "
         "X25519), bulk = each connection fetches a file of %d bytes over h3 again and again for "
         "the run's duration, one stream at a time (each verified: status 200 and "
         "content-length), rr = "
         "h3 GET of a 64-byte file over 4 connections x 16 streams." % a.bulk_file_size,
         "- Polling: hayabusa and the bench over net_memif busy-poll; over net_tap the bench "
         "polls adaptively (the kernel side of the tap needs CPU 0 too). On an oversubscribed "
         "machine a busy-polling process waits for its time slice while gtlsserver, asleep in "
         "the kernel, is woken on arrival: latency and handshake figures favour gtlsserver "
         "here.",
         "- The generator opens and acknowledges every packet normally (no header-only ACK "
         "shortcut); its CPU headroom (share of its poll loop that moved no datagram) is "
         "given beside each figure: near 0 % means the generator may be the limit.",
         client_crypto_note(a), ""]


def client_crypto_note(a):
    """What the generator's TLS client did per handshake (hayabusa-bench --client-crypto)."""
    names = [n[:-len(".json")] for n in os.listdir(a.tmp)
             if "-hs-" in n and n.endswith(".json")]
    modes = sorted({get(load(a.tmp, n), "config", "client_crypto") or "?" for n in names})
    if modes == ["light"]:
        return ("- The generator's TLS client ran `--client-crypto light` in the handshake, "
                "bulk and rr runs against both servers: one key share reused for every "
                "handshake (one X25519 derive each) and no certificate or CertificateVerify "
                "check (the messages are parsed and the server's Finished still covers them), "
                "so that a client handshake costs less than a server's and the servers set "
                "the handshake figure. Both servers do their full work.")
    return "- The generator's TLS client ran `--client-crypto %s`." % "/".join(modes)


def report_notes(lg, mem):
    """What the headline table cannot say: rr's columns, the flood run, what is missing."""
    return ["", "rr: the ratio columns are floor / p99 and gtlsserver p99 / hayabusa p99 (higher "
          "is better on both); rr has no target, \"met\" only says it was measured.", "",
          "Legitimate handshakes during the flood: %s started (offered at 200/s, 32 in flight at "
          "most) on a second memif port "
          "(measured after a 3 s warm-up that covers the flood's start) while the flood ran at "
          "%s Retries/s; latency p50 %s us, p99 %s us, max %s us. The "
          "legitimate clients share CPU 0 with the flooding generator (2 CPUs), so their "
          "latency includes that scheduling." % (lg["started"], fmt(lg["flood_retry_per_s"]),
                                                  fmt(lg["p50_us"]), fmt(lg["p99_us"]),
                                                  fmt(lg["max_us"])), "",
          mem_note(mem), "",
          "For scale: picoquic on DPDK published %s for one connection; Firedancer issues %s "
          "Retries per core and validates %s tokens." % (PICOQUIC_BULK, FIREDANCER_RETRY,
                                                        FIREDANCER_TOKENS), ""]


def mem_note(m):
    """How the memory figure was taken."""
    def n(v):
        return "**missing**" if v is None else "{:,}".format(int(v))

    if m.get("source") == "rss":
        cm = m["conn_memory"]
        return ("Memory per established idle connection (bench/conn_memory.sh): runs of "
                "`hayabusa-bench handshake --hold` left %s connections idle on one worker "
                "(--max-conns %s, %s refused); the figure is the server's RSS growth from %s "
                "to %s connections divided by the connections added: everything the process "
                "allocates for them (slot, quic/, TLS and AEAD state, table keys). The "
                "server's own accounting (slot, quic_conn_mem_bytes(), stream buffers; no TLS "
                "or AEAD state) gives %s bytes at %s connections and %s bytes at %s."
                % (n(cm["conns_held"]), n(cm["max_conns"]), n(cm["refused_full"]),
                   n(cm["from_conns"]), n(cm["conns_held"]),
                   fmt(cm["accounted_per_conn_bytes"]), n(cm["conns_held"]),
                   fmt(m.get("accounted_small")), n(m.get("accounted_small_conns"))))
    return ("Memory per established idle connection: the server's own accounting "
            "(conn_mem_bytes: slot, quic_conn_mem_bytes(), stream buffers; TLS and AEAD state "
            "not counted) over %s idle connections; the 100,000-connection figure from RSS "
            "comes from bench/conn_memory.sh, which full (not --quick) runs call."
            % n(m["conns"]))


def rounds_section(a, rnd):
    """Every round's headline figures and ratios, as the median in the headline came from."""
    if len(rnd) < 2:
        return []
    names = {"handshakes_per_s": "handshakes/s", "bulk_gbit_per_s": "bulk Gbit/s",
             "retry_per_s": "Retries/s", "token_validate_per_s": "tokens validated/s"}
    L = ["## Rounds", "",
         "The headline's throughput figures are medians over %d rounds: round 1 is the whole "
         "run (sweeps included), %s measured each headline point again (the best hs "
         "point of each side in round 1, bulk with 1 connection, the Retry and token floods), "
         "each next to its floors (crypto and link) and gtlsserver's, back to back. A ratio in "
         "the headline is the median of the rounds' own ratios, so it need not equal the "
         "quotient of the medians beside it. A round whose figure came out above its own floor "
         "(an upper bound by definition: that floor was measured while the machine slowed) is "
         "not counted for that figure." % (
             len(rnd), "round 2" if len(rnd) == 2 else "rounds 2-%d" % len(rnd)), "",
         "| figure | round | hayabusa | gtlsserver | floor | hayabusa / floor | "
         "hayabusa vs gtlsserver |", "|---|---|---|---|---|---|---|"]
    for k in HEADLINE:
        for i, r in enumerate(rnd):
            v = r[k]
            L.append("| %s | %d | %s | %s | %s | %s | %s |" % (
                names[k], i + 1, fmt(v["hayabusa"]), fmt(v["ngtcp2"]) if v["ngtcp2"] else "-",
                fmt(v["floor"]), fmt(v["pct_of_floor"], " %") +
                (" (floor below the figure: not counted)" if floor_broken(v) else ""),
                fmt(v["x_ngtcp2"], "x") if v["x_ngtcp2"] else "-"))
    return L + [""]


def write_report(a, hay, ng, lim, lg, bad, made, cpu, rnd):
    med = medians(rnd)
    rows = report_rows(hay, ng, lim, med)
    L = report_intro(a, cpu)
    L += ["## Headline figures", ""]
    if len(rnd) > 1:
        few = ["%s: %d" % (k, med[k]["rounds_counted"]) for k in HEADLINE
               if med[k]["rounds_counted"] < len(rnd)]
        L += ["Throughput figures: median of %d rounds (see Rounds); the rest from round 1.%s"
              % (len(rnd), " Rounds counted where a floor came out below its figure: %s."
                 % ", ".join(few) if few else ""), ""]
    L += [
          "| figure | hayabusa | gtlsserver | floor | hayabusa / floor | hayabusa vs "
          "gtlsserver | target | result | gen. headroom (hay / ng) |",
          "|---|---|---|---|---|---|---|---|---|"]
    for (name, h, n, fl, p, x, tgt, ok, hh, nh) in rows:
        # Below 10 % headroom the generator, not the server, may be what the figure shows.
        lim_by = [w for w, v in (("hayabusa", hh), ("gtlsserver", nh)) if v is not None and v < 10]
        L.append("| %s | %s | %s | %s | %s | %s | %s | %s%s | %s / %s |" % (
            name, fmt(h), fmt(n), fmt(fl), fmt(p, " %"), fmt(x, "x"), tgt, verdict(ok),
            " (generator near its limit in the run against: %s)" % ", ".join(lim_by)
            if lim_by else "",
            fmt(hh, " %", 0), fmt(nh, " %", 0)))
    frac = lg["fraction"]
    L.append("| legitimate handshakes completed during a Retry flood | %s of %s (%s) | - | - | - "
             "| - | >= 99 %% | %s | - |" % (lg["completed"], lg["ended"],
                                          fmt(pct(frac, 1), " %"),
                                          verdict(None if frac is None else frac >= 0.99)))
    m = hay["mem"]
    per = m["mem_per_idle_conn_bytes"]
    L.append("| memory per established idle connection, bytes (at %s connections) | %s | - | - "
             "| - | - | <= 8192 | %s | - |" % (m["conns"], fmt(per),
                                              verdict(None if per is None else per <= 8192)))
    b = m.get("budget")
    if b:
        L.append("| connections one worker held within --worker-memory %s MiB (RSS growth per "
                 "connection, bytes) | %s (%s) | - | - | - | - | reported | %s | - |" % (
                     fmt(b["worker_memory_bytes"] / 2**20), fmt(b["conns_held_within_budget"]),
                     fmt(b.get("rss_growth_per_conn_bytes")),
                     verdict(b["conns_held_within_budget"] is not None)))
    tk = hay["tokens"]
    L += ["", "token-flood: %s Initials with valid Retry tokens sent (a pool of %s spoofed "
          "sources, tokens sealed by the bench with the server's key file), %s tokens "
          "validated by the server, %s connections made (--max-conns %s), %s refused after "
          "validation. The later Initials of an entry whose connection lives go to that "
          "connection (no token validated), so the pool is large against --max-conns."
          % (tk["sent"], a.token_pool, tk["tokens_valid"], tk["conns_made"], a.token_conns,
             tk["refused_full"]),
          "Idle connections: %s offered, %s held at the sample used; counted: the server's slot, "
          "quic_conn_mem_bytes() and stream buffers; not counted: TLS engine state and AEAD "
          "contexts (crypto/), and the slot array and CID table sized by --max-conns. At that "
          "size one worker's --max-conns %s connections need %s MiB." % (
              m["conns_offered"], m.get("accounted_small_conns", m["conns"]), m["max_conns"],
              fmt(m["mib_at_max_conns"]))]
    L += report_notes(lg, hay["mem"])
    L += rounds_section(a, rnd)
    L += ["## Floors (measured in this run%s)" % (", round 1" if len(rnd) > 1 else ""), "",
          "| figure | crypto floor | from | link floor | from | floor |", "|---|---|---|---|---|---|"]
    for k, v in lim.items():
        L.append("| %s | %s | %s | %s | %s | %s |" % (k, fmt(v["crypto"]), v["crypto_what"],
                                                      fmt(v["link"]), v["link_what"],
                                                      fmt(v["floor"])))
    L += ["", "The link floor is what hayabusa-bench's link-floor mode puts through the same "
          "net_memif port and cores (datagrams the port took: those it refused while the "
          "receiver's ring was full are not counted), to a UDP port the server does not serve: "
          "its dataplane receives, checksums and drops each before any QUIC work. The Retry "
          "floor is a request in and an answer out: the server's --echo-port answers each "
          "1200-byte datagram from its dataplane (no QUIC) with as many bytes as the flood's "
          "Retries carried, and the floor is the answers that came back. "
          "rr's floor is crypto only: lower than any real round trip.", ""]
    L += ["## Sweeps", ""] + sweep_table(a, hay, ng) + [""]
    L += ["## Plots", ""]
    if made:
        L += ["![%s](%s)" % (m, m) for m in made]
    else:
        L.append("Plots skipped: gnuplot (Debian gnuplot-nox) is not installed and could not "
                 "be installed.")
    L += ["", "## Checks", "",
          "- bulk transfers verified (0 failures, bytes = files x size): %s" % (
              "yes" if not bad else "NO: " + ", ".join(bad)), ""]
    with open(os.path.join(a.out, "REPORT.md"), "w") as f:
        f.write("\n".join(L))


def main():
    p = argparse.ArgumentParser()
    for o in ("tmp", "out", "json", "quick", "duration", "load", "load_end", "hs", "bulk",
              "rr", "gnuplot", "started", "idle_conns", "best"):
        p.add_argument("--" + o.replace("_", "-"), default="")
    p.add_argument("--bulk-file-size", type=int)
    p.add_argument("--packet-size", type=int)
    p.add_argument("--max-conns", type=int, default=0)
    p.add_argument("--token-pool", type=int, default=0)
    p.add_argument("--token-conns", type=int, default=0)
    p.add_argument("--rounds", type=int, default=1)
    a = p.parse_args()
    a.sfx = ""
    a.hs, a.bulk, a.rr = a.hs.split(), a.bulk.split(), a.rr.split()
    if a.best:
        # compare.sh's rounds: the hs point each side measures again.
        _, best = hs_runs(a, a.best)
        print(get(best, "config", "conns") or a.hs[-1])
        return 0
    cj = load(a.tmp, "crypto")
    cr = Crypto(cj)
    hay = side(a, "hay", "hay-flood")
    ng = side(a, "ng", "ng-flood")
    lim = floors(a, cr, hay)
    rnd = rounds(a, (hay, ng, lim))
    med = medians(rnd)
    lg = legit(a)
    bad = bulk_verified(a, (("hayabusa", hay), ("gtlsserver", ng)))
    made = plots(a, hay, ng)
    write_report(a, hay, ng, lim, lg, bad, made, get(cj, "machine", "cpu") or "unknown CPU",
                 rnd)
    keys = ("handshakes_per_s", "bulk_gbit_per_s", "retry_per_s", "rr_p99_us")
    # Throughput figures: the medians over the rounds, as in REPORT.md; rr from round 1.
    pick = lambda who, d: {k: med[k][who] if k in HEADLINE else d[k] for k in keys}
    hay_f, ng_f = pick("hayabusa", hay), pick("ngtcp2", ng)
    lim_f = pick("floor", {k: lim[k]["floor"] for k in keys})
    if a.json:
        doc = {"tool": "bench/compare.sh", "schema": 1, "quick": a.quick == "1",
               "hayabusa": hay_f, "ngtcp2": ng_f, "limits": lim_f,
               "rounds": rnd, "ratios": {k: {"pct_of_floor": med[k]["pct_of_floor"],
                                             "x_ngtcp2": med[k]["x_ngtcp2"]}
                                         for k in HEADLINE},
               "floors": lim,
               "headroom_pct": {"hayabusa": hay["headroom"], "ngtcp2": ng["headroom"]},
               "legit_during_flood": lg,
               "token_validate_per_s": {"hayabusa": med["token_validate_per_s"]["hayabusa"],
                                        "limit": med["token_validate_per_s"]["floor"],
                                        "run": hay["tokens"]},
               "mem_per_idle_conn_bytes": {"hayabusa": hay["mem_per_idle_conn_bytes"],
                                           "target": 8192, "run": hay["mem"]},
               "conns_within_worker_memory": hay["mem"].get("budget"),
               "checks": {"bulk_verified": not bad, "bulk_failed": bad},
               "plots": made, "load_avg": [a.load, a.load_end]}
        doc["hayabusa"]["legit_fraction"] = lg["fraction"]
        with open(a.json, "w") as f:
            json.dump(doc, f, indent=2)
    missing = [(s, k) for s, d in (("hayabusa", hay_f), ("ngtcp2", ng_f), ("limits", lim_f))
               for k in keys if d[k] is None]
    if lg["fraction"] is None:
        missing.append(("hayabusa", "legit_fraction"))
    for k in ("token_validate_per_s", "mem_per_idle_conn_bytes"):
        if hay[k] is None:
            missing.append(("hayabusa", k))
    for s, k in missing:
        print("missing figure: %s %s" % (s, k))
    return 1 if missing or bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
