/* spool: a durable queue of alert records for one network output, on disk in its own
 * directory: append-only segment files of records (length, CRC-32, bytes) and an "ack" file
 * naming the first record not yet delivered. A record is durable once spool_sync returns; it
 * leaves the spool only when spool_ack passes it. A torn last record (a crash mid-write) is
 * found at open, cut off and reported; everything before it is kept. */
#ifndef KAA_SPOOL_H
#define KAA_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define SPOOL_SEGMENT_BYTES (16u << 20)
#define SPOOL_MAX_RECORD (64u << 20)
#define SPOOL_MARK_MS 1000     /* a new append-time mark at most this often */
#define SPOOL_MAX_MARKS 4096   /* past this every other mark goes (ages stay upper bounds) */

struct spool_pos {
	uint64_t seg; /* segment number */
	uint64_t off; /* byte offset in it */
};

/* When records were appended: the record at pos and the ones after it, up to the next mark,
 * were appended in [t_ms, t_ms + SPOOL_MARK_MS) (CLOCK_MONOTONIC milliseconds). */
struct spool_mark {
	struct spool_pos pos;
	int64_t t_ms;
};

struct spool {
	char *dir;
	uint64_t max_bytes;
	int wfd;               /* the segment being appended to */
	struct spool_pos tail; /* where the next record goes */
	struct spool_pos ack;  /* first record not yet delivered */
	uint64_t first_seg;    /* oldest segment on disk */
	uint64_t bytes;        /* bytes of records not yet delivered (approximately, whole segments) */
	bool dirty;            /* appended since the last sync */
	uint64_t torn;         /* torn records cut off at open */
	struct spool_mark *marks; /* in memory only; the first covers the record at ack */
	size_t nmarks, capmarks;
};

struct spool_record {
	char *data; /* malloc'd, NUL-terminated */
	size_t len;
};

struct spool_batch {
	struct spool_record *recs;
	size_t n;
	size_t bytes;
	struct spool_pos end; /* position after the last record of the batch */
};

/* Open (creating) the spool in dir. Returns 0 or -errno with the reason in err. */
int spool_open(struct spool *s, const char *dir, uint64_t max_bytes, char *err, size_t errsz);
void spool_close(struct spool *s);
/* Append one record (not yet durable). Returns 0 or -errno. max_bytes is not enforced here:
 * the caller stops reading input while spool_full(), so the records of the line in hand are
 * never refused (the spool may pass max_bytes by that much). */
int spool_append(struct spool *s, const char *rec, size_t len);
/* Make every appended record durable. Returns 0 or -errno. */
int spool_sync(struct spool *s);
/* Read up to max_events / max_bytes of the oldest undelivered records. Returns 0 (b->n may be
 * 0 when the spool is empty) or -errno. Free with spool_batch_free. */
int spool_peek(struct spool *s, size_t max_events, size_t max_bytes, struct spool_batch *b);
void spool_batch_free(struct spool_batch *b);
/* Everything before pos is delivered: persist that, delete finished segments. */
int spool_ack(struct spool *s, struct spool_pos pos);
bool spool_empty(const struct spool *s);
/* When the oldest record not yet delivered was appended, in CLOCK_MONOTONIC milliseconds (to
 * within SPOOL_MARK_MS, never later than it was); 0 when the spool is empty. Records spooled
 * before spool_open count from the last write to their segment file (a lower bound of their
 * age). */
int64_t spool_oldest_ms(const struct spool *s);
bool spool_full(const struct spool *s);

#endif
