/* prefilter: the literal byte strings the enabled rules require, derived from their Detection
 * and the data models, and the cheap test that skips a raw line holding none of them before
 * any JSON parse. Sound: it never skips a line a rule could match (proof in prefilter.c). */
#ifndef KAA_PREFILTER_H
#define KAA_PREFILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <cjson/cJSON.h>

#define PF_MAX_LITS   8 /* literals in one set; a rule needing more gets no prefilter */
#define PF_MIN_LIT    4 /* a shorter required string is not used (too common to be worth it) */
#define PF_MAX_CONSTS 16

struct datamodel;
struct expr;
struct ref;
struct rule;
struct ruleset;

/* A byte string borrowed from a rule's Value (it lives as long as the rule set). */
struct pf_lit {
	const char *s;
	size_t len;
};

/* A cover of an expression: every line that can make it true holds at least one of lits in
 * its raw bytes. any_line: no such set is known, every line must be decoded. n == 0 (and not
 * any_line): the expression can never be true. */
struct pf_set {
	bool any_line;
	size_t n;
	struct pf_lit lits[PF_MAX_LITS];
};

/* What a key specifier resolves to besides strings copied from the line: the expression
 * deriver asks, the prefilter answers from the data model. Returns 0 with the constants the
 * key may yield instead of a value from the line in consts[0..*n), or -1 when the key's value
 * may be built (Template, Split) and nothing is known. */
struct pf_env {
	int (*ref_consts)(void *arg, const struct ref *r, const cJSON **consts, size_t max,
			  size_t *n);
	void *arg;
};

void pf_set_any_line(struct pf_set *s);
void pf_set_empty(struct pf_set *s);
/* Add the longest run of s that JSON writes only verbatim (see prefilter.c); a run shorter
 * than PF_MIN_LIT, or a full set, makes the set any_line. */
void pf_set_add_value(struct pf_set *set, const char *s);
/* into = into OR other (a line matching either holds a literal of the union). */
void pf_set_union(struct pf_set *into, const struct pf_set *other);
/* The cover to keep for an All of a and b: either one is sound; the one that skips more. */
const struct pf_set *pf_set_better(const struct pf_set *a, const struct pf_set *b);

/* The cover of one rule (InlineFilters and Detection) under its log type's data model. */
void prefilter_rule_cover(const struct rule *r, const struct datamodel *dm, struct pf_set *out);

struct prefilter;

/* Derive the covers of every enabled rule of rs, per log type and for all of them. Returns 0
 * or -ENOMEM; *out is owned by the caller (prefilter_free). */
int prefilter_new(struct prefilter **out, const struct ruleset *rs);
void prefilter_free(struct prefilter **pf);
/* The set that decides for lines of log type default_lt (borrowed; never NULL). */
const struct pf_set *prefilter_for(const struct prefilter *pf, const char *default_lt);
/* True when the line cannot match any enabled rule: it holds none of the literals (of dflt's
 * log type, or of every log type when it may name its own with p_log_type) and no \u escape
 * that could spell one. Reads line[0..len) only, allocates and copies nothing. */
bool prefilter_skip(const struct prefilter *pf, const struct pf_set *dflt, const char *line,
		    size_t len);
/* One line for the logs: what lines of default_lt are skipped on, or why none are. */
void prefilter_describe(const struct prefilter *pf, const char *default_lt, char *buf,
			size_t bufsz);

#endif
