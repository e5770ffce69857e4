/* rulestats: per-rule counters (matches, new alerts) by rule id for the daemon's metrics. They
 * outlive a rules reload: a rule kept across a SIGHUP keeps counting from where it was, and a
 * rule removed keeps its last values, so a counter never goes back. */
#ifndef KAA_RULESTATS_H
#define KAA_RULESTATS_H

#include <stddef.h>
#include <stdint.h>

struct rule_counts {
	char *rule_id;
	uint64_t matches; /* events the rule matched */
	uint64_t alerts;  /* new alerts it opened (not updates, not matches held below threshold) */
};

struct rulestats {
	struct rule_counts *v; /* in the order first seen */
	size_t n, cap;
};

/* The counters of rule_id, added at zero when new (owned by s, valid until the next call).
 * NULL only when out of memory. */
struct rule_counts *rulestats_get(struct rulestats *s, const char *rule_id);
void rulestats_free(struct rulestats *s);

#endif
