/* engine: one line in, matches out. Skips a line the prefilter proves no rule can match,
 * else decodes it, picks its log type (the line's p_log_type, else the caller's default),
 * builds the event with its data model and runs every enabled rule for that log type. */
#ifndef KAA_ENGINE_H
#define KAA_ENGINE_H

#include <stdbool.h>
#include <stdint.h>

#include "decode.h"
#include "ruleset.h"

struct engine_stats {
	uint64_t lines;
	uint64_t bytes;
	uint64_t decode_errors;
	uint64_t skipped_too_long;
	uint64_t no_rules; /* decoded lines whose log type no enabled rule takes */
	uint64_t matches;
	uint64_t prefiltered; /* lines skipped undecoded: they hold no literal a rule needs */
};

struct engine {
	const struct ruleset *rs;
	const char *default_log_type;
	int event_time_id; /* udm id of eventTime, or -1 */
	bool prefilter;    /* skip lines the prefilter rules out (engine_init: on) */
	const struct pf_set *pf_default; /* the prefilter's set for the default log type */
	struct engine_stats st;
};

/* Called once per matching rule; ev and m are valid only during the call, and m may be
 * taken over by zeroing it. Return 0 to go on, or a negative errno to stop. */
typedef int (*engine_match_fn)(void *arg, const struct rule *r, struct rule_match *m,
			       struct event *ev);

/* The prefilter is on; set e->prefilter = false to decode every line. */
void engine_init(struct engine *e, const struct ruleset *rs, const char *default_log_type);
/* Returns 0 when the line was evaluated (or skipped by the prefilter: then it is not decoded,
 * so a malformed line is counted as prefiltered, not as a decode error), 1 when it could not
 * be decoded (err says why), or a negative errno from fn or from memory. */
int engine_line(struct engine *e, const char *line, size_t len, struct decode_error *err,
		engine_match_fn fn, void *arg);
/* The event's time in microseconds: p_event_time, else the data model's eventTime.
 * Returns 0, or -ENOENT when the event has no parseable time. */
int engine_event_time(const struct engine *e, struct event *ev, int64_t *us);

#endif
