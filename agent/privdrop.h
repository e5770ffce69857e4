/* privdrop: once the eBPF programs are loaded and attached, keep only the capabilities the rest
 * of the run uses, empty the bounding and ambient sets and set no_new_privs, so that a flaw
 * found later (in a parser of hostile input, say) is worth as little as possible. */
#ifndef KAA_PRIVDROP_H
#define KAA_PRIVDROP_H

#include <stdbool.h>
#include <stddef.h>

/* What the rest of the run does that needs a capability. */
struct privdrop_needs {
	bool conntrack; /* connection tracking: /proc/PID/exe of other users' client processes */
	bool uprobe; /* the uprobe: re-attach to a restarted API server, read its /proc/PID/exe */
};

/* Keep CAP_DAC_READ_SEARCH (audit logs, rules and tokens whoever owns them) and what needs asks
 * for, of those the process holds; drop every other capability and the whole bounding set (with
 * CAP_SETPCAP; without it the bounding set stays as it is), clear the ambient set, set
 * no_new_privs. said gets the one line to log: what remains and why. Returns 0 or -errno. Call
 * it before any thread is started: capabilities belong to a thread. */
int privdrop_apply(const struct privdrop_needs *needs, char *said, size_t saidsz);

#endif
