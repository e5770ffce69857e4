/* reqtrack: the requests the uprobe on the API server saw (bpf/http.bpf.c via httpprobe), kept
 * for a short, bounded time so an alert from the audit log can find the request that caused it
 * (source IP, URI, method, time), and counted per source IP when they carried no credential at
 * all (anonymous as the wire sees it). Only a hash of the URI is kept, never its text. */
#ifndef KAA_REQTRACK_H
#define KAA_REQTRACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>

#include "conntrack.h"
#include "http.h"

#define REQTRACK_DEFAULT_MAX_ENTRIES 65536
#define REQTRACK_DEFAULT_ANON_IPS    1024
#define REQTRACK_METHOD_LEN	     8
#define REQTRACK_SCHEME_LEN	     12

struct req_record {
	int64_t ts_us;		/* wall clock of the probe */
	struct conn_ip ip;	/* the client as RemoteAddr names it */
	uint16_t port;
	uint32_t flags;		/* enum http_event_flags */
	uint32_t uri_len;	/* the full length */
	uint64_t uri_hash;	/* reqtrack_uri_hash of the URI */
	uint32_t pid;		/* the server process */
	char method[REQTRACK_METHOD_LEN];  /* "" when longer than 7 bytes */
	char scheme[REQTRACK_SCHEME_LEN];  /* the Authorization scheme, "" when none or too long */

	/* the history's links, not for callers */
	struct conn_hnode by_ip;
	struct conn_lnode age;
};

struct reqtrack_opts {
	int64_t retention_us; /* 0: CONNTRACK_DEFAULT_RETENTION_US (120 s) */
	size_t max_entries;   /* 0: REQTRACK_DEFAULT_MAX_ENTRIES */
	size_t max_anon_ips;  /* source IPs counted one by one; 0: REQTRACK_DEFAULT_ANON_IPS */
};

struct reqtrack_stats {
	uint64_t requests;   /* added */
	uint64_t bad_addr;   /* RemoteAddr that is not ip:port (not kept) */
	uint64_t evicted;    /* pushed out by max_entries before retention was over */
	uint64_t anonymous;  /* no Authorization header and no client certificate */
	uint64_t anon_other; /* ...from source IPs beyond max_anon_ips */
	size_t entries;
	size_t anon_ips;
};

struct reqtrack_anon {
	struct conn_ip ip;
	uint64_t count;
};

struct reqtrack;

int reqtrack_new(struct reqtrack **out, const struct reqtrack_opts *opts);
void reqtrack_free(struct reqtrack **rt);

/* Record one request seen at ts_us; *rec (when not NULL) is its record, NULL when it was not
 * kept (a RemoteAddr that does not parse). Returns 0, -EINVAL (bad address, counted), -ENOMEM. */
int reqtrack_add(struct reqtrack *rt, const struct http_event *ev, int64_t ts_us,
		 const struct req_record **rec);
/* Drop requests older than now_us - retention. */
void reqtrack_expire(struct reqtrack *rt, int64_t now_us);

/* The request from ip whose URI is uri (len bytes), whose method fits the Kubernetes audit verb
 * (NULL or unknown verbs fit any method) and whose time is within window_us of t_us: the
 * closest in time into *best. Returns how many fit (0: *best is NULL). */
size_t reqtrack_match(const struct reqtrack *rt, const struct conn_ip *ip, const char *uri,
		      size_t len, const char *verb, int64_t t_us, int64_t window_us,
		      const struct req_record **best);
/* Requests from ip:port seen in [from_us, to_us] (to_us 0: until now) still in the history. */
size_t reqtrack_count(const struct reqtrack *rt, const struct conn_ip *ip, uint16_t port,
		      int64_t from_us, int64_t to_us);

/* The hash a URI is kept as: its first HTTP_URI_LEN - 1 bytes (what the probe reads). */
uint64_t reqtrack_uri_hash(const char *uri, size_t len);
/* Whether an HTTP method fits a Kubernetes audit verb ("list" fits GET, "create" POST...). */
bool reqtrack_verb_fits(const char *verb, const char *method);
/* "10.0.0.1:443", "[fd00::1]:443" into ip and port; 0 or -EINVAL. */
int reqtrack_parse_addr(const char *s, struct conn_ip *ip, uint16_t *port);

/* The source IPs with the most anonymous requests since the start: up to max into out, most
 * first. Returns how many IPs are counted in all. */
size_t reqtrack_anon_top(const struct reqtrack *rt, struct reqtrack_anon *out, size_t max);
void reqtrack_stats(const struct reqtrack *rt, struct reqtrack_stats *st);

#endif
