/* http-probe (hidden): attach the uprobe on net/http.serverHandler.ServeHTTP to a Go HTTP
 * server and print one JSON line per request it starts to handle. For the integration tests and
 * for checking by hand that the agent can see an API server's requests on this node. */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>
#include <cjson/cJSON.h>

#include "cli.h"
#include "clock.h"
#include "eventtime.h"
#include "httpprobe.h"

#define PROBE_DEFAULT_SECONDS 10
#define PROBE_CHECK_MS	      1000 /* how often to look for the process when not attached */

struct probe_args {
	const char *process;
	long count; /* stop after this many requests; 0: no limit */
	long seconds;
};

struct probe_state {
	long printed;
	long limit; /* --count, 0 for none: requests beyond it are not printed */
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: kube-audit-agent http-probe --process NAME_OR_PATH [--count N]\n"
		"                                   [--timeout S]\n"
		"\n"
		"Attach the BPF uprobe on %s to the Go process\n"
		"whose command is NAME (or whose executable is the absolute PATH), lowest pid\n"
		"first, and print one JSON line per request it starts to handle, for S seconds\n"
		"(default %d), until N requests were printed, or until SIGINT/SIGTERM. When the\n"
		"process exits the probe attaches to the next one. Bytes of the method, URI and\n"
		"remote address outside printable ASCII are printed as '?'.\n"
		"Exit status: 0, 1 on an error (or when --count is not reached in time), 2 for\n"
		"usage, %d when BPF is not available here (privileges, kernel).\n",
		HTTPPROBE_FUNC, PROBE_DEFAULT_SECONDS, PROBE_EXIT_NO_BPF);
}

/* A NUL-terminated array of at most n bytes from the event, printable ASCII only. */
static void add_text(cJSON *o, const char *key, const char *s, size_t n)
{
	char buf[HTTP_URI_LEN];
	size_t i;

	for (i = 0; i < n && i < sizeof(buf) - 1 && s[i]; i++)
		buf[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	buf[i] = '\0';
	cJSON_AddStringToObject(o, key, buf);
}

static void print_request(void *arg, const struct http_event *ev, int64_t ts_us)
{
	struct probe_state *ps = arg;
	cJSON *o = cJSON_CreateObject();
	char ts[64];
	char *s;

	if ((ps->limit && ps->printed >= ps->limit) || !o) {
		cJSON_Delete(o);
		return;
	}
	eventtime_format(ts_us, ts, sizeof(ts));
	cJSON_AddStringToObject(o, "ts", ts);
	cJSON_AddNumberToObject(o, "pid", ev->pid);
	add_text(o, "method", ev->method, sizeof(ev->method));
	add_text(o, "uri", ev->uri, sizeof(ev->uri));
	cJSON_AddNumberToObject(o, "uri_len", ev->uri_len);
	add_text(o, "remote_addr", ev->remote_addr, sizeof(ev->remote_addr));
	cJSON_AddBoolToObject(o, "auth_header_present", ev->flags & HTTP_F_AUTH);
	add_text(o, "auth_scheme", ev->scheme, sizeof(ev->scheme));
	cJSON_AddBoolToObject(o, "tls", ev->flags & HTTP_F_TLS);
	cJSON_AddBoolToObject(o, "client_cert_present", ev->flags & HTTP_F_CLIENT_CERT);
	cJSON_AddBoolToObject(o, "headers_cut", ev->flags & HTTP_F_HEADERS_CUT);
	s = cJSON_PrintUnformatted(o);
	if (s) {
		puts(s);
		fflush(stdout);
		cJSON_free(s);
	}
	cJSON_Delete(o);
	ps->printed++;
}

/* 0, 1 when --help was asked for, or -EINVAL (said on stderr). */
static int parse_args(int argc, char **argv, struct probe_args *a)
{
	static const struct option opts[] = {
	    {"process", required_argument, NULL, 'p'},
	    {"count", required_argument, NULL, 'c'},
	    {"timeout", required_argument, NULL, 't'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "p:c:t:h", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			a->process = optarg;
			break;
		case 'c':
			if (cli_parse_long("http-probe", "--count", optarg, 1, 1000000000,
					   &a->count))
				return -EINVAL;
			break;
		case 't':
			if (cli_parse_long("http-probe", "--timeout", optarg, 1, PROBE_MAX_SECONDS,
					   &a->seconds))
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
		fprintf(stderr, "http-probe: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	if (!a->process) {
		fprintf(stderr, "http-probe: --process is required\n");
		usage(stderr);
		return -EINVAL;
	}
	return 0;
}

/* Follow the process until the deadline, enough requests, or a signal. Returns 0 or -errno. */
static int probe_loop(struct httpprobe *hp, const struct probe_args *a, struct probe_state *ps)
{
	int64_t deadline = clock_mono_ms() + a->seconds * 1000, next_check = 0;
	struct signalfd_siginfo si;
	sigset_t mask;
	int sfd, err = 0;

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0)
		return -errno;
	for (;;) {
		int64_t now = clock_mono_ms(), until;
		struct pollfd fds[3];
		nfds_t nfds = 2;
		int n;

		if (now >= next_check) {
			httpprobe_check(hp);
			next_check = now + PROBE_CHECK_MS;
		}
		if (now >= deadline || (a->count && ps->printed >= a->count))
			break;
		fds[0] = (struct pollfd){.fd = sfd, .events = POLLIN};
		fds[1] = (struct pollfd){.fd = httpprobe_fd(hp), .events = POLLIN};
		if (httpprobe_pidfd(hp) >= 0)
			fds[nfds++] = (struct pollfd){.fd = httpprobe_pidfd(hp), .events = POLLIN};
		until = deadline < next_check ? deadline : next_check;
		n = poll(fds, nfds, (int)(until - now));
		if (n < 0 && errno != EINTR) {
			err = -errno;
			break;
		}
		n = httpprobe_poll(hp);
		if (n < 0) {
			err = n;
			break;
		}
		if (nfds == 3 && fds[2].revents)
			next_check = 0; /* the process exited: detach and look again now */
		if (read(sfd, &si, sizeof(si)) == sizeof(si))
			break;
	}
	httpprobe_poll(hp);
	close(sfd);
	return err;
}

int cmd_httpprobe(int argc, char **argv)
{
	struct probe_args a = {.seconds = PROBE_DEFAULT_SECONDS};
	struct probe_state ps = {0};
	struct httpprobe_status st;
	struct httpprobe *hp = NULL;
	char err[256];
	int rc;

	rc = parse_args(argc, argv, &a);
	if (rc)
		return rc > 0 ? 0 : 2;
	ps.limit = a.count;
	rc = httpprobe_open(&hp, a.process, print_request, &ps, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "http-probe: %s\n", err);
		if (rc == -EINVAL)
			return 2;
		return cli_probe_load_status(rc);
	}
	fprintf(stderr, "http-probe: loaded, following %s for %ld s\n", a.process, a.seconds);
	rc = probe_loop(hp, &a, &ps);
	if (rc)
		fprintf(stderr, "http-probe: polling failed: %s\n", strerror(-rc));
	httpprobe_status(hp, &st);
	fprintf(stderr, "http-probe: %llu requests, %llu lost, %llu attaches\n",
		(unsigned long long)st.events, (unsigned long long)st.lost,
		(unsigned long long)st.attaches);
	httpprobe_free(&hp);
	if (rc)
		return 1;
	if (a.count && ps.printed < a.count) {
		fprintf(stderr, "http-probe: %ld of %ld requests before the timeout\n", ps.printed,
			a.count);
		return 1;
	}
	return 0;
}
