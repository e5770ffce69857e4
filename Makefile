# kube-audit-agent. `make` builds build/kube-audit-agent; `make test` runs every test under
# ASan+UBSan; `make run` evaluates the bundled example. `make deps` installs what is missing.
.DELETE_ON_ERROR:
.SUFFIXES:

VERSION   := 0.1.0
OUT       := build
CC        ?= cc
PKGS      := yaml-0.1 libcjson zlib libcurl libbpf libdw libmicrohttpd
DEPS_DEB  := gcc make pkg-config libc6-dev libyaml-dev libcjson-dev zlib1g-dev libcurl4-openssl-dev libcmocka-dev \
             libmicrohttpd-dev \
             clang bpftool libbpf-dev libelf-dev libdw-dev \
             jq python3 util-linux openssl curl golang-go

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lyaml -lcjson -lz -lcurl -lbpf -ldw -lelf -lmicrohttpd)

WARN      := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wno-unused-parameter
CFLAGS    ?= -O2 -g
ALL_CFLAGS = $(CFLAGS) $(WARN) -std=gnu11 -D_GNU_SOURCE $(PKG_CFLAGS) \
             -DKAA_VERSION='"$(VERSION)"' -DKAA_RULES_DIR='"$(RULES_DIR)"' -Iagent -Ibpf -I$(OUT)/bpf
RULES_DIR ?= $(CURDIR)/rules

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

.PHONY: all deps test unit integration run clean help vmlinux bench

all: $(OUT)/kube-audit-agent

help:
	@echo 'make            build $(OUT)/kube-audit-agent'
	@echo 'make deps       install missing Debian build and test packages (needs root)'
	@echo 'make test       every test (unit + integration) under ASan and UBSan'
	@echo 'make run        follow the bundled example log as it is written, print alerts (Ctrl-C)'
	@echo 'make bench      benchmarks (release build; the eBPF ones need root)'
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

$(OUT)/obj/conntrack.o $(OUT)/san/conntrack.o: $(OUT)/bpf/conn.skel.h
$(OUT)/obj/httpprobe.o $(OUT)/san/httpprobe.o: $(OUT)/bpf/http.skel.h
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
	$(Q)$(CC) $(CFLAGS) $^ -o $@ $(PKG_LIBS)

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

$(OUT)/obj $(OUT)/san $(OUT)/bpf:
	$(Q)mkdir -p $@

deps:
	@missing=""; for p in $(DEPS_DEB); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "deps: installing$$missing"; \
		if [ "$$(id -u)" != 0 ]; then SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(OUT)/san/%)

test: deps
	$(Q)$(MAKE) --no-print-directory $(OUT)/san/kube-audit-agent $(UNIT_BINS)
	$(Q)tests/run.sh $(OUT)/san $(UNIT_BINS)

run: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)echo '== kube-audit-agent test rules/ =='
	$(Q)$(OUT)/kube-audit-agent test rules | tail -n 1
	$(Q)echo '== kube-audit-agent run: following the example audit log as it is written (Ctrl-C stops) =='
	$(Q)AGENT=$(CURDIR)/$(OUT)/kube-audit-agent examples/run-demo.sh

# Benchmarks print tables of ratios against baselines measured in the same run; nothing here
# asserts a time. BENCH_ROUNDS and BENCH_REQUESTS size the probe-latency one.
BENCH_ROUNDS   ?= 5
BENCH_REQUESTS ?= 20000
bench: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)tests/bench/probe_latency.sh $(OUT)/kube-audit-agent $(BENCH_ROUNDS) $(BENCH_REQUESTS)

clean:
	rm -rf $(OUT)
