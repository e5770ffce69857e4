/* state: what the daemon must remember across restarts, in one file written atomically
 * (temp file, fsync, rename, fsync of the directory): for each followed file its identity
 * (device, inode, a hash of its first bytes) and the offset up to which every alert is
 * durably delivered; and the open dedup windows. */
#ifndef KAA_STATE_H
#define KAA_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>

#define STATE_FP_MAX 256 /* bytes of a file's start that identify it */

struct file_id {
	uint64_t dev, ino;
	uint32_t fp_len;
	uint64_t fp; /* hash of the first fp_len bytes */
};

struct ckpt {
	char *path;  /* the name it had when last seen */
	char *input; /* the input's path (pattern) it belongs to */
	struct file_id id;
	uint64_t offset;
};

/* A file read to its end and let go: never to be read again (a glob that also matches the
 * backups, a rescan, a restart). */
struct done_file {
	struct file_id id;
	uint64_t size;
};

#define STATE_MAX_DONE 256

/* The most recent STATE_MAX_DONE finished files. */
struct done_list {
	struct done_file *v;
	size_t n;
};

/* Remember a finished file (the oldest is forgotten past STATE_MAX_DONE). 0 or -ENOMEM. */
int done_add(struct done_list *l, const struct file_id *id, uint64_t size);
/* Was a file with this identity finished? Device and inode must agree too unless the whole
 * fingerprint (STATE_FP_MAX bytes) does: a .gz copy has its own inode. */
bool done_has(const struct done_list *l, const struct file_id *id);
void done_clear(struct done_list *l);

struct state {
	bool initialized; /* a state file existed: files not in it are new, read from 0 */
	int64_t horizon;  /* wall-clock seconds up to which every rotation was seen */
	struct ckpt *files;
	size_t nfiles;
	struct done_list done;
	cJSON *dedup; /* array, see dedup_save / dedup_restore */
};

#define STATE_FILE "state.json"
#define STATE_MAX_BYTES (64u << 20)

/* Read dir/state.json. A missing file gives an empty state. Returns 0, or -errno/-EINVAL
 * with a message in err (a corrupt state file is an error, never silently ignored). */
int state_load(const char *dir, struct state *st, char *err, size_t errsz);
/* Parse state from memory (the loader's core; also the fuzz target). */
int state_parse(const char *buf, size_t len, struct state *st, char *err, size_t errsz);
/* Write atomically. Returns 0 or -errno with a message in err. */
int state_save(const char *dir, const struct state *st, char *err, size_t errsz);
void state_clear(struct state *st);
/* Append a checkpoint (copies the strings). Returns 0 or -ENOMEM. */
int state_add(struct state *st, const char *path, const char *input, const struct file_id *id,
	      uint64_t offset);

/* Hash of buf[0..n) for file identity. */
uint64_t state_fp_hash(const void *buf, size_t n);

#endif
