#include "spool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "clock.h"
#include "log.h"

#define SPOOL_HDR 8

static void seg_path(const struct spool *s, uint64_t seg, char *buf, size_t n)
{
	snprintf(buf, n, "%s/seg-%016" PRIu64 ".log", s->dir, seg);
}

static void put_u32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

static uint32_t get_u32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int rc = fsync(fd) ? -errno : 0;
	close(fd);
	return rc;
}

static uint64_t file_size(const char *path)
{
	struct stat sb;
	return stat(path, &sb) == 0 ? (uint64_t)sb.st_size : 0;
}

/* Valid end of a segment: the offset after its last whole record with a good CRC. */
static uint64_t valid_end(int fd, uint64_t size)
{
	unsigned char hdr[SPOOL_HDR];
	uint64_t off = 0;
	char *buf = NULL;
	size_t cap = 0;
	while (off + SPOOL_HDR <= size) {
		if (pread(fd, hdr, SPOOL_HDR, (off_t)off) != SPOOL_HDR)
			break;
		uint32_t len = get_u32(hdr), crc = get_u32(hdr + 4);
		if (len > SPOOL_MAX_RECORD || off + SPOOL_HDR + len > size)
			break;
		if (len > cap) {
			char *nb = realloc(buf, len);
			if (!nb)
				break;
			buf = nb;
			cap = len;
		}
		if (pread(fd, buf, len, (off_t)(off + SPOOL_HDR)) != (ssize_t)len ||
		    (uint32_t)crc32(0, (const Bytef *)buf, len) != crc)
			break;
		off += SPOOL_HDR + len;
	}
	free(buf);
	return off;
}

static int read_ack(struct spool *s)
{
	char path[4096], line[64];
	snprintf(path, sizeof(path), "%s/ack", s->dir);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	FILE *f = fd < 0 ? NULL : fdopen(fd, "r");
	if (!f) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		return e == ENOENT ? 0 : -e;
	}
	unsigned long long seg, off;
	char *second;
	int ok = fgets(line, sizeof(line), f) && line[0] >= '0' && line[0] <= '9' &&
		 (second = strchr(line, ' ')) && second[1] >= '0' && second[1] <= '9' &&
		 sscanf(line, "%llu %llu", &seg, &off) == 2;
	fclose(f);
	if (!ok)
		return -EINVAL;
	s->ack.seg = seg;
	s->ack.off = off;
	return 0;
}

static int write_ack(struct spool *s)
{
	char path[4096], tmp[4096], line[64];
	snprintf(path, sizeof(path), "%s/ack", s->dir);
	snprintf(tmp, sizeof(tmp), "%s/ack.tmp", s->dir);
	int n = snprintf(line, sizeof(line), "%" PRIu64 " %" PRIu64 "\n", s->ack.seg, s->ack.off);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	int rc = write(fd, line, (size_t)n) == n ? 0 : -EIO;
	if (!rc && fsync(fd))
		rc = -errno;
	close(fd);
	if (!rc && rename(tmp, path))
		rc = -errno;
	if (rc)
		unlink(tmp);
	return rc ? rc : fsync_dir(s->dir);
}

static int open_tail(struct spool *s)
{
	char path[4096];
	seg_path(s, s->tail.seg, path, sizeof(path));
	s->wfd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (s->wfd < 0)
		return -errno;
	if (lseek(s->wfd, (off_t)s->tail.off, SEEK_SET) < 0)
		return -errno;
	return 0;
}

static int pos_cmp(struct spool_pos a, struct spool_pos b)
{
	if (a.seg != b.seg)
		return a.seg < b.seg ? -1 : 1;
	return a.off < b.off ? -1 : a.off > b.off;
}

/* Note that the record about to go at pos is appended at t_ms. Never fails: without memory
 * the record counts from the mark before it (its age is then overstated, never understated). */
static void add_mark(struct spool *s, struct spool_pos pos, int64_t t_ms)
{
	if (s->nmarks && t_ms - s->marks[s->nmarks - 1].t_ms < SPOOL_MARK_MS)
		return;
	if (s->nmarks == SPOOL_MAX_MARKS) {
		/* keep the first (the oldest record's) and every other one after it */
		size_t k = 1;
		for (size_t i = 2; i < s->nmarks; i += 2)
			s->marks[k++] = s->marks[i];
		s->nmarks = k;
	}
	if (s->nmarks == s->capmarks) {
		size_t cap = s->capmarks ? s->capmarks * 2 : 16;
		struct spool_mark *nm = realloc(s->marks, cap * sizeof(*nm));
		if (!nm)
			return;
		s->marks = nm;
		s->capmarks = cap;
	}
	s->marks[s->nmarks].pos = pos;
	s->marks[s->nmarks].t_ms = t_ms;
	s->nmarks++;
}

/* Bytes not yet delivered. */
static void recount(struct spool *s)
{
	char path[4096];
	struct stat sb;
	s->bytes = 0;
	for (uint64_t seg = s->ack.seg; seg <= s->tail.seg; seg++) {
		seg_path(s, seg, path, sizeof(path));
		if (stat(path, &sb))
			continue;
		uint64_t size = seg == s->tail.seg ? s->tail.off : (uint64_t)sb.st_size;
		uint64_t from = seg == s->ack.seg ? s->ack.off : 0;
		if (size > from)
			s->bytes += size - from;
	}
}

/* At open: the records left from before get the time of the last write to their segment. */
static void marks_from_disk(struct spool *s)
{
	char path[4096];
	struct stat sb;
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	int64_t mono = clock_mono_ms(), wall = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
	for (uint64_t seg = s->ack.seg; seg <= s->tail.seg; seg++) {
		seg_path(s, seg, path, sizeof(path));
		if (stat(path, &sb))
			continue;
		uint64_t size = seg == s->tail.seg ? s->tail.off : (uint64_t)sb.st_size;
		struct spool_pos from = {seg, seg == s->ack.seg ? s->ack.off : 0};
		if (size <= from.off)
			continue;
		int64_t mtime = (int64_t)sb.st_mtim.tv_sec * 1000 + sb.st_mtim.tv_nsec / 1000000;
		int64_t t = mono - (wall > mtime ? wall - mtime : 0);
		if (s->nmarks && t < s->marks[s->nmarks - 1].t_ms)
			t = s->marks[s->nmarks - 1].t_ms; /* marks never go back in time */
		add_mark(s, from, t); /* within SPOOL_MARK_MS of the one before: that one */
	}
}

int64_t spool_oldest_ms(const struct spool *s)
{
	if (spool_empty(s) || !s->nmarks)
		return 0;
	return s->marks[0].t_ms;
}

int spool_open(struct spool *s, const char *dir, uint64_t max_bytes, char *err, size_t errsz)
{
	memset(s, 0, sizeof(*s));
	s->wfd = -1;
	s->max_bytes = max_bytes;
	s->dir = strdup(dir);
	if (!s->dir)
		return -ENOMEM;
	if (mkdir(dir, 0700) && errno != EEXIST) {
		int e = errno;
		snprintf(err, errsz, "spool %s: %s", dir, strerror(e));
		return -e;
	}
	DIR *d = opendir(dir);
	if (!d) {
		int e = errno;
		snprintf(err, errsz, "spool %s: %s", dir, strerror(e));
		return -e;
	}
	uint64_t lo = UINT64_MAX, hi = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		unsigned long long n;
		char tail[8];
		if (sscanf(de->d_name, "seg-%16llu.%4s", &n, tail) == 2 && !strcmp(tail, "log")) {
			if (n < lo)
				lo = n;
			if (n > hi)
				hi = n;
		}
	}
	closedir(d);
	if (lo == UINT64_MAX)
		lo = hi = 1;
	s->first_seg = lo;
	s->tail.seg = hi;
	int rc = read_ack(s);
	if (rc) {
		snprintf(err, errsz, "spool %s: unreadable ack file (%s)", dir, strerror(-rc));
		return rc;
	}
	if (s->ack.seg < lo) {
		s->ack.seg = lo;
		s->ack.off = 0;
	}
	/* the last segment may end in a record torn by a crash: cut it off */
	char path[4096];
	seg_path(s, hi, path, sizeof(path));
	uint64_t size = file_size(path);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		int e = errno;
		snprintf(err, errsz, "spool %s: %s", path, strerror(e));
		return -e;
	}
	uint64_t end = valid_end(fd, size);
	if (end < size) {
		log_warn("spool %s: the last record (byte %" PRIu64 " of %" PRIu64 ") was torn by a "
			 "crash; cut off (its alert had not been checkpointed and is re-created from "
			 "the log)",
			 path, end, size);
		s->torn++;
		if (ftruncate(fd, (off_t)end) || fsync(fd)) {
			int e = errno;
			close(fd);
			snprintf(err, errsz, "spool %s: cannot cut the torn record: %s", path,
				 strerror(e));
			return -e;
		}
	}
	close(fd);
	s->tail.off = end;
	if (s->ack.seg > hi || (s->ack.seg == hi && s->ack.off > end)) {
		s->ack = s->tail; /* an ack past the data: nothing is pending */
	}
	recount(s);
	marks_from_disk(s);
	rc = open_tail(s);
	if (rc)
		snprintf(err, errsz, "spool %s: %s", dir, strerror(-rc));
	return rc;
}

void spool_close(struct spool *s)
{
	if (s->wfd >= 0)
		close(s->wfd);
	free(s->dir);
	free(s->marks);
	memset(s, 0, sizeof(*s));
	s->wfd = -1;
}

bool spool_empty(const struct spool *s)
{
	return s->ack.seg == s->tail.seg && s->ack.off == s->tail.off;
}

bool spool_full(const struct spool *s)
{
	return s->bytes >= s->max_bytes;
}

int spool_append(struct spool *s, const char *rec, size_t len)
{
	unsigned char hdr[SPOOL_HDR];
	if (len > SPOOL_MAX_RECORD)
		return -EMSGSIZE;
	if (s->tail.off > 0 && s->tail.off + SPOOL_HDR + len > SPOOL_SEGMENT_BYTES) {
		if (fsync(s->wfd))
			return -errno;
		close(s->wfd);
		s->tail.seg++;
		s->tail.off = 0;
		int rc = open_tail(s);
		if (rc)
			return rc;
		if ((rc = fsync_dir(s->dir)))
			return rc;
	}
	put_u32(hdr, (uint32_t)len);
	put_u32(hdr + 4, (uint32_t)crc32(0, (const Bytef *)rec, (uInt)len));
	struct iovec iov[2] = {{hdr, SPOOL_HDR}, {(void *)rec, len}};
	size_t total = SPOOL_HDR + len, done = 0;
	while (done < total) {
		ssize_t w = pwritev(s->wfd, iov, 2, (off_t)(s->tail.off + done));
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			int e = w < 0 ? errno : EIO;
			/* leave no half record behind */
			if (ftruncate(s->wfd, (off_t)s->tail.off))
				log_error("spool %s: cannot undo a partial write", s->dir);
			return -e;
		}
		done += (size_t)w;
		/* advance the iovecs past what was written */
		size_t w_left = (size_t)w;
		for (int i = 0; i < 2 && w_left; i++) {
			size_t k = w_left < iov[i].iov_len ? w_left : iov[i].iov_len;
			iov[i].iov_base = (char *)iov[i].iov_base + k;
			iov[i].iov_len -= k;
			w_left -= k;
		}
	}
	if (spool_empty(s))
		s->nmarks = 0;
	add_mark(s, s->tail, clock_mono_ms());
	s->tail.off += total;
	s->bytes += total;
	s->dirty = true;
	return 0;
}

int spool_sync(struct spool *s)
{
	if (!s->dirty)
		return 0;
	if (fsync(s->wfd))
		return -errno;
	s->dirty = false;
	return 0;
}

void spool_batch_free(struct spool_batch *b)
{
	for (size_t i = 0; i < b->n; i++)
		free(b->recs[i].data);
	free(b->recs);
	memset(b, 0, sizeof(*b));
}

int spool_peek(struct spool *s, size_t max_events, size_t max_bytes, struct spool_batch *b)
{
	char path[4096];
	struct spool_pos pos = s->ack;
	memset(b, 0, sizeof(*b));
	b->end = pos;
	b->recs = calloc(max_events ? max_events : 1, sizeof(*b->recs));
	if (!b->recs)
		return -ENOMEM;
	while (b->n < max_events && (pos.seg < s->tail.seg || pos.off < s->tail.off)) {
		seg_path(s, pos.seg, path, sizeof(path));
		int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		uint64_t end = pos.seg == s->tail.seg ? s->tail.off : file_size(path);
		if (fd < 0) {
			if (errno != ENOENT)
				return -errno;
			end = 0;
		}
		while (fd >= 0 && b->n < max_events && pos.off + SPOOL_HDR <= end) {
			unsigned char hdr[SPOOL_HDR];
			if (pread(fd, hdr, SPOOL_HDR, (off_t)pos.off) != SPOOL_HDR)
				break;
			uint32_t len = get_u32(hdr), crc = get_u32(hdr + 4);
			if (len > SPOOL_MAX_RECORD || pos.off + SPOOL_HDR + len > end)
				break;
			if (b->n > 0 && b->bytes + len > max_bytes) {
				close(fd);
				return 0;
			}
			char *data = malloc((size_t)len + 1);
			if (!data) {
				close(fd);
				return -ENOMEM;
			}
			if (pread(fd, data, len, (off_t)(pos.off + SPOOL_HDR)) != (ssize_t)len ||
			    (uint32_t)crc32(0, (const Bytef *)data, len) != crc) {
				/* damage in the middle of a segment: the rest of it is unreadable */
				log_error("spool %s: damaged record at byte %" PRIu64 "; the rest of "
					  "this segment is skipped",
					  path, pos.off);
				free(data);
				pos.off = end;
				break;
			}
			data[len] = '\0';
			b->recs[b->n].data = data;
			b->recs[b->n].len = len;
			b->n++;
			b->bytes += len;
			pos.off += SPOOL_HDR + len;
			b->end = pos;
		}
		if (fd >= 0 && b->n < max_events && pos.off < end) {
			/* stopped short of the end without a full batch: a record that cannot be
			 * read, and no way to find the next one in this segment */
			log_error("spool %s: unreadable record at byte %" PRIu64 "; the rest of this "
				  "segment (%" PRIu64 " bytes) is skipped",
				  path, pos.off, end - pos.off);
			pos.off = end;
			if (b->n == 0)
				b->end = pos;
		}
		if (fd >= 0)
			close(fd);
		if (pos.seg < s->tail.seg && (pos.off >= end || fd < 0)) {
			pos.seg++;
			pos.off = 0;
			if (b->n == 0)
				b->end = pos;
		} else if (pos.seg == s->tail.seg || b->n >= max_events) {
			break;
		}
	}
	return 0;
}

int spool_ack(struct spool *s, struct spool_pos pos)
{
	char path[4096];
	s->ack = pos;
	int rc = write_ack(s);
	if (rc)
		return rc;
	for (uint64_t seg = s->first_seg; seg < pos.seg; seg++) {
		seg_path(s, seg, path, sizeof(path));
		unlink(path);
	}
	if (pos.seg > s->first_seg)
		s->first_seg = pos.seg;
	recount(s);
	/* marks of delivered records go; the first left covers the record at ack (the end of a
	 * finished segment is the start of the next) */
	if (pos.seg < s->tail.seg) {
		seg_path(s, pos.seg, path, sizeof(path));
		if (pos.off >= file_size(path)) {
			pos.seg++;
			pos.off = 0;
		}
	}
	size_t drop = 0;
	while (drop + 1 < s->nmarks && pos_cmp(s->marks[drop + 1].pos, pos) <= 0)
		drop++;
	if (spool_empty(s))
		drop = s->nmarks;
	if (drop) { /* marks is NULL while there are none */
		memmove(s->marks, s->marks + drop, (s->nmarks - drop) * sizeof(*s->marks));
		s->nmarks -= drop;
	}
	return 0;
}
