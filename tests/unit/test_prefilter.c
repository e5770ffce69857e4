/* prefilter: which literals a rule's Detection requires through its data model (sound shapes
 * give one, unsound ones give none), how the covers of a log type's rules combine, and which
 * raw lines may be skipped undecoded. Each test loads its own rule and data model. */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>

#include "prefilter.h"
#include "ruleset.h"

#define LT "Test.Log"

/* The model every test rule reads through: verbatim copies and the shapes that build. */
static const char model[] =
	"AnalysisType: datamodel\n"
	"DataModelID: Test.Model\n"
	"LogTypes: [Test.Log]\n"
	"Mappings:\n"
	"  - Name: user\n"
	"    Path: $.user.username\n"
	"  - Name: agent\n"
	"    KeyPath: userAgent\n"
	"  - Name: actor\n"
	"    Coalesce:\n"
	"      - Path: $.user.username\n"
	"      - KeyPath: principal\n"
	"    Default: '<UNKNOWN ACTOR>'\n"
	"  - Name: defaulted\n"
	"    Path: $.user.username\n"
	"    Default: system:anonymous\n"
	"  - Name: built\n"
	"    Template: 'user {user.username}'\n"
	"  - Name: parts\n"
	"    KeyPath: resourceName\n"
	"    Split: '/'\n"
	"  - Name: via_built\n"
	"    KeyPath: p_udm.built\n"
	"  - Name: via_user\n"
	"    KeyPath: p_udm.user\n"
	"  - Name: ips\n"
	"    KeyPath: sourceIPs\n"
	"  - Name: cased\n"
	"    Cases:\n"
	"      - When: [{KeyPath: kind, Condition: Equals, Value: x}]\n"
	"        Value: fixed-value\n"
	"    Path: $.user.username\n"
	"  - Name: one_ip\n"
	"    KeyPath: ip\n"
	"    AsList: true\n";

struct fx {
	char dir[64];
	struct ruleset *rs;
};

/* Load the model and one rule per detection (each rule's Detection: is the given YAML list,
 * indented by two spaces). Fails the test on any load problem. */
static void fx_load(struct fx *f, const char *const *detections, size_t n)
{
	char path[128], *msgs = NULL;
	unit_temp_dir(f->dir, sizeof(f->dir));
	snprintf(path, sizeof(path), "%s/model.yml", f->dir);
	unit_write_file(path, model, strlen(model));
	for (size_t i = 0; i < n; i++) {
		char *text;
		assert_true(asprintf(&text,
				     "AnalysisType: rule\n"
				     "RuleID: Test.Rule%zu\n"
				     "Enabled: true\n"
				     "LogTypes: [Test.Log]\n"
				     "Severity: Info\n"
				     "Detection:\n%s",
				     i, detections[i]) > 0);
		snprintf(path, sizeof(path), "%s/rule%zu.yml", f->dir, i);
		unit_write_file(path, text, strlen(text));
		free(text);
	}
	int problems = unit_ruleset_load(&f->rs, f->dir, &msgs);
	if (problems)
		fprintf(stderr, "%s", msgs);
	free(msgs);
	assert_int_equal(problems, 0);
}

static void fx_free(struct fx *f)
{
	ruleset_free(f->rs);
	unit_remove_tree(f->dir);
}

/* The literals lines of Test.Log are skipped on, space-separated, or "ANY" (no prefilter). */
static void cover_of(const char *detection, char *out, size_t outsz)
{
	struct fx f;
	fx_load(&f, &detection, 1);
	const struct pf_set *s = prefilter_for(f.rs->pf, LT);
	size_t off = 0;
	out[0] = '\0';
	if (s->any_line)
		snprintf(out, outsz, "ANY");
	for (size_t i = 0; !s->any_line && i < s->n; i++)
		off += (size_t)snprintf(out + off, outsz - off, "%s%.*s", i ? " " : "",
					(int)s->lits[i].len, s->lits[i].s);
	fx_free(&f);
}

#define assert_cover(detection, want)                                                      \
	do {                                                                               \
		char got_[256];                                                            \
		cover_of(detection, got_, sizeof(got_));                                   \
		assert_string_equal(got_, want);                                           \
	} while (0)

static void test_prefilter_equals_through_a_path_mapping_gives_the_value(void **state)
{
	assert_cover("  - {KeyPath: p_udm.user, Condition: Equals, Value: 'system:anonymous'}\n",
		     "system:anonymous");
}

static void test_prefilter_event_path_and_keypath_mapping_give_the_value(void **state)
{
	assert_cover("  - {KeyPath: user.username, Condition: Equals, Value: 'system:anonymous'}\n",
		     "system:anonymous");
	assert_cover("  - {KeyPath: p_udm.agent, Condition: StartsWith, Value: 'masscan'}\n",
		     "masscan");
}

static void test_prefilter_contains_starts_and_ends_give_the_value(void **state)
{
	assert_cover("  - {KeyPath: p_udm.agent, Condition: Contains, Value: 'zgrab'}\n", "zgrab");
	assert_cover("  - {KeyPath: p_udm.agent, Condition: EndsWith, Value: 'scanner'}\n",
		     "scanner");
}

static void test_prefilter_case_insensitive_conditions_give_nothing(void **state)
{
	assert_cover("  - {KeyPath: p_udm.user, Condition: IEquals, Value: 'system:anonymous'}\n",
		     "ANY");
	assert_cover("  - {KeyPath: p_udm.agent, Condition: IContains, Value: 'zgrab'}\n", "ANY");
	assert_cover("  - {KeyPath: p_udm.agent, Condition: IStartsWith, Value: 'masscan'}\n",
		     "ANY");
}

static void test_prefilter_negations_and_none_give_nothing(void **state)
{
	assert_cover("  - {KeyPath: p_udm.user, Condition: DoesNotEqual, Value: 'alice-admin'}\n",
		     "ANY");
	assert_cover("  - None:\n"
		     "      - {KeyPath: p_udm.user, Condition: Equals, Value: 'alice-admin'}\n",
		     "ANY");
	assert_cover("  - {KeyPath: p_udm.agent, Condition: DoesNotContain, Value: 'kubelet'}\n",
		     "ANY");
}

static void test_prefilter_template_split_and_chains_through_them_give_nothing(void **state)
{
	assert_cover("  - {KeyPath: p_udm.built, Condition: Equals, Value: 'user system:anonymous'}\n",
		     "ANY");
	assert_cover("  - {KeyPath: 'p_udm.parts[0]', Condition: Equals, Value: 'secrets'}\n",
		     "ANY");
	assert_cover("  - {KeyPath: p_udm.via_built, Condition: Contains, Value: 'anonymous'}\n",
		     "ANY");
}

static void test_prefilter_chain_of_copies_and_cases_keep_the_literal(void **state)
{
	assert_cover("  - {KeyPath: p_udm.via_user, Condition: Equals, Value: 'system:anonymous'}\n",
		     "system:anonymous");
	/* the case's constant does not satisfy the condition */
	assert_cover("  - {KeyPath: p_udm.cased, Condition: Equals, Value: 'system:anonymous'}\n",
		     "system:anonymous");
	/* ... but here it does: a line without the literal may still match */
	assert_cover("  - {KeyPath: p_udm.cased, Condition: StartsWith, Value: 'fixed'}\n", "ANY");
}

static void test_prefilter_default_that_could_match_gives_nothing(void **state)
{
	assert_cover("  - {KeyPath: p_udm.defaulted, Condition: Equals, Value: 'system:anonymous'}\n",
		     "ANY");
	/* a Default that cannot satisfy the condition is harmless */
	assert_cover("  - {KeyPath: p_udm.actor, Condition: Equals, Value: 'system:anonymous'}\n",
		     "system:anonymous");
	assert_cover("  - {KeyPath: p_udm.actor, Condition: Contains, Value: 'UNKNOWN'}\n", "ANY");
}

static void test_prefilter_value_keeps_its_longest_run_json_never_escapes(void **state)
{
	/* "\/healthz" may spell "/healthz": the literal leaves the '/' out */
	assert_cover("  - {KeyPath: p_udm.agent, Condition: StartsWith, Value: '/healthz'}\n",
		     "healthz");
	assert_cover("  - {KeyPath: p_udm.agent, Condition: Equals, Value: 'ELB-HealthChecker/2.0'}\n",
		     "ELB-HealthChecker");
	assert_cover("  - {KeyPath: p_udm.agent, Condition: Contains, Value: 'say \"hi\" now'}\n",
		     "say ");
	/* non-ASCII may come as \\u escapes of any code point: it is left out too */
	assert_cover("  - {KeyPath: p_udm.agent, Condition: Equals, Value: 'caf\xc3\xa9-bot'}\n",
		     "-bot");
}

static void test_prefilter_too_short_or_empty_value_gives_nothing(void **state)
{
	assert_cover("  - {KeyPath: p_udm.agent, Condition: StartsWith, Value: 'Go/'}\n", "ANY");
	assert_cover("  - {KeyPath: p_udm.agent, Condition: Contains, Value: ''}\n", "ANY");
	assert_cover("  - {KeyPath: p_udm.agent, Condition: Equals, Value: 'a/b/c/d'}\n", "ANY");
}

static void test_prefilter_non_string_values_give_nothing(void **state)
{
	assert_cover("  - {KeyPath: code, Condition: Equals, Value: 403}\n", "ANY");
	assert_cover("  - {KeyPath: p_udm.user, Condition: IsIn, Values: ['system:anonymous', 5]}\n",
		     "ANY");
}

static void test_prefilter_is_in_gives_every_value(void **state)
{
	assert_cover("  - {KeyPath: p_udm.user, Condition: IsIn, Values: ['system:anonymous', "
		     "'system:unauthenticated']}\n",
		     "system:anonymous system:unauthenticated");
}

static void test_prefilter_all_keeps_the_longest_required_literal(void **state)
{
	assert_cover("  - {KeyPath: p_udm.agent, Condition: StartsWith, Value: 'curl'}\n"
		     "  - {KeyPath: p_udm.user, Condition: Equals, Value: 'system:anonymous'}\n"
		     "  - {KeyPath: p_udm.user, Condition: DoesNotEqual, Value: 'bob'}\n",
		     "system:anonymous");
}

static void test_prefilter_any_needs_every_branch(void **state)
{
	assert_cover("  - Any:\n"
		     "      - {KeyPath: p_udm.user, Condition: Equals, Value: 'system:anonymous'}\n"
		     "      - {KeyPath: p_udm.agent, Condition: StartsWith, Value: 'masscan'}\n",
		     "system:anonymous masscan");
	assert_cover("  - Any:\n"
		     "      - {KeyPath: p_udm.user, Condition: Equals, Value: 'system:anonymous'}\n"
		     "      - {KeyPath: p_udm.agent, Condition: IStartsWith, Value: 'masscan'}\n",
		     "ANY");
	assert_cover("  - OnlyOne:\n"
		     "      - {KeyPath: p_udm.user, Condition: Equals, Value: 'system:anonymous'}\n"
		     "      - {KeyPath: p_udm.agent, Condition: Contains, Value: 'zgrab'}\n",
		     "system:anonymous zgrab");
}

static void test_prefilter_always_false_needs_nothing_always_true_everything(void **state)
{
	assert_cover("  - {Condition: AlwaysFalse}\n", "");
	assert_cover("  - {Condition: AlwaysTrue}\n", "ANY");
	assert_cover("  - Any:\n"
		     "      - {Condition: AlwaysFalse}\n"
		     "      - {KeyPath: p_udm.agent, Condition: Contains, Value: 'zgrab'}\n",
		     "zgrab");
}

static void test_prefilter_list_conditions(void **state)
{
	assert_cover("  - KeyPath: p_udm.ips\n"
		     "    Condition: AnyElement\n"
		     "    Expressions: [{KeyPath: '@', Condition: StartsWith, Value: '203.0.113.'}]\n",
		     "203.0.113.");
	assert_cover("  - KeyPath: p_udm.one_ip\n"
		     "    Condition: AnyElement\n"
		     "    Expressions: [{KeyPath: '@', Condition: Equals, Value: '198.51.100.7'}]\n",
		     "198.51.100.7");
	/* true for an empty list: nothing is required */
	assert_cover("  - KeyPath: p_udm.ips\n"
		     "    Condition: AllElements\n"
		     "    Expressions: [{KeyPath: '@', Condition: StartsWith, Value: '203.0.113.'}]\n",
		     "ANY");
}

static void test_prefilter_two_key_comparison_gives_nothing(void **state)
{
	assert_cover("  - Condition: Equals\n"
		     "    Values: [{KeyPath: p_udm.user}, {KeyPath: p_udm.agent}]\n",
		     "ANY");
}

static void test_prefilter_root_read_through_the_data_model_gives_nothing(void **state)
{
	/* the Root string is a data-model field with a constant: Path values may not come from
	 * the line at all */
	static const char m[] = "AnalysisType: datamodel\nDataModelID: Root.Model\n"
				"LogTypes: [Root.Log]\nRoot: {KeyPath: p_udm.inner, Decode: json}\n"
				"Mappings:\n"
				"  - Name: inner\n"
				"    KeyPath: log\n"
				"    Default: '{\"user\": \"system:anonymous\"}'\n"
				"  - Name: user\n"
				"    Path: $.user\n";
	static const char r[] = "AnalysisType: rule\nRuleID: R\nLogTypes: [Root.Log]\n"
				"Severity: Info\n"
				"Detection: [{KeyPath: p_udm.user, Condition: Equals, "
				"Value: 'system:anonymous'}]\n";
	char dir[64], path[128], *msgs = NULL;
	struct ruleset *rs;
	unit_temp_dir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/m.yml", dir);
	unit_write_file(path, m, strlen(m));
	snprintf(path, sizeof(path), "%s/r.yml", dir);
	unit_write_file(path, r, strlen(r));
	int problems = unit_ruleset_load(&rs, dir, &msgs);
	if (problems)
		fprintf(stderr, "%s", msgs);
	free(msgs);
	assert_int_equal(problems, 0);
	assert_true(prefilter_for(rs->pf, "Root.Log")->any_line);
	ruleset_free(rs);
	unit_remove_tree(dir);
}

static void test_prefilter_log_type_takes_the_union_of_its_rules(void **state)
{
	const char *dets[] = {
		"  - {KeyPath: p_udm.user, Condition: Equals, Value: 'system:anonymous'}\n",
		"  - {KeyPath: p_udm.agent, Condition: StartsWith, Value: 'masscan'}\n",
	};
	struct fx f;
	fx_load(&f, dets, 2);
	const struct pf_set *s = prefilter_for(f.rs->pf, LT);
	assert_false(s->any_line);
	assert_int_equal(s->n, 2);
	fx_free(&f);
}

static void test_prefilter_one_rule_without_literal_turns_it_off(void **state)
{
	const char *dets[] = {
		"  - {KeyPath: p_udm.user, Condition: Equals, Value: 'system:anonymous'}\n",
		"  - {KeyPath: p_udm.user, Condition: IEquals, Value: 'system:anonymous'}\n",
	};
	struct fx f;
	char why[256];
	fx_load(&f, dets, 2);
	assert_true(prefilter_for(f.rs->pf, LT)->any_line);
	const char *line = "{\"user\":{\"username\":\"SYSTEM:ANONYMOUS\"}}";
	assert_false(prefilter_skip(f.rs->pf, prefilter_for(f.rs->pf, LT), line, strlen(line)));
	prefilter_describe(f.rs->pf, LT, why, sizeof(why));
	assert_string_equal(why, "off for Test.Log: rule Test.Rule1 requires no literal string");
	fx_free(&f);
}

/* ---- the skip on raw lines, with the seed rules ------------------------------------------ */

static int seed_setup(void **state)
{
	return unit_ruleset_setup(state, KAA_RULES_DIR);
}

static bool skip_native(void **state, const char *line)
{
	const struct ruleset *rs = *state;
	return prefilter_skip(rs->pf, prefilter_for(rs->pf, "Kubernetes.Audit"), line,
			      strlen(line));
}

static void test_prefilter_seed_rule_needs_system_anonymous_in_every_log_type(void **state)
{
	const struct ruleset *rs = *state;
	const char *lts[] = {"Kubernetes.Audit", "Amazon.EKS.Audit", "Azure.MonitorActivity",
			     "GCP.AuditLog"};
	char why[256];
	for (size_t i = 0; i < 4; i++) {
		const struct pf_set *s = prefilter_for(rs->pf, lts[i]);
		assert_false(s->any_line);
		assert_int_equal(s->n, 1);
		assert_int_equal(s->lits[0].len, 16);
		assert_memory_equal(s->lits[0].s, "system:anonymous", 16);
	}
	prefilter_describe(rs->pf, "Kubernetes.Audit", why, sizeof(why));
	assert_string_equal(why, "Kubernetes.Audit lines without \"system:anonymous\" are skipped "
				 "before decoding");
}

static void test_prefilter_skips_lines_without_the_literal(void **state)
{
	assert_true(skip_native(state, "{\"user\":{\"username\":\"system:node:n1\"}}"));
	assert_true(skip_native(state, "{\"user\":{\"username\":\"system:anonymou\"}}"));
	assert_true(skip_native(state, "{\"user\":{\"username\":\"System:Anonymous\"}}"));
	assert_true(skip_native(state, "not json at all"));
	assert_true(skip_native(state, ""));
	assert_false(skip_native(state, "{\"user\":{\"username\":\"system:anonymous\"}}"));
	/* anywhere in the line: the rule decides after decoding */
	assert_false(skip_native(state, "{\"userAgent\":\"system:anonymous\"}"));
}

static void test_prefilter_escape_that_may_spell_a_literal_byte_is_decoded(void **state)
{
	assert_false(skip_native(state, "{\"user\":{\"username\":\"\\u0073ystem:anonymous\"}}"));
	assert_false(skip_native(state, "{\"user\":{\"username\":\"system\\u003aanonymous\"}}"));
	assert_false(skip_native(state, "{\"user\":{\"username\":\"system:anonym\\u006Fus\"}}"));
	/* the escapes JSON in a JSON string needs: a backslash, a 'u', a hex digit */
	assert_false(skip_native(state, "{\"log\":\"{\\\\u0073ystem\"}"));
	assert_false(skip_native(state, "{\"log\":\"\\u005c\"}"));
	assert_false(skip_native(state, "{\"log\":\"\\u0075\"}"));
	assert_false(skip_native(state, "{\"log\":\"\\u0030\"}"));
	/* a \u that is no escape (a Windows path) or is cut off: decoded, to be safe */
	assert_false(skip_native(state, "{\"path\":\"C:\\\\users\"}"));
	assert_false(skip_native(state, "{\"x\":\"\\u00"));
}

static void test_prefilter_escape_of_a_byte_no_literal_holds_is_skipped(void **state)
{
	/* Go writes & < > as \u0026 \u003c \u003e; non-ASCII code points never spell ASCII */
	assert_true(skip_native(state, "{\"requestURI\":\"/api?a=1\\u0026b=2\\u003c\\u003e\"}"));
	assert_true(skip_native(state, "{\"userAgent\":\"caf\\u00e9 \\ud83d\\ude00\"}"));
	/* short escapes never spell a byte of a literal */
	assert_true(skip_native(state, "{\"reason\":\"\\\"system\\\" \\/ \\n\"}"));
}

static void test_prefilter_line_naming_its_log_type_uses_every_log_type(void **state)
{
	/* every log type needs "system:anonymous" here, so p_log_type changes nothing */
	assert_true(skip_native(state, "{\"p_log_type\":\"GCP.AuditLog\",\"x\":1}"));
	assert_false(skip_native(state, "{\"p_log_type\":\"GCP.AuditLog\","
					"\"protoPayload\":{\"authenticationInfo\":"
					"{\"principalEmail\":\"system:anonymous\"}}}"));
}

static void test_prefilter_default_log_type_without_rules_skips_everything(void **state)
{
	const struct ruleset *rs = *state;
	const char *line = "{\"user\":{\"username\":\"system:anonymous\"}}";
	/* no enabled rule reads Custom.Log: no line of it can match */
	const struct pf_set *s = prefilter_for(rs->pf, "Custom.Log");
	assert_false(s->any_line);
	assert_int_equal(s->n, 0);
	assert_true(prefilter_skip(rs->pf, s, line, strlen(line)));
}

static void test_prefilter_rule_with_own_literal_for_other_log_type(void **state)
{
	/* two log types with different literals: a line naming its log type needs the union */
	char dir[64], path[128], *msgs = NULL;
	struct ruleset *rs;
	unit_temp_dir(dir, sizeof(dir));
	static const char a[] = "AnalysisType: rule\nRuleID: A\nLogTypes: [Log.A]\nSeverity: Info\n"
				"Detection: [{KeyPath: user, Condition: Equals, Value: alpha-user}]\n";
	static const char b[] = "AnalysisType: rule\nRuleID: B\nLogTypes: [Log.B]\nSeverity: Info\n"
				"Detection: [{KeyPath: user, Condition: Equals, Value: beta-user}]\n";
	snprintf(path, sizeof(path), "%s/a.yml", dir);
	unit_write_file(path, a, strlen(a));
	snprintf(path, sizeof(path), "%s/b.yml", dir);
	unit_write_file(path, b, strlen(b));
	assert_int_equal(unit_ruleset_load(&rs, dir, &msgs), 0);
	free(msgs);
	const struct pf_set *sa = prefilter_for(rs->pf, "Log.A");
	const char *plain_b = "{\"user\":\"beta-user\"}";
	const char *named_b = "{\"p_log_type\":\"Log.B\",\"user\":\"beta-user\"}";
	const char *named_none = "{\"p_log_type\":\"Log.B\",\"user\":\"gamma-user\"}";
	assert_true(prefilter_skip(rs->pf, sa, plain_b, strlen(plain_b)));
	assert_false(prefilter_skip(rs->pf, sa, named_b, strlen(named_b)));
	assert_true(prefilter_skip(rs->pf, sa, named_none, strlen(named_none)));
	ruleset_free(rs);
	unit_remove_tree(dir);
}

int main(void)
{
	const struct CMUnitTest derive[] = {
		cmocka_unit_test(test_prefilter_equals_through_a_path_mapping_gives_the_value),
		cmocka_unit_test(test_prefilter_event_path_and_keypath_mapping_give_the_value),
		cmocka_unit_test(test_prefilter_contains_starts_and_ends_give_the_value),
		cmocka_unit_test(test_prefilter_case_insensitive_conditions_give_nothing),
		cmocka_unit_test(test_prefilter_negations_and_none_give_nothing),
		cmocka_unit_test(
			test_prefilter_template_split_and_chains_through_them_give_nothing),
		cmocka_unit_test(test_prefilter_chain_of_copies_and_cases_keep_the_literal),
		cmocka_unit_test(test_prefilter_default_that_could_match_gives_nothing),
		cmocka_unit_test(test_prefilter_value_keeps_its_longest_run_json_never_escapes),
		cmocka_unit_test(test_prefilter_too_short_or_empty_value_gives_nothing),
		cmocka_unit_test(test_prefilter_non_string_values_give_nothing),
		cmocka_unit_test(test_prefilter_is_in_gives_every_value),
		cmocka_unit_test(test_prefilter_all_keeps_the_longest_required_literal),
		cmocka_unit_test(test_prefilter_any_needs_every_branch),
		cmocka_unit_test(test_prefilter_always_false_needs_nothing_always_true_everything),
		cmocka_unit_test(test_prefilter_list_conditions),
		cmocka_unit_test(test_prefilter_two_key_comparison_gives_nothing),
		cmocka_unit_test(test_prefilter_root_read_through_the_data_model_gives_nothing),
		cmocka_unit_test(test_prefilter_log_type_takes_the_union_of_its_rules),
		cmocka_unit_test(test_prefilter_one_rule_without_literal_turns_it_off),
		cmocka_unit_test(test_prefilter_rule_with_own_literal_for_other_log_type),
	};
	const struct CMUnitTest seed[] = {
		cmocka_unit_test(test_prefilter_seed_rule_needs_system_anonymous_in_every_log_type),
		cmocka_unit_test(test_prefilter_skips_lines_without_the_literal),
		cmocka_unit_test(test_prefilter_escape_that_may_spell_a_literal_byte_is_decoded),
		cmocka_unit_test(test_prefilter_escape_of_a_byte_no_literal_holds_is_skipped),
		cmocka_unit_test(test_prefilter_line_naming_its_log_type_uses_every_log_type),
		cmocka_unit_test(test_prefilter_default_log_type_without_rules_skips_everything),
	};
	int failed = cmocka_run_group_tests(derive, NULL, NULL);
	return failed + cmocka_run_group_tests(seed, seed_setup, unit_ruleset_teardown);
}
