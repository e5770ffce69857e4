/* trust: owner and mode of the configuration and rules, checked on the open descriptor (what
 * is checked is what is read: no window for a swap between a stat and an open). A symbolic
 * link is followed, and its target is what must be root's: Kubernetes mounts ConfigMaps and
 * Secrets as links into a root-owned directory, and the link itself can only be changed by
 * whoever can write its directory. */
#include "trust.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum trust_mode trust_mode_for_root(enum trust_mode as_root)
{
	return geteuid() == 0 ? as_root : TRUST_ANY;
}

int trust_check_fd(int fd, const char *path, const struct trust_policy *p, char *err, size_t errsz)
{
	struct stat sb;
	char why[96];

	if (!p || p->mode == TRUST_ANY)
		return 0;
	if (fstat(fd, &sb)) {
		int e = errno;
		snprintf(err, errsz, "%s: %s", path, strerror(e));
		return -e;
	}
	if (sb.st_uid != 0)
		snprintf(why, sizeof(why), "owned by uid %u, not root", (unsigned)sb.st_uid);
	else if (sb.st_mode & S_IWOTH)
		snprintf(why, sizeof(why), "writable by everyone (mode %04o)",
			 (unsigned)(sb.st_mode & 07777));
	else if (sb.st_mode & S_IWGRP)
		snprintf(why, sizeof(why), "writable by its group (mode %04o)",
			 (unsigned)(sb.st_mode & 07777));
	else
		return 0;
	const char *what = S_ISDIR(sb.st_mode) ? "directory" : "file";
	if (p->mode == TRUST_WARN) {
		fprintf(p->warnings ? p->warnings : stderr,
			"%s%s: %s; run (as root) refuses a %s that is not root's alone\n",
			p->prefix ? p->prefix : "", path, why, what);
		return 0;
	}
	snprintf(err, errsz,
		 "%s: refused: %s; as root the agent takes its configuration, rules and state "
		 "only from files and directories owned by root and writable by no one else",
		 path, why);
	return -EPERM;
}
