#include "metricsd.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>
#include <microhttpd.h>

#include "log.h"
#include "metrics.h"

struct metricsd {
	struct MHD_Daemon *mhd;
	struct metricsd_handlers h;
	uint16_t port;
};

int metricsd_parse_listen(const char *addr, char *host, size_t hostsz, char *port,
			  size_t portsz)
{
	const char *h = addr, *p;
	size_t hl;

	if (addr[0] == '[') {
		const char *rb = strchr(addr, ']');
		if (!rb || rb[1] != ':')
			return -EINVAL;
		h = addr + 1;
		hl = (size_t)(rb - h);
		p = rb + 2;
		if (hl == 0)
			return -EINVAL;
	} else {
		const char *colon = strrchr(addr, ':');
		if (!colon)
			return -EINVAL;
		hl = (size_t)(colon - addr);
		p = colon + 1;
		if (memchr(addr, ':', hl))
			return -EINVAL; /* an IPv6 address needs its brackets */
	}
	size_t pl = strlen(p);
	if (pl == 0 || pl > 5 || strspn(p, "0123456789") != pl || atoi(p) > 65535)
		return -EINVAL;
	if (hl >= hostsz || pl >= portsz)
		return -EINVAL;
	memcpy(host, h, hl);
	host[hl] = '\0';
	memcpy(port, p, pl + 1);
	return 0;
}

/* A listening socket on host:port (host "" for every address, IPv6 and IPv4 when the system
 * allows). Returns the descriptor, or -errno with the reason in err. */
static int listen_on(const char *addr, char *err, size_t errsz)
{
	struct addrinfo hints = {.ai_flags = AI_PASSIVE | AI_NUMERICSERV,
				 .ai_socktype = SOCK_STREAM};
	struct addrinfo *res, *ai;
	char host[256], port[8];
	int fd = -1, e = EADDRNOTAVAIL;

	if (metricsd_parse_listen(addr, host, sizeof(host), port, sizeof(port))) {
		snprintf(err, errsz, "cannot listen on %s: not HOST:PORT or [IPV6]:PORT", addr);
		return -EINVAL;
	}
	int g = getaddrinfo(host[0] ? host : NULL, port, &hints, &res);
	if (g) {
		snprintf(err, errsz, "cannot listen on %s: %s", addr,
			 g == EAI_SYSTEM ? strerror(errno) : gai_strerror(g));
		return -EINVAL;
	}
	/* every address: the IPv6 wildcard first (it takes IPv4 too), then IPv4 */
	for (int pass = 0; pass < 2 && fd < 0; pass++) {
		for (ai = res; ai && fd < 0; ai = ai->ai_next) {
			if (!host[0] && (ai->ai_family == AF_INET6) != (pass == 0))
				continue;
			if (host[0] && pass == 1)
				break;
			fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
				    ai->ai_protocol);
			if (fd < 0) {
				e = errno;
				continue;
			}
			int on = 1;
			setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
			if (bind(fd, ai->ai_addr, ai->ai_addrlen) ||
			    listen(fd, METRICSD_MAX_CONNECTIONS)) {
				e = errno;
				close(fd);
				fd = -1;
			}
		}
	}
	freeaddrinfo(res);
	if (fd < 0) {
		snprintf(err, errsz, "cannot listen on %s: %s", addr, strerror(e));
		return -e;
	}
	return fd;
}

static enum MHD_Result answer(struct MHD_Connection *c, unsigned status, const char *ctype,
			      const char *text)
{
	struct MHD_Response *r =
		MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	enum MHD_Result ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result answer_metrics(struct metricsd *m, struct MHD_Connection *c)
{
	struct sbuf page;
	char why[128];

	sbuf_init(&page, METRICSD_MAX_PAGE);
	int rc = m->h.metrics(m->h.arg, &page);
	if (rc) {
		sbuf_free(&page);
		snprintf(why, sizeof(why), "the metrics page could not be written: %s\n",
			 rc == -ENOMEM ? "larger than its limit, or out of memory" : strerror(-rc));
		return answer(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "text/plain; charset=utf-8", why);
	}
	size_t len = page.len;
	char *body = sbuf_take(&page);
	if (!body)
		return MHD_NO;
	struct MHD_Response *r =
		MHD_create_response_from_buffer_with_free_callback(len, body, free);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, METRICS_CONTENT_TYPE);
	enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_data_size,
				  void **req_cls)
{
	struct metricsd *m = cls;
	const char *text = "text/plain; charset=utf-8";

	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return answer(c, MHD_HTTP_METHOD_NOT_ALLOWED, text, "method not allowed\n");
	if (*upload_data_size) {
		*upload_data_size = 0; /* a GET with a body: the body means nothing here */
		return MHD_YES;
	}
	if (!strcmp(url, "/metrics"))
		return answer_metrics(m, c);
	if (!strcmp(url, "/healthz"))
		return answer(c, MHD_HTTP_OK, text, "ok\n");
	if (!strcmp(url, "/readyz")) {
		char why[512];
		why[0] = '\0';
		if (m->h.ready(m->h.arg, why, sizeof(why) - 1))
			return answer(c, MHD_HTTP_OK, text, "ready\n");
		why[strcspn(why, "\n")] = '\0';
		strcat(why, "\n");
		return answer(c, MHD_HTTP_SERVICE_UNAVAILABLE, text, why);
	}
	return answer(c, MHD_HTTP_NOT_FOUND, text, "not found: /metrics, /healthz, /readyz\n");
}

/* MHD's own messages (a client that went away, the connection limit): debug level. */
__attribute__((format(printf, 2, 0))) static void on_mhd_log(void *cls, const char *fmt,
							     va_list ap)
{
	char line[512];
	vsnprintf(line, sizeof(line), fmt, ap);
	line[strcspn(line, "\n")] = '\0';
	log_debug("metrics: %s", line);
}

int metricsd_open(struct metricsd **out, const char *addr, const struct metricsd_handlers *h,
		  char *err, size_t errsz)
{
	struct metricsd *m;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);

	*out = NULL;
	int fd = listen_on(addr, err, errsz);
	if (fd < 0)
		return fd;
	m = calloc(1, sizeof(*m));
	if (!m) {
		close(fd);
		snprintf(err, errsz, "cannot listen on %s: out of memory", addr);
		return -ENOMEM;
	}
	m->h = *h;
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
		m->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
							 : ((struct sockaddr_in *)&ss)->sin_port);
	/* no MHD_USE_INTERNAL_POLLING_THREAD: MHD runs only inside metricsd_run */
	m->mhd = MHD_start_daemon(MHD_USE_EPOLL | MHD_USE_ERROR_LOG, 0, NULL, NULL, on_request, m,
				  MHD_OPTION_LISTEN_SOCKET, fd,
				  MHD_OPTION_CONNECTION_LIMIT, (unsigned)METRICSD_MAX_CONNECTIONS,
				  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)METRICSD_TIMEOUT_S,
				  MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, m, MHD_OPTION_END);
	if (!m->mhd) {
		if (fcntl(fd, F_GETFD) >= 0)
			close(fd); /* MHD closes it on some failures, not on all */
		free(m);
		snprintf(err, errsz, "cannot serve on %s: libmicrohttpd did not start", addr);
		return -EIO;
	}
	*out = m;
	return 0;
}

void metricsd_free(struct metricsd **pm)
{
	struct metricsd *m = *pm;
	if (!m)
		return;
	MHD_stop_daemon(m->mhd); /* closes the listening socket and every connection */
	free(m);
	*pm = NULL;
}

uint16_t metricsd_port(const struct metricsd *m)
{
	return m->port;
}

int metricsd_fd(const struct metricsd *m)
{
	const union MHD_DaemonInfo *i = MHD_get_daemon_info(m->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	return i ? i->epoll_fd : -1;
}

long metricsd_timeout_ms(struct metricsd *m)
{
	MHD_UNSIGNED_LONG_LONG t;
	if (MHD_get_timeout(m->mhd, &t) != MHD_YES)
		return -1;
	return t > LONG_MAX ? LONG_MAX : (long)t;
}

void metricsd_run(struct metricsd *m)
{
	MHD_run(m->mhd);
}
