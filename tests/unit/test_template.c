/* template: literal text, {KeyPath} holes printed as Python's str(), {KeyPath|default} for
 * falsy values, {{ }} escapes and the compile errors. Events use ' for ". */
#include "unit.h"

#include <errno.h>

#include "event.h"
#include "template.h"
#include "udm.h"

/* Render template text for the event js and compare with want. */
static void assert_renders(const char *text, const char *js, const char *want)
{
	struct udm_names names = {0};
	struct tmpl *t;
	struct event ev;
	struct sbuf out;
	char err[256];

	if (tmpl_compile(&t, text, &names, err, sizeof(err)))
		fail_msg("template '%s' did not compile: %s", text, err);
	assert_string_equal(tmpl_text(t), text);
	unit_event_init(&ev, js, "Test.Log", NULL, names.n);
	sbuf_init(&out, 0);
	assert_int_equal(tmpl_render(t, &ev, &out), 0);
	assert_string_equal(sbuf_cstr(&out), want);
	sbuf_free(&out);
	event_free(&ev);
	tmpl_free(t);
	udm_names_free(&names);
}

/* text must not compile; the error must contain want. */
static void assert_compile_error(const char *text, const char *want)
{
	struct udm_names names = {0};
	struct tmpl *t = (struct tmpl *)1;
	char err[256] = "";

	assert_int_equal(tmpl_compile(&t, text, &names, err, sizeof(err)), -EINVAL);
	assert_null(t);
	if (!strstr(err, want))
		fail_msg("error for '%s' is '%s', expected it to contain '%s'", text, err, want);
	udm_names_free(&names);
}

static void test_template_literal_text_renders_as_written(void **state)
{
	assert_renders("Anonymous access detected", "{}", "Anonymous access detected");
	assert_renders("", "{}", "");
}

static void test_template_hole_renders_the_value_at_its_keypath(void **state)
{
	assert_renders("from [{a.b}] to [{uri}]", "{'a': {'b': '8.8.8.8'}, 'uri': '/api'}",
		       "from [8.8.8.8] to [/api]");
}

static void test_template_hole_looks_keys_up_case_insensitively_and_by_index(void **state)
{
	assert_renders("{SourceIPs[0]}/{sourceips[-1]}", "{'sourceIPs': ['1.1.1.1', '2.2.2.2']}",
		       "1.1.1.1/2.2.2.2");
}

static void test_template_hole_prints_values_as_python_str(void **state)
{
	assert_renders("{n} {f} {t} {b} {z}", "{'n': 200, 'f': 0.1, 't': true, 'b': false, 'z': 0}",
		       "200 0.1 True False 0");
	assert_renders("{l}|{o}", "{'l': [1, 'a'], 'o': {'k': null}}",
		       "[1,\"a\"]|{\"k\":null}");
}

static void test_template_null_renders_none(void **state)
{
	assert_renders("user={u}", "{'u': null}", "user=None");
}

static void test_template_missing_value_without_default_renders_nothing(void **state)
{
	assert_renders("user=[{u}]", "{}", "user=[]");
}

static void test_template_default_replaces_every_falsy_value(void **state)
{
	const char *t = "[{v|<UNKNOWN>}]";
	assert_renders(t, "{}", "[<UNKNOWN>]");
	assert_renders(t, "{'v': null}", "[<UNKNOWN>]");
	assert_renders(t, "{'v': ''}", "[<UNKNOWN>]");
	assert_renders(t, "{'v': 0}", "[<UNKNOWN>]");
	assert_renders(t, "{'v': []}", "[<UNKNOWN>]");
	assert_renders(t, "{'v': {}}", "[<UNKNOWN>]");
	assert_renders(t, "{'v': false}", "[<UNKNOWN>]");
}

static void test_template_default_leaves_truthy_values(void **state)
{
	const char *t = "[{v|<UNKNOWN>}]";
	assert_renders(t, "{'v': 'x'}", "[x]");
	assert_renders(t, "{'v': ' '}", "[ ]");
	assert_renders(t, "{'v': 7}", "[7]");
	assert_renders(t, "{'v': true}", "[True]");
	assert_renders(t, "{'v': ['a']}", "[[\"a\"]]");
	assert_renders(t, "{'v': '0'}", "[0]");
}

static void test_template_empty_default_renders_nothing_for_falsy(void **state)
{
	assert_renders("/apis/{r|}", "{}", "/apis/");
	assert_renders("/apis/{r|}", "{'r': 'core/v1/pods'}", "/apis/core/v1/pods");
}

static void test_template_default_may_hold_spaces_and_punctuation(void **state)
{
	assert_renders("{ua|no agent: (none)}", "{}", "no agent: (none)");
}

static void test_template_double_braces_are_literal_braces(void **state)
{
	assert_renders("{{literal}} {{{v}}}", "{'v': 'x'}", "{literal} {x}");
	assert_renders("}}{{", "{}", "}{");
}

static void test_template_unmatched_closing_brace_is_an_error(void **state)
{
	assert_compile_error("a } b", "unmatched '}'");
	assert_compile_error("{v}}", "unmatched '}'");
}

static void test_template_unterminated_opening_brace_is_an_error(void **state)
{
	assert_compile_error("title {v", "unterminated '{'");
	assert_compile_error("{", "unterminated '{'");
}

static void test_template_empty_or_bad_keypath_is_an_error(void **state)
{
	assert_compile_error("x {} y", "empty KeyPath");
	assert_compile_error("{a..b}", "empty key after '.'");
	assert_compile_error("{items[*]}", "wildcard");
}

static void test_template_p_udm_hole_interns_the_field_name(void **state)
{
	struct udm_names names = {0};
	struct tmpl *t;
	char err[256];
	assert_int_equal(tmpl_compile(&t, "{p_udm.sourceIPs[0]} {p_udm.requestURI|-}", &names, err,
				      sizeof(err)),
			 0);
	assert_int_equal(names.n, 2);
	assert_int_equal(udm_find(&names, "sourceIPs"), 0);
	assert_int_equal(udm_find(&names, "requestURI"), 1);
	tmpl_free(t);
	udm_names_free(&names);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_template_literal_text_renders_as_written),
		cmocka_unit_test(test_template_hole_renders_the_value_at_its_keypath),
		cmocka_unit_test(test_template_hole_looks_keys_up_case_insensitively_and_by_index),
		cmocka_unit_test(test_template_hole_prints_values_as_python_str),
		cmocka_unit_test(test_template_null_renders_none),
		cmocka_unit_test(test_template_missing_value_without_default_renders_nothing),
		cmocka_unit_test(test_template_default_replaces_every_falsy_value),
		cmocka_unit_test(test_template_default_leaves_truthy_values),
		cmocka_unit_test(test_template_empty_default_renders_nothing_for_falsy),
		cmocka_unit_test(test_template_default_may_hold_spaces_and_punctuation),
		cmocka_unit_test(test_template_double_braces_are_literal_braces),
		cmocka_unit_test(test_template_unmatched_closing_brace_is_an_error),
		cmocka_unit_test(test_template_unterminated_opening_brace_is_an_error),
		cmocka_unit_test(test_template_empty_or_bad_keypath_is_an_error),
		cmocka_unit_test(test_template_p_udm_hole_interns_the_field_name),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
