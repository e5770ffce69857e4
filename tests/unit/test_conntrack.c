/* conntrack: the connection history without BPF. Synthetic events (as bpf/conn.bpf.c sends
 * them) go through conntrack_ingest; times are microseconds on the wall clock. */
#include "unit.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>

#include "conntrack.h"

#define SEC INT64_C(1000000)
#define T0  (INT64_C(1700000000) * SEC)

#define SERVER "10.0.0.1"
#define CLIENT "10.0.0.7"

/* An event on the socket whose own address is laddr:lport; the family follows the text. */
static struct conn_event event(uint32_t kind, uint32_t flags, const char *laddr, uint16_t lport,
			       const char *raddr, uint16_t rport, uint64_t sock)
{
	struct conn_event ev;
	int family = strchr(laddr, ':') ? AF_INET6 : AF_INET;

	memset(&ev, 0, sizeof(ev));
	ev.kind = kind;
	ev.flags = flags;
	ev.family = (uint32_t)family;
	ev.sock = sock;
	ev.lport = lport;
	ev.rport = rport;
	assert_int_equal(inet_pton(family, laddr, ev.laddr), 1);
	assert_int_equal(inet_pton(family, raddr, ev.raddr), 1);
	return ev;
}

/* The server's end of a connection from client:cport to server:sport. */
static struct conn_event server_event(uint32_t kind, const char *server, uint16_t sport,
				      const char *client, uint16_t cport, uint64_t sock)
{
	return event(kind, kind == CONN_EV_ESTABLISHED ? CONN_F_PASSIVE : 0, server, sport, client,
		     cport, sock);
}

static const struct conn_record *ingest(struct conntrack *ct, struct conn_event ev, int64_t ts)
{
	const struct conn_record *r = (void *)1;

	assert_int_equal(conntrack_ingest(ct, &ev, ts, &r), 0);
	return r;
}

static struct conn_ip ip(const char *s)
{
	struct conn_ip a;

	assert_int_equal(conntrack_ip_parse(s, &a), 0);
	return a;
}

static size_t lookup(struct conntrack *ct, const char *src, int64_t t, const struct conn_record **r)
{
	struct conn_ip a = ip(src);
	const struct conn_record *unused;

	return conntrack_lookup(ct, &a, t, r ? r : &unused, 1);
}

static struct conntrack *history(int64_t retention_us, size_t max_entries)
{
	struct conntrack_opts opts = {.retention_us = retention_us, .max_entries = max_entries};
	struct conntrack *ct = NULL;

	assert_int_equal(conntrack_new(&ct, &opts), 0);
	assert_non_null(ct);
	return ct;
}

static void test_server_side_connection_is_found_by_client_ip_during_its_lifetime(void **state)
{
	struct conntrack *ct = history(0, 0);
	const struct conn_record *r;
	char buf[64];

	r = ingest(ct, server_event(CONN_EV_ESTABLISHED, SERVER, 6443, CLIENT, 40000, 0xa), T0);
	assert_non_null(r);
	ingest(ct, server_event(CONN_EV_CLOSE, SERVER, 6443, CLIENT, 40000, 0xa), T0 + 5 * SEC);

	assert_int_equal(lookup(ct, CLIENT, T0 + 2 * SEC, &r), 1);
	conntrack_ip_format(&r->client, buf, sizeof(buf));
	assert_string_equal(buf, CLIENT);
	conntrack_ip_format(&r->server, buf, sizeof(buf));
	assert_string_equal(buf, SERVER);
	assert_int_equal(r->client_port, 40000);
	assert_int_equal(r->server_port, 6443);
	assert_int_equal(r->established_us, T0);
	assert_int_equal(r->closed_us, T0 + 5 * SEC);
	assert_false(r->local_client);
	assert_int_equal(r->server_sock, 0xa);
	assert_int_equal(r->client_sock, 0);
	conntrack_free(&ct);
	assert_null(ct);
}

static void test_lookup_outside_the_lifetime_or_from_another_ip_finds_nothing(void **state)
{
	struct conntrack *ct = history(0, 0);

	ingest(ct, server_event(CONN_EV_ESTABLISHED, SERVER, 6443, CLIENT, 40000, 0xa), T0);
	ingest(ct, server_event(CONN_EV_CLOSE, SERVER, 6443, CLIENT, 40000, 0xa), T0 + 5 * SEC);

	assert_int_equal(lookup(ct, CLIENT, T0 - 1, NULL), 0);
	assert_int_equal(lookup(ct, CLIENT, T0 + 5 * SEC + 1, NULL), 0);
	assert_int_equal(lookup(ct, "10.0.0.8", T0 + 2 * SEC, NULL), 0);
	assert_int_equal(lookup(ct, SERVER, T0 + 2 * SEC, NULL), 0);
	assert_int_equal(lookup(ct, CLIENT, T0, NULL), 1);
	assert_int_equal(lookup(ct, CLIENT, T0 + 5 * SEC, NULL), 1);
	conntrack_free(&ct);
}

static void test_open_connection_covers_every_later_time(void **state)
{
	struct conntrack *ct = history(0, 0);

	ingest(ct, server_event(CONN_EV_ESTABLISHED, SERVER, 6443, CLIENT, 40000, 0xa), T0);
	assert_int_equal(lookup(ct, CLIENT, T0 + 3600 * SEC, NULL), 1);
	conntrack_free(&ct);
}

static void test_both_ends_on_this_node_make_one_record_with_the_client_process(void **state)
{
	struct conntrack *ct = history(0, 0);
	struct conn_event client = event(CONN_EV_ESTABLISHED, CONN_F_ACTIVE | CONN_F_TASK,
					 "127.0.0.1", 40001, "127.0.0.1", 6443, 0xc);
	const struct conn_record *a, *b, *r;

	client.pid = 4242;
	client.cgroup_id = 77;
	memcpy(client.comm, "kubectl", 8);
	a = ingest(ct, client, T0 + 10);
	b = ingest(ct,
		   server_event(CONN_EV_ESTABLISHED, "127.0.0.1", 6443, "127.0.0.1", 40001, 0x5),
		   T0 + 20);
	assert_ptr_equal(a, b);

	assert_int_equal(lookup(ct, "127.0.0.1", T0 + 30, &r), 1);
	assert_true(r->local_client);
	assert_int_equal(r->pid, 4242);
	assert_int_equal(r->cgroup_id, 77);
	assert_string_equal(r->comm, "kubectl");
	assert_int_equal(r->client_port, 40001);
	assert_int_equal(r->server_port, 6443);
	assert_int_equal(r->client_sock, 0xc);
	assert_int_equal(r->server_sock, 0x5);
	assert_int_equal(r->established_us, T0 + 10);
	conntrack_free(&ct);
}

static void test_dual_stack_listener_v4_mapped_addresses_are_stored_as_ipv4(void **state)
{
	struct conntrack *ct = history(0, 0);
	const struct conn_record *r;
	char buf[64];

	ingest(ct,
	       server_event(CONN_EV_ESTABLISHED, "::ffff:10.0.0.1", 6443, "::ffff:10.0.0.7", 40002,
			    0xa),
	       T0);

	assert_int_equal(lookup(ct, CLIENT, T0 + 1, &r), 1);
	assert_int_equal(r->client.family, AF_INET);
	assert_int_equal(r->server.family, AF_INET);
	conntrack_ip_format(&r->server, buf, sizeof(buf));
	assert_string_equal(buf, SERVER);
	assert_int_equal(lookup(ct, "::ffff:10.0.0.7", T0 + 1, NULL), 1);
	conntrack_free(&ct);
}

static void test_v4_client_end_and_v4_mapped_server_end_merge(void **state)
{
	struct conntrack *ct = history(0, 0);
	struct conn_event ev = event(CONN_EV_ESTABLISHED, CONN_F_ACTIVE, "127.0.0.1", 40003,
				     "127.0.0.1", 6443, 0xc);
	const struct conn_record *a, *b;

	a = ingest(ct, ev, T0);
	b = ingest(ct,
		   server_event(CONN_EV_ESTABLISHED, "::ffff:127.0.0.1", 6443, "::ffff:127.0.0.1",
				40003, 0x5),
		   T0 + 1);
	assert_ptr_equal(a, b);
	conntrack_free(&ct);
}

static void test_ipv6_client_is_found_by_its_ipv6_address(void **state)
{
	struct conntrack *ct = history(0, 0);
	const struct conn_record *r;
	char buf[64];

	ingest(ct, server_event(CONN_EV_ESTABLISHED, "fd00::1", 6443, "fd00::7", 40004, 0xa), T0);

	assert_int_equal(lookup(ct, "fd00::7", T0 + 1, &r), 1);
	assert_int_equal(r->client.family, AF_INET6);
	conntrack_ip_format(&r->client, buf, sizeof(buf));
	assert_string_equal(buf, "fd00::7");
	assert_int_equal(lookup(ct, "fd00::1", T0 + 1, NULL), 0);
	conntrack_free(&ct);
}

static void test_first_fin_of_either_end_ends_the_connection(void **state)
{
	struct conntrack *ct = history(0, 0);
	struct conn_event ev = event(CONN_EV_ESTABLISHED, CONN_F_ACTIVE, "127.0.0.1", 40005,
				     "127.0.0.1", 6443, 0xc);
	const struct conn_record *r;

	ingest(ct, ev, T0);
	ingest(ct, server_event(CONN_EV_ESTABLISHED, "127.0.0.1", 6443, "127.0.0.1", 40005, 0x5),
	       T0);
	ingest(ct, event(CONN_EV_CLOSING, 0, "127.0.0.1", 40005, "127.0.0.1", 6443, 0xc),
	       T0 + 3 * SEC);
	r = ingest(ct, server_event(CONN_EV_CLOSING, "127.0.0.1", 6443, "127.0.0.1", 40005, 0x5),
		   T0 + 3 * SEC + 10);
	assert_non_null(r);
	ingest(ct, event(CONN_EV_CLOSE, 0, "127.0.0.1", 40005, "127.0.0.1", 6443, 0xc),
	       T0 + 4 * SEC);

	assert_int_equal(r->closed_us, T0 + 3 * SEC);
	conntrack_free(&ct);
}

static void test_close_of_an_unknown_socket_is_ignored(void **state)
{
	struct conntrack *ct = history(0, 0);
	struct conntrack_stats st;

	ingest(ct, server_event(CONN_EV_ESTABLISHED, SERVER, 6443, CLIENT, 40006, 0xa), T0);
	/* same 4-tuple, another socket (a refused connect, a socket from before the load) */
	assert_null(
	    ingest(ct, server_event(CONN_EV_CLOSE, SERVER, 6443, CLIENT, 40006, 0xb), T0 + SEC));
	assert_null(
	    ingest(ct, server_event(CONN_EV_CLOSE, SERVER, 6443, CLIENT, 40007, 0xa), T0 + SEC));

	assert_int_equal(lookup(ct, CLIENT, T0 + 2 * SEC, NULL), 1);
	conntrack_stats(ct, &st);
	assert_int_equal(st.events, 3);
	assert_int_equal(st.ignored, 2);
	conntrack_free(&ct);
}

static void test_reused_4_tuple_after_a_close_is_a_new_connection(void **state)
{
	struct conntrack *ct = history(0, 0);
	const struct conn_record *first, *second, *r;

	first = ingest(ct, server_event(CONN_EV_ESTABLISHED, SERVER, 6443, CLIENT, 40008, 0xa), T0);
	ingest(ct, server_event(CONN_EV_CLOSE, SERVER, 6443, CLIENT, 40008, 0xa), T0 + SEC);
	second = ingest(ct, server_event(CONN_EV_ESTABLISHED, SERVER, 6443, CLIENT, 40008, 0xa),
			T0 + 2 * SEC);
	assert_ptr_not_equal(first, second);

	assert_int_equal(lookup(ct, CLIENT, T0 + SEC / 2, &r), 1);
	assert_ptr_equal(r, first);
	assert_int_equal(lookup(ct, CLIENT, T0 + 3 * SEC, &r), 1);
	assert_ptr_equal(r, second);
	conntrack_free(&ct);
}

static void test_lookup_counts_every_candidate_and_fills_at_most_max(void **state)
{
	struct conntrack *ct = history(0, 0);
	const struct conn_record *out[2];
	struct conn_ip src = ip(CLIENT);

	for (uint16_t i = 0; i < 5; i++)
		ingest(ct,
		       server_event(CONN_EV_ESTABLISHED, SERVER, 6443, CLIENT,
				    (uint16_t)(41000 + i), 0x100 + i),
		       T0 + i);

	assert_int_equal(conntrack_lookup(ct, &src, T0 + 10, out, 2), 5);
	assert_int_equal(out[0]->client_port, 41004); /* newest first */
	assert_int_equal(out[1]->client_port, 41003);
	assert_int_equal(conntrack_lookup(ct, &src, T0 + 2, out, 2), 3);
	conntrack_free(&ct);
}

static void test_max_entries_evicts_the_oldest_connection(void **state)
{
	struct conntrack *ct = history(0, 3);
	struct conntrack_stats st;

	for (uint16_t i = 0; i < 5; i++)
		ingest(ct,
		       server_event(CONN_EV_ESTABLISHED, SERVER, 6443, CLIENT,
				    (uint16_t)(42000 + i), 0x200 + i),
		       T0 + i);

	conntrack_stats(ct, &st);
	assert_int_equal(st.entries, 3);
	assert_int_equal(st.evicted, 2);
	assert_int_equal(lookup(ct, CLIENT, T0 + 10, NULL), 3);
	/* the two oldest are gone: a close for them is now unknown */
	assert_null(
	    ingest(ct, server_event(CONN_EV_CLOSE, SERVER, 6443, CLIENT, 42000, 0x200), T0 + 20));
	assert_non_null(
	    ingest(ct, server_event(CONN_EV_CLOSE, SERVER, 6443, CLIENT, 42002, 0x202), T0 + 20));
	conntrack_free(&ct);
}

static void test_closed_connections_expire_after_retention_and_open_ones_stay(void **state)
{
	struct conntrack *ct = history(120 * SEC, 0);
	struct conntrack_stats st;

	ingest(ct, server_event(CONN_EV_ESTABLISHED, SERVER, 6443, CLIENT, 43000, 0xa), T0);
	ingest(ct, server_event(CONN_EV_ESTABLISHED, SERVER, 6443, CLIENT, 43001, 0xb), T0);
	ingest(ct, server_event(CONN_EV_CLOSE, SERVER, 6443, CLIENT, 43000, 0xa), T0 + SEC);

	conntrack_expire(ct, T0 + 121 * SEC);
	conntrack_stats(ct, &st);
	assert_int_equal(st.entries, 2);
	assert_int_equal(st.expired, 0);

	conntrack_expire(ct, T0 + 121 * SEC + 1);
	conntrack_stats(ct, &st);
	assert_int_equal(st.entries, 1);
	assert_int_equal(st.expired, 1);
	assert_int_equal(lookup(ct, CLIENT, T0 + SEC / 2, NULL), 1); /* only the open one */

	conntrack_expire(ct, T0 + 3600 * SEC);
	conntrack_stats(ct, &st);
	assert_int_equal(st.entries, 1);
	conntrack_free(&ct);
}

static void test_default_bounds_are_120_seconds_and_65536_entries(void **state)
{
	struct conntrack *ct = NULL;
	struct conntrack_stats st;

	assert_int_equal(conntrack_new(&ct, NULL), 0);
	ingest(ct, server_event(CONN_EV_ESTABLISHED, SERVER, 6443, CLIENT, 44000, 0xa), T0);
	ingest(ct, server_event(CONN_EV_CLOSE, SERVER, 6443, CLIENT, 44000, 0xa), T0);
	conntrack_expire(ct, T0 + 120 * SEC);
	conntrack_stats(ct, &st);
	assert_int_equal(st.entries, 1);
	conntrack_expire(ct, T0 + 120 * SEC + 1);
	conntrack_stats(ct, &st);
	assert_int_equal(st.entries, 0);

	for (uint32_t i = 0; i < CONNTRACK_DEFAULT_MAX_ENTRIES + 10; i++) {
		struct conn_event ev =
		    server_event(CONN_EV_ESTABLISHED, SERVER, 6443, CLIENT, 0, 0x1000 + i);
		ev.rport = 1 + i % 60000;
		ev.raddr[0] = htonl(0x0a010000 + i / 60000);
		ingest(ct, ev, T0 + i);
	}
	conntrack_stats(ct, &st);
	assert_int_equal(st.entries, CONNTRACK_DEFAULT_MAX_ENTRIES);
	assert_int_equal(st.evicted, 10);
	conntrack_free(&ct);
}

static void test_established_of_unknown_side_is_ignored(void **state)
{
	struct conntrack *ct = history(0, 0);

	/* CLOSE -> ESTABLISHED (TCP_REPAIR): neither a passive nor an active open */
	assert_null(
	    ingest(ct, event(CONN_EV_ESTABLISHED, 0, SERVER, 6443, CLIENT, 45000, 0xa), T0));
	assert_int_equal(lookup(ct, CLIENT, T0, NULL), 0);
	conntrack_free(&ct);
}

static void test_ip_parse_accepts_both_families_and_rejects_anything_else(void **state)
{
	struct conn_ip a;
	char buf[64];

	assert_int_equal(conntrack_ip_parse("::1", &a), 0);
	assert_int_equal(a.family, AF_INET6);
	conntrack_ip_format(&a, buf, sizeof(buf));
	assert_string_equal(buf, "::1");
	assert_int_equal(conntrack_ip_parse("::ffff:192.168.1.2", &a), 0);
	assert_int_equal(a.family, AF_INET);
	conntrack_ip_format(&a, buf, sizeof(buf));
	assert_string_equal(buf, "192.168.1.2");
	assert_int_equal(conntrack_ip_parse("10.0.0.256", &a), -EINVAL);
	assert_int_equal(conntrack_ip_parse("10.0.0.1:6443", &a), -EINVAL);
	assert_int_equal(conntrack_ip_parse("", &a), -EINVAL);
}

static void test_open_rejects_no_ports_and_too_many_before_touching_bpf(void **state)
{
	uint16_t ports[CONN_MAX_PORTS + 1] = {6443};
	struct conntrack *ct = (void *)1;
	char err[128];

	assert_int_equal(conntrack_open(&ct, ports, 0, NULL, err, sizeof(err)), -EINVAL);
	assert_null(ct);
	assert_string_equal(err, "watch 1 to 8 ports, not 0");
	assert_int_equal(conntrack_open(&ct, ports, CONN_MAX_PORTS + 1, NULL, err, sizeof(err)), -EINVAL);
}

static void test_free_takes_null(void **state)
{
	struct conntrack *ct = NULL;

	conntrack_free(&ct);
	assert_null(ct);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_server_side_connection_is_found_by_client_ip_during_its_lifetime),
		cmocka_unit_test(test_lookup_outside_the_lifetime_or_from_another_ip_finds_nothing),
		cmocka_unit_test(test_open_connection_covers_every_later_time),
		cmocka_unit_test(test_both_ends_on_this_node_make_one_record_with_the_client_process),
		cmocka_unit_test(test_dual_stack_listener_v4_mapped_addresses_are_stored_as_ipv4),
		cmocka_unit_test(test_v4_client_end_and_v4_mapped_server_end_merge),
		cmocka_unit_test(test_ipv6_client_is_found_by_its_ipv6_address),
		cmocka_unit_test(test_first_fin_of_either_end_ends_the_connection),
		cmocka_unit_test(test_close_of_an_unknown_socket_is_ignored),
		cmocka_unit_test(test_reused_4_tuple_after_a_close_is_a_new_connection),
		cmocka_unit_test(test_lookup_counts_every_candidate_and_fills_at_most_max),
		cmocka_unit_test(test_max_entries_evicts_the_oldest_connection),
		cmocka_unit_test(test_closed_connections_expire_after_retention_and_open_ones_stay),
		cmocka_unit_test(test_default_bounds_are_120_seconds_and_65536_entries),
		cmocka_unit_test(test_established_of_unknown_side_is_ignored),
		cmocka_unit_test(test_ip_parse_accepts_both_families_and_rejects_anything_else),
		cmocka_unit_test(test_open_rejects_no_ports_and_too_many_before_touching_bpf),
		cmocka_unit_test(test_free_takes_null),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
