#!/usr/bin/env python3
"""gen_audit: a deterministic native kube-apiserver audit log (audit.k8s.io/v1 Event, one JSON
object per line, as kube-apiserver writes it) for the benchmarks (tests/bench/run.sh).

  gen_audit.py --events N [--seed S] [--anon-share F] [--rr-share F] [--all-anonymous] > FILE

The same arguments give the same bytes. What a busy control plane logs: kubelets renewing
their node leases and reporting status, controllers and the scheduler, CoreDNS, kube-proxy and
a CNI agent watching, an operator, Prometheus listing, people running kubectl; service-account
users carry the token's extra fields, URIs carry Go's escaped '&' (\\u0026) as kube-apiserver
writes them. Most lines are Metadata level, about 1 KB; --rr-share of them (default 1 in 20)
are RequestResponse lines of 5-20 KB with a request and/or response body. --anon-share (default
0.001) are anonymous requests (system:anonymous): scanners, curl, load balancer health checks
and kubelet probes, some of which the seed rule does not alert on. --all-anonymous makes every
line anonymous (the rule engine's worst case). At the end one line to stderr: lines, bytes,
anonymous lines.
"""
import argparse
import random
import sys

K8S = "v1.29.4"
GITC = "55019c8"
BASE_US = 1715677200 * 1000000  # 2024-05-14T09:00:00Z


def ts(us):
    s, frac = divmod(us, 1000000)
    # a fixed calendar is enough: days/hours/minutes from the base
    days, rem = divmod(s - 1715644800, 86400)
    h, rem = divmod(rem, 3600)
    m, sec = divmod(rem, 60)
    return "2024-05-%02dT%02d:%02d:%02d.%06dZ" % (14 + days, h, m, sec, frac)


class Gen:
    def __init__(self, seed, nodes=40):
        self.rng = random.Random(seed)
        self.nodes = ["ip-10-0-%d-%d.eu-west-1.compute.internal" % (i // 200, 10 + i % 200)
                      for i in range(nodes)]
        self.node_ips = ["10.0.%d.%d" % (i // 200, 10 + i % 200) for i in range(nodes)]
        self.namespaces = ["default", "kube-system", "monitoring", "ingress-nginx", "payments",
                           "checkout", "search", "argocd", "cert-manager", "logging"]
        self.rv = 48211000
        self.clock = BASE_US
        self.pool_items = [self.pod_json(i) for i in range(64)]
        self.pool_cms = [self.configmap_json(i) for i in range(16)]

    # ---- helpers ----------------------------------------------------------------------
    def uuid(self):
        b = self.rng.getrandbits(128)
        h = "%032x" % b
        return "%s-%s-4%s-%s-%s" % (h[:8], h[8:12], h[13:16], h[16:20], h[20:32])

    def pick(self, seq):
        return seq[int(self.rng.random() * len(seq))]

    def next_rv(self):
        self.rv += 1 + int(self.rng.random() * 7)
        return self.rv

    def pod_json(self, i):
        r = self.rng
        ns = self.pick(self.namespaces)
        app = self.pick(["api", "web", "worker", "cache", "db-proxy", "exporter", "ingest"])
        name = "%s-%x-%s" % (app, r.getrandbits(36), "".join(r.choice("bcdfghjklmnpqrstvwxz2456789") for _ in range(5)))
        env = ",".join('{"name":"ENV_%d","value":"%s"}' % (k, "v" * (8 + k * 3)) for k in range(6))
        return (
            '{"metadata":{"name":"%s","generateName":"%s-","namespace":"%s","uid":"%s",'
            '"resourceVersion":"%d","creationTimestamp":"2024-05-13T21:14:%02dZ",'
            '"labels":{"app.kubernetes.io/name":"%s","pod-template-hash":"%x"},'
            '"annotations":{"prometheus.io/scrape":"true","prometheus.io/port":"9102"},'
            '"ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"%s-%x",'
            '"uid":"%s","controller":true,"blockOwnerDeletion":true}],'
            '"managedFields":[{"manager":"kube-controller-manager","operation":"Update",'
            '"apiVersion":"v1","time":"2024-05-13T21:14:11Z","fieldsType":"FieldsV1",'
            '"fieldsV1":{"f:metadata":{"f:generateName":{},"f:labels":{".":{},'
            '"f:app.kubernetes.io/name":{}}},"f:spec":{"f:containers":{}}}}]},'
            '"spec":{"volumes":[{"name":"kube-api-access-%s","projected":{"sources":'
            '[{"serviceAccountToken":{"expirationSeconds":3607,"path":"token"}}],'
            '"defaultMode":420}}],"containers":[{"name":"%s","image":"registry.example.com/'
            '%s:1.%d.%d","ports":[{"containerPort":8080,"protocol":"TCP"}],"env":[%s],'
            '"resources":{"limits":{"memory":"512Mi"},"requests":{"cpu":"100m","memory":'
            '"256Mi"}},"terminationMessagePath":"/dev/termination-log","imagePullPolicy":'
            '"IfNotPresent"}],"restartPolicy":"Always","dnsPolicy":"ClusterFirst",'
            '"serviceAccountName":"%s","nodeName":"%s","schedulerName":"default-scheduler"},'
            '"status":{"phase":"Running","hostIP":"%s","podIP":"100.64.%d.%d",'
            '"startTime":"2024-05-13T21:14:11Z","qosClass":"Burstable"}}'
            % (name, app, ns, self.uuid(), self.next_rv(), i % 60, app, r.getrandbits(32),
               app, r.getrandbits(32), self.uuid(), name[-5:], app, app, i % 9, i % 17, env,
               app, self.pick(self.nodes), self.pick(self.node_ips), i % 250, 2 + i % 200))

    def configmap_json(self, i):
        data = ",".join('"key-%d.conf":"%s"' % (k, ("setting_%d = value\\n" % k) * 12)
                        for k in range(4))
        return ('{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"settings-%d",'
                '"namespace":"%s","uid":"%s","resourceVersion":"%d"},"data":{%s}}'
                % (i, self.pick(self.namespaces), self.uuid(), self.next_rv(), data))

    def body(self, target):
        """A request or response body of about target bytes."""
        r = self.rng.random()
        if r < 0.6:
            items, size = [], 120
            while size < target:
                it = self.pick(self.pool_items)
                items.append(it)
                size += len(it) + 1
            return ('{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"%d"},'
                    '"items":[%s]}' % (self.next_rv(), ",".join(items)))
        if r < 0.8:
            return '{"kind":"Pod","apiVersion":"v1",%s' % self.pick(self.pool_items)[1:]
        cms, size = [], 0
        while size < target:
            c = self.pick(self.pool_cms)
            cms.append(c)
            size += len(c) + 1
        return ('{"kind":"ConfigMapList","apiVersion":"v1","metadata":{"resourceVersion":"%d"},'
                '"items":[%s]}' % (self.next_rv(), ",".join(cms)))

    # ---- actors -----------------------------------------------------------------------
    def sa_user(self, ns, sa, node_i):
        pod = "%s-%x" % (sa, self.rng.getrandbits(24))
        return ('{"username":"system:serviceaccount:%s:%s","uid":"%s","groups":'
                '["system:serviceaccounts","system:serviceaccounts:%s","system:authenticated"],'
                '"extra":{"authentication.kubernetes.io/credential-id":["JTI=%s"],'
                '"authentication.kubernetes.io/node-name":["%s"],'
                '"authentication.kubernetes.io/node-uid":["%s"],'
                '"authentication.kubernetes.io/pod-name":["%s"],'
                '"authentication.kubernetes.io/pod-uid":["%s"]}}'
                % (ns, sa, self.uuid(), ns, self.uuid(), self.nodes[node_i], self.uuid(), pod,
                   self.uuid()))

    def actor(self):
        """(user JSON, userAgent, sourceIP, verb, uri, objectRef JSON or None, code, reason)"""
        r = self.rng.random()
        n = int(self.rng.random() * len(self.nodes))
        node, ip = self.nodes[n], self.node_ips[n]
        ns = self.pick(self.namespaces)
        if r < 0.30:  # kubelet: node lease renewal every 10 s per node
            return ('{"username":"system:node:%s","groups":["system:nodes","system:authenticated"]}' % node,
                    "kubelet/%s (linux/amd64) kubernetes/%s" % (K8S, GITC), ip, "update",
                    "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/%s?timeout=10s" % node,
                    '{"resource":"leases","namespace":"kube-node-lease","name":"%s","uid":"%s",'
                    '"apiGroup":"coordination.k8s.io","apiVersion":"v1","resourceVersion":"%d"}'
                    % (node, self.uuid(), self.next_rv()), 200, "")
        if r < 0.42:  # kubelet: node status, pods on the node
            if self.rng.random() < 0.5:
                return ('{"username":"system:node:%s","groups":["system:nodes","system:authenticated"]}' % node,
                        "kubelet/%s (linux/amd64) kubernetes/%s" % (K8S, GITC), ip, "patch",
                        "/api/v1/nodes/%s/status?timeout=10s" % node,
                        '{"resource":"nodes","name":"%s","apiVersion":"v1","subresource":"status"}' % node,
                        200, "")
            return ('{"username":"system:node:%s","groups":["system:nodes","system:authenticated"]}' % node,
                    "kubelet/%s (linux/amd64) kubernetes/%s" % (K8S, GITC), ip, "get",
                    "/api/v1/namespaces/%s/pods/%s" % (ns, "web-%x" % self.rng.getrandbits(32)),
                    '{"resource":"pods","namespace":"%s","name":"web-%x","apiVersion":"v1"}'
                    % (ns, self.rng.getrandbits(32)), 200, "")
        if r < 0.58:  # controllers and scheduler
            who = self.pick(["kube-controller-manager", "kube-scheduler"])
            res = self.pick(["endpointslices", "endpoints", "replicasets", "deployments", "pods", "leases"])
            grp = {"endpointslices": "discovery.k8s.io", "replicasets": "apps", "deployments": "apps",
                   "leases": "coordination.k8s.io"}.get(res, "")
            prefix = "/apis/%s/v1" % grp if grp else "/api/v1"
            verb = self.pick(["update", "get", "update", "patch", "create"])
            name = "%s-%x" % (self.pick(["api", "web", "worker"]), self.rng.getrandbits(24))
            return ('{"username":"system:%s","groups":["system:authenticated"]}' % who,
                    "%s/%s (linux/amd64) kubernetes/%s/system:serviceaccount:kube-system:%s"
                    % (who, K8S, GITC, self.pick(["endpointslice-controller", "replicaset-controller",
                                                   "deployment-controller", "generic-garbage-collector"])),
                    "10.0.0.5", verb, "%s/namespaces/%s/%s/%s" % (prefix, ns, res, name),
                    '{"resource":"%s","namespace":"%s","name":"%s",%s"apiVersion":"v1"}'
                    % (res, ns, name, '"apiGroup":"%s",' % grp if grp else ""), 200,
                    'RBAC: allowed by ClusterRoleBinding \\"system:%s\\" of ClusterRole \\"system:%s\\" to User \\"system:%s\\"'
                    % (who, who, who))
        if r < 0.72:  # watchers: CoreDNS, kube-proxy, the CNI agent (list + watch with query strings)
            sa, ua, res, grp = self.pick([
                ("coredns", "coredns/1.11.1 (linux/amd64) kubernetes/%s" % GITC, "endpointslices", "discovery.k8s.io"),
                ("kube-proxy", "kube-proxy/%s (linux/amd64) kubernetes/%s" % (K8S, GITC), "services", ""),
                ("cilium", "cilium-agent/v1.15.3 (linux/amd64) kubernetes/%s" % GITC, "ciliumendpoints", "cilium.io"),
            ])
            prefix = "/apis/%s/v1" % grp if grp else "/api/v1"
            watch = self.rng.random() < 0.7
            uri = ("%s/%s?allowWatchBookmarks=true\\u0026resourceVersion=%d\\u0026timeout=%dm%ds\\u0026timeoutSeconds=%d\\u0026watch=true"
                   % (prefix, res, self.next_rv(), 5 + n % 4, n % 60, 300 + n) if watch else
                   "%s/%s?limit=500\\u0026resourceVersion=0" % (prefix, res))
            return (self.sa_user("kube-system", sa, n), ua, ip, "watch" if watch else "list", uri,
                    '{"resource":"%s",%s"apiVersion":"v1"}' % (res, '"apiGroup":"%s",' % grp if grp else ""),
                    200, 'RBAC: allowed by ClusterRoleBinding \\"system:%s\\" of ClusterRole \\"system:%s\\" to ServiceAccount \\"%s/kube-system\\"'
                    % (sa, sa, sa))
        if r < 0.84:  # an operator and argocd reconciling configmaps, secrets, deployments
            sa = self.pick(["cert-manager", "argocd-application-controller", "ingress-nginx"])
            res = self.pick(["configmaps", "secrets", "deployments", "services", "ingresses"])
            verb = self.pick(["get", "get", "list", "update", "patch"])
            name = "%s-%x" % (sa.split("-")[0], self.rng.getrandbits(20))
            return (self.sa_user(sa.split("-")[0], sa, n),
                    "%s/v1.14.4 (linux/amd64) kubernetes/%s" % (sa, GITC), "100.64.%d.%d" % (n, 7 + n % 200), verb,
                    "/api/v1/namespaces/%s/%s/%s" % (ns, res, name),
                    '{"resource":"%s","namespace":"%s","name":"%s","apiVersion":"v1"}' % (res, ns, name), 200,
                    'RBAC: allowed by ClusterRoleBinding \\"%s\\" of ClusterRole \\"%s\\" to ServiceAccount \\"%s/%s\\"'
                    % (sa, sa, sa, ns))
        if r < 0.92:  # Prometheus scraping and listing
            res = self.pick(["pods", "endpoints", "services", "nodes"])
            return (self.sa_user("monitoring", "prometheus-k8s", n),
                    "Prometheus/2.51.2", "100.64.3.%d" % (10 + n), "list",
                    "/api/v1/%s?limit=500\\u0026resourceVersion=0" % res,
                    '{"resource":"%s","apiVersion":"v1"}' % res, 200,
                    'RBAC: allowed by ClusterRoleBinding \\"prometheus-k8s\\" of ClusterRole \\"prometheus-k8s\\" to ServiceAccount \\"prometheus-k8s/monitoring\\"')
        if r < 0.97:  # events from everyone
            return (self.sa_user("kube-system", "event-exporter", n),
                    "kube-controller-manager/%s (linux/amd64) kubernetes/%s/system:serviceaccount:kube-system:statefulset-controller" % (K8S, GITC),
                    "10.0.0.5", "create", "/api/v1/namespaces/%s/events" % ns,
                    '{"resource":"events","namespace":"%s","name":"web.%x","apiVersion":"v1"}' % (ns, self.rng.getrandbits(48)),
                    201, "")
        # people with kubectl (OIDC users), sometimes forbidden
        person = self.pick(["alice@example.com", "bob@example.com", "oncall-sre@example.com", "ci-deployer@example.com"])
        verb = self.pick(["get", "list", "get", "delete", "create"])
        res = self.pick(["pods", "deployments", "secrets", "configmaps", "pods/log"])
        code = 403 if self.rng.random() < 0.1 else 200
        return ('{"username":"oidc:%s","groups":["oidc:platform-team","system:authenticated"]}' % person,
                "kubectl/v1.29.2 (darwin/arm64) kubernetes/4b8e819", "203.0.113.%d" % (20 + n), verb,
                "/api/v1/namespaces/%s/%s?limit=500" % (ns, res),
                '{"resource":"%s","namespace":"%s","apiVersion":"v1"}' % (res.split("/")[0], ns), code,
                'RBAC: allowed by RoleBinding \\"platform-team/%s\\" of ClusterRole \\"edit\\" to Group \\"oidc:platform-team\\"' % ns
                if code == 200 else "")

    def anonymous(self):
        r = self.rng.random()
        ip = "%d.%d.%d.%d" % (self.pick([45, 89, 104, 185, 198, 203]), int(self.rng.random() * 250),
                              int(self.rng.random() * 250), 1 + int(self.rng.random() * 250))
        if r < 0.25:  # kubelet / load balancer health checks: anonymous, but not alerts
            ua, uri, ip = self.pick([("kube-probe/1.29", "/livez", self.pick(self.node_ips)),
                                     ("kube-probe/1.29", "/readyz", self.pick(self.node_ips)),
                                     ("ELB-HealthChecker/2.0", "/healthz", "10.0.%d.%d" % (1, 40))])
            code, decision = 200, "allow"
        else:
            ua = self.pick(["curl/8.4.0", "python-requests/2.31.0", "Go-http-client/1.1",
                            "masscan/1.3 (https://github.com/robertdavidgraham/masscan)",
                            "Mozilla/5.0 zgrab/0.x", "kubectl/v1.29.2 (linux/amd64) kubernetes/4b8e819"])
            uri = self.pick(["/version", "/api", "/apis", "/api/v1/secrets", "/api/v1/pods",
                             "/api/v1/namespaces/kube-system/secrets", "/.env", "/metrics",
                             "/apis/apps/v1/deployments?limit=500"])
            code, decision = (200, "allow") if uri in ("/version", "/api", "/apis") else (403, "forbid")
        reason = ('RBAC: allowed by ClusterRoleBinding \\"system:public-info-viewer\\" of ClusterRole '
                  '\\"system:public-info-viewer\\" to Group \\"system:unauthenticated\\"' if decision == "allow" else "")
        return ('{"username":"system:anonymous","groups":["system:unauthenticated"]}', ua, ip, "get",
                uri, None, code, reason, decision)

    # ---- one line ---------------------------------------------------------------------
    def line(self, anon, rr):
        self.clock += 200 + int(self.rng.random() * 3400)  # ~550 events/s
        t0 = self.clock
        t1 = t0 + 300 + int(self.rng.random() * 9000)
        if anon:
            user, ua, ip, verb, uri, obj, code, reason, decision = self.anonymous()
        else:
            user, ua, ip, verb, uri, obj, code, reason = self.actor()
            decision = "allow" if code < 400 else "forbid"
        status = ('{"metadata":{},"code":%d}' % code if code < 400 else
                  '{"metadata":{},"status":"Failure","message":"forbidden: User cannot %s resource",'
                  '"reason":"Forbidden","details":{},"code":%d}' % (verb, code))
        parts = ['{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"%s","auditID":"%s",'
                 '"stage":"ResponseComplete","requestURI":"%s","verb":"%s","user":%s,'
                 '"sourceIPs":["%s"],"userAgent":"%s"'
                 % ("RequestResponse" if rr else "Metadata", self.uuid(), uri, verb, user, ip, ua)]
        if obj:
            parts.append(',"objectRef":%s' % obj)
        parts.append(',"responseStatus":%s' % status)
        if rr:
            target = 5000 + int(self.rng.random() * 15000)
            if verb in ("update", "patch", "create"):
                parts.append(',"requestObject":%s' % self.body(target // 2))
                parts.append(',"responseObject":%s' % self.body(target // 2))
            else:
                parts.append(',"responseObject":%s' % self.body(target))
        parts.append(',"requestReceivedTimestamp":"%s","stageTimestamp":"%s",'
                     '"annotations":{"authorization.k8s.io/decision":"%s",'
                     '"authorization.k8s.io/reason":"%s"}}\n'
                     % (ts(t0), ts(t1), decision, reason))
        return "".join(parts)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--events", type=int, required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--anon-share", type=float, default=0.001)
    ap.add_argument("--rr-share", type=float, default=0.05)
    ap.add_argument("--all-anonymous", action="store_true")
    a = ap.parse_args()
    g = Gen(a.seed)
    out = sys.stdout
    nbytes = nanon = 0
    buf = []
    for _ in range(a.events):
        anon = a.all_anonymous or g.rng.random() < a.anon_share
        rr = not anon and g.rng.random() < a.rr_share
        s = g.line(anon, rr)
        nanon += anon
        nbytes += len(s)
        buf.append(s)
        if len(buf) >= 4096:
            out.write("".join(buf))
            buf = []
    out.write("".join(buf))
    out.flush()
    print("gen_audit: %d lines, %d bytes, %d anonymous" % (a.events, nbytes, nanon), file=sys.stderr)


if __name__ == "__main__":
    main()
