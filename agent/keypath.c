#include "keypath.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "value.h"


void keypath_free(struct keypath *kp)
{
	if (!kp)
		return;
	for (size_t i = 0; i < kp->n; i++)
		free(kp->segs[i].key);
	free(kp->segs);
	free(kp->text);
	memset(kp, 0, sizeof(*kp));
}

static int push(struct keypath *kp, char *key, long index)
{
	if (kp->n >= KEYPATH_MAX_SEGS)
		return -E2BIG;
	struct kp_seg *ns = realloc(kp->segs, (kp->n + 1) * sizeof(*ns));
	if (!ns)
		return -ENOMEM;
	kp->segs = ns;
	kp->segs[kp->n].key = key;
	kp->segs[kp->n].index = index;
	kp->n++;
	return 0;
}

int keypath_parse(struct keypath *kp, const char *s, char *err, size_t errsz)
{
	memset(kp, 0, sizeof(*kp));
	kp->text = strdup(s ? s : "");
	if (!kp->text)
		return -ENOMEM;
	if (!s || !*s) {
		snprintf(err, errsz, "empty KeyPath");
		goto fail;
	}
	if (strcmp(s, "@") == 0)
		return 0;

	const char *p = s;
	for (;;) {
		if (*p == '[') {
			char *end;
			errno = 0;
			long v = strtol(p + 1, &end, 10);
			if (end == p + 1 || *end != ']' || errno) {
				if (p[1] == '*')
					snprintf(err, errsz, "KeyPath '%s': wildcard [*] is not supported; "
						 "use AnyElement/AllElements", s);
				else
					snprintf(err, errsz, "KeyPath '%s': bad index at '%s'", s, p);
				goto fail;
			}
			if (push(kp, NULL, v))
				goto toolong;
			p = end + 1;
		} else if (*p == '"') {
			const char *q = strchr(p + 1, '"');
			if (!q) {
				snprintf(err, errsz, "KeyPath '%s': unterminated quote", s);
				goto fail;
			}
			char *key = strndup(p + 1, (size_t)(q - p - 1));
			if (!key || push(kp, key, 0)) {
				free(key);
				goto toolong;
			}
			p = q + 1;
		} else {
			size_t n = strcspn(p, ".[");
			if (n == 0) {
				snprintf(err, errsz, "KeyPath '%s': empty key at '%s'", s, p);
				goto fail;
			}
			char *key = strndup(p, n);
			if (!key || push(kp, key, 0)) {
				free(key);
				goto toolong;
			}
			p += n;
		}
		if (*p == '\0')
			break;
		if (*p == '.') {
			p++;
			if (*p == '\0' || *p == '.' || *p == '[') {
				snprintf(err, errsz, "KeyPath '%s': empty key after '.'", s);
				goto fail;
			}
		} else if (*p != '[') {
			snprintf(err, errsz, "KeyPath '%s': expected '.' or '[' at '%s'", s, p);
			goto fail;
		}
	}
	return 0;
toolong:
	snprintf(err, errsz, "KeyPath '%s': too long (at most %d steps) or out of memory", s,
		 KEYPATH_MAX_SEGS);
fail:
	keypath_free(kp);
	return -EINVAL;
}

int keypath_from_parts(struct keypath *kp, char **keys, const long *idx, const bool *is_index,
		       size_t n)
{
	memset(kp, 0, sizeof(*kp));
	size_t tl = 2;
	for (size_t i = 0; i < n; i++)
		tl += (is_index[i] ? 24 : strlen(keys[i]) + 3);
	kp->text = malloc(tl);
	if (!kp->text)
		return -ENOMEM;
	kp->text[0] = '\0';
	size_t off = 0;
	for (size_t i = 0; i < n; i++) {
		int r;
		if (is_index[i]) {
			off += (size_t)snprintf(kp->text + off, tl - off, "[%ld]", idx[i]);
			r = push(kp, NULL, idx[i]);
		} else {
			off += (size_t)snprintf(kp->text + off, tl - off, "%s\"%s\"", i ? "." : "",
						keys[i]);
			char *k = strdup(keys[i]);
			r = k ? push(kp, k, 0) : -ENOMEM;
			if (r)
				free(k);
		}
		if (r) {
			keypath_free(kp);
			return r;
		}
	}
	return 0;
}

const cJSON *keypath_walk(const struct keypath *kp, size_t from, const cJSON *base, bool ci)
{
	const cJSON *v = base;
	for (size_t i = from; v && i < kp->n; i++) {
		const struct kp_seg *sg = &kp->segs[i];
		if (sg->key)
			v = value_member(v, sg->key, ci);
		else
			v = value_element(v, sg->index);
	}
	return v;
}
