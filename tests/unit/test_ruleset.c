/* ruleset: every rule and data model under a directory, cross-checked and indexed by log type;
 * each problem reported once as "file:line: message". Each test builds its own directory. */
#include "unit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ruleset.h"

struct tree {
	char dir[64];
	char *files[8];
	int nfiles;
	char *subdirs[4];
	int nsubdirs;
};

static void tree_init(struct tree *t)
{
	memset(t, 0, sizeof(*t));
	strcpy(t->dir, "/tmp/kaa-unit-ruleset-XXXXXX");
	assert_non_null(mkdtemp(t->dir));
}

static void tree_mkdir(struct tree *t, const char *name)
{
	char *p;
	assert_true(asprintf(&p, "%s/%s", t->dir, name) > 0);
	t->subdirs[t->nsubdirs++] = p;
	assert_int_equal(mkdir(p, 0700), 0);
}

/* Write name (relative to the tree) with text; returns its full path (owned by t). */
static const char *tree_file(struct tree *t, const char *name, const char *text)
{
	char *p;
	assert_true(asprintf(&p, "%s/%s", t->dir, name) > 0);
	t->files[t->nfiles++] = p;
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return p;
}

static void tree_remove(struct tree *t)
{
	for (int i = 0; i < t->nfiles; i++) {
		unlink(t->files[i]);
		free(t->files[i]);
	}
	for (int i = t->nsubdirs - 1; i >= 0; i--) {
		rmdir(t->subdirs[i]);
		free(t->subdirs[i]);
	}
	rmdir(t->dir);
}

#define RULE(id, lt) "AnalysisType: rule\nRuleID: " id "\nLogTypes: [" lt "]\n" \
		     "Detection: [{Condition: AlwaysTrue}]\n"
#define MODEL(id, lt) "AnalysisType: datamodel\nDataModelID: " id "\nLogTypes: [" lt "]\n" \
		      "Mappings:\n  - Name: user\n    Path: $.u\n"

static void test_ruleset_loads_rules_and_models_recursively_in_name_order(void **state)
{
	struct tree t;
	struct ruleset *rs;
	char *msgs;
	tree_init(&t);
	tree_mkdir(&t, "sub");
	tree_file(&t, "b.yml", RULE("B", "L1"));
	tree_file(&t, "a.yaml", RULE("A", "L1, L2"));
	tree_file(&t, "sub/c.yml", RULE("C", "L2"));
	tree_file(&t, "sub/m.yml", MODEL("M", "L1"));
	tree_file(&t, "notes.txt", "not yaml at all: [");
	tree_file(&t, ".hidden.yml", "not: [valid");

	assert_int_equal(unit_ruleset_load(&rs, t.dir, &msgs), 0);
	assert_string_equal(msgs, "");
	assert_int_equal(rs->nrules, 3);
	assert_string_equal(rs->rules[0]->id, "A");
	assert_string_equal(rs->rules[1]->id, "B");
	assert_string_equal(rs->rules[2]->id, "C");
	assert_int_equal(rs->nmodels, 1);
	assert_int_equal(rs->nfiles, 4);

	const struct rs_logtype *l1 = ruleset_find(rs, "L1"), *l2 = ruleset_find(rs, "L2");
	assert_non_null(l1);
	assert_int_equal(l1->nrules, 2);
	assert_string_equal(l1->rules[0]->id, "A");
	assert_string_equal(l1->rules[1]->id, "B");
	assert_ptr_equal(l1->dm, rs->models[0]);
	assert_non_null(l2);
	assert_int_equal(l2->nrules, 2);
	assert_null(l2->dm);
	assert_null(ruleset_find(rs, "L3"));
	assert_null(ruleset_find(rs, NULL));
	assert_ptr_equal(ruleset_model(rs, "L1"), rs->models[0]);
	assert_null(ruleset_model(rs, "L2"));

	free(msgs);
	ruleset_free(rs);
	tree_remove(&t);
}

static void test_ruleset_disabled_rules_are_loaded_but_not_indexed(void **state)
{
	struct tree t;
	struct ruleset *rs;
	char *msgs;
	tree_init(&t);
	tree_file(&t, "a.yml", RULE("A", "L1") "Enabled: false\n");
	tree_file(&t, "b.yml", RULE("B", "L1"));
	assert_int_equal(unit_ruleset_load(&rs, t.dir, &msgs), 0);
	assert_int_equal(rs->nrules, 2);
	assert_int_equal(ruleset_find(rs, "L1")->nrules, 1);
	assert_string_equal(ruleset_find(rs, "L1")->rules[0]->id, "B");
	free(msgs);
	ruleset_free(rs);
	tree_remove(&t);
}

static void test_ruleset_counts_and_reports_each_bad_file(void **state)
{
	struct tree t;
	struct ruleset *rs;
	char *msgs, want[1024];
	tree_init(&t);
	const char *a = tree_file(&t, "a.yml", RULE("A", "L1") "Bogus: 1\n");
	const char *b = tree_file(&t, "b.yml", "RuleID: B\n");
	const char *c = tree_file(&t, "c.yml", "AnalysisType: policy\nPolicyID: P\n");
	const char *d = tree_file(&t, "d.yml", "- a list\n");
	tree_file(&t, "e.yml", RULE("E", "L1"));

	assert_int_equal(unit_ruleset_load(&rs, t.dir, &msgs), 4);
	snprintf(want, sizeof(want),
		 "%s:5: unknown key 'Bogus'\n"
		 "%s:1: missing AnalysisType (rule or datamodel)\n"
		 "%s:1: AnalysisType 'policy' is not supported (rule, datamodel)\n"
		 "%s:1: expected a mapping at the top\n",
		 a, b, c, d);
	assert_string_equal(msgs, want);
	assert_int_equal(rs->nrules, 1);
	assert_string_equal(rs->rules[0]->id, "E");
	free(msgs);
	ruleset_free(rs);
	tree_remove(&t);
}

static void test_ruleset_duplicate_rule_id_is_a_problem(void **state)
{
	struct tree t;
	struct ruleset *rs;
	char *msgs, want[512];
	tree_init(&t);
	const char *a = tree_file(&t, "a.yml", RULE("Same", "L1"));
	const char *b = tree_file(&t, "b.yml", RULE("Same", "L2"));
	assert_int_equal(unit_ruleset_load(&rs, t.dir, &msgs), 1);
	snprintf(want, sizeof(want), "%s: RuleID 'Same' is already defined in %s\n", b, a);
	assert_string_equal(msgs, want);
	free(msgs);
	ruleset_free(rs);
	tree_remove(&t);
}

static void test_ruleset_two_models_for_one_log_type_is_a_problem(void **state)
{
	struct tree t;
	struct ruleset *rs;
	char *msgs, want[512];
	tree_init(&t);
	const char *a = tree_file(&t, "a.yml", MODEL("M1", "L1"));
	const char *b = tree_file(&t, "b.yml", MODEL("M2", "L0, L1"));
	tree_file(&t, "c.yml", MODEL("M3", "L1") "Enabled: false\n");
	assert_int_equal(unit_ruleset_load(&rs, t.dir, &msgs), 1);
	snprintf(want, sizeof(want), "%s: log type 'L1' already has the data model M1 (%s)\n", b,
		 a);
	assert_string_equal(msgs, want);
	free(msgs);
	ruleset_free(rs);
	tree_remove(&t);
}

static void test_ruleset_a_file_named_directly_is_loaded_whatever_its_name(void **state)
{
	struct tree t;
	struct ruleset *rs;
	char *msgs;
	tree_init(&t);
	const char *p = tree_file(&t, "rule.txt", RULE("T", "L1"));
	assert_int_equal(unit_ruleset_load(&rs, p, &msgs), 0);
	assert_int_equal(rs->nrules, 1);
	free(msgs);
	ruleset_free(rs);
	tree_remove(&t);
}

static void test_ruleset_missing_path_is_a_problem(void **state)
{
	struct ruleset *rs;
	char *msgs;
	assert_int_equal(unit_ruleset_load(&rs, "/nonexistent/kaa-rules", &msgs), 1);
	assert_string_equal(msgs, "/nonexistent/kaa-rules: No such file or directory\n");
	assert_non_null(rs);
	assert_int_equal(rs->nrules, 0);
	free(msgs);
	ruleset_free(rs);
}

static void test_ruleset_shipped_rules_load_without_problems(void **state)
{
	struct ruleset *rs;
	char *msgs;
	assert_int_equal(unit_ruleset_load(&rs, KAA_RULES_DIR, &msgs), 0);
	assert_string_equal(msgs, "");
	assert_int_equal(rs->nrules, 1);
	assert_int_equal(rs->nmodels, 4);
	const char *lts[] = {"Kubernetes.Audit", "Amazon.EKS.Audit", "Azure.MonitorActivity",
			     "GCP.AuditLog"};
	for (size_t i = 0; i < 4; i++) {
		const struct rs_logtype *lt = ruleset_find(rs, lts[i]);
		assert_non_null(lt);
		assert_int_equal(lt->nrules, 1);
		assert_non_null(lt->dm);
	}
	free(msgs);
	ruleset_free(rs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ruleset_loads_rules_and_models_recursively_in_name_order),
		cmocka_unit_test(test_ruleset_disabled_rules_are_loaded_but_not_indexed),
		cmocka_unit_test(test_ruleset_counts_and_reports_each_bad_file),
		cmocka_unit_test(test_ruleset_duplicate_rule_id_is_a_problem),
		cmocka_unit_test(test_ruleset_two_models_for_one_log_type_is_a_problem),
		cmocka_unit_test(test_ruleset_a_file_named_directly_is_loaded_whatever_its_name),
		cmocka_unit_test(test_ruleset_missing_path_is_a_problem),
		cmocka_unit_test(test_ruleset_shipped_rules_load_without_problems),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
