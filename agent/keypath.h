/* keypath: Panther key specifiers (KeyPath "a.b[0].c", DeepKey [a, b, 0]) compiled once
 * and resolved against decoded JSON. A segment may be double-quoted to hold dots or
 * brackets ("annotations.\"authorization.k8s.io/decision\""); "@" is the value itself
 * (inside list-comprehension Expressions, the element). */
#ifndef KAA_KEYPATH_H
#define KAA_KEYPATH_H

#include <stdbool.h>
#include <stddef.h>
#include <cjson/cJSON.h>

#define KEYPATH_MAX_SEGS 64

struct kp_seg {
	char *key; /* NULL for an index segment */
	long index;
};

struct keypath {
	struct kp_seg *segs;
	size_t n;
	char *text; /* the specifier as written, for messages */
};

/* Compile a KeyPath string. Returns 0, or -EINVAL with a message in err. */
int keypath_parse(struct keypath *kp, const char *s, char *err, size_t errsz);
/* Compile a DeepKey list: each item is a key, or an index when is_index[i]. Returns 0,
 * -E2BIG past KEYPATH_MAX_SEGS, or -ENOMEM. */
int keypath_from_parts(struct keypath *kp, char **keys, const long *idx, const bool *is_index,
		       size_t n);
void keypath_free(struct keypath *kp);

/* Walk segments [from, n) starting at base. ci selects Panther's case-insensitive lookup.
 * Returns the value (borrowed) or NULL when any step is absent. */
const cJSON *keypath_walk(const struct keypath *kp, size_t from, const cJSON *base, bool ci);

#endif
