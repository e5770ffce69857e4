/* bytesearch: substring search over raw bytes, fast enough to run on every audit line before
 * it is parsed (glibc's memmem is a scalar two-way search, several times slower than reading
 * the line). */
#ifndef KAA_BYTESEARCH_H
#define KAA_BYTESEARCH_H

#include <stddef.h>

/* The first occurrence of needle[0..k) in hay[0..n), or NULL (k == 0 finds hay). */
const char *bytes_find(const char *hay, size_t n, const char *needle, size_t k);

#endif
