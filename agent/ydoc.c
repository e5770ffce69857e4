#include "ydoc.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The whole file into a new buffer (*buf, *len; the caller frees it), refused when it is
 * over max_bytes. A pipe works too (check-config --config <(...)). */
static int read_file(int fd, const char *path, size_t max_bytes, unsigned char **buf, size_t *len,
		     char *err, size_t errsz)
{
	struct stat st;
	size_t cap = 4096, n = 0;

	if (fstat(fd, &st)) {
		int e = errno;
		snprintf(err, errsz, "%s: %s", path, strerror(e));
		return -e;
	}
	if (S_ISDIR(st.st_mode)) {
		snprintf(err, errsz, "%s: cannot open: %s", path, strerror(EISDIR));
		return -EISDIR;
	}
	if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > max_bytes) {
		snprintf(err, errsz, "%s: file is %lld bytes, larger than the %zu allowed", path,
			 (long long)st.st_size, max_bytes);
		return -EFBIG;
	}
	unsigned char *b = malloc(cap);
	if (!b)
		goto oom;
	for (;;) {
		if (n == cap) {
			if (cap > max_bytes) {
				free(b);
				snprintf(err, errsz,
					 "%s: file is larger than the %zu bytes allowed", path,
					 max_bytes);
				return -EFBIG;
			}
			unsigned char *nb = realloc(b, cap * 2);
			if (!nb) {
				free(b);
				goto oom;
			}
			b = nb;
			cap *= 2;
		}
		ssize_t r = read(fd, b + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			free(b);
			snprintf(err, errsz, "%s: cannot read: %s", path, strerror(e));
			return -e;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (n > max_bytes) {
		free(b);
		snprintf(err, errsz, "%s: file is larger than the %zu bytes allowed", path,
			 max_bytes);
		return -EFBIG;
	}
	*buf = b;
	*len = n;
	return 0;
oom:
	snprintf(err, errsz, "%s: out of memory", path);
	return -ENOMEM;
}

/* libyaml's scanner looks at every open flow collection for each token, so deep nesting
 * costs it time quadratically (a 400 kB file of brackets takes minutes): count the nesting
 * with its event parser, which can stop early, before the document is built. Returns 0
 * (a syntax error is left for the loader to report) or -EINVAL. */
static int check_nesting(const unsigned char *buf, size_t len, const char *path, char *err,
			 size_t errsz)
{
	yaml_parser_t p;
	yaml_event_t ev;
	int depth = 0, rc = 0;

	if (!yaml_parser_initialize(&p)) {
		snprintf(err, errsz, "%s: out of memory", path);
		return -ENOMEM;
	}
	yaml_parser_set_input_string(&p, buf, len);
	while (yaml_parser_parse(&p, &ev)) {
		yaml_event_type_t t = ev.type;
		if (t == YAML_SEQUENCE_START_EVENT || t == YAML_MAPPING_START_EVENT) {
			if (++depth > YDOC_MAX_DEPTH) {
				snprintf(err, errsz, "%s:%zu: YAML nested deeper than %d levels",
					 path, ev.start_mark.line + 1, YDOC_MAX_DEPTH);
				rc = -EINVAL;
			}
		} else if (t == YAML_SEQUENCE_END_EVENT || t == YAML_MAPPING_END_EVENT) {
			depth--;
		}
		yaml_event_delete(&ev);
		if (rc || t == YAML_DOCUMENT_END_EVENT || t == YAML_STREAM_END_EVENT)
			break;
	}
	yaml_parser_delete(&p);
	return rc;
}

/* A node's children: a sequence's items, a mapping's keys and values (key, value, key, ...). */
static size_t node_kids(const yaml_node_t *node)
{
	if (node->type == YAML_SEQUENCE_NODE)
		return (size_t)(node->data.sequence.items.top - node->data.sequence.items.start);
	if (node->type == YAML_MAPPING_NODE)
		return 2 * (size_t)(node->data.mapping.pairs.top - node->data.mapping.pairs.start);
	return 0;
}

static int node_kid(const yaml_node_t *node, size_t i)
{
	if (node->type == YAML_SEQUENCE_NODE)
		return node->data.sequence.items.start[i];
	const yaml_node_pair_t *p = &node->data.mapping.pairs.start[i / 2];
	return i % 2 ? p->value : p->key;
}

/* Aliases make the document a graph: an alias to an enclosing node is a cycle (a walk over it
 * never ends), and aliases of aliases expand exponentially ("billion laughs"). Walk it once
 * without recursion, each node once, and refuse a cycle, more than YDOC_MAX_NODES nodes once
 * expanded, or more than YDOC_MAX_DEPTH levels of nesting once expanded. */
static int check_graph(struct ydoc *d, char *err, size_t errsz)
{
	size_t n = (size_t)(d->doc.nodes.top - d->doc.nodes.start);
	struct frame {
		int id;
		size_t next; /* the next child to visit */
	};
	uint64_t *size = calloc(n + 1, sizeof(*size));
	int *depth = calloc(n + 1, sizeof(*depth));
	unsigned char *state = calloc(n + 1, 1); /* 0 unseen, 1 on the path, 2 done */
	struct frame *stack = malloc((n + 1) * sizeof(*stack));
	int rc = 0;

	if (!size || !depth || !state || !stack) {
		snprintf(err, errsz, "%s: out of memory", d->path);
		rc = -ENOMEM;
		goto out;
	}
	size_t top = 0;
	stack[top++] = (struct frame){1, 0};
	state[1] = 1;
	while (top && !rc) {
		struct frame *f = &stack[top - 1];
		yaml_node_t *node = ydoc_node(d, f->id);
		size_t nkids = node_kids(node);
		if (f->next < nkids) {
			size_t i = f->next++;
			int kid = node_kid(node, i);
			if (kid < 1 || (size_t)kid > n)
				continue;
			if (state[kid] == 1) {
				snprintf(err, errsz,
					 "%s:%d: an alias refers to a node that contains it",
					 d->path, ydoc_line(node));
				rc = -EINVAL;
			} else if (state[kid] == 0) {
				state[kid] = 1;
				stack[top++] = (struct frame){kid, 0};
			}
			continue;
		}
		/* every child is done: this node's expanded size and depth */
		uint64_t sz = 1;
		int dp = 0;
		for (size_t i = 0; i < nkids; i++) {
			int kid = node_kid(node, i);
			if (kid < 1 || (size_t)kid > n)
				continue;
			sz += size[kid];
			if (depth[kid] > dp)
				dp = depth[kid];
		}
		size[f->id] = sz;
		depth[f->id] = node->type == YAML_SCALAR_NODE ? 0 : dp + 1;
		state[f->id] = 2;
		if (sz > YDOC_MAX_NODES) {
			snprintf(err, errsz, "%s:%d: aliases expand this to more than %d nodes",
				 d->path, ydoc_line(node), YDOC_MAX_NODES);
			rc = -EINVAL;
		} else if (depth[f->id] > YDOC_MAX_DEPTH) {
			snprintf(err, errsz, "%s:%d: aliases nest this deeper than %d levels",
				 d->path, ydoc_line(node), YDOC_MAX_DEPTH);
			rc = -EINVAL;
		}
		top--;
	}
out:
	free(size);
	free(depth);
	free(state);
	free(stack);
	return rc;
}

int ydoc_load_trusted(struct ydoc *d, const char *path, size_t max_bytes,
		      const struct trust_policy *trust, char *err, size_t errsz)
{
	yaml_parser_t parser;
	unsigned char *buf = NULL;
	size_t len = 0;
	int rc = 0;

	memset(d, 0, sizeof(*d));
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errsz, "%s: cannot open: %s", path, strerror(errno));
		return rc;
	}
	rc = trust_check_fd(fd, path, trust, err, errsz);
	if (!rc)
		rc = read_file(fd, path, max_bytes, &buf, &len, err, errsz);
	close(fd);
	if (!rc)
		rc = check_nesting(buf, len, path, err, errsz);
	if (rc) {
		free(buf);
		return rc;
	}
	if (!yaml_parser_initialize(&parser)) {
		free(buf);
		snprintf(err, errsz, "%s: out of memory", path);
		return -ENOMEM;
	}
	yaml_parser_set_input_string(&parser, buf, len);
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
	free(buf);
	if (rc == 0) {
		d->path = strdup(path);
		if (!d->path) {
			snprintf(err, errsz, "%s: out of memory", path);
			rc = -ENOMEM;
		}
	}
	if (rc == 0)
		rc = check_graph(d, err, errsz);
	if (rc)
		ydoc_free(d);
	return rc;
}

int ydoc_load(struct ydoc *d, const char *path, size_t max_bytes, char *err, size_t errsz)
{
	return ydoc_load_trusted(d, path, max_bytes, NULL, err, errsz);
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

struct key_at {
	const char *s;
	size_t i;
};

static int cmp_key_at(const void *a, const void *b)
{
	const struct key_at *x = a, *y = b;
	int c = strcmp(x->s, y->s);
	return c ? c : (x->i > y->i) - (x->i < y->i);
}

yaml_node_t *ydoc_duplicate_key(struct ydoc *d, const yaml_node_t *map)
{
	if (!ydoc_is_map(map))
		return NULL;
	const yaml_node_pair_t *pairs = map->data.mapping.pairs.start;
	size_t n = (size_t)(map->data.mapping.pairs.top - pairs), nk = 0, first = n;
	struct key_at *keys = n > 16 ? malloc(n * sizeof(*keys)) : NULL;

	if (!keys) { /* small (or no memory): compare each with those before it */
		for (size_t i = 1; i < n; i++) {
			const char *s = ydoc_str(ydoc_node(d, pairs[i].key));
			for (size_t j = 0; s && j < i; j++) {
				const char *t = ydoc_str(ydoc_node(d, pairs[j].key));
				if (t && !strcmp(s, t))
					return ydoc_node(d, pairs[i].key);
			}
		}
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		const char *s = ydoc_str(ydoc_node(d, pairs[i].key));
		if (s)
			keys[nk++] = (struct key_at){s, i};
	}
	qsort(keys, nk, sizeof(*keys), cmp_key_at);
	/* in each run of equal keys the second is that key's first repeat */
	for (size_t i = 1; i < nk; i++)
		if (!strcmp(keys[i].s, keys[i - 1].s) &&
		    (i < 2 || strcmp(keys[i - 1].s, keys[i - 2].s)) && keys[i].i < first)
			first = keys[i].i;
	free(keys);
	return first < n ? ydoc_node(d, pairs[first].key) : NULL;
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
	size_t budget = YDOC_MAX_NODES;
	return to_json(d, n, &budget, 0);
}
