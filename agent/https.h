/* https: delivery of alert records to a collector over HTTPS with libcurl. Records go into
 * the output's durable spool first; one batch at a time is read from it, encoded
 * (format.c), gzip-compressed and POSTed. 2xx removes the batch; network errors, 408, 429
 * and 5xx are retried with capped exponential backoff and jitter, honouring Retry-After,
 * forever; any other 4xx moves the batch to the dead-letter file with the answer logged. */
#ifndef KAA_HTTPS_H
#define KAA_HTTPS_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include <curl/curl.h>

#include "config.h"
#include "format.h"
#include "redact.h"
#include "sbuf.h"
#include "spool.h"

struct https_output {
	const struct output_config *cfg;
	struct spool spool;
	enum out_format fmt;
	struct format_opts fopts;
	char *token;
	char *prev_token; /* the token the request in flight may still carry (SIGHUP) */
	struct redact_set url_secrets; /* what the url's user:password@ gives away */
	struct curl_slist *hdrs;
	CURL *easy; /* the batch in flight, or NULL */
	struct spool_batch batch;
	struct sbuf body, resp;
	long retry_after_ms;
	char errbuf[CURL_ERROR_SIZE]; /* libcurl's own words for the last failure */
	unsigned attempts;
	int64_t next_ms;       /* monotonic ms before which no attempt starts */
	int64_t pending_since; /* monotonic ms the oldest unsent record waits since, 0: none */
	char *deadletter_path;
	bool failing;
	int64_t failing_since_ms; /* monotonic ms of the first failure in a row (while failing) */
	bool headers_stale; /* the token changed during a transfer: rebuild after it */
	/* records: taken by the collector, in attempts that failed and are retried, moved to the
	 * dead-letter file; batches taken; attempts that failed */
	unsigned long long delivered, retried_records, dead_letters, batches, retries;
};

/* Open the output: its spool under state_dir/spool/NAME, its token. Returns 0 or -errno. */
int https_open(struct https_output *h, const struct output_config *oc, const char *state_dir,
	       char *err, size_t errsz);
void https_close(struct https_output *h, CURLM *multi);
/* Read the token file again (start, SIGHUP). Returns 0 or -errno (logged, without it). */
int https_load_token(struct https_output *h);
/* Spool one record (durable after https_sync). Returns 0 or -errno. */
int https_queue(struct https_output *h, const char *rec, size_t len, int64_t now_ms);
int https_sync(struct https_output *h);
/* Start a batch when one is due. Returns the ms until it next needs a look (-1: not until
 * something is queued or a transfer ends). */
long https_pump(struct https_output *h, CURLM *multi, int64_t now_ms);
/* A Retry-After header's value (RFC 9110 10.2.3: delay-seconds or an HTTP-date, read with
 * curl_getdate; surrounding white space allowed) as the ms to wait from now, a date in the past
 * being 0 and anything over HTTPS_MAX_RETRY_AFTER_S capped to it; -1 when it is neither. */
#define HTTPS_MAX_RETRY_AFTER_S 3600
long https_retry_after_ms(const char *value, time_t now);
/* The transfer of h ended with code (libcurl's result). */
void https_done(struct https_output *h, CURLM *multi, CURLcode code, int64_t now_ms);

#endif
