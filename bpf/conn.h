/* conn: the contract between bpf/conn.bpf.c and agent/conntrack.c. One conn_event per TCP
 * socket to or from a watched port reaching ESTABLISHED, leaving it (the first FIN, sent or
 * received) and reaching CLOSE. Plain __u32/__u64 fields: vmlinux.h or <linux/types.h>. */
#ifndef KAA_BPF_CONN_H
#define KAA_BPF_CONN_H

#define CONN_MAX_PORTS	    8
#define CONN_COMM_LEN	    16
#define CONN_DEFAULT_PORT   6443
#define CONN_RINGBUF_BYTES  (256 * 1024)
#define CONN_CONNECTING_MAX 16384

enum conn_event_kind {
	CONN_EV_ESTABLISHED = 1,
	CONN_EV_CLOSE = 2,   /* reached CLOSE (not seen for LAST_ACK -> CLOSE on 6.18) */
	CONN_EV_CLOSING = 3, /* ESTABLISHED -> FIN_WAIT1 or CLOSE_WAIT: no new requests */
};

enum conn_event_flags {
	CONN_F_PASSIVE = 1 << 0, /* ESTABLISHED from SYN_RECV: this socket is the server's */
	CONN_F_ACTIVE = 1 << 1,	 /* ESTABLISHED from SYN_SENT: this socket is the client's */
	CONN_F_TASK = 1 << 2,	 /* pid, comm and cgroup_id are the connecting process's */
};

struct conn_event {
	__u64 ts_ns;	 /* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
	__u64 sock;	 /* the struct sock pointer: a cookie, unique while the socket lives */
	__u64 cgroup_id; /* with CONN_F_TASK */
	__u32 kind;	 /* enum conn_event_kind */
	__u32 flags;	 /* enum conn_event_flags */
	__u32 family;	 /* AF_INET (2) or AF_INET6 (10), as the socket has it */
	__u32 oldstate;	 /* TCP_* states, as the kernel numbers them */
	__u32 newstate;
	__u32 pid;	/* with CONN_F_TASK: the process (tgid) that called connect() */
	__u32 laddr[4]; /* the socket's own address, network order (AF_INET: laddr[0] only) */
	__u32 raddr[4]; /* the peer's address */
	__u32 lport;	/* host order */
	__u32 rport;
	char comm[CONN_COMM_LEN]; /* with CONN_F_TASK, NUL-terminated */
};

_Static_assert(sizeof(struct conn_event) == 104, "struct conn_event is read by both sides");

#endif
