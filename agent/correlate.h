/* correlate: the daemon's eBPF correlation. Owns the connection history (conntrack), the uprobe
 * on the API server (httpprobe) and the request history (reqtrack); for an alert's audit event
 * it finds the request that caused it and its TCP connection, and builds the alert's
 * `connection` object. Whatever part is unavailable is said once and the rest goes on. */
#ifndef KAA_CORRELATE_H
#define KAA_CORRELATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>

#include "config.h"

/* How far apart the probe's time and the audit event's requestReceivedTimestamp may be. */
#define CORRELATE_WINDOW_US (2 * INT64_C(1000000))
#define CORRELATE_MAX_FDS   3

struct conntrack;
struct reqtrack;
struct correlate;

struct correlate_opts {
	enum correlation_mode mode;
	const uint16_t *ports; /* the API server's ports */
	size_t nports;
	const char *process; /* the API server: command name or absolute path */
	int64_t history_us;  /* how long connections and requests are kept */
};

/* Open what the mode asks for: connections and the uprobe. Logs one line per part that is not
 * available (a warning in mode auto, an error in mode on). Returns 0, or -errno with err set
 * only in mode required when a part is unavailable. *out is NULL in mode off. */
int correlate_open(struct correlate **out, const struct correlate_opts *o, char *err,
		   size_t errsz);
/* For the tests: a correlate over histories built without BPF (it owns and frees both; either
 * may be NULL). Returns 0 or -ENOMEM. */
int correlate_new(struct correlate **out, struct conntrack *ct, struct reqtrack *rt);
void correlate_free(struct correlate **c);
/* Which parts run (c may be NULL: none): the capabilities the rest of the run needs follow. */
void correlate_parts(const struct correlate *c, bool *conntrack, bool *uprobe);

/* The descriptors to poll for reading (ring buffers, the API server's pidfd): up to
 * CORRELATE_MAX_FDS into fds; returns how many. They change when the API server restarts:
 * ask again after each correlate_poll or correlate_tick. */
size_t correlate_fds(const struct correlate *c, int *fds);
/* fd (one of correlate_fds) is readable: read the ring buffers, or, for the API server's
 * pidfd, notice it exited and look for the next one. */
void correlate_ready(struct correlate *c, int fd);
/* Read every waiting event: connections first, then requests. */
void correlate_poll(struct correlate *c);
/* Now and then (each second): find or re-find the API server and attach the uprobe. */
void correlate_tick(struct correlate *c);

/* One request the uprobe saw (what correlate_poll does with each; the tests call it). */
struct http_event;
void correlate_request(struct correlate *c, const struct http_event *ev, int64_t ts_us);

/* The `connection` object for an alert on the audit event root (native Kubernetes audit
 * fields: sourceIPs, requestURI, verb, requestReceivedTimestamp; fallback_us when it has no
 * time). Returns a new object, NULL only when out of memory. */
cJSON *correlate_connection(struct correlate *c, const cJSON *root, int64_t fallback_us);

/* Log the state (connections, requests, attach state, lost events, anonymous requests on the
 * wire per source IP) in a few summary lines. */
void correlate_summary(struct correlate *c);

struct correlate_stats {
	bool connections;	      /* the connection tracking program is attached */
	bool uprobe;		      /* the uprobe is attached to an API server process now */
	uint64_t bpf_events_lost;     /* events both programs dropped (ring buffer full) */
	uint64_t anonymous_requests;  /* requests the uprobe saw with neither an Authorization
				       * header nor a client certificate */
};

/* The state and counters as of the events read so far (call correlate_poll first for the
 * latest). c may be NULL (mode off): all zero. */
void correlate_stats(const struct correlate *c, struct correlate_stats *st);

#endif
