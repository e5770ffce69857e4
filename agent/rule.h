/* rule: one detection rule in Panther's simple-detection YAML (plus the extensions
 * DynamicTitles and DedupString), compiled, and its evaluation against one event: match,
 * title, severity, dedup string and alert context, as Panther's engine computes them. */
#ifndef KAA_RULE_H
#define KAA_RULE_H

#include <stdbool.h>
#include <cjson/cJSON.h>

#include "event.h"
#include "expr.h"
#include "template.h"

enum severity { SEV_INFO, SEV_LOW, SEV_MEDIUM, SEV_HIGH, SEV_CRITICAL, SEV_DEFAULT };

#define RULE_MAX_GENERATED 1000 /* code points kept in a title or dedup string */
#define RULE_TRUNCATED_SUFFIX "... (truncated)"

struct rule_dynamic {
	struct expr *when;
	struct tmpl *title;     /* DynamicTitles */
	enum severity severity; /* DynamicSeverities */
};

struct rule_context_field {
	char *name;
	struct ref ref;
};

struct rule_test {
	char *name;
	int line;
	bool expected;
	cJSON *log;
	char *log_type;  /* the test's LogType, else the log's p_log_type, else the rule's first */
	char *exp_title; /* extensions: ExpectedTitle, ExpectedSeverity, ExpectedDedup */
	char *exp_severity;
	char *exp_dedup;
};

struct rule {
	char *id;
	char *display_name;
	char *file;
	bool enabled;
	char **log_types;
	size_t nlog_types;
	enum severity severity;
	long dedup_minutes;
	long threshold;
	cJSON *meta; /* Description, Runbook, Reference, Tags, Reports: carried into alerts */
	struct expr *detection;
	struct expr *inline_filters;
	struct tmpl *title;
	struct rule_dynamic *dyn_titles;
	size_t ndyn_titles;
	struct rule_dynamic *dyn_sevs;
	size_t ndyn_sevs;
	struct tmpl *dedup;
	struct ref *group_by;
	size_t ngroup_by;
	struct rule_context_field *context;
	size_t ncontext;
	struct rule_test *tests;
	size_t ntests;
};

struct rule_match {
	char *title;
	enum severity severity;
	char *dedup;
	cJSON *context;
};

/* Compile a rule from a parsed YAML document. Returns 0 or -EINVAL with cx->err set. */
int rule_load(struct rule **out, struct compile_ctx *cx);
void rule_free(struct rule *r);

bool rule_applies_to(const struct rule *r, const char *log_type);
/* Evaluate. Returns 1 and fills m's title, severity and dedup string (free with
 * rule_match_free) on a match, 0 on no match, -ENOMEM when the result could not be built.
 * m->context stays NULL: most matches only count towards an open alert and never show it. */
int rule_eval(const struct rule *r, struct event *ev, struct rule_match *m);
/* Build m->context, the AlertContext of a match of r on ev (an object; an absent value is
 * null). Returns 0 or -ENOMEM. */
int rule_match_context(const struct rule *r, struct event *ev, struct rule_match *m);
void rule_match_free(struct rule_match *m);

const char *severity_name(enum severity s);
/* Parse Info/INFO/... (and DEFAULT when allow_default). Returns 0 or -EINVAL. */
int severity_parse(const char *s, bool allow_default, enum severity *out);

/* Cut s to RULE_MAX_GENERATED code points as Panther does (in place; s is malloc'd and
 * may be reallocated). Returns the possibly new pointer, or NULL on memory failure. */
char *rule_truncate(char *s);

#endif
