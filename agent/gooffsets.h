/* gooffsets: where net/http.Request's fields, crypto/tls.ConnectionState.PeerCertificates and the
 * map layout are in a given Go binary, for the uprobe on net/http.serverHandler.ServeHTTP. From
 * the binary's DWARF when it has it, else from a table per Go version kept in gooffsets.c (with
 * the sources it was read from and how to add a version). */
#ifndef KAA_GOOFFSETS_H
#define KAA_GOOFFSETS_H

#include <stddef.h>
#include <linux/types.h>

#include "http.h"

struct goelf;

struct gooffsets {
	struct http_offsets off;
	char go_version[32]; /* "go1.19.8" */
	char source[48];     /* "DWARF" or "table go1.19" */
};

/* Offsets for the Go binary at path (already opened as g): DWARF first, then the table by the
 * version in its build info. Returns 0, -ENOTSUP for a Go version neither covers (err says which
 * version and how to add it), -ENOENT without build info, or -errno; err gets one line. */
int gooffsets_find(struct goelf *g, const char *path, struct gooffsets *out, char *err,
		   size_t errsz);

/* The table alone: offsets for go_version ("go1.21.3"); 0 or -ENOTSUP. */
int gooffsets_from_table(const char *go_version, struct gooffsets *out);

/* DWARF alone: 0, -ENOENT when the binary has no DWARF (or lacks the types), -EINVAL, -errno. */
int gooffsets_from_dwarf(const char *path, struct gooffsets *out, char *err, size_t errsz);

#endif
