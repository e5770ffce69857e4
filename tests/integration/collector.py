#!/usr/bin/env python3
"""collector: a scripted HTTPS log collector (Splunk HEC / Elasticsearch _bulk / plain NDJSON)
for the HTTPS output tests (tests/integration/test_https.sh). Standard library only.

Serving
  collector.py --cert server.pem --key server.key --log requests.jsonl [options]
  listens on 127.0.0.1 (--port, default a free one), prints the port on stdout when ready and
  serves until killed. Each connection has its own thread; the TLS handshake happens there.
  --client-ca FILE   require a client certificate signed by FILE (mTLS)
  --plain            no TLS at all (plain HTTP)
  --auth VALUE       the exact Authorization header a request must carry ("Splunk TOKEN",
                     "Bearer TOKEN", "ApiKey TOKEN"); otherwise 401 with a Splunk-style body
                     {"text":"Invalid authorization","code":3} (Elasticsearch style with
                     --elastic)
  --delay SECONDS    wait this long before answering every request
  --script LIST      statuses for the first requests, one entry each, then 200 forever (or
                     what the mode file says)
  --mode-file FILE   a LIST in a file the test may rewrite at any time; it is read again when
                     its content changes: its entries are used one per request, the last one
                     for every request after that
  --elastic          answer like Elasticsearch's _bulk API: parse action/document pairs (the
                     body must end with a newline), keep the documents (create of an existing
                     _id is a 409 item), answer per item
  --port N           listen on this port (to come back on the same port after a restart)

  LIST is comma-separated entries:
    STATUS[:OPT=VAL[:OPT=VAL...]]   answer STATUS; options: retry-after=SECONDS (a Retry-After
        header), retry-after-date=SECONDS (a Retry-After header with the HTTP-date that many
        seconds after the answer, whole seconds as HTTP-dates are), delay=SECONDS (wait before answering), items=PATTERN (--elastic: per-item
        statuses, '/'-separated, the i-th for the i-th item, the last for the rest; "auto" is
        Elasticsearch's own answer: 201, or 409 when a create's _id is already stored)
    down     close the listening socket and every open connection; listen again (same port)
             once the mode file says something else. Only useful as the mode file's content.
    close    read the request, then close the connection without an answer
  Authentication is checked before an entry is taken: a 401 does not use one up.

Log (--log): one JSON object per line, appended and flushed as things happen:
  {"event":"listening"|"down"|"up","port":N,"t":T}
  {"event":"tls_error","error":"...","t":T}                a failed handshake
  {"event":"received","n":N,"inflight":K,"t":T}             a whole request read (K requests
                                                            being handled, this one included)
  {"event":"request","n":N,"method":..,"path":..,"query":..,"headers":{lower-case: value},
   "client_cn":..,"status":S,"retry_after":..,"gzip":bool (body was gzip),"body_bytes":raw
   size,"body":decoded text,"error":why the body was refused (or null),"items":[{"action",
   "_index","_id","status"}] (--elastic),"answered":bool (the answer was written),
   "t_received":T,"t_answered":T}
  T is time.time().

Reading the log
  collector.py extract FORMAT LOG   one JSON line per alert record in each request body, in
  order: {"n","status","item_status","ok","key","id","alert_id","type","event_count"}. FORMAT
  is json, splunk-hec, elastic-bulk or ocsf; "ok" is true when the collector took the record
  (a 2xx answer and, for _bulk, an item status 2xx or 409); "key" is "type|alert_id|count"
  (for elastic-bulk the document _id, which is the alert_id of an alert).
"""
import argparse
import email.utils
import gzip
import json
import os
import select
import socket
import ssl
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler

HEC_BODIES = {
    200: {"text": "Success", "code": 0},
    400: {"text": "Invalid data format", "code": 6, "invalid-event-number": 0},
    401: {"text": "Invalid authorization", "code": 3},
    403: {"text": "Invalid token", "code": 4},
    404: {"text": "The requested URL was not found on this server.", "code": 404},
    408: {"text": "Request timeout", "code": 408},
    413: {"text": "Content too large", "code": 413},
    429: {"text": "Too many requests", "code": 429},
    500: {"text": "Internal server error", "code": 8},
    503: {"text": "Server is busy", "code": 9},
}
ES_ERRORS = {
    400: ("illegal_argument_exception", "request rejected by the test collector"),
    401: ("security_exception", "unable to authenticate with provided credentials"),
    403: ("security_exception", "action [indices:data/write/bulk] is unauthorized"),
    409: ("version_conflict_engine_exception", "version conflict, document already exists"),
    413: ("content_too_long", "request entity too large"),
    429: ("es_rejected_execution_exception", "rejected execution of coordinating operation"),
    500: ("exception", "internal error"),
    503: ("unavailable_shards_exception", "primary shard is not active"),
}
ITEM_ERRORS = {
    400: ("document_parsing_exception", "[1:2] failed to parse field [event.severity] of type [long]"),
    409: ("version_conflict_engine_exception", "[%s]: version conflict, document already exists (current version [1])"),
    429: ("es_rejected_execution_exception", "rejected execution of primary operation"),
    500: ("exception", "internal error"),
    503: ("unavailable_shards_exception", "primary shard is not active"),
}


def parse_entry(s):
    s = s.strip()
    if s in ("down", "close"):
        return {"kind": s}
    parts = s.split(":")
    e = {"kind": "status", "status": int(parts[0])}
    for p in parts[1:]:
        k, _, v = p.partition("=")
        if k == "retry-after":
            e["retry_after"] = v
        elif k == "retry-after-date":
            e["retry_after_date"] = float(v)
        elif k == "delay":
            e["delay"] = float(v)
        elif k == "items":
            e["items"] = v.split("/")
        else:
            raise ValueError("unknown option %r in %r" % (k, s))
    return e


def parse_list(s):
    return [parse_entry(x) for x in s.split(",") if x.strip()]


class Collector:
    def __init__(self, a):
        self.a = a
        self.lock = threading.Lock()
        self.logf = open(a.log, "a", encoding="utf-8")
        self.n = 0
        self.inflight = 0
        self.script = parse_list(a.script) if a.script else []
        self.mode_text = None
        self.mode = []
        self.mode_pos = 0
        self.store = {}  # (index, _id) -> document, for --elastic
        self.conns = set()
        self.listener = None
        self.port = a.port
        self.ctx = None
        if not a.plain:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(a.cert, a.key)
            if a.client_ca:
                ctx.verify_mode = ssl.CERT_REQUIRED
                ctx.load_verify_locations(a.client_ca)
            ctx.set_alpn_protocols(["http/1.1"])
            self.ctx = ctx

    def log(self, obj):
        obj.setdefault("t", time.time())
        line = json.dumps(obj, separators=(",", ":")) + "\n"
        with self.lock:
            self.logf.write(line)
            self.logf.flush()

    # --- the scripted answers ----------------------------------------------------------------
    def reload_mode(self):
        """Read the mode file again if its content changed (caller holds the lock)."""
        if not self.a.mode_file:
            return
        try:
            with open(self.a.mode_file, encoding="utf-8") as f:
                text = f.read().strip()
        except OSError:
            return
        if text and text != self.mode_text:
            try:
                entries = parse_list(text)
            except ValueError as e:
                print("collector: bad mode file: %s" % e, file=sys.stderr, flush=True)
                return
            if entries:
                self.mode_text, self.mode, self.mode_pos = text, entries, 0

    def peek_mode(self):
        with self.lock:
            self.reload_mode()
            if self.mode:
                return self.mode[min(self.mode_pos, len(self.mode) - 1)]
        return None

    def next_entry(self):
        with self.lock:
            if self.script:
                return self.script.pop(0)
            self.reload_mode()
            if self.mode:
                e = self.mode[min(self.mode_pos, len(self.mode) - 1)]
                if self.mode_pos < len(self.mode) - 1:
                    self.mode_pos += 1
                return e
        return {"kind": "status", "status": 200}

    # --- listening ---------------------------------------------------------------------------
    def listen(self):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        deadline = time.time() + 10
        while True:
            try:
                s.bind(("127.0.0.1", self.port))
                break
            except OSError:
                if time.time() > deadline:
                    raise
                time.sleep(0.05)
        s.listen(64)
        self.port = s.getsockname()[1]
        self.listener = s

    def go_down(self):
        self.listener.close()
        self.listener = None
        with self.lock:
            conns = list(self.conns)
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.log({"event": "down", "port": self.port})

    def serve(self):
        self.listen()
        self.log({"event": "listening", "port": self.port})
        print(self.port, flush=True)
        while True:
            m = self.peek_mode()
            want_down = m is not None and m["kind"] == "down"
            if want_down and self.listener is not None:
                self.go_down()
            elif not want_down and self.listener is None:
                self.listen()
                self.log({"event": "up", "port": self.port})
            if self.listener is None:
                time.sleep(0.05)
                continue
            r, _, _ = select.select([self.listener], [], [], 0.05)
            if not r:
                continue
            try:
                conn, addr = self.listener.accept()
            except OSError:
                continue
            threading.Thread(target=self.connection, args=(conn, addr), daemon=True).start()

    def connection(self, conn, addr):
        conn.settimeout(30)
        # as real collectors do (nginx's tcp_nodelay): the answer's header and body are
        # separate writes, and Nagle would hold the body back for the client's delayed ACK
        # (40 ms), stalling the agent's next batch behind it
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self.lock:
            self.conns.add(conn)
        sock = conn
        try:
            if self.ctx:
                try:
                    sock = self.ctx.wrap_socket(conn, server_side=True)
                except (ssl.SSLError, OSError) as e:
                    self.log({"event": "tls_error", "error": str(e)})
                    return
                with self.lock:
                    self.conns.discard(conn)
                    self.conns.add(sock)
            Handler(sock, addr, self)
        except Exception as e:  # a connection reset mid-request and the like
            print("collector: connection: %r" % e, file=sys.stderr, flush=True)
        finally:
            with self.lock:
                self.conns.discard(conn)
                self.conns.discard(sock)
            try:
                sock.close()
            except OSError:
                pass

    # --- one request -------------------------------------------------------------------------
    def handle(self, h):
        t_received = time.time()
        raw, err = h.read_body()
        if raw is None:
            h.close_connection = True
            return
        with self.lock:
            self.n += 1
            n = self.n
            self.inflight += 1
            inflight = self.inflight
        try:
            self.log({"event": "received", "n": n, "inflight": inflight})
            self.answer(h, n, raw, err, t_received)
        finally:
            with self.lock:
                self.inflight -= 1

    def answer(self, h, n, raw, err, t_received):
        a = self.a
        url = urllib.parse.urlsplit(h.path)
        headers = {k.lower(): v for k, v in h.headers.items()}
        rec = {"event": "request", "n": n, "method": h.command, "path": url.path,
               "query": url.query, "headers": headers, "client_cn": None, "status": None,
               "retry_after": None, "gzip": raw[:2] == b"\x1f\x8b", "body_bytes": len(raw),
               "body": None, "error": err, "items": None, "answered": False,
               "t_received": t_received}
        try:
            cert = h.connection.getpeercert() if self.ctx else None
            if cert:
                rec["client_cn"] = dict(x[0] for x in cert.get("subject", ()))["commonName"]
        except (AttributeError, KeyError, ValueError):
            pass
        body = raw
        if not err and headers.get("content-encoding", "").lower() == "gzip":
            try:
                body = gzip.decompress(raw)
            except (OSError, EOFError) as e:
                err = "Content-Encoding: gzip but the body does not decompress: %s" % e
        elif not err and headers.get("content-encoding", "identity").lower() != "identity":
            err = "unsupported Content-Encoding %r" % headers["content-encoding"]
        rec["body"] = body.decode("utf-8", "replace")
        if err:
            rec["error"] = err
        status, extra, out = None, {}, None
        if a.auth is not None and headers.get("authorization") != a.auth:
            status = 401
        else:
            e = self.next_entry()
            if e.get("delay"):
                time.sleep(e["delay"])
            if e["kind"] in ("close", "down"):
                rec["status"] = e["kind"]
                rec["t_answered"] = time.time()
                self.log(rec)
                h.close_connection = True
                return
            status = e["status"]
            if e.get("retry_after") is not None:
                extra["Retry-After"] = e["retry_after"]
                rec["retry_after"] = e["retry_after"]
            if e.get("retry_after_date") is not None:
                extra["Retry-After"] = email.utils.formatdate(time.time() + e["retry_after_date"],
                                                              usegmt=True)
                rec["retry_after"] = extra["Retry-After"]
            if err and 200 <= status < 300:
                status = 400
            if a.elastic and 200 <= status < 300:
                out, items, perr = self.bulk(rec["body"], url.path, e.get("items"))
                rec["items"] = items
                if perr:
                    status, out = 400, None
                    rec["error"] = perr
        if a.delay:
            time.sleep(a.delay)
        if out is None:
            out = self.error_body(status, rec.get("error"))
        rec["status"] = status
        data = json.dumps(out, separators=(",", ":")).encode()
        try:
            h.send_response(status)
            h.send_header("Content-Type", "application/json")
            h.send_header("Content-Length", str(len(data)))
            for k, v in extra.items():
                h.send_header(k, v)
            h.end_headers()
            h.wfile.write(data)
            h.wfile.flush()
            rec["answered"] = True
        except OSError:
            h.close_connection = True
        rec["t_answered"] = time.time()
        self.log(rec)

    def error_body(self, status, why):
        if self.a.elastic:
            if 200 <= status < 300:
                return {"took": 0, "errors": False, "items": []}
            t, r = ES_ERRORS.get(status, ("exception", "status %d" % status))
            return {"error": {"type": t, "reason": why or r}, "status": status}
        body = dict(HEC_BODIES.get(status, {"text": "status %d" % status, "code": status}))
        if why and status == 400:
            body["text"] = "Invalid data format: " + why
        return body

    def bulk(self, text, path, pattern):
        """Elasticsearch's _bulk: (answer, items, error of the whole request)."""
        if not text.endswith("\n"):
            return None, None, "The bulk request must be terminated by a newline [\\n]"
        lines = text[:-1].split("\n")
        url_index = None
        parts = [p for p in path.split("/") if p]
        if len(parts) == 2 and parts[1] == "_bulk":
            url_index = parts[0]
        out_items, items = [], []
        i = 0
        k = 0
        while i < len(lines):
            try:
                action = json.loads(lines[i])
            except ValueError:
                return None, None, "Malformed action/metadata line [%d]" % (i + 1)
            if not isinstance(action, dict) or len(action) != 1:
                return None, None, "Malformed action/metadata line [%d]" % (i + 1)
            (verb, meta), = action.items()
            if verb not in ("create", "index", "update", "delete") or not isinstance(meta, dict):
                return None, None, "Malformed action/metadata line [%d], unknown action [%s]" % (i + 1, verb)
            doc = None
            if verb != "delete":
                if i + 1 >= len(lines):
                    return None, None, "Validation Failed: 1: no requests added; document missing after line [%d]" % (i + 1)
                try:
                    doc = json.loads(lines[i + 1])
                except ValueError:
                    doc = lines[i + 1]
                i += 2
            else:
                i += 1
            index = meta.get("_index", url_index)
            if index is None:
                return None, None, "Validation Failed: 1: index is missing"
            _id = meta.get("_id")
            want = "auto"
            if pattern:
                want = pattern[min(k, len(pattern) - 1)]
            k += 1
            with self.lock:
                exists = (index, _id) in self.store
                if want == "auto":
                    if not isinstance(doc, dict):
                        st = 400
                    elif verb == "create" and exists:
                        st = 409
                    else:
                        st = 200 if exists else 201
                else:
                    st = int(want)
                if st in (200, 201) and verb in ("create", "index"):
                    self.store[(index, _id)] = doc
            item = {"_index": index, "_id": _id, "status": st}
            if st < 300:
                item.update({"_version": 1, "result": "created" if st == 201 else "updated",
                             "_shards": {"total": 1, "successful": 1, "failed": 0},
                             "_seq_no": len(self.store), "_primary_term": 1})
            else:
                t, r = ITEM_ERRORS.get(st, ("exception", "status %d" % st))
                item["error"] = {"type": t, "reason": r.replace("%s", str(_id)),
                                 "index": index, "shard": "0", "index_uuid": "kaa-test"}
            out_items.append({verb: item})
            items.append({"action": verb, "_index": index, "_id": _id, "status": st})
        answer = {"took": 1, "errors": any(it["status"] >= 300 for it in items),
                  "items": out_items}
        return answer, items, None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def __init__(self, sock, addr, coll):
        self.coll = coll
        super().__init__(sock, addr, None)

    def log_message(self, fmt, *args):
        pass

    def read_body(self):
        """The request body (raw bytes) and a reason it is bad, or (None, None) when the
        connection broke."""
        try:
            te = self.headers.get("Transfer-Encoding", "").lower()
            if te == "chunked":
                chunks = []
                while True:
                    line = self.rfile.readline(1024)
                    if not line:
                        return None, None
                    size = int(line.split(b";")[0].strip(), 16)
                    if size == 0:
                        while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                            pass
                        break
                    chunks.append(self.rfile.read(size))
                    self.rfile.readline(1024)
                return b"".join(chunks), None
            length = self.headers.get("Content-Length")
            if length is None:
                return b"", ("no Content-Length" if self.command in ("POST", "PUT") else None)
            data = self.rfile.read(int(length))
            if len(data) != int(length):
                return None, None
            return data, None
        except (OSError, ValueError):
            return None, None

    def do_POST(self):
        self.coll.handle(self)

    do_PUT = do_POST
    do_GET = do_POST


def extract(fmt, path):
    """Alert records per request in the log, normalised (see the module's doc)."""
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            try:
                r = json.loads(line)
            except ValueError:
                continue  # a line being written
            if r.get("event") != "request" or r.get("body") is None:
                continue
            st = r.get("status")
            ok = isinstance(st, int) and 200 <= st < 300
            for out in records(fmt, r["body"], r.get("items")):
                out["n"] = r["n"]
                out["status"] = st
                ist = out.get("item_status")
                out["ok"] = ok and (ist is None or 200 <= ist < 300 or ist == 409)
                print(json.dumps(out, separators=(",", ":")))


def norm(alert_id, typ, count, **kw):
    d = {"alert_id": alert_id, "type": typ, "event_count": count}
    d["key"] = "%s|%s|%s" % (typ, alert_id, count)
    d.update(kw)
    return d


def records(fmt, body, items):
    if fmt == "splunk-hec":
        dec = json.JSONDecoder()
        i = 0
        while True:
            while i < len(body) and body[i] in " \t\r\n":
                i += 1
            if i >= len(body):
                return
            try:
                env, i = dec.raw_decode(body, i)
            except ValueError:
                yield {"key": "<bad>", "alert_id": None, "type": None, "event_count": None}
                return
            ev = env.get("event") if isinstance(env, dict) else None
            if not isinstance(ev, dict):
                ev = {}
            yield norm(ev.get("alert_id"), ev.get("type"), ev.get("event_count"))
    lines = [l for l in body.split("\n") if l.strip()]
    if fmt == "elastic-bulk":
        k = 0
        i = 0
        while i < len(lines):
            try:
                action = json.loads(lines[i])
                (verb, meta), = action.items()
            except (ValueError, AttributeError):
                yield {"key": "<bad>", "alert_id": None, "type": None, "event_count": None}
                return
            i += 1
            doc = {}
            if verb != "delete" and i < len(lines):
                try:
                    doc = json.loads(lines[i])
                except ValueError:
                    doc = {}
                i += 1
            ist = items[k]["status"] if items and k < len(items) else None
            k += 1
            _id = meta.get("_id")
            ev = doc.get("event") if isinstance(doc, dict) else None
            aid = ev.get("id") if isinstance(ev, dict) and ev.get("id") else _id
            d = {"key": str(_id), "id": _id, "alert_id": aid, "type": None,
                 "event_count": None, "item_status": ist}
            yield d
        return
    for l in lines:
        try:
            rec = json.loads(l)
        except ValueError:
            yield {"key": "<bad>", "alert_id": None, "type": None, "event_count": None}
            continue
        if not isinstance(rec, dict):
            rec = {}
        if fmt == "ocsf":
            fi = rec.get("finding_info") if isinstance(rec.get("finding_info"), dict) else {}
            typ = {1: "alert", 2: "update"}.get(rec.get("activity_id"), rec.get("activity_id"))
            yield norm(fi.get("uid"), typ, fi.get("related_events_count"))
        else:
            yield norm(rec.get("alert_id"), rec.get("type"), rec.get("event_count"))


def main():
    if len(sys.argv) >= 2 and sys.argv[1] == "extract":
        if len(sys.argv) != 4:
            sys.exit("usage: collector.py extract FORMAT LOG")
        extract(sys.argv[2], sys.argv[3])
        return
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--client-ca")
    p.add_argument("--plain", action="store_true")
    p.add_argument("--auth")
    p.add_argument("--delay", type=float, default=0.0)
    p.add_argument("--script")
    p.add_argument("--mode-file")
    p.add_argument("--elastic", action="store_true")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--log", required=True)
    a = p.parse_args()
    if not a.plain and not (a.cert and a.key):
        p.error("--cert and --key are needed (or --plain)")
    try:
        if a.script:
            parse_list(a.script)
    except ValueError as e:
        p.error("--script: %s" % e)
    Collector(a).serve()


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
