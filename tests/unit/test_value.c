/* value: Panther's event lookups, Python truthiness, equality, str() and the UTF-8 helpers. */
#include "unit.h"

#include <math.h>
#include <stdlib.h>

#include "value.h"

/* The text value_to_text gives for the JSON document js (parsed here). Caller frees. */
static char *text_of(const char *js)
{
	struct sbuf sb;
	cJSON *v = cJSON_Parse(js);
	assert_non_null(v);
	sbuf_init(&sb, 0);
	assert_int_equal(value_to_text(v, &sb), 0);
	cJSON_Delete(v);
	return sbuf_take(&sb);
}

static void assert_text(const char *js, const char *want)
{
	char *got = text_of(js);
	assert_string_equal(got, want);
	free(got);
}

static void assert_number_text(double d, const char *want)
{
	char buf[64];
	value_format_number(d, buf, sizeof(buf));
	assert_string_equal(buf, want);
}

static bool equal_json(const char *a, const char *b)
{
	cJSON *ja = cJSON_Parse(a), *jb = cJSON_Parse(b);
	assert_non_null(ja);
	assert_non_null(jb);
	bool r = value_equal(ja, jb);
	cJSON_Delete(ja);
	cJSON_Delete(jb);
	return r;
}

static bool truthy_json(const char *js)
{
	cJSON *v = cJSON_Parse(js);
	assert_non_null(v);
	bool r = value_truthy(v);
	cJSON_Delete(v);
	return r;
}

/* ---- value_member ---- */

static void test_value_member_prefers_exact_key_over_earlier_case_insensitive_match(void **state)
{
	cJSON *o = cJSON_Parse("{\"USER\": 1, \"User\": 2, \"user\": 3}");
	const cJSON *v = value_member(o, "user", true);
	assert_non_null(v);
	assert_int_equal(v->valueint, 3);
	v = value_member(o, "User", true);
	assert_non_null(v);
	assert_int_equal(v->valueint, 2);
	cJSON_Delete(o);
}

static void test_value_member_first_case_insensitive_match_wins(void **state)
{
	cJSON *o = cJSON_Parse("{\"a\": 0, \"USER\": 1, \"User\": 2}");
	const cJSON *v = value_member(o, "user", true);
	assert_non_null(v);
	assert_string_equal(v->string, "USER");
	assert_int_equal(v->valueint, 1);
	cJSON_Delete(o);
}

static void test_value_member_case_sensitive_lookup_ignores_folded_keys(void **state)
{
	cJSON *o = cJSON_Parse("{\"USER\": 1}");
	assert_null(value_member(o, "user", false));
	assert_non_null(value_member(o, "USER", false));
	cJSON_Delete(o);
}

static void test_value_member_of_non_object_or_absent_key_is_null(void **state)
{
	cJSON *o = cJSON_Parse("{\"a\": 1}");
	cJSON *arr = cJSON_Parse("[1, 2]");
	assert_null(value_member(o, "b", true));
	assert_null(value_member(arr, "0", true));
	assert_null(value_member(NULL, "a", true));
	cJSON_Delete(o);
	cJSON_Delete(arr);
}

/* ---- value_element ---- */

static void test_value_element_negative_indexes_count_from_the_end(void **state)
{
	cJSON *a = cJSON_Parse("[10, 20, 30]");
	assert_int_equal(value_element(a, 0)->valueint, 10);
	assert_int_equal(value_element(a, 2)->valueint, 30);
	assert_int_equal(value_element(a, -1)->valueint, 30);
	assert_int_equal(value_element(a, -3)->valueint, 10);
	cJSON_Delete(a);
}

static void test_value_element_out_of_range_or_non_array_is_null(void **state)
{
	cJSON *a = cJSON_Parse("[10, 20, 30]");
	cJSON *o = cJSON_Parse("{\"0\": 1}");
	assert_null(value_element(a, 3));
	assert_null(value_element(a, -4));
	assert_null(value_element(o, 0));
	assert_null(value_element(NULL, 0));
	cJSON_Delete(a);
	cJSON_Delete(o);
}

/* ---- value_truthy ---- */

static void test_value_truthy_false_for_absent_null_false_zero_empty(void **state)
{
	assert_false(value_truthy(NULL));
	assert_false(truthy_json("null"));
	assert_false(truthy_json("false"));
	assert_false(truthy_json("0"));
	assert_false(truthy_json("0.0"));
	assert_false(truthy_json("\"\""));
	assert_false(truthy_json("[]"));
	assert_false(truthy_json("{}"));
}

static void test_value_truthy_true_for_true_nonzero_and_nonempty(void **state)
{
	assert_true(truthy_json("true"));
	assert_true(truthy_json("1"));
	assert_true(truthy_json("-0.5"));
	assert_true(truthy_json("\"0\""));
	assert_true(truthy_json("\" \""));
	assert_true(truthy_json("[0]"));
	assert_true(truthy_json("[null]"));
	assert_true(truthy_json("{\"a\": null}"));
}

/* ---- value_equal ---- */

static void test_value_equal_numbers_compare_numerically(void **state)
{
	assert_true(equal_json("200", "200.0"));
	assert_true(equal_json("1e2", "100"));
	assert_false(equal_json("200", "201"));
}

static void test_value_equal_string_and_number_are_never_equal(void **state)
{
	assert_false(equal_json("\"200\"", "200"));
	assert_false(equal_json("200", "\"200\""));
}

static void test_value_equal_strings_are_byte_wise_and_case_sensitive(void **state)
{
	assert_true(equal_json("\"abc\"", "\"abc\""));
	assert_false(equal_json("\"abc\"", "\"ABC\""));
}

static void test_value_equal_booleans_nulls_and_mixed_types(void **state)
{
	assert_true(equal_json("true", "true"));
	assert_false(equal_json("true", "false"));
	assert_true(equal_json("null", "null"));
	assert_false(equal_json("null", "false"));
	assert_false(equal_json("0", "false"));
	assert_false(equal_json("[]", "{}"));
}

static void test_value_equal_compares_arrays_and_objects_deeply(void **state)
{
	assert_true(equal_json("[1, [2, {\"a\": [3, \"x\"]}]]", "[1, [2, {\"a\": [3, \"x\"]}]]"));
	assert_false(equal_json("[1, [2, {\"a\": [3, \"x\"]}]]", "[1, [2, {\"a\": [3, \"y\"]}]]"));
	assert_false(equal_json("[1, 2]", "[2, 1]"));
	assert_false(equal_json("[1, 2]", "[1, 2, 3]"));
	assert_false(equal_json("{\"a\": 1}", "{\"A\": 1}"));
}

static void test_value_equal_absent_equals_nothing(void **state)
{
	cJSON *n = cJSON_CreateNull();
	assert_false(value_equal(NULL, NULL));
	assert_false(value_equal(NULL, n));
	assert_false(value_equal(n, NULL));
	cJSON_Delete(n);
}

/* ---- value_to_text ---- */

static void test_value_to_text_null_and_booleans_as_python(void **state)
{
	assert_text("null", "None");
	assert_text("true", "True");
	assert_text("false", "False");
}

static void test_value_to_text_strings_as_they_are(void **state)
{
	assert_text("\"a \\\"q\\\" \\u00e9\"", "a \"q\" \xC3\xA9");
	assert_text("\"\"", "");
}

static void test_value_to_text_integral_numbers_without_fraction(void **state)
{
	assert_text("200", "200");
	assert_text("200.0", "200");
	assert_text("-7", "-7");
	assert_text("0", "0");
}

static void test_value_to_text_fractions_as_python_repr(void **state)
{
	assert_text("0.1", "0.1");
	assert_text("1.5e-05", "1.5e-05");
	assert_text("1e22", "1e+22");
	assert_text("2.5", "2.5");
}

static void test_value_to_text_arrays_and_objects_as_compact_json(void **state)
{
	assert_text("[ 1, \"a\", null, true, [ ] ]", "[1,\"a\",null,true,[]]");
	assert_text("{ \"k\" : [ 1 , 2 ] }", "{\"k\":[1,2]}");
}

static void test_value_to_text_absent_appends_nothing(void **state)
{
	struct sbuf sb;
	sbuf_init(&sb, 0);
	assert_int_equal(sbuf_puts(&sb, "x"), 0);
	assert_int_equal(value_to_text(NULL, &sb), 0);
	assert_string_equal(sbuf_cstr(&sb), "x");
	sbuf_free(&sb);
}

/* ---- value_format_number ---- */

static void test_value_format_number_shortest_round_trip_repr(void **state)
{
	assert_number_text(0.1, "0.1");
	assert_number_text(0.0001, "0.0001");
	assert_number_text(1.5e-05, "1.5e-05");
	assert_number_text(123.456, "123.456");
	assert_number_text(1.0 / 3.0, "0.3333333333333333");
	assert_number_text(-2.75, "-2.75");
}

static void test_value_format_number_large_values_use_exponent(void **state)
{
	assert_number_text(1e22, "1e+22");
	assert_number_text(1e16, "1e+16");
	assert_number_text(1.5e300, "1.5e+300");
	assert_number_text(999999999999999.0, "999999999999999");
}

static void test_value_format_number_special_values(void **state)
{
	assert_number_text(INFINITY, "inf");
	assert_number_text(-INFINITY, "-inf");
	assert_number_text(NAN, "nan");
}

/* ---- UTF-8 ---- */

static void test_utf8_invalid_at_accepts_valid_text(void **state)
{
	const char s[] = "a\xC3\xA9\xE2\x82\xAC\xF0\x9D\x84\x9E\xF4\x8F\xBF\xBFz";
	assert_int_equal(utf8_invalid_at(s, sizeof(s) - 1), sizeof(s) - 1);
	assert_int_equal(utf8_invalid_at("", 0), 0);
}

static void test_utf8_invalid_at_rejects_overlong_encodings(void **state)
{
	assert_int_equal(utf8_invalid_at("ab\xC0\x80", 4), 2);
	assert_int_equal(utf8_invalid_at("a\xC1\xBF", 3), 1);
	assert_int_equal(utf8_invalid_at("\xE0\x80\xAF", 3), 0);
	assert_int_equal(utf8_invalid_at("xyz\xF0\x80\x80\xAF", 7), 3);
}

static void test_utf8_invalid_at_rejects_utf16_surrogates(void **state)
{
	assert_int_equal(utf8_invalid_at("ok\xED\xA0\x80", 5), 2);
	assert_int_equal(utf8_invalid_at("\xED\xBF\xBF", 3), 0);
	/* U+D7FF, just below the surrogates, is fine */
	assert_int_equal(utf8_invalid_at("\xED\x9F\xBF", 3), 3);
}

static void test_utf8_invalid_at_rejects_truncated_sequences(void **state)
{
	assert_int_equal(utf8_invalid_at("abc\xE2\x82", 5), 3);
	assert_int_equal(utf8_invalid_at("\xC3", 1), 0);
	assert_int_equal(utf8_invalid_at("a\xF0\x9D\x84", 4), 1);
	/* a sequence cut short by an ASCII byte */
	assert_int_equal(utf8_invalid_at("a\xE2\x82z", 4), 1);
	/* a continuation byte with nothing before it */
	assert_int_equal(utf8_invalid_at("ab\x80", 3), 2);
}

static void test_utf8_invalid_at_rejects_code_points_above_10ffff(void **state)
{
	assert_int_equal(utf8_invalid_at("a\xF4\x90\x80\x80", 5), 1);
	assert_int_equal(utf8_invalid_at("\xF5\x80\x80\x80", 4), 0);
	assert_int_equal(utf8_invalid_at("\xFF", 1), 0);
}

static void test_utf8_count_counts_code_points(void **state)
{
	const char s[] = "a\xC3\xA9\xE2\x82\xAC\xF0\x9D\x84\x9E";
	assert_int_equal(utf8_count(s, sizeof(s) - 1), 4);
	assert_int_equal(utf8_count("", 0), 0);
	assert_int_equal(utf8_count("plain", 5), 5);
}

static void test_utf8_prefix_bytes_stops_on_code_point_boundaries(void **state)
{
	const char s[] = "a\xC3\xA9\xE2\x82\xAC\xF0\x9D\x84\x9E";
	size_t n = sizeof(s) - 1;
	assert_int_equal(utf8_prefix_bytes(s, n, 0), 0);
	assert_int_equal(utf8_prefix_bytes(s, n, 1), 1);
	assert_int_equal(utf8_prefix_bytes(s, n, 2), 3);
	assert_int_equal(utf8_prefix_bytes(s, n, 3), 6);
	assert_int_equal(utf8_prefix_bytes(s, n, 4), 10);
	assert_int_equal(utf8_prefix_bytes(s, n, 99), 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			test_value_member_prefers_exact_key_over_earlier_case_insensitive_match),
		cmocka_unit_test(test_value_member_first_case_insensitive_match_wins),
		cmocka_unit_test(test_value_member_case_sensitive_lookup_ignores_folded_keys),
		cmocka_unit_test(test_value_member_of_non_object_or_absent_key_is_null),
		cmocka_unit_test(test_value_element_negative_indexes_count_from_the_end),
		cmocka_unit_test(test_value_element_out_of_range_or_non_array_is_null),
		cmocka_unit_test(test_value_truthy_false_for_absent_null_false_zero_empty),
		cmocka_unit_test(test_value_truthy_true_for_true_nonzero_and_nonempty),
		cmocka_unit_test(test_value_equal_numbers_compare_numerically),
		cmocka_unit_test(test_value_equal_string_and_number_are_never_equal),
		cmocka_unit_test(test_value_equal_strings_are_byte_wise_and_case_sensitive),
		cmocka_unit_test(test_value_equal_booleans_nulls_and_mixed_types),
		cmocka_unit_test(test_value_equal_compares_arrays_and_objects_deeply),
		cmocka_unit_test(test_value_equal_absent_equals_nothing),
		cmocka_unit_test(test_value_to_text_null_and_booleans_as_python),
		cmocka_unit_test(test_value_to_text_strings_as_they_are),
		cmocka_unit_test(test_value_to_text_integral_numbers_without_fraction),
		cmocka_unit_test(test_value_to_text_fractions_as_python_repr),
		cmocka_unit_test(test_value_to_text_arrays_and_objects_as_compact_json),
		cmocka_unit_test(test_value_to_text_absent_appends_nothing),
		cmocka_unit_test(test_value_format_number_shortest_round_trip_repr),
		cmocka_unit_test(test_value_format_number_large_values_use_exponent),
		cmocka_unit_test(test_value_format_number_special_values),
		cmocka_unit_test(test_utf8_invalid_at_accepts_valid_text),
		cmocka_unit_test(test_utf8_invalid_at_rejects_overlong_encodings),
		cmocka_unit_test(test_utf8_invalid_at_rejects_utf16_surrogates),
		cmocka_unit_test(test_utf8_invalid_at_rejects_truncated_sequences),
		cmocka_unit_test(test_utf8_invalid_at_rejects_code_points_above_10ffff),
		cmocka_unit_test(test_utf8_count_counts_code_points),
		cmocka_unit_test(test_utf8_prefix_bytes_stops_on_code_point_boundaries),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
