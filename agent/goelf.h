/* goelf: what the eBPF correlation needs from a Go executable (kube-apiserver): its Go version
 * (from the build info) and the entry address and file offset of a function, from .symtab or,
 * in stripped binaries, from .gopclntab. ELF64 little-endian x86-64 only; hostile files are
 * refused, never read outside the file. */
#ifndef KAA_GOELF_H
#define KAA_GOELF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GOELF_MAX_SECTION_BYTES (256u << 20) /* a section read into memory */

struct goelf;

enum goelf_source {
	GOELF_ANY,     /* .symtab when present, else .gopclntab */
	GOELF_SYMTAB,  /* .symtab only (-ENOENT when stripped) */
	GOELF_PCLNTAB, /* .gopclntab only */
};

/* Open path and read its ELF and section headers into *out (goelf_free it). Returns 0, -EINVAL
 * for a file that is not a well-formed ELF64 x86-64 executable, or -errno; err says why. */
int goelf_open(struct goelf **out, const char *path, char *err, size_t errsz);

/* Close the file and free everything; takes NULL and clears *g. */
void goelf_free(struct goelf **g);

/* Whether the binary has a symbol table (false for one linked with -s). */
bool goelf_has_symtab(const struct goelf *g);

/* The Go version ("go1.19.13") from .go.buildinfo into buf (n bytes). Returns 0, -ENOENT when
 * there is no build info, -ERANGE when buf is too small, -EINVAL when it is malformed, -EIO. */
int goelf_go_version(struct goelf *g, char *buf, size_t n);

/* Entry address of function name and the file offset a uprobe attaches to (either pointer may
 * be NULL). Returns 0, -ENOENT when not found, -EINVAL for a malformed table, -ENOTSUP for a
 * pclntab of an unsupported Go version, -EFBIG for a table over GOELF_MAX_SECTION_BYTES,
 * -ENOMEM, -EIO. Tables are read on first use and kept until goelf_free. */
int goelf_find_func(struct goelf *g, const char *name, uint64_t *addr, uint64_t *file_offset);

/* goelf_find_func looking only where src says. */
int goelf_find_func_from(struct goelf *g, enum goelf_source src, const char *name, uint64_t *addr,
			 uint64_t *file_offset);

/* Why the last goelf_go_version or goelf_find_func call failed ("" after a success); owned by g. */
const char *goelf_error(const struct goelf *g);

#endif
