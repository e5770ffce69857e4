/* event: key specifiers (raw paths and p_udm.FIELD references), resolving them against an
 * event or a list element, and values kept alive for the event's lifetime. */
#include "unit.h"

#include <errno.h>

#include "event.h"
#include "udm.h"

static void test_event_ref_raw_path_has_no_udm_id(void **state)
{
	struct udm_names names = {0};
	struct ref r;
	char err[128];
	assert_int_equal(ref_compile(&r, "user.username", &names, err, sizeof(err)), 0);
	assert_int_equal(r.udm, -1);
	assert_int_equal(r.kp.n, 2);
	assert_int_equal(names.n, 0);
	ref_free(&r);
	udm_names_free(&names);
}

static void test_event_ref_p_udm_path_interns_its_field(void **state)
{
	struct udm_names names = {0};
	struct ref a, b;
	char err[128];
	assert_int_equal(udm_intern(&names, "first"), 0);
	assert_int_equal(ref_compile(&a, "p_udm.sourceIPs[0]", &names, err, sizeof(err)), 0);
	assert_int_equal(a.udm, 1);
	assert_int_equal(ref_compile(&b, "p_udm.sourceIPs", &names, err, sizeof(err)), 0);
	assert_int_equal(b.udm, 1);
	assert_int_equal(names.n, 2);
	ref_free(&a);
	ref_free(&b);
	udm_names_free(&names);
}

static void test_event_ref_p_udm_without_a_field_name_is_a_raw_path(void **state)
{
	struct udm_names names = {0};
	struct ref r;
	char err[128];
	assert_int_equal(ref_compile(&r, "p_udm", &names, err, sizeof(err)), 0);
	assert_int_equal(r.udm, -1);
	ref_free(&r);
	assert_int_equal(ref_compile(&r, "p_udm[0]", &names, err, sizeof(err)), 0);
	assert_int_equal(r.udm, -1);
	ref_free(&r);
	assert_int_equal(names.n, 0);
	udm_names_free(&names);
}

static void test_event_ref_compile_error_is_the_keypath_error(void **state)
{
	struct udm_names names = {0};
	struct ref r;
	char err[128] = "";
	assert_int_equal(ref_compile(&r, "a..b", &names, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "KeyPath 'a..b': empty key after '.'");
	assert_int_equal(r.udm, -1);
	udm_names_free(&names);
}

static void test_event_ref_resolves_case_insensitively_from_the_root(void **state)
{
	struct udm_names names = {0};
	struct ref r;
	struct event ev;
	char err[128];
	assert_int_equal(ref_compile(&r, "user.groups[-1]", &names, err, sizeof(err)), 0);
	unit_event_init(&ev, "{'User': {'Groups': ['a', 'b']}}", "L", NULL, names.n);
	const cJSON *v = event_ref(&ev, &r, NULL);
	assert_non_null(v);
	assert_string_equal(v->valuestring, "b");
	event_free(&ev);
	ref_free(&r);
	udm_names_free(&names);
}

static void test_event_ref_with_an_element_resolves_from_the_element(void **state)
{
	struct udm_names names = {0};
	struct ref r;
	struct event ev;
	char err[128];
	assert_int_equal(ref_compile(&r, "name", &names, err, sizeof(err)), 0);
	unit_event_init(&ev, "{'name': 'root', 'l': [{'name': 'elem'}]}", "L", NULL, names.n);
	const cJSON *elem = cJSON_GetArrayItem(cJSON_GetObjectItem(ev.root, "l"), 0);
	assert_string_equal(event_ref(&ev, &r, elem)->valuestring, "elem");
	assert_string_equal(event_ref(&ev, &r, NULL)->valuestring, "root");
	event_free(&ev);
	ref_free(&r);
	udm_names_free(&names);
}

static void test_event_udm_without_a_data_model_is_absent(void **state)
{
	struct udm_names names = {0};
	struct ref r;
	struct event ev;
	char err[128];
	assert_int_equal(ref_compile(&r, "p_udm.username", &names, err, sizeof(err)), 0);
	unit_event_init(&ev, "{'p_udm': {'username': 'x'}}", "L", NULL, names.n);
	assert_null(event_ref(&ev, &r, NULL));
	assert_null(event_udm(&ev, 0));
	assert_null(event_udm(&ev, -1));
	assert_null(event_udm(&ev, 5));
	event_free(&ev);
	ref_free(&r);
	udm_names_free(&names);
}

static void test_event_keep_holds_values_until_event_free(void **state)
{
	struct event ev;
	unit_event_init(&ev, "{}", "L", NULL, 0);
	const cJSON *a = event_keep(&ev, cJSON_CreateString("kept"));
	const cJSON *b = event_keep(&ev, cJSON_CreateNumber(3));
	assert_non_null(a);
	assert_string_equal(a->valuestring, "kept");
	assert_int_equal(b->valueint, 3);
	assert_null(event_keep(&ev, NULL));
	assert_int_equal(cJSON_GetArraySize(ev.scratch), 2);
	event_free(&ev);
	assert_null(ev.root);
	assert_null(ev.scratch);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_event_ref_raw_path_has_no_udm_id),
		cmocka_unit_test(test_event_ref_p_udm_path_interns_its_field),
		cmocka_unit_test(test_event_ref_p_udm_without_a_field_name_is_a_raw_path),
		cmocka_unit_test(test_event_ref_compile_error_is_the_keypath_error),
		cmocka_unit_test(test_event_ref_resolves_case_insensitively_from_the_root),
		cmocka_unit_test(test_event_ref_with_an_element_resolves_from_the_element),
		cmocka_unit_test(test_event_udm_without_a_data_model_is_absent),
		cmocka_unit_test(test_event_keep_holds_values_until_event_free),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
