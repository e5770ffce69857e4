/* eventtime: audit timestamps to microseconds since the epoch and back to RFC 3339. */
#include "unit.h"

#include <errno.h>

#include "eventtime.h"

/* 2024-11-13T18:34:10.595141Z */
#define T_2024 INT64_C(1731522850595141)

static int64_t parsed(const char *s)
{
	int64_t us = -1;
	if (eventtime_parse(s, &us) != 0)
		fail_msg("'%s' did not parse", s);
	return us;
}

static void assert_rejected(const char *s)
{
	int64_t us = 42;
	if (eventtime_parse(s, &us) != -EINVAL)
		fail_msg("'%s' parsed as %lld", s ? s : "(null)", (long long)us);
}

static void assert_formats(int64_t us, const char *want)
{
	char buf[64];
	eventtime_format(us, buf, sizeof(buf));
	assert_string_equal(buf, want);
}

static void test_eventtime_parses_rfc3339_utc(void **state)
{
	assert_int_equal(parsed("2024-11-13T18:34:10.595141Z"), T_2024);
	assert_int_equal(parsed("2024-11-13t18:34:10.595141z"), T_2024);
}

static void test_eventtime_parses_positive_and_negative_offsets(void **state)
{
	assert_int_equal(parsed("2024-11-13T20:34:10.595141+02:00"), T_2024);
	assert_int_equal(parsed("2024-11-13T13:04:10.595141-05:30"), T_2024);
	assert_int_equal(parsed("2024-11-13T18:34:10.595141+00:00"), T_2024);
}

static void test_eventtime_offset_crosses_midnight_and_year(void **state)
{
	assert_int_equal(parsed("2025-01-01T01:00:00+02:00"), parsed("2024-12-31T23:00:00Z"));
}

static void test_eventtime_parses_space_separator_without_zone_as_utc(void **state)
{
	assert_int_equal(parsed("2022-11-29 00:09:04.38"), INT64_C(1669680544380000));
}

static void test_eventtime_fraction_scales_to_microseconds(void **state)
{
	assert_int_equal(parsed("2024-11-13T18:34:10.5Z") % 1000000, 500000);
	assert_int_equal(parsed("2024-11-13T18:34:10.000001Z") % 1000000, 1);
	assert_int_equal(parsed("2024-11-13T18:34:10Z") % 1000000, 0);
}

static void test_eventtime_nanoseconds_are_truncated_to_microseconds(void **state)
{
	assert_int_equal(parsed("2024-11-13T18:34:10.595141999Z"), T_2024);
	assert_int_equal(parsed("2024-11-13T18:34:10.595141500+00:00"), T_2024);
}

static void test_eventtime_leap_day_and_epoch(void **state)
{
	assert_int_equal(parsed("2000-02-29T23:59:59Z"), INT64_C(951868799000000));
	assert_int_equal(parsed("1970-01-01T00:00:00Z"), 0);
	assert_int_equal(parsed("1969-12-31T23:59:59.5Z"), -500000);
}

static void test_eventtime_rejects_malformed_text(void **state)
{
	assert_rejected(NULL);
	assert_rejected("");
	assert_rejected("not a time");
	assert_rejected("2024-11-13");
	assert_rejected("2024-11-13T18:34Z");
	assert_rejected("24-11-13T18:34:10Z");
	assert_rejected("2024-11-13X18:34:10Z");
	assert_rejected("2024/11/13T18:34:10Z");
	assert_rejected("2024-11-13T18:34:10.Z");
	assert_rejected("2024-11-13T18:34:10Zjunk");
	assert_rejected("2024-11-13T18:34:10+2:00");
	assert_rejected("2024-11-13T18:34:10 ");
}

static void test_eventtime_rejects_out_of_range_fields(void **state)
{
	assert_rejected("2024-13-01T00:00:00Z");
	assert_rejected("2024-00-10T00:00:00Z");
	assert_rejected("2024-11-00T00:00:00Z");
	assert_rejected("2024-11-32T00:00:00Z");
	assert_rejected("2024-11-13T24:00:00Z");
	assert_rejected("2024-11-13T18:60:00Z");
	assert_rejected("2024-11-13T18:34:61Z");
}

static void test_eventtime_rejects_out_of_range_offsets(void **state)
{
	assert_rejected("2024-11-13T18:34:10+24:00");
	assert_rejected("2024-11-13T18:34:10-99:00");
	assert_rejected("2024-11-13T18:34:10+02:60");
}

static void test_eventtime_rejects_day_beyond_end_of_month(void **state)
{
	assert_rejected("2023-02-29T00:00:00Z");
	assert_rejected("2024-02-30T00:00:00Z");
	assert_rejected("2024-04-31T00:00:00Z");
}

static void test_eventtime_format_is_rfc3339_utc_with_microseconds(void **state)
{
	assert_formats(T_2024, "2024-11-13T18:34:10.595141Z");
	assert_formats(0, "1970-01-01T00:00:00.000000Z");
	assert_formats(INT64_C(1669680544380000), "2022-11-29T00:09:04.380000Z");
}

static void test_eventtime_format_before_the_epoch(void **state)
{
	assert_formats(-500000, "1969-12-31T23:59:59.500000Z");
	assert_formats(-1, "1969-12-31T23:59:59.999999Z");
}

static void test_eventtime_format_and_parse_round_trip(void **state)
{
	const int64_t values[] = {0, 1, T_2024, INT64_C(951868799000000), -1, -500000,
				  INT64_C(4102444799999999)};
	char buf[64];
	for (size_t i = 0; i < sizeof(values) / sizeof(*values); i++) {
		eventtime_format(values[i], buf, sizeof(buf));
		assert_int_equal(parsed(buf), values[i]);
	}
	eventtime_format(parsed("2024-11-13T20:34:10.595141999+02:00"), buf, sizeof(buf));
	assert_string_equal(buf, "2024-11-13T18:34:10.595141Z");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_eventtime_parses_rfc3339_utc),
		cmocka_unit_test(test_eventtime_parses_positive_and_negative_offsets),
		cmocka_unit_test(test_eventtime_offset_crosses_midnight_and_year),
		cmocka_unit_test(test_eventtime_parses_space_separator_without_zone_as_utc),
		cmocka_unit_test(test_eventtime_fraction_scales_to_microseconds),
		cmocka_unit_test(test_eventtime_nanoseconds_are_truncated_to_microseconds),
		cmocka_unit_test(test_eventtime_leap_day_and_epoch),
		cmocka_unit_test(test_eventtime_rejects_malformed_text),
		cmocka_unit_test(test_eventtime_rejects_out_of_range_fields),
		cmocka_unit_test(test_eventtime_rejects_out_of_range_offsets),
		cmocka_unit_test(test_eventtime_rejects_day_beyond_end_of_month),
		cmocka_unit_test(test_eventtime_format_is_rfc3339_utc_with_microseconds),
		cmocka_unit_test(test_eventtime_format_before_the_epoch),
		cmocka_unit_test(test_eventtime_format_and_parse_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
