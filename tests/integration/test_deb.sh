#!/usr/bin/env bash
# The Debian package (`make deb`, or the one named by $DEB): lintian finds no error and no
# warning; it holds the agent, the rules, agent.yaml (a 0600 conffile), rules.d, the state
# directory, the unit and the man page, and depends on the packages of the libraries the agent
# links; the installed agent passes its rules' tests and accepts the installed agent.yaml; the
# unit passes systemd-analyze verify. Installed into a scratch root (dpkg --root, maintainer
# scripts run chrootless with DPKG_ROOT), an upgrade keeps the configuration, the local rules
# and the state, and a purge removes the state. Nothing is installed on this machine.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/packaging.sh"

for tool in dpkg dpkg-deb lintian; do
	if ! command -v "$tool" >/dev/null; then
		skip "the Debian package" "$tool is not installed (make deps-pkg)"
		exit 0
	fi
done
VERSION=$(sed -n 's/^VERSION *:= *//p' "$ROOT/Makefile")
ARCH=$(dpkg --print-architecture)
PKG=kube-audit-agent

# --- the package -----------------------------------------------------------------------------
if [ -z "${DEB:-}" ]; then
	if ! command -v dpkg-buildpackage >/dev/null || ! command -v dh >/dev/null; then
		skip "the Debian package" "debhelper is not installed (make deps-pkg)"
		exit 0
	fi
	# a make of our own: none of the calling make's flags or variables
	(cd "$ROOT" && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES \
		make --no-print-directory OUT="$TMP/out" deb) >"$TMP/make.log" 2>&1
	status=$?
	if [ "$status" -ne 0 ]; then
		not_ok "make deb: exit 0" "exit $status" "$(tail -n 15 "$TMP/make.log")"
		exit 1
	fi
	ok "make deb: exit 0"
	DEB=$TMP/out/${PKG}_${VERSION}_${ARCH}.deb
fi
check "the package is named ${PKG}_${VERSION}_${ARCH}.deb" test -f "$DEB" -a \
	"$(basename "$DEB")" = "${PKG}_${VERSION}_${ARCH}.deb"

# lintian: every tag it prints, overrides (O:) included, as comments; no E: and no W: (the
# accepted ones are overridden, with the reason, in packaging/deb/*.lintian-overrides)
lintian --display-info --show-overrides "$DEB" >"$TMP/lintian.out" 2>/dev/null
sed 's/^/# lintian: /' "$TMP/lintian.out"
equal "lintian: no errors" "" "$(grep '^E:' "$TMP/lintian.out")"
equal "lintian: no warnings (the accepted ones are overridden with a reason)" "" \
	"$(grep '^W:' "$TMP/lintian.out")"

equal "control: package, version, architecture" "$PKG $VERSION $ARCH" \
	"$(dpkg-deb -f "$DEB" Package Version Architecture | cut -d' ' -f2 | paste -sd' ')"
equal "control: conffiles is agent.yaml alone" /etc/kube-audit-agent/agent.yaml \
	"$(dpkg-deb --ctrl-tarfile "$DEB" | tar -xO ./conffiles)"

# Depends names the package of every shared library the agent links (dpkg-shlibdeps)
dpkg-deb --fsys-tarfile "$DEB" | tar -xO ./usr/sbin/kube-audit-agent >"$TMP/agent.bin"
depends=$(dpkg-deb -f "$DEB" Depends)
missing=""
for soname in $(objdump -p "$TMP/agent.bin" | awk '$1 == "NEEDED" { print $2 }'); do
	lib=$(ldconfig -p | awk -v s="$soname" '$1 == s && /x86-64/ { print $NF; exit }')
	p=$(dpkg -S "$lib" 2>/dev/null || dpkg -S "$(readlink -f "$lib")" 2>/dev/null)
	p=${p%%:*}
	[[ ", $depends" == *", $p "* || ", $depends," == *", $p,"* ]] || missing="$missing $soname($p)"
done
equal "Depends names the package of each library the agent links" "" "$missing"
check "Depends: from dpkg-shlibdeps, with versions" grep -q 'libc6 (>= ' <<<"$depends"

# --- the files and their modes ---------------------------------------------------------------
dpkg-deb -c "$DEB" | awk '{ sub(/^\.\//, "", $6); print $1, $2, $6 }' >"$TMP/contents"
mode_of() { awk -v p="$1" '$3 == p { print $1, $2 }' "$TMP/contents"; }
equal "usr/sbin/kube-audit-agent: 0755 root" "-rwxr-xr-x root/root" "$(mode_of usr/sbin/kube-audit-agent)"
equal "etc/kube-audit-agent/agent.yaml: 0600 root" "-rw------- root/root" \
	"$(mode_of etc/kube-audit-agent/agent.yaml)"
equal "etc/kube-audit-agent/rules.d/: a directory, 0755" "drwxr-xr-x root/root" \
	"$(mode_of etc/kube-audit-agent/rules.d/)"
equal "var/lib/kube-audit-agent/: 0700 root" "drwx------ root/root" \
	"$(mode_of var/lib/kube-audit-agent/)"
equal "the unit: lib/systemd/system/kube-audit-agent.service, 0644" "-rw-r--r-- root/root" \
	"$(mode_of lib/systemd/system/kube-audit-agent.service)"
equal "the man page: usr/share/man/man8/kube-audit-agent.8.gz" "-rw-r--r-- root/root" \
	"$(mode_of usr/share/man/man8/kube-audit-agent.8.gz)"
equal "the system user: usr/lib/sysusers.d/kube-audit-agent.conf" "-rw-r--r-- root/root" \
	"$(mode_of usr/lib/sysusers.d/kube-audit-agent.conf)"
want=$(cd "$ROOT/rules" && find . -type f | sed 's#^\./#usr/share/kube-audit-agent/rules/#' | sort)
got=$(awk '$3 ~ /^usr\/share\/kube-audit-agent\/rules\/.*[^\/]$/ { print $3 }' "$TMP/contents" | sort)
equal "every rule and data model, and nothing else, in usr/share/kube-audit-agent/rules/" "$want" "$got"
equal "rules: 0644" "" "$(awk '$3 ~ /^usr\/share\/kube-audit-agent\/rules\/.*[^\/]$/ && $1 != "-rw-r--r--"' "$TMP/contents")"

# --- installed into a scratch root -----------------------------------------------------------
if [ "$(id -u)" != 0 ]; then
	skip "install, upgrade and purge in a scratch root" "needs root (dpkg --root)"
	exit 0
fi
R=$TMP/root
mkdir -p "$R/var/lib/dpkg/info" "$R/var/lib/dpkg/updates"
: >"$R/var/lib/dpkg/status"
# Depends are the host's libraries, not the scratch root's; maintainer scripts run with
# DPKG_ROOT=$R (debhelper's snippets and systemd-sysusers honour it)
dpkgr() { dpkg --root="$R" --force-script-chrootless --force-depends "$@"; }
host_passwd=$(md5sum </etc/passwd)
dpkgr -i "$DEB" >"$TMP/install.log" 2>&1
equal "dpkg -i into the scratch root: exit 0" 0 "$?"
equal "the host's /etc/passwd is untouched" "$host_passwd" "$(md5sum </etc/passwd)"
check "postinst created the system user _kube-audit-agent (systemd-sysusers)" \
	grep -q '^_kube-audit-agent:x:[0-9]*:[0-9]*:.*:/usr/sbin/nologin$' "$R/etc/passwd"
check "the service is not enabled at install" \
	test ! -e "$R/etc/systemd/system/multi-user.target.wants/kube-audit-agent.service"
equal "installed agent.yaml: 0600" 600 "$(stat -c %a "$R/etc/kube-audit-agent/agent.yaml")"

BIN=$R/usr/sbin/kube-audit-agent
equal "the installed agent: version" "kube-audit-agent $VERSION" "$("$BIN" version)"
check "its test and eval default to /usr/share/kube-audit-agent/rules" \
	grep -q '(default /usr/share/kube-audit-agent/rules)' <("$BIN" test --help)
"$BIN" test "$R/usr/share/kube-audit-agent/rules" >"$TMP/rules-test.out" 2>&1
equal "the installed agent passes the installed rules' tests (exit 0)" 0 "$?"
check "... last line N passed, 0 failed ($(tail -n 1 "$TMP/rules-test.out"))" \
	grep -qE '^[0-9]+ passed, 0 failed$' <(tail -n 1 "$TMP/rules-test.out")

# agent.yaml: valid for the installed agent, with the rules and state under the scratch root
# and the Kubernetes example rule as a local rule
mkdir -p "$TMP/rules.d"
cp "$ROOT/packaging/kubernetes/local-rules.yml" "$TMP/rules.d/"
relocate "$R/etc/kube-audit-agent/agent.yaml" "$R" "$TMP/rules.d" >"$TMP/agent.yaml"
check_config_shipped deb "installed agent.yaml" "$BIN" "$TMP/agent.yaml"
eff=$TMP/deb.effective
equal "agent.yaml: the kubeadm audit log" '- path: "/var/log/kubernetes/audit/audit.log"' \
	"$(grep -o -- '- path: .*' "$eff" | head -n 1)"
equal "agent.yaml: outputs are stdout alone" "  - type: stdout" "$(grep -E '^  - type:' "$eff")"
equal "agent.yaml: correlation auto" "  mode: auto" "$(grep -E '^  mode:' "$eff")"
equal "agent.yaml: state_dir /var/lib/kube-audit-agent" \
	"state_dir: /var/lib/kube-audit-agent" "$(grep -E '^state_dir:' "$R/etc/kube-audit-agent/agent.yaml")"
check "agent.yaml: rules from the package and rules.d (2 rules with the local one)" \
	grep -q '^# rules: 2 rules and 4 data models' "$eff"

# the man page: no groff warnings, and it documents every key of agent.yaml
man --warnings -E UTF-8 -l -Tutf8 -Z "$R/usr/share/man/man8/kube-audit-agent.8.gz" \
	>/dev/null 2>"$TMP/man.err"
equal "man page: no warnings from man --warnings" "" "$(cat "$TMP/man.err")"
man -l "$R/usr/share/man/man8/kube-audit-agent.8.gz" 2>/dev/null | col -b >"$TMP/man.txt"
for s in COMMANDS CONFIGURATION SIGNALS PRIVILEGES FILES ENVIRONMENT "EXIT STATUS"; do
	check "man page: section $s" grep -q "^$s" "$TMP/man.txt"
done
keys=$(sed -n 's/^#\{0,1\}\([a-z_]*\):.*/\1/p; s/^#\{0,1\}  \([a-z_]*\):.*/\1/p' \
	"$R/etc/kube-audit-agent/agent.yaml" | sort -u)
echo "# agent.yaml's keys:" $keys
undocumented=""
for k in $keys; do grep -qw -- "$k" "$TMP/man.txt" || undocumented="$undocumented $k"; done
equal "man page: every key agent.yaml names is documented" "" "$undocumented"

# --- the unit --------------------------------------------------------------------------------
U=$R/lib/systemd/system/kube-audit-agent.service
directive() { sed -n "s/^$1=//p" "$U"; }
equal "unit: ExecStart" "/usr/sbin/kube-audit-agent run --config /etc/kube-audit-agent/agent.yaml" \
	"$(directive ExecStart)"
equal "unit: ExecReload sends SIGHUP" '/bin/kill -HUP $MAINPID' "$(directive ExecReload)"
for d in Restart=on-failure NoNewPrivileges=yes ProtectSystem=strict \
	ReadWritePaths=/var/lib/kube-audit-agent ProtectHome=yes PrivateTmp=yes \
	User=_kube-audit-agent; do
	check "unit: $d" grep -qx "$d" "$U"
done
caps="CAP_BPF CAP_DAC_READ_SEARCH CAP_PERFMON CAP_SYS_ADMIN CAP_SYS_PTRACE"
equal "unit: CapabilityBoundingSet is exactly the five" "$caps" \
	"$(directive CapabilityBoundingSet | tr ' ' '\n' | sort | paste -sd' ')"
equal "unit: AmbientCapabilities the same (a non-root user keeps them across exec)" "$caps" \
	"$(directive AmbientCapabilities | tr ' ' '\n' | sort | paste -sd' ')"
if ! command -v systemd-analyze >/dev/null; then
	skip "systemd-analyze verify: the unit" "systemd-analyze is not installed (apt-get install systemd)"
else
	# verify checks that ExecStart exists and that `man kube-audit-agent(8)` works: point both
	# at the scratch root
	mkdir -p "$TMP/units"
	sed "s#/usr/sbin/kube-audit-agent#$BIN#" "$U" >"$TMP/units/kube-audit-agent.service"
	MANPATH=$R/usr/share/man systemd-analyze verify "$TMP/units/kube-audit-agent.service" \
		>"$TMP/verify.out" 2>&1
	status=$?
	equal "systemd-analyze verify: exit 0, nothing said" "0 " "$status $(cat "$TMP/verify.out")"
fi

# --- upgrade, remove, purge ------------------------------------------------------------------
echo "# a local change" >>"$R/etc/kube-audit-agent/agent.yaml"
cp "$ROOT/packaging/kubernetes/local-rules.yml" "$R/etc/kube-audit-agent/rules.d/"
echo '{"state": "kept"}' >"$R/var/lib/kube-audit-agent/state.json"
conf_sum=$(md5sum <"$R/etc/kube-audit-agent/agent.yaml")
# the next version: the same files, a higher version
mkdir "$TMP/next"
dpkg-deb -R "$DEB" "$TMP/next/pkg"
sed -i "s/^Version: .*/Version: $VERSION+1/" "$TMP/next/pkg/DEBIAN/control"
dpkg-deb --root-owner-group -b "$TMP/next/pkg" "$TMP/next/next.deb" >/dev/null
dpkgr -i "$TMP/next/next.deb" >"$TMP/upgrade.log" 2>&1
equal "upgrade to $VERSION+1: exit 0" 0 "$?"
equal "upgrade: the installed version" "$VERSION+1" \
	"$(dpkg-query --admindir="$R/var/lib/dpkg" -W -f='${Version}' $PKG)"
equal "upgrade keeps the changed agent.yaml" "$conf_sum" "$(md5sum <"$R/etc/kube-audit-agent/agent.yaml")"
check "upgrade keeps the local rules" test -f "$R/etc/kube-audit-agent/rules.d/local-rules.yml"
check "upgrade keeps the state" test -f "$R/var/lib/kube-audit-agent/state.json"
equal "upgrade: no question about agent.yaml" "" "$(grep 'Configuration file' "$TMP/upgrade.log")"

dpkgr -r $PKG >"$TMP/remove.log" 2>&1
equal "remove: exit 0" 0 "$?"
check "remove keeps the state" test -f "$R/var/lib/kube-audit-agent/state.json"
check "remove keeps agent.yaml" test -f "$R/etc/kube-audit-agent/agent.yaml"
check "remove takes the agent" test ! -e "$BIN"

mkdir -p "$R/var/log/kube-audit-agent"
echo '{}' >"$R/var/log/kube-audit-agent/alerts.jsonl"
dpkgr -P $PKG >"$TMP/purge.log" 2>&1
equal "purge: exit 0" 0 "$?"
check "purge removes /var/lib/kube-audit-agent" test ! -e "$R/var/lib/kube-audit-agent"
check "purge removes /var/log/kube-audit-agent" test ! -e "$R/var/log/kube-audit-agent"
check "purge removes agent.yaml" test ! -e "$R/etc/kube-audit-agent/agent.yaml"
check "purge leaves the operator's own rule files" \
	test -f "$R/etc/kube-audit-agent/rules.d/local-rules.yml"
