/* sbuf: a growable byte string with a hard size cap.
 * Used wherever the agent builds text from untrusted input (titles, dedup strings, JSON):
 * growth past the cap fails instead of allocating without bound. */
#ifndef KAA_SBUF_H
#define KAA_SBUF_H

#include <stdbool.h>
#include <stddef.h>

struct sbuf {
	char *buf;    /* always NUL-terminated when len > 0 or after sbuf_cstr() */
	size_t len;
	size_t cap;   /* allocated bytes */
	size_t limit; /* largest len allowed; 0 means SBUF_DEFAULT_LIMIT */
	bool overflow; /* set when an append was refused for the limit or memory */
};

#define SBUF_DEFAULT_LIMIT (64u << 20)

void sbuf_init(struct sbuf *s, size_t limit);
void sbuf_free(struct sbuf *s);
void sbuf_reset(struct sbuf *s);
/* Append; returns 0 or -ENOMEM (limit or allocation), setting s->overflow. */
int sbuf_append(struct sbuf *s, const char *p, size_t n);
int sbuf_puts(struct sbuf *s, const char *str);
int sbuf_putc(struct sbuf *s, char c);
int sbuf_printf(struct sbuf *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The contents as a C string (never NULL). */
const char *sbuf_cstr(struct sbuf *s);
/* Hand the buffer to the caller (who frees it); the sbuf is left empty. */
char *sbuf_take(struct sbuf *s);

#endif
