/* alert: the records the daemon writes for a rule match after dedup: "alert" when a match
 * opens an alert (its Threshold reached), "update" when a later match joins it. Both carry
 * the same alert_id, so a SIEM can fold updates into the alert and drop repeats. */
#ifndef KAA_ALERT_H
#define KAA_ALERT_H

#include <stdint.h>
#include <cjson/cJSON.h>

#include "dedup.h"
#include "event.h"
#include "rule.h"

struct alert_source {
	const char *file;
	uint64_t offset; /* byte offset of the event's line */
};

struct alert_meta {
	const char *cluster; /* configured cluster name, or NULL */
	const char *node;
};

/* Build the record for a match that opened (DEDUP_NEW_ALERT) or joined (DEDUP_UPDATE) group
 * g. m's context is taken (m->context becomes NULL). Returns a new object or NULL. */
cJSON *alert_record(int outcome, const struct alert_group *g, struct rule_match *m,
		    struct event *ev, const struct alert_source *src, const struct alert_meta *meta);

#endif
