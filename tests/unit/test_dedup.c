/* dedup: alert windows per (rule, dedup string), Threshold, closing in opening order, and the
 * stable alert id. Times are microseconds. */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>

#include "dedup.h"

#define MINUTE (60 * INT64_C(1000000))

/* What the close callback saw, in order. */
struct closed {
	char dedup[8][32];
	uint64_t count[8];
	int n;
};

static int on_close(void *arg, struct alert_group *g)
{
	struct closed *c = arg;
	assert_true(c->n < 8);
	snprintf(c->dedup[c->n], sizeof(c->dedup[c->n]), "%s", g->dedup);
	c->count[c->n] = g->count;
	c->n++;
	return 0;
}

static struct rule make_rule(const char *id, long minutes, long threshold)
{
	struct rule r;
	memset(&r, 0, sizeof(r));
	r.id = (char *)id;
	r.dedup_minutes = minutes;
	r.threshold = threshold;
	return r;
}

static int record(struct dedup_table *t, const struct rule *r, const char *dedup, int64_t ts,
		  struct alert_group **g, bool *first, struct closed *c)
{
	return dedup_record(t, r, dedup, ts, g, first, on_close, c);
}

static void test_dedup_first_match_opens_a_window_and_an_alert(void **state)
{
	struct dedup_table t;
	struct rule r = make_rule("R", 60, 1);
	struct closed c = {0};
	struct alert_group *g;
	bool first = false;

	assert_int_equal(dedup_init(&t, 16), 0);
	assert_int_equal(record(&t, &r, "user-a", 1000, &g, &first, &c), DEDUP_NEW_ALERT);
	assert_true(first);
	assert_ptr_equal(g->rule, &r);
	assert_string_equal(g->dedup, "user-a");
	assert_int_equal(g->window_start, 1000);
	assert_int_equal(g->window_end, 1000 + 60 * MINUTE);
	assert_int_equal(g->count, 1);
	assert_true(g->alerted);
	assert_int_equal(t.count, 1);
	dedup_free(&t);
	assert_int_equal(c.n, 0);
}

static void test_dedup_match_inside_the_window_updates_the_alert(void **state)
{
	struct dedup_table t;
	struct rule r = make_rule("R", 60, 1);
	struct closed c = {0};
	struct alert_group *g1, *g2;
	bool first;

	assert_int_equal(dedup_init(&t, 16), 0);
	assert_int_equal(record(&t, &r, "d", 0, &g1, &first, &c), DEDUP_NEW_ALERT);
	assert_int_equal(record(&t, &r, "d", 30 * MINUTE, &g2, &first, &c), DEDUP_UPDATE);
	assert_false(first);
	assert_ptr_equal(g1, g2);
	assert_int_equal(record(&t, &r, "d", 60 * MINUTE - 1, &g2, &first, &c), DEDUP_UPDATE);
	assert_int_equal(g2->count, 3);
	assert_int_equal(g2->first_seen, 0);
	assert_int_equal(g2->last_seen, 60 * MINUTE - 1);
	assert_int_equal(g2->window_start, 0);
	assert_int_equal(t.count, 1);
	assert_int_equal(c.n, 0);
	dedup_free(&t);
}

static void test_dedup_match_after_the_period_closes_and_opens_a_new_window(void **state)
{
	struct dedup_table t;
	struct rule r = make_rule("R", 10, 1);
	struct closed c = {0};
	struct alert_group *g;
	bool first;

	assert_int_equal(dedup_init(&t, 16), 0);
	assert_int_equal(record(&t, &r, "d", 0, &g, &first, &c), DEDUP_NEW_ALERT);
	assert_int_equal(record(&t, &r, "d", 5 * MINUTE, &g, &first, &c), DEDUP_UPDATE);
	assert_int_equal(record(&t, &r, "d", 10 * MINUTE, &g, &first, &c), DEDUP_NEW_ALERT);
	assert_true(first);
	assert_int_equal(g->window_start, 10 * MINUTE);
	assert_int_equal(g->window_end, 20 * MINUTE);
	assert_int_equal(g->count, 1);
	assert_int_equal(c.n, 1);
	assert_string_equal(c.dedup[0], "d");
	assert_int_equal(c.count[0], 2);
	assert_int_equal(t.count, 1);
	dedup_free(&t);
}

static void test_dedup_groups_by_rule_and_dedup_string(void **state)
{
	struct dedup_table t;
	struct rule r1 = make_rule("R1", 60, 1), r2 = make_rule("R2", 60, 1);
	struct closed c = {0};
	struct alert_group *a, *b, *d;
	bool first;

	assert_int_equal(dedup_init(&t, 1), 0);
	assert_int_equal(record(&t, &r1, "x", 0, &a, &first, &c), DEDUP_NEW_ALERT);
	assert_int_equal(record(&t, &r2, "x", 1, &b, &first, &c), DEDUP_NEW_ALERT);
	assert_int_equal(record(&t, &r1, "y", 2, &d, &first, &c), DEDUP_NEW_ALERT);
	assert_true(a != b && b != d && a != d);
	assert_int_equal(t.count, 3);
	assert_int_equal(record(&t, &r2, "x", 3, &d, &first, &c), DEDUP_UPDATE);
	assert_ptr_equal(d, b);
	dedup_free(&t);
}

static void test_dedup_threshold_holds_matches_then_opens_the_alert(void **state)
{
	struct dedup_table t;
	struct rule r = make_rule("R", 60, 3);
	struct closed c = {0};
	struct alert_group *g;
	bool first;

	assert_int_equal(dedup_init(&t, 16), 0);
	assert_int_equal(record(&t, &r, "d", 0, &g, &first, &c), DEDUP_HELD);
	assert_true(first);
	assert_false(g->alerted);
	assert_int_equal(record(&t, &r, "d", 1, &g, &first, &c), DEDUP_HELD);
	assert_false(first);
	assert_int_equal(record(&t, &r, "d", 2, &g, &first, &c), DEDUP_NEW_ALERT);
	assert_true(g->alerted);
	assert_int_equal(g->count, 3);
	assert_int_equal(record(&t, &r, "d", 3, &g, &first, &c), DEDUP_UPDATE);
	dedup_free(&t);
}

static void test_dedup_threshold_counts_restart_in_a_new_window(void **state)
{
	struct dedup_table t;
	struct rule r = make_rule("R", 1, 2);
	struct closed c = {0};
	struct alert_group *g;
	bool first;

	assert_int_equal(dedup_init(&t, 16), 0);
	assert_int_equal(record(&t, &r, "d", 0, &g, &first, &c), DEDUP_HELD);
	assert_int_equal(record(&t, &r, "d", MINUTE, &g, &first, &c), DEDUP_HELD);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.count[0], 1);
	assert_int_equal(record(&t, &r, "d", MINUTE + 1, &g, &first, &c), DEDUP_NEW_ALERT);
	dedup_free(&t);
}

static void test_dedup_expire_closes_ended_windows_in_opening_order(void **state)
{
	struct dedup_table t;
	struct rule r = make_rule("R", 10, 1);
	struct closed c = {0};
	struct alert_group *g;
	bool first;

	assert_int_equal(dedup_init(&t, 4), 0);
	assert_int_equal(record(&t, &r, "c", 0, &g, &first, &c), DEDUP_NEW_ALERT);
	assert_int_equal(record(&t, &r, "a", MINUTE, &g, &first, &c), DEDUP_NEW_ALERT);
	assert_int_equal(record(&t, &r, "b", 2 * MINUTE, &g, &first, &c), DEDUP_NEW_ALERT);

	assert_int_equal(dedup_expire(&t, 10 * MINUTE - 1, on_close, &c), 0);
	assert_int_equal(c.n, 0);
	assert_int_equal(dedup_expire(&t, 11 * MINUTE, on_close, &c), 0);
	assert_int_equal(c.n, 2);
	assert_string_equal(c.dedup[0], "c");
	assert_string_equal(c.dedup[1], "a");
	assert_int_equal(t.count, 1);
	assert_int_equal(dedup_expire(&t, INT64_MAX, on_close, &c), 0);
	assert_int_equal(c.n, 3);
	assert_string_equal(c.dedup[2], "b");
	assert_int_equal(t.count, 0);
	assert_null(t.head);
	assert_null(t.tail);
	dedup_free(&t);
}

static void test_dedup_expire_flush_follows_opening_order_not_key_order(void **state)
{
	struct dedup_table t;
	struct rule r = make_rule("R", 60, 1);
	struct closed c = {0};
	struct alert_group *g;
	bool first;
	const char *keys[] = {"z", "m", "a", "q", "b"};

	assert_int_equal(dedup_init(&t, 2), 0);
	for (int i = 0; i < 5; i++)
		assert_int_equal(record(&t, &r, keys[i], i, &g, &first, &c), DEDUP_NEW_ALERT);
	/* a window that closes in the middle of the list keeps the order of the rest */
	assert_int_equal(record(&t, &r, "a", 60 * MINUTE + 2, &g, &first, &c), DEDUP_NEW_ALERT);
	assert_int_equal(c.n, 1);
	assert_string_equal(c.dedup[0], "a");
	assert_int_equal(dedup_expire(&t, INT64_MAX, on_close, &c), 0);
	assert_int_equal(c.n, 6);
	assert_string_equal(c.dedup[1], "z");
	assert_string_equal(c.dedup[2], "m");
	assert_string_equal(c.dedup[3], "q");
	assert_string_equal(c.dedup[4], "b");
	assert_string_equal(c.dedup[5], "a");
	dedup_free(&t);
}

static int fail_close(void *arg, struct alert_group *g)
{
	(*(int *)arg)++;
	return -5;
}

static void test_dedup_expire_returns_the_first_close_error(void **state)
{
	struct dedup_table t;
	struct rule r = make_rule("R", 1, 1);
	struct alert_group *g;
	bool first;
	int calls = 0;

	assert_int_equal(dedup_init(&t, 4), 0);
	assert_int_equal(dedup_record(&t, &r, "a", 0, &g, &first, NULL, NULL), DEDUP_NEW_ALERT);
	assert_int_equal(dedup_record(&t, &r, "b", 0, &g, &first, NULL, NULL), DEDUP_NEW_ALERT);
	assert_int_equal(dedup_expire(&t, INT64_MAX, fail_close, &calls), -5);
	assert_int_equal(calls, 1);
	assert_int_equal(t.count, 1);
	dedup_free(&t);
}

static void test_dedup_close_oldest_closes_the_first_opened_group_early(void **state)
{
	struct dedup_table t;
	struct rule r = make_rule("R", 60, 1);
	struct closed c = {0};
	struct alert_group *g;
	bool first;

	assert_int_equal(dedup_init(&t, 4), 0);
	assert_int_equal(dedup_close_oldest(&t, on_close, &c), 1);
	assert_int_equal(record(&t, &r, "old", 0, &g, &first, &c), DEDUP_NEW_ALERT);
	assert_int_equal(record(&t, &r, "new", MINUTE, &g, &first, &c), DEDUP_NEW_ALERT);
	assert_int_equal(dedup_close_oldest(&t, on_close, &c), 0);
	assert_int_equal(c.n, 1);
	assert_string_equal(c.dedup[0], "old");
	assert_int_equal(t.count, 1);
	assert_string_equal(t.head->dedup, "new");
	/* the closed group's key is free again: a new match opens a new group */
	assert_int_equal(record(&t, &r, "old", 2 * MINUTE, &g, &first, &c), DEDUP_NEW_ALERT);
	assert_true(first);
	dedup_free(&t);
}

static void test_dedup_weights_add_up_and_leave_with_their_group(void **state)
{
	struct dedup_table t;
	struct rule r = make_rule("R", 60, 1);
	struct closed c = {0};
	struct alert_group *a, *b;
	bool first;

	assert_int_equal(dedup_init(&t, 4), 0);
	assert_int_equal(record(&t, &r, "a", 0, &a, &first, &c), DEDUP_NEW_ALERT);
	assert_int_equal(record(&t, &r, "b", 0, &b, &first, &c), DEDUP_NEW_ALERT);
	assert_int_equal(t.weight, 0);
	dedup_set_weight(&t, a, 100);
	dedup_set_weight(&t, b, 30);
	assert_int_equal(t.weight, 130);
	dedup_set_weight(&t, a, 40);
	assert_int_equal(t.weight, 70);
	assert_int_equal(dedup_close_oldest(&t, on_close, &c), 0);
	assert_int_equal(t.weight, 30);
	assert_int_equal(dedup_expire(&t, INT64_MAX, on_close, &c), 0);
	assert_int_equal(t.weight, 0);
	dedup_free(&t);
}

static void test_dedup_alert_id_is_stable_for_the_same_window(void **state)
{
	struct dedup_table t1, t2;
	struct rule r = make_rule("R", 60, 1);
	struct alert_group *a, *b;
	bool first;
	char id1[33], id2[33], id3[33];

	assert_int_equal(dedup_init(&t1, 16), 0);
	assert_int_equal(dedup_init(&t2, 64), 0);
	assert_int_equal(dedup_record(&t1, &r, "d", 12345, &a, &first, NULL, NULL),
			 DEDUP_NEW_ALERT);
	dedup_alert_id(a, id1);
	assert_int_equal(dedup_record(&t1, &r, "d", 99999, &a, &first, NULL, NULL), DEDUP_UPDATE);
	dedup_alert_id(a, id2);
	assert_int_equal(dedup_record(&t2, &r, "d", 12345, &b, &first, NULL, NULL),
			 DEDUP_NEW_ALERT);
	dedup_alert_id(b, id3);
	assert_int_equal(strlen(id1), 32);
	assert_int_equal(strspn(id1, "0123456789abcdef"), 32);
	assert_string_equal(id1, id2);
	assert_string_equal(id1, id3);
	dedup_free(&t1);
	dedup_free(&t2);
}

static void test_dedup_alert_id_differs_per_window_dedup_and_rule(void **state)
{
	struct dedup_table t;
	struct rule r = make_rule("R", 1, 1), r2 = make_rule("R2", 1, 1);
	struct alert_group *g;
	bool first;
	char w1[33], w2[33], other[33], rule2[33];

	assert_int_equal(dedup_init(&t, 16), 0);
	assert_int_equal(dedup_record(&t, &r, "d", 0, &g, &first, NULL, NULL), DEDUP_NEW_ALERT);
	dedup_alert_id(g, w1);
	assert_int_equal(dedup_record(&t, &r, "d", MINUTE, &g, &first, NULL, NULL),
			 DEDUP_NEW_ALERT);
	dedup_alert_id(g, w2);
	assert_int_equal(dedup_record(&t, &r, "e", MINUTE, &g, &first, NULL, NULL),
			 DEDUP_NEW_ALERT);
	dedup_alert_id(g, other);
	assert_int_equal(dedup_record(&t, &r2, "d", MINUTE, &g, &first, NULL, NULL),
			 DEDUP_NEW_ALERT);
	dedup_alert_id(g, rule2);
	assert_string_not_equal(w1, w2);
	assert_string_not_equal(w2, other);
	assert_string_not_equal(w2, rule2);
	dedup_free(&t);
}

/* dedup_save / dedup_restore: the open windows across a restart. */
static const struct rule *find_in(void *arg, const char *id)
{
	struct rule **rules = arg;
	for (; *rules; rules++)
		if (!strcmp((*rules)->id, id))
			return *rules;
	return NULL;
}

/* find for tests that count the look-ups. */
struct finder {
	struct rule **rules;
	int calls;
};

static const struct rule *find_counting(void *arg, const char *id)
{
	struct finder *f = arg;
	f->calls++;
	return find_in(f->rules, id);
}

static void test_dedup_save_then_restore_gives_the_same_windows(void **state)
{
	struct dedup_table t, back;
	struct rule r = make_rule("R", 60, 1), s = make_rule("S", 10, 3);
	struct rule *rules[] = {&r, &s, NULL};
	struct alert_group *g;
	bool first;
	char id_a[33], id_b[33], id_a2[33];

	assert_int_equal(dedup_init(&t, 16), 0);
	assert_int_equal(dedup_record(&t, &r, "a", 1000, &g, &first, NULL, NULL), DEDUP_NEW_ALERT);
	assert_int_equal(dedup_record(&t, &r, "a", 2 * MINUTE, &g, &first, NULL, NULL),
			 DEDUP_UPDATE);
	dedup_alert_id(g, id_a);
	assert_int_equal(dedup_record(&t, &s, "b", 3 * MINUTE, &g, &first, NULL, NULL),
			 DEDUP_HELD);
	dedup_alert_id(g, id_b);

	cJSON *saved = dedup_save(&t);
	assert_non_null(saved);
	assert_int_equal(cJSON_GetArraySize(saved), 2);
	dedup_free(&t);
	assert_int_equal(dedup_init(&back, 4), 0);
	assert_int_equal(dedup_restore(&back, saved, find_in, rules), 2);
	cJSON_Delete(saved);

	assert_int_equal(back.count, 2);
	const struct alert_group *a = back.head, *b = back.tail;
	assert_ptr_equal(a->rule, &r);
	assert_string_equal(a->dedup, "a");
	assert_int_equal(a->window_start, 1000);
	assert_int_equal(a->window_end, 1000 + 60 * MINUTE);
	assert_int_equal(a->first_seen, 1000);
	assert_int_equal(a->last_seen, 2 * MINUTE);
	assert_int_equal(a->count, 2);
	assert_true(a->alerted);
	dedup_alert_id(a, id_a2);
	assert_string_equal(id_a2, id_a);
	assert_ptr_equal(b->rule, &s);
	assert_string_equal(b->dedup, "b");
	assert_int_equal(b->window_start, 3 * MINUTE);
	assert_int_equal(b->window_end, 13 * MINUTE);
	assert_int_equal(b->count, 1);
	assert_false(b->alerted);
	dedup_alert_id(b, id_a2);
	assert_string_equal(id_a2, id_b);

	/* and they go on as if there had been no restart */
	assert_int_equal(dedup_record(&back, &r, "a", 5 * MINUTE, &g, &first, NULL, NULL),
			 DEDUP_UPDATE);
	assert_int_equal(g->count, 3);
	assert_int_equal(dedup_record(&back, &s, "b", 4 * MINUTE, &g, &first, NULL, NULL),
			 DEDUP_HELD);
	assert_int_equal(dedup_record(&back, &s, "b", 5 * MINUTE, &g, &first, NULL, NULL),
			 DEDUP_NEW_ALERT);
	assert_int_equal(g->count, 3);
	dedup_free(&back);
}

static void test_dedup_save_of_an_empty_table_is_an_empty_list(void **state)
{
	struct dedup_table t;

	assert_int_equal(dedup_init(&t, 4), 0);
	cJSON *saved = dedup_save(&t);
	assert_true(cJSON_IsArray(saved));
	assert_int_equal(cJSON_GetArraySize(saved), 0);
	cJSON_Delete(saved);
	dedup_free(&t);
}

static void test_dedup_restore_drops_the_windows_of_unknown_rules(void **state)
{
	struct dedup_table t;
	struct rule r = make_rule("R", 60, 1);
	struct rule *rules[] = {&r, NULL};
	cJSON *saved = cJSON_Parse(
		"[{\"rule\":\"Gone\",\"dedup\":\"x\",\"window_start\":0,\"window_end\":1,"
		"\"first_seen\":0,\"last_seen\":0,\"count\":1,\"alerted\":true},"
		"{\"rule\":\"R\",\"dedup\":\"y\",\"window_start\":0,\"window_end\":1,"
		"\"first_seen\":0,\"last_seen\":0,\"count\":4,\"alerted\":true}]");

	assert_non_null(saved);
	assert_int_equal(dedup_init(&t, 4), 0);
	assert_int_equal(dedup_restore(&t, saved, find_in, rules), 1);
	cJSON_Delete(saved);
	assert_int_equal(t.count, 1);
	assert_string_equal(t.head->rule->id, "R");
	assert_string_equal(t.head->dedup, "y");
	assert_int_equal(t.head->count, 4);
	assert_int_equal(t.head->window_end, 1); /* as saved, not recomputed from the rule */
	dedup_free(&t);
}

static void test_dedup_restore_skips_malformed_entries(void **state)
{
	struct dedup_table t;
	struct rule r = make_rule("R", 60, 1);
	struct rule *rules[] = {&r, NULL};
	struct finder f = {rules, 0};
	cJSON *saved = cJSON_Parse(
		"[5, \"R\", null,"
		"{\"dedup\":\"no-rule\",\"window_start\":0,\"window_end\":1,\"first_seen\":0,"
		"\"last_seen\":0,\"count\":1},"
		"{\"rule\":\"R\",\"window_start\":0,\"window_end\":1,\"first_seen\":0,"
		"\"last_seen\":0,\"count\":1},"
		"{\"rule\":7,\"dedup\":\"rule-not-a-string\",\"window_start\":0,\"window_end\":1,"
		"\"first_seen\":0,\"last_seen\":0,\"count\":1},"
		"{\"rule\":\"R\",\"dedup\":\"count-a-string\",\"window_start\":0,"
		"\"window_end\":1,\"first_seen\":0,\"last_seen\":0,\"count\":\"1\"},"
		"{\"rule\":\"R\",\"dedup\":\"no-window-end\",\"window_start\":0,"
		"\"first_seen\":0,\"last_seen\":0,\"count\":1},"
		"{\"rule\":\"R\",\"dedup\":\"good\",\"window_start\":0,\"window_end\":1,"
		"\"first_seen\":0,\"last_seen\":0,\"count\":1}]");

	assert_non_null(saved);
	assert_int_equal(dedup_init(&t, 4), 0);
	assert_int_equal(dedup_restore(&t, saved, find_counting, &f), 1);
	cJSON_Delete(saved);
	assert_int_equal(t.count, 1);
	assert_string_equal(t.head->dedup, "good");
	assert_int_equal(f.calls, 1); /* a malformed entry is not even looked up */
	dedup_free(&t);
}

static void test_dedup_restore_of_nothing_or_a_non_list_restores_nothing(void **state)
{
	struct dedup_table t;
	struct rule r = make_rule("R", 60, 1);
	struct rule *rules[] = {&r, NULL};
	cJSON *obj = cJSON_Parse("{\"rule\":\"R\"}");

	assert_int_equal(dedup_init(&t, 4), 0);
	assert_int_equal(dedup_restore(&t, NULL, find_in, rules), 0);
	assert_int_equal(dedup_restore(&t, obj, find_in, rules), 0);
	assert_int_equal(t.count, 0);
	cJSON_Delete(obj);
	dedup_free(&t);
}

/* A count of -1 or a time of 1e300 is not a window the agent wrote; converting it to an
 * integer is undefined behaviour, so such an entry is malformed and skipped. */
static void test_dedup_restore_skips_numbers_that_are_not_times_or_counts(void **state)
{
	struct dedup_table t;
	struct rule r = make_rule("R", 60, 1);
	struct rule *rules[] = {&r, NULL};
	cJSON *saved = cJSON_Parse(
		"[{\"rule\":\"R\",\"dedup\":\"negative-count\",\"window_start\":0,"
		"\"window_end\":1,\"first_seen\":0,\"last_seen\":0,\"count\":-1},"
		"{\"rule\":\"R\",\"dedup\":\"huge-time\",\"window_start\":1e300,"
		"\"window_end\":1e300,\"first_seen\":0,\"last_seen\":0,\"count\":1},"
		"{\"rule\":\"R\",\"dedup\":\"fractional-count\",\"window_start\":0,"
		"\"window_end\":1,\"first_seen\":0,\"last_seen\":0,\"count\":1.5}]");

	assert_non_null(saved);
	assert_int_equal(dedup_init(&t, 4), 0);
	int restored = dedup_restore(&t, saved, find_in, rules);
	cJSON_Delete(saved);
	size_t count = t.count;
	dedup_free(&t);
	assert_int_equal(restored, 0);
	assert_int_equal(count, 0);
}


int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dedup_first_match_opens_a_window_and_an_alert),
		cmocka_unit_test(test_dedup_match_inside_the_window_updates_the_alert),
		cmocka_unit_test(test_dedup_match_after_the_period_closes_and_opens_a_new_window),
		cmocka_unit_test(test_dedup_groups_by_rule_and_dedup_string),
		cmocka_unit_test(test_dedup_threshold_holds_matches_then_opens_the_alert),
		cmocka_unit_test(test_dedup_threshold_counts_restart_in_a_new_window),
		cmocka_unit_test(test_dedup_expire_closes_ended_windows_in_opening_order),
		cmocka_unit_test(test_dedup_expire_flush_follows_opening_order_not_key_order),
		cmocka_unit_test(test_dedup_expire_returns_the_first_close_error),
		cmocka_unit_test(test_dedup_close_oldest_closes_the_first_opened_group_early),
		cmocka_unit_test(test_dedup_weights_add_up_and_leave_with_their_group),
		cmocka_unit_test(test_dedup_alert_id_is_stable_for_the_same_window),
		cmocka_unit_test(test_dedup_alert_id_differs_per_window_dedup_and_rule),
		cmocka_unit_test(test_dedup_save_then_restore_gives_the_same_windows),
		cmocka_unit_test(test_dedup_save_of_an_empty_table_is_an_empty_list),
		cmocka_unit_test(test_dedup_restore_drops_the_windows_of_unknown_rules),
		cmocka_unit_test(test_dedup_restore_skips_malformed_entries),
		cmocka_unit_test(test_dedup_restore_of_nothing_or_a_non_list_restores_nothing),
		cmocka_unit_test(test_dedup_restore_skips_numbers_that_are_not_times_or_counts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
