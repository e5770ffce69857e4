#include "sbuf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sbuf_init(struct sbuf *s, size_t limit)
{
	memset(s, 0, sizeof(*s));
	s->limit = limit ? limit : SBUF_DEFAULT_LIMIT;
}

void sbuf_free(struct sbuf *s)
{
	free(s->buf);
	s->buf = NULL;
	s->len = s->cap = 0;
}

void sbuf_reset(struct sbuf *s)
{
	s->len = 0;
	s->overflow = false;
	if (s->buf)
		s->buf[0] = '\0';
}

static int sbuf_reserve(struct sbuf *s, size_t extra)
{
	size_t limit = s->limit ? s->limit : SBUF_DEFAULT_LIMIT;
	if (extra > limit || s->len > limit - extra) {
		s->overflow = true;
		return -ENOMEM;
	}
	size_t need = s->len + extra + 1;
	if (need <= s->cap)
		return 0;
	size_t ncap = s->cap ? s->cap : 64;
	while (ncap < need)
		ncap *= 2;
	char *nb = realloc(s->buf, ncap);
	if (!nb) {
		s->overflow = true;
		return -ENOMEM;
	}
	s->buf = nb;
	s->cap = ncap;
	return 0;
}

int sbuf_append(struct sbuf *s, const char *p, size_t n)
{
	if (sbuf_reserve(s, n))
		return -ENOMEM;
	if (n)
		memcpy(s->buf + s->len, p, n);
	s->len += n;
	s->buf[s->len] = '\0';
	return 0;
}

int sbuf_puts(struct sbuf *s, const char *str)
{
	return sbuf_append(s, str, strlen(str));
}

int sbuf_putc(struct sbuf *s, char c)
{
	return sbuf_append(s, &c, 1);
}

int sbuf_printf(struct sbuf *s, const char *fmt, ...)
{
	va_list ap;
	char small[256];

	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	if ((size_t)n < sizeof(small))
		return sbuf_append(s, small, (size_t)n);
	if (sbuf_reserve(s, (size_t)n))
		return -ENOMEM;
	va_start(ap, fmt);
	vsnprintf(s->buf + s->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	s->len += (size_t)n;
	return 0;
}

const char *sbuf_cstr(struct sbuf *s)
{
	return s->buf ? s->buf : "";
}

char *sbuf_take(struct sbuf *s)
{
	char *b = s->buf;
	if (!b)
		b = calloc(1, 1);
	s->buf = NULL;
	s->len = s->cap = 0;
	return b;
}
