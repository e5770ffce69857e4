/* ruleset: every rule and data model under the given paths, loaded and cross-checked, with
 * the rules indexed by log type. */
#ifndef KAA_RULESET_H
#define KAA_RULESET_H

#include <stdio.h>

#include "datamodel.h"
#include "prefilter.h"
#include "rule.h"
#include "trust.h"
#include "udm.h"

struct rs_logtype {
	char *name;
	const struct datamodel *dm;
	const struct rule **rules; /* enabled rules for this log type */
	size_t nrules;
};

struct ruleset {
	struct rule **rules;
	size_t nrules;
	struct datamodel **models;
	size_t nmodels;
	struct udm_names names;
	struct rs_logtype *lts;
	size_t nlts;
	size_t nfiles;
	struct prefilter *pf; /* the literals the enabled rules require (prefilter.h) */
};

#define RULESET_MAX_FILE_BYTES (4u << 20)

/* Load every .yml/.yaml file under each path (a file or a directory, walked recursively in
 * name order). Each problem is printed to errs as one "file:line: message" line. Returns the
 * number of problems (0: *out is usable), or -ENOMEM. *out is always set and must be freed. */
int ruleset_load(struct ruleset **out, char *const *paths, size_t npaths, FILE *errs);
/* ruleset_load, each file and directory first checked against trust (trust.h): one refused is
 * a problem, reported as "PATH: refused: ...". */
int ruleset_load_trusted(struct ruleset **out, char *const *paths, size_t npaths,
			 const struct trust_policy *trust, FILE *errs);
void ruleset_free(struct ruleset *rs);

/* The entry for a log type, or NULL when no enabled rule takes it. */
const struct rs_logtype *ruleset_find(const struct ruleset *rs, const char *log_type);
/* The rule with this RuleID, or NULL; rs is a const struct ruleset * (the shape dedup_restore
 * takes). */
const struct rule *ruleset_rule(void *rs, const char *id);
/* The enabled data model for a log type, or NULL. */
const struct datamodel *ruleset_model(const struct ruleset *rs, const char *log_type);

#endif
