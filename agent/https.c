#include "https.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>
#include <cjson/cJSON.h>

#include "cli.h"
#include "clock.h"
#include "eventtime.h"
#include "log.h"

#define HTTPS_MAX_RESPONSE (1u << 20)
#define HTTPS_LOGGED_BODY 512

int https_load_token(struct https_output *h)
{
	const char *path = h->cfg->token_file;
	if (!path)
		return 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		log_error("output %s: cannot read token_file %s: %s", h->cfg->name, path,
			  strerror(e));
		return -e;
	}
	char buf[8192];
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0) {
		log_error("output %s: cannot read token_file %s", h->cfg->name, path);
		return -EIO;
	}
	while (n > 0 && isspace((unsigned char)buf[n - 1]))
		n--;
	buf[n] = '\0';
	if (n == 0 || strpbrk(buf, "\r\n")) {
		log_error("output %s: token_file %s must hold one line", h->cfg->name, path);
		return -EINVAL;
	}
	if (h->prev_token) {
		memset(h->prev_token, 0, strlen(h->prev_token));
		free(h->prev_token);
	}
	h->prev_token = h->token; /* kept for redact until the headers are rebuilt */
	h->token = strdup(buf);
	memset(buf, 0, sizeof(buf));
	if (!h->token)
		return -ENOMEM;
	h->headers_stale = true; /* rebuilt before the next request */
	return 0;
}

/* Headers for every request: content type, encoding, authorization, the configured ones. */
static int build_headers(struct https_output *h)
{
	char line[9000];
	struct curl_slist *l = NULL;

	curl_slist_free_all(h->hdrs);
	h->hdrs = NULL;
	snprintf(line, sizeof(line), "Content-Type: %s", format_content_type(h->fmt));
	l = curl_slist_append(l, line);
	if (h->cfg->compress)
		l = curl_slist_append(l, "Content-Encoding: gzip");
	l = curl_slist_append(l, "Expect:");
	if (h->token) {
		const char *scheme = h->fmt == FMT_SPLUNK_HEC	 ? "Splunk"
				     : h->fmt == FMT_ELASTIC_BULK ? "ApiKey"
								  : "Bearer";
		snprintf(line, sizeof(line), "Authorization: %s %s", scheme, h->token);
		l = curl_slist_append(l, line);
		memset(line, 0, sizeof(line));
	}
	for (size_t i = 0; i < h->cfg->nheaders; i++) {
		snprintf(line, sizeof(line), "%s: %s", h->cfg->headers[i].name,
			 h->cfg->headers[i].value);
		l = curl_slist_append(l, line);
	}
	h->hdrs = l;
	if (h->prev_token) {
		memset(h->prev_token, 0, strlen(h->prev_token));
		free(h->prev_token);
		h->prev_token = NULL;
	}
	return l ? 0 : -ENOMEM;
}

/* What the collector or libcurl said, in place, without the output's credentials: a
 * collector may echo the Authorization header, and a URL may carry user:password@. */
static void redact_answer(const struct https_output *h, char *text, size_t n)
{
	size_t max = 2 + h->url_secrets.n + h->cfg->nheaders, k = 0;
	const char **v = calloc(max, sizeof(*v));

	if (!v) {
		snprintf(text, n, "(not shown: out of memory to redact it)");
		return;
	}
	v[k++] = h->token;
	v[k++] = h->prev_token;
	for (size_t i = 0; i < h->url_secrets.n; i++)
		v[k++] = h->url_secrets.v[i];
	for (size_t i = 0; i < h->cfg->nheaders; i++)
		if (redact_header_is_secret(h->cfg->headers[i].name))
			v[k++] = h->cfg->headers[i].value;
	redact_text(text, n, v, k);
	free(v);
}

int https_open(struct https_output *h, const struct output_config *oc, const char *state_dir,
	       char *err, size_t errsz)
{
	char dir[4096];
	memset(h, 0, sizeof(*h));
	h->cfg = oc;
	sbuf_init(&h->body, 256u << 20);
	sbuf_init(&h->resp, HTTPS_MAX_RESPONSE);
	if (format_parse(oc->format, &h->fmt)) {
		snprintf(err, errsz, "output %s: unknown format %s", oc->name, oc->format);
		return -EINVAL;
	}
	h->fopts.index = oc->index;
	h->fopts.source = oc->source;
	h->fopts.sourcetype = oc->sourcetype;
	h->fopts.version = KAA_VERSION;
	snprintf(dir, sizeof(dir), "%s/spool", state_dir);
	if (mkdir(dir, 0700) && errno != EEXIST) {
		int e = errno;
		snprintf(err, errsz, "%s: %s", dir, strerror(e));
		return -e;
	}
	snprintf(dir, sizeof(dir), "%s/spool/%s", state_dir, oc->name);
	int rc = spool_open(&h->spool, dir, oc->spool_max_bytes, err, errsz);
	if (rc)
		return rc;
	if (asprintf(&h->deadletter_path, "%s/deadletter/%s.jsonl", state_dir, oc->name) < 0) {
		h->deadletter_path = NULL;
		return -ENOMEM;
	}
	if ((rc = redact_set_add_url(&h->url_secrets, oc->url))) {
		snprintf(err, errsz, "output %s: url: %s", oc->name, strerror(-rc));
		return rc;
	}
	if (oc->token_file && (rc = https_load_token(h))) {
		snprintf(err, errsz, "output %s: token_file %s cannot be used", oc->name,
			 oc->token_file);
		return rc;
	}
	if ((rc = build_headers(h)))
		return rc;
	h->headers_stale = false;
	if (oc->insecure_skip_verify)
		log_warn("output %s: insecure_skip_verify is set: the collector's certificate is "
			 "NOT checked and anyone on the path can read and change the alerts",
			 oc->name);
	if (!spool_empty(&h->spool)) {
		h->pending_since = clock_mono_ms();
		log_info("output %s: %llu bytes of alerts wait in the spool from before; sending",
			 oc->name, (unsigned long long)h->spool.bytes);
	}
	return 0;
}

static void end_transfer(struct https_output *h, CURLM *multi)
{
	if (h->easy) {
		curl_multi_remove_handle(multi, h->easy);
		curl_easy_cleanup(h->easy);
		h->easy = NULL;
	}
	spool_batch_free(&h->batch);
	sbuf_reset(&h->body);
	sbuf_reset(&h->resp);
}

void https_close(struct https_output *h, CURLM *multi)
{
	end_transfer(h, multi);
	spool_close(&h->spool);
	curl_slist_free_all(h->hdrs);
	if (h->token)
		memset(h->token, 0, strlen(h->token));
	free(h->token);
	if (h->prev_token)
		memset(h->prev_token, 0, strlen(h->prev_token));
	free(h->prev_token);
	redact_set_clear(&h->url_secrets);
	free(h->deadletter_path);
	sbuf_free(&h->body);
	sbuf_free(&h->resp);
	memset(h, 0, sizeof(*h));
}

int https_queue(struct https_output *h, const char *rec, size_t len, int64_t now_ms)
{
	bool was_empty = spool_empty(&h->spool);
	int rc = spool_append(&h->spool, rec, len);
	if (rc == 0 && was_empty)
		h->pending_since = now_ms;
	return rc;
}

int https_sync(struct https_output *h)
{
	return spool_sync(&h->spool);
}

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	struct https_output *h = arg;
	/* keep what fits for the log and the _bulk items; read the rest away */
	sbuf_append(&h->resp, p, size * n);
	return size * n;
}

long https_retry_after_ms(const char *value, time_t now)
{
	char buf[64];
	size_t len = strlen(value);
	while (len && isspace((unsigned char)value[len - 1]))
		len--; /* the header line's CRLF */
	while (len && isspace((unsigned char)*value))
		value++, len--;
	if (!len || len >= sizeof(buf))
		return -1;
	memcpy(buf, value, len);
	buf[len] = '\0';
	long long secs;
	if (strspn(buf, "0123456789") == len) { /* delay-seconds */
		errno = 0;
		secs = strtoll(buf, NULL, 10);
		if (errno == ERANGE)
			secs = HTTPS_MAX_RETRY_AFTER_S;
	} else { /* an HTTP-date */
		time_t at = curl_getdate(buf, NULL);
		if (at == -1)
			return -1;
		secs = at > now ? (long long)(at - now) : 0;
	}
	if (secs > HTTPS_MAX_RETRY_AFTER_S)
		secs = HTTPS_MAX_RETRY_AFTER_S;
	return (long)secs * 1000;
}

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
	struct https_output *h = arg;
	size_t len = size * n;
	if (len > 12 && !strncasecmp(p, "Retry-After:", 12)) {
		char buf[128];
		size_t k = len - 12 < sizeof(buf) - 1 ? len - 12 : sizeof(buf) - 1;
		memcpy(buf, p + 12, k);
		buf[k] = '\0';
		long ms = https_retry_after_ms(buf, time(NULL));
		if (ms >= 0) {
			h->retry_after_ms = ms;
		} else {
			char *v = buf + strspn(buf, " \t");
			v[strcspn(v, "\r\n")] = '\0';
			log_warn("output %s: the collector's Retry-After \"%s\" is neither seconds "
				 "nor an HTTP date; the ordinary backoff applies",
				 h->cfg->name, v);
		}
	}
	return len;
}

/* gzip buf into out. Returns 0 or -ENOMEM. */
static int gzip_body(const char *buf, size_t len, struct sbuf *out)
{
	z_stream zs;
	memset(&zs, 0, sizeof(zs));
	if (deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -ENOMEM;
	size_t bound = deflateBound(&zs, (uLong)len);
	sbuf_reset(out);
	if (sbuf_append(out, NULL, 0) || out->cap < bound + 1) {
		char *nb = realloc(out->buf, bound + 1);
		if (!nb) {
			deflateEnd(&zs);
			return -ENOMEM;
		}
		out->buf = nb;
		out->cap = bound + 1;
	}
	zs.next_in = (Bytef *)buf;
	zs.avail_in = (uInt)len;
	zs.next_out = (Bytef *)out->buf;
	zs.avail_out = (uInt)bound;
	int rc = deflate(&zs, Z_FINISH);
	out->len = zs.total_out;
	deflateEnd(&zs);
	return rc == Z_STREAM_END ? 0 : -EIO;
}

static int start_batch(struct https_output *h, CURLM *multi)
{
	struct sbuf plain;
	int rc;
	if (h->headers_stale) {
		if ((rc = build_headers(h)))
			return rc;
		h->headers_stale = false;
	}
	rc = spool_peek(&h->spool, h->cfg->batch_max_events, h->cfg->batch_max_bytes,
			    &h->batch);
	if (rc)
		return rc;
	if (h->batch.n == 0) {
		/* nothing readable (skipped damage): move past it */
		if (h->batch.end.seg != h->spool.ack.seg || h->batch.end.off != h->spool.ack.off)
			spool_ack(&h->spool, h->batch.end);
		spool_batch_free(&h->batch);
		if (spool_empty(&h->spool))
			h->pending_since = 0;
		return 0;
	}
	sbuf_init(&plain, 256u << 20);
	for (size_t i = 0; i < h->batch.n && !rc; i++)
		rc = format_record(h->fmt, &h->fopts, h->batch.recs[i].data, h->batch.recs[i].len,
				   &plain);
	if (!rc) {
		if (h->cfg->compress)
			rc = gzip_body(plain.buf ? plain.buf : "", plain.len, &h->body);
		else
			rc = sbuf_append(&h->body, plain.buf ? plain.buf : "", plain.len);
	}
	sbuf_free(&plain);
	if (rc) {
		spool_batch_free(&h->batch);
		return rc;
	}

	CURL *e = curl_easy_init();
	if (!e) {
		spool_batch_free(&h->batch);
		return -ENOMEM;
	}
	const struct output_config *oc = h->cfg;
	curl_easy_setopt(e, CURLOPT_URL, oc->url);
	curl_easy_setopt(e, CURLOPT_POST, 1L);
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, h->body.buf);
	curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)h->body.len);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, h->hdrs);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "kube-audit-agent/" KAA_VERSION);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, h);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, h);
	curl_easy_setopt(e, CURLOPT_PRIVATE, h);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 60000L);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, oc->allow_plain_http ? "https,http" : "https");
	curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "https");
	curl_easy_setopt(e, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, oc->insecure_skip_verify ? 0L : 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, oc->insecure_skip_verify ? 0L : 2L);
	if (oc->ca_file)
		curl_easy_setopt(e, CURLOPT_CAINFO, oc->ca_file);
	if (oc->cert_file) {
		curl_easy_setopt(e, CURLOPT_SSLCERT, oc->cert_file);
		curl_easy_setopt(e, CURLOPT_SSLKEY, oc->key_file);
	}
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, h->errbuf);
	h->errbuf[0] = '\0';
	h->retry_after_ms = -1;
	h->easy = e;
	curl_multi_add_handle(multi, e);
	return 0;
}

long https_pump(struct https_output *h, CURLM *multi, int64_t now_ms)
{
	if (h->easy)
		return -1; /* one batch in flight; its end wakes the loop */
	if (spool_empty(&h->spool)) {
		h->pending_since = 0;
		return -1;
	}
	if (now_ms < h->next_ms)
		return (long)(h->next_ms - now_ms);
	/* a full batch goes at once; a partial one after max_delay_ms */
	int64_t due = h->pending_since + h->cfg->batch_max_delay_ms;
	bool full = h->spool.bytes >= h->cfg->batch_max_bytes;
	if (!full && h->attempts == 0 && now_ms < due) {
		struct spool_batch probe;
		if (spool_peek(&h->spool, h->cfg->batch_max_events, h->cfg->batch_max_bytes,
			       &probe) == 0) {
			full = probe.n >= h->cfg->batch_max_events;
			spool_batch_free(&probe);
		}
		if (!full)
			return (long)(due - now_ms);
	}
	int rc = start_batch(h, multi);
	if (rc) {
		log_error("output %s: cannot prepare a batch: %s; retrying", h->cfg->name,
			  strerror(-rc));
		h->next_ms = now_ms + 1000;
		return 1000;
	}
	return -1;
}

static void backoff(struct https_output *h, int64_t now_ms, const char *why)
{
	unsigned initial = h->cfg->retry_initial_ms, max = h->cfg->retry_max_ms;
	uint64_t delay = initial;
	for (unsigned i = 0; i < h->attempts && delay < max; i++)
		delay *= 2;
	if (delay > max)
		delay = max;
	/* jitter: between half and the whole of the delay */
	delay = delay / 2 + (uint64_t)(rand() % (int)(delay / 2 + 1));
	if (h->retry_after_ms >= 0 && (uint64_t)h->retry_after_ms > delay)
		delay = (uint64_t)h->retry_after_ms;
	h->attempts++;
	h->retries++;
	h->retried_records += h->batch.n;
	h->next_ms = now_ms + (int64_t)delay;
	if (!h->failing || h->attempts % 10 == 1)
		log_warn("output %s: %s; %zu alerts kept in the spool, retry %u in %llu ms",
			 h->cfg->name, why, h->batch.n, h->attempts, (unsigned long long)delay);
	if (!h->failing)
		h->failing_since_ms = now_ms;
	h->failing = true;
}

/* The collector's answer, cut for a log line, without the output's credentials. */
static void answer_excerpt(const struct https_output *h, char *buf, size_t n)
{
	/* redacted whole before the cut, which could otherwise leave half a secret */
	char *all = malloc(h->resp.len + 1);
	if (!all) {
		snprintf(buf, n, "(not shown: out of memory to redact it)");
		return;
	}
	for (size_t i = 0; i < h->resp.len; i++) {
		char c = h->resp.buf[i];
		all[i] = (c == '\n' || c == '\r' || c == '\t') ? ' ' : c;
	}
	all[h->resp.len] = '\0';
	redact_answer(h, all, h->resp.len + 1);
	snprintf(buf, n, "%s", all);
	free(all);
}

/* Append records to the dead-letter file with the collector's status and answer. */
static void dead_letter(struct https_output *h, const bool *which, long status,
			const char *reason)
{
	char dir[4096];
	char excerpt[HTTPS_LOGGED_BODY];
	snprintf(dir, sizeof(dir), "%s", h->deadletter_path);
	char *slash = strrchr(dir, '/');
	if (slash) {
		*slash = '\0';
		mkdir(dir, 0700);
	}
	answer_excerpt(h, excerpt, sizeof(excerpt));
	int fd = open(h->deadletter_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
		      0600);
	size_t count = 0;
	char now[40];
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	eventtime_format((int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000, now, sizeof(now));
	for (size_t i = 0; i < h->batch.n; i++) {
		if (which && !which[i])
			continue;
		count++;
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "time", now);
		cJSON_AddStringToObject(o, "output", h->cfg->name);
		cJSON_AddNumberToObject(o, "status", (double)status);
		cJSON_AddStringToObject(o, "reason", reason);
		cJSON_AddStringToObject(o, "answer", excerpt);
		cJSON_AddItemToObject(o, "record", cJSON_CreateRaw(h->batch.recs[i].data));
		char *line = cJSON_PrintUnformatted(o);
		cJSON_Delete(o);
		if (fd >= 0 && line) {
			size_t len = strlen(line);
			line[len] = '\n';
			if (write(fd, line, len + 1) != (ssize_t)(len + 1))
				log_error("output %s: cannot write the dead-letter file %s",
					  h->cfg->name, h->deadletter_path);
		}
		cJSON_free(line);
	}
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	} else {
		log_error("output %s: cannot open the dead-letter file %s: %s", h->cfg->name,
			  h->deadletter_path, strerror(errno));
	}
	h->dead_letters += count;
	log_error("output %s: the collector refused %zu alert(s) (%s, HTTP %ld: %s); they are "
		  "in %s and will not be sent again",
		  h->cfg->name, count, reason, status, excerpt, h->deadletter_path);
}

/* _bulk answers per item. Returns 1 when an item must be retried, 0 otherwise (with the
 * items that failed for good marked in bad), -1 when the answer cannot be read. */
static int bulk_items(struct https_output *h, bool *bad, size_t *nbad)
{
	cJSON *r = cJSON_ParseWithLength(h->resp.buf ? h->resp.buf : "", h->resp.len);
	const cJSON *items = cJSON_GetObjectItemCaseSensitive(r, "items");
	int rc = 0;
	*nbad = 0;
	if (!cJSON_IsArray(items) || (size_t)cJSON_GetArraySize(items) != h->batch.n) {
		cJSON_Delete(r);
		return -1;
	}
	size_t i = 0;
	for (const cJSON *it = items->child; it; it = it->next, i++) {
		const cJSON *op = it->child; /* {"create": {...}} */
		const cJSON *st = cJSON_GetObjectItemCaseSensitive(op, "status");
		int status = cJSON_IsNumber(st) ? (int)st->valuedouble : 0;
		if ((status >= 200 && status < 300) || status == 409)
			continue; /* created, or there already: delivered */
		if (status == 429 || status >= 500 || status == 0) {
			rc = 1;
			continue;
		}
		bad[i] = true;
		(*nbad)++;
	}
	cJSON_Delete(r);
	return rc;
}

/* The batch is out of the spool's hands: `delivered` of its records taken by the collector
 * (counted), the others in the dead letters (counted there). */
static void batch_done(struct https_output *h, int64_t now_ms, size_t delivered)
{
	int rc = spool_ack(&h->spool, h->batch.end);
	if (rc)
		log_error("output %s: cannot record the delivery in the spool: %s (the batch may "
			  "be sent again)",
			  h->cfg->name, strerror(-rc));
	if (delivered) {
		h->delivered += delivered;
		h->batches++;
	}
	if (h->failing)
		log_info("output %s: delivering again", h->cfg->name);
	h->failing = false;
	h->failing_since_ms = 0;
	h->attempts = 0;
	h->next_ms = now_ms;
	if (spool_empty(&h->spool))
		h->pending_since = 0;
}

void https_done(struct https_output *h, CURLM *multi, CURLcode code, int64_t now_ms)
{
	long status = 0;
	char why[CURL_ERROR_SIZE + 128];
	curl_easy_getinfo(h->easy, CURLINFO_RESPONSE_CODE, &status);

	if (code != CURLE_OK) {
		const char *detail = h->errbuf[0] ? h->errbuf : curl_easy_strerror(code);
		snprintf(why, sizeof(why), "%s", detail);
		if (code == CURLE_PEER_FAILED_VERIFICATION || code == CURLE_SSL_CACERT_BADFILE ||
		    code == CURLE_SSL_CERTPROBLEM || code == CURLE_SSL_CONNECT_ERROR)
			snprintf(why, sizeof(why), "TLS: %s (check ca_file, cert_file, key_file "
						   "and the collector's certificate)",
				 detail);
		redact_answer(h, why, sizeof(why));
		backoff(h, now_ms, why);
	} else if (status >= 200 && status < 300) {
		if (h->fmt == FMT_ELASTIC_BULK) {
			bool *bad = calloc(h->batch.n ? h->batch.n : 1, sizeof(*bad));
			size_t nbad = 0;
			int r = bad ? bulk_items(h, bad, &nbad) : -1;
			if (r == 1) {
				backoff(h, now_ms, "some _bulk items answered 429 or 5xx");
			} else {
				if (r < 0)
					log_warn("output %s: the _bulk answer could not be read item by "
						 "item; the batch counts as delivered",
						 h->cfg->name);
				else if (nbad)
					dead_letter(h, bad, status, "_bulk item error");
				batch_done(h, now_ms, h->batch.n - (r < 0 ? 0 : nbad));
			}
			free(bad);
		} else {
			batch_done(h, now_ms, h->batch.n);
		}
	} else if (status == 408 || status == 429 || status >= 500) {
		snprintf(why, sizeof(why), "the collector answered HTTP %ld", status);
		backoff(h, now_ms, why);
	} else {
		dead_letter(h, NULL, status, "refused");
		batch_done(h, now_ms, 0); /* out of the spool: it is in the dead-letter file */
	}
	end_transfer(h, multi);
}
