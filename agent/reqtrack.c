/* reqtrack: a bounded history of the requests the uprobe saw, indexed by client IP, oldest
 * first for expiry; and a bounded table of anonymous request counts per source IP. */
#include "reqtrack.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct reqtrack {
	int64_t retention_us;
	size_t max_entries;
	struct conn_hnode **by_ip;
	size_t nbuckets;
	struct conn_lnode age; /* oldest first */

	struct reqtrack_anon *anon; /* open addressing, nanon slots (a power of two) */
	size_t nanon, max_anon;
	struct reqtrack_stats st;
};

#define container_of(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))

static uint64_t fnv1a(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

#define FNV_OFFSET 0xcbf29ce484222325ULL

static size_t ip_hash(const struct conn_ip *ip)
{
	return (size_t)fnv1a(fnv1a(FNV_OFFSET, &ip->family, 1), ip->addr, sizeof(ip->addr));
}

static bool ip_equal(const struct conn_ip *a, const struct conn_ip *b)
{
	return a->family == b->family && !memcmp(a->addr, b->addr, sizeof(a->addr));
}

uint64_t reqtrack_uri_hash(const char *uri, size_t len)
{
	return fnv1a(FNV_OFFSET, uri, len < HTTP_URI_LEN - 1 ? len : HTTP_URI_LEN - 1);
}

int reqtrack_parse_addr(const char *s, struct conn_ip *ip, uint16_t *port)
{
	char host[64];
	const char *colon, *h = s;
	size_t hl;
	char *end;
	unsigned long p;

	if (s[0] == '[') {
		const char *rb = strchr(s, ']');
		if (!rb || rb[1] != ':')
			return -EINVAL;
		h = s + 1;
		hl = (size_t)(rb - h);
		colon = rb + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			return -EINVAL;
		hl = (size_t)(colon - s);
	}
	if (!hl || hl >= sizeof(host) || !colon[1])
		return -EINVAL;
	memcpy(host, h, hl);
	host[hl] = '\0';
	if (h == s && strchr(host, ':'))
		return -EINVAL; /* Go brackets an IPv6 host; without them the port is ambiguous */
	errno = 0;
	p = strtoul(colon + 1, &end, 10);
	if (errno || *end || p > 65535 || colon[1] < '0' || colon[1] > '9')
		return -EINVAL;
	if (conntrack_ip_parse(host, ip))
		return -EINVAL;
	*port = (uint16_t)p;
	return 0;
}

int reqtrack_new(struct reqtrack **out, const struct reqtrack_opts *opts)
{
	struct reqtrack *rt = calloc(1, sizeof(*rt));

	*out = NULL;
	if (!rt)
		return -ENOMEM;
	rt->retention_us = opts && opts->retention_us > 0 ? opts->retention_us
							  : CONNTRACK_DEFAULT_RETENTION_US;
	rt->max_entries = opts && opts->max_entries ? opts->max_entries
						    : REQTRACK_DEFAULT_MAX_ENTRIES;
	rt->max_anon = opts && opts->max_anon_ips ? opts->max_anon_ips : REQTRACK_DEFAULT_ANON_IPS;
	rt->nbuckets = 64;
	while (rt->nbuckets < rt->max_entries)
		rt->nbuckets <<= 1;
	rt->nanon = 16;
	while (rt->nanon < 2 * rt->max_anon)
		rt->nanon <<= 1;
	rt->by_ip = calloc(rt->nbuckets, sizeof(*rt->by_ip));
	rt->anon = calloc(rt->nanon, sizeof(*rt->anon));
	rt->age.prev = rt->age.next = &rt->age;
	if (!rt->by_ip || !rt->anon) {
		reqtrack_free(&rt);
		return -ENOMEM;
	}
	*out = rt;
	return 0;
}

static void record_free(struct reqtrack *rt, struct req_record *r)
{
	*r->by_ip.pprev = r->by_ip.next;
	if (r->by_ip.next)
		r->by_ip.next->pprev = r->by_ip.pprev;
	r->age.prev->next = r->age.next;
	r->age.next->prev = r->age.prev;
	rt->st.entries--;
	free(r);
}

void reqtrack_free(struct reqtrack **prt)
{
	struct reqtrack *rt = *prt;

	if (!rt)
		return;
	if (rt->by_ip) {
		while (rt->age.next != &rt->age)
			record_free(rt, container_of(rt->age.next, struct req_record, age));
	}
	free(rt->by_ip);
	free(rt->anon);
	free(rt);
	*prt = NULL;
}

static void count_anonymous(struct reqtrack *rt, const struct conn_ip *ip)
{
	size_t mask = rt->nanon - 1, i = ip_hash(ip) & mask;

	rt->st.anonymous++;
	for (;; i = (i + 1) & mask) {
		struct reqtrack_anon *a = &rt->anon[i];

		if (a->count && ip_equal(&a->ip, ip)) {
			a->count++;
			return;
		}
		if (!a->count)
			break;
	}
	if (rt->st.anon_ips >= rt->max_anon) {
		rt->st.anon_other++;
		return;
	}
	rt->anon[i].ip = *ip;
	rt->anon[i].count = 1;
	rt->st.anon_ips++;
}

/* Copy a NUL-terminated field of at most cap bytes into dst (dstsz); "" when it does not fit. */
static void copy_field(char *dst, size_t dstsz, const char *src, size_t cap)
{
	size_t n = strnlen(src, cap);

	dst[0] = '\0';
	if (n < dstsz) {
		memcpy(dst, src, n);
		dst[n] = '\0';
	}
}

int reqtrack_add(struct reqtrack *rt, const struct http_event *ev, int64_t ts_us,
		 const struct req_record **rec)
{
	char addr[HTTP_ADDR_LEN];
	struct req_record *r;
	struct conn_ip ip;
	uint16_t port;

	if (rec)
		*rec = NULL;
	copy_field(addr, sizeof(addr), ev->remote_addr, sizeof(ev->remote_addr));
	if (reqtrack_parse_addr(addr, &ip, &port)) {
		rt->st.bad_addr++;
		return -EINVAL;
	}
	if (!(ev->flags & (HTTP_F_AUTH | HTTP_F_CLIENT_CERT)))
		count_anonymous(rt, &ip);
	if (rt->st.entries >= rt->max_entries) {
		record_free(rt, container_of(rt->age.next, struct req_record, age));
		rt->st.evicted++;
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->ts_us = ts_us;
	r->ip = ip;
	r->port = port;
	r->flags = ev->flags;
	r->uri_len = ev->uri_len;
	r->uri_hash = reqtrack_uri_hash(ev->uri, strnlen(ev->uri, sizeof(ev->uri)));
	r->pid = ev->pid;
	copy_field(r->method, sizeof(r->method), ev->method, sizeof(ev->method));
	copy_field(r->scheme, sizeof(r->scheme), ev->scheme, sizeof(ev->scheme));

	struct conn_hnode **b = &rt->by_ip[ip_hash(&ip) & (rt->nbuckets - 1)];
	r->by_ip.next = *b;
	if (*b)
		(*b)->pprev = &r->by_ip.next;
	*b = &r->by_ip;
	r->by_ip.pprev = b;
	r->age.prev = rt->age.prev;
	r->age.next = &rt->age;
	rt->age.prev->next = &r->age;
	rt->age.prev = &r->age;
	rt->st.entries++;
	rt->st.requests++;
	if (rec)
		*rec = r;
	return 0;
}

void reqtrack_expire(struct reqtrack *rt, int64_t now_us)
{
	while (rt->age.next != &rt->age) {
		struct req_record *r = container_of(rt->age.next, struct req_record, age);

		if (r->ts_us >= now_us - rt->retention_us)
			break;
		record_free(rt, r);
	}
}

bool reqtrack_verb_fits(const char *verb, const char *method)
{
	static const struct {
		const char *verb, *method;
	} fits[] = {
		{"get", "GET"},		{"list", "GET"},      {"watch", "GET"},
		{"create", "POST"},	{"update", "PUT"},    {"patch", "PATCH"},
		{"delete", "DELETE"},	{"deletecollection", "DELETE"},
		{"post", "POST"},	{"put", "PUT"},	      {"head", "HEAD"},
		{"options", "OPTIONS"}, {"connect", "CONNECT"},
	};

	if (!verb || !method[0])
		return true;
	for (size_t i = 0; i < sizeof(fits) / sizeof(*fits); i++) {
		if (!strcmp(verb, fits[i].verb))
			return !strcmp(method, fits[i].method);
	}
	return true; /* a verb this table does not know (impersonate, proxy ...): any method */
}

static bool in_window(int64_t a, int64_t b, int64_t w)
{
	return a - b <= w && b - a <= w;
}

size_t reqtrack_match(const struct reqtrack *rt, const struct conn_ip *ip, const char *uri,
		      size_t len, const char *verb, int64_t t_us, int64_t window_us,
		      const struct req_record **best)
{
	struct conn_hnode *n = rt->by_ip[ip_hash(ip) & (rt->nbuckets - 1)];
	uint64_t h = reqtrack_uri_hash(uri, len);
	int64_t best_d = 0;
	size_t found = 0;

	*best = NULL;
	for (; n; n = n->next) {
		const struct req_record *r = container_of(n, struct req_record, by_ip);
		int64_t d = r->ts_us > t_us ? r->ts_us - t_us : t_us - r->ts_us;

		if (!ip_equal(&r->ip, ip) || r->uri_len != len || r->uri_hash != h ||
		    !in_window(r->ts_us, t_us, window_us) || !reqtrack_verb_fits(verb, r->method))
			continue;
		found++;
		if (!*best || d < best_d) {
			*best = r;
			best_d = d;
		}
	}
	return found;
}

size_t reqtrack_count(const struct reqtrack *rt, const struct conn_ip *ip, uint16_t port,
		      int64_t from_us, int64_t to_us)
{
	struct conn_hnode *n = rt->by_ip[ip_hash(ip) & (rt->nbuckets - 1)];
	size_t found = 0;

	for (; n; n = n->next) {
		const struct req_record *r = container_of(n, struct req_record, by_ip);

		if (r->port == port && ip_equal(&r->ip, ip) && r->ts_us >= from_us &&
		    (!to_us || r->ts_us <= to_us))
			found++;
	}
	return found;
}

static int anon_cmp(const void *a, const void *b)
{
	const struct reqtrack_anon *x = a, *y = b;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	if (x->ip.family != y->ip.family)
		return x->ip.family < y->ip.family ? -1 : 1;
	return memcmp(x->ip.addr, y->ip.addr, sizeof(x->ip.addr));
}

size_t reqtrack_anon_top(const struct reqtrack *rt, struct reqtrack_anon *out, size_t max)
{
	size_t n = 0;

	/* keep the max largest by insertion: max is small (a summary line's worth) */
	for (size_t i = 0; i < rt->nanon; i++) {
		const struct reqtrack_anon *a = &rt->anon[i];
		size_t j;

		if (!a->count || !max)
			continue;
		if (n == max && anon_cmp(a, &out[n - 1]) >= 0)
			continue;
		j = n < max ? n++ : n - 1;
		while (j > 0 && anon_cmp(a, &out[j - 1]) < 0) {
			out[j] = out[j - 1];
			j--;
		}
		out[j] = *a;
	}
	return rt->st.anon_ips;
}

void reqtrack_stats(const struct reqtrack *rt, struct reqtrack_stats *st)
{
	*st = rt->st;
}
