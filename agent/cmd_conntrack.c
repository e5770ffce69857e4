/* conntrack-probe (hidden): load the connection tracker on the given ports and print one JSON
 * line per connection event for a while. For the integration tests and for checking by hand
 * that this kernel lets the agent see connections. */
#include <arpa/inet.h>
#include <netinet/tcp.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>
#include <cjson/cJSON.h>

#include "cli.h"
#include "clock.h"
#include "conntrack.h"
#include "eventtime.h"

/* the kernel's TCP state numbers (include/net/tcp_states.h) */
static const char *const tcp_states[] = {
	[TCP_ESTABLISHED] = "ESTABLISHED",
	[TCP_SYN_SENT] = "SYN_SENT",
	[TCP_SYN_RECV] = "SYN_RECV",
	[TCP_FIN_WAIT1] = "FIN_WAIT1",
	[TCP_FIN_WAIT2] = "FIN_WAIT2",
	[TCP_TIME_WAIT] = "TIME_WAIT",
	[TCP_CLOSE] = "CLOSE",
	[TCP_CLOSE_WAIT] = "CLOSE_WAIT",
	[TCP_LAST_ACK] = "LAST_ACK",
	[TCP_LISTEN] = "LISTEN",
	[TCP_CLOSING] = "CLOSING",
};

static const char *tcp_state(uint32_t s)
{
	return s < sizeof(tcp_states) / sizeof(tcp_states[0]) && tcp_states[s] ? tcp_states[s]
									       : "?";
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: kube-audit-agent conntrack-probe [--port P]... [--seconds N]\n"
		"\n"
		"Load the BPF connection tracker watching TCP port P (repeatable, up to %d;\n"
		"default %d) and print one JSON line per connection event for N seconds\n"
		"(default 10) or until SIGINT/SIGTERM. Exit status: 0, 1 on an error, 2 for\n"
		"usage, %d when BPF is not available here (privileges, kernel).\n",
		CONN_MAX_PORTS, CONN_DEFAULT_PORT, PROBE_EXIT_NO_BPF);
}

static const char *side(const struct conn_event *ev, const struct conn_record *r)
{
	if (r && r->client_sock == ev->sock)
		return "client";
	if (r && r->server_sock == ev->sock)
		return "server";
	return "unknown";
}

static void print_event(void *arg, const struct conn_event *ev, int64_t ts_us,
			const struct conn_record *r)
{
	char buf[64], laddr[INET6_ADDRSTRLEN], raddr[INET6_ADDRSTRLEN];
	struct conn_ip local, remote;
	cJSON *o = cJSON_CreateObject();
	char *s;

	if (!o)
		return;
	eventtime_format(ts_us, buf, sizeof(buf));
	cJSON_AddStringToObject(o, "time", buf);
	cJSON_AddStringToObject(o, "event",
				ev->kind == CONN_EV_ESTABLISHED ? "established"
				: ev->kind == CONN_EV_CLOSING	? "closing"
								: "close");
	cJSON_AddStringToObject(o, "side", side(ev, r));
	cJSON_AddStringToObject(o, "family", ev->family == AF_INET ? "inet" : "inet6");
	conntrack_event_ips(ev, &local, &remote);
	conntrack_ip_format(&local, laddr, sizeof(laddr));
	conntrack_ip_format(&remote, raddr, sizeof(raddr));
	cJSON_AddStringToObject(o, "local", laddr);
	cJSON_AddNumberToObject(o, "local_port", ev->lport);
	cJSON_AddStringToObject(o, "remote", raddr);
	cJSON_AddNumberToObject(o, "remote_port", ev->rport);
	cJSON_AddStringToObject(o, "oldstate", tcp_state(ev->oldstate));
	cJSON_AddStringToObject(o, "newstate", tcp_state(ev->newstate));
	snprintf(buf, sizeof(buf), "0x%llx", (unsigned long long)ev->sock);
	cJSON_AddStringToObject(o, "sock", buf);
	if (ev->flags & CONN_F_TASK) {
		cJSON_AddNumberToObject(o, "pid", ev->pid);
		snprintf(buf, sizeof(buf), "%.*s", CONN_COMM_LEN, ev->comm);
		cJSON_AddStringToObject(o, "comm", buf);
		cJSON_AddNumberToObject(o, "cgroup_id", (double)ev->cgroup_id);
	}
	s = cJSON_PrintUnformatted(o);
	if (s) {
		puts(s);
		fflush(stdout);
		cJSON_free(s);
	}
	cJSON_Delete(o);
}

static int parse_args(int argc, char **argv, uint16_t *ports, size_t *nports, long *seconds)
{
	static const struct option opts[] = {
		{"port", required_argument, NULL, 'p'},
		{"seconds", required_argument, NULL, 's'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	long v;
	int c;

	while ((c = getopt_long(argc, argv, "p:s:h", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (cli_parse_long("conntrack-probe", "--port", optarg, 1, 65535, &v))
				return -EINVAL;
			if (*nports == CONN_MAX_PORTS) {
				fprintf(stderr, "conntrack-probe: at most %d ports\n",
					CONN_MAX_PORTS);
				return -EINVAL;
			}
			ports[(*nports)++] = (uint16_t)v;
			break;
		case 's':
			if (cli_parse_long("conntrack-probe", "--seconds", optarg, 1,
					   PROBE_MAX_SECONDS, seconds))
				return -EINVAL;
			break;
		case 'h':
			usage(stdout);
			return 1;
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "conntrack-probe: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	if (*nports == 0)
		ports[(*nports)++] = CONN_DEFAULT_PORT;
	return 0;
}

/* Poll the tracker until the deadline or a signal. Returns 0 or -errno. */
static int probe_loop(struct conntrack *ct, long seconds)
{
	struct epoll_event ev = {.events = EPOLLIN};
	int64_t deadline = clock_mono_ms() + seconds * 1000;
	int efd = -1, sfd = -1, err = 0;
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	efd = epoll_create1(EPOLL_CLOEXEC);
	if (sfd < 0 || efd < 0) {
		err = -errno;
		goto cleanup;
	}
	ev.data.fd = conntrack_fd(ct);
	if (epoll_ctl(efd, EPOLL_CTL_ADD, ev.data.fd, &ev)) {
		err = -errno;
		goto cleanup;
	}
	ev.data.fd = sfd;
	if (epoll_ctl(efd, EPOLL_CTL_ADD, sfd, &ev)) {
		err = -errno;
		goto cleanup;
	}
	for (;;) {
		int64_t left = deadline - clock_mono_ms();
		struct epoll_event got[2];
		int n;

		if (left <= 0)
			break;
		n = epoll_wait(efd, got, 2, (int)left);
		if (n < 0 && errno != EINTR) {
			err = -errno;
			break;
		}
		n = conntrack_poll(ct);
		if (n < 0) {
			err = n;
			break;
		}
		struct signalfd_siginfo si;
		if (read(sfd, &si, sizeof(si)) == sizeof(si))
			break;
	}
	conntrack_poll(ct);
cleanup:
	if (efd >= 0)
		close(efd);
	if (sfd >= 0)
		close(sfd);
	return err;
}

int cmd_conntrack_probe(int argc, char **argv)
{
	uint16_t ports[CONN_MAX_PORTS];
	struct conntrack *ct = NULL;
	struct conntrack_stats st;
	size_t nports = 0;
	long seconds = 10;
	char err[256];
	int rc;

	rc = parse_args(argc, argv, ports, &nports, &seconds);
	if (rc)
		return rc > 0 ? 0 : 2;
	rc = conntrack_open(&ct, ports, nports, NULL, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "conntrack-probe: %s\n", err);
		return cli_probe_load_status(rc);
	}
	conntrack_set_observer(ct, print_event, NULL);
	fprintf(stderr, "conntrack-probe: attached, watching %zu port(s) for %ld s\n", nports,
		seconds);
	rc = probe_loop(ct, seconds);
	if (rc)
		fprintf(stderr, "conntrack-probe: polling failed: %s\n", strerror(-rc));
	conntrack_stats(ct, &st);
	fprintf(stderr, "conntrack-probe: %llu events, %llu lost, %zu connections held\n",
		(unsigned long long)st.events, (unsigned long long)conntrack_lost(ct), st.entries);
	conntrack_free(&ct);
	return rc ? 1 : 0;
}
