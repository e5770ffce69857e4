/* metricsd: the agent's HTTP endpoint (metrics.listen): /metrics, /healthz and /readyz,
 * served by libmicrohttpd from the daemon's own thread. MHD runs in external epoll mode: the
 * daemon polls metricsd_fd with its other descriptors and calls metricsd_run. */
#ifndef KAA_METRICSD_H
#define KAA_METRICSD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sbuf.h"

#define METRICSD_MAX_CONNECTIONS 16
#define METRICSD_TIMEOUT_S	 10		/* per connection, idle or slow */
#define METRICSD_MAX_PAGE	 (4u << 20)	/* /metrics larger than this is a 500 */

struct metricsd_handlers {
	/* Write the metrics page into out (its limit is METRICSD_MAX_PAGE). Returns 0 or -errno. */
	int (*metrics)(void *arg, struct sbuf *out);
	/* Ready? When not, one line saying why into why. */
	bool (*ready)(void *arg, char *why, size_t whysz);
	void *arg;
};

struct metricsd;

/* Split "HOST:PORT" or "[V6]:PORT" into host (without brackets; "" for all addresses) and
 * port. Returns 0 or -EINVAL. */
int metricsd_parse_listen(const char *addr, char *host, size_t hostsz, char *port,
			  size_t portsz);
/* Listen on addr ("HOST:PORT", "[V6]:PORT") and serve the endpoints with h. Returns 0, or
 * -errno with one line naming the address in err ("cannot listen on 127.0.0.1:9464: Address
 * already in use"). */
int metricsd_open(struct metricsd **out, const char *addr, const struct metricsd_handlers *h,
		  char *err, size_t errsz);
/* Stop serving and free; takes NULL and clears *m. */
void metricsd_free(struct metricsd **m);
/* The port it listens on (the one the system chose for port 0). */
uint16_t metricsd_port(const struct metricsd *m);
/* The descriptor to poll for reading (MHD's epoll fd). */
int metricsd_fd(const struct metricsd *m);
/* Milliseconds within which metricsd_run must be called even when the descriptor is quiet
 * (connection timeouts, work in hand), or -1 when only the descriptor matters. */
long metricsd_timeout_ms(struct metricsd *m);
/* Accept, read requests, answer them, close idle connections: never blocks. */
void metricsd_run(struct metricsd *m);

#endif
