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

int linereader_init_follow(struct linereader *lr, int fd, size_t max_line, uint64_t start_offset)
{
	int rc = linereader_init(lr, fd, max_line);
	lr->follow = true;
	lr->consumed = start_offset;
	return rc;
}

void linereader_set_final(struct linereader *lr)
{
	lr->follow = false;
}

void linereader_reset(struct linereader *lr, uint64_t offset)
{
	lr->start = lr->end = 0;
	lr->consumed = offset;
	lr->skipping = false;
	lr->eof = false;
}

uint64_t linereader_read_offset(const struct linereader *lr)
{
	return lr->consumed + (lr->end - lr->start);
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
				out->next = lr->consumed;
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
			out->next = lr->consumed;
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
			if (lr->read_fn)
				n = lr->read_fn(lr->read_ctx, lr->buf + lr->end, lr->cap - lr->end);
			else
				n = read(lr->fd, lr->buf + lr->end, lr->cap - lr->end);
		} while (n < 0 && !lr->read_fn && errno == EINTR);
		if (n < 0)
			return lr->read_fn ? (int)n : -errno;
		if (n == 0) {
			if (lr->follow)
				return 0; /* nothing more yet: keep any partial line */
			lr->eof = true;
		}
		lr->end += (size_t)n;
	}
}
