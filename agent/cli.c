/* cli: what the sub-commands share when they read their options. */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

int cli_parse_long(const char *cmd, const char *opt, const char *s, long min, long max,
		   long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max) {
		fprintf(stderr, "%s: %s: '%s' is not %ld..%ld\n", cmd, opt, s, min, max);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

int cli_probe_load_status(int rc)
{
	return rc == -EPERM || rc == -ENOENT || rc == -ENOSYS || rc == -EOPNOTSUPP
		   ? PROBE_EXIT_NO_BPF
		   : 1;
}
