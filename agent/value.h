/* value: reading decoded JSON values with the semantics of Panther's Python event
 * (case-insensitive key lookup that prefers the exact key, Python truthiness, Python str()),
 * so that YAML rules reproduce the reference Python rules exactly. */
#ifndef KAA_VALUE_H
#define KAA_VALUE_H

#include <stdbool.h>
#include <cjson/cJSON.h>

#include "sbuf.h"

/* Member of an object: the exact key if present, else (when ci) the first key that is equal
 * ignoring ASCII case, as Panther's ImmutableCaseInsensitiveDict does. NULL when absent or when
 * obj is not an object. The result is borrowed from obj. */
const cJSON *value_member(const cJSON *obj, const char *key, bool ci);

/* Element of an array; negative indexes count from the end, like Python. NULL when out of range
 * or when arr is not an array. */
const cJSON *value_element(const cJSON *arr, long index);

/* Python truthiness: absent, null, false, 0, "", [] and {} are false. */
bool value_truthy(const cJSON *v);

/* Type-strict equality: numbers compare numerically, strings byte-wise, arrays and objects
 * deeply (keys case-sensitive). Absent equals nothing. */
bool value_equal(const cJSON *a, const cJSON *b);

/* Append Python's str() of v: strings as they are, null as None, booleans as True/False,
 * integral numbers without a fraction, other numbers as Python's repr; arrays and objects as
 * compact JSON. Absent values append nothing. Returns 0 or -ENOMEM. */
int value_to_text(const cJSON *v, struct sbuf *out);

/* Python repr() of a double into buf (at least 32 bytes). */
void value_format_number(double d, char *buf, size_t bufsz);

/* Number of Unicode code points in a valid UTF-8 string. */
size_t utf8_count(const char *s, size_t n);
/* Byte length of the first max_cp code points of a valid UTF-8 string. */
size_t utf8_prefix_bytes(const char *s, size_t n, size_t max_cp);
/* Offset of the first byte that is not valid UTF-8, or n when all of s is valid. */
size_t utf8_invalid_at(const char *s, size_t n);

#endif
