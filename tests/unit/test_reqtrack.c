/* reqtrack: the request history without BPF. Synthetic http_events (as bpf/http.bpf.c sends
 * them) go through reqtrack_add; times are microseconds on the wall clock. */
#include "unit.h"

#include <errno.h>
#include <stdio.h>

#include "reqtrack.h"

#define SEC INT64_C(1000000)
#define T0  (INT64_C(1700000000) * SEC)

static struct http_event request(const char *method, const char *uri, const char *addr,
				 uint32_t flags)
{
	struct http_event ev;

	memset(&ev, 0, sizeof(ev));
	snprintf(ev.method, sizeof(ev.method), "%s", method);
	snprintf(ev.uri, sizeof(ev.uri), "%s", uri);
	snprintf(ev.remote_addr, sizeof(ev.remote_addr), "%s", addr);
	ev.uri_len = (uint32_t)strlen(uri);
	ev.method_len = (uint32_t)strlen(method);
	ev.addr_len = (uint32_t)strlen(addr);
	ev.flags = flags;
	ev.pid = 42;
	return ev;
}

static struct reqtrack *history(int64_t retention_us, size_t max_entries, size_t max_anon)
{
	struct reqtrack_opts o = {retention_us, max_entries, max_anon};
	struct reqtrack *rt = NULL;

	assert_int_equal(reqtrack_new(&rt, &o), 0);
	return rt;
}

static void add(struct reqtrack *rt, const char *method, const char *uri, const char *addr,
		uint32_t flags, int64_t ts)
{
	struct http_event ev = request(method, uri, addr, flags);

	assert_int_equal(reqtrack_add(rt, &ev, ts, NULL), 0);
}

static struct conn_ip ip(const char *s)
{
	struct conn_ip a;

	assert_int_equal(conntrack_ip_parse(s, &a), 0);
	return a;
}

static void test_remote_addr_forms_parse_and_garbage_is_refused(void **state)
{
	struct conn_ip a, want;
	uint16_t port;

	assert_int_equal(reqtrack_parse_addr("10.0.0.7:52814", &a, &port), 0);
	want = ip("10.0.0.7");
	assert_memory_equal(&a, &want, sizeof(a));
	assert_int_equal(port, 52814);
	assert_int_equal(reqtrack_parse_addr("[fd00::1]:443", &a, &port), 0);
	want = ip("fd00::1");
	assert_memory_equal(&a, &want, sizeof(a));
	assert_int_equal(port, 443);
	/* a dual-stack listener names an IPv4 client as a v4-mapped address */
	assert_int_equal(reqtrack_parse_addr("[::ffff:10.0.0.7]:1", &a, &port), 0);
	want = ip("10.0.0.7");
	assert_memory_equal(&a, &want, sizeof(a));
	const char *bad[] = {"",	  "10.0.0.7",	 "10.0.0.7:",	"10.0.0.7:65536",
			     "10.0.0.7:-1", "10.0.0.7:1x", "[fd00::1]",	"[fd00::1:443",
			     ":443",	  "host:443",	 "fd00::1:443", "10.0.0.7: 1"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		assert_int_equal(reqtrack_parse_addr(bad[i], &a, &port), -EINVAL);
}

static void test_verbs_fit_their_methods_only(void **state)
{
	assert_true(reqtrack_verb_fits("get", "GET"));
	assert_true(reqtrack_verb_fits("list", "GET"));
	assert_true(reqtrack_verb_fits("watch", "GET"));
	assert_true(reqtrack_verb_fits("create", "POST"));
	assert_true(reqtrack_verb_fits("deletecollection", "DELETE"));
	assert_true(reqtrack_verb_fits("head", "HEAD"));
	assert_false(reqtrack_verb_fits("get", "POST"));
	assert_false(reqtrack_verb_fits("create", "GET"));
	assert_false(reqtrack_verb_fits("patch", "PUT"));
	/* unknown verbs, no verb, a method the probe could not keep: anything fits */
	assert_true(reqtrack_verb_fits("impersonate", "POST"));
	assert_true(reqtrack_verb_fits(NULL, "GET"));
	assert_true(reqtrack_verb_fits("get", ""));
}

static void test_match_finds_the_request_closest_in_time_with_the_same_uri(void **state)
{
	struct reqtrack *rt = history(0, 0, 0);
	const struct req_record *best;
	struct conn_ip a = ip("10.0.0.7");
	const char *uri = "/api/v1/namespaces/default/pods";

	add(rt, "GET", uri, "10.0.0.7:40001", 0, T0);
	add(rt, "GET", uri, "10.0.0.7:40002", 0, T0 + SEC);
	add(rt, "GET", "/api/v1/nodes", "10.0.0.7:40003", 0, T0 + SEC / 2);
	add(rt, "POST", uri, "10.0.0.7:40004", 0, T0 + SEC / 2);
	add(rt, "GET", uri, "10.0.0.8:40005", 0, T0 + SEC / 2);

	assert_int_equal(reqtrack_match(rt, &a, uri, strlen(uri), "list", T0 + SEC - 100,
					2 * SEC, &best),
			 2);
	assert_non_null(best);
	assert_int_equal(best->port, 40002);
	assert_string_equal(best->method, "GET");
	assert_int_equal(reqtrack_match(rt, &a, uri, strlen(uri), "list", T0 + 100, 2 * SEC, &best),
			 2);
	assert_int_equal(best->port, 40001);
	assert_int_equal(reqtrack_match(rt, &a, uri, strlen(uri), "create", T0, 2 * SEC, &best), 1);
	assert_int_equal(best->port, 40004);
	/* outside the window, another URI, a prefix of the URI: nothing */
	assert_int_equal(reqtrack_match(rt, &a, uri, strlen(uri), "get", T0 + 10 * SEC, SEC, &best),
			 0);
	assert_null(best);
	assert_int_equal(reqtrack_match(rt, &a, "/api", 4, "get", T0, SEC, &best), 0);
	assert_int_equal(reqtrack_match(rt, &a, uri, strlen(uri) - 1, "get", T0, SEC, &best), 0);
	reqtrack_free(&rt);
	assert_null(rt);
}

static void test_long_uris_match_on_the_kept_prefix_and_the_full_length(void **state)
{
	struct reqtrack *rt = history(0, 0, 0);
	const struct req_record *best;
	struct conn_ip a = ip("10.0.0.7");
	char uri[600];
	struct http_event ev;

	memset(uri, 'a', sizeof(uri) - 1);
	uri[0] = '/';
	uri[sizeof(uri) - 1] = '\0';
	ev = request("GET", uri, "10.0.0.7:40001", 0); /* snprintf cut it as the probe does */
	ev.uri_len = (uint32_t)strlen(uri);
	assert_int_equal(strlen(ev.uri), HTTP_URI_LEN - 1);
	assert_int_equal(reqtrack_add(rt, &ev, T0, NULL), 0);
	assert_int_equal(reqtrack_match(rt, &a, uri, strlen(uri), "get", T0, SEC, &best), 1);
	assert_int_equal(reqtrack_match(rt, &a, uri, strlen(uri) - 1, "get", T0, SEC, &best), 0);
	reqtrack_free(&rt);
}

static void test_history_expires_by_time_and_is_bounded(void **state)
{
	struct reqtrack *rt = history(10 * SEC, 4, 0);
	struct reqtrack_stats st;
	struct conn_ip a = ip("10.0.0.7");

	for (int i = 0; i < 6; i++)
		add(rt, "GET", "/x", "10.0.0.7:40001", HTTP_F_AUTH, T0 + i * SEC);
	reqtrack_stats(rt, &st);
	assert_int_equal(st.entries, 4);
	assert_int_equal(st.evicted, 2);
	assert_int_equal(st.requests, 6);
	assert_int_equal(reqtrack_count(rt, &a, 40001, 0, 0), 4);
	assert_int_equal(reqtrack_count(rt, &a, 40001, T0 + 4 * SEC, 0), 2);
	assert_int_equal(reqtrack_count(rt, &a, 40001, T0, T0 + 3 * SEC), 2);
	assert_int_equal(reqtrack_count(rt, &a, 40002, 0, 0), 0);
	reqtrack_expire(rt, T0 + 14 * SEC + 1); /* keeps what is at most 10 s old: 5 only */
	reqtrack_stats(rt, &st);
	assert_int_equal(st.entries, 1);
	reqtrack_expire(rt, T0 + 100 * SEC);
	reqtrack_stats(rt, &st);
	assert_int_equal(st.entries, 0);
	reqtrack_free(&rt);
}

static void test_bad_remote_addr_is_counted_not_kept(void **state)
{
	struct reqtrack *rt = history(0, 0, 0);
	struct http_event ev = request("GET", "/x", "pipe", 0);
	const struct req_record *r = (void *)1;
	struct reqtrack_stats st;

	assert_int_equal(reqtrack_add(rt, &ev, T0, &r), -EINVAL);
	assert_null(r);
	/* a remote_addr with no NUL in its array (hostile or a probe bug) is read within it */
	memset(ev.remote_addr, '1', sizeof(ev.remote_addr));
	assert_int_equal(reqtrack_add(rt, &ev, T0, &r), -EINVAL);
	reqtrack_stats(rt, &st);
	assert_int_equal(st.bad_addr, 2);
	assert_int_equal(st.entries, 0);
	assert_int_equal(st.anonymous, 0);
	reqtrack_free(&rt);
}

static void test_anonymous_requests_are_counted_per_source_ip(void **state)
{
	struct reqtrack *rt = history(0, 0, 3);
	struct reqtrack_anon top[2];
	struct reqtrack_stats st;
	char addr[32];

	add(rt, "GET", "/", "10.0.0.1:1", 0, T0);
	add(rt, "GET", "/", "10.0.0.2:1", HTTP_F_AUTH, T0);	   /* a token */
	add(rt, "GET", "/", "10.0.0.2:2", HTTP_F_CLIENT_CERT, T0); /* a certificate */
	add(rt, "GET", "/", "10.0.0.2:3", HTTP_F_TLS, T0);	   /* TLS, no certificate */
	for (int i = 0; i < 5; i++)
		add(rt, "GET", "/", "[fd00::9]:7", 0, T0);
	for (int i = 0; i < 3; i++) {
		snprintf(addr, sizeof(addr), "10.1.0.%d:5", i); /* 3 more IPs: over the cap */
		add(rt, "GET", "/", addr, 0, T0);
	}
	reqtrack_stats(rt, &st);
	assert_int_equal(st.anonymous, 10);
	assert_int_equal(st.anon_ips, 3);
	assert_int_equal(st.anon_other, 3); /* 10.0.0.1, 10.0.0.2 and fd00::9 filled the table */
	assert_int_equal(reqtrack_anon_top(rt, top, 2), 3);
	char a[64];
	conntrack_ip_format(&top[0].ip, a, sizeof(a));
	assert_string_equal(a, "fd00::9");
	assert_int_equal(top[0].count, 5);
	assert_int_equal(top[1].count, 1);
	conntrack_ip_format(&top[1].ip, a, sizeof(a));
	assert_true(!strcmp(a, "10.0.0.1") || !strcmp(a, "10.0.0.2"));
	reqtrack_free(&rt);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_remote_addr_forms_parse_and_garbage_is_refused),
		cmocka_unit_test(test_verbs_fit_their_methods_only),
		cmocka_unit_test(test_match_finds_the_request_closest_in_time_with_the_same_uri),
		cmocka_unit_test(test_long_uris_match_on_the_kept_prefix_and_the_full_length),
		cmocka_unit_test(test_history_expires_by_time_and_is_bounded),
		cmocka_unit_test(test_bad_remote_addr_is_counted_not_kept),
		cmocka_unit_test(test_anonymous_requests_are_counted_per_source_ip),
	};
	return cmocka_run_group_tests_name("reqtrack", tests, NULL, NULL);
}
