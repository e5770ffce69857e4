/* httpprobe: loads bpf/http.bpf.c once, then attaches its uprobe to the server process it is
 * told to follow, filling the program's `offsets` map for that binary's Go version first, and
 * attaches again (without reloading) when that process exits and another starts. */
#include "httpprobe.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpfutil.h"
#include "goelf.h"
#include "gooffsets.h"
#include "log.h"
#include "procinfo.h"

#include "http.skel.h"

#define PROC_ROOT  "/proc"

struct httpprobe {
	struct http_bpf *skel;
	struct ring_buffer *rb;
	struct bpf_link *link; /* the uprobe, while attached */
	int pidfd;	       /* the attached process, -1 when none or without pidfd_open */
	httpprobe_event_fn *fn;
	void *arg;
	char process[PATH_MAX];	 /* a command name or an absolute executable path */
	int64_t mono_to_real_ns; /* CLOCK_REALTIME - CLOCK_MONOTONIC, refreshed by each poll */
	struct httpprobe_status st;

	/* The process last found unusable (not Go, unsupported version, attach refused): not
	 * examined again while the same pid runs the same executable. */
	pid_t refused_pid;
	dev_t refused_dev;
	ino_t refused_ino;
	char said[1024]; /* the last reason logged, so that each is logged once */
};

static bool is_perm_error(int err)
{
	return err == -EPERM || err == -EACCES;
}

/* Why not attached: into the status (cut to fit) and, when it is not what was said last, in
 * full into the log. */
static void say(struct httpprobe *hp, enum log_level lvl, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void say(struct httpprobe *hp, enum log_level lvl, const char *fmt, ...)
{
	char msg[sizeof(hp->said)];
	size_t n;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	n = strnlen(msg, sizeof(hp->st.reason) - 1);
	memcpy(hp->st.reason, msg, n);
	hp->st.reason[n] = '\0';
	if (!strcmp(msg, hp->said))
		return;
	memcpy(hp->said, msg, sizeof(hp->said));
	log_msg(lvl, "httpprobe: %s", hp->said);
}

static int pidfd_open_pid(pid_t pid)
{
#ifdef SYS_pidfd_open
	return (int)syscall(SYS_pidfd_open, pid, 0);
#else
	errno = ENOSYS;
	return -1;
#endif
}

/* Whether the attached process has exited: its pidfd is readable, or (kernels before 5.3,
 * without pidfd_open) it no longer exists. */
static bool attached_process_gone(const struct httpprobe *hp)
{
	struct pollfd p = {.fd = hp->pidfd, .events = POLLIN};

	if (hp->pidfd < 0)
		return kill(hp->st.pid, 0) && errno == ESRCH;
	return poll(&p, 1, 0) > 0;
}

static void detach(struct httpprobe *hp)
{
	bpf_link__destroy(hp->link);
	hp->link = NULL;
	if (hp->pidfd >= 0)
		close(hp->pidfd);
	hp->pidfd = -1;
	hp->st.attached = false;
	hp->st.pid = 0;
}

/* Find ServeHTTP and the offsets in pid's executable (through /proc/PID/exe, which also reaches
 * a binary in another mount namespace), fill the offsets map and attach the uprobe for that
 * process. Returns 0 or -errno with one line in why. */
static int attach_pid(struct httpprobe *hp, pid_t pid, char *why, size_t whysz)
{
	LIBBPF_OPTS(bpf_uprobe_opts, opts, .retprobe = false);
	char exe[32], err[512] = "";
	struct gooffsets go;
	struct goelf *g = NULL;
	uint64_t file_off = 0;
	__u32 zero = 0;
	int rc, pidfd;

	snprintf(exe, sizeof(exe), PROC_ROOT "/%d/exe", (int)pid);
	rc = goelf_open(&g, exe, err, sizeof(err));
	if (rc) {
		snprintf(why, whysz, "%s: %s", hp->st.exe, err);
		return rc;
	}
	rc = goelf_find_func(g, HTTPPROBE_FUNC, NULL, &file_off);
	if (rc) {
		snprintf(why, whysz, "%s: %s", hp->st.exe, goelf_error(g));
		goto cleanup;
	}
	rc = gooffsets_find(g, exe, &go, err, sizeof(err));
	if (rc) {
		snprintf(why, whysz, "%s: %s; requests are not seen, connections still are",
			 hp->st.exe, err);
		goto cleanup;
	}
	snprintf(hp->st.go_version, sizeof(hp->st.go_version), "%s", go.go_version);
	snprintf(hp->st.offsets_source, sizeof(hp->st.offsets_source), "%s", go.source);

	/* the pidfd first: from here on the pid cannot name another process unnoticed */
	pidfd = pidfd_open_pid(pid);
	if (pidfd < 0 && errno != ENOSYS) {
		rc = -errno;
		snprintf(why, whysz, "pid %d: pidfd_open: %s", (int)pid, strerror(errno));
		goto cleanup;
	}
	rc = bpf_map__update_elem(hp->skel->maps.offsets, &zero, sizeof(zero), &go.off,
				  sizeof(go.off), BPF_ANY);
	if (rc) {
		snprintf(why, whysz, "writing the offsets map failed: %s", strerror(-rc));
		goto close_pidfd;
	}
	hp->link = bpf_program__attach_uprobe_opts(hp->skel->progs.serve_http, pid, exe,
						   (size_t)file_off, &opts);
	if (!hp->link) {
		rc = -errno;
		if (is_perm_error(rc))
			snprintf(why, whysz,
				 "attaching the uprobe to %s not permitted (needs CAP_SYS_ADMIN, "
				 "or root)",
				 hp->st.exe);
		else
			snprintf(why, whysz,
				 "attaching the uprobe to %s at %s (file offset 0x%llx) "
				 "failed: %s",
				 hp->st.exe, HTTPPROBE_FUNC, (unsigned long long)file_off,
				 strerror(-rc));
		goto close_pidfd;
	}
	hp->pidfd = pidfd;
	hp->st.attached = true;
	hp->st.pid = pid;
	hp->st.attaches++;
	goelf_free(&g);
	return 0;
close_pidfd:
	if (pidfd >= 0)
		close(pidfd);
cleanup:
	goelf_free(&g);
	return rc;
}

/* The identity of pid's executable, to notice that a refused process still runs it. */
static int exe_identity(pid_t pid, dev_t *dev, ino_t *ino)
{
	char exe[32];
	struct stat sb;

	snprintf(exe, sizeof(exe), PROC_ROOT "/%d/exe", (int)pid);
	if (stat(exe, &sb))
		return -errno;
	*dev = sb.st_dev;
	*ino = sb.st_ino;
	return 0;
}

/* Look for the process and attach to it. Returns 1 when attached, 0 when not. */
static int look_and_attach(struct httpprobe *hp)
{
	char why[1024];
	dev_t dev = 0;
	ino_t ino = 0;
	pid_t pid;
	int n, rc;

	n = procinfo_find(PROC_ROOT, hp->process, &pid, 1);
	if (n < 0) {
		say(hp, LOG_WARN, "cannot list the processes in " PROC_ROOT ": %s", strerror(-n));
		return 0;
	}
	if (n == 0) {
		say(hp, LOG_INFO, "no process %s is running; waiting for one", hp->process);
		return 0;
	}
	if (exe_identity(pid, &dev, &ino))
		return 0; /* gone already; look again on the next call */
	if (pid == hp->refused_pid && dev == hp->refused_dev && ino == hp->refused_ino)
		return 0;
	if (procinfo_exe(PROC_ROOT, pid, hp->st.exe, sizeof(hp->st.exe)))
		snprintf(hp->st.exe, sizeof(hp->st.exe), PROC_ROOT "/%d/exe", (int)pid);
	hp->st.go_version[0] = hp->st.offsets_source[0] = '\0';
	rc = attach_pid(hp, pid, why, sizeof(why));
	if (rc) {
		hp->refused_pid = pid;
		hp->refused_dev = dev;
		hp->refused_ino = ino;
		say(hp, LOG_WARN, "%s (pid %d): %s", hp->process, (int)pid, why);
		return 0;
	}
	hp->refused_pid = 0;
	hp->st.reason[0] = hp->said[0] = '\0';
	log_info("httpprobe: uprobe attached to pid %d (%s: %s, %s, offsets from %s)", (int)pid,
		 hp->process, hp->st.exe, hp->st.go_version, hp->st.offsets_source);
	return 1;
}

int httpprobe_check(struct httpprobe *hp)
{
	if (hp->link) {
		if (!attached_process_gone(hp))
			return 1;
		log_info("httpprobe: %s pid %d exited; uprobe detached, looking for the next one",
			 hp->process, (int)hp->st.pid);
		detach(hp);
	}
	return look_and_attach(hp);
}

static int on_ring_event(void *arg, void *data, size_t size)
{
	struct httpprobe *hp = arg;
	const struct http_event *ev = data;

	if (size < sizeof(*ev))
		return 0;
	hp->st.events++;
	if (hp->fn)
		hp->fn(hp->arg, ev, ((int64_t)ev->ts_ns + hp->mono_to_real_ns) / 1000);
	return 0;
}

void httpprobe_set_wakeup(struct httpprobe *hp, uint32_t bytes)
{
	hp->skel->bss->wakeup_bytes = bytes;
}

int httpprobe_poll(struct httpprobe *hp)
{
	hp->mono_to_real_ns = bpfutil_mono_to_real_ns();
	return ring_buffer__consume(hp->rb);
}

int httpprobe_fd(const struct httpprobe *hp)
{
	return ring_buffer__epoll_fd(hp->rb);
}

int httpprobe_pidfd(const struct httpprobe *hp)
{
	return hp->link ? hp->pidfd : -1;
}

void httpprobe_status(const struct httpprobe *hp, struct httpprobe_status *st)
{
	*st = hp->st;
	st->lost = bpfutil_percpu_sum(hp->skel->maps.lost);
}

void httpprobe_free(struct httpprobe **php)
{
	struct httpprobe *hp = *php;

	if (!hp)
		return;
	detach(hp);
	ring_buffer__free(hp->rb);
	http_bpf__destroy(hp->skel);
	free(hp);
	*php = NULL;
}

int httpprobe_open(struct httpprobe **out, const char *process, httpprobe_event_fn *fn, void *arg,
		   char *err, size_t errsz)
{
	struct httpprobe *hp;
	int rc;

	*out = NULL;
	if (!process || !*process || (strchr(process, '/') && process[0] != '/')) {
		snprintf(err, errsz, "'%s' is neither a command name nor an absolute path",
			 process ? process : "");
		return -EINVAL;
	}
	if (strlen(process) >= sizeof(hp->process)) {
		snprintf(err, errsz, "process name too long");
		return -ENAMETOOLONG;
	}
	rc = bpfutil_check_btf(err, errsz);
	if (rc)
		return rc;
	hp = calloc(1, sizeof(*hp));
	if (!hp) {
		snprintf(err, errsz, "out of memory");
		return -ENOMEM;
	}
	hp->pidfd = -1;
	hp->fn = fn;
	hp->arg = arg;
	snprintf(hp->process, sizeof(hp->process), "%s", process);
	snprintf(hp->st.reason, sizeof(hp->st.reason), "not looked for yet");
	bpfutil_quiet_libbpf();
	hp->skel = http_bpf__open_and_load();
	if (!hp->skel) {
		rc = -errno;
		bpfutil_load_error(rc, "CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN", err, errsz);
		goto cleanup;
	}
	hp->rb = ring_buffer__new(bpf_map__fd(hp->skel->maps.events), on_ring_event, hp, NULL);
	if (!hp->rb) {
		rc = -errno;
		snprintf(err, errsz, "opening the BPF ring buffer failed: %s", strerror(errno));
		goto cleanup;
	}
	hp->mono_to_real_ns = bpfutil_mono_to_real_ns();
	*out = hp;
	return 0;
cleanup:
	httpprobe_free(&hp);
	return rc;
}
