/* output: where alert records go (this issue: stdout and files, JSON lines). Records are
 * queued in memory and written by output_flush, which makes them durable (fsync on files)
 * before the caller may advance its input checkpoints. A failed flush keeps what was not
 * written and is retried: nothing is dropped. */
#ifndef KAA_OUTPUT_H
#define KAA_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "https.h"
#include "sbuf.h"

struct output {
	const struct output_config *cfg;
	char *name; /* "stdout" or the file path, for messages */
	int fd;
	bool owns_fd;
	struct sbuf pending; /* records not yet written */
	size_t written;      /* bytes of pending already written (a short or failed write) */
	bool failing;        /* the last flush failed (logged once until it recovers) */
	int64_t failing_since_ms; /* monotonic ms of the first failed flush in a row */
	struct https_output *https; /* type https: records go to its spool */
	unsigned long long records, bytes;
	size_t unflushed;    /* records in pending, not yet durable */
	unsigned long long flushed, retried; /* records made durable; records of failed flushes */
};

/* One output's counters and state, for the metrics and readiness. */
struct output_stats {
	const char *name;	  /* its configured name (or TYPE-INDEX) */
	uint64_t ok;		  /* records written and fsync'd, or taken by the collector */
	uint64_t retry;		  /* records in attempts that failed and are tried again */
	uint64_t dead_letter;	  /* records moved to the dead-letter file */
	bool spooled;		  /* has a spool (https) */
	uint64_t spool_bytes;	  /* bytes of records in the spool, not yet delivered */
	int64_t spool_oldest_ms;  /* monotonic ms the oldest of them was spooled, 0: none */
	int64_t failing_since_ms; /* monotonic ms since which it fails, 0: it does not */
};

struct outputs {
	struct output *v;
	size_t n;
	CURLM *multi; /* the transfers of every https output */
};

/* Open every configured output (https outputs keep their spool under state_dir). Returns 0
 * or -errno with the reason in err. */
int outputs_open(struct outputs *o, const struct config *cfg, char *err, size_t errsz);
/* Is a spool at its max_bytes? Then reading input waits. */
bool outputs_full(const struct outputs *o);
/* Start due batches and handle finished transfers. Returns the ms until an output wants a
 * look, or -1. */
long outputs_pump(struct outputs *o);
/* Re-read token files (SIGHUP). */
void outputs_reload_tokens(struct outputs *o);
void outputs_close(struct outputs *o);
/* Queue one record (a complete JSON line without the newline) for every output.
 * Returns 0 or -ENOMEM (the queue is bounded: OUTPUT_MAX_PENDING). */
int outputs_queue(struct outputs *o, const char *rec, size_t len);
/* Bytes queued and not yet written, the largest over the outputs (written bytes wait only
 * for their fsync, which outputs_flush retries). */
size_t outputs_pending(const struct outputs *o);
/* Write and fsync everything queued. Returns 0 when every output is durable, else the first
 * -errno (each failure is logged once, and its recovery too). */
int outputs_flush(struct outputs *o);

/* The counters and state of output i (< o->n). */
void outputs_stats(const struct outputs *o, size_t i, struct output_stats *st);

#define OUTPUT_MAX_PENDING (64u << 20)

#endif
