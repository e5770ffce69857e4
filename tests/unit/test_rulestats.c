/* rulestats: one set of counters per rule id, found again by id, starting at zero, kept in
 * the order first seen (a reload that drops a rule keeps its counters). */
#include "unit.h"

#include <stdio.h>

#include "rulestats.h"

static void test_rulestats_new_rule_starts_at_zero(void **state)
{
	struct rulestats s = {0};
	struct rule_counts *c = rulestats_get(&s, "Kubernetes.API.AnonymousAccess");
	assert_non_null(c);
	assert_string_equal(c->rule_id, "Kubernetes.API.AnonymousAccess");
	assert_int_equal(c->matches, 0);
	assert_int_equal(c->alerts, 0);
	assert_int_equal(s.n, 1);
	rulestats_free(&s);
}

static void test_rulestats_same_id_gives_the_same_counters(void **state)
{
	struct rulestats s = {0};
	rulestats_get(&s, "A")->matches += 3;
	rulestats_get(&s, "B")->alerts += 1;
	rulestats_get(&s, "A")->alerts += 2;
	assert_int_equal(s.n, 2);
	assert_int_equal(rulestats_get(&s, "A")->matches, 3);
	assert_int_equal(rulestats_get(&s, "A")->alerts, 2);
	assert_int_equal(rulestats_get(&s, "B")->alerts, 1);
	rulestats_free(&s);
}

static void test_rulestats_many_rules_keep_their_order_and_counts(void **state)
{
	struct rulestats s = {0};
	char id[32];
	for (int i = 0; i < 100; i++) {
		snprintf(id, sizeof(id), "Rule.%d", i);
		rulestats_get(&s, id)->matches = (uint64_t)i;
	}
	assert_int_equal(s.n, 100);
	for (int i = 0; i < 100; i++) {
		snprintf(id, sizeof(id), "Rule.%d", i);
		assert_string_equal(s.v[i].rule_id, id);
		assert_int_equal(rulestats_get(&s, id)->matches, i);
	}
	rulestats_free(&s);
	assert_int_equal(s.n, 0);
	assert_null(s.v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rulestats_new_rule_starts_at_zero),
		cmocka_unit_test(test_rulestats_same_id_gives_the_same_counters),
		cmocka_unit_test(test_rulestats_many_rules_keep_their_order_and_counts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
