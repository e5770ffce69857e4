// SPDX-License-Identifier: GPL-2.0
/* conn: TCP connections to or from the watched ports, seen at tp_btf/inet_sock_set_state.
 * Emits ESTABLISHED (server and client side), CLOSING and CLOSE to the `events` ring buffer;
 * the client's process is only current at CLOSE -> SYN_SENT, so it waits in `connecting`. */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "conn.h"
#include "lost.bpf.h"

#define AF_INET	 2
#define AF_INET6 10

char LICENSE[] SEC("license") = "GPL";

/* Set through skel->rodata before load. */
const volatile __u16 watched_ports[CONN_MAX_PORTS] = {CONN_DEFAULT_PORT};
const volatile __u32 n_watched_ports = 1;

/* The connecting process, kept from CLOSE -> SYN_SENT until the socket leaves SYN_SENT. */
struct conn_task {
	__u64 cgroup_id;
	__u32 pid;
	__u32 pad;
	char comm[CONN_COMM_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, CONN_RINGBUF_BYTES);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, CONN_CONNECTING_MAX);
	__type(key, __u64);
	__type(value, struct conn_task);
} connecting SEC(".maps");

static __always_inline bool watched(__u16 port)
{
	for (int i = 0; i < CONN_MAX_PORTS; i++) {
		if (i >= n_watched_ports)
			break;
		if (watched_ports[i] == port)
			return true;
	}
	return false;
}

static __always_inline void remember_task(__u64 cookie)
{
	struct conn_task t = {};

	t.pid = bpf_get_current_pid_tgid() >> 32;
	t.cgroup_id = bpf_get_current_cgroup_id();
	bpf_get_current_comm(t.comm, sizeof(t.comm));
	bpf_map_update_elem(&connecting, &cookie, &t, BPF_ANY);
}

static __always_inline void read_addrs(struct conn_event *e, struct sock *sk)
{
	if (e->family == AF_INET) {
		e->laddr[0] = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
		e->raddr[0] = BPF_CORE_READ(sk, __sk_common.skc_daddr);
	} else {
		BPF_CORE_READ_INTO(&e->laddr, sk, __sk_common.skc_v6_rcv_saddr.in6_u.u6_addr32);
		BPF_CORE_READ_INTO(&e->raddr, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr32);
	}
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(conn_state, struct sock *sk, int oldstate, int newstate)
{
	struct conn_event *e;
	struct conn_task *t;
	__u64 cookie = (__u64)sk;
	__u16 family, lport, rport;
	/* Leaving ESTABLISHED is the end that is always seen: on 6.18 (measured) the passive closer's
	 * LAST_ACK -> CLOSE does not reach this tracepoint. */
	bool closing = oldstate == TCP_ESTABLISHED &&
		       (newstate == TCP_FIN_WAIT1 || newstate == TCP_CLOSE_WAIT);

	if (newstate != TCP_SYN_SENT && newstate != TCP_ESTABLISHED && newstate != TCP_CLOSE &&
	    !closing)
		return 0;
	if (newstate == TCP_CLOSE && oldstate == TCP_LISTEN)
		return 0;
	/* a bitfield before 5.6, a u16 since: the probed read handles both */
	if (BPF_CORE_READ_BITFIELD_PROBED(sk, sk_protocol) != IPPROTO_TCP)
		return 0;
	family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (family != AF_INET && family != AF_INET6)
		return 0;
	lport = BPF_CORE_READ(sk, __sk_common.skc_num);
	rport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (!watched(lport) && !watched(rport))
		return 0;

	if (newstate == TCP_SYN_SENT) {
		/* connect(): process context, but the source port is not chosen yet */
		remember_task(cookie);
		return 0;
	}

	t = oldstate == TCP_SYN_SENT ? bpf_map_lookup_elem(&connecting, &cookie) : NULL;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_lost();
		goto out;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->ts_ns = bpf_ktime_get_ns();
	e->sock = cookie;
	e->kind = newstate == TCP_ESTABLISHED ? CONN_EV_ESTABLISHED
		  : closing		      ? CONN_EV_CLOSING
					      : CONN_EV_CLOSE;
	e->family = family;
	e->oldstate = oldstate;
	e->newstate = newstate;
	e->lport = lport;
	e->rport = rport;
	read_addrs(e, sk);
	if (newstate == TCP_ESTABLISHED) {
		if (oldstate == TCP_SYN_RECV)
			e->flags |= CONN_F_PASSIVE;
		else if (oldstate == TCP_SYN_SENT)
			e->flags |= CONN_F_ACTIVE;
	}
	if (t) {
		e->flags |= CONN_F_TASK;
		e->pid = t->pid;
		e->cgroup_id = t->cgroup_id;
		__builtin_memcpy(e->comm, t->comm, sizeof(e->comm));
	}
	bpf_ringbuf_submit(e, 0);
out:
	if (oldstate == TCP_SYN_SENT)
		bpf_map_delete_elem(&connecting, &cookie);
	return 0;
}
