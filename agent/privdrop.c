/* privdrop: with libcap-ng, a small library made for exactly this and kept up for years by the
 * author of the Linux audit userspace: it knows the kernel's last capability, the order in which
 * the bounding set, the ambient set and capset have to be changed and which of them need
 * CAP_SETPCAP, the details hand-written capset and prctl code tends to get wrong. */
#include "privdrop.h"

#include <cap-ng.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

struct wanted {
	unsigned cap;
	const char *name;
	const char *why; /* NULL: the next one's reason covers it */
};

#define WANT(c, why) ((struct wanted){c, #c, why})

/* Append "NAME (why)" (or just NAME) to list, comma-separated, cut to fit. */
static void list_add(char *list, size_t sz, const struct wanted *w, bool why)
{
	size_t n = strlen(list);
	why = why && w->why;
	if (n + 1 < sz)
		snprintf(list + n, sz - n, "%s%s%s%s%s", n ? ", " : "", w->name, why ? " (" : "",
			 why ? w->why : "", why ? ")" : "");
}

int privdrop_apply(const struct privdrop_needs *needs, char *said, size_t saidsz)
{
	struct wanted want[5];
	bool held[5];
	size_t nwant = 0;
	char kept[384] = "", missing[128] = "";

	want[nwant++] =
	    WANT(CAP_DAC_READ_SEARCH, "read audit logs, rules and tokens whoever owns them");
	if (needs->uprobe || needs->conntrack)
		want[nwant++] =
		    WANT(CAP_SYS_PTRACE, "read /proc/PID/exe of other users' processes");
	if (needs->uprobe) { /* one reason for the three: it is said after the last */
		want[nwant++] = WANT(CAP_BPF, NULL);
		want[nwant++] = WANT(CAP_PERFMON, NULL);
		want[nwant++] = WANT(CAP_SYS_ADMIN, "attach the uprobe again when the API server "
						    "restarts");
	}

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
		int e = errno;
		snprintf(said, saidsz, "privileges: cannot set no_new_privs: %s", strerror(e));
		return -e;
	}
	capng_get_caps_process();
	if (capng_have_capabilities(CAPNG_SELECT_CAPS) == CAPNG_NONE) {
		snprintf(said, saidsz, "privileges: no capabilities held; no_new_privs set");
		return 0;
	}
	bool setpcap = capng_have_capability(CAPNG_EFFECTIVE, CAP_SETPCAP);
	for (size_t i = 0; i < nwant; i++)
		held[i] = capng_have_capability(CAPNG_PERMITTED, want[i].cap);
	capng_clear(CAPNG_SELECT_ALL);
	for (size_t i = 0; i < nwant; i++) {
		if (held[i])
			capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED, want[i].cap);
		list_add(held[i] ? kept : missing, held[i] ? sizeof(kept) : sizeof(missing),
			 &want[i], held[i]);
	}
	/* the bounding set can only be changed with CAP_SETPCAP */
	int rc = capng_apply(setpcap ? CAPNG_SELECT_ALL : CAPNG_SELECT_CAPS | CAPNG_SELECT_AMBIENT);
	if (rc) {
		snprintf(said, saidsz, "privileges: dropping capabilities failed (libcap-ng: %d)",
			 rc);
		return -EPERM;
	}
	size_t len = (size_t)snprintf(
	    said, saidsz,
	    "privileges: capabilities kept: %s; all others dropped, %s, ambient set cleared, "
	    "no_new_privs set",
	    kept[0] ? kept : "none",
	    setpcap ? "bounding set emptied" : "bounding set unchanged (no CAP_SETPCAP)");
	if (missing[0] && len < saidsz)
		snprintf(said + len, saidsz - len, "; wanted but not held: %s", missing);
	return 0;
}
