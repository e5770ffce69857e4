/* format: alert records (the agent's JSON) encoded for a collector: NDJSON, Splunk HEC
 * event envelopes, an Elasticsearch _bulk body with ECS field names, or OCSF 1.1 Detection
 * Findings. One call encodes one batch. */
#ifndef KAA_FORMAT_H
#define KAA_FORMAT_H

#include <stddef.h>

#include "sbuf.h"

enum out_format { FMT_JSON, FMT_SPLUNK_HEC, FMT_ELASTIC_BULK, FMT_OCSF };

struct format_opts {
	const char *index;      /* Splunk index / Elasticsearch index */
	const char *source;     /* Splunk source */
	const char *sourcetype; /* Splunk sourcetype */
	const char *version;    /* the agent's version, for OCSF metadata */
};

/* Parse "json", "splunk-hec", "elastic-bulk", "ocsf". Returns 0 or -EINVAL. */
int format_parse(const char *s, enum out_format *out);
const char *format_name(enum out_format f);
/* Content-Type of a body in this format. */
const char *format_content_type(enum out_format f);

/* Append the encoding of one alert record (JSON text, as the agent wrote it) to body. json
 * passes the record through untouched; the other formats parse it and return -EINVAL when
 * it is not a JSON object. Returns 0 or -ENOMEM otherwise. */
int format_record(enum out_format f, const struct format_opts *o, const char *rec, size_t len,
		  struct sbuf *body);

#endif
