#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <cjson/cJSON.h>

static enum log_level level = LOG_INFO;
static bool json;
static const char *const names[] = {"error", "warn", "info", "debug"};

void log_set_level(enum log_level lvl)
{
	level = lvl;
}

void log_set_json(bool on)
{
	json = on;
}

/* The length of the well-formed UTF-8 sequence at s (n bytes left), or 0 when there is none;
 * then *bad is the length of its longest well-formed start, which one U+FFFD replaces (the
 * Unicode "maximal subpart" rule). */
static size_t utf8_seq(const unsigned char *s, size_t n, size_t *bad)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t need, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		need = 2;
	} else if (c >= 0xe0 && c <= 0xef) {
		need = 3;
		lo = c == 0xe0 ? 0xa0 : 0x80; /* no overlong forms */
		hi = c == 0xed ? 0x9f : 0xbf; /* no surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 4;
		lo = c == 0xf0 ? 0x90 : 0x80;
		hi = c == 0xf4 ? 0x8f : 0xbf; /* nothing past U+10FFFF */
	} else {
		*bad = 1;
		return 0;
	}
	for (i = 1; i < need && i < n; i++) {
		if (s[i] < lo || s[i] > hi)
			break;
		lo = 0x80;
		hi = 0xbf;
	}
	if (i == need)
		return need;
	*bad = i;
	return 0;
}

/* msg (len bytes) as well-formed UTF-8 into out, which holds 3 * len + 1 bytes: every
 * ill-formed piece becomes U+FFFD, except a sequence cut short at the end of a message that
 * was itself cut (cut), which is dropped. */
static void utf8_clean(const char *msg, size_t len, bool cut, char *out)
{
	const unsigned char *s = (const unsigned char *)msg;
	size_t i = 0, o = 0, bad, k;

	while (i < len) {
		k = utf8_seq(s + i, len - i, &bad);
		if (k) {
			memcpy(out + o, s + i, k);
			o += k;
			i += k;
			continue;
		}
		if (cut && i + bad == len && s[i] >= 0xc2 && s[i] <= 0xf4)
			break; /* a good start the cut ran into */
		memcpy(out + o, "\xef\xbf\xbd", 3);
		o += 3;
		i += bad;
	}
	out[o] = '\0';
}

/* {"ts":..,"level":..,"msg":..} and its newline into line (lsz bytes); cJSON escapes quotes,
 * backslashes and control characters. Returns the length, or 0 when out of memory. */
static size_t json_line(char *line, size_t lsz, const char *ts, enum log_level lvl, const char *msg)
{
	cJSON *o = cJSON_CreateObject();
	size_t len = 0;

	/* references: nothing is copied, and the tree is small enough to never fail but for
	 * memory */
	if (o && cJSON_AddItemToObjectCS(o, "ts", cJSON_CreateStringReference(ts)) &&
	    cJSON_AddItemToObjectCS(o, "level", cJSON_CreateStringReference(names[lvl])) &&
	    cJSON_AddItemToObjectCS(o, "msg", cJSON_CreateStringReference(msg)) &&
	    cJSON_PrintPreallocated(o, line, (int)lsz - 1, 0)) {
		len = strlen(line);
		line[len++] = '\n';
	}
	cJSON_Delete(o);
	return len;
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	struct timespec now;
	struct tm tm;
	char ts[96], msg[LOG_MAX_MSG + 1];
	/* JSON: U+FFFD is 3 bytes for 1, \u001f 6 bytes for 1: 6 times the message at most */
	char clean[3 * LOG_MAX_MSG + 1], line[6 * LOG_MAX_MSG + 128];
	va_list ap;
	size_t len;

	if (lvl > level)
		return;
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	snprintf(ts, sizeof(ts), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 now.tv_nsec / 1000000);
	va_start(ap, fmt);
	int n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		n = snprintf(msg, sizeof(msg), "(unprintable message: %s)", fmt);
	bool cut = (size_t)n >= sizeof(msg);
	len = cut ? sizeof(msg) - 1 : (size_t)n;

	if (json) {
		utf8_clean(msg, len, cut, clean);
		len = json_line(line, sizeof(line), ts, lvl, clean);
		if (!len)
			len = (size_t)snprintf(line, sizeof(line),
					       "{\"ts\":\"%s\",\"level\":\"%s\",\"msg\":\"(out of "
					       "memory: a log line was lost)\"}\n",
					       ts, names[lvl]);
	} else {
		/* a line break or an escape sequence from a file name must not fake a line */
		for (size_t i = 0; i < len; i++)
			if (((unsigned char)msg[i] < 0x20 && msg[i] != '\t') || msg[i] == 0x7f)
				msg[i] = '?';
		len = (size_t)snprintf(line, sizeof(line), "%s %-5s %s\n", ts, names[lvl], msg);
	}
	/* one write per line: lines from one process never interleave */
	fwrite(line, 1, len, stderr);
}
