/* rule: loading Panther simple-detection YAML (and its errors, each with file:line), and a
 * match's title, severity, dedup string and alert context. Events use ' for ". */
#include "unit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "rule.h"
#include "udm.h"
#include "value.h"

#define HEAD "RuleID: Test.Rule\nLogTypes: [Test.Log]\n"
#define ALWAYS "Detection:\n  - Condition: AlwaysTrue\n"

/* unit_compile_fn for a rule. */
static int compile_rule(struct compile_ctx *cx, void *out)
{
	return rule_load(out, cx);
}

static struct rule *must_load(struct udm_names *names, const char *yaml)
{
	struct rule *r;
	char path[64], err[512];
	if (unit_compile(compile_rule, &r, yaml, names, path, sizeof(path), err, sizeof(err)))
		fail_msg("rule did not load: %s", err);
	return r;
}

/* yaml must fail to load with exactly "FILE:line: message", leaving no rule. */
static void assert_load_error(const char *yaml, int line, const char *message)
{
	struct rule *r = (struct rule *)1;
	unit_assert_compile_error(compile_rule, &r, yaml, line, message);
	assert_null(r);
}

/* A compiled rule with its name table, evaluated against events. */
struct fixture {
	struct udm_names names;
	struct rule *r;
	struct rule_match m;
};

static void fixture_load(struct fixture *f, const char *yaml)
{
	memset(f, 0, sizeof(*f));
	f->r = must_load(&f->names, yaml);
}

/* rule_eval's result for event js; f->m holds the match (freed by fixture_free). */
static int fixture_eval(struct fixture *f, const char *js)
{
	struct event ev;
	rule_match_free(&f->m);
	unit_event_init(&ev, js, "Test.Log", NULL, f->names.n);
	int rc = rule_eval(f->r, &ev, &f->m);
	event_free(&ev);
	return rc;
}

/* fixture_eval, then the match's AlertContext into f->m.context (0 or rule_match_context's). */
static int fixture_eval_context(struct fixture *f, const char *js)
{
	struct event ev;
	rule_match_free(&f->m);
	unit_event_init(&ev, js, "Test.Log", NULL, f->names.n);
	int rc = rule_eval(f->r, &ev, &f->m);
	assert_int_equal(rc, 1);
	assert_null(f->m.context); /* built only on demand */
	rc = rule_match_context(f->r, &ev, &f->m);
	event_free(&ev);
	return rc;
}

static void fixture_free(struct fixture *f)
{
	rule_match_free(&f->m);
	rule_free(f->r);
	udm_names_free(&f->names);
}

/* n copies of the UTF-8 sequence cp. Caller frees. */
static char *repeat(const char *cp, size_t n)
{
	size_t l = strlen(cp);
	char *s = malloc(l * n + 1);
	assert_non_null(s);
	for (size_t i = 0; i < n; i++)
		memcpy(s + i * l, cp, l);
	s[l * n] = '\0';
	return s;
}

/* The event {"t": text} as JSON text with ' for ". Caller frees. */
static char *event_with_t(const char *text)
{
	char *js = malloc(strlen(text) + 16);
	assert_non_null(js);
	sprintf(js, "{'t': '%s'}", text);
	return js;
}

/* ---- loading ---- */

static void test_rule_load_reads_metadata_and_defaults(void **state)
{
	struct udm_names names = {0};
	struct rule *r = must_load(&names, HEAD ALWAYS);
	assert_string_equal(r->id, "Test.Rule");
	assert_null(r->display_name);
	assert_true(r->enabled);
	assert_int_equal(r->severity, SEV_INFO);
	assert_int_equal(r->dedup_minutes, 60);
	assert_int_equal(r->threshold, 1);
	assert_int_equal(r->nlog_types, 1);
	assert_string_equal(r->log_types[0], "Test.Log");
	rule_free(r);
	udm_names_free(&names);
}

static void test_rule_load_reads_every_setting(void **state)
{
	struct udm_names names = {0};
	struct rule *r = must_load(&names, "AnalysisType: rule\n"
					   "RuleID: X.Y\n"
					   "DisplayName: Shown\n"
					   "Enabled: false\n"
					   "Status: Experimental\n"
					   "LogTypes: [A.Log, B.Log]\n"
					   "Severity: high\n"
					   "DedupPeriodMinutes: 15\n"
					   "Threshold: 5\n"
					   "Description: about\n"
					   "Tags: [t1, t2]\n" ALWAYS);
	assert_string_equal(r->id, "X.Y");
	assert_string_equal(r->display_name, "Shown");
	assert_false(r->enabled);
	assert_int_equal(r->severity, SEV_HIGH);
	assert_int_equal(r->dedup_minutes, 15);
	assert_int_equal(r->threshold, 5);
	assert_int_equal(r->nlog_types, 2);
	assert_string_equal(r->log_types[1], "B.Log");
	assert_string_equal(cJSON_GetObjectItem(r->meta, "Description")->valuestring, "about");
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(r->meta, "Tags")), 2);
	assert_true(rule_applies_to(r, "A.Log"));
	assert_true(rule_applies_to(r, "B.Log"));
	assert_false(rule_applies_to(r, "a.log"));
	assert_false(rule_applies_to(r, NULL));
	rule_free(r);
	udm_names_free(&names);
}

static void test_rule_load_error_unknown_top_level_key_names_it_and_its_line(void **state)
{
	assert_load_error(HEAD ALWAYS "Severtiy: High\n", 5, "unknown key 'Severtiy'");
}

static void test_rule_load_error_filename_is_rejected(void **state)
{
	assert_load_error(HEAD "Filename: rule.py\n" ALWAYS, 3,
			  "Filename names a Python rule; this agent runs YAML rules only (use "
			  "Detection)");
}

static void test_rule_load_error_missing_rule_id(void **state)
{
	assert_load_error("LogTypes: [L]\n" ALWAYS, 1, "rule without RuleID");
}

static void test_rule_load_error_missing_log_types(void **state)
{
	assert_load_error("RuleID: R\n" ALWAYS, 1, "rule 'R' without LogTypes");
	assert_load_error("RuleID: R\nLogTypes: []\n" ALWAYS, 2,
			  "LogTypes must be a non-empty list");
}

static void test_rule_load_error_missing_detection(void **state)
{
	assert_load_error(HEAD "Severity: Low\n", 1, "rule 'Test.Rule' without Detection");
}

static void test_rule_load_error_duplicate_key_names_the_second(void **state)
{
	assert_load_error(HEAD ALWAYS "RuleID: Other\n", 5, "duplicate key 'RuleID'");
}

static void test_rule_load_error_bad_severity(void **state)
{
	assert_load_error(HEAD "Severity: Urgent\n" ALWAYS, 3, "unknown Severity 'Urgent'");
	assert_load_error(HEAD "Severity: DEFAULT\n" ALWAYS, 3, "unknown Severity 'DEFAULT'");
}

static void test_rule_load_error_dedup_string_with_group_by(void **state)
{
	assert_load_error(HEAD ALWAYS "DedupString: '{a}'\nGroupBy:\n  - KeyPath: a\n", 1,
			  "rule 'Test.Rule': use DedupString or GroupBy, not both");
}

static void test_rule_load_error_dedup_period_out_of_range(void **state)
{
	assert_load_error(HEAD ALWAYS "DedupPeriodMinutes: 0\n", 5,
			  "DedupPeriodMinutes must be a whole number of minutes from 1 to 525600");
}

static void test_rule_load_error_in_detection_keeps_its_line(void **state)
{
	assert_load_error(HEAD "Detection:\n"
			       "  - KeyPath: a\n"
			       "    Condition: Equalz\n"
			       "    Value: 1\n",
			  5, "unknown Condition 'Equalz'");
}

static void test_rule_load_error_bad_dynamic_severity(void **state)
{
	assert_load_error(HEAD ALWAYS "DynamicSeverities:\n"
				      "  - ChangeTo: Urgent\n"
				      "    Conditions: [{Condition: AlwaysTrue}]\n",
			  6, "unknown severity 'Urgent'");
}

static void test_rule_load_error_bad_title_template(void **state)
{
	assert_load_error(HEAD ALWAYS "AlertTitle: 'x {a'\n", 5,
			  "template 'x {a': unterminated '{'");
}

static void test_rule_severity_parse_ignores_case_and_default_needs_permission(void **state)
{
	enum severity s = SEV_INFO;
	assert_int_equal(severity_parse("critical", false, &s), 0);
	assert_int_equal(s, SEV_CRITICAL);
	assert_int_equal(severity_parse("Medium", false, &s), 0);
	assert_int_equal(s, SEV_MEDIUM);
	assert_int_equal(severity_parse("DEFAULT", false, &s), -EINVAL);
	assert_int_equal(severity_parse("default", true, &s), 0);
	assert_int_equal(s, SEV_DEFAULT);
	assert_int_equal(severity_parse(NULL, true, &s), -EINVAL);
	assert_string_equal(severity_name(SEV_LOW), "LOW");
	assert_string_equal(severity_name(SEV_CRITICAL), "CRITICAL");
}

static void test_rule_load_tests_decode_json_string_logs_and_pick_log_types(void **state)
{
	struct udm_names names = {0};
	const char *y = HEAD ALWAYS
		"Tests:\n"
		"  - Name: string log\n"
		"    ExpectedResult: true\n"
		"    Log: '{\"p_log_type\": \"Other.Log\", \"a\": 1, \"a\": \"\\u0073\"}'\n"
		"  - Name: mapping log\n"
		"    ExpectedResult: false\n"
		"    Log: {b: 2}\n";
	struct rule *r = must_load(&names, y);
	assert_int_equal(r->ntests, 2);
	assert_string_equal(r->tests[0].name, "string log");
	assert_true(r->tests[0].expected);
	assert_string_equal(r->tests[0].log_type, "Other.Log");
	assert_string_equal(cJSON_GetObjectItem(r->tests[0].log, "a")->valuestring, "s");
	assert_false(r->tests[1].expected);
	assert_string_equal(r->tests[1].log_type, "Test.Log");
	assert_int_equal(cJSON_GetObjectItem(r->tests[1].log, "b")->valueint, 2);
	rule_free(r);
	udm_names_free(&names);
}

/* ---- matching ---- */

static void test_rule_eval_no_match_returns_0(void **state)
{
	struct fixture f;
	fixture_load(&f, HEAD "Detection:\n  - {KeyPath: a, Condition: Equals, Value: 1}\n");
	assert_int_equal(fixture_eval(&f, "{'a': 2}"), 0);
	assert_null(f.m.title);
	assert_null(f.m.dedup);
	assert_int_equal(fixture_eval(&f, "{'a': 1}"), 1);
	fixture_free(&f);
}

static void test_rule_eval_inline_filters_must_hold_too(void **state)
{
	struct fixture f;
	fixture_load(&f, HEAD ALWAYS
		     "InlineFilters:\n"
		     "  - {KeyPath: cluster, Condition: DoesNotEqual, Value: dev}\n");
	assert_int_equal(fixture_eval(&f, "{'cluster': 'prod'}"), 1);
	assert_int_equal(fixture_eval(&f, "{'cluster': 'dev'}"), 0);
	fixture_free(&f);
}

static void test_rule_eval_title_from_first_matching_dynamic_title(void **state)
{
	struct fixture f;
	fixture_load(&f, HEAD ALWAYS
		     "DynamicTitles:\n"
		     "  - ChangeTo: 'denied {u}'\n"
		     "    Conditions: [{KeyPath: d, Condition: DoesNotEqual, Value: allow}]\n"
		     "  - ChangeTo: 'user {u}'\n"
		     "    Conditions: [{KeyPath: u, Condition: Exists}]\n"
		     "AlertTitle: 'static {u|nobody}'\n"
		     "DisplayName: Shown\n");
	assert_int_equal(fixture_eval(&f, "{'u': 'bob', 'd': 'deny'}"), 1);
	assert_string_equal(f.m.title, "denied bob");
	assert_int_equal(fixture_eval(&f, "{'u': 'bob', 'd': 'allow'}"), 1);
	assert_string_equal(f.m.title, "user bob");
	assert_int_equal(fixture_eval(&f, "{'d': 'allow'}"), 1);
	assert_string_equal(f.m.title, "static nobody");
	fixture_free(&f);
}

static void test_rule_eval_title_falls_back_to_display_name(void **state)
{
	struct fixture f;
	fixture_load(&f, HEAD ALWAYS "DisplayName: Shown Name\n"
				     "DynamicTitles:\n"
				     "  - ChangeTo: dynamic\n"
				     "    Conditions: [{KeyPath: x, Condition: Exists}]\n");
	assert_int_equal(fixture_eval(&f, "{'x': 1}"), 1);
	assert_string_equal(f.m.title, "dynamic");
	assert_int_equal(fixture_eval(&f, "{}"), 1);
	assert_string_equal(f.m.title, "Shown Name");
	fixture_free(&f);
}

static void test_rule_eval_title_falls_back_to_rule_id(void **state)
{
	struct fixture f;
	fixture_load(&f, HEAD ALWAYS);
	assert_int_equal(fixture_eval(&f, "{}"), 1);
	assert_string_equal(f.m.title, "Test.Rule");
	fixture_free(&f);
}

static void test_rule_eval_dynamic_severity_first_match_and_default(void **state)
{
	struct fixture f;
	fixture_load(&f, HEAD ALWAYS
		     "Severity: Medium\n"
		     "DynamicSeverities:\n"
		     "  - ChangeTo: DEFAULT\n"
		     "    Conditions: [{KeyPath: env, Condition: Equals, Value: dev}]\n"
		     "  - ChangeTo: Critical\n"
		     "    Conditions: [{KeyPath: admin, Condition: Equals, Value: true}]\n"
		     "  - ChangeTo: Low\n"
		     "    Conditions: [{KeyPath: admin, Condition: Exists}]\n");
	assert_int_equal(fixture_eval(&f, "{'admin': true}"), 1);
	assert_int_equal(f.m.severity, SEV_CRITICAL);
	assert_int_equal(fixture_eval(&f, "{'admin': false}"), 1);
	assert_int_equal(f.m.severity, SEV_LOW);
	assert_int_equal(fixture_eval(&f, "{'env': 'dev', 'admin': true}"), 1);
	assert_int_equal(f.m.severity, SEV_MEDIUM);
	assert_int_equal(fixture_eval(&f, "{}"), 1);
	assert_int_equal(f.m.severity, SEV_MEDIUM);
	fixture_free(&f);
}

static void test_rule_eval_dedup_from_dedup_string(void **state)
{
	struct fixture f;
	fixture_load(&f, HEAD ALWAYS "AlertTitle: title\n"
				     "DedupString: 'anon_{ua|<UNKNOWN_USER_AGENT>}'\n");
	assert_int_equal(fixture_eval(&f, "{'ua': 'curl/8'}"), 1);
	assert_string_equal(f.m.dedup, "anon_curl/8");
	assert_int_equal(fixture_eval(&f, "{'ua': ''}"), 1);
	assert_string_equal(f.m.dedup, "anon_<UNKNOWN_USER_AGENT>");
	fixture_free(&f);
}

static void test_rule_eval_dedup_from_group_by_joins_values_with_colons(void **state)
{
	struct fixture f;
	fixture_load(&f, HEAD ALWAYS "GroupBy:\n"
				     "  - KeyPath: user.name\n"
				     "  - Key: n\n"
				     "  - DeepKey: [ips, 0]\n");
	assert_int_equal(fixture_eval(&f, "{'user': {'name': 'bob'}, 'n': 3, 'ips': ['1.2.3.4']}"),
			 1);
	assert_string_equal(f.m.dedup, "bob:3:1.2.3.4");
	assert_int_equal(fixture_eval(&f, "{'n': null}"), 1);
	assert_string_equal(f.m.dedup, ":None:");
	fixture_free(&f);
}

static void test_rule_eval_dedup_falls_back_to_the_title(void **state)
{
	struct fixture f;
	fixture_load(&f, HEAD ALWAYS "AlertTitle: 'Access by {u}'\n");
	assert_int_equal(fixture_eval(&f, "{'u': 'bob'}"), 1);
	assert_string_equal(f.m.title, "Access by bob");
	assert_string_equal(f.m.dedup, "Access by bob");
	fixture_free(&f);
}

static void test_rule_eval_dedup_default_string_without_title_or_dedup(void **state)
{
	struct fixture f;
	fixture_load(&f, HEAD ALWAYS "DisplayName: Shown\n");
	assert_int_equal(fixture_eval(&f, "{}"), 1);
	assert_string_equal(f.m.title, "Shown");
	assert_string_equal(f.m.dedup, "defaultDedupString:Test.Rule");
	fixture_free(&f);
}

static void test_rule_eval_dedup_default_string_when_dedup_renders_empty(void **state)
{
	struct fixture f;
	fixture_load(&f, HEAD ALWAYS "DedupString: '{missing}'\n");
	assert_int_equal(fixture_eval(&f, "{}"), 1);
	assert_string_equal(f.m.dedup, "defaultDedupString:Test.Rule");
	fixture_free(&f);
}

static void test_rule_eval_dedup_default_string_when_title_renders_empty(void **state)
{
	struct fixture f;
	fixture_load(&f, HEAD ALWAYS "AlertTitle: '{missing}'\n");
	assert_int_equal(fixture_eval(&f, "{}"), 1);
	assert_string_equal(f.m.title, "");
	assert_string_equal(f.m.dedup, "defaultDedupString:Test.Rule");
	fixture_free(&f);
}

static void test_rule_eval_long_multibyte_title_is_cut_to_985_code_points_and_suffix(void **state)
{
	struct fixture f;
	char *t = repeat("\xC3\xA9", 1200);
	char *js = event_with_t(t);
	char *want = repeat("\xC3\xA9", 985);
	fixture_load(&f, HEAD ALWAYS "AlertTitle: '{t}'\n");
	assert_int_equal(fixture_eval(&f, js), 1);
	assert_int_equal(utf8_count(f.m.title, strlen(f.m.title)), 1000);
	assert_int_equal(strlen(f.m.title), 985 * 2 + strlen(RULE_TRUNCATED_SUFFIX));
	assert_memory_equal(f.m.title, want, 985 * 2);
	assert_string_equal(f.m.title + 985 * 2, "... (truncated)");
	/* the dedup string is the (already cut) title */
	assert_string_equal(f.m.dedup, f.m.title);
	fixture_free(&f);
	free(t);
	free(js);
	free(want);
}

static void test_rule_eval_long_dedup_string_is_cut_on_code_points(void **state)
{
	struct fixture f;
	/* 300 x (1 + 2 + 3 + 4 bytes) = 1200 code points */
	char *t = repeat("a\xC3\xA9\xE2\x82\xAC\xF0\x9D\x84\x9E", 300);
	char *js = event_with_t(t);
	fixture_load(&f, HEAD ALWAYS "DedupString: 'k:{t}'\n");
	assert_int_equal(fixture_eval(&f, js), 1);
	size_t keep = 2 + 245 * 10 + 1 + 2 + 3; /* "k:", 245 groups, then a, e-acute, euro */
	assert_int_equal(utf8_count(f.m.dedup, strlen(f.m.dedup)), 1000);
	assert_int_equal(strlen(f.m.dedup), keep + 15);
	assert_int_equal(memcmp(f.m.dedup, "k:", 2), 0);
	assert_memory_equal(f.m.dedup + 2, t, keep - 2);
	assert_string_equal(f.m.dedup + keep, "... (truncated)");
	fixture_free(&f);
	free(t);
	free(js);
}

static void test_rule_eval_title_of_exactly_1000_code_points_is_kept(void **state)
{
	struct fixture f;
	char *t = repeat("\xE2\x82\xAC", 1000);
	char *js = event_with_t(t);
	fixture_load(&f, HEAD ALWAYS "AlertTitle: '{t}'\n");
	assert_int_equal(fixture_eval(&f, js), 1);
	assert_string_equal(f.m.title, t);
	fixture_free(&f);
	free(t);
	free(js);
}

static void test_rule_truncate_keeps_short_strings_and_cuts_long_ones(void **state)
{
	char *s = strdup("short");
	s = rule_truncate(s);
	assert_string_equal(s, "short");
	free(s);
	s = repeat("x", 1001);
	s = rule_truncate(s);
	assert_int_equal(strlen(s), 1000);
	assert_string_equal(s + 985, "... (truncated)");
	assert_int_equal(s[984], 'x');
	free(s);
}

static void test_rule_eval_alert_context_copies_values_and_null_for_missing(void **state)
{
	struct fixture f;
	fixture_load(&f, HEAD ALWAYS "AlertContext:\n"
				     "  - KeyName: user\n"
				     "    KeyValue: {KeyPath: user.name}\n"
				     "  - KeyName: ips\n"
				     "    KeyValue: {KeyPath: ips}\n"
				     "  - KeyName: cluster\n"
				     "    KeyValue: {KeyPath: p_source_label}\n");
	assert_int_equal(fixture_eval_context(&f, "{'user': {'name': 'bob'}, 'ips': ['1.1.1.1']}"),
			 0);
	char *ctx = cJSON_PrintUnformatted(f.m.context);
	assert_string_equal(ctx, "{\"user\":\"bob\",\"ips\":[\"1.1.1.1\"],\"cluster\":null}");
	cJSON_free(ctx);
	fixture_free(&f);
}

static void test_rule_eval_alert_context_is_empty_object_without_fields(void **state)
{
	struct fixture f;
	fixture_load(&f, HEAD ALWAYS);
	assert_int_equal(fixture_eval_context(&f, "{}"), 0);
	assert_true(cJSON_IsObject(f.m.context));
	assert_null(f.m.context->child);
	fixture_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rule_load_reads_metadata_and_defaults),
		cmocka_unit_test(test_rule_load_reads_every_setting),
		cmocka_unit_test(test_rule_load_error_unknown_top_level_key_names_it_and_its_line),
		cmocka_unit_test(test_rule_load_error_filename_is_rejected),
		cmocka_unit_test(test_rule_load_error_missing_rule_id),
		cmocka_unit_test(test_rule_load_error_missing_log_types),
		cmocka_unit_test(test_rule_load_error_missing_detection),
		cmocka_unit_test(test_rule_load_error_duplicate_key_names_the_second),
		cmocka_unit_test(test_rule_load_error_bad_severity),
		cmocka_unit_test(test_rule_load_error_dedup_string_with_group_by),
		cmocka_unit_test(test_rule_load_error_dedup_period_out_of_range),
		cmocka_unit_test(test_rule_load_error_in_detection_keeps_its_line),
		cmocka_unit_test(test_rule_load_error_bad_dynamic_severity),
		cmocka_unit_test(test_rule_load_error_bad_title_template),
		cmocka_unit_test(
			test_rule_severity_parse_ignores_case_and_default_needs_permission),
		cmocka_unit_test(test_rule_load_tests_decode_json_string_logs_and_pick_log_types),
		cmocka_unit_test(test_rule_eval_no_match_returns_0),
		cmocka_unit_test(test_rule_eval_inline_filters_must_hold_too),
		cmocka_unit_test(test_rule_eval_title_from_first_matching_dynamic_title),
		cmocka_unit_test(test_rule_eval_title_falls_back_to_display_name),
		cmocka_unit_test(test_rule_eval_title_falls_back_to_rule_id),
		cmocka_unit_test(test_rule_eval_dynamic_severity_first_match_and_default),
		cmocka_unit_test(test_rule_eval_dedup_from_dedup_string),
		cmocka_unit_test(test_rule_eval_dedup_from_group_by_joins_values_with_colons),
		cmocka_unit_test(test_rule_eval_dedup_falls_back_to_the_title),
		cmocka_unit_test(test_rule_eval_dedup_default_string_without_title_or_dedup),
		cmocka_unit_test(test_rule_eval_dedup_default_string_when_dedup_renders_empty),
		cmocka_unit_test(test_rule_eval_dedup_default_string_when_title_renders_empty),
		cmocka_unit_test(
			test_rule_eval_long_multibyte_title_is_cut_to_985_code_points_and_suffix),
		cmocka_unit_test(test_rule_eval_long_dedup_string_is_cut_on_code_points),
		cmocka_unit_test(test_rule_eval_title_of_exactly_1000_code_points_is_kept),
		cmocka_unit_test(test_rule_truncate_keeps_short_strings_and_cuts_long_ones),
		cmocka_unit_test(test_rule_eval_alert_context_copies_values_and_null_for_missing),
		cmocka_unit_test(test_rule_eval_alert_context_is_empty_object_without_fields),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
