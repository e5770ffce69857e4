/* metrics: the Prometheus text exposition format 0.0.4: HELP and TYPE lines, samples with and
 * without labels, label value and HELP escaping, names checked, errors sticky, the page bounded
 * by the sbuf's limit. */
#include "unit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "metrics.h"

static void test_metrics_counter_family_writes_help_type_and_sample(void **state)
{
	struct sbuf s;
	struct metrics_page p;
	sbuf_init(&s, 0);
	metrics_begin(&p, &s);
	metrics_family(&p, "kube_audit_agent_bytes_read_total", METRIC_COUNTER, "Bytes read.");
	metrics_sample(&p, NULL, 0, 18738);
	assert_int_equal(metrics_end(&p), 0);
	assert_string_equal(sbuf_cstr(&s), "# HELP kube_audit_agent_bytes_read_total Bytes read.\n"
					   "# TYPE kube_audit_agent_bytes_read_total counter\n"
					   "kube_audit_agent_bytes_read_total 18738\n");
	sbuf_free(&s);
}

static void test_metrics_gauge_family_with_labels_in_order(void **state)
{
	struct sbuf s;
	struct metrics_page p;
	sbuf_init(&s, 0);
	metrics_begin(&p, &s);
	metrics_family(&p, "x_deliveries", METRIC_GAUGE, "h");
	metrics_sample(&p, (struct metric_label[]){{"output", "siem"}, {"result", "ok"}}, 2, 3);
	metrics_sample(&p, (struct metric_label[]){{"output", "siem"}, {"result", "retry"}}, 2, 0);
	assert_int_equal(metrics_end(&p), 0);
	assert_string_equal(sbuf_cstr(&s), "# HELP x_deliveries h\n"
					   "# TYPE x_deliveries gauge\n"
					   "x_deliveries{output=\"siem\",result=\"ok\"} 3\n"
					   "x_deliveries{output=\"siem\",result=\"retry\"} 0\n");
	sbuf_free(&s);
}

static void test_metrics_label_value_escapes_backslash_quote_and_newline(void **state)
{
	struct sbuf s;
	struct metrics_page p;
	sbuf_init(&s, 0);
	metrics_begin(&p, &s);
	metrics_family(&p, "m", METRIC_COUNTER, "h");
	metrics_sample(&p, (struct metric_label[]){{"file", "C:\\logs\\\"a\"\nb"}}, 1, 1);
	assert_int_equal(metrics_end(&p), 0);
	assert_string_equal(sbuf_cstr(&s), "# HELP m h\n# TYPE m counter\n"
					   "m{file=\"C:\\\\logs\\\\\\\"a\\\"\\nb\"} 1\n");
	sbuf_free(&s);
}

static void test_metrics_label_value_keeps_utf8_and_replaces_invalid_bytes(void **state)
{
	struct sbuf s;
	sbuf_init(&s, 0);
	assert_int_equal(metrics_escape_label(&s, "caf\xC3\xA9-\xFF-\xC3"), 0);
	assert_string_equal(sbuf_cstr(&s), "caf\xC3\xA9-\xEF\xBF\xBD-\xEF\xBF\xBD");
	sbuf_free(&s);
}

static void test_metrics_label_value_empty_and_plain_are_unchanged(void **state)
{
	struct sbuf s;
	sbuf_init(&s, 0);
	assert_int_equal(metrics_escape_label(&s, ""), 0);
	assert_int_equal(s.len, 0);
	assert_int_equal(metrics_escape_label(&s, "Kubernetes.API.AnonymousAccess"), 0);
	assert_string_equal(sbuf_cstr(&s), "Kubernetes.API.AnonymousAccess");
	sbuf_free(&s);
}

static void test_metrics_help_escapes_backslash_and_newline_but_not_quotes(void **state)
{
	struct sbuf s;
	struct metrics_page p;
	sbuf_init(&s, 0);
	metrics_begin(&p, &s);
	metrics_family(&p, "m", METRIC_GAUGE, "a \\ b\n\"c\"");
	assert_int_equal(metrics_end(&p), 0);
	assert_string_equal(sbuf_cstr(&s), "# HELP m a \\\\ b\\n\"c\"\n# TYPE m gauge\n");
	sbuf_free(&s);
}

static void test_metrics_largest_value_is_printed_exactly(void **state)
{
	struct sbuf s;
	struct metrics_page p;
	sbuf_init(&s, 0);
	metrics_begin(&p, &s);
	metrics_family(&p, "m", METRIC_COUNTER, "h");
	metrics_sample(&p, NULL, 0, UINT64_MAX);
	assert_int_equal(metrics_end(&p), 0);
	assert_string_equal(sbuf_cstr(&s),
			    "# HELP m h\n# TYPE m counter\nm 18446744073709551615\n");
	sbuf_free(&s);
}

static void test_metrics_bad_metric_name_is_refused_and_nothing_written(void **state)
{
	static const char *const bad[] = {"", "1abc", "a-b", "a b", "é"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		struct sbuf s;
		struct metrics_page p;
		sbuf_init(&s, 0);
		metrics_begin(&p, &s);
		metrics_family(&p, bad[i], METRIC_COUNTER, "h");
		assert_int_equal(metrics_end(&p), -EINVAL);
		assert_int_equal(s.len, 0);
		sbuf_free(&s);
	}
}

static void test_metrics_colon_allowed_in_metric_name_not_in_label_name(void **state)
{
	struct sbuf s;
	struct metrics_page p;
	sbuf_init(&s, 0);
	metrics_begin(&p, &s);
	metrics_family(&p, "job:m:rate5m", METRIC_GAUGE, "h");
	metrics_sample(&p, NULL, 0, 1);
	assert_int_equal(metrics_end(&p), 0);
	metrics_sample(&p, (struct metric_label[]){{"a:b", "v"}}, 1, 1);
	assert_int_equal(metrics_end(&p), -EINVAL);
	sbuf_free(&s);
}

static void test_metrics_sample_before_any_family_is_refused(void **state)
{
	struct sbuf s;
	struct metrics_page p;
	sbuf_init(&s, 0);
	metrics_begin(&p, &s);
	metrics_sample(&p, NULL, 0, 1);
	assert_int_equal(metrics_end(&p), -EINVAL);
	assert_int_equal(s.len, 0);
	sbuf_free(&s);
}

static void test_metrics_null_label_value_is_refused(void **state)
{
	struct sbuf s;
	struct metrics_page p;
	sbuf_init(&s, 0);
	metrics_begin(&p, &s);
	metrics_family(&p, "m", METRIC_GAUGE, "h");
	metrics_sample(&p, (struct metric_label[]){{"file", NULL}}, 1, 1);
	assert_int_equal(metrics_end(&p), -EINVAL);
	sbuf_free(&s);
}

static void test_metrics_first_error_sticks_and_nothing_more_is_written(void **state)
{
	struct sbuf s;
	struct metrics_page p;
	sbuf_init(&s, 0);
	metrics_begin(&p, &s);
	metrics_family(&p, "bad-name", METRIC_GAUGE, "h");
	size_t len = s.len;
	metrics_family(&p, "good", METRIC_GAUGE, "h");
	metrics_sample(&p, NULL, 0, 1);
	assert_int_equal(metrics_end(&p), -EINVAL);
	assert_int_equal(s.len, len);
	sbuf_free(&s);
}

static void test_metrics_page_past_the_sbuf_limit_fails_and_stays_within_it(void **state)
{
	struct sbuf s;
	struct metrics_page p;
	char id[32];
	sbuf_init(&s, 1000);
	metrics_begin(&p, &s);
	metrics_family(&p, "kube_audit_agent_rule_matches_total", METRIC_COUNTER, "Matches.");
	for (int i = 0; i < 100; i++) {
		snprintf(id, sizeof(id), "Rule.%d", i);
		metrics_sample(&p, (struct metric_label[]){{"rule_id", id}}, 1, (uint64_t)i);
	}
	assert_int_equal(metrics_end(&p), -ENOMEM);
	assert_true(s.overflow);
	assert_true(s.len <= 1000);
	sbuf_free(&s);
}

static void test_metrics_page_of_exactly_the_limit_fits(void **state)
{
	const char *want = "# HELP m h\n# TYPE m gauge\nm 7\n";
	struct sbuf s;
	struct metrics_page p;
	sbuf_init(&s, strlen(want));
	metrics_begin(&p, &s);
	metrics_family(&p, "m", METRIC_GAUGE, "h");
	metrics_sample(&p, NULL, 0, 7);
	assert_int_equal(metrics_end(&p), 0);
	assert_string_equal(sbuf_cstr(&s), want);
	sbuf_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_metrics_counter_family_writes_help_type_and_sample),
		cmocka_unit_test(test_metrics_gauge_family_with_labels_in_order),
		cmocka_unit_test(test_metrics_label_value_escapes_backslash_quote_and_newline),
		cmocka_unit_test(test_metrics_label_value_keeps_utf8_and_replaces_invalid_bytes),
		cmocka_unit_test(test_metrics_label_value_empty_and_plain_are_unchanged),
		cmocka_unit_test(test_metrics_help_escapes_backslash_and_newline_but_not_quotes),
		cmocka_unit_test(test_metrics_largest_value_is_printed_exactly),
		cmocka_unit_test(test_metrics_bad_metric_name_is_refused_and_nothing_written),
		cmocka_unit_test(test_metrics_colon_allowed_in_metric_name_not_in_label_name),
		cmocka_unit_test(test_metrics_sample_before_any_family_is_refused),
		cmocka_unit_test(test_metrics_null_label_value_is_refused),
		cmocka_unit_test(test_metrics_first_error_sticks_and_nothing_more_is_written),
		cmocka_unit_test(test_metrics_page_past_the_sbuf_limit_fails_and_stays_within_it),
		cmocka_unit_test(test_metrics_page_of_exactly_the_limit_fits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
