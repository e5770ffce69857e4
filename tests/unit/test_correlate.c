/* correlate: the join of an audit event to the request and connection eBPF saw, over histories
 * fed with synthetic events (no BPF): the `connection` object an alert gets. */
#include "unit.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <time.h>

#include "conntrack.h"
#include "correlate.h"
#include "eventtime.h"
#include "reqtrack.h"

#define SEC INT64_C(1000000)

static int64_t now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * SEC + ts.tv_nsec / 1000;
}

struct fixture {
	struct correlate *c;
	struct conntrack *ct; /* owned by c */
	int64_t t0;
};

static struct conn_event established(const char *client, uint16_t cport, uint64_t sock,
				     bool local)
{
	struct conn_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.family = AF_INET;
	ev.sock = sock;
	if (local) { /* the client's end: the connecting process is known */
		ev.kind = CONN_EV_ESTABLISHED;
		ev.flags = CONN_F_ACTIVE | CONN_F_TASK;
		ev.lport = cport;
		ev.rport = 6443;
		assert_int_equal(inet_pton(AF_INET, client, ev.laddr), 1);
		assert_int_equal(inet_pton(AF_INET, "10.0.0.1", ev.raddr), 1);
		ev.pid = 4242;
		ev.cgroup_id = 99;
		snprintf(ev.comm, sizeof(ev.comm), "curl");
	} else { /* the server's end */
		ev.kind = CONN_EV_ESTABLISHED;
		ev.flags = CONN_F_PASSIVE;
		ev.lport = 6443;
		ev.rport = cport;
		assert_int_equal(inet_pton(AF_INET, "10.0.0.1", ev.laddr), 1);
		assert_int_equal(inet_pton(AF_INET, client, ev.raddr), 1);
	}
	return ev;
}

static void request(struct correlate *c, const char *method, const char *uri, const char *addr,
		    uint32_t flags, const char *scheme, int64_t ts)
{
	struct http_event ev;

	memset(&ev, 0, sizeof(ev));
	snprintf(ev.method, sizeof(ev.method), "%s", method);
	snprintf(ev.uri, sizeof(ev.uri), "%s", uri);
	snprintf(ev.remote_addr, sizeof(ev.remote_addr), "%s", addr);
	snprintf(ev.scheme, sizeof(ev.scheme), "%s", scheme);
	ev.uri_len = (uint32_t)strlen(uri);
	ev.flags = flags;
	correlate_request(c, &ev, ts);
}

static int setup(void **state)
{
	static struct fixture f;
	struct reqtrack *rt = NULL;

	memset(&f, 0, sizeof(f));
	f.t0 = now() - 30 * SEC;
	assert_int_equal(conntrack_new(&f.ct, NULL), 0);
	assert_int_equal(reqtrack_new(&rt, NULL), 0);
	assert_int_equal(correlate_new(&f.c, f.ct, rt), 0);
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	correlate_free(&f->c);
	assert_null(f->c);
	return 0;
}

/* The connection object for an audit event from ips (JSON text) at t. */
static cJSON *join(struct fixture *f, const char *ips, const char *uri, const char *verb,
		   int64_t t)
{
	char ts[40], js[512];
	cJSON *root, *o;

	eventtime_format(t, ts, sizeof(ts));
	snprintf(js, sizeof(js),
		 "{\"sourceIPs\":%s,\"requestURI\":\"%s\",\"verb\":\"%s\","
		 "\"requestReceivedTimestamp\":\"%s\"}",
		 ips, uri, verb, ts);
	root = cJSON_Parse(js);
	assert_non_null(root);
	o = correlate_connection(f->c, root, 0);
	cJSON_Delete(root);
	assert_non_null(o);
	return o;
}

static const char *str(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static double num(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	assert_true(cJSON_IsNumber(v));
	return v->valuedouble;
}

static void test_request_seen_by_the_uprobe_gives_an_exact_match_with_its_connection(void **state)
{
	struct fixture *f = *state;
	struct conn_event ev = established("10.0.0.7", 40001, 1, false);
	const char *uri = "/api/v1/namespaces/default/pods";
	cJSON *o;

	assert_int_equal(conntrack_ingest(f->ct, &ev, f->t0, NULL), 0);
	request(f->c, "GET", "/healthz", "10.0.0.7:40001", HTTP_F_TLS, "", f->t0 + SEC);
	request(f->c, "GET", uri, "10.0.0.7:40001", HTTP_F_TLS, "", f->t0 + 2 * SEC);
	request(f->c, "GET", uri, "10.0.0.7:40009", HTTP_F_TLS | HTTP_F_AUTH, "Bearer",
		f->t0 + 2 * SEC + 500000);
	o = join(f, "[\"10.0.0.7\"]", uri, "list", f->t0 + 2 * SEC + 150);
	assert_string_equal(str(o, "match"), "exact");
	assert_int_equal(num(o, "candidates"), 2);
	assert_string_equal(str(o, "src_ip"), "10.0.0.7");
	assert_int_equal(num(o, "src_port"), 40001);
	assert_string_equal(str(o, "dst_ip"), "10.0.0.1");
	assert_int_equal(num(o, "dst_port"), 6443);
	assert_int_equal(num(o, "requests_on_connection"), 2);
	assert_true(cJSON_IsFalse(cJSON_GetObjectItem(o, "auth_header_present")));
	assert_true(cJSON_IsFalse(cJSON_GetObjectItem(o, "client_cert_present")));
	assert_null(cJSON_GetObjectItem(o, "auth_scheme"));
	assert_null(cJSON_GetObjectItem(o, "client")); /* not a client on this node */
	assert_non_null(str(o, "established_at"));
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(o, "closed_at")));
	cJSON_Delete(o);

	/* the other one, closer to its own time: the token's scheme, never the token */
	o = join(f, "[\"10.0.0.7\"]", uri, "list", f->t0 + 2 * SEC + 500100);
	assert_int_equal(num(o, "src_port"), 40009);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(o, "auth_header_present")));
	assert_string_equal(str(o, "auth_scheme"), "Bearer");
	/* its connection opened before the agent: counted from the request history */
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(o, "established_at")));
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(o, "dst_port")));
	assert_int_equal(num(o, "requests_on_connection"), 1);
	cJSON_Delete(o);
}

static void test_the_last_source_ip_is_the_peer_behind_x_forwarded_for(void **state)
{
	struct fixture *f = *state;
	const char *uri = "/version";
	cJSON *o;

	request(f->c, "GET", uri, "10.0.0.8:41000", 0, "", f->t0);
	o = join(f, "[\"203.0.113.9\",\"10.0.0.8\"]", uri, "get", f->t0 + 10);
	assert_string_equal(str(o, "match"), "exact");
	assert_string_equal(str(o, "src_ip"), "10.0.0.8");
	cJSON_Delete(o);
}

static void test_local_client_is_named_and_method_must_fit_the_verb(void **state)
{
	struct fixture *f = *state;
	struct conn_event cl = established("10.0.0.1", 40100, 7, true);
	struct conn_event sv = established("10.0.0.1", 40100, 8, false);
	const char *uri = "/api/v1/secrets";
	const cJSON *client;
	cJSON *o;

	sv.laddr[0] = cl.raddr[0]; /* both ends on this node */
	assert_int_equal(conntrack_ingest(f->ct, &cl, f->t0, NULL), 0);
	assert_int_equal(conntrack_ingest(f->ct, &sv, f->t0, NULL), 0);
	request(f->c, "POST", uri, "10.0.0.1:40100", HTTP_F_TLS | HTTP_F_CLIENT_CERT, "", f->t0 + 1);
	o = join(f, "[\"10.0.0.1\"]", uri, "list", f->t0 + 2); /* list is GET: not this POST */
	assert_string_equal(str(o, "match"), "ip+time");
	assert_int_equal(num(o, "src_port"), 40100);
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(o, "auth_header_present")));
	cJSON_Delete(o);
	o = join(f, "[\"10.0.0.1\"]", uri, "create", f->t0 + 2);
	assert_string_equal(str(o, "match"), "exact");
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(o, "client_cert_present")));
	client = cJSON_GetObjectItem(o, "client");
	assert_non_null(client);
	assert_int_equal(num(client, "pid"), 4242);
	assert_string_equal(str(client, "comm"), "curl");
	assert_int_equal(num(client, "cgroup_id"), 99);
	cJSON_Delete(o);
}

static void test_nothing_seen_gives_match_none(void **state)
{
	struct fixture *f = *state;
	cJSON *o = join(f, "[\"192.0.2.1\"]", "/", "get", f->t0);

	assert_string_equal(str(o, "match"), "none");
	assert_int_equal(num(o, "candidates"), 0);
	cJSON_Delete(o);
	/* no correlation at all (mode auto with nothing available) */
	cJSON *root = cJSON_Parse("{\"sourceIPs\":\"not a list\"}");
	o = correlate_connection(NULL, root, 0);
	assert_string_equal(str(o, "match"), "none");
	cJSON_Delete(o);
	cJSON_Delete(root);
}

static void test_stats_count_anonymous_requests_and_say_nothing_is_attached_without_bpf(
	void **state)
{
	struct fixture *f = *state;
	struct correlate_stats st;

	request(f->c, "GET", "/version", "192.0.2.7:40000", 0, "", f->t0);
	request(f->c, "GET", "/api", "192.0.2.7:40001", HTTP_F_TLS, "", f->t0);
	request(f->c, "GET", "/api", "192.0.2.8:40002", HTTP_F_AUTH, "Bearer", f->t0);
	request(f->c, "GET", "/api", "192.0.2.9:40003", HTTP_F_TLS | HTTP_F_CLIENT_CERT, "", f->t0);
	request(f->c, "GET", "/api", "not an address", 0, "", f->t0);
	correlate_stats(f->c, &st);
	assert_int_equal(st.anonymous_requests, 2);
	assert_false(st.connections); /* a history without the BPF program */
	assert_false(st.uprobe);
	assert_int_equal(st.bpf_events_lost, 0);
	correlate_stats(NULL, &st); /* mode off */
	assert_int_equal(st.anonymous_requests, 0);
	assert_false(st.connections);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_request_seen_by_the_uprobe_gives_an_exact_match_with_its_connection,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_the_last_source_ip_is_the_peer_behind_x_forwarded_for, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_local_client_is_named_and_method_must_fit_the_verb, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nothing_seen_gives_match_none, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_stats_count_anonymous_requests_and_say_nothing_is_attached_without_bpf,
			setup, teardown),
	};
	return cmocka_run_group_tests_name("correlate", tests, NULL, NULL);
}
