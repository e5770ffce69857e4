/* log: the daemon's own log on stderr, one line per event, written whole: as text
 * ("2026-11-28T07:31:53.083Z info  message") or as one JSON object ({"ts","level","msg"}).
 * Lines below the level are dropped; a message is cut to LOG_MAX_MSG bytes. */
#ifndef KAA_LOG_H
#define KAA_LOG_H

#include <stdbool.h>

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

/* The longest message kept (bytes, before any escaping): whatever a message quotes from
 * outside (a path, a collector's answer) cannot make a line longer than this. */
#define LOG_MAX_MSG 2016

void log_set_level(enum log_level lvl);
/* true: one JSON object per line (invalid UTF-8 in a message becomes U+FFFD); false: text */
void log_set_json(bool json);
void log_msg(enum log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
