# kube-audit-agent. `make` builds build/kube-audit-agent; `make test` runs every test under
# ASan+UBSan; `make run` evaluates the bundled example; `make deb` builds the Debian package.
# `make fuzz` runs the libFuzzer harnesses, `make valgrind` the tests under valgrind memcheck.
# `make deps` installs what is missing.
.DELETE_ON_ERROR:
.SUFFIXES:

VERSION   := 0.1.0
OUT       := build
CC        ?= cc
PKGS      := yaml-0.1 libcjson zlib libcurl libbpf libdw libmicrohttpd libcap-ng
DEPS_DEB  := gcc make pkg-config libc6-dev libyaml-dev libcjson-dev zlib1g-dev libcurl4-openssl-dev libcmocka-dev \
             libmicrohttpd-dev \
             clang bpftool libbpf-dev libelf-dev libdw-dev libcap-ng-dev \
             jq python3 util-linux openssl curl golang-go time \
             libclang-rt-14-dev valgrind
# What `make deb` needs besides DEPS_DEB (the Build-Depends of packaging/deb/control), and what
# its tests use: lintian, man (lintian checks the man page with it), systemd-analyze (systemd)
# and python3-yaml (tests/integration/test_k8s_manifests.sh). libmicrohttpd-dev is for the
# metrics endpoint.
DEPS_PKG  := debhelper dpkg-dev lintian man-db groff-base systemd python3-yaml libmicrohttpd-dev

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lyaml -lcjson -lz -lcurl -lbpf -ldw -lelf -lmicrohttpd -lcap-ng)

WARN      := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wno-unused-parameter
CFLAGS    ?= -O2 -g
ALL_CFLAGS = $(CPPFLAGS) $(CFLAGS) $(WARN) -std=gnu11 -D_GNU_SOURCE $(PKG_CFLAGS) \
             -DKAA_VERSION='"$(VERSION)"' -DKAA_RULES_DIR='"$(RULES_DIR)"' -Iagent -Ibpf -I$(OUT)/bpf
RULES_DIR ?= $(CURDIR)/rules
# CPPFLAGS and LDFLAGS are empty here; the Debian build passes dpkg-buildflags' hardening flags.

# BPF: bpf/X.bpf.c -> $(OUT)/bpf/X.bpf.o -> $(OUT)/bpf/X.skel.h, included by agent/*.c. CO-RE
# against the committed vmlinux/vmlinux.h (`make vmlinux` regenerates it from this kernel).
BPF_CLANG  ?= clang
BPFTOOL    ?= bpftool
BPF_CFLAGS := -target bpf -O2 -g -D__TARGET_ARCH_x86 -Wall -Werror -Ivmlinux -Ibpf
BPF_SRCS   := $(wildcard bpf/*.bpf.c)
BPF_OBJS   := $(BPF_SRCS:bpf/%.bpf.c=$(OUT)/bpf/%.bpf.o)

SAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
             -fno-sanitize-recover=undefined

AGENT_SRCS := $(wildcard agent/*.c)
LIB_SRCS   := $(filter-out agent/main.c,$(AGENT_SRCS))
UNIT_SRCS  := $(wildcard tests/unit/test_*.c)

ifeq ($(V),1)
Q :=
msg =
else
Q := @
msg = @printf '  %-8s %s\n' '$(1)' '$(2)';
endif

.PHONY: all deps deps-pkg test unit integration run clean help vmlinux bench deb fuzz \
	fuzz-build fuzz-bins valgrind vg-bins

all: $(OUT)/kube-audit-agent

help:
	@echo 'make            build $(OUT)/kube-audit-agent'
	@echo 'make deps       install missing Debian build and test packages (needs root)'
	@echo 'make test       every test (unit + integration) under ASan and UBSan'
	@echo 'make run        follow the bundled example log as it is written, print alerts (Ctrl-C)'
	@echo 'make bench      benchmarks (release build; the eBPF ones need root)'
	@echo 'make deb        $(OUT)/kube-audit-agent_$(VERSION)_$(DEB_ARCH).deb, checked by lintian'
	@echo 'make fuzz       build the libFuzzer harnesses and run each FUZZ_SECONDS (default $(FUZZ_SECONDS))'
	@echo 'make valgrind   unit tests and the main commands once under valgrind memcheck'
	@echo 'make clean      remove $(OUT)/'
	@echo 'make vmlinux    regenerate vmlinux/vmlinux.h from /sys/kernel/btf/vmlinux (commit it)'

# BPF objects (never sanitized) and their skeletons; the agent objects that include a skeleton
# wait for it.
$(OUT)/bpf/%.bpf.o: bpf/%.bpf.c $(wildcard bpf/*.h) vmlinux/vmlinux.h | $(OUT)/bpf
	$(call msg,BPF,$<)
	$(Q)$(BPF_CLANG) $(BPF_CFLAGS) -c $< -o $(@:.bpf.o=.tmp.bpf.o)
	$(Q)$(BPFTOOL) gen object $@ $(@:.bpf.o=.tmp.bpf.o)

$(OUT)/bpf/%.skel.h: $(OUT)/bpf/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< > $@

$(OUT)/obj/conntrack.o $(OUT)/san/conntrack.o $(OUT)/fuzz/obj/conntrack.o $(OUT)/vg/conntrack.o: \
	$(OUT)/bpf/conn.skel.h
$(OUT)/obj/httpprobe.o $(OUT)/san/httpprobe.o $(OUT)/fuzz/obj/httpprobe.o $(OUT)/vg/httpprobe.o: \
	$(OUT)/bpf/http.skel.h
.SECONDARY: $(BPF_OBJS)

vmlinux:
	$(call msg,BTF,vmlinux/vmlinux.h)
	$(Q)$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > vmlinux/vmlinux.h.tmp
	$(Q)mv vmlinux/vmlinux.h.tmp vmlinux/vmlinux.h

# release build
$(OUT)/obj/%.o: agent/%.c $(wildcard agent/*.h) | $(OUT)/obj
	$(call msg,CC,$<)
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

$(OUT)/kube-audit-agent: $(AGENT_SRCS:agent/%.c=$(OUT)/obj/%.o)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ -o $@ $(PKG_LIBS)

# sanitizer build: the agent and one cmocka binary per unit-test file
$(OUT)/san/%.o: agent/%.c $(wildcard agent/*.h) | $(OUT)/san
	$(call msg,CC-SAN,$<)
	$(Q)$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) -c $< -o $@

$(OUT)/san/kube-audit-agent: $(AGENT_SRCS:agent/%.c=$(OUT)/san/%.o)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(SAN_FLAGS) $^ -o $@ $(PKG_LIBS)

$(OUT)/san/unit_support.o: tests/unit/unit.c tests/unit/unit.h | $(OUT)/san
	$(call msg,CC-SAN,$<)
	$(Q)$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) -Itests/unit -c $< -o $@

$(OUT)/san/test_%: tests/unit/test_%.c $(LIB_SRCS:agent/%.c=$(OUT)/san/%.o) \
		$(OUT)/san/unit_support.o tests/unit/unit.h
	$(call msg,TEST-CC,$<)
	$(Q)$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) -Itests/unit $< $(LIB_SRCS:agent/%.c=$(OUT)/san/%.o) \
		$(OUT)/san/unit_support.o -o $@ $(PKG_LIBS) -lcmocka

# libFuzzer harnesses, one per parser of untrusted or hand-written input (tests/fuzz/fuzz_*.c):
# clang with coverage, ASan and UBSan over every agent module. `make fuzz` runs each for
# FUZZ_SECONDS with bounded memory (tests/fuzz/run.sh) and fails on any crash; `make test` runs
# them briefly through tests/integration/test_fuzz.sh.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_SAN     := -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined \
                -fno-sanitize-recover=undefined
FUZZ_SRCS    := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS    := $(FUZZ_SRCS:tests/fuzz/%.c=$(OUT)/fuzz/%)
FUZZ_OBJS    := $(LIB_SRCS:agent/%.c=$(OUT)/fuzz/obj/%.o) $(OUT)/fuzz/obj/fuzz_support.o
.SECONDARY: $(FUZZ_OBJS)

$(OUT)/fuzz/obj/%.o: agent/%.c $(wildcard agent/*.h) | $(OUT)/fuzz/obj
	$(call msg,CC-FUZZ,$<)
	$(Q)$(FUZZ_CC) $(ALL_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer-no-link -c $< -o $@

$(OUT)/fuzz/obj/fuzz_support.o: tests/fuzz/fuzz.c tests/fuzz/fuzz.h | $(OUT)/fuzz/obj
	$(call msg,CC-FUZZ,$<)
	$(Q)$(FUZZ_CC) $(ALL_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer-no-link -Itests/fuzz -c $< -o $@

$(OUT)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(FUZZ_OBJS)
	$(call msg,FUZZ-LD,$@)
	$(Q)$(FUZZ_CC) $(ALL_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer -Itests/fuzz $< $(FUZZ_OBJS) \
		-o $@ $(PKG_LIBS)

# clang's libFuzzer runtime is a separate Debian package (libclang-rt-14-dev)
fuzz-build:
	$(Q)echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return 0; }' | \
		$(FUZZ_CC) -fsanitize=fuzzer -x c - -o /dev/null 2>/dev/null || \
		{ echo "fuzz: $(FUZZ_CC) cannot link -fsanitize=fuzzer: clang's libFuzzer runtime is missing (apt-get install libclang-rt-14-dev, or make deps)"; exit 1; }
	$(Q)$(MAKE) --no-print-directory fuzz-bins

fuzz-bins: $(FUZZ_BINS)

fuzz: deps fuzz-build
	$(Q)SHARED=$${SHARED:-$(CURDIR)/../shared} tests/fuzz/run.sh $(OUT) $(FUZZ_SECONDS)

# valgrind memcheck: a build without sanitizers (they do not mix with valgrind), the unit tests
# and the main commands run once each (tests/valgrind.sh); any leak or invalid access fails.
VG_FLAGS  := -O1 -g -fno-omit-frame-pointer
VG_OBJS   := $(LIB_SRCS:agent/%.c=$(OUT)/vg/%.o)
VG_BINS   := $(UNIT_SRCS:tests/unit/%.c=$(OUT)/vg/%)
.SECONDARY: $(VG_OBJS) $(OUT)/vg/unit_support.o

$(OUT)/vg/%.o: agent/%.c $(wildcard agent/*.h) | $(OUT)/vg
	$(call msg,CC-VG,$<)
	$(Q)$(CC) $(ALL_CFLAGS) $(VG_FLAGS) -c $< -o $@

$(OUT)/vg/kube-audit-agent: $(OUT)/vg/main.o $(VG_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(VG_FLAGS) $^ -o $@ $(PKG_LIBS)

$(OUT)/vg/unit_support.o: tests/unit/unit.c tests/unit/unit.h | $(OUT)/vg
	$(call msg,CC-VG,$<)
	$(Q)$(CC) $(ALL_CFLAGS) $(VG_FLAGS) -Itests/unit -c $< -o $@

vg-bins: $(OUT)/vg/kube-audit-agent $(VG_BINS)

$(OUT)/vg/test_%: tests/unit/test_%.c $(VG_OBJS) $(OUT)/vg/unit_support.o tests/unit/unit.h
	$(call msg,TEST-CC,$<)
	$(Q)$(CC) $(ALL_CFLAGS) $(VG_FLAGS) -Itests/unit $< $(VG_OBJS) $(OUT)/vg/unit_support.o \
		-o $@ $(PKG_LIBS) -lcmocka

valgrind: deps
	$(Q)$(MAKE) --no-print-directory vg-bins
	$(Q)SHARED=$${SHARED:-$(CURDIR)/../shared} tests/valgrind.sh $(OUT)/vg

$(OUT)/obj $(OUT)/san $(OUT)/bpf $(OUT)/fuzz/obj $(OUT)/vg:
	$(Q)mkdir -p $@

# install-missing: the Debian packages of the list that are not installed, with apt-get
install-missing = @missing=""; for p in $(1); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "deps: installing$$missing"; \
		if [ "$$(id -u)" != 0 ]; then SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

deps:
	$(call install-missing,$(DEPS_DEB))

deps-pkg:
	$(call install-missing,$(DEPS_PKG))

UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(OUT)/san/%)

test: deps deps-pkg
	$(Q)$(MAKE) --no-print-directory $(OUT)/san/kube-audit-agent $(UNIT_BINS)
	$(Q)tests/run.sh $(OUT)/san $(UNIT_BINS)

run: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)echo '== kube-audit-agent test rules/ =='
	$(Q)$(OUT)/kube-audit-agent test rules | tail -n 1
	$(Q)echo '== kube-audit-agent run: following the example audit log as it is written (Ctrl-C stops) =='
	$(Q)AGENT=$(CURDIR)/$(OUT)/kube-audit-agent examples/run-demo.sh

# Benchmarks print tables of ratios against baselines measured in the same run; nothing here
# asserts a time. tests/bench/run.sh: eval throughput and memory, the daemon's latency and CPU
# (BENCH_RUNS, BENCH_SMALL, BENCH_LARGE, BENCH_ANON_SHARE... size it; see the script).
# BENCH_ROUNDS and BENCH_REQUESTS size the probe-latency one (root only).
BENCH_ROUNDS   ?= 5
BENCH_REQUESTS ?= 20000
bench: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)tests/bench/run.sh $(OUT)/kube-audit-agent
	$(Q)tests/bench/probe_latency.sh $(OUT)/kube-audit-agent $(BENCH_ROUNDS) $(BENCH_REQUESTS)

# The Debian package, built offline with debhelper. debhelper wants debian/ at the top of a
# source tree and writes its work files there (debian/.debhelper, debian/files, the staged
# package) and runs `make clean`; so the tree has no debian/: packaging/deb/ is copied as debian/
# into a copy of the sources under $(OUT)/deb/src and dpkg-buildpackage runs there (-b: binary
# only, unsigned). That also gives ${shlibs:Depends} from dpkg-shlibdeps, conffiles, the
# systemd and sysusers maintainer scripts and a -dbgsym package. Both packages land in $(OUT)/;
# lintian must find no error and no warning (those accepted are overridden, with the reason, in
# packaging/deb/kube-audit-agent.lintian-overrides).
DEB_ARCH := $(shell dpkg --print-architecture 2>/dev/null || echo amd64)
DEB      := $(OUT)/kube-audit-agent_$(VERSION)_$(DEB_ARCH).deb
DEB_SRCS := Makefile agent bpf vmlinux rules packaging

deb: deps deps-pkg
	$(Q)v=$$(dpkg-parsechangelog -l packaging/deb/changelog -SVersion); \
	if [ "$$v" != "$(VERSION)" ]; then \
		echo "deb: packaging/deb/changelog is at $$v but VERSION is $(VERSION)" >&2; exit 1; fi
	$(call msg,STAGE,$(OUT)/deb/src)
	$(Q)rm -rf $(OUT)/deb $(OUT)/kube-audit-agent*_$(VERSION)_$(DEB_ARCH).deb
	$(Q)mkdir -p $(OUT)/deb/src
	$(Q)cp -a $(DEB_SRCS) $(OUT)/deb/src/
	$(Q)cp -a packaging/deb $(OUT)/deb/src/debian
	$(call msg,DPKG,$(DEB))
	$(Q)cd $(OUT)/deb/src && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES \
		dpkg-buildpackage -b -us -uc -Jauto >../build.log 2>&1 || \
		{ tail -n 40 ../build.log; echo "deb: the whole log is $(OUT)/deb/build.log" >&2; exit 1; }
	$(Q)mv $(OUT)/deb/kube-audit-agent*_$(VERSION)_$(DEB_ARCH).*deb $(OUT)/
	$(call msg,LINTIAN,$(DEB))
	$(Q)lintian --fail-on error,warning --display-info $(DEB)

clean:
	rm -rf $(OUT)
