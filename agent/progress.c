#include "progress.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void progress_init(struct progress *p, int fd, uint64_t total)
{
	memset(p, 0, sizeof(*p));
	p->fd = -1;
	p->next_lines = p->next_bytes = UINT64_MAX;
	if (fd < 0 || !isatty(fd))
		return;
	p->fd = fd;
	p->total = total;
	p->start_ns = p->last_draw_ns = now_ns();
	p->next_lines = PROGRESS_CHECK_LINES;
	p->next_bytes = PROGRESS_CHECK_BYTES;
}

/* "1:02:03" or "2:03" */
static void format_duration(char *buf, size_t n, double secs)
{
	unsigned long s = secs < 0 ? 0 : secs > 359999 ? 359999 : (unsigned long)(secs + 0.5);
	if (s >= 3600)
		snprintf(buf, n, "%lu:%02lu:%02lu", s / 3600, s / 60 % 60, s % 60);
	else
		snprintf(buf, n, "%lu:%02lu", s / 60, s % 60);
}

size_t progress_format(char *buf, size_t bufsz, uint64_t lines, uint64_t bytes, uint64_t total,
		       double secs)
{
	double mbs = secs > 0 ? (double)bytes / 1e6 / secs : 0;
	double eps = secs > 0 ? (double)lines / secs : 0;
	int n;

	if (total) {
		double done = bytes >= total ? 1 : (double)bytes / (double)total;
		char left[24] = "--:--";
		if (mbs > 0)
			format_duration(left, sizeof(left),
					(double)(total - (bytes < total ? bytes : total)) / 1e6 /
					    mbs);
		n = snprintf(buf, bufsz, "eval: %5.1f%%  %.1f MB/s  %.0f events/s  %s left",
			     done * 100, mbs, eps, left);
	} else {
		n = snprintf(buf, bufsz, "eval: %llu events, %.1f MB  %.1f MB/s  %.0f events/s",
			     (unsigned long long)lines, (double)bytes / 1e6, mbs, eps);
	}
	if (n < 0)
		return 0;
	return (size_t)n < bufsz ? (size_t)n : bufsz - 1;
}

/* One write: \r, the text, spaces over what the last one left. */
static void draw(struct progress *p, const char *text, size_t len)
{
	char line[160];
	size_t pad = p->drawn > len ? p->drawn - len : 0;

	if (1 + len + pad > sizeof(line))
		return;
	line[0] = '\r';
	memcpy(line + 1, text, len);
	memset(line + 1 + len, ' ', pad);
	if (write(p->fd, line, 1 + len + pad) < 0)
		return;
	p->drawn = len + pad;
}

void progress_update(struct progress *p, uint64_t lines, uint64_t bytes)
{
	char text[128];

	p->next_lines = lines + PROGRESS_CHECK_LINES;
	p->next_bytes = bytes + PROGRESS_CHECK_BYTES;
	int64_t now = now_ns();
	if (now - p->last_draw_ns < 1000000000 / PROGRESS_HZ)
		return;
	p->last_draw_ns = now;
	size_t len = progress_format(text, sizeof(text), lines, bytes, p->total,
				     (double)(now - p->start_ns) / 1e9);
	draw(p, text, len);
}

void progress_clear(struct progress *p)
{
	char line[160];

	if (!p->drawn || p->drawn + 2 > sizeof(line))
		return;
	line[0] = '\r';
	memset(line + 1, ' ', p->drawn);
	line[p->drawn + 1] = '\r';
	if (write(p->fd, line, p->drawn + 2) < 0)
		return;
	p->drawn = 0;
}
