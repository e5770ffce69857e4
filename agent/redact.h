/* redact: keep credentials out of everything the agent prints (its log, check-config, error
 * messages, dead-letter answers). A URL's userinfo becomes "***", and the known secrets of an
 * output (its token, secret header values, URL credentials) become "***" in any text. */
#ifndef KAA_REDACT_H
#define KAA_REDACT_H

#include <stdbool.h>
#include <stddef.h>

#define REDACT_MASK	   "***"
#define REDACT_MAX_SECRETS 8

/* The secret strings of one output; owned copies, wiped when cleared. */
struct redact_set {
	char *v[REDACT_MAX_SECRETS];
	size_t n;
};

/* A copy of url with its userinfo ("user:password@") replaced by "***" (so it reads
 * "***@host/path" after the scheme); a URL without userinfo is copied as it is. Returns the new
 * string (the caller frees it), or NULL when out of memory. */
char *redact_url(const char *url);
/* Does a header of this name carry a credential (Authorization, X-Api-Key, Cookie ...)? */
bool redact_header_is_secret(const char *name);

/* Add a copy of secret (empty ones are ignored). Returns 0, -ENOSPC or -ENOMEM. */
int redact_set_add(struct redact_set *s, const char *secret);
/* Add what the userinfo of url gives away: the userinfo as written, its password (as written
 * and percent-decoded) and the base64 "user:password" of Basic authentication. Returns 0,
 * -ENOSPC or -ENOMEM. */
int redact_set_add_url(struct redact_set *s, const char *url);
void redact_set_clear(struct redact_set *s);
/* In the NUL-terminated text (a buffer of bufsz bytes), in place: the userinfo of every URL and
 * every occurrence of one of the n secrets (NULL and empty ones are skipped) becomes "***",
 * longest secret first. Text that no longer fits is cut. */
void redact_text(char *text, size_t bufsz, const char *const *secrets, size_t n);

#endif
