/* log: the daemon's own log on stderr: lines below the level are dropped, and each line is
 * "UTC-time level message" or a JSON object {"ts","level","msg"}, written whole. stderr is sent
 * to a temporary file to read them. */
#include "unit.h"

#include <cjson/cJSON.h>
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
	log_set_json(false);
	return 0;
}

/* The one JSON line logged: its members ts, level and msg, checked for shape; the caller
 * frees the strings. Fails the test unless text is exactly one line holding exactly those
 * three string members. */
struct json_line {
	char *ts, *level, *msg;
};

static void parse_json_line(const char *text, struct json_line *out)
{
	const char *nl = strchr(text, '\n');
	assert_non_null(nl);
	assert_int_equal(nl[1], '\0');
	cJSON *o = cJSON_ParseWithLength(text, (size_t)(nl - text));
	if (!o)
		print_error("not JSON: %s", text);
	assert_non_null(o);
	assert_int_equal(cJSON_GetArraySize(o), 3);
	char *v[3];
	const char *keys[] = {"ts", "level", "msg"};
	for (int i = 0; i < 3; i++) {
		const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, keys[i]);
		assert_true(cJSON_IsString(it));
		v[i] = strdup(it->valuestring);
	}
	cJSON_Delete(o);
	out->ts = v[0];
	out->level = v[1];
	out->msg = v[2];
}

static void json_line_free(struct json_line *l)
{
	free(l->ts);
	free(l->level);
	free(l->msg);
}

/* Log msg (as "%s") at info in JSON; returns the msg member the line holds (caller frees). */
static char *json_msg_of(const char *msg)
{
	struct capture c;
	struct json_line l;

	log_set_json(true);
	capture_start(&c);
	log_info("%s", msg);
	char *text = capture_end(&c);
	parse_json_line(text, &l);
	free(text);
	free(l.ts);
	free(l.level);
	return l.msg;
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

static void test_log_json_line_is_ts_level_and_msg_only(void **state)
{
	struct capture c;
	struct json_line l;
	regex_t re;

	log_set_json(true);
	capture_start(&c);
	log_warn("file %s at byte %d", "/var/log/audit.log", 42);
	char *text = capture_end(&c);
	parse_json_line(text, &l);
	free(text);
	assert_int_equal(regcomp(&re, "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\."
				      "[0-9]{3}Z$",
				 REG_EXTENDED | REG_NOSUB),
			 0);
	int rc = regexec(&re, l.ts, 0, NULL, 0);
	regfree(&re);
	bool ok = rc == 0 && !strcmp(l.level, "warn") &&
		  !strcmp(l.msg, "file /var/log/audit.log at byte 42");
	if (!ok)
		print_error("ts %s level %s msg %s", l.ts, l.level, l.msg);
	json_line_free(&l);
	assert_true(ok);
}

static void test_log_json_escapes_quotes_backslashes_and_control_characters(void **state)
{
	const char *msg = "a\"b\\c\nd\re\tf\x01g\x1bh\x7f/";
	struct capture c;

	log_set_json(true);
	capture_start(&c);
	log_error("%s", msg);
	char *text = capture_end(&c);
	/* the escapes as written, and the one line break is the line's end */
	bool escaped =
		strstr(text, "\"msg\":\"a\\\"b\\\\c\\nd\\re\\tf\\u0001g\\u001bh\x7f/\"}\n") != NULL;
	if (!escaped)
		print_error("logged: %s", text);
	free(text);
	assert_true(escaped);
	char *got = json_msg_of(msg);
	bool same = !strcmp(got, msg);
	free(got);
	assert_true(same);
}

static void test_log_json_replaces_invalid_utf8_with_replacement_characters(void **state)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{"ok \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "ok \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"},
		{"a\xff" "b", "a\xef\xbf\xbd" "b"},
		{"\xc3\x28", "\xef\xbf\xbd("},			/* a lead byte without its tail */
		{"\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd"},	/* overlong '/' */
		{"\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"}, /* a surrogate */
		{"\xf4\x90\x80\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"}, /* > U+10FFFF */
		{"\xe2\x82x", "\xef\xbf\xbdx"},		/* a cut sequence is one U+FFFD */
		{"end \xe2\x82", "end \xef\xbf\xbd"},	/* ... also at the very end */
		{"\x80\xbf", "\xef\xbf\xbd\xef\xbf\xbd"},	/* lone continuation bytes */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		char *got = json_msg_of(cases[i].in);
		bool same = !strcmp(got, cases[i].want);
		if (!same)
			print_error("case %zu: got \"%s\"", i, got);
		free(got);
		assert_true(same);
	}
}

static void test_log_json_cut_message_does_not_end_in_half_a_character(void **state)
{
	char msg[LOG_MAX_MSG + 8];

	memset(msg, 'a', LOG_MAX_MSG - 1);
	memcpy(msg + LOG_MAX_MSG - 1, "\xc3\xa9tail", 7); /* the cut falls inside the é */
	msg[LOG_MAX_MSG + 6] = '\0';
	char *got = json_msg_of(msg);
	size_t len = strlen(got);
	bool only_as = len == LOG_MAX_MSG - 1 && strspn(got, "a") == len;
	free(got);
	assert_true(only_as);
}

static void test_log_json_hostile_message_stays_one_bounded_line(void **state)
{
	char msg[3 * LOG_MAX_MSG];
	struct capture c;
	struct json_line l;

	/* the worst case for escaping: every byte a control character or invalid */
	for (size_t i = 0; i < sizeof(msg) - 1; i++)
		msg[i] = i % 2 ? '\x01' : '\xff';
	msg[sizeof(msg) - 1] = '\0';
	log_set_json(true);
	capture_start(&c);
	log_error("%s", msg);
	char *text = capture_end(&c);
	size_t len = strlen(text);
	parse_json_line(text, &l);
	free(text);
	size_t msg_len = strlen(l.msg);
	json_line_free(&l);
	assert_true(len < 6 * LOG_MAX_MSG + 128);
	assert_int_equal(msg_len, LOG_MAX_MSG / 2 * 4); /* U+FFFD and \x01 per input pair */
}

static void test_log_json_error_level_keeps_only_errors(void **state)
{
	struct capture c;
	struct json_line l;

	log_set_json(true);
	log_set_level(LOG_ERROR);
	capture_start(&c);
	log_debug("d");
	log_info("i");
	log_warn("w");
	log_error("only this");
	char *text = capture_end(&c);
	parse_json_line(text, &l); /* exactly one line */
	free(text);
	bool ok = !strcmp(l.level, "error") && !strcmp(l.msg, "only this");
	json_line_free(&l);
	assert_true(ok);
}

static void test_log_json_then_text_again_switches_at_once(void **state)
{
	struct capture c;

	capture_start(&c);
	log_set_json(true);
	log_info("as json");
	log_set_json(false);
	log_info("as text");
	char *text = capture_end(&c);
	bool ok = !strncmp(text, "{\"ts\":\"", 7) && strstr(text, "\"msg\":\"as json\"}\n") &&
		  strstr(text, "Z info  as text\n");
	if (!ok)
		print_error("logged: %s", text);
	free(text);
	assert_true(ok);
}

static void test_log_text_line_break_in_message_stays_one_line(void **state)
{
	struct capture c;

	log_set_level(LOG_INFO);
	capture_start(&c);
	log_warn("cannot read %s: x", "/var/log/a\n2026-11-28T07:31:53.083Z error forged\x1b[2J");
	char *text = capture_end(&c);
	int lines = count_lines(text);
	bool replaced = strstr(text, " warn  cannot read /var/log/a?2026-11-28T07:31:53.083Z error "
				     "forged?[2J: x\n") != NULL;
	free(text);
	assert_int_equal(lines, 1);
	assert_true(replaced);
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
		cmocka_unit_test_teardown(test_log_json_line_is_ts_level_and_msg_only, restore_level),
		cmocka_unit_test_teardown(test_log_json_escapes_quotes_backslashes_and_control_characters,
					  restore_level),
		cmocka_unit_test_teardown(test_log_json_replaces_invalid_utf8_with_replacement_characters,
					  restore_level),
		cmocka_unit_test_teardown(test_log_json_cut_message_does_not_end_in_half_a_character,
					  restore_level),
		cmocka_unit_test_teardown(test_log_json_hostile_message_stays_one_bounded_line,
					  restore_level),
		cmocka_unit_test_teardown(test_log_json_error_level_keeps_only_errors, restore_level),
		cmocka_unit_test_teardown(test_log_json_then_text_again_switches_at_once, restore_level),
		cmocka_unit_test_teardown(test_log_text_line_break_in_message_stays_one_line,
					  restore_level),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
