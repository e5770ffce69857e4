/* test: load every rule under the given paths and run each rule's Tests. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "ruleset.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: kube-audit-agent test [PATH...]\n"
		   "\n"
		   "Load every rule and data model under each PATH (default %s) and run\n"
		   "every rule's Tests. One line per test (PASS or FAIL, RuleID, test name); a\n"
		   "failure shows what was expected and what came out. The last line is\n"
		   "\"N passed, M failed\" (a file that does not load counts as failed).\n"
		   "Exit status: 0 when all pass, 1 otherwise.\n",
		KAA_RULES_DIR);
}

static bool str_differs(const char *want, const char *got)
{
	return want && (!got || strcmp(want, got) != 0);
}

/* Run one test. Returns 1 passed, 0 failed, -ENOMEM. */
static int run_test(const struct ruleset *rs, const struct rule *r, const struct rule_test *t)
{
	struct event ev;
	struct rule_match m;
	cJSON *log = cJSON_Duplicate(t->log, 1);

	if (!log || event_init(&ev, log, t->log_type, ruleset_model(rs, t->log_type),
			       rs->names.n)) {
		cJSON_Delete(log);
		return -ENOMEM;
	}
	int matched = rule_eval(r, &ev, &m);
	event_free(&ev);
	if (matched < 0)
		return matched;

	const char *sev = matched ? severity_name(m.severity) : NULL;
	bool ok = (matched == 1) == t->expected;
	if (ok && matched) {
		ok = !str_differs(t->exp_title, m.title) && !str_differs(t->exp_dedup, m.dedup);
		if (t->exp_severity && strcasecmp(t->exp_severity, sev) != 0)
			ok = false;
	}
	printf("%s %s: %s\n", ok ? "PASS" : "FAIL", r->id, t->name);
	if (!ok) {
		printf("    %s:%d\n", r->file, t->line);
		printf("    expected: match=%s", t->expected ? "true" : "false");
		if (t->expected) {
			if (t->exp_title)
				printf(" title=\"%s\"", t->exp_title);
			if (t->exp_severity)
				printf(" severity=%s", t->exp_severity);
			if (t->exp_dedup)
				printf(" dedup=\"%s\"", t->exp_dedup);
		}
		printf("\n    got:      match=%s", matched ? "true" : "false");
		if (matched)
			printf(" title=\"%s\" severity=%s dedup=\"%s\"", m.title, sev, m.dedup);
		printf("\n");
	}
	if (matched)
		rule_match_free(&m);
	return ok ? 1 : 0;
}

int cmd_test(int argc, char **argv)
{
	static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {0}};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return 0;
		}
		usage(stderr);
		return 1;
	}
	char *def[] = {(char *)KAA_RULES_DIR};
	char **paths = optind < argc ? argv + optind : def;
	size_t npaths = optind < argc ? (size_t)(argc - optind) : 1;

	struct ruleset *rs;
	fflush(stdout);
	int problems = ruleset_load(&rs, paths, npaths, stdout);
	if (problems < 0) {
		fprintf(stderr, "test: %s\n", strerror(-problems));
		ruleset_free(rs);
		return 1;
	}
	unsigned passed = 0, failed = (unsigned)problems;
	for (size_t i = 0; i < rs->nrules; i++) {
		const struct rule *r = rs->rules[i];
		for (size_t k = 0; k < r->ntests; k++) {
			int res = run_test(rs, r, &r->tests[k]);
			if (res < 0) {
				fprintf(stderr, "test: out of memory\n");
				ruleset_free(rs);
				return 1;
			}
			if (res)
				passed++;
			else
				failed++;
		}
	}
	if (rs->nrules == 0 && problems == 0)
		printf("no rules found under the given paths\n");
	printf("%u passed, %u failed\n", passed, failed);
	ruleset_free(rs);
	return failed ? 1 : 0;
}
