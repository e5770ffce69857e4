/* udm: the shared table of unified field names, each with a stable small id. */
#include "unit.h"

#include "udm.h"

static void test_udm_intern_gives_sequential_ids_to_new_names(void **state)
{
	struct udm_names t = {0};
	assert_int_equal(udm_intern(&t, "username"), 0);
	assert_int_equal(udm_intern(&t, "sourceIPs"), 1);
	assert_int_equal(udm_intern(&t, "requestURI"), 2);
	assert_int_equal(t.n, 3);
	assert_string_equal(t.names[1], "sourceIPs");
	udm_names_free(&t);
}

static void test_udm_intern_returns_the_existing_id_for_a_known_name(void **state)
{
	struct udm_names t = {0};
	assert_int_equal(udm_intern(&t, "a"), 0);
	assert_int_equal(udm_intern(&t, "b"), 1);
	assert_int_equal(udm_intern(&t, "a"), 0);
	assert_int_equal(t.n, 2);
	udm_names_free(&t);
}

static void test_udm_names_are_case_sensitive(void **state)
{
	struct udm_names t = {0};
	assert_int_equal(udm_intern(&t, "username"), 0);
	assert_int_equal(udm_intern(&t, "userName"), 1);
	assert_int_equal(udm_find(&t, "USERNAME"), -1);
	udm_names_free(&t);
}

static void test_udm_find_does_not_add_names(void **state)
{
	struct udm_names t = {0};
	assert_int_equal(udm_find(&t, "x"), -1);
	assert_int_equal(t.n, 0);
	assert_int_equal(udm_intern(&t, "x"), 0);
	assert_int_equal(udm_find(&t, "x"), 0);
	udm_names_free(&t);
}

static void test_udm_names_free_empties_the_table(void **state)
{
	struct udm_names t = {0};
	assert_int_equal(udm_intern(&t, "x"), 0);
	udm_names_free(&t);
	assert_int_equal(t.n, 0);
	assert_null(t.names);
	assert_int_equal(udm_intern(&t, "y"), 0);
	udm_names_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_udm_intern_gives_sequential_ids_to_new_names),
		cmocka_unit_test(test_udm_intern_returns_the_existing_id_for_a_known_name),
		cmocka_unit_test(test_udm_names_are_case_sensitive),
		cmocka_unit_test(test_udm_find_does_not_add_names),
		cmocka_unit_test(test_udm_names_free_empties_the_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
