/* The requests the uprobe reports from the API server's memory (RemoteAddr, RequestURI, method
 * and the Authorization scheme are the client's to choose, and the probe copies bytes, not
 * strings): a run of struct http_event as the ring buffer hands them over, each recorded in a
 * small request history and then looked up again as an alert's join would, then counted,
 * ranked and expired. */
#include <stdlib.h>
#include <string.h>
#include <linux/types.h>

#include "conntrack.h"
#include "fuzz.h"
#include "http.h"
#include "reqtrack.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const verbs[] = {"get", "list", "create", "delete", "patch", NULL};
	struct reqtrack_opts ro = {.retention_us = 1000000, .max_entries = 64, .max_anon_ips = 4};
	struct reqtrack *rt;
	struct reqtrack_anon top[8];
	struct reqtrack_stats st;

	if (reqtrack_new(&rt, &ro))
		abort();
	for (size_t i = 0; i + sizeof(struct http_event) <= size; i += sizeof(struct http_event)) {
		struct http_event ev;
		const struct req_record *rec;
		int64_t ts = (int64_t)(i / sizeof(ev)) * 100000;
		memcpy(&ev, data + i, sizeof(ev));
		if (reqtrack_add(rt, &ev, ts, &rec) || !rec)
			continue;
		const struct req_record *best;
		size_t n = strnlen(ev.uri, sizeof(ev.uri));
		reqtrack_match(rt, &rec->ip, ev.uri, n, verbs[i % 6], ts, 2000000, &best);
		reqtrack_count(rt, &rec->ip, rec->port, 0, 0);
		reqtrack_verb_fits(verbs[i % 5], rec->method);
	}
	reqtrack_anon_top(rt, top, 8);
	reqtrack_stats(rt, &st);
	reqtrack_expire(rt, INT64_MAX / 2);
	reqtrack_free(&rt);
	return 0;
}
