/* bpfutil: shared glue of the BPF loaders. */
#include "bpfutil.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#define KERNEL_BTF "/sys/kernel/btf/vmlinux"

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (!getenv("KAA_BPF_DEBUG"))
		return 0;
	return vfprintf(stderr, fmt, ap);
}

void bpfutil_quiet_libbpf(void)
{
	libbpf_set_print(libbpf_print);
}

int bpfutil_check_btf(char *err, size_t errsz)
{
	int rc;

	if (!access(KERNEL_BTF, R_OK))
		return 0;
	rc = errno;
	snprintf(err, errsz, "kernel BTF not available (%s: %s; needs CONFIG_DEBUG_INFO_BTF)",
		 KERNEL_BTF, strerror(rc));
	return rc == EACCES ? -EPERM : -ENOENT;
}

void bpfutil_load_error(int err, const char *caps, char *buf, size_t bufsz)
{
	if (err == -EPERM || err == -EACCES)
		snprintf(buf, bufsz, "BPF not permitted (needs %s, or root)", caps);
	else if (err == -ENOSYS)
		snprintf(buf, bufsz, "BPF not supported by this kernel (no bpf() system call)");
	else
		snprintf(buf, bufsz,
			 "loading the BPF program failed: %s (KAA_BPF_DEBUG=1 shows libbpf's log)",
			 strerror(-err));
}

uint64_t bpfutil_percpu_sum(const struct bpf_map *map)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t *vals, sum = 0;
	__u32 zero = 0;

	if (!map || ncpu <= 0)
		return 0;
	vals = calloc((size_t)ncpu, sizeof(*vals));
	if (!vals)
		return 0;
	if (!bpf_map__lookup_elem(map, &zero, sizeof(zero), vals, (size_t)ncpu * sizeof(*vals),
				  0)) {
		for (int i = 0; i < ncpu; i++)
			sum += vals[i];
	}
	free(vals);
	return sum;
}

int64_t bpfutil_clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t bpfutil_mono_to_real_ns(void)
{
	return bpfutil_clock_ns(CLOCK_REALTIME) - bpfutil_clock_ns(CLOCK_MONOTONIC);
}
