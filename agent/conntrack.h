/* conntrack: the TCP connections to and from the watched ports (the apiserver's), when each
 * opened and closed and, for a client on this node, its process (and from /proc its executable,
 * container and pod); fed by bpf/conn.bpf.c through
 * a ring buffer into a bounded history that answers "who was connected from this IP at T". */
#ifndef KAA_CONNTRACK_H
#define KAA_CONNTRACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>

#include "conn.h"

#define CONNTRACK_DEFAULT_RETENTION_US (120 * INT64_C(1000000))
#define CONNTRACK_DEFAULT_MAX_ENTRIES  65536

/* An address as the history keeps it: a v4-mapped IPv6 address (::ffff:a.b.c.d, what a
 * dual-stack listener sees for an IPv4 client) is stored as the IPv4 address. */
struct conn_ip {
	uint8_t family;	  /* AF_INET or AF_INET6 */
	uint8_t addr[16]; /* network order; AF_INET uses the first 4 bytes, the rest are 0 */
};

struct conn_hnode {
	struct conn_hnode *next, **pprev;
};

struct conn_lnode {
	struct conn_lnode *prev, *next;
};

/* One connection. Both ends of a connection on this node (a local client of a local
 * apiserver) share one record: the server side's and the client side's events merge. */
struct conn_record {
	struct conn_ip client, server;
	uint16_t client_port, server_port;
	int64_t established_us; /* wall clock, microseconds since the epoch */
	int64_t closed_us;	/* 0 while open; the first FIN or close of either end */
	bool local_client;	/* pid, comm and cgroup_id are the client process's */
	uint32_t pid;
	char comm[CONN_COMM_LEN];
	uint64_t cgroup_id;
	uint64_t client_sock, server_sock; /* kernel socket cookies; 0: that end is not here */
	uint32_t requests;		   /* requests the uprobe saw on it (conntrack_count_request) */
	struct conn_client *info;	   /* a local client's executable and container, or NULL */

	/* the history's links, not for callers */
	struct conn_hnode by_tuple, by_client;
	struct conn_lnode age, closing;
};

/* What /proc said of a local client when its connection was established. */
struct conn_client {
	char exe[256];		/* "" when /proc/PID/exe could not be read */
	char container_id[65];	/* "" when not in a container */
	char pod_uid[37];	/* "" when not in a pod */
};

struct conntrack_opts {
	int64_t retention_us; /* keep a closed connection this long (0: the default, 120 s) */
	size_t max_entries;   /* beyond this the oldest record goes (0: the default, 65536) */
	const char *proc_root; /* read a local client's exe and cgroup here; NULL: do not */
};

struct conntrack_stats {
	uint64_t events;  /* ingested */
	uint64_t ignored; /* a close of an unknown socket, an ESTABLISHED of unknown side */
	uint64_t evicted; /* pushed out by max_entries */
	uint64_t expired; /* closed longer ago than retention */
	size_t entries;
};

struct conntrack;

/* Called for every event read from the ring buffer, after it is recorded; rec is the record it
 * went into, or NULL when the history ignored it. ts_us is the event's wall-clock time. */
typedef void conntrack_event_fn(void *arg, const struct conn_event *ev, int64_t ts_us,
				const struct conn_record *rec);

/* Load and attach bpf/conn.bpf.c watching ports[0..nports) (1 to CONN_MAX_PORTS) and a
 * history bounded by opts (NULL: the defaults) into *out (free with conntrack_free). Returns 0, or -errno
 * with one line in err saying what is missing: -EPERM without CAP_BPF + CAP_PERFMON, -ENOENT
 * without kernel BTF, -ENOSYS without bpf(); other codes are the program's own failures. */
int conntrack_open(struct conntrack **out, const uint16_t *ports, size_t nports,
		   const struct conntrack_opts *opts, char *err, size_t errsz);
/* A history without BPF (tests; opts NULL for the defaults). Returns 0 or -ENOMEM. */
int conntrack_new(struct conntrack **out, const struct conntrack_opts *opts);
/* Detach, unload and free everything; takes NULL and clears *ct. */
void conntrack_free(struct conntrack **ct);

/* The ring buffer's epoll fd, readable when events wait (-1 without BPF). */
int conntrack_fd(const struct conntrack *ct);
/* Read every waiting event into the history, then drop what retention says is over.
 * Returns the number of events read, or -errno. */
int conntrack_poll(struct conntrack *ct);
/* Events the BPF program dropped because the ring buffer was full. */
uint64_t conntrack_lost(const struct conntrack *ct);
/* An observer for every event (conntrack-probe prints them); fn NULL removes it. */
void conntrack_set_observer(struct conntrack *ct, conntrack_event_fn *fn, void *arg);
void conntrack_stats(const struct conntrack *ct, struct conntrack_stats *st);

/* The connections whose client is src and whose lifetime [established, closed] covers t_us,
 * newest first: up to max of them into out (owned by the history, valid until the next
 * conntrack_poll, conntrack_ingest or conntrack_expire). Returns how many there are in all. */
size_t conntrack_lookup(const struct conntrack *ct, const struct conn_ip *src, int64_t t_us,
			const struct conn_record **out, size_t max);

/* The connection from client ip:port whose lifetime covers t_us (newest first), or NULL. */
const struct conn_record *conntrack_find_client(const struct conntrack *ct,
						const struct conn_ip *ip, uint16_t port,
						int64_t t_us);
/* One more request seen on the connection from ip:port at t_us; false when it is unknown. */
bool conntrack_count_request(struct conntrack *ct, const struct conn_ip *ip, uint16_t port,
			     int64_t t_us);

/* "10.0.0.1", "::1", "::ffff:10.0.0.1" (stored as 10.0.0.1). Returns 0 or -EINVAL. */
int conntrack_ip_parse(const char *s, struct conn_ip *out);
/* The event's own (local) and peer (remote) addresses, v4-mapped ones as IPv4. */
void conntrack_event_ips(const struct conn_event *ev, struct conn_ip *local,
			 struct conn_ip *remote);
/* The address as text into buf (at least 46 bytes). */
void conntrack_ip_format(const struct conn_ip *ip, char *buf, size_t bufsz);

/* Internal, exposed for the tests: record one event that happened at ts_us (wall clock;
 * conntrack_poll converts ev->ts_ns). *rec (when rec is not NULL) is the record it went into,
 * NULL when ignored. Returns 0 or -ENOMEM. */
int conntrack_ingest(struct conntrack *ct, const struct conn_event *ev, int64_t ts_us,
		     const struct conn_record **rec);
/* Drop the records closed before now_us - retention. */
void conntrack_expire(struct conntrack *ct, int64_t now_us);

#endif
