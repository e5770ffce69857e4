#!/usr/bin/env python3
"""auditwriter: write native kube-apiserver audit events (audit.k8s.io/v1 Event, one JSON
object per line) to a log file the way kube-apiserver does, rotating it like lumberjack.

Used by the daemon's integration tests (tests/integration/test_run_*.sh). Standard library
only. Deterministic with --seed: the same arguments give the same bytes (auditIDs, users,
event times, backup names), whatever the rate.

Events
  Every line has a unique auditID and requestReceivedTimestamp = the event clock, which starts
  at --start and advances by --step-ms per line. A share (--anon-share) of the events are
  anonymous requests that the seed rule (Kubernetes.API.AnonymousAccess) must alert on:
  user.username "system:anonymous", a public source IP, a user agent from a small set (or
  --anon-agents), a URI such as /api/v1/secrets, decision allow or forbid. The others are
  what a control plane logs: service accounts, nodes, controllers, kubectl; --probe-share adds
  anonymous kube-probe health checks, which must not alert. Each anonymous auditID is
  appended to --anon-ids FILE (one per line, flushed) once its line is written.

Rotation (--rotate-lines N or --rotate-bytes N)
  lumberjack (default): before the write that would take the file past the limit, close
      audit.log, rename it to audit-YYYY-MM-DDTHH-MM-SS.mmm.log in the same directory (the
      time is the event clock, or the wall clock with --backup-clock wall, in UTC), create a
      new audit.log; then the "mill" (a background thread, --mill-delay seconds later) removes
      the oldest backups past --max-backups and, with --compress, gzips every plain backup to
      .log.gz and deletes the plain file, exactly in lumberjack's order.
  --copytruncate: copy audit.log to the backup name, then truncate audit.log in place (the
      writer keeps its O_APPEND descriptor, as logrotate's copytruncate leaves it).
  --delete-recreate: unlink audit.log and create a new one (no backup).
  --before-rotate CMD runs CMD (sh -c) before each rotation and waits for it, --after-rotate
  CMD after it (before the next line); their environment has AW_ROTATION (1, 2, ...), AW_LINES
  and AW_ANON (lines and anonymous lines written so far).

At the end one JSON line goes to stdout: lines, anonymous, probes, rotations, backups.
"""
import argparse
import datetime
import gzip
import json
import os
import queue
import random
import shutil
import subprocess
import sys
import threading
import time
import uuid

ANON_AGENTS = [
    "python-requests/2.31.0",
    "curl/8.4.0",
    "Go-http-client/1.1",
    "masscan/1.3 (https://github.com/robertdavidgraham/masscan)",
    "Mozilla/5.0 zgrab/0.x",
]
ANON_URIS = [
    ("/api/v1/secrets", "list", "secrets", None),
    ("/api/v1/namespaces/default/secrets", "list", "secrets", "default"),
    ("/api/v1/namespaces/kube-system/configmaps", "list", "configmaps", "kube-system"),
    ("/api/v1/pods", "list", "pods", None),
    ("/apis/apps/v1/deployments", "list", "deployments", None),
    ("/version", "get", None, None),
    ("/apis", "get", None, None),
    ("/api/v1/nodes", "list", "nodes", None),
]
# (username, groups, userAgent, sourceIP, verb, uri, resource, namespace, apiGroup)
ACTORS = [
    ("system:kube-controller-manager", ["system:authenticated"],
     "kube-controller-manager/v1.29.4 (linux/amd64) kubernetes/55019c8/leader-election",
     "192.168.56.10", "update",
     "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube-controller-manager?timeout=5s",
     "leases", "kube-system", "coordination.k8s.io"),
    ("system:kube-scheduler", ["system:authenticated"],
     "kube-scheduler/v1.29.4 (linux/amd64) kubernetes/55019c8/leader-election",
     "192.168.56.10", "update",
     "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube-scheduler?timeout=5s",
     "leases", "kube-system", "coordination.k8s.io"),
    ("system:node:cp-1", ["system:nodes", "system:authenticated"],
     "kubelet/v1.29.4 (linux/amd64) kubernetes/55019c8", "192.168.56.10", "update",
     "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/cp-1?timeout=10s",
     "leases", "kube-node-lease", "coordination.k8s.io"),
    ("system:node:worker-1", ["system:nodes", "system:authenticated"],
     "kubelet/v1.29.4 (linux/amd64) kubernetes/55019c8", "192.168.56.21", "get",
     "/api/v1/namespaces/default/configmaps/kube-root-ca.crt", "configmaps", "default", ""),
    ("system:serviceaccount:kube-system:coredns",
     ["system:serviceaccounts", "system:serviceaccounts:kube-system", "system:authenticated"],
     "coredns/v1.11.1", "10.244.0.3", "watch",
     "/api/v1/services?allowWatchBookmarks=true&watch=true", "services", None, ""),
    ("system:serviceaccount:kube-system:kube-proxy",
     ["system:serviceaccounts", "system:serviceaccounts:kube-system", "system:authenticated"],
     "kube-proxy/v1.29.4 (linux/amd64) kubernetes/55019c8", "192.168.56.21", "watch",
     "/apis/discovery.k8s.io/v1/endpointslices?watch=true", "endpointslices", None,
     "discovery.k8s.io"),
    ("system:serviceaccount:monitoring:prometheus",
     ["system:serviceaccounts", "system:serviceaccounts:monitoring", "system:authenticated"],
     "prometheus/2.51.2", "10.244.1.17", "list", "/api/v1/pods", "pods", None, ""),
    ("kubernetes-admin", ["kubeadm:cluster-admins", "system:authenticated"],
     "kubectl/v1.29.4 (linux/amd64) kubernetes/55019c8", "192.168.56.1", "get",
     "/api/v1/namespaces/default/pods?limit=500", "pods", "default", ""),
    ("kubernetes-admin", ["kubeadm:cluster-admins", "system:authenticated"],
     "kubectl/v1.29.4 (linux/amd64) kubernetes/55019c8", "192.168.56.1", "create",
     "/apis/apps/v1/namespaces/default/deployments?fieldManager=kubectl-client-side-apply",
     "deployments", "default", "apps"),
]
PROBE_URIS = ["/livez", "/readyz", "/healthz"]


def fmt_ts(us):
    dt = datetime.datetime(1970, 1, 1) + datetime.timedelta(microseconds=us)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + "%06dZ" % (us % 1000000)


def parse_ts(s):
    s = s.rstrip("Z")
    dt = datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S" + (".%f" if "." in s else ""))
    return (dt - datetime.datetime(1970, 1, 1)) // datetime.timedelta(microseconds=1)


def public_ip(rng):
    # public-looking: avoid private, shared, loopback, link-local, documentation, multicast
    while True:
        a = rng.randint(1, 223)
        if a in (10, 100, 127, 169, 172, 192, 198, 203):
            continue
        return "%d.%d.%d.%d" % (a, rng.randint(0, 255), rng.randint(0, 255), rng.randint(1, 254))


class Generator:
    def __init__(self, args):
        self.rng = random.Random(args.seed)
        self.clock = parse_ts(args.start)
        self.step = int(args.step_ms * 1000)
        self.anon_share = args.anon_share
        self.probe_share = args.probe_share
        self.agents = args.anon_agents.split(",") if args.anon_agents else ANON_AGENTS

    def uuid(self):
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def event(self):
        """One event: (line bytes, kind) with kind 'anon', 'probe' or 'other'."""
        rng = self.rng
        t = self.clock
        self.clock += self.step
        r = rng.random()
        ev = {"kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": "Metadata",
              "auditID": self.uuid(), "stage": "ResponseComplete"}
        if r < self.anon_share:
            kind = "anon"
            uri, verb, resource, ns = rng.choice(ANON_URIS)
            allow = uri in ("/version", "/apis") or rng.random() < 0.2
            ev.update({"requestURI": uri, "verb": verb,
                       "user": {"username": "system:anonymous",
                                "groups": ["system:unauthenticated"]},
                       "sourceIPs": [public_ip(rng)], "userAgent": rng.choice(self.agents)})
            if resource:
                ev["objectRef"] = {"resource": resource, "apiVersion": "v1"}
                if ns:
                    ev["objectRef"]["namespace"] = ns
            code = 200 if allow else 403
            ev["responseStatus"] = {"metadata": {}, "code": code}
            if not allow:
                ev["responseStatus"].update({"status": "Failure", "reason": "Forbidden"})
            ann = {"authorization.k8s.io/decision": "allow" if allow else "forbid",
                   "authorization.k8s.io/reason": ""}
        elif r < self.anon_share + self.probe_share:
            kind = "probe"
            ev.update({"requestURI": rng.choice(PROBE_URIS), "verb": "get",
                       "user": {"username": "system:anonymous",
                                "groups": ["system:unauthenticated"]},
                       "sourceIPs": ["192.168.56.10"], "userAgent": "kube-probe/1.29",
                       "responseStatus": {"metadata": {}, "code": 200}})
            ann = {"authorization.k8s.io/decision": "allow",
                   "authorization.k8s.io/reason": "RBAC: allowed by ClusterRoleBinding "
                   "\"system:public-info-viewer\" of ClusterRole \"system:public-info-viewer\" "
                   "to Group \"system:unauthenticated\""}
        else:
            kind = "other"
            user, groups, ua, ip, verb, uri, resource, ns, group = rng.choice(ACTORS)
            ev.update({"requestURI": uri, "verb": verb,
                       "user": {"username": user, "groups": groups},
                       "sourceIPs": [ip], "userAgent": ua})
            ref = {"resource": resource, "apiVersion": "v1"}
            if ns:
                ref["namespace"] = ns
            if group:
                ref["apiGroup"] = group
            ev["objectRef"] = ref
            ev["responseStatus"] = {"metadata": {}, "code": 201 if verb == "create" else 200}
            ann = {"authorization.k8s.io/decision": "allow",
                   "authorization.k8s.io/reason": "RBAC: allowed by ClusterRoleBinding"}
        ev["requestReceivedTimestamp"] = fmt_ts(t)
        ev["stageTimestamp"] = fmt_ts(t + rng.randint(300, 9000))
        ev["annotations"] = ann
        line = json.dumps(ev, separators=(",", ":")) + "\n"
        return line.encode(), kind, ev["auditID"], t


class Mill(threading.Thread):
    """lumberjack's millRunOnce, run after each rotation: remove the oldest backups past
    MaxBackups, then compress every plain backup (write .gz, then remove the plain file)."""

    def __init__(self, directory, base, max_backups, compress, delay):
        super().__init__(daemon=True)
        self.dir, self.base = directory, base
        self.prefix, self.ext = os.path.splitext(base)
        self.max_backups, self.compress, self.delay = max_backups, compress, delay
        self.q = queue.Queue()
        self.removed = 0
        self.compressed = 0
        self.error = None

    def backups(self):
        out = []
        for name in os.listdir(self.dir):
            stem = name[:-3] if name.endswith(".gz") else name
            if not (stem.startswith(self.prefix + "-") and stem.endswith(self.ext)):
                continue
            ts = stem[len(self.prefix) + 1:-len(self.ext)]
            try:
                datetime.datetime.strptime(ts, "%Y-%m-%dT%H-%M-%S.%f")
            except ValueError:
                continue
            out.append((ts, name))
        out.sort(reverse=True)  # newest first, as lumberjack's byFormatTime
        return [n for _, n in out]

    def run_once(self):
        files = self.backups()
        remaining = files
        if self.max_backups > 0 and self.max_backups < len(files):
            preserved, remaining, remove = set(), [], []
            for f in files:
                fn = f[:-3] if f.endswith(".gz") else f
                preserved.add(fn)
                if len(preserved) > self.max_backups:
                    remove.append(f)
                else:
                    remaining.append(f)
            for f in remove:
                try:
                    os.remove(os.path.join(self.dir, f))
                    self.removed += 1
                except FileNotFoundError:
                    pass
        if self.compress:
            for f in remaining:
                if f.endswith(".gz"):
                    continue
                src = os.path.join(self.dir, f)
                try:
                    with open(src, "rb") as fi, open(src + ".gz", "wb") as raw:
                        with gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz:
                            shutil.copyfileobj(fi, gz, 1 << 16)
                        raw.flush()
                    os.remove(src)
                    self.compressed += 1
                except FileNotFoundError:
                    pass

    def run(self):
        while True:
            item = self.q.get()
            if item is None:
                self.q.task_done()
                return
            if self.delay:
                time.sleep(self.delay)
            try:
                self.run_once()
            except Exception as e:  # keep going, report at the end
                self.error = repr(e)
            self.q.task_done()


class Writer:
    def __init__(self, args):
        self.args = args
        self.path = os.path.abspath(args.path)
        self.dir = os.path.dirname(self.path)
        self.base = os.path.basename(self.path)
        self.prefix, self.ext = os.path.splitext(self.base)
        self.gen = Generator(args)
        self.fd = None
        self.lines_in_file = 0
        self.bytes_in_file = 0
        self.lines = self.anon = self.probes = self.rotations = 0
        self.backups = []
        self.last_backup_ms = None
        self.anon_ids = open(args.anon_ids, "a") if args.anon_ids else None
        self.mill = None
        if args.mode == "lumberjack" and (args.compress or args.max_backups):
            self.mill = Mill(self.dir, self.base, args.max_backups, args.compress,
                             args.mill_delay)
            self.mill.start()

    def open(self, new):
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC
        if new:
            flags |= os.O_TRUNC
        self.fd = os.open(self.path, flags, 0o644)
        st = os.fstat(self.fd)
        self.bytes_in_file = st.st_size
        self.lines_in_file = 0
        if st.st_size:
            with open(self.path, "rb") as f:
                self.lines_in_file = sum(1 for _ in f)

    def backup_name(self, event_us):
        if self.args.backup_clock == "wall":
            ms = int(time.time() * 1000)
        else:
            ms = event_us // 1000
        if self.last_backup_ms is not None and ms <= self.last_backup_ms:
            ms = self.last_backup_ms + 1  # names must not collide
        while True:
            dt = datetime.datetime(1970, 1, 1) + datetime.timedelta(milliseconds=ms)
            name = "%s-%s.%03d%s" % (self.prefix, dt.strftime("%Y-%m-%dT%H-%M-%S"), ms % 1000,
                                     self.ext)
            p = os.path.join(self.dir, name)
            if not os.path.exists(p) and not os.path.exists(p + ".gz"):
                break
            ms += 1
        self.last_backup_ms = ms
        return p

    def hook(self, cmd, rotation):
        env = dict(os.environ, AW_ROTATION=str(rotation), AW_LINES=str(self.lines),
                   AW_ANON=str(self.anon))
        subprocess.run(cmd, shell=True, env=env, check=False)

    def rotate(self, event_us):
        a = self.args
        if a.before_rotate:
            self.hook(a.before_rotate, self.rotations + 1)
        self.rotations += 1
        if a.mode == "lumberjack":
            os.close(self.fd)
            dst = self.backup_name(event_us)
            os.rename(self.path, dst)
            self.backups.append(os.path.basename(dst))
            self.open(new=True)
            if self.mill:
                self.mill.q.put(1)
        elif a.mode == "copytruncate":
            dst = self.backup_name(event_us)
            shutil.copyfile(self.path, dst)
            self.backups.append(os.path.basename(dst))
            os.ftruncate(self.fd, 0)
            self.bytes_in_file = self.lines_in_file = 0
        else:  # delete-recreate
            os.close(self.fd)
            os.unlink(self.path)
            self.open(new=True)
        if a.after_rotate:
            self.hook(a.after_rotate, self.rotations)

    def write_all(self, data):
        view = memoryview(data)
        while view:
            n = os.write(self.fd, view)
            view = view[n:]

    def run(self):
        a = self.args
        os.makedirs(self.dir, exist_ok=True)
        self.open(new=not a.append)
        t0 = time.monotonic()
        for i in range(a.lines):
            line, kind, aid, ts = self.gen.event()
            if (a.rotate_lines and self.lines_in_file >= a.rotate_lines) or \
                    (a.rotate_bytes and self.bytes_in_file and
                     self.bytes_in_file + len(line) > a.rotate_bytes):
                self.rotate(ts)
            if a.rate > 0:
                due = t0 + i / a.rate
                now = time.monotonic()
                if due > now:
                    time.sleep(due - now)
            self.write_all(line)
            self.lines += 1
            self.lines_in_file += 1
            self.bytes_in_file += len(line)
            if kind == "anon":
                self.anon += 1
                if self.anon_ids:
                    self.anon_ids.write(aid + "\n")
                    self.anon_ids.flush()
            elif kind == "probe":
                self.probes += 1
        os.close(self.fd)
        if self.mill:
            self.mill.q.put(None)
            self.mill.join()
        if self.anon_ids:
            self.anon_ids.close()
        out = {"lines": self.lines, "anonymous": self.anon, "probes": self.probes,
               "rotations": self.rotations, "backups": self.backups,
               "last_event_time": fmt_ts(self.gen.clock - self.gen.step)}
        if self.mill:
            out.update({"compressed": self.mill.compressed, "removed": self.mill.removed})
            if self.mill.error:
                out["mill_error"] = self.mill.error
        print(json.dumps(out), flush=True)
        return 0


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("path", help="the log file (e.g. DIR/audit.log)")
    p.add_argument("--lines", type=int, default=1000, help="events to write (default 1000)")
    p.add_argument("--rate", type=float, default=0,
                   help="lines per second; 0 (default) is as fast as possible")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--anon-share", type=float, default=0.05,
                   help="share of anonymous requests that must alert (default 0.05)")
    p.add_argument("--probe-share", type=float, default=0.0,
                   help="share of anonymous kube-probe health checks (never alert)")
    p.add_argument("--anon-agents", default="",
                   help="comma-separated user agents of the anonymous requests")
    p.add_argument("--anon-ids", help="append every anonymous auditID to this file")
    p.add_argument("--start", default="2024-05-14T09:00:00.000000Z",
                   help="event clock of the first line (UTC)")
    p.add_argument("--step-ms", type=float, default=10, help="event clock step per line")
    p.add_argument("--append", action="store_true",
                   help="append to an existing file instead of starting it empty")
    p.add_argument("--rotate-lines", type=int, default=0,
                   help="rotate when the file has this many lines")
    p.add_argument("--rotate-bytes", type=int, default=0,
                   help="rotate before a write that takes the file past this size")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--copytruncate", dest="mode", action="store_const", const="copytruncate")
    mode.add_argument("--delete-recreate", dest="mode", action="store_const",
                      const="delete-recreate")
    p.set_defaults(mode="lumberjack")
    p.add_argument("--compress", action="store_true", help="gzip backups (lumberjack mode)")
    p.add_argument("--max-backups", type=int, default=0,
                   help="keep at most this many backups (lumberjack mode; 0 keeps all)")
    p.add_argument("--mill-delay", type=float, default=0.0,
                   help="seconds between a rotation and the mill's work (default 0)")
    p.add_argument("--backup-clock", choices=["event", "wall"], default="event",
                   help="the time in backup names (default: the event clock)")
    p.add_argument("--before-rotate", metavar="CMD",
                   help="run CMD (sh -c) before each rotation and wait for it")
    p.add_argument("--after-rotate", metavar="CMD",
                   help="run CMD (sh -c) after each rotation, before the next line, and wait")
    args = p.parse_args()
    if args.lines < 0 or args.rate < 0 or not 0 <= args.anon_share + args.probe_share <= 1:
        p.error("bad --lines, --rate or shares")
    if (args.compress or args.max_backups) and args.mode != "lumberjack":
        p.error("--compress and --max-backups belong to lumberjack rotation")
    return Writer(args).run()


if __name__ == "__main__":
    sys.exit(main())
