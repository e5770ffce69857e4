/* lost: the events a program dropped because its ring buffer was full, one count per CPU
 * (the agent adds them up: agent/bpfutil.c). BPF side only: included by each X.bpf.c after
 * vmlinux.h and bpf_helpers.h. */
#ifndef KAA_LOST_BPF_H
#define KAA_LOST_BPF_H

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} lost SEC(".maps");

static __always_inline void count_lost(void)
{
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(&lost, &zero);

	if (n)
		*n += 1;
}

#endif
