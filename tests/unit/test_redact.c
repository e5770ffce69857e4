/* redact: URL userinfo and an output's secrets never reach what the agent prints. */
#include "unit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "redact.h"

static void assert_url_redacted(const char *url, const char *want)
{
	char *got = redact_url(url);
	assert_non_null(got);
	bool same = !strcmp(got, want);
	if (!same)
		print_error("%s: got %s, want %s", url, got, want);
	free(got);
	assert_true(same);
}

static void test_redact_url_hides_userinfo_and_keeps_the_rest(void **state)
{
	assert_url_redacted("https://user:pa55@siem.example.com:8088/services/collector?x=1",
			    "https://***@siem.example.com:8088/services/collector?x=1");
	assert_url_redacted("https://tok3n@h/p", "https://***@h/p");
	/* an unescaped '@' in the password: the authority's last '@' ends the userinfo */
	assert_url_redacted("https://u:p@ss@h:1/", "https://***@h:1/");
	assert_url_redacted("https://u:pw@h", "https://***@h");
}

static void test_redact_url_without_userinfo_is_unchanged(void **state)
{
	assert_url_redacted("https://siem.example.com:8088/a@b",
			    "https://siem.example.com:8088/a@b");
	assert_url_redacted("https://h/p?mail=a@b", "https://h/p?mail=a@b");
	assert_url_redacted("not a url", "not a url");
}

static void test_redact_text_hides_userinfo_of_every_url(void **state)
{
	char text[128] = "Failed to connect to https://u:secret@h/x and http://v:w@[::1]:9/ ok";

	redact_text(text, sizeof(text), NULL, 0);
	assert_string_equal(text,
			    "Failed to connect to https://***@h/x and http://***@[::1]:9/ ok");
}

static void test_redact_text_hides_every_occurrence_of_each_secret(void **state)
{
	char text[128] = "{\"got\":\"Bearer T0KEN\",\"again\":\"T0KEN\",\"key\":\"k3y\"}";
	const char *secrets[] = {"T0KEN", NULL, "", "k3y"};

	redact_text(text, sizeof(text), secrets, 4);
	assert_string_equal(text, "{\"got\":\"Bearer ***\",\"again\":\"***\",\"key\":\"***\"}");
}

static void test_redact_text_longest_secret_first(void **state)
{
	char text[64] = "user:pw and pw";
	const char *secrets[] = {"pw", "user:pw"};

	redact_text(text, sizeof(text), secrets, 2);
	assert_string_equal(text, "*** and ***");
}

static void test_redact_text_growing_past_the_buffer_is_cut_not_leaked(void **state)
{
	char text[8] = "a:b:c:d";
	const char *secrets[] = {"b", "d"};

	redact_text(text, sizeof(text), secrets, 2);
	assert_string_equal(text, "a:***:c");
	char tiny[4] = "xyz";
	const char *s2[] = {"z"};
	redact_text(tiny, sizeof(tiny), s2, 1);
	assert_string_equal(tiny, "xy*");
}

static void test_redact_set_from_url_has_password_and_basic_credentials(void **state)
{
	struct redact_set s = {0};

	assert_int_equal(redact_set_add_url(&s, "https://alice:p%40ss@h/"), 0);
	/* as written, the password as written and decoded, base64("alice:p@ss") */
	assert_int_equal(s.n, 4);
	assert_string_equal(s.v[0], "alice:p%40ss");
	assert_string_equal(s.v[1], "p%40ss");
	assert_string_equal(s.v[2], "p@ss");
	assert_string_equal(s.v[3], "YWxpY2U6cEBzcw==");
	redact_set_clear(&s);
	assert_int_equal(s.n, 0);

	/* a user alone (a token as the user name): Basic sends "token:" */
	assert_int_equal(redact_set_add_url(&s, "https://tok@h/"), 0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.v[0], "tok");
	assert_string_equal(s.v[1], "dG9rOg==");
	redact_set_clear(&s);

	assert_int_equal(redact_set_add_url(&s, "https://h/"), 0);
	assert_int_equal(s.n, 0);
}

static void test_redact_set_is_bounded(void **state)
{
	struct redact_set s = {0};
	char v[16];

	for (unsigned i = 0; i < REDACT_MAX_SECRETS; i++) {
		snprintf(v, sizeof(v), "s%u", i);
		assert_int_equal(redact_set_add(&s, v), 0);
	}
	assert_int_equal(redact_set_add(&s, "s0"), 0); /* already there */
	assert_int_equal(redact_set_add(&s, "one more"), -ENOSPC);
	redact_set_clear(&s);
}

static void test_redact_header_names_that_carry_credentials(void **state)
{
	const char *secret[] = {"Authorization",
				"Proxy-Authorization",
				"X-Api-Key",
				"X-Auth-Token",
				"Cookie",
				"X-Splunk-Password",
				"X-Client-Secret",
				"X-Credentials",
				"X-Session-Id",
				"X-Hub-Signature",
				"X-JWT"};
	const char *plain[] = {"X-Tenant", "Content-Type", "X-Request-Source"};

	for (size_t i = 0; i < sizeof(secret) / sizeof(*secret); i++)
		assert_true(redact_header_is_secret(secret[i]));
	for (size_t i = 0; i < sizeof(plain) / sizeof(*plain); i++)
		assert_false(redact_header_is_secret(plain[i]));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_redact_url_hides_userinfo_and_keeps_the_rest),
	    cmocka_unit_test(test_redact_url_without_userinfo_is_unchanged),
	    cmocka_unit_test(test_redact_text_hides_userinfo_of_every_url),
	    cmocka_unit_test(test_redact_text_hides_every_occurrence_of_each_secret),
	    cmocka_unit_test(test_redact_text_longest_secret_first),
	    cmocka_unit_test(test_redact_text_growing_past_the_buffer_is_cut_not_leaked),
	    cmocka_unit_test(test_redact_set_from_url_has_password_and_basic_credentials),
	    cmocka_unit_test(test_redact_set_is_bounded),
	    cmocka_unit_test(test_redact_header_names_that_carry_credentials),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
