/* conntrack: loads bpf/conn.bpf.c and keeps its connection events in a bounded history,
 * indexed by 4-tuple (to merge and close records) and by client IP (to answer lookups). */
#include "conntrack.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpfutil.h"
#include "conn.skel.h"
#include "procinfo.h"


struct conntrack {
	struct conn_bpf *skel;
	struct ring_buffer *rb;
	int64_t mono_to_real_ns; /* CLOCK_REALTIME - CLOCK_MONOTONIC, refreshed by each poll */

	int64_t retention_us;
	size_t max_entries;
	struct conn_hnode **by_tuple, **by_client; /* nbuckets each */
	size_t nbuckets;
	struct conn_lnode age;	   /* every record, oldest first */
	struct conn_lnode closing; /* closed records, in order of their close */
	struct conntrack_stats st;
	char proc_root[64]; /* "" when local clients are not looked up in /proc */

	conntrack_event_fn *observer;
	void *observer_arg;
};

#define container_of(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))

static void list_init(struct conn_lnode *head)
{
	head->prev = head->next = head;
}

static bool list_linked(const struct conn_lnode *n)
{
	return n->next != NULL;
}

static void list_add_tail(struct conn_lnode *head, struct conn_lnode *n)
{
	n->prev = head->prev;
	n->next = head;
	head->prev->next = n;
	head->prev = n;
}

static void list_del(struct conn_lnode *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	n->prev = n->next = NULL;
}

static void hash_add(struct conn_hnode **bucket, struct conn_hnode *n)
{
	n->next = *bucket;
	if (n->next)
		n->next->pprev = &n->next;
	*bucket = n;
	n->pprev = bucket;
}

static void hash_del(struct conn_hnode *n)
{
	*n->pprev = n->next;
	if (n->next)
		n->next->pprev = n->pprev;
	n->next = NULL;
	n->pprev = NULL;
}

static uint64_t fnv1a(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= UINT64_C(1099511628211);
	}
	return h;
}

#define FNV_OFFSET UINT64_C(14695981039346656037)

static bool ip_equal(const struct conn_ip *a, const struct conn_ip *b)
{
	return a->family == b->family && !memcmp(a->addr, b->addr, sizeof(a->addr));
}

static size_t client_bucket(const struct conntrack *ct, const struct conn_ip *ip)
{
	return fnv1a(FNV_OFFSET, ip, sizeof(*ip)) & (ct->nbuckets - 1);
}

static size_t tuple_bucket(const struct conntrack *ct, const struct conn_ip *client, uint16_t cport,
			   const struct conn_ip *server, uint16_t sport)
{
	uint64_t h = fnv1a(FNV_OFFSET, client, sizeof(*client));
	h = fnv1a(h, &cport, sizeof(cport));
	h = fnv1a(h, server, sizeof(*server));
	h = fnv1a(h, &sport, sizeof(sport));
	return h & (ct->nbuckets - 1);
}

/* An address from an event: AF_INET's first word, or AF_INET6's 16 bytes, v4-mapped ones
 * turned into the IPv4 address they carry. */
static void ip_from_event(struct conn_ip *ip, uint32_t family, const __u32 addr[4])
{
	static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	memset(ip, 0, sizeof(*ip));
	if (family == AF_INET) {
		ip->family = AF_INET;
		memcpy(ip->addr, &addr[0], 4);
		return;
	}
	if (!memcmp(addr, v4mapped, sizeof(v4mapped))) {
		ip->family = AF_INET;
		memcpy(ip->addr, &addr[3], 4);
		return;
	}
	ip->family = AF_INET6;
	memcpy(ip->addr, addr, 16);
}

void conntrack_event_ips(const struct conn_event *ev, struct conn_ip *local, struct conn_ip *remote)
{
	ip_from_event(local, ev->family, ev->laddr);
	ip_from_event(remote, ev->family, ev->raddr);
}

int conntrack_ip_parse(const char *s, struct conn_ip *out)
{
	__u32 a[4] = {0};

	if (inet_pton(AF_INET, s, a) == 1) {
		ip_from_event(out, AF_INET, a);
		return 0;
	}
	if (inet_pton(AF_INET6, s, a) == 1) {
		ip_from_event(out, AF_INET6, a);
		return 0;
	}
	return -EINVAL;
}

void conntrack_ip_format(const struct conn_ip *ip, char *buf, size_t bufsz)
{
	if (!inet_ntop(ip->family == AF_INET ? AF_INET : AF_INET6, ip->addr, buf, (socklen_t)bufsz))
		snprintf(buf, bufsz, "?");
}

int conntrack_new(struct conntrack **out, const struct conntrack_opts *opts)
{
	struct conntrack *ct;

	*out = NULL;
	ct = calloc(1, sizeof(*ct));
	if (!ct)
		return -ENOMEM;
	ct->retention_us = CONNTRACK_DEFAULT_RETENTION_US;
	ct->max_entries = CONNTRACK_DEFAULT_MAX_ENTRIES;
	if (opts && opts->retention_us > 0)
		ct->retention_us = opts->retention_us;
	if (opts && opts->max_entries > 0)
		ct->max_entries = opts->max_entries;
	if (opts && opts->proc_root)
		snprintf(ct->proc_root, sizeof(ct->proc_root), "%s", opts->proc_root);
	ct->nbuckets = 64;
	while (ct->nbuckets < ct->max_entries)
		ct->nbuckets <<= 1;
	ct->by_tuple = calloc(ct->nbuckets, sizeof(*ct->by_tuple));
	ct->by_client = calloc(ct->nbuckets, sizeof(*ct->by_client));
	list_init(&ct->age);
	list_init(&ct->closing);
	if (!ct->by_tuple || !ct->by_client) {
		conntrack_free(&ct);
		return -ENOMEM;
	}
	*out = ct;
	return 0;
}

static void record_free(struct conntrack *ct, struct conn_record *r)
{
	hash_del(&r->by_tuple);
	hash_del(&r->by_client);
	list_del(&r->age);
	if (list_linked(&r->closing))
		list_del(&r->closing);
	ct->st.entries--;
	free(r->info);
	free(r);
}

void conntrack_free(struct conntrack **pct)
{
	struct conntrack *ct = *pct;

	if (!ct)
		return;
	ring_buffer__free(ct->rb);
	conn_bpf__destroy(ct->skel);
	if (ct->by_tuple && ct->by_client) {
		while (ct->age.next != &ct->age)
			record_free(ct, container_of(ct->age.next, struct conn_record, age));
	}
	free(ct->by_tuple);
	free(ct->by_client);
	free(ct);
	*pct = NULL;
}

/* The newest open record for this 4-tuple whose end for this socket is still free (merge=true)
 * or is this socket (merge=false). */
static struct conn_record *find(const struct conntrack *ct, const struct conn_ip *client,
				uint16_t cport, const struct conn_ip *server, uint16_t sport,
				bool client_end, uint64_t sock, bool merge)
{
	struct conn_hnode *n = ct->by_tuple[tuple_bucket(ct, client, cport, server, sport)];

	for (; n; n = n->next) {
		struct conn_record *r = container_of(n, struct conn_record, by_tuple);
		uint64_t end = client_end ? r->client_sock : r->server_sock;

		if (r->client_port != cport || r->server_port != sport ||
		    !ip_equal(&r->client, client) || !ip_equal(&r->server, server))
			continue;
		if (merge ? (!r->closed_us && !end) : (sock && end == sock))
			return r;
	}
	return NULL;
}

static struct conn_record *record_new(struct conntrack *ct, const struct conn_ip *client,
				      uint16_t cport, const struct conn_ip *server, uint16_t sport)
{
	struct conn_record *r;

	if (ct->st.entries >= ct->max_entries) {
		record_free(ct, container_of(ct->age.next, struct conn_record, age));
		ct->st.evicted++;
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->client = *client;
	r->server = *server;
	r->client_port = cport;
	r->server_port = sport;
	hash_add(&ct->by_tuple[tuple_bucket(ct, client, cport, server, sport)], &r->by_tuple);
	hash_add(&ct->by_client[client_bucket(ct, client)], &r->by_client);
	list_add_tail(&ct->age, &r->age);
	ct->st.entries++;
	return r;
}

/* What /proc says of a local client now, at ESTABLISHED (it may be gone by the alert). NULL
 * when out of memory; fields stay "" where /proc had nothing (the process already exited). */
static struct conn_client *client_info(const char *proc_root, pid_t pid)
{
	struct conn_client *c = calloc(1, sizeof(*c));
	struct procinfo_container pc;
	char cg[1024];

	if (!c)
		return NULL;
	if (procinfo_exe(proc_root, pid, c->exe, sizeof(c->exe)))
		c->exe[0] = '\0';
	if (procinfo_cgroup(proc_root, pid, cg, sizeof(cg)) == 0 && procinfo_container_of(cg, &pc)) {
		memcpy(c->container_id, pc.container_id, sizeof(c->container_id));
		memcpy(c->pod_uid, pc.pod_uid, sizeof(c->pod_uid));
	}
	return c;
}

static int ingest_established(struct conntrack *ct, const struct conn_event *ev, int64_t ts_us,
			      const struct conn_ip *local, const struct conn_ip *remote,
			      struct conn_record **out)
{
	bool client_end = ev->flags & CONN_F_ACTIVE;
	const struct conn_ip *client = client_end ? local : remote;
	const struct conn_ip *server = client_end ? remote : local;
	uint16_t cport = (uint16_t)(client_end ? ev->lport : ev->rport);
	uint16_t sport = (uint16_t)(client_end ? ev->rport : ev->lport);
	struct conn_record *r;

	r = find(ct, client, cport, server, sport, client_end, ev->sock, true);
	if (!r) {
		r = record_new(ct, client, cport, server, sport);
		if (!r)
			return -ENOMEM;
		r->established_us = ts_us;
	} else if (ts_us < r->established_us) {
		r->established_us = ts_us;
	}
	if (client_end)
		r->client_sock = ev->sock;
	else
		r->server_sock = ev->sock;
	if (client_end && (ev->flags & CONN_F_TASK)) {
		r->local_client = true;
		r->pid = ev->pid;
		r->cgroup_id = ev->cgroup_id;
		memcpy(r->comm, ev->comm, sizeof(r->comm));
		r->comm[sizeof(r->comm) - 1] = '\0';
		if (ct->proc_root[0] && !r->info)
			r->info = client_info(ct->proc_root, (pid_t)r->pid);
	}
	*out = r;
	return 0;
}

/* CLOSING or CLOSE ends the record holding this socket at either end: the first of them,
 * from either end, is the connection's end (no request is sent after a FIN). */
static void ingest_close(struct conntrack *ct, const struct conn_event *ev, int64_t ts_us,
			 const struct conn_ip *local, const struct conn_ip *remote,
			 struct conn_record **out)
{
	uint16_t lport = (uint16_t)ev->lport, rport = (uint16_t)ev->rport;
	struct conn_record *r;

	r = find(ct, local, lport, remote, rport, true, ev->sock, false);
	if (!r)
		r = find(ct, remote, rport, local, lport, false, ev->sock, false);
	if (!r)
		return;
	if (!r->closed_us) {
		r->closed_us = ts_us;
		list_add_tail(&ct->closing, &r->closing);
	} else if (ts_us < r->closed_us) {
		r->closed_us = ts_us;
	}
	*out = r;
}

int conntrack_ingest(struct conntrack *ct, const struct conn_event *ev, int64_t ts_us,
		     const struct conn_record **rec)
{
	struct conn_record *r = NULL;
	struct conn_ip local, remote;
	int err = 0;

	ct->st.events++;
	conntrack_event_ips(ev, &local, &remote);
	if (ev->kind == CONN_EV_ESTABLISHED && (ev->flags & (CONN_F_ACTIVE | CONN_F_PASSIVE)))
		err = ingest_established(ct, ev, ts_us, &local, &remote, &r);
	else if (ev->kind == CONN_EV_CLOSE || ev->kind == CONN_EV_CLOSING)
		ingest_close(ct, ev, ts_us, &local, &remote, &r);
	if (!r)
		ct->st.ignored++;
	if (rec)
		*rec = r;
	return err;
}

void conntrack_expire(struct conntrack *ct, int64_t now_us)
{
	while (ct->closing.next != &ct->closing) {
		struct conn_record *r = container_of(ct->closing.next, struct conn_record, closing);

		if (r->closed_us >= now_us - ct->retention_us)
			break;
		record_free(ct, r);
		ct->st.expired++;
	}
}

size_t conntrack_lookup(const struct conntrack *ct, const struct conn_ip *src, int64_t t_us,
			const struct conn_record **out, size_t max)
{
	struct conn_hnode *n = ct->by_client[client_bucket(ct, src)];
	size_t found = 0;

	for (; n; n = n->next) {
		const struct conn_record *r = container_of(n, struct conn_record, by_client);

		if (!ip_equal(&r->client, src) || t_us < r->established_us ||
		    (r->closed_us && t_us > r->closed_us))
			continue;
		if (found < max)
			out[found] = r;
		found++;
	}
	return found;
}

const struct conn_record *conntrack_find_client(const struct conntrack *ct,
						const struct conn_ip *ip, uint16_t port, int64_t t_us)
{
	struct conn_hnode *n = ct->by_client[client_bucket(ct, ip)];

	/* newest first: records are added at the head of their bucket */
	for (; n; n = n->next) {
		const struct conn_record *r = container_of(n, struct conn_record, by_client);

		if (r->client_port == port && ip_equal(&r->client, ip) && t_us >= r->established_us &&
		    (!r->closed_us || t_us <= r->closed_us))
			return r;
	}
	return NULL;
}

bool conntrack_count_request(struct conntrack *ct, const struct conn_ip *ip, uint16_t port,
			     int64_t t_us)
{
	struct conn_record *r = (struct conn_record *)conntrack_find_client(ct, ip, port, t_us);

	if (r)
		r->requests++;
	return r != NULL;
}

void conntrack_set_observer(struct conntrack *ct, conntrack_event_fn *fn, void *arg)
{
	ct->observer = fn;
	ct->observer_arg = arg;
}

void conntrack_stats(const struct conntrack *ct, struct conntrack_stats *st)
{
	*st = ct->st;
}

static int on_ring_event(void *arg, void *data, size_t size)
{
	struct conntrack *ct = arg;
	const struct conn_event *ev = data;
	const struct conn_record *r;
	int64_t ts_us;
	int err;

	if (size < sizeof(*ev))
		return 0;
	ts_us = ((int64_t)ev->ts_ns + ct->mono_to_real_ns) / 1000;
	err = conntrack_ingest(ct, ev, ts_us, &r);
	if (ct->observer)
		ct->observer(ct->observer_arg, ev, ts_us, r);
	return err;
}

int conntrack_poll(struct conntrack *ct)
{
	int n;

	if (!ct->rb)
		return 0;
	ct->mono_to_real_ns = bpfutil_mono_to_real_ns();
	n = ring_buffer__consume(ct->rb);
	conntrack_expire(ct, bpfutil_clock_ns(CLOCK_REALTIME) / 1000);
	return n;
}

int conntrack_fd(const struct conntrack *ct)
{
	return ct->rb ? ring_buffer__epoll_fd(ct->rb) : -1;
}

uint64_t conntrack_lost(const struct conntrack *ct)
{
	return ct->skel ? bpfutil_percpu_sum(ct->skel->maps.lost) : 0;
}

int conntrack_open(struct conntrack **out, const uint16_t *ports, size_t nports,
		   const struct conntrack_opts *opts, char *err, size_t errsz)
{
	struct conntrack *ct = NULL;
	int rc;

	*out = NULL;
	if (nports < 1 || nports > CONN_MAX_PORTS) {
		snprintf(err, errsz, "watch 1 to %d ports, not %zu", CONN_MAX_PORTS, nports);
		return -EINVAL;
	}
	rc = bpfutil_check_btf(err, errsz);
	if (rc)
		return rc;
	rc = conntrack_new(&ct, opts);
	if (rc) {
		snprintf(err, errsz, "out of memory");
		return rc;
	}
	bpfutil_quiet_libbpf();
	ct->skel = conn_bpf__open();
	if (!ct->skel) {
		rc = -errno;
		snprintf(err, errsz, "opening the BPF object failed: %s", strerror(errno));
		goto cleanup;
	}
	for (size_t i = 0; i < nports; i++)
		ct->skel->rodata->watched_ports[i] = ports[i];
	ct->skel->rodata->n_watched_ports = (__u32)nports;
	rc = conn_bpf__load(ct->skel);
	if (rc) {
		bpfutil_load_error(rc, "CAP_BPF and CAP_PERFMON", err, errsz);
		goto cleanup;
	}
	rc = conn_bpf__attach(ct->skel);
	if (rc) {
		if (rc == -EPERM || rc == -EACCES)
			bpfutil_load_error(rc, "CAP_BPF and CAP_PERFMON", err, errsz);
		else
			snprintf(err, errsz, "attaching tp_btf/inet_sock_set_state failed: %s",
				 strerror(-rc));
		goto cleanup;
	}
	ct->rb = ring_buffer__new(bpf_map__fd(ct->skel->maps.events), on_ring_event, ct, NULL);
	if (!ct->rb) {
		rc = -errno;
		snprintf(err, errsz, "opening the BPF ring buffer failed: %s", strerror(errno));
		goto cleanup;
	}
	ct->mono_to_real_ns = bpfutil_mono_to_real_ns();
	*out = ct;
	return 0;
cleanup:
	conntrack_free(&ct);
	return rc;
}
