/* bytesearch: the SIMD substring search finds exactly what memmem finds, at every position
 * (the 16-byte blocks, their edges and the scalar tail), for needles of every length. */
#include "unit.h"

#include <stdlib.h>

#include "bytesearch.h"

static void test_bytes_find_empty_and_oversized_needles(void **state)
{
	const char *h = "abc";
	assert_ptr_equal(bytes_find(h, 3, "", 0), h);
	assert_null(bytes_find(h, 3, "abcd", 4));
	assert_null(bytes_find(h, 0, "a", 1));
	assert_ptr_equal(bytes_find(h, 3, "c", 1), h + 2);
}

static void test_bytes_find_the_first_occurrence(void **state)
{
	const char *h = "xx system:anonymous yy system:anonymous";
	assert_ptr_equal(bytes_find(h, strlen(h), "system:anonymous", 16), h + 3);
	assert_null(bytes_find(h, strlen(h), "system:anonymouz", 16));
}

static void test_bytes_find_needle_at_every_position_of_a_long_line(void **state)
{
	char hay[200];
	const char *needle = "system:anonymous";
	size_t k = strlen(needle);
	for (size_t at = 0; at + k <= sizeof(hay); at++) {
		memset(hay, 's', sizeof(hay)); /* the first and last byte everywhere: many candidates */
		memcpy(hay + at, needle, k);
		assert_ptr_equal(bytes_find(hay, sizeof(hay), needle, k), hay + at);
		/* cut just before its end: not found */
		assert_null(bytes_find(hay, at + k - 1, needle, k));
	}
}

static void test_bytes_find_agrees_with_memmem_on_random_input(void **state)
{
	unsigned seed = 12345;
	char hay[300], needle[24];
	for (int round = 0; round < 20000; round++) {
		seed = seed * 1103515245u + 12345u;
		size_t n = (seed >> 8) % sizeof(hay);
		seed = seed * 1103515245u + 12345u;
		size_t k = 2 + (seed >> 8) % (sizeof(needle) - 2);
		for (size_t i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			hay[i] = "ab\\u"[(seed >> 16) % 4];
		}
		for (size_t i = 0; i < k; i++) {
			seed = seed * 1103515245u + 12345u;
			needle[i] = "ab\\u"[(seed >> 16) % 4];
		}
		const char *want = memmem(hay, n, needle, k);
		assert_ptr_equal(bytes_find(hay, n, needle, k), want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bytes_find_empty_and_oversized_needles),
		cmocka_unit_test(test_bytes_find_the_first_occurrence),
		cmocka_unit_test(test_bytes_find_needle_at_every_position_of_a_long_line),
		cmocka_unit_test(test_bytes_find_agrees_with_memmem_on_random_input),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
