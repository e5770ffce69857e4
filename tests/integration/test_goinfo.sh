#!/usr/bin/env bash
# `kube-audit-agent go-info` on a Go binary built now from tests/data/goserver (normal and
# -ldflags='-s -w', and the same as PIEs): the Go version is `go env GOVERSION` and ServeHTTP's address and file offset
# are the same in both; a file that is not ELF is refused with exit 1 and a reason.
. "$(dirname "$0")/lib.sh"

clean() { ! grep -qE 'ERROR: (Address|Leak|Undefined)Sanitizer|runtime error:' "$@"; }

"$AGENT" go-info --help >"$TMP/help" 2>&1
equal "go-info --help: exit 0" 0 $?
check "go-info --help describes --func" grep -q -- '--func NAME' "$TMP/help"

"$AGENT" go-info "$ROOT/Makefile" >"$TMP/out" 2>"$TMP/err"
equal "go-info on a text file: exit 1" 1 $?
equal "go-info on a text file: says why" "go-info: $ROOT/Makefile: not an ELF file" "$(cat "$TMP/err")"

if ! command -v go >/dev/null; then
	skip "go-info on a Go binary" "go is not on PATH (make deps installs golang-go)"
	exit 0
fi
gobuild() { # OUTPUT LDFLAGS [BUILD FLAGS...]
	local out=$1 ldflags=$2
	shift 2
	(cd "$TMP" && GOCACHE="$TMP/cache" GOPATH="$TMP/gopath" GOTOOLCHAIN=local CGO_ENABLED=0 \
		GOFLAGS= go build "$@" -ldflags="$ldflags" -o "$out" "$ROOT/tests/data/goserver/main.go") \
		>"$TMP/build.log" 2>&1
}
if ! gobuild "$TMP/goserver" "" || ! gobuild "$TMP/goserver-s" "-s -w" ||
	! gobuild "$TMP/goserver-pie" "" -buildmode=pie ||
	! gobuild "$TMP/goserver-pie-s" "-s -w" -buildmode=pie; then
	not_ok "go build tests/data/goserver" "$(head -n 5 "$TMP/build.log")"
	exit 0
fi
version=$(GOTOOLCHAIN=local go env GOVERSION)
for bin in goserver goserver-s goserver-pie goserver-pie-s; do
	"$AGENT" go-info "$TMP/$bin" >"$TMP/$bin.out" 2>"$TMP/$bin.err"
	equal "go-info $bin: exit 0" 0 $?
	check "go-info $bin: no sanitizer report" clean "$TMP/$bin.err"
	equal "go-info $bin: the Go version is go env GOVERSION" "go version: $version" \
		"$(sed -n 1p "$TMP/$bin.out")"
	check "go-info $bin: ServeHTTP's address and file offset" grep -qE \
		'^net/http\.serverHandler\.ServeHTTP: address 0x[0-9a-f]+, file offset 0x[0-9a-f]+$' \
		"$TMP/$bin.out"
done
equal "go-info: the stripped binary has no symbol table" "symbol table: no (stripped)" \
	"$(sed -n 2p "$TMP/goserver-s.out")"
equal "go-info: ServeHTTP is at the same place with and without symbols" \
	"$(grep ServeHTTP "$TMP/goserver.out")" "$(grep ServeHTTP "$TMP/goserver-s.out")"
# a PIE keeps its pclntab in .data.rel.ro.gopclntab
equal "go-info: ServeHTTP is at the same place in a PIE with and without symbols" \
	"$(grep ServeHTTP "$TMP/goserver-pie.out")" "$(grep ServeHTTP "$TMP/goserver-pie-s.out")"

"$AGENT" go-info --func main.main --func main.noSuchFunc "$TMP/goserver-s" >"$TMP/f.out" 2>"$TMP/f.err"
equal "go-info --func with a missing function: exit 1" 1 $?
check "go-info --func: main.main found" grep -q '^main.main: address 0x' "$TMP/f.out"
equal "go-info --func: the missing one is named" \
	"go-info: $TMP/goserver-s: function main.noSuchFunc not found in .gopclntab" "$(cat "$TMP/f.err")"
