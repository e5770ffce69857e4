#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "redact.h"
#include "ydoc.h"

#define CONFIG_MAX_BYTES (1u << 20)

struct cfg_ctx {
	struct ydoc *doc;
	char *err;
	size_t errsz;
};

static int cerr(struct cfg_ctx *cx, const yaml_node_t *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int cerr(struct cfg_ctx *cx, const yaml_node_t *at, const char *fmt, ...)
{
	char msg[384];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(cx->err, cx->errsz, "%s:%d: %s", cx->doc->path, ydoc_line(at), msg);
	return -EINVAL;
}

void config_free(struct config *c)
{
	if (!c)
		return;
	free(c->file);
	free(c->cluster);
	free(c->node);
	free(c->state_dir);
	free(c->apiserver_process);
	free(c->metrics_listen);
	for (size_t i = 0; i < c->nrules; i++)
		free(c->rules[i]);
	free(c->rules);
	for (size_t i = 0; i < c->ninputs; i++) {
		free(c->inputs[i].path);
		free(c->inputs[i].log_type);
	}
	free(c->inputs);
	for (size_t i = 0; i < c->noutputs; i++) {
		struct output_config *o = &c->outputs[i];
		free(o->name);
		free(o->path);
		free(o->format);
		free(o->url);
		free(o->ca_file);
		free(o->cert_file);
		free(o->key_file);
		free(o->token_file);
		free(o->index);
		free(o->source);
		free(o->sourcetype);
		for (size_t k = 0; k < o->nheaders; k++) {
			free(o->headers[k].name);
			free(o->headers[k].value);
		}
		free(o->headers);
	}
	free(c->outputs);
	free(c);
}

static int get_str(struct cfg_ctx *cx, yaml_node_t *v, const char *key, char **out)
{
	const char *s = ydoc_str(v);
	bool null = ydoc_is_plain(v) && (!s[0] || !strcmp(s, "~") || !strcmp(s, "null") ||
					 !strcmp(s, "Null") || !strcmp(s, "NULL"));
	if (!ydoc_is_scalar(v) || null)
		return cerr(cx, v, "'%s' must be a string", key);
	free(*out);
	*out = strdup(ydoc_str(v));
	return *out ? 0 : -ENOMEM;
}

static int get_enum(struct cfg_ctx *cx, yaml_node_t *v, const char *key,
		    const char *const *names, size_t n, int *out)
{
	const char *s = ydoc_str(v);
	for (size_t i = 0; s && i < n; i++) {
		if (!strcmp(s, names[i])) {
			*out = (int)i;
			return 0;
		}
	}
	char list[160] = "";
	for (size_t i = 0; i < n; i++) {
		strncat(list, names[i], sizeof(list) - strlen(list) - 1);
		if (i + 1 < n)
			strncat(list, ", ", sizeof(list) - strlen(list) - 1);
	}
	return cerr(cx, v, "'%s' must be one of: %s", key, list);
}

static size_t seq_len(const yaml_node_t *n)
{
	return (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
}

/* Each key of map must be in keys[]; duplicates are errors too. */
static int check_keys(struct cfg_ctx *cx, yaml_node_t *map, const char *where,
		      const char *const *keys, size_t n)
{
	if (!ydoc_is_map(map))
		return cerr(cx, map, "%s must be a mapping", where);
	yaml_node_t *dup = ydoc_duplicate_key(cx->doc, map);
	YDOC_FOREACH_PAIR(cx->doc, map, p)
	{
		yaml_node_t *k = ydoc_node(cx->doc, p->key);
		const char *ks = ydoc_str(k);
		bool known = false;
		for (size_t i = 0; ks && i < n; i++)
			known |= !strcmp(ks, keys[i]);
		if (!known)
			return cerr(cx, k, "unknown key '%s' in %s", ks ? ks : "?", where);
		if (k == dup)
			return cerr(cx, k, "duplicate key '%s' in %s", ks, where);
	}
	return 0;
}

static int parse_input(struct cfg_ctx *cx, yaml_node_t *n, struct input_config *in)
{
	static const char *const keys[] = {"path", "log_type", "start_at"};
	static const char *const starts[] = {"end", "beginning"};
	int rc = check_keys(cx, n, "an input", keys, 3);
	if (rc)
		return rc;
	YDOC_FOREACH_PAIR(cx->doc, n, p)
	{
		const char *ks = ydoc_str(ydoc_node(cx->doc, p->key));
		yaml_node_t *v = ydoc_node(cx->doc, p->value);
		int e = 0;
		if (!strcmp(ks, "path"))
			rc = get_str(cx, v, "inputs[].path", &in->path);
		else if (!strcmp(ks, "log_type"))
			rc = get_str(cx, v, "inputs[].log_type", &in->log_type);
		else if (!(rc = get_enum(cx, v, "inputs[].start_at", starts, 2, &e)))
			in->start_at = (enum start_at)e;
		if (rc)
			return rc;
	}
	if (!in->path)
		return cerr(cx, n, "an input needs 'path'");
	if (in->path[0] != '/')
		return cerr(cx, n, "inputs[].path must be absolute: '%s'", in->path);
	const char *slash = strrchr(in->path, '/');
	if (strcspn(in->path, "*?[") < (size_t)(slash - in->path))
		return cerr(cx, n, "inputs[].path '%s': a glob is allowed in the file name only",
			    in->path);
	if (!slash[1])
		return cerr(cx, n, "inputs[].path '%s' names a directory, not a file", in->path);
	if (!in->log_type && !(in->log_type = strdup("Kubernetes.Audit")))
		return -ENOMEM;
	return 0;
}

static int get_bool(struct cfg_ctx *cx, yaml_node_t *v, const char *key, bool *out)
{
	return ydoc_bool(v, out) ? cerr(cx, v, "'%s' must be true or false", key) : 0;
}

static int get_num(struct cfg_ctx *cx, yaml_node_t *v, const char *key, long lo, long hi,
		   long *out)
{
	if (ydoc_long(v, out) || *out < lo || *out > hi)
		return cerr(cx, v, "'%s' must be a whole number from %ld to %ld", key, lo, hi);
	return 0;
}

/* A small mapping of numbers: keys[i] into vals[i], each within [lo[i], hi[i]]. */
static int get_num_map(struct cfg_ctx *cx, yaml_node_t *v, const char *where,
		       const char *const *keys, size_t n, const long *lo, const long *hi,
		       long *vals)
{
	int rc = check_keys(cx, v, where, keys, n);
	if (rc)
		return rc;
	YDOC_FOREACH_PAIR(cx->doc, v, p)
	{
		const char *ks = ydoc_str(ydoc_node(cx->doc, p->key));
		for (size_t i = 0; i < n; i++)
			if (!strcmp(ks, keys[i]) &&
			    (rc = get_num(cx, ydoc_node(cx->doc, p->value), ks, lo[i], hi[i],
					  &vals[i])))
				return rc;
	}
	return 0;
}

static int get_headers(struct cfg_ctx *cx, yaml_node_t *v, struct output_config *o)
{
	if (!ydoc_is_map(v))
		return cerr(cx, v, "'headers' must be a mapping of names to values");
	yaml_node_t *dup = ydoc_duplicate_key(cx->doc, v);
	if (dup)
		return cerr(cx, dup, "header '%s' is given twice", ydoc_str(dup));
	size_t n = (size_t)(v->data.mapping.pairs.top - v->data.mapping.pairs.start);
	o->headers = calloc(n ? n : 1, sizeof(*o->headers));
	if (!o->headers)
		return -ENOMEM;
	YDOC_FOREACH_PAIR(cx->doc, v, p)
	{
		yaml_node_t *k = ydoc_node(cx->doc, p->key);
		const char *ks = ydoc_str(k);
		if (!ks || !*ks || strpbrk(ks, ": \r\n\t"))
			return cerr(cx, k, "header name '%s' is not a valid HTTP header name",
				    ks ? ks : "?");
		/* counted at once: config_free frees what a failure below leaves */
		struct header *h = &o->headers[o->nheaders];
		if (!(h->name = strdup(ks)))
			return -ENOMEM;
		o->nheaders++;
		int rc = get_str(cx, ydoc_node(cx->doc, p->value), ks, &h->value);
		if (rc)
			return rc;
		if (strpbrk(h->value, "\r\n"))
			return cerr(cx, k, "header '%s' has a line break in its value", ks);
	}
	return 0;
}

static int parse_output(struct cfg_ctx *cx, yaml_node_t *n, struct output_config *o,
			size_t index)
{
	static const char *const keys[] = {
		"type",	     "name",	  "path",	      "format",
		"url",	     "ca_file",	  "cert_file",	      "key_file",
		"token_file", "headers",  "batch",	      "spool",
		"compress",  "insecure_skip_verify", "allow_plain_http", "index",
		"source",    "sourcetype", "retry"};
	static const char *const types[] = {"stdout", "file", "https"};
	static const char *const https_only[] = {
		"url",	   "ca_file",	   "cert_file",		    "key_file", "token_file",
		"headers", "batch",	   "spool",		    "compress", "insecure_skip_verify",
		"allow_plain_http", "index", "source", "sourcetype", "retry"};
	int rc = check_keys(cx, n, "an output", keys, sizeof(keys) / sizeof(*keys));
	yaml_node_t *type_n = NULL, *format_n = NULL, *https_n = NULL;
	if (rc)
		return rc;
	o->compress = true;
	o->batch_max_events = 500;
	o->batch_max_bytes = 1u << 20;
	o->batch_max_delay_ms = 200;
	o->spool_max_bytes = 256ull << 20;
	o->retry_initial_ms = 1000;
	o->retry_max_ms = 60000;
	YDOC_FOREACH_PAIR(cx->doc, n, p)
	{
		yaml_node_t *k = ydoc_node(cx->doc, p->key);
		const char *ks = ydoc_str(k);
		yaml_node_t *v = ydoc_node(cx->doc, p->value);
		int e = 0;
		for (size_t i = 0; i < sizeof(https_only) / sizeof(*https_only); i++)
			if (!strcmp(ks, https_only[i]) && !https_n)
				https_n = k;
		if (!strcmp(ks, "type")) {
			type_n = v;
			if (!(rc = get_enum(cx, v, "outputs[].type", types, 3, &e)))
				o->type = (enum output_type)e;
		} else if (!strcmp(ks, "name")) {
			rc = get_str(cx, v, ks, &o->name);
			if (!rc && (strchr(o->name, '/') || o->name[0] == '.'))
				rc = cerr(cx, v, "an output name may not hold '/' or start with '.'");
		} else if (!strcmp(ks, "path")) {
			rc = get_str(cx, v, "outputs[].path", &o->path);
		} else if (!strcmp(ks, "format")) {
			rc = get_str(cx, v, "outputs[].format", &o->format);
			format_n = v;
		} else if (!strcmp(ks, "url")) {
			rc = get_str(cx, v, ks, &o->url);
		} else if (!strcmp(ks, "ca_file")) {
			rc = get_str(cx, v, ks, &o->ca_file);
		} else if (!strcmp(ks, "cert_file")) {
			rc = get_str(cx, v, ks, &o->cert_file);
		} else if (!strcmp(ks, "key_file")) {
			rc = get_str(cx, v, ks, &o->key_file);
		} else if (!strcmp(ks, "token_file")) {
			rc = get_str(cx, v, ks, &o->token_file);
		} else if (!strcmp(ks, "index")) {
			rc = get_str(cx, v, ks, &o->index);
		} else if (!strcmp(ks, "source")) {
			rc = get_str(cx, v, ks, &o->source);
		} else if (!strcmp(ks, "sourcetype")) {
			rc = get_str(cx, v, ks, &o->sourcetype);
		} else if (!strcmp(ks, "headers")) {
			rc = get_headers(cx, v, o);
		} else if (!strcmp(ks, "compress")) {
			rc = get_bool(cx, v, ks, &o->compress);
		} else if (!strcmp(ks, "insecure_skip_verify")) {
			rc = get_bool(cx, v, ks, &o->insecure_skip_verify);
		} else if (!strcmp(ks, "allow_plain_http")) {
			rc = get_bool(cx, v, ks, &o->allow_plain_http);
		} else if (!strcmp(ks, "batch")) {
			static const char *const bk[] = {"max_events", "max_bytes", "max_delay_ms"};
			static const long lo[] = {1, 1024, 0}, hi[] = {100000, 64L << 20, 60000};
			long vals[3] = {(long)o->batch_max_events, (long)o->batch_max_bytes,
					(long)o->batch_max_delay_ms};
			rc = get_num_map(cx, v, "batch", bk, 3, lo, hi, vals);
			o->batch_max_events = (size_t)vals[0];
			o->batch_max_bytes = (size_t)vals[1];
			o->batch_max_delay_ms = (unsigned)vals[2];
		} else if (!strcmp(ks, "spool")) {
			static const char *const sk[] = {"max_bytes"};
			static const long lo[] = {4096}, hi[] = {1L << 40};
			long vals[1] = {(long)o->spool_max_bytes};
			rc = get_num_map(cx, v, "spool", sk, 1, lo, hi, vals);
			o->spool_max_bytes = (unsigned long long)vals[0];
		} else if (!strcmp(ks, "retry")) {
			static const char *const rk[] = {"initial_ms", "max_ms"};
			static const long lo[] = {10, 100}, hi[] = {600000, 3600000};
			long vals[2] = {(long)o->retry_initial_ms, (long)o->retry_max_ms};
			rc = get_num_map(cx, v, "retry", rk, 2, lo, hi, vals);
			o->retry_initial_ms = (unsigned)vals[0];
			o->retry_max_ms = (unsigned)vals[1];
		}
		if (rc)
			return rc;
	}
	if (!type_n)
		return cerr(cx, n, "an output needs 'type'");
	if (o->type != OUTPUT_HTTPS && https_n)
		return cerr(cx, https_n, "'%s' is only for outputs of type https",
			    ydoc_str(https_n));
	if (o->type == OUTPUT_FILE && !o->path)
		return cerr(cx, n, "an output of type file needs 'path'");
	if (o->type != OUTPUT_FILE && o->path)
		return cerr(cx, n, "an output of type %s takes no 'path'", types[o->type]);
	if (!o->format && !(o->format = strdup("json")))
		return -ENOMEM;
	if (o->type != OUTPUT_HTTPS && strcmp(o->format, "json"))
		return cerr(cx, format_n, "outputs[].format must be json for type %s",
			    types[o->type]);
	if (o->type == OUTPUT_HTTPS) {
		static const char *const fmts[] = {"json", "splunk-hec", "elastic-bulk", "ocsf"};
		int e;
		if (format_n && (rc = get_enum(cx, format_n, "outputs[].format", fmts, 4, &e)))
			return rc;
		if (!o->url)
			return cerr(cx, n, "an output of type https needs 'url'");
		if (!strncmp(o->url, "http://", 7) && !o->allow_plain_http) {
			char *shown = redact_url(o->url);
			rc = cerr(cx, n, "url %s is plain http: alerts would cross the network "
					 "unencrypted; use https://, or set allow_plain_http: true",
				  shown ? shown : "(redacted)");
			free(shown);
			return rc;
		}
		if (strncmp(o->url, "https://", 8) && strncmp(o->url, "http://", 7))
			return cerr(cx, n, "url must start with https://");
		if (!!o->cert_file != !!o->key_file)
			return cerr(cx, n, "cert_file and key_file go together (mTLS)");
		if (o->retry_max_ms < o->retry_initial_ms)
			return cerr(cx, n, "retry.max_ms is below retry.initial_ms");
	}
	if (!o->name) {
		char buf[32];
		snprintf(buf, sizeof(buf), "%s-%zu", types[o->type], index);
		if (!(o->name = strdup(buf)))
			return -ENOMEM;
	}
	return 0;
}

/* metrics: {listen: "127.0.0.1:9464" (or "" for none), unready_after_seconds: 300} */
static int parse_metrics(struct cfg_ctx *cx, yaml_node_t *v, struct config *c)
{
	static const char *const keys[] = {"listen", "unready_after_seconds"};
	int rc = check_keys(cx, v, "metrics", keys, 2);

	YDOC_FOREACH_PAIR(cx->doc, v, p)
	{
		const char *ks = ydoc_str(ydoc_node(cx->doc, p->key));
		yaml_node_t *mv = ydoc_node(cx->doc, p->value);
		long secs;

		if (rc)
			break;
		if (!strcmp(ks, "listen")) {
			free(c->metrics_listen);
			c->metrics_listen = NULL;
			rc = get_str(cx, mv, "metrics.listen", &c->metrics_listen);
			if (!rc && c->metrics_listen[0] && !strrchr(c->metrics_listen, ':'))
				rc = cerr(cx, mv, "metrics.listen must be HOST:PORT ('127.0.0.1:9464', "
						  "'[::1]:9464') or \"\" for no endpoint");
		} else {
			rc = get_num(cx, mv, "metrics.unready_after_seconds", 1, 86400, &secs);
			c->unready_after_s = (unsigned)secs;
		}
	}
	return rc;
}

/* log: {format: text|json, level: error|warn|info|debug} */
static int parse_log(struct cfg_ctx *cx, yaml_node_t *v, struct config *c)
{
	static const char *const keys[] = {"format", "level"};
	static const char *const formats[] = {"text", "json"};
	static const char *const levels[] = {"error", "warn", "info", "debug"};
	int rc = check_keys(cx, v, "log", keys, 2);

	YDOC_FOREACH_PAIR(cx->doc, v, p)
	{
		const char *ks = ydoc_str(ydoc_node(cx->doc, p->key));
		yaml_node_t *lv = ydoc_node(cx->doc, p->value);
		int e = 0;

		if (rc)
			break;
		if (!strcmp(ks, "format")) {
			rc = get_enum(cx, lv, "log.format", formats, 2, &e);
			c->log_json = e == 1;
		} else {
			rc = get_enum(cx, lv, "log.level", levels, 4, &e);
			c->log_level = e;
		}
	}
	return rc;
}

static int parse_root(struct cfg_ctx *cx, struct config *c)
{
	static const char *const keys[] = {"cluster",	  "node",	    "state_dir",
					   "rules",	  "inputs",	    "outputs",
					   "correlation", "max_line_bytes", "summary_interval_seconds",
					   "metrics",	  "log",	    "prefilter"};
	static const char *const modes[] = {"off", "auto", "on", "required"};
	yaml_node_t *root = ydoc_root(cx->doc);
	int rc = check_keys(cx, root, "the configuration", keys, sizeof(keys) / sizeof(*keys));
	if (rc)
		return rc;
	YDOC_FOREACH_PAIR(cx->doc, root, p)
	{
		const char *ks = ydoc_str(ydoc_node(cx->doc, p->key));
		yaml_node_t *v = ydoc_node(cx->doc, p->value);
		long lv;
		if (!strcmp(ks, "cluster")) {
			rc = get_str(cx, v, ks, &c->cluster);
		} else if (!strcmp(ks, "node")) {
			rc = get_str(cx, v, ks, &c->node);
		} else if (!strcmp(ks, "state_dir")) {
			rc = get_str(cx, v, ks, &c->state_dir);
			if (!rc && c->state_dir[0] != '/')
				rc = cerr(cx, v, "state_dir must be absolute");
		} else if (!strcmp(ks, "max_line_bytes")) {
			if (ydoc_long(v, &lv) || lv < 1024 || lv > (1L << 30))
				rc = cerr(cx, v, "max_line_bytes must be a number from 1024 to "
						 "1073741824");
			else
				c->max_line_bytes = (size_t)lv;
		} else if (!strcmp(ks, "prefilter")) {
			rc = get_bool(cx, v, ks, &c->prefilter);
		} else if (!strcmp(ks, "summary_interval_seconds")) {
			if (ydoc_long(v, &lv) || lv < 1 || lv > 86400)
				rc = cerr(cx, v, "summary_interval_seconds must be from 1 to 86400");
			else
				c->summary_interval_s = (unsigned)lv;
		} else if (!strcmp(ks, "rules")) {
			if (!ydoc_is_seq(v) || !seq_len(v))
				return cerr(cx, v, "rules must be a non-empty list of paths");
			for (size_t i = 0; i < c->nrules; i++)
				free(c->rules[i]);
			free(c->rules);
			c->nrules = 0;
			c->rules = calloc(seq_len(v), sizeof(*c->rules));
			if (!c->rules)
				return -ENOMEM;
			YDOC_FOREACH_ITEM(cx->doc, v, it)
			{
				rc = get_str(cx, ydoc_node(cx->doc, *it), "rules[]",
					     &c->rules[c->nrules]);
				if (rc)
					return rc;
				c->nrules++;
			}
		} else if (!strcmp(ks, "inputs")) {
			if (!ydoc_is_seq(v) || !seq_len(v))
				return cerr(cx, v, "inputs must be a non-empty list");
			c->inputs = calloc(seq_len(v), sizeof(*c->inputs));
			if (!c->inputs)
				return -ENOMEM;
			YDOC_FOREACH_ITEM(cx->doc, v, it)
			{
				rc = parse_input(cx, ydoc_node(cx->doc, *it),
						 &c->inputs[c->ninputs++]);
				if (rc)
					return rc;
			}
		} else if (!strcmp(ks, "outputs")) {
			if (!ydoc_is_seq(v) || !seq_len(v))
				return cerr(cx, v, "outputs must be a non-empty list");
			c->outputs = calloc(seq_len(v), sizeof(*c->outputs));
			if (!c->outputs)
				return -ENOMEM;
			YDOC_FOREACH_ITEM(cx->doc, v, it)
			{
				rc = parse_output(cx, ydoc_node(cx->doc, *it),
						  &c->outputs[c->noutputs], c->noutputs);
				c->noutputs++;
				if (rc)
					return rc;
			}
		} else if (!strcmp(ks, "metrics")) {
			rc = parse_metrics(cx, v, c);
		} else if (!strcmp(ks, "log")) {
			rc = parse_log(cx, v, c);
		} else if (!strcmp(ks, "correlation")) {
			static const char *const ckeys[] = {"mode", "apiserver_ports",
							    "apiserver_process", "history_seconds"};
			rc = check_keys(cx, v, "correlation", ckeys, 4);
			if (rc) /* v may not even be a mapping */
				return rc;
			YDOC_FOREACH_PAIR(cx->doc, v, cp)
			{
				const char *cks = ydoc_str(ydoc_node(cx->doc, cp->key));
				yaml_node_t *cv = ydoc_node(cx->doc, cp->value);
				int e = 0;
				if (rc)
					break;
				if (!strcmp(cks, "mode")) {
					rc = get_enum(cx, cv, "correlation.mode", modes, 4, &e);
					c->correlation = (enum correlation_mode)e;
					continue;
				}
				if (!strcmp(cks, "apiserver_process")) {
					free(c->apiserver_process);
					c->apiserver_process = NULL;
					rc = get_str(cx, cv, "correlation.apiserver_process",
						     &c->apiserver_process);
					if (!rc && (!c->apiserver_process[0] ||
						    strlen(c->apiserver_process) > 255 ||
						    (strchr(c->apiserver_process, '/') &&
						     c->apiserver_process[0] != '/')))
						rc = cerr(cx, cv, "correlation.apiserver_process must be a "
								  "command name or an absolute path");
					continue;
				}
				if (!strcmp(cks, "history_seconds")) {
					long secs;
					rc = get_num(cx, cv, "correlation.history_seconds", 10, 3600,
						     &secs);
					c->history_s = (unsigned)secs;
					continue;
				}
				size_t max = sizeof(c->apiserver_ports) / sizeof(*c->apiserver_ports);
				if (!ydoc_is_seq(cv) || !seq_len(cv) || seq_len(cv) > max) {
					rc = cerr(cx, cv, "correlation.apiserver_ports must list 1 to %zu "
							  "ports",
						  max);
					break;
				}
				c->napiserver_ports = 0;
				YDOC_FOREACH_ITEM(cx->doc, cv, it)
				{
					long port;
					if (rc)
						break;
					rc = get_num(cx, ydoc_node(cx->doc, *it),
						     "correlation.apiserver_ports[]", 1, 65535, &port);
					c->apiserver_ports[c->napiserver_ports++] = (uint16_t)port;
				}
			}
		}
		if (rc)
			return rc;
	}
	if (!c->inputs)
		return cerr(cx, root, "the configuration needs 'inputs'");
	if (!c->outputs)
		return cerr(cx, root, "the configuration needs 'outputs'");
	for (size_t i = 0; i < c->noutputs; i++)
		for (size_t k = 0; k < i; k++)
			if (!strcmp(c->outputs[i].name, c->outputs[k].name))
				return cerr(cx, root, "two outputs are named '%s'",
					    c->outputs[i].name);
	return 0;
}

int config_load(struct config **out, const char *path, char *err, size_t errsz)
{
	return config_load_trusted(out, path, NULL, err, errsz);
}

int config_load_trusted(struct config **out, const char *path, const struct trust_policy *trust,
			char *err, size_t errsz)
{
	struct ydoc d;
	struct cfg_ctx cx = {.doc = &d, .err = err, .errsz = errsz};
	struct config *c;
	int rc;

	*out = NULL;
	rc = ydoc_load_trusted(&d, path, CONFIG_MAX_BYTES, trust, err, errsz);
	if (rc)
		return rc;
	c = calloc(1, sizeof(*c));
	if (!c) {
		ydoc_free(&d);
		return -ENOMEM;
	}
	c->max_line_bytes = 16u << 20;
	c->summary_interval_s = 60;
	c->prefilter = true;
	c->correlation = CORR_OFF;
	c->apiserver_ports[0] = 6443;
	c->napiserver_ports = 1;
	c->history_s = 120;
	c->unready_after_s = 300;
	c->log_level = 2; /* info */
	c->metrics_listen = strdup("127.0.0.1:9464");
	rc = c->metrics_listen ? parse_root(&cx, c) : -ENOMEM;
	ydoc_free(&d);
	if (rc == 0 && !(c->file = strdup(path)))
		rc = -ENOMEM;
	if (rc == 0 && !c->state_dir && !(c->state_dir = strdup("/var/lib/kube-audit-agent")))
		rc = -ENOMEM;
	if (rc == 0 && !c->rules) {
		c->rules = calloc(2, sizeof(*c->rules));
		if (!c->rules || !(c->rules[0] = strdup("/usr/share/kube-audit-agent/rules")) ||
		    !(c->rules[1] = strdup("/etc/kube-audit-agent/rules.d")))
			rc = -ENOMEM;
		else
			c->nrules = 2;
	}
	if (rc == 0 && !c->node) {
		const char *env = getenv("NODE_NAME");
		char host[HOST_NAME_MAX + 1] = "";
		if (env && *env)
			c->node = strdup(env);
		else if (gethostname(host, sizeof(host)) == 0)
			c->node = strdup(host);
		else
			c->node = strdup("unknown");
		if (!c->node)
			rc = -ENOMEM;
	}
	if (rc) {
		if (rc == -ENOMEM)
			snprintf(err, errsz, "%s: out of memory", path);
		config_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

/* YAML double-quoted scalar, escaping what needs it. */
static void yq(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\x%02x", (unsigned char)*s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

static void print_kv(FILE *f, const char *key, const char *value)
{
	if (!value)
		return;
	fprintf(f, "    %s: ", key);
	yq(f, value);
	fputc('\n', f);
}

void config_print(const struct config *c, FILE *f)
{
	static const char *const starts[] = {"end", "beginning"};
	static const char *const types[] = {"stdout", "file", "https"};
	static const char *const modes[] = {"off", "auto", "on", "required"};

	fprintf(f, "# effective configuration of %s\n", c->file);
	if (c->cluster) {
		fprintf(f, "cluster: ");
		yq(f, c->cluster);
		fputc('\n', f);
	}
	fprintf(f, "node: ");
	yq(f, c->node);
	fprintf(f, "\nstate_dir: ");
	yq(f, c->state_dir);
	fprintf(f, "\nmax_line_bytes: %zu\nsummary_interval_seconds: %u\nprefilter: %s\nrules:\n",
		c->max_line_bytes, c->summary_interval_s, c->prefilter ? "true" : "false");
	for (size_t i = 0; i < c->nrules; i++) {
		fprintf(f, "  - ");
		yq(f, c->rules[i]);
		fputc('\n', f);
	}
	fprintf(f, "inputs:\n");
	for (size_t i = 0; i < c->ninputs; i++) {
		fprintf(f, "  - path: ");
		yq(f, c->inputs[i].path);
		fprintf(f, "\n    log_type: ");
		yq(f, c->inputs[i].log_type);
		fprintf(f, "\n    start_at: %s\n", starts[c->inputs[i].start_at]);
	}
	fprintf(f, "outputs:\n");
	for (size_t i = 0; i < c->noutputs; i++) {
		const struct output_config *o = &c->outputs[i];
		fprintf(f, "  - type: %s\n", types[o->type]);
		print_kv(f, "name", o->name);
		print_kv(f, "path", o->path);
		fprintf(f, "    format: %s\n", o->format);
		if (o->type != OUTPUT_HTTPS)
			continue;
		char *url = redact_url(o->url); /* no user:password@ */
		print_kv(f, "url", url ? url : "<redacted>");
		free(url);
		print_kv(f, "ca_file", o->ca_file);
		print_kv(f, "cert_file", o->cert_file);
		print_kv(f, "key_file", o->key_file);
		/* the token itself is never read here, let alone printed */
		print_kv(f, "token_file", o->token_file);
		if (o->nheaders)
			fprintf(f, "    headers:\n");
		for (size_t k = 0; k < o->nheaders; k++) {
			fprintf(f, "      %s: ", o->headers[k].name);
			yq(f, redact_header_is_secret(o->headers[k].name) ? "<redacted>"
									 : o->headers[k].value);
			fputc('\n', f);
		}
		fprintf(f, "    batch: {max_events: %zu, max_bytes: %zu, max_delay_ms: %u}\n",
			o->batch_max_events, o->batch_max_bytes, o->batch_max_delay_ms);
		fprintf(f, "    spool: {max_bytes: %llu}\n", o->spool_max_bytes);
		fprintf(f, "    retry: {initial_ms: %u, max_ms: %u}\n", o->retry_initial_ms,
			o->retry_max_ms);
		fprintf(f, "    compress: %s\n    insecure_skip_verify: %s\n    allow_plain_http: %s\n",
			o->compress ? "true" : "false", o->insecure_skip_verify ? "true" : "false",
			o->allow_plain_http ? "true" : "false");
		print_kv(f, "index", o->index);
		print_kv(f, "source", o->source);
		print_kv(f, "sourcetype", o->sourcetype);
	}
	fprintf(f, "correlation:\n  mode: %s\n  apiserver_ports: [", modes[c->correlation]);
	for (size_t i = 0; i < c->napiserver_ports; i++)
		fprintf(f, "%s%u", i ? ", " : "", c->apiserver_ports[i]);
	fprintf(f, "]\n  apiserver_process: %s\n  history_seconds: %u\n",
		c->apiserver_process ? c->apiserver_process : "kube-apiserver", c->history_s);
	fprintf(f, "metrics:\n  listen: \"%s\"\n  unready_after_seconds: %u\n",
		c->metrics_listen ? c->metrics_listen : "", c->unready_after_s);
	static const char *const levels[] = {"error", "warn", "info", "debug"};
	fprintf(f, "log:\n  format: %s\n  level: %s\n", c->log_json ? "json" : "text",
		levels[c->log_level & 3]);
}
