/* ydoc: a YAML file loaded with libyaml's document API, with the small accessors the rule,
 * data-model and config loaders share, and every error carrying "file:line". */
#ifndef KAA_YDOC_H
#define KAA_YDOC_H

#include <stdbool.h>
#include <stddef.h>
#include <yaml.h>
#include <cjson/cJSON.h>

#include "trust.h"

#define YDOC_MAX_DEPTH 64      /* collections within collections, aliases followed */
#define YDOC_MAX_NODES 1000000 /* nodes once every alias is expanded */

struct ydoc {
	yaml_document_t doc;
	char *path;
	bool loaded;
};

/* Load path. Returns 0, or -errno / -EINVAL with "path:line: reason" in err. Refused: a file
 * larger than max_bytes, nesting deeper than YDOC_MAX_DEPTH, and aliases that form a cycle or
 * expand past YDOC_MAX_NODES nodes (so every walk over the document is bounded). */
int ydoc_load(struct ydoc *d, const char *path, size_t max_bytes, char *err, size_t errsz);
/* ydoc_load, the open file first checked against trust (NULL: no check): -EPERM when refused. */
int ydoc_load_trusted(struct ydoc *d, const char *path, size_t max_bytes,
		      const struct trust_policy *trust, char *err, size_t errsz);
void ydoc_free(struct ydoc *d);

yaml_node_t *ydoc_root(struct ydoc *d);
yaml_node_t *ydoc_node(struct ydoc *d, int id);
/* 1-based line of a node. */
int ydoc_line(const yaml_node_t *n);
bool ydoc_is_map(const yaml_node_t *n);
bool ydoc_is_seq(const yaml_node_t *n);
bool ydoc_is_scalar(const yaml_node_t *n);
/* Scalar text (NUL-terminated by libyaml) or NULL when not a scalar. */
const char *ydoc_str(const yaml_node_t *n);
/* A plain (unquoted) scalar: the YAML core schema decides its type. */
bool ydoc_is_plain(const yaml_node_t *n);

/* The first key of mapping map that repeats an earlier one (comparing string keys), or NULL.
 * O(n log n), so that a file of many keys costs no quadratic time. */
yaml_node_t *ydoc_duplicate_key(struct ydoc *d, const yaml_node_t *map);

/* Parse scalars per the YAML 1.2 core schema. Return 0 or -EINVAL. */
int ydoc_bool(const yaml_node_t *n, bool *out);
int ydoc_long(const yaml_node_t *n, long *out);

/* Convert a node to JSON (mappings to objects, sequences to arrays, scalars typed by the core
 * schema; quoted scalars are strings). A plain string scalar holding JSON is not parsed here.
 * Returns NULL on too many nodes (alias bombs) or memory. */
cJSON *ydoc_to_json(struct ydoc *d, yaml_node_t *n);

#define YDOC_FOREACH_PAIR(d, map, pair)                                                     \
	for (yaml_node_pair_t *pair = (map)->data.mapping.pairs.start;                      \
	     pair < (map)->data.mapping.pairs.top; pair++)
#define YDOC_FOREACH_ITEM(d, seq, item)                                                     \
	for (yaml_node_item_t *item = (seq)->data.sequence.items.start;                     \
	     item < (seq)->data.sequence.items.top; item++)

#endif
