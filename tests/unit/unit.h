/* Common includes for the cmocka unit tests: one test file per agent module, named
 * tests/unit/test_MODULE.c, each test named for the behaviour it pins down. The helpers below
 * (tests/unit/unit.c) are the ones more than one test file needs. */
#ifndef KAA_UNIT_H
#define KAA_UNIT_H

#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

struct compile_ctx;
struct datamodel;
struct event;
struct goelf;
struct ruleset;
struct udm_names;
struct ydoc;

/* Write text to a new temporary file; its name goes to path. */
void unit_write_temp(char *path, size_t pathsz, const char *text);

/* Load text via a temp file (name to path, then removed); ydoc_load's rc; caller ydoc_frees d. */
int unit_ydoc_load(struct ydoc *d, const char *text, char *path, size_t pathsz, char *err,
		   size_t errsz);

/* Compiles cx's document into out (the caller's T **); returns the compiler's result. */
typedef int unit_compile_fn(struct compile_ctx *cx, void *out);

/* Compile yaml (bad YAML fails the test) into out; returns compile's rc; caller frees *out. */
int unit_compile(unit_compile_fn *compile, void *out, const char *yaml, struct udm_names *names,
		 char *path, size_t pathsz, char *err, size_t errsz);

/* yaml must fail to compile: -EINVAL, error exactly "FILE:line: message"; caller checks *out. */
void unit_assert_compile_error(unit_compile_fn *compile, void *out, const char *yaml, int line,
			       const char *message);

/* event_init ev (must give 0) for JSON js written with ' for "; the caller event_frees ev. */
void unit_event_init(struct event *ev, const char *js, const char *log_type,
		     const struct datamodel *dm, size_t n_udm);

/* Load path into *rs, its report into *msgs; returns the problem count; caller frees both. */
int unit_ruleset_load(struct ruleset **rs, const char *path, char **msgs);

/* cmocka setup: *state = the ruleset under path, or -1 (report on stderr) on any problem. */
int unit_ruleset_setup(void **state, const char *path);

/* cmocka teardown for unit_ruleset_setup: frees the ruleset in *state. */
int unit_ruleset_teardown(void **state);

/* A new empty directory under /tmp (name to path); remove it with unit_remove_tree. */
void unit_temp_dir(char *path, size_t pathsz);

/* Remove path and everything under it; a missing path is fine. */
void unit_remove_tree(const char *path);

/* The whole file, NUL-terminated (length to *len unless NULL); caller frees; unreadable fails. */
char *unit_read_file(const char *path, size_t *len);

/* Append text to path, creating it (mode 0644) when missing; a short write fails the test. */
void unit_append_file(const char *path, const char *text);

/* Run cmd with /bin/sh; its standard output (first outsz-1 bytes, trailing newlines cut) goes to
 * out. Returns the exit status, or -1 when it could not run or was killed by a signal. */
int unit_run(const char *cmd, char *out, size_t outsz);

/* Write len bytes to path, replacing it (mode 0644); a short write fails the test. */
void unit_write_file(const char *path, const void *data, size_t len);

/* Whether the test runs under valgrind (tests/valgrind.sh): it runs a translation of the code, so
 * a uprobe on the program never fires and the kernel's /proc/PID/exe is valgrind's tool. */
bool unit_under_valgrind(void);

/* Go binaries built from tests/data/goserver/main.go once per test file (cmocka group
 * fixture): with and without symbols. */
struct unit_gobins {
	bool have_go;
	int build_status; /* of the go builds: 0, or the failing exit status */
	char dir[64];
	char src[512];
	char bin[128];	    /* go build */
	char stripped[128]; /* go build -ldflags='-s -w' */
	char version[64];   /* go env GOVERSION */
	char output[2048];  /* the failing command's output */
};

/* cmocka group setup / teardown: *state is a struct unit_gobins. */
int unit_gobins_setup(void **state);
int unit_gobins_teardown(void **state);
/* The built binaries, or a skip (no go) or failure (the build failed). */
struct unit_gobins *unit_need_go(void **state);
/* Build b->src with go (a command) under env ("VAR=value ..." or ""), ldflags, into out;
 * the exit status (the output in b->output). */
int unit_go_build(struct unit_gobins *b, const char *go, const char *env, const char *ldflags,
		  const char *out);
/* goelf_open of path, or a test failure with goelf's message. */
struct goelf *unit_goelf_open(const char *path);

#endif
