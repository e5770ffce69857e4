#include "procinfo.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define COMM_MAX     15 /* TASK_COMM_LEN - 1: the kernel cuts comm to this many bytes */
#define CONTAINER_ID 64 /* hex digits in a container id */
#define UUID_LEN     36 /* 8-4-4-4-12 */
#define STATIC_UID   32 /* a static pod's UID: md5 of its manifest in hex, no dashes */
#define CGROUP_CHUNK 4096

/* PROC/PID/file into path. 0, -EINVAL for a pid /proc cannot have, or -ENAMETOOLONG. */
static int pid_path(char *path, size_t pathsz, const char *proc_root, pid_t pid, const char *file)
{
	if (pid <= 0)
		return -EINVAL;
	int n = snprintf(path, pathsz, "%s/%ld/%s", proc_root, (long)pid, file);
	if (n < 0 || (size_t)n >= pathsz)
		return -ENAMETOOLONG;
	return 0;
}

/* A directory entry named like a pid: digits only, no leading zero, fits in a pid_t. */
static bool parse_pid(const char *s, pid_t *pid)
{
	long v = 0;
	if (*s < '1' || *s > '9')
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + (*s - '0');
		if (v > INT_MAX)
			return false;
	}
	*pid = (pid_t)v;
	return true;
}

/* Does dirfd/PID/comm say name? The kernel keeps only the first COMM_MAX bytes of a name, so
 * those are all that can be compared. A process that is gone (or unreadable) does not match. */
static bool comm_matches(int dirfd, pid_t pid, const char *name)
{
	char path[32], comm[64];
	snprintf(path, sizeof(path), "%ld/comm", (long)pid);
	int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ssize_t n;
	do
		n = read(fd, comm, sizeof(comm) - 1);
	while (n < 0 && errno == EINTR);
	close(fd);
	if (n <= 0)
		return false;
	if (comm[n - 1] == '\n')
		n--;
	size_t want = strnlen(name, COMM_MAX);
	return (size_t)n == want && memcmp(comm, name, want) == 0;
}

/* Does dirfd/PID/exe point at path? Exactly: a deleted executable reads "PATH (deleted)" and so
 * does not match PATH; a link too long for PATH_MAX, a kernel thread (no exe) or one we may not
 * read (another user's process without CAP_SYS_PTRACE) does not match either. */
static bool exe_matches(int dirfd, pid_t pid, const char *path)
{
	char link[32], target[PATH_MAX];
	snprintf(link, sizeof(link), "%ld/exe", (long)pid);
	ssize_t n = readlinkat(dirfd, link, target, sizeof(target));
	if (n < 0 || (size_t)n >= sizeof(target))
		return false;
	return strlen(path) == (size_t)n && memcmp(target, path, (size_t)n) == 0;
}

/* Put pid into out[0..*kept), sorted ascending, keeping only the max lowest. */
static void keep_lowest(pid_t *out, size_t max, size_t *kept, pid_t pid)
{
	size_t i = *kept;
	if (i == max) {
		if (max == 0 || pid >= out[max - 1])
			return;
		i--; /* the highest kept gives way */
	} else {
		(*kept)++;
	}
	for (; i > 0 && out[i - 1] > pid; i--)
		out[i] = out[i - 1];
	out[i] = pid;
}

int procinfo_find(const char *proc_root, const char *name, pid_t *out, size_t max)
{
	if (!name || !*name || (strchr(name, '/') && name[0] != '/'))
		return -EINVAL;
	if (max && !out)
		return -EINVAL;
	bool by_exe = name[0] == '/';

	int dirfd = open(proc_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return -errno;
	DIR *d = fdopendir(dirfd);
	if (!d) {
		int err = -errno;
		close(dirfd);
		return err;
	}
	size_t kept = 0;
	int total = 0, err = 0;
	for (;;) {
		errno = 0;
		struct dirent *e = readdir(d);
		if (!e) {
			err = -errno;
			break;
		}
		pid_t pid;
		if (!parse_pid(e->d_name, &pid))
			continue;
		bool hit = by_exe ? exe_matches(dirfd, pid, name) : comm_matches(dirfd, pid, name);
		if (!hit)
			continue;
		keep_lowest(out, max, &kept, pid);
		if (total < INT_MAX)
			total++;
	}
	closedir(d); /* closes dirfd too */
	return err ? err : total;
}

int procinfo_exe(const char *proc_root, pid_t pid, char *buf, size_t bufsz)
{
	char path[PATH_MAX];
	int err = pid_path(path, sizeof(path), proc_root, pid, "exe");
	if (err)
		return err;
	if (bufsz == 0)
		return -ERANGE;
	ssize_t n = readlink(path, buf, bufsz);
	if (n < 0)
		return -errno;
	if ((size_t)n >= bufsz) /* readlink cuts silently; no room for the NUL means cut */
		return -ERANGE;
	buf[n] = '\0';
	return 0;
}

/* The file is read a chunk at a time so that no line, however long, needs more memory than
 * buf: lines not starting "0::" are skipped, the first that does is copied out. */
int procinfo_cgroup(const char *proc_root, pid_t pid, char *buf, size_t bufsz)
{
	static const char v2[] = "0::";
	char path[PATH_MAX], chunk[CGROUP_CHUNK];
	int err = pid_path(path, sizeof(path), proc_root, pid, "cgroup");
	if (err)
		return err;
	if (bufsz == 0)
		return -ERANGE;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;

	size_t col = 0;	    /* bytes of the current line seen so far */
	bool skip = false;  /* the current line is not the v2 one */
	bool found = false; /* the current line is the v2 one: copying */
	size_t len = 0;
	err = -ENOENT;
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			break;
		}
		if (n == 0) {
			if (found) /* the last line had no newline */
				err = 0;
			break;
		}
		for (ssize_t i = 0; i < n; i++) {
			char c = chunk[i];
			if (found) {
				if (c == '\n') {
					err = 0;
					goto out;
				}
				if (len + 1 >= bufsz) {
					err = -ERANGE;
					goto out;
				}
				buf[len++] = c;
			} else if (c == '\n') {
				col = 0;
				skip = false;
			} else if (!skip) {
				if (c != v2[col])
					skip = true;
				else if (++col == sizeof(v2) - 1)
					found = true;
			}
		}
	}
out:
	close(fd);
	if (err == 0)
		buf[len] = '\0';
	return err;
}

/* Container and pod ids in cgroup paths.
 *
 * The path is read one name at a time ("/"-separated), each name split again at ':' (runc's
 * "slice:prefix:id" form, which shows up literally when containerd asks for systemd cgroups
 * but no systemd manages them, e.g. kind or k3s in docker). The layouts:
 *
 *   containerd, systemd  .../kubepods-burstable-pod<uid with _>.slice/cri-containerd-<id>.scope
 *   containerd, cgroupfs /kubepods/burstable/pod<uid>/<id>   (guaranteed: /kubepods/pod<uid>/)
 *   CRI-O                .../crio-<id>.scope, cgroupfs .../pod<uid>/crio-<id>
 *   Docker               /docker/<id>, /system.slice/docker-<id>.scope, and dockershim's
 *                        .../kubepods-...-pod<uid>.slice/docker-<id>.scope
 *
 * Nesting (kind: pods inside a node container) means a path may name several containers and
 * pods: the innermost wins. A pod named below a container clears that container (the process
 * is in the inner pod, not among the outer container's own processes); a container named below
 * a pod keeps the pod (docker-in-docker: still that pod). ".." names, which a cgroup namespace
 * shows for cgroups outside it, match nothing and are passed over. */

static bool is_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

static bool has_prefix(const char *s, size_t n, const char *prefix, size_t *plen)
{
	*plen = strlen(prefix);
	return n >= *plen && memcmp(s, prefix, *plen) == 0;
}

/* s[0..n) is exactly 64 lower-case hex digits, optionally followed by ".scope". */
static bool is_id(const char *s, size_t n, bool scope_ok)
{
	if (scope_ok && n == CONTAINER_ID + 6 && memcmp(s + CONTAINER_ID, ".scope", 6) == 0)
		n = CONTAINER_ID;
	return n == CONTAINER_ID && is_hex(s, n);
}

/* A pod UID as kubelet writes it into a cgroup name, with sep between the groups ('-' for
 * cgroupfs, '_' for systemd, which reserves '-' for nesting), or a static pod's 32 hex digits.
 * Copied to out (PROCINFO_POD_UID_LEN) with dashes; false when it is neither. */
static bool parse_pod_uid(const char *s, size_t n, char sep, char *out)
{
	if (n == STATIC_UID && is_hex(s, n)) {
		memcpy(out, s, n);
		out[n] = '\0';
		return true;
	}
	if (n != UUID_LEN)
		return false;
	for (size_t i = 0; i < n; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;
		if (dash ? s[i] != sep : !is_hex(s + i, 1))
			return false;
		out[i] = dash ? '-' : s[i];
	}
	out[n] = '\0';
	return true;
}

/* A pod's cgroup: "pod<uid>" (cgroupfs) or "kubepods[-qos]-pod<uid>.slice" (systemd; also
 * "kubelet-kubepods-..." when kubelet runs with a cgroup root of its own, as in kind). */
static bool match_pod(const char *s, size_t n, char *uid)
{
	size_t plen;
	if (has_prefix(s, n, "pod", &plen))
		return parse_pod_uid(s + plen, n - plen, '-', uid);
	if (n < 6 || memcmp(s + n - 6, ".slice", 6) != 0)
		return false;
	n -= 6;
	const char *last = memrchr(s, '-', n); /* systemd: the last '-' part is the unit's own */
	if (!last || !memmem(s, (size_t)(last - s), "kubepods", 8))
		return false;
	last++;
	size_t rest = n - (size_t)(last - s);
	if (!has_prefix(last, rest, "pod", &plen))
		return false;
	return parse_pod_uid(last + plen, rest - plen, '_', uid);
}

enum seg_kind { SEG_NONE, SEG_CONTAINER, SEG_CONMON };

/* A container's cgroup name: the id and who runs it, from the prefix (cri-containerd-, crio-,
 * docker-), the ':'-separated word before it (prev) or, for a bare id, the directory it is in
 * (parent: "docker" is Docker's own; under a pod it is kubelet's cgroupfs layout, which
 * dockershim shared with containerd until Kubernetes 1.24 removed it: we say containerd).
 * A bare id anywhere else is still a container, of a runtime we cannot tell (NULL). */
static enum seg_kind match_container(const char *s, size_t n, const char *prev, size_t prevn,
				     const char *parent, size_t parentn, bool parent_is_pod,
				     const char **id, const char **runtime)
{
	size_t plen;
	/* crio-conmon-<id>.scope holds conmon, the monitor CRI-O starts on the host for container
	 * <id>. It shares none of the container's namespaces, so it is not reported as in the
	 * container: no id (and false), but runtime "cri-o" and the pod it serves. */
	if (has_prefix(s, n, "crio-conmon-", &plen) && is_id(s + plen, n - plen, true)) {
		*runtime = "cri-o";
		return SEG_CONMON;
	}
	static const struct {
		const char *prefix, *runtime;
	} prefixed[] = {
	    {"cri-containerd-", "containerd"},
	    {"crio-", "cri-o"},
	    {"docker-", "docker"},
	};
	for (size_t i = 0; i < sizeof(prefixed) / sizeof(prefixed[0]); i++) {
		if (has_prefix(s, n, prefixed[i].prefix, &plen) &&
		    is_id(s + plen, n - plen, true)) {
			*id = s + plen;
			*runtime = prefixed[i].runtime;
			return SEG_CONTAINER;
		}
	}
	if (!is_id(s, n, false))
		return SEG_NONE;
	*id = s;
	if (prev && prevn == 14 && memcmp(prev, "cri-containerd", 14) == 0)
		*runtime = "containerd";
	else if (prev && prevn == 4 && memcmp(prev, "crio", 4) == 0)
		*runtime = "cri-o";
	else if ((prev && prevn == 6 && memcmp(prev, "docker", 6) == 0) ||
		 (!prev && parentn == 6 && memcmp(parent, "docker", 6) == 0))
		*runtime = "docker";
	else if (!prev && parent_is_pod)
		*runtime = "containerd";
	else
		*runtime = NULL;
	return SEG_CONTAINER;
}

bool procinfo_container_of(const char *cgroup_path, struct procinfo_container *out)
{
	memset(out, 0, sizeof(*out));
	if (!cgroup_path)
		return false;

	const char *parent = NULL;
	size_t parentn = 0;
	bool parent_is_pod = false;
	for (const char *p = cgroup_path; *p;) {
		if (*p == '/') {
			p++;
			continue;
		}
		size_t n = strcspn(p, "/");
		bool is_pod = false;
		const char *prev = NULL;
		size_t prevn = 0;
		for (const char *s = p, *end = p + n; s < end;) {
			const char *colon = memchr(s, ':', (size_t)(end - s));
			size_t segn = colon ? (size_t)(colon - s) : (size_t)(end - s);
			const char *id = NULL, *runtime = NULL;
			char uid[PROCINFO_POD_UID_LEN];
			if (match_pod(s, segn, uid)) {
				memcpy(out->pod_uid, uid, sizeof(uid));
				out->container_id[0] = '\0';
				out->runtime = NULL;
				is_pod = true;
			} else {
				enum seg_kind k =
				    match_container(s, segn, prev, prevn, parent, parentn,
						    parent_is_pod, &id, &runtime);
				if (k != SEG_NONE) {
					out->container_id[0] = '\0';
					if (k == SEG_CONTAINER) {
						memcpy(out->container_id, id, CONTAINER_ID);
						out->container_id[CONTAINER_ID] = '\0';
					}
					out->runtime = runtime;
					is_pod = false;
				}
			}
			prev = s;
			prevn = segn;
			s += segn + (colon ? 1 : 0);
		}
		parent = p;
		parentn = n;
		parent_is_pod = is_pod;
		p += n;
	}
	return out->container_id[0] != '\0';
}
