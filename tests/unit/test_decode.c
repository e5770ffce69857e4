/* decode: one untrusted line to a JSON object, or the reason and offset why not. Every line is
 * handed over in a buffer of exactly its length (no NUL after it), so ASan catches a read past
 * the end. */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>

#include "decode.h"

static cJSON *decode_exact(const char *s, size_t n, struct decode_error *err)
{
	char *copy = malloc(n ? n : 1);
	assert_non_null(copy);
	memcpy(copy, s, n);
	memset(err, 0, sizeof(*err));
	cJSON *root = decode_line(copy, n, err);
	free(copy);
	return root;
}

static cJSON *decode_str(const char *s, struct decode_error *err)
{
	return decode_exact(s, strlen(s), err);
}

static void assert_rejected(const char *s, size_t n, const char *reason, size_t offset)
{
	struct decode_error err;
	cJSON *root = decode_exact(s, n, &err);
	assert_null(root);
	assert_string_equal(err.reason, reason);
	assert_int_equal(err.offset, offset);
}

/* The names of obj's members in order, comma separated, into buf. */
static const char *member_names(const cJSON *obj, char *buf, size_t bufsz)
{
	size_t off = 0;
	buf[0] = '\0';
	for (const cJSON *c = obj->child; c; c = c->next)
		off += (size_t)snprintf(buf + off, bufsz - off, "%s%s", off ? "," : "", c->string);
	return buf;
}

static void test_decode_valid_object_gives_its_members(void **state)
{
	struct decode_error err;
	cJSON *root = decode_str(
		"{\"kind\": \"Event\", \"n\": 3, \"user\": {\"username\": \"bob\"}}", &err);
	assert_non_null(root);
	assert_true(cJSON_IsObject(root));
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(root, "kind")->valuestring, "Event");
	assert_int_equal(cJSON_GetObjectItemCaseSensitive(root, "n")->valueint, 3);
	const cJSON *user = cJSON_GetObjectItemCaseSensitive(root, "user");
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(user, "username")->valuestring, "bob");
	cJSON_Delete(root);
}

static void test_decode_empty_line_is_rejected(void **state)
{
	assert_rejected("", 0, "empty line", 0);
}

static void test_decode_nul_byte_is_rejected_at_its_offset(void **state)
{
	const char line[] = "{\"a\":\"x\0y\"}";
	assert_rejected(line, sizeof(line) - 1, "NUL byte in line", 7);
}

static void test_decode_invalid_utf8_is_rejected_at_its_offset(void **state)
{
	const char line[] = "{\"a\":\"caf\xC3\xA9\", \"b\":\"\xED\xA0\x80\"}";
	assert_rejected(line, sizeof(line) - 1, "invalid UTF-8", 19);
}

static void test_decode_truncated_json_is_reported_as_truncated(void **state)
{
	struct decode_error err;
	cJSON *root = decode_str("{\"kind\": \"Event\", \"user\": {\"username\": \"bob\"", &err);
	assert_null(root);
	assert_string_equal(err.reason, "truncated JSON");
}

static void test_decode_truncated_number_member_is_reported_as_truncated(void **state)
{
	struct decode_error err;
	cJSON *root = decode_str("{\"a\": 1", &err);
	assert_null(root);
	assert_string_equal(err.reason, "truncated JSON");
}

static void test_decode_unterminated_string_is_reported_as_truncated(void **state)
{
	struct decode_error err;
	cJSON *root = decode_str("{\"a\": [1, 2], \"b\": \"no end", &err);
	assert_null(root);
	assert_string_equal(err.reason, "truncated JSON");
}

static void test_decode_mismatched_bracket_is_invalid_not_truncated(void **state)
{
	struct decode_error err;
	cJSON *root = decode_str("{\"a\": [1, 2}", &err);
	assert_null(root);
	assert_string_equal(err.reason, "invalid JSON");
	root = decode_str("{\"a\": 1]", &err);
	assert_null(root);
	assert_string_equal(err.reason, "invalid JSON");
}

static void test_decode_invalid_json_is_rejected_where_the_parser_stopped(void **state)
{
	const char line[] = "{\"a\" 1}";
	assert_rejected(line, sizeof(line) - 1, "invalid JSON", 5);
}

/* An object holding levels - 1 nested arrays: levels of nesting in all. Caller frees. */
static char *nested_line(int levels, size_t *n)
{
	char *p = malloc((size_t)levels * 2 + 16);
	assert_non_null(p);
	*n = (size_t)sprintf(p, "{\"a\":");
	for (int i = 1; i < levels; i++)
		p[(*n)++] = '[';
	for (int i = 1; i < levels; i++)
		p[(*n)++] = ']';
	p[(*n)++] = '}';
	return p;
}

static void test_decode_nesting_of_1000_levels_is_accepted(void **state)
{
	struct decode_error err;
	size_t n;
	char *line = nested_line(1000, &n);
	cJSON *root = decode_exact(line, n, &err);
	free(line);
	assert_non_null(root);
	cJSON_Delete(root);
}

static void test_decode_nesting_deeper_than_1000_is_rejected(void **state)
{
	struct decode_error err;
	size_t n;
	char *line = nested_line(1001, &n);
	cJSON *root = decode_exact(line, n, &err);
	free(line);
	assert_null(root);
	assert_string_equal(err.reason, "JSON nested deeper than 1000 levels");
}

static void test_decode_trailing_garbage_is_rejected_at_its_offset(void **state)
{
	const char line[] = "{\"a\":1}  x";
	assert_rejected(line, sizeof(line) - 1, "unexpected data after the JSON value", 9);
}

static void test_decode_second_object_on_the_line_is_trailing_garbage(void **state)
{
	const char line[] = "{\"a\":1}{\"b\":2}";
	assert_rejected(line, sizeof(line) - 1, "unexpected data after the JSON value", 7);
}

static void test_decode_top_level_array_is_not_an_object(void **state)
{
	const char line[] = "[{\"a\":1}]";
	assert_rejected(line, sizeof(line) - 1, "line is JSON but not an object", 0);
}

static void test_decode_top_level_string_and_number_are_not_objects(void **state)
{
	assert_rejected("\"text\"", 6, "line is JSON but not an object", 0);
	assert_rejected("42", 2, "line is JSON but not an object", 0);
}

static void test_decode_trailing_carriage_return_and_spaces_are_accepted(void **state)
{
	struct decode_error err;
	cJSON *root = decode_str("{\"a\":1}\r", &err);
	assert_non_null(root);
	assert_int_equal(cJSON_GetObjectItemCaseSensitive(root, "a")->valueint, 1);
	cJSON_Delete(root);
	root = decode_str("  {\"a\":2} \t\r", &err);
	assert_non_null(root);
	assert_int_equal(cJSON_GetObjectItemCaseSensitive(root, "a")->valueint, 2);
	cJSON_Delete(root);
}

static void test_decode_duplicate_key_last_value_wins_at_first_position(void **state)
{
	struct decode_error err;
	char names[128];
	cJSON *root = decode_str("{\"a\":1,\"b\":2,\"a\":3}", &err);
	assert_non_null(root);
	assert_string_equal(member_names(root, names, sizeof(names)), "a,b");
	assert_int_equal(cJSON_GetObjectItemCaseSensitive(root, "a")->valueint, 3);
	assert_int_equal(cJSON_GetArraySize(root), 2);
	cJSON_Delete(root);
}

static void test_decode_key_repeated_three_times_keeps_the_last_value(void **state)
{
	struct decode_error err;
	char names[128];
	cJSON *root = decode_str("{\"x\":0,\"a\":1,\"a\":2,\"y\":9,\"a\":3}", &err);
	assert_non_null(root);
	assert_string_equal(member_names(root, names, sizeof(names)), "x,a,y");
	assert_int_equal(cJSON_GetObjectItemCaseSensitive(root, "a")->valueint, 3);
	cJSON_Delete(root);
}

static void test_decode_duplicate_keys_differing_in_case_are_distinct(void **state)
{
	struct decode_error err;
	char names[128];
	cJSON *root = decode_str("{\"a\":1,\"A\":2}", &err);
	assert_non_null(root);
	assert_string_equal(member_names(root, names, sizeof(names)), "a,A");
	cJSON_Delete(root);
}

static void test_decode_duplicate_key_resolved_in_nested_objects(void **state)
{
	struct decode_error err;
	char names[128];
	cJSON *root = decode_str("{\"user\":{\"username\":\"alice\",\"uid\":1,"
				 "\"username\":\"system:anonymous\"},"
				 "\"items\":[{\"k\":1,\"k\":2}]}",
				 &err);
	assert_non_null(root);
	const cJSON *user = cJSON_GetObjectItemCaseSensitive(root, "user");
	assert_string_equal(member_names(user, names, sizeof(names)), "username,uid");
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(user, "username")->valuestring,
			    "system:anonymous");
	const cJSON *item = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(root, "items"), 0);
	assert_int_equal(cJSON_GetArraySize(item), 1);
	assert_int_equal(cJSON_GetObjectItemCaseSensitive(item, "k")->valueint, 2);
	cJSON_Delete(root);
}

static void test_decode_duplicate_key_in_large_object_last_wins_at_first_position(void **state)
{
	struct decode_error err;
	char line[512], names[256], want[256];
	size_t n = 0, w = 0;

	/* 20 distinct keys k0..k19, then k3 and k17 again: the hashed path */
	n += (size_t)sprintf(line + n, "{");
	for (int i = 0; i < 20; i++) {
		n += (size_t)sprintf(line + n, "%s\"k%d\":%d", i ? "," : "", i, i);
		w += (size_t)sprintf(want + w, "%sk%d", i ? "," : "", i);
	}
	n += (size_t)sprintf(line + n, ",\"k3\":103,\"k17\":117,\"k3\":203}");
	cJSON *root = decode_exact(line, n, &err);
	assert_non_null(root);
	assert_int_equal(cJSON_GetArraySize(root), 20);
	assert_string_equal(member_names(root, names, sizeof(names)), want);
	assert_int_equal(cJSON_GetObjectItemCaseSensitive(root, "k3")->valueint, 203);
	assert_int_equal(cJSON_GetObjectItemCaseSensitive(root, "k17")->valueint, 117);
	assert_int_equal(cJSON_GetObjectItemCaseSensitive(root, "k4")->valueint, 4);
	cJSON_Delete(root);
}

static void test_decode_resolve_duplicates_works_on_any_parsed_tree(void **state)
{
	char names[64];
	cJSON *root = cJSON_Parse("{\"a\":{\"b\":1,\"b\":[{\"c\":1,\"c\":5}]},\"a\":{\"z\":0}}");
	assert_non_null(root);
	assert_int_equal(decode_resolve_duplicates(root), 0);
	assert_int_equal(cJSON_GetArraySize(root), 1);
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(root, "a");
	assert_string_equal(member_names(a, names, sizeof(names)), "z");
	cJSON_Delete(root);
}

static void test_decode_nul_escape_becomes_replacement_character(void **state)
{
	struct decode_error err;
	cJSON *root = decode_str("{\"a\":\"x\\u0000y\",\"\\u0000\":1}", &err);
	assert_non_null(root);
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(root, "a")->valuestring,
			    "x\xEF\xBF\xBDy");
	assert_non_null(cJSON_GetObjectItemCaseSensitive(root, "\xEF\xBF\xBD"));
	cJSON_Delete(root);
}

static void test_decode_escaped_backslash_before_u0000_is_left_alone(void **state)
{
	struct decode_error err;
	/* JSON text "\\u0000": a backslash, then the six characters u0000 */
	cJSON *root = decode_str("{\"a\":\"\\\\u0000\",\"b\":\"\\\\\\u0000\"}", &err);
	assert_non_null(root);
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(root, "a")->valuestring, "\\u0000");
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(root, "b")->valuestring,
			    "\\\xEF\xBF\xBD");
	cJSON_Delete(root);
}

static void test_decode_unicode_escapes_decode_to_utf8(void **state)
{
	struct decode_error err;
	cJSON *root = decode_str("{\"u\":\"\\u0073ystem:anonymous\","
				 "\"e\":\"\\u00e9\\ud83d\\ude00\"}",
				 &err);
	assert_non_null(root);
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(root, "u")->valuestring,
			    "system:anonymous");
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(root, "e")->valuestring,
			    "\xC3\xA9\xF0\x9F\x98\x80");
	cJSON_Delete(root);
}

static void test_decode_five_megabyte_line_parses(void **state)
{
	struct decode_error err;
	const size_t big = 5u << 20;
	char *line = malloc(big + 64);
	size_t n = 0;
	assert_non_null(line);
	n += (size_t)sprintf(line, "{\"kind\":\"Event\",\"blob\":\"");
	memset(line + n, 'x', big);
	n += big;
	n += (size_t)sprintf(line + n, "\",\"n\":7}");
	cJSON *root = decode_exact(line, n, &err);
	free(line);
	assert_non_null(root);
	assert_int_equal(strlen(cJSON_GetObjectItemCaseSensitive(root, "blob")->valuestring), big);
	assert_int_equal(cJSON_GetObjectItemCaseSensitive(root, "n")->valueint, 7);
	cJSON_Delete(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode_valid_object_gives_its_members),
		cmocka_unit_test(test_decode_empty_line_is_rejected),
		cmocka_unit_test(test_decode_nul_byte_is_rejected_at_its_offset),
		cmocka_unit_test(test_decode_invalid_utf8_is_rejected_at_its_offset),
		cmocka_unit_test(test_decode_truncated_json_is_reported_as_truncated),
		cmocka_unit_test(test_decode_truncated_number_member_is_reported_as_truncated),
		cmocka_unit_test(test_decode_unterminated_string_is_reported_as_truncated),
		cmocka_unit_test(test_decode_mismatched_bracket_is_invalid_not_truncated),
		cmocka_unit_test(test_decode_invalid_json_is_rejected_where_the_parser_stopped),
		cmocka_unit_test(test_decode_nesting_of_1000_levels_is_accepted),
		cmocka_unit_test(test_decode_nesting_deeper_than_1000_is_rejected),
		cmocka_unit_test(test_decode_trailing_garbage_is_rejected_at_its_offset),
		cmocka_unit_test(test_decode_second_object_on_the_line_is_trailing_garbage),
		cmocka_unit_test(test_decode_top_level_array_is_not_an_object),
		cmocka_unit_test(test_decode_top_level_string_and_number_are_not_objects),
		cmocka_unit_test(test_decode_trailing_carriage_return_and_spaces_are_accepted),
		cmocka_unit_test(test_decode_duplicate_key_last_value_wins_at_first_position),
		cmocka_unit_test(test_decode_key_repeated_three_times_keeps_the_last_value),
		cmocka_unit_test(test_decode_duplicate_keys_differing_in_case_are_distinct),
		cmocka_unit_test(test_decode_duplicate_key_resolved_in_nested_objects),
		cmocka_unit_test(
			test_decode_duplicate_key_in_large_object_last_wins_at_first_position),
		cmocka_unit_test(test_decode_resolve_duplicates_works_on_any_parsed_tree),
		cmocka_unit_test(test_decode_nul_escape_becomes_replacement_character),
		cmocka_unit_test(test_decode_escaped_backslash_before_u0000_is_left_alone),
		cmocka_unit_test(test_decode_unicode_escapes_decode_to_utf8),
		cmocka_unit_test(test_decode_five_megabyte_line_parses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
