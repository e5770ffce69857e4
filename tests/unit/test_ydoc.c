/* ydoc: loading YAML files, typing scalars by the YAML 1.2 core schema, errors with file:line. */
#include "unit.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "ydoc.h"

/* The JSON form of text's root, printed compactly. Caller frees. */
static char *json_of(const char *text)
{
	struct ydoc d;
	char path[64], err[256];
	assert_int_equal(unit_ydoc_load(&d, text, path, sizeof(path), err, sizeof(err)), 0);
	cJSON *j = ydoc_to_json(&d, ydoc_root(&d));
	assert_non_null(j);
	char *s = cJSON_PrintUnformatted(j);
	cJSON_Delete(j);
	ydoc_free(&d);
	return s;
}

static void assert_json_of(const char *text, const char *want)
{
	char *got = json_of(text);
	assert_string_equal(got, want);
	cJSON_free(got);
}

/* The JSON value of the single key v of a one-line mapping "v: text". */
static cJSON *scalar_of(const char *scalar)
{
	struct ydoc d;
	char path[64], err[256], text[256];
	snprintf(text, sizeof(text), "v: %s\n", scalar);
	assert_int_equal(unit_ydoc_load(&d, text, path, sizeof(path), err, sizeof(err)), 0);
	cJSON *j = ydoc_to_json(&d, ydoc_root(&d));
	ydoc_free(&d);
	assert_non_null(j);
	cJSON *v = cJSON_DetachItemFromObjectCaseSensitive(j, "v");
	cJSON_Delete(j);
	assert_non_null(v);
	return v;
}

/* Each check frees the value before it can fail, so a failure leaks nothing. */
static void assert_scalar_number(const char *scalar, double want)
{
	cJSON *v = scalar_of(scalar);
	bool is_number = cJSON_IsNumber(v);
	double got = is_number ? v->valuedouble : 0;
	cJSON_Delete(v);
	if (!is_number)
		fail_msg("'%s' should be a number", scalar);
	assert_true(got == want);
}

static void assert_scalar_string(const char *scalar, const char *want)
{
	cJSON *v = scalar_of(scalar);
	bool is_string = cJSON_IsString(v);
	bool same = is_string && strcmp(v->valuestring, want) == 0;
	cJSON_Delete(v);
	if (!is_string)
		fail_msg("'%s' should be a string", scalar);
	if (!same)
		fail_msg("'%s' should be the string '%s'", scalar, want);
}

static void assert_scalar_bool(const char *scalar, bool want)
{
	cJSON *v = scalar_of(scalar);
	bool is_bool = cJSON_IsBool(v), got = cJSON_IsTrue(v);
	cJSON_Delete(v);
	if (!is_bool)
		fail_msg("'%s' should be a boolean", scalar);
	assert_int_equal(got, want);
}

static void assert_scalar_null(const char *scalar)
{
	cJSON *v = scalar_of(scalar);
	bool is_null = cJSON_IsNull(v);
	cJSON_Delete(v);
	if (!is_null)
		fail_msg("'%s' should be null", scalar);
}

static void test_ydoc_plain_integer_is_a_number(void **state)
{
	assert_scalar_number("200", 200);
	assert_scalar_number("-7", -7);
	assert_scalar_number("+12", 12);
	assert_scalar_number("0", 0);
}

static void test_ydoc_quoted_integer_is_a_string(void **state)
{
	assert_scalar_string("\"200\"", "200");
	assert_scalar_string("'200'", "200");
}

static void test_ydoc_plain_floats_are_numbers(void **state)
{
	assert_scalar_number("1.5", 1.5);
	assert_scalar_number(".5", 0.5);
	assert_scalar_number("1e3", 1000);
	assert_scalar_number("-2.5E-1", -0.25);
}

static void test_ydoc_hex_and_octal_integers_are_numbers(void **state)
{
	assert_scalar_number("0x1F", 31);
	assert_scalar_number("0o17", 15);
	assert_scalar_string("0xZZ", "0xZZ");
	assert_scalar_string("0o9", "0o9");
}

static void test_ydoc_infinity_is_a_number_and_nan_stays_a_string(void **state)
{
	cJSON *v = scalar_of(".inf");
	assert_true(cJSON_IsNumber(v));
	assert_true(isinf(v->valuedouble) && v->valuedouble > 0);
	cJSON_Delete(v);
	v = scalar_of("-.inf");
	assert_true(cJSON_IsNumber(v));
	assert_true(isinf(v->valuedouble) && v->valuedouble < 0);
	cJSON_Delete(v);
	assert_scalar_string(".nan", ".nan");
}

static void test_ydoc_infinity_in_every_core_schema_spelling(void **state)
{
	const char *pos[] = {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"};
	const char *neg[] = {"-.inf", "-.Inf", "-.INF"};
	for (size_t i = 0; i < sizeof(pos) / sizeof(*pos); i++)
		assert_scalar_number(pos[i], INFINITY);
	for (size_t i = 0; i < sizeof(neg) / sizeof(*neg); i++)
		assert_scalar_number(neg[i], -INFINITY);
}

static void test_ydoc_core_schema_booleans(void **state)
{
	assert_scalar_bool("true", true);
	assert_scalar_bool("True", true);
	assert_scalar_bool("TRUE", true);
	assert_scalar_bool("false", false);
	assert_scalar_bool("False", false);
	assert_scalar_bool("FALSE", false);
}

static void test_ydoc_yaml11_booleans_stay_strings(void **state)
{
	assert_scalar_string("yes", "yes");
	assert_scalar_string("on", "on");
	assert_scalar_string("No", "No");
	assert_scalar_string("\"true\"", "true");
}

static void test_ydoc_core_schema_nulls(void **state)
{
	assert_scalar_null("null");
	assert_scalar_null("Null");
	assert_scalar_null("NULL");
	assert_scalar_null("~");
	assert_scalar_null("");
	assert_scalar_string("'~'", "~");
}

static void test_ydoc_number_like_strings_stay_strings(void **state)
{
	assert_scalar_string("127.0.0.1", "127.0.0.1");
	assert_scalar_string("10.0.", "10.0.");
	assert_scalar_string("2024-11-13", "2024-11-13");
	assert_scalar_string("1.2.3", "1.2.3");
	assert_scalar_string("1_000", "1_000");
	assert_scalar_string("v1", "v1");
	assert_scalar_string("1e", "1e");
}

static void test_ydoc_mappings_and_sequences_become_objects_and_arrays(void **state)
{
	assert_json_of("a: [1, \"2\", x]\nb:\n  c: {d: null}\n  e: []\n",
		       "{\"a\":[1,\"2\",\"x\"],\"b\":{\"c\":{\"d\":null},\"e\":[]}}");
}

static void test_ydoc_duplicate_mapping_key_last_value_wins(void **state)
{
	assert_json_of("a: 1\nb: 2\na: 3\n", "{\"a\":3,\"b\":2}");
}

static void test_ydoc_plain_json_text_is_not_parsed(void **state)
{
	assert_json_of("s: '{\"a\": 1}'\n", "{\"s\":\"{\\\"a\\\": 1}\"}");
}

static void test_ydoc_syntax_error_carries_file_and_line(void **state)
{
	struct ydoc d;
	char path[64], err[512], want[128];
	int rc = unit_ydoc_load(&d, "a: 1\nb: 2\n  c: 3\n", path, sizeof(path), err, sizeof(err));
	assert_int_equal(rc, -EINVAL);
	snprintf(want, sizeof(want), "%s:3: YAML error", path);
	if (strncmp(err, want, strlen(want)) != 0)
		fail_msg("error '%s' does not start with '%s'", err, want);
	assert_false(d.loaded);
	assert_null(d.path);
}

static void test_ydoc_unclosed_flow_sequence_error_names_the_line_it_opens_on(void **state)
{
	struct ydoc d;
	char path[64], err[512], want[128];
	int rc = unit_ydoc_load(&d, "# comment\nLogTypes: [a, b\nRuleID: x\n", path, sizeof(path),
				err, sizeof(err));
	assert_int_equal(rc, -EINVAL);
	snprintf(want, sizeof(want), "%s:2: ", path);
	if (strncmp(err, want, strlen(want)) != 0)
		fail_msg("error '%s' does not start with '%s'", err, want);
}

static void test_ydoc_empty_file_is_an_error_at_line_1(void **state)
{
	struct ydoc d;
	char path[64], err[512], want[128];
	int rc = unit_ydoc_load(&d, "# nothing here\n", path, sizeof(path), err, sizeof(err));
	assert_int_equal(rc, -EINVAL);
	snprintf(want, sizeof(want), "%s:1: empty document", path);
	assert_string_equal(err, want);
}

static void test_ydoc_missing_file_is_enoent_with_path(void **state)
{
	struct ydoc d;
	char err[512];
	int rc = ydoc_load(&d, "/nonexistent/kaa/rule.yml", 1024, err, sizeof(err));
	assert_int_equal(rc, -ENOENT);
	assert_int_equal(strncmp(err, "/nonexistent/kaa/rule.yml: cannot open", 38), 0);
}

static void test_ydoc_file_larger_than_max_is_refused(void **state)
{
	struct ydoc d;
	char path[64], err[512];
	unit_write_temp(path, sizeof(path), "a: 123456789\n");
	int rc = ydoc_load(&d, path, 12, err, sizeof(err));
	unlink(path);
	assert_int_equal(rc, -EFBIG);
	assert_non_null(strstr(err, "larger than the 12 allowed"));
}

static void test_ydoc_line_is_one_based_per_node(void **state)
{
	struct ydoc d;
	char path[64], err[256];
	assert_int_equal(unit_ydoc_load(&d, "a: 1\n\nb:\n  - x\n", path, sizeof(path), err,
					sizeof(err)),
			 0);
	yaml_node_t *root = ydoc_root(&d);
	assert_true(ydoc_is_map(root));
	int lines[4], i = 0;
	YDOC_FOREACH_PAIR(&d, root, p)
	{
		lines[i++] = ydoc_line(ydoc_node(&d, p->key));
		lines[i++] = ydoc_line(ydoc_node(&d, p->value));
	}
	assert_int_equal(i, 4);
	assert_int_equal(lines[0], 1);
	assert_int_equal(lines[1], 1);
	assert_int_equal(lines[2], 3);
	assert_int_equal(lines[3], 4);
	assert_string_equal(d.path, path);
	ydoc_free(&d);
}

static void test_ydoc_bool_and_long_accept_only_plain_scalars(void **state)
{
	struct ydoc d;
	char path[64], err[256];
	assert_int_equal(unit_ydoc_load(&d, "[true, 'true', 42, '42', 4x, yes]\n", path,
					sizeof(path), err, sizeof(err)),
			 0);
	yaml_node_t *seq = ydoc_root(&d), *n[6];
	int i = 0;
	YDOC_FOREACH_ITEM(&d, seq, it)
	{
		n[i++] = ydoc_node(&d, *it);
	}
	assert_int_equal(i, 6);
	bool b = false;
	long l = 0;
	assert_int_equal(ydoc_bool(n[0], &b), 0);
	assert_true(b);
	assert_int_equal(ydoc_bool(n[1], &b), -EINVAL);
	assert_int_equal(ydoc_long(n[2], &l), 0);
	assert_int_equal(l, 42);
	assert_int_equal(ydoc_long(n[3], &l), -EINVAL);
	assert_int_equal(ydoc_long(n[4], &l), -EINVAL);
	assert_int_equal(ydoc_bool(n[5], &b), -EINVAL);
	assert_true(ydoc_is_plain(n[0]));
	assert_false(ydoc_is_plain(n[1]));
	ydoc_free(&d);
}

/* A load that must fail with -EINVAL and an error that starts "FILE:line: " and holds msg. */
static void assert_load_refused(const char *text, int line, const char *msg)
{
	struct ydoc d;
	char path[64], err[512], want[128];
	assert_int_equal(unit_ydoc_load(&d, text, path, sizeof(path), err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "%s:%d: ", path, line);
	if (strncmp(err, want, strlen(want)) || !strstr(err, msg))
		fail_msg("error \"%s\" is not \"%s...%s\"", err, want, msg);
}

/* libyaml's scanner takes time quadratic in flow nesting: 200000 brackets would take hours */
static void test_ydoc_flow_nesting_deeper_than_the_limit_is_refused_at_once(void **state)
{
	size_t n = 200000;
	char *text = malloc(2 * n + 16);
	memcpy(text, "a:\n  - ", 7);
	memset(text + 7, '[', n);
	memset(text + 7 + n, ']', n);
	strcpy(text + 7 + 2 * n, "\n");
	assert_load_refused(text, 2, "nested deeper than 64 levels");
	free(text);
}

static void test_ydoc_nesting_at_the_limit_loads(void **state)
{
	char text[256] = "";
	for (int i = 0; i < YDOC_MAX_DEPTH; i++)
		strcat(text, "[");
	for (int i = 0; i < YDOC_MAX_DEPTH; i++)
		strcat(text, "]");
	strcat(text, "\n");
	char *json = json_of(text);
	assert_int_equal(strlen(json), 2 * YDOC_MAX_DEPTH);
	cJSON_free(json);
}

/* every walk over the document (the compilers recurse) would never end */
static void test_ydoc_alias_to_an_enclosing_node_is_refused(void **state)
{
	assert_load_refused("a: 1\nDetection: &d\n  - All: *d\n", 3,
			    "an alias refers to a node that contains it");
}

/* "billion laughs": each level holds eight aliases of the one before */
static void test_ydoc_aliases_expanding_past_the_node_limit_are_refused(void **state)
{
	char text[4096] = "l0: &l0 [x, y, z, w, v, u, t, s]\n";
	for (int i = 1; i < 9; i++) {
		char line[256];
		snprintf(line, sizeof(line),
			 "l%d: &l%d [*l%d, *l%d, *l%d, *l%d, *l%d, *l%d, *l%d, *l%d]\n", i, i,
			 i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1);
		strcat(text, line);
	}
	assert_load_refused(text, 7, "aliases expand this to more than 1000000 nodes");
}

static void test_ydoc_aliases_nesting_past_the_limit_are_refused(void **state)
{
	char text[16384] = "l0: &l0 [x]\n";
	for (int i = 1; i <= YDOC_MAX_DEPTH; i++) {
		char line[64];
		snprintf(line, sizeof(line), "l%d: &l%d [*l%d]\n", i, i, i - 1);
		strcat(text, line);
	}
	assert_load_refused(text, YDOC_MAX_DEPTH + 1, "aliases nest this deeper than 64 levels");
}

static void test_ydoc_duplicate_key_found_among_many(void **state)
{
	struct ydoc d;
	char path[64], err[256];
	size_t cap = 200000;
	char *text = malloc(cap);
	size_t len = 0;
	for (int i = 0; i < 5000; i++)
		len += (size_t)snprintf(text + len, cap - len, "k%d: %d\n", i, i);
	len += (size_t)snprintf(text + len, cap - len, "k17: again\nk4000: again\n");
	assert_int_equal(unit_ydoc_load(&d, text, path, sizeof(path), err, sizeof(err)), 0);
	free(text);
	yaml_node_t *dup = ydoc_duplicate_key(&d, ydoc_root(&d));
	assert_non_null(dup);
	assert_string_equal(ydoc_str(dup), "k17");
	assert_int_equal(ydoc_line(dup), 5001);
	ydoc_free(&d);
}

static void test_ydoc_no_duplicate_key_in_distinct_keys(void **state)
{
	struct ydoc d;
	char path[64], err[256];
	assert_int_equal(
	    unit_ydoc_load(&d, "a: 1\nb: 2\nA: 3\n", path, sizeof(path), err, sizeof(err)), 0);
	assert_null(ydoc_duplicate_key(&d, ydoc_root(&d)));
	ydoc_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ydoc_plain_integer_is_a_number),
		cmocka_unit_test(test_ydoc_quoted_integer_is_a_string),
		cmocka_unit_test(test_ydoc_plain_floats_are_numbers),
		cmocka_unit_test(test_ydoc_hex_and_octal_integers_are_numbers),
		cmocka_unit_test(test_ydoc_infinity_is_a_number_and_nan_stays_a_string),
		cmocka_unit_test(test_ydoc_infinity_in_every_core_schema_spelling),
		cmocka_unit_test(test_ydoc_core_schema_booleans),
		cmocka_unit_test(test_ydoc_yaml11_booleans_stay_strings),
		cmocka_unit_test(test_ydoc_core_schema_nulls),
		cmocka_unit_test(test_ydoc_number_like_strings_stay_strings),
		cmocka_unit_test(test_ydoc_mappings_and_sequences_become_objects_and_arrays),
		cmocka_unit_test(test_ydoc_duplicate_mapping_key_last_value_wins),
		cmocka_unit_test(test_ydoc_plain_json_text_is_not_parsed),
		cmocka_unit_test(test_ydoc_syntax_error_carries_file_and_line),
		cmocka_unit_test(test_ydoc_unclosed_flow_sequence_error_names_the_line_it_opens_on),
		cmocka_unit_test(test_ydoc_empty_file_is_an_error_at_line_1),
		cmocka_unit_test(test_ydoc_missing_file_is_enoent_with_path),
		cmocka_unit_test(test_ydoc_file_larger_than_max_is_refused),
		cmocka_unit_test(test_ydoc_line_is_one_based_per_node),
		cmocka_unit_test(test_ydoc_bool_and_long_accept_only_plain_scalars),
		cmocka_unit_test(test_ydoc_flow_nesting_deeper_than_the_limit_is_refused_at_once),
		cmocka_unit_test(test_ydoc_nesting_at_the_limit_loads),
		cmocka_unit_test(test_ydoc_alias_to_an_enclosing_node_is_refused),
		cmocka_unit_test(test_ydoc_aliases_expanding_past_the_node_limit_are_refused),
		cmocka_unit_test(test_ydoc_aliases_nesting_past_the_limit_are_refused),
		cmocka_unit_test(test_ydoc_duplicate_key_found_among_many),
		cmocka_unit_test(test_ydoc_no_duplicate_key_in_distinct_keys),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
