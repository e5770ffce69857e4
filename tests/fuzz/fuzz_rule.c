/* A rule or data model file: the YAML loader, the rule and data-model compilers and the
 * cross-checks, then, when it loads, each of its rules' Tests evaluated as `test` does. */
#include <stdio.h>
#include <stdlib.h>

#include "fuzz.h"
#include "ruleset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *devnull;
	struct ruleset *rs;

	if (!devnull && !(devnull = fopen("/dev/null", "we")))
		abort();
	/* beside the shipped data models, as a rule author's file would be */
	char models[4096];
	snprintf(models, sizeof(models), "%s/data_models", fuzz_rules_dir());
	char *paths[] = {(char *)fuzz_write("rule.yml", data, size), models};
	int problems = ruleset_load(&rs, paths, 2, devnull);
	for (size_t i = 0; problems == 0 && i < rs->nrules; i++) {
		const struct rule *r = rs->rules[i];
		for (size_t k = 0; k < r->ntests; k++) {
			const struct rule_test *t = &r->tests[k];
			struct event ev;
			struct rule_match m;
			cJSON *log = cJSON_Duplicate(t->log, 1);
			if (!log || event_init(&ev, log, t->log_type,
					       ruleset_model(rs, t->log_type), rs->names.n)) {
				cJSON_Delete(log);
				continue;
			}
			if (rule_eval(r, &ev, &m) == 1)
				rule_match_free(&m);
			event_free(&ev);
		}
	}
	ruleset_free(rs);
	return 0;
}
