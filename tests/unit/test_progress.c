/* progress: eval's meter text (percent, MB/s, events/s, time left; the rates alone when the
 * size is unknown), and that it stays off unless its descriptor is a terminal. */
#include "unit.h"

#include <stdint.h>
#include <unistd.h>

#include "progress.h"

static void test_progress_known_size_shows_percent_rates_and_time_left(void **state)
{
	char buf[128];

	/* 25 MB of 100 MB in 2 s: 12.5 MB/s, 75 MB left: 6 s */
	progress_format(buf, sizeof(buf), 50000, 25000000, 100000000, 2.0);
	assert_string_equal(buf, "eval:  25.0%  12.5 MB/s  25000 events/s  0:06 left");
}

static void test_progress_time_left_over_an_hour_has_hours(void **state)
{
	char buf[128];

	progress_format(buf, sizeof(buf), 10, 1000000, 10000000000ull, 1.0);
	assert_string_equal(buf, "eval:   0.0%  1.0 MB/s  10 events/s  2:46:39 left");
}

static void test_progress_unknown_size_shows_the_rates_alone(void **state)
{
	char buf[128];

	progress_format(buf, sizeof(buf), 3000, 4000000, 0, 2.0);
	assert_string_equal(buf, "eval: 3000 events, 4.0 MB  2.0 MB/s  1500 events/s");
}

static void test_progress_past_the_known_size_stays_at_100_percent(void **state)
{
	char buf[128];

	progress_format(buf, sizeof(buf), 10, 2000, 1000, 1.0); /* the file grew meanwhile */
	assert_string_equal(buf, "eval: 100.0%  0.0 MB/s  10 events/s  0:00 left");
}

static void test_progress_is_off_when_not_a_terminal(void **state)
{
	struct progress p;
	int fds[2];

	assert_int_equal(pipe(fds), 0);
	progress_init(&p, fds[1], 1000);
	assert_int_equal(p.fd, -1);
	assert_true(p.next_lines == UINT64_MAX && p.next_bytes == UINT64_MAX);
	progress_tick(&p, 1u << 30, 1u << 30);
	progress_clear(&p);
	close(fds[1]);
	char c;
	assert_int_equal(read(fds[0], &c, 1), 0); /* not a byte was written */
	close(fds[0]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_progress_known_size_shows_percent_rates_and_time_left),
		cmocka_unit_test(test_progress_time_left_over_an_hour_has_hours),
		cmocka_unit_test(test_progress_unknown_size_shows_the_rates_alone),
		cmocka_unit_test(test_progress_past_the_known_size_stays_at_100_percent),
		cmocka_unit_test(test_progress_is_off_when_not_a_terminal),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
