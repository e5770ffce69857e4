/* httpprobe: the uprobe on the API server's net/http.serverHandler.ServeHTTP (bpf/http.bpf.c).
 * Finds the server process by command name or executable path, reads its Go version and struct
 * offsets (gooffsets), attaches to that process only, and attaches again when it exits and a new
 * one starts (or starts after the agent). Each request the server begins reaches the callback. */
#ifndef KAA_HTTPPROBE_H
#define KAA_HTTPPROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/types.h>

#include "http.h"

#define HTTPPROBE_FUNC "net/http.serverHandler.ServeHTTP"

struct httpprobe;

/* One request; ts_us is the wall-clock time of the probe (microseconds since the epoch). */
typedef void httpprobe_event_fn(void *arg, const struct http_event *ev, int64_t ts_us);

struct httpprobe_status {
	bool attached;
	pid_t pid;		/* the attached process, 0 when none */
	char exe[256];		/* its executable as /proc/PID/exe names it */
	char go_version[32];
	char offsets_source[48]; /* "DWARF" or "table go1.19" */
	uint64_t events;	 /* requests read from the ring buffer */
	uint64_t lost;		 /* dropped in the kernel (ring buffer full) */
	uint64_t attaches;	 /* successful attaches since open */
	char reason[256];	 /* why not attached (no such process, unsupported Go, ...) */
};

/* Load bpf/http.bpf.c (nothing attached yet) into *out to follow `process`: a command name
 * ("kube-apiserver", matched against /proc/PID/comm, cut to 15 bytes like the kernel does) or an
 * absolute executable path (matched against /proc/PID/exe). fn gets every request. Returns 0 or
 * -errno with one line in err (-EPERM without CAP_BPF/CAP_PERFMON/CAP_SYS_ADMIN, -ENOENT
 * without kernel BTF). Call httpprobe_check at once and then now and then. */
int httpprobe_open(struct httpprobe **out, const char *process, httpprobe_event_fn *fn,
		   void *arg, char *err, size_t errsz);
/* Detach, unload, free; takes NULL and clears *hp. */
void httpprobe_free(struct httpprobe **hp);

/* Not attached: look for the process and attach (one log line saying what happened, and one
 * when it cannot: unsupported Go version, function not found, ...; a reason is logged once,
 * not on every call). Attached: notice the process has gone (detach, log) and look again.
 * Returns 1 when attached after the call, 0 when not. Cheap enough to call every second. */
int httpprobe_check(struct httpprobe *hp);

/* Wake the ring buffer's reader only once bytes wait (0, the default: for every request);
 * with it set, call httpprobe_poll before relying on the history and now and then. */
void httpprobe_set_wakeup(struct httpprobe *hp, uint32_t bytes);

/* The ring buffer's epoll fd (readable when requests wait). */
int httpprobe_fd(const struct httpprobe *hp);
/* A pidfd of the attached process (readable when it exits), or -1: poll it and call
 * httpprobe_check when it fires. */
int httpprobe_pidfd(const struct httpprobe *hp);
/* Deliver every waiting request to fn. Returns how many, or -errno. */
int httpprobe_poll(struct httpprobe *hp);
void httpprobe_status(const struct httpprobe *hp, struct httpprobe_status *st);

#endif
