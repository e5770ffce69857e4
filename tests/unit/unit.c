/* Helpers shared by the unit tests (declared in unit.h). */
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "event.h"
#include "expr.h"
#include "goelf.h"
#include "ruleset.h"
#include "udm.h"
#include "ydoc.h"

void unit_write_temp(char *path, size_t pathsz, const char *text)
{
	snprintf(path, pathsz, "/tmp/kaa-unit-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	size_t n = strlen(text);
	assert_int_equal(write(fd, text, n), (ssize_t)n);
	close(fd);
}

int unit_ydoc_load(struct ydoc *d, const char *text, char *path, size_t pathsz, char *err,
		   size_t errsz)
{
	unit_write_temp(path, pathsz, text);
	int rc = ydoc_load(d, path, 1u << 20, err, errsz);
	unlink(path);
	return rc;
}

int unit_compile(unit_compile_fn *compile, void *out, const char *yaml, struct udm_names *names,
		 char *path, size_t pathsz, char *err, size_t errsz)
{
	struct ydoc d;
	if (unit_ydoc_load(&d, yaml, path, pathsz, err, errsz))
		fail_msg("YAML did not load: %s", err);
	struct compile_ctx cx = {.doc = &d, .names = names, .err = err, .errsz = errsz};
	int rc = compile(&cx, out);
	ydoc_free(&d);
	return rc;
}

void unit_assert_compile_error(unit_compile_fn *compile, void *out, const char *yaml, int line,
			       const char *message)
{
	struct udm_names names = {0};
	char path[64], err[512], want[640];

	assert_int_equal(unit_compile(compile, out, yaml, &names, path, sizeof(path), err,
				      sizeof(err)),
			 -EINVAL);
	snprintf(want, sizeof(want), "%s:%d: %s", path, line, message);
	assert_string_equal(err, want);
	udm_names_free(&names);
}

/* The JSON js, written with ' for ", as a tree (the caller owns it); bad JSON fails the test. */
static cJSON *event_json(const char *js)
{
	char *copy = strdup(js);
	assert_non_null(copy);
	for (char *p = copy; *p; p++)
		if (*p == '\'')
			*p = '"';
	cJSON *root = cJSON_Parse(copy);
	if (!root)
		fail_msg("bad test JSON: %s", copy);
	free(copy);
	return root;
}

void unit_event_init(struct event *ev, const char *js, const char *log_type,
		     const struct datamodel *dm, size_t n_udm)
{
	assert_int_equal(event_init(ev, event_json(js), log_type, dm, n_udm), 0);
}

int unit_ruleset_load(struct ruleset **rs, const char *path, char **msgs)
{
	size_t n = 0;
	char *paths[] = {(char *)path};
	FILE *errs = open_memstream(msgs, &n);
	assert_non_null(errs);
	int problems = ruleset_load(rs, paths, 1, errs);
	fclose(errs);
	return problems;
}

int unit_ruleset_setup(void **state, const char *path)
{
	struct ruleset *rs;
	char *msgs;
	if (unit_ruleset_load(&rs, path, &msgs) != 0) {
		fprintf(stderr, "loading %s: %s", path, msgs);
		free(msgs);
		ruleset_free(rs);
		return -1;
	}
	free(msgs);
	*state = rs;
	return 0;
}

int unit_ruleset_teardown(void **state)
{
	ruleset_free(*state);
	return 0;
}

static int remove_entry(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	return remove(path);
}

void unit_temp_dir(char *path, size_t pathsz)
{
	snprintf(path, pathsz, "/tmp/kaa-unit-XXXXXX");
	assert_non_null(mkdtemp(path));
}

void unit_remove_tree(const char *path)
{
	nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

char *unit_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n = 0;
	assert_non_null(f);
	FILE *m = open_memstream(&buf, &n);
	assert_non_null(m);
	int c;
	while ((c = getc(f)) != EOF)
		putc(c, m);
	fclose(f);
	fclose(m);
	if (len)
		*len = n;
	return buf;
}

void unit_append_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	size_t n = strlen(text);
	assert_int_equal(write(fd, text, n), (ssize_t)n);
	close(fd);
}

int unit_run(const char *cmd, char *out, size_t outsz)
{
	FILE *p = popen(cmd, "r");
	if (!p)
		return -1;
	size_t n = 0;
	int c;
	while ((c = getc(p)) != EOF)
		if (n + 1 < outsz)
			out[n++] = (char)c;
	while (n > 0 && out[n - 1] == '\n')
		n--;
	if (outsz)
		out[n] = '\0';
	int status = pclose(p);
	return status >= 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void unit_write_file(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

bool unit_under_valgrind(void)
{
	const char *preload = getenv("LD_PRELOAD");
	return preload && strstr(preload, "vgpreload");
}

int unit_go_build(struct unit_gobins *b, const char *go, const char *env, const char *ldflags,
		  const char *out)
{
	char cmd[2048];
	snprintf(cmd, sizeof(cmd),
		 "cd '%s' && GOCACHE='%s/cache' GOPATH='%s/gopath' GOTOOLCHAIN=local CGO_ENABLED=0 "
		 "GOFLAGS= %s '%s' build -ldflags='%s' -o '%s' '%s' 2>&1",
		 b->dir, b->dir, b->dir, env, go, ldflags, out, b->src);
	return unit_run(cmd, b->output, sizeof(b->output));
}

int unit_gobins_setup(void **state)
{
	struct unit_gobins *b = calloc(1, sizeof(*b));
	if (!b)
		return -1;
	*state = b;
	b->have_go = unit_run("command -v go", b->output, sizeof(b->output)) == 0;
	if (!b->have_go)
		return 0;
	unit_temp_dir(b->dir, sizeof(b->dir));
	snprintf(b->bin, sizeof(b->bin), "%s/goserver", b->dir);
	snprintf(b->stripped, sizeof(b->stripped), "%s/goserver-stripped", b->dir);
	const char *root = getenv("ROOT");
	snprintf(b->src, sizeof(b->src), "%s/tests/data/goserver/main.go", root ? root : ".");
	b->build_status = unit_go_build(b, "go", "", "", b->bin);
	if (!b->build_status)
		b->build_status = unit_go_build(b, "go", "", "-s -w", b->stripped);
	if (!b->build_status)
		b->build_status =
		    unit_run("GOTOOLCHAIN=local go env GOVERSION", b->version, sizeof(b->version));
	return 0;
}

int unit_gobins_teardown(void **state)
{
	struct unit_gobins *b = *state;
	if (b->have_go)
		unit_remove_tree(b->dir);
	free(b);
	return 0;
}

struct unit_gobins *unit_need_go(void **state)
{
	struct unit_gobins *b = *state;
	if (!b->have_go) {
		print_message("# go is not on PATH (make deps installs golang-go): skipped\n");
		skip();
	}
	if (b->build_status)
		fail_msg("building tests/data/goserver failed (%d): %s", b->build_status,
			 b->output);
	return b;
}

struct goelf *unit_goelf_open(const char *path)
{
	char err[256] = "";
	struct goelf *g = NULL;
	int rc = goelf_open(&g, path, err, sizeof(err));
	if (rc)
		fail_msg("goelf_open %s: %s (%d)", path, err, rc);
	return g;
}
