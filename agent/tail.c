#include "tail.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "log.h"

#define TAIL_DIR_EVENTS                                                                     \
	(IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_MODIFY | IN_ATTRIB |      \
	 IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)
#define TAIL_MAX_FILES 256 /* per input: a glob matching more is refused past this */

struct pending_open {
	char *path;
	int last_errno;
	bool at_end; /* found at the very first start: start_at applies when it opens */
};

struct tail_input {
	const struct input_config *cfg;
	char *dir;
	char *pattern; /* the file-name part: a name or a glob */
	int wd;        /* -1 while the directory is missing */
	bool first_start; /* no state yet: start_at applies to files found at start */
	struct tail_file *files; /* in reading order: rotated (older) first */
	size_t nfiles;
	struct pending_open *unreadable;
	size_t nunreadable;
	uint64_t lines, bytes; /* complete lines handed out, and their bytes */
};

static void file_free(struct tail_file *f)
{
	if (f->gz)
		gzclose(f->gz); /* closes fd too */
	else if (f->fd >= 0)
		close(f->fd);
	linereader_free(&f->lr);
	free(f->path);
	free(f);
}

static void unlink_file(struct tail_input *in, struct tail_file *f)
{
	for (struct tail_file **pp = &in->files; *pp; pp = &(*pp)->next) {
		if (*pp == f) {
			*pp = f->next;
			in->nfiles--;
			return;
		}
	}
}

/* Insert: rotated files before the live ones, each group in arrival order. */
static void insert_file(struct tail_input *in, struct tail_file *f)
{
	struct tail_file **pp = &in->files;
	while (*pp && (!f->rotated || (*pp)->rotated))
		pp = &(*pp)->next;
	f->next = *pp;
	*pp = f;
	in->nfiles++;
}

/* The file's name now points elsewhere: read it to its end, after the rotated files before
 * it and before the live ones. */
static void mark_rotated(struct tail *t, struct tail_input *in, struct tail_file *f)
{
	if (f->rotated)
		return;
	unlink_file(in, f);
	f->rotated = true;
	insert_file(in, f);
	t->st.rotations++;
}

static struct tail_file *find_by_id(struct tail *t, dev_t dev, ino_t ino)
{
	for (size_t i = 0; i < t->ninputs; i++)
		for (struct tail_file *f = t->inputs[i].files; f; f = f->next)
			if (!f->gz && f->id.dev == (uint64_t)dev && f->id.ino == (uint64_t)ino)
				return f;
	return NULL;
}

/* Identity of an open file: device, inode and a hash of its first bytes. */
static int file_identity(int fd, struct file_id *id)
{
	struct stat sb;
	unsigned char buf[STATE_FP_MAX];
	if (fstat(fd, &sb))
		return -errno;
	id->dev = sb.st_dev;
	id->ino = sb.st_ino;
	ssize_t n = pread(fd, buf, sizeof(buf), 0);
	if (n < 0)
		return -errno;
	id->fp_len = (uint32_t)n;
	id->fp = state_fp_hash(buf, (size_t)n);
	return 0;
}

/* Does the open file start with the bytes the checkpoint saw? */
static bool fp_matches(int fd, const struct file_id *id)
{
	unsigned char buf[STATE_FP_MAX];
	ssize_t n = pread(fd, buf, id->fp_len, 0);
	return n == (ssize_t)id->fp_len && state_fp_hash(buf, id->fp_len) == id->fp;
}

/* Does a followed file start with the bytes this one starts with (buf, its first n bytes)?
 * Then they are the same file twice: a backup and its .gz copy. */
static bool followed_content(const struct tail *t, const unsigned char *buf, size_t n)
{
	for (size_t i = 0; i < t->ninputs; i++)
		for (const struct tail_file *f = t->inputs[i].files; f; f = f->next)
			if (f->id.fp_len > 0 && f->id.fp_len <= n &&
			    state_fp_hash(buf, f->id.fp_len) == f->id.fp)
				return true;
	return false;
}

/* followed_content for an open plain file. */
static bool followed_fd(const struct tail *t, int fd)
{
	unsigned char buf[STATE_FP_MAX];
	ssize_t n = pread(fd, buf, sizeof(buf), 0);
	return n > 0 && followed_content(t, buf, (size_t)n);
}

/* Was this file read to its end already? Compares each finished file's fingerprint over
 * its own length (the file may have had fewer bytes when it was fingerprinted). */
static bool is_done(const struct tail *t, int fd, const struct file_id *id)
{
	for (size_t i = 0; i < t->done.n; i++) {
		const struct file_id *d = &t->done.v[i].id;
		bool same_inode = d->dev == id->dev && d->ino == id->ino;
		if (d->fp_len < STATE_FP_MAX && !same_inode)
			continue;
		if (d->fp_len == id->fp_len ? d->fp == id->fp : fp_matches(fd, d))
			return true;
	}
	return false;
}

static void forget_unreadable(struct tail_input *in, const char *path)
{
	for (size_t i = 0; i < in->nunreadable; i++) {
		if (!strcmp(in->unreadable[i].path, path)) {
			free(in->unreadable[i].path);
			in->unreadable[i] = in->unreadable[--in->nunreadable];
			return;
		}
	}
}

static void remember_unreadable(struct tail_input *in, const char *path, int e, bool at_end)
{
	for (size_t i = 0; i < in->nunreadable; i++) {
		if (!strcmp(in->unreadable[i].path, path)) {
			if (in->unreadable[i].last_errno != e)
				log_error("cannot read %s: %s; retrying", path, strerror(e));
			in->unreadable[i].last_errno = e;
			return;
		}
	}
	struct pending_open *np = realloc(in->unreadable, (in->nunreadable + 1) * sizeof(*np));
	char *copy = strdup(path);
	if (!np || !copy) {
		free(copy);
		if (np)
			in->unreadable = np;
		return;
	}
	in->unreadable = np;
	np[in->nunreadable].path = copy;
	np[in->nunreadable].last_errno = e;
	np[in->nunreadable].at_end = at_end;
	in->nunreadable++;
	log_error("cannot read %s: %s; retrying every second (check its permissions, or "
		  "CAP_DAC_READ_SEARCH)",
		  path, strerror(e));
}

/* Position of the first byte after the last newline before size (start of the line being
 * written), looking back at most max_line bytes. */
static uint64_t line_start_before(int fd, uint64_t size, size_t max_line)
{
	char buf[4096];
	uint64_t pos = size;
	while (pos > 0 && size - pos <= max_line) {
		size_t n = pos > sizeof(buf) ? sizeof(buf) : (size_t)pos;
		ssize_t r = pread(fd, buf, n, (off_t)(pos - n));
		if (r != (ssize_t)n)
			return size;
		for (size_t i = n; i > 0; i--)
			if (buf[i - 1] == '\n')
				return pos - n + i;
		pos -= n;
	}
	return pos == 0 ? 0 : size;
}

/* Open path and follow it from offset (or, with at_end, from the start of its last line).
 * Returns the new file, or NULL (unreadable files are remembered and retried). */
static struct tail_file *open_file(struct tail *t, struct tail_input *in, const char *path,
				   uint64_t offset, bool at_end, bool rotated)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		if (errno != ENOENT)
			remember_unreadable(in, path, errno, at_end);
		return NULL;
	}
	forget_unreadable(in, path);
	struct stat sb;
	struct tail_file *f = calloc(1, sizeof(*f));
	if (!f || fstat(fd, &sb) || !S_ISREG(sb.st_mode)) {
		if (f && !S_ISREG(sb.st_mode))
			log_warn("%s is not a regular file; not followed", path);
		free(f);
		close(fd);
		return NULL;
	}
	if (in->nfiles >= TAIL_MAX_FILES) {
		log_error("input %s matches more than %d files; %s is not followed",
			  in->cfg->path, TAIL_MAX_FILES, path);
		free(f);
		close(fd);
		return NULL;
	}
	f->in = in;
	f->fd = fd;
	f->path = strdup(path);
	f->rotated = rotated;
	if (!f->path || file_identity(fd, &f->id) || is_done(t, fd, &f->id) ||
	    (rotated && followed_fd(t, fd))) {
		free(f->path);
		free(f);
		close(fd);
		return NULL;
	}
	if (at_end)
		offset = line_start_before(fd, (uint64_t)sb.st_size, t->max_line);
	if (offset > (uint64_t)sb.st_size) {
		log_warn("%s is shorter (%lld bytes) than its checkpoint (%llu): it was truncated; "
			 "reading it from the start",
			 path, (long long)sb.st_size, (unsigned long long)offset);
		offset = 0;
	}
	if (lseek(fd, (off_t)offset, SEEK_SET) < 0 ||
	    linereader_init_follow(&f->lr, fd, t->max_line, offset)) {
		file_free(f);
		return NULL;
	}
	f->offset = offset;
	insert_file(in, f);
	t->st.files_opened++;
	log_info("following %s from byte %llu%s", path, (unsigned long long)offset,
		 rotated ? " (rotated: reading it to its end)" : "");
	return f;
}

static long gz_read(void *ctx, void *buf, size_t n)
{
	int r = gzread((gzFile)ctx, buf, (unsigned)(n > (1u << 30) ? (1u << 30) : n));
	return r < 0 ? -EIO : r;
}

static bool literal_pattern(const char *p)
{
	return strpbrk(p, "*?[") == NULL;
}

/* Finish a compressed backup from offset. With expect, its first bytes must match that
 * identity (a checkpointed file, compressed while the agent was down); without, it is a
 * backup never read, unless it is a finished file. Returns whether it is now followed. */
static bool open_gz(struct tail *t, struct tail_input *in, const char *path,
		    const struct file_id *expect, uint64_t offset)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	gzFile gz = gzdopen(fd, "rb");
	if (!gz) {
		close(fd);
		return false;
	}
	unsigned char buf[STATE_FP_MAX];
	struct file_id id = {0};
	int n = gzread(gz, buf, expect ? expect->fp_len : STATE_FP_MAX);
	bool ok = n >= 0;
	if (ok && expect) {
		ok = n == (int)expect->fp_len && state_fp_hash(buf, (size_t)n) == expect->fp;
		id = *expect;
	} else if (ok) {
		id.fp_len = (uint32_t)n;
		id.fp = state_fp_hash(buf, (size_t)n);
		/* a .gz has its own inode: only a whole fingerprint identifies it */
		ok = !(id.fp_len == STATE_FP_MAX && done_has(&t->done, &id)) &&
		     !followed_content(t, buf, (size_t)n);
	}
	if (!ok || gzseek(gz, (z_off_t)offset, SEEK_SET) != (z_off_t)offset) {
		gzclose(gz);
		return false;
	}
	struct tail_file *f = calloc(1, sizeof(*f));
	if (!f || !(f->path = strdup(path)) || linereader_init(&f->lr, -1, t->max_line)) {
		if (f)
			free(f->path);
		free(f);
		gzclose(gz);
		return false;
	}
	f->in = in;
	f->fd = -1;
	f->gz = gz;
	f->id = id;
	f->offset = offset;
	f->rotated = true;
	f->lr.read_fn = gz_read;
	f->lr.read_ctx = gz;
	f->lr.consumed = offset;
	insert_file(in, f);
	log_info("reading the compressed backup %s from byte %llu", path,
		 (unsigned long long)offset);
	return true;
}

/* Is name a rotated copy of the input's files? For a glob, anything it matches (plain or
 * .gz); for a name like audit.log: audit-*.log (lumberjack), audit.log.* (logrotate), and
 * their .gz. */
static bool rotation_name(const struct tail_input *in, const char *name)
{
	char pat[NAME_MAX * 2 + 8];
	if (!literal_pattern(in->pattern)) {
		snprintf(pat, sizeof(pat), "%s.gz", in->pattern);
		return fnmatch(in->pattern, name, 0) == 0 || fnmatch(pat, name, 0) == 0;
	}
	if (!strcmp(name, in->pattern))
		return false;
	size_t pl = strlen(in->pattern);
	if (!strncmp(name, in->pattern, pl) && name[pl] == '.')
		return true;
	const char *dot = strrchr(in->pattern, '.');
	size_t stem = dot ? (size_t)(dot - in->pattern) : pl;
	const char *ext = dot ? dot : "";
	snprintf(pat, sizeof(pat), "%.*s-*%s", (int)stem, in->pattern, ext);
	if (fnmatch(pat, name, FNM_PATHNAME) == 0)
		return true;
	snprintf(pat, sizeof(pat), "%.*s-*%s.gz", (int)stem, in->pattern, ext);
	return fnmatch(pat, name, FNM_PATHNAME) == 0;
}

struct candidate {
	char *path;
	time_t mtime;
	long nsec;
};

static int cmp_candidate(const void *a, const void *b)
{
	const struct candidate *x = a, *y = b;
	if (x->mtime != y->mtime)
		return x->mtime < y->mtime ? -1 : 1;
	if (x->nsec != y->nsec)
		return x->nsec < y->nsec ? -1 : 1;
	return strcmp(x->path, y->path);
}

/* Rotated copies written since `since` (wall-clock seconds) that were never read: the agent
 * was down, or inotify lost events. Read each from its start, oldest first, before the live
 * files. */
static void discover_rotated(struct tail *t, struct tail_input *in, int64_t since)
{
	struct candidate cand[TAIL_MAX_FILES];
	size_t n = 0;
	DIR *d = opendir(in->dir);
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d)) && n < TAIL_MAX_FILES) {
		char p[PATH_MAX];
		struct stat sb;
		if (de->d_name[0] == '.' || !rotation_name(in, de->d_name))
			continue;
		snprintf(p, sizeof(p), "%s/%s", in->dir, de->d_name);
		if (stat(p, &sb) || !S_ISREG(sb.st_mode) || sb.st_mtime < since ||
		    find_by_id(t, sb.st_dev, sb.st_ino))
			continue;
		cand[n].path = strdup(p);
		cand[n].mtime = sb.st_mtime;
		cand[n].nsec = sb.st_mtim.tv_nsec;
		if (cand[n].path)
			n++;
	}
	closedir(d);
	qsort(cand, n, sizeof(*cand), cmp_candidate);
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(cand[i].path);
		bool gz = l > 3 && !strcmp(cand[i].path + l - 3, ".gz");
		bool opened = gz ? open_gz(t, in, cand[i].path, NULL, 0)
				 : open_file(t, in, cand[i].path, 0, false, true) != NULL;
		if (opened) {
			t->st.rotations++;
			log_warn("%s was rotated out of sight (agent down, or inotify events lost); "
				 "reading it from its start",
				 cand[i].path);
		}
		free(cand[i].path);
	}
}

/* Resume one checkpoint: the file under its name, else renamed in the same directory,
 * else its .gz copy. */
static void resume(struct tail *t, struct tail_input *in, const struct ckpt *c)
{
	struct stat sb;
	const char *name = strrchr(c->path, '/');
	name = name ? name + 1 : c->path;
	bool live = fnmatch(in->pattern, name, 0) == 0;

	if (stat(c->path, &sb) == 0 && (uint64_t)sb.st_dev == c->id.dev &&
	    (uint64_t)sb.st_ino == c->id.ino) {
		int fd = open(c->path, O_RDONLY | O_CLOEXEC);
		bool same = fd >= 0 && fp_matches(fd, &c->id);
		if (fd >= 0)
			close(fd);
		if (same) {
			open_file(t, in, c->path, c->offset, false, !live);
			return;
		}
	}
	/* renamed while the agent was down: look for it among its siblings */
	DIR *d = opendir(in->dir);
	char *gz_candidates[64];
	size_t ngz = 0;
	bool found = false;
	if (d) {
		struct dirent *de;
		while (!found && (de = readdir(d))) {
			char p[PATH_MAX];
			if (de->d_name[0] == '.')
				continue;
			snprintf(p, sizeof(p), "%s/%s", in->dir, de->d_name);
			if (stat(p, &sb) || !S_ISREG(sb.st_mode))
				continue;
			size_t nl = strlen(de->d_name);
			if (nl > 3 && !strcmp(de->d_name + nl - 3, ".gz")) {
				if (ngz < sizeof(gz_candidates) / sizeof(*gz_candidates))
					gz_candidates[ngz++] = strdup(p);
				continue;
			}
			if ((uint64_t)sb.st_dev != c->id.dev || (uint64_t)sb.st_ino != c->id.ino)
				continue;
			int fd = open(p, O_RDONLY | O_CLOEXEC);
			bool same = fd >= 0 && fp_matches(fd, &c->id);
			if (fd >= 0)
				close(fd);
			if (same) {
				log_info("%s was rotated to %s while the agent was down", c->path, p);
				t->st.rotations++;
				open_file(t, in, p, c->offset, false,
					  fnmatch(in->pattern, de->d_name, 0) != 0);
				found = true;
			}
		}
		closedir(d);
	}
	for (size_t i = 0; i < ngz; i++) {
		if (!found && gz_candidates[i] && open_gz(t, in, gz_candidates[i], &c->id, c->offset)) {
			log_info("%s was compressed to %s while the agent was down", c->path,
				 gz_candidates[i]);
			found = true;
		}
		free(gz_candidates[i]);
	}
	if (!found)
		log_warn("lost %s (rotated and removed while the agent was down): lines after byte "
			 "%llu of it were not read",
			 c->path, (unsigned long long)c->offset);
}

/* Find the files of an input now: follow new ones, notice ones that moved away. */
static void scan_input(struct tail *t, struct tail_input *in, bool first)
{
	char pat[PATH_MAX];
	glob_t g;

	if (in->wd < 0) {
		in->wd = inotify_add_watch(t->ifd, in->dir, TAIL_DIR_EVENTS);
		if (in->wd < 0) {
			if (errno != ENOENT && errno != ENOTDIR)
				log_error("cannot watch %s: %s", in->dir, strerror(errno));
			t->rescan = true;
			return;
		}
		log_info("watching %s for %s", in->dir, in->pattern);
	}
	/* files whose name now points elsewhere were rotated or deleted (mark_rotated moves a
	 * file towards the head, behind this walk) */
	for (struct tail_file *f = in->files, *next; f; f = next) {
		struct stat sb;
		next = f->next;
		if (f->rotated || f->gz)
			continue;
		if (stat(f->path, &sb) || (uint64_t)sb.st_ino != f->id.ino ||
		    (uint64_t)sb.st_dev != f->id.dev)
			mark_rotated(t, in, f);
	}
	snprintf(pat, sizeof(pat), "%s/%s", in->dir, in->pattern);
	if (glob(pat, 0, NULL, &g) != 0)
		return;
	for (size_t i = 0; i < g.gl_pathc; i++) {
		struct stat sb;
		if (stat(g.gl_pathv[i], &sb) || !S_ISREG(sb.st_mode))
			continue;
		struct tail_file *f = find_by_id(t, sb.st_dev, sb.st_ino);
		if (f) {
			if (strcmp(f->path, g.gl_pathv[i])) {
				char *np = strdup(g.gl_pathv[i]);
				if (np) {
					free(f->path);
					f->path = np;
				}
			}
			continue;
		}
		bool at_end = first && in->first_start && in->cfg->start_at == START_END;
		open_file(t, in, g.gl_pathv[i], 0, at_end, false);
	}
	globfree(&g);
}

int tail_open(struct tail *t, const struct config *cfg, const struct state *st, char *err,
	      size_t errsz)
{
	memset(t, 0, sizeof(*t));
	t->max_line = cfg->max_line_bytes;
	t->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (t->ifd < 0) {
		int e = errno;
		snprintf(err, errsz, "inotify: %s", strerror(e));
		return -e;
	}
	t->inputs = calloc(cfg->ninputs, sizeof(*t->inputs));
	if (!t->inputs) {
		tail_close(t);
		return -ENOMEM;
	}
	for (size_t i = 0; i < cfg->ninputs; i++) {
		struct tail_input *in = &t->inputs[t->ninputs++];
		const char *slash = strrchr(cfg->inputs[i].path, '/');
		in->cfg = &cfg->inputs[i];
		in->wd = -1;
		in->first_start = !st->initialized;
		in->dir = strndup(cfg->inputs[i].path,
				  slash == cfg->inputs[i].path ? 1
							       : (size_t)(slash - cfg->inputs[i].path));
		in->pattern = strdup(slash + 1);
		if (!in->dir || !in->pattern) {
			tail_close(t);
			return -ENOMEM;
		}
		if (!literal_pattern(in->dir)) {
			snprintf(err, errsz, "input %s: a glob is allowed in the file name only",
				 cfg->inputs[i].path);
			tail_close(t);
			return -EINVAL;
		}
	}
	for (size_t i = 0; i < st->done.n; i++)
		if (done_add(&t->done, &st->done.v[i].id, st->done.v[i].size)) {
			tail_close(t);
			return -ENOMEM;
		}
	t->horizon = st->horizon;
	for (size_t i = 0; i < st->nfiles; i++) {
		const struct ckpt *c = &st->files[i];
		struct tail_input *in = NULL;
		for (size_t k = 0; k < t->ninputs && !in; k++)
			if (!strcmp(t->inputs[k].cfg->path, c->input))
				in = &t->inputs[k];
		if (!in) {
			log_warn("checkpoint for %s belongs to input %s, which is no longer "
				 "configured; ignored",
				 c->path, c->input);
			continue;
		}
		resume(t, in, c);
	}
	for (size_t i = 0; i < t->ninputs; i++) {
		scan_input(t, &t->inputs[i], true);
		/* backups rotated while the agent was down that it never opened */
		if (st->initialized && st->horizon > 0)
			discover_rotated(t, &t->inputs[i], st->horizon - 2);
		if (t->inputs[i].wd < 0)
			log_warn("%s does not exist yet; waiting for it", t->inputs[i].dir);
	}
	t->horizon = time(NULL);
	return 0;
}

void tail_close(struct tail *t)
{
	for (size_t i = 0; i < t->ninputs; i++) {
		struct tail_input *in = &t->inputs[i];
		while (in->files) {
			struct tail_file *f = in->files;
			in->files = f->next;
			file_free(f);
		}
		for (size_t k = 0; k < in->nunreadable; k++)
			free(in->unreadable[k].path);
		free(in->unreadable);
		free(in->dir);
		free(in->pattern);
	}
	free(t->inputs);
	done_clear(&t->done);
	if (t->ifd >= 0)
		close(t->ifd);
	memset(t, 0, sizeof(*t));
	t->ifd = -1;
}

static void dir_gone(struct tail *t, struct tail_input *in)
{
	if (in->wd >= 0)
		inotify_rm_watch(t->ifd, in->wd);
	in->wd = -1;
	for (struct tail_file *f = in->files, *next; f; f = next) {
		next = f->next;
		mark_rotated(t, in, f);
	}
	t->rescan = true;
	log_warn("%s went away; its open files are read to their end, and the directory is "
		 "watched for again",
		 in->dir);
}

/* A live file was rotated to path before the agent opened it: read it from its start (or
 * its .gz copy, when the backup is already compressed and gone). */
static void missed_rotation(struct tail *t, struct tail_input *in, const char *path)
{
	char gz[PATH_MAX + 4];
	struct stat sb;
	if (stat(path, &sb) == 0) {
		if (!S_ISREG(sb.st_mode) || find_by_id(t, sb.st_dev, sb.st_ino))
			return;
		if (open_file(t, in, path, 0, false, true)) {
			t->st.rotations++;
			log_warn("%s was rotated before the agent opened it; reading it from its "
				 "start",
				 path);
		}
		return;
	}
	snprintf(gz, sizeof(gz), "%s.gz", path);
	if (open_gz(t, in, gz, NULL, 0)) {
		t->st.rotations++;
		log_warn("%s was rotated and compressed before the agent opened it; reading %s",
			 path, gz);
	}
}

static void name_event(struct tail *t, struct tail_input *in, const struct inotify_event *ev)
{
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/%s", in->dir, ev->name);

	if ((ev->mask & IN_MOVED_FROM) && fnmatch(in->pattern, ev->name, 0) == 0) {
		/* a live file renamed away: if it is one the agent never opened (it fell more
		 * than one rotation behind), the rename's other half says where it went */
		if (t->nmoves == TAIL_MAX_MOVES) {
			memmove(t->moves, t->moves + 1, (TAIL_MAX_MOVES - 1) * sizeof(*t->moves));
			t->nmoves--;
		}
		t->moves[t->nmoves++] = ev->cookie;
	}
	if (ev->mask & (IN_MOVED_FROM | IN_DELETE)) {
		for (struct tail_file *f = in->files, *next; f; f = next) {
			struct stat sb;
			next = f->next;
			if (f->rotated || f->gz || strcmp(f->path, p))
				continue;
			if (stat(p, &sb) == 0 && (uint64_t)sb.st_ino == f->id.ino &&
			    (uint64_t)sb.st_dev == f->id.dev)
				continue; /* an old event: the name still points at it */
			mark_rotated(t, in, f);
			f->cookie = ev->mask & IN_MOVED_FROM ? ev->cookie : 0;
			if (ev->mask & IN_DELETE)
				log_info("%s was deleted; reading it to its end", p);
		}
	}
	if (ev->mask & IN_MOVED_TO) {
		bool known = false;
		for (struct tail_file *f = in->files; f; f = f->next) {
			if (!f->cookie || f->cookie != ev->cookie)
				continue;
			log_info("%s was renamed to %s; reading it to its end", f->path, p);
			char *np = strdup(p);
			if (np) {
				free(f->path);
				f->path = np;
			}
			f->cookie = 0;
			known = true;
		}
		for (size_t i = 0; !known && i < t->nmoves; i++) {
			if (t->moves[i] != ev->cookie)
				continue;
			missed_rotation(t, in, p);
			break;
		}
	}
	if (ev->mask & (IN_CREATE | IN_MOVED_TO | IN_ATTRIB)) {
		struct stat sb;
		if (fnmatch(in->pattern, ev->name, 0) != 0)
			return;
		if (stat(p, &sb) || !S_ISREG(sb.st_mode) || find_by_id(t, sb.st_dev, sb.st_ino))
			return;
		open_file(t, in, p, 0, false, false);
	}
}

int tail_handle_events(struct tail *t)
{
	char buf[64 * 1024] __attribute__((aligned(__alignof__(struct inotify_event))));
	for (;;) {
		ssize_t n = read(t->ifd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0)
			return n < 0 ? -errno : 0;
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;
			p += sizeof(*ev) + ev->len;
			if (ev->mask & IN_Q_OVERFLOW) {
				t->st.overflows++;
				t->rescan = true;
				t->overflowed = true;
				log_warn("inotify queue overflowed; rescanning every input (nothing "
					 "is lost: open files are read through their descriptors)");
				continue;
			}
			for (size_t i = 0; i < t->ninputs; i++) {
				struct tail_input *in = &t->inputs[i];
				if (in->wd != ev->wd)
					continue;
				if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED))
					dir_gone(t, in);
				else if (ev->len)
					name_event(t, in, ev);
			}
		}
	}
	if (t->rescan)
		tail_retry(t);
	if (!t->overflowed)
		t->horizon = time(NULL);
	return 0;
}

void tail_retry(struct tail *t)
{
	bool overflowed = t->overflowed;
	t->rescan = false;
	t->overflowed = false;
	for (size_t i = 0; i < t->ninputs; i++) {
		struct tail_input *in = &t->inputs[i];
		for (size_t k = 0; k < in->nunreadable;) {
			size_t before = in->nunreadable;
			char *p = strdup(in->unreadable[k].path);
			if (p) {
				struct stat sb;
				if (stat(p, &sb) == 0 && !find_by_id(t, sb.st_dev, sb.st_ino))
					open_file(t, in, p, 0, in->unreadable[k].at_end, false);
				else if (stat(p, &sb) != 0)
					forget_unreadable(in, p);
				free(p);
			}
			if (in->nunreadable == before)
				k++;
		}
		scan_input(t, in, false);
		if (overflowed && in->wd >= 0)
			discover_rotated(t, in, t->horizon - 2);
		if (in->nunreadable)
			t->rescan = true;
	}
	if (overflowed)
		t->horizon = time(NULL);
}

/* Truncated in place (copytruncate): start over. */
static void check_truncation(struct tail *t, struct tail_file *f)
{
	struct stat sb;
	if (f->gz || fstat(f->fd, &sb))
		return;
	/* smaller than what was read, or rewritten from the start (it grew back past the old
	 * position before the agent looked): the first bytes tell */
	bool shrunk = (uint64_t)sb.st_size < linereader_read_offset(&f->lr);
	if (!shrunk && (f->id.fp_len == 0 || fp_matches(f->fd, &f->id)))
		return;
	log_warn("%s was truncated (now %lld bytes, read up to %llu): reading it from the start",
		 f->path, (long long)sb.st_size,
		 (unsigned long long)linereader_read_offset(&f->lr));
	t->st.truncations++;
	lseek(f->fd, 0, SEEK_SET);
	linereader_reset(&f->lr, 0);
	f->offset = 0;
	file_identity(f->fd, &f->id);
}

static void refresh_fp(struct tail_file *f);

int tail_read(struct tail *t, size_t budget, tail_line_fn fn, void *arg)
{
	size_t used = 0;
	for (size_t i = 0; i < t->ninputs; i++) {
		struct tail_input *in = &t->inputs[i];
		struct tail_file *f = in->files;
		while (f) {
			struct tail_file *next = f->next;
			struct line ln;
			int rc = 0;
			if (!f->rotated)
				check_truncation(t, f);
			while (used < budget && (rc = linereader_next(&f->lr, &ln)) == 1) {
				f->offset = ln.next;
				used += ln.len + 1;
				in->lines++;
				in->bytes += ln.next - ln.offset;
				if (ln.too_long) {
					t->st.lines_too_long++;
					log_warn("%s: line at byte %llu is %zu bytes, longer than "
						 "max_line_bytes (%zu); skipped",
						 f->path, (unsigned long long)ln.offset, ln.len,
						 t->max_line);
				}
				int r = fn(arg, f, &ln);
				if (r < 0)
					return r;
				if (r == 1)
					return 2;
			}
			if (rc < 0) {
				log_error("%s: read error: %s", f->path, strerror(-rc));
				return rc;
			}
			if (used >= budget)
				return 1;
			if (f->rotated) {
				if (f->lr.follow) {
					/* the writer is done with it: a last line without a newline
					 * is still a line */
					linereader_set_final(&f->lr);
					continue;
				}
				log_info("finished %s at byte %llu", f->path,
					 (unsigned long long)f->offset);
				refresh_fp(f);
				done_add(&t->done, &f->id, f->offset);
				unlink_file(in, f);
				file_free(f);
			}
			f = next;
		}
	}
	return 0;
}

static void refresh_fp(struct tail_file *f)
{
	if (f->gz || f->id.fp_len >= STATE_FP_MAX)
		return;
	struct file_id id;
	if (file_identity(f->fd, &id) == 0 && id.ino == f->id.ino && id.fp_len > f->id.fp_len)
		f->id = id;
}

int tail_checkpoint(struct tail *t, struct state *st)
{
	for (size_t i = 0; i < t->ninputs; i++) {
		for (struct tail_file *f = t->inputs[i].files; f; f = f->next) {
			refresh_fp(f);
			/* a line partly read is not done: the checkpoint is its start */
			int rc = state_add(st, f->path, t->inputs[i].cfg->path, &f->id, f->offset);
			if (rc)
				return rc;
		}
	}
	for (size_t i = 0; i < t->done.n; i++)
		if (done_add(&st->done, &t->done.v[i].id, t->done.v[i].size))
			return -ENOMEM;
	st->horizon = t->horizon;
	st->initialized = true;
	return 0;
}

void tail_lag(struct tail *t, void (*fn)(void *arg, const char *path, uint64_t lag), void *arg)
{
	for (size_t i = 0; i < t->ninputs; i++) {
		for (struct tail_file *f = t->inputs[i].files; f; f = f->next) {
			struct stat sb;
			uint64_t lag = 0;
			if (!f->gz && fstat(f->fd, &sb) == 0 && (uint64_t)sb.st_size > f->offset)
				lag = (uint64_t)sb.st_size - f->offset;
			fn(arg, f->path, lag);
		}
	}
}

void tail_input_stats(struct tail *t, size_t i, struct tail_input_stats *st)
{
	struct tail_input *in = &t->inputs[i];

	memset(st, 0, sizeof(*st));
	st->path = in->cfg->path;
	st->lines = in->lines;
	st->bytes = in->bytes;
	st->dir = in->dir;
	st->watched = in->wd >= 0;
	if (in->nunreadable) {
		st->unreadable = in->unreadable[0].path;
		st->unreadable_errno = in->unreadable[0].last_errno;
	}
	for (struct tail_file *f = in->files; f; f = f->next) {
		struct stat sb;
		if (!f->gz && fstat(f->fd, &sb) == 0 && (uint64_t)sb.st_size > f->offset)
			st->lag += (uint64_t)sb.st_size - f->offset;
	}
}
