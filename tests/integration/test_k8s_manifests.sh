#!/usr/bin/env bash
# packaging/kubernetes/ and packaging/Containerfile: every manifest parses (python3-yaml; no
# kubectl here); the DaemonSet runs on control-plane nodes only, with hostPID, the five
# capabilities and nothing else, a read-only root, read-only host mounts of the audit log, BTF
# and tracefs, the state directory, NODE_NAME, resources and probes on the port agent.yaml
# listens on; kustomize's hashed ConfigMap rolls it; the collector's Secret is referenced, never
# shipped. The ConfigMap's agent.yaml passes check-config and has the Debian package's paths.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/packaging.sh"

K=$ROOT/packaging/kubernetes
if ! python3 -c 'import yaml' 2>/dev/null; then
	skip "the Kubernetes manifests" "python3-yaml is not installed (make deps-pkg)"
	exit 0
fi

# The checks are Python (PyYAML); each prints one JSON line {"name", "ok", "detail"}.
python3 - "$K" "$ROOT/packaging/agent.yaml" "$ROOT/packaging/Containerfile" >"$TMP/checks.jsonl" \
	2>"$TMP/checks.err" <<'PY'
import json, os, re, sys, yaml

kdir, deb_conf_path, containerfile = sys.argv[1:4]
CAPS = {"BPF", "PERFMON", "SYS_ADMIN", "SYS_PTRACE", "DAC_READ_SEARCH"}

def check(name, cond, detail=""):
    print(json.dumps({"name": name, "ok": bool(cond), "detail": str(detail)}))

def load_all(path):
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d is not None]

# --- every YAML file parses -------------------------------------------------------------------
docs = {}
for fn in sorted(os.listdir(kdir)):
    if not fn.endswith((".yaml", ".yml")):
        continue
    try:
        docs[fn] = load_all(os.path.join(kdir, fn))
        check(f"{fn} parses", True)
    except yaml.YAMLError as e:
        check(f"{fn} parses", False, e)
        docs[fn] = []

kust = docs["kustomization.yaml"][0]
check("kustomization.yaml is a Kustomization",
      kust.get("kind") == "Kustomization" and kust.get("apiVersion", "").startswith("kustomize.config.k8s.io/"))
objs = []
for r in kust.get("resources", []):
    if not os.path.exists(os.path.join(kdir, r)):
        check(f"resource {r} exists", False)
        continue
    for d in docs.get(r, []):
        ok = isinstance(d, dict) and d.get("apiVersion") and d.get("kind") and d.get("metadata", {}).get("name")
        check(f"{r}: {d.get('kind')} has apiVersion, kind and metadata.name", ok)
        objs.append(d)
kinds = {d["kind"]: d for d in objs}
check("resources: Namespace, ServiceAccount, DaemonSet",
      {"Namespace", "ServiceAccount", "DaemonSet"} <= set(kinds), sorted(kinds))
check("no Secret object and no secretGenerator (the Secret is only referenced)",
      "Secret" not in kinds and "secretGenerator" not in kust
      and not any(d.get("kind") == "Secret" for ds in docs.values() for d in ds if isinstance(d, dict)))
ns = kust.get("namespace")
check("kustomization puts everything in the namespace kube-audit-agent", ns == "kube-audit-agent")
nso = kinds.get("Namespace", {})
check("Namespace kube-audit-agent enforces Pod Security level privileged (hostPID, hostPath, caps)",
      nso.get("metadata", {}).get("name") == ns
      and nso["metadata"].get("labels", {}).get("pod-security.kubernetes.io/enforce") == "privileged")
sa = kinds.get("ServiceAccount", {})
check("ServiceAccount: no token automounted (the agent never calls the API)",
      sa.get("automountServiceAccountToken") is False)

# --- the ConfigMap: generated with a hash suffix -----------------------------------------------
gens = kust.get("configMapGenerator", [])
gen = next((g for g in gens if g.get("name") == "kube-audit-agent-config"), None)
check("configMapGenerator kube-audit-agent-config from agent.yaml and local-rules.yml",
      gen and sorted(gen.get("files", [])) == ["agent.yaml", "local-rules.yml"], gen)
check("the hash suffix is on (it rolls the DaemonSet when the configuration changes)",
      gen and not (gen.get("options") or {}).get("disableNameSuffixHash")
      and not (kust.get("generatorOptions") or {}).get("disableNameSuffixHash"))
check("kustomization sets the image the DaemonSet names",
      any(i.get("name") == "kube-audit-agent" for i in kust.get("images", [])))

# --- the DaemonSet -----------------------------------------------------------------------------
ds = kinds.get("DaemonSet", {})
pod = ds.get("spec", {}).get("template", {}).get("spec", {})
check("DaemonSet: selector matches the template's labels",
      ds["spec"]["selector"]["matchLabels"].items() <= ds["spec"]["template"]["metadata"]["labels"].items())
check("nodeSelector: node-role.kubernetes.io/control-plane: \"\" only",
      pod.get("nodeSelector") == {"node-role.kubernetes.io/control-plane": ""}, pod.get("nodeSelector"))
check("toleration for the control-plane taint (Exists, NoSchedule)",
      any(t.get("key") == "node-role.kubernetes.io/control-plane" and t.get("operator") == "Exists"
          and t.get("effect") == "NoSchedule" for t in pod.get("tolerations", [])))
check("hostPID: true", pod.get("hostPID") is True)
check("hostNetwork: not set (the pod network; metrics on the pod IP)", not pod.get("hostNetwork"))
check("serviceAccountName kube-audit-agent, no token", pod.get("serviceAccountName") == "kube-audit-agent"
      and pod.get("automountServiceAccountToken") is False)
cs = pod.get("containers", [])
check("one container", len(cs) == 1)
c = cs[0]
sc = c.get("securityContext", {})
caps = sc.get("capabilities", {})
check("capabilities: drop ALL", caps.get("drop") == ["ALL"], caps.get("drop"))
check("capabilities: add exactly BPF PERFMON SYS_ADMIN SYS_PTRACE DAC_READ_SEARCH",
      sorted(caps.get("add", [])) == sorted(CAPS), caps.get("add"))
check("readOnlyRootFilesystem: true", sc.get("readOnlyRootFilesystem") is True)
check("not privileged, no privilege escalation",
      not sc.get("privileged") and sc.get("allowPrivilegeEscalation") is False)
check("root in the container (added capabilities reach only uid 0 with no_new_privs)",
      sc.get("runAsUser") == 0)
raw = open(os.path.join(kdir, "daemonset.yaml")).read()
check("privileged: true is there only as a commented alternative",
      re.search(r"^\s*#\s*privileged: true", raw, re.M) and not re.search(r"^\s*privileged: true", raw, re.M))
check("seccomp: RuntimeDefault", (pod.get("securityContext", {}).get("seccompProfile") or {}).get("type") == "RuntimeDefault")
env = {e["name"]: e for e in c.get("env", [])}
check("NODE_NAME from the downward API (spec.nodeName)",
      env.get("NODE_NAME", {}).get("valueFrom", {}).get("fieldRef", {}).get("fieldPath") == "spec.nodeName")
res = c.get("resources", {})
check("resources: requests and limits of cpu and memory",
      all(res.get(k, {}).get(r) for k in ("requests", "limits") for r in ("cpu", "memory")), res)
args = c.get("args", [])
check("runs `run --config /etc/kube-audit-agent/agent.yaml`", args == ["run", "--config", "/etc/kube-audit-agent/agent.yaml"], args)

vols = {v["name"]: v for v in pod.get("volumes", [])}
mounts = {m["mountPath"]: m for m in c.get("volumeMounts", [])}
def host(path):
    for m in c.get("volumeMounts", []):
        v = vols.get(m["name"], {})
        if v.get("hostPath", {}).get("path") == path:
            return m
    return None
for p in ("/var/log/kubernetes/audit", "/sys/kernel/btf", "/sys/kernel/tracing"):
    m = host(p)
    check(f"hostPath {p} mounted read-only at the same path", m and m.get("readOnly") is True and m["mountPath"] == p, m)
m = host("/var/lib/kube-audit-agent")
check("hostPath /var/lib/kube-audit-agent mounted writable at the same path",
      m and not m.get("readOnly") and m["mountPath"] == "/var/lib/kube-audit-agent", m)
hostpaths = sorted(v["hostPath"]["path"] for v in vols.values() if "hostPath" in v)
check("no other hostPath", hostpaths == sorted(["/var/log/kubernetes/audit", "/sys/kernel/btf",
      "/sys/kernel/tracing", "/var/lib/kube-audit-agent"]), hostpaths)
cm = vols.get("config", {}).get("configMap", {})
check("the ConfigMap volume names the generator's ConfigMap", cm.get("name") == "kube-audit-agent-config")
check("ConfigMap items: agent.yaml, and local-rules.yml into rules.d/",
      sorted((i["key"], i["path"]) for i in cm.get("items", []))
      == [("agent.yaml", "agent.yaml"), ("local-rules.yml", "rules.d/local-rules.yml")])
check("the ConfigMap is mounted read-only at /etc/kube-audit-agent",
      mounts.get("/etc/kube-audit-agent", {}).get("name") == "config"
      and mounts["/etc/kube-audit-agent"].get("readOnly") is True)
sec = [v for v in vols.values() if "secret" in v]
check("a Secret volume kube-audit-agent-collector, optional (the pod starts before it exists)",
      len(sec) == 1 and sec[0]["secret"].get("secretName") == "kube-audit-agent-collector"
      and sec[0]["secret"].get("optional") is True)
secmount = next((m for m in c.get("volumeMounts", []) if sec and m["name"] == sec[0]["name"]), {})
check("the Secret is mounted read-only", secmount.get("readOnly") is True)

# --- the ConfigMap's agent.yaml against the pod and the Debian package's agent.yaml ----------
conf = yaml.safe_load(open(os.path.join(kdir, "agent.yaml")))
deb = yaml.safe_load(open(deb_conf_path))
port = next((p for p in c.get("ports", []) if p.get("name") == "metrics"), {})
listen = conf.get("metrics", {}).get("listen", "")
lhost, _, lport = listen.rpartition(":")
check("metrics.listen port is the container's metrics port", port.get("containerPort") == int(lport or 0), (listen, port))
check("metrics.listen is reachable by the kubelet (all addresses; the pod has no hostNetwork)",
      lhost in ("0.0.0.0", "[::]", ""), listen)
for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
    g = c.get(probe, {}).get("httpGet", {})
    check(f"{probe}: httpGet {path} on the metrics port", g.get("path") == path and g.get("port") in ("metrics", port.get("containerPort")), g)
inputs = [i["path"] for i in conf.get("inputs", [])]
check("agent.yaml's input is under the audit log mount",
      all(os.path.dirname(p) == "/var/log/kubernetes/audit" for p in inputs) and inputs, inputs)
check("agent.yaml's state_dir is the state mount", conf.get("state_dir") == "/var/lib/kube-audit-agent")
check("agent.yaml's rules.d is where the ConfigMap puts local-rules.yml",
      "/etc/kube-audit-agent/rules.d" in conf.get("rules", []))
check("the same inputs as the package (path, log_type, start_at)", conf.get("inputs") == deb.get("inputs"),
      (conf.get("inputs"), deb.get("inputs")))
check("the same state_dir as the package", conf.get("state_dir") == deb.get("state_dir"))
check("the same rules directories as the package", conf.get("rules") == deb.get("rules"), conf.get("rules"))
check("the same correlation settings as the package", conf.get("correlation") == deb.get("correlation"))
check("the same keys as the package", sorted(conf) == sorted(deb), (sorted(conf), sorted(deb)))
check("the package listens on loopback only", deb.get("metrics", {}).get("listen") == "127.0.0.1:9464")
check("both keep unready_after_seconds", conf["metrics"].get("unready_after_seconds") == deb["metrics"].get("unready_after_seconds"))

# --- the Containerfile ---------------------------------------------------------------------------
cf = open(containerfile).read()
froms = re.findall(r"^FROM\s+(\S+)(?:\s+AS\s+(\S+))?", cf, re.M)
check("Containerfile: two stages, both Debian 12",
      len(froms) == 2 and all(re.search(r"debian:12(-slim)?$", f[0]) for f in froms), froms)
stages = re.split(r"^FROM\s", cf, flags=re.M)
check("Containerfile: the build stage runs make", re.search(r"^RUN make\b", stages[1], re.M))
copies = re.findall(r"^COPY --from=\S+\s+(\S+)\s+(\S+)", stages[2], re.M)
check("Containerfile: the runtime stage takes only the agent, the rules and the package list",
      sorted(d for _, d in copies) == ["/tmp/runtime-packages", "/usr/sbin/kube-audit-agent",
                                       "/usr/share/kube-audit-agent/rules"], copies)
users = re.findall(r"^USER\s+(\S+)", stages[2], re.M)
check("Containerfile: the runtime image's user is not root", users and not users[-1].startswith("0"), users)
PY
equal "the checks ran (python3)" "" "$(cat "$TMP/checks.err")"
while IFS= read -r line; do
	name=$(jq -r .name <<<"$line")
	if [ "$(jq -r .ok <<<"$line")" = true ]; then
		ok "$name"
	else
		not_ok "$name" "$(jq -r .detail <<<"$line")"
	fi
done <"$TMP/checks.jsonl"

# --- the ConfigMap's agent.yaml and local rule with the agent ---------------------------------
"$AGENT" test "$K/local-rules.yml" "$ROOT/rules/data_models" >"$TMP/local-test.out" 2>&1
equal "local-rules.yml passes its tests (exit 0)" 0 "$?"
X=$TMP/podroot
mkdir -p "$X/usr/share/kube-audit-agent" "$TMP/rules.d"
ln -s "$ROOT/rules" "$X/usr/share/kube-audit-agent/rules"
cp "$K/local-rules.yml" "$TMP/rules.d/"
relocate "$K/agent.yaml" "$X" "$TMP/rules.d" >"$TMP/pod-agent.yaml"
check_config_shipped pod "the ConfigMap's agent.yaml" "$AGENT" "$TMP/pod-agent.yaml"
check "the ConfigMap's agent.yaml: the packaged rules and the local rule load (2 rules)" \
	grep -q '^# rules: 2 rules and 4 data models' "$TMP/pod.effective"
check "check-config created no state directory" test ! -e "$X/var/lib/kube-audit-agent"
