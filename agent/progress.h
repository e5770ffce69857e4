/* progress: eval's one-line meter on a terminal: percent, MB/s, events/s and time left for an
 * input of known size, the rates alone for a pipe. Redrawn in place with \r at most
 * PROGRESS_HZ times a second, erased before other output; nothing at all off a terminal. */
#ifndef KAA_PROGRESS_H
#define KAA_PROGRESS_H

#include <stddef.h>
#include <stdint.h>

#define PROGRESS_HZ 10
/* the clock is read once per this many lines or bytes, never per line */
#define PROGRESS_CHECK_LINES 1024u
#define PROGRESS_CHECK_BYTES (1u << 20)

struct progress {
	int fd;		  /* the terminal it draws on, -1: off */
	uint64_t total;	  /* input bytes, 0: unknown */
	int64_t start_ns; /* monotonic */
	int64_t last_draw_ns;
	uint64_t next_lines, next_bytes; /* progress_tick looks at the clock past these */
	size_t drawn;			 /* columns on screen now, 0: nothing drawn */
};

/* On only when fd is a terminal. total: the input's size in bytes, 0 when unknown. */
void progress_init(struct progress *p, int fd, uint64_t total);
/* lines and bytes read so far: maybe redraw (reads the clock). */
void progress_update(struct progress *p, uint64_t lines, uint64_t bytes);
/* Erase the meter, if it is on screen (before other output, and at the end). */
void progress_clear(struct progress *p);
/* The meter's text for lines and bytes after secs seconds into buf (no \r, no newline).
 * Returns its length. */
size_t progress_format(char *buf, size_t bufsz, uint64_t lines, uint64_t bytes, uint64_t total,
		       double secs);

/* For every line: two comparisons unless a check is due (and none at all when off). */
static inline void progress_tick(struct progress *p, uint64_t lines, uint64_t bytes)
{
	if (lines >= p->next_lines || bytes >= p->next_bytes)
		progress_update(p, lines, bytes);
}

#endif
