#include "output.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"

void outputs_close(struct outputs *o)
{
	for (size_t i = 0; i < o->n; i++) {
		if (o->v[i].https) {
			https_close(o->v[i].https, o->multi);
			free(o->v[i].https);
		}
		if (o->v[i].owns_fd && o->v[i].fd >= 0)
			close(o->v[i].fd);
		sbuf_free(&o->v[i].pending);
		free(o->v[i].name);
	}
	free(o->v);
	if (o->multi)
		curl_multi_cleanup(o->multi);
	memset(o, 0, sizeof(*o));
}

/* A crash in the middle of a write leaves a record without its newline at the end of the
 * file. Its line was not checkpointed, so the record is written again: cut the fragment off
 * rather than glue the next record to it. */
static void cut_torn_record(struct output *out)
{
	struct stat sb;
	char buf[4096];
	if (fstat(out->fd, &sb) || !S_ISREG(sb.st_mode) || sb.st_size == 0)
		return;
	off_t end = sb.st_size, pos = end;
	while (pos > 0 && end - pos < (off_t)OUTPUT_MAX_PENDING) {
		size_t n = pos > (off_t)sizeof(buf) ? sizeof(buf) : (size_t)pos;
		if (pread(out->fd, buf, n, pos - (off_t)n) != (ssize_t)n)
			return;
		for (size_t i = n; i > 0; i--) {
			if (buf[i - 1] != '\n')
				continue;
			off_t keep = pos - (off_t)n + (off_t)i;
			if (keep == end)
				return; /* ends with a whole record */
			if (ftruncate(out->fd, keep) == 0)
				log_warn("output %s: cut off %lld bytes of a record torn by a crash "
					 "(its line is evaluated again)",
					 out->name, (long long)(end - keep));
			return;
		}
		pos -= (off_t)n;
	}
	if (pos == 0 && ftruncate(out->fd, 0) == 0)
		log_warn("output %s: cut off a record torn by a crash (%lld bytes)", out->name,
			 (long long)end);
}

int outputs_open(struct outputs *o, const struct config *cfg, char *err, size_t errsz)
{
	memset(o, 0, sizeof(*o));
	o->v = calloc(cfg->noutputs, sizeof(*o->v));
	if (!o->v)
		return -ENOMEM;
	for (size_t i = 0; i < cfg->noutputs; i++) {
		struct output *out = &o->v[o->n];
		const struct output_config *oc = &cfg->outputs[i];
		out->cfg = oc;
		out->fd = -1;
		sbuf_init(&out->pending, OUTPUT_MAX_PENDING + 4096);
		o->n++;
		if (oc->type == OUTPUT_HTTPS) {
			out->name = strdup(oc->name);
			if (!o->multi && !(o->multi = curl_multi_init())) {
				outputs_close(o);
				return -ENOMEM;
			}
			out->https = calloc(1, sizeof(*out->https));
			int rc = out->https ? https_open(out->https, oc, cfg->state_dir, err, errsz)
					    : -ENOMEM;
			if (rc) {
				outputs_close(o);
				return rc;
			}
		} else if (oc->type == OUTPUT_STDOUT) {
			out->fd = STDOUT_FILENO;
			out->name = strdup("stdout");
		} else {
			out->name = strdup(oc->path);
			out->fd = open(oc->path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
				       0600);
			out->owns_fd = true;
			if (out->fd < 0) {
				int e = errno;
				snprintf(err, errsz, "output %s: %s", oc->path, strerror(e));
				outputs_close(o);
				return -e;
			}
			cut_torn_record(out);
		}
		if (!out->name) {
			outputs_close(o);
			return -ENOMEM;
		}
	}
	return 0;
}

int outputs_queue(struct outputs *o, const char *rec, size_t len)
{
	int64_t now = clock_mono_ms();
	for (size_t i = 0; i < o->n; i++) {
		struct output *out = &o->v[i];
		if (!out->https && out->pending.len + len + 1 > OUTPUT_MAX_PENDING)
			return -ENOMEM;
	}
	for (size_t i = 0; i < o->n; i++) {
		struct output *out = &o->v[i];
		if (out->https) {
			int rc = https_queue(out->https, rec, len, now);
			if (rc) {
				log_error("output %s: cannot write to its spool: %s", out->name,
					  strerror(-rc));
				return rc;
			}
			out->records++;
			continue;
		}
		if (sbuf_append(&out->pending, rec, len) || sbuf_putc(&out->pending, '\n'))
			return -ENOMEM;
		out->records++;
		out->unflushed++;
	}
	return 0;
}

size_t outputs_pending(const struct outputs *o)
{
	size_t max = 0;
	for (size_t i = 0; i < o->n; i++) {
		size_t p = o->v[i].pending.len - o->v[i].written;
		if (p > max)
			max = p;
	}
	return max;
}

static int flush_one(struct output *out)
{
	if (out->https)
		return https_sync(out->https);
	while (out->written < out->pending.len) {
		ssize_t w = write(out->fd, out->pending.buf + out->written,
				  out->pending.len - out->written);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		out->written += (size_t)w;
		out->bytes += (size_t)w;
	}
	if (out->pending.len && fsync(out->fd) && errno != EINVAL && errno != EROFS)
		return -errno; /* EINVAL: a pipe or terminal, nothing to make durable */
	sbuf_reset(&out->pending);
	out->written = 0;
	out->flushed += out->unflushed;
	out->unflushed = 0;
	return 0;
}

int outputs_flush(struct outputs *o)
{
	int first = 0;
	for (size_t i = 0; i < o->n; i++) {
		struct output *out = &o->v[i];
		int rc = flush_one(out);
		if (rc) {
			if (!out->failing) {
				log_error("output %s: cannot write alerts: %s; they are kept and "
					  "retried, and input reading waits until they are written",
					  out->name, strerror(-rc));
				out->failing_since_ms = clock_mono_ms();
			}
			out->failing = true;
			out->retried += out->unflushed;
			if (!first)
				first = rc;
		} else if (out->failing) {
			log_info("output %s: writing again", out->name);
			out->failing = false;
			out->failing_since_ms = 0;
		}
	}
	return first;
}

bool outputs_full(const struct outputs *o)
{
	for (size_t i = 0; i < o->n; i++)
		if (o->v[i].https && spool_full(&o->v[i].https->spool))
			return true;
	return false;
}

long outputs_pump(struct outputs *o)
{
	long wait = -1;
	if (!o->multi)
		return -1;
	int running;
	curl_multi_perform(o->multi, &running);
	CURLMsg *msg;
	int left;
	int64_t now = clock_mono_ms();
	while ((msg = curl_multi_info_read(o->multi, &left))) {
		struct https_output *h = NULL;
		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&h);
		if (h)
			https_done(h, o->multi, msg->data.result, now);
	}
	for (size_t i = 0; i < o->n; i++) {
		if (!o->v[i].https)
			continue;
		long w = https_pump(o->v[i].https, o->multi, now);
		if (w >= 0 && (wait < 0 || w < wait))
			wait = w;
	}
	curl_multi_perform(o->multi, &running);
	return wait;
}

void outputs_reload_tokens(struct outputs *o)
{
	for (size_t i = 0; i < o->n; i++)
		if (o->v[i].https && o->v[i].https->cfg->token_file)
			https_load_token(o->v[i].https);
}

void outputs_stats(const struct outputs *o, size_t i, struct output_stats *st)
{
	const struct output *out = &o->v[i];
	const struct https_output *h = out->https;

	memset(st, 0, sizeof(*st));
	st->name = out->cfg->name;
	if (!h) {
		st->ok = out->flushed;
		st->retry = out->retried;
		st->failing_since_ms = out->failing ? out->failing_since_ms : 0;
		return;
	}
	st->ok = h->delivered;
	st->retry = h->retried_records;
	st->dead_letter = h->dead_letters;
	st->spooled = true;
	st->spool_bytes = h->spool.bytes;
	st->spool_oldest_ms = spool_oldest_ms(&h->spool);
	/* the spool itself failing (a full disk) holds up reading like a failing collector */
	int64_t since = h->failing ? h->failing_since_ms : 0;
	if (out->failing && (!since || out->failing_since_ms < since))
		since = out->failing_since_ms;
	st->failing_since_ms = since;
}
