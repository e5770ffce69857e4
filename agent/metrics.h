/* metrics: a page in the Prometheus text exposition format 0.0.4, written into an sbuf: each
 * family's HELP and TYPE lines, then its samples, with label values escaped (backslash, double
 * quote, newline) and made valid UTF-8. The sbuf's limit bounds the page. */
#ifndef KAA_METRICS_H
#define KAA_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "sbuf.h"

#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

enum metric_type { METRIC_COUNTER, METRIC_GAUGE };

struct metric_label {
	const char *name;  /* [a-zA-Z_][a-zA-Z0-9_]* */
	const char *value; /* any bytes: escaped, invalid UTF-8 becomes U+FFFD */
};

/* A page being written. Errors are sticky: after the first one nothing more is written and
 * metrics_end returns it. */
struct metrics_page {
	struct sbuf *out;
	const char *family; /* the family whose samples come next, or NULL */
	int err;
};

void metrics_begin(struct metrics_page *p, struct sbuf *out);
/* Start a family: "# HELP name help" (help escaped) and "# TYPE name counter|gauge". The name
 * must be a valid metric name ([a-zA-Z_:][a-zA-Z0-9_:]*), else -EINVAL. */
void metrics_family(struct metrics_page *p, const char *name, enum metric_type type,
		    const char *help);
/* One sample of the current family: name{l1="v1",l2="v2"} value. -EINVAL before any family or
 * for a bad label name. */
void metrics_sample(struct metrics_page *p, const struct metric_label *labels, size_t nlabels,
		    uint64_t value);
/* Append value to out as a label value: \ -> \\, " -> \", newline -> \n, bytes that are not
 * valid UTF-8 -> U+FFFD. Returns 0 or -ENOMEM (the sbuf's limit). */
int metrics_escape_label(struct sbuf *out, const char *value);
/* 0 when the whole page was written, else the first error: -ENOMEM when it would pass the
 * sbuf's limit, -EINVAL for a bad name or a sample outside a family. */
int metrics_end(struct metrics_page *p);

#endif
