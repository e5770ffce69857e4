#!/usr/bin/env python3
"""prefilter_corpus: a seeded random corpus of audit lines for tests/integration/test_prefilter.sh,
made to catch an unsound prefilter: the same `eval` output with the prefilter on and off.

  prefilter_corpus.py [--seed S] [--lines N] > corpus.jsonl

Deterministic for a seed. Every line is a JSON object in one of the four log shapes (native
without p_log_type, Kubernetes.Audit and Amazon.EKS.Audit with it, AKS with the Event as a JSON
string in properties.log, GKE), written by its own serializer that escapes characters the way a
JSON writer may: any character as \\uXXXX (either hex case, surrogate pairs beyond the BMP), '/'
as \\/, quotes and backslashes, in keys as well as values, and again inside the AKS string (so a
\\u escape there is doubly escaped). Usernames are system:anonymous, near misses
(system:anonymou, System:Anonymous, a trailing space, a Cyrillic o), ordinary users, Unicode,
other JSON types, or absent; the literal also turns up in other fields; keys are duplicated;
objects nest deeply; event times vary across hours or are missing. A few lines that hold the
literal are malformed (they are decoded, and fail, with the prefilter on and off alike).
"""
import argparse
import random
import sys

LIT = "system:anonymous"


class Obj:
    """A JSON object as an ordered list of pairs (keys may repeat)."""

    def __init__(self, *pairs):
        self.pairs = list(pairs)

    def add(self, k, v):
        self.pairs.append((k, v))
        return self


class Writer:
    def __init__(self, rng, p_escape):
        self.rng = rng
        self.p = p_escape

    def u(self, cp):
        hexs = "%04x" % cp
        if self.rng.random() < 0.5:
            hexs = hexs.upper()
        return "\\u" + hexs

    def string(self, s):
        out = ['"']
        for ch in s:
            cp = ord(ch)
            r = self.rng.random()
            if ch == '"':
                out.append('\\"' if r > self.p else self.u(cp))
            elif ch == "\\":
                out.append("\\\\" if r > self.p else self.u(cp))
            elif cp < 0x20:
                short = {8: "\\b", 9: "\\t", 10: "\\n", 12: "\\f", 13: "\\r"}.get(cp)
                out.append(short if short and r < 0.5 else self.u(cp))
            elif ch == "/" and r < self.p * 2:
                out.append("\\/")
            elif r < self.p:
                if cp > 0xFFFF:
                    v = cp - 0x10000
                    out.append(self.u(0xD800 + (v >> 10)) + self.u(0xDC00 + (v & 0x3FF)))
                else:
                    out.append(self.u(cp))
            else:
                out.append(ch)
        out.append('"')
        return "".join(out)

    def value(self, v):
        if isinstance(v, Obj):
            return "{" + ",".join(self.string(k) + ":" + self.value(x) for k, x in v.pairs) + "}"
        if isinstance(v, list):
            return "[" + ",".join(self.value(x) for x in v) + "]"
        if isinstance(v, str):
            return self.string(v)
        if v is True:
            return "true"
        if v is False:
            return "false"
        if v is None:
            return "null"
        return repr(v)


class Corpus:
    def __init__(self, seed):
        self.rng = random.Random(seed)

    def pick(self, seq):
        return seq[int(self.rng.random() * len(seq))]

    def username(self):
        r = self.rng.random()
        if r < 0.35:
            return LIT
        if r < 0.55:
            return self.pick(["system:anonymou", "System:Anonymous", "system:anonymous ",
                              " system:anonymous", "system:anonymouS", "system:an\u043enymous",
                              "system:anonymous\u00e9", "system/anonymous", "system::anonymous",
                              "system:unauthenticated", "xsystem:anonymous"])
        if r < 0.75:
            return self.pick(["system:node:ip-10-0-1-7", "system:kube-scheduler", "alice@example.com",
                              "system:serviceaccount:kube-system:coredns", "kubernetes-admin"])
        if r < 0.85:
            return self.pick(["\u00e9lodie", "\u7528\u6237", "bob \U0001F600", "\u00fcser/\u00e4"])
        return self.pick([None, 42, True, ["system:anonymous"], Obj(("name", LIT)), "", "absent"])

    def agent(self):
        return self.pick(["curl/8.4.0", "kube-probe/1.29", "GoogleHC/1.0", "ELB-HealthChecker/2.0",
                          "kubectl/v1.29.2 (linux/amd64) kubernetes/4b8e819", LIT,
                          "Mozilla/5.0 zgrab/0.x", "masscan/1.3", "", None, "caf\u00e9-bot/\u03b1"])

    def ips(self):
        r = self.rng.random()
        if r < 0.15:
            return ["127.0.0.1"]
        if r < 0.25:
            return ["10.0.%d.%d" % (self.rng.randrange(3), self.rng.randrange(250))]
        if r < 0.3:
            return ["127.0.0.1", "203.0.113.9"]
        if r < 0.35:
            return []
        return ["%d.%d.%d.%d" % (self.pick([203, 198, 45, 10]), self.rng.randrange(256),
                                 self.rng.randrange(256), self.rng.randrange(1, 255))]

    def uri(self):
        return self.pick(["/healthz", "/readyz?verbose", "/livez", "/apis/healthz", "/version",
                          "/api", "/api/v1/secrets", "/api/v1/namespaces/default/pods?limit=500&watch=true",
                          "/apis/apps/v1/deployments", "/healthzfoo", "/.env", "/api?user=" + LIT, ""])

    def time(self):
        r = self.rng.random()
        h, m, s = self.rng.randrange(0, 6), self.rng.randrange(60), self.rng.randrange(60)
        if r < 0.85:
            return "2024-05-14T%02d:%02d:%02d.%06dZ" % (h, m, s, self.rng.randrange(10**6))
        if r < 0.95:
            return "2024-05-14 %02d:%02d:%02d.%03d" % (h, m, s, self.rng.randrange(1000))
        return None

    def deep(self, depth):
        v = LIT if self.rng.random() < 0.3 else "leaf"
        for _ in range(depth):
            v = Obj(("n", v)) if self.rng.random() < 0.5 else [v]
        return v

    def native(self):
        ev = Obj(("kind", "Event"), ("apiVersion", "audit.k8s.io/v1"),
                 ("auditID", "%032x" % self.rng.getrandbits(128)))
        user = self.username()
        if user != "absent":
            ev.add("user", Obj(("username", user), ("groups", ["system:unauthenticated"])))
        if self.rng.random() < 0.05:  # duplicated key: the last one counts
            ev.add("user", Obj(("username", self.username())))
        ev.add("sourceIPs", self.ips())
        a = self.agent()
        if a is not None:
            ev.add("userAgent", a)
        ev.add("requestURI", self.uri())
        ev.add("verb", self.pick(["get", "list", "watch"]))
        ev.add("annotations", Obj(("authorization.k8s.io/decision", self.pick(["allow", "forbid"])),
                                  ("authorization.k8s.io/reason",
                                   self.pick(["", 'RBAC: allowed by ClusterRoleBinding "system:public-info-viewer"',
                                              "group " + LIT]))))
        ev.add("responseStatus", Obj(("code", self.pick([200, 401, 403]))))
        t = self.time()
        if t:
            ev.add("requestReceivedTimestamp", t)
        if self.rng.random() < 0.05:
            ev.add("requestObject", self.deep(self.rng.randrange(1, 200)))
        if self.rng.random() < 0.05:
            ev.add("p_event_time", self.time() or "not a time")
        return ev

    def tricky_aks(self):
        """An AKS line whose inner Event spells one character of the literal as a \\u escape,
        and whose outer string then escapes that escape's backslash, 'u' or a hex digit with
        \\u escapes of characters the literal lacks: only the double decoding spells it."""
        i = self.rng.randrange(len(LIT))
        esc = "\\u%04x" % ord(LIT[i])
        inner_user = LIT[:i] + esc + LIT[i + 1:]
        inner = ('{"kind":"Event","user":{"username":"%s"},"sourceIPs":["%s"],"userAgent":"%s",'
                 '"requestURI":"%s","requestReceivedTimestamp":"%s","annotations":'
                 '{"authorization.k8s.io/decision":"forbid"}}'
                 % (inner_user, self.pick(["203.0.113.7", "198.51.100.1", "127.0.0.1"]),
                    self.pick(["curl/8.4.0", "masscan/1.3", "python-requests/2.31"]),
                    self.pick(["/api", "/api/v1/secrets", "/version"]), self.time() or ""))
        out = []
        k = 0
        while k < len(inner):
            ch = inner[k]
            if inner.startswith(esc, k):  # the inner escape, written by the outer string
                how = self.pick(["bs", "u", "hex", "plain"])
                bs = "\\u005c" if how == "bs" else "\\\\"
                u = "\\u0075" if how == "u" else "u"
                hexd = list(esc[2:])
                if how == "hex":
                    j = self.rng.randrange(4)
                    hexd[j] = "\\u%04x" % ord(hexd[j])
                out.append(bs + u + "".join(hexd))
                k += len(esc)
                continue
            out.append('\\"' if ch == '"' else ch)
            k += 1
        return ('{"category":"kube-audit","properties":{"log":"%s"},'
                '"p_log_type":"Azure.MonitorActivity"}' % "".join(out))

    def line(self, w):
        r = self.rng.random()
        if r < 0.05:
            return self.tricky_aks()
        if r < 0.3:
            return w.value(self.native())
        if r < 0.5:
            ev = self.native()
            ev.pairs.insert(self.rng.randrange(len(ev.pairs) + 1),
                            ("p_log_type", self.pick(["Kubernetes.Audit", "Amazon.EKS.Audit",
                                                      "Custom.Audit"])))
            return w.value(ev)
        if r < 0.7:  # AKS: the Event as a JSON string, escaped by its own writer first
            inner = Writer(self.rng, w.p).value(self.native())
            if self.rng.random() < 0.1:
                inner = inner[: self.rng.randrange(1, len(inner))]  # a cut inner Event
            ev = Obj(("category", self.pick(["kube-audit", "kube-audit-admin", "guard"])),
                     ("operationName", "Microsoft.ContainerService/managedClusters/diagnosticLogs/Read"),
                     ("properties", Obj(("log", inner), ("stream", "stdout"))),
                     ("p_log_type", "Azure.MonitorActivity"))
            t = self.time()
            if t:
                ev.add("time", t)
            return w.value(ev)
        if r < 0.9:  # GKE
            auth = Obj()
            key = self.pick(["principalEmail", "principalSubject", "authoritySelector"])
            u = self.username()
            if u != "absent":
                auth.add(key, u)
            md = Obj((self.pick(["callerIp", "callerIP"]), self.pick(["203.0.113.7", "127.0.0.1", "10.0.0.9"])))
            a = self.agent()
            if a is not None:
                md.add("callerSuppliedUserAgent", a)
            pp = Obj(("authenticationInfo", auth), ("requestMetadata", md),
                     ("serviceName", self.pick(["k8s.io", "k8s.io", "compute.googleapis.com"])),
                     ("methodName", self.pick(["io.k8s.core.v1.secrets.list", "io.k8s.get"])),
                     ("resourceName", self.pick(["core/v1/namespaces/default/secrets", "version",
                                                 "healthz", "core/v1/namespaces/kube-system/pods/" + LIT])),
                     ("status", Obj(("code", self.pick([0, 7, 16])))))
            ev = Obj(("protoPayload", pp), ("p_log_type", "GCP.AuditLog"),
                     ("labels", Obj(("authorization.k8s.io/decision", self.pick(["allow", "forbid"])))))
            t = self.time()
            if t:
                ev.add("timestamp", t)
            return w.value(ev)
        # a malformed line that holds the literal: decoded (and refused) either way
        text = w.value(self.native())
        if LIT not in text:
            text = text[:-1] + ',"x":"' + LIT + '"}'
        cut = self.pick(["trunc", "trail", "bad"])
        if cut == "trunc":
            return text[: self.rng.randrange(text.index(LIT) + len(LIT), len(text))]
        if cut == "trail":
            return text + " x"
        return text.replace(":", "::", 1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--lines", type=int, default=20000)
    a = ap.parse_args()
    c = Corpus(a.seed)
    out = []
    for _ in range(a.lines):
        w = Writer(c.rng, c.pick([0.0, 0.0, 0.02, 0.1, 0.5]))
        out.append(c.line(w))
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
