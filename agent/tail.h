/* tail: follow the audit log files of every input with inotify, the way kube-apiserver
 * writes and rotates them (lumberjack: rename to audit-TIMESTAMP.log, create a new
 * audit.log, maybe gzip and delete the backup). A renamed or deleted file is read through its
 * open descriptor to its end before it is let go, with no timer; copytruncate starts the file
 * over; an inotify queue overflow rescans. Offsets only count complete lines. */
#ifndef KAA_TAIL_H
#define KAA_TAIL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "linereader.h"
#include "state.h"

struct tail_input;

struct tail_file {
	struct tail_input *in;
	char *path;          /* its name when last seen */
	int fd;
	void *gz;            /* gzFile when finishing a compressed backup */
	struct file_id id;
	uint64_t offset;     /* end of the last complete line handed out */
	struct linereader lr;
	bool rotated;        /* renamed away or deleted: read to the end, then close */
	uint32_t cookie;     /* inotify cookie of its rename, to learn the new name */
	struct tail_file *next;
};

struct tail_stats {
	uint64_t files_opened;
	uint64_t rotations;
	uint64_t truncations;
	uint64_t overflows;
	uint64_t lines_too_long;
};

#define TAIL_MAX_MOVES 64

struct tail {
	int ifd; /* inotify */
	struct done_list done; /* files read to their end: never read again */
	int64_t horizon;       /* wall-clock seconds up to which every rotation was seen */
	bool overflowed;       /* events were lost: look for rotated files since horizon */
	uint32_t moves[TAIL_MAX_MOVES]; /* cookies of renames away from a followed name */
	size_t nmoves;
	struct tail_input *inputs;
	size_t ninputs;
	size_t max_line;
	bool rescan; /* the inotify queue overflowed, or a directory is missing */
	struct tail_stats st;
};

/* Per line: the file, the line. Return 0 to go on, 1 to stop after this line (the caller
 * wants to act first: a signal, a full queue), or a negative errno to stop. */
typedef int (*tail_line_fn)(void *arg, struct tail_file *f, const struct line *ln);

/* Set up inotify and every input; resume from the checkpoints in st (files rotated while the
 * agent was down are found by identity and finished first, from their .gz copy if that is
 * all that is left); other files start at the end or the beginning as configured, or at the
 * beginning when st says the agent ran before. Returns 0 or -errno (err says why). */
int tail_open(struct tail *t, const struct config *cfg, const struct state *st, char *err,
	      size_t errsz);
void tail_close(struct tail *t);
/* Handle what inotify reported. Returns 0 or -errno. */
int tail_handle_events(struct tail *t);
/* Retry what waits: missing directories, unreadable files, a rescan after an overflow. */
void tail_retry(struct tail *t);
/* Read new lines from every file, oldest file first, up to about budget bytes. Returns 1
 * when more is waiting (budget used up), 0 when everything was read, 2 when fn asked to
 * stop, or a negative errno. */
int tail_read(struct tail *t, size_t budget, tail_line_fn fn, void *arg);
/* Checkpoints for every file followed now, the finished files and the horizon. Returns 0 or
 * -ENOMEM. */
int tail_checkpoint(struct tail *t, struct state *st);
/* Bytes written to the files and not read yet, summed per input; calls fn per file. */
void tail_lag(struct tail *t, void (*fn)(void *arg, const char *path, uint64_t lag), void *arg);

/* One input's counters and state, for the metrics and readiness. */
struct tail_input_stats {
	const char *path;	/* the input's path as configured (a glob stays a glob) */
	uint64_t lines;		/* complete lines read from its files (skipped ones too) */
	uint64_t bytes;		/* their bytes, newlines included */
	uint64_t lag;		/* bytes written to its open files and not read yet (a .gz
				 * backup being finished counts 0) */
	const char *dir;	/* its directory */
	bool watched;		/* the directory is watched (it exists) */
	const char *unreadable; /* a file of it that cannot be opened (retried), or NULL */
	int unreadable_errno;
};

/* The counters and state of input i (< t->ninputs). */
void tail_input_stats(struct tail *t, size_t i, struct tail_input_stats *st);

#endif
