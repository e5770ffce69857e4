#!/usr/bin/env python3
"""hostile: writes the hostile audit log of tests/integration/test_hostile_input.sh.

  hostile.py OUT KINDS
OUT gets one line per entry, KINDS the kind of each line, one per line: "good" (an anonymous
request from outside: it must alert, dedup anonymous_access_good/N), "bad:REGEX" (undecodable:
reported with its line and a reason matching REGEX), "long" (a valid anonymous event of 40 MB,
longer than the default max_line_bytes) or "odd:NAME" (decodable, with JSON types or numbers
no audit log has: the verdict is the engine's, it must only not crash or hang; "odd0:NAME" when
it must not alert). A good line follows every other one. Deterministic (fixed seed); standard library only.
"""
import json, random, sys
out, manifest = sys.argv[1], sys.argv[2]
rnd = random.Random(12345)
lines = []  # (kind, bytes): kind "good", "bad:<reason-re>", "long", "odd"
def event(aid, ua, **over):
    e = {"kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": "Metadata", "auditID": aid,
         "stage": "ResponseComplete", "requestURI": "/api/v1/namespaces/default/secrets",
         "verb": "list", "user": {"username": "system:anonymous", "groups": ["system:unauthenticated"]},
         "sourceIPs": ["203.0.113.7"], "userAgent": ua, "responseStatus": {"metadata": {}, "code": 403},
         "requestReceivedTimestamp": "2024-05-14T09:00:00.000000Z",
         "stageTimestamp": "2024-05-14T09:00:00.000500Z",
         "annotations": {"authorization.k8s.io/decision": "forbid", "authorization.k8s.io/reason": ""}}
    e.update(over)
    return e
def enc(e):
    return json.dumps(e, separators=(",", ":")).encode()
n = 0
def good():
    global n
    n += 1
    lines.append(("good", enc(event("good-%d" % n, "good/%d" % n))))
def add(kind, data):
    lines.append((kind, data))
    good()

good()
# undecodable: each must be reported with its line and a reason
rb = bytes(rnd.getrandbits(8) for _ in range(65536)).replace(b"\n", b" ")
add("bad:NUL|UTF-8|invalid JSON", rb)
add("bad:NUL", b'{"user":{"username":"system:anonymous"},\0"sourceIPs":["203.0.113.7"]}')
for name, seq in (("overlong", b"\xc0\xaf"), ("surrogate", b"\xed\xa0\x80"), ("cut", b"\xe2\x82"),
                  ("ff", b"\xff\xfe"), ("beyond-U+10FFFF", b"\xf4\x90\x80\x80")):
    add("bad:UTF-8", b'{"user":{"username":"system:anonymous"},"userAgent":"x' + seq + b'y"}')
add("bad:nested deeper", b'{"user":{"username":"system:anonymous"},"deep":' + b"[" * 300000 + b"]" * 300000 + b"}")
add("bad:nested deeper", b'{"a":' * 200000 + b"1" + b"}" * 200000)
add("bad:nested deeper|truncated", b"[" * 400000)
add("bad:lone|invalid JSON|surrogate", b'{"user":{"username":"system:anonymous"},"userAgent":"\\ud800"}')
# tens of megabytes: a valid anonymous event of 40 MB, longer than the default 16 MiB limit
big = event("long-1", "long/1", requestObject={"data": "a" * (40 << 20)})
add("long", enc(big))
# decodable, with the wrong JSON types where strings or lists are expected: never a crash; the
# verdict is the engine's (a string condition on a non-string is false)
odd = [
    ("username-number", event("odd-1", "odd/1", user={"username": 42})),
    ("username-object", event("odd-2", "odd/2", user={"username": {"name": "system:anonymous"}})),
    ("username-list", event("odd-3", "odd/3", user={"username": ["system:anonymous"]})),
    ("user-string", event("odd-4", "odd/4", user="system:anonymous")),
    ("sourceIPs-string", event("odd-5", "odd/5", sourceIPs="203.0.113.7")),
    ("sourceIPs-localhost-string", event("odd-6", "odd/6", sourceIPs="127.0.0.1")),
    ("sourceIPs-numbers", event("odd-7", "odd/7", sourceIPs=[1, 2.5, None, {"ip": "x"}])),
    ("userAgent-object", event("odd-8", {"ua": "odd/8"})),
    ("userAgent-number", event("odd-9", 9)),
    ("requestURI-number", event("odd-10", "odd/10", requestURI=10)),
    ("annotations-list", event("odd-11", "odd/11", annotations=["allow"])),
    ("annotations-string", event("odd-12", "odd/12", annotations="allow")),
    ("timestamp-number", event("odd-13", "odd/13", requestReceivedTimestamp=1715677200)),
    ("p_log_type-number", dict(event("odd-14", "odd/14"), p_log_type=42)),
    ("p_log_type-unknown", dict(event("odd-15", "odd/15"), p_log_type="No.Such.Type")),
    ("aks-log-not-json", {"p_log_type": "Azure.MonitorActivity", "category": "kube-audit",
                          "properties": {"log": "{not json"}}),
    ("aks-log-number", {"p_log_type": "Azure.MonitorActivity", "category": "kube-audit",
                        "properties": {"log": 5}}),
    ("gke-payload-string", {"p_log_type": "GCP.AuditLog", "protoPayload": "k8s.io"}),
    ("responseStatus-code-1e999", None),
    ("numbers-out-of-range", None),
    ("many-keys", None),
    ("duplicate-keys", None),
    ("huge-list", event("odd-23", "odd/23", sourceIPs=["203.0.113.%d" % (i % 250) for i in range(200000)])),
    ("escaped-nul", None),
]
for name, e in odd:
    if name == "responseStatus-code-1e999":
        data = enc(event("odd-19", "odd/19")).replace(b'"code":403', b'"code":1e999')
    elif name == "numbers-out-of-range":
        data = enc(event("odd-20", "odd/20")).replace(
            b'"code":403', b'"code":-0,"n":[1e999,-1e999,1e-400,-0.0,123456789012345678901234567890,' +
            b"9" * 5000 + b"]")
        data = data.replace(b'"requestReceivedTimestamp":"2024-05-14T09:00:00.000000Z"',
                            b'"requestReceivedTimestamp":"99999-99-99T99:99:99Z","p_event_time":"-0001-01-01T00:00:00Z"')
    elif name == "many-keys":
        e = event("odd-21", "odd/21")
        e["requestObject"] = {"k%d" % i: i for i in range(100000)}
        data = enc(e)
    elif name == "duplicate-keys":
        data = enc(event("odd-22", "odd/22"))[:-1] + b',"userAgent":"odd/22"' * 20000 + b"}"
    elif name == "escaped-nul":
        data = enc(event("odd-24", "odd/24")).replace(b'"username":"system:anonymous"',
                                                     b'"username":"system:anonymous\\u0000x"')
    else:
        data = enc(e)
    # a username that is not the string system:anonymous is never anonymous
    nomatch = name.startswith(("username-", "user-")) or name in ("escaped-nul", "p_log_type-unknown")
    add(("odd0:" if nomatch else "odd:") + name, data)
with open(out, "wb") as f:
    f.write(b"\n".join(d for _, d in lines) + b"\n")
with open(manifest, "w") as f:
    for k, _ in lines:
        f.write(k + "\n")
