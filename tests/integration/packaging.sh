# Helpers for the packaging tests (test_deb.sh, test_k8s_manifests.sh): the shipped agent.yaml
# files checked by a given agent binary. Sourced after lib.sh; not a test itself.

# relocate FILE ROOTDIR LOCALRULES: agent.yaml with the packaged paths moved under ROOTDIR
# (rules and state) and the local rules directory replaced by LOCALRULES; the input path stays
relocate() {
	sed -e "s#/usr/share/kube-audit-agent/rules#$2/usr/share/kube-audit-agent/rules#" \
		-e "s#/etc/kube-audit-agent/rules.d#$3#" \
		-e "s#/var/lib/kube-audit-agent#$2/var/lib/kube-audit-agent#" "$1"
}

# check_config_shipped TAG NAME BIN FILE: check-config accepts FILE (already relocated); the
# effective configuration is left in $TMP/TAG.effective.
check_config_shipped() {
	local tag=$1 name=$2 bin=$3 file=$4
	"$bin" check-config --config "$file" >"$TMP/$tag.effective" 2>"$TMP/$tag.err"
	equal "$name: check-config accepts it (exit 0)" 0 "$?"
	equal "$name: nothing on check-config's stderr" "" "$(cat "$TMP/$tag.err")"
}
