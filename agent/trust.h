/* trust: the files the agent takes its orders from (the configuration, the rules and the
 * directories holding them, and its state directory) must, when it runs as root, belong to
 * root and be writable by no one else: whoever can change them decides what is alerted on,
 * what root reads, and where root writes. */
#ifndef KAA_TRUST_H
#define KAA_TRUST_H

#include <stdio.h>

enum trust_mode {
	TRUST_ANY,    /* no check (not root, or the offline commands: test, eval) */
	TRUST_WARN,   /* say what run would refuse (check-config as root), go on */
	TRUST_REFUSE, /* refuse it (run as root) */
};

struct trust_policy {
	enum trust_mode mode;
	FILE *warnings;	    /* TRUST_WARN: where "PATH: ..." lines go (NULL: stderr) */
	const char *prefix; /* put before each warning ("check-config: warning: "), or NULL */
};

/* TRUST_ANY when the process is not root (effective uid 0), else `as_root`. */
enum trust_mode trust_mode_for_root(enum trust_mode as_root);

/* Check the open file or directory fd, named path in messages. Returns 0 when it may be used
 * (trusted, or only warned about), -EPERM with "PATH: reason" in err when p refuses it, or
 * -errno when fd cannot be examined. p NULL or TRUST_ANY: always 0. */
int trust_check_fd(int fd, const char *path, const struct trust_policy *p, char *err, size_t errsz);

#endif
