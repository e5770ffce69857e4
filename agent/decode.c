#include "decode.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bytesearch.h"
#include "value.h"

static void set_err(struct decode_error *err, size_t off, const char *reason)
{
	if (!err)
		return;
	err->offset = off;
	snprintf(err->reason, sizeof(err->reason), "%s", reason);
}

struct shape {
	size_t max_depth; /* deepest bracket nesting outside strings */
	bool open_at_end; /* a string, object or array is still open at the end */
	bool mismatched;  /* a closing bracket of the wrong kind */
};

/* The bracket structure of a line that failed to parse, to say why it failed. */
static struct shape line_shape(const char *s, size_t n)
{
	struct shape sh = {0, false, false};
	char stack[CJSON_NESTING_LIMIT + 1];
	size_t depth = 0;
	bool in_string = false;

	for (size_t i = 0; i < n && !sh.mismatched; i++) {
		char c = s[i];
		if (in_string) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_string = false;
			continue;
		}
		if (c == '"') {
			in_string = true;
		} else if (c == '{' || c == '[') {
			if (depth < sizeof(stack))
				stack[depth] = c == '{' ? '}' : ']';
			if (++depth > sh.max_depth)
				sh.max_depth = depth;
		} else if (c == '}' || c == ']') {
			if (depth == 0 || (depth <= sizeof(stack) && stack[depth - 1] != c))
				sh.mismatched = true;
			else
				depth--;
		}
	}
	sh.open_at_end = !sh.mismatched && (in_string || depth > 0);
	return sh;
}

/* Where "\u0000" stands as a real escape (an odd run of backslashes before it). C strings
 * cannot hold U+0000, so it becomes U+FFFD: a string that held it still differs from every
 * string without it, as in Python. Returns a malloc'd copy or NULL when nothing to change. */
static char *rewrite_nul_escapes(const char *s, size_t n, int *oom)
{
	static const char pat[] = "\\u0000";
	char *copy = NULL;
	const char *p = s;
	size_t left = n;

	*oom = 0;
	while (left >= 6) {
		const char *hit = bytes_find(p, left, pat, 6);
		if (!hit)
			break;
		size_t bs = 0;
		for (const char *q = hit; q >= s && *q == '\\'; q--)
			bs++;
		if (bs % 2 == 1) {
			if (!copy) {
				copy = malloc(n + 1);
				if (!copy) {
					*oom = 1;
					return NULL;
				}
				memcpy(copy, s, n);
				copy[n] = '\0';
			}
			memcpy(copy + (hit - s) + 2, "FFFD", 4);
		}
		left -= (size_t)(hit - p) + 1;
		p = hit + 1;
	}
	return copy;
}

cJSON *decode_line(const char *line, size_t len, struct decode_error *err)
{
	size_t bad;
	const char *text = line;
	char *owned = NULL;

	if (len == 0) {
		set_err(err, 0, "empty line");
		return NULL;
	}
	const char *nul = memchr(line, '\0', len);
	if (nul) {
		set_err(err, (size_t)(nul - line), "NUL byte in line");
		return NULL;
	}
	bad = utf8_invalid_at(line, len);
	if (bad != len) {
		set_err(err, bad, "invalid UTF-8");
		return NULL;
	}
	if (bytes_find(line, len, "\\u0000", 6)) {
		int oom;
		owned = rewrite_nul_escapes(line, len, &oom);
		if (oom) {
			set_err(err, 0, "out of memory");
			return NULL;
		}
		if (owned)
			text = owned;
	}

	const char *end = NULL;
	cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
	if (!root) {
		const char *at = cJSON_GetErrorPtr();
		size_t off = (at && at >= text && at <= text + len) ? (size_t)(at - text) : 0;
		struct shape sh = line_shape(text, len);
		char why[64];
		if (sh.max_depth > CJSON_NESTING_LIMIT)
			snprintf(why, sizeof(why), "JSON nested deeper than %d levels",
				 CJSON_NESTING_LIMIT);
		else
			snprintf(why, sizeof(why), "%s",
				 sh.open_at_end ? "truncated JSON" : "invalid JSON");
		set_err(err, off, why);
		free(owned);
		return NULL;
	}
	/* only white space may follow the value */
	size_t pos = end ? (size_t)(end - text) : len;
	while (pos < len &&
	       (text[pos] == ' ' || text[pos] == '\t' || text[pos] == '\r' || text[pos] == '\n'))
		pos++;
	free(owned);
	if (pos < len) {
		cJSON_Delete(root);
		set_err(err, pos, "unexpected data after the JSON value");
		return NULL;
	}
	if (!cJSON_IsObject(root)) {
		cJSON_Delete(root);
		set_err(err, 0, "line is JSON but not an object");
		return NULL;
	}
	if (decode_resolve_duplicates(root)) {
		cJSON_Delete(root);
		set_err(err, 0, "out of memory");
		return NULL;
	}
	return root;
}

static uint64_t key_hash(const char *k)
{
	uint64_t h = 1469598103934665603ULL;
	while (*k)
		h = (h ^ (unsigned char)*k++) * 1099511628211ULL;
	return h;
}

/* Move later into earlier's place: the value of the last occurrence at the first position. */
static void replace_with_later(cJSON *obj, cJSON *earlier, cJSON *later)
{
	cJSON_DetachItemViaPointer(obj, later);
	cJSON_ReplaceItemViaPointer(obj, earlier, later);
}

/* A bit for a key from its first two bytes: a key whose bit no earlier key set is new. */
static uint64_t key_bit(const char *k)
{
	unsigned char a = (unsigned char)k[0], b = a ? (unsigned char)k[1] : 0;
	return 1ULL << ((a * 7u + b) & 63u);
}

static int resolve_object_small(cJSON *obj)
{
	uint64_t seen = 0;
	cJSON *c = obj->child;
	while (c) {
		cJSON *next = c->next;
		uint64_t bit = c->string ? key_bit(c->string) : 0;
		if (seen & bit) {
			for (cJSON *e = obj->child; e != c; e = e->next) {
				if (e->string && e->string[0] == c->string[0] &&
				    strcmp(e->string, c->string) == 0) {
					replace_with_later(obj, e, c);
					break;
				}
			}
		}
		seen |= bit;
		c = next;
	}
	return 0;
}

static int resolve_object_large(cJSON *obj, size_t n)
{
	size_t cap = 1;
	while (cap < n * 2)
		cap <<= 1;
	cJSON **slots = calloc(cap, sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	cJSON *c = obj->child;
	while (c) {
		cJSON *next = c->next;
		if (c->string) {
			size_t i = key_hash(c->string) & (cap - 1);
			while (slots[i] && strcmp(slots[i]->string, c->string) != 0)
				i = (i + 1) & (cap - 1);
			if (slots[i]) {
				replace_with_later(obj, slots[i], c);
				slots[i] = c;
			} else {
				slots[i] = c;
			}
		}
		c = next;
	}
	free(slots);
	return 0;
}

int decode_resolve_duplicates(cJSON *root)
{
	if (!root)
		return 0;
	int type = root->type & 0xFF;
	if (type == cJSON_Object) {
		size_t n = 0;
		for (cJSON *c = root->child; c; c = c->next)
			n++;
		int err = n > 16 ? resolve_object_large(root, n) : resolve_object_small(root);
		if (err)
			return err;
	}
	if (type == cJSON_Object || type == cJSON_Array) {
		for (cJSON *c = root->child; c; c = c->next) {
			int ct = c->type & 0xFF;
			if (ct != cJSON_Object && ct != cJSON_Array)
				continue; /* a scalar holds no keys */
			int err = decode_resolve_duplicates(c);
			if (err)
				return err;
		}
	}
	return 0;
}
