/* dedup: Panther's alert grouping. The first match of a (rule, dedup string) opens a window of
 * DedupPeriodMinutes; later matches inside it raise the count; the first match after it
 * opens a new window. With Threshold N the alert opens only when N matches share a window. */
#ifndef KAA_DEDUP_H
#define KAA_DEDUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>

#include "rule.h"

struct alert_group {
	const struct rule *rule;
	char *key;     /* rule id, 0x1f, dedup string */
	const char *dedup;
	int64_t window_start; /* microseconds */
	int64_t window_end;
	int64_t first_seen, last_seen;
	uint64_t count;
	bool alerted;  /* threshold reached: the alert exists */
	cJSON *first;  /* what the caller keeps of the first match (owned) */
	size_t weight; /* bytes the caller holds for it (set by the caller) */
	struct alert_group *hnext;
	struct alert_group *prev, *next; /* opening order */
};

enum dedup_outcome {
	DEDUP_HELD,      /* below Threshold: no alert yet */
	DEDUP_NEW_ALERT, /* this match opened the alert */
	DEDUP_UPDATE,    /* joined an open alert */
};

struct dedup_table {
	struct alert_group **buckets;
	size_t nbuckets;
	size_t count;
	size_t weight; /* sum of the groups' weights */
	struct alert_group *head, *tail;
};

/* Called for a group leaving the table (window over, or table flushed); it is freed after. */
typedef int (*dedup_close_fn)(void *arg, struct alert_group *g);

int dedup_init(struct dedup_table *t, size_t nbuckets);
void dedup_free(struct dedup_table *t);

/* Record a match of r with dedup string at time ts. A group whose window has passed is
 * closed first (close_fn). On return *gout is the group; *first_match says the group was
 * created by this match (the caller then sets g->first). Returns the outcome or -ENOMEM. */
int dedup_record(struct dedup_table *t, const struct rule *r, const char *dedup, int64_t ts,
		 struct alert_group **gout, bool *first_match, dedup_close_fn close_fn,
		 void *arg);
/* Close every group whose window ended before now (all of them when now is INT64_MAX), in
 * opening order. Returns 0 or the first error from close_fn. */
int dedup_expire(struct dedup_table *t, int64_t now, dedup_close_fn close_fn, void *arg);

/* Set g's weight (keeps the table's total). */
void dedup_set_weight(struct dedup_table *t, struct alert_group *g, size_t weight);
/* Close the group opened first, whether or not its window is over. Returns 0, 1 when the
 * table is empty, or the error from close_fn. */
int dedup_close_oldest(struct dedup_table *t, dedup_close_fn close_fn, void *arg);

/* The open windows as JSON (for the state file). Returns a new array or NULL. */
cJSON *dedup_save(const struct dedup_table *t);
/* Put saved windows back; find maps a rule id to the rule (NULL: the rule is gone and its
 * windows are dropped). Returns how many were restored, or -ENOMEM. */
int dedup_restore(struct dedup_table *t, const cJSON *saved,
		  const struct rule *(*find)(void *arg, const char *id), void *arg);

/* A stable id for the alert: the same rule, dedup string and window start give the same
 * 32 hex digits on every run and every retry. out must hold 33 bytes. */
void dedup_alert_id(const struct alert_group *g, char out[33]);

#endif
