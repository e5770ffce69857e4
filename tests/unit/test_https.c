/* https: the Retry-After header's two forms (RFC 9110 10.2.3). Delivery itself is driven
 * against a real TLS collector in tests/integration/test_https.sh. */
#include "unit.h"

#include "https.h"

#define NOW 1715677200 /* Tue, 14 May 2024 09:00:00 GMT */

static void test_https_retry_after_delay_seconds(void **state)
{
	assert_int_equal(https_retry_after_ms("0", NOW), 0);
	assert_int_equal(https_retry_after_ms("2", NOW), 2000);
	assert_int_equal(https_retry_after_ms("120", NOW), 120000);
}

static void test_https_retry_after_white_space_and_the_line_end_are_allowed(void **state)
{
	assert_int_equal(https_retry_after_ms(" 7\r\n", NOW), 7000);
	assert_int_equal(https_retry_after_ms("\t7 ", NOW), 7000);
	assert_int_equal(https_retry_after_ms(" Tue, 14 May 2024 09:00:30 GMT\r\n", NOW), 30000);
}

static void test_https_retry_after_http_date_is_the_wait_until_then(void **state)
{
	/* the preferred form and the two obsolete ones RFC 9110 says a recipient must accept */
	assert_int_equal(https_retry_after_ms("Tue, 14 May 2024 09:01:00 GMT", NOW), 60000);
	assert_int_equal(https_retry_after_ms("Tuesday, 14-May-24 09:01:00 GMT", NOW), 60000);
	assert_int_equal(https_retry_after_ms("Tue May 14 09:01:00 2024", NOW), 60000);
}

static void test_https_retry_after_date_in_the_past_is_no_wait(void **state)
{
	assert_int_equal(https_retry_after_ms("Tue, 14 May 2024 08:59:59 GMT", NOW), 0);
	assert_int_equal(https_retry_after_ms("Thu, 01 Jan 1970 00:00:00 GMT", NOW), 0);
	assert_int_equal(https_retry_after_ms("Tue, 14 May 2024 09:00:00 GMT", NOW), 0);
}

static void test_https_retry_after_is_capped_at_an_hour(void **state)
{
	long cap = HTTPS_MAX_RETRY_AFTER_S * 1000L;
	assert_int_equal(https_retry_after_ms("3600", NOW), cap);
	assert_int_equal(https_retry_after_ms("3601", NOW), cap);
	assert_int_equal(https_retry_after_ms("99999999999999999999999999", NOW), cap);
	assert_int_equal(https_retry_after_ms("Wed, 15 May 2024 09:00:00 GMT", NOW), cap);
	assert_int_equal(https_retry_after_ms("Tue, 14 May 2024 09:59:59 GMT", NOW), 3599000);
}

static void test_https_retry_after_neither_form_is_minus_one(void **state)
{
	const char *bad[] = {
		"", "   ", "\r\n", "-5", "+5", "5s", "5 5", "1.5", "soon", "0x10",
		"Tue, 14 Foo 2024 09:00:00 GMT",
		/* longer than any date: not read */
		"Tue, 14 May 2024 09:00:00 GMT Tue, 14 May 2024 09:00:00 GMT Tue, 14 May",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		long ms = https_retry_after_ms(bad[i], NOW);
		if (ms != -1)
			fail_msg("\"%s\": %ld ms, want -1", bad[i], ms);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_https_retry_after_delay_seconds),
		cmocka_unit_test(test_https_retry_after_white_space_and_the_line_end_are_allowed),
		cmocka_unit_test(test_https_retry_after_http_date_is_the_wait_until_then),
		cmocka_unit_test(test_https_retry_after_date_in_the_past_is_no_wait),
		cmocka_unit_test(test_https_retry_after_is_capped_at_an_hour),
		cmocka_unit_test(test_https_retry_after_neither_form_is_minus_one),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
