/* correlate: joins an alert's audit event to the request the uprobe saw (source IP, URI, method,
 * time) and that request to its TCP connection (source port); without the uprobe, to the
 * connections open from the source IP at the time. */
#include "correlate.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <time.h>

#include "conntrack.h"
#include "eventtime.h"
#include "httpprobe.h"
#include "log.h"
#include "reqtrack.h"

#define MAX_SOURCE_IPS 16 /* sourceIPs entries looked at */
#define ANON_TOP       5  /* source IPs named in the summary */

struct correlate {
	struct conntrack *ct;
	struct httpprobe *hp;
	struct reqtrack *rt;
	uint64_t exact, by_ip_time, none;
};

static int64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void correlate_request(struct correlate *c, const struct http_event *ev, int64_t ts_us)
{
	const struct req_record *r;

	if (!c->rt || reqtrack_add(c->rt, ev, ts_us, &r) || !r)
		return;
	if (c->ct)
		conntrack_count_request(c->ct, &r->ip, r->port, ts_us);
}

static void on_request(void *arg, const struct http_event *ev, int64_t ts_us)
{
	correlate_request(arg, ev, ts_us);
}

int correlate_new(struct correlate **out, struct conntrack *ct, struct reqtrack *rt)
{
	struct correlate *c = calloc(1, sizeof(*c));

	*out = NULL;
	if (!c) {
		conntrack_free(&ct);
		reqtrack_free(&rt);
		return -ENOMEM;
	}
	c->ct = ct;
	c->rt = rt;
	*out = c;
	return 0;
}

void correlate_free(struct correlate **pc)
{
	struct correlate *c = *pc;

	if (!c)
		return;
	httpprobe_free(&c->hp);
	conntrack_free(&c->ct);
	reqtrack_free(&c->rt);
	free(c);
	*pc = NULL;
}

void correlate_parts(const struct correlate *c, bool *conntrack, bool *uprobe)
{
	*conntrack = c && c->ct;
	*uprobe = c && c->hp;
}

int correlate_open(struct correlate **out, const struct correlate_opts *o, char *err,
		   size_t errsz)
{
	struct conntrack_opts copts = {.retention_us = o->history_us, .proc_root = "/proc"};
	struct reqtrack_opts ropts = {.retention_us = o->history_us};
	enum log_level lvl = o->mode == CORR_ON ? LOG_ERROR : LOG_WARN;
	const char *process = o->process ? o->process : "kube-apiserver";
	struct correlate *c;
	char why[256];
	int rc;

	*out = NULL;
	if (o->mode == CORR_OFF)
		return 0;
	rc = correlate_new(&c, NULL, NULL);
	if (rc) {
		snprintf(err, errsz, "out of memory");
		return rc;
	}
	rc = conntrack_open(&c->ct, o->ports, o->nports, &copts, why, sizeof(why));
	if (rc && o->mode == CORR_REQUIRED) {
		snprintf(err, errsz, "connection tracking is unavailable: %s", why);
		goto fail;
	}
	if (rc)
		log_msg(lvl, "correlation: connection tracking unavailable: %s; alerts will say "
			     "connection.match none unless the uprobe matches",
			why);
	rc = reqtrack_new(&c->rt, &ropts);
	if (rc) {
		snprintf(err, errsz, "out of memory");
		goto fail;
	}
	rc = httpprobe_open(&c->hp, process, on_request, c, why, sizeof(why));
	if (rc && o->mode == CORR_REQUIRED) {
		snprintf(err, errsz, "the uprobe on %s is unavailable: %s", process, why);
		goto fail;
	}
	if (rc)
		log_msg(lvl, "correlation: the uprobe on %s is unavailable: %s; matching by "
			     "source IP and time only (connection.match ip+time)",
			process, why);
	if (!c->ct && !c->hp) {
		correlate_free(&c);
		return 0;
	}
	if (c->ct)
		log_info("correlation: following TCP connections to the API server's ports with eBPF");
	if (c->hp) {
		/* a quarter of the ring: read at each alert and each second, woken when it fills */
		httpprobe_set_wakeup(c->hp, HTTP_RINGBUF_BYTES / 4);
		httpprobe_check(c->hp); /* logs whether it attached, and if not why */
	}
	*out = c;
	return 0;
fail:
	correlate_free(&c);
	return rc ? rc : -ENOTSUP;
}

size_t correlate_fds(const struct correlate *c, int *fds)
{
	size_t n = 0;

	if (!c)
		return 0;
	if (c->ct && conntrack_fd(c->ct) >= 0)
		fds[n++] = conntrack_fd(c->ct);
	if (c->hp && httpprobe_fd(c->hp) >= 0)
		fds[n++] = httpprobe_fd(c->hp);
	if (c->hp && httpprobe_pidfd(c->hp) >= 0)
		fds[n++] = httpprobe_pidfd(c->hp);
	return n;
}

void correlate_poll(struct correlate *c)
{
	if (!c)
		return;
	/* connections first: a request's connection is then known when the request is counted */
	if (c->ct && conntrack_poll(c->ct) < 0)
		log_error("correlation: reading the connection ring buffer failed");
	if (c->hp && httpprobe_poll(c->hp) < 0)
		log_error("correlation: reading the request ring buffer failed");
	if (c->rt)
		reqtrack_expire(c->rt, now_us());
}

void correlate_ready(struct correlate *c, int fd)
{
	if (c && c->hp && fd == httpprobe_pidfd(c->hp)) {
		correlate_poll(c); /* the last requests of the process that went */
		httpprobe_check(c->hp);
		return;
	}
	correlate_poll(c);
}

void correlate_tick(struct correlate *c)
{
	if (!c)
		return;
	correlate_poll(c); /* what waits below the wake-up mark */
	if (c->hp)
		httpprobe_check(c->hp);
}

static void add_ip(cJSON *o, const char *key, const struct conn_ip *ip)
{
	char a[64];

	conntrack_ip_format(ip, a, sizeof(a));
	cJSON_AddStringToObject(o, key, a);
}

static void add_bool_or_null(cJSON *o, const char *key, bool known, bool v)
{
	if (known)
		cJSON_AddBoolToObject(o, key, v);
	else
		cJSON_AddNullToObject(o, key);
}

static void add_client(cJSON *o, const struct conn_record *r)
{
	cJSON *cl;

	if (!r || !r->local_client)
		return;
	cl = cJSON_AddObjectToObject(o, "client");
	if (!cl)
		return;
	cJSON_AddNumberToObject(cl, "pid", r->pid);
	cJSON_AddStringToObject(cl, "comm", r->comm);
	if (r->info && r->info->exe[0])
		cJSON_AddStringToObject(cl, "exe", r->info->exe);
	else
		cJSON_AddNullToObject(cl, "exe");
	cJSON_AddNumberToObject(cl, "cgroup_id", (double)r->cgroup_id);
	if (r->info && r->info->container_id[0])
		cJSON_AddStringToObject(cl, "container_id", r->info->container_id);
	else
		cJSON_AddNullToObject(cl, "container_id");
	if (r->info && r->info->pod_uid[0])
		cJSON_AddStringToObject(cl, "pod_uid", r->info->pod_uid);
	else
		cJSON_AddNullToObject(cl, "pod_uid");
}

/* The connection's own fields; r may be NULL (a request whose connection opened before the
 * agent started, or whose events were lost). */
static void add_conn(cJSON *o, const struct conn_record *r)
{
	if (r) {
		add_ip(o, "dst_ip", &r->server);
		cJSON_AddNumberToObject(o, "dst_port", r->server_port);
	} else {
		cJSON_AddNullToObject(o, "dst_ip");
		cJSON_AddNullToObject(o, "dst_port");
	}
	cJSON_AddItemToObject(o, "established_at",
			      eventtime_json(r ? r->established_us : 0, r && r->established_us));
	cJSON_AddItemToObject(o, "closed_at",
			      eventtime_json(r ? r->closed_us : 0, r && r->closed_us));
}

static bool exact(struct correlate *c, cJSON *o, const struct conn_ip *ips, size_t nips,
		  const char *uri, const char *verb, int64_t t)
{
	const struct req_record *q = NULL;
	const struct conn_record *r;
	size_t n = 0, i;

	/* the last source IP is the peer's address (the others come from X-Forwarded-For) */
	for (i = nips; i-- > 0 && !n;)
		n = reqtrack_match(c->rt, &ips[i], uri, strlen(uri), verb, t, CORRELATE_WINDOW_US, &q);
	if (!n)
		return false;
	r = c->ct ? conntrack_find_client(c->ct, &q->ip, q->port, q->ts_us) : NULL;
	add_ip(o, "src_ip", &q->ip);
	cJSON_AddNumberToObject(o, "src_port", q->port);
	add_conn(o, r);
	cJSON_AddNumberToObject(o, "requests_on_connection",
				r ? (double)r->requests
				  : (double)reqtrack_count(c->rt, &q->ip, q->port, 0, 0));
	cJSON_AddBoolToObject(o, "auth_header_present", q->flags & HTTP_F_AUTH);
	if (q->scheme[0])
		cJSON_AddStringToObject(o, "auth_scheme", q->scheme);
	cJSON_AddBoolToObject(o, "client_cert_present", q->flags & HTTP_F_CLIENT_CERT);
	add_client(o, r);
	cJSON_AddStringToObject(o, "match", "exact");
	cJSON_AddNumberToObject(o, "candidates", (double)n);
	c->exact++;
	return true;
}

static bool by_ip_time(struct correlate *c, cJSON *o, const struct conn_ip *ips, size_t nips,
		       int64_t t)
{
	const struct conn_record *recs[1];
	size_t n = 0, i;

	for (i = nips; i-- > 0 && !n;)
		n = conntrack_lookup(c->ct, &ips[i], t, recs, 1);
	if (!n)
		return false;
	add_ip(o, "src_ip", &recs[0]->client);
	cJSON_AddNumberToObject(o, "src_port", recs[0]->client_port);
	add_conn(o, recs[0]);
	if (c->hp)
		cJSON_AddNumberToObject(o, "requests_on_connection", recs[0]->requests);
	else
		cJSON_AddNullToObject(o, "requests_on_connection");
	add_bool_or_null(o, "auth_header_present", false, false);
	add_bool_or_null(o, "client_cert_present", false, false);
	add_client(o, recs[0]);
	cJSON_AddStringToObject(o, "match", "ip+time");
	cJSON_AddNumberToObject(o, "candidates", (double)n);
	c->by_ip_time++;
	return true;
}

cJSON *correlate_connection(struct correlate *c, const cJSON *root, int64_t fallback_us)
{
	const cJSON *ips = cJSON_GetObjectItemCaseSensitive(root, "sourceIPs");
	const cJSON *uri = cJSON_GetObjectItemCaseSensitive(root, "requestURI");
	const cJSON *verb = cJSON_GetObjectItemCaseSensitive(root, "verb");
	const cJSON *rrt = cJSON_GetObjectItemCaseSensitive(root, "requestReceivedTimestamp");
	struct conn_ip ip[MAX_SOURCE_IPS];
	size_t nips = 0;
	int64_t t = fallback_us;
	cJSON *o = cJSON_CreateObject();
	const cJSON *it;

	if (!o)
		return NULL;
	if (cJSON_IsString(rrt) && eventtime_parse(rrt->valuestring, &t))
		t = fallback_us;
	if (!cJSON_IsArray(ips))
		ips = NULL;
	cJSON_ArrayForEach(it, ips)
	{
		if (nips < MAX_SOURCE_IPS && cJSON_IsString(it) &&
		    conntrack_ip_parse(it->valuestring, &ip[nips]) == 0)
			nips++;
	}
	if (c) {
		/* poll first: this request's events may still wait in the ring buffers */
		correlate_poll(c);
		if (c->rt && cJSON_IsString(uri) &&
		    exact(c, o, ip, nips, uri->valuestring,
			  cJSON_IsString(verb) ? verb->valuestring : NULL, t))
			return o;
		if (c->ct && by_ip_time(c, o, ip, nips, t))
			return o;
		c->none++;
	}
	cJSON_AddStringToObject(o, "match", "none");
	cJSON_AddNumberToObject(o, "candidates", 0);
	return o;
}

void correlate_summary(struct correlate *c)
{
	struct reqtrack_anon top[ANON_TOP];
	struct reqtrack_stats rs;
	char line[512];
	size_t len = 0, n, i;

	if (!c)
		return;
	if (c->ct) {
		struct conntrack_stats cs;

		conntrack_stats(c->ct, &cs);
		log_info("correlation: connections=%zu connection_events=%llu bpf_events_lost=%llu",
			 cs.entries, (unsigned long long)cs.events,
			 (unsigned long long)conntrack_lost(c->ct));
	}
	if (c->hp) {
		struct httpprobe_status hs;

		httpprobe_status(c->hp, &hs);
		if (hs.attached)
			log_info("correlation: uprobe attached to pid %d (%s, %s, offsets from %s) "
				 "requests=%llu bpf_events_lost=%llu",
				 (int)hs.pid, hs.exe, hs.go_version, hs.offsets_source,
				 (unsigned long long)hs.events, (unsigned long long)hs.lost);
		else
			log_info("correlation: uprobe not attached (%s) requests=%llu "
				 "bpf_events_lost=%llu",
				 hs.reason[0] ? hs.reason : "no API server process yet",
				 (unsigned long long)hs.events, (unsigned long long)hs.lost);
	}
	log_info("correlation: alerts matched exact=%llu ip+time=%llu none=%llu",
		 (unsigned long long)c->exact, (unsigned long long)c->by_ip_time,
		 (unsigned long long)c->none);
	if (!c->rt)
		return;
	reqtrack_stats(c->rt, &rs);
	if (!rs.anonymous)
		return;
	n = reqtrack_anon_top(c->rt, top, ANON_TOP);
	for (i = 0; i < ANON_TOP && i < n && len < sizeof(line); i++) {
		char a[64];

		conntrack_ip_format(&top[i].ip, a, sizeof(a));
		len += (size_t)snprintf(line + len, sizeof(line) - len, " %s=%llu", a,
					(unsigned long long)top[i].count);
	}
	log_info("correlation: anonymous requests on the wire (no Authorization header, no client "
		 "certificate) since start: %llu from %zu source IPs%s; most:%s",
		 (unsigned long long)rs.anonymous, rs.anon_ips,
		 rs.anon_other ? " (and more not counted one by one)" : "", len ? line : " -");
}

void correlate_stats(const struct correlate *c, struct correlate_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (!c)
		return;
	if (c->ct) {
		st->connections = conntrack_fd(c->ct) >= 0;
		st->bpf_events_lost += conntrack_lost(c->ct);
	}
	if (c->hp) {
		struct httpprobe_status hs;

		httpprobe_status(c->hp, &hs);
		st->uprobe = hs.attached;
		st->bpf_events_lost += hs.lost;
	}
	if (c->rt) {
		struct reqtrack_stats rs;

		reqtrack_stats(c->rt, &rs);
		st->anonymous_requests = rs.anonymous;
	}
}
