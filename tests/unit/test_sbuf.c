/* sbuf: appends, printf, the hard size cap and handing the buffer over. */
#include "unit.h"

#include <errno.h>
#include <stdlib.h>

#include "sbuf.h"

static void test_sbuf_new_buffer_reads_as_empty_string(void **state)
{
	struct sbuf s;
	sbuf_init(&s, 0);
	assert_int_equal(s.len, 0);
	assert_string_equal(sbuf_cstr(&s), "");
	assert_false(s.overflow);
	assert_int_equal(s.limit, SBUF_DEFAULT_LIMIT);
	sbuf_free(&s);
}

static void test_sbuf_append_puts_putc_concatenate_in_order(void **state)
{
	struct sbuf s;
	sbuf_init(&s, 0);
	assert_int_equal(sbuf_append(&s, "abcdef", 3), 0);
	assert_int_equal(sbuf_puts(&s, "-xy-"), 0);
	assert_int_equal(sbuf_putc(&s, 'z'), 0);
	assert_string_equal(sbuf_cstr(&s), "abc-xy-z");
	assert_int_equal(s.len, 8);
	sbuf_free(&s);
}

static void test_sbuf_append_keeps_embedded_bytes_and_grows_past_first_allocation(void **state)
{
	struct sbuf s;
	char big[1000];
	sbuf_init(&s, 0);
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)('a' + i % 26);
	for (int i = 0; i < 5; i++)
		assert_int_equal(sbuf_append(&s, big, sizeof(big)), 0);
	assert_int_equal(s.len, 5000);
	assert_true(s.cap > 5000);
	assert_memory_equal(s.buf + 4000, big, sizeof(big));
	assert_int_equal(s.buf[5000], '\0');
	sbuf_free(&s);
}

static void test_sbuf_printf_formats_short_text(void **state)
{
	struct sbuf s;
	sbuf_init(&s, 0);
	assert_int_equal(sbuf_puts(&s, "n="), 0);
	assert_int_equal(sbuf_printf(&s, "%d/%s/%03x", 42, "ok", 10), 0);
	assert_string_equal(sbuf_cstr(&s), "n=42/ok/00a");
	assert_int_equal(s.len, 11);
	sbuf_free(&s);
}

static void test_sbuf_printf_formats_text_longer_than_its_stack_buffer(void **state)
{
	struct sbuf s;
	char want[601];
	memset(want, 'q', 600);
	want[600] = '\0';
	sbuf_init(&s, 0);
	assert_int_equal(sbuf_puts(&s, ">"), 0);
	assert_int_equal(sbuf_printf(&s, "%s<%d", want, 7), 0);
	assert_int_equal(s.len, 1 + 600 + 2);
	assert_int_equal(strncmp(sbuf_cstr(&s), ">qqq", 4), 0);
	assert_string_equal(sbuf_cstr(&s) + 601, "<7");
	sbuf_free(&s);
}

static void test_sbuf_limit_allows_exactly_limit_bytes(void **state)
{
	struct sbuf s;
	sbuf_init(&s, 8);
	assert_int_equal(sbuf_puts(&s, "12345678"), 0);
	assert_string_equal(sbuf_cstr(&s), "12345678");
	assert_false(s.overflow);
	sbuf_free(&s);
}

static void test_sbuf_limit_refuses_growth_and_sets_overflow(void **state)
{
	struct sbuf s;
	sbuf_init(&s, 8);
	assert_int_equal(sbuf_puts(&s, "12345"), 0);
	assert_int_equal(sbuf_puts(&s, "6789"), -ENOMEM);
	assert_true(s.overflow);
	/* the refused append left the contents as they were */
	assert_string_equal(sbuf_cstr(&s), "12345");
	assert_int_equal(s.len, 5);
	assert_int_equal(sbuf_putc(&s, 'x'), 0);
	assert_string_equal(sbuf_cstr(&s), "12345x");
	sbuf_free(&s);
}

static void test_sbuf_limit_refuses_long_printf_and_sets_overflow(void **state)
{
	struct sbuf s;
	sbuf_init(&s, 300);
	assert_int_equal(sbuf_printf(&s, "%0400d", 1), -ENOMEM);
	assert_true(s.overflow);
	assert_int_equal(s.len, 0);
	assert_string_equal(sbuf_cstr(&s), "");
	sbuf_free(&s);
}

static void test_sbuf_reset_empties_and_clears_overflow(void **state)
{
	struct sbuf s;
	sbuf_init(&s, 4);
	assert_int_equal(sbuf_puts(&s, "abcd"), 0);
	assert_int_equal(sbuf_putc(&s, 'e'), -ENOMEM);
	assert_true(s.overflow);
	sbuf_reset(&s);
	assert_false(s.overflow);
	assert_int_equal(s.len, 0);
	assert_string_equal(sbuf_cstr(&s), "");
	assert_int_equal(sbuf_puts(&s, "wxyz"), 0);
	assert_string_equal(sbuf_cstr(&s), "wxyz");
	sbuf_free(&s);
}

static void test_sbuf_take_hands_over_contents_and_leaves_sbuf_empty(void **state)
{
	struct sbuf s;
	sbuf_init(&s, 0);
	assert_int_equal(sbuf_puts(&s, "owned"), 0);
	char *p = sbuf_take(&s);
	assert_string_equal(p, "owned");
	assert_null(s.buf);
	assert_int_equal(s.len, 0);
	assert_int_equal(s.cap, 0);
	assert_string_equal(sbuf_cstr(&s), "");
	/* the sbuf is reusable and independent of the taken buffer */
	assert_int_equal(sbuf_puts(&s, "again"), 0);
	assert_string_equal(p, "owned");
	assert_string_equal(sbuf_cstr(&s), "again");
	free(p);
	sbuf_free(&s);
}

static void test_sbuf_take_of_empty_sbuf_returns_allocated_empty_string(void **state)
{
	struct sbuf s;
	sbuf_init(&s, 0);
	char *p = sbuf_take(&s);
	assert_non_null(p);
	assert_string_equal(p, "");
	free(p);
	sbuf_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sbuf_new_buffer_reads_as_empty_string),
		cmocka_unit_test(test_sbuf_append_puts_putc_concatenate_in_order),
		cmocka_unit_test(
			test_sbuf_append_keeps_embedded_bytes_and_grows_past_first_allocation),
		cmocka_unit_test(test_sbuf_printf_formats_short_text),
		cmocka_unit_test(test_sbuf_printf_formats_text_longer_than_its_stack_buffer),
		cmocka_unit_test(test_sbuf_limit_allows_exactly_limit_bytes),
		cmocka_unit_test(test_sbuf_limit_refuses_growth_and_sets_overflow),
		cmocka_unit_test(test_sbuf_limit_refuses_long_printf_and_sets_overflow),
		cmocka_unit_test(test_sbuf_reset_empties_and_clears_overflow),
		cmocka_unit_test(test_sbuf_take_hands_over_contents_and_leaves_sbuf_empty),
		cmocka_unit_test(test_sbuf_take_of_empty_sbuf_returns_allocated_empty_string),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
