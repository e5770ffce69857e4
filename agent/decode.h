/* decode: one untrusted audit line (bytes) to a JSON object, or a reason why not.
 * Rejects invalid UTF-8, raw NUL bytes, nesting deeper than the parser allows, trailing
 * garbage and non-object lines; resolves duplicated keys to the last value (Go and Python do). */
#ifndef KAA_DECODE_H
#define KAA_DECODE_H

#include <stddef.h>
#include <cjson/cJSON.h>

struct decode_error {
	char reason[192];
	size_t offset; /* byte offset in the line where the problem was found */
};

/* Parse line[0..len) (no newline). Returns a new object (free with cJSON_Delete) or NULL with
 * err filled. Never reads past len; line need not be NUL-terminated. */
cJSON *decode_line(const char *line, size_t len, struct decode_error *err);

/* Resolve duplicated keys in every object of the tree: the last value wins and keeps the
 * position of the first occurrence. Returns 0 or -ENOMEM. */
int decode_resolve_duplicates(cJSON *root);

#endif
