/* procinfo: what /proc says of a process: found by command name or executable path, its
 * executable, its cgroup v2 path and, from that path, the container and pod it runs in
 * (containerd, CRI-O and Docker layouts, systemd and cgroupfs drivers). Every function takes the
 * proc root ("/proc" in the agent; a directory of fixtures in the tests). */
#ifndef KAA_PROCINFO_H
#define KAA_PROCINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define PROCINFO_CONTAINER_ID_LEN 65 /* 64 hex digits + NUL */
#define PROCINFO_POD_UID_LEN	  37 /* 8-4-4-4-12 + NUL */

struct procinfo_container {
	char container_id[PROCINFO_CONTAINER_ID_LEN]; /* "" when not in a container */
	char pod_uid[PROCINFO_POD_UID_LEN];	      /* "" when not in a pod; dashes, lower case */
	const char *runtime; /* "containerd", "cri-o", "docker", or NULL */
};

/* The processes whose comm (`name` has no '/') or executable (`name` is an absolute path) is
 * name: up to max pids into out, lowest first. Returns how many match in all, or -errno when
 * proc_root cannot be read. Processes that vanish while scanned are passed over. */
int procinfo_find(const char *proc_root, const char *name, pid_t *out, size_t max);

/* readlink of PROC/PID/exe into buf (" (deleted)" kept as the kernel says it). 0 or -errno. */
int procinfo_exe(const char *proc_root, pid_t pid, char *buf, size_t bufsz);

/* The cgroup v2 path ("0::/..." line of PROC/PID/cgroup) into buf. 0, -ENOENT without a v2
 * line, -ERANGE when buf is too small, or -errno. */
int procinfo_cgroup(const char *proc_root, pid_t pid, char *buf, size_t bufsz);

/* The container id and pod UID a cgroup path names, into *out (fields "" when absent). Returns
 * true when a container id was found. Pure: no file is read. */
bool procinfo_container_of(const char *cgroup_path, struct procinfo_container *out);

#endif
