/* log: the daemon's own log on stderr: lines below the level are dropped, and each line is
 * "UTC-time level message" written whole. stderr is sent to a temporary file to read them. */
#include "unit.h"

#include <fcntl.h>
#include <regex.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

struct capture {
	char path[64];
	int saved;
};

static void capture_start(struct capture *c)
{
	unit_write_temp(c->path, sizeof(c->path), "");
	int fd = open(c->path, O_WRONLY | O_APPEND | O_CLOEXEC);
	assert_true(fd >= 0);
	fflush(stderr);
	c->saved = dup(STDERR_FILENO);
	assert_true(c->saved >= 0);
	assert_int_equal(dup2(fd, STDERR_FILENO), STDERR_FILENO);
	close(fd);
}

/* Put stderr back; returns what was logged (the caller frees it). */
static char *capture_end(struct capture *c)
{
	fflush(stderr);
	dup2(c->saved, STDERR_FILENO);
	close(c->saved);
	char *text = unit_read_file(c->path, NULL);
	unlink(c->path);
	return text;
}

static int count_lines(const char *s)
{
	int n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static int restore_level(void **state)
{
	log_set_level(LOG_INFO);
	return 0;
}

static void test_log_info_level_drops_debug_only(void **state)
{
	struct capture c;

	log_set_level(LOG_INFO);
	capture_start(&c);
	log_debug("d");
	log_info("i");
	log_warn("w");
	log_error("e");
	char *text = capture_end(&c);
	int lines = count_lines(text);
	bool has_debug = strstr(text, " debug d\n") != NULL;
	bool has_rest = strstr(text, " info  i\n") && strstr(text, " warn  w\n") &&
			strstr(text, " error e\n");
	free(text);
	assert_int_equal(lines, 3);
	assert_false(has_debug);
	assert_true(has_rest);
}

static void test_log_error_level_keeps_only_errors(void **state)
{
	struct capture c;

	log_set_level(LOG_ERROR);
	capture_start(&c);
	log_debug("d");
	log_info("i");
	log_warn("w");
	log_error("only this");
	char *text = capture_end(&c);
	int lines = count_lines(text);
	bool has_error = strstr(text, " error only this\n") != NULL;
	free(text);
	assert_int_equal(lines, 1);
	assert_true(has_error);
}

static void test_log_debug_level_keeps_everything_in_order(void **state)
{
	struct capture c;

	log_set_level(LOG_DEBUG);
	capture_start(&c);
	log_debug("1");
	log_info("2");
	log_warn("3");
	log_error("4");
	char *text = capture_end(&c);
	const char *d = strstr(text, " debug 1\n"), *i = strstr(text, " info  2\n");
	const char *w = strstr(text, " warn  3\n"), *e = strstr(text, " error 4\n");
	bool ordered = d && i && w && e && d < i && i < w && w < e;
	int lines = count_lines(text);
	free(text);
	assert_int_equal(lines, 4);
	assert_true(ordered);
}

static void test_log_line_is_utc_time_level_and_formatted_message(void **state)
{
	struct capture c;
	regex_t re;
	regmatch_t m[8];

	log_set_level(LOG_INFO);
	time_t before = time(NULL);
	capture_start(&c);
	log_warn("file %s at byte %d", "/var/log/audit.log", 42);
	char *text = capture_end(&c);
	time_t after = time(NULL);

	assert_int_equal(regcomp(&re,
				 "^([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})"
				 "\\.[0-9]{3}Z warn  file /var/log/audit\\.log at byte 42\n$",
				 REG_EXTENDED),
			 0);
	int rc = regexec(&re, text, 8, m, 0);
	regfree(&re);
	if (rc) {
		print_error("logged: %s", text);
		free(text);
		fail();
	}
	struct tm tm = {0};
	int f[6];
	for (int k = 0; k < 6; k++)
		f[k] = atoi(text + m[k + 1].rm_so);
	free(text);
	tm.tm_year = f[0] - 1900;
	tm.tm_mon = f[1] - 1;
	tm.tm_mday = f[2];
	tm.tm_hour = f[3];
	tm.tm_min = f[4];
	tm.tm_sec = f[5];
	time_t t = timegm(&tm);
	assert_true(t >= before && t <= after);
}

static void test_log_long_message_is_cut_to_one_line(void **state)
{
	struct capture c;
	char *msg = malloc(5001);

	assert_non_null(msg);
	memset(msg, 'a', 5000);
	msg[5000] = '\0';
	log_set_level(LOG_INFO);
	capture_start(&c);
	log_error("%s", msg);
	log_error("next");
	char *text = capture_end(&c);
	free(msg);
	int lines = count_lines(text);
	const char *nl = strchr(text, '\n');
	size_t first_len = nl ? (size_t)(nl - text) + 1 : 0;
	bool next_whole = nl && strstr(nl + 1, " error next\n") != NULL;
	bool cut_message = nl && nl[-1] == 'a';
	free(text);
	assert_int_equal(lines, 2);
	assert_true(first_len > 2000 && first_len <= 2048);
	assert_true(cut_message);
	assert_true(next_whole);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_log_info_level_drops_debug_only, restore_level),
		cmocka_unit_test_teardown(test_log_error_level_keeps_only_errors, restore_level),
		cmocka_unit_test_teardown(test_log_debug_level_keeps_everything_in_order,
					  restore_level),
		cmocka_unit_test_teardown(test_log_line_is_utc_time_level_and_formatted_message,
					  restore_level),
		cmocka_unit_test_teardown(test_log_long_message_is_cut_to_one_line, restore_level),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
