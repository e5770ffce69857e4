#!/usr/bin/env bash
# Write examples/audit.log: a kube-apiserver audit log (--audit-log-path, one audit.k8s.io/v1
# Event per line, Metadata level, only the ResponseComplete stage) of a single-node kubeadm
# cluster (control-plane node cp-1, 192.168.56.10, Kubernetes v1.29.4).
#
#   examples/make-audit-log.sh > examples/audit.log
#
# Deterministic: no clock, no /dev/urandom. "Random" values (jitter, latencies, watch
# timeouts) come from a fixed-seed linear congruential generator and the audit IDs are
# md5 sums of a counter, so every run prints the same bytes. Needs bash and jq.
#
# Two excerpts of the log, in the order kube-apiserver writes them (by stageTimestamp):
#   09:00-09:20  lease renewals, kube-probe health checks, controller discovery, watches of
#                coredns / kube-proxy / kubelet / scheduler / controller-manager, and a kubectl
#                session of kubernetes-admin that deploys nginx; in between, anonymous
#                requests from outside (see "Anonymous" below);
#   10:24-10:26  the same background, and the scanner's user agent back from a new address.
#
# Anonymous requests (user system:anonymous) and what the rule Kubernetes.API.AnonymousAccess
# makes of them:
#   kube-probe/1.29 from 192.168.56.10 on /livez /readyz /healthz    no alert (probe, health)
#   python-requests/2.31.0 on /healthz                                no alert (health URI)
#   curl/7.81.0 from 127.0.0.1 on /version                            no alert (localhost)
#   09:04:12 curl/8.4.0 from 203.0.113.45 on /version (allowed)       alert 1, /version title
#   09:07:30 python-requests/2.31.0 from 198.51.100.77: secrets in default (forbid, 403)
#   09:07:31   same scanner: secrets in kube-system (forbid, 403)
#   09:12:05   same scanner: secrets, cluster scope (forbid, 403)     alert 2, 3 events
#   09:15:40 Go-http-client/1.1 from 192.0.2.10 on /apis (allowed through a ClusterRoleBinding
#            "anonymous-discovery" someone added)                     alert 3
#   10:24:10 python-requests/2.31.0 from 203.0.113.99: secrets in default (forbid, 403); more
#            than 60 minutes after 09:07:30, so a new dedup window    alert 4
set -euo pipefail
export LC_ALL=C TZ=UTC

BASE=1715677200 # 2024-05-14T09:00:00Z
MIN=60000000    # one minute in microseconds
SEC=1000000
K8S='v1.29.4 (linux/amd64) kubernetes/55019c8'
NODE_IP=192.168.56.10
ADMIN_IP=192.168.56.1

out=$(mktemp)
trap 'rm -f "$out"' EXIT

# --- deterministic helpers ------------------------------------------------------------------
seed=20240514
R=0
rnd() { # rnd N: R = next pseudo-random number in [0, N)
	seed=$(((seed * 1103515245 + 12345) % 2147483648))
	R=$(((seed >> 8) % $1))
}
nid=0
ID=
uuid() { # ID = the next audit ID (a v4-shaped UUID from a counter)
	local h
	nid=$((nid + 1))
	h=$(printf 'kube-audit-agent example %d' "$nid" | md5sum)
	ID="${h:0:8}-${h:8:4}-4${h:13:3}-$(printf '%x' $((8 + 0x${h:16:1} % 4)))${h:17:3}-${h:20:12}"
}
TS=
ts() { # TS = RFC 3339 with microseconds for an offset in microseconds from BASE
	local us=$(($1 + BASE * SEC))
	printf -v TS '%(%Y-%m-%dT%H:%M:%S)T.%06dZ' $((us / SEC)) $((us % SEC))
}
rv_at() { echo $((1843000 + $1 / 400000)); } # a resourceVersion that grows with time

# emit RECEIVED_US DURATION_US VERB URI USER SOURCE_IPS USER_AGENT OBJECT_REF STATUS ANNOTATIONS
# (USER, SOURCE_IPS, OBJECT_REF, STATUS, ANNOTATIONS are JSON; OBJECT_REF may be null)
emit() {
	local rt st
	uuid
	ts "$1"
	rt=$TS
	ts $(($1 + $2))
	st=$TS
	jq -nc --arg id "$ID" --arg verb "$3" --arg uri "$4" --argjson user "$5" \
		--argjson ips "$6" --arg ua "$7" --argjson obj "$8" --argjson status "$9" \
		--argjson ann "${10}" --arg rt "$rt" --arg st "$st" \
		'{kind: "Event", apiVersion: "audit.k8s.io/v1", level: "Metadata", auditID: $id,
		  stage: "ResponseComplete", requestURI: $uri, verb: $verb, user: $user,
		  sourceIPs: $ips, userAgent: $ua}
		 + (if $obj == null then {} else {objectRef: $obj} end)
		 + {responseStatus: $status, requestReceivedTimestamp: $rt, stageTimestamp: $st,
		    annotations: $ann}' |
		{
			IFS= read -r line
			printf '%015d\t%s\n' $(($1 + $2)) "$line"
		} >>"$out"
}

allow() { jq -nc --arg r "$1" '{"authorization.k8s.io/decision": "allow",
	"authorization.k8s.io/reason": $r}'; }
rbac() { allow "RBAC: allowed by $1"; }
OK='{"metadata":{},"code":200}'
CREATED='{"metadata":{},"code":201}'
IP_NODE="[\"$NODE_IP\"]"

# --- who is talking -------------------------------------------------------------------------
U_KCM='{"username":"system:kube-controller-manager","groups":["system:authenticated"]}'
U_SCHED='{"username":"system:kube-scheduler","groups":["system:authenticated"]}'
U_NODE='{"username":"system:node:cp-1","groups":["system:nodes","system:authenticated"]}'
U_ADMIN='{"username":"kubernetes-admin","groups":["kubeadm:cluster-admins","system:authenticated"]}'
U_ANON='{"username":"system:anonymous","groups":["system:unauthenticated"]}'
sa() { # sa NAME UID [POD POD_UID]: a kube-system service account
	local extra=''
	if [ $# -gt 2 ]; then
		extra=",\"extra\":{\"authentication.kubernetes.io/pod-name\":[\"$3\"],\"authentication.kubernetes.io/pod-uid\":[\"$4\"]}"
	fi
	printf '{"username":"system:serviceaccount:kube-system:%s","uid":"%s","groups":["system:serviceaccounts","system:serviceaccounts:kube-system","system:authenticated"]%s}' \
		"$1" "$2" "$extra"
}
U_COREDNS=$(sa coredns 5b0f6c1e-7d2a-4c8e-9a41-2f3e8d6b7c10 coredns-76f75df574-4xkzp \
	0c9d8e7f-1a2b-4c3d-8e5f-6a7b8c9d0e1f)
U_PROXY=$(sa kube-proxy 8e2d4f6a-0b1c-4d3e-9f5a-7b8c9d0e1f2a kube-proxy-8wq2d \
	3f4e5d6c-7b8a-4910-a2b3-c4d5e6f7a8b9)
U_GC=$(sa generic-garbage-collector 1d2c3b4a-5e6f-4a7b-8c9d-0e1f2a3b4c5d)
U_DEPLOY=$(sa deployment-controller 6a5b4c3d-2e1f-4a0b-9c8d-7e6f5a4b3c2d)
U_RS=$(sa replicaset-controller 9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a)

UA_KCM="kube-controller-manager/$K8S"
UA_SCHED="kube-scheduler/$K8S"
UA_NODE="kubelet/$K8S"
UA_KUBECTL="kubectl/$K8S"
UA_PROXY="kube-proxy/$K8S"
# shellcheck disable=SC2016 # $Format is literal: CoreDNS is built without a version stamp
UA_COREDNS='coredns/v0.0.0 (linux/amd64) kubernetes/$Format'
UA_PROBE='kube-probe/1.29'

A_KCM=$(rbac 'ClusterRoleBinding "system:kube-controller-manager" of ClusterRole "system:kube-controller-manager" to User "system:kube-controller-manager"')
A_SCHED=$(rbac 'ClusterRoleBinding "system:kube-scheduler" of ClusterRole "system:kube-scheduler" to User "system:kube-scheduler"')
A_NODE=$(allow '') # the Node authorizer gives no reason
A_ADMIN=$(rbac 'ClusterRoleBinding "kubeadm:cluster-admins" of ClusterRole "cluster-admin" to Group "kubeadm:cluster-admins"')
A_COREDNS=$(rbac 'ClusterRoleBinding "system:coredns" of ClusterRole "system:coredns" to ServiceAccount "coredns/kube-system"')
A_PROXY=$(rbac 'ClusterRoleBinding "kubeadm:node-proxier" of ClusterRole "system:node-proxier" to ServiceAccount "kube-proxy/kube-system"')
A_DISCOVERY=$(rbac 'ClusterRoleBinding "system:discovery" of ClusterRole "system:discovery" to Group "system:authenticated"')
A_DEPLOY=$(rbac 'ClusterRoleBinding "system:controller:deployment-controller" of ClusterRole "system:controller:deployment-controller" to ServiceAccount "deployment-controller/kube-system"')
A_RS=$(rbac 'ClusterRoleBinding "system:controller:replicaset-controller" of ClusterRole "system:controller:replicaset-controller" to ServiceAccount "replicaset-controller/kube-system"')
A_PUBLIC=$(rbac 'ClusterRoleBinding "system:public-info-viewer" of ClusterRole "system:public-info-viewer" to Group "system:unauthenticated"')
A_ANON_DISCOVERY=$(rbac 'ClusterRoleBinding "anonymous-discovery" of ClusterRole "system:discovery" to Group "system:unauthenticated"')
A_FORBID='{"authorization.k8s.io/decision":"forbid","authorization.k8s.io/reason":""}'

# --- background -----------------------------------------------------------------------------
# lease NAME NAMESPACE UID USER UA ANN PERIOD_S OFFSET_US FROM_US TO_US
lease() {
	local t=$(($9 + $8)) ns=$2
	while [ $t -lt ${10} ]; do
		rnd 90000
		local at=$((t + R)) obj
		obj=$(printf '{"resource":"leases","namespace":"%s","name":"%s","uid":"%s","apiGroup":"coordination.k8s.io","apiVersion":"v1","resourceVersion":"%s"}' \
			"$ns" "$1" "$3" "$(rv_at $at)")
		rnd 6000
		emit $at $((1800 + R)) update "/apis/coordination.k8s.io/v1/namespaces/$ns/leases/$1?timeout=${11:-5s}" \
			"$4" "$IP_NODE" "$5" "$obj" "$OK" "$6"
		t=$((t + $7 * SEC))
	done
}

# probe URI PERIOD_S OFFSET_US FROM_US TO_US: the kubelet's probes of kube-apiserver
probe() {
	local t=$(($4 + $3))
	while [ $t -lt $5 ]; do
		rnd 20000
		local at=$((t + R))
		rnd 900
		emit $at $((350 + R)) get "$1" "$U_ANON" "$IP_NODE" "$UA_PROBE" null "$OK" "$A_PUBLIC"
		t=$((t + $2 * SEC))
	done
}

# discovery PERIOD_S OFFSET_US FROM_US TO_US: the garbage collector's periodic discovery
discovery() {
	local t=$(($3 + $2)) uri
	while [ $t -lt $4 ]; do
		for uri in '/api?timeout=32s' '/apis?timeout=32s'; do
			rnd 4000
			local at=$((t + R))
			rnd 3000
			emit $at $((900 + R)) get "$uri" "$U_GC" "$IP_NODE" \
				"$UA_KCM/system:serviceaccount:kube-system:generic-garbage-collector" null "$OK" \
				"$A_DISCOVERY"
			t=$((t + 7000))
		done
		t=$((t - 14000 + $1 * SEC))
	done
}

# watch USER IP UA ANN PATH QUERY OBJREF: a client-go watch chain; every watch runs for its
# timeout (5 to 10 minutes) and is logged when it ends, the next one starts right after.
watch() {
	rnd 600
	local t=$((-R * SEC)) dur secs uri sel=''
	rnd 1000000
	t=$((t - R))
	[ -n "$6" ] && sel="&$6"
	while :; do
		rnd 300
		secs=$((300 + R))
		dur=$((secs * SEC))
		[ $((t + dur)) -ge $((20 * MIN)) ] && break
		# client-go sorts the query parameters
		uri="$5?allowWatchBookmarks=true$sel&resourceVersion=$(rv_at $t)"
		uri+="&timeout=$((secs / 60))m$((secs % 60))s&timeoutSeconds=$secs&watch=true"
		rnd 2000
		[ $((t + dur)) -ge 0 ] && emit $t $((dur + R)) watch "$uri" "$1" "$2" "$3" "$7" "$OK" "$4"
		rnd 30000
		t=$((t + dur + 1000 + R))
	done
}

background() { # FROM_US TO_US
	lease cp-1 kube-node-lease 2a1f0e9d-8c7b-4a6f-b5e4-d3c2b1a09f8e "$U_NODE" "$UA_NODE" \
		"$A_NODE" 40 3100000 "$1" "$2" 10s
	lease kube-controller-manager kube-system 7c6b5a49-3827-4165-a4f3-e2d1c0b9a8f7 "$U_KCM" \
		"$UA_KCM/leader-election" "$A_KCM" 30 1200000 "$1" "$2"
	lease kube-scheduler kube-system 4e3d2c1b-0a9f-4e8d-b7c6-b5a493827160 "$U_SCHED" \
		"$UA_SCHED/leader-election" "$A_SCHED" 30 16400000 "$1" "$2"
	probe /livez 60 7300000 "$1" "$2"
	probe /readyz 60 37500000 "$1" "$2"
	probe /healthz 120 52800000 "$1" "$2"
	discovery 60 21000000 "$1" "$2"
}

background 0 $((20 * MIN))
background $((84 * MIN)) $((86 * MIN))

# watches (09:00-09:20 only)
COREDNS_IP='["10.244.0.2"]'
watch "$U_COREDNS" "$COREDNS_IP" "$UA_COREDNS" "$A_COREDNS" /apis/discovery.k8s.io/v1/endpointslices '' \
	'{"resource":"endpointslices","apiGroup":"discovery.k8s.io","apiVersion":"v1"}'
watch "$U_COREDNS" "$COREDNS_IP" "$UA_COREDNS" "$A_COREDNS" /api/v1/services '' \
	'{"resource":"services","apiVersion":"v1"}'
watch "$U_COREDNS" "$COREDNS_IP" "$UA_COREDNS" "$A_COREDNS" /api/v1/namespaces '' \
	'{"resource":"namespaces","apiVersion":"v1"}'
PROXY_SEL='labelSelector=%21service.kubernetes.io%2Fheadless%2C%21service.kubernetes.io%2Fservice-proxy-name'
watch "$U_PROXY" "$IP_NODE" "$UA_PROXY" "$A_PROXY" /apis/discovery.k8s.io/v1/endpointslices "$PROXY_SEL" \
	'{"resource":"endpointslices","apiGroup":"discovery.k8s.io","apiVersion":"v1"}'
watch "$U_PROXY" "$IP_NODE" "$UA_PROXY" "$A_PROXY" /api/v1/services "$PROXY_SEL" \
	'{"resource":"services","apiVersion":"v1"}'
watch "$U_PROXY" "$IP_NODE" "$UA_PROXY" "$A_PROXY" /api/v1/nodes 'fieldSelector=metadata.name%3Dcp-1' \
	'{"resource":"nodes","apiVersion":"v1"}'
watch "$U_NODE" "$IP_NODE" "$UA_NODE" "$A_NODE" /api/v1/namespaces/kube-system/configmaps \
	'fieldSelector=metadata.name%3Dkube-proxy' \
	'{"resource":"configmaps","namespace":"kube-system","apiVersion":"v1"}'
watch "$U_NODE" "$IP_NODE" "$UA_NODE" "$A_NODE" /api/v1/pods 'fieldSelector=spec.nodeName%3Dcp-1' \
	'{"resource":"pods","apiVersion":"v1"}'
watch "$U_NODE" "$IP_NODE" "$UA_NODE" "$A_NODE" /api/v1/nodes 'fieldSelector=metadata.name%3Dcp-1' \
	'{"resource":"nodes","apiVersion":"v1"}'
watch "$U_SCHED" "$IP_NODE" "$UA_SCHED" "$A_SCHED" /api/v1/pods \
	'fieldSelector=status.phase%21%3DSucceeded%2Cstatus.phase%21%3DFailed' \
	'{"resource":"pods","apiVersion":"v1"}'
watch "$U_SCHED" "$IP_NODE" "$UA_SCHED" "$A_SCHED" /api/v1/nodes '' '{"resource":"nodes","apiVersion":"v1"}'
watch "$U_KCM" "$IP_NODE" "$UA_KCM/shared-informers" "$A_KCM" /apis/apps/v1/deployments '' \
	'{"resource":"deployments","apiGroup":"apps","apiVersion":"v1"}'
watch "$U_KCM" "$IP_NODE" "$UA_KCM/shared-informers" "$A_KCM" /apis/apps/v1/replicasets '' \
	'{"resource":"replicasets","apiGroup":"apps","apiVersion":"v1"}'
watch "$U_KCM" "$IP_NODE" "$UA_KCM/shared-informers" "$A_KCM" /api/v1/pods '' \
	'{"resource":"pods","apiVersion":"v1"}'

# the kubelet's node status: read, then patch, every 5 minutes
for m in 1 6 11 16; do
	t=$((m * MIN + 44 * SEC + 120000))
	rv=$(rv_at $t)
	emit $t 1400 get '/api/v1/nodes/cp-1?resourceVersion=0&timeout=10s' "$U_NODE" "$IP_NODE" "$UA_NODE" \
		'{"resource":"nodes","name":"cp-1","apiVersion":"v1"}' "$OK" "$A_NODE"
	emit $((t + 3100)) 5200 patch '/api/v1/nodes/cp-1/status?timeout=10s' "$U_NODE" "$IP_NODE" "$UA_NODE" \
		"{\"resource\":\"nodes\",\"name\":\"cp-1\",\"apiVersion\":\"v1\",\"subresource\":\"status\",\"resourceVersion\":\"$rv\"}" \
		"$OK" "$A_NODE"
done

# --- kubernetes-admin deploys nginx ---------------------------------------------------------
IP_ADMIN="[\"$ADMIN_IP\"]"
kubectl() { # kubectl AT_US DUR_US VERB URI OBJREF STATUS
	emit "$1" "$2" "$3" "$4" "$U_ADMIN" "$IP_ADMIN" "$UA_KUBECTL" "$5" "$6" "$A_ADMIN"
}
T=$((10 * MIN + 2 * SEC))
kubectl $((T + 104211)) 2113 get '/api?timeout=32s' null "$OK"
kubectl $((T + 109873)) 3527 get '/apis?timeout=32s' null "$OK"
kubectl $((T + 131542)) 4018 list '/api/v1/nodes?limit=500' '{"resource":"nodes","apiVersion":"v1"}' "$OK"
kubectl $((T + 13 * SEC + 402117)) 6231 list '/api/v1/pods?limit=500' '{"resource":"pods","apiVersion":"v1"}' "$OK"
T=$((11 * MIN + 40 * SEC))
NOT_FOUND='{"metadata":{},"status":"Failure","message":"deployments.apps \"nginx\" not found","reason":"NotFound","details":{"name":"nginx","group":"apps","kind":"deployments"},"code":404}'
kubectl $((T + 215530)) 1650 get /apis/apps/v1/namespaces/default/deployments/nginx \
	'{"resource":"deployments","namespace":"default","name":"nginx","apiGroup":"apps","apiVersion":"v1"}' "$NOT_FOUND"
kubectl $((T + 224871)) 9112 create \
	'/apis/apps/v1/namespaces/default/deployments?fieldManager=kubectl-client-side-apply&fieldValidation=Strict' \
	'{"resource":"deployments","namespace":"default","name":"nginx","apiGroup":"apps","apiVersion":"v1"}' "$CREATED"
DEP_UID=e3b0c442-98fc-4c14-9afb-f4c8996fb924
RS=nginx-7c5ddbdf54
RS_UID=a1b2c3d4-e5f6-4789-8abc-def012345678
PODS=(nginx-7c5ddbdf54-2lq9x nginx-7c5ddbdf54-vk7hm)
POD_UIDS=(b7c1d2e3-f4a5-4b6c-9d7e-8f9a0b1c2d3e c8d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f)
t=$((T + 241007))
emit $t 7730 create /apis/apps/v1/namespaces/default/replicasets "$U_DEPLOY" "$IP_NODE" \
	"$UA_KCM/system:serviceaccount:kube-system:deployment-controller" \
	'{"resource":"replicasets","namespace":"default","apiGroup":"apps","apiVersion":"v1"}' "$CREATED" "$A_DEPLOY"
emit $((t + 9120)) 4410 update /apis/apps/v1/namespaces/default/deployments/nginx/status "$U_DEPLOY" "$IP_NODE" \
	"$UA_KCM/system:serviceaccount:kube-system:deployment-controller" \
	"{\"resource\":\"deployments\",\"namespace\":\"default\",\"name\":\"nginx\",\"uid\":\"$DEP_UID\",\"apiGroup\":\"apps\",\"apiVersion\":\"v1\",\"resourceVersion\":\"$(rv_at $t)\",\"subresource\":\"status\"}" \
	"$OK" "$A_DEPLOY"
A_POD=$(jq -c '. + {"pod-security.kubernetes.io/enforce-policy": "privileged:latest"}' <<<"$A_RS")
for i in 0 1; do
	pt=$((t + 12400 + i * 3300))
	emit $pt 6120 create /api/v1/namespaces/default/pods "$U_RS" "$IP_NODE" \
		"$UA_KCM/system:serviceaccount:kube-system:replicaset-controller" \
		'{"resource":"pods","namespace":"default","apiVersion":"v1"}' "$CREATED" "$A_POD"
	emit $((pt + 19870)) 3890 create "/api/v1/namespaces/default/pods/${PODS[i]}/binding" "$U_SCHED" "$IP_NODE" \
		"$UA_SCHED/scheduler" \
		"{\"resource\":\"pods\",\"namespace\":\"default\",\"name\":\"${PODS[i]}\",\"apiVersion\":\"v1\",\"subresource\":\"binding\"}" \
		"$CREATED" "$A_SCHED"
	emit $((pt + 26110)) 2870 create /apis/events.k8s.io/v1/namespaces/default/events "$U_SCHED" "$IP_NODE" \
		"$UA_SCHED/scheduler" \
		'{"resource":"events","namespace":"default","apiGroup":"events.k8s.io","apiVersion":"v1"}' \
		"$CREATED" "$A_SCHED"
	# ContainerCreating, then Running once the image is pulled
	for s in 0 1; do
		st=$((pt + 81000 + s * (7 * SEC + 310000) + i * 52000))
		emit $st 4950 patch "/api/v1/namespaces/default/pods/${PODS[i]}/status" "$U_NODE" "$IP_NODE" "$UA_NODE" \
			"{\"resource\":\"pods\",\"namespace\":\"default\",\"name\":\"${PODS[i]}\",\"uid\":\"${POD_UIDS[i]}\",\"apiVersion\":\"v1\",\"resourceVersion\":\"$(rv_at $st)\",\"subresource\":\"status\"}" \
			"$OK" "$A_NODE"
	done
done
emit $((t + 21500)) 3320 update "/apis/apps/v1/namespaces/default/replicasets/$RS/status" "$U_RS" "$IP_NODE" \
	"$UA_KCM/system:serviceaccount:kube-system:replicaset-controller" \
	"{\"resource\":\"replicasets\",\"namespace\":\"default\",\"name\":\"$RS\",\"uid\":\"$RS_UID\",\"apiGroup\":\"apps\",\"apiVersion\":\"v1\",\"resourceVersion\":\"$(rv_at $t)\",\"subresource\":\"status\"}" \
	"$OK" "$A_RS"
emit $((t + 7 * SEC + 512000)) 4120 update /apis/apps/v1/namespaces/default/deployments/nginx/status "$U_DEPLOY" \
	"$IP_NODE" "$UA_KCM/system:serviceaccount:kube-system:deployment-controller" \
	"{\"resource\":\"deployments\",\"namespace\":\"default\",\"name\":\"nginx\",\"uid\":\"$DEP_UID\",\"apiGroup\":\"apps\",\"apiVersion\":\"v1\",\"resourceVersion\":\"$(rv_at $((t + 7 * SEC)))\",\"subresource\":\"status\"}" \
	"$OK" "$A_DEPLOY"
T=$((12 * MIN + 31 * SEC))
kubectl $((T + 77310)) 3954 list '/api/v1/namespaces/default/pods?limit=500' \
	'{"resource":"pods","namespace":"default","apiVersion":"v1"}' "$OK"
kubectl $((T + 41 * SEC + 308112)) 38412 get "/api/v1/namespaces/default/pods/${PODS[0]}/log?tailLines=20" \
	"{\"resource\":\"pods\",\"namespace\":\"default\",\"name\":\"${PODS[0]}\",\"apiVersion\":\"v1\",\"subresource\":\"log\"}" \
	"$OK"

# --- anonymous requests from outside (and one from the node itself) -------------------------
FORBIDDEN() { # FORBIDDEN WHERE: a 403 for listing secrets
	jq -nc --arg w "$1" '{metadata: {}, status: "Failure",
		message: ("secrets is forbidden: User \"system:anonymous\" cannot list resource \"secrets\" in API group \"\" " + $w),
		reason: "Forbidden", details: {kind: "secrets"}, code: 403}'
}
anon() { # anon AT_US DUR_US VERB URI IP UA OBJREF STATUS ANN
	emit "$1" "$2" "$3" "$4" "$U_ANON" "[\"$5\"]" "$6" "$7" "$8" "$9"
}
SCANNER='python-requests/2.31.0'
anon $((4 * MIN + 12 * SEC + 481203)) 612 get /version 203.0.113.45 curl/8.4.0 null "$OK" "$A_PUBLIC"
anon $((5 * MIN + 58 * SEC + 20544)) 503 get /version 127.0.0.1 curl/7.81.0 null "$OK" "$A_PUBLIC"
anon $((7 * MIN + 29 * SEC + 880417)) 455 get /healthz 198.51.100.77 "$SCANNER" null "$OK" "$A_PUBLIC"
anon $((7 * MIN + 30 * SEC + 118930)) 741 list /api/v1/namespaces/default/secrets 198.51.100.77 "$SCANNER" \
	'{"resource":"secrets","namespace":"default","apiVersion":"v1"}' \
	"$(FORBIDDEN 'in the namespace "default"')" "$A_FORBID"
anon $((7 * MIN + 31 * SEC + 2276)) 688 list /api/v1/namespaces/kube-system/secrets 198.51.100.77 "$SCANNER" \
	'{"resource":"secrets","namespace":"kube-system","apiVersion":"v1"}' \
	"$(FORBIDDEN 'in the namespace "kube-system"')" "$A_FORBID"
anon $((12 * MIN + 5 * SEC + 640019)) 702 list /api/v1/secrets 198.51.100.77 "$SCANNER" \
	'{"resource":"secrets","apiVersion":"v1"}' "$(FORBIDDEN 'at the cluster scope')" "$A_FORBID"
anon $((15 * MIN + 40 * SEC + 337861)) 1904 get /apis 192.0.2.10 Go-http-client/1.1 null "$OK" \
	"$A_ANON_DISCOVERY"
anon $((84 * MIN + 10 * SEC + 265733)) 733 list /api/v1/namespaces/default/secrets 203.0.113.99 "$SCANNER" \
	'{"resource":"secrets","namespace":"default","apiVersion":"v1"}' \
	"$(FORBIDDEN 'in the namespace "default"')" "$A_FORBID"

sort -s -t "$(printf '\t')" -k1,1n "$out" | cut -f2-
