/* metricsd: the listen address forms, and the endpoint answering real HTTP requests on
 * 127.0.0.1 while the test drives it the way the daemon does (poll its fd, metricsd_run). */
#include "unit.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "metrics.h"
#include "metricsd.h"

static void test_metricsd_parse_listen_host_and_port(void **state)
{
	char host[64], port[8];
	assert_int_equal(metricsd_parse_listen("127.0.0.1:9464", host, sizeof(host), port,
					       sizeof(port)),
			 0);
	assert_string_equal(host, "127.0.0.1");
	assert_string_equal(port, "9464");
	assert_int_equal(metricsd_parse_listen("localhost:80", host, sizeof(host), port,
					       sizeof(port)),
			 0);
	assert_string_equal(host, "localhost");
	assert_string_equal(port, "80");
}

static void test_metricsd_parse_listen_bracketed_ipv6(void **state)
{
	char host[64], port[8];
	assert_int_equal(metricsd_parse_listen("[::1]:9464", host, sizeof(host), port,
					       sizeof(port)),
			 0);
	assert_string_equal(host, "::1");
	assert_string_equal(port, "9464");
}

static void test_metricsd_parse_listen_empty_host_means_every_address(void **state)
{
	char host[64], port[8];
	assert_int_equal(metricsd_parse_listen(":9464", host, sizeof(host), port, sizeof(port)),
			 0);
	assert_string_equal(host, "");
	assert_string_equal(port, "9464");
}

static void test_metricsd_parse_listen_refuses_malformed_addresses(void **state)
{
	static const char *const bad[] = {"9464",	  "127.0.0.1",	 "127.0.0.1:",
					  "127.0.0.1:x",  "1.2.3.4:65536", "::1:9464",
					  "[::1]9464",	  "[::1:9464",	 "[]:9464",
					  "1.2.3.4:123456", "1.2.3.4:-1"};
	char host[64], port[8];
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		assert_int_equal(metricsd_parse_listen(bad[i], host, sizeof(host), port,
						       sizeof(port)),
				 -EINVAL);
}

/* The daemon the requests talk to: its answers come from these. */
struct fake {
	bool ready;
	int metrics_rc;
	unsigned metrics_calls;
};

static int fake_metrics(void *arg, struct sbuf *out)
{
	struct fake *f = arg;
	struct metrics_page p;
	f->metrics_calls++;
	if (f->metrics_rc)
		return f->metrics_rc;
	metrics_begin(&p, out);
	metrics_family(&p, "kube_audit_agent_build_info", METRIC_GAUGE, "Version.");
	metrics_sample(&p, (struct metric_label[]){{"version", "1.2.3"}}, 1, 1);
	return metrics_end(&p);
}

static bool fake_ready(void *arg, char *why, size_t whysz)
{
	struct fake *f = arg;
	if (!f->ready)
		snprintf(why, whysz, "output siem: failing for 3 s");
	return f->ready;
}

struct served {
	struct metricsd *m;
	struct fake f;
};

static int serve_setup(void **state)
{
	struct served *s = calloc(1, sizeof(*s));
	struct metricsd_handlers h = {fake_metrics, fake_ready, &s->f};
	char err[256];
	s->f.ready = true;
	if (metricsd_open(&s->m, "127.0.0.1:0", &h, err, sizeof(err))) {
		fprintf(stderr, "metricsd_open: %s\n", err);
		free(s);
		return -1;
	}
	*state = s;
	return 0;
}

static int serve_teardown(void **state)
{
	struct served *s = *state;
	metricsd_free(&s->m);
	assert_null(s->m);
	free(s);
	return 0;
}

/* Send raw (an HTTP request) to the endpoint and drive it until it closes the connection;
 * the whole answer into out. */
static void request(struct metricsd *m, const char *raw, char *out, size_t outsz)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(metricsd_port(m))};
	size_t got = 0;
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(write(fd, raw, strlen(raw)), (ssize_t)strlen(raw));
	for (int rounds = 0; rounds < 500; rounds++) {
		struct pollfd p[2] = {{metricsd_fd(m), POLLIN, 0}, {fd, POLLIN, 0}};
		long t = metricsd_timeout_ms(m);
		poll(p, 2, t >= 0 && t < 10 ? (int)t : 10);
		metricsd_run(m);
		if (!(p[1].revents & (POLLIN | POLLHUP)))
			continue;
		ssize_t n = read(fd, out + got, outsz - 1 - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	out[got] = '\0';
	close(fd);
}

static const char *body_of(const char *answer)
{
	const char *b = strstr(answer, "\r\n\r\n");
	return b ? b + 4 : "";
}

static void test_metricsd_healthz_answers_ok(void **state)
{
	struct served *s = *state;
	char out[4096];
	request(s->m, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", out,
		sizeof(out));
	assert_true(!strncmp(out, "HTTP/1.1 200 ", 13));
	assert_string_equal(body_of(out), "ok\n");
}

static void test_metricsd_readyz_is_200_ready_or_503_with_the_reason(void **state)
{
	struct served *s = *state;
	char out[4096];
	request(s->m, "GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", out,
		sizeof(out));
	assert_true(!strncmp(out, "HTTP/1.1 200 ", 13));
	assert_string_equal(body_of(out), "ready\n");
	s->f.ready = false;
	request(s->m, "GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", out,
		sizeof(out));
	s->f.ready = true;
	assert_true(!strncmp(out, "HTTP/1.1 503 ", 13));
	assert_string_equal(body_of(out), "output siem: failing for 3 s\n");
}

static void test_metricsd_metrics_has_the_exposition_content_type_and_page(void **state)
{
	struct served *s = *state;
	char out[4096];
	request(s->m, "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", out,
		sizeof(out));
	assert_true(!strncmp(out, "HTTP/1.1 200 ", 13));
	assert_non_null(strcasestr(out, "\r\nContent-Type: " METRICS_CONTENT_TYPE "\r\n"));
	assert_string_equal(body_of(out), "# HELP kube_audit_agent_build_info Version.\n"
					  "# TYPE kube_audit_agent_build_info gauge\n"
					  "kube_audit_agent_build_info{version=\"1.2.3\"} 1\n");
}

static void test_metricsd_metrics_that_cannot_be_written_is_a_500(void **state)
{
	struct served *s = *state;
	char out[4096];
	s->f.metrics_rc = -ENOMEM;
	request(s->m, "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", out,
		sizeof(out));
	s->f.metrics_rc = 0;
	assert_true(!strncmp(out, "HTTP/1.1 500 ", 13));
	assert_non_null(strstr(body_of(out), "could not be written"));
}

static void test_metricsd_head_answers_headers_without_a_body(void **state)
{
	struct served *s = *state;
	char out[4096];
	request(s->m, "HEAD /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", out,
		sizeof(out));
	assert_true(!strncmp(out, "HTTP/1.1 200 ", 13));
	assert_string_equal(body_of(out), "");
}

static void test_metricsd_unknown_path_is_404(void **state)
{
	struct served *s = *state;
	char out[4096];
	request(s->m, "GET /metricz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", out,
		sizeof(out));
	assert_true(!strncmp(out, "HTTP/1.1 404 ", 13));
}

static void test_metricsd_query_string_does_not_change_the_path(void **state)
{
	struct served *s = *state;
	char out[4096];
	request(s->m, "GET /healthz?verbose=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
		out, sizeof(out));
	assert_true(!strncmp(out, "HTTP/1.1 200 ", 13));
}

static void test_metricsd_post_is_405_with_allow_get_head(void **state)
{
	struct served *s = *state;
	char out[4096];
	unsigned calls = s->f.metrics_calls;
	request(s->m,
		"POST /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 3\r\n"
		"\r\nabc",
		out, sizeof(out));
	assert_true(!strncmp(out, "HTTP/1.1 405 ", 13));
	assert_non_null(strcasestr(out, "\r\nAllow: GET, HEAD\r\n"));
	assert_int_equal(s->f.metrics_calls, calls);
}

static void test_metricsd_second_listener_on_the_same_port_names_the_address(void **state)
{
	struct served *s = *state;
	struct metricsd_handlers h = {fake_metrics, fake_ready, &s->f};
	struct metricsd *other = (struct metricsd *)1;
	char addr[64], err[256];
	snprintf(addr, sizeof(addr), "127.0.0.1:%u", (unsigned)metricsd_port(s->m));
	assert_int_equal(metricsd_open(&other, addr, &h, err, sizeof(err)), -EADDRINUSE);
	assert_null(other);
	char want[128];
	snprintf(want, sizeof(want), "cannot listen on %s: %s", addr, strerror(EADDRINUSE));
	assert_string_equal(err, want);
}

static void test_metricsd_malformed_address_is_refused_with_its_text(void **state)
{
	struct metricsd_handlers h = {fake_metrics, fake_ready, NULL};
	struct metricsd *m;
	char err[256];
	assert_int_equal(metricsd_open(&m, "::1:9464", &h, err, sizeof(err)), -EINVAL);
	assert_null(m);
	assert_non_null(strstr(err, "::1:9464"));
}

static void test_metricsd_free_takes_null(void **state)
{
	struct metricsd *m = NULL;
	metricsd_free(&m);
	metricsd_free(&m);
	assert_null(m);
}

int main(void)
{
	const struct CMUnitTest parse[] = {
		cmocka_unit_test(test_metricsd_parse_listen_host_and_port),
		cmocka_unit_test(test_metricsd_parse_listen_bracketed_ipv6),
		cmocka_unit_test(test_metricsd_parse_listen_empty_host_means_every_address),
		cmocka_unit_test(test_metricsd_parse_listen_refuses_malformed_addresses),
		cmocka_unit_test(test_metricsd_malformed_address_is_refused_with_its_text),
		cmocka_unit_test(test_metricsd_free_takes_null),
	};
	const struct CMUnitTest served[] = {
		cmocka_unit_test(test_metricsd_healthz_answers_ok),
		cmocka_unit_test(test_metricsd_readyz_is_200_ready_or_503_with_the_reason),
		cmocka_unit_test(test_metricsd_metrics_has_the_exposition_content_type_and_page),
		cmocka_unit_test(test_metricsd_metrics_that_cannot_be_written_is_a_500),
		cmocka_unit_test(test_metricsd_head_answers_headers_without_a_body),
		cmocka_unit_test(test_metricsd_unknown_path_is_404),
		cmocka_unit_test(test_metricsd_query_string_does_not_change_the_path),
		cmocka_unit_test(test_metricsd_post_is_405_with_allow_get_head),
		cmocka_unit_test(test_metricsd_second_listener_on_the_same_port_names_the_address),
	};
	int failed = cmocka_run_group_tests(parse, NULL, NULL);
	return failed + cmocka_run_group_tests(served, serve_setup, serve_teardown);
}
