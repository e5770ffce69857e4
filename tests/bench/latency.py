#!/usr/bin/env python3
"""latency: the daemon benchmarks' helpers (tests/bench/run.sh). Standard library only.

  latency.py write LOG --rate R --seconds S
      Append anonymous audit events (the seed rule alerts on each: one alert, then update
      records) to LOG at a steady R lines/s for S seconds. Each line's auditID is
      "bench-<ns>": the wall clock (CLOCK_REALTIME, ns) read just before its write(2).
  latency.py replay LOG --from FILE --rate R --seconds S
      Append FILE's lines to LOG at R lines/s (batches every 10 ms), for the CPU figures.
  latency.py watch OUT --expect N --timeout S
      Follow the alert file OUT from its end (inotify, else polling every millisecond); for each
      new record whose audit_id is bench-<ns>, the time its complete line became readable
      minus ns.
      Prints {"n","p50_ms","p99_ms","max_ms"} when N records arrived or S seconds passed.
  latency.py collector COLLECTOR_LOG [--skip N]
      The same from tests/integration/collector.py's log (after its first N lines): a record's
      arrival is the time the collector had read the request holding it ("t_received").
  latency.py cpu PID SECONDS
      CPU time PID used (user + system, from /proc/PID/schedstat, else /proc/PID/stat) during
      the next SECONDS of wall time, as {"cpu_s","wall_s","pct_core"}.

What the latency includes: the agent's inotify wake-up, read, decode, rule evaluation, dedup,
the record's formatting and write (file output; the line is visible before its fsync ends) or
its spooling (fsync'd), batching (max_delay_ms) and the HTTPS request (https output), plus the
reader's own wake-up (tens of microseconds). Writer, agent and reader share this machine's
clock, so no clock offset enters.
"""
import ctypes
import json
import math
import os
import select
import sys
import time

ANON = ('{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"bench-%d",'
        '"stage":"ResponseComplete","requestURI":"/api/v1/secrets","verb":"list","user":'
        '{"username":"system:anonymous","groups":["system:unauthenticated"]},"sourceIPs":'
        '["198.51.100.23"],"userAgent":"bench-scanner/1.0","objectRef":{"resource":"secrets",'
        '"apiVersion":"v1"},"responseStatus":{"metadata":{},"code":403},'
        '"requestReceivedTimestamp":"%s","stageTimestamp":"%s","annotations":'
        '{"authorization.k8s.io/decision":"forbid","authorization.k8s.io/reason":""}}\n')


def iso(ns):
    s, frac = divmod(ns, 10**9)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(s)) + ".%06dZ" % (frac // 1000)


def pace(rate, seconds, emit, batch_s=0.0):
    """Call emit(i) for i = 0.. at a steady rate (or emit(i, n) every batch_s seconds)."""
    t0 = time.monotonic()
    total = int(rate * seconds)
    i = 0
    while i < total:
        if batch_s:
            due = int((time.monotonic() - t0) * rate) + 1
            n = min(due, total) - i
            if n > 0:
                emit(i, n)
                i += n
            time.sleep(batch_s)
            continue
        target = t0 + i / rate
        d = target - time.monotonic()
        if d > 0:
            time.sleep(d)
        emit(i)
        i += 1
    return total


def cmd_write(log, rate, seconds):
    fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def emit(i):
        ns = time.time_ns()
        ts = iso(ns)
        os.write(fd, (ANON % (ns, ts, ts)).encode())

    n = pace(rate, seconds, emit)
    os.close(fd)
    print(json.dumps({"written": n}))


def cmd_replay(log, src, rate, seconds):
    need = int(rate * seconds)
    lines = []
    with open(src, "rb") as f:
        for line in f:
            lines.append(line)
            if len(lines) >= need:
                break
    fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def emit(i, n):
        os.write(fd, b"".join(lines[(i + k) % len(lines)] for k in range(n)))

    n = pace(rate, seconds, emit, batch_s=0.01)
    os.close(fd)
    print(json.dumps({"written": n}))


def percentiles(lat):
    lat = sorted(lat)
    if not lat:
        return {"n": 0, "p50_ms": None, "p99_ms": None, "max_ms": None}

    def rank(p):  # nearest rank
        k = max(0, min(len(lat) - 1, math.ceil(p / 100.0 * len(lat)) - 1))
        return round(lat[k] / 1e6, 2)

    return {"n": len(lat), "p50_ms": rank(50), "p99_ms": rank(99), "max_ms": round(lat[-1] / 1e6, 2)}


def stamp_of(rec):
    aid = rec.get("audit_id", "") if isinstance(rec, dict) else ""
    if aid.startswith("bench-"):
        try:
            return int(aid[6:])
        except ValueError:
            return None
    return None


def cmd_watch(out, expect, timeout):
    deadline = time.monotonic() + timeout
    while not os.path.exists(out) and time.monotonic() < deadline:
        time.sleep(0.001)
    f = open(out, "rb")
    f.seek(0, os.SEEK_END)  # only what is written from now on
    libc = ctypes.CDLL(None, use_errno=True)
    ifd = -1
    try:
        ifd = libc.inotify_init1(os.O_NONBLOCK)
        if ifd >= 0 and libc.inotify_add_watch(ifd, out.encode(), 0x2) < 0:  # IN_MODIFY
            os.close(ifd)
            ifd = -1
    except AttributeError:
        ifd = -1
    poller = select.poll()
    if ifd >= 0:
        poller.register(ifd, select.POLLIN)
    lat, buf = [], b""
    while len(lat) < expect and time.monotonic() < deadline:
        if ifd >= 0:
            if poller.poll(100):
                try:
                    os.read(ifd, 65536)
                except BlockingIOError:
                    pass
        else:
            time.sleep(0.001)
        chunk = f.read()
        if not chunk:
            continue
        now = time.time_ns()
        buf += chunk
        *whole, buf = buf.split(b"\n")
        for line in whole:
            try:
                ns = stamp_of(json.loads(line))
            except ValueError:
                continue
            if ns:
                lat.append(now - ns)
    r = percentiles(lat)
    r["inotify"] = ifd >= 0
    print(json.dumps(r))


def cmd_collector(log, skip):
    lat = []
    with open(log) as f:
        for k, line in enumerate(f):
            if k < skip:
                continue
            try:
                ev = json.loads(line)
            except ValueError:
                continue
            if ev.get("event") != "request" or not ev.get("body"):
                continue
            t = int(ev["t_received"] * 1e9)
            for rec in ev["body"].splitlines():
                try:
                    ns = stamp_of(json.loads(rec))
                except ValueError:
                    continue
                if ns:
                    lat.append(t - ns)
    print(json.dumps(percentiles(lat)))


def cpu_ns(pid):
    try:
        with open("/proc/%d/schedstat" % pid) as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        ticks = int(fields[11]) + int(fields[12])  # utime, stime
        return ticks * 10**9 // os.sysconf("SC_CLK_TCK")


def cmd_cpu(pid, seconds):
    c0, t0 = cpu_ns(pid), time.monotonic()
    time.sleep(seconds)
    c1, t1 = cpu_ns(pid), time.monotonic()
    cpu, wall = (c1 - c0) / 1e9, t1 - t0
    print(json.dumps({"cpu_s": round(cpu, 4), "wall_s": round(wall, 3),
                      "pct_core": round(100.0 * cpu / wall, 3)}))


def main():
    a = sys.argv[1:]

    def opt(name, default=None):
        return a[a.index(name) + 1] if name in a else default

    if not a:
        sys.exit(__doc__)
    if a[0] == "write":
        cmd_write(a[1], float(opt("--rate")), float(opt("--seconds")))
    elif a[0] == "replay":
        cmd_replay(a[1], opt("--from"), float(opt("--rate")), float(opt("--seconds")))
    elif a[0] == "watch":
        cmd_watch(a[1], int(opt("--expect")), float(opt("--timeout")))
    elif a[0] == "collector":
        cmd_collector(a[1], int(opt("--skip", "0")))
    elif a[0] == "cpu":
        cmd_cpu(int(a[1]), float(a[2]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
