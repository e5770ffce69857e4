/* keypath: compiling KeyPath strings and DeepKey lists, and walking them over JSON. */
#include "unit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "keypath.h"

static void assert_key_seg(const struct keypath *kp, size_t i, const char *key)
{
	assert_true(i < kp->n);
	assert_non_null(kp->segs[i].key);
	assert_string_equal(kp->segs[i].key, key);
}

static void assert_index_seg(const struct keypath *kp, size_t i, long index)
{
	assert_true(i < kp->n);
	assert_null(kp->segs[i].key);
	assert_int_equal(kp->segs[i].index, index);
}

/* keypath_parse must fail with -EINVAL and a message containing want. */
static void assert_parse_error(const char *s, const char *want)
{
	struct keypath kp;
	char err[256] = "";
	assert_int_equal(keypath_parse(&kp, s, err, sizeof(err)), -EINVAL);
	if (!strstr(err, want))
		fail_msg("error for '%s' is '%s', expected it to contain '%s'", s, err, want);
	assert_int_equal(kp.n, 0);
	assert_null(kp.segs);
	assert_null(kp.text);
}

static void test_keypath_parse_dotted_path_with_index(void **state)
{
	struct keypath kp;
	char err[128];
	assert_int_equal(keypath_parse(&kp, "a.b[0].c", err, sizeof(err)), 0);
	assert_int_equal(kp.n, 4);
	assert_key_seg(&kp, 0, "a");
	assert_key_seg(&kp, 1, "b");
	assert_index_seg(&kp, 2, 0);
	assert_key_seg(&kp, 3, "c");
	assert_string_equal(kp.text, "a.b[0].c");
	keypath_free(&kp);
}

static void test_keypath_parse_quoted_segment_keeps_dots(void **state)
{
	struct keypath kp;
	char err[128];
	assert_int_equal(keypath_parse(&kp, "a.\"x.y\".b", err, sizeof(err)), 0);
	assert_int_equal(kp.n, 3);
	assert_key_seg(&kp, 0, "a");
	assert_key_seg(&kp, 1, "x.y");
	assert_key_seg(&kp, 2, "b");
	keypath_free(&kp);
}

static void test_keypath_parse_quoted_segment_keeps_brackets_and_slashes(void **state)
{
	struct keypath kp;
	char err[128];
	assert_int_equal(
		keypath_parse(&kp, "annotations.\"authorization.k8s.io/decision[0]\"", err,
			      sizeof(err)),
		0);
	assert_int_equal(kp.n, 2);
	assert_key_seg(&kp, 1, "authorization.k8s.io/decision[0]");
	keypath_free(&kp);
}

static void test_keypath_parse_at_sign_is_the_value_itself(void **state)
{
	struct keypath kp;
	char err[128];
	assert_int_equal(keypath_parse(&kp, "@", err, sizeof(err)), 0);
	assert_int_equal(kp.n, 0);
	assert_string_equal(kp.text, "@");
	keypath_free(&kp);
}

static void test_keypath_parse_negative_and_consecutive_indexes(void **state)
{
	struct keypath kp;
	char err[128];
	assert_int_equal(keypath_parse(&kp, "sourceIPs[-1]", err, sizeof(err)), 0);
	assert_int_equal(kp.n, 2);
	assert_key_seg(&kp, 0, "sourceIPs");
	assert_index_seg(&kp, 1, -1);
	keypath_free(&kp);

	assert_int_equal(keypath_parse(&kp, "m[2][-3]", err, sizeof(err)), 0);
	assert_int_equal(kp.n, 3);
	assert_index_seg(&kp, 1, 2);
	assert_index_seg(&kp, 2, -3);
	keypath_free(&kp);
}

static void test_keypath_parse_rejects_empty_path(void **state)
{
	assert_parse_error("", "empty KeyPath");
}

static void test_keypath_parse_rejects_empty_segment_between_dots(void **state)
{
	assert_parse_error("a..b", "empty key after '.'");
	assert_parse_error("a.", "empty key after '.'");
	assert_parse_error(".a", "empty key");
}

static void test_keypath_parse_rejects_unclosed_or_bad_index(void **state)
{
	assert_parse_error("a[", "bad index");
	assert_parse_error("a[1", "bad index");
	assert_parse_error("a[x]", "bad index");
}

static void test_keypath_parse_rejects_wildcard_and_names_it(void **state)
{
	assert_parse_error("a[*]", "wildcard");
	assert_parse_error("items[*].name", "wildcard [*] is not supported");
}

static void test_keypath_parse_rejects_unterminated_quote(void **state)
{
	assert_parse_error("a.\"b.c", "unterminated quote");
}

static void test_keypath_parse_rejects_text_after_quoted_segment(void **state)
{
	assert_parse_error("a.\"b\"c", "expected '.' or '['");
}

static void test_keypath_parse_accepts_64_segments_and_rejects_65(void **state)
{
	struct keypath kp;
	char err[256], path[256];
	size_t n = 0;
	for (int i = 0; i < 64; i++)
		n += (size_t)sprintf(path + n, "%sk", i ? "." : "");
	assert_int_equal(keypath_parse(&kp, path, err, sizeof(err)), 0);
	assert_int_equal(kp.n, 64);
	keypath_free(&kp);

	sprintf(path + n, ".k");
	assert_parse_error(path, "too long (at most 64 steps)");
}

static void test_keypath_from_parts_keeps_dots_in_keys_and_takes_indexes(void **state)
{
	struct keypath kp;
	char *keys[] = {"annotations", "authorization.k8s.io/decision", NULL};
	long idx[] = {0, 0, -1};
	bool isidx[] = {false, false, true};
	assert_int_equal(keypath_from_parts(&kp, keys, idx, isidx, 3), 0);
	assert_int_equal(kp.n, 3);
	assert_key_seg(&kp, 0, "annotations");
	assert_key_seg(&kp, 1, "authorization.k8s.io/decision");
	assert_index_seg(&kp, 2, -1);
	assert_non_null(kp.text);
	keypath_free(&kp);
}

static void test_keypath_walk_follows_keys_and_indexes(void **state)
{
	struct keypath kp;
	char err[128];
	cJSON *doc = cJSON_Parse("{\"a\":{\"b\":[{\"c\":1},{\"c\":2}]}}");
	assert_int_equal(keypath_parse(&kp, "a.b[1].c", err, sizeof(err)), 0);
	const cJSON *v = keypath_walk(&kp, 0, doc, false);
	assert_non_null(v);
	assert_int_equal(v->valueint, 2);
	keypath_free(&kp);

	assert_int_equal(keypath_parse(&kp, "a.b[-2].c", err, sizeof(err)), 0);
	v = keypath_walk(&kp, 0, doc, false);
	assert_non_null(v);
	assert_int_equal(v->valueint, 1);
	keypath_free(&kp);
	cJSON_Delete(doc);
}

static void test_keypath_walk_case_sensitive_misses_folded_keys_ci_finds_them(void **state)
{
	struct keypath kp;
	char err[128];
	cJSON *doc = cJSON_Parse("{\"User\":{\"UserName\":\"bob\"}}");
	assert_int_equal(keypath_parse(&kp, "user.username", err, sizeof(err)), 0);
	assert_null(keypath_walk(&kp, 0, doc, false));
	const cJSON *v = keypath_walk(&kp, 0, doc, true);
	assert_non_null(v);
	assert_string_equal(v->valuestring, "bob");
	keypath_free(&kp);
	cJSON_Delete(doc);
}

static void test_keypath_walk_ci_prefers_exact_key(void **state)
{
	struct keypath kp;
	char err[128];
	cJSON *doc = cJSON_Parse("{\"KEY\":1,\"key\":2}");
	assert_int_equal(keypath_parse(&kp, "key", err, sizeof(err)), 0);
	assert_int_equal(keypath_walk(&kp, 0, doc, true)->valueint, 2);
	keypath_free(&kp);
	cJSON_Delete(doc);
}

static void test_keypath_walk_absent_step_or_wrong_type_gives_null(void **state)
{
	struct keypath kp;
	char err[128];
	cJSON *doc = cJSON_Parse("{\"a\":{\"b\":\"str\"},\"l\":[1]}");
	assert_int_equal(keypath_parse(&kp, "a.x.y", err, sizeof(err)), 0);
	assert_null(keypath_walk(&kp, 0, doc, true));
	keypath_free(&kp);
	assert_int_equal(keypath_parse(&kp, "a.b.c", err, sizeof(err)), 0);
	assert_null(keypath_walk(&kp, 0, doc, true));
	keypath_free(&kp);
	assert_int_equal(keypath_parse(&kp, "l[1]", err, sizeof(err)), 0);
	assert_null(keypath_walk(&kp, 0, doc, true));
	keypath_free(&kp);
	assert_int_equal(keypath_parse(&kp, "a[0]", err, sizeof(err)), 0);
	assert_null(keypath_walk(&kp, 0, doc, true));
	keypath_free(&kp);
	cJSON_Delete(doc);
}

static void test_keypath_walk_from_skips_leading_segments(void **state)
{
	struct keypath kp;
	char err[128];
	cJSON *doc = cJSON_Parse("{\"b\":{\"c\":5}}");
	assert_int_equal(keypath_parse(&kp, "p_udm.b.c", err, sizeof(err)), 0);
	const cJSON *v = keypath_walk(&kp, 1, doc, true);
	assert_non_null(v);
	assert_int_equal(v->valueint, 5);
	keypath_free(&kp);
	cJSON_Delete(doc);
}

static void test_keypath_walk_at_sign_returns_the_base(void **state)
{
	struct keypath kp;
	char err[128];
	cJSON *doc = cJSON_Parse("\"element\"");
	assert_int_equal(keypath_parse(&kp, "@", err, sizeof(err)), 0);
	assert_ptr_equal(keypath_walk(&kp, 0, doc, true), doc);
	keypath_free(&kp);
	cJSON_Delete(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keypath_parse_dotted_path_with_index),
		cmocka_unit_test(test_keypath_parse_quoted_segment_keeps_dots),
		cmocka_unit_test(test_keypath_parse_quoted_segment_keeps_brackets_and_slashes),
		cmocka_unit_test(test_keypath_parse_at_sign_is_the_value_itself),
		cmocka_unit_test(test_keypath_parse_negative_and_consecutive_indexes),
		cmocka_unit_test(test_keypath_parse_rejects_empty_path),
		cmocka_unit_test(test_keypath_parse_rejects_empty_segment_between_dots),
		cmocka_unit_test(test_keypath_parse_rejects_unclosed_or_bad_index),
		cmocka_unit_test(test_keypath_parse_rejects_wildcard_and_names_it),
		cmocka_unit_test(test_keypath_parse_rejects_unterminated_quote),
		cmocka_unit_test(test_keypath_parse_rejects_text_after_quoted_segment),
		cmocka_unit_test(test_keypath_parse_accepts_64_segments_and_rejects_65),
		cmocka_unit_test(test_keypath_from_parts_keeps_dots_in_keys_and_takes_indexes),
		cmocka_unit_test(test_keypath_walk_follows_keys_and_indexes),
		cmocka_unit_test(test_keypath_walk_case_sensitive_misses_folded_keys_ci_finds_them),
		cmocka_unit_test(test_keypath_walk_ci_prefers_exact_key),
		cmocka_unit_test(test_keypath_walk_absent_step_or_wrong_type_gives_null),
		cmocka_unit_test(test_keypath_walk_from_skips_leading_segments),
		cmocka_unit_test(test_keypath_walk_at_sign_returns_the_base),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
