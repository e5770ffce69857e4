/* bpfutil: what the agent's BPF loaders (conntrack, httpprobe) share: libbpf's log, the one
 * line that says why a program could not be loaded, kernel BTF, lost-event counters, and the
 * clock offset that turns bpf_ktime_get_ns() into wall-clock time. */
#ifndef KAA_BPFUTIL_H
#define KAA_BPFUTIL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct bpf_map;

/* Route libbpf's own messages (verifier logs) to stderr only when KAA_BPF_DEBUG is set. */
void bpfutil_quiet_libbpf(void);

/* 0 when /sys/kernel/btf/vmlinux is readable; else -EPERM or -ENOENT with one line in err. */
int bpfutil_check_btf(char *err, size_t errsz);

/* One line for a failed load or attach: -EPERM/-EACCES name the capabilities `caps` (e.g.
 * "CAP_BPF and CAP_PERFMON"), -ENOSYS says the kernel has no bpf(). */
void bpfutil_load_error(int err, const char *caps, char *buf, size_t bufsz);

/* The sum over CPUs of entry 0 of a per-CPU u64 array (the programs' `lost` counters). */
uint64_t bpfutil_percpu_sum(const struct bpf_map *map);

/* Nanoseconds on clock id. */
int64_t bpfutil_clock_ns(clockid_t id);

/* CLOCK_REALTIME - CLOCK_MONOTONIC now, in nanoseconds. */
int64_t bpfutil_mono_to_real_ns(void);

#endif
