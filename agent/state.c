#include "state.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

uint64_t state_fp_hash(const void *buf, size_t n)
{
	const unsigned char *p = buf;
	uint64_t h = 1469598103934665603ULL;
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 1099511628211ULL;
	return h;
}

void state_clear(struct state *st)
{
	for (size_t i = 0; i < st->nfiles; i++) {
		free(st->files[i].path);
		free(st->files[i].input);
	}
	free(st->files);
	done_clear(&st->done);
	cJSON_Delete(st->dedup);
	memset(st, 0, sizeof(*st));
}

int done_add(struct done_list *l, const struct file_id *id, uint64_t size)
{
	if (!l->v) {
		l->v = calloc(STATE_MAX_DONE, sizeof(*l->v));
		if (!l->v)
			return -ENOMEM;
	}
	if (l->n == STATE_MAX_DONE) {
		memmove(l->v, l->v + 1, (STATE_MAX_DONE - 1) * sizeof(*l->v));
		l->n--;
	}
	l->v[l->n].id = *id;
	l->v[l->n].size = size;
	l->n++;
	return 0;
}

bool done_has(const struct done_list *l, const struct file_id *id)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct file_id *d = &l->v[i].id;
		if (d->fp_len != id->fp_len || d->fp != id->fp)
			continue;
		if (d->fp_len == STATE_FP_MAX || (d->dev == id->dev && d->ino == id->ino))
			return true;
	}
	return false;
}

void done_clear(struct done_list *l)
{
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

int state_add(struct state *st, const char *path, const char *input, const struct file_id *id,
	      uint64_t offset)
{
	struct ckpt *nf = realloc(st->files, (st->nfiles + 1) * sizeof(*nf));
	if (!nf)
		return -ENOMEM;
	st->files = nf;
	struct ckpt *c = &nf[st->nfiles];
	c->path = strdup(path);
	c->input = strdup(input);
	if (!c->path || !c->input) {
		free(c->path);
		free(c->input);
		return -ENOMEM;
	}
	c->id = *id;
	c->offset = offset;
	st->nfiles++;
	return 0;
}

/* A non-negative integer member that fits in 64 bits and a double exactly. */
static int get_u64(const cJSON *o, const char *key, uint64_t *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	if (cJSON_IsString(v)) { /* large values are stored as decimal strings */
		char *end;
		if (v->valuestring[0] < '0' || v->valuestring[0] > '9')
			return -EINVAL;
		errno = 0;
		unsigned long long x = strtoull(v->valuestring, &end, 10);
		if (errno || *end || !v->valuestring[0] || v->valuestring[0] == '-')
			return -EINVAL;
		*out = x;
		return 0;
	}
	if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 9007199254740992.0 ||
	    v->valuedouble != (double)(uint64_t)v->valuedouble)
		return -EINVAL;
	*out = (uint64_t)v->valuedouble;
	return 0;
}

int state_parse(const char *buf, size_t len, struct state *st, char *err, size_t errsz)
{
	memset(st, 0, sizeof(*st));
	cJSON *root = cJSON_ParseWithLength(buf, len);
	if (!root || !cJSON_IsObject(root)) {
		snprintf(err, errsz, "not a JSON object");
		cJSON_Delete(root);
		return -EINVAL;
	}
	int rc = 0;
	uint64_t ver;
	const cJSON *files = cJSON_GetObjectItemCaseSensitive(root, "files");
	if (get_u64(root, "version", &ver) || ver != 1) {
		snprintf(err, errsz, "unknown state version");
		rc = -EINVAL;
		goto out;
	}
	if (!cJSON_IsArray(files)) {
		snprintf(err, errsz, "'files' is not a list");
		rc = -EINVAL;
		goto out;
	}
	size_t i = 0;
	for (const cJSON *f = files->child; f; f = f->next, i++) {
		const cJSON *path = cJSON_GetObjectItemCaseSensitive(f, "path");
		const cJSON *input = cJSON_GetObjectItemCaseSensitive(f, "input");
		struct file_id id;
		uint64_t off, fpl, fp;
		if (!cJSON_IsString(path) || !cJSON_IsString(input) || get_u64(f, "dev", &id.dev) ||
		    get_u64(f, "ino", &id.ino) || get_u64(f, "fp_len", &fpl) ||
		    fpl > STATE_FP_MAX || get_u64(f, "fp", &fp) || get_u64(f, "offset", &off)) {
			snprintf(err, errsz, "files[%zu]: missing or malformed field", i);
			rc = -EINVAL;
			goto out;
		}
		id.fp_len = (uint32_t)fpl;
		id.fp = fp;
		if ((rc = state_add(st, path->valuestring, input->valuestring, &id, off)))
			goto out;
	}
	const cJSON *done = cJSON_GetObjectItemCaseSensitive(root, "done");
	if (done && !cJSON_IsArray(done)) {
		snprintf(err, errsz, "'done' is not a list");
		rc = -EINVAL;
		goto out;
	}
	i = 0;
	for (const cJSON *f = done ? done->child : NULL; f; f = f->next, i++) {
		struct file_id id;
		uint64_t fpl, fp, size;
		if (get_u64(f, "dev", &id.dev) || get_u64(f, "ino", &id.ino) ||
		    get_u64(f, "fp_len", &fpl) || fpl > STATE_FP_MAX || get_u64(f, "fp", &fp) ||
		    get_u64(f, "size", &size)) {
			snprintf(err, errsz, "done[%zu]: missing or malformed field", i);
			rc = -EINVAL;
			goto out;
		}
		id.fp_len = (uint32_t)fpl;
		id.fp = fp;
		if ((rc = done_add(&st->done, &id, size)))
			goto out;
	}
	uint64_t horizon = 0;
	if (cJSON_GetObjectItemCaseSensitive(root, "horizon") && get_u64(root, "horizon", &horizon)) {
		snprintf(err, errsz, "'horizon' is not a time");
		rc = -EINVAL;
		goto out;
	}
	st->horizon = (int64_t)horizon;
	const cJSON *dd = cJSON_GetObjectItemCaseSensitive(root, "dedup");
	if (dd && !cJSON_IsArray(dd)) {
		snprintf(err, errsz, "'dedup' is not a list");
		rc = -EINVAL;
		goto out;
	}
	if (dd)
		st->dedup = cJSON_DetachItemViaPointer(root, (cJSON *)dd);
	st->initialized = true;
out:
	cJSON_Delete(root);
	if (rc)
		state_clear(st);
	return rc;
}

int state_load(const char *dir, struct state *st, char *err, size_t errsz)
{
	char path[4096];
	struct stat sb;

	memset(st, 0, sizeof(*st));
	snprintf(path, sizeof(path), "%s/%s", dir, STATE_FILE);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		int e = errno;
		snprintf(err, errsz, "%s: %s", path, strerror(e));
		return -e;
	}
	if (fstat(fd, &sb) || !S_ISREG(sb.st_mode) || (size_t)sb.st_size > STATE_MAX_BYTES) {
		snprintf(err, errsz, "%s: not a regular file of at most %u bytes", path,
			 STATE_MAX_BYTES);
		close(fd);
		return -EINVAL;
	}
	char *buf = malloc((size_t)sb.st_size + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	size_t got = 0;
	while (got < (size_t)sb.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)sb.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	char perr[200];
	int rc = state_parse(buf, got, st, perr, sizeof(perr));
	free(buf);
	if (rc)
		snprintf(err, errsz, "%s: corrupt state file: %s (move it away to start over)", path,
			 perr);
	return rc;
}

static cJSON *u64_json(uint64_t v)
{
	char buf[24];
	/* cJSON prints numbers with 15 significant digits when they compare equal within
	 * DBL_EPSILON: larger values go as decimal strings to stay exact */
	if (v < 1000000000000000ULL)
		return cJSON_CreateNumber((double)v);
	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	return cJSON_CreateString(buf);
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int state_save(const char *dir, const struct state *st, char *err, size_t errsz)
{
	char path[4096], tmp[4096];
	int rc = 0;

	cJSON *root = cJSON_CreateObject();
	cJSON *files = cJSON_AddArrayToObject(root, "files");
	if (!root || !files || !cJSON_AddNumberToObject(root, "version", 1)) {
		cJSON_Delete(root);
		return -ENOMEM;
	}
	for (size_t i = 0; i < st->nfiles; i++) {
		const struct ckpt *c = &st->files[i];
		cJSON *f = cJSON_CreateObject();
		if (!f) {
			cJSON_Delete(root);
			return -ENOMEM;
		}
		cJSON_AddItemToArray(files, f);
		cJSON_AddStringToObject(f, "path", c->path);
		cJSON_AddStringToObject(f, "input", c->input);
		cJSON_AddItemToObject(f, "dev", u64_json(c->id.dev));
		cJSON_AddItemToObject(f, "ino", u64_json(c->id.ino));
		cJSON_AddItemToObject(f, "fp_len", u64_json(c->id.fp_len));
		cJSON_AddItemToObject(f, "fp", u64_json(c->id.fp));
		cJSON_AddItemToObject(f, "offset", u64_json(c->offset));
	}
	cJSON *done = cJSON_AddArrayToObject(root, "done");
	for (size_t i = 0; done && i < st->done.n; i++) {
		const struct done_file *d = &st->done.v[i];
		cJSON *f = cJSON_CreateObject();
		if (!f) {
			cJSON_Delete(root);
			return -ENOMEM;
		}
		cJSON_AddItemToArray(done, f);
		cJSON_AddItemToObject(f, "dev", u64_json(d->id.dev));
		cJSON_AddItemToObject(f, "ino", u64_json(d->id.ino));
		cJSON_AddItemToObject(f, "fp_len", u64_json(d->id.fp_len));
		cJSON_AddItemToObject(f, "fp", u64_json(d->id.fp));
		cJSON_AddItemToObject(f, "size", u64_json(d->size));
	}
	cJSON_AddItemToObject(root, "horizon", u64_json(st->horizon > 0 ? (uint64_t)st->horizon : 0));
	if (st->dedup)
		cJSON_AddItemReferenceToObject(root, "dedup", st->dedup);
	char *text = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	if (!text)
		return -ENOMEM;

	snprintf(path, sizeof(path), "%s/%s", dir, STATE_FILE);
	snprintf(tmp, sizeof(tmp), "%s/%s.tmp", dir, STATE_FILE);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errsz, "%s: %s", tmp, strerror(-rc));
		free(text);
		return rc;
	}
	rc = write_all(fd, text, strlen(text));
	if (!rc)
		rc = write_all(fd, "\n", 1);
	if (!rc && fsync(fd))
		rc = -errno;
	free(text);
	if (close(fd) && !rc)
		rc = -errno;
	if (rc) {
		snprintf(err, errsz, "%s: %s", tmp, strerror(-rc));
		unlink(tmp);
		return rc;
	}
	if (rename(tmp, path)) {
		rc = -errno;
		snprintf(err, errsz, "rename %s: %s", path, strerror(-rc));
		unlink(tmp);
		return rc;
	}
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		if (fsync(dfd))
			rc = -errno;
		close(dfd);
	}
	if (rc)
		snprintf(err, errsz, "%s: fsync: %s", dir, strerror(-rc));
	return rc;
}
