/* eventtime: audit timestamps ("2024-11-13T18:34:10.595141Z", "2022-11-29 00:09:04.38",
 * "+02:00" offsets) to microseconds since the epoch, and back to RFC 3339. */
#ifndef KAA_EVENTTIME_H
#define KAA_EVENTTIME_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <cjson/cJSON.h>

/* Returns 0 and *us, or -EINVAL when s is not such a timestamp. */
int eventtime_parse(const char *s, int64_t *us);
/* "YYYY-MM-DDTHH:MM:SS.uuuuuuZ" into buf (at least 32 bytes). */
void eventtime_format(int64_t us, char *buf, size_t bufsz);

/* The time as a JSON string in that form, or JSON null when it is not known. Returns a new
 * item (NULL on memory failure). */
cJSON *eventtime_json(int64_t us, bool known);

#endif
