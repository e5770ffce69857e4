/* engine: one line through decode, log-type choice, data model and the shipped rules
 * (rules/), with the statistics it keeps. */
#include "unit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "engine.h"

static int load_rules(void **state)
{
	return unit_ruleset_setup(state, KAA_RULES_DIR);
}

/* What the match callback saw. */
struct seen {
	int calls;
	char rule[64];
	char log_type[64];
	char title[256];
	char dedup[256];
	int time_rc;
	int64_t time_us;
	const struct engine *e;
	int fail_with;
	bool take_title;
	char *taken;
};

static int on_match(void *arg, const struct rule *r, struct rule_match *m, struct event *ev)
{
	struct seen *s = arg;
	s->calls++;
	snprintf(s->rule, sizeof(s->rule), "%s", r->id);
	snprintf(s->log_type, sizeof(s->log_type), "%s", ev->log_type);
	snprintf(s->title, sizeof(s->title), "%s", m->title);
	snprintf(s->dedup, sizeof(s->dedup), "%s", m->dedup);
	s->time_rc = engine_event_time(s->e, ev, &s->time_us);
	if (s->take_title) {
		s->taken = m->title;
		m->title = NULL;
	}
	return s->fail_with;
}

/* Run one line (a C string) through a fresh engine with default log type dflt. */
static int run_line(struct engine *e, const struct ruleset *rs, const char *dflt, const char *line,
		    struct decode_error *err, struct seen *s)
{
	engine_init(e, rs, dflt);
	s->e = e;
	return engine_line(e, line, strlen(line), err, on_match, s);
}

#define NATIVE_ANON                                                                        \
	"\"user\":{\"username\":\"system:anonymous\"},\"sourceIPs\":[\"203.0.113.9\"],"      \
	"\"requestURI\":\"/api\",\"annotations\":{\"authorization.k8s.io/decision\":\"allow\"}"

static void test_engine_line_without_p_log_type_uses_the_default(void **state)
{
	struct engine e;
	struct decode_error err;
	struct seen s = {0};
	int rc = run_line(&e, *state, "Kubernetes.Audit", "{" NATIVE_ANON "}", &err, &s);
	assert_int_equal(rc, 0);
	assert_int_equal(s.calls, 1);
	assert_string_equal(s.rule, "Kubernetes.API.AnonymousAccess");
	assert_string_equal(s.log_type, "Kubernetes.Audit");
	assert_string_equal(s.title, "Anonymous API access detected on Kubernetes API server from "
				     "[203.0.113.9] to [/api]");
	assert_string_equal(s.dedup, "anonymous_access_<UNKNOWN_USER_AGENT>");
	assert_int_equal(e.st.lines, 1);
	assert_int_equal(e.st.matches, 1);
}

static void test_engine_null_default_log_type_is_kubernetes_audit(void **state)
{
	struct engine e;
	engine_init(&e, *state, NULL);
	assert_string_equal(e.default_log_type, "Kubernetes.Audit");
	assert_true(e.event_time_id >= 0);
}

static void test_engine_line_p_log_type_wins_over_the_default(void **state)
{
	struct engine e;
	struct decode_error err;
	struct seen s = {0};
	/* as GCP.AuditLog this native event has no anonymous user; as its own type it does */
	int rc = run_line(&e, *state, "GCP.AuditLog", "{" NATIVE_ANON "}", &err, &s);
	assert_int_equal(rc, 0);
	assert_int_equal(s.calls, 0);

	rc = run_line(&e, *state, "GCP.AuditLog",
		      "{\"p_log_type\":\"Amazon.EKS.Audit\"," NATIVE_ANON "}", &err, &s);
	assert_int_equal(rc, 0);
	assert_int_equal(s.calls, 1);
	assert_string_equal(s.log_type, "Amazon.EKS.Audit");
}

/* Decode errors are only seen with the prefilter off: a malformed line without
 * "system:anonymous" is skipped undecoded (next test). */
static void test_engine_undecodable_line_returns_1_and_counts_a_decode_error(void **state)
{
	struct engine e;
	struct decode_error err;
	struct seen s = {0};
	engine_init(&e, *state, NULL);
	e.prefilter = false;
	s.e = &e;
	const char *line = "{\"user\": nope}";
	int rc = engine_line(&e, line, strlen(line), &err, on_match, &s);
	assert_int_equal(rc, 1);
	assert_string_equal(err.reason, "invalid JSON");
	assert_int_equal(s.calls, 0);
	assert_int_equal(e.st.lines, 1);
	assert_int_equal(e.st.bytes, 14);
	assert_int_equal(e.st.decode_errors, 1);
	assert_int_equal(e.st.no_rules, 0);
	assert_int_equal(e.st.matches, 0);
	assert_int_equal(e.st.prefiltered, 0);
}

static void test_engine_prefilter_skips_a_line_without_the_literal_undecoded(void **state)
{
	struct engine e;
	struct decode_error err;
	struct seen s = {0};
	int rc = run_line(&e, *state, NULL, "{\"user\": nope}", &err, &s);
	assert_int_equal(rc, 0);
	assert_int_equal(s.calls, 0);
	assert_int_equal(e.st.lines, 1);
	assert_int_equal(e.st.bytes, 14);
	assert_int_equal(e.st.prefiltered, 1);
	assert_int_equal(e.st.decode_errors, 0);
	/* a malformed line holding the literal is decoded and fails as before */
	const char *bad = "{\"user\": \"system:anonymous\"";
	rc = engine_line(&e, bad, strlen(bad), &err, on_match, &s);
	assert_int_equal(rc, 1);
	assert_int_equal(e.st.decode_errors, 1);
	assert_int_equal(e.st.prefiltered, 1);
}

static void test_engine_prefilter_decodes_a_line_whose_escape_may_spell_the_literal(void **state)
{
	struct engine e;
	struct decode_error err;
	struct seen s = {0};
	int rc = run_line(&e, *state, NULL,
			  "{\"user\":{\"username\":\"\\u0073ystem:anonymous\"},"
			  "\"sourceIPs\":[\"203.0.113.9\"],\"requestURI\":\"/api\"}",
			  &err, &s);
	assert_int_equal(rc, 0);
	assert_int_equal(s.calls, 1);
	assert_int_equal(e.st.prefiltered, 0);
	/* an escape of a character no literal holds ('&') does not stop the skip */
	const char *amp = "{\"requestURI\":\"/api?a=1\\u0026b=2\"}";
	rc = engine_line(&e, amp, strlen(amp), &err, on_match, &s);
	assert_int_equal(rc, 0);
	assert_int_equal(e.st.prefiltered, 1);
}

static void test_engine_prefilter_off_decodes_every_line(void **state)
{
	struct engine e;
	struct decode_error err;
	struct seen s = {0};
	engine_init(&e, *state, NULL);
	e.prefilter = false;
	s.e = &e;
	const char *line = "{\"user\":{\"username\":\"alice\"}}";
	assert_int_equal(engine_line(&e, line, strlen(line), &err, on_match, &s), 0);
	assert_int_equal(e.st.prefiltered, 0);
	assert_int_equal(e.st.lines, 1);
}

static void test_engine_unknown_log_type_counts_no_rules(void **state)
{
	struct engine e;
	struct decode_error err;
	struct seen s = {0};
	int rc = run_line(&e, *state, NULL, "{\"p_log_type\":\"AWS.CloudTrail\"," NATIVE_ANON "}",
			  &err, &s);
	assert_int_equal(rc, 0);
	assert_int_equal(s.calls, 0);
	assert_int_equal(e.st.no_rules, 1);
	assert_int_equal(e.st.decode_errors, 0);
	rc = engine_line(&e, "{}", 2, &err, on_match, &s);
	assert_int_equal(rc, 0);
	assert_int_equal(e.st.no_rules, 1);
	assert_int_equal(e.st.lines, 2);
}

static void test_engine_non_matching_line_calls_nothing(void **state)
{
	struct engine e;
	struct decode_error err;
	struct seen s = {0};
	int rc = run_line(&e, *state, NULL,
			  "{\"user\":{\"username\":\"alice\"},"
			  "\"sourceIPs\":[\"203.0.113.9\"]}",
			  &err, &s);
	assert_int_equal(rc, 0);
	assert_int_equal(s.calls, 0);
	assert_int_equal(e.st.matches, 0);
	assert_int_equal(e.st.no_rules, 0);
}

static void test_engine_callback_error_is_returned(void **state)
{
	struct engine e;
	struct decode_error err;
	struct seen s = {.fail_with = -EPIPE};
	int rc = run_line(&e, *state, NULL, "{" NATIVE_ANON "}", &err, &s);
	assert_int_equal(rc, -EPIPE);
	assert_int_equal(s.calls, 1);
}

static void test_engine_callback_may_take_over_the_match(void **state)
{
	struct engine e;
	struct decode_error err;
	struct seen s = {.take_title = true};
	int rc = run_line(&e, *state, NULL, "{" NATIVE_ANON "}", &err, &s);
	assert_int_equal(rc, 0);
	assert_non_null(s.taken);
	assert_string_equal(s.taken, s.title);
	free(s.taken);
}

static void test_engine_event_time_prefers_p_event_time(void **state)
{
	struct engine e;
	struct decode_error err;
	struct seen s = {0};
	int rc = run_line(&e, *state, NULL,
			  "{\"p_event_time\":\"2022-11-29 00:09:04.38\","
			  "\"requestReceivedTimestamp\":\"2024-11-13T18:34:10.595141Z\","
			  NATIVE_ANON "}",
			  &err, &s);
	assert_int_equal(rc, 0);
	assert_int_equal(s.time_rc, 0);
	assert_int_equal(s.time_us, INT64_C(1669680544380000));
}

static void test_engine_event_time_falls_back_to_the_data_model(void **state)
{
	struct engine e;
	struct decode_error err;
	struct seen s = {0};
	int rc = run_line(&e, *state, NULL,
			  "{\"stageTimestamp\":\"2024-11-13T18:34:10.595141Z\"," NATIVE_ANON "}",
			  &err, &s);
	assert_int_equal(rc, 0);
	assert_int_equal(s.time_rc, 0);
	assert_int_equal(s.time_us, INT64_C(1731522850595141));
}

static void test_engine_event_time_missing_or_unparseable_is_enoent(void **state)
{
	struct engine e;
	struct decode_error err;
	struct seen s = {0};
	assert_int_equal(run_line(&e, *state, NULL, "{" NATIVE_ANON "}", &err, &s), 0);
	assert_int_equal(s.time_rc, -ENOENT);
	assert_int_equal(run_line(&e, *state, NULL,
				  "{\"requestReceivedTimestamp\":\"yesterday\"," NATIVE_ANON "}",
				  &err, &s),
			 0);
	assert_int_equal(s.time_rc, -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_engine_line_without_p_log_type_uses_the_default),
		cmocka_unit_test(test_engine_null_default_log_type_is_kubernetes_audit),
		cmocka_unit_test(test_engine_line_p_log_type_wins_over_the_default),
		cmocka_unit_test(test_engine_undecodable_line_returns_1_and_counts_a_decode_error),
		cmocka_unit_test(test_engine_prefilter_skips_a_line_without_the_literal_undecoded),
		cmocka_unit_test(test_engine_prefilter_decodes_a_line_whose_escape_may_spell_the_literal),
		cmocka_unit_test(test_engine_prefilter_off_decodes_every_line),
		cmocka_unit_test(test_engine_unknown_log_type_counts_no_rules),
		cmocka_unit_test(test_engine_non_matching_line_calls_nothing),
		cmocka_unit_test(test_engine_callback_error_is_returned),
		cmocka_unit_test(test_engine_callback_may_take_over_the_match),
		cmocka_unit_test(test_engine_event_time_prefers_p_event_time),
		cmocka_unit_test(test_engine_event_time_falls_back_to_the_data_model),
		cmocka_unit_test(test_engine_event_time_missing_or_unparseable_is_enoent),
	};
	return cmocka_run_group_tests(tests, load_rules, unit_ruleset_teardown);
}
