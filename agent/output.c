#include "output.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

void outputs_close(struct outputs *o)
{
	for (size_t i = 0; i < o->n; i++) {
		if (o->v[i].owns_fd && o->v[i].fd >= 0)
			close(o->v[i].fd);
		sbuf_free(&o->v[i].pending);
		free(o->v[i].name);
	}
	free(o->v);
	memset(o, 0, sizeof(*o));
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
		if (oc->type == OUTPUT_STDOUT) {
			out->fd = STDOUT_FILENO;
			out->name = strdup("stdout");
		} else {
			out->name = strdup(oc->path);
			out->fd = open(oc->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
				       0600);
			out->owns_fd = true;
			if (out->fd < 0) {
				int e = errno;
				snprintf(err, errsz, "output %s: %s", oc->path, strerror(e));
				outputs_close(o);
				return -e;
			}
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
	for (size_t i = 0; i < o->n; i++) {
		struct output *out = &o->v[i];
		if (out->pending.len + len + 1 > OUTPUT_MAX_PENDING)
			return -ENOMEM;
	}
	for (size_t i = 0; i < o->n; i++) {
		struct output *out = &o->v[i];
		if (sbuf_append(&out->pending, rec, len) || sbuf_putc(&out->pending, '\n'))
			return -ENOMEM;
		out->records++;
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
	return 0;
}

int outputs_flush(struct outputs *o)
{
	int first = 0;
	for (size_t i = 0; i < o->n; i++) {
		struct output *out = &o->v[i];
		int rc = flush_one(out);
		if (rc) {
			if (!out->failing)
				log_error("output %s: cannot write alerts: %s; they are kept and "
					  "retried, and input reading waits until they are written",
					  out->name, strerror(-rc));
			out->failing = true;
			if (!first)
				first = rc;
		} else if (out->failing) {
			log_info("output %s: writing again", out->name);
			out->failing = false;
		}
	}
	return first;
}
