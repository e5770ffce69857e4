#!/usr/bin/env bash
# Seed corpora for the fuzzers: tests/fuzz/seeds.sh DIR ROOT SHARED writes DIR/TARGET/* from
# the tree (the example audit log, the shipped rules and data models, the committed seeds
# under tests/fuzz/seeds/) and from SHARED/conformance (real EKS, AKS and GKE events), and
# builds small ELF files (synthetic Go build info and pclntab layouts, a C program with DWARF
# renamed to look like Go's net/http types). Regenerated each run; nothing here is committed.
set -u
dir=${1:?usage: seeds.sh DIR ROOT SHARED}
root=${2:?}
shared=${3:-$root/../shared}
rm -rf "$dir"
mkdir -p "$dir"/{fuzz_engine,fuzz_rule,fuzz_config,fuzz_goelf,fuzz_dwarf,fuzz_spool,fuzz_state,fuzz_request}

# one file per line
lines() { # FILE PREFIX TARGET
	awk -v d="$dir/$3" -v p="$2" '{ f = sprintf("%s/%s-%04d", d, p, NR); printf "%s", $0 > f; close(f) }' "$1"
}
lines "$root/examples/audit.log" example fuzz_engine
[ -r "$shared/conformance/corpus.jsonl" ] && lines "$shared/conformance/corpus.jsonl" conformance fuzz_engine
cp "$root"/rules/*.yml "$root"/rules/data_models/*.yml "$dir/fuzz_rule/"
for t in fuzz_engine fuzz_rule fuzz_config fuzz_state fuzz_spool; do
	[ -d "$root/tests/fuzz/seeds/$t" ] && cp "$root/tests/fuzz/seeds/$t"/* "$dir/$t/" 2>/dev/null
done

# a few hostile lines the fuzzer would take long to build itself
{
	printf '{"user":{"username":"system:anonymous"},"deep":'
	head -c 1200 /dev/zero | tr '\0' '['
	head -c 1200 /dev/zero | tr '\0' ']'
	printf '}'
} >"$dir/fuzz_engine/hostile-deep"
printf '{"user":{"username":"system:anonymous"},"sourceIPs":"203.0.113.7","userAgent":7,"requestURI":{"a":1}}' \
	>"$dir/fuzz_engine/hostile-types"
printf '{"user":{"username":"system:anonymous"},"sourceIPs":["203.0.113.7"],"n":[1e999,-0,123456789012345678901234567890,-1e999],"requestURI":"/api"}' \
	>"$dir/fuzz_engine/hostile-numbers"
printf '{"user":{"username":"system\\u003aanonymous"},"sourceIPs":["203.0.113.7"],"requestURI":"/a\\u0000b","userAgent":"\\ud800"}' \
	>"$dir/fuzz_engine/hostile-escapes"

# ELF files, spool directories and state files are binary or structured: python builds them
SEEDS_DIR=$dir python3 - <<'PY'
import json, os, struct, subprocess, tempfile, zlib

D = os.environ["SEEDS_DIR"]

def put(target, name, data):
    with open(os.path.join(D, target, name), "wb") as f:
        f.write(data)

# --- synthetic Go executables (the layouts tests/unit/test_goelf.c pins down) ---------------
VADDR, TEXT_OFF, TEXT_LEN = 0x400000, 0x200, 0x100
NAMES = b"\0.shstrtab\0.text\0.gopclntab\0.go.buildinfo\0.symtab\0.strtab\0"

def shdr(name, typ, flags, addr, off, size, link=0, entsize=0):
    return struct.pack("<IIQQQQIIQQ", name, typ, flags, addr, off, size, link, 0, 1, entsize)

def elf(pcln=None, bi=None, syms=None):
    data = bytearray(0x1000)
    data[0x100:0x100 + len(NAMES)] = NAMES
    sh = [bytes(64), shdr(1, 3, 0, 0, 0x100, len(NAMES))]
    data[TEXT_OFF:TEXT_OFF + TEXT_LEN] = b"\xcc" * TEXT_LEN
    sh.append(shdr(11, 1, 6, VADDR + TEXT_OFF, TEXT_OFF, TEXT_LEN))
    off = TEXT_OFF + TEXT_LEN
    def add(name, blob, typ=1, link=0, entsize=0, flags=2):
        nonlocal off
        data[off:off + len(blob)] = blob
        sh.append(shdr(name, typ, flags, VADDR + off, off, len(blob), link, entsize))
        off = (off + len(blob) + 15) & ~15
    if pcln is not None:
        add(17, pcln)
    if bi is not None:
        add(28, bi)
    if syms is not None:
        names, tab = b"\0", bytes(24)
        for n, value in syms:
            tab += struct.pack("<IBBHQQ", len(names), 0x12, 0, 2, value, 16)
            names += n + b"\0"
        strndx = len(sh) + 1
        add(42, tab, typ=2, link=strndx, entsize=24, flags=0)
        add(50, names, typ=3, flags=0)
    shoff = off
    del data[off:]
    for s in sh:
        data += s
    eh = struct.pack("<16sHHIQQQIHHHHHH", b"\x7fELF\x02\x01\x01" + bytes(9), 2, 62, 1,
                     VADDR + TEXT_OFF, 64, shoff, 0, 64, 56, 1, 64, len(sh), 1)
    ph = struct.pack("<IIQQQQQQ", 1, 7, 0, VADDR, VADDR, len(data), len(data), 0x1000)
    data[0:64] = eh
    data[64:120] = ph
    return bytes(data)

def pcln118(magic):
    p = bytearray(128)
    struct.pack_into("<I", p, 0, magic)
    p[6], p[7] = 1, 8
    struct.pack_into("<QQQQQQQQ", p, 8, 2, 0, VADDR + TEXT_OFF, 72, 0, 0, 0, 88)
    p[72:72 + 14] = b"main.a\0main.b\0"
    struct.pack_into("<6I", p, 88, 0, 24, 0x10, 32, 0x20, 0)
    struct.pack_into("<4I", p, 112, 0, 0, 0x10, 7)
    return bytes(p)

def pcln116():
    p = bytearray(144)
    struct.pack_into("<I", p, 0, 0xfffffffa)
    p[6], p[7] = 1, 8
    struct.pack_into("<QQQQQQQ", p, 8, 2, 0, 64, 0, 0, 0, 80)
    p[64:78] = b"main.a\0main.b\0"
    base = VADDR + TEXT_OFF
    struct.pack_into("<5Q", p, 80, base, 40, base + 0x10, 52, base + 0x20)
    struct.pack_into("<QIQI", p, 120, base, 0, base + 0x10, 7)
    return bytes(p)

def bi_inline(v):
    return b"\xff Go buildinf:" + bytes([8, 2]) + bytes(16) + bytes([len(v)]) + v + b"\0"

put("fuzz_goelf", "go120", elf(pcln118(0xfffffff1), bi_inline(b"go1.21.13")))
put("fuzz_goelf", "go118", elf(pcln118(0xfffffff0), bi_inline(b"go1.24.1 X:noswissmap")))
put("fuzz_goelf", "go116", elf(pcln116()))
put("fuzz_goelf", "symtab", elf(pcln118(0xfffffff1), bi_inline(b"go1.19.8"),
                                 [(b"net/http.serverHandler.ServeHTTP", VADDR + TEXT_OFF + 0x10),
                                  (b"main.a", VADDR + TEXT_OFF)]))
# Go 1.13-1.17: the build info header points (by virtual address) at a Go string header
bi = bytearray(b"\xff Go buildinf:" + bytes([8, 0]) + bytes(48))
blob = elf(None, bytes(bi))
bi_off = blob.find(b"\xff Go buildinf:")
b = bytearray(blob)
struct.pack_into("<Q", b, bi_off + 16, VADDR + bi_off + 32)          # -> string header
struct.pack_into("<QQ", b, bi_off + 32, VADDR + bi_off + 48, 8)      # -> "go1.16.3"
b[bi_off + 48:bi_off + 56] = b"go1.16.3"
put("fuzz_goelf", "go116-pointer", bytes(b))

# --- a C program whose DWARF looks like Go's net/http types (names patched in place) --------
src = r"""
typedef struct { char *p; long n; } go_string;
struct hash_K_V_ { long count; };
typedef struct hash_K_V_ *net_http_Header;
struct crypto_tls_ConnectionState {
	unsigned short Version; unsigned char HandshakeComplete, DidResume;
	unsigned short CipherSuite; go_string NegotiatedProtocol;
	unsigned char NegotiatedProtocolIsMutual; go_string ServerName;
	struct { void *p; long n, c; } PeerCertificates;
};
struct net_http_Request {
	go_string Method; void *URL; go_string Proto; long ProtoMajor, ProtoMinor;
	net_http_Header Header; void *Body[2]; void *GetBody; long ContentLength;
	void *TransferEncoding[3]; unsigned char Close; go_string Host; void *Form, *PostForm,
	*MultipartForm, *Trailer; go_string RemoteAddr; go_string RequestURI;
	struct crypto_tls_ConnectionState *TLS;
};
struct net_http_Request req;
struct crypto_tls_ConnectionState cs;
int main(void) { return (int)req.ProtoMajor + cs.Version; }
"""
def patch(data):
    for a, b in ((b"net_http_Request", b"net/http.Request"),
                 (b"crypto_tls_ConnectionState", b"crypto/tls.ConnectionState"),
                 (b"hash_K_V_", b"hash<K,V>")):
        data = data.replace(a, b)
    i = data.find(b"GNU C")
    if i >= 0:
        j = data.index(b"\0", i)
        go = b"Go cmd/compile go1.21.5; regabi"
        data = data[:i] + go[: j - i].ljust(j - i, b" ") + data[j:]
    return data

with tempfile.TemporaryDirectory() as t:
    c = os.path.join(t, "g.c")
    open(c, "w").write(src)
    for name, flags in (("dwarf5", ["-g"]), ("dwarf4", ["-gdwarf-4"]),
                        ("dwarf-zlib", ["-g", "-gz=zlib"]), ("dwarf-plain-names", ["-g"])):
        exe = os.path.join(t, name)
        if subprocess.run(["cc", "-O0", "-fno-pie", "-no-pie", *flags, c, "-o", exe],
                          capture_output=True).returncode:
            continue
        data = open(exe, "rb").read()
        if name != "dwarf-plain-names":
            data = patch(data)
        put("fuzz_dwarf", name, data)
        if name == "dwarf5":
            put("fuzz_goelf", "c-program", data)

# --- spool directories: byte 0 segments, byte 1 batch size, the ack line, the segments ------
def rec(payload):
    return struct.pack("<II", len(payload), zlib.crc32(payload)) + payload
r = [rec(json.dumps({"type": "alert", "alert_id": "%032x" % i}).encode()) for i in range(4)]
put("fuzz_spool", "one-segment", b"\x00\x03" + b"".join(r))
put("fuzz_spool", "acked", b"\x00\x02" + b"7 %d\n" % len(r[0]) + b"".join(r))
put("fuzz_spool", "two-segments", b"\x01\x08" + r[0] + r[1] + r[2] + r[3])
put("fuzz_spool", "torn-tail", b"\x00\x08" + b"".join(r) + r[0][:11])
bad = bytearray(b"".join(r)); bad[len(r[0]) + 12] ^= 0x40
put("fuzz_spool", "damaged-middle", b"\x02\x01" + bytes(bad))

# --- state.json ---------------------------------------------------------------------------
f = {"path": "/var/log/kubernetes/audit/audit.log", "input": "/var/log/kubernetes/audit/audit.log",
     "dev": 2049, "ino": 1311, "fp_len": 256, "fp": "12638153115695167455", "offset": 9173}
d = {"dev": 2049, "ino": 1207, "fp_len": 256, "fp": 4242, "size": 104857600}
w = {"rule": "Kubernetes.API.AnonymousAccess", "dedup": "anonymous_access_curl/8.4.0",
     "window_start": 1715677452481203, "window_end": 1715681052481203,
     "first_seen": 1715677452481203, "last_seen": 1715677552481203, "count": 3, "alerted": True}
put("fuzz_state", "full", json.dumps({"files": [f], "version": 1, "done": [d],
                                      "horizon": 1715677452, "dedup": [w]}).encode())
put("fuzz_state", "empty", b'{"files":[],"version":1}')

# --- struct http_event (bpf/http.h) as the uprobe's ring buffer hands them over -------------
def hev(method, addr, uri, flags=0, scheme=b""):
    return (struct.pack("<QIIIIII", 1, 4242, flags, len(uri), len(method), len(addr), 0) +
            method.ljust(16, b"\0") + scheme.ljust(16, b"\0") + addr.ljust(64, b"\0") +
            uri[:255].ljust(256, b"\0"))
reqs = [hev(b"GET", b"203.0.113.7:40000", b"/api/v1/namespaces/default/secrets"),
        hev(b"POST", b"[fd00::1]:6443", b"/apis/apps/v1/deployments", 1, b"Bearer"),
        hev(b"GET", b"10.0.0.7:1", b"/version", 4),
        hev(b"DELETE", b"[::ffff:198.51.100.23]:65535", b"/" + b"a" * 400, 2)]
put("fuzz_request", "four", b"".join(reqs))
put("fuzz_request", "same-ip", reqs[0] * 8)
PY
echo "seeds: $(find "$dir" -type f | wc -l) files in $dir"
