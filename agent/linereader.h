/* linereader: split a byte stream into lines with large reads and no per-line allocation.
 * A line longer than max_line is not kept: it is skipped to its newline and reported with
 * its length, so one hostile line costs at most max_line bytes of memory. */
#ifndef KAA_LINEREADER_H
#define KAA_LINEREADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct line {
	const char *p;   /* the bytes, without the newline (NULL when too_long) */
	size_t len;      /* length without the newline (the full length when too_long) */
	uint64_t no;     /* 1-based line number */
	uint64_t offset; /* byte offset of the line's first byte */
	uint64_t next;   /* byte offset after the line and its newline (if it has one) */
	bool too_long;
};

/* Where bytes come from: read(2) on fd by default, or a caller's function (a gzip file). */
typedef long (*linereader_read_fn)(void *ctx, void *buf, size_t n);

struct linereader {
	int fd;
	linereader_read_fn read_fn;
	void *read_ctx;
	bool follow; /* at end of input keep a partial last line and report "no line yet" */
	char *buf;
	size_t cap, start, end;
	size_t max_line;
	uint64_t lineno;
	uint64_t consumed; /* stream offset of buf[start] */
	bool eof;
	bool skipping;
	size_t skipped;
	uint64_t skip_offset;
};

#define LINEREADER_DEFAULT_MAX (16u << 20)

/* Returns 0 or -ENOMEM. fd is not owned. */
int linereader_init(struct linereader *lr, int fd, size_t max_line);
/* Follow a growing file: end of input is "nothing more yet"; a partial last line waits for
 * its newline. start_offset is the stream offset of the first byte that will be read. */
int linereader_init_follow(struct linereader *lr, int fd, size_t max_line, uint64_t start_offset);
/* The input has ended for good (a rotated file drained): a partial last line is returned. */
void linereader_set_final(struct linereader *lr);
/* Forget everything buffered and restart counting at offset (the file was truncated). */
void linereader_reset(struct linereader *lr, uint64_t offset);
/* Stream offset just past the last byte read from the source. */
uint64_t linereader_read_offset(const struct linereader *lr);
void linereader_free(struct linereader *lr);
/* Next line. Returns 1 with *out set, 0 at end of input (a last line without a newline is
 * returned before that unless following), or -errno on a read error. out->p stays valid until
 * the next call. */
int linereader_next(struct linereader *lr, struct line *out);

#endif
