#include "linereader.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LINEREADER_CHUNK (256u << 10)

int linereader_init(struct linereader *lr, int fd, size_t max_line)
{
	memset(lr, 0, sizeof(*lr));
	lr->fd = fd;
	lr->max_line = max_line ? max_line : LINEREADER_DEFAULT_MAX;
	lr->cap = LINEREADER_CHUNK;
	lr->buf = malloc(lr->cap);
	return lr->buf ? 0 : -ENOMEM;
}

void linereader_free(struct linereader *lr)
{
	free(lr->buf);
	lr->buf = NULL;
}

/* Make room for at least one more chunk after end. Returns 0 or -ENOMEM. */
static int make_room(struct linereader *lr)
{
	if (lr->start > 0) {
		memmove(lr->buf, lr->buf + lr->start, lr->end - lr->start);
		lr->end -= lr->start;
		lr->start = 0;
	}
	if (lr->cap - lr->end >= LINEREADER_CHUNK / 4)
		return 0;
	/* a partial line fills the buffer: grow, but never past max_line + one chunk */
	size_t ncap = lr->cap * 2;
	if (ncap > lr->max_line + LINEREADER_CHUNK)
		ncap = lr->max_line + LINEREADER_CHUNK;
	if (ncap <= lr->cap)
		return 0;
	char *nb = realloc(lr->buf, ncap);
	if (!nb)
		return -ENOMEM;
	lr->buf = nb;
	lr->cap = ncap;
	return 0;
}

int linereader_next(struct linereader *lr, struct line *out)
{
	for (;;) {
		char *s = lr->buf + lr->start;
		size_t avail = lr->end - lr->start;
		char *nl = avail ? memchr(s, '\n', avail) : NULL;

		if (lr->skipping) {
			size_t take = nl ? (size_t)(nl - s) : avail;
			lr->skipped += take;
			lr->start += take;
			lr->consumed += take;
			if (nl || (lr->eof && avail == 0)) {
				if (nl) {
					lr->start++;
					lr->consumed++;
				}
				lr->skipping = false;
				out->p = NULL;
				out->len = lr->skipped;
				out->no = ++lr->lineno;
				out->offset = lr->skip_offset;
				out->too_long = true;
				return 1;
			}
		} else if (nl || (lr->eof && avail > 0)) {
			size_t len = nl ? (size_t)(nl - s) : avail;
			if (len > lr->max_line) {
				lr->skipping = true;
				lr->skipped = 0;
				lr->skip_offset = lr->consumed;
				continue;
			}
			out->p = s;
			out->len = len;
			out->no = ++lr->lineno;
			out->offset = lr->consumed;
			out->too_long = false;
			size_t adv = len + (nl ? 1 : 0);
			lr->start += adv;
			lr->consumed += adv;
			return 1;
		} else if (avail > lr->max_line) {
			lr->skipping = true;
			lr->skipped = 0;
			lr->skip_offset = lr->consumed;
			continue;
		}
		if (lr->eof)
			return 0;
		if (lr->skipping) {
			lr->start = lr->end = 0;
		} else if (make_room(lr)) {
			return -ENOMEM;
		}
		ssize_t n;
		do {
			n = read(lr->fd, lr->buf + lr->end, lr->cap - lr->end);
		} while (n < 0 && errno == EINTR);
		if (n < 0)
			return -errno;
		if (n == 0)
			lr->eof = true;
		lr->end += (size_t)n;
	}
}
