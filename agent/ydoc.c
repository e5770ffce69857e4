#include "ydoc.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define YDOC_MAX_JSON_NODES 1000000

int ydoc_load(struct ydoc *d, const char *path, size_t max_bytes, char *err, size_t errsz)
{
	yaml_parser_t parser;
	struct stat st;
	int rc = 0;

	memset(d, 0, sizeof(*d));
	FILE *f = fopen(path, "rb");
	if (!f) {
		rc = -errno;
		snprintf(err, errsz, "%s: cannot open: %s", path, strerror(errno));
		return rc;
	}
	if (fstat(fileno(f), &st) == 0 && (size_t)st.st_size > max_bytes) {
		snprintf(err, errsz, "%s: file is %lld bytes, larger than the %zu allowed", path,
			 (long long)st.st_size, max_bytes);
		fclose(f);
		return -EFBIG;
	}
	if (!yaml_parser_initialize(&parser)) {
		fclose(f);
		snprintf(err, errsz, "%s: out of memory", path);
		return -ENOMEM;
	}
	yaml_parser_set_input_file(&parser, f);
	if (!yaml_parser_load(&parser, &d->doc)) {
		/* the context (an unclosed bracket, say) starts where the mistake is */
		if (parser.context)
			snprintf(err, errsz, "%s:%zu: YAML error %s: %s (noticed at line %zu)",
				 path, parser.context_mark.line + 1, parser.context,
				 parser.problem ? parser.problem : "unknown problem",
				 parser.problem_mark.line + 1);
		else
			snprintf(err, errsz, "%s:%zu: YAML error: %s", path,
				 parser.problem_mark.line + 1,
				 parser.problem ? parser.problem : "unknown problem");
		rc = -EINVAL;
	} else {
		d->loaded = true;
		if (!yaml_document_get_root_node(&d->doc)) {
			snprintf(err, errsz, "%s:1: empty document", path);
			rc = -EINVAL;
		}
	}
	yaml_parser_delete(&parser);
	fclose(f);
	if (rc == 0) {
		d->path = strdup(path);
		if (!d->path)
			rc = -ENOMEM;
	}
	if (rc)
		ydoc_free(d);
	return rc;
}

void ydoc_free(struct ydoc *d)
{
	if (d->loaded)
		yaml_document_delete(&d->doc);
	free(d->path);
	memset(d, 0, sizeof(*d));
}

yaml_node_t *ydoc_root(struct ydoc *d)
{
	return yaml_document_get_root_node(&d->doc);
}

yaml_node_t *ydoc_node(struct ydoc *d, int id)
{
	return yaml_document_get_node(&d->doc, id);
}

int ydoc_line(const yaml_node_t *n)
{
	return n ? (int)n->start_mark.line + 1 : 0;
}

bool ydoc_is_map(const yaml_node_t *n)
{
	return n && n->type == YAML_MAPPING_NODE;
}

bool ydoc_is_seq(const yaml_node_t *n)
{
	return n && n->type == YAML_SEQUENCE_NODE;
}

bool ydoc_is_scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE;
}

const char *ydoc_str(const yaml_node_t *n)
{
	return ydoc_is_scalar(n) ? (const char *)n->data.scalar.value : NULL;
}

bool ydoc_is_plain(const yaml_node_t *n)
{
	return ydoc_is_scalar(n) && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
}

int ydoc_bool(const yaml_node_t *n, bool *out)
{
	const char *s = ydoc_str(n);
	if (!s || !ydoc_is_plain(n))
		return -EINVAL;
	if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE")) {
		*out = true;
		return 0;
	}
	if (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE")) {
		*out = false;
		return 0;
	}
	return -EINVAL;
}

int ydoc_long(const yaml_node_t *n, long *out)
{
	const char *s = ydoc_str(n);
	char *end;
	if (!s || !ydoc_is_plain(n) || !*s)
		return -EINVAL;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || *end)
		return -EINVAL;
	*out = v;
	return 0;
}

static bool is_null_scalar(const char *s)
{
	return !*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") ||
	       !strcmp(s, "NULL");
}

/* YAML 1.2 core schema numbers: decimal ints and floats, 0x/0o ints, .inf and .nan. */
static bool core_number(const char *s, double *out)
{
	char *end;
	if (!*s)
		return false;
	const char *inf = (s[0] == '+' || s[0] == '-') ? s + 1 : s;
	if (!strcmp(inf, ".inf") || !strcmp(inf, ".Inf") || !strcmp(inf, ".INF")) {
		*out = s[0] == '-' ? -INFINITY : INFINITY;
		return true;
	}
	/* .nan, .NaN, .NAN: JSON cannot hold NaN, so it stays a string */
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'o') && s[2]) {
		errno = 0;
		unsigned long long v = strtoull(s + 2, &end, s[1] == 'x' ? 16 : 8);
		if (errno || *end)
			return false;
		*out = (double)v;
		return true;
	}
	const char *p = s;
	if (*p == '-' || *p == '+')
		p++;
	if (!(*p >= '0' && *p <= '9') && !(*p == '.' && p[1] >= '0' && p[1] <= '9'))
		return false;
	for (const char *q = p; *q; q++)
		if (!strchr("0123456789.eE+-", *q))
			return false;
	errno = 0;
	double v = strtod(s, &end);
	if (*end || errno == ERANGE)
		return false;
	*out = v;
	return true;
}

static cJSON *to_json(struct ydoc *d, yaml_node_t *n, size_t *budget, int depth)
{
	if (!n || *budget == 0 || depth > 512)
		return NULL;
	(*budget)--;
	switch (n->type) {
	case YAML_SCALAR_NODE: {
		const char *s = (const char *)n->data.scalar.value;
		if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
			return cJSON_CreateString(s);
		bool b;
		double num;
		if (is_null_scalar(s))
			return cJSON_CreateNull();
		if (ydoc_bool(n, &b) == 0)
			return cJSON_CreateBool(b);
		if (core_number(s, &num))
			return cJSON_CreateNumber(num);
		return cJSON_CreateString(s);
	}
	case YAML_SEQUENCE_NODE: {
		cJSON *arr = cJSON_CreateArray();
		if (!arr)
			return NULL;
		YDOC_FOREACH_ITEM(d, n, it)
		{
			cJSON *c = to_json(d, ydoc_node(d, *it), budget, depth + 1);
			if (!c) {
				cJSON_Delete(arr);
				return NULL;
			}
			cJSON_AddItemToArray(arr, c);
		}
		return arr;
	}
	case YAML_MAPPING_NODE: {
		cJSON *obj = cJSON_CreateObject();
		if (!obj)
			return NULL;
		YDOC_FOREACH_PAIR(d, n, pr)
		{
			yaml_node_t *k = ydoc_node(d, pr->key);
			const char *ks = ydoc_str(k);
			cJSON *c = ks ? to_json(d, ydoc_node(d, pr->value), budget, depth + 1) : NULL;
			if (!c) {
				cJSON_Delete(obj);
				return NULL;
			}
			/* JSON semantics for a repeated key: the last one wins */
			if (cJSON_GetObjectItemCaseSensitive(obj, ks))
				cJSON_ReplaceItemInObjectCaseSensitive(obj, ks, c);
			else
				cJSON_AddItemToObject(obj, ks, c);
		}
		return obj;
	}
	default:
		return NULL;
	}
}

cJSON *ydoc_to_json(struct ydoc *d, yaml_node_t *n)
{
	size_t budget = YDOC_MAX_JSON_NODES;
	return to_json(d, n, &budget, 0);
}
