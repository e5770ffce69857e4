#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
	for (size_t i = 0; i < c->nrules; i++)
		free(c->rules[i]);
	free(c->rules);
	for (size_t i = 0; i < c->ninputs; i++) {
		free(c->inputs[i].path);
		free(c->inputs[i].log_type);
	}
	free(c->inputs);
	for (size_t i = 0; i < c->noutputs; i++) {
		free(c->outputs[i].path);
		free(c->outputs[i].format);
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
	YDOC_FOREACH_PAIR(cx->doc, map, p)
	{
		yaml_node_t *k = ydoc_node(cx->doc, p->key);
		const char *ks = ydoc_str(k);
		bool known = false;
		for (size_t i = 0; ks && i < n; i++)
			known |= !strcmp(ks, keys[i]);
		if (!known)
			return cerr(cx, k, "unknown key '%s' in %s", ks ? ks : "?", where);
		for (yaml_node_pair_t *q = map->data.mapping.pairs.start; q < p; q++)
			if (!strcmp(ydoc_str(ydoc_node(cx->doc, q->key)), ks))
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

static int parse_output(struct cfg_ctx *cx, yaml_node_t *n, struct output_config *o)
{
	static const char *const keys[] = {"type", "path", "format"};
	static const char *const types[] = {"stdout", "file"};
	int rc = check_keys(cx, n, "an output", keys, 3);
	yaml_node_t *type_n = NULL, *format_n = NULL;
	if (rc)
		return rc;
	YDOC_FOREACH_PAIR(cx->doc, n, p)
	{
		const char *ks = ydoc_str(ydoc_node(cx->doc, p->key));
		yaml_node_t *v = ydoc_node(cx->doc, p->value);
		int e = 0;
		if (!strcmp(ks, "type")) {
			type_n = v;
			if (!(rc = get_enum(cx, v, "outputs[].type", types, 2, &e)))
				o->type = (enum output_type)e;
		} else if (!strcmp(ks, "path")) {
			rc = get_str(cx, v, "outputs[].path", &o->path);
		} else {
			rc = get_str(cx, v, "outputs[].format", &o->format);
			format_n = v;
		}
		if (rc)
			return rc;
	}
	if (!type_n)
		return cerr(cx, n, "an output needs 'type'");
	if (o->format && strcmp(o->format, "json"))
		return cerr(cx, format_n, "outputs[].format must be json for type %s",
			    types[o->type]);
	if (o->type == OUTPUT_FILE && !o->path)
		return cerr(cx, n, "an output of type file needs 'path'");
	if (o->type == OUTPUT_STDOUT && o->path)
		return cerr(cx, n, "an output of type stdout takes no 'path'");
	if (!o->format && !(o->format = strdup("json")))
		return -ENOMEM;
	return 0;
}

static int parse_root(struct cfg_ctx *cx, struct config *c)
{
	static const char *const keys[] = {"cluster", "node",	   "state_dir",
					   "rules",   "inputs",	   "outputs",
					   "correlation", "max_line_bytes", "summary_interval_seconds"};
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
						  &c->outputs[c->noutputs++]);
				if (rc)
					return rc;
			}
		} else if (!strcmp(ks, "correlation")) {
			static const char *const ckeys[] = {"mode"};
			rc = check_keys(cx, v, "correlation", ckeys, 1);
			YDOC_FOREACH_PAIR(cx->doc, v, cp)
			{
				int e = 0;
				if (rc)
					break;
				rc = get_enum(cx, ydoc_node(cx->doc, cp->value), "correlation.mode",
					      modes, 4, &e);
				c->correlation = (enum correlation_mode)e;
			}
		}
		if (rc)
			return rc;
	}
	if (!c->inputs)
		return cerr(cx, root, "the configuration needs 'inputs'");
	if (!c->outputs)
		return cerr(cx, root, "the configuration needs 'outputs'");
	return 0;
}

int config_load(struct config **out, const char *path, char *err, size_t errsz)
{
	struct ydoc d;
	struct cfg_ctx cx = {.doc = &d, .err = err, .errsz = errsz};
	struct config *c;
	int rc;

	*out = NULL;
	rc = ydoc_load(&d, path, CONFIG_MAX_BYTES, err, errsz);
	if (rc)
		return rc;
	c = calloc(1, sizeof(*c));
	if (!c) {
		ydoc_free(&d);
		return -ENOMEM;
	}
	c->max_line_bytes = 16u << 20;
	c->summary_interval_s = 60;
	c->correlation = CORR_OFF;
	rc = parse_root(&cx, c);
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

void config_print(const struct config *c, FILE *f)
{
	static const char *const starts[] = {"end", "beginning"};
	static const char *const types[] = {"stdout", "file"};
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
	fprintf(f, "\nmax_line_bytes: %zu\nsummary_interval_seconds: %u\nrules:\n",
		c->max_line_bytes, c->summary_interval_s);
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
		fprintf(f, "  - type: %s\n", types[c->outputs[i].type]);
		if (c->outputs[i].path) {
			fprintf(f, "    path: ");
			yq(f, c->outputs[i].path);
			fputc('\n', f);
		}
		fprintf(f, "    format: %s\n", c->outputs[i].format);
	}
	fprintf(f, "correlation:\n  mode: %s\n", modes[c->correlation]);
}
