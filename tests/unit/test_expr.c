/* expr: every Condition, the combinators, list conditions, two-key comparisons and key
 * specifiers, compiled from YAML and evaluated against events without a data model; and the
 * compile errors, each naming file:line. Events are written with ' for " to stay readable. */
#include "unit.h"

#include <errno.h>
#include <stdio.h>

#include "event.h"
#include "expr.h"
#include "udm.h"
#include "ydoc.h"

/* One condition on a KeyPath with a Value, as a one-item list. */
#define KV(kp, cond, value) "- KeyPath: " kp "\n  Condition: " cond "\n  Value: " value "\n"
/* One condition on a KeyPath without a Value. */
#define K(kp, cond) "- KeyPath: " kp "\n  Condition: " cond "\n"
/* One condition on a KeyPath with Values (a flow sequence). */
#define KVS(kp, cond, values) "- KeyPath: " kp "\n  Condition: " cond "\n  Values: " values "\n"

/* unit_compile_fn for a list of match expressions. */
static int compile_expr(struct compile_ctx *cx, void *out)
{
	return expr_compile_list(out, cx, ydoc_root(cx->doc));
}

/* Whether the expressions in yaml hold for the event js. */
static bool holds(const char *yaml, const char *js)
{
	struct udm_names names = {0};
	struct expr *e;
	struct event ev;
	char path[64], err[512];

	if (unit_compile(compile_expr, &e, yaml, &names, path, sizeof(path), err, sizeof(err)))
		fail_msg("compile error: %s", err);
	unit_event_init(&ev, js, "Test.Log", NULL, names.n);
	bool r = expr_eval(e, &ev, NULL);
	event_free(&ev);
	expr_free(e);
	udm_names_free(&names);
	return r;
}

/* yaml must fail to compile with exactly "FILE:line: message", leaving no expression. */
static void assert_compile_error(const char *yaml, int line, const char *message)
{
	struct expr *e = (struct expr *)1;
	unit_assert_compile_error(compile_expr, &e, yaml, line, message);
	assert_null(e);
}

/* ---- Equals and its relatives ---- */

static void test_expr_equals_matches_the_same_string_only(void **state)
{
	assert_true(holds(KV("u", "Equals", "system:anonymous"), "{'u': 'system:anonymous'}"));
	assert_false(holds(KV("u", "Equals", "system:anonymous"), "{'u': 'System:anonymous'}"));
	assert_false(holds(KV("u", "Equals", "system:anonymous"), "{'v': 'system:anonymous'}"));
}

static void test_expr_equals_plain_number_value_matches_numbers_not_strings(void **state)
{
	assert_true(holds(KV("code", "Equals", "200"), "{'code': 200}"));
	assert_true(holds(KV("code", "Equals", "200"), "{'code': 200.0}"));
	assert_false(holds(KV("code", "Equals", "200"), "{'code': '200'}"));
}

static void test_expr_equals_quoted_value_matches_strings_not_numbers(void **state)
{
	assert_true(holds(KV("code", "Equals", "\"200\""), "{'code': '200'}"));
	assert_false(holds(KV("code", "Equals", "\"200\""), "{'code': 200}"));
}

static void test_expr_equals_boolean_and_null_values(void **state)
{
	assert_true(holds(KV("b", "Equals", "true"), "{'b': true}"));
	assert_false(holds(KV("b", "Equals", "true"), "{'b': 'true'}"));
	assert_true(holds(KV("n", "Equals", "null"), "{'n': null}"));
	assert_false(holds(KV("n", "Equals", "null"), "{}"));
}

static void test_expr_equals_looks_keys_up_case_insensitively(void **state)
{
	assert_true(holds(KV("user.username", "Equals", "bob"), "{'User': {'UserName': 'bob'}}"));
}

static void test_expr_does_not_equal_is_true_for_other_and_missing_values(void **state)
{
	assert_true(holds(KV("d", "DoesNotEqual", "allow"), "{'d': 'forbid'}"));
	assert_true(holds(KV("d", "DoesNotEqual", "allow"), "{}"));
	assert_true(holds(KV("d", "DoesNotEqual", "allow"), "{'d': 'Allow'}"));
	assert_false(holds(KV("d", "DoesNotEqual", "allow"), "{'d': 'allow'}"));
}

static void test_expr_iequals_ignores_case_of_strings(void **state)
{
	assert_true(holds(KV("v", "IEquals", "GET"), "{'v': 'get'}"));
	assert_false(holds(KV("v", "IEquals", "GET"), "{'v': 'gets'}"));
	assert_true(holds(KV("v", "IEquals", "5"), "{'v': 5}"));
	assert_false(holds(KV("v", "IEquals", "5"), "{'v': '5'}"));
}

static void test_expr_idoes_not_equal_negates_iequals(void **state)
{
	assert_false(holds(KV("v", "IDoesNotEqual", "GET"), "{'v': 'get'}"));
	assert_true(holds(KV("v", "IDoesNotEqual", "GET"), "{'v': 'put'}"));
	assert_true(holds(KV("v", "IDoesNotEqual", "GET"), "{}"));
}

/* ---- substring conditions ---- */

static void test_expr_contains_finds_a_case_sensitive_substring(void **state)
{
	assert_true(holds(KV("ua", "Contains", "curl"), "{'ua': 'x-curl/8'}"));
	assert_false(holds(KV("ua", "Contains", "curl"), "{'ua': 'x-CURL/8'}"));
	assert_false(holds(KV("ua", "Contains", "curl"), "{}"));
}

static void test_expr_contains_on_non_strings_is_false(void **state)
{
	assert_false(holds(KV("n", "Contains", "12"), "{'n': 123}"));
	assert_false(holds(KV("l", "Contains", "a"), "{'l': ['a']}"));
}

static void test_expr_does_not_contain_negates_contains(void **state)
{
	assert_false(holds(KV("ua", "DoesNotContain", "curl"), "{'ua': 'x-curl/8'}"));
	assert_true(holds(KV("ua", "DoesNotContain", "curl"), "{'ua': 'x-CURL/8'}"));
	assert_true(holds(KV("ua", "DoesNotContain", "curl"), "{}"));
}

static void test_expr_icontains_ignores_case(void **state)
{
	assert_true(holds(KV("ua", "IContains", "CuRl"), "{'ua': 'x-curl/8'}"));
	assert_false(holds(KV("ua", "IContains", "wget"), "{'ua': 'x-curl/8'}"));
}

static void test_expr_idoes_not_contain_negates_icontains(void **state)
{
	assert_false(holds(KV("ua", "IDoesNotContain", "CURL"), "{'ua': 'x-curl/8'}"));
	assert_true(holds(KV("ua", "IDoesNotContain", "wget"), "{'ua': 'x-curl/8'}"));
}

static void test_expr_starts_with_is_a_case_sensitive_prefix(void **state)
{
	assert_true(holds(KV("uri", "StartsWith", "/healthz"), "{'uri': '/healthz/etcd'}"));
	assert_false(holds(KV("uri", "StartsWith", "/healthz"), "{'uri': '/api/healthz'}"));
	assert_false(holds(KV("uri", "StartsWith", "/healthz"), "{'uri': '/HEALTHZ'}"));
	assert_false(holds(KV("uri", "StartsWith", "/healthz"), "{'uri': '/health'}"));
}

static void test_expr_does_not_start_with_negates_starts_with(void **state)
{
	assert_false(holds(KV("uri", "DoesNotStartWith", "/api"), "{'uri': '/api/v1'}"));
	assert_true(holds(KV("uri", "DoesNotStartWith", "/api"), "{'uri': '/version'}"));
	assert_true(holds(KV("uri", "DoesNotStartWith", "/api"), "{}"));
}

static void test_expr_istarts_with_ignores_case(void **state)
{
	assert_true(holds(KV("ua", "IStartsWith", "KUBE-PROBE/"), "{'ua': 'kube-probe/1.28'}"));
	assert_false(holds(KV("ua", "IStartsWith", "probe"), "{'ua': 'kube-probe/1.28'}"));
}

static void test_expr_idoes_not_start_with_negates_istarts_with(void **state)
{
	assert_false(holds(KV("ua", "IDoesNotStartWith", "KUBE"), "{'ua': 'kube-probe/1.28'}"));
	assert_true(holds(KV("ua", "IDoesNotStartWith", "probe"), "{'ua': 'kube-probe/1.28'}"));
}

static void test_expr_ends_with_is_a_case_sensitive_suffix(void **state)
{
	assert_true(holds(KV("n", "EndsWith", ".exe"), "{'n': 'a.exe'}"));
	assert_false(holds(KV("n", "EndsWith", ".exe"), "{'n': 'a.EXE'}"));
	assert_false(holds(KV("n", "EndsWith", "long.exe"), "{'n': '.exe'}"));
}

static void test_expr_does_not_end_with_negates_ends_with(void **state)
{
	assert_false(holds(KV("n", "DoesNotEndWith", ".exe"), "{'n': 'a.exe'}"));
	assert_true(holds(KV("n", "DoesNotEndWith", ".exe"), "{'n': 'a.sh'}"));
}

static void test_expr_iends_with_ignores_case(void **state)
{
	assert_true(holds(KV("n", "IEndsWith", ".EXE"), "{'n': 'a.exe'}"));
	assert_false(holds(KV("n", "IEndsWith", ".EXE"), "{'n': 'a.exe.txt'}"));
}

static void test_expr_idoes_not_end_with_negates_iends_with(void **state)
{
	assert_false(holds(KV("n", "IDoesNotEndWith", ".EXE"), "{'n': 'a.exe'}"));
	assert_true(holds(KV("n", "IDoesNotEndWith", ".EXE"), "{'n': 'a.sh'}"));
}

/* ---- ordering ---- */

static void test_expr_is_greater_than_compares_numbers_strictly(void **state)
{
	assert_true(holds(KV("n", "IsGreaterThan", "3"), "{'n': 4}"));
	assert_true(holds(KV("n", "IsGreaterThan", "3"), "{'n': 3.5}"));
	assert_false(holds(KV("n", "IsGreaterThan", "3"), "{'n': 3}"));
	assert_false(holds(KV("n", "IsGreaterThan", "3"), "{'n': '4'}"));
	assert_false(holds(KV("n", "IsGreaterThan", "3"), "{}"));
}

static void test_expr_is_greater_than_or_equal_includes_equality(void **state)
{
	assert_true(holds(KV("n", "IsGreaterThanOrEqual", "3"), "{'n': 3}"));
	assert_true(holds(KV("n", "IsGreaterThanOrEqual", "3"), "{'n': 10}"));
	assert_false(holds(KV("n", "IsGreaterThanOrEqual", "3"), "{'n': 2.99}"));
}

static void test_expr_is_less_than_compares_numbers_strictly(void **state)
{
	assert_true(holds(KV("n", "IsLessThan", "0.5"), "{'n': -1}"));
	assert_false(holds(KV("n", "IsLessThan", "0.5"), "{'n': 0.5}"));
	assert_false(holds(KV("n", "IsLessThan", "0.5"), "{'n': null}"));
}

static void test_expr_is_less_than_or_equal_includes_equality(void **state)
{
	assert_true(holds(KV("n", "IsLessThanOrEqual", "0.5"), "{'n': 0.5}"));
	assert_false(holds(KV("n", "IsLessThanOrEqual", "0.5"), "{'n': 0.51}"));
}

/* ---- membership ---- */

static void test_expr_is_in_matches_any_listed_value_exactly(void **state)
{
	assert_true(holds(KVS("v", "IsIn", "[get, list, 200]"), "{'v': 'list'}"));
	assert_true(holds(KVS("v", "IsIn", "[get, list, 200]"), "{'v': 200}"));
	assert_false(holds(KVS("v", "IsIn", "[get, list, 200]"), "{'v': '200'}"));
	assert_false(holds(KVS("v", "IsIn", "[get, list, 200]"), "{'v': 'LIST'}"));
	assert_false(holds(KVS("v", "IsIn", "[get, list, 200]"), "{}"));
}

static void test_expr_is_not_in_negates_is_in(void **state)
{
	assert_false(holds(KVS("v", "IsNotIn", "[get, list]"), "{'v': 'get'}"));
	assert_true(holds(KVS("v", "IsNotIn", "[get, list]"), "{'v': 'delete'}"));
	assert_true(holds(KVS("v", "IsNotIn", "[get, list]"), "{}"));
}

static void test_expr_iis_in_ignores_case(void **state)
{
	assert_true(holds(KVS("v", "IIsIn", "[Get, List]"), "{'v': 'LIST'}"));
	assert_false(holds(KVS("v", "IIsIn", "[Get, List]"), "{'v': 'watch'}"));
}

static void test_expr_iis_not_in_negates_iis_in(void **state)
{
	assert_false(holds(KVS("v", "IIsNotIn", "[Get, List]"), "{'v': 'LIST'}"));
	assert_true(holds(KVS("v", "IIsNotIn", "[Get, List]"), "{'v': 'watch'}"));
}

/* ---- presence ---- */

static void test_expr_exists_is_true_for_present_keys(void **state)
{
	assert_true(holds(K("a.b", "Exists"), "{'a': {'b': ''}}"));
	assert_true(holds(K("a.b", "Exists"), "{'a': {'b': 0}}"));
	assert_false(holds(K("a.b", "Exists"), "{'a': {'c': 1}}"));
	assert_false(holds(K("l[1]", "Exists"), "{'l': ['x']}"));
}

static void test_expr_does_not_exist_is_true_for_missing_keys(void **state)
{
	assert_true(holds(K("l[1]", "DoesNotExist"), "{'l': ['x']}"));
	assert_false(holds(K("l[0]", "DoesNotExist"), "{'l': ['x']}"));
}

static void test_expr_is_null_is_true_for_null_and_missing(void **state)
{
	assert_true(holds(K("a", "IsNull"), "{'a': null}"));
	assert_true(holds(K("a", "IsNull"), "{}"));
	assert_false(holds(K("a", "IsNull"), "{'a': ''}"));
	assert_false(holds(K("a", "IsNull"), "{'a': false}"));
}

static void test_expr_is_not_null_negates_is_null(void **state)
{
	assert_false(holds(K("a", "IsNotNull"), "{'a': null}"));
	assert_false(holds(K("a", "IsNotNull"), "{}"));
	assert_true(holds(K("a", "IsNotNull"), "{'a': 0}"));
}

static void test_expr_is_null_or_empty_covers_null_missing_and_empty_containers(void **state)
{
	assert_true(holds(K("a", "IsNullOrEmpty"), "{'a': null}"));
	assert_true(holds(K("a", "IsNullOrEmpty"), "{}"));
	assert_true(holds(K("a", "IsNullOrEmpty"), "{'a': ''}"));
	assert_true(holds(K("a", "IsNullOrEmpty"), "{'a': []}"));
	assert_true(holds(K("a", "IsNullOrEmpty"), "{'a': {}}"));
	assert_false(holds(K("a", "IsNullOrEmpty"), "{'a': 0}"));
	assert_false(holds(K("a", "IsNullOrEmpty"), "{'a': false}"));
	assert_false(holds(K("a", "IsNullOrEmpty"), "{'a': ' '}"));
	assert_false(holds(K("a", "IsNullOrEmpty"), "{'a': [null]}"));
}

static void test_expr_is_not_null_or_empty_negates_is_null_or_empty(void **state)
{
	assert_false(holds(K("a", "IsNotNullOrEmpty"), "{'a': ''}"));
	assert_false(holds(K("a", "IsNotNullOrEmpty"), "{}"));
	assert_true(holds(K("a", "IsNotNullOrEmpty"), "{'a': 'x'}"));
	assert_true(holds(K("a", "IsNotNullOrEmpty"), "{'a': 0}"));
}

/* ---- IP addresses ---- */

static void test_expr_is_ip_address_accepts_v4_and_v6_text_only(void **state)
{
	assert_true(holds(K("ip", "IsIPAddress"), "{'ip': '10.0.0.1'}"));
	assert_true(holds(K("ip", "IsIPAddress"), "{'ip': '::1'}"));
	assert_false(holds(K("ip", "IsIPAddress"), "{'ip': '10.0.0.256'}"));
	assert_false(holds(K("ip", "IsIPAddress"), "{'ip': 'localhost'}"));
	assert_false(holds(K("ip", "IsIPAddress"), "{'ip': 167772161}"));
	assert_false(holds(K("ip", "IsIPAddress"), "{}"));
}

static void test_expr_is_not_ip_address_negates_is_ip_address(void **state)
{
	assert_false(holds(K("ip", "IsNotIPAddress"), "{'ip': '10.0.0.1'}"));
	assert_true(holds(K("ip", "IsNotIPAddress"), "{'ip': 'localhost'}"));
}

static void test_expr_is_ipv4_address_rejects_v6(void **state)
{
	assert_true(holds(K("ip", "IsIPv4Address"), "{'ip': '192.168.1.1'}"));
	assert_false(holds(K("ip", "IsIPv4Address"), "{'ip': '2001:db8::1'}"));
	assert_false(holds(K("ip", "IsIPv4Address"), "{'ip': '192.168.1'}"));
}

static void test_expr_is_ipv6_address_rejects_v4(void **state)
{
	assert_true(holds(K("ip", "IsIPv6Address"), "{'ip': '2001:db8::1'}"));
	assert_true(holds(K("ip", "IsIPv6Address"), "{'ip': '::ffff:10.0.0.1'}"));
	assert_false(holds(K("ip", "IsIPv6Address"), "{'ip': '192.168.1.1'}"));
}

static void test_expr_is_ip_address_public_excludes_special_ranges(void **state)
{
	assert_true(holds(K("ip", "IsIPAddressPublic"), "{'ip': '8.8.8.8'}"));
	assert_true(holds(K("ip", "IsIPAddressPublic"), "{'ip': '2001:4860:4860::8888'}"));
	assert_false(holds(K("ip", "IsIPAddressPublic"), "{'ip': '10.1.2.3'}"));
	assert_false(holds(K("ip", "IsIPAddressPublic"), "{'ip': '127.0.0.1'}"));
	assert_false(holds(K("ip", "IsIPAddressPublic"), "{'ip': '169.254.169.254'}"));
	assert_false(holds(K("ip", "IsIPAddressPublic"), "{'ip': '100.64.0.1'}"));
	assert_false(holds(K("ip", "IsIPAddressPublic"), "{'ip': '203.0.113.9'}"));
	assert_false(holds(K("ip", "IsIPAddressPublic"), "{'ip': 'fe80::1'}"));
	assert_false(holds(K("ip", "IsIPAddressPublic"), "{'ip': 'fd12:3456::1'}"));
	assert_false(holds(K("ip", "IsIPAddressPublic"), "{'ip': '::1'}"));
	assert_false(holds(K("ip", "IsIPAddressPublic"), "{'ip': 'not-an-ip'}"));
}

static void test_expr_is_ip_address_private_is_rfc1918_and_rfc4193(void **state)
{
	assert_true(holds(K("ip", "IsIPAddressPrivate"), "{'ip': '10.0.0.1'}"));
	assert_true(holds(K("ip", "IsIPAddressPrivate"), "{'ip': '172.16.5.4'}"));
	assert_true(holds(K("ip", "IsIPAddressPrivate"), "{'ip': '172.31.255.255'}"));
	assert_true(holds(K("ip", "IsIPAddressPrivate"), "{'ip': '192.168.1.1'}"));
	assert_true(holds(K("ip", "IsIPAddressPrivate"), "{'ip': 'fd00::1'}"));
	assert_false(holds(K("ip", "IsIPAddressPrivate"), "{'ip': '172.32.0.1'}"));
	assert_false(holds(K("ip", "IsIPAddressPrivate"), "{'ip': '8.8.8.8'}"));
	assert_false(holds(K("ip", "IsIPAddressPrivate"), "{'ip': '127.0.0.1'}"));
	assert_false(holds(K("ip", "IsIPAddressPrivate"), "{}"));
}

static void test_expr_is_ip_address_private_includes_ipv4_mapped_private_addresses(void **state)
{
	/* Go's net.IP.IsPrivate and Python's ipaddress both call ::ffff:10.0.0.1 private */
	assert_true(holds(K("ip", "IsIPAddressPrivate"), "{'ip': '::ffff:10.0.0.1'}"));
	assert_true(holds(K("ip", "IsIPAddressPrivate"), "{'ip': '::ffff:192.168.1.1'}"));
	assert_false(holds(K("ip", "IsIPAddressPrivate"), "{'ip': '::ffff:8.8.8.8'}"));
}

static void test_expr_is_ip_address_in_cidr_with_values(void **state)
{
	const char *y = KVS("ip", "IsIPAddressInCIDR", "['10.0.0.0/8', '172.16.0.0/12', "
							"'2001:db8::/32']");
	assert_true(holds(y, "{'ip': '10.200.3.4'}"));
	assert_true(holds(y, "{'ip': '172.31.0.1'}"));
	assert_true(holds(y, "{'ip': '2001:db8:1::5'}"));
	assert_false(holds(y, "{'ip': '172.32.0.1'}"));
	assert_false(holds(y, "{'ip': '11.0.0.1'}"));
	assert_false(holds(y, "{'ip': '2001:db9::1'}"));
	assert_false(holds(y, "{'ip': 'x'}"));
}

static void test_expr_is_ip_address_in_cidr_with_single_value(void **state)
{
	const char *y = KV("ip", "IsIPAddressInCIDR", "192.168.0.0/16");
	assert_true(holds(y, "{'ip': '192.168.44.1'}"));
	assert_false(holds(y, "{'ip': '192.169.0.1'}"));
}

static void test_expr_is_ip_address_in_cidr_without_prefix_is_one_host(void **state)
{
	const char *y = KVS("ip", "IsIPAddressInCIDR", "[10.0.0.7]");
	assert_true(holds(y, "{'ip': '10.0.0.7'}"));
	assert_false(holds(y, "{'ip': '10.0.0.8'}"));
}

static void test_expr_is_ip_address_not_in_cidr_negates_in_cidr(void **state)
{
	const char *y = KVS("ip", "IsIPAddressNotInCIDR", "['10.0.0.0/8']");
	assert_false(holds(y, "{'ip': '10.1.1.1'}"));
	assert_true(holds(y, "{'ip': '8.8.8.8'}"));
	assert_true(holds(y, "{}"));
}

/* ---- constants ---- */

static void test_expr_always_true_and_always_false(void **state)
{
	assert_true(holds("- Condition: AlwaysTrue\n", "{}"));
	assert_false(holds("- Condition: AlwaysFalse\n", "{}"));
}

/* ---- combinators ---- */

static void test_expr_top_level_list_requires_every_expression(void **state)
{
	const char *y = KV("a", "Equals", "1") KV("b", "Equals", "2");
	assert_true(holds(y, "{'a': 1, 'b': 2}"));
	assert_false(holds(y, "{'a': 1, 'b': 3}"));
	assert_false(holds(y, "{'a': 0, 'b': 2}"));
}

static void test_expr_all_holds_when_every_child_holds(void **state)
{
	const char *y = "- All:\n"
			"    - {KeyPath: a, Condition: Equals, Value: 1}\n"
			"    - {KeyPath: b, Condition: Equals, Value: 2}\n";
	assert_true(holds(y, "{'a': 1, 'b': 2}"));
	assert_false(holds(y, "{'a': 1}"));
}

static void test_expr_any_holds_when_some_child_holds(void **state)
{
	const char *y = "- Any:\n"
			"    - {KeyPath: a, Condition: Equals, Value: 1}\n"
			"    - {KeyPath: b, Condition: Equals, Value: 2}\n";
	assert_true(holds(y, "{'a': 0, 'b': 2}"));
	assert_true(holds(y, "{'a': 1, 'b': 2}"));
	assert_false(holds(y, "{'a': 0, 'b': 0}"));
}

static void test_expr_only_one_holds_when_exactly_one_child_holds(void **state)
{
	const char *y = "- OnlyOne:\n"
			"    - {KeyPath: a, Condition: Equals, Value: 1}\n"
			"    - {KeyPath: b, Condition: Equals, Value: 2}\n"
			"    - {KeyPath: c, Condition: Equals, Value: 3}\n";
	assert_true(holds(y, "{'b': 2}"));
	assert_false(holds(y, "{'a': 1, 'c': 3}"));
	assert_false(holds(y, "{'a': 1, 'b': 2, 'c': 3}"));
	assert_false(holds(y, "{}"));
}

static void test_expr_none_holds_when_no_child_holds(void **state)
{
	const char *y = "- None:\n"
			"    - {KeyPath: a, Condition: Equals, Value: 1}\n"
			"    - {KeyPath: b, Condition: Equals, Value: 2}\n";
	assert_true(holds(y, "{'a': 0, 'b': 0}"));
	assert_true(holds(y, "{}"));
	assert_false(holds(y, "{'b': 2}"));
}

static void test_expr_combinators_nest(void **state)
{
	const char *y = "- Any:\n"
			"    - None:\n"
			"        - {KeyPath: a, Condition: Exists}\n"
			"    - All:\n"
			"        - {KeyPath: a, Condition: Equals, Value: x}\n"
			"        - {KeyPath: b, Condition: Equals, Value: y}\n";
	assert_true(holds(y, "{}"));
	assert_true(holds(y, "{'a': 'x', 'b': 'y'}"));
	assert_false(holds(y, "{'a': 'x', 'b': 'z'}"));
}

/* ---- list conditions ---- */

#define LIST(cond, inner)                                                                  \
	"- KeyPath: items\n  Condition: " cond "\n  Expressions:\n    - " inner "\n"

static void test_expr_any_element_matches_fields_of_some_element(void **state)
{
	const char *y = LIST("AnyElement", "{KeyPath: name, Condition: Equals, Value: b}");
	assert_true(holds(y, "{'items': [{'name': 'a'}, {'name': 'b'}]}"));
	assert_false(holds(y, "{'items': [{'name': 'a'}, {'Name2': 'b'}]}"));
}

static void test_expr_all_elements_requires_every_element(void **state)
{
	const char *y = LIST("AllElements", "{KeyPath: n, Condition: IsGreaterThan, Value: 0}");
	assert_true(holds(y, "{'items': [{'n': 1}, {'n': 2}]}"));
	assert_false(holds(y, "{'items': [{'n': 1}, {'n': 0}]}"));
}

static void test_expr_only_one_element_requires_exactly_one(void **state)
{
	const char *y = LIST("OnlyOneElement", "{KeyPath: n, Condition: Equals, Value: 1}");
	assert_true(holds(y, "{'items': [{'n': 1}, {'n': 2}]}"));
	assert_false(holds(y, "{'items': [{'n': 1}, {'n': 1}]}"));
	assert_false(holds(y, "{'items': [{'n': 3}]}"));
}

static void test_expr_no_element_requires_that_none_match(void **state)
{
	const char *y = LIST("NoElement", "{KeyPath: n, Condition: Equals, Value: 1}");
	assert_true(holds(y, "{'items': [{'n': 2}, {'n': 3}]}"));
	assert_false(holds(y, "{'items': [{'n': 2}, {'n': 1}]}"));
}

static void test_expr_list_element_at_sign_is_the_scalar_element(void **state)
{
	const char *y = LIST("AnyElement", "{KeyPath: '@', Condition: StartsWith, Value: '10.'}");
	assert_true(holds(y, "{'items': ['8.8.8.8', '10.0.0.1']}"));
	assert_false(holds(y, "{'items': ['8.8.8.8', '110.0.0.1']}"));
	y = LIST("AllElements", "{KeyPath: '@', Condition: IsIPAddressPrivate}");
	assert_true(holds(y, "{'items': ['10.0.0.1', '192.168.0.1']}"));
	assert_false(holds(y, "{'items': ['10.0.0.1', '8.8.8.8']}"));
}

static void test_expr_list_element_expressions_are_all_of_them(void **state)
{
	const char *y = "- KeyPath: items\n"
			"  Condition: AnyElement\n"
			"  Expressions:\n"
			"    - {KeyPath: kind, Condition: Equals, Value: Secret}\n"
			"    - {KeyPath: name, Condition: StartsWith, Value: db-}\n";
	assert_true(holds(y, "{'items': [{'kind': 'Secret', 'name': 'x'}, "
			     "{'kind': 'Secret', 'name': 'db-pass'}]}"));
	assert_false(holds(y, "{'items': [{'kind': 'Secret', 'name': 'x'}, "
			      "{'kind': 'Pod', 'name': 'db-pass'}]}"));
}

static void test_expr_list_conditions_on_an_empty_list(void **state)
{
	const char *ev = "{'items': []}";
	assert_false(holds(LIST("AnyElement", "{Condition: AlwaysTrue}"), ev));
	assert_true(holds(LIST("AllElements", "{Condition: AlwaysFalse}"), ev));
	assert_false(holds(LIST("OnlyOneElement", "{Condition: AlwaysTrue}"), ev));
	assert_true(holds(LIST("NoElement", "{Condition: AlwaysTrue}"), ev));
}

static void test_expr_list_conditions_on_a_missing_or_non_list_key(void **state)
{
	const char *evs[] = {"{}", "{'items': 'x'}", "{'items': {'a': 1}}"};
	for (size_t i = 0; i < sizeof(evs) / sizeof(*evs); i++) {
		assert_false(holds(LIST("AnyElement", "{Condition: AlwaysTrue}"), evs[i]));
		assert_false(holds(LIST("AllElements", "{Condition: AlwaysTrue}"), evs[i]));
		assert_false(holds(LIST("OnlyOneElement", "{Condition: AlwaysTrue}"), evs[i]));
		assert_true(holds(LIST("NoElement", "{Condition: AlwaysTrue}"), evs[i]));
	}
}

/* ---- two keys ---- */

static void test_expr_two_key_equals_compares_the_two_values(void **state)
{
	const char *y = "- Condition: Equals\n"
			"  Values: [{KeyPath: a.x}, {KeyPath: b}]\n";
	assert_true(holds(y, "{'a': {'x': 'same'}, 'b': 'same'}"));
	assert_false(holds(y, "{'a': {'x': 'same'}, 'b': 'other'}"));
	assert_false(holds(y, "{'b': 'same'}"));
}

static void test_expr_two_key_negated_and_ordering_conditions(void **state)
{
	assert_true(holds("- Condition: DoesNotEqual\n  Values: [{KeyPath: a}, {KeyPath: b}]\n",
			  "{'a': 1, 'b': 2}"));
	assert_false(holds("- Condition: DoesNotEqual\n  Values: [{KeyPath: a}, {KeyPath: b}]\n",
			   "{'a': 2, 'b': 2}"));
	assert_true(holds("- Condition: IsGreaterThan\n  Values: [{KeyPath: a}, {KeyPath: b}]\n",
			  "{'a': 3, 'b': 2}"));
	assert_false(holds("- Condition: IsGreaterThan\n  Values: [{KeyPath: a}, {KeyPath: b}]\n",
			   "{'a': 2, 'b': 3}"));
	assert_true(holds("- Condition: StartsWith\n  Values: [{KeyPath: a}, {Key: b}]\n",
			  "{'a': 'prefix-rest', 'b': 'prefix'}"));
}

/* ---- key specifiers ---- */

static void test_expr_key_is_one_literal_key_even_with_dots(void **state)
{
	const char *y = "- Key: authorization.k8s.io/decision\n"
			"  Condition: Equals\n"
			"  Value: allow\n";
	assert_true(holds(y, "{'authorization.k8s.io/decision': 'allow'}"));
	assert_false(holds(y, "{'authorization': {'k8s': {'io/decision': 'allow'}}}"));
}

static void test_expr_keypath_splits_on_dots(void **state)
{
	const char *y = KV("a.b", "Equals", "nested");
	assert_true(holds(y, "{'a': {'b': 'nested'}, 'a.b': 'flat'}"));
	assert_false(holds(y, "{'a.b': 'nested'}"));
}

static void test_expr_keypath_quoted_segment_holds_dots(void **state)
{
	const char *y = "- KeyPath: 'annotations.\"authorization.k8s.io/decision\"'\n"
			"  Condition: Equals\n"
			"  Value: allow\n";
	assert_true(holds(y, "{'annotations': {'authorization.k8s.io/decision': 'allow'}}"));
}

static void test_expr_deep_key_items_are_keys_with_dots_or_indexes(void **state)
{
	const char *y = "- DeepKey: [annotations, authorization.k8s.io/decision]\n"
			"  Condition: Equals\n"
			"  Value: allow\n";
	assert_true(holds(y, "{'annotations': {'authorization.k8s.io/decision': 'allow'}}"));
	assert_true(holds(y, "{'Annotations': {'Authorization.k8s.io/Decision': 'allow'}}"));
	assert_false(holds(y, "{'annotations': {'authorization': {'k8s': 'allow'}}}"));
	y = "- DeepKey: [items, -1, name]\n"
	    "  Condition: Equals\n"
	    "  Value: last\n";
	assert_true(holds(y, "{'items': [{'name': 'first'}, {'name': 'last'}]}"));
	assert_false(holds(y, "{'items': [{'name': 'last'}, {'name': 'first'}]}"));
}

static void test_expr_p_udm_key_is_interned_and_absent_without_a_data_model(void **state)
{
	struct udm_names names = {0};
	struct expr *e;
	struct event ev;
	char path[64], err[512];

	assert_int_equal(unit_compile(compile_expr, &e, K("p_udm.username", "Exists"), &names, path,
				      sizeof(path), err, sizeof(err)),
			 0);
	assert_int_equal(names.n, 1);
	assert_int_equal(udm_find(&names, "username"), 0);
	/* the raw event's p_udm object is not the data model */
	unit_event_init(&ev, "{'p_udm': {'username': 'x'}}", "Test.Log", NULL, names.n);
	assert_false(expr_eval(e, &ev, NULL));
	event_free(&ev);
	expr_free(e);
	udm_names_free(&names);
}

/* ---- compile errors ---- */

static void test_expr_compile_error_unknown_condition_names_it_and_its_line(void **state)
{
	assert_compile_error("- KeyPath: a\n"
			     "  Condition: Equalz\n"
			     "  Value: x\n",
			     2, "unknown Condition 'Equalz'");
}

static void test_expr_compile_error_unknown_key_names_it_and_its_line(void **state)
{
	assert_compile_error("- KeyPath: a\n"
			     "  Condition: Equals\n"
			     "  Valu: x\n",
			     3, "unknown key 'Valu' in match expression");
}

static void test_expr_compile_error_missing_value_names_the_condition(void **state)
{
	assert_compile_error("- Any:\n"
			     "    - KeyPath: a\n"
			     "      Condition: Equals\n",
			     2, "Condition Equals needs one scalar Value");
}

static void test_expr_compile_error_list_value_for_scalar_condition(void **state)
{
	assert_compile_error("- KeyPath: a\n"
			     "  Condition: Contains\n"
			     "  Value: [x, y]\n",
			     1, "Condition Contains needs one scalar Value");
}

static void test_expr_compile_error_missing_condition(void **state)
{
	assert_compile_error("- KeyPath: a\n"
			     "  Value: x\n",
			     1, "match expression without Condition");
}

static void test_expr_compile_error_missing_key(void **state)
{
	assert_compile_error("- Condition: Exists\n", 1,
			     "Condition Exists needs Key, KeyPath or DeepKey");
}

static void test_expr_compile_error_two_key_specifiers(void **state)
{
	assert_compile_error("- Key: a\n"
			     "  KeyPath: b\n"
			     "  Condition: Exists\n",
			     2, "only one of Key, KeyPath, DeepKey");
}

static void test_expr_compile_error_value_for_condition_without_one(void **state)
{
	assert_compile_error("- KeyPath: a\n"
			     "  Condition: Exists\n"
			     "  Value: x\n",
			     1, "Condition Exists takes no Value");
}

static void test_expr_compile_error_is_in_needs_values(void **state)
{
	assert_compile_error("- KeyPath: a\n"
			     "  Condition: IsIn\n"
			     "  Value: x\n",
			     1, "Condition IsIn needs Values");
}

static void test_expr_compile_error_bad_cidr_is_named(void **state)
{
	assert_compile_error("- KeyPath: ip\n"
			     "  Condition: IsIPAddressInCIDR\n"
			     "  Values: [10.0.0.0/8, 10.0.0.0/33]\n",
			     3, "'10.0.0.0/33' is not a CIDR range");
}

static void test_expr_compile_error_list_condition_needs_expressions(void **state)
{
	assert_compile_error("- KeyPath: items\n"
			     "  Condition: AnyElement\n",
			     1, "Condition AnyElement needs Expressions");
}

static void test_expr_compile_error_combinator_must_be_alone(void **state)
{
	assert_compile_error("- Any:\n"
			     "    - Condition: AlwaysTrue\n"
			     "  KeyPath: a\n",
			     1, "'Any' must be the only key of its mapping");
}

static void test_expr_compile_error_always_true_takes_no_key(void **state)
{
	assert_compile_error("- KeyPath: a\n"
			     "  Condition: AlwaysTrue\n",
			     1, "AlwaysTrue takes no key and no value");
}

static void test_expr_compile_error_bad_keypath_mentions_wildcard(void **state)
{
	assert_compile_error("- Condition: Exists\n"
			     "  KeyPath: items[*].name\n",
			     2,
			     "KeyPath 'items[*].name': wildcard [*] is not supported; use "
			     "AnyElement/AllElements");
}

static void test_expr_compile_error_deep_key_over_64_steps_names_its_line(void **state)
{
	struct udm_names names = {0};
	struct expr *e;
	char path[64], err[512], yaml[512], want[96];
	size_t n = (size_t)sprintf(yaml, "- Condition: Exists\n  DeepKey: [");
	for (int i = 0; i < 65; i++)
		n += (size_t)sprintf(yaml + n, "%sk", i ? ", " : "");
	sprintf(yaml + n, "]\n");

	err[0] = '\0';
	assert_int_equal(unit_compile(compile_expr, &e, yaml, &names, path, sizeof(path), err,
				      sizeof(err)),
			 -EINVAL);
	snprintf(want, sizeof(want), "%s:2: ", path);
	if (strncmp(err, want, strlen(want)) != 0)
		fail_msg("error '%s' does not start with '%s'", err, want);
	udm_names_free(&names);
}

static void test_expr_compile_error_two_key_needs_exactly_two(void **state)
{
	assert_compile_error("- Condition: Equals\n"
			     "  Values: [{KeyPath: a}, {KeyPath: b}, {KeyPath: c}]\n",
			     2, "a two-key Equals needs Values with exactly two key specifiers");
}

static void test_expr_compile_error_expression_must_be_a_mapping(void **state)
{
	assert_compile_error("- Condition: AlwaysTrue\n"
			     "- just text\n",
			     2, "a match expression must be a mapping");
}

static void test_expr_compile_error_detection_must_be_a_list(void **state)
{
	assert_compile_error("KeyPath: a\nCondition: Exists\n", 1,
			     "expected a list of match expressions");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_expr_equals_matches_the_same_string_only),
		cmocka_unit_test(test_expr_equals_plain_number_value_matches_numbers_not_strings),
		cmocka_unit_test(test_expr_equals_quoted_value_matches_strings_not_numbers),
		cmocka_unit_test(test_expr_equals_boolean_and_null_values),
		cmocka_unit_test(test_expr_equals_looks_keys_up_case_insensitively),
		cmocka_unit_test(test_expr_does_not_equal_is_true_for_other_and_missing_values),
		cmocka_unit_test(test_expr_iequals_ignores_case_of_strings),
		cmocka_unit_test(test_expr_idoes_not_equal_negates_iequals),
		cmocka_unit_test(test_expr_contains_finds_a_case_sensitive_substring),
		cmocka_unit_test(test_expr_contains_on_non_strings_is_false),
		cmocka_unit_test(test_expr_does_not_contain_negates_contains),
		cmocka_unit_test(test_expr_icontains_ignores_case),
		cmocka_unit_test(test_expr_idoes_not_contain_negates_icontains),
		cmocka_unit_test(test_expr_starts_with_is_a_case_sensitive_prefix),
		cmocka_unit_test(test_expr_does_not_start_with_negates_starts_with),
		cmocka_unit_test(test_expr_istarts_with_ignores_case),
		cmocka_unit_test(test_expr_idoes_not_start_with_negates_istarts_with),
		cmocka_unit_test(test_expr_ends_with_is_a_case_sensitive_suffix),
		cmocka_unit_test(test_expr_does_not_end_with_negates_ends_with),
		cmocka_unit_test(test_expr_iends_with_ignores_case),
		cmocka_unit_test(test_expr_idoes_not_end_with_negates_iends_with),
		cmocka_unit_test(test_expr_is_greater_than_compares_numbers_strictly),
		cmocka_unit_test(test_expr_is_greater_than_or_equal_includes_equality),
		cmocka_unit_test(test_expr_is_less_than_compares_numbers_strictly),
		cmocka_unit_test(test_expr_is_less_than_or_equal_includes_equality),
		cmocka_unit_test(test_expr_is_in_matches_any_listed_value_exactly),
		cmocka_unit_test(test_expr_is_not_in_negates_is_in),
		cmocka_unit_test(test_expr_iis_in_ignores_case),
		cmocka_unit_test(test_expr_iis_not_in_negates_iis_in),
		cmocka_unit_test(test_expr_exists_is_true_for_present_keys),
		cmocka_unit_test(test_expr_does_not_exist_is_true_for_missing_keys),
		cmocka_unit_test(test_expr_is_null_is_true_for_null_and_missing),
		cmocka_unit_test(test_expr_is_not_null_negates_is_null),
		cmocka_unit_test(
			test_expr_is_null_or_empty_covers_null_missing_and_empty_containers),
		cmocka_unit_test(test_expr_is_not_null_or_empty_negates_is_null_or_empty),
		cmocka_unit_test(test_expr_is_ip_address_accepts_v4_and_v6_text_only),
		cmocka_unit_test(test_expr_is_not_ip_address_negates_is_ip_address),
		cmocka_unit_test(test_expr_is_ipv4_address_rejects_v6),
		cmocka_unit_test(test_expr_is_ipv6_address_rejects_v4),
		cmocka_unit_test(test_expr_is_ip_address_public_excludes_special_ranges),
		cmocka_unit_test(test_expr_is_ip_address_private_is_rfc1918_and_rfc4193),
		cmocka_unit_test(
			test_expr_is_ip_address_private_includes_ipv4_mapped_private_addresses),
		cmocka_unit_test(test_expr_is_ip_address_in_cidr_with_values),
		cmocka_unit_test(test_expr_is_ip_address_in_cidr_with_single_value),
		cmocka_unit_test(test_expr_is_ip_address_in_cidr_without_prefix_is_one_host),
		cmocka_unit_test(test_expr_is_ip_address_not_in_cidr_negates_in_cidr),
		cmocka_unit_test(test_expr_always_true_and_always_false),
		cmocka_unit_test(test_expr_top_level_list_requires_every_expression),
		cmocka_unit_test(test_expr_all_holds_when_every_child_holds),
		cmocka_unit_test(test_expr_any_holds_when_some_child_holds),
		cmocka_unit_test(test_expr_only_one_holds_when_exactly_one_child_holds),
		cmocka_unit_test(test_expr_none_holds_when_no_child_holds),
		cmocka_unit_test(test_expr_combinators_nest),
		cmocka_unit_test(test_expr_any_element_matches_fields_of_some_element),
		cmocka_unit_test(test_expr_all_elements_requires_every_element),
		cmocka_unit_test(test_expr_only_one_element_requires_exactly_one),
		cmocka_unit_test(test_expr_no_element_requires_that_none_match),
		cmocka_unit_test(test_expr_list_element_at_sign_is_the_scalar_element),
		cmocka_unit_test(test_expr_list_element_expressions_are_all_of_them),
		cmocka_unit_test(test_expr_list_conditions_on_an_empty_list),
		cmocka_unit_test(test_expr_list_conditions_on_a_missing_or_non_list_key),
		cmocka_unit_test(test_expr_two_key_equals_compares_the_two_values),
		cmocka_unit_test(test_expr_two_key_negated_and_ordering_conditions),
		cmocka_unit_test(test_expr_key_is_one_literal_key_even_with_dots),
		cmocka_unit_test(test_expr_keypath_splits_on_dots),
		cmocka_unit_test(test_expr_keypath_quoted_segment_holds_dots),
		cmocka_unit_test(test_expr_deep_key_items_are_keys_with_dots_or_indexes),
		cmocka_unit_test(test_expr_p_udm_key_is_interned_and_absent_without_a_data_model),
		cmocka_unit_test(test_expr_compile_error_unknown_condition_names_it_and_its_line),
		cmocka_unit_test(test_expr_compile_error_unknown_key_names_it_and_its_line),
		cmocka_unit_test(test_expr_compile_error_missing_value_names_the_condition),
		cmocka_unit_test(test_expr_compile_error_list_value_for_scalar_condition),
		cmocka_unit_test(test_expr_compile_error_missing_condition),
		cmocka_unit_test(test_expr_compile_error_missing_key),
		cmocka_unit_test(test_expr_compile_error_two_key_specifiers),
		cmocka_unit_test(test_expr_compile_error_value_for_condition_without_one),
		cmocka_unit_test(test_expr_compile_error_is_in_needs_values),
		cmocka_unit_test(test_expr_compile_error_bad_cidr_is_named),
		cmocka_unit_test(test_expr_compile_error_list_condition_needs_expressions),
		cmocka_unit_test(test_expr_compile_error_combinator_must_be_alone),
		cmocka_unit_test(test_expr_compile_error_always_true_takes_no_key),
		cmocka_unit_test(test_expr_compile_error_bad_keypath_mentions_wildcard),
		cmocka_unit_test(test_expr_compile_error_deep_key_over_64_steps_names_its_line),
		cmocka_unit_test(test_expr_compile_error_two_key_needs_exactly_two),
		cmocka_unit_test(test_expr_compile_error_expression_must_be_a_mapping),
		cmocka_unit_test(test_expr_compile_error_detection_must_be_a_list),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
